//! Primal-dual hybrid gradient for large linear programs, in the manner of PDLP (Applegate et
//! al., "Practical large-scale linear programming using primal-dual hybrid gradient", 2021):
//!
//! - diagonal preconditioning: Ruiz equilibration, then Pock-Chambolle scaling;
//! - adaptive step sizes (the largest step the iterate's own movement allows);
//! - adaptive restarts, to the average or the current iterate, whichever has the smaller KKT
//!   error, when that error has fallen enough since the last restart;
//! - a primal weight that balances the primal and dual distances travelled between restarts.
//!
//! Every iteration is two sparse products, `K x` by rows and `K'y` by columns, both run in
//! parallel (rayon) over a CSR and a CSC copy of the scaled matrix, with the projections fused
//! into the same pass. Parallel sums are added in chunk order
//! ([`chollima_linalg::fold_in_order`]), so a run is the same every time. The method knows
//! nothing about plans: it hands its iterates, unscaled, to a `check` callback that certifies them (makes them feasible, bounds the optimum by weak
//! duality) and says when to stop.

use std::time::Instant;

use chollima_linalg::fold_in_order;
use rayon::prelude::*;

use crate::lp::LinearProgram;

/// When to give up.
#[derive(Debug, Clone, Copy)]
pub struct PdlpSettings {
    pub max_iterations: usize,
    pub time_limit_seconds: f64,
}

impl Default for PdlpSettings {
    fn default() -> Self {
        PdlpSettings {
            max_iterations: 1_000_000,
            time_limit_seconds: f64::INFINITY,
        }
    }
}

/// Why the iteration stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Termination {
    /// The check callback said so.
    Checked,
    IterationLimit,
    TimeLimit,
}

/// An iterate handed to the check callback, in the LP's own units; `y` has the sign convention
/// of [`LinearProgram::dual_bound`].
#[derive(Debug)]
pub struct Iterate<'a> {
    pub x: &'a [f64],
    pub y: &'a [f64],
    pub iteration: usize,
    /// The relative KKT error of the point (scaled problem), for progress reports.
    pub kkt: f64,
}

/// The last iterate handed out and how the run ended.
#[derive(Debug, Clone)]
pub struct PdlpOutcome {
    pub termination: Termination,
    pub iterations: usize,
    pub x: Vec<f64>,
    pub y: Vec<f64>,
}

/// Rows and columns per parallel task.
const CHUNK: usize = 2048;
/// Iterations between restart checks (and between calls of the check callback at most).
const RESTART_CHECK: usize = 64;
/// PDLP's restart parameters (sufficient, necessary, artificial).
const BETA_SUFFICIENT: f64 = 0.2;
const BETA_NECESSARY: f64 = 0.8;
const BETA_ARTIFICIAL: f64 = 0.36;
/// Smoothing of the primal weight update.
const PRIMAL_WEIGHT_SMOOTHING: f64 = 0.5;
const RUIZ_ITERATIONS: usize = 10;

/// The scaled problem: `min c'x  s.t.  K x in [row_lower, row_upper],  x in [col_lower,
/// col_upper]` with `K = D_r M D_c`, `x = x_scaled * D_c`, `y = y_scaled * D_r`.
struct Scaled {
    cost: Vec<f64>,
    col_lower: Vec<f64>,
    col_upper: Vec<f64>,
    row_lower: Vec<f64>,
    row_upper: Vec<f64>,
    col_scale: Vec<f64>,
    row_scale: Vec<f64>,
    by_columns: Sparse,
    by_rows: Sparse,
}

/// A compressed sparse matrix, by rows or by columns.
struct Sparse {
    start: Vec<usize>,
    index: Vec<u32>,
    value: Vec<f64>,
}

impl Sparse {
    fn dot(&self, line: usize, v: &[f64]) -> f64 {
        let range = self.start[line]..self.start[line + 1];
        let (index, value) = (&self.index[range.clone()], &self.value[range]);
        // Four running sums: one chain of dependent additions would wait on the adder's
        // latency at every entry.
        let mut sums = [0.0f64; 4];
        let (index_quads, value_quads) = (index.chunks_exact(4), value.chunks_exact(4));
        let (index_rest, value_rest) = (index_quads.remainder(), value_quads.remainder());
        for (i, a) in index_quads.zip(value_quads) {
            sums[0] += a[0] * v[i[0] as usize];
            sums[1] += a[1] * v[i[1] as usize];
            sums[2] += a[2] * v[i[2] as usize];
            sums[3] += a[3] * v[i[3] as usize];
        }
        for (&i, &a) in index_rest.iter().zip(value_rest) {
            sums[0] += a * v[i as usize];
        }
        (sums[0] + sums[1]) + (sums[2] + sums[3])
    }

    /// `out[line] = <line, v>` for every line, in parallel.
    fn mul_into(&self, v: &[f64], out: &mut [f64]) {
        out.par_chunks_mut(CHUNK)
            .enumerate()
            .for_each(|(c, chunk)| {
                for (o, value) in chunk.iter_mut().enumerate() {
                    *value = self.dot(c * CHUNK + o, v);
                }
            });
    }

    fn transpose(&self, lines: usize, other_lines: usize) -> Sparse {
        let mut count = vec![0usize; other_lines + 1];
        for &i in &self.index {
            count[i as usize + 1] += 1;
        }
        for i in 0..other_lines {
            count[i + 1] += count[i];
        }
        let start = count.clone();
        let mut next = count;
        let mut index = vec![0u32; self.index.len()];
        let mut value = vec![0.0; self.index.len()];
        for line in 0..lines {
            for p in self.start[line]..self.start[line + 1] {
                let i = self.index[p] as usize;
                index[next[i]] = line as u32;
                value[next[i]] = self.value[p];
                next[i] += 1;
            }
        }
        Sparse {
            start,
            index,
            value,
        }
    }
}

impl Scaled {
    fn new(lp: &LinearProgram) -> Scaled {
        let (n, m) = (lp.num_cols(), lp.num_rows());
        let mut by_columns = Sparse {
            start: lp.col_start.clone(),
            index: lp.row_index.clone(),
            value: lp.value.clone(),
        };
        let mut col_scale = vec![1.0; n];
        let mut row_scale = vec![1.0; m];
        // Ruiz: divide every row and column by the square root of its largest entry.
        // Then Pock-Chambolle (alpha = 1): by the square roots of their 1-norms.
        let ruiz = |a: f64, b: f64| a.max(b);
        let pock_chambolle = |a: f64, b: f64| a + b;
        let folds: Vec<&dyn Fn(f64, f64) -> f64> = std::iter::repeat_n(&ruiz as _, RUIZ_ITERATIONS)
            .chain([&pock_chambolle as _])
            .collect();
        for fold in folds {
            let (col_norm, row_norm) = norms(&by_columns, m, fold);
            rescale(
                &mut by_columns,
                &mut col_scale,
                &mut row_scale,
                &col_norm,
                &row_norm,
            );
        }
        let by_rows = by_columns.transpose(n, m);
        // Minimise the negated objective.
        let cost = (0..n).map(|j| -lp.cost[j] * col_scale[j]).collect();
        let col_lower = (0..n).map(|j| lp.col_lower[j] / col_scale[j]).collect();
        let col_upper = (0..n).map(|j| lp.col_upper[j] / col_scale[j]).collect();
        let row_lower = (0..m).map(|i| lp.row_lower[i] * row_scale[i]).collect();
        let row_upper = (0..m).map(|i| lp.row_upper[i] * row_scale[i]).collect();
        Scaled {
            cost,
            col_lower,
            col_upper,
            row_lower,
            row_upper,
            col_scale,
            row_scale,
            by_columns,
            by_rows,
        }
    }
}

/// Column and row norms of a matrix by columns, folding the entries' sizes with `fold`.
fn norms(by_columns: &Sparse, rows: usize, fold: &dyn Fn(f64, f64) -> f64) -> (Vec<f64>, Vec<f64>) {
    let cols = by_columns.start.len() - 1;
    let mut col_norm = vec![0.0; cols];
    let mut row_norm = vec![0.0; rows];
    for j in 0..cols {
        for p in by_columns.start[j]..by_columns.start[j + 1] {
            let a = by_columns.value[p].abs();
            col_norm[j] = fold(col_norm[j], a);
            let i = by_columns.index[p] as usize;
            row_norm[i] = fold(row_norm[i], a);
        }
    }
    (col_norm, row_norm)
}

/// Divides column `j` by `sqrt(col_norm[j])` and row `i` by `sqrt(row_norm[i])` (empty ones
/// stay), folding the factors into the scales.
fn rescale(
    by_columns: &mut Sparse,
    col_scale: &mut [f64],
    row_scale: &mut [f64],
    col_norm: &[f64],
    row_norm: &[f64],
) {
    let factor = |norm: f64| if norm > 0.0 { 1.0 / norm.sqrt() } else { 1.0 };
    let col_factor: Vec<f64> = col_norm.iter().map(|&v| factor(v)).collect();
    let row_factor: Vec<f64> = row_norm.iter().map(|&v| factor(v)).collect();
    for j in 0..col_factor.len() {
        col_scale[j] *= col_factor[j];
        for p in by_columns.start[j]..by_columns.start[j + 1] {
            let i = by_columns.index[p] as usize;
            by_columns.value[p] *= col_factor[j] * row_factor[i];
        }
    }
    for (s, f) in row_scale.iter_mut().zip(&row_factor) {
        *s *= f;
    }
}

/// The dual proximal step for a row with bounds `[lower, upper]`: the multiplier of
/// `K x >= lower` is positive, of `K x <= upper` negative.
fn dual_prox(v: f64, sigma: f64, lower: f64, upper: f64) -> f64 {
    if v + sigma * lower > 0.0 {
        v + sigma * lower
    } else if v + sigma * upper < 0.0 {
        v + sigma * upper
    } else {
        0.0
    }
}

/// A primal-dual point with its products.
#[derive(Clone)]
struct Point {
    x: Vec<f64>,
    y: Vec<f64>,
    kx: Vec<f64>,
    kty: Vec<f64>,
}

impl Scaled {
    fn point(&self, x: Vec<f64>, y: Vec<f64>) -> Point {
        let mut kx = vec![0.0; y.len()];
        let mut kty = vec![0.0; x.len()];
        self.by_rows.mul_into(&x, &mut kx);
        self.by_columns.mul_into(&y, &mut kty);
        Point { x, y, kx, kty }
    }

    /// The relative KKT error of a point: primal residual, dual residual and objective gap,
    /// weighted by the primal weight and relative to the size of the data.
    fn kkt(&self, p: &Point, weight: f64) -> f64 {
        let (mut primal_res, mut primal_size) = (0.0f64, 0.0f64);
        let mut dual_objective = 0.0;
        for i in 0..p.y.len() {
            let (lo, hi, v) = (self.row_lower[i], self.row_upper[i], p.kx[i]);
            let violation = if v < lo {
                lo - v
            } else if v > hi {
                v - hi
            } else {
                0.0
            };
            primal_res += violation * violation;
            let size = if lo.is_finite() { lo.abs() } else { 0.0 }.max(if hi.is_finite() {
                hi.abs()
            } else {
                0.0
            });
            primal_size += size * size;
            dual_objective += if p.y[i] > 0.0 {
                p.y[i] * lo
            } else if p.y[i] < 0.0 {
                p.y[i] * hi
            } else {
                0.0
            };
        }
        let (mut dual_res, mut cost_size, mut primal_objective) = (0.0f64, 0.0f64, 0.0);
        for j in 0..p.x.len() {
            let reduced = self.cost[j] - p.kty[j];
            let (lo, hi) = (self.col_lower[j], self.col_upper[j]);
            if reduced > 0.0 {
                if lo.is_finite() {
                    dual_objective += reduced * lo;
                } else {
                    dual_res += reduced * reduced;
                }
            } else if reduced < 0.0 {
                if hi.is_finite() {
                    dual_objective += reduced * hi;
                } else {
                    dual_res += reduced * reduced;
                }
            }
            cost_size += self.cost[j] * self.cost[j];
            primal_objective += self.cost[j] * p.x[j];
        }
        let gap = (primal_objective - dual_objective).abs()
            / (1.0 + primal_objective.abs() + dual_objective.abs());
        let primal = primal_res.sqrt() / (1.0 + primal_size.sqrt());
        let dual = dual_res.sqrt() / (1.0 + cost_size.sqrt());
        (weight * primal * primal + dual * dual / weight + gap * gap).sqrt()
    }

    /// `(x, y)` in the LP's units, `y` in the convention of `dual_bound` (a maximisation).
    fn unscale(&self, p: &Point) -> (Vec<f64>, Vec<f64>) {
        let x =
            p.x.iter()
                .zip(&self.col_scale)
                .map(|(v, s)| v * s)
                .collect();
        let y =
            p.y.iter()
                .zip(&self.row_scale)
                .map(|(v, s)| -v * s)
                .collect();
        (x, y)
    }
}

/// Runs PDHG on `lp` from `start` (a point in the LP's units and dual convention, or zeros).
/// At every restart check (64 iterations) it offers the better of the current and the average
/// iterate to `check`, which certifies it and returns true to stop.
pub fn solve(
    lp: &LinearProgram,
    start: Option<(&[f64], &[f64])>,
    settings: &PdlpSettings,
    mut check: impl FnMut(&Iterate) -> bool,
) -> PdlpOutcome {
    let clock = Instant::now();
    let scaled = Scaled::new(lp);
    let (n, m) = (lp.num_cols(), lp.num_rows());
    let (x0, y0): (Vec<f64>, Vec<f64>) = match start {
        Some((x, y)) => (
            (0..n)
                .map(|j| {
                    (x[j] / scaled.col_scale[j]).clamp(scaled.col_lower[j], scaled.col_upper[j])
                })
                .collect(),
            (0..m).map(|i| -y[i] / scaled.row_scale[i]).collect(),
        ),
        None => (
            (0..n)
                .map(|j| 0f64.clamp(scaled.col_lower[j], scaled.col_upper[j]))
                .collect(),
            vec![0.0; m],
        ),
    };
    let mut current = scaled.point(x0, y0);

    let norm = |v: &[f64]| v.iter().map(|a| a * a).sum::<f64>().sqrt();
    let cost_norm = norm(&scaled.cost);
    let bound_norm = norm(
        &(0..m)
            .map(|i| {
                let (lo, hi) = (scaled.row_lower[i], scaled.row_upper[i]);
                if lo.is_finite() && lo != 0.0 {
                    lo
                } else if hi.is_finite() {
                    hi
                } else {
                    0.0
                }
            })
            .collect::<Vec<_>>(),
    );
    let mut weight = if cost_norm > 0.0 && bound_norm > 0.0 {
        cost_norm / bound_norm
    } else {
        1.0
    };
    let max_entry = scaled
        .by_columns
        .value
        .iter()
        .fold(0.0f64, |a, &v| a.max(v.abs()));
    let mut step = if max_entry > 0.0 {
        1.0 / max_entry
    } else {
        1.0
    };

    let mut restart_point = current.clone();
    let mut restart_kkt = scaled.kkt(&current, weight);
    let mut previous_candidate_kkt = f64::INFINITY;
    let mut x_sum = vec![0.0; n];
    let mut y_sum = vec![0.0; m];
    let mut weight_sum = 0.0;
    let mut since_restart = 0usize;
    let (mut x_new, mut y_new, mut kx_new) = (vec![0.0; n], vec![0.0; m], vec![0.0; m]);
    let mut total_steps = 0usize;

    let mut termination = Termination::IterationLimit;
    let mut iterations = 0;
    while iterations < settings.max_iterations {
        iterations += 1;
        // One accepted PDHG step; a step the movement does not allow is shrunk and retried.
        loop {
            total_steps += 1;
            let tau = step / weight;
            let sigma = step * weight;
            let dx2_parts = x_new.par_chunks_mut(CHUNK).enumerate().map(|(c, chunk)| {
                let mut dx2 = 0.0;
                for (o, value) in chunk.iter_mut().enumerate() {
                    let j = c * CHUNK + o;
                    let moved = current.x[j] - tau * (scaled.cost[j] - current.kty[j]);
                    *value = moved.clamp(scaled.col_lower[j], scaled.col_upper[j]);
                    let d = *value - current.x[j];
                    dx2 += d * d;
                }
                dx2
            });
            let dx2 = fold_in_order(dx2_parts, 0.0, |a, b| a + b);
            let x_view = &x_new;
            let dual_parts = kx_new
                .par_chunks_mut(CHUNK)
                .zip(y_new.par_chunks_mut(CHUNK))
                .enumerate()
                .map(|(c, (kx_chunk, y_chunk))| {
                    let (mut dy2, mut interaction) = (0.0, 0.0);
                    for (o, (kx, y)) in kx_chunk.iter_mut().zip(y_chunk.iter_mut()).enumerate() {
                        let i = c * CHUNK + o;
                        *kx = scaled.by_rows.dot(i, x_view);
                        let extrapolated = 2.0 * *kx - current.kx[i];
                        *y = dual_prox(
                            current.y[i] - sigma * extrapolated,
                            sigma,
                            scaled.row_lower[i],
                            scaled.row_upper[i],
                        );
                        let dy = *y - current.y[i];
                        dy2 += dy * dy;
                        interaction += dy * (*kx - current.kx[i]);
                    }
                    (dy2, interaction)
                });
            let (dy2, interaction) =
                fold_in_order(dual_parts, (0.0, 0.0), |a, b| (a.0 + b.0, a.1 + b.1));
            let movement = 0.5 * weight * dx2 + 0.5 * dy2 / weight;
            let limit = if interaction.abs() > 0.0 {
                movement / interaction.abs()
            } else {
                f64::INFINITY
            };
            let k = total_steps as f64;
            let accepted = step <= limit;
            let next_step =
                ((1.0 - (k + 1.0).powf(-0.3)) * limit).min((1.0 + (k + 1.0).powf(-0.6)) * step);
            if accepted || !next_step.is_finite() || next_step <= 0.0 {
                std::mem::swap(&mut current.x, &mut x_new);
                std::mem::swap(&mut current.y, &mut y_new);
                std::mem::swap(&mut current.kx, &mut kx_new);
                scaled.by_columns.mul_into(&current.y, &mut current.kty);
                // The average weights every iterate by its step.
                x_sum
                    .par_iter_mut()
                    .zip(current.x.par_iter())
                    .for_each(|(s, v)| *s += step * v);
                y_sum
                    .par_iter_mut()
                    .zip(current.y.par_iter())
                    .for_each(|(s, v)| *s += step * v);
                weight_sum += step;
                if next_step.is_finite() && next_step > 0.0 {
                    step = next_step;
                }
                break;
            }
            step = next_step;
        }
        since_restart += 1;

        let timed_out = clock.elapsed().as_secs_f64() >= settings.time_limit_seconds;
        if iterations % RESTART_CHECK != 0 && !timed_out && iterations < settings.max_iterations {
            continue;
        }
        // Restart check: the better of the average and the current iterate.
        let average = scaled.point(
            x_sum.iter().map(|v| v / weight_sum).collect(),
            y_sum.iter().map(|v| v / weight_sum).collect(),
        );
        let (current_kkt, average_kkt) =
            (scaled.kkt(&current, weight), scaled.kkt(&average, weight));
        let (candidate, candidate_kkt) = if average_kkt <= current_kkt {
            (average, average_kkt)
        } else {
            (current.clone(), current_kkt)
        };
        let (x, y) = scaled.unscale(&candidate);
        let stop = check(&Iterate {
            x: &x,
            y: &y,
            iteration: iterations,
            kkt: candidate_kkt,
        });
        if stop || timed_out {
            termination = if stop {
                Termination::Checked
            } else {
                Termination::TimeLimit
            };
            return PdlpOutcome {
                termination,
                iterations,
                x,
                y,
            };
        }
        let restart = candidate_kkt <= BETA_SUFFICIENT * restart_kkt
            || (candidate_kkt <= BETA_NECESSARY * restart_kkt
                && candidate_kkt > previous_candidate_kkt)
            || since_restart as f64 >= BETA_ARTIFICIAL * iterations as f64;
        previous_candidate_kkt = candidate_kkt;
        if restart {
            let distance = |a: &[f64], b: &[f64]| {
                a.iter()
                    .zip(b)
                    .map(|(u, v)| (u - v) * (u - v))
                    .sum::<f64>()
                    .sqrt()
            };
            let dx = distance(&candidate.x, &restart_point.x);
            let dy = distance(&candidate.y, &restart_point.y);
            if dx > 1e-10 && dy > 1e-10 {
                weight = (PRIMAL_WEIGHT_SMOOTHING * (dy / dx).ln()
                    + (1.0 - PRIMAL_WEIGHT_SMOOTHING) * weight.ln())
                .exp();
            }
            current = candidate;
            restart_point = current.clone();
            restart_kkt = scaled.kkt(&current, weight);
            previous_candidate_kkt = f64::INFINITY;
            x_sum.iter_mut().for_each(|v| *v = 0.0);
            y_sum.iter_mut().for_each(|v| *v = 0.0);
            weight_sum = 0.0;
            since_restart = 0;
        }
    }
    let (x, y) = scaled.unscale(&current);
    PdlpOutcome {
        termination,
        iterations,
        x,
        y,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// max x + 2y + z; 3x + y <= 6; y + 2z <= 7; x, y, z >= 0: optimum 12.5 at (0, 6, 0.5).
    #[test]
    fn pdhg_converges_on_a_small_lp() {
        let lp = crate::lp::tests::example();
        let outcome = solve(&lp, None, &PdlpSettings::default(), |it| {
            lp.primal_infeasibility(it.x) < 1e-9
                && (lp.dual_bound(it.y) - lp.objective(it.x)).abs() < 1e-8
        });
        assert_eq!(outcome.termination, Termination::Checked);
        assert!((lp.objective(&outcome.x) - 12.5).abs() < 1e-7);
        assert!((outcome.y[0] - 1.5).abs() < 1e-6 && (outcome.y[1] - 0.5).abs() < 1e-6);
    }
}
