"""The headline figures, regenerated from scratch into reports/figures/.

1. reddi_regret.png: Reddi et al.'s Theorem 1 instance (C = 3), Adam in the setting of Theorem 4.1
   against the theorem's bound (lambda -> 0, beta1 = 0), with AMSGrad and OGD as controls.
2. reddi_proof_breaks.png: the fraction of rounds where Gamma_t < 0, the step the proof assumes away.
3. reddi_phase.png: the fitted growth exponent of Adam's regret over beta2 x C on Reddi's family,
   from the sweep analysis/sweeps/reddi_phase.toml (results in reports/sweeps/reddi_phase/).

Usage:  python analysis/headline.py [--quick]
"""
import argparse
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="T = 1e4 and a 3 x 3 phase grid")
    ap.add_argument("--out", default=os.path.join(ROOT, "reports"), help="reports folder")
    args = ap.parse_args(argv)

    import matplotlib

    matplotlib.use("Agg")
    import regretlab as rl
    from regretlab import experiments

    figs = os.path.join(args.out, "figures")
    os.makedirs(figs, exist_ok=True)
    T = 10**4 if args.quick else 10**6
    C = 3.0
    s = rl.streams.reddi(C)
    learners = [rl.Adam(alpha=0.5, beta1=0.0, beta2=1 / (1 + C * C), eps=0.0),
                rl.AMSGrad(alpha=0.5, beta1=0.0, beta2=1 / (1 + C * C)), rl.OGD(alpha=0.5)]
    runs = [rl.play(L, s, T) for L in learners]
    fig = rl.plots.compare(runs, bounds=["theorem_4_1", "amsgrad_theorem_4", "ogd"], fit=True)
    fig.savefig(os.path.join(figs, "reddi_regret.png"), dpi=160, bbox_inches="tight")
    fig = rl.plots.proof_breaks(runs[0])
    fig.savefig(os.path.join(figs, "reddi_proof_breaks.png"), dpi=160, bbox_inches="tight")
    table = rl.verify(runs[0], ["theorem_4_1", "proof_assumption"])
    print(table[["claim", "status", "first_violation", "growth", "slope", "R_T", "bound_T"]].to_string(index=False))

    spec = experiments.load_spec(os.path.join(HERE, "sweeps", "reddi_phase.toml")).spec
    if args.quick:
        spec = dict(spec, T=10**4, name="reddi_phase_quick")
        spec["learners"] = {"adam": dict(spec["learners"]["adam"], beta2={"logspace": [-2, -0.0043648054, 3]})}
        spec["streams"] = {"reddi": {"type": "reddi", "C": {"linspace": [2.5, 10.0, 3]}}}
    out = os.path.join(args.out, "sweeps", spec["name"])
    experiments.run_sweep(spec, out, quiet=True)
    summary = experiments.load(out, kind="summary")
    fig = rl.plots.phase_diagram(summary, x="learner.beta2", y="stream.C", value="slope", annotate=True)
    fig.savefig(os.path.join(figs, "reddi_phase.png"), dpi=160, bbox_inches="tight")
    print(f"wrote {figs}/reddi_regret.png, reddi_proof_breaks.png, reddi_phase.png")


if __name__ == "__main__":
    main()
