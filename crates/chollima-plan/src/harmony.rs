//! Cockshott's harmony algorithm (*Towards a New Socialism*, ch. 6; his published code is read
//! in `docs/research/harmony.md`), with the fixes that note lists for where it breaks down.
//!
//! Each product with a target has a harmony `H(s)`, with `s = (net - target) / target`:
//! `s - s^2/2` below the target and `ln(1 + s)` above it. This is concave, so a shortfall costs
//! more than an equal surplus gains. One iteration:
//! 1. values every product at its marginal harmony (products without a target, and the
//!    resources, at the value of what their users make per unit of them: the mean over users,
//!    not Cockshott's max, which explodes on hub goods);
//! 2. moves every product's producers towards the mean harmony;
//! 3. grows techniques that make more value than they use and shrinks the others,
//!    multiplicatively and boundedly, at a falling temperature (trade stays at zero, as in
//!    Cockshott's code);
//! 4. scales the plan into its capacities and resources and shrinks the users of any product in
//!    deficit.
//!
//! The fixes from the research note: the analytic derivative, harmony only where a target is
//! positive, steps relative to `max(net, target)` (never to a signed net output), intensities
//! floored above zero, non-finite values caught. Cockshott's plan is returned after a fixed
//! number of passes, possibly infeasible. Here every few iterations [`certify`] turns the
//! iterate's mix of techniques into a feasible plan with the largest lambda it allows, and
//! prices its binding limits into a bound. So the answer carries a certified gap, and its share
//! of the optimum can be read off.

use std::time::Instant;

use chollima_model::Economy;

use crate::ProgressSink;
use crate::certify;
use crate::formulation::PlanLp;
use crate::highs_solver::{LpSolution, Status};
use crate::merit::Repair;

/// Limits of a harmony run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HarmonySettings {
    pub max_iterations: usize,
    pub time_limit_seconds: f64,
}

impl Default for HarmonySettings {
    fn default() -> Self {
        HarmonySettings {
            max_iterations: 2000,
            time_limit_seconds: f64::INFINITY,
        }
    }
}

/// Cockshott's starting temperature; here it falls as `T0 / (1 + k / COOLING)`.
const START_TEMPERATURE: f64 = 0.23;
const COOLING: f64 = 200.0;
/// Weight of the value in use against a product's own marginal harmony (Cockshott's 5).
const USE_WEIGHT: f64 = 5.0;
/// Share of the temperature for the profitability step (Cockshott's `phase2adjust`).
const PROFIT_STEP: f64 = 0.4;
/// Certify every this many iterations.
const CERTIFY_EVERY: usize = 25;

/// `H(s)`: the harmony of a relative fulfilment `s = (net - target) / target`.
pub fn harmony(s: f64) -> f64 {
    if s < 0.0 {
        s - 0.5 * s * s
    } else {
        (1.0 + s).ln()
    }
}

/// `dH/ds`.
fn harmony_slope(s: f64) -> f64 {
    if s < 0.0 { 1.0 - s } else { 1.0 / (1.0 + s) }
}

/// `d / (1 + |d|)`: a step in (-1, 1).
fn soft_sign(d: f64) -> f64 {
    d / (1.0 + d.abs())
}

/// The columns harmony moves: the techniques.
struct Columns {
    /// Per product: the columns that make it (techniques, its import).
    makers: Vec<Vec<usize>>,
    active: Vec<usize>,
}

/// Solves the model's current stage by harmony, certified to `gap` where it gets there.
/// Returns the solution and the iterations it took.
pub fn solve_stage(
    economy: &Economy,
    model: &PlanLp,
    gap: f64,
    settings: &HarmonySettings,
    progress: Option<&ProgressSink>,
    stage_name: &str,
) -> (LpSolution, usize) {
    let clock = Instant::now();
    let lp = &model.lp;
    let n = economy.products.len();
    let rows = lp.num_rows();
    let Some(current) = model.groups.iter().find(|g| lp.cost[g.column] > 0.0) else {
        return (LpSolution::without_plan(Status::Unknown), 0);
    };
    let Some(repair) = Repair::new(economy, model) else {
        return (LpSolution::without_plan(Status::Unknown), 0);
    };
    let mut target = vec![0.0; n];
    for &(i, q) in &current.targets {
        target[i as usize] += q;
    }
    let columns = {
        let mut makers = vec![Vec::new(); n];
        let mut active = Vec::new();
        for c in 0..lp.num_cols() {
            // Techniques only: trade is not in Cockshott's harmony, and as pseudo-techniques
            // in this one the repaired plans fell to nothing (300 products, trade 0.3: lambda
            // 0.003 of 1.19); imports and exports stay at zero.
            if c >= model.technique_count || lp.col_upper[c] <= 0.0 {
                continue;
            }
            active.push(c);
            let (list, values) = lp.column(c);
            for (&r, &v) in list.iter().zip(values) {
                if (r as usize) < n && v > 0.0 {
                    makers[r as usize].push(c);
                }
            }
        }
        Columns { makers, active }
    };
    // Start: every column at a small intensity, then scaled into the limits.
    let mut x = certify::clamped(model, &vec![0.0; lp.num_cols()]);
    for &c in &columns.active {
        x[c] = 0.1f64.min(lp.col_upper[c]);
    }
    rescale(model, &columns, &mut x);

    let mut incumbent = certify::Incumbent::new(None, (f64::INFINITY, vec![0.0; rows]));
    let mut status = Status::IterationLimit;
    let mut iteration = 0;
    let mut value = vec![0.0; rows];
    while iteration < settings.max_iterations {
        if clock.elapsed().as_secs_f64() > settings.time_limit_seconds {
            status = Status::TimeLimit;
            break;
        }
        iteration += 1;
        let temperature = START_TEMPERATURE / (1.0 + iteration as f64 / COOLING);
        // 1. Harmonies and values.
        let net = lp.row_activity(&x);
        let relative = |i: usize| (net[i] - target[i]) / target[i];
        let targeted: Vec<usize> = (0..n).filter(|&i| target[i] > 0.0).collect();
        let mean = targeted
            .iter()
            .map(|&i| harmony(relative(i).max(-1.0)))
            .sum::<f64>()
            / targeted.len().max(1) as f64;
        value.iter_mut().for_each(|v| *v = 0.0);
        for &i in &targeted {
            value[i] = harmony_slope(relative(i)) / target[i];
        }
        values_in_use(model, &columns, &x, &target, &mut value);
        // 2. Producers towards the mean harmony.
        for &i in &targeted {
            let step = temperature * (harmony(relative(i).max(-1.0)) - mean) / value[i];
            let factor = 1.0 - soft_sign(step / net[i].max(target[i]));
            for &c in &columns.makers[i] {
                x[c] *= factor;
            }
        }
        // 3. Profitability at the values.
        for &c in &columns.active {
            let (list, values) = lp.column(c);
            let (mut made, mut used) = (0.0, 0.0);
            for (&r, &v) in list.iter().zip(values) {
                let r = r as usize;
                if r < n && v > 0.0 {
                    made += v * value[r];
                } else {
                    used += v.abs() * value[r];
                }
            }
            let gain = if used > 0.0 {
                (made - used) / used
            } else if made > 0.0 {
                1.0
            } else {
                0.0
            };
            x[c] *= 1.0 + temperature * PROFIT_STEP * soft_sign(gain);
        }
        // 4. Into the limits.
        rescale(model, &columns, &mut x);
        if x.iter().any(|v| !v.is_finite()) {
            status = Status::Unknown;
            break;
        }
        if iteration % CERTIFY_EVERY != 0 && iteration != settings.max_iterations {
            continue;
        }
        // Certify: the iterate's technology at the lambda it reaches, and the bounds of its
        // values and of the repaired plan's binding limits.
        // The repair scales trade with lambda in the iterate's proportion to it: take the
        // iterate's lambda as the fulfilment of the whole bundle (its worst product can be in
        // deficit, and a lambda near 0 would blow trade up).
        let net = lp.row_activity(&x);
        let (made, wanted) = targeted.iter().fold((0.0, 0.0), |(m, w), &i| {
            (m + net[i].max(0.0), w + target[i])
        });
        let mut point = x.clone();
        point[current.column] = if made > 0.0 && wanted > 0.0 {
            made / wanted
        } else {
            1.0
        };
        incumbent.offer_plan(certify::feasible_point(economy, model, &point));
        if incumbent.objective() == f64::INFINITY {
            return (LpSolution::without_plan(Status::Unbounded), iteration);
        }
        let mut multipliers = value.clone();
        for m in multipliers.iter_mut().take(n) {
            *m = -*m;
        }
        incumbent.offer_bound(Some(certify::upper_bound(economy, model, &multipliers)));
        incumbent.price_best(|x| repair.bound_at_plan(x));
        let seconds = clock.elapsed().as_secs_f64();
        if incumbent.report(progress, stage_name, iteration, seconds, gap) {
            return (incumbent.into_solution(Status::NearOptimal), iteration);
        }
    }
    (incumbent.into_solution(status), iteration)
}

/// Values of products without a target and of the limit rows: the value their users make per
/// unit of them used (the mean over users, weighted by use), blended with their own value as
/// Cockshott does, in two sweeps.
fn values_in_use(model: &PlanLp, columns: &Columns, x: &[f64], target: &[f64], value: &mut [f64]) {
    let lp = &model.lp;
    let n = target.len();
    let rows = lp.num_rows();
    for _ in 0..2 {
        let (mut made, mut used) = (vec![0.0; rows], vec![0.0; rows]);
        for &c in &columns.active {
            let (list, values) = lp.column(c);
            let output: f64 = list
                .iter()
                .zip(values)
                .filter(|(r, v)| (**r as usize) < n && **v > 0.0)
                .map(|(&r, &v)| v * value[r as usize])
                .sum();
            for (&r, &v) in list.iter().zip(values) {
                let r = r as usize;
                let is_input = if r < n { v < 0.0 } else { v > 0.0 };
                if is_input {
                    made[r] += x[c] * output;
                    used[r] += x[c] * v.abs();
                }
            }
        }
        for r in 0..rows {
            if (r < n && target[r] > 0.0) || used[r] <= 0.0 {
                continue;
            }
            value[r] = (value[r] + USE_WEIGHT * made[r] / used[r]) / (USE_WEIGHT + 1.0);
        }
    }
}

/// Cockshott's rescale, exact: capacities clipped, the whole plan scaled so the tightest
/// limit row is used in full, then the users of every product in deficit shrunk to what it
/// has; intensities floored at a tiny share of their mean so none is absorbed at zero.
fn rescale(model: &PlanLp, columns: &Columns, x: &mut [f64]) {
    let lp = &model.lp;
    let n = model.target.len();
    for &c in &columns.active {
        x[c] = x[c].min(lp.col_upper[c]);
    }
    let rows = lp.row_activity(x);
    let tightest = (n..lp.num_rows())
        .filter(|&r| lp.row_upper[r].is_finite() && lp.row_upper[r] > 0.0)
        .map(|r| rows[r] / lp.row_upper[r])
        .fold(0.0f64, f64::max);
    if tightest > 0.0 && tightest.is_finite() {
        for &c in &columns.active {
            x[c] = (x[c] / tightest).min(lp.col_upper[c]);
        }
    }
    // Users of products in deficit: scaled to what the product has.
    let (mut available, mut used) = (vec![0.0; n], vec![0.0; n]);
    for &c in &columns.active {
        let (list, values) = lp.column(c);
        for (&r, &v) in list.iter().zip(values) {
            let r = r as usize;
            if r < n {
                if v > 0.0 {
                    available[r] += v * x[c];
                } else {
                    used[r] -= v * x[c];
                }
            }
        }
    }
    // A product in deficit first grows its makers that have room (at most doubling them: the
    // next rescale meets the resources again); only what they cannot make shrinks its users.
    // Shrinking users alone cascades down the supply chains to an empty plan when a pure
    // intermediate runs short.
    let mut ratio = vec![1.0; n];
    for i in 0..n {
        if used[i] <= available[i] || used[i] <= 0.0 {
            continue;
        }
        let mut more = 0.0;
        for &c in &columns.makers[i] {
            let grown = (x[c] * (used[i] / available[i].max(f64::MIN_POSITIVE)).min(2.0))
                .min(lp.col_upper[c]);
            more += (grown - x[c]) * lp.entry(c, i);
            x[c] = grown;
        }
        if available[i] + more < used[i] {
            ratio[i] = (available[i] + more) / used[i];
        }
    }
    let mean =
        columns.active.iter().map(|&c| x[c]).sum::<f64>() / columns.active.len().max(1) as f64;
    let floor = 1e-12 * mean.max(f64::MIN_POSITIVE);
    for &c in &columns.active {
        let (list, values) = lp.column(c);
        let shrink = list
            .iter()
            .zip(values)
            .filter(|(r, v)| (**r as usize) < n && **v < 0.0)
            .map(|(&r, _)| ratio[r as usize])
            .fold(1.0f64, f64::min);
        x[c] = (x[c] * shrink).max(floor).min(lp.col_upper[c]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn harmony_is_concave_with_unit_slope_at_the_target() {
        assert_eq!(harmony(0.0), 0.0);
        assert!((harmony_slope(0.0) - 1.0).abs() < 1e-15);
        // A shortfall costs more than an equal surplus gains.
        assert!((harmony(-0.5) + 0.625).abs() < 1e-15);
        assert!((harmony(0.5) - 1.5f64.ln()).abs() < 1e-15);
        let h = 1e-6;
        for s in [-2.0, -0.5, -1e-3, 1e-3, 0.5, 3.0] {
            let numeric = (harmony(s + h) - harmony(s - h)) / (2.0 * h);
            assert!((numeric - harmony_slope(s)).abs() < 1e-6, "slope at {s}");
            assert!(harmony_slope(s + 0.1) < harmony_slope(s));
        }
    }
}
