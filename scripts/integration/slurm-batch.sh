#!/usr/bin/env bash
# A real Slurm run of `lungseg batch` on this machine: installs Slurm and MUNGE from Debian,
# starts a one-node cluster (slurmctld + slurmd, no systemd needed), submits the job array of
# examples/slurm/lungseg-array.sbatch (3 tasks) over 6 cases, waits, merges, and checks that every
# case was done exactly once and that the merged summary is right. Needs root (apt-get, daemons).
#
#   scripts/integration/slurm-batch.sh [LUNGSEG_BINARY]
#
# LUNGSEG_BINARY defaults to a debug build of this checkout. LUNGSEG_WEIGHTS (default: the
# bundled model) picks the weights; `stub` runs the pipeline with a threshold instead of AH-Net.
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$(pwd)

if [ "$(id -u)" -ne 0 ]; then echo "slurm-batch.sh: needs root (apt-get, slurmctld, slurmd)" >&2; exit 2; fi

binary=${1:-}
if [ -z "$binary" ]; then
  swift build --product lungseg >/dev/null
  binary="$(swift build --show-bin-path)/lungseg"
fi
binary=$(realpath "$binary")

# 1. Slurm and MUNGE from Debian (only what is missing).
need=()
for package in slurm-wlm munge; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || need+=("$package")
done
if ((${#need[@]})); then
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# 2. A one-node cluster: this host, 2 CPUs schedulable one per task, no cgroups, no accounting.
host=$(hostname -s)
grep -q "[[:space:]]$host\b" /etc/hosts || echo "127.0.0.1 $host" >> /etc/hosts
cpus=$(nproc)
memory=$(( $(awk '/MemTotal/{print $2}' /proc/meminfo) / 1024 - 512 ))
work=$(mktemp -d /tmp/lungseg-slurm.XXXXXX)
mkdir -p "$work/spool/ctld" "$work/spool/d" "$work/log"
cat > /etc/slurm/slurm.conf <<CONF
ClusterName=lungseg-test
SlurmctldHost=$host
SlurmUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
ReturnToService=2
StateSaveLocation=$work/spool/ctld
SlurmdSpoolDir=$work/spool/d
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/log/slurmctld.log
SlurmdLogFile=$work/log/slurmd.log
NodeName=$host CPUs=$cpus RealMemory=$memory State=UNKNOWN
PartitionName=test Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF

# The daemons are stopped on every exit; the work folder is removed only after a pass (it holds
# the logs otherwise), and only after the daemons are gone (their pid files live in it).
passed=0
cleanup() {
  scancel --user=root >/dev/null 2>&1 || true
  [ -f "$work/slurmd.pid" ] && kill "$(cat "$work/slurmd.pid")" 2>/dev/null || true
  [ -f "$work/slurmctld.pid" ] && kill "$(cat "$work/slurmctld.pid")" 2>/dev/null || true
  [ -n "${munge_pid:-}" ] && kill "$munge_pid" 2>/dev/null || true
  if [ "$passed" = 1 ]; then sleep 1; rm -rf "$work"; else echo "slurm-batch.sh: logs in $work/log" >&2; fi
}
trap cleanup EXIT
running() { ps -C "$1" -o stat= 2>/dev/null | grep -qv '^Z'; }  # zombies do not count
if running slurmctld || running slurmd; then
  echo "slurm-batch.sh: a slurmctld or slurmd already runs on this machine; stop it first (this test starts its own cluster)" >&2
  exit 1
fi

mkdir -p /run/munge /var/lib/munge /var/log/munge
chown munge:munge /run/munge /var/lib/munge /var/log/munge 2>/dev/null || true
if ! pgrep -x munged >/dev/null; then
  runuser -u munge -- /usr/sbin/munged
  munge_pid=$(pgrep -x munged | head -1)
fi
slurmctld
slurmd
for _ in $(seq 1 60); do
  sinfo -h -o "%T" 2>/dev/null | grep -qE "idle|mixed" && break
  sleep 1
done
sinfo -h -o "%T" | grep -qE "idle|mixed" || { echo "the Slurm node did not come up" >&2; tail -20 "$work/log/"*.log >&2; exit 1; }

# 3. Six cases (copies of the bundled real CT under distinct names) on a "shared" folder.
shared="$work/shared"
mkdir -p "$shared/cts" "$shared/out"
printf 'input,output name\n' > "$shared/manifest.csv"
for i in 1 2 3 4 5 6; do
  cp data/cip_ct64.nii.gz "$shared/cts/patient$i.nii.gz"
  printf 'cts/patient%d.nii.gz,patient%d\n' "$i" "$i" >> "$shared/manifest.csv"
done

# 4. The example job array, 3 tasks, one CPU each.
export LUNGSEG="$binary" LUNGSEG_SHARED="$shared" LUNGSEG_WEIGHTS="${LUNGSEG_WEIGHTS:-}" LUNGSEG_THREADS=1
job=$(sbatch --parsable --array=0-2 --cpus-per-task=1 --mem=1500M --time=30 --output="$work/log/task-%a.out" \
  --export=ALL examples/slurm/lungseg-array.sbatch)
echo "submitted job array $job (3 tasks)"
for _ in $(seq 1 900); do
  squeue -h -j "$job" 2>/dev/null | grep -q . || break
  sleep 1
done
if squeue -h -j "$job" | grep -q .; then
  echo "the job array did not finish in 15 minutes:" >&2
  squeue -o "%i %T %r" >&2
  exit 1
fi
for f in "$work"/log/task-*.out; do echo "--- $(basename "$f")"; cat "$f"; done

# 5. Merge and check: every case exactly once, each by one task, all ok, summary right.
"$binary" batch --merge -o "$shared/out" --manifest "$shared/manifest.csv"
python_free_check() {
  local lines ok cases
  lines=$(cat "$shared"/out/status/shard-*-of-3.jsonl | wc -l)
  [ "$lines" -eq 6 ] || { echo "expected 6 status lines, found $lines" >&2; return 1; }
  cases=$(cat "$shared"/out/status/shard-*-of-3.jsonl | grep -o '"name":"[^"]*"' | sort | uniq -c | awk '$1 != 1' | wc -l)
  [ "$cases" -eq 0 ] || { echo "a case was done more than once" >&2; return 1; }
  ok=$(cat "$shared"/out/status/shard-*-of-3.jsonl | grep -c '"status":"ok"')
  [ "$ok" -eq 6 ] || { echo "expected 6 ok cases, found $ok" >&2; return 1; }
  [ "$(ls "$shared"/out/status/*.jsonl | wc -l)" -eq 3 ] || { echo "expected 3 shard status files" >&2; return 1; }
  [ "$(grep -c ',ok,' "$shared/out/summary.csv")" -eq 6 ] || { echo "summary.csv does not list 6 ok cases" >&2; return 1; }
  for i in 1 2 3 4 5 6; do
    [ -s "$shared/out/patient${i}_lungs.nii.gz" ] && [ -s "$shared/out/patient${i}_report.json" ] && [ -s "$shared/out/patient${i}_qc.png" ] \
      || { echo "outputs of patient$i missing" >&2; return 1; }
  done
}
python_free_check
cat "$shared/out/summary.csv"
echo "slurm-batch.sh: ok (job $job: 3 tasks, 6 cases, each done once)"
passed=1
