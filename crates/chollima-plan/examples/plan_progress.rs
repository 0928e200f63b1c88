//! Runs a plan method on a package and prints every progress report: how the certified gap of
//! a first-order solve falls with iterations and time.
//!
//! `cargo run --release -p chollima-plan --example plan_progress -- PKG [pdlp|highs|merit|harmony] [GAP]`

use std::sync::Arc;

use chollima_plan::{Method, PlanSettings, ProgressSink};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let package = args
        .get(1)
        .expect("usage: plan_progress PKG [pdlp|highs|merit|harmony] [GAP]");
    let loaded = chollima_package::read(std::path::Path::new(package)).expect("a valid package");
    let mut settings = PlanSettings {
        method: match args.get(2).map(String::as_str) {
            Some("highs") => Method::Highs,
            Some("merit") => Method::Merit,
            Some("harmony") => Method::Harmony,
            _ => Method::Pdlp,
        },
        ..Default::default()
    };
    if let Some(gap) = args.get(3) {
        settings.gap = gap.parse().expect("a number");
    }
    settings.progress = Some(ProgressSink(Arc::new(|p| {
        eprintln!(
            "{:>8.2} s  {:<10} iteration {:>7}  lambda {:.9}  bound {:.9}  gap {:.2e}",
            p.seconds, p.stage, p.iteration, p.objective, p.bound, p.gap
        )
    })));
    let plan = chollima_plan::plan(&loaded.economy, &settings);
    println!(
        "{} by {} in {:.3} s: {:?}, gap {:.2e}",
        plan.status.name(),
        plan.method,
        plan.seconds,
        plan.lambdas,
        plan.gap
    );
}
