//! The exact method: a [`LinearProgram`] solved by HiGHS (dual simplex or interior point with
//! crossover, HiGHS's choice), with primal values, row duals and the solver's status; or by its
//! simplex from a [`StartingBasis`].

use std::sync::atomic::{AtomicBool, Ordering};

use highs::{ColProblem, HighsModelStatus, Sense};

use crate::lp::{LinearProgram, relative_gap};

/// How a solve ended. Outcomes are values, not errors: an infeasible plan is an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Optimal,
    /// A feasible plan certified within the requested relative gap (the first-order methods).
    NearOptimal,
    Infeasible,
    Unbounded,
    IterationLimit,
    TimeLimit,
    /// The solver stopped without a verdict (numerical trouble, an internal error).
    Unknown,
}

impl Status {
    /// Whether the status comes with a feasible plan certified to the requested gap.
    pub fn solved(self) -> bool {
        matches!(self, Status::Optimal | Status::NearOptimal)
    }

    /// Whether the status settles a stage: a plan within the gap, or a proof that there is
    /// none (infeasible) or no limit to it (unbounded). Limits and `unknown` do not.
    pub fn settled(self) -> bool {
        matches!(
            self,
            Status::Optimal | Status::NearOptimal | Status::Infeasible | Status::Unbounded
        )
    }

    /// The name used in `summary.json`.
    pub fn name(self) -> &'static str {
        match self {
            Status::Optimal => "optimal",
            Status::NearOptimal => "near_optimal",
            Status::Infeasible => "infeasible",
            Status::Unbounded => "unbounded",
            Status::IterationLimit => "iteration_limit",
            Status::TimeLimit => "time_limit",
            Status::Unknown => "unknown",
        }
    }
}

/// A solver's answer to a [`LinearProgram`].
#[derive(Debug, Clone)]
pub struct LpSolution {
    pub status: Status,
    /// Column values (empty unless the solver produced a point).
    pub x: Vec<f64>,
    /// Row multipliers with the sign convention of [`LinearProgram::dual_bound`]: `c - M'y` is
    /// the reduced cost, and `y'Mx + (c - M'y)'x = c'x`.
    pub row_dual: Vec<f64>,
    pub objective: f64,
    /// A certified upper bound on the optimum from `row_dual` (weak duality).
    pub dual_bound: f64,
}

impl LpSolution {
    /// Keeps `bound` (a certified upper bound with the multipliers that give it) where it is
    /// tighter than the solution's own.
    pub(crate) fn offer_bound(&mut self, (bound, row_dual): (f64, Vec<f64>)) {
        if bound < self.dual_bound {
            self.dual_bound = bound;
            self.row_dual = row_dual;
        }
    }

    /// An outcome without a point (infeasible, unbounded, no verdict): no plan, no prices.
    pub fn without_plan(status: Status) -> LpSolution {
        LpSolution {
            status,
            x: Vec::new(),
            row_dual: Vec::new(),
            objective: f64::NAN,
            dual_bound: f64::INFINITY,
        }
    }
}

/// Settings of a HiGHS solve.
#[derive(Debug, Clone, Copy)]
pub struct HighsSettings {
    pub time_limit_seconds: f64,
    pub threads: usize,
    /// HiGHS's `solver` option (`simplex`, `ipm`); `None` lets HiGHS choose.
    pub solver: Option<&'static str>,
    /// LPs of at least this many nonzeros get the primal simplex (see
    /// [`PRIMAL_SIMPLEX_NONZEROS`]); `usize::MAX` keeps HiGHS's dual simplex everywhere.
    pub primal_simplex_from: usize,
    /// HiGHS's `simplex_iteration_limit`; `None`: no limit but the time.
    pub iteration_limit: Option<usize>,
}

impl Default for HighsSettings {
    fn default() -> Self {
        HighsSettings {
            time_limit_seconds: f64::INFINITY,
            threads: 0,
            solver: None,
            primal_simplex_from: PRIMAL_SIMPLEX_NONZEROS,
            iteration_limit: None,
        }
    }
}

/// LPs from this many nonzeros up are solved by HiGHS's primal simplex rather than its
/// default dual simplex. On generated plans (`generate --inputs 10 --alternatives 0.3
/// --capacities 0.3 --trade 0.1 --land`) the primal took 9.1 / 10.8 / 12.8 s where the dual took
/// 18.1 / 13.3 / 20.6 s (10^4 products, seeds 23-25), 1.11 s against 1.89 s at 4000 products,
/// and 216 s against more than 300 s on a five-year plan of 2000 products; on small plans it
/// is slower (0.77 -> 1.00 s on a five-year plan of 300 products, 2.7 x 10^4 nonzeros) and at
/// about 9 x 10^4 nonzeros the two were even (five years of 1000 products, 13.5 / 12.6 s).
/// Multi-year plans do not use it (see `multi_year::plan_years`).
pub const PRIMAL_SIMPLEX_NONZEROS: usize = 50_000;
/// HiGHS's `simplex_strategy` for the primal simplex.
const PRIMAL_SIMPLEX: i32 = 4;

/// The primal and dual feasibility tolerance given to HiGHS.
const FEASIBILITY_TOLERANCE: f64 = 1e-9;

/// Where a column or a row starts in a [`StartingBasis`]: HiGHS's `kHighsBasisStatus` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(i32)]
pub enum BasisStatus {
    /// Nonbasic at its lower bound (a row: its activity at the row's lower bound).
    Lower = 0,
    Basic = 1,
    /// Nonbasic at its upper bound.
    Upper = 2,
}

/// A simplex basis to start from: a status per column and per row of the LP. A square one
/// (one basic variable per row) goes to HiGHS as it stands (HiGHS replaces the basic variables
/// of a singular one by slacks when it factors it); any other as a basis from elsewhere
/// ("alien"), which HiGHS completes with slacks or trims.
#[derive(Debug, Clone, PartialEq)]
pub struct StartingBasis {
    pub columns: Vec<BasisStatus>,
    pub rows: Vec<BasisStatus>,
}

#[cfg(test)]
impl StartingBasis {
    /// The number of basic columns and rows.
    pub fn basic_count(&self) -> usize {
        self.columns
            .iter()
            .chain(&self.rows)
            .filter(|&&s| s == BasisStatus::Basic)
            .count()
    }
}

/// Solves `lp` (a maximisation) with HiGHS.
pub fn solve(lp: &LinearProgram, settings: &HighsSettings) -> LpSolution {
    solve_until(lp, settings, None)
}

/// As [`solve`], ending early (status `unknown`, no point) once `stop` is set: HiGHS asks at
/// its simplex and interior-point interrupt callbacks, every few iterations.
pub fn solve_until(
    lp: &LinearProgram,
    settings: &HighsSettings,
    stop: Option<&AtomicBool>,
) -> LpSolution {
    solve_counting(lp, settings, stop, None).0
}

/// As [`solve_until`], HiGHS's simplex started from `basis` where one is given (presolve is
/// then skipped, as HiGHS does for any starting basis; a basis of the wrong size, or one HiGHS
/// refuses, is dropped and the solve starts from scratch), with the number of simplex
/// iterations HiGHS took (`None` where it did not say, as after an interior-point solve).
pub fn solve_counting(
    lp: &LinearProgram,
    settings: &HighsSettings,
    stop: Option<&AtomicBool>,
    basis: Option<&StartingBasis>,
) -> (LpSolution, Option<usize>) {
    let mut iterations = None;
    let solution = solve_model(lp, settings, stop, basis, &mut iterations);
    (solution, iterations)
}

fn solve_model(
    lp: &LinearProgram,
    settings: &HighsSettings,
    stop: Option<&AtomicBool>,
    basis: Option<&StartingBasis>,
    iterations: &mut Option<usize>,
) -> LpSolution {
    let started = std::time::Instant::now();
    let mut model = highs_model(lp);
    if settings.time_limit_seconds.is_finite() {
        model.set_option("time_limit", settings.time_limit_seconds);
    }
    // HiGHS's default tolerances (1e-7) stop generated plans up to 1e-4 short of the optimum:
    // reduced costs within 1e-7 times large activities add up. 1e-9 makes the answers exact to
    // the gaps promised, for little more time.
    model.set_option("primal_feasibility_tolerance", FEASIBILITY_TOLERANCE);
    model.set_option("dual_feasibility_tolerance", FEASIBILITY_TOLERANCE);
    if let Some(solver) = settings.solver {
        model.set_option("solver", solver);
    }
    // The simplex, HiGHS's choice or asked for by name.
    let simplex = matches!(settings.solver, None | Some("simplex"));
    let mut primal = simplex && lp.nnz() >= settings.primal_simplex_from;
    if primal {
        model.set_option("simplex_strategy", PRIMAL_SIMPLEX);
    }
    if let Some(limit) = settings.iteration_limit {
        model.set_option(
            "simplex_iteration_limit",
            limit.min(i32::MAX as usize) as i32,
        );
    }
    if settings.threads > 0 {
        model.set_option("threads", settings.threads as i32);
    }
    if let Some(stop) = stop {
        interrupt_when(&mut model, stop);
    }
    if let Some(basis) = basis
        && settings.solver.is_none()
        && start_from(&mut model, lp, basis) != Handover::Refused
    {
        primal = true;
    }
    // HiGHS refuses a malformed LP (NaN bounds, say) with an error status: an outcome, not a
    // panic, so the caller can report it.
    // HiGHS's dual simplex can lose its way on an ill-conditioned LP (it ends in an error,
    // "Not Set"): the primal simplex then gets the same LP, and where HiGHS chooses the
    // solver, the interior point after it. The primal comes first: on
    // tests/fixtures/surrogate_dual_simplex_error.json it solves in 0.01 s what the interior
    // point with crossover did not end in an hour.
    // Each further attempt gets what is left of the time limit, not a limit of its own.
    let Ok(solved) = model.try_solve() else {
        let left = settings.time_limit_seconds - started.elapsed().as_secs_f64();
        let next = if simplex && !primal {
            Some(HighsSettings {
                primal_simplex_from: 0,
                ..*settings
            })
        } else if settings.solver.is_none() {
            Some(HighsSettings {
                solver: Some("ipm"),
                ..*settings
            })
        } else {
            None
        };
        return match next {
            Some(next) if left > 0.0 => solve_model(
                lp,
                &HighsSettings {
                    time_limit_seconds: left,
                    ..next
                },
                stop,
                None,
                iterations,
            ),
            Some(_) => LpSolution::without_plan(Status::TimeLimit),
            None => LpSolution::without_plan(Status::Unknown),
        };
    };
    *iterations = simplex_iterations(&solved);
    let status = match solved.status() {
        HighsModelStatus::Optimal => Status::Optimal,
        HighsModelStatus::Infeasible => Status::Infeasible,
        HighsModelStatus::Unbounded | HighsModelStatus::UnboundedOrInfeasible => Status::Unbounded,
        HighsModelStatus::ReachedIterationLimit => Status::IterationLimit,
        HighsModelStatus::ReachedTimeLimit => Status::TimeLimit,
        HighsModelStatus::ModelEmpty => Status::Optimal,
        _ => Status::Unknown,
    };
    // HiGHS can end "unknown" when its own tolerances (1e-9 here) cannot be verified after
    // unscaling, with a point that is fine: such a point is checked here and kept, as
    // near-optimal with its certified gap, when it is feasible to 1e-7 and the gap is small.
    if status == Status::Unknown {
        let solution = solved.get_solution();
        let certified = certify_point(lp, solution.columns(), solution.dual_rows());
        if let Some(mut certified) = certified
            && lp.primal_infeasibility(&certified.x) <= UNKNOWN_FEASIBILITY
            && relative_gap(certified.objective, certified.dual_bound) <= UNKNOWN_GAP
        {
            certified.status = Status::NearOptimal;
            return certified;
        }
    }
    if status != Status::Optimal {
        return match status {
            Status::TimeLimit | Status::IterationLimit => stopped_point(lp, &solved, status),
            _ => LpSolution::without_plan(status),
        };
    }
    let solution = solved.get_solution();
    let mut certified = certify_point(lp, solution.columns(), solution.dual_rows())
        .expect("an optimal HiGHS solution has a value per column");
    certified.status = status;
    let left = settings.time_limit_seconds - started.elapsed().as_secs_f64();
    if relative_gap(certified.objective, certified.dual_bound) > POLISH_GAP && left > 0.0 {
        return polish(lp, solved, certified, left, iterations);
    }
    certified
}

/// What HiGHS holds when a limit stops it: its point where it passes the row check (the
/// primal simplex stays feasible once its first phase is done), with the weak-duality bound of
/// its prices; no plan otherwise. Why: a five-year plan of 10^4 products held 4.13 when HiGHS's
/// primal simplex stopped at a 30 s limit, where the worn-down plan repaired is 2.63 (and a
/// raced five-year plan of 2000 products at 60 s: 5.9907 of the optimum 5.9912).
fn stopped_point(lp: &LinearProgram, solved: &highs::SolvedModel, status: Status) -> LpSolution {
    let solution = solved.get_solution();
    let Some(mut certified) = certify_point(lp, solution.columns(), solution.dual_rows()) else {
        return LpSolution::without_plan(status);
    };
    match crate::certify::checked(lp, std::mem::take(&mut certified.x), false) {
        Some((x, objective)) => LpSolution {
            status,
            x,
            objective,
            ..certified
        },
        None => LpSolution::without_plan(status),
    }
}

/// Optimal answers HiGHS gives that certify worse than this are polished ([`polish`]).
const POLISH_GAP: f64 = 5e-7;
/// The dual feasibility tolerance of the polish: HiGHS's smallest.
const POLISH_TOLERANCE: f64 = 1e-10;

/// HiGHS's simplex again from the optimal basis it ended with, its dual feasibility tolerance
/// at [`POLISH_TOLERANCE`], within `seconds`; its answer kept where it certifies tighter than
/// `certified`. Why: at 1e-9 reduced costs that small, times activities in the millions, add
/// up; on a generated 10^4-product plan (seed 25) HiGHS's optimum certified 1.04e-6 and stood
/// 5e-7 below the true optimum. 1e-10 from the start costs every plan more (that one: 215
/// iterations instead of 92, 2.5 s instead of 1.4 s); from the basis only a few pivots more.
fn polish(
    lp: &LinearProgram,
    solved: highs::SolvedModel,
    certified: LpSolution,
    seconds: f64,
    iterations: &mut Option<usize>,
) -> LpSolution {
    let mut again = highs::Model::from(solved);
    again.set_option("dual_feasibility_tolerance", POLISH_TOLERANCE);
    if seconds.is_finite() {
        again.set_option("time_limit", seconds);
    }
    let Ok(solved) = again.try_solve() else {
        return certified;
    };
    if solved.status() != HighsModelStatus::Optimal {
        return certified;
    }
    *iterations = iterations
        .zip(simplex_iterations(&solved))
        .map(|(a, b)| a + b);
    let solution = solved.get_solution();
    match certify_point(lp, solution.columns(), solution.dual_rows()) {
        Some(mut polished)
            if relative_gap(polished.objective, polished.dual_bound)
                < relative_gap(certified.objective, certified.dual_bound) =>
        {
            polished.status = Status::Optimal;
            polished
        }
        _ => certified,
    }
}

/// The simplex iterations HiGHS took on its last solve (`None` where it does not say).
fn simplex_iterations(solved: &highs::SolvedModel) -> Option<usize> {
    solved
        .int_info_value(c"simplex_iteration_count")
        .ok()
        .and_then(|count| usize::try_from(count).ok())
}

/// `lp` as a HiGHS model (a maximisation). Quiet (the highs crate makes every model so), but
/// for whoever sets CHOLLIMA_HIGHS_LOG: then HiGHS's own log of every solve goes to the
/// standard output, to see what a long solve is doing.
fn highs_model(lp: &LinearProgram) -> highs::Model {
    let mut problem = ColProblem::default();
    let rows: Vec<_> = (0..lp.num_rows())
        .map(|i| problem.add_row(lp.row_lower[i]..=lp.row_upper[i]))
        .collect();
    for j in 0..lp.num_cols() {
        let (indices, values) = lp.column(j);
        let factors: Vec<_> = indices
            .iter()
            .zip(values)
            .map(|(&i, &v)| (rows[i as usize], v))
            .collect();
        problem.add_column(lp.cost[j], lp.col_lower[j]..=lp.col_upper[j], factors);
    }
    let mut model = problem.optimise(Sense::Maximise);
    if std::env::var_os("CHOLLIMA_HIGHS_LOG").is_some() {
        model.set_option("output_flag", true);
        model.set_option("log_to_console", true);
    }
    model
}

/// How [`start_from`] handed a basis to HiGHS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Handover {
    /// As not alien (square): HiGHS factors it once, to start.
    Square,
    /// As alien: HiGHS checks it by factoring it, completes it where needed, factors again.
    Alien,
    /// Not at all (it does not fit the LP, or HiGHS refused it).
    Refused,
}

/// Hands `basis` to HiGHS and asks for its (primal) simplex, which alone uses a basis. A
/// square basis (one basic variable per row) goes through `cpp/square_basis.cpp` as not alien,
/// so HiGHS factors it once, to start; any other through `highs-sys`'s `Highs_setBasis`, which
/// HiGHS checks by factoring it first and completes where it is short (the `highs` crate has
/// no call for either). A basis that does not fit the LP, or that HiGHS refuses either way, is
/// not used: the solve then starts from HiGHS's own crash, as without one.
#[allow(unsafe_code)]
fn start_from(model: &mut highs::Model, lp: &LinearProgram, basis: &StartingBasis) -> Handover {
    if basis.columns.len() != lp.num_cols() || basis.rows.len() != lp.num_rows() {
        return Handover::Refused;
    }
    let (Ok(num_col), Ok(num_row)) = (
        std::os::raw::c_int::try_from(lp.num_cols()),
        std::os::raw::c_int::try_from(lp.num_rows()),
    ) else {
        return Handover::Refused;
    };
    let columns: Vec<highs_sys::HighsInt> = basis.columns.iter().map(|&s| s as _).collect();
    let rows: Vec<highs_sys::HighsInt> = basis.rows.iter().map(|&s| s as _).collect();
    let highs = model.as_mut_ptr();
    // SAFETY (both calls): `highs` is the live HiGHS instance of `model`, and the two arrays
    // hold one status per column and per row of its LP (checked above); HiGHS copies them.
    // The shim checks the statuses and the count of basic ones before HiGHS sees them.
    let handover = if unsafe {
        chollima_highs_set_square_basis(highs, columns.as_ptr(), num_col, rows.as_ptr(), num_row)
    } != highs_sys::kHighsStatusError
    {
        Handover::Square
    } else if unsafe { highs_sys::Highs_setBasis(highs, columns.as_ptr(), rows.as_ptr()) }
        != highs_sys::kHighsStatusError
    {
        Handover::Alien
    } else {
        Handover::Refused
    };
    if handover != Handover::Refused {
        model.set_option("solver", "simplex");
        // The bases made here are primal feasible (a plan's), so the primal simplex goes on
        // from them; the dual would first have to repair their reduced costs.
        model.set_option("simplex_strategy", PRIMAL_SIMPLEX);
    }
    handover
}

#[allow(unsafe_code)]
unsafe extern "C" {
    /// `cpp/square_basis.cpp`: HiGHS's C++ `Highs::setBasis` with the basis marked not alien;
    /// -1 (and the model unchanged) unless exactly `num_row` statuses are basic.
    fn chollima_highs_set_square_basis(
        highs: *mut std::os::raw::c_void,
        columns: *const highs_sys::HighsInt,
        num_col: std::os::raw::c_int,
        rows: *const highs_sys::HighsInt,
        num_row: std::os::raw::c_int,
    ) -> std::os::raw::c_int;
}

/// Has HiGHS's interrupt callbacks end the solve once `stop` is set. The `highs` crate has no
/// callbacks, so this goes through `highs-sys` (the C API of the same library): the callback
/// reads the flag through the user-data pointer, which outlives the solve (`stop` is borrowed
/// for as long as the model is).
#[allow(unsafe_code)]
fn interrupt_when(model: &mut highs::Model, stop: &AtomicBool) {
    unsafe extern "C" fn check(
        _callback_type: std::os::raw::c_int,
        _message: *const std::os::raw::c_char,
        _data_out: *const highs_sys::HighsCallbackDataOut,
        data_in: *mut highs_sys::HighsCallbackDataIn,
        user_data: *mut std::os::raw::c_void,
    ) {
        // SAFETY: `user_data` is the `&AtomicBool` given below, alive for the whole solve;
        // `data_in` is HiGHS's own, valid during the call (null for callbacks without input).
        unsafe {
            let stop = &*(user_data as *const AtomicBool);
            if !data_in.is_null() && stop.load(Ordering::Relaxed) {
                (*data_in).user_interrupt = 1;
            }
        }
    }
    let highs = model.as_mut_ptr();
    // SAFETY: `highs` is the live HiGHS instance of `model`; the callback and its data stay
    // valid while it solves (see above).
    unsafe {
        highs_sys::Highs_setCallback(
            highs,
            Some(check),
            stop as *const AtomicBool as *mut std::os::raw::c_void,
        );
        highs_sys::Highs_startCallback(highs, highs_sys::kHighsCallbackSimplexInterrupt);
        highs_sys::Highs_startCallback(highs, highs_sys::kHighsCallbackIpmInterrupt);
    }
}

/// Largest relative bound violation of a point HiGHS calls "unknown" that is still kept.
const UNKNOWN_FEASIBILITY: f64 = 1e-7;
/// Largest certified relative gap of such a point.
const UNKNOWN_GAP: f64 = 1e-6;

/// The point `x` with its objective and the weak-duality bound of the row duals `y`. HiGHS
/// reports duals for the minimisation of -c'x; either sign convention is tried and the tighter
/// (both are valid) bound kept, so the certificate never rests on a convention. `None` when
/// HiGHS gave no point.
fn certify_point(lp: &LinearProgram, x: &[f64], y: &[f64]) -> Option<LpSolution> {
    if x.len() != lp.num_cols() || y.len() != lp.num_rows() {
        return None;
    }
    let flipped: Vec<f64> = y.iter().map(|v| -v).collect();
    // Rounding only, not HiGHS's dual tolerance: reduced costs within that tolerance, times
    // large activities, add up (on a generated 10^4-product plan HiGHS at 1e-9 stopped 5.6e-7
    // below the optimum; at its default 1e-7, 1.9e-5 below). A reduced cost a little positive
    // on a column without an upper bound is bounded by what the rows imply.
    let upper = lp.implied_upper_bounds(crate::lp::IMPLIED_BOUND_PASSES);
    let bound = |y: &[f64]| lp.dual_bound_with_upper(y, crate::lp::CERTIFICATE_ROUNDING, &upper);
    let (bound_y, bound_flipped) = (bound(y), bound(&flipped));
    let (row_dual, dual_bound) = if bound_flipped < bound_y {
        (flipped, bound_flipped)
    } else {
        (y.to_vec(), bound_y)
    };
    Some(LpSolution {
        status: Status::Unknown,
        objective: lp.objective(x),
        x: x.to_vec(),
        row_dual,
        dual_bound,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A solve stopped by a limit keeps HiGHS's point where it passes the row check (the primal
    /// simplex stays feasible once past its first phase; here the slack basis is feasible
    /// already), with a valid bound: a plan below the optimum, not "no plan".
    #[test]
    fn a_solve_stopped_by_its_iteration_limit_keeps_its_feasible_point() {
        // max x1 + x2 + x3 with x1 + x2, x2 + x3, x1 + x3 <= 2: optimum 3 at (1, 1, 1).
        let mut lp = LinearProgram::with_rows(3);
        lp.row_upper.fill(2.0);
        for rows in [[0, 2], [0, 1], [1, 2]] {
            lp.push_column(1.0, 0.0, f64::INFINITY, rows.map(|r| (r, 1.0)));
        }
        let settings = HighsSettings {
            primal_simplex_from: 0,
            iteration_limit: Some(1),
            ..Default::default()
        };
        let s = solve(&lp, &settings);
        assert_eq!(s.status, Status::IterationLimit, "{s:?}");
        assert!(crate::certify::rows_feasible(&lp, &s.x), "{s:?}");
        assert!(s.x.iter().all(|&v| v >= 0.0));
        assert!(s.objective > 0.0 && s.objective < 3.0 - 1e-9, "{s:?}");
        assert!(s.dual_bound >= 3.0 - 1e-9, "{s:?}");
        // Without a limit: the optimum.
        let s = solve(&lp, &HighsSettings::default());
        assert!((s.objective - 3.0).abs() < 1e-9, "{s:?}");
    }

    #[test]
    fn solves_a_small_program_with_a_tight_certificate() {
        let lp = crate::lp::tests::example();
        let s = solve(&lp, &HighsSettings::default());
        assert_eq!(s.status, Status::Optimal);
        assert!((s.objective - 12.5).abs() < 1e-9);
        assert!((s.dual_bound - 12.5).abs() < 1e-9, "{s:?}");
        assert!((s.row_dual[0] - 1.5).abs() < 1e-9 && (s.row_dual[1] - 0.5).abs() < 1e-9);
    }

    /// The polish solves again from HiGHS's optimal basis and keeps its answer where it
    /// certifies tighter than the one it was given (here one with a loose bound), adding its
    /// iterations; given an answer it cannot beat, it keeps that one.
    #[test]
    fn the_polish_keeps_the_tighter_certificate() {
        let lp = crate::lp::tests::example();
        let solved = || {
            highs_model(&lp)
                .try_solve()
                .expect("HiGHS solves the example")
        };
        let loose = LpSolution {
            status: Status::Optimal,
            x: vec![0.0; lp.num_cols()],
            row_dual: vec![0.0; lp.num_rows()],
            objective: 12.0,
            dual_bound: 20.0,
        };
        let mut iterations = Some(3);
        let polished = polish(&lp, solved(), loose.clone(), 10.0, &mut iterations);
        assert_eq!(polished.status, Status::Optimal);
        assert!((polished.objective - 12.5).abs() < 1e-9, "{polished:?}");
        assert!((polished.dual_bound - 12.5).abs() < 1e-9, "{polished:?}");
        assert_eq!(
            iterations,
            Some(3),
            "from the optimal basis: no more iterations"
        );
        let exact = LpSolution {
            dual_bound: 12.0,
            ..loose
        };
        let kept = polish(&lp, solved(), exact.clone(), 10.0, &mut iterations);
        assert_eq!(
            (kept.objective, kept.dual_bound),
            (exact.objective, exact.dual_bound)
        );
    }

    /// Regression guard for the C++ shim (cpp/square_basis.cpp), which re-declares HiGHS's
    /// basis struct: a square basis goes over as not alien, and HiGHS starts from it (the
    /// optimal basis of the example: 0 iterations); a short one goes over as alien and HiGHS
    /// completes it; one of the wrong size is not handed over.
    #[test]
    fn a_square_basis_is_handed_over_as_it_stands() {
        use BasisStatus::{Basic, Lower, Upper};
        let lp = crate::lp::tests::example();
        // How the basis went over, and the solve from it (the optimum is 12.5).
        let from = |columns: Vec<BasisStatus>, rows: Vec<BasisStatus>| {
            let basis = StartingBasis { columns, rows };
            let handover = start_from(&mut highs_model(&lp), &lp, &basis);
            let (solution, iterations) =
                solve_counting(&lp, &HighsSettings::default(), None, Some(&basis));
            assert_eq!(solution.status, Status::Optimal, "{basis:?}");
            assert!((solution.objective - 12.5).abs() < 1e-9, "{basis:?}");
            (handover, iterations)
        };
        // The optimal basis: nothing left to do.
        let optimal = from(vec![Lower, Basic, Basic], vec![Upper, Upper]);
        assert_eq!(optimal, (Handover::Square, Some(0)));
        // Square but singular (column 0 and row 0's slack both in row 0 alone): HiGHS swaps
        // in a slack when it factors it, and still solves.
        let singular = from(vec![Basic, Lower, Lower], vec![Basic, Upper]);
        assert_eq!(singular.0, Handover::Square);
        // One basic variable short: HiGHS completes it.
        let short = from(vec![Lower, Basic, Lower], vec![Upper, Upper]);
        assert_eq!(short.0, Handover::Alien);
        // Not this LP's: not handed over, the solve starts from HiGHS's crash.
        let wrong_size = from(vec![Basic, Basic], vec![Upper, Upper]);
        assert_eq!(wrong_size.0, Handover::Refused);
    }

    /// Regression guard for the race of `auto`: HiGHS stops when told to, without a point.
    #[test]
    fn a_set_stop_flag_interrupts_the_simplex() {
        // A dense LP that takes HiGHS many simplex iterations and that presolve cannot remove.
        let n = 300;
        let mut lp = LinearProgram::with_rows(n);
        for i in 0..n {
            lp.row_upper[i] = 1.0 + (i % 7) as f64;
        }
        for j in 0..n {
            let entries: Vec<(usize, f64)> = (0..n)
                .map(|i| (i, 1.0 + ((i * 31 + j * 17) % 23) as f64))
                .collect();
            lp.push_column(1.0 + (j % 5) as f64, 0.0, f64::INFINITY, entries);
        }
        let unstopped = solve(&lp, &HighsSettings::default());
        assert_eq!(unstopped.status, Status::Optimal);
        let stop = AtomicBool::new(true);
        let stopped = solve_until(&lp, &HighsSettings::default(), Some(&stop));
        assert_ne!(stopped.status, Status::Optimal, "{:?}", stopped.status);
        assert!(stopped.x.is_empty());
    }

    #[test]
    fn unbounded_and_infeasible_are_outcomes() {
        let mut lp = LinearProgram::with_rows(1);
        lp.row_lower = vec![1.0];
        lp.push_column(1.0, 0.0, f64::INFINITY, [(0, 1.0)]);
        assert_eq!(
            solve(&lp, &HighsSettings::default()).status,
            Status::Unbounded
        );
        let mut lp = LinearProgram::with_rows(1);
        lp.row_lower = vec![1.0];
        lp.push_column(1.0, 0.0, 0.5, [(0, 1.0)]);
        assert_eq!(
            solve(&lp, &HighsSettings::default()).status,
            Status::Infeasible
        );
    }
}
