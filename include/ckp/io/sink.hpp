#pragma once
/// @file
/// Streaming output (an export file), as an interface: a file natively (io/file_sink.hpp), memory in tests and in
/// the browser. Resuming an export truncates the output back to the journal's last durable offset.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "ckp/api/error.hpp"

namespace ckp::io {

/// Where an export writes its bytes (KvExport). Implementations report failures through error().
class ByteSink {
 public:
  virtual ~ByteSink() = default;
  /// Appends @p bytes.
  virtual void write(std::string_view bytes) = 0;
  /// Makes everything written so far durable.
  virtual void sync() = 0;
  /// Bytes written so far.
  virtual std::uint64_t size() const = 0;
  /// Cuts the output back to @p size bytes (resume). False if it is shorter than that.
  virtual bool truncate(std::uint64_t size) = 0;
  /// Set when a write failed (disk full…).
  virtual std::optional<Error> error() const { return std::nullopt; }
};

/// Output kept in memory.
class StringSink final : public ByteSink {
 public:
  void write(std::string_view bytes) override { data_ += bytes; }
  void sync() override {}
  std::uint64_t size() const override { return data_.size(); }
  bool truncate(std::uint64_t size) override {
    if (size > data_.size()) return false;
    data_.resize(static_cast<std::size_t>(size));
    return true;
  }
  /// Everything written (and not truncated away).
  const std::string& str() const { return data_; }

 private:
  std::string data_;
};

}  // namespace ckp::io
