"""Checks a single-group plan chollima wrote (`chollima plan PKG --out OUT`) against the LP that
`scripts/compare_highspy.py` builds from the package on its own (not chollima's LP): every row
and column bound, violations relative to each row's terms. An independent check of a plan that
no other solver can reach (10^5 products and up, where highspy does not finish).

    python3 bench/check_plan.py PKG OUT

Prints lambda, the largest relative row violation and the largest column-bound violation;
exits 1 where a row is off by more than 1e-8 of its terms or a column by more than 1e-9.
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "scripts"))
from compare_highspy import build, plan_point  # noqa: E402

package, out = sys.argv[1:3]
matrix, col_lower, col_upper, row_lower, row_upper, groups, group_cols = build(package)
if len(groups) != 1:
    raise SystemExit(f"{package}: {len(groups)} groups; only single-group plans are checked")
x, lam = plan_point(package, out, matrix.shape[1], group_cols)
activity = matrix @ x
size = abs(matrix) @ abs(x)
scale = np.maximum(size, 1e-300)
below = np.where(np.isfinite(row_lower), (row_lower - activity) / scale, 0.0)
above = np.where(np.isfinite(row_upper), (activity - row_upper) / scale, 0.0)
row_violation = max(below.max(), above.max(), 0.0)
worst = int(np.argmax(np.maximum(below, above)))
col_violation = max((col_lower - x).max(), (x - col_upper).max(), 0.0)
print(f"lambda {lam:.12f}; largest row violation {row_violation:.1e} of its terms (row {worst}); "
      f"largest column-bound violation {col_violation:.1e}")
sys.exit(1 if row_violation > 1e-8 or col_violation > 1e-9 else 0)
