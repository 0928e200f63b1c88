//! `pymrio`: a folder written by pymrio's `save_all` in text format (EXIOBASE, OECD, Eora, ...).
//!
//! pymrio writes tab-separated `.txt` files with multi-row headers and several index columns,
//! described by `file_parameters.json` (`files.<name>.name`, `nr_index_col`, `nr_header`);
//! after a header of two or more rows comes a row of index names, which is skipped. When
//! `file_parameters.json` is missing, `Z.txt`, `A.txt`, `Y.txt` and `x.txt` with two index
//! columns and two header rows (one for `x`) are assumed (reported).
//!
//! * Products are `REGION_sector`: the index levels of a row joined with `_` (characters that
//!   FORMAT.md forbids in ids replaced, reported); groups are the regions.
//! * `A`: by default ([`PymrioCoefficients::Auto`]) `A.txt` when present, read exactly as
//!   pymrio computed it, else `Z / x` from `Z.txt` and `x.txt` (a sector with `x = 0` gets a
//!   zero column, as pymrio's `calc_A` does; reported).
//! * Column labels of `A`/`Z` (the header rows joined with `_`) and row labels of `Y` and `x`
//!   must be the products in the same order; every mismatch is an error.
//! * Final demand: `Y`'s columns by their last header level (pymrio's `category`: "Final
//!   consumption expenditure by households", ..., "Export"), merged over regions into target
//!   categories (see [`crate::final_demand`]); negatives netted per product.
//! * `unit.txt`, when present and the same for every sector, gives the unit.
//! * Satellite accounts (`factor_inputs/`, `emissions/`, ...) are not read (reported).

use std::path::{Path, PathBuf};

use chollima_model::{Diagnostics, Location};

use crate::build::{self, Parts};
use crate::final_demand::{self, CategoryMapping, ColumnCategories};
use crate::iot::invalid;
use crate::table::{Layout, Table, read_bytes, read_table};
use crate::{ImportError, Imported, bail_if_errors};

/// Where `A` comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PymrioCoefficients {
    /// `A.txt` when present, else `Z / x` (default).
    #[default]
    Auto,
    /// `A.txt`.
    FromA,
    /// `Z.txt / x.txt`.
    FromZ,
}

/// Options of [`import_pymrio`].
#[derive(Debug, Clone, Default)]
pub struct PymrioOptions {
    pub coefficients: PymrioCoefficients,
    /// A `column,category` CSV deciding the category of final-demand columns (by category label).
    pub category_mapping: Option<PathBuf>,
    /// The economy's name; default `pymrio FOLDER`.
    pub name: Option<String>,
}

/// One file of `file_parameters.json`.
struct FileSpec {
    name: String,
    layout: Layout,
}

fn file_specs(
    dir: &Path,
    report: &mut Diagnostics,
) -> Result<Option<serde_json::Value>, ImportError> {
    let path = dir.join("file_parameters.json");
    if !path.is_file() {
        report.note(Location::file(&path), "no file_parameters.json: Z.txt, A.txt, Y.txt, x.txt with 2 index columns and 2 header rows (x: 1) assumed");
        return Ok(None);
    }
    let Some(bytes) = read_bytes(&path, "", report)? else {
        return Ok(None);
    };
    match serde_json::from_slice::<serde_json::Value>(&bytes) {
        Ok(v) => Ok(Some(v)),
        Err(e) => {
            report
                .error(
                    Location::at(&path, e.line(), e.column()),
                    format!("not valid JSON: {e}"),
                )
                .hint(
                    "file_parameters.json is written by pymrio's save_all; save the system again",
                );
            Ok(None)
        }
    }
}

fn spec(params: Option<&serde_json::Value>, key: &str) -> FileSpec {
    let entry = params.and_then(|p| p.get("files")).and_then(|f| f.get(key));
    let number = |field: &str, default: usize| {
        entry
            .and_then(|e| e.get(field))
            .and_then(|v| {
                v.as_u64()
                    .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
            })
            .map_or(default, |v| v as usize)
    };
    let name = entry
        .and_then(|e| e.get("name"))
        .and_then(|v| v.as_str())
        .map_or(format!("{key}.txt"), String::from);
    let header_rows = number("nr_header", if key == "x" || key == "unit" { 1 } else { 2 }).max(1);
    FileSpec {
        name,
        layout: Layout {
            delimiter: b'\t',
            header_rows,
            label_cols: number("nr_index_col", 2).max(1),
        },
    }
}

fn row_id(t: &Table, i: usize) -> String {
    (0..t.label_cols)
        .map(|k| t.label(i, k))
        .collect::<Vec<_>>()
        .join("_")
}

fn col_id(t: &Table, j: usize) -> String {
    t.headers
        .iter()
        .map(|h| h[j].as_str())
        .collect::<Vec<_>>()
        .join("_")
}

/// Checks that rows (and, when `columns`, columns) of `t` are `labels` in order.
fn check_labels(labels: &[String], t: &Table, columns: bool, report: &mut Diagnostics) {
    let (count, what) = if columns {
        (t.ncols, "columns")
    } else {
        (t.nrows(), "rows")
    };
    if count != labels.len() {
        report
            .error(
                Location::file(&t.file),
                format!("{count} {what}, but x.txt has {} sectors", labels.len()),
            )
            .hint("all tables of a pymrio system list the same sectors in the same order");
        return;
    }
    let mut shown = 0;
    for (k, label) in labels.iter().enumerate() {
        let (got, at) = if columns {
            (col_id(t, k), t.header_location(k))
        } else {
            (row_id(t, k), Location::at(&t.file, t.lines[k], 1))
        };
        if got != *label {
            shown += 1;
            if shown <= 20 {
                report
                    .error(at, format!("`{got}` where x.txt has `{label}`"))
                    .hint("all tables of a pymrio system list the same sectors in the same order");
            }
        }
    }
}

/// Imports a pymrio `save_all` folder.
pub fn import_pymrio(dir: &Path, options: &PymrioOptions) -> Result<Imported, ImportError> {
    let mut report = Diagnostics::new();
    let mapping = CategoryMapping::read_optional(options.category_mapping.as_deref())?;
    let params = file_specs(dir, &mut report)?;
    let what = "a pymrio system saved with save_all(format='txt')";
    let (x_spec, y_spec, a_spec, z_spec) = (
        spec(params.as_ref(), "x"),
        spec(params.as_ref(), "Y"),
        spec(params.as_ref(), "A"),
        spec(params.as_ref(), "Z"),
    );
    let use_a = match options.coefficients {
        PymrioCoefficients::Auto => dir.join(&a_spec.name).is_file(),
        PymrioCoefficients::FromA => true,
        PymrioCoefficients::FromZ => false,
    };
    let m_spec = if use_a { &a_spec } else { &z_spec };
    let x = read_table(&dir.join(&x_spec.name), x_spec.layout, what, &mut report)?;
    let y = read_table(&dir.join(&y_spec.name), y_spec.layout, what, &mut report)?;
    let m = read_table(&dir.join(&m_spec.name), m_spec.layout, what, &mut report)?;
    let (Some(x), Some(y), Some(m)) = (x, y, m) else {
        return Err(invalid(report));
    };
    let labels: Vec<String> = (0..x.nrows()).map(|i| row_id(&x, i)).collect();
    check_labels(&labels, &m, false, &mut report);
    check_labels(&labels, &m, true, &mut report);
    check_labels(&labels, &y, false, &mut report);
    bail_if_errors(&mut report)?;
    let ids = build::product_ids(
        &labels,
        |i| Location::at(&x.file, x.lines[i], 1),
        &mut report,
    );
    let output = crate::iot::gross_output(&x, &mut report);
    bail_if_errors(&mut report)?;
    let n = ids.len();
    let identity: Vec<Option<u32>> = (0..n as u32).map(Some).collect();
    let inputs = if use_a {
        report.note(Location::file(&m.file), "A read exactly from A.txt");
        build::table_to_columns(&m, &identity, &identity, n, None, &ids, &mut report)
    } else {
        report.note(Location::file(&m.file), "A = Z / x from Z.txt and x.txt");
        build::table_to_columns(
            &m,
            &identity,
            &identity,
            n,
            Some(&output),
            &ids,
            &mut report,
        )
    };
    bail_if_errors(&mut report)?;

    // Final demand by category (the last header level), merged over regions.
    let categories: Vec<&str> = (0..y.ncols)
        .map(|j| y.headers[y.headers.len() - 1][j].as_str())
        .collect();
    let location = Location::line(&y.file, y.headers.len());
    let cats = ColumnCategories::assign(&categories, mapping.as_ref(), &location, &mut report);
    let mut demand = cats.demand(n);
    let mut left_out = vec![0.0; y.ncols];
    let mut balance = vec![0.0; n];
    for i in 0..n {
        let (cols, vals) = y.row(i);
        for (&c, &v) in cols.iter().zip(vals) {
            balance[i] += v;
            match cats.of_column[c as usize] {
                Some(k) => demand.values[k][i] += v,
                None => left_out[c as usize] += v,
            }
        }
    }
    final_demand::report_left_out(&categories, &left_out, &cats, &location, &mut report);
    final_demand::net_negatives(&mut demand, &ids, |p| y.row_location(p), &mut report);
    for (r, c, v) in inputs.iter() {
        balance[r] += v * output[c];
    }
    build::report_imbalance(
        "row balance (A x + Y 1 against x)",
        &ids,
        &balance,
        &output,
        &Location::file(&x.file),
        &mut report,
    );
    build::check_productive(&inputs, &ids, &Location::file(&m.file), &mut report);
    let unit = unit(&dir.join(spec(params.as_ref(), "unit").name), &mut report)?;
    let satellites: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .filter(|e| e.path().is_dir())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    if !satellites.is_empty() {
        report.note(
            Location::file(dir),
            format!("satellite accounts not read: {}", satellites.join(", ")),
        );
    }
    let groups = (x.label_cols > 1).then(|| (0..n).map(|i| x.label(i, 0).to_string()).collect());
    let parts = Parts {
        name: options
            .name
            .clone()
            .unwrap_or_else(|| format!("pymrio {}", dir.display())),
        unit,
        base_year: None,
        ids,
        names: None,
        groups,
        inputs,
        demand,
    };
    Ok(build::symmetric(parts, &output, report))
}

/// The unit when `unit.txt` gives the same one for every sector.
fn unit(path: &Path, report: &mut Diagnostics) -> Result<Option<String>, ImportError> {
    if !path.is_file() {
        return Ok(None);
    }
    let Some(rows) = crate::table::read_rows(path, b'\t', "", report)? else {
        return Ok(None);
    };
    let mut units: Vec<&str> = rows
        .iter()
        .skip(1)
        .filter_map(|(_, f)| f.last().map(String::as_str))
        .collect();
    units.sort_unstable();
    units.dedup();
    match units.as_slice() {
        [one] => Ok(Some(one.to_string())),
        _ => {
            report.note(
                Location::file(path),
                format!(
                    "sectors have different units ({}): no unit set",
                    units.join(", ")
                ),
            );
            Ok(None)
        }
    }
}
