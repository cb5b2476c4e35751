// The HTTP server behind `ctdl-testlog serve` (internal to tools/testlog). serve.cc has the
// plumbing (faults, sending, start/stop), handlers.cc the endpoints. Handlers run on httplib's thread
// pool; everything they touch is read-only after Run() starts listening, or thread-safe.
#pragma once

#include <httplib.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <string>

#include "base/status.h"
#include "faults.h"
#include "heads.h"
#include "logdata.h"
#include "serve.h"

namespace testlog {

using Clock = std::chrono::steady_clock;

class Server {
 public:
  explicit Server(const ServeOptions& opt) : opt_(opt), faults_(opt), heads_(&log_, opt.bad_signature) {}
  ctdl::Status Run();

 private:
  uint64_t CurrentSize() const;
  double VisibleAt(uint64_t index) const;  // seconds after start when an entry appeared
  // Applies the pre-handler faults; returns false when the request was answered already.
  bool Begin(const httplib::Request& req, httplib::Response& res, bool data, Decision* d);
  void Send(httplib::Response& res, const Decision& d, std::string body, const char* type);
  void SendHuge(httplib::Response& res);
  void SendEntries(httplib::Response& res, const Decision& d, uint64_t start, uint64_t end);
  void Error(httplib::Response& res, int status, const std::string& msg);
  void GetSth(const httplib::Request& req, httplib::Response& res);
  void GetEntries(const httplib::Request& req, httplib::Response& res);
  void GetConsistency(const httplib::Request& req, httplib::Response& res);
  void GetRoots(const httplib::Request& req, httplib::Response& res);
  void GetCheckpoint(const httplib::Request& req, httplib::Response& res);
  void GetTile(const httplib::Request& req, httplib::Response& res);
  void GetIssuer(const httplib::Request& req, httplib::Response& res);

  const ServeOptions& opt_;
  LogData log_;
  Faults faults_;
  HeadSigner heads_;
  Stats stats_;
  std::string origin_;
  Clock::time_point start_ = Clock::now();
  uint64_t initial_ = 0;
  std::map<uint64_t, std::string> corrupt_json_, corrupt_tile_;
};

}  // namespace testlog
