// cli/kv_selection.hpp: the kv commands' selection flags — refusals of a selection given by mistake, the filters and
// key lists made of them, a selection in words, and the key list a dry run saves.

#include <doctest/doctest.h>

#include "cli/kv_selection.hpp"
#include "support.hpp"

using namespace ckp;
using namespace ckp::cli;

namespace {

/// A command with kv delete's selection flags, parsed from @p args.
struct DeleteLike {
  CLI::App app{"test"};
  KeySelectionFlags f;
  int batch_size = 0;

  explicit DeleteLike(std::vector<std::string> args, bool with_keys_file = true) {
    add_selection_flags(&app, f);
    add_key_batch_size_flag(&app, batch_size);
    if (with_keys_file) app.add_option("--keys-file", f.keys_file, "");
    app.add_flag("--all-keys", f.all_keys, "");
    test::parse(app, std::move(args));
  }
};

std::string usage_error(const std::function<void()>& f) {
  const auto [code, message] = test::cli_error_of(f);
  CHECK(code == (message.empty() ? -1 : exit_code::usage));
  return message;
}

}  // namespace

TEST_CASE("the selection flags, in the order the command tree shows them") {
  CLI::App app{"test"};
  KeySelectionFlags f;
  int batch_size = 0;
  add_selection_flags(&app, f);
  add_key_batch_size_flag(&app, batch_size);
  std::vector<std::string> names;
  for (const auto* o : app.get_options()) names.push_back(o->get_name());
  CHECK(names == std::vector<std::string>{"--help", "--key", "--keys", "--prefix", "--pattern", "--search",
                                          "--tag-field", "--tag-value", "--batch-size"});
  test::parse(app, {"--key", "k", "--keys", "a,b", "--prefix", "p/", "--pattern", "^x", "--search", "s", "--tag-field",
                    "tf", "--tag-value", "tv", "--batch-size", "500"});
  CHECK(f.key == "k");
  CHECK(f.keys == "a,b");
  CHECK(f.prefix == "p/");
  CHECK(f.pattern == "^x");
  CHECK(f.search == "s");
  CHECK(f.tag_field == "tf");
  CHECK(f.tag_value == "tv");
  CHECK(batch_size == 500);
  for (const char* bad : {"0", "10001"}) {
    CLI::App again{"test"};
    add_key_batch_size_flag(&again, batch_size);
    CHECK_THROWS_AS(test::parse(again, {"--batch-size", bad}), CLI::ValidationError);
  }
}

TEST_CASE("given(): a flag counts as given even with an empty value") {
  DeleteLike cmd({"--prefix", "", "--search", "x"});
  CHECK(given(cmd.app, "--prefix"));
  CHECK(given(cmd.app, "--search"));
  CHECK_FALSE(given(cmd.app, "--pattern"));
}

TEST_CASE("refuse_empty_selection_flags(): a filter given an empty value is refused, naming it") {
  CHECK(usage_error([] {
          DeleteLike cmd({"--prefix", ""});
          refuse_empty_selection_flags(cmd.app, cmd.f);
        }) == "--prefix was given an empty value (an unset shell variable?); an empty filter selects nothing and is "
              "refused: pass --all-keys to mean every key");
  for (const char* flag : {"--key", "--keys", "--keys-file", "--pattern", "--search", "--tag-field"}) {
    CHECK(usage_error([flag] {
            DeleteLike cmd({flag, ""});
            refuse_empty_selection_flags(cmd.app, cmd.f);
          }) == std::string(flag) + " was given an empty value (an unset shell variable?); an empty filter selects "
                                    "nothing and is refused");
  }
  // An empty --tag-value means "any value"; flags not given, or given a value, pass.
  CHECK(usage_error([] {
          DeleteLike cmd({"--tag-field", "f", "--tag-value", ""});
          refuse_empty_selection_flags(cmd.app, cmd.f);
        }) == "");
  CHECK(usage_error([] {
          DeleteLike cmd({"--prefix", "a/", "--search", "x"});
          refuse_empty_selection_flags(cmd.app, cmd.f);
        }) == "");
}

TEST_CASE("refuse_empty_flags() without the hint (sync purge)") {
  CHECK(usage_error([] {
          DeleteLike cmd({"--prefix", ""});
          refuse_empty_flags(cmd.app, {{"--prefix", &cmd.f.prefix}, {"--search", &cmd.f.search}}, false);
        }) == "--prefix was given an empty value (an unset shell variable?); an empty filter selects nothing and is "
              "refused");
  // The first one given empty, in the order listed.
  CHECK(usage_error([] {
          DeleteLike cmd({"--search", "", "--prefix", ""});
          refuse_empty_flags(cmd.app, {{"--search", &cmd.f.search}, {"--prefix", &cmd.f.prefix}}, true);
        }).rfind("--search was given", 0) == 0);
}

TEST_CASE("key_list_flag(): at most one of --key, --keys, --keys-file") {
  {
    DeleteLike cmd({"--prefix", "a"});
    CHECK(key_list_flag(cmd.app) == "");
  }
  {
    DeleteLike cmd({"--key", "k"});
    CHECK(key_list_flag(cmd.app) == "--key");
  }
  {
    DeleteLike cmd({"--keys", "a,b"});
    CHECK(key_list_flag(cmd.app) == "--keys");
  }
  {
    DeleteLike cmd({"--keys-file", "f.txt"});
    CHECK(key_list_flag(cmd.app) == "--keys-file");
  }
  {
    DeleteLike cmd({"--keys", "a"}, false);  // a command without --keys-file (kv get)
    CHECK(key_list_flag(cmd.app) == "--keys");
  }
  CHECK(usage_error([] {
          DeleteLike cmd({"--key", "k", "--keys", "a,b"});
          key_list_flag(cmd.app);
        }) == "--key and --keys both name keys; give the keys one way");
  CHECK(usage_error([] {
          DeleteLike cmd({"--keys-file", "f", "--keys", "a"});
          key_list_flag(cmd.app);
        }) == "--keys and --keys-file both name keys; give the keys one way");
}

TEST_CASE("selection_of(): every filter flag, as given") {
  DeleteLike cmd({"--prefix", "p/", "--pattern", "x$", "--search", "s", "--tag-field", "f", "--tag-value", "v"});
  const auto s = selection_of(cmd.f);
  CHECK(s.prefix == "p/");
  CHECK(s.pattern == "x$");
  CHECK(s.search == "s");
  CHECK(s.field == "f");
  CHECK(s.value == "v");
  CHECK_FALSE(s.all_keys);
  CHECK(s.filtered());
  DeleteLike all({"--all-keys"});
  CHECK(selection_of(all.f).all_keys);
  CHECK_FALSE(selection_of(all.f).filtered());
}

TEST_CASE("key_list_input(): --key and --keys are items; --keys @FILE and --keys-file are files") {
  KeySelectionFlags f;
  f.key = " spaced key ";
  f.keys = " a, b ,,c ";
  f.keys_file = "list.txt";
  const auto one = key_list_input(f, "--key");
  CHECK(one.is_inline());
  CHECK(nlohmann::json::parse(one.text) == nlohmann::json::array({" spaced key "}));  // --key is exact
  const auto many = key_list_input(f, "--keys");
  CHECK(nlohmann::json::parse(many.text) == nlohmann::json::array({"a", "b", "c"}));
  const auto file = key_list_input(f, "--keys-file");
  CHECK(file.path == "list.txt");
  f.keys = "@keys.json";
  CHECK(key_list_input(f, "--keys").path == "keys.json");
  f.keys = "@";
  CHECK(usage_error([&] { key_list_input(f, "--keys"); }) == "--keys @ names no file: write --keys @FILE");
}

TEST_CASE("describe(): the keys a delete selects, in words") {
  ops::KvDeleteSpec spec;
  const InputSpec listing;
  CHECK(describe(spec, listing) == "keys");
  spec.select.prefix = "user/";
  CHECK(describe(spec, listing) == "keys starting with 'user/'");
  spec.select.pattern = "^user/[0-9]+$";
  spec.select.search = "stale";
  spec.select.field = "plan";
  CHECK(describe(spec, listing) == "keys starting with 'user/', and matching /^user/[0-9]+$/, and whose metadata "
                                   "contains 'stale', and whose metadata has field 'plan'");
  spec.select = {};
  spec.select.field = "plan";
  spec.select.value = "free";
  CHECK(describe(spec, listing) == "keys whose metadata plan = 'free'");

  spec.select = {};
  spec.source = ops::KvDeleteSpec::Source::keys;
  CHECK(describe(spec, InputSpec::file("keys.txt")) == "the keys listed in keys.txt");
  spec.select.pattern = "^a";
  CHECK(describe(spec, InputSpec::of_items({"a", "b"})) == "the keys listed in <command line> that are matching /^a/");

  spec.source = ops::KvDeleteSpec::Source::listing;
  spec.select = {};
  spec.select.all_keys = true;
  CHECK(describe(spec, listing) == "EVERY key");
}

TEST_CASE("KeyListWriter: a JSON array of the names, exact whatever bytes they hold") {
  test::ScratchDir dir;
  const std::string path = dir / "keys.json";
  {
    KeyListWriter w(path);
    CHECK(w.count() == 0);
    w.finish();
  }
  CHECK(test::read_file(path) == "[]\n");
  const std::vector<std::string> names{"plain",       " padded ", "#not-a-comment",   "tab\there",
                                       "line\nbreak", "quote\"",  "\xc3\xa9t\xc3\xa9"};
  {
    KeyListWriter w(path);
    for (const auto& n : names) w.add(n);
    CHECK(w.count() == names.size());
    w.finish();
  }
  const auto text = test::read_file(path);
  CHECK(text.rfind("[\n\"plain\",\n\" padded \",\n", 0) == 0);
  CHECK(text.ends_with("\n]\n"));
  CHECK(nlohmann::json::parse(text).get<std::vector<std::string>>() == names);

  const auto [code, message] = test::cli_error_of([&] { KeyListWriter w(dir / "no/such/dir/keys.json"); });
  CHECK(code == exit_code::failure);
  CHECK(message == "cannot write " + (dir / "no/such/dir/keys.json"));
}
