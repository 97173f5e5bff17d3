//! Node daemons: registration (`validate_node_specs`), ping results and
//! the SlurmdTimeout rule (`ping_nodes` / `_make_node_down`).

use wire::job_reason::JobReason;

use super::job::{state_flags, JobState};
use super::node::{base, flag};
use wire::errno::SlurmRc;
use wire::msg::node::{reg_flags, NodeRegistration, NodeRegistrationResponse};
use wire::msg::{Message, TresRec};

use super::{Caller, Controller, Effect, Outcome};

/// What a slurmd says about itself in MESSAGE_NODE_REGISTRATION_STATUS.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NodeReport {
    /// Node name the daemon acts for.
    pub node_name: String,
    /// Reported CPUs.
    pub cpus: u16,
    /// Boards.
    pub boards: u16,
    /// Sockets.
    pub sockets: u16,
    /// Cores per socket.
    pub cores: u16,
    /// Threads per core.
    pub threads: u16,
    /// MB.
    pub real_memory: u64,
    /// MB.
    pub tmp_disk: u32,
    /// slurmd's status code (ESLURMD_PROLOG_FAILED etc.).
    pub status: u32,
    /// Jobs with steps running on the node.
    pub job_ids: Vec<u32>,
    /// Daemon version string.
    pub version: Option<String>,
    /// Boot time of the node.
    pub boot_time: i64,
    /// When slurmd started.
    pub slurmd_start_time: i64,
    /// Its gres.conf records (device files, types).
    pub gres: Vec<wire::msg::gres::GresSlurmdConf>,
    /// Machine architecture (`uname -m`).
    pub arch: Option<String>,
    /// Operating system (`uname -s -r -v`).
    pub os: Option<String>,
}

/// A registration named a node that is not in slurm.conf.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("node {0} is not in slurm.conf")]
pub struct UnknownNode(pub String);

impl Controller {
    /// Node daemons (root, SlurmUser, SlurmdUser) may send node RPCs.
    pub fn is_node_daemon(&self, uid: u32) -> bool {
        uid == 0 || uid == self.spec.limits.slurm_user_id || uid == self.spec.limits.slurmd_user_id
    }

    /// MESSAGE_NODE_REGISTRATION_STATUS.
    pub fn registration_rpc(
        &mut self,
        caller: &Caller,
        reg: &NodeRegistration,
        now: i64,
    ) -> Outcome {
        tracing::debug!(node = ?reg.node_name, status = reg.status, "node registration");
        if !self.is_node_daemon(caller.uid) {
            return Outcome::rc(SlurmRc::ESLURM_USER_ID_MISSING);
        }
        let report = NodeReport {
            node_name: reg.node_name.clone().unwrap_or_default(),
            cpus: reg.cpus,
            boards: reg.boards,
            sockets: reg.sockets,
            cores: reg.cores,
            threads: reg.threads,
            real_memory: reg.real_memory,
            tmp_disk: reg.tmp_disk,
            status: reg.status,
            job_ids: reg.steps.iter().map(|s| s.job_id).collect(),
            version: reg.version.clone(),
            arch: reg.arch.clone(),
            os: reg.os.clone(),
            boot_time: now - i64::from(reg.up_time),
            slurmd_start_time: reg.slurmd_start_time,
            gres: reg
                .gres_info
                .as_ref()
                .map(|g| g.records.clone())
                .unwrap_or_default(),
        };
        let effects = match self.node_registered(&report, now) {
            Ok(e) => e,
            Err(e) => {
                tracing::warn!("registration refused: {e}");
                return Outcome::rc(SlurmRc::ESLURM_INVALID_NODE_NAME);
            }
        };
        if let Some(i) = self.node_index(&report.node_name) {
            self.nodes[i].protocol_version = caller.version;
        }
        let mut effects = effects;
        effects.push(Effect::ScheduleSoon);
        let reply = if reg.flags & reg_flags::RESP != 0 {
            Message::NodeRegistrationResponse(NodeRegistrationResponse {
                tres_list: Some(self.cluster_tres()),
                node_name: None,
            })
        } else {
            Message::SlurmRc { rc: 0 }
        };
        Outcome {
            reply,
            durable: vec![super::Durable::Nodes],
            effects,
        }
    }

    /// The cluster's TRES list as upstream reports it to registering slurmds.
    pub fn cluster_tres(&self) -> Vec<TresRec> {
        let cpus: u64 = self.spec.nodes.iter().map(|n| u64::from(n.cpus)).sum();
        let mem: u64 = self.spec.nodes.iter().map(|n| n.real_memory).sum();
        let t = |id, count, name: Option<&str>, kind: &str| TresRec {
            alloc_secs: 0,
            count,
            id,
            name: name.map(str::to_string),
            tres_type: Some(kind.to_string()),
        };
        vec![
            t(1, cpus, None, "cpu"),
            t(2, mem, None, "mem"),
            t(3, 0, None, "energy"),
            t(4, self.spec.nodes.len() as u64, None, "node"),
            t(5, cpus, None, "billing"),
            t(6, 0, Some("disk"), "fs"),
            t(7, 0, None, "vmem"),
            t(8, 0, None, "pages"),
        ]
    }

    /// A registration from `report.node_name`. Returns the effects (jobs the
    /// node runs that we do not know, to be terminated) or an error if the
    /// node is not in slurm.conf.
    pub fn node_registered(
        &mut self,
        report: &NodeReport,
        now: i64,
    ) -> Result<Vec<Effect>, UnknownNode> {
        let i = self
            .node_index(&report.node_name)
            .ok_or_else(|| UnknownNode(report.node_name.clone()))?;
        let spec = self.spec.nodes[i].clone();
        let mut reasons: Vec<String> = Vec::new();
        if !self.spec.limits.config_overrides {
            let reported_threads =
                u32::from(report.sockets) * u32::from(report.cores) * u32::from(report.threads);
            let configured_threads = u32::from(spec.sockets)
                * u32::from(spec.cores_per_socket)
                * u32::from(spec.threads_per_core);
            if reported_threads < configured_threads {
                reasons.push("Low socket*core*thread count".into());
            }
            if report.cpus < spec.cpus {
                reasons.push("Low CPUs".into());
            }
            if spec.real_memory > 0 && report.real_memory < spec.real_memory {
                reasons.push(format!(
                    "Low RealMemory (reported:{} < {:.2}% of configured:{})",
                    report.real_memory, 100.0, spec.real_memory
                ));
            }
            if report.tmp_disk < spec.tmp_disk {
                reasons.push("Low TmpDisk".into());
            }
        }
        let node = &mut self.nodes[i];
        node.registered = true;
        node.version = report.version.clone();
        node.arch = report.arch.clone();
        node.os = report.os.clone();
        node.boot_time = report.boot_time;
        node.slurmd_start_time = report.slurmd_start_time;
        node.gres_reported = report.gres.clone();
        node.last_response = now;
        node.state &= !flag::NO_RESPOND;
        let flags = node.state & !flag::BASE_MASK;
        if !reasons.is_empty() {
            // Invalid registration: drain with the reasons, as upstream's
            // drain_nodes() does (unless already down).
            node.state |= flag::INVALID_REG;
            if node.base() != base::DOWN {
                node.state |= flag::DRAIN;
                node.reason = Some(reasons.join(", "));
                node.reason_uid = self.spec.limits.slurm_user_id;
                node.reason_time = now;
            }
        } else if report.status == SlurmRc::ESLURMD_PROLOG_FAILED.0 as u32
            || report.status == SlurmRc::ESLURMD_SETUP_ENVIRONMENT_ERROR.0 as u32
        {
            if node.state & (flag::DRAIN | flag::FAIL) == 0 {
                let reason = if report.status == SlurmRc::ESLURMD_PROLOG_FAILED.0 as u32 {
                    "Prolog error"
                } else {
                    "Job env setup error"
                };
                tracing::error!(node = %report.node_name, "Prolog or job env setup failure on node, draining it");
                node.state |= flag::DRAIN;
                node.reason = Some(reason.into());
                node.reason_uid = self.spec.limits.slurm_user_id;
                node.reason_time = now;
            }
        } else {
            node.state &= !flag::INVALID_REG;
            // What we allocated decides; jobs the node reports that we do not
            // know are orphans we abort below.
            let busy = node.alloc_cpus > 0;
            if node.base() == base::ALLOCATED && !busy {
                node.state = (node.state & !flag::BASE_MASK) | base::IDLE;
            }
            match node.base() {
                base::UNKNOWN | base::FUTURE => {
                    node.state = (flags & !flag::INVALID_REG)
                        | if busy { base::ALLOCATED } else { base::IDLE };
                    if !busy {
                        node.last_busy = now;
                    }
                }
                base::DOWN => {
                    let not_responding_only = node.reason.as_deref() == Some("Not responding");
                    if self.spec.limits.ret2service == 2
                        || (self.spec.limits.ret2service == 1 && not_responding_only)
                    {
                        node.state = (flags & !flag::INVALID_REG)
                            | if busy { base::ALLOCATED } else { base::IDLE };
                        if node.state & flag::DRAIN == 0 {
                            node.reason = None;
                            node.reason_time = 0;
                            node.reason_uid = wire::pack::NO_VAL;
                        }
                    }
                }
                _ => {}
            }
        }
        self.last_node_update = now;
        // Jobs the node runs that we know nothing about are orphans: kill them.
        let mut effects = Vec::new();
        for &job_id in &report.job_ids {
            let known_here = self.jobs.get(&job_id).is_some_and(|j| {
                j.alloc.as_ref().is_some_and(|a| a.nodes.contains(&i))
                    && !j.base_state().is_finished()
            });
            if !known_here {
                effects.push(Effect::AbortJob { job_id, node: i });
            }
        }
        Ok(effects)
    }

    /// A ping answered (or not) by node `i`.
    pub fn node_ping(&mut self, i: usize, ok: bool, now: i64) {
        let Some(node) = self.nodes.get_mut(i) else {
            return;
        };
        if ok {
            node.last_response = now;
            if node.state & flag::NO_RESPOND != 0 {
                node.state &= !flag::NO_RESPOND;
                self.last_node_update = now;
            }
        } else if node.state & flag::NO_RESPOND == 0 {
            node.state |= flag::NO_RESPOND;
            self.last_node_update = now;
        }
    }

    /// At the start of a ping cycle: marks nodes DOWN ("Not responding")
    /// whose last answer is older than the previous cycle's start minus
    /// SlurmdTimeout, as upstream's `ping_nodes` (so a node gets up to one
    /// ping interval beyond SlurmdTimeout), and ends or requeues their
    /// jobs. Returns job ids changed.
    pub fn check_node_timeouts(&mut self, now: i64) -> Vec<u32> {
        let timeout = i64::from(self.spec.limits.slurmd_timeout);
        let previous_cycle = std::mem::replace(&mut self.last_ping_cycle, now);
        if timeout == 0 || previous_cycle == 0 {
            return Vec::new();
        }
        let dead_before = previous_cycle - timeout;
        let mut down = Vec::new();
        for (i, node) in self.nodes.iter_mut().enumerate() {
            if !node.registered || node.base() == base::DOWN {
                continue;
            }
            if node.last_response != 0 && node.last_response <= dead_before {
                node.state = (node.state & !flag::BASE_MASK) | base::DOWN;
                if node.reason.is_none() {
                    node.reason = Some("Not responding".into());
                    node.reason_uid = self.spec.limits.slurm_user_id;
                    node.reason_time = now;
                }
                down.push(i);
            }
        }
        if down.is_empty() {
            return Vec::new();
        }
        self.last_node_update = now;
        let victims: Vec<u32> = self
            .jobs
            .values()
            .filter(|j| j.base_state() == JobState::Running)
            .filter(|j| {
                j.alloc
                    .as_ref()
                    .is_some_and(|a| a.nodes.iter().any(|n| down.contains(n)))
            })
            .map(|j| j.job_id)
            .collect();
        for &id in &victims {
            self.node_fail_job(id, now);
        }
        victims
    }

    /// A job lost a node: requeue it when allowed, else NODE_FAIL.
    fn node_fail_job(&mut self, job_id: u32, now: i64) {
        let requeue_default = self.spec.limits.job_requeue;
        let Some(job) = self.jobs.get_mut(&job_id) else {
            return;
        };
        let requeue = match job.desc.requeue {
            wire::pack::NO_VAL16 => requeue_default,
            v => v != 0,
        };
        job.end_time = now;
        if requeue {
            job.state = JobState::Pending as u32 | state_flags::REQUEUE;
            job.restart_cnt = job.restart_cnt.saturating_add(1);
            // Upstream holds a requeued job back until every credential of
            // its previous run has expired (lifetime 120 s, plus one): that
            // becomes its (future) eligible time.
            job.desc.begin_time = now + 121;
            job.eligible_time = now + 121;
            job.reason = JobReason::WAIT_TIME;
            job.state_desc = None;
        } else {
            job.state = JobState::NodeFail as u32;
            job.reason = JobReason::FAIL_DOWN_NODE;
            job.exit_code = 0;
        }
        self.release_job_resources(job_id);
        if let Some(job) = self.jobs.get_mut(&job_id) {
            if requeue {
                job.state = JobState::Pending as u32;
                job.start_time = 0;
                job.end_time = 0;
                job.alloc = None;
            }
        }
        self.last_job_update = now;
    }
}
