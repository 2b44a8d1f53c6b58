//! The largest networks and runs the kernel's types can hold. Every count a model file gives is
//! checked against these before anything is allocated (README "Limits").

use crate::time::Step;

/// Most nodes in one network: node ids are `u32`, 1-based, and the id one past the last node
/// must fit too.
pub const MAX_NODES: u64 = u32::MAX as u64 - 1;

/// Most input channels (one per receptor and input kind of every neuron): channel numbers are
/// `u32`.
pub const MAX_CHANNELS: u64 = u32::MAX as u64;

/// Most connections in one network, device and recorder links included: synapse tables index
/// their rows with `u32` (row offsets and the sort permutation).
pub const MAX_CONNECTIONS: u64 = u32::MAX as u64;

/// Longest delay in steps: synapse columns store delays as `u16`.
pub const MAX_DELAY_STEPS: Step = u16::MAX as Step;

/// Largest multiplicity of one spike event (a `u32` in the kernel).
pub const MAX_MULTIPLICITY: u64 = u32::MAX as u64;

/// Times a model file gives (spike times, device windows, schedules) must be below this many
/// tics of 1 µs in magnitude: 2^62 tics (≈ 4.6·10^15 ms), so that a time plus an origin cannot
/// overflow a step.
pub const MAX_TIME_TICS: i64 = 1 << 62;

/// Projections (distinct synapse specifications) of one synapse table: a `u16` per synapse.
pub const MAX_PROJECTIONS_PER_TABLE: usize = u16::MAX as usize + 1;

/// Compressed scheme: groups (distinct delay and kernel) per target: a `u16` per synapse.
/// Threads (shards) a run may use: far more than any machine's cores, and shard numbers fit the
/// 16 bits of a connection handle.
pub const MAX_THREADS: u64 = 1024;

pub const MAX_GROUPS_PER_TARGET: usize = u16::MAX as usize + 1;

/// `n` values of `value` in a vector, or an error naming `what` if the memory is not there
/// (instead of aborting the process).
pub fn try_vec<T: Clone>(
    n: usize,
    value: T,
    what: &'static str,
) -> Result<Vec<T>, crate::KernelError> {
    let mut v = Vec::new();
    try_reserve(&mut v, n, what)?;
    v.resize(n, value);
    Ok(v)
}

/// Makes room for `additional` more values in `v` (amortised growth), or an error naming
/// `what` if the memory is not there.
pub fn try_reserve<T>(
    v: &mut Vec<T>,
    additional: usize,
    what: &'static str,
) -> Result<(), crate::KernelError> {
    v.try_reserve(additional)
        .map_err(|_| crate::KernelError::OutOfMemory {
            what,
            bytes: (v.len() as u128 + additional as u128) * std::mem::size_of::<T>() as u128,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn impossible_allocations_are_errors() {
        let e = try_vec(usize::MAX / 2, 0u64, "a test column").unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.contains("a test column") && msg.contains("out of memory"),
            "{msg}"
        );
        assert_eq!(try_vec(3, 7u8, "x").unwrap(), vec![7, 7, 7]);
    }
}
