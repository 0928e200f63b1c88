//! Bounds on the spectral radius of a nonnegative matrix: is the table productive?
//!
//! A table is productive (every final demand can be met) exactly when the spectral radius of
//! `A` is below 1. For nonnegative `A` the radius lies below the largest column sum and the
//! largest row sum, and for any nonnegative `x != 0` the Collatz-Wielandt ratios bound it:
//! `min (Ax)_i / x_i <= rho(A)` over the support of `x`, and `rho(A) <= max (Ax)_i / x_i` when
//! `x > 0`. Power iteration drives `x` towards the Perron vector, where the two bounds meet.

use crate::CsrMatrix;
use crate::operator::{Operator, Scatter};

/// What power iteration established about `rho(A)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SpectralBounds {
    /// The power-iteration estimate of `rho(A)`.
    pub estimate: f64,
    /// A certified lower bound.
    pub lower: f64,
    /// A certified upper bound.
    pub upper: f64,
    pub iterations: usize,
}

impl SpectralBounds {
    /// `Some(true)` when certainly productive (`upper < 1`), `Some(false)` when certainly not
    /// (`lower >= 1`), `None` when the bounds straddle 1.
    pub fn productive(&self) -> Option<bool> {
        if self.upper < 1.0 {
            Some(true)
        } else if self.lower >= 1.0 {
            Some(false)
        } else {
            None
        }
    }
}

impl SpectralBounds {
    /// Tightens the bounds with an approximate solution `x` of `(I - M) x = b`, where `M` is
    /// `A` or `A'` (the same spectrum) and `|b - (I - M) x|_i <= residual` for every `i`. Then
    /// `M x = x - b + r` with `|r_i| <= residual`, so for `b >= 0` the Collatz-Wielandt ratios
    /// `(x_i - b_i -+ residual) / x_i` bound `rho` without another product with `A`. For `b = 1`
    /// the solution is a Neumann-weighted sum of powers of `M` applied to `1`, close to the
    /// Perron vector, and the bounds come out tight.
    pub fn tighten_with_solution(&mut self, x: &[f64], b: &[f64], residual: f64) {
        // Collatz-Wielandt needs a nonnegative vector (the solution of a productive system with
        // b >= 0 is one; that of an unproductive one need not be).
        if x.is_empty() || b.iter().any(|&v| v < 0.0) || x.iter().any(|&v| v.is_nan() || v < 0.0) {
            return;
        }
        // Rounding in the residual's own evaluation, on top of the residual.
        let slack = |xi: f64, bi: f64| residual + 8.0 * f64::EPSILON * (xi.abs() + bi.abs());
        let (mut lo, mut hi, mut all_positive) = (f64::INFINITY, 0.0f64, true);
        let (mut sum_mx, mut sum_x) = (0.0, 0.0);
        for (&xi, &bi) in x.iter().zip(b) {
            if !xi.is_finite() {
                return;
            }
            if xi > 0.0 {
                let e = slack(xi, bi);
                lo = lo.min(((xi - bi - e) / xi).max(0.0));
                hi = hi.max((xi - bi + e) / xi);
                sum_mx += xi - bi;
                sum_x += xi;
            } else {
                all_positive = false;
            }
        }
        if lo.is_finite() {
            self.lower = self.lower.max(lo);
        }
        if all_positive {
            self.upper = self.upper.min(hi);
        }
        if sum_x > 0.0 {
            self.estimate = sum_mx / sum_x;
        }
        self.estimate = self.estimate.clamp(self.lower, self.upper.max(self.lower));
    }
}

/// Bounds that need no product with `A`: above, the largest column sum; below, the largest
/// diagonal entry and the smallest column sum (the Collatz-Wielandt ratios of `x = 1` for
/// `A'`, which has the spectrum of `A`). On most tables the largest column sum is below 1 and
/// this alone certifies productiveness.
pub fn column_sum_bounds(by_columns: &CsrMatrix) -> SpectralBounds {
    column_sum_bounds_of(by_columns.row_sums(), by_columns.diagonal())
}

/// [`column_sum_bounds`] from the column sums and the diagonal of `A`.
pub(crate) fn column_sum_bounds_of(
    sums: impl IntoIterator<Item = f64>,
    diagonal: impl IntoIterator<Item = f64>,
) -> SpectralBounds {
    let (upper, smallest) = sums.into_iter().fold((0.0, f64::INFINITY), |(u, s), v| {
        (f64::max(u, v), f64::min(s, v))
    });
    let diagonal = diagonal.into_iter().fold(0.0, f64::max);
    let lower = if smallest.is_finite() {
        diagonal.max(smallest)
    } else {
        0.0
    };
    SpectralBounds {
        estimate: upper,
        lower,
        upper,
        iterations: 0,
    }
}

/// Power iteration on `A`, given by columns (`by_columns` holds the rows of `A'`), until the
/// certified bounds are within `tolerance` or on the same side of 1, or `max_iterations` have
/// run.
pub fn spectral_bounds(
    by_columns: &CsrMatrix,
    tolerance: f64,
    max_iterations: usize,
) -> SpectralBounds {
    let n = by_columns.nrows();
    let a = Scatter::new(by_columns);
    let mul = |x: &[f64]| {
        let mut y = vec![0.0; n];
        a.mul_block(x, 1, &mut y);
        y
    };
    let max_row = mul(&vec![1.0; n]).into_iter().fold(0.0, f64::max);
    let max_col = by_columns.row_sums().into_iter().fold(0.0, f64::max);
    let mut upper = max_row.min(max_col);
    // Every diagonal entry is the radius of a 1 x 1 principal submatrix, a lower bound.
    let mut lower: f64 = by_columns.diagonal().into_iter().fold(0.0, f64::max);
    let mut x = vec![1.0 / n.max(1) as f64; n];
    let mut estimate = upper;
    let mut iterations = 0;
    while iterations < max_iterations && n > 0 {
        let decided = upper < 1.0 || lower >= 1.0;
        if decided
            && (upper - lower <= tolerance * upper.max(1e-300) || iterations > 0 && upper < 1.0)
        {
            break;
        }
        iterations += 1;
        let y = mul(&x);
        let (mut lo, mut hi, mut all_positive) = (f64::INFINITY, 0.0f64, true);
        for (xi, yi) in x.iter().zip(&y) {
            if *xi > 0.0 {
                let ratio = yi / xi;
                lo = lo.min(ratio);
                hi = hi.max(ratio);
            } else {
                all_positive = false;
            }
        }
        if lo.is_finite() {
            lower = lower.max(lo);
        }
        if all_positive {
            upper = upper.min(hi);
        }
        let norm: f64 = y.iter().sum();
        let previous: f64 = x.iter().sum();
        estimate = if previous > 0.0 { norm / previous } else { 0.0 };
        if norm <= 0.0 || !norm.is_finite() {
            // A nilpotent part: A^k x vanished, so rho = 0 on this start vector.
            lower = lower.max(0.0);
            estimate = 0.0;
            break;
        }
        x = y.into_iter().map(|v| v / norm).collect();
    }
    SpectralBounds {
        estimate: estimate.clamp(lower, upper.max(lower)),
        lower,
        upper,
        iterations,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::tests::by_columns as csr;

    #[test]
    fn column_sums_bound_the_radius_without_a_product() {
        // [[0.45, 0.9], [0.225, 0.45]] has rho = 0.9, column sums 0.675 and 1.35.
        let at = csr(&[&[0.45, 0.9], &[0.225, 0.45]]);
        let b = column_sum_bounds(&at);
        assert_eq!((b.lower, b.upper, b.iterations), (0.675, 1.35, 0));
        assert_eq!(b.productive(), None);
        let b = column_sum_bounds(&csr(&[&[0.2, 0.3], &[0.1, 0.4]]));
        assert_eq!(b.productive(), Some(true));
    }

    #[test]
    fn a_solution_tightens_the_bounds_around_the_radius() {
        // A = [[0.2, 0.3], [0.1, 0.4]]: rho = 0.5. Solve (I - A') m = 1 exactly.
        let at = csr(&[&[0.2, 0.3], &[0.1, 0.4]]);
        let mut b = column_sum_bounds(&at);
        // (I - A') = [[0.8, -0.1], [-0.3, 0.6]], so m = [0.7, 1.1] / 0.45 (Cramer's rule) and the
        // ratios 1 - 1 / m_j are 0.357 and 0.591, inside the column sums 0.3 and 0.7.
        let det = 0.8 * 0.6 - 0.1 * 0.3;
        let m = [(0.6 + 0.1) / det, (0.8 + 0.3) / det];
        b.tighten_with_solution(&m, &[1.0, 1.0], 1e-15);
        let rho = 0.5;
        assert!(b.lower <= rho && rho <= b.upper, "{b:?}");
        // The lower bound stays the diagonal entry 0.4, above the ratio 0.357.
        assert!(b.lower == 0.4 && (b.upper - 0.5909).abs() < 1e-4, "{b:?}");
        // A wrong (too small) residual claim cannot be caught, but a negative right-hand side is
        // not a Collatz-Wielandt setting and leaves the bounds alone.
        let before = b;
        b.tighten_with_solution(&m, &[1.0, -1.0], 0.0);
        assert_eq!(b, before);
    }

    #[test]
    fn column_sums_below_one_certify_at_once() {
        let at = csr(&[&[0.2, 0.3], &[0.1, 0.4]]);
        let b = spectral_bounds(&at, 1e-9, 100);
        assert_eq!(b.productive(), Some(true));
        assert!(b.upper <= 0.7 + 1e-15);
    }

    #[test]
    fn bounds_bracket_the_closed_form_radius() {
        // [[0, 2], [0.5, 0.5]]: eigenvalues (0.5 +- sqrt(0.25 + 4)) / 2, rho = 1.2808
        let at = csr(&[&[0.0, 2.0], &[0.5, 0.5]]);
        let rho = (0.5 + (0.25f64 + 4.0).sqrt()) / 2.0;
        let b = spectral_bounds(&at, 1e-10, 1000);
        assert_eq!(b.productive(), Some(false));
        assert!(b.lower <= rho + 1e-12 && rho <= b.upper + 1e-12, "{b:?}");
        assert!((b.estimate - rho).abs() < 1e-8, "{b:?}");
    }

    #[test]
    fn a_reducible_matrix_is_certified_unproductive_by_its_dominant_block() {
        // diag(1.2, 0.4) plus a coupling: rho = 1.2 but min ratios stay near 0.4 without truncation.
        let at = csr(&[&[1.2, 0.0, 0.0], &[0.1, 0.4, 0.0], &[0.0, 0.3, 0.5]]);
        let b = spectral_bounds(&at, 1e-9, 200);
        assert_eq!(b.productive(), Some(false), "{b:?}");
        assert!(b.lower <= 1.2 + 1e-12 && b.lower >= 1.0, "{b:?}");
    }

    #[test]
    fn a_matrix_with_radius_just_below_one_is_certified_productive() {
        // Row sums above 1 but rho = 0.9: [[0.45, 0.9], [0.225, 0.45]] has rho = 0.9.
        let at = csr(&[&[0.45, 0.9], &[0.225, 0.45]]);
        let b = spectral_bounds(&at, 1e-12, 1000);
        assert_eq!(b.productive(), Some(true), "{b:?}");
        assert!((b.estimate - 0.9).abs() < 1e-9, "{b:?}");
    }
}
