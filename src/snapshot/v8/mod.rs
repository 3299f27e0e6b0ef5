//! The V8 `.heapsnapshot` loader.
//!
//! The file is read forward in chunks. The small `snapshot` header is parsed with serde_json;
//! the big numeric arrays are parsed in parallel by a purpose-built digit scanner straight into
//! typed columns (field offsets come from `snapshot.meta`, never hard-coded); strings are
//! decoded once into one buffer. Top-level keys may come in any order after the header, and
//! unknown keys are skipped.

mod canonical;
mod canonical_avx512;
mod header;
mod numbers;
mod skip;
mod strings;
mod trace_tree;

pub use header::Header;

use crate::error::{ErrorKind, KindResult};
use crate::graph::{GraphParts, HeapGraph, bad_edge_target, build_graph, index_edges};
use crate::progress::{Phase, Progress};
use crate::snapshot::input::{Input, describe_byte};
use numbers::{Column, Ordinals, parse_rows};

/// Longest `snapshot` header accepted, in bytes.
const MAX_HEADER: usize = 16 << 20;

/// Parses a V8 heap snapshot from `input` and builds its graph.
pub fn load(input: &mut Input, progress: &dyn Progress, memory_check: bool) -> KindResult<HeapGraph> {
    let parts = parse(input, progress, memory_check)?;
    build_graph(parts, progress)
}

/// Which top-level sections were seen.
#[derive(Default)]
struct Seen {
    nodes: bool,
    edges: bool,
    strings: bool,
}

/// Parses the whole JSON document into columns; with `memory_check`, refuses a header whose
/// counts need more memory than is available (see [`crate::snapshot::memory`]).
pub fn parse(input: &mut Input, progress: &dyn Progress, memory_check: bool) -> KindResult<GraphParts> {
    progress.phase(Phase::Read, input.size_hint().unwrap_or(0));
    input.expect(b'{', "'{' at the start of a heap snapshot")?;
    let first = skip::read_key(input)?;
    if first != "snapshot" {
        return Err(ErrorKind::MissingSection("snapshot header (it must be the first key)"));
    }
    input.expect(b':', "':' after a key")?;
    let header_bytes = skip::read_balanced(input, MAX_HEADER, "the snapshot header")?;
    let header = header::parse_header(&header_bytes)?;
    // Held while the columns fill, so loads running at the same time see each other's needs.
    let _reservation =
        if memory_check { Some(super::memory::reserve(header.node_count, header.edge_count)?) } else { None };
    let mut parts = GraphParts {
        meta: header.meta.clone(),
        node_field_count: header.meta.node_fields.len(),
        ..GraphParts::default()
    };
    let mut seen = Seen::default();
    loop {
        match input.skip_ws()? {
            Some(b'}') => {
                input.consume(1);
                break;
            }
            Some(b',') => input.consume(1),
            Some(b) => {
                return Err(ErrorKind::Syntax {
                    offset: input.offset(),
                    expected: "',' or '}' after a top-level value",
                    found: describe_byte(b),
                });
            }
            None => return Err(ErrorKind::Truncated { offset: input.offset(), inside: "the top-level object".into() }),
        }
        let key = skip::read_key(input)?;
        input.expect(b':', "':' after a key")?;
        let duplicate = match key.as_str() {
            "nodes" if seen.nodes => Some("nodes"),
            "edges" if seen.edges => Some("edges"),
            "strings" if seen.strings => Some("strings"),
            _ => None,
        };
        if let Some(section) = duplicate {
            return Err(ErrorKind::DuplicateSection(section));
        }
        match key.as_str() {
            "nodes" => {
                parse_nodes(input, &header, &mut parts, progress)?;
                seen.nodes = true;
            }
            "edges" => {
                parse_edges(input, &header, &mut parts, progress)?;
                seen.edges = true;
            }
            "strings" => {
                progress.phase(Phase::Strings, input.size_hint().map_or(0, |s| s.saturating_sub(input.offset())));
                if seen.nodes && seen.edges && parts.edge_index.is_none() {
                    // The usual order (strings last): index the edges while the strings parse.
                    let node_edge_count = std::mem::take(&mut parts.node_edge_count);
                    let edge_to = std::mem::take(&mut parts.edge_to);
                    let (strings, index) = rayon::join(
                        || strings::parse_strings(input, &mut parts.strings, progress),
                        || {
                            index_edges(
                                &parts.meta,
                                &parts.node_type,
                                node_edge_count,
                                &parts.edge_type,
                                edge_to,
                                &|| progress.is_cancelled(),
                            )
                        },
                    );
                    strings?;
                    parts.edge_index = Some(index?);
                } else {
                    strings::parse_strings(input, &mut parts.strings, progress)?;
                }
                seen.strings = true;
            }
            "locations" if !header.meta.location_fields.is_empty() => {
                parts.locations = parse_columns(input, "locations", header.meta.location_fields.len(), progress)?;
            }
            "trace_function_infos" if !header.trace_function_info_fields.is_empty() => {
                let stride = header.trace_function_info_fields.len();
                parts.trace_function_infos = parse_flat(input, "trace_function_infos", stride, progress)?;
            }
            "samples" if !header.sample_fields.is_empty() => {
                parts.samples = parse_flat(input, "samples", header.sample_fields.len(), progress)?;
            }
            "trace_tree" => parts.trace_tree = trace_tree::parse_trace_tree(input)?,
            _ => skip::skip_value(input)?,
        }
    }
    if !seen.nodes {
        return Err(ErrorKind::MissingSection("nodes"));
    }
    if !seen.edges {
        return Err(ErrorKind::MissingSection("edges"));
    }
    if !seen.strings {
        return Err(ErrorKind::MissingSection("strings"));
    }
    Ok(parts)
}

/// A number type a small flat array is parsed into.
trait FlatValue: Copy + Clone {
    fn column(values: &mut Vec<Self>) -> Column<'_>;
}

impl FlatValue for u32 {
    fn column(values: &mut Vec<Self>) -> Column<'_> {
        Column::U32(values)
    }
}

impl FlatValue for u64 {
    fn column(values: &mut Vec<Self>) -> Column<'_> {
        Column::U64(values)
    }
}

/// Parses a small numeric array with `stride` fields per row into one flat vector.
fn parse_flat<T: FlatValue>(
    input: &mut Input,
    array: &'static str,
    stride: usize,
    progress: &dyn Progress,
) -> KindResult<Vec<T>> {
    let columns = parse_columns(input, array, stride, progress)?;
    let rows = columns.first().map_or(0, Vec::len);
    Ok(interleave(&columns, rows))
}

/// Parses a numeric array with `stride` fields per row into one vector per field.
fn parse_columns<T: FlatValue>(
    input: &mut Input,
    array: &'static str,
    stride: usize,
    progress: &dyn Progress,
) -> KindResult<Vec<Vec<T>>> {
    let mut values: Vec<Vec<T>> = vec![Vec::new(); stride];
    let mut columns: Vec<Column<'_>> = values.iter_mut().map(T::column).collect();
    parse_rows(input, array, &mut columns, 0, None, progress)?;
    drop(columns);
    Ok(values)
}

fn interleave<T: Copy>(columns: &[Vec<T>], rows: usize) -> Vec<T> {
    let mut out = Vec::with_capacity(rows * columns.len());
    for r in 0..rows {
        for c in columns {
            out.push(c[r]);
        }
    }
    out
}

fn parse_nodes(input: &mut Input, header: &Header, parts: &mut GraphParts, progress: &dyn Progress) -> KindResult<()> {
    progress.phase(Phase::Nodes, header.node_count);
    let mut edge_count = Vec::new();
    let GraphParts {
        node_type,
        node_name,
        node_id,
        node_self_size,
        large_self_sizes,
        node_trace_id,
        node_detachedness,
        ..
    } = parts;
    let mut columns: Vec<Column<'_>> = Vec::with_capacity(header.meta.node_fields.len());
    let (mut ty, mut name, mut id, mut size, mut edges, mut trace, mut detach) = (
        Some(node_type),
        Some(node_name),
        Some(node_id),
        Some((node_self_size, large_self_sizes)),
        Some(&mut edge_count),
        Some(node_trace_id),
        Some(node_detachedness),
    );
    for field in &header.meta.node_fields {
        // A repeated field name keeps its first position; later copies are skipped.
        let column = match field.as_str() {
            "type" => ty.take().map(Column::U8),
            "name" => name.take().map(Column::U32),
            "id" => id.take().map(Column::U32),
            "self_size" => size.take().map(|(sizes, large)| Column::U32Wide(sizes, large)),
            "edge_count" => edges.take().map(Column::U32),
            // Without allocation tracking every trace_node_id is 0: not worth a column.
            "trace_node_id" if header.meta.trace_function_count > 0 => trace.take().map(Column::U32),
            "detachedness" => detach.take().map(Column::U8),
            _ => None,
        };
        columns.push(column.unwrap_or(Column::Skip));
    }
    let rows = parse_rows(input, "nodes", &mut columns, header.node_count, None, progress)?;
    drop(columns);
    if rows != header.node_count {
        return Err(ErrorKind::CountMismatch {
            what: "nodes",
            array: "nodes",
            declared: header.node_count,
            actual: rows,
        });
    }
    parts.node_edge_count = edge_count;
    Ok(())
}

fn parse_edges(input: &mut Input, header: &Header, parts: &mut GraphParts, progress: &dyn Progress) -> KindResult<()> {
    progress.phase(Phase::Edges, header.edge_count);
    let GraphParts { edge_type, edge_name, edge_to, .. } = parts;
    let (mut ty, mut name, mut to) = (Some(edge_type), Some(edge_name), Some(edge_to));
    let mut columns: Vec<Column<'_>> = header
        .meta
        .edge_fields
        .iter()
        .map(|field| {
            match field.as_str() {
                "type" => ty.take().map(Column::U8),
                "name_or_index" => name.take().map(Column::U32),
                "to_node" => to.take().map(Column::U32),
                _ => None,
            }
            .unwrap_or(Column::Skip)
        })
        .collect();
    // Targets become node ordinals as they are read.
    let node_count = usize::try_from(header.node_count).unwrap_or(usize::MAX);
    let ordinals = header
        .meta
        .edge_fields
        .iter()
        .position(|field| field == "to_node")
        .map(|column| Ordinals::new(column, parts.node_field_count, node_count));
    let rows = parse_rows(input, "edges", &mut columns, header.edge_count, ordinals.as_ref(), progress)?;
    drop(columns);
    if rows != header.edge_count {
        return Err(ErrorKind::CountMismatch {
            what: "edges",
            array: "edges",
            declared: header.edge_count,
            actual: rows,
        });
    }
    if let Some((edge, offset)) = ordinals.and_then(|o| o.first_bad()) {
        return Err(bad_edge_target(edge, offset, parts.node_field_count, node_count));
    }
    Ok(())
}
