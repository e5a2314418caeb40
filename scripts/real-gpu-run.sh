#!/usr/bin/env bash
# One sweep end to end from bundles: Redis, the controller and one agent (process launcher) on this
# host; the sweep of $BF_CONFIG; then the results export, the frontier table, the agent's telemetry
# log and its CPU, and the GPU processes left after teardown, all under $BF_OUT.
#   BF_DIST=dist BF_CONFIG=configs/real-gpu/h200-custom.yaml BF_OUT=/tmp/run bash scripts/real-gpu-run.sh
# Optional: NODE (node binary), REDIS_SERVER, REDIS_LIB (folder of libraries redis-server lacks),
# BF_AGENT_ARGS (extra `start` flags, e.g. --emulate-sku h200 for a rehearsal without a GPU),
# BF_PORT (controller, default 8480), BF_REDIS_PORT (default 6390).
set -uo pipefail
: "${BF_DIST:?folder with benchfleet-agent.mjs and controller/benchfleet.mjs}" "${BF_CONFIG:?sweep config}" "${BF_OUT:?output folder}"
NODE=${NODE:-node}
REDIS_SERVER=${REDIS_SERVER:-redis-server}
PORT=${BF_PORT:-8480}
RPORT=${BF_REDIS_PORT:-6390}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
mkdir -p "$BF_OUT"
pids=()
cleanup() {
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do kill "${pids[i]}" 2>/dev/null; done
  wait 2>/dev/null
  [ -n "${BF_KEEP:-}" ] && echo "kept $work" || rm -rf "$work"
}
trap cleanup EXIT
log() { echo "$(date -u +%H:%M:%S) $*"; }
cli() { "$NODE" "$BF_DIST/controller/benchfleet.mjs" "$@" --controller "http://127.0.0.1:$PORT"; }

LD_LIBRARY_PATH=${REDIS_LIB:-} "$REDIS_SERVER" --port "$RPORT" --bind 127.0.0.1 --save "" --appendonly no \
  --dir "$work" >"$work/redis.log" 2>&1 &
pids+=($!)
"$NODE" "$BF_DIST/controller/benchfleet.mjs" controller start --redis-url "redis://127.0.0.1:$RPORT" \
  --data-dir "$work/controller" --port "$PORT" --insecure-dev >"$BF_OUT/controller.log" 2>&1 &
pids+=($!)
for _ in $(seq 60); do curl -sf "http://127.0.0.1:$PORT/api/v1/health" >/dev/null 2>&1 && break; sleep 0.5; done
log "controller up"

# shellcheck disable=SC2086
"$NODE" "$BF_DIST/benchfleet-agent.mjs" start --controller "ws://127.0.0.1:$PORT" --token dev \
  --launcher process --data-dir "$work/agent" --min-disk-gib "${BF_MIN_DISK_GIB:-10}" --telemetry-log "$BF_OUT/telemetry.jsonl" ${BF_AGENT_ARGS:-} \
  >"$BF_OUT/agent.log" 2>&1 &
agent=$!
pids+=($agent)
python3 "$here/proc_cpu.py" --pid "$agent" --out "$BF_OUT/agent-cpu.csv" &
pids+=($!)
for _ in $(seq 60); do grep -q "health" "$BF_OUT/agent.log" && break; sleep 0.5; done
log "agent: $(grep -m1 'health' "$BF_OUT/agent.log")"

log "sweep start"
cli sweep start -c "$BF_CONFIG" --name real-gpu --wait >"$BF_OUT/sweep-progress.txt" 2>&1
log "sweep done: $(tail -1 "$BF_OUT/sweep-progress.txt")"
sweep=$(grep -m1 -o 'created sweep [^:]*' "$BF_OUT/sweep-progress.txt" | cut -d' ' -f3)
cli sweep show "$sweep" --json >"$BF_OUT/sweep-final.json" 2>&1
cli results export --sweep "$sweep" --format json -o "$BF_OUT/results.json"
cli results frontier --sweep "$sweep" --emulated any >"$BF_OUT/frontier.txt" 2>&1
cli results frontier --sweep "$sweep" --emulated any --x interactivity --y joulesPerToken >>"$BF_OUT/frontier.txt" 2>&1
# idle: the agent only samples and streams telemetry
log "idle window"
sleep "${BF_IDLE_S:-20}"
nvidia-smi --query-compute-apps=pid,process_name,used_memory,gpu_bus_id --format=csv,noheader,nounits \
  >"$BF_OUT/compute-apps-after.csv" 2>&1 || true
log "done"
