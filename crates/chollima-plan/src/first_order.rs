//! One plan stage by the first-order method ([`crate::pdlp`]), certified as it goes: every
//! offered iterate is made feasible and its prices bounded ([`crate::certify`]); the best
//! feasible plan and the best bound are kept, and the run stops when their relative gap is
//! within the target. Certifying costs about as much as a few dozen iterations, so it runs only
//! as often as keeps it under a third of the time. The certificates also settle the other
//! outcomes: a feasible point on a ray that nothing limits proves the plan unbounded, a bound
//! below lambda's floor proves it infeasible.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use chollima_model::Economy;

use crate::ProgressSink;
use crate::certify;
use crate::formulation::PlanLp;
use crate::highs_solver::{LpSolution, Status};
use crate::lp::LinearProgram;
use crate::pdlp::{self, PdlpSettings, Termination};

/// A certified bound this far (relative) below lambda's floor proves the floor out of reach.
const FLOOR_ROUNDING: f64 = 1e-9;

/// Who watches a stage's run: where it reports progress, under which stage name, and the
/// flag that stops it from another thread (the race of `auto`).
#[derive(Debug, Clone, Copy)]
pub struct Watch<'a> {
    pub progress: Option<&'a ProgressSink>,
    pub stage: &'a str,
    pub stop: Option<&'a AtomicBool>,
}

impl Watch<'_> {
    /// Whether another thread has asked the run to end.
    fn stopped(&self) -> bool {
        self.stop.is_some_and(|stop| stop.load(Ordering::Relaxed))
    }
}

/// Solves the model's current stage to a certified relative gap of `gap`, starting from `warm`
/// (the previous stage's point) when given, and from `first` (the stage's
/// [`first_certificate`], when the caller has made it already).
pub fn solve_stage(
    economy: &Economy,
    model: &PlanLp,
    gap: f64,
    settings: &PdlpSettings,
    warm: Option<(&[f64], &[f64])>,
    first: Option<certify::Incumbent>,
    watch: Watch,
) -> (LpSolution, usize) {
    let floor = current_floor(model);
    // A raced run's fills end once the other side has settled the stage.
    let repair = crate::merit::Repair::new(economy, model).map(|r| r.stopped_by(watch.stop));
    let mut certify = |iterate: &pdlp::Iterate, incumbent: &mut certify::Incumbent| {
        incumbent.offer_plan(certify::feasible_point(economy, model, iterate.x));
        // A raced run that the other side settled stops between the certificate's steps (the
        // merit-order plan at the iterate's prices took 0.74 s at 10^4 products).
        if watch.stopped() {
            return;
        }
        incumbent.offer_bound(Some(certify::upper_bound(economy, model, iterate.y)));
        if let Some(repair) = &repair
            && !watch.stopped()
        {
            let guess = incumbent
                .primal
                .as_ref()
                .map_or(incumbent.bound.0.min(1.0), |b| b.1)
                .max(floor);
            let (plan, bound) = repair.at(iterate.y, guess);
            incumbent.offer_plan(plan);
            incumbent.price_best(|x| repair.bound_at_plan(x));
            incumbent.offer_bound(bound);
        }
    };
    let stage = Stage {
        lp: &model.lp,
        floor,
        gap,
        settings,
        watch,
    };
    // The previous stage's plan holds every earlier lambda (the hold is its own value less a
    // hair), so a later stage starts with a plan: a run that stalls still returns that one
    // rather than none.
    let first = first.unwrap_or_else(|| {
        first_certificate(
            model,
            warm,
            repair.as_ref(),
            gap,
            crate::merit::RELIEF_ROUNDS,
        )
    });
    let first_bound = first.bound.0.is_finite().then_some(first.bound);
    run(&stage, warm, first.primal, first_bound, &mut certify)
}

/// The lower bound of the current stage's lambda (the group whose cost is positive).
fn current_floor(model: &PlanLp) -> f64 {
    model
        .groups
        .iter()
        .find(|g| model.lp.cost[g.column] > 0.0)
        .map_or(f64::NEG_INFINITY, |g| model.lp.col_lower[g.column])
}

/// The certificate a large-plan method starts from, before any iterate: the previous stage's
/// plan, the plan of the listed technology (the merit order of `Repair::listed`) and the bound
/// of the scarcest product ([`certify::product_bound`]) or of what stops that plan, after at
/// most `relief_rounds` rounds of relief. On an economy whose optimum is set by one product's
/// plant they meet, and no iteration is needed.
pub(crate) fn first_certificate(
    model: &PlanLp,
    warm: Option<(&[f64], &[f64])>,
    repair: Option<&crate::merit::Repair>,
    gap: f64,
    relief_rounds: usize,
) -> certify::Incumbent {
    let mut first = certify::Incumbent::new(
        certify::warm_plan(model, warm),
        certify::product_bound(model).unwrap_or((f64::INFINITY, Vec::new())),
    );
    let floor = current_floor(model);
    if let Some(repair) = repair {
        let guess = first.bound.0.min(1.0).max(floor);
        let known = first.bound.0.is_finite().then(|| first.bound.clone());
        let (plan, bound) = repair.listed(guess, known, gap, relief_rounds);
        first.offer_plan(plan);
        first.offer_bound(bound);
    }
    first
}

/// One stage's LP and what its run is held to.
pub(crate) struct Stage<'a> {
    pub lp: &'a LinearProgram,
    /// The objective's lower bound: a certified bound below it proves the stage infeasible.
    pub floor: f64,
    pub gap: f64,
    pub settings: &'a PdlpSettings,
    pub watch: Watch<'a>,
}

/// Offers an iterate's certificates (a feasible plan near it, a bound from its prices) to the
/// incumbent: what a single-period and a multi-year stage certify differently.
pub(crate) type Certify<'a> = dyn FnMut(&pdlp::Iterate, &mut certify::Incumbent) + 'a;

/// Runs PDHG on a stage, certifying as it goes, from `warm` and with `first_plan` as the
/// incumbent to beat.
///
/// A stage whose gap stalls is not restarted from its best certified point: PDHG's path is the
/// same in every run (ordered parallel sums), and a restart on the clock threw it away just
/// before the iterates that certify (BENCHMARKS.md, "The first-order method without stall
/// restarts": 3 of 17 all-features-5k runs never closed their gap, 6 of 6 without it did).
pub(crate) fn run(
    stage: &Stage,
    warm: Option<(&[f64], &[f64])>,
    first_plan: Option<(Vec<f64>, f64)>,
    first_bound: Option<(f64, Vec<f64>)>,
    certify: &mut Certify,
) -> (LpSolution, usize) {
    let clock = Instant::now();
    let (lp, floor, settings) = (stage.lp, stage.floor, stage.settings);
    // Zero multipliers already bound the objective by its columns' own bounds (a group capped
    // at its targets, lambda <= 1 in each year, is bounded by the number of years): weak
    // duality with y = 0, infinite when a column with a cost has no bound on that side.
    let zeros = vec![0.0; lp.num_rows()];
    let box_bound = lp.dual_bound_within(&zeros, 0.0);
    let mut incumbent = certify::Incumbent::new(first_plan, (box_bound, zeros));
    incumbent.offer_bound(first_bound);
    if incumbent.primal.is_some()
        && incumbent.report(
            stage.watch.progress,
            stage.watch.stage,
            0,
            clock.elapsed().as_secs_f64(),
            stage.gap,
        )
    {
        return (incumbent.into_solution(Status::NearOptimal), 0);
    }
    let mut certify_seconds = 0.0;
    let mut last_certified = f64::NEG_INFINITY;
    let mut verdict: Option<Status> = None;
    let outcome = pdlp::solve(lp, warm, settings, |iterate| {
        if stage.watch.stopped() {
            verdict = Some(Status::Unknown);
            return true;
        }
        let now = clock.elapsed().as_secs_f64();
        // Certify at most a third of the time, but always at the first offer.
        if now - last_certified < 2.0 * certify_seconds {
            return false;
        }
        let started = Instant::now();
        certify(iterate, &mut incumbent);
        certify_seconds = started.elapsed().as_secs_f64();
        last_certified = clock.elapsed().as_secs_f64();
        if incumbent.objective() == f64::INFINITY {
            verdict = Some(Status::Unbounded);
            return true;
        }
        if incumbent.bound.0 < floor - FLOOR_ROUNDING * floor.abs().max(1.0) {
            // The optimum is below the lower bound of lambda: no plan reaches the floor.
            verdict = Some(Status::Infeasible);
            return true;
        }
        incumbent.report(
            stage.watch.progress,
            stage.watch.stage,
            iterate.iteration,
            last_certified,
            stage.gap,
        )
    });
    if let Some(status) = verdict {
        return (LpSolution::without_plan(status), outcome.iterations);
    }
    let status = match outcome.termination {
        Termination::Checked => Status::NearOptimal,
        Termination::IterationLimit => Status::IterationLimit,
        Termination::TimeLimit => Status::TimeLimit,
    };
    (incumbent.into_solution(status), outcome.iterations)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capped_objectives_are_bounded_by_their_caps_before_any_prices() {
        // max lambda_1 + lambda_2 with each lambda <= 1 (a group capped at its targets in two
        // years) and a row that never binds: the certificates offer the plan (1, 1) and no
        // bound at all, yet the caps alone prove it optimal.
        let mut lp = LinearProgram::with_rows(1);
        lp.row_upper[0] = 10.0;
        lp.push_column(1.0, 0.0, 1.0, [(0, 1.0)]);
        lp.push_column(1.0, 0.0, 1.0, [(0, 1.0)]);
        let settings = PdlpSettings {
            max_iterations: 1000,
            time_limit_seconds: 60.0,
        };
        let stage = Stage {
            lp: &lp,
            floor: 0.0,
            gap: 1e-9,
            settings: &settings,
            watch: Watch {
                progress: None,
                stage: "test",
                stop: None,
            },
        };
        let mut certify = |_: &pdlp::Iterate, incumbent: &mut certify::Incumbent| {
            incumbent.offer_plan(Some((vec![1.0, 1.0], 2.0)));
        };
        let (solution, _) = run(&stage, None, None, None, &mut certify);
        assert_eq!(solution.status, Status::NearOptimal);
        assert_eq!(solution.dual_bound, 2.0);
        assert_eq!(solution.objective, 2.0);
    }
}
