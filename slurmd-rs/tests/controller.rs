//! The daemon against a minimal in-process slurmctld (in-memory MUNGE
//! stand-in): registration at start-up, REQUEST_NODE_REGISTRATION_STATUS,
//! a batch launch from the controller, the batch completion it causes, the
//! terminate that follows, and refusal of a launch from an ordinary user.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

use slurmd::agent::NodeAgent;
use slurmd::config::NodeSettings;
use slurmd::ctld::{Controller, ControllerLink, ReportConfig};
use slurmd::hw::Hardware;
use slurmd::server::{self, Server, ServerConfig};
use slurmd::step::NodeContext;
use wire::auth::body_hash::{self, HashPolicy};
use wire::auth::fake::FakeCredentials;
use wire::auth::{CredentialService, RestrictUid};
use wire::errno::SlurmRc;
use wire::frame::{self, AuthBlob};
use wire::header::Header;
use wire::msg::common::{step, SelectJobInfo, StepId};
use wire::msg::node::reg_flags;
use wire::msg::{
    BatchJobLaunch, JobCredential, KillJob, Message, NodeRegistrationResponse, SignedCredential,
    TresRec,
};
use wire::pack::NO_VAL;
use wire::version::ProtocolVersion;

const V: ProtocolVersion = ProtocolVersion::V22_05;

/// Reads one framed message and checks its credential; returns the sender
/// uid and the decoded message.
async fn read_msg(s: &mut TcpStream, auth: &dyn CredentialService) -> Option<(u32, Message)> {
    let mut len = [0u8; 4];
    s.read_exact(&mut len).await.ok()?;
    let mut payload = vec![0u8; u32::from_be_bytes(len) as usize];
    s.read_exact(&mut payload).await.ok()?;
    let f = frame::decode(&payload).unwrap();
    let AuthBlob::Munge(c) = &f.auth;
    let v = auth.decode(c).unwrap();
    body_hash::verify(
        &v.payload,
        f.body,
        f.header.msg_type,
        f.header.version,
        HashPolicy::from_comm_params(""),
    )
    .unwrap();
    Some((
        v.uid,
        Message::unpack(f.header.msg_type, f.header.version, f.body).unwrap(),
    ))
}

async fn write_msg(s: &mut TcpStream, auth: &dyn CredentialService, m: &Message) {
    let body = m.to_body(V);
    let hash = body_hash::compute(&body, m.msg_type(), V, None);
    let cred = auth.encode(&hash, RestrictUid::Any).unwrap();
    s.write_all(&frame::encode(
        &Header::new(V, m.msg_type(), 0),
        &AuthBlob::Munge(cred),
        &body,
    ))
    .await
    .unwrap();
}

/// The fake controller: answers registrations with a TRES list, batch
/// completions with RC 0, epilog completes with nothing; reports each.
async fn fake_ctld(
    listener: TcpListener,
    auth: FakeCredentials,
    seen: mpsc::UnboundedSender<Message>,
) {
    loop {
        let (mut s, _) = listener.accept().await.unwrap();
        let auth = auth.clone();
        let seen = seen.clone();
        tokio::spawn(async move {
            let Some((_, m)) = read_msg(&mut s, &auth).await else {
                return;
            };
            let reply = match &m {
                Message::NodeRegistration(_) => Some(Message::NodeRegistrationResponse(
                    NodeRegistrationResponse {
                        tres_list: Some(
                            (1..=5)
                                .map(|id| TresRec {
                                    id,
                                    tres_type: Some("x".into()),
                                    ..Default::default()
                                })
                                .collect(),
                        ),
                        node_name: None,
                    },
                )),
                Message::CompleteBatchScript(_) => Some(Message::SlurmRc { rc: 0 }),
                _ => None,
            };
            if let Some(r) = reply {
                write_msg(&mut s, &auth, &r).await;
            }
            let _ = seen.send(m);
        });
    }
}

/// One request from the controller to the node; returns the reply.
async fn rpc(addr: SocketAddr, auth: &FakeCredentials, m: &Message) -> Message {
    let mut s = TcpStream::connect(addr).await.unwrap();
    write_msg(&mut s, auth, m).await;
    tokio::time::timeout(Duration::from_secs(10), read_msg(&mut s, auth))
        .await
        .unwrap()
        .unwrap()
        .1
}

async fn next(seen: &mut mpsc::UnboundedReceiver<Message>) -> Message {
    tokio::time::timeout(Duration::from_secs(20), seen.recv())
        .await
        .expect("message from the node")
        .unwrap()
}

fn launch(job_id: u32, uid: u32, gid: u32, user: &str, work: &str, script: &str) -> BatchJobLaunch {
    let cred = JobCredential {
        step_id: StepId {
            job_id,
            step_id: step::BATCH,
            step_het_comp: NO_VAL,
        },
        uid,
        gid,
        pw_name: Some(user.into()),
        ..Default::default()
    };
    BatchJobLaunch {
        job_id,
        het_job_id: NO_VAL,
        uid,
        gid,
        user_name: None,
        gids: vec![],
        partition: Some("p".into()),
        ntasks: 1,
        pn_min_memory: 0,
        open_mode: 0,
        overcommit: 0,
        array_job_id: 0,
        array_task_id: NO_VAL,
        acctg_freq: None,
        container: None,
        cpu_bind_type: 0,
        cpus_per_task: 1,
        restart_cnt: 0,
        job_core_spec: u16::MAX,
        cpus_per_node: vec![1],
        cpu_count_reps: vec![1],
        alias_list: None,
        cpu_bind: None,
        nodes: Some("n1".into()),
        script: Some(script.into()),
        work_dir: Some(work.into()),
        std_err: None,
        std_in: Some("/dev/null".into()),
        std_out: Some(format!("{work}/out-%j.txt")),
        argv: vec!["script".into()],
        spank_job_env: vec![],
        environment: vec!["SLURM_JOB_NAME=t".into()],
        job_mem: 0,
        cred_version: V,
        cred: SignedCredential::unsigned(cred, V),
        select_jobinfo: SelectJobInfo::default(),
        account: None,
        qos: None,
        resv_name: None,
        profile: 0,
        tres_bind: None,
        tres_freq: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registration_launch_completion_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let ctld_listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let ctld_port = ctld_listener.local_addr().unwrap().port();
    let text = format!(
        "ClusterName=t\nSlurmctldHost=localhost(127.0.0.1)\nSlurmctldPort={ctld_port}\n\
         SlurmdParameters=config_overrides\nNodeName=n1 Port=0 CPUs=3\nPartitionName=p Nodes=n1\n"
    );
    let conf = wire::conf::SlurmConf::from_str(&text, "/etc/slurm/slurm.conf").unwrap();

    // One munged key for the whole cluster; the controller and the node are
    // both root here.
    let ctld_auth = FakeCredentials::new(b"cluster key", 0, 0);
    let node_auth = ctld_auth.same_node(0, 0);
    let (tx, mut seen) = mpsc::unbounded_channel();
    tokio::spawn(fake_ctld(ctld_listener, ctld_auth.clone(), tx));

    // The node, assembled as main() does.
    let mut settings = NodeSettings::resolve(&conf, Some("n1"), "h").unwrap();
    settings.spool_dir = dir.path().join("spool");
    std::fs::create_dir_all(&settings.spool_dir).unwrap();
    let node = NodeContext {
        node_name: "n1".into(),
        hostname: "h".into(),
        cpus: 3,
        cluster_name: Some("t".into()),
        conf_path: "/etc/slurm/slurm.conf".into(),
        working_cluster: "t:127.0.0.1:6817:9728:102".into(),
        spool_dir: settings.spool_dir.clone(),
        job_file_append: false,
        gres: Default::default(),
    };
    let (agent, exits) = NodeAgent::new(settings, node, Hardware::detect(None));
    let auth: Arc<dyn CredentialService> = Arc::new(node_auth);
    let ctl = Controller::new(
        ControllerLink::from_conf(&conf, auth.clone()),
        ReportConfig::from_conf(&conf, "/x"),
    );
    let cfg = ServerConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        max_connections: 8,
        msg_timeout: Duration::from_secs(5),
        hash_policy: HashPolicy::from_comm_params(""),
        slurm_user: 0,
        slurmd_user: 0,
    };
    let listener = server::bind(cfg.listen).await.unwrap();
    let node_addr = listener.local_addr().unwrap();
    let srv = Server::with_controller(agent.clone(), auth, cfg, ctl.clone());
    tokio::spawn(server::run(srv.clone(), listener));
    tokio::spawn(ctl.clone().completion_loop(agent.clone(), exits));
    {
        let (ctl, agent) = (ctl.clone(), agent.clone());
        tokio::spawn(async move { ctl.register_until_answered(&agent).await });
    }

    // 1. Registration at start-up, with the configured layout (config_overrides).
    let Message::NodeRegistration(r) = next(&mut seen).await else {
        panic!("expected a registration")
    };
    assert_eq!(r.node_name.as_deref(), Some("n1"));
    assert_eq!(r.hostname.as_deref(), Some("h"));
    assert_eq!(r.version.as_deref(), Some("22.05.8"));
    assert_eq!(r.flags & reg_flags::RESP, reg_flags::RESP);
    assert_eq!(r.hash_val, conf.hash_val);
    assert_eq!(r.cpus, 3);
    assert!(r.real_memory > 0);
    assert!(r.steps.is_empty());
    assert_eq!(r.gres_info.as_ref().map(|g| g.records.len()), Some(0));

    // 2. REQUEST_NODE_REGISTRATION_STATUS: a ping answer, then a registration.
    let reply = rpc(
        node_addr,
        &ctld_auth,
        &Message::NodeRegistrationStatusRequest,
    )
    .await;
    assert!(matches!(reply, Message::PingSlurmdResponse(_)), "{reply:?}");
    assert!(matches!(
        next(&mut seen).await,
        Message::NodeRegistration(_)
    ));

    // 3. A batch launch from an ordinary user is refused.
    let work = dir.path().join("work");
    std::fs::create_dir(&work).unwrap();
    let w = work.to_str().unwrap();
    let me = nix::unistd::User::from_uid(nix::unistd::geteuid())
        .unwrap()
        .unwrap();
    let (uid, gid) = (me.uid.as_raw(), me.gid.as_raw());
    let script = "#!/bin/sh\necho hi from $SLURMD_NODENAME\nexit 3\n";
    let user_auth = ctld_auth.same_node(1000, 1000);
    let m = Message::BatchJobLaunch(Box::new(launch(7, uid, gid, &me.name, w, script)));
    assert_eq!(
        rpc(node_addr, &user_auth, &m).await,
        Message::SlurmRc {
            rc: SlurmRc::ESLURM_USER_ID_MISSING.0
        }
    );

    // 4. The controller's launch runs; its end comes back as
    //    REQUEST_COMPLETE_BATCH_SCRIPT with the wait status.
    assert_eq!(
        rpc(node_addr, &ctld_auth, &m).await,
        Message::SlurmRc { rc: 0 }
    );
    let Message::CompleteBatchScript(c) = next(&mut seen).await else {
        panic!("expected a batch completion")
    };
    assert_eq!(c.job_id, 7);
    assert_eq!(c.job_rc, 3 << 8);
    assert_eq!(c.slurm_rc, 0);
    assert_eq!(c.user_id, uid);
    assert_eq!(c.node_name.as_deref(), Some("n1"));
    let acct = c.jobacct.expect("jobacct block");
    assert_eq!(
        acct.tres_ids,
        vec![1, 2, 3, 4, 5],
        "TRES ids from the registration response"
    );
    assert_eq!(
        acct.usage_in.tot,
        vec![u64::MAX, u64::MAX, 0, u64::MAX, u64::MAX]
    );
    assert_eq!(
        std::fs::read_to_string(work.join("out-7.txt")).unwrap(),
        "hi from n1\n"
    );

    // The acknowledged step is forgotten.
    for _ in 0..50 {
        if agent.all_steps().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(agent.all_steps().is_empty());

    // 5. Terminate of a job with nothing left and no Epilog.
    let kill = KillJob {
        step_id: StepId {
            job_id: 7,
            step_id: NO_VAL,
            step_het_comp: NO_VAL,
        },
        job_uid: uid,
        job_gid: gid,
        nodes: Some("n1".into()),
        ..Default::default()
    };
    let reply = rpc(
        node_addr,
        &ctld_auth,
        &Message::TerminateJob(Box::new(kill.clone())),
    )
    .await;
    assert_eq!(
        reply,
        Message::SlurmRc {
            rc: SlurmRc::ESLURMD_KILL_JOB_ALREADY_COMPLETE.0
        }
    );

    // 6. Terminate of a running job: RC 0 now, the processes die, then
    //    MESSAGE_EPILOG_COMPLETE; the killed script's completion comes too.
    let m = Message::BatchJobLaunch(Box::new(launch(
        8,
        uid,
        gid,
        &me.name,
        w,
        "#!/bin/sh\nsleep 300\n",
    )));
    assert_eq!(
        rpc(node_addr, &ctld_auth, &m).await,
        Message::SlurmRc { rc: 0 }
    );
    let kill = KillJob {
        step_id: StepId {
            job_id: 8,
            ..kill.step_id
        },
        ..kill
    };
    assert_eq!(
        rpc(
            node_addr,
            &ctld_auth,
            &Message::TerminateJob(Box::new(kill))
        )
        .await,
        Message::SlurmRc { rc: 0 }
    );
    let (mut completed, mut epilog) = (None, None);
    while completed.is_none() || epilog.is_none() {
        match next(&mut seen).await {
            Message::CompleteBatchScript(c) => completed = Some(c),
            Message::EpilogComplete(e) => epilog = Some(e),
            other => panic!("unexpected {other:?}"),
        }
    }
    let (c, e) = (completed.unwrap(), epilog.unwrap());
    assert_eq!((c.job_id, c.job_rc), (8, libc::SIGTERM as u32));
    assert_eq!(
        (e.job_id, e.return_code, e.node_name.as_deref()),
        (8, 0, Some("n1"))
    );
    let _ = srv.shutdown.send(true);
}
