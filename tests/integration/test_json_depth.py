"""JSON nested far too deep, through the real binary and the real emulator.

A document nested 100,000 levels deep (200 KB of `[[[[…`) once crashed the CLI with a stack overflow: nlohmann's
parser is iterative, but serializing, validating and searching the parsed value recurse. Every parse of outside JSON
is now capped (api::max_json_depth in the CLI, a stricter emu::max_json_depth in the emulator); these tests make sure
each entry point refuses such input cleanly, names where it came from, and sends or stores nothing.
"""

import json
import unittest
import urllib.parse

from cli_harness import CliTest

DEEP = 100_000
# One command-line argument may not exceed 128 KiB on Linux (MAX_ARG_STRLEN), so flags get a shallower, still absurd,
# document.
DEEP_FLAG = 50_000


def arrays(n):
    return "[" * n + "]" * n


def objects(n):
    return '{"a":' * n + "1" + "}" * n


class JsonDepth(CliTest):
    def assert_refused(self, r, *needles):
        """Exit 2 (bad input), no crash, a short message containing each of @p needles."""
        self.assertEqual(r.code, 2, r if len(str(r)) < 4000 else f"exit {r.code}, stderr {r.err[:2000]!r}")
        self.assertIn("nested deeper than 128 levels", r.err)
        for needle in needles:
            self.assertIn(needle, r.err)
        self.assertLess(len(r.err), 4000, "the refusal must not echo the document")

    def test_kv_import_refuses_a_deep_line_naming_file_line_and_depth_and_writes_nothing(self):
        ns = self.emu.ns("demo")
        for name, deep_line in [("meta.ndjson", '{"key":"deep","value":"v","metadata":' + arrays(DEEP) + "}"),
                                ("value.ndjson", '{"key":"deep","value":' + objects(DEEP) + "}"),
                                ("bare.ndjson", arrays(DEEP))]:
            with self.subTest(name):
                path = self.write(name, '{"key":"first","value":"1"}\n' + deep_line + '\n{"key":"last","value":"3"}\n')
                writes = self.writes()
                r = self.run_cli("kv", "import", "--namespace", "demo", "--file", path)
                self.assert_refused(r, f"{path}:2: ")
                self.assertEqual(self.writes(), writes)
                self.assertIsNone(self.emu.value(ns, "first"))
                self.assertIsNone(self.emu.value(ns, "deep"))
        # The same element in a JSON array file (bulk-write reads both formats).
        path = self.write("arr.json", '[{"key":"first","value":"1"},\n{"key":"deep","value":' + arrays(DEEP) + "}]")
        writes = self.writes()
        r = self.run_cli("kv", "bulk-write", "--namespace", "demo", "--file", path)
        self.assert_refused(r, f"{path}:2: ")
        self.assertEqual(self.writes(), writes)
        # Nested records still import: the cap refuses only what is deeper (60 levels of metadata, inside the bulk
        # body's 2, stays within the emulator's own limit of 64).
        ok_line = json.dumps({"key": "at-limit", "value": arrays(10), "metadata": json.loads(arrays(60))})
        self.ok("kv", "import", "--namespace", "demo", "--file", self.write("fine.ndjson", ok_line + "\n"))
        self.assertEqual(self.emu.value(ns, "at-limit"), arrays(10).encode())

    def test_cache_purge_custom_body_file_nested_too_deep_is_a_usage_error(self):
        for name, body in [("deep-files.json", '{"files":' + arrays(DEEP) + "}"), ("deep-bare.json", arrays(DEEP)),
                           ("deep-object.json", objects(DEEP))]:
            with self.subTest(name):
                path = self.write(name, body)
                r = self.run_cli("cache", "purge", "custom", "--body-file", path, "--zone", "example.com", "--yes")
                self.assert_refused(r, path)
        r = self.run_cli("cache", "purge", "custom", "--body", '{"tags":' + arrays(DEEP_FLAG) + "}",
                         "--zone", "example.com", "--yes")
        self.assert_refused(r, "--body")
        tags = self.write("tags.json", arrays(DEEP))
        r = self.run_cli("cache", "purge", "tags", "--tags-file", tags, "--zone", "example.com", "--yes")
        self.assert_refused(r, tags)
        self.assertEqual(self.emu.purges(), [])

    def test_kv_put_metadata_json_nested_too_deep_is_a_usage_error(self):
        ns = self.emu.ns("demo")
        before = self.emu.stats()["requests"]
        for deep in [arrays(DEEP_FLAG), objects(DEEP_FLAG // 3)]:
            r = self.run_cli("kv", "put", "--namespace-id", ns, "--key", "k", "--value", "v", "--metadata-json", deep)
            self.assert_refused(r, "--metadata-json")
        self.assertEqual(self.emu.stats()["requests"], before)
        self.assertIsNone(self.emu.value(ns, "k"))

    def test_the_emulator_answers_a_deep_request_body_with_400_and_stays_up(self):
        ns = self.emu.ns("demo")
        base = f"/accounts/{self.emu.account}/storage/kv/namespaces/{ns}"
        writes = self.writes()
        deep_pairs = '[{"key":"k","value":"v","metadata":' + arrays(DEEP) + "}]"
        for method, path, body in [("PUT", base + "/bulk", deep_pairs),
                                   ("PUT", base + "/bulk", arrays(DEEP)),
                                   ("POST", base + "/bulk/delete", arrays(DEEP)),
                                   ("POST", base + "/bulk/get", '{"keys":' + arrays(DEEP) + "}"),
                                   ("DELETE", base + "/bulk", objects(DEEP))]:
            with self.subTest(f"{method} {path}"):
                status, text = self.emu.api(method, path, body)
                self.assertEqual(status, 400, text[:500])
                reply = json.loads(text)
                self.assertFalse(reply["success"])
                self.assertIsNone(self.emu.proc.poll(), "the emulator died")
        # Metadata in a multipart value write is parsed with the same cap.
        boundary = "xYzBoundary"
        form = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"value\"\r\n\r\nv\r\n"
                f"--{boundary}\r\nContent-Disposition: form-data; name=\"metadata\"\r\n\r\n{arrays(DEEP)}\r\n"
                f"--{boundary}--\r\n")
        status, text = self.emu.api("PUT", base + "/values/" + urllib.parse.quote("mp", safe=""), form,
                                    content_type=f"multipart/form-data; boundary={boundary}")
        self.assertEqual(status, 400, text[:500])
        self.assertIsNone(self.emu.proc.poll(), "the emulator died")
        self.assertEqual(self.writes(), writes)
        # Still serving, and still right.
        status, _ = self.emu.api("PUT", base + "/bulk", '[{"key":"after","value":"ok"}]')
        self.assertEqual(status, 200)
        self.assertEqual(self.emu.value(ns, "after"), b"ok")


if __name__ == "__main__":
    unittest.main()
