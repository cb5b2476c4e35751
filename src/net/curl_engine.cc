#include "net/curl_engine.h"

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>

namespace ctdl {

namespace {

struct CurlGlobal {
  CurlGlobal() { curl_global_init(CURL_GLOBAL_DEFAULT); }
};

// Locks for the share (DNS, TLS sessions): handles are configured on callers' threads and run on
// the loop thread.
std::mutex share_locks[CURL_LOCK_DATA_LAST];
void LockShare(CURL*, curl_lock_data data, curl_lock_access, void*) {
  share_locks[data % CURL_LOCK_DATA_LAST].lock();
}
void UnlockShare(CURL*, curl_lock_data data, void*) {
  share_locks[data % CURL_LOCK_DATA_LAST].unlock();
}

constexpr int kPollMs = 250;  // also how often cancellation is checked

// Every socket of a transfer is opened and closed through these, so the engine knows how many are open
// (curl keeps the close function with the connection, also for the ones it pools).
curl_socket_t OpenSocket(void* open, curlsocktype, curl_sockaddr* a) {
  curl_socket_t s = ::socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
  if (s != CURL_SOCKET_BAD) ++*static_cast<std::atomic<int64_t>*>(open);
  return s;
}
int CloseSocket(void* open, curl_socket_t s) {
  --*static_cast<std::atomic<int64_t>*>(open);
  return ::close(s);
}

}  // namespace

CurlEngine::CurlEngine(int max_per_host) : max_per_host_(std::max(1, max_per_host)) {
  static CurlGlobal global;
  multi_ = curl_multi_init();
  curl_multi_setopt(multi_, CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX);
  curl_multi_setopt(multi_, CURLMOPT_MAX_HOST_CONNECTIONS, static_cast<long>(max_per_host_));
  // Idle connections kept for reuse: every origin's pool, and then some.
  curl_multi_setopt(multi_, CURLMOPT_MAXCONNECTS, static_cast<long>(std::max(64, 4 * max_per_host_)));
  curl_multi_setopt(multi_, CURLMOPT_MAX_CONCURRENT_STREAMS,
                    static_cast<long>(std::max(100, max_per_host_)));
  share_ = curl_share_init();
  curl_share_setopt(share_, CURLSHOPT_LOCKFUNC, &LockShare);
  curl_share_setopt(share_, CURLSHOPT_UNLOCKFUNC, &UnlockShare);
  curl_share_setopt(share_, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
  curl_share_setopt(share_, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
  loop_ = std::thread([this] { Loop(); });
}

CurlEngine::~CurlEngine() {
  {
    std::lock_guard<std::mutex> l(mu_);
    stopping_ = true;
  }
  curl_multi_wakeup(multi_);
  loop_.join();
  curl_multi_cleanup(multi_);
  curl_share_cleanup(share_);
}

HttpStats CurlEngine::Stats() const {
  std::lock_guard<std::mutex> l(mu_);
  HttpStats s = stats_;
  s.open_connections = open_sockets_.load();
  return s;
}

void CurlEngine::Submit(std::unique_ptr<CurlTransfer> t) {
  if (!t->easy()) {
    t->Abort(TransportError::kOther, "cannot create a curl handle (out of memory)");
    return;
  }
  {
    std::lock_guard<std::mutex> l(mu_);
    if (!stopping_) {
      incoming_.push_back(std::move(t));
      curl_multi_wakeup(multi_);  // under the lock: the destructor cannot free multi_ meanwhile
      return;
    }
  }
  t->Abort(TransportError::kCancelled, "client shut down");
}

void CurlEngine::Loop() {
  loop_id_ = std::this_thread::get_id();
  auto last_check = std::chrono::steady_clock::now();
  std::vector<std::unique_ptr<CurlTransfer>> batch;
  for (;;) {
    {
      std::lock_guard<std::mutex> l(mu_);
      if (stopping_) break;
      batch.swap(incoming_);
    }
    for (auto& t : batch) Admit(std::move(t));
    batch.clear();
    int still_running = 0;
    curl_multi_perform(multi_, &still_running);
    Drain();
    auto now = std::chrono::steady_clock::now();
    if (any_cancellable_ && now - last_check >= std::chrono::milliseconds(kPollMs)) {
      last_check = now;
      CheckCancelled();
    }
    curl_multi_poll(multi_, nullptr, 0, kPollMs, nullptr);
  }
  AbortAll();
}

void CurlEngine::Admit(std::unique_ptr<CurlTransfer> t) {
  if (t->Cancelled()) {
    t->Abort(TransportError::kCancelled, "cancelled");
    return;
  }
  any_cancellable_ = any_cancellable_ || t->cancellable();
  Origin& o = origins_[t->origin()];
  if (o.active >= max_per_host_) {
    o.waiting.push_back(std::move(t));
    return;
  }
  Start(std::move(t));
}

void CurlEngine::Start(std::unique_ptr<CurlTransfer> t) {
  ++origins_[t->origin()].active;
  CurlTransfer* raw = t.get();
  running_[raw] = std::move(t);
  curl_easy_setopt(raw->easy(), CURLOPT_OPENSOCKETFUNCTION, &OpenSocket);
  curl_easy_setopt(raw->easy(), CURLOPT_OPENSOCKETDATA, &open_sockets_);
  curl_easy_setopt(raw->easy(), CURLOPT_CLOSESOCKETFUNCTION, &CloseSocket);
  curl_easy_setopt(raw->easy(), CURLOPT_CLOSESOCKETDATA, &open_sockets_);
  CURLMcode rc = curl_multi_add_handle(multi_, raw->easy());
  if (rc != CURLM_OK) {
    std::unique_ptr<CurlTransfer> back = std::move(running_[raw]);
    running_.erase(raw);
    --origins_[raw->origin()].active;
    back->Abort(TransportError::kOther, curl_multi_strerror(rc));
  }
}

void CurlEngine::Drain() {
  int left = 0;
  while (CURLMsg* m = curl_multi_info_read(multi_, &left)) {
    if (m->msg != CURLMSG_DONE) continue;
    CURLcode rc = m->data.result;
    char* p = nullptr;
    curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &p);
    auto* raw = reinterpret_cast<CurlTransfer*>(p);
    auto it = running_.find(raw);
    if (it == running_.end()) continue;
    std::unique_ptr<CurlTransfer> t = std::move(it->second);
    long opened = 0;
    curl_easy_getinfo(t->easy(), CURLINFO_NUM_CONNECTS, &opened);
    {
      std::lock_guard<std::mutex> l(mu_);
      ++stats_.requests;
      stats_.connections += static_cast<uint64_t>(std::max(0L, opened));
    }
    Release(raw);
    t->Complete(rc);
  }
}

void CurlEngine::Release(CurlTransfer* t) {
  curl_multi_remove_handle(multi_, t->easy());
  running_.erase(t);
  auto it = origins_.find(t->origin());
  if (it == origins_.end()) return;
  Origin& o = it->second;
  --o.active;
  while (o.active < max_per_host_ && !o.waiting.empty()) {
    std::unique_ptr<CurlTransfer> next = std::move(o.waiting.front());
    o.waiting.pop_front();
    Start(std::move(next));
  }
  if (o.active == 0 && o.waiting.empty()) origins_.erase(it);
}

void CurlEngine::CheckCancelled() {
  std::vector<std::unique_ptr<CurlTransfer>> gone;
  for (auto& [name, o] : origins_) {
    for (auto it = o.waiting.begin(); it != o.waiting.end();) {
      if ((*it)->Cancelled()) {
        gone.push_back(std::move(*it));
        it = o.waiting.erase(it);
      } else {
        ++it;
      }
    }
  }
  std::vector<CurlTransfer*> stop;
  for (auto& [raw, t] : running_)
    if (t->Cancelled()) stop.push_back(raw);
  for (CurlTransfer* raw : stop) {
    std::unique_ptr<CurlTransfer> t = std::move(running_[raw]);
    Release(raw);
    gone.push_back(std::move(t));
  }
  for (auto& t : gone) t->Abort(TransportError::kCancelled, "cancelled");
}

void CurlEngine::AbortAll() {
  std::vector<std::unique_ptr<CurlTransfer>> gone;
  for (auto& [raw, t] : running_) {
    curl_multi_remove_handle(multi_, raw->easy());
    gone.push_back(std::move(t));
  }
  running_.clear();
  for (auto& [name, o] : origins_)
    for (auto& t : o.waiting) gone.push_back(std::move(t));
  origins_.clear();
  {
    std::lock_guard<std::mutex> l(mu_);
    for (auto& t : incoming_) gone.push_back(std::move(t));
    incoming_.clear();
  }
  for (auto& t : gone) t->Abort(TransportError::kCancelled, "client shut down");
}

}  // namespace ctdl
