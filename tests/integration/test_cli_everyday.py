"""Everyday CLI behaviour through the real binary: kv list is consistent (a filter pages until it has matches, one JSON
shape), progress you can trust (a bar with an estimate or "counting", the rate-limit wait said out loud, the bar's rate
is the summary's), and wrangler's spellings of kv put."""

import json
import re

from cli_harness import CliTest


class KvList(CliTest):
    # Only the last 50 of 3,000 keys match `z$`: the first pages have no match.
    emulator_args = ["--seed-namespace", "demo", "--seed-keys", "3000", "--seed-prefix", "user/",
                     "--time-scale", "100"]

    def setUp(self):
        super().setUp()
        ns = self.emu.ns("demo")
        for i in range(50):
            self.emu.api("PUT", f"/accounts/{self.emu.account}/storage/kv/namespaces/{ns}/values/zz/{i:03d}z", "v")

    def test_a_pattern_pages_until_it_has_matches(self):
        # Was: "0 keys, more follow" (one page of 1,000 names, none matching).
        r = self.ok("kv", "list", "--namespace", "demo", "--pattern", "z$", "--limit", "10", "--json")
        doc = r.json()
        self.assertGreaterEqual(len(doc["keys"]), 10)
        self.assertTrue(all(k["name"].endswith("z") for k in doc["keys"]))
        r = self.ok("kv", "list", "--namespace", "demo", "--pattern", "z$")
        self.assertIn("50 keys (of 3,050 listed)", r.err)

    def test_json_has_one_shape_with_and_without_all(self):
        one = self.ok("kv", "list", "--namespace", "demo", "--limit", "10", "--json").json()
        every = self.ok("kv", "list", "--namespace", "demo", "--all", "--json").json()
        self.assertEqual(sorted(one), ["cursor", "keys", "list_complete"])
        self.assertEqual(sorted(every), ["cursor", "keys", "list_complete"])
        self.assertFalse(one["list_complete"])
        self.assertTrue(every["list_complete"])
        self.assertEqual(len(every["keys"]), 3050)
        self.assertEqual(every["keys"][0], one["keys"][0])

    def test_limit_out_of_range_is_refused_not_changed(self):
        for bad in ["5", "1001", "0", "-1"]:
            r = self.run_cli("kv", "list", "--namespace", "demo", "--limit", bad)
            self.assertEqual(r.code, 2, r)
            self.assertIn("--limit", r.err)

    def test_keys_is_refused(self):
        r = self.run_cli("kv", "list", "--namespace", "demo", "--keys", "a,b")
        self.assertEqual(r.code, 2, r)
        self.assertIn("--keys", r.err)


class Progress(CliTest):
    emulator_args = ["--seed-namespace", "demo", "--seed-keys", "100000", "--seed-prefix", "user/",
                     "--seed-shape", "uuid", "--latency", "60"]

    def test_progress_json_carries_the_bar_fields_and_the_rate_agrees_with_the_summary(self):
        r = self.ok("kv", "delete", "--namespace", "demo", "--prefix", "user/", "--yes", "--progress", "json")
        events = [json.loads(line) for line in r.err.splitlines() if line.startswith("{")]
        self.assertTrue(events)
        for field in ["average_rate", "estimated_scan", "rate_wait_s", "eta_s", "total", "scanned"]:
            self.assertIn(field, events[-1])
        # The sharded listing estimates the job's size once it has scouted: the bar shows it before the end.
        self.assertTrue(any(e["estimated_scan"] for e in events if not e["finished"]), events[:5])
        summary = re.search(r"Deleted 100,000 keys in ([\d.:]+ s|[\d:]+) \(([\d,]+)/s\)", r.err)
        self.assertIsNotNone(summary, r.err)
        last = events[-1]
        self.assertTrue(last["finished"])
        self.assertAlmostEqual(last["average_rate"], 100000 / last["elapsed_s"], delta=last["average_rate"] * 0.05)
        self.assertAlmostEqual(int(summary.group(2).replace(",", "")), last["average_rate"],
                               delta=last["average_rate"] * 0.1)

    def test_bar_on_a_terminal(self):
        r = self.run_in_pty("kv", "delete", "--namespace", "demo", "--prefix", "user/", "--yes", "--list-shards", "1")
        self.assertEqual(r.code, 0, r)
        # One chain: no estimate, so the bar says it is counting (never a made-up total).
        self.assertIn("counting", r.out)
        self.assertIn("Deleted 100,000 keys", r.out)


class RateWait(CliTest):
    # 12 requests per 30 s (3 s with --time-scale 10): the client learns the limit from a 429's Retry-After and waits.
    emulator_args = ["--seed-namespace", "demo", "--seed-keys", "3000", "--seed-prefix", "user/",
                     "--rate-limit", "12/30", "--lockout", "30", "--time-scale", "10"]

    def test_the_bar_says_when_it_waits_for_the_rate_limit(self):
        r = self.ok("kv", "delete", "--namespace", "demo", "--prefix", "user/", "--yes", "--progress", "json",
                    "--list-shards", "1", "--batch-size", "100", timeout=300)
        events = [json.loads(line) for line in r.err.splitlines() if line.startswith("{")]
        waits = [e["rate_wait_s"] for e in events if e["rate_wait_s"]]
        self.assertTrue(waits, "no event said it was waiting on the rate limit")
        self.assertLessEqual(max(waits), 3.5)  # never more than the (scaled) window
        self.assertEqual(self.emu.keys(self.emu.ns("demo")), [])


class WranglerSpellings(CliTest):
    def test_kv_put_key_value_positional(self):
        self.ok("kv", "put", "--namespace", "demo", "greeting", "hello")
        self.assertEqual(self.emu.value(self.emu.ns("demo"), "greeting"), b"hello")

    def test_ttl_metadata_and_path(self):
        path = self.write("v.txt", "from a file")
        self.ok("kv", "put", "--namespace", "demo", "k1", "--path", path, "--ttl", "3600", "--metadata", '{"a":1}')
        self.assertEqual(self.emu.value(self.emu.ns("demo"), "k1"), b"from a file")
        got = self.ok("kv", "get", "--namespace", "demo", "--key", "k1", "--metadata", "--json").json()
        self.assertEqual(got["metadata"], {"a": 1})
        self.assertIn("expiration", got)

    def test_the_key_or_value_given_twice_is_refused(self):
        r = self.run_cli("kv", "put", "--namespace", "demo", "k", "v", "--key", "other")
        self.assertEqual(r.code, 2, r)
        self.assertIn("given twice", r.err)
        r = self.run_cli("kv", "put", "--namespace", "demo", "k", "v", "--value", "w")
        self.assertEqual(r.code, 2, r)
        self.assertIn("given twice", r.err)
        self.assertIsNone(self.emu.value(self.emu.ns("demo"), "k"))


if __name__ == "__main__":
    import unittest
    unittest.main()
