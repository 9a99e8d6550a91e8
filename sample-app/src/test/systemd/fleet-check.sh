#!/usr/bin/env bash
# fleet-check.sh: run the Ansible role of deploy/ansible in its default mode
# (zerodowntime_service_manager: systemd) on a real systemd 252 (Debian 12) in a throw-away
# container, and check what docs/fleet.md promises there:
#   rollout.yml with release r1 on a fresh host: the role creates the user, writes the unit, the
#   JVM options and the properties, installs the first jar, starts and enables the service; it
#   serves r1 -> rollout.yml with r2 under a probe loop: zerodowntime-deploy --unit goes through
#   `systemctl reload` (generation 2, a new MainPID, NRestarts=0), r2 serves -> the same rollout
#   again changes nothing -> rollout.yml with a release that refuses to start: the play fails
#   with the script's reason, r2 serves on as the same main process -> rollback.yml: back to r1
#   (<jar>.previous), through a reload again -> r2 with changed JVM options: the deploy restarts
#   the service instead of reloading, and the new options run -> every earlier generation has
#   exited, `systemctl stop` is clean, the journal has no automatic restart and no kill.
# The probe loop (one request every 50 ms, a new connection each, inside the container) runs
# through the r2 rollout, the failed one and the rollback; none of its requests may fail. (Not
# through the restart: a restart refuses connections for a moment, as docs/fleet.md says.)
#
# The host is `localhost` of an inventory inside the container (ansible_connection=local): there
# is no nspawn connection plugin in ansible-core, and the role talks to the container's systemd.
# The playbooks and the role are a copy of deploy/ansible (links resolved) in the staging
# directory, which the container sees at /srv/testbed. ansible-core (Debian's package) goes into
# the container's overlay, not into the testbed's base root: the container has no network
# (TESTBED_NETWORK=private), so the host downloads the packages once (apt-get --download-only,
# resolved against the base root's dpkg status, with the host's apt sources) into a cache
# directory, and each run installs them inside with apt-get from those files. The role installs
# no Java: the JDK the testbed binds in is linked as /usr/bin/java (the role's zerodowntime_java).
#
# Usage: fleet-check.sh
# Needs root, the packaged jar (mvn -pl sample-app -am package -DskipTests), the testbed
# (systemd-testbed.sh beside this script: apt-get install systemd-container debootstrap), and,
# for the first run only, apt sources that reach Debian's archive (later runs use the cache).
# Environment:
#   SAMPLE_APP_JAR   the jar (default sample-app/target/sample-app.jar)
#   SYSTEMD_TESTBED  the testbed tool
#   TESTBED_NAME     container name (default zd-fleet-<pid>); TESTBED_JDK: the JDK inside
#   FLEET_CHECK_DEBS the package cache (default <TESTBED_BASE>/debs/ansible-core; delete it to
#                    download afresh)
#   TESTBED_CHECK_KEEP=1  keep the staging directory (play outputs, probe logs, journal)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
app_root=$(cd "$here/../../.." && pwd)
repo_root=$(cd "$app_root/.." && pwd)
jar=${SAMPLE_APP_JAR:-$app_root/target/sample-app.jar}
testbed=${SYSTEMD_TESTBED:-$here/systemd-testbed.sh}
# shellcheck source=check-lib.sh
. "$here/check-lib.sh"
export TESTBED_NAME=${TESTBED_NAME:-zd-fleet-$$}
jdk=${TESTBED_JDK:-/usr/lib/jvm/java-17-openjdk-amd64}
export TESTBED_JDK=$jdk
base=${TESTBED_BASE:-/var/tmp/systemd-testbed}
debs=${FLEET_CHECK_DEBS:-$base/debs/ansible-core}
unit=myapp.service

[[ $(id -u) == 0 ]] || { echo "must run as root" >&2; exit 2; }
[[ -f $jar ]] || { echo "no jar at $jar: mvn -pl sample-app -am package -DskipTests" >&2; exit 2; }
[[ -x $testbed ]] || { echo "no testbed tool at $testbed (set SYSTEMD_TESTBED)" >&2; exit 2; }
[[ -x $jdk/bin/jar ]] || { echo "no jar tool in $jdk (a JDK is needed to make the test releases)" >&2; exit 2; }
[[ -f $repo_root/deploy/ansible/rollout.yml ]] || { echo "no deploy/ansible in $repo_root" >&2; exit 2; }
command -v unzip >/dev/null || { echo "unzip missing: apt-get install unzip" >&2; exit 2; }

stage=$(mktemp -d /tmp/zd-fleet-check.XXXXXX)
chmod 0755 "$stage"
probe_pid=""

cleanup() {
  [[ -n $probe_pid ]] && kill "$probe_pid" 2>/dev/null || true
  testbed_down
  if [[ -n ${TESTBED_CHECK_KEEP:-} ]]; then echo "kept: $stage (play-*.out, probe-*.log, journal.txt)"; else rm -rf "$stage"; fi
}
trap cleanup EXIT

prop() { sctl show -p "$1" --value "$unit"; }
secs() { awk -v m="$1" 'BEGIN {printf "%.1f", m / 1000}'; }

# serving generation, pid and release, as a client sees them: "GEN PID RELEASE"
serving() {
  { inside curl -s -m 10 -D - -o /dev/null http://127.0.0.1:8080/ 2>/dev/null || true; } |
    awk -F': ' 'tolower($1) == "x-generation" {g = $2} tolower($1) == "x-pid" {p = $2}
                tolower($1) == "x-release" {r = $2}
                END {gsub(/\r/, "", g); gsub(/\r/, "", p); gsub(/\r/, "", r); print g, p, r}'
}

# wait until clients are served by the main pid (the old generation closes its listener copy a
# moment after it handed over); prints "GEN PID RELEASE"
await_serving_main() {
  local main=$1 s i
  for ((i = 0; i < 150; i++)); do
    s=$(serving)
    [[ $s == *" $main "* ]] && break
    sleep 0.2
  done
  echo "$s"
}

# same_jar PATH RELEASE: PATH inside the container is the release's jar
same_jar() { inside cmp -s "$1" "/srv/testbed/releases/$2.jar"; }

# play NAME PLAYBOOK [ARGS..]: run a playbook inside, output to $stage/play-NAME.out; sets
# play_rc, play_ms
play() {
  local name=$1 book=$2 t; shift 2
  t=$(date +%s%N)
  if inside env ANSIBLE_NOCOLOR=1 ANSIBLE_RETRY_FILES_ENABLED=0 \
      ansible-playbook -i /srv/testbed/inventory.ini "/srv/testbed/ansible/$book" "$@" \
      >"$stage/play-$name.out" 2>&1; then play_rc=0; else play_rc=$?; fi
  play_ms=$(ms "$t")
  log "$book ($name): exit $play_rc in $(secs "$play_ms") s; $(recap "$name")"
  # what the role says: the outcome of the deploy, or why the host failed
  grep -E '"msg": |^fatal:|^NO MORE HOSTS' "$stage/play-$name.out" | uniq | sed 's/^ *//; s/^/      | /' || true
}
recap() { grep -E '^localhost +:' "$stage/play-$1.out" | sed 's/^localhost *: *//; s/  */ /g' || echo "no recap"; }
recap_field() { recap "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }

# probe_start NAME: one request every 50 ms, each on a new connection, until probe_stop;
# one line per request: time, status, curl's exit code, seconds, X-Release, curl's error
probe_start() {
  inside rm -f /tmp/stop-probe
  inside timeout 900 bash -c 'n=0; while [ ! -e /tmp/stop-probe ] && [ $n -lt 100000 ]; do
      printf "%(%T)T " -1
      curl -s -o /dev/null -m 30 -w "%{http_code} %{exitcode} %{time_total} %header{x-release} %{errormsg}\n" \
        http://127.0.0.1:8080/
      n=$((n + 1)); sleep 0.05; done' >"$stage/probe-$1.log" 2>&1 &
  probe_pid=$!
  sleep 1
}

# probe_stop NAME WHAT EXPECTED: stop the loop; check that no request failed and that the
# releases answered in EXPECTED order (e.g. "r1 r2 ")
probe_stop() {
  local name=$1 what=$2 expected=$3 total failed slowest seen
  sleep 1
  inside touch /tmp/stop-probe
  wait "$probe_pid" || true
  probe_pid=""
  local f=$stage/probe-$name.log
  total=$(grep -c . "$f" || true)
  failed=$(awk '$2 != 200' "$f" | wc -l)
  slowest=$(awk '{print $4}' "$f" | sort -g | tail -1)
  seen=$(awk '{print $5}' "$f" | uniq | tr '\n' ' ')
  log "probe during $what: $total requests, $failed not answered 200, slowest ${slowest}s, releases in order: $seen"
  awk '$2 != 200 {print "      | " $0}' "$f" | head -20
  check "probe during $what: no failed request" '[[ $failed == 0 ]]'
  check "probe during $what: it ran (at least 20 requests), releases answered in order: $expected" \
    '((total >= 20)) && [[ $seen == "$expected" ]]'
}

# --- stage: the playbooks, the inventory, the releases ------------------------------------------
cp -rL "$repo_root/deploy/ansible" "$stage/ansible"
cat >"$stage/inventory.ini" <<'INVENTORY'
# The container itself, managed from inside: every role default (myapp, /opt/myapp, port 8080).
[zerodowntime]
localhost ansible_connection=local ansible_python_interpreter=/usr/bin/python3
INVENTORY
# r1, r2: the sample app naming its release (X-Release); bad: refuses to start
mkdir -p "$stage/releases" "$stage/x/BOOT-INF/classes"
make_release() {
  local name=$1; shift
  local props=$stage/x/BOOT-INF/classes/application.properties
  unzip -p "$jar" BOOT-INF/classes/application.properties >"$props"
  printf '%s\n' "$@" >>"$props"
  cp "$jar" "$stage/releases/$name.jar"
  "$jdk/bin/jar" uf "$stage/releases/$name.jar" -C "$stage/x" BOOT-INF/classes/application.properties
}
make_release r1 sample.release=r1
make_release r2 sample.release=r2
make_release bad sample.release=bad sample.fail-on-start=true
rm -rf "$stage/x"

# --- ansible-core for the container: downloaded once into the cache ------------------------------
if [[ ! -f $debs/.complete ]]; then
  log "downloading ansible-core and its dependencies (Debian 12) into $debs"
  mkdir -p "$debs/partial"
  apt-get -q -y --download-only --no-install-recommends \
    -o Dir::State::status="$base/root/var/lib/dpkg/status" -o Dir::Cache::archives="$debs" \
    install ansible-core >"$stage/apt-download.log" 2>&1 ||
    { cat "$stage/apt-download.log" >&2; echo "downloading ansible-core failed (apt-get update first?)" >&2; exit 2; }
  touch "$debs/.complete"
fi
mkdir "$stage/debs"
cp "$debs"/*.deb "$stage/debs/"
log "jar $jar, JDK $jdk, container $TESTBED_NAME, $(ls "$stage/debs" | wc -l) packages for ansible-core"

# --- boot, install ansible-core ----------------------------------------------------------------
"$testbed" up "$stage"
t=$(date +%s%N)
inside env DEBIAN_FRONTEND=noninteractive bash -c 'apt-get -q -y --no-install-recommends install /srv/testbed/debs/*.deb' \
  >"$stage/apt-install.log" 2>&1 || { tail -30 "$stage/apt-install.log" >&2; echo "installing ansible-core inside failed" >&2; exit 1; }
inside ln -sf /usr/local/bin/java /usr/bin/java
log "inside: $(inside systemctl --version | head -1), $(inside ansible-playbook --version | head -1)" \
  "(installed in $(secs "$(ms "$t")") s), $(inside java -version 2>&1 | head -1)"

# --- 1. the first rollout installs the service -------------------------------------------------
play r1 rollout.yml -e zerodowntime_release_jar=/srv/testbed/releases/r1.jar
main=$(prop MainPID)
s=$(await_serving_main "$main")
log "$unit: $(prop ActiveState)/$(prop SubState), MainPID $main, $(prop UnitFileState) ($(prop FragmentPath));" \
  "serving generation/pid/release: $s"
check "rollout r1 on a fresh host: exit 0, no failed task" '[[ $play_rc == 0 && $(recap_field r1 failed) == 0 ]]'
check "the role wrote the unit, the JVM options and the properties" \
  'inside test -f /etc/systemd/system/myapp.service && inside grep -q "^JAVA_OPTS=" /etc/default/myapp &&
   inside grep -qx "management.endpoint.health.probes.enabled=true" /etc/myapp/application.properties'
check "the unit is active/running and enabled at boot" \
  '[[ $(prop ActiveState)/$(prop SubState)/$(prop UnitFileState) == active/running/enabled ]]'
check "generation 1 serves r1 and is the main process" '[[ $s == "1 $main r1" ]]'
check "it runs as the user myapp, the jar is r1, nothing to roll back to yet" \
  '[[ $(inside ps -o user= -p "$main") == myapp ]] && same_jar /opt/myapp/myapp.jar r1 &&
   ! inside test -e /opt/myapp/myapp.jar.previous'
check "the control socket is in the RuntimeDirectory, mode 0600, owned by myapp" \
  '[[ $(inside stat -c "%a %U %F" /run/myapp/control.sock) == "600 myapp socket" ]]'
check "the readiness group answers on the main port (/readyz, what HAProxy checks)" \
  '[[ $(inside curl -s -o /dev/null -w "%{http_code}" http://127.0.0.1:8080/readyz) == 200 ]]'
pids=("$main")

# --- 2. r2 under the probe loop: a reload -----------------------------------------------------
probe_start r2
before=$main
play r2 rollout.yml -e zerodowntime_release_jar=/srv/testbed/releases/r2.jar
main=$(prop MainPID)
s=$(await_serving_main "$main")
log "$unit: MainPID $before -> $main, $(prop ActiveState)/$(prop SubState), NRestarts=$(prop NRestarts);" \
  "serving generation/pid/release: $s"
r2_ms=$play_ms
probe_stop r2 "the rollout of r2" "r1 r2 "
check "rollout r2: exit 0, changed, no failed task" \
  '[[ $play_rc == 0 && $(recap_field r2 failed) == 0 && $(recap_field r2 changed) -ge 1 ]]'
check "rollout r2: the role reports the reload, main pid $before -> $main" \
  'grep -q "\"msg\": \"localhost: r2.jar deployed in [0-9:.]*: deployed: myapp.service is active, main pid $before -> $main" "$stage/play-r2.out"'
check "rollout r2: generation 2 is the main process and serves r2 (a reload, not a restart)" \
  '[[ $main != "$before" && $s == "2 $main r2" ]]'
check "rollout r2: unit active/running, Restart= never fired" \
  '[[ $(prop ActiveState)/$(prop SubState)/$(prop NRestarts) == active/running/0 ]]'
check "rollout r2: the jar is r2, r1 kept as myapp.jar.previous, the staged copy removed" \
  'same_jar /opt/myapp/myapp.jar r2 && same_jar /opt/myapp/myapp.jar.previous r1 &&
   [[ -z $(inside ls -A /opt/myapp/incoming) ]]'
pids+=("$main")

# --- the same rollout again: nothing to do -------------------------------------------------------
play r2-again rollout.yml -e zerodowntime_release_jar=/srv/testbed/releases/r2.jar
check "rollout r2 again: exit 0, changed=0, the same main process" \
  '[[ $play_rc == 0 && $(recap_field r2-again changed) == 0 && $(prop MainPID) == "$main" ]]'

# --- 3. a release that refuses to start ----------------------------------------------------------
probe_start bad
before=$main
play bad rollout.yml -e zerodowntime_release_jar=/srv/testbed/releases/bad.jar
s=$(serving)
log "$unit: MainPID $before -> $(prop MainPID), $(prop ActiveState)/$(prop SubState), NRestarts=$(prop NRestarts);" \
  "serving generation/pid/release: $s; status: $(prop StatusText)"
bad_ms=$play_ms
probe_stop bad "the failed rollout" "r2 "
check "rollout bad: the play fails (exit 2) with the host failed" \
  '[[ $play_rc == 2 && $(recap_field bad failed) == 1 ]]'
check "rollout bad: the role fails the host with the script's reason" \
  'grep -q "localhost did not take bad.jar: zerodowntime-deploy exited 1 after .*: deploy failed: myapp.service was not upgraded: .*refuses to start.*localhost serves on with the release it ran before" "$stage/play-bad.out"'
check "rollout bad: generation 2 serves r2 on as the same main process" \
  '[[ $s == "2 $before r2" && $(prop MainPID) == "$before" ]]'
check "rollout bad: unit active/running, Restart= never fired" \
  '[[ $(prop ActiveState)/$(prop SubState)/$(prop NRestarts) == active/running/0 ]]'
check "rollout bad: the jar is r2 again, the failed one kept as myapp.jar.failed, r1 still the previous" \
  'same_jar /opt/myapp/myapp.jar r2 && same_jar /opt/myapp/myapp.jar.failed bad &&
   same_jar /opt/myapp/myapp.jar.previous r1'

# --- 4. rollback: <jar>.previous, through a reload -----------------------------------------------
probe_start rollback
play rollback rollback.yml
main=$(prop MainPID)
s=$(await_serving_main "$main")
log "$unit: MainPID $before -> $main, $(prop ActiveState)/$(prop SubState), NRestarts=$(prop NRestarts);" \
  "serving generation/pid/release: $s"
rollback_ms=$play_ms
probe_stop rollback "the rollback" "r2 r1 "
check "rollback: exit 0, changed, no failed task" \
  '[[ $play_rc == 0 && $(recap_field rollback failed) == 0 && $(recap_field rollback changed) -ge 1 ]]'
check "rollback: the role reports the reload, main pid $before -> $main" \
  'grep -q "\"msg\": \"localhost: the previous release (/opt/myapp/myapp.jar.previous) deployed in [0-9:.]*: deployed: myapp.service is active, main pid $before -> $main" "$stage/play-rollback.out"'
check "rollback: generation 3 is the main process and serves r1" '[[ $main != "$before" && $s == "3 $main r1" ]]'
check "rollback: unit active/running, Restart= never fired" \
  '[[ $(prop ActiveState)/$(prop SubState)/$(prop NRestarts) == active/running/0 ]]'
check "rollback: the jar is r1, r2 kept as myapp.jar.previous (a second rollback goes forward)" \
  'same_jar /opt/myapp/myapp.jar r1 && same_jar /opt/myapp/myapp.jar.previous r2'
pids+=("$main")

# --- 5. changed JVM options: the next deploy restarts, and says so ------------------------------
# (no probe: a restart refuses connections for a moment, docs/fleet.md)
before=$main
play options rollout.yml -e zerodowntime_release_jar=/srv/testbed/releases/r2.jar \
  -e 'zerodowntime_java_opts="-Xms128m -Xmx256m -XX:+ExitOnOutOfMemoryError -Dfleet.check=options"'
main=$(prop MainPID)
s=$(await_serving_main "$main")
log "$unit: MainPID $before -> $main, $(prop ActiveState)/$(prop SubState), NRestarts=$(prop NRestarts);" \
  "serving generation/pid/release: $s"
check "new JVM options with r2: exit 0, the role reports a deploy by restart" \
  '[[ $play_rc == 0 ]] && grep -q "\"msg\": \"localhost: r2.jar deployed in [0-9:.]*: deployed by restart: myapp.service is active, main pid $main" "$stage/play-options.out"'
check "new JVM options: a new generation 1 serves r2 with them, Restart= never fired" \
  '[[ $s == "1 $main r2" && $(prop NRestarts) == 0 ]] &&
   inside cat /proc/"$main"/cmdline | tr "\0" " " | grep -q -- "-Dfleet.check=options"'
pids+=("$main")

# --- the end: earlier generations gone, a clean stop, a clean journal ---------------------------
for ((i = 0; i < 100; i++)); do
  alive=()
  for p in "${pids[@]}"; do [[ $p != "$main" ]] && inside kill -0 "$p" 2>/dev/null && alive+=("$p"); done
  ((${#alive[@]} == 0)) && break
  sleep 0.5
done
check "every earlier generation exited (${pids[*]:0:${#pids[@]}-1})" '((${#alive[@]} == 0))'
t=$(date +%s%N)
sctl stop "$unit"
check "systemctl stop: unit inactive with Result=success (in $(ms "$t") ms)" \
  '[[ $(prop ActiveState)/$(prop Result) == inactive/success ]]'
"$testbed" journal -b -o short-monotonic >"$stage/journal.txt" 2>&1 || true
for pattern in 'Scheduled restart job' 'which is not our child' 'reception only permitted for main PID' \
               'with signal SIGKILL' 'Failed with result'; do
  check "journal has no '$pattern'" '! grep -q "$pattern" "$stage/journal.txt"'
done
check "journal: myapp.service reloaded 3 times (2 upgrades, 1 failed), started and stopped twice (one restart)" \
  '[[ $(grep -c "Started myapp.service" "$stage/journal.txt") == 2 &&
     $(grep -c "Reloading myapp.service" "$stage/journal.txt") == 3 &&
     $(grep -c "Stopping myapp.service" "$stage/journal.txt") == 2 ]]'
log "systemd's lines about the unit:"
grep -E 'systemd\[1\]: .*myapp\.service' "$stage/journal.txt" | grep -v 'Consumed' |
  sed -E 's/^\[ *([0-9.]+)\] [^ ]+ /      [\1] /' | tail -20

echo
log "plays: r2 $(secs "$r2_ms") s, the failed one $(secs "$bad_ms") s, rollback $(secs "$rollback_ms") s;" \
  "the whole check $((SECONDS - t_begin)) s"
result fleet
