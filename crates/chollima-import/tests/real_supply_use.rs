//! Imports the real supply-use tables in `data/` (BEA detail and summary, IBGE) and the WIOD
//! 2016 national table, attaches labour, and checks real properties.

use std::collections::HashMap;
use std::path::PathBuf;

use chollima_import::*;
use chollima_model::{Diagnostics, LABOUR};

fn data(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../data")
        .join(path)
}

/// An independent reader: `table[row][col]` by labels, unquoted CSV only.
type Cells = HashMap<(String, String), f64>;

fn read(path: &PathBuf) -> (Vec<String>, Vec<String>, Cells) {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let header: Vec<String> = lines
        .next()
        .unwrap()
        .split(',')
        .skip(1)
        .map(String::from)
        .collect();
    let mut rows = Vec::new();
    let mut cells = HashMap::new();
    for line in lines {
        let mut fields = line.split(',');
        let label = fields.next().unwrap().to_string();
        for (h, v) in header.iter().zip(fields) {
            cells.insert((label.clone(), h.clone()), v.parse::<f64>().unwrap());
        }
        rows.push(label);
    }
    (rows, header, cells)
}

fn negative_totals(report: &Diagnostics) -> usize {
    report
        .iter()
        .filter(|d| d.message.contains("total final demand is negative"))
        .count()
}

#[test]
fn bea_detail_industry_technology() {
    let dir = data("bea/detail_2017");
    let imported =
        import_supply_use(std::slice::from_ref(&dir), &SupplyUseOptions::default()).unwrap();
    let e = &imported.economy;
    assert_eq!(e.products.len(), 402);
    assert_eq!(e.manifest.base_year, Some(2017));
    assert_eq!(e.products.label(0), "Oilseed farming");
    for (k, s) in e.inputs.column_sums().iter().enumerate() {
        assert!(*s < 1.0, "column {k} ({}) sums to {s}", &e.products.ids[k]);
    }
    // A = B D for a few cells, from an independent reading of the files.
    let (industries, commodities, make) = read(&dir.join("Detail_Make_2017_BeforeRedef_17sch.csv"));
    let industries: Vec<&String> = industries.iter().filter(|i| !i.starts_with('T')).collect();
    let commodities: Vec<&String> = commodities.iter().filter(|c| !c.starts_with('T')).collect();
    let (_, _, uses) = read(&dir.join("Detail_Use_2017_PRO_BeforeRedef_17sch.csv"));
    let v = |i: &String, c: &String| make[&(i.clone(), c.clone())];
    let g: HashMap<&String, f64> = industries
        .iter()
        .map(|i| (*i, commodities.iter().map(|c| v(i, c)).sum()))
        .collect();
    let q: HashMap<&String, f64> = commodities
        .iter()
        .map(|c| (*c, industries.iter().map(|i| v(i, c)).sum()))
        .collect();
    for (r, c) in [
        ("1111A0", "1111B0"),
        ("211000", "324110"),
        ("221100", "311111"),
        ("S00402", "331110"),
    ] {
        let (r, c) = (r.to_string(), c.to_string());
        let mut want = 0.0;
        for i in &industries {
            let u = uses
                .get(&(r.clone(), (*i).clone()))
                .copied()
                .unwrap_or(0.0)
                .max(0.0);
            want += u / g[i] * v(i, &c) / q[&c];
        }
        let got = e
            .inputs
            .get(e.product_index(&r).unwrap(), e.product_index(&c).unwrap());
        assert!(
            (got - want).abs() <= 1e-12 * want.max(1e-300),
            "A[{r}][{c}] = {got}, want {want}"
        );
    }
    // Final demand: each commodity's total is kept where it is >= 0.
    let d = e.demand_in_year(1);
    let (_, header, _) = read(&dir.join("Detail_Use_2017_PRO_BeforeRedef_17sch.csv"));
    let fd: Vec<&String> = header.iter().filter(|h| h.starts_with('F')).collect();
    for c in ["1111A0", "311111", "541100", "S00402"] {
        let total: f64 = fd
            .iter()
            .map(|f| uses[&(c.to_string(), (*f).clone())])
            .sum();
        let got = d[e.product_index(c).unwrap()];
        if total >= 0.0 {
            assert!(
                (got - total).abs() <= 1e-9 * total.max(1.0),
                "{c}: {got} vs {total}"
            );
        } else {
            assert_eq!(got, 0.0);
        }
    }
    let text = imported.report.to_string();
    assert!(
        text.contains("commodity `S00300` has no domestic output"),
        "{text}"
    );
    assert!(text.contains("unnamed column `NA`"), "{text}");
    assert!(
        text.contains("negative cell -250 (row `1111A0`, column `S00600`) set to 0"),
        "{text}"
    );

    // Domestic requirements: imports out of every use; far fewer negative totals.
    let options = SupplyUseOptions {
        imports: Some(dir.join("Detail_Import_2017_BeforeRedef_17sch.csv")),
        ..Default::default()
    };
    let domestic = import_supply_use(std::slice::from_ref(&dir), &options).unwrap();
    assert!(negative_totals(&domestic.report) < negative_totals(&imported.report) / 4);
    assert!(
        domestic.economy.inputs.get(
            e.product_index("211000").unwrap(),
            e.product_index("324110").unwrap()
        ) < e.inputs.get(
            e.product_index("211000").unwrap(),
            e.product_index("324110").unwrap()
        )
    );
}

#[test]
fn bea_summary_by_year_and_commodity_technology() {
    let dir = data("bea/summary");
    let err =
        import_supply_use(std::slice::from_ref(&dir), &SupplyUseOptions::default()).unwrap_err();
    assert!(err.to_string().contains("11 make tables"), "{err}");
    let options = SupplyUseOptions {
        year: Some(2019),
        ..Default::default()
    };
    let imported = import_supply_use(std::slice::from_ref(&dir), &options).unwrap();
    assert_eq!(imported.economy.products.len(), 73);
    assert_eq!(imported.economy.manifest.base_year, Some(2019));
    assert_eq!(imported.economy.products.label(0), "Farms");
    let ct = SupplyUseOptions {
        year: Some(2019),
        assumption: Assumption::CommodityTechnology,
        ..Default::default()
    };
    let imported = import_supply_use(&[dir], &ct).unwrap();
    let text = imported.report.to_string();
    assert!(text.contains("Moore-Penrose"), "{text}");
    assert!(imported.economy.inputs.values().iter().all(|v| *v > 0.0));
}

#[test]
fn ibge_2019_converted_to_basic_domestic_balances() {
    let dir = data("ibge_brazil_68/2019");
    let imported =
        import_supply_use(std::slice::from_ref(&dir), &SupplyUseOptions::default()).unwrap();
    let e = &imported.economy;
    assert_eq!(e.products.len(), 128);
    assert_eq!(e.products.ids[0].to_string(), "01911");
    assert_eq!(e.products.label(0), "Arroz, trigo e outros cereais");
    assert_eq!(e.manifest.unit.as_deref(), Some("R$ million"));
    // q = A q + d for every product whose final demand total is >= 0.
    let (products, activities, make) = read(&dir.join("make_products_x_activities.csv"));
    let q: Vec<f64> = products
        .iter()
        .map(|p| {
            activities
                .iter()
                .map(|a| make[&(p.clone(), a.clone())])
                .sum()
        })
        .collect();
    let d = e.demand_in_year(1);
    let mut aq = vec![0.0; q.len()];
    for (r, c, v) in e.inputs.iter() {
        aq[r] += v * q[c];
    }
    let dropped: Vec<&str> = ["18001", "23001"].to_vec();
    for p in 0..q.len() {
        if dropped.contains(&&*e.products.ids[p].to_string()) {
            continue;
        }
        assert!(
            (aq[p] + d[p] - q[p]).abs() <= 1e-9 * q[p],
            "{}: {} + {} vs {}",
            &e.products.ids[p],
            aq[p],
            d[p],
            q[p]
        );
    }
    assert_eq!(negative_totals(&imported.report), 2);

    // Labour: l = (L / g) D, so l . q is the total labour.
    let mut economy = imported.economy.clone();
    let mut report = Diagnostics::new();
    let source = LabourSource {
        table: LabourTable::Ibge {
            path: dir.join("value_added_and_employment.csv"),
        },
        industries: imported.industries.clone(),
    };
    attach_labour(&mut economy, &source, &mut report).unwrap();
    let r = economy.manifest.resource_index(LABOUR).unwrap();
    let total = match &economy.manifest.resources[r].amount {
        chollima_model::ResourceAmount::Constant(v) => *v,
        other => panic!("{other:?}"),
    };
    let (_, _, va) = read(&dir.join("value_added_and_employment.csv"));
    let persons: f64 = activities
        .iter()
        .map(|a| va[&("Fator trabalho (ocupações)".to_string(), a.clone())])
        .sum();
    assert_eq!(total, persons);
    let used: f64 = economy.techniques.resource_use[r]
        .iter()
        .zip(&q)
        .map(|(l, q)| l * q)
        .sum();
    assert!((used - total).abs() <= 1e-9 * total, "{used} vs {total}");
    assert!(report.to_string().contains("balanced"), "{report}");
}

#[test]
fn wiod_2016_usa_with_sea_labour() {
    let file = data("wiod2016_niot/usaiot.csv");
    let imported = import_wiod_niot(&file, 2014, &WiodNiotOptions::default()).unwrap();
    let e = &imported.economy;
    assert_eq!(e.products.len(), 56);
    assert_eq!(e.manifest.base_year, Some(2014));
    assert_eq!(
        e.products.label(0),
        "Crop and animal production, hunting and related service activities"
    );
    for s in e.inputs.column_sums() {
        assert!(s < 1.0);
    }
    for variable in [SeaVariable::Emp, SeaVariable::HEmpe] {
        let mut economy = e.clone();
        let mut report = Diagnostics::new();
        let table = LabourTable::WiodSea {
            path: data("wiod2016_niot/usasea.csv"),
            year: 2014,
            variable,
        };
        let source = LabourSource {
            table,
            industries: imported.industries.clone(),
        };
        attach_labour(&mut economy, &source, &mut report).unwrap();
        let r = economy.manifest.resource_index(LABOUR).unwrap();
        let x = &imported.industries.output;
        let used: f64 = economy.techniques.resource_use[r]
            .iter()
            .zip(x)
            .map(|(l, x)| l * x)
            .sum();
        let chollima_model::ResourceAmount::Constant(total) = economy.manifest.resources[r].amount
        else {
            panic!()
        };
        assert!(total > 0.0 && (used - total).abs() <= 1e-9 * total);
    }
}
