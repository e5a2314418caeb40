#!/usr/bin/env bash
# The device side of docs/real-gpu.md: run from the repository root of the GPU machine with the
# carried folder $1 (see scripts/real-gpu-carry.sh) and $OUT for what comes back. Unpacks Node,
# records the machine (nvidia-smi, discovery), makes the random model, logs NVML's energy counter
# and a raw nvidia-smi stream beside the agent's own, and runs scripts/real-gpu-run.sh.
set -uo pipefail
G=$(cd "${1:?carried folder}" && pwd)
O=$OUT/run
mkdir -p "$O" /tmp/bf
exec > >(tee "$OUT/run.log") 2>&1
date -u
xz -dc "$G/node.xz" >/tmp/bf/node && chmod +x /tmp/bf/node
export PATH=/tmp/bf:$PATH
{
  echo "redis-server:"; ldd "$G/redis-server" | grep "not found"
  echo "node:"; ldd /tmp/bf/node | grep "not found"
  echo "better_sqlite3.node:"; ldd "$G/dist/controller/node_modules/better-sqlite3/build/Release/better_sqlite3.node" | grep "not found"
} >"$O/ldd-missing.txt"
cat "$O/ldd-missing.txt"
nvidia-smi >"$O/nvidia-smi.txt"; nvidia-smi -q >"$O/nvidia-smi-q.txt"
nvidia-smi --query-gpu=index,name,uuid,memory.total,driver_version,pci.bus_id,power.limit,clocks.max.sm --format=csv,noheader,nounits >"$O/query-gpu.csv"
nvidia-smi topo -m >"$O/topo.txt" 2>&1
node "$G/dist/benchfleet-agent.mjs" discover --json >"$O/discovery.json"
node "$G/dist/benchfleet-agent.mjs" discover | tee "$O/discovery.txt"
python3 "$G/srv/make_model.py" --gsm8k configs/datasets/gsm8k --out /tmp/bf-model | tee "$O/model.json"
python3 "$G/srv/nvml_energy.py" --out "$O/nvml-energy.csv" &
ep=$!
nvidia-smi --query-gpu=timestamp,index,power.draw,utilization.gpu,memory.used,temperature.gpu,clocks.sm \
  --format=csv,noheader,nounits -lms 500 >"$O/nvidia-smi-stream.csv" &
sp=$!
export BENCHFLEET_GPU_SERVER_DIR=$G/srv BENCHFLEET_GPU_MODEL_DIR=/tmp/bf-model
BF_DIST=$G/dist BF_CONFIG=$G/h200-custom.yaml BF_OUT=$O REDIS_SERVER=$G/redis-server REDIS_LIB=$G/lib \
  BF_IDLE_S=${BF_IDLE_S:-20} timeout "${BF_RUN_TIMEOUT_S:-500}" bash "$G/real-gpu-run.sh"
kill "$ep" "$sp"
sleep 1
nvidia-smi --query-compute-apps=pid,process_name,used_memory,gpu_bus_id --format=csv,noheader,nounits >"$O/compute-apps-final.csv"
echo "compute apps after teardown: $(wc -l <"$O/compute-apps-final.csv") line(s)"
pgrep -af "server.py|benchfleet" || echo "no process of ours left"
cd "$OUT" && tar czf run.tgz run && ls -la "$OUT"
