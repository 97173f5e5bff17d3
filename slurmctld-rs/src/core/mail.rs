//! `--mail-type` notices (upstream's `mail_job_info`): the controller
//! decides when and what; the agent runs MailProg with
//! `-s "<subject>" <user>` and the job's variables.

use super::job::{Job, JobState};
use super::{Controller, Effect};

/// `MAIL_*` bits of `mail_type` (slurm.h).
pub mod kind {
    /// Job started.
    pub const BEGIN: u16 = 0x0001;
    /// Job ended.
    pub const END: u16 = 0x0002;
    /// Job failed (or timed out, ...).
    pub const FAIL: u16 = 0x0004;
    /// Job requeued.
    pub const REQUEUE: u16 = 0x0008;
    /// Time limit reached.
    pub const TIME100: u16 = 0x0010;
    /// 90% of the time limit.
    pub const TIME90: u16 = 0x0020;
    /// 80% of the time limit.
    pub const TIME80: u16 = 0x0040;
    /// 50% of the time limit.
    pub const TIME50: u16 = 0x0080;
}

/// `_mail_type_str`.
fn type_text(mail: u16) -> &'static str {
    match mail {
        kind::BEGIN => "Began",
        kind::END => "Ended",
        kind::FAIL => "Failed",
        kind::REQUEUE => "Requeued",
        kind::TIME100 => "Reached time limit",
        kind::TIME90 => "Reached 90% of time limit",
        kind::TIME80 => "Reached 80% of time limit",
        kind::TIME50 => "Reached 50% of time limit",
        _ => "unknown",
    }
}

/// `secs2time_str`: `[D-]HH:MM:SS`.
pub fn duration_text(secs: i64) -> String {
    let s = secs.max(0);
    let (d, h, m, s) = (s / 86_400, (s / 3600) % 24, (s / 60) % 60, s % 60);
    if d > 0 {
        format!("{d}-{h:02}:{m:02}:{s:02}")
    } else {
        format!("{h:02}:{m:02}:{s:02}")
    }
}

/// `job_state_string` of a base state.
fn state_text(job: &Job) -> &'static str {
    match job.base_state() {
        JobState::Pending => "PENDING",
        JobState::Running => "RUNNING",
        JobState::Suspended => "SUSPENDED",
        JobState::Complete => "COMPLETED",
        JobState::Cancelled => "CANCELLED",
        JobState::Failed => "FAILED",
        JobState::Timeout => "TIMEOUT",
        JobState::NodeFail => "NODE_FAIL",
        JobState::Preempted => "PREEMPTED",
        JobState::BootFail => "BOOT_FAIL",
        JobState::Deadline => "DEADLINE",
        JobState::Oom => "OUT_OF_MEMORY",
    }
}

/// Seconds a job has run by `until` (suspended time left out).
fn run_secs(job: &Job, until: i64) -> i64 {
    if job.suspend_time != 0 {
        until - job.suspend_time + job.pre_sus_time
    } else {
        until - job.start_time
    }
}

impl Controller {
    /// The notice of `mail` for `job_id`, if the job asked for it.
    pub fn mail(&self, job_id: u32, mail: u16, now: i64) -> Option<Effect> {
        let job = self.jobs.get(&job_id)?;
        let user = job
            .desc
            .mail_user
            .as_deref()
            .map(str::to_owned)
            .unwrap_or_else(|| self.user_name(job.user_id));
        let ended = mail == kind::END || mail == kind::FAIL;
        let mut env = self.script_env(job_id, ended);
        env.retain(|(k, _)| k != "SLURM_SCRIPT_CONTEXT");
        let mut set = |k: &str, v: String| {
            env.retain(|(name, _)| name != k);
            env.push((k.to_string(), v));
        };
        set("SLURM_JOB_STATE", state_text(job).into());
        set("SLURM_JOB_MAIL_TYPE", type_text(mail).into());
        let mut time = String::new();
        if mail == kind::BEGIN && job.start_time != 0 {
            let queued = duration_text(job.start_time - job.submit_time);
            time = format!(", Queued time {queued}");
            set("SLURM_JOB_QUEUED_TIME", queued);
        } else if (ended || mail == kind::REQUEUE) && job.start_time != 0 && job.end_time != 0 {
            let ran = duration_text(run_secs(job, job.end_time));
            time = format!(", Run time {ran}");
            set("SLURM_JOB_RUN_TIME", ran);
        } else if mail & (kind::TIME100 | kind::TIME90 | kind::TIME80 | kind::TIME50) != 0
            && job.start_time != 0
        {
            let ran = duration_text(run_secs(job, now));
            time = format!(", Run time {ran}");
            set("SLURM_JOB_RUN_TIME", ran);
        }
        let mut term = String::new();
        if ended {
            let status = job.exit_code;
            if status & 0x7f == 0 {
                let code = (status >> 8) & 0xff;
                term = format!(", {}, ExitCode {code}", state_text(job));
                set("SLURM_JOB_EXIT_CODE_MAX", code.to_string());
            } else {
                term = format!(", {}", state_text(job));
                set("SLURM_JOB_EXIT_CODE_MAX", "0".into());
            }
        }
        let name = job.desc.name.as_deref().unwrap_or_default();
        let subject = match job.array_task_id {
            Some(task) => format!(
                "Slurm Array Task Job_id={}_{task} ({}) Name={name} {}{time}{term}",
                job.array_job_id,
                job.job_id,
                type_text(mail)
            ),
            None => format!(
                "Slurm Job_id={} Name={name} {}{time}{term}",
                job.job_id,
                type_text(mail)
            ),
        };
        Some(Effect::Mail {
            job_id,
            user,
            subject,
            env,
        })
    }

    /// The notice at a job's end (`job_completion_logger`): END for
    /// completed and cancelled jobs, FAIL (else END) for the others.
    pub fn end_mail(&self, job_id: u32, now: i64) -> Option<Effect> {
        let job = self.jobs.get(&job_id)?;
        let wanted = job.desc.mail_type;
        let mail = match job.base_state() {
            JobState::Complete | JobState::Cancelled => kind::END,
            _ if wanted & kind::FAIL != 0 => kind::FAIL,
            _ => kind::END,
        };
        if wanted & mail == 0 {
            return None;
        }
        self.mail(job_id, mail, now)
    }

    /// The time-limit notices a running job is due (each once: its bit is
    /// cleared as upstream clears it).
    pub fn time_limit_mails(&mut self, now: i64) -> Vec<Effect> {
        const STEPS: [(u16, i64); 4] = [
            (kind::TIME100, 100),
            (kind::TIME90, 90),
            (kind::TIME80, 80),
            (kind::TIME50, 50),
        ];
        let mut due = Vec::new();
        for job in self.jobs.values_mut() {
            let asked =
                job.desc.mail_type & (kind::TIME100 | kind::TIME90 | kind::TIME80 | kind::TIME50);
            let Some(limit) = job
                .time_limit
                .filter(|&l| l != wire::pack::INFINITE && l != 0)
            else {
                continue;
            };
            if asked == 0 || job.base_state() != JobState::Running {
                continue;
            }
            let ran = run_secs(job, now);
            let limit = i64::from(limit) * 60;
            for (bit, pct) in STEPS {
                if asked & bit != 0 && ran * 100 >= limit * pct {
                    job.desc.mail_type &= !bit;
                    due.push((job.job_id, bit));
                }
            }
        }
        due.into_iter()
            .filter_map(|(id, bit)| self.mail(id, bit, now))
            .collect()
    }
}
