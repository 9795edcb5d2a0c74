// cli/job_runner.hpp: an operation's input as the CLI gives it (InputSpec), and spec fields named as flags.

#include <doctest/doctest.h>

#include "ckp/ops/kv_delete.hpp"
#include "cli/job_runner.hpp"
#include "support.hpp"

using namespace ckp;
using namespace ckp::cli;

TEST_CASE("flag_namer(): each spec field by the flag that sets it; `input` by the command's input flag") {
  const auto name = flag_namer();
  CHECK(name("account_id") == "--account-id");
  CHECK(name("namespace_id") == "--namespace");
  CHECK(name("batch_size") == "--batch-size");
  CHECK(name("prefix") == "--prefix");
  CHECK(name("pattern") == "--pattern");
  CHECK(name("search") == "--search");
  CHECK(name("field") == "--tag-field");
  CHECK(name("value") == "--tag-value");
  CHECK(name("all_keys") == "--all-keys");
  CHECK(name("zones") == "--zone");
  CHECK(name("cache_tags") == "--cache-tag");
  CHECK(name("zone_concurrency") == "--zone-concurrency");
  CHECK(name("dry_run") == "--dry-run");
  CHECK(name("output") == "--output");
  CHECK(name("headers") == "--header");
  CHECK(name("plan") == "--plan");
  CHECK(name("max_pages") == "a preview");
  CHECK(name("max_batch_bytes") == "the batch byte limit");
  CHECK(name("input") == "--keys-file");
  CHECK(name("something_else") == "something_else");  // a field without a flag keeps its name
  CHECK(flag_namer("--files-list")("input") == "--files-list");
  CHECK(flag_namer("--files-list")("prefix") == "--prefix");
}

TEST_CASE("a spec's refusal names flags: --tag-value without --tag-field") {
  ops::KvDeleteSpec spec;
  spec.account_id = "0123456789abcdef0123456789abcdef";
  spec.namespace_id = "0123456789abcdef0123456789abcdef";
  spec.select.value = "v";
  const auto e = test::cli_error_of([&] { require_valid(spec); });
  CHECK(e.first == exit_code::usage);
  CHECK(e.second.find("--tag-value") != std::string::npos);
  CHECK(e.second.find("--tag-field") != std::string::npos);
  spec.select.field = "f";
  CHECK(test::cli_error_of([&] { require_valid(spec); }).first == -1);
}

TEST_CASE("InputSpec: items given as flags are a JSON array, exact; a file is named by its path") {
  const auto items = InputSpec::of_items({"a", " b ", "#c", "d\"e"});
  CHECK(items.is_inline());
  CHECK_FALSE(items.empty_inline());
  CHECK(items.name() == "<command line>");
  CHECK(nlohmann::json::parse(items.text) == nlohmann::json::array({"a", " b ", "#c", "d\"e"}));
  CHECK(items.size() == items.text.size());

  CHECK(InputSpec::of_items({}).empty_inline());
  CHECK(InputSpec{}.empty_inline());
  CHECK(InputSpec{"", "[]"}.empty_inline());

  test::ScratchDir dir;
  test::write_file(dir / "keys.txt", "one\ntwo\n");
  const auto file = InputSpec::file(dir / "keys.txt");
  CHECK_FALSE(file.is_inline());
  CHECK_FALSE(file.empty_inline());
  CHECK(file.name() == dir / "keys.txt");
  CHECK(file.size() == 8);
  CHECK(InputSpec::file("-").size() == 0);  // standard input: no size to check on resume
  CHECK(InputSpec::file("-").name() == "-");
  CHECK(InputSpec::file(dir / "missing").size() == 0);
}
