//! Compressed sparse columns: the input and capital coefficients, one column per technique.

/// A sparse matrix stored by columns (CSC) with `u32` row indices.
///
/// Column `k` holds the entries `(row[p], value[p])` for `p` in `col_start[k]..col_start[k + 1]`,
/// with rows strictly increasing inside a column (no duplicates).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SparseColumns {
    nrows: usize,
    col_start: Vec<usize>,
    row: Vec<u32>,
    value: Vec<f64>,
}

impl SparseColumns {
    /// An empty matrix with `nrows` rows and `ncols` columns.
    pub fn empty(nrows: usize, ncols: usize) -> Self {
        SparseColumns {
            nrows,
            col_start: vec![0; ncols + 1],
            row: Vec::new(),
            value: Vec::new(),
        }
    }

    /// Builds from raw CSC arrays.
    ///
    /// # Panics
    /// When the arrays are inconsistent (the caller is a reader or generator that has already
    /// validated them): lengths differ, `col_start` is not non-decreasing, a row is out of range,
    /// or rows are not strictly increasing within a column.
    pub fn from_raw(nrows: usize, col_start: Vec<usize>, row: Vec<u32>, value: Vec<f64>) -> Self {
        assert!(!col_start.is_empty(), "col_start needs ncols + 1 entries");
        assert_eq!(row.len(), value.len(), "row and value lengths differ");
        assert_eq!(
            *col_start.last().unwrap(),
            row.len(),
            "last col_start must equal nnz"
        );
        for k in 0..col_start.len() - 1 {
            let (a, b) = (col_start[k], col_start[k + 1]);
            assert!(a <= b, "col_start must be non-decreasing");
            for p in a..b {
                assert!((row[p] as usize) < nrows, "row index out of range");
                if p > a {
                    assert!(row[p - 1] < row[p], "rows must increase within a column");
                }
            }
        }
        SparseColumns {
            nrows,
            col_start,
            row,
            value,
        }
    }

    /// [`SparseColumns::from_raw`] without the pass over every entry (the length checks stay),
    /// for arrays their caller has just built in order, as an importer's transposition does:
    /// that pass was 0.4 ms of WIOD's 27 ms import and analysis. Debug builds still make it.
    pub fn from_raw_ordered(
        nrows: usize,
        col_start: Vec<usize>,
        row: Vec<u32>,
        value: Vec<f64>,
    ) -> Self {
        if cfg!(debug_assertions) {
            return Self::from_raw(nrows, col_start, row, value);
        }
        assert!(!col_start.is_empty(), "col_start needs ncols + 1 entries");
        assert_eq!(row.len(), value.len(), "row and value lengths differ");
        assert_eq!(
            *col_start.last().unwrap(),
            row.len(),
            "last col_start must equal nnz"
        );
        SparseColumns {
            nrows,
            col_start,
            row,
            value,
        }
    }

    /// Builds from per-column lists of `(row, value)`; each list is sorted here.
    ///
    /// # Panics
    /// On a duplicate row within a column or a row out of range.
    pub fn from_columns(nrows: usize, columns: Vec<Vec<(u32, f64)>>) -> Self {
        let mut col_start = Vec::with_capacity(columns.len() + 1);
        let nnz = columns.iter().map(Vec::len).sum();
        let mut row = Vec::with_capacity(nnz);
        let mut value = Vec::with_capacity(nnz);
        col_start.push(0);
        for mut column in columns {
            column.sort_by_key(|&(r, _)| r);
            for (r, v) in column {
                row.push(r);
                value.push(v);
            }
            col_start.push(row.len());
        }
        Self::from_raw(nrows, col_start, row, value)
    }

    pub fn nrows(&self) -> usize {
        self.nrows
    }

    pub fn ncols(&self) -> usize {
        self.col_start.len() - 1
    }

    /// Number of stored entries.
    pub fn nnz(&self) -> usize {
        self.row.len()
    }

    /// Rows and values of column `k`.
    pub fn column(&self, k: usize) -> (&[u32], &[f64]) {
        let range = self.col_start[k]..self.col_start[k + 1];
        (&self.row[range.clone()], &self.value[range])
    }

    pub fn col_start(&self) -> &[usize] {
        &self.col_start
    }

    pub fn rows(&self) -> &[u32] {
        &self.row
    }

    pub fn values(&self) -> &[f64] {
        &self.value
    }

    /// Mutable access to the values (the pattern stays fixed).
    pub fn values_mut(&mut self) -> &mut [f64] {
        &mut self.value
    }

    /// The entry at `(row, col)`, zero when not stored.
    pub fn get(&self, row: usize, col: usize) -> f64 {
        let (rows, values) = self.column(col);
        match rows.binary_search(&(row as u32)) {
            Ok(p) => values[p],
            Err(_) => 0.0,
        }
    }

    /// Iterates over all entries as `(row, col, value)`, column by column.
    pub fn iter(&self) -> impl Iterator<Item = (usize, usize, f64)> + '_ {
        (0..self.ncols()).flat_map(move |k| {
            let (rows, values) = self.column(k);
            rows.iter()
                .zip(values)
                .map(move |(&r, &v)| (r as usize, k, v))
        })
    }

    /// Sum of each column.
    pub fn column_sums(&self) -> Vec<f64> {
        (0..self.ncols())
            .map(|k| self.column(k).1.iter().sum())
            .collect()
    }

    /// Consumes the matrix into its raw CSC arrays `(nrows, col_start, row, value)`.
    pub fn into_raw(self) -> (usize, Vec<usize>, Vec<u32>, Vec<f64>) {
        (self.nrows, self.col_start, self.row, self.value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_columns_sorts_rows_and_answers_lookups() {
        let m =
            SparseColumns::from_columns(3, vec![vec![(2, 0.5), (0, 0.25)], vec![], vec![(1, 1.0)]]);
        assert_eq!(m.nnz(), 3);
        assert_eq!(m.column(0), (&[0u32, 2][..], &[0.25, 0.5][..]));
        assert_eq!(m.get(2, 0), 0.5);
        assert_eq!(m.get(1, 0), 0.0);
        assert_eq!(m.column_sums(), vec![0.75, 0.0, 1.0]);
        let triples: Vec<_> = m.iter().collect();
        assert_eq!(triples, vec![(0, 0, 0.25), (2, 0, 0.5), (1, 2, 1.0)]);
    }

    #[test]
    #[allow(clippy::should_panic_without_expect)]
    fn duplicate_rows_are_rejected() {
        let result = std::panic::catch_unwind(|| {
            SparseColumns::from_columns(2, vec![vec![(1, 0.5), (1, 0.25)]])
        });
        assert!(result.is_err());
    }
}
