#!/usr/bin/env bash
# testbed-check.sh: run the sample app's systemd units on a real systemd 252 (Debian 12) in a
# throw-away container, and check what the starter promises under systemd:
#   start -> 3 x `systemctl reload` with a client loop running -> a reload that fails (a bad
#   release) -> zerodowntime-deploy: a new release, a broken jar, a release that fails to
#   start -> (client loop stops) -> a deploy after the JVM options changed (restart, said so)
#   -> `systemctl stop` with a slow request in flight.
# After every reload systemd's MainPID must be the serving generation, the unit active, and
# Restart= never fire; the client loop must see no failed request; the stop must drain (the
# slow request completes, nothing is SIGKILLed). It prints what it saw and exits non-zero on
# any deviation.
#
# Usage: testbed-check.sh [notify|socket|pidfile]     (default notify)
# Needs root, the packaged jar (mvn -pl sample-app -am package -DskipTests), and the testbed:
# systemd-testbed.sh beside this script (apt-get install systemd-container debootstrap; the
# first run builds the Debian 12 root, about 40 s). Environment:
#   SAMPLE_APP_JAR   the jar (default sample-app/target/sample-app.jar)
#   SYSTEMD_TESTBED  the testbed tool
#   TESTBED_NAME     container name (default zd-check-<pid>); TESTBED_JDK: the JDK inside
#   TESTBED_CHECK_KEEP=1  keep the staging directory (client loop log, journal) for a post-mortem
set -euo pipefail

variant=${1:-notify}
case $variant in notify | socket | pidfile) ;; *) echo "usage: $0 [notify|socket|pidfile]" >&2; exit 2 ;; esac

here=$(cd "$(dirname "$0")" && pwd)
app_root=$(cd "$here/../../.." && pwd)
units=$app_root/src/main/systemd
jar=${SAMPLE_APP_JAR:-$app_root/target/sample-app.jar}
testbed=${SYSTEMD_TESTBED:-$here/systemd-testbed.sh}
export TESTBED_NAME=${TESTBED_NAME:-zd-check-$$}
jdk=${TESTBED_JDK:-/usr/lib/jvm/java-17-openjdk-amd64}
export TESTBED_JDK=$jdk

[[ -f $jar ]] || { echo "no jar at $jar: mvn -pl sample-app -am package -DskipTests" >&2; exit 2; }
[[ -x $testbed ]] || { echo "no testbed tool at $testbed (set SYSTEMD_TESTBED)" >&2; exit 2; }
[[ -x $jdk/bin/jar ]] || { echo "no jar tool in $jdk (a JDK is needed to make the test releases)" >&2; exit 2; }

stage=$(mktemp -d /tmp/zd-testbed-check.XXXXXX)
chmod 0755 "$stage"
deviations=()
load_pid=""
slow_pid=""
t_begin=$SECONDS

cleanup() {
  local pid
  for pid in $load_pid $slow_pid; do kill "$pid" 2>/dev/null || true; done
  "$testbed" down >/dev/null 2>&1 || true
  # the testbed leaves its (unmounted, small) instance directory behind; this name was ours alone
  local inst=${TESTBED_BASE:-/var/tmp/systemd-testbed}/instances/$TESTBED_NAME
  mountpoint -q "$inst/merged" 2>/dev/null || rm -rf "$inst"
  if [[ -n ${TESTBED_CHECK_KEEP:-} ]]; then echo "kept: $stage (load.log, journal.txt, ...)"; else rm -rf "$stage"; fi
}
trap cleanup EXIT

log() { printf '%s [%4ss] %s\n' "$(date +%T)" "$((SECONDS - t_begin))" "$*"; }
ok() { log "ok    $*"; }
bad() { log "FAIL  $*"; deviations+=("$*"); }
# check WHAT EXPRESSION: EXPRESSION is evaluated (eval) in this shell
check() { if eval "$2"; then ok "$1"; else bad "$1"; fi; }
inside() { "$testbed" run "$@"; }
sctl() { "$testbed" sctl "$@"; }
prop() { sctl show -p "$1" --value sample-app.service; }
ms() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }

# serving generation and pid, as a client sees them: "GEN PID"
serving() {
  { inside curl -s -m 10 -D - -o /dev/null http://127.0.0.1:8080/ 2>/dev/null || true; } |
    awk -F': ' 'tolower($1) == "x-generation" {g = $2} tolower($1) == "x-pid" {p = $2}
                END {gsub(/\r/, "", g); gsub(/\r/, "", p); print g, p}'
}

# wait until clients are served by the main pid (the old generation closes its listener copy
# a moment after it handed over); prints "GEN PID"
await_serving_main() {
  local main=$1 s i
  for ((i = 0; i < 50; i++)); do
    s=$(serving)
    [[ ${s#* } == "$main" ]] && break
    sleep 0.2
  done
  echo "$s"
}

# --- stage: units, jar, scripts, test releases -------------------------------------------------
cp "$units/$variant"/* "$stage/"
cp "$jar" "$stage/sample-app.jar"
mkdir "$stage/bin" "$stage/releases"
cp "$units/bin/"* "$stage/bin/"
cp "$units/sample-app.default" "$stage/sample-app.default"
# release 2: the same application, one more file; release bad: refuses to start; a broken jar
mkdir -p "$stage/x/BOOT-INF/classes"
echo "release 2" >"$stage/x/BOOT-INF/classes/release.txt"
cp "$jar" "$stage/releases/release-2.jar"
"$jdk/bin/jar" uf "$stage/releases/release-2.jar" -C "$stage/x" BOOT-INF/classes/release.txt
rm "$stage/x/BOOT-INF/classes/release.txt"
unzip -p "$jar" BOOT-INF/classes/application.properties >"$stage/x/BOOT-INF/classes/application.properties"
echo "sample.fail-on-start=true" >>"$stage/x/BOOT-INF/classes/application.properties"
cp "$jar" "$stage/releases/release-bad.jar"
"$jdk/bin/jar" uf "$stage/releases/release-bad.jar" -C "$stage/x" BOOT-INF/classes/application.properties
head -c 100000 "$jar" >"$stage/releases/truncated.jar"
rm -rf "$stage/x"

log "variant $variant, jar $jar, JDK $jdk, container $TESTBED_NAME"
"$testbed" up "$stage"
inside bash -c '
  set -e
  useradd --system --user-group --no-create-home --home-dir /opt/sample-app --shell /usr/sbin/nologin sample-app
  install -d /opt/sample-app/bin /etc/sample-app
  install -m 0644 /srv/testbed/sample-app.jar /opt/sample-app/sample-app.jar
  install -m 0755 /srv/testbed/bin/* /opt/sample-app/bin/
  install -m 0644 /srv/testbed/sample-app.default /etc/default/sample-app
  ln -sf /usr/local/bin/java /usr/bin/java'
log "installed: $(inside systemctl --version | head -1), $(inside java -version 2>&1 | head -1)"

# --- start ---------------------------------------------------------------------------------------
t=$(date +%s%N)
if [[ $variant == socket ]]; then
  sctl start sample-app.socket sample-app-management.socket
  listening=$(inside ss -Hltnp 'sport = :8080')
  check "only systemd listens before the first connection" '[[ $listening == *systemd* && $listening != *java* ]]'
  listener_before=$(inside ss -Hltne 'sport = :8080' | grep -o 'ino:[0-9]*')
  log "socket units listening (8080 $listener_before); the first request starts the service"
else
  sctl start sample-app.service
fi
for ((i = 0; i < 300; i++)); do
  s=$(serving); [[ -n ${s// /} ]] && break; sleep 0.2
done
main=$(prop MainPID)
log "started in $(ms "$t") ms: $(prop ActiveState)/$(prop SubState), MainPID $main, serving generation/pid: $s"
check "generation 1 serves and is the main process" '[[ $s == "1 $main" ]]'
check "unit active after start" '[[ $(prop ActiveState) == active ]]'
check "the control socket is in the RuntimeDirectory, mode 0600, owned by the service user" \
  '[[ $(inside stat -c "%a %U %F" /run/sample-app/control.sock) == "600 sample-app socket" ]]'
pids=("$main")

# --- client loop, bounded: until told to stop, at most 10 minutes or 100000 requests ------------
# one line per request: time, status, curl's exit code, seconds, curl's error message
inside timeout 600 bash -c 'n=0; while [ ! -e /tmp/stop-load ] && [ $n -lt 100000 ]; do
    printf "%(%T)T " -1
    curl -s -o /dev/null -m 30 -w "%{http_code} %{exitcode} %{time_total} %{errormsg}\n" http://127.0.0.1:8080/
    n=$((n + 1)); done' >"$stage/load.log" 2>&1 &
load_pid=$!
sleep 1

# --- 3 reloads under load ------------------------------------------------------------------------
for round in 1 2 3; do
  before=$(prop MainPID)
  t=$(date +%s%N)
  if sctl reload sample-app.service; then rc=0; else rc=$?; fi
  took=$(ms "$t")
  main=$(prop MainPID)
  s=$(await_serving_main "$main")
  log "reload $round: exit $rc in $took ms; MainPID $before -> $main; $(prop ActiveState)/$(prop SubState);" \
    "NRestarts=$(prop NRestarts); serving generation/pid: $s; status: $(prop StatusText)"
  check "reload $round succeeded" '[[ $rc == 0 ]]'
  check "reload $round: MainPID is the serving generation $((round + 1))" '[[ $s == "$((round + 1)) $main" ]]'
  check "reload $round: MainPID changed" '[[ $main != "$before" ]]'
  check "reload $round: unit active/running" '[[ $(prop ActiveState)/$(prop SubState) == active/running ]]'
  check "reload $round: Restart= never fired" '[[ $(prop NRestarts) == 0 ]]'
  pids+=("$main")
done

# --- a reload that fails: the next generation refuses to start ---------------------------------
inside bash -c 'echo sample.fail-on-start=true >/etc/sample-app/application.properties'
before=$(prop MainPID)
t=$(date +%s%N)
if sctl reload sample-app.service 2>"$stage/reload-failed.err"; then rc=0; else rc=$?; fi
took=$(ms "$t")
s=$(serving)
log "failed reload: exit $rc in $took ms ($(tr '\n' ' ' <"$stage/reload-failed.err"));" \
  "MainPID $before -> $(prop MainPID); serving $s; status: $(prop StatusText)"
check "a reload whose upgrade fails fails" '[[ $rc != 0 ]]'
check "after the failed reload the same generation is main and serves" \
  '[[ $s == "4 $before" && $(prop MainPID) == "$before" ]]'
check "after the failed reload the unit is active/running" '[[ $(prop ActiveState)/$(prop SubState) == active/running ]]'
if [[ $variant != pidfile ]]; then
  check "the status says why" '[[ $(prop StatusText) == *"upgrade to generation 5 failed"*"refuses to start"* ]]'
fi
inside rm -f /etc/sample-app/application.properties

# --- zerodowntime-deploy through systemctl reload ------------------------------------------------
# the jar comes from the unit (Environment=ZERODOWNTIME_JAR=)
deploy() { inside /opt/sample-app/bin/zerodowntime-deploy --unit sample-app.service "$@"; }
jar_sum() { inside sha256sum /opt/sample-app/sample-app.jar | cut -c1-16; }

before=$(prop MainPID)
if deploy /srv/testbed/releases/release-2.jar >"$stage/deploy.out" 2>&1; then rc=0; else rc=$?; fi
main=$(prop MainPID)
s=$(await_serving_main "$main")
sed 's/^/      | /' "$stage/deploy.out"
check "deploy of release 2 succeeded" '[[ $rc == 0 ]]'
check "deploy: MainPID is the serving generation 5" '[[ $s == "5 $main" && $main != "$before" ]]'
check "deploy: release 2 is in place, the previous release kept beside it" \
  'inside cmp -s /opt/sample-app/sample-app.jar /srv/testbed/releases/release-2.jar &&
   inside cmp -s /opt/sample-app/sample-app.jar.previous /srv/testbed/sample-app.jar'
pids+=("$main")

sum=$(jar_sum)
if deploy /srv/testbed/releases/truncated.jar >"$stage/deploy.out" 2>&1; then rc=0; else rc=$?; fi
sed 's/^/      | /' "$stage/deploy.out"
check "deploy of a truncated jar is rejected (exit 3) and changes nothing" \
  '[[ $rc == 3 && $(jar_sum) == "$sum" && $(prop MainPID) == "$main" ]]'

if deploy /srv/testbed/releases/release-bad.jar >"$stage/deploy.out" 2>&1; then rc=0; else rc=$?; fi
sed 's/^/      | /' "$stage/deploy.out"
s=$(serving)
check "deploy of a release that fails to start fails (exit 1)" '[[ $rc == 1 ]]'
check "after it, release 2 is back in place and generation 5 serves on as main" \
  '[[ $(jar_sum) == "$sum" && $s == "5 $main" && $(prop MainPID) == "$main" ]]'
check "the unit is active/running, Restart= never fired" \
  '[[ $(prop ActiveState)/$(prop SubState)/$(prop NRestarts) == active/running/0 ]]'

# --- stop the client loop: no request may have failed -------------------------------------------
inside touch /tmp/stop-load
wait "$load_pid" || true
load_pid=""
total=$(grep -c . "$stage/load.log" || true)
failed=$(awk '$2 != 200' "$stage/load.log" | wc -l)
slowest=$(awk '{print $4}' "$stage/load.log" | sort -g | tail -1)
log "client loop: $total requests during 4 upgrades and 2 failed ones, $failed not answered 200," \
  "slowest ${slowest}s"
awk '$2 != 200 {print "      | " $0}' "$stage/load.log"
check "client loop: no failed request" '[[ $failed == 0 ]]'
check "client loop: it ran (at least 50 requests)" '((total >= 50))'

# --- a deploy after the JVM options changed restarts, and says so -------------------------------
sleep 1.1   # a file time stamp that is surely later than the start
inside bash -c 'echo "JAVA_OPTS=-Xms64m -Xmx256m -XX:+ExitOnOutOfMemoryError -Dsample.options=2" >/etc/default/sample-app'
if [[ $variant == socket ]]; then
  # systemd holds the sockets across the restart: connections wait in the backlog, none is refused
  inside rm -f /tmp/stop-load
  inside timeout 600 bash -c 'n=0; while [ ! -e /tmp/stop-load ] && [ $n -lt 100000 ]; do
      printf "%(%T)T " -1
      curl -s -o /dev/null -m 120 -w "%{http_code} %{exitcode} %{time_total} %{errormsg}\n" http://127.0.0.1:8080/
      n=$((n + 1)); done' >"$stage/load-restart.log" 2>&1 &
  load_pid=$!
  sleep 1
fi
if deploy --rollback >"$stage/deploy.out" 2>&1; then rc=0; else rc=$?; fi
if [[ $variant == socket ]]; then
  sleep 1
  inside touch /tmp/stop-load
  wait "$load_pid" || true
  load_pid=""
  total=$(grep -c . "$stage/load-restart.log" || true)
  failed=$(awk '$2 != 200' "$stage/load-restart.log" | wc -l)
  slowest=$(awk '{print $4}' "$stage/load-restart.log" | sort -g | tail -1)
  log "client loop across the restart: $total requests, $failed not answered 200, slowest ${slowest}s"
  awk '$2 != 200 {print "      | " $0}' "$stage/load-restart.log"
  check "systemctl restart with socket units refused no connection" '((failed == 0 && total > 0))'
fi
sed 's/^/      | /' "$stage/deploy.out"
main=$(prop MainPID)
s=$(await_serving_main "$main")
check "deploy after a JVM option change restarts instead of reloading, and says so" \
  'grep -q "restarting sample-app.service instead of reloading: /etc/default/sample-app changed" "$stage/deploy.out"'
check "the restarted generation 1 runs the new options and serves as main" \
  '[[ $rc == 0 && $s == "1 $main" ]] && inside cat /proc/$main/cmdline | tr "\0" " " | grep -c -- -Dsample.options=2 >/dev/null'
pids+=("$main")

# --- every earlier generation has exited (drained) ----------------------------------------------
for ((i = 0; i < 100; i++)); do
  alive=()
  for p in "${pids[@]}"; do [[ $p != "$main" ]] && inside kill -0 "$p" 2>/dev/null && alive+=("$p"); done
  ((${#alive[@]} == 0)) && break
  sleep 0.5
done
check "every earlier generation exited (${pids[*]:0:${#pids[@]}-1})" '((${#alive[@]} == 0))'

# --- stop with a slow request in flight ----------------------------------------------------------
if [[ $variant == socket ]]; then
  listener_now=$(inside ss -Hltne 'sport = :8080' | grep -o 'ino:[0-9]*' | sort -u)
  listening=$(inside ss -Hltnp 'sport = :8080')
  log "listening on 8080 now: $listener_now $listening"
  check "the listening socket is still systemd's ($listener_before), shared with the serving JVM" \
    '[[ $listener_now == "$listener_before" && $listening == *systemd* && $listening == *"pid=$main,"* ]]'
fi
# a slow request: a 100 kB upload sent at 20 kB/s, about 5 s in flight
inside bash -c "head -c 100000 /dev/zero | curl -s -m 60 --limit-rate 20k -w '\n%{http_code}\n' \
    -H 'Content-Type: application/octet-stream' --data-binary @- http://127.0.0.1:8080/upload" \
  >"$stage/slow.out" 2>&1 &
slow_pid=$!
for ((i = 0; i < 50; i++)); do
  [[ -n $(inside ss -Htn state established 'dport = :8080') ]] && break
  sleep 0.1
done
sleep 0.5
t=$(date +%s%N)
sctl stop sample-app.service
took=$(ms "$t")
wait "$slow_pid" || true
slow_pid=""
log "stop took $took ms; slow request got: $(tr '\n' ' ' <"$stage/slow.out");" \
  "unit $(prop ActiveState)/$(prop SubState), Result=$(prop Result)"
check "the slow request in flight completed (200, all 100000 bytes received)" \
  'grep -q "^100000 " "$stage/slow.out" && grep -qx 200 "$stage/slow.out"'
check "systemctl stop waited for the drain (>= 3 s)" '((took >= 3000))'
check "unit inactive with Result=success" '[[ $(prop ActiveState)/$(prop Result) == inactive/success ]]'

# --- the journal ---------------------------------------------------------------------------------
"$testbed" journal -b -o short-monotonic >"$stage/journal.txt" 2>&1 || true
for pattern in 'Scheduled restart job' 'which is not our child' 'reception only permitted for main PID' \
               'with signal SIGKILL' 'Failed with result' 'remains running after unit stopped'; do
  check "journal has no '$pattern'" '! grep -q "$pattern" "$stage/journal.txt"'
done
log "systemd's lines about the unit:"
grep -E 'systemd\[1\]: (sample-app|.*zerodowntime sample app)' "$stage/journal.txt" | grep -v 'Consumed' |
  sed -E 's/^\[ *([0-9.]+)\] [^ ]+ /      [\1] /' | tail -40

echo
if ((${#deviations[@]})); then
  log "RESULT: ${#deviations[@]} deviation(s) ($variant):"
  printf '        - %s\n' "${deviations[@]}"
  exit 1
fi
log "RESULT: all checks passed ($variant)"
