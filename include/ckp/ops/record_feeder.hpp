#pragma once
/// @file
/// Feeds records from an input (a keys file, an import file, a URL list) into an operation while it has room, and
/// keeps the resume bookkeeping for file inputs: the input is cut into segments of records, each segment's resume
/// point is the offset after it, segments that settle ahead of the watermark are journaled as byte ranges (unless
/// the operation's items must be applied in input order), and on resume records inside those ranges are skipped.
/// Shared by every operation that reads an input.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "ckp/api/error.hpp"
#include "ckp/engine/journal.hpp"
#include "ckp/engine/watermark.hpp"
#include "ckp/io/records.hpp"

namespace ckp::ops {

/// Reads an input's records into an operation, with backpressure and resume bookkeeping (see the file's comment).
class RecordFeeder {
 public:
  /// What the feeder calls; all are required.
  struct Hooks {
    /// May another record be consumed now?
    std::function<bool()> can_accept;
    /// One record of the current segment. Returns an Error to stop the operation (bad input).
    /// The consumer calls `watermark.add(segment)` for every item it will settle later.
    std::function<std::optional<Error>(const io::Record&, engine::WatermarkTracker::SegmentId)> record;
    /// The input is exhausted.
    std::function<void()> end;
    /// Reading failed (I/O error, malformed framing).
    std::function<void(const Error&)> error;
  };

  /// Feeds @p source's records, in segments of @p records_per_segment, opening them in @p watermark (which must
  /// outlive the feeder). @p skip_ahead: segments settled ahead of the watermark may be skipped on resume. An
  /// operation whose later records must win over earlier ones (an import writing one key twice) passes false: a
  /// resume then does everything after the watermark again, in input order.
  RecordFeeder(std::unique_ptr<io::RecordSource> source, engine::WatermarkTracker& watermark, Hooks hooks,
               std::uint64_t records_per_segment = 1000, bool skip_ahead = true)
      : source_(std::move(source)), watermark_(watermark), hooks_(std::move(hooks)), per_segment_(records_per_segment),
        skip_ahead_(skip_ahead) {}

  /// Continues from a journal's resume point (`{"offset":…,"line":…}`) and skips its settled ranges.
  void resume_from(const engine::JournalState& st) {
    std::uint64_t offset = 0;
    if (st.resume && st.resume->contains("offset")) {
      offset = st.resume->value("offset", std::uint64_t{0});
      source_->seek(offset, st.resume->value("line", std::uint64_t{1}));
    }
    if (st.resume && st.resume->value("end", false)) done_ = true;
    // Only ranges past the resume point matter (they are few: at most the segments that were pending at once).
    for (const auto& r : st.settled)
      if (r.is_array() && r.size() == 2 && r[0].is_number_unsigned() && r[1].is_number_unsigned() &&
          r[1].get<std::uint64_t>() > offset)
        settled_.emplace_back(r[0].get<std::uint64_t>(), r[1].get<std::uint64_t>());
  }

  /// Reads records while the consumer has room. Call at start and whenever room frees up.
  void pump() {
    if (pumping_) return;
    pumping_ = true;
    while (!done_ && !failed_ && hooks_.can_accept()) {
      auto record = source_->next();
      if (!record) {
        if (source_->error()) {
          failed_ = true;
          pumping_ = false;
          hooks_.error(*source_->error());
          return;
        }
        close_segment(true);
        done_ = true;
        hooks_.end();
        break;
      }
      ++records_;
      if (in_settled_range(record->offset)) continue;
      if (!segment_) {
        segment_ = watermark_.open(nlohmann::json{});
        segment_start_ = record->offset;
      }
      segment_end_ = {record->next_offset, record->next_line};
      if (auto e = hooks_.record(*record, *segment_)) {
        failed_ = true;
        pumping_ = false;
        hooks_.error(*e);
        return;
      }
      if (++segment_records_ >= per_segment_) close_segment(false);
    }
    pumping_ = false;
  }

  /// The input is exhausted (or a resume found it already was).
  bool done() const { return done_; }
  /// Records read so far, skipped ones included.
  std::uint64_t records() const { return records_; }
  /// The input.
  io::RecordSource& source() { return *source_; }

 private:
  void close_segment(bool at_end) {
    if (!segment_) {
      if (at_end) {
        // An empty last segment still records that the input was read to its end.
        auto s = watermark_.open(
            nlohmann::json{{"offset", segment_end_.first}, {"line", segment_end_.second}, {"end", true}});
        watermark_.close(s);
      }
      return;
    }
    watermark_.set_resume(*segment_, nlohmann::json{{"offset", segment_end_.first},
                                                    {"line", segment_end_.second},
                                                    {"end", at_end}});
    if (skip_ahead_) watermark_.set_range(*segment_, nlohmann::json::array({segment_start_, segment_end_.first}));
    watermark_.close(*segment_);
    segment_.reset();
    segment_records_ = 0;
  }

  bool in_settled_range(std::uint64_t offset) const {
    for (const auto& [start, end] : settled_)
      if (offset >= start && offset < end) return true;
    return false;
  }

  std::unique_ptr<io::RecordSource> source_;
  engine::WatermarkTracker& watermark_;
  Hooks hooks_;
  std::uint64_t per_segment_;
  bool skip_ahead_;
  std::vector<std::pair<std::uint64_t, std::uint64_t>> settled_;  // [start, end) byte ranges to skip
  std::optional<engine::WatermarkTracker::SegmentId> segment_;
  std::uint64_t segment_start_ = 0;
  std::pair<std::uint64_t, std::uint64_t> segment_end_{0, 1};
  std::uint64_t segment_records_ = 0;
  std::uint64_t records_ = 0;
  bool done_ = false;
  bool failed_ = false;
  bool pumping_ = false;
};

/// Writes what became durable to @p journal: the failures of segments that are done for good, segments that settled
/// ahead of the watermark (with their counts), and the watermark if it moved (with @p durable, the counts of
/// everything durable, which this adds to). Without a journal the watermark still advances, so that settled
/// segments are forgotten (memory stays flat).
inline void journal_progress(engine::Journal* journal, engine::WatermarkTracker& watermark,
                             engine::JournalCounters& durable) {
  auto d = watermark.collect();
  durable.done += d.done;
  durable.failed += d.failures.size();
  if (!journal) return;
  for (const auto& [item, error] : d.failures) journal->failure(item, error);
  for (const auto& piece : d.ahead) journal->settled(piece.range, {piece.done, piece.failed});
  if (d.point && d.point->is_object() && !d.point->empty()) journal->checkpoint(*d.point, durable);
}

}  // namespace ckp::ops
