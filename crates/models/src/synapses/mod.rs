//! Synapse models: tables of connections grouped by source, one table per model and
//! projection group.

pub mod clopath_synapse;
pub mod columns;
pub mod static_synapse;
pub mod urbanczik_synapse;

use evplast_kernel::{BuildError, Resolution, Step};

use crate::params::{fmt_num, ParamValue, Reader};

/// Members of a table sorted into groups of equal keys — the time-driven groups of the plastic
/// tables (rows that read the same archive window each slice).
#[derive(Default)]
pub(crate) struct Groups<K> {
    /// Group g: its first member's index and its key.
    first: Vec<(u32, K)>,
    n: u32,
}

impl<K: Copy + Ord> Groups<K> {
    /// Sorts `members` by `key` in place (ties broken by the member itself: a total order, so
    /// the same groups for any split; no list of keys beside them, which would be the build's
    /// peak) and finds the groups of equal keys.
    pub(crate) fn sort<T: Ord + Copy>(
        members: &mut [T],
        key: impl Fn(T) -> K,
        what: &'static str,
    ) -> Result<Self, evplast_kernel::KernelError> {
        members.sort_unstable_by_key(|&m| (key(m), m));
        let mut first: Vec<(u32, K)> = Vec::new();
        for (i, &m) in members.iter().enumerate() {
            let k = key(m);
            if first.last().is_none_or(|&(_, last)| last != k) {
                evplast_kernel::limits::try_reserve(&mut first, 1, what)?;
                first.push((i as u32, k));
            }
        }
        Ok(Self {
            first,
            n: members.len() as u32,
        })
    }

    pub(crate) fn len(&self) -> usize {
        self.first.len()
    }

    /// Group `g`'s key.
    pub(crate) fn key(&self, g: usize) -> K {
        self.first[g].1
    }

    /// Group `g`'s members (indices into the sorted members).
    pub(crate) fn members(&self, g: usize) -> std::ops::Range<usize> {
        let end = self.first.get(g + 1).map_or(self.n, |&(i, _)| i);
        self.first[g].0 as usize..end as usize
    }
}

/// Runs of a table's rows that share their presynaptic state (spike time and traces, stored
/// once per run): consecutive rows of one source that `same(previous row, row)` joins. Every
/// row of a source sees the same spikes, so state that depends only on them and on time
/// constants the rows share is the same for all rows of a run.
pub(crate) struct RunIndex {
    /// `first[s]..first[s + 1]`: the runs of source node `s`.
    first: Vec<u32>,
    /// Row `end[j]` is the first row after run `j` (runs cover the rows in order).
    end: Vec<u32>,
}

impl RunIndex {
    pub(crate) fn new(
        rows: &evplast_kernel::csr::BySource,
        same: impl Fn(usize, usize) -> bool,
        what: &'static str,
    ) -> Result<Self, evplast_kernel::KernelError> {
        use evplast_kernel::limits::try_reserve;
        let mut first = Vec::new();
        try_reserve(&mut first, rows.n_sources() + 1, what)?;
        let mut end = Vec::new();
        for src in 0..rows.n_sources() {
            first.push(end.len() as u32);
            let range = rows.rows(evplast_kernel::NodeId(src as u32));
            let mut r = range.start;
            while r < range.end {
                r += 1;
                while r < range.end && same(r - 1, r) {
                    r += 1;
                }
                try_reserve(&mut end, 1, what)?;
                end.push(r as u32);
            }
        }
        first.push(end.len() as u32);
        Ok(Self { first, end })
    }

    /// The runs of `source`.
    #[inline]
    pub(crate) fn of(&self, source: evplast_kernel::NodeId) -> std::ops::Range<usize> {
        let s = source.0 as usize;
        if s + 1 >= self.first.len() {
            return 0..0;
        }
        self.first[s] as usize..self.first[s + 1] as usize
    }

    /// The rows of run `j`.
    #[inline]
    pub(crate) fn rows(&self, j: usize) -> std::ops::Range<usize> {
        let start = if j == 0 { 0 } else { self.end[j - 1] as usize };
        start..self.end[j] as usize
    }

    pub(crate) fn len(&self) -> usize {
        self.end.len()
    }

    /// (row, run) of every row, in row order (`n` rows), for grouping rows by the window they
    /// read while keeping each row's run at hand.
    pub(crate) fn rows_with_runs(
        &self,
        n: usize,
        what: &'static str,
    ) -> Result<Vec<(u32, u32)>, evplast_kernel::KernelError> {
        let mut out = Vec::new();
        evplast_kernel::limits::try_reserve(&mut out, n, what)?;
        for j in 0..self.len() {
            out.extend(self.rows(j).map(|r| (r as u32, j as u32)));
        }
        Ok(out)
    }

    /// The run of row `r` (of source `source`).
    pub(crate) fn run_of(&self, source: evplast_kernel::NodeId, r: usize) -> usize {
        let runs = self.of(source);
        let lo = runs.start;
        lo + self.end[runs].partition_point(|&e| e as usize <= r)
    }
}

/// What a plastic table does in a slice's advance stage (`SynapseTable::advance`), by its
/// scheme: a time-driven table advances every synapse at slice origins on the `min_delay`
/// grid (`time`); an event-driven one catches up the synapses onto archives over the horizon
/// when there are any (`catch_up`); a compressed one nothing (the archive folds its groups).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Advance {
    Nothing,
    Time,
    CatchUp,
}

impl Advance {
    pub(crate) fn of(scheme: evplast_kernel::archive::Scheme, time: bool, catch_up: bool) -> Self {
        use evplast_kernel::archive::Scheme;
        match scheme {
            Scheme::Time if time => Advance::Time,
            Scheme::Event if catch_up => Advance::CatchUp,
            _ => Advance::Nothing,
        }
    }
}

/// Connection `row` of a table of `n`, or the error a front end passes on.
pub fn check_row(model: &str, row: usize, n: usize) -> Result<(), BuildError> {
    if row < n {
        Ok(())
    } else {
        Err(BuildError::Connect(format!(
            "{model}: connection {row} is not in this table of {n}"
        )))
    }
}

/// Reads `delay` from a SetStatus dictionary: accepted only if it equals the connection's
/// current delay of `steps` steps. Deviation from NEST (which allows it): the input rings and
/// the slice length (`min_delay`) were laid out for the delays the network was built with.
pub fn read_unchanged_delay(
    r: &mut Reader<'_>,
    steps: Step,
    res: Resolution,
) -> Result<(), BuildError> {
    let Some(v) = r.raw("delay") else {
        return Ok(());
    };
    let current = res.ms(steps);
    match v {
        ParamValue::Num(d) if *d == current => Ok(()),
        ParamValue::Num(_) => Err(BuildError::bad(
            r.model(),
            "delay",
            v,
            format!(
                "cannot change after the network is built (it is {} ms): the input buffers and \
                 the communication interval were laid out for the delays at build time; \
                 connect with the delay wanted instead",
                fmt_num(current)
            ),
        )),
        _ => Err(BuildError::bad(r.model(), "delay", v, "expected a number")),
    }
}

/// Refuses a different value on one connection for a parameter stored once per projection.
pub fn refuse_shared(model: &str, param: &str, value: f64, current: f64) -> BuildError {
    BuildError::bad(
        model,
        param,
        fmt_num(value),
        format!(
            "is shared by all connections made by the same Connect call (it is {} there) and \
             cannot differ on one connection; set it in that Connect's syn_spec, or with \
             CopyModel/SetDefaults before Connect",
            fmt_num(current)
        ),
    )
}
