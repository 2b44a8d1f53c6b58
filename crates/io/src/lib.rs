//! evplast's user interface in files: model files in (TOML, model-file.md) and run
//! directories out (CSV per recorder, `connections.csv`, `stats.json`, optional
//! `network.json`).

pub mod checkpoint;
pub mod load;
pub mod output;
pub mod tree;

pub use load::{check, load, Checked, LoadOptions, Loaded, Scheme, SchemeSetting};

use thiserror::Error;

/// A refused model file: where, which field, and why.
#[derive(Debug, Error, Clone, PartialEq)]
#[error("{file}:{line}:{col}: {context}: {message}")]
pub struct FileError {
    pub file: String,
    pub line: usize,
    pub col: usize,
    pub context: String,
    pub message: String,
}
