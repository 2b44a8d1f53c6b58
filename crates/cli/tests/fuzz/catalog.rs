//! The models the binary knows, read from `evplast models` and `evplast models NAME`, so that
//! the grammar follows the registry: a new model or parameter is fuzzed without editing here.

use std::process::Command;

use toml::Value;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Neuron,
    Synapse,
    Generator,
    Recorder,
}

/// One parameter: its path (`["soma", "C_m"]` for a compartment's) and NEST default.
#[derive(Clone, Debug)]
pub struct Param {
    pub path: Vec<String>,
    pub default: Value,
}

#[derive(Clone, Debug)]
pub struct Model {
    pub name: String,
    pub kind: Kind,
    pub params: Vec<Param>,
    pub recordables: Vec<String>,
    /// Receptor names and numbers for spikes, then for currents (`"0"` for a point neuron).
    pub spike_receptors: Vec<String>,
    pub current_receptors: Vec<String>,
}

pub struct Catalog {
    pub models: Vec<Model>,
}

impl Catalog {
    pub fn of_kind(&self, kind: Kind) -> Vec<&Model> {
        self.models.iter().filter(|m| m.kind == kind).collect()
    }

    pub fn get(&self, name: &str) -> Option<&Model> {
        self.models.iter().find(|m| m.name == name)
    }

    /// Every parameter name of every model (for "a real name in the wrong place").
    pub fn all_param_names(&self) -> Vec<String> {
        let mut v: Vec<String> = self
            .models
            .iter()
            .flat_map(|m| m.params.iter().map(|p| p.path.join(".")))
            .collect();
        v.sort();
        v.dedup();
        v
    }
}

fn stdout_of(bin: &str, args: &[&str]) -> String {
    let o = Command::new(bin)
        .args(args)
        .output()
        .expect("spawn evplast models");
    assert!(o.status.success(), "evplast {args:?} failed: {o:?}");
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// `"{soma,dendritic}.tau_syn_ex"` → both paths; `"soma.C_m"` → `["soma", "C_m"]`.
fn expand(name: &str) -> Vec<Vec<String>> {
    if let Some(rest) = name.strip_prefix('{') {
        if let Some((alts, tail)) = rest.split_once("}.") {
            return alts
                .split(',')
                .map(|a| vec![a.to_string(), tail.to_string()])
                .collect();
        }
    }
    vec![name.split('.').map(str::to_string).collect()]
}

fn default_value(tok: &str) -> Value {
    match tok {
        "[]" => Value::Array(Vec::new()),
        "true" => Value::Boolean(true),
        "false" => Value::Boolean(false),
        _ => tok
            .parse::<f64>()
            .map(Value::Float)
            .unwrap_or_else(|_| Value::String(tok.to_string())),
    }
}

/// `"soma_exc (1), soma_inh (2)"` → `["soma_exc", "1", "soma_inh", "2"]`; `"0"` → `["0"]`.
fn receptors(list: &str) -> Vec<String> {
    list.split(',')
        .flat_map(|r| {
            r.split(|c: char| c == '(' || c == ')' || c.is_whitespace())
                .filter(|t| !t.is_empty())
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .collect()
}

fn describe(bin: &str, name: &str, kind: Kind) -> Model {
    let text = stdout_of(bin, &["models", name]);
    let mut m = Model {
        name: name.to_string(),
        kind,
        params: Vec::new(),
        recordables: Vec::new(),
        spike_receptors: Vec::new(),
        current_receptors: Vec::new(),
    };
    let mut in_table = false;
    for line in text.lines() {
        if line.starts_with("parameter ") {
            in_table = true;
            continue;
        }
        if line.trim().is_empty() {
            in_table = false;
            continue;
        }
        if in_table {
            let toks: Vec<&str> = line.split_whitespace().collect();
            let mut names = vec![toks[0]];
            let mut i = 1;
            while toks.get(i) == Some(&"/") && i + 1 < toks.len() {
                names.push(toks[i + 1]);
                i += 2;
            }
            let default = default_value(toks.get(i).copied().unwrap_or("0"));
            for n in names {
                for path in expand(n) {
                    m.params.push(Param {
                        path,
                        default: default.clone(),
                    });
                }
            }
        } else if let Some((head, list)) = line.split_once(": ") {
            if head.starts_with("recordables") {
                m.recordables = list.split(", ").map(str::to_string).collect();
            } else if head.starts_with("receptor_type for spikes") {
                m.spike_receptors = receptors(list);
            } else if head.starts_with("receptor_type for currents") {
                m.current_receptors = receptors(list);
            }
        }
    }
    m
}

/// Reads every model of the binary `bin`.
pub fn load(bin: &str) -> Catalog {
    let text = stdout_of(bin, &["models"]);
    let mut kind = None;
    let mut models = Vec::new();
    for line in text.lines() {
        match line.trim_end() {
            "neurons:" => kind = Some(Kind::Neuron),
            "synapses:" => kind = Some(Kind::Synapse),
            "generators:" => kind = Some(Kind::Generator),
            "recorders:" => kind = Some(Kind::Recorder),
            l if l.starts_with("  ") => {
                if let (Some(k), Some(name)) = (kind, l.split_whitespace().next()) {
                    models.push(describe(bin, name, k));
                }
            }
            _ => kind = None,
        }
    }
    let cat = Catalog { models };
    for k in [Kind::Neuron, Kind::Synapse, Kind::Generator, Kind::Recorder] {
        assert!(
            !cat.of_kind(k).is_empty(),
            "the fuzzer reads `evplast models`; it found no {k:?} in:\n{text}"
        );
    }
    cat
}
