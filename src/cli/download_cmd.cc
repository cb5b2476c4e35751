// ctdl download: checks flags, picks the logs (URLs, or --all from the state with filters), builds
// the backends, the display and the metrics endpoint, runs sync/download.h.
#include <fmt/format.h>
#include <malloc.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <csignal>

#include "base/clock.h"
#include "base/log.h"
#include "cli/backends.h"
#include "cli/commands.h"
#include "net/file_http_client.h"
#include "cli/log_list_source.h"
#include "cli/log_lookup.h"
#include "cli/log_select.h"
#include "cli/metrics.h"
#include "cli/progress_display.h"
#include "cli/tracked_backends.h"
#include "ct/log_list.h"
#include "sync/download.h"
#include "sync/progress.h"
#include "x509/record.h"

#ifndef CTDL_VERSION
#define CTDL_VERSION "dev"
#endif

namespace ctdl::cli {
namespace {

std::atomic<int> g_stop_signals{0};
std::atomic<bool> g_display_says_stopping{false};  // the terminal display prints the message

extern "C" void OnStopSignal(int) {
  if (g_stop_signals.fetch_add(1) >= 1) _exit(kExitInterrupted);
  if (g_display_says_stopping.load()) return;
  static const char kMsg[] =
      "\nctdl: stopping after the segments in flight are committed (signal again to quit now)\n";
  ssize_t ignored = ::write(STDERR_FILENO, kMsg, sizeof(kMsg) - 1);
  (void)ignored;
}

// stdout or stderr became a broken pipe (`ctdl download ... | head`, a closed terminal): stop
// gracefully like the first SIGTERM, silently, and never count as the second signal (every later
// write to the pipe raises SIGPIPE again).
extern "C" void OnBrokenPipe(int) {
  int zero = 0;
  g_stop_signals.compare_exchange_strong(zero, 1);
}

void InstallStopHandlers() {
  struct sigaction sa {};
  sa.sa_handler = OnStopSignal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGHUP, &sa, nullptr);  // the terminal went away: same graceful stop
  sa.sa_handler = OnBrokenPipe;
  sigaction(SIGPIPE, &sa, nullptr);
}

// Reads the log list and registers its logs (new ones; metadata such as the state of known ones).
Status RegisterLogList(const std::string& source, HttpClient& http, StateStore& store) {
  TRY_ASSIGN(std::string text, ReadLogListSource(source, http));
  auto list = ParseLogList(text);
  if (!list.ok()) return list.status().Annotate("log list " + source);
  std::vector<LogState> logs;
  for (const auto& l : list->logs) logs.push_back(ToLogState(l));
  return store.Register(logs, /*reset=*/false);
}

// The URLs to download: the named ones (each must be registered) plus, with --all, the selected ones.
Result<std::vector<std::string>> PickLogs(const DownloadFlags& flags, StateStore& store,
                                          const std::string& state_uri) {
  std::vector<std::string> urls;
  for (const auto& raw : flags.urls) {
    TRY_ASSIGN(LogState log, LookUpRegisteredLog(store, raw, state_uri));
    urls.push_back(log.url);
  }
  if (flags.all) {
    TRY_ASSIGN(auto logs, store.List());
    for (auto& u : SelectLogs(logs, {flags.log_type, flags.operator_sub, flags.url_sub})) urls.push_back(u);
  }
  return urls;
}

}  // namespace

Failure RunDownloadCommand(const GlobalOptions& global, const DownloadFlags& flags) {
  if (Status s = CheckStateUri(global.state_uri); !s.ok()) return Fail(s, Origin::kInput);
  if (Status s = CheckArchiveUri(global.archive_uri); !s.ok()) return Fail(s, Origin::kInput);
  if (flags.urls.empty() && !flags.all)
    return {kExitUsage, InvalidArgument("download needs at least one log URL, or --all (see `ctdl status`)")};
  bool filtered = !flags.log_type.empty() || !flags.operator_sub.empty() || !flags.url_sub.empty();
  if (filtered && !flags.all)
    return {kExitUsage, InvalidArgument("--log-type, --operator and --url-contains filter --all")};
  if (flags.refresh_hours > 0 && (flags.log_list.empty() || !flags.follow))
    return {kExitUsage, InvalidArgument("--refresh-hours needs --follow and --log-list")};
  if (flags.rotate_seconds >= 0 && !flags.follow)
    return {kExitUsage, InvalidArgument("--rotate-seconds needs --follow")};

  DownloadOptions options;
  options.end = flags.end;
  options.max_inflight = flags.max_inflight;
  options.max_rps = flags.max_rps;
  options.max_host_inflight = flags.max_host_inflight;
  options.segment_entries = flags.segment_entries;
  options.compression = flags.compression;
  options.verify = !flags.no_verify;
  options.distributed = flags.distributed;
  options.chunk_entries = flags.chunk_entries;
  options.lease_seconds = flags.lease_seconds;
  if (flags.distributed && flags.end)
    return {kExitUsage, InvalidArgument("--end cannot be combined with --distributed (a distributed "
                                        "download goes to the tree size)")};
  if (flags.distributed && (flags.follow || flags.all))
    return {kExitUsage, InvalidArgument("--distributed works on named logs and to the tree size; it cannot "
                                        "be combined with --follow or --all yet")};
  options.follow = flags.follow;
  options.poll_seconds = flags.poll_seconds;
  options.rotate_seconds = flags.follow ? (flags.rotate_seconds >= 0 ? flags.rotate_seconds : 300) : 0;
  if (!flags.fields.empty()) {
    auto fields = ParseFields(flags.fields);
    if (!fields.ok()) return {kExitUsage, fields.status().Annotate("--fields")};
    options.fields = *fields;
  }

  CurlOptions curl = global.Curl();
  // Every request of one log may be in flight at once (HTTP/1.1: that many pooled connections).
  curl.max_per_host = std::max({curl.max_per_host, flags.max_inflight, flags.max_host_inflight});
  auto http = NewHttpClient(curl);
  auto store = OpenStateStore(global.state_uri, http.get(), /*create=*/!flags.log_list.empty());
  if (!store.ok()) return Fail(store.status(), Origin::kStateStore);
  if (!flags.log_list.empty())
    if (Status s = RegisterLogList(flags.log_list, *http, **store); !s.ok())
      return Fail(s, s.code() == Code::kUnavailable ? Origin::kNetwork : Origin::kInput);
  auto urls = PickLogs(flags, **store, global.state_uri);
  if (!urls.ok())
    return Fail(urls.status(), LookUpOrigin(urls.status()));
  options.urls = *urls;
  if (options.urls.empty() && !(flags.follow && flags.refresh_hours > 0))
    return {kExitBadInput, NotFound(fmt::format("--all: no registered log is usable, qualified or readonly "
                                                "and matches the filters (see `ctdl status`)"))};
  auto archive = OpenArchive(global.archive_uri, http.get());
  if (!archive.ok()) return Fail(archive.status(), Origin::kArchive);

  ErrorLog store_errors, archive_errors;  // for the exit code (cli/tracked_backends.h)
  auto tracked_store = TrackStore(store->get(), &store_errors);
  auto tracked_archive = TrackArchive(archive->get(), &archive_errors);
  DownloadContext context;
  context.store = tracked_store.get();
  context.state_name = StateStoreName(global.state_uri);
  context.archive = tracked_archive.get();
  context.http = http.get();
  context.clock = RealClock();
  context.stop_signals = &g_stop_signals;
  if (flags.refresh_hours > 0) {
    context.refresh_seconds = flags.refresh_hours * 3600;
    context.refresh = [&]() -> Result<std::vector<std::string>> {
      TRY(RegisterLogList(flags.log_list, *http, **store));
      return PickLogs(flags, **store, global.state_uri);
    };
  }

  std::unique_ptr<MetricsServer> metrics;
  if (!flags.metrics_listen.empty()) {
    auto m = MetricsServer::Start(flags.metrics_listen, {CTDL_VERSION});
    if (!m.ok()) return {m.status().code() == Code::kInvalidArgument ? kExitUsage : kExitNetwork, m.status()};
    metrics = std::move(m).value();
    fmt::print(stderr, "ctdl: metrics at http://{}/metrics (port {})\n", flags.metrics_listen,
               metrics->port());
  }
  bool tty = !flags.no_progress && isatty(STDERR_FILENO);
  std::unique_ptr<ProgressSink> display = tty ? NewTerminalDisplay(stderr, STDERR_FILENO, &g_stop_signals)
                                              : NewLineDisplay(stderr, context.clock);
  std::vector<ProgressSink*> sinks = {display.get()};
  if (metrics) sinks.push_back(metrics.get());
  auto tee = NewTeeSink(sinks);
  g_display_says_stopping = tty;
  options.progress_interval = tty ? 0.2 : 5;
  context.progress = tee.get();
  InstallStopHandlers();
  // Process-wide allocator tuning, the binary's business (not the library's): replies (MBs each) and
  // segments (tens of MBs) are big, short-lived buffers made on many threads. glibc's growing mmap
  // threshold would keep them in per-thread arenas; a fixed threshold returns them to the system at
  // once, which keeps peak RSS flat (measured: ~620 MB -> ~200 MB on 200k entries). The smaller
  // blocks of a batch (leaf hashes, records, pieces: tens of KB, made on a decoder thread and freed
  // on the committer's) stay in their arena up to 16 MB instead of glibc's 128 KB trim threshold:
  // each trim gave the pages back and the next batches faulted them in again (RFC 6962, 200k
  // entries: ~3k of ~22k page faults, +1.7 MB peak RSS).
  mallopt(M_MMAP_THRESHOLD, 512 * 1024);
  mallopt(M_ARENA_MAX, 4);
  mallopt(M_TRIM_THRESHOLD, 16 << 20);
  Status s = RunDownload(options, context);
  tee.reset();
  display.reset();
  g_display_says_stopping = false;
  // A graceful stop (one signal, everything in flight committed) is a success: exit 0 (issue 3).
  if (s.code() == Code::kUnimplemented)
    return {kExitUnimplemented, Unimplemented("download is not built yet (" + s.message() + ")")};
  // Anything that did not start in the state store or the archive concerns the log (exit 6).
  return Fail(s, OriginOf(s, store_errors, archive_errors, Origin::kNetwork));
}

}  // namespace ctdl::cli
