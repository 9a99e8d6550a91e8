#!/usr/bin/env bash
# Installs, from the distribution's own packages (apt-get, Debian 12 or later), what the
# end-to-end load suite and the benchmark need and the machine does not have yet:
#   wrk, hey                      HTTP load generators (clients we did not write)
#   golang-go                     builds the tableflip reference server (bench only)
#   golang-github-cloudflare-tableflip-dev   the tableflip library, GOPATH layout (bench only)
#   gnuplot-nox                   draws the latency chart (bench only)
#   nginx-light                   the blue/green peer of the handover benchmark (bench only)
#
#   bench/install-tools.sh          everything
#   bench/install-tools.sh --e2e    only what the test suite needs (wrk, hey)
set -euo pipefail

want=(wrk hey)
if [ "${1:-}" != "--e2e" ]; then
  want+=(golang-go golang-github-cloudflare-tableflip-dev gnuplot-nox nginx-light)
fi

need=()
for pkg in "${want[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
    need+=("$pkg")
  fi
done
if [ ${#need[@]} -eq 0 ]; then
  echo "install-tools: nothing to install (${want[*]} present)"
  exit 0
fi

sudo=()
if [ "$(id -u)" -ne 0 ]; then
  sudo=(sudo)
fi
echo "install-tools: installing ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${need[@]}"
