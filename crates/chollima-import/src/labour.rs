//! Labour: employment by industry becomes the `labour` resource.
//!
//! Sources ([`LabourTable`]):
//!
//! * IBGE `value_added_and_employment.csv`: the row `Fator trabalho (ocupações)`, persons
//!   employed per activity (its `Valor da produção` row is compared with the import's `g`);
//! * WIOD 2016 Socio-Economic Accounts (`usasea.csv`): `EMP` (persons engaged, thousands) or
//!   `H_EMPE` (hours worked by employees, millions) of one year, per industry code (its `GO`
//!   column is compared with the import's `g`).
//!
//! With `L_i` the labour of industry `i` and `g_i` its gross output as imported
//! ([`IndustryMapping::output`]), the per-unit labour of industry `i` is `r_i = L_i / g_i`, and
//! of product `p` `l_p = sum_i r_i M[i][p]` with `M` = [`IndustryMapping::to_products`]: the
//! identity for symmetric tables, `D` under the industry-technology assumption (a product's
//! labour is that of the industries making it, weighted by market share), `C^-1` under the
//! commodity-technology assumption (negative results set to 0, reported). Each technique uses
//! `l_p` times its output per unit of activity, and `[resources] labour` is `sum_i L_i`, so
//! the plan that reproduces gross output uses exactly the labour employed.
//!
//! Industries of the mapping with no labour figure get 0 (a warning lists them); labour of
//! industries the mapping does not know, or of industries with zero output, is reported and
//! not used. An existing `labour` resource is replaced (warning).

use std::path::PathBuf;

use chollima_model::{Diagnostics, Economy, LABOUR, Location, Resource, ResourceAmount};

use crate::build;
use crate::table::{Layout, read_table};
use crate::{ImportError, IndustryMapping, bail_if_errors};

/// Which WIOD SEA variable measures labour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SeaVariable {
    /// `EMP`: persons engaged, thousands (default).
    #[default]
    Emp,
    /// `H_EMPE`: hours worked by employees, millions.
    HEmpe,
}

/// A table of employment by industry.
#[derive(Debug, Clone, PartialEq)]
pub enum LabourTable {
    /// IBGE `value_added_and_employment.csv` (`Fator trabalho (ocupações)`).
    Ibge { path: PathBuf },
    /// WIOD 2016 Socio-Economic Accounts, one year and variable.
    WiodSea {
        path: PathBuf,
        year: i32,
        variable: SeaVariable,
    },
}

/// Employment and the industries of the import it belongs to (from [`crate::Imported::industries`]).
#[derive(Debug, Clone, PartialEq)]
pub struct LabourSource {
    pub table: LabourTable,
    pub industries: IndustryMapping,
}

/// Labour per industry code, and the published gross output where the table has it.
struct Employment {
    file: PathBuf,
    unit: &'static str,
    codes: Vec<String>,
    labour: Vec<f64>,
    output: Option<Vec<f64>>,
}

fn read_employment(
    table: &LabourTable,
    report: &mut Diagnostics,
) -> Result<Option<Employment>, ImportError> {
    match table {
        LabourTable::Ibge { path } => {
            let Some(t) = read_table(
                path,
                Layout::CSV,
                "IBGE value_added_and_employment.csv",
                report,
            )?
            else {
                return Ok(None);
            };
            let find = |prefix: &str| {
                (0..t.nrows()).find(|&r| t.row_label(r).to_lowercase().starts_with(prefix))
            };
            let Some(row) = find("fator trabalho") else {
                report
                    .error(Location::file(path), "no `Fator trabalho (ocupações)` row")
                    .hint("IBGE's employment row is named `Fator trabalho (ocupações)`");
                return Ok(None);
            };
            Ok(Some(Employment {
                file: path.clone(),
                unit: "persons",
                codes: (0..t.ncols).map(|j| t.col_label(j).to_string()).collect(),
                labour: (0..t.ncols).map(|j| t.get(row, j)).collect(),
                output: find("valor da produ").map(|r| (0..t.ncols).map(|j| t.get(r, j)).collect()),
            }))
        }
        LabourTable::WiodSea {
            path,
            year,
            variable,
        } => {
            let layout = Layout {
                delimiter: b',',
                header_rows: 1,
                label_cols: 4,
            };
            let Some(t) = read_table(
                path,
                layout,
                "a WIOD 2016 SEA file (country, description, code, year, ...)",
                report,
            )?
            else {
                return Ok(None);
            };
            let name = match variable {
                SeaVariable::Emp => "EMP",
                SeaVariable::HEmpe => "H_EMPE",
            };
            let column =
                |label: &str| (0..t.ncols).find(|&j| t.col_label(j).eq_ignore_ascii_case(label));
            let Some(col) = column(name) else {
                report
                    .error(Location::line(path, 1), format!("no `{name}` column"))
                    .hint("the Socio-Economic Accounts have EMP and H_EMPE columns");
                return Ok(None);
            };
            let rows: Vec<usize> = (0..t.nrows())
                .filter(|&r| t.label(r, 3).parse::<f64>().ok().map(|y| y as i32) == Some(*year))
                .collect();
            if rows.is_empty() {
                report.error(Location::file(path), format!("no rows for {year}"));
                return Ok(None);
            }
            let go = column("GO");
            Ok(Some(Employment {
                file: path.clone(),
                unit: if *variable == SeaVariable::Emp {
                    "thousand persons"
                } else {
                    "million hours"
                },
                codes: rows.iter().map(|&r| t.label(r, 2).to_string()).collect(),
                labour: rows.iter().map(|&r| t.get(r, col)).collect(),
                output: go.map(|g| rows.iter().map(|&r| t.get(r, g)).collect()),
            }))
        }
    }
}

/// Adds (or replaces) the `labour` resource of `economy` from employment by industry.
pub fn attach_labour(
    economy: &mut Economy,
    source: &LabourSource,
    report: &mut Diagnostics,
) -> Result<(), ImportError> {
    let mut problems = Diagnostics::new();
    let employment = read_employment(&source.table, &mut problems)?;
    let map = &source.industries;
    if map.to_products.ncols() != economy.products.len()
        || map.to_products.nrows() != map.industries.len()
        || map.output.len() != map.industries.len()
    {
        problems
            .error(
                Location::default(),
                format!(
                    "the industry mapping ({} industries, {} outputs, {} x {}) does not fit the economy's {} products",
                    map.industries.len(),
                    map.output.len(),
                    map.to_products.nrows(),
                    map.to_products.ncols(),
                    economy.products.len()
                ),
            )
            .hint("pass the `industries` of the same import");
    }
    bail_if_errors(&mut problems)?;
    let Some(employment) = employment else {
        return Err(crate::iot::invalid(problems));
    };
    report.extend(problems);
    let at = Location::file(&employment.file);
    let index: rustc_hash::FxHashMap<&str, usize> = map
        .industries
        .iter()
        .enumerate()
        .map(|(k, s)| (s.as_str(), k))
        .collect();
    let mut labour = vec![None; map.industries.len()];
    let mut published = map.output.clone();
    let mut unknown = Vec::new();
    for (k, code) in employment.codes.iter().enumerate() {
        match index.get(code.as_str()) {
            Some(&i) => {
                labour[i] = Some(employment.labour[k]);
                if let Some(out) = &employment.output {
                    published[i] = out[k];
                }
            }
            None => unknown.push(format!("{code} ({})", employment.labour[k])),
        }
    }
    if !unknown.is_empty() {
        report.warning(
            at.clone(),
            format!(
                "labour of industries not in the import, not used: {}",
                unknown.join(", ")
            ),
        );
    }
    let missing: Vec<&str> = (0..labour.len())
        .filter(|&i| labour[i].is_none())
        .map(|i| map.industries[i].as_str())
        .collect();
    if !missing.is_empty() {
        report.warning(
            at.clone(),
            format!(
                "no labour figure for {} industries, taken as 0: {}",
                missing.len(),
                missing.join(", ")
            ),
        );
    }
    if employment.output.is_some() {
        build::report_imbalance(
            "gross output: the import's g against the labour table's",
            &map.industries,
            &map.output,
            &published,
            &at,
            report,
        );
    }
    let mut total = 0.0;
    let per_unit: Vec<f64> = (0..labour.len())
        .map(|i| {
            let l = labour[i].unwrap_or(0.0);
            if map.output[i] > 0.0 {
                total += l;
                l / map.output[i]
            } else {
                if l != 0.0 {
                    report.warning(
                        at.clone(),
                        format!(
                            "industry `{}` employs {l} but has no output: not used",
                            map.industries[i]
                        ),
                    );
                }
                0.0
            }
        })
        .collect();
    let mut product = vec![0.0; economy.products.len()];
    let mut negative = Vec::new();
    for (p, value) in product.iter_mut().enumerate() {
        let (rows, shares) = map.to_products.column(p);
        let v: f64 = rows
            .iter()
            .zip(shares)
            .map(|(&i, s)| per_unit[i as usize] * s)
            .sum();
        if v < 0.0 {
            negative.push(format!("{} ({v:.6})", &economy.products.ids[p]));
        } else {
            *value = v;
        }
    }
    if !negative.is_empty() {
        report.warning(
            at.clone(),
            format!(
                "negative labour coefficients (commodity technology) set to 0: {}",
                negative.join(", ")
            ),
        );
    }
    let column: Vec<f64> = (0..economy.techniques.len())
        .map(|k| product[economy.techniques.product[k] as usize] * economy.techniques.output[k])
        .collect();
    let resource = Resource {
        name: LABOUR.to_string(),
        amount: ResourceAmount::Constant(total),
    };
    match economy.manifest.resource_index(LABOUR) {
        Some(r) => {
            report.warning(
                at.clone(),
                "the economy already had a labour resource: replaced",
            );
            economy.manifest.resources[r] = resource;
            economy.techniques.resource_use[r] = column;
        }
        None => {
            economy.manifest.resources.push(resource);
            economy.techniques.resource_use.push(column);
        }
    }
    report.note(
        at,
        format!(
            "labour ({}): {} industries, {total} in all; per-unit coefficient = labour / gross output, mapped to products",
            employment.unit,
            labour.iter().filter(|l| l.is_some()).count()
        ),
    );
    Ok(())
}
