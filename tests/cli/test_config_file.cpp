// cli/config_file.hpp: the configuration file's TOML subset (profiles, values, errors naming file and line), editing
// one value in place, the first-run sample and the XDG locations.

#include <doctest/doctest.h>

#include <sys/stat.h>

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

TEST_CASE("read_config(): a malformed line is an error naming the file and the line") {
  test::ScratchDir dir;
  const std::string p = dir / "c.toml";
  CHECK(config_error(p, "\n\nzonez = \"x\"\n") ==
        p + ":3: unknown setting 'zonez' (see `cache-kv-purger config show`)");
  CHECK(config_error(p, "[staging\n") == p + ":1: a section header needs a closing ']'");
  CHECK(config_error(p, "[ ]\n") == p + ":1: empty section name");
  CHECK(config_error(p, "zone\n") == p + ":1: expected key = value");
  CHECK(config_error(p, "zone =\n") == p + ":1: missing value");
  CHECK(config_error(p, "zone = \"open\n") == p + ":1: unterminated string");
  CHECK(config_error(p, "zone = \"a\" b\n") == p + ":1: unexpected text after the closing quote");
  CHECK(config_error(p, "zone = two words\n") == p + ":1: expected a \"quoted string\", a number, true or false");
  CHECK(config_error(p, "zone = # only a comment\n") ==
        p + ":1: expected a \"quoted string\", a number, true or false");
  CHECK(config_error(p, "zone = \"a\" # fine\n") == "");
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
                                 "zone = \"new.example\"\n"
                                 "# keep me\n"
                                 "\n"
                                 "[staging]\n"
                                 "zone = \"staging.example\"\n");
  CHECK(mode_of(path) == 0600);

  SUBCASE("a new key goes at the end of its section, before the blank lines") {
    REQUIRE(set_config_value(path, "default", "plan", "pro"));
    CHECK(test::read_file(path) == "# top comment\n"
                                   "[default]\n"
                                   "zone = \"new.example\"\n"
                                   "# keep me\n"
                                   "plan = \"pro\"\n"
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
  CHECK(test::read_file(fresh).rfind("# cache-kv-purger configuration.", 0) == 0);
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
