#include "cli/kv_read.hpp"

#include <cstdio>
#include <fstream>
#include <optional>

#include "ckp/api/base64.hpp"
#include "ckp/api/validate.hpp"
#include "ckp/ops/value_reader.hpp"
#include "cli/job_runner.hpp"

namespace ckp::cli {

void for_each_key(Context& ctx, const KvTarget& t, ops::KeySelection selection, const std::string& start_cursor,
                  int page_size, bool all, const std::function<void(const api::kv::Key&)>& each,
                  std::string* next_cursor) {
  auto& rt = ctx.runtime();
  selection.all_keys = false;
  if (auto e = selection.validate(false); e && !selection.filtered()) e.reset();  // listing everything is fine here
  else if (e) fail(e->to_error(flag_namer()));
  auto filter = ops::KeyFilter::make(selection);
  if (!filter) fail_usage("--pattern " + filter.error().message);
  std::string cursor = start_cursor;
  const int limit = page_size > 0 ? page_size : api::kv_limits::max_list_limit;
  do {
    auto page = rt.call(api::kv::list_keys(t.account, t.ns, {selection.prefix, cursor, limit}), api::kv::parse_keys);
    for (const auto& k : page.keys)
      if (filter->matches(k)) each(k);
    cursor = page.cursor;
  } while (all && !cursor.empty());
  if (next_cursor) *next_cursor = cursor;
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
  if (!file.empty()) {
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
