//! `inputs.csv` and `capital.csv`: sparse `(technique, product, coefficient)` triplets, read fast.
//!
//! These files hold one row per nonzero and reach 10^8 rows, so they get a reader of their
//! own: the file is read at once, cut into chunks at line breaks, and the chunks are parsed in
//! parallel (rayon) into triplets. Problems are recorded with their byte offset and turned into
//! line numbers only at the end, when there are any. The triplets are then bucketed by technique
//! into [`SparseColumns`] (a counting sort, O(nnz)) and each column sorted by row, which is where
//! duplicate pairs show up; their lines are found by a second pass only when there are some.

use std::path::Path;

use chollima_model::{Diagnostics, IdList, Location, SparseColumns};
use rayon::prelude::*;
use rustc_hash::FxHashMap;

use crate::table::{self, check_number, read_bytes};

/// The column names of a triplet file.
pub(crate) struct TripletColumns {
    pub technique: &'static str,
    pub product: &'static str,
    pub coefficient: &'static str,
}

pub(crate) const INPUTS: TripletColumns = TripletColumns {
    technique: "technique",
    product: "input",
    coefficient: "coefficient",
};
pub(crate) const CAPITAL: TripletColumns = TripletColumns {
    technique: "technique",
    product: "good",
    coefficient: "coefficient",
};

/// Most problems recorded per chunk: a badly broken file is summarised, not listed in full.
const MAX_PROBLEMS_PER_CHUNK: usize = 64;
/// Target chunk size for the parallel parse.
const CHUNK_BYTES: usize = 1 << 20;

/// A problem found while parsing, located by byte offset of its line.
struct Problem {
    offset: usize,
    column: usize,
    message: String,
    hint: &'static str,
}

/// The triplets of one chunk. Techniques come as runs `(technique, count)`: files list a
/// technique's rows together, so this is one entry per technique rather than one per row.
#[derive(Default)]
struct Chunk {
    runs: Vec<(u32, u32)>,
    product: Vec<u32>,
    value: Vec<f64>,
    problems: Vec<Problem>,
    problem_count: usize,
}

impl Chunk {
    fn push(&mut self, technique: u32, product: u32, value: f64) {
        match self.runs.last_mut() {
            Some((t, count)) if *t == technique => *count += 1,
            _ => self.runs.push((technique, 1)),
        }
        self.product.push(product);
        self.value.push(value);
    }

    /// The technique of every triplet, in order.
    fn techniques(&self) -> impl Iterator<Item = u32> + '_ {
        self.runs
            .iter()
            .flat_map(|&(t, count)| std::iter::repeat_n(t, count as usize))
    }

    fn problem(&mut self, offset: usize, column: usize, message: String, hint: &'static str) {
        self.problem_count += 1;
        if self.problems.len() < MAX_PROBLEMS_PER_CHUNK {
            self.problems.push(Problem {
                offset,
                column,
                message,
                hint,
            });
        }
    }
}

/// Positions of the three columns in the header, and the field count.
struct Layout {
    technique: usize,
    product: usize,
    coefficient: usize,
    width: usize,
}

/// Splits a header or data line into fields, stripping `\r`, surrounding spaces and quotes.
fn fields(line: &[u8]) -> impl Iterator<Item = &[u8]> {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    line.split(|&b| b == b',').map(|f| {
        let f = f.trim_ascii();
        if f.len() >= 2 && f[0] == b'"' && f[f.len() - 1] == b'"' {
            &f[1..f.len() - 1]
        } else {
            f
        }
    })
}

fn read_layout(
    path: &Path,
    header: &[u8],
    names: &TripletColumns,
    diags: &mut Diagnostics,
) -> Option<Layout> {
    let mut found = [None, None, None];
    let wanted = [names.technique, names.product, names.coefficient];
    let mut width = 0;
    for (i, field) in fields(header).enumerate() {
        width += 1;
        let Ok(name) = std::str::from_utf8(field) else {
            table::not_utf8(diags, path, 1, i + 1);
            return None;
        };
        match wanted.iter().position(|w| *w == name) {
            Some(k) if found[k].is_none() => found[k] = Some(i),
            Some(_) => {
                diags.error(
                    Location::at(path, 1, i + 1),
                    format!("column `{name}` appears twice"),
                );
            }
            None => {
                diags
                    .warning(
                        Location::at(path, 1, i + 1),
                        format!("unknown column `{name}` is ignored"),
                    )
                    .hint(format!("this file's columns are: {}", wanted.join(", ")));
            }
        }
    }
    for (k, column) in found.iter().enumerate() {
        if column.is_none() {
            diags
                .error(
                    Location::line(path, 1),
                    format!("required column `{}` is missing", wanted[k]),
                )
                .hint(format!("the header must be: {}", wanted.join(",")));
        }
    }
    Some(Layout {
        technique: found[0]?,
        product: found[1]?,
        coefficient: found[2]?,
        width,
    })
}

/// Reads a triplet file into columns indexed like `techniques`, rows indexed like `products`.
/// Returns `None` when the file is absent (and not required) or when it has errors.
pub(crate) fn read(
    path: &Path,
    names: &TripletColumns,
    techniques: &IdList,
    products: &IdList,
    required: bool,
    diags: &mut Diagnostics,
) -> Option<SparseColumns> {
    let bytes = read_bytes(path, required, diags)?;
    parse(&bytes, path, names, techniques, products, diags)
}

/// Parses the bytes of a triplet file (see [`read`]).
pub(crate) fn parse(
    bytes: &[u8],
    path: &Path,
    names: &TripletColumns,
    techniques: &IdList,
    products: &IdList,
    diags: &mut Diagnostics,
) -> Option<SparseColumns> {
    let header_end = memchr::memchr(b'\n', bytes).unwrap_or(bytes.len());
    let layout = read_layout(path, &bytes[..header_end], names, diags)?;
    let body_start = (header_end + 1).min(bytes.len());
    let chunks = chunk_bounds(bytes, body_start);
    let parsed: Vec<Chunk> = chunks
        .par_iter()
        .map(|&(start, end)| parse_chunk(bytes, start, end, &layout, names, techniques, products))
        .collect();

    let mut file_diags = Diagnostics::new();
    let total_problems: usize = parsed.iter().map(|c| c.problem_count).sum();
    if total_problems > 0 {
        let mut problems: Vec<&Problem> = parsed.iter().flat_map(|c| &c.problems).collect();
        problems.sort_by_key(|p| p.offset);
        let lines = line_numbers(bytes, problems.iter().map(|p| p.offset));
        for (p, line) in problems.iter().zip(lines) {
            file_diags
                .error(Location::at(path, line, p.column + 1), p.message.clone())
                .hint(p.hint);
        }
        let listed = problems.len();
        if total_problems > listed {
            file_diags.error(
                Location::file(path),
                format!("and {} more problems in this file", total_problems - listed),
            );
        }
        table::cap(file_diags, path, diags);
        return None;
    }
    let matrix = build_columns(&parsed, techniques.len(), products.len());
    match matrix {
        Ok(m) => Some(m),
        Err(duplicates) => {
            report_duplicates(
                bytes,
                body_start,
                &layout,
                techniques,
                products,
                &duplicates,
                path,
                &mut file_diags,
            );
            table::cap(file_diags, path, diags);
            None
        }
    }
}

/// Cuts `bytes[start..]` into pieces of about [`CHUNK_BYTES`] that end at line breaks.
fn chunk_bounds(bytes: &[u8], start: usize) -> Vec<(usize, usize)> {
    let mut bounds = Vec::new();
    let mut begin = start;
    while begin < bytes.len() {
        let mut end = (begin + CHUNK_BYTES).min(bytes.len());
        if end < bytes.len() {
            end = memchr::memchr(b'\n', &bytes[end..]).map_or(bytes.len(), |i| end + i + 1);
        }
        bounds.push((begin, end));
        begin = end;
    }
    bounds
}

fn parse_chunk(
    bytes: &[u8],
    start: usize,
    end: usize,
    layout: &Layout,
    names: &TripletColumns,
    techniques: &IdList,
    products: &IdList,
) -> Chunk {
    let mut chunk = Chunk::default();
    let estimate = (end - start) / 24;
    chunk.product.reserve(estimate);
    chunk.value.reserve(estimate);
    // Validating the chunk as UTF-8 once lets the fast path slice `&str`s without checking
    // each cell; a chunk that is not UTF-8 goes line by line through the careful path, which
    // locates the bad bytes.
    let text = std::str::from_utf8(&bytes[start..end]).ok();
    let mut last_technique: (&str, u32) = ("", u32::MAX);
    let mut pos = start;
    while pos < end {
        let line_end = memchr::memchr(b'\n', &bytes[pos..end]).map_or(end, |i| pos + i);
        let offset = pos;
        pos = line_end + 1;
        if let Some(text) = text {
            let line = &text[offset - start..line_end - start];
            if let Some((t, p, v)) =
                parse_simple(line, layout, &mut last_technique, techniques, products)
            {
                chunk.push(t, p, v);
                continue;
            }
        }
        parse_careful(
            &bytes[offset..line_end],
            offset,
            layout,
            names,
            techniques,
            products,
            &mut chunk,
        );
    }
    chunk
}

/// The common case: exactly three plain fields, known ids, a valid coefficient. Anything else
/// returns `None` and goes through [`parse_careful`], which reports what is wrong.
#[inline]
fn parse_simple<'a>(
    line: &'a str,
    layout: &Layout,
    last_technique: &mut (&'a str, u32),
    techniques: &IdList,
    products: &IdList,
) -> Option<(u32, u32, f64)> {
    if layout.width != 3 {
        return None;
    }
    let line = line.strip_suffix('\r').unwrap_or(line);
    let b = line.as_bytes();
    let first = memchr::memchr(b',', b)?;
    let second = first + 1 + memchr::memchr(b',', &b[first + 1..])?;
    if memchr::memchr(b',', &b[second + 1..]).is_some() {
        return None;
    }
    let cells = [
        &line[..first],
        &line[first + 1..second],
        &line[second + 1..],
    ];
    let (t, p, c) = (
        cells[layout.technique],
        cells[layout.product],
        cells[layout.coefficient],
    );
    // The initial cache entry is ("", MAX): an empty id must not hit it.
    let technique = if t == last_technique.0 && !t.is_empty() {
        last_technique.1
    } else {
        let found = techniques.get(t)?;
        *last_technique = (t, found);
        found
    };
    let product = products.get(p)?;
    let value: f64 = fast_float2::parse(c).ok()?;
    (value.is_finite() && value >= 0.0).then_some((technique, product, value))
}

/// Parses one line field by field, recording every problem in it.
fn parse_careful(
    line: &[u8],
    offset: usize,
    layout: &Layout,
    names: &TripletColumns,
    techniques: &IdList,
    products: &IdList,
    chunk: &mut Chunk,
) {
    if line.trim_ascii().is_empty() {
        return;
    }
    let mut cells: [&[u8]; 3] = [&[]; 3];
    let mut count = 0;
    for (i, field) in fields(line).enumerate() {
        count += 1;
        if i == layout.technique {
            cells[0] = field;
        } else if i == layout.product {
            cells[1] = field;
        } else if i == layout.coefficient {
            cells[2] = field;
        }
    }
    if count != layout.width {
        chunk.problem(
            offset,
            count.min(layout.width),
            format!("row has {count} fields but the header has {}", layout.width),
            "every row needs one value per column",
        );
        return;
    }
    let technique = lookup(
        chunk,
        offset,
        layout.technique,
        cells[0],
        names.technique,
        techniques,
        "techniques.csv",
    );
    let product = lookup(
        chunk,
        offset,
        layout.product,
        cells[1],
        names.product,
        products,
        "products.csv",
    );
    let value = match std::str::from_utf8(cells[2]) {
        Ok(text) => match check_number(text, names.coefficient, 0.0, f64::INFINITY) {
            Ok(Some(v)) => Some(v),
            Ok(None) => {
                chunk.problem(
                    offset,
                    layout.coefficient,
                    format!("empty `{}`", names.coefficient),
                    "give a number, 0 or more",
                );
                None
            }
            Err((message, _)) => {
                chunk.problem(
                    offset,
                    layout.coefficient,
                    message,
                    "coefficients are numbers, 0 or more, with a `.` decimal point",
                );
                None
            }
        },
        Err(_) => {
            chunk.problem(
                offset,
                layout.coefficient,
                "text is not valid UTF-8".into(),
                "save the file as UTF-8",
            );
            None
        }
    };
    if let (Some(t), Some(p), Some(v)) = (technique, product, value) {
        chunk.push(t, p, v);
    }
}

fn lookup(
    chunk: &mut Chunk,
    offset: usize,
    column: usize,
    cell: &[u8],
    column_name: &str,
    ids: &IdList,
    defined_in: &'static str,
) -> Option<u32> {
    let Ok(text) = std::str::from_utf8(cell) else {
        chunk.problem(
            offset,
            column,
            "text is not valid UTF-8".into(),
            "save the file as UTF-8",
        );
        return None;
    };
    if text.is_empty() {
        chunk.problem(
            offset,
            column,
            format!("empty `{column_name}`"),
            "every row names a technique and a product",
        );
        return None;
    }
    let found = ids.get(text);
    if found.is_none() {
        let hint = if defined_in == "products.csv" {
            "add it to products.csv, or correct the id"
        } else {
            "add it to techniques.csv, or correct the id"
        };
        chunk.problem(
            offset,
            column,
            format!("unknown {column_name} `{text}` (not in {defined_in})"),
            hint,
        );
    }
    found
}

/// Line numbers (1-based, counting the header as line 1) of sorted byte offsets.
fn line_numbers(bytes: &[u8], offsets: impl Iterator<Item = usize>) -> Vec<usize> {
    let mut line = 1;
    let mut scanned = 0;
    offsets
        .map(|offset| {
            line += memchr::memchr_iter(b'\n', &bytes[scanned..offset]).count();
            scanned = offset;
            line
        })
        .collect()
}

/// Buckets the triplets by technique and sorts each column by row. On duplicate pairs, returns
/// them as `Err((technique, product))`.
fn build_columns(
    chunks: &[Chunk],
    ncols: usize,
    nrows: usize,
) -> Result<SparseColumns, Vec<(u32, u32)>> {
    let mut col_start = vec![0usize; ncols + 1];
    for chunk in chunks {
        for &(t, count) in &chunk.runs {
            col_start[t as usize + 1] += count as usize;
        }
    }
    for k in 0..ncols {
        col_start[k + 1] += col_start[k];
    }
    let nnz = col_start[ncols];
    // Files written by chollima (and most exports) list a technique's rows together, in
    // technique order: then the triplets are already bucketed and the columns are the chunks
    // laid end to end, with no scatter through memory.
    let grouped = chunks
        .iter()
        .flat_map(|c| c.runs.iter())
        .try_fold(0u32, |last, &(t, _)| (t >= last).then_some(t))
        .is_some();
    let (mut row, mut value) = if grouped {
        let mut row = vec![0u32; nnz];
        let mut value = vec![0f64; nnz];
        // Each chunk copies into its own slice of the columns, in parallel.
        let mut pieces = Vec::with_capacity(chunks.len());
        let (mut rest_rows, mut rest_values) = (row.as_mut_slice(), value.as_mut_slice());
        for chunk in chunks {
            let (r, rr) = rest_rows.split_at_mut(chunk.product.len());
            let (v, rv) = rest_values.split_at_mut(chunk.value.len());
            (rest_rows, rest_values) = (rr, rv);
            pieces.push((chunk, r, v));
        }
        pieces.into_par_iter().for_each(|(chunk, r, v)| {
            r.copy_from_slice(&chunk.product);
            v.copy_from_slice(&chunk.value);
        });
        (row, value)
    } else {
        let mut row = vec![0u32; nnz];
        let mut value = vec![0f64; nnz];
        let mut next = col_start[..ncols].to_vec();
        for chunk in chunks {
            for ((t, &p), &v) in chunk.techniques().zip(&chunk.product).zip(&chunk.value) {
                let slot = &mut next[t as usize];
                row[*slot] = p;
                value[*slot] = v;
                *slot += 1;
            }
        }
        (row, value)
    };
    // Split into per-column slices so the columns sort in parallel without unsafe code.
    let mut pieces: Vec<(usize, &mut [u32], &mut [f64])> = Vec::with_capacity(ncols);
    let (mut rest_rows, mut rest_values) = (row.as_mut_slice(), value.as_mut_slice());
    for k in 0..ncols {
        let len = col_start[k + 1] - col_start[k];
        let (r, rr) = rest_rows.split_at_mut(len);
        let (v, rv) = rest_values.split_at_mut(len);
        (rest_rows, rest_values) = (rr, rv);
        if len > 1 {
            pieces.push((k, r, v));
        }
    }
    let duplicates: Vec<(u32, u32)> = pieces
        .par_iter_mut()
        .with_min_len(1024)
        .flat_map_iter(|(k, rows, values)| {
            sort_column(rows, values);
            let k = *k as u32;
            rows.windows(2)
                .filter(|w| w[0] == w[1])
                .map(move |w| (k, w[0]))
                .collect::<Vec<_>>()
        })
        .collect();
    drop(pieces);
    if duplicates.is_empty() {
        Ok(SparseColumns::from_raw(nrows, col_start, row, value))
    } else {
        Err(duplicates)
    }
}

/// Sorts one column's rows, carrying the values along (stable, so file order is kept among equals).
fn sort_column(rows: &mut [u32], values: &mut [f64]) {
    if rows.windows(2).all(|w| w[0] < w[1]) {
        return;
    }
    let mut pairs: Vec<(u32, f64)> = rows.iter().copied().zip(values.iter().copied()).collect();
    pairs.sort_by_key(|&(r, _)| r);
    for (i, (r, v)) in pairs.into_iter().enumerate() {
        rows[i] = r;
        values[i] = v;
    }
}

#[allow(clippy::too_many_arguments)]
fn report_duplicates(
    bytes: &[u8],
    body_start: usize,
    layout: &Layout,
    techniques: &IdList,
    products: &IdList,
    duplicates: &[(u32, u32)],
    path: &Path,
    diags: &mut Diagnostics,
) {
    let mut lines: FxHashMap<(u32, u32), Vec<usize>> =
        duplicates.iter().map(|&pair| (pair, Vec::new())).collect();
    let mut line_number = 1;
    for line in bytes[body_start..].split(|&b| b == b'\n') {
        line_number += 1;
        let cells: Vec<&[u8]> = fields(line).collect();
        let (Some(t), Some(p)) = (cells.get(layout.technique), cells.get(layout.product)) else {
            continue;
        };
        let (Ok(t), Ok(p)) = (std::str::from_utf8(t), std::str::from_utf8(p)) else {
            continue;
        };
        if let (Some(t), Some(p)) = (techniques.get(t), products.get(p))
            && let Some(seen) = lines.get_mut(&(t, p))
        {
            seen.push(line_number);
        }
    }
    let mut found: Vec<_> = lines.into_iter().collect();
    found.sort_by_key(|(_, seen)| seen.first().copied());
    for ((t, p), seen) in found {
        for &line in seen.iter().skip(1) {
            diags
                .error(
                    Location::at(path, line, layout.technique + 1),
                    format!(
                        "pair ({}, {}) appears again (first on line {})",
                        &techniques[t as usize], &products[p as usize], seen[0]
                    ),
                )
                .hint("a pair appears at most once: add the coefficients into one row");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(list: &[&str]) -> IdList {
        let mut ids = IdList::default();
        for id in list {
            ids.insert(*id).unwrap();
        }
        ids
    }

    fn read_text(text: &str) -> (Option<SparseColumns>, Diagnostics) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("inputs.csv");
        std::fs::write(&path, text).unwrap();
        let mut diags = Diagnostics::new();
        let m = read(
            &path,
            &INPUTS,
            &ids(&["t1", "t2"]),
            &ids(&["a", "b", "c"]),
            true,
            &mut diags,
        );
        (m, diags)
    }

    #[test]
    fn reads_any_column_order_quotes_and_crlf() {
        let (m, diags) =
            read_text("input,\"technique\",coefficient\r\nc,t1,0.5\r\n\"a\",t1,1e-3\r\nb,t2,2\r\n");
        let m = m.unwrap_or_else(|| panic!("{diags}"));
        assert_eq!(m.column(0), (&[0u32, 2][..], &[1e-3, 0.5][..]));
        assert_eq!(m.get(1, 1), 2.0);
    }

    #[test]
    fn reports_every_problem_with_line_and_column() {
        let (m, diags) =
            read_text("technique,input,coefficient\nt1,a,x\nt9,b,1\nt1,zz,1\nt2,a,-1\nt2,b\n");
        assert!(m.is_none());
        let text = diags.to_string();
        for expected in [
            "inputs.csv:2:3: `coefficient` is `x`, not a number",
            "inputs.csv:3:1: unknown technique `t9`",
            "inputs.csv:4:2: unknown input `zz`",
            "inputs.csv:5:3: `coefficient` is -1, outside 0 or more",
            "inputs.csv:6:3: row has 2 fields but the header has 3",
        ] {
            assert!(text.contains(expected), "missing {expected:?} in\n{text}");
        }
    }

    #[test]
    fn duplicate_pairs_name_both_lines() {
        let (m, diags) = read_text("technique,input,coefficient\nt1,a,1\nt2,a,1\nt1,a,2\n");
        assert!(m.is_none());
        assert!(
            diags
                .to_string()
                .contains("inputs.csv:4:1: pair (t1, a) appears again (first on line 2)"),
            "{diags}"
        );
    }

    #[test]
    fn missing_column_is_reported() {
        let (m, diags) = read_text("technique,coefficient\nt1,1\n");
        assert!(m.is_none());
        assert!(
            diags
                .to_string()
                .contains("required column `input` is missing"),
            "{diags}"
        );
    }

    #[test]
    fn chunks_end_at_line_breaks_and_cover_everything() {
        let text: String = (0..200_000)
            .map(|i| format!("t{},p{},{}\n", i % 7, i, i))
            .collect();
        let bytes = text.as_bytes();
        let bounds = chunk_bounds(bytes, 0);
        assert!(bounds.len() > 1);
        assert_eq!(bounds[0].0, 0);
        assert_eq!(bounds.last().unwrap().1, bytes.len());
        for w in bounds.windows(2) {
            assert_eq!(w[0].1, w[1].0);
            assert_eq!(bytes[w[0].1 - 1], b'\n');
        }
    }
}
