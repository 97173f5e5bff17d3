//! Self-tests of the harness: processes never outlive a cluster.

use std::path::Path;

use crate::common::cluster;

fn alive(pid: u32) -> bool {
    // Reaped children vanish from /proc; zombies would still be listed.
    Path::new(&format!("/proc/{pid}")).exists()
}

#[test]
fn drop_on_panic_kills_every_daemon() {
    let pids = std::sync::Mutex::new(Vec::new());
    let result = std::panic::catch_unwind(|| {
        let c = cluster();
        let mut p = pids.lock().unwrap();
        p.push(c.munged_pid().expect("munged pid"));
        p.push(c.controller_pid().expect("controller pid"));
        drop(p);
        panic!("deliberate panic with a running cluster");
    });
    assert!(result.is_err());
    for pid in pids.into_inner().unwrap() {
        assert!(!alive(pid), "process {pid} outlived its cluster");
    }
}

#[test]
fn kill9_and_restart_change_the_controller_process() {
    let mut c = cluster();
    let first = c.controller_pid().unwrap();
    c.kill9();
    assert!(!alive(first), "controller {first} survived kill9");
    assert_eq!(c.controller_pid(), None);
    c.restart(false);
    let second = c.controller_pid().unwrap();
    assert_ne!(first, second);
    c.stop();
    assert!(!alive(second), "controller {second} survived stop");
}
