//! A simplex basis read off a plan that is a vertex of the plan LP, such as the listed plan or a
//! merit-order plan: every product's ways of supply filled in an order, those before the
//! marginal one full, the marginal one basic, lambda raised until one limit binds.
//!
//! Why: HiGHS from its own crash needs about as many simplex iterations as the LP has rows
//! (9,300-9,700 on the 10^4-product benchmark plans), most of them building up the Leontief
//! basis that every plan has; from the listed plan's basis it needs 6-92 (BENCHMARKS.md, "HiGHS
//! from the listed plan's basis").
//!
//! Reading a basis off a point by its bounds alone (basic where strictly between them) leaves
//! a degenerate vertex short of basic variables: a product nobody needs has its row at zero and
//! every way at zero. HiGHS then completes the basis with slacks of its own choosing, and on
//! the benchmark plans that start was infeasible in 9,600 rows and needed 1,800 iterations. So
//! every product row that is at its bound and has no basic way of supply gets one: its first
//! way (in listed order, then its import) that is at zero and may run. A row whose every way is
//! full is the limit that binds, and stays nonbasic: lambda takes its place.

use crate::formulation::PlanLp;
use crate::highs_solver::{BasisStatus, StartingBasis};

/// Relative distance within which a value counts as at its bound.
const AT_BOUND: f64 = 1e-9;

/// The basis of the vertex `x` of `model`'s LP, where `product_of` names the product each
/// technique (the LP's first columns) makes. `None` when `x` is not a point of the LP.
pub(crate) fn basis_of_plan(
    model: &PlanLp,
    product_of: &[u32],
    x: &[f64],
) -> Option<StartingBasis> {
    let lp = &model.lp;
    if x.len() != lp.num_cols() || product_of.len() != model.technique_count {
        return None;
    }
    let mut columns: Vec<BasisStatus> = (0..lp.num_cols())
        .map(|j| status(x[j], lp.col_lower[j], lp.col_upper[j], x[j].abs()))
        .collect();
    // A row's activity is compared with its bound at the scale of the terms that make it up:
    // a product row sums outputs and inputs of large activities to nearly nothing.
    let activity = lp.row_activity(x);
    let scale = crate::certify::row_sizes(lp, x);
    let mut rows: Vec<BasisStatus> = (0..lp.num_rows())
        .map(|i| status(activity[i], lp.row_lower[i], lp.row_upper[i], scale[i]))
        .collect();

    // Each product's ways of supply: its techniques in listed order, then its import.
    let products = model.target.len();
    let mut ways: Vec<Vec<usize>> = vec![Vec::new(); products];
    for (k, &i) in product_of.iter().enumerate() {
        ways[i as usize].push(k);
    }
    for (i, import) in model.import_column.iter().enumerate() {
        if let Some(j) = *import {
            ways[i].push(j);
        }
    }
    for (i, ways) in ways.iter().enumerate() {
        if rows[i] == BasisStatus::Basic || ways.iter().any(|&j| columns[j] == BasisStatus::Basic) {
            continue;
        }
        let idle = ways
            .iter()
            .find(|&&j| columns[j] == BasisStatus::Lower && lp.col_upper[j] > lp.col_lower[j]);
        match idle {
            Some(&j) => columns[j] = BasisStatus::Basic,
            // No way of supply at all: the row's slack is the only thing that can be basic.
            None if ways.is_empty() => rows[i] = BasisStatus::Basic,
            // Every way full: the limit that binds.
            None => {}
        }
    }
    Some(StartingBasis { columns, rows })
}

/// Where `value` stands between `lower` and `upper`, at the scale `scale` of what it sums.
fn status(value: f64, lower: f64, upper: f64, scale: f64) -> BasisStatus {
    let near = |bound: f64| (value - bound).abs() <= AT_BOUND * scale.max(bound.abs()).max(1.0);
    if upper.is_finite() && near(upper) {
        BasisStatus::Upper
    } else if lower.is_finite() && (near(lower) || value < lower) {
        BasisStatus::Lower
    } else if upper.is_finite() && value > upper {
        BasisStatus::Upper
    } else {
        BasisStatus::Basic
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::highs_solver::{HighsSettings, Status, solve_counting};

    /// The listed plan of a generated economy with every feature (alternatives, capacities,
    /// trade, land) and the LP it is a plan of, maximising its one lambda.
    pub(crate) fn listed_plan(products: usize, seed: u64) -> (PlanLp, Vec<u32>, Vec<f64>) {
        let economy = chollima_generate::generate(&chollima_generate::GenerateConfig {
            products,
            inputs: 8,
            seed,
            alternatives: 0.3,
            capacities: 0.3,
            trade: 0.1,
            land: true,
            ..Default::default()
        })
        .expect("a valid configuration");
        let mut model = PlanLp::new(&economy, 1);
        assert_eq!(model.groups.len(), 1);
        model.lp.cost[model.groups[0].column] = 1.0;
        let repair = crate::merit::Repair::new(&economy, &model);
        let listed = crate::first_order::first_certificate(
            &model,
            None,
            repair.as_ref(),
            1e-9,
            crate::merit::RELIEF_ROUNDS,
        );
        let (x, _) = listed.primal.expect("the listed plan");
        (model, economy.techniques.product.clone(), x)
    }

    /// Regression guard for the basis of a degenerate vertex: HiGHS from the listed plan's
    /// basis reaches the same optimum as from its own crash, in a small share of the
    /// iterations (read off by bounds alone, the basis lacked a basic way for every product
    /// nobody needs, and HiGHS's completion of it was infeasible almost everywhere).
    #[test]
    fn highs_from_the_listed_plans_basis_needs_few_iterations() {
        for seed in [7, 8] {
            let (model, product_of, x) = listed_plan(600, seed);
            let basis = basis_of_plan(&model, &product_of, &x).expect("a basis");
            let settings = HighsSettings::default();
            let (cold, cold_iterations) = solve_counting(&model.lp, &settings, None, None);
            let (warm, warm_iterations) = solve_counting(&model.lp, &settings, None, Some(&basis));
            assert_eq!(
                (cold.status, warm.status),
                (Status::Optimal, Status::Optimal)
            );
            assert!(
                (cold.objective - warm.objective).abs() <= 1e-7 * cold.objective,
                "seed {seed}: {} from the basis, {} cold",
                warm.objective,
                cold.objective
            );
            let (cold_iterations, warm_iterations) =
                (cold_iterations.unwrap(), warm_iterations.unwrap());
            // Every product row got its basic way: the basis is square as it stands.
            assert_eq!(basis.basic_count(), model.lp.num_rows(), "seed {seed}");
            assert!(
                4 * warm_iterations < cold_iterations,
                "seed {seed}: {warm_iterations} iterations from the basis, {cold_iterations} cold"
            );
        }
    }

    #[test]
    fn a_value_at_or_beyond_a_bound_is_nonbasic_there() {
        assert_eq!(status(5.0, 0.0, 5.0, 5.0), BasisStatus::Upper);
        assert_eq!(status(5.0 - 1e-12, 0.0, 5.0, 5.0), BasisStatus::Upper);
        assert_eq!(status(0.0, 0.0, 5.0, 0.0), BasisStatus::Lower);
        assert_eq!(status(-1e-3, 0.0, f64::INFINITY, 0.0), BasisStatus::Lower);
        assert_eq!(status(2.5, 0.0, 5.0, 2.5), BasisStatus::Basic);
        assert_eq!(
            status(7.0, f64::NEG_INFINITY, f64::INFINITY, 7.0),
            BasisStatus::Basic
        );
        // A row summing large terms to about zero is at its bound of zero.
        assert_eq!(status(1e-8, 0.0, f64::INFINITY, 1e3), BasisStatus::Lower);
        assert_eq!(status(1e-3, 0.0, f64::INFINITY, 1e3), BasisStatus::Basic);
    }
}
