//! `chollima import`: resolve the flags, import, print the importer's report on stderr.

use std::process::ExitCode;

use anyhow::Result;

use chollima_engine::{Assumption, ImportFormat, ImportOptions, SeaVariable, Severity};

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
    let spinner = Spinner::new(quiet);
    let report = chollima_engine::import(format, &args.sources, &options, &args.out, &spinner)?;
    if !quiet {
        for d in report.report.iter() {
            eprintln!("{d}");
        }
        let total: f64 = report.timings.iter().map(|(_, s)| s).sum();
        eprintln!(
            "imported {} products, {} input coefficients in {total:.3} s ({} warning(s), {} note(s)); wrote {}",
            report.products,
            report.nonzeros,
            report.report.count(Severity::Warning),
            report.report.count(Severity::Note),
            report.package.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}
