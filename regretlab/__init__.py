"""regretlab: the empirical study of regret in online convex optimization.

Numba-compiled learners (above all Adam with the decaying schedules of its
convergence theorem) play streams of convex losses in one compiled loop per
game; the toolkit computes the exact regret against the best fixed point in
hindsight and the statistics every bound needs.  See THEORY.md for every formula.
"""
from . import bounds, domains, hindsight, streams
from ._registry import register_domain, register_learner, register_stream
from .domains import Ball, Box, Unconstrained
from .engine import NonFiniteError, default_checkpoints, play, play_many
from .learners import AdaGrad, AdaMax, Adam, AdamNC, AMSGrad, Learner, NesterovSGD, OGD, RMSProp
from .runs import Run, Runs
from .verification import verify

__version__ = "0.1.0"

__all__ = [
    "Adam", "AMSGrad", "AdaMax", "AdaGrad", "RMSProp", "OGD", "AdamNC", "NesterovSGD", "Learner",
    "Box", "Ball", "Unconstrained", "play", "play_many", "Run", "Runs", "NonFiniteError",
    "streams", "domains", "hindsight", "register_learner", "register_stream", "register_domain",
    "default_checkpoints", "bounds", "verify",
]
