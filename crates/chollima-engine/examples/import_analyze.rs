//! Runs `import iot SOURCE --analyze OUT` in-process with the system allocator, for heap
//! profilers (heaptrack) that see only malloc.
//!
//! `cargo run --release -p chollima-engine --example import_analyze -- data/wiod2013/2011 /tmp/out`

use std::path::PathBuf;

use chollima_engine::*;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let source = PathBuf::from(&args[1]);
    let out = PathBuf::from(&args[2]);
    let start = std::time::Instant::now();
    let report = import(
        ImportFormat::Iot,
        &[source],
        &ImportOptions::default(),
        ImportDestination {
            package: None,
            analysis: Some((&out, &AnalyzeOptions::default())),
        },
        &Silent,
    )
    .expect("import and analysis");
    eprintln!(
        "{} products in {:.4} s",
        report.products,
        start.elapsed().as_secs_f64()
    );
}
