//! Framing: splitting a decompressed object into records, streaming.
//!
//! Records are handed to a callback as byte slices into a reusable buffer,
//! with their byte offset in the decompressed stream (`log.offset`), so the
//! object is never held whole in memory and no record is copied.

use std::borrow::Cow;
use std::io::{self, Read};

/// How an object is split into records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Framing {
    /// One record per line (`\n` or `\r\n`); empty lines are skipped.
    Lines,
    /// A JSON object whose array member `field` holds the records
    /// (`{"Records":[…]}`); a file of one JSON object per line is accepted too.
    JsonRecords {
        /// Name of the array member that holds the records.
        field: Cow<'static, str>,
    },
    /// A JSON array of records.
    JsonArray,
    /// One JSON value per line.
    Ndjson,
    /// JSON values back to back, with or without whitespace between them.
    ConcatenatedJson,
    /// A JSON array, or else JSON values one after another (NDJSON,
    /// concatenated), decided by the first byte of the object.
    JsonAuto,
}

/// One record of an object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Record<'a> {
    /// Byte offset of the record's first byte in the decompressed object.
    pub offset: u64,
    /// The record, without its line terminator.
    pub bytes: &'a [u8],
    /// Set when the bytes are not a complete record (a truncated last JSON
    /// value, a record over the size limit): the caller turns it into an
    /// error event.
    pub malformed: Option<&'static str>,
}

/// Longest record accepted; longer ones are reported malformed and skipped.
pub const MAX_RECORD_BYTES: usize = 64 * 1024 * 1024;

const CHUNK: usize = 256 * 1024;
const BOM: &[u8] = b"\xEF\xBB\xBF";

impl Framing {
    /// Reads `reader` to the end and calls `f` with every record, in order.
    ///
    /// Errors from `reader` and from `f` end the walk and are returned.
    pub fn for_each_record<R, E, F>(&self, reader: R, f: F) -> Result<(), E>
    where
        R: Read,
        E: From<io::Error>,
        F: FnMut(Record<'_>) -> Result<(), E>,
    {
        match self {
            Framing::Lines => for_each_line(reader, f),
            _ => crate::framing::json::for_each_value(self, reader, f),
        }
    }
}

/// A growable window over a reader: bytes `[start, end)` of `buf` are
/// unconsumed, and `base` is the stream offset of `buf[0]`.
pub(crate) struct Window<R> {
    reader: R,
    pub(crate) buf: Vec<u8>,
    pub(crate) start: usize,
    pub(crate) end: usize,
    pub(crate) base: u64,
    pub(crate) eof: bool,
}

impl<R: Read> Window<R> {
    pub(crate) fn new(reader: R) -> Self {
        Window {
            reader,
            buf: vec![0; CHUNK],
            start: 0,
            end: 0,
            base: 0,
            eof: false,
        }
    }

    /// The unconsumed bytes.
    pub(crate) fn pending(&self) -> &[u8] {
        &self.buf[self.start..self.end]
    }

    /// Stream offset of the first unconsumed byte.
    pub(crate) fn offset(&self) -> u64 {
        self.base + self.start as u64
    }

    /// Reads more bytes, moving the unconsumed ones to the front and growing
    /// the buffer when it is full. Returns `false` at end of stream.
    pub(crate) fn fill(&mut self) -> io::Result<bool> {
        if self.eof {
            return Ok(false);
        }
        if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.base += self.start as u64;
            self.end -= self.start;
            self.start = 0;
        }
        if self.end == self.buf.len() {
            let grown = (self.buf.len() * 2).min(MAX_RECORD_BYTES + CHUNK);
            if grown == self.buf.len() {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "record over the size limit",
                ));
            }
            self.buf.resize(grown, 0);
        }
        loop {
            match self.reader.read(&mut self.buf[self.end..]) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(false);
                }
                Ok(n) => {
                    self.end += n;
                    return Ok(true);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
    }

    /// Skips a UTF-8 byte order mark at the very start of the stream.
    pub(crate) fn skip_bom(&mut self) -> io::Result<()> {
        while self.end < BOM.len() && self.fill()? {}
        if self.base == 0 && self.start == 0 && self.pending().starts_with(BOM) {
            self.start = BOM.len();
        }
        Ok(())
    }
}

fn for_each_line<R, E, F>(reader: R, mut f: F) -> Result<(), E>
where
    R: Read,
    E: From<io::Error>,
    F: FnMut(Record<'_>) -> Result<(), E>,
{
    let mut w = Window::new(reader);
    w.skip_bom()?;
    let mut oversized = false;
    loop {
        // Hand out every complete line in the window.
        while let Some(nl) = memchr::memchr(b'\n', w.pending()) {
            let offset = w.offset();
            let line = &w.buf[w.start..w.start + nl];
            w.start += nl + 1;
            if oversized {
                oversized = false;
                continue;
            }
            emit_line(offset, line, &mut f)?;
        }
        if w.end - w.start >= MAX_RECORD_BYTES && !oversized {
            let offset = w.offset();
            f(Record {
                offset,
                bytes: &w.buf[w.start..w.start + 1024],
                malformed: Some("record over the size limit"),
            })?;
            oversized = true;
        }
        if oversized {
            w.start = w.end;
        }
        if !w.fill()? {
            break;
        }
    }
    if !oversized && w.start < w.end {
        let offset = w.offset();
        emit_line(offset, &w.buf[w.start..w.end], &mut f)?;
    }
    Ok(())
}

fn emit_line<E, F>(offset: u64, line: &[u8], f: &mut F) -> Result<(), E>
where
    F: FnMut(Record<'_>) -> Result<(), E>,
{
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    if line.iter().all(u8::is_ascii_whitespace) {
        return Ok(());
    }
    f(Record {
        offset,
        bytes: line,
        malformed: None,
    })
}

pub(crate) mod json;

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(input: &[u8]) -> Vec<(u64, String)> {
        let mut out = Vec::new();
        Framing::Lines
            .for_each_record(input, |r| -> io::Result<()> {
                out.push((r.offset, String::from_utf8_lossy(r.bytes).into_owned()));
                Ok(())
            })
            .unwrap();
        out
    }

    #[test]
    fn splits_lines_with_offsets_skipping_blank_ones_and_crlf() {
        let got = lines(b"\xEF\xBB\xBFa b\r\n\n  \nc\nlast");
        assert_eq!(
            got,
            vec![(3, "a b".into()), (12, "c".into()), (14, "last".into())]
        );
    }

    #[test]
    fn lines_across_buffer_refills_keep_their_offsets() {
        let line = "x".repeat(1000);
        let input: String = (0..1000).map(|_| format!("{line}\n")).collect();
        let got = lines(input.as_bytes());
        assert_eq!(got.len(), 1000);
        assert!(got
            .iter()
            .enumerate()
            .all(|(i, (off, l))| *off == i as u64 * 1001 && *l == line));
    }
}
