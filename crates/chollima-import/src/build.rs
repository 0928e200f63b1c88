//! From table parts to an [`Economy`]: product ids, sparse coefficients, checks and assembly.
//!
//! Shared by every importer so that each pitfall is handled, and reported, the same way:
//!
//! * ids are labels with a comma, a quote or a line break replaced by `_` (FORMAT.md forbids
//!   them), reported; an empty or duplicate label is an error;
//! * coefficient columns are built directly as compressed sparse columns, skipping zeros; a
//!   negative flow or coefficient is set to zero and reported with its place in the source;
//! * a sector with zero gross output gets a zero column, reported (a warning when the table
//!   nevertheless lists inputs for it);
//! * a coefficient column summing to 1 or more (the sector uses up at least what it makes) is
//!   reported as a warning, since `I - A` is then not productive;
//! * imbalances between a published total and the sum of its parts are reported, the largest
//!   five relative ones.

use rayon::prelude::*;

use chollima_model::{
    Diagnostics, Economy, LABOUR, Location, Manifest, Products, SparseColumns, Target, Techniques,
};

use crate::final_demand::Demand;
use crate::table::Table;
use crate::{Imported, IndustryMapping};

/// A number for a message: integers as such, others to six decimals (trailing zeros cut), tiny
/// ones in exponent notation.
pub(crate) fn num(v: f64) -> String {
    if v == v.trunc() && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else if v != 0.0 && v.abs() < 1e-3 {
        format!("{v:.3e}")
    } else {
        let s = format!("{v:.6}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// Makes product ids from labels: forbidden characters replaced, empty and duplicate labels
/// reported as errors (`locate(i)` says where label `i` is).
pub(crate) fn product_ids(
    labels: &[String],
    locate: impl Fn(usize) -> Location,
    report: &mut Diagnostics,
) -> Vec<String> {
    let mut seen = rustc_hash::FxHashMap::default();
    let mut ids = Vec::with_capacity(labels.len());
    for (i, label) in labels.iter().enumerate() {
        let mut id = label.trim().to_string();
        if id.is_empty() {
            report
                .error(locate(i), "this row has no label")
                .hint("every product needs an id");
        } else if id.contains([',', '"', '\n', '\r']) {
            id = id.replace([',', '"', '\n', '\r'], "_");
            report.note(
                locate(i),
                format!("label `{label}` contains a comma, quote or line break: id `{id}`"),
            );
        }
        if let Some(first) = seen.insert(id.clone(), i)
            && !id.is_empty()
        {
            report
                .error(
                    locate(i),
                    format!("`{id}` appears twice (first as row {})", first + 1),
                )
                .hint("every row and column label of a table must be unique");
        }
        ids.push(id);
    }
    ids
}

/// Turns flows (or coefficients, when `divisor` is `None`) of `table` into sparse columns over
/// `n` products: cell `(r, c)` goes to product row `row_of[r]`, product column `col_of[c]`,
/// divided by `divisor[col_of[c]]`. Unmapped rows and columns are the caller's to report.
pub(crate) fn table_to_columns(
    table: &Table,
    row_of: &[Option<u32>],
    col_of: &[Option<u32>],
    n: usize,
    divisor: Option<&[f64]>,
    ids: &[String],
    report: &mut Diagnostics,
) -> SparseColumns {
    // Dividing by 1 is exact, so coefficients given as such go through the same loop.
    let ones;
    let x = match divisor {
        Some(x) => x,
        None => {
            ones = vec![1.0; n];
            &ones
        }
    };
    let spans = ColumnSpans::new(col_of, n);
    let tasks = if table.nnz() < 1 << 16 {
        1
    } else {
        rayon::current_num_threads().max(1)
    };
    // First pass, in parallel over ranges of product columns: how many cells each column
    // keeps, the flows of zero-output columns, and the negative cells.
    let tallies: Vec<Tally> = (0..tasks)
        .into_par_iter()
        .map(|t| {
            let (first, last) = (n * t / tasks, n * (t + 1) / tasks);
            let mut tally = Tally {
                count: vec![0; last - first],
                dropped_flows: vec![0.0; last - first],
                negatives: Vec::new(),
            };
            for r in 0..table.nrows() {
                if row_of[r].is_none() {
                    continue;
                }
                let (cols, vals) = spans.cells(table, r, first, last);
                for (&c, &v) in cols.iter().zip(vals) {
                    let Some(pc) = col_of[c as usize] else {
                        continue;
                    };
                    let pc = pc as usize;
                    if pc < first || pc >= last {
                        continue;
                    }
                    if x[pc] == 0.0 {
                        tally.dropped_flows[pc - first] += v;
                    } else if v < 0.0 {
                        tally.negatives.push((r, c, v));
                    } else {
                        tally.count[pc - first] += 1;
                    }
                }
            }
            tally
        })
        .collect();
    let mut count = Vec::with_capacity(n + 1);
    count.push(0usize);
    let mut dropped_flows = Vec::with_capacity(n);
    let mut negative_cells = Vec::new();
    for tally in tallies {
        count.extend(tally.count);
        dropped_flows.extend(tally.dropped_flows);
        negative_cells.extend(tally.negatives);
    }
    // Reported in the table's order, row by row.
    negative_cells.sort_by_key(|&(r, c, _)| (r, c));
    let negatives = negative_cells.len();
    let what = if divisor.is_some() {
        "flow"
    } else {
        "coefficient"
    };
    for (r, c, v) in negative_cells {
        let pc = col_of[c as usize].expect("only mapped cells are tallied") as usize;
        report
            .warning(
                table.cell_location(r, c as usize),
                format!("negative {what} {v} from `{}` into `{}` set to 0", table.row_label(r), ids[pc]),
            )
            .hint("FORMAT.md input coefficients are >= 0; the column's other inputs are kept as they are");
    }
    for k in 0..n {
        count[k + 1] += count[k];
    }
    let nnz = count[n];
    let mut row = vec![0u32; nnz];
    let mut value = vec![0.0f64; nnz];
    scatter_columns(
        table,
        row_of,
        col_of,
        &spans,
        x,
        divisor.is_some(),
        &count,
        &mut row,
        &mut value,
    );
    // Rows arrive in table order: already increasing within each column when the table's
    // rows are in product order (the usual case); otherwise sort each column.
    let mapped: Vec<u32> = row_of.iter().flatten().copied().collect();
    if !mapped.windows(2).all(|w| w[0] < w[1]) {
        for k in 0..n {
            let range = count[k]..count[k + 1];
            let mut pairs: Vec<(u32, f64)> = row[range.clone()]
                .iter()
                .copied()
                .zip(value[range.clone()].iter().copied())
                .collect();
            pairs.sort_by_key(|&(r, _)| r);
            for w in pairs.windows(2) {
                if w[0].0 == w[1].0 {
                    report.error(
                        Location::file(&table.file),
                        format!(
                            "product `{}` appears twice among the rows",
                            ids[w[0].0 as usize]
                        ),
                    );
                }
            }
            for (q, (r, v)) in range.zip(pairs) {
                row[q] = r;
                value[q] = v;
            }
        }
    }
    if report.has_errors() {
        return SparseColumns::empty(n, n);
    }
    if negatives > 0 {
        report.warning(
            Location::file(&table.file),
            format!("{negatives} negative cells set to 0 (listed above)"),
        );
    }
    if divisor.is_some() {
        report_zero_output(
            x,
            &dropped_flows,
            ids,
            |p| {
                col_of
                    .iter()
                    .position(|&c| c == Some(p as u32))
                    .map_or(Location::file(&table.file), |c| table.header_location(c))
            },
            report,
        );
    }
    // Built in order above: each column's rows increase (sorted when the table's rows were not
    // in product order, duplicates refused), all of them below n.
    SparseColumns::from_raw_ordered(n, count, row, value)
}

/// What one thread of [`table_to_columns`]'s first pass found in its range of columns.
struct Tally {
    count: Vec<usize>,
    dropped_flows: Vec<f64>,
    /// `(row, table column, value)` of every negative cell.
    negatives: Vec<(usize, u32, f64)>,
}

/// Where in each row of a table the cells of a range of product columns are, so a thread
/// working on products `first..last` reads only its part of every row: a row's cells are in
/// column order, and when the table's columns map to products in increasing order (the usual
/// case) the part is found by binary search.
struct ColumnSpans {
    /// `start[p]`: the first table column mapped to a product at or after `p` (`n + 1`
    /// entries); `None` when the mapping is not increasing, and each thread reads whole rows.
    start: Option<Vec<u32>>,
}

impl ColumnSpans {
    fn new(col_of: &[Option<u32>], n: usize) -> Self {
        let mapped = || col_of.iter().flatten();
        if !mapped().zip(mapped().skip(1)).all(|(a, b)| a < b) {
            return ColumnSpans { start: None };
        }
        let mut start = Vec::with_capacity(n + 1);
        for (c, product) in col_of.iter().enumerate() {
            if let Some(p) = product {
                while start.len() <= *p as usize {
                    start.push(c as u32);
                }
            }
        }
        start.resize(n + 1, col_of.len() as u32);
        ColumnSpans { start: Some(start) }
    }

    /// The cells of data row `r` that may map into products `first..last` (the caller still
    /// checks each one's product).
    fn cells<'t>(
        &self,
        table: &'t Table,
        r: usize,
        first: usize,
        last: usize,
    ) -> (&'t [u32], &'t [f64]) {
        let (cols, vals) = table.row(r);
        match &self.start {
            Some(start) => {
                let (from, to) = (start[first], start[last]);
                let a = cols.partition_point(|&c| c < from);
                let b = a + cols[a..].partition_point(|&c| c < to);
                (&cols[a..b], &vals[a..b])
            }
            None => (cols, vals),
        }
    }
}

/// The second pass of [`table_to_columns`]: writes each kept cell to its place in the columns
/// that `starts` (column offsets, `n + 1` of them) lays out, divided by `x` when `divide`.
///
/// The columns are split into one range per thread with about equal numbers of entries; each
/// thread reads its part of every row ([`ColumnSpans`]) and writes only its own range, so the
/// scattered writes (most of the pass) are shared out without any two threads touching the
/// same place.
#[allow(clippy::too_many_arguments)]
fn scatter_columns(
    table: &Table,
    row_of: &[Option<u32>],
    col_of: &[Option<u32>],
    spans: &ColumnSpans,
    x: &[f64],
    divide: bool,
    starts: &[usize],
    row: &mut [u32],
    value: &mut [f64],
) {
    let n = x.len();
    let nnz = starts[n];
    let tasks = if nnz < 1 << 16 {
        1
    } else {
        rayon::current_num_threads().max(1)
    };
    // Column ranges [first, last) with about nnz / tasks entries each, and their slices.
    let mut ranges = Vec::with_capacity(tasks);
    let (mut row_rest, mut value_rest) = (row, value);
    let mut first = 0;
    for t in 1..=tasks {
        let goal = nnz * t / tasks;
        let last = if t == tasks {
            n
        } else {
            first + starts[first..n].partition_point(|&s| s < goal)
        };
        let len = starts[last] - starts[first];
        let (row_part, row_tail) = std::mem::take(&mut row_rest).split_at_mut(len);
        let (value_part, value_tail) = std::mem::take(&mut value_rest).split_at_mut(len);
        row_rest = row_tail;
        value_rest = value_tail;
        ranges.push((first, last, row_part, value_part));
        first = last;
    }
    ranges
        .into_par_iter()
        .for_each(|(first, last, row_part, value_part)| {
            let base = starts[first];
            let mut next: Vec<usize> = starts[first..last].iter().map(|s| s - base).collect();
            for r in 0..table.nrows() {
                let Some(pr) = row_of[r] else { continue };
                let (cols, vals) = spans.cells(table, r, first, last);
                for (&c, &v) in cols.iter().zip(vals) {
                    let Some(pc) = col_of[c as usize] else {
                        continue;
                    };
                    let pc = pc as usize;
                    if pc < first || pc >= last || v < 0.0 || x[pc] == 0.0 {
                        continue;
                    }
                    let p = next[pc - first];
                    next[pc - first] = p + 1;
                    row_part[p] = pr;
                    value_part[p] = v;
                }
            }
            // Divided column by column afterwards: contiguous, so the divisions vectorise,
            // where dividing while scattering waited on each division in turn.
            if divide {
                for k in first..last {
                    let xk = x[k];
                    for v in &mut value_part[starts[k] - base..starts[k + 1] - base] {
                        *v /= xk;
                    }
                }
            }
        });
}
/// Reports every product with zero output: a note, or a warning when it has inputs all the same.
pub(crate) fn report_zero_output(
    output: &[f64],
    dropped_flows: &[f64],
    ids: &[String],
    locate: impl Fn(usize) -> Location,
    report: &mut Diagnostics,
) {
    let zero: Vec<usize> = (0..output.len()).filter(|&p| output[p] == 0.0).collect();
    for &p in &zero {
        if dropped_flows[p] != 0.0 {
            report
                .warning(
                    locate(p),
                    format!(
                        "`{}` has zero gross output but inputs of {} in total: zero column (inputs dropped)",
                        ids[p], dropped_flows[p]
                    ),
                )
                .hint("check the gross output of this sector");
        } else {
            report.note(
                locate(p),
                format!("`{}` has zero gross output: zero column in A", ids[p]),
            );
        }
    }
    if !zero.is_empty() {
        let list: Vec<&str> = zero.iter().map(|&p| ids[p].as_str()).collect();
        report.note(
            locate(zero[0]),
            format!(
                "{} zero-output sectors get zero columns: {}",
                zero.len(),
                list.join(", ")
            ),
        );
    }
}

/// Dense coefficient columns to sparse ones: zeros skipped, negatives set to zero and reported
/// per column (count, sum and the most negative input).
pub(crate) fn dense_to_columns(
    columns: &[Vec<f64>],
    ids: &[String],
    location: &Location,
    why: &str,
    report: &mut Diagnostics,
) -> SparseColumns {
    let n = ids.len();
    let mut col_start = Vec::with_capacity(columns.len() + 1);
    let mut row = Vec::new();
    let mut value = Vec::new();
    col_start.push(0);
    let (mut total_count, mut total_sum) = (0usize, 0.0f64);
    for (k, column) in columns.iter().enumerate() {
        let (mut count, mut sum, mut worst) = (0usize, 0.0f64, (0usize, 0.0f64));
        for (r, &v) in column.iter().enumerate() {
            if v > 0.0 {
                row.push(r as u32);
                value.push(v);
            } else if v < 0.0 {
                count += 1;
                sum += v;
                if v < worst.1 {
                    worst = (r, v);
                }
            }
        }
        col_start.push(row.len());
        if count > 0 {
            total_count += count;
            total_sum += sum;
            report.warning(
                location.clone(),
                format!(
                    "`{}`: {count} negative coefficients ({why}) set to 0, summing to {sum:.6}; the most negative is {:.6} from `{}`",
                    ids[k], worst.1, ids[worst.0]
                ),
            );
        }
    }
    if total_count > 0 {
        report
            .warning(
                location.clone(),
                format!("{total_count} negative coefficients ({why}) set to 0 in all, summing to {total_sum:.6}"),
            )
            .hint("negative coefficients cannot be planned with; they were dropped, listed above");
    }
    SparseColumns::from_raw(n, col_start, row, value)
}

/// Warns about columns of `A` that sum to 1 or more.
pub(crate) fn check_productive(
    a: &SparseColumns,
    ids: &[String],
    location: &Location,
    report: &mut Diagnostics,
) {
    let sums = a.column_sums();
    let bad: Vec<String> = sums
        .iter()
        .enumerate()
        .filter(|(_, s)| **s >= 1.0)
        .map(|(k, s)| format!("{} ({s:.4})", ids[k]))
        .collect();
    if !bad.is_empty() {
        report
            .warning(
                location.clone(),
                format!(
                    "{} columns of A sum to 1 or more: {}",
                    bad.len(),
                    bad.join(", ")
                ),
            )
            .hint("such a sector uses up at least what it makes; I - A may not be invertible");
    }
}

/// Reports the largest relative differences between published totals and computed ones.
pub(crate) fn report_imbalance(
    what: &str,
    ids: &[String],
    computed: &[f64],
    published: &[f64],
    location: &Location,
    report: &mut Diagnostics,
) {
    let mut diffs: Vec<(usize, f64, f64)> = (0..ids.len())
        .filter_map(|i| {
            let d = computed[i] - published[i];
            let scale = published[i].abs().max(computed[i].abs());
            (d.abs() > 1e-9 * scale.max(1.0))
                .then(|| (i, d, if scale > 0.0 { d.abs() / scale } else { 0.0 }))
        })
        .collect();
    if diffs.is_empty() {
        report.note(
            location.clone(),
            format!("{what}: balanced (no difference beyond rounding)"),
        );
        return;
    }
    let max_abs = diffs.iter().map(|d| d.1.abs()).fold(0.0, f64::max);
    diffs.sort_by(|a, b| b.2.total_cmp(&a.2));
    let worst: Vec<String> = diffs
        .iter()
        .take(5)
        .map(|&(i, d, rel)| {
            format!(
                "{} {}{} ({:.2} %)",
                ids[i],
                if d > 0.0 { "+" } else { "" },
                num(d),
                100.0 * rel
            )
        })
        .collect();
    let largest_rel = diffs[0].2;
    let message = format!(
        "{what}: {} of {} differ; largest relative: {}; largest absolute difference {}",
        diffs.len(),
        ids.len(),
        worst.join(", "),
        num(max_abs)
    );
    if largest_rel > 0.05 {
        report
            .warning(location.clone(), message)
            .hint("the table does not balance; the imported A uses the published totals");
    } else {
        report.note(location.clone(), message);
    }
}

/// A totals row or column: a label starting with "Total" (or IBGE's "Demanda final", "Demanda
/// total", "Oferta total"), or a BEA totals code `T001`..`T019`.
pub(crate) fn is_total_label(label: &str) -> bool {
    let lower = label.trim().to_lowercase();
    let b = lower.as_bytes();
    lower.starts_with("total")
        || lower.starts_with("demanda final")
        || lower.starts_with("demanda total")
        || lower.starts_with("oferta total")
        || (b.len() == 4 && b[0] == b't' && b[1..].iter().all(u8::is_ascii_digit))
        || is_unnamed(label)
}

/// A column without a name: empty, R's `NA`/`NA.1`, pandas' `Unnamed: 5`.
pub(crate) fn is_unnamed(label: &str) -> bool {
    let l = label.trim();
    l.is_empty()
        || l == "NA"
        || l.starts_with("NA.")
        || l.starts_with("Unnamed:")
        || l.starts_with("...")
}

/// Reports a totals (or unnamed) column: which sum of other columns it equals over `rows`
/// (`candidates`: a name and the columns it sums), or that it matches none. Not used either way.
pub(crate) fn check_total_column(
    table: &Table,
    j: usize,
    rows: &[usize],
    candidates: &[(&str, Vec<usize>)],
    report: &mut Diagnostics,
) {
    let mut best: Option<(&str, f64)> = None;
    for (name, parts) in candidates {
        let mut largest = 0.0f64;
        for &i in rows {
            let sum: f64 = parts.iter().map(|&c| table.get(i, c)).sum();
            largest = largest.max((table.get(i, j) - sum).abs());
        }
        if best.is_none_or(|(_, b)| largest < b) {
            best = Some((name, largest));
        }
    }
    let label = table.col_label(j);
    let what = if is_unnamed(label) {
        format!("unnamed column `{label}`")
    } else {
        format!("totals column `{label}`")
    };
    let message = match best {
        Some((name, largest)) if largest <= 1.0 => {
            format!(
                "{what} equals the sum of the {name} columns (largest difference {}): a total, not used",
                num(largest)
            )
        }
        Some((name, largest)) => {
            format!(
                "{what} is taken for a total and not used; it is closest to the sum of the {name} columns (differences up to {})",
                num(largest)
            )
        }
        None => format!("{what} is taken for a total and not used"),
    };
    report.note(table.header_location(j), message);
}

/// Everything an economy is made from.
pub(crate) struct Parts {
    pub name: String,
    pub unit: Option<String>,
    pub base_year: Option<i64>,
    pub ids: Vec<String>,
    pub names: Option<Vec<String>>,
    pub groups: Option<Vec<String>>,
    pub inputs: SparseColumns,
    pub demand: Demand,
}

/// What a product-by-product importer returns: the assembled economy, its report, and the
/// identity mapping of its sectors (each sector is one product).
pub(crate) fn symmetric(parts: Parts, output: &[f64], report: Diagnostics) -> Imported {
    let industries = IndustryMapping::identity(&parts.ids, output);
    Imported {
        economy: assemble(parts),
        report,
        industries,
    }
}

/// Assembles the economy: one product and one technique (same id, output 1) per sector.
pub(crate) fn assemble(parts: Parts) -> Economy {
    let n = parts.ids.len();
    let mut products = Products::default();
    let mut techniques = Techniques::new(0);
    for (k, id) in parts.ids.iter().enumerate() {
        products.push_id(id.clone());
        techniques.push(id.clone(), k as u32);
    }
    products.names = parts.names;
    products.groups = parts.groups;
    let mut manifest = Manifest::named(parts.name);
    manifest.unit = parts.unit;
    manifest.base_year = parts.base_year;
    let mut economy = Economy::new(manifest, products, techniques, parts.inputs);
    // Counted first and pushed product by product: the vector is allocated once (growing it
    // touched fresh memory at every doubling) and comes out grouped by product. A category
    // with no positive demand gets no targets and is not listed.
    let mut count = 0;
    let mut categories: Vec<(u32, &[f64])> = Vec::new();
    for (category, values) in parts.demand.categories.iter().zip(&parts.demand.values) {
        let values = &values[..n.min(values.len())];
        let positive = values.iter().filter(|&&q| q > 0.0).count();
        if positive > 0 {
            count += positive;
            categories.push((economy.category_index(category), values));
        }
    }
    economy.targets.reserve_exact(count);
    for p in 0..n {
        for &(category, values) in &categories {
            if let Some(&q) = values.get(p).filter(|&&q| q > 0.0) {
                economy.targets.push(Target {
                    product: p as u32,
                    category,
                    quantity: q,
                    year: None,
                });
            }
        }
    }
    // Targets grouped by product, then category.
    if !economy
        .targets
        .is_sorted_by_key(|t| (t.product, t.category))
    {
        economy.targets.sort_by_key(|t| (t.product, t.category));
    }
    debug_assert!(economy.manifest.resource_index(LABOUR).is_none());
    economy
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::{Layout, parse_table};
    use std::path::Path;

    #[test]
    fn flows_become_coefficients_with_zero_output_and_negatives_reported() {
        let text = b"row,a,b,c\na,1,2,0\nb,-1,4,0\nc,0,2,0\n";
        let mut report = Diagnostics::new();
        let t = parse_table(text, Path::new("Z.csv"), Layout::CSV, &mut report).unwrap();
        let ids: Vec<String> = ["a", "b", "c"].map(String::from).to_vec();
        let map: Vec<Option<u32>> = (0..3).map(Some).collect();
        let a = table_to_columns(
            &t,
            &map,
            &map,
            3,
            Some(&[10.0, 8.0, 0.0]),
            &ids,
            &mut report,
        );
        assert_eq!(a.column(0), (&[0u32][..], &[0.1][..]));
        assert_eq!(a.column(1), (&[0u32, 1, 2][..], &[0.25, 0.5, 0.25][..]));
        assert_eq!(a.column(2).0.len(), 0);
        let text = report.to_string();
        assert!(text.contains("Z.csv:3:2: negative flow -1"), "{text}");
        assert!(text.contains("`c` has zero gross output"), "{text}");
    }

    #[test]
    fn ids_are_sanitised_and_duplicates_refused() {
        let mut report = Diagnostics::new();
        let labels: Vec<String> = ["a,b", "c", "c", ""].map(String::from).to_vec();
        let ids = product_ids(&labels, |i| Location::line("t.csv", i + 2), &mut report);
        assert_eq!(ids[0], "a_b");
        assert_eq!(report.count(chollima_model::Severity::Error), 2, "{report}");
    }
}
