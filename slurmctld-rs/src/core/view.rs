//! Builds the info replies clients print, field by field as upstream's
//! `pack_job`, `_pack_node` and `pack_part` fill them.

use std::collections::HashMap;

use wire::msg::common::{MultiCore, SelectJobInfo, SelectNodeInfo};
use wire::msg::job_info::JobInfoT;
use wire::msg::show_flags::DETAIL as SHOW_DETAIL;
use wire::msg::{
    JobInfoResponse, JobResources, LicenseInfo, NodeInfo, NodeInfoResponse, PartitionInfo,
    PartitionInfoResponse,
};
use wire::pack::{Bitmap, Packer, ScaledDouble, INFINITE, INFINITE16, NO_VAL, NO_VAL16, NO_VAL64};

use super::alloc::Allocation;
use super::desc::JobDesc;
use super::gres;
use super::job::{format_dependencies, Job, JobState};
use super::launch::run_length;
use super::spec::PART_STATE_UP;
use super::submit::MEM_PER_CPU;
use super::text::Text;
use super::{Caller, Controller};

/// `PRIVATE_DATA_JOBS`.
const PRIVATE_DATA_JOBS: u16 = 1 << 0;
/// `PRIVATE_DATA_NODES`.
const PRIVATE_DATA_NODES: u16 = 1 << 1;
/// `PRIVATE_DATA_PARTITIONS`.
const PRIVATE_DATA_PARTITIONS: u16 = 1 << 2;
/// `NICE_OFFSET`: nice values travel biased so they stay unsigned.
const NICE_OFFSET: u32 = 0x8000_0000;
/// `PART_FLAG_DEFAULT`.
const PART_FLAG_DEFAULT: u16 = 0x1;
/// `PART_FLAG_HIDDEN`.
const PART_FLAG_HIDDEN: u16 = 0x2;
/// `SHOW_ALL`.
const SHOW_ALL: u16 = 0x1;
/// JOB_DEPENDENT bitflag.
const JOB_DEPENDENT: u64 = 1 << 29;
/// `SHARED_FORCE` bit of a partition's `max_share` (OverSubscribe=FORCE).
const SHARED_FORCE: u16 = 0x8000;
/// `NODE_CR_*`: how a job's nodes may be shared (`job_resources.node_req`).
const NODE_CR_AVAILABLE: u32 = 0;
/// See [`NODE_CR_AVAILABLE`].
const NODE_CR_ONE_ROW: u32 = 1;
/// See [`NODE_CR_AVAILABLE`].
const NODE_CR_RESERVED: u32 = 64000;

/// Formats MB the way upstream's TRES strings do (`convert_num_unit2` with
/// CONVERT_NUM_UNIT_EXACT): divide by 1024 while the value is a multiple of
/// 512, so half units survive ("62.50G"); two decimals when not whole.
pub fn format_mem_mb(mb: u64) -> String {
    if mb == 0 {
        return "0".to_string();
    }
    let units = ['M', 'G', 'T', 'P'];
    let mut v = mb as f64;
    let mut u = 0;
    while v >= 1024.0 && (v as u64).is_multiple_of(512) && u + 1 < units.len() {
        v /= 1024.0;
        u += 1;
    }
    if v.fract() == 0.0 {
        format!("{}{}", v as u64, units[u])
    } else {
        format!("{v:.2}{}", units[u])
    }
}

/// A TRES string as upstream formats one: `name=count` in TRES-id order,
/// memory with a unit, zero counts left out (a job without memory
/// shows no `mem=`).
pub fn tres_str(items: &[(&str, u64)]) -> String {
    items
        .iter()
        .filter(|(_, v)| *v != 0)
        .map(|(name, v)| match *name {
            "mem" => format!("mem={}", format_mem_mb(*v)),
            _ => format!("{name}={v}"),
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// `tres_req_str` for a job: what it asks for, as upstream accounts it.
pub fn job_tres_req(c: &Controller, job: &Job) -> String {
    let d = &job.desc;
    let nodes = d.min_nodes.max(1);
    // The job's own minimum CPU count, as upstream's job_set_req_tres.
    let cpus = d.min_cpus.max(1);
    // job_get_tres_mem: per CPU times the CPUs, else per node times the
    // nodes; no request counts the partition's first node's memory.
    let mem = if d.pn_min_memory & MEM_PER_CPU != 0 {
        (d.pn_min_memory & !MEM_PER_CPU).saturating_mul(u64::from(cpus))
    } else if d.pn_min_memory != 0 {
        d.pn_min_memory.saturating_mul(u64::from(nodes))
    } else {
        c.spec.partitions[job.part_index]
            .nodes
            .iter()
            .min()
            .map_or(0, |&i| c.spec.nodes[i].real_memory)
            .saturating_mul(u64::from(nodes))
    };
    let cpus = u64::from(cpus);
    tres_str(&[
        ("cpu", cpus),
        ("mem", mem),
        ("node", u64::from(nodes)),
        ("billing", cpus),
    ])
}

/// Whether a listing without SHOW_ALL shows partition `p` to `uid`: every
/// partition to the privileged, otherwise those neither hidden nor closed
/// to the user's groups (upstream's `_part_is_visible`).
fn partition_visible(c: &Controller, p: &super::spec::PartitionSpec, uid: u32) -> bool {
    if c.is_privileged(uid) {
        return true;
    }
    !p.hidden
        && p.allow_groups
            .as_deref()
            .is_none_or(|groups| groups.split(',').any(|g| c.user_in_group(uid, g)))
}

/// Whether `caller` may see `job` under PrivateData.
fn may_see_job(c: &Controller, caller: &Caller, job: &Job) -> bool {
    c.spec.limits.private_data & PRIVATE_DATA_JOBS == 0
        || job.user_id == caller.uid
        || c.is_privileged(caller.uid)
}

/// RESPONSE_JOB_INFO for the jobs `keep` selects, packed straight from the
/// job table: records borrow the jobs' strings instead of copying them, and
/// no list of records is built. Returns the body and the number of records.
pub fn job_info(
    c: &Controller,
    caller: Caller,
    show_flags: u16,
    now: i64,
    order: ListOrder,
    keep: impl Fn(&Job) -> bool,
) -> (Vec<u8>, u32) {
    let privileged = c.is_privileged(caller.uid);
    // A pending record packs to ~700 bytes; sizing for it up front saves
    // growing (and copying) a reply of tens of MB several times.
    let capacity = 64 + c.jobs.len().min(1 << 20) * 768;
    let mut p = Packer::with_capacity(capacity);
    advise_huge_pages(p.as_slice().as_ptr(), capacity);
    JobInfoResponse::pack_head(&mut p, 0, now, c.last_backfill);
    let mut count = 0u32;
    // Login names for mail_user, looked up once per user per reply.
    let mut names: Vec<(u32, String)> = Vec::new();
    let mut scratch = Scratch::default();
    let reordered = match order {
        ListOrder::JobList => list_order(c),
        ListOrder::OneJob(id) => Some(one_job_order(c, id)),
    };
    let jobs: Box<dyn Iterator<Item = &Job>> = match &reordered {
        Some(order) => Box::new(order.iter().copied()),
        None => Box::new(c.jobs.values().map(|j| &**j)),
    };
    for j in jobs {
        if !keep(j) || !may_see_job(c, &caller, j) {
            continue;
        }
        if show_flags & SHOW_ALL == 0
            && !privileged
            && c.spec
                .partitions
                .get(j.part_index)
                .is_some_and(|p| p.hidden)
        {
            continue;
        }
        let user = if j.desc.mail_user.is_some() {
            ""
        } else {
            let at = match names.iter().position(|(uid, _)| *uid == j.user_id) {
                Some(at) => at,
                None => {
                    names.push((j.user_id, c.user_name(j.user_id)));
                    names.len() - 1
                }
            };
            &names[at].1
        };
        job_record(c, j, show_flags, now, user, &mut scratch).pack(&mut p);
        count += 1;
    }
    p.patch_u32(0, count);
    (p.into_bytes().into(), count)
}

/// A node's AllocTRES: select/linear reports the whole node (its CfgTRES)
/// while it is allocated or completing; cons_tres what jobs hold.
fn node_alloc_tres(
    c: &Controller,
    s: &super::spec::NodeSpec,
    r: &super::node::NodeRuntime,
) -> Option<String> {
    let linear = c.spec.limits.select_plugin_id == wire::msg::common::select_plugin::LINEAR;
    if linear {
        let busy = r.base() == super::node::base::ALLOCATED
            || r.state & super::node::flag::COMPLETING != 0;
        return busy.then(|| {
            let cpus = u64::from(s.cpus);
            tres_str(&[("cpu", cpus), ("mem", s.real_memory), ("billing", cpus)])
        });
    }
    (r.alloc_cpus > 0).then(|| tres_str(&[("cpu", u64::from(r.alloc_cpus)), ("mem", r.alloc_mem)]))
}

/// StartTime and EndTime as upstream reports them: a started job's own; a
/// pending one's expected start (never in the past) or its begin time
/// when that is ahead, with the end a time limit later (upstream's 32-bit
/// minutes-to-seconds product included).
fn start_and_end(
    job: &Job,
    begin_time: i64,
    time_limit: u32,
    pending: bool,
    now: i64,
) -> (i64, i64) {
    if !pending {
        return (job.start_time, job.end_time);
    }
    let start = if job.start_time != 0 {
        job.start_time.max(now)
    } else if begin_time > now {
        begin_time
    } else {
        return (0, 0);
    };
    let end = if time_limit == NO_VAL {
        job.end_time
    } else {
        job.end_time
            .max(start + i64::from(time_limit.wrapping_mul(60)))
    };
    (start, end)
}

/// The `%N` throttle of the array `job` belongs to (0 = none): the array
/// record's, or as submitted once that record holds no pending task.
fn array_throttle(c: &Controller, job: &Job) -> u32 {
    if job.array_job_id == 0 {
        return 0;
    }
    let Some(head) = c.jobs.get(&job.array_job_id) else {
        return 0;
    };
    if let Some(a) = &head.array {
        return a.max_run;
    }
    text(&head.desc.array_inx)
        .and_then(|spec| spec.split_once('%'))
        .and_then(|(_, n)| n.parse().ok())
        .unwrap_or(0)
}

/// Which order records are sent in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListOrder {
    /// Upstream's job list (`squeue`, `scontrol show job`).
    JobList,
    /// One job by id (`scontrol show job ID`): the record with that id
    /// first, then the array's other records newest first, as upstream
    /// walks its array hash chain.
    OneJob(u32),
}

/// The records of job `id` (and of the array it names) in
/// [`ListOrder::OneJob`] order.
fn one_job_order(c: &Controller, id: u32) -> Vec<&Job> {
    let mut records: Vec<&Job> = c
        .jobs
        .values()
        .filter(|j| j.job_id == id || (j.array_job_id == id && id != 0))
        .map(|j| &**j)
        .collect();
    records.sort_by_key(|j| (j.job_id != id, std::cmp::Reverse(j.job_id)));
    records
}

/// The order upstream's job list has, when it is not job id order. A job
/// array's task that starts is split off its array's record: the started
/// task takes the record's place in the list (with a new job id) and the
/// pending rest is appended at the end, after the newest job. So an array's
/// split-off tasks sit, in job id order, where the record was, each just
/// after the one split before it, and the record itself sits just after the
/// last one split. None when no task was split off (job id order holds).
fn list_order(c: &Controller) -> Option<Vec<&Job>> {
    let mut splits: HashMap<u32, Vec<u32>> = HashMap::new();
    for j in c.jobs.values() {
        if j.array_job_id != 0 && j.array_job_id != j.job_id {
            splits.entry(j.array_job_id).or_default().push(j.job_id);
        }
    }
    if splits.is_empty() {
        return None;
    }
    // Position keys: id * 2 for a job in its own place, id * 2 + 1 for
    // "just after job id".
    let key = |j: &Job| -> u64 {
        let id = u64::from(j.job_id);
        let Some(tasks) = splits.get(&j.array_job_id) else {
            return id * 2;
        };
        if j.job_id == j.array_job_id {
            // BTreeMap order makes each task list ascending already.
            return tasks.last().map_or(id * 2, |&t| u64::from(t) * 2 + 1);
        }
        match tasks.iter().position(|&t| t == j.job_id) {
            Some(0) | None => u64::from(j.array_job_id) * 2,
            Some(i) => u64::from(tasks[i - 1]) * 2 + 1,
        }
    };
    let mut order: Vec<(u64, &Job)> = c.jobs.values().map(|j| (key(j), &**j)).collect();
    order.sort_by_key(|(k, j)| (*k, j.job_id));
    Some(order.into_iter().map(|(_, j)| j).collect())
}

/// Asks for transparent huge pages under a large fresh reply buffer: a job
/// list of tens of MB otherwise takes one page fault (and one zeroed 4 KiB
/// page) per 4 KiB as it is packed, a sizeable part of the reply's cost.
/// Only whole 2 MiB blocks inside the allocation are advised; failure (THP
/// off, old kernel) changes nothing but speed.
fn advise_huge_pages(start: *const u8, len: usize) {
    const HUGE: usize = 2 << 20;
    if len < 4 * HUGE {
        return;
    }
    let addr = start as usize;
    let first = addr.next_multiple_of(HUGE);
    let end = (addr + len) & !(HUGE - 1);
    if end > first {
        // SAFETY: [first, end) lies inside the buffer the caller just
        // allocated and owns; MADV_HUGEPAGE changes how its pages are
        // backed, never their contents or validity.
        unsafe { libc::madvise(first as *mut libc::c_void, end - first, libc::MADV_HUGEPAGE) };
    }
}

fn text(t: &Option<Text>) -> Option<&str> {
    t.as_deref()
}

/// The strings a job record computes rather than borrows, reused from one
/// record to the next so packing a long list allocates (almost) nothing.
#[derive(Default)]
pub struct Scratch {
    dependency: String,
    command: String,
    nodes: String,
    tres_alloc: String,
    array_task_str: String,
    gres_used: String,
    gres_detail: Vec<String>,
}

/// One job record, borrowing from `job`, `c` and `scratch` (which holds the
/// strings computed for it). `user` is the owner's login name (the default
/// `mail_user`).
pub fn job_record<'a>(
    c: &'a Controller,
    job: &'a Job,
    show_flags: u16,
    now: i64,
    user: &'a str,
    scratch: &'a mut Scratch,
) -> JobInfoT<&'a str> {
    let d = &job.desc;
    let part = &c.spec.partitions[job.part_index];
    let pending = job.is_pending();
    let time_limit = job.time_limit.unwrap_or(part.max_time.unwrap_or(INFINITE));
    let dependency = job.dependencies.as_ref().map(format_dependencies);
    let command = (!d.argv.is_empty()).then(|| d.argv.join(" "));
    let num_tasks = if d.num_tasks != 0 && d.num_tasks != NO_VAL {
        d.num_tasks
    } else if pending {
        d.min_nodes
    } else if let Some(a) = &job.alloc {
        a.nodes.len() as u32
    } else {
        NO_VAL
    };
    // Upstream's begin time: when the job became eligible, or the --begin
    // it still waits for (kept through dependencies).
    let begin_time = if job.eligible_time == 0 && pending && d.begin_time > now {
        d.begin_time
    } else {
        job.eligible_time
    };
    let mut bitflags = d.bitflags;
    if job.eligible_time == 0 && pending {
        bitflags |= JOB_DEPENDENT;
    } else {
        bitflags &= !JOB_DEPENDENT;
    }
    let alloc = job.alloc.as_ref();
    let alloc_names: Option<Vec<String>> = alloc.map(|a| {
        a.nodes
            .iter()
            .map(|&i| c.spec.nodes[i].name.clone())
            .collect()
    });
    let node_bitmap = alloc.map(|a| {
        let mut bm = Bitmap::new(c.spec.nodes.len() as u32);
        a.nodes.iter().for_each(|&i| bm.set(i as u32));
        bm
    });
    let tres_alloc = alloc.map(|a| {
        let cpus = u64::from(a.total_cpus());
        tres_str(&[
            ("cpu", cpus),
            ("mem", a.total_mem(job.desc.pn_min_memory)),
            ("node", a.nodes.len() as u64),
            ("billing", cpus),
        ])
    });
    // GRES as upstream's gres_ctld_job_build_details leaves them: the total
    // stays with the job after it ends, the per-node detail is sent only
    // while it runs (_pack_job_gres).
    let (gres_detail, gres_used) = match alloc {
        Some(a) if !a.gres.is_empty() => {
            let specs: Vec<_> = a.nodes.iter().map(|&i| &c.spec.nodes[i]).collect();
            gres::details(&gres::alloc_records(&specs, &a.gres))
        }
        _ => (Vec::new(), None),
    };
    let running = matches!(job.base_state(), JobState::Running | JobState::Suspended);
    let detail = show_flags & SHOW_DETAIL != 0;
    scratch.gres_detail = if detail && running {
        gres_detail
    } else {
        Vec::new()
    };
    // Every record of an array shows the array's throttle, kept by the
    // array's own record (also once it runs the last task itself).
    let (array_task_str, array_max_tasks) = match &job.array {
        Some(a) => ((a.count() > 0).then(|| a.task_str()), a.max_run),
        None => (None, array_throttle(c, job)),
    };
    let (start_time, end_time) = start_and_end(job, begin_time, time_limit, pending, now);
    JobInfoT {
        array_job_id: job.array_job_id,
        array_task_id: job.array_task_id.unwrap_or(NO_VAL),
        array_task_str: set(&mut scratch.array_task_str, array_task_str),
        array_max_tasks,
        assoc_id: 0,
        container: text(&d.container),
        delay_boot: if d.delay_boot == NO_VAL {
            0
        } else {
            d.delay_boot
        },
        job_id: job.job_id,
        user_id: job.user_id,
        group_id: job.group_id,
        het_job_id: 0,
        het_job_id_set: None,
        het_job_offset: 0,
        profile: if d.profile == NO_VAL { 0 } else { d.profile },
        job_state: job.state,
        batch_flag: u16::from(!job.interactive),
        state_reason: job.reason.0,
        power_flags: 0,
        reboot: 0,
        restart_cnt: job.restart_cnt,
        show_flags,
        deadline: d.deadline,
        alloc_sid: d.alloc_sid,
        time_limit,
        time_min: if d.time_min == NO_VAL { 0 } else { d.time_min },
        nice: if d.nice == NO_VAL {
            NICE_OFFSET
        } else {
            d.nice
        },
        submit_time: job.submit_time,
        begin_time,
        accrue_time: job.accrue_time,
        start_time,
        end_time,
        suspend_time: job.suspend_time,
        pre_sus_time: job.pre_sus_time,
        resize_time: 0,
        last_sched_eval: job.last_sched_eval,
        preempt_time: 0,
        priority: job.priority,
        billable_tres: ScaledDouble::from_f64(f64::from(NO_VAL)),
        cluster: Some(&c.spec.limits.cluster_name),
        nodes: set(
            &mut scratch.nodes,
            alloc_names.as_ref().map(|n| wire::hostlist::compress(n)),
        ),
        sched_nodes: if pending {
            c.planned_nodes.get(&job.job_id).map(String::as_str)
        } else {
            None
        },
        partition: Some(&job.partition),
        account: text(&d.account),
        admin_comment: text(&d.admin_comment),
        site_factor: if d.site_factor == NO_VAL {
            NICE_OFFSET
        } else {
            d.site_factor
        },
        network: text(&d.network),
        comment: text(&d.comment),
        container_again: text(&d.container),
        batch_features: text(&d.batch_features),
        batch_host: alloc.map(|a| c.spec.nodes[a.batch_host()].name.as_str()),
        burst_buffer: text(&d.burst_buffer),
        burst_buffer_state: None,
        system_comment: None,
        qos: text(&d.qos),
        preemptable_time: 0,
        licenses: text(&d.licenses),
        state_desc: job.state_desc.as_deref(),
        resv_name: text(&d.reservation),
        mcs_label: text(&d.mcs_label),
        exit_code: job.exit_code,
        derived_ec: job.derived_ec,
        gres_used: set(&mut scratch.gres_used, gres_used),
        job_resources: alloc.filter(|_| detail).map(|a| job_resources(c, job, a)),
        gres_detail: scratch.gres_detail.iter().map(String::as_str).collect(),
        name: text(&d.name),
        user_name: None,
        wckey: text(&d.wckey),
        req_switch: if d.req_switch == NO_VAL {
            0
        } else {
            d.req_switch
        },
        wait4switch: if d.wait4switch == NO_VAL {
            0
        } else {
            d.wait4switch
        },
        alloc_node: text(&d.alloc_node),
        node_bitmap,
        select_jobinfo: SelectJobInfo {
            plugin_id: c.spec.limits.select_plugin_id,
        },
        features: text(&d.features),
        prefer: if pending { text(&d.prefer) } else { None },
        cluster_features: text(&d.cluster_features),
        work_dir: text(&d.work_dir),
        dependency: set(&mut scratch.dependency, dependency),
        command: set(&mut scratch.command, command),
        min_cpus: match alloc {
            Some(a) if !pending => a.total_cpus(),
            _ => d.min_cpus,
        },
        max_cpus: if d.max_cpus == NO_VAL { 0 } else { d.max_cpus },
        min_nodes: match alloc {
            Some(a) => a.nodes.len() as u32,
            None if pending => pending_node_count(c, job),
            None => d.min_nodes,
        },
        max_nodes: if d.max_nodes == NO_VAL {
            0
        } else {
            d.max_nodes
        },
        requeue: if d.requeue == NO_VAL16 { 1 } else { d.requeue },
        ntasks_per_node: if d.ntasks_per_node == NO_VAL16 {
            0
        } else {
            d.ntasks_per_node
        },
        ntasks_per_tres: if d.ntasks_per_tres == NO_VAL16 {
            0
        } else {
            d.ntasks_per_tres
        },
        num_tasks,
        shared: shared_value(d.shared, c.spec.partitions.get(job.part_index)),
        cpu_freq_min: d.cpu_freq_min,
        cpu_freq_max: d.cpu_freq_max,
        cpu_freq_gov: d.cpu_freq_gov,
        cronspec: None,
        contiguous: if d.contiguous == NO_VAL16 {
            0
        } else {
            d.contiguous
        },
        core_spec: d.core_spec,
        cpus_per_task: d.cpus_per_task,
        pn_min_cpus: d.pn_min_cpus,
        pn_min_memory: d.pn_min_memory,
        pn_min_tmp_disk: d.pn_min_tmp_disk,
        req_nodes: text(&d.req_nodes),
        req_node_bitmap: None,
        exc_nodes: text(&d.exc_nodes),
        exc_node_bitmap: None,
        std_err: text(&d.std_err),
        std_in: text(&d.std_in),
        std_out: text(&d.std_out),
        multi_core: Some(multi_core(d)),
        bitflags,
        tres_alloc_str: set(&mut scratch.tres_alloc, tres_alloc),
        tres_req_str: Some(&job.tres_req),
        start_protocol_ver: wire::version::ProtocolVersion::CURRENT.0,
        fed_origin: None,
        fed_siblings_active: 0,
        fed_siblings_active_str: None,
        fed_siblings_viable: 0,
        fed_siblings_viable_str: None,
        cpus_per_tres: text(&d.cpus_per_tres),
        mem_per_tres: text(&d.mem_per_tres),
        tres_bind: text(&d.tres_bind),
        tres_freq: text(&d.tres_freq),
        tres_per_job: text(&d.tres_per_job),
        tres_per_node: text(&d.tres_per_node),
        tres_per_socket: text(&d.tres_per_socket),
        tres_per_task: text(&d.tres_per_task),
        mail_type: d.mail_type,
        mail_user: Some(text(&d.mail_user).unwrap_or(user)),
        selinux_context: None,
    }
}

/// `job_resources_t` of an allocated job, as select/cons_tres fills it
/// (sent with SHOW_DETAIL: `scontrol -d show job` prints its cores, memory
/// and GRES per node from it).
fn job_resources(c: &Controller, job: &Job, a: &Allocation) -> JobResources {
    let d = &job.desc;
    let part = &c.spec.partitions[job.part_index];
    // _get_job_node_req.
    let node_req = if part.max_share == 0 {
        NODE_CR_RESERVED
    } else if part.max_share & SHARED_FORCE != 0 || (part.max_share > 1 && d.shared == 1) {
        NODE_CR_AVAILABLE
    } else {
        NODE_CR_ONE_ROW
    };
    let (cpu_array_value, cpu_array_reps) = run_length(&a.cpus);
    let layout: Vec<(u16, u16)> = a
        .nodes
        .iter()
        .map(|&i| (c.spec.nodes[i].sockets, c.spec.nodes[i].cores_per_socket))
        .collect();
    let (layout_vals, sock_core_rep_count) = run_length(&layout);
    let (core_bitmap, cores) = c.job_core_bitmap(a);
    let names: Vec<String> = a
        .nodes
        .iter()
        .map(|&i| c.spec.nodes[i].name.clone())
        .collect();
    JobResources {
        nhosts: a.nodes.len() as u32,
        ncpus: a.total_cpus(),
        node_req,
        nodes: Some(wire::hostlist::compress(&names)),
        // details->whole_node: 1 for --exclusive, 2 for =user, 3 for =mcs.
        whole_node: match d.shared {
            0 => 1,
            2 => 2,
            3 => 3,
            _ => 0,
        },
        threads_per_core: d.threads_per_core,
        cr_type: if part.cr_type != 0 {
            part.cr_type
        } else {
            c.spec.limits.select_type_param
        },
        cpu_array_reps,
        cpu_array_value,
        cpus: a.cpus.clone(),
        cpus_used: vec![0; a.nodes.len()],
        memory_allocated: (0..a.nodes.len())
            .map(|k| a.mem_on(k, d.pn_min_memory))
            .collect(),
        memory_used: vec![0; a.nodes.len()],
        sockets_per_node: layout_vals.iter().map(|l| l.0).collect(),
        cores_per_socket: layout_vals.iter().map(|l| l.1).collect(),
        sock_core_rep_count,
        core_bitmap: Some(core_bitmap),
        core_bitmap_used: Some(Bitmap::new(cores)),
    }
}

/// Keeps a computed string in its scratch slot for the record to borrow.
fn set(slot: &mut String, value: Option<String>) -> Option<&str> {
    let v = value?;
    *slot = v;
    Some(slot.as_str())
}

/// `PART_FLAG_EXCLUSIVE_USER` (ExclusiveUser=YES).
const PART_FLAG_EXCLUSIVE_USER: u16 = 0x0040;

/// Job `shared` as packed: what the user asked for (or the selection
/// settled), else what the partition implies (OverSubscribe=EXCLUSIVE: 0,
/// FORCE:N>1: 1, ExclusiveUser: user), else NO_VAL16 ("OK").
fn shared_value(requested: u16, part: Option<&super::spec::PartitionSpec>) -> u16 {
    match requested {
        0 => 0,
        1 => 1,
        2 | 3 => requested,
        _ => match part {
            Some(p) if p.flags & PART_FLAG_EXCLUSIVE_USER != 0 => 2,
            Some(p) if p.max_share & SHARED_FORCE != 0 && p.max_share & !SHARED_FORCE > 1 => 1,
            Some(p) if p.max_share == 0 => 0,
            _ => NO_VAL16,
        },
    }
}

/// The multi-core block as upstream stores it from an sbatch descriptor.
fn multi_core(d: &JobDesc) -> MultiCore {
    let or = |v: u16, unset: u16| if v == NO_VAL16 { unset } else { v };
    MultiCore {
        boards_per_node: or(d.boards_per_node, 0),
        sockets_per_board: or(d.sockets_per_board, 0),
        sockets_per_node: d.sockets_per_node,
        cores_per_socket: d.cores_per_socket,
        threads_per_core: d.threads_per_core,
        ntasks_per_board: or(d.ntasks_per_board, 0),
        ntasks_per_socket: or(d.ntasks_per_socket, INFINITE16),
        ntasks_per_core: or(d.ntasks_per_core, INFINITE16),
        plane_size: or(d.plane_size, 0),
    }
}

/// RESPONSE_NODE_INFO: every node slot, or the one named.
pub fn node_info(
    c: &Controller,
    caller: Caller,
    show_flags: u16,
    only: Option<&str>,
    now: i64,
) -> NodeInfoResponse {
    if c.spec.limits.private_data & PRIVATE_DATA_NODES != 0 && !c.is_privileged(caller.uid) {
        return NodeInfoResponse {
            last_update: now,
            nodes: Vec::new(),
        };
    }
    let nodes = c
        .spec
        .nodes
        .iter()
        .enumerate()
        .filter(|(_, n)| only.is_none_or(|name| n.name == name))
        .map(|(i, _)| node_record(c, i, show_flags))
        .collect();
    NodeInfoResponse {
        last_update: now,
        nodes,
    }
}

fn node_record(c: &Controller, i: usize, show_flags: u16) -> NodeInfo {
    let s = &c.spec.nodes[i];
    let r = &c.nodes[i];
    // Gathered only on request, as upstream does (it is slow there).
    let detail = show_flags & SHOW_DETAIL != 0;
    NodeInfo {
        name: Some(s.name.clone()),
        node_hostname: Some(s.hostname.clone()),
        node_addr: Some(s.addr.clone()),
        bcast_address: None,
        port: s.port,
        next_state: NO_VAL,
        node_state: r.state,
        version: r.version.clone(),
        cpus: s.cpus,
        boards: s.boards,
        sockets: s.sockets,
        cores: s.cores_per_socket,
        threads: s.threads_per_core,
        real_memory: s.real_memory,
        tmp_disk: s.tmp_disk,
        mcs_label: None,
        owner: NO_VAL,
        core_spec_cnt: 0,
        cpu_bind: 0,
        mem_spec_limit: 0,
        cpu_spec_list: None,
        cpus_efctv: s.cpus,
        cpu_load: NO_VAL,
        free_mem: NO_VAL64,
        weight: s.weight,
        reason_uid: r.reason_uid,
        boot_time: r.boot_time,
        last_busy: r.last_busy,
        reason_time: r.reason_time,
        slurmd_start_time: r.slurmd_start_time,
        select_nodeinfo: SelectNodeInfo {
            plugin_id: c.spec.limits.select_plugin_id,
            alloc_cpus: r.alloc_cpus,
            alloc_memory: r.alloc_mem,
            tres_alloc_fmt_str: node_alloc_tres(c, s, r),
            tres_alloc_weighted: ScaledDouble(0),
        },
        arch: r.arch.clone(),
        features: s.features.clone(),
        features_act: s.features.clone(),
        gres: s.gres.clone(),
        gres_drain: detail.then(|| "N/A".to_string()),
        gres_used: if detail {
            gres::node_used(
                &c.spec.limits.gres_types,
                s,
                &r.alloc_gres,
                &r.gres_reported,
            )
        } else {
            None
        },
        os: r.os.clone(),
        comment: None,
        extra: None,
        reason: r.reason.clone(),
        energy: Default::default(),
        ext_sensors: wire::msg::common::ExtSensors {
            consumed_energy: NO_VAL64,
            temperature: NO_VAL,
            energy_update_time: 0,
            current_watts: 0,
        },
        power_cap_watts: NO_VAL,
        tres_fmt_str: Some(tres_str(&[
            ("cpu", u64::from(s.cpus)),
            ("mem", s.real_memory),
            ("billing", u64::from(s.cpus)),
        ])),
    }
}

/// RESPONSE_PARTITION_INFO.
pub fn partition_info(
    c: &Controller,
    caller: Caller,
    show_flags: u16,
    now: i64,
) -> PartitionInfoResponse {
    if c.spec.limits.private_data & PRIVATE_DATA_PARTITIONS != 0 && !c.is_privileged(caller.uid) {
        return PartitionInfoResponse {
            last_update: now,
            partitions: Vec::new(),
        };
    }
    let partitions = c
        .spec
        .partitions
        .iter()
        .filter(|p| show_flags & SHOW_ALL != 0 || partition_visible(c, p, caller.uid))
        .map(|p| {
            let total_cpus: u32 = p
                .nodes
                .iter()
                .map(|&i| u32::from(c.spec.nodes[i].cpus))
                .sum();
            let total_mem: u64 = p.nodes.iter().map(|&i| c.spec.nodes[i].real_memory).sum();
            let names: Vec<String> = p
                .nodes
                .iter()
                .map(|&i| c.spec.nodes[i].name.clone())
                .collect();
            let mut bitmap = Bitmap::new(c.spec.nodes.len() as u32);
            p.nodes.iter().for_each(|&i| bitmap.set(i as u32));
            let mut flags = p.flags & !PART_FLAG_DEFAULT;
            if p.default {
                flags |= PART_FLAG_DEFAULT;
            }
            if p.hidden {
                flags |= PART_FLAG_HIDDEN;
            }
            PartitionInfo {
                name: Some(p.name.clone()),
                cpu_bind: 0,
                grace_time: p.grace_time,
                max_time: p.max_time.unwrap_or(INFINITE),
                default_time: p.default_time.unwrap_or(NO_VAL),
                max_nodes: p.max_nodes.unwrap_or(INFINITE),
                min_nodes: p.min_nodes,
                total_nodes: p.nodes.len() as u32,
                total_cpus,
                def_mem_per_cpu: p.def_mem_per_cpu,
                max_cpus_per_node: p.max_cpus_per_node.unwrap_or(INFINITE),
                max_mem_per_cpu: p.max_mem_per_cpu,
                flags,
                max_share: p.max_share,
                over_time_limit: p.over_time_limit,
                preempt_mode: p.preempt_mode,
                priority_job_factor: p.priority_job_factor,
                priority_tier: p.priority_tier,
                state_up: if p.state_up > PART_STATE_UP {
                    PART_STATE_UP
                } else {
                    p.state_up
                },
                cr_type: p.cr_type,
                resume_timeout: p.resume_timeout,
                suspend_timeout: p.suspend_timeout,
                suspend_time: p.suspend_time,
                allow_accounts: p.allow_accounts.clone(),
                allow_groups: p.allow_groups.clone(),
                allow_alloc_nodes: p.allow_alloc_nodes.clone(),
                allow_qos: p.allow_qos.clone(),
                qos_char: p.qos.clone(),
                alternate: p.alternate.clone(),
                deny_accounts: p.deny_accounts.clone(),
                deny_qos: p.deny_qos.clone(),
                nodes: (!names.is_empty()).then(|| wire::hostlist::compress(&names)),
                nodesets: None,
                node_bitmap: Some(bitmap),
                billing_weights_str: p.billing_weights.clone(),
                tres_fmt_str: Some(tres_str(&[
                    ("cpu", u64::from(total_cpus)),
                    ("mem", total_mem),
                    ("node", p.nodes.len() as u64),
                    ("billing", u64::from(total_cpus)),
                ])),
                job_defaults: (!p.job_defaults.is_empty()).then(|| {
                    p.job_defaults
                        .iter()
                        .map(|&(kind, value)| wire::msg::build_info::JobDefault { kind, value })
                        .collect()
                }),
            }
        })
        .collect();
    PartitionInfoResponse {
        last_update: now,
        partitions,
    }
}

/// RESPONSE_LICENSE_INFO records from `Licenses=`.
pub fn licenses(c: &Controller) -> Vec<LicenseInfo> {
    c.spec
        .limits
        .licenses
        .iter()
        .map(|(name, total)| LicenseInfo {
            name: Some(name.clone()),
            total: *total,
            in_use: 0,
            reserved: 0,
            remote: 0,
        })
        .collect()
}

/// A pending job's node count as upstream packs it: the last selection's
/// estimate (`node_cnt_wag`), else a guess from its task count and the
/// biggest node of its partition (CPUs, or cores with --ntasks-per-core),
/// never below its minimum.
fn pending_node_count(c: &Controller, job: &Job) -> u32 {
    if job.node_cnt_wag != 0 {
        return job.node_cnt_wag;
    }
    let d = &job.desc;
    let part = &c.spec.partitions[job.part_index];
    let biggest = |f: &dyn Fn(&super::spec::NodeSpec) -> u32| {
        part.nodes
            .iter()
            .map(|&i| f(&c.spec.nodes[i]))
            .max()
            .unwrap_or(1)
            .max(1)
    };
    let max_cpus = biggest(&|n| u32::from(n.cpus));
    let tasks = if d.num_tasks == NO_VAL {
        0
    } else {
        d.num_tasks
    };
    let guess = if d.ntasks_per_node != 0 && d.ntasks_per_node != NO_VAL16 {
        tasks / u32::from(d.ntasks_per_node)
    } else if d.cpus_per_task > 1 && d.cpus_per_task != NO_VAL16 {
        let per_node = (max_cpus / u32::from(d.cpus_per_task)).max(1);
        tasks.div_ceil(per_node)
    } else if d.ntasks_per_core != 0
        && d.ntasks_per_core != INFINITE16
        && d.ntasks_per_core != NO_VAL16
    {
        let max_cores = biggest(&|n| u32::from(n.sockets) * u32::from(n.cores_per_socket));
        tasks
            .div_ceil(u32::from(d.ntasks_per_core))
            .div_ceil(max_cores)
    } else {
        tasks.div_ceil(max_cpus)
    };
    guess.max(d.min_nodes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_units_like_upstream() {
        assert_eq!(format_mem_mb(24105), "24105M");
        assert_eq!(format_mem_mb(256000), "250G");
        assert_eq!(format_mem_mb(409600), "400G");
        assert_eq!(format_mem_mb(1024000), "1000G");
        assert_eq!(format_mem_mb(1048576), "1T");
        assert_eq!(format_mem_mb(64000), "62.50G");
        assert_eq!(format_mem_mb(0), "0");
    }
}
