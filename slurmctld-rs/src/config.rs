//! slurm.conf → the core's [`ClusterSpec`].

use wire::conf::{EnforcePartLimits as ConfEnforce, SlurmConf};
use wire::msg::common::select_plugin;
use wire::pack::{NO_VAL, NO_VAL16};

use crate::core::spec::{
    ClusterSpec, EnforcePartLimits, Limits, NodeSpec, PartitionSpec, PriorityPolicy,
};

/// Compares node names as upstream's `strnatcmp` orders its node table:
/// digit runs by value, everything else byte by byte.
pub fn natural_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        if a[i].is_ascii_digit() && b[j].is_ascii_digit() {
            let si = i;
            while i < a.len() && a[i].is_ascii_digit() {
                i += 1;
            }
            let sj = j;
            while j < b.len() && b[j].is_ascii_digit() {
                j += 1;
            }
            let x = std::str::from_utf8(&a[si..i])
                .unwrap_or("0")
                .trim_start_matches('0');
            let y = std::str::from_utf8(&b[sj..j])
                .unwrap_or("0")
                .trim_start_matches('0');
            let ord = x.len().cmp(&y.len()).then_with(|| x.cmp(y));
            if ord != Ordering::Equal {
                return ord;
            }
        } else {
            if a[i] != b[j] {
                return a[i].cmp(&b[j]);
            }
            i += 1;
            j += 1;
        }
    }
    (a.len() - i).cmp(&(b.len() - j))
}

/// Builds the cluster description the core works on. Nodes are put in
/// upstream's table order (sorted by name, `_sort_node_record_table_ptr`),
/// which every node bitmap indexes.
pub fn cluster_spec(conf: &SlurmConf) -> ClusterSpec {
    let slurmd_port = u16::try_from(conf.slurmd_port).unwrap_or(6818);
    let mut order: Vec<usize> = (0..conf.nodes.len()).collect();
    order.sort_by(|&x, &y| natural_cmp(&conf.nodes[x].name, &conf.nodes[y].name));
    let mut new_index = vec![0usize; conf.nodes.len()];
    for (new, &old) in order.iter().enumerate() {
        new_index[old] = new;
    }
    let nodes = order
        .iter()
        .map(|&i| &conf.nodes[i])
        .map(|n| NodeSpec {
            name: n.name.clone(),
            hostname: n.hostname.clone(),
            addr: n.addr.clone(),
            port: n.port.unwrap_or(slurmd_port),
            cpus: n.cpus,
            boards: n.boards,
            sockets: n.sockets,
            cores_per_socket: n.cores_per_socket,
            threads_per_core: n.threads_per_core,
            real_memory: n.real_memory,
            tmp_disk: n.tmp_disk,
            weight: n.weight,
            gres: n.gres.clone(),
            features: n.features.clone(),
        })
        .collect();
    let partitions = conf
        .partitions
        .iter()
        .map(|p| {
            let mut members: Vec<usize> = p.node_indices.iter().map(|&i| new_index[i]).collect();
            members.sort_unstable();
            let mut spec = PartitionSpec::simple(&p.name, members);
            spec.nodes_expr = p.nodes_expr.clone();
            spec.default = p.default;
            spec.hidden = p.hidden;
            spec.root_only = p.root_only;
            spec.flags = p.flags();
            spec.max_time = match p.max_time.to_wire() {
                wire::pack::INFINITE => None,
                t => Some(t),
            };
            spec.default_time = p.default_time.map(|t| t.to_wire()).filter(|&t| t != NO_VAL);
            spec.max_nodes = p.max_nodes;
            spec.min_nodes = p.min_nodes;
            spec.max_cpus_per_node = p.max_cpus_per_node;
            spec.def_mem_per_cpu = p.def_mem.map(|m| m.to_wire()).unwrap_or(0);
            spec.max_mem_per_cpu = p.max_mem.map(|m| m.to_wire()).unwrap_or(0);
            spec.grace_time = p.grace_time;
            spec.state_up = p.state.to_wire();
            spec.max_share = p.over_subscribe.to_wire();
            spec.over_time_limit = p.over_time_limit.unwrap_or(NO_VAL16);
            spec.priority_job_factor = p.priority_job_factor;
            spec.priority_tier = p.priority_tier;
            spec.cr_type = p.cr_type.unwrap_or(0);
            spec.allow_groups = p.allow_groups.clone();
            spec.allow_accounts = p.allow_accounts.clone();
            spec.allow_qos = p.allow_qos.clone();
            spec.allow_alloc_nodes = p.allow_alloc_nodes.clone();
            spec.deny_accounts = p.deny_accounts.clone();
            spec.deny_qos = p.deny_qos.clone();
            spec.alternate = p.alternate.clone();
            spec.qos = p.qos.clone();
            spec.billing_weights = p.billing_weights.clone();
            spec.resume_timeout = p.resume_timeout.unwrap_or(NO_VAL16);
            spec.suspend_timeout = p.suspend_timeout.unwrap_or(NO_VAL16);
            spec.suspend_time = p.suspend_time.map(|t| t.to_wire()).unwrap_or(NO_VAL);
            spec.job_defaults = p.job_defaults.clone();
            spec
        })
        .collect();
    let select_plugin_id = match conf.select_type.as_str() {
        "select/cons_res" => select_plugin::CONS_RES,
        "select/linear" => select_plugin::LINEAR,
        _ => select_plugin::CONS_TRES,
    };
    let limits = Limits {
        cluster_name: conf.cluster_name.clone().unwrap_or_default(),
        first_job_id: conf.first_job_id,
        max_job_id: conf.max_job_id,
        max_job_count: conf.max_job_cnt,
        max_array_size: conf.max_array_sz,
        max_step_count: conf.max_step_cnt,
        min_job_age: conf.min_job_age,
        enforce_part_limits: match conf.enforce_part_limits {
            ConfEnforce::No => EnforcePartLimits::No,
            ConfEnforce::All => EnforcePartLimits::All,
            ConfEnforce::Any => EnforcePartLimits::Any,
        },
        private_data: conf.private_data,
        slurm_user_id: conf.slurm_user_id.unwrap_or(0),
        slurmd_user_id: conf.slurmd_user_id.unwrap_or(0),
        def_mem_per_cpu: conf.def_mem_per_cpu.map(|m| m.to_wire()).unwrap_or(0),
        max_mem_per_cpu: conf.max_mem_per_cpu.map(|m| m.to_wire()).unwrap_or(0),
        select_plugin_id,
        select_type_param: conf.select_type_param,
        licenses: parse_licenses(conf.licenses.as_deref()),
        config_overrides: conf.conf_flags & wire::conf::conf_flags::CONFIG_OVERRIDES != 0,
        ret2service: conf.ret2service,
        slurmd_timeout: u32::from(conf.slurmd_timeout),
        job_requeue: conf.job_requeue != 0,
        over_time_limit: conf.over_time_limit,
        kill_wait: conf.kill_wait,
        prolog_slurmctld: conf.prolog_slurmctld.clone(),
        mail_prog: conf.mail_prog.clone(),
        acct_freq_task: crate::core::submit::task_freq(&conf.job_acct_gather_freq).unwrap_or(0),
        epilog_slurmctld: conf.epilog_slurmctld.clone(),
        prolog_epilog_timeout: conf.prolog_epilog_timeout,
        priority: match conf.priority_type.as_str() {
            "priority/multifactor" => PriorityPolicy::Multifactor {
                weight_partition: conf.priority_weight_part,
            },
            _ => PriorityPolicy::Basic,
        },
        gres_types: conf
            .gres_plugins
            .as_deref()
            .map(|g| {
                g.split(',')
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default(),
    };
    ClusterSpec {
        nodes,
        partitions,
        limits,
    }
}

/// `Licenses=fluent:4,matlab*2,x` → (name, count); count defaults to 1.
pub fn parse_licenses(s: Option<&str>) -> Vec<(String, u32)> {
    s.unwrap_or_default()
        .split(',')
        .filter(|x| !x.is_empty())
        .map(|item| match item.split_once([':', '*']) {
            Some((n, c)) => (n.to_string(), c.parse().unwrap_or(1)),
            None => (item.to_string(), 1),
        })
        .collect()
}
