//! Stdio file names of a batch step: upstream's `fname_create` and
//! `_create_batch_fname` / `_batch_path_check`
//! (`src/slurmd/common/fname.c`), including its quirks:
//! - a pattern that is only digits selects one task's I/O: other tasks get
//!   /dev/null;
//! - any backslash turns expansion off (backslashes are dropped, `\\`
//!   keeps one) and, for a relative name, the work dir is prefixed without
//!   a `/`;
//! - `%N` is the host name, not the node name;
//! - widths above 10 are cut to 10; an unknown letter stays as written
//!   (after a width, only its last digit survives, as upstream).

use super::{NO_VAL, SLURM_BATCH_SCRIPT};

const MAX_WIDTH: usize = 10;

/// Values the patterns draw on.
#[derive(Debug, Clone)]
pub struct FnameContext<'a> {
    /// `%j`, `%J`, `%A` when not an array job.
    pub job_id: u32,
    /// Step id (`%s`, `%J`).
    pub step_id: u32,
    /// `%A` of an array job.
    pub array_job_id: u32,
    /// `%a` ([`NO_VAL`] when not an array job; printed as is, like upstream).
    pub array_task_id: u32,
    /// `%n`.
    pub node_id: u32,
    /// `%t`.
    pub task_id: u32,
    /// `%N`.
    pub hostname: &'a str,
    /// `%u`.
    pub user_name: &'a str,
    /// `%x` (SLURM_JOB_NAME; `None` prints "(null)").
    pub job_name: Option<&'a str>,
    /// Prefix of relative names.
    pub work_dir: &'a str,
}

/// The default stdout pattern of a batch job (`_batchfilename`).
pub fn default_pattern(array_task_id: u32) -> &'static str {
    if array_task_id == NO_VAL {
        "slurm-%J.out"
    } else {
        "slurm-%A_%a.out"
    }
}

/// `fname_single_task_io`: a pattern of digits only names one task.
fn single_task(fmt: &str) -> Option<u64> {
    if fmt.is_empty() || !fmt.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(fmt.parse().unwrap_or(u64::MAX))
}

/// `remove_path_slashes`: `None` when there is no backslash.
fn remove_path_slashes(p: &str) -> Option<String> {
    if !p.contains('\\') {
        return None;
    }
    let b = p.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && b.get(i + 1) == Some(&b'\\') {
            out.push(b'\\');
            i += 2;
        } else if b[i] == b'\\' {
            i += 1;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    Some(String::from_utf8_lossy(&out).into_owned())
}

/// Expands a batch stdio pattern into a path (`fname_create` for a batch step).
pub fn expand(format: &str, ctx: &FnameContext<'_>) -> String {
    if let Some(id) = single_task(format) {
        if id != u64::from(ctx.task_id) {
            return "/dev/null".to_string();
        }
    }
    let escaped = remove_path_slashes(format);
    let mut name = String::new();
    if !format.starts_with('/') {
        name.push_str(ctx.work_dir);
        if let Some(esc) = escaped {
            name.push_str(&esc);
            return name;
        }
        if !name.ends_with('/') {
            name.push('/');
        }
    }
    if let Some(esc) = escaped {
        return esc;
    }
    name.push_str(&expand_batch(format, ctx));
    name
}

fn pad(v: u32, width: usize) -> String {
    format!("{v:0width$}")
}

/// `_create_batch_fname`: the `%` substitutions themselves.
fn expand_batch(path: &str, ctx: &FnameContext<'_>) -> String {
    let b = path.as_bytes();
    let mut out: Vec<u8> = Vec::with_capacity(b.len() + 16);
    let mut q = 0usize; // start of text not yet copied
    let mut p = 0usize;
    while p < b.len() {
        if b[p] != b'%' {
            p += 1;
            continue;
        }
        if b.get(p + 1) == Some(&b'%') {
            // "%%" → "%"
            out.extend_from_slice(&b[q..=p]);
            p += 2;
            q = p;
            continue;
        }
        p += 1;
        let mut width = 0usize;
        if p < b.len() && b[p].is_ascii_digit() {
            out.extend_from_slice(&b[q..p - 1]);
            let start = p;
            while p < b.len() && b[p].is_ascii_digit() {
                p += 1;
            }
            width = path[start..p]
                .parse::<usize>()
                .unwrap_or(usize::MAX)
                .min(MAX_WIDTH);
            q = p - 1;
            if p >= b.len() {
                break;
            }
        }
        let Some(&c) = b.get(p) else { break };
        let value = match c {
            b'a' => Some(pad(ctx.array_task_id, width)),
            b'A' => Some(pad(
                if ctx.array_task_id == NO_VAL {
                    ctx.job_id
                } else {
                    ctx.array_job_id
                },
                width,
            )),
            b'j' => Some(pad(ctx.job_id, width)),
            b'J' => {
                let mut s = pad(ctx.job_id, width);
                if ctx.step_id != SLURM_BATCH_SCRIPT {
                    s.push_str(&format!(".{}", ctx.step_id));
                }
                Some(s)
            }
            b'n' => Some(pad(ctx.node_id, width)),
            b'N' => Some(ctx.hostname.to_string()),
            b's' => Some(if ctx.step_id == SLURM_BATCH_SCRIPT {
                "batch".to_string()
            } else {
                pad(ctx.step_id, width)
            }),
            b't' => Some(pad(ctx.task_id, width)),
            b'u' => Some(ctx.user_name.to_string()),
            b'x' => Some(ctx.job_name.unwrap_or("(null)").to_string()),
            _ => None,
        };
        if let Some(v) = value {
            // Upstream copies up to the '%' (the width digits were already
            // skipped), then the value.
            let pct = path[..p].rfind('%').unwrap_or(q);
            if q <= pct {
                out.extend_from_slice(&b[q..pct]);
            }
            out.extend_from_slice(v.as_bytes());
            p += 1;
            q = p;
        }
    }
    if q < b.len() {
        out.extend_from_slice(&b[q..]);
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> FnameContext<'static> {
        FnameContext {
            job_id: 42,
            step_id: SLURM_BATCH_SCRIPT,
            array_job_id: 40,
            array_task_id: NO_VAL,
            node_id: 0,
            task_id: 0,
            hostname: "vm",
            user_name: "alice",
            job_name: Some("train"),
            work_dir: "/home/alice",
        }
    }

    #[test]
    fn all_patterns() {
        let c = ctx();
        assert_eq!(expand("out-%j.txt", &c), "/home/alice/out-42.txt");
        assert_eq!(
            expand("/o/%J-%x-%u-%N-%n-%t-%s", &c),
            "/o/42-train-alice-vm-0-0-batch"
        );
        assert_eq!(expand("/o/%A", &c), "/o/42");
        assert_eq!(expand("/o/%5j.%3t", &c), "/o/00042.000");
        assert_eq!(expand("/o/100%%-%j", &c), "/o/100%-42");
        assert_eq!(expand("/o/%12j", &c), "/o/0000000042");
        assert_eq!(expand("/o/%z%j", &c), "/o/%z42");
        assert_eq!(expand("/o/%5z", &c), "/o/5z");
        assert_eq!(expand("/o/%", &c), "/o/%");
        assert_eq!(expand("/o/a%3", &c), "/o/a3");
        let a = FnameContext {
            array_task_id: 7,
            ..ctx()
        };
        assert_eq!(
            expand(default_pattern(a.array_task_id), &a),
            "/home/alice/slurm-40_7.out"
        );
        assert_eq!(expand("/o/%A_%3a", &a), "/o/40_007");
        assert_eq!(
            expand(default_pattern(NO_VAL), &c),
            "/home/alice/slurm-42.out"
        );
        let s = FnameContext {
            step_id: 3,
            ..ctx()
        };
        assert_eq!(expand("/o/%J.%s", &s), "/o/42.3.3");
        let noname = FnameContext {
            job_name: None,
            ..ctx()
        };
        assert_eq!(expand("/o/%x", &noname), "/o/(null)");
    }

    #[test]
    fn escapes_and_single_task() {
        let c = ctx();
        assert_eq!(expand("/o/\\%j", &c), "/o/%j");
        assert_eq!(expand("o\\%j", &c), "/home/aliceo%j");
        assert_eq!(expand("/o/a\\\\b", &c), "/o/a\\b");
        assert_eq!(expand("0", &c), "/home/alice/0");
        assert_eq!(expand("1", &c), "/dev/null");
        let root = FnameContext {
            work_dir: "/",
            ..ctx()
        };
        assert_eq!(expand("x", &root), "/x");
    }
}
