//! Hand-made tiny tables with answers computed by hand.

use std::path::PathBuf;

use chollima_import::*;
use chollima_model::Severity;

fn fixture(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(path)
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * b.abs().max(1.0)
}

/// V = [[90, 10], [0, 100]] (industries x commodities), U = [[10, 20], [30, 40]].
/// g = (100, 100), q = (90, 110), B = U g^-1 = [[0.1, 0.2], [0.3, 0.4]].
#[test]
fn two_industry_make_use_under_industry_technology() {
    let imported =
        import_supply_use(&[fixture("make_use_2x2")], &SupplyUseOptions::default()).unwrap();
    let e = &imported.economy;
    assert_eq!(e.products.ids.as_slice(), &["c1", "c2"]);
    // D = V q^-1 = [[1, 1/11], [0, 10/11]]; A = B D.
    let expected = [[0.1, 2.1 / 11.0], [0.3, 4.3 / 11.0]];
    for (r, row) in expected.iter().enumerate() {
        for (c, &want) in row.iter().enumerate() {
            assert!(
                close(e.inputs.get(r, c), want),
                "A[{r}][{c}] = {} not {want}",
                e.inputs.get(r, c)
            );
        }
    }
    // c1's inventory run-down (-10) is netted against households (70): 60 kept.
    assert_eq!(e.categories, vec!["households", "exports"]);
    let d = e.demand_in_year(1);
    assert!(close(d[0], 60.0) && close(d[1], 40.0), "{d:?}");
    // q = A q + d: the commodity outputs solve the Leontief system.
    let q = [90.0, 110.0];
    for r in 0..2 {
        let aq: f64 = (0..2).map(|c| e.inputs.get(r, c) * q[c]).sum();
        assert!(close(aq + d[r], q[r]));
    }
    // Labour maps to products through D.
    assert_eq!(imported.industries.industries, vec!["I1", "I2"]);
    assert!(close(imported.industries.to_products.get(0, 1), 1.0 / 11.0));
    let text = imported.report.to_string();
    assert!(
        text.contains("`c1`: negative final demand (inventories -10)"),
        "{text}"
    );
    assert!(
        text.contains("value-added rows used only for checks: V00100"),
        "{text}"
    );
}

/// C = V' g^-1 = [[0.9, 0], [0.1, 1]], C^-1 = [[1/0.9, 0], [-1/9, 1]], A = B C^-1.
#[test]
fn two_industry_make_use_under_commodity_technology() {
    let options = SupplyUseOptions {
        assumption: Assumption::CommodityTechnology,
        ..Default::default()
    };
    let imported = import_supply_use(&[fixture("make_use_2x2")], &options).unwrap();
    let e = &imported.economy;
    let expected = [[0.08 / 0.9, 0.2], [0.26 / 0.9, 0.4]];
    for (r, row) in expected.iter().enumerate() {
        for (c, &want) in row.iter().enumerate() {
            assert!(
                close(e.inputs.get(r, c), want),
                "A[{r}][{c}] = {} not {want}",
                e.inputs.get(r, c)
            );
        }
    }
    assert_eq!(
        imported.report.count(Severity::Warning),
        0,
        "{}",
        imported.report
    );
}

#[test]
fn small_iot_with_zero_output_and_negative_demand() {
    let imported = import_iot(&fixture("small_iot"), &IotOptions::default()).unwrap();
    let e = &imported.economy;
    assert_eq!(e.inputs.get(0, 0), 0.1);
    assert_eq!(e.inputs.get(1, 0), 0.2);
    assert_eq!(e.inputs.get(1, 1), 5.0 / 80.0);
    assert_eq!(e.inputs.get(2, 1), 15.0 / 80.0);
    assert_eq!(e.inputs.column(2).0.len(), 0);
    assert_eq!(e.products.groups.as_ref().unwrap(), &["A", "A", "B"]);
    let d = e.demand_in_year(1);
    assert!(
        close(d[0], 90.0) && close(d[1], 55.0) && d[2] == 0.0,
        "{d:?}"
    );
    let text = imported.report.to_string();
    assert!(
        text.contains("`B_a` has zero gross output: zero column in A"),
        "{text}"
    );
    assert!(
        text.contains("`B_a`: total final demand is negative (-25"),
        "{text}"
    );
}

#[test]
fn category_mapping_decides_categories() {
    let dir = tempfile::tempdir().unwrap();
    let mapping = dir.path().join("map.csv");
    std::fs::write(
        &mapping,
        "column,category\nA_c37_hh,food\nB_c37_hh,food\nA_c42_inv,-\n",
    )
    .unwrap();
    let options = IotOptions {
        category_mapping: Some(mapping),
        ..Default::default()
    };
    let imported = import_iot(&fixture("small_iot"), &options).unwrap();
    assert_eq!(imported.economy.categories, vec!["food"]);
    let text = imported.report.to_string();
    assert!(
        text.contains("`A_c42_inv` left out by the mapping: -40"),
        "{text}"
    );
    assert!(
        text.contains("final-demand column `B_c42_inv` not recognised")
            || text.contains("inventories <- B_c42_inv"),
        "{text}"
    );
}

#[test]
fn matrix_market_with_labels_and_demand() {
    let options = MtxOptions {
        labels: Some(fixture("mtx/labels.csv")),
        demand: Some(fixture("mtx/demand.mtx")),
        ..Default::default()
    };
    let imported = import_mtx(&fixture("mtx/a.mtx"), &options).unwrap();
    let e = &imported.economy;
    assert_eq!(e.products.ids.as_slice(), &["grain", "tractor", "steel"]);
    assert_eq!(e.products.label(1), "Tractors");
    assert_eq!(e.inputs.get(2, 1), 0.5);
    assert_eq!(e.inputs.get(0, 2), 0.25);
    assert_eq!(e.inputs.nnz(), 4);
    assert_eq!(e.demand_in_year(1), vec![10.0, 0.0, 0.0]);
    assert!(
        imported
            .report
            .to_string()
            .contains("`steel`: total final demand is negative (-2")
    );
    let plain = import_mtx(&fixture("mtx/a.mtx"), &MtxOptions::default()).unwrap();
    assert_eq!(plain.economy.products.ids.as_slice(), &["p1", "p2", "p3"]);
}

#[test]
fn pymrio_test_system_round_trips() {
    let dir = fixture("pymrio_test");
    let from_a = import_pymrio(&dir, &PymrioOptions::default()).unwrap();
    let from_z = import_pymrio(
        &dir,
        &PymrioOptions {
            coefficients: PymrioCoefficients::FromZ,
            ..Default::default()
        },
    )
    .unwrap();
    let e = &from_a.economy;
    assert_eq!(e.products.len(), 48);
    assert_eq!(&e.products.ids[0], "reg1_food");
    assert_eq!(&e.products.ids[47], "reg6_other");
    assert_eq!(e.products.groups.as_ref().unwrap()[47], "reg6");
    assert_eq!(e.manifest.unit.as_deref(), Some("Mill USD"));
    for (r, c, v) in e.inputs.iter() {
        let z = from_z.economy.inputs.get(r, c);
        assert!(
            (z - v).abs() <= 1e-6 * v.abs(),
            "A[{r}][{c}]: {v} vs Z/x {z}"
        );
    }
    assert!(
        e.categories.contains(&"households".to_string())
            && e.categories.contains(&"investment".to_string())
    );
    assert!(
        from_a
            .report
            .to_string()
            .contains("satellite accounts not read")
            || !dir.join("emissions").exists()
    );
}
