// cli/config_file.hpp: the configuration file read as TOML (profiles, values, errors naming file, line and column),
// editing values in place (comments and sections kept), the first-run sample, the Go tool's config and the XDG
// locations.

#include <doctest/doctest.h>

#include <sys/stat.h>

#include <filesystem>

#include "cli/config_file.hpp"
#include "support.hpp"

using namespace ckp;
using namespace ckp::cli;

namespace {

/// The error message of reading @p text as a config file at @p path.
std::string config_error(const std::string& path, const std::string& text) {
  test::write_file(path, text);
  auto c = read_config(path);
  return c ? "" : c.error().message;
}

int mode_of(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? static_cast<int>(st.st_mode & 0777) : -1;
}

}  // namespace

TEST_CASE("read_config(): sections are profiles; values are strings, numbers or words; lines are remembered") {
  test::ScratchDir dir;
  const std::string path = dir / "config.toml";
  test::write_file(path, "# a comment\n"
                         "account_id = \"0123456789abcdef0123456789abcdef\"   # before any section: [default]\n"
                         "\n"
                         "[staging]\n"
                         "  zone = \"staging.example\"\n"
                         "concurrency = 8 # a bare number\n"
                         "[profile.prod]\n"
                         "api_token = \"a \\\"quoted\\\" \\\\ value\\twith\\nescapes\"\n"
                         "timeout = 1.5\r\n");
  auto c = read_config(path);
  REQUIRE(c);
  CHECK(c->path == path);
  CHECK(c->get("default", "account_id") == "0123456789abcdef0123456789abcdef");
  CHECK(c->line_of("default", "account_id") == 2);
  CHECK(c->get("staging", "zone") == "staging.example");
  CHECK(c->line_of("staging", "zone") == 5);
  CHECK(c->get("staging", "concurrency") == "8");
  CHECK(c->get("prod", "api_token") == "a \"quoted\" \\ value\twith\nescapes");  // [profile.prod] is [prod]
  CHECK(c->get("prod", "timeout") == "1.5");
  CHECK(c->line_of("prod", "timeout") == 9);
  CHECK_FALSE(c->get("staging", "account_id"));  // profiles do not inherit
  CHECK_FALSE(c->get("nowhere", "zone"));
  CHECK(c->line_of("nowhere", "zone") == 0);
  CHECK(c->line_of("staging", "plan") == 0);
}

TEST_CASE("read_config(): a missing file is an empty configuration; an empty section still exists") {
  test::ScratchDir dir;
  auto missing = read_config(dir / "absent.toml");
  REQUIRE(missing);
  CHECK(missing->profiles.empty());
  test::write_file(dir / "c.toml", "[empty]\n");
  auto c = read_config(dir / "c.toml");
  REQUIRE(c);
  CHECK(c->profiles.count("empty") == 1);
}

TEST_CASE("read_config(): a syntax error names file, line and column; an unknown or repeated key file and line") {
  test::ScratchDir dir;
  const std::string p = dir / "c.toml";
  CHECK(config_error(p, "\n\nzonez = \"x\"\n") ==
        p + ":3: unknown setting 'zonez' (see `cache-kv-purger config show`)");
  // Syntax: what toml++ says, at line:column.
  auto starts = [&](const std::string& text, const std::string& where) {
    const auto e = config_error(p, text);
    CHECK_MESSAGE(e.rfind(p + ":" + where + ": ", 0) == 0, e);
    CHECK_MESSAGE(e.size() > p.size() + where.size() + 3, e);
  };
  starts("[staging\n", "1:9");
  starts("[ ]\n", "1:3");
  starts("zone\n", "1:5");
  starts("zone =\n", "1:7");
  starts("zone = \"open\n", "1:13");
  starts("zone = \"a\" b\n", "1:12");
  starts("zone = two words\n", "1:9");  // "tw…" is read as the start of true
  starts("\n[default]\nzone = # only a comment\n", "3:8");
  // Duplicates: toml++ refuses a key or table defined twice; the same profile's key at the top and in [default] (or
  // in [x] and [profile.x]) is refused too, naming both lines.
  starts("zone = \"a\"\nplan = \"pro\"\nzone = \"b\"\n", "3:8");
  starts("[a]\n[b]\n[a]\n", "3:1");
  CHECK(config_error(p, "zone = \"a\"\n[default]\nzone = \"b\"\n") ==
        p + ":3: zone is set twice for profile [default] (lines 1 and 3)");
  CHECK(config_error(p, "[x]\nzone = \"a\"\n[profile.x]\nzone = \"b\"\n") ==
        p + ":4: zone is set twice for profile [x] (lines 2 and 4)");
  // A value that is not a string, number or boolean.
  CHECK(config_error(p, "[default]\nzone = [\"a\", \"b\"]\n") ==
        p + ":2: zone must be a \"string\", a number, true or false");
  CHECK(config_error(p, "[default]\nzone = 1979-05-27\n") ==
        p + ":2: zone must be a \"string\", a number, true or false");
  CHECK(config_error(p, "[default.extra]\nzone = \"a\"\n") ==
        p + ":1: unknown setting 'extra' (see `cache-kv-purger config show`)");
  // The earliest problem in the file is the one reported.
  CHECK(config_error(p, "zzz = 1\naaa = 2\n") == p + ":1: unknown setting 'zzz' (see `cache-kv-purger config show`)");
  CHECK(config_error(p, "zone = \"a\" # fine\n") == "");
}

TEST_CASE("read_config(): any valid TOML is read — quoted and dotted keys, literal and multi-line strings, inline "
          "tables, numbers written every way") {
  test::ScratchDir dir;
  const std::string path = dir / "config.toml";
  test::write_file(path, "\xEF\xBB\xBF# a byte order mark, then a comment\n"
                         "\"zone\" = 'lit\\eral'\n"
                         "staging.account_id = \"0123456789abcdef0123456789abcdef\"\n"
                         "prod = { zone = \"prod.example\", batch_size = 1_000 }\n"
                         "[default]\n"
                         "api_base_url = \"\"\"\n"
                         "http://localhost:8787\\\n"
                         "   /client/v4\"\"\"\n"
                         "timeout = 2.50\n"
                         "concurrency = 0x10\n"
                         "[ 'qa' ]\n"
                         "plan = \"pro\"\t# a tab, then a comment\n"
                         "[profile.\"with space\"]\n"
                         "timeout = 1e3\n");
  auto c = read_config(path);
  REQUIRE_MESSAGE(c, c.error().message);
  CHECK(c->get("default", "zone") == "lit\\eral");
  CHECK(c->line_of("default", "zone") == 2);
  CHECK(c->get("default", "api_base_url") == "http://localhost:8787/client/v4");
  CHECK(c->line_of("default", "api_base_url") == 6);
  CHECK(c->get("default", "timeout") == "2.5");
  CHECK(c->get("default", "concurrency") == "16");
  CHECK(c->get("staging", "account_id") == "0123456789abcdef0123456789abcdef");
  CHECK(c->get("prod", "zone") == "prod.example");
  CHECK(c->get("prod", "batch_size") == "1000");
  CHECK(c->get("qa", "plan") == "pro");
  CHECK(c->get("with space", "timeout") == "1000");
}

TEST_CASE("set_config_value(): replaces the value in its profile, keeping everything else") {
  test::ScratchDir dir;
  const std::string path = dir / "config.toml";
  test::write_file(path, "# top comment\n"
                         "[default]\n"
                         "zone = \"old.example\"  # old\n"
                         "# keep me\n"
                         "\n"
                         "[staging]\n"
                         "zone = \"staging.example\"\n");
  REQUIRE(set_config_value(path, "default", "zone", "new.example"));
  CHECK(test::read_file(path) == "# top comment\n"
                                 "[default]\n"
                                 "zone = \"new.example\"  # old\n"
                                 "# keep me\n"
                                 "\n"
                                 "[staging]\n"
                                 "zone = \"staging.example\"\n");
  CHECK(mode_of(path) == 0600);

  SUBCASE("a new key goes on the line after the last key of its section") {
    REQUIRE(set_config_value(path, "default", "plan", "pro"));
    CHECK(test::read_file(path) == "# top comment\n"
                                   "[default]\n"
                                   "zone = \"new.example\"  # old\n"
                                   "plan = \"pro\"\n"
                                   "# keep me\n"
                                   "\n"
                                   "[staging]\n"
                                   "zone = \"staging.example\"\n");
  }
  SUBCASE("another profile's value") {
    REQUIRE(set_config_value(path, "staging", "zone", "s2.example"));
    auto c = read_config(path);
    REQUIRE(c);
    CHECK(c->get("staging", "zone") == "s2.example");
    CHECK(c->get("default", "zone") == "new.example");
  }
  SUBCASE("a new profile gets its own section at the end") {
    REQUIRE(set_config_value(path, "prod", "account_id", "0123456789abcdef0123456789abcdef"));
    CHECK(test::read_file(path).ends_with("zone = \"staging.example\"\n\n[prod]\naccount_id = "
                                          "\"0123456789abcdef0123456789abcdef\"\n"));
  }
  SUBCASE("quotes and backslashes are escaped, and read back exactly") {
    REQUIRE(set_config_value(path, "default", "api_base_url", "http://x/\"q\"\\"));
    CHECK(read_config(path)->get("default", "api_base_url") == "http://x/\"q\"\\");
  }
  SUBCASE("an unknown key is refused and nothing is written") {
    const auto before = test::read_file(path);
    auto r = set_config_value(path, "default", "colour", "blue");
    REQUIRE_FALSE(r);
    CHECK(r.error().message == "unknown setting 'colour'");
    CHECK(test::read_file(path) == before);
  }
}

TEST_CASE("set_config_value(): [default] without a header is the top of the file; a missing file gets the sample") {
  test::ScratchDir dir;
  const std::string path = dir / "config.toml";
  test::write_file(path, "zone = \"a.example\"\n\n[staging]\nzone = \"b.example\"\n");
  REQUIRE(set_config_value(path, "default", "plan", "free"));
  CHECK(test::read_file(path) == "zone = \"a.example\"\nplan = \"free\"\n\n[staging]\nzone = \"b.example\"\n");

  const std::string fresh = dir / "sub/dir/config.toml";
  REQUIRE(set_config_value(fresh, "default", "zone", "z.example"));
  auto c = read_config(fresh);
  REQUIRE(c);
  CHECK(c->get("default", "zone") == "z.example");
  CHECK(test::read_file(fresh).rfind("# cache-kv-purger configuration", 0) == 0);
}

TEST_CASE("set_config_value(): into the sample, a key lands in [default] and stays there once the commented "
          "[staging] is uncommented") {
  test::ScratchDir dir;
  const std::string path = dir / "config.toml";
  REQUIRE(ensure_sample_config(path));
  REQUIRE(set_config_value(path, "default", "zone", "z.example"));
  REQUIRE(set_config_value(path, "default", "plan", "pro"));
  std::string text = test::read_file(path);
  CHECK(text.find("\n[default]\nzone = \"z.example\"\nplan = \"pro\"\n# account_id = ") != std::string::npos);
  // The rest of the sample is untouched: the two new lines are the only difference.
  std::string without = text;
  without.erase(without.find("zone = \"z.example\"\nplan = \"pro\"\n"), 32);
  CHECK(without == sample_config());
  // Uncomment the sample's second profile, as a user would.
  for (const char* line : {"# [staging]\n", "# account_id = \"0123", "# api_token_env = "}) {
    auto at = text.rfind(line);
    REQUIRE(at != std::string::npos);
    text.erase(at, 2);
  }
  test::write_file(path, text);
  auto c = read_config(path);
  REQUIRE_MESSAGE(c, c.error().message);
  CHECK(c->get("default", "zone") == "z.example");
  CHECK(c->get("default", "plan") == "pro");
  CHECK_FALSE(c->get("staging", "zone"));
  CHECK(c->get("staging", "api_token_env") == "STAGING_CF_TOKEN");
  // And editing after uncommenting still goes to the right table.
  REQUIRE(set_config_value(path, "staging", "zone", "s.example"));
  REQUIRE(set_config_value(path, "default", "timeout", "5"));
  c = read_config(path);
  REQUIRE(c);
  CHECK(c->get("staging", "zone") == "s.example");
  CHECK(c->get("default", "timeout") == "5");
  CHECK_FALSE(c->get("staging", "timeout"));
  CHECK(test::read_file(path).ends_with("api_token_env = \"STAGING_CF_TOKEN\"\nzone = \"s.example\"\n"));
}

TEST_CASE("edit_config_text(): comments, blank lines, key spelling and layout are kept byte for byte") {
  const std::string text = "# top\r\n"
                           "\"zone\"   =   'old'   # why this zone\r\n"
                           "\n"
                           "[staging]   # the staging account\n"
                           "  # zone = \"commented.example\"\n"
                           "  account_id = \"0123456789abcdef0123456789abcdef\" # id\n"
                           "  api_base_url = \"\"\"\n"
                           "http://x\"\"\"   # multi-line\n"
                           "\n"
                           "# [prod]\n"
                           "# zone = \"p.example\"\n";
  auto edited = edit_config_text(text, "c.toml", "default", {{"zone", "new \"é\" \\ \n"}});
  REQUIRE_MESSAGE(edited, edited.error().message);
  CHECK(*edited == "# top\r\n"
                   "\"zone\"   =   \"new \\\"é\\\" \\\\ \\n\"   # why this zone\r\n" +
                       text.substr(text.find("\n[staging]")));
  CHECK(parse_config(*edited, "c.toml")->get("default", "zone") == "new \"é\" \\ \n");

  edited = edit_config_text(text, "c.toml", "staging", {{"zone", "s.example"}, {"plan", "pro"}});
  REQUIRE(edited);
  CHECK(*edited == "# top\r\n"
                   "\"zone\"   =   'old'   # why this zone\r\n"
                   "\n"
                   "[staging]   # the staging account\n"
                   "  # zone = \"commented.example\"\n"
                   "  account_id = \"0123456789abcdef0123456789abcdef\" # id\n"
                   "  api_base_url = \"\"\"\n"
                   "http://x\"\"\"   # multi-line\n"
                   "zone = \"s.example\"\n"
                   "plan = \"pro\"\n"
                   "\n"
                   "# [prod]\n"
                   "# zone = \"p.example\"\n");

  edited = edit_config_text(text, "c.toml", "prod", {{"zone", "p.example"}});
  REQUIRE(edited);
  CHECK(*edited == text + "\n[prod]\nzone = \"p.example\"\n");  // the commented [prod] is not a section
  edited = edit_config_text("zone = \"a\"", "c.toml", "x y", {{"plan", "pro"}});
  REQUIRE(edited);
  CHECK(*edited == "zone = \"a\"\n\n[\"x y\"]\nplan = \"pro\"\n");
  edited = edit_config_text("", "c.toml", "default", {{"plan", "pro"}});
  REQUIRE(edited);
  CHECK(*edited == "[default]\nplan = \"pro\"\n");
}

TEST_CASE("edit_config_text(): [profile.x], dotted keys and inline tables; what cannot be edited safely is refused") {
  auto edited = edit_config_text("[profile.x]\nzone = \"a\"\n[y]\n", "c.toml", "x", {{"plan", "free"}});
  REQUIRE(edited);
  CHECK(*edited == "[profile.x]\nzone = \"a\"\nplan = \"free\"\n[y]\n");
  // A value written with a dotted key or in an inline table is replaced in place.
  edited = edit_config_text("x.zone = \"a\" # c\n", "c.toml", "x", {{"zone", "b"}});
  REQUIRE(edited);
  CHECK(*edited == "x.zone = \"b\" # c\n");
  edited = edit_config_text("x = { zone = \"a\", plan = \"pro\" }\n", "c.toml", "x", {{"zone", "b"}});
  REQUIRE(edited);
  CHECK(*edited == "x = { zone = \"b\", plan = \"pro\" }\n");
  // A new key there would need the same form: refused, naming the line.
  auto r = edit_config_text("\nx.zone = \"a\"\n", "c.toml", "x", {{"plan", "pro"}});
  REQUIRE_FALSE(r);
  CHECK(r.error().message ==
        "c.toml:2: profile [x] is written as dotted keys; add plan by hand, or write the profile as a [x] section");
  r = edit_config_text("x = { zone = \"a\" }\n", "c.toml", "x", {{"plan", "pro"}});
  REQUIRE_FALSE(r);
  CHECK(r.error().message.find("is written as an inline table") != std::string::npos);
  // Invalid TOML is not edited; the error names line and column.
  r = edit_config_text("[default]\nzone = \"a\n", "c.toml", "default", {{"plan", "pro"}});
  REQUIRE_FALSE(r);
  CHECK(r.error().message.rfind("c.toml:2:", 0) == 0);
  r = edit_config_text("", "c.toml", "default", {{"colour", "blue"}});
  REQUIRE_FALSE(r);
  CHECK(r.error().message == "unknown setting 'colour'");
}

TEST_CASE("set_config_values(): all or nothing, atomic, mode 0600, a symbolic link followed") {
  test::ScratchDir dir;
  const std::string path = dir / "real.toml";
  test::write_file(path, "[default]\nzone = \"a\"\n");
  ::chmod(path.c_str(), 0640);
  REQUIRE(set_config_values(path, "default", {{"zone", "b"}, {"plan", "pro"}}));
  CHECK(test::read_file(path) == "[default]\nzone = \"b\"\nplan = \"pro\"\n");
  CHECK(mode_of(path) == 0600);  // it may hold credentials: never readable by others
  const std::string link = dir / "link.toml";
  REQUIRE(::symlink(path.c_str(), link.c_str()) == 0);
  REQUIRE(set_config_value(link, "default", "timeout", "5"));
  struct stat st {};
  REQUIRE(::lstat(link.c_str(), &st) == 0);
  CHECK(S_ISLNK(st.st_mode));
  CHECK(read_config(path)->get("default", "timeout") == "5");
  // One bad key: nothing is written.
  const auto before = test::read_file(path);
  CHECK_FALSE(set_config_values(path, "default", {{"plan", "free"}, {"colour", "blue"}}));
  CHECK(test::read_file(path) == before);
  test::write_file(path, "[default\n");
  auto r = set_config_value(path, "default", "plan", "free");
  REQUIRE_FALSE(r);
  CHECK(r.error().message.rfind(path + ":1:", 0) == 0);
  CHECK(test::read_file(path) == "[default\n");
  // No temporary file is left behind.
  int files = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir.path())) ++files;
  CHECK(files == 2);
}

TEST_CASE("read_go_config(): default_zone and account_id are imported; credentials never, with a note") {
  test::ScratchDir dir;
  const std::string path = dir / "go.json";
  test::write_file(path, R"({
  "api_endpoint": "https://api.cloudflare.com/client/v4",
  "default_zone": "example.com",
  "account_id": "0123456789abcdef0123456789abcdef",
  "cache_concurrency": 50,
  "multi_zone_concurrency": 10
})");
  auto go = read_go_config(path);
  REQUIRE(go);
  CHECK(go->values ==
        std::vector<ConfigValue>{{"account_id", "0123456789abcdef0123456789abcdef"}, {"zone", "example.com"}});
  CHECK(go->notes.empty());
  CHECK_FALSE(go->had_credentials);

  test::write_file(path, R"({"api_endpoint": "http://elsewhere", "default_zone": "", "account_id": "nope",
    "cache_concurrency": 20, "api_token": "SECRET-TOKEN-VALUE", "colour": "blue"})");
  go = read_go_config(path);
  REQUIRE(go);
  CHECK(go->values.empty());
  CHECK(go->had_credentials);
  std::string all;
  for (const auto& n : go->notes) all += n + "\n";
  CHECK(all.find("SECRET") == std::string::npos);
  CHECK(all.find("account_id: not imported, it is not 32 hex characters") != std::string::npos);
  CHECK(all.find("api_endpoint 'http://elsewhere': not imported") != std::string::npos);
  CHECK(all.find("cache_concurrency 20: not imported") != std::string::npos);
  CHECK(all.find("field 'colour': not known") != std::string::npos);
  CHECK(all.find("export CLOUDFLARE_API_TOKEN") != std::string::npos);

  test::write_file(path, "[1, 2]");
  CHECK_FALSE(read_go_config(path));
  test::write_file(path, "{");
  CHECK_FALSE(read_go_config(path));
  CHECK_FALSE(read_go_config(dir / "absent.json"));
  test::EnvGuard env{{"HOME", "/home/u"}};
  CHECK(default_go_config_path() == "/home/u/.cache-kv-purger.json");
}

TEST_CASE("the sample: every key, all commented out, written once with mode 0600") {
  const auto sample = sample_config();
  for (const auto& k : config_keys())
    CHECK_MESSAGE(sample.find(std::string("# ") + k.name + " = ") != std::string::npos, k.name);
  test::ScratchDir dir;
  const std::string path = dir / "a/b/config.toml";
  CHECK(ensure_sample_config(path));
  CHECK(mode_of(path) == 0600);
  CHECK(mode_of(dir / "a") == 0700);
  CHECK(test::read_file(path) == sample);
  auto c = read_config(path);
  REQUIRE(c);
  CHECK(c->profiles.size() == 1);
  CHECK(c->profiles["default"].empty());
  test::write_file(path, "mine\n");
  CHECK_FALSE(ensure_sample_config(path));  // never overwrites
  CHECK(test::read_file(path) == "mine\n");
}

TEST_CASE("make_dirs() creates every missing parent; existing ones are fine") {
  test::ScratchDir dir;
  REQUIRE(make_dirs(dir / "x/y/z"));
  CHECK(mode_of(dir / "x/y/z") == 0700);
  CHECK(make_dirs(dir / "x/y"));
  test::write_file(dir / "file", "");
  auto r = make_dirs(dir / "file/sub");
  REQUIRE_FALSE(r);
  CHECK(r.error().kind == ErrorKind::io);
  CHECK(r.error().message.rfind("cannot create " + (dir / "file/sub") + ": ", 0) == 0);
}

TEST_CASE("XDG locations, with $HOME as the fallback") {
  test::EnvGuard env{{"XDG_CONFIG_HOME", "/xdg/config"}, {"XDG_STATE_HOME", "/xdg/state"}, {"HOME", "/home/u"}};
  CHECK(default_config_path() == "/xdg/config/cache-kv-purger/config.toml");
  CHECK(default_jobs_dir() == "/xdg/state/cache-kv-purger/jobs");
  env.set("XDG_CONFIG_HOME", "");
  env.set("XDG_STATE_HOME", std::nullopt);
  CHECK(default_config_path() == "/home/u/.config/cache-kv-purger/config.toml");
  CHECK(default_jobs_dir() == "/home/u/.local/state/cache-kv-purger/jobs");
}
