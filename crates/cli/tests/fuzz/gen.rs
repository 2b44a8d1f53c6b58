//! Model files to try: seeds (examples, NEST cases, corpus) mutated, networks built from a
//! grammar of the format, and wholly random documents; then, sometimes, raw text damage.
//! Values come from every TOML type, with extremes (huge, tiny, negative, NaN, inf, i64::MAX).

use toml::{Table, Value};

use crate::catalog::{Catalog, Kind, Model, Param};
use crate::rng::Rng;

/// One input: the file, the extra `run` arguments and where it came from.
pub struct Case {
    pub text: String,
    pub args: Vec<String>,
    pub origin: String,
}

/// A seed file, parsed.
pub struct Seed {
    pub name: String,
    pub doc: Table,
    pub bytes: usize,
}

const RULES: &[&str] = &[
    "all_to_all",
    "one_to_one",
    "fixed_indegree",
    "fixed_outdegree",
    "fixed_total_number",
    "pairwise_bernoulli",
];
const CONN_KEYS: &[&str] = &[
    "rule",
    "indegree",
    "outdegree",
    "N",
    "p",
    "allow_autapses",
    "allow_multapses",
];
const SYN_KEYS: &[&str] = &[
    "synapse_model",
    "weight",
    "delay",
    "receptor_type",
    "weight_recorder",
];
const KERNEL_KEYS: &[&str] = &[
    "resolution",
    "rng_seed",
    "local_num_threads",
    "scheme",
    "history_horizon",
];
const UNKNOWN_NAMES: &[&str] = &[
    "tau_m",
    "V_th",
    "foo",
    "",
    " ",
    "C_M",
    "weight ",
    "Tau_x",
    "ñ",
    "spike_time",
    "rates",
    "soma",
    "dendritic",
    "params",
    "model",
    "n",
    "label",
    "t",
    "I_e.s",
    "x.y",
];

/// Floats a careless or malicious file may hold.
fn weird_float(r: &mut Rng) -> f64 {
    *r.pick(&[
        0.0,
        -0.0,
        1e-9,
        -1e-9,
        1e-300,
        5e-324,
        f64::MIN_POSITIVE,
        1e-4,
        0.05,
        0.3,
        0.15,
        1e9,
        1e10,
        4294967296.0,
        2147483648.0,
        9.2e18,
        1e300,
        -1e300,
        f64::MAX,
        f64::MIN,
        f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
        -1.0,
        -1000.0,
        123456.789,
    ])
}

fn weird_int(r: &mut Rng) -> i64 {
    *r.pick(&[
        0,
        -1,
        1,
        2,
        1000,
        100_000,
        10_000_000,
        i32::MAX as i64,
        1 << 31,
        u32::MAX as i64,
        1 << 32,
        1 << 53,
        i64::MAX,
        i64::MIN,
        -(1 << 40),
    ])
}

fn weird_string(r: &mut Rng) -> String {
    match r.below(9) {
        0 => String::new(),
        1 => "x".repeat(r.range(100, 20_000) as usize),
        2 => "\u{0}".into(),
        3 => "a\nb\"c'\\d".into(),
        4 => "ünïcødé ∞ 🧠".into(),
        5 => "../../etc/passwd".into(),
        6 => ".hidden".into(),
        7 => "connections".into(),
        _ => r.pick(UNKNOWN_NAMES).to_string(),
    }
}

fn datetime(r: &mut Rng) -> Value {
    let s = r.pick(&[
        "1979-05-27T07:32:00Z",
        "1979-05-27",
        "07:32:00",
        "1979-05-27T00:32:00.999999-07:00",
    ]);
    Value::Datetime(s.parse().expect("a TOML datetime"))
}

/// Any value of any TOML type, nested at most `depth` deep.
pub fn any_value(r: &mut Rng, depth: u32) -> Value {
    let n = if depth == 0 { 6 } else { 9 };
    match r.below(n) {
        0 => Value::Integer(if r.chance(0.5) {
            r.range(-5, 100)
        } else {
            weird_int(r)
        }),
        1 => Value::Float(if r.chance(0.5) {
            r.unit() * 100.0
        } else {
            weird_float(r)
        }),
        2 => Value::Boolean(r.chance(0.5)),
        3 => Value::String(weird_string(r)),
        4 => datetime(r),
        5 => Value::Float(weird_float(r)),
        6 => {
            let len = *r.pick(&[0, 1, 2, 5, 1000]);
            Value::Array((0..len).map(|_| any_value(r, depth - 1)).collect())
        }
        7 => distribution(r),
        _ => {
            let mut t = Table::new();
            for _ in 0..r.below(4) {
                t.insert(r.pick(UNKNOWN_NAMES).to_string(), any_value(r, depth - 1));
            }
            Value::Table(t)
        }
    }
}

/// `{ normal = { mean, std } }` and friends, sometimes malformed.
fn distribution(r: &mut Rng) -> Value {
    let (name, keys): (&str, &[&str]) = *r.pick(&[
        ("normal", &["mean", "std"][..]),
        ("uniform", &["min", "max"][..]),
        ("lognormal", &["mean", "std"][..]),
        ("exponential", &["beta"][..]),
    ]);
    let mut body = Table::new();
    for k in keys {
        if r.chance(0.9) {
            let x = if r.chance(0.7) {
                r.unit() * 10.0 - 2.0
            } else {
                weird_float(r)
            };
            body.insert(k.to_string(), Value::Float(x));
        }
    }
    if r.chance(0.05) {
        body.insert("extra".into(), Value::Integer(1));
    }
    let mut t = Table::new();
    t.insert(name.into(), Value::Table(body));
    Value::Table(t)
}

/// A value like `v`: scaled, negated, nudged, or of another type.
pub fn near(r: &mut Rng, v: &Value) -> Value {
    match v {
        Value::Float(x) => Value::Float(match r.below(7) {
            0 => x * 10f64.powi(r.range(-12, 12) as i32),
            1 => -x,
            2 => x + r.unit() - 0.5,
            3 => x * (0.5 + r.unit() * 1.5),
            4 => x.round(),
            5 => x * 1e-6,
            _ => weird_float(r),
        }),
        Value::Integer(i) => match r.below(5) {
            0 => Value::Integer(i.wrapping_add(r.range(-2, 2))),
            1 => Value::Integer(i.wrapping_mul(1000)),
            2 => Value::Float(*i as f64 + 0.5),
            3 => Value::Integer(-i),
            _ => Value::Integer(weird_int(r)),
        },
        Value::Boolean(b) => {
            if r.chance(0.8) {
                Value::Boolean(!b)
            } else {
                Value::Integer(*b as i64)
            }
        }
        Value::String(s) => Value::String(match r.below(5) {
            0 => format!("{s}[{}:{}]", r.range(-3, 3), r.range(-3, 5)),
            1 => s.to_uppercase(),
            2 => format!("{s}_x"),
            3 => s.chars().rev().collect(),
            _ => weird_string(r),
        }),
        Value::Array(a) => {
            let mut a = a.clone();
            match r.below(7) {
                0 => a.clear(),
                1 if !a.is_empty() => {
                    let i = r.below(a.len());
                    a[i] = near(r, &a[i]);
                }
                2 if !a.is_empty() => {
                    let i = r.below(a.len());
                    a.insert(i, a[i].clone());
                }
                3 => a.reverse(),
                4 if !a.is_empty() => a.truncate(r.below(a.len())),
                5 => a.push(any_value(r, 1)),
                _ if !a.is_empty() => {
                    let i = r.below(a.len());
                    a.remove(i);
                }
                _ => a.push(Value::Float(weird_float(r))),
            }
            Value::Array(a)
        }
        Value::Table(_) | Value::Datetime(_) => any_value(r, 2),
    }
}

/// A time on the grid of `res`, in (0, max_ms].
fn grid_time(r: &mut Rng, res: f64, max_ms: f64) -> f64 {
    let k = r.range(1, ((max_ms / res) as i64).max(1));
    // k / (1/res) rounds to the decimal a user writes (0.3, not 0.30000000000000004).
    k as f64 / (1.0 / res).round()
}

fn sorted_times(r: &mut Rng, res: f64, t_max: f64, len: usize) -> Vec<Value> {
    let mut ts: Vec<f64> = (0..len).map(|_| grid_time(r, res, t_max)).collect();
    ts.sort_by(f64::total_cmp);
    ts.into_iter().map(Value::Float).collect()
}

/// A value for parameter `p` of a model in a network whose time grid is `res` and run `t_max`
/// ms: mostly near NEST's default, with probability `weird` anything.
fn param_value(r: &mut Rng, p: &Param, res: f64, t_max: f64, weird: f64) -> Value {
    if r.chance(weird) {
        return match r.below(4) {
            0 => any_value(r, 2),
            1 => distribution(r),
            _ => near(r, &p.default),
        };
    }
    let name = p.path.last().map_or("", String::as_str);
    match (&p.default, name) {
        (Value::Array(_), n) if n.ends_with("_times") => {
            let len = r.below(8);
            Value::Array(sorted_times(r, res, t_max, len))
        }
        (Value::Array(_), "record_from") => Value::Array(Vec::new()),
        (Value::Array(_), _) => {
            let len = r.below(8);
            Value::Array((0..len).map(|_| Value::Float(r.unit() * 3.0)).collect())
        }
        (Value::Float(d), "rate") if *d == 0.0 => {
            Value::Float(*r.pick(&[0.0, 5.0, 50.0, 500.0, 5000.0]))
        }
        (Value::Float(_), "origin" | "start" | "stop") => Value::Float(grid_time(r, res, t_max)),
        (Value::Float(d), _) if !d.is_finite() => Value::Float(r.unit() * 100.0),
        (Value::Float(d), _) if r.chance(0.2) && *d != 0.0 => Value::Table(Table::from_iter([(
            "normal".to_string(),
            Value::Table(Table::from_iter([
                ("mean".to_string(), Value::Float(*d)),
                ("std".to_string(), Value::Float(d.abs() * 0.05)),
            ])),
        )])),
        (Value::Float(d), _) => Value::Float(d * (0.5 + r.unit())),
        (v, _) => near(r, v),
    }
}

/// Puts `v` at `path` (`["soma", "C_m"]`) in `t`.
fn set_path(t: &mut Table, path: &[String], v: Value) {
    match path {
        [] => {}
        [k] => {
            t.insert(k.clone(), v);
        }
        [k, rest @ ..] => {
            let e = t
                .entry(k.clone())
                .or_insert_with(|| Value::Table(Table::new()));
            if let Value::Table(sub) = e {
                set_path(sub, rest, v);
            }
        }
    }
}

fn params_for(r: &mut Rng, m: &Model, k: usize, res: f64, t_max: f64, weird: f64) -> Table {
    let mut t = Table::new();
    if m.params.is_empty() {
        return t;
    }
    for _ in 0..k {
        let p = r.pick(&m.params).clone();
        let v = param_value(r, &p, res, t_max, weird);
        set_path(&mut t, &p.path, v);
    }
    t
}

fn table(kv: Vec<(&str, Value)>) -> Table {
    kv.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}

fn s(x: impl AsRef<str>) -> Value {
    Value::String(x.as_ref().to_string())
}

/// A plausible network: generators → parrots → neurons with plastic synapses, recurrence,
/// recorders; every value near a real one, a few (probability `weird` each) anything.
pub fn network(r: &mut Rng, cat: &Catalog, weird: f64) -> Table {
    let res = *r.pick(&[0.1, 0.1, 0.1, 0.1, 0.01, 0.05, 0.2, 0.5, 1.0]);
    let max = *r.pick(&[5.0, 50.0, 300.0, 1000.0]);
    let t_max = grid_time(r, res, max);
    let mut net = Net::default();
    let neurons = cat.of_kind(Kind::Neuron);
    let gens = cat.of_kind(Kind::Generator);
    let mut targets: Vec<(String, &Model)> = Vec::new();
    for i in 0..r.range(1, 2) {
        let m = *r.pick(&neurons);
        let k = r.below(5);
        let p = params_for(r, m, k, res, t_max, weird);
        let label = format!("nrn{i}");
        let n = r.range(1, 3);
        net.create(r, &label, m, n, p);
        targets.push((label, m));
    }
    let mut sources: Vec<(String, &Model)> = Vec::new();
    for i in 0..r.range(1, 3) {
        let m = *r.pick(&gens);
        let k = r.range(0, 3) as usize;
        let mut p = params_for(r, m, k, res, t_max, weird);
        consistent_device(r, m, &mut p, res, t_max);
        let label = format!("gen{i}");
        let n = r.range(1, 2);
        net.create(r, &label, m, n, p);
        sources.push((label, m));
    }
    let parrot = cat.get("parrot_neuron").filter(|_| r.chance(0.6));
    if let Some(pm) = parrot {
        let n = r.range(1, 4);
        net.create(r, "par", pm, n, Table::new());
    }
    let recorders: Vec<&Model> = ["spike_recorder", "multimeter", "weight_recorder"]
        .into_iter()
        .filter_map(|n| cat.get(n))
        .filter(|_| r.chance(0.6))
        .collect();
    let has = |name: &str| recorders.iter().any(|m| m.name == name);
    let sampled = targets[0].1;
    for m in &recorders {
        let mut p = Table::new();
        if m.name == "multimeter" {
            let rec = sampled.recordables.as_slice();
            let from = (0..r.below(rec.len() + 1))
                .map(|_| s(r.pick(rec)))
                .collect();
            p.insert("record_from".into(), Value::Array(from));
            p.insert("interval".into(), Value::Float(grid_time(r, res, 2.0)));
        }
        net.create(r, &m.name, m, 1, p);
    }

    let delay = |r: &mut Rng| {
        let max = *r.pick(&[res, 1.0, 5.0]);
        Value::Float(grid_time(r, res, max))
    };
    let weight = |r: &mut Rng| Value::Float(10f64.powf(r.unit() * 4.0 - 1.0));
    // The plastic synapse a neuron model takes, if any.
    let plastic_for = |post: &Model| -> Option<&Model> {
        if post.params.iter().any(|p| p.path[0] == "soma") {
            cat.get("urbanczik_synapse")
        } else if post.name.ends_with("_clopath") {
            cat.get("clopath_synapse")
        } else {
            None
        }
    };
    let is_current = |m: &Model| m.name.contains("current") || m.name.starts_with("dc_");
    for (label, m) in &sources {
        let current = is_current(m);
        let post = if current {
            targets
                .iter()
                .find(|(_, t)| !t.current_receptors.is_empty())
        } else if parrot.is_some() && r.chance(0.6) {
            None
        } else {
            Some(r.pick(&targets))
        };
        let (post, pm) = match post {
            Some((l, t)) => (l.as_str(), *t),
            None if current => continue,
            None => ("par", parrot.unwrap()),
        };
        let mut syn = table(vec![("weight", weight(r)), ("delay", delay(r))]);
        if let Some(rt) = receptor(r, pm, current) {
            syn.insert("receptor_type".into(), rt);
        }
        let conn = net.conn_spec(r, label, post);
        net.connect(label, post, conn, syn);
    }
    let spiking = sources.iter().find(|(_, m)| !is_current(m));
    for (label, m) in &targets {
        let pre = match (parrot, spiking) {
            (Some(_), _) => "par",
            (None, Some((l, _))) => l.as_str(),
            (None, None) => continue,
        };
        let mut syn = table(vec![("weight", weight(r)), ("delay", delay(r))]);
        if let Some(sm) = plastic_for(m).filter(|_| parrot.is_some() && r.chance(0.7)) {
            let k = r.below(4);
            syn.extend(params_for(r, sm, k, res, t_max, weird));
            syn.insert("synapse_model".into(), s(&sm.name));
            if has("weight_recorder") && r.chance(0.7) {
                syn.insert("weight_recorder".into(), s("weight_recorder"));
            }
        }
        if let Some(rt) = receptor(r, m, false) {
            syn.insert("receptor_type".into(), rt);
        }
        let conn = net.conn_spec(r, pre, label);
        net.connect(pre, label, conn, syn);
        if r.chance(0.3) {
            let (post, pm) = r.pick(&targets);
            let mut syn = table(vec![("weight", weight(r)), ("delay", delay(r))]);
            if let Some(sm) = plastic_for(pm).filter(|_| r.chance(0.7)) {
                syn.insert("synapse_model".into(), s(&sm.name));
            }
            if let Some(rt) = receptor(r, pm, false) {
                syn.insert("receptor_type".into(), rt);
            }
            let conn = net.conn_spec(r, label, post);
            net.connect(label, post, conn, syn);
        }
        if has("spike_recorder") {
            net.connect(label, "spike_recorder", Table::new(), Table::new());
        }
        if has("multimeter") && m.name == sampled.name {
            net.connect("multimeter", label, Table::new(), Table::new());
        }
    }
    let mut doc = table(vec![
        ("create", Value::Array(net.creates)),
        ("connect", Value::Array(net.connects)),
        (
            "simulate",
            Value::Table(table(vec![("t", Value::Float(t_max))])),
        ),
    ]);
    let mut kernel = table(vec![("resolution", Value::Float(res))]);
    if r.chance(0.5) {
        kernel.insert("rng_seed".into(), Value::Integer(r.range(0, 1 << 20)));
    }
    if r.chance(0.4) {
        kernel.insert("scheme".into(), s(r.pick(&crate::exec::SCHEMES)));
    }
    if r.chance(0.2) {
        let h = *r.pick(&[1.0, 5.0, 20.0, 100.0, 1000.0]);
        kernel.insert("history_horizon".into(), Value::Float(h));
    }
    if res != 0.1 || r.chance(0.8) {
        doc.insert("kernel".into(), Value::Table(kernel));
    }
    doc
}

/// The blocks of a network under construction, and the size of each population.
#[derive(Default)]
struct Net {
    creates: Vec<Value>,
    connects: Vec<Value>,
    sizes: Vec<(String, i64)>,
}

impl Net {
    fn create(&mut self, r: &mut Rng, label: &str, m: &Model, n: i64, params: Table) {
        let mut c = table(vec![("label", s(label)), ("model", s(&m.name))]);
        if n != 1 || r.chance(0.3) {
            c.insert("n".into(), Value::Integer(n));
        }
        if !params.is_empty() {
            c.insert("params".into(), Value::Table(params));
        }
        self.creates.push(Value::Table(c));
        self.sizes.push((label.to_string(), n));
    }

    fn connect(&mut self, pre: &str, post: &str, conn: Table, syn: Table) {
        let mut c = table(vec![("pre", s(pre)), ("post", s(post))]);
        if !conn.is_empty() {
            c.insert("conn_spec".into(), Value::Table(conn));
        }
        if !syn.is_empty() {
            c.insert("syn_spec".into(), Value::Table(syn));
        }
        self.connects.push(Value::Table(c));
    }

    fn size(&self, label: &str) -> i64 {
        self.sizes
            .iter()
            .find(|(l, _)| l == label)
            .map_or(1, |(_, n)| *n)
    }

    /// A rule that fits the two populations (one_to_one only for equal sizes).
    fn conn_spec(&self, r: &mut Rng, pre: &str, post: &str) -> Table {
        if r.chance(0.5) {
            return Table::new();
        }
        let mut rule = *r.pick(RULES);
        if rule == "one_to_one" && self.size(pre) != self.size(post) {
            rule = "all_to_all";
        }
        let mut t = table(vec![("rule", s(rule))]);
        let count = match rule {
            "fixed_indegree" => Some(("indegree", Value::Integer(r.range(1, 3)))),
            "fixed_outdegree" => Some(("outdegree", Value::Integer(r.range(1, 3)))),
            "fixed_total_number" => Some(("N", Value::Integer(r.range(1, 6)))),
            "pairwise_bernoulli" => Some(("p", Value::Float(r.unit()))),
            _ => None,
        };
        if let Some((k, v)) = count {
            t.insert(k.into(), v);
        }
        for k in ["allow_autapses", "allow_multapses"] {
            if r.chance(0.2) {
                t.insert(k.into(), Value::Boolean(r.chance(0.5)));
            }
        }
        t
    }
}

/// A receptor of `m` for spikes or currents; `None` for a point neuron's 0 (the default).
fn receptor(r: &mut Rng, m: &Model, current: bool) -> Option<Value> {
    let list = if current {
        &m.current_receptors
    } else {
        &m.spike_receptors
    };
    if list.is_empty() {
        return None;
    }
    let x = r.pick(list.as_slice());
    match x.parse::<i64>() {
        Ok(0) => None,
        Ok(i) => Some(Value::Integer(i)),
        Err(_) => Some(s(x)),
    }
}

/// Makes a generator's parameters agree with each other as a user's would: start before
/// stop, strictly increasing change times, one value per time, rates >= 0, whole
/// multiplicities.
fn consistent_device(r: &mut Rng, m: &Model, p: &mut Table, res: f64, t_max: f64) {
    let has = |name: &str| m.params.iter().any(|q| q.path == [name]);
    if has("start") && has("stop") && (p.contains_key("start") || p.contains_key("stop")) {
        let a = grid_time(r, res, t_max / 2.0);
        let b = a + grid_time(r, res, t_max);
        p.insert("start".into(), Value::Float(a));
        p.insert("stop".into(), Value::Float((b / res).round() * res));
    }
    let times = |r: &mut Rng, strict: bool| {
        let len = r.below(10);
        let mut ts = sorted_times(r, res, t_max, len);
        if strict {
            ts.dedup_by(|a, b| a.as_float() == b.as_float());
        }
        ts
    };
    if has("spike_times") {
        let ts = times(r, false);
        let n = ts.len();
        p.insert("spike_times".into(), Value::Array(ts));
        p.remove("spike_weights");
        p.remove("spike_multiplicities");
        if r.chance(0.3) {
            let w = (0..n).map(|_| Value::Float(r.unit() * 4.0 - 1.0)).collect();
            p.insert("spike_weights".into(), Value::Array(w));
        }
        if r.chance(0.3) {
            let k = (0..n).map(|_| Value::Integer(r.range(1, 3))).collect();
            p.insert("spike_multiplicities".into(), Value::Array(k));
        }
    }
    for (t, v, lo) in [
        ("rate_times", "rate_values", 0.0),
        ("amplitude_times", "amplitude_values", -500.0),
    ] {
        if has(t) {
            let ts = times(r, true);
            let vs = (0..ts.len())
                .map(|_| Value::Float(lo + r.unit() * 1000.0))
                .collect();
            p.insert(t.into(), Value::Array(ts));
            p.insert(v.into(), Value::Array(vs));
        }
    }
}

/// A document from the format's grammar with no regard for sense: any models, labels, keys
/// (real and unknown) and values.
pub fn chaos(r: &mut Rng, cat: &Catalog) -> Table {
    let names = cat.all_param_names();
    let mut labels: Vec<String> = Vec::new();
    let mut creates = Vec::new();
    for i in 0..r.below(6) {
        let model = if r.chance(0.9) {
            r.pick(&cat.models).name.clone()
        } else {
            weird_string(r)
        };
        let label = if r.chance(0.9) {
            format!("p{i}")
        } else {
            weird_string(r)
        };
        labels.push(label.clone());
        let mut c = table(vec![("label", s(&label)), ("model", s(&model))]);
        if r.chance(0.5) {
            let n = if r.chance(0.8) {
                r.range(0, 5)
            } else {
                weird_int(r)
            };
            c.insert("n".into(), Value::Integer(n));
        }
        if r.chance(0.7) {
            let mut p = match cat.get(&model) {
                Some(m) => {
                    let k = r.below(5);
                    params_for(r, m, k, 0.1, 100.0, 0.3)
                }
                None => Table::new(),
            };
            for _ in 0..r.below(3) {
                p.insert(r.pick(&names).clone(), any_value(r, 2));
            }
            c.insert("params".into(), Value::Table(p));
        }
        creates.push(Value::Table(c));
    }
    let mut connects = Vec::new();
    let label = |r: &mut Rng, labels: &[String]| -> String {
        match (labels.is_empty(), r.below(10)) {
            (false, 0..=6) => r.pick(labels).clone(),
            (false, 7 | 8) => format!("{}[{}:{}]", r.pick(labels), r.range(-3, 3), r.range(-3, 6)),
            _ => weird_string(r),
        }
    };
    for _ in 0..r.below(6) {
        let mut c = table(vec![
            ("pre", s(label(r, &labels))),
            ("post", s(label(r, &labels))),
        ]);
        for (key, keys) in [("conn_spec", CONN_KEYS), ("syn_spec", SYN_KEYS)] {
            if r.chance(0.6) {
                let mut t = Table::new();
                for _ in 0..r.below(4) {
                    let k = *r.pick(keys);
                    let v = match k {
                        "rule" => s(*r.pick(RULES)),
                        "synapse_model" => s(&r.pick(&cat.models).name),
                        "weight_recorder" => s(label(r, &labels)),
                        _ if r.chance(0.5) => Value::Float(r.unit() * 5.0),
                        _ => any_value(r, 1),
                    };
                    t.insert(k.into(), v);
                }
                if r.chance(0.3) {
                    t.insert(r.pick(&names).clone(), any_value(r, 1));
                }
                c.insert(key.into(), Value::Table(t));
            }
        }
        connects.push(Value::Table(c));
    }
    let mut doc = Table::new();
    if r.chance(0.6) {
        let mut k = Table::new();
        for _ in 0..r.below(4) {
            let key = *r.pick(KERNEL_KEYS);
            let v = match key {
                "resolution" if r.chance(0.5) => Value::Float(*r.pick(&[0.1, 0.01, 1.0, 0.25])),
                "scheme" if r.chance(0.7) => s(*r.pick(&crate::exec::SCHEMES)),
                _ => any_value(r, 1),
            };
            k.insert(key.into(), v);
        }
        doc.insert("kernel".into(), Value::Table(k));
    }
    if !creates.is_empty() {
        doc.insert("create".into(), Value::Array(creates));
    }
    if !connects.is_empty() {
        doc.insert("connect".into(), Value::Array(connects));
    }
    if r.chance(0.95) {
        let t = if r.chance(0.8) {
            Value::Float(grid_time(r, 0.1, 200.0))
        } else {
            any_value(r, 1)
        };
        doc.insert("simulate".into(), Value::Table(table(vec![("t", t)])));
    }
    doc
}

/// A step into a document: a table key or an array index.
#[derive(Clone, Debug)]
enum Seg {
    Key(String),
    Idx(usize),
}

fn paths(v: &Value, here: &mut Vec<Seg>, out: &mut Vec<Vec<Seg>>) {
    match v {
        Value::Table(t) => {
            for (k, x) in t {
                here.push(Seg::Key(k.clone()));
                out.push(here.clone());
                paths(x, here, out);
                here.pop();
            }
        }
        // Long arrays (spike trains of the big examples) count once, not per element.
        Value::Array(a) => {
            let picks: Vec<usize> = if a.len() > 8 {
                vec![0, a.len() / 2, a.len() - 1]
            } else {
                (0..a.len()).collect()
            };
            for i in picks {
                here.push(Seg::Idx(i));
                out.push(here.clone());
                paths(&a[i], here, out);
                here.pop();
            }
        }
        _ => {}
    }
}

fn at_mut<'a>(v: &'a mut Value, path: &[Seg]) -> Option<&'a mut Value> {
    let mut cur = v;
    for seg in path {
        cur = match (seg, cur) {
            (Seg::Key(k), Value::Table(t)) => t.get_mut(k)?,
            (Seg::Idx(i), Value::Array(a)) => a.get_mut(*i)?,
            _ => return None,
        };
    }
    Some(cur)
}

/// Every table of the document, by path.
fn tables(doc: &Value) -> Vec<Vec<Seg>> {
    let mut all = vec![Vec::new()];
    paths(doc, &mut Vec::new(), &mut all);
    all.into_iter()
        .filter(|p| {
            let mut d = doc.clone();
            matches!(at_mut(&mut d, p), Some(Value::Table(_)))
        })
        .collect()
}

/// One structural change to `doc`.
pub fn mutate(r: &mut Rng, cat: &Catalog, doc: &mut Table) {
    let mut root = Value::Table(std::mem::take(doc));
    let mut all = Vec::new();
    paths(&root, &mut Vec::new(), &mut all);
    match r.below(10) {
        // Change a value: nearby, or anything.
        0..=3 if !all.is_empty() => {
            let p = r.pick(&all).clone();
            if let Some(v) = at_mut(&mut root, &p) {
                *v = if r.chance(0.7) {
                    near(r, v)
                } else {
                    any_value(r, 2)
                };
            }
        }
        // Drop an entry.
        4 if !all.is_empty() => {
            let p = r.pick(&all).clone();
            let (last, parent) = p.split_last().unwrap();
            match (at_mut(&mut root, parent), last) {
                (Some(Value::Table(t)), Seg::Key(k)) => {
                    t.remove(k);
                }
                (Some(Value::Array(a)), Seg::Idx(i)) => {
                    a.remove(*i);
                }
                _ => {}
            }
        }
        // Add a key, real (of any model, or a spec) or unknown, to some table.
        5 | 6 => {
            let ts = tables(&root);
            let p = r.pick(&ts).clone();
            let names = cat.all_param_names();
            let key = match r.below(4) {
                0 => r.pick(&names).clone(),
                1 => r.pick(CONN_KEYS).to_string(),
                2 => r.pick(SYN_KEYS).to_string(),
                _ => r.pick(UNKNOWN_NAMES).to_string(),
            };
            let v = if r.chance(0.5) {
                Value::Float(weird_float(r))
            } else {
                any_value(r, 2)
            };
            if let Some(Value::Table(t)) = at_mut(&mut root, &p) {
                t.insert(key, v);
            }
        }
        // Copy a [[create]] or [[connect]] block (a duplicate label, a doubled projection).
        7 => {
            let key = *r.pick(&["create", "connect"]);
            if let Some(Value::Array(a)) = at_mut(&mut root, &[Seg::Key(key.into())]) {
                if !a.is_empty() {
                    let i = r.below(a.len());
                    a.push(a[i].clone());
                }
            }
        }
        // Another model for a population.
        8 => {
            if let Some(Value::Array(a)) = at_mut(&mut root, &[Seg::Key("create".into())]) {
                if !a.is_empty() {
                    let i = r.below(a.len());
                    if let Value::Table(t) = &mut a[i] {
                        t.insert("model".into(), s(&r.pick(&cat.models).name));
                    }
                }
            }
        }
        // Extreme run length, resolution or archive horizon.
        _ => {
            let (sect, key) = *r.pick(&[
                ("simulate", "t"),
                ("kernel", "resolution"),
                ("kernel", "history_horizon"),
                ("kernel", "rng_seed"),
            ]);
            if let Value::Table(t) = &mut root {
                let e = t.entry(sect).or_insert_with(|| Value::Table(Table::new()));
                if let Value::Table(st) = e {
                    let v = if key == "rng_seed" {
                        Value::Integer(weird_int(r))
                    } else {
                        Value::Float(weird_float(r))
                    };
                    st.insert(key.into(), v);
                }
            }
        }
    }
    if let Value::Table(t) = root {
        *doc = t;
    }
}

/// Literals the TOML writer never produces.
const RAW: &[&str] = &[
    "99999999999999999999",
    "-9223372036854775808",
    "9223372036854775807",
    "0x7fffffffffffffff",
    "0o777",
    "0b101",
    "1e400",
    "-1e400",
    "nan",
    "-nan",
    "+inf",
    "-inf",
    "-0.0",
    "5e-324",
    "1_000",
    "1979-05-27T07:32:00Z",
    "07:32:00",
    "\"\"",
    "''",
    "\"\\u0000\"",
    "'''\nmulti\nline'''",
    "[]",
    "[[]]",
    "{}",
    "[1, \"a\", true]",
    "[1e308, -1e308, nan]",
    "{ normal = { mean = 1e308, std = 1e308 } }",
    "{ uniform = { min = 1.0, max = -1.0 } }",
    "{ lognormal = { mean = 800.0, std = 1.0 } }",
    "{ exponential = { beta = -1.0 } }",
    "{ normal = { mean = -70.0, std = 1e300 } }",
    "\"x[0:0]\"",
    "\"p0[::-1]\"",
    "\"p0[9223372036854775807]\"",
    "\"p0[-9223372036854775808:]\"",
    "true",
];

/// Damage to the text itself: a raw literal, a lost or doubled line, a cut.
pub fn mutate_text(r: &mut Rng, text: &str) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    if lines.is_empty() {
        return text.to_string();
    }
    let i = r.below(lines.len());
    match r.below(6) {
        0 | 1 => {
            let assigns: Vec<usize> = (0..lines.len())
                .filter(|&j| lines[j].contains(" = "))
                .collect();
            if let Some(&j) = (!assigns.is_empty()).then(|| r.pick(&assigns)) {
                let key = lines[j].split(" = ").next().unwrap().to_string();
                lines[j] = format!("{key} = {}", r.pick(RAW));
            }
        }
        2 => {
            lines.remove(i);
        }
        3 => {
            let l = lines[i].clone();
            lines.insert(i, l);
        }
        4 => {
            let cut: String = lines[i].chars().take(r.below(lines[i].len() + 1)).collect();
            lines[i] = cut;
            lines.truncate(i + 1);
        }
        _ => {
            let j = r.below(lines.len());
            lines.swap(i, j);
        }
    }
    lines.join("\n") + "\n"
}

/// The `case`th input of a run.
pub fn case(r: &mut Rng, cat: &Catalog, seeds: &[Seed]) -> Case {
    let (mut doc, origin) = match r.below(10) {
        0..=3 if !seeds.is_empty() => {
            // Big seeds (the 1 MB Urbanczik example) take a second a run: pick them rarely.
            let small: Vec<&Seed> = seeds.iter().filter(|s| s.bytes < 20_000).collect();
            let seed = if small.is_empty() || r.chance(0.05) {
                r.pick(seeds)
            } else {
                *r.pick(&small)
            };
            (seed.doc.clone(), format!("mutated {}", seed.name))
        }
        0..=7 => {
            let weird = *r.pick(&[0.0, 0.02, 0.1]);
            (network(r, cat, weird), format!("network (weird {weird})"))
        }
        _ => (chaos(r, cat), "grammar".to_string()),
    };
    let n = *r.pick(&[0, 1, 1, 1, 2, 3, 5]);
    for _ in 0..n {
        mutate(r, cat, &mut doc);
    }
    let mut text = toml::to_string(&doc).unwrap_or_else(|e| format!("# unserialisable: {e}\n"));
    let mut origin = format!("{origin}, {n} mutations");
    if r.chance(0.15) {
        text = mutate_text(r, &text);
        origin.push_str(", text damage");
    }
    let args = if r.chance(0.3) {
        vec![
            "--scheme".to_string(),
            r.pick(&crate::exec::SCHEMES).to_string(),
        ]
    } else {
        Vec::new()
    };
    Case { text, args, origin }
}
