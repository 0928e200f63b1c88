"""Checks a plan, given as a point of compare_highspy's LP of a package, against chollima's own
LP of it (`chollima plan PKG --export-mps FILE`): columns matched by name (y<technique index>,
m<...>:<product id> for an import, e<...>:<product id> for an export, lambda), then every row
and column bound. Prints the plan's objective in that LP and its largest violations, relative
to each row's size.

    python3 bench/plan_in_mps.py PKG FILE.mps PLAN.npy

PLAN.npy as `bench/iterative_simplex.py PKG PLAN.npy` writes it. Single-group packages only.
"""
import os
import sys, numpy as np, highspy, scipy.sparse as sp
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "scripts"))
from compare_highspy import build, read_csv
pkg, mps, xfile = sys.argv[1:4]
matrix, col_lower, col_upper, row_lower, row_upper, groups, group_cols = build(pkg)
x = np.load(xfile)
products = read_csv(pkg, "products.csv"); ids = list(products["id"])
K = len(read_csv(pkg, "techniques.csv"))
# build's import / export columns by product id, in build order
imp, exp = {}, {}
col = K

import pandas as pd
def num(s): return pd.to_numeric(s.replace("", np.nan), errors="coerce").values
ipn = num(products["import_price"]) if "import_price" in products else np.full(len(ids), np.nan)
epn = num(products["export_price"]) if "export_price" in products else np.full(len(ids), np.nan)
for i in np.flatnonzero(~np.isnan(ipn)): imp[ids[i]] = col; col += 1
for i in np.flatnonzero(~np.isnan(epn)): exp[ids[i]] = col; col += 1
assert col == group_cols[0], (col, group_cols)
h = highspy.Highs(); h.setOptionValue("output_flag", False); h.readModel(mps)
lp = h.getLp()
names = [h.getColName(j)[1] for j in range(lp.num_col_)]
z = np.zeros(lp.num_col_)
for j, name in enumerate(names):
    if name.startswith("y"): z[j] = x[int(name[1:].split(":")[0])]
    elif name.startswith("m"): z[j] = x[imp[name.split(":", 1)[1]]]
    elif name.startswith("e"): z[j] = x[exp[name.split(":", 1)[1]]]
    elif name.startswith("lambda"): z[j] = x[group_cols[0]]
    else: raise SystemExit(name)
A = sp.csc_matrix((lp.a_matrix_.value_, lp.a_matrix_.index_, lp.a_matrix_.start_), shape=(lp.num_row_, lp.num_col_))
act = A @ z; scale = abs(A) @ abs(z) + 1
rl, ru = np.array(lp.row_lower_), np.array(lp.row_upper_)
cl, cu = np.array(lp.col_lower_), np.array(lp.col_upper_)
rv = np.maximum(rl - act, act - ru) / scale
cv = np.maximum(cl - z, z - cu) / np.maximum(1, abs(z))
print("chollima's LP:", lp.num_row_, "rows", lp.num_col_, "cols; objective", float(np.dot(lp.col_cost_, z)))
print("row violation max", rv.max(), "col violation max", cv.max())
