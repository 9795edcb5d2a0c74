#pragma once
// Reading keys and values for kv list and kv get: pages of keys through the selection's filters, values by bulk
// reads (one by one when a bulk read is refused), a key as JSON, one key shown whole.

#include <functional>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ckp/api/kv.hpp"
#include "ckp/ops/key_selection.hpp"
#include "cli/cmd_kv.hpp"

namespace ckp::cli {

/// Pages through the keys of @p t from @p cursor (all pages with @p all; @p page_size keys a page, 0 for the most),
/// calling @p each for keys passing every filter of @p selection — the same predicate a delete applies
/// (ops::KeyFilter). Its all_keys is ignored: listing everything is fine here. Sets @p next_cursor (if given) to where
/// the listing stopped ("" at the end).
void for_each_key(Context& ctx, const KvTarget& t, ops::KeySelection selection, const std::string& cursor,
                  int page_size, bool all, const std::function<void(const api::kv::Key&)>& each,
                  std::string* next_cursor);

/// Values of @p keys (those found), 100 per bulk get; a chunk the bulk read refuses (binary values) is read one by one.
std::map<std::string, std::string> read_values(Context& ctx, const KvTarget& t, const std::vector<std::string>& keys);

/// {"name", "expiration"?, "metadata"?, "value"? ("base64": true when it is not UTF-8)}.
nlohmann::json key_json(const api::kv::Key& k, const std::string* value);

/// Shows one key's value (with its metadata and expiration when @p with_metadata), or writes it to @p file.
void show_single_key(Context& ctx, const KvTarget& t, const std::string& key, bool with_metadata,
                     const std::string& file);

}  // namespace ckp::cli
