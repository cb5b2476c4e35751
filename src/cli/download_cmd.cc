// ctdl download: checks flags and URLs, builds the backends, runs sync/download.h.
#include <fmt/format.h>
#include <unistd.h>

#include <atomic>
#include <csignal>

#include "base/clock.h"
#include "cli/backends.h"
#include "cli/commands.h"
#include "cli/suggest.h"
#include "sync/download.h"
#include "x509/record.h"

namespace ctdl::cli {
namespace {

std::atomic<int> g_stop_signals{0};

extern "C" void OnStopSignal(int) {
  if (g_stop_signals.fetch_add(1) >= 1) _exit(kExitInterrupted);
  static const char kMsg[] =
      "\nctdl: stopping after the segments in flight are committed (signal again to quit now)\n";
  ssize_t ignored = ::write(STDERR_FILENO, kMsg, sizeof(kMsg) - 1);
  (void)ignored;
}

void InstallStopHandlers() {
  struct sigaction sa {};
  sa.sa_handler = OnStopSignal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

// The message for a log URL the state store does not know, with the nearest registered URL.
Status NotRegistered(const std::string& url, const std::string& state_uri, StateStore& store) {
  std::vector<std::string> known;
  if (auto logs = store.List(); logs.ok())
    for (const auto& log : *logs) known.push_back(log.url);
  std::string nearest = ClosestMatch(url, known, /*max_edits=*/3);  // URLs share long prefixes
  return NotFound(
      fmt::format("log {} is not registered in {}{}; run `ctdl status` to see the "
                  "registered logs, or `ctdl init` to register logs from a log list",
                  url, state_uri, nearest.empty() ? "" : fmt::format(" (did you mean {}?)", nearest)));
}

}  // namespace

Failure RunDownloadCommand(const GlobalOptions& global, const DownloadFlags& flags) {
  if (Status s = CheckStateUri(global.state_uri); !s.ok()) return Fail(s, Origin::kInput);
  if (Status s = CheckArchiveUri(global.archive_uri); !s.ok()) return Fail(s, Origin::kInput);
  if (flags.urls.empty())
    return {kExitUsage, InvalidArgument("download needs at least one log URL (see `ctdl status`)")};

  DownloadOptions options;
  options.end = flags.end;
  options.max_inflight = flags.max_inflight;
  options.max_rps = flags.max_rps;
  options.segment_entries = flags.segment_entries;
  options.compression = flags.compression;
  options.progress = !flags.no_progress;
  options.verify = !flags.no_verify;
  options.distributed = flags.distributed;
  options.chunk_entries = flags.chunk_entries;
  options.lease_seconds = flags.lease_seconds;
  if (flags.distributed && flags.end)
    return {kExitUsage, InvalidArgument("--end cannot be combined with --distributed (a distributed "
                                        "download goes to the tree size)")};
  if (!flags.fields.empty()) {
    auto fields = ParseFields(flags.fields);
    if (!fields.ok()) return {kExitUsage, fields.status().Annotate("--fields")};
    options.fields = *fields;
  }

  auto http = NewCurlHttpClient(global.Curl());
  auto store = OpenStateStore(global.state_uri, http.get(), /*create=*/false);
  if (!store.ok()) return Fail(store.status(), Origin::kStateStore);
  for (const auto& raw : flags.urls) {
    std::string url = raw;
    if (!url.empty() && url.back() != '/') url.push_back('/');
    auto got = (*store)->Get(url);
    if (!got.ok()) return Fail(got.status(), Origin::kStateStore);
    if (!got->has_value()) return {kExitBadInput, NotRegistered(url, global.state_uri, **store)};
    options.urls.push_back(url);
  }
  auto archive = OpenArchive(global.archive_uri, http.get());
  if (!archive.ok()) return Fail(archive.status(), Origin::kArchive);

  DownloadContext context;
  context.store = store->get();
  context.archive = archive->get();
  context.http = http.get();
  context.clock = RealClock();
  context.stop_signals = &g_stop_signals;
  InstallStopHandlers();
  Status s = RunDownload(options, context);
  // A graceful stop (one signal, everything in flight committed) is a success: exit 0 (issue 3).
  if (s.code() == Code::kUnimplemented)
    return {kExitUnimplemented, Unimplemented("download is not built yet (" + s.message() + ")")};
  return Fail(s);
}

}  // namespace ctdl::cli
