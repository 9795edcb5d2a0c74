#pragma once
/// @file
/// Sync purge: find KV keys by metadata (a field's value, or a deep search), delete them, then purge the cache tags
/// they name — so that the cache cannot refill from stale KV entries.
///
/// Tags come from `--cache-tag` values, or from the selected keys' metadata (fields `cache-tag`, `cache-tags`,
/// `cacheTags`, `tag`, `tags`: a string, a comma-separated string, or an array), or are derived from the search
/// term. Tags are checked and journaled *before* their keys are deleted: once a key is gone, nothing else remembers
/// which tags it named. A key whose metadata names a tag Cloudflare would refuse is kept (reported failed, with the
/// tag), so that its cache can still be purged once the tag is fixed. A resume re-runs the delete (keys already
/// deleted are simply not found again) and purges every tag collected so far.

#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "ckp/ops/key_selection.hpp"
#include "ckp/ops/kv_delete.hpp"
#include "ckp/ops/purge.hpp"
#include "ckp/ops/text_input.hpp"

namespace ckp::ops {

/// What to delete and purge. Serialized into the journal.
struct SyncPurgeSpec {
  std::string account_id;    ///< the account that owns the namespace
  std::string namespace_id;  ///< the namespace's id
  /// Which keys: a metadata search or field (at least one), optionally narrowed by prefix and name pattern — every
  /// filter given must match, as for a delete (key_selection.hpp).
  KeySelection select;
  std::vector<ZoneRef> zones;           ///< where to purge the tags
  std::vector<std::string> cache_tags;  ///< explicit tags (skips extraction)
  bool extract_tags = true;             ///< read tags from the selected keys' metadata (when no cache_tags are given)
  /// When no tag was found: besides the search term (or value) itself, also purge it with the suffixes the Go tool
  /// used (`-type-image`, `-file`, …).
  bool derived_tags = false;
  std::optional<api::PlanProfile> plan;  ///< purge caps and rates for every zone; unset: each zone's own plan
  bool dry_run = false;                  ///< count what would be deleted and purged; change nothing

  static constexpr const char* op_name = "sync.purge";  ///< OpReport::operation and the journal's `op`

  /// The spec as journaled.
  json to_json() const {
    json zs = json::array();
    for (const auto& z : zones) zs.push_back({{"id", z.id}, {"name", z.name}});
    json j{{"account_id", account_id}, {"namespace_id", namespace_id}};
    select.write(j);
    j["zones"] = zs;
    j["cache_tags"] = cache_tags;
    j["extract_tags"] = extract_tags;
    j["derived_tags"] = derived_tags;
    j["plan"] = plan ? json(plan->name) : json(nullptr);
    j["dry_run"] = dry_run;
    return j;
  }
  /// Reads a journaled spec back; ErrorKind::journal when a field is missing or of the wrong type.
  static Result<SyncPurgeSpec> from_json(const json& j) {
    try {
      SyncPurgeSpec s;
      s.account_id = j.at("account_id");
      s.namespace_id = j.at("namespace_id");
      s.select = KeySelection::read(j);
      for (const auto& z : j.at("zones")) s.zones.push_back({z.at("id"), z.value("name", ""), ""});
      s.cache_tags = j.value("cache_tags", std::vector<std::string>{});
      s.extract_tags = j.value("extract_tags", true);
      s.derived_tags = j.value("derived_tags", false);
      if (const json plan = j.value("plan", json(nullptr)); plan.is_string() && plan != "" && plan != "auto") {
        s.plan = api::PlanProfile::named(plan.get<std::string>());
        if (!s.plan) return Error::make(ErrorKind::journal, "unknown plan '" + plan.get<std::string>() + "'");
      }
      s.dry_run = j.value("dry_run", false);
      return s;
    } catch (const std::exception& e) {
      return Error::make(ErrorKind::journal, std::string("bad sync.purge spec in journal: ") + e.what());
    }
  }
  /// Checks the spec as a whole: a metadata selection, a zone, valid explicit tags.
  std::optional<SpecError> validate() const {
    if (account_id.empty()) return refuse({"account_id"}, "no account: {0} is empty");
    if (namespace_id.empty()) return refuse({"namespace_id"}, "no namespace: {0} is empty");
    if (!select.needs_metadata())
      return refuse({"search", "field"}, "sync purge selects keys by metadata: give {0} or {1}");
    if (auto e = select.validate(false)) return e;
    if (zones.empty()) return refuse({"zones"}, "sync purge needs a zone to purge the tags on ({0})");
    for (const auto& t : cache_tags)
      if (auto e = api::validate_cache_tag(t)) return refuse({"cache_tags"}, "{0}: " + e->message);
    return std::nullopt;
  }
};

/// The cache tags a key's metadata names (see the file comment for the fields read).
inline std::vector<std::string> tags_in_metadata(const json& metadata) {
  std::vector<std::string> tags;
  if (!metadata.is_object()) return tags;
  auto add_text = [&](const std::string& text) {
    std::size_t start = 0;
    while (start <= text.size()) {
      auto comma = text.find(',', start);
      auto piece = api::trim_blanks(
          std::string_view(text).substr(start, comma == std::string::npos ? std::string::npos : comma - start));
      if (!piece.empty()) tags.emplace_back(piece);
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  };
  for (const char* field : {"cache-tag", "cache-tags", "cacheTags", "tag", "tags"}) {
    auto it = metadata.find(field);
    if (it == metadata.end()) continue;
    if (it->is_string()) add_text(it->get<std::string>());
    else if (it->is_array())
      for (const auto& t : *it)
        if (t.is_string()) add_text(t.get<std::string>());
  }
  return tags;
}

/// Deletes the keys a SyncPurgeSpec selects, then purges their cache tags (see the file's comment). The report's
/// `extra` holds `keys_deleted`, `tags` and `tags_purged`.
///
/// Errors: stops with invalid_input for a spec that validate() refuses (no metadata selection, no zone, an invalid
/// explicit tag); otherwise as KvDelete, then as Purge.
///
/// Example:
/// ```
/// ckp::ops::SyncPurgeSpec spec;
/// spec.account_id = account;
/// spec.namespace_id = ns;
/// spec.select.field = "product";
/// spec.select.value = "42";
/// spec.zones = {{zone_id, "example.com"}};
/// ckp::ops::SyncPurge op(scheduler, spec);
/// ckp::ops::OpReport report = ckp::ops::run(http, op);
/// ```
class SyncPurge final : public Operation {
 public:
  /// A sync purge of @p spec through @p scheduler.
  SyncPurge(engine::Scheduler& scheduler, SyncPurgeSpec spec, OpOptions options = {})
      : Operation(SyncPurgeSpec::op_name, scheduler, std::move(options)), spec_(std::move(spec)) {
    report_.dry_run = spec_.dry_run;
    report_.spec = spec_.to_json();
  }

 protected:
  std::optional<Error> check_spec() const override {
    if (auto e = spec_.validate()) return e->to_error(options_.name_field);
    return std::nullopt;
  }
  void begin() override {
    if (options_.resume)
      for (const auto& note : options_.resume->notes)
        if (note.contains("tags") && note["tags"].is_array())
          for (const auto& t : note["tags"])
            if (t.is_string()) tags_.insert(t.get<std::string>());
    for (const auto& t : spec_.cache_tags) tags_.insert(t);
    start_delete();
  }
  bool work_finished() const override { return phase_ == "done"; }
  std::string phase() const override { return phase_; }
  void on_finalize() override {
    report_.extra["keys_deleted"] = keys_deleted_;
    report_.extra["tags"] = std::vector<std::string>(tags_.begin(), tags_.end());
    report_.extra["tags_purged"] = tags_purged_;
  }

 private:
  void start_delete() {
    phase_ = "deleting keys";
    KvDeleteSpec d;
    d.account_id = spec_.account_id;
    d.namespace_id = spec_.namespace_id;
    d.select = spec_.select;
    d.dry_run = spec_.dry_run;
    delete_ = std::make_unique<KvDelete>(scheduler_, d, sub_options());
    if (spec_.cache_tags.empty() && spec_.extract_tags) {
      // Every tag a key names is checked before the key may go, and journaled before any key of its page is sent.
      delete_->before_delete(
          [this](const api::kv::Key& key) -> std::optional<Error> {
            auto tags = tags_in_metadata(key.metadata);
            for (const auto& t : tags)
              if (auto e = api::validate_cache_tag(t))
                return Error::make(ErrorKind::invalid_input,
                                   "kept: its metadata names a cache tag that cannot be purged (" + e->message + ")");
            for (auto& t : tags)
              if (tags_.insert(t).second) fresh_.push_back(std::move(t));
            return std::nullopt;
          },
          [this] {
            if (!fresh_.empty()) journal_note(json{{"tags", fresh_}});
            fresh_.clear();
          });
    }
    delete_->on_finished = [this](const OpReport& r) {
      keys_deleted_ = r.done;
      report_.scanned = r.scanned;
      for (const auto& s : r.samples) add_sample(s);
      for (const auto& f : r.failures) add_failure(f.item, f.error);
      if (r.status == OpStatus::failed || r.status == OpStatus::cancelled) return stop(*r.error);
      // Purge after the deletes land, from the loop, not from inside the finishing operation.
      scheduler_.transport().after(Duration{0}, [this] { start_purge(); });
    };
    delete_->start();
  }

  void start_purge() {
    if (tags_.empty()) {
      // No tags named in metadata: derive them from the search term or value, as the Go tool did.
      const std::string& base = spec_.select.search.empty() ? spec_.select.value : spec_.select.search;
      if (auto e = base.empty() ? std::nullopt : api::validate_cache_tag(base)) {
        add_failure("tag " + base, Error::make(ErrorKind::invalid_input, "not purged: " + e->message));
      } else if (!base.empty()) {
        tags_.insert(base);
        if (spec_.derived_tags) {
          const std::vector<std::string> suffixes =
              spec_.select.search.empty() ? std::vector<std::string>{"-type-image", "-file"}
                                          : std::vector<std::string>{"-type-image", "-type-file", "-file", "-path"};
          for (const auto& s : suffixes) tags_.insert(base + s);
        }
      }
    }
    phase_ = "purging tags";
    // A JSON array, so that every tag is purged exactly as named (a line list would drop `#home` as a comment).
    const std::string text = json_array_text(std::vector<std::string>(tags_.begin(), tags_.end()));
    PurgeSpec p;
    p.kind = api::purge::Kind::tags;
    p.account_id = spec_.account_id;
    p.zones = spec_.zones;
    p.plan = spec_.plan;
    p.dry_run = spec_.dry_run;
    p.input = "<collected tags>";
    purge_ = std::make_unique<Purge>(scheduler_, p,
                                     std::make_unique<io::JsonArrayRecords>(
                                         std::make_unique<io::StringReader>(text, "<collected tags>")),
                                     sub_options());
    purge_->on_finished = [this](const OpReport& r) {
      tags_purged_ = r.done;
      for (const auto& f : r.failures) add_failure("tag " + f.item, f.error);
      if (r.status == OpStatus::failed || r.status == OpStatus::cancelled) return stop(*r.error);
      report_.done = keys_deleted_;
      phase_ = "done";
      scheduler_.transport().after(Duration{0}, [this] { maybe_finish(); });
    };
    if (tags_.empty()) {
      phase_ = "done";
      return maybe_finish();
    }
    purge_->start();
  }

  OpOptions sub_options() const {
    OpOptions o;
    o.cancel = options_.cancel;
    o.deadline = options_.deadline;
    o.progress_interval = options_.progress_interval;
    o.samples = options_.samples;
    o.name_field = options_.name_field;
    return o;
  }

  SyncPurgeSpec spec_;
  std::set<std::string> tags_;
  std::vector<std::string> fresh_;  // tags first seen on the page being admitted
  std::unique_ptr<KvDelete> delete_;
  std::unique_ptr<Purge> purge_;
  std::string phase_ = "starting";
  std::uint64_t keys_deleted_ = 0;
  std::uint64_t tags_purged_ = 0;
};

}  // namespace ckp::ops
