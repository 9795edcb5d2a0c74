#pragma once
/// @file
/// The core of every streaming operation (KvDelete, KvImport, Purge, KvExport): a producer — a listing of keys, or
/// the records of an input — delivers items while the operation has room; each page or chunk of records is a
/// segment of a WatermarkTracker; the operation turns items into its own work (batches, reads) and settles each one
/// done or failed; the core journals what became durable — failures, pieces settled ahead, the watermark and the
/// counts — and, on resume, starts the producer at the watermark.
///
/// So an operation is left with its own part only: what a page or a record becomes, and what its calls are.
///
/// ```
/// producer (KeyLister | RecordFeeder) ──on_page / on_record──▶ operation ──batches──▶ Scheduler
///        ▲ has_room()                                              │ settle_done / settle_failed
///        └──────────────── resume_input() ◀── StreamingOp ◀────────┘ (watermark → journal)
/// ```

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "ckp/engine/watermark.hpp"
#include "ckp/io/records.hpp"
#include "ckp/ops/key_lister.hpp"
#include "ckp/ops/operation.hpp"
#include "ckp/ops/record_feeder.hpp"

namespace ckp::ops {

/// The streaming core (see the file's comment). A subclass starts one producer from begin() — list_keys() or
/// read_records() — implements on_page() or on_record() and has_room(), and settles every item it took with
/// settle_done() or settle_failed() (which keep the journal's books; the report's counts are add_done() and
/// add_failure(), which settling_hooks() calls for batched items). The journal's resume point is the producer's:
/// the listing's frontier (`{"shards", "tails"}` or `{"end"}`, see ops/shard_planner.hpp) for a listing,
/// `{"offset", "line", "end"}` for records (a subclass may add to it with set_resume()).
class StreamingOp : public Operation {
 protected:
  /// Identifies a page or a chunk of records.
  using SegmentId = engine::WatermarkTracker::SegmentId;

  /// A streaming operation called @p name.
  StreamingOp(std::string name, engine::Scheduler& scheduler, OpOptions options)
      : Operation(std::move(name), scheduler, std::move(options)) {}

  /// Lists @p config's keys page by page (from the resume point when resuming; the listing's shape — how many
  /// calls at once — comes from OpOptions::list_shards); each page goes to on_page() in a segment of its own,
  /// whose resume point is the listing as of that page.
  void list_keys(KeyLister::Config config) {
    if (options_.resume && options_.resume->resume) {
      if (options_.resume->resume->value("end", false)) return end_of_input();
      config.resume = *options_.resume->resume;
    }
    if (options_.list_shards) config.max_in_flight = *options_.list_shards;
    lister_.emplace(scheduler_, std::move(config), lister_hooks());
    lister_->poke();
  }

  /// Reads @p input's records (from the resume point's offset when resuming, skipping pieces journaled as settled
  /// unless @p skip_ahead is false); each record goes to on_record() with its segment (1,000 records each).
  void read_records(std::unique_ptr<io::RecordSource> input, bool skip_ahead = true) {
    feeder_.emplace(std::move(input), watermark_, feeder_hooks(), 1000, skip_ahead);
    if (options_.resume) feeder_->resume_from(*options_.resume);
    if (feeder_->done()) return end_of_input();
    feeder_->pump();
  }

  /// A listed page, in segment @p segment; @p info says which shard listed it and whether that shard has more.
  virtual void on_page(std::vector<api::kv::Key>&& keys, SegmentId segment, const KeyLister::PageInfo& info) {
    (void)keys, (void)segment, (void)info;
  }
  /// One record, in segment @p segment; an Error stops the operation (bad input).
  virtual std::optional<Error> on_record(const io::Record& record, SegmentId segment) {
    (void)record, (void)segment;
    return std::nullopt;
  }
  /// Whether the producer may deliver more now (backpressure).
  virtual bool has_room() const = 0;
  /// The input is exhausted: every page listed, or every record read.
  virtual void on_input_end() {}

  /// Adds @p n items of @p segment that will settle later (items not added settle nothing).
  void take(SegmentId segment, std::uint64_t n = 1) { watermark_.add(segment, n); }
  /// @p n items of @p segment are done (confirmed by the API; in a dry run, counted).
  void settle_done(SegmentId segment, std::uint64_t n = 1) {
    watermark_.settle_done(segment, n);
    after_settle();
  }
  /// An item of @p segment failed for good: journaled once durable.
  void settle_failed(SegmentId segment, std::string item, const Error& e) {
    watermark_.settle_failed(segment, std::move(item), e);
    after_settle();
  }
  /// @p n items of @p segment are settled without a count (an item that vanished, say).
  void settle_uncounted(SegmentId segment, std::uint64_t n = 1) {
    watermark_.settle(segment, n);
    after_settle();
  }
  /// Adds @p fields to @p segment's resume point (e.g. an export's output offset), before it settles.
  void set_resume(SegmentId segment, const json& fields) { watermark_.extend_resume(segment, fields); }

  /// Whether the input is exhausted.
  bool input_done() const { return input_done_; }
  /// Journals what became durable (done by the settle functions; call it after closing a segment yourself).
  void checkpoint() { journal_progress(journal(), watermark_, durable_); }
  /// Lets the producer continue: room may have freed.
  void resume_input() {
    if (lister_) lister_->poke();
    else if (feeder_) feeder_->pump();
  }
  /// The records' source (read_records()).
  io::RecordSource& records() { return feeder_->source(); }
  /// Closes a segment: no more items will be added to it.
  void close(SegmentId segment) { watermark_.close(segment); }

  /// The sharded listing's estimate of the keys under the prefix (once it has made one; it never grows smaller than
  /// what was examined).
  std::optional<std::uint64_t> estimated_scan() const override {
    if (!lister_ || lister_->stats().estimated_keys <= 0) return std::nullopt;
    return std::max(report_.scanned, static_cast<std::uint64_t>(lister_->stats().estimated_keys + 0.5));
  }

  /// Journals the last durable state; a listed operation's report gets `extra.listing`: what the listing cost
  /// (calls, prefixes found empty, scout pages dropped, splits made and declined, the most shards at once).
  void on_finalize() override {
    checkpoint();
    if (lister_) {
      const auto& st = lister_->stats();
      report_.extra["listing"] = json{{"calls", st.calls},   {"empty", st.empty},       {"dropped", st.dropped},
                                      {"splits", st.splits}, {"declined", st.declined}, {"max_shards", st.max_shards}};
    }
  }

  engine::WatermarkTracker watermark_;  ///< the segments of the input, in order

 private:
  void after_settle() {
    checkpoint();
    resume_input();
  }

  void end_of_input() {
    input_done_ = true;
    on_input_end();
    checkpoint();
    maybe_finish();
  }

  KeyLister::Hooks lister_hooks() {
    KeyLister::Hooks h;
    h.can_accept = [this] { return !stopping() && has_room(); };
    h.page = [this](std::vector<api::kv::Key>&& keys, const KeyLister::PageInfo& info, json&& resume) {
      const auto segment = watermark_.open(std::move(resume));
      report_.scanned += keys.size();
      on_page(std::move(keys), segment, info);
      watermark_.close(segment);
      checkpoint();
    };
    h.end = [this] { end_of_input(); };
    h.error = [this](const Error& e) { stop(e); };
    return h;
  }

  RecordFeeder::Hooks feeder_hooks() {
    RecordFeeder::Hooks h;
    h.can_accept = [this] { return !stopping() && has_room(); };
    h.record = [this](const io::Record& record, SegmentId segment) { return on_record(record, segment); };
    h.end = [this] { end_of_input(); };
    h.error = [this](const Error& e) { stop(e); };
    return h;
  }

  std::optional<KeyLister> lister_;
  std::optional<RecordFeeder> feeder_;
  bool input_done_ = false;
};

}  // namespace ckp::ops
