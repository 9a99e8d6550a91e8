#!/usr/bin/env bash
# testbed-check.sh: run the sample app's systemd units on a real systemd 252 (Debian 12) in a
# throw-away container, and check what the starter promises under systemd:
#   start -> 3 x `systemctl reload` with a client loop running (the first one checks that
#   MainPID stays the old generation's through the new one's probation) -> a reload that fails
#   (a bad release) -> a reload whose new generation dies 1 s after it took the traffic (rolled
#   back: MainPID stays, the status says why) -> zerodowntime-deploy: a new release, a broken jar, a release that fails to
#   start -> (client loop stops) -> a deploy after the JVM options changed (restart, said so)
#   -> `systemctl stop` with a slow request in flight.
# After every reload systemd's MainPID must be the serving generation, the unit active, and
# Restart= never fire; the client loop must see no failed request; the stop must drain (the
# slow request completes, nothing is SIGKILLed). It prints what it saw and exits non-zero on
# any deviation.
#
# The `releases` scenario checks the release layout instead: /opt/app/releases/r1 and r2 (each
# with app.jar and an application.properties naming its sample.release), /opt/app/current ->
# releases/r1, a Type=notify unit with WorkingDirectory=/opt/app/current and a RELATIVE
# `-jar app.jar` (systemd sets no PWD: generation 1 learns the unit's WorkingDirectory= from the
# service manager). Start -> client loop -> switch `current` to r2 (ln -sfn + mv -T) -> reload:
# the new generation serves r2 -> delete r1 -> reload: still r2; no failed request. Then the
# fallback: a unit whose service manager cannot be asked (no D-Bus) logs one WARN with the fix,
# and with Environment=PWD= added it follows the link again.
#
# The `fdstore` scenario checks the fd store with the notify unit (FileDescriptorStoreMax=16):
# generation 1 stores its 2 listeners (NFileDescriptorStore=2), a reload adds none (the new
# generation inherits the same sockets) -> a probe loop (a connect every 50 ms, and requests one
# after the other) -> `kill -9` of the main pid: systemd restarts the service with the stored
# sockets; no connect may be refused and no request fail, but a request the killed process had
# accepted (an empty reply or a reset during the crash window, counted apart); the restarted
# generation adopts the same listening socket (same inode) -> `systemctl restart` under the same
# probe loops: the restart job keeps the store, the new process adopts the same socket, no connect
# refused, no request failed -> `systemctl stop` empties the store.
#
# Usage: testbed-check.sh [notify|socket|pidfile|releases|fdstore]     (default notify)
# Needs root, the packaged jar (mvn -pl sample-app -am package -DskipTests), and the testbed:
# systemd-testbed.sh beside this script (apt-get install systemd-container debootstrap; the
# first run builds the Debian 12 root, about 40 s). Environment:
#   SAMPLE_APP_JAR   the jar (default sample-app/target/sample-app.jar)
#   SYSTEMD_TESTBED  the testbed tool
#   TESTBED_NAME     container name (default zd-check-<pid>); TESTBED_JDK: the JDK inside
#   TESTBED_CHECK_KEEP=1  keep the staging directory (client loop log, journal) for a post-mortem
set -euo pipefail

variant=${1:-notify}
case $variant in notify | socket | pidfile | releases | fdstore) ;; *) echo "usage: $0 [notify|socket|pidfile|releases|fdstore]" >&2; exit 2 ;; esac

here=$(cd "$(dirname "$0")" && pwd)
app_root=$(cd "$here/../../.." && pwd)
units=$app_root/src/main/systemd
jar=${SAMPLE_APP_JAR:-$app_root/target/sample-app.jar}
testbed=${SYSTEMD_TESTBED:-$here/systemd-testbed.sh}
# shellcheck source=check-lib.sh
. "$here/check-lib.sh"
export TESTBED_NAME=${TESTBED_NAME:-zd-check-$$}
jdk=${TESTBED_JDK:-/usr/lib/jvm/java-17-openjdk-amd64}
export TESTBED_JDK=$jdk

[[ -f $jar ]] || { echo "no jar at $jar: mvn -pl sample-app -am package -DskipTests" >&2; exit 2; }
[[ -x $testbed ]] || { echo "no testbed tool at $testbed (set SYSTEMD_TESTBED)" >&2; exit 2; }
[[ -x $jdk/bin/jar ]] || { echo "no jar tool in $jdk (a JDK is needed to make the test releases)" >&2; exit 2; }

stage=$(mktemp -d /tmp/zd-testbed-check.XXXXXX)
chmod 0755 "$stage"
load_pid=""
slow_pid=""
connect_pid=""

cleanup() {
  local pid
  for pid in $load_pid $slow_pid $connect_pid; do kill "$pid" 2>/dev/null || true; done
  testbed_down
  if [[ -n ${TESTBED_CHECK_KEEP:-} ]]; then echo "kept: $stage (load.log, journal.txt, ...)"; else rm -rf "$stage"; fi
}
trap cleanup EXIT

prop() { sctl show -p "$1" --value sample-app.service; }

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


# --- the client loops ----------------------------------------------------------------------------
# start_request_loop LOG MAX_TIME [x-release]: requests one after the other inside the container,
# each with curl -m MAX_TIME, until stop_request_loop (at most 10 minutes or 100000 requests); one
# line per request in LOG: time, status, curl's exit code, seconds[, X-Release], curl's message
start_request_loop() {
  local format='%{http_code} %{exitcode} %{time_total}'
  [[ ${3:-} == x-release ]] && format+=' %header{x-release}'
  inside rm -f /tmp/stop-load
  inside timeout 600 bash -c 'n=0; while [ ! -e /tmp/stop-load ] && [ $n -lt 100000 ]; do
      printf "%(%T)T " -1
      curl -s -o /dev/null -m "$1" -w "$2 %{errormsg}\n" http://127.0.0.1:8080/
      n=$((n + 1)); done' request-loop "$2" "$format" >"$1" 2>&1 &
  load_pid=$!
}

# stop_request_loop: stop the loops started here (requests, connects) and wait for them
stop_request_loop() {
  inside touch /tmp/stop-load
  wait "$load_pid" || true
  load_pid=""
  if [[ -n $connect_pid ]]; then
    wait "$connect_pid" || true
    connect_pid=""
  fi
}

# count_requests LOG [FROM TO]: set total_requests, failed, lost and slowest; a request cut between
# FROM and TO (an empty reply, curl 52, or a reset, 56) by a process that died then is counted as
# lost, not failed
count_requests() {
  local from=${2:-} to=${3:-}
  total_requests=$(grep -c . "$1" || true)
  lost=0
  if [[ -n $from ]]; then
    lost=$(awk -v from="$from" -v to="$to" '$2 != 200 && $1 >= from && $1 <= to && ($3 == 52 || $3 == 56)' "$1" | wc -l)
  fi
  failed=$(( $(awk '$2 != 200' "$1" | wc -l) - lost ))
  slowest=$(awk '{print $4}' "$1" | sort -g | tail -1)
}

# unanswered LOG: print the requests not answered 200
unanswered() { awk '$2 != 200 {print "      | " $0}' "$1" | head -20; }

# --- the releases scenario -----------------------------------------------------------------------
# serving generation, pid and release, as a client sees them: "GEN PID RELEASE"
serving_release() {
  { inside curl -s -m 10 -D - -o /dev/null http://127.0.0.1:8080/ 2>/dev/null || true; } |
    awk -F': ' 'tolower($1) == "x-generation" {g = $2} tolower($1) == "x-pid" {p = $2}
                tolower($1) == "x-release" {r = $2}
                END {gsub(/\r/, "", g); gsub(/\r/, "", p); gsub(/\r/, "", r); print g, p, r}'
}

# the unit's journal since its last start, message text only
unit_log() { "$testbed" journal -u sample-app.service -o cat --since "@$1" 2>/dev/null || true; }

# start the unit and wait until it serves; prints "GEN PID RELEASE"
start_unit() {
  local s i
  sctl start sample-app.service
  for ((i = 0; i < 300; i++)); do
    s=$(serving_release); [[ -n ${s// /} ]] && break; sleep 0.2
  done
  echo "$s"
}

releases_scenario() {
  local t s main before rc took since i r1 r2 alive p
  inside bash -c '
    set -e
    for r in r1 r2; do
      install -d /opt/app/releases/$r
      install -m 0644 /srv/testbed/sample-app.jar /opt/app/releases/$r/app.jar
      echo "sample.release=$r" >/opt/app/releases/$r/application.properties
    done
    ln -s releases/r1 /opt/app/current'
  log "layout: /opt/app/current -> $(inside readlink /opt/app/current); /opt/app/releases:" \
    "$(inside ls /opt/app/releases | tr '\n' ' ')"

  # --- start: systemd changes into the link and runs java -jar app.jar ---------------------------
  since=$(date +%s)
  t=$(date +%s%N)
  s=$(start_unit)
  main=$(prop MainPID)
  log "started in $(ms "$t") ms: $(prop ActiveState)/$(prop SubState), MainPID $main, serving generation/pid/release: $s"
  log "generation 1: cwd $(inside readlink /proc/"$main"/cwd), PWD in its environment:" \
    "'$(inside cat /proc/"$main"/environ | tr '\0' '\n' | grep '^PWD=' || true)'"
  check "generation 1 serves release r1 and is the main process" '[[ $s == "1 $main r1" ]]'
  check "systemd set no PWD (why the starter asks the service manager)" \
    '! inside cat /proc/"$main"/environ | tr "\0" "\n" | grep -q "^PWD="'
  unit_log "$since" >"$stage/start.log"
  { grep -E 'will start the next generation|could not be learnt' "$stage/start.log" || true; } | sed 's/^/      | /'
  check "generation 1 learnt WorkingDirectory=/opt/app/current from the service manager" \
    'grep -q "will start the next generation in /opt/app/current (now /opt/app/releases/r1) from /opt/app/current/app.jar (now /opt/app/releases/r1/app.jar); working directory from WorkingDirectory= of sample-app.service" "$stage/start.log"'
  check "no WARN about the working directory" '! grep -q "could not be learnt" "$stage/start.log"'
  pids=("$main")

  # --- client loop: status and X-Release of each request -----------------------------------------
  start_request_loop "$stage/load.log" 30 x-release
  sleep 1

  # --- deploy r2: switch the link atomically, reload ----------------------------------------------
  inside bash -c 'ln -sfn releases/r2 /opt/app/current.next && mv -T /opt/app/current.next /opt/app/current'
  log "switched: $(inside readlink /opt/app/current)"
  for round in 1 2; do
    if ((round == 2)); then
      # the old release cleaned up, as a deploy tool does; the next reload must still work
      inside rm -rf /opt/app/releases/r1
      log "deleted /opt/app/releases/r1: $(inside ls /opt/app/releases | tr '\n' ' ')"
    fi
    before=$(prop MainPID)
    since=$(date +%s)
    t=$(date +%s%N)
    if sctl reload sample-app.service 2>"$stage/reload.err"; then rc=0; else rc=$?; fi
    took=$(ms "$t")
    main=$(prop MainPID)
    for ((i = 0; i < 50; i++)); do
      s=$(serving_release); [[ $s == *" $main "* ]] && break; sleep 0.2
    done
    log "reload $round: exit $rc in $took ms ($(tr '\n' ' ' <"$stage/reload.err")); MainPID $before -> $main;" \
      "$(prop ActiveState)/$(prop SubState), NRestarts=$(prop NRestarts); serving generation/pid/release: $s;" \
      "its cwd $(inside readlink /proc/"$main"/cwd)"
    unit_log "$since" | { grep -E 'is starting generation|could not|refused' || true; } | sed 's/^/      | /'
    check "reload $round succeeded" '[[ $rc == 0 ]]'
    check "reload $round: generation $((round + 1)) is main and serves release r2" '[[ $s == "$((round + 1)) $main r2" ]]'
    check "reload $round: it runs r2's jar in r2" \
      '[[ $(inside readlink /proc/"$main"/cwd) == /opt/app/releases/r2 ]] &&
       inside ls -l /proc/"$main"/fd | grep -q "/opt/app/releases/r2/app.jar"'
    check "reload $round: unit active/running, Restart= never fired" \
      '[[ $(prop ActiveState)/$(prop SubState)/$(prop NRestarts) == active/running/0 ]]'
    pids+=("$main")
  done

  # --- stop the client loop: no request may have failed -------------------------------------------
  sleep 1
  stop_request_loop
  count_requests "$stage/load.log"
  r1=$(awk '$5 == "r1"' "$stage/load.log" | wc -l)
  r2=$(awk '$5 == "r2"' "$stage/load.log" | wc -l)
  log "client loop: $total_requests requests during 2 reloads, $failed not answered 200, $r1 answered by r1" \
    "then $r2 by r2, slowest ${slowest}s"
  unanswered "$stage/load.log"
  check "client loop: no failed request" '[[ $failed == 0 ]]'
  check "client loop: it ran (at least 50 requests), r1 answered, then r2 only" \
    '((total_requests >= 50 && r1 > 0 && r2 > 0)) && [[ $(awk "{print \$5}" "$stage/load.log" | uniq | tr "\n" " ") == "r1 r2 " ]]'
  for ((i = 0; i < 100; i++)); do
    alive=()
    for p in "${pids[@]}"; do [[ $p != "$main" ]] && inside kill -0 "$p" 2>/dev/null && alive+=("$p"); done
    ((${#alive[@]} == 0)) && break
    sleep 0.5
  done
  check "generations 1 and 2 exited (${pids[*]:0:2})" '((${#alive[@]} == 0))'
  t=$(date +%s%N)
  sctl stop sample-app.service
  check "stop: unit inactive with Result=success (in $(ms "$t") ms)" \
    '[[ $(prop ActiveState)/$(prop Result) == inactive/success ]]'

  # --- the fallback: the service manager cannot be asked --------------------------------------
  # a non-root service reaches systemd over D-Bus; this address leads nowhere
  inside bash -c 'mkdir -p /etc/systemd/system/sample-app.service.d
    printf "[Service]\nEnvironment=DBUS_SYSTEM_BUS_ADDRESS=unix:path=/run/no-such-bus\n" \
      >/etc/systemd/system/sample-app.service.d/no-bus.conf
    systemctl daemon-reload'
  since=$(date +%s)
  s=$(start_unit)
  unit_log "$since" >"$stage/no-bus.log"
  { grep -E 'could not be learnt|will start the next generation' "$stage/no-bus.log" || true; } | sed 's/^/      | /'
  check "without D-Bus: it serves (generation 1, release r2)" '[[ $s == "1 $(prop MainPID) r2" ]]'
  check "without D-Bus: one WARN that says why and names the fix" \
    '[[ $(grep -c "could not be learnt" "$stage/no-bus.log") == 1 ]] &&
     grep "could not be learnt" "$stage/no-bus.log" | grep -q "WARN.*Failed to connect to bus.*Environment=PWD=/opt/app/current"'
  check "without D-Bus: the next generation would start in the physical directory" \
    'grep -q "will start the next generation in /opt/app/releases/r2 from /opt/app/releases/r2/app.jar; working directory from user.dir" "$stage/no-bus.log"'
  sctl stop sample-app.service
  # the fix the WARN names
  inside bash -c 'echo "Environment=PWD=/opt/app/current" >>/etc/systemd/system/sample-app.service.d/no-bus.conf
    systemctl daemon-reload'
  since=$(date +%s)
  s=$(start_unit)
  unit_log "$since" >"$stage/pwd.log"
  { grep -E 'could not be learnt|will start the next generation' "$stage/pwd.log" || true; } | sed 's/^/      | /'
  check "with Environment=PWD= (still no D-Bus): no WARN, the link is followed" \
    '[[ $s == "1 $(prop MainPID) r2" ]] && ! grep -q "could not be learnt" "$stage/pwd.log" &&
     grep -q "will start the next generation in /opt/app/current (now /opt/app/releases/r2) .*; working directory from \$PWD" "$stage/pwd.log"'
  sctl stop sample-app.service

  "$testbed" journal -b -o short-monotonic >"$stage/journal.txt" 2>&1 || true
  for pattern in 'Scheduled restart job' 'which is not our child' 'reception only permitted for main PID' \
                 'with signal SIGKILL' 'Failed with result'; do
    check "journal has no '$pattern'" '! grep -q "$pattern" "$stage/journal.txt"'
  done
}

# --- the fdstore scenario ------------------------------------------------------------------------
listener_ino() { inside ss -Hltne 'sport = :8080' | grep -o 'ino:[0-9]*' | sort -u | tr '\n' ' '; }

# wait until generation 1 with the given main pid serves; prints "GEN PID"
await_generation_one() {
  local s i main
  for ((i = 0; i < 600; i++)); do
    main=$(prop MainPID)
    s=$(serving)
    [[ $main != 0 && $s == "1 $main" ]] && break
    sleep 0.2
  done
  echo "$s"
}

# probe loops: a connect every 50 ms (one line each: time, bash's exit status, 1: refused, 124:
# not connected in 60 s, milliseconds) and requests one after the other
start_probes() {
  inside rm -f /tmp/stop-load
  inside timeout 600 bash -c 'n=0; while [ ! -e /tmp/stop-load ] && [ $n -lt 20000 ]; do
      t0=$(date +%s%N)
      if timeout 60 bash -c "exec 3<>/dev/tcp/127.0.0.1/8080" 2>/dev/null; then rc=0; else rc=$?; fi
      printf "%(%T)T %s %s\n" -1 "$rc" "$(( ($(date +%s%N) - t0) / 1000000 ))"
      sleep 0.05; n=$((n + 1)); done' >"$stage/connect.log" 2>&1 &
  connect_pid=$!
  start_request_loop "$stage/load.log" 120
  sleep 2
}

# stop the probe loops 2 s later and count (globals total, refused, total_requests, failed, lost):
# a request cut by a crash between $1 and $2 (empty reply, reset) is counted as lost, not failed
stop_probes() {
  local from=$1 to=$2 slowest_connect
  sleep 2
  stop_request_loop
  total=$(grep -c . "$stage/connect.log" || true)
  refused=$(awk '$2 != 0' "$stage/connect.log" | wc -l)
  slowest_connect=$(awk '{print $3}' "$stage/connect.log" | sort -g | tail -1)
  log "connect loop: $total connects, $refused not connected, slowest ${slowest_connect} ms"
  awk '$2 != 0 {print "      | " $0}' "$stage/connect.log" | head -20
  count_requests "$stage/load.log" "$from" "$to"
  log "request loop: $total_requests requests, $failed failed, $lost lost with a killed process" \
    "${from:+($from-$to)}, slowest ${slowest}s"
  unanswered "$stage/load.log"
}

fdstore_scenario() {
  local t s first second ino store since rc i kill_from kill_to kill_epoch restarted ino_restart took
  since=$(date +%s)
  t=$(date +%s%N)
  sctl start sample-app.service
  s=$(await_generation_one)
  first=$(prop MainPID)
  ino=$(listener_ino)
  store=$(prop NFileDescriptorStore)
  log "started in $(ms "$t") ms: MainPID $first, serving $s, listener on 8080 $ino, NFileDescriptorStore=$store" \
    "(FileDescriptorStoreMax=$(prop FileDescriptorStoreMax))"
  check "generation 1 serves and is the main process" '[[ $s == "1 $first" ]]'
  check "generation 1 stored its 2 listeners (http, management)" '[[ $store == 2 ]]'

  # --- a reload: the new generation inherits the same sockets, the store gains nothing -----------
  if sctl reload sample-app.service; then rc=0; else rc=$?; fi
  second=$(prop MainPID)
  s=$(await_serving_main "$second")
  for ((i = 0; i < 200; i++)); do inside kill -0 "$first" 2>/dev/null || break; sleep 0.5; done
  check "reload: generation 2 is main and serves" '[[ $rc == 0 && $s == "2 $second" ]]'
  check "reload: generation 1 exited" '! inside kill -0 "$first" 2>/dev/null'
  store=$(prop NFileDescriptorStore)
  log "after the reload and generation 1's exit: NFileDescriptorStore=$store, listener $(listener_ino)"
  check "after the reload the store still holds 2 fds (no copy added)" '[[ $store == 2 ]]'

  # --- kill -9 the main pid: systemd restarts the service with the stored sockets ---------------
  start_probes
  kill_from=$(inside date -u +%T)
  kill_epoch=$(date +%s)
  t=$(date +%s%N)
  inside kill -9 "$second"
  s=""
  for ((i = 0; i < 600; i++)); do
    restarted=$(prop MainPID)
    if [[ $restarted != 0 && $restarted != "$second" ]]; then
      s=$(serving)
      [[ $s == "1 $restarted" ]] && break
    fi
    sleep 0.2
  done
  took=$(ms "$t")
  kill_to=$(inside date -u +%T)
  log "kill -9 $second: generation 1 (pid $restarted) serves again after $took ms; NRestarts=$(prop NRestarts);" \
    "listener $(listener_ino); NFileDescriptorStore=$(prop NFileDescriptorStore)"
  stop_probes "$kill_from" "$kill_to"
  check "kill -9: systemd restarted the service once, generation 1 serves as main" \
    '[[ $s == "1 $restarted" && $(prop NRestarts) == 1 ]]'
  check "kill -9: no connect was refused or timed out" '((refused == 0 && total > 20))'
  check "kill -9: no request failed (but what the killed process had accepted)" '((failed == 0 && total_requests > 0))'
  check "kill -9: the restarted generation listens on the same socket ($ino)" '[[ $(listener_ino) == "$ino" ]]'
  "$testbed" journal -u sample-app.service -o cat --since "@$kill_epoch" >"$stage/unit.log" 2>/dev/null || true
  grep -E "adopted from passed fd|Closing passed" "$stage/unit.log" | tail -4 | sed 's/^/      | /'
  check "the restarted generation adopted both stored listeners by name" \
    '[[ $(grep -c "Listener .* adopted from passed fd" "$stage/unit.log") -ge 2 ]] &&
     grep -q "Passed fd 3 named .http.: listening on 127.0.0.1:8080\|Passed fd . named .http.: listening on .*:8080" "$stage/unit.log"'
  check "the store still holds 2 fds" '[[ $(prop NFileDescriptorStore) == 2 ]]'

  # --- systemctl restart: the restart job keeps the store (the unit never becomes inactive) ------
  start_probes
  t=$(date +%s%N)
  sctl restart sample-app.service
  s=$(await_generation_one)
  took=$(ms "$t")
  ino_restart=$(listener_ino)
  log "systemctl restart: generation 1 (pid $(prop MainPID)) serves after $took ms; listener $ino_restart" \
    "(was $ino), NFileDescriptorStore=$(prop NFileDescriptorStore)"
  stop_probes "" ""
  check "systemctl restart: the new process adopted the stored socket (same inode), the store holds 2 fds" \
    '[[ $ino_restart == "$ino" && $(prop NFileDescriptorStore) == 2 ]]'
  check "systemctl restart: no connect was refused or timed out" '((refused == 0 && total > 20))'
  check "systemctl restart: no request failed" '((failed == 0 && lost == 0 && total_requests > 0))'
  sctl stop sample-app.service
  check "systemctl stop: the store is empty" '[[ $(prop NFileDescriptorStore) == 0 ]]'

  "$testbed" journal -b -o short-monotonic >"$stage/journal.txt" 2>&1 || true
  for pattern in 'which is not our child' 'reception only permitted for main PID' 'remains running after unit stopped'; do
    check "journal has no '$pattern'" '! grep -qi "$pattern" "$stage/journal.txt"'
  done
  check "systemd logged nothing about the fd store (no refused or dropped fd)" \
    '! grep -i "systemd\[1\].*\(fd store\|fdstore\|extra fd\)" "$stage/journal.txt"'
  check "the application logged no failed notification" '! grep -q "Unable to notify the service manager" "$stage/journal.txt"'

  log "systemd's lines about the unit:"
  grep -E 'systemd\[1\]: (sample-app|.*zerodowntime sample app)' "$stage/journal.txt" | grep -v 'Consumed' |
    sed -E 's/^\[ *([0-9.]+)\] [^ ]+ /      [\1] /' | tail -20
}

# --- stage: units, jar, scripts, test releases -------------------------------------------------
cp "$jar" "$stage/sample-app.jar"
mkdir "$stage/bin" "$stage/releases"
cp "$units/bin/"* "$stage/bin/"
cp "$units/sample-app.default" "$stage/sample-app.default"
if [[ $variant == releases ]]; then
  # the notify unit, in the release layout: the working directory is the link, the jar relative
  cat >"$stage/sample-app.service" <<'UNIT'
[Unit]
Description=zerodowntime sample app (release layout)
After=network.target

[Service]
Type=notify
NotifyAccess=main
User=sample-app
Group=sample-app
WorkingDirectory=/opt/app/current
Environment=ZERODOWNTIME_CONTROL_SOCKET=/run/sample-app/control.sock
RuntimeDirectory=sample-app
RuntimeDirectoryMode=0750
ExecStart=/usr/bin/java -Xms64m -Xmx256m -jar app.jar \
    --zerodowntime.control-socket=${ZERODOWNTIME_CONTROL_SOCKET} \
    --management.server.port=8081 --management.server.address=127.0.0.1 \
    --zerodowntime.drain-timeout=30s --zerodowntime.upgrade-timeout=60s
ExecReload=/opt/sample-app/bin/zerodowntime-upgrade --socket ${ZERODOWNTIME_CONTROL_SOCKET} --timeout 120
TimeoutStartSec=150
KillMode=control-group
TimeoutStopSec=70
SuccessExitStatus=143
Restart=on-failure
RestartSec=2s
UNIT
else
  if [[ $variant == fdstore ]]; then cp "$units/notify"/* "$stage/"; else cp "$units/$variant"/* "$stage/"; fi
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
fi

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
if [[ $variant == releases ]]; then
  releases_scenario
  result "$variant"
fi
if [[ $variant == fdstore ]]; then
  fdstore_scenario
  result "$variant"
fi

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
# started by a socket unit's first connection, the service answers it before systemd has
# READY=1 in hand
for ((i = 0; i < 150; i++)); do
  [[ $(prop ActiveState) == active ]] && break; sleep 0.2
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
start_request_loop "$stage/load.log" 30
sleep 1

# --- 3 reloads under load ------------------------------------------------------------------------
for round in 1 2 3; do
  before=$(prop MainPID)
  t=$(date +%s%N)
  if ((round == 1)); then
    # the shipped units keep the default probation (10 s): systemctl reload returns at its end,
    # and systemd's main pid stays the old generation's until then
    sctl reload sample-app.service >"$stage/reload.out" 2>&1 &
    reload_pid=$!
    for ((i = 0; i < 600; i++)); do
      s=$(serving); [[ ${s%% *} == 2 ]] && break; sleep 0.1
    done
    during=$(prop MainPID)
    log "reload 1, generation 2 serving ($s) while on probation: MainPID $during; $(prop StatusText)"
    [[ $variant == pidfile ]] || check "reload 1: during the probation MainPID stays the old generation's" \
      '[[ ${s%% *} == 2 && $during == "$before" ]] && kill -0 "$reload_pid" 2>/dev/null'
    if wait "$reload_pid"; then rc=0; else rc=$?; fi
  elif sctl reload sample-app.service; then rc=0; else rc=$?; fi
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

# --- a reload whose new generation dies during its probation: rolled back --------------------
inside bash -c 'echo sample.exit-after-ready=1s >/etc/sample-app/application.properties'
before=$(prop MainPID)
t=$(date +%s%N)
# the client loop's clock (the container's, UTC): a request the dying generation had accepted
# is lost with it (docs/probation.md, Limits); one refused never is
rollback_from=$(inside date -u +%T)
if sctl reload sample-app.service 2>"$stage/reload-rolled-back.err"; then rc=0; else rc=$?; fi
rollback_to=$(inside date -u +%T)
took=$(ms "$t")
s=$(serving)
log "rolled-back reload: exit $rc in $took ms ($(tr '\n' ' ' <"$stage/reload-rolled-back.err"));" \
  "MainPID $before -> $(prop MainPID); serving $s; status: $(prop StatusText)"
check "a reload whose new generation dies during its probation fails" '[[ $rc != 0 ]]'
check "after the rollback the same generation is main and serves" \
  '[[ $s == "4 $before" && $(prop MainPID) == "$before" ]]'
check "after the rollback the unit is active/running, Restart= never fired" \
  '[[ $(prop ActiveState)/$(prop SubState)/$(prop NRestarts) == active/running/0 ]]'
if [[ $variant != pidfile ]]; then
  check "the status says it was rolled back" \
    '[[ $(prop StatusText) == *"rolled back from generation 5"*"exited during its probation"* ]]'
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
stop_request_loop
# lost with the generation that died during its probation: a request started during that reload
count_requests "$stage/load.log" "$rollback_from" "$rollback_to"
log "client loop: $total_requests requests during 4 upgrades, 2 failed ones and a rolled-back one: $failed" \
  "failed, $lost lost with the generation that died during its probation ($rollback_from-$rollback_to)," \
  "slowest ${slowest}s"
unanswered "$stage/load.log"
check "client loop: no failed request (but those the dying generation had accepted)" '[[ $failed == 0 ]]'
check "client loop: it ran (at least 50 requests)" '((total_requests >= 50))'

# --- a deploy after the JVM options changed restarts, and says so -------------------------------
sleep 1.1   # a file time stamp that is surely later than the start
inside bash -c 'echo "JAVA_OPTS=-Xms64m -Xmx256m -XX:+ExitOnOutOfMemoryError -Dsample.options=2" >/etc/default/sample-app'
if [[ $variant == socket ]]; then
  # systemd holds the sockets across the restart: connections wait in the backlog, none is refused
  start_request_loop "$stage/load-restart.log" 120
  sleep 1
fi
if deploy --rollback >"$stage/deploy.out" 2>&1; then rc=0; else rc=$?; fi
if [[ $variant == socket ]]; then
  sleep 1
  stop_request_loop
  count_requests "$stage/load-restart.log"
  log "client loop across the restart: $total_requests requests, $failed not answered 200, slowest ${slowest}s"
  unanswered "$stage/load-restart.log"
  check "systemctl restart with socket units refused no connection" '((failed == 0 && total_requests > 0))'
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

result "$variant"
