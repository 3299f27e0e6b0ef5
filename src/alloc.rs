//! A global allocator that maps large allocations directly and reuses them.
//!
//! Loading and analysing a big snapshot touches more than a gigabyte of fresh memory: the
//! graph's columns and the analysis' arrays are each tens or hundreds of megabytes, and fresh
//! memory costs a page fault and the kernel zeroing each page. On Linux, [`MappingAllocator`]
//! gives every allocation of at least [`LARGE_ALLOCATION`] bytes its own 2 MiB-aligned
//! anonymous mapping, grown and shrunk in place or moved by `mremap` (no copy). Freed
//! mappings, up to [`POOL_BYTES`] in all, are kept and reused by the next large allocations
//! (split or grown to size), since an analysis frees and allocates many node-sized arrays in
//! turn and memory the process already has costs no page faults; the rest goes back to the
//! system. Smaller allocations, and every allocation on other systems, go to [`System`].
//!
//! Huge pages can make faulting in fresh memory several times cheaper and cut TLB misses in
//! the analysis' random accesses, but they are not asked for by default
//! ([`HugePages::Off`]): in a virtual machine whose balloon reports free memory to its host
//! (free page reporting, as Firecracker does), 2 MiB blocks that sat free for a few seconds
//! have been handed back to the host, and each one faulted in again waits for the host, about
//! twenty times longer than a huge page the guest still has, while small pages come from
//! blocks that were never handed back. Measured on such a machine, huge pages made `summary`
//! 15-20 % faster in back-to-back runs but 30-40 % slower after an idle spell or another
//! program. `HEAPSCOPE_HUGE_PAGES=on` asks for them, and `auto` asks for them while they
//! stay quick (see [`configure_from_env`]); on a machine that does not hand free memory back
//! to a host, `on` should be the faster choice (not measured here).
//!
//! The binaries install it with `#[global_allocator]`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU8, Ordering};

/// Allocations of at least this many bytes are mapped directly (on Linux).
pub const LARGE_ALLOCATION: usize = 2 << 20;

pub use mapping::POOL_BYTES;

/// The global allocator of the heapscope binaries; see the module docs.
pub struct MappingAllocator;

/// Whether large mappings ask the kernel for transparent huge pages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HugePages {
    /// Never.
    Off,
    /// Always.
    On,
    /// On while huge pages are quick to fault in: each fresh large mapping times its first
    /// one, and the first slow one turns huge pages off for the rest of the process.
    Auto,
}

const POLICY_OFF: u8 = 0;
const POLICY_ON: u8 = 1;
const POLICY_AUTO: u8 = 2;

/// The current [`HugePages`] policy (one of the `POLICY_*` values).
static POLICY: AtomicU8 = AtomicU8::new(POLICY_OFF);

/// Sets the huge page policy for the large mappings made from now on.
pub fn set_huge_pages(policy: HugePages) {
    let value = match policy {
        HugePages::Off => POLICY_OFF,
        HugePages::On => POLICY_ON,
        HugePages::Auto => POLICY_AUTO,
    };
    POLICY.store(value, Ordering::Relaxed);
}

/// The huge page policy in force (`Auto` turns into `Off` when a huge page was slow).
pub fn huge_pages() -> HugePages {
    match POLICY.load(Ordering::Relaxed) {
        POLICY_OFF => HugePages::Off,
        POLICY_ON => HugePages::On,
        _ => HugePages::Auto,
    }
}

/// Applies the environment variable `HEAPSCOPE_HUGE_PAGES`: `0`, `off`, `no` or `false`
/// turns huge pages off (the default), `1`, `on`, `yes` or `true` on, and `auto` asks for
/// them while they stay quick ([`HugePages::Auto`]). Binaries call this first thing in
/// `main`.
pub fn configure_from_env() {
    if let Some(value) = std::env::var_os("HEAPSCOPE_HUGE_PAGES") {
        set_huge_pages(policy_named(value.to_str().unwrap_or("off")));
    }
}

/// The policy a `HEAPSCOPE_HUGE_PAGES` value names.
fn policy_named(value: &str) -> HugePages {
    match value.trim().to_ascii_lowercase().as_str() {
        "0" | "off" | "no" | "false" => HugePages::Off,
        "1" | "on" | "yes" | "true" => HugePages::On,
        "auto" => HugePages::Auto,
        _ => HugePages::Off,
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
unsafe impl GlobalAlloc for MappingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if is_mapped(&layout) { mapping::map(layout.size(), false) } else { unsafe { System.alloc(layout) } }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if is_mapped(&layout) { mapping::map(layout.size(), true) } else { unsafe { System.alloc_zeroed(layout) } }
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
    use std::sync::Mutex;
    use std::sync::atomic::Ordering;
    use std::time::{Duration, Instant};

    /// The alignment every mapping has at least (Linux pages are 4 KiB or larger).
    pub const PAGE: usize = 4096;
    /// The system's page size, once read (0 before).
    static SYSTEM_PAGE: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    /// The size (and alignment) of a transparent huge page on x86-64 and most arm64 kernels.
    const HUGE_PAGE: usize = 2 << 20;
    /// At most this many bytes of freed mappings are kept for reuse.
    pub const POOL_BYTES: usize = 128 << 20;
    /// At most this many freed mappings are kept for reuse.
    const POOL_SLOTS: usize = 32;

    /// `size` rounded up to whole system pages (what a mapping of `size` bytes spans).
    fn page_rounded(size: usize) -> usize {
        let mut page = SYSTEM_PAGE.load(Ordering::Relaxed);
        if page == 0 {
            // SAFETY: sysconf reads a constant of the system.
            let read = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
            page = usize::try_from(read).ok().filter(|p| p.is_power_of_two()).unwrap_or(PAGE).max(PAGE);
            SYSTEM_PAGE.store(page, Ordering::Relaxed);
        }
        size.div_ceil(page) * page
    }

    /// A run of mapped pages: `length` bytes (whole system pages) from address `start`.
    #[derive(Clone, Copy)]
    struct Block {
        start: usize,
        length: usize,
    }

    impl Block {
        const EMPTY: Block = Block { start: 0, length: 0 };

        fn ptr(self) -> *mut u8 {
            self.start as *mut u8
        }
    }

    /// Freed mappings kept for the next large allocations. Their pages are already the
    /// process's, so reusing them skips the page faults and the kernel's zeroing that fresh
    /// memory costs (an analysis frees and allocates many node-sized arrays in turn).
    struct Pool {
        blocks: [Block; POOL_SLOTS],
        count: usize,
        bytes: usize,
    }

    static POOL: Mutex<Pool> = Mutex::new(Pool { blocks: [Block::EMPTY; POOL_SLOTS], count: 0, bytes: 0 });

    impl Pool {
        /// Takes the smallest block of at least `length` bytes, or else the largest block.
        fn take(&mut self, length: usize) -> Option<Block> {
            let blocks = &self.blocks[..self.count];
            let fitting = (0..blocks.len()).filter(|&i| blocks[i].length >= length).min_by_key(|&i| blocks[i].length);
            let index = fitting.or_else(|| (0..blocks.len()).max_by_key(|&i| blocks[i].length))?;
            let block = self.blocks[index];
            self.count -= 1;
            self.blocks[index] = self.blocks[self.count];
            self.bytes -= block.length;
            Some(block)
        }

        /// Keeps `block` if there is room; gives it back otherwise.
        fn keep(&mut self, block: Block) -> Result<(), Block> {
            if self.count == POOL_SLOTS || self.bytes + block.length > POOL_BYTES {
                return Err(block);
            }
            self.blocks[self.count] = block;
            self.count += 1;
            self.bytes += block.length;
            Ok(())
        }
    }

    /// How many bytes the pool holds.
    #[cfg(test)]
    pub fn pooled_bytes() -> usize {
        POOL.lock().map_or(0, |pool| pool.bytes)
    }

    /// Gives every kept block back to the system.
    #[cfg(test)]
    pub fn drain_pool() {
        while let Some(block) = POOL.lock().ok().and_then(|mut pool| pool.take(0)) {
            // SAFETY: a kept block is a run of this module's mapped pages nothing refers to.
            unsafe { libc::munmap(block.ptr().cast(), block.length) };
        }
    }

    /// Keeps `block` for reuse, or unmaps it when the pool is full.
    fn release(block: Block) {
        let kept = match POOL.lock() {
            Ok(mut pool) => pool.keep(block),
            Err(_) => Err(block),
        };
        if let Err(block) = kept {
            // SAFETY: the block is a run of this module's mapped pages that nothing refers to.
            unsafe { libc::munmap(block.ptr().cast(), block.length) };
        }
    }

    /// `size` bytes of memory aligned to a page, zeroed when `zeroed`: reused from the pool
    /// when it has a block, mapped fresh otherwise. Null when the system has no memory left.
    pub fn map(size: usize, zeroed: bool) -> *mut u8 {
        let length = page_rounded(size);
        let taken = POOL.lock().ok().and_then(|mut pool| pool.take(length));
        let Some(block) = taken else { return map_fresh(length) };
        if block.length >= length {
            if block.length > length {
                release(Block { start: block.start + length, length: block.length - length });
            }
            if zeroed {
                // SAFETY: the first `length` bytes of the block are mapped and now this caller's.
                unsafe { block.ptr().write_bytes(0, length) };
            }
            return block.ptr();
        }
        // Too small: grow it. Its pages come along; the rest is fresh (zeroed) memory.
        // SAFETY: the block is a run of this module's mapped pages that nothing refers to.
        let Some(grown) = (unsafe { resize(block.ptr(), block.length, length) }) else {
            release(block);
            return map_fresh(length);
        };
        if zeroed {
            // SAFETY: the block's old pages are the first `block.length` bytes of the mapping.
            unsafe { grown.write_bytes(0, block.length) };
        }
        grown
    }

    /// Maps `length` bytes of fresh zeroed memory aligned to a huge page and asks for huge
    /// pages; null when the system has no memory left.
    fn map_fresh(length: usize) -> *mut u8 {
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
            advise(start, length);
        }
        start
    }

    /// Faulting in a huge page the system still has takes a fraction of a millisecond (it
    /// zeroes 2 MiB); one handed back to a virtual machine's host takes several.
    const SLOW_HUGE_PAGE: Duration = Duration::from_millis(1);

    /// Asks for huge pages for the fresh mapping `start..start + length` as the policy says.
    /// Under `Auto`, the mapping's first huge page is faulted in and timed: when that is slow,
    /// the rest of the mapping, and every later one, gets small pages.
    ///
    /// # Safety
    /// The range must be a fresh mapping of this module, not yet handed out.
    unsafe fn advise(start: *mut u8, length: usize) {
        use super::{POLICY, POLICY_AUTO, POLICY_OFF};
        let policy = POLICY.load(Ordering::Relaxed);
        if policy == POLICY_OFF {
            return;
        }
        // Advice only: without transparent huge pages the memory is ordinary pages.
        unsafe { libc::madvise(start.cast(), length, libc::MADV_HUGEPAGE) };
        if policy != POLICY_AUTO || length < 2 * HUGE_PAGE {
            return;
        }
        let started = Instant::now();
        // SAFETY: inside the mapping; writing a zero keeps fresh memory zeroed.
        unsafe { start.write_volatile(0) };
        if started.elapsed() > SLOW_HUGE_PAGE {
            // The whole mapping, so it stays one area of uniform flags (`mremap` moves only
            // those); the huge page already faulted in stays.
            // SAFETY: the same fresh mapping.
            unsafe { libc::madvise(start.cast(), length, libc::MADV_NOHUGEPAGE) };
            POLICY.store(POLICY_OFF, Ordering::Relaxed);
        }
    }

    /// Resizes the mapped pages `start..start + old` to `new` bytes (both whole pages) with
    /// `mremap`, in place or moved with their contents; `None` when the kernel cannot.
    ///
    /// # Safety
    /// The range must be mapped pages of this module that the caller owns.
    unsafe fn resize(start: *mut u8, old: usize, new: usize) -> Option<*mut u8> {
        let moved = unsafe { libc::mremap(start.cast(), old, new, libc::MREMAP_MAYMOVE) };
        (moved != libc::MAP_FAILED).then(|| moved.cast())
    }

    /// Takes back memory from [`map`] or [`remap`] for `size` bytes: into the pool for reuse,
    /// or to the system.
    ///
    /// # Safety
    /// `ptr` and `size` must be those of live memory from this module, not used afterwards.
    pub unsafe fn unmap(ptr: *mut u8, size: usize) {
        release(Block { start: ptr as usize, length: page_rounded(size) });
    }

    /// Resizes memory from [`map`] to `new_size` bytes, in place when the address space
    /// after it is free and by moving its pages otherwise (the huge page advice moves with
    /// them). When the kernel cannot do that (the memory spans areas of different flags), it
    /// is copied to new memory. Null when there is no memory left, with the old memory
    /// untouched.
    ///
    /// # Safety
    /// `ptr` and `size` must be those of live memory from this module.
    pub unsafe fn remap(ptr: *mut u8, size: usize, new_size: usize) -> *mut u8 {
        let (old, new) = (page_rounded(size), page_rounded(new_size));
        if old == new {
            return ptr;
        }
        if let Some(moved) = unsafe { resize(ptr, old, new) } {
            return moved;
        }
        let copy = map(new_size, false);
        if !copy.is_null() {
            // SAFETY: both are live and distinct; the copy is at least `min(old, new)` long.
            unsafe { std::ptr::copy_nonoverlapping(ptr, copy, old.min(new)) };
            release(Block { start: ptr as usize, length: old });
        }
        copy
    }
}

#[cfg(not(target_os = "linux"))]
mod mapping {
    //! Never used: `is_mapped` is false off Linux.
    pub const PAGE: usize = 4096;
    pub const POOL_BYTES: usize = 0;
    #[cfg(test)]
    pub fn pooled_bytes() -> usize {
        0
    }
    #[cfg(test)]
    pub fn drain_pool() {}
    pub fn map(_size: usize, _zeroed: bool) -> *mut u8 {
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

    /// Allocates `layout` with [`MappingAllocator`] and fills it with a byte pattern.
    fn filled(layout: Layout) -> *mut u8 {
        let ptr = unsafe { MappingAllocator.alloc(layout) };
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
        let _serial = POOL_TESTS.lock();
        let sizes = [100, LARGE_ALLOCATION - 1, LARGE_ALLOCATION, LARGE_ALLOCATION + 12_345, 3 * LARGE_ALLOCATION];
        for &from in &sizes {
            for &to in &sizes {
                let layout = Layout::from_size_align(from, 8).unwrap();
                let ptr = filled(layout);
                let grown = unsafe { MappingAllocator.realloc(ptr, layout, to) };
                assert!(!grown.is_null(), "{from} -> {to}");
                assert_pattern(grown, from.min(to));
                // Writable to its new end.
                unsafe { grown.add(to - 1).write(1) };
                unsafe { MappingAllocator.dealloc(grown, Layout::from_size_align(to, 8).unwrap()) };
            }
        }
    }

    /// The pool is shared: tests that look at which memory comes back run one at a time.
    static POOL_TESTS: std::sync::Mutex<()> = std::sync::Mutex::new(());

    /// The pool tests' turn, on Linux (elsewhere nothing is mapped directly).
    fn serial_on_linux() -> Option<std::sync::MutexGuard<'static, ()>> {
        let turn = POOL_TESTS.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        cfg!(target_os = "linux").then_some(turn)
    }

    fn zeroed(size: usize) -> *mut u8 {
        let layout = Layout::from_size_align(size, 16).unwrap();
        let ptr = unsafe { MappingAllocator.alloc_zeroed(layout) };
        assert!(!ptr.is_null());
        assert!((0..size).all(|i| unsafe { ptr.add(i).read() } == 0), "{size} bytes not zeroed");
        ptr
    }

    fn free(ptr: *mut u8, size: usize) {
        unsafe { MappingAllocator.dealloc(ptr, Layout::from_size_align(size, 16).unwrap()) };
    }

    #[test]
    fn zeroed_allocations_are_zero_when_fresh_reused_split_or_grown() {
        let _serial = POOL_TESTS.lock();
        let large = LARGE_ALLOCATION;
        for size in [64, large, large * 2 + 7] {
            free(zeroed(size), size);
        }
        // Dirty a block, free it, and take it back zeroed: whole, split and grown.
        for (first, second) in [(large * 3, large * 3), (large * 3, large + 100), (large, large * 4)] {
            let ptr = filled(Layout::from_size_align(first, 16).unwrap());
            free(ptr, first);
            free(zeroed(second), second);
        }
    }

    #[test]
    fn freed_large_memory_is_reused_and_the_pool_stays_bounded() {
        let Some(_serial) = serial_on_linux() else { return };
        let size = LARGE_ALLOCATION * 3;
        let layout = Layout::from_size_align(size, 8).unwrap();
        let ptr = filled(layout);
        unsafe { MappingAllocator.dealloc(ptr, layout) };
        // The same pages come back (the smallest kept block that fits is this one).
        let again = unsafe { MappingAllocator.alloc(layout) };
        assert_eq!(again, ptr);
        assert_pattern(again, size);
        unsafe { MappingAllocator.dealloc(again, layout) };
        // Freeing more than the pool keeps leaves the pool within its bound.
        let many: Vec<*mut u8> = (0..POOL_BYTES / size + 4).map(|_| zeroed(size)).collect();
        for &ptr in &many {
            free(ptr, size);
        }
        assert!(mapping::pooled_bytes() <= POOL_BYTES);
        assert!(mapping::pooled_bytes() >= POOL_BYTES - size);
    }

    /// The `VmFlags` of the mapping holding `ptr`, from `/proc/self/smaps`.
    fn vm_flags_of(ptr: *const u8) -> String {
        let smaps = std::fs::read_to_string("/proc/self/smaps").unwrap();
        let address = ptr as usize;
        let mut inside = false;
        for line in smaps.lines() {
            let range = line.split_whitespace().next().and_then(|r| r.split_once('-'));
            if let Some((start, end)) = range
                && let (Ok(start), Ok(end)) = (usize::from_str_radix(start, 16), usize::from_str_radix(end, 16))
            {
                inside = (start..end).contains(&address);
            } else if inside && let Some(flags) = line.strip_prefix("VmFlags:") {
                return flags.to_string();
            }
        }
        panic!("no mapping holds {address:#x}");
    }

    #[test]
    fn the_policy_decides_whether_fresh_mappings_ask_for_huge_pages() {
        let Some(_serial) = serial_on_linux() else { return };
        for (policy, asks) in [(HugePages::On, true), (HugePages::Off, false), (HugePages::On, true)] {
            set_huge_pages(policy);
            assert_eq!(huge_pages(), policy);
            mapping::drain_pool();
            let size = LARGE_ALLOCATION * 4;
            let ptr = zeroed(size);
            let flags = vm_flags_of(ptr);
            assert_eq!(flags.split_whitespace().any(|f| f == "hg"), asks, "{policy:?}: {flags}");
            free(ptr, size);
        }
        set_huge_pages(HugePages::Off);
    }

    #[test]
    fn environment_values_name_policies() {
        assert_eq!(policy_named("0"), HugePages::Off);
        assert_eq!(policy_named(" OFF "), HugePages::Off);
        assert_eq!(policy_named("1"), HugePages::On);
        assert_eq!(policy_named("yes"), HugePages::On);
        assert_eq!(policy_named("auto"), HugePages::Auto);
        assert_eq!(policy_named(" Auto"), HugePages::Auto);
        assert_eq!(policy_named(""), HugePages::Off);
    }

    #[test]
    fn realloc_copies_memory_the_kernel_cannot_move_in_one_piece() {
        let Some(_serial) = serial_on_linux() else { return };
        let size = LARGE_ALLOCATION * 4;
        let layout = Layout::from_size_align(size, 8).unwrap();
        let ptr = filled(layout);
        // Different flags on its two halves make it two areas, which `mremap` refuses to move.
        unsafe {
            libc::madvise(ptr.cast(), size / 2, libc::MADV_HUGEPAGE);
            libc::madvise(ptr.add(size / 2).cast(), size / 2, libc::MADV_NOHUGEPAGE);
        }
        assert_ne!(vm_flags_of(ptr), vm_flags_of(unsafe { ptr.add(size / 2) }));
        let grown = unsafe { MappingAllocator.realloc(ptr, layout, size * 2) };
        assert!(!grown.is_null());
        assert_pattern(grown, size);
        free(grown, size * 2);
    }

    #[test]
    fn alignments_above_a_page_go_to_the_system_allocator() {
        let layout = Layout::from_size_align(LARGE_ALLOCATION, 1 << 16).unwrap();
        assert!(!is_mapped(&layout));
        let ptr = filled(layout);
        assert_pattern(ptr, layout.size());
        unsafe { MappingAllocator.dealloc(ptr, layout) };
    }
}
