"""Property tests (hypothesis) of the game: random valid games keep every invariant of the regret
bookkeeping (tests/strategies.py).  Random invalid input is tested where it belongs: tests/learners,
tests/streams, tests/domains and tests/game/test_play.py.

Compile budget: every (learner options, stream, domain) combination costs one cold Numba compile
(~4 s), so the numeric hyperparameters (which never recompile) are drawn freely while the
combinations are fixed: every learner with its default options on linear losses over a Box, the
weighted-projection learners also over a Ball, Adam against every stream family, and a few named
options (bias correction, eps mode, lazy, AMSGrad's variant, Euclidean projection).
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

import regretlab as rl
from catalogue import LEARNERS, column
from strategies import (ALL_LEARNERS, LEARNER_IDS, balls, boxes, check_invariants, checkpoint_choice, domains, fl,
                        gradient_arrays, horizons, inside, learners, seed_lists, start)


def _play(learner, stream, T, seeds, x0, checkpoints):
    return rl.play(learner, stream, T, seeds=seeds, x0=x0, checkpoints=checkpoints)


# =============================================================================== valid games

WEIGHTED_BALL = tuple(getattr(rl, n) for n, e in LEARNERS.items() if e.weighted)  # also played over a Ball


@pytest.mark.parametrize("cls", ALL_LEARNERS, ids=LEARNER_IDS)
@given(data=st.data())
def test_every_learner_on_linear_losses_keeps_the_invariants(cls, data):
    T = data.draw(horizons, "T")
    d = data.draw(st.integers(1, 4), "d")
    learner = data.draw(learners(cls), "learner")
    domain = data.draw(domains(d, ball=cls in WEIGHTED_BALL), "domain")
    grads = data.draw(gradient_arrays(T + data.draw(st.integers(0, 3)), d), "grads")
    stream = rl.streams.linear(grads, domain=domain, x0=start(domain))
    x0 = data.draw(inside(domain), "x0")
    runs = _play(learner, stream, T, data.draw(seed_lists, "seeds"), x0, data.draw(checkpoint_choice(T), "ck"))
    check_invariants(runs)
    # the comparator's statistic is the replayed gradient sum S_T = sum_t g_t
    S_T = grads[:T].sum(axis=0)
    np.testing.assert_allclose(runs.suff[:, -1, :d], np.broadcast_to(S_T, (runs.n_seeds, d)), rtol=1e-12,
                               atol=1e-12 * np.abs(grads).sum())


STREAM_KINDS = ["random_sign", "reddi", "periodic_linear", "quadratic", "linear", "stochastic_linear",
                "sparse_linear"]


@st.composite
def streams_of(draw, kind):
    """A stream of the given family with random parameters, on Boxes and (where it takes one) Balls."""
    if kind == "random_sign":
        return rl.streams.random_sign(d=draw(st.integers(1, 4)), radius=draw(st.floats(0.1, 3)),
                                      G=draw(st.floats(0.1, 5)))
    if kind == "reddi":
        return rl.streams.reddi(C=draw(st.floats(2.0, 10.0, exclude_min=True)))
    if kind == "periodic_linear":
        d = draw(st.integers(1, 3))
        return rl.streams.periodic_linear(draw(fl(-20, 20)), draw(fl(-20, 20)), draw(st.integers(1, 7)),
                                          domain=draw(boxes(d)))
    if kind == "quadratic":
        d = draw(st.integers(1, 3))
        dom = draw(domains(d))
        return rl.streams.quadratic(draw(st.lists(fl(-3, 3), min_size=d, max_size=d)),
                                    sigma=draw(st.one_of(st.just(0.0), st.floats(0.01, 2.0))),
                                    domain=dom, x0=start(dom))
    if kind == "linear":
        d = draw(st.integers(1, 3))
        dom = draw(domains(d))
        return rl.streams.linear(draw(gradient_arrays(300, d)), domain=dom, x0=start(dom))
    if kind == "stochastic_linear":
        d = draw(st.integers(1, 3))
        return rl.streams.stochastic_linear(draw(fl(-20, 20)), draw(fl(-20, 20)), draw(st.floats(0.0, 1.0)),
                                            domain=draw(boxes(d)))
    assert kind == "sparse_linear"
    d = draw(st.integers(1, 6))
    return rl.streams.sparse_linear(d=d, nnz=draw(st.integers(1, d)), zipf=draw(st.floats(0.0, 2.0)),
                                    G=draw(st.floats(0.1, 3)), radius=draw(st.floats(0.1, 3)))


@pytest.mark.parametrize("kind", STREAM_KINDS)
@given(data=st.data())
def test_adam_against_every_stream_family_keeps_the_invariants(kind, data):
    stream = data.draw(streams_of(kind), "stream")
    event(f"{stream.name} on {type(stream.domain).__name__}")
    T = data.draw(horizons, "T")
    learner = data.draw(learners(rl.Adam), "learner")
    x0 = data.draw(inside(stream.domain), "x0")
    runs = _play(learner, stream, T, data.draw(seed_lists, "seeds"), x0, data.draw(checkpoint_choice(T), "ck"))
    check_invariants(runs)


#: the catalogue's named options (each compiled mode is one kernel), where possible on the domain that
#: tests/game/test_kernel_vs_naive.py pairs them with, so that a full test run compiles each combination once
MODES = [(getattr(rl, n), options, dom) for n, (options, dom) in column("modes")]


@pytest.mark.parametrize("cls,options,dom", MODES,
                         ids=[f"{c.__name__}-{'-'.join(map(str, o.values()))}-{d}" for c, o, d in MODES])
@given(data=st.data())
@settings(max_examples=15)
def test_named_options_keep_the_invariants(cls, options, dom, data):
    T = data.draw(horizons, "T")
    d = data.draw(st.integers(1, 4), "d")
    learner = data.draw(learners(cls), "learner").replace(**options)
    domain = data.draw(boxes(d) if dom == "box" else balls(d), "domain")
    grads = data.draw(gradient_arrays(T, d), "grads")
    runs = _play(learner, rl.streams.linear(grads, domain=domain, x0=start(domain)), T,
                 data.draw(seed_lists, "seeds"), data.draw(inside(domain), "x0"), data.draw(checkpoint_choice(T), "ck"))
    check_invariants(runs)
    if options.get("lazy"):
        # lazy Adam leaves a coordinate whose gradient is exactly 0 untouched: theta stays at x0 until then
        first = np.argmax(grads != 0, axis=0)
        never = ~np.any(grads != 0, axis=0)
        if runs.theta_path is not None:
            for i in range(d):
                upto = T if never[i] else first[i]
                sel = runs.t < upto + 1  # theta_{t+1} for t <= first nonzero round - 1
                assert np.all(runs.theta_path[:, sel, i] == runs.x0[i])
