//! NEST's connection rules over node selections (ascending node ids): validated and counted
//! before anything is drawn, then drawn straight into a sink, in the order the rules have
//! always produced them, so that no list of all possible pairs is ever held.

use std::collections::HashMap;

use rand::RngExt;

use evplast_kernel::limits::MAX_CONNECTIONS;
use evplast_kernel::rng::Rng;
use evplast_kernel::NodeId;
use evplast_models::params::{fmt_num, shorten};

use crate::error::{ApiError, ErrorKind};

/// The rules' names.
pub const RULES: &str =
    "all_to_all, one_to_one, fixed_indegree, fixed_outdegree, fixed_total_number, pairwise_bernoulli";

/// A connection rule with its count or probability, validated.
#[derive(Clone, Debug, PartialEq)]
pub enum Rule {
    AllToAll,
    OneToOne,
    FixedIndegree(u64),
    FixedOutdegree(u64),
    FixedTotalNumber(u64),
    PairwiseBernoulli(f64),
}

fn bad(at: &str, field: &str, message: impl Into<String>) -> ApiError {
    ApiError {
        field: field.to_string(),
        ..ApiError::new(ErrorKind::BadParameter, at, message)
    }
}

impl Rule {
    /// Reads the rule and its key (`indegree`, `outdegree`, `N`, `p`, given as `count`) and
    /// checks what can be checked before drawing.
    pub fn read(
        rule: &str,
        count: Option<(&str, f64)>,
        pre: &[NodeId],
        post: &[NodeId],
        autapses: bool,
        multapses: bool,
    ) -> Result<Self, ApiError> {
        let need = |key: &str| -> Result<f64, ApiError> {
            match count {
                // A count is a whole number within the connection limit; `p` is checked below.
                Some((k, v)) if k == key && key != "p" => {
                    let at = format!("conn_spec.{k}");
                    if !(v >= 0.0 && v.fract() == 0.0 && v <= MAX_CONNECTIONS as f64) {
                        return Err(bad(
                            &at,
                            &at,
                            format!(
                                "{} must be a whole number from 0 to {MAX_CONNECTIONS}, the most connections a network holds (synapse tables index rows with 32 bits)",
                                fmt_num(v)
                            ),
                        ));
                    }
                    Ok(v)
                }
                Some((k, v)) if k == key => Ok(v),
                Some((k, _)) => {
                    let at = format!("conn_spec.{k}");
                    Err(bad(
                        &at,
                        &at,
                        format!("rule '{rule}' takes '{key}', not '{k}'"),
                    ))
                }
                None => Err(bad(
                    "conn_spec",
                    "conn_spec",
                    format!("rule '{rule}' needs '{key}'"),
                )),
            }
        };
        Ok(match rule {
            "all_to_all" | "one_to_one" => {
                if count.is_some() {
                    need("")?;
                }
                if rule == "one_to_one" && pre.len() != post.len() {
                    return Err(bad(
                        "conn_spec",
                        "conn_spec.rule",
                        format!(
                            "one_to_one needs equal sizes, got {} pre and {} post",
                            pre.len(),
                            post.len()
                        ),
                    ));
                }
                if rule == "all_to_all" {
                    Rule::AllToAll
                } else {
                    Rule::OneToOne
                }
            }
            "fixed_indegree" | "fixed_outdegree" => {
                let key = if rule == "fixed_indegree" {
                    "indegree"
                } else {
                    "outdegree"
                };
                let at = format!("conn_spec.{key}");
                let v = need(key)?;
                let k = v as u64;
                let (fixed, pool) = if rule == "fixed_indegree" {
                    (post, pre)
                } else {
                    (pre, post)
                };
                for &f in fixed {
                    let candidates = pool.len() - (!autapses && contains(pool, f)) as usize;
                    if !multapses && k > candidates as u64 {
                        return Err(bad(
                            &at,
                            &at,
                            format!(
                                "{k} exceeds the {candidates} possible partners without multapses"
                            ),
                        ));
                    }
                    if candidates == 0 && k > 0 {
                        return Err(bad(&at, &at, "no possible partner"));
                    }
                }
                if rule == "fixed_indegree" {
                    Rule::FixedIndegree(k)
                } else {
                    Rule::FixedOutdegree(k)
                }
            }
            "fixed_total_number" => {
                let n = need("N")? as u64;
                let pairs = PairPool::new(pre, post, autapses).len() as u64;
                let at = "conn_spec.N";
                if !multapses && n > pairs {
                    return Err(bad(
                        at,
                        at,
                        format!("{n} exceeds the {pairs} possible pairs without multapses"),
                    ));
                }
                if pairs == 0 && n > 0 {
                    return Err(bad(at, at, "no possible pair"));
                }
                Rule::FixedTotalNumber(n)
            }
            "pairwise_bernoulli" => {
                let p = need("p")?;
                if !(0.0..=1.0).contains(&p) {
                    return Err(bad(
                        "conn_spec.p",
                        "conn_spec.p",
                        format!("{p} must be in [0, 1]"),
                    ));
                }
                Rule::PairwiseBernoulli(p)
            }
            other => {
                return Err(bad(
                    "conn_spec",
                    "conn_spec.rule",
                    format!("unknown rule \"{}\" (rules: {RULES})", shorten(other)),
                ))
            }
        })
    }

    /// How many connections the rule makes (`pairwise_bernoulli`: the expected number), and
    /// the field a refusal of that count points at.
    pub fn count(&self, pre: &[NodeId], post: &[NodeId], autapses: bool) -> (u64, &'static str) {
        match self {
            Rule::AllToAll => (PairPool::new(pre, post, autapses).len() as u64, "conn_spec"),
            Rule::OneToOne => {
                let same = pre.iter().zip(post).filter(|(s, t)| s == t).count();
                (
                    (pre.len() - if autapses { 0 } else { same }) as u64,
                    "conn_spec",
                )
            }
            Rule::FixedIndegree(k) => (k.saturating_mul(post.len() as u64), "conn_spec.indegree"),
            Rule::FixedOutdegree(k) => (k.saturating_mul(pre.len() as u64), "conn_spec.outdegree"),
            Rule::FixedTotalNumber(n) => (*n, "conn_spec.N"),
            Rule::PairwiseBernoulli(p) => (
                (p * PairPool::new(pre, post, autapses).len() as f64).ceil() as u64,
                "conn_spec.p",
            ),
        }
    }

    /// Working memory drawing `n` connections takes beside the connections themselves: the
    /// chosen pair indices of `fixed_total_number` without multapses (index and hash entry).
    pub fn scratch_bytes(&self, n: u64, multapses: bool) -> u64 {
        match self {
            Rule::FixedTotalNumber(..) if !multapses => n.saturating_mul(40),
            _ => 0,
        }
    }

    /// Draws the connections and hands each `(source, target)` to `emit`, in the order the
    /// rule has always produced them (so results do not change with the chunking).
    pub fn expand(
        &self,
        pre: &[NodeId],
        post: &[NodeId],
        autapses: bool,
        multapses: bool,
        rng: &mut Rng,
        emit: &mut dyn FnMut(NodeId, NodeId) -> Result<(), ApiError>,
    ) -> Result<(), ApiError> {
        let ok = |s: NodeId, t: NodeId| autapses || s != t;
        let oom = |key: &str| {
            let at = format!("conn_spec.{key}");
            ApiError {
                kind: ErrorKind::KernelException,
                ..bad(&at, &at, "out of memory drawing the connections")
            }
        };
        match self {
            Rule::AllToAll => {
                for &t in post {
                    for &s in pre {
                        if ok(s, t) {
                            emit(s, t)?;
                        }
                    }
                }
            }
            Rule::OneToOne => {
                for (&s, &t) in pre.iter().zip(post) {
                    if ok(s, t) {
                        emit(s, t)?;
                    }
                }
            }
            Rule::FixedIndegree(k) | Rule::FixedOutdegree(k) => {
                let indegree = matches!(self, Rule::FixedIndegree(..));
                let key = if indegree { "indegree" } else { "outdegree" };
                let (fixed, pool) = if indegree { (post, pre) } else { (pre, post) };
                let mut candidates = Vec::new();
                for &f in fixed {
                    candidates.clear();
                    candidates.extend(pool.iter().copied().filter(|&p| ok(p, f)));
                    let chosen = draw(rng, candidates.len(), *k as usize, multapses)
                        .ok_or_else(|| oom(key))?;
                    for i in chosen {
                        let p = candidates[i];
                        if indegree {
                            emit(p, f)?
                        } else {
                            emit(f, p)?
                        }
                    }
                }
            }
            Rule::FixedTotalNumber(n) => {
                let pool = PairPool::new(pre, post, autapses);
                if multapses {
                    // With replacement: one draw per connection, nothing to keep.
                    for _ in 0..*n {
                        let (s, t) = pool.get(rng.random_range(0..pool.len()));
                        emit(s, t)?;
                    }
                    return Ok(());
                }
                let chosen = draw(rng, pool.len(), *n as usize, false).ok_or_else(|| oom("N"))?;
                for i in chosen {
                    let (s, t) = pool.get(i);
                    emit(s, t)?;
                }
            }
            Rule::PairwiseBernoulli(p) => {
                for &t in post {
                    for &s in pre {
                        if ok(s, t) && rng.random::<f64>() < *p {
                            emit(s, t)?;
                        }
                    }
                }
            }
        }
        Ok(())
    }
}

/// True if the ascending `ids` hold `id`.
fn contains(ids: &[NodeId], id: NodeId) -> bool {
    ids.binary_search(&id).is_ok()
}

/// Every (source, target) pair of `pre × post` (target outer, source inner), without
/// autapses if they are not allowed, indexed without being listed: row `r` holds the pairs of
/// `post[r]`, one shorter if that node is also in `pre`.
struct PairPool<'a> {
    pre: &'a [NodeId],
    post: &'a [NodeId],
    /// Without autapses, where pre and post overlap: the first index of each row.
    starts: Option<Vec<usize>>,
    len: usize,
}

impl<'a> PairPool<'a> {
    fn new(pre: &'a [NodeId], post: &'a [NodeId], autapses: bool) -> Self {
        let overlap = !autapses && post.iter().any(|&t| contains(pre, t));
        if !overlap {
            return Self {
                pre,
                post,
                starts: None,
                len: pre.len().saturating_mul(post.len()),
            };
        }
        let mut starts = Vec::with_capacity(post.len() + 1);
        let mut len = 0usize;
        for &t in post {
            starts.push(len);
            len += pre.len() - contains(pre, t) as usize;
        }
        starts.push(len);
        Self {
            pre,
            post,
            starts: Some(starts),
            len,
        }
    }

    fn len(&self) -> usize {
        self.len
    }

    /// Pair `i`.
    fn get(&self, i: usize) -> (NodeId, NodeId) {
        let Some(starts) = &self.starts else {
            return (self.pre[i % self.pre.len()], self.post[i / self.pre.len()]);
        };
        let r = starts.partition_point(|&s| s <= i) - 1;
        let t = self.post[r];
        let c = i - starts[r];
        // Skip the target itself in its own row.
        let c = match self.pre.binary_search(&t) {
            Ok(q) if c >= q => c + 1,
            _ => c,
        };
        (self.pre[c], t)
    }
}

/// `k` indices drawn from `0..len`, with or without replacement (without: ascending). The
/// draws are those of a partial Fisher–Yates shuffle of `0..len`, kept sparse so that only
/// the `k` displaced indices are stored.
/// `None` if the memory for them is not there.
fn draw(rng: &mut Rng, len: usize, k: usize, replace: bool) -> Option<Vec<usize>> {
    let mut chosen = Vec::new();
    chosen.try_reserve_exact(k).ok()?;
    if replace {
        chosen.extend((0..k).map(|_| rng.random_range(0..len)));
        return Some(chosen);
    }
    let mut moved: HashMap<usize, usize> = HashMap::new();
    moved.try_reserve(k.min(len)).ok()?;
    for i in 0..k {
        let j = rng.random_range(i..len);
        let at = |x: usize, m: &HashMap<usize, usize>| m.get(&x).copied().unwrap_or(x);
        let (vi, vj) = (at(i, &moved), at(j, &moved));
        moved.insert(j, vi);
        moved.remove(&i);
        chosen.push(vj);
    }
    chosen.sort_unstable();
    Some(chosen)
}

#[cfg(test)]
mod tests {
    use super::*;
    use evplast_kernel::rng;

    /// The original dense partial Fisher–Yates, as the loader drew before.
    fn draw_dense(rng: &mut Rng, len: usize, k: usize) -> Vec<usize> {
        let mut idx: Vec<usize> = (0..len).collect();
        for i in 0..k {
            let j = rng.random_range(i..idx.len());
            idx.swap(i, j);
        }
        let mut chosen = idx[..k].to_vec();
        chosen.sort_unstable();
        chosen
    }

    #[test]
    fn sparse_shuffle_draws_what_the_dense_one_drew() {
        for (len, k) in [(10, 10), (1000, 7), (50, 49), (1, 1), (5, 0)] {
            let a = draw_dense(&mut rng::stream(3, 1, len as u64), len, k);
            let b = draw(&mut rng::stream(3, 1, len as u64), len, k, false).unwrap();
            assert_eq!(a, b, "len {len}, k {k}");
        }
    }

    #[test]
    fn pair_pool_indexes_the_listed_pairs() {
        let ids = |r: std::ops::Range<u32>| r.map(NodeId).collect::<Vec<_>>();
        for (pre, post, autapses) in [
            (ids(1..5), ids(3..8), false),
            (ids(1..5), ids(3..8), true),
            (ids(1..4), ids(10..12), false),
            (ids(2..3), ids(2..3), false),
        ] {
            let listed: Vec<(NodeId, NodeId)> = post
                .iter()
                .flat_map(|&t| pre.iter().map(move |&s| (s, t)))
                .filter(|&(s, t)| autapses || s != t)
                .collect();
            let pool = PairPool::new(&pre, &post, autapses);
            assert_eq!(pool.len(), listed.len());
            let got: Vec<_> = (0..pool.len()).map(|i| pool.get(i)).collect();
            assert_eq!(got, listed);
        }
    }
}
