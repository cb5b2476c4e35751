// The ctdl commands (doc/cli.md). Each returns a Failure (exit code + one-sentence Status, exit codes:
// doc/exit-codes.md); output goes to stdout (results) and stderr (warnings, progress). Flags are parsed
// and checked in app.cc (CLI11, cli/flag_checks.h); the commands live in init_cmd.cc (init),
// status_cmd.cc (status, update-tree-size), download_cmd.cc (download: options, backends, display and
// metrics around sync/download.h's RunDownload) and archive_cmds.cc (verify-archive, adopt-archive).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cli/exit_codes.h"
#include "cli/user_agent.h"
#include "net/http_client.h"

namespace ctdl::cli {

inline constexpr const char* kDefaultLogListUrl = "https://www.gstatic.com/ct/log_list/v3/all_logs_list.json";

struct GlobalOptions {
  std::string state_uri = "sqlite:ctdl-state.db";
  std::string archive_uri = "dir:ctdl-archive";
  std::string user_agent;  // empty: DefaultUserAgent()
  std::string contact;     // --contact URL|EMAIL: added to the User-Agent (cli/user_agent.h)
  std::string proxy;
  std::string ca_bundle;  // empty: $CURL_CA_BUNDLE, $SSL_CERT_FILE, the system store
  std::string source_address;  // --source-address: numeric IP outgoing connections are bound to
  int verbose = 0;
  CurlOptions Curl() const {
    CurlOptions o;
    o.user_agent = UserAgentWithContact(user_agent, contact);
    o.proxy = proxy;
    o.verbose = verbose >= 2;
    o.ca_bundle = ca_bundle;
    o.source_address = source_address;
    return o;
  }
};

struct InitOptions {
  std::string log_list = kDefaultLogListUrl;  // file path or http(s) URL
  bool yes = false;
  bool reset = false;
  bool include_test = false;
  int concurrency = 16;
};
Failure RunInit(const GlobalOptions& global, const InitOptions& options);

struct StatusOptions {
  bool json = false;
  bool verified = false;  // --verified: the table with the Verified and Unverified columns
  bool lag = false;       // --lag: the table with the Behind and AdvancedAgo columns
};
Failure RunStatus(const GlobalOptions& global, const StatusOptions& options);

Failure RunUpdateTreeSize(const GlobalOptions& global);

struct DownloadFlags {
  std::vector<std::string> urls;
  std::optional<uint64_t> end;
  int max_inflight = 64;
  double max_rps = 0;
  uint64_t segment_entries = 100000;
  std::string compression = "gzip";
  std::string fields;
  bool no_progress = false;
  bool no_verify = false;
  bool distributed = false;                  // doc/distributed.md
  uint64_t chunk_entries = uint64_t{1} << 20;
  double lease_seconds = 60;
  int max_host_inflight = 0;
  // --all and its filters (cli/log_select.h)
  bool all = false;
  std::string log_type, operator_sub, url_sub;
  // --follow (sync/log_mirror.h)
  bool follow = false;
  double poll_seconds = 60;
  double rotate_seconds = -1;            // < 0: default (300 with --follow)
  std::string log_list;                  // registered at start (and every refresh_hours)
  double refresh_hours = 0;
  std::string metrics_listen;            // ADDR:PORT of /metrics and /healthz
};
Failure RunDownloadCommand(const GlobalOptions& global, const DownloadFlags& flags);

// verify-archive: each log's segments against its state (exactly once over [0, position), records
// per segment, manifest); exit 7 when one does not match. adopt-archive: continue a log from
// segments its state does not cover (sync/archive_adopt.h).
Failure RunVerifyArchive(const GlobalOptions& global, const std::vector<std::string>& urls);
Failure RunAdoptArchive(const GlobalOptions& global, const std::vector<std::string>& urls);

}  // namespace ctdl::cli
