//! One plan stage by the first-order method ([`crate::pdlp`]), certified as it goes: every
//! offered iterate is made feasible and its prices bounded ([`crate::certify`]); the best
//! feasible plan and the best bound are kept, and the run stops when their relative gap is
//! within the target. Certifying costs about as much as a few dozen iterations, so it runs only
//! as often as keeps it under a third of the time. The certificates also settle the other
//! outcomes: a feasible point on a ray that nothing limits proves the plan unbounded, a bound
//! below lambda's floor proves it infeasible.

use std::time::Instant;

use chollima_model::Economy;

use crate::ProgressSink;
use crate::certify;
use crate::formulation::PlanLp;
use crate::highs_solver::{LpSolution, Status};
use crate::pdlp::{self, PdlpSettings, Termination};

/// A certified bound this far (relative) below lambda's floor proves the floor out of reach.
const FLOOR_ROUNDING: f64 = 1e-9;

/// Solves the model's current stage to a certified relative gap of `gap`, starting from `warm`
/// (the previous stage's point) when given.
pub fn solve_stage(
    economy: &Economy,
    model: &PlanLp,
    gap: f64,
    settings: &PdlpSettings,
    warm: Option<(&[f64], &[f64])>,
    progress: Option<&ProgressSink>,
    stage: &str,
) -> (LpSolution, usize) {
    let clock = Instant::now();
    // Before any finite bound the prices are zeros (and the gap infinite).
    let mut incumbent =
        certify::Incumbent::new(None, (f64::INFINITY, vec![0.0; model.lp.num_rows()]));
    let mut certify_seconds = 0.0;
    let mut last_certified = f64::NEG_INFINITY;
    let mut verdict: Option<Status> = None;
    let floor = model
        .groups
        .iter()
        .find(|g| model.lp.cost[g.column] > 0.0)
        .map_or(f64::NEG_INFINITY, |g| model.lp.col_lower[g.column]);
    let repair = crate::merit::Repair::new(economy, model);
    let outcome = pdlp::solve(&model.lp, warm, settings, |iterate| {
        let now = clock.elapsed().as_secs_f64();
        // Certify at most a third of the time, but always at the first offer.
        if now - last_certified < 2.0 * certify_seconds {
            return false;
        }
        let started = Instant::now();
        incumbent.offer_plan(certify::feasible_point(economy, model, iterate.x));
        incumbent.offer_bound(Some(certify::upper_bound(economy, model, iterate.y)));
        if let Some(repair) = &repair {
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
        incumbent.report(progress, stage, iterate.iteration, last_certified, gap)
    });
    if let Some(status) = verdict {
        return (LpSolution::without_plan(status), outcome.iterations);
    }
    let status = match outcome.termination {
        Termination::Checked => Status::NearOptimal,
        Termination::IterationLimit => Status::IterationLimit,
        Termination::TimeLimit => Status::TimeLimit,
    };
    let solution = incumbent.into_solution(status);
    (solution, outcome.iterations)
}
