//! A TOML document as an owned tree in which every value keeps its byte span, so errors can
//! point at the line and column of the offending field.

use std::ops::Range;

use evplast_models::params::{fmt_num, shorten};
use toml::de::{DeTable, DeValue};

/// A value with where it was written.
#[derive(Clone, Debug, PartialEq)]
pub struct Val {
    pub span: Range<usize>,
    pub v: V,
}

/// The value itself.
#[derive(Clone, Debug, PartialEq)]
pub enum V {
    Int(i64),
    Float(f64),
    Bool(bool),
    Str(String),
    Array(Vec<Val>),
    /// Keys in document order, each with its own span.
    Table(Vec<(String, Range<usize>, Val)>),
    Datetime(String),
}

impl V {
    /// What a user would call this kind of value.
    pub fn kind(&self) -> &'static str {
        match self {
            V::Int(_) => "an integer",
            V::Float(_) => "a float",
            V::Bool(_) => "a boolean",
            V::Str(_) => "a string",
            V::Array(_) => "an array",
            V::Table(_) => "a table",
            V::Datetime(_) => "a datetime",
        }
    }
}

impl std::fmt::Display for Val {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.v {
            V::Int(i) => write!(f, "{i}"),
            V::Float(x) => write!(f, "{}", fmt_num(*x)),
            V::Bool(b) => write!(f, "{b}"),
            V::Str(s) => write!(f, "\"{}\"", shorten(s)),
            V::Datetime(s) => write!(f, "{s}"),
            V::Array(a) => {
                write!(f, "[")?;
                for (i, x) in a.iter().take(6).enumerate() {
                    if i > 0 {
                        write!(f, ", ")?;
                    }
                    write!(f, "{x}")?;
                }
                if a.len() > 6 {
                    write!(f, ", …")?;
                }
                write!(f, "]")
            }
            V::Table(t) => {
                write!(f, "{{ ")?;
                for (i, (k, _, x)) in t.iter().take(6).enumerate() {
                    if i > 0 {
                        write!(f, ", ")?;
                    }
                    write!(f, "{} = {x}", shorten(k))?;
                }
                if t.len() > 6 {
                    write!(f, ", …")?;
                }
                write!(f, " }}")
            }
        }
    }
}

impl Val {
    /// Looks up `key` in a table value.
    pub fn get(&self, key: &str) -> Option<&Val> {
        match &self.v {
            V::Table(t) => t.iter().find(|(k, _, _)| k == key).map(|(_, _, v)| v),
            _ => None,
        }
    }

    /// The entries of a table value (empty for other values).
    pub fn entries(&self) -> &[(String, Range<usize>, Val)] {
        match &self.v {
            V::Table(t) => t,
            _ => &[],
        }
    }
}

/// Parse error of the TOML syntax itself: message and byte span.
#[derive(Debug)]
pub struct SyntaxError {
    pub message: String,
    pub span: Option<Range<usize>>,
}

/// Parses a TOML document.
pub fn parse(text: &str) -> Result<Val, SyntaxError> {
    let doc = DeTable::parse(text).map_err(|e| SyntaxError {
        message: e.message().to_string(),
        span: e.span(),
    })?;
    let span = doc.span();
    let table = convert_table(doc.get_ref())?;
    Ok(Val { span, v: table })
}

fn convert_table(t: &DeTable<'_>) -> Result<V, SyntaxError> {
    let mut out = Vec::new();
    for (k, v) in t.iter() {
        out.push((
            k.get_ref().to_string(),
            k.span(),
            convert(v.get_ref(), v.span())?,
        ));
    }
    Ok(V::Table(out))
}

fn convert(v: &DeValue<'_>, span: Range<usize>) -> Result<Val, SyntaxError> {
    let bad = |what: &str| SyntaxError {
        message: format!("cannot read {what}"),
        span: Some(span.clone()),
    };
    let v = match v {
        DeValue::String(s) => V::Str(s.to_string()),
        DeValue::Integer(i) => {
            let digits = i.as_str().replace('_', "");
            V::Int(i64::from_str_radix(&digits, i.radix()).map_err(|_| bad("integer"))?)
        }
        DeValue::Float(x) => {
            let s = x.as_str().replace('_', "");
            V::Float(s.parse::<f64>().map_err(|_| bad("float"))?)
        }
        DeValue::Boolean(b) => V::Bool(*b),
        DeValue::Datetime(d) => V::Datetime(d.to_string()),
        DeValue::Array(a) => V::Array(
            a.iter()
                .map(|x| convert(x.get_ref(), x.span()))
                .collect::<Result<_, _>>()?,
        ),
        DeValue::Table(t) => convert_table(t)?,
    };
    Ok(Val { span, v })
}

/// 1-based line and column of byte offset `pos` in `text`.
pub fn line_col(text: &str, pos: usize) -> (usize, usize) {
    let pos = pos.min(text.len());
    let before = &text[..pos];
    let line = before.matches('\n').count() + 1;
    let col = before.rfind('\n').map_or(pos, |i| pos - i - 1) + 1;
    (line, col)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_point_at_values() {
        let text = "[kernel]\nresolution = 0.1\n[[create]]\nparams = { a = [1, 2.5] }\n";
        let t = parse(text).unwrap();
        let r = t.get("kernel").unwrap().get("resolution").unwrap();
        assert_eq!(r.v, V::Float(0.1));
        assert_eq!(line_col(text, r.span.start), (2, 14));
        let c = &t.get("create").unwrap();
        let V::Array(items) = &c.v else { panic!() };
        let a = items[0].get("params").unwrap().get("a").unwrap();
        assert_eq!(a.to_string(), "[1, 2.5]");
        assert_eq!(line_col(text, a.span.start).0, 4);
    }

    #[test]
    fn syntax_error_has_a_span() {
        let e = parse("a = [1,\n").err().unwrap();
        assert!(e.span.is_some());
    }
}
