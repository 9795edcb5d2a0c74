#pragma once
/// @file
/// Exporting a namespace (or a prefix of it) to NDJSON, streamed: list pages → bulk get in chunks of ≤ 100 → one
/// line per key, written page by page as the listing delivers them (in key order within a shard of the listing;
/// shards interleave when a large prefix is listed in parallel — see ops/key_lister.hpp). Each line is a bulk-write object, so `kv import` takes the
/// file back as is:
/// ```
/// {"key":"user/1","value":"…","metadata":{…},"expiration":1900000000}
/// {"key":"img/2","value":"iVBORw0…","base64":true}
/// ```
/// Metadata and expiration come from the listing. Values come from bulk get (text); when a chunk is refused as a
/// whole (a value that is not text), its keys are read one by one and binary values are written base64-encoded.
/// A key deleted between listing and reading (the API says "key not found") is skipped and counted as `vanished`;
/// a key whose read fails any other way is reported failed (status partial), never silently left out.

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "ckp/api/base64.hpp"
#include "ckp/api/kv.hpp"
#include "ckp/api/validate.hpp"
#include "ckp/engine/batch_runner.hpp"
#include "ckp/io/sink.hpp"
#include "ckp/ops/spec_error.hpp"
#include "ckp/ops/streaming_op.hpp"
#include "ckp/ops/value_reader.hpp"

namespace ckp::ops {

/// What to export. Serialized into the journal.
struct KvExportSpec {
  std::string account_id;    ///< the account that owns the namespace
  std::string namespace_id;  ///< the namespace's id
  std::string prefix;        ///< only keys under this ("" = all)
  std::string output;        ///< the output's name (a file path), for the journal

  static constexpr const char* op_name = "kv.export";  ///< OpReport::operation and the journal's `op`

  /// The spec as journaled.
  json to_json() const {
    return {{"account_id", account_id}, {"namespace_id", namespace_id}, {"prefix", prefix}, {"output", output}};
  }
  /// Checks the spec as a whole.
  std::optional<SpecError> validate() const {
    if (account_id.empty()) return refuse({"account_id"}, "no account: {0} is empty");
    if (namespace_id.empty()) return refuse({"namespace_id"}, "no namespace: {0} is empty");
    if (output.empty()) return refuse({"output"}, "no output: {0} is empty");
    return std::nullopt;
  }
  /// Reads a journaled spec back; ErrorKind::journal when a field is missing or of the wrong type.
  static Result<KvExportSpec> from_json(const json& j) {
    try {
      return KvExportSpec{j.at("account_id"), j.at("namespace_id"), j.value("prefix", ""), j.value("output", "")};
    } catch (const json::exception& e) {
      return Error::make(ErrorKind::journal, std::string("bad kv.export spec in journal: ") + e.what());
    }
  }
};

/// Exports keys, values, metadata and expirations to a ByteSink as NDJSON (see the file's comment).
///
/// Errors: stops with the API's error when a listing or read fails fatally, with io when the sink fails, with
/// journal when a resume does not match the spec or the output is shorter than journaled.
///
/// Example:
/// ```
/// ckp::io::StringSink out;                         // io::FileSink for a file
/// ckp::ops::KvExport op(scheduler, {.account_id = account, .namespace_id = ns, .prefix = "user/"}, out);
/// ckp::ops::OpReport report = ckp::ops::run(http, op);
/// // out.str(): one {"key":…,"value":…} line per key
/// ```
class KvExport final : public StreamingOp {
 public:
  /// Listed pages whose values are being read at once (memory stays bounded by this).
  static constexpr std::size_t max_pages_in_flight = 4;

  /// Exports @p spec's keys into @p out, which must outlive the operation.
  KvExport(engine::Scheduler& scheduler, KvExportSpec spec, io::ByteSink& out, OpOptions options = {})
      : StreamingOp(KvExportSpec::op_name, scheduler, std::move(options)), spec_(std::move(spec)), out_(out) {
    report_.spec = spec_.to_json();
  }

 protected:
  std::optional<Error> check_spec() const override {
    if (auto e = spec_.validate()) return e->to_error(options_.name_field);
    return std::nullopt;
  }

  void begin() override {
    if (options_.resume) {
      // Lines past the watermark were written by a run that did not get to journal them: they go, and are read
      // again.
      const auto offset = options_.resume->resume ? options_.resume->resume->value("offset", std::uint64_t{0}) : 0;
      if (!out_.truncate(offset))
        return stop(Error::make(ErrorKind::journal, "the export file is shorter than the journal says it was written; "
                                                    "it was changed since - start a new export"));
    }
    KeyLister::Config listing{spec_.account_id, spec_.namespace_id, spec_.prefix};
    listing.requests_per_key = 1.0 / static_cast<double>(api::kv_limits::max_bulk_get_keys);  // values, in bulk gets
    list_keys(std::move(listing));
  }
  bool has_room() const override { return pages_.size() < max_pages_in_flight; }
  void on_input_end() override { write_ready_pages(); }
  bool work_finished() const override { return input_done() && pages_.empty(); }
  std::string phase() const override { return "exporting"; }
  void on_finalize() override {
    StreamingOp::on_finalize();
    report_.extra["vanished"] = vanished_;
  }

  /// A listed page: its values are read; it is written once read and every page before it is written.
  void on_page(std::vector<api::kv::Key>&& keys, SegmentId segment, const KeyLister::PageInfo&) override {
    take(segment, keys.size());
    pages_.push_back(PageJob{std::move(keys), {}, segment, false, {}});
    PageJob& job = pages_.back();
    job.lines.resize(job.keys.size());
    std::vector<std::string> names;
    for (const auto& k : job.keys) names.push_back(k.name);
    PageJob* page = &job;  // a deque keeps element addresses while only its ends change
    read_values(
        scheduler_, spec_.account_id, spec_.namespace_id, std::move(names),
        [page](std::size_t i, ValueRead r) {
          switch (r.outcome) {
            case ValueRead::Outcome::value: page->lines[i] = line_for(page->keys[i], std::move(r.bytes)); break;
            case ValueRead::Outcome::vanished: page->lines[i] = ""; break;
            case ValueRead::Outcome::failed:
              page->lines[i] = "";
              page->failures.push_back({page->keys[i].name, *r.error});
              break;
          }
        },
        [this, page](std::optional<Error> fatal) {
          if (fatal) return stop(*fatal);
          page->read = true;
          write_ready_pages();
        });
  }

 private:
  struct PageJob {
    std::vector<api::kv::Key> keys;
    std::vector<std::optional<std::string>> lines;  // nullopt until read; "" when the key vanished or failed
    SegmentId segment;
    bool read = false;              // every key answered
    std::vector<Failure> failures;  // keys whose read failed for good
  };

  static std::string line_for(const api::kv::Key& key, std::string value) {
    json j{{"key", key.name}};
    put_value(j, std::move(value));
    if (!key.metadata.is_null()) j["metadata"] = key.metadata;
    if (key.expiration) j["expiration"] = *key.expiration;
    return j.dump() + "\n";
  }

  /// Writes read pages at the front, in the order they were listed; each one then settles, and the watermark points after it.
  void write_ready_pages() {
    while (!pages_.empty() && pages_.front().read && !stopping()) {
      PageJob job = std::move(pages_.front());
      pages_.pop_front();
      std::string text;
      std::uint64_t written = 0;
      for (std::size_t i = 0; i < job.keys.size(); ++i) {
        if (job.lines[i]->empty()) continue;
        text += *job.lines[i];
        ++written;
        add_sample(job.keys[i].name);
      }
      out_.write(text);
      if (auto e = out_.error()) return stop(*e);
      if (journal()) out_.sync();  // the file before the watermark that points into it
      set_resume(job.segment, json{{"offset", out_.size()}});
      add_done(written);
      const std::uint64_t failed = job.failures.size();
      vanished_ += job.keys.size() - written - failed;
      for (auto& f : job.failures) {
        add_failure(f.item, f.error);
        settle_failed(job.segment, std::move(f.item), f.error);
      }
      settle_uncounted(job.segment, job.keys.size() - written - failed);
      settle_done(job.segment, written);
    }
    maybe_finish();
  }

  KvExportSpec spec_;
  io::ByteSink& out_;
  std::deque<PageJob> pages_;
  std::uint64_t vanished_ = 0;
};

}  // namespace ckp::ops
