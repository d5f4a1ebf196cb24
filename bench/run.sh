#!/usr/bin/env bash
# Benchmark flowctl against jq on the reference workloads W0, W1, W2 of
# ../shared/bench/WORKLOADS.md. See bench/README.md.
set -euo pipefail

usage() {
  cat <<'EOF'
Usage: bash bench/run.sh [--events N] [--runs R] [--flowctl PATH] [--skip-jq] [--big] [--json FILE]

  --events N      events in the generated input (default 1000000)
  --runs R        runs per tool and workload; the median wall time is reported (default 3)
  --flowctl PATH  flowctl binary (default: build/flowctl of this repo, built by `make build`)
  --skip-jq       run flowctl only (no jq comparison)
  --big           also run W1 once on 10,000,000 events (flowctl only) and report its peak RSS
  --json FILE     also write the results as JSON to FILE
  -h, --help      this help
EOF
}

die() { echo "run.sh: $*" >&2; exit 2; }

# ---------------------------------------------------------------- arguments
EVENTS=1000000
RUNS=3
FLOWCTL=""
SKIP_JQ=0
BIG=0
JSON_OUT=""
BIG_EVENTS=10000000
EXPECTED_1M_FILTERED=300585   # W1/W2 output lines for 1,000,000 events, default seed

while [[ $# -gt 0 ]]; do
  case "$1" in
    --events)  [[ $# -ge 2 ]] || die "--events needs a value"; EVENTS="$2"; shift 2 ;;
    --runs)    [[ $# -ge 2 ]] || die "--runs needs a value"; RUNS="$2"; shift 2 ;;
    --flowctl) [[ $# -ge 2 ]] || die "--flowctl needs a value"; FLOWCTL="$2"; shift 2 ;;
    --json)    [[ $# -ge 2 ]] || die "--json needs a value"; JSON_OUT="$2"; shift 2 ;;
    --skip-jq) SKIP_JQ=1; shift ;;
    --big)     BIG=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown argument: $1" ;;
  esac
done
[[ "$EVENTS" =~ ^[1-9][0-9]*$ ]] || die "--events must be a positive integer, got '$EVENTS'"
[[ "$RUNS" =~ ^[1-9][0-9]*$ ]] || die "--runs must be a positive integer, got '$RUNS'"

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
GEN="$ROOT/../shared/bench/gen_events.py"

# Resolve user-given paths against the caller's directory before we cd.
if [[ -n "$FLOWCTL" ]]; then
  if [[ "$FLOWCTL" == */* ]]; then
    FLOWCTL="$(cd "$(dirname "$FLOWCTL")" && pwd)/$(basename "$FLOWCTL")"
  else
    FLOWCTL="$(command -v "$FLOWCTL" || true)"
  fi
else
  FLOWCTL="$ROOT/build/flowctl"
fi
if [[ -n "$JSON_OUT" && "$JSON_OUT" != /* ]]; then
  JSON_OUT="$PWD/$JSON_OUT"
fi

# ---------------------------------------------------------------- prerequisites
[[ -x "$FLOWCTL" ]] || die "flowctl not found at '${FLOWCTL:-?}': run 'make build' or pass --flowctl PATH"
[[ -f "$GEN" ]] || die "generator not found: $GEN (../shared must sit beside the repo)"
command -v python3 >/dev/null || die "python3 is needed to generate the input"
/usr/bin/time -f '%e %M' -o /dev/null true 2>/dev/null \
  || die "GNU time is needed at /usr/bin/time (Debian/Ubuntu: apt-get install time)"
if [[ $SKIP_JQ -eq 0 ]] && ! command -v jq >/dev/null; then
  echo "run.sh: jq is not installed; it is the baseline of the comparison." >&2
  echo "  install it (Debian/Ubuntu: apt-get install jq), or run with --skip-jq for flowctl only" >&2
  exit 2
fi

cd "$ROOT"
DATA=bench/data
mkdir -p "$DATA"
WORK="$(mktemp -d "$DATA/run.XXXXXX")"   # outputs live here, beside the input (same disk)
trap 'rm -rf "$WORK"' EXIT

# ---------------------------------------------------------------- input data
ensure_data() {   # ensure_data N -> prints the file path
  local n="$1" f="$DATA/events-$1.jsonl" est
  if [[ ! -s "$f" ]]; then
    est=$(( n * 30 / 1000000 ))
    if [[ $n -ge 5000000 ]]; then
      echo "WARNING: generating $n events into $f; this is slow (about $(( est / 60 + 1 )) min) and needs ~$(( n * 267 / 1000000 )) MB of disk. Done once, reused afterwards." >&2
    else
      [[ $est -ge 2 ]] && est="about $est s" || est="a few seconds"
      echo "generating $n events into $f ($est; done once, reused afterwards) ..." >&2
    fi
    python3 "$GEN" "$n" "$f.partial.$$"
    mv "$f.partial.$$" "$f"
  fi
  echo "$f"
}

INPUT="$(ensure_data "$EVENTS")"
BIG_INPUT="$DATA/events-$BIG_EVENTS.jsonl"   # generated later, only with --big
cat "$INPUT" > /dev/null   # warm the page cache so the first measured run is not a disk read

# ---------------------------------------------------------------- helpers
# timed TIMEFILE STDOUT_FILE CMD... : run CMD under GNU time; fail loudly if CMD fails.
timed() {
  local tf="$1" out="$2"; shift 2
  if ! /usr/bin/time -f '%e %M' -o "$tf" "$@" > "$out" 2> "$WORK/stderr"; then
    echo "FAILED: $*" >&2
    cat "$WORK/stderr" "$tf" >&2 || true
    exit 1
  fi
}
median() { tr ' ' '\n' | grep . | sort -g | awk '{a[NR]=$1} END {
  if (NR % 2) printf "%.2f", a[(NR+1)/2]; else printf "%.2f", (a[NR/2]+a[NR/2+1])/2 }'; }
maxof()  { tr ' ' '\n' | grep . | sort -g | tail -n1; }
eps()    { awk -v n="$1" -v s="$2" 'BEGIN { if (s > 0) printf "%d", n/s; else printf "n/a" }'; }
ratio()  { awk -v f="$1" -v j="$2" 'BEGIN { if (f > 0 && j > 0) printf "%.1fx", j/f; else printf "n/a" }'; }
mb()     { awk -v k="$1" 'BEGIN { printf "%.1f", k/1024 }'; }
commas() { sed ':a;s/\B[0-9]\{3\}\>/,&/;ta'; }
lines()  { wc -l < "$1" | tr -d ' '; }
mismatch() { echo "MISMATCH: $*" >&2; exit 1; }

# ---------------------------------------------------------------- workloads
# W1h is W1 with a state dir: checkpoints and the metric history (sampled
# once a second), so that their cost is measured against W1 in the same run.
WORKLOADS=(W0 W1 W1h W2)
declare -A YAML=([W0]=bench/w0.yaml [W1]=bench/w1.yaml [W1h]=bench/w1.yaml [W2]=bench/w2.yaml)
declare -A JQ_OPT=([W0]=-c [W1]=-c [W1h]=-c [W2]=-rR)
declare -A JQ_FILTER=(
  [W0]='.'
  [W1]='select(.priority == "high" or .priority == "critical") | .routed = true | .amount_usd = .amount * 1.1'
  [W2]='select(fromjson | .priority == "high" or .priority == "critical")'
)
JQ_FILTER[W1h]="${JQ_FILTER[W1]}"
# Extra flowctl arguments of a workload (a fresh state dir each run).
fl_extra() { [[ "$1" == W1h ]] && echo "--state-dir $WORK/state.$2" || true; }
OUT_FL="$WORK/flowctl.out"
OUT_JQ="$WORK/jq.out"
TF="$WORK/time"
fl_cmd() { echo "$FLOWCTL apply ${YAML[$1]} --set INPUT=$2 --set OUTPUT=$OUT_FL -q $(fl_extra "$1" R)"; }
jq_cmd() { echo "jq ${JQ_OPT[$1]} '${JQ_FILTER[$1]}' $INPUT > $OUT_JQ"; }

# ---------------------------------------------------------------- machine facts
CPU_MODEL="$(grep -m1 -E '^(model name|Hardware|Processor)' /proc/cpuinfo 2>/dev/null | cut -d: -f2- | sed 's/^ *//' || true)"
[[ -n "$CPU_MODEL" ]] || CPU_MODEL="$(uname -m)"
NPROC="$(nproc)"
FL_VERSION="$("$FLOWCTL" --version 2>&1 | head -n1)"
JQ_VERSION="-"
[[ $SKIP_JQ -eq 1 ]] || JQ_VERSION="$(jq --version 2>&1)"

echo "== machine"
echo "nproc:    $NPROC"
echo "cpu:      $CPU_MODEL"
echo "flowctl:  $FL_VERSION ($FLOWCTL)"
echo "jq:       $JQ_VERSION"
echo "input:    $INPUT ($EVENTS events, $(( $(stat -c %s "$INPUT") / 1000000 )) MB)"
echo "runs:     $RUNS per tool and workload (median wall time; peak RSS = max over runs)"
echo
echo "== commands (run from $ROOT, each under /usr/bin/time -f '%e %M' -o TIMEFILE)"
for w in "${WORKLOADS[@]}"; do
  echo "$w flowctl: $(fl_cmd "$w" "$INPUT")"
  [[ $SKIP_JQ -eq 1 ]] || echo "$w jq:      $(jq_cmd "$w")"
done
[[ $BIG -eq 0 ]] || echo "W1 flowctl, $BIG_EVENTS events (--big): $(fl_cmd W1 "$BIG_INPUT")"
echo

# ---------------------------------------------------------------- measure
RESULTS="$WORK/results.tsv"; : > "$RESULTS"
for w in "${WORKLOADS[@]}"; do
  fl_walls="" fl_rss="" jq_walls="" jq_rss="" count=""
  for (( r = 1; r <= RUNS; r++ )); do
    echo "running $w, run $r/$RUNS: flowctl ..." >&2
    # shellcheck disable=SC2046  # the extra arguments are words
    timed "$TF" /dev/null "$FLOWCTL" apply "${YAML[$w]}" --set "INPUT=$INPUT" --set "OUTPUT=$OUT_FL" -q \
      $(fl_extra "$w" "$r")
    read -r wall rss < <(tail -n1 "$TF")
    fl_walls+="$wall " fl_rss+="$rss "
    if [[ "$w" == W1h ]]; then
      [[ -s "$WORK/state.$r/metrics.db" ]] || mismatch "W1h run $r left no metric history"
      rm -rf "$WORK/state.$r"
    fi
    fl_lines="$(lines "$OUT_FL")"; rm -f "$OUT_FL"

    if [[ $SKIP_JQ -eq 0 ]]; then
      echo "running $w, run $r/$RUNS: jq ..." >&2
      timed "$TF" "$OUT_JQ" jq "${JQ_OPT[$w]}" "${JQ_FILTER[$w]}" "$INPUT"
      read -r wall rss < <(tail -n1 "$TF")
      jq_walls+="$wall " jq_rss+="$rss "
      jq_lines="$(lines "$OUT_JQ")"; rm -f "$OUT_JQ"
      [[ "$fl_lines" == "$jq_lines" ]] \
        || mismatch "$w run $r: flowctl wrote $fl_lines lines, jq wrote $jq_lines"
    fi
    [[ -z "$count" || "$count" == "$fl_lines" ]] \
      || mismatch "$w run $r: flowctl wrote $fl_lines lines, an earlier run wrote $count"
    count="$fl_lines"
  done
  if [[ "$w" == W0 && "$count" != "$EVENTS" ]]; then
    mismatch "W0: flowctl wrote $count lines for $EVENTS input events"
  fi
  if [[ "$w" != W0 && "$EVENTS" == 1000000 && "$count" != "$EXPECTED_1M_FILTERED" ]]; then
    mismatch "$w: $count output lines for 1,000,000 events, expected $EXPECTED_1M_FILTERED"
  fi
  if [[ $SKIP_JQ -eq 1 ]]; then
    jq_med="-" jq_max="-" jq_walls="-"
  else
    jq_med="$(median <<< "$jq_walls")" jq_max="$(maxof <<< "$jq_rss")"
  fi
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$w" "$(median <<< "$fl_walls")" "$fl_walls" \
    "$(maxof <<< "$fl_rss")" "$jq_med" "$jq_walls" "$jq_max" "$count" >> "$RESULTS"
done
# W1 and W2 apply the same filter.
w1_count="$(awk -F'\t' '$1=="W1"{print $8}' "$RESULTS")"
w2_count="$(awk -F'\t' '$1=="W2"{print $8}' "$RESULTS")"
[[ "$w1_count" == "$w2_count" ]] || mismatch "W1 wrote $w1_count lines, W2 wrote $w2_count (same filter)"

# ---------------------------------------------------------------- big run
BIG_LINE=""
if [[ $BIG -eq 1 ]]; then
  ensure_data "$BIG_EVENTS" > /dev/null
  cat "$BIG_INPUT" > /dev/null
  echo "running W1 on $BIG_EVENTS events (flowctl only, once) ..." >&2
  timed "$TF" /dev/null "$FLOWCTL" apply bench/w1.yaml --set "INPUT=$BIG_INPUT" --set "OUTPUT=$OUT_FL" -q
  read -r big_wall big_rss < <(tail -n1 "$TF")
  big_lines="$(lines "$OUT_FL")"; rm -f "$OUT_FL"
  BIG_LINE="$big_wall $big_rss $big_lines"
fi

# ---------------------------------------------------------------- report
echo "== results: $EVENTS events, median of $RUNS run(s)"
printf '%-8s %12s %14s %12s %10s %14s %8s\n' \
  workload "flowctl s" "flowctl ev/s" "flowctl MB" "jq s" "jq ev/s" ratio
while IFS=$'\t' read -r w fmed _ frss jmed _ _ count; do
  f_eps="$(eps "$EVENTS" "$fmed" | commas)"
  if [[ "$jmed" == "-" ]]; then j_eps="-" rat="-"
  else j_eps="$(eps "$EVENTS" "$jmed" | commas)" rat="$(ratio "$fmed" "$jmed")"; fi
  printf '%-8s %12s %14s %12s %10s %14s %8s\n' \
    "$w" "$fmed" "$f_eps" "$(mb "$frss")" "$jmed" "$j_eps" "$rat"
done < "$RESULTS"
echo "(events/s = input events / median wall time; output lines: $(awk -F'\t' '{printf "%s%s=%s", (NR>1?", ":""), $1, $8}' "$RESULTS"))"
awk -F'\t' '$1=="W1"{a=$2} $1=="W1h"{b=$2} END { if (a > 0 && b > 0)
  printf "state dir (checkpoints + metric history) on W1: %.2f s vs %.2f s, %+.1f%% wall time\n", b, a, (b/a-1)*100 }' "$RESULTS"

if [[ -n "$BIG_LINE" ]]; then
  read -r big_wall big_rss big_lines <<< "$BIG_LINE"
  w1_rss="$(awk -F'\t' '$1=="W1"{print $4}' "$RESULTS")"
  echo
  echo "== big: W1 on $BIG_EVENTS events, flowctl, 1 run"
  echo "wall $big_wall s, $(eps "$BIG_EVENTS" "$big_wall" | commas) events/s, peak RSS $(mb "$big_rss") MB" \
       "(vs $(mb "$w1_rss") MB on $EVENTS events), $big_lines output lines"
fi

# ---------------------------------------------------------------- json
if [[ -n "$JSON_OUT" ]]; then
  CMDS="$WORK/commands"; : > "$CMDS"
  for w in "${WORKLOADS[@]}"; do
    printf '%s\tflowctl\t%s\n' "$w" "$(fl_cmd "$w" "$INPUT")" >> "$CMDS"
    [[ $SKIP_JQ -eq 1 ]] || printf '%s\tjq\t%s\n' "$w" "$(jq_cmd "$w")" >> "$CMDS"
  done
  [[ -z "$BIG_LINE" ]] || printf 'W1-big\tflowctl\t%s\n' "$(fl_cmd W1 "$BIG_INPUT")" >> "$CMDS"
  EVENTS="$EVENTS" RUNS="$RUNS" NPROC="$NPROC" CPU_MODEL="$CPU_MODEL" FL_VERSION="$FL_VERSION" \
  JQ_VERSION="$JQ_VERSION" FLOWCTL="$FLOWCTL" INPUT="$INPUT" BIG_LINE="$BIG_LINE" \
  BIG_EVENTS="$BIG_EVENTS" \
  python3 - "$RESULTS" "$CMDS" "$JSON_OUT" <<'PY'
import json, os, sys
results_tsv, cmds_tsv, out = sys.argv[1:4]
env = os.environ
n = int(env["EVENTS"])
def num(s):
    return None if s in ("-", "") else float(s)
def walls(s):
    return [] if s.strip() in ("-", "") else [float(x) for x in s.split()]
def eps(events, wall):
    return round(events / wall) if wall else None
commands = {}
for line in open(cmds_tsv):
    w, tool, cmd = line.rstrip("\n").split("\t", 2)
    commands.setdefault(w, {})[tool] = cmd
results = []
for line in open(results_tsv):
    w, fmed, fwalls, frss, jmed, jwalls, jrss, count = line.rstrip("\n").split("\t")
    fmed, jmed = float(fmed), num(jmed)
    r = {"workload": w, "output_lines": int(count),
         "flowctl": {"wall_s_median": fmed, "wall_s_runs": walls(fwalls),
                     "events_per_s": eps(n, fmed), "peak_rss_mb": round(int(frss) / 1024, 1)},
         "jq": None, "ratio": None}
    if jmed is not None:
        r["jq"] = {"wall_s_median": jmed, "wall_s_runs": walls(jwalls),
                   "events_per_s": eps(n, jmed), "peak_rss_mb": round(int(jrss) / 1024, 1)}
        r["ratio"] = round(jmed / fmed, 2) if fmed and jmed else None
    results.append(r)
big = None
if env.get("BIG_LINE"):
    wall, rss, lines = env["BIG_LINE"].split()
    be = int(env["BIG_EVENTS"])
    big = {"workload": "W1", "events": be, "wall_s": float(wall),
           "events_per_s": eps(be, float(wall)), "peak_rss_mb": round(int(rss) / 1024, 1),
           "output_lines": int(lines)}
doc = {"events": n, "runs": int(env["RUNS"]), "input": env["INPUT"],
       "machine": {"nproc": int(env["NPROC"]), "cpu": env["CPU_MODEL"],
                   "flowctl": env["FL_VERSION"], "flowctl_path": env["FLOWCTL"],
                   "jq": None if env["JQ_VERSION"] == "-" else env["JQ_VERSION"]},
       "timing": "/usr/bin/time -f '%e %M' (whole-process wall s, peak RSS KB); "
                 "median wall over runs, max RSS over runs",
       "commands": commands, "results": results, "big": big}
with open(out, "w") as f:
    json.dump(doc, f, indent=2)
    f.write("\n")
PY
  echo
  echo "JSON written to $JSON_OUT"
fi
