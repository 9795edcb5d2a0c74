"""Standard input and output in real shell pipelines: `-` works for every file input (read once, streamed to a spool
file the preview, the checking pass, the run and a resume all read), stdout carries only data (an export's NDJSON, a
listing, a --json document) and every message goes to stderr.

Every pipeline here runs through `bash -c` with `|` (a pipe, never a redirect from a file, which would be seekable).
"""

import json
import os
import shlex
import signal
import subprocess
import unittest

from cli_harness import BINARY, CliTest, Result


class Pipes(CliTest):
    emulator_args = ["--seed-namespace", "demo", "--seed-keys", "300", "--seed-prefix", "user/",
                     "--zone", "example.com", "--time-scale", "100"]

    def sh(self, pipeline, timeout=120):
        """Runs a shell pipeline; `ckp` in it is the CLI. Returns the Result of the whole pipeline."""
        script = "set -o pipefail; ckp() { %s \"$@\"; }; %s" % (shlex.quote(os.path.abspath(BINARY)), pipeline)
        proc = subprocess.Popen(["bash", "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env=self.env(), stdin=subprocess.DEVNULL, start_new_session=True)
        out, err = proc.communicate(timeout=timeout)
        return Result(proc, out, err)

    def sh_ok(self, pipeline, **kw):
        r = self.sh(pipeline, **kw)
        self.assertEqual(r.code, 0, r)
        return r

    def purged(self, kind):
        """Every item purged by the emulator's recorded purges of this type (files, tags, hosts, prefixes)."""
        return sorted(x for p in self.emu.purges() if p["type"] == kind for x in p["items"])

    def test_tags_file_from_a_pipe_purges_every_tag(self):
        # Was: "Purged 0 tags", exit 0 (the checking pass read the pipe; the run found it empty).
        r = self.sh_ok("printf 't1\\nt2\\n' | ckp cache purge tags --zone example.com --tags-file - --yes")
        self.assertEqual(self.purged("tags"), ["t1", "t2"])
        self.assertEqual(r.out, "")  # the summary is a message: stderr
        self.assertIn("Purged 2", r.err)

    def test_files_list_from_a_pipe_keeps_the_first_byte(self):
        # Was: "ttps://…" (the format sniff read a byte and could not seek back on a pipe).
        self.sh_ok("printf 'https://example.com/a\\nhttps://example.com/b\\n' | "
                   "ckp cache purge files --files-list - --yes")
        self.assertEqual(self.purged("files"), ["https://example.com/a", "https://example.com/b"])

    def test_a_json_array_from_a_pipe(self):
        self.sh_ok("printf '  [\"https://example.com/x\"]' | ckp cache purge files --files-list - --yes")
        self.assertEqual(self.purged("files"), ["https://example.com/x"])

    def test_keys_at_stdin_reads_exact_names(self):
        self.emu.api("PUT", f"/accounts/{self.emu.account}/storage/kv/namespaces/{self.emu.ns('demo')}/values/bin",
                     "binary-ish", content_type="application/octet-stream")
        # Was: looked up "in" for "bin".
        r = self.sh_ok("printf 'bin\\n' | ckp kv get --namespace demo --bulk --keys @- --json")
        got = json.loads(r.out)
        self.assertEqual(got["keys"][0]["name"] if isinstance(got, dict) else got[0]["name"], "bin")

    def test_kv_delete_keys_file_from_a_pipe(self):
        # Was: deleted 0.
        names = self.emu.keys(self.emu.ns("demo"))[::3]
        r = self.sh_ok("printf '%s\\n' " + " ".join(shlex.quote(n) for n in names) +
                       " | ckp kv delete --namespace demo --keys-file - --yes")
        self.assertEqual(r.out, "")
        left = set(self.emu.keys(self.emu.ns("demo")))
        self.assertEqual(len(left), 300 - len(names))
        self.assertFalse(left & set(names))
        # The job keeps its copy of standard input beside its journal (for a resume); no stray spool file is left.
        files = os.listdir(self.jobs_dir())
        self.assertEqual(len([f for f in files if f.endswith(".stdin")]), 1, files)
        self.assertEqual([f for f in files if f.startswith("stdin-")], [])

    def test_reviewed_selection_through_a_pipe(self):
        # The dry run's selection (exact JSON on stdout) is what the delete reads from its stdin.
        r = self.sh_ok("ckp kv delete --namespace demo --prefix user/000001 --dry-run --save-keys - "
                       "| ckp kv delete --namespace demo --keys-file - --yes")
        self.assertEqual(r.out, "")
        left = self.emu.keys(self.emu.ns("demo"))
        self.assertEqual(len(left), 290)  # user/0000010 … user/0000019
        self.assertFalse([k for k in left if k.startswith("user/000001")])

    def test_dry_run_from_a_pipe_leaves_no_spool_file(self):
        r = self.sh_ok("printf 'user/0000001\\nuser/0000002\\n' | ckp kv delete --namespace demo --keys-file - --dry-run")
        self.assertIn("would delete 2 keys", r.err)
        self.assertEqual(len(self.emu.keys(self.emu.ns("demo"))), 300)
        if os.path.isdir(self.jobs_dir()):
            self.assertEqual(os.listdir(self.jobs_dir()), [])

    def test_export_to_stdout_imports_from_stdin(self):
        status, body = self.emu.api("POST", f"/accounts/{self.emu.account}/storage/kv/namespaces", '{"title": "copy"}')
        self.assertEqual(status, 200, body)
        copy = json.loads(body)["result"]["id"]
        # Was: "Exported N keys…" inside the NDJSON (even with -q), so the import failed.
        r = self.sh_ok("ckp kv export --namespace demo -o - | ckp kv import --namespace copy --file - --yes")
        self.assertEqual(r.out, "")
        self.assertIn("Exported 300 keys", r.err)
        self.assertIn("Wrote 300", r.err)
        self.assertEqual(sorted(self.emu.keys(copy)), sorted(self.emu.keys(self.emu.ns("demo"))))
        self.assertEqual(self.emu.value(copy, "user/0000007"), self.emu.value(self.emu.ns("demo"), "user/0000007"))

    def test_export_to_stdout_is_only_ndjson_even_without_quiet(self):
        r = self.sh_ok("ckp kv export --namespace demo -o - | cat")
        lines = r.out.splitlines()
        self.assertEqual(len(lines), 300)
        for line in lines:
            json.loads(line)

    def test_quiet_silences_summaries_but_not_errors(self):
        r = self.sh_ok("ckp kv export --namespace demo -o - -q | wc -l")
        self.assertEqual(r.out.strip(), "300")
        self.assertEqual(r.err, "")
        r = self.sh("printf 'user/0000001\\n' | ckp kv delete --namespace nope --keys-file - --yes -q")
        self.assertNotEqual(r.code, 0)
        self.assertIn("error:", r.err)

    def test_kv_put_value_from_a_pipe_byte_for_byte(self):
        self.sh_ok("printf 'a\\000b\\377\\n' | ckp kv put --namespace demo --key raw --file -")
        self.assertEqual(self.emu.value(self.emu.ns("demo"), "raw"), b"a\x00b\xff\n")
        r = self.sh_ok("ckp kv get --namespace demo --key raw --file - | od -An -tx1")
        self.assertEqual(r.out.split(), ["61", "00", "62", "ff", "0a"])

    def test_zone_list_from_a_pipe(self):
        self.sh_ok("printf 'example.com\\n' | ckp cache purge tags --zone-list - --tags x --yes")
        self.assertEqual(self.purged("tags"), ["x"])

    def test_an_input_with_no_items_is_refused_not_hung(self):
        # Was: a purge of an empty list (a file or a pipe) waited forever (no zone, so no room to read the end).
        empty = self.write("empty.txt", "")
        for pipeline in ["printf '' | ckp cache purge files --files-list - --yes",
                         "printf '# a comment\\n\\n' | ckp cache purge tags --zone example.com --tags-file - --yes",
                         "ckp cache purge files --files-list %s --yes" % shlex.quote(empty)]:
            r = self.sh(pipeline, timeout=60)
            self.assertEqual(r.code, 2, r)
            self.assertIn("nothing to purge", r.err)
            self.assertNotIn(".stdin", r.err)  # standard input is called that, not by its copy's path
        self.assertEqual(self.emu.purges(), [])
        if os.path.isdir(self.jobs_dir()):
            self.assertEqual(os.listdir(self.jobs_dir()), [])  # refused: no job, no copy left behind

    def test_two_inputs_cannot_both_be_stdin(self):
        r = self.sh("printf 'example.com\\n' | ckp cache purge files --zone-list - --files-list - --yes")
        self.assertEqual(r.code, 2, r)
        self.assertIn("both read standard input", r.err)
        self.assertEqual(self.emu.purges(), [])

    def test_json_errors_before_the_run_are_json_documents(self):
        r = self.sh("ckp kv delete --namespace demo --json --yes")  # no selection: refused before any request
        self.assertEqual(r.code, 2, r)
        doc = json.loads(r.out)
        self.assertEqual(doc["status"], "failed")
        self.assertEqual(doc["error"]["kind"], "invalid_input")
        self.assertIn("error:", r.err)
        r = self.sh("ckp kv list --namespace demo --json --no-such-flag")
        self.assertEqual(r.code, 2, r)
        self.assertEqual(json.loads(r.out)["status"], "failed")

    def test_failure_prints_no_success_shaped_summary(self):
        r = self.sh("printf 'https://unknown.example.org/a\\n' | ckp cache purge files --files-list - --yes")
        self.assertNotEqual(r.code, 0, r)
        self.assertNotIn("Purged 0", r.err + r.out)
        self.assertIn("error:", r.err)

    def test_single_key_and_bulk_results_share_a_stream(self):
        one = self.sh_ok("ckp kv delete --namespace demo --key user/0000005 --yes")
        many = self.sh_ok("ckp kv delete --namespace demo --keys user/0000006,user/0000007 --yes")
        self.assertEqual((one.out, many.out), ("", ""))
        self.assertIn("user/0000005", one.err)
        self.assertIn("Deleted 2", many.err)


class ConfirmOnTheTerminal(CliTest):
    def test_the_question_is_asked_on_the_terminal_when_stdin_is_the_data(self):
        """`... | kv delete --keys-file -` without --yes: the keys come from the pipe, the answer from the terminal."""
        import fcntl
        import pty
        import select
        import termios
        names = self.emu.keys(self.emu.ns("demo"))[:5]
        master, slave = pty.openpty()

        def on_the_terminal():  # a new session whose controlling terminal is the pty (as an interactive shell's)
            os.setsid()
            fcntl.ioctl(slave, termios.TIOCSCTTY, 0)

        proc = subprocess.Popen([BINARY, "kv", "delete", "--namespace", "demo", "--keys-file", "-"],
                                stdin=subprocess.PIPE, stdout=slave, stderr=slave, env=self.env(),
                                preexec_fn=on_the_terminal)
        os.close(slave)
        proc.stdin.write("".join(n + "\n" for n in names).encode())
        proc.stdin.close()
        seen = b""
        try:
            while b"[y/N]" not in seen:
                ready, _, _ = select.select([master], [], [], 30)
                self.assertTrue(ready, seen)
                seen += os.read(master, 4096)
            self.assertIn(b"About to delete", seen)
            self.assertEqual(len(self.emu.keys(self.emu.ns("demo"))), 1000)  # nothing before the answer
            os.write(master, b"y\n")
            self.assertEqual(proc.wait(timeout=60), 0)
        finally:
            os.close(master)
        self.assertEqual(len(self.emu.keys(self.emu.ns("demo"))), 995)
        self.assertFalse(set(names) & set(self.emu.keys(self.emu.ns("demo"))))

    def test_without_a_terminal_it_refuses(self):
        r = self.sh("printf 'user/0000001\\n' | ckp kv delete --namespace demo --keys-file -")
        self.assertEqual(r.code, 2, r)
        self.assertIn("no terminal to ask on", r.err)
        self.assertEqual(len(self.emu.keys(self.emu.ns("demo"))), 1000)

    sh = Pipes.sh


class StdinResume(CliTest):
    emulator_args = ["--seed-namespace", "big", "--seed-keys", "60000", "--latency", "15", "--time-scale", "100"]

    def test_a_job_fed_by_a_pipe_resumes_from_its_copy(self):
        names = self.emu.keys(self.emu.ns("big"))
        proc = subprocess.Popen([BINARY, "kv", "delete", "--namespace", "big", "--keys-file", "-", "--yes",
                                 "--batch-size", "100", "--concurrency", "4", "--progress", "json"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, env=self.env())
        proc.stdin.write("".join(n + "\n" for n in names))
        proc.stdin.close()
        proc.stdin = None  # closed: communicate() below has nothing to send
        for line in proc.stderr:
            if line.startswith("{") and json.loads(line)["done"] >= 5000:
                break
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
        self.assertEqual(proc.returncode, 130, out + err)
        job = err.split("cache-kv-purger jobs resume ")[1].split()[0]
        self.assertTrue(os.path.exists(os.path.join(self.jobs_dir(), job + ".stdin")))
        left = len(self.emu.keys(self.emu.ns("big")))
        self.assertGreater(left, 0)
        r = self.ok("jobs", "resume", job, "--json").json()
        self.assertEqual(r["status"], "completed")
        self.assertEqual(r["done"], 60000)
        self.assertEqual(self.emu.keys(self.emu.ns("big")), [])


if __name__ == "__main__":
    unittest.main()
