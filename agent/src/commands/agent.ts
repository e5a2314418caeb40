/**
 * `discover | start` (`benchfleet-agent …`, `benchfleet agent …`): what this node is (GPUs → SKU, host, runtimes, Slurm,
 * RDMA), and the agent process that connects out to the controller and runs assigned attempts.
 */
import { isIP } from "node:net";
import { homedir } from "node:os";
import { join } from "node:path";
import { CliError, commaList, LauncherKind, SkuName } from "@benchfleet/shared";
import { type Command, Option } from "commander";
import { startAgent } from "../agent.js";
import { type Discovery, discover } from "../discovery/discover.js";
import { positiveIntOption } from "./positive-int-option.js";

export function renderDiscovery(d: Discovery): string {
  const lines = [
    `host        ${d.host.hostname} (${d.host.primaryIp}), ${d.host.os}, kernel ${d.host.kernel}`,
    `cpu         ${d.host.cpu.model}, ${d.host.cpu.cores} cores; memory ${Math.round(d.host.memTotalMiB / 1024)} GiB`,
    `gpus        ${d.gpus.length} via ${d.gpuTool}${d.driver ? `, driver ${d.driver}` : ""}`,
  ];
  for (const g of d.gpus) lines.push(`  [${g.index}] ${g.name}, ${g.memoryMiB} MiB${g.busId ? `, ${g.busId}` : ""}`);
  lines.push(`sku         ${d.sku.sku} (${d.sku.reason})`);
  lines.push(`runtimes    ${d.runtimes.join(", ") || "none"}`);
  lines.push(`slurm       ${d.slurm.present ? d.slurm.version : "no"}`);
  lines.push(`rdma        ${d.rdmaDevices.join(", ") || "none"}`);
  lines.push(`interfaces  ${d.host.interfaces.map((i) => `${i.name} ${i.ip4 || i.ip6}`).join("; ")}`);
  for (const p of d.problems) lines.push(`problem     ${p}`);
  return lines.join("\n");
}

/** Adds `discover` and `start` to `parent` (the agent's own program, or the CLI's `agent` group). */
export function registerAgentCommands(parent: Command): void {
  parent
    .command("discover")
    .description("show this node's GPUs (and their SKU), host, container runtimes, Slurm and RDMA devices")
    .option("--json", "print JSON")
    .action(async (opts: { json?: boolean }) => {
      const d = await discover();
      process.stdout.write(opts.json ? `${JSON.stringify(d, null, 2)}\n` : `${renderDiscovery(d)}\n`);
    });

  parent
    .command("start")
    .description("connect to the controller, register this node, and run the attempts it assigns")
    .requiredOption("--controller <url>", "controller WebSocket URL, ws(s)://host:port")
    .option("--token <token>", "agent token (default: $BENCHFLEET_AGENT_TOKEN)")
    .option("--agent-id <id>", "agent id (default: the hostname)")
    .option("--labels <labels>", "extra labels, comma separated", commaList)
    .option("--domain <domain>", "topology domain: NVL72 rack, IB fabric (default: default; slurm: slurm:<partition>)")
    .addOption(new Option("--launcher <kind>", "how engines are started").choices(LauncherKind.options))
    .option("--data-dir <dir>", "spool, attempt scratch files", join(homedir(), ".benchfleet", "agent"))
    .option("--telemetry-log <file>", "append every GPU telemetry sample to this file (JSON lines)")
    .option(
      "--min-disk-gib <n>",
      "preflight: least free disk on the data dir (default 50 real, 1 emulated)",
      positiveIntOption("--min-disk-gib"),
    )
    .addOption(
      new Option("--emulate-sku <sku>", "pose as a node of this SKU (no GPU tools are read)").choices(SkuName.options),
    )
    .option(
      "--emulate-gpus <n>",
      "GPUs of the emulated node (default: the SKU's per-node count)",
      positiveIntOption("--emulate-gpus"),
    )
    .option("--emulate-ip <ip>", "emulated node: address its engines bind and its peers use (e.g. 127.0.0.12)")
    .option("--time-scale <x>", "emulated engines: wall seconds per emulated second")
    .option(
      "--agentic-trace <path>",
      "agentic points replay this trace: the lab's Weka traces (a directory of .json files, one .json, or JSONL of trace objects) or Mooncake JSONL (default: synthetic)",
    )
    .option(
      "--lab <dir>",
      "InferenceX checkout: script-mode deployments run its benchmark scripts (default BENCHFLEET_LAB_DIR)",
    )
    .option(
      "--hf-cache <dir>",
      "the host's HF hub cache: models' tokenizers for lab prompts are looked up there first; " +
        "the docker launcher mounts it into lab scripts' containers",
    )
    .option(
      "--reconnect-max-ms <ms>",
      "longest wait between reconnect tries (default 30000; keep the controller's BENCHFLEET_AGENT_RECONNECT_MAX_MS in step)",
      positiveIntOption("--reconnect-max-ms"),
    )
    .option(
      "--slurm-partition <name>",
      "--launcher slurm: the partition this agent stands for (run it on a login node)",
    )
    .addOption(new Option("--sku <sku>", "--launcher slurm: the SKU of the partition's nodes").choices(SkuName.options))
    .option(
      "--gpus-per-node <n>",
      "--launcher slurm: GPUs per node (default: the partition's GPU Gres); also requested as --gpus-per-node",
      positiveIntOption("--gpus-per-node"),
    )
    .option("--slurm-account <account>", "--launcher slurm: sbatch --account")
    .option(
      "--slurm-arg <flag>",
      "--launcher slurm: an extra sbatch flag, e.g. --slurm-arg=--qos=high (repeatable; {nodes} = the gang's node count, e.g. --slurm-arg=--segment={nodes})",
      (v: string, prev: string[] = []) => [...prev, v],
    )
    .addOption(
      new Option("--slurm-container <kind>", "--launcher slurm: run images with pyxis, or bare on the nodes")
        .choices(["pyxis", "none"])
        .default("pyxis"),
    )
    .option("--slurm-mpi <type>", "--launcher slurm: srun --mpi for processes spanning nodes", "pmix")
    .action(async (opts) => {
      const token = opts.token ?? process.env.BENCHFLEET_AGENT_TOKEN;
      if (!token) throw new CliError("an agent token is needed: --token or $BENCHFLEET_AGENT_TOKEN", 2);
      if (opts.timeScale !== undefined && !(Number(opts.timeScale) > 0))
        throw new CliError(`--time-scale must be a positive number, got "${opts.timeScale}"`, 2);
      if (opts.emulateIp && !opts.emulateSku) throw new CliError("--emulate-ip needs --emulate-sku", 2);
      if (opts.emulateIp && !isIP(opts.emulateIp))
        throw new CliError(`--emulate-ip: "${opts.emulateIp}" is not an IP address`, 2);
      if (opts.emulateGpus && !opts.emulateSku) throw new CliError("--emulate-gpus needs --emulate-sku", 2);
      if (opts.launcher === "slurm" && !opts.slurmPartition)
        throw new CliError("--launcher slurm needs --slurm-partition (the partition this agent stands for)", 2);
      const slurmOnly = ["slurmPartition", "sku", "gpusPerNode", "slurmAccount", "slurmArg"].filter(
        (k) => opts[k] !== undefined,
      );
      if (opts.launcher !== "slurm" && slurmOnly.length)
        throw new CliError(
          `--${slurmOnly[0]!.replace(/[A-Z]/g, (c: string) => `-${c.toLowerCase()}`)} is for --launcher slurm`,
          2,
        );
      if (opts.launcher === "slurm" && !opts.sku && !opts.emulateSku)
        throw new CliError("--launcher slurm needs --sku (the SKU of the partition's nodes)", 2);
      try {
        new URL(opts.controller);
      } catch {
        throw new CliError(`--controller: "${opts.controller}" is not a URL (expected ws://host:port)`, 2);
      }
      if (!/^wss?:\/\//.test(opts.controller))
        throw new CliError(`--controller: expected ws:// or wss://, got "${opts.controller}"`, 2);
      const sku = opts.emulateSku as SkuName | undefined;
      const gpus = opts.emulateGpus ?? (sku ? (sku.startsWith("gb") ? 4 : 8) : undefined);
      const log = (line: string) => process.stderr.write(`${new Date().toISOString()} ${line}\n`);
      const handle = await startAgent({
        controller: opts.controller,
        token,
        agentId: opts.agentId,
        labels: opts.labels,
        domain: opts.domain,
        launcher: opts.launcher,
        dataDir: opts.dataDir,
        ...(opts.telemetryLog ? { telemetryLog: opts.telemetryLog } : {}),
        ...(opts.minDiskGib ? { minDiskFreeBytes: opts.minDiskGib * 2 ** 30 } : {}),
        emulate: sku ? { sku, gpus: gpus as number, ...(opts.emulateIp ? { ip: opts.emulateIp } : {}) } : undefined,
        ...(opts.launcher === "slurm"
          ? {
              slurm: {
                partition: opts.slurmPartition,
                ...(opts.sku ? { sku: opts.sku } : {}),
                ...(opts.gpusPerNode ? { gpusPerNode: opts.gpusPerNode } : {}),
                ...(opts.slurmAccount ? { account: opts.slurmAccount } : {}),
                extraArgs: opts.slurmArg ?? [],
                container: opts.slurmContainer,
                mpiType: opts.slurmMpi,
              },
            }
          : {}),
        timeScale: opts.timeScale ? Number(opts.timeScale) : undefined,
        ...(opts.agenticTrace ? { agenticTrace: opts.agenticTrace } : {}),
        ...((opts.lab ?? process.env.BENCHFLEET_LAB_DIR) ? { labDir: opts.lab ?? process.env.BENCHFLEET_LAB_DIR } : {}),
        ...(opts.hfCache ? { hfCache: opts.hfCache } : {}),
        ...(opts.reconnectMaxMs
          ? { backoff: { initialMs: Math.min(500, opts.reconnectMaxMs), maxMs: opts.reconnectMaxMs } }
          : {}),
        log,
      });
      const h = handle.health();
      log(
        `agent ${handle.agentId}: ${handle.discovery.gpus.length} × ${handle.discovery.sku.sku}, health ${h.ok ? "ok" : `NOT ok: ${h.reasons.join("; ")}`}`,
      );
      if (h.checked) log(`preflight checked: ${h.checked.join(", ")}`);
      if (h.notChecked) log(`preflight could not check: ${h.notChecked.join("; ")}`);
      await new Promise<void>((resolve) => {
        let stopping = false;
        const stop = (sig: string) => {
          if (stopping) return;
          stopping = true;
          log(`${sig}: stopping (tearing down any running attempt)`);
          void handle.stop(`agent received ${sig}`).then(resolve);
        };
        process.once("SIGINT", () => stop("SIGINT"));
        process.once("SIGTERM", () => stop("SIGTERM"));
      });
    });
}
