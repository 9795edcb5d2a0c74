#include "cli/jobs.hpp"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <random>

#include <fmt/format.h>

#include "cli/config_file.hpp"

namespace ckp::cli {

namespace {
std::string now_stamp(const char* format) {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, format, &tm);
  return buf;
}

/// The modification time of @p path, or 0 when it cannot be read.
std::time_t modified_at(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? st.st_mtime : 0;
}

/// The ids of the journal files (`<id>.jsonl`) in @p dir.
std::vector<std::string> job_ids(const std::string& dir) {
  std::vector<std::string> ids;
  DIR* d = opendir(dir.c_str());
  if (!d) return ids;
  while (dirent* e = readdir(d)) {
    std::string name = e->d_name;
    if (name.size() > 6 && name.ends_with(".jsonl")) ids.push_back(name.substr(0, name.size() - 6));
  }
  closedir(d);
  return ids;
}

/// What a job acts on, from its journal: the recorded target (or, for a journal without one, the API base URL its
/// note gives), and the namespace and zones of its spec.
nlohmann::json target_of(const engine::JournalState& st) {
  nlohmann::json t = nlohmann::json::object();
  if (st.target.is_object()) {
    if (st.target.contains("api_base_url")) t["api_base_url"] = st.target["api_base_url"];
    if (st.target.contains("account_id")) t["account_id"] = st.target["account_id"];
  }
  if (!t.contains("api_base_url"))
    for (const auto& note : st.notes)
      if (note.contains("job") && note["job"].is_object() && note["job"].contains("api_base_url"))
        t["api_base_url"] = note["job"]["api_base_url"];
  if (st.spec.is_object()) {
    if (!t.contains("account_id") && st.spec.contains("account_id")) t["account_id"] = st.spec["account_id"];
    if (auto ns = st.spec.find("namespace_id"); ns != st.spec.end() && ns->is_string() && !ns->empty())
      t["namespace_id"] = *ns;
    if (auto zones = st.spec.find("zones"); zones != st.spec.end() && zones->is_array()) {
      nlohmann::json out = nlohmann::json::array();
      for (const auto& z : *zones)
        if (z.is_object()) out.push_back({{"id", z.value("id", "")}, {"name", z.value("name", "")}});
        else if (z.is_string()) out.push_back({{"id", z}, {"name", ""}});
      if (!out.empty()) t["zones"] = out;
    }
  }
  return t;
}

}  // namespace

std::optional<std::int64_t> parse_duration(std::string_view text) {
  if (text.size() < 2) return std::nullopt;
  std::int64_t unit = 0;
  switch (text.back()) {
    case 's': unit = 1; break;
    case 'm': unit = 60; break;
    case 'h': unit = 3600; break;
    case 'd': unit = 86400; break;
    default: return std::nullopt;
  }
  const std::string_view digits = text.substr(0, text.size() - 1);
  if (digits.front() < '0' || digits.front() > '9') return std::nullopt;  // no sign, no blank
  std::int64_t n = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
  // At most about 1000 years: no overflow when multiplied, and anything beyond is a typo.
  if (ec != std::errc() || end != digits.data() + digits.size() || n > 366000LL * 86400 / unit) return std::nullopt;
  return n * unit;
}

Result<std::vector<std::string>> parse_prune_statuses(const std::vector<std::string>& values) {
  static const std::vector<std::string> every = {"completed", "partial", "aborted", "resumable", "unreadable"};
  std::vector<std::string> out;
  auto add = [&](const std::string& s) {
    if (std::find(out.begin(), out.end(), s) == out.end()) out.push_back(s);
  };
  for (const auto& value : values) {
    std::size_t start = 0;
    while (start <= value.size()) {
      const std::size_t comma = std::min(value.find(',', start), value.size());
      const std::string word = value.substr(start, comma - start);
      start = comma + 1;
      if (word == "all") {
        for (const auto& s : every) add(s);
      } else if (word == "finished") {
        for (const char* s : {"completed", "partial", "aborted"}) add(s);
      } else if (word == "interrupted") {
        add("resumable");
      } else if (std::find(every.begin(), every.end(), word) != every.end()) {
        add(word);
      } else {
        return Error::make(ErrorKind::invalid_input,
                           fmt::format("--status '{}' is not one of completed, partial, aborted, resumable (or "
                                       "interrupted), unreadable, finished (completed, partial and aborted), all",
                                       word));
      }
    }
  }
  return out;
}

std::vector<JobInfo> select_prunable(const std::vector<JobInfo>& jobs, const PruneCriteria& criteria, std::time_t now) {
  std::vector<JobInfo> out;
  for (const auto& j : jobs) {
    const bool status_ok =
        std::find(criteria.statuses.begin(), criteria.statuses.end(), j.status) != criteria.statuses.end();
    if (status_ok &&
        static_cast<std::int64_t>(now) - static_cast<std::int64_t>(j.modified) >= criteria.older_than_seconds)
      out.push_back(j);
  }
  return out;
}

std::string describe_target(const nlohmann::json& target) {
  std::string zones;
  std::size_t n = 0;
  if (auto z = target.find("zones"); z != target.end() && z->is_array()) {
    n = z->size();
    for (const auto& zone : *z) {
      if (!zones.empty()) zones += ", ";
      const std::string name = zone.value("name", "");
      zones += name.empty() ? zone.value("id", "") : name;
    }
  }
  const std::string ns = target.value("namespace_id", "");
  std::string out = ns.empty() ? "" : "namespace " + ns;
  if (n) {
    if (!out.empty()) out += " -> ";
    out += n == 1 ? "zone " + zones : fmt::format("{} zones: {}", n, zones);
  }
  return out.empty() ? "-" : out;
}

Result<std::pair<std::string, std::unique_ptr<io::FileJournalStore>>> JobStore::create(const std::string& op) {
  if (auto made = make_dirs(dir_); !made) return made.error();
  std::string name = op;
  std::replace(name.begin(), name.end(), '.', '-');
  std::random_device rd;
  std::string id = fmt::format("{}-{}-{:04x}", now_stamp("%Y%m%d-%H%M%S"), name, rd() & 0xFFFF);
  auto store = io::FileJournalStore::open(path_of(id));
  if (!store) return std::move(store).error();
  return std::make_pair(id, std::move(*store));
}

Result<OpenJob> JobStore::start(const std::string& op, const std::string& command_line,
                                const std::string& api_base_url) {
  auto created = create(op);
  if (!created) return std::move(created).error();
  OpenJob job{created->first, std::move(created->second), nullptr};
  job.journal = std::make_unique<engine::Journal>(*job.store);
  job.note = {{"job",
               {{"id", job.id},
                {"created", now_stamp("%Y-%m-%dT%H:%M:%SZ")},
                {"command", command_line},
                {"api_base_url", api_base_url}}}};
  return job;
}

Result<OpenJob> JobStore::resume(const JobInfo& info) const {
  auto store = reopen(info);
  if (!store) return std::move(store).error();
  OpenJob job{info.id, std::move(*store), nullptr};
  job.journal = std::make_unique<engine::Journal>(*job.store);
  return job;
}

void JobStore::discard(OpenJob job) const {
  const std::string path = path_of(job.id);
  job.journal.reset();
  job.store.reset();
  std::remove(path.c_str());
  std::remove(stdin_copy_beside(path).c_str());  // its copy of standard input, if it had one
}

JobInfo JobStore::read(const std::string& id) const {
  JobInfo info;
  info.id = id;
  info.path = path_of(id);
  info.modified = modified_at(info.path);
  io::JournalFileView view(info.path);
  auto st = engine::Journal::load(view);
  if (!st) {
    info.status = "unreadable";
    return info;
  }
  info.op = st->op;
  info.done = st->counters.done;
  info.failed = st->counters.failed;
  info.status = st->end_status.value_or("resumable");
  for (const auto& note : st->notes)
    if (note.contains("job")) {
      info.created = note["job"].value("created", info.created);
      info.command = note["job"].value("command", info.command);
    }
  info.target = target_of(*st);
  info.state = std::move(*st);
  return info;
}

std::vector<JobInfo> JobStore::list() const {
  std::vector<JobInfo> jobs;
  for (const auto& id : job_ids(dir_)) jobs.push_back(read(id));
  std::sort(jobs.begin(), jobs.end(), [](const JobInfo& a, const JobInfo& b) { return a.id > b.id; });
  return jobs;
}

Result<JobInfo> JobStore::find(const std::string& id) const {
  std::vector<JobInfo> matches;
  for (auto& j : list())
    if (j.id == id) return j;
    else if (j.id.rfind(id, 0) == 0) matches.push_back(j);
  if (matches.size() == 1) return matches.front();
  if (matches.empty())
    return Error::make(ErrorKind::invalid_input,
                       fmt::format("no job '{}' in {} (`cache-kv-purger jobs list` shows them)", id, dir_));
  return Error::make(ErrorKind::invalid_input,
                     fmt::format("'{}' matches {} jobs; give more of the id", id, matches.size()));
}

Status JobStore::remove(const JobInfo& job) const {
  if (std::remove(job.path.c_str()) != 0)
    return Error::make(ErrorKind::io, fmt::format("cannot remove {}: {}", job.path, std::strerror(errno)));
  std::remove(stdin_copy_beside(job.path).c_str());  // its copy of standard input, if it had one
  return Unit{};
}

std::vector<JobInfo> JobStore::expire_completed(int keep_days, std::time_t now) const {
  std::vector<JobInfo> removed;
  if (keep_days <= 0) return removed;
  const std::int64_t keep = static_cast<std::int64_t>(keep_days) * 86400;
  for (const auto& id : job_ids(dir_)) {
    // A stat first: only a file old enough is read (a big journal takes a while to load).
    const std::time_t modified = modified_at(path_of(id));
    if (modified == 0 || static_cast<std::int64_t>(now) - static_cast<std::int64_t>(modified) <= keep) continue;
    JobInfo job = read(id);
    if (job.status == "completed" && remove(job)) removed.push_back(std::move(job));
  }
  return removed;
}

Result<std::unique_ptr<io::FileJournalStore>> JobStore::reopen(const JobInfo& job) const {
  return io::FileJournalStore::open(job.path);
}

std::string masked_command_line(int argc, char** argv) {
  static const char* secret_flags[] = {"--api-token", "--api-key", "--token"};
  std::string out;
  bool mask_next = false;
  for (int i = 0; i < argc; ++i) {
    std::string arg = argv[i];
    if (mask_next) {
      arg = "***";
      mask_next = false;
    } else {
      for (const char* f : secret_flags) {
        if (arg == f) mask_next = true;
        else if (arg.rfind(std::string(f) + "=", 0) == 0) arg = std::string(f) + "=***";
      }
    }
    if (!out.empty()) out += ' ';
    out += arg.find_first_of(" \t'\"") == std::string::npos ? arg : "'" + arg + "'";
  }
  return out;
}

}  // namespace ckp::cli
