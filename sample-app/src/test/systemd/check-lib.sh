# check-lib.sh: what testbed-check.sh and fleet-check.sh share, sourced by both (not run).
# The sourcing script sets $testbed (the testbed tool) before using inside/sctl.

deviations=()
t_begin=$SECONDS

log() { printf '%s [%4ss] %s\n' "$(date +%T)" "$((SECONDS - t_begin))" "$*"; }
ok() { log "ok    $*"; }
bad() { log "FAIL  $*"; deviations+=("$*"); }
# check WHAT EXPRESSION: EXPRESSION is evaluated (eval) in the sourcing shell
check() { if eval "$2"; then ok "$1"; else bad "$1"; fi; }
inside() { "$testbed" run "$@"; }
sctl() { "$testbed" sctl "$@"; }
ms() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }

# Halt the container and remove the (unmounted, small) instance directory the testbed leaves
# behind; the container's name was this check's alone.
testbed_down() {
  "$testbed" down >/dev/null 2>&1 || true
  local inst=${TESTBED_BASE:-/var/tmp/systemd-testbed}/instances/$TESTBED_NAME
  mountpoint -q "$inst/merged" 2>/dev/null || rm -rf "$inst"
}

# result NAME: every deviation and exit 1, or that all checks passed and exit 0
result() {
  echo
  if ((${#deviations[@]})); then
    log "RESULT: ${#deviations[@]} deviation(s) ($1):"
    printf '        - %s\n' "${deviations[@]}"
    exit 1
  fi
  log "RESULT: all checks passed ($1)"
  exit 0
}
