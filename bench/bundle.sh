#!/usr/bin/env bash
# Bundles the load benchmarks into self-contained .mjs files for a host that has only a `node`
# binary (a GPU node: no pnpm, no tsx, no node_modules):
#   bash bench/bundle.sh [OUTDIR=.devbench]
# → OUTDIR/load.mjs, load-timing.mjs, agentic.mjs, fixture-server.mjs and load-worker-entry.mjs (the worker
# threads' entry, found beside the bundle as from source). Run e.g. `node OUTDIR/load.mjs 1024 --workers 4`.
set -euo pipefail
out=${1:-.devbench}
cd "$(dirname "$0")/.."
mkdir -p "$out"
pnpm exec esbuild \
  load=bench/load.ts load-timing=bench/load-timing.ts agentic=bench/agentic.ts \
  fixture-server=agent/src/loadgen/fixture-server.ts load-worker-entry=agent/src/loadgen/load-worker.ts \
  --bundle --platform=node --format=esm --target=node20 --conditions=source \
  --out-extension:.js=.mjs --outdir="$out" --log-level=warning \
  "--banner:js=import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);"
cp bench/vllm_client.py bench/py_stream_client.py "$out/"
ls -la "$out"
