//! The controller's state machine: jobs, nodes and partitions, with no
//! sockets and no clock of its own. The server hands it authenticated
//! requests and the current time; it answers with the reply to send and the
//! state records that must be durable before that reply goes out.

pub mod alloc;
pub mod control;
pub mod desc;
pub mod features;
pub mod gres;
pub mod interactive;
pub mod job;
pub mod launch;
pub mod mail;
pub mod node;
pub mod nodes;
pub mod sched;
pub mod select;
pub mod spec;
pub mod step;
pub mod submit;
pub mod text;
pub mod update;
pub mod view;
use view::ListOrder;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_alloc;
#[cfg(test)]
mod tests_gres;
#[cfg(test)]
mod tests_step;
#[cfg(test)]
mod tests_submit;
#[cfg(test)]
mod tests_update;

use std::collections::BTreeMap;

use wire::errno::SlurmRc;
use wire::job_reason::JobReason;
use wire::msg::build_info::BuildInfo;
use wire::msg::Message;
use wire::version::ProtocolVersion;

pub use job::{Job, JobState};
pub use node::NodeRuntime;
pub use spec::{ClusterSpec, Limits, NodeSpec, PartitionSpec};

/// Upstream's TOP_PRIORITY: priority/basic counts down from here.
pub const TOP_PRIORITY: u32 = 0xffff_0000;

/// Who is asking: taken from the verified MUNGE credential only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// Authenticated uid.
    pub uid: u32,
    /// Authenticated gid.
    pub gid: u32,
    /// The protocol version the request came in with (replies use it).
    pub version: ProtocolVersion,
    /// Host named in the credential (upstream's `auth_g_get_host`).
    pub host: Option<String>,
    /// Address the request came from (where srun and salloc listen).
    pub peer: Option<std::net::IpAddr>,
}

/// What has to reach stable storage before the reply is sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Durable {
    /// A new job's batch script and environment (kept on disk only).
    Batch(Box<desc::BatchFiles>),
    /// Write the current record of this job (it was created or changed).
    Job(u32),
    /// This job record is gone.
    JobRemoved(u32),
    /// Node states or reasons changed.
    Nodes,
    /// Partition settings changed.
    Partitions,
}

/// Side effects for the server to carry out after replying.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// REQUEST_SHUTDOWN was accepted.
    Shutdown,
    /// REQUEST_RECONFIGURE was accepted.
    Reconfigure,
    /// Something changed that the scheduler should look at soon.
    ScheduleSoon,
    /// Send REQUEST_BATCH_JOB_LAUNCH for this job to its batch host.
    LaunchBatch { job_id: u32 },
    /// Tell the job's nodes to stop it (terminate / time limit).
    TerminateJob { job_id: u32, kind: alloc::StopKind },
    /// Deliver a signal to a running job (scancel --signal/--batch/--full,
    /// `--signal` warnings). `flags` are the `KILL_*` bits: with
    /// `KILL_JOB_BATCH` only the batch host's batch step is signalled,
    /// otherwise every node of the job (upstream's `_signal_job`). Several
    /// signals go out in order (a warning is SIGCONT then its signal).
    SignalJob {
        job_id: u32,
        signals: Vec<u16>,
        flags: u16,
    },
    /// Stop (or continue) a job's steps on all its nodes
    /// (REQUEST_SUSPEND_INT; `op` is a `suspend_op`).
    SuspendJob { job_id: u32, op: u16 },
    /// Kill a job a node runs that we do not know (REQUEST_ABORT_JOB).
    AbortJob { job_id: u32, node: usize },
    /// Run PrologSlurmctld for an allocated job, then report back with
    /// [`Controller::prolog_slurmctld_done`] (launch waits for it).
    RunPrologSlurmctld {
        job_id: u32,
        env: Vec<(String, String)>,
    },
    /// Tell the srun/salloc of a job (their listening ports) something.
    NotifySrun {
        job_id: u32,
        targets: Vec<(String, u16)>,
        notice: interactive::SrunNotice,
    },
    /// Signal one step's tasks on its nodes (node-table indices), then
    /// tell its srun (if given) that the step is over.
    SignalStep {
        job_id: u32,
        step_id: u32,
        signal: u16,
        nodes: Vec<usize>,
        srun: Option<(String, u16)>,
    },
    /// A step ran past its time limit: REQUEST_KILL_TIMELIMIT for it to
    /// its nodes (node-table indices).
    StepTimeLimit {
        job_id: u32,
        step_id: u32,
        nodes: Vec<usize>,
    },
    /// Run MailProg `-s SUBJECT USER` with `env` (a `--mail-type` notice).
    Mail {
        job_id: u32,
        user: String,
        subject: String,
        env: Vec<(String, String)>,
    },
    /// Run EpilogSlurmctld for a job that ended (nothing waits for it).
    RunEpilogSlurmctld {
        job_id: u32,
        env: Vec<(String, String)>,
    },
}

/// The outcome of one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The reply body.
    pub reply: Message,
    /// Records to persist before replying.
    pub durable: Vec<Durable>,
    /// Follow-up actions.
    pub effects: Vec<Effect>,
}

impl Outcome {
    pub(crate) fn reply(reply: Message) -> Self {
        Outcome {
            reply,
            durable: Vec::new(),
            effects: Vec::new(),
        }
    }
    pub(crate) fn rc(rc: SlurmRc) -> Self {
        Outcome::reply(Message::SlurmRc { rc: rc.0 })
    }
}

/// Looks users and groups up (NSS in the daemon, a table in tests).
pub trait UserDirectory: Send + Sync {
    /// Login name of `uid`.
    fn user_name(&self, uid: u32) -> Option<String>;
    /// Whether `uid` is a member of group `name` (for AllowGroups).
    fn in_group(&self, uid: u32, group: &str) -> bool;
}

/// A fixed table, for tests.
#[derive(Debug, Default, Clone)]
pub struct StaticUsers(pub Vec<(u32, String, Vec<String>)>);

impl UserDirectory for StaticUsers {
    fn user_name(&self, uid: u32) -> Option<String> {
        self.0
            .iter()
            .find(|(u, _, _)| *u == uid)
            .map(|(_, n, _)| n.clone())
    }
    fn in_group(&self, uid: u32, group: &str) -> bool {
        self.0
            .iter()
            .any(|(u, _, g)| *u == uid && g.iter().any(|x| x == group))
    }
}

/// The controller's state.
pub struct Controller {
    /// Static description (partitions may be changed by scontrol update).
    pub spec: ClusterSpec,
    /// Node runtime state, same order as `spec.nodes`.
    pub nodes: Vec<NodeRuntime>,
    /// Jobs by id. Boxed: a B-tree node holds eleven values and is often
    /// half full, so inline records would cost twice their size.
    pub jobs: BTreeMap<u32, Box<Job>>,
    /// Strings shared by job records.
    pub strings: text::Interner,
    /// Next job id to hand out.
    pub next_job_id: u32,
    /// priority/basic's running minimum.
    pub lowest_prio: u32,
    /// Job records counted against MaxJobCount.
    pub job_count: u32,
    /// Change stamps for the not-modified protocol.
    pub last_job_update: i64,
    /// See `last_job_update`.
    pub last_node_update: i64,
    /// Start of the previous ping cycle (0 before the first).
    pub last_ping_cycle: i64,
    /// See `last_job_update`.
    pub last_part_update: i64,
    /// When the configuration was (re)read.
    pub last_conf_update: i64,
    /// When the controller started.
    pub boot_time: i64,
    /// When backfill last ran (0 = never).
    pub last_backfill: i64,
    /// Nodes the last start estimate planned for each pending job, shown as
    /// SchedNodeList when backfill made the estimate (not kept across a
    /// restart: the next estimate rebuilds it).
    pub planned_nodes: std::collections::HashMap<u32, String>,
    /// The configuration as `scontrol show config` reports it.
    pub build_info: Option<Box<BuildInfo>>,
    users: Box<dyn UserDirectory>,
}

impl Controller {
    /// A fresh controller: no jobs, every node unregistered.
    pub fn new(spec: ClusterSpec, users: Box<dyn UserDirectory>, now: i64) -> Self {
        let nodes = spec
            .nodes
            .iter()
            .map(|_| NodeRuntime::unregistered())
            .collect();
        let next_job_id = spec.limits.first_job_id.max(1);
        Controller {
            spec,
            nodes,
            jobs: BTreeMap::new(),
            strings: text::Interner::default(),
            next_job_id,
            lowest_prio: TOP_PRIORITY,
            job_count: 0,
            last_job_update: now,
            last_node_update: now,
            last_ping_cycle: 0,
            last_part_update: now,
            last_conf_update: now,
            boot_time: now,
            last_backfill: 0,
            planned_nodes: std::collections::HashMap::new(),
            build_info: None,
            users,
        }
    }

    /// Root and SlurmUser may do anything (`validate_slurm_user`). Operators
    /// and admins from the accounting database are not known yet.
    pub fn is_privileged(&self, uid: u32) -> bool {
        uid == 0 || uid == self.spec.limits.slurm_user_id
    }

    /// Login name for a uid, or its number.
    pub fn user_name(&self, uid: u32) -> String {
        self.users.user_name(uid).unwrap_or_else(|| uid.to_string())
    }

    /// Membership test for AllowGroups.
    pub fn user_in_group(&self, uid: u32, group: &str) -> bool {
        self.users.in_group(uid, group)
    }

    /// Index of a partition by name.
    pub fn partition_index(&self, name: &str) -> Option<usize> {
        self.spec.partitions.iter().position(|p| p.name == name)
    }

    /// Index of the default partition.
    pub fn default_partition(&self) -> Option<usize> {
        self.spec.partitions.iter().position(|p| p.default)
    }

    /// Index of a node by name.
    pub fn node_index(&self, name: &str) -> Option<usize> {
        self.spec.nodes.iter().position(|n| n.name == name)
    }

    /// Restores a job from the state store (no validation: it was accepted
    /// once), replacing an earlier record of it. Node resources are taken
    /// once replay is over ([`Controller::restore_allocations`]), so a job
    /// recorded several times holds them once.
    pub fn restore_job(&mut self, mut job: Job) {
        job.part_index = self.partition_index(&job.partition).unwrap_or(0);
        if job.priority != 0 && job.is_pending() {
            self.lowest_prio = self.lowest_prio.min(job.priority);
        }
        self.next_job_id = self.next_job_id.max(job.job_id.saturating_add(1));
        self.job_count += Self::records_counted(&job);
        if let Some(old) = self.jobs.insert(job.job_id, Box::new(job)) {
            self.job_count = self.job_count.saturating_sub(Self::records_counted(&old));
        }
    }

    /// Job records a restored job counts for against MaxJobCount.
    fn records_counted(job: &Job) -> u32 {
        if job.base_state().is_finished() {
            1
        } else {
            job.record_count()
        }
    }

    /// Forgets a restored job (its removal was journalled).
    pub fn restore_removal(&mut self, job_id: u32) {
        if let Some(old) = self.jobs.remove(&job_id) {
            self.job_count = self.job_count.saturating_sub(Self::records_counted(&old));
        }
    }

    /// After replay: running and completing jobs hold their resources again.
    pub fn restore_allocations(&mut self) {
        for job in self.jobs.values_mut() {
            // A running or completing job holds its resources again.
            if let Some(a) = job.alloc.as_mut().filter(|a| !a.released) {
                if a.nodes.iter().all(|&i| i < self.nodes.len()) && a.cpus.len() == a.nodes.len() {
                    for (k, &i) in a.nodes.iter().enumerate() {
                        // Records from before GRES indices were kept: pick them
                        // now, before the node's other jobs can take them.
                        for g in a.gres.iter_mut() {
                            let Some(on) = g.nodes.get_mut(k).filter(|on| on.indices.is_none())
                            else {
                                continue;
                            };
                            let want = spec::GresItem {
                                name: g.name.clone(),
                                kind: g.kind.clone(),
                                count: on.count,
                            };
                            if let Some(p) =
                                gres::pick(&self.spec.nodes[i], &self.nodes[i].alloc_gres, &[want])
                            {
                                *on = p.into_iter().next().unwrap_or_default();
                            }
                        }
                        let held: Vec<gres::HeldGres> =
                            alloc::held_gres(job.job_id, a, k).collect();
                        let node = &mut self.nodes[i];
                        node.alloc_cpus = node.alloc_cpus.saturating_add(a.cpus[k]);
                        node.alloc_mem = node
                            .alloc_mem
                            .saturating_add(a.mem_on(k, job.desc.pn_min_memory));
                        node.alloc_gres.extend(held);
                        if let Some(c) = a.cores.get(k) {
                            node.used_cores.extend(c.iter().copied());
                        }
                    }
                } else {
                    job.alloc = None;
                }
            }
        }
    }

    /// Handles one authenticated request at time `now`.
    pub fn handle(&mut self, caller: Caller, msg: Message, now: i64) -> Outcome {
        match msg {
            Message::Ping => Outcome::rc(SlurmRc::SUCCESS),
            Message::FedInfoRequest => Outcome::reply(Message::FedInfoNone),
            Message::BuildInfoRequest { last_update } => self.build_info_reply(last_update, now),
            Message::NodeInfoRequest {
                last_update,
                show_flags,
            } => {
                if not_modified(last_update, self.last_node_update) {
                    return Outcome::rc(SlurmRc::SLURM_NO_CHANGE_IN_DATA);
                }
                Outcome::reply(Message::NodeInfo(view::node_info(
                    self, caller, show_flags, None, now,
                )))
            }
            Message::NodeInfoSingleRequest {
                node_name,
                show_flags,
            } => Outcome::reply(Message::NodeInfo(view::node_info(
                self,
                caller,
                show_flags,
                node_name.as_deref(),
                now,
            ))),
            Message::PartitionInfoRequest {
                last_update,
                show_flags,
            } => {
                if not_modified(last_update, self.last_part_update) {
                    return Outcome::rc(SlurmRc::SLURM_NO_CHANGE_IN_DATA);
                }
                Outcome::reply(Message::PartitionInfo(view::partition_info(
                    self, caller, show_flags, now,
                )))
            }
            Message::JobInfoRequest {
                last_update,
                show_flags,
                job_ids,
            } => {
                if not_modified(last_update, self.last_job_update) {
                    return Outcome::rc(SlurmRc::SLURM_NO_CHANGE_IN_DATA);
                }
                let filter = job_ids.filter(|ids| !ids.is_empty());
                let (body, _) =
                    view::job_info(self, caller, show_flags, now, ListOrder::JobList, |j| {
                        filter.as_ref().is_none_or(|ids| ids.contains(&j.job_id))
                    });
                Outcome::reply(Message::JobInfoPacked(body))
            }
            Message::JobInfoSingleRequest { job_id, show_flags } => {
                let order = ListOrder::OneJob(job_id);
                let (body, count) = view::job_info(self, caller, show_flags, now, order, |_| true);
                if count == 0 {
                    return Outcome::rc(SlurmRc::ESLURM_INVALID_JOB_ID);
                }
                Outcome::reply(Message::JobInfoPacked(body))
            }
            Message::JobUserInfoRequest {
                user_id,
                show_flags,
            } => {
                let (body, _) =
                    view::job_info(self, caller, show_flags, now, ListOrder::JobList, |j| {
                        j.user_id == user_id
                    });
                Outcome::reply(Message::JobInfoPacked(body))
            }
            Message::JobStepInfoRequest {
                last_update,
                step_id,
                ..
            } => {
                if not_modified(last_update, self.last_job_update) {
                    return Outcome::rc(SlurmRc::SLURM_NO_CHANGE_IN_DATA);
                }
                let steps = self.step_infos(&caller, &step_id, now);
                if steps.is_empty() && step_id.job_id != wire::pack::NO_VAL {
                    if let Some(rc) = self.step_lookup_error(&caller, &step_id) {
                        return Outcome::rc(rc);
                    }
                }
                Outcome::reply(Message::JobStepInfo {
                    last_update: now,
                    steps,
                })
            }
            Message::JobStepCreate(req) => self.step_create(&caller, *req, now),
            Message::JobAllocationInfoRequest { job_id, .. } => {
                match self.allocation_info(&caller, job_id) {
                    Ok(r) => Outcome::reply(Message::JobAllocationInfo(Box::new(r))),
                    Err(rc) => Outcome::rc(rc),
                }
            }
            Message::HetJobAllocInfoRequest { job_id, .. } => {
                match self.allocation_info(&caller, job_id) {
                    Ok(r) => Outcome::reply(Message::HetJobAllocation(vec![r])),
                    Err(rc) => Outcome::rc(rc),
                }
            }
            Message::JobReadyRequest { job_id, .. } => match self.job_ready(job_id) {
                Ok(rc) => Outcome::reply(Message::JobReadyResponse { rc }),
                Err(rc) => Outcome::rc(rc),
            },
            Message::CompleteJobAllocation { job_id, job_rc } => {
                self.complete_allocation(&caller, job_id, job_rc, now)
            }
            Message::ReservationInfoRequest { last_update } => {
                if not_modified(last_update, self.boot_time) {
                    return Outcome::rc(SlurmRc::SLURM_NO_CHANGE_IN_DATA);
                }
                Outcome::reply(Message::ReservationInfo {
                    last_update: now,
                    reservations: Vec::new(),
                })
            }
            Message::LicenseInfoRequest { last_update, .. } => {
                if not_modified(last_update, self.last_conf_update) {
                    return Outcome::rc(SlurmRc::SLURM_NO_CHANGE_IN_DATA);
                }
                Outcome::reply(Message::LicenseInfo {
                    last_update: now,
                    licenses: view::licenses(self),
                })
            }
            Message::SubmitBatchJob(mut desc) => {
                // Upstream names the submit host after the credential, not
                // after what the client claims (`_set_hostname`).
                if let Some(h) = &caller.host {
                    desc.alloc_node = Some(h.clone());
                }
                submit::submit_batch(self, caller, *desc, now)
            }
            Message::JobWillRun(mut desc) => {
                if let Some(h) = &caller.host {
                    desc.alloc_node = Some(h.clone());
                }
                submit::will_run(self, caller, *desc, now)
            }
            Message::KillJob(k) => update::kill_job(self, caller, &k, now),
            Message::CancelJobStep(k) => update::cancel_step(self, caller, &k, now),
            Message::UpdateJob(desc) => update::update_job(self, caller, &desc, now),
            Message::JobRequeue {
                job_id,
                job_id_str,
                flags,
            } => update::requeue(self, caller, job_id, job_id_str.as_deref(), flags, now),
            Message::Suspend(m) => control::suspend(self, caller, &m, now),
            Message::TopJob(m) => control::top_job(self, caller, &m, now),
            Message::UpdateNode(u) => update::update_node(self, caller, &u, now),
            Message::UpdatePartition(u) => update::update_partition(self, caller, &u, now),
            Message::Reconfigure => {
                if !self.is_privileged(caller.uid) {
                    return Outcome::rc(SlurmRc::ESLURM_USER_ID_MISSING);
                }
                Outcome {
                    reply: Message::SlurmRc { rc: 0 },
                    durable: Vec::new(),
                    effects: vec![Effect::Reconfigure],
                }
            }
            Message::Shutdown { .. } => {
                if !self.is_privileged(caller.uid) {
                    return Outcome::rc(SlurmRc::ESLURM_USER_ID_MISSING);
                }
                Outcome {
                    reply: Message::SlurmRc { rc: 0 },
                    durable: Vec::new(),
                    effects: vec![Effect::Shutdown],
                }
            }
            Message::NodeRegistration(reg) => self.registration_rpc(&caller, &reg, now),
            Message::CompleteBatchScript(m) => {
                if !self.is_node_daemon(caller.uid) {
                    return Outcome::rc(SlurmRc::ESLURM_USER_ID_MISSING);
                }
                let effects = self.batch_complete(m.job_id, m.job_rc, m.slurm_rc, now);
                if !self.jobs.contains_key(&m.job_id) {
                    return Outcome::rc(SlurmRc::ESLURM_INVALID_JOB_ID);
                }
                let mut effects = effects;
                effects.push(Effect::ScheduleSoon);
                Outcome {
                    reply: Message::SlurmRc { rc: 0 },
                    durable: vec![Durable::Job(m.job_id)],
                    effects,
                }
            }
            Message::EpilogComplete(m) => {
                if !self.is_node_daemon(caller.uid) {
                    return Outcome::rc(SlurmRc::ESLURM_USER_ID_MISSING);
                }
                let Some(i) = m.node_name.as_deref().and_then(|n| self.node_index(n)) else {
                    return Outcome::rc(SlurmRc::ESLURM_INVALID_NODE_NAME);
                };
                self.epilog_complete(m.job_id, i, now);
                if m.return_code != 0 {
                    // A failing epilog drains the node, as upstream does.
                    let node = &mut self.nodes[i];
                    node.state |= node::flag::DRAIN;
                    node.reason = Some("Epilog error".into());
                    node.reason_time = now;
                    node.reason_uid = self.spec.limits.slurm_user_id;
                    self.last_node_update = now;
                }
                Outcome {
                    reply: Message::SlurmRc { rc: 0 },
                    durable: vec![Durable::Job(m.job_id), Durable::Nodes],
                    effects: vec![Effect::ScheduleSoon],
                }
            }
            Message::StepComplete(m) => {
                if !self.is_node_daemon(caller.uid) {
                    return Outcome::rc(SlurmRc::ESLURM_USER_ID_MISSING);
                }
                self.step_complete(&m, now)
            }
            Message::CompleteProlog(_) => {
                if !self.is_node_daemon(caller.uid) {
                    return Outcome::rc(SlurmRc::ESLURM_USER_ID_MISSING);
                }
                Outcome::rc(SlurmRc::SUCCESS)
            }
            Message::ResourceAllocation(desc) => interactive::allocate(self, caller, *desc, now),
            // Replies and anything we do not serve.
            _ => Outcome::rc(SlurmRc::SLURM_UNEXPECTED_MSG_ERROR),
        }
    }

    fn build_info_reply(&self, last_update: i64, now: i64) -> Outcome {
        if not_modified(last_update, self.last_conf_update) {
            return Outcome::rc(SlurmRc::SLURM_NO_CHANGE_IN_DATA);
        }
        let Some(base) = &self.build_info else {
            return Outcome::rc(SlurmRc::ESLURM_NOT_SUPPORTED);
        };
        let mut info = base.clone();
        info.last_update = now;
        info.boot_time = self.boot_time;
        info.next_job_id = self.next_job_id;
        Outcome::reply(Message::BuildInfo(info))
    }

    /// Applies a re-read slurm.conf. Nodes keep their runtime state; a
    /// changed node list needs a restart (jobs and bitmaps index it), as
    /// upstream also requires for most node changes.
    pub fn reconfigure(
        &mut self,
        spec: ClusterSpec,
        build_info: BuildInfo,
        now: i64,
    ) -> Result<(), String> {
        let old: Vec<&str> = self.spec.nodes.iter().map(|n| n.name.as_str()).collect();
        let new: Vec<&str> = spec.nodes.iter().map(|n| n.name.as_str()).collect();
        if old != new {
            return Err("the node list changed; restart slurmctld-rs to apply it".into());
        }
        for job in self.jobs.values_mut() {
            match spec
                .partitions
                .iter()
                .position(|p| *p.name == *job.partition)
            {
                Some(i) => job.part_index = i,
                None => {
                    return Err(format!(
                        "partition {} has jobs and is gone from slurm.conf",
                        job.partition
                    ))
                }
            }
        }
        self.spec = spec;
        self.build_info = Some(Box::new(build_info));
        self.last_conf_update = now;
        self.last_part_update = now;
        self.last_node_update = now;
        Ok(())
    }

    /// Purges finished jobs older than MinJobAge; returns the ids removed.
    pub fn purge_old_jobs(&mut self, now: i64) -> Vec<u32> {
        let age = i64::from(self.spec.limits.min_job_age);
        let old: Vec<u32> = self
            .jobs
            .values()
            .filter(|j| j.base_state().is_finished() && j.end_time != 0 && now - j.end_time >= age)
            .map(|j| j.job_id)
            .collect();
        for id in &old {
            if self.jobs.remove(id).is_some() {
                self.job_count = self.job_count.saturating_sub(1);
            }
        }
        if !old.is_empty() {
            self.last_job_update = now;
        }
        // Drop strings only purged (or refused) jobs used; cheap next to the
        // scan above, and only when something can have become unused.
        if !old.is_empty() || self.strings.len() > 4 * self.jobs.len() + 1024 {
            self.strings.sweep();
        }
        old
    }

    /// Sets a job's pending reason, clearing any text that went with the old one.
    pub fn set_reason(job: &mut Job, reason: JobReason, desc: Option<String>) {
        job.reason = reason;
        job.state_desc = desc;
    }
}

/// Upstream's not-modified test: `(last_update - 1) >= changed`.
fn not_modified(client_last_update: i64, changed: i64) -> bool {
    client_last_update != 0 && client_last_update > changed
}
