"""HiGHS's own PDLP (highspy, `solver=pdlp`) on the plan LP that scripts/compare_highspy.py builds.

    python3 bench/highs_pdlp.py PACKAGE TIME_LIMIT TOLERANCE

Prints the status, objective, PDLP iterations, time and the largest primal and dual
infeasibility, for comparison with `chollima plan PACKAGE --method pdlp`. Single-group packages
only. See BENCHMARKS.md ("HiGHS's PDLP on the same plans").
"""
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
import numpy as np, highspy
from compare_highspy import build
pkg, limit, tol = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
matrix, cl, cu, rl, ru, groups, gcols = build(pkg)
h = highspy.Highs(); h.setOptionValue("output_flag", False)
h.setOptionValue("solver", "pdlp"); h.setOptionValue("time_limit", limit)
h.setOptionValue("pdlp_optimality_tolerance", tol)
lp = highspy.HighsLp(); lp.num_col_, lp.num_row_ = matrix.shape[1], matrix.shape[0]
cost = np.zeros(matrix.shape[1]); cost[gcols[0]] = 1
lp.col_cost_ = cost; lp.col_lower_, lp.col_upper_ = cl, cu; lp.row_lower_, lp.row_upper_ = rl, ru
lp.sense_ = highspy.ObjSense.kMaximize
lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
lp.a_matrix_.start_, lp.a_matrix_.index_, lp.a_matrix_.value_ = matrix.indptr, matrix.indices, matrix.data
h.passModel(lp)
t = time.time(); h.run(); dt = time.time() - t
info = h.getInfo()
print(f"{pkg}: {h.modelStatusToString(h.getModelStatus())} obj {info.objective_function_value:.9f} pdlp its {info.pdlp_iteration_count} {dt:.1f} s, primal infeas {info.max_primal_infeasibility:.2e} dual infeas {info.max_dual_infeasibility:.2e}")
