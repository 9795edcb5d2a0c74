"""Configuration for everyday use (issue 18, items 4 and 9a), the real binary against the real emulator:

- the config file is TOML read by toml++: syntax errors name file:line:column, keys set twice are refused;
- `config set-defaults` edits the file in place: keys land in the right section of the first-run sample (still after
  its commented [staging] is uncommented), comments are kept, `--zone` is checked through the API;
- a profile chosen with --profile (or CKP_PROFILE) beats the environment for the values it sets, credentials included,
  and `config show` says which value won and why;
- the Go tool's ~/.cache-kv-purger.json: a one-time note on stderr on the first run, and `config import-go`, which
  never imports nor prints a credential.
"""

import json
import os
import stat
import unittest

from cli_harness import CliTest

OTHER_ACCOUNT = "f" * 32


class ConfigEveryday(CliTest):
    def config_path(self):
        return os.path.join(self.home, "config", "cache-kv-purger", "config.toml")

    def read_config(self):
        with open(self.config_path()) as f:
            return f.read()

    def write_config(self, text):
        os.makedirs(os.path.dirname(self.config_path()), exist_ok=True)
        with open(self.config_path(), "w") as f:
            f.write(text)
        os.chmod(self.config_path(), 0o600)

    # --- profiles against the environment ---------------------------------------------------------------------

    def test_an_explicit_profile_beats_the_environment_and_config_show_says_why(self):
        self.write_config(f'[default]\naccount_id = "{"1" * 32}"\n\n'
                          f'[prod]\naccount_id = "{self.emu.account}"\napi_token_env = "PROD_TOKEN"\n')
        # The environment points at another account and holds a wrong token: with --profile prod, the profile wins.
        env = self.env(CLOUDFLARE_ACCOUNT_ID=OTHER_ACCOUNT, CLOUDFLARE_API_TOKEN="not-the-token",
                       PROD_TOKEN=self.emu.token)
        out = self.ok("--profile", "prod", "kv", "list", "--json", env=env).json()
        self.assertEqual([n["title"] for n in out], ["demo"])
        self.assertNotEqual(self.run_cli("kv", "list", "--json", env=env).code, 0)  # no profile: env wins, and fails
        # CKP_PROFILE chooses as --profile does.
        out = self.ok("kv", "list", "--json", env=dict(env, CKP_PROFILE="prod")).json()
        self.assertEqual([n["title"] for n in out], ["demo"])

        show = self.ok("--profile", "prod", "config", "show", "--json", env=env).json()
        self.assertEqual(show["profile_source"], "flag --profile")
        self.assertEqual(show["account_id"]["value"], self.emu.account)
        self.assertEqual(show["account_id"]["source"], "config [prod]")
        self.assertEqual(show["account_id"]["why"],
                         "beats env CLOUDFLARE_ACCOUNT_ID: profile [prod] was chosen by flag --profile")
        self.assertEqual(show["credentials"]["source"], "env PROD_TOKEN (config [prod])")
        self.assertIn("beats env CLOUDFLARE_API_TOKEN", show["credentials"]["why"])
        self.assertNotIn(self.emu.token, json.dumps(show))
        text = self.ok("--profile", "prod", "config", "show", env=env).out
        self.assertIn("Profile:     prod (chosen by flag --profile: its values beat the environment)", text)
        self.assertIn("account_id: config [prod] (line 5) beats env CLOUDFLARE_ACCOUNT_ID: profile [prod] was chosen "
                      "by flag --profile", text)
        self.assertNotIn(self.emu.token, text)

        # Without a profile, the environment wins over [default], and config show says that too.
        show = self.ok("config", "show", "--json", env=env).json()
        self.assertEqual(show["profile_source"], "default")
        self.assertEqual(show["account_id"]["source"], "env CLOUDFLARE_ACCOUNT_ID")
        self.assertIn("beats config [default] (line 2)", show["account_id"]["why"])
        self.assertIn("unless the profile is chosen with --profile", show["account_id"]["why"])
        # Only one level set it: no why.
        self.assertNotIn("why", show["plan"])
        # A flag beats the chosen profile.
        show = self.ok("--profile", "prod", "--account-id", "2" * 32, "config", "show", "--json", env=env).json()
        self.assertEqual(show["account_id"], {"value": "2" * 32, "source": "flag --account-id"})

    # --- the file: TOML, errors, edits ------------------------------------------------------------------------

    def test_syntax_errors_name_line_and_column_and_duplicate_keys_are_refused(self):
        path = self.write("bad.toml", '[default]\nplan = "pro"\nzone = "open\n')
        r = self.run_cli("--config", path, "kv", "list")
        self.assertEqual(r.code, 2, r)
        self.assertIn(path + ":3:13: ", r.err)
        path = self.write("dup.toml", '[default]\nplan = "pro"\nplan = "free"\n')
        r = self.run_cli("--config", path, "kv", "list")
        self.assertEqual(r.code, 2, r)
        self.assertIn(path + ":3:", r.err)
        self.assertIn("plan", r.err)
        path = self.write("twice.toml", 'plan = "pro"\n[default]\nplan = "free"\n')
        r = self.run_cli("--config", path, "kv", "list")
        self.assertEqual(r.code, 2, r)
        self.assertIn(path + ":3: plan is set twice for profile [default] (lines 1 and 3)", r.err)
        # Valid TOML written any way is read: quoted and dotted keys, literal and multi-line strings, inline tables.
        path = self.write("fancy.toml", "# comment\n"
                                        "\"plan\" = 'pro'\n"
                                        f"staging.account_id = \"{self.emu.account}\"\n"
                                        "qa = { timeout = 2.5, concurrency = 4 }\n"
                                        "[default]\n"
                                        "limit_algorithm = \"\"\"\nvegas\"\"\"\n")
        show = self.ok("--config", path, "config", "show", "--json").json()
        self.assertEqual(show["plan"]["value"], "pro")
        self.assertEqual(show["limit_algorithm"]["value"], "vegas")
        show = self.ok("--config", path, "--profile", "qa", "config", "show", "--json").json()
        self.assertEqual((show["timeout"]["value"], show["concurrency"]["value"]), ("2.5", "4"))
        out = self.ok("--config", path, "--profile", "staging", "kv", "list", "--json",
                      env=self.env(CLOUDFLARE_ACCOUNT_ID=OTHER_ACCOUNT)).json()
        self.assertEqual([n["title"] for n in out], ["demo"])

    def test_set_defaults_lands_in_the_right_section_of_the_sample_and_keeps_every_comment(self):
        self.ok("config", "init")
        sample = self.read_config()
        self.ok("config", "set-defaults", "--account-id", "1" * 32, "--plan", "pro")
        text = self.read_config()
        self.assertIn('\n[default]\naccount_id = "' + "1" * 32 + '"\nplan = "pro"\n# account_id = ', text)
        # Nothing else changed: take the two new lines out and the sample is back, byte for byte.
        self.assertEqual(text.replace('account_id = "' + "1" * 32 + '"\nplan = "pro"\n', "", 1), sample)
        self.assertEqual(stat.S_IMODE(os.stat(self.config_path()).st_mode), 0o600)
        # The user uncomments the sample's [staging]: the keys set above still belong to [default].
        for line in ("# [staging]\n", "# account_id = \"0123", "# api_token_env = "):
            at = text.rindex(line)
            text = text[:at] + text[at + 2:]
        self.write_config(text)
        env = self.env(CLOUDFLARE_ACCOUNT_ID=None)
        show = self.ok("config", "show", "--json", env=env).json()
        self.assertEqual(show["account_id"]["value"], "1" * 32)
        self.assertEqual(show["plan"]["value"], "pro")
        show = self.ok("--profile", "staging", "config", "show", "--json", env=env).json()
        self.assertEqual(show["account_id"]["value"], "0123456789abcdef0123456789abcdef")
        self.assertEqual(show["plan"]["source"], "default")  # a profile does not inherit from [default]
        # Editing again puts each key in its own section, and a replaced value keeps the comment after it.
        text = self.read_config().replace('plan = "pro"\n', 'plan = "pro"   # our plan\n')
        self.write_config(text)
        self.ok("config", "set-defaults", "--plan", "business", env=env)
        self.ok("--profile", "staging", "config", "set-defaults", "--timeout", "7", env=env)
        text = self.read_config()
        self.assertIn('plan = "business"   # our plan\n', text)
        self.assertTrue(text.endswith('api_token_env = "STAGING_CF_TOKEN"\ntimeout = "7"\n'), text)
        self.assertEqual(self.ok("config", "show", "--json", env=env).json()["timeout"]["source"], "default")

    def test_set_defaults_zone_is_checked_through_the_api_and_a_bad_one_saves_nothing(self):
        self.ok("config", "init")
        before = self.read_config()
        for zone in ("nope.example", "0123456789abcdef0123456789abcdef"):
            r = self.run_cli("config", "set-defaults", "--zone", zone, "--plan", "pro")
            self.assertNotEqual(r.code, 0, r)
            self.assertIn(f"--zone '{zone}'", r.err)
            self.assertIn("nothing was saved", r.err)
            self.assertEqual(self.read_config(), before)
        # Without credentials the zone cannot be checked: refused too.
        r = self.run_cli("config", "set-defaults", "--zone", "example.com", env=self.env(CLOUDFLARE_API_TOKEN=None))
        self.assertNotEqual(r.code, 0, r)
        self.assertEqual(self.read_config(), before)
        # A zone that exists is saved as its id, as `zones config` does.
        self.ok("config", "set-defaults", "--zone", "example.com")
        show = self.ok("config", "show", "--json").json()
        self.assertEqual(show["zone"], {"value": self.emu.zone("example.com"), "source": "config [default]"})
        self.ok("config", "set-defaults", "--zone", self.emu.zone("shop.example.com"))
        self.assertEqual(self.ok("config", "show", "--json").json()["zone"]["value"],
                         self.emu.zone("shop.example.com"))

    # --- the Go tool's config ---------------------------------------------------------------------------------

    def write_go_config(self, fields):
        path = os.path.join(self.home, ".cache-kv-purger.json")
        with open(path, "w") as f:
            json.dump(fields, f, indent=2)
        os.chmod(path, 0o600)
        return path

    def test_first_run_suggests_import_go_on_stderr_only_once(self):
        self.write_go_config({"api_endpoint": "https://api.cloudflare.com/client/v4", "default_zone": "example.com",
                              "account_id": self.emu.account, "cache_concurrency": 50, "multi_zone_concurrency": 10})
        r = self.ok("kv", "list", "--json")
        self.assertIn("cache-kv-purger config import-go", r.err)
        self.assertIn(".cache-kv-purger.json", r.err)
        self.assertNotIn("import-go", r.out)
        json.loads(r.out)  # stdout is still only the JSON
        self.assertNotIn("import-go", self.ok("kv", "list").err)  # once: the TOML file exists now

    def test_no_note_without_a_go_config_or_when_importing(self):
        self.assertNotIn("import-go", self.ok("kv", "list").err)
        os.remove(self.config_path())
        self.write_go_config({"default_zone": "example.com"})
        r = self.ok("config", "import-go")
        self.assertNotIn("Found the Go tool's configuration", r.err)

    def test_import_go_converts_zone_and_account_and_never_a_credential(self):
        secret = "SECRET-go-token-0123456789"
        self.write_go_config({"api_endpoint": "https://api.cloudflare.com/client/v4", "default_zone": "example.com",
                              "account_id": self.emu.account, "cache_concurrency": 50, "multi_zone_concurrency": 10,
                              "api_token": secret})
        r = self.ok("config", "import-go")
        self.assertIn(f"Imported account_id = {self.emu.account}, zone = example.com from", r.out)
        self.assertIn("[default]", r.out)
        self.assertIn("credentials in the file were not imported: export CLOUDFLARE_API_TOKEN", r.err)
        self.assertNotIn(secret, r.out + r.err)
        text = self.read_config()
        self.assertNotIn(secret, text)
        self.assertIn('[default]\naccount_id = "' + self.emu.account + '"\nzone = "example.com"\n', text)
        self.assertEqual(stat.S_IMODE(os.stat(self.config_path()).st_mode), 0o600)
        env = self.env(CLOUDFLARE_ACCOUNT_ID=None)
        show = self.ok("config", "show", "--json", env=env).json()
        self.assertEqual(show["account_id"], {"value": self.emu.account, "source": "config [default]"})
        self.assertEqual(show["zone"]["value"], "example.com")
        out = self.ok("kv", "list", "--json", env=env).json()  # the imported account works
        self.assertEqual([n["title"] for n in out], ["demo"])

        # Again: nothing changes. A value the profile sets differently is kept unless --force.
        self.ok("config", "import-go")
        self.assertEqual(self.read_config(), text)
        self.ok("config", "set-defaults", "--account-id", "1" * 32)
        r = self.ok("config", "import-go", "--json")
        out = r.json()
        self.assertEqual(out["kept"], {"account_id": "1" * 32})
        self.assertTrue(out["credentials_found"])
        self.assertNotIn(secret, r.out + r.err)
        self.assertIn('account_id = "' + "1" * 32 + '"', self.read_config())
        self.ok("config", "import-go", "--force")
        self.assertIn('account_id = "' + self.emu.account + '"', self.read_config())

    def test_import_go_from_a_file_into_a_profile_and_bad_files_refused(self):
        path = self.write("legacy.json", json.dumps({"default_zone": "shop.example.com", "account_id": "not-an-id",
                                                     "api_endpoint": "http://127.0.0.1:1/client/v4"}))
        r = self.ok("--profile", "legacy", "config", "import-go", "--file", path)
        self.assertIn("zone = shop.example.com", r.out)
        self.assertIn("account_id: not imported, it is not 32 hex characters", r.err)
        self.assertIn("api_endpoint 'http://127.0.0.1:1/client/v4': not imported", r.err)
        text = self.read_config()
        self.assertTrue(text.endswith('\n[legacy]\nzone = "shop.example.com"\n'), text)
        show = self.ok("--profile", "legacy", "config", "show", "--json").json()
        self.assertEqual(show["zone"]["value"], "shop.example.com")
        self.assertEqual(show["api_base_url"]["value"], self.emu.base_url)
        r = self.run_cli("config", "import-go", "--file", os.path.join(self.home, "absent.json"))
        self.assertEqual(r.code, 1, r)
        self.assertIn("cannot read", r.err)
        r = self.run_cli("config", "import-go", "--file", self.write("bad.json", "[1, 2]"))
        self.assertEqual(r.code, 2, r)
        self.assertIn("not a JSON object", r.err)


if __name__ == "__main__":
    unittest.main()
