//! `evplast plot`: every example's run gives valid PNG figures of the expected size whose
//! panels hold data (coloured pixels: the series; axes and text are grey), and a directory
//! that cannot hold the figures, or one that is no run, is refused with its name.

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use common::{run, run_one_thread, scratch, stderr, stdout};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Width, height and RGB pixels of a PNG.
fn decode(path: &Path) -> (u32, u32, Vec<[u8; 3]>) {
    let decoder = png::Decoder::new(fs::File::open(path).unwrap());
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!(info.color_type, png::ColorType::Rgb, "{}", path.display());
    let px = buf[..info.buffer_size()]
        .chunks_exact(3)
        .map(|c| [c[0], c[1], c[2]])
        .collect();
    (info.width, info.height, px)
}

/// Coloured (not grey) pixels in rows `y0..y1`.
/// `evplast plot RUN_DIR --out FIGS`.
fn plot(run_dir: &Path, figs: &Path) -> std::process::Output {
    run(&[
        "plot",
        run_dir.to_str().unwrap(),
        "--out",
        figs.to_str().unwrap(),
    ])
}

fn coloured(px: &[[u8; 3]], width: u32, y0: u32, y1: u32) -> usize {
    px[(y0 * width) as usize..(y1 * width) as usize]
        .iter()
        .filter(|p| !(p[0] == p[1] && p[1] == p[2]))
        .count()
}

#[test]
fn every_example_plots_with_data_in_every_panel() {
    let dir = scratch("plot");
    let mut figures = 0;
    for name in ["spike_pairing", "small_network", "urbanczik_learning"] {
        let out = dir.join(name);
        let model = repo().join(format!("examples/{name}.toml"));
        let o = run_one_thread(&model, &out, &[]);
        assert!(o.status.success(), "{}", stderr(&o));
        let figs = dir.join(format!("{name}_figs"));
        let o = plot(&out, &figs);
        assert!(o.status.success(), "{name}: {}", stderr(&o));
        let listed: Vec<String> = stdout(&o).lines().map(String::from).collect();
        assert!(listed.len() >= 2, "{name}: {listed:?}");
        // The spike-pairing example gets its pairing curve too (stats.json names the model).
        assert_eq!(
            listed.iter().any(|f| f.ends_with("pairing_curve.png")),
            name == "spike_pairing",
            "{name}: {listed:?}"
        );
        for f in &listed {
            let path = PathBuf::from(f);
            let (w, h, px) = decode(&path);
            assert_eq!((w, h), (1000, 700), "{f}");
            // Panels: raster and weights figures are split 3/5 : 2/5, traces evenly by field.
            let panels: Vec<(u32, u32)> = if f.ends_with("pairing_curve.png") {
                vec![(0, h)]
            } else if f.ends_with("_traces.png") {
                let n = 4; // urbanczik_learning's multimeter records 4 fields.
                (0..n).map(|i| (h * i / n, h * (i + 1) / n)).collect()
            } else {
                vec![(0, h * 3 / 5), (h * 3 / 5, h)]
            };
            for (y0, y1) in panels {
                let n = coloured(&px, w, y0, y1);
                assert!(n > 200, "{f}: rows {y0}..{y1} hold {n} coloured pixels");
            }
            figures += 1;
        }
    }
    assert!(figures >= 8, "{figures} figures");
}

#[test]
fn a_run_written_as_npy_plots_the_same_figures() {
    let dir = scratch("plot_npy");
    let model = repo().join("examples/small_network.toml");
    let mut listed = Vec::new();
    for format in ["csv", "npy"] {
        let out = dir.join(format);
        let o = run_one_thread(&model, &out, &["--format", format]);
        assert!(o.status.success(), "{}", stderr(&o));
        let figs = dir.join(format!("{format}_figs"));
        let o = plot(&out, &figs);
        assert!(o.status.success(), "{format}: {}", stderr(&o));
        let names: Vec<String> = stdout(&o)
            .lines()
            .map(|l| {
                Path::new(l)
                    .file_name()
                    .unwrap()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        // The same numbers give the same pixels.
        let pixels: Vec<_> = stdout(&o).lines().map(|l| decode(Path::new(l)).2).collect();
        listed.push((names, pixels));
    }
    assert_eq!(listed[0].0, listed[1].0);
    assert!(
        listed[0].1 == listed[1].1,
        "the npy run's figures differ from the csv run's"
    );
}

#[test]
fn unusable_directories_are_refused_by_name() {
    let dir = scratch("plot_bad");
    // Not a run directory.
    let o = run(&["plot", dir.to_str().unwrap()]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("no .evplast-manifest"),
        "{}",
        stderr(&o)
    );
    // A run, but figures cannot be written where asked.
    let out = dir.join("run");
    let model = repo().join("examples/spike_pairing.toml");
    assert!(run(&[
        "run",
        model.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--quiet"
    ])
    .status
    .success());
    let file = dir.join("a_file");
    fs::write(&file, "").unwrap();
    let target = file.join("figs");
    let o = plot(&out, &target);
    let err = stderr(&o);
    assert!(!o.status.success());
    assert!(
        err.contains("cannot create the plot directory") && err.contains("a_file/figs"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
}
