#pragma once
/// @file
/// The console's entry point for the page: one Session per connection (API base, credentials, console secret).
/// Interactive calls take a JavaScript callback that receives one JSON text, `{"ok":true,"result":…}` or
/// `{"ok":false,"error":{kind,message,http_status,code,retry_after_s}}`; long operations return a Job.
///
/// Every call goes through the engine — validation, scheduler, rate governor, retry — exactly as the CLI's do.

#include <emscripten/val.h>

#include <memory>
#include <string>

#include "core.hpp"
#include "job.hpp"

namespace ckp::wasm {

class Session {
 public:
  /// @p config_json: `{"base_url": "/client/v4", "token": "", "headers": {"X-…": "…"}, "timeout_s": 90}`.
  explicit Session(const std::string& config_json);

  /// Replaces the API token kept in memory (empty: the console server adds its own credentials).
  void set_token(const std::string& token) { core_->transport.set_token(token); }
  bool has_token() const { return core_->transport.has_token(); }

  /// Every zone the token can see (optionally of one account): `[{id,name,status,account_id,account_name,plan}]`.
  void zones(const std::string& account_id, emscripten::val cb);
  /// Every KV namespace of the account: `[{id,title}]`.
  void namespaces(const std::string& account_id, emscripten::val cb);
  /// One page of keys: `{keys:[{name,expiration,metadata}], cursor}` (cursor "" on the last page).
  void keys(const std::string& account_id, const std::string& namespace_id, const std::string& prefix,
            const std::string& cursor, int limit, emscripten::val cb);
  /// A key's value and metadata: `{value, encoding: "utf-8"|"base64", bytes, expiration, metadata}`.
  void get_key(const std::string& account_id, const std::string& namespace_id, const std::string& key,
               emscripten::val cb);
  /// Writes a key. @p options_json: `{"metadata": "<JSON text>", "expiration_ttl": seconds}` (both optional).
  /// Invalid input (a key over 512 bytes, metadata over 1024 bytes or not JSON) fails before anything is sent.
  void put_key(const std::string& account_id, const std::string& namespace_id, const std::string& key,
               const std::string& value, const std::string& options_json, emscripten::val cb);
  /// Deletes one key.
  void delete_key(const std::string& account_id, const std::string& namespace_id, const std::string& key,
                  emscripten::val cb);

  /// Starts a bulk delete (or its dry-run preview); see Job::bulk_delete for @p spec_json.
  std::shared_ptr<Job> bulk_delete(const std::string& spec_json, emscripten::val callbacks);
  /// Starts a cache purge of @p items (one per line, or a JSON array); see Job::purge for @p spec_json.
  std::shared_ptr<Job> purge(const std::string& spec_json, const std::string& items, emscripten::val callbacks);
  /// Resumes the job @p job_id from its journal in browser storage.
  std::shared_ptr<Job> resume(const std::string& job_id, emscripten::val callbacks);

 private:
  std::shared_ptr<Core> core_;
};

}  // namespace ckp::wasm
