//! Synapses as `connect` collects them — one column per field, unsorted — and their in-place
//! sort by source at build time, so that a table never exists twice in memory.

use evplast_kernel::csr::{permute_in_place, BySource};
use evplast_kernel::limits::try_reserve;
use evplast_kernel::KernelError;

/// The synapses of one table, in the order they were connected.
#[derive(Clone, Debug, Default)]
pub struct Collected {
    pub source: Vec<u32>,
    pub target: Vec<u32>,
    /// Input channel offset of the receptor at the target.
    pub offset: Vec<u16>,
    /// Delay in steps.
    pub delay: Vec<u16>,
    /// Projection index within the table.
    pub projection: Vec<u16>,
    pub weight: Vec<f64>,
    /// Compressed scheme: the target's group (empty otherwise; filled before sorting).
    pub group: Vec<u16>,
}

/// A table's final columns, sorted by source, targets turned into input channels.
#[derive(Debug)]
pub struct Table {
    pub rows: BySource,
    pub channel: Vec<u32>,
    pub delay: Vec<u16>,
    pub projection: Vec<u16>,
    pub weight: Vec<f64>,
    pub group: Vec<u16>,
}

impl Collected {
    /// Bytes per synapse while collected (every column but `group`).
    pub const BYTES_PER_SYNAPSE: usize = 4 + 4 + 2 + 2 + 2 + 8;

    /// Makes room for `additional` more synapses in every column, or says that the memory is
    /// not there.
    pub fn try_reserve(&mut self, additional: usize) -> Result<(), KernelError> {
        const WHAT: &str = "the synapse columns";
        try_reserve(&mut self.source, additional, WHAT)?;
        try_reserve(&mut self.target, additional, WHAT)?;
        try_reserve(&mut self.offset, additional, WHAT)?;
        try_reserve(&mut self.delay, additional, WHAT)?;
        try_reserve(&mut self.projection, additional, WHAT)?;
        try_reserve(&mut self.weight, additional, WHAT)
    }

    /// Before a push: if any column is full, makes room for `left` more synapses.
    #[inline]
    pub fn reserve_for_push(&mut self, left: usize) -> Result<(), KernelError> {
        let full = |len: usize, cap: usize| len == cap;
        if full(self.source.len(), self.source.capacity())
            || full(self.offset.len(), self.offset.capacity())
            || full(self.weight.len(), self.weight.capacity())
            || full(self.target.len(), self.target.capacity())
            || full(self.delay.len(), self.delay.capacity())
            || full(self.projection.len(), self.projection.capacity())
        {
            self.try_reserve(left)?;
        }
        Ok(())
    }

    /// Appends one synapse (call [`Collected::try_reserve`] first: this one cannot fail then).
    #[inline]
    pub fn push(
        &mut self,
        source: u32,
        target: u32,
        offset: u16,
        delay: u16,
        projection: u16,
        weight: f64,
    ) {
        self.source.push(source);
        self.target.push(target);
        self.offset.push(offset);
        self.delay.push(delay);
        self.projection.push(projection);
        self.weight.push(weight);
    }

    /// Number of synapses.
    pub fn len(&self) -> usize {
        self.weight.len()
    }

    /// True if there is none.
    pub fn is_empty(&self) -> bool {
        self.weight.is_empty()
    }

    /// Splits the synapses by `shard[target]` into `n` collections (each in connection order),
    /// one column at a time, so the whole table exists at most once plus one column.
    pub fn split(self, shard: &[u16], n: usize) -> Result<Vec<Collected>, KernelError> {
        if n == 1 {
            return Ok(vec![self]);
        }
        let key: Vec<u16> = self.target.iter().map(|&t| shard[t as usize]).collect();
        self.split_keyed(key, n)
    }

    /// Splits the synapses by `part(projection)` into `n` collections (each in connection
    /// order), one column at a time; a part of one kind only is moved, not copied.
    pub fn split_by(
        self,
        part: impl Fn(usize) -> usize,
        n: usize,
    ) -> Result<Vec<Collected>, KernelError> {
        let key: Vec<u16> = self
            .projection
            .iter()
            .map(|&p| part(p as usize) as u16)
            .collect();
        if let Some(&k) = key.first().filter(|&&k| key.iter().all(|&x| x == k)) {
            let mut parts = vec![Collected::default(); n];
            parts[k as usize] = self;
            return Ok(parts);
        }
        self.split_keyed(key, n)
    }

    fn split_keyed(mut self, key: Vec<u16>, n: usize) -> Result<Vec<Collected>, KernelError> {
        let mut counts = vec![0usize; n];
        for &k in &key {
            counts[k as usize] += 1;
        }
        fn column<T: Copy>(
            col: &mut Vec<T>,
            key: &[u16],
            counts: &[usize],
        ) -> Result<Vec<Vec<T>>, KernelError> {
            if col.is_empty() {
                return Ok(vec![Vec::new(); counts.len()]);
            }
            let mut out: Vec<Vec<T>> = Vec::with_capacity(counts.len());
            for &c in counts {
                let mut v = Vec::new();
                try_reserve(&mut v, c, "the synapse columns of the shards")?;
                out.push(v);
            }
            for (&x, &k) in col.iter().zip(key) {
                out[k as usize].push(x);
            }
            *col = Vec::new();
            Ok(out)
        }
        let mut parts = vec![Collected::default(); n];
        macro_rules! split_column {
            ($f:ident) => {
                for (p, c) in parts.iter_mut().zip(column(&mut self.$f, &key, &counts)?) {
                    p.$f = c;
                }
            };
        }
        split_column!(source);
        split_column!(target);
        split_column!(offset);
        split_column!(delay);
        split_column!(projection);
        split_column!(weight);
        split_column!(group);
        Ok(parts)
    }

    /// Sorts every column by source in place, then turns the targets into input channels
    /// (`channel_base[target] + offset`) in place.
    pub fn into_table(
        mut self,
        n_nodes: usize,
        channel_base: &[u32],
    ) -> Result<Table, KernelError> {
        let (rows, perm) = BySource::build_raw(n_nodes, &self.source)?;
        drop(std::mem::take(&mut self.source));
        permute_in_place(&mut self.target, &perm)?;
        permute_in_place(&mut self.offset, &perm)?;
        permute_in_place(&mut self.delay, &perm)?;
        permute_in_place(&mut self.projection, &perm)?;
        permute_in_place(&mut self.weight, &perm)?;
        if !self.group.is_empty() {
            permute_in_place(&mut self.group, &perm)?;
        }
        drop(perm);
        for (t, o) in self.target.iter_mut().zip(&self.offset) {
            *t = channel_base[*t as usize] + *o as u32;
        }
        Ok(Table {
            rows,
            channel: self.target,
            delay: self.delay,
            projection: self.projection,
            weight: self.weight,
            group: self.group,
        })
    }
}
