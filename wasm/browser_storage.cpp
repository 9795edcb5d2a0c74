// localStorage from C++: small EM_JS shims that never let a JavaScript exception cross into the engine.
#include "browser_storage.hpp"

#include <emscripten/em_js.h>
#include <emscripten/emscripten.h>

#include <cstdlib>
#include <memory>

#include <nlohmann/json.hpp>

#include "ckp/api/json_parse.hpp"

namespace {

// Returns a malloc'd UTF-8 copy of the value, or 0 when absent (or storage is unavailable).
EM_JS(char*, ckp_storage_get, (const char* key), {
  try {
    if (typeof localStorage === "undefined") return 0;
    var v = localStorage.getItem(UTF8ToString(key));
    if (v === null) return 0;
    var n = lengthBytesUTF8(v) + 1;
    var p = _malloc(n);
    stringToUTF8(v, p, n);
    return p;
  } catch (e) {
    return 0;
  }
});

EM_JS(int, ckp_storage_set, (const char* key, const char* value), {
  try {
    if (typeof localStorage === "undefined") return 0;
    localStorage.setItem(UTF8ToString(key), UTF8ToString(value));
    return 1;
  } catch (e) {
    return 0;
  }
});

EM_JS(void, ckp_storage_remove, (const char* key), {
  try {
    if (typeof localStorage !== "undefined") localStorage.removeItem(UTF8ToString(key));
  } catch (e) {
  }
});

// Returns a malloc'd JSON array of the keys starting with prefix.
EM_JS(char*, ckp_storage_keys, (const char* prefix), {
  var out = [];
  try {
    if (typeof localStorage !== "undefined") {
      var p = UTF8ToString(prefix);
      for (var i = 0; i < localStorage.length; ++i) {
        var k = localStorage.key(i);
        if (k !== null && k.startsWith(p)) out.push(k);
      }
    }
  } catch (e) {
  }
  var s = JSON.stringify(out);
  var n = lengthBytesUTF8(s) + 1;
  var ptr = _malloc(n);
  stringToUTF8(s, ptr, n);
  return ptr;
});

struct FreeDeleter {
  void operator()(char* p) const { std::free(p); }
};

}  // namespace

namespace ckp::wasm {

std::optional<std::string> storage_get(const std::string& key) {
  std::unique_ptr<char, FreeDeleter> v(ckp_storage_get(key.c_str()));
  if (!v) return std::nullopt;
  return std::string(v.get());
}

bool storage_set(const std::string& key, const std::string& value) {
  return ckp_storage_set(key.c_str(), value.c_str()) != 0;
}

void storage_remove(const std::string& key) { ckp_storage_remove(key.c_str()); }

std::vector<std::string> storage_keys(const std::string& prefix) {
  std::unique_ptr<char, FreeDeleter> v(ckp_storage_keys(prefix.c_str()));
  std::vector<std::string> out;
  auto j = ckp::api::parse_json_or_discarded(v.get());
  if (j.is_array())
    for (const auto& k : j)
      if (k.is_string()) out.push_back(k.get<std::string>());
  return out;
}

}  // namespace ckp::wasm
