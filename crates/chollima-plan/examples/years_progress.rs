//! Runs the multi-year first-order method on a package and prints every progress report.
//!
//! `cargo run --release -p chollima-plan --example years_progress -- PKG [GAP] [SECONDS]`

use std::sync::Arc;

use chollima_plan::{Method, PlanSettings, ProgressSink};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let package = args
        .get(1)
        .expect("usage: years_progress PKG [GAP] [SECONDS]");
    let loaded = chollima_package::read(std::path::Path::new(package)).expect("a valid package");
    let mut settings = PlanSettings {
        method: Method::Pdlp,
        ..Default::default()
    };
    if let Some(gap) = args.get(2) {
        settings.gap = gap.parse().expect("a number");
    }
    if let Some(seconds) = args.get(3) {
        settings.pdlp.time_limit_seconds = seconds.parse().expect("a number");
    }
    settings.progress = Some(ProgressSink(Arc::new(|p| {
        eprintln!(
            "{:>8.2} s  {:<10} iteration {:>7}  sum {:.9}  bound {:.9}  gap {:.2e}",
            p.seconds, p.stage, p.iteration, p.objective, p.bound, p.gap
        )
    })));
    let plan = chollima_plan::multi_year::plan_years_with(&loaded.economy, &settings);
    println!("{:?} in {:.1} s", plan.status, plan.seconds);
}
