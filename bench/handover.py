#!/usr/bin/env python3
"""The handover benchmark of issue 15: how fast a new generation takes over, idle and at
saturation, per JDK and release layout, with and without the priority lever; the heavy
sample at saturation; and the peer (nginx in front of two plain Boot JVMs, blue/green).

Run by bench/run.sh --handover (or --quick). Every process it starts is stopped by pid.

Measures, per JDK (17, 25) and layout (fat jar, extracted, extracted + archive):
  cold start      JVM start to first 200 on an idle machine, its CPU (utime+stime), peak RSS
  handover idle   trigger (POST /actuator/upgrade) to the new generation serving, its CPU to
                  ready, peak RSS of both generations; lever off and on
  handover sat.   the same while wrk -t2 -c32 (unpaced, keep-alive) saturates the machine, and
                  the p99 of a light probe (one GET every 20 ms) in the 10 s after the trigger
                  against its steady p99; lever off and on
Heavy sample: 5 upgrades at saturation, default upgrade timeout: successes, failed requests,
handover times. Peer: nginx + two plain JVMs switched blue/green under the same load, 5
switches 10 s apart; take-over time and failed requests.
"""
import argparse
import http.client
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time

TCK = os.sysconf("SC_CLK_TCK")
STARTED = []  # every pid we started, stopped at the end


def now():
    return time.monotonic()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(port, path="/", timeout=5.0, method="GET"):
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        c.request(method, path, body=b"{}" if method == "POST" else None,
                  headers={"Connection": "close", "Content-Type": "application/json"})
        r = c.getresponse()
        body = r.read()
        c.close()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, body
    except (OSError, http.client.HTTPException):
        return None


def cpu_s(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TCK
    except (OSError, IndexError):
        return None


def cpu_breakdown(pid):
    """CPU seconds per kind of thread: main (Spring's start), JIT compilers, GC, the rest."""
    kinds = {"main": 0.0, "jit": 0.0, "gc": 0.0, "other": 0.0}
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return None
    for tid in tasks:
        try:
            with open(f"/proc/{pid}/task/{tid}/stat") as f:
                text = f.read()
        except OSError:
            continue
        name = text[text.index("(") + 1:text.rindex(")")]
        fields = text.rsplit(")", 1)[1].split()
        used = (int(fields[11]) + int(fields[12])) / TCK
        kind = ("main" if name in ("java", "main") else "jit" if "Compiler" in name or name.startswith("C1 ")
                or name.startswith("C2 ") else "gc" if ("GC" in name or name.startswith("G1 ")) else "other")
        kinds[kind] += used
    return {k: round(v, 2) for k, v in kinds.items()}


def hwm_mib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def stop(pid, grace=20):
    if not pid or not alive(pid):
        return
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = now() + grace
    while alive(pid) and now() < deadline:
        time.sleep(0.1)
    if alive(pid):
        os.kill(pid, signal.SIGKILL)


def wait_for(what, fn, timeout, interval=0.05):
    deadline = now() + timeout
    while now() < deadline:
        v = fn()
        if v:
            return v
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout} s: {what}")


def serving(port, generation=None):
    r = get(port, "/", timeout=3)
    if r and r[0] == 200 and (generation is None or r[1].get("x-generation") == str(generation)):
        return int(r[1]["x-pid"])
    return None


class Probe(threading.Thread):
    """One GET / every 20 ms on a new connection; records (time, latency ms, ok)."""

    def __init__(self, port):
        super().__init__(daemon=True)
        self.port, self.running, self.samples = port, True, []

    def run(self):
        nxt = now()
        while self.running:
            t = now()
            r = get(self.port, "/", timeout=10)
            self.samples.append((t, (now() - t) * 1000, bool(r and r[0] == 200)))
            nxt += 0.02
            time.sleep(max(0.0, nxt - now()))

    def p99(self, start, end):
        values = sorted(l for t, l, ok in self.samples if start <= t < end)
        if not values:
            return None
        return values[min(len(values) - 1, int(0.99 * len(values)))]


class Wrk:
    """wrk -t2 -c32, unpaced; failed = socket errors + non-2xx, parsed from its summary."""

    def __init__(self, port, seconds, out, close=False):
        cmd = ["wrk", "-t2", "-c32", f"-d{int(seconds)}s", "--timeout", "20s"]
        if close:
            cmd += ["-H", "Connection: close"]
        self.out = out
        self.proc = subprocess.Popen(cmd + [f"http://127.0.0.1:{port}/"], stdout=open(out, "w"),
                                     stderr=subprocess.STDOUT, start_new_session=True)
        STARTED.append(self.proc.pid)

    def finish(self):
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGINT)
        self.proc.wait(timeout=60)
        text = open(self.out).read()
        requests = int(m.group(1)) if (m := re.search(r"(\d+) requests in", text)) else 0
        errors = sum(int(x) for x in re.findall(r"(?:connect|read|write|timeout) (\d+)", text))
        non2xx = int(m.group(1)) if (m := re.search(r"Non-2xx or 3xx responses: (\d+)", text)) else 0
        return {"requests": requests, "socket_errors": errors, "non2xx": non2xx}


class App:
    """One application (generation 1 and its successors), in its own directory."""

    def __init__(self, java, command_tail, work, name, extra_args=()):
        self.port = free_port()
        self.dir = os.path.join(work, name)
        os.makedirs(self.dir, exist_ok=True)
        self.pid_file = os.path.join(self.dir, "app.pid")
        self.log = os.path.join(self.dir, "app.log")
        self.cmd = [java] + command_tail + [f"--server.port={self.port}", f"--zerodowntime.pid-file={self.pid_file}",
                                            ] + list(extra_args)
        self.pids = set()

    def start(self):
        t0 = now()
        proc = subprocess.Popen(self.cmd, cwd=self.dir, stdout=open(self.log, "a"), stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
        STARTED.append(proc.pid)
        self.pids.add(proc.pid)
        pid = wait_for("generation 1 serving", lambda: proc.poll() is None and serving(self.port, 1) or
                       (proc.poll() is not None and -1), 300)
        if pid == -1:
            raise RuntimeError(f"generation 1 exited: see {self.log}")
        figures = {"start_s": now() - t0, "cpu_s": cpu_s(pid), "rss_mib": hwm_mib(pid), "pid": pid,
                   "threads": cpu_breakdown(pid)}
        if "--zerodowntime.enabled=false" not in self.cmd:
            # ready (it accepts upgrades) once the PID file names it
            wait_for("generation 1 ready", lambda: self.current() == pid, 120)
        return figures

    def upgrade(self, generation, probe=None, timeout=300):
        """Trigger, wait for the new generation serving; returns the figures."""
        old = serving(self.port)
        outcome = {}

        def post():
            deadline = now() + 120
            while now() < deadline:
                r = get(self.port, "/actuator/upgrade", timeout=timeout, method="POST")
                if r and r[0] == 409 and (b"has not exited" in r[2] or b"not ready yet" in r[2]):
                    time.sleep(0.2)
                    continue
                outcome["response"] = r and (r[0], r[2].decode(errors="replace"))
                return

        t0 = now()
        poster = threading.Thread(target=post, daemon=True)
        poster.start()
        pid = None
        old_hwm = None
        deadline = now() + timeout
        while now() < deadline and pid is None:
            pid = serving(self.port, generation)
            if pid is None and not poster.is_alive() and "response" in outcome:
                resp = outcome["response"]
                if not resp or '"SUCCEEDED"' not in resp[1]:
                    break
            time.sleep(0.05)
            old_hwm = (old and hwm_mib(old)) or old_hwm
        took = now() - t0
        if pid is None:
            poster.join(5)
            return {"ok": False, "handover_s": took, "response": outcome.get("response")}
        self.pids.add(pid)
        figures = {"ok": True, "handover_s": took, "cpu_s": cpu_s(pid), "threads": cpu_breakdown(pid), "rss_new_mib": hwm_mib(pid),
                   "rss_old_mib": old_hwm, "t_trigger": t0, "pid": pid, "archive": archive_mapped(self.cmd, pid)}
        poster.join(timeout)
        return figures

    def current(self):
        try:
            return int(open(self.pid_file).read().strip())
        except (OSError, ValueError):
            return None

    def close(self):
        for pid in sorted(self.pids | {self.current() or 0}):
            stop(pid)


def archive_mapped(cmd, pid):
    """Whether a generation mapped the archive its command names, per its -Xlog file."""
    log = next((a.split("file=", 1)[1] for a in cmd if a.startswith("-Xlog:") and "file=" in a), None)
    if not log:
        return None
    try:
        text = open(log.replace("%p", str(pid))).read()
    except OSError:
        return "no log"
    if re.search(r"mismatch|Unable to map|Unable to use|error", text, re.I):
        return "rejected"
    return "mapped" if re.search(r"Mapped dynamic region|Opened AOT cache|Mapped static", text) else "not mapped"


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def layouts(java, jdk, work, jar, want):
    """Command tails (JVM options + -jar path) per layout; trains the archive."""
    tails = {"fat": ["-jar", jar]}
    ext = os.path.join(work, f"ext-{jdk}-{os.path.basename(jar)[:-4]}")
    if not os.path.isdir(ext):
        subprocess.run([java, "-Djarmode=tools", "-jar", jar, "extract", "--destination", ext,
                        "--application-filename", "app.jar", "--force"], check=True, stdout=subprocess.DEVNULL)
    tails["extracted"] = ["-jar", os.path.join(ext, "app.jar")]
    if "archive" in want:
        aot = int(jdk) >= 25
        archive = os.path.join(ext, "app.aot" if aot else "app.jsa")
        flag = ["-XX:AOTCache=" + archive] if aot else ["-XX:SharedArchiveFile=" + archive]
        # to check that every generation maps it (logging options do not invalidate an archive)
        flag.append(f"-Xlog:{'aot' if aot else 'cds'}=info:file={ext}/xlog-%p.log")
        if not os.path.exists(archive):
            out = ["-XX:AOTCacheOutput=" + archive] if aot else ["-XX:ArchiveClassesAtExit=" + archive]
            t0 = now()
            # the exact command of every generation, at nice 19, exiting once the context is refreshed
            subprocess.run(["nice", "-n", "19", java] + out + ["-Dspring.context.exit=onRefresh", "-jar",
                            os.path.join(ext, "app.jar"), f"--server.port={free_port()}",],
                           cwd=ext, stdout=open(os.path.join(ext, "training.log"), "w"), stderr=subprocess.STDOUT)
            print(f"  trained {archive} in {now() - t0:.1f} s", flush=True)
        tails["archive"] = flag + ["-jar", os.path.join(ext, "app.jar")]
    return {k: v for k, v in tails.items() if k in want}


def loadavg():
    return float(open("/proc/loadavg").read().split()[0])


def matrix(args, work, results):
    for jdk, java in args.jdks:
        for layout, tail in layouts(java, jdk, work, args.jar, args.layouts).items():
            key = f"{jdk}/{layout}"
            row = results.setdefault(key, {"jdk": jdk, "layout": layout})
            print(f"== JDK {jdk}, {layout} (load {loadavg():.2f})", flush=True)
            colds = []
            for i in range(args.repeat if args.cold else 0):
                app = App(java, tail, work, f"cold-{jdk}-{layout}-{i}", ["--zerodowntime.enabled=false"])
                try:
                    colds.append(app.start())
                finally:
                    app.close()
            if colds:
                row["cold_s"] = median(c["start_s"] for c in colds)
                row["cold_cpu_s"] = median(c["cpu_s"] for c in colds)
                row["cold_rss_mib"] = median(c["rss_mib"] for c in colds)
                row["cold_cpu_by_thread"] = colds[0]["threads"]
                row["cold_load"] = loadavg()
            for lever in args.levers:
                for saturated in args.loads:
                    name = f"{jdk}-{layout}-{'lever' if lever else 'plain'}-{'sat' if saturated else 'idle'}"
                    figures = []
                    for i in range(args.repeat):
                        figures.append(one_handover(args, java, tail, work, f"{name}-{i}", lever, saturated))
                    tag = ("sat" if saturated else "idle") + ("_lever" if lever else "")
                    ok = [f for f in figures if f.get("ok")]
                    row[f"{tag}_s"] = median(f["handover_s"] for f in ok)
                    row[f"{tag}_cpu_s"] = median(f["cpu_s"] for f in ok)
                    row[f"{tag}_rss_mib"] = [median(f["rss_old_mib"] for f in ok), median(f["rss_new_mib"] for f in ok)]
                    row[f"{tag}_ok"] = f"{len(ok)}/{len(figures)}"
                    row[f"{tag}_archive"] = sorted({str(f.get("archive")) for f in ok})
                    if saturated:
                        row[f"{tag}_p99_after_ms"] = median(f.get("p99_after") for f in ok)
                        row[f"{tag}_p99_steady_ms"] = median(f.get("p99_steady") for f in ok)
                        row[f"{tag}_p99_to_takeover_ms"] = median(f.get("p99_to_takeover") for f in ok)
                        row[f"{tag}_p99_from_takeover_ms"] = median(f.get("p99_from_takeover") for f in ok)
                        row[f"{tag}_failed"] = sum(f.get("failed", 0) for f in figures)
                    print(f"   {tag}: {json.dumps({k: v for k, v in row.items() if k.startswith(tag)})}", flush=True)
            save(args, results)


def one_handover(args, java, tail, work, name, lever, saturated):
    extra = [f"--zerodowntime.handover-priority={'true' if lever else 'false'}"]
    app = App(java, tail, work, name, extra)
    wrk = probe = None
    try:
        app.start()
        if saturated:
            wrk = Wrk(app.port, 600, os.path.join(app.dir, "wrk.txt"))
            probe = Probe(app.port)
            probe.start()
            time.sleep(args.steady)
        f = app.upgrade(2)
        if saturated:
            end = f.get("t_trigger", now()) + args.window
            time.sleep(max(0.0, end - now()))
            probe.running = False
            f["p99_after"] = probe.p99(f.get("t_trigger", 0), end)
            if f.get("ok"):
                # which part of the window the tail comes from: the old generation yielding,
                # or the new one warming up
                takeover = f["t_trigger"] + f["handover_s"]
                f["p99_to_takeover"] = probe.p99(f["t_trigger"], takeover)
                f["p99_from_takeover"] = probe.p99(takeover, end)
            f["p99_steady"] = probe.p99(0, f.get("t_trigger", now()))
            w = wrk.finish()
            wrk = None
            f["failed"] = w["socket_errors"] + w["non2xx"] + sum(1 for s in probe.samples if not s[2])
            f["requests"] = w["requests"]
        return f
    finally:
        if probe:
            probe.running = False
        if wrk:
            wrk.finish()
        app.close()


def series(args, java, tail, work, name, upgrades, close):
    """N upgrades of one application at saturation, one after the other."""
    app = App(java, tail, work, name)
    wrk = None
    figures = []
    try:
        app.start()
        wrk = Wrk(app.port, 3600, os.path.join(app.dir, "wrk.txt"), close=close)
        time.sleep(args.steady)
        for g in range(2, upgrades + 2):
            f = app.upgrade(g, timeout=120)
            figures.append(f)
            print(f"   upgrade to {g}: {json.dumps({k: v for k, v in f.items() if k != 't_trigger'})}", flush=True)
            if not f.get("ok"):
                break
            time.sleep(args.gap)
        w = wrk.finish()
        wrk = None
    finally:
        if wrk:
            w = wrk.finish()
        app.close()
    ok = [f for f in figures if f.get("ok")]
    return {"upgrades": f"{len(ok)}/{upgrades}", "handover_s": [round(f["handover_s"], 1) for f in figures],
            "median_s": median(f["handover_s"] for f in ok), "cpu_s": median(f["cpu_s"] for f in ok),
            "requests": w["requests"], "failed": w["socket_errors"] + w["non2xx"]}


NGINX_CONF = """
worker_processes 1;
daemon off;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  include {dir}/upstream.conf;
  server {{
    listen 127.0.0.1:{port};
    location / {{
      proxy_pass http://app;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_next_upstream error timeout http_502;
    }}
  }}
}}
"""


def peer(args, java, jar, work, switches, close):
    """nginx in front of two plain Boot JVMs, switched blue/green under the same load."""
    d = os.path.join(work, "peer-" + ("close" if close else "keepalive"))
    os.makedirs(d, exist_ok=True)
    port = free_port()
    upstream = os.path.join(d, "upstream.conf")

    def point(app_port):
        tmp = upstream + ".tmp"
        open(tmp, "w").write(f"upstream app {{ server 127.0.0.1:{app_port}; keepalive 32; }}\n")
        os.replace(tmp, upstream)

    def start_plain(tag):
        p = free_port()
        proc = subprocess.Popen([java, "-jar", jar, f"--server.port={p}", "--zerodowntime.enabled=false",
                                ], cwd=d, stdout=open(os.path.join(d, tag + ".log"), "a"),
                                stderr=subprocess.STDOUT, start_new_session=True)
        STARTED.append(proc.pid)
        return proc, p

    blue, blue_port = start_plain("blue")
    wait_for("blue", lambda: serving(blue_port), 300)
    point(blue_port)
    open(os.path.join(d, "nginx.conf"), "w").write(NGINX_CONF.format(dir=d, port=port))
    nginx = subprocess.Popen(["nginx", "-c", os.path.join(d, "nginx.conf"), "-p", d], stdout=subprocess.DEVNULL,
                             stderr=subprocess.STDOUT, start_new_session=True)
    STARTED.append(nginx.pid)
    wait_for("nginx", lambda: serving(port), 30)
    wrk = Wrk(port, 3600, os.path.join(d, "wrk.txt"), close=close)
    takeovers = []
    try:
        time.sleep(args.steady)
        for _ in range(switches):
            t0 = now()
            green, green_port = start_plain("green")
            wait_for("green", lambda: green.poll() is None and serving(green_port), 300)
            point(green_port)
            os.kill(nginx.pid, signal.SIGHUP)
            wait_for("nginx on green", lambda: serving(port) == green.pid, 60)
            takeovers.append(round(now() - t0, 1))
            print(f"   peer switch: {takeovers[-1]} s", flush=True)
            time.sleep(1)  # nginx's old workers finish their requests
            stop(blue.pid)
            blue, blue_port = green, green_port
            time.sleep(args.gap)
        w = wrk.finish()
    finally:
        if wrk.proc.poll() is None:
            wrk.finish()
        stop(nginx.pid)
        stop(blue.pid)
    return {"switches": len(takeovers), "takeover_s": takeovers, "median_s": median(takeovers),
            "requests": w["requests"], "failed": w["socket_errors"] + w["non2xx"]}


def save(args, results):
    with open(os.path.join(args.out, "handover.json"), "w") as f:
        json.dump(results, f, indent=1, default=str)


def fmt(v, d=1):
    if v is None:
        return "–"
    if isinstance(v, list):
        return " / ".join(fmt(x, 0) for x in v)
    return f"{v:.{d}f}" if isinstance(v, float) else str(v)


def report(args, results):
    lines = ["| JDK | Layout | Cold start (s) | Cold CPU (s) | Handover idle (s) | idle, lever | "
             "Handover saturated (s) | saturated, lever | CPU to ready sat. (s) | sat., lever | "
             "p99 10 s after / steady (ms) | lever | Peak RSS old / new (MiB) | Failed |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for key, r in results.items():
        if "/" not in key:
            continue
        lines.append("| " + " | ".join([
            r["jdk"], r["layout"], fmt(r.get("cold_s")), fmt(r.get("cold_cpu_s")), fmt(r.get("idle_s")),
            fmt(r.get("idle_lever_s")), fmt(r.get("sat_s")), fmt(r.get("sat_lever_s")), fmt(r.get("sat_cpu_s")),
            fmt(r.get("sat_lever_cpu_s")),
            f"{fmt(r.get('sat_p99_after_ms'), 0)} / {fmt(r.get('sat_p99_steady_ms'), 0)}",
            f"{fmt(r.get('sat_lever_p99_after_ms'), 0)} / {fmt(r.get('sat_lever_p99_steady_ms'), 0)}",
            fmt(r.get("sat_rss_mib")), str(r.get("sat_failed", 0) + r.get("sat_lever_failed", 0))]) + " |")
    for key in ("heavy_cold", "heavy", "heavy_archive", "peer_keepalive", "peer_close", "light_series"):
        if key in results:
            lines.append("")
            lines.append(f"{key}: {json.dumps(results[key])}")
    text = "\n".join(lines) + "\n"
    open(os.path.join(args.out, "handover.md"), "w").write(text)
    print(text)


def chart(args, results):
    """handover.svg: per JDK and layout, cold start and the handover idle and saturated, lever off/on."""
    rows = [(k, r) for k, r in results.items() if "/" in k]
    series = [("cold_s", "cold start (idle machine)", "#888888"), ("idle_s", "handover, idle", "#9ecae1"),
              ("idle_lever_s", "handover, idle, lever", "#3182bd"), ("sat_s", "handover, saturated", "#fdae6b"),
              ("sat_lever_s", "handover, saturated, lever", "#e6550d")]
    values = [r.get(key) for _, r in rows for key, _, _ in series if r.get(key) is not None]
    if not values:
        return
    top = max(values) * 1.1
    bar, gap, left, width = 9, 14, 150, 560
    height = 40 + len(rows) * (len(series) * bar + gap) + 20 * len(series)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{left + width + 60}" height="{height}" '
           'font-family="sans-serif" font-size="11">',
           f'<text x="{left}" y="16" font-size="13">Seconds to the first 200 of the new JVM (less is better)</text>']
    y = 30
    for key, r in rows:
        out.append(f'<text x="4" y="{y + len(series) * bar / 2 + 4}">JDK {r["jdk"]}, {r["layout"]}</text>')
        for name, _, colour in series:
            v = r.get(name)
            if v is not None:
                w = width * v / top
                out.append(f'<rect x="{left}" y="{y}" width="{w:.1f}" height="{bar - 1}" fill="{colour}"/>')
                out.append(f'<text x="{left + w + 3:.1f}" y="{y + bar - 1}" font-size="9">{v:.1f}</text>')
            y += bar
        y += gap
    for name, label, colour in series:
        out.append(f'<rect x="{left}" y="{y}" width="10" height="10" fill="{colour}"/>'
                   f'<text x="{left + 14}" y="{y + 9}">{label}</text>')
        y += 20
    out.append("</svg>")
    open(os.path.join(args.out, "handover.svg"), "w").write("\n".join(out) + "\n")


def interrupted(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


def main():
    # stop cleanly (every started pid, results saved) on SIGINT or SIGTERM, also when started
    # in the background by a shell that ignores SIGINT
    signal.signal(signal.SIGINT, interrupted)
    signal.signal(signal.SIGTERM, interrupted)
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--work", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--jar", required=True, help="the light sample (fat jar)")
    p.add_argument("--heavy-jar", help="the heavy sample (fat jar)")
    p.add_argument("--java17", default="java")
    p.add_argument("--java25", default="/usr/lib/jvm/temurin-25-jdk-amd64/bin/java")
    p.add_argument("--quick", action="store_true", help="smoke run: JDK 17 only, fewer cases")
    p.add_argument("--parts", default="matrix,heavycold,heavy,peer,light")
    p.add_argument("--repeat", type=int, default=1)
    p.add_argument("--steady", type=float, default=8, help="load before the first trigger (s)")
    p.add_argument("--window", type=float, default=10, help="p99 window after a trigger (s)")
    p.add_argument("--gap", type=float, default=10, help="time between upgrades of a series (s)")
    p.add_argument("--upgrades", type=int, default=5)
    p.add_argument("--only-layouts", help="comma-separated subset of fat,extracted,archive")
    p.add_argument("--only-loads", help="idle, saturated or both (idle,saturated)")
    p.add_argument("--only-jdks", help="17, 25 or both")
    p.add_argument("--only-levers", help="off, on or both (off,on)")
    p.add_argument("--merge", action="store_true", help="add to the results already in --out")
    p.add_argument("--no-cold", dest="cold", action="store_false", help="skip the cold starts")
    args = p.parse_args()
    os.makedirs(args.out, exist_ok=True)
    args.jdks = [("17", args.java17)]
    if not args.quick and os.path.exists(args.java25):
        args.jdks.append(("25", args.java25))
    args.layouts = ["fat", "archive"] if args.quick else ["fat", "extracted", "archive"]
    args.levers = [False, True]
    args.loads = [True] if args.quick else [False, True]
    if args.quick:
        args.upgrades, args.steady, args.gap = 2, 5, 5
    if args.only_layouts:
        args.layouts = args.only_layouts.split(",")
    if args.only_loads:
        args.loads = [x == "saturated" for x in args.only_loads.split(",")]
    if args.only_levers:
        args.levers = [x == "on" for x in args.only_levers.split(",")]
    if args.only_jdks:
        args.jdks = [j for j in [("17", args.java17), ("25", args.java25)] if j[0] in args.only_jdks.split(",")]
    results = {}
    previous = os.path.join(args.out, "handover.json")
    if args.merge and os.path.exists(previous):
        results = json.load(open(previous))
    results.setdefault("runs", []).append({"cpus": os.cpu_count(), "kernel": os.uname().release,
                                           "load_at_start": loadavg(), "quick": args.quick, "argv": sys.argv[1:],
                                           "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())})
    parts = args.parts.split(",")
    try:
        if "matrix" in parts:
            matrix(args, args.work, results)
        if "heavycold" in parts and args.heavy_jar:
            for jdk, java in args.jdks:
                for layout, tail in layouts(java, jdk, args.work, args.heavy_jar, args.layouts).items():
                    colds = []
                    for i in range(args.repeat):
                        app = App(java, tail, args.work, f"heavy-cold-{jdk}-{layout}-{i}", ["--zerodowntime.enabled=false"])
                        try:
                            colds.append(app.start())
                        finally:
                            app.close()
                    results.setdefault("heavy_cold", {})[f"{jdk}/{layout}"] = {
                        "start_s": median(c["start_s"] for c in colds), "cpu_s": median(c["cpu_s"] for c in colds),
                        "rss_mib": median(c["rss_mib"] for c in colds), "cpu_by_thread": colds[0]["threads"],
                        "load": loadavg()}
                    print(f"   heavy cold {jdk}/{layout}: {results['heavy_cold'][f'{jdk}/{layout}']}", flush=True)
                    save(args, results)
        if "heavy" in parts and args.heavy_jar:
            jdk, java = args.jdks[-1]
            print(f"== heavy sample, JDK {jdk}, fat jar, {args.upgrades} upgrades at saturation", flush=True)
            results["heavy"] = series(args, java, ["-jar", args.heavy_jar, "--zerodowntime.handover-priority=false"],
                                      args.work, "heavy", args.upgrades, False)
            save(args, results)
            tail = layouts(java, jdk, args.work, args.heavy_jar, ["archive"])["archive"]
            print(f"== heavy sample, JDK {jdk}, extracted + archive, lever on", flush=True)
            results["heavy_archive"] = series(args, java, tail + ["--zerodowntime.handover-priority=true"],
                                              args.work, "heavy-archive", args.upgrades, False)
            save(args, results)
        if "peer" in parts:
            jdk, java = args.jdks[-1]
            print(f"== peer: nginx + two plain JVMs (JDK {jdk}), {args.upgrades} switches", flush=True)
            results["peer_keepalive"] = peer(args, java, args.jar, args.work, args.upgrades, False)
            save(args, results)
        if "light" in parts:
            jdk, java = args.jdks[-1]
            print(f"== the light sample + starter under the same harness (JDK {jdk}, fat jar)", flush=True)
            results["light_series"] = series(args, java, ["-jar", args.jar], args.work, "light", args.upgrades, False)
            save(args, results)
    finally:
        for pid in STARTED:
            stop(pid, grace=5)
        save(args, results)
        report(args, results)
        chart(args, results)


if __name__ == "__main__":
    main()
