//! Scheduling passes. Until node daemons register nothing can start, but the
//! pending reasons clients print come from these passes, so they follow
//! upstream's: the test selection at submit time (`job_allocate` →
//! `select_nodes`) and the main scheduler (`schedule()` in job_scheduler.c).

use wire::errno::SlurmRc;
use wire::job_reason::JobReason;

use super::job::Job;
use super::Controller;

/// Text the main scheduler sets when a partition lacks usable nodes.
pub const NODES_REQUIRED_DESC: &str =
    "Nodes required for job are DOWN, DRAINED or reserved for jobs in higher priority partitions";

/// Job `bitflags` bits the scheduler maintains.
pub mod sched_flags {
    /// BACKFILL_SCHED: last evaluated by backfill.
    pub const BACKFILL_SCHED: u64 = 1 << 32;
    /// BACKFILL_LAST: considered in the last backfill cycle.
    pub const BACKFILL_LAST: u64 = 1 << 33;
}

impl Controller {
    /// Tasks of array `array_job_id` running now.
    pub fn running_tasks(&self, array_job_id: u32) -> u32 {
        self.jobs
            .values()
            .filter(|j| j.array_job_id == array_job_id && j.array_task_id.is_some())
            .filter(|j| j.base_state() == super::job::JobState::Running)
            .count() as u32
    }

    /// Before an array task starts, upstream splits it off the array's
    /// record into one of its own with a new job id; the last task keeps
    /// the array's id. Returns the id of the record to start.
    fn split_array_task(&mut self, meta: &mut Job, now: i64) -> u32 {
        let Some(array) = meta.array.as_mut() else {
            return meta.job_id;
        };
        let Some(task) = array.pending.ones().next() else {
            return meta.job_id;
        };
        if array.count() <= 1 {
            meta.array = None;
            meta.array_task_id = Some(task);
            return meta.job_id;
        }
        array.pending.clear(task);
        let mut t = meta.clone();
        t.job_id = self.allocate_job_id();
        t.array = None;
        t.array_task_id = Some(task);
        t.array_job_id = meta.job_id;
        t.last_sched_eval = now;
        let id = t.job_id;
        self.jobs.insert(id, Box::new(t));
        id
    }

    /// Nodes of partition `part` the scheduler may use now.
    pub fn available_nodes(&self, part: usize) -> Vec<usize> {
        self.spec.partitions[part]
            .nodes
            .iter()
            .copied()
            .filter(|&i| self.nodes[i].is_available())
            .collect()
    }

    /// Nodes of partition `part` that are down, drained or silent, as a hostlist.
    fn unavailable_nodes_str(&self, part: usize) -> Option<String> {
        let names: Vec<String> = self.spec.partitions[part]
            .nodes
            .iter()
            .filter(|&&i| !self.nodes[i].is_available())
            .map(|&i| self.spec.nodes[i].name.clone())
            .collect();
        (!names.is_empty()).then(|| wire::hostlist::compress(&names))
    }

    /// After a restart: accrue times start over (upstream does not keep
    /// them) and eligible pending jobs get the reason the submit-time
    /// selection gives them. That outcome depends only on the job's
    /// partition and node count (node states do not change meanwhile), so
    /// it is worked out once per pair, not once per job.
    pub fn restore_pending_reasons(&mut self, now: i64) -> usize {
        let mut eligible = Vec::new();
        for job in self.jobs.values_mut().filter(|j| j.is_pending()) {
            job.accrue_time = 0;
            if job.priority != 0 && job.eligible_time != 0 && job.eligible_time <= now {
                eligible.push(job.job_id);
            }
        }
        let mut seen: Vec<((usize, u32), JobReason, Option<String>)> = Vec::new();
        for &id in &eligible {
            let Some(job) = self.jobs.get_mut(&id) else {
                continue;
            };
            let key = (job.part_index, job.desc.min_nodes.max(1));
            if let Some((_, reason, desc)) = seen.iter().find(|(k, _, _)| *k == key) {
                job.last_sched_eval = now;
                Controller::set_reason(job, *reason, desc.clone());
                continue;
            }
            if let Some(mut job) = self.jobs.remove(&id) {
                self.submit_time_selection(&mut job, now);
                seen.push((key, job.reason, job.state_desc.clone()));
                self.jobs.insert(id, job);
            }
        }
        eligible.len()
    }

    /// The selection attempt at submit time: records why the job cannot
    /// start now and returns upstream's `job_allocate` code (the submit
    /// response turns ESLURM_NODES_BUSY into success, see `submit`). Its
    /// outcome depends only on the job's partition and node count; see
    /// [`Controller::restore_pending_reasons`].
    pub fn submit_time_selection(&mut self, job: &mut Job, now: i64) -> SlurmRc {
        job.last_sched_eval = now;
        let avail = self.available_nodes(job.part_index).len() as u32;
        if avail < job.desc.min_nodes.max(1) {
            let desc = match self.unavailable_nodes_str(job.part_index) {
                Some(nodes) => format!("ReqNodeNotAvail, UnavailableNodes:{nodes}"),
                None => "ReqNodeNotAvail, May be reserved for other job".to_string(),
            };
            Controller::set_reason(job, JobReason::WAIT_NODE_NOT_AVAIL, Some(desc));
            return SlurmRc::ESLURM_NODE_NOT_AVAIL;
        }
        // Nodes exist but are busy: the job waits for resources.
        self.estimate_node_count(job);
        Controller::set_reason(job, JobReason::WAIT_RESOURCES, None);
        SlurmRc::ESLURM_NODES_BUSY
    }

    /// One pass of the main scheduler over pending jobs, highest priority
    /// first: starts what fits, records why the rest waits. Returns the ids
    /// of jobs whose record changed and the launches to carry out.
    pub fn main_schedule(&mut self, now: i64) -> (Vec<u32>, Vec<super::Effect>) {
        let mut effects = Vec::new();
        // Held jobs (priority 0) and requeued jobs still completing on their
        // old nodes cannot start in this pass: leave them out of the sort,
        // which matters with a long held queue (a pass follows every burst of
        // submissions).
        let order = self.queue_order(|_| true);
        let mut failed_parts: Vec<usize> = Vec::new();
        let mut changed = Vec::new();
        // Every pending task of an array is a queue entry of its own in
        // upstream's pass, so after one starts the array is looked at again.
        let mut queue: std::collections::VecDeque<u32> =
            order.into_iter().map(|(_, id)| id).collect();
        while let Some(id) = queue.pop_front() {
            // Most of a long queue cannot change in this pass: held jobs, and
            // eligible jobs behind a partition that already failed whose reason
            // this pass keeps. Skip those without moving them out of the map.
            if let Some(j) = self.jobs.get(&id) {
                // A requeued job still cleaning up on its old nodes waits.
                let held = j.priority == 0 || j.state & super::job::state_flags::COMPLETING != 0;
                let kept = failed_parts.contains(&j.part_index)
                    && j.reason != JobReason::WAIT_NO_REASON
                    && j.reason != JobReason::WAIT_RESOURCES
                    && j.eligible_time != 0
                    && j.eligible_time <= now
                    && j.dependencies.is_none();
                if held || kept {
                    continue;
                }
            }
            let Some(mut job) = self.jobs.remove(&id) else {
                continue;
            };
            let before = (
                job.reason,
                job.state_desc.clone(),
                job.eligible_time,
                job.last_sched_eval,
            );
            self.refresh_eligibility(&mut job, now);
            // A job that is eligible but not accruing priority age fails
            // upstream's acct_policy_job_runnable_pre_select and is passed
            // over with its reason untouched (this is what a job restored
            // after a restart looks like until something re-queues it).
            let runnable = job.priority != 0
                && job.eligible_time != 0
                && job.eligible_time <= now
                && job.accrue_time != 0;
            if job.is_pending()
                && job.priority != 0
                && job.eligible_time > now
                && job.reason == JobReason::WAIT_NO_REASON
            {
                Controller::set_reason(&mut job, JobReason::WAIT_TIME, None);
            }
            if runnable {
                // The partition's own verdict (job_limits_check) comes
                // first, as upstream leaves such jobs out of its queue. A
                // time limit over MaxTime is usually an admin's doing, which
                // upstream lets through to the node check below.
                let limits_reason = super::submit::part_limits_reason(
                    self,
                    &self.spec.partitions[job.part_index],
                    &job.desc,
                    job.time_limit.unwrap_or(wire::pack::NO_VAL),
                );
                let (time_reason, other_reason) = match limits_reason {
                    Some(JobReason::WAIT_PART_TIME_LIMIT) => (limits_reason, None),
                    other => (None, other),
                };
                if let Some(reason) = other_reason {
                    Controller::set_reason(&mut job, reason, None);
                } else if failed_parts.contains(&job.part_index) {
                    if job.reason == JobReason::WAIT_NO_REASON
                        || job.reason == JobReason::WAIT_RESOURCES
                    {
                        Controller::set_reason(&mut job, JobReason::WAIT_PRIORITY, None);
                    }
                } else if !deadline_ok(&job, now) {
                    end_past_deadline(&mut job, now);
                    changed.push(id);
                    self.jobs.insert(id, job);
                    // A waiting salloc/srun hears its job is gone.
                    let targets = self.queued_allocation_listeners(id);
                    if !targets.is_empty() {
                        effects.push(super::Effect::NotifySrun {
                            job_id: id,
                            targets,
                            notice: super::interactive::SrunNotice::JobComplete,
                        });
                    }
                    effects.extend(self.end_mail(id, now));
                    continue;
                } else {
                    job.last_sched_eval = now;
                    job.desc.bitflags &= !sched_flags::BACKFILL_SCHED;
                    let avail = self.available_nodes(job.part_index).len() as u32;
                    if job.desc.min_nodes.max(1) > avail {
                        Controller::set_reason(
                            &mut job,
                            JobReason::WAIT_RESOURCES,
                            Some(NODES_REQUIRED_DESC.to_string()),
                        );
                        failed_parts.push(job.part_index);
                    } else if let Some(reason) = time_reason {
                        Controller::set_reason(&mut job, reason, None);
                    } else if job
                        .array
                        .as_ref()
                        .is_some_and(|a| a.max_run > 0 && self.running_tasks(id) >= a.max_run)
                    {
                        // Upstream forgets a past begin time of a throttled
                        // array (EligibleTime=Unknown) until a task may start.
                        if job.eligible_time <= now {
                            job.eligible_time = 0;
                        }
                        Controller::set_reason(&mut job, JobReason::WAIT_ARRAY_TASK_LIMIT, None);
                    } else if let Some(alloc) = {
                        self.resolve_shared(&mut job);
                        self.try_allocate(&job)
                    } {
                        // A job with a deadline runs at most until it.
                        if let Some(limit) =
                            deadline_time_limit(&job, &self.spec.partitions[job.part_index], now)
                        {
                            job.time_limit = Some(limit);
                        }
                        let run_id = self.split_array_task(&mut job, now);
                        if run_id != id && job.array.as_ref().is_some_and(|a| a.count() > 0) {
                            queue.push_front(id);
                        }
                        self.jobs.insert(id, job);
                        effects.extend(self.start_job(run_id, alloc, now));
                        changed.push(id);
                        if run_id != id {
                            changed.push(run_id);
                        }
                        continue;
                    } else {
                        self.estimate_node_count(&mut job);
                        Controller::set_reason(&mut job, JobReason::WAIT_RESOURCES, None);
                        failed_parts.push(job.part_index);
                    }
                }
            }
            if before
                != (
                    job.reason,
                    job.state_desc.clone(),
                    job.eligible_time,
                    job.last_sched_eval,
                )
            {
                changed.push(id);
            }
            self.jobs.insert(id, job);
        }
        if !changed.is_empty() {
            self.last_job_update = now;
        }
        (changed, effects)
    }
}

/// Whether a job with `--deadline` can still finish before it when started
/// now, judged on its `--time-min` if it has one, else its time limit
/// (upstream's `deadline_ok`).
fn deadline_ok(job: &Job, now: i64) -> bool {
    let deadline = job.desc.deadline;
    if deadline == 0 || deadline == i64::from(wire::pack::NO_VAL) {
        return true;
    }
    let time_min = job.desc.time_min;
    let minutes = if time_min != 0 && time_min != wire::pack::NO_VAL {
        Some(time_min)
    } else {
        job.time_limit
            .filter(|&t| t != wire::pack::INFINITE && t != wire::pack::NO_VAL)
    };
    minutes.is_none_or(|m| deadline >= now + i64::from(m) * 60)
}

/// A pending job that can no longer meet its deadline ends DEADLINE with
/// exit code 1, as upstream's scheduler ends it.
fn end_past_deadline(job: &mut Job, now: i64) {
    job.state = super::job::JobState::Deadline as u32;
    job.exit_code = 1;
    Controller::set_reason(job, JobReason::FAIL_DEADLINE, None);
    job.start_time = now;
    job.end_time = now;
}

/// The time limit a job with a deadline starts with: its own (or else the
/// partition's DefaultTime, else MaxTime), cut to the minutes left.
fn deadline_time_limit(job: &Job, part: &super::spec::PartitionSpec, now: i64) -> Option<u32> {
    let deadline = job.desc.deadline;
    if deadline == 0 || deadline == i64::from(wire::pack::NO_VAL) {
        return None;
    }
    let left = u32::try_from((deadline - now) / 60).unwrap_or(0);
    let own = job
        .time_limit
        .filter(|&t| t != wire::pack::INFINITE && t != wire::pack::NO_VAL);
    let bound = own.or(part.default_time).or(part.max_time);
    let limit = bound.map_or(left, |b| b.min(left));
    (limit != 0).then_some(limit)
}

impl Controller {
    /// Pending jobs that may be looked at (not held, not still completing
    /// after a requeue) and pass `more`, as (priority, id) in upstream's
    /// queue order: priority descending, then job id ascending.
    fn queue_order(&self, more: impl Fn(&Job) -> bool) -> Vec<(u32, u32)> {
        let mut order: Vec<(u32, u32)> = self
            .jobs
            .values()
            .filter(|j| {
                j.is_pending()
                    && j.priority != 0
                    && j.state & super::job::state_flags::COMPLETING == 0
                    && more(j)
            })
            .map(|j| (j.priority, j.job_id))
            .collect();
        order.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        order
    }

    /// Expected start times of pending jobs, as upstream's sched/builtin
    /// computes them every `interval` (`_compute_start_times`): for up to
    /// `max_jobs` + 1 eligible jobs in priority order, the earliest moment
    /// running jobs (ending at their end times) leave room for the job; a
    /// later job that would share nodes with an earlier estimate starts no
    /// sooner than that one ends. Returns the jobs whose estimate changed.
    /// `plan_nodes`: remember the nodes of each estimate (backfill shows
    /// them as SchedNodeList, sched/builtin does not).
    pub fn estimate_start_times(
        &mut self,
        max_jobs: usize,
        plan_nodes: bool,
        now: i64,
    ) -> Vec<u32> {
        let jobs = &self.jobs;
        self.planned_nodes
            .retain(|id, _| jobs.get(id).is_some_and(|j| j.is_pending()));
        // Jobs of a partition that does not schedule (DOWN) get none.
        let order = self.queue_order(|j| {
            j.eligible_time != 0
                && j.eligible_time <= now
                && j.dependencies.is_none()
                && self.spec.partitions[j.part_index].state_up & super::spec::PART_STATE_SCHED != 0
        });
        let mut ends: Vec<(i64, u32)> = self
            .jobs
            .values()
            .filter(|j| j.alloc.as_ref().is_some_and(|a| !a.released))
            .map(|j| (j.end_time, j.job_id))
            .collect();
        ends.sort_unstable();
        let mut changed = Vec::new();
        let mut estimated_nodes: Vec<usize> = Vec::new();
        let mut last_job_alloc = now - 1;
        for (_, id) in order.into_iter().take(max_jobs + 1) {
            let throttled = self.jobs.get(&id).is_some_and(|j| {
                j.array
                    .as_ref()
                    .is_some_and(|a| a.max_run > 0 && self.running_tasks(id) >= a.max_run)
            });
            if throttled {
                continue;
            }
            let Some(mut job) = self.jobs.remove(&id) else {
                continue;
            };
            if let Some((mut start, nodes)) = self.will_run(&job, &ends, now) {
                if plan_nodes {
                    let names: Vec<String> = nodes
                        .iter()
                        .map(|&i| self.spec.nodes[i].name.clone())
                        .collect();
                    self.planned_nodes
                        .insert(id, wire::hostlist::compress(&names));
                }
                if nodes.iter().any(|n| estimated_nodes.contains(n)) && start <= last_job_alloc {
                    start = last_job_alloc;
                }
                estimated_nodes.extend(nodes);
                let limit = match job.time_limit {
                    Some(t) if t != wire::pack::INFINITE && t != wire::pack::NO_VAL => {
                        i64::from(t) * 60
                    }
                    _ => 365 * 24 * 3600,
                };
                last_job_alloc = start + limit;
                if job.start_time != start {
                    job.start_time = start;
                    changed.push(id);
                }
            }
            self.jobs.insert(id, job);
        }
        if !changed.is_empty() {
            self.last_job_update = now;
        }
        changed
    }

    /// Records the nodes `job` would get if no job held anything (upstream
    /// keeps the selection's test-only answer for a job that must wait as
    /// its `node_cnt_wag`, which views show as a pending job's node
    /// count); kept as it was when even that finds none.
    pub fn estimate_node_count(&mut self, job: &mut Job) {
        let idle: Vec<super::node::NodeRuntime> = self
            .nodes
            .iter()
            .map(|n| super::node::NodeRuntime {
                alloc_cpus: 0,
                alloc_mem: 0,
                alloc_gres: Vec::new(),
                used_cores: Default::default(),
                ..n.clone()
            })
            .collect();
        let saved = std::mem::replace(&mut self.nodes, idle);
        let picked = self.try_allocate(job);
        self.nodes = saved;
        if let Some(a) = picked {
            job.node_cnt_wag = a.nodes.len() as u32;
        }
    }

    /// When `job` could start if running jobs end at their end times, and
    /// on which nodes: now if it fits now, else the end of the running job
    /// whose release first makes room (select's will-run test).
    fn will_run(&mut self, job: &Job, ends: &[(i64, u32)], now: i64) -> Option<(i64, Vec<usize>)> {
        if let Some(a) = self.try_allocate(job) {
            return Some((now, a.nodes));
        }
        let saved = self.nodes.clone();
        let mut found = None;
        for &(end, id) in ends {
            let Some(other) = self.jobs.get(&id) else {
                continue;
            };
            let Some(alloc) = other.alloc.clone() else {
                continue;
            };
            let asked = other.desc.pn_min_memory;
            super::alloc::free_on_nodes(&mut self.nodes, id, &alloc, asked);
            if let Some(a) = self.try_allocate(job) {
                found = Some((end.max(now), a.nodes));
                break;
            }
        }
        self.nodes = saved;
        found
    }
}
