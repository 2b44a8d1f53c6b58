//! An independent check of spike timing: a spike_generator drives parrot_neurons, recorded by
//! spike_recorders. NEST (tools/nest_check/NEST_SEMANTICS.md §1, §5): a spike at t arrives at
//! t + d, the parrot fires with stamp t + d, and a time repeated n times makes the parrot fire
//! n times (n rows). The expected times are computed here in whole 0.1 ms steps from the
//! fixture, and must be written as exact decimals ("12.4", not "12.400000000000002").

mod common;

use std::fs;

use common::*;

/// Generator times in tenths of a millisecond: 0.1, 5.0 (twice), 12.3, 62.3, 99.9.
const GEN_TENTHS: [i64; 6] = [1, 50, 50, 123, 623, 999];

fn decimal(tenths: i64) -> String {
    format!("{}.{}", tenths / 10, tenths % 10)
}

fn model(delays_tenths: &[i64]) -> String {
    let times: Vec<String> = GEN_TENTHS.iter().map(|&t| decimal(t)).collect();
    let mut s = format!(
        "[kernel]\nresolution = 0.1\n\n\
         [[create]]\nlabel = \"gen\"\nmodel = \"spike_generator\"\n\
         params = {{ spike_times = [{}] }}\n\n",
        times.join(", ")
    );
    for (i, d) in delays_tenths.iter().enumerate() {
        s += &format!(
            "[[create]]\nlabel = \"p{i}\"\nmodel = \"parrot_neuron\"\n\n\
             [[create]]\nlabel = \"sr{i}\"\nmodel = \"spike_recorder\"\n\n\
             [[connect]]\npre = \"gen\"\npost = \"p{i}\"\n\
             syn_spec = {{ weight = 1.0, delay = {} }}\n\n\
             [[connect]]\npre = \"p{i}\"\npost = \"sr{i}\"\n\n",
            decimal(*d)
        );
    }
    s + "[simulate]\nt = 150.0\n"
}

#[test]
fn parrot_fires_at_generator_time_plus_delay() {
    // Delay 0.1 is the case of the brief; 2.5 checks a delay longer than a step too.
    let delays = [1, 25];
    let dir = scratch("parrot_delay");
    let model_path = write(&dir, "chain.toml", &model(&delays));
    let out = dir.join("out");
    assert_ok(&run_model(&model_path, &out), "evplast run");
    for (i, d) in delays.iter().enumerate() {
        let (header, rows) = read_csv(&out.join(format!("sr{i}.csv")));
        assert_eq!(header, ["senders", "times"]);
        // Node ids: gen = 1, then p0 = 2, sr0 = 3, p1 = 4, sr1 = 5.
        let parrot = (2 + 2 * i).to_string();
        let expected: Vec<String> = GEN_TENTHS.iter().map(|&t| decimal(t + d)).collect();
        let got: Vec<String> = rows
            .iter()
            .map(|r| {
                assert_eq!(r[0], parrot, "sender of {r:?}");
                r[1].clone()
            })
            .collect();
        assert_eq!(
            got,
            expected,
            "parrot behind delay {} ms: times must be generator time + delay",
            decimal(*d)
        );
    }
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn delays_round_to_the_grid_like_nest() {
    // NEST 3.10 (tools/nest_check/probes/p7_synapse_defaults.out): "static delay 0.15:
    // accepted, realised delay: 0.2"; and 0.05 -> 0.1. NEST's Time::delay_ms_to_steps is
    // ld_round(ms * STEPS_PER_MS), with STEPS_PER_MS = 1 / h = 10.
    let dir = scratch("delay_rounding");
    let model_path = write(
        &dir,
        "chain.toml",
        &model(&[1]).replace("delay = 0.1", "delay = 0.15"),
    );
    let out = dir.join("out");
    assert_ok(&run_model(&model_path, &out), "evplast run");
    let (_, rows) = read_csv(&out.join("sr0.csv"));
    let got: Vec<&str> = rows.iter().map(|r| r[1].as_str()).collect();
    let expected: Vec<String> = GEN_TENTHS.iter().map(|&t| decimal(t + 2)).collect();
    assert_eq!(got, expected, "delay 0.15 ms must act as 0.2 ms (2 steps)");

    // The realised delay of a plastic connection, as connections.csv reports it.
    for (given, realised) in [(0.05, 0.1), (0.15, 0.2), (0.25, 0.3), (0.35, 0.4)] {
        let toml = format!(
            "[[create]]\nlabel = \"a\"\nmodel = \"parrot_neuron\"\n\n\
             [[create]]\nlabel = \"b\"\nmodel = \"aeif_psc_delta_clopath\"\n\n\
             [[connect]]\npre = \"a\"\npost = \"b\"\n\
             syn_spec = {{ synapse_model = \"clopath_synapse\", delay = {given} }}\n\n\
             [simulate]\nt = 1.0\n"
        );
        let m = write(&dir, "conn.toml", &toml);
        let out = dir.join(format!("conn{given}"));
        assert_ok(&run_model(&m, &out), "evplast run");
        let (_, rows) = read_csv(&out.join("connections.csv"));
        let d: f64 = rows[0][4].parse().unwrap();
        assert_eq!(
            d, realised,
            "delay {given} ms must be realised as {realised} ms"
        );
    }
    let _ = fs::remove_dir_all(&dir);
}
