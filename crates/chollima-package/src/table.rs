//! Reading the small CSV files of a package (products, techniques, targets) with exact locations.
//!
//! Every cell is checked where it is read, and every problem becomes a diagnostic with the file,
//! the line and the field's column; reading goes on past errors so one run reports them all.

use std::path::{Path, PathBuf};

use chollima_model::{Diagnostics, FileBytes, Location, Severity};

/// Most diagnostics kept per file; a large broken file gets a summary line for the rest.
pub(crate) const MAX_DIAGNOSTICS_PER_FILE: usize = 200;

/// Reads a whole file, reporting a missing or unreadable file. Strips a UTF-8 byte order mark.
pub(crate) fn read_bytes(
    path: &Path,
    required: bool,
    diags: &mut Diagnostics,
) -> Option<FileBytes> {
    // Large files are mapped, not copied into fresh memory (see `FileBytes`).
    let mut bytes = match FileBytes::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if required {
                diags.error(Location::file(path), "file not found").hint(
                    "every package needs economy.toml, products.csv, techniques.csv, inputs.csv \
                     and targets.csv (see FORMAT.md)",
                );
            }
            return None;
        }
        Err(e) => {
            diags.error(Location::file(path), format!("cannot read the file: {e}"));
            return None;
        }
    };
    if bytes.starts_with(&[0xEF, 0xBB, 0xBF]) {
        bytes.skip(3);
    }
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        diags
            .error(Location::line(path, 1), "the file is UTF-16, not UTF-8")
            .hint("save the file as UTF-8 (in a spreadsheet: CSV UTF-8)");
        return None;
    }
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        diags
            .error(Location::line(path, 1), "the file is empty")
            .hint("a CSV file needs at least a header row naming its columns");
        return None;
    }
    Some(bytes)
}

/// The header row: column names in order.
#[derive(Debug)]
pub(crate) struct Header {
    pub names: Vec<String>,
}

impl Header {
    pub fn find(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| n == name)
    }
}

/// A CSV file read into memory, ready to be walked row by row.
pub(crate) struct CsvFile {
    pub path: PathBuf,
    pub header: Header,
    reader: csv::Reader<std::io::Cursor<FileBytes>>,
}

/// Opens a CSV file and reads its header. Returns `None` (with diagnostics) when the file is
/// missing, empty, not UTF-8 in its header, or has a blank or repeated column name.
pub(crate) fn open(path: &Path, required: bool, diags: &mut Diagnostics) -> Option<CsvFile> {
    let bytes = read_bytes(path, required, diags)?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(std::io::Cursor::new(bytes));
    let mut record = csv::ByteRecord::new();
    match reader.read_byte_record(&mut record) {
        Ok(true) => {}
        Ok(false) => {
            diags.error(Location::line(path, 1), "the file is empty");
            return None;
        }
        Err(e) => {
            diags.error(Location::line(path, 1), format!("malformed CSV: {e}"));
            return None;
        }
    }
    let mut names = Vec::with_capacity(record.len());
    let mut ok = true;
    for (i, field) in record.iter().enumerate() {
        match std::str::from_utf8(field) {
            Ok(name) => {
                let name = name.trim();
                if name.is_empty() {
                    diags
                        .error(Location::at(path, 1, i + 1), "unnamed column in the header")
                        .hint("give every column a name, or delete the empty column");
                    ok = false;
                } else if names.iter().any(|n| n == name) {
                    diags.error(
                        Location::at(path, 1, i + 1),
                        format!("column `{name}` appears twice"),
                    );
                    ok = false;
                }
                names.push(name.to_owned());
            }
            Err(_) => {
                not_utf8(diags, path, 1, i + 1);
                return None;
            }
        }
    }
    ok.then(|| CsvFile {
        path: path.to_owned(),
        header: Header { names },
        reader,
    })
}

pub(crate) fn not_utf8(diags: &mut Diagnostics, path: &Path, line: usize, column: usize) {
    diags
        .error(Location::at(path, line, column), "text is not valid UTF-8")
        .hint("save the file as UTF-8 (in a spreadsheet: CSV UTF-8); other encodings are not read");
}

/// One data row, with what is needed to report problems in it.
pub(crate) struct Row<'a> {
    pub line: usize,
    record: &'a csv::ByteRecord,
    file: &'a CsvFile,
}

impl CsvFile {
    /// Requires a column, reporting its absence.
    pub fn require(&self, name: &str, diags: &mut Diagnostics) -> Option<usize> {
        let found = self.header.find(name);
        if found.is_none() {
            diags
                .error(
                    Location::line(&self.path, 1),
                    format!("required column `{name}` is missing"),
                )
                .hint(format!("the header has: {}", self.header.names.join(",")));
        }
        found
    }

    /// Calls `visit` for every data row whose field count matches the header; rows that do
    /// not match, and malformed CSV, are reported.
    pub fn rows(&mut self, diags: &mut Diagnostics, mut visit: impl FnMut(&Row, &mut Diagnostics)) {
        let mut record = csv::ByteRecord::new();
        let width = self.header.names.len();
        loop {
            let line = self.reader.position().line() as usize;
            match self.reader.read_byte_record(&mut record) {
                Ok(false) => break,
                Ok(true) => {}
                Err(e) => {
                    let line = e.position().map_or(line, |p| p.line() as usize);
                    diags.error(
                        Location::line(&self.path, line),
                        format!("malformed CSV: {e}"),
                    );
                    break;
                }
            }
            let line = record.position().map_or(line, |p| p.line() as usize);
            if record.len() == 1 && record[0].iter().all(u8::is_ascii_whitespace) {
                continue; // a blank line
            }
            if record.len() != width {
                diags
                    .error(
                        Location::at(&self.path, line, record.len().min(width) + 1),
                        format!("row has {} fields but the header has {width}", record.len()),
                    )
                    .hint(format!(
                        "every row needs one value per column: {}",
                        self.header.names.join(",")
                    ));
                continue;
            }
            let row = Row {
                line,
                record: &record,
                file: self,
            };
            visit(&row, diags);
        }
    }
}

impl Row<'_> {
    pub fn location(&self, column: usize) -> Location {
        Location::at(&self.file.path, self.line, column + 1)
    }

    /// The text of a cell, or `None` (reported) when it is not UTF-8.
    pub fn text(&self, column: usize, diags: &mut Diagnostics) -> Option<&str> {
        match std::str::from_utf8(&self.record[column]) {
            Ok(s) => Some(s),
            Err(_) => {
                not_utf8(diags, &self.file.path, self.line, column + 1);
                None
            }
        }
    }

    /// A required, non-empty id cell.
    pub fn id(&self, column: usize, diags: &mut Diagnostics) -> Option<&str> {
        let text = self.text(column, diags)?;
        if text.trim().is_empty() {
            let name = &self.file.header.names[column];
            diags.error(self.location(column), format!("empty `{name}`"));
            return None;
        }
        Some(text)
    }

    /// An optional number: `Ok(None)` for an empty cell, `Err(())` (reported) when the cell is
    /// not a finite number or breaks `min..=max`.
    pub fn number(
        &self,
        column: usize,
        min: f64,
        max: f64,
        diags: &mut Diagnostics,
    ) -> Result<Option<f64>, ()> {
        let Some(text) = self.text(column, diags) else {
            return Err(());
        };
        let name = &self.file.header.names[column];
        check_number(text, name, min, max).map_err(|(message, hint)| {
            diags.error(self.location(column), message).hint(hint);
        })
    }
}

/// Parses an optional number in `min..=max`; on failure, the message and a hint.
pub(crate) fn check_number(
    text: &str,
    name: &str,
    min: f64,
    max: f64,
) -> Result<Option<f64>, (String, String)> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Ok(None);
    }
    match trimmed.parse::<f64>() {
        Ok(v) if v.is_finite() && v >= min && v <= max => Ok(Some(v)),
        Ok(v) if v.is_finite() => Err((
            format!("`{name}` is {trimmed}, outside {}", range_text(min, max)),
            format!("`{name}` must lie in {}", range_text(min, max)),
        )),
        _ => Err((
            format!("`{name}` is `{trimmed}`, not a number"),
            "write numbers with a `.` decimal point and no thousands separator, e.g. 1234.5 or 1.5e-3"
                .to_owned(),
        )),
    }
}

fn range_text(min: f64, max: f64) -> String {
    match (min == f64::NEG_INFINITY, max == f64::INFINITY) {
        (true, true) => "any number".into(),
        (false, true) if min == 0.0 => "0 or more".into(),
        (false, true) => format!("{min} or more"),
        (true, false) => format!("{max} or less"),
        (false, false) => format!("{min}..{max}"),
    }
}

/// Keeps at most [`MAX_DIAGNOSTICS_PER_FILE`] of a file's diagnostics, summarising the rest.
pub(crate) fn cap(mut file_diags: Diagnostics, path: &Path, into: &mut Diagnostics) {
    let total = file_diags.len();
    if total <= MAX_DIAGNOSTICS_PER_FILE {
        into.extend(file_diags);
        return;
    }
    let errors = file_diags.count(Severity::Error);
    file_diags.sort();
    for d in file_diags.into_iter().take(MAX_DIAGNOSTICS_PER_FILE) {
        into.push(d);
    }
    let rest = total - MAX_DIAGNOSTICS_PER_FILE;
    let severity_note = if errors > MAX_DIAGNOSTICS_PER_FILE {
        "errors"
    } else {
        "problems"
    };
    let d = if errors > 0 {
        into.error(
            Location::file(path),
            format!("and {rest} more {severity_note} in this file"),
        )
    } else {
        into.warning(
            Location::file(path),
            format!("and {rest} more {severity_note} in this file"),
        )
    };
    d.hint("fix the ones above and validate again");
}
