//! Compressed rows by source node: the layout of every synapse table.

use crate::limits::try_vec;
use crate::{KernelError, NodeId};

/// Row offsets of connections grouped by source node id (`offsets[id]..offsets[id+1]`).
#[derive(Clone, Debug, Default)]
pub struct BySource {
    offsets: Vec<u32>,
}

impl BySource {
    /// Sorts `sources` (stable) and returns the layout plus the permutation that puts any
    /// per-connection column in row order.
    /// (At most [`crate::limits::MAX_CONNECTIONS`] connections: offsets are `u32`.)
    pub fn build(n_nodes: usize, sources: &[NodeId]) -> Result<(Self, Vec<u32>), KernelError> {
        let raw: Vec<u32> = sources.iter().map(|s| s.0).collect();
        Self::build_raw(n_nodes, &raw)
    }

    /// As [`BySource::build`], for plain node numbers.
    pub fn build_raw(n_nodes: usize, sources: &[u32]) -> Result<(Self, Vec<u32>), KernelError> {
        assert!(
            sources.len() as u64 <= crate::limits::MAX_CONNECTIONS,
            "the builder refuses more connections than u32 offsets hold"
        );
        let mut counts = try_vec(n_nodes + 2, 0u32, "the synapse row offsets")?;
        for &s in sources {
            counts[s as usize + 1] += 1;
        }
        for i in 1..counts.len() {
            counts[i] += counts[i - 1];
        }
        let mut offsets = try_vec(counts.len(), 0u32, "the synapse row offsets")?;
        offsets.copy_from_slice(&counts);
        let mut next = counts;
        let mut perm = try_vec(sources.len(), 0u32, "the synapse sort permutation")?;
        for (i, &s) in sources.iter().enumerate() {
            let slot = &mut next[s as usize];
            perm[*slot as usize] = i as u32;
            *slot += 1;
        }
        Ok((Self { offsets }, perm))
    }

    /// The rows of connections leaving `source`.
    #[inline]
    pub fn rows(&self, source: NodeId) -> std::ops::Range<usize> {
        let i = source.0 as usize;
        if i + 1 >= self.offsets.len() {
            return 0..0;
        }
        self.offsets[i] as usize..self.offsets[i + 1] as usize
    }

    /// The rows of connections leaving the sources in `sources` (clamped to the layout).
    pub fn rows_of(&self, sources: std::ops::Range<u32>) -> std::ops::Range<usize> {
        let at = |i: u32| self.offsets[(i as usize).min(self.n_sources())] as usize;
        if self.offsets.is_empty() || sources.start >= sources.end {
            return 0..0;
        }
        at(sources.start)..at(sources.end)
    }

    /// Number of source node numbers the layout covers (`0..n_sources()`).
    pub fn n_sources(&self) -> usize {
        self.offsets.len().saturating_sub(1)
    }

    /// Bytes held by the layout.
    pub fn bytes(&self) -> usize {
        self.offsets.len() * 4
    }

    /// The source of row `row` (binary search; for reporting, not for the hot path).
    pub fn source_of(&self, row: usize) -> NodeId {
        let i = self.offsets.partition_point(|&o| o as usize <= row) - 1;
        NodeId(i as u32)
    }
}

/// Applies a permutation from [`BySource::build`] to a column.
pub fn permute<T: Copy>(col: &[T], perm: &[u32]) -> Vec<T> {
    perm.iter().map(|&i| col[i as usize]).collect()
}

/// Applies a permutation from [`BySource::build`] to a column in place (`col[i] = old[perm[i]]`),
/// following cycles with a bit per element, so that no second copy of the column exists.
pub fn permute_in_place<T: Copy>(col: &mut [T], perm: &[u32]) -> Result<(), KernelError> {
    debug_assert_eq!(col.len(), perm.len());
    let mut done = try_vec(col.len().div_ceil(64), 0u64, "the synapse sort")?;
    for start in 0..col.len() {
        if done[start / 64] >> (start % 64) & 1 == 1 {
            continue;
        }
        let first = col[start];
        let mut j = start;
        loop {
            done[j / 64] |= 1 << (j % 64);
            let k = perm[j] as usize;
            if k == start {
                col[j] = first;
                break;
            }
            col[j] = col[k];
            j = k;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_group_by_source_in_insertion_order() {
        let src = [NodeId(3), NodeId(1), NodeId(3), NodeId(2)];
        let (l, perm) = BySource::build(4, &src).unwrap();
        assert_eq!(perm, vec![1, 3, 0, 2]);
        assert_eq!(l.rows(NodeId(3)), 2..4);
        assert_eq!(l.rows(NodeId(4)), 4..4);
        assert_eq!(l.rows(NodeId(9)), 0..0);
        assert_eq!(l.source_of(0), NodeId(1));
        assert_eq!(l.source_of(3), NodeId(3));
        assert_eq!(permute(&[10, 11, 12, 13], &perm), vec![11, 13, 10, 12]);
        let mut col = [10, 11, 12, 13];
        permute_in_place(&mut col, &perm).unwrap();
        assert_eq!(col, [11, 13, 10, 12]);
        // A longer random-ish permutation against the copying version.
        let src: Vec<u32> = (0..1000u32).map(|i| (i * 7919) % 37).collect();
        let (_, perm) = BySource::build_raw(40, &src).unwrap();
        let col: Vec<u32> = (0..1000).collect();
        let mut inplace = col.clone();
        permute_in_place(&mut inplace, &perm).unwrap();
        assert_eq!(inplace, permute(&col, &perm));
    }
}
