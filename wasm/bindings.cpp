// The embind surface of the console's engine: Session (interactive calls, jobs), Job, and a few free functions.
// Everything crosses as JSON text, which keeps this surface small and the page's code plain.
#include <emscripten/bind.h>

#include "browser_journal.hpp"
#include "ckp/api/json_parse.hpp"
#include "ckp/api/validate.hpp"
#include "ckp/version.hpp"
#include "js_values.hpp"
#include "session.hpp"

namespace ckp::wasm {
namespace {

/// Checks one input the way the engine will before sending it; "" when fine, else an error JSON text.
/// @p kind: key, metadata, url, tag, host, prefix.
std::string validate(const std::string& kind, const std::string& text) {
  std::optional<Error> e;
  if (kind == "key") e = api::validate_key(text);
  else if (kind == "url") e = api::validate_purge_url(text);
  else if (kind == "tag") e = api::validate_cache_tag(text);
  else if (kind == "host") e = api::validate_purge_host(text);
  else if (kind == "prefix") e = api::validate_purge_prefix(text);
  else if (kind == "metadata") {
    if (text.empty()) return "";
    auto j = api::parse_json(text);
    if (!j)
      e = Error::make(ErrorKind::invalid_input,
                      "metadata is " + j.error().message + "; write it as a JSON object, e.g. {\"type\": \"page\"}");
    else e = api::validate_metadata(*j);
  } else {
    e = Error::make(ErrorKind::invalid_input, "unknown input kind '" + kind + "'");
  }
  return e ? error_json(*e).dump() : std::string();
}

std::string jobs() { return list_jobs().dump(); }
std::string engine_version() { return ckp::version; }

}  // namespace
}  // namespace ckp::wasm

EMSCRIPTEN_BINDINGS(ckp_console) {
  using namespace emscripten;
  using ckp::wasm::Job;
  using ckp::wasm::Session;

  class_<Job>("Job")
      .smart_ptr<std::shared_ptr<Job>>("JobPtr")
      .function("id", &Job::id)
      .function("cancel", &Job::cancel)
      .function("finished", &Job::finished)
      .function("progress", &Job::progress)
      .function("report", &Job::report);

  class_<Session>("Session")
      .constructor<const std::string&>()
      .function("setToken", &Session::set_token)
      .function("hasToken", &Session::has_token)
      .function("zones", &Session::zones)
      .function("namespaces", &Session::namespaces)
      .function("keys", &Session::keys)
      .function("getKey", &Session::get_key)
      .function("putKey", &Session::put_key)
      .function("deleteKey", &Session::delete_key)
      .function("bulkDelete", &Session::bulk_delete)
      .function("purge", &Session::purge)
      .function("resume", &Session::resume);

  function("validate", &ckp::wasm::validate);
  function("listJobs", &ckp::wasm::jobs);
  function("forgetJob", &ckp::wasm::forget_job);
  function("version", &ckp::wasm::engine_version);
}
