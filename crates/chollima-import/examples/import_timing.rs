//! Times an import and prints its report.
//!
//! `cargo run --release -p chollima-import --example import_timing -- iot data/wiod2013/2011`
//! (kinds: iot, ons, supply-use, supply-use-ct, pymrio, mtx, wiod-niot YEAR). Prints the best of
//! `RUNS` runs (default 10) and, unless `QUIET` is set, the report.

use std::path::{Path, PathBuf};
use std::time::Instant;

use chollima_import::*;

fn run(kind: &str, path: &Path, extra: Option<&str>) -> Result<Imported, ImportError> {
    match kind {
        "iot" => import_iot(path, &IotOptions::default()),
        "ons" => import_ons(path, &OnsOptions::default()),
        "supply-use" => {
            let sources: Vec<PathBuf> = std::iter::once(path.to_path_buf())
                .chain(extra.map(PathBuf::from))
                .collect();
            import_supply_use(&sources, &SupplyUseOptions::default())
        }
        "supply-use-ct" => {
            let sources: Vec<PathBuf> = std::iter::once(path.to_path_buf())
                .chain(extra.map(PathBuf::from))
                .collect();
            import_supply_use(
                &sources,
                &SupplyUseOptions {
                    assumption: Assumption::CommodityTechnology,
                    ..Default::default()
                },
            )
        }
        "pymrio" => import_pymrio(path, &PymrioOptions::default()),
        "mtx" => import_mtx(path, &MtxOptions::default()),
        "wiod-niot" => import_wiod_niot(
            path,
            extra.unwrap_or("2014").parse().unwrap(),
            &WiodNiotOptions::default(),
        ),
        _ => panic!("unknown kind {kind}"),
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (kind, path, extra) = (
        &args[1],
        Path::new(&args[2]),
        args.get(3).map(String::as_str),
    );
    let runs: usize = std::env::var("RUNS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(10);
    let mut best = f64::INFINITY;
    let mut result = None;
    for _ in 0..runs.max(1) {
        let start = Instant::now();
        let r = run(kind, path, extra);
        best = best.min(start.elapsed().as_secs_f64());
        result = Some(r);
    }
    match result.unwrap() {
        Ok(imported) => {
            if std::env::var_os("QUIET").is_none() {
                print!("{}", imported.report);
            }
            let e = &imported.economy;
            println!(
                "{kind} {}: {} products, {} nonzero coefficients, {} targets in {} categories; report: {} notes, {} warnings",
                path.display(),
                e.products.len(),
                e.inputs.nnz(),
                e.targets.len(),
                e.categories.len(),
                imported.report.count(chollima_model::Severity::Note),
                imported.report.count(chollima_model::Severity::Warning)
            );
        }
        Err(e) => println!("error:\n{e}"),
    }
    println!("best of {runs}: {:.1} ms", best * 1e3);
}
