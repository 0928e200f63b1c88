//! Compressed sparse rows with parallel products against blocks of vectors.
//!
//! Blocks of `k` vectors are stored interleaved (`x[i * k + j]` is entry `i` of vector `j`), so
//! one pass over the matrix serves all `k` right-hand sides: the products are bound by memory
//! traffic, and reading the matrix once instead of `k` times is most of the speed.

use rayon::prelude::*;

/// Rows handled per parallel task; large enough to amortise scheduling.
const ROWS_PER_TASK: usize = 4096;

/// A sparse matrix stored by rows with `u32` column indices.
#[derive(Debug, Clone, PartialEq)]
pub struct CsrMatrix {
    ncols: usize,
    row_start: Vec<usize>,
    col: Vec<u32>,
    value: Vec<f64>,
}

impl CsrMatrix {
    /// Builds from raw CSR arrays (column indices need not be sorted).
    ///
    /// # Panics
    /// When the arrays are inconsistent.
    pub fn from_raw(ncols: usize, row_start: Vec<usize>, col: Vec<u32>, value: Vec<f64>) -> Self {
        assert!(!row_start.is_empty() && *row_start.last().unwrap() == col.len());
        assert_eq!(col.len(), value.len());
        assert!(
            col.iter().all(|&c| (c as usize) < ncols),
            "column index out of range"
        );
        CsrMatrix {
            ncols,
            row_start,
            col,
            value,
        }
    }

    /// [`CsrMatrix::from_raw`] for arrays whose column indices the caller has checked (the
    /// other checks are cheap and stay).
    pub(crate) fn from_raw_checked(
        ncols: usize,
        row_start: Vec<usize>,
        col: Vec<u32>,
        value: Vec<f64>,
    ) -> Self {
        assert!(!row_start.is_empty() && *row_start.last().unwrap() == col.len());
        assert_eq!(col.len(), value.len());
        debug_assert!(col.iter().all(|&c| (c as usize) < ncols));
        CsrMatrix {
            ncols,
            row_start,
            col,
            value,
        }
    }

    /// The transpose of a CSC matrix, by rows: the same arrays, reinterpreted.
    pub fn transpose_of_csc(nrows: usize, col_start: &[usize], row: &[u32], value: &[f64]) -> Self {
        Self::from_raw(nrows, col_start.to_vec(), row.to_vec(), value.to_vec())
    }

    /// The CSC matrix with these arrays, converted to rows (a counting sort, O(nnz)).
    pub fn from_csc(nrows: usize, col_start: &[usize], row: &[u32], value: &[f64]) -> Self {
        let ncols = col_start.len() - 1;
        let mut row_start = vec![0usize; nrows + 1];
        for &r in row {
            row_start[r as usize + 1] += 1;
        }
        for i in 0..nrows {
            row_start[i + 1] += row_start[i];
        }
        let mut next = row_start[..nrows].to_vec();
        let mut col = vec![0u32; row.len()];
        let mut val = vec![0f64; row.len()];
        for k in 0..ncols {
            for p in col_start[k]..col_start[k + 1] {
                let slot = &mut next[row[p] as usize];
                col[*slot] = k as u32;
                val[*slot] = value[p];
                *slot += 1;
            }
        }
        CsrMatrix {
            ncols,
            row_start,
            col,
            value: val,
        }
    }

    pub fn nrows(&self) -> usize {
        self.row_start.len() - 1
    }

    pub fn ncols(&self) -> usize {
        self.ncols
    }

    pub fn nnz(&self) -> usize {
        self.col.len()
    }

    /// The column indices of all entries, row after row.
    pub fn col_indices(&self) -> &[u32] {
        &self.col
    }

    /// Offset of row `i`'s first entry.
    pub fn row_start(&self, i: usize) -> usize {
        self.row_start[i]
    }

    /// Column indices and values of row `i`.
    pub fn row(&self, i: usize) -> (&[u32], &[f64]) {
        let range = self.row_start[i]..self.row_start[i + 1];
        (&self.col[range.clone()], &self.value[range])
    }

    /// The diagonal (zero where not stored).
    pub fn diagonal(&self) -> Vec<f64> {
        (0..self.nrows().min(self.ncols))
            .map(|i| {
                let (cols, values) = self.row(i);
                cols.iter()
                    .zip(values)
                    .filter(|(c, _)| **c as usize == i)
                    .map(|(_, v)| v)
                    .sum()
            })
            .collect()
    }

    /// Sum of each row.
    pub fn row_sums(&self) -> Vec<f64> {
        (0..self.nrows())
            .map(|i| self.row(i).1.iter().sum())
            .collect()
    }

    /// `y = alpha * x + beta * M x` for a block of `k` interleaved vectors.
    pub fn shifted_mul_block(&self, alpha: f64, beta: f64, x: &[f64], k: usize, y: &mut [f64]) {
        assert_eq!(x.len(), self.ncols * k);
        assert_eq!(y.len(), self.nrows() * k);
        let square = self.nrows() == self.ncols;
        assert!(square || alpha == 0.0, "alpha needs a square matrix");
        y.par_chunks_mut(ROWS_PER_TASK * k)
            .enumerate()
            .for_each(|(task, out)| {
                let first = task * ROWS_PER_TASK;
                let mut acc = vec![0.0; k];
                for (local, out_row) in out.chunks_mut(k).enumerate() {
                    let i = first + local;
                    acc.iter_mut().for_each(|a| *a = 0.0);
                    let (cols, values) = self.row(i);
                    if k == 1 {
                        let mut s = 0.0;
                        for (&c, &v) in cols.iter().zip(values) {
                            s += v * x[c as usize];
                        }
                        acc[0] = s;
                    } else {
                        for (&c, &v) in cols.iter().zip(values) {
                            let xs = &x[c as usize * k..c as usize * k + k];
                            for (a, &xv) in acc.iter_mut().zip(xs) {
                                *a += v * xv;
                            }
                        }
                    }
                    for j in 0..k {
                        let own = if alpha != 0.0 {
                            alpha * x[i * k + j]
                        } else {
                            0.0
                        };
                        out_row[j] = own + beta * acc[j];
                    }
                }
            });
    }

    /// `y = M x` for one vector.
    pub fn mul(&self, x: &[f64]) -> Vec<f64> {
        let mut y = vec![0.0; self.nrows()];
        self.shifted_mul_block(0.0, 1.0, x, 1, &mut y);
        y
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// [[1, 0, 2], [0, 3, 0]] by columns.
    fn example_csc() -> (usize, Vec<usize>, Vec<u32>, Vec<f64>) {
        (2, vec![0, 1, 2, 3], vec![0, 1, 0], vec![1.0, 3.0, 2.0])
    }

    #[test]
    fn from_csc_and_products_agree_with_the_dense_matrix() {
        let (nrows, cs, r, v) = example_csc();
        let m = CsrMatrix::from_csc(nrows, &cs, &r, &v);
        assert_eq!(m.row(0), (&[0u32, 2][..], &[1.0, 2.0][..]));
        assert_eq!(m.mul(&[1.0, 1.0, 1.0]), vec![3.0, 3.0]);
        // Two interleaved vectors: (1, 2, 3) and (0, 1, 0).
        let mut y = vec![0.0; 4];
        m.shifted_mul_block(0.0, 1.0, &[1.0, 0.0, 2.0, 1.0, 3.0, 0.0], 2, &mut y);
        assert_eq!(y, vec![7.0, 0.0, 6.0, 3.0]);
        let t = CsrMatrix::transpose_of_csc(nrows, &cs, &r, &v);
        assert_eq!(t.mul(&[1.0, 1.0]), vec![1.0, 3.0, 2.0]);
        assert_eq!(m.row_sums(), vec![3.0, 3.0]);
    }

    #[test]
    fn shifted_product_of_a_large_matrix_matches_a_serial_loop() {
        let n = 10_000;
        let cs: Vec<usize> = (0..=n).map(|k| 2 * k).collect();
        let r: Vec<u32> = (0..n)
            .flat_map(|k| [(k * 7 % n) as u32, (k * 13 % n) as u32])
            .collect();
        let mut pairs: Vec<(u32, f64)> = Vec::new();
        for (k, chunk) in r.chunks(2).enumerate() {
            pairs.push((chunk[0], 0.1 + k as f64 * 1e-5));
            pairs.push((chunk[1], 0.2));
        }
        let v: Vec<f64> = pairs.iter().map(|p| p.1).collect();
        let m = CsrMatrix::from_csc(n, &cs, &r, &v);
        let x: Vec<f64> = (0..n).map(|i| (i % 17) as f64).collect();
        let mut y = vec![0.0; n];
        m.shifted_mul_block(1.0, -1.0, &x, 1, &mut y);
        let mut expect = x.clone();
        for k in 0..n {
            for p in cs[k]..cs[k + 1] {
                expect[r[p] as usize] -= v[p] * x[k];
            }
        }
        for i in 0..n {
            assert!((y[i] - expect[i]).abs() < 1e-9, "{i}");
        }
    }
}
