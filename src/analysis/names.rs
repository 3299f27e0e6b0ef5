//! Class names (the Summary's rows) and display names, as DevTools computes them (spec §2.9),
//! including the `{a, b}` interface names DevTools infers for plain objects.

use std::cmp::Ordering;
use std::collections::HashMap;

use rayon::prelude::*;

use super::interfaces;
use super::kinds::Kinds;
use crate::graph::HeapGraph;

/// Where a class name comes from: a string of the snapshot, or one DevTools appends.
///
/// Two class names with the same text but different origins are different classes internally
/// (DevTools keys aggregates by string index); see [`ClassNames::key_text`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ClassId {
    /// A string of the snapshot, by index.
    Raw(u32),
    /// A name renamed to "Detached ..." by DOM-state propagation, by index into the new names.
    Detached(u32),
    /// An appended class name, by index into [`ClassNames::appended`].
    Appended(u32),
}

/// Class names of all nodes.
pub struct ClassNames {
    /// The class of each node, packed by [`ClassCodec`] (4 bytes per node).
    class_of: Vec<u32>,
    /// How `class_of` is packed.
    pub codec: ClassCodec,
    /// Appended class name texts.
    pub appended: Vec<String>,
    /// The interface definitions inferred for plain objects, most popular first.
    pub interfaces: Vec<InterfaceDefinition>,
}

/// Packs a [`ClassId`] into a `u32`: snapshot strings first, then the renamed "Detached "
/// names, then the appended names. The packed value is also a dense index over all classes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClassCodec {
    strings: u32,
    detached: u32,
}

impl ClassCodec {
    /// The packed form.
    pub fn pack(self, class: ClassId) -> u32 {
        match class {
            ClassId::Raw(i) => i,
            ClassId::Detached(i) => self.strings + i,
            ClassId::Appended(i) => self.strings + self.detached + i,
        }
    }

    /// The class of a packed value.
    pub fn unpack(self, packed: u32) -> ClassId {
        if packed < self.strings {
            ClassId::Raw(packed)
        } else if packed < self.strings + self.detached {
            ClassId::Detached(packed - self.strings)
        } else {
            ClassId::Appended(packed - self.strings - self.detached)
        }
    }
}

impl ClassNames {
    /// The class name of node `v`; `new_names` are the DOM-state renames (`DomState::new_names`).
    pub fn text<'a>(&'a self, graph: &'a HeapGraph, new_names: &'a [String], v: u32) -> &'a str {
        match self.class(v) {
            ClassId::Raw(i) => graph.strings.get(i),
            ClassId::Detached(i) => new_names.get(i as usize).map_or("", String::as_str),
            ClassId::Appended(i) => self.appended.get(i as usize).map_or("", String::as_str),
        }
    }

    /// The class of node `v`.
    pub fn class(&self, v: u32) -> ClassId {
        self.codec.unpack(self.class_of[v as usize])
    }

    /// The packed class of node `v`: a dense index over all classes (see [`ClassCodec`]).
    pub fn packed_class(&self, v: u32) -> u32 {
        self.class_of[v as usize]
    }

    /// One more than the largest packed class.
    pub fn packed_count(&self) -> usize {
        self.codec.pack(ClassId::Appended(self.appended.len() as u32)) as usize
    }
}

/// An inferred interface for plain objects.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InterfaceDefinition {
    /// The display name, e.g. `{key, history, label}`.
    pub name: String,
    /// The property names, in the order first seen.
    pub properties: Vec<String>,
}

/// Length in UTF-16 code units, as JavaScript's `.length`.
pub fn js_len(s: &str) -> usize {
    s.chars().map(char::len_utf16).sum()
}

/// Compares two strings in UTF-16 code unit order, as JavaScript's `<`.
///
/// UTF-8 byte order is code point order, which differs from UTF-16 order only between a
/// supplementary character (a surrogate pair in UTF-16) and one in U+E000..=U+FFFF.
pub fn js_cmp(a: &str, b: &str) -> Ordering {
    let (x, y) = (a.as_bytes(), b.as_bytes());
    let common = x.iter().zip(y).take_while(|(p, q)| p == q).count();
    if common == x.len() || common == y.len() {
        return x.len().cmp(&y.len());
    }
    let mut start = common;
    while start > 0 && (x[start] & 0xC0) == 0x80 {
        start -= 1;
    }
    let (ca, cb) = match (a[start..].chars().next(), b[start..].chars().next()) {
        (Some(ca), Some(cb)) => (u32::from(ca), u32::from(cb)),
        _ => return x.cmp(y),
    };
    let utf16_key = |c: u32| if c >= 0x10000 { 0xD800 + ((c - 0x10000) >> 10) } else { c };
    utf16_key(ca).cmp(&utf16_key(cb)).then_with(|| x.cmp(y))
}

/// DevTools' `formatPropertyName`: names containing `,'"{}` become JSON string literals.
pub fn format_property_name(name: &str) -> String {
    if name.contains([',', '\'', '"', '{', '}']) {
        serde_json::to_string(name).unwrap_or_else(|_| name.to_string())
    } else {
        name.to_string()
    }
}

/// Names of nodes as the analyses see them: raw names with DOM-state renames applied.
pub struct NodeNames<'a> {
    /// The graph.
    pub graph: &'a HeapGraph,
    /// Renamed nodes.
    pub renamed: &'a HashMap<u32, u32>,
    /// Their new names.
    pub new_names: &'a [String],
    /// Which nodes are renamed.
    pub renamed_bits: &'a super::bits::BitVec,
}

impl NodeNames<'_> {
    /// The node's raw name after DOM-state renames.
    pub fn raw_name(&self, v: u32) -> &str {
        if !self.renamed_bits.get(v as usize) {
            return self.graph.node_name(v);
        }
        match self.renamed.get(&v) {
            Some(&i) => self.new_names.get(i as usize).map_or("", String::as_str),
            None => self.graph.node_name(v),
        }
    }

    /// True when the node's raw name (after renames) is one of the strings `indexes` (as
    /// [`crate::graph::StringTable::indexes_of`] lists them): a number comparison, where
    /// [`Self::raw_name`] would read the string. Renamed nodes all start with "Detached ", so
    /// `indexes` must not name such a string.
    pub fn is_named(&self, v: u32, indexes: &[u32]) -> bool {
        !self.renamed_bits.get(v as usize) && indexes.contains(&self.graph.node_name_index(v))
    }

    fn raw_id(&self, v: u32) -> ClassId {
        if !self.renamed_bits.get(v as usize) {
            return ClassId::Raw(self.graph.node_name_index(v));
        }
        match self.renamed.get(&v) {
            Some(&i) => ClassId::Detached(i),
            None => ClassId::Raw(self.graph.node_name_index(v)),
        }
    }
}

/// Nodes per parallel block when classing nodes.
const CLASS_BLOCK: usize = 1 << 16;

/// Computes every node's class, then infers and applies the interface definitions.
pub fn class_names(names: &NodeNames<'_>, kinds: &Kinds) -> ClassNames {
    class_names_with(names, kinds, None)
}

/// Computes every node's class with the given interface definitions (another snapshot's, as
/// DevTools' Comparison applies the viewed snapshot's definitions to the base), or with the
/// ones inferred from this snapshot when `definitions` is `None`.
pub fn class_names_with(
    names: &NodeNames<'_>,
    kinds: &Kinds,
    definitions: Option<&[InterfaceDefinition]>,
) -> ClassNames {
    let graph = names.graph;
    let mut appended: Vec<String> = Vec::new();
    let mut appended_index: HashMap<String, u32> = HashMap::new();
    let mut intern = |s: &str, appended: &mut Vec<String>| -> ClassId {
        if let Some(&i) = appended_index.get(s) {
            return ClassId::Appended(i);
        }
        appended.push(s.to_string());
        let i = (appended.len() - 1) as u32;
        appended_index.insert(s.to_string(), i);
        ClassId::Appended(i)
    };
    let hidden = intern("(system)", &mut appended);
    let code = intern("(compiled code)", &mut appended);
    let function = intern("Function", &mut appended);
    let regexp = intern("RegExp", &mut appended);
    let mut by_type: Vec<ClassId> = Vec::new();
    for t in &graph.meta.node_types {
        by_type.push(intern(&format!("({t})"), &mut appended));
    }
    let n = graph.node_count();
    let codec = ClassCodec { strings: graph.strings.len() as u32, detached: names.new_names.len() as u32 };
    let hidden = codec.pack(hidden);
    let by_type: Vec<u32> = by_type.into_iter().map(|class| codec.pack(class)).collect();
    let (code, function, regexp) = (codec.pack(code), codec.pack(function), codec.pack(regexp));
    // In parallel blocks: each node's class, the plain objects (`object` nodes named
    // `Object`), and the nodes whose class is a shortened element name, which is interned
    // afterwards in node order (they are few).
    let mut class_of: Vec<u32> = vec![0; n];
    let blocks: Vec<(Vec<u32>, Vec<u32>)> = class_of
        .par_chunks_mut(CLASS_BLOCK)
        .enumerate()
        .map(|(block, classes)| {
            let (mut plain, mut elements) = (Vec::new(), Vec::new());
            for (v, class) in (block as u32 * CLASS_BLOCK as u32..).zip(classes.iter_mut()) {
                let ty = graph.node_type(v);
                *class = if ty == kinds.hidden {
                    hidden
                } else if ty == kinds.object || ty == kinds.native {
                    let name = names.raw_name(v);
                    if name.starts_with('<') || name.starts_with("Detached <") {
                        elements.push(v);
                    } else if ty == kinds.object && name == "Object" {
                        plain.push(v);
                    }
                    codec.pack(names.raw_id(v))
                } else if ty == kinds.code {
                    code
                } else if ty == kinds.closure {
                    function
                } else if ty == kinds.regexp {
                    regexp
                } else {
                    by_type.get(ty as usize).copied().unwrap_or(hidden)
                };
            }
            (plain, elements)
        })
        .collect();
    let mut plain: Vec<u32> = Vec::with_capacity(blocks.iter().map(|(plain, _)| plain.len()).sum());
    for (block_plain, elements) in blocks {
        plain.extend(block_plain);
        for v in elements {
            let name = names.raw_name(v);
            let short = match name.strip_prefix("Detached <") {
                Some(tail) => tail.find(' ').map(|space| format!("{}>", &name[..10 + space])),
                None => name[1..].find(' ').map(|space| format!("{}>", &name[..space + 1])),
            };
            class_of[v as usize] = codec.pack(intern(short.as_deref().unwrap_or(name), &mut appended));
        }
    }
    let lists = interfaces::PropertyLists::new(graph, kinds, &plain);
    let ranks = interfaces::PropertyRanks::new(graph, &lists, definitions.unwrap_or(&[]));
    let interfaces = match definitions {
        Some(definitions) => definitions.to_vec(),
        None => interfaces::infer(&lists, &ranks, plain.len()),
    };
    let target = interfaces::ApplyTarget { plain: &plain, lists: &lists, ranks: &ranks };
    interfaces::apply(&target, &interfaces, &mut class_of, codec, &mut appended);
    ClassNames { class_of, codec, appended, interfaces }
}

/// DevTools' display name of a node: cons strings are flattened (up to 1024 characters),
/// plain objects are shown as `{a, b, …, z}`, every other node by its raw name.
pub fn display_name(names: &NodeNames<'_>, kinds: &Kinds, v: u32) -> String {
    let graph = names.graph;
    let ty = graph.node_type(v);
    if ty == kinds.cons_string {
        return cons_string_name(names, kinds, v);
    }
    if ty == kinds.object && names.raw_name(v) == "Object" {
        return plain_object_name(graph, kinds, v);
    }
    names.raw_name(v).to_string()
}

fn cons_string_name(names: &NodeNames<'_>, kinds: &Kinds, v: u32) -> String {
    let graph = names.graph;
    let mut out = String::new();
    let mut out_len = 0usize;
    let mut stack = vec![v];
    while let Some(m) = stack.pop() {
        if out_len >= 1024 {
            break;
        }
        if graph.node_type(m) != kinds.cons_string {
            let part = names.raw_name(m);
            out.push_str(part);
            out_len += js_len(part);
            continue;
        }
        let (mut first, mut second) = (0u32, 0u32);
        for e in graph.edges_of(m) {
            if first != 0 && second != 0 {
                break;
            }
            if graph.edge_type(e) == kinds.e_internal {
                match graph.strings.get(graph.edge_name_or_index(e)) {
                    "first" => first = graph.edge_target(e),
                    "second" => second = graph.edge_target(e),
                    _ => {}
                }
            }
        }
        stack.push(second);
        stack.push(first);
    }
    out
}

fn plain_object_name(graph: &HeapGraph, kinds: &Kinds, v: u32) -> String {
    let edges = graph.edges_of(v);
    let (mut start, mut end) = (edges.start as i64, edges.end as i64 - 1);
    let mut head = String::from("{");
    let mut head_len = 1usize;
    let mut tail = String::from("}");
    let mut tail_len = 1usize;
    let mut from_end = false;
    while start <= end {
        let e = if from_end { end } else { start } as u32;
        let name = graph.strings.get(graph.edge_name_or_index(e));
        if graph.edge_type(e) != kinds.e_property || name == "__proto__" {
            if from_end {
                end -= 1;
            } else {
                start += 1;
            }
            continue;
        }
        let formatted = format_property_name(name);
        let formatted_len = js_len(&formatted);
        if head_len > 1 && head_len + tail_len + formatted_len > 100 {
            break;
        }
        if from_end {
            end -= 1;
            if tail_len > 1 {
                tail.insert_str(0, ", ");
                tail_len += 2;
            }
            tail.insert_str(0, &formatted);
            tail_len += formatted_len;
        } else {
            start += 1;
            if head_len > 1 {
                head.push_str(", ");
                head_len += 2;
            }
            head.push_str(&formatted);
            head_len += formatted_len;
        }
        from_end = !from_end;
    }
    if start <= end {
        head.push_str(", \u{2026}");
    }
    if tail_len > 1 {
        head.push_str(", ");
    }
    head + &tail
}
