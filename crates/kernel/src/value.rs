//! Parameter values as a user gives them (NEST's status dictionaries): what model files, the
//! library front end and the Python binding pass to models, and what models report back.

use std::collections::BTreeMap;

/// A parameter value from a model file (or a NEST status dictionary).
#[derive(Clone, Debug, PartialEq)]
pub enum ParamValue {
    /// Integers are read as numbers: `29` and `29.0` mean the same.
    Num(f64),
    Bool(bool),
    Str(String),
    Array(Vec<ParamValue>),
    Table(ParamMap),
}

/// A parameter dictionary.
pub type ParamMap = BTreeMap<String, ParamValue>;

/// A number as shown in a message: Rust's shortest round-trip form, in exponent notation
/// when it would be long (`1e300`, not 301 digits).
pub fn fmt_num(x: f64) -> String {
    if x.is_finite() && x != 0.0 && (x.abs() >= 1e16 || x.abs() < 1e-6) {
        format!("{x:e}")
    } else {
        format!("{x}")
    }
}

/// Longest text quoted whole in a message; longer names and strings are cut (a 1 MB label must
/// not become a 1 MB error message).
pub const QUOTE_MAX_CHARS: usize = 60;

/// `s` as quoted in a message: whole if short, else its first [`QUOTE_MAX_CHARS`] characters,
/// `…` and its length in bytes.
pub fn shorten(s: &str) -> std::borrow::Cow<'_, str> {
    match s.char_indices().nth(QUOTE_MAX_CHARS) {
        None => s.into(),
        Some((cut, _)) => format!("{}… ({} bytes)", &s[..cut], s.len()).into(),
    }
}

impl std::fmt::Display for ParamValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ParamValue::Num(x) => write!(f, "{}", fmt_num(*x)),
            ParamValue::Bool(b) => write!(f, "{b}"),
            ParamValue::Str(s) => write!(f, "\"{}\"", shorten(s)),
            ParamValue::Array(a) => {
                write!(f, "[")?;
                for (i, v) in a.iter().take(8).enumerate() {
                    if i > 0 {
                        write!(f, ", ")?;
                    }
                    write!(f, "{v}")?;
                }
                if a.len() > 8 {
                    write!(f, ", … ({} values)", a.len())?;
                }
                write!(f, "]")
            }
            ParamValue::Table(t) => {
                write!(f, "{{")?;
                for (i, (k, v)) in t.iter().take(8).enumerate() {
                    if i > 0 {
                        write!(f, ", ")?;
                    }
                    write!(f, "{} = {v}", shorten(k))?;
                }
                if t.len() > 8 {
                    write!(f, ", … ({} keys)", t.len())?;
                }
                write!(f, "}}")
            }
        }
    }
}
