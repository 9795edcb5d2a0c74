// Deletes every KV key under a prefix through a live API — Cloudflare, or the local emulator — with a progress line
// on stderr and graceful Ctrl-C, then checks the result. The test suite runs it against `cache-kv-purger emulator`
// (tests/docs/run_live_example.py).
//
// Usage: delete_by_prefix NAMESPACE_ID PREFIX EXPECTED_COUNT
//   with CLOUDFLARE_API_BASE_URL, CLOUDFLARE_API_TOKEN and CLOUDFLARE_ACCOUNT_ID in the environment.
// Exit code: the operation's (0 ok, 1 failure, 3 partial, 130 interrupted), or 1 when the result is not what was
// expected.
#include <ckp/ckp.hpp>
#include <ckp/ops/kv_delete.hpp>
#include <ckp/transport/httplib.hpp>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>

namespace {

// Ctrl-C asks the operation to stop: calls in flight land, then it finishes as `cancelled` (exit code 130).
// request_stop() is a store to a lock-free atomic, so calling it from a signal handler is fine; the operation
// notices it at its next progress tick.
ckp::engine::CancelToken cancel;
extern "C" void on_sigint(int) { cancel.request_stop(); }

std::string env(const char* name) {
  const char* value = std::getenv(name);
  return value ? value : "";
}

// Counts the keys left under @p prefix: a chain of list calls through the same Scheduler, one page at a time.
ckp::Result<std::uint64_t> count_keys(ckp::transport::HttplibTransport& http, ckp::engine::Scheduler& scheduler,
                                      const std::string& account, const std::string& ns, const std::string& prefix) {
  std::uint64_t count = 0;
  std::string cursor;
  for (;;) {
    std::optional<ckp::Result<ckp::api::kv::KeyPage>> page;
    scheduler.submit(ckp::api::kv::list_keys(account, ns, {.prefix = prefix, .cursor = cursor}),
                     ckp::engine::Cost::api_call(), ckp::api::kv::parse_keys,
                     [&page](ckp::Result<ckp::api::kv::KeyPage> p) { page.emplace(std::move(p)); });
    http.run_until([&page] { return page.has_value(); });
    if (!*page) return page->error();
    count += (*page)->keys.size();
    if ((*page)->last()) return count;
    cursor = (*page)->cursor;
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: %s NAMESPACE_ID PREFIX EXPECTED_COUNT\n", argv[0]);
    return 2;
  }
  const std::string account = env("CLOUDFLARE_ACCOUNT_ID");
  const std::uint64_t expected = std::stoull(argv[3]);

  // The transport: worker threads with keep-alive connections; credentials are added here, never in the engine.
  ckp::transport::HttplibTransport http(
      {.base_url = env("CLOUDFLARE_API_BASE_URL"), .credentials = {.token = env("CLOUDFLARE_API_TOKEN")}});
  // The scheduler: adaptive concurrency, the rate governor and retries, with their defaults.
  ckp::engine::Scheduler scheduler(http);

  ckp::ops::KvDeleteSpec spec;  // keys from a listing (Source::listing) is the default
  spec.account_id = account;
  spec.namespace_id = argv[1];
  spec.select.prefix = argv[2];

  ckp::ops::OpOptions options;
  options.cancel = cancel;
  options.on_progress = [](const ckp::engine::Progress& p) {
    std::fprintf(stderr, "%s: %llu deleted, %llu failed, %.0f keys/s, concurrency %d\n", p.phase.c_str(),
                 static_cast<unsigned long long>(p.done), static_cast<unsigned long long>(p.failed), p.rate,
                 p.concurrency);
  };

  ckp::ops::KvDelete op(scheduler, spec, options);
  std::signal(SIGINT, on_sigint);
  const ckp::ops::OpReport report = ckp::ops::run(http, op);  // drives the loop in this thread until it finishes
  std::signal(SIGINT, SIG_DFL);
  std::printf("%s\n", report.to_json().dump().c_str());

  if (report.status != ckp::ops::OpStatus::completed) {
    std::fprintf(stderr, "delete ended %s: %s\n", ckp::ops::to_string(report.status),
                 report.error ? report.error->message.c_str() : "see the failures above");
    return report.exit_code();
  }
  if (report.done != expected) {
    std::fprintf(stderr, "expected %llu keys deleted, the API confirmed %llu\n",
                 static_cast<unsigned long long>(expected), static_cast<unsigned long long>(report.done));
    return 1;
  }
  const auto left = count_keys(http, scheduler, account, spec.namespace_id, spec.select.prefix);
  if (!left) {
    std::fprintf(stderr, "listing failed: %s\n", left.error().message.c_str());
    return 1;
  }
  if (*left != 0) {
    std::fprintf(stderr, "%llu keys are still under '%s'\n", static_cast<unsigned long long>(*left), argv[2]);
    return 1;
  }
  return 0;
}
