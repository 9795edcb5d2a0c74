#pragma once
/// @file
/// Every long operation by name: spec JSON in, a validated operation out — the one way fronts build them, for a
/// fresh job and for a resumed one alike, so that what resumes is exactly what was started and the CLI and the
/// console build the same operation from the same spec.
///
/// A front supplies an OpEnvironment (its scheduler, and how to open the inputs and outputs a spec names) and gets a
/// BuiltOperation: the operation, with inputs already checked from end to end — a bad line 90,000 of a keys file
/// is refused here, before anything is sent.
///
/// Example (a front resuming a job):
/// ```
/// auto state = ckp::engine::Journal::load(store);
/// if (!state) return fail(state.error());
/// ckp::ops::OpOptions options{.journal = &journal, .resume = *state};
/// auto built = ckp::ops::build_operation(state->op, state->spec, env, std::move(options), /*resuming=*/true);
/// if (!built) return fail(built.error());
/// ckp::ops::OpReport report = ckp::ops::run(transport, *built->op);
/// ```

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include <fmt/format.h>

#include "ckp/io/records.hpp"
#include "ckp/io/sink.hpp"
#include "ckp/ops/kv_delete.hpp"
#include "ckp/ops/kv_export.hpp"
#include "ckp/ops/kv_import.hpp"
#include "ckp/ops/purge.hpp"
#include "ckp/ops/spec_error.hpp"
#include "ckp/ops/sync_purge.hpp"

namespace ckp::ops {

/// What a front supplies to build operations.
struct OpEnvironment {
  engine::Scheduler* scheduler = nullptr;  ///< where the operation's calls go (required)
  /// Opens the input a spec names (`input`). @p expected_size is the size recorded in the spec when resuming (0
  /// otherwise): a front refuses an input that changed since. Needed for key lists, imports and purges.
  std::function<Result<std::unique_ptr<io::RecordSource>>(const std::string& name, std::uint64_t expected_size)>
      open_input;
  /// Opens the output a spec names (an export's `output`); @p resuming keeps what is there. Needed for exports.
  std::function<Result<std::unique_ptr<io::ByteSink>>(const std::string& name, bool resuming)> open_output;
};

/// An operation built from a spec, with the output it writes and how to talk about its items.
struct BuiltOperation {
  std::unique_ptr<io::ByteSink> sink;  ///< an export's output (declared first: it outlives the operation)
  std::unique_ptr<Operation> op;       ///< ready to start()
  std::string noun;                    ///< "keys", "pairs", "URLs", "tags", …
  std::string verb;                    ///< "delete", "write", "export", "purge"
};

namespace detail {

/// A spec parsed and validated, or the error that refuses it (a front's spec is bad input; a journal's is a bad
/// journal).
template <class Spec>
Result<Spec> checked_spec(const json& j, const OpOptions& options, bool resuming) {
  auto spec = Spec::from_json(j);
  if (!spec) {
    Error e = spec.error();
    e.kind = resuming ? ErrorKind::journal : ErrorKind::invalid_input;
    return e;
  }
  if (auto e = spec->validate()) return e->to_error(options.name_field);
  return spec;
}

inline Result<std::unique_ptr<io::RecordSource>> open_input(const OpEnvironment& env, const std::string& name,
                                                            std::uint64_t size, bool resuming) {
  if (!env.open_input) return Error::make(ErrorKind::invalid_input, "no input can be opened here: " + name);
  return env.open_input(name, resuming ? size : 0);
}

inline Result<BuiltOperation> build_delete(const json& j, const OpEnvironment& env, OpOptions options, bool resuming) {
  auto spec = checked_spec<KvDeleteSpec>(j, options, resuming);
  if (!spec) return spec.error();
  std::unique_ptr<io::RecordSource> keys;
  std::optional<std::uint64_t> total;
  if (spec->source == KvDeleteSpec::Source::keys) {
    auto in = open_input(env, spec->input, spec->input_size, resuming);
    if (!in) return in.error();
    keys = std::move(*in);
    // Every name is checked before the first delete, and the total is what the filters leave.
    auto filter = KeyFilter::make(spec->select);
    if (!filter) return filter.error();
    std::uint64_t count = 0;
    while (auto record = keys->next()) {
      auto key = text_item(*record, keys->format(), keys->name(), TextRules::exact(),
                           [](std::string_view k) { return api::validate_key(k); });
      if (!key) return key.error();
      count += key->has_value() && filter->matches_name(**key);
    }
    if (keys->error()) return *keys->error();
    if (auto e = io::rewind(*keys)) return *e;
    total = count;
  }
  return BuiltOperation{nullptr,
                        std::make_unique<KvDelete>(*env.scheduler, std::move(*spec), std::move(options),
                                                   std::move(keys), total),
                        "keys", "delete"};
}

inline Result<BuiltOperation> build_import(const json& j, const OpEnvironment& env, OpOptions options, bool resuming) {
  auto spec = checked_spec<KvImportSpec>(j, options, resuming);
  if (!spec) return spec.error();
  auto in = open_input(env, spec->input, spec->input_size, resuming);
  if (!in) return in.error();
  auto count = preflight_import(**in);
  if (!count) return count.error();
  return BuiltOperation{nullptr,
                        std::make_unique<KvImport>(*env.scheduler, std::move(*spec), std::move(*in), std::move(options),
                                                   *count),
                        "pairs", "write"};
}

inline Result<BuiltOperation> build_export(const json& j, const OpEnvironment& env, OpOptions options, bool resuming) {
  auto spec = checked_spec<KvExportSpec>(j, options, resuming);
  if (!spec) return spec.error();
  if (!env.open_output) return Error::make(ErrorKind::invalid_input, "no output can be opened here: " + spec->output);
  auto sink = env.open_output(spec->output, resuming);
  if (!sink) return sink.error();
  BuiltOperation b{std::move(*sink), nullptr, "keys", "export"};
  b.op = std::make_unique<KvExport>(*env.scheduler, std::move(*spec), *b.sink, std::move(options));
  return b;
}

inline Result<BuiltOperation> build_purge(const json& j, const OpEnvironment& env, OpOptions options, bool resuming) {
  auto spec = checked_spec<PurgeSpec>(j, options, resuming);
  if (!spec) return spec.error();
  using api::purge::Kind;
  std::unique_ptr<io::RecordSource> items;
  if (spec->kind != Kind::everything) {
    auto in = open_input(env, spec->input, spec->input_size, resuming);
    if (!in) return in.error();
    items = std::move(*in);
    // Tags in a column of a CSV file, or in a field of a JSON array's objects: read as such, streamed.
    if (spec->input_format == "csv")
      items = std::make_unique<io::CsvColumnRecords>(std::move(items),
                                                     spec->input_column.empty() ? "1" : spec->input_column);
    else if (spec->input_format == "json")
      items = std::make_unique<io::JsonFieldRecords>(std::move(items), spec->input_field);
  }
  const char* noun = spec->kind == Kind::files      ? "URLs"
                     : spec->kind == Kind::tags     ? "tags"
                     : spec->kind == Kind::hosts    ? "hosts"
                     : spec->kind == Kind::prefixes ? "prefixes"
                                                    : "zones";
  return BuiltOperation{nullptr,
                        std::make_unique<Purge>(*env.scheduler, std::move(*spec), std::move(items), std::move(options)),
                        noun, "purge"};
}

inline Result<BuiltOperation> build_sync_purge(const json& j, const OpEnvironment& env, OpOptions options,
                                               bool resuming) {
  auto spec = checked_spec<SyncPurgeSpec>(j, options, resuming);
  if (!spec) return spec.error();
  return BuiltOperation{nullptr, std::make_unique<SyncPurge>(*env.scheduler, std::move(*spec), std::move(options)),
                        "keys", "delete"};
}

}  // namespace detail

/// One registered operation: its name and how to build it.
struct OpEntry {
  /// A function that builds the operation from its spec (see build_operation()).
  using Builder = Result<BuiltOperation> (*)(const json& spec, const OpEnvironment& env, OpOptions options,
                                             bool resuming);
  const char* name;  ///< the operation's name (OpReport::operation, a journal's `op`)
  Builder build;     ///< builds it
};

/// Every operation a front can build or resume.
inline const std::array<OpEntry, 5>& operations() {
  static const std::array<OpEntry, 5> entries{{
      {KvDeleteSpec::op_name, detail::build_delete},
      {KvImportSpec::op_name, detail::build_import},
      {KvExportSpec::op_name, detail::build_export},
      {PurgeSpec::op_name, detail::build_purge},
      {SyncPurgeSpec::op_name, detail::build_sync_purge},
  }};
  return entries;
}

/// Builds operation @p op_name from @p spec (see the file's comment). @p resuming: the spec comes from a journal
/// (OpOptions::resume holds its state), so inputs are checked against their recorded sizes and outputs kept.
///
/// Errors: ErrorKind::invalid_input for an unknown operation, a spec that validate() refuses (fields named with
/// OpOptions::name_field) or a bad input line (`file:line`); the front's own errors for inputs and outputs.
inline Result<BuiltOperation> build_operation(std::string_view op_name, const json& spec, const OpEnvironment& env,
                                              OpOptions options, bool resuming) {
  for (const auto& entry : operations())
    if (op_name == entry.name) return entry.build(spec, env, std::move(options), resuming);
  return Error::make(ErrorKind::invalid_input,
                     fmt::format("'{}' is not an operation this version can run (kv.delete, kv.import, kv.export, "
                                 "cache.purge, sync.purge)",
                                 op_name));
}

}  // namespace ckp::ops
