"""regretlab: the empirical study of regret in online convex optimization.

Numba-compiled learners (above all Adam with the decaying schedules of its
convergence theorem) play streams of convex losses in one compiled loop per
game; the toolkit computes the exact regret against the best fixed point in
hindsight and the statistics every bound needs.  See THEORY.md for every formula.
"""
from . import bounds, domains, hindsight, recorders, stats, streams
from ._registry import register_domain, register_learner, register_recorder, register_stream
from .domains import Ball, Box, Unconstrained
from .game import NonFiniteError, default_checkpoints, play, play_many
from .learners import AdaGrad, AdaMax, Adam, AdamNC, AMSGrad, Learner, NesterovSGD, OGD, RMSProp
from .runs import Run, Runs
from .verification import verify

__version__ = "0.2.0"

_LAZY = {"plots", "experiments", "report", "solvers", "verification"}


def __getattr__(name):
    # matplotlib, pandas and SciPy's solvers load on first use, not at ``import regretlab``
    import importlib

    if name in _LAZY:
        return importlib.import_module(f".{name}", __name__)
    if name == "load":
        from .experiments import load

        return load
    if name == "run_sweep":
        from .experiments import run_sweep

        return run_sweep
    raise AttributeError(f"module 'regretlab' has no attribute {name!r}")

__all__ = [
    "Adam", "AMSGrad", "AdaMax", "AdaGrad", "RMSProp", "OGD", "AdamNC", "NesterovSGD", "Learner",
    "Box", "Ball", "Unconstrained", "play", "play_many", "Run", "Runs", "NonFiniteError",
    "streams", "domains", "hindsight", "recorders", "register_learner", "register_stream", "register_domain",
    "register_recorder",
    "default_checkpoints", "bounds", "stats", "verify", "plots", "experiments", "load", "run_sweep",
]
