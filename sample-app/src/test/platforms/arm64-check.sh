#!/usr/bin/env bash
# arm64-check.sh: the sample app on Linux aarch64. An arm64 Debian 12 root file system
# (debootstrap --foreign, second stage under qemu-user-static) with Debian's arm64 JDK 17 runs
# the sample app under qemu-user through binfmt_misc: start it, keep a client loop running,
# upgrade twice, and check each upgrade SUCCEEDED, the new generation's first fd table holds
# stdio, the listeners and the handshake (nothing else of the old one's), the old one exited, and
# 0 probes failed. Also prints the glibc struct layouts measured on aarch64 (layout.c compiled
# with aarch64-linux-gnu-gcc, run under qemu) next to the ones the native layer uses.
# Prints what it saw, PASS or FAIL.
#
# Usage: arm64-check.sh      (root; qemu is slow: the first run makes the root file system, about
# 12 minutes on two busy cores, then each run takes several minutes: see docs/platforms.md)
# Needs the packaged jar (mvn -pl sample-app -am package -DskipTests). Installs debootstrap,
# qemu-user-static, binfmt-support and gcc-aarch64-linux-gnu; mounts binfmt_misc if needed and
# enables qemu-aarch64 (flag F: works inside the chroot with no qemu copied in).
# Environment:
#   SAMPLE_APP_JAR    the jar (default sample-app/target/sample-app.jar)
#   ARM64_ROOT        the root file system, kept for later runs (default /var/tmp/zd-arm64)
#   DEBIAN_MIRROR     the mirror (default: the one this host's apt uses)
#   PLATFORM_CHECK_KEEP=1   keep the staging directory (app log, fd tables, probes)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
app_root=$(cd "$here/../../.." && pwd)
jar=${SAMPLE_APP_JAR:-$app_root/target/sample-app.jar}
root=${ARM64_ROOT:-/var/tmp/zd-arm64}
name="Linux aarch64 under qemu-user, Debian 12"
stage=$(mktemp -d /tmp/zd-arm64-check.XXXXXX)
start_timeout=900
upgrade_timeout_s=900
probe_limit_s=3600
probe_timeout_s=300
probe_pause=0.2
jvm_args=(-Xmx256m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC)
java=/usr/lib/jvm/java-17-openjdk-arm64/bin/java
# shellcheck source=platform-lib.sh
. "$here/platform-lib.sh"

[[ $(id -u) == 0 ]] || { echo "run as root (debootstrap, chroot, mounts, binfmt_misc)" >&2; exit 2; }
[[ -f $jar ]] || { echo "no jar at $jar: mvn -pl sample-app -am package -DskipTests" >&2; exit 2; }

cleanup() {
  platform_cleanup
  if [[ -n ${PLATFORM_CHECK_KEEP:-} ]]; then echo "kept: $stage"; else rm -rf "$stage"; fi
}
trap cleanup EXIT

need_packages debootstrap qemu-user-static binfmt-support gcc-aarch64-linux-gnu libc6-dev-arm64-cross curl
[[ -e /proc/sys/fs/binfmt_misc/register ]] || mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
update-binfmts --enable qemu-aarch64 >/dev/null 2>&1 || true
binfmt=$(cat /proc/sys/fs/binfmt_misc/qemu-aarch64 2>/dev/null || true)
check "binfmt_misc runs aarch64 programs through qemu, also in a chroot (enabled, flag F)" \
  "[[ \"$binfmt\" == enabled* && \"$(sed -n 's/^flags: //p' <<<"$binfmt")\" == *F* ]]"
[[ $binfmt == enabled* ]] || result "$name"

# the layouts, measured on aarch64, against the ones the native layer uses (PosixBinding.Layout)
aarch64-linux-gnu-gcc -static -o "$stage/layout-aarch64" "$here/layout.c"
"$stage/layout-aarch64" >"$stage/layout-aarch64.txt"
gcc -o "$stage/layout-host" "$here/layout.c" 2>/dev/null && "$stage/layout-host" >"$stage/layout-host.txt" || true
log "aarch64 glibc layouts (layout.c under qemu):"
sed 's/^/        /' "$stage/layout-aarch64.txt"
[[ -f $stage/layout-host.txt ]] && { log "differences from this host ($(uname -m)):"; diff "$stage/layout-host.txt" "$stage/layout-aarch64.txt" | sed 's/^/        /' || true; }
check "struct stat on aarch64 is 128 bytes with st_mode at 16 (PosixBinding.Layout.AARCH64)" \
  "grep -qx 'STAT_SIZE 128' '$stage/layout-aarch64.txt' && grep -qx 'STAT_MODE_OFFSET 16' '$stage/layout-aarch64.txt'"
check "posix_spawn types, sigset_t, sockaddr_storage, ucred as on x86_64 (80, 336, 128, 128, 12)" \
  "grep -qx 'SPAWN_FILE_ACTIONS_SIZE 80' '$stage/layout-aarch64.txt' && grep -qx 'SPAWN_ATTRIBUTES_SIZE 336' '$stage/layout-aarch64.txt' && grep -qx 'SIGSET_SIZE 128' '$stage/layout-aarch64.txt' && grep -qx 'SOCKADDR_STORAGE_SIZE 128' '$stage/layout-aarch64.txt' && grep -qx 'UCRED_SIZE 12' '$stage/layout-aarch64.txt'"

make_root bookworm arm64 openjdk-17-jre-headless
mount_root
log "in the root: $(chroot "$root" /usr/bin/uname -m), $(chroot "$root" /usr/bin/ldd --version | sed -n 1p), $(chroot "$root" "$java" -version 2>&1 | sed -n 1p)"
check "the JVM in the root is an aarch64 one" "[[ \$(chroot '$root' '$java' -XshowSettings:properties -version 2>&1 | sed -n 's/^ *os.arch = //p') == aarch64 ]]"

start_app --zerodowntime.upgrade-timeout=${upgrade_timeout_s}s
start_probes
upgrade 1
upgrade 2
stop_probes
check "no ERROR in the log" "! grep -q ' ERROR ' '$stage/app.log'"
grep ' ERROR ' "$stage/app.log" | sed -n 1,5p || true
result "$name, $((SECONDS - t_begin)) s"
