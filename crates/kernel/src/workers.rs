//! The worker threads that run a slice's shards side by side (`Network::slice`).
//!
//! A slice is short (`min_delay`: 10,000 slices per simulated second at 0.1 ms), so handing
//! the shards to threads must cost little and allocate nothing: [`Workers::run`] publishes a
//! borrowed job and a new epoch in atomics; each worker spins, yields, then parks, until the
//! epoch changes, runs its index of the job, and the last one to finish unparks the caller.
//! No lock and no allocation per slice (parking is a futex, not a mutex).
//!
//! `unsafe` here, and only here (the workspace denies it elsewhere): a job borrowed from the
//! caller's stack is run on threads that outlive the call. The measured reason: rayon's
//! `in_place_scope`, used before, boxes a job per shard per slice and wakes its sleeping
//! threads through a mutex and condition variable (docs/SCALING.md, "Strong scaling here").
#![allow(unsafe_code)]

use std::cell::UnsafeCell;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::{self, JoinHandle, Thread};

/// How a waiting thread waits: `SPINS` spin-loop hints, then up to `YIELDS` yields of its
/// core, then it parks. Parking costs a wake-up (a futex and the scheduler) at every slice,
/// which the merge and an uneven split between shards often outlast with spinning alone; a
/// yield returns at once on a free core and gives the core away on an oversubscribed one
/// (several ranks on one machine). Clopath N=1000 K=1000 at 2 threads: docs/PERFORMANCE.md.
const SPINS: u32 = 1 << 10;
const YIELDS: u32 = 1 << 10;

/// One round of waiting (`round` counts from 0); false once the thread should park.
#[inline]
fn wait_a_little(round: u32) -> bool {
    if round < SPINS {
        std::hint::spin_loop();
        true
    } else if round < SPINS + YIELDS {
        thread::yield_now();
        true
    } else {
        false
    }
}

/// A job: called once per index `0..n`, each index on one thread.
type Job = dyn Fn(usize) + Sync;

struct Shared {
    /// Bumped once per job; workers run a job when they see a new value.
    epoch: AtomicU64,
    /// The current job, valid while `remaining > 0` (its lifetime erased: `run` waits for
    /// every worker before it returns, so the borrow outlives every call).
    job: UnsafeCell<Option<*const Job>>,
    /// Workers that have not finished the current job.
    remaining: AtomicUsize,
    /// The thread waiting in `run`, unparked by the last worker.
    caller: UnsafeCell<Option<Thread>>,
    panicked: AtomicBool,
    stop: AtomicBool,
}

// SAFETY: `job` and `caller` are written only by `run` while no worker reads them (before the
// epoch is published and after every worker has finished), and read by workers only between
// those points; the epoch (Release/Acquire) and `remaining` (AcqRel/Acquire) order them.
unsafe impl Sync for Shared {}
unsafe impl Send for Shared {}

/// A slice's items, for the threads of one [`Workers::run_each`].
struct Items<T>(*mut T);
// SAFETY: each thread touches only its own item (`run_each`), and the items are `Send`.
unsafe impl<T: Send> Sync for Items<T> {}

/// `n − 1` parked threads that, with the caller, run jobs of `n` indices.
pub struct Workers {
    shared: Arc<Shared>,
    threads: Vec<JoinHandle<()>>,
}

impl std::fmt::Debug for Workers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Workers({})", self.threads.len() + 1)
    }
}

impl Workers {
    /// Starts `n − 1` threads (none for `n ≤ 1`).
    pub fn new(n: usize) -> std::io::Result<Self> {
        let shared = Arc::new(Shared {
            epoch: AtomicU64::new(0),
            job: UnsafeCell::new(None),
            remaining: AtomicUsize::new(0),
            caller: UnsafeCell::new(None),
            panicked: AtomicBool::new(false),
            stop: AtomicBool::new(false),
        });
        let mut threads = Vec::new();
        for i in 1..n.max(1) {
            let s = shared.clone();
            threads.push(
                thread::Builder::new()
                    .name(format!("evplast-shard-{i}"))
                    .spawn(move || work(&s, i))?,
            );
        }
        Ok(Self { shared, threads })
    }

    /// Number of indices a job runs on (threads plus the caller).
    pub fn n(&self) -> usize {
        self.threads.len() + 1
    }

    /// Calls `f` on every item, item `i` on thread `i` (item 0 on the calling thread); there
    /// must be exactly [`Workers::n`] items.
    pub fn run_each<T: Send>(&self, items: &mut [T], f: &(dyn Fn(&mut T) + Sync)) {
        assert_eq!(items.len(), self.n(), "one item per thread");
        let items = Items(items.as_mut_ptr());
        self.run(&|i| {
            let p = &items;
            debug_assert!(i < self.n());
            // SAFETY: `run` calls each index in `0..n` once, and `n` is the slice's length,
            // so each item is borrowed mutably by one thread only, while `items` lives.
            f(unsafe { &mut *p.0.add(i) })
        });
    }

    /// Calls `job(i)` for every `i` in `0..n()`, index 0 on the calling thread, and returns
    /// when all have returned. A panic in a worker is raised here after all have finished.
    pub fn run(&self, job: &(dyn Fn(usize) + Sync + '_)) {
        let s = &*self.shared;
        if self.threads.is_empty() {
            job(0);
            return;
        }
        // SAFETY: no worker is running (the previous `run` waited for all of them), so
        // nothing reads `job` or `caller` now; the lifetime is erased for the same reason.
        unsafe {
            *s.caller.get() = Some(thread::current());
            *s.job.get() = Some(
                std::mem::transmute::<&(dyn Fn(usize) + Sync + '_), &'static Job>(job)
                    as *const Job,
            );
        }
        s.remaining.store(self.threads.len(), Ordering::Relaxed);
        s.epoch.fetch_add(1, Ordering::Release);
        for t in &self.threads {
            t.thread().unpark();
        }
        let mine = catch_unwind(AssertUnwindSafe(|| job(0)));
        let mut round = 0;
        while s.remaining.load(Ordering::Acquire) != 0 {
            if !wait_a_little(round) {
                thread::park();
            }
            round = round.saturating_add(1);
        }
        // SAFETY: every worker has finished with the job.
        unsafe { *s.job.get() = None };
        if let Err(p) = mine {
            std::panic::resume_unwind(p);
        }
        if s.panicked.swap(false, Ordering::Relaxed) {
            panic!("a worker thread of the simulation panicked (its message is above)");
        }
    }
}

/// A worker: waits for each new epoch and runs index `i` of its job.
fn work(s: &Shared, i: usize) {
    let mut seen = 0;
    loop {
        let mut spins = 0;
        loop {
            if s.stop.load(Ordering::Acquire) {
                return;
            }
            let e = s.epoch.load(Ordering::Acquire);
            if e != seen {
                seen = e;
                break;
            }
            if !wait_a_little(spins) {
                thread::park();
            }
            spins = spins.saturating_add(1);
        }
        // SAFETY: a new epoch was published after the job was set, and `run` keeps it alive
        // until `remaining` reaches 0, which happens only after this call.
        let job = unsafe { (*s.job.get()).expect("a job with the epoch") };
        if catch_unwind(AssertUnwindSafe(|| unsafe { (*job)(i) })).is_err() {
            s.panicked.store(true, Ordering::Relaxed);
        }
        // SAFETY: `caller` was set before the epoch and stays until every worker finished.
        let caller = unsafe { (*s.caller.get()).clone() };
        if s.remaining.fetch_sub(1, Ordering::AcqRel) == 1 {
            if let Some(c) = caller {
                c.unpark();
            }
        }
    }
}

impl Drop for Workers {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Release);
        for t in &self.threads {
            t.thread().unpark();
        }
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicU32;

    #[test]
    fn every_index_runs_once_per_job_across_many_jobs() {
        for n in 1..=4 {
            let w = Workers::new(n).unwrap();
            assert_eq!(w.n(), n);
            let counts: Vec<AtomicU32> = (0..n).map(|_| AtomicU32::new(0)).collect();
            for _ in 0..2000 {
                w.run(&|i| {
                    counts[i].fetch_add(1, Ordering::Relaxed);
                });
            }
            for c in &counts {
                assert_eq!(c.load(Ordering::Relaxed), 2000);
            }
        }
    }

    #[test]
    fn a_panicking_worker_is_reported_to_the_caller_and_the_pool_goes_on() {
        let w = Workers::new(3).unwrap();
        let r = catch_unwind(AssertUnwindSafe(|| {
            w.run(&|i| {
                if i == 2 {
                    panic!("worker 2 fails");
                }
            })
        }));
        assert!(r.is_err());
        let sum = AtomicUsize::new(0);
        w.run(&|i| {
            sum.fetch_add(i, Ordering::Relaxed);
        });
        assert_eq!(sum.load(Ordering::Relaxed), 1 + 2);
    }
}
