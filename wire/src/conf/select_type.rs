//! `SelectTypeParameters` bits (upstream `CR_*` in `slurm.h`,
//! `parse_select_type_param` in `src/common/slurm_selecttype_info.c`).

/// `CR_CPU`: CPUs are the consumable resource.
pub const CR_CPU: u16 = 0x0001;
/// `CR_SOCKET`: sockets are consumable.
pub const CR_SOCKET: u16 = 0x0002;
/// `CR_CORE`: cores are consumable.
pub const CR_CORE: u16 = 0x0004;
/// `CR_BOARD`: boards are consumable.
pub const CR_BOARD: u16 = 0x0008;
/// `CR_MEMORY`: memory is consumable.
pub const CR_MEMORY: u16 = 0x0010;
/// `CR_OTHER_CONS_RES`.
pub const CR_OTHER_CONS_RES: u16 = 0x0020;
/// `CR_ONE_TASK_PER_CORE`.
pub const CR_ONE_TASK_PER_CORE: u16 = 0x0100;
/// `CR_PACK_NODES`.
pub const CR_PACK_NODES: u16 = 0x0200;
/// `CR_OTHER_CONS_TRES`.
pub const CR_OTHER_CONS_TRES: u16 = 0x0800;
/// `CR_CORE_DEFAULT_DIST_BLOCK`.
pub const CR_CORE_DEFAULT_DIST_BLOCK: u16 = 0x1000;
/// `CR_LLN`.
pub const CR_LLN: u16 = 0x4000;

/// Parse the comma-separated cluster-wide `SelectTypeParameters`.
pub fn parse(s: &str) -> Result<u16, String> {
    const WORDS: [(&str, u16); 13] = [
        ("CR_Socket", CR_SOCKET),
        ("CR_Socket_Memory", CR_SOCKET | CR_MEMORY),
        ("CR_Core", CR_CORE),
        ("CR_Core_Memory", CR_CORE | CR_MEMORY),
        ("CR_Memory", CR_MEMORY),
        ("CR_CPU", CR_CPU),
        ("CR_CPU_Memory", CR_CPU | CR_MEMORY),
        ("other_cons_res", CR_OTHER_CONS_RES),
        ("other_cons_tres", CR_OTHER_CONS_TRES),
        // Deprecated upstream and now implied by CR_Socket; accepted, no bit.
        ("CR_ALLOCATE_FULL_SOCKET", 0),
        ("CR_ONE_TASK_PER_CORE", CR_ONE_TASK_PER_CORE),
        ("CR_CORE_DEFAULT_DIST_BLOCK", CR_CORE_DEFAULT_DIST_BLOCK),
        ("CR_LLN", CR_LLN),
    ];
    let mut bits = 0;
    for word in s.split(',') {
        if word.eq_ignore_ascii_case("CR_PACK_NODES") {
            bits |= CR_PACK_NODES;
            continue;
        }
        let Some(&(_, b)) = WORDS.iter().find(|(w, _)| w.eq_ignore_ascii_case(word)) else {
            return Err(format!(
                "\"{word}\" is not a valid SelectTypeParameters word"
            ));
        };
        bits |= b;
    }
    if bits & CR_CPU != 0 && bits & CR_ONE_TASK_PER_CORE != 0 {
        return Err("CR_ONE_TASK_PER_CORE is incompatible with CR_CPU".to_string());
    }
    Ok(bits)
}
