// `cache purge …`: everything, files (URLs, with optional cache-key headers), hosts, prefixes, tags (text, CSV or
// JSON files), tags-batch, files-with-headers, and custom bodies — on one zone, a list of zones, or all of them;
// zones found from the URLs' hosts when none is given.

#include <fstream>
#include <sstream>

#include "ckp/api/json_parse.hpp"
#include "ckp/api/purge.hpp"
#include "ckp/api/text.hpp"
#include "ckp/api/validate.hpp"
#include "ckp/ops/purge.hpp"
#include "cli/context.hpp"
#include "cli/job_runner.hpp"
#include "cli/resolve.hpp"
#include "cli/stdin_input.hpp"

namespace ckp::cli {

namespace {

struct PurgeFlags {
  // zones
  std::string zone;
  std::vector<std::string> zones;
  bool all_zones = false;
  std::string zone_list;
  int zone_concurrency = 0;
  bool verbose = false;
  bool dry_run = false;
  bool force = false;
  int batch_size = 0;
  // items
  std::vector<std::string> positional;
  std::vector<std::string> file;     // --file URL (repeatable; the Go tool's flag)
  std::string files;                 // --files "a,b"
  std::string files_list;            // --files-list FILE
  std::vector<std::string> headers;  // --header "Name: value"
  std::vector<std::string> host;
  std::string hosts, hosts_file;
  bool auto_zone = false;
  std::vector<std::string> prefix;
  std::string prefixes, prefixes_file;
  std::vector<std::string> tag;
  std::string tags, tags_file, csv_column, json_field;
  std::string body, body_file;
};

/// Reads a whole (small) file; "-" reads standard input (up to 64 MiB), for @p flag.
std::string slurp(const std::string& path, const std::string& flag) {
  if (path == "-") return read_stdin(flag, 64u << 20);
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(Error::make(ErrorKind::io, "cannot read " + path));
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// The zones to purge on, by the Go tool's precedence: --all-zones, --zones, --zone-list, --zone, configured
/// default. Empty = find each item's zone from its host.
std::vector<ops::ZoneRef> chosen_zones(Context& ctx, const PurgeFlags& f) {
  auto& rt = ctx.runtime();
  std::vector<std::string> names;
  if (f.all_zones) {
    const std::string account = rt.account_id();
    return zone_directory(rt, account).zones();
  }
  for (const auto& z : f.zones)
    for (const auto& part : split_list(z)) names.push_back(part);
  if (names.empty() && !f.zone_list.empty()) {
    std::istringstream in(slurp(f.zone_list, "--zone-list"));
    for (std::string line; std::getline(in, line);) {
      auto t = std::string(api::trim_blanks(line));
      if (!t.empty() && t.front() != '#') names.push_back(t);
    }
  }
  const std::string zone = !f.zone.empty()             ? f.zone
                           : rt.options().zone.empty() ? rt.settings().zone.value
                                                       : rt.options().zone;
  if (names.empty() && !zone.empty()) names.push_back(zone);
  std::vector<ops::ZoneRef> refs;
  for (const auto& n : names) refs.push_back(resolve_zone(rt, n));
  return refs;
}

/// Items given as flags: each exactly as typed (a `#` is not a comment there), from a repeated flag, a
/// comma-separated list and positional arguments.
InputSpec items_of(const std::vector<std::string>& repeated, const std::string& comma_list,
                   const std::vector<std::string>& positional = {}) {
  std::vector<std::string> items = repeated;
  for (const auto& v : split_list(comma_list)) items.push_back(v);
  for (const auto& v : positional) items.push_back(v);
  return InputSpec::of_items(items);
}

/// How the items of an input file are held (PurgeSpec::input_format and its column or field).
struct ItemFormat {
  std::string format, column, field;
};

int purge(Context& ctx, PurgeFlags& f, api::purge::Kind kind, InputSpec input, const std::string& input_flag,
          const ItemFormat& items = {}) {
  auto& rt = ctx.runtime();
  rt.require_credentials();
  if (f.force) rt.assume_yes();
  ops::PurgeSpec spec;
  spec.kind = kind;
  spec.plan = rt.settings().plan_profile();  // unset (auto): each zone's own plan, from its zone object
  // --batch-size may lower the plan's per-request cap (never raise it: the API would refuse).
  if (f.batch_size > 0) spec.batch_size = static_cast<std::size_t>(f.batch_size);
  spec.zone_concurrency = f.zone_concurrency > 0 ? f.zone_concurrency : std::stoi(rt.settings().zone_concurrency.value);
  for (const auto& h : f.headers) {
    auto colon = h.find(':');
    if (colon == std::string::npos || colon == 0) fail_usage("--header '" + h + "' must look like 'Name: value'");
    spec.headers.emplace_back(std::string(api::trim_blanks(h.substr(0, colon))),
                              std::string(api::trim_blanks(h.substr(colon + 1))));
  }
  spec.zones = chosen_zones(ctx, f);
  // Optional: narrows the zones searched by host when none is given (and names the job's account either way).
  spec.account_id = rt.settings().account_id.value;
  if (spec.zones.empty() && (kind == api::purge::Kind::tags || kind == api::purge::Kind::everything))
    fail_usage("no zone: pass --zone NAME, --zones A,B, --zone-list FILE or --all-zones (or set a default zone)");
  if (kind != api::purge::Kind::everything) {
    if (input.empty_inline()) fail_usage("nothing to purge: give items as flags or a file");
    spec.input = input.name();
    spec.input_size = input.size();
    spec.input_format = items.format;
    spec.input_column = items.column;
    spec.input_field = items.field;
  }
  require_valid(spec, input_flag);

  if (!f.dry_run && !rt.options().yes) {
    // Summary first: the same purge as a dry run reads the input, finds zones and counts, without purging anything.
    auto preview = spec;
    preview.dry_run = true;
    const auto r = run_preview(rt, ops::PurgeSpec::op_name, preview.to_json(), input, input_flag);
    if (r.status == ops::OpStatus::failed || r.status == ops::OpStatus::cancelled) fail(*r.error);
    fmt::print(stderr, "About to purge {} {}:\n", grouped(r.done),
               kind == api::purge::Kind::everything ? "zones" : "items");
    for (const auto& z : r.extra["zones"])
      fmt::print(stderr, "  zone {} ({}): {} item(s), {} request(s) of up to {} ({} plan)\n", z.value("name", ""),
                 z.value("id", ""), z.value("items", 0), z.value("requests", 0), z.value("per_request", 0),
                 z.value("plan", "?"));
    if (const auto repeats = r.extra.value("duplicates", std::uint64_t{0}); repeats > 0)
      fmt::print(stderr, "  ({} item(s) given more than once: each is purged once)\n", grouped(repeats));
    for (const auto& s : r.samples) fmt::print(stderr, "    {}\n", s);
    if (!rt.confirm("Proceed?")) {
      rt.note("Cancelled; nothing was purged.\n");
      return exit_code::ok;
    }
  }
  spec.dry_run = f.dry_run;
  return run_job(rt, ops::PurgeSpec::op_name, spec.to_json(), input, !f.dry_run, input_flag);
}

void add_zone_flags(CLI::App* c, PurgeFlags& f) {
  c->add_option("--zone", f.zone, "Zone name or id");
  c->add_option("--zones", f.zones, "Zones (repeatable, or comma-separated)");
  c->add_flag("--all-zones", f.all_zones, "Every zone of the account");
  c->add_option("--zone-list", f.zone_list, "File with one zone per line");
  c->add_option("--zone-concurrency", f.zone_concurrency, "Zones purged at once (default 3)")
      ->check(CLI::Range(1, 100));
  c->add_flag("-v,--verbose", f.verbose, "More detail");
  c->add_flag("--dry-run", f.dry_run, "Show what would be purged; purge nothing");
  c->add_flag("--force", f.force, "Do not ask (same as --yes)");
  c->add_option("--batch-size", f.batch_size, "Items per request (at most the plan's cap)")
      ->check(CLI::Range(1, 10000));
}

}  // namespace

void add_cache_commands(CLI::App& app, Context& ctx) {
  auto* cache = app.add_subcommand("cache", "Cache purge");
  cache->require_subcommand(1);
  auto* purge_cmd = cache->add_subcommand("purge", "Purge cached content");
  purge_cmd->require_subcommand(1);
  auto f = std::make_shared<PurgeFlags>();
  using api::purge::Kind;

  auto* everything = purge_cmd->add_subcommand("everything", "Purge everything cached for the zone(s)");
  add_zone_flags(everything, *f);
  everything->callback([&ctx, f] { ctx.exit_code = purge(ctx, *f, Kind::everything, {}, "--zone"); });

  auto add_files = [&](const char* name, const char* help) {
    auto* files = purge_cmd->add_subcommand(name, help);
    add_zone_flags(files, *f);
    files->add_option("urls", f->positional, "URLs");
    files->add_option("--file", f->file, "A URL (repeatable)");
    files->add_option("--files", f->files, "URLs, comma-separated");
    files->add_option("--files-list", f->files_list,
                      "File: one URL per line, or {\"url\":…,\"headers\":{…}} lines, or a JSON array");
    files->add_option("--header", f->headers, "Cache-key header for every URL, 'Name: value' (repeatable)");
    files->callback([&ctx, f] {
      if (!f->files_list.empty())
        return (void)(ctx.exit_code = purge(ctx, *f, Kind::files, InputSpec::file(f->files_list), "--files-list"));
      ctx.exit_code = purge(ctx, *f, Kind::files, items_of(f->file, f->files, f->positional), "--files");
    });
  };
  add_files("files", "Purge URLs");
  add_files("files-with-headers", "Purge URLs with cache-key headers (--header, or objects in --files-list)");

  auto* hosts = purge_cmd->add_subcommand("hosts", "Purge by host name");
  add_zone_flags(hosts, *f);
  hosts->add_option("--host", f->host, "A host (repeatable)");
  hosts->add_option("--hosts", f->hosts, "Hosts, comma-separated");
  hosts->add_option("--hosts-file", f->hosts_file, "File: one host per line");
  hosts->add_flag("--auto-zone", f->auto_zone, "Find each host's zone (the default when no zone is given)");
  hosts->callback([&ctx, f] {
    if (f->auto_zone) f->zone.clear(), f->zones.clear();
    if (!f->hosts_file.empty())
      return (void)(ctx.exit_code = purge(ctx, *f, Kind::hosts, InputSpec::file(f->hosts_file), "--hosts-file"));
    ctx.exit_code = purge(ctx, *f, Kind::hosts, items_of(f->host, f->hosts), "--hosts");
  });

  auto* prefixes = purge_cmd->add_subcommand("prefixes", "Purge by URL prefix (host/path, no scheme)");
  add_zone_flags(prefixes, *f);
  prefixes->add_option("--prefix", f->prefix, "A prefix (repeatable)");
  prefixes->add_option("--prefixes", f->prefixes, "Prefixes, comma-separated");
  prefixes->add_option("--prefixes-file", f->prefixes_file, "File: one prefix per line");
  prefixes->callback([&ctx, f] {
    if (!f->prefixes_file.empty())
      return (void)(ctx.exit_code =
                        purge(ctx, *f, Kind::prefixes, InputSpec::file(f->prefixes_file), "--prefixes-file"));
    ctx.exit_code = purge(ctx, *f, Kind::prefixes, items_of(f->prefix, f->prefixes), "--prefixes");
  });

  auto add_tags = [&](const char* name, const char* help) {
    auto* tags = purge_cmd->add_subcommand(name, help);
    add_zone_flags(tags, *f);
    tags->add_option("--tag", f->tag, "A cache tag (repeatable)");
    tags->add_option("--tags", f->tags, "Tags, comma-separated");
    tags->add_option("--tags-file", f->tags_file, "File of tags: text lines, .csv or .json");
    tags->add_option("--csv-column", f->csv_column, "CSV column: header name or 1-based index");
    tags->add_option("--json-field", f->json_field, "JSON: the field holding the tag(s) in each object");
    tags->callback([&ctx, f] {
      if (f->tags_file.empty())
        return (void)(ctx.exit_code = purge(ctx, *f, Kind::tags, items_of(f->tag, f->tags), "--tags"));
      // Text lines, CSV (--csv-column: header name or 1-based index; default the first column) or JSON (an array of
      // strings, or of objects with --json-field): read as such, streamed, and again on resume.
      const auto& path = f->tags_file;
      const bool csv = !f->csv_column.empty() || path.ends_with(".csv");
      const bool json = !f->json_field.empty() || path.ends_with(".json");
      if (csv && json) fail_usage("--csv-column and --json-field: a tags file is CSV or JSON, not both");
      ctx.exit_code = purge(ctx, *f, Kind::tags, InputSpec::file(path), "--tags-file",
                            {csv    ? "csv"
                             : json ? "json"
                                    : "",
                             f->csv_column, f->json_field});
    });
  };
  add_tags("tags", "Purge by cache tag");
  add_tags("tags-batch", "Purge many tags from a file, in batches (same as tags --tags-file)");

  auto* custom = purge_cmd->add_subcommand("custom", "Purge with a purge_cache body you give (one purge type)");
  add_zone_flags(custom, *f);
  custom->add_option("--body", f->body, "The JSON body, e.g. '{\"tags\":[\"a\",\"b\"]}'");
  custom->add_option("--body-file", f->body_file, "File holding the JSON body");
  custom->callback([&ctx, f] {
    const std::string text = !f->body_file.empty() ? slurp(f->body_file, "--body-file") : f->body;
    auto parsed = api::parse_json(text);
    if (!parsed)
      fail_usage((f->body_file.empty() ? std::string("--body") : f->body_file) + ": " + parsed.error().message);
    auto j = std::move(*parsed);
    if (j.is_discarded() || !j.is_object()) fail_usage("--body must be a JSON object such as {\"files\":[…]}");
    std::vector<std::string> types;
    for (auto k : api::purge::all_kinds)
      if (j.contains(api::purge::field_name(k))) types.push_back(api::purge::field_name(k));
    if (types.size() != 1)
      fail_usage("--body must hold exactly one of files, tags, hosts, prefixes, purge_everything (Cloudflare takes one "
                 "purge type per request)");
    const Kind kind = *api::purge::kind_named(types[0]);
    if (kind == Kind::everything) {
      if (j["purge_everything"] != true) fail_usage("purge_everything must be true");
      ctx.exit_code = purge(ctx, *f, kind, {}, "--body");
      return;
    }
    const auto& arr = j[types[0]];
    if (!arr.is_array()) fail_usage(types[0] + " must be an array");
    // The array itself is the input: strings exactly as given, and {"url", "headers"} objects as objects.
    ctx.exit_code = purge(ctx, *f, kind, InputSpec{"", arr.dump()}, "--body");
  });
}

}  // namespace ckp::cli
