//! The node and edge type indexes the analyses test, resolved once from `snapshot.meta`.

use crate::graph::SnapshotMeta;

/// A type index no node or edge has (for types a snapshot does not declare).
const ABSENT: u8 = u8::MAX;

/// Node and edge type indexes by role.
#[derive(Clone, Copy, Debug)]
pub struct Kinds {
    /// `hidden` nodes.
    pub hidden: u8,
    /// `array` nodes.
    pub array: u8,
    /// `string` nodes.
    pub string: u8,
    /// `object` nodes.
    pub object: u8,
    /// `code` nodes.
    pub code: u8,
    /// `closure` nodes.
    pub closure: u8,
    /// `regexp` nodes.
    pub regexp: u8,
    /// `native` nodes.
    pub native: u8,
    /// `synthetic` nodes.
    pub synthetic: u8,
    /// `concatenated string` nodes.
    pub cons_string: u8,
    /// `sliced string` nodes.
    pub sliced_string: u8,
    /// `context` edges.
    pub e_context: u8,
    /// `element` edges.
    pub e_element: u8,
    /// `property` edges.
    pub e_property: u8,
    /// `internal` edges.
    pub e_internal: u8,
    /// `hidden` edges.
    pub e_hidden: u8,
    /// `shortcut` edges.
    pub e_shortcut: u8,
    /// `weak` edges.
    pub e_weak: u8,
    /// `invisible` edges (DevTools' own type; V8 never writes it).
    pub e_invisible: u8,
}

impl Kinds {
    /// Resolves the indexes by name.
    pub fn new(meta: &SnapshotMeta) -> Self {
        let node = |name: &str| meta.node_type_index(name).unwrap_or(ABSENT);
        let edge = |name: &str| meta.edge_type_index(name).unwrap_or(ABSENT);
        Self {
            hidden: node("hidden"),
            array: node("array"),
            string: node("string"),
            object: node("object"),
            code: node("code"),
            closure: node("closure"),
            regexp: node("regexp"),
            native: node("native"),
            synthetic: node("synthetic"),
            cons_string: node("concatenated string"),
            sliced_string: node("sliced string"),
            e_context: edge("context"),
            e_element: edge("element"),
            e_property: edge("property"),
            e_internal: edge("internal"),
            e_hidden: edge("hidden"),
            e_shortcut: edge("shortcut"),
            e_weak: edge("weak"),
            e_invisible: edge("invisible"),
        }
    }
}
