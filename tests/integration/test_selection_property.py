"""Property test of `kv delete` through the real CLI and the real emulator: for random key spaces (unicode, blanks,
tabs, '#', '%', '/', 512-byte names, near-duplicates, a prefix that is itself a key) and random combinations of
selection flags, either the command is refused and the store is unchanged, or the dry run's selection (--save-keys)
equals the keys the delete removes equals the intersection of every filter given — computed here independently.

The seed is fixed (CKP_PROPERTY_SEED, default below) and printed with every failure; CKP_PROPERTY_CASES sets the
number of cases."""

import json
import os
import random
import re
import unittest

from cli_harness import CliTest

SEED = int(os.environ.get("CKP_PROPERTY_SEED", "20261129"))
CASES = int(os.environ.get("CKP_PROPERTY_CASES", "400"))

STEMS = ["user/", "user", "user/ ", "user/\t", "#tag/", "%2F/", "a/b/", "ünï/", "日本/", "a b/", "x%/", "User/"]
METAS = [None, {"type": "image"}, {"type": "Image", "n": 42}, {"type": "page", "tags": ["Blue-Sky", "x"]},
         {"info": {"deep": ["BLUE-sky"]}}, {"n": 42, "flag": True}, {"type": None}]
PATTERNS = ["^user/[0-4]", "5", "[a-c]", "[0-9]{2}", " ", "#", "%", "\t", "L{3}", "[unclosed"]
SEARCHES = ["blue", "IMAGE", "42", "sky", "x", "true"]
FIELDS = ["type", "n", "tags", "flag"]
VALUES = ["", "image", "42", "true", "Image"]


def key_space(rng):
    keys = {}
    for _ in range(rng.randint(20, 90)):
        name = rng.choice(STEMS)
        kind = rng.randrange(5)
        if kind == 0:
            name += str(rng.randrange(1000))
        elif kind == 1:
            name += chr(ord("a") + rng.randrange(26))
        elif kind == 2:
            name += "L" * (509 - len(name.encode())) + str(rng.randrange(100))
        elif kind == 4:
            name += str(rng.randrange(10)) + rng.choice([" ", "#"])
        keys[name[:512]] = rng.choice(METAS)
    return keys


# --- the rule, stated independently of the engine ------------------------------------------------------------

def mentions(meta, needle):
    if isinstance(meta, dict):
        return any(mentions(v, needle) for v in meta.values())
    if isinstance(meta, list):
        return any(mentions(v, needle) for v in meta)
    if meta is None:
        return False
    text = meta if isinstance(meta, str) else json.dumps(meta)
    return needle.lower() in text.lower()


def field_is(meta, field, value):
    if not isinstance(meta, dict) or meta.get(field) is None:
        return False
    if value == "":
        return True
    v = meta[field]
    if isinstance(v, (dict, list)):
        return False
    return (v if isinstance(v, str) else json.dumps(v)) == value


def wanted(sel, name, meta):
    if not name.encode().startswith(sel.get("prefix", "").encode()):
        return False
    if sel.get("pattern") and not re.search(sel["pattern"].encode(), name.encode()):
        return False
    if sel.get("search") and not mentions(meta, sel["search"]):
        return False
    if sel.get("field") and not field_is(meta, sel["field"], sel.get("value", "")):
        return False
    return True


def refused(sel, sources, empty_flag):
    """Whether the rule refuses this combination (docs/commands.md, "Selecting keys")."""
    if empty_flag or len(sources) > 1:
        return True
    key_list = bool(sources)
    filters = any(sel.get(f) for f in ("prefix", "pattern", "search", "field"))
    if not key_list and not filters and not sel.get("all_keys"):
        return True
    if sel.get("value") and not sel.get("field"):
        return True
    if sel.get("pattern") == "[unclosed":
        return True
    if key_list:
        return bool(sel.get("all_keys") or sel.get("search") or sel.get("field"))
    return bool(sel.get("all_keys") and filters)


class SelectionProperty(CliTest):
    emulator_args = ["--rate-limit", "0/1"]

    def namespace(self, title, keys):
        status, body = self.emu.api("POST", f"/accounts/{self.emu.account}/storage/kv/namespaces",
                                    json.dumps({"title": title}))
        self.assertEqual(status, 200, body)
        ns = json.loads(body)["result"]["id"]
        pairs = [{"key": k, "value": "v", **({"metadata": m} if m is not None else {})} for k, m in keys.items()]
        status, body = self.emu.api("PUT", f"/accounts/{self.emu.account}/storage/kv/namespaces/{ns}/bulk",
                                    json.dumps(pairs))
        self.assertEqual(status, 200, body)
        return ns

    def test_refused_or_dry_run_set_equals_deleted_set_equals_the_intersection(self):
        rng = random.Random(SEED)
        tally = {"refused": 0, "listing": 0, "key list": 0}
        for case in range(CASES):
            with self.subTest(seed=SEED, case=case):
                self.one_case(rng, case, tally)
        print(f"\n[property] kv delete selection: {CASES} cases (seed {SEED}): {tally['listing']} listings, "
              f"{tally['key list']} key lists, {tally['refused']} refused")
        self.assertGreater(tally["refused"], CASES // 10)
        self.assertGreater(tally["listing"], CASES // 5)
        self.assertGreater(tally["key list"], CASES // 20)

    def one_case(self, rng, case, tally):
        keys = key_space(rng)
        ns = self.namespace(f"p{case}", keys)
        names = sorted(keys)
        sel, args, sources, empty_flag = {}, [], [], False

        def chance(p):
            return rng.random() < p

        if chance(0.45):
            name = rng.choice(names)
            sel["prefix"] = name[:rng.randint(1, min(len(name), 8))]
        if chance(0.25):
            sel["pattern"] = rng.choice(PATTERNS)
        if chance(0.25):
            sel["search"] = rng.choice(SEARCHES)
        if chance(0.25):
            sel["field"], sel["value"] = rng.choice(FIELDS), rng.choice(VALUES)
        elif chance(0.04):
            sel["value"] = "image"
        if chance(0.1):
            sel["all_keys"] = True
        for flag, field in (("--prefix", "prefix"), ("--pattern", "pattern"), ("--search", "search"),
                            ("--tag-field", "field")):
            if field in sel:
                args += [flag, sel[field]]
        if sel.get("value"):
            args += ["--tag-value", sel["value"]]
        if sel.get("all_keys"):
            args.append("--all-keys")
        listed = [n for n in names if chance(0.3)] + ["not/there"]
        roll = rng.random()
        if roll < 0.12:
            sources.append(("--key", rng.choice(names + ["not/there"])))
        elif roll < 0.24:
            sources.append(("--keys-file", listed))
        elif roll < 0.28:
            sources += [("--key", names[0]), ("--keys-file", listed)]
        for flag, value in sources:
            if flag == "--key":
                args += ["--key", value]
            else:
                path = self.write(f"keys{case}.json", json.dumps(value))
                args += ["--keys-file", path]
        if chance(0.05):
            args += [rng.choice(["--prefix", "--pattern", "--search", "--tag-field", "--key"]), ""]
            empty_flag = True
        if chance(0.2):
            args.append("--bulk")
        if chance(0.3):
            args += ["--batch-size", str(rng.randint(1, 50))]

        before = sorted(self.emu.keys(ns))
        saved = os.path.join(self.home, f"sel{case}.json")
        dry = self.run_cli("kv", "delete", "--namespace-id", ns, *args, "--dry-run", "--save-keys", saved, "--json")
        context = f"seed {SEED} case {case}: kv delete {args!r}"
        if refused(sel, sources, empty_flag):
            tally["refused"] += 1
            self.assertEqual(dry.code, 2, f"{context} should be refused\n{dry}")
            real = self.run_cli("kv", "delete", "--namespace-id", ns, *args, "--yes")
            self.assertEqual(real.code, 2, f"{context} should be refused\n{real}")
            self.assertEqual(sorted(self.emu.keys(ns)), before, context)
            return
        self.assertEqual(dry.code, 0, f"{context}\n{dry}")
        if sources:
            tally["key list"] += 1
            flag, value = sources[0]
            candidates = [value] if flag == "--key" else value
            expected = {k for k in candidates if wanted(sel, k, None)}
        else:
            tally["listing"] += 1
            expected = {k for k, m in keys.items() if sel.get("all_keys") or wanted(sel, k, m)}
        with open(saved, encoding="utf-8") as f:
            selection = json.load(f)
        self.assertEqual(sorted(selection), sorted(expected), context)
        self.assertEqual(dry.json()["done"], len(expected), context)
        self.assertEqual(sorted(self.emu.keys(ns)), before, f"{context}: a dry run changed the store")

        real = self.run_cli("kv", "delete", "--namespace-id", ns, *args, "--yes", "--json")
        self.assertEqual(real.code, 0, f"{context}\n{real}")
        deleted = set(before) - set(self.emu.keys(ns))
        self.assertEqual(sorted(deleted), sorted(expected & set(keys)), context)


if __name__ == "__main__":
    unittest.main()
