// Writing a Transport: a decorator that forwards to another transport, logs what goes through it, and loses some
// answers on the way back — the request reached the server and was applied, but the client sees a reset
// connection, as on a flaky network. The engine must retry those calls (every call it makes is idempotent) and
// still end with the exact result.
//
// Here the inner transport is the simulator (SimTransport in front of the emulator's server model), so the example
// runs in virtual time; wrapping HttplibTransport works the same way. It imports 25,000 pairs, exports them back,
// and compares. Exit code 0 when every check holds, 1 otherwise.
#include <ckp/emu/server.hpp>
#include <ckp/io/records.hpp>
#include <ckp/io/sink.hpp>
#include <ckp/ops/kv_export.hpp>
#include <ckp/ops/kv_import.hpp>
#include <ckp/transport/sim.hpp>
#include <ckp/transport/transport.hpp>

#include <array>
#include <chrono>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <sstream>
#include <string>

#include "check.hpp"  // check(ok, what): prints ok/FAIL, counts failures

namespace {

constexpr const char* token = "sim-token";
constexpr const char* account = "0123456789abcdef0123456789abcdef";

/// A Transport needs three members: now(), send(request, on_response) and after(delay, fn). Each handler must be
/// called exactly once, on the loop that runs the engine. This one forwards all three to @p Inner.
template <ckp::transport::Transport Inner>
class LossyLink {
 public:
  /// Loses the answer to every @p lose_every-th bulk call.
  LossyLink(Inner& inner, int lose_every) : inner_(inner), lose_every_(lose_every) {}

  ckp::Instant now() const { return inner_.now(); }

  void send(ckp::api::Request request, ckp::transport::ResponseHandler on_response) {
    const auto cls = request.request_class;
    ++sent_[static_cast<std::size_t>(cls)];
    const bool lose = cls == ckp::api::RequestClass::bulk && ++bulk_ % lose_every_ == 0;
    inner_.send(std::move(request), [this, lose, done = std::move(on_response)](ckp::api::Response response) {
      if (lose) {
        ++lost_;
        response = ckp::api::Response::failed(ckp::api::TransportFailure::reset, "answer lost by LossyLink");
      }
      done(std::move(response));
    });
  }

  void after(ckp::Duration delay, ckp::transport::TimerHandler fn) { inner_.after(delay, std::move(fn)); }

  /// Lets ops::run() drive the inner transport's loop (only needed when the inner transport has one).
  bool run_until(const std::function<bool()>& done) { return inner_.run_until(done); }

  int lost() const { return lost_; }
  /// Requests sent, by RequestClass.
  int sent(ckp::api::RequestClass cls) const { return sent_[static_cast<std::size_t>(cls)]; }

 private:
  Inner& inner_;
  int lose_every_;
  int bulk_ = 0;
  int lost_ = 0;
  std::array<int, 6> sent_{};
};

static_assert(ckp::transport::Transport<LossyLink<ckp::transport::SimTransport>>);

}  // namespace

int main() {
  using examples::check;
  using namespace std::chrono_literals;
  using ckp::api::RequestClass;

  ckp::emu::Config config;
  config.tokens = {{token, account}};
  config.latency = {.base = 50ms};
  ckp::emu::Server server(config);
  const std::string ns = server.create_namespace(account, "catalog");

  ckp::transport::SimTransport sim(server, {.token = token});
  LossyLink link(sim, 4);
  ckp::engine::Scheduler scheduler(link);  // the engine only ever sees the link

  // 25,000 pairs as NDJSON, one bulk-write object per line.
  std::map<std::string, nlohmann::json> pairs;
  std::string ndjson;
  for (int i = 0; i < 25'000; ++i) {
    char key[32];
    std::snprintf(key, sizeof key, "item/%05d", i);
    nlohmann::json pair{{"key", key}, {"value", "value " + std::to_string(i)}, {"metadata", {{"n", i}}}};
    ndjson += pair.dump() + "\n";
    pairs[key] = std::move(pair);
  }

  ckp::ops::KvImportSpec import_spec;
  import_spec.account_id = account;
  import_spec.namespace_id = ns;
  import_spec.input = "catalog.ndjson";
  import_spec.input_size = ndjson.size();
  import_spec.batch_size = 1000;  // 25 bulk writes
  auto input =
      std::make_unique<ckp::io::LineRecords>(std::make_unique<ckp::io::StringReader>(ndjson, import_spec.input));
  ckp::ops::KvImport import_op(scheduler, import_spec, std::move(input));
  const ckp::ops::OpReport imported = ckp::ops::run(link, import_op);
  std::printf("import: %s, %llu written, %llu retries, %d answers lost\n", ckp::ops::to_string(imported.status),
              static_cast<unsigned long long>(imported.done),
              static_cast<unsigned long long>(imported.requests.retries), link.lost());
  check(imported.status == ckp::ops::OpStatus::completed, "the import completes");
  check(imported.done == 25'000, "every pair is confirmed");
  check(link.lost() > 0, "the link lost some answers");
  check(imported.requests.retries >= static_cast<std::uint64_t>(link.lost()), "every lost answer was retried");
  check(server.key_count(ns, sim.now()) == 25'000, "the server holds 25,000 keys");

  // Export them back, into memory, and compare line by line.
  ckp::io::StringSink out;
  ckp::ops::KvExport export_op(scheduler,
                               {.account_id = account, .namespace_id = ns, .prefix = "item/", .output = "memory"}, out);
  const ckp::ops::OpReport exported = ckp::ops::run(link, export_op);
  if (exported.error) std::printf("export: %s\n", exported.error->message.c_str());
  check(exported.status == ckp::ops::OpStatus::completed, "the export completes");
  std::istringstream lines(out.str());
  std::size_t count = 0, equal = 0;
  for (std::string line; std::getline(lines, line); ++count) {
    const nlohmann::json got = nlohmann::json::parse(line);
    const auto it = pairs.find(got.value("key", ""));
    if (it != pairs.end() && got.value("value", "") == it->second["value"] && got["metadata"] == it->second["metadata"])
      ++equal;
  }
  check(count == 25'000 && equal == 25'000, "the export holds exactly what was imported");
  std::printf("requests: %d list, %d bulk, %d read\n", link.sent(RequestClass::list), link.sent(RequestClass::bulk),
              link.sent(RequestClass::read));
  return examples::failures == 0 ? 0 : 1;
}
