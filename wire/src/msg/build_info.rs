//! RESPONSE_BUILD_INFO (2002): the controller's configuration, as
//! `scontrol show config` prints it (`slurm_ctl_conf_t`,
//! `_pack_slurm_ctl_conf_msg` upstream). The field list is upstream's 22.05
//! order; every field keeps upstream's name so the two can be read side by side.

use crate::pack::{DecodeError, DecodeResult, Packer, Unpacker, NO_VAL};
use crate::version::ProtocolVersion;

/// `config_key_pair_t`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct KeyPair {
    /// Key.
    pub name: Option<String>,
    /// Value.
    pub value: Option<String>,
}

/// `config_plugin_params_t`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PluginParams {
    /// Plugin name.
    pub name: Option<String>,
    /// Its settings.
    pub key_pairs: Option<Vec<KeyPair>>,
}

/// `job_defaults_t` (JobDefaults= / partition DefCpuPerGPU etc.).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct JobDefault {
    /// `JOB_DEF_*` type.
    pub kind: u16,
    /// Its value.
    pub value: u64,
}

/// Reads a u32 list count where NO_VAL means "no list".
fn list_count(
    u: &mut Unpacker<'_>,
    field: &'static str,
    min_elem: usize,
) -> DecodeResult<Option<usize>> {
    let n = u.u32(field)?;
    if n == NO_VAL {
        return Ok(None);
    }
    u.check_count(field, n, min_elem).map(Some)
}

/// `pack_key_pair_list`.
pub fn pack_key_pairs(p: &mut Packer, list: Option<&[KeyPair]>) {
    match list {
        None => p.u32(NO_VAL),
        Some(l) => {
            p.u32(l.len() as u32);
            for kp in l {
                p.str(kp.name.as_deref());
                p.str(kp.value.as_deref());
            }
        }
    }
}

/// `unpack_key_pair_list`.
pub fn unpack_key_pairs(
    u: &mut Unpacker<'_>,
    field: &'static str,
) -> DecodeResult<Option<Vec<KeyPair>>> {
    let Some(n) = list_count(u, field, 8)? else {
        return Ok(None);
    };
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        out.push(KeyPair {
            name: u.str(field)?,
            value: u.str(field)?,
        });
    }
    Ok(Some(out))
}

/// `pack_config_plugin_params_list`.
pub fn pack_plugin_params(p: &mut Packer, list: Option<&[PluginParams]>) {
    match list {
        None => p.u32(NO_VAL),
        Some(l) => {
            p.u32(l.len() as u32);
            for pp in l {
                p.str(pp.name.as_deref());
                pack_key_pairs(p, pp.key_pairs.as_deref());
            }
        }
    }
}

/// `unpack_config_plugin_params_list`.
pub fn unpack_plugin_params(
    u: &mut Unpacker<'_>,
    field: &'static str,
) -> DecodeResult<Option<Vec<PluginParams>>> {
    let Some(n) = list_count(u, field, 8)? else {
        return Ok(None);
    };
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        out.push(PluginParams {
            name: u.str(field)?,
            key_pairs: unpack_key_pairs(u, field)?,
        });
    }
    Ok(Some(out))
}

/// `slurm_pack_list(job_defaults_pack)`.
pub fn pack_job_defaults(p: &mut Packer, list: Option<&[JobDefault]>) {
    match list {
        None => p.u32(NO_VAL),
        Some(l) => {
            p.u32(l.len() as u32);
            for d in l {
                p.u16(d.kind);
                p.u64(d.value);
            }
        }
    }
}

/// `slurm_unpack_list(job_defaults_unpack)`.
pub fn unpack_job_defaults(
    u: &mut Unpacker<'_>,
    field: &'static str,
) -> DecodeResult<Option<Vec<JobDefault>>> {
    let Some(n) = list_count(u, field, 10)? else {
        return Ok(None);
    };
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        out.push(JobDefault {
            kind: u.u16(field)?,
            value: u.u64(field)?,
        });
    }
    Ok(Some(out))
}

/// RESPONSE_BUILD_INFO body (`slurm_ctl_conf_info_msg_t`), 22.05 layout.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BuildInfo {
    /// `last_update`.
    pub last_update: i64,
    /// `accounting_storage_enforce`.
    pub accounting_storage_enforce: u16,
    /// `accounting_storage_backup_host`.
    pub accounting_storage_backup_host: Option<String>,
    /// `accounting_storage_host`.
    pub accounting_storage_host: Option<String>,
    /// `accounting_storage_ext_host`.
    pub accounting_storage_ext_host: Option<String>,
    /// `accounting_storage_params`.
    pub accounting_storage_params: Option<String>,
    /// `accounting_storage_port`.
    pub accounting_storage_port: u16,
    /// `accounting_storage_tres`.
    pub accounting_storage_tres: Option<String>,
    /// `accounting_storage_type`.
    pub accounting_storage_type: Option<String>,
    /// `accounting_storage_user`.
    pub accounting_storage_user: Option<String>,
    /// `acct_gather_conf`.
    pub acct_gather_conf: Option<Vec<KeyPair>>,
    /// `acct_gather_energy_type`.
    pub acct_gather_energy_type: Option<String>,
    /// `acct_gather_filesystem_type`.
    pub acct_gather_filesystem_type: Option<String>,
    /// `acct_gather_interconnect_type`.
    pub acct_gather_interconnect_type: Option<String>,
    /// `acct_gather_node_freq`.
    pub acct_gather_node_freq: u16,
    /// `acct_gather_profile_type`.
    pub acct_gather_profile_type: Option<String>,
    /// `authalttypes`.
    pub authalttypes: Option<String>,
    /// `authalt_params`.
    pub authalt_params: Option<String>,
    /// `authinfo`.
    pub authinfo: Option<String>,
    /// `authtype`.
    pub authtype: Option<String>,
    /// `batch_start_timeout`.
    pub batch_start_timeout: u16,
    /// `boot_time`.
    pub boot_time: i64,
    /// `bb_type`.
    pub bb_type: Option<String>,
    /// `bcast_exclude`.
    pub bcast_exclude: Option<String>,
    /// `bcast_parameters`.
    pub bcast_parameters: Option<String>,
    /// `cgroup_conf`.
    pub cgroup_conf: Option<Vec<KeyPair>>,
    /// `cli_filter_plugins`.
    pub cli_filter_plugins: Option<String>,
    /// `cluster_name`.
    pub cluster_name: Option<String>,
    /// `comm_params`.
    pub comm_params: Option<String>,
    /// `complete_wait`.
    pub complete_wait: u16,
    /// `conf_flags`.
    pub conf_flags: u32,
    /// `control_addr`.
    pub control_addr: Vec<String>,
    /// `control_machine`.
    pub control_machine: Vec<String>,
    /// `core_spec_plugin`.
    pub core_spec_plugin: Option<String>,
    /// `cpu_freq_def`.
    pub cpu_freq_def: u32,
    /// `cpu_freq_govs`.
    pub cpu_freq_govs: u32,
    /// `cred_type`.
    pub cred_type: Option<String>,
    /// `def_mem_per_cpu`.
    pub def_mem_per_cpu: u64,
    /// `debug_flags`.
    pub debug_flags: u64,
    /// `dependency_params`.
    pub dependency_params: Option<String>,
    /// `eio_timeout`.
    pub eio_timeout: u16,
    /// `enforce_part_limits`.
    pub enforce_part_limits: u16,
    /// `epilog`.
    pub epilog: Option<String>,
    /// `epilog_msg_time`.
    pub epilog_msg_time: u32,
    /// `epilog_slurmctld`.
    pub epilog_slurmctld: Option<String>,
    /// `ext_sensors_conf`.
    pub ext_sensors_conf: Option<Vec<KeyPair>>,
    /// `ext_sensors_type`.
    pub ext_sensors_type: Option<String>,
    /// `ext_sensors_freq`.
    pub ext_sensors_freq: u16,
    /// `fed_params`.
    pub fed_params: Option<String>,
    /// `first_job_id`.
    pub first_job_id: u32,
    /// `fs_dampening_factor`.
    pub fs_dampening_factor: u16,
    /// `get_env_timeout`.
    pub get_env_timeout: u16,
    /// `gres_plugins`.
    pub gres_plugins: Option<String>,
    /// `group_time`.
    pub group_time: u16,
    /// `group_force`.
    pub group_force: u16,
    /// `gpu_freq_def`.
    pub gpu_freq_def: Option<String>,
    /// `hash_val`.
    pub hash_val: u32,
    /// `health_check_interval`.
    pub health_check_interval: u16,
    /// `health_check_node_state`.
    pub health_check_node_state: u16,
    /// `health_check_program`.
    pub health_check_program: Option<String>,
    /// `inactive_limit`.
    pub inactive_limit: u16,
    /// `interactive_step_opts`.
    pub interactive_step_opts: Option<String>,
    /// `job_acct_gather_freq`.
    pub job_acct_gather_freq: Option<String>,
    /// `job_acct_gather_type`.
    pub job_acct_gather_type: Option<String>,
    /// `job_acct_gather_params`.
    pub job_acct_gather_params: Option<String>,
    /// `job_comp_host`.
    pub job_comp_host: Option<String>,
    /// `job_comp_loc`.
    pub job_comp_loc: Option<String>,
    /// `job_comp_params`.
    pub job_comp_params: Option<String>,
    /// `job_comp_port`.
    pub job_comp_port: u32,
    /// `job_comp_type`.
    pub job_comp_type: Option<String>,
    /// `job_comp_user`.
    pub job_comp_user: Option<String>,
    /// `job_container_plugin`.
    pub job_container_plugin: Option<String>,
    /// `job_credential_private_key`.
    pub job_credential_private_key: Option<String>,
    /// `job_credential_public_certificate`.
    pub job_credential_public_certificate: Option<String>,
    /// `job_defaults`.
    pub job_defaults: Option<Vec<JobDefault>>,
    /// `job_file_append`.
    pub job_file_append: u16,
    /// `job_requeue`.
    pub job_requeue: u16,
    /// `job_submit_plugins`.
    pub job_submit_plugins: Option<String>,
    /// `kill_on_bad_exit`.
    pub kill_on_bad_exit: u16,
    /// `kill_wait`.
    pub kill_wait: u16,
    /// `launch_params`.
    pub launch_params: Option<String>,
    /// `launch_type`.
    pub launch_type: Option<String>,
    /// `licenses`.
    pub licenses: Option<String>,
    /// `log_fmt`.
    pub log_fmt: u16,
    /// `max_array_sz`.
    pub max_array_sz: u32,
    /// `max_dbd_msgs`.
    pub max_dbd_msgs: u32,
    /// `mail_domain`.
    pub mail_domain: Option<String>,
    /// `mail_prog`.
    pub mail_prog: Option<String>,
    /// `max_job_cnt`.
    pub max_job_cnt: u32,
    /// `max_job_id`.
    pub max_job_id: u32,
    /// `max_mem_per_cpu`.
    pub max_mem_per_cpu: u64,
    /// `max_node_cnt`.
    pub max_node_cnt: u32,
    /// `max_step_cnt`.
    pub max_step_cnt: u32,
    /// `max_tasks_per_node`.
    pub max_tasks_per_node: u16,
    /// `mcs_plugin`.
    pub mcs_plugin: Option<String>,
    /// `mcs_plugin_params`.
    pub mcs_plugin_params: Option<String>,
    /// `min_job_age`.
    pub min_job_age: u32,
    /// `mpi_conf`.
    pub mpi_conf: Option<Vec<KeyPair>>,
    /// `mpi_default`.
    pub mpi_default: Option<String>,
    /// `mpi_params`.
    pub mpi_params: Option<String>,
    /// `msg_timeout`.
    pub msg_timeout: u16,
    /// `next_job_id`.
    pub next_job_id: u32,
    /// `node_features_conf`.
    pub node_features_conf: Option<Vec<PluginParams>>,
    /// `node_features_plugins`.
    pub node_features_plugins: Option<String>,
    /// `node_prefix`.
    pub node_prefix: Option<String>,
    /// `over_time_limit`.
    pub over_time_limit: u16,
    /// `plugindir`.
    pub plugindir: Option<String>,
    /// `plugstack`.
    pub plugstack: Option<String>,
    /// `power_parameters`.
    pub power_parameters: Option<String>,
    /// `power_plugin`.
    pub power_plugin: Option<String>,
    /// `preempt_mode`.
    pub preempt_mode: u16,
    /// `preempt_type`.
    pub preempt_type: Option<String>,
    /// `preempt_exempt_time`.
    pub preempt_exempt_time: u32,
    /// `prep_params`.
    pub prep_params: Option<String>,
    /// `prep_plugins`.
    pub prep_plugins: Option<String>,
    /// `priority_decay_hl`.
    pub priority_decay_hl: u32,
    /// `priority_calc_period`.
    pub priority_calc_period: u32,
    /// `priority_favor_small`.
    pub priority_favor_small: u16,
    /// `priority_flags`.
    pub priority_flags: u16,
    /// `priority_max_age`.
    pub priority_max_age: u32,
    /// `priority_params`.
    pub priority_params: Option<String>,
    /// `priority_reset_period`.
    pub priority_reset_period: u16,
    /// `priority_type`.
    pub priority_type: Option<String>,
    /// `priority_weight_age`.
    pub priority_weight_age: u32,
    /// `priority_weight_assoc`.
    pub priority_weight_assoc: u32,
    /// `priority_weight_fs`.
    pub priority_weight_fs: u32,
    /// `priority_weight_js`.
    pub priority_weight_js: u32,
    /// `priority_weight_part`.
    pub priority_weight_part: u32,
    /// `priority_weight_qos`.
    pub priority_weight_qos: u32,
    /// `priority_weight_tres`.
    pub priority_weight_tres: Option<String>,
    /// `private_data`.
    pub private_data: u16,
    /// `proctrack_type`.
    pub proctrack_type: Option<String>,
    /// `prolog`.
    pub prolog: Option<String>,
    /// `prolog_epilog_timeout`.
    pub prolog_epilog_timeout: u16,
    /// `prolog_slurmctld`.
    pub prolog_slurmctld: Option<String>,
    /// `prolog_flags`.
    pub prolog_flags: u16,
    /// `propagate_prio_process`.
    pub propagate_prio_process: u16,
    /// `propagate_rlimits`.
    pub propagate_rlimits: Option<String>,
    /// `propagate_rlimits_except`.
    pub propagate_rlimits_except: Option<String>,
    /// `reboot_program`.
    pub reboot_program: Option<String>,
    /// `reconfig_flags`.
    pub reconfig_flags: u16,
    /// `requeue_exit`.
    pub requeue_exit: Option<String>,
    /// `requeue_exit_hold`.
    pub requeue_exit_hold: Option<String>,
    /// `resume_fail_program`.
    pub resume_fail_program: Option<String>,
    /// `resume_program`.
    pub resume_program: Option<String>,
    /// `resume_rate`.
    pub resume_rate: u16,
    /// `resume_timeout`.
    pub resume_timeout: u16,
    /// `resv_epilog`.
    pub resv_epilog: Option<String>,
    /// `resv_over_run`.
    pub resv_over_run: u16,
    /// `resv_prolog`.
    pub resv_prolog: Option<String>,
    /// `ret2service`.
    pub ret2service: u16,
    /// `route_plugin`.
    pub route_plugin: Option<String>,
    /// `sched_params`.
    pub sched_params: Option<String>,
    /// `sched_logfile`.
    pub sched_logfile: Option<String>,
    /// `sched_log_level`.
    pub sched_log_level: u16,
    /// `sched_time_slice`.
    pub sched_time_slice: u16,
    /// `schedtype`.
    pub schedtype: Option<String>,
    /// `scron_params`.
    pub scron_params: Option<String>,
    /// `select_type`.
    pub select_type: Option<String>,
    /// `select_conf_key_pairs`.
    pub select_conf_key_pairs: Option<Vec<KeyPair>>,
    /// `select_type_param`.
    pub select_type_param: u16,
    /// `slurm_conf`.
    pub slurm_conf: Option<String>,
    /// `slurm_user_id`.
    pub slurm_user_id: u32,
    /// `slurm_user_name`.
    pub slurm_user_name: Option<String>,
    /// `slurmd_user_id`.
    pub slurmd_user_id: u32,
    /// `slurmd_user_name`.
    pub slurmd_user_name: Option<String>,
    /// `slurmctld_addr`.
    pub slurmctld_addr: Option<String>,
    /// `slurmctld_debug`.
    pub slurmctld_debug: u16,
    /// `slurmctld_logfile`.
    pub slurmctld_logfile: Option<String>,
    /// `slurmctld_params`.
    pub slurmctld_params: Option<String>,
    /// `slurmctld_pidfile`.
    pub slurmctld_pidfile: Option<String>,
    /// `slurmctld_plugstack`.
    pub slurmctld_plugstack: Option<String>,
    /// `slurmctld_plugstack_conf`.
    pub slurmctld_plugstack_conf: Option<Vec<PluginParams>>,
    /// `slurmctld_port`.
    pub slurmctld_port: u32,
    /// `slurmctld_port_count`.
    pub slurmctld_port_count: u16,
    /// `slurmctld_primary_off_prog`.
    pub slurmctld_primary_off_prog: Option<String>,
    /// `slurmctld_primary_on_prog`.
    pub slurmctld_primary_on_prog: Option<String>,
    /// `slurmctld_syslog_debug`.
    pub slurmctld_syslog_debug: u16,
    /// `slurmctld_timeout`.
    pub slurmctld_timeout: u16,
    /// `slurmd_debug`.
    pub slurmd_debug: u16,
    /// `slurmd_logfile`.
    pub slurmd_logfile: Option<String>,
    /// `slurmd_params`.
    pub slurmd_params: Option<String>,
    /// `slurmd_pidfile`.
    pub slurmd_pidfile: Option<String>,
    /// `slurmd_port`.
    pub slurmd_port: u32,
    /// `slurmd_spooldir`.
    pub slurmd_spooldir: Option<String>,
    /// `slurmd_syslog_debug`.
    pub slurmd_syslog_debug: u16,
    /// `slurmd_timeout`.
    pub slurmd_timeout: u16,
    /// `srun_epilog`.
    pub srun_epilog: Option<String>,
    /// `srun_port_range_min`.
    pub srun_port_range_min: u16,
    /// `srun_port_range_max`.
    pub srun_port_range_max: u16,
    /// `srun_prolog`.
    pub srun_prolog: Option<String>,
    /// `state_save_location`.
    pub state_save_location: Option<String>,
    /// `suspend_exc_nodes`.
    pub suspend_exc_nodes: Option<String>,
    /// `suspend_exc_parts`.
    pub suspend_exc_parts: Option<String>,
    /// `suspend_program`.
    pub suspend_program: Option<String>,
    /// `suspend_rate`.
    pub suspend_rate: u16,
    /// `suspend_time`.
    pub suspend_time: u32,
    /// `suspend_timeout`.
    pub suspend_timeout: u16,
    /// `switch_param`.
    pub switch_param: Option<String>,
    /// `switch_type`.
    pub switch_type: Option<String>,
    /// `task_epilog`.
    pub task_epilog: Option<String>,
    /// `task_prolog`.
    pub task_prolog: Option<String>,
    /// `task_plugin`.
    pub task_plugin: Option<String>,
    /// `task_plugin_param`.
    pub task_plugin_param: u32,
    /// `tcp_timeout`.
    pub tcp_timeout: u16,
    /// `tmp_fs`.
    pub tmp_fs: Option<String>,
    /// `topology_param`.
    pub topology_param: Option<String>,
    /// `topology_plugin`.
    pub topology_plugin: Option<String>,
    /// `tree_width`.
    pub tree_width: u16,
    /// `unkillable_program`.
    pub unkillable_program: Option<String>,
    /// `unkillable_timeout`.
    pub unkillable_timeout: u16,
    /// `version`.
    pub version: Option<String>,
    /// `vsize_factor`.
    pub vsize_factor: u16,
    /// `wait_time`.
    pub wait_time: u16,
    /// `x11_params`.
    pub x11_params: Option<String>,
}

impl BuildInfo {
    /// Packs the body. Only the 22.05 layout exists so far; older peers are
    /// refused before we get here.
    pub fn pack(&self, p: &mut Packer, _version: ProtocolVersion) {
        p.time(self.last_update);
        p.u16(self.accounting_storage_enforce);
        p.str(self.accounting_storage_backup_host.as_deref());
        p.str(self.accounting_storage_host.as_deref());
        p.str(self.accounting_storage_ext_host.as_deref());
        p.str(self.accounting_storage_params.as_deref());
        p.u16(self.accounting_storage_port);
        p.str(self.accounting_storage_tres.as_deref());
        p.str(self.accounting_storage_type.as_deref());
        p.str(self.accounting_storage_user.as_deref());
        pack_key_pairs(p, self.acct_gather_conf.as_deref());
        p.str(self.acct_gather_energy_type.as_deref());
        p.str(self.acct_gather_filesystem_type.as_deref());
        p.str(self.acct_gather_interconnect_type.as_deref());
        p.u16(self.acct_gather_node_freq);
        p.str(self.acct_gather_profile_type.as_deref());
        p.str(self.authalttypes.as_deref());
        p.str(self.authalt_params.as_deref());
        p.str(self.authinfo.as_deref());
        p.str(self.authtype.as_deref());
        p.u16(self.batch_start_timeout);
        p.time(self.boot_time);
        p.str(self.bb_type.as_deref());
        p.str(self.bcast_exclude.as_deref());
        p.str(self.bcast_parameters.as_deref());
        pack_key_pairs(p, self.cgroup_conf.as_deref());
        p.str(self.cli_filter_plugins.as_deref());
        p.str(self.cluster_name.as_deref());
        p.str(self.comm_params.as_deref());
        p.u16(self.complete_wait);
        p.u32(self.conf_flags);
        p.str_array(&self.control_addr);
        p.str_array(&self.control_machine);
        p.str(self.core_spec_plugin.as_deref());
        p.u32(self.cpu_freq_def);
        p.u32(self.cpu_freq_govs);
        p.str(self.cred_type.as_deref());
        p.u64(self.def_mem_per_cpu);
        p.u64(self.debug_flags);
        p.str(self.dependency_params.as_deref());
        p.u16(self.eio_timeout);
        p.u16(self.enforce_part_limits);
        p.str(self.epilog.as_deref());
        p.u32(self.epilog_msg_time);
        p.str(self.epilog_slurmctld.as_deref());
        pack_key_pairs(p, self.ext_sensors_conf.as_deref());
        p.str(self.ext_sensors_type.as_deref());
        p.u16(self.ext_sensors_freq);
        p.str(self.fed_params.as_deref());
        p.u32(self.first_job_id);
        p.u16(self.fs_dampening_factor);
        p.u16(self.get_env_timeout);
        p.str(self.gres_plugins.as_deref());
        p.u16(self.group_time);
        p.u16(self.group_force);
        p.str(self.gpu_freq_def.as_deref());
        p.u32(self.hash_val);
        p.u16(self.health_check_interval);
        p.u16(self.health_check_node_state);
        p.str(self.health_check_program.as_deref());
        p.u16(self.inactive_limit);
        p.str(self.interactive_step_opts.as_deref());
        p.str(self.job_acct_gather_freq.as_deref());
        p.str(self.job_acct_gather_type.as_deref());
        p.str(self.job_acct_gather_params.as_deref());
        p.str(self.job_comp_host.as_deref());
        p.str(self.job_comp_loc.as_deref());
        p.str(self.job_comp_params.as_deref());
        p.u32(self.job_comp_port);
        p.str(self.job_comp_type.as_deref());
        p.str(self.job_comp_user.as_deref());
        p.str(self.job_container_plugin.as_deref());
        p.str(self.job_credential_private_key.as_deref());
        p.str(self.job_credential_public_certificate.as_deref());
        pack_job_defaults(p, self.job_defaults.as_deref());
        p.u16(self.job_file_append);
        p.u16(self.job_requeue);
        p.str(self.job_submit_plugins.as_deref());
        p.u16(self.kill_on_bad_exit);
        p.u16(self.kill_wait);
        p.str(self.launch_params.as_deref());
        p.str(self.launch_type.as_deref());
        p.str(self.licenses.as_deref());
        p.u16(self.log_fmt);
        p.u32(self.max_array_sz);
        p.u32(self.max_dbd_msgs);
        p.str(self.mail_domain.as_deref());
        p.str(self.mail_prog.as_deref());
        p.u32(self.max_job_cnt);
        p.u32(self.max_job_id);
        p.u64(self.max_mem_per_cpu);
        p.u32(self.max_node_cnt);
        p.u32(self.max_step_cnt);
        p.u16(self.max_tasks_per_node);
        p.str(self.mcs_plugin.as_deref());
        p.str(self.mcs_plugin_params.as_deref());
        p.u32(self.min_job_age);
        pack_key_pairs(p, self.mpi_conf.as_deref());
        p.str(self.mpi_default.as_deref());
        p.str(self.mpi_params.as_deref());
        p.u16(self.msg_timeout);
        p.u32(self.next_job_id);
        pack_plugin_params(p, self.node_features_conf.as_deref());
        p.str(self.node_features_plugins.as_deref());
        p.str(self.node_prefix.as_deref());
        p.u16(self.over_time_limit);
        p.str(self.plugindir.as_deref());
        p.str(self.plugstack.as_deref());
        p.str(self.power_parameters.as_deref());
        p.str(self.power_plugin.as_deref());
        p.u16(self.preempt_mode);
        p.str(self.preempt_type.as_deref());
        p.u32(self.preempt_exempt_time);
        p.str(self.prep_params.as_deref());
        p.str(self.prep_plugins.as_deref());
        p.u32(self.priority_decay_hl);
        p.u32(self.priority_calc_period);
        p.u16(self.priority_favor_small);
        p.u16(self.priority_flags);
        p.u32(self.priority_max_age);
        p.str(self.priority_params.as_deref());
        p.u16(self.priority_reset_period);
        p.str(self.priority_type.as_deref());
        p.u32(self.priority_weight_age);
        p.u32(self.priority_weight_assoc);
        p.u32(self.priority_weight_fs);
        p.u32(self.priority_weight_js);
        p.u32(self.priority_weight_part);
        p.u32(self.priority_weight_qos);
        p.str(self.priority_weight_tres.as_deref());
        p.u16(self.private_data);
        p.str(self.proctrack_type.as_deref());
        p.str(self.prolog.as_deref());
        p.u16(self.prolog_epilog_timeout);
        p.str(self.prolog_slurmctld.as_deref());
        p.u16(self.prolog_flags);
        p.u16(self.propagate_prio_process);
        p.str(self.propagate_rlimits.as_deref());
        p.str(self.propagate_rlimits_except.as_deref());
        p.str(self.reboot_program.as_deref());
        p.u16(self.reconfig_flags);
        p.str(self.requeue_exit.as_deref());
        p.str(self.requeue_exit_hold.as_deref());
        p.str(self.resume_fail_program.as_deref());
        p.str(self.resume_program.as_deref());
        p.u16(self.resume_rate);
        p.u16(self.resume_timeout);
        p.str(self.resv_epilog.as_deref());
        p.u16(self.resv_over_run);
        p.str(self.resv_prolog.as_deref());
        p.u16(self.ret2service);
        p.str(self.route_plugin.as_deref());
        p.str(self.sched_params.as_deref());
        p.str(self.sched_logfile.as_deref());
        p.u16(self.sched_log_level);
        p.u16(self.sched_time_slice);
        p.str(self.schedtype.as_deref());
        p.str(self.scron_params.as_deref());
        p.str(self.select_type.as_deref());
        pack_key_pairs(p, self.select_conf_key_pairs.as_deref());
        p.u16(self.select_type_param);
        p.str(self.slurm_conf.as_deref());
        p.u32(self.slurm_user_id);
        p.str(self.slurm_user_name.as_deref());
        p.u32(self.slurmd_user_id);
        p.str(self.slurmd_user_name.as_deref());
        p.str(self.slurmctld_addr.as_deref());
        p.u16(self.slurmctld_debug);
        p.str(self.slurmctld_logfile.as_deref());
        p.str(self.slurmctld_params.as_deref());
        p.str(self.slurmctld_pidfile.as_deref());
        p.str(self.slurmctld_plugstack.as_deref());
        pack_plugin_params(p, self.slurmctld_plugstack_conf.as_deref());
        p.u32(self.slurmctld_port);
        p.u16(self.slurmctld_port_count);
        p.str(self.slurmctld_primary_off_prog.as_deref());
        p.str(self.slurmctld_primary_on_prog.as_deref());
        p.u16(self.slurmctld_syslog_debug);
        p.u16(self.slurmctld_timeout);
        p.u16(self.slurmd_debug);
        p.str(self.slurmd_logfile.as_deref());
        p.str(self.slurmd_params.as_deref());
        p.str(self.slurmd_pidfile.as_deref());
        p.u32(self.slurmd_port);
        p.str(self.slurmd_spooldir.as_deref());
        p.u16(self.slurmd_syslog_debug);
        p.u16(self.slurmd_timeout);
        p.str(self.srun_epilog.as_deref());
        p.u16(self.srun_port_range_min);
        p.u16(self.srun_port_range_max);
        p.str(self.srun_prolog.as_deref());
        p.str(self.state_save_location.as_deref());
        p.str(self.suspend_exc_nodes.as_deref());
        p.str(self.suspend_exc_parts.as_deref());
        p.str(self.suspend_program.as_deref());
        p.u16(self.suspend_rate);
        p.u32(self.suspend_time);
        p.u16(self.suspend_timeout);
        p.str(self.switch_param.as_deref());
        p.str(self.switch_type.as_deref());
        p.str(self.task_epilog.as_deref());
        p.str(self.task_prolog.as_deref());
        p.str(self.task_plugin.as_deref());
        p.u32(self.task_plugin_param);
        p.u16(self.tcp_timeout);
        p.str(self.tmp_fs.as_deref());
        p.str(self.topology_param.as_deref());
        p.str(self.topology_plugin.as_deref());
        p.u16(self.tree_width);
        p.str(self.unkillable_program.as_deref());
        p.u16(self.unkillable_timeout);
        p.str(self.version.as_deref());
        p.u16(self.vsize_factor);
        p.u16(self.wait_time);
        p.str(self.x11_params.as_deref());
    }

    /// Reads the body.
    pub fn unpack(u: &mut Unpacker<'_>, version: ProtocolVersion) -> DecodeResult<Self> {
        if version != ProtocolVersion::V22_05 {
            return Err(DecodeError::UnsupportedVersion(version.0));
        }
        Ok(BuildInfo {
            last_update: u.time("last_update")?,
            accounting_storage_enforce: u.u16("accounting_storage_enforce")?,
            accounting_storage_backup_host: u.str("accounting_storage_backup_host")?,
            accounting_storage_host: u.str("accounting_storage_host")?,
            accounting_storage_ext_host: u.str("accounting_storage_ext_host")?,
            accounting_storage_params: u.str("accounting_storage_params")?,
            accounting_storage_port: u.u16("accounting_storage_port")?,
            accounting_storage_tres: u.str("accounting_storage_tres")?,
            accounting_storage_type: u.str("accounting_storage_type")?,
            accounting_storage_user: u.str("accounting_storage_user")?,
            acct_gather_conf: unpack_key_pairs(u, "acct_gather_conf")?,
            acct_gather_energy_type: u.str("acct_gather_energy_type")?,
            acct_gather_filesystem_type: u.str("acct_gather_filesystem_type")?,
            acct_gather_interconnect_type: u.str("acct_gather_interconnect_type")?,
            acct_gather_node_freq: u.u16("acct_gather_node_freq")?,
            acct_gather_profile_type: u.str("acct_gather_profile_type")?,
            authalttypes: u.str("authalttypes")?,
            authalt_params: u.str("authalt_params")?,
            authinfo: u.str("authinfo")?,
            authtype: u.str("authtype")?,
            batch_start_timeout: u.u16("batch_start_timeout")?,
            boot_time: u.time("boot_time")?,
            bb_type: u.str("bb_type")?,
            bcast_exclude: u.str("bcast_exclude")?,
            bcast_parameters: u.str("bcast_parameters")?,
            cgroup_conf: unpack_key_pairs(u, "cgroup_conf")?,
            cli_filter_plugins: u.str("cli_filter_plugins")?,
            cluster_name: u.str("cluster_name")?,
            comm_params: u.str("comm_params")?,
            complete_wait: u.u16("complete_wait")?,
            conf_flags: u.u32("conf_flags")?,
            control_addr: u.str_array("control_addr")?,
            control_machine: u.str_array("control_machine")?,
            core_spec_plugin: u.str("core_spec_plugin")?,
            cpu_freq_def: u.u32("cpu_freq_def")?,
            cpu_freq_govs: u.u32("cpu_freq_govs")?,
            cred_type: u.str("cred_type")?,
            def_mem_per_cpu: u.u64("def_mem_per_cpu")?,
            debug_flags: u.u64("debug_flags")?,
            dependency_params: u.str("dependency_params")?,
            eio_timeout: u.u16("eio_timeout")?,
            enforce_part_limits: u.u16("enforce_part_limits")?,
            epilog: u.str("epilog")?,
            epilog_msg_time: u.u32("epilog_msg_time")?,
            epilog_slurmctld: u.str("epilog_slurmctld")?,
            ext_sensors_conf: unpack_key_pairs(u, "ext_sensors_conf")?,
            ext_sensors_type: u.str("ext_sensors_type")?,
            ext_sensors_freq: u.u16("ext_sensors_freq")?,
            fed_params: u.str("fed_params")?,
            first_job_id: u.u32("first_job_id")?,
            fs_dampening_factor: u.u16("fs_dampening_factor")?,
            get_env_timeout: u.u16("get_env_timeout")?,
            gres_plugins: u.str("gres_plugins")?,
            group_time: u.u16("group_time")?,
            group_force: u.u16("group_force")?,
            gpu_freq_def: u.str("gpu_freq_def")?,
            hash_val: u.u32("hash_val")?,
            health_check_interval: u.u16("health_check_interval")?,
            health_check_node_state: u.u16("health_check_node_state")?,
            health_check_program: u.str("health_check_program")?,
            inactive_limit: u.u16("inactive_limit")?,
            interactive_step_opts: u.str("interactive_step_opts")?,
            job_acct_gather_freq: u.str("job_acct_gather_freq")?,
            job_acct_gather_type: u.str("job_acct_gather_type")?,
            job_acct_gather_params: u.str("job_acct_gather_params")?,
            job_comp_host: u.str("job_comp_host")?,
            job_comp_loc: u.str("job_comp_loc")?,
            job_comp_params: u.str("job_comp_params")?,
            job_comp_port: u.u32("job_comp_port")?,
            job_comp_type: u.str("job_comp_type")?,
            job_comp_user: u.str("job_comp_user")?,
            job_container_plugin: u.str("job_container_plugin")?,
            job_credential_private_key: u.str("job_credential_private_key")?,
            job_credential_public_certificate: u.str("job_credential_public_certificate")?,
            job_defaults: unpack_job_defaults(u, "job_defaults")?,
            job_file_append: u.u16("job_file_append")?,
            job_requeue: u.u16("job_requeue")?,
            job_submit_plugins: u.str("job_submit_plugins")?,
            kill_on_bad_exit: u.u16("kill_on_bad_exit")?,
            kill_wait: u.u16("kill_wait")?,
            launch_params: u.str("launch_params")?,
            launch_type: u.str("launch_type")?,
            licenses: u.str("licenses")?,
            log_fmt: u.u16("log_fmt")?,
            max_array_sz: u.u32("max_array_sz")?,
            max_dbd_msgs: u.u32("max_dbd_msgs")?,
            mail_domain: u.str("mail_domain")?,
            mail_prog: u.str("mail_prog")?,
            max_job_cnt: u.u32("max_job_cnt")?,
            max_job_id: u.u32("max_job_id")?,
            max_mem_per_cpu: u.u64("max_mem_per_cpu")?,
            max_node_cnt: u.u32("max_node_cnt")?,
            max_step_cnt: u.u32("max_step_cnt")?,
            max_tasks_per_node: u.u16("max_tasks_per_node")?,
            mcs_plugin: u.str("mcs_plugin")?,
            mcs_plugin_params: u.str("mcs_plugin_params")?,
            min_job_age: u.u32("min_job_age")?,
            mpi_conf: unpack_key_pairs(u, "mpi_conf")?,
            mpi_default: u.str("mpi_default")?,
            mpi_params: u.str("mpi_params")?,
            msg_timeout: u.u16("msg_timeout")?,
            next_job_id: u.u32("next_job_id")?,
            node_features_conf: unpack_plugin_params(u, "node_features_conf")?,
            node_features_plugins: u.str("node_features_plugins")?,
            node_prefix: u.str("node_prefix")?,
            over_time_limit: u.u16("over_time_limit")?,
            plugindir: u.str("plugindir")?,
            plugstack: u.str("plugstack")?,
            power_parameters: u.str("power_parameters")?,
            power_plugin: u.str("power_plugin")?,
            preempt_mode: u.u16("preempt_mode")?,
            preempt_type: u.str("preempt_type")?,
            preempt_exempt_time: u.u32("preempt_exempt_time")?,
            prep_params: u.str("prep_params")?,
            prep_plugins: u.str("prep_plugins")?,
            priority_decay_hl: u.u32("priority_decay_hl")?,
            priority_calc_period: u.u32("priority_calc_period")?,
            priority_favor_small: u.u16("priority_favor_small")?,
            priority_flags: u.u16("priority_flags")?,
            priority_max_age: u.u32("priority_max_age")?,
            priority_params: u.str("priority_params")?,
            priority_reset_period: u.u16("priority_reset_period")?,
            priority_type: u.str("priority_type")?,
            priority_weight_age: u.u32("priority_weight_age")?,
            priority_weight_assoc: u.u32("priority_weight_assoc")?,
            priority_weight_fs: u.u32("priority_weight_fs")?,
            priority_weight_js: u.u32("priority_weight_js")?,
            priority_weight_part: u.u32("priority_weight_part")?,
            priority_weight_qos: u.u32("priority_weight_qos")?,
            priority_weight_tres: u.str("priority_weight_tres")?,
            private_data: u.u16("private_data")?,
            proctrack_type: u.str("proctrack_type")?,
            prolog: u.str("prolog")?,
            prolog_epilog_timeout: u.u16("prolog_epilog_timeout")?,
            prolog_slurmctld: u.str("prolog_slurmctld")?,
            prolog_flags: u.u16("prolog_flags")?,
            propagate_prio_process: u.u16("propagate_prio_process")?,
            propagate_rlimits: u.str("propagate_rlimits")?,
            propagate_rlimits_except: u.str("propagate_rlimits_except")?,
            reboot_program: u.str("reboot_program")?,
            reconfig_flags: u.u16("reconfig_flags")?,
            requeue_exit: u.str("requeue_exit")?,
            requeue_exit_hold: u.str("requeue_exit_hold")?,
            resume_fail_program: u.str("resume_fail_program")?,
            resume_program: u.str("resume_program")?,
            resume_rate: u.u16("resume_rate")?,
            resume_timeout: u.u16("resume_timeout")?,
            resv_epilog: u.str("resv_epilog")?,
            resv_over_run: u.u16("resv_over_run")?,
            resv_prolog: u.str("resv_prolog")?,
            ret2service: u.u16("ret2service")?,
            route_plugin: u.str("route_plugin")?,
            sched_params: u.str("sched_params")?,
            sched_logfile: u.str("sched_logfile")?,
            sched_log_level: u.u16("sched_log_level")?,
            sched_time_slice: u.u16("sched_time_slice")?,
            schedtype: u.str("schedtype")?,
            scron_params: u.str("scron_params")?,
            select_type: u.str("select_type")?,
            select_conf_key_pairs: unpack_key_pairs(u, "select_conf_key_pairs")?,
            select_type_param: u.u16("select_type_param")?,
            slurm_conf: u.str("slurm_conf")?,
            slurm_user_id: u.u32("slurm_user_id")?,
            slurm_user_name: u.str("slurm_user_name")?,
            slurmd_user_id: u.u32("slurmd_user_id")?,
            slurmd_user_name: u.str("slurmd_user_name")?,
            slurmctld_addr: u.str("slurmctld_addr")?,
            slurmctld_debug: u.u16("slurmctld_debug")?,
            slurmctld_logfile: u.str("slurmctld_logfile")?,
            slurmctld_params: u.str("slurmctld_params")?,
            slurmctld_pidfile: u.str("slurmctld_pidfile")?,
            slurmctld_plugstack: u.str("slurmctld_plugstack")?,
            slurmctld_plugstack_conf: unpack_plugin_params(u, "slurmctld_plugstack_conf")?,
            slurmctld_port: u.u32("slurmctld_port")?,
            slurmctld_port_count: u.u16("slurmctld_port_count")?,
            slurmctld_primary_off_prog: u.str("slurmctld_primary_off_prog")?,
            slurmctld_primary_on_prog: u.str("slurmctld_primary_on_prog")?,
            slurmctld_syslog_debug: u.u16("slurmctld_syslog_debug")?,
            slurmctld_timeout: u.u16("slurmctld_timeout")?,
            slurmd_debug: u.u16("slurmd_debug")?,
            slurmd_logfile: u.str("slurmd_logfile")?,
            slurmd_params: u.str("slurmd_params")?,
            slurmd_pidfile: u.str("slurmd_pidfile")?,
            slurmd_port: u.u32("slurmd_port")?,
            slurmd_spooldir: u.str("slurmd_spooldir")?,
            slurmd_syslog_debug: u.u16("slurmd_syslog_debug")?,
            slurmd_timeout: u.u16("slurmd_timeout")?,
            srun_epilog: u.str("srun_epilog")?,
            srun_port_range_min: u.u16("srun_port_range_min")?,
            srun_port_range_max: u.u16("srun_port_range_max")?,
            srun_prolog: u.str("srun_prolog")?,
            state_save_location: u.str("state_save_location")?,
            suspend_exc_nodes: u.str("suspend_exc_nodes")?,
            suspend_exc_parts: u.str("suspend_exc_parts")?,
            suspend_program: u.str("suspend_program")?,
            suspend_rate: u.u16("suspend_rate")?,
            suspend_time: u.u32("suspend_time")?,
            suspend_timeout: u.u16("suspend_timeout")?,
            switch_param: u.str("switch_param")?,
            switch_type: u.str("switch_type")?,
            task_epilog: u.str("task_epilog")?,
            task_prolog: u.str("task_prolog")?,
            task_plugin: u.str("task_plugin")?,
            task_plugin_param: u.u32("task_plugin_param")?,
            tcp_timeout: u.u16("tcp_timeout")?,
            tmp_fs: u.str("tmp_fs")?,
            topology_param: u.str("topology_param")?,
            topology_plugin: u.str("topology_plugin")?,
            tree_width: u.u16("tree_width")?,
            unkillable_program: u.str("unkillable_program")?,
            unkillable_timeout: u.u16("unkillable_timeout")?,
            version: u.str("version")?,
            vsize_factor: u.u16("vsize_factor")?,
            wait_time: u.u16("wait_time")?,
            x11_params: u.str("x11_params")?,
        })
    }
}
