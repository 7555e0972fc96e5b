"""The one learner catalogue of the tests, in the spirit of optax's single `_OPTIMIZERS_UNDER_TEST` table.

Every learner class of regretlab (regretlab.learners.CATALOGUE; tests/learners/test_catalogue.py fails when
one is missing here) with its named test configurations, one row per learner:

  defaults          the documented defaults (SEMANTICS.md); tests/naive.py resolves its hyperparameters
                    against them
  weighted          projects in its own norm: the property tests also play it over a Ball
  nullable          hyperparameters that also accept None (a documented default resolved later)
  typical           a moderate, valid hyperparameter set with the default options
  reference         configurations compared with the naive reference: (hp, domain of the linear-loss
                    comparison, domain of the quadratic-loss comparison or None)
  modes             named options (each compiled mode is one kernel) played under hypothesis: (options, domain)
  extreme           extreme-but-valid hyperparameters compared with the naive reference: (hp, rtol or None)
  zero_denominator  hyperparameters whose denominator is 0 while a coordinate has seen only zero gradients
  invalid           invalid hyperparameters with the text their ValueError must contain

and, per hyperparameter name, the range the property tests draw valid values from (NUMERIC) and the
complement of its documented valid set (INVALID).

Nothing here imports regretlab: learners are named by their class names (tests/naive.py imports this
module and stays independent of the package).
"""
from __future__ import annotations

import math
from typing import NamedTuple

from hypothesis import strategies as st


class Ref(NamedTuple):
    hp: dict
    linear: str  # "box", "ball" or "free"
    quadratic: str | None = None  # "ball", "box" or None: not compared on quadratic losses


class Entry(NamedTuple):
    defaults: dict
    typical: dict
    reference: tuple = ()
    modes: tuple = ()
    extreme: tuple = ()
    zero_denominator: tuple = ()
    invalid: tuple = ()
    weighted: bool = False
    nullable: tuple = ()


B2 = 0.999999
#: Adam's bias corrections 1 - beta^t cancel when beta -> 1: any float64 evaluation of beta^t (the engine's
#: running product or the reference's pow) is off by an ulp or a few, which 1 - beta^t ~ t (1 - beta) turns
#: into a relative error of ~2e-11 at beta = 0.999999 (measured against exact rationals; -expm1(t log1p(beta - 1))
#: would be exact to ~2e-16).  The engine and the reference may therefore differ by ~1e-11 there.
RTOL_BIAS = 1e-9

# Each (learner mode, stream, domain) combination compiles its own kernel (~3 s), so the reference
# configurations rotate through the domains instead of forming a full cross product; every learner still
# meets every domain across the linear and quadratic comparisons.  Where possible a mode is played under
# hypothesis on the domain its reference configuration uses, so a full run compiles each combination once.
LEARNERS = {
    "Adam": Entry(
        defaults=dict(alpha=0.001, beta1=0.9, beta2=0.999, eps=1e-8, lam=None,
                      schedule="theorem", bias_correction="paper", eps_mode="paper"),
        typical=dict(alpha=0.05, beta1=0.9, beta2=0.99, eps=1e-8),
        reference=(
            Ref({}, "box", "ball"),
            Ref(dict(alpha=0.05, beta1=0.9, beta2=0.999, eps=1e-8, lam=0.99), "ball"),
            Ref(dict(alpha=0.05, beta1=0.5, beta2=0.9, eps=0.0, lam=0.9, bias_correction="none"), "free", "ball"),
            Ref(dict(alpha=0.05, beta1=0.7, beta2=0.95, eps=1e-3, lam=0.999, bias_correction="current"), "box",
                "box"),
            Ref(dict(alpha=0.05, beta1=0.9, beta2=0.999, eps=1e-3, eps_mode="hat"), "ball", "ball"),
            Ref(dict(alpha=0.05, beta1=0.9, beta2=0.999, eps=1e-8, schedule="constant"), "free"),
        ),
        modes=((dict(bias_correction="current"), "box"), (dict(lazy=True), "box"), (dict(eps_mode="hat"), "ball")),
        extreme=(
            (dict(alpha=0.05, beta1=0.9, beta2=B2, eps=1e-8), RTOL_BIAS),  # beta2 -> 1
            (dict(alpha=0.05, beta1=0.9, beta2=B2, eps=0.0), RTOL_BIAS),
            (dict(alpha=0.05, beta1=0.5, beta2=0.9, eps=0.0), None),  # eps = 0
            (dict(alpha=0.05, beta1=0.9, beta2=0.99, lam=1e-12), None),  # lambda -> 0: beta1_t underflows to 0
            (dict(alpha=0.05, beta1=0.9, beta2=0.99, lam=1.0 - 1e-15), None),  # lambda -> 1
            # beta1 -> 1 with beta2 -> 1: the bias corrections 1 - beta^t start near 1e-6
            (dict(alpha=0.05, beta1=B2, beta2=B2, eps=0.0), RTOL_BIAS),
        ),
        zero_denominator=(dict(eps=0.0, alpha=0.01),),
        invalid=(
            (dict(alpha=0), "alpha"), (dict(alpha=-1), "alpha"), (dict(beta1=1.0), "beta1"),
            (dict(beta2=-0.1), "beta2"), (dict(eps=-1e-8), "eps"), (dict(eps=float("nan")), "eps"),
            (dict(lam=0.0), "lam"), (dict(lam=1.5), "lam"), (dict(schedule="cosine"), "schedule"),
            (dict(bias_correction="torch"), "bias_correction"), (dict(eps_mode="inside"), "eps_mode"),
            (dict(alpha="0.1"), "alpha"),
        ),
        weighted=True,
        nullable=("lam",),
    ),
    "AMSGrad": Entry(
        defaults=dict(alpha=0.001, beta1=0.9, beta2=0.999, eps=0.0, lam=1.0,
                      schedule="theorem", variant="paper", projection="weighted"),
        typical=dict(alpha=0.05, beta1=0.9, beta2=0.99),
        reference=(
            Ref(dict(alpha=0.05, beta1=0.9, beta2=0.99), "box", "ball"),
            Ref(dict(alpha=0.05, beta1=0.5, beta2=0.99, eps=1e-6, lam=0.99, variant="corrected"), "ball", "box"),
            Ref(dict(alpha=0.05, beta1=0.5, beta2=0.99, projection="euclidean", schedule="constant"), "free"),
        ),
        # projection="euclidean" is a runtime flag: the default AMSGrad kernel
        modes=((dict(variant="corrected"), "ball"), (dict(projection="euclidean"), "ball")),
        extreme=(
            (dict(alpha=0.05, beta1=0.9, beta2=B2), None),
            (dict(alpha=0.05, beta1=0.5, beta2=0.9, eps=0.0), None),
            (dict(alpha=0.05, beta1=0.9, beta2=0.99, lam=1e-12), None),
            (dict(alpha=0.05, beta1=0.9, beta2=0.99, lam=1.0 - 1e-15), None),
        ),
        zero_denominator=(dict(alpha=0.01),),
        invalid=((dict(variant="max"), "variant"),),
        weighted=True,
    ),
    "AdaMax": Entry(
        defaults=dict(alpha=0.002, beta1=0.9, beta2=0.999, eps=0.0),
        typical=dict(alpha=0.02, beta1=0.9, beta2=0.999),
        reference=(
            Ref(dict(alpha=0.02), "box", "box"),
            Ref(dict(alpha=0.02, beta1=0.5, beta2=0.9, eps=1e-4), "ball"),
        ),
        extreme=(
            (dict(alpha=0.02, beta1=0.9, beta2=B2), None),
            (dict(alpha=0.05, beta1=0.5, beta2=0.9, eps=0.0), None),
        ),
        zero_denominator=({},),
    ),
    "AdaGrad": Entry(
        defaults=dict(alpha=0.01, delta=0.0, schedule="constant"),
        typical=dict(alpha=0.3),
        reference=(
            Ref(dict(alpha=0.3), "free", "box"),
            Ref(dict(alpha=0.3, delta=0.1, schedule="theorem"), "box"),
        ),
        extreme=((dict(alpha=0.3, delta=0.0), None),),
        invalid=((dict(delta=-1), "delta"),),
    ),
    "RMSProp": Entry(
        defaults=dict(alpha=0.01, beta2=0.99, eps=1e-8, schedule="constant"),
        typical=dict(alpha=0.02, beta2=0.9),
        reference=(
            Ref(dict(alpha=0.02), "ball"),
            Ref(dict(alpha=0.2, beta2=0.5, eps=0.0, schedule="theorem"), "free", "ball"),
        ),
        extreme=(
            (dict(alpha=0.05, beta2=B2, eps=0.0), None),
            (dict(alpha=0.05, beta2=0.9, eps=0.0), None),
        ),
    ),
    "OGD": Entry(
        defaults=dict(alpha=0.1, schedule="theorem"),
        typical=dict(alpha=0.1),
        reference=(
            Ref(dict(alpha=0.1), "box", "box"),
            Ref(dict(alpha=0.01, schedule="constant"), "ball"),
        ),
    ),
    "AdamNC": Entry(
        defaults=dict(alpha=0.001, beta1=0.9, lam=1.0, eps=0.0,
                      schedule="theorem", projection="weighted"),
        typical=dict(alpha=0.1, beta1=0.9),
        reference=(
            Ref(dict(alpha=0.1, beta1=0.9), "free", "box"),
            Ref(dict(alpha=0.1, beta1=0.5, lam=0.9, eps=1e-6, projection="euclidean"), "box", "ball"),
        ),
        modes=((dict(projection="euclidean"), "ball"),),  # a runtime flag: the default AdamNC kernel
        extreme=(
            (dict(alpha=0.05, beta1=0.5, eps=0.0), None),
            (dict(alpha=0.05, beta1=0.9, lam=1e-12), None),
            (dict(alpha=0.05, beta1=0.9, lam=1.0 - 1e-15), None),
        ),
        weighted=True,
    ),
    "NesterovSGD": Entry(
        defaults=dict(alpha=0.01, momentum=0.9, schedule="constant"),
        typical=dict(alpha=0.01, momentum=0.9),
        reference=(
            Ref(dict(alpha=0.01), "ball"),
            Ref(dict(alpha=0.1, momentum=0.5, schedule="theorem"), "free", "ball"),
        ),
        invalid=((dict(momentum=1.0), "momentum"),),
    ),
}

NAMES = list(LEARNERS)
DEFAULTS = {name: e.defaults for name, e in LEARNERS.items()}
TYPICAL = {name: e.typical for name, e in LEARNERS.items()}


def column(field):
    """[(learner name, item)] for every item of the named tuple-valued column, in catalogue order."""
    return [(name, item) for name, e in LEARNERS.items() for item in getattr(e, field)]


# =============================================================================== per hyperparameter

def _unit():  # [0, 1), without the subnormal and tiny values test_extremes.py takes care of
    return st.one_of(st.just(0.0), st.floats(1e-6, 1.0, exclude_max=True))


#: the documented range of every numeric hyperparameter (the learners' docstrings / SEMANTICS.md), as drawn by
#: the property tests
NUMERIC = {
    "alpha": st.floats(1e-4, 1e2),  # (0, inf); bounded so no step overflows float64
    "beta1": _unit(),
    "beta2": _unit(),
    "momentum": _unit(),
    "eps": st.one_of(st.just(0.0), st.floats(1e-12, 1.0)),  # [0, inf)
    "delta": st.one_of(st.just(0.0), st.floats(1e-12, 10.0)),  # [0, inf)
    "lam": st.floats(0.0, 1.0, exclude_min=True),  # (0, 1]
}

_NOT_A_NUMBER = st.one_of(st.text(max_size=4), st.booleans(), st.complex_numbers(max_magnitude=2),
                          st.lists(st.floats(0.1, 0.5), min_size=1, max_size=2), st.just({}), st.just(b"0.5"))


def _bad_real(lo, hi, lo_open, hi_open, none_ok=False):
    below = st.floats(max_value=lo).filter(lambda v: v < lo or (lo_open and v == lo))
    above = st.floats(min_value=hi, allow_nan=False).filter(lambda v: v > hi or (hi_open and v == hi)) \
        if math.isfinite(hi) else st.just(math.inf) if hi_open else st.nothing()
    opts = [below, above, st.just(math.nan), st.just(-math.inf), _NOT_A_NUMBER]
    if not none_ok:
        opts.append(st.none())
    return st.one_of(*opts)


def _bad_choice(options):
    return st.one_of(st.text(max_size=8), st.integers(2, 5), st.none(), st.floats(allow_nan=False)).filter(
        lambda v: v not in options)


#: the documented valid set of every real hyperparameter: (lo, hi, lo excluded, hi excluded)
REAL = {
    "alpha": (0.0, math.inf, True, True),
    "beta1": (0.0, 1.0, False, True),
    "beta2": (0.0, 1.0, False, True),
    "momentum": (0.0, 1.0, False, True),
    "eps": (0.0, math.inf, False, True),
    "delta": (0.0, math.inf, False, True),
    "lam": (0.0, 1.0, True, False),
}
#: ... and of every option
CHOICE = {
    "schedule": ("theorem", "constant"),
    "bias_correction": ("paper", "none", "current"),
    "eps_mode": ("paper", "hat"),
    "variant": ("paper", "corrected"),
    "projection": ("weighted", "euclidean"),
    "lazy": (False, True),
}
#: every hyperparameter of every learner, with the complement of its documented valid set
INVALID = {**{n: _bad_real(*r) for n, r in REAL.items()}, **{n: _bad_choice(c) for n, c in CHOICE.items()}}


def invalid_values(learner, name):
    """The invalid values of hyperparameter `name` of `learner` (None is valid where it is nullable)."""
    if name in LEARNERS[learner].nullable:
        return _bad_real(*REAL[name], none_ok=True)
    return INVALID[name]
