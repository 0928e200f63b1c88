//! A linear program in bounded form, solver-neutral: what the plan builders make and every
//! solver (HiGHS, the first-order methods, an MPS file) takes.
//!
//! `maximise c'x  subject to  row_lower <= M x <= row_upper,  col_lower <= x <= col_upper`,
//! with `M` stored by columns. Infinite bounds are `f64::INFINITY` / `f64::NEG_INFINITY`.

/// A linear program to maximise (the plan problems all maximise fulfilment).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LinearProgram {
    pub cost: Vec<f64>,
    pub col_lower: Vec<f64>,
    pub col_upper: Vec<f64>,
    pub row_lower: Vec<f64>,
    pub row_upper: Vec<f64>,
    /// `M` by columns: column `j` has entries `col_start[j]..col_start[j + 1]`.
    pub col_start: Vec<usize>,
    pub row_index: Vec<u32>,
    pub value: Vec<f64>,
}

impl LinearProgram {
    /// An empty program with `rows` constraint rows (bounds to be set).
    pub fn with_rows(rows: usize) -> Self {
        LinearProgram {
            row_lower: vec![f64::NEG_INFINITY; rows],
            row_upper: vec![f64::INFINITY; rows],
            col_start: vec![0],
            ..Default::default()
        }
    }

    pub fn num_cols(&self) -> usize {
        self.cost.len()
    }

    pub fn num_rows(&self) -> usize {
        self.row_lower.len()
    }

    pub fn nnz(&self) -> usize {
        self.value.len()
    }

    /// Appends a column; returns its index. Zero entries are dropped.
    pub fn push_column(
        &mut self,
        cost: f64,
        lower: f64,
        upper: f64,
        entries: impl IntoIterator<Item = (usize, f64)>,
    ) -> usize {
        for (row, value) in entries {
            if value != 0.0 {
                self.row_index.push(row as u32);
                self.value.push(value);
            }
        }
        self.col_start.push(self.value.len());
        self.cost.push(cost);
        self.col_lower.push(lower);
        self.col_upper.push(upper);
        self.cost.len() - 1
    }

    /// Column `j`'s rows and values.
    pub fn column(&self, j: usize) -> (&[u32], &[f64]) {
        let range = self.col_start[j]..self.col_start[j + 1];
        (&self.row_index[range.clone()], &self.value[range])
    }

    /// Column `j`'s entry on `row` (0 where it has none).
    pub fn entry(&self, j: usize, row: usize) -> f64 {
        let (rows, values) = self.column(j);
        rows.iter()
            .position(|&r| r as usize == row)
            .map_or(0.0, |p| values[p])
    }

    /// `M x`.
    pub fn row_activity(&self, x: &[f64]) -> Vec<f64> {
        let mut out = vec![0.0; self.num_rows()];
        for (j, &xj) in x.iter().enumerate() {
            if xj != 0.0 {
                let (rows, values) = self.column(j);
                for (&i, &v) in rows.iter().zip(values) {
                    out[i as usize] += v * xj;
                }
            }
        }
        out
    }

    /// `c'x`.
    pub fn objective(&self, x: &[f64]) -> f64 {
        self.cost.iter().zip(x).map(|(c, x)| c * x).sum()
    }

    /// The largest violation of a row or column bound by `x`, relative to `1 + |bound|`.
    pub fn primal_infeasibility(&self, x: &[f64]) -> f64 {
        let violation = |v: f64, lo: f64, hi: f64| -> f64 {
            let below = if lo.is_finite() && v < lo {
                (lo - v) / (1.0 + lo.abs())
            } else {
                0.0
            };
            let above = if hi.is_finite() && v > hi {
                (v - hi) / (1.0 + hi.abs())
            } else {
                0.0
            };
            below.max(above)
        };
        let rows = self.row_activity(x);
        let row_worst = rows
            .iter()
            .enumerate()
            .map(|(i, &v)| violation(v, self.row_lower[i], self.row_upper[i]))
            .fold(0.0, f64::max);
        let col_worst = x
            .iter()
            .enumerate()
            .map(|(j, &v)| violation(v, self.col_lower[j], self.col_upper[j]))
            .fold(0.0, f64::max);
        row_worst.max(col_worst)
    }

    /// An upper bound on the optimum from any row multipliers `y`, by weak duality: for every
    /// feasible `x`, `c'x = y'Mx + (c - M'y)'x <= sum_i max(y_i L_i, y_i U_i) + sum_j max(d_j l_j,
    /// d_j u_j)` with `d = c - M'y`. Multipliers whose sign would need an infinite row bound are
    /// taken as zero (that keeps the bound valid and finite where possible). Returns infinity
    /// when a reduced cost needs an infinite column bound. On a column without a bound on its
    /// side, a reduced cost within the solvers' dual feasibility tolerance (1e-7 of the size of
    /// its terms) counts as zero: the bound is certified up to that tolerance there, as solvers
    /// certify their own gaps; where the column has a bound, every reduced cost counts.
    pub fn dual_bound(&self, y: &[f64]) -> f64 {
        self.dual_bound_within(y, REDUCED_COST_ROUNDING)
    }

    /// As [`LinearProgram::dual_bound`], with reduced costs within `rounding` of the size of
    /// their terms counted as zero (0 for a bound that trusts no rounding at all).
    pub fn dual_bound_within(&self, y: &[f64], rounding: f64) -> f64 {
        self.dual_bound_with_upper(y, rounding, &self.col_upper)
    }

    /// Row `i`'s multiplier `v` as the dual bounds take it: 0 where it is not finite or its
    /// sign would need a row bound that is infinite.
    pub fn admissible_multiplier(&self, i: usize, v: f64) -> f64 {
        if !v.is_finite()
            || (v > 0.0 && !self.row_upper[i].is_finite())
            || (v < 0.0 && !self.row_lower[i].is_finite())
        {
            0.0
        } else {
            v
        }
    }

    /// As [`LinearProgram::dual_bound_within`], with `col_upper` in place of the columns' own
    /// upper bounds: bounds the rows imply ([`LinearProgram::implied_upper_bounds`]) keep the
    /// bound finite where approximate multipliers leave a column on an unbounded ray a little
    /// profitable.
    pub fn dual_bound_with_upper(&self, y: &[f64], rounding: f64, col_upper: &[f64]) -> f64 {
        let y: Vec<f64> = y
            .iter()
            .enumerate()
            .map(|(i, &yi)| self.admissible_multiplier(i, yi))
            .collect();
        let mut bound = 0.0;
        for (i, &yi) in y.iter().enumerate() {
            if yi > 0.0 {
                bound += yi * self.row_upper[i];
            } else if yi < 0.0 {
                bound += yi * self.row_lower[i];
            }
        }
        for j in 0..self.num_cols() {
            let (rows, values) = self.column(j);
            let (mut dot, mut scale) = (0.0, self.cost[j].abs());
            for (&i, &v) in rows.iter().zip(values) {
                dot += y[i as usize] * v;
                scale += (y[i as usize] * v).abs();
            }
            let d = self.cost[j] - dot;
            // A reduced cost within rounding of zero counts as zero only where the column has
            // no bound on its side: otherwise a dual point feasible up to rounding would certify
            // nothing there. Where there is a bound it counts in full. (Regression: counted as
            // zero within `rounding` of at least 1, on a 10^5-product plan whose prices are
            // 1e-6 a unit against capacities of 10^6, reduced costs of 1e-11 went uncounted
            // on 157,000 columns and a first-order bound came out 5.6e-6 below a feasible plan.)
            let negligible = d.abs() <= rounding * scale;
            if d > 0.0 {
                if col_upper[j].is_finite() {
                    bound += d * col_upper[j];
                } else if !negligible {
                    return f64::INFINITY;
                }
            } else if d < 0.0 {
                if self.col_lower[j].is_finite() {
                    bound += d * self.col_lower[j];
                } else if !negligible {
                    return f64::INFINITY;
                }
            }
        }
        bound
    }
}

impl LinearProgram {
    /// Upper bounds on the columns that the rows and the other columns' bounds imply, by
    /// activity-based bound propagation (as LP presolvers tighten bounds), `passes` sweeps at
    /// most. Every feasible point satisfies them, so the LP with them has the same feasible
    /// set; they are widened by a relative hair for the rounding of the sums.
    pub fn implied_upper_bounds(&self, passes: usize) -> Vec<f64> {
        let rows = self.num_rows();
        let mut upper = self.col_upper.clone();
        // Per row: the least and the greatest activity over the box, and how many of their
        // terms are infinite.
        let mut least = vec![0.0; rows];
        let mut most = vec![0.0; rows];
        let mut least_infinite = vec![0u32; rows];
        let mut most_infinite = vec![0u32; rows];
        for _ in 0..passes {
            least.iter_mut().for_each(|v| *v = 0.0);
            most.iter_mut().for_each(|v| *v = 0.0);
            least_infinite.iter_mut().for_each(|v| *v = 0);
            most_infinite.iter_mut().for_each(|v| *v = 0);
            for j in 0..self.num_cols() {
                let (low, high) = (self.col_lower[j], upper[j]);
                let (index, values) = self.column(j);
                for (&i, &a) in index.iter().zip(values) {
                    let i = i as usize;
                    let (small, large) = if a > 0.0 { (low, high) } else { (high, low) };
                    if small.is_finite() {
                        least[i] += a * small;
                    } else {
                        least_infinite[i] += 1;
                    }
                    if large.is_finite() {
                        most[i] += a * large;
                    } else {
                        most_infinite[i] += 1;
                    }
                }
            }
            let mut tightened = false;
            for j in 0..self.num_cols() {
                let low = self.col_lower[j];
                let mut best = upper[j];
                let (index, values) = self.column(j);
                for (&i, &a) in index.iter().zip(values) {
                    let i = i as usize;
                    // The other terms' least (a > 0, against the row's upper bound) or greatest
                    // (a < 0, against its lower bound) activity; this column's own term there
                    // is `a * low`.
                    let (sum, infinite, limit) = if a > 0.0 {
                        (least[i], least_infinite[i], self.row_upper[i])
                    } else {
                        (most[i], most_infinite[i], self.row_lower[i])
                    };
                    if !limit.is_finite() {
                        continue;
                    }
                    let others = match (low.is_finite(), infinite) {
                        (true, 0) => sum - a * low,
                        (false, 1) => sum,
                        _ => continue,
                    };
                    best = best.min((limit - others) / a);
                }
                if best < upper[j] {
                    let widened = best + 1e-9 * best.abs().max(1e-300);
                    if !upper[j].is_finite() || widened < upper[j] * (1.0 - 1e-6) {
                        upper[j] = widened.max(low);
                        tightened = true;
                    }
                }
            }
            if !tightened {
                break;
            }
        }
        upper
    }
}

/// Reduced costs at most this share of the size of their terms (at least 1) count as zero in
/// [`LinearProgram::dual_bound`]: the dual feasibility tolerance of HiGHS (1e-7), so a dual point
/// that a solver calls feasible certifies its objective.
const REDUCED_COST_ROUNDING: f64 = 1e-7;

/// Reduced costs this close to zero (relative to their terms) count as zero in the bounds the
/// methods certify (the first-order iterates', HiGHS's prices, the multi-year stages'): the
/// rounding of the sums, far below the gaps certified, and not a solver's tolerance.
pub(crate) const CERTIFICATE_ROUNDING: f64 = 1e-11;

/// Sweeps of bound propagation for [`LinearProgram::implied_upper_bounds`] where a certificate
/// needs them.
pub(crate) const IMPLIED_BOUND_PASSES: usize = 30;

/// The relative gap between a primal value and an upper bound, `(upper - primal) / max(1, |upper|)`,
/// never negative (rounding can put the two a hair the wrong way round).
pub fn relative_gap(primal: f64, upper: f64) -> f64 {
    if !upper.is_finite() || !primal.is_finite() {
        return f64::INFINITY;
    }
    ((upper - primal) / upper.abs().max(1.0)).max(0.0)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// max x + 2y + z; 3x + y <= 6; y + 2z <= 7; x, y, z >= 0: optimum 12.5 at (0, 6, 0.5), with
    /// row duals (1.5, 0.5).
    pub(crate) fn example() -> LinearProgram {
        let mut lp = LinearProgram::with_rows(2);
        lp.row_upper = vec![6.0, 7.0];
        lp.push_column(1.0, 0.0, f64::INFINITY, [(0, 3.0)]);
        lp.push_column(2.0, 0.0, f64::INFINITY, [(0, 1.0), (1, 1.0)]);
        lp.push_column(1.0, 0.0, f64::INFINITY, [(1, 2.0)]);
        lp
    }

    /// Regression: a reduced cost below the rounding (1e-11 of at least 1) was counted as zero
    /// even on a column with a bound, so small prices against large capacities gave bounds below
    /// feasible plans (5.6e-6 under one on a 10^5-product plan). Here max 1e-12 x, x <= 10^6
    /// by a row, x <= 2 * 10^6 by its bound: the optimum is 1e-6, and zero multipliers bound it by
    /// the column's bound, 2e-6 (they bounded it by 0).
    #[test]
    fn a_reduced_cost_below_the_rounding_counts_on_a_bounded_column() {
        let mut lp = LinearProgram::with_rows(1);
        lp.row_upper = vec![1e6];
        lp.push_column(1e-12, 0.0, 2e6, [(0, 1.0)]);
        let bound = lp.dual_bound_within(&[0.0], CERTIFICATE_ROUNDING);
        assert!(bound >= 1e-6, "bound {bound} below the optimum 1e-6");
        assert!((bound - 2e-6).abs() < 1e-18);
        // Without a bound on the column, a reduced cost within rounding of its terms is zero
        // (as the solvers' tolerances take it), and one beyond leaves no bound at all.
        lp.col_upper = vec![f64::INFINITY];
        assert_eq!(
            lp.dual_bound_within(&[1e-12 * (1.0 - 1e-13)], 1e-11),
            1e-6 * (1.0 - 1e-13)
        );
        assert_eq!(lp.dual_bound_within(&[0.0], 1e-11), f64::INFINITY);
    }

    #[test]
    fn weak_duality_bounds_the_optimum_and_is_tight_at_the_dual_optimum() {
        let lp = example();
        let x = [0.0, 6.0, 0.5];
        assert_eq!(lp.primal_infeasibility(&x), 0.0);
        assert_eq!(lp.objective(&x), 12.5);
        // The dual optimum: y = (1.5, 0.5): reduced costs (1 - 4.5, 2 - 2, 1 - 1) <= 0.
        assert!((lp.dual_bound(&[1.5, 0.5]) - 12.5).abs() < 1e-12);
        // Any other nonnegative multipliers give a larger bound, or none.
        assert!(lp.dual_bound(&[2.0, 1.0]) >= 12.5);
        assert_eq!(lp.dual_bound(&[0.0, 0.0]), f64::INFINITY);
        // A negative multiplier on a row without a lower bound is dropped, not trusted.
        assert!(lp.dual_bound(&[1.5, -3.0]) >= 12.5);
        assert!(relative_gap(12.5, lp.dual_bound(&[1.5, 0.5])) < 1e-15);
    }

    #[test]
    fn implied_bounds_follow_from_the_rows_and_keep_the_bound_finite() {
        let lp = example();
        let upper = lp.implied_upper_bounds(10);
        // 3x + y <= 6 gives x <= 2 and y <= 6; y + 2z <= 7 gives z <= 3.5.
        for (found, expected) in upper.iter().zip([2.0, 6.0, 3.5]) {
            assert!(
                *found >= expected && *found <= expected * (1.0 + 1e-8),
                "{upper:?}"
            );
        }
        // Multipliers that leave x profitable bound nothing without them, and something with.
        let y = [0.2, 1.0];
        assert_eq!(lp.dual_bound(&y), f64::INFINITY);
        let bounded = lp.dual_bound_with_upper(&y, 0.0, &upper);
        assert!(bounded.is_finite() && bounded >= 12.5, "{bounded}");
    }

    #[test]
    fn implied_bounds_chain_through_balance_rows() {
        // x0 <= 4 (a resource); x1 - x0 <= 0 (x1 uses what x0 makes), x2 - 2 x1 <= 0.
        let mut lp = LinearProgram::with_rows(3);
        lp.row_upper = vec![4.0, 0.0, 0.0];
        lp.push_column(0.0, 0.0, f64::INFINITY, [(0, 1.0), (1, -1.0)]);
        lp.push_column(0.0, 0.0, f64::INFINITY, [(1, 1.0), (2, -2.0)]);
        lp.push_column(1.0, 0.0, f64::INFINITY, [(2, 1.0)]);
        let upper = lp.implied_upper_bounds(1);
        assert!(
            upper[0].is_finite() && !upper[2].is_finite(),
            "one sweep, one link"
        );
        let upper = lp.implied_upper_bounds(10);
        assert!((upper[2] - 8.0).abs() < 1e-6, "{upper:?}");
    }

    #[test]
    fn infeasibility_is_relative_to_the_bound() {
        let lp = example();
        assert!((lp.primal_infeasibility(&[2.0, 1.0, 0.0]) - 1.0 / 7.0).abs() < 1e-12);
        assert!((lp.primal_infeasibility(&[-1.0, 0.0, 0.0]) - 1.0).abs() < 1e-12);
    }
}
