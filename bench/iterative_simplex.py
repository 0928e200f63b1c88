"""A prototype (Python, not chollima's code): the primal simplex from the listed plan's basis
with its basis solves done by Jacobi-preconditioned BiCGSTAB instead of an LU factorisation.

    python3 bench/iterative_simplex.py PACKAGE

Takes the listed plan and its basis from bench/listed_basis.py (compare_highspy's LP of the
package), then pivots: duals by one transposed iterative solve, reduced costs by one product
with the matrix, the entering column (Dantzig's rule) by one iterative solve, a ratio test with
ties broken by the largest pivot, the basic values solved again from the nonbasic ones every
iteration. The Jacobi preconditioner pairs each basic column with a row (a way with the product
it supplies, a logical with its row). Ends where no reduced cost can move the objective; prints
the plan's lambda, its largest row violation against the LP, and the time. Measured in
BENCHMARKS.md, "An iterative basis instead of a factored one": it reaches HiGHS's optimum where
HiGHS can be run (2 x 10^4 and 5 x 10^4 products) and chollima's certified bound at 10^5, in
seconds, where HiGHS spends minutes factoring the same basis. Single-group packages only.
"""
import os
import sys
import time

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spl

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from listed_basis import B, INF, listed_basis  # noqa: E402

pkg = sys.argv[1]
lp, x, cs, rs, _ = listed_basis(pkg)
matrix, col_lower, col_upper, row_lower, row_upper, groups, group_cols = lp
import pandas as pd  # noqa: E402
n = len(pd.read_csv(os.path.join(pkg, "products.csv"), dtype=str))
T0 = time.time()
Acsc = matrix.tocsc().astype(float)
m, ncol = Acsc.shape
N = ncol + m
# [A, -I]: variable j < ncol is column j, variable ncol+i is row i's activity
full = sp.hstack([Acsc, -sp.identity(m, format="csc")]).tocsc()
lo = np.concatenate([col_lower, row_lower]); hi = np.concatenate([col_upper, row_upper])
c = np.zeros(N); c[group_cols[0]] = 1.0
status = np.array([s == B.kBasic for s in cs] + [s == B.kBasic for s in rs])
# nonbasic values: at the bound the plan sits at (from the listed plan x and its activity)
val = np.concatenate([x, matrix @ x])
basic = list(np.flatnonzero(status))
assert len(basic) == m
for j in np.flatnonzero(~status):
    if hi[j] < INF and abs(val[j] - hi[j]) <= abs(val[j] - lo[j]): val[j] = hi[j]
    elif lo[j] > -INF: val[j] = lo[j]
    else: val[j] = 0.0
# matching of basic columns to rows for the Jacobi preconditioner
def match_rows(basic):
    used = np.zeros(m, bool); row_of = np.full(len(basic), -1); rest = []
    for k, j in enumerate(basic):
        s, e = full.indptr[j], full.indptr[j + 1]
        r = full.indices[s:e]; v = full.data[s:e]
        cand = [rr for rr, vv in zip(r, v) if not used[rr] and ((rr < n and vv > 0) or len(r) == 1)]
        if cand: used[cand[0]] = True; row_of[k] = cand[0]
        else: rest.append(k)
    free = iter(np.flatnonzero(~used))
    for k in rest: row_of[k] = next(free)
    return row_of
def basis_ops(basic, row_of):
    Bm = full[:, basic]  # column k is basic[k]; we order columns by matched row
    perm = np.empty(m, int); perm[row_of] = np.arange(m)  # row i -> column position
    P = Bm[:, perm].tocsr()
    d = P.diagonal(); d = np.where(np.abs(d) < 1e-12, 1.0, d)
    return P, perm, sp.diags(1.0 / d)
def solve(P, Minv, rhs, transpose=False):
    M = P.T.tocsr() if transpose else P
    if not np.any(rhs): return np.zeros(m), 0
    it = [0]
    def cb(_): it[0] += 1
    z, info = spl.bicgstab(M, rhs, M=Minv, rtol=1e-13, atol=0, maxiter=5000, callback=cb)
    if info != 0:
        z, info = spl.gmres(M, rhs, M=Minv, rtol=1e-13, atol=0, restart=200, maxiter=50, callback=cb, callback_type="legacy")
    return z, it[0]
row_of = match_rows(basic)
tol = 1e-9
t_solve = 0
for iteration in range(5000):
    P, perm, Minv = basis_ops(basic, row_of)
    bas = np.array(basic)
    # basic values from the nonbasic ones: B x_B = -N x_N
    nb = val.copy(); nb[bas] = 0
    rhs = -(full @ nb)
    t = time.time(); z, its_f = solve(P, Minv, rhs); t_solve += time.time() - t
    xb = np.empty(m); xb[perm] = z; val[bas] = xb  # z is in permuted column order
    # duals: B^T y = c_B  (column order perm)
    t = time.time(); y, its_b = solve(P, Minv, c[bas][perm], transpose=True); t_solve += time.time() - t
    d = c - full.T @ y
    d[bas] = 0
    span = np.maximum(1.0, np.abs(val))
    up = (d > tol) & (val < hi - 1e-9 * span)
    down = (d < -tol) & (val > lo + 1e-9 * span)
    cand = np.flatnonzero(up | down)
    infeas = np.maximum(lo - val, val - hi); infeas = infeas[np.isfinite(infeas)].max()
    print(f"it {iteration}: objective {val[group_cols[0]]:.12f}, candidates {len(cand)}, solves {its_f}/{its_b} its, max bound violation {infeas:.1e}, {time.time() - T0:.1f} s", flush=True)
    if len(cand) == 0:
        break
    q = cand[np.argmax(np.abs(d[cand]))]
    s = 1.0 if d[q] > 0 else -1.0
    aq = full[:, q].toarray().ravel()
    t = time.time(); za, _ = solve(P, Minv, aq); t_solve += time.time() - t
    alpha = np.empty(m); alpha[perm] = za   # alpha[k] for basic[k]
    # moving x_q by s*t changes x_B by -s*t*alpha
    delta = -s * alpha
    vb = val[bas]; lb = lo[bas]; ub = hi[bas]
    step = hi[q] - lo[q]
    leave = -1
    big = np.abs(delta) > 1e-9 * max(1.0, np.abs(delta).max())
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(big & (delta < 0), (vb - lb) / -delta, np.where(big & (delta > 0), (ub - vb) / delta, np.inf))
    ratio = np.maximum(ratio, 0)
    k = int(np.argmin(ratio))
    if ratio[k] < step:
        # Harris-like: among ratios within a hair of the minimum, the largest |delta|
        near = np.flatnonzero(ratio <= ratio[k] + 1e-12 * max(1.0, ratio[k]))
        k = near[np.argmax(np.abs(delta[near]))]
        step = ratio[k]; leave = k
    if not np.isfinite(step):
        print("unbounded"); break
    val[q] += s * step
    val[bas] = vb + step * delta
    if leave >= 0:
        j = basic[leave]
        val[j] = lb[leave] if delta[leave] < 0 else ub[leave]
        basic[leave] = q
        row_of = match_rows(basic)
print("lambda bounds", lo[group_cols[0]], hi[group_cols[0]], "basic", group_cols[0] in basic)
print(f"objective {val[group_cols[0]]:.12f} after {iteration} iterations, {time.time() - T0:.1f} s (solves {t_solve:.1f} s)")
xs = val[:ncol]
act = Acsc @ xs
scale = np.abs(Acsc) @ np.abs(xs) + 1.0
rv = np.maximum(row_lower - act, act - row_upper) / scale
cv = np.maximum(col_lower - xs, xs - col_upper) / np.maximum(1.0, np.abs(xs))
print("row violation (relative to row size) max", np.nanmax(rv), "at", int(np.nanargmax(rv)), "col violation max", np.nanmax(cv))
print("lambda", xs[group_cols[0]])
if len(sys.argv) > 2:
    np.save(sys.argv[2], xs)  # the plan, for a check against another LP
