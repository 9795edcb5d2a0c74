#pragma once
/// @file
/// What crosses from the engine to the page: JSON texts of results and errors, and safe calls into JavaScript
/// callbacks. The page renders errors in words from these fields; messages already say what to do where the engine
/// knows (a bad token, a rate limit and its wait, a key over 512 bytes).

#include <emscripten/val.h>

#include <chrono>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "ckp/api/error.hpp"

namespace ckp::wasm {

using json = nlohmann::json;

/// `{"kind","message","http_status","code","retry_after_s"}` for @p e. @p wait, when set, is how long the client
/// still holds back after a 429 (it wins over the error's own Retry-After, which is older).
inline json error_json(const Error& e, std::optional<Duration> wait = std::nullopt) {
  json j{{"kind", to_string(e.kind)}, {"message", e.message}, {"http_status", e.http_status}, {"code", e.code()}};
  std::optional<Duration> after = wait ? wait : e.retry_after;
  j["retry_after_s"] = after ? json(std::chrono::duration<double>(*after).count()) : json(nullptr);
  return j;
}

/// `{"ok":true,"result":…}`.
inline std::string ok_text(json result) { return json{{"ok", true}, {"result", std::move(result)}}.dump(); }

/// `{"ok":false,"error":{…}}`.
inline std::string error_text(const Error& e, std::optional<Duration> wait = std::nullopt) {
  return json{{"ok", false}, {"error", error_json(e, wait)}}.dump();
}

/// Calls @p fn(@p text) when @p fn is a function (anything else is ignored). The callback must not throw: a
/// JavaScript exception cannot be caught here and would unwind the engine mid-step (web/engine.js guards its own).
inline void call_js(const emscripten::val& fn, const std::string& text) {
  if (fn.typeOf().as<std::string>() == "function") fn(text);
}

/// Calls the method @p name of @p object with @p text, when the object has such a function.
inline void call_js_method(const emscripten::val& object, const char* name, const std::string& text) {
  if (object.isUndefined() || object.isNull()) return;
  call_js(object[name], text);
}

}  // namespace ckp::wasm
