//! Python `tracemalloc` dumps (`Snapshot.dump`): a pickle of a `tracemalloc.Snapshot`.
//!
//! The file is read whole (gzip-compressed dumps are inflated first) and run through a
//! restricted pickle machine ([`machine`]) that executes nothing and accepts only what a dump
//! contains. Every trace layout CPython has written loads: `(size, frames)` (3.4-3.5),
//! `(domain, size, frames)` (3.6-3.8) and `(domain, size, frames, total_nframe)` (3.9+).

mod machine;

use std::io::Read;
use std::path::Path;
use std::time::Duration;

use machine::{Class, ListItems, Machine, Value};

use crate::error::{Error, ErrorKind, KindResult, Result};
use crate::progress::{Phase, PhaseTimer, Progress};
use crate::traces::{AllocationTraces, TraceLayout};

/// A loaded tracemalloc dump and how the load went.
#[derive(Debug)]
pub struct TracemallocLoad {
    /// The traces.
    pub traces: AllocationTraces,
    /// True when the file was gzip-compressed.
    pub gzip: bool,
    /// Bytes of pickle (after decompression).
    pub pickle_bytes: u64,
    /// Time of each phase, in order.
    pub phases: Vec<(Phase, Duration)>,
}

/// A dump's bytes: mapped (a regular file) or read (a pipe).
enum Bytes {
    Mapped(memmap2::Mmap),
    Read(Vec<u8>),
}

/// Loads a tracemalloc dump file (plain or gzip-compressed).
pub fn load_file(path: &Path, progress: &dyn Progress) -> Result<TracemallocLoad> {
    let wrap = |kind| Error::new(path, kind);
    let timer = PhaseTimer::new(progress);
    timer.phase(Phase::Read, 0);
    let meta = std::fs::metadata(path).map_err(|e| wrap(e.into()))?;
    if meta.is_dir() {
        return Err(wrap(ErrorKind::IsDirectory));
    }
    let bytes: Bytes = if meta.is_file() {
        let file = std::fs::File::open(path).map_err(|e| wrap(e.into()))?;
        if meta.len() == 0 {
            return Err(wrap(ErrorKind::Empty));
        }
        // SAFETY: the map is read-only; a file truncated by another process while it is mapped
        // makes reads of the lost pages fault, the documented hazard of every mapped reader.
        Bytes::Mapped(unsafe { memmap2::Mmap::map(&file) }.map_err(|e| wrap(e.into()))?)
    } else {
        // A pipe or a device: read it through.
        Bytes::Read(std::fs::read(path).map_err(|e| wrap(e.into()))?)
    };
    let raw: &[u8] = match &bytes {
        Bytes::Mapped(map) => map,
        Bytes::Read(data) => data,
    };
    let gzip = raw.starts_with(&[0x1f, 0x8b]);
    let (traces, pickle_bytes) = if gzip {
        let data = inflate(raw, &timer).map_err(wrap)?;
        (load_pickle(&data, &timer).map_err(wrap)?, data.len())
    } else {
        (load_pickle(raw, &timer).map_err(wrap)?, raw.len())
    };
    Ok(TracemallocLoad { traces, gzip, pickle_bytes: pickle_bytes as u64, phases: timer.finish() })
}

/// Loads a tracemalloc dump held in memory (plain or gzip-compressed); `name` names it in errors.
pub fn load_bytes(bytes: &[u8], name: &str, progress: &dyn Progress) -> Result<AllocationTraces> {
    let wrap = |kind| Error::new(name, kind);
    if bytes.starts_with(&[0x1f, 0x8b]) {
        let data = inflate(bytes, progress).map_err(wrap)?;
        load_pickle(&data, progress).map_err(wrap)
    } else {
        load_pickle(bytes, progress).map_err(wrap)
    }
}

fn inflate(compressed: &[u8], progress: &dyn Progress) -> KindResult<Vec<u8>> {
    let mut decoder = flate2::read::MultiGzDecoder::new(compressed);
    let mut out = Vec::with_capacity(compressed.len().saturating_mul(4));
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = decoder.read(&mut buf).map_err(|e| ErrorKind::Gzip(e.to_string()))?;
        if n == 0 {
            return Ok(out);
        }
        out.extend_from_slice(&buf[..n]);
        if progress.is_cancelled() {
            return Err(ErrorKind::Cancelled);
        }
    }
}

/// Runs the pickle and turns its result into columns.
fn load_pickle(data: &[u8], progress: &dyn Progress) -> KindResult<AllocationTraces> {
    if data.is_empty() {
        return Err(ErrorKind::Empty);
    }
    if data[0] != 0x80 {
        return Err(ErrorKind::NotTracemalloc("the file does not start with a pickle protocol marker".into()));
    }
    progress.phase(Phase::Traces, data.len() as u64);
    let mut machine = Machine::new();
    let top = machine.run(data, progress)?;
    progress.set_done(data.len() as u64);
    extract(machine, top)
}

fn not_dump(reason: impl Into<String>) -> ErrorKind {
    ErrorKind::NotTracemalloc(reason.into())
}

/// Checks that `top` is a `Snapshot` and takes its traces.
fn extract(mut machine: Machine, top: Value) -> KindResult<AllocationTraces> {
    let snapshot_state = match top {
        Value::Object(o) => match machine.objects[o as usize] {
            (Class::Snapshot, Some(Value::Dict(dict))) => dict,
            (Class::Snapshot, _) => return Err(not_dump("the tracemalloc.Snapshot has no attributes")),
            (class, _) => {
                return Err(not_dump(format!("the pickle holds a {}, not a tracemalloc.Snapshot", class.name())));
            }
        },
        other => {
            return Err(not_dump(format!("the pickle holds {}, not a tracemalloc.Snapshot", machine.describe(other))));
        }
    };
    let traces = machine
        .dict_get(snapshot_state, "traces")
        .ok_or_else(|| not_dump("the tracemalloc.Snapshot has no traces attribute"))?;
    let list = match traces {
        Value::Object(o) => match machine.objects[o as usize] {
            (Class::Traces, Some(Value::Dict(dict))) => machine.dict_get(dict, "_traces"),
            _ => None,
        },
        Value::List(list) => Some(Value::List(list)),
        _ => None,
    };
    let Some(Value::List(list)) = list else {
        return Err(not_dump("Snapshot.traces is not a tracemalloc._Traces holding a list of traces"));
    };
    let limit = machine
        .dict_get(snapshot_state, "traceback_limit")
        .and_then(|v| machine.int_value(v))
        .and_then(|v| i64::try_from(v).ok())
        .ok_or_else(|| not_dump("the tracemalloc.Snapshot has no integer traceback_limit"))?;

    let rows: Vec<u32> = match std::mem::take(&mut machine.lists[list as usize]) {
        ListItems::Traces(range) => range.collect(),
        ListItems::Values(items) => {
            let mut rows = Vec::with_capacity(items.len());
            for (index, item) in items.iter().enumerate() {
                match *item {
                    Value::Trace(row) => rows.push(row),
                    other => {
                        return Err(not_dump(format!(
                            "trace {index} is {}, not a (domain, size, frames, total_nframe) tuple of ints and frames",
                            machine.describe(other)
                        )));
                    }
                }
            }
            rows
        }
    };
    let columns = std::mem::take(&mut machine.traces);
    let in_order = rows.len() == columns.size.len() && rows.iter().enumerate().all(|(i, &r)| r as usize == i);
    let layout = columns.layout.unwrap_or(TraceLayout::DomainSizeFramesTotal);
    let (domain, size, traceback, total_nframe) = if in_order {
        (columns.domain, columns.size, columns.traceback, columns.total_nframe)
    } else {
        let pick = |i: &u32| *i as usize;
        (
            rows.iter().map(|i| columns.domain[pick(i)]).collect(),
            rows.iter().map(|i| columns.size[pick(i)]).collect(),
            rows.iter().map(|i| columns.traceback[pick(i)]).collect(),
            rows.iter().map(|i| columns.total_nframe[pick(i)]).collect(),
        )
    };
    let mut table = std::mem::take(&mut machine.table);
    table.files.shrink_to_fit();
    table.frame_file.shrink_to_fit();
    table.frame_line.shrink_to_fit();
    table.traceback_start.shrink_to_fit();
    table.traceback_frames.shrink_to_fit();
    Ok(AllocationTraces { table, domain, size, traceback, total_nframe, traceback_limit: limit, layout })
}
