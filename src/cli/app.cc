#include "cli/app.h"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <CLI/CLI.hpp>

#include "base/log.h"
#include "cli/aliases.h"
#include "cli/commands.h"
#include "cli/flag_checks.h"
#include "cli/suggest.h"
#include "ct/tree_head.h"

#ifndef CTDL_VERSION
#define CTDL_VERSION "dev"
#endif

namespace ctdl::cli {
namespace {

constexpr const char* kFooter = R"(
The older Python script's flags still work: --init, --show-all-status, --update-tree-size,
--ct_url URL (download URL), --remove-progress-bar (--no-progress). Exit codes: doc/exit-codes.md.)";

// The flags and commands of app, for "did you mean" (cli/suggest.h).
Grammar DescribeCommands(const CLI::App& app) {
  Grammar grammar;
  auto describe = [&grammar](const CLI::App& a, std::string name) {
    Grammar::Command c{std::move(name), {}, {}};
    for (const CLI::Option* o : a.get_options()) {
      std::vector<std::string> spellings;
      for (const auto& l : o->get_lnames()) spellings.push_back("--" + l);
      for (const auto& s : o->get_snames()) spellings.push_back("-" + s);
      c.flags.insert(c.flags.end(), spellings.begin(), spellings.end());
      if (o->get_type_size() != 0)
        c.value_flags.insert(c.value_flags.end(), spellings.begin(), spellings.end());
    }
    grammar.commands.push_back(std::move(c));
  };
  describe(app, "");
  auto& top = grammar.commands[0];
  top.flags.insert(top.flags.end(), kSeedAliasFlags.begin(), kSeedAliasFlags.end());
  top.value_flags.push_back("--ct_url");
  for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; }))
    describe(*sub, sub->get_name());
  return grammar;
}

// A command line CLI11 refused: one sentence (naming the closest known command or flag when a word
// is unknown), the usage line of the command concerned, and where to find every flag. Exit 2.
int UsageError(const CLI::App& app, const std::vector<std::string>& args, std::string why,
               bool no_command = false) {
  Grammar grammar = DescribeCommands(app);
  UnknownWord unknown = FindUnknownWord(grammar, args);
  if (no_command && unknown.command == 0) {
    std::vector<std::string> names;
    for (size_t i = 1; i < grammar.commands.size(); ++i) names.push_back(grammar.commands[i].name);
    why = fmt::format("no command given; the commands are {}", fmt::join(names, ", "));
  }
  const CLI::App* cmd = &app;
  std::string name = "ctdl";
  if (unknown.command != 0) {
    cmd = app.get_subcommand(grammar.commands[unknown.command].name);  // a name from app itself
    name += " " + cmd->get_name();
  }
  auto formatter = std::dynamic_pointer_cast<CLI::Formatter>(app.get_formatter());
  fmt::print(stderr, "ctdl: error: {}\n{}Run `{} --help` for every flag{}.\n",
             unknown.message.empty() ? why : unknown.message,
             formatter ? formatter->make_usage(cmd, name) : "", name, cmd == &app ? " and command" : "");
  return kExitUsage;
}

int Report(const Failure& f) {
  if (f.exit_code == kExitOk) return kExitOk;
  if (!f.status.ok()) fmt::print(stderr, "ctdl: error: {}\n", f.status.message());
  return f.exit_code;
}

}  // namespace

int RunCli(int argc, char** argv) {
  std::vector<std::string> raw(argv + 1, argv + argc);
  std::vector<std::string> args = RewriteSeedAliases(raw);
  std::vector<char*> cargs;
  cargs.push_back(argv[0]);
  for (auto& a : args) cargs.push_back(a.data());

  GlobalOptions global;
  InitOptions init;
  StatusOptions status;
  DownloadFlags dl;
  uint64_t end = 0;

  CLI::App app{"ctdl: mirror Certificate Transparency logs into compressed JSON records.", "ctdl"};
  app.footer(kFooter);
  app.set_version_flag("--version", std::string("ctdl ") + CTDL_VERSION);
  app.require_subcommand(1);
  app.fallthrough();
  app.add_option("--state", global.state_uri, "State store: sqlite:PATH or dynamodb:TABLE")
      ->capture_default_str();
  app.add_option("--archive", global.archive_uri, "Archive: dir:PATH or s3://BUCKET[/PREFIX]")
      ->capture_default_str();
  app.add_option("--user-agent", global.user_agent,
                 "HTTP User-Agent (default: ctdl/VERSION with a project URL)");
  app.add_option("--contact", global.contact,
                 "URL or email for log operators, added to the User-Agent (rate-limited logs give "
                 "identified clients more)")
      ->check([](const std::string& c) {
        Status s = CheckContact(c);
        return s.ok() ? std::string() : s.message();
      });
  app.add_option("--proxy", global.proxy, "HTTP(S) proxy URL (default: http_proxy/https_proxy)");
  app.add_option("--source-address", global.source_address,
                 "Bind outgoing connections to this local IP address (one per worker on a host)")
      ->check(CLI::ValidIPV4 | CLI::Validator(
                                   [](std::string& ip) -> std::string {
                                     in6_addr a;
                                     return inet_pton(AF_INET6, ip.c_str(), &a) == 1
                                                ? ""
                                                : "not a numeric IPv4 or IPv6 address: " + ip;
                                   },
                                   "IPV6"));
  app.add_option("--ca-bundle", global.ca_bundle,
                 "PEM file of CA certificates to trust for HTTPS (default: $CURL_CA_BUNDLE, "
                 "$SSL_CERT_FILE, the system store)")
      ->check(CLI::ExistingFile);
  app.add_flag("-v,--verbose", global.verbose, "More logging (-vv also traces HTTP)");

  CLI::App* init_cmd = app.add_subcommand("init", "Register the logs of a log list (alias --init)");
  init_cmd
      ->add_option("--log-list", init.log_list,
                   "Log list v3 file or URL (offline: testdata/loglist/all_logs_list.json)")
      ->capture_default_str();
  init_cmd->add_flag("-y,--yes", init.yes, "Do not ask for confirmation");
  init_cmd->add_flag("--reset", init.reset, "Zero every listed log's download position");
  init_cmd->add_flag("--include-test", init.include_test, "Also register logs with log_type test");
  init_cmd->add_option("--concurrency", init.concurrency, "Tree sizes fetched at once")
      ->capture_default_str()
      ->check(CountFlag(1, 256));

  CLI::App* status_cmd = app.add_subcommand("status", "Show every log's progress (alias --show-all-status)");
  status_cmd->add_flag("--json", status.json, "One JSON object per line per log");
  status_cmd->add_flag("--verified", status.verified,
                       "Add the columns VerifiedSize (largest Merkle-verified size) and Unverified "
                       "(entries ctdl did not verify)");
  status_cmd->add_flag("--lag", status.lag,
                       "Add the columns Behind (entries between the position and the stored tree size) "
                       "and AdvancedAgo (when the position last moved; 'never')");

  CLI::App* update_cmd =
      app.add_subcommand("update-tree-size", "Refresh every log's tree size (alias --update-tree-size)");

  CLI::App* dl_cmd = app.add_subcommand("download", "Download logs into the archive (alias --ct_url URL)");
  dl_cmd->add_option("urls", dl.urls, "Log URLs as registered (see `ctdl status`)");
  CLI::Option* end_opt =
      dl_cmd->add_option("--end", end, "Stop at this index (exclusive); default: tree size")
          ->check(CountFlag(0, kMaxPlausibleTreeSize));
  dl_cmd->add_option("--max-inflight", dl.max_inflight, "Requests in flight per log")
      ->capture_default_str()
      ->check(CountFlag(1, 1024));
  dl_cmd->add_option("--max-rps", dl.max_rps, "Requests per second per host (0: unlimited)")
      ->capture_default_str()
      ->check(RateFlag(0, 1e6));
  dl_cmd->add_option("--segment-entries", dl.segment_entries, "Entries per archive segment")
      ->capture_default_str()
      ->check(CountFlag(1, uint64_t{1} << 32));
  dl_cmd->add_option("--compression", dl.compression, "Segment compression")
      ->capture_default_str()
      ->check(CLI::IsMember({"gzip", "zstd"}));
  dl_cmd->add_option("--fields", dl.fields, "Extra record fields, comma-separated, or \"all\"");
  dl_cmd->add_flag("--no-progress", dl.no_progress, "No progress bars (alias --remove-progress-bar)");
  dl_cmd->add_flag("--no-verify", dl.no_verify, "Skip signature and Merkle checks");
  dl_cmd->add_flag("--distributed", dl.distributed,
                   "Share each log with other ctdl processes on the same state and archive, chunk by "
                   "chunk (doc/distributed.md)");
  dl_cmd->add_option("--chunk-entries", dl.chunk_entries,
                     "With --distributed: entries per chunk, a power of two >= 256")
      ->capture_default_str()
      ->check(PowerOfTwoFlag(256, kMaxPlausibleTreeSize));
  dl_cmd->add_option("--lease-seconds", dl.lease_seconds,
                     "With --distributed: how long a chunk lease lasts without renewal")
      ->capture_default_str()
      ->check(RateFlag(1.0, 86400.0));
  dl_cmd->add_option("--max-host-inflight", dl.max_host_inflight,
                     "Requests in flight per host, shared by its logs (0: unlimited)")
      ->capture_default_str()
      ->check(CountFlag(0, 4096));
  dl_cmd->add_flag("--all", dl.all, "Every registered usable, qualified or readonly log");
  dl_cmd->add_option("--log-type", dl.log_type, "With --all: only logs of this type")
      ->check(CLI::IsMember({"rfc6962", "tiled"}));
  dl_cmd->add_option("--operator", dl.operator_sub, "With --all: only logs whose operator contains this");
  dl_cmd->add_option("--url-contains", dl.url_sub, "With --all: only logs whose URL contains this");
  dl_cmd->add_flag("--follow", dl.follow, "Keep polling the tree heads and download new entries until a signal");
  dl_cmd->add_option("--poll-seconds", dl.poll_seconds, "With --follow: seconds between tree head polls")
      ->capture_default_str()
      ->check(RateFlag(0.1, 86400.0));
  dl_cmd->add_option("--rotate-seconds", dl.rotate_seconds,
                     "With --follow: seal a partial segment once its entries waited this long (default 300; 0: "
                     "only full segments)")
      ->check(RateFlag(0.0, 86400.0 * 30));
  dl_cmd->add_option("--log-list", dl.log_list, "Log list v3 file or URL to register before downloading");
  dl_cmd->add_option("--refresh-hours", dl.refresh_hours,
                     "With --follow and --log-list: re-read the list this often and start new logs")
      ->check(RateFlag(0.0, 24.0 * 365));
  dl_cmd->add_option("--metrics-listen", dl.metrics_listen,
                     "Serve Prometheus metrics at http://ADDR:PORT/metrics (and /healthz)");

  std::vector<std::string> archive_urls;
  CLI::App* verify_cmd = app.add_subcommand(
      "verify-archive", "Check that the archive holds each log's committed entries exactly once");
  verify_cmd->add_option("urls", archive_urls, "Log URLs as registered")->required();
  CLI::App* adopt_cmd = app.add_subcommand(
      "adopt-archive", "Continue logs from segments already in the archive that the state lacks");
  adopt_cmd->add_option("urls", archive_urls, "Log URLs as registered")->required();

  try {
    app.parse(static_cast<int>(cargs.size()), cargs.data());
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    return UsageError(app, args, e.what(), dynamic_cast<const CLI::RequiredError*>(&e) != nullptr);
  } catch (const std::exception& e) {
    fmt::print(stderr, "ctdl: error: {}\n", e.what());
    return kExitUsage;
  }

  SetLogLevel(global.verbose > 0 ? LogLevel::kDebug : LogLevel::kInfo);
  if (end_opt->count() > 0) dl.end = end;
  if (*init_cmd) return Report(RunInit(global, init));
  if (*status_cmd) return Report(RunStatus(global, status));
  if (*update_cmd) return Report(RunUpdateTreeSize(global));
  if (*dl_cmd) return Report(RunDownloadCommand(global, dl));
  if (*verify_cmd) return Report(RunVerifyArchive(global, archive_urls));
  if (*adopt_cmd) return Report(RunAdoptArchive(global, archive_urls));
  return UsageError(app, args, "no command given", /*no_command=*/true);
}

}  // namespace ctdl::cli
