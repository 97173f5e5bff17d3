//! First pass: read the file(s) into validated but uninterpreted settings,
//! following `Include`s (upstream `s_p_parse_file` and the per-line
//! handlers' option tables in `read_config.c`).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::error::{ConfError, Location};
use super::keys::{self, KeyKind};
use super::reader::{self, next_pair};
use super::values;
use super::MAX_INCLUDE_DEPTH;

/// One `key=value` as written, with where it was.
#[derive(Debug, Clone)]
pub(crate) struct Setting {
    pub value: String,
    pub at: Location,
}

/// One entity line: `NodeName=... opts`, `PartitionName=... opts`, ...
#[derive(Debug, Clone)]
pub(crate) struct EntityLine {
    /// Canonical entity key (`NodeName`, `PartitionName`, ...).
    pub kind: &'static str,
    /// The entity's own value (`n[1-4]`, `debug`, `DEFAULT`, ...).
    pub name: String,
    /// Options by canonical key; a repeated option keeps the last value.
    pub options: HashMap<&'static str, String>,
    pub at: Location,
}

/// Everything read from the file(s), before interpretation.
#[derive(Debug, Default)]
pub(crate) struct RawConf {
    pub scalars: HashMap<&'static str, Setting>,
    pub entities: Vec<EntityLine>,
    pub hash: u32,
}

const NODE_OPTIONS: &[(&str, KeyKind)] = &[
    ("BcastAddr", KeyKind::Str),
    ("Boards", KeyKind::U16),
    ("CoreSpecCount", KeyKind::U16),
    ("CoresPerSocket", KeyKind::U16),
    ("CPUs", KeyKind::U16),
    ("CPUSpecList", KeyKind::Str),
    ("CpuBind", KeyKind::Str),
    ("Feature", KeyKind::Str),
    ("Features", KeyKind::Str),
    ("Gres", KeyKind::Str),
    ("MemSpecLimit", KeyKind::U64),
    ("NodeAddr", KeyKind::Str),
    ("NodeHostname", KeyKind::Str),
    ("Port", KeyKind::Str),
    ("Procs", KeyKind::U16),
    ("RealMemory", KeyKind::U64),
    ("Reason", KeyKind::Str),
    ("Sockets", KeyKind::U16),
    ("SocketsPerBoard", KeyKind::U16),
    ("State", KeyKind::Str),
    ("ThreadsPerCore", KeyKind::U16),
    ("TmpDisk", KeyKind::U32),
    ("TRESWeights", KeyKind::Str),
    ("Weight", KeyKind::U32),
];

const PARTITION_OPTIONS: &[(&str, KeyKind)] = &[
    ("AllocNodes", KeyKind::Str),
    ("AllowAccounts", KeyKind::Str),
    ("AllowGroups", KeyKind::Str),
    ("AllowQos", KeyKind::Str),
    ("Alternate", KeyKind::Str),
    ("CpuBind", KeyKind::Str),
    ("DefCPUPerGPU", KeyKind::U64),
    ("DefMemPerCPU", KeyKind::U64),
    ("DefMemPerGPU", KeyKind::U64),
    ("DefMemPerNode", KeyKind::U64),
    ("Default", KeyKind::Bool),
    ("DefaultTime", KeyKind::Str),
    ("DenyAccounts", KeyKind::Str),
    ("DenyQos", KeyKind::Str),
    ("DisableRootJobs", KeyKind::Bool),
    ("ExclusiveUser", KeyKind::Bool),
    ("GraceTime", KeyKind::U32),
    ("Hidden", KeyKind::Bool),
    ("LLN", KeyKind::Bool),
    ("MaxCPUsPerNode", KeyKind::U32),
    ("MaxMemPerCPU", KeyKind::U64),
    ("MaxMemPerNode", KeyKind::U64),
    ("MaxTime", KeyKind::Str),
    ("MaxNodes", KeyKind::U32),
    ("MinNodes", KeyKind::U32),
    ("Nodes", KeyKind::Str),
    ("OverSubscribe", KeyKind::Str),
    ("OverTimeLimit", KeyKind::Str),
    ("PreemptMode", KeyKind::Str),
    ("Priority", KeyKind::U16),
    ("PriorityJobFactor", KeyKind::U16),
    ("PriorityTier", KeyKind::U16),
    ("QOS", KeyKind::Str),
    ("RootOnly", KeyKind::Bool),
    ("ReqResv", KeyKind::Bool),
    ("ResumeTimeout", KeyKind::U16),
    ("SelectTypeParameters", KeyKind::Str),
    ("Shared", KeyKind::Str),
    ("State", KeyKind::Str),
    ("SuspendTime", KeyKind::Str),
    ("SuspendTimeout", KeyKind::U16),
    ("TRESBillingWeights", KeyKind::Str),
];

const DOWN_NODES_OPTIONS: &[(&str, KeyKind)] = &[("Reason", KeyKind::Str), ("State", KeyKind::Str)];

const NODE_SET_OPTIONS: &[(&str, KeyKind)] = &[("Feature", KeyKind::Str), ("Nodes", KeyKind::Str)];

const FRONTEND_OPTIONS: &[(&str, KeyKind)] = &[
    ("AllowGroups", KeyKind::Str),
    ("AllowUsers", KeyKind::Str),
    ("DenyGroups", KeyKind::Str),
    ("DenyUsers", KeyKind::Str),
    ("FrontendAddr", KeyKind::Str),
    ("Port", KeyKind::U16),
    ("Reason", KeyKind::Str),
    ("State", KeyKind::Str),
];

fn entity_options(kind: &str) -> &'static [(&'static str, KeyKind)] {
    match kind {
        "NodeName" => NODE_OPTIONS,
        "PartitionName" => PARTITION_OPTIONS,
        "DownNodes" => DOWN_NODES_OPTIONS,
        "NodeSet" => NODE_SET_OPTIONS,
        "FrontendName" => FRONTEND_OPTIONS,
        _ => &[],
    }
}

/// Check a value against its key's type at read time, as upstream's
/// handlers do, so the error points at the line.
fn check_kind(kind: KeyKind, key: &str, value: &str, at: &Location) -> Result<(), ConfError> {
    let res = match kind {
        KeyKind::Str | KeyKind::Line => Ok(()),
        KeyKind::U16 => values::parse_u16(value).map(drop),
        KeyKind::U32 => values::parse_u32(value).map(drop),
        KeyKind::U64 => values::parse_u64(value).map(drop),
        KeyKind::Bool => values::parse_bool(value).map(drop),
    };
    res.map_err(|reason| ConfError::bad_value(at, key, reason))
}

/// Keys upstream accepts only to reject them (`_defunct_option`).
const DEFUNCT_KEYS: &[&str] = &["SchedulerAuth"];

impl RawConf {
    /// Parse one file's text; `path` names it in errors and anchors includes.
    pub(crate) fn parse_text(
        &mut self,
        text: &str,
        path: &Path,
        depth: usize,
    ) -> Result<(), ConfError> {
        for line in reader::logical_lines(text, &mut self.hash) {
            let at = Location {
                file: path.to_path_buf(),
                line: line.line,
            };
            if line.text.is_empty() {
                continue;
            }
            if let Some((file, rest)) = reader::include_directive(&line.text) {
                self.include(file, path, depth, &at)?;
                if !reader::is_blank(rest) {
                    return Err(ConfError::Syntax {
                        at,
                        text: rest.trim().to_string(),
                    });
                }
                continue;
            }
            let Some(pair) = next_pair(&line.text) else {
                if reader::is_blank(&line.text) {
                    continue;
                }
                return Err(ConfError::Syntax {
                    at,
                    text: line.text.trim().to_string(),
                });
            };
            let Some((key, kind)) = keys::lookup(pair.key) else {
                return Err(ConfError::UnknownKey {
                    at,
                    key: pair.key.to_string(),
                });
            };
            if DEFUNCT_KEYS.contains(&key) {
                return Err(ConfError::bad_value(
                    &at,
                    key,
                    "the option is defunct, see man slurm.conf",
                ));
            }
            check_kind(kind, key, pair.value, &at)?;
            let rest = if kind == KeyKind::Line {
                self.entity(key, pair.value, pair.rest, &at)?
            } else {
                self.scalars.insert(
                    key,
                    Setting {
                        value: pair.value.to_string(),
                        at: at.clone(),
                    },
                );
                pair.rest
            };
            if !reader::is_blank(rest) {
                return Err(ConfError::Syntax {
                    at,
                    text: rest.trim().to_string(),
                });
            }
        }
        Ok(())
    }

    /// Read an entity line's options; returns what could not be parsed.
    fn entity<'a>(
        &mut self,
        kind: &'static str,
        name: &str,
        mut rest: &'a str,
        at: &Location,
    ) -> Result<&'a str, ConfError> {
        let table = entity_options(kind);
        let mut options = HashMap::new();
        while let Some(pair) = next_pair(rest) {
            let Some(&(opt, opt_kind)) =
                table.iter().find(|(n, _)| n.eq_ignore_ascii_case(pair.key))
            else {
                return Err(ConfError::UnknownKey {
                    at: at.clone(),
                    key: pair.key.to_string(),
                });
            };
            check_kind(opt_kind, opt, pair.value, at)?;
            options.insert(opt, pair.value.to_string());
            rest = pair.rest;
        }
        self.entities.push(EntityLine {
            kind,
            name: name.to_string(),
            options,
            at: at.clone(),
        });
        Ok(rest)
    }

    fn include(
        &mut self,
        file: &str,
        from: &Path,
        depth: usize,
        at: &Location,
    ) -> Result<(), ConfError> {
        if depth >= MAX_INCLUDE_DEPTH {
            return Err(ConfError::IncludeTooDeep {
                at: at.clone(),
                max: MAX_INCLUDE_DEPTH,
            });
        }
        // `%c` is replaced by ClusterName, which must already be set.
        let file = if file.contains("%c") {
            let Some(cluster) = self.scalars.get("ClusterName") else {
                return Err(ConfError::bad_value(
                    at,
                    "Include",
                    "%c used before ClusterName is set",
                ));
            };
            file.replace("%c", &cluster.value)
        } else {
            file.to_string()
        };
        let path = resolve_include(&file, from);
        let wrap = |source: ConfError| ConfError::Include {
            at: at.clone(),
            source: Box::new(source),
        };
        let text = std::fs::read_to_string(&path).map_err(|source| {
            wrap(ConfError::Io {
                path: path.clone(),
                source,
            })
        })?;
        self.parse_text(&text, &path, depth + 1).map_err(wrap)
    }
}

/// Relative include paths are taken from the including file's directory.
fn resolve_include(file: &str, from: &Path) -> PathBuf {
    let p = Path::new(file);
    if p.is_absolute() {
        return p.to_path_buf();
    }
    match from.parent() {
        Some(dir) => dir.join(p),
        None => p.to_path_buf(),
    }
}
