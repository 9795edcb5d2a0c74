"""Harness for CLI integration tests: the real emulator on a loopback port, the real cache-kv-purger binary.

Every test gets its own emulator process (started and stopped here) and its own HOME / XDG directories, so config
files and job journals never leak between tests or into the user's home.
"""

import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import unittest
import urllib.parse
import urllib.request

BINARY = os.environ.get("CKP_BINARY", "build/native/cache-kv-purger")


WEB_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "web")


def console_args():
    """`console` arguments for tests of the console server itself (its boundary, its proxy): the page, and a stand-in
    for the WebAssembly engine (the console refuses to start without one; these tests never run it), so that they
    run in builds without Emscripten too."""
    stub = tempfile.mkdtemp(prefix="ckp-wasm-stub-")
    for name in ("ckp.js", "ckp.wasm"):
        with open(os.path.join(stub, name), "w") as f:
            f.write("// stand-in: not the engine\n")
    return ["console", "--port", "0", "--web-dir", WEB_DIR, "--wasm-dir", stub]


class Emulator:
    """A `cache-kv-purger emulator` process; its start line gives the base URL, token, account and namespaces."""

    def __init__(self, *args):
        self.proc = subprocess.Popen([BINARY, "emulator", "--port", "0", *args], stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("emulator did not start: " + self.proc.stderr.read())
        self.info = json.loads(line)
        self.base_url = self.info["base_url"]
        self.admin = self.info["admin_url"]
        self.token = self.info["token"]
        self.account = self.info["account_id"]

    def ns(self, title):
        return self.info["namespaces"][title]

    def zone(self, name):
        return next(z["id"] for z in self.info["zones"] if z["name"] == name)

    def admin_get(self, what):
        with urllib.request.urlopen(f"{self.admin}/{what}") as r:
            return json.loads(r.read())

    def admin_post(self, what):
        """A state-changing admin call (reset, clock?advance=S): it carries the start line's admin secret."""
        req = urllib.request.Request(f"{self.admin}/{what}", data=b"", method="POST",
                                     headers={"X-Emulator-Admin": self.info["admin_secret"]})
        with urllib.request.urlopen(req) as r:
            return json.loads(r.read())

    def stats(self):
        return self.admin_get("stats")

    def advance_clock(self, seconds):
        """Moves the emulator's clock forward (real seconds of its model: divide emulated ones by --time-scale)."""
        return self.admin_post(f"clock?advance={seconds}")

    def purges(self):
        return self.admin_get("purges")

    def api(self, method, path, body=None, content_type="application/json"):
        """Calls the emulator's API directly (to check state independently of the CLI)."""
        data = body.encode() if isinstance(body, str) else body
        req = urllib.request.Request(self.base_url + path, data=data, method=method,
                                     headers={"Authorization": "Bearer " + self.token, "Content-Type": content_type})
        try:
            with urllib.request.urlopen(req) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()

    def keys(self, ns, prefix=""):
        """Every live key name in a namespace, read from the store itself (no faults, no rate limit)."""
        q = urllib.parse.urlencode({"namespace": ns, "prefix": prefix})
        return self.admin_get("keys?" + q)

    def value(self, ns, key):
        status, body = self.api("GET", f"/accounts/{self.account}/storage/kv/namespaces/{ns}/values/"
                                       + urllib.parse.quote(key, safe=""))
        return body if status == 200 else None

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc.stdout.close()
        self.proc.stderr.close()


class Result:
    def __init__(self, proc, stdout, stderr):
        self.code = proc.returncode
        self.out = stdout
        self.err = stderr

    def json(self):
        return json.loads(self.out)

    def __repr__(self):
        return f"exit {self.code}\n--- stdout\n{self.out}\n--- stderr\n{self.err}"


class CliTest(unittest.TestCase):
    """Base class: an isolated home, and helpers to run the CLI against an emulator."""

    emulator_args = ["--seed-namespace", "demo", "--seed-keys", "1000", "--seed-prefix", "user/",
                     "--zone", "example.com", "--zone", "shop.example.com", "--time-scale", "100"]

    def setUp(self):
        self.home = tempfile.mkdtemp(prefix="ckp-it-")
        self.emu = Emulator(*self.emulator_args)

    def tearDown(self):
        self.emu.stop()
        shutil.rmtree(self.home, ignore_errors=True)

    def env(self, **overrides):
        env = {k: v for k, v in os.environ.items() if not k.startswith(("CLOUDFLARE_", "CF_", "XDG_", "CKP_PROFILE"))}
        env.update({
            "HOME": self.home,
            "XDG_CONFIG_HOME": os.path.join(self.home, "config"),
            "XDG_STATE_HOME": os.path.join(self.home, "state"),
            "CLOUDFLARE_API_BASE_URL": self.emu.base_url,
            "CLOUDFLARE_API_TOKEN": self.emu.token,
            "CLOUDFLARE_ACCOUNT_ID": self.emu.account,
        })
        for k, v in overrides.items():
            if v is None:
                env.pop(k, None)
            else:
                env[k] = v
        return env

    def run_cli(self, *args, env=None, stdin=None, timeout=120):
        proc = subprocess.Popen([BINARY, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL, text=True,
                                env=env or self.env(), start_new_session=True)  # no terminal to ask on: /dev/tty
        out, err = proc.communicate(stdin, timeout=timeout)
        return Result(proc, out, err)

    def ok(self, *args, **kw):
        r = self.run_cli(*args, **kw)
        self.assertEqual(r.code, 0, r)
        return r

    def write(self, name, text):
        path = os.path.join(self.home, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def writes(self):
        return self.emu.stats()["writes"]

    # --- kills and resumes ------------------------------------------------------------------------------------

    def jobs_dir(self):
        return os.path.join(self.home, "state", "cache-kv-purger", "jobs")

    def run_killed(self, args, seconds):
        """Runs the CLI and SIGKILLs it `seconds` after its journal exists (so a slow start, e.g. under ASan, cannot
        turn a kill into one before the job began). True when it was killed, False when it finished first."""
        proc = subprocess.Popen([BINARY, *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=self.env())
        deadline = time.monotonic() + 60
        while proc.poll() is None and time.monotonic() < deadline and not (
                os.path.isdir(self.jobs_dir()) and any(f.endswith(".jsonl") for f in os.listdir(self.jobs_dir()))):
            time.sleep(0.01)
        time.sleep(seconds)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            return True
        return False

    def resumable_jobs(self):
        return [j["id"] for j in self.ok("jobs", "list", "--json").json() if j["status"] == "resumable"]

    def the_resumable_job(self):
        jobs = self.resumable_jobs()
        self.assertEqual(len(jobs), 1, jobs)
        return jobs[0]

    def kill_and_resume(self, args, most, rng, delay):
        """Runs `args`, then `jobs resume` again and again, each killed after a random delay in `delay` seconds, until
        `most` kills or a run that finishes first. Returns the number of kills."""
        kills = int(self.run_killed(args, rng.uniform(*delay)))
        while kills < most and self.resumable_jobs():
            if not self.run_killed(["jobs", "resume", self.the_resumable_job(), "--progress", "none"],
                                   rng.uniform(*delay)):
                break
            kills += 1
        return kills

    def run_in_pty(self, *args, env=None, timeout=60):
        """Runs the CLI on a pseudo-terminal (stdin, stdout and stderr all on it, as in an interactive shell), for
        what only a terminal gets: colour, progress bars, prompts. Returns a Result whose `out` is everything written
        to the terminal (stdout and stderr together, with the terminal's \\r\\n line ends) and whose `err` is ""."""
        import pty
        import select
        master, slave = pty.openpty()
        try:
            proc = subprocess.Popen([BINARY, *args], stdin=slave, stdout=slave, stderr=slave, env=env or self.env(),
                                    start_new_session=True)
        finally:
            os.close(slave)
        chunks = []
        deadline = time.monotonic() + timeout
        try:
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    proc.kill()
                    raise subprocess.TimeoutExpired([BINARY, *args], timeout)
                ready, _, _ = select.select([master], [], [], min(left, 0.5))
                if not ready:
                    continue
                try:
                    data = os.read(master, 65536)
                except OSError:  # EIO: every copy of the slave is closed (the process has exited)
                    break
                if not data:
                    break
                chunks.append(data)
            proc.wait(timeout=max(1, deadline - time.monotonic()))
        finally:
            os.close(master)
        return Result(proc, b"".join(chunks).decode("utf-8", "replace"), "")
