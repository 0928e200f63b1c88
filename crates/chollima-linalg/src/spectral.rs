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

    /// `A` by columns (the rows of `A'`).
    fn csr(dense: &[&[f64]]) -> CsrMatrix {
        let n = dense.len();
        let mut cs = vec![0];
        let (mut r, mut v) = (Vec::new(), Vec::new());
        for k in 0..n {
            for i in 0..n {
                if dense[i][k] != 0.0 {
                    r.push(i as u32);
                    v.push(dense[i][k]);
                }
            }
            cs.push(r.len());
        }
        CsrMatrix::transpose_of_csc(n, &cs, &r, &v)
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
