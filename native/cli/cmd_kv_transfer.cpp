// `kv export` (keys, values and metadata to NDJSON) and `kv import` / `kv bulk-write` (pairs from NDJSON or a JSON
// array): streamed and resumable.

#include <memory>

#include "ckp/ops/kv_export.hpp"
#include "ckp/ops/kv_import.hpp"
#include "cli/cmd_kv.hpp"
#include "cli/job_runner.hpp"

namespace ckp::cli {

namespace {

struct ExportFlags {
  NamespaceFlags ns;
  std::string prefix;
  std::string output;
  std::string file;  // --file: same as --output
};

struct ImportFlags {
  NamespaceFlags ns;
  std::string file;
  int batch_size = 0;  // 0: not given
  bool dry_run = false;
};

int kv_export(Context& ctx, const ExportFlags& f) {
  KvTarget t = kv_target(ctx, f.ns);
  auto& rt = ctx.runtime();
  std::string out = !f.output.empty() ? f.output : !f.file.empty() ? f.file : "";
  if (out.empty()) fail_usage("kv export needs --output FILE (or - for standard output)");
  ops::KvExportSpec spec{t.account, t.ns, f.prefix, out};
  require_valid(spec, "--output");
  // Standard output cannot be truncated on resume, so no job is kept.
  return run_job(rt, ops::KvExportSpec::op_name, spec.to_json(), {}, out != "-", "--output");
}

}  // namespace

int kv_import_file(Context& ctx, const NamespaceFlags& ns, const std::string& file, int batch_size, bool dry_run) {
  if (file.empty()) fail_usage("bulk write needs --file PATH (NDJSON lines or a JSON array of {\"key\",\"value\"})");
  KvTarget t = kv_target(ctx, ns);
  auto& rt = ctx.runtime();
  const auto input = InputSpec::file(file);
  ops::KvImportSpec spec{t.account, t.ns, file, input.size()};
  if (batch_size > 0) spec.batch_size = static_cast<std::size_t>(batch_size);
  spec.dry_run = dry_run;
  require_valid(spec, "--file");
  return run_job(rt, ops::KvImportSpec::op_name, spec.to_json(), input, !spec.dry_run, "--file");
}

void add_kv_transfer_commands(CLI::App& kv, Context& ctx) {
  auto export_flags = std::make_shared<ExportFlags>();
  auto* exp = kv.add_subcommand("export", "Export keys, values and metadata to NDJSON (streamed, resumable)");
  add_namespace_flags(exp, export_flags->ns);
  exp->add_option("--prefix", export_flags->prefix, "Only keys with this prefix");
  exp->add_option("--output,-o", export_flags->output, "Output file (- for standard output)");
  exp->add_option("--file", export_flags->file, "Same as --output")->group("");
  exp->callback([&ctx, export_flags] { ctx.exit_code = kv_export(ctx, *export_flags); });

  auto import_flags = std::make_shared<ImportFlags>();
  auto add_import = [&](const char* name, const char* help) {
    auto* imp = kv.add_subcommand(name, help);
    add_namespace_flags(imp, import_flags->ns);
    imp->add_option("--file", import_flags->file,
                    "NDJSON lines or a JSON array of {key, value, metadata, expiration_ttl, base64}")
        ->required();
    imp->add_option("--batch-size", import_flags->batch_size, "Pairs per bulk request (1-10000)")
        ->check(CLI::Range(1, static_cast<int>(api::kv_limits::max_bulk_items)));
    imp->add_flag("--dry-run", import_flags->dry_run, "Validate and count; write nothing");
    imp->callback([&ctx, import_flags] {
      const auto& f = *import_flags;
      ctx.exit_code = kv_import_file(ctx, f.ns, f.file, f.batch_size, f.dry_run);
    });
  };
  add_import("import", "Import pairs from NDJSON or a JSON array (streamed, resumable)");
  add_import("bulk-write", "Same as import");
}

}  // namespace ckp::cli
