//! `analyze`: a package in, `products.csv`, `summary.json` and optionally the inverse out.

use std::path::{Path, PathBuf};

use chollima_analysis::{Analysis, AnalysisSettings, LeontiefMatrix};
use chollima_model::{Diagnostics, Economy};

use crate::observer::timed;
use crate::output;
use crate::{EngineError, Observer};

/// Largest table whose dense inverse `analyze` writes.
pub const MAX_INVERSE_PRODUCTS: usize = 20_000;

/// What to analyse and how.
#[derive(Debug, Clone, Default)]
pub struct AnalyzeOptions {
    /// A `product,quantity` file to use instead of the package's targets.
    pub demand: Option<PathBuf>,
    /// Also write `leontief_inverse.csv`.
    pub inverse: bool,
    pub settings: AnalysisSettings,
}

/// What `analyze` did.
#[derive(Debug)]
pub struct AnalyzeReport {
    pub analysis: Analysis,
    /// Non-zero input coefficients of the economy analysed.
    pub nonzeros: usize,
    pub total_final_demand: f64,
    /// Warnings and notes from reading the package and the demand file.
    pub diagnostics: Diagnostics,
    /// Seconds per stage, in order.
    pub timings: Vec<(String, f64)>,
    pub files: Vec<PathBuf>,
}

/// Analyses the package in `package` and writes the results into the folder `out`.
pub fn analyze(
    package: &Path,
    out: &Path,
    options: &AnalyzeOptions,
    observer: &dyn Observer,
) -> Result<AnalyzeReport, EngineError> {
    let mut timings = Vec::new();
    let loaded = timed(observer, &mut timings, "reading", || {
        chollima_package::read(package)
    })?;
    analyze_owned(
        loaded.economy,
        loaded.diagnostics,
        timings,
        out,
        options,
        observer,
    )
}

/// Analyses an economy already in memory (as `chollima import --analyze --out PKG` has it,
/// straight from the table) and writes the results into the folder `out`.
pub fn analyze_economy(
    economy: &Economy,
    out: &Path,
    options: &AnalyzeOptions,
    observer: &dyn Observer,
) -> Result<AnalyzeReport, EngineError> {
    let source = Source {
        economy,
        matrix: None,
        nonzeros: economy.inputs.nnz(),
    };
    analyze_loaded(
        source,
        Diagnostics::new(),
        Vec::new(),
        out,
        options,
        observer,
    )
}

/// Analyses an economy nothing else needs: `A` is moved out of it rather than copied.
pub(crate) fn analyze_owned(
    mut economy: Economy,
    diagnostics: Diagnostics,
    timings: Vec<(String, f64)>,
    out: &Path,
    options: &AnalyzeOptions,
    observer: &dyn Observer,
) -> Result<AnalyzeReport, EngineError> {
    let nonzeros = economy.inputs.nnz();
    let matrix = chollima_analysis::take_leontief_matrix(&mut economy)?;
    let source = Source {
        economy: &economy,
        matrix: Some(matrix),
        nonzeros,
    };
    analyze_loaded(source, diagnostics, timings, out, options, observer)
}

/// The economy to analyse, and its `A` when that was taken out of it.
struct Source<'a> {
    economy: &'a Economy,
    matrix: Option<LeontiefMatrix>,
    /// Non-zeros of the economy's inputs (reported even when they were taken out).
    nonzeros: usize,
}

fn analyze_loaded(
    source: Source,
    mut diagnostics: Diagnostics,
    mut timings: Vec<(String, f64)>,
    out: &Path,
    options: &AnalyzeOptions,
    observer: &dyn Observer,
) -> Result<AnalyzeReport, EngineError> {
    let Source {
        economy,
        matrix,
        nonzeros,
    } = source;
    let n = economy.products.len();
    if options.inverse && n > MAX_INVERSE_PRODUCTS {
        return Err(EngineError::Refused {
            message: format!("the dense Leontief inverse of {n} products would hold {n}^2 numbers"),
            hint: format!(
                "--inverse is for tables of up to {MAX_INVERSE_PRODUCTS} products; the other results need no inverse"
            ),
        });
    }
    let demand = match &options.demand {
        Some(path) => match chollima_package::read_demand(path, &economy.products.ids) {
            Ok((demand, warnings)) => {
                diagnostics.extend(warnings);
                demand
            }
            Err(diagnostics) => {
                return Err(EngineError::InvalidInput {
                    path: path.clone(),
                    diagnostics,
                });
            }
        },
        None => economy.demand_in_year(1),
    };
    let settings = AnalysisSettings {
        inverse: options.inverse,
        ..options.settings
    };
    let analysis = timed(observer, &mut timings, "solving", || match matrix {
        Some(matrix) => chollima_analysis::analyze_matrix(economy, matrix, &demand, &settings),
        None => chollima_analysis::analyze(economy, &demand, &settings),
    })?;
    let files = timed(observer, &mut timings, "writing", || {
        write_results(economy, &demand, &analysis, out)
    })?;
    let total_final_demand = demand.iter().sum();
    let report = AnalyzeReport {
        analysis,
        nonzeros,
        total_final_demand,
        diagnostics,
        timings,
        files,
    };
    output::write_summary(economy, &report, options, out)?;
    Ok(report)
}

fn write_results(
    economy: &Economy,
    demand: &[f64],
    analysis: &Analysis,
    out: &Path,
) -> Result<Vec<PathBuf>, EngineError> {
    std::fs::create_dir_all(out).map_err(crate::error::io_error(out))?;
    let mut files = vec![output::write_products(economy, demand, analysis, out)?];
    if let Some(inverse) = &analysis.inverse {
        files.push(output::write_inverse(economy, inverse, out)?);
    }
    files.push(out.join("summary.json"));
    Ok(files)
}
