"""The CLI for everyday use (issue 18, items 3, 10 and 11): mistakes get "Did you mean", `help COMMAND`, a repeated
--zone points to --zones; shell completion (bash, run for real) of commands, global flags after a command, file names,
choice values and — from the emulator — namespace titles and zone names; colour on a terminal only, and never in
--json output."""

import os
import subprocess
import tempfile
import time
import unittest

from cli_harness import BINARY, CliTest

RED_ERROR = "\x1b[1;31merror:"
ESC = "\x1b["


class Mistakes(CliTest):
    def usage_error(self, *args):
        r = self.run_cli(*args)
        self.assertEqual(r.code, 2, r)
        self.assertEqual(r.out, "", r)
        self.assertTrue(r.err.startswith("error: "), r)
        return r.err

    def test_unknown_commands_at_every_level_get_the_closest_and_the_list(self):
        err = self.usage_error("kv", "lst")
        self.assertIn("unknown command 'lst' for 'kv'. Did you mean 'list'?", err)
        self.assertIn("Commands: ", err)
        for cmd in ("list", "get", "put", "delete", "export"):
            self.assertIn(cmd, err.split("Commands: ")[1])
        self.assertIn("unknown command 'tag' for 'cache purge'. Did you mean 'tags'?",
                      self.usage_error("cache", "purge", "tag"))
        self.assertIn("unknown command 'zonse'. Did you mean 'zones'?", self.usage_error("zonse", "list"))
        self.assertIn("unknown command 'lsit' for 'jobs'. Did you mean 'list'?", self.usage_error("jobs", "lsit"))
        # Nothing close: the list only.
        err = self.usage_error("kv", "frobnicate")
        self.assertNotIn("Did you mean", err)
        self.assertIn("Commands: ", err)

    def test_a_command_that_needs_a_command_lists_them(self):
        err = self.usage_error("kv")
        self.assertIn("'kv' needs a command: ", err)
        self.assertIn("list", err)
        self.assertIn("'cache purge' needs a command: ", self.usage_error("cache", "purge"))

    def test_unknown_flags_get_the_closest_flag_of_the_command_or_a_global_one(self):
        err = self.usage_error("kv", "list", "--namespce", "demo")
        self.assertIn("unknown flag '--namespce' for 'kv list'. Did you mean '--namespace'?", err)
        self.assertIn("cache-kv-purger kv list --help", err)
        self.assertIn("Did you mean '--json'?", self.usage_error("kv", "list", "--namespace", "demo", "--jsn"))
        self.assertIn("Did you mean '--prefix'?", self.usage_error("kv", "list", "--namespace", "demo", "--prefx=a"))
        self.assertIn("unknown flag '--dry-rn' for 'cache purge everything'. Did you mean '--dry-run'?",
                      self.usage_error("cache", "purge", "everything", "--dry-rn"))
        self.assertIn("Did you mean '--verbosity'?", self.usage_error("--verbosty", "quiet", "zones", "list"))
        self.assertEqual(self.writes(), 0)

    def test_help_command(self):
        r = self.ok("help")
        self.assertIn("Usage:", r.out)
        self.assertIn("kv", r.out)
        r = self.ok("help", "kv", "list")
        self.assertEqual(r.out, self.ok("kv", "list", "--help").out)
        self.assertIn("--namespace", r.out)
        self.assertIn("kv list", r.out)
        self.assertEqual(self.ok("help", "cache", "purge", "tags").out, self.ok("cache", "purge", "tags", "--help").out)
        err = self.usage_error("help", "kv", "lst")
        self.assertIn("unknown command 'lst' for 'kv'. Did you mean 'list'?", err)
        self.assertIn("unknown command 'kb'. Did you mean 'kv'?", self.usage_error("help", "kb"))

    def test_a_repeated_zone_points_to_zones(self):
        err = self.usage_error("cache", "purge", "everything", "--zone", "example.com", "--zone", "shop.example.com",
                               "--yes")
        self.assertIn("--zone was given 2 times", err)
        self.assertIn("--zones", err)
        # The global -z/--zone (any command): the same, naming --zones.
        err = self.usage_error("-z", "example.com", "zones", "list", "--zone", "shop.example.com")
        self.assertIn("--zone was given 2 times", err)
        self.assertIn("--zones", err)
        self.assertEqual(self.emu.purges(), [])
        # --zones itself takes several.
        r = self.ok("cache", "purge", "everything", "--zones", "example.com", "--zones", "shop.example.com", "--yes",
                    "--json")
        self.assertEqual(r.json()["status"], "completed")


class Colour(CliTest):
    def test_errors_are_red_on_a_terminal(self):
        r = self.run_in_pty("kv", "lst")
        self.assertEqual(r.code, 2, r)
        self.assertIn(RED_ERROR, r.out)
        self.assertIn("Did you mean 'list'?", r.out)

    def test_no_color_and_color_never_turn_it_off(self):
        r = self.run_in_pty("kv", "lst", env=self.env(NO_COLOR="1"))
        self.assertEqual(r.code, 2, r)
        self.assertIn("error:", r.out)
        self.assertNotIn(ESC, r.out)
        r = self.run_in_pty("--color", "never", "kv", "lst")
        self.assertIn("error:", r.out)
        self.assertNotIn(ESC, r.out)
        r = self.run_in_pty("kv", "lst", env=self.env(TERM="dumb"))
        self.assertNotIn(ESC, r.out)
        # An empty NO_COLOR does not count.
        self.assertIn(RED_ERROR, self.run_in_pty("kv", "lst", env=self.env(NO_COLOR="")).out)

    def test_piped_output_has_no_colour_unless_always(self):
        r = self.run_cli("kv", "lst")
        self.assertNotIn(ESC, r.err)
        r = self.run_cli("kv", "lst", "--color", "always")
        self.assertTrue(r.err.startswith(RED_ERROR), r)
        r = self.run_cli("--color=always", "kv", "get", "--namespace", "demo", "no-such-key")
        self.assertNotEqual(r.code, 0)
        self.assertTrue(r.err.startswith(RED_ERROR), r)
        # --color always beats NO_COLOR (asked for by name); a bad value is refused.
        self.assertIn(RED_ERROR, self.run_cli("kv", "lst", "--color", "always", env=self.env(NO_COLOR="1")).err)
        self.assertEqual(self.run_cli("--color", "sometimes", "zones", "list").code, 2)

    def test_summary_line_is_green_on_a_terminal_and_json_is_never_painted(self):
        r = self.run_in_pty("kv", "delete", "--namespace", "demo", "--prefix", "user/00000", "--yes", "--progress", "none")
        self.assertEqual(r.code, 0, r)
        self.assertIn("\x1b[32mDeleted", r.out)
        r = self.run_cli("kv", "delete", "--namespace", "demo", "--prefix", "user/00001", "--yes", "--json",
                         "--color", "always")
        self.assertEqual(r.code, 0, r)
        self.assertNotIn(ESC, r.out)
        self.assertEqual(r.json()["status"], "completed")
        r = self.run_in_pty("kv", "list", "--namespace", "demo", "--prefix", "user/00002", "--json")
        self.assertNotIn(ESC, r.out)
        r = self.run_cli("kv", "list", "--namespace", "demo", "--prefix", "user/00003", "--color", "always")
        self.assertNotIn(ESC, r.out)  # data (a table of keys) is never painted
        self.assertIn("user/0000300", r.out)


class Completion(CliTest):
    def setUp(self):
        super().setUp()
        self.script = self.write("ckp.bash", self.ok("completion", "bash").out)

    def complete(self, *words, env=None):
        """COMPREPLY for a command line whose last word is the one being completed ("" for a new word)."""
        code = ('source "$CKP_SCRIPT"; COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 )); _cache_kv_purger; '
                'printf "%s\\n" "${COMPREPLY[@]}"')
        env = dict(env or self.env(), CKP_SCRIPT=self.script)
        r = subprocess.run(["bash", "-c", code, "bash", os.path.abspath(BINARY), *words], capture_output=True,
                           text=True, env=env, timeout=60, cwd=self.home)
        self.assertEqual(r.returncode, 0, r.stderr)
        return [w for w in r.stdout.split("\n") if w]

    def test_commands_at_each_level(self):
        self.assertIn("kv", self.complete("k"))
        self.assertEqual(set(self.complete("kv", "l")), {"list"})
        got = self.complete("kv", "")
        for cmd in ("list", "get", "put", "delete", "--json", "--zone"):
            self.assertIn(cmd, got)
        self.assertEqual(len(got), len(set(got)), got)
        self.assertEqual(set(self.complete("cache", "purge", "ta")), {"tags", "tags-batch"})
        self.assertEqual(set(self.complete("completion", "")) & {"bash", "zsh", "fish"}, {"bash", "zsh", "fish"})
        self.assertNotIn("__complete", self.complete("_"))

    def test_global_flags_after_a_command(self):
        got = self.complete("kv", "list", "--co")
        for flag in ("--color", "--config", "--concurrency"):
            self.assertIn(flag, got)
        self.assertIn("--namespace", self.complete("kv", "list", "--names"))
        self.assertIn("--json", self.complete("cache", "purge", "everything", "--js"))
        # Values of flags are not taken for commands: `--profile kv` is a profile named kv.
        self.assertIn("list", self.complete("--profile", "x", "kv", "li"))

    def test_file_flags_complete_file_names(self):
        self.write("keys-one.txt", "a\n")
        self.write("keys-two.json", "[]\n")
        self.assertEqual(set(self.complete("kv", "delete", "--keys-file", "keys-")), {"keys-one.txt", "keys-two.json"})
        self.assertIn("keys-one.txt", self.complete("--config", "keys"))
        self.assertIn("keys-one.txt", self.complete("kv", "export", "-o", "ke"))
        self.assertIn("keys-one.txt", self.complete("cache", "purge", "tags", "--tags-file", "k"))
        # cache purge files --file is a URL, not a file: no file names.
        self.assertEqual(self.complete("cache", "purge", "files", "--file", "keys"), [])

    def test_choice_flags_complete_their_values(self):
        self.assertEqual(set(self.complete("--plan", "")), {"auto", "free", "pro", "business", "enterprise"})
        self.assertEqual(set(self.complete("cache", "purge", "everything", "--plan", "b")), {"business"})
        self.assertEqual(set(self.complete("kv", "list", "--plan", "=", "")),
                         {"auto", "free", "pro", "business", "enterprise"})
        self.assertEqual(set(self.complete("kv", "list", "--color", "")), {"auto", "always", "never"})
        self.assertEqual(set(self.complete("--progress", "")), {"auto", "bar", "json", "none"})
        self.assertEqual(set(self.complete("--verbosity", "q")), {"quiet"})

    def test_namespace_titles_and_zone_names_from_the_emulator(self):
        self.emu.api("POST", f"/accounts/{self.emu.account}/storage/kv/namespaces", '{"title": "sessions"}')
        self.assertEqual(set(self.complete("kv", "list", "--namespace", "")), {"demo", "sessions"})
        self.assertEqual(self.complete("kv", "list", "--namespace", "se"), ["sessions"])
        self.assertEqual(set(self.complete("cache", "purge", "everything", "--zone", "")),
                         {"example.com", "shop.example.com"})
        self.assertEqual(self.complete("cache", "purge", "everything", "--zones", "example.com,sh"),
                         ["example.com,shop.example.com"])
        self.assertEqual(set(self.complete("-z", "")), {"example.com", "shop.example.com"})
        self.assertEqual(self.complete("emulator", "--zone", ""), [])  # the emulator's own zones: NAME=ID
        # Without credentials (or with an API that does not answer): nothing, quickly.
        no_creds = self.env(CLOUDFLARE_API_TOKEN=None)
        self.assertEqual(self.complete("kv", "list", "--namespace", "", env=no_creds), [])
        started = time.monotonic()
        dead = self.env(CLOUDFLARE_API_BASE_URL="http://127.0.0.1:9/client/v4")
        self.assertEqual(self.complete("kv", "list", "--namespace", "", env=dead), [])
        self.assertLess(time.monotonic() - started, 20)

    def test_the_hidden_names_command(self):
        r = self.ok("__complete", "namespaces")
        self.assertEqual(r.out.split(), ["demo"])
        self.assertEqual(r.err, "")
        self.assertEqual(sorted(self.ok("__complete", "zones").out.split()), ["example.com", "shop.example.com"])
        r = self.ok("__complete", "namespaces", env=self.env(CLOUDFLARE_API_TOKEN=None))
        self.assertEqual((r.out, r.err), ("", ""))
        r = self.ok("__complete", "zones", env=self.env(CLOUDFLARE_API_TOKEN="wrong-token-0123456789"))
        self.assertEqual((r.out, r.err), ("", ""))
        self.assertNotIn("__complete", self.ok("tree").out)
        self.assertNotIn("__complete", self.ok("--help").out)

    def test_zsh_and_fish_scripts(self):
        zsh = self.ok("completion", "zsh").out
        self.assertIn("bashcompinit", zsh)
        self.assertIn("__complete", zsh)
        fish = self.ok("completion", "fish").out
        self.assertIn("-l color -x -a 'auto always never'", fish)
        self.assertIn("-l keys-file -r -F", fish)
        self.assertIn("__complete namespaces", fish)


if __name__ == "__main__":
    unittest.main()
