//! Imports the real symmetric tables in `data/` (WIOD 2013, UK ONS) and checks real properties.

use std::path::PathBuf;

use chollima_import::{IotOptions, OnsCoefficients, OnsOptions, import_iot, import_ons};

fn data(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../data")
        .join(path)
}

/// A plain, independent CSV reader: row label and cells as text.
fn read_csv(path: &PathBuf) -> (Vec<String>, Vec<(String, Vec<String>)>) {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let header: Vec<String> = lines.next().unwrap().split(',').map(String::from).collect();
    let rows = lines
        .map(|l| {
            let mut f = l.split(',').map(String::from);
            let label = f.next().unwrap();
            (label, f.collect())
        })
        .collect();
    (header, rows)
}

#[test]
fn wiod_2011_imports_with_its_pitfalls_reported() {
    let dir = data("wiod2013/2011");
    let imported = import_iot(&dir, &IotOptions::default()).unwrap();
    let e = &imported.economy;
    assert_eq!(e.products.len(), 1435);
    assert_eq!(e.techniques.len(), 1435);
    assert_eq!(e.manifest.base_year, Some(2011));
    assert_eq!(
        e.categories,
        vec![
            "households",
            "npish",
            "government",
            "investment",
            "inventories"
        ]
    );
    let report = imported.report.to_string();
    assert!(
        report.contains("22 zero-output sectors get zero columns"),
        "{report}"
    );
    for id in ["AUS_c35", "CHN_c19", "LUX_c5", "SWE_c5"] {
        assert!(
            report.contains(&format!("`{id}` has zero gross output")),
            "{id}"
        );
    }

    // A = Z / x, checked against an independent reading of the files.
    let (_, z) = read_csv(&dir.join("Z.csv"));
    let (_, x) = read_csv(&dir.join("x.csv"));
    let x: Vec<f64> = x.iter().map(|(_, v)| v[0].parse().unwrap()).collect();
    let mut nonzeros = 0;
    for (i, (_, cells)) in z.iter().enumerate() {
        for (j, cell) in cells.iter().enumerate() {
            let flow: f64 = cell.parse().unwrap();
            let expected = if x[j] == 0.0 { 0.0 } else { flow / x[j] };
            if expected != 0.0 {
                nonzeros += 1;
            }
            assert_eq!(e.inputs.get(i, j), expected, "A[{i}][{j}]");
        }
    }
    assert_eq!(e.inputs.nnz(), nonzeros);
    for (k, s) in e.inputs.column_sums().iter().enumerate() {
        assert!(*s < 1.0, "column {k} sums to {s}");
    }

    // Total final demand is kept for every product whose total is >= 0; zero otherwise.
    let (_, y) = read_csv(&dir.join("Y.csv"));
    let demand = e.demand_in_year(1);
    let mut negative_totals = 0;
    for (i, (_, cells)) in y.iter().enumerate() {
        let total: f64 = cells.iter().map(|c| c.parse::<f64>().unwrap()).sum();
        if total >= 0.0 {
            assert!(
                (demand[i] - total).abs() <= 1e-9 * total.max(1.0),
                "{i}: {} vs {total}",
                demand[i]
            );
        } else {
            negative_totals += 1;
            assert_eq!(demand[i], 0.0);
        }
    }
    assert_eq!(negative_totals, 10);
    assert!(e.targets.iter().all(|t| t.quantity > 0.0));
    assert!(
        report.contains("`JPN_c2`: total final demand is negative (-7154"),
        "{report}"
    );
}

#[test]
fn ons_2010_a_is_read_exactly() {
    let dir = data("uk_ons_2010");
    let imported = import_ons(&dir, &OnsOptions::default()).unwrap();
    let e = &imported.economy;
    assert_eq!(e.products.len(), 127);
    assert_eq!(e.manifest.base_year, Some(2010));
    assert_eq!(
        e.products.label(0),
        "Products of agriculture, hunting and related services"
    );
    let (header, a) = read_csv(&dir.join("A_pxp.csv"));
    assert_eq!(header.len(), 128);
    for (i, (label, cells)) in a.iter().take(127).enumerate() {
        assert_eq!(label, &e.products.ids[i]);
        for (j, cell) in cells.iter().enumerate() {
            assert_eq!(e.inputs.get(i, j), cell.parse::<f64>().unwrap());
        }
    }
    let from_table = import_ons(
        &dir,
        &OnsOptions {
            coefficients: OnsCoefficients::FromTable,
            ..Default::default()
        },
    )
    .unwrap();
    for (r, c, v) in e.inputs.iter() {
        assert!((from_table.economy.inputs.get(r, c) - v).abs() < 1e-14);
    }
    assert_eq!(e.demand_in_year(1), from_table.economy.demand_in_year(1));
    let report = imported.report.to_string();
    assert!(report.contains("A read exactly as published"), "{report}");
    assert!(report.contains("Changes in inventories"), "{report}");
}
