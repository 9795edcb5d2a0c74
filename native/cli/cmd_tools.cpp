// `version`, `tree` (the command tree, from the CLI's own definition), `completion bash|zsh|fish`, and `demo`
// (a delete by prefix against an embedded emulator, with the progress bar).

#include <thread>

#include "ckp/emu/server.hpp"
#include "ckp/ops/kv_delete.hpp"
#include "ckp/version.hpp"
#include "cli/context.hpp"
#include "cli/job_runner.hpp"
#include "emulator/http_front.hpp"

namespace ckp::cli {

namespace {

/// The rules every destructive command follows, appended to docs/commands.md by `tree --markdown --flags` so that the
/// reference and the rules cannot drift apart. (The behaviour is in ckp/ops/key_selection.hpp and the specs.)
constexpr const char* rules_markdown = R"(
## Selecting keys

`kv delete`, `kv get --bulk`, `kv list` and `sync purge` select keys by one rule, applied by the confirmation's
preview, `--dry-run` and the run alike (they run the same code on the same spec; the browser console builds the same
spec for the same form):

1. **Keys come from one source**: a listing of the namespace, or a list of names: `--key KEY`, `--keys a,b` (or
   `--keys @FILE`), `--keys-file FILE`. Two of these together are refused.
2. **Every filter given must match**; filters only ever narrow. `--prefix` and `--pattern` (an ECMAScript regular
   expression, searched in the name) test the name, so they also narrow a list of names. `--search` (text anywhere in
   the metadata's values, ignoring ASCII case) and `--tag-field`/`--tag-value` (a top-level metadata field, with this
   value; no value: any) test metadata, which only a listing shows: with a list of names they are refused.
3. **A listing must be narrowed** by at least one of `--prefix`, `--pattern`, `--search`, `--tag-field`, or say
   `--all-keys` — which takes no filter beside it. `--bulk` selects nothing by itself. `--tag-value` needs
   `--tag-field`.
4. **An empty value is refused** for `--key`, `--keys`, `--keys-file`, `--prefix`, `--pattern`, `--search` and
   `--tag-field` in `kv delete` and `sync purge` (an unset shell variable must not widen a delete); `kv list` and
   `kv get` treat an empty filter as not given.

`kv delete --dry-run --save-keys FILE` writes the name of every selected key to FILE (a JSON array, exact whatever the
bytes); `kv delete --keys-file FILE` then deletes exactly those.

## Input files

- **Key names are exact**: one name per line, byte for byte — blanks, tabs and a leading `#` are part of the name;
  only an empty line is skipped. A line ends at `
` or `
`. A UTF-8 byte order mark at the start of a file is
  not part of the first name. A file whose first character is `[` is a JSON array of strings.
- **URLs, tags, hosts and prefixes** in a text file may be padded with blanks (dropped), and a line starting with `#`
  is a comment. In a JSON array, and when given as flags (`--tag '#x'`), every item is taken exactly as written: a
  `#` there is part of the item, never a comment.
- **Imports** (`kv import`, `kv put --bulk`): NDJSON or a JSON array of objects. When a key appears on several lines,
  the last line wins, whatever retries or resumes happen. A pair whose absolute `expiration` is already past (or less
  than 60 s away) when it is written is reported failed; the rest of the file is written.
- JSON is read at most 128 levels deep; deeper input is refused, naming the file and line.
- Numbers are range-checked wherever they come from (flags, environment, the configuration file): a value out of
  range is refused, naming it and the valid range — never ignored or replaced by a default.

## Jobs and resume

A long operation is a job with a journal (`jobs list`). The journal records the spec and its target — the API base
URL and the account (never the token). `jobs resume ID` refuses to run against another API base URL or account,
naming both; `--allow-new-target` resumes there on purpose. Counts after a resume are the job's true totals, however
often it was interrupted.
)";

bool visible(const CLI::App* c) { return !c->get_group().empty(); }
bool visible(const CLI::Option* o) { return !o->get_group().empty() && o->get_name() != "--help"; }
/// Options the tree lists under a command: `--help-all` is on every command, so the tree shows it once, with the
/// global options.
bool listed(const CLI::Option* o) { return visible(o) && o->get_name() != "--help-all"; }

std::string option_text(const CLI::Option* o) {
  std::string names;
  for (const auto& s : o->get_snames()) names += (names.empty() ? "-" : ", -") + s;
  for (const auto& l : o->get_lnames()) names += (names.empty() ? "--" : ", --") + l;
  if (names.empty()) names = "<" + o->get_name() + ">";
  // A flag (expects no value) shows no value placeholder.
  if (o->get_type_size() != 0 && o->get_expected_max() != 0 && !o->get_lnames().empty())
    names += " " + (o->get_type_name().empty() ? std::string("VALUE") : o->get_type_name());
  return names;
}

/// The tree as text (`tree`) or Markdown (`tree --markdown`, for docs/commands.md).
void print_tree(const CLI::App* app, const std::string& indent, bool markdown, bool flags, const std::string& path) {
  const auto subs = app->get_subcommands([](const CLI::App* c) { return visible(c); });
  for (std::size_t i = 0; i < subs.size(); ++i) {
    const auto* c = subs[i];
    const bool last = i + 1 == subs.size();
    const std::string full = path.empty() ? c->get_name() : path + " " + c->get_name();
    if (markdown) {
      fmt::print("{}- **{}** — {}\n", indent, c->get_name(), c->get_description());
    } else {
      fmt::print("{}{} {:<22} {}\n", indent, last ? "└──" : "├──", c->get_name(), c->get_description());
    }
    if (flags) {
      for (const auto* o : c->get_options([](const CLI::Option* o) { return listed(o); })) {
        if (markdown) fmt::print("{}  - `{}` {}\n", indent, option_text(o), o->get_description());
        else fmt::print("{}{}      {:<34} {}\n", indent, last ? "    " : "│   ", option_text(o), o->get_description());
      }
    }
    print_tree(c, indent + (markdown ? "  " : (last ? "    " : "│   ")), markdown, flags, full);
  }
}

/// Every command path and what may follow it (subcommands and flags), for completion scripts.
void collect(const CLI::App* app, const std::string& path, std::vector<std::pair<std::string, std::string>>& out) {
  std::string words;
  for (const auto* c : app->get_subcommands([](const CLI::App* c) { return visible(c); })) words += c->get_name() + " ";
  for (const auto* o : app->get_options([](const CLI::Option* o) { return visible(o); }))
    for (const auto& l : o->get_lnames()) words += "--" + l + " ";
  out.emplace_back(path, words);
  for (const auto* c : app->get_subcommands([](const CLI::App* c) { return visible(c); }))
    collect(c, path.empty() ? c->get_name() : path + " " + c->get_name(), out);
}

std::string bash_completion(const CLI::App& app) {
  std::vector<std::pair<std::string, std::string>> paths;
  collect(&app, "", paths);
  std::string cases;
  for (const auto& [p, w] : paths) cases += fmt::format("    \"{}\") words=\"{}\" ;;\n", p, w);
  std::string known;
  for (const auto& [p, w] : paths) known += fmt::format(" \"{}\"", p);
  return fmt::format(R"(# bash completion for cache-kv-purger (generated by `cache-kv-purger completion bash`)
_cache_kv_purger() {{
  local cur="${{COMP_WORDS[COMP_CWORD]}}" path="" w candidate words=""
  local -a known=({})
  for w in "${{COMP_WORDS[@]:1:COMP_CWORD-1}}"; do
    [[ $w == -* ]] && continue
    candidate="${{path:+$path }}$w"
    local k; for k in "${{known[@]}}"; do [[ $k == "$candidate" ]] && path="$candidate"; done
  done
  case "$path" in
{}  esac
  COMPREPLY=( $(compgen -W "$words" -- "$cur") )
}}
complete -F _cache_kv_purger cache-kv-purger
)",
                     known, cases);
}

std::string fish_completion(const CLI::App& app) {
  std::vector<std::pair<std::string, std::string>> paths;
  collect(&app, "", paths);
  std::string out = "# fish completion for cache-kv-purger (generated by `cache-kv-purger completion fish`)\n"
                    "function __ckp_path\n  set -l words (commandline -opc)\n  set -e words[1]\n"
                    "  string join ' ' (string match -v -- '-*' $words)\nend\n";
  for (const auto& [p, w] : paths)
    out += fmt::format("complete -c cache-kv-purger -f -n 'test (__ckp_path) = \"{}\"' -a '{}'\n", p, w);
  return out;
}

int demo(Context& ctx, std::uint64_t keys, int latency_ms) {
  // An embedded emulator on a free loopback port, time-scaled so the rate limit's 5-minute window is 3 seconds.
  emu::Config config;
  const std::string token = "demo-token-0123456789abcdef";
  const std::string account = "d3000000000000000000000000000001";
  config.tokens = {{token, account}};
  config.time_scale = 100;
  config.latency = {std::chrono::milliseconds(latency_ms), std::chrono::milliseconds(latency_ms / 2), Duration{0}};
  emu::Server model(config);
  const std::string ns = model.create_namespace(account, "demo-cache");
  fmt::print(stderr, "Embedded emulator: seeding {} keys under cache/ and 2,000 under keep/ …\n", grouped(keys));
  model.seed_keys(ns, "cache/", keys);
  model.seed_keys(ns, "keep/", 2000);
  native::HttpFront front(model, {}, nullptr, {});
  const int port = front.bind(0);
  if (port < 0) fail(Error::make(ErrorKind::io, "cannot listen on loopback"));
  std::thread server([&front] { front.listen(); });
  struct Stop {
    native::HttpFront& f;
    std::thread& t;
    ~Stop() {
      f.stop();
      t.join();
    }
  } stop{front, server};

  ctx.options.api_base_url = fmt::format("http://127.0.0.1:{}/client/v4", port);
  ctx.options.api_token = token;
  ctx.options.account_id = account;
  ctx.options.yes = true;
  if (ctx.options.progress == "auto") ctx.options.progress = "bar";
  auto& rt = ctx.runtime();
  fmt::print(stderr, "Deleting every key under cache/ (keep/ stays), streamed: list → batch → bulk delete.\n");
  ops::KvDeleteSpec spec;
  spec.account_id = account;
  spec.namespace_id = ns;
  spec.select.prefix = "cache/";
  const int code = run_job(rt, ops::KvDeleteSpec::op_name, spec.to_json(), {}, true);
  const auto stats = model.stats();
  fmt::print("Emulator: {} keys left (keep/ only: {}), {} requests served, {} rate-limited.\n",
             grouped(model.key_count(ns, front.now())),
             model.keys_with_prefix(ns, "cache/", front.now()).empty() ? "yes" : "NO", grouped(stats.requests),
             stats.rate_limited);
  return code;
}

}  // namespace

void add_tool_commands(CLI::App& app, Context& ctx) {
  app.add_subcommand("version", "Print the version")->callback([] {
    fmt::print("cache-kv-purger version {}\ncommit: {}\nbuilt: {}\n", ckp::version, CKP_GIT_COMMIT, __DATE__);
  });
  auto* tree = app.add_subcommand("tree", "Print the command tree");
  auto markdown = std::make_shared<bool>(false);
  auto flags = std::make_shared<bool>(false);
  tree->add_flag("--markdown", *markdown, "Markdown (for docs/commands.md)");
  tree->add_flag("--flags", *flags, "Include every command's flags");
  tree->callback([&app, markdown, flags] {
    if (*markdown) {
      fmt::print("# cache-kv-purger commands\n\n");
      fmt::print("Generated by `cache-kv-purger tree --markdown --flags` (regenerate with `scripts/gen-docs.sh`).\n\n");
    } else {
      fmt::print("cache-kv-purger\n");
    }
    if (*flags) {
      // The global options apply to every command; listed once, before the commands.
      const auto globals = app.get_options([](const CLI::Option* o) { return visible(o); });
      if (*markdown) fmt::print("Global options (every command takes them):\n\n");
      else fmt::print("global options:\n");
      for (const auto* o : globals) {
        if (*markdown) fmt::print("- `{}` {}\n", option_text(o), o->get_description());
        else fmt::print("      {:<34} {}\n", option_text(o), o->get_description());
      }
      if (*markdown) fmt::print("\nCommands:\n\n");
      else fmt::print("commands:\n");
    }
    print_tree(&app, "", *markdown, *flags, "");
    if (*markdown && *flags) fmt::print("{}", rules_markdown);
  });
  auto* completion = app.add_subcommand("completion", "Print a shell completion script: bash, zsh or fish");
  auto shell = std::make_shared<std::string>();
  completion->add_option("shell", *shell, "bash | zsh | fish")
      ->required()
      ->check(CLI::IsMember({"bash", "zsh", "fish"}));
  completion->callback([&app, shell] {
    if (*shell == "fish") return (void)fmt::print("{}", fish_completion(app));
    if (*shell == "zsh") fmt::print("autoload -U +X bashcompinit && bashcompinit\n");
    fmt::print("{}", bash_completion(app));
  });
  auto* demo_cmd = app.add_subcommand("demo", "Delete 300,000 keys by prefix on an embedded emulator, with progress");
  auto keys = std::make_shared<std::uint64_t>(300'000);
  auto latency = std::make_shared<int>(8);
  demo_cmd->add_option("--keys", *keys, "Keys to seed and delete")->capture_default_str();
  demo_cmd->add_option("--latency", *latency, "Emulator latency per request, ms")->capture_default_str();
  demo_cmd->callback([&ctx, keys, latency] { ctx.exit_code = demo(ctx, *keys, *latency); });
}

}  // namespace ckp::cli
