//! Interactive allocations: `salloc` and `srun` outside a job
//! (REQUEST_RESOURCE_ALLOCATION), their end (REQUEST_COMPLETE_JOB_ALLOCATION)
//! and the messages their listening ports get (upstream's `srun_comm.c`).

use wire::errno::SlurmRc;
use wire::msg::{JobDescriptor, Message};

use super::job::JobState;
use super::submit;
use super::{Caller, Controller, Durable, Effect, Outcome};

/// What the controller tells a listening srun or salloc.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SrunNotice {
    /// RESPONSE_RESOURCE_ALLOCATION: a queued allocation was granted.
    AllocationGranted,
    /// SRUN_JOB_COMPLETE: the job (all its steps) is over.
    JobComplete,
    /// SRUN_JOB_COMPLETE for one step (cancelled with SIGKILL).
    StepComplete(u32),
    /// SRUN_STEP_SIGNAL (signal 0): a step srun waits for may be created now.
    StepRetry,
    /// SRUN_TIMEOUT: the job ends at this time (salloc then says the job
    /// "has exceeded its time limit" when it is revoked).
    Timeout(i64),
}

/// REQUEST_RESOURCE_ALLOCATION (`_slurm_rpc_allocate_resources`): the job
/// is created as sbatch's would be, then started at once if it can be;
/// otherwise it waits and its srun/salloc hears when it starts.
pub fn allocate(c: &mut Controller, caller: Caller, mut desc: JobDescriptor, now: i64) -> Outcome {
    if let Some(h) = &caller.host {
        desc.alloc_node = Some(h.clone());
    }
    // Where the allocating command listens, as the connection shows it.
    desc.resp_host = caller.peer.map(|ip| ip.to_string());
    let immediate = desc.immediate != 0 && desc.immediate != wire::pack::NO_VAL16;
    desc.script = None;
    let job_id = match submit::create(c, caller, desc, now, false) {
        Ok((job_id, _, _)) => job_id,
        Err(r) => return r.into_outcome(),
    };
    if let Some(job) = c.jobs.get_mut(&job_id) {
        job.interactive = true;
    }
    if immediate {
        if let Some(rc) = c.immediate_refusal(job_id) {
            let effects = c.cancel_pending_immediate(job_id, now);
            return Outcome {
                reply: Message::SlurmRc { rc: rc.0 },
                durable: vec![Durable::Job(job_id)],
                effects,
            };
        }
    }
    let (changed, mut effects) = c.main_schedule(now);
    let mut durable: Vec<Durable> = changed.into_iter().map(Durable::Job).collect();
    durable.push(Durable::Job(job_id));
    durable.push(Durable::Nodes);
    // This job's grant goes out in the reply, not to its port.
    effects.retain(|e| !matches!(e, Effect::LaunchBatch { job_id: j } if *j == job_id));
    let started = c.jobs.get(&job_id).is_some_and(|j| !j.is_pending());
    if started {
        // Started on the spot: it never accrued priority age, and
        // upstream shows AccrueTime=Unknown.
        if let Some(job) = c.jobs.get_mut(&job_id) {
            job.accrue_time = 0;
        }
    }
    if !started && immediate {
        let effects = c.cancel_pending_immediate(job_id, now);
        return Outcome {
            reply: Message::SlurmRc {
                rc: SlurmRc::ESLURM_CAN_NOT_START_IMMEDIATELY.0,
            },
            durable,
            effects,
        };
    }
    effects.push(Effect::ScheduleSoon);
    let reply = c.alloc_response(&c.jobs[&job_id], pending_code(&c.jobs[&job_id]));
    Outcome {
        reply: Message::ResourceAllocationResponse(Box::new(reply)),
        durable,
        effects,
    }
}

/// The code a queued allocation's reply carries: srun and salloc print
/// its text before "queued and waiting" (upstream's select error).
fn pending_code(job: &super::job::Job) -> u32 {
    use wire::job_reason::JobReason;
    if !job.is_pending() {
        return 0;
    }
    match job.reason {
        JobReason::WAIT_PART_NODE_LIMIT
        | JobReason::WAIT_PART_TIME_LIMIT
        | JobReason::WAIT_PART_CONFIG => SlurmRc::ESLURM_REQUESTED_PART_CONFIG_UNAVAILABLE.0 as u32,
        _ => 0,
    }
}

impl Controller {
    /// Why `--immediate` cannot even be tried (`job_allocate`): a
    /// dependency, or a pending job of the partition ranks higher.
    fn immediate_refusal(&self, job_id: u32) -> Option<SlurmRc> {
        let job = self.jobs.get(&job_id)?;
        if job.dependencies.is_some() {
            return Some(SlurmRc::ESLURM_DEPENDENCY);
        }
        let outranked = self.jobs.values().any(|o| {
            o.job_id != job_id
                && o.is_pending()
                && o.state & super::job::state_flags::COMPLETING == 0
                && o.priority != 0
                && o.dependencies.is_none()
                && o.part_index == job.part_index
                && o.priority > job.priority
        });
        outranked.then_some(SlurmRc::ESLURM_NOT_TOP_PRIORITY)
    }

    /// `--immediate` could not be met: the job ends as upstream ends it
    /// (FAILED, reason None, never started).
    fn cancel_pending_immediate(&mut self, job_id: u32, now: i64) -> Vec<Effect> {
        if let Some(job) = self.jobs.get_mut(&job_id) {
            job.state = JobState::Failed as u32;
            job.exit_code = 1;
            job.start_time = now;
            job.end_time = now;
            Controller::set_reason(job, wire::job_reason::JobReason::FAIL_BAD_CONSTRAINTS, None);
        }
        self.last_job_update = now;
        vec![Effect::ScheduleSoon]
    }

    /// REQUEST_COMPLETE_JOB_ALLOCATION (`job_complete` from salloc/srun):
    /// the allocation's command ended with wait status `job_rc`.
    pub fn complete_allocation(
        &mut self,
        caller: &Caller,
        job_id: u32,
        job_rc: u32,
        now: i64,
    ) -> Outcome {
        let Some(job) = self.jobs.get(&job_id) else {
            return Outcome::rc(SlurmRc::ESLURM_INVALID_JOB_ID);
        };
        if job.user_id != caller.uid && !self.is_privileged(caller.uid) {
            return Outcome::rc(SlurmRc::ESLURM_USER_ID_MISSING);
        }
        if job.is_pending() {
            // salloc gave up waiting (Ctrl-C): the job is cancelled, and
            // its command hears it (srun prints "Force Terminated").
            let targets = self.queued_allocation_listeners(job_id);
            let mut effects = self.cancel_pending(job_id, now);
            if !targets.is_empty() {
                effects.push(Effect::NotifySrun {
                    job_id,
                    targets,
                    notice: SrunNotice::JobComplete,
                });
            }
            return Outcome {
                reply: Message::SlurmRc { rc: 0 },
                durable: vec![Durable::Job(job_id)],
                effects,
            };
        }
        if job.base_state().is_finished() || job.state & super::job::state_flags::COMPLETING != 0 {
            return Outcome::rc(SlurmRc::ESLURM_ALREADY_DONE);
        }
        let mut effects = self.batch_complete(job_id, job_rc, 0, now);
        effects.push(Effect::ScheduleSoon);
        Outcome {
            reply: Message::SlurmRc { rc: 0 },
            durable: vec![Durable::Job(job_id), Durable::Nodes],
            effects,
        }
    }

    fn cancel_pending(&mut self, job_id: u32, now: i64) -> Vec<Effect> {
        if let Some(job) = self.jobs.get_mut(&job_id) {
            // The pending reason stays, as upstream leaves it.
            job.state = JobState::Cancelled as u32;
            job.start_time = now;
            job.end_time = now;
        }
        self.last_job_update = now;
        vec![Effect::ScheduleSoon]
    }
}
