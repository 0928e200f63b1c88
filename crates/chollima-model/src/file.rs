//! The bytes of a file to parse: mapped into memory when the file is large, read otherwise.
//!
//! A table of megabytes read with `fs::read` is copied from the page cache into fresh memory,
//! and a one-shot process pays for every fresh page (the kernel zeroes it first): reading WIOD's
//! 4.3 MB `Z.csv` so was a tenth of `import --analyze`. A mapping shares the page cache's own
//! pages instead.

use std::fs::File;
use std::io;
use std::ops::Deref;
use std::path::Path;

/// Files at least this large are mapped; smaller ones are read (a mapping costs a few system
/// calls of its own). Mapping WIOD's 638 KB `Y.csv` too saved 0.6 ms (`bench/ab_wiod.py`).
const MAP_BYTES: u64 = 1 << 16;

/// A file's bytes, from `start` on (after a byte-order mark the reader skipped).
#[derive(Debug)]
pub struct FileBytes {
    data: Data,
    start: usize,
}

#[derive(Debug)]
enum Data {
    Mapped(memmap2::Mmap),
    Read(Vec<u8>),
}

impl FileBytes {
    /// Reads (or maps) the whole file at `path`.
    pub fn read(path: &Path) -> io::Result<FileBytes> {
        let file = File::open(path)?;
        let metadata = file.metadata()?;
        if metadata.is_dir() {
            return Err(io::Error::new(io::ErrorKind::IsADirectory, "is a folder"));
        }
        let data = if metadata.len() >= MAP_BYTES {
            // SAFETY: the mapping is read-only and private. Its contents could change only if
            // another process wrote the file while we parse it; the parsers check every byte,
            // so such a race gives a wrong or refused table, not a broken invariant of ours.
            // (A file truncated meanwhile would end the process with SIGBUS, as in ripgrep,
            // which maps files the same way.)
            #[allow(unsafe_code)]
            let map = unsafe { memmap2::MmapOptions::new().populate().map(&file)? };
            Data::Mapped(map)
        } else {
            let mut bytes = Vec::with_capacity(metadata.len() as usize);
            io::Read::read_to_end(&mut &file, &mut bytes)?;
            Data::Read(bytes)
        };
        Ok(FileBytes { data, start: 0 })
    }

    /// Bytes already in memory (tests, generated text).
    pub fn from_vec(bytes: Vec<u8>) -> FileBytes {
        FileBytes {
            data: Data::Read(bytes),
            start: 0,
        }
    }

    /// Drops the first `n` bytes (a byte-order mark).
    pub fn skip(&mut self, n: usize) {
        self.start = (self.start + n).min(self.all().len());
    }

    fn all(&self) -> &[u8] {
        match &self.data {
            Data::Mapped(map) => map,
            Data::Read(bytes) => bytes,
        }
    }
}

impl Deref for FileBytes {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        &self.all()[self.start..]
    }
}

impl AsRef<[u8]> for FileBytes {
    fn as_ref(&self) -> &[u8] {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn large_files_are_mapped_and_read_like_small_ones() {
        let dir = std::env::temp_dir().join(format!("chollima-file-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let small = dir.join("small.csv");
        let large = dir.join("large.csv");
        std::fs::write(&small, b"\xEF\xBB\xBFa,b\n1,2\n").unwrap();
        let text: Vec<u8> = (0..MAP_BYTES as usize + 10)
            .map(|i| b'0' + (i % 10) as u8)
            .collect();
        std::fs::write(&large, &text).unwrap();
        let mut bytes = FileBytes::read(&small).unwrap();
        bytes.skip(3);
        assert_eq!(&*bytes, b"a,b\n1,2\n");
        let mapped = FileBytes::read(&large).unwrap();
        assert!(matches!(mapped.data, Data::Mapped(_)));
        assert_eq!(&*mapped, &text[..]);
        assert_eq!(
            FileBytes::read(&dir).unwrap_err().kind(),
            io::ErrorKind::IsADirectory
        );
        assert_eq!(
            FileBytes::read(&dir.join("missing")).unwrap_err().kind(),
            io::ErrorKind::NotFound
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
