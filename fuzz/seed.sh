#!/bin/sh
# Seeds fuzz/corpus/<target>/ from the golden frames recorded from stock
# Slurm 22.05 (wire/tests/golden/**.bin: frames without the length prefix)
# and the slurm.conf files in the repository. The corpus is not committed.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
mkdir -p "$here/corpus/frame" "$here/corpus/message" "$here/corpus/conf"

# frame: the golden frames as they are.
find "$root/wire/tests/golden" -name '*.bin' | while read -r f; do
    name=$(echo "${f#"$root/wire/tests/golden/"}" | tr / _)
    cp "$f" "$here/corpus/frame/$name"
done

# message: the body of each golden frame, behind the two selector bytes
# that make the message target pick its type and version.
python3 - "$root" "$here/corpus/message" <<'PY'
import os, struct, sys
root, out = sys.argv[1], sys.argv[2]
# Must match TYPES in fuzz_targets/message.rs.
types = [1003, 1005, 1008, 1021, 1022, 2001, 2002, 2003, 2004, 2005, 2006, 2007,
         2008, 2009, 2010, 2021, 2024, 2025, 2039, 2040, 2049, 2050, 3001, 3002,
         3005, 4003, 4004, 4012, 4013, 5005, 5023, 5032, 5034, 8001, 8002]
versions = {0x2600: 0, 0x2500: 1, 0x2400: 2}
def unpack_frame(b):
    version, = struct.unpack_from('>H', b, 0)
    off = 2 + 2 + (2 if version < 0x2600 else 0)
    msg_type, body_len = struct.unpack_from('>HI', b, off); off += 6
    fwd, = struct.unpack_from('>H', b, off); off += 2
    if fwd:
        n, = struct.unpack_from('>I', b, off); off += 4 + n + 4 + 2
    off += 2  # ret_cnt
    fam, = struct.unpack_from('>H', b, off); off += 2
    off += {0: 0, 2: 6, 10: 18}.get(fam, 0)
    return version, msg_type, b[len(b) - body_len:]
for dirpath, _, files in os.walk(os.path.join(root, 'wire/tests/golden')):
    for f in files:
        if not f.endswith('.bin'):
            continue
        path = os.path.join(dirpath, f)
        try:
            version, msg_type, body = unpack_frame(open(path, 'rb').read())
        except struct.error:
            continue
        if msg_type not in types or version not in versions:
            continue
        sel = types.index(msg_type) + len(types) * versions[version]
        name = os.path.relpath(path, os.path.join(root, 'wire/tests/golden')).replace('/', '_')
        open(os.path.join(out, name), 'wb').write(struct.pack('>H', sel) + body)
PY

# conf: every slurm.conf-like file in the tree, plus hostlist expressions.
find "$root" -path "$root/target" -prune -o -path "$here" -prune -o \
     -type f \( -name '*.conf' -o -name 'slurm.conf*' \) -print | while read -r f; do
    cp "$f" "$here/corpus/conf/$(echo "${f#"$root/"}" | tr / _)"
done
printf 'n[1-3,5,007-010]' > "$here/corpus/conf/hostlist1"
printf 'rack[1-2]n[01-04],gpu[1-2] login' > "$here/corpus/conf/hostlist2"

# The decoder families (src/families.rs) and job credentials: written by
# the test that runs the same checks over the golden frames.
FUZZ_CORPUS="$here/corpus" cargo test -q --manifest-path "$root/Cargo.toml" \
    -p wire --test fuzz_seeds >/dev/null

for t in frame message conf batch_launch launch_tasks kill_job signal_tasks \
         step_create allocation node_registration job_desc credential; do
    echo "$t: $(ls "$here/corpus/$t" | wc -l) seeds"
done
