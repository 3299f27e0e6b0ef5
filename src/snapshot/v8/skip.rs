//! Skipping JSON values the loader does not use, and reading small ones whole.

use crate::error::{ErrorKind, KindResult};
use crate::snapshot::input::{Input, describe_byte, is_ws};

/// Longest object key the loader accepts.
const MAX_KEY: usize = 1 << 10;

/// Reads an object key (a JSON string without escapes, as V8 writes them) after whitespace.
pub fn read_key(input: &mut Input) -> KindResult<String> {
    input.expect(b'"', "'\"' to start a key")?;
    loop {
        let avail = input.available();
        if let Some(end) = memchr::memchr2(b'"', b'\\', avail) {
            if avail[end] == b'\\' {
                return Err(ErrorKind::Syntax {
                    offset: input.offset() + end as u64,
                    expected: "a plain top-level key",
                    found: "an escape".into(),
                });
            }
            let key = String::from_utf8_lossy(&avail[..end]).into_owned();
            input.consume(end + 1);
            return Ok(key);
        }
        if avail.len() > MAX_KEY {
            return Err(ErrorKind::Syntax {
                offset: input.offset(),
                expected: "a short key",
                found: format!("a key longer than {MAX_KEY} bytes"),
            });
        }
        if !input.fill()? {
            let end = input.offset() + input.available().len() as u64;
            return Err(ErrorKind::Truncated { offset: end, inside: "a key".into() });
        }
    }
}

/// Tracks whether a JSON byte stream is inside a string.
#[derive(Default)]
struct StringState {
    in_string: bool,
    escaped: bool,
}

impl StringState {
    /// Feeds one byte. Returns `Some(b)` for a byte outside any string (quotes that open a
    /// string included), `None` for bytes inside one (the closing quote included).
    #[inline]
    fn outside(&mut self, b: u8) -> Option<u8> {
        if self.in_string {
            if self.escaped {
                self.escaped = false;
            } else if b == b'\\' {
                self.escaped = true;
            } else if b == b'"' {
                self.in_string = false;
            }
            return None;
        }
        if b == b'"' {
            self.in_string = true;
        }
        Some(b)
    }
}

/// Skips one JSON value of any kind (streaming; nesting depth is only counted).
pub fn skip_value(input: &mut Input) -> KindResult<()> {
    let mut depth: u64 = 0;
    let mut strings = StringState::default();
    let mut started = false;
    loop {
        let avail = input.available();
        if avail.is_empty() {
            if !input.fill()? {
                return Err(ErrorKind::Truncated { offset: input.offset(), inside: "a JSON value".into() });
            }
            continue;
        }
        let mut used = 0;
        for &b in avail {
            used += 1;
            let was_in_string = strings.in_string;
            let Some(b) = strings.outside(b) else {
                if was_in_string && !strings.in_string && depth == 0 {
                    // A string at the top: the value ends with its closing quote.
                    input.consume(used);
                    return Ok(());
                }
                continue;
            };
            match b {
                b'"' => started = true,
                b'[' | b'{' => {
                    depth += 1;
                    started = true;
                }
                b']' | b'}' => {
                    if depth == 0 {
                        // The end of the enclosing container: a scalar ended just before it.
                        input.consume(used - 1);
                        return finish_scalar(input, started);
                    }
                    depth -= 1;
                    if depth == 0 {
                        input.consume(used);
                        return Ok(());
                    }
                }
                b',' if depth == 0 => {
                    input.consume(used - 1);
                    return finish_scalar(input, started);
                }
                _ if is_ws(b) => {}
                b'-' | b'+' | b'.' | b'0'..=b'9' | b'a'..=b'z' | b'A'..=b'Z' => started = true,
                _ if depth > 0 => {}
                other => {
                    return Err(ErrorKind::Syntax {
                        offset: input.offset() + used as u64 - 1,
                        expected: "a JSON value",
                        found: describe_byte(other),
                    });
                }
            }
        }
        input.consume(used);
    }
}

fn finish_scalar(input: &Input, started: bool) -> KindResult<()> {
    if started {
        Ok(())
    } else {
        Err(ErrorKind::Syntax { offset: input.offset(), expected: "a JSON value", found: "nothing".into() })
    }
}

/// Reads one JSON object or array whole (for the small `snapshot` header), at most `limit`
/// bytes, and returns its bytes.
pub fn read_balanced(input: &mut Input, limit: usize, what: &str) -> KindResult<Vec<u8>> {
    let open = input.skip_ws()?;
    if !matches!(open, Some(b'{') | Some(b'[')) {
        return Err(match open {
            Some(b) => ErrorKind::Syntax { offset: input.offset(), expected: "'{'", found: describe_byte(b) },
            None => ErrorKind::Truncated { offset: input.offset(), inside: what.to_string() },
        });
    }
    let mut depth = 0u64;
    let mut strings = StringState::default();
    let mut scanned = 0usize;
    loop {
        let avail = input.available();
        for (i, &b) in avail.iter().enumerate().skip(scanned) {
            let Some(b) = strings.outside(b) else { continue };
            match b {
                b'{' | b'[' => depth += 1,
                b'}' | b']' => {
                    depth -= 1;
                    if depth == 0 {
                        let bytes = avail[..=i].to_vec();
                        input.consume(i + 1);
                        return Ok(bytes);
                    }
                }
                _ => {}
            }
        }
        scanned = avail.len();
        if scanned > limit {
            return Err(ErrorKind::BadHeader(format!("{what} is longer than {limit} bytes")));
        }
        if !input.fill()? {
            return Err(ErrorKind::Truncated { offset: input.offset() + scanned as u64, inside: what.to_string() });
        }
    }
}
