//! Resource allocation and the running part of a job's life: picking nodes
//! (select/cons_tres semantics for CPUs, memory and GRES, first come first
//! served by priority), completion, cancellation, time limits and the
//! epilog handshake that returns nodes to the pool.

use wire::job_reason::JobReason;
use wire::pack::{NO_VAL, NO_VAL16};

use super::features::{self, FeatureItem, FeatureOp};
use super::gres::{GresAlloc, HeldGres};
use super::job::{state_flags, Job, JobState};
use super::node::{base, flag};
use super::select::{self, Offer, Unit, Want};
use super::submit::{per_node_need, requested_gres, MEM_PER_CPU};
use super::{Controller, Effect};

/// What a running job holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Allocation {
    /// Node-table indices, ascending.
    pub nodes: Vec<usize>,
    /// CPUs held on each node (same order).
    pub cpus: Vec<u16>,
    /// MB held on each node.
    pub mem_per_node: u64,
    /// GRES held, per requested GRES and node (which indices).
    pub gres: Vec<GresAlloc>,
    /// Nodes that have not yet reported their epilog done.
    pub completing: Vec<usize>,
    /// Core indices held on each node (socket-major, as upstream numbers them).
    pub cores: Vec<Vec<u32>>,
    /// Resources already given back (the node list stays for display, as
    /// upstream keeps NodeList on finished jobs).
    pub released: bool,
}

impl Allocation {
    /// The batch host (first node).
    pub fn batch_host(&self) -> usize {
        self.nodes[0]
    }
    /// CPUs in total.
    pub fn total_cpus(&self) -> u32 {
        self.cpus.iter().map(|&c| u32::from(c)).sum()
    }
    /// MB held on the `k`-th node: `mem_per_node` is the first node's, a
    /// per-CPU request (`pn_min_memory`) scales with each node's CPUs.
    pub fn mem_on(&self, k: usize, pn_min_memory: u64) -> u64 {
        match self.cpus.get(k) {
            Some(&c) if self.mem_per_node != 0 && pn_min_memory & MEM_PER_CPU != 0 => {
                (pn_min_memory & !MEM_PER_CPU).saturating_mul(u64::from(c))
            }
            _ => self.mem_per_node,
        }
    }
    /// MB held on all nodes.
    pub fn total_mem(&self, pn_min_memory: u64) -> u64 {
        (0..self.nodes.len())
            .map(|k| self.mem_on(k, pn_min_memory))
            .sum()
    }
}

/// The node side of `alloc`'s GRES on its `k`-th node.
pub fn held_gres(job_id: u32, alloc: &Allocation, k: usize) -> impl Iterator<Item = HeldGres> + '_ {
    alloc.gres.iter().filter_map(move |g| {
        Some(HeldGres {
            job_id,
            name: g.name.clone(),
            kind: g.kind.clone(),
            held: g.nodes.get(k)?.clone(),
        })
    })
}

/// Why a running job is being stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopKind {
    /// scancel: REQUEST_TERMINATE_JOB.
    Cancel,
    /// Time limit: REQUEST_KILL_TIMELIMIT.
    Timeout,
    /// The batch script ended: REQUEST_TERMINATE_JOB to clean up.
    Complete,
}

/// Upstream's end time of a job without a time limit: a year on.
const YEAR_SECONDS: i64 = 365 * 24 * 60 * 60;

/// Gives back on `nodes` what job `job_id` holds there (its allocation
/// `alloc`, asked memory `asked_mem`); nodes left with nothing go idle.
pub(super) fn free_on_nodes(
    nodes: &mut [super::node::NodeRuntime],
    job_id: u32,
    alloc: &Allocation,
    asked_mem: u64,
) {
    for (k, &i) in alloc.nodes.iter().enumerate() {
        let node = &mut nodes[i];
        node.alloc_cpus = node.alloc_cpus.saturating_sub(alloc.cpus[k]);
        node.alloc_mem = node.alloc_mem.saturating_sub(alloc.mem_on(k, asked_mem));
        node.alloc_gres.retain(|h| h.job_id != job_id);
        if let Some(cores) = alloc.cores.get(k) {
            node.used_cores.retain(|c| !cores.contains(c));
        }
        if node.alloc_cpus == 0 && node.base() == base::ALLOCATED {
            node.state = (node.state & !flag::BASE_MASK) | base::IDLE;
        }
        node.state &= !flag::COMPLETING;
    }
}

impl Controller {
    /// Whether node `i` has the memory a job needing `need_mb` per node
    /// must find free (0: all of it, so none may be in use).
    fn memory_fits(&self, i: usize, need_mb: u64, track_mem: bool) -> bool {
        if !track_mem {
            // Not consumable, yet a node configured with less never fits.
            return need_mb <= self.spec.nodes[i].real_memory;
        }
        if need_mb == 0 {
            return self.nodes[i].alloc_mem == 0;
        }
        need_mb <= self.free_mem(i)
    }

    /// Cores of node `i` no job holds, lowest first.
    pub fn free_core_indices(&self, i: usize) -> Vec<u32> {
        let n = &self.spec.nodes[i];
        let total = u32::from(n.sockets) * u32::from(n.cores_per_socket);
        (0..total)
            .filter(|c| !self.nodes[i].used_cores.contains(c))
            .collect()
    }

    fn free_mem(&self, i: usize) -> u64 {
        self.spec.nodes[i]
            .real_memory
            .saturating_sub(self.nodes[i].alloc_mem)
    }

    /// The GRES `want` would get on node `i` now, None if they do not fit.
    fn pick_gres(
        &self,
        i: usize,
        want: &[super::spec::GresItem],
    ) -> Option<Vec<super::gres::GresOnNode>> {
        if want.is_empty() {
            return Some(Vec::new());
        }
        super::gres::pick(&self.spec.nodes[i], &self.nodes[i].alloc_gres, want)
    }

    /// Every GRES (of GresTypes) the `nodes` have, one item per name and
    /// type in the order first seen (counts are per node: see the caller).
    fn whole_node_gres(&self, nodes: &[usize]) -> Vec<super::spec::GresItem> {
        let mut out: Vec<super::spec::GresItem> = Vec::new();
        for &i in nodes {
            for name in &self.spec.limits.gres_types {
                for slot in super::gres::node_slots(&self.spec.nodes[i], name) {
                    if !out.iter().any(|g| g.name == *name && g.kind == slot.kind) {
                        out.push(super::spec::GresItem {
                            name: name.clone(),
                            kind: slot.kind,
                            count: 0,
                        });
                    }
                }
            }
        }
        out
    }

    /// Whether node `i` has feature `name` (its `Features=`).
    pub fn node_has_feature(&self, i: usize, name: &str) -> bool {
        self.spec.nodes[i]
            .features
            .as_deref()
            .is_some_and(|f| f.split(',').any(|x| x == name))
    }

    /// The node choice under a `--constraint` expression, as upstream's
    /// `_get_req_features`: AND/OR parts leave only the nodes that satisfy
    /// them (`valid_feature_counts`); a bracketed `[a|b]` puts the whole
    /// job on nodes of one of its features, tried in the order written;
    /// each `name*N` first gets N nodes with that feature, which then are
    /// required nodes of the job (and the rest may be any node).
    fn choose_with_features(
        &self,
        items: &[FeatureItem],
        offers: &[Offer],
        required: &[usize],
        want: Want,
        reserve: impl Fn(usize) -> Option<u32> + Copy,
    ) -> Option<Vec<(usize, u32)>> {
        let all: Vec<usize> = offers.iter().map(|o| o.node).collect();
        let allowed = features::filter_nodes(items, &all, |i, f| self.node_has_feature(i, f));
        let offers: Vec<Offer> = offers
            .iter()
            .filter(|o| allowed.contains(&o.node))
            .copied()
            .collect();
        let alternatives = xor_alternatives(items);
        if alternatives.is_empty() {
            return self.choose_counted(items, &offers, required, want, reserve);
        }
        alternatives.iter().find_map(|name| {
            let only: Vec<Offer> = offers
                .iter()
                .filter(|o| self.node_has_feature(o.node, name))
                .copied()
                .collect();
            self.choose_counted(items, &only, required, want, reserve)
        })
    }

    /// The selection with every `name*N` of `items` (outside parentheses)
    /// first given N nodes with that feature: those become required nodes
    /// and raise the node count. Inside brackets (`[a*1&b*1]`) each
    /// feature's nodes are apart from the ones already taken.
    fn choose_counted(
        &self,
        items: &[FeatureItem],
        offers: &[Offer],
        required: &[usize],
        want: Want,
        reserve: impl Fn(usize) -> Option<u32> + Copy,
    ) -> Option<Vec<(usize, u32)>> {
        let mut taken: Vec<usize> = Vec::new();
        let mut apart = false;
        for item in items.iter().filter(|i| i.count != 0 && i.paren == 0) {
            let sub: Vec<Offer> = offers
                .iter()
                .filter(|o| self.node_has_feature(o.node, &item.name))
                .filter(|o| !(apart && taken.contains(&o.node)))
                .copied()
                .collect();
            // One CPU per node is all this step asks (upstream sets the
            // job's min_cpus to the count for it).
            let step = Want {
                min_nodes: item.count,
                cpus: item.count,
                ..want
            };
            let got = select::choose(&sub, &[], step, reserve)?;
            taken.extend(got.iter().map(|g| g.0));
            apart |= item.op == FeatureOp::XAnd;
        }
        if taken.is_empty() {
            return select::choose(offers, required, want, reserve);
        }
        taken.extend_from_slice(required);
        taken.sort_unstable();
        taken.dedup();
        let count = taken.len() as u32;
        if count > want.max_nodes {
            return None;
        }
        let want = Want {
            min_nodes: want.min_nodes.max(count),
            cpus: want.cpus.max(count),
            ..want
        };
        select::choose(offers, &taken, want, reserve)
    }

    /// Tries to place `job` now. None when the resources are not free.
    pub fn try_allocate(&self, job: &Job) -> Option<Allocation> {
        let d = &job.desc;
        let need = per_node_need(d);
        let unit = self.alloc_unit(job);
        let exclusive = unit == Unit::Node;
        let track_mem = self.tracks_memory(job.part_index);
        let gres = requested_gres(d.tres_per_node.as_deref());
        let names_to_indices = |expr: Option<&str>| -> Option<Vec<usize>> {
            let expr = expr.filter(|e| !e.is_empty())?;
            let names = wire::hostlist::expand(expr).ok()?;
            Some(names.iter().filter_map(|n| self.node_index(n)).collect())
        };
        let mut required = names_to_indices(d.req_nodes.as_deref()).unwrap_or_default();
        required.sort_unstable();
        required.dedup();
        let excluded = names_to_indices(d.exc_nodes.as_deref()).unwrap_or_default();
        let part = &self.spec.partitions[job.part_index];
        let offers: Vec<Offer> = part
            .nodes
            .iter()
            .copied()
            .filter(|&i| self.nodes[i].is_available() && !excluded.contains(&i))
            .filter(|&i| {
                // Consumable memory counts the CPUs really given; the
                // configuration check only the CPUs asked for.
                let mem = if track_mem {
                    self.memory_need(i, unit, need.cpus, d.pn_min_memory)
                } else {
                    need.memory_mb
                };
                self.memory_fits(i, mem, track_mem)
            })
            .filter(|&i| self.pick_gres(i, &gres).is_some())
            .map(|i| Offer {
                node: i,
                avail: self.avail_cpus(job, i, unit, need.cpus),
                weight: self.spec.nodes[i].weight,
            })
            .filter(|o| o.avail > 0)
            .collect();
        let max_nodes = match (d.max_nodes, part.max_nodes) {
            (0 | NO_VAL, Some(p)) => p,
            (0 | NO_VAL, None) => u32::MAX,
            (j, Some(p)) => j.min(p),
            (j, None) => j,
        };
        let want = Want {
            min_nodes: d.min_nodes.max(1).max(required.len() as u32),
            max_nodes: max_nodes.max(required.len() as u32),
            cpus: if d.min_cpus == NO_VAL { 1 } else { d.min_cpus },
            pn_cpus: need.cpus,
            best_fit: !self.is_linear(),
        };
        let reserve = |i: usize| self.reserve_per_node(i, unit);
        let items = d
            .features
            .as_deref()
            .filter(|f| !f.is_empty())
            .and_then(features::parse);
        let picked = match items {
            None => select::choose(&offers, &required, want, reserve)?,
            Some(items) => self.choose_with_features(&items, &offers, &required, want, reserve)?,
        };
        let chosen: Vec<usize> = picked.iter().map(|p| p.0).collect();
        let cpus: Vec<u16> = picked
            .iter()
            .map(|&(i, used)| self.cpus_given(i, unit, used) as u16)
            .collect();
        let cores: Vec<Vec<u32>> = chosen
            .iter()
            .zip(&cpus)
            .map(|(&i, &c)| self.cores_given(i, unit, u32::from(c)))
            .collect();
        let mem_per_node = if !track_mem {
            0
        } else if d.pn_min_memory & MEM_PER_CPU != 0 {
            // Per CPU: times the CPUs the (first) node really gives.
            (d.pn_min_memory & !MEM_PER_CPU).saturating_mul(u64::from(cpus[0]))
        } else if d.pn_min_memory == 0 {
            // No request: the job is given all of each node's memory.
            chosen
                .iter()
                .map(|&i| self.spec.nodes[i].real_memory)
                .min()
                .unwrap_or(0)
        } else {
            d.pn_min_memory
        };
        // A whole-node job gets every GRES of its nodes, type by type, in
        // place of what it asked for (gres_ctld_job_select_whole_node).
        let gres = if exclusive {
            self.whole_node_gres(&chosen)
        } else {
            gres
        };
        // Which GRES on each chosen node: per request, per node.
        let mut per_node = Vec::with_capacity(chosen.len());
        for &i in &chosen {
            let want: Vec<super::spec::GresItem> = if exclusive {
                gres.iter()
                    .map(|g| {
                        let slots = super::gres::node_slots(&self.spec.nodes[i], &g.name);
                        let count = slots
                            .iter()
                            .filter(|s| s.kind == g.kind)
                            .map(|s| s.count)
                            .sum();
                        super::spec::GresItem { count, ..g.clone() }
                    })
                    .collect()
            } else {
                gres.clone()
            };
            per_node.push(self.pick_gres(i, &want)?);
        }
        let gres = gres
            .into_iter()
            .enumerate()
            .map(|(r, g)| GresAlloc {
                name: g.name,
                kind: g.kind,
                nodes: per_node.iter().map(|on| on[r].clone()).collect(),
            })
            .collect();
        Some(Allocation {
            nodes: chosen,
            cpus,
            mem_per_node,
            gres,
            completing: Vec::new(),
            cores,
            released: false,
        })
    }

    /// Gives `alloc` to job `job_id` and starts it. Returns the launch effect.
    pub fn start_job(&mut self, job_id: u32, alloc: Allocation, now: i64) -> Vec<Effect> {
        let asked_mem = self.jobs.get(&job_id).map_or(0, |j| j.desc.pn_min_memory);
        for (k, &i) in alloc.nodes.iter().enumerate() {
            let node = &mut self.nodes[i];
            node.alloc_cpus = node.alloc_cpus.saturating_add(alloc.cpus[k]);
            node.alloc_mem = node.alloc_mem.saturating_add(alloc.mem_on(k, asked_mem));
            node.alloc_gres.extend(held_gres(job_id, &alloc, k));
            if let Some(cores) = alloc.cores.get(k) {
                node.used_cores.extend(cores.iter().copied());
            }
            node.state = (node.state & !flag::BASE_MASK) | base::ALLOCATED;
            node.last_busy = now;
        }
        let linear = self.is_linear();
        let Some(job) = self.jobs.get_mut(&job_id) else {
            return Vec::new();
        };
        job.state = JobState::Running as u32;
        job.reason = JobReason::WAIT_NO_REASON;
        job.state_desc = None;
        job.start_time = now;
        // A requeued job is warned again on its next run.
        job.desc.warn_flags &= !wire::msg::complete::kill_flags::WARN_SENT;
        // A job without a limit takes its partition's as it starts
        // (DefaultTime, else MaxTime); an unlimited one ends in a year.
        let part = &self.spec.partitions[job.part_index];
        let limit = job.time_limit.unwrap_or_else(|| {
            part.default_time
                .or(part.max_time)
                .unwrap_or(wire::pack::INFINITE)
        });
        job.time_limit = Some(limit);
        job.end_time = if limit == wire::pack::INFINITE {
            now + YEAR_SECONDS
        } else {
            now + i64::from(limit) * 60
        };
        if job.desc.pn_min_memory == 0 && alloc.mem_per_node != 0 && linear {
            // select/linear records the memory it gave a job that asked
            // for none (the least of its nodes) as the job's request.
            job.desc.pn_min_memory = alloc.mem_per_node;
        }
        job.alloc = Some(alloc);
        self.last_job_update = now;
        self.last_node_update = now;
        let began = job.desc.mail_type & super::mail::kind::BEGIN != 0;
        let began = began
            .then(|| self.mail(job_id, super::mail::kind::BEGIN, now))
            .flatten();
        let Some(job) = self.jobs.get_mut(&job_id) else {
            return Vec::new();
        };
        let mut effects: Vec<Effect> = began.into_iter().collect();
        if self.spec.limits.prolog_slurmctld.is_some() {
            // Launch waits for PrologSlurmctld (upstream: CONFIGURING).
            job.state |= state_flags::CONFIGURING;
            let env = self.script_env(job_id, false);
            effects.push(Effect::RunPrologSlurmctld { job_id, env });
        } else {
            effects.push(Effect::LaunchBatch { job_id });
        }
        effects
    }

    /// After a restart: jobs whose PrologSlurmctld was running (launch
    /// still waiting) get it run again.
    pub fn resume_after_restart(&mut self) -> Vec<Effect> {
        let waiting: Vec<u32> = self
            .jobs
            .values()
            .filter(|j| {
                j.base_state() == JobState::Running && j.state & state_flags::CONFIGURING != 0
            })
            .map(|j| j.job_id)
            .collect();
        let mut effects = Vec::new();
        for job_id in waiting {
            if self.spec.limits.prolog_slurmctld.is_some() {
                effects.push(Effect::RunPrologSlurmctld {
                    job_id,
                    env: self.script_env(job_id, false),
                });
            } else if let Some(job) = self.jobs.get_mut(&job_id) {
                // PrologSlurmctld was removed from slurm.conf meanwhile.
                job.state &= !state_flags::CONFIGURING;
                effects.push(Effect::LaunchBatch { job_id });
            }
        }
        effects
    }

    /// PrologSlurmctld of `job_id` ended: launch, or, when it failed,
    /// requeue the job (kill it when it may not be requeued), as upstream's
    /// `prep_prolog_slurmctld_callback`.
    pub fn prolog_slurmctld_done(&mut self, job_id: u32, ok: bool, now: i64) -> Vec<Effect> {
        let Some(job) = self.jobs.get_mut(&job_id) else {
            return Vec::new();
        };
        if job.base_state() != JobState::Running || job.state & state_flags::CONFIGURING == 0 {
            // Cancelled (or otherwise ended) while the prolog ran.
            return Vec::new();
        }
        job.state &= !state_flags::CONFIGURING;
        self.last_job_update = now;
        if ok {
            return vec![Effect::LaunchBatch { job_id }];
        }
        let requeue = match job.desc.requeue {
            NO_VAL16 => self.spec.limits.job_requeue,
            v => v != 0,
        };
        if requeue {
            self.requeue_running(job_id, 0, now)
        } else {
            self.cancel_running(job_id, now)
        }
    }

    /// The environment of PrologSlurmctld/EpilogSlurmctld (upstream's
    /// `job_common_env_vars` + SLURM_SCRIPT_CONTEXT), less SLURM_JOB_GROUP
    /// which the daemon resolves.
    pub fn script_env(&self, job_id: u32, is_epilog: bool) -> Vec<(String, String)> {
        let Some(job) = self.jobs.get(&job_id) else {
            return Vec::new();
        };
        let d = &job.desc.to_descriptor();
        let mut env: Vec<(String, String)> = d
            .spank_job_env
            .iter()
            .filter_map(|kv| kv.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let mut set = |k: &str, v: String| {
            env.retain(|(name, _)| name != k);
            env.push((k.to_string(), v));
        };
        set(
            "SLURM_JOB_ACCOUNT",
            d.account.clone().unwrap_or_else(|| "(null)".into()),
        );
        if is_epilog {
            let status = job.exit_code;
            let (code, sig) = if status & 0x7f == 0 {
                ((status >> 8) & 0xff, 0)
            } else {
                (0, status & 0x7f)
            };
            set("SLURM_JOB_DERIVED_EC", job.derived_ec.to_string());
            set("SLURM_JOB_EXIT_CODE2", format!("{code}:{sig}"));
            set("SLURM_JOB_EXIT_CODE", status.to_string());
        }
        if let Some(task) = job.array_task_id {
            set("SLURM_ARRAY_JOB_ID", job.array_job_id.to_string());
            set("SLURM_ARRAY_TASK_ID", task.to_string());
        }
        set("SLURM_CLUSTER_NAME", self.spec.limits.cluster_name.clone());
        if let Some(c) = &d.comment {
            set("SLURM_JOB_COMMENT", c.clone());
        }
        set("SLURM_JOB_GID", job.group_id.to_string());
        set("SLURM_JOBID", job_id.to_string());
        set("SLURM_JOB_ID", job_id.to_string());
        if let Some(l) = &d.licenses {
            set("SLURM_JOB_LICENSES", l.clone());
        }
        set("SLURM_JOB_NAME", d.name.clone().unwrap_or_default());
        if let Some(a) = &job.alloc {
            set("SLURM_JOB_NODELIST", self.job_hostlist(&a.nodes));
            let (vals, reps) = super::launch::run_length(&a.cpus);
            let cpus = vals
                .iter()
                .zip(&reps)
                .map(|(v, r)| {
                    if *r > 1 {
                        format!("{v}(x{r})")
                    } else {
                        v.to_string()
                    }
                })
                .collect::<Vec<_>>()
                .join(",");
            set("SLURM_JOB_CPUS_PER_NODE", cpus);
            set("SLURM_JOB_NUM_NODES", a.nodes.len().to_string());
        }
        set("SLURM_JOB_PARTITION", job.partition.to_string());
        set("SLURM_JOB_RESTART_COUNT", job.restart_cnt.to_string());
        set("SLURM_JOB_UID", job.user_id.to_string());
        set(
            "SLURM_JOB_USER",
            self.users
                .user_name(job.user_id)
                .unwrap_or_else(|| job.user_id.to_string()),
        );
        if let Some(w) = &d.wckey {
            set("SLURM_WCKEY", w.clone());
        }
        if let Some(f) = &d.features {
            set("SLURM_JOB_CONSTRAINTS", f.clone());
        }
        for (k, v) in [
            ("SLURM_JOB_STDERR", &d.std_err),
            ("SLURM_JOB_STDIN", &d.std_in),
            ("SLURM_JOB_STDOUT", &d.std_out),
            ("SLURM_JOB_WORK_DIR", &d.work_dir),
        ] {
            if let Some(v) = v {
                set(k, v.clone());
            }
        }
        set(
            "SLURM_SCRIPT_CONTEXT",
            if is_epilog {
                "epilog_slurmctld"
            } else {
                "prolog_slurmctld"
            }
            .into(),
        );
        env
    }

    /// Returns a job's CPUs, memory and GRES to its nodes.
    pub fn release_job_resources(&mut self, job_id: u32) {
        let asked_mem = self.jobs.get(&job_id).map_or(0, |j| j.desc.pn_min_memory);
        let Some(alloc) = self.jobs.get_mut(&job_id).and_then(|j| j.alloc.as_mut()) else {
            return;
        };
        if alloc.released {
            return;
        }
        alloc.released = true;
        let alloc = alloc.clone();
        free_on_nodes(&mut self.nodes, job_id, &alloc, asked_mem);
    }

    /// Ends a running job in `state` and asks its nodes to clean up.
    fn stop_running(
        &mut self,
        job_id: u32,
        state: JobState,
        kind: StopKind,
        now: i64,
    ) -> Vec<Effect> {
        // Its sruns and salloc hear first (upstream's srun_job_complete).
        let listeners = self.srun_listeners(job_id);
        let Some(job) = self.jobs.get_mut(&job_id) else {
            return Vec::new();
        };
        job.state = state as u32 | state_flags::COMPLETING;
        job.end_time = now;
        job.steps.clear();
        let nodes = job
            .alloc
            .as_ref()
            .map(|a| a.nodes.clone())
            .unwrap_or_default();
        if let Some(a) = job.alloc.as_mut() {
            a.completing = a.nodes.clone();
        }
        for &i in &nodes {
            self.nodes[i].state |= flag::COMPLETING;
        }
        self.last_job_update = now;
        self.last_node_update = now;
        let mut effects = Vec::new();
        if !listeners.is_empty() {
            effects.push(Effect::NotifySrun {
                job_id,
                targets: listeners,
                notice: super::interactive::SrunNotice::JobComplete,
            });
        }
        effects.push(Effect::TerminateJob { job_id, kind });
        if state.is_finished() {
            effects.extend(self.end_mail(job_id, now));
        }
        if self.spec.limits.epilog_slurmctld.is_some() && state.is_finished() {
            effects.push(Effect::RunEpilogSlurmctld {
                job_id,
                env: self.script_env(job_id, true),
            });
        }
        effects
    }

    /// REQUEST_COMPLETE_BATCH_SCRIPT: the script exited with wait status `job_rc`.
    pub fn batch_complete(
        &mut self,
        job_id: u32,
        job_rc: u32,
        slurm_rc: u32,
        now: i64,
    ) -> Vec<Effect> {
        let Some(job) = self.jobs.get_mut(&job_id) else {
            return Vec::new();
        };
        if job.base_state() != JobState::Running {
            // Already ended (cancelled, timed out): keep that state, just
            // record the exit status. A requeued job's next run is a new
            // start: the old run's status is not its.
            if job.exit_code == 0 && job.base_state().is_finished() {
                job.exit_code = job_rc;
            }
            return Vec::new();
        }
        job.exit_code = job_rc;
        let state = if slurm_rc != 0 {
            job.reason = JobReason::FAIL_LAUNCH;
            JobState::Failed
        } else if job_rc == 0 {
            JobState::Complete
        } else {
            // Killed by a signal: upstream reports it as a launch failure.
            job.reason = if job_rc & 0x7f != 0 {
                JobReason::FAIL_LAUNCH
            } else {
                JobReason::FAIL_EXIT_CODE
            };
            JobState::Failed
        };
        self.stop_running(job_id, state, StopKind::Complete, now)
    }

    /// MESSAGE_EPILOG_COMPLETE from node `i`.
    pub fn epilog_complete(&mut self, job_id: u32, i: usize, now: i64) {
        let done = match self.jobs.get_mut(&job_id).and_then(|j| j.alloc.as_mut()) {
            Some(a) => {
                a.completing.retain(|&n| n != i);
                a.completing.is_empty()
            }
            None => false,
        };
        if done {
            self.release_job_resources(job_id);
            let mut requeued = false;
            if let Some(job) = self.jobs.get_mut(&job_id) {
                job.state &= !state_flags::COMPLETING;
                requeued = job.is_pending();
            }
            if requeued {
                self.finish_requeue(job_id, now);
            }
            self.last_job_update = now;
            self.last_node_update = now;
        }
    }

    /// A running job goes back to the queue (`scontrol requeue[hold]`, a
    /// node whose Prolog failed): PENDING while its nodes clean up, then
    /// [`Controller::epilog_complete`] finishes the requeue. `flags` are the
    /// request's (`JOB_REQUEUE_HOLD`, `JOB_LAUNCH_FAILED`, `JOB_SPECIAL_EXIT`),
    /// as upstream's `_job_requeue_op`.
    pub fn requeue_running(&mut self, job_id: u32, flags: u32, now: i64) -> Vec<Effect> {
        let Some(job) = self.jobs.get_mut(&job_id) else {
            return Vec::new();
        };
        job.restart_cnt = job.restart_cnt.saturating_add(1);
        job.desc.warn_flags &= !wire::msg::complete::kill_flags::WARN_SENT;
        job.state_desc = None;
        job.reason = JobReason::WAIT_NO_REASON;
        if flags & state_flags::SPECIAL_EXIT != 0 {
            job.reason = JobReason::WAIT_HELD_USER;
            job.state_desc = Some("job requeued in special exit state".into());
            job.priority = 0;
        }
        if flags & state_flags::REQUEUE_HOLD != 0 {
            job.reason = JobReason::WAIT_HELD_USER;
            job.state_desc = Some(if flags & state_flags::LAUNCH_FAILED != 0 {
                "launch failed requeued held".into()
            } else {
                "job requeued in held state".into()
            });
            job.priority = 0;
        }
        let special = if flags & state_flags::SPECIAL_EXIT != 0 {
            state_flags::SPECIAL_EXIT
        } else {
            0
        };
        let mut effects = self.stop_running(job_id, JobState::Pending, StopKind::Cancel, now);
        if let Some(job) = self.jobs.get_mut(&job_id) {
            job.state |= special;
        }
        if self
            .jobs
            .get(&job_id)
            .is_some_and(|j| j.desc.mail_type & super::mail::kind::REQUEUE != 0)
        {
            effects.extend(self.mail(job_id, super::mail::kind::REQUEUE, now));
        }
        effects.push(Effect::ScheduleSoon);
        effects
    }

    /// The last node of a requeued job is clean (`batch_requeue_fini`): the
    /// job looks new again, and may not start before every credential of
    /// its previous run expired (lifetime 120 s, plus one).
    pub(super) fn finish_requeue(&mut self, job_id: u32, now: i64) {
        let Some(job) = self.jobs.get_mut(&job_id) else {
            return;
        };
        // Upstream keeps the node count of the last run (total_nodes) to
        // show while the job waits again.
        if let Some(a) = job.alloc.take() {
            job.node_cnt_wag = a.nodes.len() as u32;
        }
        job.start_time = 0;
        job.end_time = 0;
        if job.desc.begin_time <= now {
            job.desc.begin_time = now + 121;
        }
        job.eligible_time = job.desc.begin_time;
        job.submit_time = now;
        // Upstream clears the accrue time here and its next pass over the
        // pending jobs (held ones too) sets it to the new begin time, as
        // it does while no limits are enforced.
        job.accrue_time = job.eligible_time;
        if job.reason == JobReason::WAIT_NO_REASON {
            job.reason = JobReason::WAIT_TIME;
        }
    }

    /// The batch host refused or never got the launch: requeue the job held,
    /// as upstream does ("launch failed requeued held").
    pub fn launch_failed(&mut self, job_id: u32, now: i64) {
        self.release_job_resources(job_id);
        let Some(job) = self.jobs.get_mut(&job_id) else {
            return;
        };
        if let Some(a) = job.alloc.take() {
            job.node_cnt_wag = a.nodes.len() as u32;
        }
        job.state = JobState::Pending as u32;
        job.restart_cnt = job.restart_cnt.saturating_add(1);
        job.priority = 0;
        job.admin_hold = true;
        job.reason = JobReason::WAIT_HELD;
        job.state_desc = Some("launch failed requeued held".into());
        job.start_time = 0;
        job.end_time = 0;
        self.last_job_update = now;
        self.last_node_update = now;
    }

    /// scancel of a running job (SIGKILL): CANCELLED and terminate.
    pub fn cancel_running(&mut self, job_id: u32, now: i64) -> Vec<Effect> {
        self.stop_running(job_id, JobState::Cancelled, StopKind::Cancel, now)
    }

    /// `--signal=[B:]SIG@SECS`: once a running job is within SECS of its end
    /// time, SIGCONT then SIG, once (upstream's `send_job_warn_signal`).
    /// Upstream checks every PERIODIC_TIMEOUT (30 s) and so fires when
    /// `SECS + 30` seconds are left; this keeps that, so the warning comes no
    /// later than upstream's whatever interval we check at.
    pub fn send_warning_signals(&mut self, now: i64) -> Vec<Effect> {
        use wire::msg::complete::kill_flags;
        const PERIODIC_TIMEOUT: i64 = 30;
        const SIGCONT: u16 = libc::SIGCONT as u16;
        let mut effects = Vec::new();
        for job in self.jobs.values_mut() {
            let running = job.base_state() == JobState::Running;
            let d = &mut job.desc;
            let due = running
                && job.end_time != 0
                && d.warn_signal != 0
                && d.warn_time != 0
                && d.warn_flags & kill_flags::WARN_SENT == 0
                && i64::from(d.warn_time) + PERIODIC_TIMEOUT + now >= job.end_time;
            if !due {
                continue;
            }
            // Without `B:` only the job's steps are warned, not the batch shell.
            let flags = if d.warn_flags & kill_flags::JOB_BATCH != 0 {
                d.warn_flags
            } else {
                d.warn_flags | kill_flags::STEPS_ONLY
            };
            effects.push(Effect::SignalJob {
                job_id: job.job_id,
                signals: vec![SIGCONT, d.warn_signal],
                flags,
            });
            d.warn_flags = flags | kill_flags::WARN_SENT;
            tracing::debug!(
                job_id = job.job_id,
                signal = d.warn_signal,
                "warning signal"
            );
        }
        effects
    }

    /// Running jobs past their end time (plus OverTimeLimit) become TIMEOUT.
    pub fn check_time_limits(&mut self, now: i64) -> Vec<Effect> {
        let over = i64::from(if self.spec.limits.over_time_limit == NO_VAL16 {
            0
        } else {
            self.spec.limits.over_time_limit
        }) * 60;
        let expired: Vec<u32> = self
            .jobs
            .values()
            .filter(|j| {
                j.base_state() == JobState::Running && j.end_time != 0 && now >= j.end_time + over
            })
            .map(|j| j.job_id)
            .collect();
        // Before the expired jobs end: "Reached time limit" goes out while
        // they still run.
        let mut effects = self.time_limit_mails(now);
        for id in expired {
            if let Some(j) = self.jobs.get_mut(&id) {
                j.reason = JobReason::FAIL_TIMEOUT;
            }
            effects.extend(self.stop_running(id, JobState::Timeout, StopKind::Timeout, now));
        }
        effects.extend(self.check_step_time_limits(now));
        effects.extend(self.warn_sruns_of_time_limits(now));
        effects
    }

    /// SRUN_TIMEOUT to the sruns and salloc of jobs ending within two
    /// periodic checks (upstream's `srun_timeout` from `job_time_limit`).
    fn warn_sruns_of_time_limits(&mut self, now: i64) -> Vec<Effect> {
        const WINDOW: i64 = 60;
        let due: Vec<(u32, i64)> = self
            .jobs
            .values()
            .filter(|j| {
                j.base_state() == JobState::Running
                    && !j.srun_timeout_sent
                    && j.end_time != 0
                    && j.end_time <= now + WINDOW
            })
            .map(|j| (j.job_id, j.end_time))
            .collect();
        let mut effects = Vec::new();
        for (job_id, end) in due {
            let targets = self.srun_listeners(job_id);
            if let Some(j) = self.jobs.get_mut(&job_id) {
                j.srun_timeout_sent = true;
            }
            if !targets.is_empty() {
                effects.push(Effect::NotifySrun {
                    job_id,
                    targets,
                    notice: super::interactive::SrunNotice::Timeout(end),
                });
            }
        }
        effects
    }
}

/// The features of a bracketed OR (`[a|b|c]`), in the order written; empty
/// when there is none. The bracket's last feature carries the operator
/// that follows the bracket, so it is the one after the last `|` of the run.
fn xor_alternatives(items: &[FeatureItem]) -> Vec<String> {
    let Some(first) = items.iter().position(|i| i.op == FeatureOp::XOr) else {
        return Vec::new();
    };
    let run = items[first..]
        .iter()
        .take_while(|i| i.op == FeatureOp::XOr)
        .count();
    items[first..(first + run + 1).min(items.len())]
        .iter()
        .map(|i| i.name.clone())
        .collect()
}
