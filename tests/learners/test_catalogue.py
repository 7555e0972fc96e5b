"""tests/catalogue.py, the tests' one table of learners, covers every learner of regretlab."""
from dataclasses import fields

import naive
import regretlab as rl
from catalogue import INVALID, LEARNERS, NUMERIC


def test_the_catalogue_has_every_learner_of_the_package():
    """A learner added to regretlab.learners.CATALOGUE without test configurations fails here."""
    assert list(LEARNERS) == list(rl.learners.CATALOGUE)
    assert set(naive._MAKERS) == set(LEARNERS)  # and a naive reference


def test_every_learner_has_test_configurations():
    for name, entry in LEARNERS.items():
        cls = rl.learners.CATALOGUE[name]
        hyper = {f.name for f in fields(cls)}
        assert set(entry.defaults) <= hyper, name  # the naive reference has no lazy mode, AdaMax no schedule
        assert entry.typical and entry.reference, name
        assert {r.linear for r in entry.reference} <= {"box", "ball", "free"}, name
        configs = [entry.typical] + [r.hp for r in entry.reference] + [hp for hp, _ in entry.extreme] + \
            list(entry.zero_denominator) + [o for o, _ in entry.modes] + [kw for kw, _ in entry.invalid]
        for hp in configs:
            assert set(hp) <= hyper, (name, hp)
        for hp in configs[:-len(entry.invalid) or None]:
            cls(**hp)  # every configuration but the invalid ones is valid
        assert set(cls.Params._fields) <= set(NUMERIC), name


def test_every_hyperparameter_has_a_documented_invalid_set():
    for cls in rl.learners.CATALOGUE.values():
        assert {f.name for f in fields(cls)} <= set(INVALID), cls
