#!/bin/sh
# Soak: N consecutive upgrades of the sample app under a client load (SoakIT), with the
# serving generation's open fds, threads and RSS printed per generation. CI runs SoakIT
# with 10 upgrades; this runs the full 50 (or the number given).
#
#   sample-app/soak.sh            # 50 upgrades
#   sample-app/soak.sh 100        # 100 upgrades
#   JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64 sample-app/soak.sh
#
# Further arguments go to mvn. The table is in the output, lines starting with [soak].
set -eu
cd "$(dirname "$0")/.."
upgrades="${1:-50}"
[ "$#" -gt 0 ] && shift
exec mvn -pl sample-app -am verify -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false \
	-Dit.test=SoakIT -Dsoak.upgrades="$upgrades" "$@"
