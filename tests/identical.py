"""Bit-for-bit comparison of two plays of one game by different loops (the trials-outer, batch and
pinned loops of regretlab.game.kernel must give the same numbers, not merely close ones), and a
record of which loop the boundary chose."""
import numpy as np


def arrays(r):
    """Every public array of a Runs (or Run), by name."""
    out = {"loss": r.loss, "best_loss": r.best_loss, "regret": r.regret, "theta": r.theta, "suff": r.suff}
    out.update({f"records.{k}": v for k, v in r.records.items()})
    out.update({f"final.{k}": v for k, v in r.final.items()})
    out.update({f"state.{k}": v for k, v in r.learner_state._asdict().items()})
    if r.theta_path is not None:
        out["theta_path"] = r.theta_path
    return out


def assert_identical(a, b, what):
    """The arrays of :func:`arrays` ``a`` and ``b`` have the same names, shapes and bytes."""
    assert a.keys() == b.keys(), what
    for k in a:
        x, y = np.asarray(a[k]), np.asarray(b[k])
        assert x.shape == y.shape and x.tobytes() == y.tobytes(), f"{what}: {k} differs"


def spy_kernel_choice(monkeypatch, flag):
    """A list that receives the ``flag`` ("batch" or "pinned") of every kernel the boundary picks."""
    from regretlab.game import boundary

    picked = []
    real = boundary.kernel_for

    def spy(*specs, sparse=False, batch=False, pinned=False):
        picked.append({"batch": batch, "pinned": pinned}[flag])
        return real(*specs, sparse=sparse, batch=batch, pinned=pinned)

    monkeypatch.setattr(boundary, "kernel_for", spy)
    return picked
