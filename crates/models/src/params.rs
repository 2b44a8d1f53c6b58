//! Parameter values as a user gives them (NEST's status dictionaries), read into typed model
//! parameters with NEST's names, defaults and units.

use std::collections::BTreeSet;

use crate::error::BuildError;

pub use evplast_kernel::value::{fmt_num, shorten, ParamMap, ParamValue, QUOTE_MAX_CHARS};

/// Documentation of one parameter for `evplast models`.
#[derive(Clone, Debug, PartialEq)]
pub struct ParamDoc {
    pub name: &'static str,
    pub default: String,
    pub unit: &'static str,
    pub doc: &'static str,
}

/// A Rust type a parameter can be read into.
pub trait ParamType: Sized {
    /// Converts, or says what was expected.
    fn from_value(v: &ParamValue) -> Result<Self, &'static str>;
    /// The default as shown to users.
    fn show(&self) -> String;
    /// The value as a status dictionary reports it (NEST's GetStatus).
    fn value(&self) -> ParamValue;
}

fn num_array(v: &[f64]) -> ParamValue {
    ParamValue::Array(v.iter().map(|x| ParamValue::Num(*x)).collect())
}

/// A time that may be `inf` (never), as NEST allows for a device's `stop`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TimeOrNever(pub f64);

impl ParamType for TimeOrNever {
    fn from_value(v: &ParamValue) -> Result<Self, &'static str> {
        match v {
            ParamValue::Num(x) if x.is_finite() || *x == f64::INFINITY => Ok(Self(*x)),
            ParamValue::Num(_) => Err("must be a finite number or inf"),
            _ => Err("expected a number or inf"),
        }
    }
    fn show(&self) -> String {
        format!("{}", self.0)
    }
    fn value(&self) -> ParamValue {
        ParamValue::Num(self.0)
    }
}

/// The distributions a number may be drawn from (model files: `V_m = { normal = { … } }`).
pub const DISTRIBUTIONS: &[&str] = &["normal", "uniform", "lognormal", "exponential"];

impl ParamType for f64 {
    fn from_value(v: &ParamValue) -> Result<Self, &'static str> {
        match v {
            ParamValue::Num(x) if x.is_finite() => Ok(*x),
            ParamValue::Num(_) => Err("must be a finite number"),
            // A one-key table here is a distribution the file layer did not know.
            ParamValue::Table(_) => Err(
                "expected a number or a distribution (distributions: normal, uniform, lognormal, exponential)",
            ),
            _ => Err("expected a number"),
        }
    }
    fn show(&self) -> String {
        format!("{self}")
    }
    fn value(&self) -> ParamValue {
        ParamValue::Num(*self)
    }
}

impl ParamType for String {
    fn from_value(v: &ParamValue) -> Result<Self, &'static str> {
        match v {
            ParamValue::Str(s) => Ok(s.clone()),
            _ => Err("expected a string"),
        }
    }
    fn show(&self) -> String {
        format!("{self:?}")
    }
    fn value(&self) -> ParamValue {
        ParamValue::Str(self.clone())
    }
}

/// `pp_cond_exp_mc_urbanczik`'s `learning_signal` (docs/URBANCZIK.md).
impl ParamType for evplast_kernel::archive::urbanczik::LearningSignal {
    fn from_value(v: &ParamValue) -> Result<Self, &'static str> {
        const VALID: &str = "expected one of \"spike_rate\", \"rate_rate\", \"spike_spike\"";
        match v {
            ParamValue::Str(s) => Self::from_name(s).ok_or(VALID),
            _ => Err(VALID),
        }
    }
    fn show(&self) -> String {
        format!("{:?}", self.as_str())
    }
    fn value(&self) -> ParamValue {
        ParamValue::Str(self.as_str().to_string())
    }
}

impl ParamType for bool {
    fn from_value(v: &ParamValue) -> Result<Self, &'static str> {
        match v {
            ParamValue::Bool(b) => Ok(*b),
            _ => Err("expected true or false"),
        }
    }
    fn show(&self) -> String {
        format!("{self}")
    }
    fn value(&self) -> ParamValue {
        ParamValue::Bool(*self)
    }
}

impl ParamType for Vec<f64> {
    fn from_value(v: &ParamValue) -> Result<Self, &'static str> {
        match v {
            ParamValue::Array(a) => a
                .iter()
                .map(|x| match x {
                    ParamValue::Num(x) if x.is_finite() => Ok(*x),
                    _ => Err("expected an array of finite numbers"),
                })
                .collect(),
            _ => Err("expected an array of numbers"),
        }
    }
    fn show(&self) -> String {
        format!("{self:?}")
    }
    fn value(&self) -> ParamValue {
        num_array(self)
    }
}

impl ParamType for Vec<String> {
    fn from_value(v: &ParamValue) -> Result<Self, &'static str> {
        match v {
            ParamValue::Array(a) => a
                .iter()
                .map(|x| match x {
                    ParamValue::Str(s) => Ok(s.clone()),
                    _ => Err("expected an array of strings"),
                })
                .collect(),
            ParamValue::Str(s) => Ok(vec![s.clone()]),
            _ => Err("expected an array of strings"),
        }
    }
    fn show(&self) -> String {
        format!("{self:?}")
    }
    fn value(&self) -> ParamValue {
        ParamValue::Array(self.iter().map(|x| ParamValue::Str(x.clone())).collect())
    }
}

/// Reads typed parameters out of a dictionary and refuses keys nobody asked for.
pub struct Reader<'a> {
    model: &'static str,
    map: &'a ParamMap,
    used: BTreeSet<&'a str>,
    known: Vec<&'static str>,
}

impl<'a> Reader<'a> {
    /// A reader of `map` for model `model`.
    pub fn new(model: &'static str, map: &'a ParamMap) -> Self {
        Self {
            model,
            map,
            used: BTreeSet::new(),
            known: Vec::new(),
        }
    }

    /// The model name (for error messages).
    pub fn model(&self) -> &'static str {
        self.model
    }

    /// Overwrites `slot` if `key` is given.
    pub fn read<T: ParamType>(
        &mut self,
        key: &'static str,
        slot: &mut T,
    ) -> Result<(), BuildError> {
        self.known.push(key);
        if let Some((k, v)) = self.map.get_key_value(key) {
            self.used.insert(k.as_str());
            *slot = T::from_value(v).map_err(|why| BuildError::bad(self.model, key, v, why))?;
        }
        Ok(())
    }

    /// The raw value of `key`, marking it known and used.
    pub fn raw(&mut self, key: &'static str) -> Option<&'a ParamValue> {
        self.known.push(key);
        let (k, v) = self.map.get_key_value(key)?;
        self.used.insert(k.as_str());
        Some(v)
    }

    /// Fails on the first key that no read asked for.
    pub fn finish(self) -> Result<(), BuildError> {
        for k in self.map.keys() {
            if !self.used.contains(k.as_str()) {
                return Err(BuildError::UnknownParam {
                    model: self.model.to_string(),
                    param: k.clone(),
                    valid: self.known.join(", "),
                });
            }
        }
        Ok(())
    }
}

/// Declares a parameter struct once: fields, NEST names, defaults, units and docs; generates
/// `Default`, `apply` (read from a [`Reader`]), `to_map` (NEST's GetStatus) and `describe`
/// (for `evplast models`).
#[macro_export]
macro_rules! nest_params {
    ($(#[$m:meta])* $vis:vis struct $name:ident {
        $( $field:ident : $ty:ty = $default:expr, $key:literal, $unit:literal, $doc:literal; )*
    }) => {
        $(#[$m])*
        #[derive(Clone, Debug, PartialEq)]
        $vis struct $name { $( #[doc = $doc] pub $field: $ty, )* }
        impl Default for $name {
            fn default() -> Self { Self { $( $field: $default, )* } }
        }
        impl $name {
            /// Overwrites the fields given in the reader's dictionary.
            pub fn apply(&mut self, r: &mut $crate::params::Reader<'_>) -> Result<(), $crate::error::BuildError> {
                $( r.read($key, &mut self.$field)?; )*
                Ok(())
            }
            /// Writes every field under its NEST name (NEST's GetStatus).
            pub fn to_map(&self, out: &mut $crate::params::ParamMap) {
                $( out.insert($key.to_string(), $crate::params::ParamType::value(&self.$field)); )*
            }
            /// NEST names, defaults, units and meaning of every field.
            pub fn describe(out: &mut Vec<$crate::params::ParamDoc>) {
                let d = Self::default();
                $( out.push($crate::params::ParamDoc {
                    name: $key,
                    default: $crate::params::ParamType::show(&d.$field),
                    unit: $unit,
                    doc: $doc,
                }); )*
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    nest_params! {
        struct P {
            a: f64 = 1.5, "a", "mV", "first";
            b: bool = true, "b", "", "second";
        }
    }

    #[test]
    fn reader_applies_and_refuses_unknown_keys() {
        let mut m = ParamMap::new();
        m.insert("a".into(), ParamValue::Num(2.0));
        let mut p = P::default();
        let mut r = Reader::new("x", &m);
        p.apply(&mut r).unwrap();
        r.finish().unwrap();
        assert_eq!(p, P { a: 2.0, b: true });
        let mut back = ParamMap::new();
        p.to_map(&mut back);
        assert_eq!(back.get("a"), Some(&ParamValue::Num(2.0)));
        assert_eq!(back.get("b"), Some(&ParamValue::Bool(true)));
        let mut q = P { a: 0.0, b: false };
        let mut r = Reader::new("x", &back);
        q.apply(&mut r).unwrap();
        r.finish().unwrap();
        assert_eq!(q, p, "to_map then apply round-trips");
        let mut docs = Vec::new();
        P::describe(&mut docs);
        assert_eq!(
            (docs[0].name, docs[0].default.as_str(), docs[0].unit),
            ("a", "1.5", "mV")
        );

        m.insert("c".into(), ParamValue::Num(2.0));
        let mut r = Reader::new("x", &m);
        P::default().apply(&mut r).unwrap();
        let e = r.finish().unwrap_err().to_string();
        assert!(
            e.contains("unknown parameter 'c'") && e.contains("a, b"),
            "{e}"
        );

        m.insert("b".into(), ParamValue::Num(1.0));
        let mut r = Reader::new("x", &m);
        let e = P::default().apply(&mut r).unwrap_err().to_string();
        assert!(e.contains("'b' = 1: expected true or false"), "{e}");
    }
}
