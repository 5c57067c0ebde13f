"""The library draws on figures of its own: it never switches a notebook user's matplotlib
backend (pyplot's global state stays as the user set it)."""

from __future__ import annotations

import subprocess
import sys

from conftest import REPO

PROBE = """
import matplotlib
matplotlib.use("svg")
import numpy as np, pandas as pd
from pathlib import Path
import sys
out = Path(sys.argv[1])
from kdre.evaluation import plots
from kdre.experiments import figure as report
from kdre.knowledge.graph import plot_heatmap
plots.confusion_png(np.eye(3, dtype=int), ["a", "b", "c"], "t", out / "c.png")
plots.per_relation_png(pd.DataFrame({"m": [50.0, 60.0]}, index=["r1", "r2"]), out / "p.png")
curve = pd.DataFrame({"epoch": [1, 2], "dev_f1": [1.0, 2.0], "train_loss": [2.0, 1.0]})
plots.curves_png({"m": curve}, out / "k.png")
graph = pd.DataFrame({"pattern": ["x|y"], "relation": ["r1"], "prob": [1.0], "count": [3]})
plot_heatmap(graph, ["Other", "r1"], "Other", out / "h.png")
summary = pd.DataFrame(
    {"test_f1_mean": [80.0], "test_f1_std": [0.1], "paper_f1": [84.8]}, index=["C-GCN"]
)
report.plot(summary, out / "r.png")
print(matplotlib.get_backend(), "pyplot" in sys.modules)
"""


def test_plots_keep_the_users_backend_and_write_pngs(tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", PROBE, str(tmp_path)], cwd=REPO, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["svg", "False"]
    for name in "cpkhr":
        assert (tmp_path / f"{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
