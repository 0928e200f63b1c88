//! Final demand: from final-demand columns to target categories, negatives netted.
//!
//! # Categories
//!
//! Every final-demand column goes to one target category. A mapping file, when given, decides
//! first; otherwise the column label is recognised by [`recognise`]:
//!
//! | category | recognised labels (case-insensitive; tokens split at non-letters) |
//! |---|---|
//! | `npish` | token `npish`, `np`, `isflsf`; "non-profit" |
//! | `households` | token `hh`, `h`, `pce`; "household", "famílias" |
//! | `government` | token `gov`, `g`; "govern" (also "governo") |
//! | `investment` | token `gfcf`, `fbcf`; "fixed capital", "capital fixo", "investment" |
//! | `inventories` | token `inv`, `inven`; "inventor", "estoque", "stocks" |
//! | `valuables` | "valuables" |
//! | `exports` | token `exp`; "export", "exporta" |
//! | `imports` | "import" |
//!
//! BEA final-demand codes are recognised by their prefix: `F01` households, `F02` investment,
//! `F03` inventories, `F04` exports, `F05` imports, `F06`, `F07`, `F10` government. WIOD 2013's
//! `REG_c37_hh`, `c38_npish`, `c39_gov`, `c41_gfcf`, `c42_inv` and WIOD 2016's `CONS_h`,
//! `CONS_np`, `CONS_g`, `GFCF`, `INVEN`, `EXP` fall under the tokens above. Columns of all
//! regions of the same kind go to the same category. A column that is not recognised becomes a
//! category of its own, named by its label (reported).
//!
//! A mapping file ([`CategoryMapping`]) is a CSV with rows `column,category` (a header row
//! `column,category` is optional). An empty category or `-` leaves the column out, reported
//! with the amount left out. Columns the file does not name are recognised as above.
//!
//! # Negative final demand
//!
//! FORMAT.md wants targets `>= 0`, but published final demand has negative cells: inventory
//! run-downs, and (BEA) imports entered as negative final demand. For each product with
//! positive amounts `P` (sum over its categories) and negative amounts `N` (sum of magnitudes):
//!
//! * when `P >= N`, every positive amount is multiplied by `(P - N) / P` and the negative ones
//!   become 0: the product's total final demand `P - N` is kept, so the gross output
//!   `x = (I - A)^-1 d` with `d` the sum of the targets equals the one computed from the
//!   published final demand. Each such product is reported (a note);
//! * when `P < N` (the product's total is negative: more is run down from stocks or imported
//!   than is used finally), the product gets no targets, with a warning: its total, a negative
//!   amount, is dropped, which raises the gross outputs computed from the targets.

use std::path::{Path, PathBuf};

use chollima_model::{Diagnostics, Location};

use crate::ImportError;
use crate::build::num;
use crate::table::read_rows;

/// Recognises the target category of a final-demand column label (see the module docs).
pub fn recognise(label: &str) -> Option<&'static str> {
    let lower = label.trim().to_lowercase();
    if let Some(category) = bea_code(&lower) {
        return Some(category);
    }
    let tokens: Vec<&str> = lower
        .split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty())
        .collect();
    let has = |words: &[&str]| words.iter().any(|w| tokens.contains(w));
    let contains = |words: &[&str]| words.iter().any(|w| lower.contains(w));
    if has(&["npish", "np", "isflsf"]) || contains(&["non-profit", "nonprofit", "non profit"]) {
        Some("npish")
    } else if has(&["hh", "h", "pce"]) || contains(&["household", "famílias", "familias"]) {
        Some("households")
    } else if has(&["gov", "g"]) || contains(&["govern"]) {
        Some("government")
    } else if has(&["gfcf", "fbcf"]) || contains(&["fixed capital", "capital fixo", "investment"]) {
        Some("investment")
    } else if has(&["inv", "inven"]) || contains(&["inventor", "estoque", "stocks"]) {
        Some("inventories")
    } else if contains(&["valuables"]) {
        Some("valuables")
    } else if has(&["exp"]) || contains(&["export", "exporta"]) {
        Some("exports")
    } else if contains(&["import"]) {
        Some("imports")
    } else {
        None
    }
}

/// BEA final-demand codes: `F` and two digits, then letters or digits (`F01000`, `F10C`).
fn bea_code(lower: &str) -> Option<&'static str> {
    let b = lower.as_bytes();
    if b.len() < 4 || b[0] != b'f' || !b[1].is_ascii_digit() || !b[2].is_ascii_digit() {
        return None;
    }
    if !b[3..].iter().all(u8::is_ascii_alphanumeric) {
        return None;
    }
    match &lower[1..3] {
        "01" => Some("households"),
        "02" => Some("investment"),
        "03" => Some("inventories"),
        "04" => Some("exports"),
        "05" => Some("imports"),
        "06" | "07" | "10" => Some("government"),
        _ => None,
    }
}

/// A mapping from final-demand column labels to categories, read from a CSV file.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CategoryMapping {
    pub file: PathBuf,
    /// `(column label, category)`; `None` leaves the column out.
    pub entries: Vec<(String, Option<String>)>,
}

impl CategoryMapping {
    /// Reads the mapping file when one was given (`--mapping`).
    pub fn read_optional(path: Option<&Path>) -> Result<Option<Self>, ImportError> {
        path.map(Self::read).transpose()
    }

    /// Reads `column,category` rows.
    pub fn read(path: &Path) -> Result<Self, ImportError> {
        let mut report = Diagnostics::new();
        let mut mapping = CategoryMapping {
            file: path.to_path_buf(),
            entries: Vec::new(),
        };
        if let Some(rows) = read_rows(path, b',', "a column,category CSV", &mut report)? {
            for (i, (line, fields)) in rows.iter().enumerate() {
                if i == 0 && fields[0].eq_ignore_ascii_case("column") {
                    continue;
                }
                if fields.len() != 2 {
                    report
                        .error(
                            Location::line(path, *line),
                            format!("{} fields, expected 2", fields.len()),
                        )
                        .hint("each row is `column,category`");
                    continue;
                }
                let category = fields[1].trim();
                let category =
                    (!category.is_empty() && category != "-").then(|| category.to_string());
                mapping
                    .entries
                    .push((fields[0].trim().to_string(), category));
            }
        }
        crate::bail_if_errors(&mut report)?;
        Ok(mapping)
    }

    fn get(&self, label: &str) -> Option<&Option<String>> {
        self.entries
            .iter()
            .find(|(c, _)| c == label)
            .map(|(_, k)| k)
    }
}

/// Final demand per category and product (`values[category][product]`).
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Demand {
    pub categories: Vec<String>,
    pub values: Vec<Vec<f64>>,
}

/// Which category each final-demand column goes to.
#[derive(Debug, Clone)]
pub(crate) struct ColumnCategories {
    pub categories: Vec<String>,
    /// Per column: the category index, `None` when the mapping leaves it out.
    pub of_column: Vec<Option<usize>>,
}

impl ColumnCategories {
    /// Decides the category of every column (mapping first, then [`recognise`], then the label).
    pub fn assign(
        labels: &[&str],
        mapping: Option<&CategoryMapping>,
        location: &Location,
        report: &mut Diagnostics,
    ) -> Self {
        let mut categories: Vec<String> = Vec::new();
        let mut members: Vec<Vec<&str>> = Vec::new();
        let mut of_column = Vec::with_capacity(labels.len());
        for &label in labels {
            let category = match mapping.and_then(|m| m.get(label)) {
                Some(Some(c)) => Some(c.clone()),
                Some(None) => None,
                None => Some(match recognise(label) {
                    Some(c) => c.to_string(),
                    None => {
                        report
                            .note(location.clone(), format!("final-demand column `{label}` not recognised: a category of its own"))
                            .hint("name its category in a mapping file (column,category) to merge it with others");
                        label.to_string()
                    }
                }),
            };
            of_column.push(
                category.map(|c| match categories.iter().position(|k| *k == c) {
                    Some(k) => {
                        members[k].push(label);
                        k
                    }
                    None => {
                        categories.push(c);
                        members.push(vec![label]);
                        categories.len() - 1
                    }
                }),
            );
        }
        if let Some(m) = mapping {
            for (column, _) in &m.entries {
                if !labels.contains(&column.as_str()) {
                    report.warning(
                        Location::file(&m.file),
                        format!("mapping names column `{column}`, which the table does not have"),
                    );
                }
            }
        }
        let summary: Vec<String> = categories
            .iter()
            .zip(&members)
            .map(|(c, m)| {
                let mut unique: Vec<&str> = Vec::new();
                for label in m {
                    if !unique.contains(label) {
                        unique.push(label);
                    }
                }
                let shown: Vec<&str> = unique.iter().take(3).copied().collect();
                let more = if m.len() > shown.len() {
                    format!(", … {} columns", m.len())
                } else {
                    String::new()
                };
                format!("{c} <- {}{more}", shown.join(", "))
            })
            .collect();
        report.note(
            location.clone(),
            format!("final-demand categories: {}", summary.join("; ")),
        );
        ColumnCategories {
            categories,
            of_column,
        }
    }

    /// An empty demand over `n` products with these categories.
    pub fn demand(&self, n: usize) -> Demand {
        Demand {
            categories: self.categories.clone(),
            values: vec![vec![0.0; n]; self.categories.len()],
        }
    }
}

/// Reports columns the mapping left out, with their totals.
pub(crate) fn report_left_out(
    labels: &[&str],
    totals: &[f64],
    cats: &ColumnCategories,
    location: &Location,
    report: &mut Diagnostics,
) {
    for (j, label) in labels.iter().enumerate() {
        if cats.of_column[j].is_none() {
            report.warning(
                location.clone(),
                format!("final-demand column `{label}` left out by the mapping: {} of final demand not planned for", num(totals[j])),
            );
        }
    }
}

/// Nets negative amounts per product (see the module docs) and reports every adjusted product.
pub(crate) fn net_negatives(
    demand: &mut Demand,
    ids: &[String],
    locate: impl Fn(usize) -> Location,
    report: &mut Diagnostics,
) {
    let n = ids.len();
    let (mut netted, mut dropped, mut dropped_total) = (0usize, 0usize, 0.0f64);
    for p in 0..n {
        let mut positive = 0.0;
        let mut negative = 0.0;
        for v in &demand.values {
            if v[p] > 0.0 {
                positive += v[p];
            } else {
                negative -= v[p];
            }
        }
        if negative == 0.0 {
            continue;
        }
        let negatives: Vec<String> = demand
            .categories
            .iter()
            .zip(&demand.values)
            .filter(|(_, v)| v[p] < 0.0)
            .map(|(c, v)| format!("{c} {}", num(v[p])))
            .collect();
        if positive >= negative {
            let factor = (positive - negative) / positive;
            for v in &mut demand.values {
                v[p] = if v[p] > 0.0 { v[p] * factor } else { 0.0 };
            }
            netted += 1;
            report.note(
                locate(p),
                format!(
                    "`{}`: negative final demand ({}) netted against its positive categories, each scaled by {factor:.6}; total {} kept",
                    ids[p],
                    negatives.join(", "),
                    num(positive - negative)
                ),
            );
        } else {
            for v in &mut demand.values {
                v[p] = 0.0;
            }
            dropped += 1;
            dropped_total += positive - negative;
            report
                .warning(
                    locate(p),
                    format!(
                        "`{}`: total final demand is negative ({}: {} against {} positive): no targets for this product",
                        ids[p],
                        num(positive - negative),
                        negatives.join(", "),
                        num(positive)
                    ),
                )
                .hint("targets must be >= 0; the negative total is dropped, so gross outputs computed from the targets are higher than published");
        }
    }
    if netted + dropped > 0 {
        report.note(
            locate(0),
            format!(
                "negative final demand: {netted} products netted (totals kept), {dropped} with a negative total given no targets (in all {} dropped)",
                num(dropped_total)
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_of_the_real_tables_are_recognised() {
        for (label, category) in [
            ("AUS_c37_hh", "households"),
            ("RoW_c38_npish", "npish"),
            ("USA_c39_gov", "government"),
            ("DEU_c41_gfcf", "investment"),
            ("DEU_c42_inv", "inventories"),
            ("Households", "households"),
            ("Non-profit instns serving households", "npish"),
            ("Local government", "government"),
            ("Changes in inventories", "inventories"),
            ("Exports of services", "exports"),
            ("Valuables", "valuables"),
            ("Final consumption expenditure by households", "households"),
            (
                "Final consumption expenditure by non-profit organisations serving households (NPISH)",
                "npish",
            ),
            ("Changes in valuables", "valuables"),
            ("Export", "exports"),
            ("Exportação de bens e serviços (1)", "exports"),
            ("Consumo das  ISFLSF", "npish"),
            ("Consumo  das famílias", "households"),
            ("Consumo do governo", "government"),
            ("Formação bruta de capital fixo", "investment"),
            ("Variação de estoque", "inventories"),
            ("F01000", "households"),
            ("F02E00", "investment"),
            ("F050", "imports"),
            ("F10C", "government"),
            ("CONS_h", "households"),
            ("CONS_np", "npish"),
            ("CONS_g", "government"),
            ("INVEN", "inventories"),
            ("EXP", "exports"),
        ] {
            assert_eq!(recognise(label), Some(category), "{label}");
        }
        assert_eq!(recognise("Total demand"), None);
    }

    #[test]
    fn negatives_are_netted_keeping_totals_or_dropped_when_the_total_is_negative() {
        let mut d = Demand {
            categories: vec!["households".into(), "inventories".into()],
            values: vec![vec![100.0, 10.0, 5.0], vec![-20.0, -30.0, 0.0]],
        };
        let ids: Vec<String> = ["a", "b", "c"].map(String::from).to_vec();
        let mut report = Diagnostics::new();
        net_negatives(
            &mut d,
            &ids,
            |p| Location::line("Y.csv", p + 2),
            &mut report,
        );
        assert_eq!(d.values, vec![vec![80.0, 0.0, 5.0], vec![0.0, 0.0, 0.0]]);
        let text = report.to_string();
        assert!(
            text.contains("`a`: negative final demand (inventories -20)"),
            "{text}"
        );
        assert!(
            text.contains("warning: Y.csv:3: `b`: total final demand is negative (-20"),
            "{text}"
        );
    }
}
