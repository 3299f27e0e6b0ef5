//! Atomic file writes: the content goes to a temporary file in the destination's directory,
//! which then replaces the destination in one rename. A reader (or a crash) sees the old file or
//! the new one, never half of one.

use std::io::Write;
use std::path::Path;

/// Writes `path` atomically with what `write` produces; on any error the destination is left as
/// it was and the temporary file is removed.
pub fn write_atomically(path: &Path, write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let mut temp = tempfile::Builder::new().prefix(".heapscope-").suffix(".tmp").tempfile_in(dir)?;
    {
        let mut buffered = std::io::BufWriter::new(temp.as_file_mut());
        write(&mut buffered)?;
        buffered.flush()?;
    }
    temp.as_file().sync_all()?;
    temp.persist(path).map_err(|e| e.error)?;
    Ok(())
}
