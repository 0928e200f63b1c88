//! Sectors, the `group` of each product, and the final-use targets.
//!
//! The first `basic_goods` products are the basic goods, each its own sector (`energy`,
//! `transport`, `steel`, ...). Every other product is drawn into one of a dozen sectors
//! (agriculture, garments, construction, machinery, services, ...) by fixed weights. A sector
//! decides the need a product serves (`food`, `clothing`, `housing` or `other`), whether it is a
//! capital good (machinery, electronics, construction) and how likely its techniques use land.
//!
//! [`TARGET_SHARE`] of the products get a final-use target in the category of their sector; the
//! rest are pure intermediates. Quantities are log-normal around 100. With several plan years
//! half the targeted products get one row per year, growing 1..5 % a year, and the others one
//! row for every year.

use chollima_model::Target;
use rand::Rng;
use rand_distr::{Distribution, LogNormal};
use rayon::prelude::*;

use crate::random::{self, CHUNK, Stream};

/// Target categories, in the order of the `category` indices used here.
pub const CATEGORIES: [&str; 4] = ["food", "clothing", "housing", "other"];
const OTHER: u8 = 3;

/// Share of products with a final-use target.
pub const TARGET_SHARE: f64 = 0.6;

/// Names of the basic goods, in order; a config with more basic goods numbers the rest.
const BASIC: [&str; 20] = [
    "energy",
    "transport",
    "steel",
    "cement",
    "basic chemicals",
    "fuel",
    "timber",
    "glass",
    "paper",
    "plastics",
    "aluminium",
    "copper",
    "fertiliser",
    "rubber",
    "water",
    "communications",
    "repairs",
    "packaging",
    "lubricants",
    "bearings",
];

struct Sector {
    name: &'static str,
    category: u8,
    weight: f64,
    capital: bool,
    land: f64,
}

const fn sector(name: &'static str, category: u8, weight: f64, capital: bool, land: f64) -> Sector {
    Sector {
        name,
        category,
        weight,
        capital,
        land,
    }
}

const SECTORS: [Sector; 12] = [
    sector("agriculture", 0, 0.10, false, 0.9),
    sector("food processing", 0, 0.12, false, 0.05),
    sector("textiles", 1, 0.06, false, 0.1),
    sector("garments", 1, 0.06, false, 0.05),
    sector("construction", 2, 0.08, true, 0.3),
    sector("housing services", 2, 0.05, false, 0.3),
    sector("machinery", OTHER, 0.12, true, 0.05),
    sector("electronics", OTHER, 0.10, true, 0.05),
    sector("chemicals", OTHER, 0.08, false, 0.1),
    sector("mining", OTHER, 0.05, false, 0.5),
    sector("forestry", OTHER, 0.03, false, 0.9),
    sector("services", OTHER, 0.15, false, 0.05),
];

/// Sector codes: `0..SECTORS.len()` for ordinary sectors, `BASIC_CODE + j` for basic good `j`
/// (codes saturate at 255: basic goods past the 235th share a code, and only their name differs).
const BASIC_CODE: u8 = 20;

/// The sector of every product, as a code.
pub(crate) fn draw_sectors(products: usize, basic: usize, seed: u64) -> Vec<u8> {
    random::tabulate(products, seed, Stream::Sectors, |rng, i| {
        if i < basic {
            return BASIC_CODE.saturating_add(i.min(255) as u8);
        }
        let mut u: f64 = rng.random();
        for (code, s) in SECTORS.iter().enumerate() {
            if u < s.weight {
                return code as u8;
            }
            u -= s.weight;
        }
        (SECTORS.len() - 1) as u8
    })
}

/// The `group` label of product `i` with sector `code`.
pub(crate) fn group_name(code: u8, i: usize) -> String {
    match code.checked_sub(BASIC_CODE) {
        Some(_) if i < BASIC.len() => BASIC[i].to_owned(),
        Some(_) => format!("basic good {i}"),
        None => SECTORS[code as usize].name.to_owned(),
    }
}

/// The category (index into [`CATEGORIES`]) a product of sector `code` serves.
pub(crate) fn category(code: u8) -> u8 {
    if code >= BASIC_CODE {
        OTHER
    } else {
        SECTORS[code as usize].category
    }
}

/// Whether products of sector `code` are capital goods.
pub(crate) fn is_capital(code: u8) -> bool {
    code < BASIC_CODE && SECTORS[code as usize].capital
}

/// The chance that a technique making a product of sector `code` uses land.
pub(crate) fn land_share(code: u8) -> f64 {
    if code >= BASIC_CODE {
        0.05
    } else {
        SECTORS[code as usize].land
    }
}

/// The target of one product: its first-year quantity (0 = none) and its yearly growth
/// (`None` = one row for every year).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct TargetDraw {
    pub quantity: f64,
    pub growth: Option<f64>,
}

/// Draws the targets; at least one product gets one.
pub(crate) fn draw_targets(products: usize, years: u32, seed: u64) -> Vec<TargetDraw> {
    let quantity = LogNormal::new(100f64.ln(), 1.0).expect("valid log-normal");
    let mut draws = random::tabulate(products, seed, Stream::Targets, |rng, _| {
        if !rng.random_bool(TARGET_SHARE) {
            return TargetDraw::default();
        }
        let q = quantity.sample(rng);
        let growth = (years > 1 && rng.random_bool(0.5)).then(|| rng.random_range(0.01..0.05));
        TargetDraw {
            quantity: q,
            growth,
        }
    });
    if draws.iter().all(|d| d.quantity == 0.0) {
        draws[products - 1] = TargetDraw {
            quantity: 100.0,
            growth: None,
        };
    }
    draws
}

/// The target rows, in product order, and the category names in order of first appearance
/// (as a reader of `targets.csv` would number them).
pub(crate) fn target_rows(
    draws: &[TargetDraw],
    sectors: &[u8],
    years: u32,
) -> (Vec<Target>, Vec<String>) {
    // Number the categories in order of first appearance.
    let mut index = [u32::MAX; CATEGORIES.len()];
    let mut names = Vec::new();
    for (d, &code) in draws.iter().zip(sectors) {
        let c = category(code) as usize;
        if d.quantity > 0.0 && index[c] == u32::MAX {
            index[c] = names.len() as u32;
            names.push(CATEGORIES[c].to_owned());
            if names.len() == CATEGORIES.len() {
                break;
            }
        }
    }
    let chunks: Vec<Vec<Target>> = (0..draws.len().div_ceil(CHUNK))
        .into_par_iter()
        .map(|c| {
            let mut rows = Vec::new();
            for i in c * CHUNK..((c + 1) * CHUNK).min(draws.len()) {
                let d = draws[i];
                if d.quantity == 0.0 {
                    continue;
                }
                let category = index[category(sectors[i]) as usize];
                let product = i as u32;
                match d.growth {
                    None => rows.push(Target {
                        product,
                        category,
                        quantity: d.quantity,
                        year: None,
                    }),
                    Some(g) => rows.extend((1..=years).map(|y| Target {
                        product,
                        category,
                        quantity: d.quantity * (1.0 + g).powi(y as i32 - 1),
                        year: Some(y),
                    })),
                }
            }
            rows
        })
        .collect();
    (chunks.concat(), names)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sector_weights_sum_to_one_and_land_is_used_by_about_a_fifth() {
        let total: f64 = SECTORS.iter().map(|s| s.weight).sum();
        assert!((total - 1.0).abs() < 1e-12);
        let land: f64 = SECTORS.iter().map(|s| s.weight * s.land).sum();
        assert!((0.15..0.3).contains(&land), "land share {land}");
    }

    #[test]
    fn basic_goods_come_first_with_their_names() {
        let sectors = draw_sectors(1000, 3, 9);
        assert_eq!(group_name(sectors[0], 0), "energy");
        assert_eq!(group_name(sectors[2], 2), "steel");
        assert!(sectors[3..].iter().all(|&c| (c as usize) < SECTORS.len()));
        assert_eq!(group_name(BASIC_CODE + 30, 30), "basic good 30");
        assert!(sectors.iter().any(|&c| is_capital(c)));
    }

    #[test]
    fn targets_use_the_four_categories_numbered_by_first_appearance() {
        let n = 5000;
        let sectors = draw_sectors(n, 5, 1);
        let draws = draw_targets(n, 3, 1);
        let share = draws.iter().filter(|d| d.quantity > 0.0).count() as f64 / n as f64;
        assert!((share - TARGET_SHARE).abs() < 0.03, "target share {share}");
        let (rows, names) = target_rows(&draws, &sectors, 3);
        assert_eq!(names.len(), 4);
        assert!(names.iter().all(|n| CATEGORIES.contains(&n.as_str())));
        assert_eq!(rows[0].category, 0);
        let mut seen = 0;
        for r in &rows {
            assert!(r.category <= seen + 1 && r.category < 4);
            seen = seen.max(r.category);
            assert!(r.quantity > 0.0);
            assert_eq!(
                names[r.category as usize],
                CATEGORIES[category(sectors[r.product as usize]) as usize]
            );
        }
        assert!(rows.iter().any(|r| r.year == Some(3)) && rows.iter().any(|r| r.year.is_none()));
    }

    #[test]
    fn some_product_always_has_a_target() {
        for seed in 0..20 {
            assert!(draw_targets(1, 1, seed)[0].quantity > 0.0);
        }
    }
}
