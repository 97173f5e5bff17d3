//! Jobs that really run: stock clients, the controller under test and node
//! daemons (`SLURMD_BIN`), compared with goldens recorded from stock
//! slurmctld + stock slurmd. Every cluster has nodes n1..n4 (2 CPUs,
//! 2000 MB each, see conf/slurm-nodes.conf.in).

use std::time::Duration;

use compat_tests::{Golden, TEST_USER};

use crate::jobs_common::{
    job_id, marker, node_cluster, wait_done, wait_job_settled, wait_job_states, wait_no_process,
    wait_node_state, wait_processes, DONE,
};

const ENV_VARS: &str = "SLURM_JOB_ID SLURM_JOB_NAME SLURM_JOB_NODELIST SLURM_NNODES \
SLURM_NTASKS SLURM_CPUS_ON_NODE SLURM_CPUS_PER_TASK SLURM_SUBMIT_DIR SLURM_SUBMIT_HOST \
SLURM_JOB_PARTITION SLURM_CLUSTER_NAME SLURMD_NODENAME";

const ARRAY_VARS: &str = "SLURM_JOB_ID SLURM_ARRAY_JOB_ID SLURM_ARRAY_TASK_ID \
SLURM_ARRAY_TASK_COUNT SLURM_ARRAY_TASK_MIN SLURM_ARRAY_TASK_MAX SLURM_ARRAY_TASK_STEP \
SLURM_JOB_NAME SLURMD_NODENAME";

fn echo_vars(vars: &str) -> String {
    format!("for v in {vars}; do echo \"$v=${{!v-<unset>}}\"; done\n")
}

/// Output files (name pattern, owner, mode, content) and the environment
/// of a plain job, an array job and a job using every filename pattern.
#[test]
fn job_output_files_and_environment() {
    let c = node_cluster();
    let g = Golden::new("job_env");
    let script = format!(
        "#!/bin/bash\necho hello from the job\necho to stderr >&2\n{}echo pwd=$(pwd)\n\
         echo ---\nenv | grep ^SLURM | sort\n",
        echo_vars(ENV_VARS)
    );
    let plain = g.run_stdin(
        &c,
        "submit_plain",
        &[
            "sbatch",
            "--parsable",
            "-J",
            "envjob",
            "-n",
            "1",
            "-c",
            "2",
            "-o",
            "out-%x-%j.txt",
            "-e",
            "err-%x-%j.txt",
        ],
        &script,
    );
    let plain = job_id(&plain);
    wait_done(&c, &plain);

    let array_script = format!(
        "#!/bin/bash\n{}echo ---\nenv | grep ^SLURM | sort\n",
        echo_vars(ARRAY_VARS)
    );
    let array = job_id(&g.run_stdin(
        &c,
        "submit_array",
        &[
            "sbatch",
            "--parsable",
            "-J",
            "arrjob",
            "--array=1-2",
            "-o",
            "arr-%A_%a.txt",
        ],
        &array_script,
    ));
    wait_done(&c, &array);

    let patterns = job_id(&g.run_stdin(
        &c,
        "submit_patterns",
        &[
            "sbatch",
            "--parsable",
            "-J",
            "patjob",
            "-o",
            "pat-%j-%J-%x-%u-%N-%n-%t-%s-%%.txt",
        ],
        "#!/bin/bash\necho patterns\necho stderr goes here too >&2\n",
    ));
    wait_done(&c, &patterns);

    g.run(
        &c,
        "files",
        &["sh", "-c", "stat -c '%U %G %a %n' out-* err-* arr-* pat-*"],
    );
    g.run(
        &c,
        "out_plain",
        &["cat", &format!("out-envjob-{plain}.txt")],
    );
    g.run(
        &c,
        "err_plain",
        &["cat", &format!("err-envjob-{plain}.txt")],
    );
    g.run(&c, "out_array_1", &["cat", &format!("arr-{array}_1.txt")]);
    g.run(&c, "out_array_2", &["cat", &format!("arr-{array}_2.txt")]);
    g.run(&c, "out_patterns", &["sh", "-c", "cat pat-*"]);
    wait_job_settled(&c, &plain);
    wait_job_settled(&c, &array);
    g.run(&c, "show_plain", &["scontrol", "show", "job", &plain]);
    g.run(&c, "show_array", &["scontrol", "show", "job", &array]);
}

/// `exit 3`, death by SIGKILL, a `set -euo pipefail` failure and success:
/// states and ExitCode as upstream reports them.
#[test]
fn job_exit_codes() {
    let c = node_cluster();
    let g = Golden::new("job_exit_codes");
    // Each sleeps first so that all four run at once: which node a job gets
    // then does not depend on whether an earlier one already ended.
    let jobs = [
        ("exit3", "#!/bin/bash\nsleep 2\necho before\nexit 3\n"),
        ("killed", "#!/bin/bash\nsleep 2\necho before\nkill -9 $$\necho after\n"),
        (
            "pipefail",
            "#!/bin/bash\nset -euo pipefail\nsleep 2\necho before\ngrep nothing /dev/null | cat\necho unreachable\n",
        ),
        ("ok", "#!/bin/bash\nsleep 2\necho fine\n"),
    ];
    let mut ids = Vec::new();
    for (name, script) in jobs {
        let out = format!("{name}-%j.txt");
        let id = job_id(&g.run_stdin(
            &c,
            &format!("submit_{name}"),
            &["sbatch", "--parsable", "-J", name, "-o", &out],
            script,
        ));
        ids.push((name, id));
    }
    for (_, id) in &ids {
        wait_done(&c, id);
    }
    for (name, id) in &ids {
        g.run(
            &c,
            &format!("show_{name}"),
            &["scontrol", "show", "job", id],
        );
        g.run(
            &c,
            &format!("out_{name}"),
            &["cat", &format!("{name}-{id}.txt")],
        );
    }
    g.run(
        &c,
        "squeue_all",
        &[
            "squeue",
            "-t",
            "all",
            "-o",
            "%.6i %.9P %.10j %.8u %.10T %.10r %N",
        ],
    );
}

/// A job whose script started background processes: after scancel it is
/// CANCELLED and none of its processes survive.
#[test]
fn scancel_running_job_kills_every_process() {
    let mut c = node_cluster();
    // Upstream varies here from run to run. ExitCode: 0:15 when idle, 0:0
    // under load (both seen with stock slurmctld + slurmd, even after the
    // record settled). "Terminated": the child `bash -c` prints it when its
    // `sleep` dies of SIGTERM before the child itself does.
    c.normalize(r"ExitCode=0:(0|15)\b", "ExitCode=0:<0|15>");
    c.normalize(r"(?m)^Terminated\n", "");
    let g = Golden::new("job_scancel");
    let m = marker(&c);
    // exec 2>/dev/null: bash's own "Terminated" report of its killed
    // children is a race of bash's, not Slurm's; keep it out of the file.
    let script = format!(
        "#!/bin/bash\nbash -c 'sleep 600; : {m}-job' &\nbash -c 'sleep 600; : {m}-job' &\n\
         echo started\nexec 2>/dev/null\nwait\n"
    );
    let id = job_id(&g.run_stdin(
        &c,
        "submit",
        &[
            "sbatch",
            "--parsable",
            "-J",
            "victim",
            "-o",
            "victim-%j.txt",
        ],
        &script,
    ));
    wait_job_states(&c, &id, &["RUNNING"], Duration::from_secs(30));
    // The two children plus the batch shell (its script lives in the spool).
    let pattern = format!("{m}-job|{m}/spool");
    wait_processes(&c, &pattern, 3);
    g.run(
        &c,
        "squeue_running",
        &["squeue", "-o", "%.6i %.10j %.8T %N"],
    );
    g.run(&c, "scancel", &["scancel", &id]);
    wait_done(&c, &id);
    let gone = wait_no_process(&c, &pattern, Duration::from_secs(20));
    g.check(&c, "processes_after", &gone);
    wait_job_settled(&c, &id);
    g.run(&c, "show", &["scontrol", "show", "job", &id]);
    g.run(&c, "out", &["cat", &format!("victim-{id}.txt")]);
}

/// Partition `short` has MaxTime=1 (minute); upstream checks limits every
/// 30 s, so the job ends 60-90 s after it started: TIMEOUT.
#[test]
fn time_limit_gives_timeout() {
    let c = node_cluster();
    let g = Golden::new("job_timeout");
    let m = marker(&c);
    // Whether bash reports its killed child ("Terminated") before it is
    // killed itself is a race of bash's, not Slurm's: keep it out of the file.
    let script =
        format!("#!/bin/bash\necho started\nexec 2>/dev/null\nbash -c 'sleep 600; : {m}-job'\n");
    let id = job_id(&g.run_stdin(
        &c,
        "submit",
        &[
            "sbatch",
            "--parsable",
            "-p",
            "short",
            "-J",
            "slow",
            "-o",
            "slow-%j.txt",
        ],
        &script,
    ));
    wait_job_states(&c, &id, &["TIMEOUT"], Duration::from_secs(150));
    let gone = wait_no_process(&c, &format!("{m}-job|{m}/spool"), Duration::from_secs(20));
    g.check(&c, "processes_after", &gone);
    wait_job_settled(&c, &id);
    g.run(&c, "show", &["scontrol", "show", "job", &id]);
    g.run(&c, "out", &["cat", &format!("slow-{id}.txt")]);
}

/// Signals that reach the batch shell, and those that must not:
/// - `--signal=B:USR1@10` with a 1-minute limit: the controller warns the
///   shell (SIGCONT, then USR1) once 10 s + its 30-s check period are left;
///   the shell's trap ends the job, COMPLETED.
/// - `--signal=USR1@10` (no `B:`): only job steps are warned, the shell is
///   not, so the job runs into its limit: TIMEOUT.
/// - `scancel -s USR1` does not reach the shell either (steps only);
///   `scancel -b -s USR1` does.
#[test]
fn signals_reach_the_batch_shell_as_upstream() {
    let c = node_cluster();
    let g = Golden::new("job_signals");
    let m = marker(&c);
    let script = format!(
        "#!/bin/bash\ntrap 'echo got USR1; kill $!; exit 0' USR1\necho started\n\
         exec 2>/dev/null\nbash -c 'sleep 200; : {m}-job' &\nwait\necho wait returned\n"
    );
    let submit = |step: &str, name: &str, extra: &[&str]| {
        let out = format!("{name}-%j.txt");
        let mut args = vec!["sbatch", "--parsable", "-J", name, "-o", &out];
        args.extend_from_slice(extra);
        job_id(&g.run_stdin(&c, step, &args, &script))
    };
    let warned = submit(
        "submit_warned",
        "warned",
        &["--time=1", "--signal=B:USR1@10"],
    );
    let unwarned = submit(
        "submit_steps_only",
        "steps_only",
        &["--time=1", "--signal=USR1@10"],
    );
    let cancelled = submit("submit_scancel", "scancel", &["--time=5"]);

    let out_file = |name: &str, id: &str| format!("{name}-{id}.txt");
    c.wait_until(
        "scancel job started",
        Duration::from_secs(30),
        |c| match std::fs::read_to_string(c.dir().join(out_file("scancel", &cancelled))) {
            Ok(s) if s.contains("started") => Ok(()),
            other => Err(format!("{other:?}")),
        },
    );
    g.run(&c, "scancel_steps", &["scancel", "-s", "USR1", &cancelled]);
    std::thread::sleep(Duration::from_secs(2));
    g.run(
        &c,
        "out_after_scancel_steps",
        &["cat", &out_file("scancel", &cancelled)],
    );
    g.run(
        &c,
        "scancel_batch",
        &["scancel", "-b", "-s", "USR1", &cancelled],
    );
    wait_done(&c, &cancelled);

    for id in [&warned, &unwarned] {
        wait_job_states(&c, id, DONE, Duration::from_secs(150));
    }
    wait_no_process(&c, &format!("{m}-job"), Duration::from_secs(20));
    for (name, id) in [
        ("warned", &warned),
        ("steps_only", &unwarned),
        ("scancel", &cancelled),
    ] {
        wait_job_settled(&c, id);
        g.run(
            &c,
            &format!("state_{name}"),
            &["squeue", "-h", "-t", "all", "-j", id, "-o", "%j %T %r"],
        );
        g.run(&c, &format!("out_{name}"), &["cat", &out_file(name, id)]);
    }
}

/// A job submitted by an ordinary user runs as that user, in the directory
/// given with -D, and its output file belongs to the user.
#[test]
fn job_runs_as_submitting_user() {
    let mut c = node_cluster();
    // The test user's uid/gid depend on the machine.
    c.normalize(r"\b(slurmtest)\((\d+)\)", "$1(<ID>)");
    c.normalize(
        r"\b(uid|gid|groups)=(\d+)\(slurmtest\)",
        "$1=<ID>(slurmtest)",
    );
    c.normalize(r"\b(SLURM_JOB_UID|SLURM_JOB_GID)=\d+", "$1=<ID>");
    let g = Golden::new("job_user");
    compat_tests::ensure_test_user().unwrap();
    let home = c.dir().join("u");
    std::fs::create_dir(&home).unwrap();
    let st = c.run(&["chown", &format!("{TEST_USER}:{TEST_USER}"), "u"]);
    assert_eq!(st.exit_code, 0, "{st}");
    let script = "#!/bin/bash\nid -un\nid -gn\nid\npwd\numask\nenv | grep -E '^SLURM_JOB_(USER|UID|GID|ACCOUNT)=' | sort\n";
    let out = g.run_as_stdin(
        &c,
        "submit",
        TEST_USER,
        &[
            "sbatch",
            "--parsable",
            "-D",
            "u",
            "-J",
            "usrjob",
            "-o",
            "out-%u-%j.txt",
        ],
        script,
    );
    let id = job_id(&out);
    wait_done(&c, &id);
    g.run(&c, "show", &["scontrol", "show", "job", &id]);
    g.run(
        &c,
        "files",
        &["sh", "-c", "cd u && stat -c '%U %G %a %n' *"],
    );
    g.run(&c, "out", &["cat", &format!("u/out-{TEST_USER}-{id}.txt")]);
}

/// SIGKILL one slurmd while it runs two jobs: the node goes DOWN ("Not
/// responding") after SlurmdTimeout, the --no-requeue job ends NODE_FAIL, the
/// other one (batch jobs are requeueable by default) goes back to PENDING.
/// A restarted slurmd brings the node back (ReturnToService=2).
#[test]
fn killed_node_daemon_fails_its_jobs() {
    let mut c = node_cluster();
    let g = Golden::new("node_failure");
    let m = marker(&c);
    let script = format!("#!/bin/bash\necho started\nbash -c 'sleep 600; : {m}-job'\n");
    let noreq = job_id(&g.run_stdin(
        &c,
        "submit_no_requeue",
        &[
            "sbatch",
            "--parsable",
            "-J",
            "noreq",
            "-w",
            "n2",
            "-c",
            "1",
            "--no-requeue",
            "-o",
            "noreq-%j.txt",
        ],
        &script,
    ));
    let req = job_id(&g.run_stdin(
        &c,
        "submit_requeue",
        &[
            "sbatch",
            "--parsable",
            "-J",
            "req",
            "-w",
            "n2",
            "-c",
            "1",
            "-o",
            "req-%j.txt",
        ],
        &script,
    ));
    wait_job_states(&c, &noreq, &["RUNNING"], Duration::from_secs(30));
    wait_job_states(&c, &req, &["RUNNING"], Duration::from_secs(30));
    wait_processes(&c, &format!("{m}-job"), 2);

    c.kill_node("n2");
    wait_node_state(&c, "n2", "down*", Duration::from_secs(60));
    wait_job_states(&c, &noreq, &["NODE_FAIL"], Duration::from_secs(30));
    wait_job_states(&c, &req, &["PENDING"], Duration::from_secs(30));
    g.run(&c, "sinfo_down", &["sinfo", "-N", "-o", "%N %.6t %E"]);
    g.run(&c, "sinfo_reasons", &["sinfo", "-R"]);
    wait_job_settled(&c, &noreq);
    g.run(&c, "show_no_requeue", &["scontrol", "show", "job", &noreq]);
    g.run(&c, "show_requeue", &["scontrol", "show", "job", &req]);

    c.restart_node("n2");
    wait_node_state(&c, "n2", "idle", Duration::from_secs(60));
    // The orphaned job processes on n2 are killed once its slurmd is back.
    let gone = wait_no_process(&c, &format!("{m}-job"), Duration::from_secs(30));
    g.check(&c, "processes_after_restart", &gone);
    g.run(&c, "sinfo_back", &["sinfo", "-N", "-o", "%N %.6t %E"]);
    g.run(
        &c,
        "show_requeue_after_restart",
        &["scontrol", "show", "job", &req],
    );
}

/// A batch script that ends while its node daemon is down (SIGKILLed, back
/// within SlurmdTimeout) keeps its real exit status: FAILED, ExitCode=3:0
/// (upstream's slurmstepd outlives slurmd and reports it itself). The
/// second job has run longer than BatchStartTimeout + MessageTimeout (20 s)
/// when its slurmd registers again, so a registration that does not list
/// its ended-but-unreported step would make upstream slurmctld requeue it
/// as "missing from batch node".
#[test]
fn job_ending_while_node_daemon_is_down_keeps_its_exit_code() {
    let mut c = node_cluster();
    let g = Golden::new("job_ended_while_down");
    let m = marker(&c);
    let submit = |step: &str, name: &str, node: &str, script: &str| {
        let out = format!("{name}-%j.txt");
        job_id(&g.run_stdin(
            &c,
            step,
            &["sbatch", "--parsable", "-J", name, "-w", node, "-o", &out],
            script,
        ))
    };
    let quick = submit(
        "submit_quick",
        "quick",
        "n1",
        "#!/bin/bash\nsleep 5\nexit 3\n",
    );
    let long = submit(
        "submit_long",
        "long",
        "n2",
        "#!/bin/bash\nsleep 24\nexit 4\n",
    );
    // The batch shells (their scripts live in the node's spool dir).
    let shell = |node: &str| format!("{m}/spool/slurmd-{node}/");
    wait_job_states(&c, &quick, &["RUNNING"], Duration::from_secs(30));
    wait_processes(&c, &shell("n1"), 1);
    let long_seen = std::time::Instant::now();
    wait_job_states(&c, &long, &["RUNNING"], Duration::from_secs(30));
    wait_processes(&c, &shell("n2"), 1);

    // Down for about 4 s (SlurmdTimeout=10): back as soon as the script ended.
    c.kill_node("n1");
    wait_no_process(&c, &shell("n1"), Duration::from_secs(20));
    c.restart_node("n1");
    wait_done(&c, &quick);
    wait_job_settled(&c, &quick);
    g.run(&c, "show_quick", &["scontrol", "show", "job", &quick]);
    g.run(&c, "out_quick", &["cat", &format!("quick-{quick}.txt")]);

    // The same 19 s into the long job: its script ends about 5 s later, its
    // slurmd registers again more than 20 s after the job started.
    std::thread::sleep(Duration::from_secs(19).saturating_sub(long_seen.elapsed()));
    c.kill_node("n2");
    wait_no_process(&c, &shell("n2"), Duration::from_secs(20));
    c.restart_node("n2");
    wait_done(&c, &long);
    wait_job_settled(&c, &long);
    g.run(&c, "show_long", &["scontrol", "show", "job", &long]);
    for node in ["n1", "n2"] {
        wait_node_state(&c, node, "idle", Duration::from_secs(30));
    }
    g.run(&c, "sinfo", &["sinfo", "-N", "-o", "%N %.6t %E"]);
    g.run(
        &c,
        "squeue_all",
        &["squeue", "-t", "all", "-o", "%.6i %.10j %.10T %.10r %N"],
    );
}
