//! [`SlurmConf`] → RESPONSE_BUILD_INFO body ([`BuildInfo`]), field by field
//! as slurmctld's `_fill_ctld_conf` (src/slurmctld/proc_req.c) copies its
//! `slurm_conf`: every string is passed as set (unset = NULL), every number
//! as the value upstream derived at read time. What only a running
//! controller knows comes in [`BuildInfoDynamic`].

use super::{EnforcePartLimits, SlurmConf};
use crate::msg::build_info::{BuildInfo, JobDefault, KeyPair, PluginParams};
use crate::pack::NO_VAL;

/// The version string slurmctld reports (`SLURM_VERSION_STRING`).
pub const DEFAULT_VERSION: &str = "22.05.8";

/// What RESPONSE_BUILD_INFO carries that slurm.conf does not determine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildInfoDynamic {
    /// `last_update`: the time of the reply (`time(NULL)`).
    pub last_update: i64,
    /// `boot_time`: when the controller started.
    pub boot_time: i64,
    /// `next_job_id`: the id the next submission would get.
    pub next_job_id: u32,
    /// `version`.
    pub version: String,
    /// The controller's short host name: upstream replaces a SlurmctldHost
    /// named `localhost` by it when reading slurm.conf. `None` leaves
    /// `localhost` as written.
    pub short_hostname: Option<String>,
    /// `hash_val` to report instead of the one computed while parsing
    /// (upstream's covers the exact bytes it read).
    pub hash_val: Option<u32>,
    /// uid of SlurmUser when slurm.conf names it by a name we could not
    /// resolve (`SlurmConf::slurm_user_id` is `None`). Left unresolved it
    /// is packed as NO_VAL.
    pub slurm_user_id: Option<u32>,
    /// Same for SlurmdUser.
    pub slurmd_user_id: Option<u32>,
    /// `acct_gather_conf`: settings the acct_gather plugins read from
    /// acct_gather.conf. Upstream always sends a list (empty when the
    /// plugins are all `none`); it is sorted by key here as upstream does.
    pub acct_gather_conf: Vec<KeyPair>,
    /// `cgroup_conf`: cgroup.conf as the cgroup code prints it. Sent only
    /// when a cgroup plugin is configured (JobAcctGatherType, ProctrackType
    /// or TaskPlugin naming cgroup); otherwise NULL whatever this holds.
    pub cgroup_conf: Option<Vec<KeyPair>>,
    /// `ext_sensors_conf` from the ExtSensorsType plugin (NULL for `none`).
    pub ext_sensors_conf: Option<Vec<KeyPair>>,
    /// `mpi_conf`: the MPI plugins' printable settings. Upstream sends NULL
    /// for an empty list, and so does [`SlurmConf::to_build_info`].
    pub mpi_conf: Vec<KeyPair>,
    /// `node_features_conf`: one entry per NodeFeaturesPlugins plugin.
    /// Upstream sends a list (maybe empty) exactly when such plugins are
    /// configured, NULL otherwise.
    pub node_features_conf: Vec<PluginParams>,
    /// `select_conf_key_pairs` from the select plugin (NULL for linear,
    /// cons_res and cons_tres).
    pub select_conf_key_pairs: Option<Vec<KeyPair>>,
    /// `slurmctld_plugstack_conf`: one entry per SlurmctldPlugstack plugin;
    /// a list exactly when such plugins are configured, as above.
    pub slurmctld_plugstack_conf: Vec<PluginParams>,
}

impl Default for BuildInfoDynamic {
    fn default() -> Self {
        BuildInfoDynamic {
            last_update: 0,
            boot_time: 0,
            next_job_id: 0,
            version: DEFAULT_VERSION.to_string(),
            short_hostname: None,
            hash_val: None,
            slurm_user_id: None,
            slurmd_user_id: None,
            acct_gather_conf: Vec::new(),
            cgroup_conf: None,
            ext_sensors_conf: None,
            mpi_conf: Vec::new(),
            node_features_conf: Vec::new(),
            select_conf_key_pairs: None,
            slurmctld_plugstack_conf: Vec::new(),
        }
    }
}

fn s(v: &str) -> Option<String> {
    Some(v.to_string())
}

/// A plugin list option: upstream loads plugins only for a non-empty value.
fn plugins_configured(v: &Option<String>) -> bool {
    v.as_deref().is_some_and(|p| !p.is_empty())
}

impl SlurmConf {
    /// `max_node_cnt` as slurmctld reports it: the node table size, or
    /// MaxNodeCount when that is larger (room for dynamic nodes).
    pub fn effective_max_node_cnt(&self) -> u32 {
        let nodes = u32::try_from(self.nodes.len()).unwrap_or(u32::MAX);
        self.max_node_cnt.unwrap_or(0).max(nodes)
    }

    /// The RESPONSE_BUILD_INFO body slurmctld would send for this
    /// configuration (`_fill_ctld_conf`).
    pub fn to_build_info(&self, dynamic: &BuildInfoDynamic) -> BuildInfo {
        let c = self;
        let uses_cgroup = [&c.job_acct_gather_type, &c.proctrack_type, &c.task_plugin]
            .iter()
            .any(|p| p.contains("cgroup"));
        let mut acct_gather_conf = dynamic.acct_gather_conf.clone();
        acct_gather_conf.sort_by(|a, b| a.name.cmp(&b.name));
        let (control_machine, control_addr) = c
            .control_hosts
            .iter()
            .map(|h| {
                let name = match &dynamic.short_hostname {
                    Some(short) if h.name.eq_ignore_ascii_case("localhost") => short.clone(),
                    _ => h.name.clone(),
                };
                (name, h.addr.clone())
            })
            .unzip();
        let (srun_port_range_min, srun_port_range_max) = c.srun_port_range.unwrap_or((0, 0));

        BuildInfo {
            last_update: dynamic.last_update,
            accounting_storage_enforce: c.accounting_storage_enforce,
            accounting_storage_backup_host: c.accounting_storage_backup_host.clone(),
            accounting_storage_host: s(&c.accounting_storage_host),
            accounting_storage_ext_host: c.accounting_storage_ext_host.clone(),
            accounting_storage_params: c.accounting_storage_params.clone(),
            accounting_storage_port: c.accounting_storage_port,
            accounting_storage_tres: s(&c.accounting_storage_tres),
            accounting_storage_type: s(&c.accounting_storage_type),
            accounting_storage_user: s(&c.accounting_storage_user),
            acct_gather_conf: Some(acct_gather_conf),
            acct_gather_energy_type: s(&c.acct_gather_energy_type),
            acct_gather_filesystem_type: s(&c.acct_gather_filesystem_type),
            acct_gather_interconnect_type: s(&c.acct_gather_interconnect_type),
            acct_gather_node_freq: c.acct_gather_node_freq,
            acct_gather_profile_type: s(&c.acct_gather_profile_type),
            authalttypes: c.authalttypes.clone(),
            authalt_params: c.authalt_params.clone(),
            authinfo: c.authinfo.clone(),
            authtype: s(&c.authtype),
            batch_start_timeout: c.batch_start_timeout,
            boot_time: dynamic.boot_time,
            bb_type: c.bb_type.clone(),
            bcast_exclude: s(&c.bcast_exclude),
            bcast_parameters: c.bcast_parameters.clone(),
            cgroup_conf: if uses_cgroup {
                dynamic.cgroup_conf.clone()
            } else {
                None
            },
            cli_filter_plugins: c.cli_filter_plugins.clone(),
            cluster_name: c.cluster_name.clone(),
            comm_params: c.comm_params.clone(),
            complete_wait: c.complete_wait,
            conf_flags: c.conf_flags,
            control_addr,
            control_machine,
            core_spec_plugin: s(&c.core_spec_plugin),
            cpu_freq_def: c.cpu_freq_def.unwrap_or(NO_VAL),
            cpu_freq_govs: c.cpu_freq_govs,
            cred_type: s(&c.cred_type),
            def_mem_per_cpu: c.def_mem_per_cpu.map_or(0, |m| m.to_wire()),
            debug_flags: c.debug_flags,
            dependency_params: c.dependency_params.clone(),
            eio_timeout: c.eio_timeout,
            enforce_part_limits: EnforcePartLimits::to_wire(c.enforce_part_limits),
            epilog: c.epilog.clone(),
            epilog_msg_time: c.epilog_msg_time,
            epilog_slurmctld: c.epilog_slurmctld.clone(),
            ext_sensors_conf: dynamic.ext_sensors_conf.clone(),
            ext_sensors_type: s(&c.ext_sensors_type),
            ext_sensors_freq: c.ext_sensors_freq,
            fed_params: c.fed_params.clone(),
            first_job_id: c.first_job_id,
            fs_dampening_factor: c.fs_dampening_factor,
            get_env_timeout: c.get_env_timeout,
            gres_plugins: c.gres_plugins.clone(),
            group_time: c.group_time,
            group_force: c.group_force,
            gpu_freq_def: s(&c.gpu_freq_def),
            hash_val: dynamic.hash_val.unwrap_or(c.hash_val),
            health_check_interval: c.health_check_interval,
            health_check_node_state: c.health_check_node_state,
            health_check_program: c.health_check_program.clone(),
            inactive_limit: c.inactive_limit,
            interactive_step_opts: s(&c.interactive_step_opts),
            job_acct_gather_freq: s(&c.job_acct_gather_freq),
            job_acct_gather_type: s(&c.job_acct_gather_type),
            job_acct_gather_params: c.job_acct_gather_params.clone(),
            job_comp_host: s(&c.job_comp_host),
            job_comp_loc: s(&c.job_comp_loc),
            job_comp_params: c.job_comp_params.clone(),
            job_comp_port: c.job_comp_port,
            job_comp_type: s(&c.job_comp_type),
            job_comp_user: s(&c.job_comp_user),
            job_container_plugin: s(&c.job_container_plugin),
            job_credential_private_key: c.job_credential_private_key.clone(),
            job_credential_public_certificate: c.job_credential_public_certificate.clone(),
            // Upstream's list exists only once a default was configured.
            job_defaults: (!c.job_defaults.is_empty()).then(|| {
                c.job_defaults
                    .iter()
                    .map(|&(kind, value)| JobDefault { kind, value })
                    .collect()
            }),
            job_file_append: c.job_file_append,
            job_requeue: c.job_requeue,
            job_submit_plugins: c.job_submit_plugins.clone(),
            kill_on_bad_exit: c.kill_on_bad_exit,
            kill_wait: c.kill_wait,
            launch_params: c.launch_params.clone(),
            launch_type: s(&c.launch_type),
            licenses: c.licenses.clone(),
            log_fmt: c.log_fmt,
            max_array_sz: c.max_array_sz,
            max_dbd_msgs: c.effective_max_dbd_msgs(),
            mail_domain: c.mail_domain.clone(),
            mail_prog: s(&c.mail_prog),
            max_job_cnt: c.max_job_cnt,
            max_job_id: c.max_job_id,
            max_mem_per_cpu: c.max_mem_per_cpu.map_or(0, |m| m.to_wire()),
            max_node_cnt: c.effective_max_node_cnt(),
            max_step_cnt: c.max_step_cnt,
            max_tasks_per_node: c.max_tasks_per_node,
            mcs_plugin: s(&c.mcs_plugin),
            mcs_plugin_params: c.mcs_plugin_params.clone(),
            min_job_age: c.min_job_age,
            mpi_conf: (!dynamic.mpi_conf.is_empty()).then(|| {
                let mut l = dynamic.mpi_conf.clone();
                l.sort_by(|a, b| a.name.cmp(&b.name));
                l
            }),
            mpi_default: s(&c.mpi_default),
            mpi_params: c.mpi_params.clone(),
            msg_timeout: c.msg_timeout,
            next_job_id: dynamic.next_job_id,
            node_features_conf: plugins_configured(&c.node_features_plugins)
                .then(|| dynamic.node_features_conf.clone()),
            node_features_plugins: c.node_features_plugins.clone(),
            // Set only by builds with a multi-dimensional node naming (Cray).
            node_prefix: None,
            over_time_limit: c.over_time_limit,
            plugindir: s(&c.plugindir),
            plugstack: c.plugstack.clone(),
            power_parameters: c.power_parameters.clone(),
            power_plugin: s(&c.power_plugin),
            preempt_mode: c.preempt_mode,
            preempt_type: s(&c.preempt_type),
            preempt_exempt_time: c.preempt_exempt_time.unwrap_or(0),
            prep_params: c.prep_params.clone(),
            prep_plugins: s(&c.prep_plugins),
            priority_decay_hl: c.priority_decay_hl,
            priority_calc_period: c.priority_calc_period,
            priority_favor_small: c.priority_favor_small,
            priority_flags: c.priority_flags,
            priority_max_age: c.priority_max_age,
            priority_params: c.priority_params.clone(),
            priority_reset_period: c.priority_reset_period,
            priority_type: s(&c.priority_type),
            priority_weight_age: c.priority_weight_age,
            priority_weight_assoc: c.priority_weight_assoc,
            priority_weight_fs: c.priority_weight_fs,
            priority_weight_js: c.priority_weight_js,
            priority_weight_part: c.priority_weight_part,
            priority_weight_qos: c.priority_weight_qos,
            priority_weight_tres: c.priority_weight_tres.clone(),
            private_data: c.private_data,
            proctrack_type: s(&c.proctrack_type),
            prolog: c.prolog.clone(),
            prolog_epilog_timeout: c.prolog_epilog_timeout,
            prolog_slurmctld: c.prolog_slurmctld.clone(),
            prolog_flags: c.prolog_flags,
            propagate_prio_process: c.propagate_prio_process,
            propagate_rlimits: c.propagate_rlimits.clone(),
            propagate_rlimits_except: c.propagate_rlimits_except.clone(),
            reboot_program: c.reboot_program.clone(),
            reconfig_flags: c.reconfig_flags,
            requeue_exit: c.requeue_exit.clone(),
            requeue_exit_hold: c.requeue_exit_hold.clone(),
            resume_fail_program: c.resume_fail_program.clone(),
            resume_program: c.resume_program.clone(),
            resume_rate: c.resume_rate,
            resume_timeout: c.resume_timeout,
            resv_epilog: c.resv_epilog.clone(),
            resv_over_run: c.resv_over_run,
            resv_prolog: c.resv_prolog.clone(),
            ret2service: c.ret2service,
            route_plugin: s(&c.route_plugin),
            sched_params: c.sched_params.clone(),
            sched_logfile: c.sched_logfile.clone(),
            sched_log_level: c.sched_log_level,
            sched_time_slice: c.sched_time_slice,
            schedtype: s(&c.schedtype),
            scron_params: c.scron_params.clone(),
            select_type: s(&c.select_type),
            select_conf_key_pairs: dynamic.select_conf_key_pairs.clone(),
            select_type_param: c.select_type_param,
            slurm_conf: s(&c.slurm_conf),
            slurm_user_id: c.slurm_user_id.or(dynamic.slurm_user_id).unwrap_or(NO_VAL),
            slurm_user_name: s(&c.slurm_user_name),
            slurmd_user_id: c
                .slurmd_user_id
                .or(dynamic.slurmd_user_id)
                .unwrap_or(NO_VAL),
            slurmd_user_name: s(&c.slurmd_user_name),
            slurmctld_addr: c.slurmctld_addr.clone(),
            slurmctld_debug: c.slurmctld_debug,
            slurmctld_logfile: c.slurmctld_logfile.clone(),
            slurmctld_params: c.slurmctld_params.clone(),
            slurmctld_pidfile: s(&c.slurmctld_pidfile),
            slurmctld_plugstack: c.slurmctld_plugstack.clone(),
            slurmctld_plugstack_conf: plugins_configured(&c.slurmctld_plugstack)
                .then(|| dynamic.slurmctld_plugstack_conf.clone()),
            slurmctld_port: c.slurmctld_port,
            slurmctld_port_count: c.slurmctld_port_count,
            slurmctld_primary_off_prog: c.slurmctld_primary_off_prog.clone(),
            slurmctld_primary_on_prog: c.slurmctld_primary_on_prog.clone(),
            slurmctld_syslog_debug: c.slurmctld_syslog_debug,
            slurmctld_timeout: c.slurmctld_timeout,
            slurmd_debug: c.slurmd_debug,
            slurmd_logfile: c.slurmd_logfile.clone(),
            slurmd_params: c.slurmd_params.clone(),
            slurmd_pidfile: s(&c.slurmd_pidfile),
            slurmd_port: c.slurmd_port,
            slurmd_spooldir: s(&c.slurmd_spooldir),
            slurmd_syslog_debug: c.slurmd_syslog_debug,
            slurmd_timeout: c.slurmd_timeout,
            srun_epilog: c.srun_epilog.clone(),
            srun_port_range_min,
            srun_port_range_max,
            srun_prolog: c.srun_prolog.clone(),
            state_save_location: s(&c.state_save_location),
            suspend_exc_nodes: c.suspend_exc_nodes.clone(),
            suspend_exc_parts: c.suspend_exc_parts.clone(),
            suspend_program: c.suspend_program.clone(),
            suspend_rate: c.suspend_rate,
            suspend_time: c.suspend_time.to_wire(),
            suspend_timeout: c.suspend_timeout,
            switch_param: c.switch_param.clone(),
            switch_type: s(&c.switch_type),
            task_epilog: c.task_epilog.clone(),
            task_prolog: c.task_prolog.clone(),
            task_plugin: s(&c.task_plugin),
            task_plugin_param: c.task_plugin_param,
            tcp_timeout: c.tcp_timeout,
            tmp_fs: s(&c.tmp_fs),
            topology_param: c.topology_param.clone(),
            topology_plugin: s(&c.topology_plugin),
            tree_width: c.tree_width,
            unkillable_program: c.unkillable_program.clone(),
            unkillable_timeout: c.unkillable_timeout,
            version: s(&dynamic.version),
            vsize_factor: c.vsize_factor,
            wait_time: c.wait_time,
            x11_params: c.x11_params.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::flags;
    use super::*;

    fn conf(text: &str) -> SlurmConf {
        match SlurmConf::from_str(text, "/etc/slurm/slurm.conf") {
            Ok(c) => c,
            Err(e) => panic!("{e}"),
        }
    }

    const BASE: &str = "SlurmctldHost=localhost\nNodeName=n[1-3] CPUs=1\n";

    #[test]
    fn plugin_lists_follow_configuration() {
        let kp = |n: &str, v: &str| KeyPair {
            name: s(n),
            value: s(v),
        };
        let dynamic = BuildInfoDynamic {
            acct_gather_conf: vec![kp("ProfileHDF5Dir", "/x"), kp("EnergyIPMIFrequency", "30")],
            cgroup_conf: Some(vec![kp("CgroupAutomount", "yes")]),
            mpi_conf: Vec::new(),
            ..BuildInfoDynamic::default()
        };
        let b = conf(BASE).to_build_info(&dynamic);
        let names: Vec<_> = b
            .acct_gather_conf
            .iter()
            .flatten()
            .filter_map(|k| k.name.as_deref())
            .collect();
        assert_eq!(names, ["EnergyIPMIFrequency", "ProfileHDF5Dir"]);
        // proctrack/cgroup is the default ProctrackType.
        assert_eq!(b.cgroup_conf, dynamic.cgroup_conf);
        assert_eq!(b.mpi_conf, None);
        assert_eq!(b.node_features_conf, None);
        assert_eq!(b.slurmctld_plugstack_conf, None);
        assert_eq!(b.job_defaults, None);

        let text = format!(
            "{BASE}ProctrackType=proctrack/linuxproc\nNodeFeaturesPlugins=node_features/helpers\nDefMemPerGPU=100\n"
        );
        let b = conf(&text).to_build_info(&dynamic);
        assert_eq!(b.cgroup_conf, None);
        assert_eq!(b.node_features_conf, Some(Vec::new()));
        assert_eq!(
            b.job_defaults,
            Some(vec![JobDefault {
                kind: 2,
                value: 100
            }])
        );
    }

    #[test]
    fn dynamic_values_and_derived_numbers() {
        let dynamic = BuildInfoDynamic {
            short_hostname: Some("head".into()),
            next_job_id: 7,
            hash_val: Some(5),
            ..BuildInfoDynamic::default()
        };
        let text = format!(
            "{BASE}SlurmUser=slurm\nMaxNodeCount=10\nDebugFlags=Backfill\nDefMemPerCPU=100\n"
        );
        let b = conf(&text).to_build_info(&dynamic);
        assert_eq!(b.control_machine, ["head"]);
        assert_eq!(b.control_addr, ["localhost"]);
        assert_eq!((b.next_job_id, b.hash_val), (7, 5));
        assert_eq!(b.version.as_deref(), Some("22.05.8"));
        assert_eq!(b.slurm_user_id, NO_VAL);
        assert_eq!(b.max_node_cnt, 10);
        assert_eq!(b.debug_flags, flags::debug::BACKFILL);
        assert_eq!(b.def_mem_per_cpu, 100 | (1 << 63));
        assert_eq!(b.cpu_freq_def, NO_VAL);
        assert_eq!(b.srun_port_range_min, 0);
        let with_uid = BuildInfoDynamic {
            slurm_user_id: Some(64030),
            ..dynamic
        };
        assert_eq!(conf(&text).to_build_info(&with_uid).slurm_user_id, 64030);
        // Without MaxNodeCount, the node table size.
        assert_eq!(conf(BASE).to_build_info(&with_uid).max_node_cnt, 3);
    }
}
