//! Checkpoints: the whole mutable state of a built network as bytes, and back.
//!
//! Every component visits its state through one [`Snap`] in one method, written once for both
//! directions: saving appends each visited value, loading overwrites it in place, in the same
//! order. A checkpoint holds only state (neurons, synapses, archives, compressed groups, input
//! rings, undelivered spikes, device and RNG state, recorded data, counters); everything that
//! follows from the model file (connectivity, parameters, channel maps) is rebuilt from it, so
//! a loader checks that each fixed-size part has the length the rebuilt network expects.
//! Values are stored bit for bit (little-endian), so a resumed run continues with exactly the
//! numbers it stopped with.

use std::collections::VecDeque;

use crate::rng::Rng;

/// A checkpoint that cannot be loaded into this network.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct SnapshotError(pub String);

enum Mode {
    Save,
    Load,
}

/// The visitor of [`Snapshot::snapshot`] (see the module docs). Loading never panics: the
/// first mismatch is kept, every later read yields zeros, and [`Snap::finish`] reports it.
pub struct Snap {
    mode: Mode,
    buf: Vec<u8>,
    pos: usize,
    error: Option<String>,
}

/// State that goes into a checkpoint.
pub trait Snapshot {
    /// Visits every piece of mutable state in a fixed order.
    fn snapshot(&mut self, s: &mut Snap);
}

macro_rules! scalar {
    ($($name:ident: $t:ty),*) => {$(
        /// Saves or loads one value.
        #[inline]
        pub fn $name(&mut self, x: &mut $t) {
            const N: usize = std::mem::size_of::<$t>();
            match self.mode {
                Mode::Save => self.buf.extend_from_slice(&x.to_le_bytes()),
                Mode::Load => {
                    let mut b = [0u8; N];
                    b.copy_from_slice(self.take(N));
                    *x = <$t>::from_le_bytes(b);
                }
            }
        }
    )*};
}

impl Snap {
    /// A visitor that records the visited state.
    pub fn saver() -> Self {
        Self {
            mode: Mode::Save,
            buf: Vec::new(),
            pos: 0,
            error: None,
        }
    }

    /// A visitor that overwrites the visited state with `bytes`.
    pub fn loader(bytes: Vec<u8>) -> Self {
        Self {
            mode: Mode::Load,
            buf: bytes,
            pos: 0,
            error: None,
        }
    }

    /// True when loading.
    pub fn is_loading(&self) -> bool {
        matches!(self.mode, Mode::Load)
    }

    /// Saving: the bytes. Loading: `Ok` if every byte was read and everything matched.
    pub fn finish(self) -> Result<Vec<u8>, SnapshotError> {
        if let Some(e) = self.error {
            return Err(SnapshotError(e));
        }
        if self.is_loading() && self.pos != self.buf.len() {
            return Err(SnapshotError(format!(
                "the checkpoint holds {} bytes of state more than this network has",
                self.buf.len() - self.pos
            )));
        }
        Ok(self.buf)
    }

    /// Records a mismatch (the first one is kept).
    pub fn fail(&mut self, what: impl FnOnce() -> String) {
        if self.error.is_none() {
            self.error = Some(what());
        }
    }

    fn take(&mut self, n: usize) -> &[u8] {
        const ZEROS: [u8; 16] = [0; 16];
        if self.error.is_some() || self.pos + n > self.buf.len() {
            if self.error.is_none() {
                self.error = Some("the checkpoint ends before the state of this network".into());
            }
            return &ZEROS[..n];
        }
        let s = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        s
    }

    scalar!(u8: u8, u16: u16, u32: u32, u64: u64, i32: i32, i64: i64);

    /// Saves or loads an `f64`, bit for bit.
    #[inline]
    pub fn f64(&mut self, x: &mut f64) {
        let mut bits = x.to_bits();
        self.u64(&mut bits);
        *x = f64::from_bits(bits);
    }

    /// Saves or loads a `bool`.
    pub fn bool(&mut self, x: &mut bool) {
        let mut b = *x as u8;
        self.u8(&mut b);
        *x = b != 0;
    }

    /// Saves or loads a `usize` (as 64 bits).
    pub fn usize(&mut self, x: &mut usize) {
        let mut v = *x as u64;
        self.u64(&mut v);
        *x = v as usize;
    }

    /// A section marker: saved as text, checked when loading, so that a checkpoint of another
    /// network fails at the first part that differs, with its name.
    pub fn tag(&mut self, name: &str) {
        let mut len = name.len() as u32;
        self.u32(&mut len);
        if self.is_loading() {
            let got = self.take(len as usize).to_vec();
            if got != name.as_bytes() {
                let got = String::from_utf8_lossy(&got).into_owned();
                self.fail(|| {
                    format!("the checkpoint's state does not fit this network: expected part '{name}', found '{got}'")
                });
            }
        } else {
            self.buf.extend_from_slice(name.as_bytes());
        }
    }

    /// A length that must equal `n` in the rebuilt network (`what` names it in the error).
    pub fn fixed_len(&mut self, n: usize, what: &str) {
        let mut m = n;
        self.usize(&mut m);
        if m != n {
            self.fail(|| {
                format!("the checkpoint's state does not fit this network: {what} has {m} entries there, {n} here")
            });
        }
    }

    /// The length of a growable collection: saved, or read (bounded by the bytes left, so a
    /// corrupt length cannot make a huge allocation).
    fn grow_len(&mut self, n: usize) -> usize {
        let mut m = n;
        self.usize(&mut m);
        if self.is_loading() && m > self.buf.len().saturating_sub(self.pos) {
            self.fail(|| format!("a length of {m} in the checkpoint exceeds its size"));
            return 0;
        }
        m
    }

    /// A collection of fixed length (rebuilt from the model): each element visited in place.
    pub fn each<T>(&mut self, v: &mut [T], what: &str, mut f: impl FnMut(&mut Snap, &mut T)) {
        self.fixed_len(v.len(), what);
        if self.error.is_none() {
            for x in v {
                f(self, x);
            }
        }
    }

    /// A collection whose length is state (recordings, histories): resized when loading.
    pub fn vec<T: Default>(&mut self, v: &mut Vec<T>, f: impl FnMut(&mut Snap, &mut T)) {
        let n = self.grow_len(v.len());
        if self.is_loading() {
            v.clear();
            v.resize_with(n, T::default);
        }
        self.visit_all(v.iter_mut(), f);
    }

    /// [`Snap::vec`] for elements without `Default` (loaded ones start as `fill`).
    pub fn vec_of<T: Clone>(&mut self, v: &mut Vec<T>, fill: T, f: impl FnMut(&mut Snap, &mut T)) {
        let n = self.grow_len(v.len());
        if self.is_loading() {
            v.clear();
            v.resize(n, fill);
        }
        self.visit_all(v.iter_mut(), f);
    }

    /// [`Snap::vec`] for a deque (loaded contiguously; reads do not depend on the layout).
    pub fn deque<T: Default>(&mut self, v: &mut VecDeque<T>, f: impl FnMut(&mut Snap, &mut T)) {
        let n = self.grow_len(v.len());
        if self.is_loading() {
            v.clear();
            v.resize_with(n, T::default);
        }
        self.visit_all(v.iter_mut(), f);
    }

    fn visit_all<'a, T: 'a>(
        &mut self,
        items: impl Iterator<Item = &'a mut T>,
        mut f: impl FnMut(&mut Snap, &mut T),
    ) {
        for x in items {
            if self.error.is_some() {
                break;
            }
            f(self, x);
        }
    }

    /// A block of bytes.
    pub fn bytes(&mut self, v: &mut Vec<u8>) {
        let n = self.grow_len(v.len());
        match self.mode {
            Mode::Save => self.buf.extend_from_slice(v),
            Mode::Load => {
                if self.error.is_none() {
                    *v = self.take(n).to_vec();
                }
            }
        }
    }

    /// A growable vector of `f64`.
    pub fn f64s(&mut self, v: &mut Vec<f64>) {
        self.vec(v, |s, x| s.f64(x));
    }

    /// A fixed-length slice of `f64` (its length is checked).
    pub fn f64_slice(&mut self, v: &mut [f64], what: &str) {
        self.each(v, what, |s, x| s.f64(x));
    }

    /// An optional value.
    pub fn option<T: Default>(&mut self, o: &mut Option<T>, f: impl FnOnce(&mut Snap, &mut T)) {
        let mut some = o.is_some();
        self.bool(&mut some);
        if self.is_loading() {
            *o = some.then(T::default);
        }
        if let Some(x) = o {
            f(self, x);
        }
    }

    /// A random stream's full state.
    pub fn rng(&mut self, r: &mut Rng) {
        // The generator exposes its state only through serde: four 64-bit words as JSON.
        let mut bytes = match self.mode {
            Mode::Save => serde_json::to_vec(r).expect("an RNG state serialises"),
            Mode::Load => Vec::new(),
        };
        self.bytes(&mut bytes);
        if self.is_loading() && self.error.is_none() {
            match serde_json::from_slice(&bytes) {
                Ok(x) => *r = x,
                Err(e) => {
                    self.fail(|| format!("a random stream in the checkpoint is damaged: {e}"))
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::RngExt;

    #[derive(Default, Debug, PartialEq)]
    struct Thing {
        a: f64,
        b: Vec<i64>,
        c: Option<u32>,
        d: VecDeque<f64>,
    }

    impl Snapshot for Thing {
        fn snapshot(&mut self, s: &mut Snap) {
            s.tag("thing");
            s.f64(&mut self.a);
            s.vec(&mut self.b, |s, x| s.i64(x));
            s.option(&mut self.c, |s, x| s.u32(x));
            s.deque(&mut self.d, |s, x| s.f64(x));
        }
    }

    #[test]
    fn round_trip_is_bit_exact_and_mismatches_are_errors() {
        let mut t = Thing {
            a: -0.1 + 1e-17,
            b: vec![-3, i64::MAX],
            c: Some(7),
            d: [f64::MIN_POSITIVE, -0.0].into_iter().collect(),
        };
        let mut s = Snap::saver();
        t.snapshot(&mut s);
        let bytes = s.finish().unwrap();
        let mut u = Thing::default();
        let mut l = Snap::loader(bytes.clone());
        u.snapshot(&mut l);
        l.finish().unwrap();
        assert_eq!(t.a.to_bits(), u.a.to_bits());
        assert_eq!(t, u);
        // Truncated, extended, or another part: refused with a message, no panic.
        for bad in [
            bytes[..bytes.len() - 3].to_vec(),
            [bytes.clone(), vec![0]].concat(),
            [vec![5, 0, 0, 0], b"other".to_vec(), bytes[9..].to_vec()].concat(),
        ] {
            let mut l = Snap::loader(bad);
            Thing::default().snapshot(&mut l);
            assert!(l.finish().is_err());
        }
    }

    #[test]
    fn rng_state_round_trips() {
        let mut r = crate::rng::stream(1, 2, 3);
        let _: f64 = r.random();
        let mut s = Snap::saver();
        s.rng(&mut r);
        let mut q = crate::rng::stream(9, 9, 9);
        let mut l = Snap::loader(s.finish().unwrap());
        l.rng(&mut q);
        l.finish().unwrap();
        assert_eq!(r.random::<u64>(), q.random::<u64>());
    }
}
