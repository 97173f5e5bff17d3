//! Batch steps run for real: as an unprivileged user, with upstream's
//! environment, stdio names, exit statuses and whole-tree termination.
//! Needs root (to become the user); skipped otherwise.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use nix::sys::signal::Signal;
use slurmd::step::env::get;
use slurmd::step::proctrack;
use slurmd::step::record::StepRecord;
use slurmd::step::{
    BatchJob, NodeContext, OpenMode, SignalScope, StepError, StepExit, StepId, StepManager,
    StepState, NO_VAL,
};

const USER: &str = "slurmtest";

struct User {
    uid: u32,
    gid: u32,
}

/// The test user, created if missing; `None` when not root.
fn user() -> Option<User> {
    if !nix::unistd::geteuid().is_root() {
        eprintln!("skipping: needs root");
        return None;
    }
    let find = || nix::unistd::User::from_name(USER).ok().flatten();
    let u = match find() {
        Some(u) => u,
        None => {
            let _ = std::process::Command::new("useradd")
                .args(["-M", "-s", "/bin/sh", USER])
                .status();
            find().expect("useradd slurmtest")
        }
    };
    Some(User {
        uid: u.uid.as_raw(),
        gid: u.gid.as_raw(),
    })
}

struct Fixture {
    _root: tempfile::TempDir,
    spool: PathBuf,
    work: PathBuf,
    manager: StepManager,
    exits: mpsc::Receiver<StepExit>,
    user: User,
}

fn node(spool: &Path) -> NodeContext {
    NodeContext {
        node_name: "tn1".into(),
        hostname: "testhost".into(),
        cpus: 2,
        cluster_name: Some("testcluster".into()),
        conf_path: "/etc/slurm/slurm.conf".into(),
        working_cluster: "testcluster:127.0.0.1:6817:9728:109".into(),
        spool_dir: spool.to_path_buf(),
        job_file_append: false,
        gres: Default::default(),
    }
}

fn fixture() -> Option<Fixture> {
    let user = user()?;
    let root = tempfile::tempdir().unwrap();
    std::fs::set_permissions(root.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let spool = root.path().join("spool");
    let work = root.path().join("work");
    std::fs::create_dir(&work).unwrap();
    std::os::unix::fs::chown(&work, Some(user.uid), Some(user.gid)).unwrap();
    let (tx, exits) = mpsc::channel();
    let tx = std::sync::Mutex::new(tx);
    let manager = StepManager::new(node(&spool), move |x| {
        let _ = tx.lock().unwrap().send(x);
    });
    Some(Fixture {
        _root: root,
        spool,
        work,
        manager,
        exits,
        user,
    })
}

impl Fixture {
    fn job(&self, job_id: u32, script: &str) -> BatchJob {
        BatchJob {
            job_id,
            uid: self.user.uid,
            gid: self.user.gid,
            gids: vec![self.user.gid],
            user_name: USER.into(),
            partition: "debug".into(),
            array_task_id: NO_VAL,
            cpus_per_node: vec![2],
            cpu_count_reps: vec![1],
            nodes: "tn1".into(),
            script: script.into(),
            work_dir: self.work.to_string_lossy().into_owned(),
            argv: vec!["script.sh".into()],
            environment: vec![
                "PATH=/usr/local/bin:/usr/bin:/bin".into(),
                "SLURM_JOB_NAME=myjob".into(),
                format!("SLURM_SUBMIT_DIR={}", self.work.display()),
                "SLURM_SUBMIT_HOST=submithost".into(),
                "SLURM_UMASK=0022".into(),
                "SLURM_PRIO_PROCESS=0".into(),
            ],
            open_mode: OpenMode::Truncate,
            ..Default::default()
        }
    }

    fn run(&self, job: &BatchJob) -> StepExit {
        let step = self.manager.launch_batch(job).expect("launch");
        let exit = self
            .manager
            .wait_exit(step, Duration::from_secs(30))
            .expect("step ended");
        let reported = self
            .exits
            .recv_timeout(Duration::from_secs(5))
            .expect("exit reported");
        assert_eq!(reported, exit);
        exit
    }

    fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.work.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
    }
}

#[test]
fn output_file_content_owner_mode_and_name() {
    let Some(f) = fixture() else { return };
    let mut job = f.job(
        4201,
        "#!/bin/bash\necho \"hello $(id -un) $(id -gn) $PWD\"\necho oops >&2\nexit 0\n",
    );
    job.std_out = Some("%x-%j-%u.%N.%s.out".into());
    job.std_err = Some("err-%5j-%%.txt".into());
    job.environment.retain(|e| !e.starts_with("SLURM_UMASK="));
    job.environment.push("SLURM_UMASK=0077".into());
    let exit = f.run(&job);
    assert_eq!(exit.status, Some(0));
    assert_eq!(exit.exit_code(), Some(0));
    let out = "myjob-4201-slurmtest.testhost.batch.out";
    assert_eq!(
        f.read(out),
        format!("hello slurmtest slurmtest {}\n", f.work.display())
    );
    assert_eq!(f.read("err-04201-%.txt"), "oops\n");
    let meta = std::fs::metadata(f.work.join(out)).unwrap();
    assert_eq!((meta.uid(), meta.gid()), (f.user.uid, f.user.gid));
    assert_eq!(meta.mode() & 0o777, 0o600, "SLURM_UMASK=0077 applies");
    // The script was written where upstream writes it, and stays until release.
    let script = f.spool.join("job04201/slurm_script");
    let smeta = std::fs::metadata(&script).unwrap();
    assert_eq!((smeta.mode() & 0o777, smeta.uid()), (0o700, f.user.uid));
    let dmeta = std::fs::metadata(f.spool.join("job04201")).unwrap();
    assert_eq!((dmeta.mode() & 0o777, dmeta.gid()), (0o750, f.user.gid));
    f.manager.release(StepId::batch(4201)).unwrap();
    assert!(!script.exists());
    assert!(!f.spool.join("job04201").exists());
    assert!(f.manager.steps().is_empty());
}

#[test]
fn default_output_name_and_append_mode() {
    let Some(f) = fixture() else { return };
    std::fs::write(f.work.join("slurm-4202.out"), "before\n").unwrap();
    std::os::unix::fs::chown(
        f.work.join("slurm-4202.out"),
        Some(f.user.uid),
        Some(f.user.gid),
    )
    .unwrap();
    let mut job = f.job(4202, "#!/bin/sh\necho appended\n");
    job.open_mode = OpenMode::Append;
    f.run(&job);
    assert_eq!(f.read("slurm-4202.out"), "before\nappended\n");
    let mut arr = f.job(
        4203,
        "#!/bin/sh\necho \"$SLURM_ARRAY_JOB_ID $SLURM_ARRAY_TASK_ID\"\n",
    );
    arr.array_job_id = 4100;
    arr.array_task_id = 7;
    f.run(&arr);
    assert_eq!(f.read("slurm-4100_7.out"), "4100 7\n");
}

#[test]
fn exit_codes_and_signals() {
    let Some(f) = fixture() else { return };
    let x = f.run(&f.job(4211, "#!/bin/bash\nexit 3\n"));
    assert_eq!(x.status, Some(3 << 8));
    assert_eq!((x.exit_code(), x.signal()), (Some(3), None));

    let x = f.run(&f.job(4212, "#!/bin/bash\nkill -9 $$\n"));
    assert_eq!(x.status, Some(9));
    assert_eq!((x.exit_code(), x.signal()), (None, Some(9)));

    let x = f.run(&f.job(
        4213,
        "#!/bin/bash\nset -euo pipefail\nfalse | cat\necho not reached\n",
    ));
    assert_eq!(x.exit_code(), Some(1));
    assert_eq!(f.read("slurm-4213.out"), "");

    let x = f.run(&f.job(
        4214,
        "#!/bin/bash\nset -u\necho \"$NOT_SET_ANYWHERE\"\necho not reached\n",
    ));
    assert_ne!(x.exit_code(), Some(0));
}

#[test]
fn slurm_environment() {
    let Some(f) = fixture() else { return };
    let mut job = f.job(4221, "#!/bin/bash\necho \"PID=$$\"\nenv\n");
    job.argv = vec!["script.sh".into(), "a1".into()];
    job.ntasks = 2;
    job.account = Some("acct".into());
    let x = f.run(&job);
    assert_eq!(x.status, Some(0));
    let out = f.read("slurm-4221.out");
    let mut lines = out.lines();
    let pid = lines
        .next()
        .unwrap()
        .strip_prefix("PID=")
        .unwrap()
        .to_string();
    let env: Vec<String> = lines.map(str::to_string).collect();
    let work = f.work.display().to_string();
    for (k, v) in [
        ("SLURM_JOB_ID", "4221"),
        ("SLURM_JOBID", "4221"),
        ("SLURM_JOB_NAME", "myjob"),
        ("SLURM_JOB_NODELIST", "tn1"),
        ("SLURM_NODELIST", "tn1"),
        ("SLURM_NNODES", "1"),
        ("SLURM_JOB_NUM_NODES", "1"),
        ("SLURM_NTASKS", "2"),
        ("SLURM_NPROCS", "2"),
        ("SLURM_TASKS_PER_NODE", "2"),
        ("SLURM_CPUS_ON_NODE", "2"),
        ("SLURM_JOB_CPUS_PER_NODE", "2"),
        ("SLURM_SUBMIT_DIR", work.as_str()),
        ("SLURM_SUBMIT_HOST", "submithost"),
        ("SLURM_JOB_PARTITION", "debug"),
        ("SLURM_CLUSTER_NAME", "testcluster"),
        ("SLURMD_NODENAME", "tn1"),
        ("SLURM_JOB_USER", USER),
        ("SLURM_JOB_ACCOUNT", "acct"),
        ("SLURM_GTIDS", "0"),
        ("SLURM_PROCID", "0"),
        ("SLURM_LOCALID", "0"),
        ("SLURM_NODEID", "0"),
        ("SLURM_TASK_PID", pid.as_str()),
        ("SLURM_CONF", "/etc/slurm/slurm.conf"),
        ("SLURM_TOPOLOGY_ADDR", "tn1"),
        ("ENVIRONMENT", "BATCH"),
        ("HOSTNAME", "tn1"),
        ("PATH", "/usr/local/bin:/usr/bin:/bin"),
    ] {
        assert_eq!(get(&env, k), Some(v), "{k} in {env:?}");
    }
    assert_eq!(
        get(&env, "SLURM_JOB_UID"),
        Some(f.user.uid.to_string().as_str())
    );
    assert_eq!(
        get(&env, "SLURM_JOB_GID"),
        Some(f.user.gid.to_string().as_str())
    );
    for k in ["SLURM_UMASK", "SLURM_STEP_ID", "SLURM_ARRAY_TASK_ID"] {
        assert_eq!(get(&env, k), None, "{k}");
    }
}

#[test]
fn daemon_descriptors_do_not_leak_into_the_job() {
    let Some(f) = fixture() else { return };
    // A descriptor without close-on-exec, as a careless library might leave.
    // SAFETY: dup of our own stderr; closed below.
    let leaked = unsafe { libc::dup(2) };
    assert!(leaked > 2);
    let x = f.run(&f.job(4235, "#!/bin/bash\nls /proc/$$/fd\n"));
    // SAFETY: closing the descriptor duplicated above.
    unsafe { libc::close(leaked) };
    assert_eq!(x.status, Some(0));
    let fds: Vec<String> = f
        .read("slurm-4235.out")
        .split_whitespace()
        .map(str::to_string)
        .collect();
    assert!(
        !fds.contains(&leaked.to_string()),
        "fd {leaked} leaked: {fds:?}"
    );
    assert!(
        fds.iter()
            .all(|fd| ["0", "1", "2", "255"].contains(&fd.as_str())),
        "{fds:?}"
    );
}

#[test]
fn work_dir_falls_back_to_tmp() {
    let Some(f) = fixture() else { return };
    let mut job = f.job(4231, "#!/bin/sh\npwd\n");
    job.work_dir = "/nonexistent/dir".into();
    job.std_out = Some(format!("{}/fallback-%j.out", f.work.display()));
    assert_eq!(f.run(&job).status, Some(0));
    assert_eq!(f.read("fallback-4231.out"), "/tmp\n");
}

#[test]
fn launch_failures_leave_nothing_behind() {
    let Some(f) = fixture() else { return };
    // Output into a directory the user may not write: refused before exec.
    let locked = f.work.join("locked");
    std::fs::create_dir(&locked).unwrap();
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::os::unix::fs::chown(&locked, Some(0), Some(0)).unwrap();
    let mut job = f.job(4241, "#!/bin/sh\necho hi\n");
    job.std_out = Some(format!("{}/out", locked.display()));
    match f.manager.launch_batch(&job) {
        Err(
            e @ StepError::Exec {
                stage: "open stdout",
                ..
            },
        ) => {
            assert_eq!(e.slurm_rc(), wire::errno::SlurmRc::ESLURMD_IO_ERROR)
        }
        other => panic!("expected an exec error, got {other:?}"),
    }
    assert!(!f.spool.join("job04241").exists());
    assert!(f.manager.steps().is_empty());
    // Neither a record nor the keeper's status of the failed start remain.
    assert_eq!(
        std::fs::read_dir(f.manager.records_dir()).unwrap().count(),
        0
    );
    let empty = f.job(4242, "");
    assert!(matches!(
        f.manager.launch_batch(&empty),
        Err(StepError::EmptyScript(4242))
    ));
    let nul = f.job(4243, "#!/bin/sh\n");
    let mut nul = nul;
    nul.environment.push("BAD=a\0b".into());
    assert!(matches!(
        f.manager.launch_batch(&nul),
        Err(StepError::InvalidLaunch { .. })
    ));
    assert!(!f.spool.join("job04243").exists());
}

/// Live processes of the test user running `sleep <secs>` for any of `marks`.
fn sleepers(marks: &[&str]) -> Vec<i32> {
    let mut out = Vec::new();
    for p in proctrack::snapshot() {
        if !p.is_live() {
            continue;
        }
        let Ok(cmd) = std::fs::read(format!("/proc/{}/cmdline", p.pid)) else {
            continue;
        };
        let args: Vec<String> = cmd
            .split(|&b| b == 0)
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect();
        if args.first().is_some_and(|a| a.ends_with("sleep"))
            && args.get(1).is_some_and(|a| marks.contains(&a.as_str()))
        {
            out.push(p.pid);
        }
    }
    out
}

fn wait_for(mut cond: impl FnMut() -> bool, what: &str) {
    for _ in 0..200 {
        if cond() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("timed out waiting for {what}");
}

#[test]
fn terminate_kills_the_whole_tree() {
    let Some(f) = fixture() else { return };
    // Background children, one in a new session, one in a new session whose
    // parent exits (orphaned to init), one ignoring SIGTERM, one nohup'd.
    let script = "#!/bin/bash\n\
sleep 4251 &\n\
setsid sleep 4252 &\n\
( setsid sleep 4253 & )\n\
bash -c 'trap \"\" TERM; sleep 4254' &\n\
nohup sleep 4255 >/dev/null 2>&1 &\n\
echo started\n\
wait\n";
    let marks = ["4251", "4252", "4253", "4254", "4255"];
    let step = f.manager.launch_batch(&f.job(4250, script)).unwrap();
    wait_for(|| sleepers(&marks).len() == 5, "five sleepers");
    assert_eq!(f.manager.running_steps(), vec![step]);
    let found = f.manager.processes(step, true);
    for pid in sleepers(&marks) {
        assert!(found.iter().any(|p| p.pid == pid), "pid {pid} not tracked");
    }
    let all_gone = f
        .manager
        .terminate(step, Duration::from_millis(500))
        .unwrap();
    assert!(all_gone);
    wait_for(|| sleepers(&marks).is_empty(), "no sleeper left");
    let exit = f.manager.wait_exit(step, Duration::from_secs(10)).unwrap();
    assert_eq!(exit.signal(), Some(libc::SIGTERM));
    assert!(f.manager.running_steps().is_empty());
}

#[test]
fn signal_batch_shell_only() {
    let Some(f) = fixture() else { return };
    let script =
        "#!/bin/bash\ntrap 'echo got USR1' USR1\nsleep 4261 &\nwait\necho after wait\nwait\n";
    let step = f.manager.launch_batch(&f.job(4260, script)).unwrap();
    wait_for(|| sleepers(&["4261"]).len() == 1, "sleeper");
    std::thread::sleep(Duration::from_millis(200)); // let bash reach `wait`
    assert_eq!(
        f.manager
            .signal(step, Signal::SIGUSR1, SignalScope::BatchShell)
            .unwrap(),
        1
    );
    wait_for(
        || f.read("slurm-4260.out").contains("after wait"),
        "trap output",
    );
    assert_eq!(f.read("slurm-4260.out"), "got USR1\nafter wait\n");
    assert_eq!(
        sleepers(&["4261"]).len(),
        1,
        "the child did not get the signal"
    );
    assert_eq!(f.manager.state(step), Some(StepState::Running));
    // Now to everyone: the sleeper dies of it, the shell traps it again.
    assert!(
        f.manager
            .signal_job(4260, Signal::SIGTERM, SignalScope::All)
            >= 2
    );
    let exit = f.manager.wait_exit(step, Duration::from_secs(10)).unwrap();
    assert_eq!(exit.signal(), Some(libc::SIGTERM));
    // The sleeper got its SIGTERM too; on a busy machine it may still be on
    // its way out when the shell's end is seen.
    wait_for(|| sleepers(&["4261"]).is_empty(), "sleeper gone");
}

#[test]
fn restart_reattaches_to_running_steps() {
    let Some(f) = fixture() else { return };
    let step = f
        .manager
        .launch_batch(&f.job(4270, "#!/bin/sh\nsleep 4271\n"))
        .unwrap();
    wait_for(|| sleepers(&["4271"]).len() == 1, "sleeper");
    let pid = f.manager.steps()[0].pid;

    // A finished step whose end was never reported, and one whose leader
    // vanished while no daemon was watching.
    let dir = f.manager.records_dir().to_path_buf();
    let base = StepRecord {
        step: StepId::batch(4272),
        node_name: "tn1".into(),
        pid: 999_999,
        pgid: 999_999,
        start_time: 1,
        uid: f.user.uid,
        gid: f.user.gid,
        exit_status: Some(3 << 8),
        keeper: None,
    };
    base.save(&dir).unwrap();
    StepRecord {
        step: StepId::batch(4273),
        exit_status: None,
        ..base.clone()
    }
    .save(&dir)
    .unwrap();

    // A second daemon instance on the same spool dir (as after a restart).
    let (tx, rx) = mpsc::channel();
    let tx = std::sync::Mutex::new(tx);
    let again = StepManager::new(node(&f.spool), move |x| {
        let _ = tx.lock().unwrap().send(x);
    });
    let report = again.reattach();
    assert_eq!(report.running, vec![step]);
    assert_eq!(
        report.ended,
        vec![
            StepExit {
                step: StepId::batch(4272),
                status: Some(3 << 8)
            },
            StepExit {
                step: StepId::batch(4273),
                status: None
            }
        ]
    );
    assert_eq!(again.running_steps(), vec![step]);
    let info = again.steps().into_iter().find(|s| s.step == step).unwrap();
    assert!(info.reattached);
    assert_eq!(info.pid, pid);

    assert!(again.terminate(step, Duration::from_secs(1)).unwrap());
    // The new instance is not the keeper's parent, yet gets the real status
    // from the status file; so does the original one.
    let seen = rx.recv_timeout(Duration::from_secs(10)).unwrap();
    assert_eq!(seen.step, step);
    assert_eq!(seen.signal(), Some(libc::SIGTERM));
    let exit = f.manager.wait_exit(step, Duration::from_secs(10)).unwrap();
    assert_eq!(exit, seen);
    for s in [step, StepId::batch(4272), StepId::batch(4273)] {
        again.release(s).unwrap();
    }
    assert!(slurmd::step::record::load_all(&dir, "tn1").0.is_empty());
}

/// The batch shell's parent is its keeper, in a session of its own; the
/// shell leads its own process group and session.
#[test]
fn keeper_is_the_shells_parent_outside_its_session() {
    let Some(f) = fixture() else { return };
    let step = f
        .manager
        .launch_batch(&f.job(
            4300,
            "#!/bin/sh
sleep 4301
",
        ))
        .unwrap();
    wait_for(|| sleepers(&["4301"]).len() == 1, "sleeper");
    let pid = f.manager.steps()[0].pid;
    let shell = proctrack::read_proc(pid).unwrap();
    assert_eq!((shell.pgid, shell.sid), (pid, pid));
    let keeper = proctrack::read_proc(shell.ppid).unwrap();
    assert_ne!(keeper.pid, std::process::id() as i32);
    assert_eq!(keeper.ppid, std::process::id() as i32);
    assert_eq!((keeper.pgid, keeper.sid), (keeper.pid, keeper.pid));
    assert_eq!(
        std::fs::read_to_string(format!("/proc/{}/comm", keeper.pid)).unwrap(),
        "slurmd-keeper\n"
    );
    // Every signal blocked, no descriptor of ours but stdio on /dev/null.
    let status = std::fs::read_to_string(format!("/proc/{}/status", keeper.pid)).unwrap();
    let blocked = status
        .lines()
        .find_map(|l| l.strip_prefix("SigBlk:"))
        .unwrap()
        .trim();
    // Signals 1-31 but SIGKILL and SIGSTOP, which cannot be blocked.
    let blocked = u64::from_str_radix(blocked, 16).unwrap();
    assert_eq!(
        blocked & 0x7fff_ffff,
        0x7fff_ffff & !(1 << (libc::SIGKILL - 1)) & !(1 << (libc::SIGSTOP - 1))
    );
    let fds: Vec<_> = std::fs::read_dir(format!("/proc/{}/fd", keeper.pid))
        .unwrap()
        .flatten()
        .collect();
    assert_eq!(fds.len(), 3, "{fds:?}");
    // The keeper is no member of the step: a whole-step kill spares it.
    assert!(!f
        .manager
        .processes(step, true)
        .iter()
        .any(|p| p.pid == keeper.pid));
    assert_eq!(
        f.manager
            .signal(step, Signal::SIGTERM, SignalScope::All)
            .unwrap(),
        2
    );
    let exit = f.manager.wait_exit(step, Duration::from_secs(10)).unwrap();
    assert_eq!(exit.signal(), Some(libc::SIGTERM));
    wait_for(
        || proctrack::live_start_time(keeper.pid) != Some(keeper.start_time),
        "keeper gone",
    );
}

/// A step that ends while no daemon watches keeps its real wait status: the
/// keeper leaves it for the next instance, which reports it whether the
/// step ended before it started or while it was watching again. A killed
/// keeper loses it (the step still ends, with an unknown status).
#[test]
fn exit_status_survives_the_daemon() {
    let Some(f) = fixture() else { return };
    let quick = StepId::batch(4310);
    let slow = StepId::batch(4311);
    let orphan = StepId::batch(4312);
    let first = StepManager::new(node(&f.spool), |_| {});
    first
        .launch_batch(&f.job(
            4310,
            "#!/bin/bash
sleep 0.2
exit 3
",
        ))
        .unwrap();
    first
        .launch_batch(&f.job(
            4311,
            "#!/bin/bash
sleep 2
kill -USR1 $$
",
        ))
        .unwrap();
    first
        .launch_batch(&f.job(
            4312,
            "#!/bin/bash
sleep 4313
",
        ))
        .unwrap();
    let pids: std::collections::HashMap<StepId, i32> =
        first.steps().iter().map(|s| (s.step, s.pid)).collect();
    // "The daemon dies": this instance stops reporting; its threads still
    // reap the keepers, as init would.
    drop(first);
    let status_of = |step: StepId| {
        f.manager
            .records_dir()
            .join(slurmd::step::record::status_file_name("tn1", step))
    };
    wait_for(|| status_of(quick).exists(), "quick step's status file");
    assert_eq!(
        std::fs::read_to_string(status_of(quick)).unwrap(),
        format!("{}\n", 3 << 8)
    );
    // Kill the third step's keeper: its leader runs on, unkept.
    wait_for(|| sleepers(&["4313"]).len() == 1, "sleeper");
    let keeper = proctrack::read_proc(pids[&orphan]).unwrap().ppid;
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(keeper), Signal::SIGKILL).unwrap();
    wait_for(
        || proctrack::read_proc(pids[&orphan]).is_some_and(|p| p.ppid != keeper),
        "orphaned leader",
    );

    let (tx, rx) = mpsc::channel();
    let tx = std::sync::Mutex::new(tx);
    let again = StepManager::new(node(&f.spool), move |x| {
        let _ = tx.lock().unwrap().send(x);
    });
    let report = again.reattach();
    assert_eq!(
        report.ended,
        vec![StepExit {
            step: quick,
            status: Some(3 << 8)
        }]
    );
    assert_eq!(report.running, vec![slow, orphan]);
    let x = rx.recv_timeout(Duration::from_secs(10)).unwrap();
    assert_eq!(x.step, slow);
    assert_eq!(x.signal(), Some(libc::SIGUSR1));
    assert!(again.terminate(orphan, Duration::from_secs(1)).unwrap());
    assert_eq!(
        rx.recv_timeout(Duration::from_secs(10)).unwrap(),
        StepExit {
            step: orphan,
            status: None
        }
    );
    for s in [quick, slow, orphan] {
        again.release(s).unwrap();
    }
    assert_eq!(std::fs::read_dir(again.records_dir()).unwrap().count(), 0);
}

#[test]
fn duplicate_launch_is_refused() {
    let Some(f) = fixture() else { return };
    let job = f.job(4280, "#!/bin/sh\nsleep 4281\n");
    let step = f.manager.launch_batch(&job).unwrap();
    assert!(matches!(f.manager.launch_batch(&job), Err(StepError::Duplicate(s)) if s == step));
    assert!(matches!(
        f.manager.release(step),
        Err(StepError::StillRunning(_))
    ));
    assert!(f.manager.terminate_job(4280, Duration::from_secs(1)));
    f.manager.wait_exit(step, Duration::from_secs(10)).unwrap();
    f.manager.release(step).unwrap();
    assert!(matches!(
        f.manager.terminate(step, Duration::ZERO),
        Err(StepError::NotFound(_))
    ));
}
