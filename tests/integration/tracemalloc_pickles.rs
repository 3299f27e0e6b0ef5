//! The tracemalloc loader on hand-built pickles: every trace layout CPython wrote, protocols 2 to
//! 5, shared tracebacks, ints of every width, `None` file names; and the refusals: foreign
//! globals, code-running opcodes, other pickles, truncated and broken files.

use std::collections::HashMap;
use std::io::Write as _;

use heapscope::NoProgress;
use heapscope::snapshot::tracemalloc::{load_bytes, load_file};
use heapscope::traces::stats::{EMPTY_KEY, Grouping, KeyType, statistics};
use heapscope::traces::{AllocationTraces, NO_FILE, TraceLayout};

use crate::common::{gzip, sample};

const NAME: &str = "test.tracemalloc";

/// One trace as a test writes it: `(domain, size, frames most recent first, total_nframe)`.
#[derive(Clone, Debug)]
struct Trace {
    domain: i128,
    size: i128,
    frames: Vec<(Option<&'static str>, i64)>,
    total: i128,
}

fn trace(domain: i128, size: i128, frames: &[(&'static str, i64)]) -> Trace {
    let frames: Vec<_> = frames.iter().map(|&(f, l)| (Some(f), l)).collect();
    Trace { domain, size, total: frames.len() as i128, frames }
}

/// Writes pickles the way CPython's pickler does for a `tracemalloc.Snapshot`.
struct PickleWriter {
    out: Vec<u8>,
    protocol: u8,
    memo_len: u32,
    strings: HashMap<String, u32>,
    tracebacks: HashMap<Vec<(Option<&'static str>, i64)>, u32>,
}

impl PickleWriter {
    fn new(protocol: u8) -> Self {
        let mut out = vec![0x80, protocol];
        if protocol >= 4 {
            out.push(0x95);
            out.extend_from_slice(&0u64.to_le_bytes());
        }
        Self { out, protocol, memo_len: 0, strings: HashMap::new(), tracebacks: HashMap::new() }
    }

    fn op(&mut self, op: u8) {
        self.out.push(op);
    }

    fn memoize(&mut self) -> u32 {
        let index = self.memo_len;
        self.memo_len += 1;
        if self.protocol >= 4 {
            self.op(0x94);
        } else if index < 256 {
            self.out.extend_from_slice(&[b'q', index as u8]);
        } else {
            self.op(b'r');
            self.out.extend_from_slice(&index.to_le_bytes());
        }
        index
    }

    fn get(&mut self, index: u32) {
        if index < 256 {
            self.out.extend_from_slice(&[b'h', index as u8]);
        } else {
            self.op(b'j');
            self.out.extend_from_slice(&index.to_le_bytes());
        }
    }

    fn string(&mut self, s: &str) {
        if let Some(&index) = self.strings.get(s) {
            return self.get(index);
        }
        if self.protocol >= 4 && s.len() < 256 {
            self.out.extend_from_slice(&[0x8c, s.len() as u8]);
        } else {
            self.op(b'X');
            self.out.extend_from_slice(&(s.len() as u32).to_le_bytes());
        }
        self.out.extend_from_slice(s.as_bytes());
        let index = self.memoize();
        self.strings.insert(s.to_string(), index);
    }

    fn int(&mut self, v: i128) {
        if (0..256).contains(&v) {
            self.out.extend_from_slice(&[b'K', v as u8]);
        } else if (0..65536).contains(&v) {
            self.op(b'M');
            self.out.extend_from_slice(&(v as u16).to_le_bytes());
        } else if i32::try_from(v).is_ok() {
            self.op(b'J');
            self.out.extend_from_slice(&(v as i32).to_le_bytes());
        } else {
            // LONG1: minimal little-endian two's complement.
            let bytes = v.to_le_bytes();
            let mut len = 16;
            while len > 1 {
                let (top, next) = (bytes[len - 1], bytes[len - 2]);
                if (top == 0 && next & 0x80 == 0) || (top == 0xff && next & 0x80 != 0) {
                    len -= 1;
                } else {
                    break;
                }
            }
            self.out.extend_from_slice(&[0x8a, len as u8]);
            self.out.extend_from_slice(&bytes[..len]);
        }
    }

    fn global(&mut self, module: &str, name: &str) {
        if self.protocol >= 4 {
            self.string(module);
            self.string(name);
            self.op(0x93);
        } else {
            self.op(b'c');
            self.out.extend_from_slice(format!("{module}\n{name}\n").as_bytes());
        }
        self.memoize();
    }

    fn tuple(&mut self, n: usize, body: impl FnOnce(&mut Self)) {
        if n > 3 {
            self.op(b'(');
        }
        body(self);
        self.op(match n {
            0 => b')',
            1 => 0x85,
            2 => 0x86,
            3 => 0x87,
            _ => b't',
        });
        self.memoize();
    }

    fn traceback(&mut self, frames: &[(Option<&'static str>, i64)]) {
        if let Some(&index) = self.tracebacks.get(frames) {
            return self.get(index);
        }
        if frames.is_empty() {
            self.op(b')');
            return;
        }
        self.tuple(frames.len(), |w| {
            for &(file, line) in frames {
                w.tuple(2, |w| {
                    match file {
                        Some(file) => w.string(file),
                        None => w.op(b'N'),
                    }
                    w.int(i128::from(line));
                });
            }
        });
        self.tracebacks.insert(frames.to_vec(), self.memo_len - 1);
    }

    fn trace(&mut self, layout: TraceLayout, t: &Trace) {
        let n = match layout {
            TraceLayout::SizeFrames => 2,
            TraceLayout::DomainSizeFrames => 3,
            TraceLayout::DomainSizeFramesTotal => 4,
        };
        self.tuple(n, |w| {
            if n >= 3 {
                w.int(t.domain);
            }
            w.int(t.size);
            w.traceback(&t.frames);
            if n == 4 {
                w.int(t.total);
            }
        });
    }

    /// A whole dump: `Snapshot` holding `_Traces` holding the list.
    fn snapshot(protocol: u8, layout: TraceLayout, traces: &[Trace], limit: i128) -> Vec<u8> {
        let mut w = PickleWriter::new(protocol);
        w.global("tracemalloc", "Snapshot");
        w.op(b')');
        w.op(0x81);
        w.memoize();
        w.op(b'}');
        w.memoize();
        w.op(b'(');
        w.string("traces");
        w.global("tracemalloc", "_Traces");
        w.op(b')');
        w.op(0x81);
        w.memoize();
        w.op(b'}');
        w.memoize();
        w.string("_traces");
        w.op(b']');
        w.memoize();
        for batch in traces.chunks(1000) {
            if batch.len() == 1 {
                w.trace(layout, &batch[0]);
                w.op(b'a');
            } else {
                w.op(b'(');
                for t in batch {
                    w.trace(layout, t);
                }
                w.op(b'e');
            }
        }
        w.op(b's');
        w.op(b'b');
        w.string("traceback_limit");
        w.int(limit);
        w.op(b'u');
        w.op(b'b');
        w.op(b'.');
        w.out
    }
}

fn load(bytes: &[u8]) -> Result<AllocationTraces, String> {
    load_bytes(bytes, NAME, &NoProgress).map_err(|e| e.to_string())
}

fn frames_of(traces: &AllocationTraces, i: usize) -> Vec<(Option<String>, i64)> {
    let table = &traces.table;
    table
        .traceback(traces.traceback[i])
        .iter()
        .map(|&f| {
            let file = table.frame_file[f as usize];
            (if file == NO_FILE { None } else { table.file_name(file).map(str::to_string) }, table.frame_line(f))
        })
        .collect()
}

/// Loads `traces` written with `layout` and `protocol` and checks every column.
fn round_trip(protocol: u8, layout: TraceLayout, traces: &[Trace]) -> AllocationTraces {
    let bytes = PickleWriter::snapshot(protocol, layout, traces, 7);
    let loaded = load(&bytes).unwrap_or_else(|e| panic!("protocol {protocol}, {layout:?}: {e}"));
    assert_eq!(loaded.layout, layout);
    assert_eq!(loaded.traceback_limit, 7);
    assert_eq!(loaded.trace_count(), traces.len());
    for (i, t) in traces.iter().enumerate() {
        let domain = if layout == TraceLayout::SizeFrames { 0 } else { t.domain };
        let total = if layout == TraceLayout::DomainSizeFramesTotal { t.total } else { t.frames.len() as i128 };
        assert_eq!(i128::from(loaded.domain[i]), domain, "trace {i} domain");
        assert_eq!(i128::from(loaded.size[i]), t.size, "trace {i} size");
        assert_eq!(i128::from(loaded.total_nframe[i]), total, "trace {i} total_nframe");
        let want: Vec<(Option<String>, i64)> = t.frames.iter().map(|&(f, l)| (f.map(str::to_string), l)).collect();
        assert_eq!(frames_of(&loaded, i), want, "trace {i} frames");
    }
    loaded
}

fn varied_traces() -> Vec<Trace> {
    vec![
        trace(0, 64, &[("/app/a.py", 3), ("/app/main.py", 10)]),
        trace(0, 100_000, &[("/app/b.py", 7)]),
        trace(389047, 1 << 31, &[("/app/a.py", 3), ("/app/main.py", 10)]),
        trace(0, (1 << 40) + 5, &[("/app/c.py", 1), ("/app/b.py", 2), ("/app/a.py", 3), ("/app/main.py", 4)]),
        trace(0, u64::MAX as i128, &[("/app/b.py", 7)]),
        Trace { domain: 7, size: 300, frames: vec![(None, 12)], total: 1 },
        trace(0, 1, &[("<unknown>", 0)]),
        Trace { domain: 0, size: 48, frames: vec![(Some("/app/deep.py"), 70_000)], total: 123 },
    ]
}

#[test]
fn every_layout_and_protocol_loads() {
    for layout in [TraceLayout::SizeFrames, TraceLayout::DomainSizeFrames, TraceLayout::DomainSizeFramesTotal] {
        for protocol in 2..=5 {
            round_trip(protocol, layout, &varied_traces());
        }
    }
}

#[test]
fn shared_tracebacks_are_interned_once() {
    // 3000 traces over 300 distinct tracebacks: memo indexes pass 255 (LONG_BINGET, and
    // LONG_BINPUT in protocol 2) and APPENDS come in batches of 1000.
    let files = ["/app/a.py", "/app/b.py", "/app/c.py"];
    let traces: Vec<Trace> = (0..3000)
        .map(|i| {
            let frames: Vec<(Option<&'static str>, i64)> =
                vec![(Some(files[i % 3]), (i % 100) as i64), (Some("/app/main.py"), 1)];
            Trace { domain: 0, size: i as i128, total: 2, frames }
        })
        .collect();
    for protocol in [2, 5] {
        let loaded = round_trip(protocol, TraceLayout::DomainSizeFramesTotal, &traces);
        assert_eq!(loaded.table.traceback_count(), 300);
        assert_eq!(loaded.table.frame_count(), 301);
        assert_eq!(loaded.table.files.len(), 4);
    }
}

#[test]
fn empty_traceback_and_none_file_group_on_their_own() {
    let traces = vec![
        Trace { domain: 0, size: 10, frames: vec![], total: 0 },
        Trace { domain: 0, size: 5, frames: vec![(None, 3)], total: 1 },
        trace(0, 1, &[("/app/a.py", 1)]),
    ];
    let loaded = round_trip(5, TraceLayout::DomainSizeFramesTotal, &traces);
    let stats = statistics(&loaded, Grouping::new(KeyType::Lineno, false).expect("valid"), None);
    let keys: Vec<(u32, u64)> = stats.rows.iter().map(|r| (r.key, r.size)).collect();
    assert_eq!(keys[0], (EMPTY_KEY, 10));
    assert_eq!(keys[1].1, 5);
    assert_eq!(loaded.table.frame_file_text(keys[1].0), "None");
    let by_file = statistics(&loaded, Grouping::new(KeyType::Filename, false).expect("valid"), None);
    assert_eq!(by_file.rows.iter().map(|r| r.key).collect::<Vec<_>>()[..2], [EMPTY_KEY, NO_FILE]);
}

#[test]
fn cumulative_traceback_is_refused_as_python_does() {
    let err = Grouping::new(KeyType::Traceback, true).expect_err("refused");
    assert_eq!(err.to_string(), "cumulative mode cannot be used with key type 'traceback'");
}

#[test]
fn gzip_dumps_load() {
    let bytes = PickleWriter::snapshot(5, TraceLayout::DomainSizeFramesTotal, &varied_traces(), 7);
    let plain = load(&bytes).expect("plain");
    let zipped = load(&gzip(&bytes)).expect("gzip");
    assert_eq!(plain.size, zipped.size);
    assert_eq!(plain.traceback, zipped.traceback);
}

/// A dump whose `Snapshot` global is replaced by another one.
fn with_global(protocol: u8, module: &str, name: &str) -> Vec<u8> {
    let mut w = PickleWriter::new(protocol);
    w.global(module, name);
    w.string("touch /tmp/heapscope-pwned");
    w.tuple(1, |_| {});
    w.op(b'R');
    w.op(b'.');
    w.out
}

#[test]
fn foreign_globals_are_refused_without_running_anything() {
    for protocol in [2, 4, 5] {
        for (module, name) in [("os", "system"), ("builtins", "eval"), ("tracemalloc", "take_snapshot")] {
            let err = load(&with_global(protocol, module, name)).expect_err("refused");
            assert_eq!(
                err,
                format!(
                    "{NAME}: not a tracemalloc dump: the pickle names the global {module}.{name}; only \
                     tracemalloc.Snapshot and tracemalloc._Traces are allowed (nothing was executed)"
                ),
                "protocol {protocol}"
            );
        }
    }
    assert!(!std::path::Path::new("/tmp/heapscope-pwned").exists());
}

#[test]
fn code_running_opcodes_are_refused() {
    // A REDUCE on an allowed class is still refused: dumps never call anything.
    let mut w = PickleWriter::new(4);
    w.global("tracemalloc", "Snapshot");
    w.op(b')');
    w.op(b'R');
    w.op(b'.');
    let err = load(&w.out).expect_err("refused");
    assert!(err.contains("not a tracemalloc dump: the pickle uses opcode REDUCE (calls a function) at byte"), "{err}");
    let err = load(&[0x80, 4, 0xff, b'.']).expect_err("refused");
    assert_eq!(err, format!("{NAME}: not a tracemalloc dump: unknown or unsupported pickle opcode 0xff at byte 2"));
}

#[test]
fn other_pickles_are_not_dumps() {
    // pickle.dumps([1, 2], protocol=4)
    let list = [0x80, 4, 0x95, 9, 0, 0, 0, 0, 0, 0, 0, b']', 0x94, b'(', b'K', 1, b'K', 2, b'e', b'.'];
    let err = load(&list).expect_err("refused");
    assert_eq!(err, format!("{NAME}: not a tracemalloc dump: the pickle holds a list, not a tracemalloc.Snapshot"));
    let err = load(&[0x80, 1, b'.']).expect_err("refused");
    assert!(err.contains("pickle protocol 1; tracemalloc dumps use protocols 2 to 5"), "{err}");
    let err = load(b"{\"snapshot\": {}}").expect_err("refused");
    assert_eq!(err, format!("{NAME}: not a tracemalloc dump: the file does not start with a pickle protocol marker"));
    let err = load(b"").expect_err("refused");
    assert_eq!(err, format!("{NAME}: the file is empty"));
}

#[test]
fn a_list_entry_that_is_not_a_trace_is_named() {
    // A `Snapshot` whose traces list holds an int after a good trace.
    let mut w = PickleWriter::new(5);
    w.global("tracemalloc", "Snapshot");
    w.op(b')');
    w.op(0x81);
    w.op(b'}');
    w.string("traces");
    w.op(b']');
    w.trace(TraceLayout::DomainSizeFramesTotal, &varied_traces()[0]);
    w.op(b'a');
    w.int(42);
    w.op(b'a');
    w.op(b's');
    w.string("traceback_limit");
    w.int(1);
    w.op(b's');
    w.op(b'b');
    w.op(b'.');
    let err = load(&w.out).expect_err("refused");
    assert_eq!(
        err,
        format!(
            "{NAME}: not a tracemalloc dump: trace 1 is an int, not a (domain, size, frames, total_nframe) tuple of ints and frames"
        )
    );
    // A negative size is not a trace either.
    let bad = Trace { domain: 0, size: -1, frames: vec![(Some("/a.py"), 1)], total: 1 };
    let err = load(&PickleWriter::snapshot(5, TraceLayout::DomainSizeFramesTotal, &[bad], 1)).expect_err("refused");
    assert!(err.contains("trace 0 is a tuple, not a (domain, size"), "{err}");
}

#[test]
fn broken_pickles_get_clear_errors() {
    let cases: [(&[u8], &str); 6] = [
        (&[0x80, 4, b'h', 9, b'.'], "bad pickle at byte 2: BINGET of memo entry 9, which was never stored"),
        (&[0x80, 4, b'.'], "bad pickle at byte 2: the stack is empty"),
        (&[0x80, 4, b'K', 1, b'(', b'.'], "bad pickle at byte 5: the stack is empty"),
        (&[0x80, 4, b'e', b'.'], "bad pickle at byte 2: no MARK to close"),
        (&[0x80, 4, b'K', 1, b'K', 2, b'e', b'.'], "bad pickle at byte 6: no MARK to close"),
        (
            &[0x80, 4, 0x8d, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0],
            "the file is truncated: it ends at byte 11 inside BINUNICODE8",
        ),
    ];
    for (bytes, want) in cases {
        assert_eq!(load(bytes).expect_err("refused"), format!("{NAME}: {want}"), "{bytes:?}");
    }
}

#[test]
fn hostile_pickles_finish_quickly_with_an_error() {
    // A million nested MARKs, a memo index near 2^32, a LONG4 claiming 2 GB.
    let mut marks = vec![0x80, 4];
    marks.extend(std::iter::repeat_n(b'(', 1_000_000));
    marks.push(b'.');
    assert!(load(&marks).expect_err("refused").contains("the stack is empty"));
    let giant_memo = [0x80, 2, b'K', 1, b'r', 0xff, 0xff, 0xff, 0xfe, b'j', 0xff, 0xff, 0xff, 0xfe, b'.'];
    assert!(load(&giant_memo).expect_err("refused").contains("not a tracemalloc.Snapshot"));
    let long4 = [0x80, 4, 0x8b, 0xff, 0xff, 0xff, 0x7f, 1, 2, 3];
    assert!(load(&long4).expect_err("refused").contains("truncated"));
}

#[test]
fn truncated_dumps_say_so_at_every_cut() {
    let path = sample("request-history.before.tracemalloc.gz");
    let mut plain = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&std::fs::read(&path).expect("read")[..]), &mut plain)
        .expect("gunzip");
    let mut cuts: Vec<usize> = (1..200).collect();
    cuts.extend((200..plain.len()).step_by(plain.len() / 400));
    cuts.push(plain.len() - 1);
    for cut in cuts {
        let err = load(&plain[..cut]).expect_err("a cut dump is refused");
        assert!(
            err.starts_with(&format!("{NAME}: the file is truncated: it ends at byte {cut} inside ")),
            "cut {cut}: {err}"
        );
    }
    // A file on disk names its path; a cut gzip stream says the stream is damaged.
    let zipped = gzip(&plain[..plain.len() / 2]);
    let mut file = tempfile::Builder::new().suffix(".tracemalloc").tempfile().expect("temp file");
    file.write_all(&zipped[..zipped.len() / 2]).expect("write");
    let err = load_file(file.path(), &NoProgress).expect_err("refused").to_string();
    assert!(err.starts_with(&format!("{}: the gzip stream is damaged", file.path().display())), "{err}");
}
