//! Writes a run directory (model-file.md "What a run writes"). Files are written under
//! temporary names and renamed into place; `stats.json` comes last and marks a complete run,
//! so a failed run never leaves output that looks complete.

use std::fs;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use serde_json::{json, Map, Value};

use evplast_kernel::archive::RuleCounters;
use evplast_kernel::{NodeId, Resolution, Step};
use evplast_models::ParamValue;

use crate::load::Loaded;

/// Wall-clock timings of a run.
#[derive(Clone, Copy, Debug, Default)]
pub struct Timings {
    pub build_s: f64,
    pub simulate_s: f64,
}

/// A time in ms from a stamp, written exactly (the grid is whole tics of 1 µs).
pub fn fmt_time(res: Resolution, stamp: Step) -> String {
    let tics = (res.ms(1) * 1000.0).round() as i64 * stamp;
    let (sign, tics) = if tics < 0 { ("-", -tics) } else { ("", tics) };
    let frac = format!("{:03}", tics % 1000);
    let frac = frac.trim_end_matches('0');
    format!(
        "{sign}{}.{}",
        tics / 1000,
        if frac.is_empty() { "0" } else { frac }
    )
}

/// Peak resident set size of this process, from `/proc/self/status` (`VmHWM`).
pub fn peak_rss_bytes() -> Option<u64> {
    let s = fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

struct Staged {
    dir: PathBuf,
    done: Vec<(PathBuf, PathBuf)>,
}

impl Staged {
    fn create(&mut self, name: &str) -> io::Result<BufWriter<fs::File>> {
        let tmp = self.dir.join(format!(".{name}.partial"));
        self.done.push((tmp.clone(), self.dir.join(name)));
        Ok(BufWriter::new(fs::File::create(tmp)?))
    }

    fn commit(self) -> io::Result<()> {
        for (tmp, dst) in &self.done {
            fs::rename(tmp, dst)?;
        }
        Ok(())
    }
}

/// Removes the completion marker of an earlier run in `dir` (call before simulating).
pub fn prepare_dir(dir: &Path) -> io::Result<()> {
    fs::create_dir_all(dir)?;
    match fs::remove_file(dir.join("stats.json")) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

fn label_of(l: &Loaded, id: NodeId) -> &str {
    l.populations
        .iter()
        .find(|p| id.0 >= p.first.0 && id.0 < p.first.0 + p.n as u32)
        .map_or("", |p| p.label.as_str())
}

/// Writes every output of a finished run into `dir`.
pub fn write_run(dir: &Path, l: &mut Loaded, t: Timings, dump_network: bool) -> io::Result<()> {
    let net = &mut l.sim.network;
    net.drain_samples();
    let res = net.res;
    let mut st = Staged {
        dir: dir.to_path_buf(),
        done: Vec::new(),
    };

    // One file per recorder label; several recorders under one label share it.
    let mut by_label: Vec<(String, Vec<u32>)> = Vec::new();
    for (id, idx) in &l.sim.recorders.spike_recorders {
        push_label(&mut by_label, label_of(l, *id), *idx);
    }
    for (label, idxs) in &by_label {
        let mut rows: Vec<(Step, NodeId)> = idxs
            .iter()
            .flat_map(|&i| {
                l.sim.network.spike_recording.events[i as usize]
                    .iter()
                    .map(|e| (e.stamp, e.sender))
            })
            .collect();
        rows.sort();
        let mut w = st.create(&format!("{label}.csv"))?;
        writeln!(w, "senders,times")?;
        for (stamp, s) in rows {
            writeln!(w, "{s},{}", fmt_time(res, stamp))?;
        }
        w.flush()?;
    }

    let mut by_label: Vec<(String, Vec<u32>)> = Vec::new();
    for (id, idx) in &l.sim.recorders.multimeters {
        push_label(&mut by_label, label_of(l, *id), *idx);
    }
    for (label, idxs) in &by_label {
        let fields = l.sim.network.multimeters[idxs[0] as usize].fields.clone();
        let mut rows: Vec<(Step, NodeId, &[f64])> = Vec::new();
        for &i in idxs {
            let d = &l.sim.network.multimeters[i as usize];
            let nf = d.fields.len();
            for k in 0..d.stamps.len() {
                rows.push((d.stamps[k], d.senders[k], &d.values[k * nf..(k + 1) * nf]));
            }
        }
        rows.sort_by_key(|r| (r.0, r.1));
        let mut w = st.create(&format!("{label}.csv"))?;
        writeln!(
            w,
            "senders,times{}",
            fields.iter().map(|f| format!(",{f}")).collect::<String>()
        )?;
        for (stamp, s, vals) in rows {
            write!(w, "{s},{}", fmt_time(res, stamp))?;
            for v in vals {
                write!(w, ",{v}")?;
            }
            writeln!(w)?;
        }
        w.flush()?;
    }

    let mut by_label: Vec<(String, Vec<u32>)> = Vec::new();
    for (id, idx) in &l.sim.recorders.weight_recorders {
        push_label(&mut by_label, label_of(l, *id), *idx);
    }
    for (label, idxs) in &by_label {
        let mut rows: Vec<_> = idxs
            .iter()
            .flat_map(|&i| l.sim.network.weight_records[i as usize].iter().copied())
            .collect();
        rows.sort_by_key(|r| (r.stamp, r.sender, r.target));
        let mut w = st.create(&format!("{label}.csv"))?;
        writeln!(w, "senders,targets,times,weights")?;
        for r in rows {
            writeln!(
                w,
                "{},{},{},{}",
                r.sender,
                r.target,
                fmt_time(res, r.stamp),
                r.weight
            )?;
        }
        w.flush()?;
    }

    let mut conns = l.sim.network.plastic_connections();
    conns.sort_by_key(|(_, c)| (c.source, c.target));
    let mut w = st.create("connections.csv")?;
    writeln!(w, "source,target,synapse_model,weight,delay")?;
    for (model, c) in &conns {
        writeln!(
            w,
            "{},{},{model},{},{}",
            c.source, c.target, c.weight, c.delay_ms
        )?;
    }
    w.flush()?;

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

fn push_label(v: &mut Vec<(String, Vec<u32>)>, label: &str, idx: u32) {
    match v.iter_mut().find(|(l, _)| l == label) {
        Some((_, idxs)) => idxs.push(idx),
        None => v.push((label.to_string(), vec![idx])),
    }
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

/// The contents of `stats.json`.
pub fn stats_json(l: &Loaded, t: Timings) -> Value {
    let net = &l.sim.network;
    // As NEST's kernel status: `num_connections` counts every connection (recorder and
    // generator links included), `local_spike_counter` neuron spikes only (parrots included,
    // times their multiplicity; a spike_generator's spikes are not counted).
    let n_connections = l.sim.n_connections;
    let mut v = json!({
        "build_s": t.build_s,
        "simulate_s": t.simulate_s,
        "real_time_factor": if l.t_sim > 0.0 { t.simulate_s / (l.t_sim / 1000.0) } else { 0.0 },
        "peak_rss_bytes": peak_rss_bytes(),
        "n_nodes": net.n_nodes,
        "n_connections": n_connections,
        "scheme": l.scheme.as_str(),
        "spikes": net.counters.spikes_emitted,
        "resolution_ms": net.res.h(),
        "t_sim_ms": l.t_sim,
        "steps": l.steps,
        "min_delay_ms": net.res.ms(net.min_delay),
        "max_delay_ms": net.res.ms(net.max_delay),
        "slices": net.counters.slices,
    });
    if !net.archives.clopath.is_empty() {
        v["clopath"] = counters_json(&net.archives.clopath_counters);
    }
    if !net.archives.urbanczik.is_empty() {
        v["urbanczik"] = counters_json(&net.archives.urbanczik_counters);
    }
    v
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
    for p in &net.populations {
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

#[cfg(test)]
mod tests {
    use super::*;

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
