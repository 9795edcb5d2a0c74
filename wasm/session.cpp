// Session: the page's interactive calls, each one through the engine's scheduler.
#include "session.hpp"

#include <algorithm>
#include <functional>

#include "ckp/api/base64.hpp"
#include "ckp/api/json_parse.hpp"
#include "ckp/api/kv.hpp"
#include "ckp/api/validate.hpp"
#include "ckp/api/zones.hpp"
#include "ckp/ops/all_pages.hpp"
#include "ckp/ops/value_reader.hpp"
#include "ckp/ops/zone_directory.hpp"
#include "js_values.hpp"

namespace ckp::wasm {

namespace {

transport::FetchConfig parse_config(const std::string& text) {
  transport::FetchConfig c;
  auto j = api::parse_json_or_discarded(text);
  if (!j.is_object()) return c;
  c.base_url = j.value("base_url", c.base_url);
  c.token = j.value("token", "");
  if (auto h = j.find("headers"); h != j.end() && h->is_object())
    for (auto& [k, v] : h->items())
      if (v.is_string()) c.extra_headers.emplace_back(k, v.get<std::string>());
  if (auto t = j.find("timeout_s"); t != j.end() && t->is_number() && t->get<double>() > 0)
    c.timeout = from_seconds(std::min(t->get<double>(), 3600.0));  // an hour is plenty, and keeps the cast defined
  return c;
}

/// A rate limit whose wait is longer than this fails an interactive call at once (with the wait), instead of
/// leaving the page silent for minutes.
constexpr Duration interactive_patience = std::chrono::seconds(10);
const engine::SubmitOptions interactive_options{.max_wait = interactive_patience, .before_send = {}};

json key_json(const api::kv::Key& k) {
  return {{"name", k.name},
          {"expiration", k.expiration ? json(*k.expiration) : json(nullptr)},
          {"metadata", k.metadata}};
}

using CorePtr = std::shared_ptr<Core>;

/// Answers the page on a later turn of the event loop (never inside the call that asked).
void answer(const CorePtr& core, emscripten::val cb, std::string text) {
  core->transport.after(Duration{0}, [cb = std::move(cb), text = std::move(text)] { call_js(cb, text); });
}

/// Sends one interactive call; @p done gets the final result and, for a rate limit, how long to wait. A call the
/// rate limits would hold back longer than interactive_patience ends at once with that wait (SubmitOptions), rather
/// than leaving the page silent for minutes. Callbacks hold the Core, so a page that drops its Session mid-call does
/// not pull the transport from under them.
template <class Parse, class Done>
void submit(const CorePtr& core, api::Request request, Parse parse, Done done) {
  using R = std::invoke_result_t<Parse&, const api::Response&>;
  core->interactive.submit(
      std::move(request), engine::Cost::api_call(), std::move(parse),
      [done, core](R result) mutable {
        const bool limited = !result.ok() && result.error().kind == ErrorKind::rate_limited;
        const auto wait = limited ? result.error().retry_after : std::nullopt;
        done(std::move(result), wait);
      },
      interactive_options);
}

/// submit() whose result goes to the page as JSON (@p render turns a success into JSON).
template <class Parse, class Render>
void call(const CorePtr& core, api::Request request, Parse parse, Render render, emscripten::val cb) {
  submit(core, std::move(request), std::move(parse), [cb, render](auto result, std::optional<Duration> wait) {
    if (result.ok()) return call_js(cb, ok_text(render(*result)));
    call_js(cb, error_text(result.error(), wait));
  });
}

/// The end of a paged listing (ops::all_pages): every item, rendered, in one answer for the page — or the error.
template <class Item, class Render>
std::function<void(Result<std::vector<Item>>)> answer_all(const CorePtr& core, Render render, emscripten::val cb) {
  return [core, render, cb](Result<std::vector<Item>> all) {
    if (!all) {
      const auto wait = all.error().kind == ErrorKind::rate_limited ? all.error().retry_after : std::nullopt;
      return call_js(cb, error_text(all.error(), wait));
    }
    json items = json::array();
    for (const auto& item : *all) items.push_back(render(item));
    call_js(cb, ok_text(items));
  };
}

}  // namespace

Session::Session(const std::string& config_json) : core_(std::make_shared<Core>(parse_config(config_json))) {
  auto j = api::parse_json_or_discarded(config_json);
  if (j.is_object()) core_->api_base = j.value("api_base", "");
}

void Session::zones(const std::string& account_id, emscripten::val cb) {
  ops::all_zones(core_->interactive, account_id,
                 answer_all<api::zones::Zone>(
                     core_,
                     [](const api::zones::Zone& z) {
                       return json{{"id", z.id},
                                   {"name", z.name},
                                   {"status", z.status},
                                   {"account_id", z.account_id},
                                   {"account_name", z.account_name},
                                   {"plan", z.plan}};
                     },
                     cb),
                 interactive_options);
}

void Session::namespaces(const std::string& account_id, emscripten::val cb) {
  constexpr int per_page = 100;
  ops::all_pages<api::kv::Namespace>(
      core_->interactive, [account_id](int page) { return api::kv::list_namespaces(account_id, page, per_page); },
      api::kv::parse_namespaces, per_page,
      answer_all<api::kv::Namespace>(
          core_,
          [](const api::kv::Namespace& ns) {
            return json{{"id", ns.id}, {"title", ns.title}};
          },
          cb),
      interactive_options);
}

void Session::keys(const std::string& account_id, const std::string& namespace_id, const std::string& prefix,
                   const std::string& cursor, int limit, emscripten::val cb) {
  call(
      core_, api::kv::list_keys(account_id, namespace_id, {prefix, cursor, limit}), api::kv::parse_keys,
      [](const api::kv::KeyPage& page) {
        json keys = json::array();
        for (const auto& k : page.keys) keys.push_back(key_json(k));
        return json{{"keys", keys}, {"cursor", page.cursor}};
      },
      std::move(cb));
}

void Session::get_key(const std::string& account_id, const std::string& namespace_id, const std::string& key,
                      emscripten::val cb) {
  if (auto e = api::validate_key(key)) return answer(core_, std::move(cb), error_text(*e));
  // Value and metadata are two calls; the answer goes out when both are back.
  struct Both {
    std::optional<Result<api::kv::Value>> value;
    std::optional<Result<json>> metadata;
    std::optional<Duration> wait;
  };
  auto both = std::make_shared<Both>();
  auto maybe_answer = [both, cb]() {
    if (!both->value || !both->metadata) return;
    if (!*both->value) return call_js(cb, error_text(both->value->error(), both->wait));
    const auto& v = **both->value;
    json out{{"bytes", v.bytes.size()}, {"expiration", v.expiration ? json(*v.expiration) : json(nullptr)}};
    json value;
    ops::put_value(value, v.bytes);
    out["value"] = value["value"];
    out["encoding"] = value.contains("base64") ? "base64" : "utf-8";
    // A key without metadata answers null; an error reading metadata alone does not hide the value.
    out["metadata"] = *both->metadata ? **both->metadata : json(nullptr);
    call_js(cb, ok_text(out));
  };
  submit(core_, api::kv::read_value(account_id, namespace_id, key), api::kv::parse_value,
         [both, maybe_answer](Result<api::kv::Value> r, std::optional<Duration> wait) {
           both->value = std::move(r);
           both->wait = wait;
           maybe_answer();
         });
  submit(core_, api::kv::read_metadata(account_id, namespace_id, key), api::kv::parse_metadata,
         [both, maybe_answer](Result<json> r, std::optional<Duration>) {
           both->metadata = std::move(r);
           maybe_answer();
         });
}

void Session::put_key(const std::string& account_id, const std::string& namespace_id, const std::string& key,
                      const std::string& value, const std::string& options_json, emscripten::val cb) {
  auto refuse = [&](const Error& e) { answer(core_, std::move(cb), error_text(e)); };
  api::kv::WriteOptions opts;
  auto options = api::parse_json_or_discarded(options_json.empty() ? "{}" : options_json);
  if (!options.is_object()) return refuse(Error::make(ErrorKind::invalid_input, "options are not a JSON object"));
  if (auto m = options.find("metadata"); m != options.end() && !m->is_null()) {
    // The page sends the metadata as typed (text), or as JSON.
    if (!m->is_string()) opts.metadata = *m;
    else if (!m->get<std::string>().empty()) {
      auto parsed = api::parse_metadata(m->get<std::string>(), key);
      if (!parsed) return refuse(parsed.error());
      opts.metadata = std::move(*parsed);
    }
  }
  if (auto t = options.find("expiration_ttl"); t != options.end() && !t->is_null()) {
    if (!t->is_number_integer())
      return refuse(Error::make(ErrorKind::invalid_input, "expiration TTL must be a whole number of seconds"));
    opts.expiration_ttl = t->get<std::int64_t>();
  }
  if (auto e = api::validate_write(key, value.size(), opts.metadata, opts.expiration_ttl, opts.expiration,
                                   static_cast<std::int64_t>(to_unix_seconds(core_->transport.now()))))
    return refuse(*e);
  call(
      core_, api::kv::write_value(account_id, namespace_id, key, value, opts), api::read_ok,
      [key](const Unit&) {
        return json{{"key", key}};
      },
      std::move(cb));
}

void Session::delete_key(const std::string& account_id, const std::string& namespace_id, const std::string& key,
                         emscripten::val cb) {
  if (auto e = api::validate_key(key)) return answer(core_, std::move(cb), error_text(*e));
  call(
      core_, api::kv::delete_value(account_id, namespace_id, key), api::read_ok,
      [key](const Unit&) {
        return json{{"key", key}};
      },
      std::move(cb));
}

std::shared_ptr<Job> Session::bulk_delete(const std::string& spec_json, emscripten::val callbacks) {
  return Job::bulk_delete(core_, spec_json, std::move(callbacks));
}

std::shared_ptr<Job> Session::purge(const std::string& spec_json, const std::string& items, emscripten::val callbacks) {
  return Job::purge(core_, spec_json, items, std::move(callbacks));
}

std::shared_ptr<Job> Session::resume(const std::string& job_id, emscripten::val callbacks) {
  return Job::resume(core_, job_id, std::move(callbacks));
}

}  // namespace ckp::wasm
