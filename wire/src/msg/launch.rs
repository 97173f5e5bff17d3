//! slurmctld → slurmd job start messages: REQUEST_BATCH_JOB_LAUNCH and
//! REQUEST_LAUNCH_PROLOG (`src/common/slurm_protocol_pack.c`).

use crate::msg::common::SelectJobInfo;
use crate::msg::cred::SignedCredential;
use crate::msg::gres::{self, GresJobAlloc};
use crate::msg::require_22_05;
use crate::pack::{DecodeError, DecodeResult, Packer, Unpacker};
use crate::version::ProtocolVersion;

/// `open_mode` values (`OPEN_MODE_*`, slurm.h); 0 = slurm.conf default.
pub mod open_mode {
    /// `OPEN_MODE_APPEND`.
    pub const APPEND: u8 = 1;
    /// `OPEN_MODE_TRUNCATE`.
    pub const TRUNCATE: u8 = 2;
}

/// Reads `u32 n` followed by a `packstr_array` that upstream always packs with
/// the same count; a disagreement cannot come from upstream and is refused
/// (it could not be re-encoded).
fn counted_str_array(u: &mut Unpacker<'_>, field: &'static str) -> DecodeResult<Vec<String>> {
    let n = u.u32(field)?;
    let v = u.str_array(field)?;
    if v.len() as u64 != u64::from(n) {
        return Err(DecodeError::InvalidValue {
            field,
            value: n.into(),
        });
    }
    Ok(v)
}

/// REQUEST_BATCH_JOB_LAUNCH body (`batch_job_launch_msg_t`,
/// `_pack_batch_job_launch_msg`, 22.05 layout).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchJobLaunch {
    /// `job_id`.
    pub job_id: u32,
    /// `het_job_id` (NO_VAL / 0 when not a het job).
    pub het_job_id: u32,
    /// `uid`.
    pub uid: u32,
    /// `gid`.
    pub gid: u32,
    /// `user_name`.
    pub user_name: Option<String>,
    /// `gids`.
    pub gids: Vec<u32>,
    /// `partition`.
    pub partition: Option<String>,
    /// `ntasks`.
    pub ntasks: u32,
    /// `pn_min_memory` (MB; bit 63 = per CPU).
    pub pn_min_memory: u64,
    /// `open_mode` ([`open_mode`]).
    pub open_mode: u8,
    /// `overcommit`.
    pub overcommit: u8,
    /// `array_job_id`.
    pub array_job_id: u32,
    /// `array_task_id` (NO_VAL when not an array).
    pub array_task_id: u32,
    /// `acctg_freq`.
    pub acctg_freq: Option<String>,
    /// `container`.
    pub container: Option<String>,
    /// `cpu_bind_type`.
    pub cpu_bind_type: u16,
    /// `cpus_per_task`.
    pub cpus_per_task: u16,
    /// `restart_cnt`.
    pub restart_cnt: u16,
    /// `job_core_spec`.
    pub job_core_spec: u16,
    /// `cpus_per_node[num_cpu_groups]`.
    pub cpus_per_node: Vec<u16>,
    /// `cpu_count_reps[num_cpu_groups]` (same length as `cpus_per_node`).
    pub cpu_count_reps: Vec<u32>,
    /// `alias_list`.
    pub alias_list: Option<String>,
    /// `cpu_bind`.
    pub cpu_bind: Option<String>,
    /// `nodes`.
    pub nodes: Option<String>,
    /// `script`.
    pub script: Option<String>,
    /// `work_dir`.
    pub work_dir: Option<String>,
    /// `std_err`.
    pub std_err: Option<String>,
    /// `std_in`.
    pub std_in: Option<String>,
    /// `std_out`.
    pub std_out: Option<String>,
    /// `argv` (`argc` is its length, sent once more before the array).
    pub argv: Vec<String>,
    /// `spank_job_env`.
    pub spank_job_env: Vec<String>,
    /// `environment` (`envc` is its length, sent once more before the array).
    pub environment: Vec<String>,
    /// `job_mem` (MB).
    pub job_mem: u64,
    /// `cred_version`: the protocol version the credential is packed with.
    pub cred_version: ProtocolVersion,
    /// `cred`.
    pub cred: SignedCredential,
    /// `select_jobinfo`.
    pub select_jobinfo: SelectJobInfo,
    /// `account`.
    pub account: Option<String>,
    /// `qos`.
    pub qos: Option<String>,
    /// `resv_name`.
    pub resv_name: Option<String>,
    /// `profile` (`ACCT_GATHER_PROFILE_*`).
    pub profile: u32,
    /// `tres_bind`.
    pub tres_bind: Option<String>,
    /// `tres_freq`.
    pub tres_freq: Option<String>,
}

impl BatchJobLaunch {
    /// Packs it (22.05 layout).
    pub fn pack(&self, p: &mut Packer) {
        p.u32(self.job_id);
        p.u32(self.het_job_id);
        p.u32(self.uid);
        p.u32(self.gid);
        p.str(self.user_name.as_deref());
        p.u32_array(&self.gids);
        p.str(self.partition.as_deref());
        p.u32(self.ntasks);
        p.u64(self.pn_min_memory);
        p.u8(self.open_mode);
        p.u8(self.overcommit);
        p.u32(self.array_job_id);
        p.u32(self.array_task_id);
        p.str(self.acctg_freq.as_deref());
        p.str(self.container.as_deref());
        p.u16(self.cpu_bind_type);
        p.u16(self.cpus_per_task);
        p.u16(self.restart_cnt);
        p.u16(self.job_core_spec);
        p.u32(self.cpus_per_node.len() as u32);
        if !self.cpus_per_node.is_empty() {
            p.u16_array(&self.cpus_per_node);
            p.u32_array(&self.cpu_count_reps);
        }
        p.str(self.alias_list.as_deref());
        p.str(self.cpu_bind.as_deref());
        p.str(self.nodes.as_deref());
        p.str(self.script.as_deref());
        p.str(self.work_dir.as_deref());
        p.str(self.std_err.as_deref());
        p.str(self.std_in.as_deref());
        p.str(self.std_out.as_deref());
        p.u32(self.argv.len() as u32);
        p.str_array(&self.argv);
        p.str_array(&self.spank_job_env);
        p.u32(self.environment.len() as u32);
        p.str_array(&self.environment);
        p.u64(self.job_mem);
        p.u16(self.cred_version.0);
        self.cred.pack(p);
        self.select_jobinfo.pack(p);
        p.str(self.account.as_deref());
        p.str(self.qos.as_deref());
        p.str(self.resv_name.as_deref());
        p.u32(self.profile);
        p.str(self.tres_bind.as_deref());
        p.str(self.tres_freq.as_deref());
    }

    /// Reads it (22.05 layout only).
    pub fn unpack(u: &mut Unpacker<'_>, version: ProtocolVersion) -> DecodeResult<Self> {
        require_22_05(version)?;
        let job_id = u.u32("batch_launch.job_id")?;
        let het_job_id = u.u32("batch_launch.het_job_id")?;
        let uid = u.u32("batch_launch.uid")?;
        let gid = u.u32("batch_launch.gid")?;
        let user_name = u.str("batch_launch.user_name")?;
        let gids = u.u32_array("batch_launch.gids")?;
        let partition = u.str("batch_launch.partition")?;
        let ntasks = u.u32("batch_launch.ntasks")?;
        let pn_min_memory = u.u64("batch_launch.pn_min_memory")?;
        let open_mode = u.u8("batch_launch.open_mode")?;
        let overcommit = u.u8("batch_launch.overcommit")?;
        let array_job_id = u.u32("batch_launch.array_job_id")?;
        let array_task_id = u.u32("batch_launch.array_task_id")?;
        let acctg_freq = u.str("batch_launch.acctg_freq")?;
        let container = u.str("batch_launch.container")?;
        let cpu_bind_type = u.u16("batch_launch.cpu_bind_type")?;
        let cpus_per_task = u.u16("batch_launch.cpus_per_task")?;
        let restart_cnt = u.u16("batch_launch.restart_cnt")?;
        let job_core_spec = u.u16("batch_launch.job_core_spec")?;
        let groups = u.u32("batch_launch.num_cpu_groups")?;
        let (mut cpus_per_node, mut cpu_count_reps) = (Vec::new(), Vec::new());
        if groups > 0 {
            cpus_per_node = u.u16_array("batch_launch.cpus_per_node")?;
            cpu_count_reps = u.u32_array("batch_launch.cpu_count_reps")?;
            if cpus_per_node.len() as u64 != u64::from(groups)
                || cpu_count_reps.len() != cpus_per_node.len()
            {
                return Err(DecodeError::InvalidValue {
                    field: "batch_launch.num_cpu_groups",
                    value: groups.into(),
                });
            }
        }
        let alias_list = u.str("batch_launch.alias_list")?;
        let cpu_bind = u.str("batch_launch.cpu_bind")?;
        let nodes = u.str("batch_launch.nodes")?;
        let script = u.str("batch_launch.script")?;
        let work_dir = u.str("batch_launch.work_dir")?;
        let std_err = u.str("batch_launch.std_err")?;
        let std_in = u.str("batch_launch.std_in")?;
        let std_out = u.str("batch_launch.std_out")?;
        let argv = counted_str_array(u, "batch_launch.argv")?;
        let spank_job_env = u.str_array("batch_launch.spank_job_env")?;
        let environment = counted_str_array(u, "batch_launch.environment")?;
        let job_mem = u.u64("batch_launch.job_mem")?;
        let cred_version = ProtocolVersion(u.u16("batch_launch.cred_version")?);
        let cred = SignedCredential::unpack(u, cred_version)?;
        Ok(BatchJobLaunch {
            job_id,
            het_job_id,
            uid,
            gid,
            user_name,
            gids,
            partition,
            ntasks,
            pn_min_memory,
            open_mode,
            overcommit,
            array_job_id,
            array_task_id,
            acctg_freq,
            container,
            cpu_bind_type,
            cpus_per_task,
            restart_cnt,
            job_core_spec,
            cpus_per_node,
            cpu_count_reps,
            alias_list,
            cpu_bind,
            nodes,
            script,
            work_dir,
            std_err,
            std_in,
            std_out,
            argv,
            spank_job_env,
            environment,
            job_mem,
            cred_version,
            cred,
            select_jobinfo: SelectJobInfo::unpack(u)?,
            account: u.str("batch_launch.account")?,
            qos: u.str("batch_launch.qos")?,
            resv_name: u.str("batch_launch.resv_name")?,
            profile: u.u32("batch_launch.profile")?,
            tres_bind: u.str("batch_launch.tres_bind")?,
            tres_freq: u.str("batch_launch.tres_freq")?,
        })
    }
}

/// REQUEST_LAUNCH_PROLOG body (`prolog_launch_msg_t`, `_pack_prolog_launch_msg`,
/// 22.05 layout): sent to every node of a job when `PrologFlags=Alloc`.
/// The credential is packed at the message's own version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrologLaunch {
    /// `job_gres_info` (`gres_job_alloc_pack`).
    pub job_gres_info: Vec<GresJobAlloc>,
    /// `job_id`.
    pub job_id: u32,
    /// `het_job_id`.
    pub het_job_id: u32,
    /// `uid`.
    pub uid: u32,
    /// `gid`.
    pub gid: u32,
    /// `alias_list`.
    pub alias_list: Option<String>,
    /// `nodes`.
    pub nodes: Option<String>,
    /// `std_err`.
    pub std_err: Option<String>,
    /// `std_out`.
    pub std_out: Option<String>,
    /// `work_dir`.
    pub work_dir: Option<String>,
    /// `x11` (`X11_FORWARD_*`).
    pub x11: u16,
    /// `x11_alloc_host`.
    pub x11_alloc_host: Option<String>,
    /// `x11_alloc_port`.
    pub x11_alloc_port: u16,
    /// `x11_magic_cookie`.
    pub x11_magic_cookie: Option<String>,
    /// `x11_target`.
    pub x11_target: Option<String>,
    /// `x11_target_port`.
    pub x11_target_port: u16,
    /// `spank_job_env`.
    pub spank_job_env: Vec<String>,
    /// `cred`.
    pub cred: SignedCredential,
    /// `user_name`.
    pub user_name: Option<String>,
}

impl PrologLaunch {
    /// Packs it (22.05 layout).
    pub fn pack(&self, p: &mut Packer) {
        gres::pack_list(p, &self.job_gres_info, GresJobAlloc::pack);
        p.u32(self.job_id);
        p.u32(self.het_job_id);
        p.u32(self.uid);
        p.u32(self.gid);
        p.str(self.alias_list.as_deref());
        p.str(self.nodes.as_deref());
        p.str(self.std_err.as_deref());
        p.str(self.std_out.as_deref());
        p.str(self.work_dir.as_deref());
        p.u16(self.x11);
        p.str(self.x11_alloc_host.as_deref());
        p.u16(self.x11_alloc_port);
        p.str(self.x11_magic_cookie.as_deref());
        p.str(self.x11_target.as_deref());
        p.u16(self.x11_target_port);
        p.str_array(&self.spank_job_env);
        self.cred.pack(p);
        p.str(self.user_name.as_deref());
    }

    /// Reads it (22.05 layout only).
    pub fn unpack(u: &mut Unpacker<'_>, version: ProtocolVersion) -> DecodeResult<Self> {
        require_22_05(version)?;
        Ok(PrologLaunch {
            job_gres_info: gres::unpack_list(
                u,
                "prolog_launch.job_gres_info",
                GresJobAlloc::unpack,
            )?,
            job_id: u.u32("prolog_launch.job_id")?,
            het_job_id: u.u32("prolog_launch.het_job_id")?,
            uid: u.u32("prolog_launch.uid")?,
            gid: u.u32("prolog_launch.gid")?,
            alias_list: u.str("prolog_launch.alias_list")?,
            nodes: u.str("prolog_launch.nodes")?,
            std_err: u.str("prolog_launch.std_err")?,
            std_out: u.str("prolog_launch.std_out")?,
            work_dir: u.str("prolog_launch.work_dir")?,
            x11: u.u16("prolog_launch.x11")?,
            x11_alloc_host: u.str("prolog_launch.x11_alloc_host")?,
            x11_alloc_port: u.u16("prolog_launch.x11_alloc_port")?,
            x11_magic_cookie: u.str("prolog_launch.x11_magic_cookie")?,
            x11_target: u.str("prolog_launch.x11_target")?,
            x11_target_port: u.u16("prolog_launch.x11_target_port")?,
            spank_job_env: u.str_array("prolog_launch.spank_job_env")?,
            cred: SignedCredential::unpack(u, version)?,
            user_name: u.str("prolog_launch.user_name")?,
        })
    }
}
