//! Checkpoint files (`DIR/checkpoint.evp`): everything needed to continue a run bit for bit.
//!
//! A checkpoint carries the model file's text and the run's options, from which the resumed
//! process rebuilds the same network (connections and parameters are drawn from the seed, so
//! they come out identical), and the network's state as `evplast_kernel::snapshot` writes it.
//! Layout (little-endian):
//!
//! ```text
//! "EVPLAST-CHECKPOINT\n"  format version (u32)  evplast version (string)
//! model path (string)  model text (string)  options  state (bytes)
//! FNV-1a 64 of everything before (u64)
//! ```
//! Strings and byte blocks are a u64 length and the bytes. A file of another format version or
//! evplast version, or whose checksum does not match, is refused with the reason.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use evplast_kernel::network::Network;
use evplast_kernel::snapshot::{Snap, Snapshot, SnapshotError};

use crate::output::RecordFormat;
use crate::{Scheme, SchemeSetting};

/// The file name inside a run directory.
pub const FILE: &str = "checkpoint.evp";

const MAGIC: &[u8] = b"EVPLAST-CHECKPOINT\n";
/// Bumped whenever the layout or any component's state changes.
const FORMAT: u32 = 7;
/// The evplast version that wrote a checkpoint must be the one that reads it: state layouts
/// are not kept compatible across versions.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// How the run was started: what the resumed process needs to rebuild and continue it.
#[derive(Clone, Debug, PartialEq)]
pub struct RunOptions {
    /// `--scheme`, if given.
    pub scheme: Option<SchemeSetting>,
    /// `--format`, if given.
    pub format: Option<RecordFormat>,
    pub dump_network: bool,
    pub nest_ltd_ring: bool,
    /// `--checkpoint-every`, in steps (0: none).
    pub checkpoint_every: i64,
    /// The step the run ends at (the model's `simulate.t`, plus any `resume --t`).
    pub end: i64,
    /// The step the checkpoint was taken at (also in the state; here so that a finished run
    /// is recognised before anything is rebuilt).
    pub now: i64,
    /// Threads (shards) of the run: its state is laid out per shard, so it resumes with as
    /// many.
    pub threads: u32,
}

/// A checkpoint read back: the model, the options, and the state to load.
pub struct Checkpoint {
    /// The file as read (put back if a resume fails before it writes its own).
    pub bytes: Vec<u8>,
    pub model_path: String,
    pub model_text: String,
    pub options: RunOptions,
    pub state: Vec<u8>,
}

/// A checkpoint that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    #[error("cannot read checkpoint {0}: {1}")]
    Io(PathBuf, std::io::Error),
    #[error("{0} is not an evplast checkpoint")]
    NotACheckpoint(PathBuf),
    #[error("{path} was written by evplast {found} (format {format}); this is evplast {VERSION} (format {FORMAT}), which cannot continue it")]
    Version {
        path: PathBuf,
        found: String,
        format: u32,
    },
    #[error("{0} is damaged (its checksum does not match its contents); it cannot be resumed")]
    Corrupt(PathBuf),
    #[error("checkpoint {0}: {1}")]
    State(PathBuf, SnapshotError),
}

fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= b as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

fn scheme_code(s: Option<SchemeSetting>) -> u8 {
    match s {
        None => 0,
        Some(SchemeSetting::Fixed(Scheme::Time)) => 1,
        Some(SchemeSetting::Fixed(Scheme::Event)) => 2,
        Some(SchemeSetting::Fixed(Scheme::Compressed)) => 3,
        Some(SchemeSetting::Auto) => 4,
    }
}

/// The header, options and the network's state, as one visit (saving or loading).
fn visit(s: &mut Snap, model_path: &mut String, model_text: &mut String, o: &mut RunOptions) {
    let text = |s: &mut Snap, t: &mut String| {
        let mut b = std::mem::take(t).into_bytes();
        s.bytes(&mut b);
        *t = String::from_utf8_lossy(&b).into_owned();
    };
    text(s, model_path);
    text(s, model_text);
    let mut code = scheme_code(o.scheme);
    s.u8(&mut code);
    o.scheme = match code {
        1 => Some(Scheme::Time.into()),
        2 => Some(Scheme::Event.into()),
        3 => Some(Scheme::Compressed.into()),
        4 => Some(SchemeSetting::Auto),
        _ => None,
    };
    let mut code = match o.format {
        None => 0u8,
        Some(RecordFormat::Csv) => 1,
        Some(RecordFormat::Npy) => 2,
        Some(RecordFormat::Sonata) => 3,
    };
    s.u8(&mut code);
    o.format = match code {
        1 => Some(RecordFormat::Csv),
        2 => Some(RecordFormat::Npy),
        3 => Some(RecordFormat::Sonata),
        _ => None,
    };
    s.bool(&mut o.dump_network);
    s.bool(&mut o.nest_ltd_ring);
    s.i64(&mut o.checkpoint_every);
    s.i64(&mut o.end);
    s.i64(&mut o.now);
    s.u32(&mut o.threads);
}

/// Writes the checkpoint of `net` into `dir` atomically (a temporary file, synced, then
/// renamed over the previous checkpoint).
pub fn write(
    dir: &Path,
    model_path: &str,
    model_text: &str,
    options: &RunOptions,
    net: &mut Network,
) -> std::io::Result<()> {
    let mut s = Snap::saver();
    s.u32(&mut FORMAT.clone());
    s.bytes(&mut VERSION.as_bytes().to_vec());
    let (mut p, mut t) = (model_path.to_string(), model_text.to_string());
    let mut o = RunOptions {
        now: net.now,
        threads: net.shards.len() as u32,
        ..options.clone()
    };
    visit(&mut s, &mut p, &mut t, &mut o);
    let mut state = Snap::saver();
    net.snapshot(&mut state);
    let mut state = state.finish().expect("saving cannot fail");
    s.bytes(&mut state);
    let mut bytes = [MAGIC.to_vec(), s.finish().expect("saving cannot fail")].concat();
    let sum = fnv1a(&bytes);
    bytes.extend_from_slice(&sum.to_le_bytes());
    let tmp = dir.join(format!(".{FILE}.partial"));
    let mut f = fs::File::create(&tmp)?;
    f.write_all(&bytes)?;
    f.sync_all()?;
    fs::rename(&tmp, dir.join(FILE))
}

/// Reads and verifies `DIR/checkpoint.evp` (or the file `path` itself).
pub fn read(path: &Path) -> Result<Checkpoint, CheckpointError> {
    let path = if path.is_dir() {
        path.join(FILE)
    } else {
        path.to_path_buf()
    };
    let bytes = fs::read(&path).map_err(|e| CheckpointError::Io(path.clone(), e))?;
    if !bytes.starts_with(MAGIC) || bytes.len() < MAGIC.len() + 12 {
        return Err(CheckpointError::NotACheckpoint(path));
    }
    let (body, sum) = bytes.split_at(bytes.len() - 8);
    let body = body.to_vec();
    let sum = sum.to_vec();
    let mut s = Snap::loader(body[MAGIC.len()..].to_vec());
    let mut format = 0u32;
    s.u32(&mut format);
    let mut v = Vec::new();
    s.bytes(&mut v);
    let found = String::from_utf8_lossy(&v).into_owned();
    if format != FORMAT || found != VERSION {
        return Err(CheckpointError::Version {
            path,
            found,
            format,
        });
    }
    if fnv1a(&body).to_le_bytes()[..] != sum[..] {
        return Err(CheckpointError::Corrupt(path));
    }
    let (mut model_path, mut model_text) = (String::new(), String::new());
    let mut options = RunOptions {
        scheme: None,
        format: None,
        dump_network: false,
        nest_ltd_ring: false,
        checkpoint_every: 0,
        end: 0,
        now: 0,
        threads: 1,
    };
    visit(&mut s, &mut model_path, &mut model_text, &mut options);
    let mut state = Vec::new();
    s.bytes(&mut state);
    s.finish()
        .map_err(|e| CheckpointError::State(path.clone(), e))?;
    Ok(Checkpoint {
        bytes,
        model_path,
        model_text,
        options,
        state,
    })
}

/// Puts a checkpoint's bytes back into `dir` atomically (see [`Checkpoint::bytes`]).
pub fn put_back(dir: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = dir.join(format!(".{FILE}.partial"));
    let mut f = fs::File::create(&tmp)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    fs::rename(&tmp, dir.join(FILE))
}

/// Loads `state` (from [`read`]) into `net`, a network rebuilt from the checkpoint's model.
pub fn restore(path: &Path, state: Vec<u8>, net: &mut Network) -> Result<(), CheckpointError> {
    let mut s = Snap::loader(state);
    net.snapshot(&mut s);
    s.finish()
        .map(|_| ())
        .map_err(|e| CheckpointError::State(path.to_path_buf(), e))
}
