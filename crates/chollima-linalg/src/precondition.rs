//! Preconditioners of the block Krylov solves: Jacobi, and block Jacobi on diagonal blocks.
//!
//! A multi-regional table (WIOD, EXIOBASE, Eora) lists its products region by region, and most
//! of what an industry buys comes from its own region: the diagonal blocks of `A` hold most of
//! its weight. Block Jacobi solves those blocks exactly (their dense inverses, computed once)
//! and leaves only the trade between regions to the Krylov method: on WIOD 2011 scipy's
//! BiCGSTAB needed 13 products with `A` instead of 23 with plain Jacobi (`bench/krylov_passes.py`).
//! Blocks of one product are plain Jacobi, so the blocks cover every index.
//!
//! The fused solves carry plain columns (`(I - A) x = b`) and transposed ones (`(I - A)' y = c`)
//! in one block of vectors: columns from `transposed_from` on are preconditioned with the
//! transposed block inverses.

use rayon::prelude::*;

use crate::{CsrMatrix, LinalgError};

/// `z = P^-1 r` for an approximation `P` of `I - M`.
pub trait Preconditioner: Sync {
    /// Applies `P^-1` to a block of `k` interleaved vectors.
    fn apply(&self, r: &[f64], k: usize, z: &mut [f64]);
}

/// Jacobi: `P = diag(I - M)`, given as `1 / (1 - m_ii)`.
#[derive(Debug, Clone, Copy)]
pub struct Jacobi<'a>(pub &'a [f64]);

impl Preconditioner for Jacobi<'_> {
    fn apply(&self, r: &[f64], k: usize, z: &mut [f64]) {
        const ROWS: usize = 1 << 13;
        z.par_chunks_mut(ROWS * k)
            .zip(r.par_chunks(ROWS * k))
            .zip(self.0.par_chunks(ROWS))
            .for_each(|((out, rs), ds)| {
                for ((or, rr), d) in out.chunks_exact_mut(k).zip(rs.chunks_exact(k)).zip(ds) {
                    for j in 0..k {
                        or[j] = rr[j] * d;
                    }
                }
            });
    }
}

/// The dense inverses of the diagonal blocks of `I - A`, over consecutive index ranges.
#[derive(Debug, Clone)]
pub struct DiagonalBlocks {
    /// Block `b` covers indices `starts[b]..starts[b + 1]`; `starts` runs from 0 to `n`.
    starts: Vec<usize>,
    /// Per block: `(I - A_bb)^-1` row-major, and its transpose row-major (so both halves of a
    /// fused block read rows). Kept as each task made them: gathering them into one array was
    /// a serial 0.35 ms of WIOD's analysis.
    inverses: Vec<BlockInverse>,
}

/// One block's inverse and its transpose, row-major.
#[derive(Debug, Clone)]
struct BlockInverse {
    inverse: Vec<f64>,
    transposed: Vec<f64>,
}

impl DiagonalBlocks {
    /// Factorises the diagonal blocks of `I - A` for `A` given by columns (`columns` holds the
    /// rows of `A'`). `starts` lists the first index of every block and ends with `n`.
    ///
    /// `Ok(None)` when a block is singular or its inverse is not finite: the caller keeps
    /// Jacobi. A productive table never has one (its principal blocks are M-matrices).
    pub fn new(columns: &CsrMatrix, starts: &[usize]) -> Result<Option<Self>, LinalgError> {
        let n = columns.nrows();
        let well_formed = starts.first() == Some(&0)
            && starts.last() == Some(&n)
            && starts.windows(2).all(|w| w[0] < w[1]);
        if !well_formed {
            return Err(LinalgError::Malformed {
                detail: format!(
                    "diagonal blocks must start at 0, increase strictly and end at {n}"
                ),
            });
        }
        let inverses: Option<Vec<BlockInverse>> = starts
            .par_windows(2)
            .map(|w| {
                let inverse = block_inverse(columns, w[0], w[1])?;
                let size = w[1] - w[0];
                let transposed = (0..size * size)
                    .map(|e| inverse[(e % size) * size + e / size])
                    .collect();
                Some(BlockInverse {
                    inverse,
                    transposed,
                })
            })
            .collect();
        Ok(inverses.map(|inverses| DiagonalBlocks {
            starts: starts.to_vec(),
            inverses,
        }))
    }

    /// The number of blocks.
    pub fn len(&self) -> usize {
        self.starts.len() - 1
    }

    /// Whether there are no blocks (a 0 x 0 system).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The preconditioner for a block of vectors whose columns from `transposed_from` on belong
    /// to the transposed system.
    pub fn for_columns(&self, transposed_from: usize) -> BlockJacobi<'_> {
        BlockJacobi {
            blocks: self,
            transposed_from,
        }
    }
}

/// `(I - A_bb)^-1` of the block `start..end`, row-major; `None` when it is singular or not
/// finite.
fn block_inverse(columns: &CsrMatrix, start: usize, end: usize) -> Option<Vec<f64>> {
    let size = end - start;
    let mut m = vec![0.0; size * size];
    for i in 0..size {
        m[i * size + i] = 1.0;
    }
    for c in start..end {
        let (rows, values) = columns.row(c);
        for (&r, &v) in rows.iter().zip(values) {
            let r = r as usize;
            if (start..end).contains(&r) {
                m[(r - start) * size + c - start] -= v;
            }
        }
    }
    let inverse = gauss_jordan(&mut m, size)?;
    inverse.iter().all(|v| v.is_finite()).then_some(inverse)
}

/// The inverse of the row-major `size x size` matrix `m` (destroyed) by Gauss-Jordan
/// elimination with partial pivoting; `None` when a pivot is zero.
///
/// By hand rather than through faer: the blocks are small (a region's 35 sectors in WIOD), and
/// faer's dense LU and inverse took 3-10 ms for WIOD's 41 blocks, against well under one here.
fn gauss_jordan(m: &mut [f64], size: usize) -> Option<Vec<f64>> {
    let mut inverse = vec![0.0; size * size];
    for i in 0..size {
        inverse[i * size + i] = 1.0;
    }
    // Columns left of `col` of `m` are already unit vectors, so only `col..` changes. Until a
    // row swap, row `col` of the inverse is zero right of `col`, so only `..=col` changes there
    // (an M-matrix never needs a swap: its diagonal is the largest entry of its column).
    let mut swapped = false;
    let (mut pivot_m, mut pivot_inverse) = (vec![0.0; size], vec![0.0; size]);
    for col in 0..size {
        let pivot = (col..size)
            .max_by(|&a, &b| m[a * size + col].abs().total_cmp(&m[b * size + col].abs()))?;
        if m[pivot * size + col] == 0.0 {
            return None;
        }
        if pivot != col {
            swapped = true;
            for j in 0..size {
                m.swap(pivot * size + j, col * size + j);
                inverse.swap(pivot * size + j, col * size + j);
            }
        }
        let (m_cols, inverse_cols) = (col..size, 0..if swapped { size } else { col + 1 });
        let scale = 1.0 / m[col * size + col];
        for j in m_cols.clone() {
            m[col * size + j] *= scale;
        }
        for j in inverse_cols.clone() {
            inverse[col * size + j] *= scale;
        }
        pivot_m[m_cols.clone()].copy_from_slice(&m[col * size + col..(col + 1) * size]);
        pivot_inverse[inverse_cols.clone()]
            .copy_from_slice(&inverse[col * size..col * size + inverse_cols.end]);
        for row in (0..size).filter(|&r| r != col) {
            let factor = m[row * size + col];
            if factor == 0.0 {
                continue;
            }
            let target = &mut m[row * size + col..(row + 1) * size];
            for (t, p) in target.iter_mut().zip(&pivot_m[m_cols.clone()]) {
                *t -= factor * p;
            }
            let target = &mut inverse[row * size..row * size + inverse_cols.end];
            for (t, p) in target.iter_mut().zip(&pivot_inverse[inverse_cols.clone()]) {
                *t -= factor * p;
            }
        }
    }
    Some(inverse)
}

/// [`DiagonalBlocks`] applied to a block of vectors, plain columns first.
#[derive(Debug, Clone, Copy)]
pub struct BlockJacobi<'a> {
    blocks: &'a DiagonalBlocks,
    transposed_from: usize,
}

impl Preconditioner for BlockJacobi<'_> {
    fn apply(&self, r: &[f64], k: usize, z: &mut [f64]) {
        // The width is a constant inside the kernel, so its inner loops unroll.
        match k {
            1 => self.apply_width::<1>(r, z),
            2 => self.apply_width::<2>(r, z),
            3 => self.apply_width::<3>(r, z),
            4 => self.apply_width::<4>(r, z),
            6 => self.apply_width::<6>(r, z),
            8 => self.apply_width::<8>(r, z),
            _ => {
                // Any other width, one column at a time.
                let n = r.len() / k;
                let (mut column, mut out) = (vec![0.0; n], vec![0.0; n]);
                for j in 0..k {
                    column
                        .iter_mut()
                        .enumerate()
                        .for_each(|(i, c)| *c = r[i * k + j]);
                    let one = BlockJacobi {
                        blocks: self.blocks,
                        transposed_from: usize::from(j < self.transposed_from),
                    };
                    one.apply_width::<1>(&column, &mut out);
                    out.iter().enumerate().for_each(|(i, o)| z[i * k + j] = *o);
                }
            }
        }
    }
}

impl BlockJacobi<'_> {
    fn apply_width<const K: usize>(&self, r: &[f64], z: &mut [f64]) {
        let blocks = self.blocks;
        let h = self.transposed_from.min(K);
        let parts = crate::split_rows(z, blocks.starts.windows(2).map(|w| (w[0], w[1])), K);
        parts
            .into_par_iter()
            .enumerate()
            .with_min_len(16)
            .for_each(|(b, out)| {
                let (start, end) = (blocks.starts[b], blocks.starts[b + 1]);
                let size = end - start;
                let BlockInverse {
                    inverse,
                    transposed,
                } = &blocks.inverses[b];
                let rs = &r[start * K..end * K];
                for (i, o) in out.chunks_exact_mut(K).enumerate() {
                    let mut sum = [0.0; K];
                    let plain_row = &inverse[i * size..(i + 1) * size];
                    let transposed_row = &transposed[i * size..(i + 1) * size];
                    for ((rl, &p), &t) in rs.chunks_exact(K).zip(plain_row).zip(transposed_row) {
                        for j in 0..K {
                            sum[j] += if j < h { p } else { t } * rl[j];
                        }
                    }
                    o.copy_from_slice(&sum);
                }
            });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::tests::by_columns;

    #[test]
    fn block_jacobi_inverts_each_block_plain_and_transposed() {
        // Two blocks, {0, 1} and {2}, with a coupling entry a_20 outside them.
        let a = by_columns(&[&[0.1, 0.2, 0.0], &[0.3, 0.4, 0.0], &[0.2, 0.0, 0.5]]);
        let blocks = DiagonalBlocks::new(&a, &[0, 2, 3]).unwrap().unwrap();
        // (I - A_00) = [[0.9, -0.2], [-0.3, 0.6]], det 0.48.
        let inv = [0.6 / 0.48, 0.2 / 0.48, 0.3 / 0.48, 0.9 / 0.48];
        // Column 0 plain, column 1 transposed; r = e_0 in both, then e_2.
        let r = [1.0, 1.0, 0.0, 0.0, 0.0, 0.0];
        let mut z = [0.0; 6];
        blocks.for_columns(1).apply(&r, 2, &mut z);
        let want = [inv[0], inv[0], inv[2], inv[1], 0.0, 0.0];
        for (got, want) in z.iter().zip(want) {
            assert!((got - want).abs() < 1e-14, "{z:?}");
        }
        let r = [0.0, 0.0, 0.0, 0.0, 1.0, 1.0];
        blocks.for_columns(1).apply(&r, 2, &mut z);
        assert!((z[4] - 2.0).abs() < 1e-14 && (z[5] - 2.0).abs() < 1e-14);
        assert!(z[..4].iter().all(|&v| v == 0.0));
    }

    /// Guards the fallback for widths without a kernel of their own (5 and 7: a `solve` with
    /// that many right-hand sides): each column is the one-column application, plain or
    /// transposed by its place.
    #[test]
    fn block_jacobi_of_other_widths_applies_column_by_column() {
        let a = by_columns(&[&[0.1, 0.2, 0.0], &[0.3, 0.4, 0.0], &[0.2, 0.0, 0.5]]);
        let blocks = DiagonalBlocks::new(&a, &[0, 2, 3]).unwrap().unwrap();
        for (k, transposed_from) in [(5, 2), (7, 3), (5, 5), (7, 0)] {
            let r: Vec<f64> = (0..3 * k).map(|e| 1.0 + (e * 7 % 11) as f64).collect();
            let mut z = vec![0.0; 3 * k];
            blocks.for_columns(transposed_from).apply(&r, k, &mut z);
            for j in 0..k {
                let column: Vec<f64> = (0..3).map(|i| r[i * k + j]).collect();
                let mut want = vec![0.0; 3];
                let one = blocks.for_columns(usize::from(j < transposed_from));
                one.apply(&column, 1, &mut want);
                for i in 0..3 {
                    assert_eq!(z[i * k + j], want[i], "k {k}, column {j}, row {i}");
                }
            }
        }
    }

    #[test]
    fn gauss_jordan_inverts_with_pivoting() {
        // A zero in the first pivot position forces a row swap.
        let mut m = vec![0.0, 2.0, 1.0, 3.0, 0.0, 1.0, 1.0, 1.0, 0.0];
        let original = m.clone();
        let inverse = gauss_jordan(&mut m, 3).unwrap();
        for i in 0..3 {
            for j in 0..3 {
                let product: f64 = (0..3)
                    .map(|l| original[i * 3 + l] * inverse[l * 3 + j])
                    .sum();
                let want = if i == j { 1.0 } else { 0.0 };
                assert!((product - want).abs() < 1e-14, "{i} {j}: {product}");
            }
        }
        assert!(gauss_jordan(&mut [1.0, 2.0, 2.0, 4.0], 2).is_none());
    }

    /// Gauss-Jordan with full-width loops, as it was before the loops were narrowed.
    fn gauss_jordan_reference(m: &mut [f64], size: usize) -> Option<Vec<f64>> {
        let mut inverse = vec![0.0; size * size];
        for i in 0..size {
            inverse[i * size + i] = 1.0;
        }
        for col in 0..size {
            let pivot = (col..size)
                .max_by(|&a, &b| m[a * size + col].abs().total_cmp(&m[b * size + col].abs()))?;
            if m[pivot * size + col] == 0.0 {
                return None;
            }
            if pivot != col {
                for j in 0..size {
                    m.swap(pivot * size + j, col * size + j);
                    inverse.swap(pivot * size + j, col * size + j);
                }
            }
            let scale = 1.0 / m[col * size + col];
            for j in 0..size {
                m[col * size + j] *= scale;
                inverse[col * size + j] *= scale;
            }
            let (pivot_m, pivot_inverse) = (
                m[col * size..(col + 1) * size].to_vec(),
                inverse[col * size..(col + 1) * size].to_vec(),
            );
            for row in (0..size).filter(|&r| r != col) {
                let factor = m[row * size + col];
                if factor == 0.0 {
                    continue;
                }
                let target = &mut m[row * size..(row + 1) * size];
                for (t, p) in target.iter_mut().zip(&pivot_m) {
                    *t -= factor * p;
                }
                let target = &mut inverse[row * size..(row + 1) * size];
                for (t, p) in target.iter_mut().zip(&pivot_inverse) {
                    *t -= factor * p;
                }
            }
        }
        Some(inverse)
    }

    /// Guards the narrowed loops of `gauss_jordan`: on an M-matrix (no swaps) and on the same
    /// rows rotated by one (a swap at every column) of 35, the inverse is the one the full
    /// loops (`gauss_jordan_reference`, the code before) give, bit for bit, and a true inverse.
    #[test]
    fn gauss_jordan_inverts_larger_blocks_with_and_without_swaps() {
        let size = 35;
        let entry = |i: usize, j: usize| (((i * 7919 + j * 104_729) as f64) * 0.618).sin().abs();
        let m_matrix: Vec<f64> = (0..size * size)
            .map(|e| {
                let (i, j) = (e / size, e % size);
                if i == j {
                    1.0
                } else {
                    -entry(i, j) / size as f64
                }
            })
            .collect();
        let rotated: Vec<f64> = (0..size * size)
            .map(|e| m_matrix[((e / size + 1) % size) * size + e % size])
            .collect();
        for original in [m_matrix, rotated] {
            let inverse = gauss_jordan(&mut original.clone(), size).unwrap();
            let reference = gauss_jordan_reference(&mut original.clone(), size).unwrap();
            assert_eq!(inverse, reference);
            for i in 0..size {
                for j in 0..size {
                    let product: f64 = (0..size)
                        .map(|l| original[i * size + l] * inverse[l * size + j])
                        .sum();
                    let want = if i == j { 1.0 } else { 0.0 };
                    assert!((product - want).abs() < 1e-12, "{i} {j}: {product}");
                }
            }
        }
    }

    #[test]
    fn malformed_and_singular_blocks_are_told_apart() {
        let a = by_columns(&[&[1.0, 0.0], &[0.0, 0.5]]);
        assert!(DiagonalBlocks::new(&a, &[0, 1]).is_err());
        assert!(DiagonalBlocks::new(&a, &[0, 0, 2]).is_err());
        assert!(DiagonalBlocks::new(&a, &[0, 1, 2]).unwrap().is_none());
    }
}
