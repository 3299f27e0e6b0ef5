//! A forward-only, chunked view of an input stream (a file, or a gzip decoder over one).
//!
//! Parsers look at [`Input::available`], consume what they used, and call [`Input::fill`] for
//! more. Only one chunk (plus whatever a parser has not consumed) is held in memory at a time,
//! so memory does not grow with the file.

use std::io::{self, Read};

use crate::error::{ErrorKind, KindResult};

/// Default bytes read per chunk.
pub const DEFAULT_CHUNK: usize = 16 << 20;

/// A buffered, forward-only input with absolute byte offsets.
pub struct Input {
    reader: Box<dyn Read + Send>,
    buf: Vec<u8>,
    pos: usize,
    len: usize,
    /// Absolute offset of `buf[0]`.
    base: u64,
    eof: bool,
    chunk: usize,
    size_hint: Option<u64>,
}

impl Input {
    /// Wraps a reader; `chunk` is the read size (small values exercise chunk boundaries in
    /// tests); `size_hint` is the total input size when known (for progress and reservations).
    pub fn new(reader: Box<dyn Read + Send>, chunk: usize, size_hint: Option<u64>) -> Self {
        let chunk = chunk.max(1);
        Self { reader, buf: Vec::new(), pos: 0, len: 0, base: 0, eof: false, chunk, size_hint }
    }

    /// The unconsumed bytes currently in memory.
    #[inline]
    pub fn available(&self) -> &[u8] {
        &self.buf[self.pos..self.len]
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

    /// True when the reader is exhausted (what is available is all there is).
    pub fn at_eof(&self) -> bool {
        self.eof
    }

    /// Marks `n` available bytes as used.
    #[inline]
    pub fn consume(&mut self, n: usize) {
        debug_assert!(self.pos + n <= self.len);
        self.pos = (self.pos + n).min(self.len);
    }

    /// Reads more bytes, keeping the unconsumed ones. Returns `false` at end of input.
    /// When the buffer is full of unconsumed bytes it grows, so a parser that needs a longer
    /// contiguous view always gets one.
    pub fn fill(&mut self) -> KindResult<bool> {
        if self.eof {
            return Ok(false);
        }
        if self.pos > 0 {
            self.buf.copy_within(self.pos..self.len, 0);
            self.base += self.pos as u64;
            self.len -= self.pos;
            self.pos = 0;
        }
        let want = self.len + self.chunk;
        if self.buf.len() < want {
            self.buf.resize(want, 0);
        }
        let before = self.len;
        while self.len < self.buf.len() {
            match self.reader.read(&mut self.buf[self.len..]) {
                Ok(0) => {
                    self.eof = true;
                    break;
                }
                Ok(n) => self.len += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(read_error(e)),
            }
        }
        Ok(self.len > before)
    }

    /// Makes sure at least `n` bytes are available, unless the input ends first.
    /// Returns the number of bytes available.
    pub fn ensure(&mut self, n: usize) -> KindResult<usize> {
        while self.len - self.pos < n {
            if !self.fill()? {
                break;
            }
        }
        Ok(self.len - self.pos)
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
    // flate2 reports a damaged stream as InvalidInput/InvalidData.
    match e.kind() {
        io::ErrorKind::InvalidInput | io::ErrorKind::InvalidData => ErrorKind::Gzip(e.to_string()),
        io::ErrorKind::UnexpectedEof => ErrorKind::Gzip("the compressed stream ends early".into()),
        _ => ErrorKind::Io(e),
    }
}
