//! The binary: `-C` output, and two daemons on one host with `-N` and
//! their own ports, pid files and spool dirs (`%n`), stopping on SIGTERM.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_slurmd-rs")
}

#[test]
fn print_config_matches_upstream_format() {
    let out = Command::new(bin()).arg("-C").output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    let host = slurmd::hw::short_hostname();
    assert!(
        lines[0].starts_with(&format!("NodeName={host} CPUs=")),
        "{text}"
    );
    for key in [
        "Boards=",
        "SocketsPerBoard=",
        "CoresPerSocket=",
        "ThreadsPerCore=",
        "RealMemory=",
    ] {
        assert!(lines[0].contains(key), "{key} in {text}");
    }
    assert!(
        lines[1].starts_with("UpTime=") && lines[1].contains('-'),
        "{text}"
    );
    // Against the installed upstream slurmd, when there is one: the
    // NodeName line must be identical (UpTime may tick between the runs).
    if let Ok(up) = Command::new("slurmd").arg("-C").output() {
        if up.status.success() {
            let up = String::from_utf8_lossy(&up.stdout).into_owned();
            assert_eq!(up.lines().next(), Some(lines[0]));
        }
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn wait_for(path: &Path) -> bool {
    for _ in 0..100 {
        if path.exists() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

#[test]
fn two_nodes_on_one_host() {
    let dir = tempfile::tempdir().unwrap();
    let (p1, p2) = (free_port(), free_port());
    let d = dir.path().display();
    let conf = format!(
        "ClusterName=t\nSlurmctldHost=localhost\nSlurmdSpoolDir={d}/spool/%n\nSlurmdPidFile={d}/slurmd-%n.pid\n\
         SlurmdLogFile={d}/%n.log\nNodeName=a1 NodeHostname=localhost Port={p1} CPUs=1\n\
         NodeName=a2 NodeHostname=localhost Port={p2} CPUs=1\nPartitionName=p Nodes=a1,a2\n"
    );
    let conf_path = dir.path().join("slurm.conf");
    std::fs::write(&conf_path, conf).unwrap();
    let mut children = Vec::new();
    for n in ["a1", "a2"] {
        let c = Command::new(bin())
            .args(["-D", "-f"])
            .arg(&conf_path)
            .args(["-N", n, "-vv"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        children.push(c);
    }
    for (n, port) in [("a1", p1), ("a2", p2)] {
        let pid_file = dir.path().join(format!("slurmd-{n}.pid"));
        assert!(wait_for(&pid_file), "pid file of {n}");
        assert!(dir.path().join(format!("spool/{n}")).is_dir());
        assert!(
            std::net::TcpStream::connect(("127.0.0.1", port)).is_ok(),
            "{n} listens on {port}"
        );
    }
    for c in &children {
        nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(c.id() as i32),
            nix::sys::signal::Signal::SIGTERM,
        )
        .unwrap();
    }
    for mut c in children {
        let status = c.wait().unwrap();
        assert!(status.success(), "{status:?}");
    }
    assert!(!dir.path().join("slurmd-a1.pid").exists());
    let log = std::fs::read_to_string(dir.path().join("a1.log")).unwrap();
    assert!(log.contains("listening on port"), "{log}");
    // An unknown -N is a clean fatal error.
    let out = Command::new(bin())
        .args(["-D", "-f"])
        .arg(&conf_path)
        .args(["-N", "zz"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("zz"));
}
