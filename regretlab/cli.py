"""The ``regretlab`` command line.  User errors print one line and exit with status 2."""
from __future__ import annotations

import argparse
import sys


def _verify(args):
    import pandas as pd

    from .verification import reddi_demo

    table = reddi_demo(T=int(float(args.T)))
    cols = ["claim", "learner", "status", "R_T", "bound_T", "max_ratio", "exponent", "gamma_neg_fraction"]
    shown = table[cols].copy()
    shown["learner"] = shown["learner"].str.split("(").str[0]
    with pd.option_context("display.width", 250, "display.max_colwidth", 80, "display.precision", 4):
        print(shown.to_string(index=False))
    adam = table[table.claim == "theorem_4_1"]
    if len(adam):
        print(f"\nTheorem 4.1 on Reddi et al.'s Theorem 1 instance (C = 3): {adam.status.iloc[0]}")
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(prog="regretlab", description="Regret in online convex optimization.")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("verify", help="run the verification demonstration and print the verdicts")
    p.add_argument("--T", default="10000", help="horizon (default 1e4)")
    p.set_defaults(fn=_verify)
    args = parser.parse_args(argv)
    try:
        return args.fn(args)
    except ValueError as exc:
        print(f"regretlab: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
