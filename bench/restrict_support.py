"""HiGHS on the plan LP restricted to the techniques that pdlp's approximate plan runs.

    python3 bench/restrict_support.py PACKAGE GAP

Runs `chollima plan PACKAGE --method pdlp --gap GAP`, fixes at zero every technique its plan
does not run, and solves that restricted LP and the full one with highspy (the LP of
scripts/compare_highspy.py). Prints both times and optima. Single-group packages only. An
experiment kept for rerunning; see BENCHMARKS.md ("A simplex warm start from the first-order
plan").
"""
import json
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
import numpy as np, pandas as pd, highspy
from compare_highspy import build, INF, maximise
pkg, gap = sys.argv[1], sys.argv[2]
matrix, cl, cu, rl, ru, groups, gcols = build(pkg)
out = tempfile.mkdtemp(prefix="chollima-restrict-")
t0 = time.time()
subprocess.run([os.path.join(ROOT, "target", "release", "chollima"), "-q", "plan", pkg, "--method", "pdlp", "--gap", gap, "--out", out], check=True)
print(f"pdlp {gap}: {time.time()-t0:.2f} s", json.load(open(os.path.join(out, "summary.json")))["lambda"])
tech = pd.read_csv(os.path.join(out, "techniques.csv"))
K = len(tech)
act = tech["activity"].values
if True:  # one restriction: the techniques the plan runs
    cu2 = cu.copy()
    dropped = 0
    for j in range(K):
        if act[j] <= 0:
            cu2[j] = 0.0; dropped += 1
    cost = np.zeros(matrix.shape[1]); cost[gcols[0]] = 1
    t = time.time()
    x = maximise(matrix, cost, cl, cu2, rl, ru)
    print(f"restricted ({dropped} of {K} techniques fixed at 0): {time.time()-t:.2f} s lambda", x if isinstance(x, str) else x[gcols[0]])
t = time.time()
x = maximise(matrix, cost, cl, cu, rl, ru)
print(f"full: {time.time()-t:.2f} s lambda", x[gcols[0]])
