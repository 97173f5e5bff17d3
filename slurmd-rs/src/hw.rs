//! What this host has: CPU topology, memory, temporary disk and uptime, as
//! upstream slurmd reports them at registration and prints with `-C`
//! (`_print_config` in `src/slurmd/slurmd/slurmd.c`; `get_memory`,
//! `get_tmp_disk`, `get_up_time` in `src/slurmd/slurmd/get_mach_stat.c`;
//! `xcpuinfo_hwloc_topo_get` in `src/common/xcpuinfo.c`).
//!
//! Every parser takes text or a root directory so tests feed canned
//! `/proc` and `/sys` contents.

use std::collections::BTreeSet;
use std::path::Path;

/// CPU layout of a node (the `CPUs=… Boards=… SocketsPerBoard=…
/// CoresPerSocket=… ThreadsPerCore=…` part of a NodeName line).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CpuTopology {
    /// Logical CPUs online (`actual_cpus`).
    pub cpus: u16,
    /// Baseboards (`actual_boards`); always 1 on Linux as hwloc reports it.
    pub boards: u16,
    /// Sockets in total (`actual_sockets`).
    pub sockets: u16,
    /// Cores in each socket (`actual_cores`).
    pub cores_per_socket: u16,
    /// Hardware threads in each core (`actual_threads`).
    pub threads_per_core: u16,
}

impl CpuTopology {
    /// A single-socket, single-thread-per-core layout of `cpus` CPUs: what
    /// upstream falls back to when it cannot see the topology.
    pub fn flat(cpus: u16) -> Self {
        let cpus = cpus.max(1);
        CpuTopology {
            cpus,
            boards: 1,
            sockets: 1,
            cores_per_socket: cpus,
            threads_per_core: 1,
        }
    }

    /// Sockets on each board (`SocketsPerBoard`).
    pub fn sockets_per_board(&self) -> u16 {
        self.sockets / self.boards.max(1)
    }

    /// Builds the layout from one (socket id, core id) pair per online CPU.
    fn from_cpus(cpus: &[(u32, u32)]) -> Option<Self> {
        if cpus.is_empty() {
            return None;
        }
        let sockets: BTreeSet<u32> = cpus.iter().map(|c| c.0).collect();
        let cores: BTreeSet<(u32, u32)> = cpus.iter().copied().collect();
        let n = u16::try_from(cpus.len()).unwrap_or(u16::MAX);
        let nsockets = u16::try_from(sockets.len()).unwrap_or(u16::MAX).max(1);
        let ncores = u16::try_from(cores.len()).unwrap_or(u16::MAX).max(1);
        Some(CpuTopology {
            cpus: n,
            boards: 1,
            sockets: nsockets,
            cores_per_socket: (ncores / nsockets).max(1),
            threads_per_core: (n / ncores).max(1),
        })
    }
}

/// Parses `/proc/cpuinfo`: one (physical id, core id) per `processor`
/// stanza. Stanzas without ids (some VMs, non-x86) count as one core each on
/// socket 0, which is how upstream's non-hwloc path treats them.
pub fn parse_cpuinfo(text: &str) -> Option<CpuTopology> {
    let mut cpus = Vec::new();
    let mut current: Option<(Option<u32>, Option<u32>)> = None;
    let mut next_anon = 0u32;
    let mut flush = |cur: Option<(Option<u32>, Option<u32>)>, cpus: &mut Vec<(u32, u32)>| {
        if let Some((pkg, core)) = cur {
            let core = core.unwrap_or_else(|| {
                next_anon += 1;
                u32::MAX - next_anon
            });
            cpus.push((pkg.unwrap_or(0), core));
        }
    };
    for line in text.lines() {
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        let (key, value) = (key.trim(), value.trim());
        match key {
            "processor" => {
                flush(current.take(), &mut cpus);
                current = Some((None, None));
            }
            "physical id" => {
                if let Some(c) = current.as_mut() {
                    c.0 = value.parse().ok();
                }
            }
            "core id" => {
                if let Some(c) = current.as_mut() {
                    c.1 = value.parse().ok();
                }
            }
            _ => {}
        }
    }
    flush(current.take(), &mut cpus);
    CpuTopology::from_cpus(&cpus)
}

/// Reads the topology from a sysfs tree rooted at `sys` (normally `/sys`):
/// every online `devices/system/cpu/cpuN` with its
/// `topology/physical_package_id` and `topology/core_id`.
pub fn topology_from_sysfs(sys: &Path) -> Option<CpuTopology> {
    let base = sys.join("devices/system/cpu");
    let entries = std::fs::read_dir(&base).ok()?;
    let mut cpus = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let Some(num) = name.strip_prefix("cpu") else {
            continue;
        };
        if num.is_empty() || !num.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let dir = entry.path();
        // cpu0 often has no "online" file: it cannot be taken offline.
        if let Ok(online) = std::fs::read_to_string(dir.join("online")) {
            if online.trim() != "1" {
                continue;
            }
        }
        let read = |f: &str| -> Option<u32> {
            let v = std::fs::read_to_string(dir.join("topology").join(f)).ok()?;
            // physical_package_id is -1 where the kernel does not know it.
            let v: i64 = v.trim().parse().ok()?;
            Some(u32::try_from(v).unwrap_or(0))
        };
        let (Some(pkg), Some(core)) = (read("physical_package_id"), read("core_id")) else {
            return None;
        };
        cpus.push((pkg, core));
    }
    CpuTopology::from_cpus(&cpus)
}

/// This host's topology: sysfs first, then `/proc/cpuinfo`, then the CPU
/// count alone.
pub fn cpu_topology() -> CpuTopology {
    if let Some(t) = topology_from_sysfs(Path::new("/sys")) {
        return t;
    }
    if let Some(t) = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .as_deref()
        .and_then(parse_cpuinfo)
    {
        return t;
    }
    let n = std::thread::available_parallelism().map_or(1, |n| n.get());
    CpuTopology::flat(u16::try_from(n).unwrap_or(u16::MAX))
}

/// RealMemory in MB from `/proc/meminfo` text. Upstream multiplies
/// `sysconf(_SC_PHYS_PAGES)` (MemTotal in pages) as a C `float` by the page
/// size in MB and truncates; the `f32` step is kept so that very large
/// memories round exactly as upstream's do.
pub fn parse_real_memory(meminfo: &str, page_size: u64) -> Option<u64> {
    let kb: u64 = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()?;
    let page_size = page_size.max(1);
    let pages = kb.saturating_mul(1024) / page_size;
    let mb = f64::from(pages as f32) * (page_size as f64 / 1_048_576.0);
    Some(mb as u64)
}

/// The system page size.
pub fn page_size() -> u64 {
    // SAFETY: sysconf has no memory-safety preconditions.
    let v = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    u64::try_from(v).ok().filter(|&v| v > 0).unwrap_or(4096)
}

/// This host's RealMemory in MB (1 when it cannot be read, as upstream).
pub fn real_memory() -> u64 {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|t| parse_real_memory(&t, page_size()))
        .unwrap_or(1)
}

/// TmpDisk in MB: the size (not free space) of the file system holding
/// `tmp_fs` (default `/tmp`). A missing directory counts as 0, like
/// upstream; other errors are returned.
pub fn tmp_disk(tmp_fs: Option<&str>) -> std::io::Result<u32> {
    let path = tmp_fs.filter(|s| !s.is_empty()).unwrap_or("/tmp");
    match nix::sys::statvfs::statvfs(path) {
        Ok(st) => {
            // fsblkcnt_t / c_ulong are 32 bits on some targets.
            #[allow(clippy::unnecessary_cast)]
            let total =
                (st.blocks() as u64).saturating_mul(st.fragment_size() as u64) / (1024 * 1024);
            Ok(u32::try_from(total).unwrap_or(u32::MAX))
        }
        Err(nix::errno::Errno::ENOENT) => Ok(0),
        Err(e) => Err(std::io::Error::from(e)),
    }
}

/// Seconds since boot (`sysinfo(2)` uptime, as upstream).
pub fn uptime() -> u64 {
    // SAFETY: sysinfo only writes into the struct we pass.
    let mut info: libc::sysinfo = unsafe { std::mem::zeroed() };
    // SAFETY: info is a valid, writable sysinfo struct.
    if unsafe { libc::sysinfo(&mut info) } != 0 {
        return 0;
    }
    u64::try_from(info.uptime).unwrap_or(0)
}

/// `UpTime=` value: `days-HH:MM:SS`.
pub fn format_uptime(secs: u64) -> String {
    format!(
        "{}-{:02}:{:02}:{:02}",
        secs / 86400,
        (secs / 3600) % 24,
        (secs / 60) % 60,
        secs % 60
    )
}

/// The host name cut at the first dot (`gethostname_short`).
pub fn short_hostname() -> String {
    let name = nix::unistd::gethostname()
        .map(|h| h.to_string_lossy().into_owned())
        .unwrap_or_default();
    name.split('.').next().unwrap_or("").to_string()
}

/// The two lines `slurmd -C` prints.
pub fn config_lines(hostname: &str, t: &CpuTopology, real_memory: u64, uptime: u64) -> String {
    format!(
        "NodeName={hostname} CPUs={} Boards={} SocketsPerBoard={} CoresPerSocket={} ThreadsPerCore={} RealMemory={real_memory}\nUpTime={}\n",
        t.cpus,
        t.boards,
        t.sockets_per_board(),
        t.cores_per_socket,
        t.threads_per_core,
        format_uptime(uptime)
    )
}

/// Everything slurmd reports about the host at registration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hardware {
    /// CPU layout.
    pub topology: CpuTopology,
    /// RealMemory (MB).
    pub real_memory: u64,
    /// TmpDisk (MB).
    pub tmp_disk: u32,
    /// Seconds since boot.
    pub uptime: u64,
}

impl Hardware {
    /// Probes this host; `tmp_fs` is slurm.conf's TmpFS.
    pub fn detect(tmp_fs: Option<&str>) -> Self {
        Hardware {
            topology: cpu_topology(),
            real_memory: real_memory(),
            tmp_disk: tmp_disk(tmp_fs).unwrap_or(0),
            uptime: uptime(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CPUINFO_2S_HT: &str = "\
processor\t: 0\nphysical id\t: 0\ncore id\t\t: 0\n\n\
processor\t: 1\nphysical id\t: 0\ncore id\t\t: 1\n\n\
processor\t: 2\nphysical id\t: 1\ncore id\t\t: 0\n\n\
processor\t: 3\nphysical id\t: 1\ncore id\t\t: 1\n\n\
processor\t: 4\nphysical id\t: 0\ncore id\t\t: 0\n\n\
processor\t: 5\nphysical id\t: 0\ncore id\t\t: 1\n\n\
processor\t: 6\nphysical id\t: 1\ncore id\t\t: 0\n\n\
processor\t: 7\nphysical id\t: 1\ncore id\t\t: 1\n";

    #[test]
    fn cpuinfo_two_sockets_hyperthreaded() {
        let t = parse_cpuinfo(CPUINFO_2S_HT).unwrap();
        assert_eq!(
            t,
            CpuTopology {
                cpus: 8,
                boards: 1,
                sockets: 2,
                cores_per_socket: 2,
                threads_per_core: 2
            }
        );
    }

    #[test]
    fn cpuinfo_without_ids_is_flat() {
        let t = parse_cpuinfo("processor : 0\nmodel : x\n\nprocessor : 1\nmodel : x\n").unwrap();
        assert_eq!(t, CpuTopology::flat(2));
        assert_eq!(parse_cpuinfo(""), None);
        assert_eq!(parse_cpuinfo("garbage\n:::\n"), None);
    }

    fn fake_sys(cpus: &[(u32, i64, u32, Option<&str>)]) -> tempfile::TempDir {
        let d = tempfile::tempdir().unwrap();
        for &(n, pkg, core, online) in cpus {
            let c = d.path().join(format!("devices/system/cpu/cpu{n}"));
            std::fs::create_dir_all(c.join("topology")).unwrap();
            std::fs::write(c.join("topology/physical_package_id"), format!("{pkg}\n")).unwrap();
            std::fs::write(c.join("topology/core_id"), format!("{core}\n")).unwrap();
            if let Some(o) = online {
                std::fs::write(c.join("online"), o).unwrap();
            }
        }
        // Entries that are not CPUs must be ignored.
        std::fs::create_dir_all(d.path().join("devices/system/cpu/cpufreq")).unwrap();
        std::fs::create_dir_all(d.path().join("devices/system/cpu/cpuidle")).unwrap();
        d
    }

    #[test]
    fn sysfs_topology() {
        let d = fake_sys(&[(0, 0, 0, None), (1, 0, 1, Some("1\n"))]);
        assert_eq!(
            topology_from_sysfs(d.path()).unwrap(),
            CpuTopology {
                cpus: 2,
                boards: 1,
                sockets: 1,
                cores_per_socket: 2,
                threads_per_core: 1
            }
        );
        let d = fake_sys(&[
            (0, 0, 0, None),
            (1, 0, 4, Some("1")),
            (2, 1, 0, Some("1")),
            (3, 1, 4, Some("1")),
            (4, 0, 0, Some("1")),
            (5, 0, 4, Some("1")),
            (6, 1, 0, Some("1")),
            (7, 1, 4, Some("1")),
            (8, 1, 8, Some("0")),
        ]);
        let t = topology_from_sysfs(d.path()).unwrap();
        assert_eq!(
            t,
            CpuTopology {
                cpus: 8,
                boards: 1,
                sockets: 2,
                cores_per_socket: 2,
                threads_per_core: 2
            }
        );
        assert_eq!(t.sockets_per_board(), 2);
        assert_eq!(topology_from_sysfs(&d.path().join("nope")), None);
    }

    #[test]
    fn sysfs_unknown_package() {
        let d = fake_sys(&[(0, -1, 0, None)]);
        assert_eq!(topology_from_sysfs(d.path()).unwrap(), CpuTopology::flat(1));
    }

    #[test]
    fn memory_as_upstream_rounds_it() {
        let m = "MemTotal:       24683652 kB\nMemFree:  1 kB\n";
        assert_eq!(parse_real_memory(m, 4096), Some(24105));
        assert_eq!(parse_real_memory("MemTotal: 1048576 kB", 4096), Some(1024));
        // 1 TiB + a bit: the float step matters (pages beyond 2^24).
        assert_eq!(
            parse_real_memory("MemTotal: 1073741823 kB", 4096),
            Some(1_048_576)
        );
        assert_eq!(parse_real_memory("MemFree: 3 kB", 4096), None);
        assert_eq!(parse_real_memory("MemTotal: lots kB", 4096), None);
    }

    #[test]
    fn uptime_format() {
        assert_eq!(format_uptime(2639), "0-00:43:59");
        assert_eq!(format_uptime(86400 * 3 + 3600 * 5 + 61), "3-05:01:01");
    }

    #[test]
    fn config_line_format() {
        let t = CpuTopology {
            cpus: 2,
            boards: 1,
            sockets: 1,
            cores_per_socket: 2,
            threads_per_core: 1,
        };
        assert_eq!(
            config_lines("vm", &t, 24105, 2639),
            "NodeName=vm CPUs=2 Boards=1 SocketsPerBoard=1 CoresPerSocket=2 ThreadsPerCore=1 RealMemory=24105\nUpTime=0-00:43:59\n"
        );
    }

    #[test]
    fn tmp_disk_missing_dir_is_zero() {
        assert_eq!(tmp_disk(Some("/nonexistent/dir/for/test")).unwrap(), 0);
        assert!(tmp_disk(None).unwrap() > 0);
    }
}
