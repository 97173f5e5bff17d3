//! Which nodes a job gets and how many CPUs on each, as upstream's select
//! plugins decide it: select/linear hands out whole nodes; select/cons_tres
//! hands out CPUs, cores or sockets (SelectTypeParameters) and picks nodes
//! by weight, then the tightest fit.

use wire::conf::select_type::{CR_CORE, CR_MEMORY, CR_SOCKET};
use wire::msg::common::select_plugin;

use super::job::Job;
use super::submit::MEM_PER_CPU;
use super::Controller;

/// The smallest piece of a node a job can be given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// CR_CPU: single CPUs (hardware threads).
    Cpu,
    /// CR_Core: whole cores, all their threads.
    Core,
    /// CR_Socket: whole sockets.
    Socket,
    /// select/linear, --exclusive, OverSubscribe=EXCLUSIVE: the node.
    Node,
}

/// `OverSubscribe=FORCE` bit of a partition's `max_share`.
const SHARED_FORCE: u16 = 0x8000;

/// A node the job could use now, and how many CPUs of it at most.
#[derive(Debug, Clone, Copy)]
pub struct Offer {
    /// Node-table index.
    pub node: usize,
    /// CPUs the job could be given there (upstream's avail_cpus).
    pub avail: u32,
    /// Node Weight.
    pub weight: u32,
}

/// What the job asks for, in the terms the node choice counts.
#[derive(Debug, Clone, Copy)]
pub struct Want {
    /// Nodes at least.
    pub min_nodes: u32,
    /// Nodes at most.
    pub max_nodes: u32,
    /// CPUs in all (upstream's details->min_cpus).
    pub cpus: u32,
    /// CPUs each node must give at least (pn_min_cpus).
    pub pn_cpus: u32,
    /// Whether the last node is the tightest fit in its run (cons_tres)
    /// or simply the first that fits (select/linear).
    pub best_fit: bool,
}

impl Controller {
    /// Whether SelectType is select/linear.
    pub fn is_linear(&self) -> bool {
        self.spec.limits.select_plugin_id == select_plugin::LINEAR
    }

    /// SelectTypeParameters as the select plugin applies them to partition
    /// `part`: cons_tres without any uses CR_Core_Memory (it says so when it
    /// starts), and a partition's own CR_Core/CR_Socket replaces the
    /// cluster's core/socket/memory bits.
    pub fn effective_cr_type(&self, part: usize) -> u16 {
        let cr = self.spec.limits.select_type_param;
        if self.is_linear() {
            return cr;
        }
        let cr = if cr == 0 { CR_CORE | CR_MEMORY } else { cr };
        let part_cr = self.spec.partitions.get(part).map_or(0, |p| p.cr_type);
        if part_cr != 0 && cr & (CR_CORE | CR_SOCKET) != 0 {
            (cr & !(CR_CORE | CR_SOCKET | CR_MEMORY)) | part_cr
        } else {
            cr
        }
    }

    /// Whether memory is a consumable resource for jobs of partition `part`.
    pub fn tracks_memory(&self, part: usize) -> bool {
        self.effective_cr_type(part) & CR_MEMORY != 0
    }

    /// Upstream's `_resolve_shared_status`, run whenever the scheduler
    /// looks for nodes for a job: OverSubscribe=EXCLUSIVE partitions and
    /// select/linear give whole nodes (the job then shows
    /// OverSubscribe=NO), OverSubscribe=FORCE:N>1 makes it share.
    pub fn resolve_shared(&self, job: &mut Job) {
        let Some(part) = self.spec.partitions.get(job.part_index) else {
            return;
        };
        let d = &mut job.desc;
        if part.max_share == 0 {
            d.shared = 0;
        } else if part.max_share & SHARED_FORCE != 0 && part.max_share & !SHARED_FORCE > 1 {
            d.shared = 1;
        } else if self.is_linear() && !(part.max_share > 1 && d.shared == 1) {
            d.shared = 0;
        }
    }

    /// The piece of a node `job` is given at a time.
    pub fn alloc_unit(&self, job: &Job) -> Unit {
        self.unit_for(job.part_index, job.desc.shared)
    }

    /// The piece of a node a job of partition `part` sharing as `shared`
    /// (0: whole nodes) is given at a time.
    pub fn unit_for(&self, part: usize, shared: u16) -> Unit {
        if self.is_linear() || shared == 0 {
            return Unit::Node;
        }
        let cr = self.effective_cr_type(part);
        if cr & CR_SOCKET != 0 {
            Unit::Socket
        } else if cr & CR_CORE != 0 {
            Unit::Core
        } else {
            Unit::Cpu
        }
    }

    /// CPUs in one `unit` of node `i`.
    pub fn unit_cpus(&self, i: usize, unit: Unit) -> u32 {
        let n = &self.spec.nodes[i];
        let tpc = u32::from(n.threads_per_core.max(1));
        match unit {
            Unit::Cpu => 1,
            Unit::Core => tpc,
            Unit::Socket => u32::from(n.cores_per_socket.max(1)) * tpc,
            Unit::Node => u32::from(n.cpus),
        }
    }

    /// MB a job needs on node `i` when each node gives it `pn_cpus` CPUs:
    /// a per-CPU request counts the CPUs it really gets there (whole
    /// units: a socket's worth under CR_Socket, the node under linear).
    pub fn memory_need(&self, i: usize, unit: Unit, pn_cpus: u32, pn_min_memory: u64) -> u64 {
        if pn_min_memory & MEM_PER_CPU == 0 {
            return pn_min_memory;
        }
        let per = self.unit_cpus(i, unit).max(1);
        let cpus = pn_cpus.max(1).div_ceil(per) * per;
        (pn_min_memory & !MEM_PER_CPU).saturating_mul(u64::from(cpus))
    }

    /// CPUs `_cpus_to_use` keeps back on a node for each further node a
    /// job still needs: a core's threads, a socket's under CR_Socket; None
    /// for whole nodes (nothing is cut).
    pub fn reserve_per_node(&self, i: usize, unit: Unit) -> Option<u32> {
        let n = &self.spec.nodes[i];
        let tpc = u32::from(n.threads_per_core.max(1));
        match unit {
            Unit::Node => None,
            Unit::Socket => Some(tpc * u32::from(n.cores_per_socket.max(1))),
            Unit::Cpu | Unit::Core => Some(tpc),
        }
    }

    /// Sockets of node `i` none of whose cores any job holds, lowest first.
    pub fn free_sockets(&self, i: usize) -> Vec<u32> {
        let n = &self.spec.nodes[i];
        let cps = u32::from(n.cores_per_socket.max(1));
        let used = &self.nodes[i].used_cores;
        (0..u32::from(n.sockets.max(1)))
            .filter(|s| (s * cps..(s + 1) * cps).all(|c| !used.contains(&c)))
            .collect()
    }

    /// CPUs of node `i` free in whole `unit`s.
    pub fn free_cpus_in(&self, i: usize, unit: Unit) -> u32 {
        let n = &self.spec.nodes[i];
        let free = u32::from(n.cpus.saturating_sub(self.nodes[i].alloc_cpus));
        let tpc = u32::from(n.threads_per_core.max(1));
        match unit {
            Unit::Cpu => free,
            Unit::Core => free.min(self.free_core_indices(i).len() as u32 * tpc),
            Unit::Socket => free.min(self.free_sockets(i).len() as u32 * self.unit_cpus(i, unit)),
            Unit::Node if self.nodes[i].alloc_cpus == 0 => u32::from(n.cpus),
            Unit::Node => 0,
        }
    }

    /// The CPUs `job` could be given on node `i` now (0: none), before it
    /// is cut to what the job needs: free whole units, at most the
    /// partition's MaxCPUsPerNode (select/linear and whole-node jobs take
    /// the node whatever that says).
    pub fn avail_cpus(&self, job: &Job, i: usize, unit: Unit, pn_cpus: u32) -> u32 {
        let mut avail = self.free_cpus_in(i, unit);
        if unit != Unit::Node {
            if let Some(cap) = self.spec.partitions[job.part_index].max_cpus_per_node {
                avail = avail.min(cap);
            }
        }
        if avail < pn_cpus.max(1) {
            0
        } else {
            avail
        }
    }

    /// The CPUs a chosen node really gives: what the job takes there,
    /// rounded up to whole units and never more than is free.
    pub fn cpus_given(&self, i: usize, unit: Unit, used: u32) -> u32 {
        let per = self.unit_cpus(i, unit).max(1);
        (used.div_ceil(per) * per).min(self.free_cpus_in(i, unit).max(used))
    }

    /// The core indices a job given `cpus` CPUs of node `i` holds: whole
    /// free sockets under CR_Socket, otherwise the lowest free cores.
    pub fn cores_given(&self, i: usize, unit: Unit, cpus: u32) -> Vec<u32> {
        let n = &self.spec.nodes[i];
        let tpc = u32::from(n.threads_per_core.max(1));
        let want = cpus.div_ceil(tpc) as usize;
        if unit == Unit::Socket {
            let cps = u32::from(n.cores_per_socket.max(1));
            return self
                .free_sockets(i)
                .into_iter()
                .flat_map(|s| s * cps..(s + 1) * cps)
                .take(want)
                .collect();
        }
        self.free_core_indices(i).into_iter().take(want).collect()
    }
}

/// Upstream's `_cpus_to_use`: a node gives what is still wanted, less a
/// core's threads (a socket's under CR_Socket) kept back for each node
/// still to come, but never less than the per-node minimum nor more than
/// it has. `reserve` None: a whole-node job, which takes all it may.
fn cpus_to_use(
    avail: u32,
    rem_cpus: i64,
    rem_nodes: i64,
    pn_cpus: u32,
    reserve: Option<u32>,
) -> u32 {
    let Some(reserve) = reserve else {
        return avail;
    };
    let reserved = (rem_nodes - 1).max(0) * i64::from(reserve);
    let want = (rem_cpus - reserved).max(i64::from(pn_cpus)).max(0);
    avail.min(u32::try_from(want).unwrap_or(u32::MAX))
}

/// Upstream's `_enough_nodes` with no separate desired count.
fn enough_nodes(avail_nodes: usize, rem_nodes: i64) -> bool {
    avail_nodes as i64 >= rem_nodes
}

/// Runs of usable nodes adjacent in the node table with one weight: the
/// "consecutive sets" cons_tres compares.
fn runs(offers: &[Offer]) -> Vec<Vec<Offer>> {
    let mut out: Vec<Vec<Offer>> = Vec::new();
    for o in offers {
        match out.last_mut() {
            Some(run)
                if run
                    .last()
                    .is_some_and(|l| l.node + 1 == o.node && l.weight == o.weight) =>
            {
                run.push(*o)
            }
            _ => out.push(vec![*o]),
        }
    }
    out
}

/// cons_tres's choice among runs: the lowest weight; at equal weight the
/// first run that is sufficient, then a sufficient one with fewer CPUs,
/// or, while none is, the one with the most CPUs.
fn best_run(runs: &[Vec<Offer>], rem_cpus: i64, rem_nodes: i64) -> Option<usize> {
    let mut best: Option<(usize, u32, i64, bool)> = None; // index, weight, cpus, sufficient
    for (k, run) in runs.iter().enumerate() {
        let cpus: i64 = run.iter().map(|o| i64::from(o.avail)).sum();
        let weight = run[0].weight;
        let sufficient = cpus >= rem_cpus && enough_nodes(run.len(), rem_nodes);
        let better = match best {
            None => true,
            Some((_, w, _, _)) if weight < w => true,
            Some((_, w, c, s)) if weight == w => {
                if sufficient {
                    !s || cpus < c
                } else {
                    cpus > c
                }
            }
            _ => false,
        };
        if better {
            best = Some((k, weight, cpus, sufficient));
        }
    }
    best.map(|b| b.0)
}

/// Picks nodes from `offers` (ascending node index) for `want`, `required`
/// ones first, as cons_tres's `_eval_nodes` does. Returns each chosen node
/// with the CPUs it gives before rounding to whole units, in node order;
/// None when they do not suffice.
pub fn choose(
    offers: &[Offer],
    required: &[usize],
    want: Want,
    reserve: impl Fn(usize) -> Option<u32>,
) -> Option<Vec<(usize, u32)>> {
    let mut rem_cpus = i64::from(want.cpus);
    let mut rem_nodes = i64::from(want.min_nodes.max(1));
    let mut left = want.max_nodes.max(1) as usize;
    let mut chosen: Vec<(usize, u32)> = Vec::new();
    let mut take = |o: &Offer, rem_cpus: &mut i64, rem_nodes: &mut i64, left: &mut usize| {
        let used = cpus_to_use(
            o.avail,
            *rem_cpus,
            *rem_nodes,
            want.pn_cpus,
            reserve(o.node),
        );
        *rem_cpus -= i64::from(used);
        *rem_nodes -= 1;
        *left -= 1;
        chosen.push((o.node, used));
    };
    for &r in required {
        let o = offers.iter().find(|o| o.node == r)?;
        if left == 0 {
            return None;
        }
        take(o, &mut rem_cpus, &mut rem_nodes, &mut left);
    }
    let done = |rem_cpus: i64, rem_nodes: i64| rem_cpus <= 0 && rem_nodes <= 0;
    let rest: Vec<Offer> = offers
        .iter()
        .filter(|o| !required.contains(&o.node))
        .copied()
        .collect();
    let mut runs = runs(&rest);
    while !done(rem_cpus, rem_nodes) && left > 0 {
        let Some(k) = best_run(&runs, rem_cpus, rem_nodes) else {
            break;
        };
        let mut run = runs.remove(k);
        if rem_nodes <= 1 && want.best_fit {
            // One more node will do: the one with the fewest CPUs that are
            // enough (the first of equals) is all this run offers.
            let fit = run
                .iter()
                .filter(|o| i64::from(o.avail) >= rem_cpus)
                .min_by_key(|o| o.avail)
                .copied();
            if let Some(fit) = fit {
                run = vec![fit];
            }
        }
        for o in &run {
            if done(rem_cpus, rem_nodes) || left == 0 {
                break;
            }
            if left == 1 && i64::from(o.avail) < rem_cpus {
                continue;
            }
            take(o, &mut rem_cpus, &mut rem_nodes, &mut left);
        }
    }
    if !done(rem_cpus, rem_nodes) {
        return None;
    }
    chosen.sort_unstable_by_key(|c| c.0);
    Some(chosen)
}
