"""HiGHS's primal simplex from the basis of chollima's listed plan, against its own crash.

    python3 bench/listed_basis.py PACKAGE [--log] [--relieved] [--fill]

Runs `chollima plan PACKAGE --method merit --gap 0.5` (the listed plan: its first certificate;
with --relieved, `--method pdlp --time-limit 0.01`: the listed plan after its relief rounds),
reads the plan back into the LP that scripts/compare_highspy.py builds, makes the basis that
`crates/chollima-plan/src/vertex_basis.rs` makes (by bounds, then a basic way of supply for
every product row at its bound that has none) and hands it to highspy, non-alien when it is
square; then solves the same LP from HiGHS's own crash. Prints iterations and seconds of both.
With --fill, also factors that basis with scipy's SuperLU under two column orderings and
prints the nonzeros of L and U (the fill that makes each simplex iteration from it costly).
Single-group packages (no priorities) only. See BENCHMARKS.md, "HiGHS from the listed plan's
basis".
"""
import json
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
import highspy
import numpy as np
import pandas as pd
from compare_highspy import build, plan_point, INF

B = highspy.HighsBasisStatus
# Within this share of a row's size (or a column's value) of a bound, a value is at it
# (vertex_basis.rs's rule).
AT = 1e-9


def listed_basis(pkg, relieved=False):
    """The LP of `pkg` (compare_highspy's build), chollima's listed plan `x` as a point of it,
    and the basis of that plan: (lp, x, column statuses, row statuses), lp being build's tuple
    (matrix, col_lower, col_upper, row_lower, row_upper, groups, group_cols)."""
    binary = os.path.join(ROOT, "target", "release", "chollima")
    lp = build(pkg)
    matrix, col_lower, col_upper, row_lower, row_upper, groups, group_cols = lp
    assert len(groups) == 1, "single-group packages only"
    out = tempfile.mkdtemp(prefix="chollima-listed-")
    t0 = time.time()
    if relieved:
        # stopped by the limit right after the first certificate: exit 3, the plan written
        subprocess.run([binary, "-q", "plan", pkg, "--method", "pdlp", "--gap", "1e-9", "--time-limit", "0.01",
                        "--out", out])
    else:
        subprocess.run([binary, "-q", "plan", pkg, "--method", "merit", "--gap", "0.5", "--out", out], check=True)
    m, ncol = matrix.shape
    x, lam = plan_point(pkg, out, ncol, group_cols)
    print(f"listed plan: lambda {lam} ({time.time() - t0:.2f} s, reading included)")
    products = pd.read_csv(os.path.join(pkg, "products.csv"), dtype=str, keep_default_na=False)
    K = len(pd.read_csv(os.path.join(pkg, "techniques.csv"), dtype=str))

    def status(value, lo, hi, scale):
        near = lambda b: abs(value - b) <= AT * max(scale, abs(b), 1.0)
        if hi < INF and near(hi): return B.kUpper
        if lo > -INF and (near(lo) or value < lo): return B.kLower
        if hi < INF and value > hi: return B.kUpper
        return B.kBasic
    # The basis by bounds, at the scale of what each row sums.
    act = matrix @ x
    scale = abs(matrix) @ abs(x)
    cs = [status(x[j], col_lower[j], col_upper[j], abs(x[j])) for j in range(ncol)]
    rs = [status(act[i], row_lower[i], row_upper[i], scale[i]) for i in range(m)]
    # Every product row at its bound without a basic way gets its first idle way.
    ids = list(products["id"])
    index = {p: i for i, p in enumerate(ids)}
    n = len(ids)
    made = pd.read_csv(os.path.join(pkg, "techniques.csv"), dtype=str)["product"].values
    ways = [[] for _ in range(n)]
    for j in range(K):
        ways[index[made[j]]].append(j)
    for j in range(K, group_cols[0]):
        rows = matrix.indices[matrix.indptr[j]:matrix.indptr[j + 1]]
        vals = matrix.data[matrix.indptr[j]:matrix.indptr[j + 1]]
        for r, v in zip(rows, vals):
            if r < n and v > 0:  # an import supplies its product; an export does not
                ways[r].append(j)
    for i in range(n):
        if rs[i] == B.kBasic or any(cs[j] == B.kBasic for j in ways[i]):
            continue
        idle = [j for j in ways[i] if cs[j] == B.kLower and col_upper[j] > col_lower[j]]
        if idle:
            cs[idle[0]] = B.kBasic
        elif not ways[i]:
            rs[i] = B.kBasic
    basics = sum(s == B.kBasic for s in cs) + sum(s == B.kBasic for s in rs)
    print(f"basis: {basics} basic, {m} rows")
    return lp, x, cs, rs, basics


if __name__ == "__main__":
    pkg = sys.argv[1]
    log = "--log" in sys.argv
    lp, x, cs, rs, basics = listed_basis(pkg, "--relieved" in sys.argv)
    matrix, col_lower, col_upper, row_lower, row_upper, groups, group_cols = lp
    m, ncol = matrix.shape
    if "--fill" in sys.argv:
        import scipy.sparse as sp
        import scipy.sparse.linalg as spl
        basic_cols = [j for j in range(ncol) if cs[j] == B.kBasic]
        basic_rows = [i for i in range(m) if rs[i] == B.kBasic]
        # A row's logical column is -e_i in HiGHS's convention; its sign does not change the fill.
        logicals = sp.csc_matrix((-np.ones(len(basic_rows)), (basic_rows, range(len(basic_rows)))),
                                 shape=(m, len(basic_rows)))
        basis_matrix = sp.hstack([matrix.tocsc()[:, basic_cols], logicals]).tocsc()
        print(f"basis matrix: {basis_matrix.shape[0]} x {basis_matrix.shape[1]}, {basis_matrix.nnz} nonzeros "
              f"({len(basic_cols)} columns, {len(basic_rows)} rows' logicals)")
        for ordering in ("MMD_AT_PLUS_A", "COLAMD"):
            t = time.time()
            lu = spl.splu(basis_matrix, permc_spec=ordering)
            print(f"SuperLU ({ordering}): L {lu.L.nnz} + U {lu.U.nnz} nonzeros "
                  f"({(lu.L.nnz + lu.U.nnz) / basis_matrix.nnz:.0f}x the basis), {time.time() - t:.2f} s")

    def solve(basis):
        h = highspy.Highs()
        h.setOptionValue("output_flag", log)
        h.setOptionValue("primal_feasibility_tolerance", 1e-9)
        h.setOptionValue("dual_feasibility_tolerance", 1e-9)
        h.setOptionValue("simplex_strategy", 4)
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = ncol, m
        cost = np.zeros(ncol); cost[group_cols[0]] = 1
        lp.col_cost_ = cost
        lp.col_lower_, lp.col_upper_ = col_lower, col_upper
        lp.row_lower_, lp.row_upper_ = row_lower, row_upper
        lp.sense_ = highspy.ObjSense.kMaximize
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_, lp.a_matrix_.index_, lp.a_matrix_.value_ = matrix.indptr, matrix.indices, matrix.data
        h.passModel(lp)
        t = time.time()
        if basis is not None:
            b = highspy.HighsBasis()
            b.col_status, b.row_status = basis
            b.alien = basics != m
            b.valid = True
            h.setBasis(b)
        h.run()
        info = h.getInfo()
        return info.objective_function_value, info.simplex_iteration_count, time.time() - t

    for name, basis in [("from the listed plan's basis", (cs, rs)), ("from HiGHS's crash", None)]:
        objective, iterations, seconds = solve(basis)
        print(f"{name}: lambda {objective:.12g}, {iterations} simplex iterations, {seconds:.2f} s")
