//! MPI ranks (`--features mpi`): the run's shards are split among the processes that
//! `mpirun` starts; each builds only its own shards and the synapses onto their neurons, the
//! slices' spikes are all-gathered ([`evplast_kernel::network::Exchange`]), and rank 0 gathers
//! the recorders' data and connections and writes the files one process would write.

use std::cell::RefCell;

use mpi::datatype::PartitionMut;
use mpi::topology::SimpleCommunicator;
use mpi::traits::*;
use mpi::Count;

use evplast_kernel::network::Exchange;

/// The world communicator of this run.
pub struct Ranks {
    _universe: mpi::environment::Universe,
    world: SimpleCommunicator,
    /// Each rank's byte count and offset in the last all-gather (kept: no allocation per
    /// slice).
    counts: RefCell<Vec<Count>>,
    displs: RefCell<Vec<Count>>,
}

impl Ranks {
    /// Starts MPI (once per process).
    pub fn start() -> anyhow::Result<Self> {
        let universe =
            mpi::initialize().ok_or_else(|| anyhow::anyhow!("MPI is already initialised"))?;
        let world = universe.world();
        Ok(Self {
            _universe: universe,
            world,
            counts: RefCell::new(Vec::new()),
            displs: RefCell::new(Vec::new()),
        })
    }
}

/// Where each rank's bytes go in a receive buffer of `counts[r]` bytes per rank, and the
/// buffer.
fn receive_buffer(counts: &[Count]) -> (Vec<Count>, Vec<u8>) {
    let displs = counts
        .iter()
        .scan(0, |acc, &x| {
            let at = *acc;
            *acc += x;
            Some(at)
        })
        .collect();
    (displs, vec![0u8; counts.iter().map(|&c| c as usize).sum()])
}

impl Exchange for Ranks {
    fn rank(&self) -> usize {
        self.world.rank() as usize
    }

    fn ranks(&self) -> usize {
        self.world.size() as usize
    }

    fn all_gather(&self, mine: &[u8], all: &mut Vec<u8>, ranges: &mut Vec<std::ops::Range<usize>>) {
        let mut counts = self.counts.borrow_mut();
        let mut displs = self.displs.borrow_mut();
        counts.resize(self.ranks(), 0);
        self.world
            .all_gather_into(&(mine.len() as Count), &mut counts[..]);
        displs.clear();
        ranges.clear();
        let mut at = 0;
        for &c in counts.iter() {
            displs.push(at as Count);
            ranges.push(at..at + c as usize);
            at += c as usize;
        }
        all.resize(at, 0);
        let mut p = PartitionMut::new(&mut all[..], &counts[..], &displs[..]);
        self.world.all_gather_varcount_into(mine, &mut p);
    }

    fn gather_to_root(&self, mine: &[u8]) -> Option<(Vec<u8>, Vec<std::ops::Range<usize>>)> {
        let root = self.world.process_at_rank(0);
        let n = mine.len() as Count;
        if self.world.rank() != 0 {
            root.gather_into(&n);
            root.gather_varcount_into(mine);
            return None;
        }
        let mut counts = vec![0 as Count; self.ranks()];
        root.gather_into_root(&n, &mut counts[..]);
        let (displs, mut all) = receive_buffer(&counts);
        {
            let mut p = PartitionMut::new(&mut all[..], &counts[..], &displs[..]);
            root.gather_varcount_into_root(mine, &mut p);
        }
        let ranges = counts
            .iter()
            .zip(&displs)
            .map(|(&c, &d)| d as usize..(d + c) as usize)
            .collect();
        Some((all, ranges))
    }

    fn any(&self, mine: bool) -> bool {
        let mut all = vec![0u8; self.ranks()];
        self.world.all_gather_into(&(mine as u8), &mut all[..]);
        all.iter().any(|&x| x != 0)
    }
}
