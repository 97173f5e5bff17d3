//! GRES (GPUs) on the controller: which of a node's configured GRES a job
//! gets, by index, and what upstream derives from that choice: the
//! `gres_list_alloc` records of the job credential, the `job_gres_info` of
//! kill messages, the `scontrol -d show job` detail strings and a node's
//! `GresUsed`.
//!
//! Indices number a node's GRES of one name in the order its `Gres=` lists
//! the types (`gpu:a100:2,gpu:v100:2`: a100 = 0-1, v100 = 2-3), which is
//! the order slurmd numbers the devices of a gres.conf that follows it.

use wire::msg::gres::{plugin_id, GresJobAlloc, GresJobState, GresSlurmdConf};
use wire::pack::Bitmap;

use super::spec::{parse_gres_list, GresItem, NodeSpec};

/// Upstream's `MAX_GRES_BITMAP`: a GRES with more units than this on a node
/// is tracked by count only (no indices, no bitmaps).
pub const MAX_GRES_BITMAP: u64 = 1024;

/// GRES plugins that build `job_gres_info` for prolog/epilog (upstream's
/// gres/gpu, mps, nic and shard have `epilog_build_env`; count-only GRES
/// have no plugin and are left out).
const EPILOG_PLUGINS: &[&str] = &["gpu", "mps", "nic", "shard"];

/// `GRES_CONF_HAS_FILE`: the slurmd's gres.conf names device files.
const GRES_CONF_HAS_FILE: u32 = 1 << 1;

/// One type of one GRES on a node and the indices it occupies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GresSlot {
    /// `Type=`, None for untyped GRES.
    pub kind: Option<String>,
    /// First index.
    pub first: u64,
    /// How many.
    pub count: u64,
}

impl GresSlot {
    fn contains(&self, i: u32) -> bool {
        (self.first..self.first + self.count).contains(&u64::from(i))
    }
}

/// The node's GRES `name`, type by type in `Gres=` order.
pub fn node_slots(spec: &NodeSpec, name: &str) -> Vec<GresSlot> {
    let mut first = 0;
    spec.gres
        .as_deref()
        .map(parse_gres_list)
        .unwrap_or_default()
        .into_iter()
        .filter(|g| g.name == name)
        .map(|g| {
            let slot = GresSlot {
                kind: g.kind,
                first,
                count: g.count,
            };
            first += g.count;
            slot
        })
        .collect()
}

fn total(slots: &[GresSlot]) -> u64 {
    slots.iter().map(|s| s.count).sum()
}

/// What one requested GRES holds on one node.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GresOnNode {
    /// How many.
    pub count: u64,
    /// Which: ascending indices into the node's GRES of this name; None
    /// for a count-only GRES (more than [`MAX_GRES_BITMAP`] units).
    pub indices: Option<Vec<u32>>,
}

/// One requested GRES of a running job (an item of `--gres` /
/// `--gpus-per-node`) and what it holds on each of the job's nodes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GresAlloc {
    /// e.g. "gpu".
    pub name: String,
    /// Requested type; None = any.
    pub kind: Option<String>,
    /// Per node of the allocation, in `Allocation::nodes` order.
    pub nodes: Vec<GresOnNode>,
}

/// What one job holds of one GRES on a node (the node's side of a [`GresAlloc`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldGres {
    /// The job.
    pub job_id: u32,
    /// GRES name.
    pub name: String,
    /// Requested type (matters for count-only GRES).
    pub kind: Option<String>,
    /// Count and indices.
    pub held: GresOnNode,
}

/// Indices of `name` that jobs hold on a node.
fn busy(held: &[HeldGres], name: &str, len: u64) -> Bitmap {
    let mut bm = Bitmap::new(len as u32);
    for h in held.iter().filter(|h| h.name == name) {
        h.held.indices.iter().flatten().for_each(|&i| bm.set(i));
    }
    bm
}

/// Picks what `want` (GRES per node) needs on a node configured as `spec`
/// where jobs hold `held`: for each item the lowest free indices of a
/// matching type. That is select/cons_tres's choice (`_set_node_bits`) for
/// GRES without core affinity: one pass over the indices, lowest first,
/// skipping those already allocated. None when the node cannot fit them now.
pub fn pick(spec: &NodeSpec, held: &[HeldGres], want: &[GresItem]) -> Option<Vec<GresOnNode>> {
    let mut picked: Vec<HeldGres> = Vec::new();
    for item in want {
        let slots = node_slots(spec, &item.name);
        let matching: Vec<&GresSlot> = slots
            .iter()
            .filter(|s| item.kind.is_none() || s.kind == item.kind)
            .collect();
        let n = total(&slots);
        let on = if n > MAX_GRES_BITMAP {
            let avail: u64 = matching.iter().map(|s| s.count).sum();
            let used: u64 = held
                .iter()
                .chain(&picked)
                .filter(|h| h.name == item.name && (item.kind.is_none() || h.kind == item.kind))
                .map(|h| h.held.count)
                .sum();
            if avail.saturating_sub(used) < item.count {
                return None;
            }
            GresOnNode {
                count: item.count,
                indices: None,
            }
        } else {
            let mut taken = busy(held, &item.name, n);
            for h in picked.iter().filter(|h| h.name == item.name) {
                h.held.indices.iter().flatten().for_each(|&i| taken.set(i));
            }
            let free: Vec<u32> = (0..n as u32)
                .filter(|&i| !taken.get(i) && matching.iter().any(|s| s.contains(i)))
                .take(item.count as usize)
                .collect();
            if (free.len() as u64) < item.count {
                return None;
            }
            GresOnNode {
                count: item.count,
                indices: Some(free),
            }
        };
        picked.push(HeldGres {
            job_id: 0,
            name: item.name.clone(),
            kind: item.kind.clone(),
            held: on,
        });
    }
    Some(picked.into_iter().map(|p| p.held).collect())
}

/// One record of a job's `gres_list_alloc`, with its GRES name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllocRecord {
    /// GRES name (the record itself carries only the plugin id).
    pub name: String,
    /// The record as `gres_job_state_pack` sends it without details.
    pub state: GresJobState,
}

/// `job_ptr->gres_list_alloc` as upstream's `_job_alloc` builds it once a
/// job is placed: one record per GRES name and node type (an untyped
/// request on typed nodes is filed under the types it got), created in the
/// order nodes, requests and types are first seen. Each carries the count
/// and the bitmap per node; nothing else is set (cpus/mem per GRES, the
/// per-job/node/task counts and flags stay 0 in these records).
/// `specs[k]` is the configuration of the allocation's k-th node.
pub fn alloc_records(specs: &[&NodeSpec], gres: &[GresAlloc]) -> Vec<AllocRecord> {
    let node_cnt = specs.len();
    let mut out: Vec<AllocRecord> = Vec::new();
    for (k, spec) in specs.iter().enumerate() {
        for g in gres {
            let Some(on) = g.nodes.get(k) else { continue };
            let slots = node_slots(spec, &g.name);
            let len = total(&slots);
            let mut left = on.count;
            for slot in slots
                .iter()
                .filter(|s| g.kind.is_none() || s.kind == g.kind)
            {
                let (count, bits) = match &on.indices {
                    Some(ix) => {
                        let mut bm = Bitmap::new(len as u32);
                        ix.iter()
                            .filter(|&&i| slot.contains(i))
                            .for_each(|&i| bm.set(i));
                        (u64::from(bm.count_ones()), Some(bm))
                    }
                    // Count-only: the types are filled in order.
                    None => {
                        let c = left.min(slot.count);
                        left -= c;
                        (c, None)
                    }
                };
                let pos = match out
                    .iter()
                    .position(|r| r.name == g.name && r.state.type_name == slot.kind)
                {
                    Some(p) => p,
                    None => {
                        out.push(AllocRecord {
                            name: g.name.clone(),
                            state: GresJobState {
                                plugin_id: plugin_id(&g.name),
                                type_name: slot.kind.clone(),
                                node_cnt: node_cnt as u32,
                                gres_cnt_node_alloc: Some(vec![0; node_cnt]),
                                gres_bit_alloc: Some(vec![None; node_cnt]),
                                ..GresJobState::default()
                            },
                        });
                        out.len() - 1
                    }
                };
                let st = &mut out[pos].state;
                if let Some(v) = st.gres_cnt_node_alloc.as_mut() {
                    v[k] = count;
                }
                if let Some(v) = st.gres_bit_alloc.as_mut() {
                    v[k] = bits;
                }
                st.total_gres += count;
            }
        }
    }
    out
}

/// `job_gres_info` of kill-job messages: `gres_g_epilog_build_env` over
/// the job's requested GRES, i.e. per request the bitmap it holds on each
/// node (counts are not sent).
pub fn epilog_records(specs: &[&NodeSpec], gres: &[GresAlloc]) -> Vec<GresJobAlloc> {
    gres.iter()
        .filter(|g| EPILOG_PLUGINS.contains(&g.name.as_str()))
        .map(|g| GresJobAlloc {
            plugin_id: plugin_id(&g.name),
            node_cnt: specs.len() as u32,
            gres_cnt_node_alloc: None,
            gres_bit_alloc: Some(
                specs
                    .iter()
                    .enumerate()
                    .map(|(k, spec)| {
                        let ix = g.nodes.get(k)?.indices.as_ref()?;
                        let mut bm = Bitmap::new(total(&node_slots(spec, &g.name)) as u32);
                        ix.iter().for_each(|&i| bm.set(i));
                        Some(bm)
                    })
                    .collect(),
            ),
        })
        .collect()
}

/// `gres_ctld_job_build_details`: per node "gpu:a100:2(IDX:0-1)" (or
/// "gpu(CNT:2)" without bitmap), and the job's total "gpu:a100:4" (what
/// `scontrol -d` prints as JOB_GRES).
pub fn details(records: &[AllocRecord]) -> (Vec<String>, Option<String>) {
    let mut per_node: Vec<String> = Vec::new();
    let mut total: Option<String> = None;
    for r in records {
        let st = &r.state;
        let Some(bits) = st.gres_bit_alloc.as_ref() else {
            continue;
        };
        if per_node.is_empty() {
            per_node = vec![String::new(); st.node_cnt as usize];
        }
        let name = match &st.type_name {
            Some(t) => format!("{}:{t}", r.name),
            None => r.name.clone(),
        };
        let counts = st.gres_cnt_node_alloc.as_deref().unwrap_or_default();
        let mut sum = 0;
        for (j, s) in per_node.iter_mut().enumerate() {
            let cnt = counts.get(j).copied().unwrap_or(0);
            sum += cnt;
            let sep = if s.is_empty() { "" } else { "," };
            match bits.get(j).and_then(Option::as_ref) {
                Some(bm) => s.push_str(&format!("{sep}{name}:{cnt}(IDX:{})", bm.to_ranges())),
                None if cnt != 0 => s.push_str(&format!("{sep}{name}(CNT:{cnt})")),
                None => {}
            }
        }
        let t = total.get_or_insert_with(String::new);
        if !t.is_empty() {
            t.push(',');
        }
        t.push_str(&format!("{name}:{sum}"));
    }
    (per_node, total)
}

/// `gres_get_node_used`: a node's GRES in use, one entry per GresTypes name.
/// With device topology from the node's registration (gres.conf `File=`
/// plus `Type=` or `Cores=`) it is `gpu:a100:1(IDX:0)` per type
/// (`gpu:a100:0(IDX:N/A)` when idle); otherwise counts: `gpu:a100:1`, or
/// `gpu:1` for untyped GRES. None without GresTypes.
pub fn node_used(
    gres_types: &[String],
    spec: &NodeSpec,
    held: &[HeldGres],
    reported: &[GresSlurmdConf],
) -> Option<String> {
    if gres_types.is_empty() {
        return None;
    }
    let mut out: Vec<String> = Vec::new();
    for name in gres_types {
        let slots = node_slots(spec, name);
        let len = total(&slots);
        let recs: Vec<&GresSlurmdConf> = reported
            .iter()
            .filter(|r| r.name.as_deref() == Some(name.as_str()))
            .collect();
        let has_file = recs
            .iter()
            .any(|r| r.config_flags & GRES_CONF_HAS_FILE != 0);
        let has_topo = recs
            .iter()
            .any(|r| r.cpus.is_some() || r.type_name.is_some());
        let reported_total: u64 = recs.iter().map(|r| r.count).sum();
        if has_file && has_topo && reported_total == len && len <= MAX_GRES_BITMAP {
            let used = busy(held, name, len);
            // Types in registration order; each type's indices follow the
            // records' device order.
            let mut types: Vec<(Option<&str>, Bitmap)> = Vec::new();
            let mut first = 0u64;
            for r in &recs {
                let kind = r.type_name.as_deref();
                let pos = types
                    .iter()
                    .position(|(k, _)| *k == kind)
                    .unwrap_or_else(|| {
                        types.push((kind, Bitmap::new(len as u32)));
                        types.len() - 1
                    });
                (first..first + r.count).for_each(|i| types[pos].1.set(i as u32));
                first += r.count;
            }
            for (kind, mut bits) in types {
                for i in 0..len as u32 {
                    if !used.get(i) {
                        bits.clear(i);
                    }
                }
                let n = bits.count_ones();
                let idx = if n > 0 {
                    bits.to_ranges()
                } else {
                    "N/A".to_string()
                };
                out.push(format!(
                    "{name}:{}:{n}(IDX:{idx})",
                    kind.unwrap_or("(null)")
                ));
            }
            continue;
        }
        let held_of = |kind: Option<&str>| -> u64 {
            held.iter()
                .filter(|h| h.name == *name)
                .map(|h| match (&h.held.indices, kind) {
                    (Some(ix), Some(k)) => {
                        let slot = slots.iter().find(|s| s.kind.as_deref() == Some(k));
                        ix.iter()
                            .filter(|&&i| slot.is_some_and(|s| s.contains(i)))
                            .count() as u64
                    }
                    (None, Some(k)) if h.kind.as_deref() != Some(k) => 0,
                    _ => h.held.count,
                })
                .sum()
        };
        let typed: Vec<&str> = slots.iter().filter_map(|s| s.kind.as_deref()).collect();
        if typed.is_empty() {
            out.push(format!("{name}:{}", held_of(None)));
        } else {
            for k in typed {
                out.push(format!("{name}:{k}:{}", held_of(Some(k))));
            }
        }
    }
    Some(out.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(gres: &str) -> NodeSpec {
        let mut n = NodeSpec::simple("n1", 2, 2000);
        n.gres = Some(gres.into());
        n
    }

    fn item(name: &str, kind: Option<&str>, count: u64) -> GresItem {
        GresItem {
            name: name.into(),
            kind: kind.map(str::to_string),
            count,
        }
    }

    fn hold(job_id: u32, on: GresOnNode) -> HeldGres {
        HeldGres {
            job_id,
            name: "gpu".into(),
            kind: None,
            held: on,
        }
    }

    #[test]
    fn lowest_free_indices_of_the_requested_type() {
        let n = node("gpu:a100:2,gpu:v100:2");
        let got = pick(&n, &[], &[item("gpu", Some("v100"), 1)]).unwrap();
        assert_eq!(got[0].indices, Some(vec![2]));
        let held = vec![hold(
            1,
            GresOnNode {
                count: 1,
                indices: Some(vec![0]),
            },
        )];
        let got = pick(&n, &held, &[item("gpu", None, 2)]).unwrap();
        assert_eq!(got[0].indices, Some(vec![1, 2]));
        let got = pick(
            &n,
            &held,
            &[item("gpu", Some("a100"), 1), item("gpu", Some("a100"), 1)],
        );
        assert_eq!(got, None, "only one a100 is left");
        assert_eq!(pick(&n, &held, &[item("gpu", Some("h100"), 1)]), None);
    }

    #[test]
    fn records_follow_upstream_for_untyped_requests_on_typed_nodes() {
        let n = node("gpu:a100:2,gpu:v100:2");
        let alloc = GresAlloc {
            name: "gpu".into(),
            kind: None,
            nodes: vec![GresOnNode {
                count: 2,
                indices: Some(vec![1, 2]),
            }],
        };
        let recs = alloc_records(&[&n], std::slice::from_ref(&alloc));
        let kinds: Vec<_> = recs
            .iter()
            .map(|r| r.state.type_name.clone().unwrap())
            .collect();
        assert_eq!(kinds, ["a100", "v100"]);
        assert_eq!(recs[0].state.gres_cnt_node_alloc, Some(vec![1]));
        assert_eq!(recs[1].state.total_gres, 1);
        let (per_node, total) = details(&recs);
        assert_eq!(per_node, ["gpu:a100:1(IDX:1),gpu:v100:1(IDX:2)"]);
        assert_eq!(total.as_deref(), Some("gpu:a100:1,gpu:v100:1"));
        let epi = epilog_records(&[&n], &[alloc]);
        assert_eq!(
            epi[0].gres_bit_alloc.as_ref().unwrap()[0]
                .as_ref()
                .unwrap()
                .to_ranges(),
            "1-2"
        );
    }

    #[test]
    fn node_gres_used_with_and_without_topology() {
        let n = node("gpu:a100:2");
        let held = vec![hold(
            1,
            GresOnNode {
                count: 1,
                indices: Some(vec![1]),
            },
        )];
        let types = vec!["gpu".to_string()];
        assert_eq!(
            node_used(&types, &n, &held, &[]).as_deref(),
            Some("gpu:a100:1")
        );
        let reg = GresSlurmdConf {
            count: 2,
            config_flags: 0x9e6,
            plugin_id: plugin_id("gpu"),
            name: Some("gpu".into()),
            type_name: Some("a100".into()),
            ..GresSlurmdConf::default()
        };
        assert_eq!(
            node_used(&types, &n, &held, std::slice::from_ref(&reg)).as_deref(),
            Some("gpu:a100:1(IDX:1)")
        );
        assert_eq!(
            node_used(&types, &n, &[], &[reg]).as_deref(),
            Some("gpu:a100:0(IDX:N/A)")
        );
        assert_eq!(
            node_used(&types, &NodeSpec::simple("c1", 2, 100), &[], &[]).as_deref(),
            Some("gpu:0")
        );
        assert_eq!(node_used(&[], &n, &held, &[]), None);
    }
}
