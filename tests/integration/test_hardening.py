"""Hardening, end to end (the real CLI against the real emulator, or against a misbehaving stand-in server):
a whole-request deadline, credentials with control characters, journals with a torn last line, and numeric settings
out of range."""

import json
import os
import select
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.request

from cli_harness import BINARY, CliTest, console_args

NAMESPACE = "0123456789abcdef0123456789abcdef"


class TrickleServer:
    """A stand-in API on loopback that answers every request a byte per second — after sending the response headers
    (mode "body"), or in the middle of them (mode "headers"). A per-read timeout never fires against it. It records
    how long each connection stayed open until the client closed it."""

    def __init__(self, mode):
        self.mode = mode
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.base_url = f"http://127.0.0.1:{self.port}/client/v4"
        self.durations = []  # seconds each connection lasted, for those the client closed
        self.lock = threading.Lock()
        self.stopped = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.stopped.is_set():
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn):
        start = time.monotonic()
        with conn:
            request = b""
            while b"\r\n\r\n" not in request:
                data = conn.recv(65536)
                if not data:
                    return
                request += data
            if self.mode == "body":
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n")
                trickle = b" " * 100000  # whitespace: a valid start of JSON, never complete
            else:
                conn.sendall(b"HTTP/1.1 200 OK\r\n")
                trickle = b"X-Slow: " + b"a" * 100000
            for byte in trickle:
                # Wait a second, or less if the client closes the connection first (then it is readable, at EOF).
                readable, _, _ = select.select([conn], [], [], 1.0)
                if self.stopped.is_set():
                    return
                try:
                    if readable and not conn.recv(1):
                        break
                    conn.sendall(bytes([byte]))
                except OSError:
                    break
            with self.lock:
                self.durations.append(time.monotonic() - start)

    def stop(self):
        self.stopped.set()
        self.listener.close()


class RequestDeadline(CliTest):
    emulator_args = ["--seed-namespace", "demo"]

    def run_bounded(self, args, env, bound):
        """Runs the CLI; fails the test (after killing it) if it has not ended within `bound` seconds."""
        proc = subprocess.Popen([BINARY, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                stdin=subprocess.DEVNULL, text=True, env=env)
        start = time.monotonic()
        try:
            out, err = proc.communicate(timeout=bound)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            self.fail(f"`{' '.join(args)}` was still running after {bound} s: the request has no overall deadline")
        return proc.returncode, out, err, time.monotonic() - start

    def check_trickle(self, mode):
        server = TrickleServer(mode)
        try:
            env = self.env(CLOUDFLARE_API_BASE_URL=server.base_url)
            # 8 attempts of at most 2 s, plus backoff (at most 31.75 s in all; see engine/retry.hpp): under 50 s.
            code, out, err, elapsed = self.run_bounded(
                ["kv", "list", "--namespace-id", NAMESPACE, "--timeout", "2"], env, 60)
            self.assertNotEqual(code, 0, err)
            self.assertIn("timed out", err)
            self.assertIn("request timeout (2 s)", err)
            self.assertIn(f"127.0.0.1:{server.port}", err)
            self.assertEqual(out, "")
            # Every attempt was cut at its deadline (a little slack for scheduling), not after a per-read timeout.
            time.sleep(1.5)  # the server notices the last close within a second
            with server.lock:
                durations = list(server.durations)
            self.assertGreaterEqual(len(durations), 2, "the timeout is retried")
            self.assertTrue(all(d < 3.5 for d in durations), durations)
            print(f"\n[deadline/{mode}] {len(durations)} attempts, each cut after {max(durations):.1f} s at most; "
                  f"the command ended after {elapsed:.0f} s")
        finally:
            server.stop()

    def test_a_body_trickled_a_byte_per_second_times_out(self):
        self.check_trickle("body")

    def test_headers_trickled_a_byte_per_second_time_out(self):
        self.check_trickle("headers")


class ControlCharacterCredentials(CliTest):
    emulator_args = ["--seed-namespace", "demo"]

    def refused(self, args, env, names, what):
        """The command is refused as a usage error naming where the credential came from and what is wrong, with
        nothing sent and no part of the credential printed."""
        r = self.run_cli(*args, env=env, timeout=30)
        self.assertEqual(r.code, 2, r)
        self.assertIn(names, r.err)
        self.assertIn(what, r.err)
        self.assertIn("must not contain control characters", r.err)
        self.assertNotIn(self.emu.token, r.out + r.err)
        self.assertNotIn("Injected", r.out + r.err)
        self.assertEqual(self.emu.stats()["requests"], 0)
        return r

    def test_a_token_with_cr_lf_or_another_control_character_is_refused_by_name(self):
        for bad, what in [(self.emu.token + "\r\nX-Injected: 1", "a carriage return (CR)"),
                          (self.emu.token + "\n", "a line feed (LF)"),
                          (self.emu.token[:5] + "\x01" + self.emu.token[5:], "a control character (0x01)"),
                          (self.emu.token + "\x7f", "a control character (0x7f)")]:
            self.refused(["kv", "list"], self.env(CLOUDFLARE_API_TOKEN=bad), "CLOUDFLARE_API_TOKEN", what)

    def test_every_source_of_a_credential_is_checked(self):
        token = self.emu.token
        self.refused(["--api-token", token + "\tX", "kv", "list"], self.env(), "--api-token", "a tab")
        self.refused(["kv", "list"], self.env(CLOUDFLARE_API_TOKEN=None, CLOUDFLARE_API_KEY="key\nX-Injected: 1",
                                              CLOUDFLARE_EMAIL="me@example.com"), "CLOUDFLARE_API_KEY", "a line feed")
        self.refused(["kv", "list"], self.env(CLOUDFLARE_API_TOKEN=None, CLOUDFLARE_API_KEY="key",
                                              CLOUDFLARE_EMAIL="me@example.com\r\nX-Injected: 1"),
                     "CLOUDFLARE_EMAIL", "a carriage return")
        # A variable named by the config file, and a token in the file itself (a "\n" escape in a quoted string).
        path = self.write("c.toml", '[default]\napi_token_env = "MY_CF_TOKEN"\n')
        self.refused(["--config", path, "kv", "list"],
                     self.env(CLOUDFLARE_API_TOKEN=None, MY_CF_TOKEN=token + "\nX-Injected: 1"),
                     f"MY_CF_TOKEN (named by api_token_env in {path}:2 [default])", "a line feed")
        path = self.write("d.toml", f'[default]\naccount_id = "{self.emu.account}"\napi_token = "{token}\\nX-Injected: 1"\n')
        self.refused(["--config", path, "kv", "list"], self.env(CLOUDFLARE_API_TOKEN=None),
                     f"api_token in {path}:3 [default]", "a line feed")

    def test_config_show_and_the_console_refuse_it_too(self):
        env = self.env(CLOUDFLARE_API_TOKEN=self.emu.token + "\r\n")
        self.refused(["config", "show"], env, "CLOUDFLARE_API_TOKEN", "a carriage return")
        # The console's proxy would send the same credential upstream: it does not even start.
        self.refused(["console", "--port", "0"], env, "CLOUDFLARE_API_TOKEN", "a carriage return")

    def test_the_console_refuses_to_start_without_its_engine(self):
        # Without ckp.js / ckp.wasm the page could only say "the engine could not start": the command refuses and
        # says how to build it, and serves nothing.
        empty = tempfile.mkdtemp(prefix="ckp-no-wasm-")
        r = self.run_cli("console", "--port", "0", "--wasm-dir", empty, timeout=30)
        self.assertEqual(r.code, 1, r)
        self.assertEqual(r.out, "")
        self.assertIn(f"{empty} has no ckp.js (--wasm-dir must name the build's wasm directory)", r.err)
        self.assertIn("-DCKP_BUILD_WASM=ON", r.err)
        self.assertIn("--target ckp_wasm", r.err)
        with open(os.path.join(empty, "ckp.js"), "w") as f:
            f.write("x")
        r = self.run_cli("console", "--port", "0", "--wasm-dir", empty, timeout=30)
        self.assertIn(f"{empty} has no ckp.wasm", r.err)
        self.assertEqual(r.code, 1, r)

    def test_the_console_does_not_forward_a_page_token_with_a_control_character(self):
        proc = subprocess.Popen([BINARY, *console_args()], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, env=self.env(CLOUDFLARE_API_TOKEN=None))
        try:
            info = json.loads(proc.stdout.readline())
            secret = info["url"].split("#secret=")[1]
            url = f"http://127.0.0.1:{info['port']}/client/v4/accounts/{self.emu.account}/storage/kv/namespaces"
            req = urllib.request.Request(url, headers={"X-Ckp-Console": secret,
                                                       "Authorization": "Bearer " + self.emu.token + "\x01"})
            try:
                with urllib.request.urlopen(req, timeout=30) as resp:
                    status, body = resp.status, resp.read()
            except urllib.error.HTTPError as e:
                status, body = e.code, e.read()
            self.assertEqual(status, 400, body)
            message = json.loads(body)["errors"][0]["message"]
            self.assertIn("header Authorization has a control character (0x01)", message)
            self.assertNotIn(self.emu.token, message)
            self.assertEqual(self.emu.stats()["requests"], 0)
            # The same call with a clean token goes through.
            req = urllib.request.Request(url, headers={"X-Ckp-Console": secret, "Authorization": "Bearer " + self.emu.token})
            with urllib.request.urlopen(req, timeout=30) as resp:
                self.assertEqual(resp.status, 200)
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.communicate(timeout=30)


class TornJournal(CliTest):
    emulator_args = ["--seed-namespace", "big", "--seed-keys", "100000", "--latency", "15", "--time-scale", "100"]

    def jobs_dir(self):
        return os.path.join(self.home, "state", "cache-kv-purger", "jobs")

    def run_until_then_kill(self, args, ready):
        """Runs the CLI and SIGKILLs it as soon as `ready()` holds (checked every 10 ms)."""
        proc = subprocess.Popen([BINARY, *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=self.env())
        deadline = time.monotonic() + 120
        while proc.poll() is None and time.monotonic() < deadline and not ready():
            time.sleep(0.01)
        self.assertIsNone(proc.poll(), "it finished before it could be killed; make the job longer")
        proc.send_signal(signal.SIGKILL)
        proc.wait()

    def test_a_torn_last_line_survives_resume_and_another_kill(self):
        ns = self.emu.ns("big")

        def checkpointed():
            for n in os.listdir(self.jobs_dir()) if os.path.isdir(self.jobs_dir()) else []:
                with open(os.path.join(self.jobs_dir(), n), "rb") as f:
                    if b'"t":"ckpt"' in f.read():
                        return True
            return False

        # 1. A delete, killed once part of it is done (a checkpoint is journaled).
        self.run_until_then_kill(["kv", "delete", "--namespace", "big", "--all-keys", "--yes", "--progress", "none"],
                                 checkpointed)
        [name] = os.listdir(self.jobs_dir())
        job, path = name[:-len(".jsonl")], os.path.join(self.jobs_dir(), name)
        # 2. The kill tore the last line (done by hand, so that it surely happens).
        with open(path, "ab") as f:
            f.write(b'{"t":"ckpt","resume":{"cursor":"abc')
        self.assertEqual(self.ok("jobs", "list", "--json").json()[0]["status"], "resumable")
        torn_size = os.path.getsize(path)
        # 3. Resumed, and killed again once it has journaled more.
        self.run_until_then_kill(["jobs", "resume", job, "--progress", "none"],
                                 lambda: os.path.getsize(path) > torn_size + 200)
        # 4. Still readable, and every line but (perhaps) the last is whole JSON: nothing was glued to the torn line.
        with open(path) as f:
            lines = f.read().split("\n")
        for n, line in enumerate(lines[:-1], 1):
            try:
                json.loads(line)
            except ValueError:
                self.fail(f"journal line {n} is not JSON: {line[:120]}")
        self.assertEqual(self.ok("jobs", "list", "--json").json()[0]["status"], "resumable")
        # 5. Resumed to the end: the delete completes.
        r = self.ok("jobs", "resume", job, "--json", "--progress", "none", timeout=300).json()
        self.assertEqual(r["status"], "completed")
        self.assertEqual(r["done"], 100000)
        self.assertEqual(self.emu.keys(ns), [])
        self.assertEqual(self.ok("jobs", "list", "--json").json()[0]["status"], "completed")


class NumericSettings(CliTest):
    emulator_args = ["--seed-namespace", "demo"]

    def usage_error(self, args, *expected, env=None):
        r = self.run_cli(*args, env=env)
        self.assertEqual(r.code, 2, r)
        for text in expected:
            self.assertIn(text, r.err)
        return r

    def test_out_of_range_global_flags_are_refused_naming_flag_value_and_range(self):
        for value in ("0", "-1", "nan", "inf", "-inf", "1e300", "0x10", " 5", "3601", ""):
            self.usage_error(["kv", "list", "--timeout", value],
                             f"timeout '{value}' (flag --timeout) must be a number of seconds from 0.001 to 3600"
                             if value else "--timeout: needs a value")
        for value in ("0", "-2", "257", "99999999999999999999", "1.5", "+4", "lots"):
            self.usage_error(["--concurrency", value, "kv", "list"],
                             f"concurrency '{value}' (flag --concurrency) must be \"auto\" or a whole number from 1 to 256")
        for value in ("0", "-2", "101"):
            self.usage_error(["--zone-concurrency", value, "kv", "list"],
                             f"zone_concurrency '{value}' (flag --zone-concurrency) must be a whole number from 1 to 100")
        self.assertEqual(self.emu.stats()["requests"], 0)
        # In range, they work.
        self.ok("kv", "list", "--timeout", "2.5", "--concurrency", "256")
        self.ok("--zone-concurrency", "1", "--concurrency", "auto", "kv", "list")

    def test_emulator_latency_profile_is_checked(self):
        self.usage_error(["emulator", "--port", "0", "--latency-profile", "fast"],
                         "--latency-profile 'fast': the profile is 'realistic'")
        self.usage_error(["emulator", "--port", "0", "--latency-profile", "realistic", "--latency", "5"],
                         "--latency-profile sets every call's latency: give it without --latency")

    def test_environment_values_are_range_checked_too(self):
        self.usage_error(["kv", "list"], "concurrency '-2' (env CLOUDFLARE_MAX_CONCURRENCY) must be",
                         env=self.env(CLOUDFLARE_MAX_CONCURRENCY="-2"))
        self.usage_error(["kv", "list"], "zone_concurrency '0' (env CLOUDFLARE_MULTI_ZONE_CONCURRENCY) must be",
                         env=self.env(CLOUDFLARE_MULTI_ZONE_CONCURRENCY="0"))
        self.usage_error(["kv", "list"], "batch_size '10001' (env CLOUDFLARE_BATCH_SIZE) must be a whole number from 1 to 10000",
                         env=self.env(CLOUDFLARE_BATCH_SIZE="10001"))
        self.usage_error(["kv", "list"], "timeout 'nan' (env CLOUDFLARE_API_TIMEOUT) must be",
                         env=self.env(CLOUDFLARE_API_TIMEOUT="nan"))

    def config_path(self):
        return os.path.join(self.home, "config", "cache-kv-purger", "config.toml")

    def test_set_defaults_refuses_out_of_range_numbers_and_saves_nothing(self):
        self.usage_error(["config", "set-defaults", "--timeout", "0"], "--timeout '0' must be", "nothing was saved")
        self.assertFalse(os.path.exists(self.config_path()))  # not even the first-run sample
        self.ok("config", "init")
        with open(self.config_path()) as f:
            before = f.read()
        for flag, value, message in [
                ("--concurrency", "-2", "--concurrency '-2' must be \"auto\" or a whole number from 1 to 256"),
                ("--concurrency", "0", "--concurrency '0' must be"),
                ("--timeout", "-1", "--timeout '-1' must be a number of seconds from 0.001 to 3600"),
                ("--timeout", "0", "--timeout '0' must be"),
                ("--timeout", "nan", "--timeout 'nan' must be"),
                ("--batch-size", "0", "--batch-size '0' must be a whole number from 1 to 10000"),
                ("--batch-size", "20000", "--batch-size '20000' must be"),
                ("--zone-concurrency", "-2", "--zone-concurrency '-2' must be a whole number from 1 to 100")]:
            # A valid value beside the bad one is not saved either.
            self.usage_error(["config", "set-defaults", "--plan", "pro", flag, value], message, "nothing was saved")
            with open(self.config_path()) as f:
                self.assertEqual(f.read(), before, flag)
        self.ok("config", "set-defaults", "--concurrency", "8", "--timeout", "2.5", "--batch-size", "500",
                "--zone-concurrency", "4")
        show = self.ok("config", "show", "--json").json()
        self.assertEqual({k: show[k]["value"] for k in ("concurrency", "timeout", "batch_size", "zone_concurrency")},
                         {"concurrency": "8", "timeout": "2.5", "batch_size": "500", "zone_concurrency": "4"})

    def test_a_bad_number_in_the_config_file_names_file_line_and_range_and_config_show_marks_it(self):
        path = self.write("c.toml", '[default]\nplan = "pro"\n\ntimeout = 0\nconcurrency = "-2"\n')
        r = self.usage_error(["--config", path, "kv", "list"],
                             f"concurrency '-2' (config [default] at {path}:5) must be \"auto\" or a whole number from 1 to 256")
        r = self.usage_error(["--config", path, "kv", "list", "--concurrency", "3"],
                             f"timeout '0' (config [default] at {path}:4) must be a number of seconds from 0.001 to 3600")
        self.ok("--config", path, "kv", "list", "--concurrency", "3", "--timeout", "5")  # flags win over the file
        # config show works, and marks what is wrong.
        show = self.ok("--config", path, "config", "show", "--json").json()
        self.assertEqual(show["timeout"]["value"], "0")
        self.assertIn("must be a number of seconds from 0.001 to 3600", show["timeout"]["invalid"])
        self.assertIn(f"line 4", show["timeout"]["invalid"])
        self.assertIn("must be \"auto\" or a whole number from 1 to 256", show["concurrency"]["invalid"])
        self.assertNotIn("invalid", show["plan"])
        r = self.ok("--config", path, "config", "show")
        row = next(line for line in r.out.splitlines() if line.startswith("timeout"))
        self.assertIn("INVALID: must be a number of seconds", row)
        self.assertIn("2 invalid settings", r.err)
        # A flag typed now is still refused, even by config show.
        self.usage_error(["--config", path, "config", "show", "--timeout", "-1"], "timeout '-1' (flag --timeout)")
        # set-defaults can repair the file, and then commands run again.
        self.ok("--config", path, "config", "set-defaults", "--timeout", "30", "--concurrency", "auto")
        self.ok("--config", path, "kv", "list")
        show = self.ok("--config", path, "config", "show", "--json").json()
        self.assertNotIn("invalid", show["timeout"])
        self.assertEqual(show["timeout"]["value"], "30")
