//! The controller's job record and the pieces of it that have upstream
//! semantics of their own: states, array task sets, dependencies.

use wire::job_reason::JobReason;
use wire::pack::{Bitmap, DecodeResult, Packer, Unpacker, NO_VAL};

use super::desc::{unpack_text, JobDesc, SLOT_PARTITION, SLOT_TRES_REQ};
use super::text::{Interner, Text};

use super::gres::{GresAlloc, GresOnNode};

/// Tag of the GRES-indices section that follows the descriptor in a job
/// record (absent in records written before it existed).
const GRES_INDICES: u8 = 1;
/// Tag of the suspend-times section (written only once a job was
/// suspended), after the GRES indices if any.
const SUSPEND_TIMES: u8 = 2;
/// Section tag: `u32 next_step_id · u32 count` and the running steps.
const STEPS: u8 = 3;

/// Base job states (`enum job_states`, low byte of `job_state`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u32)]
pub enum JobState {
    /// JOB_PENDING.
    Pending = 0,
    /// JOB_RUNNING.
    Running = 1,
    /// JOB_SUSPENDED.
    Suspended = 2,
    /// JOB_COMPLETE.
    Complete = 3,
    /// JOB_CANCELLED.
    Cancelled = 4,
    /// JOB_FAILED.
    Failed = 5,
    /// JOB_TIMEOUT.
    Timeout = 6,
    /// JOB_NODE_FAIL.
    NodeFail = 7,
    /// JOB_PREEMPTED.
    Preempted = 8,
    /// JOB_BOOT_FAIL.
    BootFail = 9,
    /// JOB_DEADLINE.
    Deadline = 10,
    /// JOB_OOM.
    Oom = 11,
}

impl JobState {
    /// From the low byte of a wire `job_state`.
    pub fn from_wire(v: u32) -> Option<JobState> {
        use JobState::*;
        Some(match v & 0xff {
            0 => Pending,
            1 => Running,
            2 => Suspended,
            3 => Complete,
            4 => Cancelled,
            5 => Failed,
            6 => Timeout,
            7 => NodeFail,
            8 => Preempted,
            9 => BootFail,
            10 => Deadline,
            11 => Oom,
            _ => return None,
        })
    }

    /// True once the job can never run again without a requeue.
    pub fn is_finished(self) -> bool {
        (self as u32) >= JobState::Complete as u32
    }
}

/// Job state flag bits above the base state (slurm.h).
pub mod state_flags {
    /// JOB_REQUEUE.
    pub const REQUEUE: u32 = 1 << 10;
    /// JOB_LAUNCH_FAILED (in a requeue request: the node could not start it).
    pub const LAUNCH_FAILED: u32 = 1 << 8;
    /// JOB_REQUEUE_HOLD.
    pub const REQUEUE_HOLD: u32 = 1 << 11;
    /// JOB_SPECIAL_EXIT.
    pub const SPECIAL_EXIT: u32 = 1 << 12;
    /// JOB_CONFIGURING: allocated, launch waits (PrologSlurmctld running).
    pub const CONFIGURING: u32 = 1 << 14;
    /// JOB_COMPLETING.
    pub const COMPLETING: u32 = 1 << 15;
}

/// How a job array was requested (`--array=0-99%10`): the pending task ids
/// still carried by the meta record, and the throttle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArrayTasks {
    /// Pending task ids still in this record.
    pub pending: Bitmap,
    /// `%N` throttle; 0 = none.
    pub max_run: u32,
}

impl ArrayTasks {
    /// Parses sbatch's `array_inx`: `0-99%10`, `1,3,5-7:2`. Returns None for a
    /// malformed expression or an index at or above `max_array_size`.
    pub fn parse(spec: &str, max_array_size: u32) -> Option<ArrayTasks> {
        let (list, max_run) = match spec.split_once('%') {
            Some((l, t)) => (l, t.parse::<u32>().ok()?),
            None => (spec, 0),
        };
        if max_array_size == 0 {
            return None;
        }
        let mut pending = Bitmap::new(max_array_size);
        let mut any = false;
        for part in list.split(',') {
            let (range, step) = match part.split_once(':') {
                Some((r, s)) => (r, s.parse::<u32>().ok().filter(|&s| s > 0)?),
                None => (part, 1),
            };
            let (lo, hi) = match range.split_once('-') {
                Some((a, b)) => (a.parse::<u32>().ok()?, b.parse::<u32>().ok()?),
                None => {
                    let v = range.parse::<u32>().ok()?;
                    (v, v)
                }
            };
            if lo > hi || hi >= max_array_size {
                return None;
            }
            let mut i = lo;
            while i <= hi {
                pending.set(i);
                any = true;
                i = match i.checked_add(step) {
                    Some(n) => n,
                    None => break,
                };
            }
        }
        // Upstream keeps the task bitmap one bit past the highest index,
        // and that length shows in the hex mask clients are sent.
        let last = pending.ones().last().filter(|_| any)?;
        let mut tasks = Bitmap::new(last + 1);
        pending.ones().for_each(|i| tasks.set(i));
        Some(ArrayTasks {
            pending: tasks,
            max_run,
        })
    }

    /// Number of tasks still pending in this record.
    pub fn count(&self) -> u32 {
        self.pending.count_ones()
    }

    /// `array_task_str` as upstream sends it: the pending tasks as a hex
    /// mask (the clients turn it into ranges and add `%N` themselves).
    pub fn task_str(&self) -> String {
        self.pending.to_hex()
    }
}

/// One `type:jobid[+time][:jobid...]` clause of `--dependency`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dependency {
    /// after, afterany, afterok, afternotok, aftercorr, afterburstbuffer, singleton.
    pub kind: DependencyKind,
    /// The job it waits for (0 for singleton).
    pub job_id: u32,
    /// Array task, when `jobid_task` was given.
    pub array_task: Option<u32>,
    /// Where it stands; once fulfilled or failed it stays so (upstream's
    /// `depend_state`).
    pub state: DependencyStatus,
}

/// Dependency types (`SLURM_DEPEND_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DependencyKind {
    /// `after`.
    After,
    /// `afterany`.
    AfterAny,
    /// `afternotok`.
    AfterNotOk,
    /// `afterok`.
    AfterOk,
    /// `aftercorr`.
    AfterCorr,
    /// `afterburstbuffer`.
    AfterBurstBuffer,
    /// `singleton`.
    Singleton,
}

impl DependencyKind {
    fn name(self) -> &'static str {
        match self {
            DependencyKind::After => "after",
            DependencyKind::AfterAny => "afterany",
            DependencyKind::AfterNotOk => "afternotok",
            DependencyKind::AfterOk => "afterok",
            DependencyKind::AfterCorr => "aftercorr",
            DependencyKind::AfterBurstBuffer => "afterburstbuffer",
            DependencyKind::Singleton => "singleton",
        }
    }
}

/// A parsed `--dependency` expression.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Dependencies {
    /// The clauses.
    pub items: Vec<Dependency>,
    /// `?` separators mean any one suffices.
    pub any: bool,
}

impl Dependencies {
    /// Parses `afterok:12:13,afterany:14_2` or `singleton`. None = malformed.
    pub fn parse(spec: &str) -> Option<Dependencies> {
        let any = spec.contains('?');
        let mut items = Vec::new();
        for clause in spec.split([',', '?']) {
            if clause.eq_ignore_ascii_case("singleton") {
                items.push(Dependency {
                    kind: DependencyKind::Singleton,
                    job_id: 0,
                    array_task: None,
                    state: DependencyStatus::Unfulfilled,
                });
                continue;
            }
            let mut parts = clause.split(':');
            let kind = match parts.next()?.to_ascii_lowercase().as_str() {
                "after" => DependencyKind::After,
                "afterany" => DependencyKind::AfterAny,
                "afternotok" => DependencyKind::AfterNotOk,
                "afterok" => DependencyKind::AfterOk,
                "aftercorr" => DependencyKind::AfterCorr,
                "afterburstbuffer" => DependencyKind::AfterBurstBuffer,
                _ => return None,
            };
            let mut n = 0;
            for id in parts {
                // `after:jobid+minutes` carries a delay.
                let id = id.split('+').next()?;
                let (job, task) = match id.split_once('_') {
                    Some((j, t)) => (j.parse::<u32>().ok()?, Some(t.parse::<u32>().ok()?)),
                    None => (id.parse::<u32>().ok()?, None),
                };
                if job == 0 {
                    return None;
                }
                items.push(Dependency {
                    kind,
                    job_id: job,
                    array_task: task,
                    state: DependencyStatus::Unfulfilled,
                });
                n += 1;
            }
            if n == 0 {
                return None;
            }
        }
        (!items.is_empty()).then_some(Dependencies { items, any })
    }
}

/// How a dependency stands right now, for the reason and the printed string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DependencyStatus {
    #[default]
    /// Still waiting.
    Unfulfilled,
    /// Satisfied.
    Fulfilled,
    /// Can never be satisfied.
    Failed,
}

impl DependencyStatus {
    fn name(self) -> &'static str {
        match self {
            DependencyStatus::Unfulfilled => "unfulfilled",
            DependencyStatus::Fulfilled => "fulfilled",
            DependencyStatus::Failed => "failed",
        }
    }
}

/// Formats a dependency list as `scontrol show job` prints it:
/// `afterok:1000(unfulfilled),afterany:7_2(failed)`.
pub fn format_dependencies(deps: &Dependencies) -> String {
    let sep = if deps.any { "?" } else { "," };
    deps.items
        .iter()
        .map(|d| (d, d.state))
        .map(|(d, s)| match d.kind {
            DependencyKind::Singleton => format!("singleton({})", s.name()),
            k => match d.array_task {
                Some(wire::pack::INFINITE) => format!("{}:{}_*({})", k.name(), d.job_id, s.name()),
                Some(t) => format!("{}:{}_{}({})", k.name(), d.job_id, t, s.name()),
                None => format!("{}:{}({})", k.name(), d.job_id, s.name()),
            },
        })
        .collect::<Vec<_>>()
        .join(sep)
}

/// A job as the controller keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    /// Job id.
    pub job_id: u32,
    /// For array records: the array's job id (the meta record's id).
    pub array_job_id: u32,
    /// Task id of a split-off array task.
    pub array_task_id: Option<u32>,
    /// Tasks still held by the meta record.
    pub array: Option<ArrayTasks>,
    /// Submitting user (from the verified credential).
    pub user_id: u32,
    /// Submitting group.
    pub group_id: u32,
    /// Base state plus flags (wire `job_state`).
    pub state: u32,
    /// Why it is pending, or how it ended.
    pub reason: JobReason,
    /// Free text that clients print in place of the reason.
    pub state_desc: Option<String>,
    /// 0 = held.
    pub priority: u32,
    /// Partition name.
    pub partition: Text,
    /// Index into the partition table.
    pub part_index: usize,
    /// Minutes; None = partition's limit (NO_VAL).
    pub time_limit: Option<u32>,
    /// When it was submitted.
    pub submit_time: i64,
    /// Eligible since (0 = not yet).
    pub eligible_time: i64,
    /// Accruing priority since (0 = not yet).
    pub accrue_time: i64,
    /// When the scheduler last looked at it.
    pub last_sched_eval: i64,
    /// Started (0 = not yet).
    pub start_time: i64,
    /// Ended (0 = not yet).
    pub end_time: i64,
    /// Wait status of the batch script.
    pub exit_code: u32,
    /// Highest exit code of any step.
    pub derived_ec: u32,
    /// How often it was requeued.
    pub restart_cnt: u16,
    /// Last suspend or resume (0 = never).
    pub suspend_time: i64,
    /// Seconds run before the last suspend (upstream's `pre_sus_time`).
    pub pre_sus_time: i64,
    /// Parsed dependencies.
    pub dependencies: Option<Dependencies>,
    /// Held by an admin (vs by the user).
    pub admin_hold: bool,
    /// The priority was set by hand (`--priority`, `scontrol update
    /// Priority=`, a hold): priority plugins leave it alone and nice
    /// changes are ignored (upstream's `direct_set_prio`).
    pub direct_prio: bool,
    /// `tres_req_str`, fixed at submission as upstream fixes it.
    pub tres_req: Text,
    /// Resources held while running or completing.
    pub alloc: Option<super::alloc::Allocation>,
    /// Nodes the last selection would give the job on idle nodes, shown
    /// as a pending job's node count (upstream's `node_cnt_wag`; 0: no
    /// selection yet). Not saved: the next selection sets it again.
    pub node_cnt_wag: u32,
    /// SRUN_TIMEOUT went to its srun/salloc (not saved: a restart may send
    /// it again, as upstream's periodic check does anyway).
    pub srun_timeout_sent: bool,
    /// sruns waiting for CPUs other steps hold: (host, port, since). Told
    /// to retry when a step ends (upstream's pending step records; not
    /// saved: srun retries on its own after a minute anyway).
    pub pending_steps: Vec<(String, u16, i64)>,
    /// Created by salloc/srun (REQUEST_RESOURCE_ALLOCATION): no batch
    /// script; it ends when its allocating command says so.
    pub interactive: bool,
    /// Steps srun started that have not ended on every node.
    pub steps: Vec<super::step::Step>,
    /// Id the next step gets.
    pub next_step_id: u32,
    /// The descriptor as submitted, normalised (partition, time limit and
    /// counts resolved). Script and environment are on disk, not here.
    pub desc: JobDesc,
}

impl Job {
    /// Base state.
    pub fn base_state(&self) -> JobState {
        JobState::from_wire(self.state).unwrap_or(JobState::Pending)
    }

    /// True while pending.
    pub fn is_pending(&self) -> bool {
        self.base_state() == JobState::Pending
    }

    /// Whose batch script and environment this record runs: an array's
    /// tasks share the array's (upstream keys them by `array_job_id` too).
    pub fn batch_key(&self) -> u32 {
        if self.array_job_id != 0 {
            self.array_job_id
        } else {
            self.job_id
        }
    }

    /// Number of job records this counts for against MaxJobCount.
    pub fn record_count(&self) -> u32 {
        self.array.as_ref().map_or(1, |a| a.count().max(1))
    }

    /// Serialises the record for the state store.
    pub fn pack(&self, p: &mut Packer) {
        p.u32(self.job_id);
        p.u32(self.array_job_id);
        p.u32(self.array_task_id.unwrap_or(NO_VAL));
        match &self.array {
            None => p.u8(0),
            Some(a) => {
                p.u8(1);
                p.bitmap(Some(&a.pending));
                p.u32(a.max_run);
            }
        }
        p.u32(self.user_id);
        p.u32(self.group_id);
        p.u32(self.state);
        p.u16(self.reason.0);
        p.str(self.state_desc.as_deref());
        p.u32(self.priority);
        p.string(&self.partition);
        p.u32(self.time_limit.unwrap_or(NO_VAL));
        for t in [
            self.submit_time,
            self.eligible_time,
            self.accrue_time,
            self.last_sched_eval,
            self.start_time,
            self.end_time,
        ] {
            p.time(t);
        }
        p.u32(self.exit_code);
        p.u32(self.derived_ec);
        p.u16(self.restart_cnt);
        // One byte of flags; records written before `direct_prio` hold 0/1.
        p.u8(u8::from(self.admin_hold)
            | u8::from(self.direct_prio) << 1
            | u8::from(self.interactive) << 2);
        p.string(&self.tres_req);
        match &self.alloc {
            None => p.u8(0),
            Some(a) => {
                p.u8(1);
                p.u32_array(&a.nodes.iter().map(|&n| n as u32).collect::<Vec<_>>());
                p.u16_array(&a.cpus);
                p.u64(a.mem_per_node);
                // Per-node counts as the first record layout had them; the
                // indices follow the descriptor (see below).
                p.u32(a.gres.len() as u32);
                for g in &a.gres {
                    p.string(&g.name);
                    p.str(g.kind.as_deref());
                    p.u64(g.nodes.iter().map(|n| n.count).max().unwrap_or(0));
                }
                p.u32_array(&a.completing.iter().map(|&n| n as u32).collect::<Vec<_>>());
                p.u32(a.cores.len() as u32);
                for c in &a.cores {
                    p.u32_array(c);
                }
                p.bool(a.released);
            }
        }
        self.desc.pack(p);
        // Appended so that records written before GRES indices existed
        // still read (they end here) and older builds ignore the tail.
        if let Some(a) = &self.alloc {
            p.u8(GRES_INDICES);
            for g in &a.gres {
                p.u32(g.nodes.len() as u32);
                for on in &g.nodes {
                    p.u64(on.count);
                    match &on.indices {
                        None => p.u8(0),
                        Some(ix) => {
                            p.u8(1);
                            p.u32_array(ix);
                        }
                    }
                }
            }
        }
        if self.suspend_time != 0 {
            p.u8(SUSPEND_TIMES);
            p.time(self.suspend_time);
            p.time(self.pre_sus_time);
        }
        if self.next_step_id != 0 || !self.steps.is_empty() {
            p.u8(STEPS);
            p.u32(self.next_step_id);
            p.u32(self.steps.len() as u32);
            self.steps.iter().for_each(|s| s.pack(p));
        }
    }

    /// Reads a record written by [`Job::pack`], sharing its strings through
    /// `strings`. `part_index` is resolved by the caller.
    pub fn unpack(u: &mut Unpacker<'_>, strings: &mut Interner) -> DecodeResult<Job> {
        let job_id = u.u32("job_id")?;
        let array_job_id = u.u32("array_job_id")?;
        let array_task_id = Some(u.u32("array_task_id")?).filter(|&t| t != NO_VAL);
        let array = if u.bool("array")? {
            let pending = u.bitmap("array.pending")?.unwrap_or_default();
            Some(ArrayTasks {
                pending,
                max_run: u.u32("array.max_run")?,
            })
        } else {
            None
        };
        let user_id = u.u32("user_id")?;
        let group_id = u.u32("group_id")?;
        let state = u.u32("state")?;
        let reason = JobReason(u.u16("reason")?);
        let state_desc = u.str("state_desc")?;
        let priority = u.u32("priority")?;
        let partition = unpack_text(u, "partition", SLOT_PARTITION, strings)?
            .unwrap_or_else(|| strings.get(""));
        let time_limit = Some(u.u32("time_limit")?).filter(|&t| t != NO_VAL);
        let mut times = [0i64; 6];
        for t in times.iter_mut() {
            *t = u.time("times")?;
        }
        let exit_code = u.u32("exit_code")?;
        let derived_ec = u.u32("derived_ec")?;
        let restart_cnt = u.u16("restart_cnt")?;
        let hold_flags = u.u8("admin_hold")?;
        let admin_hold = hold_flags & 1 != 0;
        let direct_prio = hold_flags & 2 != 0;
        let interactive = hold_flags & 4 != 0;
        let tres_req =
            unpack_text(u, "tres_req", SLOT_TRES_REQ, strings)?.unwrap_or_else(|| strings.get(""));
        let alloc = if u.bool("alloc")? {
            let nodes = u
                .u32_array("alloc.nodes")?
                .into_iter()
                .map(|n| n as usize)
                .collect();
            let cpus = u.u16_array("alloc.cpus")?;
            let mem_per_node = u.u64("alloc.mem")?;
            let n = u.count("alloc.gres", 16)?;
            let mut gres = Vec::with_capacity(n);
            for _ in 0..n {
                let name = u.str("alloc.gres.name")?.unwrap_or_default();
                let kind = u.str("alloc.gres.type")?;
                let count = u.u64("alloc.gres.count")?;
                gres.push((name, kind, count));
            }
            let completing = u
                .u32_array("alloc.completing")?
                .into_iter()
                .map(|n| n as usize)
                .collect();
            let k = u.count("alloc.cores", 4)?;
            let mut cores = Vec::with_capacity(k);
            for _ in 0..k {
                cores.push(u.u32_array("alloc.cores")?);
            }
            let released = u.bool("alloc.released")?;
            Some((nodes, cpus, mem_per_node, gres, completing, cores, released))
        } else {
            None
        };
        let desc = JobDesc::unpack(u, strings)?;
        let mut tag = next_tag(u)?;
        let with_indices = tag == Some(GRES_INDICES) && alloc.is_some();
        let alloc = match alloc {
            None => None,
            Some((nodes, cpus, mem_per_node, gres, completing, cores, released)) => {
                let nodes: Vec<usize> = nodes;
                let mut out = Vec::with_capacity(gres.len());
                for (name, kind, count) in gres {
                    let per_node = if with_indices {
                        let k = u.count("alloc.gres.nodes", 9)?;
                        let mut v = Vec::with_capacity(k);
                        for _ in 0..k {
                            let count = u.u64("alloc.gres.node_count")?;
                            let indices = if u.bool("alloc.gres.has_indices")? {
                                Some(u.u32_array("alloc.gres.indices")?)
                            } else {
                                None
                            };
                            v.push(GresOnNode { count, indices });
                        }
                        v
                    } else {
                        // An older record: counts only; the controller
                        // picks indices again when it restores the job.
                        nodes
                            .iter()
                            .map(|_| GresOnNode {
                                count,
                                indices: None,
                            })
                            .collect()
                    };
                    out.push(GresAlloc {
                        name,
                        kind,
                        nodes: per_node,
                    });
                }
                Some(super::alloc::Allocation {
                    nodes,
                    cpus,
                    mem_per_node,
                    gres: out,
                    completing,
                    cores,
                    released,
                })
            }
        };
        if with_indices {
            tag = next_tag(u)?;
        }
        let (suspend_time, pre_sus_time) = if tag == Some(SUSPEND_TIMES) {
            let times = (u.time("suspend_time")?, u.time("pre_sus_time")?);
            tag = next_tag(u)?;
            times
        } else {
            (0, 0)
        };
        let (next_step_id, steps) = if tag == Some(STEPS) {
            let next = u.u32("next_step_id")?;
            let n = u.count("steps", 32)?;
            let steps = (0..n)
                .map(|_| super::step::Step::unpack(u))
                .collect::<DecodeResult<_>>()?;
            (next, steps)
        } else {
            (0, Vec::new())
        };
        let dependencies = desc.dependency.as_deref().and_then(Dependencies::parse);
        Ok(Job {
            job_id,
            array_job_id,
            array_task_id,
            array,
            user_id,
            group_id,
            state,
            reason,
            state_desc,
            priority,
            partition,
            part_index: 0,
            time_limit,
            submit_time: times[0],
            eligible_time: times[1],
            accrue_time: times[2],
            last_sched_eval: times[3],
            start_time: times[4],
            end_time: times[5],
            exit_code,
            derived_ec,
            restart_cnt,
            suspend_time,
            pre_sus_time,
            dependencies,
            admin_hold,
            direct_prio,
            tres_req,
            alloc,
            interactive,
            steps,
            next_step_id,
            desc,
            node_cnt_wag: 0,
            srun_timeout_sent: false,
            pending_steps: Vec::new(),
        })
    }
}

/// The tag of the next optional section of a job record, if any is left.
fn next_tag(u: &mut Unpacker<'_>) -> DecodeResult<Option<u8>> {
    if u.remaining() == 0 {
        return Ok(None);
    }
    Ok(Some(u.u8("job.section")?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn array_specs() {
        let a = ArrayTasks::parse("0-99%10", 1001).unwrap();
        assert_eq!(a.count(), 100);
        assert_eq!(a.task_str(), format!("0x{}", "F".repeat(25)));
        assert_eq!(a.max_run, 10);
        let a = ArrayTasks::parse("1,3,5-9:2", 1001).unwrap();
        assert_eq!(a.task_str(), "0x2AA");
        assert_eq!(ArrayTasks::parse("0-3", 1001).unwrap().task_str(), "0xF");
        assert!(ArrayTasks::parse("0-2000", 1001).is_none());
        assert!(ArrayTasks::parse("1001", 1001).is_none());
        assert!(ArrayTasks::parse("1000", 1001).is_some());
        assert!(ArrayTasks::parse("5-1", 1001).is_none());
        assert!(ArrayTasks::parse("x", 1001).is_none());
    }

    #[test]
    fn dependency_specs() {
        let d = Dependencies::parse("afterok:1000").unwrap();
        assert_eq!(
            d.items[0],
            Dependency {
                kind: DependencyKind::AfterOk,
                job_id: 1000,
                array_task: None,
                state: DependencyStatus::Unfulfilled,
            }
        );
        assert_eq!(format_dependencies(&d), "afterok:1000(unfulfilled)");
        assert!(Dependencies::parse("afterok:abc").is_none());
        assert!(Dependencies::parse("whenever:1000").is_none());
        assert!(Dependencies::parse("afterok").is_none());
        let d = Dependencies::parse("afterany:5_2?singleton").unwrap();
        assert!(d.any);
        assert_eq!(d.items.len(), 2);
    }
}
