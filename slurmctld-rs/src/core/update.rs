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

/// REQUEST_KILL_JOB (scancel).
pub fn kill_job(c: &mut Controller, caller: Caller, k: &JobStepKill, now: i64) -> Outcome {
    let (job_id, tasks) = match resolve(c, k.sjob_id.as_deref(), k.step_id.job_id) {
        Ok(x) => x,
        Err(e) => return rc(e),
    };
    let privileged = c.is_privileged(caller.uid);
    let Some(job) = c.jobs.get_mut(&job_id) else {
        return rc(SlurmRc::ESLURM_INVALID_JOB_ID);
    };
    if job.user_id != caller.uid && !privileged {
        return rc(SlurmRc::ESLURM_ACCESS_DENIED);
    }
    if job.base_state().is_finished() {
        return rc(SlurmRc::ESLURM_ALREADY_DONE);
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
        return Outcome {
            reply: Message::SlurmRc { rc: 0 },
            durable: vec![Durable::Job(job_id)],
            effects,
        };
    }
    if !job.is_pending() {
        return rc(SlurmRc::ESLURM_TRANSITION_STATE_NO_UPDATE);
    }
    if k.signal != SIGKILL {
        return rc(SlurmRc::ESLURM_TRANSITION_STATE_NO_UPDATE);
    }
    let mut freed: u32 = 0;
    match (tasks, job.array.as_mut()) {
        (Some(tasks), Some(array)) => {
            // Cancel only the named tasks still pending in this record.
            let mut hit = false;
            for t in tasks {
                if array.pending.get(t) {
                    array.pending.clear(t);
                    freed += 1;
                    hit = true;
                }
            }
            if !hit {
                return rc(SlurmRc::ESLURM_INVALID_JOB_ID);
            }
            if array.count() == 0 {
                cancel_pending(job, now);
                freed = freed.saturating_sub(1);
            }
        }
        (Some(_), None) => return rc(SlurmRc::ESLURM_INVALID_JOB_ID),
        (None, array) => {
            freed = array.map_or(0, |a| a.count().saturating_sub(1));
            cancel_pending(job, now);
        }
    }
    c.job_count = c.job_count.saturating_sub(freed);
    c.last_job_update = now;
    changed(SlurmRc::SUCCESS, vec![Durable::Job(job_id)])
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
        return rc(SlurmRc::ESLURM_ACCESS_DENIED);
    }
    if job.base_state().is_finished() {
        return rc(SlurmRc::ESLURM_ALREADY_DONE);
    }
    rc(SlurmRc::ESLURM_INVALID_JOB_ID)
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
    let privileged = c.is_privileged(caller.uid);
    let owner = c.jobs.get(&job_id).map(|j| j.user_id);
    if owner != Some(caller.uid) && !privileged {
        return rc(SlurmRc::ESLURM_USER_ID_MISSING);
    }
    let result = apply_update(c, job_id, spec, privileged, now);
    match result {
        Ok(()) => {
            c.last_job_update = now;
            changed(SlurmRc::SUCCESS, vec![Durable::Job(job_id)])
        }
        Err(e) => {
            // Fields applied before the error stay applied, as upstream's do.
            c.last_job_update = now;
            Outcome {
                reply: Message::SlurmRc { rc: e.0 },
                durable: vec![Durable::Job(job_id)],
                effects: Vec::new(),
            }
        }
    }
}

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
    let result = (|| {
        let pending = job.is_pending();
        if job.base_state().is_finished() {
            return Err(SlurmRc::ESLURM_JOB_FINISHED);
        }
        let mut reset_reason = false;

        if let Some(name) = &spec.name {
            job.desc.name = Some(c.strings.get(name));
        }
        if let Some(comment) = &spec.comment {
            job.desc.comment = Some(c.strings.get(comment));
        }
        if let Some(part) = spec.partition.as_deref().filter(|p| !p.is_empty()) {
            if !pending {
                return Err(SlurmRc::ESLURM_JOB_NOT_PENDING);
            }
            let idx = c
                .partition_index(part)
                .ok_or(SlurmRc::ESLURM_INVALID_PARTITION_NAME)?;
            job.part_index = idx;
            job.partition = c.strings.get(part);
            job.desc.partition = Some(job.partition.clone());
            reset_reason = true;
        }
        if spec.time_limit != NO_VAL {
            let current = job.time_limit.unwrap_or(INFINITE);
            if !privileged
                && (spec.time_limit > current || spec.time_limit == INFINITE && current != INFINITE)
            {
                return Err(SlurmRc::ESLURM_ACCESS_DENIED);
            }
            job.time_limit = Some(spec.time_limit);
            job.desc.time_limit = spec.time_limit;
            // A new end time deserves a new warning.
            job.desc.warn_flags &= !kill_flags::WARN_SENT;
            reset_reason = true;
        }
        if spec.time_min != NO_VAL {
            job.desc.time_min = spec.time_min;
        }
        if spec.nice != NO_VAL {
            if !privileged && spec.nice < 0x8000_0000 {
                return Err(SlurmRc::ESLURM_ACCESS_DENIED);
            }
            job.desc.nice = spec.nice;
        }
        if let Some(dep) = spec.dependency.as_deref() {
            if !pending {
                return Err(SlurmRc::ESLURM_JOB_NOT_PENDING);
            }
            if dep.is_empty() {
                job.dependencies = None;
                job.desc.dependency = None;
            } else {
                let d = Dependencies::parse(dep).ok_or(SlurmRc::ESLURM_DEPENDENCY)?;
                if d.items.iter().any(|i| i.job_id == job_id) {
                    return Err(SlurmRc::ESLURM_DEPENDENCY);
                }
                job.dependencies = Some(d);
                job.desc.dependency = Some(c.strings.get(dep));
            }
            reset_reason = true;
        }
        if spec.begin_time != 0 {
            if !pending {
                return Err(SlurmRc::ESLURM_JOB_NOT_PENDING);
            }
            job.desc.begin_time = spec.begin_time;
            job.eligible_time = 0;
            job.accrue_time = 0;
        }
        if spec.mail_type != 0 && spec.mail_type != NO_VAL16 {
            job.desc.mail_type = spec.mail_type;
        }
        if let Some(u) = &spec.mail_user {
            job.desc.mail_user = Some(c.strings.get(u));
        }
        // New constraints are checked as at submission; the same ones
        // change nothing, an empty one clears them.
        if let Some(f) = spec
            .features
            .as_deref()
            .filter(|&f| job.desc.features.as_deref() != Some(f))
        {
            if !pending {
                return Err(SlurmRc::ESLURM_JOB_NOT_PENDING);
            }
            if f.is_empty() {
                job.desc.features = None;
            } else if super::features::validated(f, &c.spec.nodes).is_some() {
                job.desc.features = Some(c.strings.get(f));
            } else {
                return Err(SlurmRc::ESLURM_INVALID_FEATURE);
            }
        }
        if spec.min_nodes != NO_VAL {
            if !pending {
                return Err(SlurmRc::ESLURM_JOB_NOT_PENDING);
            }
            job.desc.min_nodes = spec.min_nodes;
        }
        if spec.pn_min_memory != NO_VAL64 {
            if !pending {
                return Err(SlurmRc::ESLURM_JOB_NOT_PENDING);
            }
            job.desc.pn_min_memory = spec.pn_min_memory;
        }

        // Priority last: hold (0), release (INFINITE) or an explicit value.
        if spec.priority != NO_VAL {
            if !pending {
                return Err(SlurmRc::ESLURM_JOB_NOT_PENDING);
            }
            if spec.priority == 0 {
                let user_hold = !privileged || spec.alloc_sid == ALLOC_SID_USER_HOLD;
                job.priority = 0;
                job.admin_hold = !user_hold;
                job.reason = if user_hold {
                    JobReason::WAIT_HELD_USER
                } else {
                    JobReason::WAIT_HELD
                };
                job.state_desc = None;
                job.eligible_time = 0;
                job.accrue_time = 0;
                reset_reason = false;
            } else if spec.priority == INFINITE {
                if job.priority == 0 && job.admin_hold && !privileged {
                    return Err(SlurmRc::ESLURM_ACCESS_DENIED);
                }
                if job.priority == 0 {
                    job.admin_hold = false;
                    c.set_priority(&mut job);
                    reset_reason = true;
                }
            } else {
                if !privileged {
                    return Err(SlurmRc::ESLURM_ACCESS_DENIED);
                }
                job.priority = spec.priority;
                reset_reason = true;
            }
        }
        if reset_reason && pending && job.priority != 0 {
            job.reason = JobReason::WAIT_NO_REASON;
            job.state_desc = None;
            c.refresh_eligibility(&mut job, now);
        }
        Ok(())
    })();
    c.jobs.insert(job_id, job);
    result
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
    let (job_id, _) = match resolve(c, id_str, job_id) {
        Ok(x) => x,
        Err(e) => return rc(e),
    };
    let privileged = c.is_privileged(caller.uid);
    let Some(job) = c.jobs.get(&job_id) else {
        return rc(SlurmRc::ESLURM_INVALID_JOB_ID);
    };
    if job.user_id != caller.uid && !privileged {
        return rc(SlurmRc::ESLURM_ACCESS_DENIED);
    }
    if job.is_pending() {
        return rc(SlurmRc::ESLURM_JOB_PENDING);
    }
    if job.base_state().is_finished() {
        // Only batch jobs that ran can be requeued; a job cancelled while
        // pending never started.
        return rc(SlurmRc::ESLURM_BATCH_ONLY);
    }
    let requeue_allowed = match job.desc.requeue {
        NO_VAL16 => c.spec.limits.job_requeue,
        v => v != 0,
    };
    if !requeue_allowed || job.base_state() != JobState::Running {
        return rc(SlurmRc::ESLURM_DISABLED);
    }
    let effects = c.requeue_running(job_id, flags, now);
    Outcome {
        reply: Message::SlurmRc { rc: 0 },
        durable: vec![Durable::Job(job_id)],
        effects,
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
