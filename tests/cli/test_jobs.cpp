// cli/jobs.hpp: the job store on disk (start, list, find, resume, discard) and the command line a job records.

#include <doctest/doctest.h>

#include <sys/stat.h>

#include <regex>

#include "cli/jobs.hpp"
#include "support.hpp"

using namespace ckp;
using namespace ckp::cli;

namespace {

/// masked_command_line() over @p args.
std::string masked(std::vector<std::string> args) {
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  return masked_command_line(static_cast<int>(argv.size()), argv.data());
}

/// Starts job @p op in @p store with its spec written (the journal file appears then), and returns its id.
std::string begun_job(JobStore& store, const std::string& op) {
  auto job = store.start(op, "cache-kv-purger " + op, "http://127.0.0.1:1/client/v4");
  REQUIRE(job);
  job->journal->begin(op, {{"account_id", "a"}});
  return job->id;
}

bool exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

}  // namespace

TEST_CASE("masked_command_line(): the values of secret flags are masked, arguments with blanks or quotes quoted") {
  CHECK(masked({"cache-kv-purger", "kv", "list"}) == "cache-kv-purger kv list");
  CHECK(masked({"ckp", "--api-token", "s3cret", "kv", "list"}) == "ckp --api-token *** kv list");
  CHECK(masked({"ckp", "--api-token=s3cret"}) == "ckp --api-token=***");
  CHECK(masked({"ckp", "--api-key", "k", "--email", "me@example.com"}) == "ckp --api-key *** --email me@example.com");
  CHECK(masked({"ckp", "--api-key=k"}) == "ckp --api-key=***");
  CHECK(masked({"ckp", "--token", "t"}) == "ckp --token ***");
  CHECK(masked({"ckp", "--prefix", "a b"}) == "ckp --prefix 'a b'");
  CHECK(masked({"ckp", "--search", "it's"}) == "ckp --search 'it's'");
  CHECK(masked({"ckp", "--search", "say \"x\""}) == "ckp --search 'say \"x\"'");
  CHECK(masked({"ckp", "--api-token", "with space"}) == "ckp --api-token ***");
  // Only the value right after the flag is masked.
  CHECK(masked({"ckp", "--api-token", "t", "--prefix", "p"}) == "ckp --api-token *** --prefix p");
  CHECK(masked({"ckp", "--api-tokens", "visible"}) == "ckp --api-tokens visible");
}

TEST_CASE("a job store: jobs are created, listed newest first, found by id or a unique start of it") {
  test::ScratchDir dir;
  JobStore store(dir / "jobs");  // created on first use
  CHECK(store.list().empty());
  CHECK(store.dir() == dir / "jobs");
  CHECK(store.path_of("x") == dir / "jobs/x.jsonl");

  auto started = store.start("kv.delete", "cache-kv-purger kv delete --prefix a/", "http://127.0.0.1:1/client/v4");
  REQUIRE(started);
  const std::string id = started->id;
  CHECK(std::regex_match(id, std::regex(R"(\d{8}-\d{6}-kv-delete-[0-9a-f]{4})")));
  // Nothing is on disk until the operation begins (a job killed before it leaves nothing behind).
  CHECK_FALSE(exists(store.path_of(id)));
  CHECK(started->note["job"]["id"] == id);
  // The operation journals the job's note with its spec (OpOptions::notes): as Operation::start() does.
  started->journal->preamble(started->note);
  started->journal->begin("kv.delete", {{"account_id", "a"}, {"prefix", "a/"}});
  REQUIRE(exists(store.path_of(id)));
  struct stat st {};
  ::stat(store.path_of(id).c_str(), &st);
  CHECK((st.st_mode & 0777) == 0600);
  started->journal->checkpoint({{"cursor", "c1"}}, {5, 1});
  started->journal.reset();
  started->store.reset();

  auto jobs = store.list();
  REQUIRE(jobs.size() == 1);
  const auto& j = jobs.front();
  CHECK(j.id == id);
  CHECK(j.path == store.path_of(id));
  CHECK(j.op == "kv.delete");
  CHECK(j.status == "resumable");
  CHECK(j.command == "cache-kv-purger kv delete --prefix a/");
  CHECK(std::regex_match(j.created, std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)")));
  CHECK(j.done == 5);
  CHECK(j.failed == 1);
  REQUIRE(j.state);
  CHECK(j.state->spec["prefix"] == "a/");

  auto found = store.find(id);
  REQUIRE(found);
  CHECK(found->id == id);
  auto by_start = store.find(id.substr(0, 10));
  REQUIRE(by_start);
  CHECK(by_start->id == id);
}

TEST_CASE("a job store: ambiguous and unknown ids are refused, saying why") {
  test::ScratchDir dir;
  JobStore store(dir.path());
  const auto a = begun_job(store, "kv.delete");
  const auto b = begun_job(store, "purge");
  CHECK(store.list().size() == 2);
  CHECK(store.list().front().id == std::max(a, b));  // newest first: ids start with the time

  auto none = store.find("nope");
  REQUIRE_FALSE(none);
  CHECK(none.error().kind == ErrorKind::invalid_input);
  CHECK(none.error().message == "no job 'nope' in " + dir.path() + " (`cache-kv-purger jobs list` shows them)");

  auto both = store.find("2");  // both ids start with the year
  REQUIRE_FALSE(both);
  CHECK(both.error().message == "'2' matches 2 jobs; give more of the id");
  CHECK(store.find(a)->op == "kv.delete");
  CHECK(store.find(b)->op == "purge");
}

TEST_CASE("a job store: finished, unreadable and foreign files") {
  test::ScratchDir dir;
  JobStore store(dir.path());
  std::string id;
  {
    auto job = store.start("kv.import", "cmd", "http://x");
    REQUIRE(job);
    id = job->id;
    job->journal->begin("kv.import", nlohmann::json::object());
    job->journal->finish("completed", {3, 0});
  }
  auto info = store.find(id);
  REQUIRE(info);
  CHECK(info->status == "completed");
  CHECK(info->done == 3);
  test::write_file(dir / "broken.jsonl", "not json\n");
  test::write_file(dir / "notes.txt", "ignored\n");
  test::write_file(dir / ".jsonl", "ignored too: no id\n");
  auto jobs = store.list();
  REQUIRE(jobs.size() == 2);
  auto broken = store.find("broken");
  REQUIRE(broken);
  CHECK(broken->status == "unreadable");
  CHECK_FALSE(broken->state);
}

TEST_CASE("a job store: resume() continues a journal; discard() removes it") {
  test::ScratchDir dir;
  JobStore store(dir.path());
  const auto id = begun_job(store, "kv.delete");
  auto info = store.find(id);
  REQUIRE(info);
  {
    auto resumed = store.resume(*info);
    REQUIRE(resumed);
    CHECK(resumed->id == id);
    resumed->journal->checkpoint({{"cursor", "c9"}}, {9, 0});
  }
  auto again = store.find(id);
  REQUIRE(again);
  CHECK(again->done == 9);
  CHECK(again->state->resume == nlohmann::json{{"cursor", "c9"}});

  auto reopened = store.resume(*again);
  REQUIRE(reopened);
  store.discard(std::move(*reopened));
  CHECK_FALSE(exists(store.path_of(id)));
  CHECK(store.list().empty());
}
