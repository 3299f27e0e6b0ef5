//! Input: format sniffing and the loaders.
//!
//! Formats are recognised by content, never by file name: gzip by its magic bytes (and then
//! the decompressed content is sniffed again), a V8 snapshot by its `{"snapshot":` start, a
//! Python pickle by its protocol opcode.

pub mod input;
pub mod memory;
pub mod tracemalloc;
pub mod v8;

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;
use std::time::Duration;

use crate::error::{Error, ErrorKind, KindResult, Result};
use crate::graph::HeapGraph;
use crate::progress::{PhaseTimer, Progress};
use input::{DEFAULT_CHUNK, Input};

/// The content formats heapscope knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// A V8 `.heapsnapshot` (JSON).
    V8,
    /// A Python pickle, presumably a `tracemalloc` dump.
    Pickle,
}

impl Format {
    /// A human description, used in messages.
    pub fn describe(self) -> &'static str {
        match self {
            Format::V8 => "a V8 heap snapshot",
            Format::Pickle => "a Python pickle (a tracemalloc dump?)",
        }
    }
}

/// What was detected about an input file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Detected {
    /// The content format.
    pub format: Format,
    /// True when the file is gzip-compressed.
    pub gzip: bool,
}

/// Options for a load.
#[derive(Clone, Copy, Debug)]
pub struct LoadOptions {
    /// Bytes made available per chunk.
    pub chunk_size: usize,
    /// Map uncompressed files into memory instead of reading them (faster, no copy).
    pub memory_map: bool,
    /// Refuse snapshots whose estimated memory exceeds what is available (see [`memory`]).
    pub memory_check: bool,
}

impl Default for LoadOptions {
    fn default() -> Self {
        Self { chunk_size: DEFAULT_CHUNK, memory_map: true, memory_check: true }
    }
}

/// A loaded V8 snapshot and how the load went.
#[derive(Debug)]
pub struct V8Load {
    /// The graph.
    pub graph: HeapGraph,
    /// What the file was.
    pub detected: Detected,
    /// Time of each phase, in order.
    pub phases: Vec<(crate::progress::Phase, Duration)>,
}

/// Opens a file and sniffs its format; returns the detected format and an [`Input`] positioned
/// at the start of the (decompressed) content.
pub fn open(path: &Path, options: LoadOptions) -> KindResult<(Detected, Input)> {
    let meta = std::fs::metadata(path)?;
    if meta.is_dir() {
        return Err(ErrorKind::IsDirectory);
    }
    let mut file = File::open(path)?;
    let mut magic = [0u8; 2];
    let got = read_up_to(&mut file, &mut magic)?;
    if got == 0 {
        return Err(ErrorKind::Empty);
    }
    let gzip = got == 2 && magic == [0x1f, 0x8b];
    if !meta.is_file() {
        // A pipe or a device: it cannot seek back or be mapped, so stream it, the bytes already
        // read first.
        let stream = std::io::Cursor::new(magic[..got].to_vec()).chain(file);
        let reader: Box<dyn Read + Send> = if gzip {
            Box::new(flate2::read::MultiGzDecoder::new(BufReader::with_capacity(1 << 20, stream)))
        } else {
            Box::new(stream)
        };
        let mut input = Input::new(reader, options.chunk_size, None);
        let format = sniff(&mut input)?;
        return Ok((Detected { format, gzip }, input));
    }
    let file = reopen(file)?;
    let mut input = if gzip {
        let reader = flate2::read::MultiGzDecoder::new(BufReader::with_capacity(1 << 20, file));
        Input::new(Box::new(reader), options.chunk_size, None)
    } else if options.memory_map {
        // SAFETY: the map is read-only; if another process truncates the file while it is
        // mapped, reads of the lost pages fault (SIGBUS), the documented hazard of every
        // mapped reader. Snapshots are written once and then read.
        let map = unsafe { memmap2::Mmap::map(&file) }?;
        Input::mapped(map, options.chunk_size)
    } else {
        Input::new(Box::new(file), options.chunk_size, Some(meta.len()))
    };
    let format = sniff(&mut input)?;
    Ok((Detected { format, gzip }, input))
}

fn reopen(mut file: File) -> KindResult<File> {
    use std::io::{Seek, SeekFrom};
    file.seek(SeekFrom::Start(0))?;
    Ok(file)
}

fn read_up_to(file: &mut File, buf: &mut [u8]) -> KindResult<usize> {
    let mut n = 0;
    while n < buf.len() {
        match file.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

/// Detects a file's format from its content (after inflating a gzip stream's first bytes).
pub fn detect(path: &Path) -> Result<Detected> {
    let options = LoadOptions { chunk_size: 64 << 10, memory_map: false, memory_check: false };
    open(path, options).map(|(detected, _)| detected).map_err(|kind| Error::new(path, kind))
}

/// Looks at the first bytes of the content.
fn sniff(input: &mut Input) -> KindResult<Format> {
    let available = input.ensure(64)?;
    let head = &input.available()[..available.min(64)];
    if head.is_empty() {
        return Err(ErrorKind::Empty);
    }
    if head[0] == 0x80 && head.len() > 1 && (2..=5).contains(&head[1]) {
        return Ok(Format::Pickle);
    }
    let text: Vec<u8> = head.iter().copied().filter(|b| !input::is_ws(*b)).collect();
    if text.starts_with(b"{\"snapshot\"")
        || text == b"{"
        || text.starts_with(b"{\"") && is_prefix_of_snapshot_key(&text)
    {
        return Ok(Format::V8);
    }
    if text.starts_with(b"{") || text.starts_with(b"[") {
        return Err(ErrorKind::UnknownFormat("a JSON document without a \"snapshot\" header".into()));
    }
    let preview: String = head
        .iter()
        .take(16)
        .map(|&b| if b.is_ascii_graphic() || b == b' ' { (b as char).to_string() } else { format!("\\x{b:02x}") })
        .collect();
    Err(ErrorKind::UnknownFormat(format!("it starts with \"{preview}\"")))
}

/// True for a start like `{"snap` that a very short (truncated) file may have.
fn is_prefix_of_snapshot_key(text: &[u8]) -> bool {
    let key = b"{\"snapshot\"";
    text.len() < key.len() && key.starts_with(text)
}

/// Loads a V8 heap snapshot file (plain or gzip-compressed).
pub fn load_v8_file(path: &Path, options: LoadOptions, progress: &dyn Progress) -> Result<V8Load> {
    let timer = PhaseTimer::new(progress);
    let wrap = |kind| Error::new(path, kind);
    timer.phase(crate::progress::Phase::Read, 0);
    let (detected, mut input) = open(path, options).map_err(wrap)?;
    require_v8(detected.format).map_err(wrap)?;
    let graph = v8::load(&mut input, &timer, options.memory_check).map_err(wrap)?;
    Ok(V8Load { graph, detected, phases: timer.finish() })
}

/// Loads a V8 heap snapshot from bytes in memory (plain or gzip-compressed).
pub fn load_v8_bytes(bytes: Vec<u8>, name: &str, options: LoadOptions, progress: &dyn Progress) -> Result<HeapGraph> {
    let wrap = |kind| Error::new(name, kind);
    if bytes.is_empty() {
        return Err(wrap(ErrorKind::Empty));
    }
    let size = bytes.len() as u64;
    // The size of compressed bytes says nothing about the content's size.
    let (reader, size_hint): (Box<dyn Read + Send>, Option<u64>) = if bytes.starts_with(&[0x1f, 0x8b]) {
        (Box::new(flate2::read::MultiGzDecoder::new(std::io::Cursor::new(bytes))), None)
    } else {
        (Box::new(std::io::Cursor::new(bytes)), Some(size))
    };
    let mut input = Input::new(reader, options.chunk_size, size_hint);
    require_v8(sniff(&mut input).map_err(wrap)?).map_err(wrap)?;
    v8::load(&mut input, progress, options.memory_check).map_err(wrap)
}

/// Refuses content that is not a V8 snapshot, saying what it is.
fn require_v8(format: Format) -> KindResult<()> {
    if format == Format::V8 {
        Ok(())
    } else {
        Err(ErrorKind::WrongFormat { expected: Format::V8.describe(), found: format.describe() })
    }
}
