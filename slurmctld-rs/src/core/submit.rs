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
use super::features::{self, FeatureItem};
use super::job::{
    ArrayTasks, Dependencies, Dependency, DependencyKind, DependencyStatus, Job, JobState,
};
use super::spec::{
    parse_gres_list, EnforcePartLimits, GresItem, PartitionSpec, PriorityPolicy, PART_STATE_SCHED,
    PART_STATE_SUBMIT,
};
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
    /// The record of a refused job upstream keeps (FAILED), with its
    /// script, to be stored.
    pub kept: Option<Box<BatchFiles>>,
}

impl Refusal {
    fn code(rc: SlurmRc) -> Self {
        Refusal {
            rc,
            msg: None,
            kept: None,
        }
    }
    fn with_msg(rc: SlurmRc, msg: impl Into<String>) -> Self {
        Refusal {
            rc,
            msg: Some(msg.into()),
            kept: None,
        }
    }
    /// The refusal of a job whose record stays.
    fn keeping(mut self, files: BatchFiles) -> Self {
        self.kept = Some(Box::new(files));
        self
    }
    pub(crate) fn into_outcome(self) -> Outcome {
        let reply = match self.msg {
            Some(m) => Message::SlurmRcMsg {
                rc: self.rc.0,
                msg: Some(m),
            },
            None => Message::SlurmRc { rc: self.rc.0 },
        };
        let durable = match self.kept {
            Some(files) => {
                let id = files.job_id;
                vec![Durable::Batch(files), Durable::Job(id)]
            }
            None => Vec::new(),
        };
        Outcome {
            reply,
            durable,
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
    // Upstream builds (and then purges) a real record: the test uses up a
    // job id and reports it.
    let job_id = match create(c, caller.clone(), desc, now, true) {
        Ok((id, _, _)) => id,
        Err(r) => return r.into_outcome(),
    };
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
    apply_part_min_nodes(&mut d, &c.spec.partitions[part_index]);
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
        job_id,
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
        suspend_time: 0,
        pre_sus_time: 0,
        dependencies: None,
        admin_hold: false,
        direct_prio: false,
        tres_req: "".into(),
        alloc: None,
        interactive: false,
        steps: Vec::new(),
        next_step_id: 0,
        desc: d,
        node_cnt_wag: 0,
        srun_timeout_sent: false,
        pending_steps: Vec::new(),
    };
    let (start_time, alloc) = match c.try_allocate(&job) {
        Some(a) => (now, Some(a)),
        None => match earliest_start(c, &job) {
            Some((when, a)) => (when, Some(a)),
            // Never, as far as running jobs go: a year out, no nodes.
            None => (now + 365 * 24 * 3600, None),
        },
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
            job_id,
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

/// When and where `job` could start once running jobs end at their end
/// times (upstream's will-run selection): frees their resources in that
/// order until the job fits, then puts everything back.
fn earliest_start(c: &mut Controller, job: &Job) -> Option<(i64, super::alloc::Allocation)> {
    let mut ending: Vec<(i64, u32)> = c
        .jobs
        .values()
        .filter(|j| j.base_state() == JobState::Running && j.end_time != 0)
        .filter(|j| j.alloc.as_ref().is_some_and(|a| !a.released))
        .map(|j| (j.end_time, j.job_id))
        .collect();
    ending.sort_unstable();
    let saved_nodes = c.nodes.clone();
    let mut released = Vec::new();
    let mut found = None;
    for (end, id) in ending {
        c.release_job_resources(id);
        released.push(id);
        if let Some(a) = c.try_allocate(job) {
            found = Some((end, a));
            break;
        }
    }
    c.nodes = saved_nodes;
    for id in released {
        if let Some(a) = c.jobs.get_mut(&id).and_then(|j| j.alloc.as_mut()) {
            a.released = false;
        }
    }
    found
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

    // Required nodes (validate_job_create_req): their count is the least
    // node count.
    let required = match desc.req_nodes.as_deref().filter(|n| !n.is_empty()) {
        None => None,
        Some(expr) => match wire::hostlist::expand(expr) {
            Ok(names) => Some(names),
            Err(_) => return Err(Refusal::code(SlurmRc::ESLURM_INVALID_NODE_NAME)),
        },
    };
    if let Some(names) = &required {
        let count = names.len() as u32;
        if desc.min_nodes == NO_VAL || desc.min_nodes < count {
            desc.min_nodes = count;
        }
    }

    // MaxJobCount (job_allocate), counting every array task.
    let records = array.as_ref().map_or(1, |a| a.count());
    if c.job_count.saturating_add(records) >= c.spec.limits.max_job_count {
        return Err(Refusal::code(SlurmRc(EAGAIN)));
    }

    // _job_create: required nodes must exist.
    let required: Option<Vec<usize>> = match required {
        None => None,
        Some(names) => {
            let found: Option<Vec<usize>> = names.iter().map(|n| c.node_index(n)).collect();
            match found {
                Some(mut v) => {
                    v.sort_unstable();
                    v.dedup();
                    Some(v)
                }
                None => return Err(Refusal::code(SlurmRc::ESLURM_INVALID_NODE_NAME)),
            }
        }
    };
    if let Some(nodes) = &required {
        let count = nodes.len() as u32;
        if count > desc.min_nodes {
            desc.min_nodes = count;
        }
        if count > desc.min_cpus {
            desc.min_cpus = count;
        }
        if desc.max_nodes != 0 && desc.min_nodes > desc.max_nodes {
            return Err(Refusal::code(SlurmRc::ESLURM_INVALID_NODE_COUNT));
        }
    }
    // Excluded nodes must exist too, and not be required ones.
    let excluded: Vec<usize> = match desc.exc_nodes.as_deref().filter(|n| !n.is_empty()) {
        None => Vec::new(),
        Some(expr) => {
            let found: Option<Vec<usize>> = wire::hostlist::expand(expr)
                .ok()
                .and_then(|names| names.iter().map(|n| c.node_index(n)).collect());
            match found {
                Some(v)
                    if !v
                        .iter()
                        .any(|i| required.as_ref().is_some_and(|r| r.contains(i))) =>
                {
                    v
                }
                _ => return Err(Refusal::code(SlurmRc::ESLURM_INVALID_NODE_NAME)),
            }
        }
    };
    // A zero node count is only for jobs without a script, never arrays.
    if desc.max_nodes == 0 && array.is_some() {
        return Err(Refusal::code(SlurmRc::ESLURM_INVALID_NODE_COUNT));
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
    // A partition that takes no submissions (DRAIN, INACTIVE) hands the job
    // to its Alternate (_alt_part_test).
    let part_index = submittable_partition(c, part_index).map_err(Refusal::code)?;
    let part = c.spec.partitions[part_index].clone();
    desc.partition = Some(part.name.clone());
    let enforce = c.spec.limits.enforce_part_limits != EnforcePartLimits::No;

    // _part_access_check: who may use it is always enforced...
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
    // ...its size and time limits only with EnforcePartLimits; without, the
    // job is accepted and pends with a Partition* reason.
    let asked = PartRequest {
        min_cpus: desc.min_cpus,
        min_nodes: desc.min_nodes,
        max_nodes: desc.max_nodes,
        time_limit: desc.time_limit,
        required: required.as_deref(),
    };
    if let (Some(rc), true) = (part_limit_failure(c, &part, &asked), enforce) {
        return Err(Refusal::code(rc));
    }

    // _valid_job_part: node counts against MinNodes/MaxNodes.
    let part_max_nodes = part.max_nodes.unwrap_or(INFINITE);
    if enforce && desc.min_nodes != NO_VAL && desc.min_nodes > part_max_nodes {
        return Err(Refusal::code(SlurmRc::ESLURM_INVALID_NODE_COUNT));
    }
    apply_part_min_nodes(&mut desc, &part);
    if enforce && desc.max_nodes != NO_VAL && desc.max_nodes < part.min_nodes {
        return Err(Refusal::code(SlurmRc::ESLURM_INVALID_NODE_COUNT));
    }
    if desc.min_nodes == 0 && array.is_some() {
        return Err(Refusal::code(SlurmRc::ESLURM_INVALID_NODE_COUNT));
    }

    // _valid_job_part: time limits.
    if desc.time_limit == NO_VAL && part.default_time == Some(0) {
        return Err(Refusal::code(SlurmRc::ESLURM_INVALID_TIME_LIMIT));
    }
    if desc.time_limit == NO_VAL {
        if let Some(d) = part.default_time {
            desc.time_limit = d;
        }
    }
    let max_time = part.max_time.unwrap_or(INFINITE);
    if desc.time_min != NO_VAL && desc.time_min > max_time {
        return Err(Refusal::code(SlurmRc::ESLURM_INVALID_TIME_MIN_LIMIT));
    }
    if enforce && desc.time_limit != NO_VAL && desc.time_limit > max_time && desc.time_min == NO_VAL
    {
        return Err(Refusal::code(SlurmRc::ESLURM_INVALID_TIME_LIMIT));
    }
    if desc.time_min != NO_VAL && desc.time_min > desc.time_limit {
        return Err(Refusal::code(SlurmRc::ESLURM_INVALID_TIME_MIN_LIMIT));
    }
    deadline_check(&desc, now).map_err(Refusal::code)?;
    // A deadline without any time limit runs at least a minute.
    if desc.deadline != 0 && desc.time_limit == NO_VAL && desc.time_min == NO_VAL {
        desc.time_min = 1;
    }

    // _validate_job_desc: fill the counts upstream fills.
    // A job whose memory is limited must be sampled at least as often as
    // JobAcctGatherFrequency says (acct_gather_check_acct_freq_task).
    if !acct_freq_ok(
        c.spec.limits.acct_freq_task,
        desc.pn_min_memory,
        desc.acctg_freq.as_deref(),
    ) {
        return Err(Refusal::code(SlurmRc::ESLURMD_INVALID_ACCT_FREQ));
    }
    // `--mem 0` is a request (all of each node's memory), not "unset".
    let mem_unset = desc.pn_min_memory == NO_VAL64;
    if !mem_unset {
        // Only a job's own memory request is passed on to srun/salloc.
        desc.bitflags |= wire::msg::job_desc::job_desc_flags::JOB_MEM_SET;
    }
    normalise_counts(&mut desc);
    // No memory request: the partition's, else the cluster's DefMemPerCPU/Node.
    if mem_unset {
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
    // A zero count asks for nothing and names nothing that must exist.
    let gres_per_node = requested_gres(desc.tres_per_node.as_deref());
    for g in gres_per_node.iter().filter(|g| g.count != 0) {
        if !c.spec.limits.gres_types.contains(&g.name) {
            return Err(Refusal::code(SlurmRc::ESLURM_INVALID_GRES));
        }
    }
    // Licenses must be configured, and no more than there are (license_validate).
    if let Some(l) = desc.licenses.as_deref().filter(|l| !l.is_empty()) {
        if !licenses_valid(&c.spec.limits.licenses, l) {
            return Err(Refusal::code(SlurmRc::ESLURM_INVALID_LICENSES));
        }
    }

    // From here on upstream has created the job record, so a refusal
    // still uses up the job id (`_copy_job_desc_to_job_record`).
    let job_id = c.allocate_job_id();
    let mut files = BatchFiles {
        job_id,
        script: desc.script.take(),
        environment: std::mem::take(&mut desc.environment),
    };

    // Dependencies (update_job_dependency).
    let dependencies = match desc.dependency.as_deref().filter(|d| !d.is_empty()) {
        None => None,
        Some(spec) => match Dependencies::parse(spec) {
            Some(mut d) => {
                c.mark_whole_arrays(&mut d);
                Some(d)
            }
            None => return Err(Refusal::code(SlurmRc::ESLURM_DEPENDENCY)),
        },
    };

    // job_allocate sets the priority before its test selection, so a job
    // refused there, and a `--test-only` probe, has still used up a
    // priority value.
    let held = desc.priority == 0;
    let priority = if held {
        0
    } else {
        c.next_priority(desc.nice, part_index)
    };

    // Constraints (build_feature_list): well formed, and naming only
    // features some node of the cluster has.
    let features = match desc.features.as_deref().filter(|f| !f.is_empty()) {
        None => None,
        Some(expr) => match features::validated(expr, &c.spec.nodes) {
            Some(items) => Some(items),
            None => return Err(Refusal::code(SlurmRc::ESLURM_INVALID_FEATURE)),
        },
    };

    let mut desc = JobDesc::from_descriptor(desc, &mut c.strings);
    // job_allocate's partition test (job_limits_check), on the counts as
    // stored; it may also raise the CPUs per node to fit MaxMemPerCPU.
    let limits_reason = part_limits_reason(c, &part, &desc, desc.time_limit);
    if limits_reason.is_none() {
        if let Ok(Some(adjusted)) = fit_max_mem_per_cpu(c, &part, &desc) {
            apply_mem_fit(&mut desc, adjusted);
        }
    }
    let selects = !held && limits_reason.is_none_or(|r| r == JobReason::WAIT_PART_DOWN);
    let verdict = if selects {
        test_selection(
            c,
            &part,
            &desc,
            features.as_deref(),
            &gres_per_node,
            required.as_deref(),
            &excluded,
        )
    } else if limits_reason.is_some_and(|r| r != JobReason::WAIT_PART_DOWN) && enforce {
        // With EnforcePartLimits a job the partition cannot run is refused.
        Err(Refusal::code(
            SlurmRc::ESLURM_REQUESTED_PART_CONFIG_UNAVAILABLE,
        ))
    } else {
        Ok(())
    };

    if test_only {
        verdict?;
        return Ok((job_id, SlurmRc::SUCCESS, files));
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
        suspend_time: 0,
        pre_sus_time: 0,
        dependencies: None,
        admin_hold: false,
        direct_prio: false,
        tres_req: c.strings.get(""),
        alloc: None,
        interactive: false,
        steps: Vec::new(),
        next_step_id: 0,
        desc,
        node_cnt_wag: 0,
        srun_timeout_sent: false,
        pending_steps: Vec::new(),
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
    if let Err(refusal) = verdict {
        // Refused by job_allocate's selection: upstream keeps the record,
        // FAILED for bad constraints, until MinJobAge purges it.
        job.priority = priority;
        // job_independent ran first: eligible unless waiting on time
        // (dependencies are not kept on it).
        if job.desc.begin_time <= now {
            job.eligible_time = now;
        }
        job.state = JobState::Failed as u32;
        job.exit_code = 1;
        Controller::set_reason(&mut job, JobReason::FAIL_BAD_CONSTRAINTS, None);
        job.start_time = now;
        job.end_time = now;
        c.job_count += records;
        c.jobs.insert(job_id, Box::new(job));
        c.last_job_update = now;
        return Err(refusal.keeping(files));
    }
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
    let begins_later = job.desc.begin_time > now;
    // Dependencies still listed after the test are unmet.
    let code = if held || job.dependencies.is_some() {
        code
    } else if begins_later {
        // job_independent: not before its --begin time.
        Controller::set_reason(&mut job, JobReason::WAIT_TIME, None);
        code
    } else if let Some(reason) = limits_reason {
        // What the scheduler's next pass shows (job_limits_check); a DOWN
        // partition keeps the job queued.
        Controller::set_reason(&mut job, reason, None);
        if reason == JobReason::WAIT_PART_DOWN {
            SlurmRc::SUCCESS
        } else {
            SlurmRc::ESLURM_REQUESTED_PART_CONFIG_UNAVAILABLE
        }
    } else if job.eligible_time != 0 {
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

/// SelectTypeParameters for jobs in `part` (its own, else the cluster's).
fn cr_type(c: &Controller, part: &PartitionSpec) -> u16 {
    if part.cr_type != 0 {
        part.cr_type
    } else {
        c.spec.limits.select_type_param
    }
}

/// `CR_CPU`, `CR_SOCKET`, `CR_CORE`, `CR_BOARD`, `CR_MEMORY`.
const CR_CPU: u16 = 0x0001;
const CR_SOCKET: u16 = 0x0002;
const CR_CORE: u16 = 0x0004;
const CR_BOARD: u16 = 0x0008;
const CR_MEMORY: u16 = 0x0010;

/// SelectType=select/linear: whole nodes only.
fn is_linear(c: &Controller) -> bool {
    c.spec.limits.select_plugin_id == wire::msg::common::select_plugin::LINEAR
}

/// Whether memory is a consumable the selection checks.
fn tracks_memory(c: &Controller, part: &PartitionSpec) -> bool {
    cr_type(c, part) & CR_MEMORY != 0
}

/// CPUs a node would be given for `cpus`: whole sockets or cores as the
/// consumable resource says, the whole node when exclusive, with
/// select/linear, or when only memory is consumable.
fn granted_cpus(
    c: &Controller,
    part: &PartitionSpec,
    node: usize,
    cpus: u32,
    exclusive: bool,
) -> u32 {
    let n = &c.spec.nodes[node];
    let whole = u32::from(n.cpus);
    let cr = cr_type(c, part);
    let linear = is_linear(c);
    let only_memory = cr & (CR_CPU | CR_SOCKET | CR_CORE | CR_BOARD) == 0 && cr & CR_MEMORY != 0;
    if exclusive || linear || only_memory {
        return whole;
    }
    let threads = u32::from(n.threads_per_core.max(1));
    let unit = if cr & CR_SOCKET != 0 {
        u32::from(n.cores_per_socket.max(1)) * threads
    } else if cr & CR_CORE != 0 {
        threads
    } else {
        1
    };
    cpus.div_ceil(unit) * unit
}

/// MB a node must have for a job given `cpus` there.
fn memory_for(desc: &JobDesc, cpus: u32) -> u64 {
    if desc.pn_min_memory & MEM_PER_CPU != 0 {
        (desc.pn_min_memory & !MEM_PER_CPU).saturating_mul(u64::from(cpus))
    } else {
        desc.pn_min_memory
    }
}

/// MinNodes raises a job's node count: an unset one always, a smaller one
/// when its maximum allows (`_valid_job_part`).
/// `_valid_job_part` on `--deadline`: it must not be past, and the job's
/// minimum time (else, with no minimum, its time limit) must fit before it.
fn deadline_check(desc: &JobDescriptor, now: i64) -> Result<(), SlurmRc> {
    let deadline = desc.deadline;
    if deadline == 0 || deadline == i64::from(NO_VAL) {
        return Ok(());
    }
    if deadline < now {
        return Err(SlurmRc::ESLURM_INVALID_TIME_LIMIT);
    }
    let fits = |minutes: u32| deadline >= now + i64::from(minutes) * 60;
    if desc.time_min != 0 && desc.time_min != NO_VAL && !fits(desc.time_min) {
        return Err(SlurmRc::ESLURM_INVALID_TIME_MIN_LIMIT);
    }
    let limit = desc.time_limit;
    if desc.time_min == 0 && limit != 0 && limit != NO_VAL && !fits(limit) {
        return Err(SlurmRc::ESLURM_INVALID_TIME_LIMIT);
    }
    Ok(())
}

fn apply_part_min_nodes(desc: &mut JobDescriptor, part: &PartitionSpec) {
    if desc.min_nodes == NO_VAL {
        desc.min_nodes = part.min_nodes.max(1);
    } else if desc.min_nodes < part.min_nodes
        && (desc.max_nodes == NO_VAL || desc.max_nodes >= part.min_nodes)
    {
        desc.min_nodes = part.min_nodes;
    }
}

/// The partition a job submitted to `index` goes to: itself if it takes
/// submissions, else the first of its Alternate chain that does.
fn submittable_partition(c: &Controller, index: usize) -> Result<usize, SlurmRc> {
    let parts = &c.spec.partitions;
    if parts[index].state_up & PART_STATE_SUBMIT != 0 {
        return Ok(index);
    }
    let mut alternate = parts[index].alternate.as_deref();
    // Bounded: a chain that loops without coming back is no alternative.
    for _ in 0..parts.len() {
        let Some(name) = alternate else { break };
        let Some(alt) = c.partition_index(name) else {
            return Err(SlurmRc::ESLURM_INVALID_PARTITION_NAME);
        };
        if alt == index {
            break;
        }
        if parts[alt].state_up & PART_STATE_SUBMIT != 0 {
            return Ok(alt);
        }
        alternate = parts[alt].alternate.as_deref();
    }
    Err(SlurmRc::ESLURM_PARTITION_NOT_AVAIL)
}

/// What a job asks that a partition's limits are checked against (NO_VAL =
/// not asked).
pub struct PartRequest<'a> {
    /// Least CPUs in total.
    pub min_cpus: u32,
    /// Least nodes.
    pub min_nodes: u32,
    /// Most nodes.
    pub max_nodes: u32,
    /// Minutes.
    pub time_limit: u32,
    /// `--nodelist`, as node indices.
    pub required: Option<&'a [usize]>,
}

/// The first partition limit the request breaks (upstream's
/// `_part_access_check` after its access tests). Sizes and time are only
/// checked while the partition schedules jobs.
pub fn part_limit_failure(
    c: &Controller,
    part: &PartitionSpec,
    r: &PartRequest,
) -> Option<SlurmRc> {
    let schedules = part.state_up & PART_STATE_SCHED != 0;
    let asked = |v: u32| schedules && v != NO_VAL;
    let total_cpus: u64 = part
        .nodes
        .iter()
        .map(|&i| u64::from(c.spec.nodes[i].cpus))
        .sum();
    let total_nodes = part.nodes.len() as u32;
    if asked(r.min_cpus) {
        let per_node_cap = part
            .max_cpus_per_node
            .map(|m| u64::from(m) * u64::from(total_nodes));
        if u64::from(r.min_cpus) > total_cpus
            || per_node_cap.is_some_and(|cap| u64::from(r.min_cpus) > cap)
        {
            return Some(SlurmRc::ESLURM_TOO_MANY_REQUESTED_CPUS);
        }
    }
    if asked(r.min_nodes) && r.min_nodes > total_nodes {
        return Some(SlurmRc::ESLURM_INVALID_NODE_COUNT);
    }
    if r.required
        .is_some_and(|req| req.iter().any(|i| !part.nodes.contains(i)))
    {
        return Some(SlurmRc::ESLURM_REQUESTED_NODES_NOT_IN_PARTITION);
    }
    if asked(r.min_nodes) && r.min_nodes < part.min_nodes {
        return Some(SlurmRc::ESLURM_INVALID_NODE_COUNT);
    }
    if asked(r.max_nodes) && r.max_nodes > part.max_nodes.unwrap_or(INFINITE) {
        return Some(SlurmRc::ESLURM_INVALID_NODE_COUNT);
    }
    if asked(r.time_limit) && r.time_limit > part.max_time.unwrap_or(INFINITE) {
        return Some(SlurmRc::ESLURM_INVALID_TIME_LIMIT);
    }
    None
}

/// Why a job in `part` cannot run now for reasons of the partition itself,
/// as upstream's `job_limits_check` words it: a broken limit, the
/// partition's state, or a memory request over MaxMemPerCPU/Node.
pub fn part_limits_reason(
    c: &Controller,
    part: &PartitionSpec,
    desc: &JobDesc,
    time_limit: u32,
) -> Option<JobReason> {
    let request = PartRequest {
        min_cpus: desc.min_cpus,
        min_nodes: desc.min_nodes,
        // An unset maximum is stored as 0.
        max_nodes: if desc.max_nodes == 0 {
            NO_VAL
        } else {
            desc.max_nodes
        },
        time_limit,
        required: None,
    };
    if let Some(rc) = part_limit_failure(c, part, &request) {
        return Some(match rc {
            SlurmRc::ESLURM_INVALID_TIME_LIMIT => JobReason::WAIT_PART_TIME_LIMIT,
            SlurmRc::ESLURM_INVALID_NODE_COUNT => JobReason::WAIT_PART_NODE_LIMIT,
            _ => JobReason::WAIT_PART_CONFIG,
        });
    }
    match part.state_up {
        PART_STATE_DOWN => return Some(JobReason::WAIT_PART_DOWN),
        PART_STATE_INACTIVE => return Some(JobReason::WAIT_PART_INACTIVE),
        _ => {}
    }
    match fit_max_mem_per_cpu(c, part, desc) {
        Err(OverMemLimit) => Some(JobReason::WAIT_PN_MEM_LIMIT),
        Ok(_) => None,
    }
}

/// `state_up` of State=DOWN: takes submissions, schedules nothing.
const PART_STATE_DOWN: u16 = PART_STATE_SUBMIT;
/// `state_up` of State=INACTIVE.
const PART_STATE_INACTIVE: u16 = 0;

/// The counts a job gets so that its memory stays within MaxMemPerCPU.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemFit {
    /// CPUs per node.
    pub pn_min_cpus: u16,
    /// CPUs per task.
    pub cpus_per_task: u16,
    /// CPUs in total.
    pub min_cpus: u32,
    /// Memory in wire form.
    pub pn_min_memory: u64,
}

/// A memory request over MaxMemPerNode (or per CPU times the CPUs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OverMemLimit;

/// Upstream's `_valid_pn_min_mem` as its partition test applies it: a job
/// asking more memory per CPU than MaxMemPerCPU gets more CPUs instead (a
/// memory request of 0 means the first node's whole memory). Ok(None) when
/// nothing changes, Err when even that cannot fit a MaxMemPerNode.
pub fn fit_max_mem_per_cpu(
    c: &Controller,
    part: &PartitionSpec,
    desc: &JobDesc,
) -> Result<Option<MemFit>, OverMemLimit> {
    let sys = if part.max_mem_per_cpu != 0 {
        part.max_mem_per_cpu
    } else {
        c.spec.limits.max_mem_per_cpu
    };
    if sys == 0 || sys == MEM_PER_CPU {
        return Ok(None);
    }
    let set = |v: u16| v != NO_VAL16 && v != 0;
    let mut fit = MemFit {
        pn_min_cpus: desc.pn_min_cpus,
        cpus_per_task: if desc.cpus_per_task == NO_VAL16 {
            1
        } else {
            desc.cpus_per_task
        },
        min_cpus: desc.min_cpus,
        pn_min_memory: desc.pn_min_memory,
    };
    let num_tasks = if desc.num_tasks != 0 && desc.num_tasks != NO_VAL {
        desc.num_tasks
    } else if desc.ntasks_per_node != NO_VAL16 {
        desc.min_nodes * u32::from(desc.ntasks_per_node)
    } else {
        desc.min_nodes
    };
    let job = desc.pn_min_memory;
    let per_cpu = |v: u64| v & MEM_PER_CPU != 0;
    let mb = |v: u64| v & !MEM_PER_CPU;

    if per_cpu(job) && per_cpu(sys) {
        if mb(job) <= mb(sys) {
            return Ok(None);
        }
        // More CPUs per task, each with less memory.
        let ratio = mb(job).div_ceil(mb(sys));
        fit.cpus_per_task =
            (u64::from(fit.cpus_per_task) * ratio).min(u64::from(u16::MAX - 1)) as u16;
        fit.pn_min_memory = mb(job).div_ceil(ratio) | MEM_PER_CPU;
        if num_tasks != 0 && desc.min_cpus != NO_VAL {
            fit.min_cpus = num_tasks * u32::from(fit.cpus_per_task);
        } else {
            fit.pn_min_cpus = fit.cpus_per_task;
        }
        return Ok(Some(fit));
    }

    let job = if job == 0 {
        part.nodes
            .first()
            .map_or(0, |&i| c.spec.nodes[i].real_memory)
    } else {
        job
    };
    if !per_cpu(job) && !per_cpu(sys) {
        return if job <= sys {
            Ok(None)
        } else {
            Err(OverMemLimit)
        };
    }

    // One limit per CPU, the other per node: compare per node.
    let mut cpus_per_node: u64 = if part.max_share == 0 || desc.shared == 0 {
        part.nodes
            .first()
            .map_or(0, |&i| u64::from(c.spec.nodes[i].cpus))
    } else {
        let mut n = if set(desc.ntasks_per_node) {
            u64::from(desc.ntasks_per_node)
        } else {
            1
        };
        let max_nodes = desc.max_nodes;
        if num_tasks != 0 && max_nodes != NO_VAL && max_nodes != 0 {
            n = n.max(u64::from(num_tasks.div_ceil(max_nodes)));
        }
        if set(desc.cpus_per_task) {
            n *= u64::from(desc.cpus_per_task);
        }
        if desc.pn_min_cpus != NO_VAL16 && u64::from(desc.pn_min_cpus) > n {
            n = u64::from(desc.pn_min_cpus);
        }
        n
    };
    let mut changed = false;
    let (job_mb, sys_mb) = if per_cpu(job) {
        (mb(job) * cpus_per_node, sys)
    } else {
        // A memory per node needs enough CPUs to be within the per-CPU limit.
        let min_cpus = job.div_ceil(mb(sys));
        if desc.pn_min_cpus == NO_VAL16 || u64::from(desc.pn_min_cpus) < min_cpus {
            fit.pn_min_cpus = min_cpus.min(u64::from(u16::MAX - 1)) as u16;
            cpus_per_node = cpus_per_node.max(min_cpus);
            if desc.ntasks_per_node != 0 {
                fit.cpus_per_task = fit.pn_min_cpus.div_ceil(desc.ntasks_per_node);
            }
            changed = true;
        }
        (job, mb(sys) * cpus_per_node)
    };
    if job_mb > sys_mb {
        return Err(OverMemLimit);
    }
    Ok(changed.then_some(fit))
}

/// Stores the counts [`fit_max_mem_per_cpu`] chose.
fn apply_mem_fit(desc: &mut JobDesc, fit: MemFit) {
    desc.pn_min_cpus = fit.pn_min_cpus;
    desc.cpus_per_task = fit.cpus_per_task;
    desc.min_cpus = fit.min_cpus;
    desc.pn_min_memory = fit.pn_min_memory;
}

/// The submit-time selection's verdict on the node configuration: can
/// enough nodes of the partition that match the constraints ever hold one
/// node's share of this job? The reasons are upstream's
/// (`_build_node_list`).
fn test_selection(
    c: &Controller,
    part: &PartitionSpec,
    desc: &JobDesc,
    features: Option<&[FeatureItem]>,
    gres_per_node: &[GresItem],
    required: Option<&[usize]>,
    excluded: &[usize],
) -> Result<(), Refusal> {
    let has_feature = |i: usize, name: &str| {
        c.spec.nodes[i]
            .features
            .as_deref()
            .is_some_and(|f| f.split(',').any(|x| x == name))
    };
    let allowed: Vec<usize> = part
        .nodes
        .iter()
        .copied()
        .filter(|i| !excluded.contains(i))
        .collect();
    let candidates = match features {
        Some(items) => features::filter_nodes(items, &allowed, has_feature),
        None => allowed,
    };
    // `-N 0` in a partition without MinNodes: no nodes at all is only for
    // burst buffer jobs (select_nodes).
    if desc.min_nodes == 0 && (desc.max_nodes == 0 || desc.max_nodes == NO_VAL) {
        return Err(Refusal::code(SlurmRc::ESLURM_INVALID_NODE_COUNT));
    }
    let unavailable = || Refusal::code(SlurmRc::ESLURM_REQUESTED_NODE_CONFIG_UNAVAILABLE);
    if candidates.is_empty() {
        // No node left to be found wanting: no particular message.
        return Err(unavailable());
    }
    let need = per_node_need(desc);
    let mut cpus_ok = false;
    let mut mem_ok = false;
    let mut tmp_ok = false;
    let mut fitting = 0u32;
    let mut usable = Vec::new();
    for &i in &candidates {
        let n = &c.spec.nodes[i];
        // MaxCPUsPerNode is the selection's business (no message).
        let cpu_fit = need.cpus <= u32::from(n.cpus);
        // The node list check compares the memory figure as given (per
        // CPU or per node) with the node's memory...
        let mem_fit = (desc.pn_min_memory & !MEM_PER_CPU) <= n.real_memory;
        let gres_fit = gres_per_node
            .iter()
            .all(|g| n.gres_count(&g.name, g.kind.as_deref()) >= g.count);
        cpus_ok |= cpu_fit;
        mem_ok |= cpu_fit && mem_fit;
        if cpu_fit && mem_fit {
            usable.push(i);
        }
        // ...the selection then needs the CPUs it would really grant, and
        // memory for each of them.
        let granted = granted_cpus(c, part, i, need.cpus, desc.shared == 0);
        // MaxCPUsPerNode caps what the job asks, and whole nodes for an
        // exclusive job, but not the rounding to sockets or cores, nor
        // select/linear's whole nodes.
        let counted = if desc.shared == 0 && !is_linear(c) {
            granted
        } else {
            need.cpus
        };
        let select_fit = granted <= u32::from(n.cpus)
            && part.max_cpus_per_node.is_none_or(|m| counted <= m)
            && (!tracks_memory(c, part) || memory_for(desc, granted) <= n.real_memory);
        // TmpDisk is a node filter of its own (job_req_node_filter).
        let tmp_fit = desc.pn_min_tmp_disk == NO_VAL || desc.pn_min_tmp_disk <= n.tmp_disk;
        tmp_ok |= cpu_fit && mem_fit && tmp_fit;
        if cpu_fit && mem_fit && select_fit && gres_fit && tmp_fit {
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
    if !tmp_ok {
        return Err(Refusal::with_msg(
            SlurmRc::ESLURM_REQUESTED_NODE_CONFIG_UNAVAILABLE,
            "Temporary disk specification can not be satisfied",
        ));
    }
    // Every --nodelist node must be one the job could use (_nodes_in_sets).
    if required.is_some_and(|req| req.iter().any(|i| !usable.contains(i))) {
        return Err(unavailable());
    }
    if fitting < desc.min_nodes.max(1) {
        return Err(unavailable());
    }
    Ok(())
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
/// The task sampling interval of an `--acctg-freq` or
/// JobAcctGatherFrequency value (`30` or `task=30,...`; None: not given).
pub fn task_freq(spec: &str) -> Option<u32> {
    let spec = spec.trim();
    if spec.is_empty() {
        return None;
    }
    if let Ok(n) = spec.parse() {
        return Some(n);
    }
    spec.split(',')
        .find_map(|kv| kv.strip_prefix("task="))
        .and_then(|v| v.parse().ok())
}

/// Whether `--acctg-freq` keeps a memory-limited job sampled often enough.
fn acct_freq_ok(conf_task: u32, pn_min_memory: u64, acctg_freq: Option<&str>) -> bool {
    let limited = pn_min_memory != NO_VAL64 && pn_min_memory & !MEM_PER_CPU != 0;
    if !limited || conf_task == 0 {
        return true;
    }
    match acctg_freq.and_then(task_freq) {
        None => true,
        Some(0) => false,
        Some(f) => f <= conf_task,
    }
}

/// `-L name[:count][,name...]` (also `*count`, `|` between alternatives)
/// against `Licenses=`.
fn licenses_valid(configured: &[(String, u32)], request: &str) -> bool {
    request.split([',', '|']).all(|item| {
        let (name, count) = match item.split_once([':', '*']) {
            Some((n, c)) => match c.parse::<u32>() {
                Ok(c) => (n, c),
                Err(_) => return false,
            },
            None => (item, 1),
        };
        configured
            .iter()
            .any(|(have, total)| have == name && count <= *total)
    })
}

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

    /// A clause naming an array's id without a task waits for the whole
    /// array (upstream shows it as `id_*`).
    pub fn mark_whole_arrays(&self, deps: &mut Dependencies) {
        for d in deps.items.iter_mut().filter(|d| d.array_task.is_none()) {
            let is_array = self
                .jobs
                .get(&d.job_id)
                .is_some_and(|j| j.array_job_id == d.job_id && d.job_id != 0);
            if is_array {
                d.array_task = Some(WHOLE_ARRAY);
            }
        }
    }

    /// The state of what a clause waits for: one job, one array task, or a
    /// whole array taken together (a clause naming an array's id without
    /// a task). None when no such job is known.
    fn dependency_target(&self, d: &Dependency) -> Option<TargetState> {
        let records: Vec<&Job> = match d.array_task.filter(|&t| t != WHOLE_ARRAY) {
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
        let begin = job.desc.begin_time;
        // With no limits enforced (no accounting) each of upstream's passes
        // gives a pending job without one its begin time as accrue time,
        // a future `--begin` included, held or dependent as it may be.
        if job.accrue_time == 0 && begin > now {
            job.accrue_time = begin;
        }
        if let Some(reason) = self.test_dependencies(job) {
            if job.priority != 0 {
                job.reason = reason;
                job.state_desc = None;
            }
            job.eligible_time = 0;
            return;
        }
        if job.priority == 0 || (begin != 0 && begin > now) {
            return;
        }
        if job.eligible_time == 0 || job.eligible_time > now {
            job.eligible_time = now;
            job.accrue_time = now;
        }
    }
}

/// A dependency clause's task meaning "every task of the array".
pub const WHOLE_ARRAY: u32 = INFINITE;

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
