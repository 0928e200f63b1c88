//! The plan ray in closed form, for the input-output case: exactly one technique per product,
//! no trade, no priorities. Then the activities are proportional to `x* = (I - A')^-1 t`
//! (with `A' = A O^-1`, the inputs per unit of output) and
//!
//! `lambda* = min( min_r available_r / (R_r O^-1 x*),  min_k output_k capacity_k / x*_k )`:
//!
//! one Leontief solve instead of an LP. The shadow prices follow from one transposed solve:
//! for the binding limit with row `w` (a resource's use per unit of output, or the unit vector
//! of a capacity), `p = w (I - A')^-1 / (w x*)`, normalised so the target bundle is worth 1.

use chollima_analysis::technology_matrix;
use chollima_linalg::{Leontief, LeontiefSettings};
use chollima_model::Economy;

use crate::formulation::PlanLp;

/// What the closed form found.
#[derive(Debug, Clone)]
pub struct ClosedForm {
    pub lambda: f64,
    pub activity: Vec<f64>,
    pub shadow_price: Vec<f64>,
    /// The binding resource's row and its multiplier `1 / (w x*)` (none when a capacity binds):
    /// with the shadow prices this is a dual point, so the answer is certified like an LP's.
    pub resource_row: Option<(usize, f64)>,
}

/// A limit on lambda: its value, its row `w` per unit of output, and the resource row with its
/// multiplier (none for a capacity).
type Limit = (f64, Vec<f64>, Option<(usize, f64)>);

/// Whether the closed form applies: one group, no trade, one technique per product making it
/// with positive output.
pub fn applies(economy: &Economy, model: &PlanLp) -> bool {
    let n = economy.products.len();
    model.groups.len() == 1
        && !model.groups[0].capped
        && model.fx_row.is_none()
        && economy.techniques.len() == n
        && economy.techniques_per_product().iter().all(|&c| c == 1)
        && economy.techniques.output.iter().all(|&o| o > 0.0)
}

/// Solves the plan ray in closed form; `None` when `A` is not productive or nothing limits
/// lambda (then the LP says unbounded).
pub fn solve(economy: &Economy, model: &PlanLp) -> Option<ClosedForm> {
    let n = economy.products.len();
    let techniques = &economy.techniques;
    // `applies` checked one technique per product: every product has its maker.
    let mut technique_of = vec![0usize; n];
    for (k, &p) in techniques.product.iter().enumerate() {
        technique_of[p as usize] = k;
    }
    let chosen: Vec<Option<usize>> = technique_of.iter().map(|&k| Some(k)).collect();
    let leontief = technology(economy, &chosen).ok()?.0;
    let t = &model.target;
    let solution = leontief.solve(&[t], false).ok()?;
    let x = &solution.columns[0];
    if x.iter().any(|&v| v < -1e-9 * v.abs().max(1.0)) {
        return None; // not productive: (I - A')^-1 t must be nonnegative
    }
    // The binding limit: its row w (per unit of output) and its bound.
    let mut best: Option<Limit> = None;
    for &(r, row) in &model.resource_rows {
        let w: Vec<f64> = (0..n)
            .map(|j| {
                let k = technique_of[j];
                techniques.resource_use[r][k] / techniques.output[k]
            })
            .collect();
        let used: f64 = w.iter().zip(x).map(|(a, b)| a * b).sum();
        if used > 0.0 {
            let lambda = model.lp.row_upper[row] / used;
            if best.as_ref().is_none_or(|(l, _, _)| lambda < *l) {
                best = Some((lambda, w, Some((row, 1.0 / used))));
            }
        }
    }
    for j in 0..n {
        let k = technique_of[j];
        if let Some(cap) = techniques.capacity[k]
            && x[j] > 0.0
        {
            let lambda = cap * techniques.output[k] / x[j];
            if best.as_ref().is_none_or(|(l, _, _)| lambda < *l) {
                let mut w = vec![0.0; n];
                w[j] = 1.0;
                best = Some((lambda, w, None));
            }
        }
    }
    let (lambda, w, resource_row) = best?;
    let prices = leontief.solve(&[&w], true).ok()?;
    let p = &prices.columns[0];
    let value: f64 = p.iter().zip(t).map(|(a, b)| a * b).sum();
    let shadow_price = p.iter().map(|v| v / value).collect();
    let activity = (0..n)
        .map(|k| {
            let j = techniques.product[k] as usize;
            lambda * x[j] / techniques.output[k]
        })
        .collect();
    Some(ClosedForm {
        lambda,
        activity,
        shadow_price,
        resource_row,
    })
}

/// Labour embodied per unit of each product under the plan's technology: for every product the
/// technique with the largest activity (the first one when none runs), `v = l (I - A')^-1`.
/// `None` without a labour resource, or when that technology is not productive.
pub fn labour_values(economy: &Economy, activity: &[f64]) -> Option<Vec<f64>> {
    economy.manifest.resource_index(chollima_model::LABOUR)?;
    let n = economy.products.len();
    let techniques = &economy.techniques;
    let mut chosen: Vec<Option<usize>> = vec![None; n];
    for (k, &p) in techniques.product.iter().enumerate() {
        let slot = &mut chosen[p as usize];
        if slot.is_none_or(|c| activity[k] > activity[c]) && techniques.output[k] > 0.0 {
            *slot = Some(k);
        }
    }
    let (leontief, labour) = technology(economy, &chosen).ok()?;
    let labour = labour?;
    let solution = leontief.solve(&[&labour], true).ok()?;
    let v = solution.columns.into_iter().next()?;
    v.iter().all(|x| x.is_finite() && *x >= -1e-9).then_some(v)
}

/// `I - A'` for a choice of technique per product (`chollima_analysis::technology_matrix`),
/// ready to solve, with the labour per unit of output where the economy has labour.
pub(crate) fn technology(
    economy: &Economy,
    chosen: &[Option<usize>],
) -> Result<(Leontief, Option<Vec<f64>>), chollima_linalg::LinalgError> {
    let m = technology_matrix(economy, chosen);
    let leontief = Leontief::from_columns(
        economy.products.len(),
        m.col_start,
        m.row,
        m.value,
        LeontiefSettings::default(),
    )?;
    Ok((leontief, m.labour))
}
