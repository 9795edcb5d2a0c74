// `kv put`: one value (text or a file, with metadata and expiry), or many pairs with --bulk (as kv import).

#include <chrono>
#include <fstream>
#include <iterator>
#include <memory>

#include "ckp/api/json_parse.hpp"
#include "ckp/api/kv.hpp"
#include "ckp/api/validate.hpp"
#include "cli/cmd_kv.hpp"
#include "cli/kv_selection.hpp"
#include "cli/stdin_input.hpp"

namespace ckp::cli {

namespace {

struct PutFlags {
  NamespaceFlags ns;
  std::string key;
  std::string value;
  std::string file;
  std::string metadata_json;
  std::string key_argument, value_argument;  // wrangler's spelling: kv put KEY [VALUE]
  std::int64_t expiration = 0;
  std::int64_t expiration_ttl = 0;
  bool bulk = false;
  std::string bulk_file;
  int batch_size = 0;  // 0: not given
  bool dry_run = false;
};

int kv_put(Context& ctx, const CLI::App& cmd, PutFlags f) {
  // wrangler's `kv key put KEY VALUE`: the positional key and value are --key and --value, never both ways at once.
  if (given(cmd, "KEY")) {
    if (f.bulk || !f.bulk_file.empty())
      fail_usage("kv put --bulk takes its pairs from a file, not KEY VALUE arguments");
    if (given(cmd, "--key"))
      fail_usage(
          fmt::format("the key is given twice: as an argument ('{}') and as --key; give it once", f.key_argument));
    if (f.key_argument.empty()) fail_usage("the KEY argument is empty");
    f.key = f.key_argument;
  }
  if (given(cmd, "VALUE")) {
    if (given(cmd, "--value") || given(cmd, "--file"))
      fail_usage("the value is given twice: as an argument and as --value/--file; give it once");
    if (f.value_argument.empty()) fail_usage("the VALUE argument is empty");
    f.value = f.value_argument;
  }
  if (f.bulk || !f.bulk_file.empty())
    return kv_import_file(ctx, f.ns, !f.bulk_file.empty() ? f.bulk_file : f.file, f.batch_size, f.dry_run);
  if (f.key.empty())
    fail_usage("kv put needs --key KEY and --value TEXT (or --file PATH); --bulk --bulk-file for many");
  std::string value = f.value;
  if (f.file == "-") {
    value = read_stdin("--file", api::kv_limits::max_value_bytes);
  } else if (!f.file.empty()) {
    std::ifstream in(f.file, std::ios::binary);
    if (!in) fail(Error::make(ErrorKind::io, "cannot read " + f.file));
    value.assign(std::istreambuf_iterator<char>(in), {});
  } else if (f.value.empty()) {
    fail_usage("kv put needs --value TEXT or --file PATH");
  }
  api::kv::WriteOptions w;
  if (!f.metadata_json.empty()) {
    auto metadata = api::parse_metadata(f.metadata_json, f.key);
    if (!metadata) fail_usage("--metadata-json: " + metadata.error().message);
    w.metadata = std::move(*metadata);
  }
  if (given(cmd, "--expiration-ttl")) w.expiration_ttl = f.expiration_ttl;
  if (given(cmd, "--expiration")) w.expiration = f.expiration;
  // The same check of the whole write as the console's.
  const auto now =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch());
  if (auto e = api::validate_write(f.key, value.size(), w.metadata, w.expiration_ttl, w.expiration, now.count()))
    fail(*e);
  KvTarget t = kv_target(ctx, f.ns);
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

}  // namespace

void add_kv_put_command(CLI::App& kv, Context& ctx) {
  auto f = std::make_shared<PutFlags>();
  auto* put = kv.add_subcommand("put", "Write a value (or many with --bulk --bulk-file)");
  add_namespace_flags(put, f->ns);
  put->add_option("KEY", f->key_argument, "The key (wrangler's spelling of --key)");
  put->add_option("VALUE", f->value_argument, "The value (wrangler's spelling of --value)");
  put->add_option("--key", f->key, "Key");
  put->add_option("--value", f->value, "Value text");
  put->add_option("--file,--path", f->file,
                  "Read the value from this file, - for standard input (with --bulk: the pairs)");
  put->add_option("--metadata-json,--metadata", f->metadata_json, "Metadata, as JSON (at most 1024 bytes)");
  put->add_option("--expiration", f->expiration, "Expire at this Unix time");
  put->add_option("--expiration-ttl,--ttl", f->expiration_ttl, "Expire this many seconds from now (at least 60)");
  put->add_flag("--bulk", f->bulk, "Write many pairs from --bulk-file / --file");
  put->add_option("--bulk-file", f->bulk_file, "NDJSON or JSON array of {key, value, metadata, expiration_ttl, …}");
  put->add_option("--batch-size", f->batch_size, "Pairs per bulk request (1-10000)")
      ->check(CLI::Range(1, static_cast<int>(api::kv_limits::max_bulk_items)));
  put->add_flag("--dry-run", f->dry_run, "Show what would be written");
  put->callback([&ctx, f, put] { ctx.exit_code = kv_put(ctx, *put, *f); });
}

}  // namespace ckp::cli
