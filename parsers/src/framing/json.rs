//! JSON framings: a streaming, byte-level splitter that hands out the raw
//! bytes of every JSON record without building a document tree.
//!
//! The splitter walks the [`Window`] with a tiny automaton that only tracks
//! nesting depth and whether it is inside a string, so a value's end is found
//! at memory speed and only the record being scanned is held in the buffer:
//! a 1 GB `{"Records":[…]}` object streams with a buffer the size of its
//! largest element.
//!
//! What counts as a record depends on the [`Framing`]:
//!
//! | framing | input | records |
//! |---|---|---|
//! | `JsonRecords { field }` | `{"Records":[…]}` (one or more, back to back) | the elements of the array member `field` of every top-level object; other members are skipped |
//! | | a top-level object without `field` (one object per line, or a CloudTrail digest file) | the object itself (the dataset's parser decides what it is) |
//! | `JsonArray` | `[…]` | the elements of every top-level array (other top-level values are records themselves) |
//! | `Ndjson` | one value per line | every value; a value still open at the end of its line is malformed |
//! | `ConcatenatedJson` | values back to back (`{…}{…}`), with or without whitespace | every top-level value |
//! | `JsonAuto` | `[` first → like `JsonArray`, otherwise like `ConcatenatedJson` | |
//!
//! In every framing, a line whose first non-blank byte is not `{` or `[`
//! (between top-level values) is one record, whole: a text line of a
//! CloudWatch Logs export, a scalar per line, or garbage for the parser to
//! report with the line as its original text.
//!
//! Robustness: a UTF-8 BOM, CRLF, blank lines and any JSON whitespace are
//! skipped; strings may hold escaped quotes and brackets. A value cut off by
//! the end of the input is handed out, after all the good records, as a
//! [`Record`] with `malformed` set. Bytes after a value on the same line that
//! cannot start another become a malformed record and the walk resynchronizes
//! at the next `{`, `[`, line or (inside an array) element separator. A
//! record over the size limit is reported by its first 1 KiB and skipped
//! without being held. Every step consumes input, so the walk always ends,
//! and nothing here indexes past the buffer.
//!
//! The splitter does not validate JSON: `{"a" 1}` is a record, which the
//! dataset's parser then rejects with a clear message.

use std::io::{self, Read};
use std::marker::PhantomData;

use super::{Framing, Record, Window, MAX_RECORD_BYTES};

/// Reason for a value cut off by the end of the input.
pub(crate) const TRUNCATED: &str = "truncated JSON value at end of input";
/// Reason for a value still open at the end of its line (NDJSON).
pub(crate) const UNTERMINATED: &str = "JSON value not terminated at end of line";
/// Reason for bytes that cannot start a JSON value.
pub(crate) const GARBAGE: &str = "unexpected data between JSON values";
/// Reason for a record longer than the size limit.
pub(crate) const OVERSIZED: &str = "record over the size limit";

/// How many bytes of an oversized record or of a garbage run are handed out.
const SHOWN: usize = 1024;

/// Walks `reader` with a JSON `framing` and calls `f` with every record.
pub(crate) fn for_each_value<R, E, F>(framing: &Framing, reader: R, f: F) -> Result<(), E>
where
    R: Read,
    E: From<io::Error>,
    F: FnMut(Record<'_>) -> Result<(), E>,
{
    split(framing, reader, MAX_RECORD_BYTES, f).map(|_| ())
}

/// What a walk observed, for tests of memory use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Stats {
    /// Largest size the window's buffer reached.
    pub(crate) peak_buffer: usize,
}

/// [`for_each_value`] with an explicit record size limit (tests use small ones).
pub(crate) fn split<R, E, F>(framing: &Framing, reader: R, limit: usize, f: F) -> Result<Stats, E>
where
    R: Read,
    E: From<io::Error>,
    F: FnMut(Record<'_>) -> Result<(), E>,
{
    let mut w = Window::new(reader);
    w.skip_bom()?;
    let keep = w.offset();
    let mut s = Splitter {
        peak: w.buf.len(),
        w,
        f,
        limit: limit.max(1),
        shown: SHOWN.min(limit.max(1)),
        line_mode: matches!(framing, Framing::Ndjson),
        keep,
        _e: PhantomData,
    };
    let mode = match framing {
        Framing::JsonRecords { field } => Mode::Records(field.as_bytes()),
        Framing::JsonArray => Mode::Array,
        Framing::JsonAuto => Mode::Auto,
        Framing::Ndjson | Framing::ConcatenatedJson | Framing::Lines => Mode::Values,
    };
    s.run(mode)?;
    Ok(Stats {
        peak_buffer: s.peak,
    })
}

/// What the top level of the input holds.
#[derive(Clone, Copy)]
enum Mode<'m> {
    /// Every top-level value is a record.
    Values,
    /// Top-level arrays are unpacked.
    Array,
    /// Top-level objects holding the array member are unpacked.
    Records(&'m [u8]),
    /// `Array` if the first byte is `[`, else `Values`.
    Auto,
}

/// Whether the byte at a position could be read.
enum Avail {
    /// It is in the buffer.
    Yes,
    /// The input ended before it.
    Eof,
    /// Reading it would hold more than the size limit in the buffer.
    Full,
}

/// How a scan for the end of a value stopped.
enum Scanned {
    /// The value ends just before this offset.
    Done(u64),
    /// The input ended first.
    Eof,
    /// The value grew over the size limit (only when buffering).
    Full,
    /// A line ended (outside a string, or inside one) at this offset (line mode only).
    Newline(u64),
}

/// The scanning automaton: nesting depth and string state, resumable across
/// buffer refills.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Scan {
    depth: u32,
    in_str: bool,
    esc: bool,
    scalar: bool,
}

/// Result of running the automaton over one chunk.
#[derive(Debug, PartialEq, Eq)]
enum Step {
    /// The value ends after this many bytes of the chunk.
    Done(usize),
    /// A line ends at this index of the chunk (line mode).
    Newline(usize),
    /// The chunk was consumed and the value continues.
    More,
}

impl Scan {
    /// The automaton for a value whose first byte is `b`.
    fn starting_with(b: u8) -> Scan {
        Scan {
            scalar: !matches!(b, b'{' | b'[' | b'"'),
            ..Scan::default()
        }
    }

    /// Runs the automaton over `chunk`: 32-byte blocks at a time while inside
    /// an object or array (the common case, see [`Scan::block`]), byte by
    /// byte for the rest.
    fn run(&mut self, chunk: &[u8], line_mode: bool) -> Step {
        let mut j = 0;
        while j < chunk.len() {
            let end = chunk.len().min(j + BLOCK);
            if let Some(block) = chunk.get(j..j + BLOCK) {
                if !self.esc && !self.scalar && self.depth > 0 {
                    match self.block(block, line_mode) {
                        Some(Step::Done(n)) => return Step::Done(j + n),
                        Some(Step::Newline(n)) => return Step::Newline(j + n),
                        Some(Step::More) => {
                            j = end;
                            continue;
                        }
                        None => {}
                    }
                }
            }
            match self.run_bytes(&chunk[j..end], line_mode) {
                Step::Done(n) => return Step::Done(j + n),
                Step::Newline(n) => return Step::Newline(j + n),
                Step::More => j = end,
            }
        }
        Step::More
    }

    /// One block inside an object or array, all at once: the quotes give the
    /// string spans (a prefix XOR), and only brackets (and line ends) outside
    /// them are visited. `None` when the block holds a backslash, whose
    /// escapes the byte-wise automaton follows instead.
    fn block(&mut self, block: &[u8], line_mode: bool) -> Option<Step> {
        let m = Masks::of(block);
        if m.backslash != 0 {
            return None;
        }
        // Bit i set: byte i is inside a string (opening quote included).
        let inside = prefix_xor(m.quote) ^ if self.in_str { u32::MAX } else { 0 };
        let mut visit = (m.open | m.close) & !inside;
        if line_mode {
            visit |= m.newline;
        }
        while visit != 0 {
            let i = visit.trailing_zeros() as usize;
            visit &= visit - 1;
            match block[i] {
                b'\n' => return Some(Step::Newline(i)),
                b'{' | b'[' => self.depth += 1,
                _ => {
                    self.depth = self.depth.saturating_sub(1);
                    if self.depth == 0 {
                        self.in_str = false;
                        return Some(Step::Done(i + 1));
                    }
                }
            }
        }
        self.in_str ^= m.quote.count_ones() % 2 == 1;
        Some(Step::More)
    }

    /// The byte-wise automaton.
    fn run_bytes(&mut self, chunk: &[u8], line_mode: bool) -> Step {
        let mut j = 0;
        while j < chunk.len() {
            if self.esc {
                self.esc = false;
                // A raw line end is never escaped: in line mode it ends the
                // line even right after a backslash (where the line is broken).
                if line_mode && chunk[j] == b'\n' {
                    return Step::Newline(j);
                }
                j += 1;
            } else if self.in_str {
                // Jump to the next quote (or line end); it closes the string
                // unless an odd run of backslashes precedes it.
                let rest = &chunk[j..];
                let hit = find_either(rest, b'"', if line_mode { b'\n' } else { b'"' });
                let Some(k) = hit else {
                    // The string goes on; an odd run of backslashes at the end escapes the next byte.
                    self.esc = rest.iter().rev().take_while(|&&b| b == b'\\').count() % 2 == 1;
                    return Step::More;
                };
                if rest[k] == b'\n' {
                    return Step::Newline(j + k);
                }
                let backslashes = rest[..k].iter().rev().take_while(|&&b| b == b'\\').count();
                j += k + 1;
                if backslashes % 2 == 0 {
                    self.in_str = false;
                    if self.depth == 0 {
                        return Step::Done(j);
                    }
                }
            } else if self.scalar {
                if is_delimiter(chunk[j]) {
                    return Step::Done(j);
                }
                j += 1;
            } else {
                // Outside strings only quotes, brackets and line ends matter.
                let Some(k) = chunk[j..].iter().position(|&b| STRUCTURAL[usize::from(b)]) else {
                    return Step::More;
                };
                j += k;
                let b = chunk[j];
                j += 1;
                match b {
                    b'"' => self.in_str = true,
                    b'{' | b'[' => self.depth += 1,
                    b'}' | b']' => {
                        self.depth = self.depth.saturating_sub(1);
                        if self.depth == 0 {
                            return Step::Done(j);
                        }
                    }
                    b'\n' if line_mode => return Step::Newline(j - 1),
                    _ => {}
                }
            }
        }
        Step::More
    }
}

/// Bytes per block of the block-wise scan.
const BLOCK: usize = 32;

/// Bit masks of the bytes of a [`BLOCK`] that the scan looks at (bit `i`
/// for byte `i`).
#[derive(Debug, PartialEq, Eq)]
struct Masks {
    quote: u32,
    backslash: u32,
    open: u32,
    close: u32,
    newline: u32,
}

impl Masks {
    /// The masks of `block` (exactly [`BLOCK`] bytes), sixteen bytes per
    /// SSE2 comparison on x86-64.
    #[cfg(target_arch = "x86_64")]
    fn of(block: &[u8]) -> Masks {
        let word = |i: usize| {
            let mut w = [0u8; 8];
            w.copy_from_slice(&block[i..i + 8]);
            i64::from_le_bytes(w)
        };
        let words = [word(0), word(8), word(16), word(24)];
        // SAFETY: SSE2 is part of the x86-64 baseline, so every CPU this
        // code runs on has it; the function reads nothing but its argument.
        unsafe { sse2::masks(words) }
    }

    /// The masks of `block`, a byte at a time (other targets; the reference
    /// the SIMD version is tested against).
    #[cfg_attr(target_arch = "x86_64", allow(dead_code))]
    fn of_bytes(block: &[u8]) -> Masks {
        let mut m = Masks {
            quote: 0,
            backslash: 0,
            open: 0,
            close: 0,
            newline: 0,
        };
        for (i, &b) in block.iter().take(BLOCK).enumerate() {
            let bit = 1u32 << i;
            match b {
                b'"' => m.quote |= bit,
                b'\\' => m.backslash |= bit,
                b'{' | b'[' => m.open |= bit,
                b'}' | b']' => m.close |= bit,
                b'\n' => m.newline |= bit,
                _ => {}
            }
        }
        m
    }

    #[cfg(not(target_arch = "x86_64"))]
    fn of(block: &[u8]) -> Masks {
        Masks::of_bytes(block)
    }
}

/// The SSE2 comparisons behind [`Masks::of`].
#[cfg(target_arch = "x86_64")]
mod sse2 {
    use super::Masks;
    use std::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_movemask_epi8, _mm_set1_epi8, _mm_set_epi64x,
    };

    /// The masks of the 32 bytes held in `words` (little-endian).
    #[target_feature(enable = "sse2")]
    pub(super) fn masks(words: [i64; 4]) -> Masks {
        let lo = _mm_set_epi64x(words[1], words[0]);
        let hi = _mm_set_epi64x(words[3], words[2]);
        Masks {
            quote: eq(lo, hi, b'"'),
            backslash: eq(lo, hi, b'\\'),
            open: eq(lo, hi, b'{') | eq(lo, hi, b'['),
            close: eq(lo, hi, b'}') | eq(lo, hi, b']'),
            newline: eq(lo, hi, b'\n'),
        }
    }

    /// Bit `i` set where byte `i` of `lo` then `hi` equals `byte`.
    #[inline]
    #[target_feature(enable = "sse2")]
    fn eq(lo: __m128i, hi: __m128i, byte: u8) -> u32 {
        let needle = _mm_set1_epi8(byte as i8);
        let low = _mm_movemask_epi8(_mm_cmpeq_epi8(lo, needle)) as u32 & 0xffff;
        let high = _mm_movemask_epi8(_mm_cmpeq_epi8(hi, needle)) as u32 & 0xffff;
        low | high << 16
    }
}

/// Bit `i` of the result is the XOR of bits `0..=i` of `x`.
fn prefix_xor(mut x: u32) -> u32 {
    x ^= x << 1;
    x ^= x << 2;
    x ^= x << 4;
    x ^= x << 8;
    x ^= x << 16;
    x
}

/// Index of the first byte equal to `a` or `b` in `bytes`.
///
/// Strings in logs are mostly short, where `memchr`'s setup costs more than
/// the search: the first 64 bytes are searched eight at a time in a `u64`
/// (SWAR), the rest with `memchr`.
pub(crate) fn find_either(bytes: &[u8], a: u8, b: u8) -> Option<usize> {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    // High bit set in each zero byte of `v`; the lowest one is exact.
    let zero_bytes = |v: u64| v.wrapping_sub(LO) & !v & HI;
    let (fa, fb) = (LO * u64::from(a), LO * u64::from(b));
    let mut i = 0;
    while i < 64 && i + 8 <= bytes.len() {
        let mut word = [0u8; 8];
        word.copy_from_slice(&bytes[i..i + 8]);
        let v = u64::from_le_bytes(word);
        let hits = zero_bytes(v ^ fa) | zero_bytes(v ^ fb);
        if hits != 0 {
            return Some(i + (hits.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    let rest = &bytes[i..];
    let found = if i < 64 {
        rest.iter().position(|&c| c == a || c == b)
    } else {
        memchr::memchr2(a, b, rest)
    };
    found.map(|k| i + k)
}

/// Bytes the scanner must look at outside strings.
const STRUCTURAL: [bool; 256] = {
    let mut table = [false; 256];
    let mut i = 0;
    while i < 6 {
        table[b"\"{}[]\n"[i] as usize] = true;
        i += 1;
    }
    table
};

fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// Bytes that end a scalar (number, `true`, `false`, `null`).
fn is_delimiter(b: u8) -> bool {
    is_ws(b) || matches!(b, b',' | b'{' | b'}' | b'[' | b']' | b'"' | b':')
}

/// Whether `b` can start a JSON value.
fn starts_value(b: u8) -> bool {
    matches!(
        b,
        b'{' | b'[' | b'"' | b'-' | b'0'..=b'9' | b't' | b'f' | b'n'
    )
}

fn trim_end_ws(mut bytes: &[u8]) -> &[u8] {
    while let [rest @ .., last] = bytes {
        if !is_ws(*last) {
            break;
        }
        bytes = rest;
    }
    bytes
}

/// Where a garbage run stops: at the top level, inside an array, inside an object.
const TOP_STOPS: &[u8] = b"{[\n";
const ARRAY_STOPS: &[u8] = b",]{[\n";
const OBJECT_STOPS: &[u8] = b",}\"\n";

struct Splitter<R, E, F> {
    w: Window<R>,
    f: F,
    limit: usize,
    shown: usize,
    line_mode: bool,
    /// Stream offset of the oldest byte still needed; the window may drop
    /// everything before it when it refills.
    keep: u64,
    peak: usize,
    _e: PhantomData<fn() -> E>,
}

impl<R, E, F> Splitter<R, E, F>
where
    R: Read,
    E: From<io::Error>,
    F: FnMut(Record<'_>) -> Result<(), E>,
{
    /// Index in the buffer of stream offset `pos` (which is in the buffer).
    fn idx(&self, pos: u64) -> usize {
        usize::try_from(pos.saturating_sub(self.w.base)).unwrap_or(usize::MAX)
    }

    /// Stream offset just past the buffered bytes.
    fn buffered_end(&self) -> u64 {
        self.w.base + self.w.end as u64
    }

    /// Makes the byte at `pos` available, refilling the window (and letting it
    /// drop what precedes `keep`).
    fn ensure(&mut self, pos: u64) -> io::Result<Avail> {
        while pos >= self.buffered_end() {
            if pos.saturating_sub(self.keep) >= self.limit as u64 {
                return Ok(Avail::Full);
            }
            self.w.start = self.idx(self.keep).min(self.w.end);
            if !self.w.fill()? {
                return Ok(Avail::Eof);
            }
            self.peak = self.peak.max(self.w.buf.len());
        }
        Ok(Avail::Yes)
    }

    /// The byte at `pos`, which the caller made available.
    fn byte(&self, pos: u64) -> u8 {
        self.w.buf.get(self.idx(pos)).copied().unwrap_or(b' ')
    }

    /// Skips whitespace from `pos`; with `discard`, the skipped bytes may be dropped.
    fn skip_ws(&mut self, pos: &mut u64, discard: bool) -> io::Result<Avail> {
        self.skip_ws_lines(pos, discard, &mut false)
    }

    /// [`Self::skip_ws`], noting in `newline` whether a line ended on the way.
    fn skip_ws_lines(
        &mut self,
        pos: &mut u64,
        discard: bool,
        newline: &mut bool,
    ) -> io::Result<Avail> {
        loop {
            if discard {
                self.keep = *pos;
            }
            match self.ensure(*pos)? {
                Avail::Yes => {}
                other => return Ok(other),
            }
            let i = self.idx(*pos);
            let chunk = &self.w.buf[i..self.w.end];
            let n = chunk.iter().take_while(|b| is_ws(**b)).count();
            *newline |= chunk[..n].contains(&b'\n');
            *pos += n as u64;
            if n < chunk.len() {
                return Ok(Avail::Yes);
            }
        }
    }

    /// Runs `st` from `pos` to the end of the value; with `discard`, the
    /// scanned bytes may be dropped as the scan goes.
    fn scan(&mut self, pos: &mut u64, st: &mut Scan, discard: bool) -> io::Result<Scanned> {
        loop {
            if discard {
                self.keep = *pos;
            }
            match self.ensure(*pos)? {
                Avail::Yes => {}
                Avail::Eof => return Ok(Scanned::Eof),
                Avail::Full => return Ok(Scanned::Full),
            }
            let i = self.idx(*pos);
            let chunk = &self.w.buf[i..self.w.end];
            match st.run(chunk, self.line_mode) {
                Step::Done(n) => {
                    *pos += n as u64;
                    return Ok(Scanned::Done(*pos));
                }
                Step::Newline(n) => {
                    *pos += n as u64;
                    return Ok(Scanned::Newline(*pos));
                }
                Step::More => *pos += chunk.len() as u64,
            }
        }
    }

    /// Hands bytes `[start, end)` (still in the buffer) to the callback.
    fn emit(&mut self, start: u64, end: u64, malformed: Option<&'static str>) -> Result<(), E> {
        let (a, b) = (self.idx(start), self.idx(end).min(self.w.end));
        let bytes = self.w.buf.get(a..b).unwrap_or_default();
        let bytes = if malformed.is_some() {
            trim_end_ws(bytes)
        } else {
            bytes
        };
        (self.f)(Record {
            offset: start,
            bytes,
            malformed,
        })
    }

    /// Hands out the first bytes of a record over the size limit.
    fn emit_oversized(&mut self, start: u64) -> Result<(), E> {
        let end = (start + self.shown as u64).min(self.buffered_end());
        self.emit(start, end, Some(OVERSIZED))
    }

    /// Hands out a complete value `[start, end)`, or its head if it is too long.
    fn emit_complete(&mut self, start: u64, end: u64) -> Result<(), E> {
        if end - start > self.limit as u64 {
            self.emit_oversized(start)
        } else {
            self.emit(start, end, None)
        }
    }

    fn run(&mut self, mut mode: Mode<'_>) -> Result<(), E> {
        let mut pos = self.keep;
        // Whether `pos` is the first non-blank byte of a line.
        let mut line_start = true;
        loop {
            let mut newline = false;
            match self.skip_ws_lines(&mut pos, true, &mut newline)? {
                Avail::Yes => {}
                Avail::Eof | Avail::Full => return Ok(()),
            }
            line_start |= newline;
            let b = self.byte(pos);
            if let Mode::Auto = mode {
                mode = if b == b'[' { Mode::Array } else { Mode::Values };
            }
            match (mode, b) {
                (Mode::Records(field), b'{') => self.records_object(&mut pos, field)?,
                (Mode::Records(_) | Mode::Array, b'[') => {
                    pos += 1;
                    self.array(&mut pos)?;
                }
                (_, b'{' | b'[') => self.value(&mut pos)?,
                // A stray separator between top-level values (`{…},\n{…}`).
                (_, b',') => pos += 1,
                // A line that is not a JSON object or array (a text line in a
                // CloudWatch Logs export, a scalar per line): the dataset's
                // parser decides what it is.
                _ if line_start => {
                    self.text_line(&mut pos)?;
                    continue;
                }
                (_, b) if starts_value(b) => self.value(&mut pos)?,
                _ => self.garbage(&mut pos, TOP_STOPS)?,
            }
            line_start = false;
        }
    }

    /// Hands out the rest of the line from `pos` (without its terminator) as one record.
    fn text_line(&mut self, pos: &mut u64) -> Result<(), E> {
        let start = *pos;
        self.keep = start;
        let mut oversized = false;
        loop {
            match self.ensure(*pos)? {
                Avail::Yes => {}
                Avail::Eof => break,
                Avail::Full => {
                    self.emit_oversized(start)?;
                    oversized = true;
                    self.keep = *pos;
                    continue;
                }
            }
            let i = self.idx(*pos);
            let chunk = &self.w.buf[i..self.w.end];
            if let Some(k) = memchr::memchr(b'\n', chunk) {
                *pos += k as u64;
                break;
            }
            *pos += chunk.len() as u64;
            if oversized {
                self.keep = *pos;
            }
        }
        if !oversized {
            let (a, b) = (self.idx(start), self.idx(*pos).min(self.w.end));
            let line = trim_end_ws(self.w.buf.get(a..b).unwrap_or_default());
            let end = start + line.len() as u64;
            self.emit_complete(start, end)?;
        }
        self.keep = *pos;
        Ok(())
    }

    /// Hands out the value starting at `pos` as one record.
    fn value(&mut self, pos: &mut u64) -> Result<(), E> {
        let start = *pos;
        self.keep = start;
        let mut st = Scan::starting_with(self.byte(start));
        match self.scan(pos, &mut st, false)? {
            Scanned::Done(end) => self.emit_complete(start, end)?,
            Scanned::Eof if st.scalar => self.emit_complete(start, *pos)?,
            Scanned::Eof => self.emit(start, *pos, Some(TRUNCATED))?,
            Scanned::Newline(end) => self.emit(start, end, Some(UNTERMINATED))?,
            Scanned::Full => {
                self.emit_oversized(start)?;
                // Skip the rest of it without holding it.
                self.scan(pos, &mut st, true)?;
            }
        }
        self.keep = *pos;
        Ok(())
    }

    /// Hands out the elements of the array whose `[` precedes `pos`; returns
    /// after its `]` or at the end of the input.
    fn array(&mut self, pos: &mut u64) -> Result<(), E> {
        loop {
            match self.skip_ws(pos, true)? {
                Avail::Yes => {}
                Avail::Eof | Avail::Full => return Ok(()),
            }
            match self.byte(*pos) {
                b']' => {
                    *pos += 1;
                    self.keep = *pos;
                    return Ok(());
                }
                b',' => *pos += 1,
                b if starts_value(b) => self.value(pos)?,
                _ => self.garbage(pos, ARRAY_STOPS)?,
            }
        }
    }

    /// Hands out a run of bytes that cannot start a value as one malformed
    /// record (its first bytes if it is long) and stops before the next byte
    /// in `stops`.
    fn garbage(&mut self, pos: &mut u64, stops: &[u8]) -> Result<(), E> {
        let start = *pos;
        self.keep = start;
        *pos += 1;
        let mut emitted = false;
        loop {
            match self.ensure(*pos)? {
                Avail::Yes => {}
                Avail::Eof => break,
                Avail::Full => {
                    if !emitted {
                        let end = (start + self.shown as u64).min(*pos);
                        self.emit(start, end, Some(GARBAGE))?;
                        emitted = true;
                    }
                    self.keep = *pos;
                    continue;
                }
            }
            let i = self.idx(*pos);
            let chunk = &self.w.buf[i..self.w.end];
            if let Some(k) = chunk.iter().position(|b| stops.contains(b)) {
                *pos += k as u64;
                break;
            }
            *pos += chunk.len() as u64;
            if !emitted && *pos - start >= self.shown as u64 {
                self.emit(start, start + self.shown as u64, Some(GARBAGE))?;
                emitted = true;
            }
            if emitted {
                self.keep = *pos;
            }
        }
        if !emitted {
            let end = (*pos).min(start + self.shown as u64);
            self.emit(start, end, Some(GARBAGE))?;
        }
        self.keep = *pos;
        Ok(())
    }

    /// A top-level object in `JsonRecords` mode: the elements of its member
    /// `field` when it has one, else the object itself.
    ///
    /// Until the member is found the object is kept in the buffer (it may be
    /// a record itself); once found, the rest is streamed and dropped.
    fn records_object(&mut self, pos: &mut u64, field: &[u8]) -> Result<(), E> {
        let start = *pos;
        self.keep = start;
        *pos += 1;
        // `wrapper`: the member was found; `oversized`: the object was reported
        // as too long. Either way nothing before `pos` is needed any more.
        let mut wrapper = false;
        let mut oversized = false;
        loop {
            let discard = wrapper || oversized;
            match self.skip_ws(pos, discard)? {
                Avail::Yes => {}
                Avail::Eof => return self.object_truncated(start, *pos, discard),
                Avail::Full => {
                    self.emit_oversized(start)?;
                    oversized = true;
                    continue;
                }
            }
            match self.byte(*pos) {
                b'}' => {
                    *pos += 1;
                    self.keep = *pos;
                    return if discard {
                        Ok(())
                    } else {
                        self.emit_complete(start, *pos)
                    };
                }
                b',' => *pos += 1,
                b'"' => {
                    // The key: kept in the buffer to compare it with `field`.
                    let key_start = *pos;
                    self.keep = if discard { key_start } else { start };
                    let mut st = Scan::starting_with(b'"');
                    let is_field = match self.scan(pos, &mut st, false)? {
                        Scanned::Done(end) => {
                            let (a, b) = (self.idx(key_start) + 1, self.idx(end).saturating_sub(1));
                            self.w.buf.get(a..b) == Some(field)
                        }
                        Scanned::Eof | Scanned::Newline(_) => {
                            return self.object_truncated(start, *pos, discard)
                        }
                        Scanned::Full => {
                            if !discard {
                                self.emit_oversized(start)?;
                                oversized = true;
                            }
                            if let Scanned::Eof = self.scan(pos, &mut st, true)? {
                                return Ok(());
                            }
                            false
                        }
                    };
                    let discard = wrapper || oversized;
                    // `:` and the member's value.
                    match self.skip_ws(pos, discard)? {
                        Avail::Yes => {}
                        Avail::Eof => return self.object_truncated(start, *pos, discard),
                        Avail::Full => {
                            self.emit_oversized(start)?;
                            oversized = true;
                            continue;
                        }
                    }
                    if self.byte(*pos) != b':' {
                        if discard {
                            self.garbage(pos, OBJECT_STOPS)?;
                            continue;
                        }
                        return self.broken_object(start, pos);
                    }
                    *pos += 1;
                    match self.skip_ws(pos, discard)? {
                        Avail::Yes => {}
                        Avail::Eof => return self.object_truncated(start, *pos, discard),
                        Avail::Full => {
                            self.emit_oversized(start)?;
                            oversized = true;
                            continue;
                        }
                    }
                    let first = self.byte(*pos);
                    if !starts_value(first) {
                        if discard {
                            self.garbage(pos, OBJECT_STOPS)?;
                            continue;
                        }
                        return self.broken_object(start, pos);
                    }
                    if is_field {
                        wrapper = true;
                        self.keep = *pos;
                        if first == b'[' {
                            *pos += 1;
                            self.array(pos)?;
                            continue;
                        }
                    }
                    let discard = wrapper || oversized;
                    let mut st = Scan::starting_with(first);
                    match self.scan(pos, &mut st, discard)? {
                        Scanned::Done(_) => {}
                        Scanned::Eof | Scanned::Newline(_) => {
                            return self.object_truncated(start, *pos, discard)
                        }
                        Scanned::Full => {
                            self.emit_oversized(start)?;
                            oversized = true;
                            if let Scanned::Eof = self.scan(pos, &mut st, true)? {
                                return Ok(());
                            }
                        }
                    }
                }
                _ => {
                    if discard {
                        self.garbage(pos, OBJECT_STOPS)?;
                    } else {
                        return self.broken_object(start, pos);
                    }
                }
            }
        }
    }

    /// The end of the input inside a top-level object of `JsonRecords` mode.
    fn object_truncated(&mut self, start: u64, end: u64, discarded: bool) -> Result<(), E> {
        if discarded {
            return Ok(());
        }
        self.emit(start, end, Some(TRUNCATED))
    }

    /// A top-level object that is not well-formed JSON (and has no records
    /// member so far): the rest of it, up to its matching brace, is handed out
    /// as one record for the parser to reject with the original text.
    fn broken_object(&mut self, start: u64, pos: &mut u64) -> Result<(), E> {
        let mut st = Scan {
            depth: 1,
            ..Scan::default()
        };
        match self.scan(pos, &mut st, false)? {
            Scanned::Done(end) => self.emit_complete(start, end)?,
            Scanned::Eof | Scanned::Newline(_) => self.emit(start, *pos, Some(TRUNCATED))?,
            Scanned::Full => {
                self.emit_oversized(start)?;
                self.scan(pos, &mut st, true)?;
            }
        }
        self.keep = *pos;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::borrow::Cow;

    /// Bytes that matter to the scanner, and some that do not.
    fn json_ish() -> impl Strategy<Value = Vec<u8>> {
        proptest::collection::vec(proptest::sample::select(b"{}[]\"\\\n a:,".to_vec()), 0..300)
    }

    proptest! {
        #[test]
        fn simd_masks_match_the_bytewise_ones(block in proptest::collection::vec(any::<u8>(), BLOCK)) {
            prop_assert_eq!(Masks::of(&block), Masks::of_bytes(&block));
        }

        #[test]
        fn blockwise_scan_matches_the_bytewise_automaton(
            body in json_ish(),
            line_mode in any::<bool>(),
            depth in 0u32..3,
            in_str in any::<bool>(),
        ) {
            let start = Scan { depth, in_str, ..Scan::default() };
            let (mut blockwise, mut bytewise) = (start, start);
            let a = blockwise.run(&body, line_mode);
            let b = bytewise.run_bytes(&body, line_mode);
            prop_assert_eq!(&a, &b);
            if a == Step::More {
                prop_assert_eq!(blockwise, bytewise);
            }
        }
    }

    type Got = Vec<(u64, String, Option<&'static str>)>;

    fn split_with(framing: &Framing, input: &[u8], limit: usize, read_size: usize) -> (Got, Stats) {
        let mut out = Vec::new();
        let reader = Trickle {
            data: input,
            step: read_size,
        };
        let stats = split(framing, reader, limit, |r: Record<'_>| -> io::Result<()> {
            out.push((
                r.offset,
                String::from_utf8_lossy(r.bytes).into_owned(),
                r.malformed,
            ));
            Ok(())
        })
        .unwrap();
        (out, stats)
    }

    /// Records of `input`, read whole and read a few bytes at a time (the
    /// answers must agree: refills may fall anywhere).
    fn records(framing: &Framing, input: &str) -> Got {
        let (whole, _) = split_with(framing, input.as_bytes(), MAX_RECORD_BYTES, usize::MAX);
        for step in [1, 2, 3, 7] {
            let (trickled, _) = split_with(framing, input.as_bytes(), MAX_RECORD_BYTES, step);
            assert_eq!(whole, trickled, "read size {step}");
        }
        whole
    }

    fn texts(got: &Got) -> Vec<&str> {
        got.iter().map(|(_, s, _)| s.as_str()).collect()
    }

    /// Each record's text and why it is malformed, if it is.
    fn texts_and_faults(got: &Got) -> Vec<(&str, Option<&'static str>)> {
        got.iter().map(|(_, s, m)| (s.as_str(), *m)).collect()
    }

    /// A reader that hands out at most `step` bytes per read.
    struct Trickle<'a> {
        data: &'a [u8],
        step: usize,
    }

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.data.len().min(buf.len()).min(self.step);
            buf[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            Ok(n)
        }
    }

    fn records_framing() -> Framing {
        Framing::JsonRecords {
            field: Cow::Borrowed("Records"),
        }
    }

    #[test]
    fn records_member_elements_are_records_with_their_offsets() {
        let input = r#"{"Records":[{"a":1}, {"b":[2,3]} ,{"c":"}"}]}"#;
        let got = records(&records_framing(), input);
        assert_eq!(
            texts(&got),
            vec![r#"{"a":1}"#, r#"{"b":[2,3]}"#, r#"{"c":"}"}"#]
        );
        for (offset, text, malformed) in &got {
            assert_eq!(
                &input[*offset as usize..*offset as usize + text.len()],
                text
            );
            assert!(malformed.is_none());
        }
    }

    #[test]
    fn records_member_may_follow_and_precede_other_members() {
        let input = r#"{"meta":{"Records":[{"no":1}]},"Records":[{"yes":1}],"tail":[{"no":2}]}"#;
        assert_eq!(
            texts(&records(&records_framing(), input)),
            vec![r#"{"yes":1}"#]
        );
    }

    #[test]
    fn object_without_records_member_is_a_record_itself() {
        let input = "{\"eventName\":\"A\"}\r\n\r\n{\"eventName\":\"B\",\"Recordsx\":[1]}\n";
        assert_eq!(
            texts(&records(&records_framing(), input)),
            vec![
                r#"{"eventName":"A"}"#,
                r#"{"eventName":"B","Recordsx":[1]}"#
            ]
        );
    }

    #[test]
    fn wrappers_one_per_line_and_plain_records_mix() {
        let input =
            "{\"Records\":[{\"a\":1}]}\n{\"b\":2}\n{\"Records\":[]}\n{\"Records\":[{\"c\":3}]}";
        assert_eq!(
            texts(&records(&records_framing(), input)),
            vec![r#"{"a":1}"#, r#"{"b":2}"#, r#"{"c":3}"#]
        );
    }

    #[test]
    fn records_member_that_is_not_an_array_yields_nothing() {
        let input = r#"{"Records":null}{"Records":{"a":1}}"#;
        assert!(records(&records_framing(), input).is_empty());
    }

    #[test]
    fn bom_whitespace_and_pretty_printing_are_skipped() {
        let input = "\u{feff} \r\n{\r\n  \"Records\" : [\r\n    {\"a\": \"x\"},\r\n\r\n    {\"b\": 2}\r\n  ]\r\n}\r\n";
        let got = records(&records_framing(), input);
        assert_eq!(texts(&got), vec![r#"{"a": "x"}"#, r#"{"b": 2}"#]);
        // Offsets count the BOM's three bytes.
        let first = input.find("{\"a\"").unwrap() as u64;
        assert_eq!(got[0].0, first);
    }

    #[test]
    fn strings_with_escaped_quotes_and_brackets_do_not_end_values() {
        let input = r#"[{"s":"a \"}]\" b","t":"\\"},{"u":"[[{"}]"#;
        let got = records(&Framing::JsonArray, input);
        assert_eq!(
            texts(&got),
            vec![r#"{"s":"a \"}]\" b","t":"\\"}"#, r#"{"u":"[[{"}"#]
        );
    }

    #[test]
    fn truncated_last_record_comes_after_the_good_ones() {
        let input = r#"{"Records":[{"a":1},{"b":2},{"c":"unfinished"#;
        let got = records(&records_framing(), input);
        assert_eq!(got.len(), 3);
        assert_eq!(texts(&got)[..2], [r#"{"a":1}"#, r#"{"b":2}"#]);
        assert_eq!(got[2].1, r#"{"c":"unfinished"#);
        assert_eq!(got[2].2, Some(TRUNCATED));
    }

    #[test]
    fn truncation_between_elements_yields_no_extra_record() {
        let got = records(&records_framing(), r#"{"Records":[{"a":1},"#);
        assert_eq!(texts(&got), vec![r#"{"a":1}"#]);
        assert!(got[0].2.is_none());
    }

    #[test]
    fn truncated_plain_object_is_malformed() {
        let got = records(&records_framing(), "{\"a\":1}\n{\"b\":[1,2\n");
        assert_eq!(got[0].1, r#"{"a":1}"#);
        assert_eq!(
            (got[1].1.as_str(), got[1].2),
            ("{\"b\":[1,2", Some(TRUNCATED))
        );
    }

    #[test]
    fn backslash_runs_decide_whether_a_quote_ends_a_string() {
        // Contents: `\\\"x` (escaped backslash, escaped quote), `\\` (one escaped backslash).
        let input = r#"[{"a":"\\\"x"},{"b":"\\"},{"c":"x\\\\\\\\"}]"#;
        assert_eq!(
            texts(&records(&Framing::JsonArray, input)),
            vec![r#"{"a":"\\\"x"}"#, r#"{"b":"\\"}"#, r#"{"c":"x\\\\\\\\"}"#]
        );
    }

    #[test]
    fn find_either_finds_the_first_of_two_bytes_near_and_far() {
        for len in [0, 1, 7, 8, 9, 63, 64, 65, 200] {
            for at in 0..len {
                let mut bytes = vec![b'x'; len];
                bytes[at] = b'"';
                if at + 3 < len {
                    bytes[at + 3] = b'\\';
                }
                assert_eq!(
                    find_either(&bytes, b'\\', b'"'),
                    Some(at),
                    "len {len} at {at}"
                );
            }
            assert_eq!(find_either(&vec![0x80u8; len], b'"', b'\\'), None);
        }
    }

    #[test]
    fn array_elements_of_any_kind_are_records() {
        let input = "[ {\"a\":1}, [1,2], \"s\", 12.5e3, true, null ]";
        let got = records(&Framing::JsonArray, input);
        assert_eq!(
            texts(&got),
            vec![r#"{"a":1}"#, "[1,2]", r#""s""#, "12.5e3", "true", "null"]
        );
    }

    #[test]
    fn json_array_accepts_several_arrays_and_bare_values() {
        let got = records(&Framing::JsonArray, "[{\"a\":1}]\n[{\"b\":2}]\n{\"c\":3}");
        assert_eq!(texts(&got), vec![r#"{"a":1}"#, r#"{"b":2}"#, r#"{"c":3}"#]);
    }

    #[test]
    fn concatenated_values_without_separators_are_split() {
        let input = r#"{"messageType":"DATA_MESSAGE","logEvents":[{"m":"}{"}]}{"messageType":"CONTROL_MESSAGE"}[1]"x""#;
        let got = records(&Framing::ConcatenatedJson, input);
        assert_eq!(
            texts(&got),
            vec![
                r#"{"messageType":"DATA_MESSAGE","logEvents":[{"m":"}{"}]}"#,
                r#"{"messageType":"CONTROL_MESSAGE"}"#,
                "[1]",
                r#""x""#
            ]
        );
    }

    #[test]
    fn ndjson_gives_one_value_per_line_and_skips_blank_lines() {
        let got = records(
            &Framing::Ndjson,
            "{\"a\":1}\r\n\n   \n{\"b\":\"x\\\"y\"}\n42\n",
        );
        assert_eq!(texts(&got), vec![r#"{"a":1}"#, r#"{"b":"x\"y"}"#, "42"]);
    }

    #[test]
    fn a_line_ending_in_a_backslash_inside_a_string_still_ends_there() {
        // The read sizes of `records` split the input between the backslash
        // and the line end too: the line end must not be taken as escaped.
        let input = format!("{{\"a\":\"{}\\\n{{\"b\":2}}\n", "x".repeat(40));
        let got = records(&Framing::Ndjson, &input);
        assert_eq!(
            texts_and_faults(&got),
            vec![
                (
                    format!("{{\"a\":\"{}\\", "x".repeat(40)).as_str(),
                    Some(UNTERMINATED)
                ),
                ("{\"b\":2}", None),
            ]
        );
    }

    #[test]
    fn ndjson_line_cut_short_is_malformed_and_the_next_line_still_parses() {
        let got = records(
            &Framing::Ndjson,
            "{\"a\":1\n{\"b\":2}\n{\"c\":\"open string\n{\"d\":4}",
        );
        assert_eq!(
            texts_and_faults(&got),
            vec![
                ("{\"a\":1", Some(UNTERMINATED)),
                ("{\"b\":2}", None),
                ("{\"c\":\"open string", Some(UNTERMINATED)),
                ("{\"d\":4}", None),
            ]
        );
    }

    #[test]
    fn a_records_framing_reads_api_pages_arrays_and_ndjson_alike() {
        // `iru.audit`: an API page, a JSON array, or one event per line.
        let framing = Framing::JsonRecords {
            field: Cow::Borrowed("results"),
        };
        let page = "{\"count\":2,\"next\":null,\"results\":[{\"id\":\"a\"},{\"id\":\"b\"}],\"previous\":null}";
        assert_eq!(
            texts(&records(&framing, page)),
            vec![r#"{"id":"a"}"#, r#"{"id":"b"}"#]
        );
        let array = "[{\"id\":\"a\"},\n{\"id\":\"b\"}]";
        assert_eq!(
            texts(&records(&framing, array)),
            vec![r#"{"id":"a"}"#, r#"{"id":"b"}"#]
        );
        let ndjson = "{\"id\":\"a\",\"new_state\":{\"results\":1}}\n{\"id\":\"b\"}\n";
        assert_eq!(
            texts(&records(&framing, ndjson)),
            vec![r#"{"id":"a","new_state":{"results":1}}"#, r#"{"id":"b"}"#]
        );
    }

    #[test]
    fn json_auto_unpacks_a_leading_array_else_reads_values() {
        assert_eq!(
            texts(&records(&Framing::JsonAuto, " [{\"a\":1},{\"b\":2}]")),
            vec![r#"{"a":1}"#, r#"{"b":2}"#]
        );
        assert_eq!(
            texts(&records(&Framing::JsonAuto, "{\"a\":1}\n{\"b\":2}\n")),
            vec![r#"{"a":1}"#, r#"{"b":2}"#]
        );
        assert_eq!(
            texts(&records(&Framing::JsonAuto, "{\"a\":1}[1,2]")),
            vec![r#"{"a":1}"#, "[1,2]"]
        );
    }

    #[test]
    fn garbage_between_values_is_malformed_and_the_walk_resynchronizes() {
        let got = records(
            &Framing::ConcatenatedJson,
            "{\"a\":1} oops! {\"b\":2} ]]\n{\"c\":3}",
        );
        assert_eq!(
            texts_and_faults(&got),
            vec![
                ("{\"a\":1}", None),
                ("oops!", Some(GARBAGE)),
                ("{\"b\":2}", None),
                ("]]", Some(GARBAGE)),
                ("{\"c\":3}", None)
            ]
        );
    }

    #[test]
    fn a_line_that_is_not_an_object_or_array_is_one_record_for_the_parser() {
        // CloudWatch Logs export-task lines arrive through the same framing as Firehose deliveries.
        let input = "2024-03-01T10:00:01.000Z Mar  1 host sshd[1]: {x} [y]\r\n{\"a\":1}\n  plain text  \n\"s\"\n}}\n42";
        for framing in [
            Framing::ConcatenatedJson,
            Framing::Ndjson,
            Framing::JsonAuto,
            records_framing(),
        ] {
            let got = records(&framing, input);
            assert_eq!(
                texts(&got),
                vec![
                    "2024-03-01T10:00:01.000Z Mar  1 host sshd[1]: {x} [y]",
                    r#"{"a":1}"#,
                    "plain text",
                    r#""s""#,
                    "}}",
                    "42"
                ],
                "{framing:?}"
            );
            assert!(got.iter().all(|g| g.2.is_none()));
        }
    }

    #[test]
    fn garbage_inside_a_records_array_is_malformed_and_elements_continue() {
        let got = records(
            &records_framing(),
            r#"{"Records":[{"a":1} ## ,{"b":2},,}{"c":3}]}"#,
        );
        assert_eq!(
            texts_and_faults(&got),
            vec![
                ("{\"a\":1}", None),
                ("##", Some(GARBAGE)),
                ("{\"b\":2}", None),
                ("}", Some(GARBAGE)),
                ("{\"c\":3}", None)
            ]
        );
    }

    #[test]
    fn broken_top_level_object_is_handed_out_whole_for_the_parser() {
        let got = records(
            &records_framing(),
            "{\"a\" 1, \"b\": {\"c\": 2}}\n{\"d\":3}",
        );
        assert_eq!(
            texts(&got),
            vec!["{\"a\" 1, \"b\": {\"c\": 2}}", "{\"d\":3}"]
        );
    }

    #[test]
    fn empty_and_whitespace_inputs_yield_nothing() {
        for framing in [
            records_framing(),
            Framing::JsonArray,
            Framing::Ndjson,
            Framing::ConcatenatedJson,
            Framing::JsonAuto,
        ] {
            assert!(records(&framing, "").is_empty());
            assert!(records(&framing, "\u{feff}\r\n \t\n").is_empty());
            assert!(records(&framing, "[]").is_empty() || !matches!(framing, Framing::JsonArray));
        }
    }

    #[test]
    fn oversized_record_is_reported_with_its_head_and_skipped() {
        let big = format!("{{\"x\":\"{}\"}}", "y".repeat(5000));
        let input = format!("[{{\"a\":1}},{big},{{\"b\":2}}]");
        let (got, _) = split_with(&Framing::JsonArray, input.as_bytes(), 1000, 64);
        assert_eq!(got.len(), 3);
        assert_eq!(got[0].1, r#"{"a":1}"#);
        assert_eq!(got[1].2, Some(OVERSIZED));
        assert_eq!(got[1].1.len(), 1000);
        assert!(big.starts_with(&got[1].1));
        assert_eq!(got[2].1, r#"{"b":2}"#);
    }

    #[test]
    fn oversized_plain_object_in_records_mode_is_reported_once() {
        let input = format!(
            "{{\"x\":\"{}\",\"y\":[{}]}}\n{{\"b\":2}}",
            "y".repeat(5000),
            "1,".repeat(3000) + "1"
        );
        let (got, _) = split_with(&records_framing(), input.as_bytes(), 1000, 100);
        assert_eq!(
            got.iter().map(|g| g.2).collect::<Vec<_>>(),
            vec![Some(OVERSIZED), None]
        );
        assert_eq!(got[1].1, r#"{"b":2}"#);
    }

    #[test]
    fn callback_errors_stop_the_walk() {
        let mut n = 0;
        let result = split(
            &Framing::JsonArray,
            &b"[1,2,3]"[..],
            MAX_RECORD_BYTES,
            |_r: Record<'_>| -> io::Result<()> {
                n += 1;
                if n == 2 {
                    Err(io::Error::other("stop"))
                } else {
                    Ok(())
                }
            },
        );
        assert!(result.is_err());
        assert_eq!(n, 2);
    }

    #[test]
    fn arbitrary_bytes_never_panic_or_hang() {
        // A cheap deterministic fuzz: every framing over many short random inputs.
        let alphabet = b"{}[]\",:\\ \n\rabtfn01-.eR";
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..3000 {
            let len = (seed % 40) as usize;
            let mut input = Vec::with_capacity(len);
            for _ in 0..len {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                input.push(alphabet[(seed % alphabet.len() as u64) as usize]);
            }
            for framing in [
                records_framing(),
                Framing::JsonArray,
                Framing::Ndjson,
                Framing::ConcatenatedJson,
                Framing::JsonAuto,
            ] {
                let (got, _) = split_with(&framing, &input, 16, 3);
                // Every record is the input's own bytes at its offset, in order.
                let mut last_end = 0;
                for (offset, text, _) in &got {
                    let start = *offset as usize;
                    assert!(start >= last_end, "{framing:?} {input:?}");
                    assert_eq!(
                        input.get(start..start + text.len()),
                        Some(text.as_bytes()),
                        "{framing:?} {input:?}"
                    );
                    last_end = start + text.len();
                }
                // And the same records come out however the input is read.
                assert_eq!(
                    got,
                    split_with(&framing, &input, 16, usize::MAX).0,
                    "{framing:?} {input:?}"
                );
            }
        }
    }

    /// Generates `{"Records":[e0,e1,…]}` on the fly: the input is never held whole.
    struct GeneratedRecords {
        remaining: u64,
        pending: Vec<u8>,
        started: bool,
        done: bool,
    }

    impl Read for GeneratedRecords {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.pending.is_empty() && !self.done {
                if self.remaining == 0 {
                    self.pending.extend_from_slice(b"]}");
                    self.done = true;
                } else {
                    let i = self.remaining;
                    self.remaining -= 1;
                    let sep = if self.started { "," } else { "{\"Records\":[" };
                    self.started = true;
                    self.pending.clear();
                    self.pending.extend_from_slice(sep.as_bytes());
                    let record = format!(
                        "{{\"eventVersion\":\"1.09\",\"eventID\":\"{i:032x}\",\"requestParameters\":{{\"bucketName\":\"b\",\"key\":\"k/{i}\",\"q\":\"\\\"]}}\"}},\"pad\":\"{}\"}}",
                        "p".repeat((i % 1500) as usize)
                    );
                    self.pending.extend_from_slice(record.as_bytes());
                }
            }
            let n = self.pending.len().min(buf.len());
            buf[..n].copy_from_slice(&self.pending[..n]);
            self.pending.drain(..n);
            Ok(n)
        }
    }

    #[test]
    fn a_huge_records_array_streams_with_a_bounded_buffer() {
        // About 256 MB of records, never more than one in memory.
        let count = 290_000;
        let reader = GeneratedRecords {
            remaining: count,
            pending: Vec::new(),
            started: false,
            done: false,
        };
        let mut n = 0u64;
        let mut largest = 0usize;
        let stats = split(
            &records_framing(),
            reader,
            MAX_RECORD_BYTES,
            |r: Record<'_>| -> io::Result<()> {
                assert!(r.malformed.is_none());
                assert!(r.bytes.starts_with(b"{\"eventVersion\"") && r.bytes.ends_with(b"\"}"));
                largest = largest.max(r.bytes.len());
                n += 1;
                Ok(())
            },
        )
        .unwrap();
        assert_eq!(n, count);
        assert!(largest < 2000);
        // The window never grew past its initial chunk.
        assert_eq!(stats.peak_buffer, super::super::CHUNK);
    }

    #[test]
    fn the_window_grows_only_to_the_largest_record() {
        let big = format!("{{\"x\":\"{}\"}}", "z".repeat(3 * super::super::CHUNK));
        let input = format!("[{big},{{\"a\":1}}]");
        let (got, stats) = split_with(
            &Framing::JsonArray,
            input.as_bytes(),
            MAX_RECORD_BYTES,
            4096,
        );
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].1.len(), big.len());
        assert!(
            stats.peak_buffer >= big.len()
                && stats.peak_buffer <= 2 * (big.len() + super::super::CHUNK)
        );
    }
}
