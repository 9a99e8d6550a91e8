#!/usr/bin/env python3
"""Benchmark: zero-downtime upgrades of the sample app with the starter, the same app
restarted the usual way without it, and cloudflare/tableflip's Go reference, side by side,
under the same load from wrk. Run through bench/run.sh, which builds what it needs.

For every system and load mode it starts the system, measures its cold start and idle RSS,
runs wrk (every request logged by bench/wrk-log.lua) for a warm-up, then N triggers, each
followed by a 10 s window and a steady gap, and computes: requests, failures by kind,
latency p50/p99/max in steady state and in the 10 s after each trigger, handover time
(trigger -> new generation serving -> old generation gone), throughput and idle RSS. It
writes results.md, results.json and latency.png into the output directory.
"""
import argparse
import glob
import http.client
import json
import os
import platform
import re
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time

POLL = 0.05


def now():
    return time.time()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(port, path="/", timeout=5.0):
    """GET on a new connection; returns (status, headers) or None."""
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        c.request("GET", path, headers={"Connection": "close"})
        r = c.getresponse()
        r.read()
        c.close()
        return r.status, {k.lower(): v for k, v in r.getheaders()}
    except (OSError, http.client.HTTPException):
        return None


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ", 1)[1][0] != "Z"
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return None


def wait_until(what, condition, timeout, interval=POLL):
    deadline = now() + timeout
    while now() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise RuntimeError(f"timed out after {timeout} s waiting for {what}")


def percentile(sorted_values, p):
    if not sorted_values:
        return None
    k = max(0, min(len(sorted_values) - 1, int(round(p / 100.0 * len(sorted_values) + 0.5)) - 1))
    return sorted_values[k]


class Probe(threading.Thread):
    """Connects every 50 ms; records when a connection was refused or failed."""

    def __init__(self, port):
        super().__init__(daemon=True)
        self.port, self.running, self.attempts, self.failures = port, True, 0, []

    def run(self):
        nxt = now()
        while self.running:
            self.attempts += 1
            t = now()
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=5):
                    pass
            except ConnectionRefusedError:
                self.failures.append((t, "refused"))
            except OSError as e:
                self.failures.append((t, type(e).__name__))
            nxt += 0.05
            time.sleep(max(0.0, nxt - now()))


class System:
    """One system under test; subclasses know how to start, trigger and follow it."""

    name = "?"
    label = "?"

    def __init__(self, work, port, run_dir):
        self.work, self.port, self.dir = work, port, run_dir
        self.log_path = os.path.join(run_dir, "server.log")
        self.log = open(self.log_path, "ab")
        self.pid = None
        self.generation = 1
        self.seen = set()
        self.children = []

    def spawn(self, command, env=None):
        p = subprocess.Popen(command, stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                             cwd=self.dir, env=env, start_new_session=True)
        self.children.append(p)
        return p

    def serving_pid(self, not_pid=None, generation=None):
        r = get(self.port)
        if r is None or r[0] != 200:
            return None
        pid = int(r[1].get("x-pid", "0"))
        if not_pid is not None and pid == not_pid:
            return None
        if generation is not None and r[1].get("x-generation") != str(generation):
            return None
        return pid

    def log_has(self, regex):
        with open(self.log_path, "rb") as f:
            return re.search(regex.encode(), f.read()) is not None

    def cold_start(self):
        t0 = now()
        self.start()
        first = self.children[-1]

        def serving():
            if first.poll() is not None:
                with open(self.log_path, errors="replace") as f:
                    tail = "".join(f.readlines()[-30:])
                raise RuntimeError(f"{self.name} exited with code {first.returncode} before serving:\n{tail}")
            return self.serving_pid()

        self.pid = wait_until(f"{self.name} to serve", serving, 180)
        self.seen.add(self.pid)
        return now() - t0

    def upgradable(self):
        return True

    def stop_all(self):
        pids = {p for p in self.seen if alive(p)}
        for pid in pids:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        deadline = now() + 40
        while now() < deadline and any(alive(p) for p in pids):
            time.sleep(0.1)
        for pid in pids:
            if alive(pid):
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        for p in self.children:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        self.log.close()


class Starter(System):
    name, label = "starter", "sample app + starter (HUP)"

    def start(self):
        self.pid_file = os.path.join(self.dir, "app.pid")
        self.spawn([self.work["java"], *self.work["jvm_opts"], "-jar", self.work["jar"], f"--server.port={self.port}",
                    f"--zerodowntime.pid-file={self.pid_file}"])

    def upgradable(self):
        return self.generation == 1 or self.log_has(rf"Previous generation \(pid {self.previous}\) has exited")

    def trigger(self):
        old = self.pid
        os.kill(old, signal.SIGHUP)
        t0 = now()
        new = wait_until("the new generation to serve",
                         lambda: self.serving_pid(not_pid=old, generation=self.generation + 1), 180)
        t1 = now()
        self.seen.add(new)
        wait_until("the old generation to exit", lambda: not alive(old), 120)
        t2 = now()
        self.previous, self.pid, self.generation = old, new, self.generation + 1
        return t0, t1, t2


class Plain(System):
    name, label = "plain", "sample app, no starter (TERM + start)"

    def start(self):
        self.process = self.spawn([self.work["java"], *self.work["jvm_opts"], "-jar", self.work["jar"],
                                   f"--server.port={self.port}", "--zerodowntime.enabled=false"])

    def trigger(self):
        old = self.pid
        os.kill(old, signal.SIGTERM)
        t0 = now()
        wait_until("the old process to exit", lambda: not alive(old), 120)
        t_gone = now()
        self.process.wait(timeout=10)
        self.start()
        t_exec = now()
        new = wait_until("the new process to serve", lambda: self.serving_pid(not_pid=old), 180)
        t1 = now()
        self.seen.add(new)
        self.pid, self.generation = new, self.generation + 1
        self.restart_cold_starts.append(t1 - t_exec)
        return t0, t1, max(t_gone, t0)

    restart_cold_starts = None


class Tableflip(System):
    name, label = "tableflip", "tableflip Go reference (HUP)"

    def start(self):
        self.pid_file = os.path.join(self.dir, "tf.pid")
        env = dict(os.environ)
        env.pop("ZD_BENCH_GENERATION", None)
        self.spawn([self.work["tfserver"], "-listen", f"127.0.0.1:{self.port}", "-pid-file", self.pid_file], env)

    def upgradable(self):
        return self.generation == 1 or self.log_has(
            rf"gen {self.generation} pid {self.pid} .*previous generation has exited")

    trigger = Starter.trigger


SYSTEMS = {"starter": Starter, "plain": Plain, "tableflip": Tableflip}


def run_one(args, work, system_name, mode, out_dir):
    run_dir = os.path.join(out_dir, f"{system_name}-{mode}")
    os.makedirs(run_dir, exist_ok=True)
    port = free_port()
    system = SYSTEMS[system_name](work, port, run_dir)
    if system_name == "plain":
        system.restart_cold_starts = []
    print(f"== {system.label}, {mode}: port {port}", flush=True)
    result = {"system": system_name, "label": system.label, "mode": mode, "loadavg_before": loadavg()}
    wrk = probe = None
    try:
        result["cold_start_s"] = system.cold_start()
        time.sleep(args.idle)
        result["idle_rss_kib"] = rss_kib(system.pid)
        probe = Probe(port)
        probe.start()
        prefix = os.path.join(run_dir, "wrk")
        command = ["wrk", "-t", str(args.connections), "-c", str(args.connections), "-d", "3600s",
                   "--timeout", "10s", "-s", work["lua"]]
        if mode == "close":
            command += ["-H", "Connection: close"]
        command += [f"http://127.0.0.1:{port}/", "--", prefix, str(args.pace)]
        wrk_out = open(os.path.join(run_dir, "wrk.out"), "w")
        wrk = subprocess.Popen(command, stdout=wrk_out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        load_start = now()
        time.sleep(args.warmup)
        triggers = []
        for i in range(args.upgrades):
            wait_until(f"{system_name} to be upgradable", system.upgradable, 120)
            t0, t1, t2 = system.trigger()
            triggers.append({"trigger": t0, "serving": t1, "old_gone": t2})
            print(f"   trigger {i + 1}/{args.upgrades}: serving after {t1 - t0:.2f} s, "
                  f"old gone after {t2 - t0:.2f} s", flush=True)
            # the next trigger comes after the 10 s window and the handover are over, and after
            # --gap seconds of steady state
            rest = max(t0 + args.window, t1, t2) + args.gap - now()
            if rest > 0:
                time.sleep(rest)
        load_end = now()
        wrk.send_signal(signal.SIGINT)
        wrk.wait(timeout=60)
        wrk_out.close()
        probe.running = False
        probe.join()
        time.sleep(args.idle)
        result["idle_rss_after_kib"] = rss_kib(system.pid) if alive(system.pid) else None
        result["loadavg_after"] = loadavg()
        result.update(analyse(args, run_dir, prefix, load_start, load_end, triggers, probe))
        if system_name == "plain":
            result["restart_cold_starts_s"] = system.restart_cold_starts
    finally:
        if wrk is not None and wrk.poll() is None:
            wrk.kill()
        if probe is not None:
            probe.running = False
        system.stop_all()
    return result


def ab_throughput(args, work, out_dir, mode):
    """The app with and without the starter, both started, loaded in turn (ABBA...) with plain
    wrk for --ab-seconds each, --ab-rounds times: throughput and idle RSS compared side by side,
    so that a change in the machine's other load affects both alike."""
    systems = []
    for cls in (Starter, Plain):
        run_dir = os.path.join(out_dir, f"ab-{mode}", cls.name)
        os.makedirs(run_dir, exist_ok=True)
        systems.append(cls(work, free_port(), run_dir))
    print(f"== throughput A/B, {mode}: {args.ab_rounds} rounds of {args.ab_seconds:g} s each", flush=True)
    rates = {s.name: [] for s in systems}
    result = {"mode": mode, "loadavg_before": loadavg()}
    try:
        for s in systems:
            s.cold_start()
        time.sleep(args.idle)
        result["idle_rss_kib"] = {s.name: rss_kib(s.pid) for s in systems}

        def load(s, seconds):
            command = ["wrk", "-t", "2", "-c", str(args.connections), "-d", f"{seconds:g}s", "--timeout", "10s"]
            if mode == "close":
                command += ["-H", "Connection: close"]
            text = subprocess.run(command + [f"http://127.0.0.1:{s.port}/"], capture_output=True, text=True,
                                  timeout=seconds + 60).stdout
            m = re.search(r"^Requests/sec:\s+([0-9.]+)", text, re.M)
            if not m or "Socket errors" in text or "Non-2xx" in text:
                raise RuntimeError(f"wrk against {s.name} failed or saw errors:\n{text}")
            return float(m.group(1))

        for s in systems:
            load(s, args.warmup)  # JIT warm-up, not counted
        for r in range(args.ab_rounds):
            for s in (systems if r % 2 == 0 else systems[::-1]):
                rates[s.name].append(load(s, args.ab_seconds))
        time.sleep(args.idle)
        result["idle_rss_after_kib"] = {s.name: rss_kib(s.pid) for s in systems}
    finally:
        for s in systems:
            s.stop_all()
    result["rates"] = rates
    result["median"] = {k: statistics.median(v) for k, v in rates.items()}
    result["loadavg_after"] = loadavg()
    print(f"   requests/s, median: {result['median']}", flush=True)
    return result


def analyse(args, run_dir, prefix, load_start, load_end, triggers, probe):
    records = []  # (start_s, latency_ms or None, status, generation)
    for path in glob.glob(prefix + ".*"):
        with open(path) as f:
            for line in f:
                parts = line.split()
                if len(parts) != 4:
                    continue
                start, lat, status = int(parts[0]) / 1e6, int(parts[1]), int(parts[2])
                records.append((start, lat / 1000.0 if lat >= 0 else None, status, parts[3]))
    records.sort()
    with open(os.path.join(run_dir, "wrk.out")) as f:
        wrk_text = f.read()
    m = re.search(r"zdbench requests=(\d+) connect=(\d+) read=(\d+) write=(\d+) status=(\d+) timeout=(\d+)",
                  wrk_text)
    if not m:
        raise RuntimeError("no wrk summary in " + os.path.join(run_dir, "wrk.out") + ":\n" + wrk_text)
    requests, connect, read, write, status_errors, timeout = map(int, m.groups())

    warm = load_start + args.skip
    windows = [(t["trigger"], t["trigger"] + args.window) for t in triggers]
    # left out of steady state: each trigger until its window, the handover and 1 s more are over
    busy = [(t["trigger"], max(t["trigger"] + args.window, t["old_gone"], t["serving"]) + 1.0) for t in triggers]

    def in_any(t, spans):
        return any(a <= t < b for a, b in spans)

    steady, post = [], []
    for start, lat, status, gen in records:
        if lat is None or not (200 <= status < 300):
            continue
        if in_any(start, windows):
            post.append(lat)
        elif start >= warm and start < load_end and not in_any(start, busy):
            steady.append(lat)
    steady.sort()
    post.sort()
    steady_time = 0.0
    # steady time: [warm, load_end) minus the busy spans
    cursor = warm
    for a, b in sorted(busy):
        if a > cursor:
            steady_time += a - cursor
        cursor = max(cursor, b)
    if load_end > cursor:
        steady_time += load_end - cursor

    no_response = [r[0] for r in records if r[1] is None]
    non2xx = [r[0] for r in records if r[1] is not None and not (200 <= r[2] < 300)]
    refused = [t for t, kind in probe.failures if kind == "refused"]

    def stats(values):
        return {"n": len(values), "p50": percentile(values, 50), "p99": percentile(values, 99),
                "max": values[-1] if values else None}

    # chart data: 250 ms buckets of latency, plus failure marks
    bucket = 0.25
    buckets = {}
    for start, lat, status, gen in records:
        if lat is not None:
            buckets.setdefault(int((start - load_start) / bucket), []).append(lat)
    with open(os.path.join(run_dir, "latency.dat"), "w") as f:
        previous = None
        for b in sorted(buckets):
            v = sorted(buckets[b])
            if previous is not None and b != previous + 1:
                f.write("\n")  # no response at all for a while: a gap in the lines, not a slope
            previous = b
            f.write(f"{b * bucket:.2f} {percentile(v, 50):.3f} {percentile(v, 99):.3f} {v[-1]:.3f}\n")
    with open(os.path.join(run_dir, "failures.dat"), "w") as f:
        for t in no_response + non2xx:
            f.write(f"{t - load_start:.3f} no-response\n")
        for t in refused:
            f.write(f"{t - load_start:.3f} refused\n")
    with open(os.path.join(run_dir, "triggers.dat"), "w") as f:
        for t in triggers:
            f.write(f"{t['trigger'] - load_start:.3f} {t['serving'] - load_start:.3f} "
                    f"{t['old_gone'] - load_start:.3f}\n")

    serving = [t["serving"] - t["trigger"] for t in triggers]
    gone = [t["old_gone"] - t["trigger"] for t in triggers]
    per_trigger_p99 = []
    for a, b in windows:
        v = sorted(r[1] for r in records if r[1] is not None and a <= r[0] < b)
        per_trigger_p99.append(percentile(v, 99))
    return {
        "requests": requests,
        "errors": {"connect": connect, "read": read, "write": write, "status": status_errors,
                   "timeout": timeout, "no_response_logged": len(no_response), "non2xx_logged": len(non2xx)},
        "probe": {"attempts": probe.attempts, "refused": len(refused),
                  "refused_ms": len(refused) * 50, "other": len(probe.failures) - len(refused)},
        "steady": stats(steady), "post": stats(post),
        "post_p99_per_trigger": per_trigger_p99,
        "steady_seconds": steady_time,
        "throughput": len(steady) / steady_time if steady_time > 0 else None,
        "load_seconds": load_end - load_start,
        "handover_serving_s": serving, "handover_gone_s": gone,
        "triggers": len(triggers),
    }


def loadavg():
    with open("/proc/loadavg") as f:
        return float(f.read().split()[0])


def fmt(v, digits=1):
    return "-" if v is None else f"{v:.{digits}f}"


def machine():
    cpu = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    java = subprocess.run([os.environ.get("BENCH_JAVA", "java"), "-version"], capture_output=True, text=True)
    java_line = (java.stderr or java.stdout).splitlines()
    return {"cpus": os.cpu_count(), "cpu": cpu, "kernel": platform.release(),
            "java": java_line[1] if len(java_line) > 1 else java_line[0] if java_line else "?",
            "wrk": subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.splitlines()[0]}


def report(args, results, out_dir, ab=()):
    lines = []
    m = machine()
    lines.append(f"Machine: {m['cpus']} CPUs ({m['cpu']}), Linux {m['kernel']}, {m['java']}; "
                 f"load: {m['wrk'].split(' Copyright')[0]}, {args.connections} connections, "
                 f"{'unpaced' if args.pace == 0 else f'a {args.pace} ms pause before each request'}; "
                 f"{args.upgrades} triggers per run, each followed by a {args.window:g} s window and "
                 f"{args.gap:g} s of steady state.")
    lines.append("")
    lines.append("| System | Load | Requests | Failed: connect / read / write / timeout / non-2xx | "
                 "Refused (probe) | Steady p50 / p99 / max (ms) | 10 s after trigger p50 / p99 / max (ms) | "
                 "Handover: serving / old gone (s, median, max) | Throughput (req/s) | Idle RSS (MiB) |")
    lines.append("|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        e = r["errors"]
        s, p = r["steady"], r["post"]
        hs, hg = r["handover_serving_s"], r["handover_gone_s"]
        lines.append(
            f"| {r['label']} | {'keep-alive' if r['mode'] == 'keepalive' else 'new connection per request'} "
            f"| {r['requests']} | {e['connect']} / {e['read']} / {e['write']} / {e['timeout']} / {e['status']} "
            f"| {r['probe']['refused']} × 50 ms "
            f"| {fmt(s['p50'], 2)} / {fmt(s['p99'], 2)} / {fmt(s['max'], 0)} "
            f"| {fmt(p['p50'], 2)} / {fmt(p['p99'], 2)} / {fmt(p['max'], 0)} "
            f"| {fmt(statistics.median(hs), 2)} / {fmt(statistics.median(hg), 2)} "
            f"(max {fmt(max(hs), 2)} / {fmt(max(hg), 2)}) "
            f"| {fmt(r['throughput'], 0)} | {fmt(r['idle_rss_kib'] / 1024, 0)} |")
    lines.append("")
    lines.append("Cold start (process start to first response, before the load starts): " + ", ".join(
        f"{r['system']}/{r['mode']} {r['cold_start_s']:.2f} s" for r in results) + ".")
    plain = [x for r in results if r["system"] == "plain" for x in r.get("restart_cold_starts_s", [])]
    if plain:
        lines.append(f"Cold start of the app without the starter under the same load (its restarts): median "
                     f"{statistics.median(plain):.2f} s, max {max(plain):.2f} s.")
    lines.append("1-minute load average of the machine before / after each run (2 CPUs; above 2 means other "
                 "work competed for them): " + ", ".join(
                     f"{r['system']}/{r['mode']} {r['loadavg_before']:.1f} / {r.get('loadavg_after', 0):.1f}"
                     for r in results) + ".")
    lines.append("")
    lines.append("Targets (ratios within this run):")
    lines.append("")
    for mode in sorted({r["mode"] for r in results}):
        by = {r["system"]: r for r in results if r["mode"] == mode}
        us = by.get("starter")
        if us is None:
            continue
        e = us["errors"]
        failed = e["connect"] + e["read"] + e["write"] + e["timeout"] + e["status"]
        mode_name = "keep-alive" if mode == "keepalive" else "new connection per request"
        lines.append(f"- {mode_name}: failed requests with the starter: {failed} (target 0) "
                     f"{'MET' if failed == 0 and us['probe']['refused'] == 0 else 'MISSED'}")
        ratio = (us["post"]["p99"] / us["steady"]["p99"]) if us["post"]["p99"] and us["steady"]["p99"] else None
        lines.append(f"- {mode_name}: p99 in the 10 s after a trigger / steady p99 = {fmt(ratio, 2)} "
                     f"(target <= 1.5) {'MET' if ratio is not None and ratio <= 1.5 else 'MISSED'}")
        plain_r = by.get("plain")
        if plain_r:
            t = (us["throughput"] / plain_r["throughput"]) if plain_r["throughput"] else None
            rss = us["idle_rss_kib"] / plain_r["idle_rss_kib"]
            lines.append(f"- {mode_name}: steady throughput with / without the starter, from the upgrade runs (at different times) = {fmt(t, 3)} "
                         f"(target >= 0.97) {'MET' if t is not None and t >= 0.97 else 'MISSED'}")
            lines.append(f"- {mode_name}: idle RSS with / without the starter = {fmt(rss, 3)} "
                         f"(target <= 1.05) {'MET' if rss <= 1.05 else 'MISSED'}")
            cold = statistics.median(plain_r.get("restart_cold_starts_s") or [plain_r["cold_start_s"]])
            h = statistics.median(us["handover_serving_s"])
            lines.append(f"- {mode_name}: handover (trigger to new generation serving, median) / the app's own "
                         f"cold start under the same load (median) = {h:.2f} / {cold:.2f} = {h / cold:.2f} "
                         f"(target <= 1.15) {'MET' if h / cold <= 1.15 else 'MISSED'}; to the old generation "
                         f"gone: {statistics.median(us['handover_gone_s']) / cold:.2f}")
    for x in ab:
        mode_name = "keep-alive" if x["mode"] == "keepalive" else "new connection per request"
        med = x["median"]
        t = med["starter"] / med["plain"]
        rss = x["idle_rss_kib"]["starter"] / x["idle_rss_kib"]["plain"]
        rss_after = x["idle_rss_after_kib"]["starter"] / x["idle_rss_after_kib"]["plain"]
        lines.append(f"- {mode_name}, A/B (both apps started, loaded in turn, {args.ab_rounds} x "
                     f"{args.ab_seconds:g} s each): throughput with / without the starter = "
                     f"{med['starter']:.0f} / {med['plain']:.0f} req/s = {t:.3f} (target >= 0.97) "
                     f"{'MET' if t >= 0.97 else 'MISSED'}; idle RSS after start = "
                     f"{x['idle_rss_kib']['starter'] / 1024:.0f} / {x['idle_rss_kib']['plain'] / 1024:.0f} MiB = "
                     f"{rss:.3f}, after the load = {x['idle_rss_after_kib']['starter'] / 1024:.0f} / "
                     f"{x['idle_rss_after_kib']['plain'] / 1024:.0f} MiB = {rss_after:.3f} (target <= 1.05) "
                     f"{'MET' if max(rss, rss_after) <= 1.05 else 'MISSED'}")
    text = "\n".join(lines) + "\n"
    with open(os.path.join(out_dir, "results.md"), "w") as f:
        f.write(text)
    with open(os.path.join(out_dir, "results.json"), "w") as f:
        json.dump({"machine": m, "args": vars(args), "results": results, "ab": list(ab)}, f, indent=1)
    print(text)


def chart(results, out_dir):
    modes = [m for m in ("keepalive", "close") if any(r["mode"] == m for r in results)]
    systems = [s for s in SYSTEMS if any(r["system"] == s for r in results)]
    rows, cols = len(systems), len(modes)
    script = [
        "set terminal pngcairo size %d,%d font 'DejaVu Sans,10'" % (800 * cols, 370 * rows + 70),
        "set output '%s'" % os.path.join(out_dir, "latency.png"),
        "set multiplot layout %d,%d title \"Latency over time under wrk, per 250 ms: p50, p99, max\\n"
        "dashed line: trigger; dotted line: new generation serving; red x at the top: a request that failed\" "
        "font ',11'" % (rows, cols),
        "set logscale y", "set yrange [0.05:40000]", "set ylabel 'latency (ms)'", "set xlabel 'time since the load started (s)'",
        "set grid ytics", "set key below horizontal font ',9'", "set format y '%g'",
    ]
    for s in systems:
        for mode in modes:
            r = next((x for x in results if x["system"] == s and x["mode"] == mode), None)
            d = os.path.join(out_dir, f"{s}-{mode}")
            script.append("unset arrow")
            if r is not None:
                with open(os.path.join(d, "triggers.dat")) as f:
                    for line in f:
                        t0, t1, t2 = map(float, line.split())
                        script.append(f"set arrow from {t0},graph 0 to {t0},graph 1 nohead dt 2 lc rgb 'black'")
                        script.append(f"set arrow from {t1},graph 0 to {t1},graph 1 nohead dt 3 lc rgb '#2a9d8f'")
            title = "%s, %s" % (r["label"] if r else s, "keep-alive" if mode == "keepalive" else "new connection per request")
            script.append(f"set title '{title}'")
            fail = os.path.join(d, "failures.dat")
            plots = [f"'{os.path.join(d, 'latency.dat')}' using 1:4 with lines lc rgb '#e9c46a' title 'max'",
                     f"'' using 1:3 with lines lc rgb '#e76f51' title 'p99'",
                     f"'' using 1:2 with lines lc rgb '#264653' title 'p50'"]
            if os.path.exists(fail) and os.path.getsize(fail) > 0:
                plots.append(f"'{fail}' using 1:(20000) with points pt 2 ps 0.8 lc rgb 'red' title 'failed'")
            script.append("plot " + ", ".join(plots))
    script.append("unset multiplot")
    path = os.path.join(out_dir, "latency.gnuplot")
    with open(path, "w") as f:
        f.write("\n".join(script) + "\n")
    subprocess.run(["gnuplot", path], check=True)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--work", required=True, help="directory with app.jar, tfserver (bench/run.sh makes it)")
    p.add_argument("--out", required=True, help="where to write the results")
    p.add_argument("--upgrades", type=int, default=20, help="triggers per system and load mode (20)")
    p.add_argument("--systems", default="starter,plain,tableflip")
    p.add_argument("--modes", default="keepalive,close")
    p.add_argument("--connections", type=int, default=8, help="wrk connections (and threads)")
    p.add_argument("--pace", type=int, default=0,
                   help="pause before each request on each connection, ms (default 0: as fast as served)")
    p.add_argument("--warmup", type=float, default=15, help="load before the first trigger (s)")
    p.add_argument("--skip", type=float, default=10, help="start of the load left out of steady state (s)")
    p.add_argument("--window", type=float, default=10, help="post-trigger window (s)")
    p.add_argument("--gap", type=float, default=8, help="steady state after each window (s)")
    p.add_argument("--idle", type=float, default=5, help="idle time before reading RSS (s)")
    p.add_argument("--jvm-opts", default="", help="JVM options for both Java systems (default: none)")
    p.add_argument("--ab-rounds", type=int, default=6, help="A/B throughput rounds per load mode (0: none)")
    p.add_argument("--ab-seconds", type=float, default=5, help="length of one A/B load (s)")
    args = p.parse_args()
    work = {"jar": os.path.join(args.work, "app.jar"), "tfserver": os.path.join(args.work, "tfserver"),
            "lua": os.path.join(os.path.dirname(os.path.abspath(__file__)), "wrk-log.lua"),
            "java": os.environ.get("BENCH_JAVA", "java"), "jvm_opts": args.jvm_opts.split()}
    os.makedirs(args.out, exist_ok=True)
    results = []
    started = now()
    ab = []
    for mode in args.modes.split(","):
        for s in args.systems.split(","):
            results.append(run_one(args, work, s, mode, args.out))
        if args.ab_rounds > 0 and {"starter", "plain"} <= set(args.systems.split(",")):
            ab.append(ab_throughput(args, work, args.out, mode))
    report(args, results, args.out, ab)
    chart(results, args.out)
    print(f"took {now() - started:.0f} s; results in {args.out}")


if __name__ == "__main__":
    main()
