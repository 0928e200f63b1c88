//! Small dense matrices for supply-use tables (a few hundred rows): storage, products, and the
//! Moore-Penrose inverse (faer's SVD).
//!
//! Supply-use tables are a few hundred commodities by a few hundred industries and mostly
//! non-zero in the use table, so dense storage is what the data needs.

/// A row-major dense matrix.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Dense {
    pub rows: usize,
    pub cols: usize,
    pub data: Vec<f64>,
}

impl Dense {
    pub fn zeros(rows: usize, cols: usize) -> Self {
        Dense {
            rows,
            cols,
            data: vec![0.0; rows * cols],
        }
    }

    #[inline]
    pub fn get(&self, r: usize, c: usize) -> f64 {
        self.data[r * self.cols + c]
    }

    #[inline]
    pub fn set(&mut self, r: usize, c: usize, v: f64) {
        self.data[r * self.cols + c] = v;
    }

    #[inline]
    pub fn add(&mut self, r: usize, c: usize, v: f64) {
        self.data[r * self.cols + c] += v;
    }

    pub fn row(&self, r: usize) -> &[f64] {
        &self.data[r * self.cols..(r + 1) * self.cols]
    }

    pub fn row_mut(&mut self, r: usize) -> &mut [f64] {
        &mut self.data[r * self.cols..(r + 1) * self.cols]
    }

    pub fn transpose(&self) -> Dense {
        let mut t = Dense::zeros(self.cols, self.rows);
        for r in 0..self.rows {
            for c in 0..self.cols {
                t.set(c, r, self.get(r, c));
            }
        }
        t
    }

    pub fn row_sums(&self) -> Vec<f64> {
        (0..self.rows).map(|r| self.row(r).iter().sum()).collect()
    }

    pub fn col_sums(&self) -> Vec<f64> {
        let mut sums = vec![0.0; self.cols];
        for r in 0..self.rows {
            for (s, v) in sums.iter_mut().zip(self.row(r)) {
                *s += v;
            }
        }
        sums
    }

    /// `self * other`.
    pub fn mul(&self, other: &Dense) -> Dense {
        assert_eq!(self.cols, other.rows);
        let mut out = Dense::zeros(self.rows, other.cols);
        for r in 0..self.rows {
            for k in 0..self.cols {
                let a = self.get(r, k);
                if a == 0.0 {
                    continue;
                }
                let src = other.row(k);
                for (o, b) in out.row_mut(r).iter_mut().zip(src) {
                    *o += a * b;
                }
            }
        }
        out
    }

    /// The Moore-Penrose inverse (by faer's SVD; singular values below `eps * max(m, n) *
    /// s_max` count as zero) and the rank. `None` when the SVD does not converge.
    pub fn pseudo_inverse(&self) -> Option<(Dense, usize)> {
        let m = faer::Mat::<f64>::from_fn(self.rows, self.cols, |i, j| self.get(i, j));
        let svd = m.thin_svd().ok()?;
        let s = svd.S().column_vector();
        let singular: Vec<f64> = (0..s.nrows()).map(|k| s[k].abs()).collect();
        let smax = singular.iter().copied().fold(0.0, f64::max);
        let tol = f64::EPSILON * (self.rows.max(self.cols) as f64) * smax;
        let rank = singular.iter().filter(|&&v| v > tol).count();
        let p = svd.pseudoinverse();
        let mut out = Dense::zeros(self.cols, self.rows);
        for r in 0..self.cols {
            for c in 0..self.rows {
                out.set(r, c, p[(r, c)]);
            }
        }
        Some((out, rank))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(rows: usize, cols: usize, data: &[f64]) -> Dense {
        Dense {
            rows,
            cols,
            data: data.to_vec(),
        }
    }

    #[test]
    fn inverse_of_a_square_matrix() {
        let a = m(2, 2, &[0.0, 2.0, 4.0, 1.0]);
        let (inv, rank) = a.pseudo_inverse().unwrap();
        assert_eq!(rank, 2);
        let id = a.mul(&inv);
        for (k, v) in id.data.iter().enumerate() {
            let want = if k == 0 || k == 3 { 1.0 } else { 0.0 };
            assert!((v - want).abs() < 1e-14);
        }
        assert_eq!(
            m(2, 2, &[1.0, 2.0, 2.0, 4.0]).pseudo_inverse().unwrap().1,
            1
        );
    }

    #[test]
    fn pseudo_inverse_of_wide_and_tall_matrices() {
        let wide = m(2, 3, &[1.0, 0.0, 1.0, 0.0, 1.0, 0.0]);
        let (p, _) = wide.pseudo_inverse().unwrap();
        let id = wide.mul(&p);
        assert!((id.get(0, 0) - 1.0).abs() < 1e-14 && id.get(0, 1).abs() < 1e-14);
        let tall = wide.transpose();
        let (q, _) = tall.pseudo_inverse().unwrap();
        let id = q.mul(&tall);
        assert!((id.get(1, 1) - 1.0).abs() < 1e-14 && id.get(1, 0).abs() < 1e-14);
    }
}
