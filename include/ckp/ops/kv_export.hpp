#pragma once
/// @file
/// Exporting a namespace (or a prefix of it) to NDJSON, streamed: list pages → bulk get in chunks of ≤ 100 → one
/// line per key, written in key order, page by page. Each line is a bulk-write object, so `kv import` takes the
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
#include "ckp/engine/sink.hpp"
#include "ckp/ops/key_lister.hpp"
#include "ckp/ops/operation.hpp"
#include "ckp/ops/spec_error.hpp"

namespace ckp::ops {

/// What to export. Serialized into the journal.
struct KvExportSpec {
  std::string account_id;    ///< the account that owns the namespace
  std::string namespace_id;  ///< the namespace's id
  std::string prefix;        ///< only keys under this ("" = all)
  std::string output;  ///< the output's name (a file path), for the journal

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
/// ckp::engine::StringSink out;                         // io::FileSink for a file
/// ckp::ops::KvExport op(scheduler, {.account_id = account, .namespace_id = ns, .prefix = "user/"}, out);
/// ckp::ops::OpReport report = ckp::ops::run(http, op);
/// // out.str(): one {"key":…,"value":…} line per key, in key order
/// ```
class KvExport final : public Operation {
 public:
  /// Listed pages whose values are being read at once (memory stays bounded by this).
  static constexpr std::size_t max_pages_in_flight = 4;

  /// Exports @p spec's keys into @p out, which must outlive the operation.
  KvExport(engine::Scheduler& scheduler, KvExportSpec spec, engine::ByteSink& out, OpOptions options = {})
      : Operation(KvExportSpec::op_name, scheduler, std::move(options)), spec_(std::move(spec)), out_(out) {
    report_.spec = spec_.to_json();
  }

 protected:
  void begin() override {
    std::string cursor;
    if (options_.resume) {
      if (auto e = check_same_spec(*options_.resume, KvExportSpec::op_name, spec_.to_json())) return stop(*e);
      restore_counters(*options_.resume);
      if (const auto& point = options_.resume->resume) {
        cursor = point->value("cursor", "");
        listing_done_ = point->value("end", false);
        if (!out_.truncate(point->value("offset", std::uint64_t{0})))
          return stop(Error::make(ErrorKind::journal, "the export file is shorter than the journal says it was "
                                                      "written; it was changed since - start a new export"));
      } else if (!out_.truncate(0)) {
        return stop(Error::make(ErrorKind::io, "cannot truncate the export file"));
      }
    } else if (options_.journal) {
      options_.journal->begin(KvExportSpec::op_name, spec_.to_json());
    }
    if (listing_done_) return;
    lister_.emplace(scheduler_, KeyLister::Config{spec_.account_id, spec_.namespace_id, spec_.prefix, cursor},
                    lister_hooks());
    lister_->poke();
  }
  bool work_finished() const override { return listing_done_ && pages_.empty(); }
  std::string phase() const override { return "exporting"; }
  void on_finalize() override { report_.extra["vanished"] = vanished_; }

 private:
  struct PageJob {
    std::vector<api::kv::Key> keys;
    std::vector<std::optional<std::string>> lines;  // nullopt until read; "" when the key vanished or failed
    std::size_t pending = 0;                        // chunks or single reads not answered yet
    std::string cursor_after;
    std::vector<Failure> failures;                  // keys whose read failed for good
  };

  KeyLister::Hooks lister_hooks() {
    KeyLister::Hooks h;
    h.can_accept = [this] { return !stopping() && pages_.size() < max_pages_in_flight; };
    h.page = [this](std::vector<api::kv::Key>&& keys, const std::string& cursor_after) {
      report_.scanned += keys.size();
      pages_.push_back(PageJob{std::move(keys), {}, 0, cursor_after, {}});
      PageJob& job = pages_.back();
      job.lines.resize(job.keys.size());
      for (std::size_t start = 0; start < job.keys.size(); start += api::kv_limits::max_bulk_get_keys)
        read_chunk(job, start, std::min(job.keys.size(), start + api::kv_limits::max_bulk_get_keys));
      write_ready_pages();
    };
    h.end = [this] {
      listing_done_ = true;
      write_ready_pages();
      maybe_finish();
    };
    h.error = [this](const Error& e) { stop(e); };
    return h;
  }

  /// Reads keys [begin, end) of @p job with one bulk get.
  void read_chunk(PageJob& job, std::size_t begin, std::size_t end) {
    std::vector<std::string> names;
    for (std::size_t i = begin; i < end; ++i) names.push_back(job.keys[i].name);
    ++job.pending;
    PageJob* page = &job;  // a deque keeps element addresses while only its ends change
    scheduler_.submit(api::kv::bulk_get(spec_.account_id, spec_.namespace_id, names, false),
                      engine::Cost::api_call(),
                      [names](const api::Response& r) { return api::kv::parse_bulk_get(r, names, false); },
                      [this, page, begin, end](Result<std::vector<api::kv::BulkGetItem>> items) {
                        --page->pending;
                        if (!items) {
                          if (engine::is_fatal(items.error())) return stop(items.error());
                          for (std::size_t i = begin; i < end; ++i) read_single(*page, i);  // graduated fallback
                          return;
                        }
                        for (std::size_t i = begin; i < end; ++i) {
                          const auto& item = (*items)[i - begin];
                          if (!item.found) {
                            page->lines[i] = "";
                            ++vanished_;
                          } else {
                            page->lines[i] = line_for(page->keys[i], item.value.is_string()
                                                                         ? item.value.get<std::string>()
                                                                         : item.value.dump());
                          }
                        }
                        write_ready_pages();
                      });
  }

  /// Reads one key's raw value (binary-safe).
  void read_single(PageJob& job, std::size_t i) {
    ++job.pending;
    PageJob* page = &job;
    scheduler_.submit(api::kv::read_value(spec_.account_id, spec_.namespace_id, job.keys[i].name),
                      engine::Cost::api_call(), api::kv::parse_value, [this, page, i](Result<api::kv::Value> v) {
                        --page->pending;
                        if (!v) {
                          const Error& e = v.error();
                          page->lines[i] = "";
                          if (e.kind == ErrorKind::not_found && e.code() == 10009) {
                            ++vanished_;  // deleted since it was listed
                          } else if (e.kind == ErrorKind::not_found ? e.code() == 10013 : engine::is_fatal(e)) {
                            return stop(e);  // the namespace, the token or the API, not this key
                          } else {
                            page->failures.push_back({page->keys[i].name, e});
                          }
                        } else {
                          page->lines[i] = line_for(page->keys[i], std::move(v->bytes));
                        }
                        write_ready_pages();
                      });
  }

  static std::string line_for(const api::kv::Key& key, std::string value) {
    json j{{"key", key.name}};
    if (api::detail::is_valid_utf8(value)) {
      j["value"] = std::move(value);
    } else {
      j["value"] = api::base64_encode(value);
      j["base64"] = true;
    }
    if (!key.metadata.is_null()) j["metadata"] = key.metadata;
    if (key.expiration) j["expiration"] = *key.expiration;
    return j.dump() + "\n";
  }

  /// Writes completed pages at the front, in order; each one then becomes the journal's watermark.
  void write_ready_pages() {
    while (!pages_.empty() && pages_.front().pending == 0 && !stopping()) {
      PageJob& job = pages_.front();
      std::string text;
      std::uint64_t written = 0;
      for (std::size_t i = 0; i < job.keys.size(); ++i) {
        if (!job.lines[i]) return;  // not read yet (a fallback read was queued)
        if (job.lines[i]->empty()) continue;
        text += *job.lines[i];
        ++written;
        add_sample(job.keys[i].name);
      }
      out_.write(text);
      if (auto e = out_.error()) return stop(*e);
      add_done(written);
      durable_.done += written;
      for (auto& f : job.failures) {
        add_failure(f.item, f.error);
        ++durable_.failed;
        if (options_.journal) options_.journal->failure(f.item, f.error);
      }
      if (options_.journal) {
        out_.sync();  // the file before the watermark that points into it
        options_.journal->checkpoint(
            json{{"cursor", job.cursor_after}, {"offset", out_.size()}, {"end", job.cursor_after.empty()}}, durable_);
      }
      pages_.pop_front();
    }
    if (lister_) lister_->poke();
    maybe_finish();
  }

  KvExportSpec spec_;
  engine::ByteSink& out_;
  std::deque<PageJob> pages_;
  std::optional<KeyLister> lister_;
  bool listing_done_ = false;
  std::uint64_t vanished_ = 0;
};

}  // namespace ckp::ops
