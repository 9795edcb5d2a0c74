"""Purge at the plan's bound without being told the plan, and failures that cost rounds, not keys: the real CLI
against the real emulator (issue 15). Purge buckets are never time-scaled here: the client paces them from the
documented plan limits, as it must at Cloudflare."""

import json

from cli_harness import CliTest


def purges_by_zone(purges):
    out = {}
    for p in purges:
        out.setdefault(p["zone"], []).append(p["count"])
    return out


class ProZoneWithoutPlan(CliTest):
    emulator_args = ["--zone", "example.com", "--plan", "pro"]

    def test_the_plan_comes_from_the_zone_object(self):
        urls = "".join(f"https://example.com/a/{i}\n" for i in range(5000))
        out = self.ok("cache", "purge", "files", "--files-list", self.write("u.txt", urls), "--yes", "--json",
                      "--progress", "none", timeout=120).json()
        self.assertEqual(out["done"], 5000)
        self.assertEqual(out["zones"][0]["plan"], "pro")
        self.assertEqual(out["zones"][0]["per_request"], 100)
        stats = self.emu.stats()
        self.assertNotIn("400", stats["by_status"])  # before: 70 refused calls ("at most 100 files")
        self.assertEqual(stats["rate_limited"], 0)
        self.assertEqual(sorted(set(purges_by_zone(self.emu.purges())["example.com"])), [100])
        self.assertEqual(stats["requests"], 51)  # the zones listing, then 50 purges

    def test_a_wrong_plan_learns_the_cap_from_the_first_refusal(self):
        urls = "".join(f"https://example.com/b/{i}\n" for i in range(3000))
        out = self.ok("--plan", "enterprise", "cache", "purge", "files", "--files-list", self.write("u.txt", urls),
                      "--zone", "example.com", "--yes", "--json", "--progress", "none", timeout=120).json()
        self.assertEqual(out["done"], 3000)
        self.assertEqual(out["failed"], 0)
        refused = self.emu.stats()["by_status"].get("400", 0)
        self.assertGreaterEqual(refused, 1)
        self.assertLessEqual(refused, 6)  # the calls sent before the first answer; then everything is re-cut
        counts = purges_by_zone(self.emu.purges())["example.com"]
        self.assertEqual(sorted(set(counts)), [100])  # never halved to 250, 125, 62
        self.assertTrue(any("100 files per request" in n for n in out["notes"]), out)

    def test_duplicates_are_purged_once_and_counted(self):
        r = self.ok("cache", "purge", "files", "https://example.com/x", "https://example.com/y", "https://example.com/x",
                    "--zone", "example.com", "--yes")
        self.assertIn("1 item given more than once", r.err + r.out)
        items = [i for p in self.emu.purges() for i in p["items"]]
        self.assertEqual(sorted(items), ["https://example.com/x", "https://example.com/y"])
        out = self.ok("cache", "purge", "tags", "--tags", "a,b,a,a", "--zone", "example.com", "--yes", "--json").json()
        self.assertEqual((out["done"], out["duplicates"]), (2, 2))
        dry = self.ok("cache", "purge", "hosts", "--hosts", "A.example.com,a.example.com", "--dry-run", "--json").json()
        self.assertEqual((dry["done"], dry["duplicates"], dry["scanned"]), (1, 1, 2))  # host names ignore case


class ZonesOfTwoPlans(CliTest):
    emulator_args = ["--zone", "free.example:free", "--zone", "example.com:enterprise"]

    def test_each_zone_is_paced_and_cut_by_its_own_plan(self):
        urls = "".join(f"https://free.example/{i}\n" for i in range(1000))
        urls += "".join(f"https://example.com/{i}\n" for i in range(6000))
        out = self.ok("cache", "purge", "files", "--files-list", self.write("u.txt", urls), "--yes", "--json",
                      "--progress", "none", timeout=120).json()
        self.assertEqual(out["done"], 7000)
        plans = {z["name"]: (z["plan"], z["per_request"]) for z in out["zones"]}
        self.assertEqual(plans, {"free.example": ("free", 100), "example.com": ("enterprise", 500)})
        by_zone = purges_by_zone(self.emu.purges())
        self.assertEqual(max(by_zone["free.example"]), 100)
        self.assertEqual(max(by_zone["example.com"]), 500)
        stats = self.emu.stats()
        self.assertEqual(stats["rate_limited"], 0)
        self.assertNotIn("400", stats["by_status"])

    def test_the_emulator_refuses_an_unknown_plan_for_a_zone(self):
        import subprocess
        from cli_harness import BINARY
        r = subprocess.run([BINARY, "emulator", "--port", "0", "--zone", "x.example:platinum"], capture_output=True,
                           text=True, timeout=30)
        self.assertEqual(r.returncode, 2)
        self.assertIn("platinum", r.stderr)


class PoisonedPrefix(CliTest):
    # 3,000 keys; the 1,000 under old/0000 always fail (unsuccessful_keys in every bulk delete).
    emulator_args = ["--seed-namespace", "p", "--seed-keys", "3000", "--seed-prefix", "old/", "--fault-poison-prefix",
                     "old/0000", "--time-scale", "100"]

    def test_keys_that_never_succeed_cost_rounds_not_requests_per_key(self):
        r = self.run_cli("kv", "delete", "--namespace", "p", "--prefix", "old/", "--yes", "--json", "--progress",
                         "none", timeout=120)
        self.assertEqual(r.code, 3, r)
        out = r.json()
        self.assertEqual((out["done"], out["failed"]), (2000, 1000))
        self.assertTrue(all(f["item"].startswith("old/0000") for f in out["failures"]))
        # before: 7,004 requests. Now: the namespace lookup, 3 list pages, 1 bulk delete, 7 rounds of the 1,000.
        self.assertLessEqual(self.emu.stats()["requests"], 5 + 2 * 8)
        self.assertEqual(sorted(self.emu.keys(self.emu.ns("p"))), [f"old/{i:07d}" for i in range(1000)])
