//! Merit-order price iteration: a method for large plan stages that works with the structure of
//! an economy rather than with the LP's rows one by one.
//!
//! At given prices (of products, resources and foreign exchange) every product's ways of supply
//! (its techniques and its import) line up in a merit order, cheapest first. A plan fills them in
//! that order, each up to its capacity, the way electricity is dispatched: the ways before the
//! marginal one run full, the marginal one makes what is still needed. Gross outputs then follow
//! from one Leontief solve along the marginal ways, affine in lambda, and lambda rises until a
//! limit binds that no further way can relieve: a product whose every way is full, a resource,
//! foreign exchange. That limit is what is scarce, and its price (one unit of it, carried along
//! the marginal techniques by a transposed Leontief solve: the dual of the plan's basis) bounds
//! the optimum through [`certify::upper_bound`]. The prices found are summed over rounds and set
//! the next merit order, so techniques that use up scarce things give way to others; a probe
//! above the best plan puts rents on everything over-demanded there; the weights of the limits'
//! prices are searched for the lowest bound and order the other plan of each round; and the best
//! plans that two resource rows stopped are mixed, since at an optimum where both bind some
//! product is made two ways. [`Repair`] lends the same plans and bounds to the first-order method.
//!
//! Nothing here has to be right for the answer to be: every plan is checked row by row
//! ([`certify::checked`]) and every bound is a weak-duality bound, so the gap is certified
//! whatever the merit orders were. When the bottleneck structure is found, plan and bound meet
//! (the gap closes to the solve's rounding); when the rounds run out, the best of each stand.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use chollima_model::Economy;
use rayon::prelude::*;

use crate::ProgressSink;
use crate::certify;
use crate::formulation::PlanLp;
use crate::highs_solver::{LpSolution, Status};

/// Limits of a merit-order run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MeritSettings {
    /// Price rounds (one merit order each), at most.
    pub max_rounds: usize,
    pub time_limit_seconds: f64,
}

impl Default for MeritSettings {
    fn default() -> Self {
        MeritSettings {
            max_rounds: 60,
            time_limit_seconds: f64::INFINITY,
        }
    }
}

/// Passes of filling the merit orders at one lambda before the pattern is taken as it is.
const SETTLE_PASSES: usize = 30;
/// Tries of lambda per round (each a settled pattern).
const LAMBDA_TRIES: usize = 12;
/// Sweeps of the value iteration for the tie-breaking cost prices.
const TIE_SWEEPS: usize = 40;
/// A bound this far (relative) below lambda's floor proves the floor out of reach.
const FLOOR_ROUNDING: f64 = 1e-9;

/// What stops lambda along a merit plan.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Limit {
    /// Product `i` cannot be supplied any more: every way of it is full, or it has none.
    Product(usize),
    /// Product `i`'s marginal way is full, and another way stands behind it.
    Relievable(usize),
    /// A limit row: a resource or foreign exchange.
    Row(usize),
    /// The bounds of lambda's own column (a priority met in full).
    Column,
    /// Nothing: lambda may grow without end along this plan.
    Nothing,
}

/// The ways of supplying each product: technique columns with a positive net output of it, and
/// its import column.
struct Ways {
    of: Vec<Vec<usize>>,
    /// Per column: the product it supplies and its net output of it per unit (0: not a way).
    product: Vec<u32>,
    made: Vec<f64>,
    /// Gross output per unit, as the Leontief solve counts it (a technique's output; 1 for an
    /// import).
    gross: Vec<f64>,
}

impl Ways {
    fn new(economy: &Economy, model: &PlanLp) -> Ways {
        let lp = &model.lp;
        let n = economy.products.len();
        let techniques = &economy.techniques;
        let mut ways = Ways {
            of: vec![Vec::new(); n],
            product: vec![0; lp.num_cols()],
            made: vec![0.0; lp.num_cols()],
            gross: vec![0.0; lp.num_cols()],
        };
        let mut add = |c: usize, i: usize, gross: f64| {
            let made = lp.entry(c, i);
            if made > 0.0 && gross > 0.0 {
                ways.of[i].push(c);
                ways.product[c] = i as u32;
                ways.made[c] = made;
                ways.gross[c] = gross;
            }
        };
        for k in 0..model.technique_count {
            add(k, techniques.product[k] as usize, techniques.output[k]);
        }
        for (i, c) in model.import_column.iter().enumerate() {
            if let Some(c) = *c {
                add(c, i, 1.0);
            }
        }
        ways
    }

    /// What one unit of what column `c` supplies costs at multipliers `y` (every row but its
    /// product's: inputs at their prices, resources at their valuations).
    fn unit_cost(&self, model: &PlanLp, c: usize, y: &[f64]) -> f64 {
        let own = self.product[c] as usize;
        let (rows, values) = model.lp.column(c);
        let cost: f64 = rows
            .iter()
            .zip(values)
            .filter(|(r, _)| **r as usize != own)
            .map(|(&r, &v)| v * y[r as usize])
            .sum();
        cost / self.made[c]
    }
}

/// One merit order per product, and one for foreign exchange: the export columns, those that
/// give up the least value per unit earned first.
struct Order {
    ways: Vec<Vec<usize>>,
    exports: Vec<usize>,
}

/// Everything one stage's rounds share.
struct Stage<'a> {
    economy: &'a Economy,
    model: &'a PlanLp,
    ways: Ways,
    current: usize,
    /// Per unit of lambda: the current group's targets.
    target: Vec<f64>,
    /// The other groups' targets at their held (or floor) levels.
    held: Vec<f64>,
    clamped: Vec<f64>,
    /// Set from another thread to end the fills early (the race of `auto`, once HiGHS has
    /// settled the stage): a fill at the iterate's prices took 0.74 s at 10^4 products.
    stop: Option<&'a AtomicBool>,
}

/// A settled merit pattern at one lambda: the marginal way of each product, the exports, and
/// the requirements on the marginal ways, affine in lambda.
struct Pattern {
    next: Vec<usize>,
    /// Amount of each column of [`Order::exports`].
    exported: Vec<f64>,
    per_lambda: Vec<f64>,
    base: Vec<f64>,
}

/// A plan found along a pattern, with what stopped it.
struct Found {
    x: Vec<f64>,
    objective: f64,
    limit: Limit,
    next: Vec<usize>,
}

impl<'a> Stage<'a> {
    fn new(economy: &'a Economy, model: &'a PlanLp) -> Option<Stage<'a>> {
        let lp = &model.lp;
        let n = economy.products.len();
        let current = model.groups.iter().find(|g| lp.cost[g.column] > 0.0)?;
        let clamped = certify::clamped(model, &vec![0.0; lp.num_cols()]);
        let mut target = vec![0.0; n];
        for &(i, q) in &current.targets {
            target[i as usize] += q;
        }
        let mut held = vec![0.0; n];
        for group in model.groups.iter().filter(|g| g.column != current.column) {
            for &(i, q) in &group.targets {
                held[i as usize] += clamped[group.column] * q;
            }
        }
        Some(Stage {
            economy,
            model,
            ways: Ways::new(economy, model),
            current: current.column,
            target,
            held,
            clamped,
            stop: None,
        })
    }

    /// Merit orders at multipliers `y`, ties broken at `second`, then at `tie`.
    fn order(&self, y: &[f64], second: &[f64], tie: &[f64]) -> Order {
        let keys = [y, second, tie];
        let way_cost = |c: usize, y: &[f64]| self.ways.unit_cost(self.model, c, y);
        let ways: Vec<Vec<usize>> = self
            .ways
            .of
            .par_iter()
            .map(|list| sorted_by_cost(list, &way_cost, keys))
            .collect();
        Order {
            ways,
            exports: self.export_order(keys),
        }
    }

    /// The export columns, those that give up the least value per unit of foreign exchange
    /// earned at `keys[0]` first (ties broken at the later keys).
    fn export_order(&self, keys: [&[f64]; 3]) -> Vec<usize> {
        // An export gives up its product (price -y_i) for foreign exchange (-v on the fx row).
        let lp = &self.model.lp;
        let fx_cost = |c: usize, y: &[f64]| -> f64 {
            let (rows, values) = lp.column(c);
            let (mut given, mut earned) = (0.0, 0.0);
            for (&r, &v) in rows.iter().zip(values) {
                if Some(r as usize) == self.model.fx_row {
                    earned = -v;
                } else {
                    given += -v * -y[r as usize];
                }
            }
            if earned > 0.0 {
                given / earned
            } else {
                f64::INFINITY
            }
        };
        let exports: Vec<usize> = self.model.export_column.iter().flatten().copied().collect();
        sorted_by_cost(&exports, &fx_cost, keys)
    }

    /// The merit order to start from when no prices are known yet: the economy's techniques in
    /// the order they are listed, imports last (`Ways::of` holds them in column order, which is
    /// that order), exports by the neutral prices `tie`. The technique listed first for a
    /// product is the one its table describes (an input-output table has no other), and
    /// capacities are the plant that runs it today: a way that is cheap at neutral prices but
    /// draws on inputs made on small plant would stop lambda at once, while the listed
    /// technology runs.
    fn start_order(&self, tie: &[f64]) -> Order {
        Order {
            ways: self.ways.of.clone(),
            exports: self.export_order([tie, tie, tie]),
        }
    }

    /// Per product: the technique columns that use it as an input.
    fn users(&self) -> Vec<Vec<usize>> {
        let lp = &self.model.lp;
        let n = self.economy.products.len();
        let mut users = vec![Vec::new(); n];
        for k in 0..self.model.technique_count {
            let (rows, values) = lp.column(k);
            for (&r, &v) in rows.iter().zip(values) {
                if (r as usize) < n && v < 0.0 {
                    users[r as usize].push(k);
                }
            }
        }
        users
    }

    /// Relieves the plant `order` overloads at `lambda`: for every product whose ways are all
    /// full there (settled from the marginal ways `next`), every product that uses it moves
    /// ahead of each technique using it the later way that uses the least of it per unit made.
    /// The rest of the order stays as it is (the listed technology, where nothing is short).
    /// Whether anything moved.
    fn relieve(
        &self,
        order: &mut Order,
        next: Vec<usize>,
        lambda: f64,
        users: &[Vec<usize>],
        tie: &[f64],
    ) -> bool {
        let lp = &self.model.lp;
        let exported = vec![0.0; order.exports.len()];
        let Some(pattern) = self.settle(order, next, exported, lambda) else {
            return false;
        };
        let (rent, _) = self.overloaded(order, &pattern, lambda, tie);
        let per_unit = |c: usize, b: usize| -lp.entry(c, b) / self.ways.made[c];
        let mut moved = false;
        for (b, _) in rent.iter().enumerate().filter(|(_, r)| **r > 0.0) {
            for &k in &users[b] {
                let i = self.ways.product[k] as usize;
                if self.ways.made[k] <= 0.0 {
                    continue;
                }
                let list = &mut order.ways[i];
                let Some(at) = list.iter().position(|&c| c == k) else {
                    continue;
                };
                let use_here = per_unit(k, b);
                let better = (at + 1..list.len())
                    .map(|p| (per_unit(list[p], b), p))
                    .filter(|&(u, _)| u < use_here)
                    .min_by(|x, y| x.0.total_cmp(&y.0));
                if let Some((_, p)) = better {
                    let c = list.remove(p);
                    list.insert(at, c);
                    moved = true;
                }
            }
        }
        moved
    }

    /// The requirements on each product's marginal way under `next` and the exports, per unit
    /// of lambda and at lambda 0 (what full ways make and exports take counted in).
    fn requirements(
        &self,
        order: &Order,
        next: &[usize],
        exported: &[f64],
    ) -> Option<(Vec<f64>, Vec<f64>)> {
        let lp = &self.model.lp;
        let economy = self.economy;
        let n = economy.products.len();
        let mut constant = self.held.clone();
        let mut shares = vec![0.0; self.model.technique_count];
        let mut per_product: Vec<Vec<usize>> = vec![Vec::new(); n];
        for i in 0..n {
            let list = &order.ways[i];
            for &c in &list[..next[i]] {
                certify::subtract_column(lp, c, lp.col_upper[c], n, &mut constant);
            }
            if let Some(&c) = list.get(next[i])
                && c < self.model.technique_count
            {
                shares[c] = 1.0;
                per_product[i].push(c);
            }
        }
        for (&c, &amount) in order.exports.iter().zip(exported) {
            if amount > 0.0 {
                certify::subtract_column(lp, c, amount, n, &mut constant);
            }
        }
        certify::mixed_solve(economy, &shares, &per_product, &self.target, &constant)
    }

    /// Use of every limit row along a pattern: per unit of lambda and constant.
    fn limit_use(&self, order: &Order, pattern: &Pattern) -> (Vec<f64>, Vec<f64>) {
        let lp = &self.model.lp;
        let n = self.economy.products.len();
        let (mut row_a, mut row_b) = (vec![0.0; lp.num_rows()], vec![0.0; lp.num_rows()]);
        let mut add_use = |c: usize, a: f64, b: f64| {
            let (list, values) = lp.column(c);
            for (&r, &v) in list.iter().zip(values) {
                if r as usize >= n {
                    row_a[r as usize] += v * a;
                    row_b[r as usize] += v * b;
                }
            }
        };
        for i in 0..n {
            let list = &order.ways[i];
            for &c in &list[..pattern.next[i]] {
                add_use(c, 0.0, lp.col_upper[c]);
            }
            if let Some(&c) = list.get(pattern.next[i]) {
                let gross = self.ways.gross[c];
                add_use(c, pattern.per_lambda[i] / gross, pattern.base[i] / gross);
            }
        }
        for (&c, &amount) in order.exports.iter().zip(&pattern.exported) {
            add_use(c, 0.0, amount);
        }
        (row_a, row_b)
    }

    /// Fills the merit orders at `lambda` until no product's marginal way changes, exporting
    /// (cheapest first) what foreign exchange the imports and techniques need beyond the budget.
    fn settle(
        &self,
        order: &Order,
        mut next: Vec<usize>,
        mut exported: Vec<f64>,
        lambda: f64,
    ) -> Option<Pattern> {
        let lp = &self.model.lp;
        let ways = &self.ways;
        for pass in 0..=SETTLE_PASSES {
            let (per_lambda, base) = self.requirements(order, &next, &exported)?;
            let mut pattern = Pattern {
                next,
                exported,
                per_lambda,
                base,
            };
            if pass == SETTLE_PASSES {
                return Some(pattern);
            }
            let mut changed = false;
            if let Some(fx) = self.model.fx_row {
                let (row_a, row_b) = self.limit_use(order, &pattern);
                let mut short = lambda * row_a[fx] + row_b[fx] - lp.row_upper[fx];
                for (e, &c) in order.exports.iter().enumerate() {
                    let earned = -lp.entry(c, fx);
                    if earned <= 0.0 || short <= 0.0 {
                        break;
                    }
                    let more = (short / earned).min(lp.col_upper[c] - pattern.exported[e]);
                    if more > 1e-12 * lp.col_upper[c] {
                        pattern.exported[e] += more;
                        short -= more * earned;
                        changed = true;
                    }
                }
                for (e, &c) in order.exports.iter().enumerate().rev() {
                    let earned = -lp.entry(c, fx);
                    if short >= 0.0 || earned <= 0.0 {
                        break;
                    }
                    let less = (-short / earned).min(pattern.exported[e]);
                    if less > 1e-12 * lp.col_upper[c] {
                        pattern.exported[e] -= less;
                        short += less * earned;
                        changed = true;
                    }
                }
            }
            for (i, list) in order.ways.iter().enumerate() {
                let mut need = lambda * pattern.per_lambda[i] + pattern.base[i];
                let mut at = pattern.next[i];
                // Past full ways while the marginal one cannot make what is needed.
                while let Some(&c) = list.get(at)
                    && at + 1 < list.len()
                    && need > lp.col_upper[c] * ways.gross[c] * (1.0 + 1e-12)
                {
                    need -= lp.col_upper[c] * ways.made[c];
                    at += 1;
                }
                // Back while the full ways already make more than is needed.
                while need < 0.0 && at > 0 {
                    let c = list[at - 1];
                    need += lp.col_upper[c] * ways.made[c];
                    at -= 1;
                }
                if at != pattern.next[i] {
                    pattern.next[i] = at;
                    changed = true;
                }
            }
            if !changed {
                return Some(pattern);
            }
            (next, exported) = (pattern.next, pattern.exported);
        }
        None
    }

    /// The largest lambda along `pattern` and the plan there, checked.
    fn along(&self, order: &Order, pattern: Pattern) -> Option<Found> {
        let model = self.model;
        let lp = &model.lp;
        let ways = &self.ways;
        let n = self.economy.products.len();
        let mut interval = certify::LambdaBounds::new(
            lp.col_lower[self.current],
            lp.col_upper[self.current],
            Limit::Column,
        );
        if interval.high == f64::INFINITY {
            interval.limit = Limit::Nothing;
        }
        let (g, b0) = (&pattern.per_lambda, &pattern.base);
        // Requirements that rounding leaves a hair below zero are zero: measure them against
        // the largest requirement, not their own (tiny) size.
        let scale = g
            .iter()
            .chain(b0)
            .fold(0.0f64, |m, v| m.max(v.abs()))
            .max(f64::MIN_POSITIVE);
        for i in 0..n {
            let list = &order.ways[i];
            match list.get(pattern.next[i]) {
                Some(&c) => {
                    let (a, b) = (g[i] / ways.gross[c], b0[i] / ways.gross[c]);
                    let which = if pattern.next[i] + 1 < list.len() {
                        Limit::Relievable(i)
                    } else {
                        Limit::Product(i)
                    };
                    interval.limit(a, b, lp.col_upper[c], lp.col_upper[c], which);
                    interval.limit(-a, -b, 0.0, scale, Limit::Product(i));
                }
                None => interval.limit(g[i], b0[i], 0.0, scale, Limit::Product(i)),
            }
        }
        let (row_a, row_b) = self.limit_use(order, &pattern);
        for r in n..lp.num_rows() {
            let size = row_b[r].abs() + lp.row_upper[r].abs();
            interval.limit(row_a[r], row_b[r], lp.row_upper[r], size, Limit::Row(r));
        }
        let (low, high) = (interval.low, interval.high);
        if low.is_nan() || high.is_nan() || high < low {
            return None;
        }
        let unbounded = high == f64::INFINITY;
        let lambda = if unbounded {
            low.max(1.0)
        } else {
            (high - 1e-10 * high.abs()).max(low)
        };
        let mut x = self.clamped.clone();
        for i in 0..n {
            let list = &order.ways[i];
            for &c in &list[..pattern.next[i]] {
                x[c] = lp.col_upper[c];
            }
            if let Some(&c) = list.get(pattern.next[i]) {
                x[c] = ((lambda * g[i] + b0[i]) / ways.gross[c]).max(0.0);
            }
        }
        for (&c, &amount) in order.exports.iter().zip(&pattern.exported) {
            x[c] = amount;
        }
        x[self.current] = lambda;
        lift_hair_short_rows(lp, &mut x, order, &pattern.next, ways, 1e-9 * scale);
        let (x, objective) = certify::checked(lp, x, unbounded)?;
        Some(Found {
            x,
            objective,
            limit: interval.limit,
            next: pattern.next,
        })
    }

    /// Whether another thread has asked the fills to end.
    fn stopped(&self) -> bool {
        self.stop.is_some_and(|stop| stop.load(Ordering::Relaxed))
    }

    /// The best plan for one merit order: lambda raised from `guess` while what stops it can be
    /// relieved by the next ways, lowered to what the pattern allows where it cannot; the
    /// best so far once [`Stage::stopped`].
    fn best_plan(&self, order: &Order, guess: f64) -> Option<Found> {
        let n = self.economy.products.len();
        let mut next = vec![0usize; n];
        let mut exported = vec![0.0; order.exports.len()];
        let mut best: Option<Found> = None;
        let (mut low, mut high) = (f64::NEG_INFINITY, f64::INFINITY);
        let mut lambda = guess;
        for _ in 0..LAMBDA_TRIES {
            if self.stopped() {
                break;
            }
            let Some(pattern) = self.settle(order, next.clone(), exported.clone(), lambda) else {
                break;
            };
            next.clone_from(&pattern.next);
            exported.clone_from(&pattern.exported);
            let found = self.along(order, pattern);
            let reached = found.as_ref().map_or(f64::NEG_INFINITY, |f| f.objective);
            let relievable = found
                .as_ref()
                .is_some_and(|f| matches!(f.limit, Limit::Relievable(_)));
            if let Some(f) = found
                && best.as_ref().is_none_or(|b| f.objective > b.objective)
            {
                best = Some(f);
            }
            if reached == f64::INFINITY {
                break;
            }
            if reached >= lambda * (1.0 - 1e-9) {
                // Feasible at this lambda: higher, if what stops it can be relieved.
                low = low.max(reached);
                if !relievable {
                    break;
                }
                lambda = if high.is_finite() {
                    0.5 * (low + high)
                } else if low > 0.0 {
                    1.25 * low
                } else {
                    1.0
                };
            } else {
                // Too high: try where this pattern stopped (fewer ways full there), or halve.
                high = high.min(lambda);
                lambda = if reached > low {
                    low = reached;
                    reached
                } else {
                    0.5 * (low.max(0.0) + high)
                };
            }
            if high.is_finite() && high - low <= 1e-9 * high.abs().max(1e-12) {
                break;
            }
        }
        best
    }

    /// The multipliers that make what stopped `found` scarce: a unit price on it, carried to the
    /// products along their marginal techniques by one transposed Leontief solve (the dual of
    /// the plan's basis).
    fn scarcity_prices(&self, order: &Order, found: &Found) -> Option<Vec<f64>> {
        let n = self.economy.products.len();
        let marginal = marginal_ways(order, &found.next);
        match found.limit {
            Limit::Product(i) | Limit::Relievable(i) => {
                let mut rent = vec![0.0; n];
                rent[i] = 1.0;
                self.carried_prices(&marginal, &rent, Some(i), &[])
            }
            Limit::Row(r) => self.carried_prices(&marginal, &vec![0.0; n], None, &[(r, 1.0)]),
            Limit::Column => Some(vec![0.0; self.model.lp.num_rows()]),
            Limit::Nothing => None,
        }
    }

    /// Prices that carry `rent` on products and `valued` limit rows along the marginal ways of
    /// `next`: `p = A_marginal' p + rent + (valuations of what the marginal ways use)`, with the
    /// `free` product's own making left out (its price is its rent alone). As row multipliers.
    fn carried_prices(
        &self,
        marginal: &[Option<usize>],
        rent: &[f64],
        free: Option<usize>,
        valued: &[(usize, f64)],
    ) -> Option<Vec<f64>> {
        let model = self.model;
        let lp = &model.lp;
        let economy = self.economy;
        let n = economy.products.len();
        let mut shares = vec![0.0; model.technique_count];
        let mut per_product: Vec<Vec<usize>> = vec![Vec::new(); n];
        let mut unit = rent.to_vec();
        for i in (0..n).filter(|&i| Some(i) != free) {
            let Some(c) = marginal[i] else {
                continue;
            };
            if c < model.technique_count {
                shares[c] = 1.0;
                per_product[i].push(c);
            }
            for &(r, w) in valued {
                unit[i] += w * lp.entry(c, r) / self.ways.gross[c];
            }
        }
        let leontief = certify::mixed_leontief(economy, &shares, &per_product)?;
        let solution = leontief.solve(&[&unit], true).ok()?;
        let mut y = vec![0.0; lp.num_rows()];
        for i in 0..n {
            y[i] = -solution.columns[0][i].max(0.0);
        }
        for &(r, w) in valued {
            y[r] = w;
        }
        Some(y)
    }

    /// What is over-demanded at `lambda` under the merit order: products whose every way is
    /// full (by how much, relative to what they need) and limit rows over their amount.
    fn overloaded(
        &self,
        order: &Order,
        pattern: &Pattern,
        lambda: f64,
        tie: &[f64],
    ) -> (Vec<f64>, Vec<(usize, f64)>) {
        // Rents and valuations in proportion to the neutral prices, so none dwarfs the rest.
        let tie_price: Vec<f64> = tie.iter().map(|v| v.abs().max(f64::MIN_POSITIVE)).collect();
        let lp = &self.model.lp;
        let n = self.economy.products.len();
        let mut rent = vec![0.0; n];
        for i in 0..n {
            let need = lambda * pattern.per_lambda[i] + pattern.base[i];
            if need <= 0.0 {
                continue;
            }
            let room = match order.ways[i].get(pattern.next[i]) {
                Some(&c) => lp.col_upper[c] * self.ways.gross[c],
                None => 0.0,
            };
            if need > room * (1.0 + 1e-9) {
                rent[i] = (need - room) / need * tie_price[i];
            }
        }
        let (row_a, row_b) = self.limit_use(order, pattern);
        let rows = (n..lp.num_rows())
            .filter_map(|r| {
                let used = lambda * row_a[r] + row_b[r];
                let amount = lp.row_upper[r];
                (used > amount && amount > 0.0).then(|| (r, (used - amount) / used * tie_price[r]))
            })
            .collect();
        (rent, rows)
    }

    /// The best bound from the limits that bind at plan `x` (the basis dual of the plan, one
    /// scarce thing at a time): a product whose balance is tight with no way left that is
    /// neither idle nor full, or a limit row at its amount, priced along the ways `x` runs
    /// between their bounds.
    fn bound_at_plan(&self, x: &[f64]) -> Option<(f64, Vec<f64>)> {
        let stage = self;
        let lp = &stage.model.lp;
        let n = stage.economy.products.len();
        let rows = lp.row_activity(x);
        let sizes = certify::row_sizes(lp, x);
        let inside = |c: usize| x[c] > 0.0 && x[c] < lp.col_upper[c] * (1.0 - certify::SATURATED);
        let made = |c: usize| x[c] * stage.ways.gross[c];
        let marginal: Vec<Option<usize>> = stage
            .ways
            .of
            .iter()
            .map(|list| {
                list.iter()
                    .copied()
                    .filter(|&c| inside(c))
                    .max_by(|&a, &b| made(a).total_cmp(&made(b)))
            })
            .collect();
        let tight = |r: usize, bound: f64| (rows[r] - bound).abs() <= 1e-9 * sizes[r].max(1e-300);
        let mut candidates: Vec<(Option<usize>, Option<usize>)> = (0..n)
            .filter(|&i| marginal[i].is_none() && sizes[i] > 0.0 && tight(i, 0.0))
            .map(|i| (Some(i), None))
            .collect();
        candidates.extend(
            (n..lp.num_rows())
                .filter(|&r| lp.row_upper[r].is_finite() && tight(r, lp.row_upper[r]))
                .map(|r| (None, Some(r))),
        );
        let mut best: Option<(f64, Vec<f64>)> = None;
        for (product, row) in candidates.into_iter().take(PLAN_DUAL_CANDIDATES) {
            let mut rent = vec![0.0; n];
            if let Some(i) = product {
                rent[i] = 1.0;
            }
            let valued: Vec<(usize, f64)> = row.map(|r| (r, 1.0)).into_iter().collect();
            let Some(y) = stage.carried_prices(&marginal, &rent, product, &valued) else {
                continue;
            };
            let found = certify::upper_bound(stage.economy, stage.model, &y);
            if best.as_ref().is_none_or(|b| found.0 < b.0) {
                best = Some(found);
            }
        }
        best
    }

    /// Neutral multipliers to break ties: every limit row valued at the share of it one unit
    /// takes, and products at their cheapest cost at those valuations (value iteration from 0).
    fn neutral_prices(&self) -> Vec<f64> {
        let lp = &self.model.lp;
        let n = self.economy.products.len();
        let mut y = vec![0.0; lp.num_rows()];
        for r in n..lp.num_rows() {
            let amount = lp.row_upper[r];
            y[r] = if amount.is_finite() && amount > 0.0 {
                1.0 / amount
            } else {
                0.0
            };
        }
        for _ in 0..TIE_SWEEPS {
            let prices: Vec<f64> = (0..n)
                .into_par_iter()
                .map(|i| {
                    self.ways.of[i]
                        .iter()
                        .map(|&c| self.ways.unit_cost(self.model, c, &y))
                        .fold(f64::INFINITY, f64::min)
                })
                .collect();
            for i in 0..n {
                y[i] = if prices[i].is_finite() {
                    -prices[i].max(0.0)
                } else {
                    0.0
                };
            }
        }
        y
    }
}

/// `list` sorted by `cost` at `keys[0]`, ties broken at `keys[1]`, then `keys[2]`, then kept in
/// the order given (the sort is stable).
fn sorted_by_cost(
    list: &[usize],
    cost: &(dyn Fn(usize, &[f64]) -> f64 + Sync),
    keys: [&[f64]; 3],
) -> Vec<usize> {
    let mut keyed: Vec<([f64; 3], usize)> = list
        .iter()
        .map(|&c| (keys.map(|y| cost(c, y)), c))
        .collect();
    keyed.sort_by(|a, b| {
        (a.0[0].total_cmp(&b.0[0]))
            .then(a.0[1].total_cmp(&b.0[1]))
            .then(a.0[2].total_cmp(&b.0[2]))
    });
    keyed.into_iter().map(|k| k.1).collect()
}

/// The marginal way of every product under `next` (none where every way is full).
fn marginal_ways(order: &Order, next: &[usize]) -> Vec<Option<usize>> {
    order
        .ways
        .iter()
        .zip(next)
        .map(|(list, &at)| list.get(at).copied())
        .collect()
}

/// The best plan each limit row has stopped, for mixing.
#[derive(Default)]
struct StoppedBy {
    plans: Vec<(usize, Vec<f64>, f64)>,
    /// Whether a plan changed since the last mix.
    changed: bool,
}

/// Golden-section steps of the mix of two plans.
const MIX_STEPS: usize = 14;

impl StoppedBy {
    fn keep(&mut self, limit: Limit, x: Vec<f64>, objective: f64) {
        let Limit::Row(r) = limit else {
            return;
        };
        match self.plans.iter_mut().find(|p| p.0 == r) {
            Some(p) if p.2 >= objective => return,
            Some(p) => (p.1, p.2) = (x, objective),
            None => self.plans.push((r, x, objective)),
        }
        self.changed = true;
    }

    /// The best plan along a mix `theta x_1 + (1 - theta) x_2` of the two best plans stopped by
    /// different rows (the repair re-maximises lambda along the mixed technology); `None` when
    /// nothing changed since the last call.
    fn mix(&mut self, economy: &Economy, model: &PlanLp) -> Option<(Vec<f64>, f64)> {
        if !std::mem::take(&mut self.changed) {
            return None;
        }
        let mut plans: Vec<&(usize, Vec<f64>, f64)> = self.plans.iter().collect();
        plans.sort_by(|a, b| b.2.total_cmp(&a.2));
        let (first, second) = (plans.first()?, plans.get(1)?);
        let at = |theta: f64| -> Option<(Vec<f64>, f64)> {
            let x: Vec<f64> = first
                .1
                .iter()
                .zip(&second.1)
                .map(|(a, b)| theta * a + (1.0 - theta) * b)
                .collect();
            certify::feasible_point(economy, model, &x)
        };
        let value = |p: &Option<(Vec<f64>, f64)>| p.as_ref().map_or(f64::NEG_INFINITY, |p| p.1);
        let golden = 0.5 * (5f64.sqrt() - 1.0);
        let (mut low, mut high) = (0.0f64, 1.0f64);
        let mut best: Option<(Vec<f64>, f64)> = None;
        let mut left = (high - golden * (high - low), None);
        let mut right = (low + golden * (high - low), None);
        left.1 = at(left.0);
        right.1 = at(right.0);
        for _ in 0..MIX_STEPS {
            if value(&left.1) >= value(&right.1) {
                high = right.0;
                right = std::mem::replace(&mut left, (0.0, None));
                left.0 = high - golden * (high - low);
                left.1 = at(left.0);
            } else {
                low = left.0;
                left = std::mem::replace(&mut right, (0.0, None));
                right.0 = low + golden * (high - low);
                right.1 = at(right.0);
            }
            for candidate in [&left.1, &right.1] {
                if value(candidate) > value(&best) {
                    best = candidate.clone();
                }
            }
        }
        best
    }
}

/// The prices a stage has learnt: the scarcity (basis dual) of every limit row that stopped a
/// plan and of the last product that did, combined with weights that minimise the certified
/// bound; and the sum of everything found, to break the combination's ties.
struct Learnt {
    cuts: Vec<(Limit, Vec<f64>)>,
    weights: Vec<f64>,
    summed: Vec<f64>,
}

/// Multiplicative steps of the weight search, and its passes.
const WEIGHT_STEPS: [f64; 3] = [0.0, 0.25, 4.0];
const WEIGHT_PASSES: usize = 3;

impl Learnt {
    /// `y` scaled so the current bundle is worth 1 (`None` when it is worth nothing).
    fn normalised(stage: &Stage, y: &[f64]) -> Option<Vec<f64>> {
        let worth: f64 = (0..stage.economy.products.len())
            .map(|i| -y[i] * stage.target[i])
            .sum();
        (worth > 0.0 && worth.is_finite()).then(|| y.iter().map(|v| v / worth).collect())
    }

    fn add_to_sum(&mut self, y: &[f64]) {
        for (s, v) in self.summed.iter_mut().zip(y) {
            *s += v;
        }
    }

    fn combined(&self, weights: &[f64]) -> Vec<f64> {
        let mut y = vec![0.0; self.summed.len()];
        for ((_, cut), &w) in self.cuts.iter().zip(weights) {
            if w > 0.0 {
                for (t, v) in y.iter_mut().zip(cut) {
                    *t += w * v;
                }
            }
        }
        y
    }

    /// Takes the scarcity of `limit`, then searches the weights for the lowest bound; returns
    /// it with its multipliers.
    fn learn(&mut self, stage: &Stage, limit: Limit, y: Vec<f64>) -> (f64, Vec<f64>) {
        let same_kind = |a: &Limit| match (a, &limit) {
            (Limit::Row(r), Limit::Row(q)) => r == q,
            (Limit::Row(_), _) | (_, Limit::Row(_)) => false,
            _ => true,
        };
        match self.cuts.iter().position(|(l, _)| same_kind(l)) {
            Some(k) => self.cuts[k] = (limit, y),
            None => {
                self.cuts.push((limit, y));
                self.weights.push(1.0);
            }
        }
        let bound_of = |learnt: &Learnt, weights: &[f64]| {
            certify::upper_bound(stage.economy, stage.model, &learnt.combined(weights))
        };
        let mut best = bound_of(self, &self.weights);
        for _ in 0..WEIGHT_PASSES {
            let mut improved = false;
            for k in 0..self.weights.len() {
                for step in WEIGHT_STEPS {
                    let mut trial = self.weights.clone();
                    trial[k] *= step;
                    if trial.iter().all(|&w| w == 0.0) {
                        continue;
                    }
                    let found = bound_of(self, &trial);
                    if found.0 < best.0 * (1.0 - 1e-12) {
                        (best, self.weights, improved) = (found, trial, true);
                    }
                }
            }
            if !improved {
                break;
            }
        }
        // A weight at zero stays searchable.
        for w in &mut self.weights {
            if *w == 0.0 {
                *w = 1e-3;
            }
        }
        best
    }
}

/// Solves the model's current stage to a certified relative gap of `gap` by merit-order price
/// iteration, starting from `warm` (the previous stage's plan and prices). Returns
/// the solution and the rounds it took.
pub fn solve_stage(
    economy: &Economy,
    model: &PlanLp,
    gap: f64,
    settings: &MeritSettings,
    warm: Option<(&[f64], &[f64])>,
    progress: Option<&ProgressSink>,
    stage_name: &str,
) -> (LpSolution, usize) {
    let clock = Instant::now();
    let lp = &model.lp;
    let n = economy.products.len();
    let Some(stage) = Stage::new(economy, model) else {
        return (LpSolution::without_plan(Status::Unknown), 0);
    };
    let floor = lp.col_lower[stage.current];
    let tie = stage.neutral_prices();
    // Ways the prices found so far do not tell apart stay in the order they are listed (see
    // `Stage::start_order`): the sort is stable and the lists are in column order.
    let listed = vec![0.0; lp.num_rows()];
    // The previous stage's plan holds every earlier lambda: a plan to start from, if it fits.
    let mut incumbent = certify::Incumbent::new(
        certify::warm_plan(model, warm),
        certify::upper_bound(economy, model, &tie),
    );
    incumbent.offer_bound(certify::product_bound(model));
    // The first merit order goes by the previous stage's prices (its plan came from them, so
    // they keep what it holds within reach), or by the neutral prices alone; later ones by
    // the scarcities found.
    let start = warm
        .map(|(_, y)| y.to_vec())
        .filter(|y| y.len() == lp.num_rows())
        .unwrap_or_else(|| vec![0.0; lp.num_rows()]);
    let mut learnt = Learnt {
        cuts: Vec::new(),
        weights: Vec::new(),
        summed: start.clone(),
    };
    let mut order_prices = start;
    let mut status = Status::IterationLimit;
    let mut rounds = 0;
    let mut stopped_by = StoppedBy::default();
    while rounds < settings.max_rounds {
        if clock.elapsed().as_secs_f64() > settings.time_limit_seconds {
            status = Status::TimeLimit;
            break;
        }
        rounds += 1;
        // Two merit orders a round: by everything found so far (steers around every trap
        // met), and by the combination that bounds best (the prices of the optimum, when the
        // cuts hold them); the better plan counts, the scarcities of both are learnt.
        let orders = if rounds == 1 && warm.is_none() {
            [
                stage.start_order(&tie),
                stage.order(&order_prices, &learnt.summed, &listed),
            ]
        } else {
            [
                stage.order(&learnt.summed, &order_prices, &listed),
                stage.order(&order_prices, &learnt.summed, &listed),
            ]
        };
        let guess = match (&incumbent.primal, incumbent.bound.0) {
            (Some(p), _) if p.1.is_finite() => p.1.max(floor),
            (_, bound) if bound.is_finite() => bound,
            _ => 1.0f64.max(floor),
        };
        let mut scarce = Vec::new();
        for order in orders.iter().take(if rounds == 1 { 1 } else { 2 }) {
            if let Some(found) = stage.best_plan(order, guess) {
                incumbent.offer_plan(Some((found.x.clone(), found.objective)));
                if let Some(y) = stage.scarcity_prices(order, &found) {
                    scarce.push((found.limit, y));
                }
                stopped_by.keep(found.limit, found.x, found.objective);
            }
        }
        // Two limit rows that stop different plans bind together at the optimum, which mixes
        // the two plans' ways: search the mix.
        incumbent.offer_plan(stopped_by.mix(economy, model));
        if incumbent.objective() == f64::INFINITY {
            return (LpSolution::without_plan(Status::Unbounded), rounds);
        }
        incumbent.price_best(|x| stage.bound_at_plan(x));
        // Probe above the best plan: everything over-demanded there gets a rent at once, so
        // the next merit order steers around all of it, not one bottleneck a round.
        let probe_lambda = match incumbent.primal.as_ref().map(|b| b.1) {
            Some(p) if p > 0.0 => (1.5 * p).min(incumbent.bound.0),
            _ => incumbent.bound.0.min(1.0f64.max(floor)),
        };
        let order = &orders[0];
        let blank = (vec![0; n], vec![0.0; order.exports.len()]);
        if probe_lambda.is_finite()
            && let Some(pattern) = stage.settle(order, blank.0, blank.1, probe_lambda)
        {
            let (rent, rows) = stage.overloaded(order, &pattern, probe_lambda, &tie);
            if (rent.iter().any(|&r| r > 0.0) || !rows.is_empty())
                && let Some(y) =
                    stage.carried_prices(&marginal_ways(order, &pattern.next), &rent, None, &rows)
                && let Some(y) = Learnt::normalised(&stage, &y)
            {
                learnt.add_to_sum(&y);
            }
        }
        for (limit, y) in scarce {
            let Some(y) = Learnt::normalised(&stage, &y) else {
                continue;
            };
            learnt.add_to_sum(&y);
            incumbent.offer_bound(Some(learnt.learn(&stage, limit, y)));
            order_prices = learnt.combined(&learnt.weights);
        }
        if incumbent.bound.0 < floor - FLOOR_ROUNDING * floor.abs().max(1.0) {
            return (LpSolution::without_plan(Status::Infeasible), rounds);
        }
        let seconds = clock.elapsed().as_secs_f64();
        if incumbent.report(progress, stage_name, rounds, seconds, gap) {
            return (incumbent.into_solution(Status::NearOptimal), rounds);
        }
    }
    (incumbent.into_solution(status), rounds)
}

/// Merit plans for another method's iterates: a plan filled in the merit order of the
/// iterate's prices (signs as the bound takes them; ties by the neutral prices), and the bound
/// of what stops it. The first-order method's prices see every scarcity at once, which the
/// repair along the iterate's own mix of techniques does not use.
pub(crate) struct Repair<'a> {
    stage: Stage<'a>,
    tie: Vec<f64>,
}

impl<'a> Repair<'a> {
    pub(crate) fn new(economy: &'a Economy, model: &'a PlanLp) -> Option<Repair<'a>> {
        let stage = Stage::new(economy, model)?;
        let tie = stage.neutral_prices();
        Some(Repair { stage, tie })
    }

    /// The same repair, its fills ending early (with what they have found) once `stop` is set.
    pub(crate) fn stopped_by(mut self, stop: Option<&'a AtomicBool>) -> Repair<'a> {
        self.stage.stop = stop;
        self
    }

    /// The plan with its objective, and the bound with its multipliers, from multipliers `y`;
    /// lambda is searched from `guess`.
    #[allow(clippy::type_complexity)]
    pub(crate) fn at(
        &self,
        y: &[f64],
        guess: f64,
    ) -> (Option<(Vec<f64>, f64)>, Option<(f64, Vec<f64>)>) {
        let prices = certify::signed(y, self.stage.economy.products.len());
        let order = self.stage.order(&prices, &self.tie, &self.tie);
        let Some(found) = self.stage.best_plan(&order, guess) else {
            return (None, None);
        };
        let bound = self
            .stage
            .scarcity_prices(&order, &found)
            .map(|y| certify::upper_bound(self.stage.economy, self.stage.model, &y));
        (Some((found.x, found.objective)), bound)
    }

    /// The plan filled in the listed order (see `Stage::start_order`) with its objective, and
    /// the best bound of what stops it or of `bound` (a bound known already); lambda is searched
    /// from `guess`. Up to `relief_rounds` times ([`RELIEF_ROUNDS`] by default), while the gap
    /// is above `gap`, the order is then relieved where it overloads plant at the bound's
    /// lambda (see `relieve`) and filled again; the best plan counts.
    #[allow(clippy::type_complexity)]
    pub(crate) fn listed(
        &self,
        guess: f64,
        bound: Option<(f64, Vec<f64>)>,
        gap: f64,
        relief_rounds: usize,
    ) -> (Option<(Vec<f64>, f64)>, Option<(f64, Vec<f64>)>) {
        let stage = &self.stage;
        let mut order = stage.start_order(&self.tie);
        let mut best: Option<(Vec<f64>, f64)> = None;
        let mut best_bound = bound;
        let mut users: Option<Vec<Vec<usize>>> = None;
        for round in 0..=relief_rounds {
            let Some(found) = stage.best_plan(&order, guess) else {
                break;
            };
            let scarce = stage
                .scarcity_prices(&order, &found)
                .map(|y| certify::upper_bound(stage.economy, stage.model, &y));
            if let Some(b) = scarce
                && best_bound.as_ref().is_none_or(|known| b.0 < known.0)
            {
                best_bound = Some(b);
            }
            let next = found.next.clone();
            if best.as_ref().is_none_or(|p| found.objective > p.1) {
                best = Some((found.x, found.objective));
            }
            let (reached, high) = (
                best.as_ref().map_or(f64::NEG_INFINITY, |p| p.1),
                best_bound.as_ref().map_or(f64::INFINITY, |b| b.0),
            );
            if round == relief_rounds
                || stage.stopped()
                || !high.is_finite()
                || crate::lp::relative_gap(reached, high) <= gap
            {
                break;
            }
            let users = users.get_or_insert_with(|| stage.users());
            if !stage.relieve(&mut order, next, high, users, &self.tie) {
                break;
            }
        }
        (best, best_bound)
    }

    /// The bound of the limits that bind at plan `x` (see `Stage::bound_at_plan`).
    pub(crate) fn bound_at_plan(&self, x: &[f64]) -> Option<(f64, Vec<f64>)> {
        self.stage.bound_at_plan(x)
    }
}

/// Makes up product rows that rounding leaves a hair short (at most `hair`) on each one's
/// marginal way (its last where every way is full), in a few passes (what a way makes up, its
/// inputs use). The check measures a row against its own terms, and rounding in the Leontief
/// solves is at the scale of the largest: on a 10^5-product plan (seed 26) a product that
/// almost nothing needs came out -6.6e-14 short against terms of 2e-5, its way clamped at
/// zero, and the listed plan failed the check at every lambda.
fn lift_hair_short_rows(
    lp: &crate::lp::LinearProgram,
    x: &mut [f64],
    order: &Order,
    next: &[usize],
    ways: &Ways,
    hair: f64,
) {
    for _ in 0..HAIR_PASSES {
        let activity = lp.row_activity(x);
        let mut lifted = false;
        for (i, list) in order.ways.iter().enumerate() {
            let short = lp.row_lower[i] - activity[i];
            if !(short > 0.0 && short <= hair) {
                continue;
            }
            let way = list.get(next[i]).or(list.last()).copied();
            if let Some(c) = way.filter(|&c| ways.made[c] > 0.0) {
                let lifted_to = x[c] + short / ways.made[c];
                if lifted_to <= lp.col_upper[c] {
                    x[c] = lifted_to;
                    lifted = true;
                }
            }
        }
        if !lifted {
            break;
        }
    }
}

/// Passes of [`lift_hair_short_rows`], at most.
const HAIR_PASSES: usize = 3;

/// Rounds of relief after the listed plan, at most (each one merit-order fill).
pub(crate) const RELIEF_ROUNDS: usize = 8;

/// Scarce things tried one at a time for the bound of a plan, at most.
const PLAN_DUAL_CANDIDATES: usize = 8;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lp::LinearProgram;

    /// Regression (10^5 products, seed 26: no listed plan at any lambda): a product row that
    /// rounding leaves a hair short, its way clamped at zero, is made up on that way, and what
    /// the way uses is made up in the next pass; a row short by more than the hair is left
    /// for the check to refuse.
    #[test]
    fn a_row_rounding_leaves_a_hair_short_is_made_up_on_its_way() {
        // Rows: product 0 (>= 0), product 1 (>= 0). Way 0 makes 0 and uses 0.5 of 1; way 1
        // makes 1; a third column needs 1e-14 of 0 and 2 of 1.
        let mut lp = LinearProgram::with_rows(2);
        lp.row_lower = vec![0.0, 0.0];
        lp.push_column(0.0, 0.0, 10.0, [(0, 1.0), (1, -0.5)]);
        lp.push_column(0.0, 0.0, 10.0, [(1, 1.0)]);
        lp.push_column(0.0, 1.0, 1.0, [(0, -1e-14), (1, -2.0)]);
        let ways = Ways {
            of: vec![vec![0], vec![1]],
            product: vec![0, 1, 0],
            made: vec![1.0, 1.0, 0.0],
            gross: vec![1.0, 1.0, 0.0],
        };
        let order = Order {
            ways: ways.of.clone(),
            exports: Vec::new(),
        };
        let mut x = vec![0.0, 2.0, 1.0];
        assert!(!certify::rows_feasible(&lp, &x), "short before");
        lift_hair_short_rows(&lp, &mut x, &order, &[0, 0], &ways, 1e-9);
        assert!(certify::rows_feasible(&lp, &x), "{x:?}");
        assert!(x[0] > 0.0 && x[1] > 2.0, "{x:?}");
        // Short by 1e-6, beyond a hair of 1e-9: nothing is lifted.
        lp.value[3] = -1e-6;
        let mut x = vec![0.0, 2.0, 1.0];
        lift_hair_short_rows(&lp, &mut x, &order, &[0, 0], &ways, 1e-9);
        assert_eq!(x, vec![0.0, 2.0, 1.0]);
    }
}
