"""Runs docs/examples/delete_by_prefix against a real `cache-kv-purger emulator` that this script starts and stops.

Usage: run_live_example.py CACHE_KV_PURGER DELETE_BY_PREFIX

The emulator is seeded with 3,000 keys (user/0000000 … user/0002999) and answers 5% of calls with a 500, so the
example's retries are exercised too. The example deletes user/0001* and checks its own result (exit code 0 only
when the API confirmed exactly 1,000 deletes and none are left); this script then checks the emulator's store
independently: user/0001* is gone and the other 2,000 keys are still there.
"""

import json
import os
import signal
import subprocess
import sys
import urllib.parse
import urllib.request


def main():
    binary, example = sys.argv[1], sys.argv[2]
    emulator = subprocess.Popen(
        [binary, "emulator", "--port", "0", "--seed-namespace", "docs", "--seed-keys", "3000", "--seed-prefix",
         "user/", "--fault-500", "0.05", "--fault-seed", "7"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = emulator.stdout.readline()  # the start line: one JSON object with the base URL, token, account, …
        if not line:
            sys.exit("emulator did not start: " + emulator.stderr.read())
        info = json.loads(line)
        env = dict(os.environ, CLOUDFLARE_API_BASE_URL=info["base_url"], CLOUDFLARE_API_TOKEN=info["token"],
                   CLOUDFLARE_ACCOUNT_ID=info["account_id"])
        ns = info["namespaces"]["docs"]
        run = subprocess.run([example, ns, "user/0001", "1000"], env=env, timeout=120)
        if run.returncode != 0:
            sys.exit(f"delete_by_prefix exited {run.returncode}")

        def keys(prefix):
            query = urllib.parse.urlencode({"namespace": ns, "prefix": prefix})
            with urllib.request.urlopen(f"{info['admin_url']}/keys?{query}", timeout=30) as r:
                return json.loads(r.read())

        if keys("user/0001"):
            sys.exit("the emulator still holds keys under user/0001")
        if len(keys("user/")) != 2000:
            sys.exit(f"expected 2000 other keys to remain, found {len(keys('user/'))}")
        print("delete_by_prefix: ok (1000 deleted, 2000 kept)")
    finally:
        if emulator.poll() is None:
            emulator.send_signal(signal.SIGTERM)
            try:
                emulator.wait(timeout=10)
            except subprocess.TimeoutExpired:
                emulator.kill()
                emulator.wait()
        emulator.stdout.close()
        emulator.stderr.close()


if __name__ == "__main__":
    main()
