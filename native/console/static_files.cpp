#include "console/static_files.hpp"

#include <algorithm>
#include <system_error>

namespace ckp::native::console {

namespace fs = std::filesystem;

bool is_plain_path(std::string_view url_path) {
  if (url_path.empty() || url_path.front() != '/') return false;
  std::string_view rest = url_path.substr(1);
  if (rest.empty()) return true;
  while (true) {
    auto slash = rest.find('/');
    std::string_view segment = rest.substr(0, slash);
    if (segment.empty() || segment.front() == '.') return false;
    for (char c : segment) {
      const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                         c == '_' || c == '.';
      if (!plain) return false;
    }
    if (slash == std::string_view::npos) return true;
    rest = rest.substr(slash + 1);
  }
}

std::string content_type_for(const fs::path& file) {
  const std::string ext = file.extension().string();
  if (ext == ".html") return "text/html; charset=utf-8";
  if (ext == ".js" || ext == ".mjs") return "text/javascript; charset=utf-8";
  if (ext == ".css") return "text/css; charset=utf-8";
  if (ext == ".wasm") return "application/wasm";
  if (ext == ".json") return "application/json";
  if (ext == ".svg") return "image/svg+xml";
  if (ext == ".png") return "image/png";
  if (ext == ".ico") return "image/x-icon";
  if (ext == ".txt" || ext == ".md") return "text/plain; charset=utf-8";
  return "application/octet-stream";
}

std::optional<StaticFile> resolve_static(const StaticRoots& roots, std::string_view url_path) {
  if (!is_plain_path(url_path)) return std::nullopt;
  std::string_view rel = url_path.substr(1);
  fs::path root = roots.web;
  if (rel.empty()) rel = "index.html";
  if (rel.starts_with("wasm/")) {
    // The engine's folder is a build directory: only its two artifacts are served, never objects or makefiles.
    root = roots.wasm;
    rel.remove_prefix(5);
    if (rel != "ckp.js" && rel != "ckp.wasm") return std::nullopt;
  }
  if (rel.empty() || root.empty()) return std::nullopt;
  std::error_code ec;
  const fs::path canonical_root = fs::canonical(root, ec);
  if (ec) return std::nullopt;
  const fs::path file = fs::canonical(canonical_root / fs::path(std::string(rel)), ec);
  if (ec || !fs::is_regular_file(file, ec)) return std::nullopt;
  // Inside the root even after symlinks: compare path components, not string prefixes.
  auto [root_end, _] = std::mismatch(canonical_root.begin(), canonical_root.end(), file.begin(), file.end());
  if (root_end != canonical_root.end()) return std::nullopt;
  return StaticFile{file, content_type_for(file)};
}

}  // namespace ckp::native::console
