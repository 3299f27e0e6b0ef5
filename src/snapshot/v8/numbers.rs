//! Parallel parsing of the flat numeric arrays (`nodes`, `edges`, `locations`, ...) into
//! typed columns.
//!
//! Each chunk of input is cut at a row boundary (found by counting commas, which vectorizes),
//! split into row-aligned parts, and the parts are parsed on the rayon pool straight into
//! disjoint slices of the destination columns.

use std::mem::MaybeUninit;
use std::sync::Mutex;

use rayon::prelude::*;

use super::canonical::{eight_digits, parse_canonical};
use crate::error::{ErrorKind, KindResult};
use crate::graph::offsets_to_ordinals;
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
    /// A 32-bit column for values that are nearly always small: a value of `u32::MAX` or more
    /// is stored as `u32::MAX` and listed, with its row, in the second vector (in row order).
    U32Wide(&'a mut Vec<u32>, &'a mut Vec<(u64, u64)>),
    /// A field that is parsed and dropped.
    Skip,
}

/// A column of `to_node` offsets that is turned into node ordinals part by part, while the
/// part is still in cache, instead of in one more pass over the whole column.
pub struct Ordinals {
    /// The column's position in a row.
    column: usize,
    /// The node field count the offsets are multiples of.
    node_field_count: usize,
    /// How many nodes the offsets may name.
    node_count: usize,
    /// The first offset that names no node: (row, offset). Reported by the caller once the
    /// whole array is read, so a damaged array's own error (a bad stride, a missing row) wins.
    first_bad: Mutex<Option<(u64, u32)>>,
}

impl Ordinals {
    /// Converts column `column`, with `node_field_count` fields per node and `node_count` nodes.
    pub fn new(column: usize, node_field_count: usize, node_count: usize) -> Self {
        Self { column, node_field_count, node_count, first_bad: Mutex::new(None) }
    }

    /// The first offset that named no node, as (row, offset).
    pub fn first_bad(&self) -> Option<(u64, u32)> {
        *self.first_bad.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Converts one parsed part whose first row is `first_row`.
    fn convert(&self, slots: &mut [Slot<'_>], first_row: u64) {
        let Some(Slot::U32(values)) = slots.get_mut(self.column) else { return };
        // SAFETY: the part was parsed, and a successful parse writes every row of the part.
        let values = unsafe { &mut *(std::ptr::from_mut::<[MaybeUninit<u32>]>(*values) as *mut [u32]) };
        if let Err((row, offset)) = offsets_to_ordinals(values, self.node_field_count, self.node_count) {
            let row = first_row + row as u64;
            let mut first = self.first_bad.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            if first.is_none_or(|(r, _)| row < r) {
                *first = Some((row, offset));
            }
        }
    }
}

/// The uninitialised tail of one column, for one part of a region.
pub(super) enum Slot<'a> {
    U8(&'a mut [MaybeUninit<u8>]),
    U32(&'a mut [MaybeUninit<u32>]),
    U64(&'a mut [MaybeUninit<u64>]),
    /// The values, and the part's wide values as (row within the part, value).
    U32Wide(&'a mut [MaybeUninit<u32>], Vec<(usize, u64)>),
    Skip,
}

impl Column<'_> {
    fn len(&self) -> usize {
        match self {
            Column::U8(v) => v.len(),
            Column::U32(v) => v.len(),
            Column::U64(v) => v.len(),
            Column::U32Wide(v, _) => v.len(),
            Column::Skip => 0,
        }
    }

    fn reserve(&mut self, rows: usize) {
        fn grow<T>(v: &mut Vec<T>, rows: usize) {
            if v.capacity() - v.len() >= rows {
                return;
            }
            v.reserve_exact(rows);
        }
        match self {
            Column::U8(v) => grow(v, rows),
            Column::U32(v) => grow(v, rows),
            Column::U64(v) => grow(v, rows),
            Column::U32Wide(v, _) => grow(v, rows),
            Column::Skip => {}
        }
    }

    /// Splits the first `rows.iter().sum()` elements of the spare capacity into consecutive
    /// slices (the caller reserved them).
    fn split_spare(&mut self, rows: &[usize]) -> Vec<Slot<'_>> {
        fn split<'s, T>(
            spare: &'s mut [MaybeUninit<T>],
            rows: &[usize],
            wrap: fn(&'s mut [MaybeUninit<T>]) -> Slot<'s>,
        ) -> Vec<Slot<'s>> {
            let mut rest = spare;
            let mut out = Vec::with_capacity(rows.len());
            for &r in rows {
                let (a, b) = rest.split_at_mut(r);
                out.push(wrap(a));
                rest = b;
            }
            out
        }
        match self {
            Column::U8(v) => split(v.spare_capacity_mut(), rows, Slot::U8),
            Column::U32(v) => split(v.spare_capacity_mut(), rows, Slot::U32),
            Column::U64(v) => split(v.spare_capacity_mut(), rows, Slot::U64),
            Column::U32Wide(v, _) => split(v.spare_capacity_mut(), rows, |s| Slot::U32Wide(s, Vec::new())),
            Column::Skip => rows.iter().map(|_| Slot::Skip).collect(),
        }
    }

    /// Marks `rows` more elements as initialised.
    ///
    /// # Safety
    /// The first `rows` elements of the spare capacity must have been written.
    unsafe fn commit(&mut self, rows: usize) {
        // SAFETY: guaranteed by the caller; `reserve` made the capacity.
        unsafe {
            match self {
                Column::U8(v) => v.set_len(v.len() + rows),
                Column::U32(v) => v.set_len(v.len() + rows),
                Column::U64(v) => v.set_len(v.len() + rows),
                Column::U32Wide(v, _) => v.set_len(v.len() + rows),
                Column::Skip => {}
            }
        }
    }
}

/// Below this many bytes a region is handled on the calling thread.
const PARALLEL_MIN_BYTES: usize = 1 << 18;

/// Comma counts of equal-sized blocks of a byte range, counted in parallel.
struct BlockCounts {
    block: usize,
    counts: Vec<usize>,
}

impl BlockCounts {
    /// Finds the first `]` in `data` and counts the commas before it (or in all of `data`
    /// when there is none), in parallel blocks: this pass is the first to touch each newly
    /// read part of the input, so it should not run on one thread.
    fn scan(data: &[u8]) -> (Option<usize>, Self) {
        let parts = if data.len() < PARALLEL_MIN_BYTES { 1 } else { rayon::current_num_threads() * 4 };
        let block = data.len().div_ceil(parts).max(1);
        let per_block: Vec<(usize, Option<usize>)> = if parts == 1 {
            vec![commas_until_bracket(data)]
        } else {
            data.par_chunks(block).map(commas_until_bracket).collect()
        };
        let close = per_block.iter().enumerate().find_map(|(b, &(_, at))| at.map(|at| b * block + at));
        // Blocks after the one with the bracket are out of scope.
        let in_scope = per_block.iter().position(|&(_, at)| at.is_some()).map_or(per_block.len(), |b| b + 1);
        let counts = per_block[..in_scope].iter().map(|&(count, _)| count).collect();
        (close, Self { block, counts })
    }

    fn total(&self) -> usize {
        self.counts.iter().sum()
    }

    /// Position of comma number `n` (0-based); the caller guarantees it exists.
    fn position_of(&self, data: &[u8], n: usize) -> usize {
        let (mut seen, mut b) = (0usize, 0usize);
        while b < self.counts.len() && seen + self.counts[b] <= n {
            seen += self.counts[b];
            b += 1;
        }
        let start = b * self.block;
        start + nth_comma(&data[start..], n - seen)
    }
}

/// Parses a JSON array of unsigned integers (the input must be at its `[`) into `columns`,
/// one row of `columns.len()` numbers at a time. Returns the number of rows parsed.
///
/// `progress.set_done` receives the rows parsed so far; cancellation is checked per chunk.
pub fn parse_rows(
    input: &mut Input,
    array: &'static str,
    columns: &mut [Column<'_>],
    expected_rows: u64,
    ordinals: Option<&Ordinals>,
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
        let available = data.len();
        let (close, counts) = BlockCounts::scan(data);
        let scope = &data[..close.unwrap_or(data.len())];
        let commas = counts.total();
        let (region_len, rows, last) = match close {
            Some(end) => {
                let blank = commas == 0 && scope.iter().all(|&b| is_ws(b));
                let numbers = if blank { 0 } else { commas + 1 };
                let trailing_comma = scope.iter().rev().find(|&&b| !is_ws(b)) == Some(&b',');
                if (numbers == 0 && after_comma) || trailing_comma {
                    return Err(ErrorKind::Syntax {
                        offset: input.offset() + end as u64,
                        expected: "a number after ','",
                        found: "']'".into(),
                    });
                }
                if numbers % stride != 0 {
                    return Err(ErrorKind::Stride { array, len: rows_done * stride as u64 + numbers as u64, stride });
                }
                (end, numbers / stride, true)
            }
            None => {
                let rows = commas / stride;
                if rows == 0 {
                    // No complete row yet: read at least as much again before the next scan, so
                    // a long stretch without commas is scanned a bounded number of times.
                    if input.ensure(available.saturating_mul(2).max(available + 1))? <= available {
                        return Err(truncated(input, array));
                    }
                    continue;
                }
                // Cut just before the comma that ends the last complete row.
                (counts.position_of(scope, rows * stride - 1), rows, false)
            }
        };
        let base_offset = input.offset();
        let data = &input.available()[..region_len];
        let region = Region { array, rows_before: rows_done, base_offset };
        parse_region(data, &counts, rows, columns, region, ordinals)?;
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
    ErrorKind::Truncated {
        offset: input.offset() + input.available().len() as u64,
        inside: format!("the {array} array"),
    }
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

/// Counts `,` bytes, 255 at a time so the compiler can use byte-wide vector lanes.
#[inline]
fn count_commas(bytes: &[u8]) -> usize {
    bytes.chunks(255).map(|c| usize::from(c.iter().fold(0u8, |n, &b| n.wrapping_add(u8::from(b == b','))))).sum()
}

/// The commas before the first `]` of `bytes`, and where that `]` is.
fn commas_until_bracket(bytes: &[u8]) -> (usize, Option<usize>) {
    let mut commas = 0;
    for (i, chunk) in bytes.chunks(255).enumerate() {
        let (count, bracket) =
            chunk.iter().fold((0u8, false), |(n, seen), &b| (n.wrapping_add(u8::from(b == b',')), seen | (b == b']')));
        if bracket {
            let at = memchr::memchr(b']', chunk).unwrap_or(chunk.len());
            return (commas + count_commas(&chunk[..at]), Some(i * 255 + at));
        }
        commas += usize::from(count);
    }
    (commas, None)
}

/// Position of the `n`-th comma (0-based), or `bytes.len()` if there are not that many.
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

/// Where a region is: for error messages and the rows' numbers.
struct Region {
    /// The array's name.
    array: &'static str,
    /// Rows of the array before the region.
    rows_before: u64,
    /// The region's byte offset in the input.
    base_offset: u64,
}

/// Parses `rows` complete rows from `data` (numbers separated by commas, no trailing comma)
/// into the tail of `columns`, in parallel when `data` is large. `counts` are the comma counts
/// of `data`'s blocks (blocks may extend past `data`; only earlier commas are looked up).
fn parse_region(
    data: &[u8],
    counts: &BlockCounts,
    rows: usize,
    columns: &mut [Column<'_>],
    Region { array, rows_before, base_offset }: Region,
    ordinals: Option<&Ordinals>,
) -> KindResult<()> {
    let stride = columns.len();
    for column in columns.iter_mut() {
        column.reserve(rows);
    }
    let parts = if data.len() < PARALLEL_MIN_BYTES { 1 } else { (rayon::current_num_threads() * 4).min(rows) };
    // Row-aligned byte ranges of the parts: (start, end, rows).
    let mut bounds: Vec<(usize, usize, usize)> = Vec::with_capacity(parts);
    let mut start = 0usize;
    let mut row_start = 0usize;
    for p in 1..parts {
        let row_cut = rows * p / parts;
        if row_cut <= row_start {
            continue;
        }
        // The comma after row `row_cut - 1` is comma number `row_cut * stride - 1`.
        let pos = counts.position_of(data, row_cut * stride - 1);
        bounds.push((start, pos, row_cut - row_start));
        start = pos + 1;
        row_start = row_cut;
    }
    bounds.push((start, data.len(), rows - row_start));
    let part_rows: Vec<usize> = bounds.iter().map(|b| b.2).collect();
    let mut per_column: Vec<std::vec::IntoIter<Slot<'_>>> =
        columns.iter_mut().map(|c| c.split_spare(&part_rows).into_iter()).collect();
    let mut jobs = Vec::with_capacity(bounds.len());
    let mut row = rows_before;
    for &(start, end, n) in &bounds {
        let slots: Vec<Slot<'_>> = per_column.iter_mut().map(|it| it.next().unwrap_or(Slot::Skip)).collect();
        jobs.push((start, end, n, row, slots));
        row += n as u64;
    }
    // Each part returns its wide values as (column, row, value).
    let run = |(start, end, n, first_row, mut slots): (usize, usize, usize, u64, Vec<Slot<'_>>)| {
        let part = &data[start..end];
        if !parse_canonical(part, n, &mut slots) {
            // Not in V8's own layout, or bad: the exact parser writes every slot again.
            for slot in &mut slots {
                if let Slot::U32Wide(_, wide) = slot {
                    wide.clear();
                }
            }
            parse_part(part, n, &mut slots).map_err(|e| {
                let index = first_row * stride as u64 + e.number as u64;
                ErrorKind::BadNumber { array, index, offset: base_offset + (start + e.pos) as u64, reason: e.reason }
            })?;
        }
        if let Some(ordinals) = ordinals {
            ordinals.convert(&mut slots, first_row);
        }
        let mut wide: Vec<(usize, u64, u64)> = Vec::new();
        for (column, slot) in slots.into_iter().enumerate() {
            if let Slot::U32Wide(_, values) = slot {
                wide.extend(values.into_iter().map(|(row, value)| (column, first_row + row as u64, value)));
            }
        }
        Ok::<_, ErrorKind>(wide)
    };
    let wide: Vec<Vec<(usize, u64, u64)>> = if jobs.len() == 1 {
        jobs.into_iter().map(run).collect::<KindResult<_>>()?
    } else {
        jobs.into_par_iter().map(run).collect::<KindResult<_>>()?
    };
    drop(per_column);
    for column in columns.iter_mut() {
        // SAFETY: every part succeeded, and a successful `parse_part` writes every slot of
        // each of its rows; the parts' rows tile the first `rows` spare elements.
        unsafe { column.commit(rows) };
    }
    // Parts are in row order, so each list stays in row order.
    for (column, row, value) in wide.into_iter().flatten() {
        if let Some(Column::U32Wide(_, list)) = columns.get_mut(column) {
            list.push((row, value));
        }
    }
    Ok(())
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
            let start = pos;
            let value = match parse_number_and_comma(bytes, pos) {
                Some((value, next)) if number + 1 < total => {
                    pos = next;
                    value
                }
                _ => parse_number(bytes, &mut pos).map_err(|reason| PartError { number, pos, reason })?,
            };
            match slot {
                Slot::U8(s) => {
                    s[row].write(u8::try_from(value).map_err(|_| PartError {
                        number,
                        pos: first_digit(bytes, start),
                        reason: format!("{value} does not fit in 8 bits"),
                    })?);
                }
                Slot::U32(s) => {
                    s[row].write(u32::try_from(value).map_err(|_| PartError {
                        number,
                        pos: first_digit(bytes, start),
                        reason: format!("{value} does not fit in 32 bits"),
                    })?);
                }
                Slot::U64(s) => {
                    s[row].write(value);
                }
                Slot::U32Wide(s, wide) => match u32::try_from(value) {
                    Ok(small) if small != u32::MAX => {
                        s[row].write(small);
                    }
                    _ => {
                        s[row].write(u32::MAX);
                        wide.push((row, value));
                    }
                },
                Slot::Skip => {}
            }
            if number + 1 < total && bytes.get(pos.wrapping_sub(1)) != Some(&b',') {
                skip_separator(bytes, &mut pos).map_err(|reason| PartError { number, pos, reason })?;
            }
            number += 1;
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

/// The position of the first non-whitespace byte at or after `pos`.
fn first_digit(bytes: &[u8], pos: usize) -> usize {
    pos + bytes.get(pos..).map_or(0, |rest| rest.iter().take_while(|&&b| is_ws(b)).count())
}

/// The fast path: up to 7 digits at `pos` followed by `,` or by `\n,` (V8 ends every row
/// with a newline), read as one 8-byte word. Returns the value and the position after the
/// comma.
#[inline(always)]
fn parse_number_and_comma(bytes: &[u8], pos: usize) -> Option<(u64, usize)> {
    let word = bytes.get(pos..pos + 8)?;
    let word = u64::from_le_bytes([word[0], word[1], word[2], word[3], word[4], word[5], word[6], word[7]]);
    let digits = leading_digits(word);
    if digits == 0 || digits == 8 {
        return None;
    }
    let after = (word >> (8 * digits)) as u16;
    let separator = if after as u8 == b',' {
        1
    } else if digits <= 6 && after == u16::from_le_bytes([b'\n', b',']) {
        2
    } else {
        return None;
    };
    Some((eight_digits(word << (8 * (8 - digits))), pos + digits + separator))
}

/// Parses one unsigned decimal integer at `pos`, skipping whitespace before it.
#[inline(always)]
fn parse_number(bytes: &[u8], pos: &mut usize) -> Result<u64, String> {
    let p = *pos;
    if let Some(word) = bytes.get(p..p + 8) {
        let word = u64::from_le_bytes([word[0], word[1], word[2], word[3], word[4], word[5], word[6], word[7]]);
        let digits = leading_digits(word);
        if digits > 0 && (digits < 8 || !bytes.get(p + 8).is_some_and(u8::is_ascii_digit)) {
            *pos = p + digits;
            return Ok(eight_digits(word << (8 * (8 - digits))));
        }
    }
    parse_number_slow(bytes, pos)
}

/// How many of the 8 bytes of `word` (first byte lowest) are ASCII digits before the first
/// non-digit.
#[inline(always)]
fn leading_digits(word: u64) -> usize {
    const LANES: u64 = 0x0101_0101_0101_0101;
    let high = word & (0xF0 * LANES);
    let shifted = word.wrapping_add(0x06 * LANES) & (0xF0 * LANES);
    // Per byte: zero iff the byte is '0'..='9'. Only high nibbles can be set.
    let diff = (high ^ (0x30 * LANES)) | (shifted ^ (0x30 * LANES));
    let flags = ((diff >> 4) + 0x7F * LANES) & (0x80 * LANES);
    (flags.trailing_zeros() / 8) as usize
}

/// Byte-at-a-time parsing for long numbers, numbers near the end of a part and whitespace.
fn parse_number_slow(bytes: &[u8], pos: &mut usize) -> Result<u64, String> {
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
