#!/usr/bin/env bash
# Regenerates zerodowntime-autoconfigure/src/main/resources/META-INF/zerodowntime/upgrade-path.classes:
# the library classes (Spring, Tomcat, Jackson, logback...) that a generation loads only after it
# is ready, on the paths that must work even once the jar was overwritten in place: GET and POST
# /actuator/upgrade (200, 409 and 500 answers), a failed and a successful upgrade, the drain and
# the exit. Each generation loads them at ready (Upgrader#warmUp), while its jar is surely intact.
#
# Entries are only added (delete the file and run it on a build without the list to start over).
# Run after changing Spring Boot's version:  sample-app/src/test/preload/capture-upgrade-path-classes.sh
# (needs the sample app built: mvn -q install -DskipTests; curl). Everything listens on 127.0.0.1.
set -euo pipefail
root=$(cd "$(dirname "$0")/../../../.." && pwd)
out=$root/zerodowntime-autoconfigure/src/main/resources/META-INF/zerodowntime/upgrade-path.classes
java=${JAVA_HOME:-/usr/lib/jvm/java-17-openjdk-amd64}/bin/java
work=$(mktemp -d)
port=$((20000 + RANDOM % 20000))
cp "$root/sample-app/target/sample-app.jar" "$work/app.jar"
: >"$work/extra.properties"
gen1=""
cleanup() {
  # by pid, each generation recorded in the PID file
  for pid in $gen1 $(cat "$work/app.pid" 2>/dev/null); do kill -TERM "$pid" 2>/dev/null || true; done
  sleep 2; rm -rf "$work"
}
trap cleanup EXIT
cd "$work"
"$java" "-Xlog:class+load=info:file=$work/classes-%p.log" -jar app.jar --server.port=$port \
  --spring.config.additional-location=optional:file:$work/extra.properties \
  --zerodowntime.pid-file=$work/app.pid --zerodowntime.upgrade-timeout=30s >"$work/app.log" 2>&1 &
gen1=$!
url=http://127.0.0.1:$port
for _ in $(seq 120); do curl -fsS "$url/" >/dev/null 2>&1 && break; sleep 0.5; done
grep -q "is ready" "$work/app.log" || { echo "generation 1 did not start" >&2; cat "$work/app.log" >&2; exit 1; }
sleep 2
ready_lines=$(wc -l <"$work/classes-$gen1.log")
json=(-H 'Content-Type: application/json' -d '{}')
for path in /actuator/upgrade /actuator /actuator/health /no-such-page '/slow?ms=x'; do
  curl -sS "$url$path" -o /dev/null -w "GET $path: %{http_code}\n"
done
curl -sS -X PUT "$url/actuator/upgrade" -o /dev/null -w 'PUT: %{http_code}\n'
echo "sample.fail-on-start=true" >"$work/extra.properties"
curl -sS -X POST "${json[@]}" "$url/actuator/upgrade" -o /dev/null -w 'failing release: %{http_code}\n' &
failing=$!
sleep 1
curl -sS -X POST "$url/actuator/upgrade" -o /dev/null -w 'POST without JSON (415): %{http_code}\n'
curl -sS -X POST "${json[@]}" "$url/actuator/upgrade" -o /dev/null -w 'concurrent POST, JSON: %{http_code}\n'
wait "$failing"
curl -sS "$url/actuator/upgrade" >/dev/null
: >"$work/extra.properties"
curl -sS -X POST "${json[@]}" "$url/actuator/upgrade" -o /dev/null -w 'good release: %{http_code}\n'
for _ in $(seq 60); do kill -0 "$gen1" 2>/dev/null || break; sleep 0.5; done
tail -n +"$((ready_lines + 1))" "$work/classes-$gen1.log" |
  sed -n 's/.*\[class,load\] \([^ ]*\) source: jar:nested:.*BOOT-INF\/lib\/.*/\1/p' |
  grep -v '^io\.zerodowntime\.' >"$work/classes.txt"
# what logging an exception needs; no path above logs one when all goes well
printf '%s\n' ch.qos.logback.classic.spi.ThrowableProxy ch.qos.logback.classic.spi.ThrowableProxyUtil \
  ch.qos.logback.classic.spi.StackTraceElementProxy ch.qos.logback.classic.spi.ClassPackagingData \
  ch.qos.logback.classic.spi.PackagingDataCalculator ch.qos.logback.classic.spi.STEUtil >>"$work/classes.txt"
# kept from the list: this build preloads them, so they no longer show up as loaded after ready
grep -v '^#' "$out" 2>/dev/null >>"$work/classes.txt" || true
sort -u -o "$work/classes.txt" "$work/classes.txt"
{
  echo "# Classes loaded after ready on the upgrade, drain and exit paths; see"
  echo "# sample-app/src/test/preload/capture-upgrade-path-classes.sh, which wrote this file."
  cat "$work/classes.txt"
} >"$out"
echo "$(wc -l <"$work/classes.txt") classes written to $out"
