//! `record_to = "ascii"` from the library front end writes the file `evplast run` writes for
//! the same network (the two paths share no code above `write_events`).

use std::ops::ControlFlow;

use evplast_io::output::{write_recorder_file, write_run, Timings};
use evplast_io::{load, LoadOptions};
use evplast_kernel::NodeId;
use evplast_models::{KernelConfig, ParamValue};
use evplast_sim::{ConnSpec, Kernel, NodeParamSpec, Options, Param, SynapseSpec};

const MODEL: &str = r#"
[kernel]
resolution = 0.1

[[create]]
label = "sg"
model = "spike_generator"
params = { spike_times = [1.0, 2.5, 7.0, 7.1, 12.0] }

[[create]]
label = "prrt"
model = "parrot_neuron"
n = 2

[[create]]
label = "spikes"
model = "spike_recorder"
params = { start = 3.0 }

[[connect]]
pre = "sg"
post = "prrt"
syn_spec = { delay = 0.5 }

[[connect]]
pre = "prrt"
post = "spikes"

[simulate]
t = 20.0
"#;

#[test]
fn an_ascii_recorder_writes_what_evplast_run_writes() {
    let dir = std::env::temp_dir().join(format!("evplast-recfile-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("run")).unwrap();
    std::fs::create_dir_all(dir.join("lib")).unwrap();

    let mut l = load("m.toml", MODEL, &LoadOptions::default()).unwrap();
    l.sim
        .network
        .simulate(l.steps, &mut |_| ControlFlow::Continue(()))
        .unwrap();
    write_run(
        &dir.join("run"),
        &mut l,
        Timings::default(),
        false,
        None,
        None,
    )
    .unwrap();

    let mut k = Kernel::new(KernelConfig::default(), Options::default()).unwrap();
    let num = |x: f64| Param::Value(ParamValue::Num(x));
    let times = [1.0, 2.5, 7.0, 7.1, 12.0].map(ParamValue::Num).to_vec();
    let sg = k
        .create(
            "spike_generator",
            1,
            NodeParamSpec::Same(&[("spike_times".into(), Param::Value(ParamValue::Array(times)))]),
        )
        .unwrap();
    let prrt = k.create("parrot_neuron", 2, NodeParamSpec::None).unwrap();
    let sr = k
        .create(
            "spike_recorder",
            1,
            NodeParamSpec::Same(&[
                ("start".into(), num(3.0)),
                (
                    "label".into(),
                    Param::Value(ParamValue::Str("spikes".into())),
                ),
            ]),
        )
        .unwrap();
    let both = [prrt, NodeId(prrt.0 + 1)];
    let syn = SynapseSpec {
        delay: evplast_sim::Draw::Fixed(0.5),
        ..SynapseSpec::default()
    };
    k.connect(&[sg], &both, &ConnSpec::default(), &syn).unwrap();
    k.connect(&both, &[sr], &ConnSpec::default(), &SynapseSpec::default())
        .unwrap();
    // In two runs: the file holds everything recorded so far.
    k.simulate(8.0, &mut |_| ControlFlow::Continue(())).unwrap();
    k.simulate(12.0, &mut |_| ControlFlow::Continue(()))
        .unwrap();
    let path = write_recorder_file(&dir.join("lib"), &mut k, sr)
        .unwrap()
        .expect("ascii is the default");

    let a = std::fs::read_to_string(dir.join("run/spikes.csv")).unwrap();
    let b = std::fs::read_to_string(&path).unwrap();
    assert_eq!(a.lines().count(), 1 + 2 * 3, "{a}");
    assert_eq!(a, b);
    std::fs::remove_dir_all(&dir).unwrap();
}
