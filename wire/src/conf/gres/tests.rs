//! Tests for gres.conf and the node's merged GRES records.

use super::*;

const GPU: u32 = 0x0075_7067; // plugin_id("gpu")
/// Default flags of a typed GPU line with File= (what stock slurmd reports).
const GPU_DEFAULT: u32 =
    conf_flags::ENV_SET | conf_flags::ENV_DEF | conf_flags::HAS_FILE | conf_flags::HAS_TYPE;

fn input<'a>(node: &'a str, gres: Option<&'a str>) -> NodeInput<'a> {
    NodeInput {
        node_name: node,
        gres_types: Some("gpu"),
        node_gres: gres,
        cpu_cnt: 8,
        core_cnt: 4,
        cluster_name: Some("c"),
        file_check: None,
    }
}

fn load(text: &str, inp: NodeInput<'_>) -> GresNodeConf {
    GresNodeConf::from_str(Some(text), "/etc/slurm/gres.conf", inp)
        .unwrap_or_else(|e| panic!("{e}"))
}

fn load_err(text: &str, inp: NodeInput<'_>) -> GresConfError {
    match GresNodeConf::from_str(Some(text), "/etc/slurm/gres.conf", inp) {
        Ok(c) => panic!("expected an error, got {c:?}"),
        Err(e) => e,
    }
}

fn files(c: &GresNodeConf) -> Vec<Option<&str>> {
    c.records.iter().map(|r| r.file.as_deref()).collect()
}

#[test]
fn the_compat_cluster_line() {
    let c = load(
        "NodeName=n[1-4] Name=gpu Type=a100 File=/d/gpu[0-1]\n",
        input("n2", Some("gpu:a100:2")),
    );
    assert_eq!(c.records.len(), 1);
    let r = &c.records[0];
    assert_eq!(
        (r.name.as_str(), r.type_name.as_deref(), r.count, r.cpu_cnt),
        ("gpu", Some("a100"), 2, 8)
    );
    assert_eq!((r.config_flags, r.plugin_id), (GPU_DEFAULT, GPU));
    assert_eq!(r.config_flags, 2534);
    let w = c.to_wire(9728);
    assert_eq!(w.version, 9728);
    assert_eq!(w.records[0].name.as_deref(), Some("gpu"));
    assert_eq!(w.records[0].cpus, None);
}

#[test]
fn node_selection_and_order() {
    let text = "\
# comment line
nodename=other Name=gpu Type=a File=/d/x0
NodeName=n[1-3] Name=gpu Type=b File=/d/b[0-1] # trailing comment
Name=gpu Type=c File=/d/c0
NODENAME=n2,n9 name=gpu type=d file=/d/d0
";
    let c = load(text, input("n2", Some("gpu:b:2,gpu:c:1,gpu:d:1,gpu:a:1")));
    // Slurm.conf order decides the merge: b, c, d, then a (no line for n2).
    let got: Vec<_> = c
        .records
        .iter()
        .map(|r| (r.type_name.as_deref().unwrap(), r.count))
        .collect();
    assert_eq!(got, [("b", 2), ("c", 1), ("d", 1)]);
    assert!(
        c.warnings.iter().any(|w| w.contains("file-less GPU gpu:a")),
        "{:?}",
        c.warnings
    );
    // Not selected: n1 sees b and c only.
    let c = load(text, input("n1", Some("gpu:b:2,gpu:c:1")));
    assert_eq!(files(&c), [Some("/d/b[0-1]"), Some("/d/c0")]);
}

#[test]
fn name_lines_come_before_nodename_lines() {
    // Same type twice: the untyped slurm.conf takes records in list order,
    // which puts every Name= line before the NodeName= lines.
    let text = "NodeName=n1 Name=gpu File=/d/n0\nName=gpu File=/d/g0\n";
    let c = load(text, input("n1", Some("gpu:2")));
    assert_eq!(files(&c), [Some("/d/g0"), Some("/d/n0")]);
}

#[test]
fn file_hostlist_counts_and_count_option() {
    let c = load(
        "Name=gpu File=/dev/nvidia[0-3],/dev/other\n",
        input("n1", Some("gpu:5")),
    );
    assert_eq!(c.records[0].count, 5);
    // Count must agree with File.
    let e = load_err(
        "Name=gpu File=/dev/nvidia[0-1] Count=3\n",
        input("n1", Some("gpu:2")),
    );
    assert!(
        e.to_string().contains("count does not match File value"),
        "{e}"
    );
    assert_eq!(
        load(
            "Name=gpu File=/dev/nvidia[0-1] Count=2\n",
            input("n1", Some("gpu:2"))
        )
        .records[0]
            .count,
        2
    );
}

#[test]
fn count_suffixes() {
    let inp = |g| NodeInput {
        gres_types: Some("bandwidth,gpu"),
        ..input("n1", g)
    };
    for (count, want) in [
        ("4", 4u64),
        ("2K", 2048),
        ("2k", 2048),
        ("3M", 3 << 20),
        ("1G", 1 << 30),
        ("1kb", 1000),
        ("5KiB", 5120),
    ] {
        let c = load(
            &format!("Name=bandwidth Count={count}\n"),
            inp(Some("bandwidth:1T")),
        );
        assert_eq!(c.records[0].count, want, "{count}");
        assert_eq!(c.records[0].config_flags, 0, "{count}");
    }
    // slurm.conf has fewer: the record is cut down to slurm.conf's count.
    assert_eq!(
        load("Name=bandwidth Count=2G\n", inp(Some("bandwidth:1K"))).records[0].count,
        1024
    );
    for bad in ["1X", "abc", "9223372036854775807"] {
        let e = load_err(
            &format!("Name=bandwidth Count={bad}\n"),
            inp(Some("bandwidth:1")),
        );
        assert!(e.to_string().contains("invalid count"), "{bad}: {e}");
    }
}

#[test]
fn slurm_conf_only_gres() {
    // No gres.conf: a non-GPU GRES is reported from slurm.conf alone (no
    // plugin: count only), a GPU is dropped for lack of a device file.
    let inp = NodeInput {
        gres_types: Some("gpu,bandwidth"),
        ..input("n1", Some("gpu:2,bandwidth:4K"))
    };
    let c = GresNodeConf::from_str(None, "/x/gres.conf", inp).unwrap();
    assert_eq!(c.records.len(), 1);
    let r = &c.records[0];
    assert_eq!(
        (r.name.as_str(), r.count, r.config_flags, r.cpu_cnt),
        ("bandwidth", 4096, conf_flags::COUNT_ONLY, 8)
    );
    // Missing file: same, with upstream's notice.
    let c = GresNodeConf::from_file("/nonexistent/dir/gres.conf", inp).unwrap();
    assert_eq!(c.records.len(), 1);
    assert!(
        c.warnings[0].starts_with("Can not stat gres.conf file"),
        "{:?}",
        c.warnings
    );
    // No GresTypes: nothing, whatever the files say.
    let none = NodeInput {
        gres_types: None,
        ..inp
    };
    assert!(
        GresNodeConf::from_str(Some("Name=gpu File=/d/0\n"), "/x", none)
            .unwrap()
            .records
            .is_empty()
    );
}

#[test]
fn untyped_slurm_conf_strips_the_type_and_extra_files_are_cut() {
    let c = load(
        "Name=gpu Type=a100 File=/d/gpu[0-3]\n",
        input("n1", Some("gpu:2")),
    );
    let r = &c.records[0];
    assert_eq!(
        (r.type_name.as_deref(), r.count, r.file.as_deref()),
        (None, 2, Some("/d/gpu[0-1]"))
    );
    assert_eq!(r.config_flags, GPU_DEFAULT & !conf_flags::HAS_TYPE);
    // Upstream's count check compares types before the merge strips them,
    // so it calls all four extra.
    assert!(
        c.warnings
            .iter()
            .any(|w| w.contains("gpu:a100 has 4 more configured than expected")),
        "{:?}",
        c.warnings
    );
    // A gres.conf type slurm.conf does not name is dropped.
    let c = load(
        "Name=gpu Type=v100 File=/d/gpu0\n",
        input("n1", Some("gpu:a100:1")),
    );
    assert!(c.records.is_empty());
}

#[test]
fn keys_are_case_insensitive_last_value_wins_unknown_keys_fail() {
    let c = load(
        "NAME=gpu TYPE=x type=a100 FILE=/d/g0 links=-1,0 cores=0-1\n",
        input("n1", Some("gpu:a100:1")),
    );
    let r = &c.records[0];
    assert_eq!(
        (
            r.type_name.as_deref(),
            r.links.as_deref(),
            r.cpus.as_deref()
        ),
        (Some("a100"), Some("-1,0"), Some("0-1"))
    );
    assert!(matches!(
        load_err("Name=gpu Bogus=1\n", input("n1", None)),
        GresConfError::Conf(ConfError::UnknownKey { .. })
    ));
    assert!(matches!(
        load_err("Bogus=1\n", input("n1", None)),
        GresConfError::Conf(ConfError::UnknownKey { .. })
    ));
    // Also on a line for another node.
    assert!(matches!(
        load_err("NodeName=zz Name=gpu Junk=1\n", input("n1", None)),
        GresConfError::Conf(ConfError::UnknownKey { .. })
    ));
    assert!(matches!(
        load_err("Name=gpu File=/d/0 words\n", input("n1", None)),
        GresConfError::Conf(ConfError::Syntax { .. })
    ));
    // Invalid links are dropped with a warning; bad Cores only warn.
    let c = load(
        "Name=gpu File=/d/g0 Links=0,0 Cores=0-99\n",
        input("n1", Some("gpu:1")),
    );
    assert_eq!(c.records[0].links, None);
    assert_eq!(c.records[0].cpus.as_deref(), Some("0-99"));
    assert_eq!(c.warnings.len(), 2, "{:?}", c.warnings);
}

#[test]
fn unknown_gres_names_are_ignored() {
    let c = load(
        "Name=fpga Count=2\nName=gpu File=/d/g0\n",
        input("n1", Some("gpu:1")),
    );
    assert_eq!(c.records.len(), 1);
    assert!(c.warnings.iter().any(|w| w.contains("invalid name: fpga")));
}

#[test]
fn env_flags() {
    let inp = input("n1", Some("gpu:3"));
    let c = load("Name=gpu File=/d/g0 Flags=nvidia_gpu_env\nName=gpu File=/d/g1\nName=gpu File=/d/g2 Flags=nvidia_gpu_env\n", inp);
    // The second line inherits the first line's env flags.
    for r in &c.records {
        assert_eq!(r.config_flags, conf_flags::ENV_NVML | conf_flags::HAS_FILE);
    }
    assert_eq!(c.env_flags(), conf_flags::ENV_NVML);
    let e = load_err(
        "Name=gpu File=/d/g0 Flags=nvidia_gpu_env\nName=gpu File=/d/g1 Flags=amd_gpu_env\n",
        input("n1", Some("gpu:2")),
    );
    assert!(e.to_string().contains("does not match env flags"), "{e}");
    let e = load_err("Name=gpu File=/d/g0 Flags=no_gpu_env,opencl_env\n", inp);
    assert!(e.to_string().contains("no_gpu_env"), "{e}");
    // no_gpu_env: no env at all, for this and the following lines.
    let c = load(
        "Name=gpu File=/d/g0 Flags=no_gpu_env\nName=gpu File=/d/g1\n",
        input("n1", Some("gpu:2")),
    );
    assert_eq!(c.env_flags(), 0);
    // CountOnly is kept on the record.
    let c = load(
        "Name=gpu File=/d/g0 Flags=CountOnly\n",
        input("n1", Some("gpu:1")),
    );
    assert_eq!(
        c.records[0].config_flags,
        GPU_DEFAULT & !conf_flags::HAS_TYPE | conf_flags::COUNT_ONLY
    );
}

#[test]
fn mps_and_shard_split_the_gpus() {
    // As stock slurmd registered it: one (mps, gpu) pair per device file,
    // mps taking the GPU's type.
    let inp = NodeInput {
        gres_types: Some("mps,gpu"),
        ..input("n1", Some("gpu:a100:2,mps:200"))
    };
    let c = load(
        "Name=gpu Type=a100 File=/d/g[0-1]\nName=mps Count=200 File=/d/g[0-1]\n",
        inp,
    );
    assert_eq!(
        c.contexts
            .iter()
            .map(|c| c.name.as_str())
            .collect::<Vec<_>>(),
        ["gpu", "mps"]
    );
    let got: Vec<_> = c
        .records
        .iter()
        .map(|r| {
            (
                r.name.as_str(),
                r.type_name.as_deref(),
                r.count,
                r.config_flags,
                r.file.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("mps", Some("a100"), 100, 1542, Some("/d/g0")),
            ("gpu", Some("a100"), 1, 2534, Some("/d/g0")),
            ("mps", Some("a100"), 100, 1542, Some("/d/g1")),
            ("gpu", Some("a100"), 1, 2534, Some("/d/g1")),
        ]
    );
    // The devices are numbered from the list before the split.
    assert_eq!(c.devices("gpu", |_| Ok(())).unwrap().devices.len(), 2);
    // A file-less Count is spread over the GPUs; no mps at all leaves
    // only the split GPUs.
    let c = load(
        "Name=gpu Type=a100 File=/d/g[0-2]\nName=mps Count=100\n",
        NodeInput {
            node_gres: Some("gpu:a100:3,mps:100"),
            ..inp
        },
    );
    let got: Vec<_> = c
        .records
        .iter()
        .map(|r| (r.name.as_str(), r.count))
        .collect();
    assert_eq!(
        got,
        [
            ("mps", 33),
            ("gpu", 1),
            ("mps", 33),
            ("gpu", 1),
            ("mps", 34),
            ("gpu", 1)
        ]
    );
    let c = load(
        "Name=gpu Type=a100 File=/d/g[0-1]\n",
        NodeInput {
            node_gres: Some("gpu:a100:2"),
            ..inp
        },
    );
    let got: Vec<_> = c
        .records
        .iter()
        .map(|r| (r.name.as_str(), r.count))
        .collect();
    assert_eq!(got, [("gpu", 1), ("gpu", 1)]);
    assert!(matches!(
        contexts(Some("mps")),
        Err(GresConfError::GresTypes(_))
    ));
}

#[test]
fn inconsistent_records_are_fatal() {
    let e = load_err(
        "Name=gpu File=/d/g0\nName=gpu Count=1\n",
        input("n1", Some("gpu:2")),
    );
    assert!(e.to_string().contains("\"File\""), "{e}");
    let e = load_err(
        "Name=gpu Type=a File=/d/g0\nName=gpu File=/d/g1\n",
        input("n1", Some("gpu:2")),
    );
    assert!(e.to_string().contains("\"Type=\""), "{e}");
    let inp = NodeInput {
        gres_types: Some("nic"),
        ..input("n1", Some("nic:2"))
    };
    let e = load_err("Name=nic Count=1\nName=nic Count=1\n", inp);
    assert!(e.to_string().contains("duplicate records"), "{e}");
    let e = load_err(
        "Name=gpu File=/d/g0 MultipleFiles=/d/g[1-2]\n",
        input("n1", Some("gpu:1")),
    );
    assert!(e.to_string().contains("mutually exclusive"), "{e}");
    let e = load_err("Name=gpu MultipleFiles=/d/g1\n", input("n1", Some("gpu:1")));
    assert!(
        e.to_string()
            .contains("MultipleFiles does not contain multiple files"),
        "{e}"
    );
    let e = GresNodeConf::from_str(None, "/x", input("n1", Some("gpu:a:1,gpu:1"))).unwrap_err();
    assert!(
        e.to_string().contains("have a type while others do not"),
        "{e}"
    );
}

#[test]
fn node_gres_strings() {
    let ng = |s| node_gres(Some(s), "gpu", &mut Vec::new());
    assert_eq!(
        ng("gpu:a100:2"),
        NodeGres {
            count: 2,
            types: vec![("a100".into(), 2)]
        }
    );
    assert_eq!(
        ng("gpu:2"),
        NodeGres {
            count: 2,
            types: vec![]
        }
    );
    assert_eq!(
        ng("gpu:a100"),
        NodeGres {
            count: 1,
            types: vec![("a100".into(), 1)]
        }
    );
    assert_eq!(
        ng("gpu:a:1,mps:100,gpu:b:2(S:0-1)").types,
        [("a".to_string(), 1), ("b".to_string(), 2)]
    );
    assert_eq!(ng("gpu:a:2K").count, 2048);
    assert_eq!(
        ng("gpu:a:no_consume:1"),
        NodeGres {
            count: 1,
            types: vec![("a".into(), 1)]
        }
    );
    // A bare name counts one and ends the scan.
    assert_eq!(
        ng("gpu,gpu:a:4"),
        NodeGres {
            count: 1,
            types: vec![]
        }
    );
    assert_eq!(ng("gpus:4").count, 0);
    let mut w = Vec::new();
    assert_eq!(
        node_gres(Some("gpu:a:1,gpu:b:2X,gpu:c:1"), "gpu", &mut w).types,
        [("a".to_string(), 1)]
    );
    assert_eq!(w, ["Bad GRES configuration: gpu:b:2X"]);
}

#[test]
fn include_follows_relative_paths_and_cluster_name() {
    let dir = std::env::temp_dir().join(format!("wire-gres-inc-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("sub")).unwrap();
    std::fs::write(
        dir.join("sub/c-gpus.conf"),
        "NodeName=n1 Name=gpu Type=a File=/d/g[0-1]\n",
    )
    .unwrap();
    std::fs::write(dir.join("gres.conf"), "include sub/%c-gpus.conf\n").unwrap();
    let c = GresNodeConf::from_file(dir.join("gres.conf"), input("n1", Some("gpu:a:2"))).unwrap();
    assert_eq!(files(&c), [Some("/d/g[0-1]")]);
    std::fs::write(dir.join("gres.conf"), "Include missing.conf\n").unwrap();
    let e =
        GresNodeConf::from_file(dir.join("gres.conf"), input("n1", Some("gpu:a:2"))).unwrap_err();
    assert!(
        matches!(e, GresConfError::Conf(ConfError::Include { .. })),
        "{e}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn autodetect() {
    let c = load(
        "AutoDetect=off\nName=gpu File=/d/g0\n",
        input("n1", Some("gpu:1")),
    );
    assert_eq!(c.autodetect, autodetect::OFF);
    // Node-local beats global; two different node-local values are fatal.
    let c = load(
        "AutoDetect=off\nNodeName=n1 AutoDetect=nvml\nName=gpu File=/d/g0\n",
        input("n1", Some("gpu:1")),
    );
    assert_eq!(c.autodetect, autodetect::NVML);
    assert_eq!(c.records.len(), 1);
    let e = load_err(
        "NodeName=n1 AutoDetect=nvml\nNodeName=n1 AutoDetect=off\n",
        input("n1", None),
    );
    assert!(e.to_string().contains("AutoDetect"), "{e}");
}

#[test]
fn devices_are_numbered_like_upstream() {
    let inp = input("n1", Some("gpu:4"));
    let c = load(
        "Name=gpu File=/dev/nvidia[0-1]\nName=gpu File=/dev/nvidia3,/dev/card\n",
        inp,
    );
    let d = c.devices("gpu", |_| Ok(())).unwrap();
    let got: Vec<_> = d
        .devices
        .iter()
        .map(|d| (d.index, d.dev_num, d.path.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            (0, 0, "/dev/nvidia0"),
            (1, 1, "/dev/nvidia1"),
            (2, 3, "/dev/nvidia3"),
            (3, 4, "/dev/card")
        ]
    );
    // A file that fails the check does not use up an index.
    let d = c
        .devices("gpu", |p| {
            if p.ends_with('1') {
                Err("no such file".into())
            } else {
                Ok(())
            }
        })
        .unwrap();
    let got: Vec<_> = d
        .devices
        .iter()
        .map(|d| (d.index, d.path.as_str()))
        .collect();
    assert_eq!(
        got,
        [(0, "/dev/nvidia0"), (1, "/dev/nvidia3"), (2, "/dev/card")]
    );
    assert_eq!(
        d.skipped,
        [("/dev/nvidia1".to_string(), "no such file".to_string())]
    );
    // Other names have no devices here.
    assert!(c.devices("nic", |_| Ok(())).unwrap().devices.is_empty());
    // The same file twice is fatal.
    let c = load(
        "Name=gpu File=/dev/g[0-1],/dev/g0\n",
        input("n1", Some("gpu:3")),
    );
    assert!(matches!(
        c.devices("gpu", |_| Ok(())),
        Err(GresConfError::DuplicateDevice { .. })
    ));
    // MultipleFiles: one device, one index, several files.
    let c = load(
        "Name=gpu MultipleFiles=/dev/a[0-1]\nName=gpu MultipleFiles=/dev/b[0-1]\n",
        input("n1", Some("gpu:2")),
    );
    let d = c.devices("gpu", |_| Ok(())).unwrap();
    let got: Vec<_> = d.devices.iter().map(|d| d.index).collect();
    assert_eq!(got, [0, 0, 1, 1]);
}

#[test]
fn cgroup_conf() {
    assert!(cgroup_constrain_devices(
        "CgroupPlugin=autodetect\nConstrainDevices=yes # x\n"
    ));
    assert!(!cgroup_constrain_devices("constraindevices=no\n"));
    assert!(!cgroup_constrain_devices(""));
}
