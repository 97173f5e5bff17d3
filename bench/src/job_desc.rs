//! The descriptor stock `sbatch --hold --wrap=true` sends (REQUEST_SUBMIT_BATCH_JOB),
//! rebuilt field by field so the load generator costs the controller what
//! sbatch does: same fields set, an environment of the same size.

use wire::msg::JobDescriptor;

/// `sbatch --wrap` puts this around the command (`_script_wrap` in sbatch/opt.c).
fn wrap_script(cmd: &str) -> String {
    format!("#!/bin/sh\n# This script was created by sbatch --wrap.\n\n{cmd}\n")
}

/// What sbatch leaves in `job_desc_msg_t` for `sbatch --hold -J NAME --wrap=true`
/// run by `uid`/`gid` in `work_dir`.
pub fn sbatch_hold_wrap(
    name: &str,
    uid: u32,
    gid: u32,
    work_dir: &str,
    host: &str,
) -> JobDescriptor {
    JobDescriptor {
        name: Some(name.to_string()),
        contiguous: 0,
        task_dist: 8192, // as recorded from sbatch 22.05
        alloc_sid: std::process::id(),
        priority: 0, // --hold
        profile: 0,
        environment: environment(name, work_dir, host),
        script: Some(wrap_script("true")),
        std_in: Some("/dev/null".into()),
        std_out: Some(format!("{work_dir}/slurm-%j.out")),
        submit_line: Some(format!("sbatch --hold -J {name} --wrap=true")),
        work_dir: Some(work_dir.to_string()),
        ntasks_per_board: 0,
        mem_bind_type: 0,
        min_cpus: 1,
        boards_per_node: 0,
        sockets_per_board: 0,
        user_id: uid,
        group_id: gid,
        // As sbatch 22.05 sets them (recorded: 503316480).
        bitflags: 503_316_480,
        ..JobDescriptor::default()
    }
}

/// The environment sbatch exports: a login-like environment plus the
/// SLURM_* variables it adds itself (25 entries, ~700 bytes, as recorded).
fn environment(name: &str, work_dir: &str, host: &str) -> Vec<String> {
    let mut env: Vec<String> = [
        format!("PWD={work_dir}"),
        "HOME=/root".into(),
        "LANG=C.UTF-8".into(),
        "SHELL=/bin/bash".into(),
        "SHLVL=1".into(),
        "LOGNAME=root".into(),
        "TERM=xterm".into(),
        "SLURM_CONF=/etc/slurm/slurm.conf".into(),
        "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".into(),
        "_=/usr/bin/sbatch".into(),
        format!("SLURM_JOB_NAME={name}"),
    ]
    .into();
    for (k, v) in [
        ("CPU", "18446744073709551615"),
        ("FSIZE", "18446744073709551615"),
        ("DATA", "18446744073709551615"),
        ("STACK", "8388608"),
        ("CORE", "0"),
        ("RSS", "18446744073709551615"),
        ("NPROC", "96365"),
        ("NOFILE", "20000"),
        ("MEMLOCK", "8388608"),
        ("AS", "18446744073709551615"),
    ] {
        env.push(format!("SLURM_RLIMIT_{k}={v}"));
    }
    env.push("SLURM_PRIO_PROCESS=0".into());
    env.push(format!("SLURM_SUBMIT_DIR={work_dir}"));
    env.push(format!("SLURM_SUBMIT_HOST={host}"));
    env.push("SLURM_UMASK=0022".into());
    env
}

#[cfg(test)]
mod tests {
    use super::*;
    use wire::msg::Message;

    /// Every field sbatch sets is set the same way, apart from the values
    /// that depend on the submitting session (name, paths, env, sid).
    #[test]
    fn matches_recorded_sbatch_request() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../wire/tests/golden/sbatch/0-0-req-4003.bin"
        );
        let bytes = std::fs::read(path).unwrap();
        let f = wire::frame::decode(&bytes).unwrap();
        let Message::SubmitBatchJob(rec) =
            Message::unpack(f.header.msg_type, f.header.version, f.body).unwrap()
        else {
            panic!("not a submit")
        };
        let mut ours = sbatch_hold_wrap("capjob", 0, 0, "/w", "vm");
        // Session-specific values taken over from the recording.
        ours.alloc_sid = rec.alloc_sid;
        ours.environment = rec.environment.clone();
        ours.script = rec.script.clone();
        ours.std_out = rec.std_out.clone();
        ours.submit_line = rec.submit_line.clone();
        ours.work_dir = rec.work_dir.clone();
        assert_eq!(format!("{ours:#?}"), format!("{rec:#?}"));
        let env_len = |e: &[String]| e.iter().map(String::len).sum::<usize>();
        let ours_env = sbatch_hold_wrap("capjob", 0, 0, "/tmp/refslurm-cap.Vl00", "vm").environment;
        assert_eq!(ours_env.len(), rec.environment.len());
        assert!(env_len(&ours_env).abs_diff(env_len(&rec.environment)) < 100);
    }
}
