//! A cache prefetch hint. A spike reaches hundreds of synapses onto random targets, and each
//! reads its target's archive: cache misses that a plain loop waits for one after another.
//! Asking for the next rows' targets ahead lets the misses overlap (docs/PERFORMANCE.md).
//!
//! `unsafe` here, and only here besides `workers.rs`: the intrinsic is an `unsafe fn`
//! although a prefetch never faults and changes nothing the program can observe.
#![allow(unsafe_code)]

/// Hints that the cache line holding `p` will be read soon. Any address is allowed.
#[inline(always)]
pub fn prefetch<T>(p: *const T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: PREFETCHT0 is a hint: it does not fault on any address and reads nothing into
    // the program's state (SSE, which it needs, is part of x86_64).
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(p as *const i8)
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

/// Hints that every cache line of `*p` will be read soon (a struct larger than a line, whose
/// fields a reader loads from more than one).
#[inline(always)]
pub fn prefetch_all<T>(p: &T) {
    let base = p as *const T as *const u8;
    let mut off = 0;
    while off < std::mem::size_of::<T>() {
        prefetch(base.wrapping_add(off));
        off += 64;
    }
}
