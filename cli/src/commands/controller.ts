/** `benchfleet controller start`: runs the controller in the foreground until SIGINT/SIGTERM. */

import { startController } from "@benchfleet/controller";
import { type Command, Option } from "commander";

export function register(program: Command): void {
  const ctl = program.command("controller").description("run the controller");
  ctl
    .command("start")
    .description("start the controller (REST API, agent and event WebSockets, allocator) in the foreground")
    .option("--redis-url <url>", "Redis URL (env REDIS_URL)")
    .option("--data-dir <dir>", "results DB and logs (env BENCHFLEET_DATA_DIR, default ./benchfleet-data)")
    .option("--host <host>", "listen address (env BENCHFLEET_HOST, default 127.0.0.1)")
    .option("--port <port>", "listen port (env BENCHFLEET_PORT, default 8480)")
    .option("--tokens-file <file>", "agent/enrolment/operator tokens, YAML or JSON (env BENCHFLEET_TOKENS_FILE)")
    .option("--key-prefix <prefix>", "prefix of all Redis keys (env BENCHFLEET_KEY_PREFIX, default bf)")
    .option("--insecure-dev", "no authentication at all: local demo only")
    .addOption(
      new Option("--log-level <level>", "log level")
        .choices(["fatal", "error", "warn", "info", "debug", "trace", "silent"])
        .default("info"),
    )
    .option("--json", "print the start line as JSON")
    .action(async (o) => {
      const env = process.env;
      const handle = await startController({
        env,
        logger: { level: o.logLevel },
        config: {
          redisUrl: o.redisUrl ?? env.REDIS_URL ?? "redis://127.0.0.1:6379",
          dataDir: o.dataDir ?? env.BENCHFLEET_DATA_DIR ?? "benchfleet-data",
          host: o.host,
          port: o.port,
          tokensFile: o.tokensFile,
          keyPrefix: o.keyPrefix,
          insecureDev: o.insecureDev ? true : undefined,
        },
      });
      if (handle.cfg.insecureDev)
        process.stderr.write("WARNING: --insecure-dev: no authentication; never expose this controller\n");
      if (o.json) process.stdout.write(`${JSON.stringify({ url: handle.url, port: handle.port })}\n`);
      else process.stdout.write(`benchfleet controller listening on ${handle.url}\n`);
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once("SIGINT", stop);
        process.once("SIGTERM", stop);
      });
      await handle.close();
    });
}
