//! `plan`: a package in, the optimal plan out: for one year `summary.json`, `techniques.csv`,
//! `products.csv`; for several ([`crate::plan_years`]) `summary.json`, `years.csv`,
//! `techniques.csv` by year. Optionally the LP as an MPS file.

use std::io::Write;
use std::path::{Path, PathBuf};

use chollima_model::{Diagnostics, Economy};
use chollima_package::push_number;
use chollima_plan::{MultiYearLp, MultiYearPlan, Plan, PlanLp, PlanSettings};
use serde_json::json;

use crate::error::io_error;
use crate::observer::timed;
use crate::output::write_rows;
use crate::{EngineError, Observer};

/// What to plan and how.
#[derive(Debug, Clone, Default)]
pub struct PlanOptions {
    pub settings: PlanSettings,
    /// Also write the LP (the first stage's objective when there are priorities) as MPS.
    pub export_mps: Option<PathBuf>,
    /// Also plan without the least reliable source of `finance.csv` (`stress.json`).
    pub stress: bool,
    /// Re-plan years `from_year..T` of a multi-year plan, given what the years before actually
    /// did (`actuals`: technique, year, activity, investment).
    pub from_year: Option<u32>,
    pub actuals: Option<PathBuf>,
}

/// The plan found: one period, or several years.
#[derive(Debug)]
pub enum Planned {
    Period(Plan),
    Years(MultiYearPlan),
}

/// What `plan` did.
#[derive(Debug)]
pub struct PlanReport {
    pub plan: Planned,
    /// What losing the least reliable source of foreign exchange costs (`--stress`).
    pub stress: Option<crate::stress::StressReport>,
    pub diagnostics: Diagnostics,
    pub timings: Vec<(String, f64)>,
    pub files: Vec<PathBuf>,
}

/// Plans the economy in `package` and writes the results into the folder `out`. An infeasible
/// or unbounded plan is a result (see `report.plan.status`), written like any other.
pub fn plan(
    package: &Path,
    out: &Path,
    options: &PlanOptions,
    observer: &dyn Observer,
) -> Result<PlanReport, EngineError> {
    let mut timings = Vec::new();
    let loaded = timed(observer, &mut timings, "reading", || {
        chollima_package::read(package)
    })?;
    let economy = loaded.economy;
    let mut diagnostics = loaded.diagnostics;
    if let Some(from_year) = options.from_year {
        let actuals = match (&options.actuals, from_year) {
            (Some(path), _) => {
                match chollima_package::read_actuals(path, &economy.techniques.ids, from_year) {
                    Ok((actuals, warnings)) => {
                        diagnostics.extend(warnings);
                        actuals
                    }
                    Err(diagnostics) => {
                        return Err(EngineError::InvalidInput {
                            path: path.clone(),
                            diagnostics,
                        });
                    }
                }
            }
            (None, 1) => Vec::new(),
            (None, _) => {
                return Err(EngineError::Refused {
                    message: format!("--from-year {from_year} needs --actuals"),
                    hint:
                        "give a CSV of technique, year, activity, investment for the years before"
                            .into(),
                });
            }
        };
        let path = options.actuals.clone().unwrap_or_default();
        let rest =
            crate::rolling::remaining(&economy, from_year, &actuals, &path, &mut diagnostics)?;
        return plan_several_years(
            &rest,
            diagnostics,
            timings,
            out,
            options,
            observer,
            from_year,
        );
    }
    if options.actuals.is_some() {
        return Err(EngineError::Refused {
            message: "--actuals is read only with --from-year".into(),
            hint: "say from which year to re-plan, e.g. --from-year 3".into(),
        });
    }
    let years = economy.manifest.plan_settings().years;
    if years > 1 {
        return plan_several_years(&economy, diagnostics, timings, out, options, observer, 1);
    }
    let mut files = Vec::new();
    let model = PlanLp::new(&economy, 1);
    if let Some(path) = &options.export_mps {
        timed(observer, &mut timings, "exporting", || {
            export_mps(&economy, &model, path)
        })?;
        files.push(path.clone());
    }
    let plan = timed(observer, &mut timings, "solving", || {
        chollima_plan::plan_model(&economy, model, &options.settings)
    });
    let written = timed(observer, &mut timings, "writing", || {
        write_plan(&economy, &plan, out)
    })?;
    files.extend(written);
    let summary = summary(&plan);
    let base = || {
        plan.lambdas
            .iter()
            .map(|(g, l)| (g.clone(), vec![*l]))
            .collect()
    };
    let stress = run_stress(
        &economy,
        base,
        options,
        out,
        observer,
        &mut timings,
        &mut files,
    )?;
    let report = PlanReport {
        stress,
        plan: Planned::Period(plan),
        diagnostics,
        timings,
        files,
    };
    write_summary(&economy, &report, summary, out)?;
    Ok(report)
}

#[allow(clippy::too_many_arguments)]
fn plan_several_years(
    economy: &Economy,
    diagnostics: Diagnostics,
    mut timings: Vec<(String, f64)>,
    out: &Path,
    options: &PlanOptions,
    observer: &dyn Observer,
    first_year: u32,
) -> Result<PlanReport, EngineError> {
    let years = economy.manifest.plan_settings().years;
    crate::plan_years::check_settings(&options.settings, years)?;
    let mut files = Vec::new();
    if let Some(path) = &options.export_mps {
        timed(observer, &mut timings, "exporting", || {
            let model = MultiYearLp::new(economy);
            let file = std::fs::File::create(path).map_err(io_error(path))?;
            let mut writer = std::io::BufWriter::new(file);
            model
                .write_mps(economy, &mut writer)
                .and_then(|()| writer.flush())
                .map_err(io_error(path))
        })?;
        files.push(path.clone());
    }
    let plan = timed(observer, &mut timings, "solving", || {
        crate::plan_years::solve(economy, &options.settings)
    });
    let written = timed(observer, &mut timings, "writing", || {
        crate::plan_years::write(economy, &plan, out, first_year)
    })?;
    files.extend(written);
    let summary = crate::plan_years::summary(&plan, first_year);
    let base = || plan.lambdas();
    let stress = run_stress(
        economy,
        base,
        options,
        out,
        observer,
        &mut timings,
        &mut files,
    )?;
    let report = PlanReport {
        stress,
        plan: Planned::Years(plan),
        diagnostics,
        timings,
        files,
    };
    write_summary(economy, &report, summary, out)?;
    Ok(report)
}

/// `--stress`: the plan again without the least reliable source, from the lambdas `base` of
/// the plan with every source; `None` when not asked.
fn run_stress(
    economy: &Economy,
    base: impl FnOnce() -> Vec<(String, Vec<f64>)>,
    options: &PlanOptions,
    out: &Path,
    observer: &dyn Observer,
    timings: &mut Vec<(String, f64)>,
    files: &mut Vec<PathBuf>,
) -> Result<Option<crate::stress::StressReport>, EngineError> {
    if !options.stress {
        return Ok(None);
    }
    let report = timed(observer, timings, "stress", || {
        crate::stress::stress(economy, base(), &options.settings, out)
    })?;
    files.push(out.join("stress.json"));
    Ok(Some(report))
}

/// Writes the plan LP as MPS (the first stage: the first group's lambda as the objective).
fn export_mps(economy: &Economy, model: &PlanLp, path: &Path) -> Result<(), EngineError> {
    let file = std::fs::File::create(path).map_err(io_error(path))?;
    let mut writer = std::io::BufWriter::new(file);
    model
        .write_mps(economy, &mut writer)
        .and_then(|()| writer.flush())
        .map_err(io_error(path))
}

fn write_plan(economy: &Economy, plan: &Plan, out: &Path) -> Result<Vec<PathBuf>, EngineError> {
    std::fs::create_dir_all(out).map_err(io_error(out))?;
    let techniques = &economy.techniques;
    let techniques_file = write_rows(
        &out.join("techniques.csv"),
        "technique,product,activity,capacity,utilisation\n",
        techniques.len(),
        |k, o| {
            o.extend_from_slice(techniques.ids[k].as_bytes());
            o.push(b',');
            o.extend_from_slice(economy.products.ids[techniques.product[k] as usize].as_bytes());
            o.push(b',');
            push_number(o, plan.activity[k]);
            o.push(b',');
            if let Some(cap) = techniques.capacity[k] {
                push_number(o, cap);
                o.push(b',');
                if cap > 0.0 {
                    push_number(o, plan.activity[k] / cap);
                }
            } else {
                o.push(b',');
            }
            o.push(b'\n');
        },
    )?;
    let labour = plan
        .status
        .solved()
        .then(|| chollima_plan::labour_values(economy, &plan.activity))
        .flatten();
    let products_file = write_rows(
        &out.join("products.csv"),
        "product,supply,target,fulfilment,imports,exports,shadow_price,labour_value\n",
        economy.products.len(),
        |i, o| {
            o.extend_from_slice(economy.products.ids[i].as_bytes());
            for v in [plan.supply[i], plan.target[i]] {
                o.push(b',');
                push_number(o, v);
            }
            o.push(b',');
            if plan.target[i] > 0.0 {
                push_number(o, plan.supply[i] / plan.target[i]);
            }
            for v in [plan.imports[i], plan.exports[i], plan.shadow_price[i]] {
                o.push(b',');
                push_number(o, v);
            }
            o.push(b',');
            if let Some(v) = &labour {
                push_number(o, v[i]);
            }
            o.push(b'\n');
        },
    )?;
    Ok(vec![
        techniques_file,
        products_file,
        out.join("summary.json"),
    ])
}

/// A number for JSON: `null` when not finite (an infeasible plan has no lambda).
pub(crate) fn number(v: f64) -> serde_json::Value {
    if v.is_finite() {
        json!(v)
    } else {
        serde_json::Value::Null
    }
}

/// The single-period parts of `summary.json`.
fn summary(plan: &Plan) -> serde_json::Value {
    let lambda: serde_json::Map<String, serde_json::Value> = plan
        .lambdas
        .iter()
        .map(|(g, l)| (g.clone(), number(*l)))
        .collect();
    let resources: serde_json::Map<String, serde_json::Value> = plan
        .resources
        .iter()
        .map(|r| {
            (
                r.name.clone(),
                json!({"used": number(r.used), "available": number(r.available)}),
            )
        })
        .collect();
    let diagnosis = plan.diagnosis.as_ref().map(|d| {
        json!({
            "summary": d.summary,
            "unobtainable": d.unobtainable,
            "shortages": d.shortages.iter().map(|s| json!({
                "what": s.what, "short_by": s.short_by, "available": number(s.available),
            })).collect::<Vec<_>>(),
            "pressing_targets": d.pressing_targets.iter().map(|t| json!({
                "product": t.product, "groups": t.groups, "quantity": t.quantity, "share": t.share,
            })).collect::<Vec<_>>(),
        })
    });
    json!({
        "status": plan.status.name(),
        "lambda": lambda,
        "resources_used": resources,
        "binding": plan.binding,
        "method": plan.method,
        "gap": number(plan.gap),
        "seconds": plan.seconds,
        "stages": plan.stages.iter().map(|s| json!({
            "group": s.group, "status": s.status.name(), "lambda": number(s.lambda),
            "gap": number(s.gap), "seconds": s.seconds, "iterations": s.iterations,
            "method": s.method,
        })).collect::<Vec<_>>(),
        "diagnosis": diagnosis,
    })
}

/// Writes `summary.json`: the economy and the run's timings around the plan's own `parts`.
fn write_summary(
    economy: &Economy,
    report: &PlanReport,
    parts: serde_json::Value,
    out: &Path,
) -> Result<(), EngineError> {
    let mut summary = json!({
        "economy": economy.manifest.name,
        "products": economy.products.len(),
        "techniques": economy.techniques.len(),
        "timings": report.timings.iter().map(|(n, s)| (n.clone(), json!(s))).collect::<serde_json::Map<_, _>>(),
        "warnings": report.diagnostics.iter().map(|d| d.to_string()).collect::<Vec<_>>(),
    });
    if let (Some(summary), serde_json::Value::Object(parts)) = (summary.as_object_mut(), parts) {
        summary.extend(parts);
    }
    let path = out.join("summary.json");
    let text = serde_json::to_string_pretty(&summary).expect("JSON values serialise");
    std::fs::write(&path, text + "\n").map_err(io_error(&path))
}
