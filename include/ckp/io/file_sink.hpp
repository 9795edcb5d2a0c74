#pragma once
/// @file
/// A ByteSink writing a file (POSIX): buffered appends, fsync on sync(), truncate for resume. Created with mode
/// 0600 (an export holds a namespace's data). Native only.

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <optional>
#include <string>

#include "ckp/api/error.hpp"
#include "ckp/io/sink.hpp"

namespace ckp::io {

/// A file (or standard output) as a ByteSink. Write failures set error() (ErrorKind::io).
///
/// Example:
/// ```
/// auto out = ckp::io::FileSink::open("prod.ndjson", false);
/// if (!out) return fail(out.error());
/// ckp::ops::KvExport op(scheduler, {.account_id = account, .namespace_id = ns, .output = "prod.ndjson"}, **out);
/// ```
class FileSink final : public io::ByteSink {
 public:
  /// Opens @p path for writing ("-" is standard output, which cannot be truncated or resumed). With @p keep the
  /// existing content stays (a resume truncates it to the journal's offset); otherwise the file is emptied.
  static Result<std::unique_ptr<FileSink>> open(const std::string& path, bool keep) {
    int fd = path == "-" ? dup(STDOUT_FILENO)
                         : ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | (keep ? 0 : O_TRUNC), 0600);
    if (fd < 0) return Error::make(ErrorKind::io, "cannot write " + path + ": " + std::strerror(errno));
    std::uint64_t size = 0;
    struct stat st {};
    if (path != "-" && fstat(fd, &st) == 0) size = static_cast<std::uint64_t>(st.st_size);
    if (path != "-") ::lseek(fd, 0, SEEK_END);
    return std::unique_ptr<FileSink>(new FileSink(fd, path, size));
  }

  ~FileSink() override {
    flush();
    ::close(fd_);
  }
  FileSink(const FileSink&) = delete;
  FileSink& operator=(const FileSink&) = delete;

  void write(std::string_view bytes) override {
    buffer_ += bytes;
    size_ += bytes.size();
    if (buffer_.size() >= (1u << 20)) flush();
  }
  void sync() override {
    flush();
    if (path_ != "-") ::fsync(fd_);
  }
  std::uint64_t size() const override { return size_; }
  bool truncate(std::uint64_t size) override {
    flush();
    if (path_ == "-") return size == size_;
    if (size > size_ || ::ftruncate(fd_, static_cast<off_t>(size)) != 0) return false;
    ::lseek(fd_, 0, SEEK_END);
    size_ = size;
    return true;
  }
  std::optional<Error> error() const override { return error_; }

 private:
  FileSink(int fd, std::string path, std::uint64_t size) : fd_(fd), path_(std::move(path)), size_(size) {}
  void flush() {
    std::size_t done = 0;
    while (done < buffer_.size()) {
      ssize_t n = ::write(fd_, buffer_.data() + done, buffer_.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        error_ = Error::make(ErrorKind::io, "cannot write " + path_ + ": " + std::strerror(errno));
        break;
      }
      done += static_cast<std::size_t>(n);
    }
    buffer_.clear();
  }

  int fd_;
  std::string path_;
  std::uint64_t size_;
  std::string buffer_;
  std::optional<Error> error_;
};

}  // namespace ckp::io
