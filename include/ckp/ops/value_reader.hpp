#pragma once
/// @file
/// Reading the values of many keys, and writing a value into JSON — shared by `kv export`, `kv get --bulk`,
/// `kv list --values` and the console.
///
/// Values are read with bulk get, up to 100 keys a call (text values only). A chunk refused as a whole — a value
/// that is not text makes Cloudflare refuse the chunk — is read again key by key, binary-safe. Each key ends in one
/// of three ways: its bytes; `vanished` (deleted since it was listed: bulk get says not found, or a single read
/// says "key not found"); or failed, with the API's error. An error that is not about one key — authentication, a
/// missing namespace, the API unreachable after every retry — ends the whole read.

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "ckp/api/base64.hpp"
#include "ckp/api/kv.hpp"
#include "ckp/api/validate.hpp"
#include "ckp/engine/error_policy.hpp"
#include "ckp/engine/scheduler.hpp"

namespace ckp::ops {

/// How reading one key's value ended.
struct ValueRead {
  /// What became of the key.
  enum class Outcome {
    value,     ///< read: `bytes` holds it
    vanished,  ///< not there any more (deleted since it was listed)
    failed,    ///< the API refused this key: `error` says why
  };
  Outcome outcome = Outcome::value;  ///< see Outcome
  std::string bytes;                 ///< the value, for Outcome::value
  std::optional<Error> error;        ///< why, for Outcome::failed
};

/// Adds @p bytes to @p j as `"value"`: the text itself when it is UTF-8, else base64 with `"base64": true` — the
/// shape `kv export` writes and `kv import` reads.
inline void put_value(nlohmann::json& j, std::string bytes) {
  if (api::detail::is_valid_utf8(bytes)) {
    j["value"] = std::move(bytes);
  } else {
    j["value"] = api::base64_encode(bytes);
    j["base64"] = true;
  }
}

/// Reads the values of @p names in namespace @p namespace_id of @p account_id through @p scheduler (see the file's
/// comment). @p each is called once per key, with its index in @p names, as answers arrive (in any order); then
/// @p done is called once: with nullopt when every key was answered, or with the error that ended the read (no
/// further @p each then). The callbacks run on the scheduler's loop.
///
/// Example:
/// ```
/// ckp::ops::read_values(scheduler, account, ns, names,
///     [&](std::size_t i, ckp::ops::ValueRead r) { if (r.outcome == ckp::ops::ValueRead::Outcome::value) use(names[i], r.bytes); },
///     [&](std::optional<ckp::Error> e) { finished = true; if (e) report(*e); });
/// ```
inline void read_values(engine::Scheduler& scheduler, std::string account_id, std::string namespace_id,
                        std::vector<std::string> names, std::function<void(std::size_t, ValueRead)> each,
                        std::function<void(std::optional<Error>)> done) {
  struct Read {
    engine::Scheduler& scheduler;
    std::string account, ns;
    std::vector<std::string> names;
    std::function<void(std::size_t, ValueRead)> each;
    std::function<void(std::optional<Error>)> done;
    std::size_t pending = 0;
    bool over = false;

    void answer(std::size_t i, ValueRead r) {
      if (over) return;
      each(i, std::move(r));
      if (--pending == 0) finish(std::nullopt);
    }
    void finish(std::optional<Error> e) {
      if (over) return;
      over = true;
      done(std::move(e));
    }
    void read_one(const std::shared_ptr<Read>& self, std::size_t i) {
      scheduler.submit(api::kv::read_value(account, ns, names[i]), engine::Cost::api_call(), api::kv::parse_value,
                       [self, i](Result<api::kv::Value> v) {
                         if (v) return self->answer(i, {ValueRead::Outcome::value, std::move(v->bytes), {}});
                         const Error& e = v.error();
                         if (e.kind == ErrorKind::not_found && e.code() == 10009)
                           return self->answer(i, {ValueRead::Outcome::vanished, {}, {}});
                         // A 404 about the namespace, or an error no retry fixed, is not about this key.
                         if (e.kind == ErrorKind::not_found ? e.code() == 10013 : engine::is_fatal(e))
                           return self->finish(e);
                         self->answer(i, {ValueRead::Outcome::failed, {}, e});
                       });
    }
    void read_chunk(const std::shared_ptr<Read>& self, std::size_t begin, std::size_t end) {
      std::vector<std::string> chunk(names.begin() + static_cast<std::ptrdiff_t>(begin),
                                     names.begin() + static_cast<std::ptrdiff_t>(end));
      scheduler.submit(
          api::kv::bulk_get(account, ns, chunk, false), engine::Cost::api_call(),
          [chunk](const api::Response& r) { return api::kv::parse_bulk_get(r, chunk, false); },
          [self, begin, end](Result<std::vector<api::kv::BulkGetItem>> items) {
            if (!items) {
              if (engine::is_fatal(items.error())) return self->finish(items.error());
              for (std::size_t i = begin; i < end; ++i) self->read_one(self, i);  // graduated fallback
              return;
            }
            for (std::size_t i = begin; i < end; ++i) {
              auto& item = (*items)[i - begin];
              if (!item.found) {
                self->answer(i, {ValueRead::Outcome::vanished, {}, {}});
              } else {
                std::string bytes = item.value.is_string() ? item.value.get<std::string>() : item.value.dump();
                self->answer(i, {ValueRead::Outcome::value, std::move(bytes), {}});
              }
            }
          });
    }
  };
  auto read = std::make_shared<Read>(Read{scheduler, std::move(account_id), std::move(namespace_id), std::move(names),
                                          std::move(each), std::move(done)});
  read->pending = read->names.size();
  if (read->names.empty()) return read->finish(std::nullopt);
  for (std::size_t start = 0; start < read->names.size(); start += api::kv_limits::max_bulk_get_keys)
    read->read_chunk(read, start, std::min(read->names.size(), start + api::kv_limits::max_bulk_get_keys));
}

}  // namespace ckp::ops
