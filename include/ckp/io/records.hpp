#pragma once
/// @file
/// Streaming input: records (lines, or the elements of a top-level JSON array) read from any byte stream, one at a
/// time, each with its line number and byte offsets — so a 10-million-line keys file is never loaded whole, errors
/// name `file:line`, and a journal can resume at an offset.
///
/// Byte streams are an interface (ByteReader): a file natively (io/file_reader.hpp), a string in tests and in the
/// browser.

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "ckp/api/error.hpp"
#include "ckp/api/json_parse.hpp"

namespace ckp::io {

/// A seekable source of bytes.
class ByteReader {
 public:
  virtual ~ByteReader() = default;
  /// Reads up to @p n bytes into @p buf; returns how many (0 at the end). Sets error() on failure.
  virtual std::size_t read(char* buf, std::size_t n) = 0;
  /// Moves to absolute @p offset.
  virtual bool seek(std::uint64_t offset) = 0;
  /// Total size, when known.
  virtual std::optional<std::uint64_t> size() const = 0;
  /// A name for messages (the file path).
  virtual std::string name() const = 0;
  /// Why reading failed, if it did (ErrorKind::io); never set for in-memory bytes.
  virtual std::optional<Error> error() const { return std::nullopt; }
};

/// Bytes held in memory.
class StringReader final : public ByteReader {
 public:
  /// Reads @p data; @p name appears in error messages.
  explicit StringReader(std::string data, std::string name = "<input>")
      : data_(std::move(data)), name_(std::move(name)) {}
  std::size_t read(char* buf, std::size_t n) override {
    n = std::min<std::size_t>(n, data_.size() - pos_);
    std::memcpy(buf, data_.data() + pos_, n);
    pos_ += n;
    return n;
  }
  bool seek(std::uint64_t offset) override {
    if (offset > data_.size()) return false;
    pos_ = static_cast<std::size_t>(offset);
    return true;
  }
  std::optional<std::uint64_t> size() const override { return data_.size(); }
  std::string name() const override { return name_; }

 private:
  std::string data_;
  std::string name_;
  std::size_t pos_ = 0;
};

/// A reader that cannot seek (standard input from a pipe), with the bytes already taken from it given back first:
/// how open_records() looks at the start of its input without losing it. It seeks only back to its start, and only
/// while nothing beyond the given-back bytes has been read.
class ReplayReader final : public ByteReader {
 public:
  /// Reads @p head, then the rest of @p rest.
  ReplayReader(std::string head, std::unique_ptr<ByteReader> rest) : head_(std::move(head)), rest_(std::move(rest)) {}
  std::size_t read(char* buf, std::size_t n) override {
    if (pos_ < head_.size()) {
      n = std::min(n, head_.size() - pos_);
      std::memcpy(buf, head_.data() + pos_, n);
      pos_ += n;
      return n;
    }
    const std::size_t got = rest_->read(buf, n);
    pos_ += got;
    return got;
  }
  bool seek(std::uint64_t offset) override {
    if (offset > head_.size() || pos_ > head_.size()) return false;
    pos_ = static_cast<std::size_t>(offset);
    return true;
  }
  std::optional<std::uint64_t> size() const override { return std::nullopt; }
  std::string name() const override { return rest_->name(); }
  std::optional<Error> error() const override { return rest_->error(); }

 private:
  std::string head_;
  std::unique_ptr<ByteReader> rest_;
  std::size_t pos_ = 0;
};

/// One record of input.
struct Record {
  std::string text;               ///< the line (without its line break) or the JSON element's text
  std::uint64_t line = 0;         ///< 1-based line number where it starts
  std::uint64_t offset = 0;       ///< byte offset where it starts
  std::uint64_t next_offset = 0;  ///< byte offset where the next record may start (resume here)
  std::uint64_t next_line = 0;    ///< line number at next_offset
};

/// How records are framed.
enum class RecordFormat { lines, json_array };

/// A stream of records.
class RecordSource {
 public:
  virtual ~RecordSource() = default;
  /// The next record, or nullopt at the end of input or on an error (see error()).
  virtual std::optional<Record> next() = 0;
  /// Why reading stopped early, if it did. Messages name the input and line.
  virtual const std::optional<Error>& error() const = 0;
  /// Continues from a position a previous next() reported (Record::next_offset, and the line number there).
  virtual bool seek(std::uint64_t offset, std::uint64_t line) = 0;
  /// The input's name, for messages (ByteReader::name()).
  virtual std::string name() const = 0;
  /// The input's size in bytes, when known.
  virtual std::optional<std::uint64_t> size() const = 0;
  /// Lines hold plain text; JSON array elements hold JSON text.
  virtual RecordFormat format() const = 0;
};

namespace detail {

/// Buffered byte access with position and line tracking, shared by the record sources.
class Cursor {
 public:
  explicit Cursor(ByteReader& in) : in_(in) {}
  /// The next byte without consuming it; nullopt at the end.
  std::optional<char> peek() {
    if (pos_ == len_ && !fill()) return std::nullopt;
    return buf_[pos_];
  }
  char take() {
    char c = buf_[pos_++];
    ++offset_;
    if (c == '\n') ++line_;
    return c;
  }
  /// At the very start of the input, steps over a UTF-8 byte order mark (EF BB BF): editors on Windows write one,
  /// and it is never part of the first item.
  void skip_bom() {
    if (offset_ != 0) return;
    if (pos_ == len_ && !fill()) return;
    if (len_ - pos_ >= 3 && std::memcmp(buf_ + pos_, "\xEF\xBB\xBF", 3) == 0) {
      pos_ += 3;
      offset_ += 3;
    }
  }
  std::uint64_t offset() const { return offset_; }
  std::uint64_t line() const { return line_; }
  bool seek(std::uint64_t offset, std::uint64_t line) {
    if (!in_.seek(offset)) return false;
    offset_ = offset;
    line_ = line;
    pos_ = len_ = 0;
    return true;
  }

 private:
  bool fill() {
    pos_ = 0;
    len_ = in_.read(buf_, sizeof buf_);
    return len_ > 0;
  }
  ByteReader& in_;
  char buf_[64 * 1024];
  std::size_t pos_ = 0, len_ = 0;
  std::uint64_t offset_ = 0, line_ = 1;
};

}  // namespace detail

/// Records are lines. `\n` or `\r\n` ends a line; the last line needs no break; a UTF-8 byte order mark at the start
/// is skipped. A line longer than `max_line`
/// stops reading with an error naming it.
class LineRecords final : public RecordSource {
 public:
  /// Reads lines from @p in; a line over @p max_line bytes is an ErrorKind::invalid_input error.
  explicit LineRecords(std::unique_ptr<ByteReader> in, std::size_t max_line = 64u << 20)
      : in_(std::move(in)), cur_(*in_), max_line_(max_line) {}

  std::optional<Record> next() override {
    if (error_) return std::nullopt;
    cur_.skip_bom();
    if (!cur_.peek()) {
      if (auto e = in_->error()) error_ = e;
      return std::nullopt;
    }
    Record r;
    r.line = cur_.line();
    r.offset = cur_.offset();
    while (auto c = cur_.peek()) {
      char ch = cur_.take();
      if (ch == '\n') break;
      if (r.text.size() >= max_line_) {
        error_ = Error::make(ErrorKind::invalid_input,
                             fmt::format("{}:{}: line is longer than {} bytes", in_->name(), r.line, max_line_));
        return std::nullopt;
      }
      r.text += ch;
    }
    if (!r.text.empty() && r.text.back() == '\r') r.text.pop_back();
    r.next_offset = cur_.offset();
    r.next_line = cur_.line();
    return r;
  }
  const std::optional<Error>& error() const override { return error_; }
  bool seek(std::uint64_t offset, std::uint64_t line) override {
    error_.reset();
    return cur_.seek(offset, line);
  }
  std::string name() const override { return in_->name(); }
  std::optional<std::uint64_t> size() const override { return in_->size(); }
  RecordFormat format() const override { return RecordFormat::lines; }

 private:
  std::unique_ptr<ByteReader> in_;
  detail::Cursor cur_;
  std::size_t max_line_;
  std::optional<Error> error_;
};

/// Records are the elements of one top-level JSON array (`[ {...}, {...} ]`), found without parsing the whole
/// document: the scanner tracks strings, escapes and nesting depth only. Each element's text is then parsed alone.
class JsonArrayRecords final : public RecordSource {
 public:
  /// Reads the array's elements from @p in; an element over @p max_element bytes, or a document that is not one
  /// array, is an ErrorKind::invalid_input error naming the line.
  explicit JsonArrayRecords(std::unique_ptr<ByteReader> in, std::size_t max_element = 128u << 20)
      : in_(std::move(in)), cur_(*in_), max_element_(max_element) {}

  std::optional<Record> next() override {
    if (error_ || done_) return std::nullopt;
    if (!started_) {
      cur_.skip_bom();
      skip_space();
      auto c = cur_.peek();
      if (!c || *c != '[') return fail("expected a JSON array ('[')");
      cur_.take();
      started_ = true;
      expect_element_ = true;
      first_ = true;
    }
    skip_space();
    auto c = cur_.peek();
    if (!c) return fail("the JSON array is not closed (missing ']')");
    if (*c == ']') {
      cur_.take();
      if (!first_ && expect_element_) return fail("a trailing comma before ']'");
      done_ = true;
      return std::nullopt;
    }
    if (!expect_element_) {
      if (*c != ',') return fail(fmt::format("expected ',' or ']' but found '{}'", *c));
      cur_.take();
      skip_space();
      expect_element_ = true;
      c = cur_.peek();
      if (!c) return fail("the JSON array is not closed (missing ']')");
      if (*c == ']') return fail("a trailing comma before ']'");
    }
    Record r;
    r.line = cur_.line();
    r.offset = cur_.offset();
    int depth = 0;
    bool in_string = false, escaped = false;
    while (auto p = cur_.peek()) {
      char ch = *p;
      if (!in_string && depth == 0 && (ch == ',' || ch == ']')) break;
      cur_.take();
      if (r.text.size() >= max_element_)
        return fail(fmt::format("element starting at line {} is longer than {} bytes", r.line, max_element_));
      r.text += ch;
      if (in_string) {
        if (escaped) escaped = false;
        else if (ch == '\\') escaped = true;
        else if (ch == '"') in_string = false;
      } else if (ch == '"') {
        in_string = true;
      } else if (ch == '{' || ch == '[') {
        ++depth;
      } else if (ch == '}' || ch == ']') {
        if (--depth < 0) return fail("unbalanced brackets");
      }
    }
    while (!r.text.empty() && is_space(r.text.back())) r.text.pop_back();
    if (r.text.empty()) return fail("an empty element (two commas in a row?)");
    if (in_string || depth != 0) return fail(fmt::format("element starting at line {} is not complete", r.line));
    r.next_offset = cur_.offset();
    r.next_line = cur_.line();
    first_ = false;
    expect_element_ = false;
    return r;
  }
  const std::optional<Error>& error() const override { return error_; }
  bool seek(std::uint64_t offset, std::uint64_t line) override {
    // Offset 0 starts over; any other resume position is just after an element: inside the array, expecting
    // ',' or ']'.
    started_ = offset != 0;
    first_ = offset == 0;
    expect_element_ = false;
    done_ = false;
    error_.reset();
    return cur_.seek(offset, line);
  }
  std::string name() const override { return in_->name(); }
  std::optional<std::uint64_t> size() const override { return in_->size(); }
  RecordFormat format() const override { return RecordFormat::json_array; }

 private:
  static bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
  void skip_space() {
    while (auto c = cur_.peek()) {
      if (!is_space(*c)) break;
      cur_.take();
    }
  }
  std::optional<Record> fail(std::string what) {
    error_ = Error::make(ErrorKind::invalid_input, fmt::format("{}:{}: {}", in_->name(), cur_.line(), what));
    return std::nullopt;
  }

  std::unique_ptr<ByteReader> in_;
  detail::Cursor cur_;
  std::size_t max_element_;
  std::optional<Error> error_;
  bool started_ = false, expect_element_ = false, first_ = true, done_ = false;
};

/// One column of a CSV input, a record per row: the cell's text, trimmed of blanks, as a JSON string (so that the
/// item is taken exactly: never read as a comment). Double quotes may hold commas. The column is a 1-based index, or
/// a header name — then the first row is the header and is not a record. Empty cells are skipped. A row without the
/// column stops reading with an error naming the row.
///
/// Example: tags from column `tag` of `tags.csv`:
/// ```
/// ckp::io::CsvColumnRecords tags(ckp::io::open_records(std::move(reader)), "tag");
/// ```
class CsvColumnRecords final : public RecordSource {
 public:
  /// The cells of @p column in the rows of @p lines.
  CsvColumnRecords(std::unique_ptr<RecordSource> lines, std::string column)
      : lines_(std::move(lines)), column_(std::move(column)) {}

  std::optional<Record> next() override {
    if (error_ || !resolve()) return std::nullopt;
    while (auto row = lines_->next()) {
      auto cells = split(row->text);
      if (index_ >= cells.size()) return fail(fmt::format("{}:{}: has no column {}", name(), row->line, column_));
      const std::string_view cell = trim(cells[index_]);
      if (cell.empty()) continue;
      Record r = *row;
      r.text = nlohmann::json(std::string(cell)).dump();
      return r;
    }
    if (lines_->error()) error_ = lines_->error();
    return std::nullopt;
  }
  const std::optional<Error>& error() const override { return error_; }
  bool seek(std::uint64_t offset, std::uint64_t line) override {
    error_.reset();
    if (!resolve()) return false;
    if (offset == 0 && header_end_) return lines_->seek(header_end_->first, header_end_->second);
    return lines_->seek(offset, line);
  }
  std::string name() const override { return lines_->name(); }
  std::optional<std::uint64_t> size() const override { return lines_->size(); }
  /// Each record is a JSON string: the cell, exactly.
  RecordFormat format() const override { return RecordFormat::json_array; }

 private:
  static std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
  }
  static std::vector<std::string> split(const std::string& row) {
    std::vector<std::string> cells(1);
    bool quoted = false;
    for (char c : row) {
      if (c == '"') quoted = !quoted;
      else if (c == ',' && !quoted) cells.emplace_back();
      else cells.back() += c;
    }
    return cells;
  }
  /// Finds the column's index (reading the header row for a name), once.
  bool resolve() {
    if (resolved_) return true;
    resolved_ = true;
    if (!column_.empty() && column_.find_first_not_of("0123456789") == std::string::npos) {
      const auto n = std::stoull(column_.size() > 9 ? std::string("0") : column_);
      if (n < 1) return static_cast<bool>(fail(fmt::format("{}: the column must count from 1", name())));
      index_ = static_cast<std::size_t>(n - 1);
      return true;
    }
    lines_->seek(0, 1);
    auto header = lines_->next();
    if (!header) return static_cast<bool>(fail(fmt::format("{}:1: no header row naming column '{}'", name(), column_)));
    const auto cells = split(header->text);
    for (std::size_t i = 0; i < cells.size(); ++i)
      if (trim(cells[i]) == column_) {
        index_ = i;
        header_end_ = {header->next_offset, header->next_line};
        return true;
      }
    return static_cast<bool>(fail(fmt::format("{}:1: no column named '{}' in the header", name(), column_)));
  }
  std::optional<Record> fail(std::string message) {
    error_ = Error::make(ErrorKind::invalid_input, std::move(message));
    return std::nullopt;
  }

  std::unique_ptr<RecordSource> lines_;
  std::string column_;
  std::size_t index_ = 0;
  bool resolved_ = false;
  std::optional<std::pair<std::uint64_t, std::uint64_t>> header_end_;  // where the rows start, after a header
  std::optional<Error> error_;
};

/// The strings of a JSON array whose elements are strings, or objects holding them in @p field (a string, or an
/// array of strings; "" when the elements must be strings): a record per string, as a JSON string. An object that holds several makes several records;
/// all but its last resume at the object itself (a resume may repeat some of them, never skip one).
///
/// Example: tags from `[{"url": "/a", "tags": ["x", "y"]}, …]`:
/// ```
/// ckp::io::JsonFieldRecords tags(std::make_unique<ckp::io::JsonArrayRecords>(std::move(reader)), "tags");
/// ```
class JsonFieldRecords final : public RecordSource {
 public:
  /// The strings of @p field in the elements of @p elements.
  JsonFieldRecords(std::unique_ptr<RecordSource> elements, std::string field)
      : elements_(std::move(elements)), field_(std::move(field)) {}

  std::optional<Record> next() override {
    while (pending_.empty()) {
      if (error_) return std::nullopt;
      auto element = elements_->next();
      if (!element) {
        if (elements_->error()) error_ = elements_->error();
        return std::nullopt;
      }
      if (auto e = expand(*element)) {
        error_ = std::move(e);
        return std::nullopt;
      }
    }
    Record r = std::move(pending_.front());
    pending_.pop_front();
    return r;
  }
  const std::optional<Error>& error() const override { return error_; }
  bool seek(std::uint64_t offset, std::uint64_t line) override {
    pending_.clear();
    error_.reset();
    return elements_->seek(offset, line);
  }
  std::string name() const override { return elements_->name(); }
  std::optional<std::uint64_t> size() const override { return elements_->size(); }
  /// Each record is a JSON string, taken exactly.
  RecordFormat format() const override { return RecordFormat::json_array; }

 private:
  std::optional<Error> expand(const Record& element) {
    auto invalid = [&](const std::string& what) {
      return Error::make(ErrorKind::invalid_input, fmt::format("{}:{}: {}", name(), element.line, what));
    };
    auto j = api::parse_json(element.text);
    if (!j) return invalid(j.error().message);
    std::vector<std::string> strings;
    const nlohmann::json* v = &*j;
    if (j->is_object()) {
      if (field_.empty()) return invalid("expected a string; for objects, name the field that holds the items");
      auto it = j->find(field_);
      if (it == j->end()) return invalid("an object without the field \"" + field_ + "\"");
      v = &*it;
    }
    if (v->is_string()) strings.push_back(v->get<std::string>());
    else if (v->is_array() && j->is_object())
      for (const auto& s : *v) {
        if (!s.is_string()) return invalid("\"" + field_ + "\" holds something that is not a string");
        strings.push_back(s.get<std::string>());
      }
    else return invalid("expected a string, or an object whose \"" + field_ + "\" is a string or strings");
    for (std::size_t i = 0; i < strings.size(); ++i) {
      Record r = element;
      r.text = nlohmann::json(strings[i]).dump();
      if (i + 1 < strings.size()) r.next_offset = element.offset, r.next_line = element.line;
      pending_.push_back(std::move(r));
    }
    return std::nullopt;
  }

  std::unique_ptr<RecordSource> elements_;
  std::string field_;
  std::deque<Record> pending_;
  std::optional<Error> error_;
};

/// Rewinds @p source for a second pass (inputs are checked from end to end before anything is sent, then read
/// again). Fails with ErrorKind::invalid_input naming the input when it cannot be rewound — a pipe or standard
/// input — rather than letting the second pass silently see nothing.
inline std::optional<Error> rewind(RecordSource& source) {
  if (source.seek(0, 1)) return std::nullopt;
  return Error::make(ErrorKind::invalid_input,
                     fmt::format("{} cannot be read a second time (it is checked from end to end before anything is "
                                 "sent): save standard input or a pipe to a file first",
                                 source.name()));
}

/// A JSON array reader when the input's first non-blank byte (after a UTF-8 byte order mark, if any) is '[', else a
/// line reader.
inline std::unique_ptr<RecordSource> open_records(std::unique_ptr<ByteReader> in) {
  char c = 0;
  std::string sniffed;  // the bytes read to decide, given back when @p in cannot seek (a pipe)
  for (std::uint64_t at = 0; in->read(&c, 1) == 1; ++at) {
    sniffed += c;
    const bool bom_byte = at < 3 && static_cast<unsigned char>(c) == (at == 0 ? 0xEF : at == 1 ? 0xBB : 0xBF);
    if (c != ' ' && c != '\t' && c != '\r' && c != '\n' && !bom_byte) break;
    c = 0;
  }
  if (!in->seek(0)) in = std::make_unique<ReplayReader>(std::move(sniffed), std::move(in));
  if (c == '[') return std::make_unique<JsonArrayRecords>(std::move(in));
  return std::make_unique<LineRecords>(std::move(in));
}

}  // namespace ckp::io
