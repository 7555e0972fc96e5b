"""Deprecated: the engine is now :mod:`regretlab.game` (``kernel``: the loop; ``boundary``: ``play``).

Kept so that ``from regretlab.engine import play`` still works; it warns once and names the
replacement.  Use ``regretlab.play`` / ``regretlab.play_many`` or ``regretlab.game``.
"""
import warnings

from .game import T_MAX, NonFiniteError, continue_runs, default_checkpoints, play, play_many  # noqa: F401

warnings.warn("regretlab.engine is deprecated: use regretlab.play / regretlab.play_many, or regretlab.game "
              "(regretlab.game.kernel for the compiled loop, regretlab.game.boundary for play)",
              FutureWarning, stacklevel=2)
