"""Figures of a real-GPU run (docs/real-gpu.md) from the folder scripts/real-gpu-device.sh brings
back: per load point the throughput per GPU, interactivity, energy per token, and the agent's
integrated energy against NVML's total-energy counter over the same window; the agent's CPU.

  python3 scripts/real-gpu-report.py RUN_FOLDER
"""
import bisect
import csv
import json
import sys
from datetime import datetime


def nvml_series(path):
    t, e = [], []
    with open(path) as f:
        for row in csv.DictReader(f):
            if row["gpu"] == "0":
                t.append(float(row["epoch_ms"]))
                e.append(float(row["energy_mj"]))
    return t, e


def at(t, e, ms):
    """the counter at `ms`, linear between the readings around it"""
    i = bisect.bisect_left(t, ms)
    if i <= 0 or i >= len(t):
        raise ValueError(f"{ms} outside the NVML log")
    return e[i - 1] + (e[i] - e[i - 1]) * (ms - t[i - 1]) / (t[i] - t[i - 1])


def cpu_series(path, comm="node"):
    rows = []
    with open(path) as f:
        for row in csv.DictReader(f):
            if row["comm"] == comm:
                rows.append((float(row["epoch_ms"]), float(row["cpu_s"])))
    return rows


def cpu_share(rows, t0, t1):
    """CPU seconds per wall second between t0 and t1 (epoch ms), from the 1 s samples inside"""
    inside = [r for r in rows if t0 <= r[0] <= t1]
    if len(inside) < 2:
        return None
    return (inside[-1][1] - inside[0][1]) / ((inside[-1][0] - inside[0][0]) / 1000)


def iso_ms(s):
    return datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp() * 1000


def main(folder):
    res = json.load(open(f"{folder}/results.json"))["items"]
    t, e = nvml_series(f"{folder}/nvml-energy.csv")
    cpu = cpu_series(f"{folder}/agent-cpu.csv")
    smi = cpu_series(f"{folder}/agent-cpu.csv", "nvidia-smi")
    print("| conc | tok/s/GPU (in+out) | output tok/s | interactivity tok/s/user | median TTFT ms | J/output token | agent J | NVML J | error % | window s |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    errors = []
    for it in sorted(res, key=lambda r: r["concurrency"]):
        b = it["result"]["bench"]
        en = it["result"].get("energy") or {}
        t0, t1 = b["benchmark_start_time_unix"] * 1000, b["benchmark_end_time_unix"] * 1000
        nv = (at(t, e, t1) - at(t, e, t0)) / 1000
        agent = en.get("totalEnergyJ")
        err = None if agent is None else (agent - nv) / nv * 100
        if err is not None:
            errors.append(abs(err))
        jpt = en.get("joulesPerOutputToken")
        print(
            f"| {it['concurrency']} | {it['tputPerGpu']:.0f} | {it['outputThroughput']:.0f} | {it['interactivity']:.1f} | "
            f"{it['medianTtftMs']:.0f} | {jpt:.3f} | {agent:.0f} | {nv:.0f} | {err:+.2f} | {(t1 - t0) / 1000:.1f} |"
        )
    print(f"\nlargest energy error: {max(errors):.2f} % over {len(errors)} points")
    first, last = res[0], max(res, key=lambda r: r["finishedAt"])
    starts = sorted(iso_ms(r["startedAt"]) for r in res)
    idle_from = iso_ms(last["finishedAt"]) + 5000
    idle = cpu_share(cpu, idle_from, cpu[-1][0]) if cpu else None
    run = cpu_share(cpu, starts[0], iso_ms(last["finishedAt"]))
    before = cpu_share(cpu, cpu[0][0] + 2000, starts[0] - 1000)
    print(f"agent CPU, idle after the sweep (sampling + streaming only): {idle * 100:.2f} % of one core" if idle is not None else "no idle window")
    print(f"agent CPU, from the server's start to the first point (ready + warm-up): {before * 100:.2f} % of one core" if before is not None else "")
    print(f"agent CPU over the load points (load generator included): {run * 100:.2f} % of one core" if run is not None else "")
    if smi:
        print(f"its nvidia-smi child over the whole run: {cpu_share(smi, smi[0][0], smi[-1][0]) * 100:.2f} % of one core")
    for it in res:
        c = it["result"].get("client")
        if c:
            w = (it["result"]["bench"]["benchmark_end_time_unix"] - it["result"]["bench"]["benchmark_start_time_unix"])
            print(f"  conc {it['concurrency']}: load generator (process CPU in the measured run) {(c['cpuUserMs'] + c['cpuSystemMs']) / 1000 / w * 100:.1f} % of one core")
    _ = first


if __name__ == "__main__":
    main(sys.argv[1])
