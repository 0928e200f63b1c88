//! `mtx`: the coefficient matrix `A` as a Matrix Market file, for users of sparse numerics.
//!
//! Accepted headers: `%%MatrixMarket matrix coordinate real general` and `... array real
//! general` (`integer` and `double` count as real). `symmetric` is expanded (the stored lower
//! triangle mirrored), `skew-symmetric` too (with the sign; the negative half is then set to
//! zero and reported, as any negative coefficient). `pattern`, `complex` and `hermitian`
//! matrices are refused with a clear error: a coefficient needs a real value. `A` must be
//! square. Explicit zeros are skipped; a duplicate entry is summed (reported); an index out of
//! range, a missing value or a line that is not three numbers is an error with its line.
//!
//! Products are `p1` .. `pn` (1-based, as Matrix Market indices), or taken from
//! [`MtxOptions::labels`]: one id per line, optionally `id,name` (CSV; a first row `id` or
//! `id,name` is a header). Final demand comes from [`MtxOptions::demand`]: a Matrix Market
//! vector (array `n x 1` or `1 x n`, or coordinate) or plain numbers separated by white space,
//! one per product; it becomes targets of [`MtxOptions::category`] (default `final`), negative
//! entries (a single category has nothing to net against) given no target, reported.

use std::path::{Path, PathBuf};

use chollima_model::{Diagnostics, Location, SparseColumns};

use crate::build::{self, Parts};
use crate::final_demand::{self, Demand};
use crate::iot::invalid;
use crate::table::{parse_number, read_bytes, read_rows};
use crate::{ImportError, Imported, bail_if_errors};

/// Options of [`import_mtx`].
#[derive(Debug, Clone, Default)]
pub struct MtxOptions {
    /// Product ids (and names): one `id` or `id,name` per line, in matrix order.
    pub labels: Option<PathBuf>,
    /// Final demand: a Matrix Market vector or plain numbers.
    pub demand: Option<PathBuf>,
    /// The target category of the demand (default `final`).
    pub category: Option<String>,
    /// The economy's name; default the file's name.
    pub name: Option<String>,
}

/// The most products a Matrix Market import accepts (2^26).
const MAX_PRODUCTS: usize = 1 << 26;

const HINT: &str =
    "the file must start with `%%MatrixMarket matrix coordinate real general` (or `array`)";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Symmetry {
    General,
    Symmetric,
    Skew,
}

/// A parsed Matrix Market matrix: entries `(row, col, value)`, 0-based.
struct Parsed {
    rows: usize,
    cols: usize,
    entries: Vec<(u32, u32, f64)>,
}

/// Parses Matrix Market text (coordinate or array, real/integer, general/symmetric/skew).
fn parse(text: &[u8], path: &Path, report: &mut Diagnostics) -> Option<Parsed> {
    let mut lines = text
        .split(|&b| b == b'\n')
        .enumerate()
        .map(|(i, l)| (i + 1, l.strip_suffix(b"\r").unwrap_or(l)));
    let Some((_, header)) = lines.next() else {
        report
            .error(Location::at(path, 1, 1), "empty file")
            .hint(HINT);
        return None;
    };
    let header = String::from_utf8_lossy(header).to_lowercase();
    let words: Vec<&str> = header.split_whitespace().collect();
    if words.len() != 5 || words[0] != "%%matrixmarket" || words[1] != "matrix" {
        report
            .error(
                Location::at(path, 1, 1),
                "not a Matrix Market matrix header",
            )
            .hint(HINT);
        return None;
    }
    let coordinate = match words[2] {
        "coordinate" => true,
        "array" => false,
        other => {
            report
                .error(
                    Location::at(path, 1, 3),
                    format!("unknown format `{other}`"),
                )
                .hint(HINT);
            return None;
        }
    };
    match words[3] {
        "real" | "integer" | "double" => {}
        field @ ("pattern" | "complex") => {
            report
                .error(
                    Location::at(path, 1, 4),
                    format!("a `{field}` matrix has no real values to use as coefficients"),
                )
                .hint("write the matrix with `real` values");
            return None;
        }
        other => {
            report
                .error(Location::at(path, 1, 4), format!("unknown field `{other}`"))
                .hint(HINT);
            return None;
        }
    }
    let symmetry = match words[4] {
        "general" => Symmetry::General,
        "symmetric" => Symmetry::Symmetric,
        "skew-symmetric" => Symmetry::Skew,
        other => {
            report
                .error(
                    Location::at(path, 1, 5),
                    format!("`{other}` matrices are not supported"),
                )
                .hint("write the matrix as `general` (or `symmetric`) real");
            return None;
        }
    };
    let mut data = lines.filter(|(_, l)| !l.trim_ascii().is_empty() && !l.starts_with(b"%"));
    let Some((size_line, size)) = data.next() else {
        report
            .error(Location::file(path), "no size line")
            .hint("after the header: `rows cols entries` (coordinate) or `rows cols` (array)");
        return None;
    };
    let numbers: Vec<Option<usize>> = size
        .split(|b| b.is_ascii_whitespace())
        .filter(|t| !t.is_empty())
        .map(|t| std::str::from_utf8(t).ok()?.parse().ok())
        .collect();
    let expected = if coordinate { 3 } else { 2 };
    if numbers.len() != expected || numbers.iter().any(Option::is_none) {
        report.error(
            Location::line(path, size_line),
            "the size line must be `rows cols entries` (coordinate) or `rows cols` (array)",
        );
        return None;
    }
    let (rows, cols) = (numbers[0]?, numbers[1]?);
    if rows > MAX_PRODUCTS || cols > MAX_PRODUCTS {
        report
            .error(
                Location::line(path, size_line),
                format!("a {rows} x {cols} matrix is too large"),
            )
            .hint(format!("at most {MAX_PRODUCTS} rows and columns"));
        return None;
    }
    if !coordinate && rows.saturating_mul(cols) > 1 << 28 {
        report
            .error(
                Location::line(path, size_line),
                format!("a dense {rows} x {cols} array is too large"),
            )
            .hint("write large matrices in coordinate format");
        return None;
    }
    let mut entries = Vec::new();
    let mut errors = 0usize;
    let mut error = |report: &mut Diagnostics, line: usize, msg: String| {
        errors += 1;
        if errors <= crate::MAX_ERRORS_PER_FILE {
            report
                .error(Location::line(path, line), msg)
                .hint("each entry line is `row col value` (coordinate) or `value` (array)");
        }
    };
    let mut count = 0usize;
    let (mut r, mut c) = (0usize, 0usize); // next array position (column-major)
    for (line, text) in data {
        let fields: Vec<&[u8]> = text
            .split(|b| b.is_ascii_whitespace())
            .filter(|t| !t.is_empty())
            .collect();
        count += 1;
        let (i, j, v) = if coordinate {
            if fields.len() != 3 {
                error(
                    report,
                    line,
                    format!("{} fields, expected `row col value`", fields.len()),
                );
                continue;
            }
            let index = |f: &[u8]| std::str::from_utf8(f).ok()?.parse::<usize>().ok();
            let (Some(i), Some(j)) = (index(fields[0]), index(fields[1])) else {
                error(
                    report,
                    line,
                    "the row and column must be whole numbers (1-based)".into(),
                );
                continue;
            };
            if i == 0 || j == 0 || i > rows || j > cols {
                error(
                    report,
                    line,
                    format!("entry ({i}, {j}) is outside the {rows} x {cols} matrix"),
                );
                continue;
            }
            (i - 1, j - 1, fields[2])
        } else {
            if fields.len() != 1 {
                error(
                    report,
                    line,
                    format!("{} fields, expected one value", fields.len()),
                );
                continue;
            }
            if c >= cols {
                error(report, line, "more values than the size line says".into());
                continue;
            }
            let at = (r, c);
            r += 1;
            if r >= rows {
                c += 1;
                r = if symmetry == Symmetry::General {
                    0
                } else {
                    c + usize::from(symmetry == Symmetry::Skew)
                };
            }
            (at.0, at.1, fields[0])
        };
        let value = match parse_number(v) {
            Ok(Some(x)) => x,
            _ => {
                error(
                    report,
                    line,
                    format!("`{}` is not a number", String::from_utf8_lossy(v)),
                );
                continue;
            }
        };
        if symmetry != Symmetry::General && j > i {
            error(
                report,
                line,
                format!(
                    "entry ({}, {}) is above the diagonal of a {} matrix",
                    i + 1,
                    j + 1,
                    words[4]
                ),
            );
            continue;
        }
        if value != 0.0 {
            entries.push((i as u32, j as u32, value));
            if symmetry != Symmetry::General && i != j {
                entries.push((
                    j as u32,
                    i as u32,
                    if symmetry == Symmetry::Skew {
                        -value
                    } else {
                        value
                    },
                ));
            }
        }
    }
    if errors > crate::MAX_ERRORS_PER_FILE {
        report.error(
            Location::file(path),
            format!(
                "{} more problems in this file are not listed",
                errors - crate::MAX_ERRORS_PER_FILE
            ),
        );
    }
    let expected_count = if coordinate {
        numbers[2]?
    } else {
        match symmetry {
            Symmetry::General => rows.saturating_mul(cols),
            Symmetry::Symmetric => rows.saturating_mul(rows + 1) / 2,
            Symmetry::Skew => rows.saturating_mul(rows.saturating_sub(1)) / 2,
        }
    };
    if count != expected_count {
        report
            .error(
                Location::line(path, size_line),
                format!("the size line announces {expected_count} entries, the file has {count}"),
            )
            .hint("the file may be cut short");
    }
    if symmetry != Symmetry::General {
        report.note(
            Location::at(path, 1, 5),
            format!("{} matrix expanded to both triangles", words[4]),
        );
    }
    Some(Parsed {
        rows,
        cols,
        entries,
    })
}

/// Imports `A` from a Matrix Market file, with optional labels and demand.
pub fn import_mtx(path: &Path, options: &MtxOptions) -> Result<Imported, ImportError> {
    let mut report = Diagnostics::new();
    let Some(bytes) = read_bytes(path, "a Matrix Market file holding A", &mut report)? else {
        return Err(invalid(report));
    };
    let Some(parsed) = parse(&bytes, path, &mut report) else {
        return Err(invalid(report));
    };
    if parsed.rows != parsed.cols {
        report
            .error(
                Location::line(path, 2),
                format!("A is {} x {}: not square", parsed.rows, parsed.cols),
            )
            .hint("A has one row and one column per product");
    }
    bail_if_errors(&mut report)?;
    let n = parsed.rows;
    let (ids, names) = labels(options.labels.as_deref(), n, &mut report)?;
    let ids = build::product_ids(
        &ids,
        |i| Location::line(options.labels.as_deref().unwrap_or(path), i + 1),
        &mut report,
    );
    let demand_values = match &options.demand {
        Some(p) => demand_vector(p, n, &mut report)?,
        None => {
            report.note(Location::file(path), "no demand vector given: no targets");
            vec![0.0; n]
        }
    };
    bail_if_errors(&mut report)?;
    let mut entries = parsed.entries;
    entries.sort_by_key(|&(i, j, _)| (j, i));
    let (mut duplicates, mut negatives) = (0usize, 0usize);
    let mut col_start = vec![0usize; n + 1];
    let mut rows: Vec<u32> = Vec::with_capacity(entries.len());
    let mut values: Vec<f64> = Vec::with_capacity(entries.len());
    let mut k = 0;
    while k < entries.len() {
        let (i, j, mut v) = entries[k];
        k += 1;
        while k < entries.len() && entries[k].0 == i && entries[k].1 == j {
            v += entries[k].2;
            duplicates += 1;
            k += 1;
        }
        if v < 0.0 {
            negatives += 1;
            if negatives <= crate::MAX_ERRORS_PER_FILE {
                report.warning(
                    Location::file(path),
                    format!(
                        "negative coefficient {v} of `{}` into `{}` set to 0",
                        ids[i as usize], ids[j as usize]
                    ),
                );
            }
        } else if v > 0.0 {
            rows.push(i);
            values.push(v);
            col_start[j as usize + 1] += 1;
        }
    }
    for c in 0..n {
        col_start[c + 1] += col_start[c];
    }
    if duplicates > 0 {
        report.warning(
            Location::file(path),
            format!("{duplicates} duplicate entries summed"),
        );
    }
    if negatives > 0 {
        report
            .warning(
                Location::file(path),
                format!("{negatives} negative coefficients set to 0"),
            )
            .hint("FORMAT.md input coefficients are >= 0");
    }
    let inputs = SparseColumns::from_raw(n, col_start, rows, values);
    build::check_productive(&inputs, &ids, &Location::file(path), &mut report);
    let category = options
        .category
        .clone()
        .unwrap_or_else(|| "final".to_string());
    let mut demand = Demand {
        categories: vec![category],
        values: vec![demand_values],
    };
    let demand_file = options.demand.clone().unwrap_or_default();
    final_demand::net_negatives(
        &mut demand,
        &ids,
        |_| Location::file(&demand_file),
        &mut report,
    );
    let name = options
        .name
        .clone()
        .unwrap_or_else(|| format!("Matrix Market {}", path.display()));
    let parts = Parts {
        name,
        unit: None,
        base_year: None,
        ids,
        names,
        groups: None,
        inputs,
        demand,
    };
    Ok(build::symmetric(parts, &vec![0.0; n], report))
}

/// Product ids (and names) from the labels file, or `p1..pn`.
fn labels(
    path: Option<&Path>,
    n: usize,
    report: &mut Diagnostics,
) -> Result<(Vec<String>, Option<Vec<String>>), ImportError> {
    let Some(path) = path else {
        return Ok(((1..=n).map(|i| format!("p{i}")).collect(), None));
    };
    let Some(rows) = read_rows(
        path,
        b',',
        "a labels file: one id (or id,name) per line",
        report,
    )?
    else {
        return Ok((Vec::new(), None));
    };
    let skip = usize::from(
        rows.first()
            .is_some_and(|(_, f)| f[0].eq_ignore_ascii_case("id")),
    );
    let rows = &rows[skip..];
    if rows.len() != n {
        report
            .error(
                Location::file(path),
                format!("{} labels for a {n} x {n} matrix", rows.len()),
            )
            .hint("one label per row of A, in order");
    }
    let ids = rows.iter().map(|(_, f)| f[0].clone()).collect();
    let names = rows.iter().any(|(_, f)| f.len() > 1).then(|| {
        rows.iter()
            .map(|(_, f)| f.get(1).cloned().unwrap_or_default())
            .collect()
    });
    Ok((ids, names))
}

/// The demand vector: Matrix Market (array or coordinate, `n x 1` or `1 x n`) or plain numbers.
fn demand_vector(path: &Path, n: usize, report: &mut Diagnostics) -> Result<Vec<f64>, ImportError> {
    let Some(bytes) = read_bytes(
        path,
        "a demand vector (Matrix Market or plain numbers)",
        report,
    )?
    else {
        return Ok(vec![0.0; n]);
    };
    let mut values = vec![0.0; n];
    if bytes.starts_with(b"%%MatrixMarket") {
        let Some(parsed) = parse(&bytes, path, report) else {
            return Ok(values);
        };
        if parsed.rows.saturating_mul(parsed.cols) != n || parsed.rows.min(parsed.cols) != 1 {
            report.error(
                Location::line(path, 2),
                format!(
                    "the demand is {} x {}, expected {n} x 1",
                    parsed.rows, parsed.cols
                ),
            );
            return Ok(values);
        }
        for (i, j, v) in parsed.entries {
            values[(i.max(j)) as usize] += v;
        }
        return Ok(values);
    }
    let mut k = 0usize;
    for (line, text) in bytes.split(|&b| b == b'\n').enumerate() {
        for field in text
            .split(|b| b.is_ascii_whitespace() || *b == b',')
            .filter(|t| !t.is_empty())
        {
            match parse_number(field) {
                Ok(Some(v)) if k < n => values[k] = v,
                Ok(Some(_)) => {}
                _ => {
                    report.error(
                        Location::line(path, line + 1),
                        format!("`{}` is not a number", String::from_utf8_lossy(field)),
                    );
                }
            }
            k += 1;
        }
    }
    if k != n {
        report
            .error(
                Location::file(path),
                format!("{k} demand values for {n} products"),
            )
            .hint("one value per product, in order");
    }
    Ok(values)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coordinate_array_and_symmetric_matrices_parse() {
        let mut report = Diagnostics::new();
        let p = parse(
            b"%%MatrixMarket matrix coordinate real general\n% c\n2 2 2\n1 2 0.5\n2 1 0.25\n",
            Path::new("a.mtx"),
            &mut report,
        )
        .unwrap();
        assert_eq!(p.entries, vec![(0, 1, 0.5), (1, 0, 0.25)]);
        let p = parse(
            b"%%MatrixMarket matrix array real general\n2 2\n1\n2\n3\n4\n",
            Path::new("a.mtx"),
            &mut report,
        )
        .unwrap();
        assert_eq!(
            p.entries,
            vec![(0, 0, 1.0), (1, 0, 2.0), (0, 1, 3.0), (1, 1, 4.0)]
        );
        let p = parse(
            b"%%MatrixMarket matrix coordinate real symmetric\n2 2 1\n2 1 0.5\n",
            Path::new("a.mtx"),
            &mut report,
        )
        .unwrap();
        assert_eq!(p.entries, vec![(1, 0, 0.5), (0, 1, 0.5)]);
        let p = parse(
            b"%%MatrixMarket matrix array real symmetric\n2 2\n1\n2\n3\n",
            Path::new("a.mtx"),
            &mut report,
        )
        .unwrap();
        assert_eq!(
            p.entries,
            vec![(0, 0, 1.0), (1, 0, 2.0), (0, 1, 2.0), (1, 1, 3.0)]
        );
        assert!(!report.has_errors(), "{report}");
    }

    #[test]
    fn pattern_complex_and_hermitian_are_refused() {
        for header in [
            "coordinate pattern general",
            "coordinate complex general",
            "coordinate real hermitian",
        ] {
            let mut report = Diagnostics::new();
            let text = format!("%%MatrixMarket matrix {header}\n1 1 1\n1 1\n");
            assert!(parse(text.as_bytes(), Path::new("a.mtx"), &mut report).is_none());
            assert!(report.has_errors());
        }
    }
}
