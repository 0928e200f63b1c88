//! Synthetic economies with a realistic structure, deterministic per seed, for testing and
//! benchmarking input-output analysis and planning at any size up to 10^7 products.
//!
//! [`generate`] turns a [`GenerateConfig`] into a [`chollima_model::Economy`]:
//!
//! * products `p0..p<n-1>`, each with a `group` (its sector); the first few are basic goods
//!   (energy, transport, steel, ...) used by about 95 % of the techniques;
//! * one primary technique per product (`t<i>` makes `p<i>`), with about `inputs` input
//!   coefficients drawn with Zipf-like popularity (hubs and a long tail), and optionally
//!   alternatives (`t<i>b`, `t<i>c`) with another input mix and labour;
//! * a productive input matrix: every column sum per unit of output lies in 0.3..0.8, so its
//!   spectral radius is below 0.8 ([`structure`]);
//! * final-use targets for 60 % of the products in the categories `food`, `clothing`, `housing`
//!   and `other` ([`sectors`]);
//! * `labour` offered so that the Leontief plan of the targets needs 80-90 % of it, and as
//!   configured `land`, capacities, trade with `foreign_exchange`, and multi-year settings with
//!   depreciation and capital coefficients ([`resources`]).
//!
//! The same config gives the same economy bit for bit, on any number of threads: every random
//! draw comes from a generator seeded by (seed, kind of draw, fixed chunk of items), and sums are
//! taken in a fixed order.
//!
//! ```
//! use chollima_generate::{generate, GenerateConfig};
//! let config = GenerateConfig { products: 500, inputs: 8, seed: 7, ..GenerateConfig::default() };
//! let economy = generate(&config).unwrap();
//! assert_eq!(economy.products.len(), 500);
//! assert_eq!(&economy.techniques.ids[0], "t0");
//! assert!(economy.inputs.column_sums().iter().all(|&s| s < 0.8 + 1e-12));
//! assert_eq!(generate(&config).unwrap(), economy);
//! ```

mod config;
pub mod leontief;
mod popularity;
mod random;
pub mod resources;
pub mod sectors;
pub mod structure;

#[cfg(test)]
mod tests;

pub use config::{GenerateConfig, GenerateError, MAX_PRODUCTS, default_basic_goods};

use chollima_model::{
    Economy, IdList, LABOUR, Manifest, PlanSettings, Products, Resource, ResourceAmount, Techniques,
};
use rayon::prelude::*;

use crate::random::Stream;

/// Generates the economy `config` describes; see the [crate documentation](crate).
///
/// # Errors
/// When `config` fails [`GenerateConfig::validate`].
pub fn generate(config: &GenerateConfig) -> Result<Economy, GenerateError> {
    config.validate()?;
    let n = config.products;
    let seed = config.seed;
    let years = config.years;

    let sectors = sectors::draw_sectors(n, config.basic_goods_count(), seed);
    let layout = structure::Layout::new(config);
    let inputs = structure::inputs(config, &layout);
    let target_draws = sectors::draw_targets(n, years, seed);
    let demand: Vec<f64> = target_draws.par_iter().map(|d| d.quantity).collect();
    let per_product = config.capacities > 0.0 || config.trade > 0.0;
    let tolerance = if per_product {
        leontief::TOLERANCE
    } else {
        leontief::TOTAL_TOLERANCE
    };
    let x = leontief::gross_output(&inputs, &demand, tolerance);
    drop(demand);

    let mut global = random::chunk_rng(seed, Stream::Global, 0);
    let mut resources = Vec::new();
    let mut resource_use = Vec::new();

    let labour = resources::labour(&layout, seed);
    let labour_needed = random::sum(n, |k| labour[k] * x[k]);
    let labour_amount = resources::offered(labour_needed, &mut global);
    let amount = if years > 1 {
        ResourceAmount::PerYear(
            (0..years)
                .map(|y| labour_amount * (1.0 + resources::LABOUR_GROWTH).powi(y as i32))
                .collect(),
        )
    } else {
        ResourceAmount::Constant(labour_amount)
    };
    resources.push(Resource {
        name: LABOUR.to_owned(),
        amount,
    });

    if config.land {
        let land = resources::land(&layout, &sectors, seed);
        let land_needed = random::sum(n, |k| land[k] * x[k]);
        let amount = ResourceAmount::Constant(resources::offered(land_needed, &mut global));
        resources.push(Resource {
            name: "land".to_owned(),
            amount,
        });
        resource_use.push(land);
    }

    // Filling an id index is sequential: fill both at once.
    let (product_ids, technique_ids) = rayon::join(
        || id_list(n, |i| structure::numbered_id('p', i, None)),
        || id_list(layout.techniques(), |k| layout.id(k)),
    );
    let mut products = Products {
        ids: product_ids,
        names: None,
        groups: Some(
            sectors
                .par_iter()
                .enumerate()
                .map(|(i, &c)| sectors::group_name(c, i))
                .collect(),
        ),
        ..Products::default()
    };
    if config.trade > 0.0 {
        let v = leontief::labour_values(&inputs, &labour[..n]);
        let trade = resources::trade(config.trade, &v, &x, seed);
        let amount = ResourceAmount::Constant(trade.foreign_exchange);
        resources.push(Resource {
            name: "foreign_exchange".to_owned(),
            amount,
        });
        resource_use.push(vec![0.0; layout.techniques()]);
        products.import_price = Some(trade.import_price);
        products.export_price = Some(trade.export_price);
        products.export_limit = Some(trade.export_limit);
    }
    resource_use.insert(0, labour);

    let mut capacity = resources::capacities(&layout, config.capacities, &x, seed);
    let (depreciation, capital) = if years > 1 {
        let capital = resources::capital(&sectors, &capacity, seed);
        let depreciation = resources::depreciation(&capacity, seed);
        resources::room_for_replacement(&layout, &mut capacity, &depreciation, &capital);
        (depreciation, Some(capital))
    } else {
        (vec![0.0; layout.techniques()], None)
    };
    let techniques = Techniques {
        ids: technique_ids,
        product: (0..layout.techniques())
            .into_par_iter()
            .map(|k| layout.product(k))
            .collect(),
        output: (0..layout.techniques())
            .into_par_iter()
            .map(|k| layout.output(k))
            .collect(),
        capacity,
        depreciation,
        resource_use,
    };

    let priorities = if config.priorities {
        sectors::CATEGORIES[..3]
            .iter()
            .map(|&c| c.to_owned())
            .collect()
    } else {
        Vec::new()
    };
    let plan = (years > 1 || config.priorities).then_some(PlanSettings {
        years,
        priorities,
        floor: 0.0,
    });
    let manifest = Manifest {
        format: 1,
        name: format!("Synthetic economy, {n} products (seed {seed})"),
        unit: Some("value".to_owned()),
        base_year: None,
        resources,
        plan,
    };
    let (targets, categories) = sectors::target_rows(&target_draws, &sectors, years);
    Ok(Economy {
        manifest,
        products,
        techniques,
        inputs,
        categories,
        targets,
        capital,
        finance: None,
    })
}

/// The [`IdList`] of `id(0)..id(n - 1)`, ids known to be unique.
fn id_list(n: usize, id: impl Fn(usize) -> String) -> IdList {
    let mut list = IdList::with_capacity(n);
    for i in 0..n {
        list.insert(id(i)).expect("generated ids are unique");
    }
    list
}
