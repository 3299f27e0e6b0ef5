//! A global allocator that backs large allocations with transparent huge pages.
//!
//! Loading and analysing a big snapshot touches more than a gigabyte of fresh memory: the
//! graph's columns and the analysis' arrays are each tens or hundreds of megabytes. With 4 KiB
//! pages that is a quarter of a million page faults, and where the kernel's transparent huge
//! page mode is `madvise` (a common default) the kernel only uses 2 MiB pages for memory that
//! asks for them. [`HugePageAllocator`] asks: on Linux, every allocation of at least
//! [`LARGE_ALLOCATION`] bytes gets its own 2 MiB-aligned anonymous mapping marked
//! `MADV_HUGEPAGE`, grown and shrunk in place or moved by `mremap` (no copy), and returned to
//! the system when freed. Smaller allocations, and every allocation on other systems, go to
//! [`System`].
//!
//! Huge pages make faulting in fresh memory several times cheaper and cut TLB misses in the
//! analysis' random accesses. One caveat: in a virtual machine whose balloon reports free
//! memory to the host (free page reporting, as Firecracker does), 2 MiB blocks that sat free
//! for a few seconds have been handed back to the host, and the first run after an idle spell
//! waits for the host to back them again. `HEAPSCOPE_HUGE_PAGES=0` turns the advice off
//! (see [`configure_from_env`]).
//!
//! The binaries install it with `#[global_allocator]`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, Ordering};

/// Allocations of at least this many bytes are mapped directly (on Linux).
pub const LARGE_ALLOCATION: usize = 2 << 20;

/// The global allocator of the heapscope binaries; see the module docs.
pub struct HugePageAllocator;

/// Whether new mappings ask for huge pages.
static HUGE_PAGES: AtomicBool = AtomicBool::new(true);

/// Turns the huge page advice on or off for the large allocations made from now on.
pub fn set_huge_pages(on: bool) {
    HUGE_PAGES.store(on, Ordering::Relaxed);
}

/// Applies the environment variable `HEAPSCOPE_HUGE_PAGES`: `0`, `off` or `no` turns the
/// huge page advice off. Binaries call this first thing in `main`.
pub fn configure_from_env() {
    if let Some(value) = std::env::var_os("HEAPSCOPE_HUGE_PAGES") {
        set_huge_pages(!matches!(value.to_str(), Some("0" | "off" | "no" | "false")));
    }
}

/// Whether an allocation of `layout` is (or was) mapped directly rather than by [`System`].
fn is_mapped(layout: &Layout) -> bool {
    cfg!(target_os = "linux") && layout.size() >= LARGE_ALLOCATION && layout.align() <= mapping::PAGE
}

// SAFETY: every pointer handed out is either from `System` with the same layout, or from a
// private anonymous mapping of at least `layout.size()` bytes aligned to a page (which
// `is_mapped` requires to satisfy `layout.align()`). `GlobalAlloc` guarantees that
// `dealloc`/`realloc` receive the layout of the allocation, so `is_mapped` tells the two kinds
// apart exactly.
unsafe impl GlobalAlloc for HugePageAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if is_mapped(&layout) { mapping::map(layout.size()) } else { unsafe { System.alloc(layout) } }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // Fresh anonymous mappings are zeroed by the kernel.
        if is_mapped(&layout) { mapping::map(layout.size()) } else { unsafe { System.alloc_zeroed(layout) } }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if is_mapped(&layout) {
            unsafe { mapping::unmap(ptr, layout.size()) }
        } else {
            unsafe { System.dealloc(ptr, layout) }
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY (all branches): the caller guarantees `new_size` with `layout.align()` is a
        // valid layout and `ptr` was allocated with `layout`.
        let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
        match (is_mapped(&layout), is_mapped(&new_layout)) {
            (false, false) => unsafe { System.realloc(ptr, layout, new_size) },
            (true, true) => unsafe { mapping::remap(ptr, layout.size(), new_size) },
            _ => unsafe {
                let new = self.alloc(new_layout);
                if !new.is_null() {
                    std::ptr::copy_nonoverlapping(ptr, new, layout.size().min(new_size));
                    self.dealloc(ptr, layout);
                }
                new
            },
        }
    }
}

#[cfg(target_os = "linux")]
mod mapping {
    use std::ptr::null_mut;

    /// The page size every mapping is aligned to (at least; Linux pages are 4 KiB or larger).
    pub const PAGE: usize = 4096;
    /// The size (and alignment) of a transparent huge page on x86-64 and most arm64 kernels.
    const HUGE_PAGE: usize = 2 << 20;

    fn page_rounded(size: usize) -> usize {
        size.div_ceil(PAGE) * PAGE
    }

    /// Maps `size` bytes of zeroed memory aligned to a huge page and asks for huge pages;
    /// null when the system has no memory left.
    pub fn map(size: usize) -> *mut u8 {
        let length = page_rounded(size);
        let Some(reserved) = length.checked_add(HUGE_PAGE) else { return null_mut() };
        // SAFETY: a fresh private anonymous mapping aliases nothing.
        let base = unsafe {
            libc::mmap(
                null_mut(),
                reserved,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        if base == libc::MAP_FAILED {
            return null_mut();
        }
        let base = base.cast::<u8>();
        let head = base.align_offset(HUGE_PAGE);
        let start = base.wrapping_add(head);
        // SAFETY: the head and tail trimmed off lie inside the mapping made above and are
        // never handed out.
        unsafe {
            if head > 0 {
                libc::munmap(base.cast(), head);
            }
            let tail = reserved - head - length;
            if tail > 0 {
                libc::munmap(start.add(length).cast(), tail);
            }
            // Advice only: without transparent huge pages the memory is ordinary pages.
            if super::HUGE_PAGES.load(std::sync::atomic::Ordering::Relaxed) {
                libc::madvise(start.cast(), length, libc::MADV_HUGEPAGE);
            }
        }
        start
    }

    /// Returns a mapping made by [`map`] or [`remap`] for `size` bytes to the system.
    ///
    /// # Safety
    /// `ptr` and `size` must be those of a live mapping from this module.
    pub unsafe fn unmap(ptr: *mut u8, size: usize) {
        unsafe { libc::munmap(ptr.cast(), page_rounded(size)) };
    }

    /// Resizes a mapping made by [`map`] to `new_size` bytes, in place when the address space
    /// after it is free and by moving its pages otherwise (the huge page advice moves with
    /// them); null when that fails, with the old mapping untouched.
    ///
    /// # Safety
    /// `ptr` and `size` must be those of a live mapping from this module.
    pub unsafe fn remap(ptr: *mut u8, size: usize, new_size: usize) -> *mut u8 {
        let (old, new) = (page_rounded(size), page_rounded(new_size));
        if old == new {
            return ptr;
        }
        let moved = unsafe { libc::mremap(ptr.cast(), old, new, libc::MREMAP_MAYMOVE) };
        if moved == libc::MAP_FAILED { null_mut() } else { moved.cast() }
    }
}

#[cfg(not(target_os = "linux"))]
mod mapping {
    //! Never used: `is_mapped` is false off Linux.
    pub const PAGE: usize = 4096;
    pub fn map(_size: usize) -> *mut u8 {
        std::ptr::null_mut()
    }
    pub unsafe fn unmap(_ptr: *mut u8, _size: usize) {}
    pub unsafe fn remap(_ptr: *mut u8, _size: usize, _new_size: usize) -> *mut u8 {
        std::ptr::null_mut()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Allocates `layout` with [`HugePageAllocator`] and fills it with a byte pattern.
    fn filled(layout: Layout) -> *mut u8 {
        let ptr = unsafe { HugePageAllocator.alloc(layout) };
        assert!(!ptr.is_null());
        assert_eq!(ptr.align_offset(layout.align()), 0);
        for i in 0..layout.size() {
            unsafe { ptr.add(i).write(i as u8 ^ 0x5a) };
        }
        ptr
    }

    fn assert_pattern(ptr: *const u8, len: usize) {
        for i in 0..len {
            assert_eq!(unsafe { ptr.add(i).read() }, i as u8 ^ 0x5a, "byte {i}");
        }
    }

    #[test]
    fn realloc_keeps_the_contents_across_the_large_threshold_both_ways() {
        let sizes = [100, LARGE_ALLOCATION - 1, LARGE_ALLOCATION, LARGE_ALLOCATION + 12_345, 3 * LARGE_ALLOCATION];
        for &from in &sizes {
            for &to in &sizes {
                let layout = Layout::from_size_align(from, 8).unwrap();
                let ptr = filled(layout);
                let grown = unsafe { HugePageAllocator.realloc(ptr, layout, to) };
                assert!(!grown.is_null(), "{from} -> {to}");
                assert_pattern(grown, from.min(to));
                // Writable to its new end.
                unsafe { grown.add(to - 1).write(1) };
                unsafe { HugePageAllocator.dealloc(grown, Layout::from_size_align(to, 8).unwrap()) };
            }
        }
    }

    #[test]
    fn zeroed_allocations_are_zero_and_large_ones_are_huge_page_aligned() {
        for size in [64, LARGE_ALLOCATION, LARGE_ALLOCATION * 2 + 7] {
            let layout = Layout::from_size_align(size, 16).unwrap();
            let ptr = unsafe { HugePageAllocator.alloc_zeroed(layout) };
            assert!(!ptr.is_null());
            assert!((0..size).all(|i| unsafe { ptr.add(i).read() } == 0));
            if cfg!(target_os = "linux") && size >= LARGE_ALLOCATION {
                assert_eq!(ptr.align_offset(2 << 20), 0);
            }
            unsafe { HugePageAllocator.dealloc(ptr, layout) };
        }
    }

    #[test]
    fn alignments_above_a_page_go_to_the_system_allocator() {
        let layout = Layout::from_size_align(LARGE_ALLOCATION, 1 << 16).unwrap();
        assert!(!is_mapped(&layout));
        let ptr = filled(layout);
        assert_pattern(ptr, layout.size());
        unsafe { HugePageAllocator.dealloc(ptr, layout) };
    }
}
