#!/usr/bin/env bash
# Cross-architecture determinism (docs/cluster.md, "Any machine, the same
# bytes"): builds nosedive for amd64 and, with a C cross compiler (DuckDB
# is cgo), for arm64; runs every built-in scenario, its audit and a 4-run
# sweep with both, the arm64 binary under qemu-user; and compares every
# output file byte for byte. Exits 1 naming each file that differs.
#
# Excluded from the comparison, because they legitimately differ:
#   run.json     .created, .timings, .host (workers, cores, go_version, os)
#   sweep.json   .status.updated
#   run ids      a single run's id is the scenario, seed and start time
#                (benchmark-s1-20261204-200042): the arm64 run's id is
#                replaced, as bytes of equal length, by the amd64 run's in
#                every file of its run directory (run.json, audit.json, the
#                Parquet files' key-value metadata) before comparing.
#                Sweep runs have fixed ids (p0-r0) and are compared as is.
# Everything else, including all Parquet files, is compared with cmp.
#
# Needs root and apt (Debian 12) for qemu-user and the cross compilers;
# about 3 minutes on 2 cores. AGENTS and DAYS override the run size;
# BIN_AMD64 and BIN_ARM64, both set, skip the builds (for development).
set -euo pipefail
cd "$(dirname "$0")/.."

AGENTS=${AGENTS:-20000}
DAYS=${DAYS:-60}

need=()
command -v qemu-aarch64 >/dev/null || need+=(qemu-user)
command -v aarch64-linux-gnu-gcc >/dev/null || need+=(gcc-aarch64-linux-gnu)
command -v aarch64-linux-gnu-g++ >/dev/null || need+=(g++-aarch64-linux-gnu)
command -v jq >/dev/null || need+=(jq)
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

work=$(mktemp -d /tmp/nosedive-arm64.XXXXXX)
trap 'rm -rf "$work"' EXIT

mkdir -p "$work/bin"
if [ -n "${BIN_AMD64:-}" ] && [ -n "${BIN_ARM64:-}" ]; then
  echo "== binaries given: $BIN_AMD64, $BIN_ARM64"
  cp "$BIN_AMD64" "$work/bin/amd64"
  cp "$BIN_ARM64" "$work/bin/arm64"
else
  echo "== build amd64 and arm64"
  go build -o "$work/bin/amd64" ./cmd/nosedive
  CGO_ENABLED=1 GOARCH=arm64 CC=aarch64-linux-gnu-gcc CXX=aarch64-linux-gnu-g++ \
    go build -o "$work/bin/arm64" ./cmd/nosedive
fi

nd() { # nd ARCH ARGS...: run nosedive built for ARCH
  local arch=$1; shift
  if [ "$arch" = arm64 ]; then
    qemu-aarch64 -L /usr/aarch64-linux-gnu "$work/bin/arm64" "$@"
  else
    "$work/bin/amd64" "$@"
  fi
}

nd arm64 version
scenarios=$(nd amd64 scenarios | awk '{print $1}')
[ -n "$scenarios" ] || { echo "no built-in scenarios listed"; exit 1; }

cat > "$work/sweep.yaml" <<'EOF'
# 2 points x 2 replicates of a small xinjiang-pilot, with its audits.
name: arm64-sweep
scenario: xinjiang-pilot
agents: 5000
days: 60
seed: 3
replicates: 2
parameters:
  - path: population.regions.south.cameras_per_1000
    values: [50, 200]
design:
  type: grid
EOF

for arch in amd64 arm64; do
  echo "== $arch: every built-in, $AGENTS x $DAYS, --ledger all, audited; a 4-run sweep"
  for sc in $scenarios; do
    nd "$arch" run "$sc" --agents "$AGENTS" --days "$DAYS" --ledger all --workers 2 --quiet \
      --out "$work/$arch/runs/$sc" >/dev/null
    dir=$(echo "$work/$arch/runs/$sc"/*/)
    nd "$arch" audit "$dir" >/dev/null
  done
  nd "$arch" sweep "$work/sweep.yaml" --jobs 2 --quiet --out "$work/$arch/sweeps" >/dev/null
done

echo "== compare"
# The arm64 single runs get the amd64 runs' ids and directory names.
for sc in $scenarios; do
  a=$(basename "$(echo "$work/amd64/runs/$sc"/*/)")
  b=$(basename "$(echo "$work/arm64/runs/$sc"/*/)")
  if [ "${#a}" -ne "${#b}" ]; then
    echo "run ids of different length: $a, $b"; exit 1
  fi
  if [ "$a" != "$b" ]; then
    find "$work/arm64/runs/$sc/$b" -type f -exec perl -0777 -pi -e "s/\Q$b\E/$a/g" {} +
    mv "$work/arm64/runs/$sc/$b" "$work/arm64/runs/$sc/$a"
  fi
done

strip() { # strip FILE: the JSON without the fields that legitimately differ
  case "$(basename "$1")" in
    run.json) jq -S 'del(.created, .timings, .host)' "$1" ;;
    sweep.json) jq -S 'del(.status.updated)' "$1" ;;
    *) cat "$1" ;;
  esac
}

differ=0
files=0
while IFS= read -r rel; do
  a="$work/amd64/$rel" b="$work/arm64/$rel"
  files=$((files + 1))
  if [ ! -f "$b" ]; then
    echo "only on amd64: $rel"; differ=1; continue
  fi
  case "$(basename "$rel")" in
    run.json | sweep.json)
      if ! cmp -s <(strip "$a") <(strip "$b"); then
        echo "differs: $rel"; diff <(strip "$a") <(strip "$b") | head -20; differ=1
      fi ;;
    *)
      if ! cmp -s "$a" "$b"; then
        echo "differs: $rel ($(stat -c %s "$a") and $(stat -c %s "$b") bytes)"; differ=1
      fi ;;
  esac
done < <(cd "$work/amd64" && find . -type f | sort)
while IFS= read -r rel; do
  [ -f "$work/amd64/$rel" ] || { echo "only on arm64: $rel"; differ=1; }
done < <(cd "$work/arm64" && find . -type f | sort)

if [ "$differ" -ne 0 ]; then
  echo "amd64 and arm64 outputs differ"
  exit 1
fi
echo "amd64 and arm64 outputs identical: $files files"
