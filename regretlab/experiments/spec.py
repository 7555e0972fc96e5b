"""Sweep specifications: a grid of learners x streams x hyperparameters x seeds, as data.

A sweep is a TOML file or a dict::

    name = "smoke"
    T = 10000
    checkpoints = 40          # a count of log-spaced rounds, or a list of rounds
    seeds = 2                 # seeds per configuration (or a list of seed indices)
    root_seed = 0

    [learners.adam]
    type = "Adam"
    alpha = [0.1, 0.5]                     # a list: one configuration per value
    beta2 = {logspace = [-2, -1, 3]}       # 10^-2 .. 10^-1, 3 values
    beta1 = 0.0

    [streams.reddi]
    type = "reddi"
    C = {linspace = [3.0, 5.0, 3]}         # also {range = [start, stop, step]}

    [streams.switching]
    type = "switching_quadratic"
    targets = {value = [[0.5], [-0.5]]}    # {value = ...}: one value, here a list (not a grid axis)
    period = 100

:func:`load_spec` checks it (a :class:`SpecError` starts with the key path of what is wrong) and
expands it into :class:`Task` s: one configuration with all its seeds, one batched kernel call.
Each run's seed is derived from the root seed and the run's identity (its learner, stream,
parameters and seed index, not its position in the grid), so growing the grid never changes the
results of the runs already in it.
"""
from __future__ import annotations

import difflib
import hashlib
import inspect
import itertools
import json
import math
import os
from dataclasses import dataclass, fields

import numpy as np

from .. import learners as _learners
from .. import streams as _streams


LEARNERS = _learners.CATALOGUE
STREAMS = _streams.CATALOGUE
MAX_AXIS = 100_000  # values per grid axis
MAX_SEEDS = 1_000_000  # seeds per configuration (one task plays them all in one call)
MAX_TASKS = 1_000_000  # configurations of a sweep
TOP_KEYS = ("name", "T", "checkpoints", "seeds", "root_seed", "learners", "streams")


class SpecError(ValueError):
    """An invalid sweep specification; the message starts with the key path."""


def _near(word, options):
    m = difflib.get_close_matches(str(word), [str(o) for o in options], n=1, cutoff=0.5)
    return f" (did you mean {m[0]!r}?)" if m else ""


def _plain(v):
    """NumPy scalars and arrays of a dict spec as the Python numbers and lists TOML gives."""
    if isinstance(v, dict):
        return {k: _plain(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    if isinstance(v, np.ndarray):
        return _plain(v.tolist())
    if isinstance(v, np.generic):
        return v.item()
    return v


def _expand(path, value):
    """The list of values a grid entry stands for: a list is a grid axis, ``{value = x}`` one value
    (a list-valued parameter: ``targets = {value = [[0.5], [-0.5]]}``), a range table its values."""
    if isinstance(value, dict) and set(value) == {"value"}:
        return [value["value"]]
    if isinstance(value, dict):
        if len(value) != 1:
            raise SpecError(f"{path}: a table must be one of {{range = [start, stop, step]}}, "
                            f"{{linspace = [a, b, n]}}, {{logspace = [a, b, n]}}, {{value = x}}; got {value!r}")
        (kind, args), = value.items()
        if kind not in ("range", "linspace", "logspace"):
            raise SpecError(f"{path}: unknown range kind {kind!r}{_near(kind, ('range', 'linspace', 'logspace'))}")
        if not (isinstance(args, (list, tuple)) and len(args) == 3 and
                all(isinstance(a, (int, float)) and not isinstance(a, bool) for a in args)):
            raise SpecError(f"{path}.{kind} needs three numbers, got {args!r}")
        a, b, c = args
        if kind == "range":
            if c == 0 or (b - a) / c < 0:
                raise SpecError(f"{path}.range = {list(args)} is empty (step must move from start toward stop)")
            n = int(math.floor((b - a) / c + 1e-9)) + 1
            if n > MAX_AXIS:
                raise SpecError(f"{path}.range = {list(args)} has {n} values; at most {MAX_AXIS} per axis")
            vals = [a + i * c for i in range(n)]
            if all(isinstance(x, int) for x in args):
                vals = [int(v) for v in vals]
        else:
            if not float(c).is_integer() or c < 1 or c > MAX_AXIS:
                raise SpecError(f"{path}.{kind}: the count must be an integer in [1, {MAX_AXIS}], got {c!r}")
            vals = list(np.linspace(a, b, int(c)) if kind == "linspace" else np.logspace(a, b, int(c)))
            vals = [float(v) for v in vals]
        return vals
    if isinstance(value, list):
        if not value:
            raise SpecError(f"{path}: an empty list gives an empty grid")
        return list(value)
    return [value]


def _grid(section, entries, registry, path):
    """Expand ``{key: {type: ..., param: value|list|range}}`` into a list of (key, type, params)."""
    if not isinstance(entries, dict) or not entries:
        raise SpecError(f"{path}: needs at least one entry, e.g. [{path}.adam] with type = \"Adam\"")
    out = []
    for key, body in entries.items():
        p = f"{path}.{key}"
        if not isinstance(body, dict):
            raise SpecError(f"{p}: must be a table of parameters, got {body!r}")
        kind = body.get("type", key)
        if not isinstance(kind, str):
            raise SpecError(f"{p}.type: must be a string naming a {section}, got {kind!r}")
        if kind not in registry:
            raise SpecError(f"{p}.type: unknown {section} {kind!r}{_near(kind, registry)}; valid: {sorted(registry)}")
        target = registry[kind]
        params = [f.name for f in fields(target)] if section == "learner" else [
            n for n in inspect.signature(target).parameters if n not in ("domain", "x0")]
        axes = []
        for name, value in body.items():
            if name == "type":
                continue
            if name not in params:
                raise SpecError(f"{p}.{name}: {kind} has no parameter {name!r}{_near(name, params)}; "
                                f"valid: {params}")
            axes.append((name, _expand(f"{p}.{name}", value)))
        for combo in itertools.product(*(v for _, v in axes)):
            prm = dict(zip((n for n, _ in axes), combo))
            try:
                obj = target(**prm)
            except ValueError as exc:
                msg = str(exc)
                for n in prm:
                    if n in msg:
                        raise SpecError(f"{p}.{n}: {msg}") from None
                raise SpecError(f"{p}: {msg}") from None
            except TypeError as exc:
                raise SpecError(f"{p}: {exc}") from None
            out.append((key, kind, prm, obj))
    return out


@dataclass
class Task:
    """One configuration (learner x stream) with all its seeds."""

    task_id: str
    learner_key: str
    learner_type: str
    learner_params: dict
    stream_key: str
    stream_type: str
    stream_params: dict
    seed_indices: list
    seeds: list
    T: int
    checkpoints: object
    sweep: str


def _canon(obj):
    return json.dumps(obj, sort_keys=True, default=lambda o: o.tolist() if hasattr(o, "tolist") else str(o))


def run_seed(root_seed, identity, seed_index):
    """A run's seed: a hash of the root seed, the run's identity and its seed index (64 bits)."""
    h = hashlib.sha256(f"{int(root_seed)}|{identity}|{int(seed_index)}".encode()).digest()
    return int.from_bytes(h[:8], "little")


@dataclass
class Sweep:
    """A validated, expanded sweep specification."""

    spec: dict
    name: str
    T: int
    checkpoints: object
    seed_indices: list
    root_seed: int
    tasks: list

    @property
    def spec_hash(self):
        return hashlib.sha256(_canon(self.spec).encode()).hexdigest()[:16]

    @property
    def n_runs(self):
        return sum(len(t.seeds) for t in self.tasks)


def load_spec(spec):
    """A :class:`Sweep` from a dict, a TOML string or a path to a TOML file."""
    if isinstance(spec, (str, os.PathLike)):
        text = str(spec)
        if os.path.exists(text):
            with open(text, "rb") as fh:
                raw = fh.read()
            import tomllib

            try:
                spec = tomllib.loads(raw.decode())
            except tomllib.TOMLDecodeError as exc:
                raise SpecError(f"{text}: not valid TOML ({exc})") from None
        elif "\n" in text or "=" in text:
            import tomllib

            try:
                spec = tomllib.loads(text)
            except tomllib.TOMLDecodeError as exc:
                raise SpecError(f"not valid TOML ({exc})") from None
        else:
            raise SpecError(f"no sweep file {text!r}")
    if not isinstance(spec, dict):
        raise SpecError(f"a sweep spec must be a table (dict), got {type(spec).__name__}")
    for k in spec:
        if k not in TOP_KEYS:
            raise SpecError(f"{k}: unknown key{_near(k, TOP_KEYS)}; valid: {list(TOP_KEYS)}")
    for k in ("T", "learners", "streams"):
        if k not in spec:
            raise SpecError(f"{k}: missing (a sweep needs T, [learners.*] and [streams.*])")
    spec = {k: _plain(v) for k, v in spec.items()}
    T = spec["T"]
    from ..game import T_MAX

    if isinstance(T, bool) or not isinstance(T, (int, float)) or not math.isfinite(T) or \
            not float(T).is_integer() or not 1 <= T <= T_MAX:
        raise SpecError(f"T: must be an integer in [1, 2^53], got {T!r}")
    T = int(T)
    ck = spec.get("checkpoints", 200)
    if isinstance(ck, bool) or not (isinstance(ck, int) and ck >= 1 or
                                    isinstance(ck, list) and ck and all(isinstance(c, int) for c in ck)):
        raise SpecError(f"checkpoints: must be a positive count or a non-empty list of rounds, got {ck!r}")
    if isinstance(ck, list) and (min(ck) < 1 or max(ck) > T):
        raise SpecError(f"checkpoints: rounds must lie in [1, T={T}], got {min(ck)}..{max(ck)}")
    seeds = spec.get("seeds", 1)
    if isinstance(seeds, bool) or not (isinstance(seeds, int) and seeds >= 1 or
                                       isinstance(seeds, list) and seeds and
                                       all(isinstance(s, int) and s >= 0 for s in seeds)):
        raise SpecError(f"seeds: must be a positive count or a non-empty list of seed indices, got {seeds!r}")
    n_seeds = seeds if isinstance(seeds, int) else len(seeds)
    if n_seeds > MAX_SEEDS:
        raise SpecError(f"seeds: {n_seeds} per configuration; at most {MAX_SEEDS} (a task plays all its seeds in "
                        "one call, in memory): split them over several sweeps")
    seed_idx = list(range(seeds)) if isinstance(seeds, int) else list(seeds)
    if len(set(seed_idx)) != len(seed_idx):
        raise SpecError(f"seeds: the seed indices must be distinct, got {seeds!r}")
    root = spec.get("root_seed", 0)
    if isinstance(root, bool) or not isinstance(root, int) or root < 0:
        raise SpecError(f"root_seed: must be a non-negative integer, got {root!r}")
    name = str(spec.get("name", "sweep"))
    lg = _grid("learner", spec["learners"], LEARNERS, "learners")
    sg = _grid("stream", spec["streams"], STREAMS, "streams")
    if len(lg) * len(sg) > MAX_TASKS:
        raise SpecError(f"learners x streams: {len(lg)} x {len(sg)} = {len(lg) * len(sg)} configurations; at most "
                        f"{MAX_TASKS} in one sweep")
    tasks = []
    for (lk, lt, lp, _), (sk, stype, sp, _) in itertools.product(lg, sg):
        identity = _canon({"learner": lt, "lp": lp, "stream": stype, "sp": sp})
        tid = hashlib.sha256(identity.encode()).hexdigest()[:16]
        tasks.append(Task(tid, lk, lt, lp, sk, stype, sp, seed_idx,
                          [run_seed(root, identity, i) for i in seed_idx], T, ck, name))
    ids = [t.task_id for t in tasks]
    if len(set(ids)) != len(ids):
        raise SpecError("learners/streams: two entries describe the same configuration")
    return Sweep(spec, name, T, ck, seed_idx, root, tasks)
