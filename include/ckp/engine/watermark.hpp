#pragma once
/// @file
/// Tracks which parts of the input are settled (every item confirmed or reported failed), in input order.
///
/// The input is cut into segments (a listed page, a chunk of a file). Each segment carries the resume point that
/// follows it (the list cursor after the page, the file offset after the chunk). Items settle out of order as batches
/// complete; `advance()` returns the resume point after the longest run of settled segments from the start, which
/// is the only thing safe to write down as a watermark.

#include <cstdint>
#include <deque>
#include <optional>
#include <vector>

#include <nlohmann/json.hpp>

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
    segments_.push_back({next_id_, std::move(resume_after), std::move(range), 0, false});
    return next_id_++;
  }
  /// Sets the resume point of a segment opened before its end was known.
  void set_resume(SegmentId id, nlohmann::json resume_after) {
    if (auto* s = find(id)) s->resume_after = std::move(resume_after);
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
  /// @p n items of the segment are settled.
  void settle(SegmentId id, std::uint64_t n = 1) {
    if (auto* s = find(id)) {
      s->pending -= std::min(n, s->pending);
      if (s->pending == 0 && s->closed) newly_settled_.push_back(id);
    }
  }
  /// Ranges of segments that became settled while an earlier segment is not (each reported once). Cheap: only
  /// segments that settled since the last call are looked at.
  std::vector<nlohmann::json> settled_ahead() {
    std::vector<nlohmann::json> out;
    for (SegmentId id : newly_settled_) {
      auto* s = find(id);
      if (s && s != &segments_.front() && !s->range.is_null()) out.push_back(s->range);
    }
    newly_settled_.clear();
    return out;
  }

  /// The resume point after the newest segment that is settled along with all before it, if that moved since the
  /// last call; segments up to it are forgotten.
  std::optional<nlohmann::json> advance() {
    std::optional<nlohmann::json> point;
    while (!segments_.empty() && segments_.front().closed && segments_.front().pending == 0) {
      point = std::move(segments_.front().resume_after);
      segments_.pop_front();
    }
    return point;
  }
  /// Segments not yet behind the watermark.
  std::size_t open_segments() const { return segments_.size(); }

 private:
  struct Segment {
    SegmentId id;
    nlohmann::json resume_after;
    nlohmann::json range;
    std::uint64_t pending;
    bool closed;
  };
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
