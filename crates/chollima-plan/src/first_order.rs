//! One plan stage by the first-order method ([`crate::pdlp`]), certified as it goes: every
//! offered iterate is made feasible and its prices bounded ([`crate::certify`]); the best
//! feasible plan and the best bound are kept, and the run stops when their relative gap is
//! within the target. Certifying costs about as much as a few dozen iterations, so it runs only
//! as often as keeps it under a third of the time. The certificates also settle the other
//! outcomes: a feasible point on a ray that nothing limits proves the plan unbounded, a bound
//! below lambda's floor proves it infeasible.

use std::time::Instant;

use chollima_model::Economy;

use crate::certify;
use crate::formulation::PlanLp;
use crate::highs_solver::{LpSolution, Status};
use crate::lp::relative_gap;
use crate::pdlp::{self, PdlpSettings, Termination};
use crate::{Progress, ProgressSink};

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
    let mut best_primal: Option<(Vec<f64>, f64)> = None;
    let mut best_bound: (f64, Vec<f64>) = (f64::INFINITY, Vec::new());
    let mut certify_seconds = 0.0;
    let mut last_certified = f64::NEG_INFINITY;
    let mut verdict: Option<Status> = None;
    let floor = model
        .groups
        .iter()
        .find(|g| model.lp.cost[g.column] > 0.0)
        .map_or(f64::NEG_INFINITY, |g| model.lp.col_lower[g.column]);
    let repair = crate::merit::Repair::new(economy, model);
    let mut last_dualised = f64::NEG_INFINITY;
    let outcome = pdlp::solve(&model.lp, warm, settings, |iterate| {
        let now = clock.elapsed().as_secs_f64();
        // Certify at most a third of the time, but always at the first offer.
        if now - last_certified < 2.0 * certify_seconds {
            return false;
        }
        let started = Instant::now();
        if let Some((x, objective)) = certify::feasible_point(economy, model, iterate.x)
            && best_primal.as_ref().is_none_or(|b| objective > b.1)
        {
            best_primal = Some((x, objective));
        }
        let (bound, y) = certify::upper_bound(economy, model, iterate.y);
        if bound < best_bound.0 {
            best_bound = (bound, y);
        }
        if let Some(repair) = &repair {
            let guess = best_primal
                .as_ref()
                .map_or(best_bound.0.min(1.0), |b| b.1)
                .max(floor);
            let (plan, bound) = repair.at(iterate.y, guess);
            if let Some((x, objective)) = plan
                && best_primal.as_ref().is_none_or(|b| objective > b.1)
            {
                best_primal = Some((x, objective));
            }
            if improved_primal(&best_primal, &mut last_dualised)
                && let Some((bound, y)) = best_primal
                    .as_ref()
                    .and_then(|b| repair.bound_at_plan(&b.0))
                && bound < best_bound.0
            {
                best_bound = (bound, y);
            }
            if let Some((bound, y)) = bound
                && bound < best_bound.0
            {
                best_bound = (bound, y);
            }
        }
        certify_seconds = started.elapsed().as_secs_f64();
        last_certified = clock.elapsed().as_secs_f64();
        let primal = best_primal.as_ref().map_or(f64::NEG_INFINITY, |b| b.1);
        if primal == f64::INFINITY {
            verdict = Some(Status::Unbounded);
            return true;
        }
        if best_bound.0 < floor - FLOOR_ROUNDING * floor.abs().max(1.0) {
            // The optimum is below the lower bound of lambda: no plan reaches the floor.
            verdict = Some(Status::Infeasible);
            return true;
        }
        let current_gap = relative_gap(primal, best_bound.0);
        if let Some(sink) = progress {
            sink.report(&Progress {
                stage,
                iteration: iterate.iteration,
                objective: primal,
                bound: best_bound.0,
                gap: current_gap,
                seconds: last_certified,
            });
        }
        current_gap <= gap
    });
    if let Some(status) = verdict {
        let solution = LpSolution {
            status,
            x: Vec::new(),
            row_dual: Vec::new(),
            objective: f64::NAN,
            dual_bound: f64::INFINITY,
        };
        return (solution, outcome.iterations);
    }
    let status = match outcome.termination {
        Termination::Checked => Status::NearOptimal,
        Termination::IterationLimit => Status::IterationLimit,
        Termination::TimeLimit => Status::TimeLimit,
    };
    let (x, objective) = best_primal.unwrap_or((Vec::new(), f64::NAN));
    // A plan stopped before any finite bound has no prices to show: zeros, and an infinite gap.
    let row_dual = if best_bound.1.is_empty() {
        vec![0.0; model.lp.num_rows()]
    } else {
        best_bound.1
    };
    let solution = LpSolution {
        status,
        x,
        row_dual,
        objective,
        dual_bound: best_bound.0,
    };
    (solution, outcome.iterations)
}

/// Whether the best plan is better than the one last priced (and notes it as priced).
fn improved_primal(best: &Option<(Vec<f64>, f64)>, last: &mut f64) -> bool {
    match best {
        Some((_, objective)) if *objective > *last => {
            *last = *objective;
            true
        }
        _ => false,
    }
}
