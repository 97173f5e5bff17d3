//! Job submission: the checks upstream makes (`_valid_id`,
//! `validate_job_create_req`, `job_allocate`, `_job_create`,
//! `_valid_job_part`, `_part_access_check` and the test-only node selection),
//! in upstream's order so that the same bad request gets the same error.

use wire::errno::SlurmRc;
use wire::job_reason::JobReason;
use wire::msg::common::step;
use wire::msg::{JobDescriptor, Message};
use wire::pack::{INFINITE, NO_VAL, NO_VAL16, NO_VAL64};

use super::desc::{BatchFiles, JobDesc};
use super::job::{
    ArrayTasks, Dependencies, Dependency, DependencyKind, DependencyStatus, Job, JobState,
};
use super::spec::{parse_gres_list, EnforcePartLimits, PriorityPolicy, PART_STATE_SCHED};
use super::{Caller, Controller, Durable, Effect, Outcome};

/// `MEM_PER_CPU`: pn_min_memory holds MB per CPU when this bit is set.
pub const MEM_PER_CPU: u64 = 0x8000_0000_0000_0000;

/// Upstream returns EAGAIN when MaxJobCount is reached; sbatch retries.
const EAGAIN: i32 = 11;

/// A refused submission: the code and, sometimes, text for the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// Slurm error code.
    pub rc: SlurmRc,
    /// `err_msg` that sbatch prints before the code's text.
    pub msg: Option<String>,
}

impl Refusal {
    fn code(rc: SlurmRc) -> Self {
        Refusal { rc, msg: None }
    }
    fn with_msg(rc: SlurmRc, msg: impl Into<String>) -> Self {
        Refusal {
            rc,
            msg: Some(msg.into()),
        }
    }
    fn into_outcome(self) -> Outcome {
        let reply = match self.msg {
            Some(m) => Message::SlurmRcMsg {
                rc: self.rc.0,
                msg: Some(m),
            },
            None => Message::SlurmRc { rc: self.rc.0 },
        };
        Outcome {
            reply,
            durable: Vec::new(),
            effects: Vec::new(),
        }
    }
}

/// What a job asks of each node, derived from its descriptor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PerNodeNeed {
    /// CPUs on every node.
    pub cpus: u32,
    /// MB of memory on every node.
    pub memory_mb: u64,
}

/// REQUEST_SUBMIT_BATCH_JOB.
pub fn submit_batch(c: &mut Controller, caller: Caller, desc: JobDescriptor, now: i64) -> Outcome {
    if desc.script.as_deref().is_none_or(str::is_empty) {
        return Refusal::code(SlurmRc::ESLURM_JOB_SCRIPT_MISSING).into_outcome();
    }
    match create(c, caller, desc, now, false) {
        Ok((job_id, code, files)) => Outcome {
            reply: Message::SubmitBatchJobResponse {
                job_id,
                step_id: step::BATCH,
                error_code: code.0 as u32,
                job_submit_user_msg: None,
            },
            // Script first: a torn journal tail never keeps a job without it.
            durable: vec![Durable::Batch(Box::new(files)), Durable::Job(job_id)],
            effects: vec![Effect::ScheduleSoon],
        },
        Err(r) => r.into_outcome(),
    }
}

/// REQUEST_JOB_WILL_RUN (`sbatch --test-only`): every check, no job; then
/// where and when it could start.
pub fn will_run(c: &mut Controller, caller: Caller, desc: JobDescriptor, now: i64) -> Outcome {
    let probe = desc.clone();
    match create(c, caller.clone(), desc, now, true) {
        Err(r) if r.rc == SlurmRc::SUCCESS => {}
        Err(r) => return r.into_outcome(),
        Ok(_) => {}
    }
    // Build the job as submission would, to ask the allocator.
    let part_index = match probe
        .partition
        .as_deref()
        .and_then(|p| p.split(',').next())
        .and_then(|p| c.partition_index(p))
    {
        Some(i) => i,
        None => match c.default_partition() {
            Some(i) => i,
            None => return Refusal::code(SlurmRc::ESLURM_DEFAULT_PARTITION_NOT_SET).into_outcome(),
        },
    };
    let mut d = probe;
    normalise_counts(&mut d);
    d.script = None;
    d.environment = Vec::new();
    // A probe, never stored: its strings stay out of the shared table.
    let d = JobDesc::from_descriptor(d, &mut super::text::Interner::default());
    let usable = c.available_nodes(part_index).len() as u32;
    if usable < d.min_nodes.max(1) {
        // No usable node could ever be picked now: upstream's test
        // selection reports the configuration as unavailable.
        return Refusal::code(SlurmRc::ESLURM_REQUESTED_NODE_CONFIG_UNAVAILABLE).into_outcome();
    }
    let job = Job {
        job_id: 0,
        array_job_id: 0,
        array_task_id: None,
        array: None,
        user_id: caller.uid,
        group_id: caller.gid,
        state: JobState::Pending as u32,
        reason: JobReason::WAIT_NO_REASON,
        state_desc: None,
        priority: 1,
        partition: c.spec.partitions[part_index].name.as_str().into(),
        part_index,
        time_limit: None,
        submit_time: now,
        eligible_time: now,
        accrue_time: now,
        last_sched_eval: now,
        start_time: 0,
        end_time: 0,
        exit_code: 0,
        derived_ec: 0,
        restart_cnt: 0,
        dependencies: None,
        admin_hold: false,
        direct_prio: false,
        tres_req: "".into(),
        alloc: None,
        desc: d,
    };
    let (start_time, alloc) = match c.try_allocate(&job) {
        Some(a) => (now, Some(a)),
        None => {
            // Busy: the earliest end of a running job in the partition.
            let soonest = c
                .jobs
                .values()
                .filter(|j| {
                    j.base_state() == JobState::Running
                        && j.part_index == part_index
                        && j.end_time != 0
                })
                .map(|j| j.end_time)
                .min()
                .unwrap_or(now + 365 * 24 * 3600);
            (soonest, None)
        }
    };
    let node_list = alloc.as_ref().map(|a| {
        let names: Vec<String> = a
            .nodes
            .iter()
            .map(|&i| c.spec.nodes[i].name.clone())
            .collect();
        wire::hostlist::compress(&names)
    });
    Outcome {
        reply: Message::JobWillRunResponse(wire::msg::WillRunResponse {
            job_id: 0,
            job_submit_user_msg: None,
            node_list,
            part_name: Some(c.spec.partitions[part_index].name.clone()),
            preemptee_job_id: None,
            proc_cnt: alloc.as_ref().map_or(0, |a| a.total_cpus()),
            start_time,
            sys_usage_per: wire::pack::ScaledDouble::from_f64(0.0),
        }),
        durable: Vec::new(),
        effects: Vec::new(),
    }
}

/// Validates `desc` and, unless `test_only`, creates the job. Returns the job
/// id, the non-fatal code upstream puts in the submit response, and the
/// script and environment to store (they are not kept in the job record).
pub fn create(
    c: &mut Controller,
    caller: Caller,
    mut desc: JobDescriptor,
    now: i64,
    test_only: bool,
) -> Result<(u32, SlurmRc, BatchFiles), Refusal> {
    // _valid_id: the descriptor's ids must be the caller's, unless privileged.
    if desc.user_id == NO_VAL {
        desc.user_id = caller.uid;
    }
    if desc.group_id == NO_VAL {
        desc.group_id = caller.gid;
    }
    if !c.is_privileged(caller.uid) {
        if desc.user_id != caller.uid {
            return Err(Refusal::code(SlurmRc::ESLURM_USER_ID_MISSING));
        }
        if desc.group_id != caller.gid {
            return Err(Refusal::code(SlurmRc::ESLURM_GROUP_ID_MISSING));
        }
    }

    // Array expression (validate_job_create_req).
    let array = match desc.array_inx.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(spec) => match ArrayTasks::parse(spec, c.spec.limits.max_array_size) {
            Some(a) => Some(a),
            None => return Err(Refusal::code(SlurmRc::ESLURM_INVALID_ARRAY)),
        },
    };

    // MaxJobCount (job_allocate), counting every array task.
    let records = array.as_ref().map_or(1, |a| a.count());
    if !test_only && c.job_count.saturating_add(records) >= c.spec.limits.max_job_count {
        return Err(Refusal::code(SlurmRc(EAGAIN)));
    }

    // Partition (_get_job_parts).
    let part_index = match desc.partition.as_deref().filter(|p| !p.is_empty()) {
        Some(names) => {
            // A list means "any of these"; we take the first that exists, as
            // upstream's pointer does, and refuse if one is unknown.
            let mut first = None;
            for name in names.split(',') {
                match c.partition_index(name) {
                    Some(i) => {
                        first.get_or_insert(i);
                    }
                    None => {
                        return Err(Refusal::with_msg(
                            SlurmRc::ESLURM_INVALID_PARTITION_NAME,
                            format!("invalid partition specified: {name}"),
                        ))
                    }
                }
            }
            first.ok_or(Refusal::code(SlurmRc::ESLURM_INVALID_PARTITION_NAME))?
        }
        None => c
            .default_partition()
            .ok_or(Refusal::code(SlurmRc::ESLURM_DEFAULT_PARTITION_NOT_SET))?,
    };
    let part = c.spec.partitions[part_index].clone();
    desc.partition = Some(part.name.clone());
    let enforce = c.spec.limits.enforce_part_limits != EnforcePartLimits::No;

    // _part_access_check.
    if part.root_only && caller.uid != 0 {
        return Err(Refusal::code(SlurmRc::ESLURM_ACCESS_DENIED));
    }
    if let Some(groups) = &part.allow_groups {
        let ok = desc.user_id == 0 || groups.split(',').any(|g| c.user_in_group(desc.user_id, g));
        if !ok {
            return Err(Refusal::code(
                SlurmRc::ESLURM_JOB_MISSING_REQUIRED_PARTITION_GROUP,
            ));
        }
    }
    let total_cpus: u32 = part
        .nodes
        .iter()
        .map(|&i| u32::from(c.spec.nodes[i].cpus))
        .sum();
    let total_nodes = part.nodes.len() as u32;
    let schedulable = part.state_up & PART_STATE_SCHED != 0;
    // _part_access_check's count limits refuse only under EnforcePartLimits;
    // without it the job is queued (and waits).
    let cpu_cap = part
        .max_cpus_per_node
        .map_or(u64::MAX, |m| u64::from(m) * u64::from(total_nodes));
    if enforce
        && schedulable
        && desc.min_cpus != NO_VAL
        && (desc.min_cpus > total_cpus || u64::from(desc.min_cpus) > cpu_cap)
    {
        return Err(Refusal::code(SlurmRc::ESLURM_TOO_MANY_REQUESTED_CPUS));
    }
    if enforce && schedulable && desc.min_nodes != NO_VAL && desc.min_nodes > total_nodes {
        return Err(Refusal::code(SlurmRc::ESLURM_INVALID_NODE_COUNT));
    }
    if enforce && schedulable {
        if desc.min_nodes != NO_VAL && desc.min_nodes < part.min_nodes {
            return Err(Refusal::code(SlurmRc::ESLURM_INVALID_NODE_COUNT));
        }
        if let (Some(max), true) = (part.max_nodes, desc.max_nodes != NO_VAL) {
            if desc.max_nodes > max {
                return Err(Refusal::code(SlurmRc::ESLURM_INVALID_NODE_COUNT));
            }
        }
    }

    // _valid_job_part: a job asking fewer nodes than the partition's
    // MinNodes (or none) is raised to it when its maximum allows.
    if desc.min_nodes == NO_VAL {
        desc.min_nodes = part.min_nodes.max(1);
    } else if desc.min_nodes < part.min_nodes
        && (desc.max_nodes == NO_VAL || desc.max_nodes >= part.min_nodes)
    {
        desc.min_nodes = part.min_nodes;
    }

    // _valid_job_part: time limits.
    if desc.time_limit == NO_VAL {
        if let Some(d) = part.default_time {
            desc.time_limit = d;
        }
    }
    let max_time = part.max_time.unwrap_or(INFINITE);
    if enforce
        && desc.time_limit != NO_VAL
        && desc.time_limit != INFINITE
        && desc.time_limit > max_time
    {
        return Err(Refusal::code(SlurmRc::ESLURM_INVALID_TIME_LIMIT));
    }
    if enforce && desc.time_limit == INFINITE && max_time != INFINITE {
        return Err(Refusal::code(SlurmRc::ESLURM_INVALID_TIME_LIMIT));
    }
    if desc.time_min != NO_VAL && desc.time_min > max_time && enforce {
        return Err(Refusal::code(SlurmRc::ESLURM_INVALID_TIME_MIN_LIMIT));
    }

    // _validate_job_desc: no memory request takes the partition's, else
    // the cluster's DefMemPerCPU/Node; `--mem 0` (all of each node's
    // memory) stays 0, and so does `--mem-per-cpu 0`.
    if desc.pn_min_memory == NO_VAL64 {
        let def = if part.def_mem_per_cpu != 0 {
            part.def_mem_per_cpu
        } else {
            c.spec.limits.def_mem_per_cpu
        };
        if def != 0 {
            desc.pn_min_memory = def;
        }
    } else if desc.pn_min_memory == MEM_PER_CPU {
        desc.pn_min_memory = 0;
    }
    // _validate_job_desc: fill the counts upstream fills.
    normalise_counts(&mut desc);

    apply_max_mem_per_cpu(c, &part, &mut desc);

    // GRES names must be configured (gres_job_state_validate).
    let gres_per_node = requested_gres(desc.tres_per_node.as_deref());
    for g in &gres_per_node {
        if !c.spec.limits.gres_types.contains(&g.name) {
            return Err(Refusal::code(SlurmRc::ESLURM_INVALID_GRES));
        }
    }

    // From here on upstream has created the job record, so a refusal
    // still uses up the job id (`_copy_job_desc_to_job_record`).
    let job_id = if test_only { 0 } else { c.allocate_job_id() };
    let mut files = BatchFiles {
        job_id,
        script: desc.script.take(),
        environment: std::mem::take(&mut desc.environment),
    };

    // Dependencies (update_job_dependency).
    let dependencies = match desc.dependency.as_deref().filter(|d| !d.is_empty()) {
        None => None,
        Some(spec) => match Dependencies::parse(spec) {
            Some(d) => Some(d),
            None => return Err(Refusal::code(SlurmRc::ESLURM_DEPENDENCY)),
        },
    };

    // job_allocate sets the priority before its test selection, so a job
    // refused there has still used up a priority value.
    let held = desc.priority == 0;
    let priority = if held || test_only {
        0
    } else {
        c.next_priority(desc.nice, part_index)
    };

    let desc = JobDesc::from_descriptor(desc, &mut c.strings);
    // Test-only node selection: can any node of the partition ever hold
    // one node's share of this job?
    let need = per_node_need(&desc);
    // OverSubscribe=EXCLUSIVE gives whole nodes whatever the job asked.
    let shared = if part.max_share == 0 { 0 } else { desc.shared };
    let unit = c.unit_for(part_index, shared);
    let mut cpus_ok = false;
    let mut mem_ok = false;
    let mut fitting = 0u32;
    for &i in &part.nodes {
        let n = &c.spec.nodes[i];
        let cpu_fit =
            need.cpus <= u32::from(n.cpus) && part.max_cpus_per_node.is_none_or(|m| need.cpus <= m);
        // Consumable memory counts the CPUs really given (whole sockets,
        // whole nodes); otherwise only the CPUs asked for.
        let mem_need = if c.tracks_memory(part_index) {
            c.memory_need(i, unit, need.cpus, desc.pn_min_memory)
        } else {
            need.memory_mb
        };
        let mem_fit = mem_need <= n.real_memory;
        let gres_fit = gres_per_node
            .iter()
            .all(|g| n.gres_count(&g.name, g.kind.as_deref()) >= g.count);
        cpus_ok |= cpu_fit;
        mem_ok |= cpu_fit && mem_fit;
        if cpu_fit && mem_fit && gres_fit {
            fitting += 1;
        }
    }
    if !cpus_ok {
        return Err(Refusal::with_msg(
            SlurmRc::ESLURM_REQUESTED_NODE_CONFIG_UNAVAILABLE,
            "CPU count per node can not be satisfied",
        ));
    }
    if !mem_ok {
        return Err(Refusal::with_msg(
            SlurmRc::ESLURM_REQUESTED_NODE_CONFIG_UNAVAILABLE,
            "Memory specification can not be satisfied",
        ));
    }
    if fitting < desc.min_nodes.max(1) {
        return Err(Refusal::code(
            SlurmRc::ESLURM_REQUESTED_NODE_CONFIG_UNAVAILABLE,
        ));
    }

    if test_only {
        return Err(Refusal::code(SlurmRc::SUCCESS));
    }

    // Create the record.
    let time_limit = Some(desc.time_limit).filter(|&t| t != NO_VAL);
    let mut job = Job {
        job_id,
        array_job_id: if array.is_some() { job_id } else { 0 },
        array_task_id: None,
        array,
        user_id: desc.user_id,
        group_id: desc.group_id,
        state: JobState::Pending as u32,
        reason: JobReason::WAIT_NO_REASON,
        state_desc: None,
        priority: 0,
        partition: c.strings.get(&part.name),
        part_index,
        time_limit,
        submit_time: now,
        eligible_time: 0,
        accrue_time: 0,
        last_sched_eval: 0,
        start_time: 0,
        end_time: 0,
        exit_code: 0,
        derived_ec: 0,
        restart_cnt: 0,
        dependencies: None,
        admin_hold: false,
        direct_prio: false,
        tres_req: c.strings.get(""),
        alloc: None,
        desc,
    };
    job.tres_req = c.strings.take(super::view::job_tres_req(c, &job));
    if let Some(a) = &job.array {
        // What `_create_job_array` adds to an array job's environment.
        let ids: Vec<u32> = a.pending.ones().collect();
        let step = job
            .desc
            .array_inx
            .as_deref()
            .and_then(|s| s.split_once(':'))
            .and_then(|(_, st)| st.split('%').next()?.parse::<u32>().ok())
            .unwrap_or(1);
        files
            .environment
            .push(format!("SLURM_ARRAY_TASK_COUNT={}", ids.len()));
        files.environment.push(format!(
            "SLURM_ARRAY_TASK_MIN={}",
            ids.first().copied().unwrap_or(0)
        ));
        files.environment.push(format!(
            "SLURM_ARRAY_TASK_MAX={}",
            ids.last().copied().unwrap_or(0)
        ));
        files
            .environment
            .push(format!("SLURM_ARRAY_TASK_STEP={step}"));
    }
    job.last_sched_eval = now;
    // A dependency on a job we no longer know is treated as satisfied, as
    // upstream does for purged jobs; keep only the ones that can wait.
    job.dependencies = dependencies.and_then(|mut d| {
        d.items
            .retain(|item| item.job_id == 0 || c.jobs.contains_key(&item.job_id));
        (!d.items.is_empty()).then_some(d)
    });
    if job.dependencies.is_none() {
        job.desc.dependency = None;
    }
    let code = if held {
        job.reason = JobReason::WAIT_HELD_USER;
        SlurmRc::ESLURM_JOB_HELD
    } else {
        job.priority = priority;
        SlurmRc::SUCCESS
    };
    c.refresh_eligibility(&mut job, now);
    if !held {
        // Upstream's selection, tried at submission even for a job that
        // must wait, settles how it shares nodes.
        c.resolve_shared(&mut job);
    }
    let code = if !held && job.eligible_time != 0 {
        c.submit_time_selection(&mut job, now)
    } else {
        code
    };
    // Queued until resources free up is no error to the submitter
    // (upstream's `job_allocate` clears it; NODE_NOT_AVAIL stays).
    let code = if code == SlurmRc::ESLURM_NODES_BUSY {
        SlurmRc::SUCCESS
    } else {
        code
    };
    c.job_count += records;
    c.jobs.insert(job_id, Box::new(job));
    c.last_job_update = now;
    Ok((job_id, code, files))
}

/// Fills the values upstream derives in `_validate_job_desc` and sbatch's
/// defaults, so views and checks see concrete numbers.
pub fn normalise_counts(d: &mut JobDescriptor) {
    if d.cpus_per_task == NO_VAL16 {
        d.cpus_per_task = 1;
    }
    if d.min_nodes == NO_VAL {
        d.min_nodes = 1;
    }
    // An unset task count stays 0, as upstream stores it: views then show
    // the node count while pending and "N/A" once finished.
    if d.num_tasks == NO_VAL {
        d.num_tasks = 0;
    }
    let cpus_per_task = u32::from(d.cpus_per_task);
    if d.min_cpus == NO_VAL {
        let tasks = if d.num_tasks != 0 {
            d.num_tasks
        } else if d.ntasks_per_node != NO_VAL16 && d.ntasks_per_node != 0 {
            d.min_nodes * u32::from(d.ntasks_per_node)
        } else {
            d.min_nodes
        };
        d.min_cpus = tasks.max(1) * cpus_per_task;
    }
    let mut pn = if d.pn_min_cpus == NO_VAL16 {
        d.cpus_per_task
    } else {
        d.pn_min_cpus.max(d.cpus_per_task)
    };
    // --ntasks-per-node asks its CPUs on each node unless --overcommit,
    // and only for more than one task (_copy_job_desc_to_job_record).
    if d.ntasks_per_node != NO_VAL16 && d.ntasks_per_node != 0 && d.overcommit != 1 {
        let tasks = if d.num_tasks != 0 && d.num_tasks != NO_VAL {
            d.num_tasks
        } else {
            d.min_nodes.saturating_mul(u32::from(d.ntasks_per_node))
        };
        if tasks > 1 {
            pn = pn.max(d.ntasks_per_node.saturating_mul(d.cpus_per_task));
        }
    }
    d.pn_min_cpus = pn;
    if d.pn_min_memory == NO_VAL64 {
        d.pn_min_memory = 0;
    }
    if d.pn_min_tmp_disk == NO_VAL {
        d.pn_min_tmp_disk = 0;
    }
}

/// Upstream's `_valid_pn_min_mem` as `job_limits_check` applies it: under
/// a MaxMemPerCPU limit, memory beyond it costs CPUs. A per-node request
/// (none: the partition's first node's memory) needs at least memory /
/// limit CPUs per node; a per-CPU request above the limit multiplies
/// --cpus-per-task and divides the memory per CPU by the same factor.
fn apply_max_mem_per_cpu(c: &Controller, part: &super::spec::PartitionSpec, d: &mut JobDescriptor) {
    let limit = if part.max_mem_per_cpu != 0 {
        part.max_mem_per_cpu
    } else {
        c.spec.limits.max_mem_per_cpu
    };
    if limit & MEM_PER_CPU == 0 || limit == MEM_PER_CPU {
        return; // unset, or MaxMemPerNode (checked elsewhere)
    }
    let limit = limit & !MEM_PER_CPU;
    if d.pn_min_memory & MEM_PER_CPU != 0 {
        let per_cpu = d.pn_min_memory & !MEM_PER_CPU;
        if per_cpu <= limit {
            return;
        }
        let ratio = per_cpu.div_ceil(limit);
        let cpt = u64::from(d.cpus_per_task.max(1)) * ratio;
        d.cpus_per_task = u16::try_from(cpt).unwrap_or(u16::MAX);
        d.pn_min_memory = per_cpu.div_ceil(ratio) | MEM_PER_CPU;
        if d.num_tasks != 0 && d.num_tasks != NO_VAL && d.min_cpus != NO_VAL {
            d.min_cpus = d.num_tasks.saturating_mul(u32::from(d.cpus_per_task));
        } else {
            d.pn_min_cpus = d.cpus_per_task;
        }
        return;
    }
    let mem = if d.pn_min_memory == 0 {
        part.nodes
            .iter()
            .min()
            .map_or(0, |&i| c.spec.nodes[i].real_memory)
    } else {
        d.pn_min_memory
    };
    let min_cpus = u16::try_from(mem.div_ceil(limit)).unwrap_or(u16::MAX);
    if d.pn_min_cpus == NO_VAL16 || d.pn_min_cpus < min_cpus {
        d.pn_min_cpus = min_cpus;
        if d.ntasks_per_node != NO_VAL16 && d.ntasks_per_node != 0 {
            d.cpus_per_task = min_cpus.div_ceil(d.ntasks_per_node);
        }
    }
}

/// CPUs and memory one node must offer.
pub fn per_node_need(d: &JobDesc) -> PerNodeNeed {
    let cpus = u32::from(d.pn_min_cpus.max(1));
    let memory_mb = if d.pn_min_memory & MEM_PER_CPU != 0 {
        (d.pn_min_memory & !MEM_PER_CPU).saturating_mul(u64::from(cpus))
    } else {
        d.pn_min_memory
    };
    PerNodeNeed { cpus, memory_mb }
}

/// GRES per node from `tres_per_node` ("gres:gpu:a100:4,gres:nic:1" or the
/// plain form).
pub fn requested_gres(tres_per_node: Option<&str>) -> Vec<super::spec::GresItem> {
    let Some(s) = tres_per_node else {
        return Vec::new();
    };
    let plain: Vec<&str> = s
        .split(',')
        .map(|item| item.strip_prefix("gres:").unwrap_or(item))
        .collect();
    parse_gres_list(&plain.join(","))
}

impl Controller {
    /// Next free job id, wrapping at MaxJobId back to FirstJobId.
    pub fn allocate_job_id(&mut self) -> u32 {
        let first = self.spec.limits.first_job_id.max(1);
        let max = self.spec.limits.max_job_id.max(first + 1);
        loop {
            let id = self.next_job_id;
            self.next_job_id = if id + 1 >= max { first } else { id + 1 };
            if !self.jobs.contains_key(&id) {
                return id;
            }
        }
    }

    /// A job's priority once it is no longer held (PriorityType).
    pub fn set_priority(&mut self, job: &mut Job) {
        job.priority = self.next_priority(job.desc.nice, job.part_index);
    }

    /// The priority of a new job with `nice` (NO_VAL = none) in partition
    /// `part_index`.
    pub fn next_priority(&mut self, nice: u32, part_index: usize) -> u32 {
        match self.spec.limits.priority {
            PriorityPolicy::Basic => self.next_basic_priority(nice),
            PriorityPolicy::Multifactor { weight_partition } => {
                self.multifactor_priority(nice, part_index, weight_partition)
            }
        }
    }

    /// priority/basic: each new job just below the lowest so far, less its nice.
    fn next_basic_priority(&mut self, nice: u32) -> u32 {
        let mut prio = if self.lowest_prio >= 2 {
            self.lowest_prio - 1
        } else {
            1
        };
        let offset = if nice == NO_VAL {
            0
        } else {
            i64::from(nice) - 0x8000_0000i64
        };
        if offset != 0 && (offset <= 0 || i64::from(prio) > offset + 1) {
            prio = (i64::from(prio) - offset).clamp(1, i64::from(u32::MAX)) as u32;
        }
        let prio = prio.max(1);
        // The next job counts down from this one's priority without its
        // nice, as upstream's set_job_prio keeps `lowest_prio`.
        let relative = (i64::from(prio) + offset).clamp(1, i64::from(u32::MAX)) as u32;
        self.lowest_prio = self.lowest_prio.min(relative);
        prio
    }

    /// priority/multifactor as upstream sums it: each factor (0..1) times
    /// its weight, less the nice value, at least 1 (0 means held). The
    /// partition factor is the partition's PriorityJobFactor over the
    /// largest of any partition.
    fn multifactor_priority(&self, nice: u32, part_index: usize, weight_partition: u32) -> u32 {
        let max_factor = self
            .spec
            .partitions
            .iter()
            .map(|p| p.priority_job_factor)
            .max()
            .unwrap_or(1)
            .max(1);
        let part_factor = self.spec.partitions.get(part_index).map_or(0.0, |p| {
            f64::from(p.priority_job_factor) / f64::from(max_factor)
        });
        let nice = if nice == NO_VAL {
            0.0
        } else {
            (i64::from(nice) - 0x8000_0000i64) as f64
        };
        let prio = part_factor * f64::from(weight_partition) - nice;
        prio.clamp(1.0, f64::from(u32::MAX)) as u32
    }

    /// Tests the job's unfulfilled dependencies as upstream's
    /// `test_job_dependency` does, and returns the reason to show while they
    /// hold it back. Each clause keeps its state once fulfilled or failed;
    /// once the whole expression is satisfied the list is dropped
    /// (`Dependency=(null)`).
    pub fn test_dependencies(&self, job: &mut Job) -> Option<JobReason> {
        let mut deps = job.dependencies.take()?;
        for item in deps.items.iter_mut() {
            if item.state == DependencyStatus::Unfulfilled {
                item.state = self.dependency_clause_state(job, item);
            }
        }
        let states = deps.items.iter().map(|d| d.state);
        let (satisfied, never) = if deps.any {
            let mut states = states.clone();
            (
                states.any(|s| s == DependencyStatus::Fulfilled),
                deps.items
                    .iter()
                    .all(|d| d.state == DependencyStatus::Failed),
            )
        } else {
            let mut all = states.clone();
            let mut any_failed = states;
            (
                all.all(|s| s == DependencyStatus::Fulfilled),
                any_failed.any(|s| s == DependencyStatus::Failed),
            )
        };
        if satisfied {
            job.desc.dependency = None;
            return None;
        }
        job.dependencies = Some(deps);
        Some(if never {
            JobReason::WAIT_DEP_INVALID
        } else {
            JobReason::WAIT_DEPENDENCY
        })
    }

    /// Where one still-unfulfilled clause of `job`'s dependencies stands now.
    fn dependency_clause_state(&self, job: &Job, d: &Dependency) -> DependencyStatus {
        use DependencyKind as K;
        use DependencyStatus as S;
        if d.kind == K::Singleton {
            // Another job of the same user and name already running, or
            // pending since before this one, holds it back.
            let blocked = self.jobs.values().any(|q| {
                q.job_id != job.job_id
                    && q.user_id == job.user_id
                    && q.desc.name == job.desc.name
                    && (q.base_state() == JobState::Running
                        || q.base_state() == JobState::Suspended
                        || (q.is_pending() && q.job_id < job.job_id))
            });
            return if blocked {
                S::Unfulfilled
            } else {
                S::Fulfilled
            };
        }
        // A job that is gone no longer holds anyone back.
        let Some(t) = self.dependency_target(d) else {
            return S::Fulfilled;
        };
        match d.kind {
            K::After if !t.pending => S::Fulfilled,
            K::AfterAny if t.completed => S::Fulfilled,
            K::AfterOk | K::AfterCorr if t.completed => {
                if t.complete {
                    S::Fulfilled
                } else {
                    S::Failed
                }
            }
            K::AfterNotOk if t.special_exit => S::Fulfilled,
            K::AfterNotOk if t.completed => {
                if t.complete {
                    S::Failed
                } else {
                    S::Fulfilled
                }
            }
            K::AfterBurstBuffer if t.completed => S::Fulfilled,
            _ => S::Unfulfilled,
        }
    }

    /// The state of what a clause waits for: one job, one array task, or a
    /// whole array taken together (a clause naming an array's id without
    /// a task). None when no such job is known.
    fn dependency_target(&self, d: &Dependency) -> Option<TargetState> {
        let records: Vec<&Job> = match d.array_task {
            Some(task) => self
                .jobs
                .values()
                .filter(|j| {
                    (j.array_job_id == d.job_id && j.array_task_id == Some(task))
                        || (j.job_id == d.job_id
                            && j.array.as_ref().is_some_and(|a| a.pending.get(task)))
                })
                .map(|j| &**j)
                .collect(),
            None => {
                let own = self.jobs.get(&d.job_id)?;
                if own.array_job_id == d.job_id && d.job_id != 0 {
                    self.jobs
                        .values()
                        .filter(|j| j.array_job_id == d.job_id || j.job_id == d.job_id)
                        .map(|j| &**j)
                        .collect()
                } else {
                    vec![&**own]
                }
            }
        };
        if records.is_empty() {
            return None;
        }
        let finished = |j: &Job| {
            j.base_state().is_finished() && j.state & super::job::state_flags::COMPLETING == 0
        };
        Some(TargetState {
            complete: records.iter().all(|j| j.base_state() == JobState::Complete),
            completed: records.iter().all(|j| finished(j)),
            pending: records.iter().any(|j| j.is_pending()),
            special_exit: records
                .iter()
                .any(|j| j.state & super::job::state_flags::SPECIAL_EXIT != 0),
        })
    }

    /// Sets eligible/accrue times once nothing but resources stand in the way.
    pub fn refresh_eligibility(&self, job: &mut Job, now: i64) {
        if !job.is_pending() {
            return;
        }
        if let Some(reason) = self.test_dependencies(job) {
            if job.priority != 0 {
                job.reason = reason;
                job.state_desc = None;
            }
            job.eligible_time = 0;
            job.accrue_time = 0;
            return;
        }
        let begin = job.desc.begin_time;
        if job.priority == 0 || (begin != 0 && begin > now) {
            return;
        }
        if job.eligible_time == 0 || job.eligible_time > now {
            job.eligible_time = now;
            job.accrue_time = now;
        }
    }
}

/// What a dependency clause sees of the job(s) it waits for.
struct TargetState {
    /// Every record COMPLETE (exit 0).
    complete: bool,
    /// Every record ended and done completing.
    completed: bool,
    /// Some record still pending.
    pending: bool,
    /// Some record requeued with a special exit code.
    special_exit: bool,
}
