//! `ons`: the UK ONS input-output analytical tables (`data/uk_ons_2010`).
//!
//! Files, in the folder given:
//!
//! * `A_pxp.csv`: the published product-by-product coefficient matrix (127 products; its extra
//!   rows "Total consumption", "Imported goods and services", taxes, "Compensation of
//!   employees", "Gross Operating Surplus", "Total output" are primary-input coefficients and
//!   totals, reported and not used);
//! * `iot_domestic_pxp.csv`: the domestic product-by-product table at basic prices: intermediate
//!   flows, then "Total intermediate demand", the final-demand columns (Households, NPISH,
//!   Central and Local government, GFCF, Valuables, Changes in inventories, Exports of goods and
//!   of services) and "Total demand"; below the products, the primary-input rows and
//!   "Total output";
//! * `row_labels.csv` (optional): product names.
//!
//! **Which A.** By default ([`OnsCoefficients::Published`]) `A` is `A_pxp.csv`, read exactly
//! (every cell parsed to the nearest f64, nothing rounded or recomputed): it is the matrix ONS
//! published and whose inverse `L_pxp_published.csv` is, so the imported economy reproduces the
//! published multipliers. [`OnsCoefficients::FromTable`] computes `Z / x` from
//! `iot_domestic_pxp.csv` instead (the flows divided by the "Total output" row); for 2010 the two
//! agree to about 1e-15, and the import reports the largest difference either way.
//!
//! Final demand always comes from `iot_domestic_pxp.csv`'s final-demand columns; "Total ..."
//! columns are totals (checked and not used). Negative cells (changes in inventories, valuables)
//! are netted per product (see [`crate::final_demand`]). Row and column balances of the table
//! are reported.

use std::path::{Path, PathBuf};

use chollima_model::{Diagnostics, Location};
use rustc_hash::FxHashMap;

use crate::build::{self, Parts};
use crate::final_demand::{self, CategoryMapping, ColumnCategories};
use crate::iot::invalid;
use crate::table::{Layout, Table, read_rows, read_table};
use crate::{ImportError, Imported, bail_if_errors};

/// Where `A` comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OnsCoefficients {
    /// `A_pxp.csv` exactly as published (default).
    #[default]
    Published,
    /// `Z / x` from `iot_domestic_pxp.csv`.
    FromTable,
}

/// Options of [`import_ons`].
#[derive(Debug, Clone, Default)]
pub struct OnsOptions {
    pub coefficients: OnsCoefficients,
    /// A `column,category` CSV deciding the category of final-demand columns.
    pub category_mapping: Option<PathBuf>,
    /// The economy's name; default "UK input-output analytical tables".
    pub name: Option<String>,
    /// Base year; default: a year in the folder's name (`uk_ons_2010`).
    pub base_year: Option<i64>,
}

const FILES: &str = "the ons importer needs A_pxp.csv and iot_domestic_pxp.csv (row_labels.csv optional) in the folder";

/// Imports the ONS analytical tables from a folder.
pub fn import_ons(dir: &Path, options: &OnsOptions) -> Result<Imported, ImportError> {
    let mut report = Diagnostics::new();
    let mapping = CategoryMapping::read_optional(options.category_mapping.as_deref())?;
    let a = match options.coefficients {
        OnsCoefficients::Published => {
            read_table(&dir.join("A_pxp.csv"), Layout::CSV, FILES, &mut report)?
        }
        OnsCoefficients::FromTable => None,
    };
    let iot = read_table(
        &dir.join("iot_domestic_pxp.csv"),
        Layout::CSV,
        FILES,
        &mut report,
    )?;
    let Some(iot) = iot else {
        return Err(invalid(report));
    };
    if options.coefficients == OnsCoefficients::Published && a.is_none() {
        return Err(invalid(report));
    }
    // Products: the columns of A (or the product columns of the table: those before the first
    // totals column).
    let labels: Vec<String> = match &a {
        Some(a) => (0..a.ncols).map(|j| a.col_label(j).to_string()).collect(),
        None => (0..iot.ncols)
            .map(|j| iot.col_label(j))
            .take_while(|l| !build::is_total_label(l))
            .map(String::from)
            .collect(),
    };
    let ids = build::product_ids(
        &labels,
        |j| Location::at(dir.join("A_pxp.csv"), 1, j + 2),
        &mut report,
    );
    bail_if_errors(&mut report)?;
    let n = ids.len();
    let index: FxHashMap<&str, u32> = ids
        .iter()
        .enumerate()
        .map(|(k, id)| (id.as_str(), k as u32))
        .collect();

    let iot_rows = map_rows(&iot, &index, &ids, &mut report);
    let iot_cols: Vec<Option<u32>> = (0..iot.ncols)
        .map(|j| index.get(iot.col_label(j)).copied())
        .collect();
    let total_output_row =
        (0..iot.nrows()).find(|&i| iot.row_label(i).eq_ignore_ascii_case("total output"));
    let Some(total_output_row) = total_output_row else {
        report
            .error(Location::file(&iot.file), "no `Total output` row")
            .hint("the gross output of each product is read from the `Total output` row");
        return Err(invalid(report));
    };
    let mut output = vec![0.0; n];
    for (j, pc) in iot_cols.iter().enumerate() {
        if let Some(p) = pc {
            output[*p as usize] = iot.get(total_output_row, j);
        }
    }
    bail_if_errors(&mut report)?;

    let flows_a = build::table_to_columns(
        &iot,
        &iot_rows,
        &iot_cols,
        n,
        Some(&output),
        &ids,
        &mut Diagnostics::new(),
    );
    let inputs = match &a {
        Some(a) => {
            let a_rows = map_rows(a, &index, &ids, &mut report);
            let a_cols: Vec<Option<u32>> = (0..a.ncols).map(|j| Some(j as u32)).collect();
            let inputs = build::table_to_columns(a, &a_rows, &a_cols, n, None, &ids, &mut report);
            let diff = largest_difference(&inputs, &flows_a);
            report.note(
                Location::file(&a.file),
                format!("A read exactly as published; it differs from Z / x of iot_domestic_pxp.csv by at most {diff:e}"),
            );
            inputs
        }
        None => {
            let inputs = build::table_to_columns(
                &iot,
                &iot_rows,
                &iot_cols,
                n,
                Some(&output),
                &ids,
                &mut report,
            );
            report.note(
                Location::file(&iot.file),
                "A computed as Z / x from iot_domestic_pxp.csv (x: the `Total output` row)",
            );
            inputs
        }
    };
    bail_if_errors(&mut report)?;

    // Final demand: the columns that are neither products nor totals.
    let fd_cols: Vec<usize> = (0..iot.ncols)
        .filter(|&j| iot_cols[j].is_none() && !build::is_total_label(iot.col_label(j)))
        .collect();
    let intermediate: Vec<usize> = (0..iot.ncols).filter(|&j| iot_cols[j].is_some()).collect();
    let product_rows: Vec<usize> = (0..iot.nrows())
        .filter(|&r| iot_rows[r].is_some())
        .collect();
    let all: Vec<usize> = intermediate.iter().chain(&fd_cols).copied().collect();
    let candidates = [
        ("intermediate", intermediate.clone()),
        ("final-demand", fd_cols.clone()),
        ("intermediate and final-demand", all),
    ];
    for j in
        (0..iot.ncols).filter(|&j| iot_cols[j].is_none() && build::is_total_label(iot.col_label(j)))
    {
        build::check_total_column(&iot, j, &product_rows, &candidates, &mut report);
    }
    let fd_labels: Vec<&str> = fd_cols.iter().map(|&j| iot.col_label(j)).collect();
    let location = Location::line(&iot.file, 1);
    let cats = ColumnCategories::assign(&fd_labels, mapping.as_ref(), &location, &mut report);
    let mut demand = cats.demand(n);
    let mut left_out = vec![0.0; fd_cols.len()];
    let mut product_line = vec![0usize; n];
    let mut balance = vec![0.0; n];
    for (r, pr) in iot_rows.iter().enumerate() {
        let Some(p) = pr else { continue };
        let p = *p as usize;
        product_line[p] = r;
        for (k, &j) in fd_cols.iter().enumerate() {
            let v = iot.get(r, j);
            balance[p] += v;
            match cats.of_column[k] {
                Some(c) => demand.values[c][p] += v,
                None => left_out[k] += v,
            }
        }
        balance[p] += intermediate.iter().map(|&j| iot.get(r, j)).sum::<f64>();
    }
    final_demand::report_left_out(&fd_labels, &left_out, &cats, &location, &mut report);
    final_demand::net_negatives(
        &mut demand,
        &ids,
        |p| iot.row_location(product_line[p]),
        &mut report,
    );

    let table_location = Location::file(&iot.file);
    build::report_imbalance(
        "row balance (intermediate + final demand against Total output)",
        &ids,
        &balance,
        &output,
        &table_location,
        &mut report,
    );
    let mut column_sums = vec![0.0; n];
    for r in 0..iot.nrows() {
        let label = iot.row_label(r);
        if r == total_output_row || (iot_rows[r].is_none() && build::is_total_label(label)) {
            continue;
        }
        for (j, pc) in iot_cols.iter().enumerate() {
            if let Some(p) = pc {
                column_sums[*p as usize] += iot.get(r, j);
            }
        }
    }
    build::report_imbalance(
        "column balance (inputs + imports + taxes + value added against Total output)",
        &ids,
        &column_sums,
        &output,
        &table_location,
        &mut report,
    );
    build::check_productive(&inputs, &ids, &table_location, &mut report);

    let names = product_names(&dir.join("row_labels.csv"), &ids, &mut report)?;
    let folder = dir
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    let base_year = options.base_year.or_else(|| {
        folder
            .rsplit(|c: char| !c.is_ascii_digit())
            .find_map(|t| t.parse::<i64>().ok().filter(|y| (1900..2200).contains(y)))
    });
    let parts = Parts {
        name: options
            .name
            .clone()
            .unwrap_or_else(|| "UK input-output analytical tables".to_string()),
        unit: Some("£ million".to_string()),
        base_year,
        ids,
        names,
        groups: None,
        inputs,
        demand,
    };
    Ok(build::symmetric(parts, &output, report))
}

/// Maps the rows of `table` to products; rows that are not products are reported once.
fn map_rows(
    table: &Table,
    index: &FxHashMap<&str, u32>,
    ids: &[String],
    report: &mut Diagnostics,
) -> Vec<Option<u32>> {
    let rows: Vec<Option<u32>> = (0..table.nrows())
        .map(|r| index.get(table.row_label(r)).copied())
        .collect();
    let others: Vec<&str> = (0..table.nrows())
        .filter(|&r| rows[r].is_none())
        .map(|r| table.row_label(r))
        .collect();
    if !others.is_empty() {
        report.note(
            Location::file(&table.file),
            format!(
                "{} rows are not products (primary inputs and totals), not used as inputs: {}",
                others.len(),
                others.join(", ")
            ),
        );
    }
    for (k, id) in ids.iter().enumerate() {
        if !rows.contains(&Some(k as u32)) {
            report
                .error(
                    Location::file(&table.file),
                    format!("product `{id}` has no row"),
                )
                .hint("every product column needs a row with the same label");
        }
    }
    rows
}

fn largest_difference(a: &chollima_model::SparseColumns, b: &chollima_model::SparseColumns) -> f64 {
    let mut largest = 0.0f64;
    for (r, c, v) in a.iter() {
        largest = largest.max((v - b.get(r, c)).abs());
    }
    for (r, c, v) in b.iter() {
        largest = largest.max((v - a.get(r, c)).abs());
    }
    largest
}

/// Names from a `code,name` file; products without a name keep their id (reported).
pub(crate) fn product_names(
    path: &Path,
    ids: &[String],
    report: &mut Diagnostics,
) -> Result<Option<Vec<String>>, ImportError> {
    if !path.exists() {
        report.note(
            Location::file(path),
            "no names file: products are named by their ids",
        );
        return Ok(None);
    }
    let Some(rows) = read_rows(path, b',', "a code,name CSV", report)? else {
        return Ok(None);
    };
    let mut names: FxHashMap<&str, &str> = FxHashMap::default();
    for (_, fields) in rows.iter().skip(1) {
        if fields.len() >= 2 {
            names.insert(
                fields[fields.len() - 2].as_str(),
                fields[fields.len() - 1].as_str(),
            );
        }
    }
    let mut missing = Vec::new();
    let out: Vec<String> = ids
        .iter()
        .map(|id| match names.get(id.as_str()) {
            Some(name) => name.to_string(),
            None => {
                missing.push(id.as_str());
                String::new()
            }
        })
        .collect();
    if !missing.is_empty() {
        report.note(
            Location::file(path),
            format!(
                "{} products have no name here: {}",
                missing.len(),
                missing.join(", ")
            ),
        );
    }
    Ok(Some(out))
}
