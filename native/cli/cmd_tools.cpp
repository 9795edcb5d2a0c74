// `version`, `tree` (the command tree, from the CLI's own definition), `help [COMMAND...]`, `completion bash|zsh|fish`
// (and the hidden `__complete` it calls for names), and `demo` (a delete by prefix against an embedded emulator, with
// the progress bar).

#include <algorithm>
#include <map>
#include <string_view>
#include <thread>

#include "ckp/api/zones.hpp"
#include "ckp/emu/server.hpp"
#include "ckp/ops/kv_delete.hpp"
#include "ckp/ops/zone_directory.hpp"
#include "ckp/version.hpp"
#include "cli/completion.hpp"
#include "cli/context.hpp"
#include "cli/job_runner.hpp"
#include "cli/resolve.hpp"
#include "cli/suggest.hpp"
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

## Everyday use

- `cache-kv-purger help [COMMAND...]` prints a command's help (the same as `COMMAND --help`).
- A mistyped command or flag is an error (exit 2) that names the closest valid one and lists the commands:
  `unknown command 'lst' for 'kv'. Did you mean 'list'? Commands: …`. A repeated `--zone` is refused too: several
  zones are `--zones a.com,b.com` (`cache purge`).
- Shell completion: `source <(cache-kv-purger completion bash)` (or `zsh`; `completion fish | source` in fish)
  completes commands, every flag (the global ones after any command too), file names for file flags, the values of
  `--plan`, `--color`, `--progress`, `--verbosity`, and — when credentials are configured — namespace titles for
  `--namespace` and zone names for `--zone`/`--zones`, asked of the API with a 5-second limit.
- Colour: on a terminal, `error:` is red, `warning:` yellow and a run's summary line green (done), yellow (some items
  failed) or red (stopped). `--color auto|always|never` (or `CKP_COLOR`) decides; `auto` colours a terminal unless
  `NO_COLOR` is set or `TERM=dumb`. `--json` output and data on standard output are never coloured.

## Jobs and resume

A long operation is a job with a journal (`jobs list`). The journal records the spec and its target — the API base
URL and the account (never the token). `jobs resume ID` refuses to run against another API base URL or account,
naming both; `--allow-new-target` resumes there on purpose. Counts after a resume are the job's true totals, however
often it was interrupted.

`jobs list` shows what each job acts on: its account, namespace or zones, and API base URL. Jobs are kept until
removed: `jobs prune` removes finished ones (completed, partial, aborted) last written 7 days ago or more;
`--older-than 12h` (s, m, h or d) and `--status completed,aborted` (or `resumable`, `unreadable`, `all`) choose
others, `--dry-run` only lists them. A resumable (interrupted) job goes only when its status is named. Each new job
also removes the completed jobs older than `jobs_keep_days` (default 30 days; `--jobs-keep-days`,
`CKP_JOBS_KEEP_DAYS` or the config file; 0 keeps every job).

## Configuration

The configuration file (`$XDG_CONFIG_HOME/cache-kv-purger/config.toml`, or `--config FILE`; a commented sample is
written on first run) is TOML, read by toml++: any valid TOML is accepted — quoted and dotted keys, literal and
multi-line strings. Each profile is a table (`[staging]`, or `[profile.staging]`); keys before any table belong to
`[default]`. A syntax error names `file:line:column`; an unknown key, or a key set twice for one profile, names
`file:line`.

Where a value comes from: a flag; else, when a profile was chosen (`--profile NAME` or `CKP_PROFILE`), the values
that profile sets — credentials included — beat the environment; else the environment; else the profile's table
(`[default]` when none was chosen); else the built-in default. A chosen profile does not inherit `[default]`'s
values. `config show` prints where each value came from and, when two places set it, why one won.

`config set-defaults` (and `zones config`, `kv config`) edit the file as text: an existing value is replaced on its
line, a new key goes after the profile's last key (a commented `# key = …` line is never taken for a key or a
section), and every comment and blank line stays where it was; the edited text is parsed again and every value read
back before the file is replaced (atomically, mode 0600). `config set-defaults --zone` looks the zone up through the
API, as `zones config` does, and saves nothing when it is not found.

`config import-go [--file PATH] [--force]` imports the Go tool's `~/.cache-kv-purger.json` (its default zone and
account id) into the `--profile`'s table, keeping values the profile already sets unless `--force`; a field that
looks like a secret is never imported or printed. On first run, when that file exists, a note on stderr suggests it.

## Pipes and standard input

`-` is standard input for every file flag: `--keys-file -`, `--keys @-`, `--files-list -`, `--hosts-file -`,
`--prefixes-file -`, `--tags-file -`, `--zone-list -`, `--body-file -`, `kv import --file -`, `kv put --file -`; one
flag per command may read it (two are refused, naming both). `-o -` (`kv export`) and `kv get --file -` write to
standard output. A job's input from a pipe is read once into a copy kept beside its journal (`<jobs dir>/ID.stdin`),
so the confirmation's preview, the check of the whole input, the run and a later `jobs resume` read the same bytes;
a dry run's copy is removed when it ends. When standard input is the data, a confirmation is asked on the terminal
(`/dev/tty`); with no terminal, pass `--yes`.

Standard output carries only data — tables, an export's NDJSON, `--json` documents. Summaries, notes, progress and
errors go to standard error; `--quiet` keeps only errors (failures, why a run stopped, how to resume). With `--json`,
an error found before any run (a bad flag, a refused selection) is a JSON document too:
`{"status": "failed", "error": {"kind": "invalid_input", "message": "…"}}`.

## Coming from the Go tool or wrangler

The Go tool's commands and flags work as they are (`config set-defaults`, `zones config`, `cache purge files
--files-list`, `kv delete --tag-field … --bulk`, `sync purge`, …) — with its bugs fixed: `--dry-run` is honoured
everywhere, a selection flag is never silently dropped, and every page of a listing is read. Its configuration
(`~/.cache-kv-purger.json`) is imported into the TOML file with `config import-go`.

wrangler's spellings are accepted where they do not conflict: `kv put KEY VALUE` (positional key and value),
`--path FILE` (= `--file`), `--ttl N` (= `--expiration-ttl`), `--metadata JSON` (= `--metadata-json`) and
`--namespace-id ID`. `wrangler kv bulk put FILE` is `kv import --file FILE`; `wrangler kv bulk delete FILE` is
`kv delete --keys-file FILE`; `wrangler kv key list --prefix P` is `kv list --prefix P --all --json`.
)";

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

/// `__complete namespaces|zones`: the names a completion script offers, one a line. Quiet: nothing at all (and exit
/// 0) without credentials or on any error; a request gets 3 seconds unless --timeout says otherwise.
void print_names(Context& ctx, const std::string& what) {
  try {
    if (ctx.options.timeout.empty()) ctx.options.timeout = "3";
    ctx.options.verbosity = "quiet";
    ctx.options.quiet = true;
    auto& rt = ctx.runtime();
    if (rt.settings().credentials.empty()) return;
    const std::string account = rt.settings().account_id.value;
    std::string out;
    if (what == "namespaces") {
      if (account.empty()) return;
      for (const auto& ns : all_namespaces(rt, account)) out += ns.title + "\n";
    } else {
      const auto zones =
          rt.await<std::vector<api::zones::Zone>>([&](auto done) { ops::all_zones(rt.scheduler(), account, done); });
      for (const auto& z : zones) out += z.name + "\n";
    }
    fmt::print("{}", out);
  } catch (...) {  // CliError included: a completion never complains
  }
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
  auto* help = app.add_subcommand("help", "Help for a command: help kv list");
  auto help_words = std::make_shared<std::vector<std::string>>();
  help->add_option("command", *help_words, "The command's words, e.g. kv list");
  help->callback([&app, help_words] {
    const CLI::App* at = &app;
    std::string path;
    for (const auto& w : *help_words) {
      const CLI::App* next = nullptr;
      for (const auto* c : at->get_subcommands([](const CLI::App* c) { return visible(c); }))
        if (c->get_name() == w) next = c;
      if (!next) fail_usage(unknown_command_message(*at, path, w));
      at = next;
      path += (path.empty() ? "" : " ") + w;
    }
    // As `COMMAND --help` prints it: the usage line names the command's parents.
    // (app.help() would show this very command's help: `help` is the parsed subcommand.)
    if (at == &app)
      return (void)fmt::print("{}", app.get_formatter()->make_help(&app, app.get_name(), CLI::AppFormatMode::Normal));
    const auto last_space = path.rfind(' ');
    fmt::print("{}",
               at->help(app.get_name() + (last_space == std::string::npos ? "" : " " + path.substr(0, last_space))));
  });
  auto* names = app.add_subcommand("__complete", "Names for shell completion: namespaces | zones");
  names->group("");
  auto what = std::make_shared<std::string>();
  names->add_option("what", *what, "namespaces | zones")->required()->check(CLI::IsMember({"namespaces", "zones"}));
  names->callback([&ctx, what] { print_names(ctx, *what); });
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
