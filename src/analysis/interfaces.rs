//! The `{a, b}` class names DevTools infers for plain objects (spec §2.9): which property lists
//! become interface definitions (`inferInterfaceDefinitions`), and which definition each plain
//! object gets (`applyInterfaceDefinitions`).
//!
//! Plain objects are read once: each distinct list of property names is kept once, with how
//! many objects have it. Both steps then work on those lists (a few thousand where there are
//! millions of objects), with property names ranked in JavaScript string order, so they are
//! keyed, sorted and matched as integers instead of strings.

use rayon::prelude::*;
use rustc_hash::FxHashMap;

use super::kinds::Kinds;
use super::names::{ClassCodec, ClassId, InterfaceDefinition, format_property_name, js_cmp, js_len};
use crate::graph::HeapGraph;

/// The longest inferred interface name, in UTF-16 code units.
const MAX_INTERFACE_NAME_LENGTH: usize = 120;
/// An interface needs at least this many objects...
const MIN_OBJECT_COUNT_PER_INTERFACE: f64 = 2.0;
/// ...and at least one in this many plain objects.
const MIN_OBJECT_PROPORTION_PER_INTERFACE: f64 = 1000.0;
/// Plain objects per parallel block when reading their property lists.
const LIST_BLOCK: usize = 1 << 14;

/// The property lists of plain objects: the names of each object's property edges (string
/// indexes, in edge order), each distinct list once.
pub struct PropertyLists {
    /// The distinct lists, in the order of the first object having each.
    lists: Vec<Box<[u32]>>,
    /// The first object (in node order) having each list.
    first: Vec<u32>,
    /// How many objects have each list.
    count: Vec<usize>,
    /// Each plain object's list (parallel to the plain objects).
    list_of: Vec<u32>,
}

/// The distinct lists of one block of objects, as [`PropertyLists`] keeps them.
#[derive(Default)]
struct BlockLists {
    index: FxHashMap<Box<[u32]>, u32>,
    lists: Vec<Box<[u32]>>,
    first: Vec<u32>,
    count: Vec<usize>,
}

impl BlockLists {
    /// The number of `list` (added if new, with `v` as its first object), counted once more.
    fn add(&mut self, list: &[u32], v: u32) -> u32 {
        let i = match self.index.get(list) {
            Some(&i) => i,
            None => {
                let i = self.lists.len() as u32;
                self.index.insert(list.into(), i);
                self.lists.push(list.into());
                self.first.push(v);
                self.count.push(0);
                i
            }
        };
        self.count[i as usize] += 1;
        i
    }
}

impl PropertyLists {
    /// Reads the property lists of `plain` objects (in node order), in parallel blocks.
    pub fn new(graph: &HeapGraph, kinds: &Kinds, plain: &[u32]) -> Self {
        let mut list_of = vec![0u32; plain.len()];
        let blocks: Vec<BlockLists> = list_of
            .par_chunks_mut(LIST_BLOCK)
            .zip(plain.par_chunks(LIST_BLOCK))
            .map(|(ids, objects)| {
                let mut block = BlockLists::default();
                let mut names: Vec<u32> = Vec::new();
                for (id, &v) in ids.iter_mut().zip(objects) {
                    names.clear();
                    names.extend(
                        graph
                            .edges_of(v)
                            .filter(|&e| graph.edge_type(e) == kinds.e_property)
                            .map(|e| graph.edge_name_or_index(e)),
                    );
                    *id = block.add(&names, v);
                }
                block
            })
            .collect();
        // The blocks' lists merged in block (so node) order: a list's first object is the
        // first block's.
        let mut all = BlockLists::default();
        let global_of_local: Vec<Vec<u32>> = blocks
            .into_iter()
            .map(|block| {
                let mut first = block.first.into_iter();
                block
                    .lists
                    .iter()
                    .zip(block.count)
                    .map(|(list, count)| {
                        let i = all.add(list, first.next().unwrap_or(u32::MAX));
                        all.count[i as usize] += count - 1;
                        i
                    })
                    .collect()
            })
            .collect();
        list_of.par_chunks_mut(LIST_BLOCK).zip(&global_of_local).for_each(|(ids, global)| {
            for id in ids {
                *id = global[*id as usize];
            }
        });
        Self { lists: all.lists, first: all.first, count: all.count, list_of }
    }
}

/// Property names in JavaScript string order: every name in a plain object's property list,
/// the texts of extra definitions, and the empty string (what an out-of-range name index reads
/// as). Equal texts share a rank, so comparing ranks is comparing texts with [`js_cmp`].
pub struct PropertyRanks<'a> {
    /// The text of each rank, ascending.
    texts: Vec<&'a str>,
    /// The rank of `__proto__`, or `UNRANKED`.
    proto: u32,
    /// The lists of [`PropertyLists`], as ranks.
    lists: Vec<Box<[u32]>>,
}

impl<'a> PropertyRanks<'a> {
    /// The rank of a text no plain object or definition has.
    const UNRANKED: u32 = u32::MAX;

    /// Ranks the property names of `lists` and of `definitions`.
    pub fn new(graph: &'a HeapGraph, lists: &PropertyLists, definitions: &'a [InterfaceDefinition]) -> Self {
        let mut names: Vec<u32> = lists.lists.iter().flat_map(|list| list.iter().copied()).collect();
        names.par_sort_unstable();
        names.dedup();
        let text_of = |name: u32| if (name as usize) < graph.strings.len() { graph.strings.get(name) } else { "" };
        let mut texts: Vec<&'a str> = names.iter().map(|&name| text_of(name)).collect();
        texts.extend(definitions.iter().flat_map(|d| d.properties.iter().map(String::as_str)));
        texts.push("");
        texts.par_sort_unstable_by(|a, b| js_cmp(a, b));
        texts.dedup();
        let rank_of = |text: &str| texts.binary_search_by(|t| js_cmp(t, text)).map_or(Self::UNRANKED, |r| r as u32);
        let rank_of_name: FxHashMap<u32, u32> = names.iter().map(|&name| (name, rank_of(text_of(name)))).collect();
        let lists = lists
            .lists
            .iter()
            .map(|list| list.iter().map(|name| rank_of_name.get(name).copied().unwrap_or(Self::UNRANKED)).collect())
            .collect();
        let proto = rank_of("__proto__");
        Self { texts, proto, lists }
    }

    /// The rank of a text, when ranked.
    fn of_text(&self, text: &str) -> Option<u32> {
        self.texts.binary_search_by(|t| js_cmp(t, text)).ok().map(|r| r as u32)
    }
}

/// DevTools' `inferInterfaceDefinitions`: the property lists most plain objects start with,
/// most popular first (ties in first-seen order, as DevTools' stable sort leaves them).
pub fn infer(lists: &PropertyLists, ranks: &PropertyRanks<'_>, plain_count: usize) -> Vec<InterfaceDefinition> {
    let formatted_len: Vec<usize> = ranks.texts.par_iter().map(|t| js_len(&format_property_name(t))).collect();
    // Candidates by property ranks, with the first object that proposed each and how many did.
    let mut counts: FxHashMap<Box<[u32]>, (u32, usize)> = FxHashMap::default();
    let mut key = Vec::new();
    for (i, list) in ranks.lists.iter().enumerate() {
        candidate(ranks, &formatted_len, list, &mut key);
        if key.is_empty() {
            continue;
        }
        let (first, count) = (lists.first[i], lists.count[i]);
        match counts.get_mut(key.as_slice()) {
            Some(entry) => {
                entry.0 = entry.0.min(first);
                entry.1 += count;
            }
            None => {
                counts.insert(key.as_slice().into(), (first, count));
            }
        }
    }
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
    let min_count = MIN_OBJECT_COUNT_PER_INTERFACE.max(plain_count as f64 / MIN_OBJECT_PROPORTION_PER_INTERFACE);
    order
        .into_iter()
        .take_while(|(_, _, count, _)| *count as f64 >= min_count)
        .map(|(name, _, _, properties)| InterfaceDefinition { name, properties })
        .collect()
}

/// The property ranks of the interface an object with property `list` (ranks, in edge order)
/// proposes: its first properties, up to a name of 120 characters, `__proto__` skipped; empty
/// when it has none.
fn candidate(ranks: &PropertyRanks<'_>, formatted_len: &[usize], list: &[u32], key: &mut Vec<u32>) {
    key.clear();
    let mut name_len = 1usize;
    for &rank in list {
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
    /// The plain objects.
    pub plain: &'a [u32],
    /// Their property lists.
    pub lists: &'a PropertyLists,
    /// The lists' property ranks (which include the definitions' properties).
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
    let ApplyTarget { plain, lists, ranks } = *target;
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
    // The definition each distinct property list matches.
    let matches: Vec<Option<usize>> = ranks
        .lists
        .par_iter()
        .map_init(MatchBuffers::default, |buffers, list| {
            let MatchBuffers { properties, states, kept, added } = buffers;
            properties.clear();
            properties.extend_from_slice(list);
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
            best.map(|(_, index)| index)
        })
        .collect();
    let mut interface_ids: FxHashMap<usize, ClassId> = FxHashMap::default();
    for (&v, &list) in plain.iter().zip(&lists.list_of) {
        let Some(index) = matches[list as usize] else { continue };
        let class = *interface_ids.entry(index).or_insert_with(|| {
            appended.push(definitions[index].name.clone());
            ClassId::Appended((appended.len() - 1) as u32)
        });
        class_of[v as usize] = codec.pack(class);
    }
}
