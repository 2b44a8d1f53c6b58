//! Random streams. Every stream is derived from the run's seed and a stable key (a node id,
//! a connection index), never from a thread, so results do not depend on the thread count.

use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;

/// The generator used everywhere.
pub type Rng = Xoshiro256PlusPlus;

/// The stream for `(seed, domain, key)`: domains separate uses (node parameters,
/// connection rules, per-node dynamics) so adding one does not shift another.
pub fn stream(seed: u64, domain: u64, key: u64) -> Rng {
    // SplitMix64-style mixing of the three words into one seed.
    let mut z =
        seed ^ domain.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ key.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    Rng::seed_from_u64(z)
}

/// Stream domains.
pub mod domain {
    pub const NODE_PARAMS: u64 = 1;
    pub const CONNECT: u64 = 2;
    pub const DYNAMICS: u64 = 3;
    pub const SYNAPSE_PARAMS: u64 = 4;
    /// Random values given to `SetStatus` (keyed by node and call).
    pub const SET_STATUS: u64 = 5;
    /// `pp_cond_exp_mc_urbanczik`'s dendritic spikes (spike–spike signal), keyed by node id.
    pub const DENDRITE_SPIKES: u64 = 6;
}
