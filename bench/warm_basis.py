"""HiGHS's simplex warm-started from a basis guessed from chollima's first-order plan.

    python3 bench/warm_basis.py PACKAGE GAP [--cold]

Runs `chollima plan PACKAGE --method pdlp --gap GAP`, reads its plan back into the LP that
scripts/compare_highspy.py builds, and hands highspy three bases made from it (activities above
a threshold basic, at capacity upper, the rest lower; and one basic per product row: its largest
uncapped activity or trade, else the row's slack), marked alien so HiGHS completes them. Prints
the simplex iterations and time of each, and of a cold start with --cold. Single-group packages
(no priorities) only. An experiment kept for rerunning; see BENCHMARKS.md.
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
from compare_highspy import build, plan_point, INF

pkg, gap = sys.argv[1], sys.argv[2]
binary = os.path.join(ROOT, "target", "release", "chollima")
matrix, col_lower, col_upper, row_lower, row_upper, groups, group_cols = build(pkg)
assert len(groups) == 1
out = tempfile.mkdtemp(prefix="chollima-warm-")
t0 = time.time()
subprocess.run([binary, "-q", "plan", pkg, "--method", "pdlp", "--gap", gap, "--out", out], check=True)
t_pdlp = time.time() - t0
m, ncol = matrix.shape
x, lam = plan_point(pkg, out, ncol, group_cols)
K = len(pd.read_csv(os.path.join(out, "techniques.csv")))
products = pd.read_csv(os.path.join(pkg, "products.csv"), dtype=str, keep_default_na=False)
act = matrix @ x
print(f"pdlp gap {gap}: {t_pdlp:.2f} s, lambda {lam}")

def solve(basis=None):
    h = highspy.Highs(); h.setOptionValue("output_flag", False)
    h.setOptionValue("primal_feasibility_tolerance", 1e-9); h.setOptionValue("dual_feasibility_tolerance", 1e-9)
    lp = highspy.HighsLp(); lp.num_col_, lp.num_row_ = ncol, m
    cost = np.zeros(ncol); cost[group_cols[0]] = 1
    lp.col_cost_ = cost; lp.col_lower_, lp.col_upper_ = col_lower, col_upper
    lp.row_lower_, lp.row_upper_ = row_lower, row_upper; lp.sense_ = highspy.ObjSense.kMaximize
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_, lp.a_matrix_.index_, lp.a_matrix_.value_ = matrix.indptr, matrix.indices, matrix.data
    h.passModel(lp)
    if basis is not None:
        h.setOptionValue("solver", "simplex")
        b = highspy.HighsBasis()
        b.col_status = basis[0]; b.row_status = basis[1]
        b.alien = True; b.valid = True
        print("setBasis", h.setBasis(b))
    t = time.time(); h.run(); dt = time.time() - t
    info = h.getInfo()
    print(f"  status {h.modelStatusToString(h.getModelStatus())} obj {info.objective_function_value:.12g} "
          f"simplex its {info.simplex_iteration_count} time {dt:.2f} s")

B = highspy.HighsBasisStatus
for rel in [1e-6, 1e-4]:
    scale = np.maximum(1.0, np.abs(x).max()) * rel
    cs = []
    for j in range(ncol):
        lo, hi = col_lower[j], col_upper[j]
        if hi < INF and x[j] >= hi - max(scale, 1e-7 * abs(hi)):
            cs.append(B.kUpper)
        elif x[j] <= lo + scale:
            cs.append(B.kLower)
        else:
            cs.append(B.kBasic)
    rs = []
    for i in range(m):
        lo, hi = row_lower[i], row_upper[i]
        tol = max(1e-9, 1e-6 * max(abs(lo) if lo > -INF else 0, abs(hi) if hi < INF else 0, 1))
        if lo > -INF and act[i] <= lo + tol: rs.append(B.kLower)
        elif hi < INF and act[i] >= hi - tol: rs.append(B.kUpper)
        else: rs.append(B.kBasic)
    nb = sum(s == B.kBasic for s in cs) + sum(s == B.kBasic for s in rs)
    print(f"threshold {rel}: basics {nb} of rows {m}")
    solve((cs, rs))

# One basic per product row: its largest uncapped activity (or trade), else the row's slack.
made = pd.read_csv(os.path.join(pkg, "techniques.csv"), dtype=str)["product"].values
ids = list(products["id"]); index = {p: i for i, p in enumerate(ids)}
n = len(ids)
cs = [B.kLower] * ncol; rs = [B.kLower] * m
best = {}
for j in range(K):
    if col_upper[j] < INF and x[j] >= col_upper[j] * (1 - 1e-6) and x[j] > 0:
        cs[j] = B.kUpper; continue
    i = index[made[j]]
    if x[j] > 0 and (i not in best or x[j] > x[best[i]]):
        best[i] = j
# trade columns
for j in range(K, group_cols[0]):
    rows_j = matrix.indices[matrix.indptr[j]:matrix.indptr[j+1]]
    i = rows_j[0] if rows_j[0] < n else rows_j[1]
    if x[j] > 1e-9 and (i not in best or x[j] > x[best[i]]):
        best[i] = j
for i in range(n):
    if i in best: cs[best[i]] = B.kBasic
    else: rs[i] = B.kBasic
cs[group_cols[0]] = B.kBasic
for i in range(n, m):
    hi = row_upper[i]
    rs[i] = B.kUpper if act[i] >= hi * (1 - 1e-6) else B.kBasic
nb = sum(s == B.kBasic for s in cs) + sum(s == B.kBasic for s in rs)
print(f"one per product: basics {nb} of rows {m}; tight coupling rows {[i for i in range(n, m) if rs[i] == B.kUpper]}")
solve((cs, rs))
if "--cold" in sys.argv:
    print("cold:"); solve()
