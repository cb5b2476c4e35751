// CurlEngine: one libcurl multi handle driven by one event-loop thread, the fetch engine every
// CurlHttpClient request goes through (doc/network.md).
//   - HTTP/2 where the server offers it (ALPN): requests to a host are streams on one connection;
//     a request started while that connection is being set up waits for it (CURLOPT_PIPEWAIT)
//     instead of opening another.
//   - HTTP/1.1: connections kept alive and reused from a pool of up to `max_per_host` per origin
//     (scheme+host+port); at most `max_per_host` requests per origin run at once, the others wait
//     in a FIFO queue here (their timeouts start when they leave it).
//   - DNS, TLS sessions (resumption) and the parsed CA store are cached across requests.
// Thread safety: Submit may be called from any thread, including from a completion callback on the
// loop thread. Completions run on the loop thread (they must be quick and must not block).
// Lifetime: the destructor aborts requests still queued or running (TransportError::kCancelled,
// "client shut down"), calls their completions, and joins the loop; nothing leaks.
#pragma once

#include <curl/curl.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "net/curl_transfer.h"

namespace ctdl {

class CurlEngine {
 public:
  explicit CurlEngine(int max_per_host);
  ~CurlEngine();
  CurlEngine(const CurlEngine&) = delete;
  CurlEngine& operator=(const CurlEngine&) = delete;

  // The DNS + TLS-session share transfers of this engine are built with.
  CURLSH* share() const { return share_; }
  // Runs `t` as soon as its origin has a free slot; its completion runs on the loop thread. Once
  // shutdown has begun, aborts it on the caller's thread instead.
  void Submit(std::unique_ptr<CurlTransfer> t);
  bool OnLoopThread() const { return std::this_thread::get_id() == loop_id_; }
  // connections: CURLINFO_NUM_CONNECTS summed; open_connections: the sockets curl opened through
  // this engine (CURLOPT_OPENSOCKETFUNCTION) and has not closed yet.
  HttpStats Stats() const;

 private:
  struct Origin {
    int active = 0;
    std::deque<std::unique_ptr<CurlTransfer>> waiting;
  };
  void Loop();
  void Admit(std::unique_ptr<CurlTransfer> t);  // loop thread
  void Start(std::unique_ptr<CurlTransfer> t);  // loop thread: into the multi handle
  void Drain();                                 // loop thread: completed transfers
  void Release(CurlTransfer* t);                // loop thread: out of the multi, next one in
  void CheckCancelled();                        // loop thread
  void AbortAll();                              // loop thread, at shutdown

  const int max_per_host_;
  CURLM* multi_ = nullptr;
  CURLSH* share_ = nullptr;

  mutable std::mutex mu_;  // guards incoming_, stopping_, stats_
  std::vector<std::unique_ptr<CurlTransfer>> incoming_;
  bool stopping_ = false;
  HttpStats stats_;
  std::atomic<int64_t> open_sockets_{0};  // also touched by curl_multi_cleanup in the destructor

  // Loop thread only.
  std::unordered_map<CurlTransfer*, std::unique_ptr<CurlTransfer>> running_;
  std::map<std::string, Origin> origins_;
  bool any_cancellable_ = false;

  std::atomic<std::thread::id> loop_id_{};
  std::thread loop_;  // last: started when everything above exists
};

}  // namespace ctdl
