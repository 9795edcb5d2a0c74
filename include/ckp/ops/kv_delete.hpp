#pragma once
/// @file
/// Deleting KV keys at scale, streamed: list → filter → batch (≤ 10,000) → bulk delete, with deletes starting while
/// the listing continues and memory flat in the size of the namespace.
///
/// Keys come from a listing of the namespace, narrowed by every filter of the spec's KeySelection (prefix, name
/// pattern, metadata field, metadata search), or from a list of names (a keys file, streamed, never loaded whole)
/// narrowed by the name filters. Every key ends confirmed by the API or in the failure report; the journal's
/// watermark only ever moves past settled keys, so a resume never skips one. A dry run runs the same code and sends
/// no delete; a preview is a dry run cut after its first listed pages.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "ckp/api/json_integer.hpp"
#include "ckp/api/kv.hpp"
#include "ckp/api/validate.hpp"
#include "ckp/engine/batch_runner.hpp"
#include "ckp/engine/watermark.hpp"
#include "ckp/io/records.hpp"
#include "ckp/ops/key_lister.hpp"
#include "ckp/ops/key_selection.hpp"
#include "ckp/ops/key_space.hpp"
#include "ckp/ops/operation.hpp"
#include "ckp/ops/spec_error.hpp"
#include "ckp/ops/streaming_op.hpp"
#include "ckp/ops/text_input.hpp"

namespace ckp::ops {

/// What to delete. Serialized into the journal, so it holds no secrets.
struct KvDeleteSpec {
  /// Where key names come from.
  enum class Source {
    listing,  ///< a listing of the namespace (under `select.prefix`, when given)
    keys      ///< the names in an input: one per line, exactly as written, or a JSON array of strings
  };

  std::string account_id;           ///< the account that owns the namespace
  std::string namespace_id;         ///< the namespace's id (32 hex characters)
  Source source = Source::listing;  ///< where key names come from
  KeySelection select;              ///< the filters; every one given must match (see key_selection.hpp)
  std::string input;                ///< keys: the input's name (a file path, or a front's name for typed-in keys)
  std::uint64_t input_size = 0;     ///< keys: its size in bytes (a resume against another file is refused)
  std::size_t batch_size = api::kv_limits::max_bulk_items;  ///< keys per bulk delete, 1–10,000
  bool dry_run = false;                                     ///< count and sample what would be deleted; delete nothing
  std::uint64_t max_pages = 0;  ///< a preview: a dry run that stops after this many listed pages (0 = no limit)

  static constexpr const char* op_name = "kv.delete";  ///< OpReport::operation and the journal's `op`

  /// The spec as journaled — and as the console and the CLI both build it.
  json to_json() const {
    json j{{"account_id", account_id},
           {"namespace_id", namespace_id},
           {"source", source == Source::keys ? "keys" : "listing"}};
    select.write(j);
    j["input"] = input;
    j["input_size"] = input_size;
    j["batch_size"] = batch_size;
    j["dry_run"] = dry_run;
    if (max_pages) j["max_pages"] = max_pages;
    return j;
  }

  /// Reads a spec back (from a journal or a front); ErrorKind::invalid_input when a field is missing or of the
  /// wrong type. The spec still needs validate().
  static Result<KvDeleteSpec> from_json(const json& j) {
    auto bad = [](const std::string& why) {
      return Error::make(ErrorKind::invalid_input, "bad kv.delete spec: " + why);
    };
    try {
      if (!j.is_object()) return bad("not a JSON object");
      if (!j.contains("source"))
        return bad(j.contains("selector") ? "it was written by an older version, whose selection rules differ; start "
                                            "the delete again"
                                          : "missing \"source\" (\"listing\" or \"keys\")");
      KvDeleteSpec s;
      s.account_id = j.value("account_id", "");
      s.namespace_id = j.value("namespace_id", "");
      const std::string source = j.at("source");
      if (source == "listing") s.source = Source::listing;
      else if (source == "keys") s.source = Source::keys;
      else return bad("unknown source '" + source + "' (\"listing\" or \"keys\")");
      s.select = KeySelection::read(j);
      s.input = j.value("input", "");
      s.input_size = api::json_integer_field(j, "input_size", std::uint64_t{0});
      s.batch_size = api::json_integer_field(j, "batch_size", api::kv_limits::max_bulk_items);
      s.dry_run = j.value("dry_run", false);
      s.max_pages = api::json_integer_field(j, "max_pages", std::uint64_t{0});
      return s;
    } catch (const std::exception& e) {  // json::exception, or std::invalid_argument from json_integer_field
      return bad(e.what());
    }
  }

  /// Checks the spec as a whole (the selection rules of key_selection.hpp, the batch size, a preview's limit).
  std::optional<SpecError> validate() const {
    if (account_id.empty()) return refuse({"account_id"}, "no account: {0} is empty");
    if (namespace_id.empty()) return refuse({"namespace_id"}, "no namespace: {0} is empty");
    if (batch_size < 1 || batch_size > api::kv_limits::max_bulk_items)
      return refuse({"batch_size"}, "{0} must be 1-10000 (it is " + std::to_string(batch_size) + ")");
    if (source == Source::listing && !input.empty())
      return refuse({"input"}, "{0} names a list of keys, but the keys come from a listing");
    if (max_pages && !dry_run) return refuse({"max_pages", "dry_run"}, "{0} (a preview) needs {1}");
    return select.validate(source == Source::keys);
  }
};

/// Deletes the keys a KvDeleteSpec selects, streamed (see the file's comment). The report's `extra` holds
/// `complete` for a dry run (false when a preview stopped before the end of the listing).
///
/// Counting is exact across resumes: a listed delete remembers how far it has listed and how many distinct keys it
/// selected, so keys deleted by calls whose answers were lost to a crash are still counted once at the end.
///
/// Errors: stops with invalid_input for a spec that validate() refuses or a bad keys input (before any call), with
/// journal when resuming a different spec, and with the API's error when a listing fails or a batch fails fatally
/// (authentication, not_found, retries exhausted); keys the API refuses one by one end in OpReport::failures
/// (status partial).
///
/// Example:
/// ```
/// ckp::ops::KvDeleteSpec spec;
/// spec.account_id = account;
/// spec.namespace_id = ns;
/// spec.select.prefix = "session/";
/// ckp::ops::KvDelete op(scheduler, spec, {.on_progress = show});
/// ckp::ops::OpReport report = ckp::ops::run(http, op);   // report.done: keys the API confirmed deleted
/// ```
/// A keys file instead (Source::keys), streamed:
/// ```
/// spec.source = ckp::ops::KvDeleteSpec::Source::keys;
/// spec.input = "keys.txt";
/// auto file = ckp::io::FileReader::open("keys.txt");
/// if (!file) return fail(file.error());
/// ckp::ops::KvDelete op(scheduler, spec, {}, ckp::io::open_records(std::move(*file)));
/// ```
class KvDelete final : public StreamingOp {
 public:
  /// Decides, for a selected key, whether it may be deleted: an Error keeps it and reports it failed.
  using Admit = std::function<std::optional<Error>(const api::kv::Key&)>;

  /// @p keys is the input for Source::keys (null otherwise); @p expected_total, when known (from a preflight),
  /// gives progress a total and an ETA.
  KvDelete(engine::Scheduler& scheduler, KvDeleteSpec spec, OpOptions options = {},
           std::unique_ptr<io::RecordSource> keys = nullptr, std::optional<std::uint64_t> expected_total = {})
      : StreamingOp(KvDeleteSpec::op_name, scheduler, std::move(options)), spec_(std::move(spec)),
        expected_total_(expected_total), keys_(std::move(keys)),
        // 24 pending batches: enough to keep the default concurrency (24 at the start, up to 64) busy on a keys-file
        // delete, at most 240,000 keys (~20 MB) in memory.
        runner_({spec_.batch_size, std::numeric_limits<std::size_t>::max(), 24, 64u << 20, 8}, runner_hooks()) {
    report_.dry_run = spec_.dry_run;
    report_.spec = spec_.to_json();
  }

  /// For callers that must look at a key while it still exists (sync purge collects cache tags): @p admit is asked
  /// about every selected key of a listed page, then @p admitted is called — before any key of the page is sent.
  void before_delete(Admit admit, std::function<void()> admitted) {
    admit_ = std::move(admit);
    admitted_ = std::move(admitted);
  }
  /// Called with the name of every selected key (in a dry run: every key that would be deleted), in input order.
  void on_selected(std::function<void(const std::string&)> fn) { on_selected_ = std::move(fn); }

 protected:
  std::optional<Error> check_spec() const override {
    if (auto e = spec_.validate()) return e->to_error(options_.name_field);
    if (spec_.source == KvDeleteSpec::Source::keys && !keys_)
      return Error::make(ErrorKind::invalid_input, "no keys input given");
    return std::nullopt;
  }

  void begin() override {
    auto filter = KeyFilter::make(spec_.select);
    if (!filter) return stop(filter.error());
    filter_.emplace(std::move(*filter));
    if (options_.resume)
      for (const auto& note : options_.resume->notes)
        if (note.contains("listed") && note["listed"].is_object()) {
          const json& listed = note["listed"];
          // Older journals name no shard: theirs was the one chain of the whole prefix.
          auto shard = listed.contains("shard") ? keyspace::from_hex(listed.value("shard", ""))
                                                : std::optional<std::string>(spec_.select.prefix);
          if (shard) listed_before_.record(*shard, listed.value("through", ""));
          selected_distinct_ = api::json_integer<std::uint64_t>(listed.value("selected", json())).value_or(0);
        }
    if (keys_) return read_records(std::move(keys_));
    KeyLister::Config listing{spec_.account_id, spec_.namespace_id, spec_.select.prefix};
    listing.requests_per_key = spec_.dry_run ? 0.0 : 1.0 / static_cast<double>(spec_.batch_size);
    list_keys(std::move(listing));
  }

  bool has_room() const override { return !listing_closed_ && !cut_short_ && runner_.can_accept(); }
  void on_input_end() override { runner_.finish_input(); }
  bool work_finished() const override { return (input_done() || cut_short_) && runner_.idle(); }
  std::string phase() const override { return input_done() ? "deleting" : "listing and deleting"; }
  std::optional<std::uint64_t> total() const override {
    return expected_total_ ? expected_total_ : options_.expected_total;
  }

  void on_finalize() override {
    StreamingOp::on_finalize();
    if (spec_.dry_run) report_.extra["complete"] = !cut_short_;
    // A listed delete that ran to its end: every distinct key it selected was either deleted or reported failed,
    // whichever run of the job did it — including deletes whose answers a killed run never saw.
    if (spec_.source == KvDeleteSpec::Source::listing && !spec_.dry_run && !stopping() &&
        selected_distinct_ >= report_.failed)
      report_.done = selected_distinct_ - report_.failed;
  }

  /// A listed page: select, record how far the listing got, then delete.
  void on_page(std::vector<api::kv::Key>&& keys, SegmentId segment, const KeyLister::PageInfo& info) override {
    ++pages_;
    // A preview that has seen enough closes the listing before it reads the page: a dry run settles each key as it
    // reads it, and each settle lets the lister send more — the next page and the sharded listing's first sentinel,
    // which a preview must not spend (it is one list call, whatever the namespace's size).
    const bool preview_ends = spec_.max_pages && pages_ >= spec_.max_pages && info.more;
    if (preview_ends) listing_closed_ = true;
    const std::string through = keys.empty() ? std::string() : keys.back().name;  // before the keys are moved
    std::vector<api::kv::Key> selected;
    for (auto& key : keys) {
      // A resumed job lists some names again and must not count them twice: a name its shard (or any shard of an
      // earlier run) has listed before is not new.
      const bool first_time = !listed_before_.covers(key.name);
      if (!filter_->matches(key)) continue;
      if (first_time) ++selected_distinct_;
      selected.push_back(std::move(key));
    }
    if (!keys.empty()) {
      listed_before_.record(info.shard, through);
      journal_note(
          json{{"listed",
                {{"shard", keyspace::to_hex(info.shard)}, {"through", through}, {"selected", selected_distinct_}}}},
          false);
    }
    std::vector<bool> refused(selected.size(), false);
    if (admit_) {
      for (std::size_t i = 0; i < selected.size(); ++i)
        if (auto e = admit_(selected[i])) {
          refused[i] = true;
          add_failure(selected[i].name, *e);
          take(segment);
          settle_failed(segment, selected[i].name, *e);
        }
      if (admitted_) admitted_();
    }
    for (std::size_t i = 0; i < selected.size(); ++i)
      if (!refused[i]) select(std::move(selected[i].name), segment);
    if (preview_ends) {
      // A preview has seen enough: the listing stops here.
      cut_short_ = true;
      runner_.finish_input();
      maybe_finish();
    }
  }

  std::optional<Error> on_record(const io::Record& record, SegmentId segment) override {
    ++report_.scanned;
    auto key = text_item(record, records().format(), records().name(), TextRules::exact(),
                         [](std::string_view k) { return api::validate_key(k); });
    if (!key) return std::move(key).error();
    if (key->has_value() && filter_->matches_name(**key)) select(std::move(**key), segment);
    return std::nullopt;
  }

 private:
  using Runner = engine::BatchRunner<std::string>;

  Runner::Hooks runner_hooks() {
    auto h = settling_hooks<std::string>([](const std::string& key) { return key; },
                                         [this](const std::string& key, std::uint64_t segment, const Error* failure) {
                                           if (failure) settle_failed(segment, key, *failure);
                                           else settle_done(segment);
                                         });
    h.send = [this](const std::vector<std::string>& keys, std::function<void(engine::BatchOutcome)> done) {
      submit_bulk(scheduler_, api::kv::bulk_delete(spec_.account_id, spec_.namespace_id, keys), keys.size(),
                  std::move(done));
    };
    return h;
  }

  /// A key is selected: delete it (or, in a dry run, count it).
  void select(std::string key, SegmentId segment) {
    add_sample(key);
    if (on_selected_) on_selected_(key);
    take(segment);
    if (spec_.dry_run) {
      add_done();
      return settle_done(segment);
    }
    runner_.push(std::move(key), segment);
  }

  KvDeleteSpec spec_;
  std::optional<std::uint64_t> expected_total_;
  std::unique_ptr<io::RecordSource> keys_;
  std::optional<KeyFilter> filter_;
  Runner runner_;
  bool cut_short_ = false;       // a preview stopped the listing (after its page was read)
  bool listing_closed_ = false;  // a preview's last page is being read: no more listing calls
  std::uint64_t pages_ = 0;
  keyspace::ListedRanges listed_before_;  // what any run of this job has listed, shard by shard
  std::uint64_t selected_distinct_ = 0;   // distinct keys selected by any run of this job
  Admit admit_;
  std::function<void()> admitted_;
  std::function<void(const std::string&)> on_selected_;
};

}  // namespace ckp::ops
