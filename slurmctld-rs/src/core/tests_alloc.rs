//! Resource allocation as upstream's select plugins do it, pinned with the
//! numbers stock slurmctld 22.05 printed for the same slurm.conf in the
//! differential tester (seed noted on each test).

use wire::msg::{JobDescriptor, Message};
use wire::pack::NO_VAL16;
use wire::version::ProtocolVersion;

use super::{Caller, Controller, StaticUsers};

pub(super) const T0: i64 = 1_800_000_000;

/// A controller over `nodes_and_parts` (NodeName=/PartitionName= lines)
/// with `select` lines, every node registered as configured.
pub(super) fn cluster(select: &str, nodes_and_parts: &str) -> Controller {
    let text = format!(
        "ClusterName=t\nSlurmctldHost=localhost\nSlurmUser=root\n\
         StateSaveLocation=/tmp/alloc-test/state\nSlurmdSpoolDir=/tmp/alloc-test/spool\n\
         SlurmdParameters=config_overrides\n{select}\n{nodes_and_parts}\n"
    );
    let conf = wire::conf::SlurmConf::from_str(&text, "/tmp/alloc-test/slurm.conf").unwrap();
    let spec = crate::config::cluster_spec(&conf);
    let mut c = Controller::new(
        spec,
        Box::new(StaticUsers(vec![(0, "root".into(), vec![])])),
        T0,
    );
    for i in 0..c.nodes.len() {
        let n = c.spec.nodes[i].clone();
        let report = super::nodes::NodeReport {
            node_name: n.name.clone(),
            cpus: n.cpus,
            boards: 1,
            sockets: n.sockets,
            cores: n.cores_per_socket,
            threads: n.threads_per_core,
            real_memory: n.real_memory,
            ..super::nodes::NodeReport::default()
        };
        c.node_registered(&report, T0).unwrap();
    }
    c
}

pub(super) fn root() -> Caller {
    Caller {
        uid: 0,
        gid: 0,
        version: ProtocolVersion::V22_05,
        host: Some("localhost".into()),
        peer: None,
    }
}

/// What plain `sbatch --wrap` sends, changed by `f`.
fn sbatch(f: impl FnOnce(&mut JobDescriptor)) -> JobDescriptor {
    let mut d = JobDescriptor {
        user_id: 0,
        group_id: 0,
        script: Some("#!/bin/sh\nsleep 60\n".into()),
        name: Some("wrap".into()),
        work_dir: Some("/tmp".into()),
        ..JobDescriptor::default()
    };
    f(&mut d);
    d
}

/// Submits and runs one scheduler pass; the job's (node names, CPUs each).
fn run(c: &mut Controller, d: JobDescriptor) -> (u32, Vec<String>, Vec<u16>) {
    let id = match c
        .handle(root(), Message::SubmitBatchJob(Box::new(d)), T0)
        .reply
    {
        Message::SubmitBatchJobResponse { job_id, .. } => job_id,
        other => panic!("submit refused: {other:?}"),
    };
    let _ = c.main_schedule(T0 + 1);
    let a = c.jobs[&id].alloc.clone().expect("job runs");
    let names = a
        .nodes
        .iter()
        .map(|&i| c.spec.nodes[i].name.clone())
        .collect();
    (id, names, a.cpus)
}

pub(super) const NODE: &str = "NodeAddr=127.0.0.1 Boards=1";

#[test]
fn linear_gives_whole_nodes_and_shows_oversubscribe_no() {
    // seed 25: select/linear, n1 4 CPUs; a 1-CPU job gets all 4.
    let mut c = cluster(
        "SelectType=select/linear",
        &format!(
            "NodeName=n1 {NODE} CPUs=4 SocketsPerBoard=1 CoresPerSocket=4 ThreadsPerCore=1 RealMemory=4000\n\
             PartitionName=batch Nodes=n1 Default=YES State=UP"
        ),
    );
    let (id, nodes, cpus) = run(&mut c, sbatch(|_| {}));
    assert_eq!((nodes, cpus), (vec!["n1".to_string()], vec![4]));
    // Shown as OverSubscribe=NO (whole node), memory not tracked: 0.
    assert_eq!(c.jobs[&id].desc.shared, 0);
    assert_eq!(c.jobs[&id].alloc.as_ref().unwrap().mem_per_node, 0);
}

#[test]
fn linear_with_cr_memory_records_the_nodes_memory_as_the_request() {
    // seed 14: select/linear + CR_Memory, MaxCPUsPerNode=2 ignored: 4 CPUs
    // and MinMemory 1000M (the node's RealMemory).
    let mut c = cluster(
        "SelectType=select/linear\nSelectTypeParameters=CR_Memory",
        &format!(
            "NodeName=n1 {NODE} CPUs=4 SocketsPerBoard=2 CoresPerSocket=2 ThreadsPerCore=1 RealMemory=1000\n\
             NodeName=n2 {NODE} CPUs=8 SocketsPerBoard=1 CoresPerSocket=4 ThreadsPerCore=2 RealMemory=4000\n\
             PartitionName=batch Nodes=ALL Default=YES MaxCPUsPerNode=2 State=UP"
        ),
    );
    let (id, nodes, cpus) = run(&mut c, sbatch(|d| d.req_nodes = Some("n1".into())));
    assert_eq!((nodes, cpus), (vec!["n1".to_string()], vec![4]));
    assert_eq!(c.jobs[&id].desc.pn_min_memory, 1000);
}

#[test]
fn cons_tres_allocates_cpus_cores_or_sockets() {
    let nodes = format!(
        "NodeName=n1 {NODE} CPUs=16 SocketsPerBoard=2 CoresPerSocket=4 ThreadsPerCore=2 RealMemory=2000\n\
         PartitionName=batch Nodes=n1 Default=YES State=UP"
    );
    // seed 6: CR_CPU gives one thread.
    let mut c = cluster(
        "SelectType=select/cons_tres\nSelectTypeParameters=CR_CPU",
        &nodes,
    );
    assert_eq!(run(&mut c, sbatch(|_| {})).2, vec![1]);
    // CR_Core: the whole core, both threads.
    let mut c = cluster(
        "SelectType=select/cons_tres\nSelectTypeParameters=CR_Core",
        &nodes,
    );
    assert_eq!(run(&mut c, sbatch(|_| {})).2, vec![2]);
    // seed 21: CR_Socket: the whole socket (4 cores x 2 threads).
    let mut c = cluster(
        "SelectType=select/cons_tres\nSelectTypeParameters=CR_Socket",
        &nodes,
    );
    let (_, _, cpus) = run(&mut c, sbatch(|_| {}));
    assert_eq!(cpus, vec![8]);
    // The next job gets the other socket.
    let (id2, _, cpus) = run(&mut c, sbatch(|_| {}));
    assert_eq!(cpus, vec![8]);
    assert_eq!(
        c.jobs[&id2].alloc.as_ref().unwrap().cores,
        vec![vec![4, 5, 6, 7]]
    );
    // No SelectTypeParameters: cons_tres uses CR_Core_Memory.
    let mut c = cluster("SelectType=select/cons_tres", &nodes);
    let (id, _, cpus) = run(&mut c, sbatch(|_| {}));
    assert_eq!(cpus, vec![2]);
    assert_eq!(c.jobs[&id].alloc.as_ref().unwrap().mem_per_node, 2000);
}

#[test]
fn cons_tres_picks_the_node_with_the_fewest_cpus_that_fit() {
    // seed 16: n2 4 CPUs, n3 1 CPU, n4 2 CPUs, same weight: n3.
    let mut c = cluster(
        "SelectType=select/cons_tres\nSelectTypeParameters=CR_Core_Memory\nDefMemPerCPU=100",
        &format!(
            "NodeName=n1 {NODE} CPUs=4 SocketsPerBoard=1 CoresPerSocket=4 ThreadsPerCore=1 RealMemory=1000\n\
             NodeName=n2 {NODE} CPUs=4 SocketsPerBoard=1 CoresPerSocket=4 ThreadsPerCore=1 RealMemory=2000\n\
             NodeName=n3 {NODE} CPUs=1 SocketsPerBoard=1 CoresPerSocket=1 ThreadsPerCore=1 RealMemory=4000\n\
             NodeName=n4 {NODE} CPUs=2 SocketsPerBoard=1 CoresPerSocket=2 ThreadsPerCore=1 RealMemory=2000\n\
             PartitionName=batch Nodes=n2,n3,n4 Default=YES State=UP"
        ),
    );
    let (_, nodes, cpus) = run(&mut c, sbatch(|_| {}));
    assert_eq!((nodes, cpus), (vec!["n3".to_string()], vec![1]));
    // Two CPUs do not fit n3 (busy anyway): n4, the tighter of n2 and n4.
    let (_, nodes, _) = run(&mut c, sbatch(|d| d.min_cpus = 2));
    assert_eq!(nodes, vec!["n4".to_string()]);
}

#[test]
fn tasks_spread_when_no_node_has_the_cpus_and_cores_stay_whole() {
    // seed 53: CR_Core, MaxCPUsPerNode=1, `-n 3`: n[1-3], 2+1+2 = 5 CPUs
    // (n1 and n3 have two threads per core).
    let mut c = cluster(
        "SelectType=select/cons_tres\nSelectTypeParameters=CR_Core\nDefMemPerCPU=100",
        &format!(
            "NodeName=n1 {NODE} CPUs=4 SocketsPerBoard=1 CoresPerSocket=2 ThreadsPerCore=2 RealMemory=1000\n\
             NodeName=n2 {NODE} CPUs=4 SocketsPerBoard=1 CoresPerSocket=4 ThreadsPerCore=1 RealMemory=2000\n\
             NodeName=n3 {NODE} CPUs=8 SocketsPerBoard=2 CoresPerSocket=2 ThreadsPerCore=2 RealMemory=4000\n\
             NodeName=n4 {NODE} CPUs=2 SocketsPerBoard=1 CoresPerSocket=1 ThreadsPerCore=2 RealMemory=4000\n\
             PartitionName=batch Nodes=ALL Default=YES MaxCPUsPerNode=1 State=UP"
        ),
    );
    let (_, nodes, cpus) = run(&mut c, sbatch(|d| d.num_tasks = 3));
    assert_eq!(nodes, vec!["n1", "n2", "n3"]);
    assert_eq!(cpus, vec![2, 1, 2]);
}

#[test]
fn exclusive_with_mem_per_cpu_gets_memory_for_its_cpus_only() {
    // seed 54: `--exclusive -w n4` on a 2-CPU node with DefMemPerCPU=100:
    // mem=200M, not the node's RealMemory.
    let mut c = cluster(
        "SelectType=select/cons_tres\nSelectTypeParameters=CR_Core_Memory\nDefMemPerCPU=100",
        &format!(
            "NodeName=n4 {NODE} CPUs=2 SocketsPerBoard=1 CoresPerSocket=2 ThreadsPerCore=1 RealMemory=1000\n\
             PartitionName=batch Nodes=ALL Default=YES State=UP"
        ),
    );
    let (id, _, cpus) = run(&mut c, sbatch(|d| d.shared = 0));
    assert_eq!(cpus, vec![2]);
    assert_eq!(c.jobs[&id].alloc.as_ref().unwrap().mem_per_node, 200);
}

#[test]
fn oversubscribe_force_partition_marks_jobs_shared() {
    // seed 4: OverSubscribe=FORCE:2: the job shows OverSubscribe=YES.
    let mut c = cluster(
        "SelectType=select/cons_tres\nSelectTypeParameters=CR_CPU_Memory\nDefMemPerNode=500",
        &format!(
            "NodeName=n1 {NODE} CPUs=4 SocketsPerBoard=2 CoresPerSocket=2 ThreadsPerCore=1 RealMemory=1000\n\
             PartitionName=batch Nodes=ALL Default=YES OverSubscribe=FORCE:2 State=UP"
        ),
    );
    let (id, _, cpus) = run(&mut c, sbatch(|d| d.shared = NO_VAL16));
    assert_eq!(cpus, vec![1]);
    assert_eq!(c.jobs[&id].desc.shared, 1);
}

#[test]
fn linear_takes_the_first_node_that_fits_not_the_tightest() {
    // seed 33: select/linear, n1 4 CPUs before n3 2 CPUs: n1, all 4 CPUs.
    let mut c = cluster(
        "SelectType=select/linear",
        &format!(
            "NodeName=n1 {NODE} CPUs=4 SocketsPerBoard=1 CoresPerSocket=2 ThreadsPerCore=2 RealMemory=2000\n\
             NodeName=n3 {NODE} CPUs=2 SocketsPerBoard=2 CoresPerSocket=1 ThreadsPerCore=1 RealMemory=4000\n\
             PartitionName=batch Nodes=ALL Default=YES State=UP"
        ),
    );
    let (_, nodes, cpus) = run(&mut c, sbatch(|d| d.pn_min_memory = 500));
    assert_eq!((nodes, cpus), (vec!["n1".to_string()], vec![4]));
}

#[test]
fn partition_min_nodes_raises_a_jobs_node_count() {
    // seed 56: MinNodes=2, plain sbatch: n[1-2], one CPU each.
    let mut c = cluster(
        "SelectType=select/cons_tres\nSelectTypeParameters=CR_CPU\nDefMemPerNode=500",
        &format!(
            "NodeName=n1 {NODE} CPUs=2 SocketsPerBoard=1 CoresPerSocket=2 ThreadsPerCore=1 RealMemory=2000\n\
             NodeName=n2 {NODE} CPUs=4 SocketsPerBoard=1 CoresPerSocket=2 ThreadsPerCore=2 RealMemory=2000\n\
             NodeName=n3 {NODE} CPUs=4 SocketsPerBoard=1 CoresPerSocket=4 ThreadsPerCore=1 RealMemory=4000\n\
             PartitionName=batch Nodes=ALL Default=YES MaxNodes=2 MinNodes=2 State=UP"
        ),
    );
    let (_, nodes, cpus) = run(
        &mut c,
        sbatch(|d| {
            d.min_nodes = wire::pack::NO_VAL;
            d.max_nodes = wire::pack::NO_VAL;
        }),
    );
    assert_eq!(nodes, vec!["n1", "n2"]);
    assert_eq!(cpus, vec![1, 1]);
}

#[test]
fn max_mem_per_cpu_turns_a_whole_node_of_memory_into_cpus() {
    // seed 40: CR_Socket, MaxMemPerCPU=500, no memory asked: the first
    // partition node's 4000 MB need 8 CPUs, which only n3 has.
    let mut c = cluster(
        "SelectType=select/cons_tres\nSelectTypeParameters=CR_Socket\nMaxMemPerCPU=500",
        &format!(
            "NodeName=n1 {NODE} CPUs=2 SocketsPerBoard=2 CoresPerSocket=1 ThreadsPerCore=1 RealMemory=1000\n\
             NodeName=n2 {NODE} CPUs=4 SocketsPerBoard=2 CoresPerSocket=1 ThreadsPerCore=2 RealMemory=4000\n\
             NodeName=n3 {NODE} CPUs=8 SocketsPerBoard=1 CoresPerSocket=4 ThreadsPerCore=2 RealMemory=4000\n\
             PartitionName=batch Nodes=n2,n3 Default=YES State=UP"
        ),
    );
    let (_, nodes, cpus) = run(&mut c, sbatch(|_| {}));
    assert_eq!((nodes, cpus), (vec!["n3".to_string()], vec![8]));
    // seed 43: CR_CPU, MaxMemPerCPU=500, a 1000 MB node: 2 CPUs.
    let mut c = cluster(
        "SelectType=select/cons_tres\nSelectTypeParameters=CR_CPU\nMaxMemPerCPU=500",
        &format!(
            "NodeName=n1 {NODE} CPUs=2 SocketsPerBoard=1 CoresPerSocket=1 ThreadsPerCore=2 RealMemory=1000\n\
             PartitionName=batch Nodes=n1 Default=YES State=UP"
        ),
    );
    assert_eq!(run(&mut c, sbatch(|_| {})).2, vec![2]);
}

#[test]
fn memory_per_cpu_counts_the_cpus_of_whole_sockets() {
    // seed 60: CR_Socket_Memory, MinNodes=2, `--mem-per-cpu 600 -c 3`: n3
    // would give its one 8-CPU socket, 4800 MB > 2000: only n1 fits, so
    // the job is refused.
    let mut c = cluster(
        "SelectType=select/cons_tres\nSelectTypeParameters=CR_Socket_Memory",
        &format!(
            "NodeName=n1 {NODE} CPUs=4 SocketsPerBoard=2 CoresPerSocket=2 ThreadsPerCore=1 RealMemory=4000\n\
             NodeName=n2 {NODE} CPUs=2 SocketsPerBoard=1 CoresPerSocket=2 ThreadsPerCore=1 RealMemory=2000\n\
             NodeName=n3 {NODE} CPUs=8 SocketsPerBoard=1 CoresPerSocket=4 ThreadsPerCore=2 RealMemory=2000\n\
             PartitionName=batch Nodes=ALL Default=YES MaxNodes=2 MinNodes=2 State=UP"
        ),
    );
    let d = sbatch(|d| {
        d.cpus_per_task = 3;
        d.pn_min_memory = 600 | super::submit::MEM_PER_CPU;
    });
    let reply = c
        .handle(root(), Message::SubmitBatchJob(Box::new(d)), T0)
        .reply;
    assert!(
        !matches!(reply, Message::SubmitBatchJobResponse { .. }),
        "{reply:?}"
    );
}

#[test]
fn requested_tres_memory_of_a_job_asking_none_is_the_first_nodes() {
    // seed 22: CR_CPU, no memory asked, `-x n1`: TRES mem=1000M (n1's,
    // the partition's first node), not the largest node's.
    let mut c = cluster(
        "SelectType=select/cons_tres\nSelectTypeParameters=CR_CPU",
        &format!(
            "NodeName=n1 {NODE} CPUs=1 SocketsPerBoard=1 CoresPerSocket=1 ThreadsPerCore=1 RealMemory=1000\n\
             NodeName=n3 {NODE} CPUs=4 SocketsPerBoard=1 CoresPerSocket=4 ThreadsPerCore=1 RealMemory=4000\n\
             PartitionName=batch Nodes=ALL Default=YES State=UP"
        ),
    );
    let d = sbatch(|d| {
        d.priority = 0;
        d.exc_nodes = Some("n1".into());
    });
    let id = match c
        .handle(root(), Message::SubmitBatchJob(Box::new(d)), T0)
        .reply
    {
        Message::SubmitBatchJobResponse { job_id, .. } => job_id,
        other => panic!("{other:?}"),
    };
    assert_eq!(
        super::view::job_tres_req(&c, &c.jobs[&id]),
        "cpu=1,mem=1000M,node=1,billing=1"
    );
}

#[test]
fn per_cpu_memory_is_held_per_node_by_its_cpus() {
    // seed 5: CR_Socket_Memory, DefMemPerCPU=100, MinNodes=2, `-N 0`:
    // n1 gives a 4-CPU socket, n2 its 2-CPU socket: 6 CPUs, mem=600M.
    let mut c = cluster(
        "SelectType=select/cons_tres\nSelectTypeParameters=CR_Socket_Memory\nDefMemPerCPU=100",
        &format!(
            "NodeName=n1 {NODE} CPUs=8 SocketsPerBoard=2 CoresPerSocket=4 ThreadsPerCore=1 RealMemory=1000\n\
             NodeName=n2 {NODE} CPUs=2 SocketsPerBoard=1 CoresPerSocket=2 ThreadsPerCore=1 RealMemory=4000\n\
             PartitionName=batch Nodes=ALL Default=YES MinNodes=2 State=UP"
        ),
    );
    let (id, nodes, cpus) = run(&mut c, sbatch(|d| d.min_nodes = 0));
    assert_eq!(nodes, vec!["n1", "n2"]);
    assert_eq!(cpus, vec![4, 2]);
    let job = &c.jobs[&id];
    assert_eq!(
        job.alloc
            .as_ref()
            .unwrap()
            .total_mem(job.desc.pn_min_memory),
        600
    );
    assert_eq!((c.nodes[0].alloc_mem, c.nodes[1].alloc_mem), (400, 200));
}

#[test]
fn mem_zero_is_all_of_the_nodes_memory_not_the_default() {
    // seed 109: `--mem 0` with DefMemPerCPU=100: MinMemory stays 0 and the
    // job holds the node's whole memory; no --mem takes the default.
    let nodes = format!(
        "NodeName=n1 {NODE} CPUs=4 SocketsPerBoard=1 CoresPerSocket=4 ThreadsPerCore=1 RealMemory=2000\n\
         PartitionName=batch Nodes=ALL Default=YES State=UP"
    );
    let select =
        "SelectType=select/cons_tres\nSelectTypeParameters=CR_Core_Memory\nDefMemPerCPU=100";
    let mut c = cluster(select, &nodes);
    let (id, _, _) = run(&mut c, sbatch(|d| d.pn_min_memory = 0));
    assert_eq!(c.jobs[&id].desc.pn_min_memory, 0);
    assert_eq!(c.jobs[&id].alloc.as_ref().unwrap().mem_per_node, 2000);
    let mut c = cluster(select, &nodes);
    let (id, _, _) = run(&mut c, sbatch(|_| {}));
    assert_eq!(
        c.jobs[&id].desc.pn_min_memory,
        100 | super::submit::MEM_PER_CPU
    );
}

#[test]
fn a_memory_request_needs_a_node_configured_with_it_even_untracked() {
    // seed 131: CR_Socket (memory not consumable), `--mem 3000`: only n3
    // has 4000 MB configured; it gives its 4-CPU socket.
    let mut c = cluster(
        "SelectType=select/cons_tres\nSelectTypeParameters=CR_Socket",
        &format!(
            "NodeName=n2 {NODE} CPUs=2 SocketsPerBoard=2 CoresPerSocket=1 ThreadsPerCore=1 RealMemory=2000\n\
             NodeName=n3 {NODE} CPUs=4 SocketsPerBoard=1 CoresPerSocket=2 ThreadsPerCore=2 RealMemory=4000\n\
             PartitionName=batch Nodes=ALL Default=YES State=UP"
        ),
    );
    let (_, nodes, cpus) = run(&mut c, sbatch(|d| d.pn_min_memory = 3000));
    assert_eq!((nodes, cpus), (vec!["n3".to_string()], vec![4]));
}

#[test]
fn overcommit_drops_the_ntasks_per_node_cpu_minimum() {
    // seed 122: linear, MinNodes=2, `--overcommit --ntasks-per-node 2`:
    // the 1-CPU n1 qualifies: n[1-2], 1+2 CPUs.
    let mut c = cluster(
        "SelectType=select/linear\nDefMemPerNode=500",
        &format!(
            "NodeName=n1 {NODE} CPUs=1 SocketsPerBoard=1 CoresPerSocket=1 ThreadsPerCore=1 RealMemory=4000\n\
             NodeName=n2 {NODE} CPUs=2 SocketsPerBoard=1 CoresPerSocket=2 ThreadsPerCore=1 RealMemory=4000\n\
             NodeName=n3 {NODE} CPUs=4 SocketsPerBoard=1 CoresPerSocket=2 ThreadsPerCore=2 RealMemory=4000\n\
             PartitionName=batch Nodes=ALL Default=YES MinNodes=2 State=UP"
        ),
    );
    let (_, nodes, cpus) = run(
        &mut c,
        sbatch(|d| {
            // What sbatch sends with --overcommit: one CPU per node.
            d.min_cpus = 1;
            d.overcommit = 1;
            d.ntasks_per_node = 2;
        }),
    );
    assert_eq!(nodes, vec!["n1", "n2"]);
    assert_eq!(cpus, vec![1, 2]);
}

#[test]
fn untracked_per_cpu_memory_checks_only_the_cpus_asked_for() {
    // seed 48: select/linear without CR_Memory, `--mem-per-cpu 300`: n1
    // (8 CPUs, 2000 MB) qualifies (300 MB for the one CPU asked), first.
    let mut c = cluster(
        "SelectType=select/linear",
        &format!(
            "NodeName=n1 {NODE} CPUs=8 SocketsPerBoard=2 CoresPerSocket=4 ThreadsPerCore=1 RealMemory=2000\n\
             NodeName=n2 {NODE} CPUs=4 SocketsPerBoard=1 CoresPerSocket=4 ThreadsPerCore=1 RealMemory=4000\n\
             PartitionName=batch Nodes=n1,n2 Default=YES MaxNodes=1 MaxCPUsPerNode=2 State=UP"
        ),
    );
    let (_, nodes, cpus) = run(
        &mut c,
        sbatch(|d| d.pn_min_memory = 300 | super::submit::MEM_PER_CPU),
    );
    assert_eq!((nodes, cpus), (vec!["n1".to_string()], vec![8]));
}

#[test]
fn constraints_leave_only_the_nodes_with_the_features() {
    // seeds 105/119: upstream selects only nodes whose features satisfy
    // the expression; counts pick that many nodes with each feature first.
    let cluster_with_features = || {
        cluster(
            "SelectType=select/cons_tres\nSelectTypeParameters=CR_CPU",
            &format!(
                "NodeName=n1 {NODE} CPUs=4 SocketsPerBoard=1 CoresPerSocket=4 ThreadsPerCore=1 RealMemory=1000 Features=fa\n\
                 NodeName=n2 {NODE} CPUs=4 SocketsPerBoard=1 CoresPerSocket=4 ThreadsPerCore=1 RealMemory=1000 Features=fb\n\
                 NodeName=n3 {NODE} CPUs=4 SocketsPerBoard=1 CoresPerSocket=4 ThreadsPerCore=1 RealMemory=1000 Features=fa,fb\n\
                 NodeName=n4 {NODE} CPUs=4 SocketsPerBoard=1 CoresPerSocket=4 ThreadsPerCore=1 RealMemory=1000\n\
                 PartitionName=batch Nodes=ALL Default=YES State=UP"
            ),
        )
    };
    let with = |expr: &str| {
        let expr = expr.to_string();
        sbatch(move |d| d.features = Some(expr))
    };
    let mut c = cluster_with_features();
    assert_eq!(run(&mut c, with("fb")).1, vec!["n2"]);
    assert_eq!(run(&mut c, with("fa&fb")).1, vec!["n3"]);
    let mut c = cluster_with_features();
    // Two whole nodes with fa: n1 and n3, never n4.
    let two = sbatch(|d| {
        d.features = Some("fa".into());
        d.min_nodes = 2;
        d.num_tasks = 8;
    });
    assert_eq!(run(&mut c, two).1, vec!["n1", "n3"]);
    // A bracketed count: one node of each feature, apart.
    let mut c = cluster_with_features();
    assert_eq!(run(&mut c, with("[fa*1&fb*1]")).1, vec!["n1", "n2"]);
    // A bracketed OR: all nodes with one of them, the first that fits.
    let mut c = cluster_with_features();
    let both = sbatch(|d| {
        d.features = Some("[fb|fa]".into());
        d.min_nodes = 2;
    });
    assert_eq!(run(&mut c, both).1, vec!["n2", "n3"]);
}

#[test]
fn a_waiting_job_shows_the_node_count_its_selection_would_give() {
    // Upstream keeps the test-only selection's node count of a job that
    // must wait (node_cnt_wag): `-n 3 -c 4` on 4-CPU nodes is 3 nodes,
    // `-n 5` is 2, where the jobs' minimum is 1.
    let mut c = cluster(
        "SelectType=select/cons_tres\nSelectTypeParameters=CR_CPU",
        &format!(
            "NodeName=n[1-3] {NODE} CPUs=4 SocketsPerBoard=1 CoresPerSocket=4 ThreadsPerCore=1 RealMemory=1000\n\
             PartitionName=batch Nodes=ALL Default=YES State=UP"
        ),
    );
    let all = sbatch(|d| {
        d.min_nodes = 3;
        d.shared = 0;
    });
    run(&mut c, all);
    let mut waiting = |f: fn(&mut JobDescriptor)| {
        let id = match c
            .handle(root(), Message::SubmitBatchJob(Box::new(sbatch(f))), T0)
            .reply
        {
            Message::SubmitBatchJobResponse { job_id, .. } => job_id,
            other => panic!("submit refused: {other:?}"),
        };
        let _ = c.main_schedule(T0 + 1);
        assert!(c.jobs[&id].is_pending());
        (c.jobs[&id].desc.min_nodes, c.jobs[&id].node_cnt_wag)
    };
    assert_eq!(
        waiting(|d| {
            d.num_tasks = 3;
            d.cpus_per_task = 4;
        }),
        (1, 3)
    );
    assert_eq!(waiting(|d| d.num_tasks = 5), (1, 2));
}
