//! The files an analysis writes: `products.csv`, `leontief_inverse.csv`, `summary.json`.

use std::path::{Path, PathBuf};

use chollima_analysis::Analysis;
use chollima_model::Economy;
use chollima_package::push_number;
use rayon::prelude::*;
use serde_json::json;

use crate::EngineError;
use crate::analyze::{AnalyzeOptions, AnalyzeReport};
use crate::error::io_error;

/// Rows formatted per parallel task.
const ROWS_PER_TASK: usize = 16_384;

/// Writes a CSV whose rows are formatted in parallel by `row(i, out)`.
pub(crate) fn write_rows(
    path: &Path,
    header: &str,
    rows: usize,
    row: impl Fn(usize, &mut Vec<u8>) + Sync,
) -> Result<PathBuf, EngineError> {
    let chunks: Vec<Vec<u8>> = (0..rows.div_ceil(ROWS_PER_TASK))
        .into_par_iter()
        .map(|c| {
            let mut out = Vec::with_capacity(ROWS_PER_TASK * 64);
            for i in c * ROWS_PER_TASK..((c + 1) * ROWS_PER_TASK).min(rows) {
                row(i, &mut out);
            }
            out
        })
        .collect();
    let mut bytes = Vec::with_capacity(header.len() + chunks.iter().map(Vec::len).sum::<usize>());
    bytes.extend_from_slice(header.as_bytes());
    for c in chunks {
        bytes.extend_from_slice(&c);
    }
    std::fs::write(path, bytes).map_err(io_error(path))?;
    Ok(path.to_owned())
}

pub(crate) fn write_products(
    economy: &Economy,
    demand: &[f64],
    a: &Analysis,
    out: &Path,
) -> Result<PathBuf, EngineError> {
    let labour = a.labour_value.as_ref();
    let header = if labour.is_some() {
        "product,gross_output,final_demand,output_multiplier,labour_value,backward_linkage,forward_linkage\n"
    } else {
        "product,gross_output,final_demand,output_multiplier,backward_linkage,forward_linkage\n"
    };
    write_rows(
        &out.join("products.csv"),
        header,
        economy.products.len(),
        |i, o| {
            o.extend_from_slice(economy.products.ids[i].as_bytes());
            let mut values = vec![a.gross_output[i], demand[i], a.output_multiplier[i]];
            if let Some(l) = labour {
                values.push(l[i]);
            }
            values.extend([a.backward_linkage[i], a.forward_linkage[i]]);
            for v in values {
                o.push(b',');
                push_number(o, v);
            }
            o.push(b'\n');
        },
    )
}

/// The inverse with product ids as row and column labels.
pub(crate) fn write_inverse(
    economy: &Economy,
    inverse: &[f64],
    out: &Path,
) -> Result<PathBuf, EngineError> {
    let n = economy.products.len();
    let mut header = String::from("product");
    for id in economy.products.ids.as_slice() {
        header.push(',');
        header.push_str(id);
    }
    header.push('\n');
    write_rows(&out.join("leontief_inverse.csv"), &header, n, |i, o| {
        o.extend_from_slice(economy.products.ids[i].as_bytes());
        for j in 0..n {
            o.push(b',');
            push_number(o, inverse[j * n + i]);
        }
        o.push(b'\n');
    })
}

pub(crate) fn write_summary(
    economy: &Economy,
    report: &AnalyzeReport,
    options: &AnalyzeOptions,
    out: &Path,
) -> Result<(), EngineError> {
    let a = &report.analysis;
    let info = &a.info;
    let summary = json!({
        "economy": economy.manifest.name,
        "products": economy.products.len(),
        "nonzeros": report.nonzeros,
        "demand": options.demand.as_ref().map_or("targets.csv".to_owned(), |p| p.display().to_string()),
        "total_final_demand": report.total_final_demand,
        "total_gross_output": a.gross_output.iter().sum::<f64>(),
        "method": info.method.name(),
        "residual": info.residual,
        "iterations": info.iterations,
        "spectral_radius": {
            "estimate": info.spectral.estimate,
            "lower_bound": info.spectral.lower,
            "upper_bound": info.spectral.upper,
            "power_iterations": info.spectral.iterations,
        },
        "productive": true,
        "unmade_products": info.unmade_products,
        "labour_values": a.labour_value.is_some(),
        "seconds": report.timings.iter().map(|(k, v)| (k.clone(), json!(v))).collect::<serde_json::Map<_, _>>(),
        "warnings": report.diagnostics.iter().map(|d| d.to_string()).collect::<Vec<_>>(),
    });
    let path = out.join("summary.json");
    let text = serde_json::to_string_pretty(&summary).expect("JSON of plain values");
    std::fs::write(&path, text + "\n").map_err(io_error(&path))
}
