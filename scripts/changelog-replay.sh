#!/usr/bin/env bash
# Replays historic changelog commits of an InferenceX checkout through `benchfleet plan --changelog`:
# each sampled commit C that changed perf-changelog.yaml is checked out in a shared clone (no copy of
# the objects) and its master configs and runners.yaml are planned against the changelog diff C^..C,
# as the lab's workflow does for the push of C. Prints one line per commit and a summary.
#
#   scripts/changelog-replay.sh LAB_CHECKOUT [SAMPLES=50] [OUT_DIR]
#
# The sample is spread evenly over the commits that touched the changelog, newest first.
set -uo pipefail
lab=${1:?usage: changelog-replay.sh LAB_CHECKOUT [SAMPLES] [OUT_DIR]}
samples=${2:-50}
out=${3:-$(mktemp -d -t changelog-replay.XXXXXX)}
root=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$out"
repo="$out/repo"
[ -d "$repo" ] || git clone -q --shared --no-checkout "$lab" "$repo" || exit 2

mapfile -t commits < <(git -C "$repo" log --reverse --format=%H -- perf-changelog.yaml)
total=${#commits[@]}
[ "$total" -gt 0 ] || { echo "no commit of $lab touches perf-changelog.yaml" >&2; exit 2; }
step=$(( total > samples ? total / samples : 1 ))

ok=0; failed=0; n=0
for (( i = total - 1; i >= 0 && n < samples; i -= step )); do
  c=${commits[$i]}
  n=$((n + 1))
  git -C "$repo" checkout -q -f --detach "$c" && git -C "$repo" clean -qfdx
  # the master configs moved from .github/configs/ to configs/; their deprecated/ folders are not planned
  configs="$repo/configs"
  [ -d "$configs" ] || configs="$repo/.github/configs"
  args=(plan -c "$configs" --changelog "$repo/perf-changelog.yaml" --base "$c^" --head "$c")
  [ -f "$configs/runners.yaml" ] && args+=(--runners "$configs/runners.yaml")
  log="$out/${c:0:9}"
  date=$(git -C "$repo" show -s --format=%cs "$c")
  if (cd "$root" && node --conditions=source --import tsx cli/src/main.ts "${args[@]}") >"$log.plan" 2>"$log.err"; then
    ok=$((ok + 1))
    echo "ok   ${c:0:9} $date $(grep '^Total:' "$log.plan")"
  else
    failed=$((failed + 1))
    echo "FAIL ${c:0:9} $date $(grep -v '^warning:' "$log.err" | head -2 | sed "s#$repo/##g" | tr '\n' ' ' | cut -c1-240)"
  fi
done
echo "replayed $n of $total changelog commits: $ok planned, $failed failed (outputs in $out)"
