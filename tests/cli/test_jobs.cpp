// cli/jobs.hpp: the job store on disk (start, list, find, resume, discard, remove, expiry), the command line a job
// records, and what `jobs prune` selects.

#include <doctest/doctest.h>

#include <sys/stat.h>

#include <chrono>
#include <cstdlib>
#include <ctime>
#include <filesystem>
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

namespace {

/// A JobInfo for the prune selection: @p status, last written @p age_s seconds before time 1'000'000'000.
JobInfo aged(const std::string& id, const std::string& status, std::int64_t age_s) {
  JobInfo j;
  j.id = id;
  j.status = status;
  j.modified = static_cast<std::time_t>(1'000'000'000 - age_s);
  return j;
}

std::vector<std::string> ids_of(const std::vector<JobInfo>& jobs) {
  std::vector<std::string> ids;
  for (const auto& j : jobs) ids.push_back(j.id);
  return ids;
}

/// Sets the modification time of @p path to @p age_s seconds ago.
void make_old(const std::string& path, std::int64_t age_s) {
  const auto t = std::filesystem::file_time_type::clock::now() - std::chrono::seconds(age_s);
  std::filesystem::last_write_time(path, t);
}

}  // namespace

TEST_CASE("parse_duration(): a whole number and a unit s, m, h or d") {
  CHECK(parse_duration("0s") == 0);
  CHECK(parse_duration("90s") == 90);
  CHECK(parse_duration("15m") == 900);
  CHECK(parse_duration("12h") == 43200);
  CHECK(parse_duration("7d") == 7 * 86400);
  CHECK(parse_duration("36600d") == 36600LL * 86400);
  for (const char* bad : {"", "7", "d", "-1d", "+1d", " 1d", "1d ", "1.5d", "1w", "1D", "7days", "1e3s", "0x10s",
                          "99999999999999999999s", "366001d"})
    CHECK_FALSE_MESSAGE(parse_duration(bad), bad);
}

TEST_CASE("parse_prune_statuses(): names, aliases, lists; unknown names are refused") {
  using V = std::vector<std::string>;
  CHECK(*parse_prune_statuses({"completed"}) == V{"completed"});
  CHECK(*parse_prune_statuses({"completed,aborted", "completed"}) == V{"completed", "aborted"});
  CHECK(*parse_prune_statuses({"interrupted"}) == V{"resumable"});
  CHECK(*parse_prune_statuses({"finished"}) == V{"completed", "partial", "aborted"});
  CHECK(*parse_prune_statuses({"all"}) == V{"completed", "partial", "aborted", "resumable", "unreadable"});
  for (const char* bad : {"failed", "Completed", "", "completed,", "done"}) {
    auto r = parse_prune_statuses({bad});
    REQUIRE_FALSE_MESSAGE(r, bad);
    CHECK(r.error().kind == ErrorKind::invalid_input);
  }
  CHECK(parse_prune_statuses({"failed"}).error().message.find("--status 'failed' is not one of") == 0);
}

TEST_CASE("select_prunable(): by status and age; a resumable or unreadable job only when named") {
  const std::time_t now = 1'000'000'000;
  const std::int64_t day = 86400;
  const std::vector<JobInfo> jobs = {aged("new-done", "completed", day),
                                     aged("old-done", "completed", 8 * day),
                                     aged("old-partial", "partial", 30 * day),
                                     aged("old-aborted", "aborted", 9 * day),
                                     aged("old-resumable", "resumable", 90 * day),
                                     aged("old-broken", "unreadable", 90 * day)};
  using V = std::vector<std::string>;
  // The default: finished jobs a week old or more.
  CHECK(ids_of(select_prunable(jobs, {}, now)) == V{"old-done", "old-partial", "old-aborted"});
  CHECK(ids_of(select_prunable(jobs, {0, {"completed"}}, now)) == V{"new-done", "old-done"});
  CHECK(ids_of(select_prunable(jobs, {10 * day, {"completed", "partial", "aborted"}}, now)) == V{"old-partial"});
  // Exactly as old as asked counts.
  CHECK(ids_of(select_prunable(jobs, {8 * day, {"completed"}}, now)) == V{"old-done"});
  CHECK(ids_of(select_prunable(jobs, {0, {"resumable"}}, now)) == V{"old-resumable"});
  CHECK(select_prunable(jobs, {365 * day, *parse_prune_statuses({"all"})}, now).empty());
  CHECK(select_prunable(jobs, {0, *parse_prune_statuses({"all"})}, now).size() == jobs.size());
  // Whatever the age, no default selection ever takes a resumable job.
  for (std::int64_t age : {std::int64_t{0}, day, 1000 * day})
    for (const auto& j : select_prunable(jobs, {age, PruneCriteria{}.statuses}, now)) CHECK(j.status != "resumable");
}

TEST_CASE("describe_target(): a namespace, zones, both, or nothing") {
  using nlohmann::json;
  CHECK(describe_target(json::object()) == "-");
  CHECK(describe_target({{"account_id", "a"}, {"namespace_id", "ns1"}}) == "namespace ns1");
  CHECK(describe_target({{"zones", {{{"id", "z1"}, {"name", "a.com"}}}}}) == "zone a.com");
  CHECK(describe_target({{"zones", {{{"id", "z1"}, {"name", ""}}, {{"id", "z2"}, {"name", "b.com"}}}}}) ==
        "2 zones: z1, b.com");
  CHECK(describe_target({{"namespace_id", "ns"}, {"zones", {{{"id", "z1"}, {"name", "a.com"}}}}}) ==
        "namespace ns -> zone a.com");
}

TEST_CASE("a job store: each job's target and last write come from its journal") {
  test::ScratchDir dir;
  JobStore store(dir.path());
  auto job = store.start("sync.purge", "cmd", "http://127.0.0.1:1/client/v4");
  REQUIRE(job);
  job->journal->preamble(job->note);
  job->journal->target({{"api_base_url", "http://127.0.0.1:1/client/v4"}, {"account_id", "acct"}});
  job->journal->begin("sync.purge", {{"account_id", "acct"},
                                     {"namespace_id", "ns1"},
                                     {"zones", {{{"id", "z1"}, {"name", "a.com"}}}}});
  job->journal.reset();
  job->store.reset();
  auto info = store.find(job->id);
  REQUIRE(info);
  CHECK(info->target == nlohmann::json{{"api_base_url", "http://127.0.0.1:1/client/v4"},
                                       {"account_id", "acct"},
                                       {"namespace_id", "ns1"},
                                       {"zones", {{{"id", "z1"}, {"name", "a.com"}}}}});
  CHECK(std::abs(info->modified - std::time(nullptr)) < 60);

  // A journal without a recorded target: the API base URL of its note, the account of its spec.
  const auto old = begun_job(store, "kv.delete");
  auto older = store.find(old);
  REQUIRE(older);
  CHECK(older->target == nlohmann::json{{"account_id", "a"}});  // begun_job() writes no note
}

TEST_CASE("a job store: remove() and the automatic cleanup of old completed jobs") {
  test::ScratchDir dir;
  JobStore store(dir.path());
  auto finished = [&](const std::string& status) {
    auto job = store.start("kv.delete", "cmd", "http://x");
    REQUIRE(job);
    job->journal->begin("kv.delete", {{"account_id", "a"}});
    job->journal->finish(status, {1, 0});
    return job->id;
  };
  const auto old_done = finished("completed"), new_done = finished("completed"), old_aborted = finished("aborted"),
             old_partial = finished("partial"), old_resumable = begun_job(store, "kv.delete");
  test::write_file(dir / "broken.jsonl", "not json\n");
  for (const auto& id : {old_done, old_aborted, old_partial, old_resumable, std::string("broken")})
    make_old(store.path_of(id), 40 * 86400);
  make_old(store.path_of(new_done), 29 * 86400);

  CHECK(store.expire_completed(0, std::time(nullptr)).empty());  // 0 keeps every job
  CHECK(store.list().size() == 6);
  auto removed = store.expire_completed(30, std::time(nullptr));
  REQUIRE(removed.size() == 1);
  CHECK(removed.front().id == old_done);
  CHECK_FALSE(exists(store.path_of(old_done)));
  CHECK(store.list().size() == 5);  // resumable, aborted, partial, unreadable and young ones stay
  CHECK(store.expire_completed(30, std::time(nullptr)).empty());

  auto info = store.find(new_done);
  REQUIRE(info);
  CHECK(store.remove(*info));
  CHECK_FALSE(exists(store.path_of(new_done)));
  auto again = store.remove(*info);
  REQUIRE_FALSE(again);
  CHECK(again.error().kind == ErrorKind::io);
  CHECK(again.error().message.find("cannot remove " + store.path_of(new_done)) == 0);
}
