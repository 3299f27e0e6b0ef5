//! The `snapshot` header: `meta` (field and type vocabularies) and the counts.

use serde::Deserialize;
use serde_json::Value;

use crate::error::{ErrorKind, KindResult};
use crate::graph::SnapshotMeta;

/// The parsed header.
#[derive(Debug, Clone)]
pub struct Header {
    /// Vocabularies and header values (`root` is still a nodes-array offset).
    pub meta: SnapshotMeta,
    /// `snapshot.node_count`.
    pub node_count: u64,
    /// `snapshot.edge_count`.
    pub edge_count: u64,
    /// `meta.trace_function_info_fields` (empty when absent).
    pub trace_function_info_fields: Vec<String>,
    /// `meta.sample_fields` (empty when absent).
    pub sample_fields: Vec<String>,
}

#[derive(Deserialize)]
struct RawHeader {
    meta: RawMeta,
    node_count: Option<Value>,
    edge_count: Option<Value>,
    trace_function_count: Option<Value>,
    extra_native_bytes: Option<Value>,
    root_index: Option<Value>,
}

#[derive(Deserialize)]
struct RawMeta {
    node_fields: Vec<String>,
    node_types: Vec<Value>,
    edge_fields: Vec<String>,
    edge_types: Vec<Value>,
    #[serde(default)]
    location_fields: Vec<String>,
    #[serde(default)]
    trace_function_info_fields: Vec<String>,
    #[serde(default)]
    sample_fields: Vec<String>,
}

/// Parses the bytes of the `snapshot` object.
pub fn parse_header(bytes: &[u8]) -> KindResult<Header> {
    let raw: RawHeader =
        serde_json::from_slice(bytes).map_err(|e| ErrorKind::BadHeader(format!("the snapshot object: {e}")))?;
    let node_types = type_list(&raw.meta.node_types, "node_types")?;
    let edge_types = type_list(&raw.meta.edge_types, "edge_types")?;
    if node_types.len() > 256 || edge_types.len() > 256 {
        return Err(ErrorKind::BadHeader("more than 256 node or edge types".into()));
    }
    for required in ["type", "name", "id", "self_size", "edge_count"] {
        if !raw.meta.node_fields.iter().any(|f| f == required) {
            return Err(ErrorKind::BadHeader(format!("meta.node_fields has no \"{required}\"")));
        }
    }
    for required in ["type", "name_or_index", "to_node"] {
        if !raw.meta.edge_fields.iter().any(|f| f == required) {
            return Err(ErrorKind::BadHeader(format!("meta.edge_fields has no \"{required}\"")));
        }
    }
    let node_count =
        count(raw.node_count.as_ref(), "node_count")?.ok_or_else(|| ErrorKind::BadHeader("no node_count".into()))?;
    let edge_count =
        count(raw.edge_count.as_ref(), "edge_count")?.ok_or_else(|| ErrorKind::BadHeader("no edge_count".into()))?;
    let root = count(raw.root_index.as_ref(), "root_index")?.unwrap_or(0);
    let meta = SnapshotMeta {
        node_fields: raw.meta.node_fields,
        node_types,
        edge_fields: raw.meta.edge_fields,
        edge_types,
        location_fields: raw.meta.location_fields,
        trace_function_count: count(raw.trace_function_count.as_ref(), "trace_function_count")?.unwrap_or(0),
        extra_native_bytes: count(raw.extra_native_bytes.as_ref(), "extra_native_bytes")?.unwrap_or(0),
        root: u32::try_from(root).map_err(|_| ErrorKind::BadHeader(format!("root_index {root} is too large")))?,
    };
    Ok(Header {
        meta,
        node_count,
        edge_count,
        trace_function_info_fields: raw.meta.trace_function_info_fields,
        sample_fields: raw.meta.sample_fields,
    })
}

/// `meta.node_types[0]` / `meta.edge_types[0]`: the list of type names.
fn type_list(list: &[Value], what: &str) -> KindResult<Vec<String>> {
    let Some(Value::Array(names)) = list.first() else {
        return Err(ErrorKind::BadHeader(format!("meta.{what}[0] is not a list of type names")));
    };
    names
        .iter()
        .map(|v| v.as_str().map(str::to_owned).ok_or_else(|| ErrorKind::BadHeader(format!("meta.{what}[0] holds {v}"))))
        .collect()
}

/// A header count: a non-negative integer (older V8 wrote some as doubles).
fn count(value: Option<&Value>, what: &str) -> KindResult<Option<u64>> {
    let Some(value) = value else { return Ok(None) };
    let bad = || ErrorKind::BadHeader(format!("{what} is {value}, not a non-negative integer"));
    if let Some(n) = value.as_u64() {
        return Ok(Some(n));
    }
    let f = value.as_f64().ok_or_else(bad)?;
    if f >= 0.0 && f.fract() == 0.0 && f < 2f64.powi(63) { Ok(Some(f as u64)) } else { Err(bad()) }
}
