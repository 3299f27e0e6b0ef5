//! Allocator settings for the commands that analyze a snapshot and exit.
//!
//! The analysis allocates and frees many arrays of tens of megabytes. By default glibc serves
//! each from a fresh `mmap` and unmaps it on free, so every allocation pays again for the
//! kernel to fault in and zero its pages. A one-shot command does better keeping freed
//! memory in the heap for the next array: on the 832 MB benchmark snapshot this takes about
//! a fifth off the system time of `summary` and `compare`. The desktop app keeps the default,
//! so closing a snapshot gives its memory back. `info` keeps it too: it frees little that it
//! would allocate again, and a kept block only raises its peak.

/// Makes large allocations come from the heap and keeps freed memory for reuse, once per
/// process; does nothing where the C allocator is not glibc's.
pub fn keep_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        static ONCE: std::sync::Once = std::sync::Once::new();
        ONCE.call_once(|| {
            // SAFETY: mallopt only changes allocator parameters; glibc serialises it with
            // allocation. A rejected value leaves the default in place, which is harmless.
            unsafe {
                libc::mallopt(libc::M_MMAP_MAX, 0);
                libc::mallopt(libc::M_TRIM_THRESHOLD, i32::MAX);
            }
        });
    }
}
