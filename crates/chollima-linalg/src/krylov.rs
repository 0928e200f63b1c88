//! Iterative solves of `(I - M) X = B` for several right-hand sides at once.
//!
//! BiCGSTAB (van der Vorst, 1992), right-preconditioned ([`crate::precondition`]), run in lockstep on a block of
//! `k` right-hand sides so every product streams the matrix once for all of them. Each
//! right-hand side keeps its own scalars and stops on its own. When BiCGSTAB breaks down or
//! stalls, the solve falls back to Jacobi iteration, which converges for every productive
//! table (`I - A` is then a nonsingular M-matrix), only more slowly. The caller checks the true
//! residual afterwards: the recurrence residual is not trusted.

use rayon::prelude::*;

use crate::operator::Operator;
use crate::precondition::Preconditioner;

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
    let parts = a
        .par_chunks(BLOCK * k)
        .zip(b.par_chunks(BLOCK * k))
        .map(|(x, y)| {
            let mut s = vec![0.0; k];
            for (xr, yr) in x.chunks_exact(k).zip(y.chunks_exact(k)) {
                for j in 0..k {
                    s[j] += xr[j] * yr[j];
                }
            }
            s
        });
    crate::fold_in_order(parts, vec![0.0; k], |mut s, t| {
        s.iter_mut().zip(t).for_each(|(a, b)| *a += b);
        s
    })
}

/// `f(j, &mut out[i, j], a[i, j], b[i, j])` in parallel, in large row blocks.
fn update(
    out: &mut [f64],
    a: &[f64],
    b: &[f64],
    k: usize,
    f: impl Fn(usize, &mut f64, f64, f64) + Sync,
) {
    const ROWS: usize = 1 << 13;
    out.par_chunks_mut(ROWS * k)
        .zip(a.par_chunks(ROWS * k))
        .zip(b.par_chunks(ROWS * k))
        .for_each(|((o, a), b)| {
            for ((or, ar), br) in o
                .chunks_exact_mut(k)
                .zip(a.chunks_exact(k))
                .zip(b.chunks_exact(k))
            {
                for j in 0..k {
                    f(j, &mut or[j], ar[j], br[j]);
                }
            }
        });
}

/// `(a . b, a . c)` per column, in one pass.
fn dot_pair(a: &[f64], b: &[f64], c: &[f64], k: usize) -> (Vec<f64>, Vec<f64>) {
    const ROWS: usize = 1 << 13;
    let parts = a
        .par_chunks(ROWS * k)
        .zip(b.par_chunks(ROWS * k))
        .zip(c.par_chunks(ROWS * k))
        .map(|((a, b), c)| {
            let (mut ab, mut ac) = (vec![0.0; k], vec![0.0; k]);
            for ((ar, br), cr) in a
                .chunks_exact(k)
                .zip(b.chunks_exact(k))
                .zip(c.chunks_exact(k))
            {
                for j in 0..k {
                    ab[j] += ar[j] * br[j];
                    ac[j] += ar[j] * cr[j];
                }
            }
            (ab, ac)
        });
    crate::fold_in_order(parts, (vec![0.0; k], vec![0.0; k]), add_pairs)
}

/// Adds two pairs of per-column sums (the reduction of [`dot_pair`] and [`subtract_scaled`],
/// folded in block order by [`crate::fold_in_order`]).
fn add_pairs(
    (mut a1, mut a2): (Vec<f64>, Vec<f64>),
    (b1, b2): (Vec<f64>, Vec<f64>),
) -> (Vec<f64>, Vec<f64>) {
    a1.iter_mut().zip(b1).for_each(|(x, y)| *x += y);
    a2.iter_mut().zip(b2).for_each(|(x, y)| *x += y);
    (a1, a2)
}

/// `r = s - omega t` on the active columns (the others keep what they hold, which nothing
/// reads); returns `(r . r, r_hat . r)` per column, from the same pass.
fn subtract_scaled(
    r: &mut [f64],
    s: &[f64],
    t: &[f64],
    r_hat: &[f64],
    omega: &[f64],
    active: &[bool],
    k: usize,
) -> (Vec<f64>, Vec<f64>) {
    const ROWS: usize = 1 << 13;
    let parts = r
        .par_chunks_mut(ROWS * k)
        .zip(s.par_chunks(ROWS * k))
        .zip(t.par_chunks(ROWS * k))
        .zip(r_hat.par_chunks(ROWS * k))
        .map(|(((r, s), t), h)| {
            let (mut rr, mut hr) = (vec![0.0; k], vec![0.0; k]);
            for (((rw, sr), tr), hw) in r
                .chunks_exact_mut(k)
                .zip(s.chunks_exact(k))
                .zip(t.chunks_exact(k))
                .zip(h.chunks_exact(k))
            {
                for j in 0..k {
                    if active[j] {
                        rw[j] = sr[j] - omega[j] * tr[j];
                    }
                    rr[j] += rw[j] * rw[j];
                    hr[j] += hw[j] * rw[j];
                }
            }
            (rr, hr)
        });
    crate::fold_in_order(parts, (vec![0.0; k], vec![0.0; k]), add_pairs)
}

/// `y = (I - M) x` for a block.
fn apply(m: &dyn Operator, x: &[f64], k: usize, y: &mut [f64]) {
    m.identity_minus_block(x, k, y);
}

/// Outcome of [`solve_block`].
#[derive(Debug, Clone)]
pub struct IterativeInfo {
    /// Iterations of the slowest right-hand side (BiCGSTAB, then any Jacobi sweeps).
    pub iterations: usize,
    /// Whether Jacobi iteration had to take over.
    pub fell_back: bool,
}

/// Solves `(I - M) X = B` for `k` interleaved right-hand sides from a zero start, preconditioned
/// by `preconditioner` when there is one, and returns `X` (interleaved like `B`). `inv_diag[i] =
/// 1 / (1 - M_ii)` serves the Jacobi iteration that takes over when BiCGSTAB breaks down.
///
/// From zero the first residual is `B` itself, with no pass over the matrix (starting from `B`,
/// the first term of the Neumann series, saved no iteration on WIOD: 7 either way).
pub fn solve_block(
    m: &dyn Operator,
    preconditioner: Option<&dyn Preconditioner>,
    inv_diag: &[f64],
    b: &[f64],
    k: usize,
    settings: &IterativeSettings,
) -> (Vec<f64>, IterativeInfo) {
    let n = m.dim();
    let len = n * k;
    let b_norm: Vec<f64> = dots(b, b, k).into_iter().map(f64::sqrt).collect();
    let goal: Vec<f64> = b_norm
        .iter()
        .map(|nb| settings.tolerance * nb.max(f64::MIN_POSITIVE))
        .collect();

    let mut solution = vec![0.0; len];
    let x = solution.as_mut_slice();
    let mut r = b.to_vec();
    let r_hat = r.clone();
    let (mut p, mut v, mut s, mut t) = (
        vec![0.0; len],
        vec![0.0; len],
        vec![0.0; len],
        vec![0.0; len],
    );
    let (mut y, mut z) = if preconditioner.is_some() {
        (vec![0.0; len], vec![0.0; len])
    } else {
        (Vec::new(), Vec::new())
    };
    let mut rho = vec![1.0; k];
    let mut alpha = vec![1.0; k];
    let mut omega = vec![1.0; k];
    let (r_norms, mut rho_new) = dot_pair(&r, &r, &r_hat, k);
    let mut active: Vec<bool> = r_norms
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
        let beta: Vec<f64> = (0..k)
            .map(|j| (rho_new[j] / rho[j]) * (alpha[j] / omega[j]))
            .collect();
        update(&mut p, &r, &v, k, |j, pv, rv, vv| {
            if active[j] {
                *pv = rv + beta[j] * (*pv - omega[j] * vv);
            }
        });
        let p_hat: &[f64] = match preconditioner {
            Some(pc) => {
                pc.apply(&p, k, &mut y);
                &y
            }
            None => &p,
        };
        apply(m, p_hat, k, &mut v);
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
        // s = r - alpha v, with |s|^2 in the same pass. A column whose half-step residual `s`
        // is already small enough stops here with `x + alpha p`; when all have, the
        // iteration's second product is saved.
        let (s_norms, _) = subtract_scaled(&mut s, &r, &v, &r_hat, &alpha, &active, k);
        let half_done: Vec<bool> = (0..k)
            .map(|j| active[j] && s_norms[j].sqrt() <= goal[j])
            .collect();
        if half_done.iter().any(|&h| h) {
            update(x, p_hat, p_hat, k, |j, xv, pv, _| {
                if half_done[j] {
                    *xv += alpha[j] * pv;
                }
            });
            for j in 0..k {
                active[j] &= !half_done[j];
            }
            if !active.iter().any(|&a| a) {
                break;
            }
        }
        let s_hat: &[f64] = match preconditioner {
            Some(pc) => {
                pc.apply(&s, k, &mut z);
                &z
            }
            None => &s,
        };
        apply(m, s_hat, k, &mut t);
        let (tt, ts) = dot_pair(&t, &t, &s, k);
        for j in 0..k {
            if active[j] {
                omega[j] = if tt[j] > 0.0 { ts[j] / tt[j] } else { 0.0 };
            }
        }
        update(x, p_hat, s_hat, k, |j, xv, pv, sv| {
            if active[j] {
                *xv += alpha[j] * pv + omega[j] * sv;
            }
        });
        // r = s - omega t, with |r|^2 and r_hat . r (the next rho) in the same pass.
        let (norms, next_rho) = subtract_scaled(&mut r, &s, &t, &r_hat, &omega, &active, k);
        rho = std::mem::replace(&mut rho_new, next_rho);
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
    let info = IterativeInfo {
        iterations,
        fell_back,
    };
    (solution, info)
}

/// `r = b - (I - M) x` for a block.
pub(crate) fn residual(m: &dyn Operator, x: &[f64], b: &[f64], k: usize, r: &mut [f64]) {
    apply(m, x, k, r);
    r.par_iter_mut()
        .zip(b.par_iter())
        .for_each(|(rv, bv)| *rv = bv - *rv);
}

/// Jacobi iteration `x <- D^-1 (b + (M - diag M) x)` on the flagged right-hand sides.
#[allow(clippy::too_many_arguments)]
fn jacobi(
    m: &dyn Operator,
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Regression: block sums were combined in a tree that follows rayon's work stealing, so
    /// the same solve could round differently from run to run. They are added in block order:
    /// block sums of 1e16, 1, 1, -1e16, 1 give exactly 1 (in order, each 1 added to 1e16 is
    /// rounded away, less 1e16 is 0, then 1), where a tree of halves gives 0 or 2.
    #[test]
    fn block_sums_are_added_in_block_order() {
        const BLOCK: usize = 1 << 14;
        let k = 2;
        let block_sums = [1e16, 1.0, 1.0, -1e16, 1.0];
        let mut a = vec![0.0; block_sums.len() * BLOCK * k];
        for (b, &sum) in block_sums.iter().enumerate() {
            // One entry per block carries its sum, in both columns.
            a[b * BLOCK * k] = sum;
            a[b * BLOCK * k + 1] = sum;
        }
        let ones = vec![1.0; a.len()];
        for _ in 0..20 {
            assert_eq!(dots(&a, &ones, k), vec![1.0, 1.0]);
            let (ab, ac) = dot_pair(&a, &ones, &ones, k);
            assert_eq!((ab, ac), (vec![1.0, 1.0], vec![1.0, 1.0]));
        }
    }
}
