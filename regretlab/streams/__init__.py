"""Loss streams: each carries its feasible set, its default start, the gradient bounds it declares
a priori, its loss family (which fixes the comparator) and a compiled round function registered
with :func:`regretlab.register_stream`.

* :mod:`.base`: :class:`Stream`, what every stream is;
* :mod:`.linear_losses`: Reddi et al.'s counterexamples, random signs, replayed and sparse gradients,
  stochastic and adaptive adversaries;
* :mod:`.quadratic_losses`: noisy and non-stationary quadratic targets;
* :mod:`.data`: logistic, hinge, absolute and quadratic losses on a user's arrays, and ``digits``;
* :mod:`.synthetic`: generated logistic data, dense or sparse, fixed or drifting.
"""
from .base import Stream
from .data import absolute, digits, hinge, logistic, quadratic_data
from .linear_losses import (expected_sign_regret, linear, momentum_adversary, periodic_linear, random_sign,
                            reddi, reddi_stochastic, sparse_linear, stochastic_linear)
from .quadratic_losses import drifting_quadratic, periodic_quadratic, quadratic, switching_quadratic
from .synthetic import drifting_logistic, sparse_logistic, synthetic_logistic

#: the streams a sweep file or the verification suite can name: every constructor whose parameters are
#: numbers, lists of numbers or strings (the data streams taking a user's arrays are built in Python)
CATALOGUE = {fn.__name__: fn for fn in (
    reddi, periodic_linear, random_sign, quadratic, stochastic_linear, reddi_stochastic, momentum_adversary,
    sparse_linear, sparse_logistic, synthetic_logistic, drifting_logistic, drifting_quadratic, switching_quadratic,
    periodic_quadratic, digits)}

__all__ = ["CATALOGUE", "Stream", "absolute", "digits", "hinge", "logistic", "quadratic_data", "expected_sign_regret", "linear",
           "momentum_adversary", "periodic_linear", "random_sign", "reddi", "reddi_stochastic", "sparse_linear",
           "stochastic_linear", "drifting_quadratic", "periodic_quadratic", "quadratic", "switching_quadratic",
           "drifting_logistic", "sparse_logistic", "synthetic_logistic"]
