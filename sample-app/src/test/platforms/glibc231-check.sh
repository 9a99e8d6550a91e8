#!/usr/bin/env bash
# glibc231-check.sh: the sample app on glibc 2.31 (Debian 11), which has no
# posix_spawn_file_actions_addclosefrom_np (glibc 2.34) and no fstat symbol (2.33): start it in a
# Debian 11 root file system with a host JDK, keep a client loop running, upgrade twice, and
# check after each upgrade that the new generation shares no socket or pipe with the old one but
# the listeners (from fd 3) and holds the handshake after them: the spawn's fallback closed
# everything else, including the old generation's keep-alive connection and every other
# descriptor it had without close-on-exec. 0 failed probes. Prints what it saw, PASS or FAIL.
#
# Usage: glibc231-check.sh      (root; about 3 minutes the first time, 1 minute after)
# Needs the packaged jar (mvn -pl sample-app -am package -DskipTests). Installs debootstrap.
# Environment:
#   SAMPLE_APP_JAR    the jar (default sample-app/target/sample-app.jar)
#   GLIBC231_ROOT     the root file system, kept for later runs (default /var/tmp/zd-bullseye)
#   GLIBC231_JDK      a host JDK that runs on glibc 2.31 (default: the first in /usr/lib/jvm whose
#                     libjvm needs no glibc symbol newer than 2.31; Debian 12's own needs 2.34)
#   DEBIAN_MIRROR     the mirror (default: the one this host's apt uses)
#   PLATFORM_CHECK_KEEP=1   keep the staging directory (app log, fd tables, probes)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
app_root=$(cd "$here/../../.." && pwd)
jar=${SAMPLE_APP_JAR:-$app_root/target/sample-app.jar}
root=${GLIBC231_ROOT:-/var/tmp/zd-bullseye}
name="glibc 2.31, Debian 11"
stage=$(mktemp -d /tmp/zd-glibc231-check.XXXXXX)
start_timeout=180
upgrade_timeout_s=180
probe_limit_s=600
probe_timeout_s=60
probe_pause=0.05
jvm_args=(-Xmx256m)
# shellcheck source=platform-lib.sh
. "$here/platform-lib.sh"

[[ $(id -u) == 0 ]] || { echo "run as root (debootstrap, chroot, mounts)" >&2; exit 2; }
[[ -f $jar ]] || { echo "no jar at $jar: mvn -pl sample-app -am package -DskipTests" >&2; exit 2; }

runs_on_glibc_231() {
  local lib=$1/lib/server/libjvm.so newest
  [[ -f $lib ]] || return 1
  newest=$(objdump -T "$lib" "$1/bin/java" "$1/lib/libjli.so" 2>/dev/null | grep -o 'GLIBC_2\.[0-9]*' | sort -uV | tail -n 1)
  [[ -n $newest ]] && [[ $(printf '%s\nGLIBC_2.31\n' "$newest" | sort -V | tail -n 1) == GLIBC_2.31 ]]
}

cleanup() {
  platform_cleanup
  if [[ -n ${PLATFORM_CHECK_KEEP:-} ]]; then echo "kept: $stage"; else rm -rf "$stage"; fi
}
trap cleanup EXIT

need_packages debootstrap binutils curl
jdk=${GLIBC231_JDK:-}
if [[ -z $jdk ]]; then
  for candidate in /usr/lib/jvm/*/; do
    candidate=${candidate%/}
    [[ -L $candidate ]] && continue
    if runs_on_glibc_231 "$candidate"; then jdk=$candidate; break; fi
  done
fi
[[ -n $jdk ]] || { echo "no JDK in /usr/lib/jvm runs on glibc 2.31 (set GLIBC231_JDK)" >&2; exit 2; }
java=$jdk/bin/java
log "JDK: $jdk ($("$java" -version 2>&1 | sed -n 1p))"

make_root bullseye "$(dpkg --print-architecture)" ca-certificates
mount_root
bind "$jdk" "$jdk" ro
glibc=$(chroot "$root" /usr/bin/ldd --version | sed -n 1p)
log "in the root: $glibc"
check "the root has glibc 2.31" "[[ \"$glibc\" == *2.31 ]]"

start_app --zerodowntime.upgrade-timeout=${upgrade_timeout_s}s
start_probes
upgrade 1
upgrade 2
stop_probes
check "the spawn said it falls back (no closefrom)" "grep -q 'has no posix_spawn_file_actions_addclosefrom_np' '$stage/app.log'"
grep -m1 'has no posix_spawn_file_actions_addclosefrom_np' "$stage/app.log" | sed 's/^/        /' || true
if grep -q 'ERROR' "$stage/app.log"; then grep 'ERROR' "$stage/app.log" | sed -n 1,5p; fi
check "no ERROR in the log" "! grep -q ' ERROR ' '$stage/app.log'"
result "$name, $((SECONDS - t_begin)) s"
