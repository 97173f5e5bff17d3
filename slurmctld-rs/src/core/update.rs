//! Changes to existing jobs, nodes and partitions: scancel, scontrol
//! hold/release/update/requeue, node drain/resume and partition updates
//! (upstream `job_signal`, `_update_job`, `job_requeue`, `update_node`,
//! `update_part`).

use wire::errno::SlurmRc;
use wire::job_reason::JobReason;
use wire::msg::{JobDescriptor, JobStepKill, Message, UpdateNode, UpdatePartition};
use wire::pack::{Bitmap, INFINITE, NO_VAL, NO_VAL16, NO_VAL64};

use super::job::{Dependencies, JobState};
use super::node::{base, flag};
use super::spec::{PriorityPolicy, PART_STATE_SUBMIT};
use super::{Caller, Controller, Durable, Effect, Outcome};

/// SIGKILL.
const SIGKILL: u16 = 9;
use wire::msg::complete::kill_flags;
/// `ALLOC_SID_USER_HOLD`: scontrol uhold marks a hold as the user's own.
const ALLOC_SID_USER_HOLD: u32 = 2;

/// A job id expression: `1000`, `1000_7`, `1000_[1-3,5]`, `1000_*`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobIdExpr {
    /// The job or array job id.
    pub job_id: u32,
    /// Selected array tasks; None = the whole job.
    pub tasks: Option<Vec<u32>>,
}

impl JobIdExpr {
    /// Parses an expression; None when malformed.
    pub fn parse(s: &str) -> Option<JobIdExpr> {
        let s = s.trim();
        let (job, tasks) = match s.split_once('_') {
            None => (s, None),
            Some((j, "*")) => (j, None),
            Some((j, t)) => {
                let t = t
                    .strip_prefix('[')
                    .and_then(|t| t.strip_suffix(']'))
                    .unwrap_or(t);
                let t = t.split('%').next()?;
                let mut ids = Vec::new();
                for part in t.split(',') {
                    match part.split_once('-') {
                        Some((a, b)) => {
                            let (a, b) = (a.parse::<u32>().ok()?, b.parse::<u32>().ok()?);
                            if a > b || b - a > 1_000_000 {
                                return None;
                            }
                            ids.extend(a..=b);
                        }
                        None => ids.push(part.parse().ok()?),
                    }
                }
                (j, Some(ids))
            }
        };
        let job_id = job.parse::<u32>().ok().filter(|&j| j != 0)?;
        Some(JobIdExpr { job_id, tasks })
    }
}

fn rc(code: SlurmRc) -> Outcome {
    Outcome {
        reply: Message::SlurmRc { rc: code.0 },
        durable: Vec::new(),
        effects: Vec::new(),
    }
}

fn changed(reply_rc: SlurmRc, durable: Vec<Durable>) -> Outcome {
    Outcome {
        reply: Message::SlurmRc { rc: reply_rc.0 },
        durable,
        effects: vec![Effect::ScheduleSoon],
    }
}

/// The job a `job_id_str`/`job_id` pair names, resolving array task ids to
/// the record that holds them.
fn resolve(
    c: &Controller,
    id_str: Option<&str>,
    job_id: u32,
) -> Result<(u32, Option<Vec<u32>>), SlurmRc> {
    let expr = match id_str.filter(|s| !s.is_empty()) {
        Some(s) => JobIdExpr::parse(s).ok_or(SlurmRc::ESLURM_INVALID_JOB_ID)?,
        None => JobIdExpr {
            job_id,
            tasks: None,
        },
    };
    if !c.jobs.contains_key(&expr.job_id) {
        // A split-off task is addressed as array_job_id_task.
        if let Some(tasks) = &expr.tasks {
            if let Some(j) = c.jobs.values().find(|j| {
                j.array_job_id == expr.job_id && j.array_task_id.is_some_and(|t| tasks.contains(&t))
            }) {
                return Ok((j.job_id, None));
            }
        }
        return Err(SlurmRc::ESLURM_INVALID_JOB_ID);
    }
    Ok((expr.job_id, expr.tasks))
}

/// REQUEST_KILL_JOB (scancel). An array's id names every record of the
/// array (its pending tasks and the tasks already split off to run);
/// `id_N` / `id_[a-b]` name those tasks wherever they are now, as upstream's
/// `job_str_signal` finds them.
pub fn kill_job(c: &mut Controller, caller: Caller, k: &JobStepKill, now: i64) -> Outcome {
    let expr = match k.sjob_id.as_deref().filter(|s| !s.is_empty()) {
        Some(s) => match JobIdExpr::parse(s) {
            Some(e) => e,
            None => return rc(SlurmRc::ESLURM_INVALID_JOB_ID),
        },
        None => JobIdExpr {
            job_id: k.step_id.job_id,
            tasks: None,
        },
    };
    let targets = kill_targets(c, &expr);
    if targets.is_empty() {
        return rc(SlurmRc::ESLURM_INVALID_JOB_ID);
    }
    let mut out = Outcome {
        reply: Message::SlurmRc { rc: 0 },
        durable: Vec::new(),
        effects: Vec::new(),
    };
    let mut last_error = None;
    let mut any_ok = false;
    for (job_id, tasks) in targets {
        match kill_record(c, &caller, k, job_id, tasks.as_deref(), now) {
            Ok(done) => {
                any_ok = true;
                out.durable.extend(done.durable);
                out.effects.extend(done.effects);
            }
            Err(e) => last_error = Some(e),
        }
    }
    match last_error {
        Some(e) if !any_ok => rc(e),
        _ => {
            if !out.durable.is_empty() {
                out.effects.push(Effect::ScheduleSoon);
            }
            out
        }
    }
}

/// The records `expr` names, each with the pending tasks to cancel in it
/// (None = the whole record).
fn kill_targets(c: &Controller, expr: &JobIdExpr) -> Vec<(u32, Option<Vec<u32>>)> {
    let id = expr.job_id;
    let is_array = c.jobs.get(&id).is_some_and(|j| j.array_job_id == id)
        || c.jobs.values().any(|j| j.array_job_id == id);
    let Some(tasks) = &expr.tasks else {
        if !is_array {
            return if c.jobs.contains_key(&id) {
                vec![(id, None)]
            } else {
                Vec::new()
            };
        }
        let mut all: Vec<u32> = c
            .jobs
            .values()
            .filter(|j| j.array_job_id == id || j.job_id == id)
            .map(|j| j.job_id)
            .collect();
        all.sort_unstable();
        return all.into_iter().map(|j| (j, None)).collect();
    };
    let mut targets: Vec<(u32, Option<Vec<u32>>)> = Vec::new();
    let mut in_meta = Vec::new();
    for &t in tasks {
        if let Some(j) = c
            .jobs
            .values()
            .find(|j| j.array_job_id == id && j.array_task_id == Some(t))
        {
            targets.push((j.job_id, None));
        } else if c
            .jobs
            .get(&id)
            .and_then(|j| j.array.as_ref())
            .is_some_and(|a| a.pending.get(t))
        {
            in_meta.push(t);
        }
    }
    if !in_meta.is_empty() {
        targets.push((id, Some(in_meta)));
    }
    targets
}

struct Killed {
    durable: Vec<Durable>,
    effects: Vec<Effect>,
}

/// Signals or cancels one record: a running job gets the signal (SIGKILL
/// ends it), a pending one is cancelled whole or loses the named tasks.
fn kill_record(
    c: &mut Controller,
    caller: &Caller,
    k: &JobStepKill,
    job_id: u32,
    tasks: Option<&[u32]>,
    now: i64,
) -> Result<Killed, SlurmRc> {
    let privileged = c.is_privileged(caller.uid);
    let job = c
        .jobs
        .get_mut(&job_id)
        .ok_or(SlurmRc::ESLURM_INVALID_JOB_ID)?;
    if job.user_id != caller.uid && !privileged {
        return Err(SlurmRc::ESLURM_ACCESS_DENIED);
    }
    if job.base_state().is_finished() {
        return Err(SlurmRc::ESLURM_ALREADY_DONE);
    }
    if job.base_state() == JobState::Suspended && k.signal == SIGKILL {
        // Cancelled while suspended: it ended when it was suspended
        // (upstream's `job_signal`); it gets its CPUs back to free them.
        let ended = job.suspend_time;
        c.set_cpus_in_use(job_id, true, now);
        let effects = c.cancel_running(job_id, now);
        if let Some(job) = c.jobs.get_mut(&job_id) {
            job.end_time = ended;
        }
        return Ok(Killed {
            durable: vec![Durable::Job(job_id)],
            effects,
        });
    }
    if job.base_state() == JobState::Running {
        // SIGKILL of the whole job deallocates it; anything narrower is a
        // plain signal (upstream's `job_signal`).
        let narrowed = k.flags & (kill_flags::JOB_BATCH | kill_flags::STEPS_ONLY) != 0;
        let effects = if k.signal == SIGKILL && !narrowed {
            c.cancel_running(job_id, now)
        } else {
            vec![Effect::SignalJob {
                job_id,
                signals: vec![k.signal],
                flags: k.flags,
            }]
        };
        return Ok(Killed {
            durable: vec![Durable::Job(job_id)],
            effects,
        });
    }
    if !job.is_pending() || k.signal != SIGKILL {
        return Err(SlurmRc::ESLURM_TRANSITION_STATE_NO_UPDATE);
    }
    let mut freed: u32 = 0;
    match (tasks, job.array.as_mut()) {
        (Some(tasks), Some(array)) => {
            for &t in tasks {
                if array.pending.get(t) {
                    array.pending.clear(t);
                    freed += 1;
                }
            }
            if array.count() == 0 {
                cancel_pending(job, now);
                freed = freed.saturating_sub(1);
            }
        }
        (Some(_), None) => return Err(SlurmRc::ESLURM_INVALID_JOB_ID),
        (None, array) => {
            freed = array.map_or(0, |a| a.count().saturating_sub(1));
            cancel_pending(job, now);
        }
    }
    c.job_count = c.job_count.saturating_sub(freed);
    c.last_job_update = now;
    // A queued salloc/srun hears that its allocation is gone.
    let listeners = c.queued_allocation_listeners(job_id);
    let mut effects = if listeners.is_empty() {
        Vec::new()
    } else {
        vec![Effect::NotifySrun {
            job_id,
            targets: listeners,
            notice: super::interactive::SrunNotice::JobComplete,
        }]
    };
    if c.jobs
        .get(&job_id)
        .is_some_and(|j| j.base_state().is_finished())
    {
        effects.extend(c.end_mail(job_id, now));
    }
    Ok(Killed {
        durable: vec![Durable::Job(job_id)],
        effects,
    })
}

fn cancel_pending(job: &mut super::Job, now: i64) {
    job.state = JobState::Cancelled as u32;
    job.start_time = now;
    job.end_time = now;
}

/// REQUEST_CANCEL_JOB_STEP (scancel J.S): pending jobs have no steps.
pub fn cancel_step(c: &mut Controller, caller: Caller, k: &JobStepKill, _now: i64) -> Outcome {
    let Some(job) = c.jobs.get(&k.step_id.job_id) else {
        return rc(SlurmRc::ESLURM_INVALID_JOB_ID);
    };
    if job.user_id != caller.uid && !c.is_privileged(caller.uid) {
        return rc(SlurmRc::ESLURM_USER_ID_MISSING);
    }
    if job.base_state().is_finished() {
        return rc(SlurmRc::ESLURM_ALREADY_DONE);
    }
    if job.base_state() != JobState::Running {
        return rc(SlurmRc::ESLURM_TRANSITION_STATE_NO_UPDATE);
    }
    let Some(step) = job.steps.iter().find(|s| s.step_id == k.step_id.step_id) else {
        return rc(SlurmRc::ESLURM_INVALID_JOB_ID);
    };
    let nodes = match &job.alloc {
        Some(a) => step.nodes.iter().map(|&p| a.nodes[p]).collect(),
        None => Vec::new(),
    };
    Outcome {
        reply: Message::SlurmRc { rc: 0 },
        durable: Vec::new(),
        effects: step_signal_effects(job, step, k.signal, nodes),
    }
}

/// The signal for a step's nodes; SIGKILL also tells its srun the step is
/// over (`srun_step_complete`), after the nodes have it.
fn step_signal_effects(
    job: &super::job::Job,
    step: &super::step::Step,
    signal: u16,
    nodes: Vec<usize>,
) -> Vec<Effect> {
    let srun = step
        .srun_host
        .clone()
        .filter(|_| signal == 9 && step.srun_port != 0)
        .map(|h| (h, step.srun_port));
    vec![Effect::SignalStep {
        job_id: job.job_id,
        step_id: step.step_id,
        signal,
        nodes,
        srun,
    }]
}

/// REQUEST_UPDATE_JOB (scontrol hold/release/update).
pub fn update_job(c: &mut Controller, caller: Caller, spec: &JobDescriptor, now: i64) -> Outcome {
    let (job_id, tasks) = match resolve(c, spec.job_id_str.as_deref(), spec.job_id) {
        Ok(x) => x,
        Err(e) => return rc(e),
    };
    if tasks.is_some() && c.jobs.get(&job_id).is_some_and(|j| j.array.is_none()) {
        return rc(SlurmRc::ESLURM_INVALID_JOB_ID);
    }
    if let Some(tasks) = tasks.as_deref() {
        if let Some((whole, others)) = task_records(c, job_id, tasks, now) {
            return update_tasks(c, caller, spec, job_id, whole, &others, now);
        }
    }
    let privileged = c.is_privileged(caller.uid);
    let Some(job) = c.jobs.get(&job_id) else {
        return rc(SlurmRc::ESLURM_INVALID_JOB_ID);
    };
    // A finished job refuses any change before the caller is even checked.
    if job.base_state().is_finished() {
        return rc(SlurmRc::ESLURM_JOB_FINISHED);
    }
    if job.user_id != caller.uid && !privileged {
        return rc(SlurmRc::ESLURM_USER_ID_MISSING);
    }
    let result = apply_update(c, job_id, spec, privileged, now);
    c.last_job_update = now;
    match result {
        Ok(()) => changed(SlurmRc::SUCCESS, vec![Durable::Job(job_id)]),
        // Fields applied before the error stay applied, as upstream's do.
        Err(e) => Outcome {
            reply: Message::SlurmRc { rc: e.0 },
            durable: vec![Durable::Job(job_id)],
            effects: Vec::new(),
        },
    }
}

/// `J_N` / `J_[a-b]` on an array whose record still holds pending tasks:
/// upstream updates that record whole when every task it holds is named,
/// else splits each named one off into a record of its own (a new job
/// id); named tasks already in records of their own are updated there.
/// Returns whether the array's record is updated whole and the other
/// records with their task ids (None for a task no record has).
fn task_records(
    c: &mut Controller,
    meta_id: u32,
    tasks: &[u32],
    now: i64,
) -> Option<(bool, Vec<TaskRecord>)> {
    let meta = c.jobs.get(&meta_id)?;
    let pending: Vec<u32> = meta.array.as_ref()?.pending.ones().collect();
    if !meta.is_pending() {
        return None;
    }
    let whole = pending.iter().all(|t| tasks.contains(t));
    if !whole {
        for &t in tasks.iter().filter(|t| pending.contains(t)) {
            split_task(c, meta_id, t, now);
        }
    }
    let others = tasks
        .iter()
        .filter(|t| !whole || !pending.contains(t))
        .map(|&t| {
            let rec = c
                .jobs
                .values()
                .find(|j| j.array_job_id == meta_id && j.array_task_id == Some(t));
            (rec.map(|j| j.job_id), t)
        })
        .collect();
    Some((whole, others))
}

/// A named array task: the record holding it (None: no record has it) and
/// its task id.
type TaskRecord = (Option<u32>, u32);

/// Moves pending task `task` out of the array's record into a new one.
fn split_task(c: &mut Controller, meta_id: u32, task: u32, now: i64) {
    let new_id = c.allocate_job_id();
    let Some(meta) = c.jobs.get_mut(&meta_id) else {
        return;
    };
    if let Some(a) = meta.array.as_mut() {
        a.pending.clear(task);
    }
    let mut rec = meta.clone();
    rec.job_id = new_id;
    rec.array = None;
    rec.array_task_id = Some(task);
    rec.array_job_id = meta_id;
    rec.last_sched_eval = now;
    c.jobs.insert(new_id, rec);
    c.last_job_update = now;
}

/// Updates split-off array tasks one by one; the answer lists the outcome
/// per task range (RESPONSE_JOB_ARRAY_ERRORS), in task order.
fn update_tasks(
    c: &mut Controller,
    caller: Caller,
    spec: &JobDescriptor,
    array_id: u32,
    whole: bool,
    others: &[TaskRecord],
    now: i64,
) -> Outcome {
    let mut groups: Vec<(SlurmRc, Vec<u32>)> = Vec::new();
    let mut add =
        |result: SlurmRc, tasks: Vec<u32>| match groups.iter_mut().find(|(r, _)| *r == result) {
            Some((_, ids)) => ids.extend(tasks),
            None => groups.push((result, tasks)),
        };
    let mut durable = vec![Durable::Job(array_id)];
    if whole {
        let tasks = c.jobs[&array_id]
            .array
            .as_ref()
            .map(|a| a.pending.ones().collect())
            .unwrap_or_default();
        add(update_one(c, &caller, spec, array_id, now), tasks);
    }
    for &(id, task) in others {
        let result = match id {
            Some(id) => {
                durable.push(Durable::Job(id));
                update_one(c, &caller, spec, id, now)
            }
            None => SlurmRc::ESLURM_INVALID_JOB_ID,
        };
        add(result, vec![task]);
    }
    c.last_job_update = now;
    groups.sort_by_key(|(_, ids)| ids.iter().min().copied());
    let errors = groups
        .into_iter()
        .map(|(r, ids)| {
            let mut bm = Bitmap::new(ids.iter().max().map_or(1, |m| m + 1));
            ids.iter().for_each(|&t| bm.set(t));
            (r.0 as u32, Some(format!("{array_id}_{}", bm.to_ranges())))
        })
        .collect();
    Outcome {
        reply: Message::JobArrayErrors(errors),
        durable,
        effects: vec![Effect::ScheduleSoon],
    }
}

/// One record of an array update: upstream's `_update_job` checks.
fn update_one(
    c: &mut Controller,
    caller: &Caller,
    spec: &JobDescriptor,
    id: u32,
    now: i64,
) -> SlurmRc {
    let privileged = c.is_privileged(caller.uid);
    let Some(job) = c.jobs.get(&id) else {
        return SlurmRc::ESLURM_INVALID_JOB_ID;
    };
    if job.base_state().is_finished() {
        return SlurmRc::ESLURM_JOB_FINISHED;
    }
    if job.user_id != caller.uid && !privileged {
        return SlurmRc::ESLURM_USER_ID_MISSING;
    }
    apply_update(c, id, spec, privileged, now)
        .err()
        .unwrap_or(SlurmRc::SUCCESS)
}

/// `NICE_OFFSET`: nice values travel biased so they stay unsigned.
const NICE_OFFSET: u32 = 0x8000_0000;
/// One year in minutes: what an unlimited time limit counts as when a
/// running job's end time moves.
const YEAR_MINUTES: i64 = 365 * 24 * 60;

/// Whether a node-name expression names only configured nodes.
fn valid_node_list(c: &Controller, expr: &str) -> bool {
    wire::hostlist::expand(expr).is_ok_and(|names| names.iter().all(|n| c.node_index(n).is_some()))
}

/// Applies an update field by field in upstream's order, stopping at the
/// first refusal (fields before it stay changed). A field equal to what the
/// job already has is no change, and so allowed in any state.
fn apply_update(
    c: &mut Controller,
    job_id: u32,
    spec: &JobDescriptor,
    privileged: bool,
    now: i64,
) -> Result<(), SlurmRc> {
    let Some(mut job) = c.jobs.remove(&job_id) else {
        return Err(SlurmRc::ESLURM_INVALID_JOB_ID);
    };
    let result = update_fields(c, &mut job, spec, privileged, now);
    // Whatever happened, a job not held gets its priority recomputed under
    // priority/multifactor (a hand-set one stays).
    let multifactor = matches!(c.spec.limits.priority, PriorityPolicy::Multifactor { .. });
    if job.priority != 0 && multifactor && !job.direct_prio {
        c.set_priority(&mut job);
    }
    c.jobs.insert(job_id, job);
    result
}

fn update_fields(
    c: &mut Controller,
    job: &mut super::Job,
    spec: &JobDescriptor,
    privileged: bool,
    now: i64,
) -> Result<(), SlurmRc> {
    let pending = job.is_pending();
    let running = matches!(job.base_state(), JobState::Running | JobState::Suspended);
    let node_cnt = job.alloc.as_ref().map_or(0, |a| a.nodes.len() as u32);
    let same = |new: &str, old: &Option<super::text::Text>| old.as_deref() == Some(new);

    // Partition.
    if let Some(part) = spec.partition.as_deref() {
        if *job.partition != *part {
            if !pending {
                return Err(SlurmRc::ESLURM_JOB_NOT_PENDING);
            }
            let idx = c
                .partition_index(part)
                .ok_or(SlurmRc::ESLURM_INVALID_PARTITION_NAME)?;
            if c.spec.partitions[idx].state_up & PART_STATE_SUBMIT == 0 {
                return Err(SlurmRc::ESLURM_PARTITION_NOT_AVAIL);
            }
            job.part_index = idx;
            job.partition = c.strings.get(part);
            job.desc.partition = Some(job.partition.clone());
        }
    }

    // Required nodes: of a running job they name the nodes to keep.
    if let Some(req) = spec.req_nodes.as_deref() {
        if running {
            let keep = wire::hostlist::expand(req).ok().and_then(|names| {
                names
                    .iter()
                    .map(|n| c.node_index(n))
                    .collect::<Option<Vec<_>>>()
            });
            let held = job
                .alloc
                .as_ref()
                .map(|a| a.nodes.clone())
                .unwrap_or_default();
            match keep {
                Some(keep) if !req.is_empty() && keep.iter().all(|n| held.contains(n)) => {
                    if keep.len() < held.len() {
                        // Shrinking a running job is not modelled.
                        return Err(SlurmRc::ESLURM_NOT_SUPPORTED);
                    }
                }
                _ => return Err(SlurmRc::ESLURM_INVALID_NODE_NAME),
            }
        } else if !pending {
            return Err(SlurmRc::ESLURM_JOB_NOT_PENDING);
        } else if !req.is_empty() && !valid_node_list(c, req) {
            return Err(SlurmRc::ESLURM_INVALID_NODE_NAME);
        }
    }

    // Excluded nodes.
    if let Some(exc) = spec.exc_nodes.as_deref() {
        if !same(exc, &job.desc.exc_nodes) {
            if !pending {
                return Err(SlurmRc::ESLURM_JOB_NOT_PENDING);
            }
            if exc.is_empty() {
                job.desc.exc_nodes = None;
            } else if !valid_node_list(c, exc) {
                return Err(SlurmRc::ESLURM_INVALID_NODE_NAME);
            } else {
                job.desc.exc_nodes = Some(c.strings.get(exc));
            }
        }
    }

    // A running job cannot grow.
    let min_nodes = if spec.min_nodes == INFINITE {
        NO_VAL
    } else {
        spec.min_nodes
    };
    if min_nodes != NO_VAL && min_nodes > node_cnt && running {
        return Err(SlurmRc::ESLURM_NOT_SUPPORTED);
    }

    if let Some(comment) = &spec.comment {
        job.desc.comment = Some(c.strings.get(comment));
    }

    // CPU counts.
    if spec.min_cpus != NO_VAL {
        if !pending {
            return Err(SlurmRc::ESLURM_JOB_NOT_PENDING);
        }
        if spec.min_cpus < 1 {
            return Err(SlurmRc::ESLURM_INVALID_CPU_COUNT);
        }
    }
    if spec.max_cpus != NO_VAL && !pending {
        return Err(SlurmRc::ESLURM_JOB_NOT_PENDING);
    }
    if spec.cpus_per_task != NO_VAL16 && !pending {
        return Err(SlurmRc::ESLURM_JOB_NOT_PENDING);
    }

    // Node counts (a running job's is handled below).
    if min_nodes != NO_VAL && !running {
        if !pending {
            return Err(SlurmRc::ESLURM_JOB_NOT_PENDING);
        }
        if min_nodes < 1 {
            return Err(SlurmRc::ESLURM_INVALID_NODE_COUNT);
        }
    }
    if spec.max_nodes != NO_VAL && !pending {
        return Err(SlurmRc::ESLURM_JOB_NOT_PENDING);
    }
    if pending {
        let new_min = if min_nodes != NO_VAL {
            min_nodes
        } else {
            job.desc.min_nodes
        };
        let new_max = if spec.max_nodes != NO_VAL {
            spec.max_nodes
        } else {
            job.desc.max_nodes
        };
        let touched = min_nodes != NO_VAL || spec.max_nodes != NO_VAL;
        if touched && new_max != 0 && new_max != NO_VAL && new_min != NO_VAL && new_max < new_min {
            return Err(SlurmRc::ESLURM_INVALID_NODE_COUNT);
        }
        if min_nodes != NO_VAL {
            job.desc.min_nodes = min_nodes;
        }
        if spec.max_nodes != NO_VAL {
            job.desc.max_nodes = spec.max_nodes;
        }
    }
    if spec.num_tasks != NO_VAL {
        if !pending {
            return Err(SlurmRc::ESLURM_JOB_NOT_PENDING);
        }
        if spec.num_tasks < 1 {
            return Err(SlurmRc::ESLURM_BAD_TASK_COUNT);
        }
    }

    // Time limit: anyone may lower it; raising it is the operator's, or the
    // owner's while pending and within the partition's MaxTime.
    if spec.time_limit != NO_VAL {
        let current = job.time_limit.unwrap_or(NO_VAL);
        let part_max = c
            .spec
            .partitions
            .get(job.part_index)
            .and_then(|p| p.max_time)
            .unwrap_or(INFINITE);
        if current == spec.time_limit {
            // No change.
        } else if privileged || current > spec.time_limit {
            let time_min = if spec.time_min != NO_VAL {
                spec.time_min
            } else if job.desc.time_min == NO_VAL {
                0
            } else {
                job.desc.time_min
            };
            if spec.time_limit < time_min {
                return Err(SlurmRc::ESLURM_INVALID_TIME_MIN_LIMIT);
            }
            set_time_limit(job, spec.time_limit, running, now);
        } else if pending && part_max >= spec.time_limit {
            set_time_limit(job, spec.time_limit, false, now);
        } else {
            return Err(SlurmRc::ESLURM_ACCESS_DENIED);
        }
    }
    if spec.time_min != NO_VAL && pending {
        let limit = job.time_limit.unwrap_or(NO_VAL);
        if spec.time_min > limit {
            return Err(SlurmRc::ESLURM_INVALID_TIME_MIN_LIMIT);
        }
        job.desc.time_min = spec.time_min;
    }
    if spec.requeue != NO_VAL16 {
        job.desc.requeue = spec.requeue.min(1);
    }

    if spec.priority != NO_VAL {
        update_priority(c, job, spec, privileged, now)?;
    }

    // Nice: lowering it (a higher priority) is the operator's.
    if spec.nice != NO_VAL {
        let old = if job.desc.nice == NO_VAL {
            NICE_OFFSET
        } else {
            job.desc.nice
        };
        if old == spec.nice || (job.direct_prio && job.priority != 0) {
            // Unchanged, or ignored while the priority is set by hand.
        } else if privileged || spec.nice >= NICE_OFFSET {
            if matches!(c.spec.limits.priority, PriorityPolicy::Basic) {
                let p = i64::from(job.priority) + i64::from(old) - i64::from(spec.nice);
                job.priority = p.clamp(2, i64::from(u32::MAX)) as u32;
            }
            job.desc.nice = spec.nice;
        } else {
            return Err(SlurmRc::ESLURM_ACCESS_DENIED);
        }
    }

    if spec.pn_min_memory != NO_VAL64 {
        if !pending {
            return Err(SlurmRc::ESLURM_JOB_NOT_PENDING);
        }
        job.desc.pn_min_memory = spec.pn_min_memory;
    }

    if let Some(f) = spec.features.as_deref() {
        if !same(f, &job.desc.features) {
            if !pending {
                return Err(SlurmRc::ESLURM_JOB_NOT_PENDING);
            }
            // New constraints are checked as at submission; an empty
            // value clears them.
            if !f.is_empty() && super::features::validated(f, &c.spec.nodes).is_none() {
                return Err(SlurmRc::ESLURM_INVALID_FEATURE);
            }
            job.desc.features = (!f.is_empty()).then(|| c.strings.get(f));
        }
    }

    if let Some(name) = spec.name.as_deref() {
        job.desc.name = Some(c.strings.get(name));
    }

    // Node count of a running job: the same count is no change; fewer
    // would shrink it, which is not modelled.
    if min_nodes != NO_VAL && running {
        if min_nodes == 0 || min_nodes > node_cnt {
            return Err(SlurmRc::ESLURM_INVALID_NODE_COUNT);
        }
        if min_nodes < node_cnt {
            return Err(SlurmRc::ESLURM_NOT_SUPPORTED);
        }
    }

    // Now that counts are checked, keep what a pending job asked for.
    if pending {
        if spec.min_cpus != NO_VAL {
            job.desc.min_cpus = spec.min_cpus;
        }
        if spec.max_cpus != NO_VAL {
            job.desc.max_cpus = spec.max_cpus;
        }
        if spec.cpus_per_task != NO_VAL16 {
            job.desc.cpus_per_task = spec.cpus_per_task;
        }
        if spec.num_tasks != NO_VAL {
            job.desc.num_tasks = spec.num_tasks;
        }
        if let Some(req) = spec.req_nodes.as_deref() {
            job.desc.req_nodes = (!req.is_empty()).then(|| c.strings.get(req));
        }
    }

    if let Some(dep) = spec.dependency.as_deref() {
        if !pending {
            return Err(SlurmRc::ESLURM_JOB_NOT_PENDING);
        }
        if dep.is_empty() {
            job.dependencies = None;
            job.desc.dependency = None;
        } else {
            let mut d = Dependencies::parse(dep).ok_or(SlurmRc::ESLURM_DEPENDENCY)?;
            c.mark_whole_arrays(&mut d);
            if d.items.iter().any(|i| i.job_id == job.job_id) {
                return Err(SlurmRc::ESLURM_DEPENDENCY);
            }
            job.dependencies = Some(d);
            job.desc.dependency = Some(c.strings.get(dep));
        }
    }

    if spec.begin_time != 0 {
        if !pending {
            return Err(SlurmRc::ESLURM_JOB_NOT_PENDING);
        }
        let begin = spec.begin_time.max(now);
        if job.desc.begin_time != begin {
            job.desc.begin_time = begin;
            job.eligible_time = 0;
            job.accrue_time = 0;
        }
    }

    // The job passed its checks: a reason other than a hold is cleared and
    // looked at again.
    let held = matches!(
        job.reason,
        JobReason::WAIT_HELD | JobReason::WAIT_HELD_USER | JobReason::WAIT_PROLOG
    ) || job.reason == JobReason::WAIT_MAX_REQUEUE;
    if !held {
        job.reason = JobReason::WAIT_NO_REASON;
        job.state_desc = None;
    }
    if pending && job.priority != 0 {
        c.refresh_eligibility(job, now);
    }

    if spec.mail_type != NO_VAL16 {
        job.desc.mail_type = spec.mail_type;
    }
    // An empty MailUser= goes back to the default: the job's owner.
    if let Some(u) = &spec.mail_user {
        job.desc.mail_user = (!u.is_empty()).then(|| c.strings.get(u));
    }
    Ok(())
}

/// A new time limit; a running job's end time moves by the difference.
fn set_time_limit(job: &mut super::Job, limit: u32, running: bool, now: i64) {
    let old = job.time_limit.unwrap_or(NO_VAL);
    job.time_limit = Some(limit);
    job.desc.time_limit = limit;
    // A new end time deserves a new warning.
    job.desc.warn_flags &= !kill_flags::WARN_SENT;
    if running {
        let minutes = |m: u32| {
            if m == INFINITE || m == NO_VAL {
                YEAR_MINUTES
            } else {
                i64::from(m)
            }
        };
        job.end_time = if limit == INFINITE {
            now + YEAR_MINUTES * 60
        } else {
            job.end_time + (minutes(limit) - minutes(old)) * 60
        };
        job.end_time = job.end_time.max(now);
    }
}

/// `Priority=` (and hold, uhold, release): upstream's rules, in its order.
fn update_priority(
    c: &mut Controller,
    job: &mut super::Job,
    spec: &JobDescriptor,
    privileged: bool,
    now: i64,
) -> Result<(), SlurmRc> {
    let user_hold = spec.alloc_sid == ALLOC_SID_USER_HOLD;
    let want = spec.priority;
    if job.priority == want {
        // Already so; an operator may turn one kind of hold into the other.
        if want == 0 && privileged {
            set_hold_reason(job, user_hold);
        }
        return Ok(());
    }
    if job.priority == 0 && want == INFINITE {
        if privileged || job.reason == JobReason::WAIT_HELD_USER {
            release(c, job, now);
            return Ok(());
        }
        return Err(SlurmRc::ESLURM_ACCESS_DENIED);
    }
    if job.priority == 0 {
        return Err(SlurmRc::ESLURM_JOB_HELD);
    }
    if privileged || job.priority > want {
        if want != 0 {
            job.desc.nice = NICE_OFFSET;
        }
        let mut result = Ok(());
        if want == INFINITE {
            job.direct_prio = false;
            c.set_priority(job);
        } else if want == 0 {
            hold(job, now);
        } else {
            // Only an operator's value sticks; the owner's lowers it for now.
            if privileged {
                job.direct_prio = true;
            } else {
                result = Err(SlurmRc::ESLURM_PRIO_RESET_FAIL);
            }
            job.priority = want;
        }
        if job.priority == 0 {
            set_hold_reason(job, !privileged || user_hold);
        }
        return result;
    }
    if want == INFINITE {
        // Released already.
        return Ok(());
    }
    Err(SlurmRc::ESLURM_ACCESS_DENIED)
}

fn set_hold_reason(job: &mut super::Job, user: bool) {
    job.admin_hold = !user;
    job.reason = if user {
        JobReason::WAIT_HELD_USER
    } else {
        JobReason::WAIT_HELD
    };
    job.state_desc = None;
}

/// Holds a job: priority 0 set by hand; a begin time already past is
/// forgotten, and a pending job stops accruing.
fn hold(job: &mut super::Job, now: i64) {
    job.direct_prio = true;
    job.priority = 0;
    forget_past_begin(job, now);
    // Without limits enforced (no accounting) upstream never takes a
    // job's accrue time back, so a held job keeps the one it had.
    if job.is_pending() {
        job.eligible_time = 0;
    }
}

/// A begin time already past is forgotten (shown as EligibleTime=Unknown
/// until the job is found eligible again).
fn forget_past_begin(job: &mut super::Job, now: i64) {
    if job.desc.begin_time < now {
        job.desc.begin_time = 0;
    }
    if job.eligible_time < now {
        job.eligible_time = 0;
    }
}

/// Releases a hold: the priority is computed again, the reason and exit
/// code cleared.
fn release(c: &mut Controller, job: &mut super::Job, now: i64) {
    forget_past_begin(job, now);
    job.direct_prio = false;
    job.admin_hold = false;
    c.set_priority(job);
    job.reason = JobReason::WAIT_NO_REASON;
    job.state &= !super::job::state_flags::SPECIAL_EXIT;
    job.state_desc = None;
    job.exit_code = 0;
}

/// REQUEST_JOB_REQUEUE (scontrol requeue).
pub fn requeue(
    c: &mut Controller,
    caller: Caller,
    job_id: u32,
    id_str: Option<&str>,
    flags: u32,
    now: i64,
) -> Outcome {
    let (job_id, tasks) = match resolve(c, id_str, job_id) {
        Ok(x) => x,
        Err(e) => return rc(e),
    };
    if tasks.is_none() {
        if let Some(records) = whole_array(c, job_id) {
            return requeue_array(c, &caller, job_id, &records, flags, now);
        }
    }
    requeue_one(c, &caller, job_id, flags, now)
}

/// The records of array `id` when the id names the whole array (its
/// record still holds tasks, or is itself a task): that record first.
fn whole_array(c: &Controller, id: u32) -> Option<Vec<u32>> {
    let job = c.jobs.get(&id)?;
    if job.array.is_none() && !(job.array_task_id.is_some() && job.array_job_id == id) {
        return None;
    }
    let mut others: Vec<u32> = c
        .jobs
        .values()
        .filter(|j| j.array_job_id == id && j.job_id != id)
        .map(|j| j.job_id)
        .collect();
    others.sort_unstable();
    Some(std::iter::once(id).chain(others).collect())
}

/// Requeues every record of an array; the answer lists the outcome per
/// task range (RESPONSE_JOB_ARRAY_ERRORS), in task order.
fn requeue_array(
    c: &mut Controller,
    caller: &Caller,
    array_id: u32,
    records: &[u32],
    flags: u32,
    now: i64,
) -> Outcome {
    let mut groups: Vec<(i32, Bitmap)> = Vec::new();
    let mut out = Outcome::rc(SlurmRc::SUCCESS);
    for &id in records {
        let tasks: Vec<u32> = match c.jobs.get(&id) {
            Some(j) => match (&j.array, j.array_task_id) {
                (Some(a), _) => a.pending.ones().collect(),
                (None, Some(t)) => vec![t],
                (None, None) => continue,
            },
            None => continue,
        };
        let one = requeue_one(c, caller, id, flags, now);
        let code = match one.reply {
            Message::SlurmRc { rc } => rc,
            _ => 0,
        };
        out.durable.extend(one.durable);
        out.effects.extend(one.effects);
        let at = match groups.iter().position(|(r, _)| *r == code) {
            Some(at) => at,
            None => {
                groups.push((code, Bitmap::new(0)));
                groups.len() - 1
            }
        };
        let bm = &mut groups[at].1;
        for t in tasks {
            if t >= bm.len() {
                let mut bigger = Bitmap::new(t + 1);
                bm.ones().for_each(|i| bigger.set(i));
                *bm = bigger;
            }
            bm.set(t);
        }
    }
    groups.sort_by_key(|(_, bm)| bm.ones().next());
    out.reply = Message::JobArrayErrors(
        groups
            .into_iter()
            .map(|(code, bm)| (code as u32, Some(format!("{array_id}_{}", bm.to_ranges()))))
            .collect(),
    );
    out
}

/// Requeues one record (upstream's `_job_requeue_op` checks, in order).
fn requeue_one(c: &mut Controller, caller: &Caller, job_id: u32, flags: u32, now: i64) -> Outcome {
    let privileged = c.is_privileged(caller.uid);
    let Some(job) = c.jobs.get(&job_id) else {
        return rc(SlurmRc::ESLURM_INVALID_JOB_ID);
    };
    if job.user_id != caller.uid && !privileged {
        return rc(SlurmRc::ESLURM_ACCESS_DENIED);
    }
    // `requeue incomplete` (JOB_RUNNING in the flags) leaves any job not
    // running or suspended as it is, and that is a success.
    let active = matches!(job.base_state(), JobState::Running | JobState::Suspended);
    if flags & 0xff == JobState::Running as u32 && !active {
        return rc(SlurmRc::SUCCESS);
    }
    let requeue_allowed = match job.desc.requeue {
        NO_VAL16 => c.spec.limits.job_requeue,
        v => v != 0,
    };
    if !requeue_allowed {
        return rc(SlurmRc::ESLURM_DISABLED);
    }
    if job.is_pending() {
        return rc(SlurmRc::ESLURM_JOB_PENDING);
    }
    if job.base_state().is_finished() {
        // A finished batch job goes back to the queue at once.
        let effects = c.requeue_finished(job_id, flags, now);
        return requeued(c, job_id, effects);
    }
    // A suspended job is requeued as a running one; it ended when it was
    // suspended.
    let suspended_at = (job.base_state() == JobState::Suspended).then_some(job.suspend_time);
    if let Some(at) = suspended_at {
        c.set_cpus_in_use(job_id, true, now);
        if let Some(j) = c.jobs.get_mut(&job_id) {
            j.state = JobState::Running as u32 | (j.state & !0xff);
        }
        let effects = c.requeue_running(job_id, flags, now);
        if let Some(j) = c.jobs.get_mut(&job_id) {
            j.end_time = at;
        }
        return requeued(c, job_id, effects);
    }
    let effects = c.requeue_running(job_id, flags, now);
    requeued(c, job_id, effects)
}

/// A requeued job forgets its suspensions.
fn requeued(c: &mut Controller, job_id: u32, effects: Vec<Effect>) -> Outcome {
    if let Some(j) = c.jobs.get_mut(&job_id) {
        j.suspend_time = 0;
        j.pre_sus_time = 0;
    }
    Outcome {
        reply: Message::SlurmRc { rc: 0 },
        durable: vec![Durable::Job(job_id)],
        effects,
    }
}

impl Controller {
    /// `scontrol requeue[hold]` of a finished batch job: it is pending again
    /// at once, as a running one is once its nodes are clean.
    pub fn requeue_finished(&mut self, job_id: u32, flags: u32, now: i64) -> Vec<Effect> {
        use super::job::state_flags;
        let Some(job) = self.jobs.get_mut(&job_id) else {
            return Vec::new();
        };
        job.restart_cnt = job.restart_cnt.saturating_add(1);
        job.desc.warn_flags &= !kill_flags::WARN_SENT;
        job.state = JobState::Pending as u32;
        job.reason = JobReason::WAIT_NO_REASON;
        job.state_desc = None;
        if flags & state_flags::SPECIAL_EXIT != 0 {
            job.state |= state_flags::SPECIAL_EXIT;
            job.reason = JobReason::WAIT_HELD_USER;
            job.state_desc = Some("job requeued in special exit state".into());
            job.priority = 0;
        }
        if flags & state_flags::REQUEUE_HOLD != 0 {
            job.reason = JobReason::WAIT_HELD_USER;
            job.state_desc = Some("job requeued in held state".into());
            job.priority = 0;
        }
        self.finish_requeue(job_id, now);
        self.last_job_update = now;
        vec![Effect::ScheduleSoon]
    }
}

/// REQUEST_UPDATE_NODE (scontrol update nodename=... state=...).
pub fn update_node(c: &mut Controller, caller: Caller, u: &UpdateNode, now: i64) -> Outcome {
    if !c.is_privileged(caller.uid) {
        return rc(SlurmRc::ESLURM_USER_ID_MISSING);
    }
    let Some(expr) = u.node_names.as_deref() else {
        return rc(SlurmRc::ESLURM_INVALID_NODE_NAME);
    };
    let names = match wire::hostlist::expand(expr) {
        Ok(n) => n,
        Err(_) => return rc(SlurmRc::ESLURM_INVALID_NODE_NAME),
    };
    let mut indices = Vec::with_capacity(names.len());
    for n in &names {
        match c.node_index(n) {
            Some(i) => indices.push(i),
            None => return rc(SlurmRc::ESLURM_INVALID_NODE_NAME),
        }
    }
    let mut result = SlurmRc::SUCCESS;
    for i in indices {
        let node = &mut c.nodes[i];
        if let Some(reason) = u.reason.as_deref() {
            node.reason = (!reason.is_empty()).then(|| reason.to_string());
            node.reason_uid = if u.reason_uid != NO_VAL {
                u.reason_uid
            } else {
                caller.uid
            };
            node.reason_time = now;
        }
        if u.weight != NO_VAL {
            c.spec.nodes[i].weight = u.weight;
        }
        if let Some(f) = &u.features {
            c.spec.nodes[i].features = (!f.is_empty()).then(|| f.clone());
        }
        if u.node_state == NO_VAL {
            continue;
        }
        let requested = u.node_state;
        let node = &mut c.nodes[i];
        if requested == flag::RESUME {
            // Resume clears drain/fail and brings a DOWN node back. A node
            // whose slurmd never registered has no state to resume into:
            // upstream still clears the drain but reports the request invalid.
            let had_admin_state = node.state & (flag::DRAIN | flag::FAIL) != 0;
            node.state &= !(flag::DRAIN | flag::FAIL);
            if had_admin_state || node.base() == base::DOWN {
                node.reason = None;
                node.reason_time = 0;
                node.reason_uid = NO_VAL;
            }
            if node.base() == base::DOWN {
                node.state = (node.state & !flag::BASE_MASK) | base::IDLE;
            } else if node.base() == base::UNKNOWN || !had_admin_state {
                result = SlurmRc::ESLURM_INVALID_NODE_STATE;
            }
        } else if requested == flag::UNDRAIN {
            node.state &= !flag::DRAIN;
        } else if requested & flag::DRAIN != 0 || requested == flag::FAIL {
            if node.reason.is_none() {
                return rc(SlurmRc::ESLURM_INVALID_NODE_STATE);
            }
            node.state |= if requested == flag::FAIL {
                flag::FAIL
            } else {
                flag::DRAIN
            };
        } else if requested == base::DOWN {
            if node.reason.is_none() {
                return rc(SlurmRc::ESLURM_INVALID_NODE_STATE);
            }
            node.state = (node.state & !flag::BASE_MASK & !flag::NO_RESPOND) | base::DOWN;
        } else if requested == base::IDLE {
            node.state = (node.state & !flag::BASE_MASK) | base::IDLE;
        } else {
            result = SlurmRc::ESLURM_INVALID_NODE_STATE;
        }
    }
    c.last_node_update = now;
    c.last_part_update = now;
    Outcome {
        reply: Message::SlurmRc { rc: result.0 },
        durable: vec![Durable::Nodes],
        effects: vec![Effect::ScheduleSoon],
    }
}

/// REQUEST_UPDATE_PARTITION (scontrol update partitionname=...).
pub fn update_partition(
    c: &mut Controller,
    caller: Caller,
    u: &UpdatePartition,
    now: i64,
) -> Outcome {
    if !c.is_privileged(caller.uid) {
        return rc(SlurmRc::ESLURM_USER_ID_MISSING);
    }
    let Some(name) = u.name.as_deref() else {
        return rc(SlurmRc::ESLURM_INVALID_PARTITION_NAME);
    };
    let Some(idx) = c.partition_index(name) else {
        return rc(SlurmRc::ESLURM_INVALID_PARTITION_NAME);
    };
    let new_nodes = match u.nodes.as_deref() {
        None => None,
        Some(expr) if expr.eq_ignore_ascii_case("ALL") => {
            Some((0..c.spec.nodes.len()).collect::<Vec<_>>())
        }
        Some("") => Some(Vec::new()),
        Some(expr) => {
            let names = match wire::hostlist::expand(expr) {
                Ok(n) => n,
                Err(_) => return rc(SlurmRc::ESLURM_INVALID_NODE_NAME),
            };
            let mut bm = Bitmap::new(c.spec.nodes.len() as u32);
            for n in &names {
                match c.node_index(n) {
                    Some(i) => bm.set(i as u32),
                    None => return rc(SlurmRc::ESLURM_INVALID_NODE_NAME),
                }
            }
            Some(bm.ones().map(|i| i as usize).collect())
        }
    };
    let p = &mut c.spec.partitions[idx];
    if u.max_time != NO_VAL {
        p.max_time = (u.max_time != INFINITE).then_some(u.max_time);
    }
    if u.default_time != NO_VAL {
        p.default_time = (u.default_time != INFINITE).then_some(u.default_time);
    }
    if u.max_nodes != NO_VAL {
        p.max_nodes = (u.max_nodes != INFINITE).then_some(u.max_nodes);
    }
    if u.min_nodes != NO_VAL {
        p.min_nodes = u.min_nodes;
    }
    if u.state_up != NO_VAL16 {
        p.state_up = u.state_up;
    }
    if u.priority_tier != NO_VAL16 {
        p.priority_tier = u.priority_tier;
    }
    if u.priority_job_factor != NO_VAL16 {
        p.priority_job_factor = u.priority_job_factor;
    }
    if u.grace_time != NO_VAL {
        p.grace_time = u.grace_time;
    }
    if u.max_cpus_per_node != NO_VAL {
        p.max_cpus_per_node = (u.max_cpus_per_node != INFINITE).then_some(u.max_cpus_per_node);
    }
    if let Some(g) = &u.allow_groups {
        p.allow_groups = (!g.is_empty() && !g.eq_ignore_ascii_case("ALL")).then(|| g.clone());
    }
    if let Some(nodes) = new_nodes {
        p.nodes = nodes;
        p.nodes_expr = u.nodes.clone();
    }
    c.last_part_update = now;
    Outcome {
        reply: Message::SlurmRc { rc: 0 },
        durable: vec![Durable::Partitions],
        effects: vec![Effect::ScheduleSoon],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_id_expressions() {
        assert_eq!(
            JobIdExpr::parse("1000"),
            Some(JobIdExpr {
                job_id: 1000,
                tasks: None
            })
        );
        assert_eq!(
            JobIdExpr::parse("1000_7"),
            Some(JobIdExpr {
                job_id: 1000,
                tasks: Some(vec![7])
            })
        );
        assert_eq!(
            JobIdExpr::parse("1000_[1-3,5]"),
            Some(JobIdExpr {
                job_id: 1000,
                tasks: Some(vec![1, 2, 3, 5])
            })
        );
        assert_eq!(
            JobIdExpr::parse("1000_*"),
            Some(JobIdExpr {
                job_id: 1000,
                tasks: None
            })
        );
        assert_eq!(JobIdExpr::parse("abc"), None);
        assert_eq!(JobIdExpr::parse("0"), None);
        assert_eq!(JobIdExpr::parse("5_[3-1]"), None);
    }
}
