//! `generate`: a synthetic economy written as a package.

use std::path::{Path, PathBuf};

use chollima_generate::GenerateConfig;

use crate::observer::timed;
use crate::{EngineError, Observer};

/// What `generate` made.
#[derive(Debug)]
pub struct GenerateReport {
    pub products: usize,
    pub techniques: usize,
    pub nonzeros: usize,
    pub timings: Vec<(String, f64)>,
    pub package: PathBuf,
}

/// Generates the economy `config` describes and writes it into the folder `out`.
pub fn generate(
    config: &GenerateConfig,
    out: &Path,
    observer: &dyn Observer,
) -> Result<GenerateReport, EngineError> {
    let mut timings = Vec::new();
    let economy = timed(observer, &mut timings, "generating", || {
        chollima_generate::generate(config)
    })?;
    timed(observer, &mut timings, "writing", || {
        chollima_package::write(&economy, out)
    })?;
    Ok(GenerateReport {
        products: economy.products.len(),
        techniques: economy.techniques.len(),
        nonzeros: economy.inputs.nnz(),
        timings,
        package: out.to_owned(),
    })
}
