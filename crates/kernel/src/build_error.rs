//! Build-time errors: every refused input names the model, the parameter, the value and why.

use thiserror::Error;

use crate::value::{fmt_num, shorten};

/// Why a network could not be built. The model-file layer adds the file and location.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum BuildError {
    #[error("unknown model '{}' (known models: {known})", shorten(name))]
    UnknownModel { name: String, known: String },
    #[error(
        "{model}: unknown parameter '{}' ({})",
        shorten(param),
        if valid.is_empty() { format!("{model} takes no parameters") } else { format!("valid parameters: {valid}") }
    )]
    UnknownParam {
        model: String,
        param: String,
        valid: String,
    },
    #[error("{model}: parameter '{param}' = {value}: {reason}")]
    BadParam {
        model: String,
        param: String,
        value: String,
        reason: String,
    },
    #[error("{0}")]
    Connect(String),
    /// A count beyond what the network's types hold, or a network beyond the memory.
    #[error("{0}")]
    Limit(String),
    #[error("{0}")]
    Kernel(#[from] crate::KernelError),
}

impl BuildError {
    /// A bad parameter value.
    pub fn bad(
        model: &str,
        param: &str,
        value: impl std::fmt::Display,
        reason: impl Into<String>,
    ) -> Self {
        BuildError::BadParam {
            model: model.to_string(),
            param: param.to_string(),
            value: value.to_string(),
            reason: reason.into(),
        }
    }
}

/// Returns `Err(bad(...))` unless `ok`.
pub fn require(
    ok: bool,
    model: &str,
    param: &str,
    value: f64,
    reason: &str,
) -> Result<(), BuildError> {
    if ok {
        Ok(())
    } else {
        Err(BuildError::bad(model, param, fmt_num(value), reason))
    }
}
