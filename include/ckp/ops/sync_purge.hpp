#pragma once
/// @file
/// Sync purge: find KV keys by metadata (a field's value, or a deep search), delete them, then purge the cache tags
/// they name — so that the cache cannot refill from stale KV entries.
///
/// Tags come from `--cache-tag` values, or from the selected keys' metadata (fields `cache-tag`, `cache-tags`,
/// `cacheTags`, `tag`, `tags`: a string, a comma-separated string, or an array), or are derived from the search
/// term. Tags are journaled *before* their keys are deleted: once a key is gone, nothing else remembers which tags
/// it named. A resume re-runs the delete (keys already deleted are simply not found again) and purges every tag
/// collected so far.

#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "ckp/ops/kv_delete.hpp"
#include "ckp/ops/purge.hpp"

namespace ckp::ops {

/// What to delete and purge. Serialized into the journal.
struct SyncPurgeSpec {
  std::string account_id;        ///< the account that owns the namespace
  std::string namespace_id;      ///< the namespace's id
  std::string prefix;            ///< only keys under this ("" = all)
  std::string search;            ///< deep metadata search, or
  /// a metadata field (`field`) and its value (`value`; "" = any)
  ///@{
  std::string field, value;
  ///@}
  std::vector<ZoneRef> zones;    ///< where to purge the tags
  std::vector<std::string> cache_tags;  ///< explicit tags (skips extraction)
  bool extract_tags = true;    ///< read tags from the selected keys' metadata (when no cache_tags are given)
  /// When no tag was found: besides the search term (or value) itself, also purge it with the suffixes the Go tool
  /// used (`-type-image`, `-file`, …).
  bool derived_tags = false;
  api::PlanProfile plan = api::PlanProfile::enterprise();  ///< purge caps and rates
  bool dry_run = false;        ///< count what would be deleted and purged; change nothing

  static constexpr const char* op_name = "sync.purge";  ///< OpReport::operation and the journal's `op`

  /// The spec as journaled.
  json to_json() const {
    json zs = json::array();
    for (const auto& z : zones) zs.push_back({{"id", z.id}, {"name", z.name}});
    return {{"account_id", account_id}, {"namespace_id", namespace_id}, {"prefix", prefix},
            {"search", search},         {"field", field},               {"value", value},
            {"zones", zs},              {"cache_tags", cache_tags},     {"extract_tags", extract_tags},
            {"derived_tags", derived_tags}, {"plan", plan.name},        {"dry_run", dry_run}};
  }
  /// Reads a journaled spec back; ErrorKind::journal when a field is missing or of the wrong type.
  static Result<SyncPurgeSpec> from_json(const json& j) {
    try {
      SyncPurgeSpec s;
      s.account_id = j.at("account_id");
      s.namespace_id = j.at("namespace_id");
      s.prefix = j.value("prefix", "");
      s.search = j.value("search", "");
      s.field = j.value("field", "");
      s.value = j.value("value", "");
      for (const auto& z : j.at("zones")) s.zones.push_back({z.at("id"), z.value("name", "")});
      s.cache_tags = j.value("cache_tags", std::vector<std::string>{});
      s.extract_tags = j.value("extract_tags", true);
      s.derived_tags = j.value("derived_tags", false);
      s.plan = api::PlanProfile::named(j.value("plan", "enterprise")).value_or(api::PlanProfile::enterprise());
      s.dry_run = j.value("dry_run", false);
      return s;
    } catch (const std::exception& e) {
      return Error::make(ErrorKind::journal, std::string("bad sync.purge spec in journal: ") + e.what());
    }
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
      auto piece = detail::trim(std::string_view(text).substr(start, comma == std::string::npos ? std::string::npos : comma - start));
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
/// Errors: stops with invalid_input without a selector or a zone, or for an invalid tag; otherwise as KvDelete,
/// then as Purge.
///
/// Example:
/// ```
/// ckp::ops::SyncPurgeSpec spec;
/// spec.account_id = account;
/// spec.namespace_id = ns;
/// spec.field = "product";
/// spec.value = "42";
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
  }

 protected:
  void begin() override {
    if (spec_.search.empty() && spec_.field.empty())
      return stop(Error::make(ErrorKind::invalid_input, "sync purge needs --search or --tag-field"));
    if (spec_.zones.empty()) return stop(Error::make(ErrorKind::invalid_input, "sync purge needs a --zone"));
    for (const auto& t : spec_.cache_tags)
      if (auto e = api::validate_cache_tag(t)) return stop(*e);
    if (options_.resume) {
      if (auto e = check_same_spec(*options_.resume, SyncPurgeSpec::op_name, spec_.to_json())) return stop(*e);
      for (const auto& note : options_.resume->notes)
        if (note.contains("tags"))
          for (const auto& t : note["tags"]) tags_.insert(t.get<std::string>());
    } else if (options_.journal && !spec_.dry_run) {
      options_.journal->begin(SyncPurgeSpec::op_name, spec_.to_json());
    }
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
    d.prefix = spec_.prefix;
    d.selector = spec_.search.empty() ? KvDeleteSpec::Selector::metadata : KvDeleteSpec::Selector::search;
    d.field = spec_.field;
    d.value = spec_.value;
    d.search = spec_.search;
    d.dry_run = spec_.dry_run;
    delete_ = std::make_unique<KvDelete>(scheduler_, d, sub_options());
    delete_->before_delete([this](const std::vector<api::kv::Key>& keys) {
      if (!spec_.cache_tags.empty() || !spec_.extract_tags) return;
      std::vector<std::string> fresh;
      for (const auto& k : keys)
        for (auto& t : tags_in_metadata(k.metadata))
          if (tags_.insert(t).second) fresh.push_back(t);
      if (!fresh.empty() && options_.journal && !spec_.dry_run) options_.journal->note(json{{"tags", fresh}});
    });
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
      const std::string& base = spec_.search.empty() ? spec_.value : spec_.search;
      if (!base.empty()) {
        tags_.insert(base);
        if (spec_.derived_tags) {
          const std::vector<std::string> suffixes = spec_.search.empty()
                                                        ? std::vector<std::string>{"-type-image", "-file"}
                                                        : std::vector<std::string>{"-type-image", "-type-file", "-file", "-path"};
          for (const auto& s : suffixes) tags_.insert(base + s);
        }
      }
    }
    phase_ = "purging tags";
    std::string text;
    for (const auto& t : tags_) text += t + "\n";
    PurgeSpec p;
    p.kind = api::purge::Kind::tags;
    p.account_id = spec_.account_id;
    p.zones = spec_.zones;
    p.plan = spec_.plan;
    p.dry_run = spec_.dry_run;
    p.input = "<collected tags>";
    purge_ = std::make_unique<Purge>(scheduler_, p,
                                     std::make_unique<engine::LineRecords>(
                                         std::make_unique<engine::StringReader>(text, "<collected tags>")),
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
    return o;
  }

  SyncPurgeSpec spec_;
  std::set<std::string> tags_;
  std::unique_ptr<KvDelete> delete_;
  std::unique_ptr<Purge> purge_;
  std::string phase_ = "starting";
  std::uint64_t keys_deleted_ = 0;
  std::uint64_t tags_purged_ = 0;
};

}  // namespace ckp::ops
