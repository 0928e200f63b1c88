//! The economy package of `FORMAT.md`: read, validated and written exactly.
//!
//! [`read`] loads a package folder into an [`Economy`], checking every file and reporting every
//! problem at once (file, line, column, what is wrong and a hint) rather than the first one;
//! [`validate`] returns that report without the economy; [`write`] writes an economy back so
//! that reading it again gives the same economy.
//!
//! ```no_run
//! # fn main() -> Result<(), chollima_package::PackageError> {
//! let loaded = chollima_package::read(std::path::Path::new("examples/wiod-2011"))?;
//! println!("{} products, {} warnings", loaded.economy.products.len(), loaded.diagnostics.len());
//! chollima_package::write(&loaded.economy, std::path::Path::new("/tmp/copy"))?;
//! # Ok(()) }
//! ```
//!
//! Reading is built for size: `inputs.csv` (one row per nonzero) is parsed in parallel chunks,
//! so a 10^7-row file takes about a second.

mod actuals;
mod demand;
mod manifest;
mod rows;
mod table;
mod triplets;
mod write;

use std::path::{Path, PathBuf};

use chollima_model::{Diagnostics, Economy, Location, SparseColumns};

pub use actuals::{Actual, read_actuals};
pub use demand::read_demand;
pub use write::{push_number, write};

/// What can go wrong reading or writing a package.
#[derive(Debug, thiserror::Error)]
pub enum PackageError {
    /// The package has errors; the diagnostics list all of them (and any warnings).
    #[error("{} has {} error(s)", .path.display(), .diagnostics.count(chollima_model::Severity::Error))]
    Invalid {
        path: PathBuf,
        diagnostics: Diagnostics,
    },
    /// A file could not be written or read.
    #[error("{}: {source}", .path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// A package read without errors, with the warnings and notes found on the way.
#[derive(Debug)]
pub struct Loaded {
    pub economy: Economy,
    pub diagnostics: Diagnostics,
}

/// Reads and validates the package in folder `dir`.
pub fn read(dir: &Path) -> Result<Loaded, PackageError> {
    let (economy, mut diagnostics) = read_all(dir);
    diagnostics.sort();
    match economy {
        Some(economy) if !diagnostics.has_errors() => Ok(Loaded {
            economy,
            diagnostics,
        }),
        _ => Err(PackageError::Invalid {
            path: dir.to_owned(),
            diagnostics,
        }),
    }
}

/// Every problem in the package in folder `dir`, errors first.
pub fn validate(dir: &Path) -> Diagnostics {
    let (_, mut diagnostics) = read_all(dir);
    diagnostics.sort();
    diagnostics
}

fn read_all(dir: &Path) -> (Option<Economy>, Diagnostics) {
    let mut diags = Diagnostics::new();
    if !dir.is_dir() {
        diags
            .error(Location::file(dir), "not a folder")
            .hint("an economy package is a folder with economy.toml, products.csv, techniques.csv, inputs.csv and targets.csv");
        return (None, diags);
    }
    let manifest = manifest::read(&dir.join("economy.toml"), &mut diags);
    let products_path = dir.join("products.csv");
    let techniques_path = dir.join("techniques.csv");
    let inputs_path = dir.join("inputs.csv");
    let targets_path = dir.join("targets.csv");
    // inputs.csv (by far the largest file) is read from disk while products.csv, then
    // techniques.csv and targets.csv, are parsed: those need the products, and parsing inputs
    // needs the techniques.
    let (read_inputs, (products, products_diags, rest)) = rayon::join(
        || {
            let mut d = Diagnostics::new();
            (table::read_bytes(&inputs_path, true, &mut d), d)
        },
        || {
            let mut products_diags = Diagnostics::new();
            let products = rows::read_products(&products_path, &mut products_diags);
            let rest = match (&manifest, &products) {
                (Some(manifest), Some(products)) => Some(rayon::join(
                    || {
                        let mut d = Diagnostics::new();
                        (
                            rows::read_techniques(&techniques_path, manifest, products, &mut d),
                            d,
                        )
                    },
                    || {
                        let mut d = Diagnostics::new();
                        let years = manifest.plan_settings().years;
                        (
                            rows::read_targets(&targets_path, products, years, &mut d),
                            d,
                        )
                    },
                )),
                _ => None,
            };
            (products, products_diags, rest)
        },
    );
    table::cap(products_diags, &products_path, &mut diags);
    let (Some(manifest), Some(products), Some(rest)) = (manifest, products, rest) else {
        return (None, diags);
    };
    let ((techniques, technique_diags), (targets, target_diags)) = rest;
    let (input_bytes, input_diags) = read_inputs;
    table::cap(technique_diags, &techniques_path, &mut diags);
    diags.extend(input_diags);
    table::cap(target_diags, &targets_path, &mut diags);
    let Some(techniques) = techniques else {
        return (None, diags);
    };
    let inputs = input_bytes.and_then(|bytes| {
        triplets::parse(
            &bytes,
            &inputs_path,
            &triplets::INPUTS,
            &techniques.ids,
            &products.ids,
            &mut diags,
        )
    });
    let capital_path = dir.join("capital.csv");
    let capital = if capital_path.exists() {
        match triplets::read(
            &capital_path,
            &triplets::CAPITAL,
            &techniques.ids,
            &products.ids,
            false,
            &mut diags,
        ) {
            Some(k) => Some(k),
            None => return (None, diags),
        }
    } else {
        None
    };
    let finance_path = dir.join("finance.csv");
    let finance = finance_path.exists().then(|| {
        let mut d = Diagnostics::new();
        let years = manifest.plan_settings().years;
        let rows = rows::read_finance(&finance_path, years, &mut d);
        table::cap(d, &finance_path, &mut diags);
        rows
    });
    let inputs = inputs.unwrap_or_else(|| SparseColumns::empty(products.len(), techniques.len()));
    let mut economy = Economy::new(manifest, products, techniques, inputs);
    economy.capital = capital;
    economy.finance = finance;
    economy.categories = targets.categories;
    economy.targets = targets.targets;
    cross_check(dir, &economy, &mut diags);
    (Some(economy), diags)
}

/// Checks that span files: priorities name used categories, products can be had somehow, and
/// the multi-year parts fit the plan length.
fn cross_check(dir: &Path, economy: &Economy, diags: &mut Diagnostics) {
    let toml = dir.join("economy.toml");
    let plan = economy.manifest.plan_settings();
    for p in &plan.priorities {
        if !economy.categories.contains(p) {
            diags
                .warning(
                    Location::file(&toml),
                    format!("priority `{p}` names no category in targets.csv"),
                )
                .hint("check the spelling against targets.csv's `category` column");
        }
    }
    let made = economy.techniques_per_product();
    let importable = |i: usize| {
        economy
            .products
            .import_price
            .as_ref()
            .is_some_and(|prices| prices[i].is_some())
    };
    let unmade: Vec<&str> = (0..economy.products.len())
        .filter(|&i| made[i] == 0 && !importable(i))
        .map(|i| &economy.products.ids[i])
        .collect();
    if !unmade.is_empty() {
        let shown: Vec<&str> = unmade.iter().take(5).copied().collect();
        diags
            .warning(
                Location::file(dir.join("techniques.csv")),
                format!(
                    "{} product(s) have no technique and no import price, so nothing can supply them: {}{}",
                    unmade.len(),
                    shown.join(", "),
                    if unmade.len() > 5 { ", ..." } else { "" }
                ),
            )
            .hint("add a technique for each, or an import_price in products.csv");
    }
    if economy.finance.is_some()
        && let Some(declared) = economy
            .manifest
            .resources
            .iter()
            .find(|r| r.name == "foreign_exchange")
    {
        diags
            .warning(
                Location::file(&toml),
                format!(
                    "[resources] foreign_exchange ({}) is not used: finance.csv gives each year's \
                     foreign exchange",
                    declared.amount.in_year(1)
                ),
            )
            .hint("remove foreign_exchange from economy.toml, or list it in finance.csv");
    }
    if economy.capital.is_some() && plan.years == 1 {
        diags
            .warning(
                Location::file(dir.join("capital.csv")),
                "capital.csv is only used by multi-year plans",
            )
            .hint("set [plan] years in economy.toml to use it");
    }
}

#[cfg(test)]
mod tests;
