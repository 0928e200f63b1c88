//! The Leontief system `(I - A) x = d` and its transpose, solved by the fastest safe method.
//!
//! [`Leontief::new`] takes `A` by columns (as an economy package stores it) and picks, unless
//! told otherwise, a sparse LU factorisation of `I - A` (faer) for small tables and block
//! BiCGSTAB ([`crate::krylov`]) for everything larger, where the fill of an LU grows like n^2.
//! A factorisation is computed once and serves every later solve, plain or transposed. Every
//! solution comes with its true relative residual, computed here from `A` itself.

use faer::Mat;
use faer::linalg::solvers::{DenseSolveCore, PartialPivLu, Solve};
use faer::sparse::linalg::solvers::Lu;
use faer::sparse::{SparseColMat, Triplet};
use rayon::prelude::*;

use crate::krylov::{self, IterativeSettings};
use crate::operator::{Fused, Gather, Operator, Scatter};
use crate::precondition::{DiagonalBlocks, Jacobi, Preconditioner};
use crate::spectral::column_sum_bounds_of;
use crate::{CsrMatrix, LinalgError, SpectralBounds};

/// How to solve.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Method {
    /// Sparse LU up to [`LeontiefSettings::lu_max_products`] products, iterative above.
    #[default]
    Auto,
    /// Sparse LU (faer) of `I - A`.
    SparseLu,
    /// Dense LU with partial pivoting: for small tables and for explicit inverses.
    DenseLu,
    /// Preconditioned block BiCGSTAB (block Jacobi over regions, or Jacobi).
    Iterative,
}

impl Method {
    /// The name used in reports and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Method::Auto => "auto",
            Method::SparseLu => "sparse-lu",
            Method::DenseLu => "dense-lu",
            Method::Iterative => "iterative",
        }
    }
}

/// Settings of [`Leontief`].
#[derive(Debug, Clone, Copy)]
pub struct LeontiefSettings {
    pub method: Method,
    /// Largest table that [`Method::Auto`] factorises.
    pub lu_max_products: usize,
    pub iterative: IterativeSettings,
}

impl Default for LeontiefSettings {
    fn default() -> Self {
        LeontiefSettings {
            method: Method::Auto,
            lu_max_products: 1000,
            iterative: IterativeSettings::default(),
        }
    }
}

enum Factor {
    Sparse(Lu<usize, f64>),
    Dense(PartialPivLu<f64>),
    None,
}

/// `I - A`, ready to solve.
pub struct Leontief {
    n: usize,
    /// `A` by columns, read as rows of `A^T`: products `A^T x`.
    columns: CsrMatrix,
    /// `1 / (1 - a_ii)`, the Jacobi preconditioner.
    inv_diag: Vec<f64>,
    /// [`crate::column_sum_bounds`] of `A`, found while the columns were checked.
    column_sum_bounds: SpectralBounds,
    /// Inverses of diagonal blocks (regions), when the caller named blocks worth solving.
    blocks: Option<DiagonalBlocks>,
    factor: Factor,
    method: Method,
    settings: LeontiefSettings,
}

impl std::fmt::Debug for Leontief {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Leontief")
            .field("n", &self.n)
            .field("method", &self.method)
            .finish()
    }
}

/// Solutions of one call to [`Leontief::solve`].
#[derive(Debug, Clone)]
pub struct Solution {
    /// One solution vector per right-hand side.
    pub columns: Vec<Vec<f64>>,
    /// Largest `||b - (I - A) x||_inf / ||b||_inf` over the right-hand sides.
    pub residual: f64,
    /// Iterations of the iterative method (0 for a factorisation).
    pub iterations: usize,
}

impl Solution {
    /// The solutions, unless the residual shows they are not finite (a singular system).
    fn checked(
        columns: Vec<Vec<f64>>,
        residual: f64,
        iterations: usize,
    ) -> Result<Solution, LinalgError> {
        if !residual.is_finite() {
            return Err(LinalgError::Singular {
                detail: "the solution is not finite".into(),
            });
        }
        Ok(Solution {
            columns,
            residual,
            iterations,
        })
    }
}

/// What one pass over a column of `A` finds.
#[derive(Debug, Clone, Copy, Default)]
struct ColumnTotals {
    sum: f64,
    diagonal: f64,
    largest_row: u32,
}

impl Leontief {
    /// Prepares `I - A` for an `n x n` matrix `A` given by columns (CSC arrays).
    pub fn new(
        n: usize,
        col_start: &[usize],
        row: &[u32],
        value: &[f64],
        settings: LeontiefSettings,
    ) -> Result<Self, LinalgError> {
        Self::from_columns(
            n,
            col_start.to_vec(),
            row.to_vec(),
            value.to_vec(),
            settings,
        )
    }

    /// As [`Leontief::new`], taking the CSC arrays of `A` by value so a large table is not copied.
    pub fn from_columns(
        n: usize,
        col_start: Vec<usize>,
        row: Vec<u32>,
        value: Vec<f64>,
        settings: LeontiefSettings,
    ) -> Result<Self, LinalgError> {
        if col_start.len() != n + 1 {
            return Err(LinalgError::NotSquare {
                rows: n,
                cols: col_start.len().saturating_sub(1),
            });
        }
        if *col_start.last().expect("n + 1 entries") != row.len() || row.len() != value.len() {
            return Err(LinalgError::Malformed {
                detail: "CSC arrays of different lengths".into(),
            });
        }
        // One parallel pass over the columns checks the row indices and finds each column's
        // sum and diagonal entry (the Jacobi preconditioner and the cheap spectral bounds):
        // three passes, one after another, were 1.1 ms of WIOD's analysis.
        let column_totals: Vec<ColumnTotals> = (0..n)
            .into_par_iter()
            .with_min_len(1024)
            .map(|k| {
                let range = col_start[k]..col_start[k + 1];
                let mut totals = ColumnTotals::default();
                for (&r, &v) in row[range.clone()].iter().zip(&value[range]) {
                    totals.sum += v;
                    if r as usize == k {
                        totals.diagonal += v;
                    }
                    totals.largest_row = totals.largest_row.max(r);
                }
                totals
            })
            .collect();
        if let Some(bad) = column_totals.iter().find(|t| t.largest_row as usize >= n) {
            return Err(LinalgError::Malformed {
                detail: format!("row index {} outside 0..{n}", bad.largest_row),
            });
        }
        let inv_diag: Vec<f64> = column_totals
            .iter()
            .map(|t| 1.0 / (1.0 - t.diagonal))
            .collect();
        if let Some(i) = inv_diag.iter().position(|d| !d.is_finite()) {
            return Err(LinalgError::Singular {
                detail: format!("a_ii = 1 at position {i}: I - A has a zero on its diagonal"),
            });
        }
        let method = match settings.method {
            Method::Auto if n <= settings.lu_max_products => Method::SparseLu,
            Method::Auto => Method::Iterative,
            chosen => chosen,
        };
        let factor = match method {
            Method::SparseLu => Factor::Sparse(sparse_lu(n, &col_start, &row, &value)?),
            Method::DenseLu => Factor::Dense(dense(n, &col_start, &row, &value).partial_piv_lu()),
            _ => Factor::None,
        };
        // The row indices were checked above.
        let columns = CsrMatrix::from_raw_checked(n, col_start, row, value);
        let spectral = column_sum_bounds_of(
            column_totals.iter().map(|t| t.sum),
            column_totals.iter().map(|t| t.diagonal),
        );
        Ok(Leontief {
            n,
            columns,
            inv_diag,
            column_sum_bounds: spectral,
            blocks: None,
            factor,
            method,
            settings,
        })
    }

    /// Preconditions the iterative solves with the exact inverses of the diagonal blocks of
    /// `I - A` over `starts[b]..starts[b + 1]` (block Jacobi; see [`crate::precondition`]), for
    /// tables whose products come in groups that mostly use each other, such as the regions of
    /// a multi-regional table. `starts` begins with 0 and ends with `n`. Returns whether the
    /// blocks are in use: `false` when one of them is singular (Jacobi stays) or the method
    /// factorises anyway.
    pub fn use_diagonal_blocks(&mut self, starts: &[usize]) -> Result<bool, LinalgError> {
        if !matches!(self.factor, Factor::None) {
            return Ok(false);
        }
        self.blocks = DiagonalBlocks::new(&self.columns, starts)?;
        Ok(self.blocks.is_some())
    }

    /// The preconditioner of a block of vectors whose columns from `transposed_from` on belong
    /// to the transposed system: the diagonal blocks when set, else Jacobi where `A` has a real
    /// diagonal (own-sector use in WIOD is 0.1-0.3; without one, scaling would cost two passes
    /// over the block per iteration for nothing), else none.
    fn preconditioner(&self, transposed_from: usize) -> Option<Box<dyn Preconditioner + '_>> {
        if let Some(blocks) = &self.blocks {
            return Some(Box::new(blocks.for_columns(transposed_from)));
        }
        let real_diagonal = self.inv_diag.iter().any(|d| (1.0 - 1.0 / d).abs() >= 0.05);
        real_diagonal.then(|| Box::new(Jacobi(&self.inv_diag)) as Box<dyn Preconditioner>)
    }

    /// The spectral bounds that need no product with `A` ([`crate::column_sum_bounds`]),
    /// found when the system was prepared.
    pub fn column_sum_bounds(&self) -> SpectralBounds {
        self.column_sum_bounds
    }

    /// The method in use (never [`Method::Auto`]).
    pub fn method(&self) -> Method {
        self.method
    }

    pub fn dim(&self) -> usize {
        self.n
    }

    /// `A` by columns: the rows of `A'`.
    pub fn by_columns(&self) -> &CsrMatrix {
        &self.columns
    }

    /// Solves `(I - A) x = b` (or `(I - A)^T x = b` when `transpose`) for each `b` in `rhs`.
    pub fn solve(&self, rhs: &[&[f64]], transpose: bool) -> Result<Solution, LinalgError> {
        let k = rhs.len();
        let n = self.n;
        if let Some(b) = rhs.iter().find(|b| b.len() != n) {
            return Err(LinalgError::DimensionMismatch {
                expected: n,
                found: b.len(),
            });
        }
        if k == 0 {
            return Ok(Solution {
                columns: Vec::new(),
                residual: 0.0,
                iterations: 0,
            });
        }
        let mut iterations = 0;
        let columns: Vec<Vec<f64>> = match &self.factor {
            Factor::Sparse(lu) => solve_factored(n, rhs, |m| {
                if transpose {
                    lu.solve_transpose_in_place(m)
                } else {
                    lu.solve_in_place(m)
                }
            }),
            Factor::Dense(lu) => solve_factored(n, rhs, |m| {
                if transpose {
                    lu.solve_transpose_in_place(m)
                } else {
                    lu.solve_in_place(m)
                }
            }),
            Factor::None => {
                // A' x gathers along the rows of A' (the inputs of each technique: a hot set);
                // A x scatters along the same rows (see `operator`).
                let scatter;
                let gather = Gather(&self.columns);
                let m: &dyn Operator = if transpose {
                    &gather
                } else {
                    scatter = Scatter::new(&self.columns);
                    &scatter
                };
                let mut b = vec![0.0; n * k];
                b.par_chunks_mut(k).enumerate().for_each(|(i, row)| {
                    for j in 0..k {
                        row[j] = rhs[j][i];
                    }
                });
                let preconditioner = self.preconditioner(if transpose { 0 } else { k });
                let (x, info) = krylov::solve_block(
                    m,
                    preconditioner.as_deref(),
                    &self.inv_diag,
                    &b,
                    k,
                    &self.settings.iterative,
                );
                iterations = info.iterations;
                (0..k)
                    .map(|j| x.iter().skip(j).step_by(k).copied().collect())
                    .collect()
            }
        };
        self.checked(rhs, columns, transpose, iterations)
    }

    /// Wraps solutions with their largest true residual, refusing non-finite ones.
    fn checked(
        &self,
        rhs: &[&[f64]],
        columns: Vec<Vec<f64>>,
        transpose: bool,
        iterations: usize,
    ) -> Result<Solution, LinalgError> {
        let residual = rhs
            .iter()
            .zip(&columns)
            .map(|(b, x)| self.relative_residual(x, b, transpose))
            .fold(0.0, f64::max);
        Solution::checked(columns, residual, iterations)
    }

    /// Solves `(I - A) x = b` for each `b` in `plain` and `(I - A)' y = c` for each `c` in
    /// `transposed`. With the iterative method both sets run in one block through the
    /// [`Fused`] operator, which streams `A` once for both products per iteration. Returns the
    /// two solutions and the iterations spent in all.
    pub fn solve_pair(
        &self,
        plain: &[&[f64]],
        transposed: &[&[f64]],
    ) -> Result<(Solution, Solution, usize), LinalgError> {
        if !matches!(self.factor, Factor::None) || plain.is_empty() || transposed.is_empty() {
            let a = self.solve(plain, false)?;
            let b = self.solve(transposed, true)?;
            let iterations = a.iterations + b.iterations;
            return Ok((a, b, iterations));
        }
        let n = self.n;
        if let Some(b) = plain.iter().chain(transposed).find(|b| b.len() != n) {
            return Err(LinalgError::DimensionMismatch {
                expected: n,
                found: b.len(),
            });
        }
        // Pad the shorter side with zero right-hand sides (solved at once) so both halves match.
        let h = plain.len().max(transposed.len());
        let zero = vec![0.0; n];
        let column = |j: usize| -> &[f64] {
            if j < h {
                plain.get(j).copied().unwrap_or(&zero)
            } else {
                transposed.get(j - h).copied().unwrap_or(&zero)
            }
        };
        let k = 2 * h;
        let mut b = vec![0.0; n * k];
        b.par_chunks_mut(k).enumerate().for_each(|(i, row)| {
            for j in 0..k {
                row[j] = column(j)[i];
            }
        });
        let fused = Fused::new(&self.columns);
        let preconditioner = self.preconditioner(h);
        let (x, info) = krylov::solve_block(
            &fused,
            preconditioner.as_deref(),
            &self.inv_diag,
            &b,
            k,
            &self.settings.iterative,
        );
        // True residuals of all columns in one more fused pass, rather than one pass each.
        let mut r = vec![0.0; n * k];
        krylov::residual(&fused, &x, &b, k, &mut r);
        let (r_max, b_max) = column_maxima(&r, &b, k);
        let extract = |j: usize| -> Vec<f64> { x.iter().skip(j).step_by(k).copied().collect() };
        let finish = |offset: usize, count: usize| -> Result<Solution, LinalgError> {
            let columns: Vec<Vec<f64>> = (0..count).map(|j| extract(offset + j)).collect();
            let residual = (offset..offset + count)
                .map(|j| {
                    if b_max[j] == 0.0 {
                        r_max[j]
                    } else {
                        r_max[j] / b_max[j]
                    }
                })
                .fold(0.0, f64::max);
            Solution::checked(columns, residual, info.iterations)
        };
        Ok((
            finish(0, plain.len())?,
            finish(h, transposed.len())?,
            info.iterations,
        ))
    }

    /// `||b - (I - A) x||_inf / ||b||_inf` (or the transposed system's).
    pub fn relative_residual(&self, x: &[f64], b: &[f64], transpose: bool) -> f64 {
        let gather = Gather(&self.columns);
        let scatter;
        let m: &dyn Operator = if transpose {
            &gather
        } else {
            scatter = Scatter::new(&self.columns);
            &scatter
        };
        let mut r = vec![0.0; self.n];
        krylov::residual(m, x, b, 1, &mut r);
        let num = r.iter().fold(0.0f64, |a, v| a.max(v.abs()));
        let den = b.iter().fold(0.0f64, |a, v| a.max(v.abs()));
        if den == 0.0 { num } else { num / den }
    }

    /// The dense Leontief inverse `(I - A)^-1`, column-major (`n * n` values). Only on request:
    /// it costs `n^2` memory.
    pub fn inverse(&self) -> Result<Vec<f64>, LinalgError> {
        let n = self.n;
        let dense_lu;
        let lu = match &self.factor {
            Factor::Dense(lu) => lu,
            _ => {
                let (cs, r, v) = csc_of(&self.columns);
                dense_lu = dense(n, &cs, &r, &v).partial_piv_lu();
                &dense_lu
            }
        };
        let inverse = lu.inverse();
        let mut out = Vec::with_capacity(n * n);
        for j in 0..n {
            out.extend((0..n).map(|i| inverse[(i, j)]));
        }
        if out.iter().any(|v| !v.is_finite()) {
            return Err(LinalgError::Singular {
                detail: "I - A is singular".into(),
            });
        }
        Ok(out)
    }
}

/// The largest absolute entry of each of the `k` interleaved columns of `r` and of `b`.
fn column_maxima(r: &[f64], b: &[f64], k: usize) -> (Vec<f64>, Vec<f64>) {
    let mut r_max = vec![0.0f64; k];
    let mut b_max = vec![0.0f64; k];
    for (rr, br) in r.chunks_exact(k).zip(b.chunks_exact(k)) {
        for j in 0..k {
            r_max[j] = r_max[j].max(rr[j].abs());
            b_max[j] = b_max[j].max(br[j].abs());
        }
    }
    (r_max, b_max)
}

/// The CSC arrays of `A` from its transpose-by-rows view.
fn csc_of(columns: &CsrMatrix) -> (Vec<usize>, Vec<u32>, Vec<f64>) {
    let n = columns.nrows();
    let mut cs = Vec::with_capacity(n + 1);
    let mut r = Vec::with_capacity(columns.nnz());
    let mut v = Vec::with_capacity(columns.nnz());
    cs.push(0);
    for k in 0..n {
        let (rows, values) = columns.row(k);
        r.extend_from_slice(rows);
        v.extend_from_slice(values);
        cs.push(r.len());
    }
    (cs, r, v)
}

fn solve_factored(
    n: usize,
    rhs: &[&[f64]],
    solve: impl FnOnce(faer::MatMut<'_, f64>),
) -> Vec<Vec<f64>> {
    let mut m = Mat::<f64>::from_fn(n, rhs.len(), |i, j| rhs[j][i]);
    solve(m.as_mut());
    (0..rhs.len())
        .map(|j| (0..n).map(|i| m[(i, j)]).collect())
        .collect()
}

fn dense(n: usize, col_start: &[usize], row: &[u32], value: &[f64]) -> Mat<f64> {
    let mut m = Mat::<f64>::identity(n, n);
    for k in 0..n {
        for p in col_start[k]..col_start[k + 1] {
            m[(row[p] as usize, k)] -= value[p];
        }
    }
    m
}

fn sparse_lu(
    n: usize,
    col_start: &[usize],
    row: &[u32],
    value: &[f64],
) -> Result<Lu<usize, f64>, LinalgError> {
    let mut triplets = Vec::with_capacity(value.len() + n);
    for k in 0..n {
        let mut diagonal_seen = false;
        for p in col_start[k]..col_start[k + 1] {
            let i = row[p] as usize;
            let v = if i == k {
                diagonal_seen = true;
                1.0 - value[p]
            } else {
                -value[p]
            };
            triplets.push(Triplet::new(i, k, v));
        }
        if !diagonal_seen {
            triplets.push(Triplet::new(k, k, 1.0));
        }
    }
    let matrix =
        SparseColMat::<usize, f64>::try_new_from_triplets(n, n, &triplets).map_err(|e| {
            LinalgError::Singular {
                detail: format!("cannot build I - A: {e:?}"),
            }
        })?;
    matrix.sp_lu().map_err(|e| LinalgError::Singular {
        detail: format!("sparse LU failed: {e:?}"),
    })
}
