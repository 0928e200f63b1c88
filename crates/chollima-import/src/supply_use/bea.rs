//! BEA make and use tables (`data/bea`: detail 2017, summary 2012-2022, 2017 schema).
//!
//! **Files.** `sources` are the Make and Use CSVs, or folders holding them. A file whose name
//! contains `Make` is the make table, one containing `Use` the use table; with several use
//! tables (detail: `PRO`, `PUR`, `SUT`) the producers'-prices one (`_PRO_`, consistent with a
//! make table valued at producers' prices) is taken, reported; with several years,
//! [`SupplyUseOptions::year`] picks one. Names come from `*CommodityCodeName*.csv` beside the
//! use table, when there is one.
//!
//! **Make** (industries x commodities): rows are industries, columns commodities. A row or
//! column that is a total (`T007`, `T008`, "Total Commodity Output", "Total Industry Output")
//! is compared with the sums it should equal (differences reported) and not used.
//!
//! **Use** (commodities x industries), recognised by code or label:
//!
//! * columns before the first totals column (`T001`, "Total Intermediate") are industries; the
//!   columns after it are final demand (`F01000` ... `F10S00`, categories by code prefix: see
//!   [`crate::final_demand`]), except further totals (`T004`, `T007`, "Total Final Uses (GDP)",
//!   "Total Commodity Output") and unnamed columns (`NA`, `NA.1` in the detail `PRO` file: R's
//!   placeholder for missing names), which are checked against the sums they may be
//!   (intermediate, final, or both: the detail `NA` is total final uses, `NA.1` total commodity
//!   output) and not used;
//! * rows are commodities, except value-added rows (codes `V001`, `V00100`, ...: compensation,
//!   taxes, gross operating surplus), used only to check each industry's column balance
//!   against the published industry output row (`T008`, "Total Industry Output"), and totals
//!   rows (`T005`, `T006`, `T008`, "Total ..."), checked and not used;
//! * an industry of the use table that the make table does not have makes nothing: its inputs
//!   are dropped (a warning); a commodity of the use table that the make table does not have is
//!   added with no domestic output.
//!
//! The intermediate block has a few negative cells (federal government sales, `S00600`): set to
//! 0 and reported cell by cell. Final demand includes imports (`F05`) as negative amounts, and
//! inventory changes: netted per commodity (see [`crate::final_demand`]); a commodity whose
//! imports exceed its final use (crude oil, `211000`) has a negative total and gets no targets,
//! reported.

use std::path::{Path, PathBuf};

use chollima_model::{Diagnostics, Location};
use rustc_hash::FxHashMap;

use super::{Negatives, SupplyUse, SupplyUseOptions, block, year_in};
use crate::build;
use crate::final_demand::{CategoryMapping, ColumnCategories};
use crate::iot::invalid;
use crate::ons::product_names;
use crate::table::{Layout, Table, read_table};
use crate::{ImportError, bail_if_errors};

const FILES: &str = "the BEA importer needs a Make and a Use table (CSV files whose names contain `Make` and `Use`)";

/// A value-added row: `V` followed by digits.
fn is_value_added(label: &str) -> bool {
    let b = label.trim().as_bytes();
    b.len() >= 2 && (b[0] == b'V' || b[0] == b'v') && b[1..].iter().all(u8::is_ascii_digit)
}

/// Finds the make table, the use table and the names file among `sources`.
fn locate_files(
    sources: &[PathBuf],
    options: &SupplyUseOptions,
    report: &mut Diagnostics,
) -> Option<(PathBuf, PathBuf, Option<PathBuf>)> {
    let mut files = Vec::new();
    for source in sources {
        if source.is_dir() {
            match std::fs::read_dir(source) {
                Ok(entries) => {
                    let mut found: Vec<PathBuf> =
                        entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
                    found.sort();
                    files.extend(found);
                }
                Err(e) => {
                    report.error(
                        Location::file(source),
                        format!("cannot list the folder: {e}"),
                    );
                }
            }
        } else if source.is_file() {
            files.push(source.clone());
        } else {
            report
                .error(Location::file(source), "file not found")
                .hint(FILES);
        }
    }
    let name = |p: &Path| {
        p.file_name()
            .map(|f| f.to_string_lossy().to_lowercase())
            .unwrap_or_default()
    };
    let in_year = |p: &Path| {
        options
            .year
            .is_none_or(|y| name(p).contains(&y.to_string()))
    };
    let make: Vec<&PathBuf> = files
        .iter()
        .filter(|p| name(p).contains("make") && in_year(p))
        .collect();
    let mut uses: Vec<&PathBuf> = files
        .iter()
        .filter(|p| name(p).contains("use") && !name(p).contains("make") && in_year(p))
        .collect();
    if uses.len() > 1 {
        let pro: Vec<&PathBuf> = uses
            .iter()
            .copied()
            .filter(|p| name(p).contains("_pro"))
            .collect();
        if pro.len() == 1 {
            let others: Vec<String> = uses
                .iter()
                .filter(|p| **p != pro[0])
                .map(|p| p.display().to_string())
                .collect();
            report.note(
                Location::file(pro[0]),
                format!(
                    "use table at producers' prices taken; not used: {}",
                    others.join(", ")
                ),
            );
            uses = pro;
        }
    }
    let names = uses.first().and_then(|u| u.parent()).and_then(|dir| {
        let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
            .ok()?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| name(p).contains("commoditycodename"))
            .collect();
        found.sort();
        found.pop()
    });
    for (what, list) in [("make", &make), ("use", &uses)] {
        if list.is_empty() && !report.has_errors() {
            let location = sources.first().map_or(Location::default(), Location::file);
            report
                .error(location, format!("no {what} table among the sources"))
                .hint(FILES);
        } else if list.len() > 1 {
            let shown: Vec<String> = list.iter().map(|p| p.display().to_string()).collect();
            report
                .error(
                    Location::file(list[0]),
                    format!("{} {what} tables: {}", list.len(), shown.join(", ")),
                )
                .hint("pass the two files, or a year (--year) to choose among several years");
        }
    }
    if make.len() == 1 && uses.len() == 1 {
        Some((make[0].clone(), uses[0].clone(), names))
    } else {
        None
    }
}

/// Reads BEA make and use tables into a supply-use system.
pub(crate) fn read(
    sources: &[PathBuf],
    options: &SupplyUseOptions,
    report: &mut Diagnostics,
) -> Result<SupplyUse, ImportError> {
    let mapping = CategoryMapping::read_optional(options.category_mapping.as_deref())?;
    let Some((make_path, use_path, names_path)) = locate_files(sources, options, report) else {
        return Err(invalid(std::mem::take(report)));
    };
    let make = read_table(&make_path, Layout::CSV, FILES, report)?;
    let uses = read_table(&use_path, Layout::CSV, FILES, report)?;
    let (Some(make), Some(uses)) = (make, uses) else {
        return Err(invalid(std::mem::take(report)));
    };

    // Make: industries x commodities, totals recognised.
    let industry_rows: Vec<usize> = (0..make.nrows())
        .filter(|&r| !build::is_total_label(make.row_label(r)))
        .collect();
    let commodity_cols: Vec<usize> = (0..make.ncols)
        .filter(|&c| !build::is_total_label(make.col_label(c)))
        .collect();
    let industries: Vec<String> = industry_rows
        .iter()
        .map(|&r| make.row_label(r).to_string())
        .collect();
    let mut commodities: Vec<String> = commodity_cols
        .iter()
        .map(|&c| make.col_label(c).to_string())
        .collect();
    build::product_ids(&industries, |k| make.row_location(industry_rows[k]), report);
    build::product_ids(
        &commodities,
        |k| make.header_location(commodity_cols[k]),
        report,
    );
    bail_if_errors(report)?;

    // Use: classify columns and rows.
    let first_total = (0..uses.ncols).find(|&c| build::is_total_label(uses.col_label(c)));
    let industry_index: FxHashMap<&str, usize> = industries
        .iter()
        .enumerate()
        .map(|(k, s)| (s.as_str(), k))
        .collect();
    let mut use_cols: Vec<Option<usize>> = vec![None; uses.ncols];
    let mut fd_cols = Vec::new();
    let mut total_cols = Vec::new();
    let mut use_industry_cols = Vec::new();
    for c in 0..uses.ncols {
        let label = uses.col_label(c);
        let is_industry = match first_total {
            Some(t) => c < t && !build::is_total_label(label),
            None => industry_index.contains_key(label),
        };
        if build::is_total_label(label) {
            total_cols.push(c);
        } else if is_industry {
            use_industry_cols.push(c);
            match industry_index.get(label) {
                Some(&k) => use_cols[c] = Some(k),
                None => {
                    report
                        .warning(uses.header_location(c), format!("industry `{label}` is not in the make table: it makes nothing, its inputs are dropped"))
                        .hint("the make and use tables must list the same industries");
                }
            }
        } else {
            fd_cols.push(c);
        }
    }
    for (k, name) in industries.iter().enumerate() {
        if !use_cols.contains(&Some(k)) {
            report.warning(
                Location::file(&uses.file),
                format!(
                    "industry `{name}` of the make table has no column in the use table: no inputs"
                ),
            );
        }
    }
    let mut commodity_index: FxHashMap<String, usize> = commodities
        .iter()
        .enumerate()
        .map(|(k, s)| (s.clone(), k))
        .collect();
    let mut use_rows: Vec<Option<usize>> = vec![None; uses.nrows()];
    let (mut va_rows, mut total_rows, mut commodity_rows) = (Vec::new(), Vec::new(), Vec::new());
    for r in 0..uses.nrows() {
        let label = uses.row_label(r);
        if is_value_added(label) {
            va_rows.push(r);
        } else if build::is_total_label(label) {
            total_rows.push(r);
        } else {
            commodity_rows.push(r);
            let k = match commodity_index.get(label) {
                Some(&k) => k,
                None => {
                    report.warning(uses.row_location(r), format!("commodity `{label}` is not in the make table: added with no domestic output"));
                    commodities.push(label.to_string());
                    commodity_index.insert(label.to_string(), commodities.len() - 1);
                    commodities.len() - 1
                }
            };
            use_rows[r] = Some(k);
        }
    }
    let rows_text = |rows: &[usize]| {
        rows.iter()
            .map(|&r| uses.row_label(r))
            .collect::<Vec<_>>()
            .join(", ")
    };
    report.note(
        Location::file(&uses.file),
        format!(
            "value-added rows used only for checks: {}",
            rows_text(&va_rows)
        ),
    );
    let (nc, ni) = (commodities.len(), industries.len());
    for (k, name) in commodities.iter().enumerate() {
        if !use_rows.contains(&Some(k)) {
            report.note(
                Location::file(&uses.file),
                format!(
                    "commodity `{name}` has no row in the use table: nobody uses it as an input"
                ),
            );
        }
    }

    // The blocks.
    let mut make_rows = vec![None; make.nrows()];
    for (k, &r) in industry_rows.iter().enumerate() {
        make_rows[r] = Some(k);
    }
    let mut make_cols = vec![None; make.ncols];
    for (k, &c) in commodity_cols.iter().enumerate() {
        make_cols[c] = Some(k);
    }
    let v = block(
        &make,
        &make_rows,
        &make_cols,
        (ni, nc),
        Negatives::Zero,
        report,
    );
    let u = block(
        &uses,
        &use_rows,
        &use_cols,
        (nc, ni),
        Negatives::Zero,
        report,
    );
    let fd_labels: Vec<&str> = fd_cols.iter().map(|&c| uses.col_label(c)).collect();
    let location = Location::line(&uses.file, 1);
    let cats = ColumnCategories::assign(&fd_labels, mapping.as_ref(), &location, report);
    let mut demand = cats.demand(nc);
    let mut left_out = vec![0.0; fd_cols.len()];
    let mut demand_rows = vec![Location::file(&uses.file); nc];
    for &r in &commodity_rows {
        let k = use_rows[r].expect("commodity row");
        demand_rows[k] = uses.row_location(r);
        for (f, &c) in fd_cols.iter().enumerate() {
            let value = uses.get(r, c);
            match cats.of_column[f] {
                Some(cat) => demand.values[cat][k] += value,
                None => left_out[f] += value,
            }
        }
    }
    crate::final_demand::report_left_out(&fd_labels, &left_out, &cats, &location, report);
    let mut u = u;
    if let Some(path) = &options.imports {
        let columns = Columns {
            industry: &industry_index,
            fd: &fd_labels,
            cats: &cats,
        };
        domestic(
            path,
            &commodity_index,
            &columns,
            &mut u,
            &mut demand,
            report,
        )?;
    }

    check_totals(
        &make,
        &industry_rows,
        &commodity_cols,
        &industries,
        &commodities,
        &v,
        report,
    );
    let all: Vec<usize> = use_industry_cols.iter().chain(&fd_cols).copied().collect();
    let candidates = [
        ("intermediate", use_industry_cols.clone()),
        ("final-demand", fd_cols.clone()),
        ("intermediate and final-demand", all),
    ];
    for &c in &total_cols {
        build::check_total_column(&uses, c, &commodity_rows, &candidates, report);
    }
    // Industry output: published row of the use table against the make table, and the column
    // balance (intermediate inputs + value added).
    let g = v.row_sums();
    if let Some(&out_row) = total_rows.iter().find(|&&r| {
        let l = uses.row_label(r).to_lowercase();
        l == "t008" || l.contains("industry output")
    }) {
        let mut published = vec![0.0; ni];
        let mut column = vec![0.0; ni];
        for (c, k) in use_cols.iter().enumerate() {
            let Some(k) = k else { continue };
            published[*k] = uses.get(out_row, c);
            column[*k] = commodity_rows
                .iter()
                .chain(&va_rows)
                .map(|&r| uses.get(r, c))
                .sum();
        }
        let at = uses.row_location(out_row);
        build::report_imbalance(
            "industry output: make table row sums against the use table's output row",
            &industries,
            &g,
            &published,
            &at,
            report,
        );
        build::report_imbalance(
            "industry column balance: inputs + value added against the use table's output row",
            &industries,
            &column,
            &published,
            &at,
            report,
        );
    }
    let names = match &names_path {
        Some(p) => product_names(p, &commodities, report)?,
        None => None,
    };
    let stem = use_path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let level = if stem.to_lowercase().starts_with("summary") {
        "summary"
    } else {
        "detail"
    };
    let base_year = year_in(&use_path);
    Ok(SupplyUse {
        name: format!(
            "BEA {level} make and use tables{}",
            base_year.map(|y| format!(", {y}")).unwrap_or_default()
        ),
        unit: "US$ million".into(),
        base_year,
        commodities,
        names,
        industries,
        make: v,
        uses: u,
        demand,
        demand_rows,
        make_location: Location::file(&make.file),
        use_location: Location::file(&uses.file),
    })
}

struct Columns<'a> {
    industry: &'a FxHashMap<&'a str, usize>,
    fd: &'a [&'a str],
    cats: &'a ColumnCategories,
}

/// Takes the import matrix out of the uses: `U - M` and `F - M_F` (domestic requirements).
fn domestic(
    path: &Path,
    commodity_index: &FxHashMap<String, usize>,
    columns: &Columns,
    u: &mut crate::dense::Dense,
    demand: &mut crate::final_demand::Demand,
    report: &mut Diagnostics,
) -> Result<(), ImportError> {
    let Some(m) = read_table(
        path,
        Layout::CSV,
        "the BEA import matrix (Detail_Import_*.csv)",
        report,
    )?
    else {
        return Err(invalid(std::mem::take(report)));
    };
    let (mut intermediate, mut final_uses, mut unmatched) = (0.0, 0.0, 0usize);
    let col_kind: Vec<(Option<usize>, Option<usize>)> = (0..m.ncols)
        .map(|c| {
            let label = m.col_label(c);
            (
                columns.industry.get(label).copied(),
                columns.fd.iter().position(|f| *f == label),
            )
        })
        .collect();
    for r in 0..m.nrows() {
        let Some(&k) = commodity_index.get(m.row_label(r)) else {
            if !build::is_total_label(m.row_label(r)) {
                unmatched += 1;
            }
            continue;
        };
        let (cols, vals) = m.row(r);
        for (&c, &v) in cols.iter().zip(vals) {
            match col_kind[c as usize] {
                (Some(i), _) => {
                    u.add(k, i, -v);
                    intermediate += v;
                }
                (None, Some(f)) => {
                    if let Some(cat) = columns.cats.of_column[f] {
                        demand.values[cat][k] -= v;
                        final_uses += v;
                    }
                }
                _ => {}
            }
        }
    }
    if unmatched > 0 {
        report.warning(Location::file(path), format!("{unmatched} rows of the import matrix are not commodities of the use table: not used"));
    }
    let mut negative = 0usize;
    for x in u.data.iter_mut() {
        if *x < 0.0 {
            negative += 1;
            *x = 0.0;
        }
    }
    if negative > 0 {
        report.warning(
            Location::file(path),
            format!("{negative} intermediate cells where imports exceed the use set to 0"),
        );
    }
    report.note(
        Location::file(path),
        format!("domestic requirements: imports {intermediate} taken out of intermediate use and {final_uses} out of final demand (including the imports column itself)"),
    );
    Ok(())
}

/// Compares the make table's totals row and column with its row and column sums.
fn check_totals(
    make: &Table,
    industry_rows: &[usize],
    commodity_cols: &[usize],
    industries: &[String],
    commodities: &[String],
    v: &crate::dense::Dense,
    report: &mut Diagnostics,
) {
    for r in (0..make.nrows()).filter(|r| !industry_rows.contains(r)) {
        let published: Vec<f64> = commodity_cols.iter().map(|&c| make.get(r, c)).collect();
        let computed = v.col_sums();
        let what = format!(
            "make totals row `{}` (commodity output) against the column sums",
            make.row_label(r)
        );
        build::report_imbalance(
            &what,
            &commodities[..computed.len().min(published.len())],
            &computed,
            &published,
            &make.row_location(r),
            report,
        );
    }
    for c in (0..make.ncols).filter(|c| !commodity_cols.contains(c)) {
        let published: Vec<f64> = industry_rows.iter().map(|&r| make.get(r, c)).collect();
        let computed = v.row_sums();
        let what = format!(
            "make totals column `{}` (industry output) against the row sums",
            make.col_label(c)
        );
        build::report_imbalance(
            &what,
            industries,
            &computed,
            &published,
            &make.header_location(c),
            report,
        );
    }
}
