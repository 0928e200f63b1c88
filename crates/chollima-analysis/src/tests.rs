//! Analysis against closed forms and hand calculations.

use chollima_linalg::Method;
use chollima_model::{
    Economy, Manifest, Products, Resource, ResourceAmount, SparseColumns, Techniques,
};

use super::*;

/// Two goods with A = [[0.1, 0.2], [0.3, 0.4]], labour (0.5, 0.25), second technique output 2.
fn two_goods() -> Economy {
    let mut products = Products::default();
    products.push_id("grain");
    products.push_id("steel");
    let mut manifest = Manifest::named("two goods");
    manifest.resources.push(Resource {
        name: "labour".into(),
        amount: ResourceAmount::Constant(10.0),
    });
    let mut techniques = Techniques::new(1);
    techniques.push("farm", 0);
    techniques.push("mill", 1);
    techniques.output[1] = 2.0;
    techniques.resource_use[0] = vec![0.5, 0.5];
    // The mill makes 2 units per activity, so its per-activity inputs are twice A's column.
    let inputs =
        SparseColumns::from_columns(2, vec![vec![(0, 0.1), (1, 0.3)], vec![(0, 0.4), (1, 0.8)]]);
    Economy::new(manifest, products, techniques, inputs)
}

#[test]
fn results_match_the_closed_form_for_every_method() {
    let (a, b, c, d) = (0.1, 0.2, 0.3, 0.4);
    let det = (1.0 - a) * (1.0 - d) - b * c;
    let l = [[(1.0 - d) / det, b / det], [c / det, (1.0 - a) / det]];
    let demand = [3.0, 2.0];
    let labour = [0.5, 0.25];
    for method in [Method::SparseLu, Method::DenseLu, Method::Iterative] {
        let settings = AnalysisSettings {
            solver: chollima_linalg::LeontiefSettings {
                method,
                ..Default::default()
            },
            inverse: true,
            ..Default::default()
        };
        let r = analyze(&two_goods(), &demand, &settings).unwrap();
        let close = |x: f64, y: f64| assert!((x - y).abs() < 1e-12, "{method:?}: {x} vs {y}");
        for i in 0..2 {
            close(r.gross_output[i], l[i][0] * demand[0] + l[i][1] * demand[1]);
            close(r.output_multiplier[i], l[0][i] + l[1][i]);
            close(
                r.labour_value.as_ref().unwrap()[i],
                labour[0] * l[0][i] + labour[1] * l[1][i],
            );
            close(r.row_sums[i], l[i][0] + l[i][1]);
        }
        let total: f64 = l.iter().flatten().sum();
        close(r.backward_linkage[0], 2.0 * (l[0][0] + l[1][0]) / total);
        close(r.forward_linkage[1], 2.0 * (l[1][0] + l[1][1]) / total);
        close(r.backward_linkage.iter().sum::<f64>() / 2.0, 1.0);
        let inverse = r.inverse.unwrap();
        close(inverse[1], l[1][0]); // column-major (1, 0)
        assert!(r.info.residual < 1e-12, "{}", r.info.residual);
        assert_eq!(r.info.spectral.productive(), Some(true));
    }
}

#[test]
fn several_techniques_for_a_product_are_refused() {
    let mut e = two_goods();
    e.techniques.push("mill2", 1);
    e.inputs = SparseColumns::from_columns(2, vec![vec![(0, 0.1)], vec![(0, 0.4)], vec![]]);
    let err = analyze(&e, &[1.0, 1.0], &AnalysisSettings::default()).unwrap_err();
    assert!(
        err.to_string()
            .contains("1 product(s) have more than one technique (first: `steel`)"),
        "{err}"
    );
}

#[test]
fn a_non_productive_table_names_its_columns() {
    let mut e = two_goods();
    e.inputs =
        SparseColumns::from_columns(2, vec![vec![(0, 0.6), (1, 0.7)], vec![(0, 1.0), (1, 1.0)]]);
    let err = analyze(&e, &[1.0, 1.0], &AnalysisSettings::default()).unwrap_err();
    let text = err.to_string();
    assert!(text.contains("not productive"), "{text}");
    assert!(text.contains("grain (1.3000)"), "{text}");
}

#[test]
fn an_unmade_product_gets_a_zero_column_and_is_counted() {
    let mut e = two_goods();
    e.products.push_id("imported");
    e.inputs = SparseColumns::from_columns(3, vec![vec![(2, 0.5)], vec![]]);
    let r = analyze(&e, &[1.0, 0.0, 0.0], &AnalysisSettings::default()).unwrap();
    assert_eq!(r.info.unmade_products, 1);
    assert!((r.gross_output[2] - 0.5).abs() < 1e-14);
    assert!((r.output_multiplier[2] - 1.0).abs() < 1e-14);
}

#[test]
fn wrong_demand_length_is_an_error() {
    let err = analyze(&two_goods(), &[1.0], &AnalysisSettings::default()).unwrap_err();
    assert!(matches!(
        err,
        AnalysisError::DemandLength {
            expected: 2,
            found: 1
        }
    ));
}

/// `n` products in groups given by `group_of`, each using its neighbour (`nnz` = `n`).
fn grouped(n: usize, group_of: impl Fn(usize) -> String) -> Economy {
    let mut products = Products::default();
    let mut techniques = Techniques::new(0);
    let mut columns = Vec::new();
    for i in 0..n {
        products.push_id(format!("p{i}"));
        techniques.push(format!("t{i}"), i as u32);
        columns.push(vec![((i as u32 + 1) % n as u32, 0.5)]);
    }
    products.groups = Some((0..n).map(group_of).collect());
    let inputs = SparseColumns::from_columns(n, columns);
    Economy::new(Manifest::named("grouped"), products, techniques, inputs)
}

#[test]
fn regions_listed_in_runs_make_diagonal_blocks() {
    // Four regions of 4 products on a sparse A: the block inverses (64 numbers) would cost
    // more per application than a pass over A's 16 non-zeros.
    let economy = grouped(16, |i| format!("R{}", i / 4));
    assert_eq!(group_blocks(&economy), None);
    // With a denser A the same blocks pay.
    let mut economy = grouped(16, |i| format!("R{}", i / 4));
    economy.inputs = SparseColumns::from_columns(
        16,
        (0..16u32)
            .map(|j| (0..16u32).filter(|&i| i != j).map(|i| (i, 0.01)).collect())
            .collect(),
    );
    assert_eq!(group_blocks(&economy), Some(vec![0, 4, 8, 12, 16]));
    // Groups that alternate make runs of one product: plain Jacobi, no blocks.
    let mut alternating = economy.clone();
    alternating.products.groups = Some((0..16).map(|i| format!("R{}", i % 2)).collect());
    assert_eq!(group_blocks(&alternating), None);
    // No groups, no blocks.
    let mut none = economy.clone();
    none.products.groups = None;
    assert_eq!(group_blocks(&none), None);
}

/// Five regions of 8 products, dense within each region and light between them.
fn five_regions() -> Economy {
    let mut economy = grouped(40, |i| format!("R{}", i / 8));
    economy.inputs = SparseColumns::from_columns(
        40,
        (0..40u32)
            .map(|j| {
                (0..40u32)
                    .map(|i| (i, if i / 8 == j / 8 { 0.08 } else { 0.002 }))
                    .collect()
            })
            .collect(),
    );
    economy
}

#[test]
fn block_jacobi_analysis_matches_the_factorised_one() {
    let economy = five_regions();
    assert!(group_blocks(&economy).is_some());
    let demand: Vec<f64> = (0..40).map(|i| 1.0 + i as f64).collect();
    let solve = |method| {
        let settings = AnalysisSettings {
            solver: chollima_linalg::LeontiefSettings {
                method,
                ..Default::default()
            },
            ..Default::default()
        };
        analyze(&economy, &demand, &settings).unwrap()
    };
    let (iterative, lu) = (solve(Method::Iterative), solve(Method::SparseLu));
    for (got, want) in [
        (&iterative.gross_output, &lu.gross_output),
        (&iterative.output_multiplier, &lu.output_multiplier),
        (&iterative.forward_linkage, &lu.forward_linkage),
    ] {
        for (g, w) in got.iter().zip(want.iter()) {
            assert!((g - w).abs() <= 1e-10 * w.abs(), "{g} against {w}");
        }
    }
}

/// Guards `take_leontief_matrix`: it moves `A` out only where the inputs already are `A`, and
/// the analysis of the moved matrix is the analysis of the copy, diagonal blocks included.
#[test]
fn a_taken_out_of_the_economy_analyses_like_a_copy() {
    let economy = five_regions();
    let demand: Vec<f64> = (0..40).map(|i| 1.0 + i as f64).collect();
    let settings = AnalysisSettings::default();
    let copied = analyze(&economy, &demand, &settings).unwrap();
    let mut owned = economy.clone();
    let matrix = take_leontief_matrix(&mut owned).unwrap();
    assert_eq!(owned.inputs.nnz(), 0, "the in-place inputs are moved out");
    let taken = analyze_matrix(&owned, matrix, &demand, &settings).unwrap();
    assert_eq!(taken.gross_output, copied.gross_output);
    assert_eq!(taken.output_multiplier, copied.output_multiplier);
    assert_eq!(taken.info.iterations, copied.info.iterations, "same blocks");
    // Output 2 on a technique: A is not the inputs, so they are copied and kept.
    let mut two = two_goods();
    let matrix = take_leontief_matrix(&mut two).unwrap();
    assert_eq!(two.inputs.nnz(), 4);
    assert_eq!(matrix.value, vec![0.1, 0.3, 0.2, 0.4]);
    assert_eq!(matrix.labour, Some(vec![0.5, 0.25]));
}
