//! A plan made by `chollima plan`, as the plan office takes it: one line per technique with its
//! product's category and shadow price (the body of the server's `POST /api/plans`).

use std::collections::HashMap;
use std::path::Path;

use chollima_model::{Diagnostics, Location};
use chollima_office::PlanLine;

use crate::EngineError;

/// Reads `PLAN_DIR/techniques.csv` (technique, product, activity, capacity) and
/// `PLAN_DIR/products.csv` (product, shadow_price) of a single-period plan, and the categories
/// of the products' targets from the package the plan was made from. Every problem is located.
pub fn office_plan(plan_dir: &Path, package: &Path) -> Result<Vec<PlanLine>, EngineError> {
    let economy = crate::load(package)?.economy;
    let mut category: HashMap<&str, &str> = HashMap::new();
    for t in &economy.targets {
        category
            .entry(&economy.products.ids[t.product as usize])
            .or_insert(economy.categories[t.category as usize].as_str());
    }
    let mut diagnostics = Diagnostics::new();
    let products = plan_dir.join("products.csv");
    let mut price: HashMap<String, f64> = HashMap::new();
    for (line, row) in read_rows(&products, &["product", "shadow_price"], &mut diagnostics)? {
        if let Some(value) = number(&row[1], &products, line, 2, &mut diagnostics) {
            price.insert(row[0].clone(), value);
        }
    }
    let techniques = plan_dir.join("techniques.csv");
    let mut lines = Vec::new();
    let columns = ["technique", "product", "activity", "capacity"];
    for (line, row) in read_rows(&techniques, &columns, &mut diagnostics)? {
        let Some(activity) = number(&row[2], &techniques, line, 3, &mut diagnostics) else {
            continue;
        };
        let capacity = if row[3].is_empty() {
            None
        } else {
            number(&row[3], &techniques, line, 4, &mut diagnostics)
        };
        lines.push(PlanLine {
            technique: row[0].clone(),
            category: category.get(row[1].as_str()).map(|c| (*c).to_owned()),
            weight: price.get(&row[1]).copied(),
            product: row[1].clone(),
            activity: activity.max(0.0),
            capacity,
        });
    }
    if diagnostics.has_errors() {
        return Err(EngineError::InvalidInput {
            path: plan_dir.to_path_buf(),
            diagnostics,
        });
    }
    Ok(lines)
}

/// The named columns of every row of a CSV file, with the row's line.
fn read_rows(
    path: &Path,
    wanted: &[&str],
    diagnostics: &mut Diagnostics,
) -> Result<Vec<(usize, Vec<String>)>, EngineError> {
    let io = |source| EngineError::Io {
        path: path.to_path_buf(),
        source,
    };
    let text = std::fs::read_to_string(path).map_err(io)?;
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = match reader.headers() {
        Ok(h) => h.clone(),
        Err(e) => {
            diagnostics.error(Location::at(path, 1, 1), format!("unreadable header: {e}"));
            return Ok(Vec::new());
        }
    };
    let mut positions = Vec::new();
    for name in wanted {
        match headers.iter().position(|h| h == *name) {
            Some(p) => positions.push(p),
            None => {
                diagnostics
                    .error(Location::at(path, 1, 1), format!("no `{name}` column"))
                    .hint("give the folder `chollima plan --out` wrote for a single-period plan");
            }
        }
    }
    if positions.len() < wanted.len() {
        return Ok(Vec::new());
    }
    let mut rows = Vec::new();
    for record in reader.records() {
        match record {
            Ok(r) => {
                let line = r.position().map_or(0, |p| p.line() as usize);
                rows.push((
                    line,
                    positions
                        .iter()
                        .map(|&p| r.get(p).unwrap_or("").to_owned())
                        .collect(),
                ));
            }
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line() as usize);
                diagnostics.error(Location::at(path, line, 1), e.to_string());
            }
        }
    }
    Ok(rows)
}

fn number(
    text: &str,
    path: &Path,
    line: usize,
    column: usize,
    diagnostics: &mut Diagnostics,
) -> Option<f64> {
    match text.parse::<f64>() {
        Ok(v) if v.is_finite() => Some(v),
        _ => {
            diagnostics.error(
                Location::at(path, line, column),
                format!("`{text}` is not a number"),
            );
            None
        }
    }
}
