#pragma once
/// @file
/// A JournalStore in a file: one line per record, appended; sync() is fdatasync, so a watermark written before a
/// crash is there after it. Created with mode 0600. Native only.

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "ckp/api/error.hpp"
#include "ckp/engine/journal.hpp"

namespace ckp::io {

class FileJournalStore final : public engine::JournalStore {
 public:
  /// Opens (creating with mode 0600) the journal at @p path for appending.
  static Result<std::unique_ptr<FileJournalStore>> open(const std::string& path) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0) return Error::make(ErrorKind::io, "cannot write journal " + path + ": " + std::strerror(errno));
    return std::unique_ptr<FileJournalStore>(new FileJournalStore(fd, path));
  }

  ~FileJournalStore() override { ::close(fd_); }
  FileJournalStore(const FileJournalStore&) = delete;
  FileJournalStore& operator=(const FileJournalStore&) = delete;

  void append(std::string_view line) override {
    std::string data(line);
    data += '\n';
    std::size_t done = 0;
    while (done < data.size()) {
      ssize_t n = ::write(fd_, data.data() + done, data.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return;  // a journal that cannot be written loses resume points, never data
      done += static_cast<std::size_t>(n);
    }
  }
  void sync() override { ::fdatasync(fd_); }
  std::vector<std::string> lines() const override { return read_lines(path_); }

  /// Every line of the journal file at @p path (empty if it does not exist).
  static std::vector<std::string> read_lines(const std::string& path) {
    std::vector<std::string> out;
    std::ifstream in(path);
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
  }

 private:
  FileJournalStore(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  int fd_;
  std::string path_;
};

/// Read-only view of a journal file, for `jobs list` / `jobs show`.
class JournalFileView final : public engine::JournalStore {
 public:
  explicit JournalFileView(std::string path) : path_(std::move(path)) {}
  void append(std::string_view) override {}
  void sync() override {}
  std::vector<std::string> lines() const override { return FileJournalStore::read_lines(path_); }

 private:
  std::string path_;
};

}  // namespace ckp::io
