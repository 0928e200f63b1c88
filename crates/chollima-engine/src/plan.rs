//! `plan`: a package in, the optimal single-period plan out (`summary.json`, `techniques.csv`,
//! `products.csv`), and optionally the LP as an MPS file.

use std::io::Write;
use std::path::{Path, PathBuf};

use chollima_model::{Diagnostics, Economy};
use chollima_package::push_number;
use chollima_plan::{Plan, PlanLp, PlanSettings};
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
}

/// What `plan` did.
#[derive(Debug)]
pub struct PlanReport {
    pub plan: Plan,
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
    let years = economy.manifest.plan_settings().years;
    if years > 1 {
        return Err(EngineError::Refused {
            message: format!("the package asks for a {years}-year plan"),
            hint: "multi-year plans are not implemented yet (issue 4); set years = 1 in \
                   economy.toml's [plan] to plan one year"
                .into(),
        });
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
    let report = PlanReport {
        plan,
        diagnostics: loaded.diagnostics,
        timings,
        files,
    };
    write_summary(&economy, &report, out)?;
    Ok(report)
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
fn number(v: f64) -> serde_json::Value {
    if v.is_finite() {
        json!(v)
    } else {
        serde_json::Value::Null
    }
}

fn write_summary(economy: &Economy, report: &PlanReport, out: &Path) -> Result<(), EngineError> {
    let plan = &report.plan;
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
    let summary = json!({
        "economy": economy.manifest.name,
        "status": plan.status.name(),
        "lambda": lambda,
        "resources_used": resources,
        "binding": plan.binding,
        "method": plan.method,
        "gap": number(plan.gap),
        "seconds": plan.seconds,
        "stages": plan.stages.iter().map(|s| json!({
            "group": s.group, "status": s.status.name(), "lambda": number(s.lambda),
            "gap": number(s.gap), "seconds": s.seconds,
        })).collect::<Vec<_>>(),
        "diagnosis": diagnosis,
        "products": economy.products.len(),
        "techniques": economy.techniques.len(),
        "timings": report.timings.iter().map(|(n, s)| (n.clone(), json!(s))).collect::<serde_json::Map<_, _>>(),
        "warnings": report.diagnostics.iter().map(|d| d.to_string()).collect::<Vec<_>>(),
    });
    let path = out.join("summary.json");
    let text = serde_json::to_string_pretty(&summary).expect("JSON values serialise");
    std::fs::write(&path, text + "\n").map_err(io_error(&path))
}
