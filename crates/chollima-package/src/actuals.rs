//! Actuals files (`technique,year,activity,investment`): what the first years of a multi-year
//! plan really produced and built, for re-planning the rest (`plan --from-year K`).

use std::path::Path;

use chollima_model::{Diagnostics, IdList};

use crate::table;

/// One technique's actual year.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Actual {
    pub technique: u32,
    /// Plan year, 1..from_year-1.
    pub year: u32,
    /// Units of activity run; `None` when not reported.
    pub activity: Option<f64>,
    /// Capacity added (usable from the next year); 0 when not reported.
    pub investment: f64,
}

/// Reads an actuals CSV for the years before `from_year`. Unknown techniques, years outside
/// `1..from_year`, repeated `(technique, year)` pairs, negative or non-numeric values are errors,
/// all reported with their line and column.
pub fn read_actuals(
    path: &Path,
    techniques: &IdList,
    from_year: u32,
) -> Result<(Vec<Actual>, Diagnostics), Diagnostics> {
    let mut diags = Diagnostics::new();
    let mut actuals = Vec::new();
    if let Some(mut file) = table::open(path, true, &mut diags) {
        let technique = file.require("technique", &mut diags);
        let year = file.require("year", &mut diags);
        let activity = file.header.find("activity");
        let investment = file.header.find("investment");
        if activity.is_none() && investment.is_none() {
            diags
                .error(
                    chollima_model::Location::line(path, 1),
                    "neither an `activity` nor an `investment` column",
                )
                .hint("actuals report, per technique and past year, the activity run and the capacity built");
        }
        if let (Some(technique), Some(year)) = (technique, year) {
            let mut seen = std::collections::HashMap::new();
            let last = f64::from(from_year.saturating_sub(1).max(1));
            file.rows(&mut diags, |row, diags| {
                let k = row.id(technique, diags).and_then(|id| {
                    let found = techniques.get(id);
                    if found.is_none() {
                        diags
                            .error(row.location(technique), format!("unknown technique `{id}`"))
                            .hint("actuals name techniques of the package's techniques.csv");
                    }
                    found
                });
                let y = match row.number(year, 1.0, last, diags) {
                    Ok(Some(y)) if y.fract() == 0.0 && y < f64::from(from_year) => Some(y as u32),
                    Ok(Some(y)) => {
                        diags
                            .error(
                                row.location(year),
                                format!("year {y} is not a past year of --from-year {from_year}"),
                            )
                            .hint(
                                "actuals cover the whole years before the one re-planning starts",
                            );
                        None
                    }
                    Ok(None) => {
                        diags.error(row.location(year), "empty `year`");
                        None
                    }
                    Err(()) => None,
                };
                let a = match activity.map(|c| row.number(c, 0.0, f64::INFINITY, diags)) {
                    Some(Err(())) => return,
                    Some(Ok(v)) => v,
                    None => None,
                };
                let v = match investment.map(|c| row.number(c, 0.0, f64::INFINITY, diags)) {
                    Some(Err(())) => return,
                    Some(Ok(v)) => v.unwrap_or(0.0),
                    None => 0.0,
                };
                let (Some(k), Some(y)) = (k, y) else { return };
                if let Some(first) = seen.insert((k, y), row.line) {
                    diags.error(
                        row.location(technique),
                        format!(
                            "technique `{}` in year {y} appears again (first on line {first})",
                            &techniques[k as usize]
                        ),
                    );
                    return;
                }
                actuals.push(Actual {
                    technique: k,
                    year: y,
                    activity: a,
                    investment: v,
                });
            });
        }
    }
    if diags.has_errors() {
        Err(diags)
    } else {
        Ok((actuals, diags))
    }
}
