#pragma once
/// @file
/// The console's static files: the page (`web/`) at `/`, the WebAssembly engine (`ckp.js`, `ckp.wasm`, and nothing
/// else from its folder) at `/wasm/`.
///
/// A URL path maps to a file only when every segment is a plain name (letters, digits, `-`, `_`, `.`, not starting
/// with a dot): no `..`, no hidden files, no backslashes, no encoded tricks (the path is matched after decoding).
/// The resolved file must then lie inside its root after symlinks are followed. Anything else is "not found".

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace ckp::native::console {

/// Where the static files come from.
struct StaticRoots {
  std::filesystem::path web;   ///< the page: index.html, app.js, …
  std::filesystem::path wasm;  ///< ckp.js and ckp.wasm
};

/// A file to serve.
struct StaticFile {
  std::filesystem::path path;
  std::string content_type;
};

/// The file for decoded URL path @p url_path, or nullopt (not found, or not allowed).
std::optional<StaticFile> resolve_static(const StaticRoots& roots, std::string_view url_path);

/// The Content-Type for a file name, by extension (application/octet-stream when unknown).
std::string content_type_for(const std::filesystem::path& file);

/// True when @p url_path is made of plain segments only (see the file comment).
bool is_plain_path(std::string_view url_path);

}  // namespace ckp::native::console
