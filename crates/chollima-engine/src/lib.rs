//! The engine: the one facade that the command line, the server and any bindings call.
//!
//! Each entry point takes paths and plain settings, does the whole job (read, check, compute,
//! write) and returns a report; none of them prints. Long jobs tell an [`Observer`] which stage
//! they are in, so a front end can show progress without the engine knowing how.
//!
//! - [`validate`]: every problem in a package;
//! - [`analyze`]: input-output analysis of a package into an output folder;
//! - [`import`]: a published table into a package;
//! - [`generate`]: a synthetic economy into a package;
//! - [`plan()`]: the optimal plan of a package into an output folder.

mod analyze;
mod error;
mod generate;
mod import;
mod observer;
mod office;
mod output;
mod plan;
mod plan_years;
mod rolling;
mod stress;

use std::path::Path;

pub use analyze::{AnalyzeOptions, AnalyzeReport, analyze, analyze_economy};
pub use chollima_analysis::AnalysisSettings;
pub use chollima_generate::GenerateConfig;
pub use chollima_import::{Assumption, SeaVariable};
pub use chollima_linalg::Method;
pub use chollima_model::{Diagnostic, Diagnostics, Economy, Severity};
pub use chollima_plan::{
    DEFAULT_GAP as DEFAULT_PLAN_GAP, Method as PlanMethod, MultiYearPlan, Plan, PlanSettings,
    Progress as PlanProgress, ProgressSink as PlanProgressSink, Status as PlanStatus,
};
pub use error::EngineError;
pub use generate::{GenerateReport, generate};
pub use import::{ImportDestination, ImportFormat, ImportOptions, ImportReport, import};
pub use observer::{Observer, Silent};
pub use office::office_plan;
pub use plan::{PlanOptions, PlanReport, Planned, plan};
pub use stress::StressReport;

/// Every problem in the package in folder `dir`, errors first.
pub fn validate(dir: &Path) -> Diagnostics {
    chollima_package::validate(dir)
}

/// Reads a package, failing with every problem when it has errors.
pub fn load(dir: &Path) -> Result<chollima_package::Loaded, EngineError> {
    Ok(chollima_package::read(dir)?)
}
