//! Times `generate` for a size given on the command line.
//!
//! ```text
//! cargo run --release -p chollima-generate --example generate_timing -- 1000000 10 [full]
//! ```
//! `full` adds alternatives, capacities, trade, land and a five-year plan.

use chollima_generate::{GenerateConfig, generate};
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let products = args
        .first()
        .map_or(1_000_000, |a| a.parse().expect("products"));
    let inputs = args.get(1).map_or(10, |a| a.parse().expect("inputs"));
    let mut config = GenerateConfig {
        products,
        inputs,
        seed: 1,
        ..GenerateConfig::default()
    };
    if args.get(2).is_some_and(|a| a == "full") {
        config = GenerateConfig {
            alternatives: 0.2,
            capacities: 0.3,
            trade: 0.1,
            years: 5,
            land: true,
            priorities: true,
            ..config
        };
    }
    let start = Instant::now();
    let economy = generate(&config).expect("valid config");
    let elapsed = start.elapsed();
    println!(
        "{} products, {} techniques, {} inputs, {} targets: {:.3} s on {} threads",
        economy.products.len(),
        economy.techniques.len(),
        economy.inputs.nnz(),
        economy.targets.len(),
        elapsed.as_secs_f64(),
        rayon::current_num_threads()
    );
}
