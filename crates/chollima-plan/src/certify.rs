//! Certificates for approximate plans: a feasible plan made from an approximate one, and an
//! upper bound on the optimum made from approximate prices. The gap between the two is what the
//! first-order methods report: certified, whatever the quality of the point they came from.
//!
//! Primal: clamp to the bounds; cover the remaining shortfalls of the balance rows by producing
//! more with the technique each product already uses most (one Leontief solve, imports for
//! products nobody can make); lower the current group's lambda for what is still short; scale
//! everything down to the resources. Dual: make the prices consistent with the technology
//! (no technique without a capacity may earn more than it costs, at the prices and the resource
//! valuations: a Bellman projection, `p_i <- min(p_i, cost of making i)`), then normalise them
//! so the current target bundle is worth 1, and bound the optimum by weak duality
//! ([`LinearProgram::dual_bound`]).

use chollima_model::Economy;
use rayon::prelude::*;

use crate::closed_form::technology;
use crate::formulation::PlanLp;
use crate::lp::{CERTIFICATE_ROUNDING, LinearProgram};

/// How far a balance, resource or bound may be violated, relative to the size of its terms:
/// the repaired point is feasible to this (HiGHS's own tolerance is 1e-7, absolute and scaled).
pub const FEASIBILITY_TOLERANCE: f64 = 1e-9;
/// Leontief corrections before the shortfall is taken from lambda instead.
const CORRECTION_ROUNDS: usize = 3;
/// Rounds of the repair's search for the products a plan makes (each one Leontief solve).
const ACTIVE_SET_ROUNDS: usize = 32;
/// Sweeps of the Bellman projection, at most.
const PROJECTION_SWEEPS: usize = 500;

/// A feasible point of the model's current stage (the group whose cost is positive) near `x`,
/// with its objective (infinite when the point lies on a ray along which nothing limits
/// lambda: the plan is unbounded); `None` when the repair cannot make one (a pure intermediate short with
/// nothing to make it, a held lambda that no longer fits the resources, ...).
pub fn feasible_point(economy: &Economy, model: &PlanLp, x: &[f64]) -> Option<(Vec<f64>, f64)> {
    let mut best = [
        technology_point(economy, model, x, true, true),
        technology_point(economy, model, x, false, true),
        corrected_point(economy, model, x),
    ]
    .into_iter()
    .flatten()
    .max_by(|a, b| a.1.total_cmp(&b.1));
    // Balance rows that ask for fixed amounts (a year's investment goods) may need the trade
    // that supplies them at any lambda: trade as the iterate has it.
    if best.is_none()
        && model.lp.row_lower[..economy.products.len()]
            .iter()
            .any(|&f| f > 0.0)
    {
        best = technology_point(economy, model, x, true, false);
    }
    best
}

/// As [`feasible_point`], for a model whose balance rows also ask for the fixed amounts
/// `demand` (a multi-year plan's investment goods): the production that covers `demand` is found
/// first ([`fixed_production`]), and the rest of the plan is repaired as an ordinary
/// (homogeneous) plan in what capacity and resources it leaves.
pub fn feasible_point_over(
    economy: &Economy,
    model: &PlanLp,
    x: &[f64],
    demand: &[f64],
) -> Option<(Vec<f64>, f64)> {
    if demand.iter().all(|&d| d <= 0.0) {
        return feasible_point(economy, model, x);
    }
    // Two ways, the better kept: the demand as floors of the balance rows, repaired along the
    // iterate's own technology (exact at an optimum); or split off first.
    let floored = floored(model, demand);
    let along = feasible_point(economy, &floored, x);
    let split = split_point(economy, model, &floored.lp, x, demand);
    [along, split]
        .into_iter()
        .flatten()
        .max_by(|a, b| a.1.total_cmp(&b.1))
}

/// As [`feasible_point_over`], with `base` as the production that covers `demand` (one known
/// to fit the capacities and resources).
pub(crate) fn feasible_point_from(
    economy: &Economy,
    model: &PlanLp,
    x: &[f64],
    demand: &[f64],
    base: &[f64],
) -> Option<(Vec<f64>, f64)> {
    split_from(economy, model, &floored(model, demand).lp, x, base)
}

/// `model` with `demand` added to the floors of its balance rows.
fn floored(model: &PlanLp, demand: &[f64]) -> PlanLp {
    let mut floored = model.clone();
    for (floor, d) in floored.lp.row_lower.iter_mut().zip(demand) {
        *floor = floor.max(0.0) + d;
    }
    floored
}

/// The plan of [`feasible_point_over`] with the production for `demand` split off first;
/// `floored` is the model's LP with the demand as floors.
fn split_point(
    economy: &Economy,
    model: &PlanLp,
    floored: &LinearProgram,
    x: &[f64],
    demand: &[f64],
) -> Option<(Vec<f64>, f64)> {
    let base = fixed_production(economy, model, x, demand)?;
    split_from(economy, model, floored, x, &base)
}

/// The plan of [`split_point`] from a given production `base` that covers the demand: the
/// rest of the plan is repaired as an ordinary plan in what capacity and resources it leaves.
pub(crate) fn split_from(
    economy: &Economy,
    model: &PlanLp,
    floored: &LinearProgram,
    x: &[f64],
    base: &[f64],
) -> Option<(Vec<f64>, f64)> {
    let mut rest = model.clone();
    let used = model.lp.row_activity(base);
    for (j, &b) in base.iter().enumerate() {
        if b > 0.0 && rest.lp.col_upper[j].is_finite() {
            rest.lp.col_upper[j] = (rest.lp.col_upper[j] - b).max(0.0);
        }
    }
    for r in economy.products.len()..rest.lp.num_rows() {
        if rest.lp.row_upper[r].is_finite() {
            rest.lp.row_upper[r] -= used[r];
        }
    }
    let remaining: Vec<f64> = x.iter().zip(base).map(|(v, b)| (v - b).max(0.0)).collect();
    let (mut point, _) = feasible_point(economy, &rest, &remaining)?;
    point.iter_mut().zip(base).for_each(|(p, b)| *p += b);
    checked(floored, point, false)
}

/// Activities (and imports, for what nobody can make) whose net output covers `demand`, each
/// product made the way `x` makes most of it where that technique has room, another one where
/// not; `None` when capacities or resources cannot supply it.
fn fixed_production(
    economy: &Economy,
    model: &PlanLp,
    x: &[f64],
    demand: &[f64],
) -> Option<Vec<f64>> {
    let out = production_covering(economy, model, x, demand)?;
    let rows = model.lp.row_activity(&out);
    let n = economy.products.len();
    let within = (n..model.lp.num_rows()).all(|r| rows[r] <= model.lp.row_upper[r]);
    within.then_some(out)
}

/// The activities of [`fixed_production`] before its limit rows are checked: what covering
/// `demand` within the capacities takes, whatever it asks of the resources.
pub(crate) fn production_covering(
    economy: &Economy,
    model: &PlanLp,
    x: &[f64],
    demand: &[f64],
) -> Option<Vec<f64>> {
    let lp = &model.lp;
    let n = economy.products.len();
    let techniques = &economy.techniques;
    let mut out = vec![0.0; lp.num_cols()];
    let mut need = demand.to_vec();
    for _ in 0..=CORRECTION_ROUNDS {
        // Prefer what the iterate leaves unused, so the rest of the plan keeps its capacity:
        // a technique without a capacity (the one the iterate uses most), else the one with
        // the most room left.
        let spare = |k: usize| capacity(lp, k).map_or(f64::INFINITY, |c| c - out[k] - x[k]);
        let mut chosen: Vec<Option<usize>> = vec![None; n];
        for k in 0..techniques.len() {
            let room = capacity(lp, k).is_none_or(|c| out[k] < c * (1.0 - SATURATED));
            let slot = &mut chosen[techniques.product[k] as usize];
            let better = |c: usize| {
                let (mine, theirs) = (spare(k), spare(c));
                if mine.is_infinite() && theirs.is_infinite() {
                    x[k] > x[c]
                } else {
                    mine > theirs
                }
            };
            if room && techniques.output[k] > 0.0 && slot.is_none_or(better) {
                *slot = Some(k);
            }
        }
        let (leontief, _) = technology(economy, &chosen).ok()?;
        let solution = leontief.solve(&[&need], false).ok()?;
        let more = &solution.columns[0];
        for i in 0..n {
            if more[i] <= 0.0 {
                continue;
            }
            match (chosen[i], model.import_column[i]) {
                (Some(k), _) => {
                    out[k] = (out[k] + more[i] / techniques.output[k]).min(lp.col_upper[k])
                }
                (None, Some(c)) => out[c] += more[i],
                (None, None) => return None,
            }
        }
        let rows = lp.row_activity(&out);
        let sizes = row_sizes(lp, &out);
        let mut short = false;
        for i in 0..n {
            need[i] = (demand[i] - rows[i]).max(0.0);
            short |= need[i] > FEASIBILITY_TOLERANCE * (sizes[i] + demand[i]);
        }
        if !short {
            return Some(out);
        }
    }
    None
}

/// The best plan along the technology of `x`: saturated capacities and trade stay as they are,
/// every other product is made with the mix of techniques `x` uses for it, and lambda is the
/// largest the limits allow. Gross outputs are affine in lambda, `g = lambda g_t + g_0`, from
/// one Leontief solve with two right-hand sides, so every limit is a bound on lambda. Products
/// that fixed supply already covers at that lambda are not made at all, products that then
/// lack something are made again, and the solve repeated until the set settles. A technique
/// whose share of its product's mix exceeds its capacity at every lambda (the fixed amounts a
/// year must make ask more of it than the iterate did) is held at its capacity and the other
/// techniques of its product make the rest.
/// Without `fix_saturated` every technique scales with lambda: a lower lambda, but a plan even
/// where the iterate's saturated techniques need more than they can get.
pub(crate) fn technology_point(
    economy: &Economy,
    model: &PlanLp,
    x: &[f64],
    fix_saturated: bool,
    scale_trade: bool,
) -> Option<(Vec<f64>, f64)> {
    let lp = &model.lp;
    let techniques = &economy.techniques;
    let current = model.groups.iter().find(|g| lp.cost[g.column] > 0.0)?;
    let mut x = clamped(model, x);
    // Fixed: techniques at (or within a hair of) their capacity. The others make up each
    // product's mix, by their share of its output.
    let mut fixed = vec![false; techniques.len()];
    for k in 0..techniques.len() {
        if fix_saturated
            && let Some(cap) = capacity(lp, k)
            && x[k] >= cap * (1.0 - SATURATED)
        {
            fixed[k] = true;
            x[k] = cap;
        }
    }
    // A product whose every technique is saturated keeps them variable: its capacities then
    // bound lambda instead of leaving a requirement nothing can meet.
    let with_room = variable_techniques(economy, &fixed);
    for k in 0..techniques.len() {
        if fixed[k] && with_room[techniques.product[k] as usize] == 0 {
            fixed[k] = false;
        }
    }
    for _ in 0..CAPACITY_ROUNDS {
        match along_mix(economy, model, current, x.clone(), &fixed, scale_trade) {
            MixOutcome::Point(point, unbounded) => return checked(lp, point, unbounded),
            MixOutcome::Overfull(over) => {
                for k in over {
                    fixed[k] = true;
                    x[k] = lp.col_upper[k];
                }
            }
            MixOutcome::Failed => return None,
        }
    }
    None
}

/// Per product, how many of its techniques are variable (not `fixed`) and make something: those
/// that can make more of it.
fn variable_techniques(economy: &Economy, fixed: &[bool]) -> Vec<usize> {
    let techniques = &economy.techniques;
    let mut variable = vec![0usize; economy.products.len()];
    for k in (0..techniques.len()).filter(|&k| !fixed[k] && techniques.output[k] > 0.0) {
        variable[techniques.product[k] as usize] += 1;
    }
    variable
}

/// Rounds of [`technology_point`] that hold overfull techniques at their capacity.
const CAPACITY_ROUNDS: usize = 8;

/// What one mix of techniques gives: a point (and whether it lies on an unlimited ray), the
/// variable techniques that exceed their capacity at every lambda (to be held there), or no
/// plan.
enum MixOutcome {
    Point(Vec<f64>, bool),
    Overfull(Vec<usize>),
    Failed,
}

/// The plan of [`technology_point`] with the techniques `fixed` held where `x` has them.
fn along_mix(
    economy: &Economy,
    model: &PlanLp,
    current: &crate::formulation::Group,
    mut x: Vec<f64>,
    fixed: &[bool],
    scale_trade: bool,
) -> MixOutcome {
    let lp = &model.lp;
    let n = economy.products.len();
    let techniques = &economy.techniques;
    let mut made = vec![0.0; n];
    for k in (0..techniques.len()).filter(|&k| !fixed[k] && techniques.output[k] > 0.0) {
        made[techniques.product[k] as usize] += x[k] * techniques.output[k];
    }
    // Products the iterate does not make yet: their first technique with room.
    let mut fallback: Vec<Option<usize>> = vec![None; n];
    for k in 0..techniques.len() {
        let i = techniques.product[k] as usize;
        if !fixed[k] && techniques.output[k] > 0.0 && made[i] <= 0.0 && fallback[i].is_none() {
            fallback[i] = Some(k);
        }
    }
    let shares: Vec<f64> = (0..techniques.len())
        .map(|k| {
            let i = techniques.product[k] as usize;
            if fixed[k] || techniques.output[k] <= 0.0 {
                0.0
            } else if made[i] > 0.0 {
                x[k] * techniques.output[k] / made[i]
            } else if fallback[i] == Some(k) {
                1.0
            } else {
                0.0
            }
        })
        .collect();
    let mut mix: Vec<Vec<usize>> = vec![Vec::new(); n];
    for k in 0..techniques.len() {
        if shares[k] > 0.0 {
            mix[techniques.product[k] as usize].push(k);
        }
    }
    // A technique overfull at every lambda is held at its capacity only where another
    // technique of its product can take over.
    let variable = variable_techniques(economy, fixed);
    // Trade scales with lambda (in the iterate's proportion to it), so a product the iterate
    // exports or imports a little too much of bounds lambda instead of breaking the plan;
    // without a positive lambda in the iterate, trade stays as it is.
    let iterate_lambda = x[current.column];
    let trade_per_lambda = (scale_trade && iterate_lambda > 0.0).then(|| 1.0 / iterate_lambda);
    let is_trade =
        |j: usize| j >= model.technique_count && model.groups.iter().all(|g| g.column != j);
    // Per unit of lambda: the current targets and scaled trade. Constant (b_0): what the
    // balance rows ask beyond the targets (a multi-year plan's investment goods), the other
    // groups' targets, fixed trade, less what fixed techniques make.
    let mut target = vec![0.0; n];
    for &(i, q) in &current.targets {
        target[i as usize] += q;
    }
    let mut constant = balance_floor(lp, n);
    for group in model.groups.iter().filter(|g| g.column != current.column) {
        for &(i, q) in &group.targets {
            constant[i as usize] += x[group.column] * q;
        }
    }
    for j in (model.technique_count..lp.num_cols()).filter(|&j| is_trade(j)) {
        match trade_per_lambda {
            Some(per) => subtract_column(lp, j, x[j] * per, n, &mut target),
            None => subtract_column(lp, j, x[j], n, &mut constant),
        }
    }
    for k in (0..techniques.len()).filter(|&k| fixed[k]) {
        subtract_column(lp, k, x[k], n, &mut constant);
    }
    // Use of the limit rows: by fixed columns (constant) and by scaled trade (per lambda).
    let mut fixed_use = vec![0.0; lp.num_rows()];
    let mut trade_use = vec![0.0; lp.num_rows()];
    for j in 0..lp.num_cols() {
        let variable_technique = j < model.technique_count && !fixed[j];
        if variable_technique || model.groups.iter().any(|g| g.column == j) {
            continue;
        }
        let (rows, values) = lp.column(j);
        for (&r, &v) in rows.iter().zip(values) {
            if r as usize >= n {
                match trade_per_lambda {
                    Some(per) if is_trade(j) => trade_use[r as usize] += v * x[j] * per,
                    _ => fixed_use[r as usize] += v * x[j],
                }
            }
        }
    }

    let sizes = row_sizes(lp, &x);
    // The products the plan makes: those with a mix, less those set aside because the rest of
    // the plan already covers them (a surplus). Setting one aside can raise what others need
    // (its negative production had supplied them), so a product set aside comes back when its
    // requirement turns positive: an active-set search, checked at the end like any point.
    let mut set_aside = vec![false; n];
    let active = |set_aside: &[bool]| -> Vec<Vec<usize>> {
        mix.iter()
            .zip(set_aside)
            .map(|(list, &aside)| if aside { Vec::new() } else { list.clone() })
            .collect()
    };
    let mut per_product = active(&set_aside);
    let least = lp.col_lower[current.column].max(0.0);
    for _ in 0..ACTIVE_SET_ROUNDS {
        let Some((per_lambda, base)) =
            mixed_solve(economy, &shares, &per_product, &target, &constant)
        else {
            return MixOutcome::Failed;
        };
        let mut bounds = LambdaBounds::new(
            lp.col_lower[current.column],
            lp.col_upper[current.column],
            (),
        );
        for i in (0..n).filter(|&i| mix[i].is_empty()) {
            // Nothing more can be made: the requirement must be covered already.
            bounds.limit(per_lambda[i], base[i], 0.0, sizes[i], ());
        }
        let mut row_a = trade_use.clone();
        let mut row_b = fixed_use.clone();
        let mut overfull = Vec::new();
        let mut variable = variable.clone();
        for (i, list) in per_product.iter().enumerate() {
            for &k in list {
                let per = shares[k] / techniques.output[k];
                let (a, b) = (per * per_lambda[i], per * base[i]);
                if let Some(cap) = capacity(lp, k) {
                    bounds.limit(a, b, cap, cap, ());
                    if a >= 0.0
                        && a * least + b > cap * (1.0 + FEASIBILITY_TOLERANCE)
                        && variable[i] > 1
                    {
                        // At least one technique of the product stays variable.
                        variable[i] -= 1;
                        overfull.push(k);
                    }
                }
                let (rows, values) = lp.column(k);
                for (&r, &v) in rows.iter().zip(values) {
                    if r as usize >= n {
                        row_a[r as usize] += v * a;
                        row_b[r as usize] += v * b;
                    }
                }
            }
        }
        for r in n..lp.num_rows() {
            bounds.limit(row_a[r], row_b[r], lp.row_upper[r], sizes[r], ());
        }
        let (low, high) = (bounds.low, bounds.high);
        if high.is_nan() || low.is_nan() || high < low {
            return if overfull.is_empty() {
                MixOutcome::Failed
            } else {
                MixOutcome::Overfull(overfull)
            };
        }
        let unbounded = high == f64::INFINITY;
        // A relative hair inside, for the rounding of the solve. Nothing limiting lambda along
        // this technology is a ray: any lambda will do to show it.
        let lambda = if unbounded {
            low.max(1.0)
        } else {
            (high - 1e-10 * high.abs()).max(low)
        };
        // Made products with a surplus at that lambda are set aside; products set aside that
        // now lack something are made again. (What they lack within the tolerance is
        // rounding, and [`checked`] covers it.)
        let mut changed = false;
        for i in (0..n).filter(|&i| !mix[i].is_empty()) {
            let requirement = lambda * per_lambda[i] + base[i];
            let tolerance = FEASIBILITY_TOLERANCE * (sizes[i] + base[i].abs());
            if !set_aside[i] && requirement < 0.0 {
                set_aside[i] = true;
                changed = true;
            } else if set_aside[i] && requirement > tolerance {
                set_aside[i] = false;
                changed = true;
            }
        }
        if changed {
            per_product = active(&set_aside);
            continue;
        }
        for (i, list) in per_product.iter().enumerate() {
            for &k in list {
                let per = shares[k] / techniques.output[k];
                x[k] = per * (lambda * per_lambda[i] + base[i]);
            }
        }
        for (k, value) in x.iter_mut().enumerate().take(techniques.len()) {
            let i = techniques.product[k] as usize;
            if !fixed[k] && !per_product[i].contains(&k) {
                *value = 0.0;
            }
        }
        if let Some(per) = trade_per_lambda {
            for j in (model.technique_count..lp.num_cols()).filter(|&j| is_trade(j)) {
                x[j] *= lambda * per;
            }
        }
        x[current.column] = lambda;
        return MixOutcome::Point(x, unbounded);
    }
    MixOutcome::Failed
}

/// `x` with its objective (infinite for a point on an unlimited ray) when it is feasible, or
/// once the rows it misses by rounding are covered ([`rounding_covered`]).
pub(crate) fn checked(lp: &LinearProgram, x: Vec<f64>, unbounded: bool) -> Option<(Vec<f64>, f64)> {
    let within_bounds = x
        .iter()
        .enumerate()
        .all(|(j, &v)| v >= lp.col_lower[j] && v <= lp.col_upper[j]);
    if !within_bounds {
        return None;
    }
    let x = rounding_covered(lp, x)?;
    let objective = if unbounded {
        f64::INFINITY
    } else {
        lp.objective(&x)
    };
    Some((x, objective))
}

/// Rounds of [`rounding_covered`]: each covers the inputs the last one's extra output took.
const ROUNDING_ROUNDS: usize = 3;

/// `x` where every row holds ([`row_shortfalls`]), or with every row it leaves short of its
/// lower limit covered by a little more of the column that supplies most of that row, where
/// that column has room; `None` when a row's upper limit fails or rows are still short after
/// [`ROUNDING_ROUNDS`]. Leontief solves round to 1e-16 of
/// the largest quantities, which leaves rows whose terms are tiny (1e-8 beside plan quantities
/// near 1 at 10^5 products) short far beyond their own relative tolerance, and a product the
/// repair set aside short by what rounding asks of it: neither is a reason to lose the plan.
fn rounding_covered(lp: &LinearProgram, mut x: Vec<f64>) -> Option<Vec<f64>> {
    let m = lp.num_rows();
    let mut rounds = 0;
    loop {
        let short = row_shortfalls(lp, &x)?;
        if short.iter().all(|&s| s == 0.0) {
            return Some(x);
        }
        if rounds == ROUNDING_ROUNDS {
            return None;
        }
        rounds += 1;
        // Per short row: the column with room that supplies most of it (then the one whose
        // coefficient is largest, for rows nothing supplies yet).
        let mut supplier: Vec<Option<(usize, f64, f64)>> = vec![None; m];
        for j in 0..lp.num_cols() {
            let room = lp.col_upper[j] - x[j];
            let (rows, values) = lp.column(j);
            for (&r, &v) in rows.iter().zip(values) {
                let r = r as usize;
                if short[r] == 0.0 || v <= 0.0 || room * v < short[r] {
                    continue;
                }
                let supplied = v * x[j];
                if supplier[r].is_none_or(|(_, w, s)| (supplied, v) > (s, w)) {
                    supplier[r] = Some((j, v, supplied));
                }
            }
        }
        for (r, &deficit) in short.iter().enumerate().filter(|(_, d)| **d > 0.0) {
            let (j, v, _) = supplier[r]?;
            // A relative hair more where the row has no upper limit, so it clears its lower
            // one after rounding.
            let hair = if lp.row_upper[r].is_finite() {
                1.0
            } else {
                1.0 + 1e-6
            };
            x[j] = (x[j] + deficit * hair / v).min(lp.col_upper[j]);
        }
    }
}

/// `constant[i] -= M_ij x_j` over the balance rows of column `j`.
pub(crate) fn subtract_column(
    lp: &LinearProgram,
    j: usize,
    xj: f64,
    n: usize,
    constant: &mut [f64],
) {
    let (rows, values) = lp.column(j);
    for (&r, &v) in rows.iter().zip(values) {
        if (r as usize) < n {
            constant[r as usize] -= v * xj;
        }
    }
}

/// Gross outputs per unit of lambda and at lambda 0 under the mixed technology: `(I - A_mix)^-1`
/// applied to the target and to the constant requirement. Products without a mix get a zero
/// column (their "output" is then what they lack).
pub(crate) fn mixed_solve(
    economy: &Economy,
    shares: &[f64],
    per_product: &[Vec<usize>],
    target: &[f64],
    constant: &[f64],
) -> Option<(Vec<f64>, Vec<f64>)> {
    let leontief = mixed_leontief(economy, shares, per_product)?;
    let mut solution = leontief.solve(&[target, constant], false).ok()?;
    let base = solution.columns.pop()?;
    let per_lambda = solution.columns.pop()?;
    Some((per_lambda, base))
}

/// `I - A_mix` of the mixed technology: column `i` holds the inputs of one unit of product `i`
/// made by its mix (`shares` of each technique in `per_product[i]`); empty mixes give zero columns.
pub(crate) fn mixed_leontief(
    economy: &Economy,
    shares: &[f64],
    per_product: &[Vec<usize>],
) -> Option<chollima_linalg::Leontief> {
    let techniques = &economy.techniques;
    let n = economy.products.len();
    let mut col_start = vec![0usize];
    let (mut rows, mut values): (Vec<u32>, Vec<f64>) = (Vec::new(), Vec::new());
    let mut entries: Vec<(u32, f64)> = Vec::new();
    for list in per_product {
        entries.clear();
        for &k in list {
            let weight = shares[k] / techniques.output[k];
            let (inputs, coefficients) = economy.inputs.column(k);
            entries.extend(
                inputs
                    .iter()
                    .zip(coefficients)
                    .map(|(&r, &a)| (r, a * weight)),
            );
        }
        if list.len() > 1 {
            entries.sort_unstable_by_key(|e| e.0);
            entries.dedup_by(|later, kept| {
                let same = later.0 == kept.0;
                if same {
                    kept.1 += later.1;
                }
                same
            });
        }
        rows.extend(entries.iter().map(|e| e.0));
        values.extend(entries.iter().map(|e| e.1));
        col_start.push(rows.len());
    }
    chollima_linalg::Leontief::from_columns(
        n,
        col_start,
        rows,
        values,
        chollima_linalg::LeontiefSettings::default(),
    )
    .ok()
}

/// The interval of lambda that a set of limits `a lambda + b <= c` leaves, and the limit `T`
/// that set its top (or emptied it).
pub(crate) struct LambdaBounds<T> {
    pub low: f64,
    pub high: f64,
    pub limit: T,
}

impl<T: Copy> LambdaBounds<T> {
    pub fn new(low: f64, high: f64, top: T) -> Self {
        LambdaBounds {
            low,
            high,
            limit: top,
        }
    }

    /// Adds `a lambda + b <= c`, called `which`; a limit that does not depend on lambda may be
    /// violated by [`FEASIBILITY_TOLERANCE`] of `size` (the size of the row's terms), rounding.
    pub fn limit(&mut self, a: f64, b: f64, c: f64, size: f64, which: T) {
        let room = c - b;
        if a > 0.0 {
            if room / a < self.high {
                self.high = room / a;
                self.limit = which;
            }
        } else if a < 0.0 {
            self.low = self.low.max(room / a);
        } else if room < -FEASIBILITY_TOLERANCE * (size + b.abs() + c.abs()) {
            (self.low, self.high, self.limit) = (f64::INFINITY, f64::NEG_INFINITY, which);
        }
    }
}

/// A capacity counts as saturated (and stays fixed at its limit) within this share of it.
pub(crate) const SATURATED: f64 = 1e-4;

/// Covers the shortfalls of `x` with more production, then scales it to the limits.
fn corrected_point(economy: &Economy, model: &PlanLp, x: &[f64]) -> Option<(Vec<f64>, f64)> {
    let lp = &model.lp;
    let n = economy.products.len();
    let techniques = &economy.techniques;
    let mut x = clamped(model, x);
    let current = model.groups.iter().find(|g| lp.cost[g.column] > 0.0)?;

    let floor = balance_floor(lp, n);
    for _ in 0..CORRECTION_ROUNDS {
        let rows = lp.row_activity(&x);
        let deficit: Vec<f64> = rows[..n]
            .iter()
            .zip(&floor)
            .map(|(&r, &f)| (f - r).max(0.0))
            .collect();
        if deficit.iter().all(|&d| d == 0.0) {
            break;
        }
        // Make more with the technique each product uses most, among those with room.
        let mut chosen: Vec<Option<usize>> = vec![None; n];
        for k in 0..techniques.len() {
            let room = capacity(lp, k).is_none_or(|c| x[k] < c);
            let slot = &mut chosen[techniques.product[k] as usize];
            if room && techniques.output[k] > 0.0 && slot.is_none_or(|c| x[k] > x[c]) {
                *slot = Some(k);
            }
        }
        let (leontief, _) = technology(economy, &chosen).ok()?;
        let solution = leontief.solve(&[&deficit], false).ok()?;
        let more = &solution.columns[0];
        for j in 0..n {
            if more[j] <= 0.0 {
                continue;
            }
            match chosen[j] {
                Some(k) => x[k] = (x[k] + more[j] / techniques.output[k]).min(lp.col_upper[k]),
                None => {
                    if let Some(c) = model.import_column[j] {
                        x[c] += more[j];
                    }
                }
            }
        }
    }

    // What is still short comes out of the current group's lambda.
    let rows = lp.row_activity(&x);
    let size = row_sizes(lp, &x);
    let mut lambda = x[current.column];
    for &(i, q) in &current.targets {
        let i = i as usize;
        if rows[i] < floor[i] {
            lambda = lambda.min(x[current.column] + (rows[i] - floor[i]) / q);
        }
    }
    let mut rows = rows;
    for &(i, q) in &current.targets {
        rows[i as usize] += (x[current.column] - lambda) * q;
    }
    x[current.column] = lambda;
    if (0..n).any(|i| rows[i] < floor[i] - FEASIBILITY_TOLERANCE * size[i]) {
        return None;
    }
    // Scale down to the limits (every row but the limits is homogeneous, unless the balance
    // rows ask for fixed amounts: then scaling would break them).
    let homogeneous = floor.iter().all(|&f| f == 0.0);
    let mut scale: f64 = 1.0;
    for i in n..lp.num_rows() {
        if rows[i] > lp.row_upper[i] {
            if lp.row_upper[i] < 0.0 {
                return None;
            }
            scale = scale.min(lp.row_upper[i] / rows[i]);
        }
    }
    if scale < 1.0 && !homogeneous {
        return None;
    }
    if scale < 1.0 {
        // A hair more, so the scaled use sits inside the limit after rounding.
        let scale = scale * (1.0 - f64::EPSILON * 16.0);
        x.iter_mut().for_each(|v| *v *= scale);
    }
    checked(lp, x, false)
}

/// Technique `k`'s capacity in this model: its column's upper bound (a multi-year plan gives
/// each year the capacity that year has).
pub(crate) fn capacity(lp: &LinearProgram, k: usize) -> Option<f64> {
    let upper = lp.col_upper[k];
    upper.is_finite().then_some(upper)
}

/// What each balance row asks for beyond the targets: 0 in a single-period plan, the goods
/// invested in a multi-year plan's year.
fn balance_floor(lp: &LinearProgram, n: usize) -> Vec<f64> {
    lp.row_lower[..n].iter().map(|&f| f.max(0.0)).collect()
}

/// `x` within its bounds, and every group but the current one at its lower bound: the held
/// fulfilment of earlier stages (or the floor of later ones) and no more, so what the iterate
/// gave them beyond that goes to the current group.
pub(crate) fn clamped(model: &PlanLp, x: &[f64]) -> Vec<f64> {
    let lp = &model.lp;
    let mut x: Vec<f64> = x
        .iter()
        .enumerate()
        .map(|(j, &v)| v.clamp(lp.col_lower[j], lp.col_upper[j]))
        .collect();
    for g in &model.groups {
        if lp.cost[g.column] == 0.0 && lp.col_lower[g.column].is_finite() {
            x[g.column] = lp.col_lower[g.column];
        }
    }
    x
}

/// `sum_j |M_ij x_j|` per row: the size a row's violation is measured against.
pub(crate) fn row_sizes(lp: &LinearProgram, x: &[f64]) -> Vec<f64> {
    let mut size = vec![0.0; lp.num_rows()];
    for (j, &xj) in x.iter().enumerate() {
        let (rows, values) = lp.column(j);
        for (&i, &v) in rows.iter().zip(values) {
            size[i as usize] += (v * xj).abs();
        }
    }
    size
}

/// The previous stage's plan as a starting incumbent, when it fits this stage's LP and is
/// feasible for it (clamped to the bounds first, as iterates are).
pub(crate) fn warm_plan(model: &PlanLp, warm: Option<(&[f64], &[f64])>) -> Option<(Vec<f64>, f64)> {
    let lp = &model.lp;
    warm.filter(|(x, _)| x.len() == lp.num_cols())
        .and_then(|(x, _)| checked(lp, clamped(model, x), false))
}

/// Per row of `lp`, how far `x` leaves it below its lower limit beyond [`FEASIBILITY_TOLERANCE`]
/// of its terms (0 where it holds); `None` where some row exceeds its upper limit by more.
fn row_shortfalls(lp: &LinearProgram, x: &[f64]) -> Option<Vec<f64>> {
    let rows = lp.row_activity(x);
    let size = row_sizes(lp, x);
    let mut short = vec![0.0; lp.num_rows()];
    for i in 0..lp.num_rows() {
        let slack = FEASIBILITY_TOLERANCE * size[i].max(1e-300);
        if rows[i] > lp.row_upper[i] + slack {
            return None;
        }
        if rows[i] < lp.row_lower[i] - slack {
            short[i] = lp.row_lower[i] - rows[i];
        }
    }
    Some(short)
}

/// Whether every row of `lp` holds at `x`, to [`FEASIBILITY_TOLERANCE`] of its terms.
#[cfg(test)]
pub fn rows_feasible(lp: &LinearProgram, x: &[f64]) -> bool {
    row_shortfalls(lp, x).is_some_and(|short| short.iter().all(|&s| s == 0.0))
}

/// `y` with the signs the bound takes (balance rows, the first `n`, `>= 0` take multipliers
/// <= 0; limit rows `<= b` multipliers >= 0) and non-finite values as 0.
pub(crate) fn signed(y: &[f64], n: usize) -> Vec<f64> {
    y.iter()
        .enumerate()
        .map(|(i, &v)| {
            let v = if v.is_finite() { v } else { 0.0 };
            if i < n { v.min(0.0) } else { v.max(0.0) }
        })
        .collect()
}

/// Tightens the certified bound of an exact solver's answer with [`upper_bound`] of its prices:
/// HiGHS's duals are dual feasible only to its tolerance, and their bound, strict about
/// rounding, can be far looser than the answer (4.3e-4 on a 10^4-product plan whose plan was
/// within 6e-7). Projected and rescaled as a first-order iterate's are, they certify the gap.
pub(crate) fn tighten_bound(economy: &Economy, model: &PlanLp, solution: &mut crate::LpSolution) {
    if solution.x.is_empty() || solution.row_dual.len() != model.lp.num_rows() {
        return;
    }
    solution.offer_bound(upper_bound(economy, model, &solution.row_dual));
}

/// An upper bound on the current stage's optimum from approximate row multipliers `y` (the
/// convention of [`LinearProgram::dual_bound`]), with the multipliers that give it.
pub fn upper_bound(economy: &Economy, model: &PlanLp, y: &[f64]) -> (f64, Vec<f64>) {
    let lp = &model.lp;
    let mut y = signed(y, economy.products.len());
    project_prices(economy, model, &mut y);
    let mut best = (lp.dual_bound_within(&y, CERTIFICATE_ROUNDING), y.clone());
    if let Some(current) = model.groups.iter().find(|g| lp.cost[g.column] > 0.0) {
        // Normalise: the current bundle worth exactly its cost.
        let worth: f64 = current
            .targets
            .iter()
            .map(|&(i, q)| -y[i as usize] * q)
            .sum();
        if worth > 0.0 {
            let factor = lp.cost[current.column] / worth;
            let scaled: Vec<f64> = y.iter().map(|v| v * factor).collect();
            let bound = lp.dual_bound_within(&scaled, CERTIFICATE_ROUNDING);
            if bound < best.0 {
                best = (bound, scaled);
            }
        }
    }
    best
}

/// Products whose bounds [`product_bound`] evaluates exactly, the most promising first.
const PRODUCT_BOUND_CANDIDATES: usize = 8;

/// The bound of the scarcest single product: where every technique making product `j` has a
/// capacity, lambda cannot pass what those capacities make (and what foreign exchange could
/// import) over the current group's target of `j`, whatever else uses `j`. As multipliers:
/// price `1 / t_j` on `j`'s balance row (the current bundle worth 1) and, where `j` can be
/// imported, `1 / (t_j * import_price)` on foreign exchange. Each candidate is ranked by that
/// closed form and the best few are evaluated by weak duality ([`LinearProgram::dual_bound`]),
/// so the bound holds whatever the ranking. `None` when no product qualifies.
pub(crate) fn product_bound(model: &PlanLp) -> Option<(f64, Vec<f64>)> {
    let lp = &model.lp;
    let current = model.groups.iter().find(|g| lp.cost[g.column] > 0.0)?;
    let n = model.target.len();
    let mut target = vec![0.0; n];
    for &(i, q) in &current.targets {
        target[i as usize] += q;
    }
    // What each product's techniques can make at most (infinite where one has no capacity).
    let mut most = vec![0.0f64; n];
    for k in 0..model.technique_count {
        let (rows, values) = lp.column(k);
        for (&r, &v) in rows.iter().zip(values) {
            if (r as usize) < n && v > 0.0 {
                most[r as usize] += v * lp.col_upper[k];
            }
        }
    }
    let fx_budget = model.fx_row.map_or(0.0, |r| lp.row_upper[r]);
    let import_price = |j: usize| {
        model
            .fx_row
            .and_then(|fx| model.import_column[j].map(|c| lp.entry(c, fx)))
    };
    let mut ranked: Vec<(f64, usize)> = (0..n)
        .filter(|&j| target[j] > 0.0 && most[j].is_finite())
        .map(|j| {
            let imported = match import_price(j) {
                Some(price) if price > 0.0 => fx_budget.max(0.0) / price,
                Some(_) => f64::INFINITY,
                None => 0.0,
            };
            ((most[j] + imported) / target[j], j)
        })
        .filter(|(b, _)| b.is_finite())
        .collect();
    ranked.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
    ranked
        .par_iter()
        .take(PRODUCT_BOUND_CANDIDATES)
        .map(|&(_, j)| {
            let mut y = vec![0.0; lp.num_rows()];
            y[j] = -1.0 / target[j];
            if let (Some(price), Some(fx)) = (import_price(j), model.fx_row) {
                y[fx] = 1.0 / (target[j] * price);
            }
            (lp.dual_bound_within(&y, CERTIFICATE_ROUNDING), y)
        })
        .min_by(|a, b| a.0.total_cmp(&b.0))
}

/// The Bellman projection: lowers every product's price to what its cheapest way of making or
/// importing it without a capacity costs at the current prices, until no such way earns more
/// than it costs (or the sweeps run out). Prices only fall, so every sweep keeps the ones done.
pub(crate) fn project_prices(economy: &Economy, model: &PlanLp, y: &mut [f64]) {
    let lp = &model.lp;
    let n = economy.products.len();
    let techniques = &economy.techniques;
    // The unbounded ways to supply each product: technique columns, and imports.
    let mut makers: Vec<Vec<usize>> = vec![Vec::new(); n];
    for k in 0..model.technique_count {
        if !lp.col_upper[k].is_finite() {
            makers[techniques.product[k] as usize].push(k);
        }
    }
    for (i, c) in model.import_column.iter().enumerate() {
        if let Some(c) = *c
            && !lp.col_upper[c].is_finite()
        {
            makers[i].push(c);
        }
    }
    for _ in 0..PROJECTION_SWEEPS {
        let prices: &[f64] = y;
        let lowered: Vec<(usize, f64)> = (0..n)
            .into_par_iter()
            .filter_map(|i| {
                let price = -prices[i];
                let mut cheapest = price;
                for &c in &makers[i] {
                    let (rows, values) = lp.column(c);
                    let (mut made, mut cost) = (0.0, 0.0);
                    for (&r, &v) in rows.iter().zip(values) {
                        let r = r as usize;
                        if r == i {
                            made = v;
                        } else {
                            // Inputs (v < 0 on balance rows, price -y) and resources (v > 0,
                            // valuation y) both cost `v * y`, as `-(-v)(-y)`.
                            cost += v * prices[r];
                        }
                    }
                    if made > 0.0 {
                        cheapest = cheapest.min(cost / made);
                    }
                }
                // Stop lowering at a relative hair: what is left, dual_bound's rounding covers.
                (cheapest < price * (1.0 - 1e-12)).then_some((i, cheapest.max(0.0)))
            })
            .collect();
        if lowered.is_empty() {
            break;
        }
        for (i, price) in lowered {
            y[i] = -price;
        }
    }
}

/// The best certified plan and the best bound of a stage so far, as the large-plan methods keep
/// them, and what they report.
pub(crate) struct Incumbent {
    pub primal: Option<(Vec<f64>, f64)>,
    pub bound: (f64, Vec<f64>),
    /// The objective of the best plan whose own binding limits have been priced.
    priced: f64,
}

impl Incumbent {
    pub fn new(primal: Option<(Vec<f64>, f64)>, bound: (f64, Vec<f64>)) -> Incumbent {
        Incumbent {
            primal,
            bound,
            priced: f64::NEG_INFINITY,
        }
    }

    /// Keeps `plan` if it is better than the best so far.
    pub fn offer_plan(&mut self, plan: Option<(Vec<f64>, f64)>) {
        if let Some(plan) = plan
            && self.primal.as_ref().is_none_or(|b| plan.1 > b.1)
        {
            self.primal = Some(plan);
        }
    }

    /// Keeps `bound` if it is lower than the best so far.
    pub fn offer_bound(&mut self, bound: Option<(f64, Vec<f64>)>) {
        if let Some(bound) = bound
            && bound.0 < self.bound.0
        {
            self.bound = bound;
        }
    }

    /// Offers the bound `price` makes of the best plan (its basis dual), once per best plan.
    pub fn price_best(&mut self, price: impl FnOnce(&[f64]) -> Option<(f64, Vec<f64>)>) {
        let Some((x, objective)) = &self.primal else {
            return;
        };
        if *objective > self.priced {
            self.priced = *objective;
            let bound = price(x);
            self.offer_bound(bound);
        }
    }

    /// The best plan's objective (minus infinity before any).
    pub fn objective(&self) -> f64 {
        self.primal.as_ref().map_or(f64::NEG_INFINITY, |b| b.1)
    }

    /// The relative gap between the best plan and the best bound (infinite without a plan).
    pub fn gap(&self) -> f64 {
        crate::lp::relative_gap(self.objective(), self.bound.0)
    }

    /// Whether there is a plan and it is certified within `gap`.
    pub fn closes(&self, gap: f64) -> bool {
        self.primal.is_some() && self.gap() <= gap
    }

    /// Reports the progress; returns whether the gap is within `gap`.
    pub fn report(
        &self,
        progress: Option<&crate::ProgressSink>,
        stage: &str,
        iteration: usize,
        seconds: f64,
        gap: f64,
    ) -> bool {
        let current = self.gap();
        if let Some(sink) = progress {
            sink.report(&crate::Progress {
                stage,
                iteration,
                objective: self.objective(),
                bound: self.bound.0,
                gap: current,
                seconds,
            });
        }
        current <= gap
    }

    pub fn into_solution(self, status: crate::Status) -> crate::LpSolution {
        let (x, objective) = self.primal.unwrap_or((Vec::new(), f64::NAN));
        crate::LpSolution {
            status,
            x,
            row_dual: self.bound.1,
            objective,
            dual_bound: self.bound.0,
        }
    }
}
