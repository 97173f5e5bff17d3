//! The node's link to slurmctld: the messages slurmd originates
//! (registration, `send_registration_msg` / `_fill_registration_msg` in
//! `slurmd.c`; batch completion, `_send_complete_batch_script_msg` in
//! `slurmstepd/mgr.c`; MESSAGE_EPILOG_COMPLETE, `_epilog_complete` in
//! `req.c`). Each goes on its own connection with a fresh MUNGE
//! credential restricted to SlurmUser, to the first SlurmctldHost that
//! answers.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, UNIX_EPOCH};

use tokio::sync::mpsc;
use tracing::{debug, error, info, warn};

use wire::auth::body_hash::HashPolicy;
use wire::auth::{CredentialService, RestrictUid};
use wire::conf::{conf_flags, SlurmConf};
use wire::errno::SlurmRc;
use wire::msg::common::{Energy, StepId as WireStepId};
use wire::msg::jobacct::TresUsage;
use wire::msg::node::reg_flags;
use wire::msg::{
    CompleteBatchScript, EpilogComplete, JobAcctInfo, Message, NodeRegistration, PingSlurmdResponse,
};

use crate::agent::NodeAgent;
use crate::step::{StepExit, StepId, NO_VAL};

/// Version string slurmd reports.
pub const SLURM_VERSION: &str = "22.05.8";

/// `TRES_ARRAY_ENERGY`: index of the energy TRES in the usage arrays.
const TRES_ARRAY_ENERGY: usize = 2;

pub use daemon::startup::now;

/// `get_cpu_load` and `get_free_mem` (`get_mach_stat.c`): the 5-minute load
/// average × 100 and free RAM in MB, from sysinfo(2).
pub fn load_and_free_mem() -> PingSlurmdResponse {
    // SAFETY: sysinfo only writes into the struct we pass.
    let mut info: libc::sysinfo = unsafe { std::mem::zeroed() };
    if unsafe { libc::sysinfo(&mut info) } != 0 {
        return PingSlurmdResponse::default();
    }
    let shift = f64::from(1u32 << libc::SI_LOAD_SHIFT);
    let cpu_load = (info.loads[1] as f64 / shift * 100.0) as u32;
    let free_mem = (info.freeram as u64).saturating_mul(u64::from(info.mem_unit)) / (1024 * 1024);
    PingSlurmdResponse { cpu_load, free_mem }
}

/// What registration reports besides the hardware, from slurm.conf.
#[derive(Debug, Clone)]
pub struct ReportConfig {
    /// `hash_val` of our slurm.conf.
    pub hash_val: u32,
    /// SlurmdParameters=config_overrides.
    pub config_overrides: bool,
    /// `Prolog`.
    pub prolog: Option<String>,
    /// `Epilog`.
    pub epilog: Option<String>,
    /// `HealthCheckProgram`.
    pub health_check_program: Option<String>,
    /// `PrologEpilogTimeout` (NO_VAL16 / 0: no limit).
    pub prolog_epilog_timeout: u16,
    /// `ClusterName`.
    pub cluster_name: Option<String>,
    /// Path of slurm.conf (SLURM_CONF of scripts).
    pub conf_path: String,
}

impl ReportConfig {
    /// From slurm.conf.
    pub fn from_conf(conf: &SlurmConf, conf_path: &str) -> Self {
        ReportConfig {
            hash_val: conf.hash_val,
            config_overrides: conf.conf_flags & conf_flags::CONFIG_OVERRIDES != 0,
            prolog: conf.prolog.clone().filter(|e| !e.is_empty()),
            epilog: conf.epilog.clone().filter(|e| !e.is_empty()),
            health_check_program: conf.health_check_program.clone().filter(|e| !e.is_empty()),
            prolog_epilog_timeout: conf.prolog_epilog_timeout,
            cluster_name: conf.cluster_name.clone(),
            conf_path: conf_path.to_string(),
        }
    }
}

/// Where and how to reach slurmctld.
#[derive(Clone)]
pub struct ControllerLink {
    /// `SlurmctldHost` addresses, primary first.
    pub hosts: Vec<String>,
    /// `SlurmctldPort`.
    pub port: u16,
    /// MUNGE (or the in-memory fake).
    pub auth: Arc<dyn CredentialService>,
    /// MessageTimeout.
    pub timeout: Duration,
    /// CommunicationParameters hash policy for replies.
    pub hash_policy: HashPolicy,
    /// SlurmUser uid: our credentials are restricted to it.
    pub slurm_user: u32,
}

impl ControllerLink {
    /// From slurm.conf.
    pub fn from_conf(conf: &SlurmConf, auth: Arc<dyn CredentialService>) -> Self {
        ControllerLink {
            hosts: conf.control_hosts.iter().map(|h| h.addr.clone()).collect(),
            port: u16::try_from(conf.slurmctld_port).unwrap_or(6817),
            auth,
            timeout: Duration::from_secs(u64::from(conf.msg_timeout.max(1))),
            hash_policy: HashPolicy::from_comm_params(conf.comm_params.as_deref().unwrap_or("")),
            slurm_user: conf.slurm_user_id.unwrap_or(0),
        }
    }

    /// Sends `msg` to the first controller that answers and returns its
    /// reply (`slurm_send_recv_controller_msg`).
    pub async fn send_recv(&self, msg: &Message) -> Result<Message, String> {
        self.client().call_first(&self.hosts, self.port, msg).await
    }

    /// Sends `msg` to the first controller that takes it, expecting no
    /// reply (`slurm_send_only_controller_msg`).
    pub async fn send_only(&self, msg: &Message) -> Result<(), String> {
        self.client()
            .send_only_first(&self.hosts, self.port, msg)
            .await
    }

    /// Our credentials are for SlurmUser (slurmctld) only.
    fn client(&self) -> daemon::Client {
        daemon::Client::new(
            self.auth.clone(),
            self.timeout,
            self.hash_policy,
            RestrictUid::Uid(self.slurm_user),
        )
    }
}

/// The controller side of one slurmd: link, what registration reports, and
/// the bits of state the messages need.
pub struct Controller {
    /// How to reach slurmctld.
    pub link: ControllerLink,
    /// slurm.conf facts for reports and scripts.
    pub report: ReportConfig,
    /// TRES ids from RESPONSE_NODE_REGISTRATION (the jobacct arrays).
    tres_ids: Mutex<Vec<u32>>,
    /// Jobs aborted (REQUEST_ABORT_JOB): their batch end is not reported,
    /// as upstream's stepd does not for an aborted job.
    aborted: Mutex<HashSet<u32>>,
}

impl Controller {
    /// A controller link.
    pub fn new(link: ControllerLink, report: ReportConfig) -> Arc<Self> {
        Arc::new(Controller {
            link,
            report,
            // The eight TRES every 22.05 cluster has (cpu, mem, energy, node,
            // billing, fs/disk, vmem, pages) until the controller tells us.
            tres_ids: Mutex::new((1..=8).collect()),
            aborted: Mutex::new(HashSet::new()),
        })
    }

    /// Marks a job aborted (its batch end will not be reported).
    pub fn mark_aborted(&self, job_id: u32) {
        self.aborted
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(job_id);
    }

    fn take_aborted(&self, job_id: u32) -> bool {
        self.aborted
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&job_id)
    }

    /// MESSAGE_NODE_REGISTRATION_STATUS as `_fill_registration_msg` fills it.
    pub fn registration(&self, agent: &NodeAgent, status: u32, flags: u16) -> NodeRegistration {
        let hw = agent.hardware();
        let node = &agent.settings().node;
        let t = hw.topology;
        // _read_config: the configured layout is reported unless the host
        // has fewer CPUs than configured and config_overrides is off.
        let (cpus, boards, sockets, cores, threads) =
            if !self.report.config_overrides && t.cpus < node.cpus {
                (
                    t.cpus,
                    t.boards,
                    t.sockets,
                    t.cores_per_socket,
                    t.threads_per_core,
                )
            } else {
                (
                    node.cpus,
                    node.boards,
                    node.sockets,
                    node.cores_per_socket,
                    node.threads_per_core,
                )
            };
        let uts = uname();
        let arch = std::env::var("SLURM_ARCH")
            .ok()
            .or_else(|| uts.as_ref().map(|u| u.3.clone()));
        let os = std::env::var("SLURM_OS").ok().or_else(|| {
            uts.as_ref()
                .map(|(sys, rel, ver, _)| format!("{sys} {rel} {ver}"))
        });
        let lf = load_and_free_mem();
        let started = agent
            .started()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        NodeRegistration {
            timestamp: now(),
            slurmd_start_time: started,
            status,
            hostname: Some(agent.steps().node().hostname.clone()),
            node_name: Some(agent.settings().node_name.clone()),
            arch,
            os,
            cpus,
            boards,
            sockets,
            cores,
            threads,
            real_memory: hw.real_memory,
            tmp_disk: hw.tmp_disk,
            up_time: u32::try_from(hw.uptime).unwrap_or(u32::MAX),
            hash_val: self.report.hash_val,
            cpu_load: lf.cpu_load,
            free_mem: lf.free_mem,
            steps: agent
                .registered_steps()
                .into_iter()
                .map(|s| (s.job_id, s.step_id))
                // srun steps are run by their own step daemons.
                .chain(
                    crate::srun_step::StepRecord::all(&agent.settings().spool_dir)
                        .into_iter()
                        .map(|r| (r.job_id, r.step_id)),
                )
                .map(|(job_id, step_id)| WireStepId {
                    job_id,
                    step_id,
                    step_het_comp: NO_VAL,
                })
                .collect(),
            flags,
            // gres_node_config_pack always sends its header (version and a
            // record count, maybe 0); a 22.05 slurmctld dereferences it
            // unchecked and crashes on a registration without one.
            gres_info: Some(agent.steps().node().gres.registration()),
            energy: Energy::default(),
            version: Some(SLURM_VERSION.into()),
            dynamic_type: 0,
            ..Default::default()
        }
    }

    /// Sends one registration (with SLURMD_REG_FLAG_RESP) and takes in the
    /// answer (`send_registration_msg` + `_handle_node_reg_resp`).
    pub async fn register(&self, agent: &NodeAgent, status: u32) -> Result<(), String> {
        let msg =
            Message::NodeRegistration(Box::new(self.registration(agent, status, reg_flags::RESP)));
        match self.link.send_recv(&msg).await? {
            Message::NodeRegistrationResponse(r) => {
                if let Some(list) = r.tres_list {
                    debug!("slurmctld sent back {} TRES", list.len());
                    *self.tres_ids.lock().unwrap_or_else(|p| p.into_inner()) =
                        list.iter().map(|t| t.id).collect();
                }
                Ok(())
            }
            Message::SlurmRc { rc: 0 } | Message::SlurmRcMsg { rc: 0, .. } => Ok(()),
            Message::SlurmRc { rc } | Message::SlurmRcMsg { rc, .. } => {
                Err(format!("registration refused: {}", SlurmRc(rc)))
            }
            other => Err(format!(
                "unexpected reply {} to registration",
                wire::msg::msg_type::name(other.msg_type())
            )),
        }
    }

    /// Registers, retrying with backoff (1 s doubling to 30 s) until the
    /// controller answers.
    pub async fn register_until_answered(&self, agent: &NodeAgent) {
        let mut delay = Duration::from_secs(1);
        loop {
            match self.register(agent, 0).await {
                Ok(()) => {
                    info!(node = %agent.settings().node_name, "registered with slurmctld");
                    return;
                }
                Err(e) => {
                    warn!("Unable to register: {e}; retrying in {delay:?}");
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(Duration::from_secs(30));
                }
            }
        }
    }

    /// The jobacct block a 22.05 stepd sends with JobAcctGatherType=none:
    /// one entry per TRES, every usage INFINITE64 but the energy totals.
    pub fn empty_jobacct(&self) -> JobAcctInfo {
        let ids = self
            .tres_ids
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let n = ids.len();
        let inf = vec![u64::MAX; n];
        let mut tot = inf.clone();
        if n > TRES_ARRAY_ENERGY {
            tot[TRES_ARRAY_ENERGY] = 0;
        }
        let usage = TresUsage {
            max: inf.clone(),
            max_nodeid: inf.clone(),
            max_taskid: inf.clone(),
            min: inf.clone(),
            min_nodeid: inf.clone(),
            min_taskid: inf,
            tot,
        };
        JobAcctInfo {
            tres_ids: ids,
            tres_list: None,
            usage_in: usage.clone(),
            usage_out: usage,
            ..Default::default()
        }
    }

    /// REQUEST_COMPLETE_BATCH_SCRIPT, retried while the controller cannot
    /// be reached (upstream: every 15 s for an hour; here 1 s doubling to
    /// 15 s, for an hour). Returns the controller's rc, or None if it was
    /// never reached.
    pub async fn complete_batch(
        &self,
        node_name: &str,
        job_id: u32,
        uid: u32,
        job_rc: u32,
        slurm_rc: u32,
    ) -> Option<i32> {
        let msg = Message::CompleteBatchScript(CompleteBatchScript {
            jobacct: Some(self.empty_jobacct()),
            job_id,
            job_rc,
            slurm_rc,
            user_id: uid,
            node_name: Some(node_name.to_string()),
        });
        let rc = self
            .send_rc_retrying(&msg, &format!("job complete RPC for job {job_id}"))
            .await?;
        // _send_complete_batch_script_msg: these two mean "already known".
        if rc == SlurmRc::ESLURM_ALREADY_DONE.0 || rc == SlurmRc::ESLURM_INVALID_JOB_ID.0 {
            return Some(0);
        }
        Some(rc)
    }

    /// MESSAGE_EPILOG_COMPLETE (`_epilog_complete`): sent once, no reply
    /// expected; slurmctld resends REQUEST_TERMINATE_JOB if it is lost.
    pub async fn epilog_complete(
        &self,
        node_name: &str,
        job_id: u32,
        rc: u32,
    ) -> Result<(), String> {
        let msg = Message::EpilogComplete(EpilogComplete {
            job_id,
            return_code: rc,
            node_name: Some(node_name.into()),
        });
        let r = self.link.send_only(&msg).await;
        match &r {
            Ok(()) => debug!("JobId={job_id}: sent epilog complete msg: rc = {rc}"),
            Err(e) => error!("Unable to send epilog complete message: {e}"),
        }
        r
    }

    async fn send_rc_retrying(&self, msg: &Message, what: &str) -> Option<i32> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(3600);
        let mut delay = Duration::from_secs(1);
        loop {
            match self.link.send_recv(msg).await {
                Ok(Message::SlurmRc { rc }) | Ok(Message::SlurmRcMsg { rc, .. }) => {
                    return Some(rc)
                }
                Ok(other) => {
                    warn!(
                        "{what}: unexpected reply {}",
                        wire::msg::msg_type::name(other.msg_type())
                    );
                    return Some(SlurmRc::ERROR.0);
                }
                Err(e) => {
                    if tokio::time::Instant::now() + delay > deadline {
                        error!("Unable to send {what}: {e}");
                        return None;
                    }
                    info!("Retrying {what}: {e}");
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(Duration::from_secs(15));
                }
            }
        }
    }

    /// Reports one batch step's end and, once the controller has it,
    /// forgets the step (`batch_finish`).
    pub async fn report_exit(&self, agent: &NodeAgent, exit: StepExit) {
        let step = exit.step;
        if !step.is_batch() {
            agent.step_completion_acknowledged(step);
            return;
        }
        if self.take_aborted(step.job_id) {
            info!("job {} abort completed", step.job_id);
            agent.step_completion_acknowledged(step);
            return;
        }
        let uid = agent
            .all_steps()
            .iter()
            .find(|s| s.step == step)
            .map_or(0, |s| s.uid);
        // A leader that ended unwatched (daemon restarted) has no status:
        // report it as killed, like a stepd that lost its task.
        let job_rc = exit.status.map_or(libc::SIGKILL as u32, |s| s as u32);
        info!(
            "job {} completed with slurm_rc = 0, job_rc = {job_rc}",
            step.job_id
        );
        match self
            .complete_batch(&agent.settings().node_name, step.job_id, uid, job_rc, 0)
            .await
        {
            Some(0) => agent.step_completion_acknowledged(step),
            Some(rc) => {
                // Upstream does not retry an answered RPC either: the
                // controller has heard of the end, so the step is released.
                error!(step = %step, "slurmctld refused job completion: {}", SlurmRc(rc));
                agent.step_completion_acknowledged(step);
            }
            None => warn!(step = %step, "completion not delivered; kept for the next start"),
        }
    }

    /// Reports every step end arriving on `exits`.
    pub async fn completion_loop(
        self: Arc<Self>,
        agent: Arc<NodeAgent>,
        mut exits: mpsc::UnboundedReceiver<StepExit>,
    ) {
        while let Some(exit) = exits.recv().await {
            let me = self.clone();
            let agent = agent.clone();
            tokio::spawn(async move { me.report_exit(&agent, exit).await });
        }
    }

    /// Reports the ends a previous instance left unreported.
    pub async fn report_ended(self: Arc<Self>, agent: Arc<NodeAgent>, ended: Vec<StepExit>) {
        for exit in ended {
            self.report_exit(&agent, exit).await;
        }
    }
}

/// Environment and runner for Epilog / HealthCheckProgram.
pub mod scripts {
    use super::*;

    /// What the Prolog/Epilog is told about the job (`job_env_t`).
    #[derive(Debug, Clone, Default)]
    pub struct JobEnv {
        /// Job id.
        pub job_id: u32,
        /// Owner.
        pub uid: u32,
        /// Owner's group.
        pub gid: u32,
        /// Owner's name.
        pub user_name: Option<String>,
        /// Node list.
        pub nodes: Option<String>,
        /// Partition (the credential's wins when it has one).
        pub partition: Option<String>,
        /// Working directory.
        pub work_dir: Option<String>,
        /// SPANK environment from the controller.
        pub spank_job_env: Vec<String>,
        /// The job's GRES variables on this node (`gres_job_env`).
        pub gres_env: Vec<(String, String)>,
        /// Epilog only: the job's wait status and derived exit code.
        pub exit: Option<(u32, u32)>,
        /// What the job credential adds (`cred_arg` fields).
        pub cred: Option<CredEnv>,
    }

    /// The credential fields upstream's `_build_env` exports.
    #[derive(Debug, Clone, Default)]
    pub struct CredEnv {
        pub account: Option<String>,
        pub comment: Option<String>,
        pub constraints: Option<String>,
        /// `SLURM_JOB_CPUS_PER_NODE` (`2(x2),1` form).
        pub cpus_per_node: Option<String>,
        pub ntasks: u32,
        pub nhosts: u32,
        pub partition: Option<String>,
        pub reservation: Option<String>,
        pub restart_cnt: u16,
        pub std_err: Option<String>,
        pub std_in: Option<String>,
        pub std_out: Option<String>,
    }

    impl CredEnv {
        /// From a job credential.
        pub fn from_cred(c: &wire::msg::cred::JobCredential) -> Self {
            let cpus = (!c.cpu_array.is_empty()).then(|| {
                c.cpu_array
                    .iter()
                    .zip(c.cpu_array_reps.iter().chain(std::iter::repeat(&1)))
                    .map(|(v, r)| {
                        if *r > 1 {
                            format!("{v}(x{r})")
                        } else {
                            v.to_string()
                        }
                    })
                    .collect::<Vec<_>>()
                    .join(",")
            });
            CredEnv {
                account: c.job_account.clone(),
                comment: c.job_comment.clone(),
                constraints: c.job_constraints.clone(),
                cpus_per_node: cpus,
                ntasks: c.job_ntasks,
                nhosts: c.job_nhosts,
                partition: c.job_partition.clone(),
                reservation: c.job_reservation.clone(),
                restart_cnt: c.job_restart_cnt,
                std_err: c.job_std_err.clone(),
                std_in: c.job_std_in.clone(),
                std_out: c.job_std_out.clone(),
            }
        }
    }

    /// The environment of Prolog/Epilog, exactly as upstream's
    /// `_build_env` (prep/script): nothing inherited, not even PATH.
    pub fn prep_env(
        report: &ReportConfig,
        node_name: &str,
        env: &JobEnv,
        is_epilog: bool,
    ) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = Vec::new();
        let mut set = |k: &str, v: String| {
            out.retain(|(name, _)| name != k);
            out.push((k.to_string(), v));
        };
        // User-controlled SPANK variables only ever appear prefixed.
        for kv in &env.spank_job_env {
            if let Some((k, v)) = kv.split_once('=') {
                let k = if k.starts_with("SPANK_") {
                    k.to_string()
                } else {
                    format!("SPANK_{k}")
                };
                set(&k, v.to_string());
            }
        }
        for (k, v) in &env.gres_env {
            set(k, v.clone());
        }
        set("SLURMD_NODENAME", node_name.to_string());
        set("SLURM_CONF", report.conf_path.clone());
        set(
            "SLURM_CLUSTER_NAME",
            report
                .cluster_name
                .clone()
                .unwrap_or_else(|| "(null)".into()),
        );
        set("SLURM_JOB_ID", env.job_id.to_string());
        set("SLURM_JOB_UID", env.uid.to_string());
        set("SLURM_JOB_GID", env.gid.to_string());
        set(
            "SLURM_JOB_WORK_DIR",
            env.work_dir.clone().unwrap_or_else(|| "(null)".into()),
        );
        set(
            "SLURM_JOB_USER",
            env.user_name.clone().unwrap_or_else(|| env.uid.to_string()),
        );
        set("SLURM_JOBID", env.job_id.to_string());
        set("SLURM_UID", env.uid.to_string());
        if let Some(n) = &env.nodes {
            set("SLURM_NODELIST", n.clone());
        }
        if let Some(p) = &env.partition {
            set("SLURM_JOB_PARTITION", p.clone());
        }
        set(
            "SLURM_SCRIPT_CONTEXT",
            if is_epilog {
                "epilog_slurmd"
            } else {
                "prolog_slurmd"
            }
            .into(),
        );
        if let (true, Some((status, derived))) = (is_epilog, env.exit) {
            let (code, sig) = if status & 0x7f == 0 {
                ((status >> 8) & 0xff, 0)
            } else {
                (0, status & 0x7f)
            };
            set("SLURM_JOB_DERIVED_EC", derived.to_string());
            set("SLURM_JOB_EXIT_CODE", status.to_string());
            set("SLURM_JOB_EXIT_CODE2", format!("{code}:{sig}"));
        }
        if let Some(c) = &env.cred {
            let opt = |set: &mut dyn FnMut(&str, String), k: &str, v: &Option<String>| {
                if let Some(v) = v {
                    set(k, v.clone());
                }
            };
            opt(&mut set, "SLURM_JOB_ACCOUNT", &c.account);
            opt(&mut set, "SLURM_JOB_COMMENT", &c.comment);
            opt(&mut set, "SLURM_JOB_CONSTRAINTS", &c.constraints);
            opt(&mut set, "SLURM_JOB_CPUS_PER_NODE", &c.cpus_per_node);
            if c.ntasks != 0 {
                set("SLURM_JOB_NTASKS", c.ntasks.to_string());
            }
            if c.nhosts != 0 {
                set("SLURM_JOB_NUM_NODES", c.nhosts.to_string());
            }
            opt(&mut set, "SLURM_JOB_PARTITION", &c.partition);
            opt(&mut set, "SLURM_JOB_RESERVATION", &c.reservation);
            if c.restart_cnt != u16::MAX {
                set("SLURM_JOB_RESTART_COUNT", c.restart_cnt.to_string());
            }
            opt(&mut set, "SLURM_JOB_STDERR", &c.std_err);
            opt(&mut set, "SLURM_JOB_STDIN", &c.std_in);
            opt(&mut set, "SLURM_JOB_STDOUT", &c.std_out);
        }
        out
    }

    /// Runs Prolog (`is_epilog` false) or Epilog as root with
    /// [`prep_env`]; returns its wait status (or -1).
    pub async fn run_prep(
        path: &str,
        report: &ReportConfig,
        node_name: &str,
        env: &JobEnv,
        is_epilog: bool,
    ) -> i32 {
        let mut cmd = tokio::process::Command::new(path);
        cmd.env_clear()
            .envs(prep_env(report, node_name, env, is_epilog))
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true);
        run(
            cmd,
            report.prolog_epilog_timeout,
            if is_epilog { "epilog" } else { "prolog" },
        )
        .await
    }

    /// Runs HealthCheckProgram; returns its wait status.
    pub async fn run_health_check(path: &str, report: &ReportConfig) -> i32 {
        let mut cmd = tokio::process::Command::new(path);
        cmd.env_clear()
            .env("PATH", "/bin:/usr/bin")
            .env("SLURM_CONF", &report.conf_path)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true);
        run(cmd, 60, "health check").await
    }

    async fn run(mut cmd: tokio::process::Command, timeout: u16, what: &str) -> i32 {
        use std::os::unix::process::ExitStatusExt;
        let mut child = match cmd.spawn() {
            Ok(c) => c,
            Err(e) => {
                error!("cannot run {what}: {e}");
                return -1;
            }
        };
        let wait = child.wait();
        let status = if timeout == 0 || timeout == u16::MAX - 1 {
            wait.await.ok()
        } else {
            match tokio::time::timeout(Duration::from_secs(u64::from(timeout)), wait).await {
                Ok(s) => s.ok(),
                Err(_) => {
                    error!("{what} timed out after {timeout} s");
                    let _ = child.kill().await;
                    return libc::SIGKILL;
                }
            }
        };
        status.map_or(-1, |s| s.into_raw())
    }
}

/// uname(2): (sysname, release, version, machine).
fn uname() -> Option<(String, String, String, String)> {
    // SAFETY: uname only writes into the struct we pass.
    let mut u: libc::utsname = unsafe { std::mem::zeroed() };
    if unsafe { libc::uname(&mut u) } != 0 {
        return None;
    }
    let field = |f: &[libc::c_char]| {
        let bytes: Vec<u8> = f
            .iter()
            .take_while(|&&c| c != 0)
            .map(|&c| c as u8)
            .collect();
        String::from_utf8_lossy(&bytes).into_owned()
    };
    Some((
        field(&u.sysname),
        field(&u.release),
        field(&u.version),
        field(&u.machine),
    ))
}

/// The step a wire step id names.
pub fn step_from_wire(s: &WireStepId) -> StepId {
    StepId {
        job_id: s.job_id,
        step_id: s.step_id,
    }
}
