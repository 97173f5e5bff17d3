//! The slurm.conf line reader and `key[op]=value` tokenizer (upstream
//! `src/common/parse_config.c`: `_get_next_line`, `_keyvalue_regex`).

/// One logical line: comments removed, continuations joined, escapes undone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LogicalLine {
    /// 1-based number of the first physical line it came from.
    pub line: usize,
    pub text: String,
}

/// Fold one physical line (with its newline) into upstream's configuration
/// hash (`_compute_hash_val`, a CRC-16/CCITT-like shift register kept in a
/// `uint32_t` that is never masked). Bytes go through C's signed `char`, so
/// bytes >= 0x80 are sign-extended before the shift; we reproduce that so the
/// value slurmd compares at registration matches stock daemons.
pub(crate) fn fold_hash(hash: &mut u32, physical: &[u8]) {
    /// The CCITT polynomial 0x1021 upstream writes in decimal.
    const POLY: u32 = 0x1021;
    /// Upstream tests bit 15 even though the register is 32 bits wide.
    const TOP_BIT: u32 = 0x8000;
    for &b in physical {
        let signed = i32::from(b as i8);
        *hash ^= (signed << 8) as u32;
        for _ in 0..8 {
            if *hash & TOP_BIT != 0 {
                *hash = (*hash << 1) ^ POLY;
            } else {
                *hash <<= 1;
            }
        }
    }
}

/// Cut a physical line at the first `#` preceded by an even number of
/// backslashes (upstream `_strip_comments`).
fn strip_comment(line: &[u8]) -> &[u8] {
    let mut backslashes = 0usize;
    for (i, &c) in line.iter().enumerate() {
        if c == b'#' && backslashes.is_multiple_of(2) {
            return &line[..i];
        } else if c == b'\\' {
            backslashes += 1;
        } else {
            backslashes = 0;
        }
    }
    line
}

/// If the line ends (ignoring trailing whitespace) in an odd run of
/// backslashes, return the text to keep (without the last backslash and
/// anything after it); otherwise `None` (upstream `_strip_continuation`).
fn continuation(line: &[u8]) -> Option<&[u8]> {
    let mut end = line.len();
    while end > 0 && line[end - 1].is_ascii_whitespace() {
        end -= 1;
    }
    let run = line[..end]
        .iter()
        .rev()
        .take_while(|&&c| c == b'\\')
        .count();
    (!run.is_multiple_of(2)).then(|| &line[..end - 1])
}

/// Undo `\x` escapes: a backslash keeps the next byte literally and a lone
/// trailing backslash disappears (upstream `_strip_escapes`).
fn unescape(line: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(line.len());
    let mut i = 0;
    while i < line.len() {
        if line[i] == b'\\' {
            i += 1;
            if i >= line.len() {
                break;
            }
        }
        out.push(line[i]);
        i += 1;
    }
    out
}

/// Split a file into logical lines and fold every physical line into `hash`.
pub(crate) fn logical_lines(text: &str, hash: &mut u32) -> Vec<LogicalLine> {
    let bytes = text.as_bytes();
    let mut physical = Vec::new();
    let mut start = 0;
    while start < bytes.len() {
        let end = bytes[start..]
            .iter()
            .position(|&c| c == b'\n')
            .map_or(bytes.len(), |p| start + p + 1);
        physical.push(&bytes[start..end]);
        start = end;
    }

    let mut out = Vec::new();
    let mut i = 0;
    while i < physical.len() {
        let first = i + 1;
        let mut joined: Vec<u8> = Vec::new();
        while let Some(raw) = physical.get(i) {
            i += 1;
            fold_hash(hash, raw);
            let line = strip_comment(raw);
            match continuation(line) {
                Some(kept) => joined.extend_from_slice(kept),
                None => {
                    joined.extend_from_slice(line);
                    break;
                }
            }
        }
        let text = String::from_utf8_lossy(&unescape(&joined)).into_owned();
        out.push(LogicalLine { line: first, text });
    }
    out
}

/// The operator before `=` (used by scontrol-style updates; slurm.conf
/// lines normally use plain `=`). Upstream `slurm_parser_operator_t`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operator {
    /// `key=value`
    Set,
    /// `key+=value`
    Add,
    /// `key-=value`
    Sub,
    /// `key*=value`
    Mul,
    /// `key/=value`
    Div,
}

/// One `key[op]=value` pair and the text after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Pair<'a> {
    pub key: &'a str,
    pub op: Operator,
    pub value: &'a str,
    pub rest: &'a str,
}

fn is_space(c: u8) -> bool {
    // POSIX [[:space:]]: space, \t, \n, \v, \f, \r.
    matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// Match one pair at the start of `s`, as upstream's regex
/// `^\s*([[:alnum:]_.]+)\s*([-*+/]?)=\s*("[^"]*"|\S+)(\s|$)` does.
pub(crate) fn next_pair(s: &str) -> Option<Pair<'_>> {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() && is_space(b[i]) {
        i += 1;
    }
    let key_start = i;
    while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b'.') {
        i += 1;
    }
    if i == key_start {
        return None;
    }
    let key = &s[key_start..i];
    while i < b.len() && is_space(b[i]) {
        i += 1;
    }
    let op = match b.get(i) {
        Some(b'+') => Operator::Add,
        Some(b'-') => Operator::Sub,
        Some(b'*') => Operator::Mul,
        Some(b'/') => Operator::Div,
        _ => Operator::Set,
    };
    if op != Operator::Set {
        i += 1;
    }
    if b.get(i) != Some(&b'=') {
        return None;
    }
    i += 1;
    while i < b.len() && is_space(b[i]) {
        i += 1;
    }
    // A quoted value must be followed by whitespace or the end; otherwise
    // the regex falls back to the unquoted form, quotes included.
    if b.get(i) == Some(&b'"') {
        if let Some(close) = b[i + 1..].iter().position(|&c| c == b'"') {
            let end = i + 1 + close;
            if b.get(end + 1).is_none_or(|&c| is_space(c)) {
                return Some(Pair {
                    key,
                    op,
                    value: &s[i + 1..end],
                    rest: &s[end + 1..],
                });
            }
        }
    }
    let value_start = i;
    while i < b.len() && !is_space(b[i]) {
        i += 1;
    }
    if i == value_start {
        return None;
    }
    Some(Pair {
        key,
        op,
        value: &s[value_start..i],
        rest: &s[i..],
    })
}

/// Whether nothing but whitespace remains.
pub(crate) fn is_blank(s: &str) -> bool {
    s.bytes().all(is_space)
}

/// If the line is an `Include <file>` directive (keyword case-insensitive,
/// at the very start of the line, followed by whitespace), return the file
/// name and the text after it (upstream `_parse_include_directive`).
pub(crate) fn include_directive(line: &str) -> Option<(&str, &str)> {
    const KEYWORD: &str = "include";
    let head = line.get(..KEYWORD.len())?;
    if !head.eq_ignore_ascii_case(KEYWORD) {
        return None;
    }
    let after = &line[KEYWORD.len()..];
    if !after.bytes().next().is_some_and(is_space) {
        return None;
    }
    let trimmed = after.trim_start_matches(|c: char| c.is_ascii() && is_space(c as u8));
    let end = trimmed.bytes().position(is_space).unwrap_or(trimmed.len());
    Some((&trimmed[..end], &trimmed[end..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &str) -> Vec<(usize, String)> {
        let mut h = 0;
        logical_lines(text, &mut h)
            .into_iter()
            .map(|l| (l.line, l.text))
            .collect()
    }

    #[test]
    fn comments_continuations_escapes() {
        let got = lines("a=1 # c\nb=x\\#y\nc=one \\\n  two\r\n\\\\# d\n");
        assert_eq!(got[0], (1, "a=1 ".to_string()));
        assert_eq!(got[1], (2, "b=x#y\n".to_string()));
        assert_eq!(got[2], (3, "c=one   two\r\n".to_string()));
        assert_eq!(got[3], (5, "\\".to_string()));
    }

    #[test]
    fn pairs() {
        let p = next_pair("  Key = \"a b\" Next=2").expect("pair");
        assert_eq!((p.key, p.op, p.value), ("Key", Operator::Set, "a b"));
        let p = next_pair(p.rest).expect("pair");
        assert_eq!((p.key, p.value, p.rest), ("Next", "2", ""));
        let p = next_pair("Features+=x").expect("pair");
        assert_eq!((p.op, p.value), (Operator::Add, "x"));
        let p = next_pair("K=\"a\"b c").expect("pair");
        assert_eq!(p.value, "\"a\"b");
        assert!(next_pair("K=").is_none());
        assert!(next_pair("=v").is_none());
        // An empty option value swallows the next pair, as upstream's regex does.
        assert_eq!(next_pair("Gres= CPUs=2").map(|p| p.value), Some("CPUs=2"));
    }

    #[test]
    fn include() {
        assert_eq!(
            include_directive("Include a.conf\n"),
            Some(("a.conf", "\n"))
        );
        assert_eq!(include_directive("INCLUDE\t/x/y z"), Some(("/x/y", " z")));
        assert_eq!(include_directive("Include=a"), None);
        assert_eq!(include_directive(" Include a"), None);
    }

    #[test]
    fn hash_is_stable() {
        let mut a = 0;
        fold_hash(&mut a, b"ClusterName=x\n");
        let mut b = 0;
        fold_hash(&mut b, b"ClusterName=y\n");
        assert_ne!(a, b);
        assert_ne!(a, 0);
    }
}
