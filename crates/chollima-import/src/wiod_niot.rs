//! `wiod-niot`: a WIOD 2016 national input-output table (`data/wiod2016_niot/usaiot.csv`), one year.
//!
//! The file is long by year: columns `Year`, `Code`, `Description`, `Origin`, then one column
//! per industry (56, ISIC rev. 4 codes), the final-demand columns `CONS_h`, `CONS_np`,
//! `CONS_g`, `GFCF`, `INVEN`, `EXP` and `GO` (gross output).
//!
//! * Rows of the chosen year with `Origin` = `Domestic` are the products (ids: `Code`, names:
//!   `Description`). Rows of other origins (`Imports`) are imported inputs, which the domestic
//!   technology cannot make: reported with their total and not used. A year not in the file is
//!   an error listing the years that are.
//! * `A = Z / GO` with `GO` of each domestic row (a zero `GO` gives a zero column, reported).
//! * Final demand: every column that is neither an industry nor `GO` nor a total, by category
//!   (see [`crate::final_demand`]); negatives (`INVEN`) netted per product.
//! * Row balance `Z 1 + F 1` against `GO` is reported.

use std::path::{Path, PathBuf};

use chollima_model::{Diagnostics, Location};
use rustc_hash::FxHashMap;

use crate::build::{self, Parts};
use crate::final_demand::{self, CategoryMapping, ColumnCategories};
use crate::iot::invalid;
use crate::table::{Layout, read_table};
use crate::{ImportError, Imported, bail_if_errors};

/// Options of [`import_wiod_niot`].
#[derive(Debug, Clone, Default)]
pub struct WiodNiotOptions {
    /// A `column,category` CSV deciding the category of final-demand columns.
    pub category_mapping: Option<PathBuf>,
    /// The economy's name; default `WIOD 2016 national table FILE, YEAR`.
    pub name: Option<String>,
}

/// Imports one year of a WIOD 2016 national input-output table.
pub fn import_wiod_niot(
    file: &Path,
    year: i32,
    options: &WiodNiotOptions,
) -> Result<Imported, ImportError> {
    let mut report = Diagnostics::new();
    let mapping = CategoryMapping::read_optional(options.category_mapping.as_deref())?;
    let layout = Layout {
        delimiter: b',',
        header_rows: 1,
        label_cols: 4,
    };
    let Some(t) = read_table(
        file,
        layout,
        "a WIOD 2016 national table (Year, Code, Description, Origin, industries..., GO)",
        &mut report,
    )?
    else {
        return Err(invalid(report));
    };
    let row_year = |r: usize| t.label(r, 0).parse::<f64>().ok().map(|y| y as i32);
    let rows: Vec<usize> = (0..t.nrows())
        .filter(|&r| row_year(r) == Some(year))
        .collect();
    if rows.is_empty() {
        let mut years: Vec<i32> = (0..t.nrows()).filter_map(row_year).collect();
        years.sort_unstable();
        years.dedup();
        let list: Vec<String> = years.iter().map(i32::to_string).collect();
        report
            .error(Location::file(file), format!("no rows for {year}"))
            .hint(format!("the file has the years {}", list.join(", ")));
        return Err(invalid(report));
    }
    let (domestic, other): (Vec<usize>, Vec<usize>) = rows
        .iter()
        .partition(|&&r| t.label(r, 3).eq_ignore_ascii_case("domestic"));
    let codes: Vec<String> = domestic
        .iter()
        .map(|&r| t.label(r, 1).to_string())
        .collect();
    let ids = build::product_ids(
        &codes,
        |k| Location::at(file, t.lines[domestic[k]], 2),
        &mut report,
    );
    bail_if_errors(&mut report)?;
    let n = ids.len();
    let index: FxHashMap<&str, u32> = ids
        .iter()
        .enumerate()
        .map(|(k, s)| (s.as_str(), k as u32))
        .collect();
    let col_of: Vec<Option<u32>> = (0..t.ncols)
        .map(|j| index.get(t.col_label(j)).copied())
        .collect();
    for (k, id) in ids.iter().enumerate() {
        if !col_of.contains(&Some(k as u32)) {
            report
                .error(
                    Location::line(file, 1),
                    format!("industry `{id}` has no column"),
                )
                .hint("every industry row needs a column with the same code");
        }
    }
    let Some(go) = (0..t.ncols).find(|&j| t.col_label(j).eq_ignore_ascii_case("GO")) else {
        report
            .error(Location::line(file, 1), "no `GO` (gross output) column")
            .hint("WIOD national tables end with a GO column");
        return Err(invalid(report));
    };
    bail_if_errors(&mut report)?;
    if !other.is_empty() {
        let total: f64 = other.iter().map(|&r| t.row(r).1.iter().sum::<f64>()).sum();
        report.note(
            Location::line(file, t.lines[other[0]]),
            format!("{} rows of other origin than Domestic (imported inputs) not used; they hold {total} in all", other.len()),
        );
    }
    let mut row_of = vec![None; t.nrows()];
    for (k, &r) in domestic.iter().enumerate() {
        row_of[r] = Some(k as u32);
    }
    let output: Vec<f64> = domestic.iter().map(|&r| t.get(r, go)).collect();
    for (k, &v) in output.iter().enumerate() {
        if v < 0.0 {
            report.error(
                t.cell_location(domestic[k], go),
                format!("gross output of `{}` is negative ({v})", ids[k]),
            );
        }
    }
    bail_if_errors(&mut report)?;
    let inputs = build::table_to_columns(&t, &row_of, &col_of, n, Some(&output), &ids, &mut report);
    bail_if_errors(&mut report)?;

    let fd_cols: Vec<usize> = (0..t.ncols)
        .filter(|&j| j != go && col_of[j].is_none() && !build::is_total_label(t.col_label(j)))
        .collect();
    let labels: Vec<&str> = fd_cols.iter().map(|&j| t.col_label(j)).collect();
    let location = Location::line(file, 1);
    let cats = ColumnCategories::assign(&labels, mapping.as_ref(), &location, &mut report);
    let mut demand = cats.demand(n);
    let mut left_out = vec![0.0; fd_cols.len()];
    let mut balance = vec![0.0; n];
    for (k, &r) in domestic.iter().enumerate() {
        for (f, &j) in fd_cols.iter().enumerate() {
            let v = t.get(r, j);
            balance[k] += v;
            match cats.of_column[f] {
                Some(c) => demand.values[c][k] += v,
                None => left_out[f] += v,
            }
        }
        for j in (0..t.ncols).filter(|&j| col_of[j].is_some()) {
            balance[k] += t.get(r, j);
        }
    }
    final_demand::report_left_out(&labels, &left_out, &cats, &location, &mut report);
    final_demand::net_negatives(
        &mut demand,
        &ids,
        |k| t.row_location(domestic[k]),
        &mut report,
    );
    build::report_imbalance(
        "row balance (Z 1 + F 1 against GO)",
        &ids,
        &balance,
        &output,
        &Location::file(file),
        &mut report,
    );
    build::check_productive(&inputs, &ids, &Location::file(file), &mut report);
    let names = Some(
        domestic
            .iter()
            .map(|&r| t.label(r, 2).to_string())
            .collect(),
    );
    let parts = Parts {
        name: options
            .name
            .clone()
            .unwrap_or_else(|| format!("WIOD 2016 national table {}, {year}", file.display())),
        unit: Some("US$ million".into()),
        base_year: Some(i64::from(year)),
        ids,
        names,
        groups: None,
        inputs,
        demand,
    };
    Ok(build::symmetric(parts, &output, report))
}
