//! Restarted GMRES for one right-hand side of `(I - M) x = b`, right-preconditioned.
//!
//! Why next to BiCGSTAB ([`crate::krylov`]): BiCGSTAB can break down (its shadow residual
//! turns orthogonal to the residual), and does so on some simplex bases whose right-hand side
//! has a single nonzero (the duals of a plan LP's stage: one cost, on λ); GMRES minimises the
//! residual over its Krylov space and cannot break down short of the exact answer. With right
//! preconditioning its residual estimate is that of the unpreconditioned system, so the
//! tolerance means what it says; the true residual is recomputed at every restart.

use rayon::prelude::*;

use crate::krylov::{IterativeInfo, IterativeSettings};
use crate::operator::Operator;
use crate::precondition::Preconditioner;

/// Rows per parallel task: shorter vectors go in one task (a rayon split costs more than the
/// arithmetic of a few thousand rows).
const BLOCK: usize = 1 << 14;

/// `a . b`, summed in block order (the same rounding in every run).
fn dot(a: &[f64], b: &[f64]) -> f64 {
    let parts = a
        .par_chunks(BLOCK)
        .zip(b.par_chunks(BLOCK))
        .map(|(x, y)| x.iter().zip(y).map(|(p, q)| p * q).sum::<f64>());
    crate::fold_in_order(parts, 0.0, |s, t| s + t)
}

/// `y += alpha x`.
fn axpy(alpha: f64, x: &[f64], y: &mut [f64]) {
    y.par_chunks_mut(BLOCK)
        .zip(x.par_chunks(BLOCK))
        .for_each(|(ys, xs)| ys.iter_mut().zip(xs).for_each(|(yv, xv)| *yv += alpha * xv));
}

/// One classical Gram-Schmidt pass: `h = V^T w`, then `w -= V h`, each in one parallel sweep
/// over row blocks (summed in block order). Returns `h`.
fn project_out(basis: &[Vec<f64>], w: &mut [f64]) -> Vec<f64> {
    let parts = w.par_chunks(BLOCK).enumerate().map(|(block, ws)| {
        let start = block * BLOCK;
        basis
            .iter()
            .map(|v| {
                v[start..start + ws.len()]
                    .iter()
                    .zip(ws)
                    .map(|(p, q)| p * q)
                    .sum::<f64>()
            })
            .collect::<Vec<f64>>()
    });
    let h = crate::fold_in_order(parts, vec![0.0; basis.len()], |mut sum, part| {
        sum.iter_mut().zip(part).for_each(|(s, p)| *s += p);
        sum
    });
    w.par_chunks_mut(BLOCK).enumerate().for_each(|(block, ws)| {
        let (start, len) = (block * BLOCK, ws.len());
        for (v, &c) in basis.iter().zip(&h) {
            ws.iter_mut()
                .zip(&v[start..start + len])
                .for_each(|(wv, vv)| *wv -= c * vv);
        }
    });
    h
}

/// Solves `(I - M) x = b` by GMRES(`restart`) from zero, preconditioned on the right by
/// `preconditioner` when there is one, until `||b - (I - M) x|| <= tolerance ||b||`, a restart
/// that does not halve the true residual, or `max_iterations` inner iterations. Returns `x` and the iterations; `fell_back` says the
/// tolerance was not reached.
pub fn gmres(
    m: &dyn Operator,
    preconditioner: Option<&dyn Preconditioner>,
    b: &[f64],
    restart: usize,
    settings: &IterativeSettings,
) -> (Vec<f64>, IterativeInfo) {
    let n = m.dim();
    let restart = restart.max(1);
    let goal = settings.tolerance * dot(b, b).sqrt();
    let mut x = vec![0.0; n];
    let mut r = b.to_vec();
    let mut iterations = 0;
    // The Krylov basis, its preconditioned images, the Hessenberg matrix (by columns) and the
    // Givens rotations that keep it triangular.
    let mut basis: Vec<Vec<f64>> = Vec::with_capacity(restart + 1);
    let mut work = vec![0.0; n];
    let mut preconditioned = vec![0.0; n];
    let mut previous = f64::INFINITY;
    loop {
        let beta = dot(&r, &r).sqrt();
        // A restart that did not halve the true residual is stagnation (rounding: on a basis of
        // a 10^6-product plan GMRES(60) sat at 8e-11 for 440 iterations, 33 s): stop there.
        let stagnated = beta > 0.5 * previous;
        previous = beta;
        if !beta.is_finite() || beta <= goal || stagnated || iterations >= settings.max_iterations {
            let converged = beta.is_finite() && beta <= goal;
            return (
                x,
                IterativeInfo {
                    iterations,
                    fell_back: !converged,
                },
            );
        }
        basis.clear();
        basis.push(r.iter().map(|v| v / beta).collect());
        let mut hessenberg: Vec<Vec<f64>> = Vec::with_capacity(restart);
        let (mut cosines, mut sines): (Vec<f64>, Vec<f64>) =
            (Vec::with_capacity(restart), Vec::with_capacity(restart));
        let mut g = vec![beta];
        let mut lucky = false;
        while hessenberg.len() < restart && iterations < settings.max_iterations {
            iterations += 1;
            let j = hessenberg.len();
            let z: &[f64] = match preconditioner {
                Some(pc) => {
                    pc.apply(&basis[j], 1, &mut preconditioned);
                    &preconditioned
                }
                None => &basis[j],
            };
            m.identity_minus_block(z, 1, &mut work);
            // Classical Gram-Schmidt, twice where the first pass lost most of the vector
            // (as stable as the modified one, and two sweeps over the basis instead of one
            // parallel dot and update per vector: 10^4-row bases spent more time in rayon's
            // task switches than in arithmetic).
            let before = dot(&work, &work).sqrt();
            let mut h = project_out(&basis, &mut work);
            h.push(0.0);
            let mut after = dot(&work, &work).sqrt();
            if after < 0.5 * before {
                let again = project_out(&basis, &mut work);
                h.iter_mut().zip(again).for_each(|(a, b)| *a += b);
                after = dot(&work, &work).sqrt();
            }
            h[j + 1] = after;
            for i in 0..j {
                let (c, s) = (cosines[i], sines[i]);
                let (a, b) = (h[i], h[i + 1]);
                h[i] = c * a + s * b;
                h[i + 1] = -s * a + c * b;
            }
            let radius = h[j].hypot(h[j + 1]);
            let (c, s) = if radius == 0.0 {
                (1.0, 0.0)
            } else {
                (h[j] / radius, h[j + 1] / radius)
            };
            cosines.push(c);
            sines.push(s);
            h[j] = radius;
            h[j + 1] = 0.0;
            g.push(-s * g[j]);
            g[j] *= c;
            hessenberg.push(h);
            lucky = after <= f64::EPSILON * before;
            if lucky || g[j + 1].abs() <= goal || !g[j + 1].is_finite() {
                break;
            }
            basis.push(work.iter().map(|v| v / after).collect());
        }
        // y = H^-1 g (upper triangular), then x += P^-1 (V y).
        let k = hessenberg.len();
        let mut y = vec![0.0; k];
        for i in (0..k).rev() {
            let tail: f64 = (i + 1..k).map(|l| hessenberg[l][i] * y[l]).sum();
            y[i] = if hessenberg[i][i] != 0.0 {
                (g[i] - tail) / hessenberg[i][i]
            } else {
                0.0
            };
        }
        work.iter_mut().for_each(|w| *w = 0.0);
        for (v, &c) in basis.iter().zip(&y) {
            axpy(c, v, &mut work);
        }
        let step: &[f64] = match preconditioner {
            Some(pc) => {
                pc.apply(&work, 1, &mut preconditioned);
                &preconditioned
            }
            None => &work,
        };
        axpy(1.0, step, &mut x);
        // The true residual, for the restart and the stopping test.
        m.identity_minus_block(&x, 1, &mut work);
        r.par_chunks_mut(BLOCK)
            .zip(b.par_chunks(BLOCK).zip(work.par_chunks(BLOCK)))
            .for_each(|(rs, (bs, ws))| {
                rs.iter_mut()
                    .zip(bs.iter().zip(ws))
                    .for_each(|(rv, (bv, wv))| *rv = bv - wv)
            });
        if lucky && dot(&r, &r).sqrt() > goal {
            // An exact breakdown that did not solve the system: the operator is singular.
            return (
                x,
                IterativeInfo {
                    iterations,
                    fell_back: true,
                },
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::CsrMatrix;
    use crate::operator::Gather;
    use crate::precondition::Jacobi;

    /// One pass of the fused Gram-Schmidt returns `V^T w` and leaves `w` orthogonal to an
    /// orthonormal `V`, across more rows than one parallel block.
    #[test]
    fn project_out_removes_the_basis_components() {
        let n = 2 * BLOCK + 5;
        let unit = |i: usize| {
            let mut v = vec![0.0; n];
            v[i] = 1.0;
            v
        };
        let basis = vec![unit(3), unit(BLOCK + 1), unit(n - 1)];
        let mut w: Vec<f64> = (0..n).map(|i| 1.0 + i as f64).collect();
        let h = project_out(&basis, &mut w);
        assert_eq!(h, vec![4.0, BLOCK as f64 + 2.0, n as f64]);
        for v in &basis {
            assert_eq!(dot(v, &w), 0.0);
        }
        assert_eq!(w[4], 5.0, "the other rows untouched");
    }

    /// GMRES solves a nonsymmetric system on which BiCGSTAB's shadow residual `r0 = e_0` is
    /// orthogonal to `(I - M) e_0` from the first step (a pure rotation block), so BiCGSTAB
    /// breaks down at once; the answer is checked against the matrix.
    #[test]
    fn gmres_solves_a_system_bicgstab_breaks_down_on() {
        // I - M = [[0, 1, 0], [-1, 0, 0], [0.5, 0, 2]], M = I - that.
        let m = CsrMatrix::from_raw(
            3,
            vec![0, 2, 4, 6],
            vec![0, 1, 0, 1, 0, 2],
            vec![1.0, -1.0, 1.0, 1.0, -0.5, -1.0],
        );
        let b = [1.0, 0.0, 0.0];
        let settings = IterativeSettings {
            tolerance: 1e-12,
            max_iterations: 50,
        };
        let (bicg, info) =
            crate::krylov::solve_block(&Gather(&m), None, &[1.0; 3], &b, 1, &settings);
        let mut y = [0.0; 3];
        Gather(&m).identity_minus_block(&bicg, 1, &mut y);
        let bicg_error: f64 = y.iter().zip(&b).map(|(p, q)| (p - q).abs()).sum();
        assert!(
            info.fell_back || bicg_error > 1e-6,
            "BiCGSTAB was expected to fail here"
        );
        // (GMRES(1) stagnates on it: the field of values of a rotation holds 0.)
        for restart in [3, 30] {
            let (x, info) = gmres(
                &Gather(&m),
                Some(&Jacobi(&[1.0, 1.0, 0.5])),
                &b,
                restart,
                &settings,
            );
            assert!(!info.fell_back, "restart {restart}: {info:?}");
            // x1 = 1, -x0 = 0, 0.5 x0 + 2 x2 = 0.
            for (p, q) in x.iter().zip([0.0, 1.0, 0.0]) {
                assert!((p - q).abs() < 1e-10, "restart {restart}: {x:?}");
            }
        }
    }
}
