//! The rolling horizon (`plan --from-year K --actuals FILE`): the economy of years K..T, with
//! the capacity that years 1..K-1 actually left behind.
//!
//! Capacity at the start of year K follows FORMAT.md's recurrence from the package's capacity
//! and the investment reported for each past year (none reported: none made). Resources,
//! targets and finance rows of the remaining years are renumbered from 1, so the remaining plan
//! is an ordinary multi-year plan; the outputs number the years as the original plan does.

use std::path::Path;

use chollima_model::{Diagnostics, Economy, Location, ResourceAmount};
use chollima_package::Actual;

use crate::EngineError;

/// The economy of years `from_year..=T` after the `actuals` of the years before.
pub(crate) fn remaining(
    economy: &Economy,
    from_year: u32,
    actuals: &[Actual],
    actuals_path: &Path,
    diagnostics: &mut Diagnostics,
) -> Result<Economy, EngineError> {
    let mut settings = economy.manifest.plan_settings();
    let years = settings.years;
    if from_year < 1 || from_year > years {
        return Err(EngineError::Refused {
            message: format!("--from-year {from_year} is not a year of this {years}-year plan"),
            hint: format!("give a year from 1 to {years}"),
        });
    }
    let techniques = &economy.techniques;
    let mut investment = vec![vec![0.0; from_year as usize]; techniques.len()];
    let mut problems = Diagnostics::new();
    for a in actuals {
        let k = a.technique as usize;
        if a.investment > 0.0 && techniques.capacity[k].is_none() {
            problems
                .error(
                    Location::file(actuals_path),
                    format!(
                        "technique `{}` reports investment in year {}, but it has no capacity to expand",
                        &techniques.ids[k], a.year
                    ),
                )
                .hint("only techniques with a capacity in techniques.csv are built up");
        }
        investment[k][a.year as usize - 1] += a.investment;
    }
    if problems.has_errors() {
        return Err(EngineError::InvalidInput {
            path: actuals_path.to_owned(),
            diagnostics: problems,
        });
    }
    // Capacity year by year through the past, checking reported activity against it.
    let mut capacity = techniques.capacity.clone();
    for (k, c) in capacity.iter_mut().enumerate() {
        let Some(c) = c else { continue };
        let keep = 1.0 - techniques.depreciation[k];
        for year in 1..from_year {
            let reported = actuals
                .iter()
                .find(|a| a.technique as usize == k && a.year == year)
                .and_then(|a| a.activity);
            if let Some(activity) = reported
                && activity > *c * (1.0 + 1e-9) + 1e-12
            {
                diagnostics.warning(
                    Location::file(actuals_path),
                    format!(
                        "technique `{}` reports activity {activity} in year {year}, above its capacity {c}",
                        &techniques.ids[k]
                    ),
                );
            }
            *c = keep * *c + investment[k][year as usize - 1];
        }
    }
    let skip = from_year as usize - 1;
    let mut rest = economy.clone();
    rest.techniques.capacity = capacity;
    for resource in &mut rest.manifest.resources {
        if let ResourceAmount::PerYear(values) = &mut resource.amount {
            values.drain(..skip);
        }
    }
    rest.targets
        .retain(|t| t.year.is_none_or(|y| y >= from_year));
    for t in &mut rest.targets {
        t.year = t.year.map(|y| y - skip as u32);
    }
    if let Some(rows) = &mut rest.finance {
        rows.retain(|f| f.year.is_none_or(|y| y >= from_year));
        for f in rows {
            f.year = f.year.map(|y| y - skip as u32);
        }
    }
    settings.years = years - skip as u32;
    rest.manifest.plan = Some(settings);
    Ok(rest)
}
