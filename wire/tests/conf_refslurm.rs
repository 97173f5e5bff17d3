//! Parse the refslurm reference cluster's slurm.conf and compare with what
//! upstream 22.05.8 `scontrol show config` printed for it
//! (`tests/data/refslurm_show_config.txt`, captured from the real daemons).

use std::collections::HashMap;
use std::path::PathBuf;

use wire::conf::{EnforcePartLimits, PartitionState, SlurmConf, TimeLimit};

fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

fn captured(file: &str) -> HashMap<String, String> {
    let text = std::fs::read_to_string(data(file)).unwrap_or_default();
    text.lines()
        .filter_map(|l| l.split_once(" = "))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect()
}

fn opt(s: &Option<String>) -> String {
    s.clone().unwrap_or_else(|| "(null)".to_string())
}

/// What scontrol would print for each key that comes straight from the conf.
fn printed(conf: &SlurmConf) -> Vec<(&'static str, String)> {
    // Keys scontrol prints as plain strings straight from the conf.
    vec![
        (
            "AccountingStorageBackupHost",
            opt(&conf.accounting_storage_backup_host),
        ),
        (
            "AccountingStorageHost",
            conf.accounting_storage_host.clone(),
        ),
        (
            "AccountingStorageExternalHost",
            opt(&conf.accounting_storage_ext_host),
        ),
        (
            "AccountingStorageParameters",
            opt(&conf.accounting_storage_params),
        ),
        (
            "AccountingStoragePort",
            conf.accounting_storage_port.to_string(),
        ),
        (
            "AccountingStorageTRES",
            conf.accounting_storage_tres.clone(),
        ),
        (
            "AccountingStorageType",
            conf.accounting_storage_type.clone(),
        ),
        (
            "AccountingStorageUser",
            conf.accounting_storage_user.clone(),
        ),
        ("AcctGatherEnergyType", conf.acct_gather_energy_type.clone()),
        (
            "AcctGatherFilesystemType",
            conf.acct_gather_filesystem_type.clone(),
        ),
        (
            "AcctGatherInterconnectType",
            conf.acct_gather_interconnect_type.clone(),
        ),
        (
            "AcctGatherNodeFreq",
            format!("{} sec", conf.acct_gather_node_freq),
        ),
        (
            "AcctGatherProfileType",
            conf.acct_gather_profile_type.clone(),
        ),
        ("AuthAltTypes", opt(&conf.authalttypes)),
        ("AuthAltParameters", opt(&conf.authalt_params)),
        ("AuthInfo", opt(&conf.authinfo)),
        ("AuthType", conf.authtype.clone()),
        (
            "BatchStartTimeout",
            format!("{} sec", conf.batch_start_timeout),
        ),
        ("BcastExclude", conf.bcast_exclude.clone()),
        ("BcastParameters", opt(&conf.bcast_parameters)),
        ("BurstBufferType", opt(&conf.bb_type)),
        ("CliFilterPlugins", opt(&conf.cli_filter_plugins)),
        ("ClusterName", opt(&conf.cluster_name)),
        ("CommunicationParameters", opt(&conf.comm_params)),
        ("CompleteWait", format!("{} sec", conf.complete_wait)),
        ("CoreSpecPlugin", conf.core_spec_plugin.clone()),
        ("CredType", conf.cred_type.clone()),
        ("DependencyParameters", opt(&conf.dependency_params)),
        ("EioTimeout", conf.eio_timeout.to_string()),
        ("Epilog", opt(&conf.epilog)),
        ("EpilogMsgTime", format!("{} usec", conf.epilog_msg_time)),
        ("EpilogSlurmctld", opt(&conf.epilog_slurmctld)),
        ("ExtSensorsType", conf.ext_sensors_type.clone()),
        ("ExtSensorsFreq", format!("{} sec", conf.ext_sensors_freq)),
        ("FederationParameters", opt(&conf.fed_params)),
        ("FirstJobId", conf.first_job_id.to_string()),
        ("GetEnvTimeout", format!("{} sec", conf.get_env_timeout)),
        ("GresTypes", opt(&conf.gres_plugins)),
        ("GpuFreqDef", conf.gpu_freq_def.clone()),
        ("GroupUpdateForce", conf.group_force.to_string()),
        ("GroupUpdateTime", format!("{} sec", conf.group_time)),
        (
            "HealthCheckInterval",
            format!("{} sec", conf.health_check_interval),
        ),
        ("HealthCheckProgram", opt(&conf.health_check_program)),
        ("InactiveLimit", format!("{} sec", conf.inactive_limit)),
        ("InteractiveStepOptions", conf.interactive_step_opts.clone()),
        ("JobAcctGatherFrequency", conf.job_acct_gather_freq.clone()),
        ("JobAcctGatherType", conf.job_acct_gather_type.clone()),
        ("JobAcctGatherParams", opt(&conf.job_acct_gather_params)),
        ("JobCompHost", conf.job_comp_host.clone()),
        ("JobCompLoc", conf.job_comp_loc.clone()),
        ("JobCompPort", conf.job_comp_port.to_string()),
        ("JobCompType", conf.job_comp_type.clone()),
        ("JobCompUser", conf.job_comp_user.clone()),
        ("JobContainerType", conf.job_container_plugin.clone()),
        (
            "JobCredentialPrivateKey",
            opt(&conf.job_credential_private_key),
        ),
        (
            "JobCredentialPublicCertificate",
            opt(&conf.job_credential_public_certificate),
        ),
        ("JobFileAppend", conf.job_file_append.to_string()),
        ("JobRequeue", conf.job_requeue.to_string()),
        ("JobSubmitPlugins", opt(&conf.job_submit_plugins)),
        ("KillOnBadExit", conf.kill_on_bad_exit.to_string()),
        ("KillWait", format!("{} sec", conf.kill_wait)),
        ("LaunchParameters", opt(&conf.launch_params)),
        ("LaunchType", conf.launch_type.clone()),
        ("Licenses", opt(&conf.licenses)),
        ("MailDomain", opt(&conf.mail_domain)),
        ("MailProg", conf.mail_prog.clone()),
        ("MaxArraySize", conf.max_array_sz.to_string()),
        ("MaxDBDMsgs", conf.effective_max_dbd_msgs().to_string()),
        ("MaxJobCount", conf.max_job_cnt.to_string()),
        ("MaxJobId", conf.max_job_id.to_string()),
        (
            "MaxNodeCount",
            conf.max_node_cnt
                .unwrap_or(conf.nodes.len() as u32)
                .to_string(),
        ),
        ("MaxStepCount", conf.max_step_cnt.to_string()),
        ("MaxTasksPerNode", conf.max_tasks_per_node.to_string()),
        ("MCSPlugin", conf.mcs_plugin.clone()),
        ("MCSParameters", opt(&conf.mcs_plugin_params)),
        ("MessageTimeout", format!("{} sec", conf.msg_timeout)),
        ("MinJobAge", format!("{} sec", conf.min_job_age)),
        ("MpiDefault", conf.mpi_default.clone()),
        ("MpiParams", opt(&conf.mpi_params)),
        ("NodeFeaturesPlugins", opt(&conf.node_features_plugins)),
        ("OverTimeLimit", format!("{} min", conf.over_time_limit)),
        ("PluginDir", conf.plugindir.clone()),
        ("PlugStackConfig", opt(&conf.plugstack)),
        ("PowerParameters", opt(&conf.power_parameters)),
        ("PowerPlugin", conf.power_plugin.clone()),
        ("PreemptType", conf.preempt_type.clone()),
        ("PrEpParameters", opt(&conf.prep_params)),
        ("PrEpPlugins", conf.prep_plugins.clone()),
        ("PriorityParameters", opt(&conf.priority_params)),
        (
            "PrioritySiteFactorParameters",
            opt(&conf.site_factor_params),
        ),
        ("PriorityType", conf.priority_type.clone()),
        ("ProctrackType", conf.proctrack_type.clone()),
        ("Prolog", opt(&conf.prolog)),
        (
            "PrologEpilogTimeout",
            conf.prolog_epilog_timeout.to_string(),
        ),
        ("PrologSlurmctld", opt(&conf.prolog_slurmctld)),
        (
            "PropagatePrioProcess",
            conf.propagate_prio_process.to_string(),
        ),
        ("PropagateResourceLimits", opt(&conf.propagate_rlimits)),
        (
            "PropagateResourceLimitsExcept",
            opt(&conf.propagate_rlimits_except),
        ),
        ("RebootProgram", opt(&conf.reboot_program)),
        ("RequeueExit", opt(&conf.requeue_exit)),
        ("RequeueExitHold", opt(&conf.requeue_exit_hold)),
        ("ResumeFailProgram", opt(&conf.resume_fail_program)),
        ("ResumeProgram", opt(&conf.resume_program)),
        ("ResumeRate", format!("{} nodes/min", conf.resume_rate)),
        ("ResumeTimeout", format!("{} sec", conf.resume_timeout)),
        ("ResvEpilog", opt(&conf.resv_epilog)),
        ("ResvOverRun", format!("{} min", conf.resv_over_run)),
        ("ResvProlog", opt(&conf.resv_prolog)),
        ("ReturnToService", conf.ret2service.to_string()),
        ("RoutePlugin", conf.route_plugin.clone()),
        ("SchedulerParameters", opt(&conf.sched_params)),
        (
            "SchedulerTimeSlice",
            format!("{} sec", conf.sched_time_slice),
        ),
        ("SchedulerType", conf.schedtype.clone()),
        ("ScronParameters", opt(&conf.scron_params)),
        ("SelectType", conf.select_type.clone()),
        ("SlurmctldAddr", opt(&conf.slurmctld_addr)),
        ("SlurmctldLogFile", opt(&conf.slurmctld_logfile)),
        ("SlurmctldPort", conf.slurmctld_port.to_string()),
        (
            "SlurmctldPrimaryOffProg",
            opt(&conf.slurmctld_primary_off_prog),
        ),
        (
            "SlurmctldPrimaryOnProg",
            opt(&conf.slurmctld_primary_on_prog),
        ),
        (
            "SlurmctldTimeout",
            format!("{} sec", conf.slurmctld_timeout),
        ),
        ("SlurmctldParameters", opt(&conf.slurmctld_params)),
        ("SlurmdLogFile", opt(&conf.slurmd_logfile)),
        ("SlurmdParameters", opt(&conf.slurmd_params)),
        ("SlurmdPidFile", conf.slurmd_pidfile.clone()),
        ("SlurmdPort", conf.slurmd_port.to_string()),
        ("SlurmdSpoolDir", conf.slurmd_spooldir.clone()),
        ("SlurmdTimeout", format!("{} sec", conf.slurmd_timeout)),
        ("SlurmSchedLogFile", opt(&conf.sched_logfile)),
        ("SlurmSchedLogLevel", conf.sched_log_level.to_string()),
        ("SlurmctldPidFile", conf.slurmctld_pidfile.clone()),
        ("SlurmctldPlugstack", opt(&conf.slurmctld_plugstack)),
        ("SrunEpilog", opt(&conf.srun_epilog)),
        ("SrunProlog", opt(&conf.srun_prolog)),
        ("StateSaveLocation", conf.state_save_location.clone()),
        ("SuspendExcNodes", opt(&conf.suspend_exc_nodes)),
        ("SuspendExcParts", opt(&conf.suspend_exc_parts)),
        ("SuspendProgram", opt(&conf.suspend_program)),
        ("SuspendRate", format!("{} nodes/min", conf.suspend_rate)),
        ("SuspendTimeout", format!("{} sec", conf.suspend_timeout)),
        ("SwitchParameters", opt(&conf.switch_param)),
        ("SwitchType", conf.switch_type.clone()),
        ("TaskEpilog", opt(&conf.task_epilog)),
        ("TaskPlugin", conf.task_plugin.clone()),
        ("TaskProlog", opt(&conf.task_prolog)),
        ("TCPTimeout", format!("{} sec", conf.tcp_timeout)),
        ("TmpFS", conf.tmp_fs.clone()),
        ("TopologyParam", opt(&conf.topology_param)),
        ("TopologyPlugin", conf.topology_plugin.clone()),
        ("TreeWidth", conf.tree_width.to_string()),
        ("UnkillableStepProgram", opt(&conf.unkillable_program)),
        (
            "UnkillableStepTimeout",
            format!("{} sec", conf.unkillable_timeout),
        ),
        ("VSizeFactor", format!("{} percent", conf.vsize_factor)),
        ("WaitTime", format!("{} sec", conf.wait_time)),
        ("X11Parameters", opt(&conf.x11_params)),
    ]
}

/// Keys whose printed form differs from upstream's.
fn mismatches(conf: &SlurmConf, want: &HashMap<String, String>) -> Vec<String> {
    let mut out = Vec::new();
    for (key, ours) in printed(conf) {
        match want.get(key) {
            Some(theirs) if *theirs == ours => {}
            other => out.push(format!("{key}: ours {ours:?}, upstream {other:?}")),
        }
    }
    out
}

fn load(name: &str) -> SlurmConf {
    match SlurmConf::from_file(data(name)) {
        Ok(c) => c,
        Err(e) => panic!("{e}"),
    }
}

/// A slurm.conf leaving nearly everything unset: checks upstream's defaults.
#[test]
fn minimal_conf_defaults_match_scontrol_show_config() {
    let conf = load("minimal.conf");
    let want = captured("minimal_show_config.txt");
    assert!(want.len() > 150, "capture not found or empty");
    let bad = mismatches(&conf, &want);
    assert!(bad.is_empty(), "mismatches:\n{}", bad.join("\n"));
}

#[test]
fn refslurm_conf_matches_scontrol_show_config() {
    let conf = load("refslurm.conf");
    let want = captured("refslurm_show_config.txt");
    assert!(want.len() > 150, "capture not found or empty");
    let bad = mismatches(&conf, &want);
    assert!(bad.is_empty(), "mismatches:\n{}", bad.join("\n"));

    // Values scontrol formats from numbers or enums.
    assert_eq!(
        want.get("SelectTypeParameters").map(String::as_str),
        Some("CR_CORE")
    );
    assert_eq!(conf.select_type_param, wire::conf::select_type::CR_CORE);
    assert_eq!(
        want.get("EnforcePartLimits").map(String::as_str),
        Some("NO")
    );
    assert_eq!(conf.enforce_part_limits, EnforcePartLimits::No);
    assert_eq!(
        want.get("SuspendTime").map(String::as_str),
        Some("INFINITE")
    );
    assert_eq!(conf.suspend_time, TimeLimit::Unlimited);
    assert_eq!(want.get("SlurmctldDebug").map(String::as_str), Some("info"));
    assert_eq!((conf.slurmctld_debug, conf.slurmd_debug), (3, 3));
    assert_eq!(
        want.get("SlurmctldSyslogDebug").map(String::as_str),
        Some("(null)")
    );
    assert_eq!(conf.slurmctld_syslog_debug, 10);
    assert_eq!(
        want.get("SrunPortRange").map(String::as_str),
        Some("60001-60200")
    );
    assert_eq!(conf.srun_port_range, Some((60001, 60200)));
    assert_eq!(want.get("PrivateData").map(String::as_str), Some("none"));
    assert_eq!(conf.private_data, 0);
    assert_eq!(
        want.get("AccountingStorageEnforce").map(String::as_str),
        Some("none")
    );
    assert_eq!(conf.accounting_storage_enforce, 0);
    assert_eq!(want.get("SlurmUser").map(String::as_str), Some("root(0)"));
    assert_eq!(
        (conf.slurm_user_name.as_str(), conf.slurm_user_id),
        ("root", Some(0))
    );
    assert_eq!(
        want.get("DefMemPerNode").map(String::as_str),
        Some("UNLIMITED")
    );
    assert_eq!(conf.def_mem_per_cpu, None);
    assert_eq!(want.get("PreemptMode").map(String::as_str), Some("OFF"));
    assert_eq!(conf.preempt_mode, 0);
    // Bit sets scontrol prints as words: all at their defaults here.
    for (key, printed_as, value) in [
        ("DebugFlags", "(null)", conf.debug_flags),
        ("PrologFlags", "(null)", u64::from(conf.prolog_flags)),
        ("ReconfigFlags", "(null)", u64::from(conf.reconfig_flags)),
        (
            "TaskPluginParam",
            "(null type)",
            u64::from(conf.task_plugin_param),
        ),
        ("LogTimeFormat", "iso8601_ms", u64::from(conf.log_fmt)),
        (
            "HealthCheckNodeState",
            "ANY",
            u64::from(conf.health_check_node_state),
        ),
        (
            "CpuFreqGovernors",
            "OnDemand,Performance,UserSpace",
            u64::from(conf.cpu_freq_govs),
        ),
    ] {
        assert_eq!(want.get(key).map(String::as_str), Some(printed_as), "{key}");
        let expect = match key {
            "HealthCheckNodeState" => 0xf,
            "CpuFreqGovernors" => 0x8680_0000,
            _ => 0,
        };
        assert_eq!(value, expect, "{key}");
    }
    assert_eq!(want.get("CpuFreqDef").map(String::as_str), Some("Unknown"));
    assert_eq!(conf.cpu_freq_def, None);
    assert_eq!(conf.priority_flags, wire::conf::flags::priority::FAIR_TREE);
    // upstream printed the real hostname in place of "localhost".
    assert_eq!(
        want.get("SlurmctldHost[0]").map(String::as_str),
        Some("vm(127.0.0.1)")
    );
    let mut renamed = conf.clone();
    renamed.replace_localhost_controller("vm");
    let primary = renamed
        .primary_controller()
        .map(|h| format!("{}({})", h.name, h.addr));
    assert_eq!(primary.as_deref(), Some("vm(127.0.0.1)"));
    // CTL_CONF_OR from SlurmdParameters=config_overrides, plus IPv4.
    assert_eq!(
        conf.conf_flags,
        wire::conf::conf_flags::CONFIG_OVERRIDES | wire::conf::conf_flags::IPV4_ENABLED
    );

    // Node and partitions.
    assert_eq!(conf.nodes.len(), 1);
    let n = &conf.nodes[0];
    assert_eq!(
        (n.name.as_str(), n.addr.as_str(), n.hostname.as_str()),
        ("localhost", "127.0.0.1", "localhost")
    );
    assert_eq!(
        (n.cpus, n.sockets, n.cores_per_socket, n.threads_per_core),
        (2, 2, 1, 1)
    );
    assert_eq!((n.real_memory, n.port), (24105, Some(6818)));
    assert_eq!(n.state.as_deref(), Some("UNKNOWN"));
    let [debug, batch] = conf.partitions.as_slice() else {
        panic!("expected two partitions");
    };
    assert_eq!(debug.nodes, ["localhost"]);
    assert!(debug.default);
    assert_eq!(debug.max_time, TimeLimit::Unlimited);
    assert_eq!(batch.max_time, TimeLimit::Finite(1440));
    assert_eq!(batch.default_time, Some(TimeLimit::Finite(60)));
    assert_eq!(batch.state, PartitionState::Up);
    assert!(!batch.default);
}
