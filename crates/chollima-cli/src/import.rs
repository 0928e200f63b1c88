//! `chollima import`: resolve the flags, import (and analyse, with `--analyze`), print the
//! importer's report on stderr.

use std::process::ExitCode;

use anyhow::Result;

use chollima_engine::{
    Assumption, ImportDestination, ImportFormat, ImportOptions, SeaVariable, Severity,
};

use crate::args::{AssumptionArg, FormatArg, ImportArgs, SeaArg};
use crate::progress::Spinner;

pub fn run(args: ImportArgs, quiet: bool) -> Result<ExitCode> {
    let format = match args.format {
        FormatArg::Iot => ImportFormat::Iot,
        FormatArg::Ons => ImportFormat::Ons,
        FormatArg::SupplyUse => ImportFormat::SupplyUse,
        FormatArg::Mtx => ImportFormat::Mtx,
        FormatArg::Pymrio => ImportFormat::Pymrio,
        FormatArg::WiodNiot => ImportFormat::WiodNiot,
    };
    let options = ImportOptions {
        category_mapping: args.mapping,
        assumption: match args.assumption {
            AssumptionArg::Industry => Assumption::IndustryTechnology,
            AssumptionArg::Commodity => Assumption::CommodityTechnology,
        },
        labour: args.labour,
        labour_variable: match args.labour_variable {
            SeaArg::Emp => SeaVariable::Emp,
            SeaArg::HEmpe => SeaVariable::HEmpe,
        },
        year: args.year,
        name: args.name,
        labels: args.labels,
    };
    let analysis = match &args.analyze {
        Some(_) => Some(crate::commands::analysis_options(args.analysis)?),
        None => None,
    };
    let destination = ImportDestination {
        package: args.out.as_deref(),
        analysis: args.analyze.as_deref().zip(analysis.as_ref()),
    };
    let spinner = Spinner::new(quiet);
    let report = chollima_engine::import(format, &args.sources, &options, destination, &spinner)?;
    if !quiet {
        for d in report.report.iter() {
            eprintln!("{d}");
        }
        let total: f64 = report.timings.iter().map(|(_, s)| s).sum();
        let wrote = report
            .package
            .as_ref()
            .map_or(String::new(), |p| format!("; wrote {}", p.display()));
        eprintln!(
            "imported {} products, {} input coefficients in {total:.3} s ({} warning(s), {} note(s)){wrote}",
            report.products,
            report.nonzeros,
            report.report.count(Severity::Warning),
            report.report.count(Severity::Note),
        );
        if let (Some(analysis), Some(out)) = (&report.analysis, &args.analyze) {
            crate::commands::print_analysis(analysis, out);
        }
    }
    Ok(ExitCode::SUCCESS)
}
