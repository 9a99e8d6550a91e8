#!/usr/bin/env bash
# The benchmark, in one command, from the repository root:
#
#   bench/run.sh [N] [bench.py options...]
#
# N: triggers per system and load mode (default 20). Runs side by side, one after the
# other on the same machine: the sample app with the starter (upgraded by SIGHUP), the
# same app without it (SIGTERM, wait, start again), and a Go server upgraded with
# cloudflare/tableflip (SIGHUP), each under wrk with keep-alive and with a new connection
# per request. Prints the table; copies it (results.md, results.json) and the chart
# (latency.png) into bench/results/, and leaves the raw data in /tmp (or BENCH_OUT).
#
# Needs wrk, go, gnuplot and python3 (bench/install-tools.sh installs them from Debian's
# packages), a JDK (java on the PATH, or BENCH_JAVA=/path/to/bin/java) and the packaged
# sample app (built here with mvn if sample-app/target/sample-app.jar is missing; or
# BENCH_JAR=/path/to/sample-app.jar). BENCH_OUT=<dir> chooses where the results go.
set -euo pipefail
cd "$(dirname "$0")/.."

# bench/run.sh --handover [handover.py options]: the handover benchmark of issue 15 (per JDK and
# release layout, idle and saturated, priority lever off and on; the heavy sample; the nginx
# blue/green peer), about 25 minutes; bench/run.sh --quick: its smoke run (JDK 17, a few minutes).
# Writes bench/results/handover.md and handover.json. Needs wrk and nginx (bench/install-tools.sh).
if [ "${1:-}" = --handover ] || [ "${1:-}" = --quick ]; then
  mode=$1
  shift
  for tool in wrk nginx python3; do
    command -v "$tool" >/dev/null || { echo "bench: missing $tool; run bench/install-tools.sh" >&2; exit 1; }
  done
  for module in sample-app sample-heavy; do
    if [ ! -f "$module/target/$module.jar" ]; then
      echo "bench: building $module/target/$module.jar"
      mvn -q -B package -DskipTests -pl "$module" -am
    fi
  done
  work=$(mktemp -d /tmp/zdhandover.XXXXXX)
  trap 'rm -rf "$work"' EXIT
  # private copies: a build running meanwhile must not overwrite a jar under a running JVM
  cp sample-app/target/sample-app.jar "$work/light.jar"
  cp sample-heavy/target/sample-heavy.jar "$work/heavy.jar"
  out=${BENCH_OUT:-/tmp/zdhandover-results-$(date -u +%Y%m%dT%H%M%SZ)}
  quick=()
  [ "$mode" = --quick ] && quick=(--quick)
  python3 bench/handover.py --work "$work" --out "$out" --jar "$work/light.jar" --heavy-jar "$work/heavy.jar" \
    ${BENCH_JAVA:+--java17 "$BENCH_JAVA"} "${quick[@]}" "$@"
  mkdir -p bench/results
  cp "$out/handover.md" "$out/handover.json" bench/results/
  [ -f "$out/handover.svg" ] && cp "$out/handover.svg" bench/results/
  echo "bench: bench/results/handover.md updated; raw data in $out"
  exit 0
fi

n=20
if [ $# -gt 0 ] && [[ $1 =~ ^[0-9]+$ ]]; then
  n=$1
  shift
fi

missing=()
for tool in wrk go gnuplot python3; do
  command -v "$tool" >/dev/null || missing+=("$tool")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "bench: missing ${missing[*]}; run bench/install-tools.sh" >&2
  exit 1
fi
if [ ! -d /usr/share/gocode/src/github.com/cloudflare/tableflip ]; then
  echo "bench: tableflip sources missing; run bench/install-tools.sh" >&2
  exit 1
fi
java=${BENCH_JAVA:-java}
jar=${BENCH_JAR:-sample-app/target/sample-app.jar}
if [ ! -f "$jar" ]; then
  echo "bench: building $jar"
  mvn -q -B package -DskipTests -pl sample-app -am
fi

work=$(mktemp -d /tmp/zdbench.XXXXXX)
trap 'rm -rf "$work"' EXIT
# a private copy: a build running meanwhile must not overwrite the jar under a running JVM
cp "$jar" "$work/app.jar"
if ! python3 -c 'import sys, zipfile; sys.exit(not any(n.startswith("BOOT-INF/lib/") for n in zipfile.ZipFile(sys.argv[1]).namelist()))' "$work/app.jar" 2>/dev/null; then
  echo "bench: $jar is not the packaged (repackaged) sample app; is a build running? Build it with" >&2
  echo "       mvn -q package -DskipTests -pl sample-app -am, or point BENCH_JAR at a copy" >&2
  exit 1
fi
GO111MODULE=off GOPATH="/usr/share/gocode:$work/gopath" GOCACHE="$work/gocache" GOFLAGS= \
  go build -o "$work/tfserver" bench/tableflip/main.go

# raw data (every request wrk made, server logs) stay outside the repository
out=${BENCH_OUT:-/tmp/zdbench-results-$(date -u +%Y%m%dT%H%M%SZ)}
BENCH_JAVA=$java python3 bench/bench.py --work "$work" --out "$out" --upgrades "$n" "$@"
# the latest table and chart, which the README shows
mkdir -p bench/results
cp "$out/results.md" "$out/results.json" "$out/latency.png" bench/results/
echo "bench: bench/results/results.md and bench/results/latency.png updated; raw data in $out"
