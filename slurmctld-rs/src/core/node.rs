//! Node runtime state (`node_record_t`'s dynamic half).

/// `node_state` base values (low 4 bits).
pub mod base {
    /// NODE_STATE_UNKNOWN.
    pub const UNKNOWN: u32 = 0;
    /// NODE_STATE_DOWN.
    pub const DOWN: u32 = 1;
    /// NODE_STATE_IDLE.
    pub const IDLE: u32 = 2;
    /// NODE_STATE_ALLOCATED.
    pub const ALLOCATED: u32 = 3;
    /// NODE_STATE_FUTURE.
    pub const FUTURE: u32 = 6;
}

/// `node_state` flag bits.
pub mod flag {
    /// NODE_RESUME (an update request, never stored).
    pub const RESUME: u32 = 1 << 8;
    /// NODE_STATE_UNDRAIN (an update request).
    pub const UNDRAIN: u32 = 1 << 6;
    /// NODE_STATE_DRAIN.
    pub const DRAIN: u32 = 1 << 9;
    /// NODE_STATE_COMPLETING.
    pub const COMPLETING: u32 = 1 << 10;
    /// NODE_STATE_NO_RESPOND.
    pub const NO_RESPOND: u32 = 1 << 11;
    /// NODE_STATE_FAIL.
    pub const FAIL: u32 = 1 << 13;
    /// NODE_STATE_INVALID_REG: the last registration did not match slurm.conf.
    pub const INVALID_REG: u32 = 1 << 22;
    /// The base-state nibble.
    pub const BASE_MASK: u32 = 0xf;
}

/// The changing part of a node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeRuntime {
    /// Wire `node_state`: base + flags.
    pub state: u32,
    /// Admin reason (drain/down).
    pub reason: Option<String>,
    /// Who set the reason.
    pub reason_uid: u32,
    /// When the reason was set.
    pub reason_time: i64,
    /// Set once a slurmd has registered.
    pub registered: bool,
    /// slurmd's boot time.
    pub boot_time: i64,
    /// slurmd's start time.
    pub slurmd_start_time: i64,
    /// Last time it had a job.
    pub last_busy: i64,
    /// Reported slurmd version.
    pub version: Option<String>,
    /// Reported architecture.
    pub arch: Option<String>,
    /// Reported operating system.
    pub os: Option<String>,
    /// Protocol version the node's slurmd registered with (what we pack for it).
    pub protocol_version: wire::version::ProtocolVersion,
    /// Last time the node answered anything.
    pub last_response: i64,
    /// CPUs held by jobs.
    pub alloc_cpus: u16,
    /// MB held by jobs.
    pub alloc_mem: u64,
    /// GRES held by jobs (one entry per job and requested GRES).
    pub alloc_gres: Vec<super::gres::HeldGres>,
    /// The gres.conf records of the last registration (device topology).
    pub gres_reported: Vec<wire::msg::gres::GresSlurmdConf>,
    /// Core indices held by jobs.
    pub used_cores: Vec<u32>,
}

impl NodeRuntime {
    /// A node nobody has heard from yet: UNKNOWN (`unk`). Not responding
    /// (`unk*`) only once a ping has gone unanswered, as upstream.
    pub fn unregistered() -> Self {
        NodeRuntime {
            state: base::UNKNOWN,
            reason: None,
            reason_uid: wire::pack::NO_VAL,
            reason_time: 0,
            registered: false,
            boot_time: 0,
            slurmd_start_time: 0,
            last_busy: 0,
            version: None,
            arch: None,
            os: None,
            protocol_version: wire::version::ProtocolVersion::CURRENT,
            last_response: 0,
            alloc_cpus: 0,
            alloc_mem: 0,
            alloc_gres: Vec::new(),
            gres_reported: Vec::new(),
            used_cores: Vec::new(),
        }
    }

    /// Base state.
    pub fn base(&self) -> u32 {
        self.state & flag::BASE_MASK
    }

    /// Whether the scheduler may place work here (upstream's avail_node_bitmap:
    /// up, responding, not drained or failed).
    pub fn is_available(&self) -> bool {
        let b = self.base();
        (b == base::IDLE || b == base::ALLOCATED || b == 5)
            && self.state & (flag::DRAIN | flag::NO_RESPOND | flag::FAIL) == 0
    }
}
