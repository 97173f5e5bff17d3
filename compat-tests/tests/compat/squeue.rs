use compat_tests::Golden;

use crate::common::{cluster, submit_wrap, wait_queue_settled};

#[test]
fn squeue_views_with_held_pending_and_array_jobs() {
    let c = cluster();
    let g = Golden::new("squeue");
    g.run(&c, "empty", &["squeue"]);

    let pending = submit_wrap(&c, &["-J", "pending-gpu"]);
    let held = submit_wrap(&c, &["--hold", "-J", "held-gpu"]);
    let _cpu = submit_wrap(&c, &["-p", "cpu", "-J", "pending-cpu", "-t", "10:00"]);
    let _array = submit_wrap(&c, &["--array=0-9%2", "-J", "sweep"]);
    let _held_array = submit_wrap(
        &c,
        &["--hold", "--array=1-3", "-p", "debug", "-J", "held-sweep"],
    );
    assert_eq!((pending.as_str(), held.as_str()), ("1000", "1001"));

    wait_queue_settled(&c);
    g.run(&c, "default", &["squeue"]);
    g.run(
        &c,
        "format",
        &["squeue", "-o", "%.8i %.9P %.20j %.8u %.2t %M %l %R"],
    );
    g.run(&c, "user_root", &["squeue", "-u", "root"]);
    g.run(&c, "partition_gpu", &["squeue", "-p", "gpu"]);
    g.run(&c, "state_pd", &["squeue", "-t", "PD"]);
    g.run(&c, "job_id", &["squeue", "-j", &pending]);
    g.run(&c, "array_tasks", &["squeue", "-r", "-p", "debug"]);
    g.run(&c, "start", &["squeue", "--start"]);
    g.run(&c, "long", &["squeue", "-l"]);
}
