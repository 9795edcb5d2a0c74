#pragma once
/// @file
/// Tracks which parts of the input are settled (every item confirmed or reported failed), in input order, and what
/// each part counted.
///
/// The input is cut into segments (a listed page, a chunk of a file). Each segment carries the resume point that
/// follows it (the list cursor after the page, the file offset after the chunk). Items settle out of order as batches
/// complete; `collect()` returns the resume point after the longest run of settled segments from the start, which
/// is the only thing safe to write down as a watermark — and the counts and failures of every segment whose outcome
/// just became durable, so that a journal counts each item once, however often the operation is resumed: an item of
/// a segment that is not yet durable will be done again on resume, and counted then.

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "ckp/api/error.hpp"

namespace ckp::engine {

/// Segments of input in order, each with its pending item count and resume point (see the file's comment).
/// Operations use it to decide what their journal may record as done. Never fails; unknown ids are ignored.
class WatermarkTracker {
 public:
  /// Identifies a segment (increasing from 0 in open() order).
  using SegmentId = std::uint64_t;

  /// Opens the next segment; @p resume_after is where to resume once it (and all before it) are settled.
  /// @p range, when given, names the segment's input (e.g. `[start_offset, end_offset]`) so that a segment
  /// settled ahead of the watermark can be journaled and skipped on resume.
  SegmentId open(nlohmann::json resume_after, nlohmann::json range = nullptr) {
    Segment s;
    s.id = next_id_;
    s.resume_after = std::move(resume_after);
    s.range = std::move(range);
    segments_.push_back(std::move(s));
    return next_id_++;
  }
  /// Sets the resume point of a segment opened before its end was known.
  void set_resume(SegmentId id, nlohmann::json resume_after) {
    if (auto* s = find(id)) s->resume_after = std::move(resume_after);
  }
  /// Adds @p fields to a segment's resume point (keeping the fields it has that @p fields does not name).
  void extend_resume(SegmentId id, const nlohmann::json& fields) {
    if (auto* s = find(id)) {
      if (!s->resume_after.is_object()) s->resume_after = nlohmann::json::object();
      for (const auto& [k, v] : fields.items()) s->resume_after[k] = v;
    }
  }
  /// Sets the input range of a segment (see open()).
  void set_range(SegmentId id, nlohmann::json range) {
    if (auto* s = find(id)) s->range = std::move(range);
  }
  /// Adds @p n items to an open segment.
  void add(SegmentId id, std::uint64_t n = 1) {
    if (auto* s = find(id)) s->pending += n;
  }
  /// No more items will be added to the segment.
  void close(SegmentId id) {
    if (auto* s = find(id)) {
      s->closed = true;
      if (s->pending == 0) newly_settled_.push_back(id);
    }
  }
  /// @p n items of the segment are settled (without being counted; see settle_done() and settle_failed()).
  void settle(SegmentId id, std::uint64_t n = 1) {
    if (auto* s = find(id)) {
      s->pending -= std::min(n, s->pending);
      if (s->pending == 0 && s->closed) newly_settled_.push_back(id);
    }
  }
  /// @p n items of the segment are settled: confirmed by the API.
  void settle_done(SegmentId id, std::uint64_t n = 1) {
    if (auto* s = find(id)) s->done += n;
    settle(id, n);
  }
  /// One item of the segment is settled: failed for good, as @p item with @p error (kept until it is durable).
  void settle_failed(SegmentId id, std::string item, Error error) {
    if (auto* s = find(id)) s->failures.emplace_back(std::move(item), std::move(error));
    settle(id);
  }

  /// A segment settled ahead of the watermark, with an input range that lets a resume skip it.
  struct Piece {
    nlohmann::json range;      ///< as given to open() / set_range()
    std::uint64_t done = 0;    ///< its items confirmed
    std::uint64_t failed = 0;  ///< its items failed
  };
  /// What collect() found.
  struct Durable {
    std::vector<Piece> ahead;                             ///< settled ahead of the watermark (each reported once)
    std::optional<nlohmann::json> point;                  ///< the new watermark, if it moved
    std::uint64_t done = 0;                               ///< items confirmed in segments that just became durable
    std::vector<std::pair<std::string, Error>> failures;  ///< items failed in those segments
  };
  /// Segments whose outcome became durable since the last call: those settled ahead of the watermark that have a
  /// range (a resume skips them), and those the watermark moved past (a resume starts after them). Segments up to
  /// the watermark are forgotten. Cheap: only segments that settled since the last call are looked at.
  Durable collect() {
    Durable d;
    for (SegmentId id : newly_settled_) {
      auto* s = find(id);
      if (!s || s == &segments_.front() || s->range.is_null() || s->durable) continue;
      d.ahead.push_back({s->range, s->done, s->failures.size()});
      take(*s, d);
    }
    newly_settled_.clear();
    while (!segments_.empty() && segments_.front().closed && segments_.front().pending == 0) {
      if (!segments_.front().durable) take(segments_.front(), d);
      d.point = std::move(segments_.front().resume_after);
      segments_.pop_front();
    }
    return d;
  }

  /// Segments not yet behind the watermark.
  std::size_t open_segments() const { return segments_.size(); }

 private:
  struct Segment {
    SegmentId id;
    nlohmann::json resume_after;
    nlohmann::json range;
    std::uint64_t pending = 0;
    bool closed = false;
    bool durable = false;  // its counts were handed out by collect()
    std::uint64_t done = 0;
    std::vector<std::pair<std::string, Error>> failures;
  };
  static void take(Segment& s, Durable& d) {
    s.durable = true;
    d.done += s.done;
    for (auto& f : s.failures) d.failures.push_back(std::move(f));
    s.failures.clear();
  }
  Segment* find(SegmentId id) {
    if (segments_.empty() || id < segments_.front().id) return nullptr;
    auto index = id - segments_.front().id;
    return index < segments_.size() ? &segments_[index] : nullptr;
  }

  std::deque<Segment> segments_;
  std::vector<SegmentId> newly_settled_;  // settled since the last settled_ahead()
  SegmentId next_id_ = 0;
};

}  // namespace ckp::engine
