//! Small srun/salloc-side messages (`src/common/slurm_protocol_pack.c`):
//! step task reports from slurmstepd and allocation bookkeeping.

use crate::msg::common::StepId;
use crate::pack::{DecodeError, DecodeResult, Packer, Unpacker};

/// RESPONSE_LAUNCH_TASKS body (`launch_tasks_response_msg_t`,
/// `_pack_launch_tasks_response_msg`), slurmstepd → srun.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LaunchTasksResponse {
    /// `step_id`.
    pub step_id: StepId,
    /// `return_code`.
    pub return_code: u32,
    /// `node_name`.
    pub node_name: Option<String>,
    /// `local_pids[count_of_pids]`.
    pub local_pids: Vec<u32>,
    /// `task_ids[count_of_pids]`: global task ids, same length as `local_pids`.
    pub task_ids: Vec<u32>,
}

impl LaunchTasksResponse {
    /// Packs it.
    pub fn pack(&self, p: &mut Packer) {
        self.step_id.pack(p);
        p.u32(self.return_code);
        p.str(self.node_name.as_deref());
        p.u32(self.local_pids.len() as u32);
        p.u32_array(&self.local_pids);
        p.u32_array(&self.task_ids);
    }

    /// Reads it; both arrays must have `count_of_pids` entries, as upstream checks.
    pub fn unpack(u: &mut Unpacker<'_>) -> DecodeResult<Self> {
        let step_id = StepId::unpack(u)?;
        let return_code = u.u32("launch_resp.return_code")?;
        let node_name = u.str("launch_resp.node_name")?;
        let count = u.u32("launch_resp.count_of_pids")?;
        let local_pids = u.u32_array("launch_resp.local_pids")?;
        let task_ids = u.u32_array("launch_resp.task_ids")?;
        if local_pids.len() as u64 != u64::from(count) || task_ids.len() != local_pids.len() {
            return Err(DecodeError::InvalidValue { field: "launch_resp.count_of_pids", value: count.into() });
        }
        Ok(LaunchTasksResponse { step_id, return_code, node_name, local_pids, task_ids })
    }
}

/// MESSAGE_TASK_EXIT body (`task_exit_msg_t`, `_pack_task_exit_msg`),
/// slurmstepd → srun for each group of tasks that exited with one status.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TaskExit {
    /// `return_code`: the wait status.
    pub return_code: u32,
    /// `task_id_list[num_tasks]` (global task ids).
    pub task_id_list: Vec<u32>,
    /// `step_id`.
    pub step_id: StepId,
}

impl TaskExit {
    /// Packs it.
    pub fn pack(&self, p: &mut Packer) {
        p.u32(self.return_code);
        p.u32(self.task_id_list.len() as u32);
        p.u32_array(&self.task_id_list);
        self.step_id.pack(p);
    }

    /// Reads it; `num_tasks` must equal the array's count, as upstream checks.
    pub fn unpack(u: &mut Unpacker<'_>) -> DecodeResult<Self> {
        let return_code = u.u32("task_exit.return_code")?;
        let n = u.u32("task_exit.num_tasks")?;
        let task_id_list = u.u32_array("task_exit.task_id_list")?;
        if task_id_list.len() as u64 != u64::from(n) {
            return Err(DecodeError::InvalidValue { field: "task_exit.num_tasks", value: n.into() });
        }
        Ok(TaskExit { return_code, task_id_list, step_id: StepId::unpack(u)? })
    }
}
