//! RESPONSE_NODE_INFO (2008): node records (`_pack_node` in upstream's
//! node_mgr.c). One record per node-table slot, hidden nodes as blank records,
//! so that partition and job bitmaps stay aligned with the node order.

use super::common::{Energy, ExtSensors, SelectNodeInfo};
use crate::pack::{DecodeResult, Packer, Unpacker};
use crate::version::ProtocolVersion;

/// One node record (`node_info_t`), 22.05 layout.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NodeInfo {
    /// `name`.
    pub name: Option<String>,
    /// `node_hostname`.
    pub node_hostname: Option<String>,
    /// `node_addr`.
    pub node_addr: Option<String>,
    /// `bcast_address`.
    pub bcast_address: Option<String>,
    /// `port`.
    pub port: u16,
    /// `next_state`.
    pub next_state: u32,
    /// `node_state`.
    pub node_state: u32,
    /// `version`.
    pub version: Option<String>,
    /// `cpus`.
    pub cpus: u16,
    /// `boards`.
    pub boards: u16,
    /// `sockets`.
    pub sockets: u16,
    /// `cores`.
    pub cores: u16,
    /// `threads`.
    pub threads: u16,
    /// `real_memory`.
    pub real_memory: u64,
    /// `tmp_disk`.
    pub tmp_disk: u32,
    /// `mcs_label`.
    pub mcs_label: Option<String>,
    /// `owner`.
    pub owner: u32,
    /// `core_spec_cnt`.
    pub core_spec_cnt: u16,
    /// `cpu_bind`.
    pub cpu_bind: u32,
    /// `mem_spec_limit`.
    pub mem_spec_limit: u64,
    /// `cpu_spec_list`.
    pub cpu_spec_list: Option<String>,
    /// `cpus_efctv`.
    pub cpus_efctv: u16,
    /// `cpu_load`.
    pub cpu_load: u32,
    /// `free_mem`.
    pub free_mem: u64,
    /// `weight`.
    pub weight: u32,
    /// `reason_uid`.
    pub reason_uid: u32,
    /// `boot_time`.
    pub boot_time: i64,
    /// `last_busy`.
    pub last_busy: i64,
    /// `reason_time`.
    pub reason_time: i64,
    /// `slurmd_start_time`.
    pub slurmd_start_time: i64,
    /// `select_nodeinfo`.
    pub select_nodeinfo: SelectNodeInfo,
    /// `arch`.
    pub arch: Option<String>,
    /// `features`.
    pub features: Option<String>,
    /// `features_act`.
    pub features_act: Option<String>,
    /// `gres`.
    pub gres: Option<String>,
    /// `gres_drain`.
    pub gres_drain: Option<String>,
    /// `gres_used`.
    pub gres_used: Option<String>,
    /// `os`.
    pub os: Option<String>,
    /// `comment`.
    pub comment: Option<String>,
    /// `extra`.
    pub extra: Option<String>,
    /// `reason`.
    pub reason: Option<String>,
    /// `energy`.
    pub energy: Energy,
    /// `ext_sensors`.
    pub ext_sensors: ExtSensors,
    /// `power_cap_watts`.
    pub power_cap_watts: u32,
    /// `tres_fmt_str`.
    pub tres_fmt_str: Option<String>,
}

impl NodeInfo {
    /// Packs one record.
    pub fn pack(&self, p: &mut Packer) {
        p.str(self.name.as_deref());
        p.str(self.node_hostname.as_deref());
        p.str(self.node_addr.as_deref());
        p.str(self.bcast_address.as_deref());
        p.u16(self.port);
        p.u32(self.next_state);
        p.u32(self.node_state);
        p.str(self.version.as_deref());
        p.u16(self.cpus);
        p.u16(self.boards);
        p.u16(self.sockets);
        p.u16(self.cores);
        p.u16(self.threads);
        p.u64(self.real_memory);
        p.u32(self.tmp_disk);
        p.str(self.mcs_label.as_deref());
        p.u32(self.owner);
        p.u16(self.core_spec_cnt);
        p.u32(self.cpu_bind);
        p.u64(self.mem_spec_limit);
        p.str(self.cpu_spec_list.as_deref());
        p.u16(self.cpus_efctv);
        p.u32(self.cpu_load);
        p.u64(self.free_mem);
        p.u32(self.weight);
        p.u32(self.reason_uid);
        p.time(self.boot_time);
        p.time(self.last_busy);
        p.time(self.reason_time);
        p.time(self.slurmd_start_time);
        self.select_nodeinfo.pack(p);
        p.str(self.arch.as_deref());
        p.str(self.features.as_deref());
        p.str(self.features_act.as_deref());
        p.str(self.gres.as_deref());
        p.str(self.gres_drain.as_deref());
        p.str(self.gres_used.as_deref());
        p.str(self.os.as_deref());
        p.str(self.comment.as_deref());
        p.str(self.extra.as_deref());
        p.str(self.reason.as_deref());
        self.energy.pack(p);
        self.ext_sensors.pack(p);
        p.u32(self.power_cap_watts);
        p.str(self.tres_fmt_str.as_deref());
    }

    /// Reads one record.
    pub fn unpack(u: &mut Unpacker<'_>) -> DecodeResult<Self> {
        Ok(NodeInfo {
            name: u.str("node.name")?,
            node_hostname: u.str("node.node_hostname")?,
            node_addr: u.str("node.node_addr")?,
            bcast_address: u.str("node.bcast_address")?,
            port: u.u16("node.port")?,
            next_state: u.u32("node.next_state")?,
            node_state: u.u32("node.node_state")?,
            version: u.str("node.version")?,
            cpus: u.u16("node.cpus")?,
            boards: u.u16("node.boards")?,
            sockets: u.u16("node.sockets")?,
            cores: u.u16("node.cores")?,
            threads: u.u16("node.threads")?,
            real_memory: u.u64("node.real_memory")?,
            tmp_disk: u.u32("node.tmp_disk")?,
            mcs_label: u.str("node.mcs_label")?,
            owner: u.u32("node.owner")?,
            core_spec_cnt: u.u16("node.core_spec_cnt")?,
            cpu_bind: u.u32("node.cpu_bind")?,
            mem_spec_limit: u.u64("node.mem_spec_limit")?,
            cpu_spec_list: u.str("node.cpu_spec_list")?,
            cpus_efctv: u.u16("node.cpus_efctv")?,
            cpu_load: u.u32("node.cpu_load")?,
            free_mem: u.u64("node.free_mem")?,
            weight: u.u32("node.weight")?,
            reason_uid: u.u32("node.reason_uid")?,
            boot_time: u.time("node.boot_time")?,
            last_busy: u.time("node.last_busy")?,
            reason_time: u.time("node.reason_time")?,
            slurmd_start_time: u.time("node.slurmd_start_time")?,
            select_nodeinfo: SelectNodeInfo::unpack(u)?,
            arch: u.str("node.arch")?,
            features: u.str("node.features")?,
            features_act: u.str("node.features_act")?,
            gres: u.str("node.gres")?,
            gres_drain: u.str("node.gres_drain")?,
            gres_used: u.str("node.gres_used")?,
            os: u.str("node.os")?,
            comment: u.str("node.comment")?,
            extra: u.str("node.extra")?,
            reason: u.str("node.reason")?,
            energy: Energy::unpack(u)?,
            ext_sensors: ExtSensors::unpack(u)?,
            power_cap_watts: u.u32("node.power_cap_watts")?,
            tres_fmt_str: u.str("node.tres_fmt_str")?,
        })
    }
}

/// RESPONSE_NODE_INFO body: `u32 count · time last_update` + records.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NodeInfoResponse {
    /// When the node table was packed.
    pub last_update: i64,
    /// The records.
    pub nodes: Vec<NodeInfo>,
}

impl NodeInfoResponse {
    /// Packs the body.
    pub fn pack(&self, p: &mut Packer, _version: ProtocolVersion) {
        p.u32(self.nodes.len() as u32);
        p.time(self.last_update);
        for n in &self.nodes {
            n.pack(p);
        }
    }
    /// Reads the body (22.05 layout).
    pub fn unpack(u: &mut Unpacker<'_>, version: ProtocolVersion) -> DecodeResult<Self> {
        super::require_22_05(version)?;
        let n = u.count("node_info.record_count", 64)?;
        let last_update = u.time("node_info.last_update")?;
        let mut nodes = Vec::with_capacity(n);
        for _ in 0..n {
            nodes.push(NodeInfo::unpack(u)?);
        }
        Ok(NodeInfoResponse { last_update, nodes })
    }
}
