//! Software prefetch: the graph walks know which scattered entries they will read a few steps
//! ahead (the next nodes of a queue, the next retainers of a node), and fetching them early
//! overlaps the cache misses that otherwise dominate those walks.

/// Asks the processor to bring `slice[index]` into cache; no effect on the result.
#[inline(always)]
pub fn prefetch<T>(slice: &[T], index: usize) {
    #[cfg(target_arch = "x86_64")]
    if let Some(item) = slice.get(index) {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        // SAFETY: a prefetch has no observable effect and the address is a valid reference.
        unsafe { _mm_prefetch::<_MM_HINT_T0>(std::ptr::from_ref(item).cast::<i8>()) };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (slice, index);
}
