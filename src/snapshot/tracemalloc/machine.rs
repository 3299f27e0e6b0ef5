//! A restricted pickle machine that understands exactly what `tracemalloc.Snapshot.dump` writes.
//!
//! It runs the pickle opcodes (protocols 2 to 5) over typed handles instead of Python objects and
//! executes nothing: the only globals it accepts are `tracemalloc.Snapshot` and
//! `tracemalloc._Traces`, and `NEWOBJ` on them makes an inert record. While it runs, it interns
//! what it builds:
//!
//! - a 2-tuple `(str | None, int)` is a frame;
//! - a tuple of frames is a traceback;
//! - `(size, tb)`, `(domain, size, tb)` and `(domain, size, tb, total_nframe)` of ints and a
//!   traceback are traces, written straight into columns.
//!
//! Memoized values are handles, so a traceback shared by a million traces costs one memo entry.

use std::collections::HashMap;

use crate::error::{ErrorKind, KindResult};
use crate::progress::Progress;
use crate::traces::{FileId, FrameId, FrameTable, NO_FILE, TraceLayout, TracebackId};

/// A value on the machine's stack or in its memo.
#[derive(Clone, Copy, Debug)]
pub(super) enum Value {
    None,
    Bool(bool),
    /// An int that fits 32 bits (every int a dump stores, in practice).
    Int(i32),
    /// A wider int, by index into `big_ints`.
    BigInt(u32),
    /// An int wider than 128 bits (never valid in a dump).
    HugeInt,
    Str(u32),
    Frame(FrameId),
    Traceback(TracebackId),
    EmptyTuple,
    /// A trace, by row in the trace columns.
    Trace(u32),
    /// Any other tuple (its items are not kept: a dump never looks into one).
    Tuple,
    List(u32),
    Dict(u32),
    Class(Class),
    /// An instance made by `NEWOBJ`, by index into `objects`.
    Object(u32),
}

/// The two classes a dump may name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Class {
    Snapshot,
    Traces,
}

impl Class {
    pub(super) fn name(self) -> &'static str {
        match self {
            Class::Snapshot => "tracemalloc.Snapshot",
            Class::Traces => "tracemalloc._Traces",
        }
    }
}

/// A list's items. A run of consecutive traces, which is what every dump's `_traces` list is,
/// is kept as a range instead of one value per trace.
#[derive(Debug)]
pub(super) enum ListItems {
    /// Traces `range` in order (empty when the range is).
    Traces(std::ops::Range<u32>),
    /// Any other items.
    Values(Vec<Value>),
}

impl Default for ListItems {
    fn default() -> Self {
        ListItems::Traces(0..0)
    }
}

impl ListItems {
    fn push(&mut self, item: Value) {
        match (&mut *self, item) {
            (ListItems::Traces(range), Value::Trace(id)) if range.start == range.end => *range = id..id + 1,
            (ListItems::Traces(range), Value::Trace(id)) if id == range.end => range.end += 1,
            (ListItems::Values(values), item) => values.push(item),
            (ListItems::Traces(range), item) => {
                let mut values: Vec<Value> = range.clone().map(Value::Trace).collect();
                values.push(item);
                *self = ListItems::Values(values);
            }
        }
    }
}

/// Trace columns as the machine fills them.
#[derive(Default)]
pub(super) struct TraceColumns {
    pub domain: Vec<u32>,
    pub size: Vec<u64>,
    pub traceback: Vec<TracebackId>,
    pub total_nframe: Vec<u32>,
    pub layout: Option<TraceLayout>,
}

/// Everything the machine built; the result of a run.
pub(super) struct Machine {
    pub strings: Vec<Box<str>>,
    pub big_ints: Vec<i128>,
    pub lists: Vec<ListItems>,
    pub dicts: Vec<Vec<(Value, Value)>>,
    pub objects: Vec<(Class, Option<Value>)>,
    pub table: FrameTable,
    pub traces: TraceColumns,
    string_ids: HashMap<Box<str>, u32>,
    string_file: Vec<FileId>,
    frame_ids: HashMap<(FileId, i64), FrameId>,
    traceback_ids: HashMap<Box<[FrameId]>, TracebackId>,
    stack: Vec<Value>,
    marks: Vec<usize>,
    memo: Vec<Value>,
    sparse_memo: HashMap<u64, Value>,
}

/// Bytes between progress reports and cancel checks.
const REPORT_EVERY: usize = 1 << 20;

/// Opcodes that a dump never contains because they call or look up something.
fn refused_opcode(op: u8) -> Option<&'static str> {
    Some(match op {
        b'R' => "REDUCE (calls a function)",
        b'i' => "INST (calls a class)",
        b'o' => "OBJ (calls a class)",
        0x92 => "NEWOBJ_EX (calls a class with keyword arguments)",
        0x82..=0x84 => "EXT (looks up the extension registry)",
        b'P' | b'Q' => "PERSID (a persistent reference)",
        _ => return None,
    })
}

impl Machine {
    pub(super) fn new() -> Self {
        Self {
            strings: Vec::new(),
            big_ints: Vec::new(),
            lists: Vec::new(),
            dicts: Vec::new(),
            objects: Vec::new(),
            table: FrameTable::new(),
            traces: TraceColumns::default(),
            string_ids: HashMap::new(),
            string_file: Vec::new(),
            frame_ids: HashMap::new(),
            traceback_ids: HashMap::new(),
            stack: Vec::with_capacity(64),
            marks: Vec::with_capacity(8),
            memo: Vec::new(),
            sparse_memo: HashMap::new(),
        }
    }

    /// Runs the pickle in `data` to its `STOP` and returns the value it leaves.
    pub(super) fn run(&mut self, data: &[u8], progress: &dyn Progress) -> KindResult<Value> {
        let mut reader = Reader { data, pos: 0 };
        let mut next_report = REPORT_EVERY;
        loop {
            if reader.pos >= next_report {
                next_report = reader.pos + REPORT_EVERY;
                progress.set_done(reader.pos as u64);
                if progress.is_cancelled() {
                    return Err(ErrorKind::Cancelled);
                }
            }
            let at = reader.pos;
            let op = reader.byte("an opcode")?;
            let bad = |reason: String| ErrorKind::BadPickle { offset: at as u64, reason };
            match op {
                // Framing and protocol: nothing to do.
                0x80 => {
                    let protocol = reader.byte("the PROTO opcode")?;
                    if !(2..=5).contains(&protocol) {
                        return Err(ErrorKind::NotTracemalloc(format!(
                            "pickle protocol {protocol}; tracemalloc dumps use protocols 2 to 5"
                        )));
                    }
                }
                0x95 => {
                    reader.take(8, "the FRAME opcode")?;
                }
                b'.' => return self.pop(at),
                b'(' => self.marks.push(self.stack.len()),
                // Constants and numbers.
                b'N' => self.stack.push(Value::None),
                0x88 => self.stack.push(Value::Bool(true)),
                0x89 => self.stack.push(Value::Bool(false)),
                b'K' => {
                    let v = reader.byte("BININT1")?;
                    self.stack.push(Value::Int(i32::from(v)));
                }
                b'M' => {
                    let v = reader.take(2, "BININT2")?;
                    self.stack.push(Value::Int(i32::from(u16::from_le_bytes([v[0], v[1]]))));
                }
                b'J' => {
                    let v = reader.take(4, "BININT")?;
                    self.stack.push(Value::Int(i32::from_le_bytes([v[0], v[1], v[2], v[3]])));
                }
                0x8a => {
                    let len = usize::from(reader.byte("LONG1")?);
                    let bytes = reader.take(len, "LONG1")?;
                    let value = self.long(bytes);
                    self.stack.push(value);
                }
                0x8b => {
                    let len = reader.u32("LONG4")?;
                    if len > i32::MAX as u32 {
                        return Err(bad(format!("LONG4 with a negative length ({})", len as i32)));
                    }
                    let bytes = reader.take(len as usize, "LONG4")?;
                    let value = self.long(bytes);
                    self.stack.push(value);
                }
                // Strings.
                0x8c => {
                    let len = usize::from(reader.byte("SHORT_BINUNICODE")?);
                    let bytes = reader.take(len, "SHORT_BINUNICODE")?;
                    let id = self.intern_string(bytes);
                    self.stack.push(Value::Str(id));
                }
                b'X' => {
                    let len = reader.u32("BINUNICODE")? as usize;
                    let bytes = reader.take(len, "BINUNICODE")?;
                    let id = self.intern_string(bytes);
                    self.stack.push(Value::Str(id));
                }
                0x8d => {
                    let len = reader.u64("BINUNICODE8")?;
                    let len = usize::try_from(len).map_err(|_| reader.truncated("BINUNICODE8"))?;
                    let bytes = reader.take(len, "BINUNICODE8")?;
                    let id = self.intern_string(bytes);
                    self.stack.push(Value::Str(id));
                }
                // Memo.
                0x94 => {
                    let top = self.top(at)?;
                    let index = (self.memo.len() + self.sparse_memo.len()) as u64;
                    self.memo_put(index, top);
                }
                b'q' => {
                    let index = u64::from(reader.byte("BINPUT")?);
                    let top = self.top(at)?;
                    self.memo_put(index, top);
                }
                b'r' => {
                    let index = u64::from(reader.u32("LONG_BINPUT")?);
                    let top = self.top(at)?;
                    self.memo_put(index, top);
                }
                b'h' => {
                    let index = u64::from(reader.byte("BINGET")?);
                    let value = self
                        .memo_get(index)
                        .ok_or_else(|| bad(format!("BINGET of memo entry {index}, which was never stored")))?;
                    self.stack.push(value);
                }
                b'j' => {
                    let index = u64::from(reader.u32("LONG_BINGET")?);
                    let value = self
                        .memo_get(index)
                        .ok_or_else(|| bad(format!("LONG_BINGET of memo entry {index}, which was never stored")))?;
                    self.stack.push(value);
                }
                // Globals and objects.
                0x93 => {
                    let name = self.pop(at)?;
                    let module = self.pop(at)?;
                    let (Value::Str(module), Value::Str(name)) = (module, name) else {
                        return Err(bad("STACK_GLOBAL of values that are not strings".into()));
                    };
                    let class = self.class(module, name)?;
                    self.stack.push(Value::Class(class));
                }
                b'c' => {
                    let module = reader.line("GLOBAL")?;
                    let name = reader.line("GLOBAL")?;
                    let module = self.intern_string(module);
                    let name = self.intern_string(name);
                    let class = self.class(module, name)?;
                    self.stack.push(Value::Class(class));
                }
                0x81 => {
                    let args = self.pop(at)?;
                    let class = self.pop(at)?;
                    let Value::Class(class) = class else {
                        return Err(bad("NEWOBJ on something that is not a class".into()));
                    };
                    if !matches!(args, Value::EmptyTuple) {
                        return Err(ErrorKind::NotTracemalloc(format!(
                            "{} is created with arguments at byte {at}; dumps create it with none",
                            class.name()
                        )));
                    }
                    self.objects.push((class, None));
                    self.stack.push(Value::Object(self.objects.len() as u32 - 1));
                }
                b'b' => {
                    let state = self.pop(at)?;
                    match self.top(at)? {
                        Value::Object(object) => self.objects[object as usize].1 = Some(state),
                        _ => return Err(bad("BUILD on something that is not an object".into())),
                    }
                }
                // Tuples.
                b')' => self.stack.push(Value::EmptyTuple),
                0x85..=0x87 => {
                    let n = usize::from(op - 0x84);
                    let floor = self.marks.last().copied().unwrap_or(0);
                    if self.stack.len() < floor + n {
                        return Err(bad(format!("TUPLE{n} with only {} values on the stack", self.stack.len())));
                    }
                    self.make_tuple(self.stack.len() - n)?;
                }
                b't' => {
                    let start = self.pop_mark(at)?;
                    self.make_tuple(start)?;
                }
                // Lists.
                b']' => {
                    self.lists.push(ListItems::default());
                    self.stack.push(Value::List(self.lists.len() as u32 - 1));
                }
                b'l' => {
                    let start = self.pop_mark(at)?;
                    let items = self.stack.split_off(start);
                    self.lists.push(ListItems::Values(items));
                    self.stack.push(Value::List(self.lists.len() as u32 - 1));
                }
                b'a' => {
                    let item = self.pop(at)?;
                    let list = self.list_on_top(at)?;
                    self.lists[list].push(item);
                }
                b'e' => {
                    let start = self.pop_mark(at)?;
                    if start == 0 {
                        return Err(bad("APPENDS with no list below the mark".into()));
                    }
                    let list = match self.stack[start - 1] {
                        Value::List(list) => list as usize,
                        _ => return Err(bad("APPENDS to something that is not a list".into())),
                    };
                    for item in self.stack.drain(start..) {
                        self.lists[list].push(item);
                    }
                }
                // Dicts.
                b'}' => {
                    self.dicts.push(Vec::new());
                    self.stack.push(Value::Dict(self.dicts.len() as u32 - 1));
                }
                b'd' => {
                    let start = self.pop_mark(at)?;
                    let items = self.stack.split_off(start);
                    let dict = self.dict_from(items, at)?;
                    self.dicts.push(dict);
                    self.stack.push(Value::Dict(self.dicts.len() as u32 - 1));
                }
                b's' => {
                    let value = self.pop(at)?;
                    let key = self.pop(at)?;
                    let dict = self.dict_on_top(at)?;
                    self.dicts[dict].push((key, value));
                }
                b'u' => {
                    let start = self.pop_mark(at)?;
                    if start == 0 {
                        return Err(bad("SETITEMS with no dict below the mark".into()));
                    }
                    let dict = match self.stack[start - 1] {
                        Value::Dict(dict) => dict as usize,
                        _ => return Err(bad("SETITEMS on something that is not a dict".into())),
                    };
                    let items = self.stack.split_off(start);
                    let pairs = self.dict_from(items, at)?;
                    self.dicts[dict].extend(pairs);
                }
                other => {
                    return Err(match refused_opcode(other) {
                        Some(what) => ErrorKind::NotTracemalloc(format!(
                            "the pickle uses opcode {what} at byte {at}, which tracemalloc dumps never do"
                        )),
                        None => ErrorKind::NotTracemalloc(format!(
                            "unknown or unsupported pickle opcode 0x{other:02x} at byte {at}"
                        )),
                    });
                }
            }
        }
    }

    fn pop(&mut self, at: usize) -> KindResult<Value> {
        match self.stack.pop() {
            Some(value) if self.marks.last().is_none_or(|&mark| mark <= self.stack.len()) => Ok(value),
            _ => Err(ErrorKind::BadPickle { offset: at as u64, reason: "the stack is empty".into() }),
        }
    }

    fn top(&self, at: usize) -> KindResult<Value> {
        let floor = self.marks.last().copied().unwrap_or(0);
        match self.stack.last() {
            Some(&value) if self.stack.len() > floor => Ok(value),
            _ => Err(ErrorKind::BadPickle { offset: at as u64, reason: "the stack is empty".into() }),
        }
    }

    fn pop_mark(&mut self, at: usize) -> KindResult<usize> {
        self.marks.pop().ok_or_else(|| ErrorKind::BadPickle { offset: at as u64, reason: "no MARK to close".into() })
    }

    fn list_on_top(&self, at: usize) -> KindResult<usize> {
        match self.top(at)? {
            Value::List(list) => Ok(list as usize),
            _ => {
                Err(ErrorKind::BadPickle { offset: at as u64, reason: "APPEND to something that is not a list".into() })
            }
        }
    }

    fn dict_on_top(&self, at: usize) -> KindResult<usize> {
        match self.top(at)? {
            Value::Dict(dict) => Ok(dict as usize),
            _ => Err(ErrorKind::BadPickle {
                offset: at as u64,
                reason: "SETITEM on something that is not a dict".into(),
            }),
        }
    }

    fn dict_from(&self, items: Vec<Value>, at: usize) -> KindResult<Vec<(Value, Value)>> {
        if !items.len().is_multiple_of(2) {
            return Err(ErrorKind::BadPickle { offset: at as u64, reason: "a dict with a key but no value".into() });
        }
        Ok(items.chunks_exact(2).map(|pair| (pair[0], pair[1])).collect())
    }

    fn memo_put(&mut self, index: u64, value: Value) {
        let dense = self.memo.len() as u64;
        if index < dense {
            self.memo[index as usize] = value;
        } else if index == dense {
            self.memo.push(value);
        } else {
            self.sparse_memo.insert(index, value);
        }
    }

    fn memo_get(&self, index: u64) -> Option<Value> {
        if index < self.memo.len() as u64 {
            Some(self.memo[index as usize])
        } else {
            self.sparse_memo.get(&index).copied()
        }
    }

    /// The class a global names, or the refusal that explains why it is not allowed.
    fn class(&self, module: u32, name: u32) -> KindResult<Class> {
        let module = &*self.strings[module as usize];
        let name = &*self.strings[name as usize];
        match (module, name) {
            ("tracemalloc", "Snapshot") => Ok(Class::Snapshot),
            ("tracemalloc", "_Traces") => Ok(Class::Traces),
            _ => Err(ErrorKind::NotTracemalloc(format!(
                "the pickle names the global {module}.{name}; only tracemalloc.Snapshot and tracemalloc._Traces \
                 are allowed (nothing was executed)"
            ))),
        }
    }

    /// A little-endian two's-complement integer of any width.
    fn long(&mut self, bytes: &[u8]) -> Value {
        if bytes.is_empty() {
            return Value::Int(0);
        }
        let negative = bytes[bytes.len() - 1] & 0x80 != 0;
        let fill = if negative { 0xff } else { 0 };
        // Strip sign-extension bytes, then see what the value fits in.
        let mut len = bytes.len();
        while len > 1 && bytes[len - 1] == fill && (bytes[len - 2] & 0x80 != 0) == negative {
            len -= 1;
        }
        if len > 16 {
            return Value::HugeInt;
        }
        let mut buf = [fill; 16];
        buf[..len].copy_from_slice(&bytes[..len]);
        let value = i128::from_le_bytes(buf);
        match i32::try_from(value) {
            Ok(small) => Value::Int(small),
            Err(_) => {
                self.big_ints.push(value);
                Value::BigInt(self.big_ints.len() as u32 - 1)
            }
        }
    }

    /// A line number: an int that fits 64 bits.
    fn line(&self, value: Value) -> Option<i64> {
        match value {
            Value::Int(v) => Some(i64::from(v)),
            Value::BigInt(i) => i64::try_from(self.big_ints[i as usize]).ok(),
            _ => None,
        }
    }

    fn int(&self, value: Value) -> Option<i128> {
        match value {
            Value::Int(v) => Some(i128::from(v)),
            Value::BigInt(i) => Some(self.big_ints[i as usize]),
            Value::Bool(b) => Some(i128::from(b)),
            _ => None,
        }
    }

    fn intern_string(&mut self, bytes: &[u8]) -> u32 {
        let text = String::from_utf8_lossy(bytes);
        if let Some(&id) = self.string_ids.get(&*text) {
            return id;
        }
        let id = self.strings.len() as u32;
        let boxed: Box<str> = text.into();
        self.strings.push(boxed.clone());
        self.string_ids.insert(boxed, id);
        self.string_file.push(NO_FILE);
        id
    }

    /// The file id of a string used as a frame's file name.
    fn file_of(&mut self, string: u32) -> FileId {
        let slot = &mut self.string_file[string as usize];
        if *slot == NO_FILE {
            *slot = self.table.files.len() as FileId;
            self.table.files.push(self.strings[string as usize].clone());
        }
        *slot
    }

    fn intern_frame(&mut self, file: FileId, line: i64) -> FrameId {
        if let Some(&id) = self.frame_ids.get(&(file, line)) {
            return id;
        }
        let id = self.table.frame_file.len() as FrameId;
        self.table.frame_file.push(file);
        self.table.frame_line.push(line);
        self.frame_ids.insert((file, line), id);
        id
    }

    fn intern_traceback(&mut self, frames: &[FrameId]) -> TracebackId {
        if let Some(&id) = self.traceback_ids.get(frames) {
            return id;
        }
        let id = self.table.traceback_count() as TracebackId;
        self.table.traceback_frames.extend_from_slice(frames);
        self.table.traceback_start.push(self.table.traceback_frames.len() as u32);
        self.traceback_ids.insert(frames.into(), id);
        id
    }

    fn traceback_of(&mut self, value: Value) -> Option<TracebackId> {
        match value {
            Value::Traceback(tb) => Some(tb),
            Value::EmptyTuple => Some(self.intern_traceback(&[])),
            _ => None,
        }
    }

    /// Replaces `stack[start..]` by the tuple they make: a frame, a traceback, a trace, or a
    /// plain tuple.
    fn make_tuple(&mut self, start: usize) -> KindResult<()> {
        let items = &self.stack[start..];
        let value = match *items {
            [] => Value::EmptyTuple,
            [Value::Str(file), line] if self.line(line).is_some() => {
                let line = self.line(line).unwrap_or_default();
                let file = self.file_of(file);
                Value::Frame(self.intern_frame(file, line))
            }
            [Value::None, line] if self.line(line).is_some() => {
                let line = self.line(line).unwrap_or_default();
                Value::Frame(self.intern_frame(NO_FILE, line))
            }
            _ if items.iter().all(|v| matches!(v, Value::Frame(_))) => {
                let frames: Vec<FrameId> = items.iter().map(|v| if let Value::Frame(f) = v { *f } else { 0 }).collect();
                Value::Traceback(self.intern_traceback(&frames))
            }
            _ => self.make_trace(start).unwrap_or(Value::Tuple),
        };
        self.stack.truncate(start);
        self.stack.push(value);
        Ok(())
    }

    /// A trace from `stack[start..]`, if the values make one.
    fn make_trace(&mut self, start: usize) -> Option<Value> {
        let (layout, domain, size, frames, total) = match self.stack[start..] {
            [size, frames] => (TraceLayout::SizeFrames, Value::Int(0), size, frames, None),
            [domain, size, frames] => (TraceLayout::DomainSizeFrames, domain, size, frames, None),
            [domain, size, frames, total] => (TraceLayout::DomainSizeFramesTotal, domain, size, frames, Some(total)),
            _ => return None,
        };
        let domain = u32::try_from(self.int(domain)?).ok()?;
        let size = u64::try_from(self.int(size)?).ok()?;
        let total = match total {
            Some(total) => Some(u32::try_from(self.int(total)?).ok()?),
            None => None,
        };
        let traceback = self.traceback_of(frames)?;
        let total = total.unwrap_or(self.table.traceback(traceback).len() as u32);
        let columns = &mut self.traces;
        columns.layout.get_or_insert(layout);
        columns.domain.push(domain);
        columns.size.push(size);
        columns.traceback.push(traceback);
        columns.total_nframe.push(total);
        Some(Value::Trace(columns.size.len() as u32 - 1))
    }

    /// A short description of a value, for messages.
    pub(super) fn describe(&self, value: Value) -> String {
        match value {
            Value::None => "None".into(),
            Value::Bool(b) => if b { "True" } else { "False" }.into(),
            Value::Int(_) | Value::BigInt(_) | Value::HugeInt => "an int".into(),
            Value::Str(s) => format!("the string {:?}", self.strings[s as usize]),
            Value::Frame(_) => "a (filename, lineno) frame".into(),
            Value::Traceback(_) => "a traceback".into(),
            Value::EmptyTuple | Value::Tuple => "a tuple".into(),
            Value::Trace(_) => "a trace".into(),
            Value::List(_) => "a list".into(),
            Value::Dict(_) => "a dict".into(),
            Value::Class(class) => format!("the class {}", class.name()),
            Value::Object(o) => format!("a {} object", self.objects[o as usize].0.name()),
        }
    }

    /// The value stored under a string key in a dict.
    pub(super) fn dict_get(&self, dict: u32, key: &str) -> Option<Value> {
        self.dicts[dict as usize]
            .iter()
            .rev()
            .find(|(k, _)| matches!(k, Value::Str(s) if &*self.strings[*s as usize] == key))
            .map(|&(_, v)| v)
    }

    /// An int value, if it is one.
    pub(super) fn int_value(&self, value: Value) -> Option<i128> {
        self.int(value)
    }
}

/// A cursor over the pickle bytes; every read names what it was reading when the bytes run out.
struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn truncated(&self, inside: &str) -> ErrorKind {
        ErrorKind::Truncated { offset: self.data.len() as u64, inside: inside.to_string() }
    }

    fn byte(&mut self, inside: &str) -> KindResult<u8> {
        let b = *self.data.get(self.pos).ok_or_else(|| self.truncated(inside))?;
        self.pos += 1;
        Ok(b)
    }

    fn take(&mut self, n: usize, inside: &str) -> KindResult<&'a [u8]> {
        if self.data.len() - self.pos < n {
            return Err(self.truncated(inside));
        }
        let bytes = &self.data[self.pos..self.pos + n];
        self.pos += n;
        Ok(bytes)
    }

    fn u32(&mut self, inside: &str) -> KindResult<u32> {
        let b = self.take(4, inside)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn u64(&mut self, inside: &str) -> KindResult<u64> {
        let b = self.take(8, inside)?;
        let mut buf = [0u8; 8];
        buf.copy_from_slice(b);
        Ok(u64::from_le_bytes(buf))
    }

    /// A newline-terminated text argument (the `GLOBAL` opcode's).
    fn line(&mut self, inside: &str) -> KindResult<&'a [u8]> {
        let rest = &self.data[self.pos..];
        let end = memchr::memchr(b'\n', rest).ok_or_else(|| self.truncated(inside))?;
        self.pos += end + 1;
        Ok(&rest[..end])
    }
}
