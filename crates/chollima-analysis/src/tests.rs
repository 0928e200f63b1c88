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
