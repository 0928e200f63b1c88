//! `plan --stress`: the plan again without its least reliable source of foreign exchange (the
//! 1960s lesson: donors leave), and what that costs in fulfilment, group by group and year by
//! year, in `stress.json`.

use std::path::Path;

use chollima_model::Economy;
use chollima_plan::{PlanLp, PlanSettings};
use serde_json::json;

use crate::EngineError;
use crate::error::io_error;
use crate::plan::number;

/// The source withdrawn: the lowest reliability (the larger expected amount breaks ties).
fn least_reliable(economy: &Economy) -> Option<String> {
    let rows = economy.finance.as_ref()?;
    let mut sources: Vec<(String, f64, f64)> = Vec::new();
    for f in rows {
        match sources.iter_mut().find(|s| s.0 == f.source) {
            Some(s) => {
                s.1 = s.1.min(f.reliability);
                s.2 += f.amount * f.reliability;
            }
            None => sources.push((f.source.clone(), f.reliability, f.amount * f.reliability)),
        }
    }
    sources
        .into_iter()
        .min_by(|a, b| a.1.total_cmp(&b.1).then(b.2.total_cmp(&a.2)))
        .map(|s| s.0)
}

/// Lambdas per group, one value per year (one year for a single-period plan).
fn lambdas(economy: &Economy, settings: &PlanSettings) -> Vec<(String, Vec<f64>)> {
    if economy.manifest.plan_settings().years > 1 {
        chollima_plan::plan_years_with(economy, settings).lambdas()
    } else {
        let plan = chollima_plan::plan_model(economy, PlanLp::new(economy, 1), settings);
        plan.lambdas
            .into_iter()
            .map(|(g, l)| (g, vec![l]))
            .collect()
    }
}

/// What withdrawing the least reliable source costs.
#[derive(Debug, Clone)]
pub struct StressReport {
    pub withdrawn: String,
    /// `(group, lambda per year with every source, without the withdrawn one)`.
    pub lambdas: Vec<(String, Vec<f64>, Vec<f64>)>,
}

/// Re-plans without the least reliable source; writes `stress.json` into `out`.
pub(crate) fn stress(
    economy: &Economy,
    base: Vec<(String, Vec<f64>)>,
    settings: &PlanSettings,
    out: &Path,
) -> Result<StressReport, EngineError> {
    let Some(withdrawn) = least_reliable(economy) else {
        return Err(EngineError::Refused {
            message: "--stress withdraws a source of foreign exchange, and this package lists none"
                .into(),
            hint: "add finance.csv (source, kind, year, amount, reliability; see docs/FORMAT.md)"
                .into(),
        });
    };
    let mut stressed = economy.clone();
    if let Some(rows) = &mut stressed.finance {
        rows.retain(|f| f.source != withdrawn);
    }
    let without = lambdas(&stressed, settings);
    let lambdas: Vec<(String, Vec<f64>, Vec<f64>)> = base
        .into_iter()
        .map(|(group, with)| {
            let after = without
                .iter()
                .find(|(g, _)| *g == group)
                .map_or_else(|| vec![f64::NAN; with.len()], |(_, v)| v.clone());
            (group, with, after)
        })
        .collect();
    let rows = economy.finance.as_ref().expect("a source was found");
    let source = rows.iter().find(|f| f.source == withdrawn).expect("listed");
    let summary = json!({
        "withdrawn": {
            "source": withdrawn,
            "kind": source.kind.name(),
            "reliability": source.reliability,
            "expected_per_year": (1..=economy.manifest.plan_settings().years.max(1)).map(|y| {
                rows.iter()
                    .filter(|f| f.source == withdrawn && f.year.is_none_or(|v| v == y))
                    .map(|f| f.amount * f.reliability)
                    .sum::<f64>()
            }).collect::<Vec<_>>(),
        },
        "groups": lambdas.iter().map(|(g, with, without)| json!({
            "group": g,
            "lambda": with.iter().copied().map(number).collect::<Vec<_>>(),
            "lambda_without": without.iter().copied().map(number).collect::<Vec<_>>(),
            "cost": with.iter().zip(without).map(|(a, b)| number(a - b)).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    });
    let path = out.join("stress.json");
    let text = serde_json::to_string_pretty(&summary).expect("JSON values serialise");
    std::fs::write(&path, text + "\n").map_err(io_error(&path))?;
    Ok(StressReport { withdrawn, lambdas })
}
