//! The memory guard: before a full load, the memory that loading and analysing a snapshot will
//! take is estimated from the node and edge counts its header declares, and the load is refused
//! with a clear message when that exceeds the memory the system has available, instead of being
//! killed by the kernel half-way.
//!
//! The estimate, 80 bytes per node and 20 per edge (1.45 GiB for 10.95 M nodes and 34.1 M edges),
//! is within a few percent of the peak measured for load plus full analysis on the 11 M-node
//! benchmark snapshot (1.45-1.5 GiB).
//! Setting `HEAPSCOPE_NO_MEMORY_CHECK=1` turns the guard off.
//!
//! Loads that run at the same time (a comparison loads both snapshots at once; the app loads
//! files in parallel) each reserve their estimate while they read, so a second load is
//! checked against what the first has not taken yet.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::{ErrorKind, KindResult};

/// Bytes reserved by loads that passed the guard and are still reading.
static RESERVED: AtomicU64 = AtomicU64::new(0);

/// A load's share of the available memory, given back when dropped.
#[must_use = "the reservation ends when it is dropped"]
pub struct Reservation(u64);

impl Drop for Reservation {
    fn drop(&mut self) {
        RESERVED.fetch_sub(self.0, Ordering::Relaxed);
    }
}

/// Peak bytes per node, load and analysis together.
pub const BYTES_PER_NODE: u64 = 80;
/// Peak bytes per edge, load and analysis together.
pub const BYTES_PER_EDGE: u64 = 20;
/// The environment variable that turns the guard off.
pub const DISABLE_VARIABLE: &str = "HEAPSCOPE_NO_MEMORY_CHECK";

/// The estimated peak memory for a snapshot with these counts.
pub fn estimate(nodes: u64, edges: u64) -> u64 {
    nodes.saturating_mul(BYTES_PER_NODE).saturating_add(edges.saturating_mul(BYTES_PER_EDGE))
}

/// Memory the system can give without swapping (`MemAvailable` on Linux), if known.
pub fn available() -> Option<u64> {
    let meminfo = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = meminfo.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib.saturating_mul(1024))
}

/// Refuses counts whose estimate exceeds `available` bytes.
pub fn check_against(nodes: u64, edges: u64, available: u64) -> KindResult<()> {
    let needed = estimate(nodes, edges);
    if needed > available {
        return Err(ErrorKind::NotEnoughMemory { needed, available, nodes, edges });
    }
    Ok(())
}

/// Refuses counts whose estimate exceeds the memory available now, less what other loads in
/// progress have reserved (unless the guard is off); otherwise reserves the estimate until the
/// returned reservation is dropped.
pub fn reserve(nodes: u64, edges: u64) -> KindResult<Reservation> {
    if std::env::var_os(DISABLE_VARIABLE).is_some_and(|v| !v.is_empty() && v != "0") {
        return Ok(Reservation(0));
    }
    let Some(available) = available() else { return Ok(Reservation(0)) };
    let needed = estimate(nodes, edges);
    // Reserved only once the check has passed: a refused load (a header declaring billions of
    // nodes) never holds a share, so loads at the same time are not refused because of it.
    let mut reserved = RESERVED.load(Ordering::Relaxed);
    loop {
        check_against(nodes, edges, available.saturating_sub(reserved))?;
        // The check passed, so `reserved + needed <= available`: no overflow.
        match RESERVED.compare_exchange_weak(reserved, reserved + needed, Ordering::Relaxed, Ordering::Relaxed) {
            Ok(_) => return Ok(Reservation(needed)),
            Err(now) => reserved = now,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{RESERVED, check_against, estimate, reserve};

    #[test]
    fn estimates_and_refuses() {
        assert_eq!(estimate(10, 100), 10 * 80 + 100 * 20);
        assert_eq!(estimate(u64::MAX, 1), u64::MAX);
        assert!(check_against(1_000, 4_000, 1 << 30).is_ok());
        let err = check_against(10_952_157, 34_130_859, 1 << 30).expect_err("1 GiB is too little");
        assert_eq!(
            err.to_string(),
            "loading and analysing it needs about 1.5 GiB (10,952,157 nodes and 34,130,859 edges), but only \
             1.0 GiB of memory is available; close other programs or use a machine with more memory (set \
             HEAPSCOPE_NO_MEMORY_CHECK=1 to try anyway)"
        );
    }

    #[test]
    fn reservations_count_against_later_loads_until_dropped() {
        let Some(available) = super::available() else { return };
        if std::env::var_os(super::DISABLE_VARIABLE).is_some() {
            return; // the guard is off for this run
        }
        // Two loads that each need 60 % of what is available: the second one is refused while
        // the first holds its reservation, and accepted once it is dropped.
        let nodes = available / 100 * 60 / super::BYTES_PER_NODE;
        let first = reserve(nodes, 0).expect("60 % is available");
        assert!(RESERVED.load(std::sync::atomic::Ordering::Relaxed) >= estimate(nodes, 0));
        assert!(reserve(nodes, 0).is_err(), "the first load's reservation leaves too little");
        drop(first);
        assert!(reserve(nodes, 0).is_ok(), "the reservation was given back");
    }

    #[test]
    fn a_refused_load_never_crowds_out_loads_at_the_same_time() {
        if super::available().is_none() || std::env::var_os(super::DISABLE_VARIABLE).is_some() {
            return;
        }
        // One thread keeps asking for an absurd amount (a lying header) while others load
        // small snapshots: none of the small ones may be refused.
        let stop = std::sync::atomic::AtomicBool::new(false);
        std::thread::scope(|scope| {
            scope.spawn(|| {
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    assert!(reserve(100_000_000_000, 400_000_000_000).is_err());
                }
            });
            let small: Vec<_> =
                (0..3).map(|_| scope.spawn(|| (0..2_000).filter(|_| reserve(1_000, 4_000).is_err()).count())).collect();
            let refused: usize = small.into_iter().map(|h| h.join().unwrap_or(usize::MAX)).sum();
            stop.store(true, std::sync::atomic::Ordering::Relaxed);
            assert_eq!(refused, 0, "small loads refused while a huge one was being refused");
        });
    }
}
