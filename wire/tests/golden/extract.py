#!/usr/bin/env python3
"""Developer tool: cut real Slurm 22.05 frames out of pcaps into golden files.

Usage: extract.py OUTDIR FILE.pcap [...]   (needs tshark)
Writes OUTDIR/<capture>/<stream>-<seq>-<req|resp>-<msgtype>.bin, each holding one
frame without its u32 length prefix (header, auth blob, body). Only normal
(non-slurmdbd) messages are kept. The tests never run this; they read the files.
"""
import os, struct, subprocess, sys

def streams(pcap):
    out = subprocess.run(["tshark", "-r", pcap, "-T", "fields", "-e", "tcp.stream"],
                         capture_output=True, text=True).stdout.split()
    return sorted({int(s) for s in out if s})

def follow(pcap, idx):
    out = subprocess.run(["tshark", "-r", pcap, "-q", "-z", f"follow,tcp,raw,{idx}"],
                         capture_output=True, text=True).stdout
    data = {0: b"", 1: b""}
    for line in out.splitlines():
        if line and not line.startswith("=") and ":" not in line:
            d = 1 if line.startswith("\t") else 0
            data[d] += bytes.fromhex(line.strip())
    return data

def frames(buf):
    off = 0
    while off + 4 <= len(buf):
        (n,) = struct.unpack(">I", buf[off:off + 4])
        yield buf[off + 4: off + 4 + n]
        off += 4 + n

def main():
    outdir = sys.argv[1]
    for pcap in sys.argv[2:]:
        cap = os.path.basename(pcap)[:-5]
        for s in streams(pcap):
            data = follow(pcap, s)
            for d, tag in ((0, "req"), (1, "resp")):
                for i, fr in enumerate(frames(data[d])):
                    if fr[0:2] != b"\x26\x00":
                        continue  # slurmdbd framing
                    mtype = struct.unpack(">H", fr[4:6])[0]
                    os.makedirs(os.path.join(outdir, cap), exist_ok=True)
                    with open(os.path.join(outdir, cap, f"{s}-{i}-{tag}-{mtype}.bin"), "wb") as f:
                        f.write(fr)

main()
