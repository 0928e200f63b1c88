//! Reading published tables: the one CSV/TSV reader every importer shares.
//!
//! A published table is a grid with `header_rows` rows of column labels on top and
//! `label_cols` columns of row labels on the left; every other cell is a number. [`read_table`]
//! reads such a file in one pass with the `csv` crate's `ByteRecord`s and keeps only the
//! non-zero numbers, row by row (compressed sparse rows), so a 1435 x 1435 table with 20 %
//! non-zeros costs its non-zeros, not n².
//!
//! Problems are collected, not returned one at a time: a missing file, a ragged row, a cell that
//! is not a number, text that is not UTF-8 each become an error [`Diagnostic`] with the file, the
//! line, the column (1-based field position) and a hint. After [`MAX_ERRORS_PER_FILE`] errors in
//! one file the rest are counted in one closing error, so a file of garbage does not flood the
//! report. Cells that are empty or say `NA`/`NaN` are read as 0 and reported as one warning per
//! file (with the first few places), since published tables use them for "nothing".
//!
//! [`Diagnostic`]: chollima_model::Diagnostic

use std::path::{Path, PathBuf};

use chollima_model::{Diagnostics, FileBytes, Location};

use crate::ImportError;

/// Errors listed one by one per file; beyond this they are counted.
pub const MAX_ERRORS_PER_FILE: usize = 50;

/// How a table file is laid out.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Layout {
    /// Field separator: `b','` for CSV, `b'\t'` for pymrio's text files.
    pub delimiter: u8,
    /// Rows of column labels before the data (at least 1).
    pub header_rows: usize,
    /// Columns of row labels before the numbers (at least 1).
    pub label_cols: usize,
}

impl Layout {
    pub const CSV: Layout = Layout {
        delimiter: b',',
        header_rows: 1,
        label_cols: 1,
    };
}

/// A table read from a file: labels as text, numbers as compressed sparse rows of non-zeros.
///
/// The non-zeros lie in one or more segments: the parallel reader keeps each chunk's cells where
/// it parsed them (copying them into one array touched as much fresh memory again), and each
/// row knows its segment and range.
#[derive(Debug, Clone)]
pub(crate) struct Table {
    pub file: PathBuf,
    /// `header_rows` rows of labels, each with one entry per numeric column.
    pub headers: Vec<Vec<String>>,
    /// The label cells of each data row, `label_cols` per row, flattened.
    labels: Vec<String>,
    pub label_cols: usize,
    /// Line (1-based) of each data row.
    pub lines: Vec<usize>,
    /// Number of numeric columns.
    pub ncols: usize,
    segments: Vec<Cells>,
    rows: Vec<RowCells>,
}

/// Non-zero cells of consecutive rows: numeric column indices and values.
#[derive(Debug, Clone, Default)]
struct Cells {
    col: Vec<u32>,
    val: Vec<f64>,
}

/// Where a data row's non-zeros are: `segments[segment].col[start..end]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct RowCells {
    segment: usize,
    start: usize,
    end: usize,
}

impl Table {
    pub fn nrows(&self) -> usize {
        self.lines.len()
    }

    /// The `k`-th label cell of data row `i`.
    pub fn label(&self, i: usize, k: usize) -> &str {
        &self.labels[i * self.label_cols + k]
    }

    /// The first label cell of data row `i`.
    pub fn row_label(&self, i: usize) -> &str {
        self.label(i, 0)
    }

    /// The label of numeric column `j` in the last header row.
    pub fn col_label(&self, j: usize) -> &str {
        &self.headers[self.headers.len() - 1][j]
    }

    /// Non-zero cells of data row `i`: numeric column indices and values.
    pub fn row(&self, i: usize) -> (&[u32], &[f64]) {
        let RowCells {
            segment,
            start,
            end,
        } = self.rows[i];
        let cells = &self.segments[segment];
        (&cells.col[start..end], &cells.val[start..end])
    }

    /// The number of non-zero cells.
    pub fn nnz(&self) -> usize {
        self.rows.iter().map(|r| r.end - r.start).sum()
    }

    /// Numeric column `j` as a dense vector over the data rows.
    pub fn dense_col(&self, j: usize) -> Vec<f64> {
        (0..self.nrows()).map(|i| self.get(i, j)).collect()
    }

    /// The value at data row `i`, numeric column `j`.
    pub fn get(&self, i: usize, j: usize) -> f64 {
        let (cols, vals) = self.row(i);
        match cols.binary_search(&(j as u32)) {
            Ok(p) => vals[p],
            Err(_) => 0.0,
        }
    }

    /// Sum of each data row.
    pub fn row_sums(&self) -> Vec<f64> {
        (0..self.nrows())
            .map(|i| self.row(i).1.iter().sum())
            .collect()
    }

    /// Where data row `i` is.
    pub fn row_location(&self, i: usize) -> Location {
        Location::line(&self.file, self.lines[i])
    }

    /// Where the cell of data row `i`, numeric column `j` is.
    pub fn cell_location(&self, i: usize, j: usize) -> Location {
        Location::at(&self.file, self.lines[i], self.label_cols + j + 1)
    }

    /// Where the label of numeric column `j` is (in the last header row).
    pub fn header_location(&self, j: usize) -> Location {
        Location::at(&self.file, self.headers.len(), self.label_cols + j + 1)
    }
}

/// A number cell: `Ok(Some(v))`, `Ok(None)` when the cell is empty or `NA`, `Err` when not a number.
#[inline]
pub(crate) fn parse_number(field: &[u8]) -> Result<Option<f64>, ()> {
    // Fast path: plain integers of up to 15 digits (exact in f64), the bulk of published tables.
    if !field.is_empty() && field.len() <= 15 {
        let mut n: u64 = 0;
        let mut plain = true;
        for &d in field {
            let digit = d.wrapping_sub(b'0');
            if digit > 9 {
                plain = false;
                break;
            }
            n = n * 10 + u64::from(digit);
        }
        if plain {
            return Ok(Some(n as f64));
        }
    }
    let field = field.trim_ascii();
    match field {
        b"0.0" => return Ok(Some(0.0)),
        b"" | b"NA" | b"NaN" | b"nan" | b"N/A" | b"null" => return Ok(None),
        _ => {}
    }
    let (negative, digits) = match field.first() {
        Some(b'-') => (true, &field[1..]),
        Some(b'+') => (false, &field[1..]),
        _ => (false, field),
    };
    if !digits.is_empty() && digits.len() <= 15 && digits.iter().all(u8::is_ascii_digit) {
        let mut n: u64 = 0;
        for &d in digits {
            n = n * 10 + u64::from(d - b'0');
        }
        let v = n as f64;
        return Ok(Some(if negative { -v } else { v }));
    }
    // fast-float is correctly rounded (Eisel-Lemire, as Rust's own parser): the value is the
    // nearest f64, exactly what numpy or R would read. It takes bytes, so no UTF-8 check first.
    match fast_float2::parse::<f64, _>(field) {
        Ok(v) if v.is_finite() => Ok(Some(v)),
        _ => Err(()),
    }
}

/// Counts errors per file and stops listing them after [`MAX_ERRORS_PER_FILE`].
pub(crate) struct FileProblems<'a> {
    report: &'a mut Diagnostics,
    file: PathBuf,
    listed: usize,
    suppressed: usize,
    missing: Vec<(usize, usize)>,
    missing_count: usize,
}

impl<'a> FileProblems<'a> {
    pub fn new(report: &'a mut Diagnostics, file: &Path) -> Self {
        FileProblems {
            report,
            file: file.to_path_buf(),
            listed: 0,
            suppressed: 0,
            missing: Vec::new(),
            missing_count: 0,
        }
    }

    pub fn error(&mut self, line: usize, column: Option<usize>, message: String, hint: &str) {
        if self.listed >= MAX_ERRORS_PER_FILE {
            self.suppressed += 1;
            return;
        }
        self.listed += 1;
        let location = match column {
            Some(c) => Location::at(&self.file, line, c),
            None => Location::line(&self.file, line),
        };
        self.report.error(location, message).hint(hint);
    }

    fn missing(&mut self, line: usize, column: usize) {
        self.missing_count += 1;
        if self.missing.len() < 5 {
            self.missing.push((line, column));
        }
    }

    fn finish(self) {
        if self.suppressed > 0 {
            self.report
                .error(
                    Location::file(&self.file),
                    format!(
                        "{} more problems in this file are not listed",
                        self.suppressed
                    ),
                )
                .hint("fix the ones listed above; the rest are usually of the same kind");
        }
        if self.missing_count > 0 {
            let places: Vec<String> = self
                .missing
                .iter()
                .map(|(l, c)| format!("line {l} column {c}"))
                .collect();
            let (line, column) = self.missing[0];
            self.report
                .warning(
                    Location::at(&self.file, line, column),
                    format!(
                        "{} empty or `NA` cells read as 0 (first at {})",
                        self.missing_count,
                        places.join(", ")
                    ),
                )
                .hint("write 0 where a cell is meant to be zero");
        }
    }
}

/// Reads the whole file; a missing file becomes an error diagnostic (so several missing files are
/// listed together), any other failure an [`ImportError::Io`].
pub(crate) fn read_bytes(
    path: &Path,
    what: &str,
    report: &mut Diagnostics,
) -> Result<Option<FileBytes>, ImportError> {
    match FileBytes::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            report
                .error(Location::file(path), "file not found")
                .hint(what.to_string());
            Ok(None)
        }
        Err(e) if e.kind() == std::io::ErrorKind::IsADirectory => {
            report
                .error(Location::file(path), "is a folder, not a file")
                .hint(what.to_string());
            Ok(None)
        }
        Err(source) => Err(ImportError::Io {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// Refuses text that is not UTF-8 at the level of the whole file (UTF-16 byte-order marks) and
/// strips a UTF-8 byte-order mark. Returns the text to parse, or `None` after reporting.
pub(crate) fn strip_bom<'b>(
    bytes: &'b [u8],
    path: &Path,
    report: &mut Diagnostics,
) -> Option<&'b [u8]> {
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        report
            .error(Location::at(path, 1, 1), "the file is UTF-16, not UTF-8")
            .hint("save the table as UTF-8 CSV (in a spreadsheet: \"CSV UTF-8\")");
        return None;
    }
    Some(bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(bytes))
}

fn label_text(field: &[u8], line: usize, column: usize, problems: &mut FileProblems) -> String {
    match std::str::from_utf8(field) {
        Ok(s) => s.trim().to_string(),
        Err(_) => {
            problems.error(
                line,
                Some(column),
                "this label is not valid UTF-8".into(),
                "the file is probably Latin-1 or Windows-1252: convert it, e.g. `iconv -f latin1 -t utf-8`",
            );
            String::from_utf8_lossy(field).trim().to_string()
        }
    }
}

/// Reads a table file. Problems go to `report`; `Ok(None)` when the file is missing or has no
/// usable header. Cells that are not numbers are reported and read as 0 so that every other
/// problem is still found.
pub(crate) fn read_table(
    path: &Path,
    layout: Layout,
    what: &str,
    report: &mut Diagnostics,
) -> Result<Option<Table>, ImportError> {
    let Some(bytes) = read_bytes(path, what, report)? else {
        return Ok(None);
    };
    Ok(parse_table(&bytes, path, layout, report))
}

/// Parses table text (see [`read_table`]).
///
/// Text without a quote character (the usual numeric table) is split by a tight loop over the
/// bytes; text with quotes goes through the `csv` crate's `ByteRecord` reader. Both feed the
/// same record handler, so they give the same table and the same problems.
pub(crate) fn parse_table(
    bytes: &[u8],
    path: &Path,
    layout: Layout,
    report: &mut Diagnostics,
) -> Option<Table> {
    let bytes = strip_bom(bytes, path, report)?;
    let mut builder = Builder {
        layout,
        problems: FileProblems::new(report, path),
        headers: Vec::with_capacity(layout.header_rows),
        width: 0,
        skipped_names: false,
        table: Table {
            file: path.to_path_buf(),
            headers: Vec::new(),
            labels: Vec::new(),
            label_cols: layout.label_cols,
            lines: Vec::new(),
            ncols: 0,
            segments: vec![Cells::default()],
            rows: Vec::new(),
        },
    };
    if memchr::memchr(b'"', bytes).is_none() {
        parse_plain(bytes, &mut builder);
        return builder.finish();
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(layout.delimiter)
        .buffer_capacity(1 << 16)
        .from_reader(bytes);
    let mut record = csv::ByteRecord::new();
    let mut lines = LineCounter::new(bytes);
    while let Some(line) = next_record(&mut reader, &mut record, &mut lines, &mut builder.problems)
    {
        let quoted_fields: Vec<&[u8]> = record.iter().collect();
        if !builder.record(line, &quoted_fields) {
            return None;
        }
    }
    builder.finish()
}

/// Below this many bytes of data rows the table is parsed as one chunk, on one thread.
const PARALLEL_BYTES: usize = 1 << 20;

/// Parses text without quote characters.
///
/// The header rows (and pymrio's index-name row) go through [`Builder::record`] one by one;
/// the data rows are then parsed by [`parse_regular_chunk`], split into chunks at line breaks
/// and parsed in parallel when the table is large. That fast path only handles regular rows: when any
/// chunk meets anything else (a ragged row, a cell that is not a number or is empty, a label
/// that is not UTF-8), the rows are parsed again one by one, so every problem is reported
/// exactly as the one-thread reader reports it.
fn parse_plain(bytes: &[u8], builder: &mut Builder) {
    let mut fields: Vec<&[u8]> = Vec::new();
    let mut start = 0;
    let mut index = 0;
    let mut tried_chunks = false;
    while start <= bytes.len() {
        if !tried_chunks && builder.expects_plain_data() {
            tried_chunks = true;
            if parse_in_chunks(&bytes[start..], index, builder) {
                return;
            }
        }
        let end = memchr::memchr(b'\n', &bytes[start..]).map_or(bytes.len(), |k| start + k);
        let line = &bytes[start..end];
        index += 1;
        start = end + 1;
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            continue;
        }
        fields.clear();
        fields.extend(line.split(|&b| b == builder.layout.delimiter));
        if !builder.record(index, &fields) {
            return;
        }
    }
}

/// Data rows parsed by one chunk of [`parse_in_chunks`], with line numbers counted from the
/// chunk's start.
#[derive(Default)]
struct Piece {
    labels: Vec<String>,
    lines: Vec<usize>,
    row_end: Vec<usize>,
    cells: Cells,
    newlines: usize,
}

/// Parses the data rows in `bytes` (which start after line `lines_before`) in chunks, in
/// parallel when there are several,
/// and appends them to the builder's table. `false`, with nothing appended, when some row is
/// not regular.
fn parse_in_chunks(bytes: &[u8], lines_before: usize, builder: &mut Builder) -> bool {
    use rayon::prelude::*;
    let layout = builder.layout;
    let width = builder.width;
    // One chunk per thread: each chunk's vectors are fresh memory with slack at their ends, and
    // four chunks per thread cost WIOD 10 MiB more of it and 1.5 ms (`bench/ab_wiod.py`).
    let wanted = if bytes.len() >= PARALLEL_BYTES {
        rayon::current_num_threads().max(1)
    } else {
        1
    };
    let mut bounds = Vec::with_capacity(wanted + 1);
    let mut from = 0;
    while from < bytes.len() {
        let target = (from + bytes.len() / wanted + 1).min(bytes.len());
        let to = memchr::memchr(b'\n', &bytes[target..]).map_or(bytes.len(), |k| target + k + 1);
        bounds.push((from, to));
        from = to;
    }
    let pieces: Option<Vec<Piece>> = bounds
        .par_iter()
        .map(|&(from, to)| parse_regular_chunk(&bytes[from..to], layout, width))
        .collect();
    let Some(pieces) = pieces else {
        return false;
    };
    let table = &mut builder.table;
    let mut line_base = lines_before;
    for piece in pieces {
        let segment = table.segments.len();
        table.labels.extend(piece.labels);
        table
            .lines
            .extend(piece.lines.iter().map(|l| l + line_base));
        let mut start = 0;
        table.rows.extend(piece.row_end.iter().map(|&end| {
            let row = RowCells {
                segment,
                start,
                end,
            };
            start = end;
            row
        }));
        table.segments.push(piece.cells);
        line_base += piece.newlines;
    }
    true
}

/// Parses one chunk of regular data rows: `width` fields, UTF-8 labels, every cell a number.
/// `None` as soon as a row is anything else.
fn parse_regular_chunk(chunk: &[u8], layout: Layout, width: usize) -> Option<Piece> {
    let mut masks = RowMasks::default();
    let expected = expected_nonzeros(chunk, layout, &mut masks);
    let mut piece = Piece {
        cells: Cells {
            col: Vec::with_capacity(expected),
            val: Vec::with_capacity(expected),
        },
        ..Piece::default()
    };
    let numbers = width.saturating_sub(layout.label_cols);
    let mut start = 0;
    while start < chunk.len() {
        let end = memchr::memchr(b'\n', &chunk[start..]).map_or(chunk.len(), |k| start + k);
        let line = &chunk[start..end];
        piece.newlines += 1;
        start = end + 1;
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            continue;
        }
        let mut at = 0;
        for _ in 0..layout.label_cols {
            let end = memchr::memchr(layout.delimiter, &line[at..]).map_or(line.len(), |k| at + k);
            piece
                .labels
                .push(std::str::from_utf8(&line[at..end]).ok()?.trim().to_string());
            at = end + 1;
        }
        if at > line.len() || numbers == 0 {
            return None;
        }
        parse_number_fields(
            &line[at..],
            layout.delimiter,
            numbers,
            &mut masks,
            &mut piece.cells.col,
            &mut piece.cells.val,
        )?;
        piece.lines.push(piece.newlines);
        piece.row_end.push(piece.cells.col.len());
    }
    Some(piece)
}

/// Bit masks of one row's number cells, a bit per byte, 64 bytes per word: where the
/// delimiters are and where a `0` is. Reused from row to row.
#[derive(Default)]
struct RowMasks {
    len: usize,
    delimiter: Vec<u64>,
    zero: Vec<u64>,
}

/// Bit `i` is set where byte `i` of `word` (little-endian) equals `byte`.
#[inline]
fn byte_mask(word: u64, byte: u8) -> u64 {
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    let t = word ^ (u64::from(byte) * 0x0101_0101_0101_0101);
    // The high bit of each byte of `nonzero` is set where that byte of `t` is not 0 (exact:
    // adding 0x7f to the low seven bits never carries into the next byte).
    let nonzero = ((t & LOW7) + LOW7) | t;
    let equal = (!nonzero & 0x8080_8080_8080_8080) >> 7;
    // Gathers bit 8k into bit 56 + k; the partial products never overlap, so nothing carries.
    equal.wrapping_mul(0x0102_0408_1020_4080) >> 56
}

/// Where the cells of one word of a row start, and which of those are exactly `0`.
struct WordCells {
    /// Delimiters in this word.
    delimiters: u64,
    /// Cells starting in this word that are not exactly `0`.
    others: u64,
}

impl RowMasks {
    /// Masks the cells of a row. One bit more than there are bytes: a delimiter is put at
    /// `cells.len()` to end the last cell.
    fn compute(&mut self, cells: &[u8], delimiter: u8) {
        let len = cells.len();
        let words = len / 64 + 1;
        self.len = len;
        self.delimiter.clear();
        self.zero.clear();
        for block in 0..words {
            let (mut delimiters, mut zeros) = (0u64, 0u64);
            for lane in 0..8 {
                let from = block * 64 + lane * 8;
                let word = match cells.get(from..from + 8) {
                    Some(bytes) => u64::from_le_bytes(bytes.try_into().expect("8 bytes")),
                    None => {
                        // The end of the row, padded with a byte that is neither a delimiter
                        // nor a `0` (and not text).
                        let mut bytes = [0xff; 8];
                        let tail = cells.get(from..).unwrap_or_default();
                        bytes[..tail.len()].copy_from_slice(tail);
                        u64::from_le_bytes(bytes)
                    }
                };
                delimiters |= byte_mask(word, delimiter) << (lane * 8);
                zeros |= byte_mask(word, b'0') << (lane * 8);
            }
            self.delimiter.push(delimiters);
            self.zero.push(zeros);
        }
        self.delimiter[len / 64] |= 1 << (len % 64);
    }

    /// The cells of the masked row, word by word.
    fn words(&self) -> impl Iterator<Item = WordCells> + '_ {
        let words = self.delimiter.len();
        let mut starts_cell = true;
        (0..words).map(move |w| {
            let delimiters = self.delimiter[w];
            let next = self.delimiter.get(w + 1).map_or(0, |d| d & 1);
            let starts = (delimiters << 1) | u64::from(starts_cell);
            let before_delimiter = (delimiters >> 1) | (next << 63);
            let zero_cells = self.zero[w] & starts & before_delimiter;
            // No cell starts after the delimiter put at the end.
            let in_row = if w + 1 == words {
                u64::MAX >> (63 - self.len % 64)
            } else {
                u64::MAX
            };
            starts_cell = delimiters >> 63 == 1;
            WordCells {
                delimiters,
                others: starts & !zero_cells & in_row,
            }
        })
    }
}

/// Parses the number cells of one row (`width` of them) and appends its non-zeros to `col` and
/// `val`. `None` for a cell that is empty or not a number, or a row with more or fewer cells.
///
/// Flow tables are mostly zeros (80 % of WIOD's `Z.csv`): the row is first turned into bit
/// masks of delimiters and `0` bytes, 64 bytes at a time, and a cell that is exactly `0` is
/// recognised from the masks alone. Only the other cells are read, plain integers while they
/// are scanned and anything else through [`parse_number`]; a cell that reads as 0 (`0.0`,
/// `00`) is dropped like the rest.
fn parse_number_fields(
    cells: &[u8],
    delimiter: u8,
    width: usize,
    masks: &mut RowMasks,
    col: &mut Vec<u32>,
    val: &mut Vec<f64>,
) -> Option<()> {
    let len = cells.len();
    masks.compute(cells, delimiter);
    let mut cells_before = 0;
    for (w, word) in masks.words().enumerate() {
        let mut others = word.others;
        while others != 0 {
            let bit = others.trailing_zeros();
            others &= others - 1;
            let start = w * 64 + bit as usize;
            let column =
                cells_before + (word.delimiters & ((1u64 << bit) - 1)).count_ones() as usize;
            let mut at = start;
            let mut n: u64 = 0;
            while let Some(&b) = cells.get(at) {
                let digit = b.wrapping_sub(b'0');
                if digit > 9 {
                    break;
                }
                n = n.wrapping_mul(10).wrapping_add(u64::from(digit));
                at += 1;
            }
            let plain_end = at == len || cells[at] == delimiter;
            let v = if plain_end && at > start && at - start <= 15 {
                n as f64
            } else {
                let end = memchr::memchr(delimiter, &cells[at..]).map_or(len, |k| at + k);
                parse_number(&cells[start..end]).ok()??
            };
            if v != 0.0 {
                col.push(u32::try_from(column).ok()?);
                val.push(v);
            }
        }
        cells_before += word.delimiters.count_ones() as usize;
    }
    (cells_before == width).then_some(())
}

/// How many non-zero cells `chunk` is likely to hold, from the cells that are not exactly `0`
/// in up to 16 rows spread through it, with a margin of a quarter.
///
/// The vectors of a chunk are reserved at this size rather than at the most the chunk could
/// hold (a cell in every two bytes): untouched capacity still cost fresh memory where the
/// kernel backs it with 2 MiB pages, as much as 9 MB for WIOD. A wrong guess only lets a
/// vector grow.
fn expected_nonzeros(chunk: &[u8], layout: Layout, masks: &mut RowMasks) -> usize {
    const SAMPLES: usize = 16;
    let (mut bytes, mut nonzeros) = (0, 0);
    for k in 0..SAMPLES {
        let from = chunk.len() * k / SAMPLES;
        let from = if k == 0 {
            0
        } else {
            match memchr::memchr(b'\n', &chunk[from..]) {
                Some(i) => from + i + 1,
                None => break,
            }
        };
        let end = memchr::memchr(b'\n', &chunk[from..]).map_or(chunk.len(), |i| from + i);
        let line = &chunk[from..end];
        let mut at = 0;
        for _ in 0..layout.label_cols {
            at = memchr::memchr(layout.delimiter, &line[at..]).map_or(line.len(), |i| at + i + 1);
        }
        if at >= line.len() {
            continue;
        }
        masks.compute(&line[at..], layout.delimiter);
        bytes += line.len() + 1;
        nonzeros += masks
            .words()
            .map(|w| w.others.count_ones() as usize)
            .sum::<usize>();
    }
    let most = chunk.len() / 2 + 1;
    if bytes == 0 {
        return most;
    }
    let expected = (nonzeros as f64 / bytes as f64 * chunk.len() as f64 * 1.25) as usize + 64;
    expected.min(most)
}

/// Turns records into a [`Table`], collecting problems.
struct Builder<'a> {
    layout: Layout,
    problems: FileProblems<'a>,
    headers: Vec<Vec<String>>,
    width: usize,
    skipped_names: bool,
    table: Table,
}

impl Builder<'_> {
    /// Whether every header is read and the next non-empty line is a data row (after a
    /// multi-row header, pymrio's index-name row may come first).
    fn expects_plain_data(&self) -> bool {
        self.headers.len() == self.layout.header_rows
            && (self.layout.header_rows == 1 || self.skipped_names || !self.table.lines.is_empty())
    }

    /// Handles one record; `false` when the file cannot be read on (a bad header).
    fn record(&mut self, line: usize, record: &[&[u8]]) -> bool {
        let layout = self.layout;
        let width = self.width;
        if self.headers.len() < layout.header_rows {
            if record.len() <= layout.label_cols {
                self.problems.error(
                    line,
                    None,
                    format!(
                        "the header row has {} fields; expected {} label column(s) and then one label per data column",
                        record.len(),
                        layout.label_cols
                    ),
                    "the first row must hold the column labels",
                );
                return false;
            }
            if self.headers.is_empty() {
                self.width = record.len();
            }
            let width = self.width;
            let labels: Vec<String> = (layout.label_cols..width)
                .map(|k| {
                    record.get(k).map_or(String::new(), |f| {
                        label_text(f, line, k + 1, &mut self.problems)
                    })
                })
                .collect();
            if record.len() != width {
                self.problems.error(
                    line,
                    None,
                    format!(
                        "header row {} has {} fields, the first has {width}",
                        self.headers.len() + 1,
                        record.len()
                    ),
                    "every header row must have one label per column",
                );
            }
            self.headers.push(labels);
            return true;
        }
        // pymrio writes a row of index names after a multi-row header: labels, then empty
        // cells. It is not data.
        if layout.header_rows > 1
            && self.table.lines.is_empty()
            && !self.skipped_names
            && record
                .iter()
                .skip(layout.label_cols)
                .all(|f| f.trim_ascii().is_empty())
        {
            self.skipped_names = true;
            return true;
        }
        if record.len() != width {
            self.problems.error(
                line,
                Some(record.len().min(width) + 1),
                format!("this row has {} fields, the header has {width}", record.len()),
                "a row has a missing or extra cell (a stray comma or an unquoted label with a comma?)",
            );
        }
        for k in 0..layout.label_cols {
            let text = record.get(k).map_or(String::new(), |f| {
                label_text(f, line, k + 1, &mut self.problems)
            });
            self.table.labels.push(text);
        }
        let end = record.len().min(width);
        // The one-by-one reader appends to the last segment.
        let segment = self.table.segments.len() - 1;
        let cells = &mut self.table.segments[segment];
        let start = cells.col.len();
        for j in layout.label_cols..end {
            let field = record[j];
            match parse_number(field) {
                Ok(Some(v)) => {
                    if v != 0.0 {
                        cells.col.push((j - layout.label_cols) as u32);
                        cells.val.push(v);
                    }
                }
                Ok(None) => self.problems.missing(line, j + 1),
                Err(()) => self.problems.error(
                    line,
                    Some(j + 1),
                    format!(
                        "`{}` is not a number",
                        String::from_utf8_lossy(field).trim()
                    ),
                    "write numbers with a `.` decimal point and no thousands separators",
                ),
            }
        }
        let end = cells.col.len();
        self.table.lines.push(line);
        self.table.rows.push(RowCells {
            segment,
            start,
            end,
        });
        true
    }

    fn finish(mut self) -> Option<Table> {
        if self.headers.len() < self.layout.header_rows {
            self.problems.error(
                1,
                None,
                "the file is empty: no header row".into(),
                "the first row must hold the column labels",
            );
            self.problems.finish();
            return None;
        }
        self.problems.finish();
        self.table.ncols = self.width - self.layout.label_cols;
        self.table.headers = self.headers;
        Some(self.table)
    }
}

/// Records of a text file: the line of each and its fields.
pub(crate) type Records = Vec<(usize, Vec<String>)>;

/// Reads a small text file of records (labels, mappings, code lists): every field as text,
/// with the line of each record. Problems go to `report`; `Ok(None)` when the file is missing.
pub(crate) fn read_rows(
    path: &Path,
    delimiter: u8,
    what: &str,
    report: &mut Diagnostics,
) -> Result<Option<Records>, ImportError> {
    let Some(bytes) = read_bytes(path, what, report)? else {
        return Ok(None);
    };
    let Some(bytes) = strip_bom(&bytes, path, report) else {
        return Ok(None);
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(bytes);
    let mut problems = FileProblems::new(report, path);
    let mut rows = Vec::new();
    let mut record = csv::ByteRecord::new();
    let mut lines = LineCounter::new(bytes);
    while let Some(line) = next_record(&mut reader, &mut record, &mut lines, &mut problems) {
        let fields = record
            .iter()
            .enumerate()
            .map(|(k, f)| label_text(f, line, k + 1, &mut problems))
            .collect();
        rows.push((line, fields));
    }
    problems.finish();
    Ok(Some(rows))
}

/// Reads the next CSV record and returns its line, or `None` at the end of the file or at a
/// record the CSV reader cannot read (reported).
/// Line numbers from byte offsets. The `csv` crate's own line count goes wrong after `\r\n`
/// line ends next to blank lines, so lines are counted here, moving forward through the text.
struct LineCounter<'b> {
    bytes: &'b [u8],
    at: usize,
    line: usize,
}

impl<'b> LineCounter<'b> {
    fn new(bytes: &'b [u8]) -> Self {
        LineCounter {
            bytes,
            at: 0,
            line: 1,
        }
    }

    /// The 1-based line of the record that starts at byte `offset` (offsets must not go
    /// backwards). The crate may give the offset of the line break before the record (the
    /// `\n` of a `\r\n`, or blank lines it skipped): a record never starts with one.
    fn line_at(&mut self, offset: usize) -> usize {
        let mut offset = offset.min(self.bytes.len());
        while matches!(self.bytes.get(offset), Some(b'\r' | b'\n')) {
            offset += 1;
        }
        if offset > self.at {
            self.line += memchr::memchr_iter(b'\n', &self.bytes[self.at..offset]).count();
            self.at = offset;
        }
        self.line
    }
}

fn next_record(
    reader: &mut csv::Reader<&[u8]>,
    record: &mut csv::ByteRecord,
    lines: &mut LineCounter,
    problems: &mut FileProblems<'_>,
) -> Option<usize> {
    match reader.read_byte_record(record) {
        Ok(true) => Some(
            record
                .position()
                .map_or(0, |p| lines.line_at(p.byte() as usize)),
        ),
        Ok(false) => None,
        Err(e) => {
            let line = e.position().map_or(0, |p| lines.line_at(p.byte() as usize));
            problems.error(
                line,
                None,
                format!("the file cannot be read as CSV here: {e}"),
                "check for an unbalanced quote `\"` on this line or the lines before",
            );
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Guards the mask-based row reader: zero cells on both sides of every 64-byte boundary,
    /// cells that read as 0 without being `0`, and rows with empty, missing or extra cells.
    #[test]
    fn row_masks_find_every_non_zero_cell() {
        let read = |text: &str, width: usize| {
            let (mut col, mut val) = (Vec::new(), Vec::new());
            let mut masks = RowMasks::default();
            parse_number_fields(text.as_bytes(), b',', width, &mut masks, &mut col, &mut val)
                .map(|()| col.into_iter().zip(val).collect::<Vec<_>>())
        };
        for cells in [1, 2, 31, 32, 33, 63, 64, 65, 127, 128, 200] {
            for pattern in 0..4 {
                let values: Vec<String> = (0..cells)
                    .map(|j| match (j * 7 + pattern) % 4 {
                        0 => "0".to_string(),
                        1 => format!("{}", j * 13 + 1),
                        2 => "0.0".to_string(),
                        _ => format!("{}.5", j),
                    })
                    .collect();
                let text = values.join(",");
                let expected: Vec<(u32, f64)> = values
                    .iter()
                    .enumerate()
                    .map(|(j, v)| (j as u32, v.parse::<f64>().unwrap()))
                    .filter(|(_, v)| *v != 0.0)
                    .collect();
                assert_eq!(read(&text, cells), Some(expected), "{text}");
                assert_eq!(read(&text, cells + 1), None, "a missing cell: {text}");
                assert_eq!(read(&format!("{text},0"), cells), None, "an extra cell");
                assert_eq!(
                    read(&format!("{text},"), cells + 1),
                    None,
                    "an empty last cell"
                );
            }
        }
        assert_eq!(read("0,,0", 3), None, "an empty cell");
        assert_eq!(read("0,x,0", 3), None, "text");
        assert_eq!(read("00,-0,0", 3), Some(vec![]));
        assert_eq!(read("", 1), None);
    }

    #[test]
    fn numbers_parse_exactly_and_reject_text() {
        assert_eq!(parse_number(b"0"), Ok(Some(0.0)));
        assert_eq!(parse_number(b" -12 "), Ok(Some(-12.0)));
        assert_eq!(
            parse_number(b"4.13456727727688e-05"),
            Ok(Some(4.13456727727688e-05))
        );
        assert_eq!(
            parse_number(b"0.0983145911411633"),
            Ok(Some(0.0983145911411633))
        );
        assert_eq!(parse_number(b""), Ok(None));
        assert_eq!(parse_number(b"NA"), Ok(None));
        assert_eq!(parse_number(b"abc"), Err(()));
        assert_eq!(parse_number(b"inf"), Err(()));
        assert_eq!(parse_number(b"1,5"), Err(()));
        assert_eq!(parse_number(&[0xff, b'1']), Err(()));
    }

    #[test]
    fn tables_keep_nonzeros_and_report_every_problem() {
        let text = b"row,a,b,c\nx,1,0,2\ny,abc,3\nz,,4,oops\n";
        let mut report = Diagnostics::new();
        let t = parse_table(text, Path::new("t.csv"), Layout::CSV, &mut report).unwrap();
        assert_eq!(t.nrows(), 3);
        assert_eq!(t.ncols, 3);
        assert_eq!(t.row(0), (&[0u32, 2][..], &[1.0, 2.0][..]));
        assert_eq!(t.row_label(2), "z");
        assert_eq!(t.col_label(1), "b");
        let errors: Vec<String> = report.iter().map(|d| d.to_string()).collect();
        assert!(
            errors
                .iter()
                .any(|e| e.contains("t.csv:3:2") && e.contains("`abc` is not a number"))
        );
        assert!(
            errors
                .iter()
                .any(|e| e.contains("t.csv:3") && e.contains("3 fields"))
        );
        assert!(
            errors
                .iter()
                .any(|e| e.contains("t.csv:4:4") && e.contains("`oops`"))
        );
        assert!(
            errors
                .iter()
                .any(|e| e.starts_with("warning") && e.contains("1 empty"))
        );
    }

    #[test]
    fn rows_with_extra_cells_are_reported_not_truncated() {
        // Guards the branch-free row parser: it must notice a cell beyond the header's width
        // rather than stop at the width, and keep zeros out of the table wherever they stand.
        let text = b"row,a,b,c\nx,0,2.5,0\ny,1,2,3,4\nz,0,0,7e-1\n";
        let mut report = Diagnostics::new();
        let t = parse_table(text, Path::new("t.csv"), Layout::CSV, &mut report).unwrap();
        assert_eq!(t.row(0), (&[1u32][..], &[2.5][..]));
        assert_eq!(t.row(2), (&[2u32][..], &[0.7][..]));
        let errors: Vec<String> = report.iter().map(|d| d.to_string()).collect();
        assert!(
            errors
                .iter()
                .any(|e| e.contains("t.csv:3") && e.contains("5 fields")),
            "{errors:?}"
        );
    }

    #[test]
    fn quoted_and_plain_text_give_the_same_table() {
        let plain = b"row,a,b\nx,1,2\ny,3\nz,0,oops\n";
        let quoted = b"row,\"a\",b\nx,1,2\ny,3\nz,0,oops\n";
        let (mut r1, mut r2) = (Diagnostics::new(), Diagnostics::new());
        let t1 = parse_table(plain, Path::new("t.csv"), Layout::CSV, &mut r1).unwrap();
        let t2 = parse_table(quoted, Path::new("t.csv"), Layout::CSV, &mut r2).unwrap();
        assert_eq!((&t1.headers, &t1.lines), (&t2.headers, &t2.lines));
        assert_eq!(all_rows(&t1), all_rows(&t2));
        assert_eq!(r1, r2);
        assert_eq!(t1.lines, vec![2, 3, 4]);
        let crlf = parse_table(
            b"row,a\r\nx,1\r\n",
            Path::new("t.csv"),
            Layout::CSV,
            &mut r1,
        )
        .unwrap();
        assert_eq!((crlf.row_label(0), crlf.get(0, 0)), ("x", 1.0));
    }

    /// Every row's non-zeros, however the table stores them.
    fn all_rows(table: &Table) -> Vec<(Vec<u32>, Vec<f64>)> {
        (0..table.nrows())
            .map(|i| (table.row(i).0.to_vec(), table.row(i).1.to_vec()))
            .collect()
    }

    /// A table of more than [`PARALLEL_BYTES`], so the plain reader parses it in chunks.
    fn large_table(rows: usize, cols: usize) -> String {
        let mut text = String::from("row");
        for j in 0..cols {
            text.push_str(&format!(",c{j}"));
        }
        text.push('\n');
        for i in 0..rows {
            text.push_str(&format!("r{i}"));
            for j in 0..cols {
                let v = if (i * 7 + j * 3) % 5 == 0 {
                    0.0
                } else {
                    (i * cols + j) as f64 * 0.37 + 0.001
                };
                text.push_str(&format!(",{v}"));
            }
            text.push_str(if i % 3 == 0 { "\r\n" } else { "\n" });
            if i % 97 == 0 {
                text.push('\n');
            }
        }
        assert!(text.len() > PARALLEL_BYTES);
        text
    }

    /// Guards the chunked parallel reader: it must give the table, line numbers and problems
    /// of the one-by-one reader (the quoted path), for regular tables and for broken ones.
    #[test]
    fn parallel_chunks_read_large_tables_like_the_record_reader() {
        let regular = large_table(600, 300);
        let mut ragged = regular.clone();
        let at = ragged.len() * 2 / 3;
        let line_end = at + ragged[at..].find('\n').unwrap();
        ragged.insert_str(line_end, ",9,oops");
        for text in [regular, ragged] {
            let quoted = text.replacen("row", "\"row\"", 1);
            let (mut r1, mut r2) = (Diagnostics::new(), Diagnostics::new());
            let path = Path::new("big.csv");
            let t1 = parse_table(text.as_bytes(), path, Layout::CSV, &mut r1).unwrap();
            let t2 = parse_table(quoted.as_bytes(), path, Layout::CSV, &mut r2).unwrap();
            assert_eq!(t1.nrows(), 600);
            assert_eq!((&t1.labels, &t1.lines), (&t2.labels, &t2.lines));
            assert_eq!(all_rows(&t1), all_rows(&t2));
            assert_eq!(r1, r2);
        }
    }

    #[test]
    fn multi_row_headers_skip_the_index_name_row() {
        let text =
            b"region\t\tr1\tr1\nsector\t\ta\tb\nregion\tsector\t\t\nr1\ta\t1\t2\nr1\tb\t0\t3\n";
        let layout = Layout {
            delimiter: b'\t',
            header_rows: 2,
            label_cols: 2,
        };
        let mut report = Diagnostics::new();
        let t = parse_table(text, Path::new("Z.txt"), layout, &mut report).unwrap();
        assert!(report.is_empty(), "{report}");
        assert_eq!(t.nrows(), 2);
        assert_eq!(t.headers[0], vec!["r1", "r1"]);
        assert_eq!((t.label(1, 0), t.label(1, 1)), ("r1", "b"));
        assert_eq!(t.get(1, 1), 3.0);
    }

    #[test]
    fn non_utf8_labels_and_utf16_files_are_errors() {
        let mut report = Diagnostics::new();
        parse_table(
            b"row,a\n\xe9t\xe9,1\n",
            Path::new("l.csv"),
            Layout::CSV,
            &mut report,
        )
        .unwrap();
        assert!(
            report
                .to_string()
                .contains("l.csv:2:1: this label is not valid UTF-8")
        );
        let mut report = Diagnostics::new();
        assert!(
            parse_table(
                b"\xff\xfer\x00",
                Path::new("u.csv"),
                Layout::CSV,
                &mut report
            )
            .is_none()
        );
        assert!(report.to_string().contains("UTF-16"));
    }
}
