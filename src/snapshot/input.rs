//! A forward-only, chunked view of an input: a memory-mapped file, or a stream (a gzip
//! decoder, an in-memory buffer).
//!
//! Parsers look at [`Input::available`], consume what they used, and call [`Input::fill`] for
//! more. Only a window of about one chunk (plus whatever a parser has not consumed) is held in
//! memory at a time: a stream is copied into a reused buffer, a mapped file is viewed in place
//! and the pages behind the window are released, so memory does not grow with the file.

use std::io::{self, Read};

use crate::error::{ErrorKind, KindResult};

/// Default bytes made available per [`Input::fill`].
pub const DEFAULT_CHUNK: usize = 16 << 20;

enum Source {
    Stream { reader: Box<dyn Read + Send>, buf: Vec<u8>, len: usize, eof: bool },
    Mapped { map: memmap2::Mmap, window_end: usize, released: usize },
}

/// A buffered, forward-only input with absolute byte offsets.
pub struct Input {
    source: Source,
    /// First unconsumed byte: an index into the stream buffer or the map.
    pos: usize,
    /// Absolute offset of index 0 (streams compact their buffer; maps never move).
    base: u64,
    chunk: usize,
    size_hint: Option<u64>,
}

impl Input {
    /// Wraps a reader; `chunk` is the read size (small values exercise chunk boundaries in
    /// tests); `size_hint` is the total input size when known (for progress and reservations).
    pub fn new(reader: Box<dyn Read + Send>, chunk: usize, size_hint: Option<u64>) -> Self {
        Self {
            source: Source::Stream { reader, buf: Vec::new(), len: 0, eof: false },
            pos: 0,
            base: 0,
            chunk: chunk.max(1),
            size_hint,
        }
    }

    /// Views a memory-mapped file through a sliding window of `chunk` bytes.
    pub fn mapped(map: memmap2::Mmap, chunk: usize) -> Self {
        let size = map.len() as u64;
        #[cfg(unix)]
        map.advise(memmap2::Advice::Sequential).ok();
        Self {
            source: Source::Mapped { map, window_end: 0, released: 0 },
            pos: 0,
            base: 0,
            chunk: chunk.max(1),
            size_hint: Some(size),
        }
    }

    /// The unconsumed bytes currently in the window.
    #[inline]
    pub fn available(&self) -> &[u8] {
        match &self.source {
            Source::Stream { buf, len, .. } => &buf[self.pos..*len],
            Source::Mapped { map, window_end, .. } => &map[self.pos..*window_end],
        }
    }

    /// Absolute offset of the first unconsumed byte.
    #[inline]
    pub fn offset(&self) -> u64 {
        self.base + self.pos as u64
    }

    /// Total input size, when known.
    pub fn size_hint(&self) -> Option<u64> {
        self.size_hint
    }

    /// Marks `n` available bytes as used.
    #[inline]
    pub fn consume(&mut self, n: usize) {
        let end = match &self.source {
            Source::Stream { len, .. } => *len,
            Source::Mapped { window_end, .. } => *window_end,
        };
        debug_assert!(self.pos + n <= end);
        self.pos = (self.pos + n).min(end);
    }

    /// Makes more bytes available, keeping the unconsumed ones. Returns `false` at the end of
    /// the input. The window grows as needed, so a parser that needs a longer contiguous view
    /// always gets one.
    pub fn fill(&mut self) -> KindResult<bool> {
        match &mut self.source {
            Source::Mapped { map, window_end, released } => {
                release_consumed(map, released, self.pos);
                if *window_end >= map.len() {
                    return Ok(false);
                }
                *window_end = (*window_end).max(self.pos).saturating_add(self.chunk).min(map.len());
                Ok(true)
            }
            Source::Stream { reader, buf, len, eof } => {
                if *eof {
                    return Ok(false);
                }
                if self.pos > 0 {
                    buf.copy_within(self.pos..*len, 0);
                    self.base += self.pos as u64;
                    *len -= self.pos;
                    self.pos = 0;
                }
                let want = *len + self.chunk;
                if buf.len() < want {
                    buf.resize(want, 0);
                }
                let before = *len;
                while *len < buf.len() {
                    match reader.read(&mut buf[*len..]) {
                        Ok(0) => {
                            *eof = true;
                            break;
                        }
                        Ok(n) => *len += n,
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(e) => return Err(read_error(e)),
                    }
                }
                Ok(*len > before)
            }
        }
    }

    /// Makes sure at least `n` bytes are available, unless the input ends first.
    /// Returns the number of bytes available.
    pub fn ensure(&mut self, n: usize) -> KindResult<usize> {
        while self.available().len() < n {
            if !self.fill()? {
                break;
            }
        }
        Ok(self.available().len())
    }

    /// Skips JSON whitespace. Returns the next byte (not consumed), or `None` at end of input.
    pub fn skip_ws(&mut self) -> KindResult<Option<u8>> {
        loop {
            let avail = self.available();
            match avail.iter().position(|&b| !is_ws(b)) {
                Some(i) => {
                    let b = avail[i];
                    self.consume(i);
                    return Ok(Some(b));
                }
                None => {
                    let n = avail.len();
                    self.consume(n);
                    if !self.fill()? {
                        return Ok(None);
                    }
                }
            }
        }
    }

    /// Skips whitespace and consumes `byte`, or fails with a syntax error naming `what`.
    pub fn expect(&mut self, byte: u8, what: &'static str) -> KindResult<()> {
        match self.skip_ws()? {
            Some(b) if b == byte => {
                self.consume(1);
                Ok(())
            }
            Some(b) => Err(ErrorKind::Syntax { offset: self.offset(), expected: what, found: describe_byte(b) }),
            None => Err(ErrorKind::Truncated { offset: self.offset(), inside: format!("the JSON (expected {what})") }),
        }
    }
}

/// Drops the pages before `pos` from this process's memory (they stay in the page cache), so
/// a mapped file costs only its window in resident memory.
fn release_consumed(map: &memmap2::Mmap, released: &mut usize, pos: usize) {
    const PAGE: usize = 4096;
    let upto = pos / PAGE * PAGE;
    if upto <= *released + (8 << 20) {
        return;
    }
    #[cfg(unix)]
    {
        // SAFETY: the map is private and read-only, and no slice into the released range
        // outlives this call: parsers hold views only at or after `pos`. Touching a released
        // page again would re-read it from the file, never expose other data.
        unsafe {
            map.unchecked_advise_range(memmap2::UncheckedAdvice::DontNeed, *released, upto - *released).ok();
        }
    }
    *released = upto;
}

/// JSON whitespace.
#[inline(always)]
pub fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\n' | b'\r' | b'\t')
}

/// A byte, described for an error message.
pub fn describe_byte(b: u8) -> String {
    if b.is_ascii_graphic() { format!("'{}'", b as char) } else { format!("byte 0x{b:02x}") }
}

fn read_error(e: io::Error) -> ErrorKind {
    // flate2 reports a damaged stream as InvalidInput/InvalidData, a cut one as UnexpectedEof.
    match e.kind() {
        io::ErrorKind::InvalidInput | io::ErrorKind::InvalidData => ErrorKind::Gzip(e.to_string()),
        io::ErrorKind::UnexpectedEof => {
            ErrorKind::Gzip("the compressed stream ends early (the file is truncated)".into())
        }
        _ => ErrorKind::Io(e),
    }
}
