//! Refusals of the front end. Each names the field it is about (a path such as
//! `conn_spec.indegree` or `syn_spec.weight`, relative to the call), says what and why, and
//! carries NEST's name for the error class so that the Python binding raises what PyNEST
//! raises. The model-file loader turns the field into a file position.

use evplast_models::BuildError;
use thiserror::Error;

/// NEST's error classes (PyNEST's `nest.NESTErrors.<name>`), for the ones evplast raises.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    UnknownModelName,
    /// A parameter value that the model refuses.
    BadProperty,
    /// A bad argument of a call (a rule's count, a distribution, a run length).
    BadParameter,
    /// A dictionary key the model does not know (NEST: `UnaccessedDictionaryEntry`).
    UnaccessedDictionaryEntry,
    IllegalConnection,
    UnknownNode,
    BadDelay,
    /// Beyond a documented limit of the kernel's types or of the machine's memory.
    KernelException,
    NumericalInstability,
}

impl ErrorKind {
    /// NEST's name of the class.
    pub fn nest_name(self) -> &'static str {
        match self {
            ErrorKind::UnknownModelName => "UnknownModelName",
            ErrorKind::BadProperty => "BadProperty",
            ErrorKind::BadParameter => "BadParameter",
            ErrorKind::UnaccessedDictionaryEntry => "UnaccessedDictionaryEntry",
            ErrorKind::IllegalConnection => "IllegalConnection",
            ErrorKind::UnknownNode => "UnknownNode",
            ErrorKind::BadDelay => "BadDelay",
            ErrorKind::KernelException => "KernelException",
            ErrorKind::NumericalInstability => "NumericalInstability",
        }
    }
}

/// A refused call: which field (`at`, a dotted path relative to the call; empty for the call
/// as a whole), what and why.
#[derive(Debug, Error, Clone, PartialEq)]
#[error("{}{message}", if field.is_empty() { String::new() } else { format!("{field}: ") })]
pub struct ApiError {
    pub kind: ErrorKind,
    /// Where the offending value is (for a file position), e.g. `conn_spec.indegree`.
    pub at: String,
    /// What the message is about, appended to the caller's context (often `at`; empty when
    /// the message names it itself).
    pub field: String,
    pub message: String,
    /// The model layer's error, when the refusal came from there (the loader points at the
    /// offending parameter through it).
    pub build: Option<Box<BuildError>>,
}

impl ApiError {
    /// A refusal of the value at `at`, described by `message`.
    pub fn new(kind: ErrorKind, at: &str, message: impl Into<String>) -> Self {
        Self {
            kind,
            at: at.to_string(),
            field: at.to_string(),
            message: message.into(),
            build: None,
        }
    }

    /// The model layer's refusal, pointed at `at`, its message standing alone.
    pub fn build(at: &str, e: BuildError) -> Self {
        let kind = match &e {
            BuildError::UnknownModel { .. } => ErrorKind::UnknownModelName,
            BuildError::UnknownParam { .. } => ErrorKind::UnaccessedDictionaryEntry,
            // NEST raises BadDelay for every refused delay (measured: 0 and -1 ms).
            BuildError::BadParam { param, .. } if param == "delay" => ErrorKind::BadDelay,
            BuildError::BadParam { .. } => ErrorKind::BadProperty,
            BuildError::Connect(_) => ErrorKind::IllegalConnection,
            BuildError::Limit(_) | BuildError::Kernel(_) => ErrorKind::KernelException,
        };
        Self {
            kind,
            at: at.to_string(),
            field: String::new(),
            message: e.to_string(),
            build: Some(Box::new(e)),
        }
    }
}
