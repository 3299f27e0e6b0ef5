//! The `{a, b}` class names DevTools infers for plain objects (spec §2.9): which property lists
//! become interface definitions (`inferInterfaceDefinitions`), and which definition each plain
//! object gets (`applyInterfaceDefinitions`).
//!
//! Both steps work on property names ranked once in JavaScript string order, so an object's
//! properties are keyed, sorted and matched as integers instead of strings.

use rayon::prelude::*;
use rustc_hash::FxHashMap;

use super::bits::SharedBits;
use super::kinds::Kinds;
use super::names::{ClassCodec, ClassId, InterfaceDefinition, NodeNames, format_property_name, js_cmp, js_len};
use crate::graph::HeapGraph;

/// The longest inferred interface name, in UTF-16 code units.
const MAX_INTERFACE_NAME_LENGTH: usize = 120;
/// An interface needs at least this many objects...
const MIN_OBJECT_COUNT_PER_INTERFACE: f64 = 2.0;
/// ...and at least one in this many plain objects.
const MIN_OBJECT_PROPORTION_PER_INTERFACE: f64 = 1000.0;

/// The plain objects (`object` nodes named `Object`), in node order.
pub fn plain_objects(graph: &HeapGraph, kinds: &Kinds, names: &NodeNames<'_>) -> Vec<u32> {
    (0..graph.node_count() as u32)
        .into_par_iter()
        .with_min_len(4096)
        .filter(|&v| graph.node_type(v) == kinds.object && names.raw_name(v) == "Object")
        .collect()
}

/// Property names in JavaScript string order: every snapshot string some plain object uses as
/// a property name, the texts of extra definitions, and the empty string (what an
/// out-of-range name index reads as). Equal texts share a rank, so comparing ranks is
/// comparing texts with [`js_cmp`].
pub struct PropertyRanks<'a> {
    /// The rank of each snapshot string, or [`PropertyRanks::UNRANKED`] when no plain object
    /// uses it as a property name.
    of_string: Vec<u32>,
    /// The text of each rank, ascending.
    texts: Vec<&'a str>,
    /// The rank of `__proto__`, or `UNRANKED`.
    proto: u32,
}

impl<'a> PropertyRanks<'a> {
    /// The rank of strings no plain object uses as a property name.
    const UNRANKED: u32 = u32::MAX;

    /// Ranks the property names of `plain` objects and of `definitions`.
    pub fn new(graph: &'a HeapGraph, kinds: &Kinds, plain: &[u32], definitions: &'a [InterfaceDefinition]) -> Self {
        let strings = graph.strings.len();
        let used = SharedBits::zeros(strings);
        plain.par_iter().with_min_len(1024).for_each(|&v| {
            for e in graph.edges_of(v) {
                if graph.edge_type(e) == kinds.e_property {
                    used.set(graph.edge_name_or_index(e) as usize);
                }
            }
        });
        let mut texts: Vec<&'a str> =
            (0..strings).filter(|&i| used.get(i)).map(|i| graph.strings.get(i as u32)).collect();
        texts.extend(definitions.iter().flat_map(|d| d.properties.iter().map(String::as_str)));
        texts.push("");
        texts.par_sort_unstable_by(|a, b| js_cmp(a, b));
        texts.dedup();
        let rank_of = |text: &str| texts.binary_search_by(|t| js_cmp(t, text)).map_or(Self::UNRANKED, |r| r as u32);
        let of_string: Vec<u32> = (0..strings)
            .into_par_iter()
            .with_min_len(4096)
            .map(|i| if used.get(i) { rank_of(graph.strings.get(i as u32)) } else { Self::UNRANKED })
            .collect();
        let proto = rank_of("__proto__");
        Self { of_string, texts, proto }
    }

    /// The rank of the property name with string index `name`.
    fn of_name(&self, name: u32) -> u32 {
        match self.of_string.get(name as usize) {
            Some(&rank) => rank,
            // Out of range: the empty string, which is always ranked.
            None => self.of_text("").unwrap_or(Self::UNRANKED),
        }
    }

    /// The rank of a text, when ranked.
    fn of_text(&self, text: &str) -> Option<u32> {
        self.texts.binary_search_by(|t| js_cmp(t, text)).ok().map(|r| r as u32)
    }
}

/// DevTools' `inferInterfaceDefinitions`: the property lists most plain objects start with,
/// most popular first (ties in first-seen order, as DevTools' stable sort leaves them).
pub fn infer(graph: &HeapGraph, kinds: &Kinds, plain: &[u32], ranks: &PropertyRanks<'_>) -> Vec<InterfaceDefinition> {
    let formatted_len: Vec<usize> = ranks.texts.par_iter().map(|t| js_len(&format_property_name(t))).collect();
    // Candidates by property ranks, counted per thread with the first node that had each.
    type Counts = FxHashMap<Box<[u32]>, (u32, usize)>;
    let counts: Counts = plain
        .par_iter()
        .fold(
            || (Counts::default(), Vec::new()),
            |(mut counts, mut key): (Counts, Vec<u32>), &v| {
                candidate(graph, kinds, ranks, &formatted_len, v, &mut key);
                if !key.is_empty() {
                    match counts.get_mut(key.as_slice()) {
                        Some(entry) => entry.1 += 1,
                        None => {
                            counts.insert(key.as_slice().into(), (v, 1));
                        }
                    }
                }
                (counts, key)
            },
        )
        .map(|(counts, _)| counts)
        .reduce(Counts::default, |mut a, b| {
            for (key, (first, count)) in b {
                let entry = a.entry(key).or_insert((first, 0));
                entry.0 = entry.0.min(first);
                entry.1 += count;
            }
            a
        });
    // DevTools keys candidates by name; distinct property lists never print the same, but
    // merge by name anyway so the count is DevTools' whatever the texts.
    let mut by_name: FxHashMap<String, (u32, usize, Vec<String>)> = FxHashMap::default();
    for (key, (first, count)) in counts {
        let properties: Vec<&str> = key.iter().map(|&r| ranks.texts[r as usize]).collect();
        let formatted: Vec<String> = properties.iter().map(|p| format_property_name(p)).collect();
        let name = format!("{{{}}}", formatted.join(", "));
        let entry = by_name.entry(name).or_insert_with(|| (first, 0, Vec::new()));
        if first <= entry.0 || entry.2.is_empty() {
            entry.0 = first;
            entry.2 = properties.iter().map(|p| p.to_string()).collect();
        }
        entry.1 += count;
    }
    let mut order: Vec<(String, u32, usize, Vec<String>)> =
        by_name.into_iter().map(|(name, (first, count, properties))| (name, first, count, properties)).collect();
    order.sort_by_key(|(_, first, count, _)| (std::cmp::Reverse(*count), *first));
    let min_count = MIN_OBJECT_COUNT_PER_INTERFACE.max(plain.len() as f64 / MIN_OBJECT_PROPORTION_PER_INTERFACE);
    order
        .into_iter()
        .take_while(|(_, _, count, _)| *count as f64 >= min_count)
        .map(|(name, _, _, properties)| InterfaceDefinition { name, properties })
        .collect()
}

/// The property ranks of the interface a plain object proposes (its first properties, up to
/// a name of 120 characters, `__proto__` skipped), into `key`; empty when it has none.
fn candidate(
    graph: &HeapGraph,
    kinds: &Kinds,
    ranks: &PropertyRanks<'_>,
    formatted_len: &[usize],
    v: u32,
    key: &mut Vec<u32>,
) {
    key.clear();
    let mut name_len = 1usize;
    for e in graph.edges_of(v) {
        if graph.edge_type(e) != kinds.e_property {
            continue;
        }
        let rank = ranks.of_name(graph.edge_name_or_index(e));
        if rank == ranks.proto || rank == PropertyRanks::UNRANKED {
            continue;
        }
        let length = formatted_len[rank as usize];
        if name_len > 1 && name_len + length > MAX_INTERFACE_NAME_LENGTH {
            break;
        }
        if name_len != 1 {
            name_len += 2;
        }
        name_len += length;
        key.push(rank);
    }
}

/// A node of the property trie: definitions' sorted property lists, as paths of ranks.
#[derive(Default)]
struct TrieNode {
    next: FxHashMap<u32, usize>,
    /// The greatest rank in `next`.
    greatest_next: Option<u32>,
    /// (property count, definition index) of the first definition ending here.
    definition: Option<(usize, usize)>,
}

/// Of two (property count, definition index) matches, the one with more properties, the
/// earlier on ties.
fn better(a: Option<(usize, usize)>, b: Option<(usize, usize)>) -> Option<(usize, usize)> {
    match (a, b) {
        (None, b) => b,
        (a, None) => a,
        (Some(a), Some(b)) => {
            if a.0 > b.0 || (a.0 == b.0 && a.1 <= b.1) {
                Some(a)
            } else {
                Some(b)
            }
        }
    }
}

/// Reusable buffers of one matching task.
#[derive(Default)]
struct MatchBuffers {
    properties: Vec<u32>,
    states: Vec<usize>,
    kept: Vec<usize>,
    added: Vec<usize>,
}

/// Everything [`apply`] needs besides the definitions.
pub struct ApplyTarget<'a> {
    /// The graph.
    pub graph: &'a HeapGraph,
    /// Its type indexes.
    pub kinds: &'a Kinds,
    /// Its plain objects.
    pub plain: &'a [u32],
    /// Their property ranks (which include the definitions' properties).
    pub ranks: &'a PropertyRanks<'a>,
}

/// DevTools' `applyInterfaceDefinitions`: each plain object gets the class of the matching
/// definition with the most properties (the earliest on ties); a definition matches when all
/// of its properties are among the object's. Matched objects' classes in `class_of` are
/// replaced, and each used definition's name is appended to `appended`.
pub fn apply(
    target: &ApplyTarget<'_>,
    definitions: &[InterfaceDefinition],
    class_of: &mut [u32],
    codec: ClassCodec,
    appended: &mut Vec<String>,
) {
    if definitions.is_empty() {
        return;
    }
    let ApplyTarget { graph, kinds, plain, ranks } = *target;
    let mut trie: Vec<TrieNode> = vec![TrieNode::default()];
    for (index, definition) in definitions.iter().enumerate() {
        // Every definition property is ranked (`PropertyRanks::new` took the definitions).
        let mut properties: Vec<u32> = definition.properties.iter().filter_map(|p| ranks.of_text(p)).collect();
        properties.sort_unstable();
        let mut at = 0usize;
        for &property in &properties {
            let next = match trie[at].next.get(&property) {
                Some(&next) => next,
                None => {
                    trie.push(TrieNode::default());
                    let next = trie.len() - 1;
                    trie[at].next.insert(property, next);
                    if trie[at].greatest_next.is_none_or(|g| g < property) {
                        trie[at].greatest_next = Some(property);
                    }
                    next
                }
            };
            at = next;
        }
        if trie[at].definition.is_none() {
            trie[at].definition = Some((properties.len(), index));
        }
    }
    let matches: Vec<(u32, Option<usize>)> = plain
        .par_iter()
        .map_init(MatchBuffers::default, |buffers, &v| {
            let MatchBuffers { properties, states, kept, added } = buffers;
            properties.clear();
            properties.extend(
                graph
                    .edges_of(v)
                    .filter(|&e| graph.edge_type(e) == kinds.e_property)
                    .map(|e| ranks.of_name(graph.edge_name_or_index(e))),
            );
            properties.sort_unstable();
            states.clear();
            states.push(0);
            let mut best = trie[0].definition;
            for &property in properties.iter() {
                kept.clear();
                added.clear();
                for &state in states.iter() {
                    let node = &trie[state];
                    // A state whose greatest next property is not above this one cannot
                    // advance on any later (greater or equal) property.
                    if node.greatest_next.is_some_and(|g| property < g) {
                        kept.push(state);
                    }
                    if let Some(&next) = node.next.get(&property) {
                        added.push(next);
                        best = better(best, trie[next].definition);
                    }
                }
                for &state in added.iter() {
                    if !kept.contains(&state) {
                        kept.push(state);
                    }
                }
                std::mem::swap(states, kept);
            }
            (v, best.map(|(_, index)| index))
        })
        .collect();
    let mut interface_ids: FxHashMap<usize, ClassId> = FxHashMap::default();
    for (v, definition) in matches {
        let Some(index) = definition else { continue };
        let class = *interface_ids.entry(index).or_insert_with(|| {
            appended.push(definitions[index].name.clone());
            ClassId::Appended((appended.len() - 1) as u32)
        });
        class_of[v as usize] = codec.pack(class);
    }
}
