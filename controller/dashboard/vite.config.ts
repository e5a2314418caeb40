/**
 * Builds the dashboard (Preact + uPlot, everything bundled, no CDN) into controller/public/,
 * which the controller serves at `/`. Run with `pnpm build:dashboard` (root) or
 * `pnpm -F @benchfleet/controller build:dashboard`.
 */
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

const here = fileURLToPath(new URL(".", import.meta.url));

export default defineConfig({
  root: here,
  base: "/",
  logLevel: "warn",
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  build: {
    outDir: fileURLToPath(new URL("../public", import.meta.url)),
    emptyOutDir: true,
    target: "es2022",
    sourcemap: false,
    chunkSizeWarningLimit: 600,
  },
});
