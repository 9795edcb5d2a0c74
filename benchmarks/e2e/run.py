#!/usr/bin/env python3
"""End-to-end benchmark: the real cache-kv-purger binary against the real emulator on loopback.

Each scenario starts a fresh emulator (time-scaled so that 5-minute windows take seconds), runs one CLI command,
and reports: wall time, requests the emulator served, 429s, the CLI's peak resident memory (from wait4), the
theoretical lower bound of the scenario's duration, and the ratio of the two.

Bounds are lower bounds no client could beat, computed from the emulator's configuration:
- rate bound: the emulator admits at most Q requests in any window W (scaled), so request number k (0-based)
  cannot be served before floor(k/Q) windows have passed;
- chain bound: a listing is a chain of sequential calls, each taking at least the configured latency;
- purge URL bound: the URL bucket holds one second's worth and refills at R URLs/s (scaled): (N - R) / R seconds;
- per-IP bound: the emulator enforces Cloudflare's 200 requests per second per IP as at most 200 in any one second
  of wall-clock time (--time-scale does not shrink it), so request number k (0-based) cannot be served before
  floor(k/200) seconds have passed.
Jobs that make a handful of calls all in flight at once (a keys-file delete, an import) have no such bound: their
time is local work (reading, encoding, storing), so they report items per second and "n/a" for the ratio.

The emulator runs with its honest defaults (docs/emulator.md): the per-IP limit enforced, no purge-bucket hints,
and here a list lag of 60 s (scaled like every period). --purge-policy-hints, --per-ip-limit 0 and --list-lag 0 give
the earlier, more optimistic emulator for a before/after comparison.

Usage: benchmarks/e2e/run.py [--binary PATH] [--quick] [--only NAME ...] [--list-lag S] [--per-ip-limit N]
                             [--purge-policy-hints] [--suffix TEXT]
Writes benchmarks/results/e2e-<date><suffix>.md and .json (use --out to change).
"""

import argparse
import datetime
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


EMULATOR_ARGS = []  # the honesty settings every scenario's emulator gets (set by main from the flags)


class Emulator:
    def __init__(self, binary, args):
        self.proc = subprocess.Popen([binary, "emulator", "--port", "0", *args, *EMULATOR_ARGS], stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, text=True)
        self.info = json.loads(self.proc.stdout.readline())

    def stats(self):
        with urllib.request.urlopen(self.info["admin_url"] + "/stats") as r:
            return json.loads(r.read())

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=30)


def run_cli(binary, args, env):
    """Runs the CLI; returns (exit code, wall seconds, peak RSS in MB, stdout)."""
    start = time.monotonic()
    proc = subprocess.Popen([binary, *args], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, text=True)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.monotonic() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, wall, usage.ru_maxrss / 1024.0, out


def scenario(binary, name, emu_args, cli_args, bound_fn, prepare=None, note="", expect=0):
    home = tempfile.mkdtemp(prefix="ckp-bench-")
    emu = Emulator(binary, emu_args)
    try:
        env = {**os.environ, "HOME": home, "XDG_CONFIG_HOME": home + "/config", "XDG_STATE_HOME": home + "/state",
               "CLOUDFLARE_API_BASE_URL": emu.info["base_url"], "CLOUDFLARE_API_TOKEN": emu.info["token"],
               "CLOUDFLARE_ACCOUNT_ID": emu.info["account_id"]}
        for k in ("CLOUDFLARE_ZONE_ID", "CLOUDFLARE_PLAN"):
            env.pop(k, None)
        if prepare:
            cli_args = prepare(binary, env, home, cli_args)
        before = emu.stats()
        code, wall, rss, out = run_cli(binary, cli_args, env)
        after = emu.stats()
        report = json.loads(out) if out.strip().startswith("{") else {}
        bound = bound_fn(emu.info) if bound_fn else None
        items = report.get("done")
        return {
            "scenario": name,
            "exit": code,
            "expect": expect,
            "items": items,
            "wall_s": round(wall, 3),
            "items_per_s": round(items / wall) if items and wall > 0 else None,
            "requests": after["requests"] - before["requests"],
            "http_429": after["rate_limited"] - before["rate_limited"],
            "lockouts": after["lockouts"] - before["lockouts"],
            "peak_rss_mb": round(rss, 1),
            "bound_s": round(bound, 3) if bound is not None else None,
            "ratio": round(wall / bound, 3) if bound else None,
            "note": note,
        }
    finally:
        emu.stop()
        shutil.rmtree(home, ignore_errors=True)


def rate_bound(requests, quota, window_s, scale):
    return ((requests - 1) // quota) * window_s / scale


PER_IP_PER_SECOND = 200


def per_ip_bound(requests):
    return float((requests - 1) // PER_IP_PER_SECOND) if requests > 0 else 0.0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", default=os.path.join(ROOT, "build/native/cache-kv-purger"))
    ap.add_argument("--quick", action="store_true", help="10x smaller sizes (a smoke run)")
    ap.add_argument("--only", nargs="*", help="run only scenarios whose name contains one of these")
    ap.add_argument("--out", default=os.path.join(ROOT, "benchmarks/results"))
    ap.add_argument("--list-lag", type=float, default=60, help="emulator --list-lag in seconds (scaled; default 60)")
    ap.add_argument("--per-ip-limit", type=int, default=200, help="emulator --per-ip-limit (default 200, 0 = off)")
    ap.add_argument("--purge-policy-hints", action="store_true", help="emulator sends purge-bucket hints (not honest)")
    ap.add_argument("--suffix", default="", help="appended to the result file names, e.g. -before")
    args = ap.parse_args()
    global PER_IP_PER_SECOND
    PER_IP_PER_SECOND = args.per_ip_limit or 10**9
    EMULATOR_ARGS[:] = ["--list-lag", str(args.list_lag), "--per-ip-limit", str(args.per_ip_limit)]
    if args.purge_policy_hints:
        EMULATOR_ARGS.append("--purge-policy-hints")
    div = 10 if args.quick else 1
    big, mid = 1_000_000 // div, 100_000 // div
    scale = 100
    latency_ms = 5
    results = []

    def want(name):
        return not args.only or any(o in name for o in args.only)

    # 1. Delete 1M keys by prefix, default global limit (1200 per 5 min, scaled to 3 s).
    requests = -(-big // 1000) + -(-big // 10000)
    if want("delete-prefix-default"):
        results.append(scenario(
            args.binary, f"delete-prefix-default ({big:,} keys)",
            ["--seed-namespace", "bench", "--seed-keys", str(big), "--seed-prefix", "old/", "--time-scale", str(scale),
             "--latency", str(latency_ms)],
            ["kv", "delete", "--namespace", "bench", "--prefix", "old/", "--yes", "--json", "--progress", "none"],
            lambda info: max(rate_bound(requests, 1200, 300, scale), (big // 1000) * latency_ms / 1000,
                             per_ip_bound(requests)),
            note=f"{requests} requests fit in one window: the list chain ({big // 1000} x {latency_ms} ms) binds, "
                 f"the 200/s per IP nearly ({per_ip_bound(requests):.1f} s)"))

    # 2. The same under a binding window: a token that may make only 300 calls per 5 minutes. The window is
    #    scaled less (x30: 10 s) so that the limit, not loopback overheads, dominates what is measured.
    #    Lower bound: at most m*Q calls are served before m windows pass (m = floor((R-1)/Q)); of the R - m*Q calls
    #    left, at most D are bulk deletes, the rest are list calls that must run one after another.
    binding_scale, quota, deletes = 30, 300, -(-big // 10000)
    if want("delete-prefix-binding"):
        m = (requests - 1) // quota
        results.append(scenario(
            args.binary, f"delete-prefix-binding ({big:,} keys)",
            ["--seed-namespace", "bench", "--seed-keys", str(big), "--seed-prefix", "old/", "--time-scale",
             str(binding_scale), "--latency", str(latency_ms), "--rate-limit", f"{quota}/300"],
            ["kv", "delete", "--namespace", "bench", "--prefix", "old/", "--yes", "--json", "--progress", "none"],
            lambda info: m * 300 / binding_scale + max(0, requests - m * quota - deletes) * latency_ms / 1000,
            note=f"{quota} requests per window (scaled x{binding_scale}): the rate limit binds"))

    # 3. Delete 100k keys listed in a file.
    def keys_file_of(count, home, cli_args):
        path = os.path.join(home, "keys.txt")
        with open(path, "w") as f:
            for i in range(count):
                f.write(f"k/{i:07d}\n")
        return [a if a != "@KEYS" else path for a in cli_args]
    keys_file = lambda binary, env, home, cli_args: keys_file_of(mid, home, cli_args)
    if want("delete-keys-file"):
        results.append(scenario(
            args.binary, f"delete-keys-file ({mid:,} keys)",
            ["--seed-namespace", "bench", "--seed-keys", str(mid), "--seed-prefix", "k/", "--time-scale", str(scale),
             "--latency", str(latency_ms)],
            ["kv", "delete", "--namespace", "bench", "--keys-file", "@KEYS", "--yes", "--json", "--progress", "none"],
            None, prepare=keys_file,
            note=f"{-(-mid // 10000)} bulk deletes, all in flight at once: no rate limit binds (local work does)"))

    # 4. Purge 100k URLs on the enterprise plan (500 per request, 3000 URLs/s). Without purge hints (Cloudflare sends
    #    none) the client cannot learn that the emulator's buckets run faster, so a scaled run would only measure the
    #    scale: time scale 1 then. With --purge-policy-hints, x10 as before.
    purge_scale = 10 if args.purge_policy_hints else 1
    def urls_file_of(count, home, cli_args):
        path = os.path.join(home, "urls.txt")
        with open(path, "w") as f:
            for i in range(count):
                f.write(f"https://example.com/assets/{i}.css\n")
        return [a if a != "@URLS" else path for a in cli_args]
    urls_file = lambda binary, env, home, cli_args: urls_file_of(mid, home, cli_args)
    if want("purge-urls"):
        rate = 3000 * purge_scale
        results.append(scenario(
            args.binary, f"purge-urls-enterprise ({mid:,} URLs)",
            ["--zone", "example.com", "--plan", "enterprise", "--time-scale", str(purge_scale), "--latency", str(latency_ms)],
            ["--plan", "enterprise", "cache", "purge", "files", "--files-list", "@URLS", "--zone", "example.com", "--yes",
             "--json", "--progress", "none"],
            lambda info: max(0.0, (mid - rate) / rate, per_ip_bound(-(-mid // 500))), prepare=urls_file,
            note=f"URL bucket {rate:,}/s (3,000/s x {purge_scale}), one second's worth up front"))

    # 4b. Purges paced by the plan each zone's object names (no --plan), at time scale 1 (purge buckets are never
    #     scaled for the client: Cloudflare states no purge limits in headers). Bounds: a plan's URL bucket gives
    #     one second's worth at once, then its rate; the flex bucket gives its burst, then its rate; per-IP 190/s.
    def items_file_of(lines_, home, cli_args, name="items.txt"):
        path = os.path.join(home, name)
        with open(path, "w") as f:
            f.writelines(line + "\n" for line in lines_)
        return [a if a != "@ITEMS" else path for a in cli_args]
    plan_urls = {"free": (100, 800), "pro": (100, 1500), "business": (100, 1500), "enterprise": (500, 3000)}
    plan_flex = {"free": (5 / 60, 25), "pro": (5, 25), "business": (10, 50), "enterprise": (50, 500)}
    def url_bound(count, plan):
        per_call, rate = plan_urls[plan]
        return max(0.0, (count - rate) / rate, per_ip_bound(-(-count // per_call)))
    def flex_bound(calls, plan):
        rate, burst = plan_flex[plan]
        return max(0.0, (calls - burst) / rate, per_ip_bound(calls))
    for plan, count in (("pro", 5000), ("pro", 100_000 // div), ("enterprise", 100_000 // div)):
        name = f"purge-plan-urls-{plan} ({count:,} URLs, no --plan)"
        if want("purge-plan") or want(name):
            results.append(scenario(
                args.binary, name,
                ["--zone", "example.com", "--plan", plan, "--latency", str(latency_ms)],
                ["cache", "purge", "files", "--files-list", "@ITEMS", "--yes", "--json", "--progress", "none"],
                lambda info, c=count, p=plan: url_bound(c, p),
                prepare=lambda b, e, h, a, c=count: items_file_of(
                    (f"https://example.com/assets/{i}.css" for i in range(c)), h, a),
                note=f"{plan} read from the zone object: {plan_urls[plan][0]} URLs per call, "
                     f"{plan_urls[plan][1]:,}/s after one second's worth"))
    mixed_free, mixed_ent = 8000 // div, 50_000 // div
    if want("purge-plan"):
        results.append(scenario(
            args.binary, f"purge-plan-urls-mixed ({mixed_free:,} on a Free zone + {mixed_ent:,} on an Enterprise zone)",
            ["--zone", "free.example:free", "--zone", "example.com:enterprise", "--latency", str(latency_ms)],
            ["cache", "purge", "files", "--files-list", "@ITEMS", "--yes", "--json", "--progress", "none"],
            lambda info: max(url_bound(mixed_free, "free"), url_bound(mixed_ent, "enterprise")),
            prepare=lambda b, e, h, a: items_file_of(
                [f"https://free.example/{i}" for i in range(mixed_free)] +
                [f"https://example.com/{i}" for i in range(mixed_ent)], h, a),
            note="in one run, each zone at its own plan's caps and buckets: the slower of the two binds"))
    flex_rows = [("tags", "free", 2600), ("tags", "pro", 5000), ("tags", "business", 10_000),
                 ("tags", "enterprise", 100_000 // div), ("hosts", "pro", 5000), ("prefixes", "enterprise", 100_000 // div)]
    for kind, plan, count in flex_rows:
        name = f"purge-plan-{kind}-{plan} ({count:,} {kind}, no --plan)"
        if not (want("purge-plan") or want(name)):
            continue
        calls = -(-count // 100)
        item = {"tags": lambda i: f"tag-{i}", "hosts": lambda i: f"h{i}.example.com",
                "prefixes": lambda i: f"example.com/p/{i}"}[kind]
        flag = {"tags": "--tags-file", "hosts": "--hosts-file", "prefixes": "--prefixes-file"}[kind]
        results.append(scenario(
            args.binary, name,
            ["--zone", "example.com", "--plan", plan, "--latency", str(latency_ms)],
            ["cache", "purge", kind, flag, "@ITEMS", *(["--zone", "example.com"] if kind == "tags" else []),
             "--yes", "--json", "--progress", "none"],
            lambda info, c=calls, p=plan: flex_bound(c, p),
            prepare=lambda b, e, h, a, c=count, f=item: items_file_of((f(i) for i in range(c)), h, a),
            note=f"{calls} calls of 100: flex bucket {plan_flex[plan][1]} at once, then "
                 f"{plan_flex[plan][0] if plan != 'free' else '5/min'}" + ("/s" if plan != "free" else "")))
    if want("delete-poisoned"):
        results.append(scenario(
            args.binary, "delete-poisoned (3,000 keys, 1,000 always fail)",
            ["--seed-namespace", "bench", "--seed-keys", "3000", "--seed-prefix", "old/", "--fault-poison-prefix",
             "old/0000", "--time-scale", str(scale), "--latency", str(latency_ms)],
            ["kv", "delete", "--namespace", "bench", "--prefix", "old/", "--yes", "--json", "--progress", "none"],
            None, expect=3,
            note="exit 3 (partial) expected; minimum 5 requests (namespace, 3 lists, 1 bulk delete) + 7 retry rounds of the 1,000 refused keys "
                 "together; before: 7,004 requests, 37.9 s"))

    # 5. Export 100k keys, then import them into a new namespace.
    export_requests = -(-mid // 1000) + -(-mid // 100)
    if want("export"):
        results.append(scenario(
            args.binary, f"export ({mid:,} keys)",
            ["--seed-namespace", "bench", "--seed-keys", str(mid), "--time-scale", str(scale), "--latency", str(latency_ms)],
            ["kv", "export", "--namespace", "bench", "--output", "/dev/null", "--json", "--progress", "none"],
            lambda info: max(rate_bound(export_requests, 1200, 300, scale), (mid // 1000) * latency_ms / 1000,
                             per_ip_bound(export_requests)),
            note=f"{export_requests} requests (list + bulk get of 100): the 200/s per IP binds "
                 f"(list chain {(mid // 1000) * latency_ms / 1000:.1f} s)"))
    def import_file(binary, env, home, cli_args):
        path = os.path.join(home, "in.ndjson")
        with open(path, "w") as f:
            for i in range(mid):
                f.write(json.dumps({"key": f"i/{i:07d}", "value": f"value-{i}", "metadata": {"n": i}}) + "\n")
        subprocess.run([binary, "kv", "create", "--title", "target"], env=env, capture_output=True, check=True)
        return [a if a != "@IN" else path for a in cli_args]
    if want("import"):
        results.append(scenario(
            args.binary, f"import ({mid:,} keys)",
            ["--time-scale", str(scale), "--latency", str(latency_ms)],
            ["kv", "import", "--namespace", "target", "--file", "@IN", "--json", "--progress", "none"],
            None, prepare=import_file,
            note=f"{-(-mid // 10000)} bulk writes: no rate limit binds (reading, encoding and storing 100k pairs does)"))

    # 6. The same kinds of job at the realistic latency profile (assumed per-endpoint figures: lists 150 ms, bulk
    #    deletes 200 ms + 0.1 ms per key, bulk gets 120 ms + 1 ms per key, purges 150 ms; + up to 40 ms of jitter;
    #    docs/emulator.md). Smaller sizes: at these latencies the list chain, not loopback, is what a run measures.
    real = ["--latency-profile", "realistic"]
    jitter_mean = 0.020  # the profile's jitter is uniform in [0, 40 ms): bounds count its mean per sequential call
    small = 100_000 // div
    if want("realistic-delete-prefix"):
        results.append(scenario(
            args.binary, f"realistic-delete-prefix ({small:,} keys)",
            ["--seed-namespace", "bench", "--seed-keys", str(small), "--seed-prefix", "old/", "--time-scale",
             str(scale), *real],
            ["kv", "delete", "--namespace", "bench", "--prefix", "old/", "--yes", "--json", "--progress", "none"],
            lambda info: (small // 1000) * (0.150 + jitter_mean),
            note=f"the list chain binds: {small // 1000} pages x 170 ms (150 ms + 20 ms mean jitter)"))
    if want("realistic-delete-keys-file"):
        results.append(scenario(
            args.binary, f"realistic-delete-keys-file ({small:,} keys)",
            ["--seed-namespace", "bench", "--seed-keys", str(small), "--seed-prefix", "k/", "--time-scale", str(scale),
             *real],
            ["kv", "delete", "--namespace", "bench", "--keys-file", "@KEYS", "--yes", "--json", "--progress", "none"],
            lambda info: 0.200 + 10_000 * 0.0001 + jitter_mean, prepare=lambda b, e, h, a: keys_file_of(small, h, a),
            note=f"{-(-small // 10000)} bulk deletes at once: one round trip of 200 ms + 10,000 x 0.1 ms"))
    export_small = 20_000 // div
    if want("realistic-export"):
        results.append(scenario(
            args.binary, f"realistic-export ({export_small:,} keys)",
            ["--seed-namespace", "bench", "--seed-keys", str(export_small), "--time-scale", str(scale), *real],
            ["kv", "export", "--namespace", "bench", "--output", "/dev/null", "--json", "--progress", "none"],
            lambda info: (export_small // 1000) * (0.150 + jitter_mean) + 0.220 + jitter_mean,
            note=f"the list chain ({export_small // 1000} x 170 ms) and the last page's bulk gets (240 ms)"))
    purge_small = 10_000 // div
    if want("realistic-purge-urls"):
        results.append(scenario(
            args.binary, f"realistic-purge-urls-enterprise ({purge_small:,} URLs)",
            ["--zone", "example.com", "--plan", "enterprise", *real],
            ["--plan", "enterprise", "cache", "purge", "files", "--files-list", "@URLS", "--zone", "example.com", "--yes",
             "--json", "--progress", "none"],
            lambda info: (purge_small - 3000) / 3000 + 0.150 + jitter_mean,
            prepare=lambda b, e, h, a: urls_file_of(purge_small, h, a),
            note="time scale 1: the URL bucket (3,000/s after a burst of 3,000) binds, plus one call's 150 ms"))

    # 8. Listing a prefix in parallel (shards): a prefix delete at 100 ms per call, the default limit in real time
    #    (1200 per 5 minutes: these jobs fit in one window) and 200 calls/s per IP. The plain cursor chain
    #    (--list-shards 1) against the sharded listing (the default, 16 listings at once), for each shape of names
    #    the emulator seeds (--seed-shape). Bounds: the chain's pages x 100 ms; sharded, the larger of the per-IP
    #    rate over the requests made and 100 ms x the rounds 16 listings at once need for the pages.
    list_latency = 100
    for shape in ("uuid", "sequential", "skewed", "random", "near"):
        for count in (500_000 // div, 100_000 // div, 1000):
            if count == 1000 and shape != "sequential":
                continue
            for shards in (1, 16):
                kind = "chain" if shards == 1 else "sharded"
                name = f"list-{shape}-{kind} ({count:,} keys)"
                if not want(name.split(" ")[0]) and not want(name):
                    continue
                pages = -(-count // 1000)
                bound = ((lambda p=pages: p * list_latency / 1000) if shards == 1 else
                         (lambda p=pages, s=shards: -(-p // s) * list_latency / 1000))
                row = scenario(
                    args.binary, name,
                    ["--seed-namespace", "bench", "--seed-keys", str(count), "--seed-prefix", "old/", "--seed-shape",
                     shape, "--latency", str(list_latency)],
                    ["--list-shards", str(shards), "kv", "delete", "--namespace", "bench", "--prefix", "old/", "--yes",
                     "--json", "--progress", "none"],
                    lambda info, b=bound: b(),
                    note=("one cursor chain: its pages x 100 ms" if shards == 1 else
                          "16 listings at once: 100 ms x rounds of 16 pages (or the per-IP rate, if larger)"))
                if row["bound_s"] is not None and shards != 1:
                    row["bound_s"] = max(row["bound_s"], per_ip_bound(row["requests"]))
                    row["ratio"] = round(row["wall_s"] / row["bound_s"], 3) if row["bound_s"] else None
                results.append(row)

    # 9. Five million keys under the default limit, time-scaled x10 (a window of 30 s): the quota binds (5,500
    #    requests, 4.6 windows), so the lister must stay one chain — every extra call costs time here.
    huge = 5_000_000 // div
    if want("delete-prefix-5m"):
        huge_scale = 10
        huge_requests = -(-huge // 1000) + -(-huge // 10000)
        results.append(scenario(
            args.binary, f"delete-prefix-5m ({huge:,} keys)",
            ["--seed-namespace", "bench", "--seed-keys", str(huge), "--seed-prefix", "old/", "--time-scale",
             str(huge_scale), "--latency", str(latency_ms)],
            ["kv", "delete", "--namespace", "bench", "--prefix", "old/", "--yes", "--json", "--progress", "none"],
            lambda info: max(rate_bound(huge_requests, 1200, 300, huge_scale), (huge // 1000) * latency_ms / 1000),
            note=f"{huge_requests} requests: the sliding window (1200 per 300 s, scaled x{huge_scale}) binds"))

    today = datetime.date.today().isoformat()
    os.makedirs(args.out, exist_ok=True)
    header = "| scenario | exit | items | wall s | items/s | requests | 429s | lockouts | peak RSS MB | bound s | ratio | note |"
    lines = [f"# End-to-end benchmark, {today}", "",
             f"`benchmarks/e2e/run.py{' --quick' if args.quick else ''}`, loopback, emulator time scale {scale} "
             f"(purge {purge_scale}), latency {latency_ms} ms per call, emulator flags {' '.join(EMULATOR_ARGS)}. "
             f"Machine: {os.cpu_count()} cores.", "",
             header, "|" + "---|" * 12]
    dash = lambda v: "n/a" if v is None else v
    for r in results:
        lines.append(f"| {r['scenario']} | {r['exit']} | {r['items']} | {r['wall_s']} | {dash(r['items_per_s'])} | "
                     f"{r['requests']} | {r['http_429']} | {r['lockouts']} | {r['peak_rss_mb']} | {dash(r['bound_s'])} | "
                     f"{dash(r['ratio'])} | {r['note']} |")
    text = "\n".join(lines) + "\n"
    print(text)
    suffix = ("-quick" if args.quick else "") + args.suffix
    with open(os.path.join(args.out, f"e2e-{today}{suffix}.md"), "w") as f:
        f.write(text)
    with open(os.path.join(args.out, f"e2e-{today}{suffix}.json"), "w") as f:
        json.dump(results, f, indent=2)
    return 0 if all(r["exit"] == r.get("expect", 0) for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
