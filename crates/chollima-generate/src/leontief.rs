//! The Leontief plan of the targets, by Neumann iteration, used to size resources, capacities
//! and trade.
//!
//! With the primary techniques only (one per product, output 1), the gross output that
//! delivers the final demand `t` is `x = (I - A)^-1 t = t + A t + A^2 t + ...`. Every column
//! sum of `A` is at most 0.8 (see [`crate::structure`]), so the series converges at least like
//! `0.8^n`, in practice like its Perron root (about 0.53). `gross_output` iterates
//! `x <- t + A x` until the step is below [`TOLERANCE`] of `x` (1-norm; about 8 steps). The
//! terms left out are non-negative, at most `0.8 / (1 - 0.8) = 4` times the last step, and by
//! then shrink geometrically at the Perron root: adding them as a geometric tail with the ratio
//! of the last two steps leaves, on a 10^6-product economy, a relative error of about 2e-6 in
//! the 1-norm and below 5e-3 for every product with `x >= 1` (against 60 plain steps, in the
//! ignored test `accuracy_at_a_million_products`; without the tail, about 3e-3 and 0.14). The
//! other tests check 1e-3 (labour) and 1e-2 (capacities) against a dense solve: ample for
//! sizing resources to "80-90 % of the need" and capacities to "1.0-1.5 times". When only the
//! totals matter (no capacities, no trade) the iterations stop at [`TOTAL_TOLERANCE`] (about 6
//! steps), which still leaves the 1-norm within about 1e-4. `labour_values` does the same for
//! the dual `v = l + v A`, to the looser tolerance too: it only sets world prices, which are
//! then scaled by a random 0.7-1.5 anyway.
//!
//! Every product of a step sums its terms in column order and the convergence test uses
//! chunked sums, so the results have the same bits on any number of threads.

use chollima_model::SparseColumns;
use rayon::prelude::*;

use crate::random;

/// Size of the last step, relative to `x` (1-norm), at which the iterations stop when every
/// product's gross output matters (capacities, trade).
pub const TOLERANCE: f64 = 3e-3;
/// The same when only totals matter (the labour and land the plan needs).
pub const TOTAL_TOLERANCE: f64 = 2e-2;
/// The most Neumann steps taken.
pub const MAX_ITERATIONS: usize = 100;

/// Bands of rows, balanced by entries: the unit of parallel work of [`gross_output`].
///
/// `A x` by columns scatters into rows; each band scans every column and adds into its own
/// rows only. Rows are sorted within a column, so a band's entries there are one stretch,
/// located once here. Every row thus receives its terms in column order whatever the bands
/// are, and popular rows (the hubs) stay in cache, which gathering by rows would not allow.
#[derive(Debug)]
struct Bands {
    /// Band `b` holds rows `cuts[b]..cuts[b + 1]`.
    cuts: Vec<u32>,
    /// `splits[b - 1][k]`: where band `b` starts in column `k`, relative to the column start.
    splits: Vec<Vec<u32>>,
}

impl Bands {
    fn new(a: &SparseColumns, n: usize) -> Self {
        let parts = rayon::current_num_threads().clamp(1, 8);
        let nnz = a.col_start()[n];
        let mut cuts = vec![0u32];
        if parts > 1 {
            let mut count = vec![0usize; n];
            for &r in &a.rows()[..nnz] {
                count[r as usize] += 1;
            }
            let mut seen = 0;
            for (i, c) in count.iter().enumerate() {
                seen += c;
                if seen * parts >= cuts.len() * nnz && cuts.len() < parts {
                    cuts.push(i as u32 + 1);
                }
            }
        }
        cuts.push(n as u32);
        let splits = cuts[1..cuts.len() - 1]
            .iter()
            .map(|&cut| {
                (0..n)
                    .into_par_iter()
                    .map(|k| a.column(k).0.partition_point(|&r| r < cut) as u32)
                    .collect()
            })
            .collect();
        Bands { cuts, splits }
    }

    /// `out = t + A x` on the rows of band `b`.
    fn product(&self, b: usize, a: &SparseColumns, t: &[f64], x: &[f64], out: &mut [f64]) {
        let (lo, hi) = (self.cuts[b], self.cuts[b + 1]);
        out.copy_from_slice(&t[lo as usize..hi as usize]);
        let (col_start, rows, values) = (a.col_start(), a.rows(), a.values());
        let first = b.checked_sub(1).map(|s| &self.splits[s]);
        let last = self.splits.get(b);
        for (k, &xk) in x.iter().enumerate() {
            if xk == 0.0 {
                continue;
            }
            let start = col_start[k] + first.map_or(0, |s| s[k] as usize);
            let end = last.map_or(col_start[k + 1], |s| col_start[k] + s[k] as usize);
            for (&r, &v) in rows[start..end].iter().zip(&values[start..end]) {
                out[(r - lo) as usize] += v * xk;
            }
        }
    }
}

/// The progress of a Neumann series: the size of its last step.
#[derive(Debug, Default)]
struct Series {
    step: f64,
}

impl Series {
    /// Ends a step that computed `next` from `x`: swaps them and, once the step is below
    /// `tolerance` of the new `x` (1-norm), adds the tail of the series, taken as geometric
    /// with the ratio of the last two steps (at most 0.8), and answers true.
    fn finish(&mut self, x: &mut Vec<f64>, next: &mut Vec<f64>, tolerance: f64) -> bool {
        let step = random::sum(x.len(), |i| (next[i] - x[i]).abs());
        let size = random::sum(x.len(), |i| next[i].abs());
        std::mem::swap(x, next);
        let done = step <= tolerance * size;
        if done {
            let ratio = if self.step > 0.0 {
                (step / self.step).min(0.8)
            } else {
                0.8
            };
            let factor = ratio / (1.0 - ratio);
            x.par_iter_mut()
                .zip(next.par_iter())
                .for_each(|(xi, &old)| *xi += factor * (*xi - old));
        }
        self.step = step;
        done
    }
}

/// Gross output `x = (I - A)^-1 t` of the primary techniques: the first `t.len()` columns of
/// `a`, technique `k` making product `k` with output 1. `tolerance`: [`TOLERANCE`] or
/// [`TOTAL_TOLERANCE`].
pub(crate) fn gross_output(a: &SparseColumns, t: &[f64], tolerance: f64) -> Vec<f64> {
    let n = t.len();
    assert_eq!(a.nrows(), n);
    let bands = Bands::new(a, n);
    let mut x = t.to_vec();
    let mut next = vec![0.0; n];
    let mut series = Series::default();
    for _ in 0..MAX_ITERATIONS {
        let mut parts = Vec::with_capacity(bands.cuts.len() - 1);
        let mut rest = &mut next[..];
        for (b, cut) in bands.cuts.windows(2).enumerate() {
            let (part, tail) = std::mem::take(&mut rest).split_at_mut((cut[1] - cut[0]) as usize);
            rest = tail;
            parts.push((b, part));
        }
        parts
            .into_par_iter()
            .for_each(|(b, out)| bands.product(b, a, t, &x, out));
        if series.finish(&mut x, &mut next, tolerance) {
            break;
        }
    }
    x
}

/// Labour values `v = l (I - A)^-1` of the products, from the first `l.len()` columns of `a`
/// (the primary techniques, technique `k` making product `k`).
pub(crate) fn labour_values(a: &SparseColumns, l: &[f64]) -> Vec<f64> {
    let mut v = l.to_vec();
    let mut next = vec![0.0; l.len()];
    let mut series = Series::default();
    for _ in 0..MAX_ITERATIONS {
        let (col_start, rows, values) = (a.col_start(), a.rows(), a.values());
        next.par_chunks_mut(random::CHUNK)
            .enumerate()
            .for_each(|(c, out)| {
                for (j, o) in out.iter_mut().enumerate() {
                    let k = c * random::CHUNK + j;
                    let range = col_start[k]..col_start[k + 1];
                    let mut s = l[k];
                    for (&r, &w) in rows[range.clone()].iter().zip(&values[range]) {
                        s += w * v[r as usize];
                    }
                    *o = s;
                }
            });
        if series.finish(&mut v, &mut next, TOTAL_TOLERANCE) {
            break;
        }
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    fn example() -> SparseColumns {
        // 3 products; a 4th column (an alternative) must be ignored.
        SparseColumns::from_columns(
            3,
            vec![
                vec![(1, 0.2), (2, 0.1)],
                vec![(0, 0.3)],
                vec![(0, 0.1), (1, 0.4)],
                vec![(0, 0.9)],
            ],
        )
    }

    #[test]
    fn bands_split_the_work_without_changing_the_result() {
        let a = example();
        let t = [1.0, 2.0, 3.0];
        let pool = |n| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(n)
                .build()
                .unwrap()
        };
        let one = pool(1).install(|| gross_output(&a, &t, TOLERANCE));
        for threads in [2, 3, 8] {
            let bands = pool(threads).install(|| Bands::new(&a, 3));
            assert_eq!(bands.cuts.first(), Some(&0));
            assert_eq!(bands.cuts.last(), Some(&3));
            assert!(bands.cuts.windows(2).all(|w| w[0] <= w[1]));
            assert_eq!(bands.splits.len(), bands.cuts.len() - 2);
            assert_eq!(
                pool(threads).install(|| gross_output(&a, &t, TOLERANCE)),
                one
            );
        }
    }

    #[test]
    fn neumann_iteration_solves_the_leontief_system() {
        let a = example();
        let t = [1.0, 2.0, 3.0];
        let x = gross_output(&a, &t, TOLERANCE);
        for i in 0..3 {
            let ax: f64 = (0..3).map(|k| a.get(i, k) * x[k]).sum();
            assert!((x[i] - ax - t[i]).abs() < 1e-3 * x[i], "row {i}");
        }
        let l = [1.0, 0.5, 2.0];
        let v = labour_values(&a, &l);
        for k in 0..3 {
            let va: f64 = (0..3).map(|i| v[i] * a.get(i, k)).sum();
            assert!((v[k] - va - l[k]).abs() < 1e-3 * v[k], "column {k}");
        }
        // Labour of the plan is the same either way: l . x = v . t
        let lx: f64 = (0..3).map(|i| l[i] * x[i]).sum();
        let vt: f64 = (0..3).map(|i| v[i] * t[i]).sum();
        assert!((lx - vt).abs() < 1e-3 * lx);
    }
}

#[cfg(test)]
mod accuracy {
    use super::*;
    use crate::GenerateConfig;
    use crate::structure::{Layout, inputs};

    /// The accuracy quoted in the module documentation, on a table small enough for the
    /// test suite (the documented figures were measured at 10^6 products with `n` raised).
    #[test]
    fn accuracy_of_the_gross_output_estimate() {
        let n = 50_000;
        let c = GenerateConfig {
            products: n,
            inputs: 10,
            ..GenerateConfig::default()
        };
        let a = inputs(&c, &Layout::new(&c));
        let t: Vec<f64> = (0..n)
            .map(|i| if i % 5 < 3 { 100.0 } else { 0.0 })
            .collect();
        let mut exact = t.clone();
        for _ in 0..60 {
            let mut next = t.clone();
            for (r, k, v) in a.iter().filter(|&(_, k, _)| k < n) {
                next[r] += v * exact[k];
            }
            exact = next;
        }
        let total: f64 = exact.iter().sum();
        let loose = gross_output(&a, &t, TOTAL_TOLERANCE);
        let loose = loose
            .iter()
            .zip(&exact)
            .map(|(a, b)| (a - b).abs())
            .sum::<f64>()
            / total;
        let x = gross_output(&a, &t, TOLERANCE);
        let norm = x
            .iter()
            .zip(&exact)
            .map(|(a, b)| (a - b).abs())
            .sum::<f64>()
            / total;
        let worst = x
            .iter()
            .zip(&exact)
            .filter(|&(_, &b)| b >= 1.0)
            .map(|(a, b)| ((a - b) / b).abs())
            .fold(0.0, f64::max);
        println!("1-norm error {norm:.1e}, worst product with x >= 1: {worst:.1e}");
        println!("1-norm error for totals only: {loose:.1e}");
        assert!(norm < 1e-5 && worst < 1e-2 && loose < 1e-3);
    }
}
