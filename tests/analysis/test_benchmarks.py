"""analysis/benchmarks.py runs end to end at test sizes and its correctness checks pass.

Timings are not asserted (they depend on the machine and its load); only that the script
runs, writes its markdown report where --out says, and that every check inside it passed
(the C, NumPy and framework loops agree with regretlab to 1e-9, executors agree, ...).
"""
import os
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SCRIPT = os.path.join(ROOT, "analysis", "benchmarks.py")


@pytest.mark.skipif(os.environ.get("NUMBA_DISABLE_JIT", "0") not in ("", "0"),
                    reason="benchmarks need the compiled kernels (NUMBA_DISABLE_JIT is set)")
def test_benchmarks_tiny_runs_and_its_checks_pass(tmp_path):
    out = tmp_path / "reports" / "bench.md"
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([ROOT] + [p for p in [env.get("PYTHONPATH")] if p])
    env["MPLBACKEND"] = "Agg"
    r = subprocess.run([sys.executable, SCRIPT, "--quick", "--tiny", "--out", str(out)], cwd=str(tmp_path),
                       env=env, capture_output=True, text=True, timeout=900)
    tail = (r.stdout[-4000:] + "\n" + r.stderr[-4000:])
    assert r.returncode == 0, tail
    assert out.is_file(), tail
    text = out.read_text()
    assert text.startswith("# regretlab benchmarks")
    assert "| # | measurement |" in text
    assert "All correctness checks passed" in text, text[-3000:]
    assert "FAILED" not in text
    assert (out.parent / "figures" / "benchmark_scaling.png").is_file()
    # the figure series are kept beside the report, for the next run to draw as "previous"
    import json

    series = json.loads((out.parent / "bench_series.json").read_text())
    assert {"label", "T", "runs", "lazy_d", "nnz"} <= set(series)
