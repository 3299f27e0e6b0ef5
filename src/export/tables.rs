//! Summary and Comparison tables as CSV (RFC 4180, one header row) and JSON (an array of rows).

use serde::Serialize;

use crate::analysis::aggregates::ClassAggregate;
use crate::compare::v8::ClassDiff;

/// One Summary row as exported.
#[derive(Clone, Debug, Serialize)]
pub struct SummaryRow<'a> {
    /// Class name.
    pub class_name: &'a str,
    /// Minimum distance.
    pub distance: i32,
    /// Objects.
    pub count: u64,
    /// Shallow size.
    pub shallow_size: u64,
    /// Retained size.
    pub retained_size: u64,
}

impl<'a> From<&'a ClassAggregate> for SummaryRow<'a> {
    fn from(row: &'a ClassAggregate) -> Self {
        Self {
            class_name: &row.name,
            distance: row.distance,
            count: row.count,
            shallow_size: row.self_size,
            retained_size: row.retained_size,
        }
    }
}

/// One Comparison row as exported.
#[derive(Clone, Debug, Serialize)]
pub struct ComparisonRow<'a> {
    /// Class name.
    pub class_name: &'a str,
    /// `# New`.
    pub new_count: u64,
    /// `# Deleted`.
    pub deleted_count: u64,
    /// `# Delta`.
    pub count_delta: i64,
    /// `Alloc. Size`.
    pub alloc_size: u64,
    /// `Freed Size`.
    pub freed_size: u64,
    /// `Size Delta`.
    pub size_delta: i64,
    /// Retained size in the base snapshot.
    pub retained_before: u64,
    /// Retained size in the current snapshot.
    pub retained_after: u64,
    /// Retained size delta.
    pub retained_delta: i64,
}

impl<'a> From<&'a ClassDiff> for ComparisonRow<'a> {
    fn from(row: &'a ClassDiff) -> Self {
        Self {
            class_name: &row.name,
            new_count: row.new_count,
            deleted_count: row.deleted_count,
            count_delta: row.count_delta(),
            alloc_size: row.alloc_size,
            freed_size: row.freed_size,
            size_delta: row.size_delta(),
            retained_before: row.retained_before,
            retained_after: row.retained_after,
            retained_delta: row.retained_delta(),
        }
    }
}

/// Rows as CSV with a header row.
pub fn csv<T: Serialize>(rows: &[T], out: &mut dyn std::io::Write) -> Result<(), csv::Error> {
    let mut writer = csv::Writer::from_writer(out);
    for row in rows {
        writer.serialize(row)?;
    }
    writer.flush()?;
    Ok(())
}

/// Rows as a pretty JSON array.
pub fn json<T: Serialize>(rows: &[T], out: &mut dyn std::io::Write) -> serde_json::Result<()> {
    serde_json::to_writer_pretty(&mut *out, rows)?;
    Ok(())
}
