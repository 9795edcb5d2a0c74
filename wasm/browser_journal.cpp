// The localStorage journal store and the job catalogue built on it.
#include "browser_journal.hpp"

#include <algorithm>
#include <set>

#include "browser_storage.hpp"
#include "ckp/api/json_integer.hpp"
#include "ckp/api/json_parse.hpp"

namespace ckp::wasm {

namespace {

constexpr int max_chunks = 64;

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    auto nl = text.find('\n', start);
    std::string line = text.substr(start, nl == std::string::npos ? std::string::npos : nl - start);
    if (!line.empty()) out.push_back(std::move(line));
    if (nl == std::string::npos) break;
    start = nl + 1;
  }
  return out;
}

std::string join(const std::vector<std::string>& lines, std::size_t from = 0) {
  std::string out;
  for (std::size_t i = from; i < lines.size(); ++i) {
    if (i > from) out += '\n';
    out += lines[i];
  }
  return out;
}

}  // namespace

LocalStorageJournalStore::LocalStorageJournalStore(std::string job_id) : id_(std::move(job_id)) {
  auto head = api::parse_json_or_discarded(storage_get(key("head")).value_or("null"));
  if (!head.is_object()) return;
  // Browser storage is the user's to edit: read the counters without trusting their type.
  gen_ = api::json_integer<int>(head.value("gen", nlohmann::json())).value_or(0);
  chunks_ = api::json_integer<int>(head.value("chunks", nlohmann::json())).value_or(0);
  for (int k = 0; k < chunks_; ++k) {
    auto chunk = storage_get(key("g" + std::to_string(gen_) + "." + std::to_string(k)));
    if (!chunk) break;  // a chunk written without its head update never counts; a missing one ends the journal
    for (auto& line : split_lines(*chunk)) durable_.push_back(std::move(line));
  }
}

void LocalStorageJournalStore::sync() {
  if (pending_.empty()) return;
  if (chunks_ + 1 >= max_chunks) {
    durable_.insert(durable_.end(), pending_.begin(), pending_.end());
    pending_.clear();
    compact();
    return;
  }
  const bool ok = storage_set(key("g" + std::to_string(gen_) + "." + std::to_string(chunks_)), join(pending_)) &&
                  storage_set(key("head"), nlohmann::json{{"gen", gen_}, {"chunks", chunks_ + 1}}.dump());
  if (!ok) {
    healthy_ = false;
    return;  // keep the lines pending: a later sync may succeed once space is freed
  }
  ++chunks_;
  durable_.insert(durable_.end(), pending_.begin(), pending_.end());
  pending_.clear();
}

void LocalStorageJournalStore::compact() {
  const int next = gen_ + 1;
  if (!storage_set(key("g" + std::to_string(next) + ".0"), join(durable_)) ||
      !storage_set(key("head"), nlohmann::json{{"gen", next}, {"chunks", 1}}.dump())) {
    healthy_ = false;
    return;
  }
  for (int k = 0; k < chunks_; ++k) storage_remove(key("g" + std::to_string(gen_) + "." + std::to_string(k)));
  gen_ = next;
  chunks_ = 1;
}

std::vector<std::string> LocalStorageJournalStore::lines() const {
  std::vector<std::string> all = durable_;
  all.insert(all.end(), pending_.begin(), pending_.end());
  return all;
}

std::string job_key_prefix(const std::string& job_id) { return "ckp.job." + job_id + "."; }

nlohmann::json read_job_meta(const std::string& job_id) {
  auto meta = api::parse_json_or_discarded(storage_get(job_key_prefix(job_id) + "meta").value_or("null"));
  return meta.is_object() ? meta : nlohmann::json(nullptr);
}

bool write_job_meta(const std::string& job_id, const nlohmann::json& meta) {
  return storage_set(job_key_prefix(job_id) + "meta", meta.dump());
}

nlohmann::json list_jobs() {
  std::set<std::string> ids;
  for (const auto& k : storage_keys("ckp.job.")) {
    if (!k.ends_with(".meta")) continue;
    ids.insert(k.substr(8, k.size() - 8 - 5));
  }
  nlohmann::json out = nlohmann::json::array();
  for (const auto& id : ids) {
    nlohmann::json meta = read_job_meta(id);
    if (meta.is_null()) continue;
    LocalStorageJournalStore store(id);
    auto state = engine::Journal::load(store);
    if (state) {
      meta["journal"] = {{"op", state->op},
                         {"done", state->counters.done},
                         {"failed", state->counters.failed},
                         {"end_status",
                          state->end_status ? nlohmann::json(*state->end_status) : nlohmann::json(nullptr)},
                         {"has_watermark", state->resume.has_value()}};
    } else {
      meta["journal"] = {{"error", state.error().message}};
    }
    out.push_back(std::move(meta));
  }
  std::sort(out.begin(), out.end(), [](const nlohmann::json& a, const nlohmann::json& b) {
    return a.value("created", 0.0) > b.value("created", 0.0);
  });
  return out;
}

void forget_job(const std::string& job_id) {
  for (const auto& k : storage_keys(job_key_prefix(job_id))) storage_remove(k);
}

}  // namespace ckp::wasm
