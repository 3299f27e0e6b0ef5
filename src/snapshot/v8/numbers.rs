//! Parallel parsing of the flat numeric arrays (`nodes`, `edges`, `locations`, ...) into
//! typed columns.
//!
//! Each chunk of input is cut at a row boundary (found by counting commas, which vectorizes),
//! split into row-aligned parts, and the parts are parsed on the rayon pool straight into
//! disjoint slices of the destination columns.

use rayon::prelude::*;

use crate::error::{ErrorKind, KindResult};
use crate::progress::Progress;
use crate::snapshot::input::{Input, describe_byte, is_ws};

/// Where one field of each row goes.
pub enum Column<'a> {
    /// A byte-wide column (values above 255 are refused).
    U8(&'a mut Vec<u8>),
    /// A 32-bit column (values above `u32::MAX` are refused).
    U32(&'a mut Vec<u32>),
    /// A 64-bit column.
    U64(&'a mut Vec<u64>),
    /// A field that is parsed and dropped.
    Skip,
}

enum Slot<'a> {
    U8(&'a mut [u8]),
    U32(&'a mut [u32]),
    U64(&'a mut [u64]),
    Skip,
}

impl Column<'_> {
    fn len(&self) -> usize {
        match self {
            Column::U8(v) => v.len(),
            Column::U32(v) => v.len(),
            Column::U64(v) => v.len(),
            Column::Skip => 0,
        }
    }

    fn grow(&mut self, rows: usize) {
        match self {
            Column::U8(v) => v.resize(v.len() + rows, 0),
            Column::U32(v) => v.resize(v.len() + rows, 0),
            Column::U64(v) => v.resize(v.len() + rows, 0),
            Column::Skip => {}
        }
    }

    fn reserve(&mut self, rows: usize) {
        match self {
            Column::U8(v) => v.reserve(rows),
            Column::U32(v) => v.reserve(rows),
            Column::U64(v) => v.reserve(rows),
            Column::Skip => {}
        }
    }

    /// Splits the last `rows.iter().sum()` rows into consecutive mutable slices.
    fn split_tail(&mut self, rows: &[usize]) -> Vec<Slot<'_>> {
        fn split<'s, T>(v: &'s mut [T], rows: &[usize], wrap: fn(&'s mut [T]) -> Slot<'s>) -> Vec<Slot<'s>> {
            let total: usize = rows.iter().sum();
            let start = v.len() - total;
            let mut rest = &mut v[start..];
            let mut out = Vec::with_capacity(rows.len());
            for &r in rows {
                let (a, b) = rest.split_at_mut(r);
                out.push(wrap(a));
                rest = b;
            }
            out
        }
        match self {
            Column::U8(v) => split(v, rows, Slot::U8),
            Column::U32(v) => split(v, rows, Slot::U32),
            Column::U64(v) => split(v, rows, Slot::U64),
            Column::Skip => rows.iter().map(|_| Slot::Skip).collect(),
        }
    }
}

/// Below this many bytes a chunk is parsed on the calling thread.
const PARALLEL_MIN_BYTES: usize = 1 << 18;

/// Parses a JSON array of unsigned integers (the input must be at its `[`) into `columns`,
/// one row of `columns.len()` numbers at a time. Returns the number of rows parsed.
///
/// `progress.set_done` receives the rows parsed so far; cancellation is checked per chunk.
pub fn parse_rows(
    input: &mut Input,
    array: &'static str,
    columns: &mut [Column<'_>],
    expected_rows: u64,
    progress: &dyn Progress,
) -> KindResult<u64> {
    let stride = columns.len();
    if stride == 0 {
        return Err(ErrorKind::BadHeader(format!("the {array} array has no fields")));
    }
    input.expect(b'[', "'[' to start an array")?;
    reserve_rows(input, columns, expected_rows);
    let mut rows_done: u64 = 0;
    let mut after_comma = false;
    loop {
        if progress.is_cancelled() {
            return Err(ErrorKind::Cancelled);
        }
        let data = input.available();
        let close = memchr::memchr(b']', data);
        let (region_len, rows, last) = match close {
            Some(end) => {
                let region = &data[..end];
                let numbers = if region.iter().all(|&b| is_ws(b)) { 0 } else { count_commas(region) + 1 };
                if numbers == 0 && after_comma {
                    return Err(ErrorKind::Syntax {
                        offset: input.offset() + end as u64,
                        expected: "a number after ','",
                        found: "']'".into(),
                    });
                }
                if numbers % stride != 0 {
                    return Err(ErrorKind::Stride {
                        array,
                        len: rows_done * stride as u64 + numbers as u64,
                        stride,
                    });
                }
                (end, numbers / stride, true)
            }
            None => {
                let commas = count_commas(data);
                let rows = commas / stride;
                if rows == 0 {
                    if !input.fill()? {
                        return Err(truncated(input, array));
                    }
                    continue;
                }
                // Cut just before the comma that ends the last complete row.
                let cut = nth_comma(data, rows * stride - 1);
                (cut, rows, false)
            }
        };
        let base_offset = input.offset();
        let data = &input.available()[..region_len];
        parse_region(data, rows, columns, array, rows_done, base_offset)?;
        rows_done += rows as u64;
        // Consume the region and the comma (or bracket) after it.
        input.consume(region_len + 1);
        progress.set_done(rows_done);
        if last {
            return Ok(rows_done);
        }
        after_comma = true;
        if input.available().is_empty() && !input.fill()? {
            return Err(truncated(input, array));
        }
    }
}

fn truncated(input: &Input, array: &'static str) -> ErrorKind {
    ErrorKind::Truncated { offset: input.offset() + input.available().len() as u64, inside: format!("the {array} array") }
}

fn reserve_rows(input: &Input, columns: &mut [Column<'_>], expected_rows: u64) {
    // Never trust a header count beyond what the input could hold (two bytes per number).
    let stride = columns.len() as u64;
    let bound = input.size_hint().map_or(1 << 26, |size| size / (2 * stride));
    let rows = expected_rows.min(bound) as usize;
    for column in columns.iter_mut() {
        column.reserve(rows.saturating_sub(column.len()));
    }
}

/// Counts `,` bytes (vectorized by the compiler).
#[inline]
fn count_commas(bytes: &[u8]) -> usize {
    bytes.iter().fold(0usize, |n, &b| n + usize::from(b == b','))
}

/// Position of the `n`-th comma (0-based). The caller guarantees there are more than `n`.
fn nth_comma(bytes: &[u8], n: usize) -> usize {
    const BLOCK: usize = 4096;
    let mut seen = 0usize;
    let mut start = 0usize;
    for block in bytes.chunks(BLOCK) {
        let c = count_commas(block);
        if seen + c > n {
            let within = memchr::memchr_iter(b',', block).nth(n - seen).unwrap_or(block.len());
            return start + within;
        }
        seen += c;
        start += block.len();
    }
    bytes.len()
}

/// Parses `rows` complete rows from `data` (numbers separated by commas, no trailing comma)
/// into the tail of `columns`, in parallel when `data` is large.
fn parse_region(
    data: &[u8],
    rows: usize,
    columns: &mut [Column<'_>],
    array: &'static str,
    rows_before: u64,
    base_offset: u64,
) -> KindResult<()> {
    let stride = columns.len();
    for column in columns.iter_mut() {
        column.grow(rows);
    }
    let parts = if data.len() < PARALLEL_MIN_BYTES { 1 } else { (rayon::current_num_threads() * 4).min(rows) };
    // Row-aligned byte ranges of the parts.
    let mut bounds: Vec<(usize, usize, usize)> = Vec::with_capacity(parts); // (start, end, rows)
    if parts <= 1 {
        bounds.push((0, data.len(), rows));
    } else {
        let block = data.len().div_ceil(parts);
        let block_commas: Vec<usize> = data.par_chunks(block).map(count_commas).collect();
        let mut start = 0usize;
        let mut row_start = 0usize;
        for p in 1..parts {
            let row_cut = rows * p / parts;
            if row_cut <= row_start {
                continue;
            }
            // The comma after row `row_cut - 1` is comma number row_cut * stride - 1.
            let target = row_cut * stride - 1;
            let (mut seen, mut b) = (0usize, 0usize);
            while b < block_commas.len() && seen + block_commas[b] <= target {
                seen += block_commas[b];
                b += 1;
            }
            let block_start = b * block;
            let pos = block_start + nth_comma(&data[block_start..], target - seen);
            bounds.push((start, pos, row_cut - row_start));
            start = pos + 1;
            row_start = row_cut;
        }
        bounds.push((start, data.len(), rows - row_start));
    }
    let part_rows: Vec<usize> = bounds.iter().map(|b| b.2).collect();
    let mut per_column: Vec<std::vec::IntoIter<Slot<'_>>> =
        columns.iter_mut().map(|c| c.split_tail(&part_rows).into_iter()).collect();
    let mut jobs = Vec::with_capacity(bounds.len());
    let mut row = rows_before;
    for &(start, end, n) in &bounds {
        let slots: Vec<Slot<'_>> = per_column.iter_mut().map(|it| it.next().unwrap_or(Slot::Skip)).collect();
        jobs.push((start, end, n, row, slots));
        row += n as u64;
    }
    let run = |(start, end, n, first_row, mut slots): (usize, usize, usize, u64, Vec<Slot<'_>>)| {
        parse_part(&data[start..end], n, &mut slots).map_err(|e| {
            let index = first_row * stride as u64 + e.number as u64;
            ErrorKind::BadNumber { array, index, offset: base_offset + (start + e.pos) as u64, reason: e.reason }
        })
    };
    if jobs.len() == 1 {
        jobs.into_iter().try_for_each(run)
    } else {
        jobs.into_par_iter().try_for_each(run)
    }
}

struct PartError {
    /// Index of the number within the part.
    number: usize,
    /// Byte position within the part.
    pos: usize,
    reason: String,
}

/// Parses `rows` rows of `slots.len()` numbers from `bytes`.
fn parse_part(bytes: &[u8], rows: usize, slots: &mut [Slot<'_>]) -> Result<(), PartError> {
    let stride = slots.len();
    let total = rows * stride;
    let mut pos = 0usize;
    let mut number = 0usize;
    for row in 0..rows {
        for slot in slots.iter_mut() {
            let value = parse_number(bytes, &mut pos).map_err(|reason| PartError { number, pos, reason })?;
            match slot {
                Slot::U8(s) => {
                    s[row] = u8::try_from(value)
                        .map_err(|_| PartError { number, pos, reason: format!("{value} does not fit in 8 bits") })?
                }
                Slot::U32(s) => {
                    s[row] = u32::try_from(value)
                        .map_err(|_| PartError { number, pos, reason: format!("{value} does not fit in 32 bits") })?
                }
                Slot::U64(s) => s[row] = value,
                Slot::Skip => {}
            }
            number += 1;
            if number < total {
                skip_separator(bytes, &mut pos).map_err(|reason| PartError { number, pos, reason })?;
            }
        }
    }
    while pos < bytes.len() && is_ws(bytes[pos]) {
        pos += 1;
    }
    if pos < bytes.len() {
        return Err(PartError { number, pos, reason: format!("unexpected {}", describe_byte(bytes[pos])) });
    }
    Ok(())
}

/// Parses one unsigned decimal integer at `pos`, skipping whitespace before it.
#[inline(always)]
fn parse_number(bytes: &[u8], pos: &mut usize) -> Result<u64, String> {
    let mut p = *pos;
    while p < bytes.len() && is_ws(bytes[p]) {
        p += 1;
    }
    let start = p;
    let mut value: u64 = 0;
    while p < bytes.len() {
        let digit = bytes[p].wrapping_sub(b'0');
        if digit > 9 {
            break;
        }
        value = value.wrapping_mul(10).wrapping_add(u64::from(digit));
        p += 1;
    }
    let digits = p - start;
    if digits == 0 || digits > 19 {
        *pos = start;
        return Err(match bytes.get(start) {
            None => "a number is missing".to_string(),
            Some(&b) if digits == 0 => format!("expected an unsigned integer, found {}", describe_byte(b)),
            Some(_) => "the number has more than 19 digits".to_string(),
        });
    }
    *pos = p;
    Ok(value)
}

/// Skips optional whitespace, one comma and the whitespace after it.
#[inline(always)]
fn skip_separator(bytes: &[u8], pos: &mut usize) -> Result<(), String> {
    let mut p = *pos;
    if p < bytes.len() && bytes[p] == b',' {
        *pos = p + 1;
        return Ok(());
    }
    while p < bytes.len() && is_ws(bytes[p]) {
        p += 1;
    }
    match bytes.get(p) {
        Some(b',') => {
            *pos = p + 1;
            Ok(())
        }
        Some(&b) => {
            *pos = p;
            Err(format!("expected ',' between numbers, found {}", describe_byte(b)))
        }
        None => Err("a number is missing".to_string()),
    }
}
