//! Each command: resolve the raw arguments into engine settings, run, and summarise.

use std::process::ExitCode;

use anyhow::Result;

use std::sync::Arc;

use chollima_engine::{
    AnalysisSettings, AnalyzeOptions, AnalyzeReport, GenerateConfig, Method, Severity,
};

use crate::args::{
    AnalysisArgs, AnalyzeArgs, Cli, Command, GenerateArgs, MethodArg, PlanArgs, PlanMethodArg,
};
use crate::progress::Spinner;

pub fn run(cli: Cli) -> Result<ExitCode> {
    let quiet = cli.quiet;
    match cli.command {
        Command::Validate { package } => validate(&package, quiet),
        Command::Analyze(args) => analyze(args, quiet),
        Command::Import(args) => crate::import::run(args, quiet),
        Command::Generate(args) => generate(args, quiet),
        Command::Plan(args) => plan(args, quiet),
        Command::Serve(args) => crate::serve::run(args, quiet),
        Command::OfficePlan(args) => crate::serve::office_plan(args, quiet),
    }
}

fn validate(package: &std::path::Path, quiet: bool) -> Result<ExitCode> {
    let report = chollima_engine::validate(package);
    for d in report
        .iter()
        .filter(|d| !quiet || d.severity == Severity::Error)
    {
        println!("{d}");
    }
    let errors = report.count(Severity::Error);
    let warnings = report.count(Severity::Warning);
    if !quiet {
        eprintln!(
            "{}: {errors} error(s), {warnings} warning(s){}",
            package.display(),
            if errors == 0 { ": valid" } else { "" }
        );
    }
    Ok(if errors > 0 {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}

fn analyze(args: AnalyzeArgs, quiet: bool) -> Result<ExitCode> {
    let options = analysis_options(args.analysis)?;
    let spinner = Spinner::new(quiet);
    let report = chollima_engine::analyze(&args.package, &args.out, &options, &spinner)?;
    if !quiet {
        print_analysis(&report, &args.out);
    }
    Ok(ExitCode::SUCCESS)
}

/// The engine's analysis options from the flags shared by `analyze` and `import --analyze`.
pub fn analysis_options(args: AnalysisArgs) -> Result<AnalyzeOptions> {
    if !(args.tolerance > 0.0 && args.tolerance < 1.0) {
        anyhow::bail!(chollima_engine::EngineError::Refused {
            message: format!("--tolerance {} is outside (0, 1)", args.tolerance),
            hint: "the default, 1e-11, gives results to about 10 digits".into(),
        });
    }
    let mut settings = AnalysisSettings::default();
    settings.solver.method = match args.method {
        MethodArg::Auto => Method::Auto,
        MethodArg::SparseLu => Method::SparseLu,
        MethodArg::DenseLu => Method::DenseLu,
        MethodArg::Iterative => Method::Iterative,
    };
    settings.solver.iterative.tolerance = args.tolerance;
    Ok(AnalyzeOptions {
        demand: args.demand,
        inverse: args.inverse,
        settings,
    })
}

/// Prints an analysis' diagnostics and one summary line on stderr.
pub fn print_analysis(report: &AnalyzeReport, out: &std::path::Path) {
    for d in report.diagnostics.iter() {
        eprintln!("{d}");
    }
    let info = &report.analysis.info;
    let total: f64 = report.timings.iter().map(|(_, s)| s).sum();
    eprintln!(
        "analysed {} products in {total:.3} s ({}, {} iterations, residual {:.1e}, spectral radius <= {:.4}); wrote {}",
        report.analysis.gross_output.len(),
        info.method.name(),
        info.iterations,
        info.residual,
        info.spectral.upper,
        out.display()
    );
}

fn generate(args: GenerateArgs, quiet: bool) -> Result<ExitCode> {
    let config = GenerateConfig {
        products: args.products,
        inputs: args.inputs,
        seed: args.seed,
        basic_goods: args.basic_goods,
        alternatives: args.alternatives,
        capacities: args.capacities,
        trade: args.trade,
        years: args.years,
        land: args.land,
        priorities: args.priorities,
    };
    let spinner = Spinner::new(quiet);
    let report = chollima_engine::generate(&config, &args.out, &spinner)?;
    if !quiet {
        let total: f64 = report.timings.iter().map(|(_, s)| s).sum();
        eprintln!(
            "generated {} products, {} techniques, {} input coefficients in {total:.3} s; wrote {}",
            report.products,
            report.techniques,
            report.nonzeros,
            report.package.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Exit code of a plan that ran but found no optimal plan (infeasible, unbounded, stopped).
const NO_OPTIMAL_PLAN: u8 = 3;

fn plan(args: PlanArgs, quiet: bool) -> Result<ExitCode> {
    let mut settings = chollima_engine::PlanSettings {
        method: match args.method {
            PlanMethodArg::Auto => chollima_engine::PlanMethod::Auto,
            PlanMethodArg::Highs => chollima_engine::PlanMethod::Highs,
            PlanMethodArg::Pdlp => chollima_engine::PlanMethod::Pdlp,
            PlanMethodArg::Merit => chollima_engine::PlanMethod::Merit,
            PlanMethodArg::Harmony => chollima_engine::PlanMethod::Harmony,
            PlanMethodArg::Simplex => chollima_engine::PlanMethod::Simplex,
        },
        ..Default::default()
    };
    if !(args.gap.is_finite() && args.gap > 0.0 && args.gap < 1.0) {
        anyhow::bail!(chollima_engine::EngineError::Refused {
            message: format!("--gap {} is not a relative gap between 0 and 1", args.gap),
            hint: "give a share such as 0.01 (1 %) or 1e-6".into(),
        });
    }
    settings.gap = args.gap;
    if let Some(limit) = args.time_limit {
        if limit.is_nan() || limit <= 0.0 {
            anyhow::bail!(chollima_engine::EngineError::Refused {
                message: format!("--time-limit {limit} is not a positive number of seconds"),
                hint: "leave it out to let the solver run to the end".into(),
            });
        }
        settings.highs.time_limit_seconds = limit;
        settings.pdlp.time_limit_seconds = limit;
    }
    let options = chollima_engine::PlanOptions {
        settings,
        export_mps: args.export_mps.clone(),
        stress: args.stress,
        from_year: args.from_year,
        actuals: args.actuals.clone(),
    };
    let spinner = Arc::new(Spinner::new(quiet));
    let mut options = options;
    let shown = Arc::clone(&spinner);
    options.settings.progress = Some(chollima_engine::PlanProgressSink(Arc::new(move |p| {
        shown.set_message(format!(
            "solving {}: iteration {}, lambda {:.6}, bound {:.6}, gap {:.1e}",
            p.stage, p.iteration, p.objective, p.bound, p.gap
        ))
    })));
    let report = chollima_engine::plan(&args.package, &args.out, &options, spinner.as_ref())?;
    if !quiet {
        for d in report.diagnostics.iter() {
            eprintln!("{d}");
        }
    }
    if let (Some(stress), false) = (&report.stress, quiet) {
        let costs: Vec<String> = stress
            .lambdas
            .iter()
            .map(|(g, with, without)| {
                let lost: f64 = with.iter().zip(without).map(|(a, b)| a - b).sum();
                format!("{g} {lost:.4}")
            })
            .collect();
        eprintln!(
            "stress: without `{}`, the lambdas fall by (summed over years) {}; see stress.json",
            stress.withdrawn,
            costs.join(", ")
        );
    }
    let plan = match &report.plan {
        chollima_engine::Planned::Period(plan) => plan,
        chollima_engine::Planned::Years(plan) => return Ok(several_years(plan, &args, quiet)),
    };
    if !quiet {
        let lambdas: Vec<String> = plan
            .lambdas
            .iter()
            .map(|(g, l)| format!("{g} {l:.6}"))
            .collect();
        eprintln!(
            "plan {} by {} in {:.3} s: lambda {} (gap {:.1e}); binding: {}; wrote {}",
            plan.status.name(),
            plan.method,
            plan.seconds,
            lambdas.join(", "),
            plan.gap,
            binding_list(&plan.binding),
            args.out.display()
        );
    }
    if plan.status.solved() {
        return Ok(ExitCode::SUCCESS);
    }
    // The reason goes to stderr even with --quiet: it is the answer.
    match &plan.diagnosis {
        Some(d) => eprintln!("error: the plan is {}: {}", plan.status.name(), d.summary),
        None if plan.status == chollima_engine::PlanStatus::Unbounded => eprintln!(
            "error: the plan is unbounded: nothing limits lambda (no resource or capacity \
             binds the techniques the targets need); declare the scarce resources in \
             economy.toml and their use in techniques.csv"
        ),
        None if plan.gap.is_finite() => eprintln!(
            "error: the solver stopped ({}) before reaching the gap {:.1e}: the plan written is \
             feasible and certified within {:.1e}; give it more --time-limit or a larger --gap",
            plan.status.name(),
            args.gap,
            plan.gap
        ),
        None => eprintln!(
            "error: no optimal plan: the solver ended with status {}",
            plan.status.name()
        ),
    }
    Ok(ExitCode::from(NO_OPTIMAL_PLAN))
}

/// Prints a multi-year plan's outcome; the exit code.
fn several_years(plan: &chollima_engine::MultiYearPlan, args: &PlanArgs, quiet: bool) -> ExitCode {
    if !quiet {
        let lambdas: Vec<String> = plan
            .lambdas()
            .iter()
            .map(|(g, values)| {
                let years: Vec<String> = values.iter().map(|l| format!("{l:.4}")).collect();
                format!("{g} [{}]", years.join(", "))
            })
            .collect();
        let first = args.from_year.unwrap_or(1) as usize;
        eprintln!(
            "plan {} by {} in {:.3} s for years {first}-{}: lambda {} (gap {:.1e}); wrote {}",
            plan.status.name(),
            plan.method,
            plan.seconds,
            first + plan.model.years.len() - 1,
            lambdas.join(", "),
            plan.gap,
            args.out.display()
        );
    }
    if plan.status.solved() {
        return ExitCode::SUCCESS;
    }
    if !plan.x.is_empty() && plan.gap.is_finite() {
        eprintln!(
            "error: the solver stopped ({}) before reaching the gap {:.1e}: the plan written is \
             feasible and certified within {:.1e}; give it more --time-limit or a larger --gap",
            plan.status.name(),
            args.gap,
            plan.gap
        );
        return ExitCode::from(NO_OPTIMAL_PLAN);
    }
    eprintln!(
        "error: no optimal multi-year plan: the solver ended with status {}{}",
        plan.status.name(),
        if plan.status == chollima_engine::PlanStatus::Infeasible {
            " (a year's floor or the terminal condition cannot be met: lower [plan] floor or \
             check the capital coefficients)"
        } else {
            ""
        }
    );
    ExitCode::from(NO_OPTIMAL_PLAN)
}

/// The first few binding limits, and how many more (summary.json lists them all).
fn binding_list(binding: &[String]) -> String {
    const SHOWN: usize = 5;
    match binding.len() {
        0 => "nothing".to_owned(),
        n if n <= SHOWN => binding.join(", "),
        n => format!("{} and {} more", binding[..SHOWN].join(", "), n - SHOWN),
    }
}
