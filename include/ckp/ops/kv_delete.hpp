#pragma once
/// @file
/// Deleting KV keys at scale, streamed: list → filter → batch (≤ 10,000) → bulk delete, with deletes starting while
/// the listing continues and memory flat in the size of the namespace.
///
/// Keys are selected by prefix, by a metadata field's value, by a deep metadata search, or read from an input
/// (a keys file, streamed, never loaded whole). Every key ends confirmed by the API or in the failure report; the
/// journal's watermark only ever moves past settled keys, so a resume never skips one.

#include <cstdint>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <utility>
#include <vector>

#include "ckp/api/json_integer.hpp"
#include "ckp/api/kv.hpp"
#include "ckp/api/validate.hpp"
#include "ckp/engine/batch_runner.hpp"
#include "ckp/engine/records.hpp"
#include "ckp/engine/watermark.hpp"
#include "ckp/ops/key_lister.hpp"
#include "ckp/ops/metadata_match.hpp"
#include "ckp/ops/operation.hpp"
#include "ckp/ops/record_feeder.hpp"
#include "ckp/ops/text_input.hpp"

namespace ckp::ops {

/// What to delete. Serialized into the journal, so it holds no secrets.
struct KvDeleteSpec {
  /// How keys are chosen.
  enum class Selector {
    prefix,    ///< every key under `prefix`
    metadata,  ///< keys under `prefix` whose metadata field `field` is `value`
    search,    ///< keys under `prefix` whose metadata contains `search`
    keys       ///< the keys named in an input (one per line, or a JSON array)
  };

  std::string account_id;    ///< the account that owns the namespace
  std::string namespace_id;  ///< the namespace's id (32 hex characters)
  Selector selector = Selector::prefix;  ///< how keys are chosen
  std::string prefix;       ///< listing prefix for prefix/metadata/search ("" = every key)
  std::string field;        ///< metadata: the top-level field
  std::string value;        ///< metadata: its value ("" = any value)
  std::string search;       ///< search: text to find anywhere in the metadata, ignoring case
  std::string pattern;      ///< optional: an ECMAScript regular expression key names must match (any selector)
  std::string input;        ///< keys: the input's name (a file path)
  std::uint64_t input_size = 0;  ///< keys: its size in bytes (a resume against another file is refused)
  std::size_t batch_size = api::kv_limits::max_bulk_items;  ///< keys per bulk delete, 1–10,000
  bool dry_run = false;  ///< count and sample what would be deleted; delete nothing

  static constexpr const char* op_name = "kv.delete";  ///< OpReport::operation and the journal's `op`

  /// The spec as journaled.
  json to_json() const {
    static constexpr const char* names[] = {"prefix", "metadata", "search", "keys"};
    return {{"account_id", account_id}, {"namespace_id", namespace_id}, {"selector", names[static_cast<int>(selector)]},
            {"prefix", prefix},         {"field", field},               {"value", value},
            {"search", search},         {"pattern", pattern},           {"input", input},
            {"input_size", input_size},
            {"batch_size", batch_size}, {"dry_run", dry_run}};
  }

  /// Reads a journaled spec back; ErrorKind::journal when a field is missing or of the wrong type.
  static Result<KvDeleteSpec> from_json(const json& j) {
    try {
      KvDeleteSpec s;
      s.account_id = j.at("account_id");
      s.namespace_id = j.at("namespace_id");
      const std::string sel = j.at("selector");
      if (sel == "prefix") s.selector = Selector::prefix;
      else if (sel == "metadata") s.selector = Selector::metadata;
      else if (sel == "search") s.selector = Selector::search;
      else if (sel == "keys") s.selector = Selector::keys;
      else return Error::make(ErrorKind::journal, "unknown selector '" + sel + "' in journal");
      s.prefix = j.value("prefix", "");
      s.field = j.value("field", "");
      s.value = j.value("value", "");
      s.search = j.value("search", "");
      s.pattern = j.value("pattern", "");
      s.input = j.value("input", "");
      s.input_size = api::json_integer_field(j, "input_size", std::uint64_t{0});
      s.batch_size = api::json_integer_field(j, "batch_size", api::kv_limits::max_bulk_items);
      if (s.batch_size < 1 || s.batch_size > api::kv_limits::max_bulk_items)
        return Error::make(ErrorKind::journal, "batch_size in journal is outside 1-10000");
      s.dry_run = j.value("dry_run", false);
      return s;
    } catch (const std::exception& e) {  // json::exception, or std::invalid_argument from json_integer_field
      return Error::make(ErrorKind::journal, std::string("bad kv.delete spec in journal: ") + e.what());
    }
  }

  /// Whether a key listed with @p metadata is selected by the metadata selectors (the pattern is separate).
  bool selects(const json& metadata) const {
    switch (selector) {
      case Selector::metadata: return metadata_field_matches(metadata, field, value);
      case Selector::search: return metadata_contains(metadata, detail::ascii_lower(search));
      default: return true;
    }
  }
};

/// Deletes the keys a KvDeleteSpec selects, streamed (see the file's comment).
///
/// Errors: stops with invalid_input for a bad pattern, batch size or missing keys input (before any call), with
/// journal when resuming a different spec, and with the API's error when a listing fails or a batch fails fatally
/// (authentication, not_found, retries exhausted); keys the API refuses one by one end in OpReport::failures
/// (status partial).
///
/// Example:
/// ```
/// ckp::ops::KvDeleteSpec spec;
/// spec.account_id = account;
/// spec.namespace_id = ns;
/// spec.prefix = "session/";
/// ckp::ops::KvDelete op(scheduler, spec, {.on_progress = show});
/// ckp::ops::OpReport report = ckp::ops::run(http, op);   // report.done: keys the API confirmed deleted
/// ```
/// A keys file instead (Selector::keys), streamed:
/// ```
/// spec.selector = ckp::ops::KvDeleteSpec::Selector::keys;
/// auto file = ckp::io::FileReader::open("keys.txt");
/// if (!file) return fail(file.error());
/// ckp::ops::KvDelete op(scheduler, spec, {}, ckp::engine::open_records(std::move(*file)));
/// ```
class KvDelete final : public Operation {
 public:
  /// @p keys is the input for Selector::keys (null otherwise); @p expected_total, when known (from a preflight),
  /// gives progress a total and an ETA.
  KvDelete(engine::Scheduler& scheduler, KvDeleteSpec spec, OpOptions options = {},
           std::unique_ptr<engine::RecordSource> keys = nullptr, std::optional<std::uint64_t> expected_total = {})
      : Operation(KvDeleteSpec::op_name, scheduler, std::move(options)), spec_(std::move(spec)),
        expected_total_(expected_total),
        // 24 pending batches: enough to keep the default concurrency (24 at the start, up to 64) busy on a keys-file
        // delete, at most 240,000 keys (~20 MB) in memory.
        runner_({spec_.batch_size, std::numeric_limits<std::size_t>::max(), 24, 64u << 20, 8}, runner_hooks()) {
    report_.dry_run = spec_.dry_run;
    if (keys) feeder_.emplace(std::move(keys), watermark_, feeder_hooks());
    if (!spec_.pattern.empty()) {
      try {
        pattern_.emplace(spec_.pattern, std::regex::ECMAScript);
      } catch (const std::regex_error& e) {
        bad_pattern_ = Error::make(ErrorKind::invalid_input, "--pattern '" + spec_.pattern + "' is not a valid regular expression: " + e.what());
      }
    }
  }

  /// Called with each listed page's selected keys (and their metadata) before any of them is deleted — for callers
  /// that must record something about a key while it still exists (sync purge collects cache tags here).
  void before_delete(std::function<void(const std::vector<api::kv::Key>&)> hook) { before_delete_ = std::move(hook); }

 protected:
  void begin() override {
    if (bad_pattern_) return stop(*bad_pattern_);
    if (spec_.batch_size == 0 || spec_.batch_size > api::kv_limits::max_bulk_items)
      return stop(Error::make(ErrorKind::invalid_input, "batch size must be 1-10000"));
    if (spec_.selector == KvDeleteSpec::Selector::keys && !feeder_)
      return stop(Error::make(ErrorKind::invalid_input, "no keys input given"));
    std::string cursor;
    if (options_.resume) {
      if (auto e = check_same_spec(*options_.resume, KvDeleteSpec::op_name, spec_.to_json())) return stop(*e);
      restore_counters(*options_.resume);
      if (const auto& point = options_.resume->resume) {
        cursor = point->value("cursor", "");
        input_done_ = point->value("end", false);
      }
      if (feeder_) feeder_->resume_from(*options_.resume);
    } else if (options_.journal && !spec_.dry_run) {
      options_.journal->begin(KvDeleteSpec::op_name, spec_.to_json());
    }
    if (input_done_) {
      runner_.finish_input();
    } else if (feeder_) {
      feeder_->pump();
    } else {
      lister_.emplace(scheduler_, KeyLister::Config{spec_.account_id, spec_.namespace_id, spec_.prefix, cursor},
                      lister_hooks());
      lister_->poke();
    }
  }

  bool work_finished() const override { return input_done_ && runner_.idle(); }
  std::string phase() const override { return input_done_ ? "deleting" : "listing and deleting"; }
  std::optional<std::uint64_t> total() const override { return expected_total_; }

  void on_finalize() override { checkpoint(); }

 private:
  using Runner = engine::BatchRunner<std::string>;

  Runner::Hooks runner_hooks() {
    auto h = settling_hooks<std::string>([](const std::string& key) { return key; },
                                         [this](std::uint64_t segment) { settle(segment); });
    h.send = [this](const std::vector<std::string>& keys, std::function<void(engine::BatchOutcome)> done) {
      submit_bulk(scheduler_, api::kv::bulk_delete(spec_.account_id, spec_.namespace_id, keys), keys.size(),
                  std::move(done));
    };
    return h;
  }

  KeyLister::Hooks lister_hooks() {
    KeyLister::Hooks h;
    h.can_accept = [this] { return !stopping() && runner_.can_accept(); };
    h.page = [this](std::vector<api::kv::Key>&& keys, const std::string& cursor_after) {
      const auto segment = watermark_.open(json{{"cursor", cursor_after}, {"end", cursor_after.empty()}});
      report_.scanned += keys.size();
      std::erase_if(keys, [this](const api::kv::Key& k) { return !spec_.selects(k.metadata) || !name_matches(k.name); });
      if (before_delete_ && !keys.empty()) before_delete_(keys);
      for (auto& key : keys) select(std::move(key.name), segment);
      watermark_.close(segment);
      checkpoint();
    };
    h.end = [this] {
      input_done_ = true;
      runner_.finish_input();
      maybe_finish();
    };
    h.error = [this](const Error& e) { stop(e); };
    return h;
  }

  bool name_matches(const std::string& name) const { return !pattern_ || std::regex_search(name, *pattern_); }

  /// A key is selected: delete it (or, in a dry run, count it).
  void select(std::string key, engine::WatermarkTracker::SegmentId segment) {
    add_sample(key);
    if (spec_.dry_run) {
      add_done();
      return;
    }
    watermark_.add(segment);
    runner_.push(std::move(key), segment);
  }

  RecordFeeder::Hooks feeder_hooks() {
    RecordFeeder::Hooks h;
    h.can_accept = [this] { return !stopping() && runner_.can_accept(); };
    h.record = [this](const engine::Record& record, engine::WatermarkTracker::SegmentId segment) -> std::optional<Error> {
      ++report_.scanned;
      auto key = text_item(record, feeder_->source().format(), feeder_->source().name(), false,
                           [](std::string_view k) { return api::validate_key(k); });
      if (!key) return std::move(key).error();
      if (key->has_value() && name_matches(**key)) select(std::move(**key), segment);
      return std::nullopt;
    };
    h.end = [this] {
      input_done_ = true;
      runner_.finish_input();
      checkpoint();
      maybe_finish();
    };
    h.error = [this](const Error& e) { stop(e); };
    return h;
  }

  /// An item of @p segment is settled. (The runner's after_outcome finishes the operation once the whole batch is
  /// counted; finishing here, mid-batch, would under-report a stopped operation.)
  void settle(engine::WatermarkTracker::SegmentId segment) {
    watermark_.settle(segment);
    checkpoint();
    // Room freed: let the producers continue.
    if (lister_) lister_->poke();
    else if (feeder_) feeder_->pump();
  }

  /// Writes the watermark if it moved (and pieces settled ahead of it).
  void checkpoint() { journal_progress(spec_.dry_run ? nullptr : options_.journal, watermark_, counters()); }

  KvDeleteSpec spec_;
  std::optional<std::uint64_t> expected_total_;
  engine::WatermarkTracker watermark_;
  Runner runner_;
  std::optional<KeyLister> lister_;
  std::optional<RecordFeeder> feeder_;
  bool input_done_ = false;
  std::function<void(const std::vector<api::kv::Key>&)> before_delete_;
  std::optional<std::regex> pattern_;
  std::optional<Error> bad_pattern_;
};

}  // namespace ckp::ops
