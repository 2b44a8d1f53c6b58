//! `evplast._evplast`: a thin binding over [`evplast_sim::Kernel`] for the Python package
//! `evplast` (`python/evplast`), which gives it PyNEST's surface.
//!
//! This module only converts: Python dicts, lists, NumPy arrays and `nest.random` objects to
//! the kernel's parameter values and back, recorded data and connection columns to NumPy
//! arrays built here (no Python object per element), and every refusal to one exception type,
//! [`Error`], whose arguments are NEST's class name and the message; the Python layer raises
//! `nest.NESTErrors.<name>` from it. `simulate` runs without the GIL and stops at a slice
//! boundary on Ctrl-C.

use std::ops::ControlFlow;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use numpy::{PyArray1, PyArrayMethods};
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};

use evplast_kernel::archive::SchemeSetting;
use evplast_kernel::NodeId;
use evplast_models::registry::ModelKind;
use evplast_models::{KernelConfig, ParamMap, ParamValue};
use evplast_sim::{ApiError, ConnSpec, Dist, Draw, NodeParamSpec, Options, Param, SynapseSpec};

pyo3::create_exception!(
    _evplast,
    Error,
    PyException,
    "A refusal of the kernel: args are (NEST error class name, message)."
);

/// A list of one dictionary per node or connection (`what`), `n` of them.
fn dict_list(params: &Bound<'_, PyAny>, n: usize, what: &str) -> PyResult<Vec<ParamMap>> {
    let items: Vec<Bound<'_, PyAny>> = params.try_iter()?.collect::<PyResult<_>>()?;
    if items.len() != n {
        return Err(err(
            "BadProperty",
            format!(
                "params: {} dictionaries for {n} {what}: give one dictionary, or one per {}",
                items.len(),
                what.trim_end_matches('s')
            ),
        ));
    }
    items
        .iter()
        .map(|x| {
            let d = x
                .cast::<PyDict>()
                .map_err(|_| err("BadProperty", "params: not a dictionary"))?;
            to_map(d, "params")
        })
        .collect()
}

/// How often `simulate` takes the GIL to look for signals (Ctrl-C), at most.
const SIGNAL_CHECK_EVERY: Duration = Duration::from_millis(20);

/// Keys whose values NEST reports as integers.
const INT_KEYS: &[&str] = &[
    "global_id",
    "n_events",
    "source",
    "target",
    "weight_recorder",
    "vp",
    "thread",
    "port",
    "rport",
    "receptor",
    "receptor_type",
    "archiver_length",
    "node_uses_wfr",
];

fn api_err(e: ApiError) -> PyErr {
    Error::new_err((e.kind.nest_name(), e.to_string()))
}

fn err(kind: &str, msg: impl Into<String>) -> PyErr {
    Error::new_err((kind.to_string(), msg.into()))
}

// ---------------------------------------------------------------------------------------
// Python → kernel

/// A `nest.random` object: its `_evplast_dist` attribute is `(name, {arg: value})`.
fn as_dist(o: &Bound<'_, PyAny>, at: &str) -> PyResult<Option<Dist>> {
    if o.is_instance_of::<PyDict>()
        || o.is_instance_of::<PyString>()
        || o.is_instance_of::<PyFloat>()
        || o.is_instance_of::<PyInt>()
    {
        return Ok(None);
    }
    let Ok(spec) = o.getattr("_evplast_dist") else {
        return Ok(None);
    };
    let (name, args): (String, Bound<'_, PyDict>) = spec.extract()?;
    let mut a: Vec<(String, f64)> = Vec::new();
    for (k, v) in args.iter() {
        a.push((k.extract()?, v.extract()?));
    }
    let a: Vec<(&str, f64)> = a.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    Dist::new(&name, &a, at).map(Some).map_err(api_err)
}

/// A plain value (no distributions).
fn to_value(o: &Bound<'_, PyAny>, at: &str) -> PyResult<ParamValue> {
    match to_param(o, at)? {
        Param::Value(v) => Ok(v),
        _ => Err(err(
            "BadProperty",
            format!("{at}: a random parameter is not allowed here"),
        )),
    }
}

/// A parameter: value, distribution, table or array of them.
fn to_param(o: &Bound<'_, PyAny>, at: &str) -> PyResult<Param> {
    if o.is_instance_of::<PyBool>() {
        return Ok(Param::Value(ParamValue::Bool(o.extract()?)));
    }
    if o.is_instance_of::<PyString>() {
        return Ok(Param::Value(ParamValue::Str(o.extract()?)));
    }
    if let Ok(d) = o.cast::<PyDict>() {
        return table_param(d, at);
    }
    if let Some(d) = as_dist(o, at)? {
        return Ok(Param::Dist(d));
    }
    // NumPy bool scalars.
    if o.get_type().name()? == "bool" {
        return Ok(Param::Value(ParamValue::Bool(o.is_truthy()?)));
    }
    if let Ok(a) = o.cast::<PyArray1<f64>>() {
        let v: Vec<f64> = a.readonly().as_slice()?.to_vec();
        return Ok(Param::Value(ParamValue::Array(
            v.into_iter().map(ParamValue::Num).collect(),
        )));
    }
    if o.hasattr("__array__")? && o.hasattr("tolist")? && !o.hasattr("_evplast_ids")? {
        // Another NumPy array or scalar: its Python form.
        let l = o.call_method0("tolist")?;
        if !l.is(o) {
            return to_param(&l, at);
        }
    }
    if o.is_instance_of::<PyList>() || o.is_instance_of::<PyTuple>() || o.hasattr("_evplast_ids")? {
        let l = if o.hasattr("_evplast_ids")? {
            o.getattr("_evplast_ids")?
        } else {
            o.clone()
        };
        let mut items = Vec::new();
        let mut plain = true;
        for (i, x) in l.try_iter()?.enumerate() {
            let p = to_param(&x?, &format!("{at}[{i}]"))?;
            plain &= matches!(p, Param::Value(_));
            items.push(p);
        }
        if plain {
            return Ok(Param::Value(ParamValue::Array(
                items
                    .into_iter()
                    .map(|p| match p {
                        Param::Value(v) => v,
                        _ => unreachable!("checked plain"),
                    })
                    .collect(),
            )));
        }
        return Ok(Param::Array(items));
    }
    if let Ok(x) = o.extract::<f64>() {
        return Ok(Param::Value(ParamValue::Num(x)));
    }
    Err(err(
        "BadProperty",
        format!(
            "{at}: a value of type '{}' is not a number, bool, string, list, array or dict",
            o.get_type().name()?
        ),
    ))
}

fn table_param(d: &Bound<'_, PyDict>, at: &str) -> PyResult<Param> {
    let t = to_table(d, at)?;
    if t.iter().all(|(_, p)| matches!(p, Param::Value(_))) {
        let mut m = ParamMap::new();
        for (k, p) in t {
            if let Param::Value(v) = p {
                m.insert(k, v);
            }
        }
        return Ok(Param::Value(ParamValue::Table(m)));
    }
    Ok(Param::Table(t))
}

fn key_of(k: &Bound<'_, PyAny>, at: &str) -> PyResult<String> {
    k.extract::<String>().map_err(|_| {
        err(
            "BadProperty",
            format!("{at}: dictionary keys must be strings"),
        )
    })
}

/// A dict as an ordered table of parameters.
fn to_table(d: &Bound<'_, PyDict>, at: &str) -> PyResult<Vec<(String, Param)>> {
    let mut t = Vec::with_capacity(d.len());
    for (k, v) in d.iter() {
        let k = key_of(&k, at)?;
        let here = if at.is_empty() {
            k.clone()
        } else {
            format!("{at}.{k}")
        };
        let p = to_param(&v, &here)?;
        t.push((k, p));
    }
    Ok(t)
}

/// A dict of plain values.
fn to_map(d: &Bound<'_, PyDict>, at: &str) -> PyResult<ParamMap> {
    let mut m = ParamMap::new();
    for (k, v) in d.iter() {
        let k = key_of(&k, at)?;
        let here = if at.is_empty() {
            k.clone()
        } else {
            format!("{at}.{k}")
        };
        m.insert(k, to_value(&v, &here)?);
    }
    Ok(m)
}

fn opt_map(d: Option<&Bound<'_, PyDict>>, at: &str) -> PyResult<ParamMap> {
    d.map_or_else(|| Ok(ParamMap::new()), |d| to_map(d, at))
}

/// A weight or delay of a syn_spec.
fn to_draw(o: &Bound<'_, PyAny>, at: &str) -> PyResult<Draw> {
    if o.is_none() {
        return Ok(Draw::Default);
    }
    if let Some(d) = as_dist(o, at)? {
        return Ok(Draw::Dist(d));
    }
    if let Ok(x) = o.extract::<f64>() {
        return Ok(Draw::Fixed(x));
    }
    // An array of any shape, flattened in C order (NEST's [post][pre] for all_to_all).
    let np = o.py().import("numpy")?;
    let flat = np
        .call_method1("ravel", (np.call_method1("asarray", (o, "float64"))?,))
        .map_err(|_| {
            err(
                "BadProperty",
                format!("{at}: not a number, array or random parameter"),
            )
        })?;
    let a = flat.cast::<PyArray1<f64>>()?;
    let ro = a.readonly();
    let v = match ro.as_slice() {
        Ok(s) => s.to_vec(),
        Err(_) => ro.as_array().to_vec(),
    };
    Ok(Draw::Array(v))
}

fn ids(v: &[u32]) -> Vec<NodeId> {
    v.iter().map(|&i| NodeId(i)).collect()
}

// ---------------------------------------------------------------------------------------
// kernel → Python

fn is_int(x: f64) -> bool {
    x.fract() == 0.0 && x.abs() < 9.0e15
}

fn from_value<'py>(py: Python<'py>, key: &str, v: &ParamValue) -> PyResult<Bound<'py, PyAny>> {
    Ok(match v {
        ParamValue::Num(x) if INT_KEYS.contains(&key) && is_int(*x) => {
            (*x as i64).into_pyobject(py)?.into_any()
        }
        ParamValue::Num(x) => PyFloat::new(py, *x).into_any(),
        ParamValue::Bool(b) => PyBool::new(py, *b).to_owned().into_any(),
        ParamValue::Str(s) => PyString::new(py, s).into_any(),
        ParamValue::Table(m) => from_map(py, m, key == "receptor_types")?.into_any(),
        ParamValue::Array(a) => {
            if a.iter().all(|x| matches!(x, ParamValue::Num(_))) && !a.is_empty() {
                let v: Vec<f64> = a
                    .iter()
                    .map(|x| match x {
                        ParamValue::Num(x) => *x,
                        _ => unreachable!("checked"),
                    })
                    .collect();
                PyArray1::from_vec(py, v).into_any()
            } else {
                let items = a
                    .iter()
                    .map(|x| from_value(py, key, x))
                    .collect::<PyResult<Vec<_>>>()?;
                PyList::new(py, items)?.into_any()
            }
        }
    })
}

fn from_map<'py>(py: Python<'py>, m: &ParamMap, ints: bool) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    for (k, v) in m {
        let val = match v {
            ParamValue::Num(x) if ints && is_int(*x) => (*x as i64).into_pyobject(py)?.into_any(),
            _ => from_value(py, k, v)?,
        };
        d.set_item(k, val)?;
    }
    Ok(d)
}

fn kind_name(k: ModelKind) -> &'static str {
    match k {
        ModelKind::Neuron => "neuron",
        ModelKind::Generator => "stimulator",
        ModelKind::Recorder => "recorder",
        ModelKind::Synapse => "synapse",
    }
}

// ---------------------------------------------------------------------------------------

/// One NEST kernel: settings fixed at construction (the Python layer makes a new one when
/// `resolution`, `rng_seed`, `local_num_threads` or `scheme` change before any node exists).
#[pyclass(module = "evplast._evplast")]
struct Kernel {
    /// A pyclass must be `Sync`; the kernel's populations and tables are only `Send`. The
    /// lock is never contended: PyO3's borrow flag already serialises calls.
    kernel: Mutex<evplast_sim::Kernel>,
}

impl Kernel {
    fn k(&self) -> MutexGuard<'_, evplast_sim::Kernel> {
        // A panic inside a call poisons the lock; the kernel's own checks never panic on
        // input, so go on with the state as it is.
        self.kernel.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[pymethods]
impl Kernel {
    #[new]
    #[pyo3(signature = (resolution=0.1, rng_seed=1, local_num_threads=1, scheme="auto", history_horizon=1000.0))]
    fn new(
        resolution: f64,
        rng_seed: u64,
        local_num_threads: i64,
        scheme: &str,
        history_horizon: f64,
    ) -> PyResult<Self> {
        let scheme = SchemeSetting::parse(scheme).ok_or_else(|| {
            err(
                "BadProperty",
                format!("scheme: '{scheme}' is not one of {}", SchemeSetting::NAMES),
            )
        })?;
        let local_num_threads =
            evplast_sim::kernel::check_threads(local_num_threads).map_err(api_err)?;
        let cfg = KernelConfig {
            resolution,
            rng_seed,
            local_num_threads,
            scheme,
            history_horizon,
            ..KernelConfig::default()
        };
        let k = evplast_sim::Kernel::new(cfg, Options::default()).map_err(api_err)?;
        Ok(Self {
            kernel: Mutex::new(k),
        })
    }

    /// Nodes created so far.
    fn n_nodes(&self) -> usize {
        self.k().n_nodes()
    }

    /// Whether the network was built (by `prepare` or `simulate`).
    fn is_built(&self) -> bool {
        self.k().simulation().is_some()
    }

    /// Every model name of a kind (`neuron`, `stimulator`, `recorder`, `synapse`; `node` for
    /// the first three).
    fn model_names(&self, kind: &str) -> Vec<String> {
        let kind = kind.to_string();
        self.k().model_names(|k| match kind.as_str() {
            "node" => k != ModelKind::Synapse,
            s => kind_name(k) == s,
        })
    }

    /// `(model name as created, element type)` of node `id`.
    fn node_model(&self, id: u32) -> PyResult<(String, &'static str)> {
        let c = self.k().create_of(NodeId(id)).ok_or_else(|| {
            err(
                "UnknownNode",
                format!(
                    "node {id} does not exist ({} nodes were created)",
                    self.k().n_nodes()
                ),
            )
        })?;
        let info = self.k().model_of(NodeId(id)).expect("exists");
        Ok((self.k().creates()[c].model.clone(), kind_name(info.kind)))
    }

    /// `Create`: params are None, one dict (random parameters drawn per node) or a list of
    /// one dict per node. Returns the first node id.
    #[pyo3(signature = (model, n, params=None))]
    fn create(&mut self, model: &str, n: u64, params: Option<&Bound<'_, PyAny>>) -> PyResult<u32> {
        let first = match params {
            None => self.k().create(model, n, NodeParamSpec::None),
            Some(p) if p.is_none() => self.k().create(model, n, NodeParamSpec::None),
            Some(p) => {
                if let Ok(d) = p.cast::<PyDict>() {
                    let t = to_table(d, "params")?;
                    self.k().create(model, n, NodeParamSpec::Same(&t))
                } else {
                    let mut all = Vec::new();
                    for (i, x) in p.try_iter()?.enumerate() {
                        let x = x?;
                        let d = x.cast::<PyDict>().map_err(|_| {
                            err("BadProperty", format!("params[{i}]: not a dictionary"))
                        })?;
                        all.push(to_table(d, &format!("params[{i}]"))?);
                    }
                    self.k().create(model, n, NodeParamSpec::PerNode(&all))
                }
            }
        };
        first.map(|f| f.0).map_err(api_err)
    }

    /// `Connect(pre, post, conn_spec, syn_spec)` with ascending node ids and the two specs
    /// as dicts (the Python layer has filled in the rule).
    fn connect(
        &mut self,
        pre: Vec<u32>,
        post: Vec<u32>,
        conn: &Bound<'_, PyDict>,
        syn: &Bound<'_, PyDict>,
    ) -> PyResult<()> {
        let mut cs = ConnSpec::default();
        for (k, v) in conn.iter() {
            let k = key_of(&k, "conn_spec")?;
            match k.as_str() {
                "rule" => cs.rule = v.extract()?,
                "allow_autapses" => cs.allow_autapses = v.is_truthy()?,
                "allow_multapses" => cs.allow_multapses = v.is_truthy()?,
                "indegree" | "outdegree" | "N" | "p" => {
                    if as_dist(&v, &format!("conn_spec.{k}"))?.is_some() {
                        return Err(err(
                            "BadProperty",
                            format!("conn_spec.{k}: a random parameter is not supported here"),
                        ));
                    }
                    let x: f64 = v.extract().map_err(|_| {
                        err("BadProperty", format!("conn_spec.{k}: not a number"))
                    })?;
                    cs.count = Some((k, x));
                }
                _ => {
                    return Err(err(
                        "UnaccessedDictionaryEntry",
                        format!("conn_spec: unknown key '{k}' (rule, indegree, outdegree, N, p, allow_autapses, allow_multapses)"),
                    ))
                }
            }
        }
        let mut ss = SynapseSpec::default();
        for (k, v) in syn.iter() {
            let k = key_of(&k, "syn_spec")?;
            let at = format!("syn_spec.{k}");
            match k.as_str() {
                "synapse_model" => ss.synapse_model = v.extract()?,
                "weight" => ss.weight = to_draw(&v, &at)?,
                "delay" => ss.delay = to_draw(&v, &at)?,
                _ => ss.params.push((k, to_param(&v, &at)?)),
            }
        }
        self.k()
            .connect(&ids(&pre), &ids(&post), &cs, &ss)
            .map_err(api_err)
    }

    #[pyo3(signature = (old, new, params=None))]
    fn copy_model(
        &mut self,
        old: &str,
        new: &str,
        params: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<()> {
        let p = opt_map(params, "params")?;
        self.k().copy_model(old, new, &p).map_err(api_err)
    }

    fn set_defaults(&mut self, model: &str, params: &Bound<'_, PyDict>) -> PyResult<()> {
        let p = to_map(params, "params")?;
        self.k().set_defaults(model, &p).map_err(api_err)
    }

    fn defaults<'py>(&self, py: Python<'py>, model: &str) -> PyResult<Bound<'py, PyDict>> {
        let m = self.k().defaults(model).map_err(api_err)?;
        from_map(py, &m, false)
    }

    /// Status dicts of nodes `ids`, one per node.
    fn get_status<'py>(
        &mut self,
        py: Python<'py>,
        ids: Vec<u32>,
    ) -> PyResult<Vec<Bound<'py, PyDict>>> {
        self.k().drain_samples();
        ids.iter()
            .map(|&i| {
                let m = self.k().get_status(NodeId(i)).map_err(api_err)?;
                let d = from_map(py, &m, false)?;
                if self.k().model_of(NodeId(i)).map(|m| m.kind) == Some(ModelKind::Recorder) {
                    d.set_item("events", self.events(py, i)?)?;
                }
                Ok(d)
            })
            .collect()
    }

    /// `SetStatus` of nodes `ids`: one dict for all (random parameters drawn per node) or a
    /// list of one dict per node.
    fn set_status(&mut self, ids: Vec<u32>, params: &Bound<'_, PyAny>) -> PyResult<()> {
        if let Ok(d) = params.cast::<PyDict>() {
            let t = to_table(d, "params")?;
            let ids: Vec<NodeId> = ids.into_iter().map(NodeId).collect();
            return self.k().set_status_drawn(&ids, &t).map_err(api_err);
        }
        for (m, &i) in dict_list(params, ids.len(), "nodes")?.iter().zip(&ids) {
            self.k().set_status(NodeId(i), m).map_err(api_err)?;
        }
        Ok(())
    }

    /// Builds the network (NEST's `Prepare`).
    fn prepare(&mut self) -> PyResult<()> {
        self.k().prepare().map_err(api_err)
    }

    /// Simulates `t` ms more, without the GIL. Ctrl-C stops at the next slice boundary
    /// (signals are looked at every 20 ms of wall time at most) and raises KeyboardInterrupt;
    /// the network stays consistent and a later call goes on from there.
    fn simulate(&mut self, py: Python<'_>, t: f64) -> PyResult<()> {
        let k = self.kernel.get_mut().unwrap_or_else(|e| e.into_inner());
        let (r, interrupted) = py.detach(move || {
            let mut last = Instant::now();
            let mut interrupted: Option<PyErr> = None;
            let mut progress = |_step: i64| {
                if last.elapsed() < SIGNAL_CHECK_EVERY {
                    return ControlFlow::Continue(());
                }
                last = Instant::now();
                match Python::attach(|py| py.check_signals()) {
                    Ok(()) => ControlFlow::Continue(()),
                    Err(e) => {
                        interrupted = Some(e);
                        ControlFlow::Break(())
                    }
                }
            };
            let r = k.simulate(t, &mut progress);
            (r, interrupted)
        });
        if let Some(e) = interrupted {
            return Err(e);
        }
        r.map_err(api_err)
    }

    fn biological_time(&self) -> f64 {
        self.k().biological_time()
    }

    /// Kernel counters for `GetKernelStatus`.
    fn counts<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        let k = self.k();
        d.set_item("network_size", k.n_nodes())?;
        d.set_item("num_connections", k.num_connections())?;
        if let Some(sim) = k.simulation() {
            let net = &sim.network;
            d.set_item("min_delay", net.res.ms(net.min_delay))?;
            d.set_item("max_delay", net.res.ms(net.max_delay))?;
        } else if let Some(s) = k.summary() {
            let res = k.resolution();
            if s.n_connections > 0 {
                d.set_item("min_delay", res.ms(s.min_delay))?;
                d.set_item("max_delay", res.ms(s.max_delay))?;
            }
        }
        Ok(d)
    }

    /// `GetConnections`: columns as NumPy arrays (source, target int64; weight, delay
    /// float64; handle uint64) and the synapse model per connection (a list of str).
    #[pyo3(signature = (source=None, target=None, synapse_model=None))]
    fn connections<'py>(
        &mut self,
        py: Python<'py>,
        source: Option<Vec<u32>>,
        target: Option<Vec<u32>>,
        synapse_model: Option<&str>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let s = source.map(|v| ids(&v));
        let t = target.map(|v| ids(&v));
        let c = self
            .k()
            .connections(s.as_deref(), t.as_deref(), synapse_model)
            .map_err(api_err)?;
        let d = PyDict::new(py);
        let i64s = |v: &[u32]| v.iter().map(|&x| i64::from(x)).collect::<Vec<i64>>();
        d.set_item("source", PyArray1::from_vec(py, i64s(&c.source)))?;
        d.set_item("target", PyArray1::from_vec(py, i64s(&c.target)))?;
        d.set_item("weight", PyArray1::from_vec(py, c.weight))?;
        d.set_item("delay", PyArray1::from_vec(py, c.delay))?;
        d.set_item("handle", PyArray1::from_vec(py, c.handle))?;
        d.set_item("synapse_model", PyList::new(py, c.synapse_model)?)?;
        Ok(d)
    }

    /// Status dicts of connections (handles from `connections`).
    fn connection_status<'py>(
        &self,
        py: Python<'py>,
        handles: Vec<u64>,
    ) -> PyResult<Vec<Bound<'py, PyDict>>> {
        handles
            .iter()
            .map(|&h| {
                let m = self.k().connection_status(h).map_err(api_err)?;
                from_map(py, &m, false)
            })
            .collect()
    }

    /// `SetStatus` of connections: one dict for all (random parameters drawn per
    /// connection) or a list of one dict per connection.
    fn set_connection_status(
        &mut self,
        handles: Vec<u64>,
        params: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        if let Ok(d) = params.cast::<PyDict>() {
            let t = to_table(d, "params")?;
            return self
                .k()
                .set_connection_status_drawn(&handles, &t)
                .map_err(api_err);
        }
        for (m, &h) in dict_list(params, handles.len(), "connections")?
            .iter()
            .zip(&handles)
        {
            self.k().set_connection_status(h, m).map_err(api_err)?;
        }
        Ok(())
    }

    /// NEST's `events` of recorder `id`: a dict of NumPy arrays (senders, targets int64;
    /// times, weights and multimeter columns float64; with `time_in_steps`, times int64
    /// steps and offsets float64 zeros, as NEST).
    fn events<'py>(&mut self, py: Python<'py>, id: u32) -> PyResult<Bound<'py, PyDict>> {
        let (e, name, steps) = {
            let mut k = self.k();
            k.drain_samples();
            let e = k.events(NodeId(id)).map_err(api_err)?;
            let steps = k
                .get_status(NodeId(id))
                .map(|s| s.get("time_in_steps") == Some(&ParamValue::Bool(true)))
                .unwrap_or(false);
            (e, k.model_of(NodeId(id)).map_or("", |m| m.name), steps)
        };
        let d = PyDict::new(py);
        d.set_item("senders", PyArray1::from_vec(py, e.senders))?;
        if steps {
            let n = e.stamps.len();
            d.set_item("times", PyArray1::from_vec(py, e.stamps))?;
            d.set_item("offsets", PyArray1::from_vec(py, vec![0.0f64; n]))?;
        } else {
            d.set_item("times", PyArray1::from_vec(py, e.times))?;
        }
        if name == "weight_recorder" {
            d.set_item("targets", PyArray1::from_vec(py, e.targets))?;
            d.set_item("weights", PyArray1::from_vec(py, e.weights))?;
        }
        for (k, col) in e.values {
            d.set_item(k, PyArray1::from_vec(py, col))?;
        }
        Ok(d)
    }

    /// Writes the events of the recorders among `ids` whose `record_to` is "ascii" to
    /// `dir/<label>.csv` (`<label>-<id>.csv` where several share a label: evplast run's
    /// files); returns the paths written.
    fn write_recorder_files(
        &mut self,
        ids: Vec<u32>,
        dir: std::path::PathBuf,
    ) -> PyResult<Vec<String>> {
        let mut k = self.k();
        let ids: Vec<NodeId> = ids.into_iter().map(NodeId).collect();
        match evplast_io::output::write_recorder_files(&dir, &mut k, &ids) {
            Ok(paths) => Ok(paths.iter().map(|p| p.display().to_string()).collect()),
            Err(e) => Err(err(
                "KernelException",
                format!("record_to ascii: {} ({e})", dir.display()),
            )),
        }
    }

    /// Number of events recorder `id` holds.
    fn n_events(&mut self, id: u32) -> PyResult<usize> {
        let mut k = self.k();
        k.drain_samples();
        Ok(k.events(NodeId(id)).map_err(api_err)?.times.len())
    }

    /// Forgets the events of recorder `id` (NEST: `n_events = 0`).
    fn clear_events(&mut self, id: u32) -> PyResult<()> {
        let mut k = self.k();
        k.drain_samples();
        k.clear_events(NodeId(id)).map_err(api_err)
    }
}

#[pymodule]
fn _evplast(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Kernel>()?;
    m.add("Error", m.py().get_type::<Error>())?;
    m.add("DISTRIBUTIONS", evplast_sim::dist::DISTRIBUTIONS.to_vec())?;
    Ok(())
}
