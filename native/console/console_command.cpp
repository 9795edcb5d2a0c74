#include "console/console_command.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "common/http_server.hpp"
#include "console/console_server.hpp"
#include "console/request_guard.hpp"

extern char** environ;

namespace ckp::native {

namespace {

namespace fs = std::filesystem;

/// Everything the command line sets.
struct ConsoleOptions {
  int port = 8790;
  bool open = false;
  std::string web_dir;
  std::string wasm_dir;
};

/// The directory of the running executable.
fs::path executable_dir() {
  std::error_code ec;
  auto self = fs::read_symlink("/proc/self/exe", ec);
  return ec ? fs::path{} : self.parent_path();
}

/// The first of @p candidates that holds @p marker.
fs::path first_with(std::initializer_list<fs::path> candidates, const char* marker) {
  std::error_code ec;
  for (const auto& c : candidates)
    if (!c.empty() && fs::exists(c / marker, ec)) return c;
  return {};
}

/// Where the page and the engine are: the flags, else the installed layout next to the executable
/// (`../share/cache-kv-purger/{web,wasm}`), else the source and build trees this binary was built from.
console::StaticRoots find_roots(const ConsoleOptions& o) {
  const fs::path share = executable_dir() / ".." / "share" / "cache-kv-purger";
  console::StaticRoots roots;
#ifdef CKP_CONSOLE_WEB_DIR
  const fs::path built_web = CKP_CONSOLE_WEB_DIR;
#else
  const fs::path built_web;
#endif
#ifdef CKP_CONSOLE_WASM_DIR
  const fs::path built_wasm = CKP_CONSOLE_WASM_DIR;
#else
  const fs::path built_wasm;
#endif
  roots.web = !o.web_dir.empty() ? fs::path(o.web_dir) : first_with({share / "web", built_web}, "index.html");
  roots.wasm = !o.wasm_dir.empty() ? fs::path(o.wasm_dir) : first_with({share / "wasm", built_wasm}, "ckp.wasm");
  return roots;
}

/// What is missing for the page's engine in @p wasm_dir (ckp.js, ckp.wasm), in words; nothing when both are there.
/// @p chosen: the directory came from --wasm-dir.
std::optional<std::string> missing_engine(const fs::path& wasm_dir, bool chosen) {
  if (wasm_dir.empty()) return std::string("the WebAssembly engine (ckp.js and ckp.wasm) is not built");
  std::error_code ec;
  for (const char* file : {"ckp.js", "ckp.wasm"})
    if (!fs::exists(wasm_dir / file, ec))
      return fmt::format("{} has no {}{}", wasm_dir.string(), file,
                         chosen ? " (--wasm-dir must name the build's wasm directory)" : "");
  return std::nullopt;
}

/// Opens @p url in the user's browser ($BROWSER, else xdg-open), without a shell.
void open_browser(const std::string& url) {
  const char* browser = std::getenv("BROWSER");
  std::string program = browser && *browser ? browser : "xdg-open";
  std::vector<char*> argv{program.data(), const_cast<char*>(url.c_str()), nullptr};
  pid_t pid = 0;
  if (posix_spawnp(&pid, program.c_str(), nullptr, nullptr, argv.data(), environ) != 0) {
    fmt::print(stderr, "console: could not start {}; open the URL above yourself\n", program);
    return;
  }
  std::thread([pid] { waitpid(pid, nullptr, 0); }).detach();  // reap it; xdg-open returns at once
}

int run(const ConsoleOptions& o, const ConsoleSettings& s) {
  console::ServerOptions options;
  options.roots = find_roots(o);
  options.upstream.base_url = s.base_url.empty() ? "https://api.cloudflare.com/client/v4" : s.base_url;
  options.upstream.credentials = s.credentials;
  options.upstream.verify_tls = s.verify_tls;
  options.account_id = s.account_id;
  options.secret = console::make_secret();
  if (options.roots.web.empty()) {
    fmt::print(stderr, "console: cannot find the console page (web/index.html); pass --web-dir\n");
    return 1;
  }
  if (auto missing = missing_engine(options.roots.wasm, !o.wasm_dir.empty())) {
    // Without the engine the page can only say that it cannot start: refuse here, where the fix can be named.
    fmt::print(stderr,
               "console: {}. The console runs the engine in the browser as WebAssembly; build it with:\n"
               "  scripts/install-deps.sh wasm\n"
               "  cmake -S . -B build -DCKP_BUILD_WASM=ON && cmake --build build -j2 --target ckp_wasm\n"
               "then run the console from that build (or install it: cmake --install build), or pass --wasm-dir DIR\n",
               *missing);
    return 1;
  }

  std::unique_ptr<console::ConsoleServer> server;
  try {
    server = std::make_unique<console::ConsoleServer>(options);
  } catch (const std::invalid_argument& e) {
    fmt::print(stderr, "console: {}\n", e.what());
    return 2;
  }
  sigset_t signals = block_stop_signals();
  const int port = server->bind(o.port);
  if (port < 0) {
    fmt::print(stderr, "console: cannot listen on 127.0.0.1:{} (in use? pick another with --port, or --port 0)\n",
               o.port);
    return 1;
  }
  nlohmann::json info{{"url", server->url()},
                      {"port", port},
                      {"api_base", options.upstream.base_url},
                      {"server_credentials", !s.credentials.empty()},
                      {"account_id", s.account_id},
                      {"web_dir", options.roots.web.string()},
                      {"wasm_dir", options.roots.wasm.string()},
                      {"pid", static_cast<std::int64_t>(::getpid())}};
  fmt::print("{}\n", info.dump());  // one line, flushed: tests and scripts read it
  std::fflush(stdout);
  fmt::print(stderr, "console: open {} (Ctrl-C to stop)\n", server->url());
  if (o.open) open_browser(server->url());

  std::thread waiter([&server, signals] {
    int sig = 0;
    sigwait(&signals, &sig);
    server->stop();
  });
  const bool ok = server->listen();
  if (!ok) ::kill(::getpid(), SIGTERM);  // wake the waiter
  waiter.join();
  return ok ? 0 : 1;
}

}  // namespace

void add_console_command(CLI::App& app, std::function<ConsoleSettings()> settings) {
  auto o = std::make_shared<ConsoleOptions>();
  CLI::App* cmd = app.add_subcommand("console", "Serve the browser console on 127.0.0.1: the same engine in "
                                                "WebAssembly, with its API calls proxied to Cloudflare");
  cmd->add_option("--port", o->port,
                  "Port on 127.0.0.1 (0 = any free port; jobs in browser storage belong to one "
                  "port, so keep it stable to resume them)")
      ->capture_default_str();
  cmd->add_flag("--open", o->open, "Open the console in the browser ($BROWSER or xdg-open)");
  cmd->add_option("--web-dir", o->web_dir, "Serve the page from DIR (default: the installed or built copy)");
  cmd->add_option("--wasm-dir", o->wasm_dir,
                  "Serve ckp.js and ckp.wasm from DIR (default: the installed or built copy)");
  cmd->callback([o, settings = std::move(settings)] {
    int rc = run(*o, settings ? settings() : ConsoleSettings{});
    if (rc != 0) throw CLI::RuntimeError(rc);
  });
}

}  // namespace ckp::native
