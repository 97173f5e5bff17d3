//! What a job asked for, as the controller keeps it between submission and
//! purge: the fields of the submitted `job_desc_msg_t`, minus the batch
//! script and environment (those live on disk, see `state`), with every
//! string shared through the controller's [`Interner`].
//!
//! Field names and number types are those of [`JobDescriptor`], so code
//! reading `job.desc.min_nodes` or `job.desc.req_nodes.as_deref()` reads the
//! same thing it read when the whole descriptor was kept.

use wire::msg::JobDescriptor;
use wire::pack::{DecodeError, DecodeResult, Packer, Unpacker};

use super::text::{Interner, Text};

/// A number field the state record carries as-is.
trait Num: Sized + Copy {
    fn put(self, p: &mut Packer);
    fn get(u: &mut Unpacker<'_>, field: &'static str) -> DecodeResult<Self>;
}

macro_rules! num {
    ($t:ty, $m:ident) => {
        impl Num for $t {
            fn put(self, p: &mut Packer) {
                p.$m(self);
            }
            fn get(u: &mut Unpacker<'_>, field: &'static str) -> DecodeResult<Self> {
                u.$m(field)
            }
        }
    };
}
num!(u8, u8);
num!(u16, u16);
num!(u32, u32);
num!(u64, u64);
num!(i64, time);

/// A packed string, shared through `strings` without an intermediate copy.
/// `slot` numbers the field within its record (see [`Interner::bytes_at`]).
pub fn unpack_text(
    u: &mut Unpacker<'_>,
    field: &'static str,
    slot: usize,
    strings: &mut Interner,
) -> DecodeResult<Option<Text>> {
    let Some(raw) = u.mem(field)? else {
        return Ok(None);
    };
    let raw = raw
        .strip_suffix(&[0])
        .ok_or(DecodeError::MissingNul { field })?;
    Ok(Some(strings.bytes_at(slot, raw)))
}

/// Interner slots of the job record's own strings (the descriptor's use
/// 0 and up).
pub const SLOT_PARTITION: usize = 100;
/// See [`SLOT_PARTITION`].
pub const SLOT_TRES_REQ: usize = 101;

macro_rules! job_desc {
    (numbers { $($n:ident: $nt:ty,)* } texts { $($s:ident,)* } lists { $($l:ident,)* }) => {
        /// The submitted request, without script and environment.
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct JobDesc {
            $(#[doc = concat!("`", stringify!($n), "`.")] pub $n: $nt,)*
            $(#[doc = concat!("`", stringify!($s), "`.")] pub $s: Option<Text>,)*
            $(#[doc = concat!("`", stringify!($l), "`.")] pub $l: Vec<String>,)*
        }

        impl JobDesc {
            /// Keeps what the controller needs of `d`; script, environment,
            /// `job_id_str`, `crontab_entry` and `select_jobinfo` are not kept.
            pub fn from_descriptor(d: JobDescriptor, strings: &mut Interner) -> Self {
                let mut i = 0;
                $(
                    let $s = d.$s.map(|s| strings.take_at(i, s));
                    i += 1;
                )*
                let _ = i;
                JobDesc { $($n: d.$n,)* $($s,)* $($l: d.$l,)* }
            }

            /// The descriptor again (script and environment empty), for
            /// messages that carry job fields to node daemons.
            pub fn to_descriptor(&self) -> JobDescriptor {
                JobDescriptor {
                    $($n: self.$n,)*
                    $($s: self.$s.as_deref().map(str::to_owned),)*
                    $($l: self.$l.clone(),)*
                    ..JobDescriptor::default()
                }
            }

            /// Serialises for the state store: a bit per field says whether
            /// it is there (strings) or differs from an untouched descriptor
            /// (numbers), and only those follow. Most of a job's ~110 fields
            /// are unset, so records are small and quick to replay.
            pub fn pack(&self, p: &mut Packer) {
                let def = defaults();
                let mut nums = 0u128;
                let mut i = 0;
                $(
                    if self.$n != def.$n {
                        nums |= 1 << i;
                    }
                    i += 1;
                )*
                let _ = i;
                let mut texts = 0u64;
                let mut i = 0;
                $(
                    if self.$s.is_some() {
                        texts |= 1 << i;
                    }
                    i += 1;
                )*
                let _ = i;
                p.u64((nums >> 64) as u64);
                p.u64(nums as u64);
                p.u64(texts);
                $(
                    if self.$n != def.$n {
                        Num::put(self.$n, p);
                    }
                )*
                $(
                    if let Some(t) = &self.$s {
                        p.string(t);
                    }
                )*
                $(p.str_array(&self.$l);)*
            }

            /// Reads what [`JobDesc::pack`] wrote.
            pub fn unpack(u: &mut Unpacker<'_>, strings: &mut Interner) -> DecodeResult<Self> {
                let def = defaults();
                let nums = (u128::from(u.u64("desc.numbers")?) << 64) | u128::from(u.u64("desc.numbers")?);
                let texts = u.u64("desc.texts")?;
                let mut i = 0;
                $(
                    let $n = if nums & (1 << i) != 0 { Num::get(u, stringify!($n))? } else { def.$n };
                    i += 1;
                )*
                let _ = i;
                let mut i = 0;
                $(
                    let $s = if texts & (1 << i) != 0 { unpack_text(u, stringify!($s), i, strings)? } else { None };
                    i += 1;
                )*
                let _ = i;
                Ok(JobDesc {
                    $($n,)*
                    $($s,)*
                    $($l: u.str_array(stringify!($l))?,)*
                })
            }
        }
    };
}

/// An untouched descriptor, the base the state record's numbers differ from.
fn defaults() -> &'static JobDesc {
    static DEFAULTS: std::sync::OnceLock<JobDesc> = std::sync::OnceLock::new();
    DEFAULTS.get_or_init(JobDesc::default)
}

job_desc! {
    numbers {
        site_factor: u32,
        contiguous: u16,
        core_spec: u16,
        task_dist: u32,
        kill_on_node_fail: u16,
        fed_siblings_active: u64,
        fed_siblings_viable: u64,
        job_id: u32,
        alloc_sid: u32,
        pn_min_cpus: u16,
        pn_min_memory: u64,
        pn_min_tmp_disk: u32,
        power_flags: u8,
        cpu_freq_min: u32,
        cpu_freq_max: u32,
        cpu_freq_gov: u32,
        priority: u32,
        nice: u32,
        profile: u32,
        open_mode: u8,
        overcommit: u8,
        num_tasks: u32,
        immediate: u16,
        reboot: u16,
        requeue: u16,
        shared: u16,
        cpus_per_task: u16,
        ntasks_per_node: u16,
        ntasks_per_board: u16,
        ntasks_per_socket: u16,
        ntasks_per_core: u16,
        ntasks_per_tres: u16,
        plane_size: u16,
        cpu_bind_type: u16,
        mem_bind_type: u16,
        time_limit: u32,
        time_min: u32,
        min_cpus: u32,
        max_cpus: u32,
        min_nodes: u32,
        max_nodes: u32,
        boards_per_node: u16,
        sockets_per_board: u16,
        sockets_per_node: u16,
        cores_per_socket: u16,
        threads_per_core: u16,
        user_id: u32,
        group_id: u32,
        alloc_resp_port: u16,
        other_port: u16,
        begin_time: i64,
        end_time: i64,
        deadline: i64,
        mail_type: u16,
        restart_cnt: u16,
        warn_flags: u16,
        warn_signal: u16,
        warn_time: u16,
        req_switch: u32,
        wait4switch: u32,
        wait_all_nodes: u16,
        bitflags: u64,
        delay_boot: u32,
        x11: u16,
        x11_target_port: u16,
    }
    texts {
        batch_features,
        cluster_features,
        clusters,
        container,
        features,
        name,
        alloc_node,
        array_inx,
        burst_buffer,
        prefer,
        partition,
        dependency,
        account,
        admin_comment,
        comment,
        qos,
        mcs_label,
        origin_cluster,
        acctg_freq,
        req_context,
        req_nodes,
        exc_nodes,
        std_err,
        std_in,
        std_out,
        submit_line,
        work_dir,
        cpu_bind,
        mem_bind,
        resp_host,
        network,
        licenses,
        mail_user,
        reservation,
        wckey,
        extra,
        x11_magic_cookie,
        x11_target,
        cpus_per_tres,
        mem_per_tres,
        tres_bind,
        tres_freq,
        tres_per_job,
        tres_per_node,
        tres_per_socket,
        tres_per_task,
    }
    lists {
        argv,
        spank_job_env,
    }
}

impl Default for JobDesc {
    /// What an untouched descriptor holds.
    fn default() -> Self {
        JobDesc::from_descriptor(JobDescriptor::default(), &mut Interner::default())
    }
}

/// What a batch job runs, kept on disk from submission until its record is
/// purged (upstream's `hash.N/job.ID/script` and `environment`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BatchFiles {
    /// The record these belong to (an array's tasks share the array's).
    pub job_id: u32,
    /// The batch script.
    pub script: Option<String>,
    /// The job's environment.
    pub environment: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_shares_strings() {
        let d = JobDescriptor {
            name: Some("x".into()),
            work_dir: Some("/w".into()),
            std_out: Some("/w".into()),
            min_nodes: 3,
            begin_time: -5,
            // The last fields of each group: bits 64 and up.
            x11_target_port: 7,
            tres_per_task: Some("gres:gpu:1".into()),
            argv: vec!["a".into()],
            script: Some("#!/bin/sh\n".into()),
            environment: vec!["A=1".into()],
            ..JobDescriptor::default()
        };
        let mut strings = Interner::default();
        let j = JobDesc::from_descriptor(d.clone(), &mut strings);
        assert_eq!(strings.len(), 3, "equal strings are kept once");
        let back = j.to_descriptor();
        assert_eq!(
            back,
            JobDescriptor {
                script: None,
                environment: Vec::new(),
                ..d
            }
        );
        let mut p = Packer::new();
        j.pack(&mut p);
        let mut u = Unpacker::new(p.as_slice());
        assert_eq!(JobDesc::unpack(&mut u, &mut strings).unwrap(), j);
        u.finish("desc").unwrap();
        // Unset fields cost nothing but their bit.
        let mut p = Packer::new();
        JobDesc::default().pack(&mut p);
        assert_eq!(p.len(), 24 + 2 * 4);
    }
}
