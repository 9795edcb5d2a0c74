#pragma once
/// @file
/// A JournalStore in a file: one line per record, appended; sync() is fdatasync, so a watermark written before a
/// crash is there after it. Created with mode 0600. Native only.
///
/// A process killed in the middle of an append leaves a torn last line (no '\n'). Journal::load ignores it; and
/// reopening the file for appending cuts it off, so the next record starts on a line of its own instead of being
/// glued to the torn one (which would make the journal unreadable once that line is no longer the last).

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "ckp/api/error.hpp"
#include "ckp/engine/journal.hpp"

namespace ckp::io {

/// A journal file (see the file's comment). Write failures are not reported: a journal that cannot be written
/// loses resume points, never data.
///
/// Example:
/// ```
/// auto store = ckp::io::FileJournalStore::open("/var/lib/me/job-42.jsonl");
/// if (!store) return fail(store.error());          // ErrorKind::io: cannot create or open it
/// ckp::engine::Journal journal(**store);
/// ```
class FileJournalStore final : public engine::JournalStore {
 public:
  /// Opens the journal at @p path for appending. A new file is created (mode 0600) by the first append, so a job
  /// that never writes a record leaves no empty journal behind. An existing file loses a torn last line (see the
  /// file's comment). Errors: ErrorKind::io when the file exists but cannot be opened (or its torn line cannot be
  /// cut), or its directory cannot be written.
  static Result<std::unique_ptr<FileJournalStore>> open(const std::string& path) {
    std::unique_ptr<FileJournalStore> store(new FileJournalStore(path));
    if (::access(path.c_str(), F_OK) == 0) {
      if (!store->open_file())
        return Error::make(ErrorKind::io, "cannot write journal " + path + ": " + std::strerror(errno));
    } else {
      const auto slash = path.rfind('/');
      const std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
      if (::access(dir.c_str(), W_OK) != 0)
        return Error::make(ErrorKind::io, "cannot write journal " + path + ": " + std::strerror(errno));
    }
    return store;
  }

  ~FileJournalStore() override {
    if (fd_ >= 0) ::close(fd_);
  }
  FileJournalStore(const FileJournalStore&) = delete;
  FileJournalStore& operator=(const FileJournalStore&) = delete;

  void append(std::string_view line) override {
    if (fd_ < 0 && !open_file()) return;
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
  void sync() override {
    if (fd_ >= 0) ::fdatasync(fd_);
  }
  std::vector<std::string> lines() const override { return read_lines(path_); }

  /// Every line of the journal file at @p path (empty if it does not exist).
  static std::vector<std::string> read_lines(const std::string& path) {
    std::vector<std::string> out;
    std::ifstream in(path);
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
  }

 private:
  explicit FileJournalStore(std::string path) : path_(std::move(path)) {}
  bool open_file() {
    fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd_ >= 0 && !drop_torn_tail()) {
      const int why = errno;  // for open()'s message, past close()
      ::close(fd_);
      fd_ = -1;
      errno = why;
    }
    return fd_ >= 0;
  }

  /// Cuts the file after its last '\n' (to empty when it has none). What follows that '\n' was never a record:
  /// append() writes a line and its '\n' together, so a line without one is a write the process did not finish,
  /// and no sync() has vouched for it. False when the file cannot be read or cut (errno says why).
  bool drop_torn_tail() {
    struct stat st {};
    if (::fstat(fd_, &st) != 0) return false;
    off_t end = st.st_size;
    char block[4096];
    while (end > 0) {
      const off_t start = std::max<off_t>(0, end - static_cast<off_t>(sizeof block));
      const ssize_t n = ::pread(fd_, block, static_cast<std::size_t>(end - start), start);
      if (n < 0 && errno == EINTR) continue;
      if (n != end - start) return false;
      for (ssize_t i = n; i > 0; --i)
        if (block[i - 1] == '\n') {
          const off_t keep = start + i;
          return keep == st.st_size || ::ftruncate(fd_, keep) == 0;
        }
      end = start;
    }
    return st.st_size == 0 || ::ftruncate(fd_, 0) == 0;
  }
  int fd_ = -1;
  std::string path_;
};

/// Read-only view of a journal file, for `jobs list` / `jobs show`.
class JournalFileView final : public engine::JournalStore {
 public:
  /// A view of the journal file at @p path; append() and sync() do nothing.
  explicit JournalFileView(std::string path) : path_(std::move(path)) {}
  void append(std::string_view) override {}
  void sync() override {}
  std::vector<std::string> lines() const override { return FileJournalStore::read_lines(path_); }

 private:
  std::string path_;
};

}  // namespace ckp::io
