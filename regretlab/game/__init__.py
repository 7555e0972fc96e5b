"""A game: the compiled loop (:mod:`.kernel`) and its boundary (:mod:`.boundary`)."""
from .boundary import T_MAX, Game, NonFiniteError, Scan, continue_runs, default_checkpoints, play, play_many

__all__ = ["play", "play_many", "continue_runs", "default_checkpoints", "NonFiniteError", "T_MAX", "Game", "Scan"]
