//! Sparse linear algebra for input-output analysis.
//!
//! - [`CsrMatrix`]: sparse rows with parallel products against blocks of vectors;
//! - [`Leontief`]: `(I - A) x = d` and `(I - A)^T p = v`, by sparse LU (faer) for small tables
//!   or preconditioned block BiCGSTAB for large ones (Jacobi, or block Jacobi over regions,
//!   [`precondition`]), chosen by [`Method::Auto`], with the true residual of every solution;
//! - [`gmres::gmres`]: restarted GMRES for one right-hand side, which does not break down where
//!   BiCGSTAB can (the simplex bases of `chollima-plan`'s iterative simplex);
//! - [`column_sum_bounds`], [`spectral_bounds`], [`SpectralBounds::tighten_with_solution`]:
//!   certified bounds on the spectral radius (is the table productive?).
//!
//! ```
//! use chollima_linalg::{Leontief, LeontiefSettings};
//! // A = [[0.1, 0.2], [0.3, 0.4]] by columns
//! let a = Leontief::new(2, &[0, 2, 4], &[0, 1, 0, 1], &[0.1, 0.3, 0.2, 0.4], LeontiefSettings::default()).unwrap();
//! let x = a.solve(&[&[1.0, 1.0]], false).unwrap();
//! assert!(x.residual < 1e-14);
//! ```
//!
//! Invariant: nothing here allocates a dense `n x n` matrix except [`Method::DenseLu`] and
//! [`Leontief::inverse`], which a caller asks for by name.

mod csr;
pub mod gmres;
pub mod krylov;
mod leontief;
pub mod operator;
pub mod precondition;
mod spectral;

pub use csr::CsrMatrix;
pub use krylov::IterativeSettings;
pub use leontief::{Leontief, LeontiefSettings, Method, Solution};
pub use operator::{Gather, Operator, Scatter};
pub use spectral::{SpectralBounds, column_sum_bounds, spectral_bounds};

/// Errors of the linear algebra.
#[derive(Debug, thiserror::Error)]
pub enum LinalgError {
    #[error("the matrix is {rows} x {cols}, not square")]
    NotSquare { rows: usize, cols: usize },
    #[error("a right-hand side has {found} entries, the system {expected}")]
    DimensionMismatch { expected: usize, found: usize },
    #[error("malformed matrix: {detail}")]
    Malformed { detail: String },
    #[error("I - A is singular: {detail}")]
    Singular { detail: String },
}

/// Folds the items of a parallel iterator (partial sums of chunks, say) in their index order,
/// never in a tree that follows rayon's work stealing: floating-point sums then round the same
/// way in every run.
pub fn fold_in_order<T: Send>(
    parts: impl rayon::iter::IndexedParallelIterator<Item = T>,
    init: T,
    add: impl FnMut(T, T) -> T,
) -> T {
    parts.collect::<Vec<T>>().into_iter().fold(init, add)
}

/// Splits a block of interleaved vectors (`width` values per row) into the parts that hold the
/// rows of each range, so parallel tasks each own theirs. The ranges are consecutive, from 0.
pub(crate) fn split_rows(
    values: &mut [f64],
    ranges: impl IntoIterator<Item = (usize, usize)>,
    width: usize,
) -> Vec<&mut [f64]> {
    let mut parts = Vec::new();
    let mut rest = values;
    for (start, end) in ranges {
        let (part, tail) = rest.split_at_mut((end - start) * width);
        parts.push(part);
        rest = tail;
    }
    parts
}

#[cfg(test)]
mod tests;
