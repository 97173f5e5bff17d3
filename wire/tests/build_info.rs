//! `SlurmConf::to_build_info` against what upstream slurmctld 22.05.8 really
//! sent for the same slurm.conf (golden RESPONSE_BUILD_INFO frame captured
//! from `scontrol show config` on the refslurm cluster).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use wire::conf::{BuildInfoDynamic, SlurmConf};
use wire::msg::build_info::BuildInfo;
use wire::pack::{Packer, Unpacker};

fn manifest() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn data(name: &str) -> PathBuf {
    manifest().join("tests/data").join(name)
}

/// Where the capture's controller read its slurm.conf (it is packed as
/// `slurm_conf`); parsing under that name keeps the field comparable.
const CAPTURED_CONF_PATH: &str = "/tmp/refslurm/etc/slurm.conf";

struct Golden {
    info: BuildInfo,
    body: Vec<u8>,
    version: wire::version::ProtocolVersion,
}

fn golden() -> Golden {
    let path = manifest().join("tests/golden/scontrol_show_config/0-0-resp-2002.bin");
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let frame = wire::frame::decode(&bytes).unwrap_or_else(|e| panic!("decode frame: {e:?}"));
    let version = frame.header.version;
    let info = BuildInfo::unpack(&mut Unpacker::new(frame.body), version)
        .unwrap_or_else(|e| panic!("unpack BuildInfo: {e:?}"));
    Golden {
        info,
        body: frame.body.to_vec(),
        version,
    }
}

fn parse_as(file: &str, path: &str) -> SlurmConf {
    let text = std::fs::read_to_string(data(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
    SlurmConf::from_str(&text, path).unwrap_or_else(|e| panic!("{e}"))
}

/// `Debug` of a struct split into `field: value` entries (one per
/// top-level field), so a difference names its field.
fn fields(b: &BuildInfo) -> Vec<(String, String)> {
    let text = format!("{b:#?}");
    let mut out: Vec<(String, String)> = Vec::new();
    for line in text.lines().skip(1) {
        // Top-level fields are indented by exactly four spaces.
        if let Some(rest) = line.strip_prefix("    ").filter(|r| !r.starts_with(' ')) {
            if let Some((name, value)) = rest.split_once(": ") {
                out.push((name.to_string(), value.to_string()));
                continue;
            }
        }
        if let Some(last) = out.last_mut() {
            last.1.push_str(line.trim());
        }
    }
    for (_, v) in &mut out {
        if v.ends_with(',') {
            v.pop();
        }
    }
    out
}

fn differences(ours: &BuildInfo, theirs: &BuildInfo) -> Vec<String> {
    let theirs: HashMap<_, _> = fields(theirs).into_iter().collect();
    fields(ours)
        .into_iter()
        .filter(|(k, v)| theirs.get(k) != Some(v))
        .map(|(k, v)| {
            format!(
                "{k}: ours {v}, upstream {}",
                theirs.get(&k).map_or("<missing>", String::as_str)
            )
        })
        .collect()
}

/// The values only the capture's running controller could know.
/// Exceptions, each taken from the golden frame:
/// - `last_update`: time(NULL) when the reply was built;
/// - `boot_time`: when that slurmctld started;
/// - `next_job_id`: depends on the jobs submitted before the capture;
/// - `short_hostname`: the capture machine's short host name ("vm"), which
///   upstream puts in place of SlurmctldHost=localhost;
/// - `acct_gather_conf`: an empty list (no acct_gather plugins), i.e. the
///   default: not copied.
///
/// `hash_val` is NOT copied: our parser reproduces upstream's.
fn dynamic_from(g: &BuildInfo) -> BuildInfoDynamic {
    BuildInfoDynamic {
        last_update: g.last_update,
        boot_time: g.boot_time,
        next_job_id: g.next_job_id,
        short_hostname: g.control_machine.first().cloned(),
        ..BuildInfoDynamic::default()
    }
}

#[test]
fn refslurm_build_info_equals_upstream_frame() {
    let g = golden();
    let conf = parse_as("refslurm.conf", CAPTURED_CONF_PATH);
    let ours = conf.to_build_info(&dynamic_from(&g.info));
    let diff = differences(&ours, &g.info);
    assert!(
        diff.is_empty(),
        "fields differing from upstream:\n{}",
        diff.join("\n")
    );
    assert_eq!(ours, g.info);
    // The parser's hash over the file is upstream's.
    assert_eq!(conf.hash_val, g.info.hash_val);
    assert_eq!(g.info.control_machine, ["vm"], "capture host");
}

#[test]
fn refslurm_build_info_packs_to_upstream_bytes() {
    let g = golden();
    let conf = parse_as("refslurm.conf", CAPTURED_CONF_PATH);
    let ours = conf.to_build_info(&dynamic_from(&g.info));
    let mut p = Packer::new();
    ours.pack(&mut p, g.version);
    let bytes = p.as_slice();
    assert_eq!(bytes.len(), g.body.len());
    if let Some(at) = bytes.iter().zip(&g.body).position(|(a, b)| a != b) {
        panic!("first differing byte at {at}");
    }
}

/// The field comparison really names a field.
#[test]
fn differences_name_the_field() {
    let g = golden();
    let mut other = g.info.clone();
    other.kill_wait += 1;
    other.control_machine = vec!["x".into()];
    let diff = differences(&other, &g.info);
    assert_eq!(diff.len(), 2, "{diff:?}");
    assert!(diff[0].starts_with("control_machine: "), "{diff:?}");
    assert_eq!(diff[1], "kill_wait: ours 6, upstream 5");
}

fn captured(file: &str) -> HashMap<String, String> {
    let text = std::fs::read_to_string(data(file)).unwrap_or_default();
    text.lines()
        .filter_map(|l| l.split_once(" = "))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect()
}

/// No frame was captured for minimal.conf; check our BuildInfo against
/// what `scontrol show config` printed for it, for the keys whose printed
/// form is a plain rendering of one field.
#[test]
fn minimal_build_info_matches_show_config() {
    let want = captured("minimal_show_config.txt");
    assert!(want.len() > 150, "capture not found");
    let conf = parse_as("minimal.conf", "/tmp/refconf/etc/slurm.conf");
    let dynamic = BuildInfoDynamic {
        short_hostname: Some("vm".into()),
        ..BuildInfoDynamic::default()
    };
    let b = conf.to_build_info(&dynamic);
    let o = |s: &Option<String>| s.clone().unwrap_or_else(|| "(null)".into());
    let ours: Vec<(&str, String)> = vec![
        ("AccountingStorageType", o(&b.accounting_storage_type)),
        (
            "AccountingStoragePort",
            b.accounting_storage_port.to_string(),
        ),
        ("AccountingStorageUser", o(&b.accounting_storage_user)),
        ("AuthType", o(&b.authtype)),
        ("CredType", o(&b.cred_type)),
        (
            "SlurmctldHost[0]",
            format!("{}({})", b.control_machine[0], b.control_addr[0]),
        ),
        ("SlurmctldPort", b.slurmctld_port.to_string()),
        ("SlurmdPort", b.slurmd_port.to_string()),
        ("MaxDBDMsgs", b.max_dbd_msgs.to_string()),
        ("MaxJobCount", b.max_job_cnt.to_string()),
        ("MaxNodeCount", b.max_node_cnt.to_string()),
        ("MaxArraySize", b.max_array_sz.to_string()),
        ("MinJobAge", format!("{} sec", b.min_job_age)),
        ("KillWait", format!("{} sec", b.kill_wait)),
        ("SelectType", o(&b.select_type)),
        ("SchedulerType", o(&b.schedtype)),
        ("ProctrackType", o(&b.proctrack_type)),
        ("TaskPlugin", o(&b.task_plugin)),
        ("MpiDefault", o(&b.mpi_default)),
        ("SlurmctldPidFile", o(&b.slurmctld_pidfile)),
        ("StateSaveLocation", o(&b.state_save_location)),
        ("JobCompLoc", o(&b.job_comp_loc)),
        ("PropagateResourceLimits", o(&b.propagate_rlimits)),
        ("PrEpPlugins", o(&b.prep_plugins)),
        (
            "DebugFlags",
            if b.debug_flags == 0 {
                "(null)".into()
            } else {
                b.debug_flags.to_string()
            },
        ),
        (
            "PrologFlags",
            if b.prolog_flags == 0 {
                "(null)".into()
            } else {
                b.prolog_flags.to_string()
            },
        ),
        (
            "TaskPluginParam",
            if b.task_plugin_param == 0 {
                "(null type)".into()
            } else {
                b.task_plugin_param.to_string()
            },
        ),
        (
            "HealthCheckNodeState",
            if b.health_check_node_state == 0xf {
                "ANY".into()
            } else {
                b.health_check_node_state.to_string()
            },
        ),
        (
            "LogTimeFormat",
            if b.log_fmt == 0 {
                "iso8601_ms".into()
            } else {
                b.log_fmt.to_string()
            },
        ),
        (
            "PreemptMode",
            if b.preempt_mode == 0 {
                "OFF".into()
            } else {
                b.preempt_mode.to_string()
            },
        ),
        (
            "PreemptExemptTime",
            if b.preempt_exempt_time == 0 {
                "00:00:00".into()
            } else {
                b.preempt_exempt_time.to_string()
            },
        ),
        (
            "CpuFreqDef",
            if b.cpu_freq_def == wire::pack::NO_VAL {
                "Unknown".into()
            } else {
                b.cpu_freq_def.to_string()
            },
        ),
        (
            "CpuFreqGovernors",
            if b.cpu_freq_govs == 0x8680_0000 {
                "OnDemand,Performance,UserSpace".into()
            } else {
                b.cpu_freq_govs.to_string()
            },
        ),
        (
            "SuspendTime",
            if b.suspend_time == u32::MAX {
                "INFINITE".into()
            } else {
                b.suspend_time.to_string()
            },
        ),
    ];
    let bad: Vec<String> = ours
        .iter()
        .filter(|(k, v)| want.get(*k).map(String::as_str).unwrap_or("<missing>") != v.as_str())
        .map(|(k, v)| format!("{k}: ours {v:?}, upstream {:?}", want.get(*k)))
        .collect();
    assert!(bad.is_empty(), "{}", bad.join("\n"));
    // The same NULL/empty-list shape as the refslurm frame (accounting_storage/none here).
    assert_eq!(b.acct_gather_conf, Some(Vec::new()));
    assert_eq!(b.cgroup_conf, None);
    assert_eq!(b.select_conf_key_pairs, None);
    assert_eq!(b.max_dbd_msgs, 0);
    assert_eq!(b.version.as_deref(), Some("22.05.8"));
    assert_eq!(b.slurm_conf.as_deref(), Some("/tmp/refconf/etc/slurm.conf"));
}
