//! Writes a run directory (model-file.md "What a run writes"). Files are written under
//! temporary names (`.NAME.partial`) and renamed into place; `stats.json` comes last and marks a
//! finished run (`"complete": false` if it was interrupted), so a failed run never leaves output
//! that looks finished. Before the renames, [`MANIFEST`] lists every file the run writes, so
//! that the next run into the directory removes exactly those ([`remove_previous`]) and no file
//! of an older run survives next to a newer one.

use std::fs;
use std::io::{self, BufWriter, Write};
use std::path::{Component, Path, PathBuf};

use serde_json::{json, Map, Value};

use evplast_kernel::archive::RuleCounters;
use evplast_kernel::network::Exchange;
use evplast_kernel::{NodeId, Resolution, Step};
use evplast_models::ParamValue;

use evplast_sim::kernel::{events_of, Events};

use crate::load::Loaded;

/// How recorders write their files (`evplast run --format`, `[kernel] record_format`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum RecordFormat {
    /// `<stem>.csv`, one row per event.
    #[default]
    Csv,
    /// `<stem>.<column>.npy`, one NumPy array per column (`numpy.load`).
    Npy,
    /// Spike recorders: `<stem>.h5` in SONATA's spike layout (builds with the `hdf5` feature);
    /// other recorders: CSV.
    Sonata,
}

impl RecordFormat {
    /// The names users give, for messages.
    pub const NAMES: &'static str = "csv, npy, sonata";

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "csv" => Some(Self::Csv),
            "npy" => Some(Self::Npy),
            "sonata" => Some(Self::Sonata),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Csv => "csv",
            Self::Npy => "npy",
            Self::Sonata => "sonata",
        }
    }

    /// Whether this build can write the format (SONATA needs HDF5: the `hdf5` feature).
    pub fn check_available(self) -> Result<Self, String> {
        if self == Self::Sonata && !cfg!(feature = "hdf5") {
            return Err(
                "\"sonata\" needs HDF5, and this evplast was built without it: build \
                        with `cargo build --release --features hdf5` (Debian: apt-get install \
                        libhdf5-dev pkg-config)"
                    .to_string(),
            );
        }
        Ok(self)
    }
}

/// Wall-clock timings of a run.
#[derive(Clone, Copy, Debug, Default)]
pub struct Timings {
    pub build_s: f64,
    pub simulate_s: f64,
}

/// A time in ms from a stamp, written exactly (the grid is whole tics of 1 µs).
pub fn fmt_time(res: Resolution, stamp: Step) -> String {
    let tics = tics(res, stamp);
    let (sign, tics) = if tics < 0 { ("-", -tics) } else { ("", tics) };
    let frac = format!("{:03}", tics % 1000);
    let frac = frac.trim_end_matches('0');
    format!(
        "{sign}{}.{}",
        tics / 1000,
        if frac.is_empty() { "0" } else { frac }
    )
}

/// A stamp in whole tics of 1 µs (the grid's unit).
fn tics(res: Resolution, stamp: Step) -> i64 {
    (res.ms(1) * 1000.0).round() as i64 * stamp
}

/// Peak resident set size of this process, from `/proc/self/status` (`VmHWM`).
pub fn peak_rss_bytes() -> Option<u64> {
    let s = fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// The file of a run directory that lists, one name a line, the results the last run wrote
/// there. Hidden, like the `.NAME.partial` files, so that it does not look like a result.
pub const MANIFEST: &str = ".evplast-manifest";

/// Outputs with fixed names: removed by the next run even when no manifest lists them (a run
/// killed before it wrote its manifest, or a directory written before manifests existed).
const FIXED_OUTPUTS: [&str; 4] = [
    "stats.json",
    "connections.csv",
    "network.json",
    crate::checkpoint::FILE,
];

const MANIFEST_HEADER: &str =
    "# Files written by the last evplast run into this directory; the next run removes them.\n";

/// True for a name the manifest may list: one plain path component (never `..`, `/` or an
/// absolute path, so that a damaged manifest cannot remove anything outside the directory).
fn is_plain_name(name: &str) -> bool {
    let mut c = Path::new(name).components();
    matches!((c.next(), c.next()), (Some(Component::Normal(n)), None) if *n == *name)
        && !name.starts_with('#')
        && name != MANIFEST
}

/// True for the temporary name of a file being written (`.NAME.partial`).
fn is_partial(name: &str) -> bool {
    name.len() > ".partial".len() + 1 && name.starts_with('.') && name.ends_with(".partial")
}

/// Where `name` is written before the run's files are committed (`.NAME.partial`).
fn partial(dir: &Path, name: &str) -> PathBuf {
    dir.join(format!(".{name}.partial"))
}

fn with_path(e: io::Error, p: &Path) -> io::Error {
    io::Error::new(e.kind(), format!("{}: {e}", p.display()))
}

/// Removes the results of an earlier run from `dir`: every file its [`MANIFEST`] lists, the
/// fixed-name outputs (`stats.json`, `connections.csv`, `network.json`), every temporary
/// `.NAME.partial` of an interrupted write, and the manifest itself. Nothing else in `dir` is
/// touched; a missing `dir` holds nothing to remove. Every removal is tried; the first failure
/// is returned (with the manifest kept, so that a later run still knows what to remove).
/// Returns the number of files removed.
pub fn remove_previous(dir: &Path) -> io::Result<usize> {
    if !dir.is_dir() {
        return Ok(0);
    }
    let mut names: Vec<String> = FIXED_OUTPUTS.iter().map(|s| s.to_string()).collect();
    let manifest = dir.join(MANIFEST);
    match fs::read_to_string(&manifest) {
        Ok(text) => names.extend(text.lines().filter(|l| is_plain_name(l)).map(String::from)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(with_path(e, &manifest)),
    }
    for entry in fs::read_dir(dir).map_err(|e| with_path(e, dir))? {
        let entry = entry.map_err(|e| with_path(e, dir))?;
        if let Some(name) = entry.file_name().to_str().filter(|n| is_partial(n)) {
            names.push(name.to_string());
        }
    }
    names.sort();
    names.dedup();
    let mut removed = 0;
    let mut first_error = None;
    for name in &names {
        let p = dir.join(name);
        match fs::remove_file(&p) {
            Ok(()) => removed += 1,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => {
                first_error.get_or_insert(with_path(e, &p));
            }
        }
    }
    if let Some(e) = first_error {
        return Err(e);
    }
    match fs::remove_file(&manifest) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(with_path(e, &manifest)),
        _ => Ok(removed),
    }
}

struct Staged {
    dir: PathBuf,
    done: Vec<(PathBuf, PathBuf)>,
}

impl Staged {
    /// The temporary path for `name`, taken into the commit (for writers that open it
    /// themselves).
    fn reserve(&mut self, name: &str) -> PathBuf {
        let tmp = partial(&self.dir, name);
        self.done.push((tmp.clone(), self.dir.join(name)));
        tmp
    }

    /// Takes `.NAME.partial`, written already, into the commit.
    fn adopt(&mut self, name: &str) {
        self.reserve(name);
    }

    fn create(&mut self, name: &str) -> io::Result<BufWriter<fs::File>> {
        Ok(BufWriter::new(fs::File::create(self.reserve(name))?))
    }

    /// Lists the files in the manifest, then renames them into place in creation order
    /// (`stats.json` last). The manifest comes first so that a run killed among the renames
    /// still tells the next run what to remove.
    fn commit(self) -> io::Result<()> {
        let mut list = String::from(MANIFEST_HEADER);
        for (_, dst) in &self.done {
            let name = dst.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            list.push_str(name);
            list.push('\n');
        }
        let tmp = self.dir.join(format!("{MANIFEST}.partial"));
        fs::write(&tmp, list)?;
        fs::rename(&tmp, self.dir.join(MANIFEST))?;
        for (tmp, dst) in &self.done {
            fs::rename(tmp, dst)?;
        }
        Ok(())
    }
}

/// Creates the run directory (call before simulating, so that an unusable `--out` is refused
/// before the simulation's time is spent). Results of an earlier run are removed by
/// [`remove_previous`].
pub fn prepare_dir(dir: &Path) -> io::Result<()> {
    fs::create_dir_all(dir)
}

fn label_of(l: &Loaded, id: NodeId) -> &str {
    l.populations
        .iter()
        .find(|p| id.0 >= p.first.0 && id.0 < p.first.0 + p.n as u32)
        .map_or("", |p| p.label.as_str())
}

/// Writes every output of a run into `dir`: a complete one, or one stopped early (whatever was
/// recorded up to `l.sim.network.now`; `stats.json` says `"complete": false`). On failure
/// whatever this call wrote is removed again, so that a failed write leaves no results.
///
/// With several MPI ranks (`ex`), rank 0 calls this while every other rank calls
/// [`evplast_kernel::network::Network::each_plastic_connection`], which this takes part in.
pub fn write_run(
    dir: &Path,
    l: &mut Loaded,
    t: Timings,
    dump_network: bool,
    ex: Option<&dyn Exchange>,
    stream: Option<Streaming>,
) -> io::Result<()> {
    write_all(dir, l, t, dump_network, ex, stream).inspect_err(|_| {
        // Best effort: the write error is the one to report.
        let _ = remove_previous(dir);
    })
}

fn write_all(
    dir: &Path,
    l: &mut Loaded,
    t: Timings,
    dump_network: bool,
    ex: Option<&dyn Exchange>,
    stream: Option<Streaming>,
) -> io::Result<()> {
    let net = &mut l.sim.network;
    net.drain_samples();
    let res = net.res;
    let mut st = Staged {
        dir: dir.to_path_buf(),
        done: Vec::new(),
    };
    // First, as every rank lists the connections together: a failure before it would leave
    // the other ranks waiting.
    write_connections(&mut st, net, ex)?;

    // One file (csv) or set of files (npy) per recorder (`recorder_outputs`); those streamed
    // during the run get their last rows and their headers now.
    let streamed: Vec<NodeId> = stream.as_ref().map_or(Vec::new(), |s| s.ids());
    if let Some(stream) = stream {
        stream.finish(&mut l.sim, &mut st)?;
    }
    for o in recorder_outputs(l) {
        if streamed.contains(&o.id) {
            continue;
        }
        let events = [events_of(&l.sim, o.id)];
        match output_format(l.record_format, o.kind) {
            RecordFormat::Sonata => {
                let name = format!("{}.h5", o.stem);
                let tmp = st.reserve(&name);
                write_sonata(&tmp, l, &events[0])?;
            }
            RecordFormat::Csv => {
                let mut w = st.create(&format!("{}.csv", o.stem))?;
                write_events(&mut w, o.kind, &events, res, o.steps)?;
                w.flush()?;
            }
            RecordFormat::Npy => {
                // The streaming writer, in one piece.
                for (column, array) in event_columns(o.kind, &events, res, o.steps) {
                    let name = format!("{}.{column}.npy", o.stem);
                    let mut c = NpyColumn::create(&st.dir, name, &array)?;
                    c.append(&array)?;
                    st.adopt(&c.finish()?);
                }
            }
        }
    }

    if dump_network {
        let mut w = st.create("network.json")?;
        serde_json::to_writer(&mut w, &network_json(l))?;
        w.flush()?;
    }

    let mut w = st.create("stats.json")?;
    serde_json::to_writer_pretty(&mut w, &stats_json(l, t))?;
    writeln!(w)?;
    w.flush()?;
    drop(w);
    st.commit()
}

/// `connections.csv`: every plastic connection's final weight, by source, then target, listed
/// a batch at a time. A failed write still lists to the end (other ranks take part), then
/// reports the first error.
fn write_connections(
    st: &mut Staged,
    net: &evplast_kernel::network::Network,
    ex: Option<&dyn Exchange>,
) -> io::Result<()> {
    let mut w = st.create("connections.csv");
    let mut failed = match &mut w {
        Ok(w) => writeln!(w, "source,target,synapse_model,weight,delay").err(),
        Err(_) => None,
    };
    net.each_plastic_connection(ex, &mut |model, c| {
        if let (Ok(w), None) = (&mut w, &failed) {
            failed = writeln!(
                w,
                "{},{},{model},{},{}",
                c.source, c.target, c.weight, c.delay_ms
            )
            .err();
        }
    });
    let mut w = w?;
    match failed {
        Some(e) => Err(e),
        None => w.flush(),
    }
}

/// The format recorder kind `kind` writes in a run of `format`: SONATA holds spikes only, so
/// the other recorders of a SONATA run write CSV.
fn output_format(format: RecordFormat, kind: Recorder) -> RecordFormat {
    match (format, kind) {
        (RecordFormat::Sonata, Recorder::Spikes) => RecordFormat::Sonata,
        (RecordFormat::Sonata, _) => RecordFormat::Csv,
        (f, _) => f,
    }
}

/// A spike recorder's spikes as SONATA's spike file (`/spikes/<population>/timestamps` in ms
/// and `node_ids` within the population, from 0; sorted by time, then node; the population
/// group's attribute `sorting = "by_time"`): one population per `[[create]]` block the spikes
/// came from, named by its label.
#[cfg(feature = "hdf5")]
fn write_sonata(path: &Path, l: &Loaded, e: &Events) -> io::Result<()> {
    let err = |e: hdf5_metno::Error| io::Error::other(format!("{}: {e}", path.display()));
    let f = hdf5_metno::File::create(path).map_err(err)?;
    let spikes = f.create_group("spikes").map_err(err)?;
    let res = l.sim.network.res;
    for p in &l.populations {
        let (lo, hi) = (i64::from(p.first.0), i64::from(p.first.0) + p.n as i64);
        // The rows come sorted by (stamp, sender): by time, then node.
        let rows: Vec<usize> = (0..e.senders.len())
            .filter(|&k| (lo..hi).contains(&e.senders[k]))
            .collect();
        if rows.is_empty() {
            continue;
        }
        let name = if p.label.is_empty() {
            p.model.as_str()
        } else {
            p.label.as_str()
        };
        let g = spikes.create_group(name).map_err(err)?;
        let sorting: hdf5_metno::types::VarLenUnicode = "by_time".parse().expect("ascii");
        g.new_attr::<hdf5_metno::types::VarLenUnicode>()
            .create("sorting")
            .and_then(|a| a.write_scalar(&sorting))
            .map_err(err)?;
        let t: Vec<f64> = rows.iter().map(|&k| time_value(res, e.stamps[k])).collect();
        let ids: Vec<u64> = rows.iter().map(|&k| (e.senders[k] - lo) as u64).collect();
        let ts = g
            .new_dataset_builder()
            .with_data(&t)
            .create("timestamps")
            .map_err(err)?;
        let ms: hdf5_metno::types::VarLenUnicode = "ms".parse().expect("ascii");
        ts.new_attr::<hdf5_metno::types::VarLenUnicode>()
            .create("units")
            .and_then(|a| a.write_scalar(&ms))
            .map_err(err)?;
        g.new_dataset_builder()
            .with_data(&ids)
            .create("node_ids")
            .map_err(err)?;
    }
    f.close().map_err(err)
}

#[cfg(not(feature = "hdf5"))]
fn write_sonata(path: &Path, _: &Loaded, _: &Events) -> io::Result<()> {
    Err(io::Error::other(format!(
        "{}: {}",
        path.display(),
        RecordFormat::Sonata.check_available().unwrap_err()
    )))
}

/// A recorder that writes files, and how they are named.
struct RecorderOutput {
    kind: Recorder,
    id: NodeId,
    /// `<label>`, or `<label>-<node id>` where several recorders share a label (NEST's ascii
    /// files are `<label>-<node id>-<vp>.dat`).
    stem: String,
    /// Times in whole steps (`time_in_steps`).
    steps: bool,
}

/// Every recorder that writes files (`record_to` is not `"memory"`), by kind, then label.
fn recorder_outputs(l: &Loaded) -> Vec<RecorderOutput> {
    let recorders = &l.sim.recorders;
    let mut out = Vec::new();
    for (kind, list) in [
        (Recorder::Spikes, &recorders.spike_recorders),
        (Recorder::Samples, &recorders.multimeters),
        (Recorder::Weights, &recorders.weight_recorders),
    ] {
        let mut by_label: Vec<(String, Vec<(NodeId, bool)>)> = Vec::new();
        for (id, _) in list {
            let (to_file, steps) = rec_settings(l, *id);
            if to_file {
                push_label(&mut by_label, label_of(l, *id), *id, steps);
            }
        }
        for (label, ids) in &by_label {
            for &(id, steps) in ids {
                let stem = if ids.len() == 1 {
                    label.clone()
                } else {
                    format!("{label}-{id}")
                };
                out.push(RecorderOutput {
                    kind,
                    id,
                    stem,
                    steps,
                });
            }
        }
    }
    out
}

/// Environment variable (tests): stream once the recorders hold this many rows.
pub const STREAM_ROWS_ENV: &str = "EVPLAST_TEST_STREAM_ROWS";

/// Rows the recorders may hold before [`Streaming::flush`] writes them out (2^16 rows: with
/// the copies a flush makes, about 10 MB for a multimeter of one field).
pub fn stream_rows() -> usize {
    std::env::var(STREAM_ROWS_ENV)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .filter(|&n| n > 0)
        .unwrap_or(1 << 16)
}

/// Recorder files written while the run goes on, so that a long recording does not grow in
/// memory: every so often ([`Streaming::flush`]) the rows recorded since are appended to the
/// files (`.NAME.partial` until the run's files are committed) and dropped from memory. Rows
/// come in time order: each flush ends on a slice boundary and holds every row of the stamps
/// before it, and the rows of one flush are sorted as a whole file is ([`write_events`]), so
/// the files are the same bytes as when written at once (`.npy` headers are rewritten with the
/// final length at the end).
pub struct Streaming {
    dir: PathBuf,
    res: Resolution,
    files: Vec<(RecorderOutput, Sink)>,
}

enum Sink {
    Csv {
        name: String,
        w: BufWriter<fs::File>,
        header: bool,
    },
    /// One writer per column, created at the first flush (a multimeter's columns are known
    /// then).
    Npy(Vec<NpyColumn>),
}

impl Streaming {
    /// Opens the files of every recorder of `l` that writes files.
    pub fn start(dir: &Path, l: &Loaded) -> io::Result<Self> {
        let mut files = Vec::new();
        for o in recorder_outputs(l) {
            let sink = match output_format(l.record_format, o.kind) {
                // Written whole at the end.
                RecordFormat::Sonata => continue,
                RecordFormat::Csv => {
                    let name = format!("{}.csv", o.stem);
                    let tmp = partial(dir, &name);
                    let w = BufWriter::new(fs::File::create(&tmp).map_err(|e| with_path(e, &tmp))?);
                    Sink::Csv {
                        name,
                        w,
                        header: false,
                    }
                }
                RecordFormat::Npy => Sink::Npy(Vec::new()),
            };
            files.push((o, sink));
        }
        Ok(Self {
            dir: dir.to_path_buf(),
            res: l.sim.network.res,
            files,
        })
    }

    /// The recorders it writes.
    fn ids(&self) -> Vec<NodeId> {
        self.files.iter().map(|(o, _)| o.id).collect()
    }

    /// Rows the file-writing recorders hold now.
    pub fn rows_held(&self, sim: &mut evplast_models::Simulation) -> usize {
        sim.network.drain_samples();
        let net = &sim.network;
        let find = recorder_index;
        self.files
            .iter()
            .map(|(o, _)| {
                let r = &sim.recorders;
                match o.kind {
                    Recorder::Spikes => find(&r.spike_recorders, o.id)
                        .map_or(0, |i| net.spike_recording.events[i].len()),
                    Recorder::Samples => {
                        find(&r.multimeters, o.id).map_or(0, |i| net.multimeters[i].stamps.len())
                    }
                    Recorder::Weights => {
                        find(&r.weight_recorders, o.id).map_or(0, |i| net.weight_records[i].len())
                    }
                }
            })
            .sum()
    }

    /// Appends every row recorded since the last flush to the files, and drops them from
    /// memory. Call it only between slices (after a `simulate` call).
    pub fn flush(&mut self, sim: &mut evplast_models::Simulation) -> io::Result<()> {
        sim.network.drain_samples();
        for (o, sink) in &mut self.files {
            let events = [events_of(sim, o.id)];
            match sink {
                Sink::Csv { w, header, .. } => {
                    let mut buf = Vec::new();
                    write_events(&mut buf, o.kind, &events, self.res, o.steps)?;
                    // The header line only once.
                    let skip = if *header {
                        buf.iter()
                            .position(|&b| b == b'\n')
                            .map_or(buf.len(), |p| p + 1)
                    } else {
                        0
                    };
                    *header = true;
                    w.write_all(&buf[skip..])?;
                }
                Sink::Npy(cols) => {
                    let columns = event_columns(o.kind, &events, self.res, o.steps);
                    if cols.is_empty() {
                        for (name, c) in &columns {
                            let file = format!("{}.{name}.npy", o.stem);
                            cols.push(NpyColumn::create(&self.dir, file, c)?);
                        }
                    }
                    for (col, (_, c)) in cols.iter_mut().zip(&columns) {
                        col.append(c)?;
                    }
                }
            }
            clear_recorded(sim, o.id);
        }
        Ok(())
    }

    /// Writes the last rows, finishes the files and hands them to the run's commit.
    fn finish(mut self, sim: &mut evplast_models::Simulation, st: &mut Staged) -> io::Result<()> {
        self.flush(sim)?;
        for (_, sink) in self.files {
            match sink {
                Sink::Csv { name, mut w, .. } => {
                    w.flush()?;
                    st.adopt(&name);
                }
                Sink::Npy(cols) => {
                    for c in cols {
                        let name = c.finish()?;
                        st.adopt(&name);
                    }
                }
            }
        }
        Ok(())
    }
}

/// Recorder `id`'s index in its kind's storage (`list`: the simulation's recorders of a kind).
fn recorder_index(list: &[(NodeId, u32)], id: NodeId) -> Option<usize> {
    list.iter().find(|(n, _)| *n == id).map(|x| x.1 as usize)
}

/// Drops what recorder `id` holds (after its rows were written).
fn clear_recorded(sim: &mut evplast_models::Simulation, id: NodeId) {
    let find = |list: &[(NodeId, u32)]| recorder_index(list, id);
    let r = &sim.recorders;
    let net = &mut sim.network;
    if let Some(i) = find(&r.spike_recorders) {
        net.spike_recording.clear(i);
    } else if let Some(i) = find(&r.multimeters) {
        let m = &mut net.multimeters[i];
        m.senders.clear();
        m.stamps.clear();
        m.values.clear();
    } else if let Some(i) = find(&r.weight_recorders) {
        net.weight_records[i].clear();
    }
}

/// A one-dimensional `.npy` file written a piece at a time: a header with room for any length,
/// rewritten with the final length at the end (NumPy's format 1.0: the header is padded with
/// spaces to a multiple of 64 bytes).
struct NpyColumn {
    name: String,
    w: BufWriter<fs::File>,
    descr: &'static str,
    len: u64,
}

impl NpyColumn {
    /// The header's length: magic, version, length field and the padded dictionary.
    const HEADER: usize = 128;

    fn header(descr: &str, len: u64) -> Vec<u8> {
        // As ndarray-npy writes it (the tests read the files back with it).
        let dict = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': ({len},)}}");
        let mut h = b"\x93NUMPY\x01\x00".to_vec();
        let room = Self::HEADER - 10;
        h.extend_from_slice(&(room as u16).to_le_bytes());
        h.extend_from_slice(dict.as_bytes());
        h.resize(Self::HEADER - 1, b' ');
        h.push(b'\n');
        h
    }

    fn create(dir: &Path, name: String, like: &Column) -> io::Result<Self> {
        let tmp = partial(dir, &name);
        let mut w = BufWriter::new(fs::File::create(&tmp).map_err(|e| with_path(e, &tmp))?);
        let descr = match like {
            Column::Int(_) => "<i8",
            Column::Float(_) => "<f8",
        };
        w.write_all(&Self::header(descr, 0))?;
        Ok(Self {
            name,
            w,
            descr,
            len: 0,
        })
    }

    fn append(&mut self, c: &Column) -> io::Result<()> {
        match c {
            Column::Int(v) => {
                for x in v {
                    self.w.write_all(&x.to_le_bytes())?;
                }
                self.len += v.len() as u64;
            }
            Column::Float(v) => {
                for x in v {
                    self.w.write_all(&x.to_le_bytes())?;
                }
                self.len += v.len() as u64;
            }
        }
        Ok(())
    }

    /// Rewrites the header with the final length; returns the file's name.
    fn finish(self) -> io::Result<String> {
        use std::io::{Seek, SeekFrom};
        let mut f = self.w.into_inner().map_err(|e| e.into_error())?;
        f.seek(SeekFrom::Start(0))?;
        f.write_all(&Self::header(self.descr, self.len))?;
        f.flush()?;
        Ok(self.name)
    }
}

/// The recorders under each label, with whether each writes times in steps.
fn push_label(v: &mut Vec<(String, Vec<(NodeId, bool)>)>, label: &str, id: NodeId, steps: bool) {
    match v.iter_mut().find(|(l, _)| l == label) {
        Some((_, ids)) => ids.push((id, steps)),
        None => v.push((label.to_string(), vec![(id, steps)])),
    }
}

/// A recorder's file settings as given (`devices/recording.rs`): whether it writes its file
/// (`record_to` is not `"memory"`) and whether times are whole steps (`time_in_steps`).
fn rec_settings(l: &Loaded, id: NodeId) -> (bool, bool) {
    let Some(p) = l
        .populations
        .iter()
        .find(|p| id.0 >= p.first.0 && id.0 < p.first.0 + p.n as u32)
    else {
        return (true, false);
    };
    let m = &p.params[(id.0 - p.first.0) as usize];
    (
        m.get("record_to") != Some(&ParamValue::Str("memory".into())),
        m.get("time_in_steps") == Some(&ParamValue::Bool(true)),
    )
}

/// A recorded time: ms from whole tics, or the stamp itself (`time_in_steps`).
fn fmt_rec_time(res: Resolution, stamp: Step, steps: bool) -> String {
    if steps {
        stamp.to_string()
    } else {
        fmt_time(res, stamp)
    }
}

/// What a recorder records, for its file's columns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Recorder {
    /// `senders,times`
    Spikes,
    /// `senders,times,<record_from...>`
    Samples,
    /// `senders,targets,times,weights`
    Weights,
}

/// Writes the events of one or more recorders of one kind as one CSV file (the format of
/// `evplast run`, README "Commands"): rows of all parts merged in time order (spikes by stamp
/// and sender; samples by stamp and sender; weights by stamp, sender and target; rows with
/// equal keys in the parts' order).
pub fn write_events(
    w: &mut impl Write,
    kind: Recorder,
    parts: &[Events],
    res: Resolution,
    steps: bool,
) -> io::Result<()> {
    let t = |stamp: i64| fmt_rec_time(res, stamp, steps);
    let rows = sorted_rows(kind, parts);
    match kind {
        Recorder::Spikes => {
            writeln!(w, "senders,times")?;
            for (e, k) in rows {
                writeln!(w, "{},{}", e.senders[k], t(e.stamps[k]))?;
            }
        }
        Recorder::Samples => {
            let fields = parts.first().map_or(&[][..], |e| &e.values[..]);
            writeln!(
                w,
                "senders,times{}",
                fields
                    .iter()
                    .map(|f| format!(",{}", f.0))
                    .collect::<String>()
            )?;
            for (e, k) in rows {
                write!(w, "{},{}", e.senders[k], t(e.stamps[k]))?;
                for (_, col) in &e.values {
                    write!(w, ",{}", col[k])?;
                }
                writeln!(w)?;
            }
        }
        Recorder::Weights => {
            writeln!(w, "senders,targets,times,weights")?;
            for (e, k) in rows {
                writeln!(
                    w,
                    "{},{},{},{}",
                    e.senders[k],
                    e.targets[k],
                    t(e.stamps[k]),
                    e.weights[k]
                )?;
            }
        }
    }
    Ok(())
}

/// One column of a recorder's events for an `.npy` file.
pub enum Column {
    Int(Vec<i64>),
    Float(Vec<f64>),
}

/// A time in ms as the f64 nearest the exact decimal `fmt_time` writes (whole tics over 1000:
/// both exact integers, so the division rounds once), or the stamp itself.
fn time_value(res: Resolution, stamp: Step) -> f64 {
    tics(res, stamp) as f64 / 1000.0
}

/// The columns of the events of one or more recorders of one kind, named as the CSV's header
/// names them, with the CSV's rows in its order ([`write_events`]): the same numbers.
pub fn event_columns(
    kind: Recorder,
    parts: &[Events],
    res: Resolution,
    steps: bool,
) -> Vec<(String, Column)> {
    let rows = sorted_rows(kind, parts);
    let times = if steps {
        Column::Int(rows.iter().map(|&(e, k)| e.stamps[k]).collect())
    } else {
        Column::Float(
            rows.iter()
                .map(|&(e, k)| time_value(res, e.stamps[k]))
                .collect(),
        )
    };
    let senders = Column::Int(rows.iter().map(|&(e, k)| e.senders[k]).collect());
    match kind {
        Recorder::Spikes => vec![("senders".into(), senders), ("times".into(), times)],
        Recorder::Samples => {
            let mut out = vec![("senders".into(), senders), ("times".into(), times)];
            let fields = parts.first().map_or(&[][..], |e| &e.values[..]);
            for (i, (name, _)) in fields.iter().enumerate() {
                let col = rows.iter().map(|&(e, k)| e.values[i].1[k]).collect();
                out.push((name.clone(), Column::Float(col)));
            }
            out
        }
        Recorder::Weights => vec![
            ("senders".into(), senders),
            (
                "targets".into(),
                Column::Int(rows.iter().map(|&(e, k)| e.targets[k]).collect()),
            ),
            ("times".into(), times),
            (
                "weights".into(),
                Column::Float(rows.iter().map(|&(e, k)| e.weights[k]).collect()),
            ),
        ],
    }
}

/// The rows of all parts in a file's order: by stamp and sender (and target for weights);
/// rows with equal keys in the parts' order (a stable sort).
fn sorted_rows(kind: Recorder, parts: &[Events]) -> Vec<(&Events, usize)> {
    let mut rows: Vec<(&Events, usize)> = parts
        .iter()
        .flat_map(|e| (0..e.stamps.len()).map(move |k| (e, k)))
        .collect();
    match kind {
        Recorder::Weights => {
            rows.sort_by_key(|(e, k)| (e.stamps[*k], e.senders[*k], e.targets[*k]));
        }
        _ => rows.sort_by_key(|(e, k)| (e.stamps[*k], e.senders[*k])),
    }
    rows
}

/// Where the simulation's wall-clock time went, per stage of the step loop.
pub fn stage_json(st: &evplast_kernel::network::StageTimes) -> Value {
    json!({
        "deliver": st.deliver,
        "advance": st.advance,
        "update": st.update,
        "collect": st.collect,
        "exchange": st.exchange,
    })
}

fn counters_json(c: &RuleCounters) -> Value {
    json!({
        "synapse_calls": c.synapse_calls,
        "weight_change_computations": c.weight_change_computations,
        "history_manipulations": c.history_manipulations,
        "history_entries_max": c.history_entries_max,
        "history_entries_mean": c.history_entries_mean(),
    })
}

/// The contents of `stats.json`. `complete` tells whether the run reached `t_sim_ms`;
/// `t_reached_ms` is where it stopped (equal to `t_sim_ms` when complete).
pub fn stats_json(l: &Loaded, t: Timings) -> Value {
    let net = &l.sim.network;
    // As NEST's kernel status: `num_connections` counts every connection (recorder and
    // generator links included), `local_spike_counter` neuron spikes only (parrots included,
    // times their multiplicity; a spike_generator's spikes are not counted).
    let n_connections = l.sim.n_connections;
    // Exact decimal of the stamp, so that 40 ms reads 40.0 and not 40.00000000000001.
    let t_reached: f64 = fmt_time(net.res, net.now)
        .parse()
        .unwrap_or(net.res.ms(net.now));
    let mut v = json!({
        "model": l.model_path,
        "complete": net.now >= l.steps,
        "t_reached_ms": t_reached,
        "build_s": t.build_s,
        "simulate_s": t.simulate_s,
        "real_time_factor": if t_reached > 0.0 { t.simulate_s / (t_reached / 1000.0) } else { 0.0 },
        "peak_rss_bytes": peak_rss_bytes(),
        "n_nodes": net.n_nodes,
        "threads": net.shards.len(),
        "ranks": net.ranks,
        "n_connections": n_connections,
        "scheme": l.scheme.as_str(),
        "spikes": net.counters.spikes_emitted,
        "resolution_ms": net.res.h(),
        "t_sim_ms": l.t_sim,
        "steps": l.steps,
        "min_delay_ms": net.res.ms(net.min_delay),
        "max_delay_ms": net.res.ms(net.max_delay),
        "slices": net.counters.slices,
        "stage_s": stage_json(&net.stage_times),
    });
    let (n_clopath, n_urbanczik) = net.n_archives();
    let (clopath, urbanczik) = net.rule_counters();
    if n_clopath > 0 {
        v["clopath"] = counters_json(&clopath);
    }
    if n_urbanczik > 0 {
        v["urbanczik"] = counters_json(&urbanczik);
    }
    if !l.sim.schemes.is_empty() {
        v["schemes"] = schemes_json(&l.sim.schemes, t_reached / 1000.0);
    }
    v
}

/// Per plastic projection: its scheme, whether `auto` chose it, what the cost model knew and
/// predicted (seconds of simulate time and Table 1's counts over `t_s` simulated seconds, in
/// every scheme; docs/SCHEMES.md). The measured counts are the rule's (`clopath`,
/// `urbanczik`), the measured time `simulate_s`.
pub fn schemes_json(choices: &[evplast_models::builder::SchemeChoice], t_s: f64) -> Value {
    use evplast_models::builder::cost::SCHEMES;
    Value::Array(
        choices
            .iter()
            .map(|c| {
                let per_scheme = |i: usize| {
                    let n = c.predicted_counts[i];
                    json!({
                        "seconds": c.predicted_s[i] * t_s,
                        "synapse_calls": n.m * t_s,
                        "weight_change_computations": n.c * t_s,
                        "history_manipulations": n.h * t_s,
                    })
                };
                json!({
                    "connect": c.tag + 1,
                    "synapse_model": c.synapse_model,
                    "synapses": c.synapses,
                    "in_degree": c.in_degree,
                    "rate_hz": c.rate_hz,
                    "rate_from": if c.rate_known { "generators" } else { "assumed" },
                    "scheme": c.scheme.as_str(),
                    "chosen_by": if c.chosen { "auto" } else { "setting" },
                    "predicted": SCHEMES.iter().enumerate()
                        .map(|(i, s)| (s.as_str().to_string(), per_scheme(i)))
                        .collect::<serde_json::Map<_, _>>(),
                })
            })
            .collect(),
    )
}

fn param_json(p: &ParamValue) -> Value {
    match p {
        ParamValue::Num(x) => json!(x),
        ParamValue::Bool(b) => json!(b),
        ParamValue::Str(s) => json!(s),
        ParamValue::Array(a) => Value::Array(a.iter().map(param_json).collect()),
        ParamValue::Table(t) => {
            Value::Object(t.iter().map(|(k, v)| (k.clone(), param_json(v))).collect())
        }
    }
}

/// A plastic synapse's parameters with every default filled in, so that NEST applies them all
/// through the synapse's `set_status` (which also takes the initial weight of
/// `urbanczik_synapse` from `weight` and runs the sign checks).
fn synapse_params_json(model: &str, given: &evplast_models::ParamMap) -> Value {
    let mut out: Map<String, Value> = given
        .iter()
        .map(|(k, v)| (k.clone(), param_json(v)))
        .collect();
    if let Ok(info) = evplast_models::registry::find(model) {
        let mut docs = Vec::new();
        (info.describe)(&mut docs);
        for d in docs {
            if d.name == "weight" || d.name == "delay" || out.contains_key(d.name) {
                continue;
            }
            if let Ok(x) = d.default.parse::<f64>() {
                if model != "static_synapse" {
                    out.insert(d.name.to_string(), json!(x));
                }
            }
        }
    }
    Value::Object(out)
}

/// The realised network for the NEST cross-check (tools/nest_check).
pub fn network_json(l: &Loaded) -> Value {
    let net = &l.sim.network;
    let mut nodes = Vec::new();
    for p in &l.populations {
        for (i, params) in p.params.iter().enumerate() {
            nodes.push(json!({
                "id": p.first.0 + i as u32,
                "model": p.model,
                "label": p.label,
                "params": Value::Object(params.iter().map(|(k, v)| (k.clone(), param_json(v))).collect()),
            }));
        }
    }
    // Poisson trains, matched to their connections in order.
    let mut trains: Vec<evplast_kernel::network::GeneratedTrain> = Vec::new();
    for p in net.populations() {
        p.generated_trains(&mut trains);
    }
    let mut connections = Vec::new();
    for c in l.sim.connections.iter().flatten() {
        let model = l.sim.projection_models[c.projection as usize];
        let tag = l.sim.projection_tags[c.projection as usize] as usize;
        let proj = &l.projections[tag];
        let src_model = l.sim.node_models[c.source.0 as usize];
        let tgt_model = l.sim.node_models[c.target.0 as usize];
        let device = tgt_model == "spike_recorder" || src_model == "multimeter";
        if device {
            connections.push(json!({"source": c.source.0, "target": c.target.0, "device": true}));
            continue;
        }
        let mut o = Map::new();
        o.insert("source".into(), json!(c.source.0));
        o.insert("target".into(), json!(c.target.0));
        o.insert("synapse_model".into(), json!(model));
        o.insert("weight".into(), json!(c.weight));
        o.insert("delay".into(), json!(net.res.ms(c.delay)));
        o.insert("receptor_type".into(), json!(c.receptor));
        o.insert("params".into(), synapse_params_json(model, &proj.params));
        if let Some(wr) = proj.weight_recorder {
            o.insert("weight_recorder".into(), json!(wr.0));
        }
        if src_model.ends_with("poisson_generator") {
            let pos = trains
                .iter()
                .position(|(s, t, _)| *s == c.source && *t == c.target);
            let times: Vec<f64> = match pos {
                Some(i) => {
                    let (_, _, ev) = trains.remove(i);
                    ev.iter()
                        .flat_map(|&(s, m)| std::iter::repeat_n(net.res.ms(s), m as usize))
                        .collect()
                }
                None => Vec::new(),
            };
            o.insert("spike_times".into(), json!(times));
        }
        connections.push(Value::Object(o));
    }
    json!({
        "kernel": {"resolution": l.kernel.resolution, "rng_seed": l.kernel.rng_seed, "t_sim": l.t_sim},
        "nodes": nodes,
        "connections": connections,
    })
}

/// Writes recorder `id`'s events so far to `dir/<label>.csv` (`<model>-<id>.csv` without a
/// label) in `evplast run`'s format: what `record_to = "ascii"` does in Python after each
/// `Simulate`. Written to a temporary file first, so the file is always whole. Returns the
/// path; `None` if the node is not a recorder writing to a file.
pub fn write_recorder_file(
    dir: &Path,
    k: &mut evplast_sim::Kernel,
    id: NodeId,
) -> io::Result<Option<PathBuf>> {
    Ok(write_recorder_files(dir, k, &[id])?.pop())
}

/// [`write_recorder_file`] for several recorders: where several of them share a label, each
/// writes `<label>-<id>.csv`, as a model file's run names them.
pub fn write_recorder_files(
    dir: &Path,
    k: &mut evplast_sim::Kernel,
    ids: &[NodeId],
) -> io::Result<Vec<PathBuf>> {
    let other = |e: evplast_sim::ApiError| io::Error::other(e.to_string());
    let mut ascii = Vec::new();
    for &id in ids {
        let status = k.get_status(id).map_err(other)?;
        let text = |key: &str| match status.get(key) {
            Some(ParamValue::Str(s)) => s.clone(),
            _ => String::new(),
        };
        if text("record_to") != "ascii" {
            continue;
        }
        let kind = match k.model_of(id).map(|m| m.name) {
            Some("spike_recorder") => Recorder::Spikes,
            Some("multimeter") => Recorder::Samples,
            Some("weight_recorder") => Recorder::Weights,
            _ => continue,
        };
        let steps = status.get("time_in_steps") == Some(&ParamValue::Bool(true));
        let label = match text("label") {
            l if l.is_empty() => format!("{}-{id}", text("model")),
            l => l,
        };
        if label.contains(['/', '\\'])
            || label.starts_with('.')
            || label.chars().any(char::is_control)
        {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("recorder {id}: label {label:?} cannot name a file (no / \\, no leading '.', no control characters)"),
            ));
        }
        ascii.push((id, kind, steps, label));
    }
    k.drain_samples();
    let mut out = Vec::new();
    for (id, kind, steps, label) in &ascii {
        let shared = ascii.iter().filter(|a| a.3 == *label).count() > 1;
        let stem = if shared {
            format!("{label}-{id}")
        } else {
            label.clone()
        };
        let events = k.events(*id).map_err(other)?;
        let path = dir.join(format!("{stem}.csv"));
        let tmp = partial(dir, &format!("{stem}.csv"));
        let mut w = BufWriter::new(fs::File::create(&tmp)?);
        write_events(&mut w, *kind, &[events], k.resolution(), *steps)?;
        w.flush()?;
        drop(w);
        fs::rename(&tmp, &path)?;
        out.push(path);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_names_stay_inside_the_directory() {
        for ok in ["spikes.csv", "stats.json", "a b.csv"] {
            assert!(is_plain_name(ok), "{ok}");
        }
        for bad in [
            "",
            "..",
            ".",
            "../x.csv",
            "/etc/passwd",
            "a/b.csv",
            "# comment",
            MANIFEST,
        ] {
            assert!(!is_plain_name(bad), "{bad:?}");
        }
    }

    #[test]
    fn partial_names() {
        assert!(is_partial(".spikes.csv.partial"));
        assert!(is_partial(".evplast-manifest.partial"));
        assert!(!is_partial("spikes.csv.partial"));
        assert!(!is_partial(".partial"));
        assert!(!is_partial("spikes.csv"));
    }

    #[test]
    fn removes_only_the_earlier_runs_files() {
        let dir =
            std::env::temp_dir().join(format!("evplast-remove-previous-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        let ours = [
            "sr.csv",
            "stats.json",
            ".sr.csv.partial",
            ".x.json.partial",
            MANIFEST,
        ];
        let theirs = ["notes.txt", "mine.csv", "partial", "run.partial"];
        for n in ours.iter().chain(&theirs) {
            fs::write(dir.join(n), "x").unwrap();
        }
        // A damaged manifest naming a file outside the directory removes nothing there.
        let outside = format!("evplast-remove-previous-{}-outside.csv", std::process::id());
        let outside_path = dir.parent().unwrap().join(&outside);
        fs::write(&outside_path, "x").unwrap();
        fs::write(
            dir.join(MANIFEST),
            format!("{MANIFEST_HEADER}sr.csv\nstats.json\n../{outside}\n"),
        )
        .unwrap();
        assert_eq!(remove_previous(&dir).unwrap(), 4);
        let mut left: Vec<String> = fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        left.sort();
        assert_eq!(left, ["mine.csv", "notes.txt", "partial", "run.partial"]);
        assert_eq!(remove_previous(&dir).unwrap(), 0, "nothing left to remove");
        assert_eq!(remove_previous(&dir.join("missing")).unwrap(), 0);
        assert!(
            outside_path.exists(),
            "a file outside the directory was removed"
        );
        let _ = fs::remove_file(&outside_path);
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn times_are_exact_decimals() {
        let r = Resolution::new(0.1).unwrap();
        assert_eq!(fmt_time(r, 290), "29.0");
        assert_eq!(fmt_time(r, 623), "62.3");
        assert_eq!(fmt_time(r, 0), "0.0");
        let r = Resolution::new(0.025).unwrap();
        assert_eq!(fmt_time(r, 3), "0.075");
    }
}
