//! Writing an economy as a package folder.
//!
//! Optional columns are written when they carry information (a `capacity` column when some
//! technique has a capacity, an `output` column when some output is not 1, ...), so reading a
//! written package gives back the same economy. Numbers are written in their shortest form that
//! reads back to the same `f64` (ryu), so nothing is rounded. `inputs.csv` is formatted in
//! parallel chunks: at 10^8 rows it is most of the work.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use chollima_model::{Economy, Finance, IdList, SparseColumns};
use rayon::prelude::*;

use crate::PackageError;
use crate::manifest;

/// Appends the shortest round-trip text of `v` (`1` rather than `1.0`).
pub fn push_number(out: &mut Vec<u8>, v: f64) {
    let mut buffer = ryu::Buffer::new();
    let text = buffer.format(v);
    out.extend_from_slice(text.strip_suffix(".0").unwrap_or(text).as_bytes());
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> PackageError + '_ {
    move |source| PackageError::Io {
        path: path.to_owned(),
        source,
    }
}

/// Writes `economy` into the folder `dir` (created when needed), replacing the package files.
pub fn write(economy: &Economy, dir: &Path) -> Result<(), PackageError> {
    std::fs::create_dir_all(dir).map_err(io_error(dir))?;
    let path = dir.join("economy.toml");
    std::fs::write(&path, manifest::render(&economy.manifest)).map_err(io_error(&path))?;
    write_file(&dir.join("products.csv"), |out| products(economy, out))?;
    write_file(&dir.join("techniques.csv"), |out| techniques(economy, out))?;
    write_triplets(
        &dir.join("inputs.csv"),
        "technique,input,coefficient\n",
        &economy.inputs,
        economy,
    )?;
    write_file(&dir.join("targets.csv"), |out| targets(economy, out))?;
    let finance = dir.join("finance.csv");
    match &economy.finance {
        Some(rows) => write_file(&finance, |out| finance_rows(rows, out))?,
        None if finance.exists() => std::fs::remove_file(&finance).map_err(io_error(&finance))?,
        None => {}
    }
    let capital = dir.join("capital.csv");
    match &economy.capital {
        Some(k) => write_triplets(&capital, "technique,good,coefficient\n", k, economy)?,
        None if capital.exists() => std::fs::remove_file(&capital).map_err(io_error(&capital))?,
        None => {}
    }
    Ok(())
}

fn write_file(path: &Path, fill: impl FnOnce(&mut Vec<u8>)) -> Result<(), PackageError> {
    let mut out = Vec::new();
    fill(&mut out);
    std::fs::write(path, out).map_err(io_error(path))
}

/// Quotes a free-text cell when CSV needs it.
fn push_text(out: &mut Vec<u8>, text: &str) {
    if text
        .bytes()
        .any(|b| matches!(b, b',' | b'"' | b'\n' | b'\r'))
        || text.trim() != text
    {
        out.push(b'"');
        out.extend_from_slice(text.replace('"', "\"\"").as_bytes());
        out.push(b'"');
    } else {
        out.extend_from_slice(text.as_bytes());
    }
}

fn push_optional(out: &mut Vec<u8>, v: Option<f64>) {
    if let Some(v) = v {
        push_number(out, v);
    }
}

fn finance_rows(rows: &[Finance], out: &mut Vec<u8>) {
    out.extend_from_slice(b"source,kind,year,amount,reliability\n");
    for f in rows {
        push_text(out, &f.source);
        out.push(b',');
        out.extend_from_slice(f.kind.name().as_bytes());
        out.push(b',');
        if let Some(y) = f.year {
            out.extend_from_slice(y.to_string().as_bytes());
        }
        out.push(b',');
        push_number(out, f.amount);
        out.push(b',');
        push_number(out, f.reliability);
        out.push(b'\n');
    }
}

fn products(economy: &Economy, out: &mut Vec<u8>) {
    let p = &economy.products;
    let names = p.names.as_ref().filter(|v| v.iter().any(|s| !s.is_empty()));
    let groups = p
        .groups
        .as_ref()
        .filter(|v| v.iter().any(|s| !s.is_empty()));
    let numbers: Vec<(&str, &Vec<Option<f64>>)> = [
        ("import_price", &p.import_price),
        ("export_price", &p.export_price),
        ("export_limit", &p.export_limit),
    ]
    .into_iter()
    .filter_map(|(name, column)| {
        column
            .as_ref()
            .filter(|v| v.iter().any(Option::is_some))
            .map(|v| (name, v))
    })
    .collect();
    out.extend_from_slice(b"id");
    for (present, name) in [(names.is_some(), "name"), (groups.is_some(), "group")] {
        if present {
            out.extend_from_slice(format!(",{name}").as_bytes());
        }
    }
    for (name, _) in &numbers {
        out.extend_from_slice(format!(",{name}").as_bytes());
    }
    out.push(b'\n');
    for i in 0..p.len() {
        out.extend_from_slice(p.ids[i].as_bytes());
        for column in [names, groups].into_iter().flatten() {
            out.push(b',');
            push_text(out, &column[i]);
        }
        for (_, column) in &numbers {
            out.push(b',');
            push_optional(out, column[i]);
        }
        out.push(b'\n');
    }
}

fn techniques(economy: &Economy, out: &mut Vec<u8>) {
    let t = &economy.techniques;
    let output = t.output.iter().any(|&o| o != 1.0);
    let capacity = t.capacity.iter().any(Option::is_some);
    let depreciation = t.depreciation.iter().any(|&d| d != 0.0);
    let resources: Vec<usize> = (0..t.resource_use.len())
        .filter(|&r| t.resource_use[r].iter().any(|&v| v != 0.0))
        .collect();
    out.extend_from_slice(b"id,product");
    for (present, name) in [
        (output, "output"),
        (capacity, "capacity"),
        (depreciation, "depreciation"),
    ] {
        if present {
            out.extend_from_slice(format!(",{name}").as_bytes());
        }
    }
    for &r in &resources {
        out.push(b',');
        out.extend_from_slice(economy.manifest.resources[r].name.as_bytes());
    }
    out.push(b'\n');
    for k in 0..t.len() {
        out.extend_from_slice(t.ids[k].as_bytes());
        out.push(b',');
        out.extend_from_slice(economy.products.ids[t.product[k] as usize].as_bytes());
        if output {
            out.push(b',');
            push_number(out, t.output[k]);
        }
        if capacity {
            out.push(b',');
            push_optional(out, t.capacity[k]);
        }
        if depreciation {
            out.push(b',');
            push_number(out, t.depreciation[k]);
        }
        for &r in &resources {
            out.push(b',');
            push_number(out, t.resource_use[r][k]);
        }
        out.push(b'\n');
    }
}

fn targets(economy: &Economy, out: &mut Vec<u8>) {
    let with_year = economy.targets.iter().any(|t| t.year.is_some());
    out.extend_from_slice(if with_year {
        b"product,category,quantity,year\n"
    } else {
        b"product,category,quantity\n"
    });
    for t in &economy.targets {
        out.extend_from_slice(economy.products.ids[t.product as usize].as_bytes());
        out.push(b',');
        out.extend_from_slice(economy.categories[t.category as usize].as_bytes());
        out.push(b',');
        push_number(out, t.quantity);
        if with_year {
            out.push(b',');
            if let Some(y) = t.year {
                out.extend_from_slice(y.to_string().as_bytes());
            }
        }
        out.push(b'\n');
    }
}

/// Writes a sparse matrix as `technique,product,coefficient` rows, formatted in parallel.
fn write_triplets(
    path: &Path,
    header: &str,
    matrix: &SparseColumns,
    economy: &Economy,
) -> Result<(), PackageError> {
    let file = File::create(path).map_err(io_error(path))?;
    let mut writer = BufWriter::with_capacity(1 << 20, file);
    writer
        .write_all(header.as_bytes())
        .map_err(io_error(path))?;
    let techniques: &IdList = &economy.techniques.ids;
    let products: &IdList = &economy.products.ids;
    // Blocks of whole columns with about ENTRIES_PER_BLOCK entries each, so a table with few
    // dense columns (WIOD: 1435 columns, 413k entries) still formats on every core.
    const ENTRIES_PER_BLOCK: usize = 1 << 15;
    let ncols = matrix.ncols();
    let mut blocks: Vec<(usize, usize)> = Vec::new();
    let mut start = 0;
    while start < ncols {
        let mut end = start;
        let mut entries = 0;
        while end < ncols && (end == start || entries < ENTRIES_PER_BLOCK) {
            entries += matrix.column(end).0.len();
            end += 1;
        }
        blocks.push((start, end));
        start = end;
    }
    // Format a bounded number of blocks at a time so memory stays small for huge matrices.
    for group in blocks.chunks(64) {
        let texts: Vec<Vec<u8>> = group
            .par_iter()
            .map(|&(first, end)| {
                let mut out = Vec::with_capacity(ENTRIES_PER_BLOCK * 48);
                for k in first..end {
                    let (rows, values) = matrix.column(k);
                    for (&r, &v) in rows.iter().zip(values) {
                        out.extend_from_slice(techniques[k].as_bytes());
                        out.push(b',');
                        out.extend_from_slice(products[r as usize].as_bytes());
                        out.push(b',');
                        push_number(&mut out, v);
                        out.push(b'\n');
                    }
                }
                out
            })
            .collect();
        for text in texts {
            writer.write_all(&text).map_err(io_error(path))?;
        }
    }
    writer.flush().map_err(io_error(path))
}
