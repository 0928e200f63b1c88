//! Times the iterative simplex from the listed plan's basis on a package's plan LP (its first
//! group): `cargo run --release -p chollima-plan --example iterative_simplex -- PKG [PIVOTS]`.
//!
//! Prints the pivots, the lambda reached, whether no reduced cost can move it, and the seconds
//! (reading the package apart).

use std::time::Instant;

use chollima_plan::PlanLp;
use chollima_plan::iterative_simplex::{Limits, from_listed_plan};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let package = args.get(1).expect("usage: iterative_simplex PKG [PIVOTS]");
    let pivots: usize = args.get(2).map_or(10_000, |s| s.parse().expect("a number"));
    let start = Instant::now();
    let economy = chollima_package::read(std::path::Path::new(package))
        .expect("a valid package")
        .economy;
    let mut model = PlanLp::new(&economy, 1);
    model.maximise_group(0);
    let read = start.elapsed().as_secs_f64();
    let start = Instant::now();
    let limits = Limits {
        max_pivots: pivots,
        ..Limits::default()
    };
    match from_listed_plan(&economy, &model, &limits) {
        Some(outcome) => println!(
            "lambda {:.12} after {} pivots ({}) in {:.2} s (reading {read:.2} s)",
            outcome.x[model.groups[0].column],
            outcome.pivots,
            if outcome.optimal {
                "optimal"
            } else {
                "stopped"
            },
            start.elapsed().as_secs_f64()
        ),
        None => println!(
            "no listed plan or basis ({:.2} s)",
            start.elapsed().as_secs_f64()
        ),
    }
}
