//! slurm.conf options that slurmctld turns into bit sets or small enums
//! before packing them: DebugFlags, PrologFlags, ReconfigFlags,
//! TaskPluginParam, PriorityFlags, PreemptMode, HealthCheckNodeState,
//! LogTimeFormat, CpuFreqDef and CpuFreqGovernors.
//!
//! Bit values are those of upstream's `slurm/slurm.h` (22.05). Which values
//! are rejected and which are quietly replaced by a default follows
//! `src/common/read_config.c`: a rejected value becomes an `Err` here (the
//! caller turns it into a [`super::ConfError`]), the others never fail.

use super::values::{contains_ci, ValueResult};

/// Splits like `strtok_r(s, ",")`: empty tokens are skipped.
fn tokens(s: &str) -> impl Iterator<Item = &str> {
    s.split(',').filter(|t| !t.is_empty())
}

/// `DEBUG_FLAG_*` bits (`debug_flags`).
pub mod debug {
    #![allow(missing_docs)] // Names are upstream's DEBUG_FLAG_* without the prefix.
    pub const SELECT_TYPE: u64 = 1 << 0;
    pub const STEPS: u64 = 1 << 1;
    pub const TRIGGERS: u64 = 1 << 2;
    pub const CPU_BIND: u64 = 1 << 3;
    pub const NET_RAW: u64 = 1 << 4;
    pub const NO_CONF_HASH: u64 = 1 << 5;
    pub const GRES: u64 = 1 << 6;
    pub const MPI: u64 = 1 << 7;
    pub const DATA: u64 = 1 << 8;
    pub const WORKQ: u64 = 1 << 9;
    pub const NET: u64 = 1 << 10;
    pub const PRIO: u64 = 1 << 11;
    pub const BACKFILL: u64 = 1 << 12;
    pub const GANG: u64 = 1 << 13;
    pub const RESERVATION: u64 = 1 << 14;
    pub const FRONT_END: u64 = 1 << 15;
    pub const SWITCH: u64 = 1 << 17;
    pub const ENERGY: u64 = 1 << 18;
    pub const EXT_SENSORS: u64 = 1 << 19;
    pub const LICENSE: u64 = 1 << 20;
    pub const PROFILE: u64 = 1 << 21;
    pub const INTERCONNECT: u64 = 1 << 22;
    pub const JOB_CONT: u64 = 1 << 24;
    pub const PROTOCOL: u64 = 1 << 26;
    pub const BACKFILL_MAP: u64 = 1 << 27;
    pub const TRACE_JOBS: u64 = 1 << 28;
    pub const ROUTE: u64 = 1 << 29;
    pub const DB_ASSOC: u64 = 1 << 30;
    pub const DB_EVENT: u64 = 1 << 31;
    pub const DB_JOB: u64 = 1 << 32;
    pub const DB_QOS: u64 = 1 << 33;
    pub const DB_QUERY: u64 = 1 << 34;
    pub const DB_RESV: u64 = 1 << 35;
    pub const DB_RES: u64 = 1 << 36;
    pub const DB_STEP: u64 = 1 << 37;
    pub const DB_USAGE: u64 = 1 << 38;
    pub const DB_WCKEY: u64 = 1 << 39;
    pub const BURST_BUF: u64 = 1 << 40;
    pub const CPU_FREQ: u64 = 1 << 41;
    pub const POWER: u64 = 1 << 42;
    pub const TIME_CRAY: u64 = 1 << 43;
    pub const DB_ARCHIVE: u64 = 1 << 44;
    pub const DB_TRES: u64 = 1 << 45;
    pub const ESEARCH: u64 = 1 << 46;
    pub const NODE_FEATURES: u64 = 1 << 47;
    pub const FEDR: u64 = 1 << 48;
    pub const HETJOB: u64 = 1 << 49;
    pub const ACCRUE: u64 = 1 << 50;
    pub const AGENT: u64 = 1 << 52;
    pub const DEPENDENCY: u64 = 1 << 53;
    pub const JAG: u64 = 1 << 54;
    pub const CGROUP: u64 = 1 << 55;
    pub const SCRIPT: u64 = 1 << 56;
}

/// DebugFlags names (case-insensitive) and their bits; several names share a bit.
const DEBUG_NAMES: &[(&str, u64)] = {
    use debug::*;
    &[
        ("Accrue", ACCRUE),
        ("Agent", AGENT),
        ("Backfill", BACKFILL),
        ("BackfillMap", BACKFILL_MAP),
        ("BurstBuffer", BURST_BUF),
        ("cgroup", CGROUP),
        ("CPU_Bind", CPU_BIND),
        ("CpuFrequency", CPU_FREQ),
        ("Data", DATA),
        ("DB_Archive", DB_ARCHIVE),
        ("DB_Assoc", DB_ASSOC),
        ("DB_Event", DB_EVENT),
        ("DB_Job", DB_JOB),
        ("DB_QOS", DB_QOS),
        ("DB_Query", DB_QUERY),
        ("DB_Reservation", DB_RESV),
        ("DB_Resource", DB_RES),
        ("DB_Step", DB_STEP),
        ("DB_TRES", DB_TRES),
        ("DB_Usage", DB_USAGE),
        ("DB_WCKey", DB_WCKEY),
        ("Dependency", DEPENDENCY),
        ("Elasticsearch", ESEARCH),
        ("Energy", ENERGY),
        ("ExtSensors", EXT_SENSORS),
        ("Federation", FEDR),
        ("FrontEnd", FRONT_END),
        ("Gang", GANG),
        ("Gres", GRES),
        ("Hetjob", HETJOB),
        ("Interconnect", INTERCONNECT),
        ("JAG", JAG),
        ("JobAccountGather", JAG),
        ("JobContainer", JOB_CONT),
        ("License", LICENSE),
        ("MPI", MPI),
        ("Net", NET),
        ("Network", NET),
        ("NetRaw", NET_RAW),
        ("NetworkRaw", NET_RAW),
        ("NO_CONF_HASH", NO_CONF_HASH),
        ("NodeFeatures", NODE_FEATURES),
        ("Power", POWER),
        ("PowerSave", POWER),
        ("Priority", PRIO),
        ("Profile", PROFILE),
        ("Protocol", PROTOCOL),
        ("Reservation", RESERVATION),
        ("Route", ROUTE),
        ("Script", SCRIPT),
        ("SelectType", SELECT_TYPE),
        ("Steps", STEPS),
        ("Switch", SWITCH),
        ("TimeCray", TIME_CRAY),
        ("TraceJobs", TRACE_JOBS),
        ("Trigger", TRIGGERS),
        ("Triggers", TRIGGERS),
        ("WorkQ", WORKQ),
        ("WorkQueue", WORKQ),
    ]
};

/// DebugFlags → `debug_flags`. An unknown name rejects the whole file, as
/// upstream; the removed "Task" flag is accepted and sets nothing.
pub fn parse_debug_flags(s: &str) -> ValueResult<u64> {
    let mut out = 0;
    for tok in tokens(s) {
        if tok.eq_ignore_ascii_case("Task") {
            continue;
        }
        match DEBUG_NAMES
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(tok))
        {
            Some((_, bit)) => out |= bit,
            None => return Err(format!("Invalid DebugFlag: {tok}")),
        }
    }
    Ok(out)
}

/// `PROLOG_FLAG_*` bits (`prolog_flags`).
pub mod prolog {
    /// Run the prolog at allocation time.
    pub const ALLOC: u16 = 0x0001;
    /// Don't block salloc/srun for the prolog.
    pub const NOHOLD: u16 = 0x0002;
    /// Create the job container at allocation.
    pub const CONTAIN: u16 = 0x0004;
    /// Serialize prolog/epilog.
    pub const SERIAL: u16 = 0x0008;
    /// X11 forwarding.
    pub const X11: u16 = 0x0010;
    /// Defer the batch launch until the prolog ends everywhere.
    pub const DEFER_BATCH: u16 = 0x0020;
}

/// PrologFlags → `prolog_flags`, with upstream's implied bits and fatal
/// combinations (`proctrack` and `job_container` are the configured plugins).
/// Assumes a build with X11 support, as distribution packages are.
pub fn parse_prolog_flags(s: &str, proctrack: &str) -> ValueResult<u16> {
    use prolog::*;
    let mut out = 0;
    for tok in tokens(s) {
        out |= match tok.to_ascii_lowercase().as_str() {
            "alloc" => ALLOC,
            "contain" => ALLOC | CONTAIN,
            "deferbatch" => DEFER_BATCH,
            "nohold" => NOHOLD,
            "serial" => SERIAL,
            "x11" => ALLOC | CONTAIN | X11,
            _ => return Err(format!("Invalid PrologFlag: {tok}")),
        };
    }
    if out & NOHOLD != 0 && out & CONTAIN != 0 {
        return Err("NoHold cannot be combined with Contain and/or X11".into());
    }
    if out & X11 != 0 && proctrack == "proctrack/linuxproc" {
        return Err("X11 cannot be combined with proctrack/linuxproc".into());
    }
    if out & NOHOLD != 0 {
        out |= ALLOC;
    }
    Ok(out)
}

/// `RECONFIG_*` bits (`reconfig_flags`).
pub mod reconfig {
    /// Keep partition info changed with scontrol across reconfigure.
    pub const KEEP_PART_INFO: u16 = 0x0001;
    /// Keep partition state changed with scontrol across reconfigure.
    pub const KEEP_PART_STAT: u16 = 0x0002;
}

/// ReconfigFlags → `reconfig_flags`.
pub fn parse_reconfig_flags(s: &str) -> ValueResult<u16> {
    let mut out = 0;
    for tok in tokens(s) {
        if tok.eq_ignore_ascii_case("KeepPartInfo") {
            out |= reconfig::KEEP_PART_INFO;
        } else if tok.eq_ignore_ascii_case("KeepPartState") {
            out |= reconfig::KEEP_PART_STAT;
        } else {
            return Err(format!("Invalid ReconfigFlag: {tok}"));
        }
    }
    Ok(out)
}

/// `cpu_bind_type_t` bits used by `task_plugin_param`.
pub mod cpu_bind {
    #![allow(missing_docs)] // Upstream's CPU_BIND_* / CPU_AUTO_BIND_* / SLURMD_OFF_SPEC.
    pub const VERBOSE: u32 = 0x0001;
    pub const TO_THREADS: u32 = 0x0002;
    pub const TO_CORES: u32 = 0x0004;
    pub const TO_SOCKETS: u32 = 0x0008;
    pub const NONE: u32 = 0x0020;
    pub const AUTO_TO_THREADS: u32 = 0x04000;
    pub const AUTO_TO_CORES: u32 = 0x10000;
    pub const AUTO_TO_SOCKETS: u32 = 0x20000;
    pub const SLURMD_OFF_SPEC: u32 = 0x40000;
}

/// TaskPluginParam → `task_plugin_param`. At most one binding unit and one
/// autobind; `task_plugin` is needed for the SlurmdOffSpec restriction.
pub fn parse_task_plugin_param(s: &str, task_plugin: &str) -> ValueResult<u32> {
    use cpu_bind::*;
    let mut out = 0;
    let (mut unit_set, mut auto_set) = (false, false);
    for tok in tokens(s) {
        let lower = tok.to_ascii_lowercase();
        let unit = match lower.as_str() {
            "none" => Some(NONE),
            "sockets" => Some(TO_SOCKETS),
            "cores" => Some(TO_CORES),
            "threads" => Some(TO_THREADS),
            _ => None,
        };
        if let Some(bit) = unit {
            if unit_set {
                return Err(format!("Bad TaskPluginParam: {tok}"));
            }
            unit_set = true;
            out |= bit;
        } else if lower == "verbose" {
            out |= VERBOSE;
        } else if let Some(v) = lower.strip_prefix("autobind=") {
            if auto_set {
                return Err("Bad TaskPluginParam: autobind already set".into());
            }
            out |= match v {
                "none" => 0,
                "threads" => AUTO_TO_THREADS,
                "cores" => AUTO_TO_CORES,
                "sockets" => AUTO_TO_SOCKETS,
                _ => {
                    return Err(format!(
                        "Bad TaskPluginParam autobind value: {}",
                        &tok["autobind=".len()..]
                    ))
                }
            };
            auto_set = true;
        } else if lower == "slurmdoffspec" {
            if contains_ci(task_plugin, "cray_aries") {
                return Err(
                    "TaskPluginParam=SlurmdOffSpec invalid with TaskPlugin=task/cray_aries".into(),
                );
            }
            out |= SLURMD_OFF_SPEC;
        } else {
            return Err(format!("Bad TaskPluginParam: {tok}"));
        }
    }
    Ok(out)
}

/// `PRIORITY_FLAGS_*` bits (`priority_flags`).
pub mod priority {
    #![allow(missing_docs)] // Upstream's PRIORITY_FLAGS_* without the prefix.
    pub const ACCRUE_ALWAYS: u16 = 1 << 0;
    pub const MAX_TRES: u16 = 1 << 1;
    pub const SIZE_RELATIVE: u16 = 1 << 2;
    pub const DEPTH_OBLIVIOUS: u16 = 1 << 3;
    pub const CALCULATE_RUNNING: u16 = 1 << 4;
    pub const FAIR_TREE: u16 = 1 << 5;
    pub const INCR_ONLY: u16 = 1 << 6;
    pub const NO_NORMAL_ASSOC: u16 = 1 << 7;
    pub const NO_NORMAL_PART: u16 = 1 << 8;
    pub const NO_NORMAL_QOS: u16 = 1 << 9;
    pub const NO_NORMAL_TRES: u16 = 1 << 10;
}

/// PriorityFlags → `priority_flags`. Upstream looks for each name as a
/// substring anywhere in the value (unknown text is ignored), starting
/// from FAIR_TREE.
pub fn parse_priority_flags(s: Option<&str>) -> u16 {
    use priority::*;
    let mut out = FAIR_TREE;
    let Some(s) = s else { return out };
    for (word, bit) in [
        ("ACCRUE_ALWAYS", ACCRUE_ALWAYS),
        ("SMALL_RELATIVE_TO_TIME", SIZE_RELATIVE),
        ("CALCULATE_RUNNING", CALCULATE_RUNNING),
    ] {
        if contains_ci(s, word) {
            out |= bit;
        }
    }
    if contains_ci(s, "DEPTH_OBLIVIOUS") {
        out = (out | DEPTH_OBLIVIOUS) & !FAIR_TREE;
    } else if contains_ci(s, "NO_FAIR_TREE") {
        out &= !FAIR_TREE;
    }
    for (word, bit) in [
        ("INCR_ONLY", INCR_ONLY),
        ("MAX_TRES", MAX_TRES),
        (
            "NO_NORMAL_ALL",
            NO_NORMAL_ASSOC | NO_NORMAL_PART | NO_NORMAL_QOS | NO_NORMAL_TRES,
        ),
        ("NO_NORMAL_ASSOC", NO_NORMAL_ASSOC),
        ("NO_NORMAL_PART", NO_NORMAL_PART),
        ("NO_NORMAL_QOS", NO_NORMAL_QOS),
        ("NO_NORMAL_TRES", NO_NORMAL_TRES),
    ] {
        if contains_ci(s, word) {
            out |= bit;
        }
    }
    out
}

/// `PREEMPT_MODE_*` values (`preempt_mode`).
pub mod preempt {
    #![allow(missing_docs)] // Upstream's PREEMPT_MODE_* without the prefix.
    pub const OFF: u16 = 0x0000;
    pub const SUSPEND: u16 = 0x0001;
    pub const REQUEUE: u16 = 0x0002;
    pub const CANCEL: u16 = 0x0008;
    pub const COND_OFF: u16 = 0x0010;
    pub const WITHIN: u16 = 0x4000;
    pub const GANG: u16 = 0x8000;
}

/// `preempt_mode_num`: one mode (OFF/CLUSTER, CANCEL, REQUEUE,
/// SUSPEND/ON), optionally with GANG or WITHIN (not both). `None` where
/// upstream returns NO_VAL16.
pub fn preempt_mode_num(s: &str) -> Option<u16> {
    use preempt::*;
    let mut mode = 0u16;
    let mut modes = 0;
    for tok in tokens(s) {
        match tok.to_ascii_lowercase().as_str() {
            "gang" => mode |= GANG,
            "within" => mode |= WITHIN,
            "off" | "cluster" => modes += 1,
            // Upstream adds the mode values; with two modes the result is
            // refused below anyway, so OR is equivalent.
            "cancel" => {
                mode |= CANCEL;
                modes += 1;
            }
            "requeue" => {
                mode |= REQUEUE;
                modes += 1;
            }
            "on" | "suspend" => {
                mode |= SUSPEND;
                modes += 1;
            }
            _ => return None,
        }
    }
    if modes > 1 || (mode & GANG != 0 && mode & WITHIN != 0) {
        return None;
    }
    Some(mode)
}

/// PreemptMode → `preempt_mode`, checked against PreemptType as
/// read_config.c does (`None` = OFF).
pub fn parse_preempt_mode(s: Option<&str>, preempt_type: &str) -> ValueResult<u16> {
    use preempt::*;
    let mode = match s {
        None => OFF,
        Some(v) => {
            let m = preempt_mode_num(v).ok_or_else(|| format!("PreemptMode={v} invalid"))?;
            if m == SUSPEND {
                return Err("PreemptMode=SUSPEND requires GANG too".into());
            }
            m
        }
    };
    let base = mode & !GANG;
    let incompatible = match preempt_type {
        "preempt/qos" | "preempt/partition_prio" => base & !WITHIN == OFF,
        "preempt/none" => base != OFF,
        _ => false,
    };
    if incompatible {
        return Err("PreemptType and PreemptMode values incompatible".into());
    }
    Ok(mode)
}

/// `HEALTH_CHECK_*` bits (`health_check_node_state`).
pub mod health_check {
    /// Idle nodes.
    pub const NODE_IDLE: u16 = 0x0001;
    /// Fully allocated nodes.
    pub const NODE_ALLOC: u16 = 0x0002;
    /// Partly allocated nodes.
    pub const NODE_MIXED: u16 = 0x0004;
    /// Cycle through the nodes.
    pub const CYCLE: u16 = 0x8000;
    /// Every state.
    pub const NODE_ANY: u16 = 0x000f;
}

/// HealthCheckNodeState → `health_check_node_state`. Unknown words are
/// ignored; with no state word (only CYCLE, or nothing valid) ANY is added.
pub fn parse_health_check_node_state(s: Option<&str>) -> u16 {
    use health_check::*;
    let Some(s) = s else { return NODE_ANY };
    let mut out = 0;
    let mut state_set = false;
    for tok in tokens(s) {
        match tok.to_ascii_lowercase().as_str() {
            "any" => out |= NODE_ANY,
            "alloc" => out |= NODE_ALLOC,
            "idle" => out |= NODE_IDLE,
            "mixed" => out |= NODE_MIXED,
            "cycle" => {
                out |= CYCLE;
                continue;
            }
            _ => continue,
        }
        state_set = true;
    }
    if !state_set {
        out |= NODE_ANY;
    }
    out
}

/// `LOG_FMT_*` values (`log_fmt`).
pub mod log_fmt {
    #![allow(missing_docs)] // Upstream's LOG_FMT_* without the prefix.
    pub const ISO8601_MS: u16 = 0;
    pub const ISO8601: u16 = 1;
    pub const RFC5424_MS: u16 = 2;
    pub const RFC5424: u16 = 3;
    pub const CLOCK: u16 = 4;
    pub const SHORT: u16 = 5;
    pub const THREAD_ID: u16 = 6;
}

/// LogTimeFormat → `log_fmt`: the first of upstream's names found as a
/// substring, in upstream's order; anything else keeps the default
/// (iso8601_ms).
pub fn parse_log_fmt(s: Option<&str>) -> u16 {
    use log_fmt::*;
    let Some(s) = s else { return ISO8601_MS };
    [
        ("iso8601_ms", ISO8601_MS),
        ("iso8601", ISO8601),
        ("rfc5424_ms", RFC5424_MS),
        ("rfc5424", RFC5424),
        ("clock", CLOCK),
        ("short", SHORT),
        ("thread_id", THREAD_ID),
    ]
    .iter()
    .find(|(w, _)| contains_ci(s, w))
    .map_or(ISO8601_MS, |&(_, v)| v)
}

/// `CPU_FREQ_*` governor values (`cpu_freq_def`, `cpu_freq_govs`).
pub mod cpu_freq {
    #![allow(missing_docs)] // Upstream's CPU_FREQ_* without the prefix.
    pub const RANGE_FLAG: u32 = 0x8000_0000;
    pub const CONSERVATIVE: u32 = 0x8800_0000;
    pub const ONDEMAND: u32 = 0x8400_0000;
    pub const PERFORMANCE: u32 = 0x8200_0000;
    pub const POWERSAVE: u32 = 0x8100_0000;
    pub const USERSPACE: u32 = 0x8080_0000;
    pub const SCHEDUTIL: u32 = 0x8040_0000;
    /// The governors allowed when CpuFreqGovernors is unset or invalid.
    pub const DEFAULT_GOVS: u32 = ONDEMAND | PERFORMANCE | USERSPACE;
}

/// Prefix test without panicking on short or non-ASCII input.
fn starts_with_ci(s: &str, prefix: &str) -> bool {
    s.len() >= prefix.len() && s.as_bytes()[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
}

/// `_cpu_freq_check_gov`: a governor by its leading letters, minus the
/// `illegal` bits; 0 when not a (permitted) governor.
fn check_gov(s: &str, illegal: u32) -> u32 {
    use cpu_freq::*;
    let gov = [
        ("co", CONSERVATIVE),
        ("perf", PERFORMANCE),
        ("pow", POWERSAVE),
        ("user", USERSPACE),
        ("onde", ONDEMAND),
        ("sche", SCHEDUTIL),
    ]
    .iter()
    .find(|(p, _)| starts_with_ci(s, p))
    .map_or(0, |&(_, g)| g)
        & !illegal;
    if gov == 0 {
        0
    } else {
        gov | RANGE_FLAG
    }
}

/// CpuFreqDef → `cpu_freq_def`: a governor other than UserSpace; `None`
/// (NO_VAL, "Unknown") when unset or invalid, as upstream only logs it.
pub fn parse_cpu_freq_def(s: Option<&str>) -> Option<u32> {
    s.map(|v| check_gov(v, cpu_freq::USERSPACE))
        .filter(|&g| g != 0)
}

/// CpuFreqGovernors → `cpu_freq_govs`; the default set when unset or when
/// any listed governor is unknown (upstream only logs it).
pub fn parse_cpu_freq_govs(s: Option<&str>) -> u32 {
    let Some(s) = s else {
        return cpu_freq::DEFAULT_GOVS;
    };
    let mut govs = 0;
    let mut any = false;
    for tok in tokens(s) {
        let g = check_gov(tok, 0);
        if g == 0 {
            return cpu_freq::DEFAULT_GOVS;
        }
        govs |= g;
        any = true;
    }
    if any {
        govs
    } else {
        cpu_freq::DEFAULT_GOVS
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_flags() {
        assert_eq!(parse_debug_flags(""), Ok(0));
        assert_eq!(
            parse_debug_flags("Backfill,backfillmap"),
            Ok(debug::BACKFILL | debug::BACKFILL_MAP)
        );
        assert_eq!(
            parse_debug_flags("JAG,JobAccountGather,NetRaw"),
            Ok(debug::JAG | debug::NET_RAW)
        );
        assert_eq!(
            parse_debug_flags("Script,Cgroup,DB_WCKey"),
            Ok((1 << 56) | (1 << 55) | (1 << 39))
        );
        assert_eq!(parse_debug_flags("Task"), Ok(0));
        assert_eq!(parse_debug_flags(",Steps,,"), Ok(debug::STEPS));
        assert!(parse_debug_flags("Steps,Bogus").is_err());
        assert!(parse_debug_flags("Step").is_err());
    }

    #[test]
    fn prolog_flags() {
        use prolog::*;
        let pt = "proctrack/cgroup";
        assert_eq!(parse_prolog_flags("Alloc", pt), Ok(ALLOC));
        assert_eq!(parse_prolog_flags("contain", pt), Ok(ALLOC | CONTAIN));
        assert_eq!(parse_prolog_flags("X11", pt), Ok(ALLOC | CONTAIN | X11));
        assert_eq!(parse_prolog_flags("NoHold", pt), Ok(NOHOLD | ALLOC));
        assert_eq!(
            parse_prolog_flags("Serial,DeferBatch", pt),
            Ok(SERIAL | DEFER_BATCH)
        );
        assert!(parse_prolog_flags("NoHold,Contain", pt).is_err());
        assert!(parse_prolog_flags("X11", "proctrack/linuxproc").is_err());
        assert_eq!(
            parse_prolog_flags("Contain", "proctrack/linuxproc"),
            Ok(ALLOC | CONTAIN)
        );
        assert!(parse_prolog_flags("Alloc,nope", pt).is_err());
    }

    #[test]
    fn reconfig_flags() {
        assert_eq!(parse_reconfig_flags("KeepPartInfo"), Ok(1));
        assert_eq!(parse_reconfig_flags("keeppartstate,KeepPartInfo"), Ok(3));
        assert!(parse_reconfig_flags("KeepNodes").is_err());
    }

    #[test]
    fn task_plugin_param() {
        use cpu_bind::*;
        let tp = "task/affinity";
        assert_eq!(
            parse_task_plugin_param("Cores,Verbose", tp),
            Ok(TO_CORES | VERBOSE)
        );
        assert_eq!(parse_task_plugin_param("none", tp), Ok(NONE));
        assert_eq!(
            parse_task_plugin_param("autobind=Threads", tp),
            Ok(AUTO_TO_THREADS)
        );
        assert_eq!(
            parse_task_plugin_param("autobind=none,sockets", tp),
            Ok(TO_SOCKETS)
        );
        assert_eq!(
            parse_task_plugin_param("SlurmdOffSpec", tp),
            Ok(SLURMD_OFF_SPEC)
        );
        assert!(parse_task_plugin_param("SlurmdOffSpec", "task/cray_aries").is_err());
        assert!(parse_task_plugin_param("cores,threads", tp).is_err());
        assert!(parse_task_plugin_param("autobind=cores,autobind=none", tp).is_err());
        assert!(parse_task_plugin_param("autobind=boards", tp).is_err());
        assert!(parse_task_plugin_param("Sched", tp).is_err());
    }

    #[test]
    fn priority_flags() {
        use priority::*;
        assert_eq!(parse_priority_flags(None), FAIR_TREE);
        assert_eq!(
            parse_priority_flags(Some("ACCRUE_ALWAYS")),
            FAIR_TREE | ACCRUE_ALWAYS
        );
        assert_eq!(
            parse_priority_flags(Some("no_fair_tree,max_tres")),
            MAX_TRES
        );
        assert_eq!(
            parse_priority_flags(Some("DEPTH_OBLIVIOUS")),
            DEPTH_OBLIVIOUS
        );
        assert_eq!(
            parse_priority_flags(Some("NO_NORMAL_ALL,SMALL_RELATIVE_TO_TIME")),
            FAIR_TREE
                | SIZE_RELATIVE
                | NO_NORMAL_ASSOC
                | NO_NORMAL_PART
                | NO_NORMAL_QOS
                | NO_NORMAL_TRES
        );
        assert_eq!(parse_priority_flags(Some("whatever")), FAIR_TREE);
        assert_eq!(parse_priority_flags(Some("")), FAIR_TREE);
    }

    #[test]
    fn preempt_mode() {
        use preempt::*;
        assert_eq!(parse_preempt_mode(None, "preempt/none"), Ok(OFF));
        assert_eq!(parse_preempt_mode(Some("GANG"), "preempt/none"), Ok(GANG));
        assert_eq!(
            parse_preempt_mode(Some("requeue"), "preempt/qos"),
            Ok(REQUEUE)
        );
        assert_eq!(
            parse_preempt_mode(Some("suspend,gang"), "preempt/partition_prio"),
            Ok(SUSPEND | GANG)
        );
        assert_eq!(
            parse_preempt_mode(Some("cancel,within"), "preempt/qos"),
            Ok(CANCEL | WITHIN)
        );
        assert!(parse_preempt_mode(Some("suspend"), "preempt/qos").is_err());
        assert!(parse_preempt_mode(Some("requeue"), "preempt/none").is_err());
        assert!(parse_preempt_mode(None, "preempt/qos").is_err());
        assert!(parse_preempt_mode(Some("within"), "preempt/qos").is_err());
        assert!(parse_preempt_mode(Some("cancel,requeue"), "preempt/qos").is_err());
        assert!(parse_preempt_mode(Some("gang,within,cancel"), "preempt/qos").is_err());
        assert!(parse_preempt_mode(Some("sideways"), "preempt/qos").is_err());
        assert_eq!(preempt_mode_num("OFF"), Some(OFF));
        assert_eq!(preempt_mode_num("cluster,gang"), Some(GANG));
    }

    #[test]
    fn health_check_node_state() {
        use health_check::*;
        assert_eq!(parse_health_check_node_state(None), NODE_ANY);
        assert_eq!(
            parse_health_check_node_state(Some("IDLE,mixed")),
            NODE_IDLE | NODE_MIXED
        );
        assert_eq!(
            parse_health_check_node_state(Some("CYCLE")),
            CYCLE | NODE_ANY
        );
        assert_eq!(
            parse_health_check_node_state(Some("alloc,cycle")),
            CYCLE | NODE_ALLOC
        );
        assert_eq!(parse_health_check_node_state(Some("bogus")), NODE_ANY);
    }

    #[test]
    fn log_time_format() {
        use log_fmt::*;
        assert_eq!(parse_log_fmt(None), ISO8601_MS);
        assert_eq!(parse_log_fmt(Some("iso8601")), ISO8601);
        assert_eq!(parse_log_fmt(Some("ISO8601_MS")), ISO8601_MS);
        assert_eq!(parse_log_fmt(Some("rfc5424_ms")), RFC5424_MS);
        assert_eq!(parse_log_fmt(Some("rfc5424")), RFC5424);
        assert_eq!(parse_log_fmt(Some("clock")), CLOCK);
        assert_eq!(parse_log_fmt(Some("short,format_stderr")), SHORT);
        assert_eq!(parse_log_fmt(Some("thread_id")), THREAD_ID);
        assert_eq!(parse_log_fmt(Some("nonsense")), ISO8601_MS);
    }

    #[test]
    fn cpu_freq() {
        use cpu_freq::*;
        assert_eq!(parse_cpu_freq_def(None), None);
        assert_eq!(parse_cpu_freq_def(Some("Performance")), Some(PERFORMANCE));
        assert_eq!(parse_cpu_freq_def(Some("conservative")), Some(CONSERVATIVE));
        assert_eq!(parse_cpu_freq_def(Some("OnDemand")), Some(ONDEMAND));
        assert_eq!(parse_cpu_freq_def(Some("UserSpace")), None);
        assert_eq!(parse_cpu_freq_def(Some("2400000")), None);
        assert_eq!(parse_cpu_freq_def(Some("c")), None);
        assert_eq!(parse_cpu_freq_def(Some("Ü")), None);
        assert_eq!(parse_cpu_freq_govs(None), 0x8680_0000);
        assert_eq!(
            parse_cpu_freq_govs(Some("Performance,PowerSave")),
            PERFORMANCE | POWERSAVE
        );
        assert_eq!(
            parse_cpu_freq_govs(Some("userspace,schedutil")),
            USERSPACE | SCHEDUTIL
        );
        assert_eq!(parse_cpu_freq_govs(Some("Performance,Turbo")), DEFAULT_GOVS);
        assert_eq!(parse_cpu_freq_govs(Some(",")), DEFAULT_GOVS);
    }
}
