#!/usr/bin/env bash
# Slurm end-to-end test of sharded sweeps (docs/cluster.md): start a
# one-node Slurm cluster, run examples/xinjiang-sweep.yaml unsharded, submit
# the script `nosedive sweep --emit slurm` prints as a job array of 4, and
# check that the merged shards equal the unsharded sweep: byte-identical
# result fragments and identical `sweep summarize --csv`. Runs as root on
# Debian 12 (no systemd); about a minute on 2 cores. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
W=${SLURM_TEST_DIR:-/tmp/nosedive-slurm-test}
S=$W/slurm
SHARDS=4
DEADLINE_S=600

log() { echo "== slurm-test: $*"; }

need=()
command -v slurmctld >/dev/null || need+=(slurm-wlm)
command -v munged >/dev/null || need+=(munge)
command -v pgrep >/dev/null || need+=(procps)
if [ ${#need[@]} -gt 0 ]; then
  log "installing ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

stop_daemons() {
  # One at a time, by the PID in each pid file, checking it is alive first.
  for pidf in "$S/slurmd.pid" "$S/slurmctld.pid"; do
    if alive "$pidf"; then
      local pid; pid=$(cat "$pidf")
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
      kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null || true
    fi
  done
  if [ -f "$W/munged.pid" ] && kill -0 "$(cat "$W/munged.pid")" 2>/dev/null; then
    kill "$(cat "$W/munged.pid")" 2>/dev/null || true
  fi
}

show_logs() {
  for f in "$S/slurmctld.log" "$S/slurmd.log" "$W"/out/xinjiang-sweep/logs/*.out; do
    [ -f "$f" ] && { echo "--- $f"; tail -n 30 "$f"; }
  done
}

# A previous run's daemons, then a clean work folder.
stop_daemons
rm -rf "$W"
mkdir -p "$S/state" "$S/spool" "$W/bin"
trap 'status=$?; [ $status -ne 0 ] && show_logs; stop_daemons; exit $status' EXIT

log "building nosedive"
(cd "$ROOT" && go build -o "$W/bin/nosedive" ./cmd/nosedive)
ND=$W/bin/nosedive

HOST=$(hostname -s)
cat >/etc/slurm/slurm.conf <<EOF
ClusterName=ci
SlurmctldHost=$HOST
SlurmUser=slurm
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
StateSaveLocation=$S/state
SlurmdSpoolDir=$S/spool
SlurmctldPidFile=$S/slurmctld.pid
SlurmdPidFile=$S/slurmd.pid
SlurmctldLogFile=$S/slurmctld.log
SlurmdLogFile=$S/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=$S/jobcomp.log
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
MailProg=/bin/true
ReturnToService=2
$(slurmd -C | head -n 1) State=UNKNOWN
PartitionName=debug Nodes=$HOST Default=YES MaxTime=INFINITE State=UP
EOF
chown -R slurm:slurm "$S"

log "starting munge, slurmctld, slurmd"
mkdir -p /run/munge && chown munge:munge /run/munge
if ! pgrep -u munge -x munged >/dev/null; then
  rm -f /run/munge/munged.pid # stale: munged is not running
  runuser -u munge -- munged
  for _ in $(seq 1 20); do [ -s /run/munge/munged.pid ] && break; sleep 0.25; done
  cp /run/munge/munged.pid "$W/munged.pid" # ours: stopped at the end
fi
slurmctld -i
slurmd
for _ in $(seq 1 60); do
  alive "$S/slurmctld.pid" && alive "$S/slurmd.pid" || { sleep 0.5; continue; }
  [ "$(timeout 3 sinfo -h -o %T 2>/dev/null | head -n 1)" = idle ] && break
  sleep 0.5
done
[ "$(timeout 3 sinfo -h -o %T 2>/dev/null | head -n 1)" = idle ] || { log "the node did not become idle"; exit 1; }

SWEEP=$ROOT/examples/xinjiang-sweep.yaml
start=$(date +%s)
log "unsharded sweep"
"$ND" sweep "$SWEEP" --out "$W/ref" --quiet
log "unsharded sweep took $(( $(date +%s) - start )) s"

log "emitting and submitting the job array ($SHARDS tasks)"
"$ND" sweep "$SWEEP" --out "$W/out" --emit slurm --emit-shards "$SHARDS" --cpus-per-task 1 --nosedive "$ND" >"$W/sweep.sbatch"
cat "$W/sweep.sbatch"
start=$(date +%s)
JID=$(sbatch --parsable "$W/sweep.sbatch")
log "job $JID submitted"
running() {
  local out
  if out=$(timeout 5 squeue -h -j "$JID" 2>&1); then [ -n "$out" ]; else [[ "$out" != *"Invalid job id"* ]]; fi
}
while running; do
  if (( $(date +%s) - start > DEADLINE_S )); then
    log "job $JID did not finish within $DEADLINE_S s"; timeout 5 scontrol show job "$JID" || true; exit 1
  fi
  sleep 2
done
log "job array finished in $(( $(date +%s) - start )) s"
if grep -E "JobId=$JID.*JobState=(FAILED|CANCELLED|TIMEOUT|NODE_FAIL|OUT_OF_MEMORY)" "$S/jobcomp.log"; then
  log "a task failed"; exit 1
fi
[ "$(grep -c "JobId=$JID" "$S/jobcomp.log" || true)" -ge "$SHARDS" ] || { log "jobcomp.log lacks the $SHARDS tasks"; cat "$S/jobcomp.log"; exit 1; }

log "comparing merged shards with the unsharded sweep"
ref=$W/ref/xinjiang-sweep/results out=$W/out/xinjiang-sweep/results
diff <(cd "$ref" && ls) <(cd "$out" && ls)
n=0
for f in "$ref"/*.parquet; do
  cmp "$f" "$out/$(basename "$f")"
  n=$((n + 1))
done
"$ND" sweep summarize "$W/ref/xinjiang-sweep" --csv >"$W/ref.csv"
"$ND" sweep summarize "$W/out/xinjiang-sweep" --csv >"$W/out.csv"
diff "$W/ref.csv" "$W/out.csv"
"$ND" sweep summarize "$W/out/xinjiang-sweep"
[ ! -s "$W/out/xinjiang-sweep/failures.jsonl" ] || { log "failures recorded"; cat "$W/out/xinjiang-sweep/failures.jsonl"; exit 1; }
log "ok: $n result fragments byte-identical; summaries equal"
