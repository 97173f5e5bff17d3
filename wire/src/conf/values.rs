//! Value syntax shared by slurm.conf keys: numbers, booleans, time strings and
//! debug levels (upstream `src/common/parse_value.c`, `parse_time.c`, `log.c`).

/// Why a value was rejected; the caller adds file, line and key.
pub type ValueResult<T> = Result<T, String>;

/// Upstream's `INFINITE16` spelled as a value of a 16-bit option.
pub const INFINITE16: u16 = u16::MAX;
/// Upstream's `INFINITE` for 32-bit options.
pub const INFINITE32: u32 = u32::MAX;
/// Upstream's `INFINITE64`.
pub const INFINITE64: u64 = u64::MAX;

fn is_unlimited(s: &str) -> bool {
    s.eq_ignore_ascii_case("UNLIMITED") || s.eq_ignore_ascii_case("INFINITE")
}

/// C `strtoull(s, &end, 0)`: optional whitespace and sign, `0x` hex, leading
/// `0` octal. Returns (value, bytes used, negative, overflowed).
fn strtoull_base0(s: &str) -> Option<(u64, usize, bool, bool)> {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() && b[i].is_ascii_whitespace() {
        i += 1;
    }
    let mut negative = false;
    if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
        negative = b[i] == b'-';
        i += 1;
    }
    let (radix, start) = if b.get(i) == Some(&b'0')
        && matches!(b.get(i + 1), Some(b'x' | b'X'))
        && b.get(i + 2).is_some_and(u8::is_ascii_hexdigit)
    {
        (16u64, i + 2)
    } else if b.get(i) == Some(&b'0') {
        (8, i)
    } else {
        (10, i)
    };
    let mut j = start;
    let mut v: u64 = 0;
    let mut overflow = false;
    while let Some(d) = b.get(j).and_then(|&c| (c as char).to_digit(radix as u32)) {
        match v
            .checked_mul(radix)
            .and_then(|x| x.checked_add(u64::from(d)))
        {
            Some(n) => v = n,
            None => overflow = true,
        }
        j += 1;
    }
    (j > start).then_some((v, j, negative, overflow))
}

/// Parse an unsigned option the way `s_p_handle_uint16/32/64` do:
/// C numeric syntax, optional `k`/`K` (x1024) where `kilo` is set,
/// `UNLIMITED`/`INFINITE` → `infinite`, no negatives, at most `max`.
fn parse_unsigned(value: &str, max: u64, infinite: u64, kilo: bool) -> ValueResult<u64> {
    let bad = || format!("\"{value}\" is not a valid number");
    let Some((mut n, mut used, negative, overflow)) = strtoull_base0(value) else {
        return if is_unlimited(value) {
            Ok(infinite)
        } else {
            Err(bad())
        };
    };
    if kilo && matches!(value.as_bytes().get(used), Some(b'k' | b'K')) {
        n = n.saturating_mul(1024);
        used += 1;
    }
    if used != value.len() {
        return if is_unlimited(value) {
            Ok(infinite)
        } else {
            Err(bad())
        };
    }
    if overflow {
        return Err(format!("\"{value}\" is out of range"));
    }
    if negative {
        return Err(format!("\"{value}\" is less than zero"));
    }
    if n > max {
        return Err(format!("\"{value}\" is greater than {max}"));
    }
    Ok(n)
}

/// `S_P_UINT16` value.
pub fn parse_u16(value: &str) -> ValueResult<u16> {
    parse_unsigned(value, u64::from(u16::MAX), u64::from(INFINITE16), false)
        .and_then(|n| u16::try_from(n).map_err(|e| e.to_string()))
}

/// `S_P_UINT32` value.
pub fn parse_u32(value: &str) -> ValueResult<u32> {
    parse_unsigned(value, u64::from(u32::MAX), u64::from(INFINITE32), true)
        .and_then(|n| u32::try_from(n).map_err(|e| e.to_string()))
}

/// `S_P_UINT64` value.
pub fn parse_u64(value: &str) -> ValueResult<u64> {
    parse_unsigned(value, u64::MAX, INFINITE64, true)
}

/// `S_P_BOOLEAN` value: yes/up/true/1 or no/down/false/0, any case.
pub fn parse_bool(value: &str) -> ValueResult<bool> {
    const TRUE: [&str; 4] = ["yes", "up", "true", "1"];
    const FALSE: [&str; 4] = ["no", "down", "false", "0"];
    if TRUE.iter().any(|t| t.eq_ignore_ascii_case(value)) {
        Ok(true)
    } else if FALSE.iter().any(|f| f.eq_ignore_ascii_case(value)) {
        Ok(false)
    } else {
        Err(format!("\"{value}\" is not a valid boolean"))
    }
}

/// A time limit as upstream stores it: a number of units or INFINITE.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeLimit {
    /// `INFINITE`, `UNLIMITED` or `-1` (upstream `INFINITE`).
    Unlimited,
    /// A finite amount (minutes or seconds, as the field says).
    Finite(u32),
}

impl TimeLimit {
    /// The u32 upstream packs for this limit.
    pub fn to_wire(self) -> u32 {
        match self {
            TimeLimit::Unlimited => INFINITE32,
            TimeLimit::Finite(n) => n,
        }
    }
}

/// Upstream `_is_valid_timespec`: digits with at most one `-` (days) that
/// must come before any `:`, and at most two `:` after the days part.
fn valid_timespec(s: &str) -> bool {
    let mut dash = false;
    let mut colons = 0;
    let mut digit = false;
    for c in s.chars() {
        match c {
            '0'..='9' => digit = true,
            '-' if !dash && colons == 0 && digit => {
                dash = true;
                digit = false;
            }
            ':' if digit && colons < 2 => {
                colons += 1;
                digit = false;
            }
            _ => return false,
        }
    }
    digit || (dash && colons == 0)
}

fn scan_fields(s: &str, seps: &[char]) -> Vec<i64> {
    s.split(seps)
        .map_while(|f| {
            if f.is_empty() {
                None
            } else {
                f.parse::<i64>().ok()
            }
        })
        .collect()
}

/// Upstream `time_str2secs`: `INFINITE`/`UNLIMITED`/`-1`, `min`, `min:sec`,
/// `h:m:s`, `d-h`, `d-h:m`, `d-h:m:s`.
pub fn time_str_to_secs(s: &str) -> ValueResult<TimeLimit> {
    if s == "-1" || is_unlimited(s) {
        return Ok(TimeLimit::Unlimited);
    }
    if s.is_empty() || !valid_timespec(s) {
        return Err(format!("\"{s}\" is not a valid time"));
    }
    let total: i64 = if let Some((days, rest)) = s.split_once('-') {
        let d = days.parse::<i64>().unwrap_or(0);
        let f = scan_fields(rest, &[':']);
        let get = |i: usize| f.get(i).copied().unwrap_or(0);
        d * 86_400 + get(0) * 3_600 + get(1) * 60 + get(2)
    } else {
        let f = scan_fields(s, &[':']);
        let get = |i: usize| f.get(i).copied().unwrap_or(0);
        if f.len() == 3 {
            get(0) * 3_600 + get(1) * 60 + get(2)
        } else {
            get(0) * 60 + get(1)
        }
    };
    u32::try_from(total)
        .ok()
        .filter(|&t| t != INFINITE32)
        .map(TimeLimit::Finite)
        .ok_or_else(|| format!("\"{s}\" is out of range"))
}

/// Upstream `time_str2mins`: seconds rounded up to whole minutes.
pub fn time_str_to_mins(s: &str) -> ValueResult<TimeLimit> {
    Ok(match time_str_to_secs(s)? {
        TimeLimit::Unlimited => TimeLimit::Unlimited,
        TimeLimit::Finite(secs) => TimeLimit::Finite(secs.div_ceil(60)),
    })
}

/// Upstream `log_level_t` (`src/common/log.h`) as numbers on the wire.
pub mod log_level {
    /// `LOG_LEVEL_QUIET`
    pub const QUIET: u16 = 0;
    /// `LOG_LEVEL_FATAL`
    pub const FATAL: u16 = 1;
    /// `LOG_LEVEL_ERROR`
    pub const ERROR: u16 = 2;
    /// `LOG_LEVEL_INFO`
    pub const INFO: u16 = 3;
    /// `LOG_LEVEL_VERBOSE`
    pub const VERBOSE: u16 = 4;
    /// `LOG_LEVEL_DEBUG`
    pub const DEBUG: u16 = 5;
    /// `LOG_LEVEL_DEBUG2`
    pub const DEBUG2: u16 = 6;
    /// `LOG_LEVEL_DEBUG3`
    pub const DEBUG3: u16 = 7;
    /// `LOG_LEVEL_DEBUG4`
    pub const DEBUG4: u16 = 8;
    /// `LOG_LEVEL_DEBUG5`
    pub const DEBUG5: u16 = 9;
    /// `LOG_LEVEL_END`: "not set" for the syslog levels.
    pub const END: u16 = 10;
}

/// Upstream `log_string2num`: a level name or a number.
pub fn parse_log_level(s: &str) -> ValueResult<u16> {
    use log_level::*;
    const NAMES: [(&str, u16); 10] = [
        ("quiet", QUIET),
        ("fatal", FATAL),
        ("error", ERROR),
        ("info", INFO),
        ("verbose", VERBOSE),
        ("debug", DEBUG),
        ("debug2", DEBUG2),
        ("debug3", DEBUG3),
        ("debug4", DEBUG4),
        ("debug5", DEBUG5),
    ];
    if s.bytes().next().is_some_and(|c| c.is_ascii_digit()) {
        return s
            .parse::<u16>()
            .ok()
            .filter(|&n| n < END)
            .ok_or_else(|| format!("\"{s}\" is not a valid debug level"));
    }
    NAMES
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(s))
        .map(|&(_, v)| v)
        .ok_or_else(|| format!("\"{s}\" is not a valid debug level"))
}

/// Case-insensitive substring test (upstream `xstrcasestr`), used by the
/// many options upstream parses by searching for words in a free string.
pub fn contains_ci(haystack: &str, needle: &str) -> bool {
    haystack
        .to_ascii_lowercase()
        .contains(&needle.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers() {
        assert_eq!(parse_u16("42"), Ok(42));
        assert_eq!(parse_u16("0x10"), Ok(16));
        assert_eq!(parse_u16("010"), Ok(8));
        assert_eq!(parse_u16("UNLIMITED"), Ok(INFINITE16));
        assert!(parse_u16("65536").is_err());
        assert!(parse_u16("-1").is_err());
        assert!(parse_u16("12x").is_err());
        assert!(parse_u16("").is_err());
        assert_eq!(parse_u32("2k"), Ok(2048));
        assert_eq!(parse_u32("infinite"), Ok(INFINITE32));
        assert!(parse_u32("4294967296").is_err());
        assert_eq!(parse_u64("18446744073709551615"), Ok(u64::MAX));
        assert!(parse_u64("18446744073709551616").is_err());
    }

    #[test]
    fn booleans() {
        assert_eq!(parse_bool("YES"), Ok(true));
        assert_eq!(parse_bool("up"), Ok(true));
        assert_eq!(parse_bool("0"), Ok(false));
        assert!(parse_bool("maybe").is_err());
    }

    #[test]
    fn times() {
        use TimeLimit::*;
        assert_eq!(time_str_to_mins("INFINITE"), Ok(Unlimited));
        assert_eq!(time_str_to_mins("unlimited"), Ok(Unlimited));
        assert_eq!(time_str_to_mins("-1"), Ok(Unlimited));
        assert_eq!(time_str_to_mins("30"), Ok(Finite(30)));
        assert_eq!(time_str_to_mins("30:01"), Ok(Finite(31)));
        assert_eq!(time_str_to_mins("01:00:00"), Ok(Finite(60)));
        assert_eq!(time_str_to_mins("1-00:00:00"), Ok(Finite(1440)));
        assert_eq!(time_str_to_mins("2-3"), Ok(Finite(2 * 1440 + 180)));
        assert_eq!(time_str_to_mins("1-2:30"), Ok(Finite(1440 + 150)));
        assert_eq!(time_str_to_secs("1:2:3"), Ok(Finite(3723)));
        assert!(time_str_to_mins("abc").is_err());
        assert!(time_str_to_mins("1:2:3:4").is_err());
        assert!(time_str_to_mins("").is_err());
    }

    #[test]
    fn log_levels() {
        assert_eq!(parse_log_level("info"), Ok(log_level::INFO));
        assert_eq!(parse_log_level("DEBUG3"), Ok(log_level::DEBUG3));
        assert_eq!(parse_log_level("5"), Ok(5));
        assert!(parse_log_level("loud").is_err());
    }
}
