// Watermarks, journal, record sources, text inputs, metadata matching, and the batch runner's graduated fallback.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <set>

#include "ckp/engine/batch_runner.hpp"
#include "ckp/engine/journal.hpp"
#include "ckp/engine/watermark.hpp"
#include "ckp/io/records.hpp"
#include "ckp/ops/kv_delete.hpp"
#include "ckp/ops/metadata_match.hpp"
#include "ckp/ops/text_input.hpp"

using namespace ckp;
using namespace ckp::engine;
using namespace ckp::io;
using nlohmann::json;

TEST_CASE("watermark advances only over settled segments, in order") {
  WatermarkTracker w;
  auto a = w.open(json{{"cursor", "a"}});
  auto b = w.open(json{{"cursor", "b"}}, json::array({10, 20}));
  auto c = w.open(json{{"cursor", "c"}});
  w.add(a, 2);
  w.add(b, 1);
  w.close(a);
  w.close(b);
  CHECK_FALSE(w.collect().point);
  w.settle_done(b);  // b settles ahead of a
  auto first = w.collect();
  CHECK_FALSE(first.point);
  REQUIRE(first.ahead.size() == 1);
  CHECK(first.ahead[0].range == json::array({10, 20}));
  CHECK(first.ahead[0].done == 1);
  CHECK(first.done == 1);            // b's count is durable now (a resume skips b)…
  CHECK(w.collect().ahead.empty());  // reported once
  w.settle_done(a);
  w.settle_failed(a, "bad", Error::make(ErrorKind::bad_request, "no"));
  auto second = w.collect();
  REQUIRE(second.point);
  CHECK((*second.point)["cursor"] == "b");  // a and b, not c: c is still open
  CHECK(second.done == 1);                  // …and not counted again when the watermark passes it
  REQUIRE(second.failures.size() == 1);
  CHECK(second.failures[0].first == "bad");
  w.close(c);
  CHECK((*w.collect().point)["cursor"] == "c");
  CHECK(w.open_segments() == 0);
}

TEST_CASE("watermark: a segment without a range that settles ahead stays uncounted until the watermark passes it") {
  WatermarkTracker w;
  auto a = w.open(json{{"cursor", "a"}});
  auto b = w.open(json{{"cursor", "b"}});  // a listed page: no range, a resume lists it again
  w.add(a);
  w.add(b);
  w.close(a);
  w.close(b);
  w.settle_failed(b, "k", Error::make(ErrorKind::bad_request, "no"));
  auto d = w.collect();
  CHECK(d.ahead.empty());
  CHECK(d.failures.empty());  // would be reported again by a resume that lists b again
  w.settle_done(a);
  d = w.collect();
  CHECK((*d.point)["cursor"] == "b");
  CHECK(d.done == 1);
  CHECK(d.failures.size() == 1);
}

TEST_CASE("a journal's preamble reaches the store only with the spec") {
  MemoryJournalStore store;
  Journal j(store);
  j.preamble(json{{"job", {{"id", "j1"}}}});
  CHECK(store.lines().empty());  // killed now: no journal that cannot be resumed
  j.begin("kv.import", json{{"batch_size", 10}});
  auto st = Journal::load(store);
  REQUIRE(st);
  CHECK(st->op == "kv.import");
  REQUIRE(st->notes.size() == 1);
  CHECK(st->notes[0]["job"]["id"] == "j1");

  MemoryJournalStore dry;
  Journal never(dry);
  never.preamble(json{{"job", {{"id", "j2"}}}});  // a dry run never begins
  CHECK(dry.lines().empty());
}

TEST_CASE("journal round trip, torn last line, corruption") {
  MemoryJournalStore store;
  Journal j(store);
  j.begin("kv.delete", json{{"prefix", "a"}});
  j.checkpoint(json{{"cursor", "c1"}}, {10, 0});
  j.settled(json::array({5, 9}), {3, 0});
  j.failure("bad-key", Error::make(ErrorKind::bad_request, "nope"));
  j.checkpoint(json{{"cursor", "c2"}}, {20, 1});
  j.settled(json::array({30, 40}), {4, 1});  // after the last checkpoint: its counts add
  auto st = Journal::load(store);
  REQUIRE(st);
  CHECK(st->op == "kv.delete");
  CHECK(st->spec["prefix"] == "a");
  CHECK((*st->resume)["cursor"] == "c2");
  CHECK(st->counters.done == 24);
  CHECK(st->counters.failed == 2);
  CHECK(st->settled.size() == 2);  // kept: a resume skips those past its offset
  REQUIRE(st->failures.size() == 1);
  CHECK(st->failures[0].item == "bad-key");
  CHECK_FALSE(st->end_status);

  store.append(R"({"t":"ckpt","resume":{"cur)");  // torn by a crash
  auto torn = Journal::load(store);
  REQUIRE(torn);
  CHECK((*torn->resume)["cursor"] == "c2");

  MemoryJournalStore bad;
  bad.append("garbage");
  bad.append(R"({"t":"spec","v":1,"op":"x","spec":{}})");
  CHECK(Journal::load(bad).error().kind == ErrorKind::journal);
  CHECK(Journal::load(MemoryJournalStore{}).error().message.find("empty") != std::string::npos);

  // A checkpoint count that is a float or negative is refused with its line, not converted (a fuzzing find).
  for (const char* count : {"2e+112", "-1", "1.5"}) {
    MemoryJournalStore odd;
    odd.append(R"({"t":"spec","v":1,"op":"x","spec":{}})");
    odd.append(fmt::format(R"({{"t":"ckpt","resume":{{}},"done":{},"failed":0}})", count));
    auto e = Journal::load(odd);
    REQUIRE_FALSE(e);
    CHECK(e.error().message == "journal line 2 has a bad checkpoint count");
  }
  MemoryJournalStore float_version;
  float_version.append(R"({"t":"spec","v":1.5e46,"op":"x","spec":{}})");
  CHECK(Journal::load(float_version).error().message.find("incompatible version") != std::string::npos);

  MemoryJournalStore crashy;
  Journal cj(crashy);
  cj.begin("x", json::object());
  cj.failure("k", Error::make(ErrorKind::bad_request, "r"));  // not synced
  crashy.crash();
  CHECK(Journal::load(crashy)->failures.empty());
}

TEST_CASE("line records: offsets, CRLF, resume") {
  LineRecords lines(std::make_unique<StringReader>("a\r\nbb\n\nccc", "keys.txt"));
  auto r1 = lines.next();
  REQUIRE(r1);
  CHECK(r1->text == "a");
  CHECK(r1->line == 1);
  CHECK(r1->next_offset == 3);
  auto r2 = lines.next();
  CHECK(r2->text == "bb");
  CHECK(r2->offset == 3);
  CHECK(lines.next()->text == "");
  auto r4 = lines.next();
  CHECK(r4->text == "ccc");
  CHECK(r4->line == 4);
  CHECK_FALSE(lines.next());
  CHECK_FALSE(lines.error());
  REQUIRE(lines.seek(r2->next_offset, r2->next_line));
  CHECK(lines.next()->line == 3);
}

TEST_CASE("line records: an overlong line is an error naming file and line") {
  LineRecords lines(std::make_unique<StringReader>("ok\n" + std::string(100, 'x') + "\n", "big.txt"), 50);
  CHECK(lines.next());
  CHECK_FALSE(lines.next());
  REQUIRE(lines.error());
  CHECK(lines.error()->message == "big.txt:2: line is longer than 50 bytes");
}

TEST_CASE("JSON array records: elements found without parsing the document") {
  auto src = open_records(
      std::make_unique<StringReader>(" [\n {\"key\":\"a,]\\\"\",\"value\":[1,{\"x\":2}]},\n \"plain\" , 42\n]",
                                     "in.json"));
  CHECK(src->format() == RecordFormat::json_array);
  auto e1 = src->next();
  REQUIRE(e1);
  CHECK(json::parse(e1->text)["key"] == "a,]\"");
  CHECK(e1->line == 2);
  auto e2 = src->next();
  CHECK(e2->text == "\"plain\"");
  auto e3 = src->next();
  CHECK(e3->text == "42");
  CHECK_FALSE(src->next());
  CHECK_FALSE(src->error());
  REQUIRE(src->seek(e1->next_offset, e1->next_line));  // resume after the first element
  CHECK(src->next()->text == "\"plain\"");
  REQUIRE(src->seek(0, 1));
  CHECK(json::parse(src->next()->text).is_object());
}

TEST_CASE("JSON array records: malformed arrays are errors with a line") {
  for (const char* bad : {"[1,2", "[1,,2]", "[1,]", "[{\"a\":1]", "{\"a\":1}", "[\"unterminated]"}) {
    CAPTURE(bad);
    JsonArrayRecords src(std::make_unique<StringReader>(bad, "f.json"));
    while (src.next()) {
    }
    REQUIRE(src.error());
    CHECK(src.error()->message.starts_with("f.json:"));
  }
  JsonArrayRecords empty(std::make_unique<StringReader>("[ ]", "e.json"));
  CHECK_FALSE(empty.next());
  CHECK_FALSE(empty.error());
}

TEST_CASE("text items: trimming, comments, JSON strings, validation with file:line") {
  auto validate = [](std::string_view s) -> std::optional<Error> {
    if (s.size() > 3) return Error::make(ErrorKind::invalid_input, "too long");
    return std::nullopt;
  };
  const auto list = ops::TextRules::list_file(), exact = ops::TextRules::exact();
  Record r{"  abc \t", 7, 0, 0, 0};
  auto item = ops::text_item(r, RecordFormat::lines, "f.txt", list, validate);
  REQUIRE(item);
  CHECK(**item == "abc");
  CHECK(ops::text_item(r, RecordFormat::lines, "f.txt", exact, nullptr)->value() == "  abc \t");  // keys: exact
  r.text = "# comment";
  CHECK_FALSE(ops::text_item(r, RecordFormat::lines, "f.txt", list, validate)->has_value());
  CHECK(ops::text_item(r, RecordFormat::lines, "f.txt", exact, nullptr)->value() == "# comment");
  r.text = "abcd";
  CHECK(ops::text_item(r, RecordFormat::lines, "f.txt", list, validate).error().message == "f.txt:7: too long");
  r.text = "\"x y\"";
  CHECK(ops::text_item(r, RecordFormat::json_array, "f.json", exact, validate)->value() == "x y");
  r.text = "\"#x \"";  // a JSON string is taken exactly, whatever the rules for lines
  CHECK(ops::text_item(r, RecordFormat::json_array, "f.json", list, nullptr)->value() == "#x ");
  r.text = "12";
  CHECK(ops::text_item(r, RecordFormat::json_array, "f.json", exact, validate).error().message.find("JSON string") !=
        std::string::npos);

  LineRecords src(std::make_unique<StringReader>("a\n\nb\nccccc\n", "k.txt"));
  auto count = ops::preflight_items(src, exact, validate);
  REQUIRE_FALSE(count);
  CHECK(count.error().message == "k.txt:4: too long");
  LineRecords good(std::make_unique<StringReader>("a\n\nb\n", "k.txt"));
  CHECK(*ops::preflight_items(good, exact, validate) == 2);
  CHECK(good.next()->text == "a");  // rewound
}

TEST_CASE("records: a UTF-8 byte order mark is not part of the first item, in lines and in JSON arrays") {
  auto lines = open_records(std::make_unique<StringReader>("\xEF\xBB\xBFuser/1\r\nuser/\t\n", "k.txt"));
  REQUIRE(lines->format() == RecordFormat::lines);
  auto first = lines->next();
  REQUIRE(first);
  CHECK(first->text == "user/1");  // the BOM and the CRLF are gone
  CHECK(first->offset == 3);
  CHECK(lines->next()->text == "user/\t");  // a tab at the end of a key is kept
  CHECK_FALSE(lines->next());
  REQUIRE(lines->seek(0, 1));
  CHECK(lines->next()->text == "user/1");  // and again after a rewind

  auto array = open_records(std::make_unique<StringReader>("\xEF\xBB\xBF [\"a\", \"b\"]", "k.json"));
  REQUIRE(array->format() == RecordFormat::json_array);
  CHECK(array->next()->text == "\"a\"");
  CHECK(array->next()->text == "\"b\"");
  CHECK_FALSE(array->next());
  CHECK_FALSE(array->error());
}

TEST_CASE("metadata matching") {
  json m = json::parse(R"({"type":"image","n":42,"flag":true,"nested":{"tags":["Blue-Sky","x"]},"none":null})");
  CHECK(ops::metadata_field_matches(m, "type", "image"));
  CHECK_FALSE(ops::metadata_field_matches(m, "type", "file"));
  CHECK(ops::metadata_field_matches(m, "n", "42"));
  CHECK(ops::metadata_field_matches(m, "flag", "true"));
  CHECK(ops::metadata_field_matches(m, "type", ""));
  CHECK_FALSE(ops::metadata_field_matches(m, "none", ""));
  CHECK_FALSE(ops::metadata_field_matches(m, "missing", ""));
  CHECK_FALSE(ops::metadata_field_matches(m, "nested", "x"));
  CHECK_FALSE(ops::metadata_field_matches(json(nullptr), "type", ""));
  CHECK(ops::metadata_contains(m, "blue-sky"));
  CHECK(ops::metadata_contains(m, "sky"));
  CHECK(ops::metadata_contains(m, "42"));
  CHECK_FALSE(ops::metadata_contains(m, "tags"));  // keys are not searched
  CHECK_FALSE(ops::metadata_contains(json(nullptr), "x"));
}

namespace runner_test {
/// Drives a BatchRunner against a scripted "API": poisoned ids always fail, `reject_once` ids are reported
/// unsuccessful the first time, and a batch containing `invalid` is rejected as a whole with a 400.
struct Harness {
  std::set<std::string> poisoned, reject_once, invalid;
  std::vector<std::size_t> batch_sizes;
  std::set<std::string> confirmed;
  std::map<std::string, std::string> failed;
  std::optional<Error> fatal;
  std::vector<std::pair<std::vector<std::string>, std::function<void(BatchOutcome)>>> pending;

  BatchRunner<std::string>::Hooks hooks() {
    BatchRunner<std::string>::Hooks h;
    h.id = [](const std::string& s) { return s; };
    h.send = [this](const std::vector<std::string>& batch, std::function<void(BatchOutcome)> done) {
      batch_sizes.push_back(batch.size());
      pending.emplace_back(batch, std::move(done));
    };
    h.confirmed = [this](const std::string& s, std::uint64_t) { CHECK(confirmed.insert(s).second); };
    h.failed = [this](const std::string& s, std::uint64_t, const Error& e) { failed[s] = e.message; };
    h.fatal = [this](const Error& e) { fatal = e; };
    return h;
  }
  /// Answers every pending batch (answers may queue more batches).
  void answer_all() {
    while (!pending.empty()) {
      auto [batch, done] = std::move(pending.front());
      pending.erase(pending.begin());
      BatchOutcome out;
      for (const auto& k : batch)
        if (invalid.count(k) && batch.size() >= 1) out.error = Error::make(ErrorKind::bad_request, "invalid key " + k);
      if (!out.error)
        for (const auto& k : batch) {
          if (poisoned.count(k)) out.unsuccessful.push_back(k);
          else if (reject_once.erase(k)) out.unsuccessful.push_back(k);
        }
      done(out);
    }
  }
};
}  // namespace runner_test

TEST_CASE("batch runner: batches by count, confirms, requeues unsuccessful keys, reports poisoned ones") {
  runner_test::Harness h;
  h.poisoned = {"k13"};
  h.reject_once = {"k3", "k7"};
  BatchRunner<std::string> runner({5, SIZE_MAX, 100, SIZE_MAX, 4}, h.hooks());
  for (int i = 0; i < 23; ++i) runner.push("k" + std::to_string(i), 0);
  CHECK(h.batch_sizes == std::vector<std::size_t>{5, 5, 5, 5});  // the partial batch waits for more input
  runner.finish_input();
  h.answer_all();
  CHECK(runner.idle());
  CHECK(h.confirmed.size() == 22);
  REQUIRE(h.failed.size() == 1);
  CHECK(h.failed.count("k13"));
  CHECK(h.failed["k13"].find("4 times") != std::string::npos);
  CHECK_FALSE(h.fatal);
}

TEST_CASE("batch runner: a rejected batch is bisected down to the bad item") {
  runner_test::Harness h;
  h.invalid = {"k6"};
  BatchRunner<std::string> runner({16, SIZE_MAX, 100, SIZE_MAX, 8}, h.hooks());
  for (int i = 0; i < 16; ++i) runner.push("k" + std::to_string(i), 0);
  runner.finish_input();
  h.answer_all();
  CHECK(h.confirmed.size() == 15);
  REQUIRE(h.failed.size() == 1);
  CHECK(h.failed["k6"] == "invalid key k6");
  // 16 → 8+8 → 4+4 → 2+2 → 1+1: 1 + 2·4 = 9 batches
  CHECK(h.batch_sizes.size() == 9);
}

TEST_CASE("batch runner: a fatal error leaves items unsettled and stops sending") {
  runner_test::Harness h;
  BatchRunner<std::string> runner({2, SIZE_MAX, 100, SIZE_MAX, 8}, h.hooks());
  runner.push("a", 0);
  runner.push("b", 0);
  runner.push("c", 0);
  auto [batch, done] = std::move(h.pending.front());
  h.pending.erase(h.pending.begin());
  done({Error::make(ErrorKind::authentication, "bad token"), {}});
  REQUIRE(h.fatal);
  CHECK(runner.aborted());
  CHECK(h.confirmed.empty());
  CHECK(h.failed.empty());  // not failed: not done — resume does them
  runner.finish_input();
  CHECK(h.pending.empty());  // nothing more sent
  CHECK_FALSE(runner.can_accept());
}

TEST_CASE("batch runner: keys that always fail cost one request per round, not one per key") {
  // The issue's case: 1,000 of 3,000 keys in a delete always fail (a poisoned prefix). Before, each rejected key
  // rode alone in a batch of its own at the end of the input: 7,000 requests. Now each round's rejects go together.
  runner_test::Harness h;
  for (int i = 0; i < 1000; ++i) h.poisoned.insert("p" + std::to_string(i));
  BatchRunner<std::string> runner({10'000, SIZE_MAX, 100, SIZE_MAX, 8}, h.hooks());
  for (int i = 0; i < 3000; ++i) runner.push(i < 1000 ? "p" + std::to_string(i) : "k" + std::to_string(i), 0);
  runner.finish_input();
  h.answer_all();
  CHECK(runner.idle());
  CHECK(h.confirmed.size() == 2000);
  CHECK(h.failed.size() == 1000);
  // the first batch + 7 rounds of the 1,000 rejected keys together: minimum (1) + rounds (7)
  CHECK(h.batch_sizes == std::vector<std::size_t>{3000, 1000, 1000, 1000, 1000, 1000, 1000, 1000});
}

TEST_CASE("batch runner: a key isolated and refused is reported once and never sent again") {
  runner_test::Harness h;
  h.invalid = {"k1"};
  BatchRunner<std::string> runner({2, SIZE_MAX, 100, SIZE_MAX, 8}, h.hooks());
  runner.push("k0", 0);
  runner.push("k1", 0);
  runner.finish_input();
  h.answer_all();
  CHECK(h.batch_sizes == std::vector<std::size_t>{2, 1, 1});
  CHECK(h.failed.size() == 1);
}

TEST_CASE("batch runner: limit_batch_size re-cuts everything pending, and a refused larger batch, at once") {
  runner_test::Harness h;
  BatchRunner<std::string> runner({500, SIZE_MAX, 100, SIZE_MAX, 8}, h.hooks());
  for (int i = 0; i < 1600; ++i) runner.push("k" + std::to_string(i), 0);
  runner.finish_input();
  CHECK(h.batch_sizes == std::vector<std::size_t>{500, 500, 500, 100});  // all four sent
  // The API refuses the first: "at most 100 per request". The owner lowers the size before passing the answer on.
  auto [first, done] = std::move(h.pending.front());
  h.pending.erase(h.pending.begin());
  runner.limit_batch_size(100);
  CHECK(runner.batch_size() == 100);
  done({Error::make(ErrorKind::bad_request, "Exceeded maximum amount of 100 files per purge request"), {}});
  // re-cut into 5 × 100 at once — not halved 500 → 250 → 125 → 62/63
  CHECK(h.batch_sizes == std::vector<std::size_t>{500, 500, 500, 100, 100, 100, 100, 100, 100});
  runner.limit_batch_size(200);  // never raised
  CHECK(runner.batch_size() == 100);
}

TEST_CASE("batch runner: limit_batch_size re-cuts batches not yet sent") {
  runner_test::Harness h;
  BatchRunner<std::string>::Hooks hooks = h.hooks();
  std::vector<std::function<void(BatchOutcome)>> held;
  int sends = 0;
  hooks.send = [&](const std::vector<std::string>& batch, std::function<void(BatchOutcome)> done) {
    h.batch_sizes.push_back(batch.size());
    ++sends;
    held.push_back(std::move(done));
  };
  BatchRunner<std::string> r2({4, SIZE_MAX, 100, SIZE_MAX, 8}, hooks);
  for (int i = 0; i < 7; ++i) r2.push("k" + std::to_string(i), 0);  // one batch of 4 sent, 3 filling
  r2.limit_batch_size(2);
  r2.finish_input();
  CHECK(h.batch_sizes == std::vector<std::size_t>{4, 2, 1});
  CHECK(sends == 3);
}

TEST_CASE("batch runner: byte caps and backpressure") {
  runner_test::Harness h;
  BatchRunner<std::string>::Config cfg{100, 10, 2, 1000, 8};
  auto hooks = h.hooks();
  hooks.bytes = [](const std::string& s) { return s.size(); };
  BatchRunner<std::string> runner(cfg, hooks);
  runner.push("aaaa", 0);
  runner.push("bbbb", 0);
  runner.push("cccc", 0);  // 12 bytes > 10: the first two leave as a batch
  CHECK(h.batch_sizes == std::vector<std::size_t>{2});
  CHECK_FALSE(runner.can_accept());  // one in flight + one filling = 2 pending batches
  h.answer_all();
  CHECK(runner.can_accept());
}

TEST_CASE("journaled specs: numbers that are not whole or out of range are refused, never converted") {
  CHECK(api::json_integer<int>(json(7)) == 7);
  CHECK_FALSE(api::json_integer<int>(json(1e300)));
  CHECK_FALSE(api::json_integer<int>(json(1.0)));
  CHECK_FALSE(api::json_integer<unsigned>(json(-1)));
  CHECK_FALSE(api::json_integer<int>(json(std::uint64_t{1} << 40)));
  CHECK(api::json_integer<std::uint64_t>(json(std::uint64_t{1} << 63)) == std::uint64_t{1} << 63);
  CHECK_FALSE(api::json_integer<int>(json("7")));

  json spec = ops::KvDeleteSpec{}.to_json();
  spec["account_id"] = "a";
  spec["namespace_id"] = "n";
  spec["prefix"] = "p/";
  REQUIRE(ops::KvDeleteSpec::from_json(spec));
  CHECK_FALSE(ops::KvDeleteSpec::from_json(spec)->validate());
  spec["batch_size"] = 2e300;
  auto e = ops::KvDeleteSpec::from_json(spec);
  REQUIRE_FALSE(e);
  CHECK(e.error().message.find("batch_size") != std::string::npos);
  spec["batch_size"] = 0;
  auto zero = ops::KvDeleteSpec::from_json(spec);
  REQUIRE(zero);
  REQUIRE(zero->validate());
  CHECK(zero->validate()->to_error().message.find("1-10000") != std::string::npos);
  json old{{"account_id", "a"}, {"namespace_id", "n"}, {"selector", "prefix"}, {"prefix", "p/"}};
  CHECK(ops::KvDeleteSpec::from_json(old).error().message.find("older version") != std::string::npos);
}

namespace {

/// Bytes that can be read once and never sought: standard input from a pipe.
class PipeReader final : public ByteReader {
 public:
  explicit PipeReader(std::string data) : data_(std::move(data)) {}
  std::size_t read(char* buf, std::size_t n) override {
    n = std::min({n, data_.size() - pos_, std::size_t{3}});  // short reads, as a pipe gives them
    std::memcpy(buf, data_.data() + pos_, n);
    pos_ += n;
    return n;
  }
  bool seek(std::uint64_t) override { return false; }
  std::optional<std::uint64_t> size() const override { return std::nullopt; }
  std::string name() const override { return "-"; }

 private:
  std::string data_;
  std::size_t pos_ = 0;
};

std::vector<std::string> texts_of(RecordSource& src) {
  std::vector<std::string> out;
  while (auto r = src.next()) out.push_back(r->text);
  return out;
}

}  // namespace

TEST_CASE("records from a reader that cannot seek lose no byte to the format sniff") {
  // Was: the sniff read "h" of "https://…" and could not give it back ("ttps://…"; "in" for "bin").
  auto lines = open_records(std::make_unique<PipeReader>("https://a.example/x\nbin\n"));
  CHECK(texts_of(*lines) == std::vector<std::string>{"https://a.example/x", "bin"});
  // Whatever the sniff reads (a BOM, blanks, the '[' of an array), a pipe gives the records a file gives.
  for (const std::string text : {"\xEF\xBB\xBF \n\tkey\n", "  [\"a\", \"b c\"]", "\n\n\r\nx", "", "["}) {
    auto piped = open_records(std::make_unique<PipeReader>(text));
    auto file = open_records(std::make_unique<StringReader>(text, "-"));
    CHECK(texts_of(*piped) == texts_of(*file));
    CHECK(static_cast<bool>(piped->error()) == static_cast<bool>(file->error()));
  }
  ReplayReader replay("ab", std::make_unique<PipeReader>("cd"));
  char buf[8];
  CHECK(replay.read(buf, 8) == 2);
  CHECK(replay.seek(0));  // still inside the given-back bytes
  CHECK(replay.read(buf, 8) == 2);
  CHECK(replay.read(buf, 8) == 2);
  CHECK_FALSE(replay.seek(0));  // past them: a pipe cannot go back
}
