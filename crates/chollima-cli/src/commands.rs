//! Each command: resolve the raw arguments into engine settings, run, and summarise.

use std::process::ExitCode;

use anyhow::Result;

use chollima_engine::{AnalysisSettings, AnalyzeOptions, GenerateConfig, Method, Severity};

use crate::args::{AnalyzeArgs, Cli, Command, GenerateArgs, MethodArg};
use crate::progress::Spinner;

pub fn run(cli: Cli) -> Result<ExitCode> {
    let quiet = cli.quiet;
    match cli.command {
        Command::Validate { package } => validate(&package, quiet),
        Command::Analyze(args) => analyze(args, quiet),
        Command::Import(args) => crate::import::run(args, quiet),
        Command::Generate(args) => generate(args, quiet),
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
    let options = AnalyzeOptions {
        demand: args.demand,
        inverse: args.inverse,
        settings,
    };
    let spinner = Spinner::new(quiet);
    let report = chollima_engine::analyze(&args.package, &args.out, &options, &spinner)?;
    if !quiet {
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
            args.out.display()
        );
    }
    Ok(ExitCode::SUCCESS)
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
