// cli/suggest.hpp: the edit distance, the closest known word, and usage errors explained from a parsed command line.

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli/suggest.hpp"

using namespace ckp::cli;

TEST_CASE("edit_distance(): inserts, deletes, substitutions and neighbour swaps cost one each") {
  CHECK(edit_distance("", "") == 0);
  CHECK(edit_distance("list", "list") == 0);
  CHECK(edit_distance("", "list") == 4);
  CHECK(edit_distance("list", "") == 4);
  CHECK(edit_distance("lst", "list") == 1);    // insert
  CHECK(edit_distance("lisst", "list") == 1);  // delete
  CHECK(edit_distance("lost", "list") == 1);   // substitute
  CHECK(edit_distance("lsit", "list") == 1);   // swap
  CHECK(edit_distance("tag", "tags") == 1);
  CHECK(edit_distance("--namespce", "--namespace") == 1);
  CHECK(edit_distance("kitten", "sitting") == 3);
  CHECK(edit_distance("abc", "xyz") == 3);
  CHECK(edit_distance("ab", "ba") == 1);
}

TEST_CASE("closest_match(): the nearest word when it is close enough, else nothing") {
  const std::vector<std::string> kv = {"namespace", "list", "get", "put", "delete", "export", "import"};
  CHECK(closest_match("lst", kv) == "list");
  CHECK(closest_match("lsit", kv) == "list");
  CHECK(closest_match("delet", kv) == "delete");
  CHECK(closest_match("namespaces", kv) == "namespace");
  CHECK(closest_match("exprot", kv) == "export");
  CHECK(closest_match("list", kv) == "list");
  CHECK(closest_match("frobnicate", kv).empty());
  CHECK(closest_match("xyz", kv).empty());
  CHECK(closest_match("", kv).empty());
  CHECK(closest_match("lst", {}).empty());
  SUBCASE("a prefix of two letters or more is close, however short") {
    CHECK(closest_match("nam", kv) == "namespace");
    CHECK(closest_match("exp", kv) == "export");
    CHECK(closest_match("n", kv).empty());
  }
  SUBCASE("flags: the dashes do not make two names look alike") {
    const std::vector<std::string> flags = {"--namespace", "--namespace-id", "--prefix", "--zone", "--zones", "-z"};
    CHECK(closest_match("--namespce", flags) == "--namespace");
    CHECK(closest_match("--prefx", flags) == "--prefix");
    CHECK(closest_match("--zoen", flags) == "--zone");
    CHECK(closest_match("--nothing-like-it", flags).empty());
  }
  SUBCASE("a tie goes to the first candidate") { CHECK(closest_match("pat", {"put", "get", "pet"}) == "put"); }
}

namespace {

/// A small command tree like the real one: `kv list --namespace`, `cache purge tags|everything --zone --zones`,
/// and a global --zone; parsed from @p args, returning the message explain_parse_error() gives ("" when parse passed).
std::string explain(std::vector<std::string> args) {
  CLI::App app{"test"};
  app.fallthrough();
  std::string zone, ns, z2;
  std::vector<std::string> zones;
  app.add_option("-z,--zone", zone)->group("Global options");
  app.add_flag("--json")->group("Global options");
  auto* kv = app.add_subcommand("kv", "KV");
  kv->require_subcommand(1);
  auto* list = kv->add_subcommand("list", "List keys");
  list->add_option("--namespace", ns);
  list->add_option("--prefix", ns);
  kv->add_subcommand("get", "Get");
  auto* cache = app.add_subcommand("cache", "Cache");
  cache->require_subcommand(1);
  auto* purge = cache->add_subcommand("purge", "Purge");
  purge->require_subcommand(1);
  for (const char* name : {"tags", "everything"}) {
    auto* c = purge->add_subcommand(name, name);
    c->add_option("--zone", z2);
    c->add_option("--zones", zones);
  }
  app.require_subcommand(0, 1);
  std::vector<std::string> argv_strings = {"cache-kv-purger"};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& s : argv_strings) argv.push_back(s.data());
  try {
    app.parse(static_cast<int>(argv.size()), argv.data());
  } catch (const CLI::ParseError& e) {
    return explain_parse_error(app, e);
  }
  return "";
}

}  // namespace

TEST_CASE("explain_parse_error(): unknown commands, at every level, get the closest one and the list") {
  CHECK(explain({"kv", "lst"}) == "unknown command 'lst' for 'kv'. Did you mean 'list'? Commands: list, get.");
  CHECK(explain({"cache", "purge", "tag"}) ==
        "unknown command 'tag' for 'cache purge'. Did you mean 'tags'? Commands: tags, everything.");
  CHECK(explain({"kb"}) == "unknown command 'kb'. Did you mean 'kv'? Commands: kv, cache.");
  CHECK(explain({"kv", "frobnicate"}) == "unknown command 'frobnicate' for 'kv'. Commands: list, get.");
}

TEST_CASE("explain_parse_error(): a command that needs a command lists them") {
  CHECK(explain({"kv"}) == "'kv' needs a command: list, get. Run 'cache-kv-purger kv --help' for what each does.");
  CHECK(explain({"cache", "purge"}).starts_with("'cache purge' needs a command: tags, everything."));
}

TEST_CASE("explain_parse_error(): unknown flags get the closest flag of the command or a global one") {
  CHECK(explain({"kv", "list", "--namespce", "x"}) ==
        "unknown flag '--namespce' for 'kv list'. Did you mean '--namespace'? Run 'cache-kv-purger kv list --help' "
        "for its flags.");
  CHECK(explain({"kv", "list", "--jsn"}).starts_with("unknown flag '--jsn' for 'kv list'. Did you mean '--json'?"));
  CHECK(explain({"kv", "list", "--prefx=a"})
            .starts_with("unknown flag '--prefx' for 'kv list'. Did you mean '--prefix'?"));
  CHECK(explain({"kv", "list", "--zzzzzzzz"}) ==
        "unknown flag '--zzzzzzzz' for 'kv list'. Run 'cache-kv-purger kv list --help' for its flags.");
  CHECK(explain({"kv", "list", "extra"}) ==
        "unexpected argument 'extra' for 'kv list'. Run 'cache-kv-purger kv list --help' for its flags.");
}

TEST_CASE("explain_parse_error(): --zone given twice points to --zones") {
  CHECK(explain({"cache", "purge", "everything", "--zone", "a.com", "--zone", "b.com"}) ==
        "--zone was given 2 times; it takes one zone. For several zones use --zones a.com,b.com (or --zones once per "
        "zone).");
  const auto global = explain({"kv", "list", "--zone", "a.com", "--zone", "b.com"});
  CHECK(global.starts_with("--zone was given 2 times; it takes one zone for 'kv list'."));
  CHECK(global.find("--zones") != std::string::npos);
  CHECK(explain({"kv", "list", "--namespace", "x"}).empty());  // no error, nothing to explain
}
