//! Tests for the slurm.conf parser, one group per rule.

use super::*;

const BASE: &str = "SlurmctldHost=ctl\n";

fn parse(text: &str) -> SlurmConf {
    match SlurmConf::from_str(&format!("{BASE}{text}"), "/etc/slurm/slurm.conf") {
        Ok(c) => c,
        Err(e) => panic!("parse failed: {e}"),
    }
}

fn parse_err(text: &str) -> ConfError {
    match SlurmConf::from_str(&format!("{BASE}{text}"), "/etc/slurm/slurm.conf") {
        Ok(_) => panic!("expected an error for {text:?}"),
        Err(e) => e,
    }
}

#[test]
fn every_key_in_table_is_accepted() {
    // A value each key's type accepts; entity lines are covered elsewhere.
    for (key, kind) in keys::SLURM_CONF_KEYS {
        let value = match kind {
            keys::KeyKind::Line => continue,
            keys::KeyKind::Bool => "no",
            _ => "1",
        };
        if [
            "SchedulerAuth",
            "AccountingStoreJobComment",
            "SrunPortRange",
            "FirstJobId",
        ]
        .contains(key)
        {
            continue;
        }
        let text = format!("{key}={value}\n");
        if let Err(e) = SlurmConf::from_str(&format!("{BASE}{text}"), "x.conf") {
            // Some keys have their own syntax; a typed BadValue is fine, an unknown key is not.
            assert!(!matches!(e, ConfError::UnknownKey { .. }), "{key}: {e}");
        }
    }
    assert_eq!(keys::SLURM_CONF_KEYS.len(), 226);
}

#[test]
fn unknown_key_names_file_line_and_key() {
    let e = parse_err("# comment\nBogusKey=1\n");
    match &e {
        ConfError::UnknownKey { at, key } => {
            assert_eq!(key, "BogusKey");
            assert_eq!(at.line, 3);
            assert_eq!(at.file, PathBuf::from("/etc/slurm/slurm.conf"));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        e.to_string(),
        "/etc/slurm/slurm.conf:3: Parsing error at unrecognized key: BogusKey"
    );
    assert!(matches!(
        parse_err("NodeName=n1 Bogus=2\n"),
        ConfError::UnknownKey { key, .. } if key == "Bogus"
    ));
}

#[test]
fn keys_are_case_insensitive_and_last_value_wins() {
    let c = parse("clustername=First\nCLUSTERNAME=second\nkillwait=7\n");
    assert_eq!(c.cluster_name.as_deref(), Some("second"));
    assert_eq!(c.kill_wait, 7);
}

#[test]
fn one_pair_per_plain_line() {
    assert!(matches!(
        parse_err("KillWait=1 MinJobAge=2\n"),
        ConfError::Syntax { .. }
    ));
    assert!(matches!(
        parse_err("just words\n"),
        ConfError::Syntax { .. }
    ));
}

#[test]
fn comments_continuation_quotes_escapes() {
    let c = parse(
        "ClusterName=a\\#b # trailing\nSchedulerParameters=\"bf_interval=30, x\"\nEpilog=/a/b\\\n/c\n",
    );
    assert_eq!(c.cluster_name.as_deref(), Some("a#b"));
    assert_eq!(c.sched_params.as_deref(), Some("bf_interval=30, x"));
    assert_eq!(c.epilog.as_deref(), Some("/a/b/c"));
}

#[test]
fn bad_numbers_are_typed_errors() {
    match parse_err("KillWait=abc\n") {
        ConfError::BadValue { at, key, .. } => {
            assert_eq!(key, "KillWait");
            assert_eq!(at.line, 2);
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        parse_err("KillWait=70000\n"),
        ConfError::BadValue { .. }
    ));
    assert!(matches!(
        parse_err("NodeName=n1 CPUs=x\n"),
        ConfError::BadValue { .. }
    ));
    assert!(matches!(
        parse_err("UsePAM=maybe\n"),
        ConfError::BadValue { .. }
    ));
    assert!(matches!(
        parse_err("SchedulerAuth=x\n"),
        ConfError::BadValue { .. }
    ));
}

fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("wire-conf-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    if let Err(e) = std::fs::create_dir_all(dir.join("sub")) {
        panic!("mkdir: {e}");
    }
    dir
}

fn write(path: &Path, text: &str) {
    if let Err(e) = std::fs::write(path, text) {
        panic!("write {}: {e}", path.display());
    }
}

#[test]
fn includes_relative_nested_and_bounded() {
    let dir = temp_dir("inc");
    write(
        &dir.join("slurm.conf"),
        "SlurmctldHost=c\nClusterName=Clu\ninclude sub/nodes.conf\nPartitionName=p Nodes=ALL\n",
    );
    write(&dir.join("sub/nodes.conf"), "Include more-%c.conf\n");
    write(&dir.join("sub/more-Clu.conf"), "NodeName=n[1-2]\n");
    let c = match SlurmConf::from_file(dir.join("slurm.conf")) {
        Ok(c) => c,
        Err(e) => panic!("{e}"),
    };
    assert_eq!(c.nodes.len(), 2);
    assert_eq!(c.partitions[0].nodes, ["n1", "n2"]);

    write(
        &dir.join("loop.conf"),
        "SlurmctldHost=c\nInclude loop.conf\n",
    );
    let e = SlurmConf::from_file(dir.join("loop.conf")).err();
    let mut depth = 0;
    let mut cur = e.as_ref();
    while let Some(ConfError::Include { source, .. }) = cur {
        depth += 1;
        cur = Some(source);
    }
    assert!(
        matches!(cur, Some(ConfError::IncludeTooDeep { .. })),
        "{e:?}"
    );
    assert_eq!(depth, MAX_INCLUDE_DEPTH);

    write(
        &dir.join("missing.conf"),
        "SlurmctldHost=c\nInclude nothere.conf\n",
    );
    match SlurmConf::from_file(dir.join("missing.conf")) {
        Err(ConfError::Include { at, source }) => {
            assert_eq!(at.line, 2);
            assert!(matches!(*source, ConfError::Io { .. }));
        }
        other => panic!("{other:?}"),
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn controllers() {
    let c = SlurmConf::from_str("SlurmctldHost=a(10.0.0.1)\nSlurmctldHost=b\n", "x").ok();
    let hosts = c.map(|c| c.control_hosts).unwrap_or_default();
    assert_eq!(
        hosts,
        [
            ControllerHost {
                name: "a".into(),
                addr: "10.0.0.1".into()
            },
            ControllerHost {
                name: "b".into(),
                addr: "b".into()
            },
        ]
    );
    let c = SlurmConf::from_str(
        "ControlMachine=m\nControlAddr=1.2.3.4\nBackupController=bk\n",
        "x",
    )
    .ok();
    let hosts = c.map(|c| c.control_hosts).unwrap_or_default();
    assert_eq!(hosts.len(), 2);
    assert_eq!(hosts[0].addr, "1.2.3.4");
    assert_eq!(hosts[1].addr, "bk");
    assert!(matches!(
        SlurmConf::from_str("ClusterName=x\n", "x"),
        Err(ConfError::NoController)
    ));
    let mut c = parse("");
    c.replace_localhost_controller("vm");
    assert_eq!(c.primary_controller().map(|h| h.name.as_str()), Some("ctl"));
    let mut c = SlurmConf::from_str("SlurmctldHost=localhost(127.0.0.1)\n", "x").ok();
    if let Some(c) = c.as_mut() {
        c.replace_localhost_controller("vm");
    }
    assert_eq!(
        c.and_then(|c| c.primary_controller().cloned())
            .map(|h| h.name),
        Some("vm".into())
    );
}

#[test]
fn defaults_for_empty_file() {
    let c = parse("");
    assert_eq!(c.slurmctld_port, 6817);
    assert_eq!(c.slurmctld_port_count, 1);
    assert_eq!(c.slurmd_port, 6818);
    assert_eq!(c.kill_wait, 30);
    assert_eq!(c.min_job_age, 300);
    assert_eq!(c.max_job_cnt, 10000);
    assert_eq!(c.max_array_sz, 1001);
    assert_eq!(c.max_job_id, 0x03ff_0000);
    assert_eq!(c.first_job_id, 1);
    assert_eq!(c.msg_timeout, 10);
    assert_eq!(c.tree_width, 50);
    assert_eq!(c.select_type, "select/linear");
    assert_eq!(c.select_type_param, 0);
    assert_eq!(c.accounting_storage_type, "accounting_storage/none");
    assert_eq!(c.accounting_storage_port, 0);
    assert_eq!(c.accounting_storage_user, "root");
    assert_eq!(c.slurmctld_debug, log_level::INFO);
    assert_eq!(c.slurmctld_syslog_debug, log_level::END);
    assert_eq!(c.suspend_time, TimeLimit::Unlimited);
    assert_eq!(c.enforce_part_limits, EnforcePartLimits::No);
    assert_eq!(c.conf_flags, conf_flags::IPV4_ENABLED);
    assert_eq!(c.private_data, 0);
    assert_eq!(c.priority_decay_hl, 604_800);
    assert_eq!(c.prolog_epilog_timeout, 65534);
    assert_eq!(c.srun_port_range, None);
    assert_eq!(c.slurm_user_id, Some(0));
    assert_eq!(c.propagate_rlimits.as_deref(), Some("ALL"));
    assert_eq!(c.effective_max_dbd_msgs(), 0);
    let c = parse("AccountingStorageType=accounting_storage/slurmdbd\nNodeName=n[1-2]\n");
    assert_eq!(c.effective_max_dbd_msgs(), 20008);
}

#[test]
fn derived_values() {
    let c = parse(concat!(
        "SlurmctldPort=7000-7003\n",
        "PrivateData=jobs,nodes\n",
        "EnforcePartLimits=ALL\n",
        "SelectTypeParameters=CR_Core_Memory,CR_ONE_TASK_PER_CORE\n",
        "SlurmctldDebug=debug2\nSlurmdDebug=7\n",
        "SlurmdParameters=config_overrides\nUsePAM=yes\nDisableRootJobs=YES\n",
        "CommunicationParameters=EnableIPv6,DisableIPv4\n",
        "AccountingStorageEnforce=limits,qos\n",
        "AccountingStorageType=accounting_storage/slurmdbd\n",
        "SuspendTime=600\nPriorityDecayHalfLife=1-0\nPreemptExemptTime=00:10:00\n",
        "SrunPortRange=60001-60200\nMaxJobId=99999999\nFirstJobId=67000000\n",
        "DefMemPerCPU=100\nMaxMemPerNode=UNLIMITED\n",
    ));
    assert_eq!((c.slurmctld_port, c.slurmctld_port_count), (7000, 4));
    assert_eq!(c.private_data, private_data::JOBS | private_data::NODES);
    assert_eq!(c.enforce_part_limits.to_wire(), 1);
    assert_eq!(
        c.select_type_param,
        select_type::CR_CORE | select_type::CR_MEMORY | select_type::CR_ONE_TASK_PER_CORE
    );
    assert_eq!((c.slurmctld_debug, c.slurmd_debug), (log_level::DEBUG2, 7));
    assert_eq!(
        c.conf_flags,
        conf_flags::CONFIG_OVERRIDES
            | conf_flags::USE_PAM
            | conf_flags::DISABLE_ROOT_JOBS
            | conf_flags::IPV6_ENABLED
    );
    assert_eq!(
        c.accounting_storage_enforce,
        accounting_enforce::ASSOCS | accounting_enforce::LIMITS | accounting_enforce::QOS
    );
    assert_eq!(c.accounting_storage_port, 6819);
    assert_eq!(c.accounting_storage_user, "N/A");
    assert_eq!(c.suspend_time, TimeLimit::Finite(600));
    assert_eq!(c.priority_decay_hl, 86_400);
    assert_eq!(c.preempt_exempt_time, Some(600));
    assert_eq!(c.srun_port_range, Some((60001, 60200)));
    // MaxJobId is capped and MaxJobCount limited to the id space.
    assert_eq!(c.max_job_id, 0x03ff_ffff);
    assert_eq!(c.max_job_cnt, 10000);
    assert_eq!(
        c.def_mem_per_cpu.map(MemLimit::to_wire),
        Some(100 | MemLimit::MEM_PER_CPU)
    );
    assert_eq!(c.max_mem_per_cpu, Some(MemLimit::PerNode(u64::MAX)));
    let c = parse("PrivateData=all\nAccountingStorageEnforce=all\n");
    assert_eq!(c.private_data, 0xffff);
    assert_eq!(
        c.conf_flags & conf_flags::TRACK_WCKEY,
        conf_flags::TRACK_WCKEY
    );
    assert!(matches!(
        parse_err("EnforcePartLimits=maybe\n"),
        ConfError::BadValue { .. }
    ));
    assert!(matches!(
        parse_err("SelectTypeParameters=CR_Bogus\n"),
        ConfError::BadValue { .. }
    ));
    assert!(matches!(
        parse_err("SlurmctldDebug=loud\n"),
        ConfError::BadValue { .. }
    ));
    assert!(matches!(
        parse_err("FirstJobId=10\nMaxJobId=5\n"),
        ConfError::BadValue { .. }
    ));
}

#[test]
fn nodes_expand_in_order_with_positional_addresses() {
    let c = parse(
        "NodeName=n[1-3] NodeAddr=10.0.0.[1-3] NodeHostname=h[1-3] Port=[7001-7003]\nNodeName=a0\n",
    );
    let names: Vec<_> = c.nodes.iter().map(|n| n.name.as_str()).collect();
    assert_eq!(names, ["n1", "n2", "n3", "a0"]);
    assert_eq!(c.nodes[1].addr, "10.0.0.2");
    assert_eq!(c.nodes[1].hostname, "h2");
    assert_eq!(c.nodes[2].port, Some(7003));
    assert_eq!(c.nodes[3].addr, "a0");
    assert_eq!(c.nodes[3].port, None);
    assert_eq!(c.node_index("a0"), Some(3));
    assert!(matches!(
        parse_err("NodeName=n[1-3] NodeAddr=a,b\n"),
        ConfError::BadValue { .. }
    ));
    assert!(matches!(
        parse_err("NodeName=n1\nNodeName=n[0-1]\n"),
        ConfError::DuplicateNode { .. }
    ));
    assert!(matches!(
        parse_err("NodeName=n[3-1]\n"),
        ConfError::Hostlist { .. }
    ));
    assert!(matches!(
        parse_err("NodeName=ALL\n"),
        ConfError::BadValue { .. }
    ));
    assert!(matches!(
        parse_err("NodeName=DEFAULT NodeAddr=x\n"),
        ConfError::BadValue { .. }
    ));
}

#[test]
fn node_defaults_line() {
    let c = parse(concat!(
        "NodeName=DEFAULT CPUs=8 RealMemory=1000 State=UNKNOWN Feature=a\n",
        "NodeName=DEFAULT RealMemory=2000\n",
        "NodeName=n1 Gres=gpu:1 Weight=5 TmpDisk=10 Reason=\"being fixed\"\n",
        "NodeName=n2 CPUs=4 Features=b,c\n",
    ));
    let n1 = &c.nodes[0];
    assert_eq!(
        (n1.cpus, n1.real_memory, n1.weight, n1.tmp_disk),
        (8, 2000, 5, 10)
    );
    assert_eq!(n1.state.as_deref(), Some("UNKNOWN"));
    assert_eq!(n1.gres.as_deref(), Some("gpu:1"));
    assert_eq!(n1.reason.as_deref(), Some("being fixed"));
    assert_eq!(n1.features.as_deref(), Some("a"));
    let n2 = &c.nodes[1];
    assert_eq!(n2.cpus, 4);
    assert_eq!(n2.features.as_deref(), Some("b,c"));
    assert!(n2.has_feature("c"));
}

#[test]
fn node_shape_derivation() {
    let shape = |opts: &str| {
        let c = parse(&format!("NodeName=n {opts}\n"));
        let n = &c.nodes[0];
        (
            n.cpus,
            n.boards,
            n.sockets,
            n.cores_per_socket,
            n.threads_per_core,
        )
    };
    // Nothing given: one of everything.
    assert_eq!(shape(""), (1, 1, 1, 1, 1));
    // CPUs only: sockets inferred as CPUs/(cores*threads).
    assert_eq!(shape("CPUs=2"), (2, 1, 2, 1, 1));
    // Topology only: CPUs = sockets*cores*threads.
    assert_eq!(
        shape("Sockets=2 CoresPerSocket=4 ThreadsPerCore=2"),
        (16, 1, 2, 4, 2)
    );
    // CPUs counting cores (not threads) is kept.
    assert_eq!(
        shape("CPUs=8 Sockets=2 CoresPerSocket=4 ThreadsPerCore=2"),
        (8, 1, 2, 4, 2)
    );
    // CPUs matching no level is reset to the full product.
    assert_eq!(shape("CPUs=7 Sockets=2 CoresPerSocket=2"), (4, 1, 2, 2, 1));
    // CPUs not divisible by cores*threads: sockets fall back to Boards.
    assert_eq!(shape("CPUs=6 CoresPerSocket=4"), (4, 1, 1, 4, 1));
    // Boards and SocketsPerBoard give total sockets; Sockets is then ignored.
    assert_eq!(
        shape("Boards=2 SocketsPerBoard=2 CoresPerSocket=2"),
        (8, 2, 4, 2, 1)
    );
    assert_eq!(
        shape("Boards=2 SocketsPerBoard=2 Sockets=7"),
        (4, 2, 4, 1, 1)
    );
    // Zeros are reset to one.
    assert_eq!(
        shape("CPUs=0 CoresPerSocket=0 ThreadsPerCore=0"),
        (1, 1, 1, 1, 1)
    );
    // Procs is the old name of CPUs.
    assert_eq!(shape("Procs=4"), (4, 1, 4, 1, 1));
    // Fewer sockets than boards resets boards to 1.
    assert_eq!(shape("Boards=4 Sockets=2"), (2, 1, 2, 1, 1));
    let c = parse("NodeName=n RealMemory=100 MemSpecLimit=200 CoreSpecCount=5 Weight=INFINITE\n");
    assert_eq!(c.nodes[0].mem_spec_limit, 0);
    assert_eq!(c.nodes[0].core_spec_count, 1);
    assert_eq!(c.nodes[0].weight, u32::MAX - 1);
}

#[test]
fn partitions() {
    let c = parse(concat!(
        "NodeName=b[1-2] Feature=big\nNodeName=a[1-2]\n",
        "NodeSet=bigs Feature=big\n",
        "PartitionName=DEFAULT MaxTime=30 State=DRAIN\n",
        "PartitionName=all Nodes=ALL Default=YES MaxTime=INFINITE State=UP\n",
        "PartitionName=some Nodes=a2,b1 DefaultTime=1:30 MaxNodes=UNLIMITED MinNodes=1\n",
        "PartitionName=set Nodes=bigs,a1 MaxTime=1-00:00:00 Hidden=YES RootOnly=yes ExclusiveUser=YES\n",
        "PartitionName=sp Nodes=\"a1 a2\" OverSubscribe=FORCE:2 PriorityTier=5 AllowAccounts=ACCT DenyAccounts=x\n",
        "PartitionName=mem Nodes=a1 DefMemPerNode=100 MaxMemPerCPU=50 Shared=YES AllowGroups=ALL\n",
    ));
    let p: Vec<_> = c.partitions.iter().collect();
    assert_eq!(p.len(), 5);
    assert_eq!(p[0].nodes, ["b1", "b2", "a1", "a2"]);
    assert_eq!(p[0].max_time, TimeLimit::Unlimited);
    assert_eq!(p[0].state, PartitionState::Up);
    assert!(p[0].default);
    assert_eq!(c.default_partition().map(|p| p.name.as_str()), Some("all"));
    // Node-table order, not the order written.
    assert_eq!(p[1].nodes, ["b1", "a2"]);
    assert_eq!(p[1].node_indices, [0, 3]);
    assert_eq!(p[1].default_time, Some(TimeLimit::Finite(2)));
    assert_eq!(p[1].max_time, TimeLimit::Finite(30));
    assert_eq!(p[1].state, PartitionState::Drain);
    assert_eq!(p[1].state.to_wire(), 2);
    assert_eq!(p[1].max_nodes, None);
    assert_eq!(p[1].min_nodes, 1);
    assert_eq!(p[2].nodes, ["b1", "b2", "a1"]);
    assert_eq!(p[2].max_time, TimeLimit::Finite(1440));
    assert_eq!(p[2].flags(), 0x2 | 0x8 | 0x40);
    assert_eq!(p[3].nodes, ["a1", "a2"]);
    assert_eq!(p[3].over_subscribe, OverSubscribe::Force(2));
    assert_eq!(
        p[3].over_subscribe.to_wire(),
        2 | OverSubscribe::SHARED_FORCE
    );
    assert_eq!((p[3].priority_tier, p[3].priority_job_factor), (5, 1));
    assert_eq!(p[3].allow_accounts.as_deref(), Some("acct"));
    assert_eq!(p[3].deny_accounts, None);
    assert_eq!(p[4].def_mem, Some(MemLimit::PerNode(100)));
    assert_eq!(p[4].max_mem, Some(MemLimit::PerCpu(50)));
    assert_eq!(p[4].over_subscribe.to_wire(), 4);
    assert_eq!(p[4].allow_groups, None);
    assert_eq!(c.node_sets[0].node_indices, [0, 1]);

    assert!(matches!(
        parse_err("NodeName=a1\nPartitionName=p Nodes=a[1-2]\n"),
        ConfError::UnknownNode { node, entity, .. } if node == "a2" && entity == "p"
    ));
    assert!(matches!(
        parse_err("PartitionName=p MaxTime=soon\n"),
        ConfError::BadValue { .. }
    ));
    assert!(matches!(
        parse_err("PartitionName=p State=SIDEWAYS\n"),
        ConfError::BadValue { .. }
    ));
    assert!(matches!(
        parse_err("PartitionName=p OverSubscribe=LOTS\n"),
        ConfError::BadValue { .. }
    ));
}

#[test]
fn down_nodes_and_frontends() {
    let c = parse(
        "NodeName=n[1-2]\nDownNodes=n2 Reason=dead State=DOWN\nFrontendName=fe1 FrontendAddr=x\n",
    );
    assert_eq!(c.down_nodes[0].nodes, "n2");
    assert_eq!(c.down_nodes[0].reason.as_deref(), Some("dead"));
    assert_eq!(c.frontends, ["fe1"]);
    assert!(matches!(
        parse_err("NodeName=n1\nDownNodes=n9\n"),
        ConfError::UnknownNode { .. }
    ));
}

#[test]
fn hash_depends_on_every_byte() {
    let a = parse("ClusterName=a\n").hash_val;
    let b = parse("ClusterName=a \n").hash_val;
    let c = parse("# ClusterName=b\nClusterName=a\n").hash_val;
    assert_ne!(a, b);
    assert_ne!(a, c);
    assert_eq!(a, parse("ClusterName=a\n").hash_val);
}

#[test]
fn bitfield_defaults() {
    let c = parse("");
    assert_eq!(c.debug_flags, 0);
    assert_eq!(c.prolog_flags, 0);
    assert_eq!(c.reconfig_flags, 0);
    assert_eq!(c.task_plugin_param, 0);
    assert_eq!(c.priority_flags, defaults::PRIORITY_FLAGS_FAIR_TREE);
    assert_eq!(c.preempt_mode, flags::preempt::OFF);
    assert_eq!(c.health_check_node_state, defaults::HEALTH_CHECK_NODE_ANY);
    assert_eq!(c.log_fmt, flags::log_fmt::ISO8601_MS);
    assert_eq!(c.cpu_freq_def, None);
    assert_eq!(c.cpu_freq_govs, defaults::CPU_FREQ_GOVS);
    assert_eq!(c.preempt_exempt_time, None);
}

#[test]
fn bitfields_from_conf() {
    let c = parse(
        "DebugFlags=Backfill,Gres\nPrologFlags=Contain,Serial\nReconfigFlags=KeepPartInfo\n\
         TaskPluginParam=Cores,autobind=threads\nPriorityFlags=MAX_TRES,NO_FAIR_TREE\n\
         PreemptType=preempt/qos\nPreemptMode=REQUEUE,GANG\nHealthCheckNodeState=IDLE,CYCLE\n\
         LogTimeFormat=rfc5424_ms\nCpuFreqDef=Performance\nCpuFreqGovernors=Performance,SchedUtil\n",
    );
    assert_eq!(c.debug_flags, flags::debug::BACKFILL | flags::debug::GRES);
    assert_eq!(
        c.prolog_flags,
        flags::prolog::ALLOC | flags::prolog::CONTAIN | flags::prolog::SERIAL
    );
    assert_eq!(c.reconfig_flags, flags::reconfig::KEEP_PART_INFO);
    assert_eq!(
        c.task_plugin_param,
        flags::cpu_bind::TO_CORES | flags::cpu_bind::AUTO_TO_THREADS
    );
    assert_eq!(c.priority_flags, flags::priority::MAX_TRES);
    assert_eq!(
        c.preempt_mode,
        flags::preempt::REQUEUE | flags::preempt::GANG
    );
    assert_eq!(
        c.health_check_node_state,
        flags::health_check::NODE_IDLE | flags::health_check::CYCLE
    );
    assert_eq!(c.log_fmt, flags::log_fmt::RFC5424_MS);
    assert_eq!(c.cpu_freq_def, Some(flags::cpu_freq::PERFORMANCE));
    assert_eq!(
        c.cpu_freq_govs,
        flags::cpu_freq::PERFORMANCE | flags::cpu_freq::SCHEDUTIL
    );
}

#[test]
fn bitfields_upstream_only_warns_about() {
    let c = parse("CpuFreqDef=UserSpace\nCpuFreqGovernors=Turbo\nHealthCheckNodeState=busy\nLogTimeFormat=nope\n");
    assert_eq!(c.cpu_freq_def, None);
    assert_eq!(c.cpu_freq_govs, defaults::CPU_FREQ_GOVS);
    assert_eq!(c.health_check_node_state, defaults::HEALTH_CHECK_NODE_ANY);
    assert_eq!(c.log_fmt, 0);
}

#[test]
fn bitfields_upstream_rejects() {
    for (text, key) in [
        ("DebugFlags=Backfill,Nope\n", "DebugFlags"),
        ("PrologFlags=Sometimes\n", "PrologFlags"),
        ("PrologFlags=NoHold,Contain\n", "PrologFlags"),
        (
            "ProctrackType=proctrack/linuxproc\nPrologFlags=X11\n",
            "PrologFlags",
        ),
        ("JobContainerType=job_container/tmpfs\n", "JobContainerType"),
        ("ReconfigFlags=KeepAll\n", "ReconfigFlags"),
        ("TaskPluginParam=cores,sockets\n", "TaskPluginParam"),
        ("PreemptMode=REQUEUE\n", "PreemptMode"),
        ("PreemptType=preempt/qos\n", "PreemptMode"),
        (
            "PreemptType=preempt/qos\nPreemptMode=SUSPEND\n",
            "PreemptMode",
        ),
        (
            "PreemptType=preempt/qos\nPreemptMode=GANG,WITHIN,CANCEL\n",
            "PreemptMode",
        ),
    ] {
        match parse_err(text) {
            ConfError::BadValue { key: k, .. } => assert_eq!(k, key, "{text}"),
            other => panic!("{text}: {other:?}"),
        }
    }
}
