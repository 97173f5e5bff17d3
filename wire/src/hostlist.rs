//! Hostlist expressions: `n[01-10]`, `r[1-2]n[1-3]`, `a[1-3],b5` (upstream
//! `src/common/hostlist.c`, one-dimensional clusters only).
//!
//! [`expand`] is `hostlist_create` followed by iterating the hosts;
//! [`compress`] is `hostlist_push_host` for each name followed by
//! `hostlist_ranged_string`. Both follow upstream's observable behaviour,
//! including its quirks, because stock clients print and parse these strings
//! and must agree with us byte for byte.

use thiserror::Error;

/// Most hosts one `lo-hi` range may name (upstream `MAX_RANGE`, 64K).
pub const MAX_HOSTS_PER_RANGE: u64 = 64 * 1024;

/// Most values one bracket group inside a prefix may take (upstream
/// `MAX_PREFIX_CNT`), which bounds the cartesian product per level.
pub const MAX_PREFIX_COUNT: u64 = 64 * 1024;

/// Most hosts one whole expression may expand to. Upstream has no overall
/// bound (it would try to allocate billions of names for `a[0-65535]b[0-65535]`);
/// we refuse instead, so hostile input cannot exhaust memory. A million is far
/// beyond any real cluster.
pub const MAX_EXPANDED_HOSTS: usize = 1 << 20;

/// Most bytes of names one whole expression may expand to. The host count
/// alone does not bound memory: a few kilobytes of prefix in front of bracket
/// groups made each of a million names kilobytes long (gigabytes, and seconds
/// of work, from a 760-byte input the `conf` fuzz target found). 64 MiB is
/// a million names of 64 bytes each.
pub const MAX_EXPANDED_BYTES: usize = 64 << 20;

/// Most bracket groups one token may have. Each group is one level of
/// recursion when expanding; upstream has no bound, we keep hostile input
/// from exhausting the stack. Real names use one to three.
pub const MAX_BRACKET_GROUPS: usize = 64;

/// Why a hostlist expression was rejected.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum HostlistError {
    /// A range inside brackets is empty, non-numeric, negative, descending,
    /// or a box (`x`) range (upstream `_parse_single_range`: "Invalid range").
    #[error("invalid range `{range}` in hostlist `{expr}`")]
    InvalidRange {
        /// The whole expression being expanded.
        expr: String,
        /// The offending range text between commas.
        range: String,
    },
    /// One range names more than [`MAX_HOSTS_PER_RANGE`] hosts
    /// (upstream: "Too many hosts in range").
    #[error("too many hosts in range `{range}` in hostlist `{expr}` (max {MAX_HOSTS_PER_RANGE})")]
    TooManyHostsInRange {
        /// The whole expression being expanded.
        expr: String,
        /// The offending range text.
        range: String,
    },
    /// A bracket group in a prefix takes more than [`MAX_PREFIX_COUNT`] values.
    #[error("bracket group before the last one in `{token}` expands to too many values (max {MAX_PREFIX_COUNT})")]
    PrefixTooLarge {
        /// The token (one comma-separated expression) being expanded.
        token: String,
    },
    /// Text follows the last `]` of a token (upstream rejects `n[1-2]x`).
    #[error("unexpected text after `]` in hostlist token `{token}`")]
    TextAfterBracket {
        /// The token (one comma-separated expression) being expanded.
        token: String,
    },
    /// A token has more than [`MAX_BRACKET_GROUPS`] `[...]` groups.
    #[error("hostlist token `{token}` has more than {MAX_BRACKET_GROUPS} bracket groups")]
    TooManyBracketGroups {
        /// The token (one comma-separated expression) being expanded.
        token: String,
    },
    /// The expression expands to more than [`MAX_EXPANDED_HOSTS`] names.
    #[error("hostlist `{expr}` expands to more than {MAX_EXPANDED_HOSTS} hosts")]
    TooManyHosts {
        /// The whole expression being expanded.
        expr: String,
    },
    /// The names the expression expands to total more than
    /// [`MAX_EXPANDED_BYTES`].
    #[error("hostlist `{expr}` expands to more than {MAX_EXPANDED_BYTES} bytes of host names")]
    TooManyBytes {
        /// The whole expression being expanded.
        expr: String,
    },
}

/// Characters separating top-level expressions (upstream passes `"\t, "` to
/// `_hostlist_create`).
fn is_separator(c: char) -> bool {
    matches!(c, '\t' | ',' | ' ')
}

/// Split at top-level separators, keeping bracketed groups whole (upstream
/// `_next_tok`): a separator between a `[` and its first following `]` does
/// not end the token.
fn tokens(expr: &str) -> Vec<&str> {
    let b = expr.as_bytes();
    let find = |from: usize, c: u8| b[from..].iter().position(|&x| x == c).map(|p| p + from);
    let mut out = Vec::new();
    let mut i = 0;
    loop {
        while i < b.len() && is_separator(b[i] as char) {
            i += 1;
        }
        if i >= b.len() {
            break;
        }
        let start = i;
        let mut parse = start;
        'token: loop {
            while i < b.len() && !is_separator(b[i] as char) {
                i += 1;
            }
            loop {
                let Some(open) = find(parse, b'[').filter(|&o| o <= i) else {
                    break 'token;
                };
                let Some(close) = find(parse, b']').filter(|&c| c > open) else {
                    break 'token;
                };
                if close < i {
                    parse = close + 1;
                } else {
                    i = close;
                    break;
                }
            }
        }
        out.push(&expr[start..i]);
    }
    out
}

/// One `lo-hi` range as upstream's `struct _range`: the width is the length
/// of the low bound's text, which is how zero padding is preserved.
#[derive(Debug, Clone, Copy)]
struct Range {
    lo: u64,
    hi: u64,
    width: usize,
}

/// Parse an unsigned decimal like C's `strtoul(s, &end, 10)`: leading
/// whitespace and one `+` are skipped, overflow saturates. Returns the value
/// and the number of bytes consumed, or `None` when no digits were found.
fn strtoul(s: &str) -> Option<(u64, usize)> {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() && (b[i] as char).is_ascii_whitespace() {
        i += 1;
    }
    if i < b.len() && b[i] == b'+' {
        i += 1;
    }
    let digits_start = i;
    let mut v: u64 = 0;
    while i < b.len() && b[i].is_ascii_digit() {
        v = v.saturating_mul(10).saturating_add(u64::from(b[i] - b'0'));
        i += 1;
    }
    (i > digits_start).then_some((v, i))
}

/// Upstream `_parse_single_range`.
fn parse_single_range(expr: &str, text: &str) -> Result<Range, HostlistError> {
    let invalid = || HostlistError::InvalidRange {
        expr: expr.to_string(),
        range: text.to_string(),
    };
    if text.contains('x') {
        return Err(invalid());
    }
    let (lo_text, hi_text) = match text.split_once('-') {
        Some((lo, hi)) => {
            if hi.starts_with('-') {
                return Err(invalid());
            }
            (lo, Some(hi))
        }
        None => (text, None),
    };
    let (lo, lo_used) = strtoul(lo_text).ok_or_else(invalid)?;
    let hi = match hi_text {
        // Upstream only checks the low bound for trailing garbage when there
        // is no high bound (`1a-2` is accepted); we match it.
        Some(h) if !h.is_empty() => {
            let (hi, used) = strtoul(h).ok_or_else(invalid)?;
            if used != h.len() {
                return Err(invalid());
            }
            hi
        }
        Some(_) => lo,
        None => {
            if lo_used != lo_text.len() {
                return Err(invalid());
            }
            lo
        }
    };
    if lo > hi {
        return Err(invalid());
    }
    if hi - lo >= MAX_HOSTS_PER_RANGE {
        return Err(HostlistError::TooManyHostsInRange {
            expr: expr.to_string(),
            range: text.to_string(),
        });
    }
    Ok(Range {
        lo,
        hi,
        width: lo_text.len(),
    })
}

/// Upstream `_parse_range_list`: comma-separated ranges inside one bracket.
fn parse_range_list(expr: &str, text: &str) -> Result<Vec<Range>, HostlistError> {
    text.split(',')
        .map(|r| parse_single_range(expr, r))
        .collect()
}

/// Appends hosts while enforcing [`MAX_EXPANDED_HOSTS`] and
/// [`MAX_EXPANDED_BYTES`].
struct Sink<'a> {
    expr: &'a str,
    hosts: Vec<String>,
    /// Sum of the lengths of `hosts`.
    bytes: usize,
}

impl Sink<'_> {
    fn push(&mut self, host: String) -> Result<(), HostlistError> {
        if self.hosts.len() >= MAX_EXPANDED_HOSTS {
            return Err(HostlistError::TooManyHosts {
                expr: self.expr.to_string(),
            });
        }
        self.bytes += host.len();
        if self.bytes > MAX_EXPANDED_BYTES {
            return Err(HostlistError::TooManyBytes {
                expr: self.expr.to_string(),
            });
        }
        self.hosts.push(host);
        Ok(())
    }
}

/// Upstream `_push_range_list`: expand bracket groups left in the prefix
/// (rightmost first, outermost loop = leftmost group) and append the final
/// ranges for every resulting prefix.
fn push_range_list(
    sink: &mut Sink<'_>,
    token: &str,
    prefix: &str,
    ranges: &[Range],
) -> Result<(), HostlistError> {
    let group = prefix
        .rfind('[')
        .and_then(|open| prefix[open..].rfind(']').map(|close| (open, open + close)));
    let Some((open, close)) = group else {
        for r in ranges {
            for n in r.lo..=r.hi {
                sink.push(format!("{prefix}{n:0width$}", width = r.width))?;
            }
        }
        return Ok(());
    };
    let head = &prefix[..open];
    let tail = &prefix[close + 1..];
    let inner = parse_range_list(sink.expr, &prefix[open + 1..close])?;
    let mut count: u64 = 0;
    for pr in &inner {
        count = count.saturating_add(pr.hi - pr.lo + 1);
        if count > MAX_PREFIX_COUNT {
            return Err(HostlistError::PrefixTooLarge {
                token: token.to_string(),
            });
        }
    }
    for pr in &inner {
        for j in pr.lo..=pr.hi {
            let new_prefix = format!("{head}{j:0width$}{tail}", width = pr.width);
            push_range_list(sink, token, &new_prefix, ranges)?;
        }
    }
    Ok(())
}

/// Expand a hostlist expression into host names, in upstream's order
/// (`hostlist_create` + `hostlist_next`; `scontrol show hostnames`).
///
/// Expressions are separated by commas, spaces or tabs outside brackets;
/// `prefix[ranges]` expands each range with the low bound's zero padding;
/// several bracket groups form a cartesian product. Like upstream, a token
/// with `[` but no `]` is taken literally with a `]` appended to the text
/// before the `[` (`n[1-3` → `n]`), and an empty expression yields no hosts.
pub fn expand(expr: &str) -> Result<Vec<String>, HostlistError> {
    let mut sink = Sink {
        expr,
        hosts: Vec::new(),
        bytes: 0,
    };
    for tok in tokens(expr) {
        let Some(open) = tok.rfind('[') else {
            sink.push(tok.to_string())?;
            continue;
        };
        if tok.matches('[').count() > MAX_BRACKET_GROUPS {
            return Err(HostlistError::TooManyBracketGroups {
                token: tok.to_string(),
            });
        }
        let prefix = &tok[..open];
        let rest = &tok[open + 1..];
        match rest.find(']') {
            Some(close) => {
                if close + 1 != rest.len() {
                    return Err(HostlistError::TextAfterBracket {
                        token: tok.to_string(),
                    });
                }
                let ranges = parse_range_list(expr, &rest[..close])?;
                push_range_list(&mut sink, tok, prefix, &ranges)?;
            }
            None if prefix.is_empty() => sink.push(rest.to_string())?,
            None => sink.push(format!("{prefix}]"))?,
        }
    }
    Ok(sink.hosts)
}

/// A run of hosts sharing a prefix (upstream `hostrange_t`). A name with no
/// numeric suffix is a single host whose prefix is the whole name.
#[derive(Debug, Clone)]
struct HostRange {
    prefix: String,
    lo: u64,
    hi: u64,
    width: usize,
    single: bool,
}

impl HostRange {
    /// Upstream `hostname_create`: the numeric suffix is the trailing run of
    /// ASCII digits (only the last numeric run; `r1n2` has prefix `r1n`).
    fn from_name(name: &str) -> HostRange {
        let digits = name.bytes().rev().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return HostRange {
                prefix: name.to_string(),
                lo: 0,
                hi: 0,
                width: 0,
                single: true,
            };
        }
        let split = name.len() - digits;
        // strtoul saturates on overflow and upstream still accepts the suffix.
        let num = strtoul(&name[split..]).map_or(u64::MAX, |(v, _)| v);
        HostRange {
            prefix: name[..split].to_string(),
            lo: num,
            hi: num,
            width: digits,
            single: false,
        }
    }

    fn count(&self) -> u64 {
        if self.single {
            1
        } else {
            self.hi - self.lo + 1
        }
    }

    /// Upstream `hostrange_within_range`: same prefix and both numbered, so
    /// they may share one bracket (widths are not compared).
    fn shares_bracket_with(&self, other: &HostRange) -> bool {
        self.prefix == other.prefix && !self.single && !other.single
    }

    /// Upstream `hostrange_numstr` for a non-Cray, one-dimensional cluster.
    fn numstr(&self) -> String {
        if self.single {
            String::new()
        } else if self.lo < self.hi {
            format!("{:0w$}-{:0w$}", self.lo, self.hi, w = self.width)
        } else {
            format!("{:0w$}", self.lo, w = self.width)
        }
    }
}

/// Zeros needed to pad `num` to `width` (upstream `_zero_padded`).
fn zero_padded(num: u64, width: usize) -> usize {
    let digits = num.checked_ilog10().map_or(1, |l| l as usize + 1);
    width.saturating_sub(digits)
}

/// Upstream `_width_equiv`: two widths are compatible when either one applied
/// to both numbers leaves both paddings unchanged.
fn widths_compatible(n: u64, wn: usize, m: u64, wm: usize) -> bool {
    wn == wm || zero_padded(n, wn) == zero_padded(n, wm) || zero_padded(m, wm) == zero_padded(m, wn)
}

/// Compress host names into upstream's ranged form, in the given order
/// (`hostlist_push_host` per name, then `hostlist_ranged_string`; what
/// `scontrol show hostlist` prints).
///
/// Nothing is sorted or de-duplicated: a name extends the previous range only
/// if it is the next number with the same prefix and compatible width, and
/// consecutive ranges with the same prefix share one bracket
/// (`n3,n1,n2` → `n[3,1-2]`, `n1,n1,n2` → `n[1,1-2]`, `n1,m1,n2` → `n1,m1,n2`).
pub fn compress(names: &[String]) -> String {
    let mut ranges: Vec<HostRange> = Vec::new();
    for name in names {
        let hr = HostRange::from_name(name);
        if let Some(tail) = ranges.last_mut() {
            let joins = !hr.single
                && !tail.single
                && tail.prefix == hr.prefix
                && tail.hi.checked_add(1) == Some(hr.lo)
                && widths_compatible(tail.lo, tail.width, hr.lo, hr.width);
            if joins {
                tail.hi = hr.hi;
                continue;
            }
        }
        ranges.push(hr);
    }

    let mut out = String::new();
    let mut i = 0;
    while i < ranges.len() {
        if i > 0 {
            out.push(',');
        }
        let first = &ranges[i];
        let bracket = first.count() > 1
            || ranges
                .get(i + 1)
                .is_some_and(|next| first.shares_bracket_with(next));
        out.push_str(&first.prefix);
        if bracket {
            out.push('[');
        }
        out.push_str(&first.numstr());
        i += 1;
        while i < ranges.len() && ranges[i].shares_bracket_with(&ranges[i - 1]) {
            out.push(',');
            out.push_str(&ranges[i].numstr());
            i += 1;
        }
        if bracket {
            out.push(']');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ex(s: &str) -> Vec<String> {
        match expand(s) {
            Ok(v) => v,
            Err(e) => panic!("expand({s:?}) failed: {e}"),
        }
    }

    fn words(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_string).collect()
    }

    fn co(s: &str) -> String {
        compress(&s.split(',').map(str::to_string).collect::<Vec<_>>())
    }

    // Expected strings below were produced by upstream 22.05.8
    // `scontrol show hostnames X` / `scontrol show hostlist X`.

    #[test]
    fn expand_matches_upstream() {
        let cases = [
            ("n[01-10]", "n01 n02 n03 n04 n05 n06 n07 n08 n09 n10"),
            ("r[1-2]n[1-3]", "r1n1 r1n2 r1n3 r2n1 r2n2 r2n3"),
            ("a[1-3],b5", "a1 a2 a3 b5"),
            (" n1 , n2", "n1 n2"),
            ("n[1,3-4]", "n1 n3 n4"),
            ("n[00-2]", "n00 n01 n02"),
            ("n[8-10]", "n8 n9 n10"),
            ("n[1-3", "n]"),
            ("n1]", "n1]"),
            ("n[1-2],,n3", "n1 n2 n3"),
            ("n[1-2] n3", "n1 n2 n3"),
            ("n[1-2]\tn3", "n1 n2 n3"),
            ("[1-2]", "1 2"),
            ("n[1-2][3-4]", "n13 n14 n23 n24"),
            ("n[1-2]-[3]", "n1-3 n2-3"),
            ("n[1, 2]", "n1 n02"),
            ("n[+1-2]", "n01 n02"),
            ("n[1-010]", "n1 n2 n3 n4 n5 n6 n7 n8 n9 n10"),
            ("[1-3", "1-3"),
            ("n[1-]", "n1"),
            ("n[1-2", "n]"),
            ("a[1-2]b[3]", "a1b3 a2b3"),
            ("x[1-2],", "x1 x2"),
            ("localhost", "localhost"),
            ("a]b[1,2]", "a]b] 2]"),
            ("n[1-2],[3-4]", "n1 n2 3 4"),
            ("", ""),
        ];
        for (input, want) in cases {
            assert_eq!(ex(input), words(want), "input {input:?}");
        }
    }

    #[test]
    fn expand_rejects_like_upstream() {
        for bad in ["n[3-1]", "n[a-b]", "n[]", "n[-1]", "n[1--2]", "n[1x2]"] {
            assert!(
                matches!(expand(bad), Err(HostlistError::InvalidRange { .. })),
                "{bad}"
            );
        }
        assert!(matches!(
            expand("n[1-2]x"),
            Err(HostlistError::TextAfterBracket { .. })
        ));
        assert!(matches!(
            expand("n[1-2],m[1-2]]"),
            Err(HostlistError::TextAfterBracket { .. })
        ));
        assert!(matches!(
            expand("x[1-2]y[3,4]z,w"),
            Err(HostlistError::TextAfterBracket { .. })
        ));
        assert!(matches!(
            expand("n[1-65537]"),
            Err(HostlistError::TooManyHostsInRange { .. })
        ));
        // Exactly 64K hosts in one range is allowed.
        assert_eq!(ex("n[1-65536]").len(), 65536);
    }

    /// Found by the `conf` fuzz target: a long prefix in front of bracket
    /// groups expanded to a million names of ~700 bytes each (14 s, and
    /// gigabytes, for a 760-byte input).
    #[test]
    fn expand_bounds_total_bytes() {
        let long = format!("{}[0-1023]x[0-1023]", "p".repeat(700));
        let t = std::time::Instant::now();
        assert!(matches!(
            expand(&long),
            Err(HostlistError::TooManyBytes { .. })
        ));
        assert!(t.elapsed() < std::time::Duration::from_secs(5));
        // Short names still expand to the full host count.
        assert_eq!(ex("a[0-1023]b[0-1023]").len(), 1 << 20);
    }

    #[test]
    fn expand_bounds_total_hosts() {
        assert!(matches!(
            expand("a[0-65535]b[0-65535]"),
            Err(HostlistError::TooManyHosts { .. })
        ));
        assert!(matches!(
            expand("a[0-65535,0-65535]b[1]"),
            Err(HostlistError::PrefixTooLarge { .. })
        ));
        let deep = format!("n{}", "[0]".repeat(MAX_BRACKET_GROUPS + 1));
        assert!(matches!(
            expand(&deep),
            Err(HostlistError::TooManyBracketGroups { .. })
        ));
        let ok = format!("n{}", "[0]".repeat(MAX_BRACKET_GROUPS));
        assert_eq!(
            ex(&ok),
            vec![format!("n{}", "0".repeat(MAX_BRACKET_GROUPS))]
        );
        assert!(matches!(
            expand("n[99999999999999999999999-1]"),
            Err(HostlistError::InvalidRange { .. })
        ));
    }

    #[test]
    fn compress_matches_upstream() {
        let cases = [
            ("n1,n2,n3,n5", "n[1-3,5]"),
            ("n01,n02,n3", "n[01-02,3]"),
            ("n3,n1,n2", "n[3,1-2]"),
            ("n1,n1,n2", "n[1,1-2]"),
            ("r1n1,r1n2,r2n1", "r1n[1-2],r2n1"),
            ("localhost", "localhost"),
            ("a,b,a", "a,b,a"),
            ("n9,n10,n11", "n[9-11]"),
            ("n08,n09,n10", "n[08-10]"),
            ("n1x,n2x,n3x", "n1x,n2x,n3x"),
            ("n1,m1,n2", "n1,m1,n2"),
            ("n001,n01,n1", "n[001,01,1]"),
            ("n0,n00,n1", "n[0,00,1]"),
            ("n9,n10,n010", "n[9-10,010]"),
            ("n1,n2,m1,n3", "n[1-2],m1,n3"),
            ("n5,n4", "n[5,4]"),
            ("x,n1", "x,n1"),
            ("1,2,3", "[1-3]"),
            ("n1,n01", "n[1,01]"),
            ("n10,n010", "n[10,010]"),
            ("a1b2,a1b3", "a1b[2-3]"),
            ("n1,n2,n1,n2", "n[1-2,1-2]"),
        ];
        for (input, want) in cases {
            assert_eq!(co(input), want, "input {input:?}");
        }
        assert_eq!(compress(&[]), "");
    }

    #[test]
    fn compress_inverts_expand() {
        for s in ["n[1-3,5]", "n[01-10]", "r1n[1-3],r2n[1-3]", "a[1-3],b5"] {
            assert_eq!(compress(&ex(s)), s);
        }
    }
}
