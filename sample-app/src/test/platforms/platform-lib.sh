# platform-lib.sh: what arm64-check.sh and glibc231-check.sh share, sourced by both (not run):
# a Debian root file system made with debootstrap, the sample app started in it (chroot), a
# bounded probe loop from the host, upgrades through POST /actuator/upgrade, and the check that
# a new generation shares no socket or pipe with its predecessor but the listeners.
# The sourcing script sets: root (the root file system), java (the java inside it), stage.
# shellcheck source=../systemd/check-lib.sh
. "$here/../systemd/check-lib.sh"

app_pid=""
probe_pid=""
mounted=()

# The Debian mirror this host's apt uses (or $DEBIAN_MIRROR).
debian_mirror() {
  if [[ -n ${DEBIAN_MIRROR:-} ]]; then echo "$DEBIAN_MIRROR"; return; fi
  local uri
  uri=$(awk '/^URIs:/ && $2 !~ /security/ {print $2; exit}' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
  [[ -n $uri ]] || uri=$(awk '/^deb / && $2 !~ /security/ {print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
  [[ -n $uri ]] || { echo "no Debian mirror in this host's apt sources: set DEBIAN_MIRROR" >&2; exit 2; }
  echo "$uri"
}

# need_packages PKG...: install the Debian packages not installed yet
need_packages() {
  local missing=() p
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  ((${#missing[@]})) || return 0
  log "installing ${missing[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

# make_root SUITE ARCH PACKAGES: debootstrap $root once (kept for later runs, marked complete)
make_root() {
  local suite=$1 arch=$2 include=$3 t0=$SECONDS
  if [[ -f $root/.zd-complete ]]; then log "root file system $root (made earlier)"; return; fi
  rm -rf "$root"
  log "debootstrap $suite/$arch into $root (downloads, then unpacks; minutes)"
  if [[ $arch == "$(dpkg --print-architecture)" ]]; then
    debootstrap --arch="$arch" --variant=minbase --include="$include" "$suite" "$root" "$(debian_mirror)" >"$stage/debootstrap.log" 2>&1
  else
    debootstrap --arch="$arch" --foreign --variant=minbase --include="$include" "$suite" "$root" "$(debian_mirror)" >"$stage/debootstrap.log" 2>&1
    chroot "$root" /debootstrap/debootstrap --second-stage >>"$stage/debootstrap.log" 2>&1
  fi || { tail -n 20 "$stage/debootstrap.log"; bad "debootstrap $suite/$arch"; result "no root file system"; }
  touch "$root/.zd-complete"
  log "root file system made in $((SECONDS - t0)) s"
}

# bind SOURCE TARGET-IN-ROOT [ro]
bind() {
  mkdir -p "$root$2"
  mount --bind "$1" "$root$2"
  [[ ${3:-} != ro ]] || mount -o remount,bind,ro "$root$2"
  mounted=("$root$2" "${mounted[@]}")
}

mount_root() {
  mount -t proc proc "$root/proc"
  mounted=("$root/proc" "${mounted[@]}")
  bind /dev /dev
}

# Stop what this check started, by pid, then unmount what it mounted.
platform_cleanup() {
  local pid m
  [[ -z $probe_pid ]] || kill "$probe_pid" 2>/dev/null || true
  for pid in $app_pid $(cat "$stage"/generation-pids 2>/dev/null); do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in $app_pid $(cat "$stage"/generation-pids 2>/dev/null); do
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  for m in "${mounted[@]}"; do umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true; done
}

free_port() {
  local port
  while :; do
    port=$((20000 + RANDOM % 30000))
    ss -Htln "sport = :$port" | grep -q . || { echo "$port"; return; }
  done
}

# start_app EXTRA-ARGS...: generation 1 in the root, its log in $stage/app.log
start_app() {
  port=$(free_port)
  mkdir -p "$root/opt/app"
  cp "$jar" "$root/opt/app/app.jar"
  chroot "$root" /usr/bin/env -i PATH=/usr/bin:/bin HOME=/root LANG=C.UTF-8 "$java" "${jvm_args[@]}" \
    -jar /opt/app/app.jar --server.port="$port" --zerodowntime.drain-timeout=10s "$@" >"$stage/app.log" 2>&1 &
  app_pid=$!   # chroot and env exec: this is the JVM
  echo "$app_pid" >>"$stage/generation-pids"
  local t0=$SECONDS
  until [[ $(curl -s -o /dev/null -m 10 -w '%{http_code}' "http://127.0.0.1:$port/") == 200 ]]; do
    kill -0 "$app_pid" 2>/dev/null || { tail -n 40 "$stage/app.log"; bad "generation 1 started"; result "$name"; }
    ((SECONDS - t0 < start_timeout)) || { tail -n 40 "$stage/app.log"; bad "generation 1 ready within ${start_timeout} s"; result "$name"; }
    sleep 1
  done
  ok "generation 1 (pid $app_pid) serves on 127.0.0.1:$port after $((SECONDS - t0)) s"
}

# A client loop from the host: a request, then the next, until $stage/stop (bounded in count and time).
start_probes() {
  (
    end=$((SECONDS + probe_limit_s))
    for ((i = 0; i < 100000 && SECONDS < end; i++)); do
      [[ -e $stage/stop ]] && break
      out=$(curl -s -o /dev/null -m "$probe_timeout_s" -w '%{http_code} %{time_total}' "http://127.0.0.1:$port/") || out="$out curl-exit-$?"
      echo "$(date +%T) $out" >>"$stage/probes"
      sleep "$probe_pause"
    done
  ) &
  probe_pid=$!
}

stop_probes() {
  touch "$stage/stop"
  wait "$probe_pid" 2>/dev/null || true
  probe_pid=""
  local total failed
  total=$(wc -l <"$stage/probes")
  failed=$(awk '$2 != 200' "$stage/probes" | wc -l)
  log "probes: $total requests, $failed failed, slowest $(sort -k3 -g "$stage/probes" | tail -n 1 | awk '{print $3}') s (at $(sort -k3 -g "$stage/probes" | tail -n 1 | awk '{print $1}'))"
  awk '$2 != 200 {print "        failed: " $0}' "$stage/probes"
  check "$total probes, 0 failed" "((failed == 0 && total > 0))"
}

# fd_targets PID: "fd target" lines of /proc/PID/fd
fd_targets() {
  local f
  [[ -d /proc/$1/fd ]] || return 1
  for f in /proc/"$1"/fd/[0-9]*; do [[ -e $f || -L $f ]] && printf '%s %s\n' "${f##*/}" "$(readlink "$f" 2>/dev/null)"; done | sort -n
}

# Descriptors of PID above 2 without close-on-exec (would reach a child without closefrom)
inheritable_count() {
  local f n=0 flags
  for f in /proc/"$1"/fdinfo/*; do
    [[ ${f##*/} -gt 2 ]] || continue
    flags=$(awk '/^flags:/ {print $2}' "$f" 2>/dev/null) || continue
    [[ -n $flags ]] && (((8#$flags & 8#2000000) == 0)) && n=$((n + 1))
  done
  echo "$n"
}

# watch_new_generation N: the first fd table of the new JVM (pid preserved from the inner shell
# through exec), taken within milliseconds of its exec, long before it adopts its listeners
watch_new_generation() {
  local n=$1 end=$((SECONDS + upgrade_timeout_s)) pid
  while ((SECONDS < end)); do
    for pid in $(pgrep -f -- '-jar /opt/app/app.jar' || true); do
      [[ -f $stage/first-$n-$pid.fds ]] && continue
      grep -qx "$pid" "$stage/generation-pids" && continue
      # not yet the JVM: the shells of the double fork still carry their names
      grep -q 'zerodowntime-' "/proc/$pid/cmdline" 2>/dev/null && continue
      # any other JVM of the app's jar (a short-lived one, say) is seen too; the POST's answer
      # names the new generation
      fd_targets "$pid" >"$stage/first-$n-$pid.tmp" && grep -qv ' $' "$stage/first-$n-$pid.tmp" &&
        mv "$stage/first-$n-$pid.tmp" "$stage/first-$n-$pid.fds"
    done
    sleep 0.02
  done
}

# upgrade N: POST /actuator/upgrade, then check the new generation's descriptors
upgrade() {
  local n=$1 t0 body outcome old new watcher inheritable
  old=$(curl -s -D - -o /dev/null -m 60 "http://127.0.0.1:$port/" | awk -F': ' 'tolower($1)=="x-pid" {print $2}' | tr -d '\r')
  # a keep-alive connection the old generation accepted: an fd without close-on-exec
  exec {bait}<>"/dev/tcp/127.0.0.1/$port"
  printf 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n' >&"$bait"
  sleep 1
  inheritable=$(inheritable_count "$old")
  fd_targets "$old" >"$stage/old-$n.fds"
  watch_new_generation "$n" &
  watcher=$!
  t0=$(date +%s%N)
  body=$(curl -s -m "$upgrade_timeout_s" -X POST -H 'Content-Type: application/json' "http://127.0.0.1:$port/actuator/upgrade")
  exec {bait}>&-
  outcome=$(sed -n 's/.*"outcome":"\([A-Z]*\)".*/\1/p' <<<"$body")
  new=$(sed -n 's/.*"pid":\([0-9]*\).*/\1/p' <<<"$body")
  log "upgrade $n: $body ($(ms "$t0") ms)"
  check "upgrade $n SUCCEEDED" "[[ $outcome == SUCCEEDED ]]"
  kill "$watcher" 2>/dev/null || true
  wait "$watcher" 2>/dev/null || true
  [[ -n $new ]] || return 0
  echo "$new" >>"$stage/generation-pids"
  check "the fd table of generation $((n + 1)) was seen right after its exec" "[[ -f $stage/first-$n-$new.fds ]]"
  [[ -f $stage/first-$n-$new.fds ]] || return 0
  cp "$stage/first-$n-$new.fds" "$stage/first-$n.fds"
  # listening TCP sockets (state 0A) of this network namespace, by inode
  awk '$4 == "0A" {print $10}' /proc/net/tcp /proc/net/tcp6 | sort -u >"$stage/listening-$n"
  local fd target inode listeners=() handshake="" unexpected=() own=() expected
  while read -r fd target; do
    ((fd > 2)) || continue
    case $target in
      socket:* | pipe:*)
        inode=${target//[^0-9]/}
        if grep -qx "$inode" "$stage/listening-$n"; then listeners+=("$fd"); else
          if [[ -z $handshake && $target == socket:* && $fd == $((3 + ${#listeners[@]})) ]]; then handshake=$fd; else unexpected+=("$fd=$target"); fi
        fi ;;
      *) own+=("$fd=${target##*/}") ;;
    esac
  done <"$stage/first-$n.fds"
  expected=$(seq -s ' ' 3 $((2 + ${#listeners[@]})))
  log "generation $((n + 1)) (pid $new), right after exec: $(wc -l <"$stage/first-$n.fds") fds: stdio $(awk '$1 <= 2 {printf "%s ", $1}' "$stage/first-$n.fds")| listeners ${listeners[*]:-none} | handshake ${handshake:-none} | its own (the JVM's, opened after exec): ${own[*]:-none}"
  log "  generation $n (pid $old) had $(($(wc -l <"$stage/old-$n.fds"))) fds, $inheritable above 2 without close-on-exec (a keep-alive connection among them)"
  check "generation $((n + 1)) got the listeners at fds 3.. and nothing else of generation $n's: no other socket or pipe${unexpected:+ (got ${unexpected[*]})}" "((${#unexpected[@]} == 0 && ${#listeners[@]} > 0)) && [[ '${listeners[*]}' == '$expected' ]]"
  check "generation $((n + 1)) holds the handshake socket after the listeners" "[[ -n '$handshake' ]]"
  # the predecessor drains and exits
  local t1=$SECONDS
  while kill -0 "$old" 2>/dev/null && ((SECONDS - t1 < 120)); do sleep 0.5; done
  check "generation $n (pid $old) exited after the handover" "! kill -0 $old 2>/dev/null"
}
