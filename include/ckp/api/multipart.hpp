#pragma once
/// @file
/// multipart/form-data bodies: building one (a KV write with metadata sends parts `value` and `metadata`) and reading
/// one (the emulator accepts what any client sends).

#include <cctype>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ckp::api {

/// One part of a multipart body.
struct FormPart {
  std::string name;          ///< the form field's name
  std::string content;       ///< its bytes
  std::string filename;      ///< empty when the part is not a file
  std::string content_type;  ///< empty when not given
};

/// A boundary that does not occur in any of @p parts (tries a fixed base with a counter; deterministic).
inline std::string choose_boundary(const std::vector<FormPart>& parts) {
  for (unsigned n = 0;; ++n) {
    std::string b = "ckp-boundary-" + std::to_string(n) + "-7f3a91c2";
    bool clash = false;
    for (const auto& p : parts) clash = clash || p.content.find(b) != std::string::npos;
    if (!clash) return b;
  }
}

/// Encodes @p parts as multipart/form-data with @p boundary (see choose_boundary).
inline std::string encode_multipart(const std::vector<FormPart>& parts, std::string_view boundary) {
  std::string body;
  for (const auto& p : parts) {
    body += "--";
    body += boundary;
    body += "\r\nContent-Disposition: form-data; name=\"" + p.name + "\"";
    if (!p.filename.empty()) body += "; filename=\"" + p.filename + "\"";
    body += "\r\n";
    if (!p.content_type.empty()) body += "Content-Type: " + p.content_type + "\r\n";
    body += "\r\n";
    body += p.content;
    body += "\r\n";
  }
  body += "--";
  body += boundary;
  body += "--\r\n";
  return body;
}

/// The `boundary` parameter of a multipart Content-Type header, if present.
inline std::optional<std::string> multipart_boundary(std::string_view content_type) {
  auto pos = content_type.find("boundary=");
  if (pos == std::string_view::npos) return std::nullopt;
  std::string_view b = content_type.substr(pos + 9);
  if (!b.empty() && b.front() == '"') {
    b.remove_prefix(1);
    auto end = b.find('"');
    if (end == std::string_view::npos) return std::nullopt;
    b = b.substr(0, end);
  } else {
    b = b.substr(0, b.find(';'));
    while (!b.empty() && (b.back() == ' ' || b.back() == '\t')) b.remove_suffix(1);
  }
  if (b.empty() || b.size() > 200) return std::nullopt;
  return std::string(b);
}

/// Parses a multipart/form-data body. Returns nullopt when the body is not well-formed for @p boundary.
inline std::optional<std::vector<FormPart>> decode_multipart(std::string_view body, std::string_view boundary) {
  std::vector<FormPart> parts;
  const std::string delim = "--" + std::string(boundary);
  std::size_t pos = body.find(delim);
  if (pos == std::string_view::npos) return std::nullopt;
  pos += delim.size();
  while (true) {
    if (body.substr(pos, 2) == "--") return parts;  // closing delimiter
    if (body.substr(pos, 2) != "\r\n") return std::nullopt;
    pos += 2;
    std::size_t header_end = body.find("\r\n\r\n", pos);
    if (header_end == std::string_view::npos) return std::nullopt;
    FormPart part;
    std::string_view headers = body.substr(pos, header_end - pos);
    while (!headers.empty()) {
      auto eol = headers.find("\r\n");
      std::string_view line = headers.substr(0, eol);
      headers = eol == std::string_view::npos ? std::string_view{} : headers.substr(eol + 2);
      auto colon = line.find(':');
      if (colon == std::string_view::npos) continue;
      std::string name(line.substr(0, colon));
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      std::string_view value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
      auto param = [&](std::string_view key) -> std::string {
        std::string needle = std::string(key) + "=\"";
        auto at = value.find(needle);
        // Avoid matching `filename="` when asking for `name="`.
        while (at != std::string_view::npos && at > 0 && value[at - 1] != ' ' && value[at - 1] != ';')
          at = value.find(needle, at + 1);
        if (at == std::string_view::npos) return {};
        auto start = at + needle.size();
        auto end = value.find('"', start);
        return end == std::string_view::npos ? std::string{} : std::string(value.substr(start, end - start));
      };
      if (name == "content-disposition") {
        part.name = param("name");
        part.filename = param("filename");
      } else if (name == "content-type") {
        part.content_type = std::string(value);
      }
    }
    pos = header_end + 4;
    std::size_t next = body.find("\r\n" + delim, pos);
    if (next == std::string_view::npos) return std::nullopt;
    part.content = std::string(body.substr(pos, next - pos));
    parts.push_back(std::move(part));
    pos = next + 2 + delim.size();
  }
}

}  // namespace ckp::api
