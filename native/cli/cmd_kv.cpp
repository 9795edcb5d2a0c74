// `kv …`: namespaces, keys, values — list, get, put, delete (one key, many, by prefix/metadata/search/pattern,
// or the namespace itself), create, rename, config, and the streamed bulk operations export, import/bulk-write.

#include <fstream>
#include <iterator>
#include <regex>

#include "ckp/api/base64.hpp"
#include "ckp/api/json_parse.hpp"
#include "ckp/api/kv.hpp"
#include "ckp/api/validate.hpp"
#include "ckp/io/file_reader.hpp"
#include "cli/context.hpp"
#include "ckp/ops/key_selection.hpp"
#include "ckp/ops/kv_delete.hpp"
#include "ckp/ops/kv_export.hpp"
#include "ckp/ops/kv_import.hpp"
#include "cli/job_runner.hpp"

namespace ckp::cli {

namespace {

/// Flags shared by the kv subcommands (the Go tool's set).
struct KvFlags {
  std::string account_id;
  std::string namespace_id;
  std::string namespace_name;
  std::string key;
  std::string keys;
  std::string keys_file;
  std::string prefix;
  std::string pattern;
  std::string search;
  std::string tag_field;
  std::string tag_value;
  std::string cursor;
  int limit = 0;
  bool all = false;
  bool metadata = false;
  bool values = false;
  bool bulk = false;
  bool namespace_itself = false;
  bool all_keys = false;
  bool force = false;
  bool dry_run = false;
  int batch_size = 0;  // 0: not given (the flag itself refuses anything outside 1-10000)
  std::string save_keys;
  std::string value;
  std::string file;
  std::string bulk_file;
  std::string metadata_json;
  std::int64_t expiration = 0;
  std::int64_t expiration_ttl = 0;
  std::string title;
  std::string output;
  bool show = false;
};

void add_namespace_flags(CLI::App* c, KvFlags& f) {
  c->add_option("--account-id", f.account_id, "Cloudflare account id (default: config / CLOUDFLARE_ACCOUNT_ID)");
  c->add_option("--namespace-id", f.namespace_id, "Namespace id");
  c->add_option("--namespace", f.namespace_name, "Namespace title (or id)");
}

void add_selector_flags(CLI::App* c, KvFlags& f) {
  c->add_option("--key", f.key, "One key");
  c->add_option("--keys", f.keys, "Keys: \"a,b,c\" (trimmed around commas), or @FILE for one key per line");
  c->add_option("--prefix", f.prefix, "Keys starting with this prefix");
  c->add_option("--pattern", f.pattern, "Only key names matching this regular expression (ECMAScript)");
  c->add_option("--search", f.search, "Keys whose metadata contains this text anywhere (case-insensitive)");
  c->add_option("--tag-field", f.tag_field, "Keys whose metadata has this field…");
  c->add_option("--tag-value", f.tag_value, "…with this value (empty: any value)");
  c->add_option("--batch-size", f.batch_size, "Keys per bulk request (1-10000; default 10000)")
      ->check(CLI::Range(1, static_cast<int>(api::kv_limits::max_bulk_items)));
}

bool given(const CLI::App& cmd, const char* flag) { return cmd.count(flag) > 0; }

/// A destructive command refuses a selection flag given with an empty value (an unset shell variable, say): it
/// would otherwise quietly stop narrowing.
void refuse_empty_selection_flags(const CLI::App& cmd, const KvFlags& f) {
  const std::pair<const char*, const std::string*> flags[] = {
      {"--key", &f.key},         {"--keys", &f.keys},       {"--keys-file", &f.keys_file}, {"--prefix", &f.prefix},
      {"--pattern", &f.pattern}, {"--search", &f.search}, {"--tag-field", &f.tag_field}};
  for (const auto& [flag, value] : flags)
    if (given(cmd, flag) && value->empty())
      fail_usage(fmt::format("{} was given an empty value (an unset shell variable?); an empty filter selects nothing "
                             "and is refused{}",
                             flag, std::string_view(flag) == "--prefix" ? ": pass --all-keys to mean every key" : ""));
}

/// The flags that name keys one by one (at most one may be given), and which one was.
std::string key_list_flag(const CLI::App& cmd) {
  std::vector<std::string> named;
  for (const char* flag : {"--key", "--keys", "--keys-file"})
    if (cmd.get_option_no_throw(flag) && given(cmd, flag)) named.emplace_back(flag);
  if (named.size() > 1)
    fail_usage(fmt::format("{} and {} both name keys; give the keys one way", named[0], named[1]));
  return named.empty() ? "" : named.front();
}

/// The filters the flags give: every one given must match (ops/key_selection.hpp).
ops::KeySelection selection_of(const KvFlags& f) {
  ops::KeySelection s;
  s.prefix = f.prefix;
  s.pattern = f.pattern;
  s.search = f.search;
  s.field = f.tag_field;
  s.value = f.tag_value;
  s.all_keys = f.all_keys;
  return s;
}

/// The key list named by @p flag (`--key`, `--keys` "a,b" or "@FILE", `--keys-file`) as an input.
InputSpec key_list_input(const KvFlags& f, const std::string& flag) {
  if (flag == "--key") return InputSpec::of_items({f.key});
  if (flag == "--keys-file") return InputSpec::file(f.keys_file);
  if (f.keys.rfind('@', 0) == 0) return InputSpec::file(f.keys.substr(1));
  return InputSpec::of_items(split_list(f.keys));
}

/// In words: which keys a delete spec selects ("keys starting with 'user/' whose metadata contains 'x'").
std::string describe(const ops::KvDeleteSpec& spec, const InputSpec& input) {
  const auto& s = spec.select;
  if (s.all_keys) return "EVERY key";
  std::vector<std::string> parts;
  if (!s.prefix.empty()) parts.push_back(fmt::format("starting with '{}'", s.prefix));
  if (!s.pattern.empty()) parts.push_back(fmt::format("matching /{}/", s.pattern));
  if (!s.search.empty()) parts.push_back(fmt::format("whose metadata contains '{}'", s.search));
  if (!s.field.empty())
    parts.push_back(s.value.empty() ? fmt::format("whose metadata has field '{}'", s.field)
                                    : fmt::format("whose metadata {} = '{}'", s.field, s.value));
  std::string out = spec.source == ops::KvDeleteSpec::Source::keys ? "the keys listed in " + input.name() : "keys";
  for (std::size_t i = 0; i < parts.size(); ++i) out += (i == 0 ? (spec.source == ops::KvDeleteSpec::Source::keys ? " that are " : " ") : ", and ") + parts[i];
  return out;
}

struct Target {
  std::string account;
  std::string ns;
};

Target target(Context& ctx, const KvFlags& f) {
  auto& rt = ctx.runtime();
  rt.require_credentials();
  Target t;
  t.account = rt.account_id(f.account_id);
  t.ns = rt.resolve_namespace(t.account, !f.namespace_id.empty() ? f.namespace_id : f.namespace_name);
  return t;
}

nlohmann::json parse_metadata_flag(const std::string& text) {
  auto parsed = api::parse_json(text);
  if (!parsed) fail_usage("--metadata-json is " + parsed.error().message);
  auto j = std::move(*parsed);
  if (auto e = api::validate_metadata(j)) fail(*e);
  return j;
}

std::string expiration_text(const std::optional<std::int64_t>& e) { return e ? std::to_string(*e) : ""; }

// --- kv list -------------------------------------------------------------------------------------------------

void list_namespaces(Context& ctx, const std::string& account) {
  auto& rt = ctx.runtime();
  nlohmann::json out = nlohmann::json::array();
  Table table({"ID", "TITLE"});
  for (int page = 1;; ++page) {
    auto p = rt.call(api::kv::list_namespaces(account, page, 100), api::kv::parse_namespaces);
    for (const auto& ns : p.items) {
      out.push_back({{"id", ns.id}, {"title", ns.title}, {"supports_url_encoding", ns.supports_url_encoding}});
      table.row({ns.id, ns.title});
    }
    if (p.items.empty() || p.last(100)) break;
  }
  if (rt.json()) return print_json(out);
  table.print();
  rt.note("{} namespace{}\n", table.size(), table.size() == 1 ? "" : "s");
}

/// Pages through keys (all pages with @p all), calling @p each for keys passing every filter — the same predicate a
/// delete applies (ops::KeyFilter).
void for_each_key(Context& ctx, const Target& t, const KvFlags& f, bool all,
                  const std::function<void(const api::kv::Key&)>& each, std::string* next_cursor) {
  auto& rt = ctx.runtime();
  auto selection = selection_of(f);
  selection.all_keys = false;
  if (auto e = selection.validate(false); e && !selection.filtered()) e.reset();  // listing everything is fine here
  else if (e) fail(e->to_error(flag_namer()));
  auto filter = ops::KeyFilter::make(selection);
  if (!filter) fail_usage("--pattern " + filter.error().message);
  std::string cursor = f.cursor;
  const int limit = f.limit > 0 ? f.limit : api::kv_limits::max_list_limit;
  do {
    auto page = rt.call(api::kv::list_keys(t.account, t.ns, {f.prefix, cursor, limit}), api::kv::parse_keys);
    for (const auto& k : page.keys)
      if (filter->matches(k)) each(k);
    cursor = page.cursor;
  } while (all && !cursor.empty());
  if (next_cursor) *next_cursor = cursor;
}

/// Values of @p keys, 100 per bulk get; binary values (not text) are read one by one.
std::map<std::string, std::string> read_values(Context& ctx, const Target& t, const std::vector<std::string>& keys) {
  auto& rt = ctx.runtime();
  std::map<std::string, std::string> out;
  for (std::size_t i = 0; i < keys.size(); i += api::kv_limits::max_bulk_get_keys) {
    std::vector<std::string> chunk(keys.begin() + static_cast<std::ptrdiff_t>(i),
                                   keys.begin() + static_cast<std::ptrdiff_t>(std::min(keys.size(), i + api::kv_limits::max_bulk_get_keys)));
    std::optional<Result<std::vector<api::kv::BulkGetItem>>> got;
    rt.scheduler().submit(api::kv::bulk_get(t.account, t.ns, chunk, false), engine::Cost::api_call(),
                          [chunk](const api::Response& r) { return api::kv::parse_bulk_get(r, chunk, false); },
                          [&](Result<std::vector<api::kv::BulkGetItem>> r) { got.emplace(std::move(r)); });
    rt.http().run_until([&] { return got.has_value(); });
    if (*got) {
      for (const auto& item : **got)
        if (item.found) out[item.key] = item.value.is_string() ? item.value.get<std::string>() : item.value.dump();
    } else {
      for (const auto& k : chunk) {
        std::optional<Result<api::kv::Value>> v;
        rt.scheduler().submit(api::kv::read_value(t.account, t.ns, k), engine::Cost::api_call(), api::kv::parse_value,
                              [&](Result<api::kv::Value> r) { v.emplace(std::move(r)); });
        rt.http().run_until([&] { return v.has_value(); });
        if (*v) out[k] = (*v)->bytes;
      }
    }
  }
  return out;
}

nlohmann::json key_json(const api::kv::Key& k, const std::string* value) {
  nlohmann::json j{{"name", k.name}};
  if (k.expiration) j["expiration"] = *k.expiration;
  if (!k.metadata.is_null()) j["metadata"] = k.metadata;
  if (value) {
    if (api::detail::is_valid_utf8(*value)) j["value"] = *value;
    else j["value"] = api::base64_encode(*value), j["base64"] = true;
  }
  return j;
}

void show_single_key(Context& ctx, const Target& t, const std::string& key, bool with_metadata, const std::string& file);

void kv_list(Context& ctx, const CLI::App& cmd, const KvFlags& f) {
  auto& rt = ctx.runtime();
  if (given(cmd, "--keys"))
    fail_usage("kv list shows one key with --key KEY; --keys is for kv get --bulk and kv delete");
  rt.require_credentials();
  const std::string account = rt.account_id(f.account_id);
  if (f.namespace_id.empty() && f.namespace_name.empty()) return list_namespaces(ctx, account);
  Target t{account, rt.resolve_namespace(account, !f.namespace_id.empty() ? f.namespace_id : f.namespace_name)};
  if (!f.key.empty()) return show_single_key(ctx, t, f.key, true, "");
  const bool all = f.all || !f.search.empty() || !f.tag_field.empty();
  std::vector<api::kv::Key> keys;
  std::string cursor;
  std::uint64_t count = 0;
  // With --all on a huge namespace, rows are printed as they arrive rather than collected.
  const bool stream = all && !f.values;
  if (stream && rt.json()) fmt::print("[");
  Table header_only({"NAME", "EXPIRATION", f.metadata ? "METADATA" : ""});
  if (stream && !rt.json()) fmt::print("NAME\tEXPIRATION{}\n", f.metadata ? "\tMETADATA" : "");
  for_each_key(ctx, t, f, all, [&](const api::kv::Key& k) {
    ++count;
    if (!stream) return keys.push_back(k);
    if (rt.json()) fmt::print("{}\n  {}", count > 1 ? "," : "", key_json(k, nullptr).dump());
    else fmt::print("{}\t{}{}\n", k.name, expiration_text(k.expiration), f.metadata && !k.metadata.is_null() ? "\t" + k.metadata.dump() : "");
  }, &cursor);
  if (stream) {
    if (rt.json()) fmt::print("\n]\n");
    rt.note("{} key{}\n", grouped(count), count == 1 ? "" : "s");
    return;
  }
  std::map<std::string, std::string> values;
  if (f.values) {
    std::vector<std::string> names;
    for (const auto& k : keys) names.push_back(k.name);
    values = read_values(ctx, t, names);
  }
  if (rt.json()) {
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& k : keys) arr.push_back(key_json(k, f.values && values.count(k.name) ? &values[k.name] : nullptr));
    return print_json({{"keys", arr}, {"cursor", cursor}, {"list_complete", cursor.empty()}});
  }
  std::vector<std::string> headers{"NAME", "EXPIRATION"};
  if (f.metadata) headers.push_back("METADATA");
  if (f.values) headers.push_back("VALUE");
  Table table(headers);
  for (const auto& k : keys) {
    std::vector<std::string> row{k.name, expiration_text(k.expiration)};
    if (f.metadata) row.push_back(k.metadata.is_null() ? "" : k.metadata.dump());
    if (f.values) {
      std::string v = values.count(k.name) ? values[k.name] : "";
      row.push_back(v.size() > 60 ? v.substr(0, 57) + "..." : v);
    }
    table.row(row);
  }
  table.print();
  rt.note("{} key{}\n", keys.size(), keys.size() == 1 ? "" : "s");
  if (!cursor.empty()) rt.note("More keys follow: add --cursor {} (or --all)\n", cursor);
}

// --- kv get --------------------------------------------------------------------------------------------------

void show_single_key(Context& ctx, const Target& t, const std::string& key, bool with_metadata, const std::string& file) {
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

void kv_get(Context& ctx, const CLI::App& cmd, const KvFlags& f) {
  auto& rt = ctx.runtime();
  const std::string list_flag = key_list_flag(cmd);
  const auto selection = selection_of(f);
  const bool many = f.bulk || list_flag == "--keys" || selection.filtered();
  if (!many) {
    if (f.key.empty()) fail_usage("kv get needs --key KEY (or --keys, --prefix, --pattern, --search, --tag-field with --bulk)");
    Target t = target(ctx, f);
    return show_single_key(ctx, t, f.key, f.metadata, f.file);
  }
  if (list_flag.empty() && !selection.filtered())
    fail_usage("kv get --bulk needs the keys to read: --keys, --key, --prefix, --pattern, --search or --tag-field");
  if (auto e = selection.validate(!list_flag.empty())) fail(e->to_error(flag_namer(list_flag)));
  Target t = target(ctx, f);
  std::vector<api::kv::Key> keys;
  if (!list_flag.empty()) {
    auto input = key_list_input(f, list_flag);
    auto src = input.is_inline()
                   ? engine::open_records(std::make_unique<engine::StringReader>(input.text, input.name()))
                   : [&] {
                       auto r = io::open_records(input.path);
                       if (!r) fail(r.error());
                       return std::move(*r);
                     }();
    auto filter = ops::KeyFilter::make(selection);
    if (!filter) fail_usage("--pattern " + filter.error().message);
    while (auto r = src->next()) {
      auto k = ops::text_item(*r, src->format(), src->name(), ops::TextRules::exact(),
                              [](std::string_view s) { return api::validate_key(s); });
      if (!k) fail(k.error());
      if (k->has_value() && filter->matches_name(**k)) keys.push_back({**k, std::nullopt, nlohmann::json()});
    }
    if (src->error()) fail(*src->error());
  } else {
    for_each_key(ctx, t, f, true, [&](const api::kv::Key& k) { keys.push_back(k); }, nullptr);
  }
  std::vector<std::string> names;
  for (const auto& k : keys) names.push_back(k.name);
  auto values = read_values(ctx, t, names);
  if (!f.file.empty()) {
    std::ofstream out(f.file, std::ios::binary);
    for (const auto& k : keys)
      if (values.count(k.name)) out << k.name << '\t' << values[k.name] << '\n';
    rt.note("Wrote {} values to {}\n", values.size(), f.file);
    return;
  }
  if (rt.json()) {
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& k : keys) arr.push_back(key_json(k, values.count(k.name) ? &values[k.name] : nullptr));
    return print_json(arr);
  }
  Table table({"NAME", "VALUE"});
  for (const auto& k : keys) {
    std::string v = values.count(k.name) ? values[k.name] : "(not found)";
    table.row({k.name, v.size() > 200 ? fmt::format("({} bytes) {}...", v.size(), v.substr(0, 200)) : v});
  }
  table.print();
}

// --- kv put --------------------------------------------------------------------------------------------------

int kv_bulk_write(Context& ctx, const KvFlags& f, const std::string& file);

int kv_put(Context& ctx, const CLI::App& cmd, const KvFlags& f) {
  if (f.bulk || !f.bulk_file.empty()) return kv_bulk_write(ctx, f, !f.bulk_file.empty() ? f.bulk_file : f.file);
  if (f.key.empty()) fail_usage("kv put needs --key KEY and --value TEXT (or --file PATH); --bulk --bulk-file for many");
  if (auto e = api::validate_key(f.key)) fail(*e);
  std::string value = f.value;
  if (!f.file.empty()) {
    std::ifstream in(f.file, std::ios::binary);
    if (!in) fail(Error::make(ErrorKind::io, "cannot read " + f.file));
    value.assign(std::istreambuf_iterator<char>(in), {});
  } else if (f.value.empty()) {
    fail_usage("kv put needs --value TEXT or --file PATH");
  }
  if (auto e = api::validate_value_size(value.size(), f.key)) fail(*e);
  api::kv::WriteOptions w;
  if (!f.metadata_json.empty()) w.metadata = parse_metadata_flag(f.metadata_json);
  if (given(cmd, "--expiration-ttl") && given(cmd, "--expiration"))
    fail_usage("--expiration-ttl and --expiration both set when the key expires; give one");
  if (given(cmd, "--expiration-ttl")) {
    if (auto e = api::validate_expiration_ttl(f.expiration_ttl)) fail_usage("--expiration-ttl: " + e->message);
    w.expiration_ttl = f.expiration_ttl;
  } else if (given(cmd, "--expiration")) {
    if (auto e = api::validate_expiration(f.expiration, to_unix_seconds(Instant{std::chrono::duration_cast<Duration>(
                                                                std::chrono::system_clock::now().time_since_epoch())})))
      fail_usage("--expiration: " + e->message);
    w.expiration = f.expiration;
  }
  Target t = target(ctx, f);
  auto& rt = ctx.runtime();
  if (f.dry_run) {
    rt.note("DRY RUN: would write {} bytes to key {} in namespace {}\n", value.size(), f.key, t.ns);
    return exit_code::ok;
  }
  rt.call(api::kv::write_value(t.account, t.ns, f.key, std::move(value), w), api::read_ok);
  if (rt.json()) print_json({{"key", f.key}, {"namespace_id", t.ns}, {"written", true}});
  else rt.note("Wrote key {}\n", f.key);
  return exit_code::ok;
}

int kv_bulk_write(Context& ctx, const KvFlags& f, const std::string& file) {
  if (file.empty()) fail_usage("bulk write needs --file PATH (NDJSON lines or a JSON array of {\"key\",\"value\"})");
  Target t = target(ctx, f);
  auto& rt = ctx.runtime();
  const auto input = InputSpec::file(file);
  ops::KvImportSpec spec{t.account, t.ns, file, input.size()};
  if (f.batch_size > 0) spec.batch_size = static_cast<std::size_t>(f.batch_size);
  spec.dry_run = f.dry_run;
  require_valid(spec, "--file");
  return run_job(rt, ops::KvImportSpec::op_name, spec.to_json(), input, !spec.dry_run, "--file");
}

// --- kv delete -----------------------------------------------------------------------------------------------

/// Writes key names as a JSON array, one per line as they come — exact whatever bytes a name holds, and readable
/// back with --keys-file.
class KeyListWriter {
 public:
  explicit KeyListWriter(const std::string& path) : path_(path), out_(path, std::ios::binary | std::ios::trunc) {
    if (!out_) fail(Error::make(ErrorKind::io, "cannot write " + path));
    out_ << "[";
  }
  void add(const std::string& key) { out_ << (count_++ ? ",\n" : "\n") << nlohmann::json(key).dump(); }
  void finish() {
    out_ << (count_ ? "\n]\n" : "]\n");
    out_.close();
    if (!out_) fail(Error::make(ErrorKind::io, "cannot write " + path_));
  }
  std::uint64_t count() const { return count_; }

 private:
  std::string path_;
  std::ofstream out_;
  std::uint64_t count_ = 0;
};

int delete_namespace(Context& ctx, const CLI::App& cmd, const KvFlags& f) {
  for (const char* flag : {"--key", "--keys", "--keys-file", "--prefix", "--pattern", "--search", "--tag-field",
                           "--tag-value", "--all-keys", "--bulk", "--batch-size", "--save-keys"})
    if (given(cmd, flag))
      fail_usage(fmt::format("--namespace-itself deletes the namespace and every key in it; it cannot be combined with "
                             "{} (drop one of them)",
                             flag));
  Target t = target(ctx, f);
  auto& rt = ctx.runtime();
  auto ns = rt.call(api::kv::get_namespace(t.account, t.ns), api::kv::parse_namespace);
  if (f.dry_run) {
    fmt::print("DRY RUN: would delete namespace '{}' ({}) and every key in it\n", ns.title, ns.id);
    return exit_code::ok;
  }
  if (!rt.confirm(fmt::format("Delete namespace '{}' ({}) and every key in it?", ns.title, ns.id))) {
    rt.note("Cancelled; nothing was deleted.\n");
    return exit_code::ok;
  }
  rt.call(api::kv::delete_namespace(t.account, t.ns), api::read_ok);
  if (rt.json()) print_json({{"namespace_id", ns.id}, {"title", ns.title}, {"deleted", true}});
  else rt.note("Deleted namespace '{}' ({})\n", ns.title, ns.id);
  return exit_code::ok;
}

int kv_delete(Context& ctx, const CLI::App& cmd, const KvFlags& f) {
  auto& rt = ctx.runtime();
  if (f.force) rt.assume_yes();
  if (f.namespace_itself) return delete_namespace(ctx, cmd, f);

  // The selection, checked as a whole before anything is sent (ops/key_selection.hpp has the rule).
  refuse_empty_selection_flags(cmd, f);
  const std::string list_flag = key_list_flag(cmd);
  const auto selection = selection_of(f);
  if (list_flag.empty() && !selection.filtered() && !selection.all_keys) {
    if (f.bulk || given(cmd, "--tag-value"))
      fail_usage(fmt::format("{} selects nothing by itself: add --prefix, --pattern, --search, --tag-field, --keys or "
                             "--keys-file - or --all-keys for every key",
                             f.bulk ? "--bulk" : "--tag-value"));
    fail_usage("kv delete needs --key KEY, or a selection: --keys, --keys-file, --prefix, --pattern, --search, "
               "--tag-field, or --all-keys for every key");
  }
  if (given(cmd, "--save-keys") && !f.dry_run)
    fail_usage("--save-keys writes what a dry run selects: add --dry-run (then delete with --keys-file)");
  const std::string input_flag = list_flag.empty() ? "--keys-file" : list_flag;
  if (auto e = selection.validate(!list_flag.empty())) fail(e->to_error(flag_namer(input_flag)));

  // One key and nothing else: a single delete.
  if (list_flag == "--key" && !selection.filtered() && !f.bulk && !given(cmd, "--save-keys")) {
    if (auto e = api::validate_key(f.key)) fail_usage("--key: " + e->message);
    Target t = target(ctx, f);
    if (f.dry_run) {
      fmt::print("DRY RUN: would delete key {} from namespace {}\n", f.key, t.ns);
      return exit_code::ok;
    }
    if (!rt.confirm(fmt::format("Delete key '{}' from namespace {}?", f.key, t.ns))) return exit_code::ok;
    rt.call(api::kv::delete_value(t.account, t.ns, f.key), api::read_ok);
    if (rt.json()) print_json({{"key", f.key}, {"deleted", true}});
    else rt.note("Deleted key {}\n", f.key);
    return exit_code::ok;
  }

  Target t = target(ctx, f);
  ops::KvDeleteSpec spec;
  spec.account_id = t.account;
  spec.namespace_id = t.ns;
  spec.select = selection;
  spec.dry_run = f.dry_run;
  if (f.batch_size > 0) spec.batch_size = static_cast<std::size_t>(f.batch_size);
  InputSpec input;
  if (!list_flag.empty()) {
    input = key_list_input(f, list_flag);
    spec.source = ops::KvDeleteSpec::Source::keys;
    spec.input = input.name();
    spec.input_size = input.size();
  }
  require_valid(spec, input_flag);

  if (!f.dry_run && !rt.options().yes) {
    // The summary: the same operation as a dry run, cut after the first page of a listing (a key list is read
    // whole: it is local), so that what is shown is what the delete selects.
    auto preview = spec;
    preview.dry_run = true;
    if (spec.source == ops::KvDeleteSpec::Source::listing) preview.max_pages = 1;
    const auto r = run_preview(rt, ops::KvDeleteSpec::op_name, preview.to_json(), input, input_flag);
    if (r.status == ops::OpStatus::failed || r.status == ops::OpStatus::cancelled) fail(*r.error);
    const bool complete = r.extra.value("complete", true);
    auto ns = rt.call(api::kv::get_namespace(t.account, t.ns), api::kv::parse_namespace);
    const std::string what = describe(spec, input);
    if (r.done == 0 && complete) {
      rt.note("Nothing to delete: no {} in namespace '{}'.\n", what, ns.title);
      return exit_code::ok;
    }
    const std::string count =
        complete ? grouped(r.done) + " keys"
                 : fmt::format("at least {} keys (matches among the first {} listed; the rest are counted as the "
                               "delete goes - run --dry-run for a full count)",
                               grouped(r.done), grouped(r.scanned));
    fmt::print(stderr, "About to delete {} from namespace '{}' ({}), account {}:\n  {}\n", what, ns.title, ns.id,
               t.account, count);
    for (std::size_t i = 0; i < r.samples.size() && i < 5; ++i) fmt::print(stderr, "    {}\n", r.samples[i]);
    if (!rt.confirm("Proceed?")) {
      rt.note("Cancelled; nothing was deleted.\n");
      return exit_code::ok;
    }
  }

  std::optional<KeyListWriter> saved;
  if (given(cmd, "--save-keys")) saved.emplace(f.save_keys);
  const int code = run_job(rt, ops::KvDeleteSpec::op_name, spec.to_json(), input, !spec.dry_run, input_flag,
                           [&](ops::Operation& op) {
                             if (saved)
                               static_cast<ops::KvDelete&>(op).on_selected([&](const std::string& k) { saved->add(k); });
                           });
  if (saved) {
    saved->finish();
    rt.note("Saved {} key names to {} (delete exactly these with --keys-file {})\n", grouped(saved->count()),
            f.save_keys, f.save_keys);
  }
  return code;
}

// --- kv create / rename / config / export / import ----------------------------------------------------------

/// The namespace titled @p title in @p account, if there is one (every page is searched).
std::optional<api::kv::Namespace> find_namespace(Runtime& rt, const std::string& account, const std::string& title) {
  for (int page = 1;; ++page) {
    auto p = rt.call(api::kv::list_namespaces(account, page, 1000), api::kv::parse_namespaces);
    for (const auto& ns : p.items)
      if (ns.title == title) return ns;
    if (p.items.empty() || p.last(1000)) return std::nullopt;
  }
}

void kv_create(Context& ctx, const KvFlags& f) {
  auto& rt = ctx.runtime();
  rt.require_credentials();
  if (auto e = api::validate_namespace_title(f.title)) fail(*e);
  const std::string account = rt.account_id(f.account_id);
  if (auto existing = find_namespace(rt, account, f.title))
    fail(Error::make(ErrorKind::conflict, fmt::format("a namespace titled '{}' already exists ({})", f.title, existing->id)));
  const auto retries_before = rt.scheduler().stats().retries;
  std::optional<Result<api::kv::Namespace>> created;
  rt.scheduler().submit(api::kv::create_namespace(account, f.title), engine::Cost::api_call(), api::kv::parse_namespace,
                        [&](Result<api::kv::Namespace> r) { created.emplace(std::move(r)); });
  rt.http().run_until([&] { return created.has_value(); });
  if (!*created && created->error().kind == ErrorKind::conflict && rt.scheduler().stats().retries > retries_before) {
    // It did not exist a moment ago, and the create was retried: an attempt whose answer was lost (a dropped
    // connection) made it, and the retry found it. That namespace is ours.
    if (auto ours = find_namespace(rt, account, f.title)) created.emplace(*ours);
  }
  if (!*created) fail(created->error());
  const auto& ns = **created;
  if (rt.json()) return print_json({{"id", ns.id}, {"title", ns.title}});
  fmt::print("Created namespace '{}'\nID: {}\n", ns.title, ns.id);
}

void kv_rename(Context& ctx, const KvFlags& f) {
  if (auto e = api::validate_namespace_title(f.title)) fail(*e);
  Target t = target(ctx, f);
  auto& rt = ctx.runtime();
  rt.call(api::kv::rename_namespace(t.account, t.ns, f.title), api::read_ok);
  // The rename response has no reliable body across API versions: read the namespace back.
  auto ns = rt.call(api::kv::get_namespace(t.account, t.ns), api::kv::parse_namespace);
  if (rt.json()) return print_json({{"id", ns.id}, {"title", ns.title}});
  fmt::print("Renamed namespace {} to '{}'\n", ns.id, ns.title);
}

int kv_export(Context& ctx, const KvFlags& f) {
  Target t = target(ctx, f);
  auto& rt = ctx.runtime();
  std::string out = !f.output.empty() ? f.output : !f.file.empty() ? f.file : "";
  if (out.empty()) fail_usage("kv export needs --output FILE (or - for standard output)");
  ops::KvExportSpec spec{t.account, t.ns, f.prefix, out};
  require_valid(spec, "--output");
  // Standard output cannot be truncated on resume, so no job is kept.
  return run_job(rt, ops::KvExportSpec::op_name, spec.to_json(), {}, out != "-", "--output");
}

}  // namespace

void add_kv_commands(CLI::App& app, Context& ctx) {
  auto* kv = app.add_subcommand("kv", "Workers KV: namespaces, keys, values, bulk operations");
  kv->require_subcommand(1);
  auto f = std::make_shared<KvFlags>();
  auto done = [&ctx](int code) { ctx.exit_code = code; };

  auto* list = kv->add_subcommand("list", "List namespaces, or the keys of one");
  add_namespace_flags(list, *f);
  add_selector_flags(list, *f);
  list->add_option("--cursor", f->cursor, "Continue from this cursor");
  list->add_flag("--all", f->all, "Every page");
  list->add_flag("--metadata", f->metadata, "Show metadata");
  list->add_flag("--values", f->values, "Show values too (bulk get, 100 per request)");
  list->add_flag("--debug", f->show, "(accepted for compatibility)")->group("");
  list->add_option("--limit", f->limit, "Keys per page (10-1000)")->check(CLI::Range(10, api::kv_limits::max_list_limit));
  list->callback([&ctx, f, list] { kv_list(ctx, *list, *f); });

  auto* get = kv->add_subcommand("get", "Read a value (or many with --bulk)");
  add_namespace_flags(get, *f);
  add_selector_flags(get, *f);
  get->add_flag("--bulk", f->bulk, "Read many keys");
  get->add_flag("--metadata", f->metadata, "Show metadata too");
  get->add_option("--file", f->file, "Write the value(s) to this file");
  get->callback([&ctx, f, get] { kv_get(ctx, *get, *f); });

  auto* put = kv->add_subcommand("put", "Write a value (or many with --bulk --bulk-file)");
  add_namespace_flags(put, *f);
  put->add_option("--key", f->key, "Key");
  put->add_option("--value", f->value, "Value text");
  put->add_option("--file", f->file, "Read the value from this file (with --bulk: the pairs)");
  put->add_option("--metadata-json", f->metadata_json, "Metadata, as JSON (at most 1024 bytes)");
  put->add_option("--expiration", f->expiration, "Expire at this Unix time");
  put->add_option("--expiration-ttl", f->expiration_ttl, "Expire this many seconds from now (at least 60)");
  put->add_flag("--bulk", f->bulk, "Write many pairs from --bulk-file / --file");
  put->add_option("--bulk-file", f->bulk_file, "NDJSON or JSON array of {key, value, metadata, expiration_ttl, …}");
  put->add_option("--batch-size", f->batch_size, "Pairs per bulk request (1-10000)")
      ->check(CLI::Range(1, static_cast<int>(api::kv_limits::max_bulk_items)));
  put->add_flag("--dry-run", f->dry_run, "Show what would be written");
  put->callback([&ctx, f, done, put] { done(kv_put(ctx, *put, *f)); });

  auto add_delete = [&](const char* name, const char* help) {
    auto* del = kv->add_subcommand(name, help);
    add_namespace_flags(del, *f);
    add_selector_flags(del, *f);
    del->add_option("--keys-file", f->keys_file, "File with one key per line (or a JSON array of strings)");
    del->add_flag("--bulk", f->bulk, "Delete many keys");
    del->add_flag("--all-keys", f->all_keys, "Every key in the namespace");
    del->add_flag("--namespace-itself", f->namespace_itself, "Delete the namespace and all its keys");
    del->add_flag("--dry-run", f->dry_run, "Count and show what would be deleted; change nothing");
    del->add_option("--save-keys", f->save_keys,
                    "With --dry-run: write every selected key's name to this file (a JSON array; delete exactly those "
                    "with --keys-file)");
    del->add_flag("--force", f->force, "Do not ask (same as --yes)");
    del->callback([&ctx, f, done, del] { done(kv_delete(ctx, *del, *f)); });
    return del;
  };
  add_delete("delete", "Delete one key, many keys (streamed), or the namespace");
  add_delete("delete-legacy", "Same as delete (the old name)")->group("");

  auto* create = kv->add_subcommand("create", "Create a namespace");
  create->add_option("--account-id", f->account_id, "Account id");
  create->add_option("--title", f->title, "Title")->required();
  create->add_flag("--namespace", f->show, "(compatibility; always true)")->group("");
  create->callback([&ctx, f] { kv_create(ctx, *f); });

  auto* rename = kv->add_subcommand("rename", "Rename a namespace");
  add_namespace_flags(rename, *f);
  rename->add_option("--title", f->title, "New title")->required();
  rename->callback([&ctx, f] { kv_rename(ctx, *f); });

  auto* config = kv->add_subcommand("config", "Set or show the default account for KV");
  config->add_option("--account-id", f->account_id, "Save this account id as the default");
  config->add_flag("--show", f->show, "Show the current default");
  config->callback([&ctx, f] {
    auto& rt = ctx.runtime();
    if (!f->account_id.empty()) {
      if (!api::looks_like_id(f->account_id)) fail_usage("account id '" + f->account_id + "' is not 32 hex characters");
      if (auto s = set_config_value(rt.settings().config_path, rt.settings().profile, "account_id", f->account_id); !s)
        fail(s.error());
      rt.note("Saved account_id in {} [{}]\n", rt.settings().config_path, rt.settings().profile);
    } else if (f->show) {
      const auto& a = rt.settings().account_id;
      if (rt.json()) return print_json({{"account_id", a.value}, {"source", a.source}});
      fmt::print("Account ID: {} ({})\n", a.value.empty() ? "(not set)" : a.value, a.source);
    } else {
      fail_usage("kv config needs --account-id ID or --show");
    }
  });

  auto* exp = kv->add_subcommand("export", "Export keys, values and metadata to NDJSON (streamed, resumable)");
  add_namespace_flags(exp, *f);
  exp->add_option("--prefix", f->prefix, "Only keys with this prefix");
  exp->add_option("--output,-o", f->output, "Output file (- for standard output)");
  exp->add_option("--file", f->file, "Same as --output")->group("");
  exp->callback([&ctx, f, done] { done(kv_export(ctx, *f)); });

  auto add_import = [&](const char* name, const char* help) {
    auto* imp = kv->add_subcommand(name, help);
    add_namespace_flags(imp, *f);
    imp->add_option("--file", f->file, "NDJSON lines or a JSON array of {key, value, metadata, expiration_ttl, base64}")
        ->required();
    imp->add_option("--batch-size", f->batch_size, "Pairs per bulk request (1-10000)")
        ->check(CLI::Range(1, static_cast<int>(api::kv_limits::max_bulk_items)));
    imp->add_flag("--dry-run", f->dry_run, "Validate and count; write nothing");
    imp->callback([&ctx, f, done] { done(kv_bulk_write(ctx, *f, f->file)); });
  };
  add_import("import", "Import pairs from NDJSON or a JSON array (streamed, resumable)");
  add_import("bulk-write", "Same as import");
}

}  // namespace ckp::cli
