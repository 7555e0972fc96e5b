"""Writes the notebooks of this folder (stored without outputs).  Run: python notebooks/_build.py"""
import os

import nbformat as nbf

HERE = os.path.dirname(os.path.abspath(__file__))
SETUP = """import os
import numpy as np
import matplotlib
import regretlab as rl

QUICK = os.environ.get("REGRETLAB_NB_QUICK") == "1"   # the test suite runs the notebooks at small T
"""


def nb(name, cells):
    book = nbf.v4.new_notebook()
    book.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    book.cells = [nbf.v4.new_markdown_cell(c[3:]) if c.startswith("md:") else nbf.v4.new_code_cell(c.strip())
                  for c in cells]
    nbf.write(book, os.path.join(HERE, name))


nb("01_quickstart.ipynb", [
    "md:# Quickstart\n\nA learner plays a stream of convex losses inside one compiled loop; the run records "
    "the exact regret against the best fixed point in hindsight at every checkpoint, and the statistics "
    "every bound needs.",
    SETUP,
    """T = 10**4 if QUICK else 10**6
stream = rl.streams.reddi(C=3.0)                        # X = [-1, 1], theta_1 = 1
learner = rl.Adam(alpha=0.5, beta1=0.0, beta2=1 / (1 + 3.0**2))
runs = rl.play(learner, stream, T, seeds=range(4))
runs""",
    """print("checkpoints:", runs.t[:5], "...", runs.t[-1])
print("R(T) per seed:", runs.regret[:, -1])
print("R(T)/T:", runs.regret[0, -1] / T, " (Reddi et al.: -> (2C-4)/3 =", (2 * 3 - 4) / 3, ")")""",
    "md:## The bound of Theorem 4.1, evaluated on this run",
    """b = rl.bounds.theorem_4_1(runs)
print(b)
print("constants:", b.constants)
print("dominant term:", b.dominant_term())""",
    "md:## Verdicts with evidence",
    "md:Each row's `status` is one of holds, violated, vacuous, predicted violation, not applicable, "
    "inconclusive (THEORY.md section 9); `first_violation` is the first violating round, `growth` says whether "
    "R(t)/t tends to a positive slope `slope`, and `detail` gives the numbers behind the status.",
    """table = rl.verify(runs)
table[["claim", "status", "first_violation", "predicted_violation", "growth", "slope", "detail"]]""",
    """fig = rl.plots.regret(runs, bounds=["theorem_4_1"], lower=False)""",
])

nb("02_verifying_theorem_4_1.ipynb", [
    "md:# Verifying Theorem 4.1\n\nTheorem 4.1 of Kingma & Ba is false as printed: its proof assumes "
    "Gamma_{t,i} = sqrt(v_hat_{t,i})/alpha_t - sqrt(v_hat_{t-1,i})/alpha_{t-1} >= 0. Here we evaluate the "
    "bound term by term, find the first violation, count where the proof's assumption fails, and show how "
    "the choice of lambda makes the bound vacuous.",
    SETUP,
    """T = 3 * 10**4 if QUICK else 10**6
C = 3.0
runs = rl.play(rl.Adam(alpha=0.5, beta1=0.0, beta2=1 / (1 + C * C), eps=0.0), rl.streams.reddi(C), T)
b = rl.bounds.theorem_4_1(runs)
i1000 = np.searchsorted(runs.t, 1000)
print(f"R(1000) = {runs.regret[i1000]:.1f}, bound = {b.value[i1000]:.1f}")
for name, term in b.terms.items():
    print(f"  {name:28s} {term[i1000]:10.2f}")""",
    """row = rl.verify(runs, ["theorem_4_1", "proof_assumption"])
row[["claim", "status", "first_violation", "max_ratio", "gamma_neg_fraction", "first_gamma_neg", "detail"]]""",
    """fig = rl.plots.proof_breaks(runs)""",
    "md:## The effect of lambda\n\nWith beta1 > 0 the third term is d D_inf^2 G_inf sqrt(1-beta2) / "
    "(2 alpha (1-beta1)(1-lambda)^2); the paper's lambda = 1 - 1e-8 makes it about 1e16 times larger. A bound "
    "above G D T, the most regret any learner can have, is reported `vacuous`, not `holds`.",
    """s = rl.streams.random_sign(d=2)
for lam in (1 - 1e-8, 0.99, 0.9):
    r = rl.play(rl.Adam(alpha=0.2, beta1=0.9, beta2=0.99, eps=0.0, lam=lam), s, 10**4, seeds=range(4))
    row = rl.verify(r, ["theorem_4_1"]).iloc[0]
    print(f"lambda = {lam}: R(T) = {row.R_T:9.2f}   bound = {row.bound_T:.3g}   status: {row.status}"
          f" (bound / G D T = {row.vacuity:.3g})")""",
    "md:## A predicted violation, confirmed\n\nWith momentum (Reddi et al.'s Theorem 2 family) the regret "
    "grows linearly while the bound grows like sqrt(T): at T = 10^6 the bound still holds, but the crossing "
    "is predicted. `extend` continues the run (bit-identically to a longer fresh run) to find the exact "
    "first violating round.",
    """th2 = rl.play(rl.Adam(alpha=0.5, beta1=0.5, beta2=0.9, lam=0.5), rl.streams.periodic_linear(20.0, 1.0, 20),
           3 * 10**4 if QUICK else 10**6)
row = rl.verify(th2, ["theorem_4_1"]).iloc[0]
print(row.status, "at about T =", f"{row.predicted_violation:.3g}")
if not QUICK:
    row = rl.verify(th2, ["theorem_4_1"], extend=2 * 10**8).iloc[0]
    print(row.status, "first violating round", row.first_violation)
print(row.detail)""",
    "md:## Corollary 4.2: average regret",
    """fig = rl.plots.average_regret(runs)""",
])

nb("03_reddi_counterexample_and_amsgrad.ipynb", [
    "md:# Reddi et al.'s counterexample and AMSGrad\n\nTheorem 1: f_t(x) = C x if t mod 3 = 1 else -x on "
    "[-1, 1]. Adam with beta1 = 0, beta2 = 1/(1+C^2) returns to x = 1 every third round; AMSGrad converges "
    "to the optimum x = -1. Section 5's synthetic experiments follow.",
    SETUP,
    """T = 3 * 10**4 if QUICK else 10**6
C = 3.0
s = rl.streams.reddi(C)
adam = rl.play(rl.Adam(alpha=0.5, beta1=0.0, beta2=1 / (1 + C * C)), s, 3000, checkpoints=np.arange(1, 3001))
print("x_{3k+1} = 1 for every k:", bool(np.all(adam.theta_path[2::3, 0] == 1.0)))""",
    """learners = [rl.Adam(alpha=0.5, beta1=0.0, beta2=0.1), rl.AMSGrad(alpha=0.5, beta1=0.0, beta2=0.1),
            rl.OGD(alpha=0.5)]
all_runs = [rl.play(L, s, T, seeds=range(2)) for L in learners]
fig = rl.plots.compare(all_runs, bounds=["theorem_4_1", "amsgrad_theorem_4", "ogd"])""",
    """import pandas as pd
pd.concat([rl.verify(r, ["theorem_4_1", "amsgrad_theorem_4", "ogd", "sublinear_regret"]) for r in all_runs])[
    ["learner", "claim", "status", "first_violation", "growth", "slope", "R_T", "bound_T"]]""",
    "md:## Section 5: 1010 x once every 101 rounds, else -10 x (online and stochastic)",
    """online = rl.streams.periodic_linear(1010, 10, 101)
stoch = rl.streams.stochastic_linear(1010, 10, 0.01)
res = []
for st in (online, stoch):
    for L in (rl.Adam(alpha=0.5, beta1=0.9, beta2=0.99), rl.AMSGrad(alpha=0.5, beta1=0.9, beta2=0.99)):
        r = rl.play(L, st, T, seeds=range(2))
        res.append((st.name, L.name, r.regret[:, -1].mean() / T, r.theta.mean()))
pd.DataFrame(res, columns=["stream", "learner", "R(T)/T", "final theta"])""",
    """fig = rl.plots.trajectories(all_runs[0])""",
])

nb("04_sparse_and_nonstationary.ipynb", [
    "md:# Sparse and non-stationary streams\n\nSparse gradients make the data-dependent terms of the bounds "
    "small; lazy Adam (a different algorithm) skips untouched coordinates. Against a moving target the "
    "static regret can be negative while the dynamic regret grows.",
    SETUP,
    """T = 5000 if QUICK else 10**5
d = 500
s = rl.streams.sparse_linear(d, 5, zipf=1.1)
dense = rl.play(rl.Adam(alpha=0.1, beta1=0.0, beta2=0.99, eps=0.0), s, T, seeds=range(2))
lazy = rl.play(rl.Adam(alpha=0.1, beta1=0.0, beta2=0.99, eps=0.0, lazy=True), s, T, seeds=range(2))
worst = d * s.G_inf * np.sqrt(T)
print(f"sum_i ||g_1:T,i|| = {dense.stats['sum_g_norm'][0, -1]:.1f}  vs  d G_inf sqrt(T) = {worst:.1f}")
print("R(T) dense:", dense.regret[:, -1], " lazy:", lazy.regret[:, -1])""",
    """fig = rl.plots.compare([dense, lazy], labels=["Adam (dense)", "Adam (lazy)"], bounds=["theorem_4_1"])""",
    "md:## A drifting and a switching target",
    """walk = rl.streams.drifting_quadratic(2, step=0.01)
switch = rl.streams.switching_quadratic([[0.8, -0.5], [-0.6, 0.4]], 500)
for st in (walk, switch):
    r = rl.play(rl.OGD(alpha=0.5), st, T, seeds=range(2))
    print(f"{st.name:20s} static R(T) = {r.regret[:, -1].mean():9.2f}   dynamic R(T) = {r.dynamic_regret[:, -1].mean():9.2f}")
fig = rl.plots.dynamic_regret(r)""",
    "md:## Stochastic logistic regression with a certified comparator",
    """lg = rl.play(rl.AMSGrad(alpha=0.1, beta1=0.9, beta2=0.99), rl.streams.synthetic_logistic(5), 2000 if QUICK else 20000,
             seeds=range(2), checkpoints=30)
print("largest certificate (upper bound on comparator error):", lg.best_gap.max())
rl.verify(lg, ["amsgrad_theorem_4", "sublinear_regret"])[["claim", "status", "growth", "R_T", "bound_T", "detail"]]""",
])

nb("05_sweeps_and_phase_diagrams.ipynb", [
    "md:# Sweeps and phase diagrams\n\nA sweep is data. Results are written atomically per task to Parquet, "
    "so an interrupted sweep resumes where it stopped. Here: Adam (beta1 = 0) on Reddi's family over a "
    "beta2 x C grid, coloured by the slope s of R(t) = s t + b sqrt(t) + a fitted per run (s > 0: linear regret, "
    "no convergence; s = 0: sublinear).",
    SETUP,
    """import tempfile
from regretlab import experiments
spec = {
    "name": "phase", "T": 4000 if QUICK else 200000, "checkpoints": 40, "seeds": 1,
    "learners": {"adam": {"type": "Adam", "alpha": 0.5, "beta1": 0.0,
                          "beta2": {"logspace": [-2, -0.0043648054, 3 if QUICK else 7]}}},
    "streams": {"reddi": {"type": "reddi", "C": {"linspace": [2.5, 8.0, 3 if QUICK else 6]}}},
}
out = tempfile.mkdtemp()
print(experiments.run_sweep(spec, out, executor="serial", quiet=True))
summary = experiments.load(out, kind="summary")
summary[["learner.beta2", "stream.C", "R_over_T", "growth", "slope"]].head()""",
    """fig = rl.plots.phase_diagram(summary, x="learner.beta2", y="stream.C", value="slope")""",
    """table = experiments.load(out)
fig = rl.plots.sweep_regret(table)""",
])
print("wrote notebooks")
