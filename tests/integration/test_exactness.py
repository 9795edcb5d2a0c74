"""Exactness: a destructive command never touches more than the user selected. One regression test per defect of the
exactness issue (#12), the real CLI against the real emulator; each failed before the fix."""

import json
import os
import random
import time
import unittest
import urllib.parse

from cli_harness import CliTest, Emulator


class Selection(CliTest):
    """Defects 1-3: flags dropped or a filter ignored. Rule: every filter given must match; refused otherwise."""

    def put(self, ns_title, pairs):
        text = "".join(json.dumps(p) + "\n" for p in pairs)
        self.ok("kv", "import", "--namespace", ns_title, "--file", self.write("seed.ndjson", text), "--yes")

    def test_key_with_bulk_deletes_that_key_only_and_an_empty_prefix_is_refused(self):
        ns = self.emu.ns("demo")
        before = self.emu.keys(ns)
        out = self.ok("kv", "delete", "--namespace", "demo", "--key", "user/0000001", "--bulk", "--yes", "--json").json()
        self.assertEqual(out["done"], 1)
        self.assertEqual(sorted(set(before) - set(self.emu.keys(ns))), ["user/0000001"])
        for args in (["--prefix", ""], ["--bulk"], ["--prefix", "", "--bulk"], ["--search", ""], ["--tag-field", ""],
                     ["--keys-file", ""], ["--key", ""], ["--tag-value", "x"], ["--all-keys", "--prefix", "user/"],
                     ["--key", "user/0000002", "--keys", "user/0000003"], ["--namespace-itself", "--prefix", "user/"]):
            r = self.run_cli("kv", "delete", "--namespace", "demo", *args, "--yes")
            self.assertEqual(r.code, 2, (args, r))
            self.assertIn("error:", r.err)
        self.assertEqual(len(self.emu.keys(ns)), 999)
        r = self.run_cli("kv", "delete", "--namespace", "demo", "--prefix", "", "--yes")
        self.assertIn("--all-keys", r.err)

    def test_search_and_tag_field_together_are_both_applied_by_preview_dry_run_and_delete(self):
        ns = self.emu.ns("demo")
        self.put("demo", [{"key": f"m/{i}", "value": "v",
                           "metadata": {"kind": "a" if i % 2 else "b", "note": "blue" if i % 3 == 0 else "red"}}
                          for i in range(30)])
        both = sorted(f"m/{i}" for i in range(30) if i % 2 and i % 3 == 0)
        args = ["kv", "delete", "--namespace", "demo", "--search", "BLUE", "--tag-field", "kind", "--tag-value", "a"]
        dry = self.ok(*args, "--dry-run", "--json", "--save-keys", os.path.join(self.home, "sel.json")).json()
        self.assertEqual(dry["done"], len(both))
        with open(os.path.join(self.home, "sel.json")) as f:
            self.assertEqual(sorted(json.load(f)), both)
        listed = self.ok("kv", "list", "--namespace", "demo", "--search", "BLUE", "--tag-field", "kind",
                         "--tag-value", "a", "--all", "--json").json()["keys"]
        self.assertEqual(sorted(k["name"] for k in listed), both)
        out = self.ok(*args, "--yes", "--json").json()
        self.assertEqual(out["done"], len(both))
        self.assertEqual(sorted(k for k in self.emu.keys(ns, "m/")), sorted(f"m/{i}" for i in range(30) if f"m/{i}" not in both))

    def test_the_confirmation_preview_counts_what_the_delete_selects(self):
        self.put("demo", [{"key": f"m/{i}", "value": "v", "metadata": {"kind": "a" if i % 2 else "b", "note": "blue"}}
                          for i in range(30)])
        # No terminal: the confirmation cannot be answered, but its summary is printed first.
        r = self.run_cli("kv", "delete", "--namespace", "demo", "--search", "blue", "--tag-field", "kind",
                         "--tag-value", "a")
        self.assertEqual(r.code, 2)
        self.assertIn("keys whose metadata contains 'blue', and whose metadata kind = 'a'", r.err)
        # The first page holds every m/ key (they sort before user/): 15 match both filters, more pages follow.
        self.assertIn("at least 15 keys", r.err)

    def test_keys_file_with_a_prefix_deletes_only_the_listed_keys_under_it(self):
        ns = self.emu.ns("demo")
        keys = self.write("k.txt", "user/0000010\nuser/0000011\nother/1\n")
        self.ok("kv", "put", "--namespace", "demo", "--key", "other/1", "--value", "x")
        out = self.ok("kv", "delete", "--namespace", "demo", "--keys-file", keys, "--prefix", "user/", "--yes",
                      "--json").json()
        self.assertEqual(out["done"], 2)
        self.assertNotIn("user/0000010", self.emu.keys(ns))
        self.assertIn("other/1", self.emu.keys(ns))
        for extra in (["--search", "x"], ["--tag-field", "kind"], ["--all-keys"]):
            r = self.run_cli("kv", "delete", "--namespace", "demo", "--keys-file", keys, *extra, "--yes")
            self.assertEqual(r.code, 2, r)
            self.assertIn("--keys-file", r.err)
        self.assertEqual(len(self.emu.keys(ns)), 999)

    def test_sync_purge_applies_search_and_tag_field_together(self):
        ns = self.emu.ns("demo")
        self.put("demo", [{"key": f"s/{i}", "value": "v",
                           "metadata": {"kind": "product" if i % 2 else "page", "note": "sale" if i < 4 else "none",
                                        "cache-tags": f"t-{i}"}} for i in range(10)])
        out = self.ok("sync", "purge", "--namespace", "demo", "--search", "sale", "--tag-field", "kind", "--tag-value",
                      "product", "--zone", "example.com", "--yes", "--json").json()
        self.assertEqual(out["keys_deleted"], 2)  # s/1 and s/3: on sale AND products
        self.assertEqual(sorted(out["tags"]), ["t-1", "t-3"])
        self.assertEqual(sorted(self.emu.keys(ns, "s/")), sorted(f"s/{i}" for i in range(10) if i not in (1, 3)))


class SyncPurgeTags(CliTest):
    """Defects 4 and 8: an invalid tag must not cost the purge of the others; a '#' tag is a tag."""

    def test_a_key_naming_an_invalid_tag_is_kept_and_the_other_tags_are_purged_and_hash_tags_are_kept(self):
        ns = self.emu.ns("demo")
        pairs = [{"key": "g/ok", "value": "v", "metadata": {"kind": "x", "cache-tags": "#home,plain"}},
                 {"key": "g/bad", "value": "v", "metadata": {"kind": "x", "cache-tags": "bad\u0001tag"}},
                 {"key": "g/ok2", "value": "v", "metadata": {"kind": "x", "tags": ["other"]}}]
        self.ok("kv", "import", "--namespace", "demo", "--yes",
                "--file", self.write("g.ndjson", "".join(json.dumps(p) + "\n" for p in pairs)))
        r = self.run_cli("sync", "purge", "--namespace", "demo", "--tag-field", "kind", "--tag-value", "x",
                         "--zone", "example.com", "--yes", "--json")
        self.assertEqual(r.code, 3, r)  # partial: the key with the bad tag was kept
        out = r.json()
        self.assertEqual(out["keys_deleted"], 2)
        self.assertEqual(sorted(out["tags"]), ["#home", "other", "plain"])
        self.assertEqual([f["item"] for f in out["failures"]], ["g/bad"])
        self.assertIn("cache tag", out["failures"][0]["reason"])
        self.assertEqual(sorted(self.emu.keys(ns, "g/")), ["g/bad"])
        purged = [t for p in self.emu.purges() for t in p["items"]]
        self.assertEqual(sorted(purged), ["#home", "other", "plain"])


class TagsAsFlags(CliTest):
    def test_a_tag_host_or_url_starting_with_hash_given_as_a_flag_is_purged(self):
        out = self.ok("cache", "purge", "tags", "--tag", "#x", "--tags", "#y,z", "--zone", "example.com", "--yes",
                      "--json").json()
        self.assertEqual(out["done"], 3)
        self.assertEqual(sorted(t for p in self.emu.purges() for t in p["items"]), ["#x", "#y", "z"])
        # In a text file, '#' still starts a comment (documented); a JSON array takes it as a tag.
        self.ok("cache", "purge", "tags", "--tags-file", self.write("t.txt", "# a comment\nfile-tag\n"),
                "--zone", "example.com", "--yes")
        self.ok("cache", "purge", "tags", "--tags-file", self.write("t.json", '["#json-tag"]'), "--zone", "example.com",
                "--yes")
        items = [t for p in self.emu.purges() for t in p["items"]]
        self.assertIn("file-tag", items)
        self.assertIn("#json-tag", items)
        self.assertNotIn("# a comment", items)


class ImportOrder(CliTest):
    """Defect 5: with the same key on several lines, the last line wins, whatever retries happen."""
    emulator_args = CliTest.emulator_args + ["--fault-500", "0.2", "--fault-503", "0.1", "--fault-disconnect", "0.1",
                                             "--rate-limit", "0/1"]

    def value(self, ns, key):
        """A value read through the faulty API: retried until an answer arrives whole."""
        for _ in range(50):
            try:
                status, body = self.emu.api("GET", f"/accounts/{self.emu.account}/storage/kv/namespaces/{ns}/values/"
                                            + urllib.parse.quote(key, safe=""))
            except Exception:  # a dropped connection or a cut body: the emulator's faults, not the CLI's
                continue
            if status in (200, 404):
                return body if status == 200 else None
        self.fail(f"no whole answer for {key}")

    def test_the_last_line_for_a_key_wins_under_faults(self):
        ns = self.emu.ns("demo")
        for run in range(4):
            lines = [json.dumps({"key": f"dup{run}/{i % 40}", "value": str(i)}) for i in range(2000)]
            r = self.run_cli("kv", "import", "--namespace", "demo", "--batch-size", "500", "--yes", "--json",
                             "--file", self.write(f"d{run}.ndjson", "\n".join(lines) + "\n"))
            # At 40% faults a batch may exhaust its retries: the job stops resumable and is resumed, as a user would.
            for _ in range(5):
                if r.code != 1:
                    break
                r = self.run_cli("jobs", "resume", self.the_resumable_job(), "--json")
            self.assertEqual(r.code, 0, r)
            self.assertEqual(self.ok("jobs", "list", "--json").json()[0]["done"], 2000)
            wrong = [k for k in range(40) if self.value(ns, f"dup{run}/{k}") != str(1960 + k).encode()]
            self.assertEqual(wrong, [], f"run {run}: an earlier line won for these keys")


class KeyFiles(CliTest):
    """Defect 6: key names are exact — no trimming; a BOM and CRLF are handled."""

    def test_tabs_and_blanks_are_part_of_the_key_and_a_bom_is_not(self):
        ns = self.emu.ns("demo")
        for key in ("user/\t", "user/ ", "user/"):
            self.ok("kv", "put", "--namespace", "demo", "--key", key, "--value", "x")
        self.ok("kv", "delete", "--namespace", "demo", "--keys-file", self.write("tab.txt", "user/\t\n"), "--yes")
        left = set(self.emu.keys(ns, "user/"))
        self.assertNotIn("user/\t", left)
        self.assertIn("user/ ", left)
        self.assertIn("user/", left)
        out = self.ok("kv", "delete", "--namespace", "demo", "--yes", "--json",
                      "--keys-file", self.write("bom.txt", "\ufeffuser/0000001\r\nuser/0000002\r\n")).json()
        self.assertEqual(out["done"], 2)
        path = os.path.join(self.home, "bom.json")
        with open(path, "wb") as f:
            f.write(b"\xef\xbb\xbf" + json.dumps(["user/0000003", "user/ "]).encode())
        out = self.ok("kv", "delete", "--namespace", "demo", "--keys-file", path, "--yes", "--json").json()
        self.assertEqual(out["done"], 2)
        left = set(self.emu.keys(ns, "user/"))
        for gone in ("user/0000001", "user/0000002", "user/0000003", "user/ "):
            self.assertNotIn(gone, left)
        self.assertIn("user/", left)
        self.assertIn("user/0000004", left)


class ResumeTarget(CliTest):
    """Defect 7: a job resumes only against the API base URL and account it was started on."""
    emulator_args = ["--seed-namespace", "demo", "--seed-keys", "60000", "--seed-prefix", "user/", "--latency", "20",
                     "--time-scale", "100"]

    def test_resume_against_another_api_is_refused_naming_both_unless_overridden(self):
        other = Emulator("--token", self.emu.token + "=" + self.emu.account, "--seed-namespace", "demo",
                         "--seed-keys", "60000", "--seed-prefix", "user/", "--account", self.emu.account)
        try:
            ns = self.emu.ns("demo")
            other_ns = other.ns("demo")
            args = ["kv", "delete", "--namespace-id", ns, "--prefix", "user/", "--yes", "--progress", "none",
                    "--batch-size", "500", "--concurrency", "2"]
            self.assertTrue(self.run_killed(args, 0.5))
            job = self.the_resumable_job()
            elsewhere = self.env(CLOUDFLARE_API_BASE_URL=other.base_url)
            r = self.run_cli("jobs", "resume", job, env=elsewhere)
            self.assertEqual(r.code, 2, r)
            self.assertIn(self.emu.base_url, r.err)
            self.assertIn(other.base_url, r.err)
            self.assertIn("--allow-new-target", r.err)
            self.assertEqual(len(other.keys(other_ns)), 60000)  # nothing touched there
            r = self.run_cli("jobs", "resume", job, env=self.env(CLOUDFLARE_ACCOUNT_ID="f" * 32))
            self.assertEqual(r.code, 2, r)
            self.assertIn("account " + "f" * 32, r.err)
            final = self.ok("jobs", "resume", job, "--json", "--progress", "none").json()
            self.assertEqual(final["status"], "completed")
            self.assertEqual(final["done"], 60000)  # counted exactly, kill or not
            self.assertEqual(self.emu.keys(ns, "user/"), [])
        finally:
            other.stop()


class ExportAndImport(CliTest):
    """Defect 9: a key about to expire does not make an import refuse the whole file."""

    def test_a_pair_expiring_within_the_minute_is_reported_and_the_rest_is_written(self):
        ns = self.emu.ns("demo")
        now = int(time.time())
        lines = [json.dumps({"key": "e/soon", "value": "1", "expiration": now + 20}),
                 json.dumps({"key": "e/later", "value": "2", "expiration": now + 7200}),
                 json.dumps({"key": "e/never", "value": "3"})]
        r = self.run_cli("kv", "import", "--namespace", "demo", "--yes", "--json",
                         "--file", self.write("exp.ndjson", "\n".join(lines) + "\n"))
        self.assertEqual(r.code, 3, r)
        out = r.json()
        self.assertEqual(out["done"], 2)
        self.assertEqual([f["item"] for f in out["failures"]], ["e/soon"])
        self.assertEqual(sorted(self.emu.keys(ns, "e/")), ["e/later", "e/never"])


class CountsAfterResume(CliTest):
    """Defect 10: counts after kills and resumes are the true counts."""
    emulator_args = ["--seed-namespace", "demo", "--seed-keys", "100000", "--seed-prefix", "user/", "--latency", "15",
                     "--time-scale", "100"]

    def kill_then_finish(self, args, kills, seed):
        """Runs `args`, SIGKILLs it and each `jobs resume` after it at random moments, `kills` times at most (a run
        may finish first), then resumes to the end. Returns the number of kills."""
        killed = self.kill_and_resume(args, kills, random.Random(seed), (0.2, 0.5))
        for job in self.resumable_jobs():
            self.ok("jobs", "resume", job, "--json", "--progress", "none", timeout=600)
        return killed

    def finished_job(self):
        jobs = self.ok("jobs", "list", "--json").json()
        self.assertEqual(len(jobs), 1)
        return jobs[0]

    def test_prefix_delete_keys_file_delete_and_import_count_exactly(self):
        ns = self.emu.ns("demo")
        kills = self.kill_then_finish(["kv", "delete", "--namespace-id", ns, "--prefix", "user/", "--yes",
                                       "--batch-size", "1000", "--progress", "none"], 4, 1)
        self.assertGreater(kills, 0)
        self.assertEqual(self.finished_job()["done"], 100000)
        self.assertEqual(self.emu.keys(ns, "user/"), [])
        for f in os.listdir(self.jobs_dir()):
            os.remove(os.path.join(self.jobs_dir(), f))

        lines = [json.dumps({"key": f"imp/{i:06d}", "value": "v"}) for i in range(100000)]
        self.kill_then_finish(["kv", "import", "--namespace-id", ns, "--batch-size", "2000", "--yes",
                               "--progress", "none", "--file", self.write("in.ndjson", "\n".join(lines) + "\n")], 4, 2)
        self.assertEqual(self.finished_job()["done"], 100000)
        self.assertEqual(len(self.emu.keys(ns, "imp/")), 100000)
        for f in os.listdir(self.jobs_dir()):
            os.remove(os.path.join(self.jobs_dir(), f))

        keys = self.write("keys.txt", "".join(f"imp/{i:06d}\n" for i in range(30000)))
        self.kill_then_finish(["kv", "delete", "--namespace-id", ns, "--keys-file", keys, "--batch-size", "500",
                               "--yes", "--progress", "none"], 4, 3)
        self.assertEqual(self.finished_job()["done"], 30000)
        self.assertEqual(len(self.emu.keys(ns, "imp/")), 70000)


class DryRuns(CliTest):
    """Defect 11: a failed dry run must not look like an empty one."""

    def test_a_failed_dry_run_says_it_failed(self):
        r = self.run_cli("kv", "delete", "--namespace-id", "0" * 32, "--prefix", "x/", "--dry-run")
        self.assertNotEqual(r.code, 0, r)
        self.assertNotIn("would delete 0", r.out + r.err)
        self.assertIn("DRY RUN failed", r.err)


class Numbers(CliTest):
    """Defect 12 (per-command flags): out-of-range numbers are refused, never ignored."""

    def test_out_of_range_numbers_are_refused(self):
        writes = self.writes()
        for args in (["kv", "delete", "--namespace", "demo", "--prefix", "user/", "--batch-size", "0", "--yes"],
                     ["kv", "delete", "--namespace", "demo", "--prefix", "user/", "--batch-size", "-5", "--yes"],
                     ["kv", "import", "--namespace", "demo", "--file", "x", "--batch-size", "10001"],
                     ["kv", "put", "--namespace", "demo", "--key", "k", "--value", "v", "--expiration-ttl", "-100"],
                     ["kv", "put", "--namespace", "demo", "--key", "k", "--value", "v", "--expiration", "5"],
                     ["kv", "list", "--namespace", "demo", "--limit", "5"],
                     ["cache", "purge", "tags", "--tag", "a", "--zone", "example.com", "--zone-concurrency", "-1", "--yes"],
                     ["cache", "purge", "tags", "--tag", "a", "--zone", "example.com", "--batch-size", "0", "--yes"]):
            r = self.run_cli(*args)
            self.assertEqual(r.code, 2, (args, r))
        self.assertEqual(self.writes(), writes)
        self.assertEqual(self.emu.purges(), [])
        self.assertEqual(len(self.emu.keys(self.emu.ns("demo"))), 1000)


class CreateUnderDisconnects(CliTest):
    """Defect 15 (second half): a create whose first answer was lost is reported as created, not 'already exists'."""
    emulator_args = CliTest.emulator_args + ["--fault-disconnect", "0.3", "--fault-seed", "11", "--rate-limit", "0/1"]

    def test_kv_create_under_dropped_connections(self):
        lost = 0
        for i in range(10):
            r = self.run_cli("kv", "create", "--title", f"made-{i}", "--json", "--verbosity", "debug")
            self.assertEqual(r.code, 0, r)
            self.assertEqual(r.json()["title"], f"made-{i}")
            lost += any(l.startswith("[debug] POST") and "transport failure" in l for l in r.err.splitlines())
        self.assertGreater(lost, 0, "no create lost its answer: the test did not test anything")
        titles = [n["title"] for n in self.ok("kv", "list", "--json").json()]
        self.assertEqual(sorted(t for t in titles if t.startswith("made-")), sorted(f"made-{i}" for i in range(10)))
        r = self.run_cli("kv", "create", "--title", "made-0")
        self.assertEqual(r.code, 1)
        self.assertIn("already exists", r.err)


if __name__ == "__main__":
    unittest.main()
