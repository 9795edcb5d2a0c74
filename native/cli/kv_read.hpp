#pragma once
// Reading keys and values for kv list and kv get: pages of keys through the selection's filters, values by bulk
// reads (one by one when a bulk read is refused), a key as JSON, one key shown whole.

#include <cstdint>
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
/// (ops::KeyFilter). Without @p all, a filtered listing goes on past its first page until @p page_size keys matched
/// (whole pages: it may give more) or the keys end, so that a filter never shows "0 keys, more follow" while more
/// match. Its all_keys is ignored: listing everything is fine here. Sets @p next_cursor (if given) to where the
/// listing stopped ("" at the end). Returns how many keys were listed (matching or not).
std::uint64_t for_each_key(Context& ctx, const KvTarget& t, ops::KeySelection selection, const std::string& cursor,
                           int page_size, bool all, const std::function<void(const api::kv::Key&)>& each,
                           std::string* next_cursor);

/// Values of @p keys (those found), 100 per bulk get; a chunk the bulk read refuses (binary values) is read one by one.
std::map<std::string, std::string> read_values(Context& ctx, const KvTarget& t, const std::vector<std::string>& keys);

/// A value as one cell of a table (`kv get --bulk`, `kv list --values`), always one line of text:
/// - text (valid UTF-8 with no control character but tab, newline and carriage return) as itself, with tab, newline
///   and carriage return written `\t`, `\n`, `\r`; beyond @p max_chars characters cut to "(N bytes) start...";
/// - anything else (binary) as `<N bytes, base64: …>`, the base64 cut to 60 characters (45 bytes: enough to tell a
///   PNG from a gzip stream) or @p max_chars if fewer, with "...".
/// `--json` gives every value exactly (key_json()).
std::string table_value(const std::string& bytes, std::size_t max_chars = 200);

/// {"name", "expiration"?, "metadata"?, "value"? ("base64": true when it is not UTF-8)}.
nlohmann::json key_json(const api::kv::Key& k, const std::string* value);

/// Shows one key's value (with its metadata and expiration when @p with_metadata), or writes it to @p file.
void show_single_key(Context& ctx, const KvTarget& t, const std::string& key, bool with_metadata,
                     const std::string& file);

}  // namespace ckp::cli
