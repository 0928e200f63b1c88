//! `iot`: a symmetric input-output table as a folder of `Z.csv`, `Y.csv` and `x.csv`.
//!
//! The layout of WIOD 2013 as the R package `wiod` gives it (`data/wiod2013/2011`): `Z.csv` the
//! n x n intermediate flows (first row: column labels; first column: row labels), `Y.csv` the
//! n x m final demand, `x.csv` the gross output (first numeric column). Labels of `Z`'s rows,
//! `Z`'s columns, `Y`'s rows and `x`'s rows must agree, in the same order.
//!
//! * `A = Z / x` column by column, with `x` as given (not recomputed from the rows, which do not
//!   balance exactly after rounding); built as sparse columns straight from the rows of `Z`.
//! * A sector with `x = 0` gets a zero column (as pymrio does): each one is reported, and
//!   listed together (22 in WIOD 2011). Negative `x` is an error.
//! * Negative flows in `Z` are set to 0 and reported cell by cell.
//! * Final demand becomes targets: one category per kind of final-demand column
//!   (`REG_c37_hh` households, `c38_npish`, `c39_gov` government, `c41_gfcf` investment,
//!   `c42_inv` inventories; see [`crate::final_demand`]), or as [`IotOptions::category_mapping`]
//!   says. Negative cells are netted per product (see [`crate::final_demand`]); every adjusted
//!   product is reported.
//! * A `Y` column whose label starts with "Total" is a totals column: checked against the sum
//!   of the others, reported and not used.
//! * Row balance `Z 1 + Y 1` against `x` is reported (largest relative differences); there are
//!   no value-added rows in this layout, so column balance is not checked (reported).
//! * Products are the row labels; the group of `REG_cN` is `REG` when every label has a `_`.

use std::path::{Path, PathBuf};

use chollima_model::{Diagnostics, Location};

use crate::build::{self, Parts};
use crate::final_demand::{self, CategoryMapping, ColumnCategories};
use crate::table::{Layout, Table, read_table};
use crate::{ImportError, Imported, bail_if_errors};

/// Options of [`import_iot`].
#[derive(Debug, Clone, Default)]
pub struct IotOptions {
    /// A `column,category` CSV deciding the category of final-demand columns.
    pub category_mapping: Option<PathBuf>,
    /// The economy's name; default `Input-output table FOLDER`.
    pub name: Option<String>,
    /// The unit of the table (free text, e.g. "US$ million").
    pub unit: Option<String>,
    /// Base year; default: the folder's name when it is a year (`wiod2013/2011`).
    pub base_year: Option<i64>,
}

const FILES: &str = "the iot importer needs Z.csv (intermediate flows), Y.csv (final demand) and x.csv (gross output) in the folder";

/// Imports a symmetric table from a folder with `Z.csv`, `Y.csv` and `x.csv`.
pub fn import_iot(dir: &Path, options: &IotOptions) -> Result<Imported, ImportError> {
    let mut report = Diagnostics::new();
    let mapping = CategoryMapping::read_optional(options.category_mapping.as_deref())?;
    let z = read_table(&dir.join("Z.csv"), Layout::CSV, FILES, &mut report)?;
    let y = read_table(&dir.join("Y.csv"), Layout::CSV, FILES, &mut report)?;
    let x = read_table(&dir.join("x.csv"), Layout::CSV, FILES, &mut report)?;
    let (Some(z), Some(y), Some(x)) = (z, y, x) else {
        return Err(invalid(report));
    };
    let labels = square_labels(&z, &mut report);
    check_row_labels(&labels, &x, "x.csv", &mut report);
    check_row_labels(&labels, &y, "Y.csv", &mut report);
    bail_if_errors(&mut report)?;
    let ids = build::product_ids(&labels, |i| z.row_location(i), &mut report);
    let output = gross_output(&x, &mut report);
    bail_if_errors(&mut report)?;
    let n = ids.len();
    let identity: Vec<Option<u32>> = (0..n as u32).map(Some).collect();
    let inputs = build::table_to_columns(
        &z,
        &identity,
        &identity,
        n,
        Some(&output),
        &ids,
        &mut report,
    );
    bail_if_errors(&mut report)?;
    let demand = symmetric_demand(&y, mapping.as_ref(), &ids, &mut report);

    let mut balance = z.row_sums();
    for (i, b) in balance.iter_mut().enumerate() {
        *b += y.row(i).1.iter().sum::<f64>();
    }
    // Totals columns of Y (if any) are not final demand.
    for j in 0..y.ncols {
        if build::is_total_label(y.col_label(j)) {
            for (i, b) in balance.iter_mut().enumerate() {
                *b -= y.get(i, j);
            }
        }
    }
    let file_location = Location::file(&x.file);
    build::report_imbalance(
        "row balance (Z 1 + Y 1 against x)",
        &ids,
        &balance,
        &output,
        &file_location,
        &mut report,
    );
    report.note(
        Location::file(&z.file),
        "no value-added rows in this layout: column balance not checked",
    );
    build::check_productive(&inputs, &ids, &Location::file(&z.file), &mut report);

    let groups = region_groups(&ids);
    let folder = dir
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    let base_year = options.base_year.or_else(|| {
        folder
            .parse::<i64>()
            .ok()
            .filter(|y| (1800..3000).contains(y))
    });
    let parts = Parts {
        name: options
            .name
            .clone()
            .unwrap_or_else(|| format!("Input-output table {}", dir.display())),
        unit: options.unit.clone(),
        base_year,
        ids,
        names: None,
        groups,
        inputs,
        demand,
    };
    Ok(build::symmetric(parts, &output, report))
}

pub(crate) fn invalid(mut report: Diagnostics) -> ImportError {
    report.sort();
    ImportError::Invalid(report)
}

/// Checks that `Z` is square with the same labels on rows and columns; returns the labels.
pub(crate) fn square_labels(z: &Table, report: &mut Diagnostics) -> Vec<String> {
    let n = z.nrows();
    if z.ncols != n {
        report
            .error(
                Location::line(&z.file, 1),
                format!("Z is not square: {n} rows and {} columns", z.ncols),
            )
            .hint("Z holds the intermediate flows between the same sectors on rows and columns");
    }
    let mut mismatches = 0;
    for j in 0..n.min(z.ncols) {
        if z.col_label(j) != z.row_label(j) {
            mismatches += 1;
            if mismatches <= 20 {
                report
                    .error(
                        z.header_location(j),
                        format!(
                            "column {} is `{}` but row {} is `{}`",
                            j + 1,
                            z.col_label(j),
                            j + 1,
                            z.row_label(j)
                        ),
                    )
                    .hint("rows and columns of Z must list the same sectors in the same order");
            }
        }
    }
    if mismatches > 20 {
        report.error(
            Location::file(&z.file),
            format!(
                "{} more label mismatches between rows and columns",
                mismatches - 20
            ),
        );
    }
    (0..n).map(|i| z.row_label(i).to_string()).collect()
}

/// Checks that the rows of `table` carry `labels`, in order.
pub(crate) fn check_row_labels(
    labels: &[String],
    table: &Table,
    name: &str,
    report: &mut Diagnostics,
) {
    if table.nrows() != labels.len() {
        report
            .error(
                Location::file(&table.file),
                format!("{name} has {} rows, Z has {}", table.nrows(), labels.len()),
            )
            .hint("every table must have one row per sector of Z, in Z's order");
    }
    let mut mismatches = 0;
    for (i, label) in labels.iter().enumerate().take(table.nrows()) {
        if table.row_label(i) != label {
            mismatches += 1;
            if mismatches <= 20 {
                report
                    .error(
                        Location::at(&table.file, table.lines[i], 1),
                        format!(
                            "row {} is `{}`, but Z's row {} is `{label}`",
                            i + 1,
                            table.row_label(i),
                            i + 1
                        ),
                    )
                    .hint("every table must have one row per sector of Z, in Z's order");
            }
        }
    }
    if mismatches > 20 {
        report.error(
            Location::file(&table.file),
            format!("{} more rows whose labels differ from Z's", mismatches - 20),
        );
    }
}

/// Gross output from the first numeric column of `x`; negative values are errors.
pub(crate) fn gross_output(x: &Table, report: &mut Diagnostics) -> Vec<f64> {
    if x.ncols > 1 {
        report.note(
            Location::file(&x.file),
            format!(
                "gross output read from column `{}`; the other columns are not used",
                x.col_label(0)
            ),
        );
    }
    let output = x.dense_col(0);
    for (i, &v) in output.iter().enumerate() {
        if v < 0.0 {
            report
                .error(
                    x.cell_location(i, 0),
                    format!("gross output of `{}` is negative ({v})", x.row_label(i)),
                )
                .hint("gross output must be >= 0");
        }
    }
    output
}

/// Final demand of a symmetric table: rows = products (in order), columns = final-demand
/// columns, totals columns skipped (and checked), negatives netted.
pub(crate) fn symmetric_demand(
    y: &Table,
    mapping: Option<&CategoryMapping>,
    ids: &[String],
    report: &mut Diagnostics,
) -> final_demand::Demand {
    let columns: Vec<usize> = (0..y.ncols)
        .filter(|&j| !build::is_total_label(y.col_label(j)))
        .collect();
    let labels: Vec<&str> = columns.iter().map(|&j| y.col_label(j)).collect();
    let location = Location::line(&y.file, y.headers.len());
    for j in (0..y.ncols).filter(|j| !columns.contains(j)) {
        build::check_total_column(
            y,
            j,
            &(0..y.nrows()).collect::<Vec<_>>(),
            &[("final-demand", columns.clone())],
            report,
        );
    }
    let cats = ColumnCategories::assign(&labels, mapping, &location, report);
    let mut demand = cats.demand(ids.len());
    let mut left_out = vec![0.0; labels.len()];
    let position: Vec<Option<usize>> = (0..y.ncols)
        .map(|j| columns.iter().position(|&c| c == j))
        .collect();
    for i in 0..ids.len().min(y.nrows()) {
        let (cols, vals) = y.row(i);
        for (&c, &v) in cols.iter().zip(vals) {
            if let Some(k) = position[c as usize] {
                match cats.of_column[k] {
                    Some(cat) => demand.values[cat][i] += v,
                    None => left_out[k] += v,
                }
            }
        }
    }
    final_demand::report_left_out(&labels, &left_out, &cats, &location, report);
    final_demand::net_negatives(&mut demand, ids, |p| y.row_location(p), report);
    demand
}

/// `REG` of `REG_sector` labels, when every label has a `_`.
pub(crate) fn region_groups(ids: &[String]) -> Option<Vec<String>> {
    let groups: Option<Vec<String>> = ids
        .iter()
        .map(|id| id.split_once('_').map(|(r, _)| r.to_string()))
        .collect();
    groups.filter(|g| g.iter().any(|r| r != &g[0]))
}
