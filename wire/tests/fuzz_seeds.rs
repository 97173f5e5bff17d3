//! Runs every fuzz family's check (fuzz/src/families.rs) over the golden
//! frames recorded from stock Slurm 22.05, the fuzzers' seed corpus, so
//! the property the fuzzers check holds on real traffic in a plain
//! `cargo test`. With FUZZ_CORPUS=dir set it also writes the seeds there,
//! one folder per target (fuzz/seed.sh does).

#[path = "../../fuzz/src/families.rs"]
mod families;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use wire::frame;
use wire::msg::Message;
use wire::pack::Packer;

fn golden_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("golden dir") {
        let path = entry.unwrap().path();
        if path.is_dir() {
            golden_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "bin") {
            out.push(path);
        }
    }
}

/// (target, seed name, input) for every golden frame some family takes.
fn seeds() -> Vec<(&'static str, String, Vec<u8>)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let mut files = Vec::new();
    golden_files(&root, &mut files);
    files.sort();
    let mut out = Vec::new();
    for path in files {
        let bytes = std::fs::read(&path).unwrap();
        let Ok(f) = frame::decode(&bytes) else {
            continue;
        };
        let name = path
            .strip_prefix(&root)
            .unwrap()
            .to_string_lossy()
            .replace('/', "_");
        let (t, v) = (f.header.msg_type, f.header.version);
        for (target, types) in families::MESSAGE_FAMILIES {
            if let Some(sel) = families::selector(types, t, v) {
                out.push((*target, name.clone(), [&sel[..], f.body].concat()));
            }
        }
        if let Some(cred) = credential_of(t, v, f.body) {
            let vi = families::VERSIONS.iter().position(|&x| x == v).unwrap() as u8;
            out.push(("credential", name, [&[vi][..], &cred].concat()));
        }
    }
    out
}

/// The packed credential inside a launch request.
fn credential_of(t: u16, v: wire::version::ProtocolVersion, body: &[u8]) -> Option<Vec<u8>> {
    let cred = match Message::unpack(t, v, body).ok()? {
        Message::BatchJobLaunch(m) => m.cred,
        Message::LaunchTasks(m) => m.cred,
        _ => return None,
    };
    let mut p = Packer::new();
    cred.pack(&mut p);
    Some(p.as_slice().to_vec())
}

#[test]
fn every_family_round_trips_its_seeds() {
    let seeds = seeds();
    let mut per_target: BTreeMap<&str, usize> = BTreeMap::new();
    for (target, name, input) in &seeds {
        let check = std::panic::catch_unwind(|| match *target {
            "credential" => families::credential_round_trip(input),
            _ => {
                let types = families::MESSAGE_FAMILIES
                    .iter()
                    .find(|(n, _)| n == target)
                    .unwrap()
                    .1;
                families::message_round_trip(types, input)
            }
        });
        assert!(check.is_ok(), "{target}: seed {name} fails its round trip");
        *per_target.entry(target).or_default() += 1;
    }
    println!("seeds per target: {per_target:?}");
    // Every target has real traffic to start from.
    let targets = families::MESSAGE_FAMILIES.iter().map(|(n, _)| *n);
    for target in targets.chain(["credential"]) {
        assert!(
            per_target.contains_key(target),
            "no seed for {target}: {per_target:?}"
        );
    }
    if let Some(dir) = std::env::var_os("FUZZ_CORPUS") {
        for (target, name, input) in &seeds {
            let d = Path::new(&dir).join(target);
            std::fs::create_dir_all(&d).unwrap();
            std::fs::write(d.join(name), input).unwrap();
        }
    }
}
