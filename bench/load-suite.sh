#!/usr/bin/env bash
# The load-generator benchmarks on a many-core host that has only `node` and `python3` (a GPU node),
# from the bundles of bench/bundle.sh:
#   bash bench/load-suite.sh BUNDLE_DIR RESULT_DIR [VLLM_REQUEST_FUNC_PY]
# 1. a fixture server of SERVER_PROCS processes (default: half the cores, at most 8) so the server
#    is never the limit; 2. benchfleet (one thread) vs vLLM's request function (if given) and the
#    stdlib asyncio client at concurrency 64/256/1024, server at full speed; 3. benchfleet with
#    2/4/8 worker threads at 1024; 4. paced: 1024 streams of a token every PACED_ITL_MS (default 2)
#    each — 512k tokens/s offered — lengths ±20 %, on 1/4/8 threads, for the send lag below
#    saturation; 5. the strict timing validation at concurrency 256 (the agent's thread count, and one) and 64.
# NODE (default: node) names the node binary.
set -uo pipefail
bundle=$(cd "$1" && pwd); out=$2; vllm=${3:-}
node=${NODE:-node}
mkdir -p "$out"
cores=$(nproc)
procs=${SERVER_PROCS:-$(( cores / 2 > 8 ? 8 : (cores / 2 > 0 ? cores / 2 : 1) ))}
echo "host: $cores cores; $(uptime); node $($node --version); $(python3 --version 2>&1)"
"$node" "$bundle/fixture-server.mjs" --processes "$procs" --ttft-ms 0 --itl-ms 0 --tokens-per-chunk 1 \
  --usage-delay-ms 0 --role-chunk 0 > "$out/fixture.json" 2> "$out/fixture.err" &
fx=$!
trap 'kill $fx 2>/dev/null' EXIT
for _ in $(seq 50); do [ -s "$out/fixture.json" ] && break; sleep 0.2; done
url=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["url"])' "$out/fixture.json") || exit 1
echo "fixture: $procs processes at $url"
extra=(); [ -n "$vllm" ] && extra=(--vllm "$vllm")
"$node" "$bundle/load.mjs" 64,256,1024 --server "$url" --python "${extra[@]}" --out "$out/load-1thread.json"
for w in 2 4 8; do
  "$node" "$bundle/load.mjs" 1024 --server "$url" --workers "$w" --out "$out/load-${w}workers.json"
done
kill $fx 2>/dev/null
itl=${PACED_ITL_MS:-2}
"$node" "$bundle/fixture-server.mjs" --processes "$procs" --ttft-ms 0 --itl-ms "$itl" --tokens-per-chunk 1 \
  --usage-delay-ms 0 --role-chunk 0 > "$out/paced.json" 2>> "$out/fixture.err" &
fx=$!
for _ in $(seq 50); do [ -s "$out/paced.json" ] && break; sleep 0.2; done
url=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["url"])' "$out/paced.json") || exit 1
echo "paced fixture: itl $itl ms, $procs processes at $url"
for w in 1 4 8; do
  "$node" "$bundle/load.mjs" 1024 --server "$url" --workers "$w" --range-ratio 0.8 --out "$out/paced-${w}.json"
done
kill $fx 2>/dev/null
"$node" "$bundle/load-timing.mjs" 256 3
"$node" "$bundle/load-timing.mjs" 256 2 --workers 1
"$node" "$bundle/load-timing.mjs" 64 2
