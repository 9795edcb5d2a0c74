#pragma once
/// @file
/// A ByteReader over a file (POSIX), so record sources can stream a keys file, a URL list or an import file without
/// loading it. Native only.

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <optional>
#include <string>

#include "ckp/api/error.hpp"
#include "ckp/io/records.hpp"

namespace ckp::io {

/// A file (or standard input) as a ByteReader. Read failures set error() (ErrorKind::io).
///
/// Example, a keys file as records:
/// ```
/// auto file = ckp::io::FileReader::open("keys.txt");
/// if (!file) return fail(file.error());            // ErrorKind::io: missing, unreadable or a directory
/// std::unique_ptr<ckp::io::RecordSource> keys = ckp::io::open_records(std::move(*file));
/// ```
class FileReader final : public io::ByteReader {
 public:
  /// Opens @p path for reading; "-" reads standard input (not seekable: no resume). Messages call it @p name
  /// (default: the path).
  static Result<std::unique_ptr<FileReader>> open(const std::string& path, const std::string& name = "") {
    int fd = path == "-" ? dup(STDIN_FILENO) : ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return Error::make(ErrorKind::io, "cannot read " + path + ": " + std::strerror(errno));
    struct stat st {};
    if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
      ::close(fd);
      return Error::make(ErrorKind::io, path + " is a directory, not a file");
    }
    return std::unique_ptr<FileReader>(
        new FileReader(fd, name.empty() ? path : name,
                       S_ISREG(st.st_mode) ? std::optional<std::uint64_t>(st.st_size) : std::nullopt));
  }

  ~FileReader() override { ::close(fd_); }
  FileReader(const FileReader&) = delete;
  FileReader& operator=(const FileReader&) = delete;

  std::size_t read(char* buf, std::size_t n) override {
    for (;;) {
      ssize_t got = ::read(fd_, buf, n);
      if (got >= 0) return static_cast<std::size_t>(got);
      if (errno == EINTR) continue;
      error_ = Error::make(ErrorKind::io, "cannot read " + path_ + ": " + std::strerror(errno));
      return 0;
    }
  }
  bool seek(std::uint64_t offset) override { return ::lseek(fd_, static_cast<off_t>(offset), SEEK_SET) >= 0; }
  std::optional<std::uint64_t> size() const override { return size_; }
  std::string name() const override { return path_; }
  std::optional<Error> error() const override { return error_; }

 private:
  FileReader(int fd, std::string path, std::optional<std::uint64_t> size)
      : fd_(fd), path_(std::move(path)), size_(size) {}
  int fd_;
  std::string path_;
  std::optional<std::uint64_t> size_;
  std::optional<Error> error_;
};

/// Opens @p path as records: a JSON array when it starts with '[', else lines. Messages call it @p name (default:
/// the path).
inline Result<std::unique_ptr<io::RecordSource>> open_records(const std::string& path, const std::string& name = "") {
  auto reader = FileReader::open(path, name);
  if (!reader) return std::move(reader).error();
  return io::open_records(std::move(*reader));
}

}  // namespace ckp::io
