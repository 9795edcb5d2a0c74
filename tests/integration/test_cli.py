"""Integration tests: the real cache-kv-purger binary against the real emulator, for every command, including bad
input (nothing sent), --dry-run (nothing written, proven by the emulator's counters), and Ctrl-C + jobs resume."""

import json
import os
import signal
import stat
import subprocess
import time
import unittest
import urllib.parse

from cli_harness import BINARY, CliTest, Emulator


class Basics(CliTest):
    def test_version_tree_completion(self):
        self.assertIn("cache-kv-purger version", self.ok("version").out)
        self.assertIn("cache-kv-purger version", self.ok("--version").out)
        tree = self.ok("tree").out
        for cmd in ["cache", "purge", "tags-batch", "files-with-headers", "custom", "kv", "bulk-write", "export",
                    "import", "jobs", "resume", "sync", "zones", "config", "emulator", "completion", "demo"]:
            self.assertIn(cmd, tree)
        self.assertIn("--keys-file", self.ok("tree", "--flags").out)
        self.assertIn("complete -F _cache_kv_purger", self.ok("completion", "bash").out)
        self.assertIn("bashcompinit", self.ok("completion", "zsh").out)
        self.assertIn("complete -c cache-kv-purger", self.ok("completion", "fish").out)
        self.assertEqual(self.run_cli("completion", "tcsh").code, 2)

    def test_concurrency_after_a_subcommand_is_the_global_option(self):
        # `--concurrency` placed after any subcommand reaches the engine (the Go tool had it on each command).
        for args in (["kv", "delete", "--namespace", "demo", "--prefix", "user/000", "--yes", "--json", "--concurrency", "3"],
                     ["cache", "purge", "files", "https://example.com/a", "--yes", "--json", "--concurrency", "2"]):
            self.assertEqual(self.ok(*args).json()["status"], "completed")
        r = self.run_cli("kv", "list", "--namespace", "demo", "--concurrency", "0")
        self.assertEqual(r.code, 2)
        self.assertIn("concurrency '0'", r.err)

    def test_usage_errors_exit_2(self):
        self.assertEqual(self.run_cli("kv", "frobnicate").code, 2)
        self.assertEqual(self.run_cli("--concurrency", "lots", "kv", "list").code, 2)
        r = self.run_cli("--plan", "platinum", "kv", "list")
        self.assertEqual(r.code, 2)
        self.assertIn("platinum", r.err)
        for timeout in ("abc", "1e300", "0"):
            r = self.run_cli("kv", "list", env=self.env(CLOUDFLARE_API_TIMEOUT=timeout))
            self.assertEqual(r.code, 2, r)
            self.assertIn(f"timeout '{timeout}' (env CLOUDFLARE_API_TIMEOUT) must be a number of seconds", r.err)

    def test_first_run_writes_a_commented_sample_config(self):
        r = self.ok("kv", "list")
        path = os.path.join(self.home, "config", "cache-kv-purger", "config.toml")
        self.assertIn("Created a sample configuration at " + path, r.err)
        self.assertEqual(stat.S_IMODE(os.stat(path).st_mode), 0o600)
        with open(path) as f:
            text = f.read()
        self.assertIn("# account_id =", text)
        self.assertNotIn("Created a sample", self.ok("kv", "list").err)  # only the first time


class Config(CliTest):
    def test_precedence_flag_env_file_default_and_profiles(self):
        env = self.env(CLOUDFLARE_ACCOUNT_ID=None)
        self.ok("config", "set-defaults", "--account-id", "11111111111111111111111111111111", env=env)
        show = self.ok("config", "show", "--json", env=env).json()
        self.assertEqual(show["account_id"], {"value": "11111111111111111111111111111111", "source": "config [default]"})
        self.assertEqual(show["plan"]["source"], "default")
        show = self.ok("config", "show", "--json", env=self.env(CLOUDFLARE_ACCOUNT_ID="2" * 32)).json()
        self.assertEqual(show["account_id"]["source"], "env CLOUDFLARE_ACCOUNT_ID")
        show = self.ok("--account-id", "3" * 32, "config", "show", "--json").json()
        self.assertEqual(show["account_id"], {"value": "3" * 32, "source": "flag --account-id"})
        # A second profile in the same file, with its token from another variable.
        self.ok("--profile", "staging", "config", "set-defaults", "--account-id", self.emu.account, env=env)
        path = os.path.join(self.home, "config", "cache-kv-purger", "config.toml")
        with open(path, "a") as f:
            f.write('api_token_env = "STAGING_TOKEN"\n')
        staging = self.env(CLOUDFLARE_ACCOUNT_ID=None, CLOUDFLARE_API_TOKEN=None, STAGING_TOKEN=self.emu.token)
        out = self.ok("--profile", "staging", "kv", "list", "--json", env=staging).json()
        self.assertEqual([n["title"] for n in out], ["demo"])
        show = self.ok("--profile", "staging", "config", "show", "--json", env=staging).json()
        self.assertEqual(show["credentials"]["source"], "env STAGING_TOKEN (config [staging])")
        self.assertNotIn(self.emu.token, json.dumps(show))
        r = self.run_cli("--profile", "nope", "kv", "list")
        self.assertEqual(r.code, 2)
        self.assertIn("profile 'nope'", r.err)

    def test_a_malformed_config_names_file_and_line(self):
        path = self.write("bad.toml", '[default]\naccount_id = "x"\nconcurency = 3\n')
        r = self.run_cli("--config", path, "kv", "list")
        self.assertEqual(r.code, 2)
        self.assertIn(path + ":3: unknown setting 'concurency'", r.err)

    def test_config_init(self):
        path = os.path.join(self.home, "c.toml")
        self.ok("--config", path, "config", "init")
        self.assertEqual(self.run_cli("--config", path, "config", "init").code, 2)
        self.ok("--config", path, "config", "init", "--force")
        self.assertTrue(os.path.exists(path + ".bak"))


class Zones(CliTest):
    def test_list_get_config(self):
        zones = self.ok("zones", "list", "--json").json()
        self.assertEqual(sorted(z["name"] for z in zones), ["example.com", "shop.example.com"])
        self.assertIn(self.emu.zone("example.com"), self.ok("zones", "get", "example.com").out)
        self.ok("zones", "config", "--zone", "example.com")
        self.assertIn(self.emu.zone("example.com"), self.ok("zones", "config").out)


class Kv(CliTest):
    def test_namespaces_create_rename_list(self):
        created = self.ok("kv", "create", "--title", "fresh", "--json").json()
        self.ok("kv", "rename", "--namespace-id", created["id"], "--title", "renamed")
        titles = [n["title"] for n in self.ok("kv", "list", "--json").json()]
        self.assertEqual(sorted(titles), ["demo", "renamed"])
        r = self.run_cli("kv", "create", "--title", "demo")
        self.assertEqual(r.code, 1)
        self.assertIn("a namespace titled 'demo' already exists", r.err)

    def test_keys_list_paging_get_put(self):
        page = self.ok("kv", "list", "--namespace", "demo", "--limit", "100", "--json").json()
        self.assertEqual(len(page["keys"]), 100)
        self.assertTrue(page["cursor"])
        nxt = self.ok("kv", "list", "--namespace", "demo", "--limit", "100", "--cursor", page["cursor"], "--json").json()
        self.assertEqual(nxt["keys"][0]["name"], "user/0000100")
        everything = self.ok("kv", "list", "--namespace", "demo", "--all", "--json").json()["keys"]
        self.assertEqual(len(everything), 1000)
        self.ok("kv", "put", "--namespace", "demo", "--key", "a/b c", "--value", "hello", "--metadata-json", '{"t":"x"}',
                "--expiration-ttl", "3600")
        got = self.ok("kv", "get", "--namespace", "demo", "--key", "a/b c", "--metadata", "--json").json()
        self.assertEqual(got["value"], "hello")
        self.assertEqual(got["metadata"], {"t": "x"})
        self.assertIn("expiration", got)
        self.assertEqual(self.emu.value(self.emu.ns("demo"), "a/b c"), b"hello")
        bulk = self.ok("kv", "get", "--namespace", "demo", "--bulk", "--keys", "user/0000001,user/0000002", "--json").json()
        self.assertEqual([b["value"] for b in bulk], ["value-0000001", "value-0000002"])
        with_values = self.ok("kv", "list", "--namespace", "demo", "--prefix", "user/000000", "--values", "--json").json()
        self.assertEqual(with_values["keys"][3]["value"], "value-0000003")

    def test_put_bad_input_sends_nothing(self):
        before = self.emu.stats()["requests"]
        r = self.run_cli("kv", "put", "--namespace-id", self.emu.ns("demo"), "--key", "k" * 513, "--value", "v")
        self.assertEqual(r.code, 2)
        self.assertIn("513 bytes", r.err)
        r = self.run_cli("kv", "put", "--namespace-id", self.emu.ns("demo"), "--key", "k", "--value", "v",
                         "--expiration-ttl", "30")
        self.assertEqual(r.code, 2)
        r = self.run_cli("kv", "put", "--namespace-id", self.emu.ns("demo"), "--key", "k", "--value", "v",
                         "--metadata-json", "{broken")
        self.assertEqual(r.code, 2)
        self.assertEqual(self.emu.stats()["requests"], before)

    def test_delete_one_key_and_namespace_itself(self):
        ns = self.emu.ns("demo")
        self.ok("kv", "delete", "--namespace", "demo", "--key", "user/0000005", "--yes")
        self.assertIsNone(self.emu.value(ns, "user/0000005"))
        r = self.run_cli("kv", "delete", "--namespace", "demo", "--namespace-itself")
        self.assertEqual(r.code, 2)  # no terminal to confirm on and no --yes: refuses
        self.assertIn("--yes", r.err)
        self.ok("kv", "delete", "--namespace", "demo", "--namespace-itself", "--force")
        self.assertEqual(self.ok("kv", "list", "--json").json(), [])

    def test_bulk_delete_by_prefix_pattern_keys_file_metadata_search(self):
        ns = self.emu.ns("demo")
        out = self.ok("kv", "delete", "--namespace", "demo", "--prefix", "user/00001", "--yes", "--json").json()
        self.assertEqual(out["done"], 100)
        self.assertEqual(out["status"], "completed")
        self.ok("kv", "delete", "--namespace", "demo", "--bulk", "--pattern", "^user/00002[0-4]", "--yes")
        self.assertEqual(len(self.emu.keys(ns, "user/00002")), 50)
        keys = self.write("keys.txt", "user/0000300\n\nuser/0000301\nuser/does-not-exist\n")
        out = self.ok("kv", "delete", "--namespace", "demo", "--keys-file", keys, "--yes", "--json").json()
        self.assertEqual(out["done"], 3)
        self.assertEqual(len(self.emu.keys(ns)), 1000 - 100 - 50 - 2)
        for i in range(6):
            self.emu.api("PUT", f"/accounts/{self.emu.account}/storage/kv/namespaces/{ns}/values/m{i}",
                         "--b\r\nContent-Disposition: form-data; name=\"value\"\r\n\r\nv\r\n"
                         "--b\r\nContent-Disposition: form-data; name=\"metadata\"\r\n\r\n"
                         + json.dumps({"type": "img" if i % 2 else "page", "deep": {"t": ["Blue" if i < 2 else "x"]}})
                         + "\r\n--b--\r\n", "multipart/form-data; boundary=b")
        out = self.ok("kv", "delete", "--namespace", "demo", "--tag-field", "type", "--tag-value", "img", "--yes",
                      "--json").json()
        self.assertEqual(out["done"], 3)
        out = self.ok("kv", "delete", "--namespace", "demo", "--search", "blue", "--yes", "--json").json()
        self.assertEqual(out["done"], 1)  # m0 (m1 went with type=img)
        self.assertEqual(sorted(k for k in self.emu.keys(ns) if k.startswith("m")), ["m2", "m4"])

    def test_a_bad_line_in_a_keys_file_names_file_and_line_and_nothing_is_deleted(self):
        keys = self.write("keys.txt", "user/0000001\nuser/0000002\n" + "k" * 513 + "\n")
        writes = self.writes()
        r = self.run_cli("kv", "delete", "--namespace", "demo", "--keys-file", keys, "--yes")
        self.assertEqual(r.code, 2)
        self.assertIn(f"{keys}:3: key", r.err)
        self.assertIn("513 bytes", r.err)
        self.assertEqual(self.writes(), writes)
        self.assertEqual(len(self.emu.keys(self.emu.ns("demo"))), 1000)
        self.assertEqual(self.ok("jobs", "list", "--json").json(), [])  # no half-made job is left behind

    def test_dry_run_never_writes(self):
        writes = self.writes()
        out = self.ok("kv", "delete", "--namespace", "demo", "--prefix", "user/", "--dry-run", "--json").json()
        self.assertTrue(out["dry_run"])
        self.assertEqual(out["done"], 1000)
        self.ok("kv", "delete", "--namespace", "demo", "--namespace-itself", "--dry-run")
        self.ok("kv", "delete", "--namespace", "demo", "--key", "user/0000001", "--dry-run")
        self.ok("kv", "put", "--namespace", "demo", "--key", "x", "--value", "y", "--dry-run")
        self.ok("kv", "import", "--namespace", "demo", "--file", self.write("in.ndjson", '{"key":"a","value":"b"}\n'),
                "--dry-run")
        self.ok("cache", "purge", "files", "https://example.com/a", "--dry-run")
        self.ok("cache", "purge", "everything", "--zone", "example.com", "--dry-run")
        self.ok("sync", "purge", "--namespace", "demo", "--search", "x", "--zone", "example.com", "--dry-run")
        self.assertEqual(self.writes(), writes)
        self.assertEqual(self.emu.purges(), [])

    def test_export_import_round_trip(self):
        out_file = os.path.join(self.home, "export.ndjson")
        self.ok("kv", "put", "--namespace", "demo", "--key", "meta", "--value", "m", "--metadata-json", '{"a":[1,2]}')
        r = self.ok("kv", "export", "--namespace", "demo", "--output", out_file, "--json").json()
        self.assertEqual(r["done"], 1001)
        self.assertEqual(stat.S_IMODE(os.stat(out_file).st_mode), 0o600)
        with open(out_file) as f:
            lines = [json.loads(l) for l in f]
        self.assertEqual(len(lines), 1001)
        self.assertEqual(next(l for l in lines if l["key"] == "meta")["metadata"], {"a": [1, 2]})
        created = self.ok("kv", "create", "--title", "copy", "--json").json()
        self.ok("kv", "import", "--namespace", "copy", "--file", out_file)
        self.assertEqual(len(self.emu.keys(created["id"])), 1001)
        self.assertEqual(self.emu.value(created["id"], "user/0000999"), b"value-0000999")
        arr = self.write("arr.json", json.dumps([{"key": "j1", "value": {"x": 1}}, {"key": "j2", "value": "two"}]))
        self.ok("kv", "bulk-write", "--namespace", "copy", "--file", arr)
        self.assertEqual(self.emu.value(created["id"], "j1"), b'{"x":1}')
        self.ok("kv", "put", "--namespace", "copy", "--bulk", "--bulk-file", self.write("b.ndjson", '{"key":"b1","value":"1"}\n'))
        self.assertEqual(self.emu.value(created["id"], "b1"), b"1")

    def test_import_bad_record_names_file_and_line(self):
        bad = self.write("bad.ndjson", '{"key":"a","value":"1"}\n{"key":"b"}\n')
        writes = self.writes()
        r = self.run_cli("kv", "import", "--namespace", "demo", "--file", bad)
        self.assertEqual(r.code, 2)
        self.assertIn(f"{bad}:2: key \"b\": missing \"value\"", r.err)
        self.assertEqual(self.writes(), writes)


class Purge(CliTest):
    def test_files_auto_zone_headers_tags_hosts_prefixes_everything_custom(self):
        self.ok("cache", "purge", "files", "https://example.com/a", "https://shop.example.com/b", "--yes")
        by_zone = {p["zone"]: p["items"] for p in self.emu.purges()}
        self.assertEqual(by_zone, {"example.com": ["https://example.com/a"], "shop.example.com": ["https://shop.example.com/b"]})
        urls = self.write("urls.txt", "# deploy\nhttps://example.com/x\n\nhttps://example.com/y\n")
        self.ok("cache", "purge", "files", "--files-list", urls, "--zone", "example.com", "--header", "CF-Device-Type: mobile", "--yes")
        self.ok("cache", "purge", "files-with-headers", "--files-list",
                self.write("fh.ndjson", '{"url":"https://example.com/cat.jpg","headers":{"CF-IPCountry":"US"}}\n'), "--yes")
        self.ok("cache", "purge", "tags", "--tag", "a", "--tags", "b,c", "--zone", "example.com", "--yes")
        self.ok("cache", "purge", "tags", "--tags-file", self.write("t.csv", "name,tag\nx,t1\ny,t2\n"), "--csv-column", "tag",
                "--zone", "example.com", "--yes")
        self.ok("cache", "purge", "tags-batch", "--tags-file",
                self.write("t.json", json.dumps([{"tags": ["j1", "j2"]}, {"tags": "j3"}])), "--json-field", "tags",
                "--zone", "example.com", "--yes")
        self.ok("cache", "purge", "hosts", "--host", "shop.example.com", "--yes")
        self.ok("cache", "purge", "prefixes", "--prefix", "example.com/img", "--yes")
        self.ok("cache", "purge", "everything", "--all-zones", "--yes")
        self.ok("cache", "purge", "custom", "--body", '{"tags":["c1"]}', "--zone", "example.com", "--yes")
        types = [(p["type"], p["zone"], p["items"]) for p in self.emu.purges()]
        self.assertIn(("tags", "example.com", ["t1", "t2"]), types)
        self.assertIn(("tags", "example.com", ["j1", "j2", "j3"]), types)
        self.assertIn(("tags", "example.com", ["a", "b", "c"]), types)
        self.assertIn(("hosts", "shop.example.com", ["shop.example.com"]), types)
        self.assertIn(("prefixes", "example.com", ["example.com/img"]), types)
        self.assertEqual(sum(1 for t in types if t[0] == "purge_everything"), 2)
        self.assertIn(("tags", "example.com", ["c1"]), types)
        self.assertEqual(self.emu.stats()["rate_limited"], 0)
        r = self.run_cli("cache", "purge", "custom", "--body", '{"tags":["a"],"hosts":["b"]}', "--zone", "example.com", "--yes")
        self.assertEqual(r.code, 2)

    def test_batches_by_the_plan_cap(self):
        urls = "".join(f"https://example.com/{i}\n" for i in range(250))
        out = self.ok("--plan", "pro", "cache", "purge", "files", "--files-list", self.write("u.txt", urls),
                      "--zone", "example.com", "--yes", "--json").json()
        self.assertEqual(out["done"], 250)
        self.assertEqual(sorted(p["count"] for p in self.emu.purges()), [50, 100, 100])

    def test_a_url_for_a_zone_you_do_not_have_sends_nothing(self):
        r = self.run_cli("cache", "purge", "files", "https://example.com/a", "https://elsewhere.org/b", "--yes")
        self.assertEqual(r.code, 2)
        self.assertIn("elsewhere.org", r.err)
        self.assertEqual(self.emu.purges(), [])
        r = self.run_cli("cache", "purge", "files", "--files-list", self.write("u.txt", "https://example.com/a\nnot-a-url\n"),
                         "--yes")
        self.assertEqual(r.code, 2)
        self.assertIn("u.txt:2:", r.err)
        self.assertEqual(self.emu.purges(), [])

    def test_tags_need_a_zone(self):
        r = self.run_cli("cache", "purge", "tags", "--tag", "a", "--yes")
        self.assertEqual(r.code, 2)
        self.assertIn("no zone", r.err)


class Sync(CliTest):
    def test_sync_purge_deletes_keys_then_purges_their_tags(self):
        ns = self.emu.ns("demo")
        pairs = "".join(json.dumps({"key": f"p{i}", "value": "v",
                                    "metadata": {"kind": "product" if i < 5 else "page", "cache-tags": f"prod-{i},shop"}}) + "\n"
                        for i in range(8))
        self.ok("kv", "import", "--namespace", "demo", "--file", self.write("p.ndjson", pairs))
        out = self.ok("sync", "purge", "--namespace", "demo", "--tag-field", "kind", "--tag-value", "product",
                      "--zone", "example.com", "--yes", "--json").json()
        self.assertEqual(out["keys_deleted"], 5)
        self.assertEqual(sorted(out["tags"]), ["prod-0", "prod-1", "prod-2", "prod-3", "prod-4", "shop"])
        self.assertEqual(sorted(k for k in self.emu.keys(ns) if k.startswith("p")), ["p5", "p6", "p7"])
        self.assertEqual(self.emu.purges()[0]["type"], "tags")


class BadCredentials(CliTest):
    def test_missing_token_wrong_token_wrong_account(self):
        r = self.run_cli("kv", "list", env=self.env(CLOUDFLARE_API_TOKEN=None))
        self.assertEqual(r.code, 2)
        self.assertIn("no Cloudflare credentials", r.err)
        self.assertEqual(len([l for l in r.err.splitlines() if l.startswith("error:")]), 1)
        r = self.run_cli("kv", "list", env=self.env(CLOUDFLARE_API_TOKEN="wrong"))
        self.assertEqual(r.code, 1)
        self.assertIn("Authentication error", r.err)
        r = self.run_cli("kv", "list", env=self.env(CLOUDFLARE_ACCOUNT_ID="not-an-id"))
        self.assertEqual(r.code, 2)
        self.assertIn("not a 32-character", r.err)
        r = self.run_cli("kv", "list", env=self.env(CLOUDFLARE_ACCOUNT_ID="0" * 32))
        self.assertEqual(r.code, 1)
        self.assertIn("10000", r.err)
        self.assertEqual(self.emu.stats()["writes"], 0)


class Interrupt(CliTest):
    emulator_args = ["--seed-namespace", "big", "--seed-keys", "120000", "--latency", "15", "--time-scale", "100"]

    def test_ctrl_c_then_jobs_resume(self):
        proc = subprocess.Popen([BINARY, "kv", "delete", "--namespace", "big", "--all-keys", "--yes", "--progress", "json"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=self.env())
        # Wait for real progress, then press Ctrl-C.
        for line in proc.stderr:
            if line.startswith("{") and json.loads(line)["done"] >= 20000:
                break
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
        self.assertEqual(proc.returncode, 130, out + err)
        self.assertIn("Resume with:", err)
        job = err.split("cache-kv-purger jobs resume ")[1].split()[0]
        left = len(self.emu.keys(self.emu.ns("big")))
        self.assertGreater(left, 0)
        self.assertLess(left, 120000)
        jobs = self.ok("jobs", "list", "--json").json()
        self.assertEqual([(j["id"], j["status"]) for j in jobs], [(job, "resumable")])
        shown = self.ok("jobs", "show", job, "--json").json()
        self.assertEqual(shown["done"], 120000 - left)
        r = self.ok("jobs", "resume", job[:20], "--json").json()
        self.assertEqual(r["status"], "completed")
        self.assertEqual(r["done"], 120000)
        self.assertEqual(self.emu.keys(self.emu.ns("big")), [])
        self.assertEqual(self.ok("jobs", "list", "--json").json()[0]["status"], "completed")
        self.assertEqual(self.run_cli("jobs", "resume", job).code, 2)  # completed: nothing to resume

    def test_abort(self):
        proc = subprocess.Popen([BINARY, "kv", "delete", "--namespace", "big", "--all-keys", "--yes", "--progress", "json"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=self.env())
        for line in proc.stderr:
            if line.startswith("{") and json.loads(line)["done"] > 0:
                break
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
        job = err.split("cache-kv-purger jobs resume ")[1].split()[0]
        self.ok("jobs", "abort", job)
        self.assertEqual(self.ok("jobs", "list", "--json").json()[0]["status"], "aborted")
        self.assertEqual(self.run_cli("jobs", "resume", job).code, 2)


class Demo(unittest.TestCase):
    def test_demo_runs_on_the_embedded_emulator(self):
        r = subprocess.run([BINARY, "demo", "--keys", "20000", "--latency", "1", "--progress", "none"], capture_output=True,
                           text=True, timeout=120, env={**os.environ, "HOME": "/tmp", "XDG_STATE_HOME": "/tmp/ckp-demo-state",
                                                        "XDG_CONFIG_HOME": "/tmp/ckp-demo-config"})
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("Deleted 20,000 keys", r.stderr)  # a summary is a message: stderr
        self.assertIn("keep/ only: yes", r.stdout)
        self.assertIn(", 0 rate-limited", r.stdout)


if __name__ == "__main__":
    unittest.main()
