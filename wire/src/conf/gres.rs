//! gres.conf, and what one node's slurmd makes of it together with the
//! node's `Gres=` in slurm.conf (upstream `src/common/gres.c`: `gres_init`,
//! `_parse_gres_config`, `_parse_gres_config_node`, `gres_init_node_config`,
//! `_validate_gres_conf`, `_merge_config`, `gres_g_node_config_load`; and
//! `common_node_config_load` in `src/plugins/gres/common/gres_common.c`).
//!
//! [`GresNodeConf::from_str`] / [`GresNodeConf::from_file`] give the records
//! slurmd reports at registration ([`GresNodeConf::to_wire`], upstream
//! `gres_node_config_pack`), in upstream's order. [`GresNodeConf::devices`]
//! numbers the device files of one GRES the way the GPU environment
//! variables name them; the caller supplies the `stat` check, so this module
//! reads no files but gres.conf and its includes.
//!
//! Not reproduced: GPU AutoDetect (NVML/RSMI/oneAPI need vendor libraries
//! that Debian's build cannot load; with them missing upstream detects
//! nothing either, which is what we do) and `fake_gpus.conf` (a test aid).
//! Cores/CPUs are checked for form only (upstream maps them to machine CPU
//! ids, which only matters for task binding).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use thiserror::Error;

use super::error::{ConfError, Location};
use super::reader::{self, next_pair};
use super::MAX_INCLUDE_DEPTH;
use crate::hostlist;
use crate::msg::gres::{plugin_id, GresNodeConfig, GresSlurmdConf};

/// `GRES_CONF_*`: bits of a record's `config_flags`.
pub mod conf_flags {
    /// `GRES_CONF_HAS_MULT`: MultipleFiles.
    pub const HAS_MULT: u32 = 1 << 0;
    /// `GRES_CONF_HAS_FILE`: File or MultipleFiles.
    pub const HAS_FILE: u32 = 1 << 1;
    /// `GRES_CONF_HAS_TYPE`: Type=.
    pub const HAS_TYPE: u32 = 1 << 2;
    /// `GRES_CONF_COUNT_ONLY`: no plugin, counts only.
    pub const COUNT_ONLY: u32 = 1 << 3;
    /// `GRES_CONF_ENV_NVML`: set CUDA_VISIBLE_DEVICES.
    pub const ENV_NVML: u32 = 1 << 5;
    /// `GRES_CONF_ENV_RSMI`: set ROCR_VISIBLE_DEVICES.
    pub const ENV_RSMI: u32 = 1 << 6;
    /// `GRES_CONF_ENV_OPENCL`: set GPU_DEVICE_ORDINAL.
    pub const ENV_OPENCL: u32 = 1 << 7;
    /// `GRES_CONF_ENV_DEF`: the env flags are the GPU defaults.
    pub const ENV_DEF: u32 = 1 << 8;
    /// `GRES_CONF_SHARED`: mps / shard.
    pub const SHARED: u32 = 1 << 9;
    /// `GRES_CONF_ONE_SHARING`.
    pub const ONE_SHARING: u32 = 1 << 10;
    /// `GRES_CONF_ENV_ONEAPI`: set ZE_AFFINITY_MASK.
    pub const ENV_ONEAPI: u32 = 1 << 11;
    /// `GRES_CONF_ENV_SET`: any of the env bits.
    pub const ENV_SET: u32 = ENV_NVML | ENV_RSMI | ENV_OPENCL | ENV_ONEAPI;
}

/// `GRES_AUTODETECT_*`.
pub mod autodetect {
    /// `GRES_AUTODETECT_GPU_NVML`.
    pub const NVML: u32 = 0x1;
    /// `GRES_AUTODETECT_GPU_RSMI`.
    pub const RSMI: u32 = 0x2;
    /// `GRES_AUTODETECT_GPU_OFF`.
    pub const OFF: u32 = 0x4;
    /// `GRES_AUTODETECT_GPU_ONEAPI`.
    pub const ONEAPI: u32 = 0x8;
    /// `GRES_AUTODETECT_GPU_FLAGS`.
    pub const GPU_FLAGS: u32 = 0xff;
}

/// `NO_VAL64`: counts must stay below it.
const NO_VAL64: u64 = 0xffff_ffff_ffff_fffe;
/// `GRES_MAX_LINK`.
const MAX_LINK: i64 = 1023;
/// GRES names Debian ships a plugin for (`gres_<name>.so`); other names
/// only track counts.
const PLUGINS: [&str; 4] = ["gpu", "mps", "nic", "shard"];

/// Why gres.conf (or the GRES part of slurm.conf) is unusable: the cases
/// upstream's slurmd stops on.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum GresConfError {
    /// Syntax, unknown keys, unreadable files, bad includes.
    #[error(transparent)]
    Conf(#[from] ConfError),
    /// GresTypes cannot be used.
    #[error("GresTypes: {0}")]
    GresTypes(String),
    /// The node's `Gres=` in slurm.conf.
    #[error("slurm.conf Gres={gres}: {reason}")]
    NodeGres {
        /// The option as written.
        gres: String,
        /// What is wrong.
        reason: String,
    },
    /// One gres.conf record.
    #[error("{at}: invalid GRES record for {name}: {reason}")]
    Record {
        /// Where.
        at: Location,
        /// The GRES name.
        name: String,
        /// What is wrong.
        reason: String,
    },
    /// The records of one GRES contradict each other.
    #[error("gres.conf for {name}: {reason}")]
    Inconsistent {
        /// The GRES name.
        name: String,
        /// What is wrong.
        reason: String,
    },
    /// Two device files of one GRES are the same file.
    #[error("{name} duplicate device file name ({file})")]
    DuplicateDevice {
        /// The GRES name.
        name: String,
        /// The file.
        file: String,
    },
}

/// One GRES plugin slot (`slurm_gres_context_t`), from GresTypes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GresContext {
    /// `gres_name` as written in GresTypes.
    pub name: String,
    /// `plugin_id`.
    pub plugin_id: u32,
    /// `GRES_CONF_COUNT_ONLY` (no plugin) and `GRES_CONF_ONE_SHARING`
    /// learnt from the records.
    pub config_flags: u32,
}

fn is_shared_name(name: &str) -> bool {
    name == "mps" || name == "shard"
}

/// The GRES plugin slots in upstream's order (`gres_init`): GresTypes
/// order, except that mps/shard written before gpu move after it.
pub fn contexts(gres_types: Option<&str>) -> Result<Vec<GresContext>, GresConfError> {
    let Some(types) = gres_types.filter(|t| !t.is_empty()) else {
        return Ok(Vec::new());
    };
    let mut have_gpu = false;
    let mut order: Vec<&str> = Vec::new();
    let mut deferred: Vec<&str> = Vec::new();
    for name in types.split(',').filter(|n| !n.is_empty()) {
        if is_shared_name(name) && !have_gpu {
            deferred.push(name);
            continue;
        }
        have_gpu |= name == "gpu";
        order.push(name);
    }
    if !deferred.is_empty() {
        if !have_gpu {
            return Err(GresConfError::GresTypes(
                "gres/'shared' requires that gres/gpu also be configured".into(),
            ));
        }
        order.extend(deferred);
    }
    let mut out: Vec<GresContext> = Vec::new();
    for name in order {
        // A repeated name is ignored (with an error log upstream).
        if out.iter().any(|c| c.name == name) {
            continue;
        }
        let id = plugin_id(name);
        if let Some(other) = out.iter().find(|c| c.plugin_id == id) {
            return Err(GresConfError::GresTypes(format!(
                "Duplicate plugin_id {id} for gres/{} and gres/{name}, change gres name for one of them",
                other.name
            )));
        }
        let count_only = if PLUGINS.contains(&name) {
            0
        } else {
            conf_flags::COUNT_ONLY
        };
        out.push(GresContext {
            name: name.to_string(),
            plugin_id: id,
            config_flags: count_only,
        });
    }
    Ok(out)
}

/// What slurm.conf's `Gres=` says about one GRES of a node
/// (`gres_node_state_t`'s `gres_cnt_config`, `type_name[]`, `type_cnt_avail[]`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NodeGres {
    /// Total configured count.
    pub count: u64,
    /// (type, count) in first-seen order.
    pub types: Vec<(String, u64)>,
}

/// C `strtoll(s, &end, 10)`: the value (clamped like C on overflow) and
/// the unparsed rest.
fn strtoll(s: &str) -> (i64, &str) {
    let t = s.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let (neg, digits) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let n = digits.bytes().take_while(u8::is_ascii_digit).count();
    if n == 0 {
        return (0, s);
    }
    let mut v: i64 = 0;
    let mut overflow = false;
    for b in digits[..n].bytes() {
        let d = i64::from(b - b'0');
        match v.checked_mul(10).and_then(|x| {
            if neg {
                x.checked_sub(d)
            } else {
                x.checked_add(d)
            }
        }) {
            Some(x) => v = x,
            None => overflow = true,
        }
    }
    if overflow {
        v = if neg { i64::MIN } else { i64::MAX };
    }
    (v, &digits[n..])
}

/// Upstream `suffix_mult`: "" 1, k/kib 1024, kb 1000, ... up to p/pb;
/// `None` for anything else.
pub fn suffix_mult(suffix: &str) -> Option<u64> {
    const UNITS: [&str; 5] = ["k", "m", "g", "t", "p"];
    if suffix.is_empty() {
        return Some(1);
    }
    let s = suffix.to_ascii_lowercase();
    for (i, u) in UNITS.iter().enumerate() {
        let exp = i as u32 + 1;
        if s == *u || s == format!("{u}ib") {
            return Some(1024u64.pow(exp));
        }
        if s == format!("{u}b") {
            return Some(1000u64.pow(exp));
        }
    }
    None
}

/// One GRES's part of a node's `Gres=` (upstream `_get_gres_cnt` and
/// `gres_add_type`), with its quirks: a bare `gpu` counts 1 and ends the
/// scan; `gpu:a100` counts 1 of type a100; `(S:0-1)` is ignored; every
/// name between the first and last colon is a type. A count with a bad
/// suffix ends the scan with a warning (upstream logs an error).
pub fn node_gres(gres: Option<&str>, ctx_name: &str, warnings: &mut Vec<String>) -> NodeGres {
    let mut out = NodeGres::default();
    let Some(gres) = gres.filter(|g| !g.is_empty()) else {
        return out;
    };
    let colon = format!("{ctx_name}:");
    for tok in gres.split(',').filter(|t| !t.is_empty()) {
        if tok == ctx_name {
            out.count = 1;
            break;
        }
        if !tok.starts_with(&colon) {
            continue;
        }
        let tok = tok.rfind('(').map_or(tok, |p| &tok[..p]);
        // `tok` starts with "name:", so it has a colon.
        let last_colon = tok.rfind(':').unwrap_or(0);
        let num = &tok[last_colon + 1..];
        let (count, types_part) = if !num.starts_with(|c: char| c.is_ascii_digit()) {
            // A type without a count.
            (1u64, tok)
        } else {
            let (v, rest) = strtoll(num);
            let Some(mult) = suffix_mult(rest) else {
                warnings.push(format!("Bad GRES configuration: {tok}"));
                break;
            };
            ((v as u64).wrapping_mul(mult), &tok[..last_colon])
        };
        out.count = out.count.wrapping_add(count);
        for ty in types_part.split(':').filter(|t| !t.is_empty()).skip(1) {
            // "no_consume" is a flag, not a type.
            if ty.eq_ignore_ascii_case("no_consume") {
                continue;
            }
            let id = plugin_id(ty);
            match out.types.iter_mut().find(|(t, _)| plugin_id(t) == id) {
                Some((_, c)) => *c = c.wrapping_add(count),
                None => out.types.push((ty.to_string(), count)),
            }
        }
    }
    out
}

/// One gres.conf record (`gres_slurmd_conf_t`), also after merging.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GresConfRecord {
    /// `name` as written.
    pub name: String,
    /// `type_name`.
    pub type_name: Option<String>,
    /// `count`.
    pub count: u64,
    /// `cpu_cnt`: the node's CPU count.
    pub cpu_cnt: u32,
    /// `cpus`: Cores= (or CPUs=) as written.
    pub cpus: Option<String>,
    /// `file`: File= / MultipleFiles= as written (a hostlist of paths).
    pub file: Option<String>,
    /// `links`.
    pub links: Option<String>,
    /// `unique_id` (only AutoDetect fills it).
    pub unique_id: Option<String>,
    /// `config_flags` ([`conf_flags`]).
    pub config_flags: u32,
    /// `plugin_id`.
    pub plugin_id: u32,
}

impl GresConfRecord {
    /// The registration form of this record.
    pub fn to_wire(&self) -> GresSlurmdConf {
        GresSlurmdConf {
            count: self.count,
            cpu_cnt: self.cpu_cnt,
            config_flags: self.config_flags,
            plugin_id: self.plugin_id,
            cpus: self.cpus.clone(),
            links: self.links.clone(),
            name: Some(self.name.clone()),
            type_name: self.type_name.clone(),
            unique_id: self.unique_id.clone(),
        }
    }
}

/// Upstream's wait for a `File=` to appear (`_my_stat`): `Err` stops
/// slurmd. The caller does the file system access.
pub type FileCheck<'a> = &'a dyn Fn(&str) -> Result<(), String>;

/// What the loader needs to know about the node.
#[derive(Clone, Copy)]
pub struct NodeInput<'a> {
    /// This slurmd's NodeName (selects `NodeName=` lines).
    pub node_name: &'a str,
    /// slurm.conf `GresTypes`.
    pub gres_types: Option<&'a str>,
    /// The node's slurm.conf `Gres=`.
    pub node_gres: Option<&'a str>,
    /// CPUs of the node (`MAX(conf_cpus, block_map_size)` upstream).
    pub cpu_cnt: u32,
    /// Cores of the node (sockets × cores per socket), for checking Cores=.
    pub core_cnt: u32,
    /// ClusterName, for `%c` in `Include`.
    pub cluster_name: Option<&'a str>,
    /// Checks every file a selected line's File= / MultipleFiles= names;
    /// `None` checks nothing.
    pub file_check: Option<FileCheck<'a>>,
}

/// A device file of one GRES (`gres_device_t`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GresDevice {
    /// `index`: the bit of the GRES bitmaps this device is.
    pub index: u32,
    /// `dev_num`: the number the file name ends in (else numbered after the largest).
    pub dev_num: i32,
    /// `path`.
    pub path: String,
}

/// The node's device list of one GRES and the files left out of it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GresDevices {
    /// Usable devices, in gres.conf order.
    pub devices: Vec<GresDevice>,
    /// (path, why) of files that failed the caller's check (upstream logs
    /// them and leaves them out; the next file takes their index).
    pub skipped: Vec<(String, String)>,
}

/// One node's GRES configuration as slurmd ends up with it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GresNodeConf {
    /// The plugin slots, GresTypes order.
    pub contexts: Vec<GresContext>,
    /// The merged records, in the order registration reports them.
    pub records: Vec<GresConfRecord>,
    /// The records as the gpu and nic plugins see them (before mps/shard
    /// split the GPU records), which number the devices.
    pub device_records: Vec<GresConfRecord>,
    /// `autodetect_flags` ([`autodetect`]).
    pub autodetect: u32,
    /// What upstream only logs (ignored records, extra gres.conf GRES...).
    pub warnings: Vec<String>,
}

/// The previous line's env flags (`prev_env_flags_t`): later lines of the
/// same GRES inherit them.
#[derive(Debug, Default)]
struct PrevEnv {
    flags: u32,
    name_hash: u32,
    no_gpu_env: bool,
}

/// `gres_flags_parse`: substring matches, any case.
fn parse_flags(s: &str) -> (u32, bool, bool) {
    let l = s.to_ascii_lowercase();
    let mut f = 0;
    for (word, bit) in [
        ("countonly", conf_flags::COUNT_ONLY),
        ("nvidia_gpu_env", conf_flags::ENV_NVML),
        ("amd_gpu_env", conf_flags::ENV_RSMI),
        ("intel_gpu_env", conf_flags::ENV_ONEAPI),
        ("opencl_env", conf_flags::ENV_OPENCL),
        ("one_sharing", conf_flags::ONE_SHARING),
    ] {
        if l.contains(word) {
            f |= bit;
        }
    }
    let no_gpu_env = l.contains("no_gpu_env");
    let sharing = f & conf_flags::ONE_SHARING != 0 || l.contains("all_sharing");
    (f, no_gpu_env, sharing)
}

/// `_handle_autodetect_flags`.
fn parse_autodetect(s: &str, warnings: &mut Vec<String>) -> u32 {
    let l = s.to_ascii_lowercase();
    if l.contains("nvml") {
        autodetect::NVML
    } else if l.contains("rsmi") {
        autodetect::RSMI
    } else if l.contains("oneapi") {
        autodetect::ONEAPI
    } else if l == "off" {
        autodetect::OFF
    } else {
        warnings.push(format!("unknown autodetect flag '{s}'"));
        0
    }
}

/// `gres_links_validate`: the position of -1, or `None` when invalid.
fn links_valid(links: &str) -> bool {
    if links.is_empty() {
        return false;
    }
    let mut self_at = None;
    for (i, tok) in links.split(',').filter(|t| !t.is_empty()).enumerate() {
        let Ok(v) = tok.parse::<i64>() else {
            return false;
        };
        if !(-2..=MAX_LINK).contains(&v) {
            return false;
        }
        if v == -1 {
            if self_at.is_some() {
                return false;
            }
            self_at = Some(i);
        }
    }
    self_at.is_some()
}

/// Whether a Cores=/CPUs= list is a range list of ids below `limit`.
fn cores_valid(s: &str, limit: u32) -> bool {
    s.split(',').all(|part| {
        let mut it = part.splitn(2, '-');
        let lo = it.next().and_then(|x| x.parse::<u32>().ok());
        let hi = match it.next() {
            Some(h) => h.parse::<u32>().ok(),
            None => lo,
        };
        matches!((lo, hi), (Some(l), Some(h)) if l <= h && h < limit)
    })
}

/// The keys a `Name=` / `NodeName=` line may carry (upstream `_gres_options`).
const OPTIONS: [&str; 13] = [
    "AutoDetect",
    "Count",
    "CPUs",
    "Cores",
    "File",
    "Files",
    "Flags",
    "Link",
    "Links",
    "MultipleFiles",
    "Name",
    "Type",
    "NodeName",
];

/// First pass over gres.conf: lines in file order, includes followed.
struct Parser<'a> {
    input: NodeInput<'a>,
    contexts: &'a [GresContext],
    /// Records of `Name=` lines (reported first).
    name_records: Vec<GresConfRecord>,
    /// Records of this node's `NodeName=` lines.
    node_records: Vec<GresConfRecord>,
    /// The last line-level `AutoDetect=`, applied after the whole file.
    global_autodetect: Option<String>,
    /// Node-local AutoDetect so far.
    autodetect: u32,
    prev_env: PrevEnv,
    warnings: Vec<String>,
}

impl Parser<'_> {
    fn parse_text(&mut self, text: &str, path: &Path, depth: usize) -> Result<(), GresConfError> {
        let mut hash = 0;
        for line in reader::logical_lines(text, &mut hash) {
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
                    }
                    .into());
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
                }
                .into());
            };
            let rest = if pair.key.eq_ignore_ascii_case("AutoDetect") {
                self.global_autodetect = Some(pair.value.to_string());
                pair.rest
            } else if pair.key.eq_ignore_ascii_case("Name")
                || pair.key.eq_ignore_ascii_case("NodeName")
            {
                let node_line = pair.key.eq_ignore_ascii_case("NodeName");
                let (opts, rest) = line_options(pair.rest, &at)?;
                self.record(node_line, pair.value, opts, &at)?;
                rest
            } else {
                return Err(ConfError::UnknownKey {
                    at,
                    key: pair.key.to_string(),
                }
                .into());
            };
            if !reader::is_blank(rest) {
                return Err(ConfError::Syntax {
                    at,
                    text: rest.trim().to_string(),
                }
                .into());
            }
        }
        Ok(())
    }

    fn include(
        &mut self,
        file: &str,
        from: &Path,
        depth: usize,
        at: &Location,
    ) -> Result<(), GresConfError> {
        let wrap = |source: ConfError| ConfError::Include {
            at: at.clone(),
            source: Box::new(source),
        };
        if depth >= MAX_INCLUDE_DEPTH {
            return Err(ConfError::IncludeTooDeep {
                at: at.clone(),
                max: MAX_INCLUDE_DEPTH,
            }
            .into());
        }
        let file = match (file.contains("%c"), self.input.cluster_name) {
            (false, _) => file.to_string(),
            (true, Some(c)) => file.replace("%c", c),
            (true, None) => {
                return Err(ConfError::bad_value(
                    at,
                    "Include",
                    "%c used but ClusterName is not set",
                )
                .into())
            }
        };
        let p = Path::new(&file);
        let path = if p.is_absolute() {
            p.to_path_buf()
        } else {
            from.parent().map_or_else(|| p.to_path_buf(), |d| d.join(p))
        };
        let text = std::fs::read_to_string(&path).map_err(|source| {
            wrap(ConfError::Io {
                path: path.clone(),
                source,
            })
        })?;
        self.parse_text(&text, &path, depth + 1)
            .map_err(|e| match e {
                GresConfError::Conf(c) => GresConfError::Conf(wrap(c)),
                other => other,
            })
    }

    /// `_parse_gres_config_node` + `_parse_gres_config` for one line.
    fn record(
        &mut self,
        node_line: bool,
        value: &str,
        opts: HashMap<&'static str, String>,
        at: &Location,
    ) -> Result<(), GresConfError> {
        // A NodeName= that does not parse matches no node (upstream too).
        if node_line
            && !hostlist::expand(value)
                .is_ok_and(|hosts| hosts.iter().any(|h| h == self.input.node_name))
        {
            return Ok(());
        }
        let get = |k: &str| opts.get(k).map(String::as_str);
        let mut local_autodetect = false;
        if let Some(a) = get("AutoDetect") {
            if node_line {
                let local = parse_autodetect(a, &mut self.warnings);
                if self.autodetect != 0 && self.autodetect != local {
                    return Err(GresConfError::Record {
                        at: at.clone(),
                        name: get("Name").unwrap_or("").to_string(),
                        reason:
                            "duplicate node-local AutoDetect specification does not match the first"
                                .into(),
                    });
                }
                self.autodetect |= local;
                local_autodetect = true;
            } else {
                self.warnings.push(format!(
                    "{at}: In-line AutoDetect requires NodeName to take effect"
                ));
            }
        }
        let name = if node_line {
            match get("Name") {
                Some(n) => n.to_string(),
                None => {
                    if !local_autodetect {
                        self.warnings
                            .push(format!("{at}: Invalid GRES data, no type name"));
                    }
                    return Ok(());
                }
            }
        } else {
            value.to_string()
        };
        let err = |reason: String| GresConfError::Record {
            at: at.clone(),
            name: name.clone(),
            reason,
        };
        let mut r = GresConfRecord {
            name: name.clone(),
            cpu_cnt: self.input.cpu_cnt,
            ..Default::default()
        };
        if let Some(t) = get("Type") {
            r.type_name = Some(t.to_string());
            r.config_flags |= conf_flags::HAS_TYPE;
        }
        if let Some((key, c)) = get("Cores")
            .map(|c| ("Cores", c))
            .or_else(|| get("CPUs").map(|c| ("CPUs", c)))
        {
            if !cores_valid(c, self.input.core_cnt.max(1)) {
                self.warnings
                    .push(format!("{at}: Invalid GRES data for {name}, {key}={c}"));
            }
            r.cpus = Some(c.to_string());
        }
        let check = self.input.file_check;
        let count_files = |f: &str| {
            let files =
                hostlist::expand(f).map_err(|e| err(format!("can't parse File={f}: {e}")))?;
            if let Some(check) = check {
                for file in &files {
                    check(file)
                        .map_err(|why| err(format!("can't stat gres.conf file {file}: {why}")))?;
                }
            }
            Ok::<u64, GresConfError>(files.len() as u64)
        };
        if let Some(f) = get("File").or_else(|| get("Files")) {
            r.count = count_files(f)?;
            r.file = Some(f.to_string());
            r.config_flags |= conf_flags::HAS_FILE;
        }
        if let Some(f) = get("MultipleFiles") {
            if r.config_flags & conf_flags::HAS_FILE != 0 {
                return Err(err(
                    "File and MultipleFiles options are mutually exclusive".into()
                ));
            }
            if count_files(f)? < 2 {
                return Err(err(
                    "MultipleFiles does not contain multiple files. Use File instead".into(),
                ));
            }
            r.count = 1;
            r.file = Some(f.to_string());
            r.config_flags |= conf_flags::HAS_FILE | conf_flags::HAS_MULT;
        }
        let is_mps = name.eq_ignore_ascii_case("mps");
        let mut default_envs = true;
        if let Some(fs) = get("Flags") {
            let (mut flags, no_gpu_env, sharing) = parse_flags(fs);
            if !sharing && is_mps {
                flags |= conf_flags::ONE_SHARING;
            }
            let env = flags & conf_flags::ENV_SET;
            r.config_flags |= flags & !conf_flags::ENV_SET;
            if env != 0 && no_gpu_env {
                return Err(err(format!("Flags ({fs}) contains \"no_gpu_env\", which must be mutually exclusive to all other GRES env flags of same node and name")));
            }
            if env != 0 || no_gpu_env {
                default_envs = false;
                let p = &self.prev_env;
                if p.name_hash != 0
                    && p.name_hash == plugin_id(&name)
                    && (p.flags != env || p.no_gpu_env != no_gpu_env)
                {
                    return Err(err(format!("Flags ({fs}) does not match env flags for previous GRES of same node and name")));
                }
                r.config_flags |= env;
                self.prev_env = PrevEnv {
                    flags: env,
                    name_hash: plugin_id(&name),
                    no_gpu_env,
                };
            }
        } else if (self.prev_env.flags != 0 || self.prev_env.no_gpu_env)
            && self.prev_env.name_hash == plugin_id(&name)
        {
            default_envs = false;
            if !self.prev_env.no_gpu_env {
                r.config_flags |= self.prev_env.flags;
            }
        } else if is_mps {
            r.config_flags |= conf_flags::ONE_SHARING;
        }
        if default_envs && name.eq_ignore_ascii_case("gpu") {
            let env = conf_flags::ENV_SET | conf_flags::ENV_DEF;
            r.config_flags |= env;
            self.prev_env = PrevEnv {
                flags: env,
                name_hash: plugin_id(&name),
                no_gpu_env: false,
            };
        }
        if let Some(l) = get("Link").or_else(|| get("Links")) {
            if links_valid(l) {
                r.links = Some(l.to_string());
            } else {
                self.warnings
                    .push(format!("{at}: Ignoring invalid Links={l} for Name={name}"));
            }
        }
        if is_shared_name(&name) {
            r.config_flags |= conf_flags::SHARED;
        }
        if let Some(c) = get("Count") {
            let (v, rest) = strtoll(c);
            if v == i64::MIN || v == i64::MAX {
                return Err(err(format!("invalid count {c}")));
            }
            let mult = suffix_mult(rest).ok_or_else(|| err(format!("invalid count {c}")))?;
            let n = (v as u64).wrapping_mul(mult);
            if r.count != 0 && r.count != n && r.config_flags & conf_flags::SHARED == 0 {
                return Err(err("count does not match File value".into()));
            }
            if n >= NO_VAL64 {
                return Err(err(format!("GRES {name} has invalid count value {n}")));
            }
            r.count = n;
        } else if r.count == 0 {
            r.count = 1;
        }
        let Some(ctx) = self
            .contexts
            .iter()
            .find(|c| c.name.eq_ignore_ascii_case(&name))
        else {
            self.warnings.push(format!(
                "{at}: Ignoring gres.conf record, invalid name: {name}"
            ));
            return Ok(());
        };
        r.plugin_id = ctx.plugin_id;
        if node_line {
            self.node_records.push(r);
        } else {
            self.name_records.push(r);
        }
        Ok(())
    }
}

/// The options after a line's first key; unknown keys are errors, a
/// repeated key keeps its last value.
fn line_options<'t>(
    mut rest: &'t str,
    at: &Location,
) -> Result<(HashMap<&'static str, String>, &'t str), GresConfError> {
    let mut opts = HashMap::new();
    while let Some(pair) = next_pair(rest) {
        let Some(&key) = OPTIONS.iter().find(|k| k.eq_ignore_ascii_case(pair.key)) else {
            return Err(ConfError::UnknownKey {
                at: at.clone(),
                key: pair.key.to_string(),
            }
            .into());
        };
        // NodeName is only valid as a line's first key.
        if key == "NodeName" {
            return Err(ConfError::UnknownKey {
                at: at.clone(),
                key: pair.key.to_string(),
            }
            .into());
        }
        opts.insert(key, pair.value.to_string());
        rest = pair.rest;
    }
    Ok((opts, rest))
}

impl GresNodeConf {
    /// Reads `path` (gres.conf beside slurm.conf). A missing file means
    /// "slurm.conf only", as upstream ("Can not stat gres.conf file").
    pub fn from_file(path: impl AsRef<Path>, input: NodeInput<'_>) -> Result<Self, GresConfError> {
        let path = path.as_ref();
        match std::fs::read_to_string(path) {
            Ok(text) => Self::from_str(Some(&text), path, input),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut c = Self::from_str(None, path, input)?;
                c.warnings.insert(
                    0,
                    format!(
                        "Can not stat gres.conf file ({}), using slurm.conf data",
                        path.display()
                    ),
                );
                Ok(c)
            }
            Err(source) => Err(ConfError::Io {
                path: path.to_path_buf(),
                source,
            }
            .into()),
        }
    }

    /// Builds the node's records from gres.conf text (`None`: no gres.conf)
    /// and slurm.conf; `path` names the file in errors and anchors includes.
    #[allow(clippy::should_implement_trait)] // It needs more than a string.
    pub fn from_str(
        text: Option<&str>,
        path: impl AsRef<Path>,
        input: NodeInput<'_>,
    ) -> Result<Self, GresConfError> {
        let mut contexts = contexts(input.gres_types)?;
        if contexts.is_empty() {
            // No GRES plugins: gres.conf is not even read.
            return Ok(GresNodeConf::default());
        }
        let mut p = Parser {
            input,
            contexts: &contexts,
            name_records: Vec::new(),
            node_records: Vec::new(),
            global_autodetect: None,
            autodetect: 0,
            prev_env: PrevEnv::default(),
            warnings: Vec::new(),
        };
        if let Some(text) = text {
            p.parse_text(text, &PathBuf::from(path.as_ref()), 0)?;
        }
        if let Some(g) = p.global_autodetect.take() {
            if p.autodetect & autodetect::GPU_FLAGS == 0 {
                p.autodetect |= parse_autodetect(&g, &mut p.warnings);
            }
        }
        let Parser {
            mut name_records,
            node_records,
            autodetect,
            mut warnings,
            ..
        } = p;
        // Upstream takes all `Name=` records, then all `NodeName=` ones.
        name_records.extend(node_records);
        let mut records = name_records;
        if autodetect & (autodetect::NVML | autodetect::RSMI | autodetect::ONEAPI) != 0 {
            warnings.push(
                "AutoDetect: no GPU library can be used here, only configured GPUs are reported"
                    .into(),
            );
        }

        let mut slurm_conf: Vec<NodeGres> = Vec::new();
        for ctx in &mut contexts {
            let ng = node_gres(input.node_gres, &ctx.name, &mut warnings);
            let typed: u64 = ng.types.iter().fold(0u64, |a, (_, c)| a.wrapping_add(*c));
            if !ng.types.is_empty() && ng.count > typed {
                return Err(GresConfError::NodeGres {
                    gres: input.node_gres.unwrap_or("").to_string(),
                    reason: format!(
                        "Some {} GRES in slurm.conf have a type while others do not",
                        ctx.name
                    ),
                });
            }
            validate_records(&records, ctx)?;
            warnings.extend(conf_mismatch(&records, &ng, ctx));
            slurm_conf.push(ng);
        }
        let mut merged = Vec::new();
        for (ctx, ng) in contexts.iter().zip(&slurm_conf) {
            if ng.types.is_empty() {
                merge_one(
                    &mut records,
                    &mut merged,
                    ng.count,
                    None,
                    ctx,
                    input.cpu_cnt,
                );
            } else {
                for (ty, count) in &ng.types {
                    merge_one(
                        &mut records,
                        &mut merged,
                        *count,
                        Some(ty),
                        ctx,
                        input.cpu_cnt,
                    );
                }
            }
        }
        // The plugins' node_config_load, in plugin order: gpu and nic only
        // number their devices (from the list as it is now); mps and shard
        // rebuild the GPU records one per device file with theirs beside.
        let device_records = merged.clone();
        for ctx in &contexts {
            if is_shared_name(&ctx.name) {
                share_devices(&mut merged, &ctx.name, &mut warnings)?;
            }
        }
        // Every GPU must have a device file; the rest are dropped.
        if let Some(gpu) = contexts.iter().find(|c| c.name == "gpu") {
            merged.retain(|r| {
                let keep = r.plugin_id != gpu.plugin_id || r.file.is_some();
                if !keep {
                    warnings.push(format!(
                        "Removing file-less GPU {}:{} from final GRES list",
                        r.name,
                        r.type_name.as_deref().unwrap_or("(null)")
                    ));
                }
                keep
            });
        }
        Ok(GresNodeConf {
            contexts,
            records: merged,
            device_records,
            autodetect,
            warnings,
        })
    }

    /// The `gres_info` of a registration (`gres_node_config_pack`).
    pub fn to_wire(&self, version: u16) -> GresNodeConfig {
        GresNodeConfig {
            version,
            records: self.records.iter().map(GresConfRecord::to_wire).collect(),
        }
    }

    /// The plugin slot called `name`, if GresTypes has it.
    pub fn context(&self, name: &str) -> Option<&GresContext> {
        self.contexts.iter().find(|c| c.name == name)
    }

    /// The env flags the records of the node ask for, together
    /// (`gres_common_set_env_types_on_node_flags` over every record).
    pub fn env_flags(&self) -> u32 {
        self.device_records
            .iter()
            .fold(0, |a, r| a | (r.config_flags & conf_flags::ENV_SET))
    }

    /// The device files of GRES `name` with their bitmap indices
    /// (`common_node_config_load`). `check` is upstream's `stat` and
    /// character/block device test; a file failing it is left out without
    /// using up an index, as upstream does. A MultipleFiles record is one
    /// device (one index) however many files it has.
    pub fn devices(
        &self,
        name: &str,
        mut check: impl FnMut(&str) -> Result<(), String>,
    ) -> Result<GresDevices, GresConfError> {
        let mut out = GresDevices::default();
        let mut seen: Vec<String> = Vec::new();
        let mut index = 0u32;
        let mut max_dev_num = -1i32;
        for r in &self.device_records {
            let Some(file) = r
                .file
                .as_deref()
                .filter(|_| r.config_flags & conf_flags::HAS_FILE != 0 && r.name == name)
            else {
                continue;
            };
            let mult = r.config_flags & conf_flags::HAS_MULT != 0;
            let Ok(paths) = hostlist::expand(file) else {
                out.skipped
                    .push((file.to_string(), "can't parse gres.conf file record".into()));
                continue;
            };
            for path in paths {
                if let Err(why) = check(&path) {
                    out.skipped.push((path, why));
                    continue;
                }
                let digits = path.bytes().rev().take_while(u8::is_ascii_digit).count();
                let dev_num = if digits > 0 {
                    atoi(&path[path.len() - digits..])
                } else {
                    -1
                };
                max_dev_num = max_dev_num.max(dev_num);
                out.devices.push(GresDevice {
                    index,
                    dev_num,
                    path: path.clone(),
                });
                if mult {
                    continue;
                }
                if seen.contains(&path) {
                    return Err(GresConfError::DuplicateDevice {
                        name: name.to_string(),
                        file: path,
                    });
                }
                seen.push(path);
                index += 1;
            }
            if mult {
                index += 1;
            }
        }
        for d in &mut out.devices {
            if d.dev_num == -1 {
                max_dev_num += 1;
                d.dev_num = max_dev_num;
            }
        }
        Ok(out)
    }
}

/// C `atoi` of a run of digits (wraps like the 32-bit int it returns).
fn atoi(digits: &str) -> i32 {
    digits.bytes().fold(0i32, |a, b| {
        a.wrapping_mul(10).wrapping_add(i32::from(b - b'0'))
    })
}

/// `_validate_gres_conf` for one plugin: File= and Type= on all records
/// of a GRES or on none, and at most one record with neither.
fn validate_records(
    records: &[GresConfRecord],
    ctx: &mut GresContext,
) -> Result<(), GresConfError> {
    let mut has_file: Option<bool> = None;
    let mut has_type: Option<bool> = None;
    let mut n = 0;
    let inconsistent = |reason: &str| GresConfError::Inconsistent {
        name: ctx.name.clone(),
        reason: reason.into(),
    };
    for r in records.iter().filter(|r| r.plugin_id == ctx.plugin_id) {
        ctx.config_flags |= r.config_flags & (conf_flags::COUNT_ONLY | conf_flags::ONE_SHARING);
        n += 1;
        let f = r.config_flags & conf_flags::HAS_FILE != 0;
        if *has_file.get_or_insert(f) != f {
            return Err(inconsistent(
                "some records have \"File\" specification while others do not",
            ));
        }
        let t = r.config_flags & conf_flags::HAS_TYPE != 0;
        if *has_type.get_or_insert(t) != t {
            return Err(inconsistent(
                "some records have \"Type=\" specification while others do not",
            ));
        }
        if !f && !t && n > 1 {
            return Err(GresConfError::Inconsistent {
                name: ctx.name.clone(),
                reason: "duplicate records".into(),
            });
        }
    }
    Ok(())
}

/// `_check_conf_mismatch`: gres.conf GRES slurm.conf does not account for.
fn conf_mismatch(records: &[GresConfRecord], ng: &NodeGres, ctx: &GresContext) -> Vec<String> {
    let mut left: Vec<(Option<String>, u64, &str)> = records
        .iter()
        .filter(|r| r.plugin_id == ctx.plugin_id)
        .map(|r| (r.type_name.clone(), r.count, r.name.as_str()))
        .collect();
    let mut take = |ty: Option<&str>, mut count: u64| {
        for (t, c, _) in left.iter_mut() {
            if !eq_ci(t.as_deref(), ty) {
                continue;
            }
            if *c > count {
                *c -= count;
                return;
            }
            count -= *c;
            *c = 0;
        }
    };
    if ng.types.is_empty() {
        take(None, ng.count);
    } else {
        for (t, c) in &ng.types {
            take(Some(t), *c);
        }
    }
    left.iter()
        .filter(|(_, c, _)| *c > 0)
        .map(|(t, c, name)| {
            let ty = t.as_deref().map(|t| format!(":{t}")).unwrap_or_default();
            format!("WARNING: A line in gres.conf for GRES {name}{ty} has {c} more configured than expected in slurm.conf. Ignoring extra GRES.")
        })
        .collect()
}

/// `xstrcasecmp(a, b) == 0`, NULL equal only to NULL.
fn eq_ci(a: Option<&str>, b: Option<&str>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
        _ => false,
    }
}

/// `_merge_gres2`: the gres.conf records that make up `count` GRES of
/// type `ty` (untyped: any record, losing its type), then a record for
/// whatever gres.conf did not cover.
fn merge_one(
    records: &mut Vec<GresConfRecord>,
    out: &mut Vec<GresConfRecord>,
    mut count: u64,
    ty: Option<&str>,
    ctx: &GresContext,
    cpu_cnt: u32,
) {
    if count == 0 {
        return;
    }
    while count > 0 {
        let Some(pos) = records.iter().position(|r| {
            r.plugin_id == ctx.plugin_id && (ty.is_none() || eq_ci(r.type_name.as_deref(), ty))
        }) else {
            break;
        };
        let mut m = records.remove(pos);
        if ty.is_none() {
            m.type_name = None;
            m.config_flags &= !conf_flags::HAS_TYPE;
        }
        if m.count > count {
            // Keep only as many devices as slurm.conf has.
            m.count = count;
            if let Some(f) = &m.file {
                if let Ok(mut hosts) = hostlist::expand(f) {
                    if (hosts.len() as u64) > count {
                        hosts.truncate(count as usize);
                        m.file = Some(hostlist::compress(&hosts));
                    }
                }
            }
            count = 0;
        } else {
            count -= m.count;
        }
        out.push(m);
    }
    if count == 0 {
        return;
    }
    let mut flags = 0;
    if ctx.name.eq_ignore_ascii_case("gpu") {
        flags |= conf_flags::ENV_SET | conf_flags::ENV_DEF;
    }
    flags |= ctx.config_flags & conf_flags::COUNT_ONLY;
    if ty.is_some() {
        flags |= conf_flags::HAS_TYPE;
    }
    let rec = GresConfRecord {
        name: ctx.name.clone(),
        type_name: ty.map(str::to_string),
        count,
        cpu_cnt,
        config_flags: flags,
        plugin_id: ctx.plugin_id,
        ..Default::default()
    };
    // `add_gres_to_list` reuses a first record of count 0 (a `Count=0`
    // gres.conf line) instead of appending.
    match out.first_mut() {
        Some(first) if first.count == 0 => *first = rec,
        _ => out.push(rec),
    }
}

/// `gres_c_s_init_share_devices(list, "gpu", shared)` for registration:
/// GPU records become one record per device file; each gets a record of
/// the shared GRES (mps, shard) in front of it, taking the shared line of
/// the same file (or an even share of a file-less line's Count, or count
/// 0); shared GRES with no count at all disappear.
fn share_devices(
    list: &mut Vec<GresConfRecord>,
    shared_name: &str,
    warnings: &mut Vec<String>,
) -> Result<(), GresConfError> {
    let fatal = |reason: &str| GresConfError::Inconsistent {
        name: shared_name.to_string(),
        reason: reason.into(),
    };
    let with_type = |r: &GresConfRecord| {
        r.config_flags
            | if r.type_name.is_some() {
                conf_flags::HAS_TYPE
            } else {
                0
            }
    };
    let mut sharing = Vec::new();
    let mut shared = Vec::new();
    let mut rest = Vec::new();
    let (mut logged, mut no_file, mut with_file) = (false, 0, 0);
    for r in list.drain(..) {
        if r.name == "gpu" {
            let Some(file) = &r.file else {
                if !logged {
                    warnings.push("SHARING configuration lacks \"File\" specification".into());
                    logged = true;
                }
                rest.push(r);
                continue;
            };
            for f in hostlist::expand(file).unwrap_or_default() {
                sharing.push(GresConfRecord {
                    config_flags: with_type(&r),
                    count: 1,
                    file: Some(f),
                    ..r.clone()
                });
            }
        } else if r.name == shared_name {
            let base = GresConfRecord {
                config_flags: with_type(&r),
                links: None,
                file: None,
                ..r.clone()
            };
            match &r.file {
                None => {
                    if no_file > 0 {
                        return Err(fatal(
                            "bad configuration, multiple configurations without \"File\"",
                        ));
                    }
                    if with_file > 0 {
                        return Err(fatal("multiple configurations with and without \"File\""));
                    }
                    no_file += 1;
                    shared.push(base);
                }
                Some(file) => {
                    with_file += 1;
                    if no_file > 0 {
                        return Err(fatal("multiple configurations with and without \"File\""));
                    }
                    let files = hostlist::expand(file).unwrap_or_default();
                    let per_file = r.count / (files.len().max(1) as u64);
                    for f in files {
                        shared.push(GresConfRecord {
                            count: per_file,
                            file: Some(f),
                            ..base.clone()
                        });
                    }
                }
            }
        } else {
            rest.push(r);
        }
    }
    if sharing.is_empty() && !shared.is_empty() {
        return Err(fatal("SHARED specified without any SHARING found; failed to merge SHARED and SHARING configuration"));
    }
    let new_shared = |s: &GresConfRecord, from: Option<&GresConfRecord>| {
        let mut flags = s.config_flags;
        match from.filter(|f| f.config_flags & conf_flags::SHARED != 0) {
            Some(f) => flags |= f.config_flags,
            None => {
                flags |= conf_flags::SHARED;
                if shared_name.eq_ignore_ascii_case("mps") {
                    flags |= conf_flags::ONE_SHARING;
                }
            }
        }
        GresConfRecord {
            name: shared_name.to_string(),
            type_name: s.type_name.clone(),
            count: 0,
            cpu_cnt: s.cpu_cnt,
            cpus: s.cpus.clone(),
            file: s.file.clone(),
            links: None,
            unique_id: None,
            config_flags: flags,
            plugin_id: plugin_id(shared_name),
        }
    };
    if shared.len() == 1 && shared[0].file.is_none() {
        // One file-less line: its Count spread evenly over the devices.
        let line = shared.remove(0);
        let (mut count, mut left) = (line.count, sharing.len() as u64);
        for s in sharing {
            let mut rec = new_shared(&s, Some(&line));
            rec.count = count / left;
            count -= rec.count;
            left -= 1;
            rest.push(rec);
            rest.push(s);
        }
    } else {
        for s in sharing {
            match shared.iter().position(|x| x.file == s.file) {
                Some(p) => {
                    let mut x = shared.remove(p);
                    if s.type_name.is_some() {
                        x.config_flags |= conf_flags::HAS_TYPE;
                    }
                    if s.cpus.is_some() {
                        x.cpus = s.cpus.clone();
                        x.cpu_cnt = s.cpu_cnt;
                    }
                    x.type_name = s.type_name.clone();
                    x.unique_id = s.unique_id.clone();
                    rest.push(x);
                }
                None => rest.push(new_shared(&s, None)),
            }
            rest.push(s);
        }
        for x in shared {
            warnings.push(format!(
                "Discarding gres/'shared' configuration (File={}) without matching gres/'sharing' record",
                x.file.as_deref().unwrap_or("(null)")
            ));
        }
    }
    let total = rest
        .iter()
        .filter(|r| r.config_flags & conf_flags::SHARED != 0)
        .fold(0u64, |a, r| a.wrapping_add(r.count));
    if total == 0 {
        rest.retain(|r| r.name != shared_name);
    }
    *list = rest;
    Ok(())
}

/// cgroup.conf `ConstrainDevices` (with TaskPlugin=task/cgroup the GPU
/// environment then counts the job's own devices from 0,
/// `gres_use_local_device_index`). Unknown keys and bad lines are skipped.
pub fn cgroup_constrain_devices(cgroup_conf: &str) -> bool {
    let mut hash = 0;
    let mut on = false;
    for line in reader::logical_lines(cgroup_conf, &mut hash) {
        let mut rest = line.text.as_str();
        while let Some(p) = next_pair(rest) {
            if p.key.eq_ignore_ascii_case("ConstrainDevices") {
                on = super::values::parse_bool(p.value).unwrap_or(false);
            }
            rest = p.rest;
        }
    }
    on
}

#[cfg(test)]
mod tests;
