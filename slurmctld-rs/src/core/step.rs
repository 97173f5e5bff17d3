//! Job steps: what `srun` creates inside an allocation (upstream's
//! `step_mgr.c`). A step takes nodes and CPUs of its job, gets a task layout
//! and a credential the node daemons check, and ends when every node of it
//! has reported REQUEST_STEP_COMPLETE.
//!
//! The batch script and extern steps live on the nodes only: the
//! controller keeps the steps srun asks for.

use wire::errno::SlurmRc;
use wire::msg::common::{SelectJobInfo, StepId};
use wire::msg::cred::SignedCredential;
use wire::msg::records::JobStepInfo;
use wire::msg::srun::{
    JobStepCreateRequest, JobStepCreateResponse, ResourceAllocationResponse, StepLayout,
    SwitchJobInfo,
};
use wire::pack::{DecodeResult, Packer, Unpacker, INFINITE, NO_VAL, NO_VAL16};
use wire::version::ProtocolVersion;

use super::alloc::Allocation;
use super::job::{Job, JobState};
use super::launch::{run_length, Passwd};
use super::{Caller, Controller, Durable, Outcome};

/// `MEM_PER_CPU`: the flag bit of a per-CPU memory request.
const MEM_PER_CPU: u64 = 0x8000_0000_0000_0000;

/// `SSF_*` step flags (slurm.h `step_spec_flags_t`).
pub mod ssf {
    /// CPUs not shared with other steps (`srun --exclusive`).
    pub const EXCLUSIVE: u32 = 1 << 0;
    /// Don't kill the step on node failure.
    pub const NO_KILL: u32 = 1 << 1;
    /// More tasks than CPUs allowed (`--overcommit`).
    pub const OVERCOMMIT: u32 = 1 << 2;
    /// All of the job's CPUs on each node (srun without `--exact`).
    pub const WHOLE: u32 = 1 << 3;
    /// The interactive step of `salloc` (LaunchParameters=use_interactive_step).
    pub const INTERACTIVE: u32 = 1 << 4;
    /// `--overlap`: shares CPUs with every other step.
    pub const OVERLAP_FORCE: u32 = 1 << 6;
}

/// `SLURM_DIST_*` values the layout needs.
pub mod dist {
    /// Tasks handed to nodes round robin.
    pub const CYCLIC: u32 = 0x0001;
    /// Consecutive tasks on a node.
    pub const BLOCK: u32 = 0x0002;
    /// Tasks placed by a host list (`-m arbitrary`).
    pub const ARBITRARY: u32 = 0x0003;
    /// Blocks of `plane_size` tasks.
    pub const PLANE: u32 = 0x0004;
    /// srun left it to the controller.
    pub const UNKNOWN: u32 = 0x2000;
    /// The node-level part of a distribution.
    pub const NODE_MASK: u32 = 0xF00F;
    /// The distribution without its flags.
    pub const STATE_BASE: u32 = 0xFFFF;
}

/// `READY_*` bits of RESPONSE_JOB_READY.
pub mod ready {
    /// The job's nodes are up.
    pub const NODE_STATE: u32 = 1 << 0;
    /// The job runs.
    pub const JOB_STATE: u32 = 1 << 1;
    /// PrologSlurmctld is done.
    pub const PROLOG_STATE: u32 = 1 << 2;
}

/// One running step.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Step {
    /// Step id within the job.
    pub step_id: u32,
    /// `--job-name` of the step (the job's name by default).
    pub name: Option<String>,
    /// When it was created.
    pub start_time: i64,
    /// Minutes, or INFINITE.
    pub time_limit: u32,
    /// Positions in the job's allocation (not node-table indices).
    pub nodes: Vec<usize>,
    /// Global task ids on each of the step's nodes.
    pub tids: Vec<Vec<u32>>,
    /// CPUs held on each of the step's nodes.
    pub cpus: Vec<u16>,
    /// Cores held on each of the step's nodes (node-local numbers).
    pub cores: Vec<Vec<u32>>,
    /// Tasks in all.
    pub num_tasks: u32,
    /// CPUs asked for (`cpu_count` of the request).
    pub cpu_count: u32,
    /// CPUs per task as the layout used them.
    pub cpus_per_task: u16,
    /// `task_dist` as laid out.
    pub task_dist: u32,
    /// `SSF_*` flags.
    pub flags: u32,
    /// Host and port srun listens on, and its pid.
    pub srun_host: Option<String>,
    /// See `srun_host`.
    pub srun_port: u16,
    /// See `srun_host`.
    pub srun_pid: u32,
    /// The srun command line.
    pub submit_line: Option<String>,
    /// Highest return code reported so far (NO_VAL: none yet).
    pub exit_code: u32,
    /// Which of the step's nodes have reported completion.
    pub done: Vec<bool>,
    /// Its time limit was hit and its nodes told (not kept: after a
    /// restart they are told again).
    pub timed_out: bool,
}

impl Step {
    /// Whether this step's CPUs count against other steps.
    fn holds_cpus(&self) -> bool {
        self.flags & ssf::OVERLAP_FORCE == 0
    }

    /// Serialises it for the state store.
    pub fn pack(&self, p: &mut Packer) {
        p.u32(self.step_id);
        p.str(self.name.as_deref());
        p.time(self.start_time);
        p.u32(self.time_limit);
        p.u32_array(&self.nodes.iter().map(|&n| n as u32).collect::<Vec<_>>());
        p.u32(self.tids.len() as u32);
        self.tids.iter().for_each(|t| p.u32_array(t));
        p.u16_array(&self.cpus);
        p.u32(self.cores.len() as u32);
        self.cores.iter().for_each(|c| p.u32_array(c));
        p.u32(self.num_tasks);
        p.u32(self.cpu_count);
        p.u16(self.cpus_per_task);
        p.u32(self.task_dist);
        p.u32(self.flags);
        p.str(self.srun_host.as_deref());
        p.u16(self.srun_port);
        p.u32(self.srun_pid);
        p.str(self.submit_line.as_deref());
        p.u32(self.exit_code);
        p.u32_array(&self.done.iter().map(|&d| u32::from(d)).collect::<Vec<_>>());
    }

    /// Reads what [`Step::pack`] wrote.
    pub fn unpack(u: &mut Unpacker<'_>) -> DecodeResult<Step> {
        let step_id = u.u32("step.id")?;
        let name = u.str("step.name")?;
        let start_time = u.time("step.start")?;
        let time_limit = u.u32("step.time_limit")?;
        let nodes = u
            .u32_array("step.nodes")?
            .into_iter()
            .map(|n| n as usize)
            .collect();
        let n = u.count("step.tids", 4)?;
        let tids = (0..n)
            .map(|_| u.u32_array("step.tids"))
            .collect::<DecodeResult<_>>()?;
        let cpus = u.u16_array("step.cpus")?;
        let n = u.count("step.cores", 4)?;
        let cores = (0..n)
            .map(|_| u.u32_array("step.cores"))
            .collect::<DecodeResult<_>>()?;
        Ok(Step {
            step_id,
            name,
            start_time,
            time_limit,
            nodes,
            tids,
            cpus,
            cores,
            num_tasks: u.u32("step.num_tasks")?,
            cpu_count: u.u32("step.cpu_count")?,
            cpus_per_task: u.u16("step.cpus_per_task")?,
            task_dist: u.u32("step.task_dist")?,
            flags: u.u32("step.flags")?,
            srun_host: u.str("step.srun_host")?,
            srun_port: u.u16("step.srun_port")?,
            srun_pid: u.u32("step.srun_pid")?,
            submit_line: u.str("step.submit_line")?,
            exit_code: u.u32("step.exit_code")?,
            timed_out: false,
            done: u
                .u32_array("step.done")?
                .into_iter()
                .map(|d| d != 0)
                .collect(),
        })
    }
}

/// CPUs and cores the running steps of `job` hold on allocation position `k`.
fn used_on(job: &Job, k: usize) -> (u32, Vec<u32>) {
    let mut cpus = 0;
    let mut cores = Vec::new();
    for s in job.steps.iter().filter(|s| s.holds_cpus()) {
        if let Some(pos) = s.nodes.iter().position(|&n| n == k) {
            cpus += u32::from(s.cpus[pos]);
            cores.extend(s.cores.get(pos).into_iter().flatten().copied());
        }
    }
    (cpus, cores)
}

/// `_calc_cpus_per_task`: CPUs per task as srun's request implies them
/// (0: none implied; the layout then uses one).
fn cpus_per_task(req: &JobStepCreateRequest, alloc: &Allocation) -> u16 {
    if req.cpu_count == 0 || req.num_tasks == 0 || !req.cpu_count.is_multiple_of(req.num_tasks) {
        return 0;
    }
    let per = (req.cpu_count / req.num_tasks).max(1);
    let mut left = i64::from(req.num_tasks);
    for &c in &alloc.cpus {
        if per > u32::from(c) {
            return 0;
        }
        left -= i64::from(u32::from(c) / per);
    }
    if left > 0 {
        0
    } else {
        per as u16
    }
}

/// Tasks per node as upstream's block, cyclic and plane layouts place them
/// (`_task_layout_block` / `_cyclic` / `_plane`), then the global ids.
pub fn layout_tasks(task_cnt: u32, cpus: &[u32], task_dist: u32, plane: u16) -> Vec<Vec<u32>> {
    let n = cpus.len();
    if n == 0 {
        return Vec::new();
    }
    let base = task_dist & dist::STATE_BASE;
    if base == dist::PLANE && plane != 0 && plane != NO_VAL16 {
        return layout_plane(task_cnt, n, u32::from(plane));
    }
    let cyclic = task_dist & dist::NODE_MASK == dist::CYCLIC;
    let counts = spread(task_cnt, cpus, cyclic);
    let mut tids: Vec<Vec<u32>> = vec![Vec::new(); n];
    if cyclic {
        // Round robin over nodes that still take tasks.
        let mut next = 0;
        let mut placed = vec![0u32; n];
        while next < task_cnt {
            for i in 0..n {
                if placed[i] < counts[i] && next < task_cnt {
                    tids[i].push(next);
                    placed[i] += 1;
                    next += 1;
                }
            }
        }
    } else {
        let mut next = 0;
        for (i, &c) in counts.iter().enumerate() {
            tids[i] = (next..next + c).collect();
            next += c;
        }
    }
    tids
}

/// How many tasks each node gets: rounds over the nodes while they have
/// free CPUs, then over all nodes alike (oversubscription).
fn spread(task_cnt: u32, cpus: &[u32], cyclic: bool) -> Vec<u32> {
    let n = cpus.len();
    let mut counts = vec![0u32; n];
    let total: u32 = cpus.iter().sum();
    let mut extra_round = 0;
    if cyclic && total < task_cnt {
        extra_round = (task_cnt - total).div_ceil(n as u32);
    }
    let mut placed = 0;
    // Cyclic knows up front that it must oversubscribe; block finds out.
    let mut over = cyclic && total < task_cnt;
    let mut round = 0u32;
    while placed < task_cnt {
        let mut room = false;
        for i in 0..n {
            if placed >= task_cnt {
                break;
            }
            let fits = round < cpus[i] || (over && (!cyclic || round < cpus[i] + extra_round));
            if fits {
                counts[i] += 1;
                placed += 1;
                if round + 1 < cpus[i] {
                    room = true;
                }
            }
        }
        if !room {
            over = true;
        }
        round += 1;
    }
    counts
}

fn layout_plane(task_cnt: u32, n: usize, plane: u32) -> Vec<Vec<u32>> {
    let mut tids: Vec<Vec<u32>> = vec![Vec::new(); n];
    let mut next = 0;
    while next < task_cnt {
        for t in tids.iter_mut() {
            for _ in 0..plane {
                if next < task_cnt {
                    t.push(next);
                    next += 1;
                }
            }
        }
    }
    tids
}

impl Controller {
    /// Node names of the job's allocation, in allocation order.
    fn alloc_names(&self, alloc: &Allocation) -> Vec<String> {
        alloc
            .nodes
            .iter()
            .map(|&i| self.spec.nodes[i].name.clone())
            .collect()
    }

    /// `_pick_step_nodes`, simplified: the job's nodes in order, those the
    /// request names or does not exclude, each with the CPUs other steps
    /// leave, until the node and CPU counts are met.
    fn pick_step_nodes(
        &self,
        job: &Job,
        req: &JobStepCreateRequest,
    ) -> Result<Vec<(usize, u32)>, SlurmRc> {
        let alloc = job.alloc.as_ref().ok_or(SlurmRc::ESLURM_ALREADY_DONE)?;
        let names = self.alloc_names(alloc);
        let wanted = hostset(req.node_list.as_deref())?;
        let excluded = hostset(req.exc_nodes.as_deref())?;
        if let Some(w) = &wanted {
            if w.iter().any(|n| !names.contains(n)) {
                return Err(SlurmRc::ESLURM_REQUESTED_NODE_CONFIG_UNAVAILABLE);
            }
        }
        let min_nodes = match req.min_nodes {
            0 | NO_VAL => 1,
            n => n as usize,
        };
        let max_nodes = match req.max_nodes {
            0 | NO_VAL => usize::MAX,
            n => n as usize,
        }
        .max(min_nodes);
        let min_nodes = min_nodes.max(wanted.as_ref().map_or(0, Vec::len));
        if min_nodes > names.len() {
            return Err(SlurmRc::ESLURM_REQUESTED_NODE_CONFIG_UNAVAILABLE);
        }
        let need_cpus = if req.flags & ssf::OVERCOMMIT != 0 || req.cpu_count == NO_VAL {
            0
        } else {
            req.cpu_count
        };
        let mut picked = Vec::new();
        let mut busy = false;
        let mut cpus = 0;
        // --relative=N: the step starts at the job's N-th node.
        let first = match req.relative {
            NO_VAL16 => 0,
            r => usize::from(r),
        };
        if first >= names.len() {
            return Err(SlurmRc::ESLURM_REQUESTED_NODE_CONFIG_UNAVAILABLE);
        }
        if min_nodes > names.len() - first {
            return Err(SlurmRc::ESLURM_REQUESTED_NODE_CONFIG_UNAVAILABLE);
        }
        // Named nodes first, then the others in allocation order.
        let order = (first..names.len())
            .filter(|&k| wanted.as_ref().is_some_and(|w| w.contains(&names[k])))
            .chain(
                (first..names.len())
                    .filter(|&k| wanted.as_ref().is_none_or(|w| !w.contains(&names[k]))),
            );
        for k in order {
            let named = wanted.as_ref().is_some_and(|w| w.contains(&names[k]));
            if excluded.as_ref().is_some_and(|x| x.contains(&names[k])) {
                continue;
            }
            if picked.len() >= min_nodes && cpus >= need_cpus && !named {
                break;
            }
            if picked.len() >= max_nodes {
                break;
            }
            let usable = self.usable_cpus(job, alloc, k, req.flags);
            if usable == 0 {
                busy = true;
                if named {
                    return Err(SlurmRc::ESLURM_NODES_BUSY);
                }
                continue;
            }
            picked.push((k, usable));
            cpus += usable;
        }
        if picked.len() < min_nodes || cpus < need_cpus {
            let could = alloc.total_cpus() >= need_cpus && alloc.nodes.len() >= min_nodes;
            if busy && could {
                return Err(SlurmRc::ESLURM_NODES_BUSY);
            }
            return Err(if picked.len() >= min_nodes {
                SlurmRc::ESLURM_TOO_MANY_REQUESTED_CPUS
            } else {
                SlurmRc::ESLURM_REQUESTED_NODE_CONFIG_UNAVAILABLE
            });
        }
        // Named nodes are picked first but laid out in the job's node order.
        picked.sort_unstable_by_key(|&(k, _)| k);
        Ok(picked)
    }

    /// `-m arbitrary` (SLURM_HOSTFILE): task `i` runs on the `i`-th host of
    /// the request's list (`_task_layout_hostfile`).
    fn arbitrary_layout(
        &self,
        job: &Job,
        req: &JobStepCreateRequest,
        picked: &[(usize, u32)],
    ) -> Result<Vec<Vec<u32>>, SlurmRc> {
        let alloc = job.alloc.as_ref().ok_or(SlurmRc::ESLURM_ALREADY_DONE)?;
        let hosts = match req.node_list.as_deref() {
            Some(l) => wire::hostlist::expand(l).map_err(|_| SlurmRc::ESLURM_INVALID_NODE_NAME)?,
            None => return Err(SlurmRc::ESLURM_TASKDIST_ARBITRARY_UNSUPPORTED),
        };
        let mut tids = vec![Vec::new(); picked.len()];
        for (task, host) in hosts.iter().take(req.num_tasks as usize).enumerate() {
            let pos = picked
                .iter()
                .position(|&(k, _)| self.spec.nodes[alloc.nodes[k]].name == *host)
                .ok_or(SlurmRc::ESLURM_REQUESTED_NODE_CONFIG_UNAVAILABLE)?;
            tids[pos].push(task as u32);
        }
        Ok(tids)
    }

    /// CPUs of allocation position `k` a new step may use.
    fn usable_cpus(&self, job: &Job, alloc: &Allocation, k: usize, flags: u32) -> u32 {
        let i = alloc.nodes[k];
        // Drained nodes keep running their jobs' steps; down ones cannot.
        let node = &self.nodes[i];
        if node.base() == super::node::base::DOWN || node.state & super::node::flag::NO_RESPOND != 0
        {
            return 0;
        }
        let all = u32::from(alloc.cpus[k]);
        if flags & ssf::OVERLAP_FORCE != 0 {
            return all;
        }
        let (used, _) = used_on(job, k);
        if flags & ssf::WHOLE != 0 && used > 0 {
            return 0;
        }
        all.saturating_sub(used)
    }

    /// Cores for `cpus` CPUs on allocation position `k`, from those of the
    /// job other steps do not hold (all of them for an overlapping step).
    fn step_cores(
        &self,
        job: &Job,
        alloc: &Allocation,
        k: usize,
        cpus: u32,
        overlap: bool,
    ) -> Vec<u32> {
        let job_cores = alloc.cores.get(k).cloned().unwrap_or_default();
        if job_cores.is_empty() {
            return Vec::new();
        }
        let per_core = (u32::from(alloc.cpus[k]) / job_cores.len() as u32).max(1);
        let want = cpus.div_ceil(per_core) as usize;
        let held = if overlap {
            Vec::new()
        } else {
            used_on(job, k).1
        };
        let mut free: Vec<u32> = job_cores
            .iter()
            .copied()
            .filter(|c| !held.contains(c))
            .collect();
        if free.len() < want {
            // Oversubscribed: fall back to the job's cores.
            free = job_cores;
        }
        free.truncate(want.max(1));
        free
    }

    /// REQUEST_JOB_STEP_CREATE (`step_create`).
    pub fn step_create(
        &mut self,
        caller: &Caller,
        mut req: JobStepCreateRequest,
        now: i64,
    ) -> Outcome {
        if req.user_id != caller.uid && !self.is_privileged(caller.uid) {
            return Outcome::rc(SlurmRc::ESLURM_USER_ID_MISSING);
        }
        let job_id = req.step_id.job_id;
        let step = match self.new_step(&mut req, now) {
            Ok(s) => s,
            Err(rc) => {
                if rc == SlurmRc::ESLURM_NODES_BUSY {
                    self.remember_pending_step(&req, now);
                }
                return Outcome::rc(rc);
            }
        };
        let Some(job) = self.jobs.get_mut(&job_id) else {
            return Outcome::rc(SlurmRc::ESLURM_INVALID_JOB_ID);
        };
        job.next_step_id = job.next_step_id.max(step.step_id + 1);
        job.steps.push(step.clone());
        self.last_job_update = now;
        let reply = self.step_create_response(job_id, &step, caller.version, now);
        Outcome {
            reply: wire::msg::Message::JobStepCreateResponse(Box::new(reply)),
            durable: vec![Durable::Job(job_id)],
            effects: Vec::new(),
        }
    }

    /// Checks the request against the job and builds the step.
    fn new_step(&self, req: &mut JobStepCreateRequest, now: i64) -> Result<Step, SlurmRc> {
        let job = self
            .jobs
            .get(&req.step_id.job_id)
            .ok_or(SlurmRc::ESLURM_INVALID_JOB_ID)?;
        if req.user_id != job.user_id {
            return Err(SlurmRc::ESLURM_ACCESS_DENIED);
        }
        if req.step_id.step_id != NO_VAL
            && job.steps.iter().any(|s| s.step_id == req.step_id.step_id)
        {
            return Err(SlurmRc::ESLURM_DUPLICATE_STEP_ID);
        }
        match job.base_state() {
            JobState::Suspended => return Err(SlurmRc::ESLURM_DISABLED),
            JobState::Pending => return Err(SlurmRc::ESLURM_DUPLICATE_JOB_ID),
            JobState::Running if job.state & super::job::state_flags::COMPLETING == 0 => {}
            _ => return Err(SlurmRc::ESLURM_ALREADY_DONE),
        }
        if job.state & super::job::state_flags::CONFIGURING != 0 {
            return Err(SlurmRc::ESLURM_PROLOG_RUNNING);
        }
        if req.num_tasks < 1 {
            return Err(SlurmRc::ESLURM_BAD_TASK_COUNT);
        }
        let alloc = job.alloc.as_ref().ok_or(SlurmRc::ESLURM_ALREADY_DONE)?;
        let per_task = cpus_per_task(req, alloc);
        let picked = self.pick_step_nodes(job, req)?;
        if req.num_tasks == NO_VAL {
            req.num_tasks = if req.cpu_count != NO_VAL && req.cpu_count != 0 {
                req.cpu_count
            } else {
                picked.len() as u32
            };
        }
        let layout_cpt = u32::from(per_task.max(1));
        let task_dist = resolve_dist(req.task_dist, req.pn_min_memory)?;
        let slots: Vec<u32> = picked
            .iter()
            .map(|&(_, usable)| {
                let mut s = (usable / layout_cpt).max(1);
                if req.plane_size != 0
                    && req.plane_size != NO_VAL16
                    && task_dist & dist::STATE_BASE != dist::PLANE
                {
                    // plane_size conveys --ntasks-per-node here.
                    s = s.min(u32::from(req.plane_size));
                }
                s
            })
            .collect();
        let mut tids = if task_dist & dist::STATE_BASE == dist::ARBITRARY {
            self.arbitrary_layout(job, req, &picked)?
        } else {
            layout_tasks(req.num_tasks, &slots, task_dist, req.plane_size)
        };
        // A node without tasks is not part of the step: srun launches
        // nothing there, so it would never report the step complete.
        let mut picked = picked;
        let mut k = 0;
        picked.retain(|_| {
            let keep = !tids[k].is_empty();
            k += 1;
            keep
        });
        tids.retain(|t| !t.is_empty());
        let whole = req.flags & ssf::WHOLE != 0;
        let overlap = req.flags & ssf::OVERLAP_FORCE != 0;
        let mut cpus = Vec::with_capacity(picked.len());
        let mut cores = Vec::with_capacity(picked.len());
        for (pos, &(k, usable)) in picked.iter().enumerate() {
            let need = tids[pos].len() as u32 * layout_cpt;
            let c = if whole {
                usable
            } else {
                need.min(usable).max(1)
            };
            cores.push(self.step_cores(job, alloc, k, c, overlap));
            cpus.push(c as u16);
        }
        let time_limit = match req.time_limit {
            0 | NO_VAL | INFINITE => INFINITE,
            t => t,
        };
        let step_id = if req.step_id.step_id != NO_VAL {
            req.step_id.step_id
        } else {
            job.next_step_id
        };
        Ok(Step {
            step_id,
            name: req
                .name
                .clone()
                .filter(|n| !n.is_empty())
                .or_else(|| job.desc.name.as_deref().map(str::to_owned)),
            start_time: now,
            time_limit,
            nodes: picked.iter().map(|&(k, _)| k).collect(),
            done: vec![false; picked.len()],
            tids,
            cpus,
            cores,
            num_tasks: req.num_tasks,
            cpu_count: req.cpu_count,
            cpus_per_task: per_task,
            task_dist,
            flags: req.flags,
            srun_host: req.host.clone(),
            srun_port: req.port,
            srun_pid: req.srun_pid,
            submit_line: req.submit_line.clone(),
            exit_code: NO_VAL,
            timed_out: false,
        })
    }

    /// RESPONSE_JOB_STEP_CREATE: layout and the (still unsigned) credential.
    fn step_create_response(
        &self,
        job_id: u32,
        step: &Step,
        version: ProtocolVersion,
        now: i64,
    ) -> JobStepCreateResponse {
        let job = &self.jobs[&job_id];
        let alloc = job.alloc.as_ref().expect("a running job has an allocation");
        let node_list = self.step_hostlist(alloc, step);
        // The server fills in the passwd part and signs it.
        let cred = self.step_credential(job, step, None, now);
        JobStepCreateResponse {
            def_cpu_bind_type: 0,
            resv_ports: None,
            job_step_id: step.step_id,
            step_layout: Some(StepLayout {
                front_end: None,
                node_list: Some(node_list),
                start_protocol_ver: version.0,
                task_cnt: step.num_tasks,
                task_dist: step.task_dist,
                tids: step.tids.clone(),
            }),
            cred: SignedCredential::unsigned(cred, version),
            select_jobinfo: SelectJobInfo {
                plugin_id: self.spec.limits.select_plugin_id,
            },
            switch_job: SwitchJobInfo::default(),
            use_protocol_ver: version.0,
        }
    }

    fn step_hostlist(&self, alloc: &Allocation, step: &Step) -> String {
        let names: Vec<String> = step
            .nodes
            .iter()
            .map(|&k| self.spec.nodes[alloc.nodes[k]].name.clone())
            .collect();
        wire::hostlist::compress(&names)
    }

    /// The credential of a step (`make_step_cred`): the job's, with the
    /// step's nodes, cores and memory.
    pub fn step_credential(
        &self,
        job: &Job,
        step: &Step,
        pw: Option<&Passwd>,
        now: i64,
    ) -> wire::msg::JobCredential {
        let alloc = job.alloc.as_ref().expect("a running job has an allocation");
        let mut cred = self.job_credential(job, alloc, pw, now);
        cred.step_id.step_id = step.step_id;
        cred.step_hostlist = Some(self.step_hostlist(alloc, step));
        let (_, tot_cores) = self.job_core_bitmap(alloc);
        let mut bitmap = wire::pack::Bitmap::new(tot_cores);
        let mut offset = 0u32;
        for (k, &i) in alloc.nodes.iter().enumerate() {
            let n = &self.spec.nodes[i];
            if let Some(pos) = step.nodes.iter().position(|&s| s == k) {
                for &c in &step.cores[pos] {
                    bitmap.set(offset + c);
                }
            }
            offset += u32::from(n.sockets) * u32::from(n.cores_per_socket);
        }
        cred.step_core_bitmap = Some(bitmap);
        cred.step_gres_list = step_gres(&cred.job_gres_list, step, alloc.nodes.len());
        let mems: Vec<u64> = (0..alloc.nodes.len())
            .map(|k| alloc.mem_on(k, job.desc.pn_min_memory))
            .collect();
        let (v, r) = run_length(&mems);
        cred.job_mem_alloc = v;
        cred.job_mem_alloc_rep_count = r;
        let step_mems: Vec<u64> = step.nodes.iter().map(|&k| mems[k]).collect();
        let (v, r) = run_length(&step_mems);
        cred.step_mem_alloc = v;
        cred.step_mem_alloc_rep_count = r;
        cred
    }

    /// REQUEST_STEP_COMPLETE from a node's step daemon: marks its nodes
    /// done; a step whose nodes are all done is gone, its code kept in the
    /// job's DerivedExitCode.
    pub fn step_complete(&mut self, m: &wire::msg::StepComplete, now: i64) -> Outcome {
        let job_id = m.step_id.job_id;
        let Some(job) = self.jobs.get_mut(&job_id) else {
            return Outcome::rc(SlurmRc::ESLURM_INVALID_JOB_ID);
        };
        let Some(pos) = job
            .steps
            .iter()
            .position(|s| s.step_id == m.step_id.step_id)
        else {
            // The batch and extern steps, or a step already gone.
            return Outcome::rc(SlurmRc::SUCCESS);
        };
        let step = &mut job.steps[pos];
        let last = (m.range_last as usize).min(step.done.len().saturating_sub(1));
        for d in step
            .done
            .iter_mut()
            .take(last + 1)
            .skip(m.range_first as usize)
        {
            *d = true;
        }
        step.exit_code = if step.exit_code == NO_VAL {
            m.step_rc
        } else {
            step.exit_code.max(m.step_rc)
        };
        let mut effects = Vec::new();
        if step.done.iter().all(|&d| d) {
            let step = job.steps.remove(pos);
            if step.exit_code != NO_VAL {
                job.derived_ec = job.derived_ec.max(step.exit_code);
            }
            effects.extend(wake_pending_steps(job, now));
        }
        self.last_job_update = now;
        Outcome {
            reply: wire::msg::Message::SlurmRc { rc: 0 },
            durable: vec![Durable::Job(job_id)],
            effects,
        }
    }

    /// `_build_pending_step`: srun listens on `port` while it waits.
    fn remember_pending_step(&mut self, req: &JobStepCreateRequest, now: i64) {
        let (Some(host), port) = (req.host.as_deref(), req.port) else {
            return;
        };
        if port == 0 {
            return;
        }
        if let Some(job) = self.jobs.get_mut(&req.step_id.job_id) {
            job.pending_steps
                .retain(|(h, p, _)| (h.as_str(), *p) != (host, port));
            job.pending_steps.push((host.to_owned(), port, now));
        }
    }

    /// REQUEST_JOB_STEP_INFO: the running steps the caller may see.
    pub fn step_infos(&self, caller: &Caller, want: &StepId, now: i64) -> Vec<JobStepInfo> {
        let mut out = Vec::new();
        let all_jobs = want.job_id == NO_VAL || want.job_id == 0;
        for job in self.jobs.values() {
            if !all_jobs && job.job_id != want.job_id && job.array_job_id != want.job_id {
                continue;
            }
            if !self.may_see_job(caller, job) {
                continue;
            }
            let wants = |id: u32| all_jobs || want.step_id == NO_VAL || want.step_id == id;
            for s in &job.steps {
                if wants(s.step_id) {
                    out.push(self.step_info(job, s, now));
                }
            }
            if wants(wire::msg::common::step::BATCH) {
                out.extend(self.batch_step_info(job, now));
            }
        }
        out
    }

    /// Steps of running jobs past their own `--time` (`check_job_step_time_limit`):
    /// their nodes get REQUEST_KILL_TIMELIMIT for the step.
    pub fn check_step_time_limits(&mut self, now: i64) -> Vec<super::Effect> {
        let mut effects = Vec::new();
        for job in self.jobs.values_mut() {
            if job.base_state() != JobState::Running {
                continue;
            }
            let Some(alloc) = job.alloc.as_ref() else {
                continue;
            };
            for s in job.steps.iter_mut() {
                let limited = s.time_limit != INFINITE && s.time_limit != NO_VAL;
                if !limited || s.timed_out || (now - s.start_time) / 60 < i64::from(s.time_limit) {
                    continue;
                }
                s.timed_out = true;
                effects.push(super::Effect::StepTimeLimit {
                    job_id: job.job_id,
                    step_id: s.step_id,
                    nodes: s.nodes.iter().map(|&k| alloc.nodes[k]).collect(),
                });
            }
        }
        effects
    }

    /// Why a lookup of one job's steps found none: the job is unknown.
    pub fn step_lookup_error(&self, caller: &Caller, want: &StepId) -> Option<SlurmRc> {
        let _ = caller;
        let known = self
            .jobs
            .values()
            .any(|j| j.job_id == want.job_id || j.array_job_id == want.job_id);
        (!known).then_some(SlurmRc::ESLURM_INVALID_JOB_ID)
    }

    fn may_see_job(&self, caller: &Caller, job: &Job) -> bool {
        // PrivateData=jobs is not supported yet: every job is visible.
        let _ = (caller, job);
        true
    }

    /// The batch script's step, which upstream keeps from launch on
    /// (`build_batch_step`): one task on the batch host with its CPUs.
    fn batch_step_info(&self, job: &Job, now: i64) -> Option<JobStepInfo> {
        let launched = job.base_state() == JobState::Running
            && !job.interactive
            && job.state
                & (super::job::state_flags::CONFIGURING | super::job::state_flags::COMPLETING)
                == 0;
        let alloc = job.alloc.as_ref().filter(|_| launched)?;
        let batch = Step {
            step_id: wire::msg::common::step::BATCH,
            name: Some("batch".into()),
            start_time: job.start_time,
            time_limit: INFINITE,
            nodes: vec![0],
            tids: vec![vec![0]],
            cpus: vec![alloc.cpus[0]],
            num_tasks: 1,
            cpu_count: u32::from(alloc.cpus[0]),
            ..Step::default()
        };
        let mut info = self.step_info(job, &batch, now);
        info.tres_alloc_str = Some(format!(
            "cpu={},mem={},node=1",
            alloc.cpus[0],
            mem_text(alloc.mem_on(0, job.desc.pn_min_memory))
        ));
        Some(info)
    }

    fn step_info(&self, job: &Job, s: &Step, now: i64) -> JobStepInfo {
        let alloc = job.alloc.as_ref();
        let nodes = alloc.map(|a| self.step_hostlist(a, s));
        // The CPUs the step holds (`_step_alloc_lps` sets cpu_count so).
        let num_cpus: u32 = s.cpus.iter().map(|&c| u32::from(c)).sum();
        let mut node_bitmap = wire::pack::Bitmap::new(self.spec.nodes.len() as u32);
        if let Some(a) = alloc {
            for &k in &s.nodes {
                node_bitmap.set(a.nodes[k] as u32);
            }
        }
        JobStepInfo {
            array_job_id: job.array_job_id,
            array_task_id: job.array_task_id.unwrap_or(NO_VAL),
            step_id: StepId {
                job_id: job.job_id,
                step_id: s.step_id,
                step_het_comp: NO_VAL,
            },
            user_id: job.user_id,
            num_cpus,
            cpu_freq_min: NO_VAL,
            cpu_freq_max: NO_VAL,
            cpu_freq_gov: NO_VAL,
            num_tasks: s.num_tasks,
            task_dist: s.task_dist,
            time_limit: s.time_limit,
            state: JobState::Running as u32,
            srun_pid: s.srun_pid,
            start_time: s.start_time,
            run_time: (now - s.start_time).max(0),
            cluster: Some(self.spec.limits.cluster_name.clone()).filter(|c| !c.is_empty()),
            container: None,
            partition: Some(job.partition.to_string()),
            srun_host: s.srun_host.clone(),
            resv_ports: None,
            nodes,
            name: s.name.clone(),
            network: None,
            node_bitmap: Some(node_bitmap),
            select_jobinfo: SelectJobInfo {
                plugin_id: self.spec.limits.select_plugin_id,
            },
            tres_alloc_str: Some(format!(
                "cpu={num_cpus},mem={},node={}",
                mem_text(self.step_memory(job, s)),
                s.nodes.len()
            )),
            start_protocol_ver: ProtocolVersion::CURRENT.0,
            cpus_per_tres: None,
            mem_per_tres: None,
            submit_line: s.submit_line.clone(),
            tres_bind: None,
            tres_freq: None,
            tres_per_step: None,
            tres_per_node: None,
            tres_per_socket: None,
            tres_per_task: None,
        }
    }

    /// MB a step holds on all its nodes: its CPUs' share of a per-CPU
    /// job request, else the job's memory on those nodes.
    fn step_memory(&self, job: &Job, s: &Step) -> u64 {
        let Some(alloc) = job.alloc.as_ref() else {
            return 0;
        };
        let per_cpu = job.desc.pn_min_memory & MEM_PER_CPU != 0;
        s.nodes
            .iter()
            .zip(&s.cpus)
            .map(|(&k, &cpus)| {
                if per_cpu && alloc.mem_per_node != 0 {
                    (job.desc.pn_min_memory & !MEM_PER_CPU) * u64::from(cpus)
                } else {
                    alloc.mem_on(k, job.desc.pn_min_memory)
                }
            })
            .sum()
    }

    /// `build_alloc_msg`: what salloc/srun learn about an allocation.
    pub fn alloc_response(&self, job: &Job, error_code: u32) -> ResourceAllocationResponse {
        let d = &job.desc;
        let mut r = ResourceAllocationResponse {
            account: d.account.as_deref().map(str::to_owned),
            error_code,
            job_id: job.job_id,
            partition: Some(job.partition.to_string()),
            ntasks_per_board: d.ntasks_per_board,
            ntasks_per_core: d.ntasks_per_core,
            ntasks_per_tres: d.ntasks_per_tres,
            ntasks_per_socket: d.ntasks_per_socket,
            // Only what the job asked for itself (JOB_MEM_SET): srun picks
            // its default task layout from it.
            pn_min_memory: if d.bitflags & wire::msg::job_desc::job_desc_flags::JOB_MEM_SET != 0 {
                d.pn_min_memory
            } else {
                0
            },
            qos: d.qos.as_deref().map(str::to_owned),
            resv_name: d.reservation.as_deref().map(str::to_owned),
            select_jobinfo: SelectJobInfo {
                plugin_id: self.spec.limits.select_plugin_id,
            },
            ..Default::default()
        };
        if let Some(a) = job.alloc.as_ref().filter(|_| job.start_time != 0) {
            let (vals, reps) = run_length(&a.cpus);
            r.cpus_per_node = vals;
            r.cpu_count_reps = reps;
            r.node_cnt = a.nodes.len() as u32;
            r.node_list = Some(self.job_hostlist(&a.nodes));
            r.batch_host = Some(self.spec.nodes[a.batch_host()].name.clone());
        }
        r
    }

    /// REQUEST_JOB_ALLOCATION_INFO / REQUEST_HET_JOB_ALLOC_INFO (srun
    /// inside an allocation).
    pub fn allocation_info(
        &self,
        caller: &Caller,
        job_id: u32,
    ) -> Result<ResourceAllocationResponse, SlurmRc> {
        let job = self
            .jobs
            .get(&job_id)
            .ok_or(SlurmRc::ESLURM_INVALID_JOB_ID)?;
        if job.user_id != caller.uid && !self.is_privileged(caller.uid) {
            return Err(SlurmRc::ESLURM_ACCESS_DENIED);
        }
        if job.is_pending() || job.alloc.is_none() {
            return Err(SlurmRc::ESLURM_JOB_PENDING);
        }
        if job.base_state().is_finished() || job.state & super::job::state_flags::COMPLETING != 0 {
            return Err(SlurmRc::ESLURM_ALREADY_DONE);
        }
        Ok(self.alloc_response(job, 0))
    }

    /// REQUEST_JOB_READY (`job_node_ready`).
    pub fn job_ready(&self, job_id: u32) -> Result<u32, SlurmRc> {
        let job = self
            .jobs
            .get(&job_id)
            .ok_or(SlurmRc::ESLURM_INVALID_JOB_ID)?;
        let running = matches!(job.base_state(), JobState::Running | JobState::Suspended);
        let mut rc = 0;
        if running {
            rc |= ready::NODE_STATE | ready::JOB_STATE;
        }
        if job.state & super::job::state_flags::CONFIGURING == 0 {
            rc |= ready::PROLOG_STATE;
        }
        Ok(rc)
    }

    /// Where srun and salloc of `job_id` take SRUN_* messages: the
    /// allocating command's message port (`other_port`), then every step's
    /// srun.
    pub fn srun_listeners(&self, job_id: u32) -> Vec<(String, u16)> {
        let Some(job) = self.jobs.get(&job_id) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        if let Some(h) = job.desc.resp_host.as_deref().filter(|_| job.interactive) {
            if job.desc.other_port != 0 {
                out.push((h.to_owned(), job.desc.other_port));
            }
        }
        for s in &job.steps {
            if let Some(h) = s.srun_host.as_deref().filter(|_| s.srun_port != 0) {
                out.push((h.to_owned(), s.srun_port));
            }
        }
        out
    }

    /// Who hears that a queued allocation ended before it started: the
    /// waiting salloc/srun on its allocation port (`srun_allocate_abort`)
    /// and on its message port.
    pub fn queued_allocation_listeners(&self, job_id: u32) -> Vec<(String, u16)> {
        let mut out = self.allocation_listener(job_id);
        out.extend(self.srun_listeners(job_id));
        out
    }

    /// Where a queued allocation's grant goes (`alloc_resp_port`).
    pub fn allocation_listener(&self, job_id: u32) -> Vec<(String, u16)> {
        let Some(job) = self.jobs.get(&job_id).filter(|j| j.interactive) else {
            return Vec::new();
        };
        match job.desc.resp_host.as_deref() {
            Some(h) if job.desc.alloc_resp_port != 0 => {
                vec![(h.to_owned(), job.desc.alloc_resp_port)]
            }
            _ => Vec::new(),
        }
    }
}

/// `_wake_pending_steps`: a step ended, so up to eight waiting sruns (and
/// any that waited a minute or more) are told to try again.
fn wake_pending_steps(job: &mut Job, now: i64) -> Vec<super::Effect> {
    const START_COUNT: usize = 8;
    const MAX_AGE: i64 = 60;
    if job.pending_steps.is_empty() || job.base_state() != JobState::Running {
        return Vec::new();
    }
    let mut woken = Vec::new();
    let mut kept = Vec::new();
    for (k, p) in std::mem::take(&mut job.pending_steps)
        .into_iter()
        .enumerate()
    {
        if k < START_COUNT || p.2 <= now - MAX_AGE {
            woken.push((p.0, p.1));
        } else {
            kept.push(p);
        }
    }
    job.pending_steps = kept;
    vec![super::Effect::NotifySrun {
        job_id: job.job_id,
        targets: woken,
        notice: super::interactive::SrunNotice::StepRetry,
    }]
}

/// The step's GRES in the credential (`gres_step_state_pack`): a step
/// that names none gets all of the job's on its nodes (srun's default
/// `--whole` copies the job's request), indexed by the job's nodes as
/// slurmstepd looks them up.
fn step_gres(
    job_gres: &[wire::msg::gres::GresJobState],
    step: &Step,
    job_nodes: usize,
) -> Vec<wire::msg::gres::GresStepState> {
    let mut in_use = wire::pack::Bitmap::new(job_nodes as u32);
    step.nodes.iter().for_each(|&k| in_use.set(k as u32));
    job_gres
        .iter()
        .map(|g| {
            let on_step = |k: usize| step.nodes.contains(&k);
            let counts: Vec<u64> = (0..job_nodes)
                .map(|k| {
                    let c = g
                        .gres_cnt_node_alloc
                        .as_ref()
                        .and_then(|v| v.get(k).copied());
                    if on_step(k) {
                        c.unwrap_or(0)
                    } else {
                        0
                    }
                })
                .collect();
            let bits: Vec<Option<wire::pack::Bitmap>> = (0..job_nodes)
                .map(|k| {
                    let b = g
                        .gres_bit_alloc
                        .as_ref()
                        .and_then(|v| v.get(k).cloned().flatten());
                    b.filter(|_| on_step(k))
                })
                .collect();
            wire::msg::gres::GresStepState {
                plugin_id: g.plugin_id,
                total_gres: counts.iter().sum(),
                node_cnt: job_nodes as u32,
                node_in_use: Some(in_use.clone()),
                gres_cnt_node_alloc: Some(counts),
                gres_bit_alloc: Some(bits),
                ..Default::default()
            }
        })
        .collect()
}

/// Memory as TRES strings print it (MB, or G when whole).
fn mem_text(mb: u64) -> String {
    match mb {
        0 => "0".into(),
        m if m.is_multiple_of(1024) => format!("{}G", m / 1024),
        m => format!("{m}M"),
    }
}

/// The request's distribution as `step_create` takes it: unknown means
/// block when no memory is asked for; anything else must be a layout
/// upstream knows.
fn resolve_dist(task_dist: u32, pn_min_memory: u64) -> Result<u32, SlurmRc> {
    let mut d = task_dist;
    if d & dist::STATE_BASE == dist::UNKNOWN && pn_min_memory & !MEM_PER_CPU == 0 {
        d = (d & !dist::STATE_BASE) | dist::BLOCK;
    }
    let base = d & dist::STATE_BASE;
    let nibble = |k: u32| (base >> (4 * k)) & 0xF;
    let levels_ok = matches!(nibble(0), 1 | 2)
        && nibble(1) <= 3
        && nibble(2) <= 3
        && (nibble(2) == 0 || nibble(1) != 0)
        && base >> 12 == 0;
    if levels_ok || base == dist::PLANE || base == dist::ARBITRARY {
        Ok(d)
    } else {
        Err(SlurmRc::ESLURM_BAD_DIST)
    }
}

/// A host list from the request, expanded (None: not given).
fn hostset(expr: Option<&str>) -> Result<Option<Vec<String>>, SlurmRc> {
    match expr.filter(|e| !e.is_empty()) {
        None => Ok(None),
        Some(e) => {
            let mut hosts =
                wire::hostlist::expand(e).map_err(|_| SlurmRc::ESLURM_INVALID_NODE_NAME)?;
            // An arbitrary layout's list repeats hosts; as a set, once each.
            let mut seen = std::collections::HashSet::new();
            hosts.retain(|h| seen.insert(h.clone()));
            Ok(Some(hosts))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_layout_fills_nodes_in_order_then_oversubscribes() {
        assert_eq!(
            layout_tasks(3, &[2, 2], dist::BLOCK, 0),
            vec![vec![0, 1], vec![2]]
        );
        assert_eq!(
            layout_tasks(2, &[4, 4], dist::BLOCK, 0),
            vec![vec![0], vec![1]]
        );
        assert_eq!(
            layout_tasks(6, &[2, 2], dist::BLOCK, 0),
            vec![vec![0, 1, 2], vec![3, 4, 5]]
        );
    }

    #[test]
    fn cyclic_layout_deals_tasks_round_robin() {
        assert_eq!(
            layout_tasks(5, &[4, 2], dist::CYCLIC, 0),
            vec![vec![0, 2, 4], vec![1, 3]]
        );
    }

    #[test]
    fn plane_layout_deals_blocks() {
        assert_eq!(
            layout_tasks(6, &[4, 4], dist::PLANE, 2),
            vec![vec![0, 1, 4, 5], vec![2, 3]]
        );
    }

    #[test]
    fn step_records_round_trip() {
        let s = Step {
            step_id: 3,
            name: Some("hostname".into()),
            start_time: 100,
            time_limit: INFINITE,
            nodes: vec![0, 1],
            tids: vec![vec![0, 1], vec![2]],
            cpus: vec![2, 1],
            cores: vec![vec![0, 1], vec![4]],
            num_tasks: 3,
            cpu_count: 3,
            cpus_per_task: 1,
            task_dist: dist::BLOCK,
            flags: ssf::WHOLE,
            srun_host: Some("login".into()),
            srun_port: 40000,
            srun_pid: 77,
            submit_line: Some("srun -n3 hostname".into()),
            exit_code: NO_VAL,
            done: vec![true, false],
            timed_out: false,
        };
        let mut p = Packer::new();
        s.pack(&mut p);
        let mut u = Unpacker::new(p.as_slice());
        assert_eq!(Step::unpack(&mut u).unwrap(), s);
        u.finish("step").unwrap();
    }
}
