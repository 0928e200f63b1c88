//! Iterative solves of `(I - M) X = B` for several right-hand sides at once.
//!
//! BiCGSTAB (van der Vorst, 1992) with a Jacobi preconditioner, run in lockstep on a block of
//! `k` right-hand sides so every product streams the matrix once for all of them. Each
//! right-hand side keeps its own scalars and stops on its own. When BiCGSTAB breaks down or
//! stalls, the solve falls back to Jacobi iteration, which converges for every productive
//! table (`I - A` is then a nonsingular M-matrix), only more slowly. The caller checks the true
//! residual afterwards: the recurrence residual is not trusted.

use rayon::prelude::*;

use crate::CsrMatrix;

/// Settings of an iterative solve.
#[derive(Debug, Clone, Copy)]
pub struct IterativeSettings {
    /// Stop when `||b - (I - M) x||_2 <= tolerance * ||b||_2` for every right-hand side.
    pub tolerance: f64,
    pub max_iterations: usize,
}

impl Default for IterativeSettings {
    fn default() -> Self {
        IterativeSettings {
            tolerance: 1e-13,
            max_iterations: 2000,
        }
    }
}

/// Dots of the `k` interleaved columns of `a` and `b`.
fn dots(a: &[f64], b: &[f64], k: usize) -> Vec<f64> {
    const BLOCK: usize = 1 << 14;
    a.par_chunks(BLOCK * k)
        .zip(b.par_chunks(BLOCK * k))
        .map(|(x, y)| {
            let mut s = vec![0.0; k];
            for (xr, yr) in x.chunks_exact(k).zip(y.chunks_exact(k)) {
                for j in 0..k {
                    s[j] += xr[j] * yr[j];
                }
            }
            s
        })
        .reduce(
            || vec![0.0; k],
            |mut s, t| {
                s.iter_mut().zip(t).for_each(|(a, b)| *a += b);
                s
            },
        )
}

/// `out[i, j] = f(j, i, a[i, j], b[i, j])` in parallel, for interleaved blocks.
fn combine(
    out: &mut [f64],
    a: &[f64],
    b: &[f64],
    k: usize,
    f: impl Fn(usize, usize, f64, f64) -> f64 + Sync,
) {
    const BLOCK: usize = 1 << 14;
    out.par_chunks_mut(BLOCK * k)
        .enumerate()
        .for_each(|(task, o)| {
            let start = task * BLOCK * k;
            for (p, value) in o.iter_mut().enumerate() {
                let q = start + p;
                *value = f(q % k, q / k, a[q], b[q]);
            }
        });
}

/// `y = (I - M) x` for a block.
fn apply(m: &CsrMatrix, x: &[f64], k: usize, y: &mut [f64]) {
    m.shifted_mul_block(1.0, -1.0, x, k, y);
}

/// Outcome of [`solve_block`].
#[derive(Debug, Clone)]
pub struct IterativeInfo {
    /// Iterations of the slowest right-hand side (BiCGSTAB, then any Jacobi sweeps).
    pub iterations: usize,
    /// Whether Jacobi iteration had to take over.
    pub fell_back: bool,
}

/// Solves `(I - M) X = B` for `k` interleaved right-hand sides, in place in `x` (which holds the
/// initial guess). `inv_diag[i] = 1 / (1 - M_ii)` is the Jacobi preconditioner.
pub fn solve_block(
    m: &CsrMatrix,
    inv_diag: &[f64],
    b: &[f64],
    k: usize,
    x: &mut [f64],
    settings: &IterativeSettings,
) -> IterativeInfo {
    let n = m.nrows();
    let len = n * k;
    let b_norm: Vec<f64> = dots(b, b, k).into_iter().map(f64::sqrt).collect();
    let goal: Vec<f64> = b_norm
        .iter()
        .map(|nb| settings.tolerance * nb.max(f64::MIN_POSITIVE))
        .collect();

    let mut r = vec![0.0; len];
    residual(m, x, b, k, &mut r);
    let r_hat = r.clone();
    let (mut p, mut v) = (vec![0.0; len], vec![0.0; len]);
    let (mut y, mut s, mut z, mut t) = (
        vec![0.0; len],
        vec![0.0; len],
        vec![0.0; len],
        vec![0.0; len],
    );
    let mut rho = vec![1.0; k];
    let mut alpha = vec![1.0; k];
    let mut omega = vec![1.0; k];
    let mut active: Vec<bool> = dots(&r, &r, k)
        .iter()
        .zip(&goal)
        .map(|(rr, g)| rr.sqrt() > *g)
        .collect();
    let mut broken = vec![false; k];
    let mut iterations = 0;
    let mut best = vec![f64::INFINITY; k];
    let mut stalled = vec![0usize; k];

    while active.iter().any(|&a| a) && iterations < settings.max_iterations {
        iterations += 1;
        let rho_new = dots(&r_hat, &r, k);
        let beta: Vec<f64> = (0..k)
            .map(|j| (rho_new[j] / rho[j]) * (alpha[j] / omega[j]))
            .collect();
        p.par_chunks_mut(k)
            .zip(r.par_chunks(k))
            .zip(v.par_chunks(k))
            .for_each(|((pr, rr), vr)| {
                for j in 0..k {
                    if active[j] {
                        pr[j] = rr[j] + beta[j] * (pr[j] - omega[j] * vr[j]);
                    }
                }
            });
        scale_rows(&mut y, &p, inv_diag, k);
        apply(m, &y, k, &mut v);
        let rv = dots(&r_hat, &v, k);
        for j in 0..k {
            if active[j] {
                alpha[j] = rho_new[j] / rv[j];
                if !alpha[j].is_finite() || rho_new[j] == 0.0 {
                    broken[j] = true;
                    active[j] = false;
                }
            }
        }
        combine(&mut s, &r, &v, k, |j, _, rv, vv| {
            if active[j] { rv - alpha[j] * vv } else { rv }
        });
        scale_rows(&mut z, &s, inv_diag, k);
        apply(m, &z, k, &mut t);
        let ts = dots(&t, &s, k);
        let tt = dots(&t, &t, k);
        for j in 0..k {
            if active[j] {
                omega[j] = if tt[j] > 0.0 { ts[j] / tt[j] } else { 0.0 };
            }
        }
        x.par_chunks_mut(k)
            .zip(y.par_chunks(k))
            .zip(z.par_chunks(k))
            .for_each(|((xr, yr), zr)| {
                for j in 0..k {
                    if active[j] {
                        xr[j] += alpha[j] * yr[j] + omega[j] * zr[j];
                    }
                }
            });
        r.par_chunks_mut(k)
            .zip(s.par_chunks(k))
            .zip(t.par_chunks(k))
            .for_each(|((rr, sr), tr)| {
                for j in 0..k {
                    if active[j] {
                        rr[j] = sr[j] - omega[j] * tr[j];
                    }
                }
            });
        let norms = dots(&r, &r, k);
        for j in 0..k {
            if !active[j] {
                continue;
            }
            let norm = norms[j].sqrt();
            if !norm.is_finite() || omega[j] == 0.0 {
                broken[j] = true;
                active[j] = false;
            } else if norm <= goal[j] {
                active[j] = false;
            } else if norm < 0.5 * best[j] {
                best[j] = norm;
                stalled[j] = 0;
            } else {
                stalled[j] += 1;
                if stalled[j] > 50 {
                    broken[j] = true;
                    active[j] = false;
                }
            }
        }
        rho = rho_new;
    }
    let fell_back = broken.iter().any(|&b| b) || active.iter().any(|&a| a);
    if fell_back {
        // Restart the troubled right-hand sides from zero with Jacobi iteration.
        let troubled: Vec<bool> = (0..k).map(|j| broken[j] || active[j]).collect();
        x.par_chunks_mut(k).for_each(|xr| {
            for j in 0..k {
                if troubled[j] {
                    xr[j] = 0.0;
                }
            }
        });
        iterations += jacobi(
            m,
            inv_diag,
            b,
            k,
            x,
            &troubled,
            &goal,
            settings.max_iterations * 4,
        );
    }
    IterativeInfo {
        iterations,
        fell_back,
    }
}

/// `r = b - (I - M) x` for a block.
pub(crate) fn residual(m: &CsrMatrix, x: &[f64], b: &[f64], k: usize, r: &mut [f64]) {
    apply(m, x, k, r);
    r.par_iter_mut()
        .zip(b.par_iter())
        .for_each(|(rv, bv)| *rv = bv - *rv);
}

fn scale_rows(out: &mut [f64], x: &[f64], inv_diag: &[f64], k: usize) {
    out.par_chunks_mut(k)
        .zip(x.par_chunks(k))
        .zip(inv_diag.par_iter())
        .for_each(|((o, xr), d)| {
            for j in 0..k {
                o[j] = xr[j] * d;
            }
        });
}

/// Jacobi iteration `x <- D^-1 (b + (M - diag M) x)` on the flagged right-hand sides.
#[allow(clippy::too_many_arguments)]
fn jacobi(
    m: &CsrMatrix,
    inv_diag: &[f64],
    b: &[f64],
    k: usize,
    x: &mut [f64],
    which: &[bool],
    goal: &[f64],
    max_iterations: usize,
) -> usize {
    let len = x.len();
    let mut r = vec![0.0; len];
    for iteration in 1..=max_iterations {
        residual(m, x, b, k, &mut r);
        let norms = dots(&r, &r, k);
        if (0..k).all(|j| !which[j] || norms[j].sqrt() <= goal[j]) {
            return iteration;
        }
        // x + D^-1 r is the Jacobi step written with the residual.
        x.par_chunks_mut(k)
            .zip(r.par_chunks(k))
            .zip(inv_diag.par_iter())
            .for_each(|((xr, rr), d)| {
                for j in 0..k {
                    if which[j] {
                        xr[j] += d * rr[j];
                    }
                }
            });
    }
    max_iterations
}
