"""Experiments: sweeps and the verification suite, run durably on any executor.

- :mod:`.spec`: a sweep as data (TOML or dict), checked and expanded into tasks with
  identity-derived seeds (:func:`load_spec`, :class:`SpecError`).
- :mod:`.sweeps`: one sweep task played (:func:`run_task`) and a whole sweep run into a results
  folder (:func:`run_sweep`).
- :mod:`.suite`: the verification suite as data (``suite.toml``) and one experiment of it run
  (:func:`~regretlab.experiments.suite.run_experiment`).
- :mod:`.executors`: where tasks run (this process, a process pool, a Dask cluster).
- :mod:`.storage`: atomic Parquet files and manifests, so an interrupted run resumes and loses
  nothing (:func:`load` reads a sweep folder back, :func:`failures` its failed tasks).
"""
from .spec import LEARNERS, MAX_AXIS, STREAMS, TOP_KEYS, SpecError, Sweep, Task, load_spec, run_seed  # noqa: F401
from .storage import MANIFEST, failures, load  # noqa: F401
from .sweeps import run_sweep, run_task  # noqa: F401

__all__ = ["LEARNERS", "STREAMS", "SpecError", "Sweep", "Task", "failures", "load", "load_spec", "run_seed",
           "run_sweep", "run_task"]
