"""Reliability and security, end to end: the real CLI against the real emulator injecting faults; SIGKILLs at random
moments with `jobs resume` after each; a token that must never appear in any artifact; TLS verification; file modes.

Figures (operations, faults injected, kills, keys verified, keys lost) are printed for the closing note."""

import json
import os
import base64
import http.client
import random
import select
import signal
import socket
import ssl
import stat
import subprocess
import threading
import time
import unittest
import urllib.parse
from http.server import BaseHTTPRequestHandler, HTTPServer, ThreadingHTTPServer

from cli_harness import BINARY, CliTest, Emulator

# The emulator seeds old/0000000 … old/0299999. The tests delete old/00* and old/01* (200,000 keys) and keep old/02*;
# the 10 keys old/0099990 … old/0099999 are "poisoned": the emulator always refuses to delete them.
POISONED = [f"old/009999{d}" for d in range(10)]


class Chaos(CliTest):
    # 10% 5xx, resets, cut bodies, partial bulk failures, keys that always fail, and one lockout mid-run.
    emulator_args = ["--seed-namespace", "chaos", "--seed-keys", "300000", "--seed-prefix", "old/", "--time-scale", "100",
                     "--latency", "1", "--fault-500", "0.04", "--fault-503", "0.04", "--fault-502", "0.02",
                     "--fault-disconnect", "0.02", "--fault-truncate", "0.01", "--fault-partial-bulk", "0.05",
                     "--fault-poison-prefix", "old/009999", "--fault-lockout-after", "60", "--fault-seed", "7",
                     "--list-lag", "60"]  # lists up to 60 s stale (0.6 s here), as Workers KV's may be

    def test_delete_under_faults_is_exact(self):
        ns = self.emu.ns("chaos")
        r = self.run_cli("kv", "delete", "--namespace-id", ns, "--prefix", "old/0", "--pattern", "^old/0[01]", "--yes",
                         "--json", "--progress", "none", timeout=600)
        self.assertEqual(r.code, 3, r)  # partial: the poisoned keys failed
        out = r.json()
        self.assertEqual(out["done"], 200000 - len(POISONED))
        self.assertEqual(out["failed"], len(POISONED))
        self.assertEqual(sorted(f["item"] for f in out["failures"]), POISONED)
        remaining = self.emu.keys(ns)
        self.assertEqual(sorted(k for k in remaining if not k.startswith("old/02")), POISONED)
        self.assertEqual(len([k for k in remaining if k.startswith("old/02")]), 100000)
        stats = self.emu.stats()
        self.assertGreaterEqual(stats["lockouts"], 1)
        print(f"\n[chaos] 200,000 keys selected: {out['done']} deleted, {out['failed']} reported failed (exactly the "
              f"{len(POISONED)} poisoned); 100,000 kept; faults injected {stats['faults_injected']}; requests "
              f"{stats['requests']}; lockouts {stats['lockouts']}; retries {out['requests']['retries']}; lost 0")


class Kills(CliTest):
    emulator_args = ["--seed-namespace", "k", "--seed-keys", "300000", "--seed-prefix", "old/", "--time-scale", "100",
                     "--latency", "12", "--fault-503", "0.02", "--fault-partial-bulk", "0.02", "--fault-seed", "3",
                     "--list-lag", "60"]

    def test_delete_killed_20_times_then_resumed_is_exact(self):
        ns = self.emu.ns("k")
        args = ["kv", "delete", "--namespace-id", ns, "--prefix", "old/0", "--pattern", "^old/0[01]", "--yes",
                "--progress", "none"]
        kills = self.kill_and_resume(args, 20, random.Random(2026), (0.15, 0.4))
        self.assertEqual(kills, 20, "the delete finished before 20 kills; make it longer")
        job = self.the_resumable_job()
        final = self.ok("jobs", "resume", job, "--json", "--progress", "none", timeout=600).json()
        self.assertEqual(final["status"], "completed")
        remaining = self.emu.keys(ns)
        self.assertEqual([k for k in remaining if not k.startswith("old/02")], [])
        self.assertEqual(len(remaining), 100000)
        print(f"\n[kill] 200,000-key delete: {kills} SIGKILLs, resumed each time; keys verified 300,000; "
              f"deleted that should stay 0; left that should go 0; the final report counts done {final['done']}, "
              f"failed {final['failed']}")

    def test_import_killed_mid_file_then_resumed_writes_every_pair(self):
        self.ok("kv", "create", "--title", "target")
        path = self.write("in.ndjson", "".join(
            json.dumps({"key": f"i/{n:06d}", "value": f"value-{n}", "metadata": {"n": n, "tag": f"t{n % 7}"}}) + "\n"
            for n in range(60000)))
        args = ["kv", "import", "--namespace", "target", "--file", path, "--batch-size", "2000", "--progress", "none"]
        kills = self.kill_and_resume(args, 5, random.Random(9), (0.3, 0.6))
        jobs = [j for j in self.ok("jobs", "list", "--json").json() if j["status"] == "resumable"]
        if jobs:
            self.ok("jobs", "resume", jobs[0]["id"], "--progress", "none", timeout=600)
        # Lists lag writes by up to 60 s (0.6 s at this time scale), as Workers KV's may: an export started at once
        # could miss the last pairs written. Wait the lag out (on the emulator's clock) before checking through a list.
        self.emu.advance_clock(1)
        out = os.path.join(self.home, "check.ndjson")
        self.ok("kv", "export", "--namespace", "target", "--output", out, "--progress", "none", timeout=600)
        with open(out) as f:
            got = {d["key"]: d for d in map(json.loads, f)}
        self.assertEqual(len(got), 60000)
        for n in range(0, 60000, 997):
            d = got[f"i/{n:06d}"]
            self.assertEqual(d["value"], f"value-{n}")
            self.assertEqual(d["metadata"], {"n": n, "tag": f"t{n % 7}"})
        self.assertTrue(all(d["value"] == "value-" + str(int(k[2:])) for k, d in got.items()))
        print(f"\n[import-kill] 60,000 pairs, {kills} SIGKILLs; pairs verified 60,000; lost 0")


class Secrets(CliTest):
    TOKEN = "SeCrEtToKeN-4f1c9a7e2b-DO-NOT-LEAK"

    def setUp(self):
        self.home = __import__("tempfile").mkdtemp(prefix="ckp-secret-")
        self.emu = Emulator("--token", f"{self.TOKEN}=0123456789abcdef0123456789abcdef", "--seed-namespace", "s",
                            "--seed-keys", "3000", "--zone", "example.com", "--time-scale", "100")

    def test_the_token_appears_in_no_output_log_journal_or_file(self):
        outputs = []
        env = self.env(CLOUDFLARE_API_TOKEN=self.TOKEN)
        runs = [
            ["config", "show"], ["config", "show", "--json"], ["--verbosity", "debug", "kv", "list"],
            ["kv", "list", "--namespace", "s", "--json"], ["kv", "put", "--namespace", "s", "--key", "a", "--value", "b"],
            ["kv", "get", "--namespace", "s", "--key", "a", "--metadata"],
            ["--verbosity", "debug", "kv", "delete", "--namespace", "s", "--prefix", "key-00000", "--yes", "--progress", "json"],
            ["kv", "export", "--namespace", "s", "--output", os.path.join(self.home, "e.ndjson")],
            ["cache", "purge", "files", "https://example.com/x", "--yes", "--json"],
            ["kv", "delete", "--namespace", "nope", "--prefix", "x", "--yes"], ["jobs", "list", "--json"],
        ]
        for args in runs:
            r = self.run_cli(*args, env=env)
            outputs += [r.out, r.err]
        # The token given on the command line is masked in the journal's record of the command.
        r = self.run_cli("--api-token", self.TOKEN, "kv", "delete", "--namespace", "s", "--prefix", "key-00001", "--yes",
                         env=self.env(CLOUDFLARE_API_TOKEN=None))
        outputs += [r.out, r.err]
        jobs = self.ok("jobs", "list", "--json", env=env).json()
        self.assertTrue(any("--api-token ***" in j["command"] for j in jobs))
        for j in jobs:
            outputs.append(self.ok("jobs", "show", j["id"], "--json", env=env).out)
        # A failing request's error message.
        r = self.run_cli("kv", "list", env=self.env(CLOUDFLARE_API_TOKEN=self.TOKEN + "x"))
        outputs += [r.out, r.err]
        for text in outputs:
            self.assertNotIn(self.TOKEN, text)
        scanned = 0
        for dirpath, _, files in os.walk(self.home):
            for name in files:
                path = os.path.join(dirpath, name)
                with open(path, "rb") as f:
                    data = f.read()
                scanned += 1
                self.assertNotIn(self.TOKEN.encode(), data, path)
        self.assertGreaterEqual(scanned, 5)
        print(f"\n[secrets] {len(runs) + 3} runs, {len(outputs)} outputs and {scanned} files scanned: token found 0 times")

    def test_config_journal_and_export_files_are_private(self):
        self.ok("kv", "delete", "--namespace", "s", "--prefix", "key-0000", "--yes", env=self.env(CLOUDFLARE_API_TOKEN=self.TOKEN))
        out = os.path.join(self.home, "x.ndjson")
        self.ok("kv", "export", "--namespace", "s", "--output", out, env=self.env(CLOUDFLARE_API_TOKEN=self.TOKEN))
        jobs_dir = os.path.join(self.home, "state", "cache-kv-purger", "jobs")
        self.assertEqual(stat.S_IMODE(os.stat(jobs_dir).st_mode), 0o700)
        journals = os.listdir(jobs_dir)
        self.assertEqual(len(journals), 2)
        for j in journals:
            self.assertEqual(stat.S_IMODE(os.stat(os.path.join(jobs_dir, j)).st_mode), 0o600)
        self.assertEqual(stat.S_IMODE(os.stat(out).st_mode), 0o600)
        config = os.path.join(self.home, "config", "cache-kv-purger", "config.toml")
        self.assertEqual(stat.S_IMODE(os.stat(config).st_mode), 0o600)


class _Api(BaseHTTPRequestHandler):
    def do_GET(self):
        body = json.dumps({"success": True, "errors": [], "messages": [], "result": [],
                           "result_info": {"page": 1, "per_page": 100, "count": 0, "total_count": 0}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def start_tls_api(home, common_name):
    """A stand-in API (_Api) over HTTPS with a fresh self-signed certificate for @p common_name, on loopback."""
    cert, key = os.path.join(home, "c.pem"), os.path.join(home, "k.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                    "-days", "1", "-subj", f"/CN={common_name}"], check=True, capture_output=True)
    server = HTTPServer(("127.0.0.1", 0), _Api)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


class Tls(CliTest):
    emulator_args = ["--seed-namespace", "t"]

    def test_certificates_are_verified_unless_insecure_which_warns(self):
        server = start_tls_api(self.home, "127.0.0.1")
        try:
            env = self.env(CLOUDFLARE_API_BASE_URL=f"https://127.0.0.1:{server.server_address[1]}/client/v4")
            r = self.run_cli("kv", "list", env=env)
            self.assertEqual(r.code, 1, r)
            self.assertIn("TLS", r.err)
            r = self.run_cli("--insecure", "kv", "list", env=env)
            self.assertEqual(r.code, 0, r)
            self.assertIn("warning: --insecure: TLS certificates are NOT verified", r.err)
        finally:
            server.shutdown()


class _ForwardProxy(BaseHTTPRequestHandler):
    """A forward proxy for the proxy tests: CONNECT tunnels (HTTPS_PROXY) and absolute-URI requests (HTTP_PROXY).
    Every host goes to 127.0.0.1 (the tests use names that do not resolve, so only the proxy can reach them), and
    what passes through is recorded on the server: request lines, headers, and the bytes a tunnel carried."""
    protocol_version = "HTTP/1.1"

    def do_CONNECT(self):
        self.server.seen.append(self.requestline)
        self.server.headers.append(dict(self.headers))
        port = int(self.path.rsplit(":", 1)[1])
        upstream = socket.create_connection(("127.0.0.1", port))
        self.send_response(200, "Connection established")
        self.end_headers()
        self.close_connection = True
        sockets = [self.connection, upstream]
        while True:
            readable, _, _ = select.select(sockets, [], [], 10)
            if not readable:
                break
            for sock in readable:
                data = sock.recv(65536)
                if not data:
                    upstream.close()
                    return
                if sock is self.connection:
                    self.server.tunnelled += data
                (upstream if sock is self.connection else self.connection).sendall(data)
        upstream.close()

    def forward(self):
        self.server.seen.append(self.requestline)
        self.server.headers.append(dict(self.headers))
        url = urllib.parse.urlsplit(self.path)
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        upstream = http.client.HTTPConnection("127.0.0.1", url.port, timeout=30)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("proxy-connection", "connection")}
        upstream.request(self.command, url.path + ("?" + url.query if url.query else ""), body, headers)
        answer = upstream.getresponse()
        data = answer.read()
        self.send_response(answer.status)
        for k, v in answer.getheaders():
            if k.lower() not in ("transfer-encoding", "connection", "content-length"):
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        upstream.close()

    do_GET = do_POST = do_PUT = do_DELETE = forward

    def log_message(self, *args):
        pass


def start_proxy():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _ForwardProxy)
    server.daemon_threads = True
    server.seen, server.headers, server.tunnelled = [], [], bytearray()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


class Proxy(CliTest):
    emulator_args = ["--seed-namespace", "t", "--seed-keys", "3"]

    def test_http_proxy_carries_the_calls_and_no_proxy_bypasses_it(self):
        proxy = start_proxy()
        try:
            port = self.emu.base_url.split(":")[2].split("/")[0]
            base = f"http://kv.example.invalid:{port}/client/v4"  # resolvable only by the proxy
            env = self.env(CLOUDFLARE_API_BASE_URL=base, HTTP_PROXY=f"http://127.0.0.1:{proxy.server_address[1]}")
            r = self.run_cli("kv", "put", "--namespace", "t", "--key", "via-proxy", "--value", "yes", env=env)
            self.assertEqual(r.code, 0, r)
            r = self.run_cli("kv", "list", "--namespace", "t", "--all", "--json", env=env)
            self.assertEqual(r.code, 0, r)
            self.assertEqual(len(r.json()["keys"]), 4)
            self.assertEqual(self.emu.value(self.emu.ns("t"), "via-proxy"), b"yes")
            self.assertTrue(all(h.get("Authorization", "").startswith("Bearer ") for h in proxy.headers))
            self.assertTrue(any(f"kv.example.invalid:{port}/client/v4/accounts/" in line for line in proxy.seen),
                            proxy.seen)
            count = len(proxy.seen)
            env["NO_PROXY"] = "example.invalid"  # a domain suffix: the CLI now goes direct, and cannot resolve it
            r = self.run_cli("kv", "list", "--namespace", "t", env=env)
            self.assertEqual(r.code, 1, r)
            self.assertIn(f"error talking to kv.example.invalid:{port}", r.err)  # names the host it could not reach
            self.assertEqual(len(proxy.seen), count)
        finally:
            proxy.shutdown()

    def test_https_proxy_opens_a_tunnel_and_the_token_stays_inside_tls(self):
        api = start_tls_api(self.home, "api.example.invalid")
        proxy = start_proxy()
        try:
            port = api.server_address[1]
            env = self.env(CLOUDFLARE_API_BASE_URL=f"https://api.example.invalid:{port}/client/v4",
                           HTTPS_PROXY=f"127.0.0.1:{proxy.server_address[1]}")  # no scheme: taken as http://
            r = self.run_cli("--insecure", "kv", "list", env=env)  # self-signed: --insecure (tested in Tls)
            self.assertEqual(r.code, 0, r)
            self.assertIn(f"CONNECT api.example.invalid:{port} HTTP/1.1", proxy.seen)  # the tunnel, by name
            self.assertGreater(len(proxy.tunnelled), 0)
            self.assertNotIn(self.emu.token.encode(), bytes(proxy.tunnelled))
            self.assertNotIn(b"Authorization", bytes(proxy.tunnelled))
            self.assertNotIn("Proxy-Authorization", proxy.headers[-1])  # no credentials: none sent
        finally:
            proxy.shutdown()
            api.shutdown()

    def test_proxy_credentials_are_sent_to_the_proxy_and_never_printed(self):
        api = start_tls_api(self.home, "api.example.invalid")
        proxy = start_proxy()
        try:
            base = f"https://api.example.invalid:{api.server_address[1]}/client/v4"
            url = f"http://ops%40example.com:pa%3Ass-w0rd@127.0.0.1:{proxy.server_address[1]}"  # percent-encoded
            r = self.run_cli("--insecure", "kv", "list", env=self.env(CLOUDFLARE_API_BASE_URL=base, HTTPS_PROXY=url))
            self.assertEqual(r.code, 0, r)
            expected = "Basic " + base64.b64encode(b"ops@example.com:pa:ss-w0rd").decode()
            self.assertEqual(proxy.headers[-1].get("Proxy-Authorization"), expected)
            self.assertNotIn("pa:ss-w0rd", r.out + r.err)
            # A malformed proxy setting is a usage error naming the variable; its value (maybe a password) is not shown.
            bad = "http://ops:pa%3Ass-w0rd@[proxy"
            r = self.run_cli("kv", "list", env=self.env(CLOUDFLARE_API_BASE_URL=base, HTTPS_PROXY=bad))
            self.assertEqual(r.code, 2, r)
            self.assertIn("HTTPS_PROXY is set but is not a valid proxy URL", r.err)
            self.assertNotIn("pa%3Ass-w0rd", r.out + r.err)
        finally:
            proxy.shutdown()
            api.shutdown()


if __name__ == "__main__":
    unittest.main()
