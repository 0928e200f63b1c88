//! Times bare PDHG iterations (no certification) on a package's plan LP:
//! `cargo run --release -p chollima-plan --example pdhg_timing -- PKG [ITERATIONS]`.
//!
//! Measures the kernels of `chollima_plan::pdlp` apart from the certificates around them.

use std::time::Instant;

use chollima_plan::PlanLp;
use chollima_plan::pdlp::{self, PdlpSettings};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let package = args.get(1).expect("usage: pdhg_timing PKG [ITERATIONS]");
    let iterations: usize = args.get(2).map_or(2000, |s| s.parse().expect("a number"));
    let economy = chollima_package::read(std::path::Path::new(package))
        .expect("a valid package")
        .economy;
    let mut model = PlanLp::new(&economy, 1);
    model.maximise_group(0);
    let lp = &model.lp;
    let settings = PdlpSettings {
        max_iterations: iterations,
        ..Default::default()
    };
    let start = Instant::now();
    let outcome = rayon::scope(|_| pdlp::solve(lp, None, &settings, |_| false));
    let seconds = start.elapsed().as_secs_f64();
    println!(
        "{} columns, {} rows, {} nonzeros: {} iterations in {seconds:.3} s, {:.3} ms each",
        lp.num_cols(),
        lp.num_rows(),
        lp.nnz(),
        outcome.iterations,
        1e3 * seconds / outcome.iterations as f64
    );
}
