#pragma once
/// @file
/// Importing (bulk writing) KV pairs from NDJSON or a JSON array, streamed: records → validated pairs → batches of
/// ≤ 10,000 pairs and ≤ 100 MB → bulk writes, with `unsuccessful_keys` re-queued and rejected batches bisected.
///
/// A record is an object `{"key": …, "value": …}` (`name` is accepted for `key`, so `kv export` output and `kv list
/// --json` rows import directly) with optional `base64`, `expiration`, `expiration_ttl` and `metadata`. A value that
/// is not a string is stored as its JSON text.
///
/// Input order is kept: when a key appears on several lines, the last line wins, whatever retries happen — a pair
/// is never sent while an earlier pair for the same key is still unsettled (it waits, and other keys go on), a
/// waiting pair that a still later line replaces is never sent at all (counted done, and as `superseded`), and a
/// resume redoes everything after the watermark in order. A pair whose absolute `expiration` is already past (or
/// under the API's 60 s minimum ahead) when it is sent is reported failed, not written: the rest of the file still
/// goes in.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>

#include "ckp/api/base64.hpp"
#include "ckp/api/json_integer.hpp"
#include "ckp/api/json_parse.hpp"
#include "ckp/api/kv.hpp"
#include "ckp/api/validate.hpp"
#include "ckp/engine/batch_runner.hpp"
#include "ckp/engine/watermark.hpp"
#include "ckp/ops/operation.hpp"
#include "ckp/ops/spec_error.hpp"
#include "ckp/ops/streaming_op.hpp"

namespace ckp::ops {

/// What to import. Serialized into the journal.
struct KvImportSpec {
  std::string account_id;                                   ///< the account that owns the namespace
  std::string namespace_id;                                 ///< the namespace's id
  std::string input;                                        ///< the input's name (a file path)
  std::uint64_t input_size = 0;                             ///< its size (a resume against another file is refused)
  std::size_t batch_size = api::kv_limits::max_bulk_items;  ///< pairs per bulk write, 1–10,000
  std::size_t max_batch_bytes = api::kv_limits::max_bulk_request_bytes - 1024;  ///< room for brackets and slack
  bool dry_run = false;                                                         ///< validate and count; write nothing

  static constexpr const char* op_name = "kv.import";  ///< OpReport::operation and the journal's `op`

  /// The spec as journaled.
  json to_json() const {
    return {{"account_id", account_id}, {"namespace_id", namespace_id}, {"input", input},
            {"input_size", input_size}, {"batch_size", batch_size},     {"max_batch_bytes", max_batch_bytes},
            {"dry_run", dry_run}};
  }
  /// Checks the spec as a whole.
  std::optional<SpecError> validate() const {
    if (account_id.empty()) return refuse({"account_id"}, "no account: {0} is empty");
    if (namespace_id.empty()) return refuse({"namespace_id"}, "no namespace: {0} is empty");
    if (batch_size < 1 || batch_size > api::kv_limits::max_bulk_items)
      return refuse({"batch_size"}, "{0} must be 1-10000 (it is " + std::to_string(batch_size) + ")");
    if (max_batch_bytes < 1 || max_batch_bytes > api::kv_limits::max_bulk_request_bytes)
      return refuse({"max_batch_bytes"}, "{0} must be 1-" + std::to_string(api::kv_limits::max_bulk_request_bytes));
    return std::nullopt;
  }

  /// Reads a journaled spec back; ErrorKind::journal when a field is missing or of the wrong type.
  static Result<KvImportSpec> from_json(const json& j) {
    try {
      KvImportSpec s;
      s.account_id = j.at("account_id");
      s.namespace_id = j.at("namespace_id");
      s.input = j.value("input", "");
      s.input_size = api::json_integer_field(j, "input_size", std::uint64_t{0});
      s.batch_size = api::json_integer_field(j, "batch_size", api::kv_limits::max_bulk_items);
      s.max_batch_bytes = api::json_integer_field(j, "max_batch_bytes", s.max_batch_bytes);
      if (s.batch_size < 1 || s.batch_size > api::kv_limits::max_bulk_items || s.max_batch_bytes < 1)
        return Error::make(ErrorKind::journal, "batch limits in journal are out of range");
      s.dry_run = j.value("dry_run", false);
      return s;
    } catch (const std::exception& e) {  // json::exception, or std::invalid_argument from json_integer_field
      return Error::make(ErrorKind::journal, std::string("bad kv.import spec in journal: ") + e.what());
    }
  }
};

/// Parses and validates one import record (everything but how soon an absolute expiration comes: see
/// expiration_problem()). Errors name `source:line`.
inline Result<api::kv::BulkPair> parse_import_record(const io::Record& record, const std::string& source) {
  auto fail = [&](const std::string& what) {
    return Error::make(ErrorKind::invalid_input, fmt::format("{}:{}: {}", source, record.line, what));
  };
  auto parsed = api::parse_json(record.text);
  if (!parsed) return fail(parsed.error().message);
  json j = std::move(*parsed);
  if (!j.is_object()) return fail("expected an object with \"key\" and \"value\"");
  api::kv::BulkPair p;
  const json* key = j.contains("key") ? &j["key"] : j.contains("name") ? &j["name"] : nullptr;
  if (!key || !key->is_string()) return fail("missing \"key\" (a string)");
  p.key = key->get<std::string>();
  if (auto e = api::validate_key(p.key)) return fail(e->message);
  auto v = j.find("value");
  if (v == j.end() || v->is_null())
    return fail(fmt::format("key {}: missing \"value\"", api::detail::quote_short(p.key)));
  p.value = v->is_string() ? v->get<std::string>() : v->dump();
  if (auto b = j.find("base64"); b != j.end()) {
    if (!b->is_boolean()) return fail("\"base64\" must be true or false");
    p.base64 = b->get<bool>();
  }
  if (p.base64) {
    auto decoded = api::base64_decode(p.value);
    if (!decoded) return fail(fmt::format("key {}: \"value\" is not valid base64", api::detail::quote_short(p.key)));
    if (auto e = api::validate_value_size(decoded->size(), p.key)) return fail(e->message);
  } else if (auto e = api::validate_value_size(p.value.size(), p.key)) {
    return fail(e->message);
  }
  auto integer = [&](const char* name) -> Result<std::optional<std::int64_t>> {
    auto it = j.find(name);
    if (it == j.end() || it->is_null()) return std::optional<std::int64_t>{};
    if (!it->is_number_integer()) return fail(fmt::format("\"{}\" must be an integer", name));
    return std::optional<std::int64_t>{it->get<std::int64_t>()};
  };
  auto ttl = integer("expiration_ttl");
  if (!ttl) return std::move(ttl).error();
  auto exp = integer("expiration");
  if (!exp) return std::move(exp).error();
  p.expiration_ttl = *ttl;
  p.expiration = *exp;
  if (p.expiration_ttl) {
    if (auto e = api::validate_expiration_ttl(*p.expiration_ttl)) return fail(e->message);
  } else if (p.expiration && (*p.expiration < 0 || *p.expiration > INT32_MAX)) {
    return fail(fmt::format("key {}: expiration {} is not a Unix time Workers KV can store (0 to 2147483647)",
                            api::detail::quote_short(p.key), *p.expiration));
  }
  if (auto m = j.find("metadata"); m != j.end() && !m->is_null()) {
    if (auto e = api::validate_metadata(*m, p.key)) return fail(e->message);
    p.metadata = *m;
  }
  return p;
}

/// Why @p pair cannot be written at @p now_unix: an absolute expiration that has passed or is less than the API's
/// 60 seconds ahead (an exported key about to expire). Nullopt when it can be written.
inline std::optional<Error> expiration_problem(const api::kv::BulkPair& pair, std::int64_t now_unix) {
  if (pair.expiration_ttl || !pair.expiration) return std::nullopt;
  if (auto e = api::validate_expiration(*pair.expiration, now_unix)) {
    e->message += "; not written (the key would have expired by now or within the minute)";
    return e;
  }
  return std::nullopt;
}

/// Reads all of @p source once, validating every record; returns how many pairs it holds.
inline Result<std::uint64_t> preflight_import(io::RecordSource& source) {
  std::uint64_t count = 0;
  while (auto record = source.next()) {
    if (source.format() == io::RecordFormat::lines && record->text.find_first_not_of(" \t") == std::string::npos)
      continue;
    auto pair = parse_import_record(*record, source.name());
    if (!pair) return std::move(pair).error();
    ++count;
  }
  if (source.error()) return *source.error();
  if (auto e = io::rewind(source)) return *e;
  return count;
}

/// Bulk-writes the pairs of an input (see the file's comment).
///
/// Errors: stops with invalid_input naming `file:line` for a malformed record or a bad batch size, with journal
/// when a resume does not match, and with the API's error when a batch fails fatally; pairs the API refuses one by
/// one end in OpReport::failures (status partial).
///
/// Example:
/// ```
/// auto input = std::make_unique<ckp::io::LineRecords>(
///     std::make_unique<ckp::io::StringReader>("{\"key\":\"a\",\"value\":\"1\"}\n", "pairs.ndjson"));
/// ckp::ops::KvImport op(scheduler, {.account_id = account, .namespace_id = ns, .input = "pairs.ndjson"},
///                       std::move(input));
/// ckp::ops::OpReport report = ckp::ops::run(sim, op);   // report.done == 1
/// ```
class KvImport final : public StreamingOp {
 public:
  /// Writes the records of @p input (never null); @p expected_total, when known (a preflight count), gives
  /// progress a total and an ETA.
  KvImport(engine::Scheduler& scheduler, KvImportSpec spec, std::unique_ptr<io::RecordSource> input,
           OpOptions options = {}, std::optional<std::uint64_t> expected_total = {})
      : StreamingOp(KvImportSpec::op_name, scheduler, std::move(options)), spec_(std::move(spec)),
        expected_total_(expected_total), input_(std::move(input)),
        runner_({spec_.batch_size, spec_.max_batch_bytes, 4, 128u << 20, 8}, runner_hooks()) {
    report_.dry_run = spec_.dry_run;
    report_.spec = spec_.to_json();
  }

 protected:
  std::optional<Error> check_spec() const override {
    if (auto e = spec_.validate()) return e->to_error(options_.name_field);
    if (!input_) return Error::make(ErrorKind::invalid_input, "no input given");
    return std::nullopt;
  }
  // No skipping ahead on resume: a later line for a key must land after an earlier one, even across a crash.
  void begin() override { read_records(std::move(input_), false); }
  bool has_room() const override { return room_to_park() && runner_.can_accept(); }
  void on_input_end() override { runner_.finish_input(); }
  bool work_finished() const override { return input_done() && parked_.empty() && runner_.idle(); }
  std::string phase() const override { return "writing"; }
  std::optional<std::uint64_t> total() const override {
    return expected_total_ ? expected_total_ : options_.expected_total;
  }
  void on_finalize() override {
    StreamingOp::on_finalize();
    report_.extra["superseded"] = superseded_;
  }

  std::optional<Error> on_record(const io::Record& record, SegmentId segment) override {
    if (records().format() == io::RecordFormat::lines && record.text.find_first_not_of(" \t") == std::string::npos)
      return std::nullopt;  // blank line
    ++report_.scanned;
    auto pair = parse_import_record(record, records().name());
    if (!pair) return std::move(pair).error();
    add_sample(pair->key);
    take(segment);
    if (spec_.dry_run) {
      add_done();
      settle_done(segment);
    } else if (unsettled_.count(pair->key)) {
      park(std::move(*pair), segment);
    } else {
      push(std::move(*pair), segment);
    }
    return std::nullopt;
  }

 private:
  using Runner = engine::BatchRunner<api::kv::BulkPair>;

  Runner::Hooks runner_hooks() {
    auto h = settling_hooks<api::kv::BulkPair>([](const api::kv::BulkPair& p) { return p.key; },
                                               [this](const api::kv::BulkPair& p, std::uint64_t segment,
                                                      const Error* failure) { settle(p.key, segment, failure); });
    h.bytes = [](const api::kv::BulkPair& p) { return api::kv::encoded_size(p); };
    h.after_outcome = [this] {
      // The input waits on the pairs parked: an earlier pair for one of their keys may have been put back into a
      // batch that nothing else would fill.
      if (!room_to_park()) runner_.flush();
      maybe_finish();
    };
    h.send = [this](const std::vector<api::kv::BulkPair>& pairs, std::function<void(engine::BatchOutcome)> done) {
      submit_bulk(scheduler_, api::kv::bulk_write(spec_.account_id, spec_.namespace_id, pairs), pairs.size(),
                  std::move(done));
    };
    return h;
  }

  /// An earlier line for @p pair's key is still on its way: this one waits for it. A pair already waiting for the same
  /// key is superseded by this later line — its value would be overwritten anyway — and settles without being sent.
  void park(api::kv::BulkPair pair, SegmentId segment) {
    const std::size_t bytes = api::kv::encoded_size(pair);
    auto [it, fresh] = parked_.try_emplace(pair.key);
    if (!fresh) {
      parked_bytes_ -= api::kv::encoded_size(it->second.first);
      add_done();
      ++superseded_;
      settle_done(it->second.second);
    }
    it->second = {std::move(pair), segment};
    parked_bytes_ += bytes;
    if (!room_to_park()) runner_.flush();  // the input stops here: what is batched must go out for the wait to end
  }
  bool room_to_park() const { return parked_.size() < max_parked && parked_bytes_ < max_parked_bytes; }

  /// Sends @p pair (unless its expiration has come too close, which settles it as failed).
  void push(api::kv::BulkPair pair, SegmentId segment) {
    if (auto e = expiration_problem(pair, to_unix_seconds(scheduler_.now()))) {
      add_failure(pair.key, *e);
      return settle_failed(segment, pair.key, *e);
    }
    ++unsettled_[pair.key];
    runner_.push(std::move(pair), segment);
  }

  /// The pair for @p key of @p segment is settled. (The runner's after_outcome finishes the operation once the
  /// whole batch is counted; finishing here, mid-batch, would under-report a stopped operation.)
  void settle(const std::string& key, SegmentId segment, const Error* failure) {
    if (auto it = unsettled_.find(key); it != unsettled_.end() && --it->second == 0) {
      unsettled_.erase(it);
      if (auto waiting = parked_.find(key); waiting != parked_.end() && !stopping()) {
        auto [pair, parked_segment] = std::move(waiting->second);
        parked_bytes_ -= api::kv::encoded_size(pair);
        parked_.erase(waiting);
        push(std::move(pair), parked_segment);
      }
    }
    if (failure) settle_failed(segment, key, *failure);
    else settle_done(segment);
  }

  KvImportSpec spec_;
  std::optional<std::uint64_t> expected_total_;
  std::unique_ptr<io::RecordSource> input_;
  Runner runner_;
  // Bounds on the pairs waiting for an earlier pair of their key (a file of one key on a million lines).
  static constexpr std::size_t max_parked = 10'000;
  static constexpr std::size_t max_parked_bytes = 64u << 20;
  std::unordered_map<std::string, std::uint32_t> unsettled_;  // keys sent or batched, not yet settled
  // Per key, the latest pair waiting for the key's earlier pair to settle.
  std::unordered_map<std::string, std::pair<api::kv::BulkPair, SegmentId>> parked_;
  std::size_t parked_bytes_ = 0;
  std::uint64_t superseded_ = 0;
};

}  // namespace ckp::ops
