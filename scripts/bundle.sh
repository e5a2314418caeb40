#!/usr/bin/env bash
# Single-file builds for hosts that have only a `node` (>= 20) binary: no pnpm, no tsx, no node_modules.
#   bash scripts/bundle.sh agent        → dist/benchfleet-agent.mjs (+ load-worker-entry.mjs, configs/)
#   bash scripts/bundle.sh controller   → dist/controller/benchfleet.mjs, the whole CLI with the
#                                         controller (+ load-worker-entry.mjs, configs/, and
#                                         node_modules/better-sqlite3: its native .node, built for
#                                         this machine's Node ABI and libc)
# Each bundle sets $BENCHFLEET_ROOT to its own folder unless set, so it reads the configs/ beside it.
set -euo pipefail
what=${1:?usage: bundle.sh agent|controller}
cd "$(dirname "$0")/.."
banner="import { createRequire as __bfRequire } from 'node:module'; import { fileURLToPath as __bfPath } from 'node:url'; import { dirname as __bfDir } from 'node:path'; const require = __bfRequire(import.meta.url); process.env.BENCHFLEET_ROOT ??= __bfDir(__bfPath(import.meta.url));"

bundle() { # outdir, external..., entries...
  local out=$1
  shift
  pnpm exec esbuild "$@" --bundle --platform=node --format=esm --target=node20 --conditions=source \
    --out-extension:.js=.mjs --outdir="$out" --log-level=warning --legal-comments=none "--banner:js=$banner"
}

configs() { # outdir: the configs the agent and controller read at run time
  mkdir -p "$1/configs/datasets"
  cp configs/skus.yaml configs/models.yaml configs/eval-thresholds.yaml "$1/configs/"
  cp -r configs/recipes "$1/configs/"
  cp -r configs/datasets/gsm8k "$1/configs/datasets/"
}

case $what in
agent)
  out=dist
  rm -rf "$out/benchfleet-agent.mjs" "$out/load-worker-entry.mjs" "$out/configs"
  bundle "$out" benchfleet-agent=agent/src/main.ts load-worker-entry=agent/src/loadgen/load-worker.ts
  configs "$out"
  ;;
controller)
  out=dist/controller
  rm -rf "$out"
  bundle "$out" --external:better-sqlite3 benchfleet=cli/src/main.ts load-worker-entry=agent/src/loadgen/load-worker.ts
  configs "$out"
  # better-sqlite3 stays a package: its JS finds its native addon through `bindings`
  sqlite=$(node -e "console.log(require('node:path').dirname(require.resolve('better-sqlite3/package.json', { paths: ['controller'] })))")
  nm="$out/node_modules"
  mkdir -p "$nm/better-sqlite3/build/Release"
  cp -r "$sqlite/package.json" "$sqlite/lib" "$nm/better-sqlite3/"
  cp "$sqlite/build/Release/better_sqlite3.node" "$nm/better-sqlite3/build/Release/"
  for dep in bindings file-uri-to-path; do
    d=$(node -e "console.log(require('node:path').dirname(require.resolve('$dep/package.json', { paths: ['$sqlite', '$(dirname "$sqlite")/bindings'] })))")
    cp -rL "$d" "$nm/$dep"
  done
  ;;
*)
  echo "bundle.sh: unknown target $what (agent or controller)" >&2
  exit 2
  ;;
esac
du -sh "$out"/*.mjs
