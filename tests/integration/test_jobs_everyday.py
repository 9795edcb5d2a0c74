"""Everyday use of jobs and `kv get --bulk`: `jobs prune` by status and age (a dry run changes nothing, an interrupted
job survives the default), the automatic cleanup of old completed jobs when a new job starts (jobs_keep_days),
`jobs list` showing each job's target, and binary values in `kv get --bulk` (a table cell per key, exact JSON).

Old jobs are made by setting their journal files' modification times (a job's age counts from its last write); an
interrupted job by cutting the end line off a finished job's journal: no sleeping, no killing.
"""

import base64
import json
import os
import time
import unittest
import urllib.parse

from cli_harness import CliTest

DAY = 86400


class JobsEveryday(CliTest):
    def delete_job(self, prefix):
        """Runs a journaled `kv delete` of `prefix` in namespace demo; returns the new job's id."""
        before = {j["id"] for j in self.ok("jobs", "list", "--json").json()}
        self.ok("kv", "delete", "--namespace", "demo", "--prefix", prefix, "--yes", "--progress", "none")
        new = [j["id"] for j in self.ok("jobs", "list", "--json").json() if j["id"] not in before]
        self.assertEqual(len(new), 1, new)
        return new[0]

    def journal(self, job):
        return os.path.join(self.jobs_dir(), job + ".jsonl")

    def age(self, job, seconds):
        """Makes `job` last written `seconds` ago."""
        t = time.time() - seconds
        os.utime(self.journal(job), (t, t))

    def interrupt(self, job):
        """Turns a finished job into an interrupted one: its journal without the end line (as after a kill)."""
        with open(self.journal(job)) as f:
            lines = [line for line in f if json.loads(line).get("t") != "end"]
        with open(self.journal(job), "w") as f:
            f.writelines(lines)

    def statuses(self):
        return {j["id"]: j["status"] for j in self.ok("jobs", "list", "--json").json()}

    def test_prune_by_status_and_age_dry_run_and_an_interrupted_job_survives(self):
        old_done = self.delete_job("user/00000")
        new_done = self.delete_job("user/00001")
        old_aborted = self.delete_job("user/00002")
        self.interrupt(old_aborted)
        self.ok("jobs", "abort", old_aborted)
        old_interrupted = self.delete_job("user/00003")
        self.interrupt(old_interrupted)
        for job in (old_done, old_aborted, old_interrupted):
            self.age(job, 10 * DAY)
        self.age(new_done, 2 * DAY)
        self.assertEqual(self.statuses(), {old_done: "completed", new_done: "completed", old_aborted: "aborted",
                                           old_interrupted: "resumable"})

        # A dry run lists what would go and removes nothing.
        r = self.ok("jobs", "prune", "--dry-run", "--json")
        self.assertEqual(r.json(),
                         {"dry_run": True, "removed": sorted([old_done, old_aborted], reverse=True), "count": 2})
        self.assertIn("Would remove " + old_done, r.err)
        self.assertIn("nothing was removed", r.err)
        self.assertEqual(len(self.statuses()), 4)

        # The default: finished jobs a week old; the interrupted one stays, however old.
        r = self.ok("jobs", "prune")
        self.assertEqual(r.out, "")  # notes go to stderr
        self.assertIn("Removed " + old_done, r.err)
        self.assertIn("Removed " + old_aborted, r.err)
        self.assertIn("Removed 2 jobs", r.err)
        self.assertEqual(self.statuses(), {new_done: "completed", old_interrupted: "resumable"})
        self.assertFalse(os.path.exists(self.journal(old_done)))

        # By age: a day old or more.
        r = self.ok("jobs", "prune", "--older-than", "1d", "--json")
        self.assertEqual(r.json(), {"dry_run": False, "removed": [new_done], "count": 1})
        self.assertEqual(self.statuses(), {old_interrupted: "resumable"})

        # An interrupted job goes only when asked for by status (and its age).
        r = self.ok("jobs", "prune", "--status", "all", "--older-than", "11d", "--json")
        self.assertEqual(r.json()["count"], 0)
        self.assertEqual(self.ok("jobs", "prune", "--status", "completed,aborted", "--older-than", "0s",
                                 "--json").json()["count"], 0)
        r = self.ok("jobs", "prune", "--status", "interrupted", "--older-than", "240h", "--json")
        self.assertEqual(r.json()["removed"], [old_interrupted])
        self.assertEqual(self.statuses(), {})
        self.assertIn("Removed 0 jobs", self.ok("jobs", "prune").err)

    def test_prune_refuses_bad_durations_and_statuses(self):
        for args, said in ((["--older-than", "7"], "--older-than '7' is not a duration"),
                           (["--older-than", "1w"], "--older-than '1w' is not a duration"),
                           (["--older-than", "-1d"], "is not a duration"),
                           (["--status", "failed"], "--status 'failed' is not one of")):
            r = self.run_cli("jobs", "prune", *args)
            self.assertEqual(r.code, 2, r)
            self.assertIn(said, r.err)

    def test_a_new_job_removes_completed_jobs_older_than_jobs_keep_days(self):
        old_done = self.delete_job("user/00000")
        young_done = self.delete_job("user/00001")
        old_interrupted = self.delete_job("user/00002")
        self.interrupt(old_interrupted)
        self.age(old_done, 31 * DAY)
        self.age(young_done, 29 * DAY)
        self.age(old_interrupted, 400 * DAY)

        # 0 keeps every job; a job's dry run or a command that is no job removes nothing.
        self.ok("kv", "delete", "--namespace", "demo", "--prefix", "user/00003", "--yes", "--progress", "none",
                env=self.env(CKP_JOBS_KEEP_DAYS="0"))
        self.ok("kv", "delete", "--namespace", "demo", "--prefix", "user/00004", "--dry-run", "--progress", "none")
        self.ok("kv", "list", "--namespace", "demo", "--prefix", "user/00005")
        self.assertIn(old_done, self.statuses())

        # The default (30 days): the old completed job goes when a new job starts, saying so on stderr.
        r = self.ok("kv", "delete", "--namespace", "demo", "--prefix", "user/00006", "--yes", "--progress", "none")
        self.assertIn("Removed 1 completed job older than 30 days", r.err)
        jobs = self.statuses()
        self.assertNotIn(old_done, jobs)
        self.assertEqual(jobs[young_done], "completed")
        self.assertEqual(jobs[old_interrupted], "resumable")
        self.assertEqual(len(jobs), 4)

        # From the config file, and a flag beats it.
        with open(os.path.join(self.home, "config", "cache-kv-purger", "config.toml"), "a") as f:
            f.write("jobs_keep_days = 20\n")
        self.assertIn("config [default]",
                      self.ok("config", "show", "--json").json()["jobs_keep_days"]["source"])
        self.ok("kv", "delete", "--namespace", "demo", "--prefix", "user/00007", "--yes", "--progress", "none",
                "--jobs-keep-days", "40")
        self.assertIn(young_done, self.statuses())
        r = self.ok("kv", "delete", "--namespace", "demo", "--prefix", "user/00008", "--yes", "--progress", "none")
        self.assertIn("older than 20 days", r.err)
        self.assertNotIn(young_done, self.statuses())

        # A bad value is refused, naming where it came from.
        r = self.run_cli("kv", "delete", "--namespace", "demo", "--prefix", "user/00009", "--yes",
                         env=self.env(CKP_JOBS_KEEP_DAYS="-1"))
        self.assertNotEqual(r.code, 0)
        self.assertIn("jobs_keep_days '-1' (env CKP_JOBS_KEEP_DAYS)", r.err)

    def test_jobs_list_shows_each_jobs_target(self):
        kv_job = self.delete_job("user/00000")
        self.ok("cache", "purge", "everything", "--zone", "example.com", "--yes", "--progress", "none")
        jobs = self.ok("jobs", "list", "--json").json()
        by_id = {j["id"]: j for j in jobs}
        self.assertEqual(by_id[kv_job]["target"], {"api_base_url": self.emu.base_url, "account_id": self.emu.account,
                                                   "namespace_id": self.emu.ns("demo")})
        purge = next(j for j in jobs if j["op"] != "kv.delete")
        self.assertEqual(purge["target"]["api_base_url"], self.emu.base_url)
        self.assertEqual([z["name"] for z in purge["target"]["zones"]], ["example.com"])
        self.assertEqual(purge["target"]["zones"][0]["id"], self.emu.zone("example.com"))
        for j in jobs:
            self.assertRegex(j["updated"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")

        table = self.ok("jobs", "list").out.splitlines()
        self.assertEqual(table[0].split(), ["ID", "OPERATION", "STATUS", "DONE", "FAILED", "CREATED", "ACCOUNT",
                                            "TARGET", "API"])
        kv_row = next(line for line in table if line.startswith(kv_job))
        self.assertIn(self.emu.account, kv_row)
        self.assertIn("namespace " + self.emu.ns("demo"), kv_row)
        self.assertTrue(kv_row.rstrip().endswith(self.emu.base_url), kv_row)
        purge_row = next(line for line in table if line.startswith(purge["id"]))
        self.assertIn("zone example.com", purge_row)


class BinaryValues(CliTest):
    def put(self, key, body):
        path = (f"/accounts/{self.emu.account}/storage/kv/namespaces/{self.emu.ns('demo')}/values/"
                + urllib.parse.quote(key, safe=""))
        status, answer = self.emu.api("PUT", path, body, content_type="application/octet-stream")
        self.assertEqual(status, 200, answer)

    def test_kv_get_bulk_shows_binary_values_as_base64_and_text_on_one_line(self):
        png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
        values = {"bin/png": png, "bin/short": b"\xff\x00\x01", "bin/nul": b"nul\x00inside",
                  "bin/lines": "line one\nline two\ttabbed ✓".encode(), "bin/text": b"plain"}
        for key, body in values.items():
            self.put(key, body)

        # --json: every value exact, binary as base64 with "base64": true (the shape kv export writes).
        rows = self.ok("kv", "get", "--namespace", "demo", "--bulk", "--prefix", "bin/", "--json").json()
        got = {}
        for row in rows:
            got[row["name"]] = base64.b64decode(row["value"]) if row.get("base64") else row["value"].encode()
        self.assertEqual(got, values)
        self.assertTrue(next(r for r in rows if r["name"] == "bin/png")["base64"])
        self.assertNotIn("base64", next(r for r in rows if r["name"] == "bin/lines"))

        # The table: one line per key; binary as its size and (cut) base64; text with \n and \t written out.
        r = self.run_cli("kv", "get", "--namespace", "demo", "--bulk", "--prefix", "bin/")
        self.assertEqual(r.code, 0, r)
        lines = r.out.splitlines()
        self.assertEqual(len(lines), 2 + len(values), r.out)
        cell = {line.split()[0]: line.split(None, 1)[1] for line in lines[2:]}
        self.assertEqual(cell["bin/short"], "<3 bytes, base64: /wAB>")
        self.assertEqual(cell["bin/nul"], "<10 bytes, base64: bnVsAGluc2lkZQ==>")
        self.assertTrue(cell["bin/png"].startswith(f"<{len(png)} bytes, base64: iVBORw0KGgo"), cell["bin/png"])
        self.assertTrue(cell["bin/png"].endswith("...>"), cell["bin/png"])
        self.assertEqual(len(cell["bin/png"]), len(f"<{len(png)} bytes, base64: ...>") + 60)
        self.assertEqual(cell["bin/lines"], "line one\\nline two\\ttabbed ✓")
        self.assertEqual(cell["bin/text"], "plain")

        # `kv list --values` shows them the same way.
        listed = self.ok("kv", "list", "--namespace", "demo", "--prefix", "bin/", "--values").out.splitlines()
        self.assertEqual(len(listed), 2 + len(values))
        self.assertIn("<3 bytes, base64: /wAB>", next(line for line in listed if line.startswith("bin/short")))

        # One key without --json is still its raw bytes (for piping to a file).
        r = self.run_cli("kv", "get", "--namespace", "demo", "--key", "bin/text")
        self.assertEqual((r.code, r.out), (0, "plain"))
        single = self.ok("kv", "get", "--namespace", "demo", "--key", "bin/png", "--json").json()
        self.assertEqual(base64.b64decode(single["value"]), png)
        self.assertTrue(single["base64"])


if __name__ == "__main__":
    unittest.main()
