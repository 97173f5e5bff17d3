//! scontrol suspend/resume (REQUEST_SUSPEND) and scontrol top
//! (REQUEST_TOP_JOB), with upstream's rules (`job_suspend2`,
//! `_job_suspend_op`, `job_set_top`).

use wire::errno::SlurmRc;
use wire::msg::{suspend_op, JobOp, Message};
use wire::pack::NO_VAL;

use super::job::JobState;
use super::node::{base, flag};
use super::{Caller, Controller, Durable, Effect, Outcome};

/// `NICE_OFFSET`: nice values travel biased so they stay unsigned.
const NICE_OFFSET: u32 = 0x8000_0000;

fn rc(code: SlurmRc) -> Outcome {
    Outcome::rc(code)
}

/// The leading job id of an expression and what follows it (strtol-like).
fn split_id(s: &str) -> Option<(u32, &str)> {
    let digits = s.len() - s.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    let id = s[..digits].parse::<u32>().ok().filter(|&j| j != 0)?;
    Some((id, &s[digits..]))
}

/// REQUEST_SUSPEND. Only operators may suspend or resume. A job id names
/// one record (a plain job, or an array task by its own id); whole arrays
/// and `J_N` expressions are answered with per-task errors upstream, which
/// is not modelled: they are refused as not supported.
pub fn suspend(c: &mut Controller, caller: Caller, m: &JobOp, now: i64) -> Outcome {
    let text = match m.job_id_str.as_deref() {
        Some(s) => s.to_string(),
        None => m.job_id.to_string(),
    };
    // Upstream looks the leading number up before anything else and sends
    // no reply at all when no record has it, which the client reports as
    // an unexpected message.
    let known = split_id(&text).is_some_and(|(id, _)| c.jobs.contains_key(&id));
    if !known {
        return rc(SlurmRc::SLURM_UNEXPECTED_MSG_ERROR);
    }
    if !c.is_privileged(caller.uid) {
        return rc(SlurmRc::ESLURM_ACCESS_DENIED);
    }
    let Some((job_id, rest)) = split_id(&text) else {
        return rc(SlurmRc::ESLURM_INVALID_JOB_ID);
    };
    match rest {
        "" => {}
        r if r.starts_with('+') => return rc(SlurmRc::ESLURM_NOT_WHOLE_HET_JOB),
        r if r.starts_with('_') => return rc(SlurmRc::ESLURM_NOT_SUPPORTED),
        _ => return rc(SlurmRc::ESLURM_INVALID_JOB_ID),
    }
    let Some(job) = c.jobs.get(&job_id) else {
        return rc(SlurmRc::ESLURM_INVALID_JOB_ID);
    };
    if job.array.is_some() || (job.array_task_id.is_some() && job.array_job_id == job_id) {
        return rc(SlurmRc::ESLURM_NOT_SUPPORTED);
    }
    let result = if m.op == suspend_op::RESUME {
        resume_job(c, job_id, now)
    } else {
        suspend_job(c, job_id, now)
    };
    match result {
        Ok(effects) => Outcome {
            reply: Message::SlurmRc { rc: 0 },
            durable: vec![Durable::Job(job_id), Durable::Nodes],
            effects,
        },
        Err(e) => rc(e),
    }
}

/// States a suspend or resume refuses whatever the operation.
fn suspendable(c: &Controller, job_id: u32) -> Result<JobState, SlurmRc> {
    let job = c.jobs.get(&job_id).ok_or(SlurmRc::ESLURM_INVALID_JOB_ID)?;
    match job.base_state() {
        JobState::Pending => Err(SlurmRc::ESLURM_JOB_PENDING),
        s if s.is_finished() => Err(SlurmRc::ESLURM_ALREADY_DONE),
        s => Ok(s),
    }
}

/// Suspends a running job: it is held (priority 0), stops using its CPUs
/// (its memory stays allocated, as cons_tres keeps it) and its tasks get
/// stopped by their node daemons. Suspending a suspended job only holds it.
fn suspend_job(c: &mut Controller, job_id: u32, now: i64) -> Result<Vec<Effect>, SlurmRc> {
    let state = suspendable(c, job_id)?;
    let job = c
        .jobs
        .get_mut(&job_id)
        .ok_or(SlurmRc::ESLURM_INVALID_JOB_ID)?;
    if state == JobState::Suspended {
        job.priority = 0;
        return Ok(Vec::new());
    }
    if state != JobState::Running || job.state & super::job::state_flags::COMPLETING != 0 {
        return Err(SlurmRc::ESLURM_JOB_NOT_RUNNING);
    }
    job.state = JobState::Suspended as u32 | (job.state & !0xff);
    job.priority = 0;
    let since = if job.suspend_time != 0 {
        job.suspend_time
    } else {
        job.start_time
    };
    job.pre_sus_time += now - since;
    job.suspend_time = now;
    c.set_cpus_in_use(job_id, false, now);
    c.last_job_update = now;
    Ok(vec![Effect::SuspendJob {
        job_id,
        op: suspend_op::SUSPEND,
    }])
}

/// Resumes a suspended job: it takes its CPUs back, gets its priority
/// again, and its end time is what is left of its limit from now.
fn resume_job(c: &mut Controller, job_id: u32, now: i64) -> Result<Vec<Effect>, SlurmRc> {
    if suspendable(c, job_id)? != JobState::Suspended {
        return Err(SlurmRc::ESLURM_JOB_NOT_SUSPENDED);
    }
    c.set_cpus_in_use(job_id, true, now);
    let Some(mut job) = c.jobs.remove(&job_id) else {
        return Err(SlurmRc::ESLURM_INVALID_JOB_ID);
    };
    if job.priority == 0 {
        c.set_priority(&mut job);
    }
    job.state = JobState::Running as u32 | (job.state & !0xff);
    if let Some(limit) = job
        .time_limit
        .filter(|&l| l != wire::pack::INFINITE && l != NO_VAL)
    {
        job.end_time = now + i64::from(limit) * 60 - job.pre_sus_time;
    }
    job.suspend_time = now;
    c.jobs.insert(job_id, job);
    c.last_job_update = now;
    Ok(vec![Effect::SuspendJob {
        job_id,
        op: suspend_op::RESUME,
    }])
}

impl Controller {
    /// A suspended job gives its CPUs (and cores) back and takes them again
    /// on resume; a node left running nothing shows idle.
    pub(crate) fn set_cpus_in_use(&mut self, job_id: u32, in_use: bool, now: i64) {
        let Some(a) = self.jobs.get(&job_id).and_then(|j| j.alloc.clone()) else {
            return;
        };
        for (k, &i) in a.nodes.iter().enumerate() {
            let node = &mut self.nodes[i];
            let cores = a.cores.get(k);
            if in_use {
                node.alloc_cpus = node.alloc_cpus.saturating_add(a.cpus[k]);
                node.used_cores.extend(cores.into_iter().flatten().copied());
                if node.base() == base::IDLE {
                    node.state = (node.state & !flag::BASE_MASK) | base::ALLOCATED;
                }
            } else {
                node.alloc_cpus = node.alloc_cpus.saturating_sub(a.cpus[k]);
                if let Some(cores) = cores {
                    node.used_cores.retain(|c| !cores.contains(c));
                }
                if node.alloc_cpus == 0 && node.base() == base::ALLOCATED {
                    node.state = (node.state & !flag::BASE_MASK) | base::IDLE;
                    node.last_busy = now;
                }
            }
        }
        self.last_node_update = now;
    }
}

/// REQUEST_TOP_JOB: operators may always; users only with
/// `SchedulerParameters=enable_user_top`, and only for their own jobs.
pub fn top_job(c: &mut Controller, caller: Caller, m: &JobOp, now: i64) -> Outcome {
    let operator = c.is_privileged(caller.uid);
    if !operator && !user_top_enabled(c) {
        return rc(SlurmRc::ESLURM_ACCESS_DENIED);
    }
    let ids = match top_list(c, m.job_id_str.as_deref().unwrap_or("")) {
        Ok(ids) => ids,
        Err(e) => return rc(e),
    };
    let uid = if operator { 0 } else { caller.uid };
    match set_top(c, &ids, uid, now) {
        Ok(changed) => Outcome {
            reply: Message::SlurmRc { rc: 0 },
            durable: changed.into_iter().map(Durable::Job).collect(),
            // Upstream does not call the scheduler for this.
            effects: Vec::new(),
        },
        Err(e) => rc(e),
    }
}

fn user_top_enabled(c: &Controller) -> bool {
    c.build_info
        .as_ref()
        .and_then(|b| b.sched_params.as_deref())
        .is_some_and(|p| p.to_ascii_lowercase().contains("enable_user_top"))
}

/// The records a `top` list names, in its order: `J` or `J_*` is the
/// record with that id, `J_N` the array task's record.
fn top_list(c: &Controller, list: &str) -> Result<Vec<u32>, SlurmRc> {
    let mut ids = Vec::new();
    for tok in list.split(',').filter(|t| !t.is_empty()) {
        let (job_id, rest) = split_id(tok).ok_or(SlurmRc::ESLURM_INVALID_JOB_ID)?;
        let found = match rest {
            "" | "_*" => c.jobs.contains_key(&job_id).then_some(job_id),
            r => {
                let task = r
                    .strip_prefix('_')
                    .and_then(|t| t.parse::<u32>().ok())
                    .ok_or(SlurmRc::ESLURM_INVALID_JOB_ID)?;
                array_record(c, job_id, task)
            }
        };
        ids.push(found.ok_or(SlurmRc::ESLURM_INVALID_JOB_ID)?);
    }
    if ids.is_empty() {
        return Err(SlurmRc::ESLURM_INVALID_JOB_ID);
    }
    Ok(ids)
}

/// The record holding task `task` of array `job_id` (split off, or still
/// pending in the meta record).
fn array_record(c: &Controller, job_id: u32, task: u32) -> Option<u32> {
    if let Some(j) = c
        .jobs
        .values()
        .find(|j| j.array_job_id == job_id && j.array_task_id == Some(task))
    {
        return Some(j.job_id);
    }
    c.jobs
        .get(&job_id)
        .and_then(|j| j.array.as_ref())
        .is_some_and(|a| a.pending.get(task))
        .then_some(job_id)
}

/// Upstream's `_set_top`: the listed pending jobs take the highest
/// priorities among themselves and the same user's other pending jobs in
/// the same partition; what they gain comes off those others (through
/// their nice values). Returns the records changed.
fn set_top(c: &mut Controller, ids: &[u32], uid: u32, now: i64) -> Result<Vec<u32>, SlurmRc> {
    let mut top: Vec<u32> = Vec::new();
    let mut skipped = SlurmRc::SUCCESS;
    for &id in ids {
        let job = &c.jobs[&id];
        if job.user_id != uid && uid != 0 {
            return Err(SlurmRc::ESLURM_ACCESS_DENIED);
        }
        if !job.is_pending() {
            skipped = SlurmRc::ESLURM_JOB_NOT_PENDING;
        } else if job.priority == 0 {
            skipped = SlurmRc::ESLURM_JOB_HELD;
        } else if !top.contains(&id) {
            top.push(id);
        }
    }
    let Some(&first) = top.first() else {
        return Err(skipped);
    };
    let (user, part) = (c.jobs[&first].user_id, c.jobs[&first].part_index);
    let others: Vec<u32> = c
        .jobs
        .values()
        .filter(|j| !top.contains(&j.job_id) && j.is_pending() && j.priority > 1)
        .filter(|j| j.user_id == user && j.part_index == part)
        .map(|j| j.job_id)
        .collect();
    let mut prios: Vec<u32> = top
        .iter()
        .chain(&others)
        .map(|id| c.jobs[id].priority)
        .collect();
    prios.sort_unstable_by(|a, b| b.cmp(a));

    let mut last_prio = NO_VAL;
    let mut total_delta: i64 = 0;
    for (k, &id) in top.iter().enumerate() {
        let mut next = prios[k];
        if last_prio != NO_VAL && next == last_prio && last_prio > 2 {
            next = last_prio - 1;
        }
        last_prio = next;
        let job = c.jobs.get_mut(&id).expect("listed");
        let delta_prio = i64::from(next) - i64::from(job.priority);
        let delta_nice = delta_prio.min(i64::from(nice_of(job)));
        total_delta += delta_nice;
        job.priority = next;
        job.desc.nice = (i64::from(nice_of(job)) - delta_nice) as u32;
    }
    let mut left = others.len() as i64;
    for &id in &others {
        let job = c.jobs.get_mut(&id).expect("listed");
        let mut delta_prio = total_delta / left;
        let mut next = (i64::from(job.priority) - delta_prio) as u32;
        if next >= last_prio {
            next = last_prio.wrapping_sub(1);
            delta_prio = i64::from(job.priority) - i64::from(next);
        }
        job.priority = next;
        job.desc.nice = (i64::from(nice_of(job)) + delta_prio) as u32;
        total_delta -= delta_prio;
        left -= 1;
    }
    c.last_job_update = now;
    Ok(top.into_iter().chain(others).collect())
}

/// A job's biased nice value (unset counts as 0).
fn nice_of(job: &super::Job) -> u32 {
    if job.desc.nice == NO_VAL {
        NICE_OFFSET
    } else {
        job.desc.nice
    }
}
