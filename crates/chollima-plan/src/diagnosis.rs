//! Why a plan is infeasible, in terms a planner can act on: which targets nothing can supply,
//! and which resources and capacities are short, by how much, and for which targets.
//!
//! The shortfalls come from an elastic version of the plan LP: every fulfilment level is held at
//! the floor, every resource row and capacity may be exceeded by a slack, and the slacks are
//! minimised, each weighted by the inverse of its limit (so a shortfall is measured as a share of
//! what is there). The targets listed are those with the largest value `p_i t_i` at the elastic
//! optimum's shadow prices: the ones that press hardest on what is short.

use chollima_model::Economy;

use crate::formulation::PlanLp;
use crate::highs_solver::{self, HighsSettings, Status};
use crate::lp::LinearProgram;

/// A limit the plan would have to exceed.
#[derive(Debug, Clone, PartialEq)]
pub struct Shortage {
    /// A resource name, or `capacity:TECHNIQUE`.
    pub what: String,
    pub short_by: f64,
    pub available: f64,
}

/// A target that presses on the shortages.
#[derive(Debug, Clone, PartialEq)]
pub struct PressingTarget {
    pub product: String,
    pub groups: Vec<String>,
    pub quantity: f64,
    /// Its share of the total value of the targets at the elastic shadow prices.
    pub share: f64,
}

/// What stands between the economy and a feasible plan.
#[derive(Debug, Clone, PartialEq)]
pub struct Diagnosis {
    pub summary: String,
    /// Products with a target that no technique makes and that cannot be imported.
    pub unobtainable: Vec<String>,
    pub shortages: Vec<Shortage>,
    pub pressing_targets: Vec<PressingTarget>,
}

/// Products with a positive target that nothing can supply: no technique with capacity makes
/// them and they have no import price.
pub fn unobtainable_targets(economy: &Economy, model: &PlanLp) -> Vec<u32> {
    let n = economy.products.len();
    let mut made = vec![false; n];
    for (k, &p) in economy.techniques.product.iter().enumerate() {
        if economy.techniques.capacity[k].is_none_or(|c| c > 0.0)
            && economy.techniques.output[k] > 0.0
        {
            made[p as usize] = true;
        }
    }
    (0..n)
        .filter(|&i| model.target[i] > 0.0 && !made[i] && model.import_column[i].is_none())
        .map(|i| i as u32)
        .collect()
}

impl Diagnosis {
    pub(crate) fn unobtainable(economy: &Economy, products: Vec<u32>) -> Diagnosis {
        let ids: Vec<String> = products
            .iter()
            .map(|&i| economy.products.ids[i as usize].to_owned())
            .collect();
        let shown: Vec<&str> = ids.iter().take(5).map(String::as_str).collect();
        let summary = format!(
            "{} product(s) have a target but no technique makes them and they cannot be imported \
             ({}{}): add a technique or an import_price, or drop the targets",
            ids.len(),
            shown.join(", "),
            if ids.len() > 5 { ", ..." } else { "" }
        );
        Diagnosis {
            summary,
            unobtainable: ids,
            shortages: Vec::new(),
            pressing_targets: Vec::new(),
        }
    }
}

/// Solves the elastic plan LP and reports the shortfalls.
pub(crate) fn shortfalls(economy: &Economy, model: &PlanLp, highs: &HighsSettings) -> Diagnosis {
    let lp = &model.lp;
    let base_rows = lp.num_rows();
    // One extra row `y_k - s_k <= capacity_k` per technique with a capacity.
    let capacitated: Vec<usize> = (0..model.technique_count)
        .filter(|&k| lp.col_upper[k].is_finite())
        .collect();
    let mut elastic = LinearProgram::with_rows(base_rows + capacitated.len());
    elastic.row_lower[..base_rows].copy_from_slice(&lp.row_lower);
    elastic.row_upper[..base_rows].copy_from_slice(&lp.row_upper);
    let mut extra_row = vec![None; lp.num_cols()];
    for (e, &k) in capacitated.iter().enumerate() {
        extra_row[k] = Some(base_rows + e);
        elastic.row_upper[base_rows + e] = lp.col_upper[k];
    }
    let lambda_columns: Vec<usize> = model.groups.iter().map(|g| g.column).collect();
    for j in 0..lp.num_cols() {
        let (rows, values) = lp.column(j);
        let mut entries: Vec<(usize, f64)> = rows
            .iter()
            .zip(values)
            .map(|(&i, &v)| (i as usize, v))
            .collect();
        let (mut lower, mut upper) = (lp.col_lower[j], lp.col_upper[j]);
        if let Some(row) = extra_row[j] {
            entries.push((row, 1.0));
            upper = f64::INFINITY;
        }
        if lambda_columns.contains(&j) {
            // Every group at the floor: the least the plan must do.
            let level = model.floor.min(lp.col_upper[j]);
            (lower, upper) = (level, level);
        }
        elastic.push_column(0.0, lower, upper, entries);
    }
    // Slacks on every limited row: resources, foreign exchange, capacities.
    let mut slacks: Vec<(usize, String, f64)> = model
        .limit_rows(economy)
        .into_iter()
        .map(|(name, row)| (row, name, lp.row_upper[row]))
        .collect();
    for (e, &k) in capacitated.iter().enumerate() {
        slacks.push((
            base_rows + e,
            format!("capacity:{}", &economy.techniques.ids[k]),
            lp.col_upper[k],
        ));
    }
    let first_slack = elastic.num_cols();
    for (row, _, available) in &slacks {
        let weight = 1.0 / available.abs().max(1.0);
        elastic.push_column(-weight, 0.0, f64::INFINITY, [(*row, -1.0)]);
    }
    let solution = highs_solver::solve(&elastic, highs);
    if solution.status != Status::Optimal {
        return Diagnosis {
            summary: format!(
                "no plan reaches the floor {} even with unlimited resources and capacities \
                 (the elastic problem is {}): check the floor against the targets",
                model.floor,
                solution.status.name()
            ),
            unobtainable: Vec::new(),
            shortages: Vec::new(),
            pressing_targets: Vec::new(),
        };
    }
    let mut shortages: Vec<Shortage> = slacks
        .iter()
        .enumerate()
        .filter_map(|(s, (_, what, available))| {
            let short_by = solution.x[first_slack + s];
            (short_by > 1e-9 * available.abs().max(1.0)).then(|| Shortage {
                what: what.clone(),
                short_by,
                available: *available,
            })
        })
        .collect();
    shortages.sort_by(|a, b| {
        let share = |s: &Shortage| s.short_by / s.available.abs().max(1e-300);
        share(b).total_cmp(&share(a))
    });
    let n = economy.products.len();
    let value: Vec<f64> = (0..n)
        .map(|i| (-solution.row_dual[i]).max(0.0) * model.target[i])
        .collect();
    let total: f64 = value.iter().sum();
    let mut order: Vec<usize> = (0..n).filter(|&i| value[i] > 0.0).collect();
    order.sort_by(|&a, &b| value[b].total_cmp(&value[a]));
    let pressing_targets = order
        .into_iter()
        .take(10)
        .map(|i| PressingTarget {
            product: economy.products.ids[i].to_owned(),
            groups: model
                .groups
                .iter()
                .filter(|g| g.targets.iter().any(|&(p, _)| p as usize == i))
                .map(|g| g.name.clone())
                .collect(),
            quantity: model.target[i],
            share: value[i] / total,
        })
        .collect();
    let listed: Vec<String> = shortages
        .iter()
        .take(3)
        .map(|s| {
            format!(
                "{} short by {:.6} ({:.1} % of {})",
                s.what,
                s.short_by,
                100.0 * s.short_by / s.available.abs().max(1e-300),
                s.available
            )
        })
        .collect();
    Diagnosis {
        summary: format!(
            "no plan meets every target at the floor {}: {}",
            model.floor,
            if listed.is_empty() {
                "no single limit is short (numerical trouble?)".to_owned()
            } else {
                listed.join("; ")
            }
        ),
        unobtainable: Vec::new(),
        shortages,
        pressing_targets,
    }
}
