// `kv get`: one value (with its metadata), or many with --bulk (listed, filtered or named keys).

#include <cstdio>
#include <fstream>
#include <memory>

#include "ckp/api/validate.hpp"
#include "ckp/io/file_reader.hpp"
#include "cli/cmd_kv.hpp"
#include "cli/kv_read.hpp"
#include "cli/kv_selection.hpp"
#include "cli/stdin_input.hpp"

namespace ckp::cli {

namespace {

struct GetFlags {
  NamespaceFlags ns;
  KeySelectionFlags select;
  int batch_size = 0;  // accepted like kv delete's; reads go 100 keys a request
  bool bulk = false;
  bool metadata = false;
  std::string file;
};

void kv_get(Context& ctx, const CLI::App& cmd, const GetFlags& f) {
  auto& rt = ctx.runtime();
  const std::string list_flag = key_list_flag(cmd);
  const auto selection = selection_of(f.select);
  const bool many = f.bulk || list_flag == "--keys" || selection.filtered();
  if (!many) {
    if (f.select.key.empty())
      fail_usage("kv get needs --key KEY (or --keys, --prefix, --pattern, --search, --tag-field with --bulk)");
    KvTarget t = kv_target(ctx, f.ns);
    return show_single_key(ctx, t, f.select.key, f.metadata, f.file);
  }
  if (list_flag.empty() && !selection.filtered())
    fail_usage("kv get --bulk needs the keys to read: --keys, --key, --prefix, --pattern, --search or --tag-field");
  if (auto e = selection.validate(!list_flag.empty())) fail(e->to_error(flag_namer(list_flag)));
  KvTarget t = kv_target(ctx, f.ns);
  std::vector<api::kv::Key> keys;
  if (!list_flag.empty()) {
    auto input = key_list_input(f.select, list_flag);
    auto src =
        input.is_inline() ? io::open_records(std::make_unique<io::StringReader>(input.text, input.name())) : [&] {
          if (input.path == "-") claim_stdin(list_flag);
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
    for_each_key(
        ctx, t, selection, "", 0, true, [&](const api::kv::Key& k) { keys.push_back(k); }, nullptr);
  }
  std::vector<std::string> names;
  for (const auto& k : keys) names.push_back(k.name);
  auto values = read_values(ctx, t, names);
  if (f.file == "-") {  // standard output: the same "name<TAB>value" lines as a file
    for (const auto& k : keys)
      if (values.count(k.name)) {
        std::fwrite(k.name.data(), 1, k.name.size(), stdout);
        std::fputc('\t', stdout);
        std::fwrite(values[k.name].data(), 1, values[k.name].size(), stdout);
        std::fputc('\n', stdout);
      }
    return;
  }
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
  for (const auto& k : keys) table.row({k.name, values.count(k.name) ? table_value(values[k.name]) : "(not found)"});
  table.print();
}

}  // namespace

void add_kv_get_command(CLI::App& kv, Context& ctx) {
  auto f = std::make_shared<GetFlags>();
  auto* get = kv.add_subcommand("get", "Read a value (or many with --bulk)");
  add_namespace_flags(get, f->ns);
  add_selection_flags(get, f->select);
  add_key_batch_size_flag(get, f->batch_size);
  get->add_flag("--bulk", f->bulk, "Read many keys");
  get->add_flag("--metadata", f->metadata, "Show metadata too");
  get->add_option("--file", f->file, "Write the value(s) to this file");
  get->callback([&ctx, f, get] { kv_get(ctx, *get, *f); });
}

}  // namespace ckp::cli
