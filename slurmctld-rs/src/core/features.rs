//! `--constraint` expressions: whether one is valid at submission (upstream's
//! `build_feature_list`) and which nodes it leaves to the selection
//! (`valid_feature_counts`).
//!
//! Upstream turns the expression into a flat list of items, each a feature
//! name with the operator that follows it, its `*count` and its parenthesis
//! depth; both the validity rules and the node filter are defined on that
//! list, so this module builds the same list.

use std::collections::BTreeSet;

/// The operator written after a feature (or the end of the expression).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeatureOp {
    /// `&` (or `,`) outside brackets.
    And,
    /// `|` outside brackets.
    Or,
    /// `&` inside brackets: every feature on its own set of nodes.
    XAnd,
    /// `|` inside brackets: all nodes with the same one feature.
    XOr,
    /// The last feature.
    End,
}

/// One feature of a constraint expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeatureItem {
    /// Feature name.
    pub name: String,
    /// `*count`, 0 when none.
    pub count: u32,
    /// Parenthesis depth (0 or 1) when the following operator was read.
    pub paren: u32,
    /// The operator that follows it.
    pub op: FeatureOp,
}

/// Parses a constraint expression; None when its syntax is invalid.
/// Commas mean `&`, as upstream rewrites them.
pub fn parse(expr: &str) -> Option<Vec<FeatureItem>> {
    let chars: Vec<char> = expr.replace(',', "&").chars().collect();
    let mut items = Vec::new();
    let mut name: Option<String> = None;
    // A name ends at any operator character; the name only becomes an item
    // once the operator after it (or the end) is seen.
    let mut name_done = false;
    let (mut bracket, mut paren, mut count) = (0u32, 0u32, 0u32);
    let mut bracket_sets = 0;
    let mut i = 0;
    while i < chars.len() {
        let ch = chars[i];
        match ch {
            '*' => {
                let digits: String = chars[i + 1..]
                    .iter()
                    .take_while(|c| c.is_ascii_digit())
                    .collect();
                let n: u32 = digits.parse().unwrap_or(0);
                if name.is_none() || n == 0 || paren != 0 {
                    return None;
                }
                count = n;
                name_done = true;
                i += digits.len();
            }
            '&' | '|' => {
                let n = name.take()?;
                let op = match (ch, paren != 0, bracket != 0) {
                    ('&', false, true) => FeatureOp::XAnd,
                    ('&', _, _) => FeatureOp::And,
                    (_, false, true) => FeatureOp::XOr,
                    _ => FeatureOp::Or,
                };
                items.push(FeatureItem {
                    name: n,
                    count,
                    paren,
                    op,
                });
                count = 0;
                name_done = false;
            }
            '[' => {
                if name.is_some() || bracket != 0 {
                    return None;
                }
                bracket += 1;
                bracket_sets += 1;
                if bracket_sets > 1 {
                    return None;
                }
            }
            ']' => {
                if name.is_none() || bracket == 0 {
                    return None;
                }
                bracket -= 1;
                name_done = true;
            }
            '(' => {
                if name.is_some() || paren != 0 {
                    return None;
                }
                paren += 1;
            }
            ')' => {
                if name.is_none() || paren == 0 {
                    return None;
                }
                paren -= 1;
                name_done = true;
            }
            c => match &mut name {
                None => name = Some(c.to_string()),
                Some(n) if !name_done => n.push(c),
                Some(_) => {}
            },
        }
        i += 1;
    }
    if let Some(n) = name {
        items.push(FeatureItem {
            name: n,
            count,
            paren,
            op: FeatureOp::End,
        });
    }
    (bracket == 0 && paren == 0).then_some(items)
}

/// Upstream's rules for a parsed list: every feature must exist on some node
/// of the cluster (`known`), a bracketed `&` needs counts and a bracketed `|`
/// must not have them.
pub fn valid(items: &[FeatureItem], known: &BTreeSet<&str>) -> bool {
    let mut bracket = 0u32;
    let (mut has_xand, mut has_xor) = (false, false);
    for item in items {
        let bracketed = matches!(item.op, FeatureOp::XAnd | FeatureOp::XOr);
        if bracketed && bracket == 0 {
            bracket = item.paren + 1;
        }
        if !known.contains(item.name.as_str()) {
            return false;
        }
        if (item.op == FeatureOp::XAnd && item.count == 0)
            || (item.op == FeatureOp::XOr && item.count != 0)
        {
            return false;
        }
        // The first item after a bracketed run closes the bracket.
        if bracket > item.paren && !bracketed {
            if (has_xand && item.count == 0) || (has_xor && item.count != 0) {
                return false;
            }
            bracket = 0;
            has_xand = false;
            has_xor = false;
        }
        has_xand |= item.op == FeatureOp::XAnd;
        has_xor |= item.op == FeatureOp::XOr;
    }
    true
}

/// Parses `expr` and checks it against the features of `nodes`; None when
/// upstream's `build_feature_list` would refuse it.
pub fn validated(expr: &str, nodes: &[super::spec::NodeSpec]) -> Option<Vec<FeatureItem>> {
    let known = cluster_features(nodes.iter().map(|n| n.features.as_deref()));
    parse(expr).filter(|items| valid(items, &known))
}

/// Every feature any node has, from `Features=` values.
pub fn cluster_features<'a>(
    node_features: impl Iterator<Item = Option<&'a str>>,
) -> BTreeSet<&'a str> {
    node_features
        .flatten()
        .flat_map(|f| f.split(','))
        .filter(|f| !f.is_empty())
        .collect()
}

/// Which of `candidates` an AND/OR expression leaves (bracketed parts and
/// counts are resolved later by upstream, so they filter nothing here).
/// `has` tells whether a node has a feature.
pub fn filter_nodes(
    items: &[FeatureItem],
    candidates: &[usize],
    has: impl Fn(usize, &str) -> bool,
) -> Vec<usize> {
    if items.iter().any(|i| i.count != 0) {
        return candidates.to_vec();
    }
    let with = |name: &str| -> BTreeSet<usize> {
        candidates
            .iter()
            .copied()
            .filter(|&n| has(n, name))
            .collect()
    };
    let all: BTreeSet<usize> = candidates.iter().copied().collect();
    let mut result = all.clone();
    let mut group: Option<BTreeSet<usize>> = None;
    let (mut last_op, mut group_op) = (FeatureOp::And, FeatureOp::And);
    let mut last_paren = 0;
    for item in items {
        if last_paren < item.paren {
            // A parenthesised group starts: it is combined on its own.
            group_op = last_op;
            last_op = FeatureOp::And;
            group = Some(all.clone());
        }
        let work = group.as_mut().unwrap_or(&mut result);
        let nodes = with(&item.name);
        if matches!(item.op, FeatureOp::XAnd | FeatureOp::XOr) {
            // Bracketed: left to the selection proper.
        } else if last_op == FeatureOp::And {
            *work = work.intersection(&nodes).copied().collect();
        } else if last_op == FeatureOp::Or {
            work.extend(nodes);
        }
        if last_paren > item.paren {
            if let Some(g) = group.take() {
                result = match group_op {
                    FeatureOp::And => result.intersection(&g).copied().collect(),
                    _ => result.union(&g).copied().collect(),
                };
            }
        }
        last_op = item.op;
        last_paren = item.paren;
    }
    result.into_iter().collect()
}
