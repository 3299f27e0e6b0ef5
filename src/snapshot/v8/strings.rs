//! The `strings` array: JSON strings decoded into a [`StringTable`], leniently (lone
//! surrogates and invalid UTF-8 become U+FFFD; nothing is rejected that JSON allows).

use crate::error::{ErrorKind, KindResult};
use crate::graph::StringTable;
use crate::progress::Progress;
use crate::snapshot::input::{Input, describe_byte};

/// Parses a JSON array of strings (the input must be at its `[`).
pub fn parse_strings(input: &mut Input, table: &mut StringTable, progress: &dyn Progress) -> KindResult<()> {
    input.expect(b'[', "'[' to start the strings array")?;
    let mut scratch: Vec<u8> = Vec::new();
    let start = input.offset();
    let mut count = 0u64;
    loop {
        match input.skip_ws()? {
            Some(b']') if count == 0 => {
                input.consume(1);
                return Ok(());
            }
            Some(b'"') => {}
            Some(b) => {
                return Err(ErrorKind::Syntax {
                    offset: input.offset(),
                    expected: "a string in the strings array",
                    found: describe_byte(b),
                });
            }
            None => return Err(truncated(input, "the strings array")),
        }
        input.consume(1);
        read_string_body(input, &mut scratch, table)?;
        count += 1;
        if count.is_multiple_of(65_536) {
            if progress.is_cancelled() {
                return Err(ErrorKind::Cancelled);
            }
            progress.set_done(input.offset() - start);
        }
        match input.skip_ws()? {
            Some(b',') => input.consume(1),
            Some(b']') => {
                input.consume(1);
                return Ok(());
            }
            Some(b) => {
                return Err(ErrorKind::Syntax {
                    offset: input.offset(),
                    expected: "',' or ']' after a string",
                    found: describe_byte(b),
                });
            }
            None => return Err(truncated(input, "the strings array")),
        }
    }
}

fn truncated(input: &Input, inside: &str) -> ErrorKind {
    ErrorKind::Truncated { offset: input.offset() + input.available().len() as u64, inside: inside.to_string() }
}

/// Reads a string body after its opening quote, through the closing quote, and appends it.
fn read_string_body(input: &mut Input, scratch: &mut Vec<u8>, table: &mut StringTable) -> KindResult<()> {
    // Fast path: the whole string is in the buffer and has no escapes.
    let avail = input.available();
    if let Some(i) = memchr::memchr2(b'"', b'\\', avail)
        && avail[i] == b'"'
    {
        match std::str::from_utf8(&avail[..i]) {
            Ok(s) => table.push(s),
            Err(_) => table.push(&String::from_utf8_lossy(&avail[..i])),
        };
        input.consume(i + 1);
        return Ok(());
    }
    scratch.clear();
    let mut pending_high: Option<u16> = None;
    loop {
        let avail = input.available();
        let Some(i) = memchr::memchr2(b'"', b'\\', avail) else {
            if !avail.is_empty() {
                flush_high(scratch, &mut pending_high);
            }
            scratch.extend_from_slice(avail);
            let n = avail.len();
            input.consume(n);
            if !input.fill()? {
                return Err(truncated(input, "a string"));
            }
            continue;
        };
        if i > 0 {
            flush_high(scratch, &mut pending_high);
            scratch.extend_from_slice(&avail[..i]);
        }
        if avail[i] == b'"' {
            flush_high(scratch, &mut pending_high);
            input.consume(i + 1);
            table.push(&String::from_utf8_lossy(scratch));
            return Ok(());
        }
        // An escape: make sure its longest form (\uXXXX) is in the buffer.
        input.consume(i);
        let available = input.ensure(6)?;
        if available < 2 || (available < 6 && input.available()[1] == b'u') {
            return Err(truncated(input, "a string escape"));
        }
        let avail = input.available();
        let (decoded, used): (Option<char>, usize) = match avail[1] {
            b'"' => (Some('"'), 2),
            b'\\' => (Some('\\'), 2),
            b'/' => (Some('/'), 2),
            b'b' => (Some('\u{8}'), 2),
            b'f' => (Some('\u{c}'), 2),
            b'n' => (Some('\n'), 2),
            b'r' => (Some('\r'), 2),
            b't' => (Some('\t'), 2),
            b'u' => {
                let unit = avail.get(2..6).and_then(parse_hex4).ok_or_else(|| ErrorKind::Syntax {
                    offset: input.offset(),
                    expected: "four hex digits after \\u",
                    found: String::from_utf8_lossy(&avail[..avail.len().min(6)]).into_owned(),
                })?;
                if (0xD800..0xDC00).contains(&unit) {
                    flush_high(scratch, &mut pending_high);
                    pending_high = Some(unit);
                    (None, 6)
                } else if (0xDC00..0xE000).contains(&unit) {
                    match pending_high.take() {
                        Some(high) => {
                            let c = 0x10000 + ((u32::from(high) - 0xD800) << 10) + (u32::from(unit) - 0xDC00);
                            (Some(char::from_u32(c).unwrap_or('\u{FFFD}')), 6)
                        }
                        None => (Some('\u{FFFD}'), 6),
                    }
                } else {
                    (Some(char::from_u32(u32::from(unit)).unwrap_or('\u{FFFD}')), 6)
                }
            }
            other => {
                return Err(ErrorKind::Syntax {
                    offset: input.offset(),
                    expected: "a valid escape after '\\'",
                    found: describe_byte(other),
                });
            }
        };
        if let Some(c) = decoded {
            flush_high(scratch, &mut pending_high);
            let mut utf8 = [0u8; 4];
            scratch.extend_from_slice(c.encode_utf8(&mut utf8).as_bytes());
        }
        input.consume(used);
    }
}

/// Writes a pending lone high surrogate as U+FFFD (something other than a low surrogate
/// follows it).
fn flush_high(scratch: &mut Vec<u8>, pending: &mut Option<u16>) {
    if pending.take().is_some() {
        scratch.extend_from_slice("\u{FFFD}".as_bytes());
    }
}

fn parse_hex4(bytes: &[u8]) -> Option<u16> {
    let s = std::str::from_utf8(bytes).ok()?;
    if s.len() != 4 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u16::from_str_radix(s, 16).ok()
}
