#include "cli/jobs.hpp"

#include <dirent.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
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
}  // namespace

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
}

JobInfo JobStore::read(const std::string& id) const {
  JobInfo info;
  info.id = id;
  info.path = path_of(id);
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
  info.state = std::move(*st);
  return info;
}

std::vector<JobInfo> JobStore::list() const {
  std::vector<JobInfo> jobs;
  DIR* d = opendir(dir_.c_str());
  if (!d) return jobs;
  while (dirent* e = readdir(d)) {
    std::string name = e->d_name;
    if (name.size() > 6 && name.ends_with(".jsonl")) jobs.push_back(read(name.substr(0, name.size() - 6)));
  }
  closedir(d);
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
