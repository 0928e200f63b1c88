//! Properties of whole generated economies: determinism, productivity, structure, sizing.

use chollima_model::{Economy, ResourceAmount};
use proptest::prelude::*;

use crate::resources::LABOUR_USE;
use crate::sectors::CATEGORIES;
use crate::structure::BASIC_USE;
use crate::{GenerateConfig, generate};

fn config(products: usize, inputs: usize, seed: u64) -> GenerateConfig {
    GenerateConfig {
        products,
        inputs,
        seed,
        ..GenerateConfig::default()
    }
}

fn full(products: usize, seed: u64) -> GenerateConfig {
    GenerateConfig {
        alternatives: 0.3,
        capacities: 0.5,
        trade: 0.2,
        years: 5,
        land: true,
        priorities: true,
        ..config(products, 10, seed)
    }
}

/// Solves `(I - A) x = t` for the primary techniques by dense Gaussian elimination.
fn dense_leontief(e: &Economy, t: &[f64]) -> Vec<f64> {
    let n = e.products.len();
    let mut m = vec![vec![0.0; n + 1]; n];
    for (i, row) in m.iter_mut().enumerate() {
        row[i] = 1.0;
        row[n] = t[i];
    }
    for (r, k, v) in e.inputs.iter().filter(|&(_, k, _)| k < n) {
        m[r][k] -= v;
    }
    for c in 0..n {
        let p = (c..n)
            .max_by(|&a, &b| m[a][c].abs().total_cmp(&m[b][c].abs()))
            .unwrap();
        m.swap(c, p);
        let (top, bottom) = m.split_at_mut(c + 1);
        let pivot = &top[c];
        for row in bottom {
            let f = row[c] / pivot[c];
            for (x, &p) in row[c..].iter_mut().zip(&pivot[c..]) {
                *x -= f * p;
            }
        }
    }
    let mut x = vec![0.0; n];
    for r in (0..n).rev() {
        let s: f64 = (r + 1..n).map(|j| m[r][j] * x[j]).sum();
        x[r] = (m[r][n] - s) / m[r][r];
    }
    x
}

/// Checks the properties every generated economy has.
fn check(c: &GenerateConfig, e: &Economy) {
    let n = c.products;
    assert_eq!(e.products.len(), n);
    assert_eq!(e.inputs.nrows(), n);
    assert_eq!(e.inputs.ncols(), e.techniques.len());
    // Productive: every column sum per unit of output at most 0.8 (from_raw checked rows unique).
    for (k, s) in e.inputs.column_sums().into_iter().enumerate() {
        let per_output = s / e.techniques.output[k];
        assert!(per_output <= 0.8 + 1e-12, "column {k} sums to {per_output}");
        if c.inputs > 0 {
            assert!(per_output >= 0.3 - 1e-12, "column {k} sums to {per_output}");
        }
    }
    for k in 0..n {
        assert_eq!(&e.techniques.ids[k], format!("t{k}"));
        assert_eq!(e.techniques.product[k] as usize, k);
    }
    assert!(e.techniques.resource_use[0].iter().all(|&l| l > 0.0));
    assert_eq!(e.techniques.resource_use.len(), e.manifest.resources.len());
    // Targets only in the four categories, numbered by first appearance.
    assert!(!e.targets.is_empty());
    assert!(
        e.categories
            .iter()
            .all(|c| CATEGORIES.contains(&c.as_str()))
    );
    let mut next = 0;
    for t in &e.targets {
        assert!(t.category <= next && t.quantity > 0.0);
        next = next.max(t.category + 1);
        assert!(t.year.is_none_or(|y| (1..=c.years).contains(&y)));
    }
    // Labour: the Leontief plan of the first-year targets needs 80-90 % of it.
    let x = dense_leontief(e, &e.demand_in_year(1));
    let labour = &e.techniques.resource_use[0];
    let needed: f64 = (0..n).map(|k| labour[k] * x[k]).sum();
    let ratio = needed / e.manifest.resources[0].amount.in_year(1);
    assert!(
        (LABOUR_USE.start - 1e-3..LABOUR_USE.end + 1e-3).contains(&ratio),
        "labour ratio {ratio}"
    );
}

#[test]
fn the_same_config_gives_the_same_economy_on_one_or_two_threads() {
    let pool = |t| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(t)
            .build()
            .unwrap()
    };
    // More than a few chunks so the work really is split.
    let c = GenerateConfig {
        products: 30_000,
        ..full(30_000, 11)
    };
    let one = pool(1).install(|| generate(&c)).unwrap();
    let two = pool(2).install(|| generate(&c)).unwrap();
    assert!(one == two, "economies differ between 1 and 2 threads");
    let bits = |e: &Economy| {
        e.inputs
            .values()
            .iter()
            .map(|v| v.to_bits())
            .collect::<Vec<_>>()
    };
    assert_eq!(bits(&one), bits(&two));
    assert_ne!(
        generate(&GenerateConfig {
            seed: 12,
            ..c.clone()
        })
        .unwrap(),
        one
    );
}

#[test]
fn basic_goods_are_used_by_nearly_every_technique_and_others_follow_a_power_law() {
    let c = GenerateConfig {
        basic_goods: Some(3),
        ..config(20_000, 10, 3)
    };
    let e = generate(&c).unwrap();
    let k = e.techniques.len() as f64;
    let mut uses = vec![0usize; c.products];
    let mut with_basic = 0;
    for t in 0..e.techniques.len() {
        let rows = e.inputs.column(t).0;
        with_basic += usize::from(rows.first().is_some_and(|&r| r < 3));
        rows.iter().for_each(|&r| uses[r as usize] += 1);
    }
    let share = with_basic as f64 / k;
    assert!(
        (share - BASIC_USE).abs() < 0.01,
        "share using basic goods {share}"
    );
    for (b, &u) in uses.iter().enumerate().take(3) {
        assert!(
            (u as f64 / k - BASIC_USE).abs() < 0.01,
            "basic good {b} used by {u}"
        );
    }
    let mut other: Vec<usize> = uses[3..].to_vec();
    other.sort_unstable();
    let median = other[other.len() / 2];
    let top = *other.last().unwrap();
    let rare = other.iter().filter(|&&u| u <= 1).count() as f64 / other.len() as f64;
    assert!(top > 50 * median.max(1), "top {top}, median {median}");
    assert!(rare > 0.3, "share used at most once {rare}");
    // Some products are pure intermediates.
    let targeted = e.demand_in_year(1).iter().filter(|&&d| d > 0.0).count() as f64;
    assert!((targeted / c.products as f64 - 0.6).abs() < 0.03);
}

#[test]
fn a_full_config_has_every_part_sized_as_documented() {
    let c = full(2000, 1);
    let e = generate(&c).unwrap();
    check(&c, &e);
    let names: Vec<_> = e
        .manifest
        .resources
        .iter()
        .map(|r| r.name.as_str())
        .collect();
    assert_eq!(names, ["labour", "land", "foreign_exchange"]);
    let plan = e.manifest.plan.as_ref().unwrap();
    assert_eq!((plan.years, plan.floor), (5, 0.0));
    assert_eq!(plan.priorities, ["food", "clothing", "housing"]);
    let ResourceAmount::PerYear(labour) = &e.manifest.resources[0].amount else {
        panic!("labour per year");
    };
    assert_eq!(labour.len(), 5);
    assert!((labour[4] / labour[0] - 1.02f64.powi(4)).abs() < 1e-12);
    let land_users = e.techniques.resource_use[1]
        .iter()
        .filter(|&&l| l > 0.0)
        .count();
    let share = land_users as f64 / e.techniques.len() as f64;
    assert!((0.12..0.3).contains(&share), "land users {share}");
    let with_capacity = e.techniques.capacity.iter().filter(|c| c.is_some()).count();
    assert!((with_capacity as f64 / e.techniques.len() as f64 - 0.5).abs() < 0.05);
    let capital = e.capital.as_ref().unwrap();
    for k in 0..e.techniques.len() {
        let has_capacity = e.techniques.capacity[k].is_some();
        assert_eq!(!capital.column(k).0.is_empty(), has_capacity);
        let d = e.techniques.depreciation[k];
        assert!(if has_capacity {
            (0.02..0.1).contains(&d)
        } else {
            d == 0.0
        });
    }
    assert!(
        e.technique_index(&format!("t{}b", e.techniques.product[c.products]))
            .is_some()
    );
    assert!(
        e.products
            .import_price
            .as_ref()
            .unwrap()
            .iter()
            .any(Option::is_some)
    );
    assert!(e.targets.iter().any(|t| t.year == Some(5)));
}

#[test]
fn capacities_are_sized_against_the_leontief_plan() {
    let c = GenerateConfig {
        capacities: 1.0,
        ..config(1000, 6, 8)
    };
    let e = generate(&c).unwrap();
    let x = dense_leontief(&e, &e.demand_in_year(1));
    let mut tight = 0;
    for (k, &xk) in x.iter().enumerate() {
        let ratio = e.techniques.capacity[k].unwrap() / xk.max(1.0);
        assert!(
            (0.8 - 1e-2..1.5 + 1e-2).contains(&ratio),
            "technique {k}: {ratio}"
        );
        tight += usize::from(ratio < 1.0);
    }
    assert!((50..150).contains(&tight), "{tight} tight capacities");
    assert!(e.manifest.plan.is_none() && e.capital.is_none());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn small_economies_keep_every_property(
        products in 1usize..80,
        inputs_share in 0.0f64..1.0,
        seed in any::<u64>(),
        alternatives in 0.0f64..=1.0,
        capacities in 0.0f64..=1.0,
        trade in 0.0f64..=1.0,
        years in 1u32..4,
        land in any::<bool>(),
    ) {
        let inputs = ((products - 1) as f64 * inputs_share) as usize;
        let c = GenerateConfig {
            alternatives, capacities, trade, years, land, ..config(products, inputs, seed)
        };
        let e = generate(&c).unwrap();
        check(&c, &e);
    }
}
