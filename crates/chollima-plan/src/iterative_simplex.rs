//! The primal simplex with iterative basis solves: no factorisation of the basis at all.
//!
//! Why: every basis of a plan LP holds a Leontief matrix (one way of supply per product), and an
//! LU factorisation of it fills in: 60x the basis's nonzeros at 10^4 products, 1.1 s for HiGHS
//! to factor it, 46 s at 5 x 10^4, minutes at 10^5 (BENCHMARKS.md, "The fill of the listed
//! plan's basis"). Solved iteratively instead (restarted GMRES, Jacobi-preconditioned with each
//! basic variable paired with the row it supplies) the same basis takes a few dozen iterations, and
//! from the listed plan's basis ([`crate::vertex_basis`]) the optimum is a few pivots away on
//! most generated plans (3 at 10^5 products, seed 25, in the Python prototype
//! `bench/iterative_simplex.py`).
//!
//! The variables are the LP's columns and one logical per row (its column `-e_i`, its bounds the
//! row's, its value the row's activity). Each pivot: the duals by one transposed solve, reduced
//! costs by one pass over the columns, the entering variable by Dantzig's rule, its column by
//! one solve, a ratio test that breaks near-ties by the largest pivot; the basic values are
//! solved again from the nonbasic ones every few pivots and before the answer. `auto` races it
//! against the first-order method on first stages beyond HiGHS's reach; `--method simplex`
//! names it.

use chollima_linalg::IterativeSettings;
use chollima_linalg::gmres::gmres;
use chollima_linalg::operator::Operator;
use chollima_linalg::precondition::Jacobi;
use rayon::prelude::*;

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use chollima_model::Economy;

use crate::certify;
use crate::formulation::PlanLp;
use crate::highs_solver::{BasisStatus, LpSolution, StartingBasis, Status};
use crate::lp::{LinearProgram, relative_gap};

/// The current stage of `model` (one group's objective) solved by [`solve`] from the basis of
/// the listed plan ([`listed_basis`]); `None` where there is no listed plan or basis.
pub fn from_listed_plan(economy: &Economy, model: &PlanLp, limits: &Limits) -> Option<Outcome> {
    let basis = listed_basis(economy, model, None, 1e-9, false).ok()?;
    solve(&model.lp, &basis, model.target.len(), limits)
}

/// The basis of the current stage's listed plan (`Repair::listed` without relief rounds, a
/// vertex, read by [`crate::vertex_basis::basis_of_plan`]), or, where there is none or
/// (`closing`) that plan already closes `gap`, the certificate it makes.
pub(crate) fn listed_basis(
    economy: &Economy,
    model: &PlanLp,
    warm: Option<(&[f64], &[f64])>,
    gap: f64,
    closing: bool,
) -> Result<StartingBasis, certify::Incumbent> {
    let repair = crate::merit::Repair::new(economy, model);
    let quick = crate::first_order::first_certificate(model, warm, repair.as_ref(), gap, 0);
    let basis = quick
        .primal
        .as_ref()
        .filter(|_| !(closing && quick.closes(gap)))
        .and_then(|(x, _)| {
            crate::vertex_basis::basis_of_plan(model, &economy.techniques.product, x)
        });
    basis.ok_or(quick)
}

/// When [`solve`] stops short of the optimum.
#[derive(Debug, Clone, Copy)]
pub struct Limits<'a> {
    pub max_pivots: usize,
    pub seconds: f64,
    /// Looked at between pivots: another solver settled the stage.
    pub stop: Option<&'a AtomicBool>,
}

impl Default for Limits<'_> {
    fn default() -> Self {
        Limits {
            max_pivots: usize::MAX,
            seconds: f64::INFINITY,
            stop: None,
        }
    }
}

impl Limits<'_> {
    fn reached(&self, pivots: usize, clock: Instant) -> bool {
        pivots >= self.max_pivots
            || clock.elapsed().as_secs_f64() >= self.seconds
            || self.stop.is_some_and(|s| s.load(Ordering::Relaxed))
    }
}

/// The current stage of `model` solved by [`solve`] from `basis` (the listed plan's), as an
/// answer like every other method's: the plan checked against every row (repaired where the
/// basis solves' rounding leaves a row a hair off), its prices bounded by
/// [`certify::upper_bound`] (projected and rescaled, rounding 1e-11), and its status from that
/// certified gap: optimal within [`EXACT_GAP`], near-optimal within `gap`, otherwise stopped
/// (a limit, with the plan it has). Returns the answer, its pivots and the basis it ended with.
pub(crate) fn solve_stage(
    economy: &Economy,
    model: &PlanLp,
    basis: &StartingBasis,
    gap: f64,
    limits: &Limits,
) -> (LpSolution, usize, Option<StartingBasis>) {
    let Some(outcome) = solve(&model.lp, basis, model.target.len(), limits) else {
        return (LpSolution::without_plan(Status::Unknown), 0, None);
    };
    let plan = certify::checked(&model.lp, certify::clamped(model, &outcome.x), false)
        .or_else(|| certify::feasible_point(economy, model, &outcome.x));
    let Some((x, objective)) = plan else {
        return (
            LpSolution::without_plan(Status::Unknown),
            outcome.pivots,
            None,
        );
    };
    let mut solution = LpSolution {
        status: Status::Unknown,
        x,
        row_dual: outcome.row_dual,
        objective,
        dual_bound: f64::INFINITY,
    };
    let bound = certify::upper_bound(economy, model, &solution.row_dual);
    solution.offer_bound(bound);
    let certified = relative_gap(solution.objective, solution.dual_bound);
    solution.status = if certified <= EXACT_GAP {
        Status::Optimal
    } else if certified <= gap {
        Status::NearOptimal
    } else if outcome.optimal {
        // Optimal by its reduced costs but not certified so: rounding in the basis solves.
        Status::Unknown
    } else if outcome.pivots >= limits.max_pivots {
        Status::IterationLimit
    } else {
        Status::TimeLimit
    };
    (solution, outcome.pivots, Some(outcome.basis))
}

/// The certified gap within which the iterative simplex's answer counts as exact: issue 3's
/// bar for "exact" (HiGHS's own answers certify 0 to 5e-7 on the 10^4 benchmark plans).
pub const EXACT_GAP: f64 = 1e-6;

/// The basic values are solved afresh every this many pivots (and before the answer): each
/// solve is the costliest of a pivot's three (40-100 GMRES iterations at 10^5 products).
const VALUE_REFRESH: usize = 8;

/// Reduced costs within this of zero do not enter.
const REDUCED_COST_TOLERANCE: f64 = 1e-10;
/// Relative distance within which a value counts as at its bound.
const AT_BOUND: f64 = 1e-9;

/// What [`solve`] ends with.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The columns' values.
    pub x: Vec<f64>,
    /// The rows' duals (`y` with `B^T y = c_B`).
    pub row_dual: Vec<f64>,
    pub objective: f64,
    pub pivots: usize,
    /// No reduced cost can move the objective.
    pub optimal: bool,
    /// The basis it ended with (nonbasic variables at the bound they sit on): a later stage,
    /// whose earlier lambdas are held a hair below their values here, starts from it.
    pub basis: StartingBasis,
}

/// The basis: `at_row[i]` is the basic variable paired with row `i` (a column `j`, or
/// `columns + r` for row `r`'s logical).
#[derive(Clone, Copy)]
struct Basis<'a> {
    lp: &'a LinearProgram,
    at_row: &'a [usize],
    /// `1 / B_ii` (1 where the pairing left a zero there): the Jacobi preconditioner, the same
    /// for `B` and `B^T`.
    inv_diag: &'a [f64],
    transposed: bool,
}

/// `variable`'s entries in `[A, -I]`, as (row, value), without allocating.
fn entries(lp: &LinearProgram, variable: usize) -> impl Iterator<Item = (usize, f64)> + '_ {
    let columns = lp.num_cols();
    let (rows, values): (&[u32], &[f64]) = if variable < columns {
        lp.column(variable)
    } else {
        (&[], &[])
    };
    let logical = (variable >= columns).then(|| (variable - columns, -1.0));
    rows.iter()
        .zip(values)
        .map(|(&r, &a)| (r as usize, a))
        .chain(logical)
}

/// The Jacobi diagonal of the basis that `at_row` pairs with rows.
fn inverse_diagonal(lp: &LinearProgram, at_row: &[usize]) -> Vec<f64> {
    at_row
        .iter()
        .enumerate()
        .map(|(i, &variable)| {
            let diagonal = entries(lp, variable)
                .find(|&(r, _)| r == i)
                .map_or(0.0, |(_, a)| a);
            if diagonal.abs() > 1e-12 {
                1.0 / diagonal
            } else {
                1.0
            }
        })
        .collect()
}

impl Basis<'_> {
    /// `B v` (or `B^T v`).
    fn apply(&self, v: &[f64], out: &mut [f64]) {
        let columns = self.lp.num_cols();
        if self.transposed {
            out.par_iter_mut().enumerate().for_each(|(i, o)| {
                let variable = self.at_row[i];
                *o = if variable < columns {
                    let (rows, values) = self.lp.column(variable);
                    rows.iter()
                        .zip(values)
                        .map(|(&r, &a)| a * v[r as usize])
                        .sum()
                } else {
                    -v[variable - columns]
                };
            });
        } else {
            out.iter_mut().for_each(|o| *o = 0.0);
            for (i, &variable) in self.at_row.iter().enumerate() {
                if variable < columns {
                    let (rows, values) = self.lp.column(variable);
                    for (&r, &a) in rows.iter().zip(values) {
                        out[r as usize] += a * v[i];
                    }
                } else {
                    out[variable - columns] -= v[i];
                }
            }
        }
    }
}

/// `chollima_linalg`'s solver solves `(I - M) x = b`: here `I - M` is the basis.
impl Operator for Basis<'_> {
    fn dim(&self) -> usize {
        self.at_row.len()
    }

    fn mul_block(&self, x: &[f64], k: usize, y: &mut [f64]) {
        assert_eq!(k, 1, "one right-hand side at a time");
        self.apply(x, y);
        y.iter_mut().zip(x).for_each(|(yv, xv)| *yv = xv - *yv);
    }

    fn identity_minus_block(&self, x: &[f64], k: usize, y: &mut [f64]) {
        assert_eq!(k, 1, "one right-hand side at a time");
        self.apply(x, y);
    }
}

/// Pairs every basic variable with a row: a logical with its own, a column with the first
/// product row (of the first `products`) it supplies (a positive entry) that is still free,
/// the rest with the rows left, in order.
fn pair_with_rows(lp: &LinearProgram, basic: &[usize], products: usize) -> Vec<usize> {
    let (rows, columns) = (lp.num_rows(), lp.num_cols());
    let mut at_row = vec![usize::MAX; rows];
    let mut unpaired = Vec::new();
    for &variable in basic.iter().filter(|&&v| v >= columns) {
        at_row[variable - columns] = variable;
    }
    for &variable in basic.iter().filter(|&&v| v < columns) {
        let (index, values) = lp.column(variable);
        let row = index
            .iter()
            .zip(values)
            .find(|(r, a)| {
                (**r as usize) < products && **a > 0.0 && at_row[**r as usize] == usize::MAX
            })
            .map(|(r, _)| *r as usize);
        match row {
            Some(r) => at_row[r] = variable,
            None => unpaired.push(variable),
        }
    }
    // The rest (lambda, trade, ways whose product row is taken) with the free row where they
    // have their largest entry, if that is at least a thousandth of their largest anywhere (a
    // tiny diagonal makes a worse preconditioner than none), so the preconditioner has a
    // diagonal there; then any free row. On a 10^5-product plan (20 inputs a technique, seed
    // 42) this halved the time of 40 pivots (43.9 -> 22.2 s).
    let mut left = Vec::new();
    for variable in unpaired {
        let largest = entries(lp, variable).fold(0.0f64, |m, (_, a)| m.max(a.abs()));
        let row = entries(lp, variable)
            .filter(|&(r, a)| a.abs() >= 1e-3 * largest && at_row[r] == usize::MAX)
            .max_by(|a, b| a.1.abs().total_cmp(&b.1.abs()))
            .map(|(r, _)| r);
        match row {
            Some(r) => at_row[r] = variable,
            None => left.push(variable),
        }
    }
    let mut left = left.into_iter();
    for slot in at_row.iter_mut().filter(|s| **s == usize::MAX) {
        *slot = left.next().expect("as many basic variables as rows");
    }
    at_row
}

/// Solves `B z = rhs` (or `B^T z = rhs`): by GMRES, refined, and where its true residual still
/// misses (a pairing of columns with rows that leaves the preconditioner poor) by a sparse LU
/// of the basis (faer) on small bases. `None` where the basis is singular, or too large to
/// factor and GMRES misses.
fn basis_solve(basis: &Basis, rhs: &[f64]) -> Option<Vec<f64>> {
    if rhs.iter().all(|&v| v == 0.0) {
        return Some(vec![0.0; rhs.len()]);
    }
    // GMRES, not BiCGSTAB: on the duals' right-hand side (one nonzero, on λ) BiCGSTAB's shadow
    // residual broke down on every pivot of a 10^4-product plan (seed 25), and its Jacobi
    // fallback diverged. 1e-11: tighter, GMRES stagnates near 1e-13 and spends its 500
    // iterations (10^4 products, seed 24: 3.6 s instead of 0.5 s).
    let settings = IterativeSettings {
        tolerance: 1e-11,
        max_iterations: 500,
    };
    let preconditioner = Jacobi(basis.inv_diag);
    let norm = |v: &[f64]| v.iter().map(|x| x * x).sum::<f64>().sqrt();
    let size = norm(rhs);
    // 1e-8 is what a pivot needs; the plan and bound are checked apart anyway. The duals only
    // choose the entering variable.
    let accepted = if basis.transposed { 1e-6 } else { 1e-8 };
    let mut z = vec![0.0; rhs.len()];
    let mut residual = rhs.to_vec();
    let mut product = vec![0.0; rhs.len()];
    // Refined: where GMRES stagnates short of the mark (rounding in its Krylov basis), a fresh
    // solve for the residual gains the digits it lost (the `rest` stage of a 10^5-product plan
    // with priorities stopped at 1.3e-8).
    for _ in 0..=REFINEMENTS {
        let (step, _) = gmres(basis, Some(&preconditioner), &residual, 60, &settings);
        z.iter_mut().zip(&step).for_each(|(a, b)| *a += b);
        basis.apply(&z, &mut product);
        residual
            .iter_mut()
            .zip(rhs.iter().zip(&product))
            .for_each(|(r, (b, p))| *r = b - p);
        let missed = norm(&residual);
        if !missed.is_finite() {
            break;
        }
        if missed <= accepted * size {
            return Some(z);
        }
    }
    // A sparse LU of the basis fills in (at 10^5 products it took 24 GB and was killed): only
    // for small bases. A larger one goes on with GMRES's answer where it is within 1e-6 (the
    // pivot is a little less exact; the plan and bound are checked apart), and ends the simplex
    // where it is not.
    if rhs.len() <= FACTORED_ROWS {
        return factored_solve(basis, rhs);
    }
    let missed = norm(&residual);
    (missed.is_finite() && missed <= LAST_RESORT * size).then_some(z)
}

/// Fresh GMRES solves for the residual after the first, at most.
const REFINEMENTS: usize = 2;
/// Bases of at most this many rows are factored where GMRES misses.
const FACTORED_ROWS: usize = 20_000;
/// The relative residual a larger basis's solve is taken with where GMRES misses the mark.
const LAST_RESORT: f64 = 1e-6;

/// `B z = rhs` (or its transpose) through a sparse LU of the basis.
fn factored_solve(basis: &Basis, rhs: &[f64]) -> Option<Vec<f64>> {
    use faer::linalg::solvers::SolveCore;
    let n = rhs.len();
    let mut triplets = Vec::new();
    for (i, &variable) in basis.at_row.iter().enumerate() {
        for (r, a) in entries(basis.lp, variable) {
            triplets.push(faer::sparse::Triplet::new(r, i, a));
        }
    }
    let matrix =
        faer::sparse::SparseColMat::<usize, f64>::try_new_from_triplets(n, n, &triplets).ok()?;
    let lu = matrix.sp_lu().ok()?;
    let mut z = faer::Mat::<f64>::from_fn(n, 1, |i, _| rhs[i]);
    if basis.transposed {
        lu.solve_transpose_in_place_with_conj(faer::Conj::No, z.as_mut());
    } else {
        lu.solve_in_place_with_conj(faer::Conj::No, z.as_mut());
    }
    let z: Vec<f64> = (0..n).map(|i| z[(i, 0)]).collect();
    z.iter().all(|v| v.is_finite()).then_some(z)
}

/// Maximises `lp` by the primal simplex from `start` (a square basis) with the nonbasic
/// variables at the bounds `start` names, until optimal or a limit. The first `products`
/// rows are product balances (what a way of supply is paired with). `None` where `start` is
/// not square or turns singular.
pub fn solve(
    lp: &LinearProgram,
    start: &StartingBasis,
    products: usize,
    limits: &Limits,
) -> Option<Outcome> {
    let clock = Instant::now();
    let (rows, columns) = (lp.num_rows(), lp.num_cols());
    if start.columns.len() != columns || start.rows.len() != rows {
        return None;
    }
    let lower: Vec<f64> = lp.col_lower.iter().chain(&lp.row_lower).copied().collect();
    let upper: Vec<f64> = lp.col_upper.iter().chain(&lp.row_upper).copied().collect();
    let cost: Vec<f64> = lp
        .cost
        .iter()
        .copied()
        .chain(std::iter::repeat_n(0.0, rows))
        .collect();
    let statuses: Vec<BasisStatus> = start.columns.iter().chain(&start.rows).copied().collect();
    let mut basic: Vec<usize> = (0..columns + rows)
        .filter(|&v| statuses[v] == BasisStatus::Basic)
        .collect();
    if basic.len() != rows {
        return None;
    }
    let mut value: Vec<f64> = (0..columns + rows)
        .map(|v| match statuses[v] {
            BasisStatus::Upper if upper[v].is_finite() => upper[v],
            _ if lower[v].is_finite() => lower[v],
            _ if upper[v].is_finite() => upper[v],
            _ => 0.0,
        })
        .collect();
    let mut is_basic = vec![false; columns + rows];
    let mut pivots = 0;
    let mut stale = true;
    loop {
        is_basic.iter_mut().for_each(|b| *b = false);
        basic.iter().for_each(|&v| is_basic[v] = true);
        let at_row = pair_with_rows(lp, &basic, products);
        let inv_diag = inverse_diagonal(lp, &at_row);
        let basis = Basis {
            lp,
            at_row: &at_row,
            inv_diag: &inv_diag,
            transposed: false,
        };
        // The basic values from the nonbasic ones, B x_B = -N x_N, every few pivots and
        // before the answer; in between the ratio test's update carries them.
        let refreshed = stale || pivots % VALUE_REFRESH == 0;
        if refreshed {
            let mut rhs = vec![0.0; rows];
            for v in (0..columns + rows).filter(|&v| !is_basic[v] && value[v] != 0.0) {
                for (r, a) in entries(lp, v) {
                    rhs[r] -= a * value[v];
                }
            }
            let basic_values = basis_solve(&basis, &rhs)?;
            for (i, &v) in at_row.iter().enumerate() {
                value[v] = basic_values[i];
            }
            stale = false;
        }
        // The duals: B^T y = c_B, and the reduced costs.
        let transposed = Basis {
            transposed: true,
            ..basis
        };
        let basic_cost: Vec<f64> = at_row.iter().map(|&v| cost[v]).collect();
        let y = basis_solve(&transposed, &basic_cost)?;
        let reduced = |v: usize| -> f64 {
            if v < columns {
                let (index, values) = lp.column(v);
                cost[v]
                    - index
                        .iter()
                        .zip(values)
                        .map(|(&r, &a)| a * y[r as usize])
                        .sum::<f64>()
            } else {
                y[v - columns]
            }
        };
        let movable = |v: usize, d: f64| -> bool {
            let span = AT_BOUND * value[v].abs().max(1.0);
            (d > REDUCED_COST_TOLERANCE && value[v] < upper[v] - span)
                || (d < -REDUCED_COST_TOLERANCE && value[v] > lower[v] + span)
        };
        let entering = (0..columns + rows)
            .into_par_iter()
            .filter(|&v| !is_basic[v])
            .map(|v| (v, reduced(v)))
            .filter(|&(v, d)| movable(v, d))
            .max_by(|a, b| a.1.abs().total_cmp(&b.1.abs()).then(b.0.cmp(&a.0)));
        let objective: f64 = (0..columns).map(|j| lp.cost[j] * value[j]).sum();
        let Some((q, d)) = entering.filter(|_| !limits.reached(pivots, clock)) else {
            if !refreshed {
                // The answer's values solved afresh, and its duals looked at again.
                stale = true;
                continue;
            }
            let status = |v: usize| {
                if is_basic[v] {
                    BasisStatus::Basic
                } else if upper[v].is_finite() && value[v] == upper[v] {
                    BasisStatus::Upper
                } else {
                    BasisStatus::Lower
                }
            };
            return Some(Outcome {
                x: value[..columns].to_vec(),
                row_dual: y,
                objective,
                pivots,
                optimal: entering.is_none(),
                basis: StartingBasis {
                    columns: (0..columns).map(status).collect(),
                    rows: (columns..columns + rows).map(status).collect(),
                },
            });
        };
        // The entering column through the basis: moving x_q by s t moves x_B by -s t alpha.
        let sign = d.signum();
        let mut a_q = vec![0.0; rows];
        for (r, a) in entries(lp, q) {
            a_q[r] = a;
        }
        let alpha = basis_solve(&basis, &a_q)?;
        let largest = alpha.iter().fold(0.0f64, |m, a| m.max(a.abs())).max(1.0);
        let ratio = |i: usize| -> f64 {
            let (v, delta) = (at_row[i], -sign * alpha[i]);
            if delta.abs() <= 1e-9 * largest {
                f64::INFINITY
            } else if delta < 0.0 {
                ((value[v] - lower[v]) / -delta).max(0.0)
            } else {
                ((upper[v] - value[v]) / delta).max(0.0)
            }
        };
        let ratios: Vec<f64> = (0..rows).map(ratio).collect();
        let least = ratios.iter().copied().fold(f64::INFINITY, f64::min);
        let flip = upper[q] - lower[q];
        if !least.is_finite() && !flip.is_finite() {
            // Unbounded along q: not a plan LP (every plan is bounded by its resources).
            return None;
        }
        let step = least.min(flip);
        value[q] += sign * step;
        for i in 0..rows {
            value[at_row[i]] -= sign * step * alpha[i];
        }
        if least < flip {
            // Of the ratios within a hair of the least, the largest pivot leaves.
            let hair = least + 1e-12 * least.max(1.0);
            let leave = (0..rows)
                .filter(|&i| ratios[i] <= hair)
                .max_by(|&a, &b| alpha[a].abs().total_cmp(&alpha[b].abs()))
                .expect("the least ratio's row");
            let v = at_row[leave];
            value[v] = if -sign * alpha[leave] < 0.0 {
                lower[v]
            } else {
                upper[v]
            };
            let slot = basic
                .iter()
                .position(|&b| b == v)
                .expect("a basic variable");
            basic[slot] = q;
        }
        pivots += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::highs_solver::{HighsSettings, Status, solve_counting};

    /// From the listed plan's basis the iterative simplex reaches HiGHS's optimum on generated
    /// plans with every feature (alternatives, capacities, trade, land).
    #[test]
    fn the_iterative_simplex_reaches_highs_optimum_from_the_listed_plan() {
        for seed in [7, 8, 9] {
            let (model, product_of, x) = crate::vertex_basis::tests::listed_plan(600, seed);
            let basis =
                crate::vertex_basis::basis_of_plan(&model, &product_of, &x).expect("a basis");
            let outcome =
                solve(&model.lp, &basis, model.target.len(), &Limits::default()).expect("square");
            let (exact, _) = solve_counting(&model.lp, &HighsSettings::default(), None, None);
            assert_eq!(exact.status, Status::Optimal);
            assert!(
                outcome.optimal,
                "seed {seed}: stopped after {} pivots",
                outcome.pivots
            );
            assert!(
                (outcome.objective - exact.objective).abs() <= 1e-7 * exact.objective,
                "seed {seed}: {} against HiGHS's {}",
                outcome.objective,
                exact.objective
            );
            // The plan is one: every row and column within its bounds.
            let checked = crate::certify::checked(&model.lp, outcome.x.clone(), false);
            assert!(checked.is_some(), "seed {seed}: the plan fails a row");
        }
    }
}
