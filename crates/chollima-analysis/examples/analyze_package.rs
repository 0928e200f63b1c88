//! Times the analysis of a package: `cargo run --release -p chollima-analysis --example analyze_package -- DIR [method]`.

use std::time::Instant;

use chollima_analysis::{AnalysisSettings, analyze};
use chollima_linalg::Method;

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = args
        .next()
        .expect("usage: analyze_package DIR [sparse-lu|iterative|dense-lu]");
    let mut settings = AnalysisSettings::default();
    settings.solver.method = match args.next().as_deref() {
        Some("sparse-lu") => Method::SparseLu,
        Some("dense-lu") => Method::DenseLu,
        Some("iterative") => Method::Iterative,
        _ => Method::Auto,
    };
    let start = Instant::now();
    let economy = chollima_package::read(std::path::Path::new(&dir))
        .expect("valid package")
        .economy;
    let read = start.elapsed().as_secs_f64();
    let start = Instant::now();
    let demand = economy.demand_in_year(1);
    let result = analyze(&economy, &demand, &settings).expect("analysis");
    println!(
        "read {read:.3} s, analysis {:.3} s: {:?}, {} iterations, residual {:.2e}, spectral {:?}",
        start.elapsed().as_secs_f64(),
        result.info.method,
        result.info.iterations,
        result.info.residual,
        result.info.spectral
    );
}
