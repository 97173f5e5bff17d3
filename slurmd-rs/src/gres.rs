//! The node's GRES: what registration reports (`_load_gres` in
//! `slurmd.c`, `gres_node_config_pack`), and the GPU environment of batch
//! jobs (`gres_g_job_set_env` → gpu `gres_p_job_set_env` →
//! `gres_common_gpu_set_env` / `common_gres_set_env`) and of the Epilog
//! (`gres_g_epilog_set_env` → `gres_common_epilog_set_env`).
//!
//! Only the gpu plugin sets environment variables here; mps, shard and
//! nic GRES are reported at registration but set none.

use std::os::unix::fs::FileTypeExt;
use std::path::Path;

use wire::conf::gres::{conf_flags, GresConfError, GresDevice, GresNodeConf, NodeInput};
use wire::conf::{NodeConf, SlurmConf};
use wire::msg::gres::{GresJobAlloc, GresJobState, GresNodeConfig};
use wire::msg::JobCredential;
use wire::pack::Bitmap;
use wire::version::ProtocolVersion;

/// The GPU variables a node's records ask for, in the order upstream sets
/// them (`gres_common_gpu_set_env`).
const GPU_VARS: [(u32, &str); 4] = [
    (conf_flags::ENV_NVML, "CUDA_VISIBLE_DEVICES"),
    (conf_flags::ENV_RSMI, "ROCR_VISIBLE_DEVICES"),
    (conf_flags::ENV_ONEAPI, "ZE_AFFINITY_MASK"),
    (conf_flags::ENV_OPENCL, "GPU_DEVICE_ORDINAL"),
];

/// What the gpu plugin keeps for the node (`gres_devices`, `node_flags`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GpuPlugin {
    /// `plugin_id` of "gpu".
    pub plugin_id: u32,
    /// The GPU device files with their bitmap indices.
    pub devices: Vec<GresDevice>,
    /// `node_flags`: the env bits any record of the node asks for.
    pub env_flags: u32,
    /// TaskPlugin=task/cgroup with ConstrainDevices: the job's GPUs are
    /// numbered from 0 in the vendor variables (`gres_use_local_device_index`).
    pub local_index: bool,
}

/// The node's GRES as slurmd loaded them at start.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NodeGres {
    /// gres.conf merged with slurm.conf.
    pub conf: GresNodeConf,
    /// Present when GresTypes has gpu.
    pub gpu: Option<GpuPlugin>,
}

/// What went wrong loading the node's GRES (upstream: fatal).
#[derive(Debug, thiserror::Error)]
pub enum GresLoadError {
    /// gres.conf or the GRES part of slurm.conf.
    #[error(transparent)]
    Conf(#[from] GresConfError),
    /// cgroup.conf exists but cannot be read.
    #[error("{path}: {source}")]
    CgroupConf {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
}

/// `_my_stat`: a File= that does not exist yet is waited for, 20 s at
/// most (device nodes may still be appearing at boot); then, or on any
/// other error, slurmd stops.
fn wait_for_file(path: &str) -> Result<(), String> {
    let mut waited = false;
    for i in 0..20 {
        if i > 0 {
            std::thread::sleep(std::time::Duration::from_secs(1));
        }
        match std::fs::metadata(path) {
            Ok(_) => {
                if waited {
                    tracing::info!("gres.conf file {path} now exists");
                }
                return Ok(());
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                if !waited {
                    tracing::error!("Waiting for gres.conf file {path}");
                    waited = true;
                }
            }
            Err(e) => return Err(e.to_string()),
        }
    }
    Err("No such file or directory".into())
}

/// Upstream's check of a device file (`_set_gres_device_desc`).
fn check_device(path: &str) -> Result<(), String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("stat({path}): {e}"))?;
    let ft = meta.file_type();
    if ft.is_char_device() || ft.is_block_device() {
        Ok(())
    } else {
        Err(format!(
            "{path} is not a valid character or block device, fix your gres.conf"
        ))
    }
}

impl NodeGres {
    /// Loads `gres.conf` from slurm.conf's directory for `node` (what
    /// `_load_gres` does at start). `host_cpus` is the host's CPU count:
    /// upstream reports MAX(configured, present) as the records' `cpu_cnt`.
    /// Returns what upstream only logs as well.
    pub fn load(
        conf: &SlurmConf,
        conf_path: &Path,
        node: &NodeConf,
        host_cpus: u16,
    ) -> Result<(Self, Vec<String>), GresLoadError> {
        let dir = conf_path.parent().unwrap_or(Path::new("."));
        let input = NodeInput {
            node_name: &node.name,
            gres_types: conf.gres_plugins.as_deref(),
            node_gres: node.gres.as_deref(),
            cpu_cnt: u32::from(node.cpus.max(host_cpus)),
            core_cnt: u32::from(node.sockets) * u32::from(node.cores_per_socket),
            cluster_name: conf.cluster_name.as_deref(),
            file_check: Some(&wait_for_file),
        };
        let gres_conf = GresNodeConf::from_file(dir.join("gres.conf"), input)?;
        let mut log = gres_conf.warnings.clone();
        let local_index = if conf.task_plugin.contains("cgroup") {
            let path = dir.join("cgroup.conf");
            match std::fs::read_to_string(&path) {
                Ok(text) => wire::conf::gres::cgroup_constrain_devices(&text),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => false,
                Err(source) => {
                    return Err(GresLoadError::CgroupConf {
                        path: path.display().to_string(),
                        source,
                    })
                }
            }
        } else {
            false
        };
        let gpu = match gres_conf.context("gpu") {
            Some(ctx) => {
                let devs = gres_conf.devices("gpu", check_device)?;
                for (path, why) in &devs.skipped {
                    log.push(format!("gpu device {path} left out: {why}"));
                }
                Some(GpuPlugin {
                    plugin_id: ctx.plugin_id,
                    devices: devs.devices,
                    env_flags: gres_conf.env_flags(),
                    local_index,
                })
            }
            None => None,
        };
        Ok((
            NodeGres {
                conf: gres_conf,
                gpu,
            },
            log,
        ))
    }

    /// The registration's `gres_info`: always at least the header.
    pub fn registration(&self) -> GresNodeConfig {
        self.conf.to_wire(ProtocolVersion::V22_05.0)
    }

    /// Sets (and unsets) the batch job's GPU variables, as slurmstepd does
    /// before the topology variables (`gres_g_job_set_env`, node index 0 of
    /// the node's own share of the job).
    pub fn job_env(&self, env: &mut Vec<String>, alloc: &[JobGres]) {
        let Some(gpu) = &self.gpu else { return };
        let mut bits: Option<Bitmap> = None;
        for a in alloc.iter().filter(|a| a.plugin_id == gpu.plugin_id) {
            if let Some(b) = &a.bit_alloc {
                let acc = bits.get_or_insert_with(|| Bitmap::new(b.len()));
                b.ones().for_each(|i| acc.set(i));
            }
        }
        gpu.set_job_env(env, bits.as_ref());
    }

    /// The Epilog's GRES variables for REQUEST_TERMINATE_JOB's
    /// `job_gres_info` (`gres_g_epilog_set_env`); `node_index` is this node's
    /// place in the job's node list.
    pub fn epilog_env(
        &self,
        info: &[GresJobAlloc],
        node_index: Option<usize>,
    ) -> Vec<(String, String)> {
        let mut env: Vec<(String, String)> = Vec::new();
        let (Some(gpu), Some(inx)) = (&self.gpu, node_index) else {
            return env;
        };
        for rec in info.iter().filter(|r| r.plugin_id == gpu.plugin_id) {
            gpu.epilog_env(&mut env, rec, inx);
        }
        env
    }
}

impl GpuPlugin {
    /// `gres_common_gpu_set_env` for a job (not a task).
    fn set_job_env(&self, env: &mut Vec<String>, bits: Option<&Bitmap>) {
        use crate::step::env::{overwrite, unset};
        let mut global: Vec<String> = Vec::new();
        let mut local: Vec<String> = Vec::new();
        if let (false, Some(bits)) = (self.devices.is_empty(), bits) {
            let mut local_inx = 0u32;
            let mut last_index: Option<u32> = None;
            for d in self.devices.iter().filter(|d| bits.get(d.index)) {
                // A MultipleFiles GPU is several files with one index.
                if last_index == Some(d.index) {
                    continue;
                }
                last_index = Some(d.index);
                let shown = if self.local_index {
                    local_inx += 1;
                    local_inx - 1
                } else {
                    d.index
                };
                local.push(shown.to_string());
                global.push(d.index.to_string());
            }
        }
        match bits.map_or(0, Bitmap::count_ones) {
            0 => unset(env, "SLURM_GPUS_ON_NODE"),
            n => overwrite(env, "SLURM_GPUS_ON_NODE", &n.to_string()),
        }
        if global.is_empty() {
            unset(env, "SLURM_JOB_GPUS");
        } else {
            overwrite(env, "SLURM_JOB_GPUS", &global.join(","));
        }
        for (flag, var) in GPU_VARS {
            if self.env_flags & flag == 0 {
                continue;
            }
            if local.is_empty() {
                unset(env, var);
            } else {
                overwrite(env, var, &local.join(","));
            }
        }
    }

    /// `gres_common_epilog_set_env` for one record.
    fn epilog_env(&self, env: &mut Vec<(String, String)>, rec: &GresJobAlloc, inx: usize) {
        if self.devices.is_empty() || rec.node_cnt == 0 || inx >= rec.node_cnt as usize {
            return;
        }
        let Some(Some(bits)) = rec.gres_bit_alloc.as_ref().and_then(|v| v.get(inx)) else {
            return;
        };
        let list: Vec<String> = bits
            .ones()
            .filter(|&i| self.devices.iter().any(|d| d.index == i))
            .map(|i| i.to_string())
            .collect();
        if list.is_empty() {
            return;
        }
        let mut set = |k: &str, v: String| match env.iter_mut().find(|(n, _)| n == k) {
            Some(e) => e.1 = v,
            None => env.push((k.to_string(), v)),
        };
        let joined = list.join(",");
        for (flag, var) in GPU_VARS {
            if self.env_flags & flag != 0 {
                set(var, joined.clone());
            }
        }
        set("SLURM_JOB_GPUS", joined);
    }
}

/// One job GRES record's share of this node (`gres_job_state_extract` for
/// one node index).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct JobGres {
    /// `plugin_id`.
    pub plugin_id: u32,
    /// The devices given to the job here.
    pub bit_alloc: Option<Bitmap>,
    /// How many it got here.
    pub count: Option<u64>,
}

impl JobGres {
    /// This node's share of every job GRES record of a credential
    /// (`get_cred_gres`): the node's position in the job's host list picks
    /// the per-node entries. Empty when the node is not in the list.
    pub fn for_node(cred: &JobCredential, node_name: &str) -> Vec<JobGres> {
        let Some(inx) = host_index(cred.job_hostlist.as_deref(), node_name) else {
            return Vec::new();
        };
        if inx >= cred.job_nhosts as usize {
            return Vec::new();
        }
        cred.job_gres_list
            .iter()
            .map(|g| Self::extract(g, inx))
            .collect()
    }

    /// This node's share of a step's GRES (`gres_step_state_extract`): the
    /// step credential's records are indexed by the job's nodes too.
    pub fn for_step(cred: &JobCredential, node_name: &str) -> Vec<JobGres> {
        let Some(inx) = host_index(cred.job_hostlist.as_deref(), node_name) else {
            return Vec::new();
        };
        cred.step_gres_list
            .iter()
            .map(|g| JobGres {
                plugin_id: g.plugin_id,
                bit_alloc: g
                    .gres_bit_alloc
                    .as_ref()
                    .and_then(|v| v.get(inx).cloned().flatten()),
                count: g
                    .gres_cnt_node_alloc
                    .as_ref()
                    .and_then(|v| v.get(inx).copied()),
            })
            .collect()
    }

    fn extract(g: &GresJobState, inx: usize) -> JobGres {
        JobGres {
            plugin_id: g.plugin_id,
            bit_alloc: g
                .gres_bit_alloc
                .as_ref()
                .and_then(|v| v.get(inx).cloned().flatten()),
            count: g
                .gres_cnt_node_alloc
                .as_ref()
                .and_then(|v| v.get(inx).copied()),
        }
    }
}

/// A node's position in a hostlist expression (`hostlist_find` /
/// `nodelist_find`).
pub fn host_index(hostlist: Option<&str>, node_name: &str) -> Option<usize> {
    wire::hostlist::expand(hostlist?)
        .ok()?
        .iter()
        .position(|h| h == node_name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::step::env::get;

    fn bitmap(len: u32, ones: &[u32]) -> Bitmap {
        let mut b = Bitmap::new(len);
        ones.iter().for_each(|&i| b.set(i));
        b
    }

    fn node(devices: &[(u32, &str)], env_flags: u32, local_index: bool) -> NodeGres {
        NodeGres {
            conf: GresNodeConf::default(),
            gpu: Some(GpuPlugin {
                plugin_id: wire::msg::gres::plugin_id("gpu"),
                devices: devices
                    .iter()
                    .map(|&(index, p)| GresDevice {
                        index,
                        dev_num: index as i32,
                        path: p.into(),
                    })
                    .collect(),
                env_flags,
                local_index,
            }),
        }
    }

    fn gpus(ones: &[u32]) -> Vec<JobGres> {
        vec![JobGres {
            plugin_id: wire::msg::gres::plugin_id("gpu"),
            bit_alloc: Some(bitmap(4, ones)),
            count: Some(ones.len() as u64),
        }]
    }

    #[test]
    fn default_flags_set_every_vendor_variable() {
        let n = node(&[(0, "/d/g0"), (1, "/d/g1")], conf_flags::ENV_SET, false);
        let mut env = vec!["PATH=/bin".to_string()];
        n.job_env(&mut env, &gpus(&[0, 1]));
        assert_eq!(
            env,
            [
                "PATH=/bin",
                "SLURM_GPUS_ON_NODE=2",
                "SLURM_JOB_GPUS=0,1",
                "CUDA_VISIBLE_DEVICES=0,1",
                "ROCR_VISIBLE_DEVICES=0,1",
                "ZE_AFFINITY_MASK=0,1",
                "GPU_DEVICE_ORDINAL=0,1",
            ]
        );
    }

    #[test]
    fn global_and_local_indices() {
        let devs = [(0, "/d/g0"), (1, "/d/g1"), (2, "/d/g2"), (3, "/d/g3")];
        let mut env = Vec::new();
        node(&devs, conf_flags::ENV_NVML, false).job_env(&mut env, &gpus(&[1, 3]));
        assert_eq!(get(&env, "CUDA_VISIBLE_DEVICES"), Some("1,3"));
        assert_eq!(get(&env, "SLURM_JOB_GPUS"), Some("1,3"));
        assert_eq!(get(&env, "ROCR_VISIBLE_DEVICES"), None);
        let mut env = Vec::new();
        node(&devs, conf_flags::ENV_NVML, true).job_env(&mut env, &gpus(&[1, 3]));
        assert_eq!(get(&env, "CUDA_VISIBLE_DEVICES"), Some("0,1"));
        assert_eq!(get(&env, "SLURM_JOB_GPUS"), Some("1,3"));
    }

    #[test]
    fn no_gpus_unsets_what_the_submitter_had() {
        let n = node(
            &[(0, "/d/g0")],
            conf_flags::ENV_NVML | conf_flags::ENV_RSMI,
            false,
        );
        let mut env: Vec<String> = [
            "CUDA_VISIBLE_DEVICES=3",
            "ZE_AFFINITY_MASK=1",
            "SLURM_JOB_GPUS=9",
            "SLURM_GPUS_ON_NODE=1",
        ]
        .map(String::from)
        .into();
        n.job_env(&mut env, &[]);
        // Only the variables the node's flags cover are taken away.
        assert_eq!(env, ["ZE_AFFINITY_MASK=1"]);
        // Without a gpu plugin nothing is touched.
        let mut env = vec!["CUDA_VISIBLE_DEVICES=3".to_string()];
        NodeGres::default().job_env(&mut env, &gpus(&[0]));
        assert_eq!(env, ["CUDA_VISIBLE_DEVICES=3"]);
    }

    #[test]
    fn multiple_files_gpu_is_one_device() {
        let n = node(
            &[(0, "/d/a0"), (0, "/d/a1"), (1, "/d/b0"), (1, "/d/b1")],
            conf_flags::ENV_NVML,
            false,
        );
        let mut env = Vec::new();
        n.job_env(&mut env, &gpus(&[0, 1]));
        assert_eq!(get(&env, "CUDA_VISIBLE_DEVICES"), Some("0,1"));
    }

    #[test]
    fn credential_share_of_this_node() {
        let cred = JobCredential {
            job_hostlist: Some("n[1-2]".into()),
            job_nhosts: 2,
            job_gres_list: vec![GresJobState {
                plugin_id: 7,
                node_cnt: 2,
                gres_cnt_node_alloc: Some(vec![1, 2]),
                gres_bit_alloc: Some(vec![Some(bitmap(2, &[1])), Some(bitmap(2, &[0, 1]))]),
                ..Default::default()
            }],
            ..Default::default()
        };
        let n2 = JobGres::for_node(&cred, "n2");
        assert_eq!(
            n2,
            [JobGres {
                plugin_id: 7,
                bit_alloc: Some(bitmap(2, &[0, 1])),
                count: Some(2)
            }]
        );
        assert!(JobGres::for_node(&cred, "n3").is_empty());
    }

    #[test]
    fn epilog_variables() {
        let n = node(
            &[(0, "/d/g0"), (1, "/d/g1")],
            conf_flags::ENV_NVML | conf_flags::ENV_OPENCL,
            false,
        );
        let info = [GresJobAlloc {
            plugin_id: wire::msg::gres::plugin_id("gpu"),
            node_cnt: 2,
            gres_cnt_node_alloc: None,
            gres_bit_alloc: Some(vec![Some(bitmap(2, &[1])), None]),
        }];
        let env = n.epilog_env(&info, Some(0));
        let want: Vec<(String, String)> = [
            ("CUDA_VISIBLE_DEVICES", "1"),
            ("GPU_DEVICE_ORDINAL", "1"),
            ("SLURM_JOB_GPUS", "1"),
        ]
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .into();
        assert_eq!(env, want);
        assert!(n.epilog_env(&info, Some(1)).is_empty());
        assert!(n.epilog_env(&info, None).is_empty());
        assert!(n.epilog_env(&info, Some(2)).is_empty());
    }
}
