//! Running the shards on several threads allocates nothing per slice (ARCHITECTURE.md, "One
//! slice"; crates/kernel/src/workers.rs): a network simulated for 10,000 slices makes as many
//! allocations with 2 or 3 threads as with 1, give or take the few reallocations of growing
//! buffers. One test only in this binary: the allocation counter is global.
// A counting allocator needs `unsafe impl GlobalAlloc`; it only forwards to the system's.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::ops::ControlFlow;
use std::sync::atomic::{AtomicU64, Ordering};

use evplast_kernel::NodeId;
use evplast_models::{KernelConfig, ParamValue};
use evplast_sim::{ConnSpec, Draw, Kernel, NodeParamSpec, Options, Param, SynapseSpec};

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

struct Counting;

// SAFETY: every call is forwarded unchanged to the system allocator.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.realloc(p, l, new) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Allocations while simulating 1 s (10,000 slices of 0.1 ms) after 1 s of warm-up, with
/// `threads` threads: Poisson input onto 40 parrots, Clopath synapses onto 16 neurons.
fn allocations(threads: u32) -> u64 {
    let cfg = KernelConfig {
        local_num_threads: threads,
        rng_seed: 3,
        ..KernelConfig::default()
    };
    let mut k = Kernel::new(cfg, Options::default()).unwrap();
    let num = |x: f64| Param::Value(ParamValue::Num(x));
    let pg = k
        .create(
            "poisson_generator",
            1,
            NodeParamSpec::Same(&[("rate".into(), num(50.0))]),
        )
        .unwrap();
    let prrt = k.create("parrot_neuron", 40, NodeParamSpec::None).unwrap();
    let nrn = k
        .create("aeif_psc_delta_clopath", 16, NodeParamSpec::None)
        .unwrap();
    let ids = |first: NodeId, n: u32| (0..n).map(|i| NodeId(first.0 + i)).collect::<Vec<_>>();
    let syn = |model: &str, w: f64| SynapseSpec {
        synapse_model: model.into(),
        weight: Draw::Fixed(w),
        delay: Draw::Fixed(0.1),
        ..SynapseSpec::default()
    };
    k.connect(
        &[pg],
        &ids(prrt, 40),
        &ConnSpec::default(),
        &syn("static_synapse", 1.0),
    )
    .unwrap();
    let (pre, post) = (ids(prrt, 40), ids(nrn, 16));
    k.connect(
        &pre,
        &post,
        &ConnSpec::default(),
        &syn("clopath_synapse", 3.0),
    )
    .unwrap();
    let go = |k: &mut Kernel| {
        k.simulate(1000.0, &mut |_| ControlFlow::Continue(()))
            .unwrap()
    };
    go(&mut k);
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    go(&mut k);
    ALLOCATIONS.load(Ordering::Relaxed) - before
}

#[test]
fn several_threads_allocate_nothing_per_slice() {
    let one = allocations(1);
    for threads in [2, 3] {
        let several = allocations(threads);
        eprintln!("allocations in 10,000 slices: {one} with 1 thread, {several} with {threads}");
        // A few buffers (a shard's outbox, the merged spikes) may still reach a new size; a
        // per-slice allocation would add at least 10,000.
        assert!(
            several <= one + 10,
            "{threads} threads: {several} allocations in 10,000 slices, 1 thread: {one}"
        );
    }
}
