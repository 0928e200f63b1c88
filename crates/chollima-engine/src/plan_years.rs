//! `plan` of a multi-year package (`[plan] years = T > 1`): the exact multi-year LP, then
//! `summary.json` (lambda per group as a list over years), `years.csv` and `techniques.csv`
//! with one row per technique and year.

use std::path::{Path, PathBuf};

use chollima_model::Economy;
use chollima_package::push_number;
use chollima_plan::{MultiYearPlan, PlanSettings};
use serde_json::json;

use crate::EngineError;
use crate::error::io_error;
use crate::output::write_rows;

/// Refuses what the multi-year plan does not do yet, with what to do instead.
pub(crate) fn check_settings(settings: &PlanSettings, years: u32) -> Result<(), EngineError> {
    use chollima_plan::Method;
    if matches!(settings.method, Method::Auto | Method::Highs | Method::Pdlp) {
        return Ok(());
    }
    Err(EngineError::Refused {
        message: format!(
            "--method {} does not plan several years; this package asks for {years}",
            settings.method.name()
        ),
        hint: "multi-year plans are solved by HiGHS (exact) or pdlp (certified to --gap): \
               use --method auto, highs or pdlp"
            .into(),
    })
}

/// Solves the multi-year plan: HiGHS, or the first-order method for large plans or when asked.
pub(crate) fn solve(economy: &Economy, settings: &PlanSettings) -> MultiYearPlan {
    chollima_plan::plan_years_with(economy, settings)
}

/// Writes `techniques.csv` and `years.csv`; returns the files written.
/// `first_year` numbers the rows' years (above 1 when re-planning from a later year).
pub(crate) fn write(
    economy: &Economy,
    plan: &MultiYearPlan,
    out: &Path,
    first_year: u32,
) -> Result<Vec<PathBuf>, EngineError> {
    std::fs::create_dir_all(out).map_err(io_error(out))?;
    let model = &plan.model;
    let horizon = model.years.len();
    let techniques = &economy.techniques;
    let has_plan = !plan.x.is_empty();
    let value = |column: usize| if has_plan { plan.x[column] } else { 0.0 };
    // Capacity per technique and year: the recurrence for expandable techniques, the worn-down
    // initial capacity for the others, none for unbounded ones.
    let expansion_of = model.expansion_of(techniques.len());
    let paths: Vec<Vec<f64>> = (0..model.expansions.len())
        .map(|e| {
            if has_plan {
                model.capacities(e, &plan.x)
            } else {
                vec![f64::NAN; horizon + 1]
            }
        })
        .collect();
    let techniques_file = write_rows(
        &out.join("techniques.csv"),
        "technique,product,year,activity,capacity,investment\n",
        techniques.len() * horizon,
        |row, o| {
            let (k, t) = (row / horizon, row % horizon);
            o.extend_from_slice(techniques.ids[k].as_bytes());
            o.push(b',');
            o.extend_from_slice(economy.products.ids[techniques.product[k] as usize].as_bytes());
            o.extend_from_slice(format!(",{},", t as u32 + first_year).as_bytes());
            push_number(o, value(model.column_offset[t] + k));
            o.push(b',');
            match (expansion_of[k], techniques.capacity[k]) {
                (Some(e), _) => push_number(o, paths[e][t]),
                (None, Some(c)) => {
                    push_number(o, c * (1.0 - techniques.depreciation[k]).powi(t as i32))
                }
                (None, None) => {}
            }
            o.push(b',');
            if let Some(e) = expansion_of[k] {
                push_number(o, value(model.expansions[e].investment[t]));
            }
            o.push(b'\n');
        },
    )?;
    let years_file = write_years(economy, plan, out, first_year)?;
    Ok(vec![techniques_file, years_file, out.join("summary.json")])
}

/// `years.csv`: one row per year and group: the group's lambda, then the year's resources used,
/// investment (goods used to build capacity), imports, exports and foreign exchange spent.
fn write_years(
    economy: &Economy,
    plan: &MultiYearPlan,
    out: &Path,
    first_year: u32,
) -> Result<PathBuf, EngineError> {
    let model = &plan.model;
    let horizon = model.years.len();
    let limit_names: Vec<String> = model.years[0]
        .limit_rows(economy)
        .into_iter()
        .map(|(name, _)| name)
        .filter(|name| name != chollima_plan::FOREIGN_EXCHANGE)
        .collect();
    let mut header = String::from("year,group,lambda");
    for name in &limit_names {
        header.push_str(&format!(",{name}"));
    }
    header.push_str(",investment,imports,exports,foreign_exchange\n");
    let has_plan = !plan.x.is_empty();
    // Per year: the limit rows' use, investment, imports, exports, foreign exchange.
    let per_year: Vec<Vec<f64>> = (0..horizon)
        .map(|t| {
            let year = &model.years[t];
            if !has_plan {
                return vec![f64::NAN; limit_names.len() + 4];
            }
            let block = &plan.x[model.column_offset[t]..][..year.lp.num_cols()];
            let rows = year.lp.row_activity(block);
            let mut values: Vec<f64> = year
                .limit_rows(economy)
                .into_iter()
                .filter(|(name, _)| name != chollima_plan::FOREIGN_EXCHANGE)
                .map(|(_, row)| rows[row])
                .collect();
            let investment: f64 = model
                .expansions
                .iter()
                .map(|e| {
                    let goods: f64 = economy
                        .capital
                        .as_ref()
                        .map_or(0.0, |c| c.column(e.technique).1.iter().sum());
                    goods * plan.x[e.investment[t]]
                })
                .sum();
            let total = |columns: &[Option<usize>]| -> f64 {
                columns.iter().flatten().map(|&c| block[c].max(0.0)).sum()
            };
            values.push(investment);
            values.push(total(&year.import_column));
            values.push(total(&year.export_column));
            values.push(year.fx_row.map_or(0.0, |row| rows[row]));
            values
        })
        .collect();
    let lambdas = plan.lambdas();
    let rows_per_year = lambdas.len().max(1);
    write_rows(
        &out.join("years.csv"),
        &header,
        horizon * rows_per_year,
        |row, o| {
            let (t, g) = (row / rows_per_year, row % rows_per_year);
            o.extend_from_slice(format!("{},", t as u32 + first_year).as_bytes());
            if let Some((name, values)) = lambdas.get(g) {
                o.extend_from_slice(name.as_bytes());
                o.push(b',');
                if values[t].is_finite() {
                    push_number(o, values[t]);
                }
            } else {
                o.push(b',');
            }
            for &v in &per_year[t] {
                o.push(b',');
                if v.is_finite() {
                    push_number(o, v);
                }
            }
            o.push(b'\n');
        },
    )
}

/// The multi-year parts of `summary.json`.
pub(crate) fn summary(plan: &MultiYearPlan, first_year: u32) -> serde_json::Value {
    let number = crate::plan::number;
    let lambda: serde_json::Map<String, serde_json::Value> = plan
        .lambdas()
        .into_iter()
        .map(|(g, values)| (g, json!(values.into_iter().map(number).collect::<Vec<_>>())))
        .collect();
    json!({
        "status": plan.status.name(),
        "years": plan.model.years.len(),
        "first_year": first_year,
        "lambda": lambda,
        "method": plan.method,
        "gap": number(plan.gap),
        "seconds": plan.seconds,
        "stages": plan.stages.iter().map(|s| json!({
            "group": s.group, "status": s.status.name(), "sum_of_lambdas": number(s.total),
            "gap": number(s.gap), "seconds": s.seconds, "iterations": s.iterations,
            "earlier_sums_held_within": s.held_within,
        })).collect::<Vec<_>>(),
        "investing_techniques": plan.model.expansions.len(),
    })
}
