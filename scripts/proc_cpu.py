"""Samples a process's CPU time (user + system, from /proc/PID/stat) and that of its child
nvidia-smi, once a second, as CSV `epoch_ms,pid,comm,cpu_s`, until the process exits."""
import argparse
import os
import time

TICK = os.sysconf("SC_CLK_TCK")


def cpu_of(pid):
    with open(f"/proc/{pid}/stat") as f:
        raw = f.read()
    comm = raw[raw.index("(") + 1 : raw.rindex(")")]
    fields = raw[raw.rindex(")") + 2 :].split()
    return comm, (int(fields[11]) + int(fields[12])) / TICK


def children(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(p) for p in f.read().split()]
    except OSError:
        return []


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pid", type=int, required=True)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    with open(a.out, "w", buffering=1) as f:
        f.write("epoch_ms,pid,comm,cpu_s\n")
        while True:
            now = time.time() * 1000
            try:
                comm, cpu = cpu_of(a.pid)
            except OSError:
                return
            f.write(f"{now:.0f},{a.pid},{comm},{cpu:.2f}\n")
            for c in children(a.pid):
                try:
                    ccomm, ccpu = cpu_of(c)
                except OSError:
                    continue
                if ccomm == "nvidia-smi":
                    f.write(f"{now:.0f},{c},{ccomm},{ccpu:.2f}\n")
            time.sleep(1)


if __name__ == "__main__":
    main()
