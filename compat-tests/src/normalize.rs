//! Makes client output comparable between runs and between controllers.
//!
//! Only values that legitimately differ from run to run are replaced; every
//! other byte is kept, because the stock clients' exact output is what we
//! promise to reproduce.

use regex::Regex;
use std::sync::OnceLock;

/// Per-cluster substitutions plus the generic time patterns.
#[derive(Debug, Clone)]
pub struct Normalizer {
    /// (literal, placeholder), applied longest literal first.
    literals: Vec<(String, String)>,
    /// (port, placeholder): ports are replaced only as whole numbers.
    ports: Vec<(u16, String)>,
    hostname: Option<String>,
    /// Extra (pattern, replacement) rules, applied after the literals and
    /// before the generic time patterns, in the order added.
    rules: Vec<(Regex, String)>,
}

struct Patterns {
    iso_time: Regex,
    ctime: Regex,
    sid: Regex,
    number: Regex,
}

fn patterns() -> &'static Patterns {
    static P: OnceLock<Patterns> = OnceLock::new();
    P.get_or_init(|| Patterns {
        // 2026-11-26T12:00:01 (scontrol show job/node/config, sinfo -R ...).
        iso_time: Regex::new(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}").unwrap(),
        // "Thu Nov 26 11:50:15 2026": the header line of sinfo/squeue -l.
        ctime: Regex::new(
            r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [ \d]\d \d{2}:\d{2}:\d{2} \d{4}",
        )
        .unwrap(),
        // AllocNode:Sid=host:1234 — the session id of the submitting shell.
        sid: Regex::new(r"(AllocNode:Sid=[^:\s]+):\d+").unwrap(),
        number: Regex::new(r"\d+").unwrap(),
    })
}

impl Normalizer {
    pub fn new() -> Normalizer {
        let hostname = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .ok()
            .map(|h| h.trim().to_string())
            // "localhost" is what the config itself says; keep it verbatim.
            .filter(|h| !h.is_empty() && h != "localhost");
        Normalizer {
            literals: Vec::new(),
            ports: Vec::new(),
            hostname,
            rules: Vec::new(),
        }
    }

    /// Replace every match of the regex `pattern` with `replacement`
    /// (`$1` etc. refer to capture groups). Panics on a bad pattern.
    pub fn rule(mut self, pattern: &str, replacement: &str) -> Self {
        let re = Regex::new(pattern).unwrap_or_else(|e| panic!("bad pattern {pattern:?}: {e}"));
        self.rules.push((re, replacement.to_string()));
        self
    }

    /// Values that vary once jobs really run (clusters with slurmds).
    pub fn running_jobs(self) -> Self {
        self
            // scontrol show job: elapsed time of a job.
            .rule(r"\bRunTime=[0-9:-]+", "RunTime=<RUNTIME>")
            // Job environment: epoch seconds and the batch shell's pid.
            .rule(
                r"\b(SLURM_JOB_START_TIME|SLURM_JOB_END_TIME)=\d+",
                "$1=<EPOCH>",
            )
            .rule(r"\bSLURM_TASK_PID=\d+", "SLURM_TASK_PID=<PID>")
    }

    /// Replace every occurrence of `literal` (e.g. the temp dir) with `placeholder`.
    pub fn literal(mut self, literal: impl Into<String>, placeholder: &str) -> Self {
        self.literals
            .push((literal.into(), placeholder.to_string()));
        self.literals
            .sort_by_key(|(l, _)| std::cmp::Reverse(l.len()));
        self
    }

    pub fn port(mut self, port: u16, placeholder: &str) -> Self {
        self.ports.push((port, placeholder.to_string()));
        self
    }

    pub fn apply(&self, text: &str) -> String {
        let p = patterns();
        let mut s = text.to_string();
        for (lit, ph) in &self.literals {
            s = s.replace(lit.as_str(), ph);
        }
        for (re, rep) in &self.rules {
            s = re.replace_all(&s, rep.as_str()).into_owned();
        }
        s = p.iso_time.replace_all(&s, "<TIME>").into_owned();
        s = p.ctime.replace_all(&s, "<DATE>").into_owned();
        s = p.sid.replace_all(&s, "$1:<SID>").into_owned();
        if !self.ports.is_empty() {
            s = p
                .number
                .replace_all(&s, |c: &regex::Captures| {
                    let m = &c[0];
                    self.ports
                        .iter()
                        .find(|(port, _)| m == port.to_string())
                        .map(|(_, ph)| ph.clone())
                        .unwrap_or_else(|| m.to_string())
                })
                .into_owned();
        }
        if let Some(h) = &self.hostname {
            // Whole words only: the machine name may be short ("vm").
            let re = Regex::new(&format!(r"\b{}\b", regex::escape(h))).unwrap();
            s = re.replace_all(&s, "<HOSTNAME>").into_owned();
        }
        s
    }
}

impl Default for Normalizer {
    fn default() -> Self {
        Normalizer::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_volatile_parts_only() {
        let n = Normalizer {
            literals: vec![("/tmp/.tmpAbc".into(), "<DIR>".into())],
            ports: vec![(40123, "<CTLD_PORT>".into())],
            hostname: Some("vm".into()),
            rules: Vec::new(),
        };
        let out = n.apply(
            "SubmitTime=2026-11-26T11:50:18 WorkDir=/tmp/.tmpAbc port 40123 401234\n\
             AllocNode:Sid=vm:4433 vmstat\nThu Nov 26 11:50:15 2026\n",
        );
        assert_eq!(
            out,
            "SubmitTime=<TIME> WorkDir=<DIR> port <CTLD_PORT> 401234\n\
             AllocNode:Sid=<HOSTNAME>:<SID> vmstat\n<DATE>\n"
        );
    }
}
