//! Matrix products as operators, by gathering (rows) or by scattering (columns).
//!
//! `A x` can be computed from rows of `A` (each output entry gathers from `x`) or from columns
//! of `A` (each column scatters `x_j` times itself into the output). On input-output tables the
//! inputs of a technique are concentrated on popular goods (energy, transport, ...), so the
//! scatter writes and the transposed gathers both land on a small hot set that stays in cache,
//! while gathering by rows reads all over `x`: on a 10^6-product table the scatter product was
//! several times faster. The scatter writes into one buffer per thread, summed afterwards.
//!
//! The long tail of inputs still lands all over the buffer, and each of those accesses waits on
//! main memory. The kernels ask for the cache line of the input `PREFETCH_DISTANCE` entries
//! ahead, so many such waits overlap: on the 10^6-product table one fused pass went from
//! 231 ms to 127-138 ms (fastest of 7, `examples/pass_timing.rs` in chollima-analysis).

use std::sync::Mutex;

use rayon::prelude::*;

use crate::CsrMatrix;

/// A square linear operator `x -> M x` on blocks of `k` interleaved vectors.
pub trait Operator: Sync {
    fn dim(&self) -> usize;
    /// `y = M x`.
    fn mul_block(&self, x: &[f64], k: usize, y: &mut [f64]);

    /// `y = (I - M) x`, the Leontief operator; kernels that can fold the subtraction into their
    /// last step override this and save a pass over the block.
    fn identity_minus_block(&self, x: &[f64], k: usize, y: &mut [f64]) {
        self.mul_block(x, k, y);
        y.par_iter_mut()
            .zip(x.par_iter())
            .for_each(|(yv, xv)| *yv = xv - *yv);
    }
}

/// `M x` by rows of `M`.
#[derive(Debug)]
pub struct Gather<'a>(pub &'a CsrMatrix);

impl Operator for Gather<'_> {
    fn dim(&self) -> usize {
        self.0.nrows()
    }

    fn mul_block(&self, x: &[f64], k: usize, y: &mut [f64]) {
        self.0.shifted_mul_block(0.0, 1.0, x, k, y);
    }
}

/// `M x` from the rows of `M'` (the columns of `M`), scattering into per-task buffers.
#[derive(Debug)]
pub struct Scatter<'a> {
    transpose: &'a CsrMatrix,
    /// Row ranges of `transpose` with about equal numbers of entries, one per task.
    ranges: Vec<(usize, usize)>,
    buffers: Mutex<Vec<Vec<f64>>>,
}

impl<'a> Scatter<'a> {
    /// `transpose` holds `M'` by rows, i.e. `M` by columns.
    pub fn new(transpose: &'a CsrMatrix) -> Self {
        let tasks = rayon::current_num_threads().max(1);
        let n = transpose.nrows();
        let nnz = transpose.nnz();
        let mut ranges = Vec::with_capacity(tasks);
        let mut start = 0;
        for t in 1..=tasks {
            let goal = nnz * t / tasks;
            let mut end = start;
            while end < n && (t == tasks || transpose.row_start(end) < goal) {
                end += 1;
            }
            ranges.push((start, end));
            start = end;
        }
        Scatter {
            transpose,
            ranges,
            buffers: Mutex::new(Vec::new()),
        }
    }
}

impl Operator for Scatter<'_> {
    fn dim(&self) -> usize {
        self.transpose.nrows()
    }

    fn mul_block(&self, x: &[f64], k: usize, y: &mut [f64]) {
        let len = self.transpose.ncols() * k;
        let mut buffers = std::mem::take(&mut *self.buffers.lock().expect("not poisoned"));
        buffers.resize_with(self.ranges.len(), Vec::new);
        buffers
            .par_iter_mut()
            .zip(&self.ranges)
            .for_each(|(buffer, &(start, end))| {
                buffer.clear();
                buffer.resize(len, 0.0);
                let all_cols = self.transpose.col_indices();
                for row in start..end {
                    let (cols, values) = self.transpose.row(row);
                    let xs = &x[row * k..row * k + k];
                    if xs.iter().all(|&v| v == 0.0) {
                        continue;
                    }
                    let offset = self.transpose.row_start(row);
                    for (e, (&c, &v)) in cols.iter().zip(values).enumerate() {
                        if let Some(&ahead) = all_cols.get(offset + e + PREFETCH_DISTANCE) {
                            prefetch(buffer, ahead as usize * k);
                        }
                        let out = &mut buffer[c as usize * k..c as usize * k + k];
                        for (o, &xv) in out.iter_mut().zip(xs) {
                            *o += v * xv;
                        }
                    }
                }
            });
        const BLOCK: usize = 1 << 14;
        y.par_chunks_mut(BLOCK).enumerate().for_each(|(b, out)| {
            let range = b * BLOCK..b * BLOCK + out.len();
            out.copy_from_slice(&buffers[0][range.clone()]);
            for buffer in &buffers[1..] {
                for (o, v) in out.iter_mut().zip(&buffer[range.clone()]) {
                    *o += v;
                }
            }
        });
        *self.buffers.lock().expect("not poisoned") = buffers;
    }
}

/// `A x` and `A' z` in one pass over `A`: of a block of `2h` interleaved vectors, the first `h`
/// are multiplied by `A` (scattered along the columns of `A`) and the last `h` by `A'`
/// (gathered along the same columns). One stream of the matrix serves both products, and the
/// two touch the same entries of the block (those of a technique's inputs), so a 10^7-nonzero
/// table is read once per iteration of the plain and the transposed solves together.
#[derive(Debug)]
pub struct Fused<'a> {
    scatter: Scatter<'a>,
}

impl<'a> Fused<'a> {
    /// `by_columns` holds `A` by columns (the rows of `A'`).
    pub fn new(by_columns: &'a CsrMatrix) -> Self {
        Fused {
            scatter: Scatter::new(by_columns),
        }
    }
}

impl Operator for Fused<'_> {
    fn dim(&self) -> usize {
        self.scatter.transpose.nrows()
    }

    fn mul_block(&self, x: &[f64], k: usize, y: &mut [f64]) {
        self.product(x, k, y, false);
    }

    fn identity_minus_block(&self, x: &[f64], k: usize, y: &mut [f64]) {
        self.product(x, k, y, true);
    }
}

impl Fused<'_> {
    /// `y = M x`, or `y = x - M x` when `identity_minus`.
    fn product(&self, x: &[f64], k: usize, y: &mut [f64], identity_minus: bool) {
        let finish = |xv: f64, sum: f64| if identity_minus { xv - sum } else { sum };
        assert!(
            k.is_multiple_of(2) && k <= 8,
            "a fused block holds up to 4 plain and 4 transposed vectors"
        );
        let h = k / 2;
        let m = self.scatter.transpose;
        let ranges = &self.scatter.ranges;
        let mut buffers = std::mem::take(&mut *self.scatter.buffers.lock().expect("not poisoned"));
        buffers.resize_with(ranges.len(), Vec::new);
        // Each task owns the rows of its range in `y` (for the gathered half).
        let parts = crate::split_rows(y, ranges.iter().copied(), k);
        buffers.par_iter_mut().zip(parts).zip(ranges).for_each(
            |((buffer, part), &(start, end))| {
                // Row c of the buffer holds [scatter accumulators | the gathered half of x at c],
                // so each nonzero touches one cache line at its input instead of two. Sized
                // once: later products overwrite every entry.
                buffer.resize(x.len(), 0.0);
                // The width is a constant inside the kernel, so its inner loops unroll.
                let kernel = match h {
                    1 => fused_rows::<1>,
                    2 => fused_rows::<2>,
                    3 => fused_rows::<3>,
                    _ => fused_rows::<4>,
                };
                kernel(m, x, buffer, part, start..end, &finish);
            },
        );
        const ROWS: usize = 1 << 13;
        y.par_chunks_mut(ROWS * k).enumerate().for_each(|(b, out)| {
            for (local, row) in out.chunks_exact_mut(k).enumerate() {
                let i = b * ROWS + local;
                for j in 0..h {
                    let sum: f64 = buffers.iter().map(|buffer| buffer[i * k + j]).sum();
                    row[j] = finish(x[i * k + j], sum);
                }
            }
        });
        *self.scatter.buffers.lock().expect("not poisoned") = buffers;
    }
}

/// The fused kernel for rows `rows` of `A'` (columns of `A`), `H` plain and `H` transposed
/// vectors: lays out `buffer` (each row: `H` zeroed accumulators, then the transposed half of
/// `x`'s row), scatters into it and writes the gathered half of the rows into `part`.
fn fused_rows<const H: usize>(
    m: &CsrMatrix,
    x: &[f64],
    buffer: &mut [f64],
    part: &mut [f64],
    rows: std::ops::Range<usize>,
    finish: &(impl Fn(f64, f64) -> f64 + Sync),
) {
    let k = 2 * H;
    // One pass with the width known: building the buffer through a generic iterator chain
    // was a quarter of the 10^6-product analysis (`perf record`), as long as the products.
    for (line, row) in buffer.chunks_exact_mut(k).zip(x.chunks_exact(k)) {
        line[..H].fill(0.0);
        line[H..].copy_from_slice(&row[H..]);
    }
    let all_cols = m.col_indices();
    let start = rows.start;
    for row in rows {
        let (cols, values) = m.row(row);
        let offset = m.row_start(row);
        let xs: [f64; H] = x[row * k..row * k + H].try_into().expect("H entries");
        let mut gathered = [0.0; H];
        for (e, (&c, &v)) in cols.iter().zip(values).enumerate() {
            if let Some(&ahead) = all_cols.get(offset + e + PREFETCH_DISTANCE) {
                prefetch(buffer, ahead as usize * k);
            }
            let line = &mut buffer[c as usize * k..c as usize * k + k];
            for j in 0..H {
                line[j] += v * xs[j];
                gathered[j] += v * line[H + j];
            }
        }
        let local = (row - start) * k;
        for j in 0..H {
            part[local + H + j] = finish(x[row * k + H + j], gathered[j]);
        }
    }
}

/// How many entries ahead the fused kernel asks for the cache line of an input.
const PREFETCH_DISTANCE: usize = 32;

/// Hints the processor to fetch `data[at]` into cache; no effect on the values.
#[inline(always)]
fn prefetch(data: &[f64], at: usize) {
    #[cfg(target_arch = "x86_64")]
    {
        let pointer = data.as_ptr().wrapping_add(at) as *const i8;
        // SAFETY: a prefetch is a hint; it never faults, even for an address outside `data`.
        #[allow(unsafe_code)]
        unsafe {
            std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(pointer);
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (data, at);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scatter_and_gather_give_the_same_product() {
        let n = 5000;
        let cs: Vec<usize> = (0..=n).map(|k| 3 * k).collect();
        let r: Vec<u32> = (0..n)
            .flat_map(|k| [0u32, (k * 7 % n) as u32, (k * 13 % n) as u32])
            .collect();
        let mut r = r;
        for chunk in r.chunks_mut(3) {
            chunk.sort();
        }
        let v: Vec<f64> = (0..3 * n).map(|p| 0.01 + (p % 11) as f64 * 0.01).collect();
        let rows = CsrMatrix::from_csc(n, &cs, &r, &v);
        let columns = CsrMatrix::transpose_of_csc(n, &cs, &r, &v);
        let x: Vec<f64> = (0..2 * n).map(|i| (i % 13) as f64 - 6.0).collect();
        let (mut a, mut b) = (vec![0.0; 2 * n], vec![0.0; 2 * n]);
        Gather(&rows).mul_block(&x, 2, &mut a);
        let scatter = Scatter::new(&columns);
        scatter.mul_block(&x, 2, &mut b);
        scatter.mul_block(&x, 2, &mut b); // buffers are reused and cleared
        for i in 0..2 * n {
            assert!(
                (a[i] - b[i]).abs() < 1e-12 * a[i].abs().max(1.0),
                "{i}: {} {}",
                a[i],
                b[i]
            );
        }
        // Fused: columns 0, 1 by A, columns 2, 3 by A'.
        let x4: Vec<f64> = (0..4 * n).map(|i| ((i * 7) % 17) as f64 - 8.0).collect();
        let mut fused = vec![0.0; 4 * n];
        let fused_operator = Fused::new(&columns);
        let mut shifted = vec![0.0; 4 * n];
        fused_operator.identity_minus_block(&x4, 4, &mut shifted);
        fused_operator.mul_block(&x4, 4, &mut fused);
        for i in 0..4 * n {
            assert_eq!(shifted[i], x4[i] - fused[i], "(I - M) x at {i}");
        }
        let plain: Vec<f64> = x4.chunks(4).flat_map(|r| [r[0], r[1]]).collect();
        let transposed: Vec<f64> = x4.chunks(4).flat_map(|r| [r[2], r[3]]).collect();
        let (mut ap, mut at) = (vec![0.0; 2 * n], vec![0.0; 2 * n]);
        Gather(&rows).mul_block(&plain, 2, &mut ap);
        Gather(&columns).mul_block(&transposed, 2, &mut at);
        for i in 0..n {
            for j in 0..2 {
                assert!(
                    (fused[4 * i + j] - ap[2 * i + j]).abs() < 1e-12 * ap[2 * i + j].abs().max(1.0)
                );
                assert!(
                    (fused[4 * i + 2 + j] - at[2 * i + j]).abs()
                        < 1e-12 * at[2 * i + j].abs().max(1.0)
                );
            }
        }
    }
}
