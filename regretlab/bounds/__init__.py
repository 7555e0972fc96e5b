"""Regret bounds and the papers' other claims, evaluated on a run's own statistics.

One module per source:

* :mod:`.base`: :class:`Bound` and :class:`Check`, the trivial bound G D t, and the helpers;
* :mod:`.kingma_ba`: Kingma & Ba's Theorem 4.1 and Corollary 4.2, and the claims of its proof
  (``proof_assumption``, ``step_size``, ``lemma_10_3``, ``lemma_10_4``);
* :mod:`.amsgrad`: Reddi et al.'s Theorem 4 and Corollary 1, and Tran & Phong's bound;
* :mod:`.baselines`: OGD, AdaGrad, and the random-sign reference value.

Each bound takes a :class:`~regretlab.runs.Runs` (or a Run) and returns a :class:`Bound`: its value
at every checkpoint of every seed, term by term, the constants used, and whether the theorem's
assumptions hold for this run (``value = None`` and the reasons when they do not).  The statistics
they read are the run's records (``regretlab.recorders``: the default recording of ``play``).

:data:`ALL` names every bound and :data:`CHECKS` every check, for ``verify``, the plots and the
sweeps; :func:`register_bound` and :func:`register_check` add a user's own.
"""
import inspect

from .amsgrad import AMS_ALGORITHM, amsgrad_corollary_1, amsgrad_theorem_4, tran_phong
from .base import FORMS, NOT_ANALYSED, Bound, Check, sum_inv_sqrt, trivial_bound
from .baselines import ADAGRAD_ALGORITHM, OGD_ALGORITHM, adagrad, lower, ogd, random_sign_lower
from .kingma_ba import KB_ALGORITHM, corollary_4_2, lemma_10_3, lemma_10_4, proof_assumption, step_size, theorem_4_1

#: every bound by name: upper bounds and reference values (``kind`` of the Bound they return)
ALL = {
    "theorem_4_1": theorem_4_1,
    "corollary_4_2": corollary_4_2,
    "amsgrad_theorem_4": amsgrad_theorem_4,
    "amsgrad_corollary_1": amsgrad_corollary_1,
    "tran_phong": tran_phong,
    "ogd": ogd,
    "adagrad": adagrad,
    "random_sign_lower": random_sign_lower,
}
#: the reference values among :data:`ALL` (an expected regret, not an upper bound)
REFERENCES = {"random_sign_lower"}

#: the checks of :func:`regretlab.verify` besides the bounds, by name (lemma_10_4 gives two rows)
CHECKS = {
    "proof_assumption": proof_assumption,
    "step_size": step_size,
    "lemma_10_3": lemma_10_3,
    "lemma_10_4": lemma_10_4,
}


def upper():
    """The names of the upper bounds of :data:`ALL` (every bound but the reference values)."""
    return tuple(n for n in ALL if n not in REFERENCES)


def evaluate(name, runs, spread="domain"):
    """The bound ``name`` of :data:`ALL` on ``runs``, with ``spread`` where the bound takes one."""
    fn = ALL[name]
    return fn(runs, spread=spread) if "spread" in inspect.signature(fn).parameters else fn(runs)


def register_bound(name, fn, *, reference=False):
    """Add a bound ``fn(runs[, spread=...]) -> Bound`` under ``name`` (for verify, plots and sweeps)."""
    if not callable(fn):
        raise ValueError(f"bound {name!r} must be a function returning a Bound, got {fn!r}")
    ALL[str(name)] = fn
    (REFERENCES.add if reference else REFERENCES.discard)(str(name))
    return fn


def register_check(name, fn):
    """Add a check ``fn(runs) -> Check`` (or a list of them) under ``name`` (for verify)."""
    if not callable(fn):
        raise ValueError(f"check {name!r} must be a function returning a Check, got {fn!r}")
    CHECKS[str(name)] = fn
    return fn


__all__ = ["Bound", "Check", "FORMS", "NOT_ANALYSED", "sum_inv_sqrt", "trivial_bound", "theorem_4_1", "corollary_4_2",
           "amsgrad_theorem_4", "amsgrad_corollary_1", "tran_phong", "ogd", "adagrad", "random_sign_lower", "lower",
           "proof_assumption", "step_size", "lemma_10_3", "lemma_10_4", "ALL", "CHECKS", "REFERENCES", "upper",
           "evaluate", "register_bound", "register_check", "KB_ALGORITHM", "AMS_ALGORITHM", "OGD_ALGORITHM",
           "ADAGRAD_ALGORITHM"]
