#include "cli/kv_read.hpp"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <optional>

#include "ckp/api/base64.hpp"
#include "ckp/api/validate.hpp"
#include "ckp/ops/value_reader.hpp"
#include "cli/job_runner.hpp"

namespace ckp::cli {

std::uint64_t for_each_key(Context& ctx, const KvTarget& t, ops::KeySelection selection,
                           const std::string& start_cursor, int page_size, bool all,
                           const std::function<void(const api::kv::Key&)>& each, std::string* next_cursor) {
  auto& rt = ctx.runtime();
  selection.all_keys = false;
  if (auto e = selection.validate(false); e && !selection.filtered()) e.reset();  // listing everything is fine here
  else if (e) fail(e->to_error(flag_namer()));
  auto filter = ops::KeyFilter::make(selection);
  if (!filter) fail_usage("--pattern " + filter.error().message);
  std::string cursor = start_cursor;
  const int limit = page_size > 0 ? page_size : api::kv_limits::max_list_limit;
  std::uint64_t listed = 0, matched = 0;
  do {
    auto page = rt.call(api::kv::list_keys(t.account, t.ns, {selection.prefix, cursor, limit}), api::kv::parse_keys);
    listed += page.keys.size();
    for (const auto& k : page.keys)
      if (filter->matches(k)) {
        ++matched;
        each(k);
      }
    cursor = page.cursor;
  } while (!cursor.empty() && (all || matched < static_cast<std::uint64_t>(limit)));
  if (next_cursor) *next_cursor = cursor;
  return listed;
}

std::map<std::string, std::string> read_values(Context& ctx, const KvTarget& t, const std::vector<std::string>& keys) {
  auto& rt = ctx.runtime();
  std::map<std::string, std::string> out;
  rt.await<bool>([&](auto done) {
    ops::read_values(
        rt.scheduler(), t.account, t.ns, keys,
        [&](std::size_t i, ops::ValueRead r) {
          if (r.outcome == ops::ValueRead::Outcome::value) out[keys[i]] = std::move(r.bytes);
        },
        [done](std::optional<Error> e) { e ? done(std::move(*e)) : done(true); });
  });
  return out;
}

std::string table_value(const std::string& bytes, std::size_t max_chars) {
  bool text = api::detail::is_valid_utf8(bytes);
  for (std::size_t i = 0; text && i < bytes.size(); ++i) {
    const auto c = static_cast<unsigned char>(bytes[i]);
    const bool c1 = c == 0xC2 && i + 1 < bytes.size() && static_cast<unsigned char>(bytes[i + 1]) < 0xA0;  // U+0080-9F
    if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7F || c1) text = false;
  }
  if (!text) {
    std::string b64 = api::base64_encode(bytes);
    if (const std::size_t cut = std::min<std::size_t>(max_chars, 60); b64.size() > cut)
      b64 = b64.substr(0, cut) + "...";
    return fmt::format("<{} bytes, base64: {}>", bytes.size(), b64);
  }
  std::string out;
  std::size_t chars = 0, i = 0;
  for (; i < bytes.size() && chars < max_chars; ++i) {
    const char c = bytes[i];
    if (c == '\n') out += "\\n";
    else if (c == '\r') out += "\\r";
    else if (c == '\t') out += "\\t";
    else out += c;
    // A character is counted at its first byte; its continuation bytes follow it into `out` before the next check.
    if (i + 1 >= bytes.size() || (static_cast<unsigned char>(bytes[i + 1]) & 0xC0) != 0x80) ++chars;
  }
  return i < bytes.size() ? fmt::format("({} bytes) {}...", bytes.size(), out) : out;
}

nlohmann::json key_json(const api::kv::Key& k, const std::string* value) {
  nlohmann::json j{{"name", k.name}};
  if (k.expiration) j["expiration"] = *k.expiration;
  if (!k.metadata.is_null()) j["metadata"] = k.metadata;
  if (value) ops::put_value(j, *value);
  return j;
}

void show_single_key(Context& ctx, const KvTarget& t, const std::string& key, bool with_metadata,
                     const std::string& file) {
  auto& rt = ctx.runtime();
  if (auto e = api::validate_key(key)) fail(*e);
  auto value = rt.call(api::kv::read_value(t.account, t.ns, key), api::kv::parse_value);
  nlohmann::json metadata;
  if (with_metadata) metadata = rt.call(api::kv::read_metadata(t.account, t.ns, key), api::kv::parse_metadata);
  if (!file.empty() && file != "-") {  // "-": standard output, as without --file
    std::ofstream out(file, std::ios::binary);
    out << value.bytes;
    if (!out) fail(Error::make(ErrorKind::io, "cannot write " + file));
    rt.note("Wrote {} bytes to {}\n", value.bytes.size(), file);
    return;
  }
  if (rt.json()) {
    api::kv::Key k{key, value.expiration, metadata};
    return print_json(key_json(k, &value.bytes));
  }
  if (with_metadata) {
    fmt::print("Key:        {}\n", key);
    if (value.expiration) fmt::print("Expiration: {}\n", *value.expiration);
    if (!metadata.is_null()) fmt::print("Metadata:   {}\n", metadata.dump());
    fmt::print("Value ({} bytes):\n", value.bytes.size());
  }
  std::fwrite(value.bytes.data(), 1, value.bytes.size(), stdout);
  if (with_metadata && (value.bytes.empty() || value.bytes.back() != '\n')) fmt::print("\n");
}

}  // namespace ckp::cli
