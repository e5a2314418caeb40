#!/usr/bin/env bash
# Prepares a fresh Debian 12 machine with Node 20 for benchfleet: pnpm (pinned), the Debian
# packages the tests and the demo need (redis-server, chromium, slurm-wlm + munge), and the workspace dependencies.
# Idempotent: installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

PNPM_VERSION=12.4.2
if ! command -v pnpm >/dev/null 2>&1 || [ "$(pnpm --version 2>/dev/null)" != "$PNPM_VERSION" ]; then
  echo "bootstrap: installing pnpm@$PNPM_VERSION"
  npm install -g --force "pnpm@$PNPM_VERSION" >/dev/null
  hash -r
fi

need=()
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
# the Slurm launcher's tests run a real Slurm cluster on this host (slurmctld, slurmd, munge)
if ! command -v slurmctld >/dev/null 2>&1 || ! command -v slurmd >/dev/null 2>&1 || ! command -v sbatch >/dev/null 2>&1; then
  need+=(slurm-wlm)
fi
command -v munged >/dev/null 2>&1 || need+=(munge)
if [ "${BENCHFLEET_SKIP_BROWSER:-0}" != "1" ] && ! command -v chromium >/dev/null 2>&1; then need+=(chromium); fi
if [ ${#need[@]} -gt 0 ]; then
  echo "bootstrap: installing Debian packages: ${need[*]}"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# better-sqlite3 compiles from source: build against the local Node headers, never download them.
if [ -d /usr/include/node ]; then export npm_config_nodedir=/usr; fi
pnpm install --frozen-lockfile
