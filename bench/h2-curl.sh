#!/usr/bin/env bash
# HTTP/2 clients that never retry across upgrades, from the repository root:
#
#   bench/h2-curl.sh [JAR] [UPGRADES]
#
# Starts JAR (default sample-app/target/sample-app.jar; sample-jetty and sample-webflux
# work too) with TLS and HTTP/2 on 127.0.0.1, runs four clients that each loop
# `curl --http2` with 50 requests on one connection, upgrades the app UPGRADES times
# (default 8) by SIGHUP, one after the other, and prints how many responses were
# HTTP/2 200 and every other outcome with its count. curl 7.88 fails a request whose
# stream a GOAWAY refused instead of sending it again, so any refused stream shows up
# here as "curl: (16) Error in the HTTP2 framing layer".
#
# Needs curl, java (or BENCH_JAVA=/path/to/bin/java) with keytool beside it, and python3
# (for a free port). Everything runs in a temporary directory (BENCH_OUT=<dir> to keep
# it); at the end, or on Ctrl-C, the clients and the generation serving are stopped by
# their PIDs. Bounded: each upgrade waits at most 60 s, the clients stop after 10 min.
set -euo pipefail
cd "$(dirname "$0")/.."

jar=$(realpath "${1:-sample-app/target/sample-app.jar}")
upgrades=${2:-8}
java=${BENCH_JAVA:-$(command -v java)}
keytool=$(dirname "$(realpath "$java")")/keytool
for tool in curl python3 "$java" "$keytool"; do
  command -v "$tool" >/dev/null || { echo "h2-curl: missing $tool" >&2; exit 1; }
done
[ -f "$jar" ] || { echo "h2-curl: no jar at $jar; build it with mvn -B package -DskipTests" >&2; exit 1; }
out=${BENCH_OUT:-$(mktemp -d)}
mkdir -p "$out"
cp "$jar" "$out/app.jar"
cd "$out"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$keytool" -genkeypair -alias app -keyalg EC -groupname secp256r1 -dname CN=localhost \
  -ext SAN=ip:127.0.0.1 -validity 2 -storetype PKCS12 -keystore tls.p12 \
  -storepass secret -keypass secret >/dev/null 2>&1

clients=()
stop() {
  rm -f running
  for pid in "${clients[@]}"; do kill "$pid" 2>/dev/null || true; done
  if [ -f app.pid ]; then kill -TERM "$(cat app.pid)" 2>/dev/null || true; fi
}
trap stop EXIT

"$java" -XX:TieredStopAtLevel=1 -jar app.jar --server.port="$port" --server.address=127.0.0.1 \
  --server.ssl.key-store=file:"$out/tls.p12" --server.ssl.key-store-password=secret \
  --server.http2.enabled=true --zerodowntime.probation=0 --zerodowntime.pid-file="$out/app.pid" \
  >app.log 2>&1 &
for _ in $(seq 1 120); do
  curl -sk --http2 -o /dev/null "https://127.0.0.1:$port/" && break
  sleep 0.5
done
curl -sk --http2 -o /dev/null "https://127.0.0.1:$port/" || { echo "h2-curl: the app did not start; see $out/app.log" >&2; exit 1; }

urls=()
for i in $(seq 1 50); do urls+=(--output /dev/null "https://127.0.0.1:$port/?n=$i"); done
touch running
for c in 1 2 3 4; do
  (
    end=$((SECONDS + 600))
    while [ -f running ] && [ $SECONDS -lt $end ]; do
      curl -sS -k --http2 --max-time 30 --write-out '%{http_version} %{http_code}\n' "${urls[@]}" >>"client-$c.out" 2>&1 || true
    done
  ) &
  clients+=($!)
done

for u in $(seq 1 "$upgrades"); do
  sleep 2
  old=$(cat app.pid)
  kill -HUP "$old"
  for _ in $(seq 1 120); do
    if [ "$(cat app.pid 2>/dev/null)" != "$old" ] && ! kill -0 "$old" 2>/dev/null; then break; fi
    sleep 0.5
  done
  if kill -0 "$old" 2>/dev/null; then echo "h2-curl: upgrade $u did not finish within 60 s; see $out/app.log" >&2; exit 1; fi
done
sleep 2
rm -f running
wait "${clients[@]}" 2>/dev/null || true
clients=()

total=$(cat client-*.out | wc -l)
ok=$(cat client-*.out | grep -c '^2 200$' || true)
echo "h2-curl: $(basename "$jar"), $upgrades upgrades, $total responses, $ok HTTP/2 200, $((total - ok)) other"
grep -hv '^2 200$' client-*.out | sort | uniq -c || true
echo "h2-curl: the app's log and the clients' output are in $out"
