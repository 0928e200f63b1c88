//! IBGE supply and use tables (`data/ibge_brazil_68/<year>`: 128 products x 68 activities).
//!
//! Files in the year folder: `make_products_x_activities.csv` (**products x activities**: the
//! transpose of BEA's make table, so `V` is its transpose), `use_intermediate_purchasers_prices.csv`
//! (products x activities), `final_demand_purchasers_prices.csv` (products x exports, government,
//! NPISH (ISFLSF), households, GFCF, inventory change; then the totals "Demanda final" and
//! "Demanda total", checked and not used), `supply_valuation.csv` (margins, taxes, supply at
//! basic prices), `value_added_and_employment.csv` (checks; labour: see [`crate::labour`]), and
//! `product_names.csv` in the folder or its parent. Product codes keep their leading zeros.
//!
//! **Valuation.** The use table is at purchasers' prices and includes imports, while the make
//! table is domestic output at basic prices. By default ([`IbgeValuation::BasicDomestic`]) the
//! uses (intermediate and final, every user column `u`) are converted to domestic output at
//! basic prices, product by product, with `S` the supply at purchasers' prices, `Mt` and `Mr`
//! the trade and transport margins, `T` the net taxes on products, `Sb` the supply at basic
//! prices and `q` the domestic output (make row sum):
//!
//! 1. margins and taxes come off the goods they were paid on, proportionally:
//!    `W1[p][u] = W[p][u] (1 - (max(Mt_p, 0) + max(Mr_p, 0) + T_p) / S_p)`;
//! 2. the margins each user paid, `sum_p W[p][u] max(M_p, 0) / S_p`, are added to the rows of
//!    the margin products (those with a negative margin: trade `45001`, `46801`; transport
//!    `49001`, `50001`) in proportion to their (negative) margin;
//! 3. imports come off proportionally (the import-proportionality assumption, exports
//!    included): `W2[p][u] = W1[p][u] q_p / Sb_p`.
//!
//! Each row then sums to `q_p` (reported as the commodity balance). Taxes and imports removed
//! and margins moved are reported in total. [`IbgeValuation::Purchasers`] keeps the published
//! values (the commodity balance then reports the difference from `q`).

use std::path::{Path, PathBuf};

use chollima_model::{Diagnostics, Location};
use rustc_hash::FxHashMap;

use super::{IbgeValuation, Negatives, SupplyUse, SupplyUseOptions, block, year_in};
use crate::build;
use crate::dense::Dense;
use crate::final_demand::{CategoryMapping, ColumnCategories};
use crate::iot::invalid;
use crate::ons::product_names;
use crate::table::{Layout, Table, read_table};
use crate::{ImportError, bail_if_errors};

pub(crate) const MAKE: &str = "make_products_x_activities.csv";
const USE: &str = "use_intermediate_purchasers_prices.csv";
const FINAL: &str = "final_demand_purchasers_prices.csv";
const VALUATION: &str = "supply_valuation.csv";
const VALUE_ADDED: &str = "value_added_and_employment.csv";
const FILES: &str = "an IBGE year folder holds make_products_x_activities.csv, use_intermediate_purchasers_prices.csv, final_demand_purchasers_prices.csv and supply_valuation.csv";

/// Reads an IBGE year folder into a supply-use system.
pub(crate) fn read(
    sources: &[PathBuf],
    options: &SupplyUseOptions,
    report: &mut Diagnostics,
) -> Result<SupplyUse, ImportError> {
    let mapping = CategoryMapping::read_optional(options.category_mapping.as_deref())?;
    let dir = sources
        .iter()
        .find(|s| s.join(MAKE).is_file())
        .or(sources.first())
        .cloned()
        .unwrap_or_default();
    for other in sources.iter().filter(|s| **s != dir) {
        report.warning(
            Location::file(other),
            "not used: the IBGE importer reads one year folder",
        );
    }
    let make = read_table(&dir.join(MAKE), Layout::CSV, FILES, report)?;
    let uses = read_table(&dir.join(USE), Layout::CSV, FILES, report)?;
    let fd = read_table(&dir.join(FINAL), Layout::CSV, FILES, report)?;
    let valuation = match options.ibge_valuation {
        IbgeValuation::BasicDomestic => {
            read_table(&dir.join(VALUATION), Layout::CSV, FILES, report)?
        }
        IbgeValuation::Purchasers => None,
    };
    let (Some(make), Some(uses), Some(fd)) = (make, uses, fd) else {
        return Err(invalid(std::mem::take(report)));
    };
    if options.ibge_valuation == IbgeValuation::BasicDomestic && valuation.is_none() {
        return Err(invalid(std::mem::take(report)));
    }
    // Make: products x activities.
    let product_rows: Vec<usize> = (0..make.nrows())
        .filter(|&r| !build::is_total_label(make.row_label(r)))
        .collect();
    let activity_cols: Vec<usize> = (0..make.ncols)
        .filter(|&c| !build::is_total_label(make.col_label(c)))
        .collect();
    let labels: Vec<String> = product_rows
        .iter()
        .map(|&r| make.row_label(r).to_string())
        .collect();
    let commodities = build::product_ids(&labels, |k| make.row_location(product_rows[k]), report);
    let industries: Vec<String> = activity_cols
        .iter()
        .map(|&c| make.col_label(c).to_string())
        .collect();
    build::product_ids(
        &industries,
        |k| make.header_location(activity_cols[k]),
        report,
    );
    bail_if_errors(report)?;
    let (nc, ni) = (commodities.len(), industries.len());
    let product_index: FxHashMap<&str, usize> = commodities
        .iter()
        .enumerate()
        .map(|(k, s)| (s.as_str(), k))
        .collect();
    let activity_index: FxHashMap<&str, usize> = industries
        .iter()
        .enumerate()
        .map(|(k, s)| (s.as_str(), k))
        .collect();
    let map_rows = |t: &Table, report: &mut Diagnostics| -> Vec<Option<usize>> {
        let rows: Vec<Option<usize>> = (0..t.nrows())
            .map(|r| product_index.get(t.row_label(r)).copied())
            .collect();
        for (r, k) in rows.iter().enumerate() {
            if k.is_none() && !build::is_total_label(t.row_label(r)) {
                report
                    .error(
                        t.row_location(r),
                        format!("product `{}` is not in the make table", t.row_label(r)),
                    )
                    .hint("all IBGE tables of a year list the same products");
            }
        }
        rows
    };
    let mut make_rows = vec![None; make.nrows()];
    for (k, &r) in product_rows.iter().enumerate() {
        make_rows[r] = Some(k);
    }
    let mut make_cols = vec![None; make.ncols];
    for (k, &c) in activity_cols.iter().enumerate() {
        make_cols[c] = Some(k);
    }
    let v = block(
        &make,
        &make_rows,
        &make_cols,
        (nc, ni),
        Negatives::Zero,
        report,
    )
    .transpose();
    let use_rows = map_rows(&uses, report);
    let use_cols: Vec<Option<usize>> = (0..uses.ncols)
        .map(|c| activity_index.get(uses.col_label(c)).copied())
        .collect();
    for c in (0..uses.ncols).filter(|&c| use_cols[c].is_none()) {
        report.error(
            uses.header_location(c),
            format!("activity `{}` is not in the make table", uses.col_label(c)),
        );
    }
    let fd_rows = map_rows(&fd, report);
    let fd_cols: Vec<usize> = (0..fd.ncols)
        .filter(|&c| !build::is_total_label(fd.col_label(c)))
        .collect();
    bail_if_errors(report)?;
    let fd_rows_list: Vec<usize> = (0..fd.nrows()).filter(|&r| fd_rows[r].is_some()).collect();
    for c in (0..fd.ncols).filter(|c| !fd_cols.contains(c)) {
        let label = fd.col_label(c).to_lowercase();
        let name = if label.contains("total") {
            "final-demand (with intermediate use)"
        } else {
            "final-demand"
        };
        build::check_total_column(&fd, c, &fd_rows_list, &[(name, fd_cols.clone())], report);
    }

    // W = [U | F] at purchasers' prices: users are the activities, then final-demand columns.
    let nf = fd_cols.len();
    let mut fd_map = vec![None; fd.ncols];
    for (k, &c) in fd_cols.iter().enumerate() {
        fd_map[c] = Some(ni + k);
    }
    let mut w = block(
        &uses,
        &use_rows,
        &use_cols,
        (nc, ni + nf),
        Negatives::Zero,
        report,
    );
    let f = block(
        &fd,
        &fd_rows,
        &fd_map,
        (nc, ni + nf),
        Negatives::Keep,
        report,
    );
    for (a, b) in w.data.iter_mut().zip(&f.data) {
        *a += b;
    }
    let q: Vec<f64> = v.col_sums();
    if let Some(valuation) = &valuation {
        to_basic_domestic(&mut w, valuation, &product_index, &commodities, &q, report);
    } else {
        report.note(
            Location::file(dir.join(USE)),
            "uses kept at purchasers' prices with imports (as published)",
        );
    }
    let mut u = Dense::zeros(nc, ni);
    for p in 0..nc {
        u.row_mut(p).copy_from_slice(&w.row(p)[..ni]);
    }
    let fd_labels: Vec<&str> = fd_cols.iter().map(|&c| fd.col_label(c)).collect();
    let cats = ColumnCategories::assign(
        &fd_labels,
        mapping.as_ref(),
        &Location::line(&fd.file, 1),
        report,
    );
    let mut demand = cats.demand(nc);
    let mut left_out = vec![0.0; nf];
    for p in 0..nc {
        for k in 0..nf {
            match cats.of_column[k] {
                Some(cat) => demand.values[cat][p] += w.get(p, ni + k),
                None => left_out[k] += w.get(p, ni + k),
            }
        }
    }
    crate::final_demand::report_left_out(
        &fd_labels,
        &left_out,
        &cats,
        &Location::file(&fd.file),
        report,
    );
    let mut demand_rows = vec![Location::file(&fd.file); nc];
    for (r, k) in fd_rows.iter().enumerate() {
        if let Some(k) = k {
            demand_rows[*k] = fd.row_location(r);
        }
    }
    check_output(&dir.join(VALUE_ADDED), &industries, &v.row_sums(), report)?;
    let names_path = [
        dir.join("product_names.csv"),
        dir.join("..").join("product_names.csv"),
    ]
    .into_iter()
    .find(|p| p.is_file());
    let names = match names_path {
        Some(p) => product_names(&p, &commodities, report)?,
        None => None,
    };
    let base_year = year_in(&dir);
    Ok(SupplyUse {
        name: format!(
            "IBGE Brazil supply and use tables{}",
            base_year.map(|y| format!(", {y}")).unwrap_or_default()
        ),
        unit: "R$ million".into(),
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

fn normalise(label: &str) -> String {
    label
        .to_lowercase()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Converts `w` (products x users, purchasers' prices) to domestic output at basic prices.
fn to_basic_domestic(
    w: &mut Dense,
    valuation: &Table,
    product_index: &FxHashMap<&str, usize>,
    ids: &[String],
    q: &[f64],
    report: &mut Diagnostics,
) {
    let find = |words: &[&str]| {
        (0..valuation.ncols).find(|&c| {
            words
                .iter()
                .any(|w| normalise(valuation.col_label(c)).contains(w))
        })
    };
    let columns = [
        ("supply at purchasers' prices", find(&["consumidor"])),
        ("trade margin", find(&["comércio", "comercio"])),
        ("transport margin", find(&["transporte"])),
        ("total net taxes", find(&["total de impostos"])),
        ("supply at basic prices", find(&["básico", "basico"])),
    ];
    let missing: Vec<&str> = columns
        .iter()
        .filter(|(_, c)| c.is_none())
        .map(|(n, _)| *n)
        .collect();
    if !missing.is_empty() {
        report
            .error(Location::line(&valuation.file, 1), format!("no column for: {}", missing.join(", ")))
            .hint("expected IBGE's labels (Oferta total a preço de consumidor, Margem de comércio, Margem de transporte, Total de impostos líquidos de subsídios, Oferta total a preço básico); or import at purchasers' prices");
        return;
    }
    let n = ids.len();
    let mut col = [
        vec![0.0; n],
        vec![0.0; n],
        vec![0.0; n],
        vec![0.0; n],
        vec![0.0; n],
    ];
    for r in 0..valuation.nrows() {
        let Some(&p) = product_index.get(valuation.row_label(r)) else {
            continue;
        };
        for (k, (_, c)) in columns.iter().enumerate() {
            col[k][p] = valuation.get(r, c.expect("checked"));
        }
    }
    let [s, mt, mr, taxes, sb] = col;
    let parts: Vec<f64> = (0..n).map(|p| sb[p] + mt[p] + mr[p] + taxes[p]).collect();
    let at = Location::file(&valuation.file);
    build::report_imbalance(
        "supply valuation (basic + margins + taxes against purchasers' prices)",
        ids,
        &parts,
        &s,
        &at,
        report,
    );
    build::report_imbalance(
        "uses at purchasers' prices against supply at purchasers' prices",
        ids,
        &w.row_sums(),
        &s,
        &at,
        report,
    );
    let users = w.cols;
    let mut moved = [0.0f64; 2];
    let mut paid = [vec![0.0; users], vec![0.0; users]];
    for p in 0..n {
        if s[p] <= 0.0 {
            continue;
        }
        for (m, margin) in [&mt, &mr].into_iter().enumerate() {
            if margin[p] > 0.0 {
                for (acc, x) in paid[m].iter_mut().zip(w.row(p)) {
                    *acc += x * margin[p] / s[p];
                }
            }
        }
    }
    let (mut taxes_off, mut imports_off) = (0.0, 0.0);
    for p in 0..n {
        let keep = if s[p] > 0.0 {
            1.0 - (mt[p].max(0.0) + mr[p].max(0.0) + taxes[p]) / s[p]
        } else {
            0.0
        };
        taxes_off += taxes[p];
        for x in w.row_mut(p) {
            *x *= keep;
        }
    }
    for (m, margin) in [&mt, &mr].into_iter().enumerate() {
        let negative: f64 = margin.iter().filter(|v| **v < 0.0).map(|v| -v).sum();
        if negative == 0.0 {
            continue;
        }
        for p in (0..n).filter(|&p| margin[p] < 0.0) {
            let share = -margin[p] / negative;
            for (x, paid) in w.row_mut(p).iter_mut().zip(&paid[m]) {
                *x += paid * share;
            }
        }
        moved[m] = paid[m].iter().sum();
    }
    for p in 0..n {
        let share = if sb[p] > 0.0 { q[p] / sb[p] } else { 0.0 };
        if share > 1.0 + 1e-9 {
            report.warning(
                at.clone(),
                format!(
                    "`{}`: domestic output {} exceeds supply at basic prices {}",
                    ids[p], q[p], sb[p]
                ),
            );
        }
        imports_off += w.row(p).iter().sum::<f64>() * (1.0 - share);
        for x in w.row_mut(p) {
            *x *= share;
        }
    }
    report.note(
        at,
        format!(
            "uses converted to domestic output at basic prices: trade margins {:.0} and transport margins {:.0} moved to the margin products, net taxes {taxes_off:.0} and imports {imports_off:.0} removed proportionally",
            moved[0], moved[1]
        ),
    );
}

/// Compares the make table's industry output with `Valor da produção` when the file is there.
fn check_output(
    path: &Path,
    industries: &[String],
    g: &[f64],
    report: &mut Diagnostics,
) -> Result<(), ImportError> {
    if !path.is_file() {
        return Ok(());
    }
    let Some(t) = read_table(path, Layout::CSV, "", report)? else {
        return Ok(());
    };
    let Some(row) =
        (0..t.nrows()).find(|&r| normalise(t.row_label(r)).starts_with("valor da produção"))
    else {
        return Ok(());
    };
    let mut published = vec![0.0; industries.len()];
    for c in 0..t.ncols {
        if let Some(k) = industries.iter().position(|i| i == t.col_label(c)) {
            published[k] = t.get(row, c);
        }
    }
    build::report_imbalance(
        "industry output: make table against `Valor da produção`",
        industries,
        g,
        &published,
        &t.row_location(row),
        report,
    );
    Ok(())
}
