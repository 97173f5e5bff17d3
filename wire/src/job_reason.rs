//! Why a job is pending or how it failed (`enum job_state_reason` in
//! slurm.h); `as_str` is the text clients print (`job_reason_string`).

/// A job state reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct JobReason(pub u16);

impl JobReason {
    /// `WAIT_NO_REASON`.
    pub const WAIT_NO_REASON: JobReason = JobReason(0);
    /// `WAIT_PRIORITY`.
    pub const WAIT_PRIORITY: JobReason = JobReason(1);
    /// `WAIT_DEPENDENCY`.
    pub const WAIT_DEPENDENCY: JobReason = JobReason(2);
    /// `WAIT_RESOURCES`.
    pub const WAIT_RESOURCES: JobReason = JobReason(3);
    /// `WAIT_PART_NODE_LIMIT`.
    pub const WAIT_PART_NODE_LIMIT: JobReason = JobReason(4);
    /// `WAIT_PART_TIME_LIMIT`.
    pub const WAIT_PART_TIME_LIMIT: JobReason = JobReason(5);
    /// `WAIT_PART_DOWN`.
    pub const WAIT_PART_DOWN: JobReason = JobReason(6);
    /// `WAIT_PART_INACTIVE`.
    pub const WAIT_PART_INACTIVE: JobReason = JobReason(7);
    /// `WAIT_HELD`.
    pub const WAIT_HELD: JobReason = JobReason(8);
    /// `WAIT_TIME`.
    pub const WAIT_TIME: JobReason = JobReason(9);
    /// `WAIT_LICENSES`.
    pub const WAIT_LICENSES: JobReason = JobReason(10);
    /// `WAIT_ASSOC_JOB_LIMIT`.
    pub const WAIT_ASSOC_JOB_LIMIT: JobReason = JobReason(11);
    /// `WAIT_ASSOC_RESOURCE_LIMIT`.
    pub const WAIT_ASSOC_RESOURCE_LIMIT: JobReason = JobReason(12);
    /// `WAIT_ASSOC_TIME_LIMIT`.
    pub const WAIT_ASSOC_TIME_LIMIT: JobReason = JobReason(13);
    /// `WAIT_RESERVATION`.
    pub const WAIT_RESERVATION: JobReason = JobReason(14);
    /// `WAIT_NODE_NOT_AVAIL`.
    pub const WAIT_NODE_NOT_AVAIL: JobReason = JobReason(15);
    /// `WAIT_HELD_USER`.
    pub const WAIT_HELD_USER: JobReason = JobReason(16);
    /// `WAIT_FRONT_END`.
    pub const WAIT_FRONT_END: JobReason = JobReason(17);
    /// `FAIL_DEFER`.
    pub const FAIL_DEFER: JobReason = JobReason(18);
    /// `FAIL_DOWN_PARTITION`.
    pub const FAIL_DOWN_PARTITION: JobReason = JobReason(19);
    /// `FAIL_DOWN_NODE`.
    pub const FAIL_DOWN_NODE: JobReason = JobReason(20);
    /// `FAIL_BAD_CONSTRAINTS`.
    pub const FAIL_BAD_CONSTRAINTS: JobReason = JobReason(21);
    /// `FAIL_SYSTEM`.
    pub const FAIL_SYSTEM: JobReason = JobReason(22);
    /// `FAIL_LAUNCH`.
    pub const FAIL_LAUNCH: JobReason = JobReason(23);
    /// `FAIL_EXIT_CODE`.
    pub const FAIL_EXIT_CODE: JobReason = JobReason(24);
    /// `FAIL_TIMEOUT`.
    pub const FAIL_TIMEOUT: JobReason = JobReason(25);
    /// `FAIL_INACTIVE_LIMIT`.
    pub const FAIL_INACTIVE_LIMIT: JobReason = JobReason(26);
    /// `FAIL_ACCOUNT`.
    pub const FAIL_ACCOUNT: JobReason = JobReason(27);
    /// `FAIL_QOS`.
    pub const FAIL_QOS: JobReason = JobReason(28);
    /// `WAIT_QOS_THRES`.
    pub const WAIT_QOS_THRES: JobReason = JobReason(29);
    /// `WAIT_QOS_JOB_LIMIT`.
    pub const WAIT_QOS_JOB_LIMIT: JobReason = JobReason(30);
    /// `WAIT_QOS_RESOURCE_LIMIT`.
    pub const WAIT_QOS_RESOURCE_LIMIT: JobReason = JobReason(31);
    /// `WAIT_QOS_TIME_LIMIT`.
    pub const WAIT_QOS_TIME_LIMIT: JobReason = JobReason(32);
    /// `WAIT_BLOCK_MAX_ERR`.
    pub const WAIT_BLOCK_MAX_ERR: JobReason = JobReason(33);
    /// `WAIT_BLOCK_D_ACTION`.
    pub const WAIT_BLOCK_D_ACTION: JobReason = JobReason(34);
    /// `WAIT_CLEANING`.
    pub const WAIT_CLEANING: JobReason = JobReason(35);
    /// `WAIT_PROLOG`.
    pub const WAIT_PROLOG: JobReason = JobReason(36);
    /// `WAIT_QOS`.
    pub const WAIT_QOS: JobReason = JobReason(37);
    /// `WAIT_ACCOUNT`.
    pub const WAIT_ACCOUNT: JobReason = JobReason(38);
    /// `WAIT_DEP_INVALID`.
    pub const WAIT_DEP_INVALID: JobReason = JobReason(39);
    /// `WAIT_QOS_GRP_CPU`.
    pub const WAIT_QOS_GRP_CPU: JobReason = JobReason(40);
    /// `WAIT_QOS_GRP_CPU_MIN`.
    pub const WAIT_QOS_GRP_CPU_MIN: JobReason = JobReason(41);
    /// `WAIT_QOS_GRP_CPU_RUN_MIN`.
    pub const WAIT_QOS_GRP_CPU_RUN_MIN: JobReason = JobReason(42);
    /// `WAIT_QOS_GRP_JOB`.
    pub const WAIT_QOS_GRP_JOB: JobReason = JobReason(43);
    /// `WAIT_QOS_GRP_MEM`.
    pub const WAIT_QOS_GRP_MEM: JobReason = JobReason(44);
    /// `WAIT_QOS_GRP_NODE`.
    pub const WAIT_QOS_GRP_NODE: JobReason = JobReason(45);
    /// `WAIT_QOS_GRP_SUB_JOB`.
    pub const WAIT_QOS_GRP_SUB_JOB: JobReason = JobReason(46);
    /// `WAIT_QOS_GRP_WALL`.
    pub const WAIT_QOS_GRP_WALL: JobReason = JobReason(47);
    /// `WAIT_QOS_MAX_CPU_PER_JOB`.
    pub const WAIT_QOS_MAX_CPU_PER_JOB: JobReason = JobReason(48);
    /// `WAIT_QOS_MAX_CPU_MINS_PER_JOB`.
    pub const WAIT_QOS_MAX_CPU_MINS_PER_JOB: JobReason = JobReason(49);
    /// `WAIT_QOS_MAX_NODE_PER_JOB`.
    pub const WAIT_QOS_MAX_NODE_PER_JOB: JobReason = JobReason(50);
    /// `WAIT_QOS_MAX_WALL_PER_JOB`.
    pub const WAIT_QOS_MAX_WALL_PER_JOB: JobReason = JobReason(51);
    /// `WAIT_QOS_MAX_CPU_PER_USER`.
    pub const WAIT_QOS_MAX_CPU_PER_USER: JobReason = JobReason(52);
    /// `WAIT_QOS_MAX_JOB_PER_USER`.
    pub const WAIT_QOS_MAX_JOB_PER_USER: JobReason = JobReason(53);
    /// `WAIT_QOS_MAX_NODE_PER_USER`.
    pub const WAIT_QOS_MAX_NODE_PER_USER: JobReason = JobReason(54);
    /// `WAIT_QOS_MAX_SUB_JOB`.
    pub const WAIT_QOS_MAX_SUB_JOB: JobReason = JobReason(55);
    /// `WAIT_QOS_MIN_CPU`.
    pub const WAIT_QOS_MIN_CPU: JobReason = JobReason(56);
    /// `WAIT_ASSOC_GRP_CPU`.
    pub const WAIT_ASSOC_GRP_CPU: JobReason = JobReason(57);
    /// `WAIT_ASSOC_GRP_CPU_MIN`.
    pub const WAIT_ASSOC_GRP_CPU_MIN: JobReason = JobReason(58);
    /// `WAIT_ASSOC_GRP_CPU_RUN_MIN`.
    pub const WAIT_ASSOC_GRP_CPU_RUN_MIN: JobReason = JobReason(59);
    /// `WAIT_ASSOC_GRP_JOB`.
    pub const WAIT_ASSOC_GRP_JOB: JobReason = JobReason(60);
    /// `WAIT_ASSOC_GRP_MEM`.
    pub const WAIT_ASSOC_GRP_MEM: JobReason = JobReason(61);
    /// `WAIT_ASSOC_GRP_NODE`.
    pub const WAIT_ASSOC_GRP_NODE: JobReason = JobReason(62);
    /// `WAIT_ASSOC_GRP_SUB_JOB`.
    pub const WAIT_ASSOC_GRP_SUB_JOB: JobReason = JobReason(63);
    /// `WAIT_ASSOC_GRP_WALL`.
    pub const WAIT_ASSOC_GRP_WALL: JobReason = JobReason(64);
    /// `WAIT_ASSOC_MAX_JOBS`.
    pub const WAIT_ASSOC_MAX_JOBS: JobReason = JobReason(65);
    /// `WAIT_ASSOC_MAX_CPU_PER_JOB`.
    pub const WAIT_ASSOC_MAX_CPU_PER_JOB: JobReason = JobReason(66);
    /// `WAIT_ASSOC_MAX_CPU_MINS_PER_JOB`.
    pub const WAIT_ASSOC_MAX_CPU_MINS_PER_JOB: JobReason = JobReason(67);
    /// `WAIT_ASSOC_MAX_NODE_PER_JOB`.
    pub const WAIT_ASSOC_MAX_NODE_PER_JOB: JobReason = JobReason(68);
    /// `WAIT_ASSOC_MAX_WALL_PER_JOB`.
    pub const WAIT_ASSOC_MAX_WALL_PER_JOB: JobReason = JobReason(69);
    /// `WAIT_ASSOC_MAX_SUB_JOB`.
    pub const WAIT_ASSOC_MAX_SUB_JOB: JobReason = JobReason(70);
    /// `WAIT_MAX_REQUEUE`.
    pub const WAIT_MAX_REQUEUE: JobReason = JobReason(71);
    /// `WAIT_ARRAY_TASK_LIMIT`.
    pub const WAIT_ARRAY_TASK_LIMIT: JobReason = JobReason(72);
    /// `WAIT_BURST_BUFFER_RESOURCE`.
    pub const WAIT_BURST_BUFFER_RESOURCE: JobReason = JobReason(73);
    /// `WAIT_BURST_BUFFER_STAGING`.
    pub const WAIT_BURST_BUFFER_STAGING: JobReason = JobReason(74);
    /// `FAIL_BURST_BUFFER_OP`.
    pub const FAIL_BURST_BUFFER_OP: JobReason = JobReason(75);
    /// `WAIT_POWER_NOT_AVAIL`.
    pub const WAIT_POWER_NOT_AVAIL: JobReason = JobReason(76);
    /// `WAIT_POWER_RESERVED`.
    pub const WAIT_POWER_RESERVED: JobReason = JobReason(77);
    /// `WAIT_ASSOC_GRP_UNK`.
    pub const WAIT_ASSOC_GRP_UNK: JobReason = JobReason(78);
    /// `WAIT_ASSOC_GRP_UNK_MIN`.
    pub const WAIT_ASSOC_GRP_UNK_MIN: JobReason = JobReason(79);
    /// `WAIT_ASSOC_GRP_UNK_RUN_MIN`.
    pub const WAIT_ASSOC_GRP_UNK_RUN_MIN: JobReason = JobReason(80);
    /// `WAIT_ASSOC_MAX_UNK_PER_JOB`.
    pub const WAIT_ASSOC_MAX_UNK_PER_JOB: JobReason = JobReason(81);
    /// `WAIT_ASSOC_MAX_UNK_PER_NODE`.
    pub const WAIT_ASSOC_MAX_UNK_PER_NODE: JobReason = JobReason(82);
    /// `WAIT_ASSOC_MAX_UNK_MINS_PER_JOB`.
    pub const WAIT_ASSOC_MAX_UNK_MINS_PER_JOB: JobReason = JobReason(83);
    /// `WAIT_ASSOC_MAX_CPU_PER_NODE`.
    pub const WAIT_ASSOC_MAX_CPU_PER_NODE: JobReason = JobReason(84);
    /// `WAIT_ASSOC_GRP_MEM_MIN`.
    pub const WAIT_ASSOC_GRP_MEM_MIN: JobReason = JobReason(85);
    /// `WAIT_ASSOC_GRP_MEM_RUN_MIN`.
    pub const WAIT_ASSOC_GRP_MEM_RUN_MIN: JobReason = JobReason(86);
    /// `WAIT_ASSOC_MAX_MEM_PER_JOB`.
    pub const WAIT_ASSOC_MAX_MEM_PER_JOB: JobReason = JobReason(87);
    /// `WAIT_ASSOC_MAX_MEM_PER_NODE`.
    pub const WAIT_ASSOC_MAX_MEM_PER_NODE: JobReason = JobReason(88);
    /// `WAIT_ASSOC_MAX_MEM_MINS_PER_JOB`.
    pub const WAIT_ASSOC_MAX_MEM_MINS_PER_JOB: JobReason = JobReason(89);
    /// `WAIT_ASSOC_GRP_NODE_MIN`.
    pub const WAIT_ASSOC_GRP_NODE_MIN: JobReason = JobReason(90);
    /// `WAIT_ASSOC_GRP_NODE_RUN_MIN`.
    pub const WAIT_ASSOC_GRP_NODE_RUN_MIN: JobReason = JobReason(91);
    /// `WAIT_ASSOC_MAX_NODE_MINS_PER_JOB`.
    pub const WAIT_ASSOC_MAX_NODE_MINS_PER_JOB: JobReason = JobReason(92);
    /// `WAIT_ASSOC_GRP_ENERGY`.
    pub const WAIT_ASSOC_GRP_ENERGY: JobReason = JobReason(93);
    /// `WAIT_ASSOC_GRP_ENERGY_MIN`.
    pub const WAIT_ASSOC_GRP_ENERGY_MIN: JobReason = JobReason(94);
    /// `WAIT_ASSOC_GRP_ENERGY_RUN_MIN`.
    pub const WAIT_ASSOC_GRP_ENERGY_RUN_MIN: JobReason = JobReason(95);
    /// `WAIT_ASSOC_MAX_ENERGY_PER_JOB`.
    pub const WAIT_ASSOC_MAX_ENERGY_PER_JOB: JobReason = JobReason(96);
    /// `WAIT_ASSOC_MAX_ENERGY_PER_NODE`.
    pub const WAIT_ASSOC_MAX_ENERGY_PER_NODE: JobReason = JobReason(97);
    /// `WAIT_ASSOC_MAX_ENERGY_MINS_PER_JOB`.
    pub const WAIT_ASSOC_MAX_ENERGY_MINS_PER_JOB: JobReason = JobReason(98);
    /// `WAIT_ASSOC_GRP_GRES`.
    pub const WAIT_ASSOC_GRP_GRES: JobReason = JobReason(99);
    /// `WAIT_ASSOC_GRP_GRES_MIN`.
    pub const WAIT_ASSOC_GRP_GRES_MIN: JobReason = JobReason(100);
    /// `WAIT_ASSOC_GRP_GRES_RUN_MIN`.
    pub const WAIT_ASSOC_GRP_GRES_RUN_MIN: JobReason = JobReason(101);
    /// `WAIT_ASSOC_MAX_GRES_PER_JOB`.
    pub const WAIT_ASSOC_MAX_GRES_PER_JOB: JobReason = JobReason(102);
    /// `WAIT_ASSOC_MAX_GRES_PER_NODE`.
    pub const WAIT_ASSOC_MAX_GRES_PER_NODE: JobReason = JobReason(103);
    /// `WAIT_ASSOC_MAX_GRES_MINS_PER_JOB`.
    pub const WAIT_ASSOC_MAX_GRES_MINS_PER_JOB: JobReason = JobReason(104);
    /// `WAIT_ASSOC_GRP_LIC`.
    pub const WAIT_ASSOC_GRP_LIC: JobReason = JobReason(105);
    /// `WAIT_ASSOC_GRP_LIC_MIN`.
    pub const WAIT_ASSOC_GRP_LIC_MIN: JobReason = JobReason(106);
    /// `WAIT_ASSOC_GRP_LIC_RUN_MIN`.
    pub const WAIT_ASSOC_GRP_LIC_RUN_MIN: JobReason = JobReason(107);
    /// `WAIT_ASSOC_MAX_LIC_PER_JOB`.
    pub const WAIT_ASSOC_MAX_LIC_PER_JOB: JobReason = JobReason(108);
    /// `WAIT_ASSOC_MAX_LIC_MINS_PER_JOB`.
    pub const WAIT_ASSOC_MAX_LIC_MINS_PER_JOB: JobReason = JobReason(109);
    /// `WAIT_ASSOC_GRP_BB`.
    pub const WAIT_ASSOC_GRP_BB: JobReason = JobReason(110);
    /// `WAIT_ASSOC_GRP_BB_MIN`.
    pub const WAIT_ASSOC_GRP_BB_MIN: JobReason = JobReason(111);
    /// `WAIT_ASSOC_GRP_BB_RUN_MIN`.
    pub const WAIT_ASSOC_GRP_BB_RUN_MIN: JobReason = JobReason(112);
    /// `WAIT_ASSOC_MAX_BB_PER_JOB`.
    pub const WAIT_ASSOC_MAX_BB_PER_JOB: JobReason = JobReason(113);
    /// `WAIT_ASSOC_MAX_BB_PER_NODE`.
    pub const WAIT_ASSOC_MAX_BB_PER_NODE: JobReason = JobReason(114);
    /// `WAIT_ASSOC_MAX_BB_MINS_PER_JOB`.
    pub const WAIT_ASSOC_MAX_BB_MINS_PER_JOB: JobReason = JobReason(115);
    /// `WAIT_QOS_GRP_UNK`.
    pub const WAIT_QOS_GRP_UNK: JobReason = JobReason(116);
    /// `WAIT_QOS_GRP_UNK_MIN`.
    pub const WAIT_QOS_GRP_UNK_MIN: JobReason = JobReason(117);
    /// `WAIT_QOS_GRP_UNK_RUN_MIN`.
    pub const WAIT_QOS_GRP_UNK_RUN_MIN: JobReason = JobReason(118);
    /// `WAIT_QOS_MAX_UNK_PER_JOB`.
    pub const WAIT_QOS_MAX_UNK_PER_JOB: JobReason = JobReason(119);
    /// `WAIT_QOS_MAX_UNK_PER_NODE`.
    pub const WAIT_QOS_MAX_UNK_PER_NODE: JobReason = JobReason(120);
    /// `WAIT_QOS_MAX_UNK_PER_USER`.
    pub const WAIT_QOS_MAX_UNK_PER_USER: JobReason = JobReason(121);
    /// `WAIT_QOS_MAX_UNK_MINS_PER_JOB`.
    pub const WAIT_QOS_MAX_UNK_MINS_PER_JOB: JobReason = JobReason(122);
    /// `WAIT_QOS_MIN_UNK`.
    pub const WAIT_QOS_MIN_UNK: JobReason = JobReason(123);
    /// `WAIT_QOS_MAX_CPU_PER_NODE`.
    pub const WAIT_QOS_MAX_CPU_PER_NODE: JobReason = JobReason(124);
    /// `WAIT_QOS_GRP_MEM_MIN`.
    pub const WAIT_QOS_GRP_MEM_MIN: JobReason = JobReason(125);
    /// `WAIT_QOS_GRP_MEM_RUN_MIN`.
    pub const WAIT_QOS_GRP_MEM_RUN_MIN: JobReason = JobReason(126);
    /// `WAIT_QOS_MAX_MEM_MINS_PER_JOB`.
    pub const WAIT_QOS_MAX_MEM_MINS_PER_JOB: JobReason = JobReason(127);
    /// `WAIT_QOS_MAX_MEM_PER_JOB`.
    pub const WAIT_QOS_MAX_MEM_PER_JOB: JobReason = JobReason(128);
    /// `WAIT_QOS_MAX_MEM_PER_NODE`.
    pub const WAIT_QOS_MAX_MEM_PER_NODE: JobReason = JobReason(129);
    /// `WAIT_QOS_MAX_MEM_PER_USER`.
    pub const WAIT_QOS_MAX_MEM_PER_USER: JobReason = JobReason(130);
    /// `WAIT_QOS_MIN_MEM`.
    pub const WAIT_QOS_MIN_MEM: JobReason = JobReason(131);
    /// `WAIT_QOS_GRP_ENERGY`.
    pub const WAIT_QOS_GRP_ENERGY: JobReason = JobReason(132);
    /// `WAIT_QOS_GRP_ENERGY_MIN`.
    pub const WAIT_QOS_GRP_ENERGY_MIN: JobReason = JobReason(133);
    /// `WAIT_QOS_GRP_ENERGY_RUN_MIN`.
    pub const WAIT_QOS_GRP_ENERGY_RUN_MIN: JobReason = JobReason(134);
    /// `WAIT_QOS_MAX_ENERGY_PER_JOB`.
    pub const WAIT_QOS_MAX_ENERGY_PER_JOB: JobReason = JobReason(135);
    /// `WAIT_QOS_MAX_ENERGY_PER_NODE`.
    pub const WAIT_QOS_MAX_ENERGY_PER_NODE: JobReason = JobReason(136);
    /// `WAIT_QOS_MAX_ENERGY_PER_USER`.
    pub const WAIT_QOS_MAX_ENERGY_PER_USER: JobReason = JobReason(137);
    /// `WAIT_QOS_MAX_ENERGY_MINS_PER_JOB`.
    pub const WAIT_QOS_MAX_ENERGY_MINS_PER_JOB: JobReason = JobReason(138);
    /// `WAIT_QOS_MIN_ENERGY`.
    pub const WAIT_QOS_MIN_ENERGY: JobReason = JobReason(139);
    /// `WAIT_QOS_GRP_NODE_MIN`.
    pub const WAIT_QOS_GRP_NODE_MIN: JobReason = JobReason(140);
    /// `WAIT_QOS_GRP_NODE_RUN_MIN`.
    pub const WAIT_QOS_GRP_NODE_RUN_MIN: JobReason = JobReason(141);
    /// `WAIT_QOS_MAX_NODE_MINS_PER_JOB`.
    pub const WAIT_QOS_MAX_NODE_MINS_PER_JOB: JobReason = JobReason(142);
    /// `WAIT_QOS_MIN_NODE`.
    pub const WAIT_QOS_MIN_NODE: JobReason = JobReason(143);
    /// `WAIT_QOS_GRP_GRES`.
    pub const WAIT_QOS_GRP_GRES: JobReason = JobReason(144);
    /// `WAIT_QOS_GRP_GRES_MIN`.
    pub const WAIT_QOS_GRP_GRES_MIN: JobReason = JobReason(145);
    /// `WAIT_QOS_GRP_GRES_RUN_MIN`.
    pub const WAIT_QOS_GRP_GRES_RUN_MIN: JobReason = JobReason(146);
    /// `WAIT_QOS_MAX_GRES_PER_JOB`.
    pub const WAIT_QOS_MAX_GRES_PER_JOB: JobReason = JobReason(147);
    /// `WAIT_QOS_MAX_GRES_PER_NODE`.
    pub const WAIT_QOS_MAX_GRES_PER_NODE: JobReason = JobReason(148);
    /// `WAIT_QOS_MAX_GRES_PER_USER`.
    pub const WAIT_QOS_MAX_GRES_PER_USER: JobReason = JobReason(149);
    /// `WAIT_QOS_MAX_GRES_MINS_PER_JOB`.
    pub const WAIT_QOS_MAX_GRES_MINS_PER_JOB: JobReason = JobReason(150);
    /// `WAIT_QOS_MIN_GRES`.
    pub const WAIT_QOS_MIN_GRES: JobReason = JobReason(151);
    /// `WAIT_QOS_GRP_LIC`.
    pub const WAIT_QOS_GRP_LIC: JobReason = JobReason(152);
    /// `WAIT_QOS_GRP_LIC_MIN`.
    pub const WAIT_QOS_GRP_LIC_MIN: JobReason = JobReason(153);
    /// `WAIT_QOS_GRP_LIC_RUN_MIN`.
    pub const WAIT_QOS_GRP_LIC_RUN_MIN: JobReason = JobReason(154);
    /// `WAIT_QOS_MAX_LIC_PER_JOB`.
    pub const WAIT_QOS_MAX_LIC_PER_JOB: JobReason = JobReason(155);
    /// `WAIT_QOS_MAX_LIC_PER_USER`.
    pub const WAIT_QOS_MAX_LIC_PER_USER: JobReason = JobReason(156);
    /// `WAIT_QOS_MAX_LIC_MINS_PER_JOB`.
    pub const WAIT_QOS_MAX_LIC_MINS_PER_JOB: JobReason = JobReason(157);
    /// `WAIT_QOS_MIN_LIC`.
    pub const WAIT_QOS_MIN_LIC: JobReason = JobReason(158);
    /// `WAIT_QOS_GRP_BB`.
    pub const WAIT_QOS_GRP_BB: JobReason = JobReason(159);
    /// `WAIT_QOS_GRP_BB_MIN`.
    pub const WAIT_QOS_GRP_BB_MIN: JobReason = JobReason(160);
    /// `WAIT_QOS_GRP_BB_RUN_MIN`.
    pub const WAIT_QOS_GRP_BB_RUN_MIN: JobReason = JobReason(161);
    /// `WAIT_QOS_MAX_BB_PER_JOB`.
    pub const WAIT_QOS_MAX_BB_PER_JOB: JobReason = JobReason(162);
    /// `WAIT_QOS_MAX_BB_PER_NODE`.
    pub const WAIT_QOS_MAX_BB_PER_NODE: JobReason = JobReason(163);
    /// `WAIT_QOS_MAX_BB_PER_USER`.
    pub const WAIT_QOS_MAX_BB_PER_USER: JobReason = JobReason(164);
    /// `WAIT_QOS_MAX_BB_MINS_PER_JOB`.
    pub const WAIT_QOS_MAX_BB_MINS_PER_JOB: JobReason = JobReason(165);
    /// `WAIT_QOS_MIN_BB`.
    pub const WAIT_QOS_MIN_BB: JobReason = JobReason(166);
    /// `FAIL_DEADLINE`.
    pub const FAIL_DEADLINE: JobReason = JobReason(167);
    /// `WAIT_QOS_MAX_BB_PER_ACCT`.
    pub const WAIT_QOS_MAX_BB_PER_ACCT: JobReason = JobReason(168);
    /// `WAIT_QOS_MAX_CPU_PER_ACCT`.
    pub const WAIT_QOS_MAX_CPU_PER_ACCT: JobReason = JobReason(169);
    /// `WAIT_QOS_MAX_ENERGY_PER_ACCT`.
    pub const WAIT_QOS_MAX_ENERGY_PER_ACCT: JobReason = JobReason(170);
    /// `WAIT_QOS_MAX_GRES_PER_ACCT`.
    pub const WAIT_QOS_MAX_GRES_PER_ACCT: JobReason = JobReason(171);
    /// `WAIT_QOS_MAX_NODE_PER_ACCT`.
    pub const WAIT_QOS_MAX_NODE_PER_ACCT: JobReason = JobReason(172);
    /// `WAIT_QOS_MAX_LIC_PER_ACCT`.
    pub const WAIT_QOS_MAX_LIC_PER_ACCT: JobReason = JobReason(173);
    /// `WAIT_QOS_MAX_MEM_PER_ACCT`.
    pub const WAIT_QOS_MAX_MEM_PER_ACCT: JobReason = JobReason(174);
    /// `WAIT_QOS_MAX_UNK_PER_ACCT`.
    pub const WAIT_QOS_MAX_UNK_PER_ACCT: JobReason = JobReason(175);
    /// `WAIT_QOS_MAX_JOB_PER_ACCT`.
    pub const WAIT_QOS_MAX_JOB_PER_ACCT: JobReason = JobReason(176);
    /// `WAIT_QOS_MAX_SUB_JOB_PER_ACCT`.
    pub const WAIT_QOS_MAX_SUB_JOB_PER_ACCT: JobReason = JobReason(177);
    /// `WAIT_PART_CONFIG`.
    pub const WAIT_PART_CONFIG: JobReason = JobReason(178);
    /// `WAIT_ACCOUNT_POLICY`.
    pub const WAIT_ACCOUNT_POLICY: JobReason = JobReason(179);
    /// `WAIT_FED_JOB_LOCK`.
    pub const WAIT_FED_JOB_LOCK: JobReason = JobReason(180);
    /// `FAIL_OOM`.
    pub const FAIL_OOM: JobReason = JobReason(181);
    /// `WAIT_PN_MEM_LIMIT`.
    pub const WAIT_PN_MEM_LIMIT: JobReason = JobReason(182);
    /// `WAIT_ASSOC_GRP_BILLING`.
    pub const WAIT_ASSOC_GRP_BILLING: JobReason = JobReason(183);
    /// `WAIT_ASSOC_GRP_BILLING_MIN`.
    pub const WAIT_ASSOC_GRP_BILLING_MIN: JobReason = JobReason(184);
    /// `WAIT_ASSOC_GRP_BILLING_RUN_MIN`.
    pub const WAIT_ASSOC_GRP_BILLING_RUN_MIN: JobReason = JobReason(185);
    /// `WAIT_ASSOC_MAX_BILLING_PER_JOB`.
    pub const WAIT_ASSOC_MAX_BILLING_PER_JOB: JobReason = JobReason(186);
    /// `WAIT_ASSOC_MAX_BILLING_PER_NODE`.
    pub const WAIT_ASSOC_MAX_BILLING_PER_NODE: JobReason = JobReason(187);
    /// `WAIT_ASSOC_MAX_BILLING_MINS_PER_JOB`.
    pub const WAIT_ASSOC_MAX_BILLING_MINS_PER_JOB: JobReason = JobReason(188);
    /// `WAIT_QOS_GRP_BILLING`.
    pub const WAIT_QOS_GRP_BILLING: JobReason = JobReason(189);
    /// `WAIT_QOS_GRP_BILLING_MIN`.
    pub const WAIT_QOS_GRP_BILLING_MIN: JobReason = JobReason(190);
    /// `WAIT_QOS_GRP_BILLING_RUN_MIN`.
    pub const WAIT_QOS_GRP_BILLING_RUN_MIN: JobReason = JobReason(191);
    /// `WAIT_QOS_MAX_BILLING_PER_JOB`.
    pub const WAIT_QOS_MAX_BILLING_PER_JOB: JobReason = JobReason(192);
    /// `WAIT_QOS_MAX_BILLING_PER_NODE`.
    pub const WAIT_QOS_MAX_BILLING_PER_NODE: JobReason = JobReason(193);
    /// `WAIT_QOS_MAX_BILLING_PER_USER`.
    pub const WAIT_QOS_MAX_BILLING_PER_USER: JobReason = JobReason(194);
    /// `WAIT_QOS_MAX_BILLING_MINS_PER_JOB`.
    pub const WAIT_QOS_MAX_BILLING_MINS_PER_JOB: JobReason = JobReason(195);
    /// `WAIT_QOS_MAX_BILLING_PER_ACCT`.
    pub const WAIT_QOS_MAX_BILLING_PER_ACCT: JobReason = JobReason(196);
    /// `WAIT_QOS_MIN_BILLING`.
    pub const WAIT_QOS_MIN_BILLING: JobReason = JobReason(197);
    /// `WAIT_RESV_DELETED`.
    pub const WAIT_RESV_DELETED: JobReason = JobReason(198);

    /// The text upstream prints for this reason.
    pub fn as_str(self) -> &'static str {
        match self.0 {
            0 => "None",
            1 => "Priority",
            2 => "Dependency",
            3 => "Resources",
            4 => "PartitionNodeLimit",
            5 => "PartitionTimeLimit",
            6 => "PartitionDown",
            7 => "PartitionInactive",
            8 => "JobHeldAdmin",
            9 => "BeginTime",
            10 => "Licenses",
            11 => "AssociationJobLimit",
            12 => "AssociationResourceLimit",
            13 => "AssociationTimeLimit",
            14 => "Reservation",
            15 => "ReqNodeNotAvail",
            16 => "JobHeldUser",
            17 => "FrontEndDown",
            18 => "SchedDefer",
            19 => "PartitionDown",
            20 => "NodeDown",
            21 => "BadConstraints",
            22 => "SystemFailure",
            23 => "JobLaunchFailure",
            24 => "NonZeroExitCode",
            25 => "TimeLimit",
            26 => "InactiveLimit",
            27 => "InvalidAccount",
            28 => "InvalidQOS",
            29 => "QOSUsageThreshold",
            30 => "QOSJobLimit",
            31 => "QOSResourceLimit",
            32 => "QOSTimeLimit",
            33 => "BlockMaxError",
            34 => "BlockFreeAction",
            35 => "Cleaning",
            36 => "Prolog",
            37 => "QOSNotAllowed",
            38 => "AccountNotAllowed",
            39 => "DependencyNeverSatisfied",
            40 => "QOSGrpCpuLimit",
            41 => "QOSGrpCPUMinutesLimit",
            42 => "QOSGrpCPURunMinutesLimit",
            43 => "QOSGrpMemLimit",
            44 => "QOSGrpMemLimit",
            45 => "QOSGrpNodeLimit",
            46 => "QOSGrpSubmitJobsLimit",
            47 => "QOSGrpWallLimit",
            48 => "QOSMaxCpuPerJobLimit",
            49 => "QOSMaxCpuMinutesPerJobLimit",
            50 => "QOSMaxNodePerJobLimit",
            51 => "QOSMaxWallDurationPerJobLimit",
            52 => "QOSMaxCpuPerUserLimit",
            53 => "QOSMaxJobsPerUserLimit",
            54 => "QOSMaxNodePerUserLimit",
            55 => "QOSMaxSubmitJobPerUserLimit",
            56 => "QOSMinCpuNotSatisfied",
            57 => "AssocGrpCpuLimit",
            58 => "AssocGrpCPUMinutesLimit",
            59 => "AssocGrpCPURunMinutesLimit",
            60 => "AssocGrpMemLimit",
            61 => "AssocGrpMemLimit",
            62 => "AssocGrpNodeLimit",
            63 => "AssocGrpSubmitJobsLimit",
            64 => "AssocGrpWallLimit",
            65 => "AssocMaxJobsLimit",
            66 => "AssocMaxCpuPerJobLimit",
            67 => "AssocMaxCpuMinutesPerJobLimit",
            68 => "AssocMaxNodePerJobLimit",
            69 => "AssocMaxWallDurationPerJobLimit",
            70 => "AssocMaxSubmitJobLimit",
            71 => "JobHoldMaxRequeue",
            72 => "JobArrayTaskLimit",
            73 => "BurstBufferResources",
            74 => "BurstBufferStageIn",
            75 => "BurstBufferOperation",
            76 => "PowerNotAvail",
            77 => "PowerReserved",
            78 => "AssocGrpUnknown",
            79 => "AssocGrpUnknownMinutes",
            80 => "AssocGrpUnknownRunMinutes",
            81 => "AssocMaxUnknownPerJob",
            82 => "AssocMaxUnknownPerNode",
            83 => "AssocMaxUnknownMinutesPerJob",
            84 => "AssocMaxCpuPerNode",
            85 => "AssocGrpMemMinutes",
            86 => "AssocGrpMemRunMinutes",
            87 => "AssocMaxMemPerJob",
            88 => "AssocMaxMemPerNode",
            89 => "AssocMaxMemMinutesPerJob",
            90 => "AssocGrpNodeMinutes",
            91 => "AssocGrpNodeRunMinutes",
            92 => "AssocMaxNodeMinutesPerJob",
            93 => "AssocGrpEnergy",
            94 => "AssocGrpEnergyMinutes",
            95 => "AssocGrpEnergyRunMinutes",
            96 => "AssocMaxEnergyPerJob",
            97 => "AssocMaxEnergyPerNode",
            98 => "AssocMaxEnergyMinutesPerJob",
            99 => "AssocGrpGRES",
            100 => "AssocGrpGRESMinutes",
            101 => "AssocGrpGRESRunMinutes",
            102 => "AssocMaxGRESPerJob",
            103 => "AssocMaxGRESPerNode",
            104 => "AssocMaxGRESMinutesPerJob",
            105 => "AssocGrpLicense",
            106 => "AssocGrpLicenseMinutes",
            107 => "AssocGrpLicenseRunMinutes",
            108 => "AssocMaxLicensePerJob",
            109 => "AssocMaxLicenseMinutesPerJob",
            110 => "AssocGrpBB",
            111 => "AssocGrpBBMinutes",
            112 => "AssocGrpBBRunMinutes",
            113 => "AssocMaxBBPerJob",
            114 => "AssocMaxBBPerNode",
            115 => "AssocMaxBBMinutesPerJob",
            116 => "QOSGrpUnknown",
            117 => "QOSGrpUnknownMinutes",
            118 => "QOSGrpUnknownRunMinutes",
            119 => "QOSMaxUnknownPerJob",
            120 => "QOSMaxUnknownPerNode",
            121 => "QOSMaxUnknownPerUser",
            122 => "QOSMaxUnknownMinutesPerJob",
            123 => "QOSMinUnknown",
            124 => "QOSMaxCpuPerNode",
            125 => "QOSGrpMemoryMinutes",
            126 => "QOSGrpMemoryRunMinutes",
            127 => "QOSMaxMemoryMinutesPerJob",
            128 => "QOSMaxMemoryPerJob",
            129 => "QOSMaxMemoryPerNode",
            130 => "QOSMaxMemoryPerUser",
            131 => "QOSMinMemory",
            132 => "QOSGrpEnergy",
            133 => "QOSGrpEnergyMinutes",
            134 => "QOSGrpEnergyRunMinutes",
            135 => "QOSMaxEnergyPerJob",
            136 => "QOSMaxEnergyPerNode",
            137 => "QOSMaxEnergyPerUser",
            138 => "QOSMaxEnergyMinutesPerJob",
            139 => "QOSMinEnergy",
            140 => "QOSGrpNodeMinutes",
            141 => "QOSGrpNodeRunMinutes",
            142 => "QOSMaxNodeMinutesPerJob",
            143 => "QOSMinNode",
            144 => "QOSGrpGRES",
            145 => "QOSGrpGRESMinutes",
            146 => "QOSGrpGRESRunMinutes",
            147 => "QOSMaxGRESPerJob",
            148 => "QOSMaxGRESPerNode",
            149 => "QOSMaxGRESPerUser",
            150 => "QOSMaxGRESMinutesPerJob",
            151 => "QOSMinGRES",
            152 => "QOSGrpLicense",
            153 => "QOSGrpLicenseMinutes",
            154 => "QOSGrpLicenseRunMinutes",
            155 => "QOSMaxLicensePerJob",
            156 => "QOSMaxLicensePerUser",
            157 => "QOSMaxLicenseMinutesPerJob",
            158 => "QOSMinLicense",
            159 => "QOSGrpBB",
            160 => "QOSGrpBBMinutes",
            161 => "QOSGrpBBRunMinutes",
            162 => "QOSMaxBBPerJob",
            163 => "QOSMaxBBPerNode",
            164 => "QOSMaxBBPerUser",
            165 => "AssocMaxBBMinutesPerJob",
            166 => "QOSMinBB",
            167 => "DeadLine",
            168 => "MaxBBPerAccount",
            169 => "MaxCpuPerAccount",
            170 => "MaxEnergyPerAccount",
            171 => "MaxGRESPerAccount",
            172 => "MaxNodePerAccount",
            173 => "MaxLicensePerAccount",
            174 => "MaxMemoryPerAccount",
            175 => "MaxUnknownPerAccount",
            176 => "MaxJobsPerAccount",
            177 => "MaxSubmitJobsPerAccount",
            178 => "PartitionConfig",
            179 => "AccountingPolicy",
            180 => "FedJobLock",
            181 => "OutOfMemory",
            182 => "MaxMemPerLimit",
            183 => "AssocGrpBilling",
            184 => "AssocGrpBillingMinutes",
            185 => "AssocGrpBillingRunMinutes",
            186 => "AssocMaxBillingPerJob",
            187 => "AssocMaxBillingPerNode",
            188 => "AssocMaxBillingMinutesPerJob",
            189 => "QOSGrpBilling",
            190 => "QOSGrpBillingMinutes",
            191 => "QOSGrpBillingRunMinutes",
            192 => "QOSMaxBillingPerJob",
            193 => "QOSMaxBillingPerNode",
            194 => "QOSMaxBillingPerUser",
            195 => "QOSMaxBillingMinutesPerJob",
            196 => "MaxBillingPerAccount",
            197 => "QOSMinBilling",
            198 => "ReservationDeleted",
            _ => "?",
        }
    }
}
