//! Messages the controller sends to node daemons about a job, built from
//! the job record as upstream builds them (`_build_launch_job_msg`,
//! `make_batch_job_cred`, `_build_kill_job_msg` / `abort_job_on_node`).

use wire::msg::common::{step, SelectJobInfo, StepId};
use wire::msg::complete::KillJob;
use wire::msg::cred::{JobCredential, SignedCredential};
use wire::msg::launch::BatchJobLaunch;
use wire::pack::{NO_VAL, NO_VAL16, NO_VAL8};
use wire::version::ProtocolVersion;

use super::alloc::Allocation;
use super::gres;
use super::job::Job;
use super::spec::NodeSpec;
use super::Controller;

/// `/etc/passwd` data the credential carries, so slurmd needs no NSS lookup.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Passwd {
    /// Login name.
    pub name: String,
    /// GECOS field.
    pub gecos: String,
    /// Home directory.
    pub dir: String,
    /// Login shell.
    pub shell: String,
    /// Supplementary groups: (gid, name).
    pub groups: Vec<(u32, String)>,
}

/// Run-length encodes per-node values as upstream's `cpu_array`/`reps` pairs.
pub fn run_length<T: Copy + PartialEq>(values: &[T]) -> (Vec<T>, Vec<u32>) {
    let mut vals: Vec<T> = Vec::new();
    let mut reps: Vec<u32> = Vec::new();
    for &v in values {
        match vals.last() {
            Some(&last) if last == v => {
                if let Some(r) = reps.last_mut() {
                    *r += 1;
                }
            }
            _ => {
                vals.push(v);
                reps.push(1);
            }
        }
    }
    (vals, reps)
}

impl Controller {
    pub(crate) fn job_hostlist(&self, nodes: &[usize]) -> String {
        let names: Vec<String> = nodes
            .iter()
            .map(|&i| self.spec.nodes[i].name.clone())
            .collect();
        wire::hostlist::compress(&names)
    }

    /// The node configurations of an allocation, in its node order.
    fn alloc_specs(&self, alloc: &Allocation) -> Vec<&NodeSpec> {
        alloc.nodes.iter().map(|&i| &self.spec.nodes[i]).collect()
    }

    /// `setup_cred_arg` + `slurm_cred_create`: the job part of a credential
    /// (user, GRES, cores, CPUs). The caller sets the step part.
    pub(crate) fn job_credential(
        &self,
        job: &Job,
        alloc: &Allocation,
        pw: Option<&Passwd>,
        now: i64,
    ) -> JobCredential {
        let d = &job.desc.to_descriptor();
        let (cpu_array, cpu_array_reps) = run_length(&alloc.cpus);
        // The job's cores as one bitmap over its nodes (node order, each
        // node's cores socket-major), plus the per-node layout that lets
        // slurmstepd find its own slice: what `job_resources` carries.
        let (core_bitmap, tot_core_cnt) = self.job_core_bitmap(alloc);
        let layout: Vec<(u16, u16)> = alloc
            .nodes
            .iter()
            .map(|&i| {
                (
                    self.spec.nodes[i].cores_per_socket,
                    self.spec.nodes[i].sockets,
                )
            })
            .collect();
        let (layout_vals, layout_reps) = run_length(&layout);
        let pw = pw.cloned().unwrap_or_default();
        let job_gres_list = gres::alloc_records(&self.alloc_specs(alloc), &alloc.gres)
            .into_iter()
            .map(|r| r.state)
            .collect();
        JobCredential {
            step_id: StepId {
                job_id: job.job_id,
                step_id: NO_VAL,
                step_het_comp: NO_VAL,
            },
            uid: job.user_id,
            gid: job.group_id,
            pw_name: (!pw.name.is_empty()).then(|| pw.name.clone()),
            pw_gecos: (!pw.name.is_empty()).then(|| pw.gecos.clone()),
            pw_dir: (!pw.name.is_empty()).then(|| pw.dir.clone()),
            pw_shell: (!pw.name.is_empty()).then(|| pw.shell.clone()),
            gids: pw.groups.iter().map(|g| g.0).collect(),
            // Upstream sends group names only with LaunchParameters=send_gids.
            gr_names: Vec::new(),
            job_gres_list,
            step_gres_list: Vec::new(),
            job_core_spec: d.core_spec,
            job_account: d.account.clone(),
            job_alias_list: None,
            job_comment: d.comment.clone(),
            job_constraints: d.features.clone(),
            job_partition: Some(job.partition.to_string()),
            job_reservation: d.reservation.clone(),
            job_restart_cnt: job.restart_cnt,
            job_std_err: d.std_err.clone(),
            job_std_in: d.std_in.clone(),
            job_std_out: d.std_out.clone(),
            step_hostlist: None,
            x11: 0,
            ctime: now,
            tot_core_cnt,
            job_core_bitmap: Some(core_bitmap),
            step_core_bitmap: None,
            cores_per_socket: layout_vals.iter().map(|l| l.0).collect(),
            sockets_per_node: layout_vals.iter().map(|l| l.1).collect(),
            sock_core_rep_count: layout_reps,
            cpu_array,
            cpu_array_reps,
            job_nhosts: alloc.nodes.len() as u32,
            job_ntasks: if d.num_tasks == NO_VAL {
                0
            } else {
                d.num_tasks
            },
            job_hostlist: Some(self.job_hostlist(&alloc.nodes)),
            job_mem_alloc: Vec::new(),
            job_mem_alloc_rep_count: Vec::new(),
            step_mem_alloc: Vec::new(),
            step_mem_alloc_rep_count: Vec::new(),
            selinux_context: None,
        }
    }

    /// The job's cores over all its nodes (node order, each node's cores
    /// socket-major) and the bitmap's size.
    pub fn job_core_bitmap(&self, alloc: &Allocation) -> (wire::pack::Bitmap, u32) {
        let per_node_cores: Vec<u32> = alloc
            .nodes
            .iter()
            .map(|&i| {
                u32::from(self.spec.nodes[i].sockets)
                    * u32::from(self.spec.nodes[i].cores_per_socket)
            })
            .collect();
        let tot_core_cnt: u32 = per_node_cores.iter().sum();
        let mut core_bitmap = wire::pack::Bitmap::new(tot_core_cnt);
        let mut offset = 0;
        for (k, &n) in per_node_cores.iter().enumerate() {
            for &c in alloc.cores.get(k).map(Vec::as_slice).unwrap_or_default() {
                core_bitmap.set(offset + c);
            }
            offset += n;
        }
        (core_bitmap, tot_core_cnt)
    }

    /// REQUEST_BATCH_JOB_LAUNCH for a job that was just allocated: the batch
    /// host's index, the protocol version to pack it with, and the message.
    pub fn batch_launch(
        &self,
        job_id: u32,
        pw: Option<&Passwd>,
        now: i64,
    ) -> Option<(usize, ProtocolVersion, BatchJobLaunch)> {
        let job = self.jobs.get(&job_id)?;
        let alloc = job.alloc.as_ref()?;
        let host = alloc.batch_host();
        let version = self.nodes[host].protocol_version;
        // Script and environment are not in memory: the caller fills them
        // in from the state store (`Journal::load_batch`).
        let d = &job.desc.to_descriptor();
        let hostlist = self.job_hostlist(&alloc.nodes);
        let (cpu_array, cpu_array_reps) = run_length(&alloc.cpus);
        let mut cred = self.job_credential(job, alloc, pw, now);
        // make_batch_job_cred: the batch step, on the batch host only, with
        // the batch host's memory (one value, not the job's node list).
        cred.step_id.step_id = step::BATCH;
        cred.step_hostlist = Some(self.spec.nodes[host].name.clone());
        cred.step_core_bitmap = cred.job_core_bitmap.clone();
        cred.job_mem_alloc = vec![alloc.mem_per_node];
        cred.job_mem_alloc_rep_count = vec![1];
        let msg = BatchJobLaunch {
            job_id,
            het_job_id: 0,
            uid: job.user_id,
            gid: job.group_id,
            user_name: None,
            gids: Vec::new(),
            partition: Some(job.partition.to_string()),
            ntasks: if d.num_tasks == NO_VAL {
                0
            } else {
                d.num_tasks
            },
            pn_min_memory: d.pn_min_memory,
            open_mode: d.open_mode,
            overcommit: if d.overcommit == NO_VAL8 {
                0
            } else {
                d.overcommit
            },
            array_job_id: job.array_job_id,
            array_task_id: job.array_task_id.unwrap_or(NO_VAL),
            acctg_freq: d.acctg_freq.clone(),
            container: d.container.clone(),
            cpu_bind_type: 0,
            cpus_per_task: d.cpus_per_task,
            restart_cnt: job.restart_cnt,
            job_core_spec: if d.core_spec == NO_VAL16 {
                0
            } else {
                d.core_spec
            },
            cpus_per_node: cpu_array,
            cpu_count_reps: cpu_array_reps,
            alias_list: None,
            cpu_bind: None,
            nodes: Some(hostlist),
            script: d.script.clone(),
            work_dir: d.work_dir.clone(),
            std_err: d.std_err.clone(),
            std_in: d.std_in.clone(),
            std_out: d.std_out.clone(),
            argv: d.argv.clone(),
            spank_job_env: d.spank_job_env.clone(),
            environment: d.environment.clone(),
            job_mem: d.pn_min_memory,
            cred_version: version,
            cred: SignedCredential::unsigned(cred, version),
            select_jobinfo: SelectJobInfo {
                plugin_id: self.spec.limits.select_plugin_id,
            },
            account: d.account.clone(),
            qos: d.qos.clone(),
            resv_name: d.reservation.clone(),
            profile: if d.profile == NO_VAL { 0 } else { d.profile },
            tres_bind: d.tres_bind.clone(),
            tres_freq: d.tres_freq.clone(),
        };
        Some((host, version, msg))
    }

    /// REQUEST_TERMINATE_JOB / KILL_TIMELIMIT / ABORT_JOB body for `job_id`
    /// (`create_kill_job_msg`): with the job's credential (not signed, no
    /// step part) and the GRES it held, for the node's epilog.
    pub fn kill_job_msg(&self, job_id: u32, pw: Option<&Passwd>, now: i64) -> KillJob {
        let job = self.jobs.get(&job_id);
        let alloc = job.and_then(|j| j.alloc.as_ref());
        let nodes = alloc.map(|a| self.job_hostlist(&a.nodes));
        let cred = job.zip(alloc).map(|(j, a)| {
            SignedCredential::unsigned(self.job_credential(j, a, pw, now), ProtocolVersion::CURRENT)
        });
        let job_gres_info = alloc
            .map(|a| gres::epilog_records(&self.alloc_specs(a), &a.gres))
            .unwrap_or_default();
        KillJob {
            cred,
            details: job.and_then(|j| j.state_desc.clone()),
            derived_ec: job.map_or(0, |j| j.derived_ec),
            exit_code: job.map_or(0, |j| j.exit_code),
            job_gres_info,
            step_id: StepId {
                job_id,
                step_id: NO_VAL,
                step_het_comp: NO_VAL,
            },
            het_job_id: 0,
            job_state: job.map_or(0, |j| j.state),
            job_uid: job.map_or(0, |j| j.user_id),
            job_gid: job.map_or(0, |j| j.group_id),
            nodes,
            select_jobinfo: SelectJobInfo {
                plugin_id: self.spec.limits.select_plugin_id,
            },
            spank_job_env: job
                .map(|j| j.desc.spank_job_env.clone())
                .unwrap_or_default(),
            start_time: job.map_or(0, |j| j.start_time),
            time: now,
            work_dir: job.and_then(|j| j.desc.work_dir.as_deref().map(str::to_owned)),
        }
    }
}
