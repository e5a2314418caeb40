/** Builds the dashboard (Vite) into controller/public/, which the controller serves at `/`. */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const CONTROLLER_DIR = fileURLToPath(new URL("../../../controller/", import.meta.url));

export function dashboardBuilt(): boolean {
  return existsSync(join(CONTROLLER_DIR, "public", "index.html"));
}

/** returns an error message, or undefined when the dashboard is (now) built */
export function ensureDashboardBuilt(): string | undefined {
  return dashboardBuilt() ? undefined : buildDashboard();
}

/** (re)builds controller/dashboard → controller/public; returns an error message or undefined */
export function buildDashboard(): string | undefined {
  let viteBin: string;
  try {
    // vite is the controller package's (dev) dependency: resolved from there, as pnpm installs it
    const pkg = createRequire(join(CONTROLLER_DIR, "package.json")).resolve("vite/package.json");
    viteBin = join(dirname(pkg), "bin", "vite.js");
  } catch {
    return "vite is not installed (run pnpm install)";
  }
  const r = spawnSync(
    process.execPath,
    [viteBin, "build", "--config", "dashboard/vite.config.ts", "--logLevel", "warn"],
    {
      cwd: CONTROLLER_DIR,
      encoding: "utf8",
      timeout: 300_000,
    },
  );
  if (r.status !== 0)
    return `dashboard build failed: ${(r.stderr || r.stdout || String(r.error)).trim().split("\n").slice(-3).join(" ")}`;
  return dashboardBuilt() ? undefined : "dashboard build produced no index.html";
}
