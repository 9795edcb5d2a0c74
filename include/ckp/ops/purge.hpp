#pragma once
/// @file
/// Cache purge at scale: URLs (with optional cache-key headers), tags, hosts, prefixes or everything, across one
/// zone or many.
///
/// The input is read twice: first to validate and route every item (so a bad line 90,000 stops the purge before
/// anything is sent), then to purge, streamed. Items go to their zone — given explicitly, or found by host name
/// among all of the account's zones — and leave in batches of the zone plan's per-request cap, paced by the rate
/// governor (the plan's flex-purge bucket and URLs per second, the global limit). An item given twice is purged
/// once (OpReport::extra["duplicates"] says how many were dropped).
///
/// Each zone is paced by its own plan, read from its zone object (`plan.legacy_id`), unless the spec names a plan
/// for all of them. When Cloudflare refuses a batch saying how many items a request may carry, everything still
/// pending for zones of that plan is re-cut to that size at once (api::purge::stated_cap()); another refused batch
/// is bisected to the item the API refuses. `zone_concurrency` bounds how many zones have purges in flight at once.

#include <algorithm>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "ckp/api/json_integer.hpp"
#include "ckp/api/json_parse.hpp"
#include "ckp/api/purge.hpp"
#include "ckp/api/validate.hpp"
#include "ckp/api/zones.hpp"
#include "ckp/engine/batch_runner.hpp"
#include "ckp/engine/watermark.hpp"
#include "ckp/ops/metadata_match.hpp"
#include "ckp/ops/operation.hpp"
#include "ckp/ops/spec_error.hpp"
#include "ckp/ops/streaming_op.hpp"
#include "ckp/ops/text_input.hpp"
#include "ckp/ops/zone_directory.hpp"

namespace ckp::ops {

/// HTTP headers as name/value pairs (the cache-key headers of a purged URL).
using HeaderList = std::vector<std::pair<std::string, std::string>>;

/// What to purge. Serialized into the journal.
struct PurgeSpec {
  api::purge::Kind kind = api::purge::Kind::files;  ///< what the items are
  std::string account_id;                           ///< used to find zones by host when `zones` is empty
  std::vector<ZoneRef> zones;                       ///< explicit zones (tags and everything need them)
  HeaderList headers;                               ///< cache-key headers added to every URL (files)
  std::string input;                                ///< the input's name
  std::uint64_t input_size = 0;                     ///< its size in bytes (a resume against another file is refused)
  /// How the input holds its items: "" — one per line, or a JSON array of strings; "csv" — the cells of column
  /// `input_column` (a 1-based index, or a header name); "json" — a JSON array of strings, or of objects whose field
  /// `input_field` holds a string or strings.
  std::string input_format;
  std::string input_column;  ///< csv: the column (default "1")
  std::string input_field;   ///< json: the objects' field ("" = the elements are strings)
  /// Per-request caps and purge rates for every zone; unset: each zone's own plan, from its zone object (a zone
  /// whose plan cannot be read is paced as Enterprise, with caps learned from the API's refusals).
  std::optional<api::PlanProfile> plan;
  std::size_t batch_size = 0;  ///< items per request, at most the plan's cap (0: the cap)
  int zone_concurrency = 3;    ///< zones with purges in flight at once
  bool dry_run = false;        ///< validate and route every item; purge nothing

  static constexpr const char* op_name = "cache.purge";  ///< OpReport::operation and the journal's `op`

  /// The spec as journaled.
  json to_json() const {
    json zs = json::array();
    for (const auto& z : zones) zs.push_back({{"id", z.id}, {"name", z.name}});
    json hs = json::array();
    for (const auto& [k, v] : headers) hs.push_back({k, v});
    return {{"kind", api::purge::field_name(kind)},
            {"account_id", account_id},
            {"zones", zs},
            {"headers", hs},
            {"input", input},
            {"input_size", input_size},
            {"input_format", input_format},
            {"input_column", input_column},
            {"input_field", input_field},
            {"plan", plan ? json{{"name", plan->name},
                                 {"max_urls", plan->max_urls_per_request},
                                 {"max_flex", plan->max_flex_items_per_request}}
                          : json(nullptr)},
            {"batch_size", batch_size},
            {"zone_concurrency", zone_concurrency},
            {"dry_run", dry_run}};
  }
  /// Checks the spec as a whole.
  std::optional<SpecError> validate() const {
    using api::purge::Kind;
    if ((kind == Kind::tags || kind == Kind::everything) && zones.empty())
      return refuse({"zones"}, std::string("purging ") + (kind == Kind::tags ? "tags" : "everything") +
                                   " needs at least one zone ({0})");
    if (zone_concurrency < 1) return refuse({"zone_concurrency"}, "{0} must be at least 1");
    if (!input_format.empty() && input_format != "csv" && input_format != "json")
      return refuse({"input_format"}, "{0} must be csv or json (or empty), not '" + input_format + "'");
    if (!input_column.empty() && input_format != "csv") return refuse({"input_column"}, "{0} is for a CSV input");
    if (!input_field.empty() && input_format != "json") return refuse({"input_field"}, "{0} is for a JSON input");
    if (plan && (plan->max_urls_per_request < 1 || plan->max_flex_items_per_request < 1))
      return refuse({"plan"}, "the {0}'s items per request must be at least 1");
    for (const auto& [name, value] : headers)
      if (name.empty() || name.find_first_of(":\r\n") != std::string::npos ||
          value.find_first_of("\r\n") != std::string::npos)
        return refuse({"headers"}, "{0}: '" + name + "' is not a valid header");
    return std::nullopt;
  }

  /// Reads a spec back (a journal's, or a front's); ErrorKind::journal when a field is missing, of the wrong type,
  /// or names an unknown kind or plan. Fronts may write `headers` as an object `{name: value}` and `plan` as a plan
  /// name; to_json() writes both in full. A missing or null `plan`, "" or "auto" means each zone's own.
  static Result<PurgeSpec> from_json(const json& j) {
    try {
      PurgeSpec s;
      const std::string kind = j.at("kind");
      auto known = api::purge::kind_named(kind);
      if (!known) return Error::make(ErrorKind::journal, "unknown purge kind '" + kind + "'");
      s.kind = *known;
      s.account_id = j.value("account_id", "");
      for (const auto& z : j.value("zones", json::array())) s.zones.push_back({z.at("id"), z.value("name", ""), ""});
      const json headers = j.value("headers", json::array());
      if (headers.is_object())
        for (const auto& [name, value] : headers.items()) s.headers.emplace_back(name, value.get<std::string>());
      else
        for (const auto& h : headers) s.headers.emplace_back(h.at(0), h.at(1));
      s.input = j.value("input", "");
      s.input_size = api::json_integer_field(j, "input_size", std::uint64_t{0});
      s.input_format = j.value("input_format", "");
      s.input_column = j.value("input_column", "");
      s.input_field = j.value("input_field", "");
      const json plan = j.value("plan", json(nullptr));
      if (!plan.is_null() && plan != "" && plan != "auto") {
        const std::string plan_name = plan.is_string() ? plan.get<std::string>() : plan.value("name", "enterprise");
        auto profile = api::PlanProfile::named(plan_name);
        if (!profile)
          return Error::make(ErrorKind::journal,
                             "unknown plan '" + plan_name + "' (free, pro, business or enterprise)");
        if (plan.is_object()) {
          profile->max_urls_per_request = api::json_integer_field(plan, "max_urls", profile->max_urls_per_request);
          profile->max_flex_items_per_request =
              api::json_integer_field(plan, "max_flex", profile->max_flex_items_per_request);
        }
        s.plan = std::move(profile);
      }
      s.batch_size = api::json_integer_field(j, "batch_size", std::size_t{0});
      s.zone_concurrency = api::json_integer_field(j, "zone_concurrency", 3);
      s.dry_run = j.value("dry_run", false);
      return s;
    } catch (const std::exception& e) {  // json::exception, or std::invalid_argument from json_integer_field
      return Error::make(ErrorKind::journal, std::string("bad cache.purge spec: ") + e.what());
    }
  }
};

/// One thing to purge: a URL (with headers), a tag, a host, a prefix — or, for `everything`, the zone itself.
struct PurgeItem {
  std::string text;    ///< the URL, tag, host or prefix
  HeaderList headers;  ///< cache-key headers (URLs only)
};

/// Parses one input record for @p kind. Files may be plain URLs or `{"url": …, "headers": {…}}` objects.
inline Result<std::optional<PurgeItem>> parse_purge_record(const io::Record& record, io::RecordFormat format,
                                                           const std::string& source, api::purge::Kind kind) {
  using api::purge::Kind;
  auto fail = [&](const std::string& what) {
    return Error::make(ErrorKind::invalid_input, fmt::format("{}:{}: {}", source, record.line, what));
  };
  if (kind == Kind::files) {
    std::string_view text = api::trim_blanks(record.text);
    if (text.starts_with("{")) {
      json j = api::parse_json_or_discarded(text);
      if (j.is_discarded() || !j.is_object() || !j.contains("url") || !j["url"].is_string())
        return fail("expected {\"url\": \"…\", \"headers\": {…}}");
      PurgeItem item{j["url"].get<std::string>(), {}};
      if (auto e = api::validate_purge_url(item.text)) return fail(e->message);
      if (auto h = j.find("headers"); h != j.end()) {
        if (!h->is_object()) return fail("\"headers\" must be an object of strings");
        for (auto& [k, v] : h->items()) {
          if (!v.is_string()) return fail("header " + k + " must be a string");
          item.headers.emplace_back(k, v.get<std::string>());
        }
      }
      return std::optional<PurgeItem>(std::move(item));
    }
  }
  ItemValidator validate;
  switch (kind) {
    case Kind::files: validate = [](std::string_view s) { return api::validate_purge_url(s); }; break;
    case Kind::tags: validate = [](std::string_view s) { return api::validate_cache_tag(s); }; break;
    case Kind::hosts: validate = [](std::string_view s) { return api::validate_purge_host(s); }; break;
    case Kind::prefixes: validate = [](std::string_view s) { return api::validate_purge_prefix(s); }; break;
    case Kind::everything: return fail("purge everything takes no items");
  }
  auto text = text_item(record, format, source, TextRules::list_file(), validate);
  if (!text) return std::move(text).error();
  if (!text->has_value()) return std::optional<PurgeItem>{};
  return std::optional<PurgeItem>(PurgeItem{std::move(**text), {}});
}

/// The host an item is about (for routing to a zone); empty for tags.
inline std::string purge_item_host(api::purge::Kind kind, const PurgeItem& item) {
  using api::purge::Kind;
  switch (kind) {
    case Kind::files: {
      auto url = api::parse_url(item.text);
      return url ? url->host : std::string{};
    }
    case Kind::hosts: return api::ascii_lower(item.text);
    case Kind::prefixes: return api::ascii_lower(item.text.substr(0, item.text.find('/')));
    default: return {};
  }
}

/// Purges the items of an input, or everything, across zones (see the file's comment).
///
/// Errors: stops with invalid_input (naming `file:line`) when any item is invalid or has no zone — before a single
/// purge is sent — or when tags / everything come without a zone; with journal when a resume does not match; with
/// the API's error when finding zones or a batch fails fatally. Items the API refuses one by one end in
/// OpReport::failures (status partial).
///
/// Example:
/// ```
/// ckp::ops::PurgeSpec spec;
/// spec.kind = ckp::api::purge::Kind::files;
/// spec.account_id = account;                  // zones are found from the URLs' hosts
/// // spec.plan = ckp::api::PlanProfile::pro();   // unset: each zone's own plan
/// auto urls = ckp::io::FileReader::open("changed-urls.txt");
/// if (!urls) return fail(urls.error());
/// ckp::ops::Purge op(scheduler, spec, ckp::io::open_records(std::move(*urls)));
/// ckp::ops::OpReport report = ckp::ops::run(http, op);
/// ```
class Purge final : public StreamingOp {
 public:
  /// @p items is the input (null for `everything`).
  Purge(engine::Scheduler& scheduler, PurgeSpec spec, std::unique_ptr<io::RecordSource> items, OpOptions options = {})
      : StreamingOp(PurgeSpec::op_name, scheduler, std::move(options)), spec_(std::move(spec)),
        items_(std::move(items)) {
    report_.dry_run = spec_.dry_run;
    report_.spec = spec_.to_json();
  }

 protected:
  std::optional<Error> check_spec() const override {
    if (auto e = spec_.validate()) return e->to_error(options_.name_field);
    if (spec_.kind != api::purge::Kind::everything && !items_)
      return Error::make(ErrorKind::invalid_input, "nothing to purge");
    return std::nullopt;
  }

  void begin() override {
    if (spec_.zones.empty()) {
      phase_ = "finding zones";
      ZoneDirectory::fetch(scheduler_, spec_.account_id, [this](Result<ZoneDirectory> dir) {
        if (!dir) return stop(dir.error());
        directory_ = std::move(*dir);
        route_by_directory_ = true;
        start_purging();
      });
    } else {
      directory_ = ZoneDirectory(spec_.zones);
      start_purging();
    }
  }

  /// Room while some zone can take more and the items held in memory stay under a bound: a zone whose plan is
  /// slower (a Free zone next to an Enterprise one) must not hold back the reading of the others' items.
  bool has_room() const override {
    std::size_t held = 0;
    // A zone with items but no runner yet; no zone at all (no items): room, so that the reader finds the end.
    bool some_room = runners_.size() < per_zone_.size() || per_zone_.empty();
    for (const auto& [zone, runner] : runners_) {
      held += runner->pending_bytes();
      some_room = some_room || runner->can_accept();
    }
    return some_room && held < max_held_bytes;
  }
  void on_input_end() override {
    for (auto& [zone, runner] : runners_) runner->finish_input();
  }

  bool work_finished() const override {
    if (!started_purging_) return false;
    if (dry_run_done_) return true;
    if (items_counted_ && !input_done()) return false;
    for (const auto& [zone, runner] : runners_)
      if (!runner->idle()) return false;
    return gate_waiting_.empty();
  }
  std::string phase() const override { return phase_; }
  std::optional<std::uint64_t> total() const override { return total_; }
  void on_finalize() override {
    StreamingOp::on_finalize();
    json zones = json::array();
    for (const auto& [id, n] : per_zone_) {
      auto z = directory_.find(id);
      const auto pace = pace_.find(id);
      const std::size_t cap = pace == pace_.end() ? 1 : pace->second.cap;
      zones.push_back({{"id", id},
                       {"name", z ? z->name : ""},
                       {"plan", pace == pace_.end() ? "" : pace->second.plan.name},
                       {"per_request", cap},
                       {"items", n},
                       {"requests", (n + cap - 1) / cap}});
    }
    report_.extra["zones"] = zones;
    report_.extra["duplicates"] = duplicates_;
    if (!pace_notes_.empty()) report_.extra["notes"] = pace_notes_;
  }

  std::optional<Error> on_record(const io::Record& record, SegmentId segment) override {
    auto item = read_item(record, records());
    if (!item) return std::move(item).error();
    if (!item->has_value()) return std::nullopt;
    ++report_.scanned;
    if (is_repeat(**item)) {
      ++duplicates_;
      return std::nullopt;
    }
    auto zones = route(**item);
    if (!zones) return std::move(zones).error();
    add_sample((*item)->text);
    for (const auto& z : *zones) {
      take(segment);
      runner_for(z).push(**item, segment);
    }
    return std::nullopt;
  }

 private:
  using Runner = engine::BatchRunner<PurgeItem>;
  /// Items read but not yet purged, across zones (has_room()).
  static constexpr std::size_t max_held_bytes = 64u << 20;

  /// How a zone is paced: its plan, that plan's purge buckets in the governor, and items per request now.
  struct ZonePace {
    api::PlanProfile plan;
    std::size_t bucket = 0;  ///< engine::Cost::plan
    std::size_t cap = 1;     ///< items per request: the plan's, or --batch-size, or what the API said
  };

  /// The item of @p record of @p src, with the spec's headers added; nullopt for a blank or comment line.
  Result<std::optional<PurgeItem>> read_item(const io::Record& record, const io::RecordSource& src) const {
    auto item = parse_purge_record(record, src.format(), src.name(), spec_.kind);
    if (item && item->has_value())
      for (const auto& [k, v] : spec_.headers) (*item)->headers.emplace_back(k, v);
    return item;
  }

  /// Items per request for @p plan: its cap for this kind, lowered by the spec's batch size.
  std::size_t cap_for(const api::PlanProfile& plan) const {
    std::size_t cap = api::purge::max_items(spec_.kind, plan);
    if (spec_.batch_size > 0) cap = std::min(cap, spec_.batch_size);
    return std::max<std::size_t>(1, cap);
  }

  void set_pace(const std::string& zone_id, const api::PlanProfile& plan) {
    pace_[zone_id] = ZonePace{plan, scheduler_.governor().plan_buckets(plan), cap_for(plan)};
  }

  /// The plan of each zone with items: the spec's for all, or the zone's own (from the directory, else
  /// `GET /zones/{id}`); then purges. A zone whose plan cannot be read is paced as Enterprise and learns its caps
  /// from refusals.
  void find_plans() {
    std::vector<std::string> unknown;
    for (const auto& [id, n] : per_zone_) {
      const auto zone = directory_.find(id);
      if (spec_.plan) set_pace(id, *spec_.plan);
      else if (auto plan = api::PlanProfile::named(zone ? zone->plan : "")) set_pace(id, *plan);
      else unknown.push_back(id);
    }
    if (unknown.empty()) return purge_checked();
    phase_ = "reading the zones' plans";
    plans_pending_ = unknown.size();
    for (const auto& id : unknown) {
      scheduler_.submit(
          api::zones::get(id), engine::Cost::api_call(), api::zones::parse_get,
          [this, id](Result<api::zones::Zone> zone) {
            if (stopping()) return;
            std::optional<api::PlanProfile> plan;
            if (zone) plan = api::zones::purge_plan(*zone);
            else if (zone.error().kind != ErrorKind::authentication && zone.error().kind != ErrorKind::not_found)
              return stop(zone.error());
            if (!plan) {
              // A token allowed to purge but not to read zones, or a plan this tool does not know.
              pace_notes_.push_back(
                  fmt::format("zone {}: its plan could not be read ({}); paced as Enterprise, caps learned from "
                              "the API",
                              id, zone ? "no known plan in its zone object" : zone.error().message));
              plan = api::PlanProfile::enterprise();
            }
            set_pace(id, *plan);
            if (--plans_pending_ == 0) purge_checked();
          });
    }
  }

  /// Cloudflare said a request of @p zone_id may carry at most @p cap items: every zone of that plan (its limits
  /// are the plan's) re-cuts what it has pending to that size.
  void lower_cap(const std::string& zone_id, std::size_t cap) {
    const std::string plan = pace_.at(zone_id).plan.name;
    bool lowered = false;
    for (auto& [id, pace] : pace_) {
      if (pace.plan.name != plan || pace.cap <= cap) continue;
      pace.cap = cap;
      lowered = true;
      if (auto r = runners_.find(id); r != runners_.end()) r->second->limit_batch_size(cap);
    }
    if (lowered)
      pace_notes_.push_back(fmt::format("the API allows {} {} per request on the {} plan; requests re-cut to that", cap,
                                        api::purge::field_name(spec_.kind), plan));
  }

  /// The identity of @p item for duplicate detection: its text (a host in lower case) and its headers.
  std::string identity(const PurgeItem& item) const {
    std::string id = spec_.kind == api::purge::Kind::hosts ? api::ascii_lower(item.text) : item.text;
    auto headers = item.headers;
    std::sort(headers.begin(), headers.end());
    for (const auto& [k, v] : headers) id += '\0' + api::ascii_lower(k) + '\0' + v;
    return id;
  }
  /// FNV-1a, 64 bits on every platform (std::hash is 32 bits in WebAssembly).
  static std::uint64_t fingerprint(std::string_view s) {
    std::uint64_t h = 14695981039346656037ull;
    for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
    return h;
  }
  /// Whether @p item was seen before in this pass. Only items whose fingerprint occurred twice in the checking pass
  /// (repeats_) are kept in full, so memory stays with the duplicates, not the input.
  bool is_repeat(const PurgeItem& item) {
    if (repeats_.empty()) return false;
    std::string id = identity(item);
    if (!std::binary_search(repeats_.begin(), repeats_.end(), fingerprint(id))) return false;
    return !seen_.insert(std::move(id)).second;
  }

  /// Which zones an item goes to, or an Error naming the item.
  Result<std::vector<std::string>> route(const PurgeItem& item) const {
    using api::purge::Kind;
    if (spec_.kind == Kind::tags || spec_.kind == Kind::everything) {
      std::vector<std::string> ids;
      for (const auto& z : directory_.zones()) ids.push_back(z.id);
      return ids;
    }
    const std::string host = purge_item_host(spec_.kind, item);
    if (auto z = directory_.zone_for_host(host)) return std::vector<std::string>{z->id};
    // An explicit single zone whose name we do not know takes everything.
    if (!route_by_directory_ && directory_.zones().size() == 1 && directory_.zones().front().name.empty())
      return std::vector<std::string>{directory_.zones().front().id};
    std::string names;
    for (const auto& z : directory_.zones()) names += (names.empty() ? "" : ", ") + z.name;
    return Error::make(ErrorKind::invalid_input,
                       fmt::format("{} is not in {} ({}); check the URL or {}",
                                   api::detail::quote_short(item.text, 120),
                                   route_by_directory_ ? "any zone of this account" : "the given zones",
                                   names.empty() ? "no zones" : names, field_name("zones")));
  }

  /// Validates and routes the whole input before anything is sent (repeats counted once), then finds the plans.
  void start_purging() {
    phase_ = "checking input";
    if (spec_.kind == api::purge::Kind::everything) {
      for (const auto& z : directory_.zones()) per_zone_[z.id] = 1;
      total_ = directory_.zones().size();
      return find_plans();
    }
    auto& src = *items_;
    std::uint64_t count = 0;
    // (fingerprint, where it goes: its one zone's index in the directory, or every zone) of every item: sorted
    // afterwards to find repeats, which come off the counts.
    constexpr std::uint32_t every_zone = UINT32_MAX;
    std::unordered_map<std::string, std::uint32_t> slot;
    for (std::uint32_t i = 0; i < directory_.zones().size(); ++i) slot.emplace(directory_.zones()[i].id, i);
    std::vector<std::pair<std::uint64_t, std::uint32_t>> prints;
    while (auto record = src.next()) {
      auto item = read_item(*record, src);
      if (!item) return stop(std::move(item).error());
      if (!item->has_value()) continue;
      auto zones = route(**item);
      if (!zones) {
        Error e = std::move(zones).error();
        e.message = fmt::format("{}:{}: {}", src.name(), record->line, e.message);
        return stop(e);
      }
      prints.emplace_back(fingerprint(identity(**item)), zones->size() == 1 ? slot.at(zones->front()) : every_zone);
      for (const auto& z : *zones) ++per_zone_[z];
      count += zones->size();
    }
    if (src.error()) return stop(*src.error());
    if (prints.empty())  // only blank lines and comments: as when no item is given at all
      return stop(Error::make(ErrorKind::invalid_input, fmt::format("nothing to purge: {} has no items", src.name())));
    if (auto e = io::rewind(src)) return stop(*e);
    // An item repeated goes once: take repeats off the counts (by fingerprint; the purging pass compares in full).
    std::sort(prints.begin(), prints.end());
    items_read_ = prints.size();
    for (std::size_t i = 1; i < prints.size(); ++i) {
      if (prints[i].first != prints[i - 1].first) continue;
      if (repeats_.empty() || repeats_.back() != prints[i].first) repeats_.push_back(prints[i].first);
      if (spec_.dry_run) ++duplicates_;  // a real run counts the repeats it drops (on_record)
      if (prints[i].second != every_zone) {
        --per_zone_[directory_.zones()[prints[i].second].id];
        --count;
      } else {
        for (const auto& z : directory_.zones()) --per_zone_[z.id];
        count -= directory_.zones().size();
      }
    }
    prints = {};
    total_ = count;
    find_plans();
  }

  /// The input is checked and every zone's pace known: purges it (or, in a dry run, counts it).
  void purge_checked() {
    started_purging_ = true;
    phase_ = "purging";
    if (spec_.kind == api::purge::Kind::everything) return purge_everything();
    auto& src = *items_;
    if (spec_.dry_run) {
      report_.done = *total_;
      while (auto record = src.next()) {
        auto item = read_item(*record, src);
        if (item && item->has_value()) add_sample((*item)->text);
        if (report_.samples.size() >= options_.samples) break;
      }
      report_.scanned = items_read_;
      // Nothing is read further in a dry run: the input is consumed.
      dry_run_done_ = true;
      return maybe_finish();
    }
    items_counted_ = true;
    read_records(std::move(items_));
  }

  /// `everything`: one purge per zone, one segment for all of them.
  void purge_everything() {
    if (spec_.dry_run) {
      for (const auto& z : directory_.zones()) add_sample(z.name.empty() ? z.id : z.name), add_done();
      dry_run_done_ = true;
      return maybe_finish();
    }
    const auto segment = watermark_.open(json{{"end", true}});
    for (const auto& z : directory_.zones()) {
      auto& runner = runner_for(z.id);
      take(segment);
      runner.push(PurgeItem{z.name.empty() ? z.id : z.name, {}}, segment);
      runner.finish_input();
    }
    close(segment);
    maybe_finish();
  }

  Runner& runner_for(const std::string& zone_id) {
    auto it = runners_.find(zone_id);
    if (it != runners_.end()) return *it->second;
    auto h = settling_hooks<PurgeItem>([](const PurgeItem& i) { return i.text; },
                                       [this](const PurgeItem& i, std::uint64_t segment, const Error* failure) {
                                         if (failure) settle_failed(segment, i.text, *failure);
                                         else settle_done(segment);
                                       });
    h.bytes = [](const PurgeItem& i) {
      std::size_t n = sizeof(PurgeItem) + i.text.size();
      for (const auto& [k, v] : i.headers) n += k.size() + v.size() + 2 * sizeof(std::string);
      return n;
    };
    h.send = [this, zone_id](const std::vector<PurgeItem>& items, std::function<void(engine::BatchOutcome)> done) {
      gate_send(zone_id,
                [this, zone_id, items, done = std::move(done)]() mutable { send(zone_id, items, std::move(done)); });
    };
    // 32 pending batches per zone (≤ 31 purges in flight): enough for an enterprise zone's 50 flex purges per second
    // at RTTs up to 620 ms, while the plan's bucket, paced by the governor, decides the rate. Measured in
    // benchmarks/sim/concurrency_sweep.cpp: 4 capped enterprise tag purges at ~1/9 of this throughput; 64 gained
    // nothing in steady state but let a 100-call burst outrun any adaptive start.
    auto runner =
        std::make_unique<Runner>(Runner::Config{pace_.at(zone_id).cap, SIZE_MAX, 32, 16u << 20, 1}, std::move(h));
    auto& ref = *runner;
    runners_.emplace(zone_id, std::move(runner));
    return ref;
  }

  void send(const std::string& zone_id, const std::vector<PurgeItem>& items,
            std::function<void(engine::BatchOutcome)> done) {
    using api::purge::Kind;
    api::Request request;
    const std::size_t bucket = pace_.at(zone_id).bucket;
    engine::Cost cost = engine::Cost::flex_purge(bucket);
    if (spec_.kind == Kind::files) {
      std::vector<api::purge::File> files;
      for (const auto& i : items) files.push_back({i.text, i.headers});
      request = api::purge::files(zone_id, files);
      cost = engine::Cost::url_purge(files.size(), bucket);
    } else if (spec_.kind == Kind::everything) {
      request = api::purge::everything(zone_id);
    } else {
      std::vector<std::string> texts;
      for (const auto& i : items) texts.push_back(i.text);
      request = api::purge::flex(zone_id, spec_.kind, texts);
    }
    // A batch that waited in the scheduler's queue while the API said it takes fewer items is not sent: it comes
    // back to the runner, which re-cuts it (its size is now above the runner's batch size).
    engine::SubmitOptions options;
    options.before_send = [this, zone_id, n = items.size()]() -> std::optional<Error> {
      if (n <= pace_.at(zone_id).cap) return std::nullopt;
      return Error::make(ErrorKind::too_large,
                         fmt::format("re-cut to the {} items per request the API allows", pace_.at(zone_id).cap));
    };
    scheduler_.submit(
        std::move(request), cost, api::purge::parse,
        [this, zone_id, done = std::move(done)](Result<std::string> id) {
          gate_done(zone_id);
          if (!id) {
            // Re-cut what is pending before the runner sees the refusal (it re-cuts this batch too).
            if (auto cap = api::purge::stated_cap(id.error()); cap && *cap < pace_.at(zone_id).cap)
              lower_cap(zone_id, *cap);
            return done({id.error(), {}});
          }
          done({});
        },
        std::move(options));
  }

  /// Zone concurrency: a zone may send when it already has purges in flight or fewer than the limit do.
  void gate_send(const std::string& zone, std::function<void()> fn) {
    if (active_.count(zone) || static_cast<int>(active_.size()) < std::max(1, spec_.zone_concurrency)) {
      ++active_[zone];
      fn();
    } else {
      gate_waiting_.emplace_back(zone, std::move(fn));
    }
  }
  void gate_done(const std::string& zone) {
    if (--active_[zone] == 0) active_.erase(zone);
    while (!gate_waiting_.empty()) {
      auto& [z, fn] = gate_waiting_.front();
      if (!active_.count(z) && static_cast<int>(active_.size()) >= std::max(1, spec_.zone_concurrency)) break;
      ++active_[z];
      auto run = std::move(fn);
      gate_waiting_.pop_front();
      run();
    }
  }

  PurgeSpec spec_;
  std::unique_ptr<io::RecordSource> items_;
  ZoneDirectory directory_;
  bool route_by_directory_ = false;
  bool started_purging_ = false;
  bool items_counted_ = false;
  bool dry_run_done_ = false;
  std::string phase_ = "starting";
  std::optional<std::uint64_t> total_;
  std::map<std::string, std::unique_ptr<Runner>> runners_;
  std::map<std::string, std::uint64_t> per_zone_;
  std::map<std::string, int> active_;
  std::map<std::string, ZonePace> pace_;
  std::size_t plans_pending_ = 0;
  std::vector<std::string> pace_notes_;
  std::vector<std::uint64_t> repeats_;    // sorted fingerprints that occur more than once in the input
  std::unordered_set<std::string> seen_;  // identities of items with such a fingerprint, as purged
  std::uint64_t duplicates_ = 0;
  std::uint64_t items_read_ = 0;  // items in the input, repeats included
  std::deque<std::pair<std::string, std::function<void()>>> gate_waiting_;
};

}  // namespace ckp::ops
