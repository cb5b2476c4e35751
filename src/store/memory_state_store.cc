#include "store/memory_state_store.h"

#include <fmt/format.h>

#include <ctime>
#include <map>
#include <mutex>
#include <utility>

#include "store/lease.h"

namespace ctdl {
namespace {

int64_t NowSeconds() { return static_cast<int64_t>(std::time(nullptr)); }

class MemoryStateStore : public StateStore {
 public:
  Result<std::vector<LogState>> List() override {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<LogState> out;
    for (const auto& [url, log] : logs_) out.push_back(log);
    return out;
  }

  Result<std::optional<LogState>> Get(const std::string& url) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = logs_.find(url);
    if (it == logs_.end()) return std::optional<LogState>();
    return std::optional<LogState>(it->second);
  }

  Status Register(const std::vector<LogState>& logs, bool reset) override {
    for (const auto& l : logs)
      if (l.url.empty()) return InvalidArgument("cannot register a log with an empty url");
    std::lock_guard<std::mutex> lock(mu_);
    const int64_t now = NowSeconds();
    for (const auto& l : logs) {
      auto it = logs_.find(l.url);
      if (it == logs_.end()) {
        LogState fresh = l;
        fresh.position = 0;
        fresh.verified_size = 0;
        fresh.compact_range.clear();
        fresh.unverified_prefix = 0;
        fresh.pending_write.clear();
        fresh.advanced_at = 0;
        fresh.updated_at = now;
        logs_[l.url] = std::move(fresh);
        continue;
      }
      LogState& s = it->second;
      s.description = l.description;
      s.log_type = l.log_type;
      s.submission_url = l.submission_url;
      s.operator_name = l.operator_name;
      s.log_id = l.log_id;
      s.key = l.key;
      s.mmd = l.mmd;
      s.list_state = l.list_state;
      if (l.tree_size > s.tree_size) {
        s.tree_size = l.tree_size;
        s.sth = l.sth;
      }
      if (reset) {
        s.position = 0;
        s.verified_size = 0;
        s.compact_range.clear();
        s.unverified_prefix = 0;
        s.advanced_at = 0;
      }
      s.updated_at = now;
    }
    return Status::Ok();
  }

  Status UpdateTreeHead(const std::string& url, uint64_t tree_size, const std::string& sth) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = logs_.find(url);
    if (it == logs_.end()) return NotFound("log " + url + " is not registered");
    if (tree_size < it->second.tree_size) return Status::Ok();
    it->second.tree_size = tree_size;
    it->second.sth = sth;
    it->second.updated_at = NowSeconds();
    return Status::Ok();
  }

  Status Advance(const std::string& url, uint64_t expected_position, const Progress& progress) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = logs_.find(url);
    if (it == logs_.end()) return NotFound("log " + url + " is not registered");
    if (it->second.position != expected_position)
      return Conflict("log " + url + " is at position " + std::to_string(it->second.position) + ", not " +
                      std::to_string(expected_position) + ": another process advanced it");
    if (!progress.lease_owner.empty()) TRY(HeldLocked({url, progress.lease_owner, progress.lease_counter}));
    it->second.pending_write.clear();
    it->second.position = progress.position;
    it->second.verified_size = progress.verified_size;
    it->second.compact_range = progress.compact_range;
    it->second.unverified_prefix = progress.unverified_prefix;
    it->second.updated_at = it->second.advanced_at = NowSeconds();
    return Status::Ok();
  }

  Result<std::vector<Chunk>> ListChunks(const std::string& url) override {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<Chunk> out;
    for (auto it = chunks_.lower_bound({url, 0}); it != chunks_.end() && it->first.first == url; ++it)
      out.push_back(it->second);
    return out;
  }

  Status PutChunk(const Chunk& chunk, uint64_t expected_counter) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = chunks_.find({chunk.url, chunk.index});
    if (it == chunks_.end() && expected_counter == 0) {  // a missing item is counter 0
      it = chunks_.emplace(std::make_pair(chunk.url, chunk.index), chunk).first;
      it->second.counter = 0;
    }
    if (it == chunks_.end())
      return NotFound("chunk " + std::to_string(chunk.index) + " of " + chunk.url + " does not exist");
    if (it->second.counter != expected_counter)
      return Conflict("chunk " + std::to_string(chunk.index) + " of " + chunk.url + " has lease counter " +
                      std::to_string(it->second.counter) + ", not " + std::to_string(expected_counter) +
                      ": another worker wrote it");
    it->second = chunk;
    it->second.counter = expected_counter + 1;
    it->second.updated_at = NowSeconds();
    return Status::Ok();
  }

  Result<std::optional<HostRate>> GetHostRate(const std::string& host) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = hosts_.find(host);
    if (it == hosts_.end()) return std::optional<HostRate>();
    return std::optional<HostRate>(it->second);
  }

  Result<std::vector<HostRate>> ListHostRates() override {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<HostRate> out;
    for (const auto& [host, r] : hosts_) out.push_back(r);
    return out;
  }

  Status PutHostRate(const HostRate& rate) override {
    TRY(CheckHostRate(rate));
    std::lock_guard<std::mutex> lock(mu_);
    HostRate& r = hosts_[rate.host] = rate;
    r.updated_at = NowSeconds();
    return Status::Ok();
  }

  Result<Lease> GetLease(const std::string& key) override {
    std::lock_guard<std::mutex> lock(mu_);
    return LeaseLocked(key);
  }

  Result<Lease> AcquireLease(const std::string& key, const std::string& owner, int64_t now_ms, int64_t ttl_ms,
                             const std::string& dead_owner) override {
    if (key.empty() || owner.empty()) return InvalidArgument("a lease needs a key and an owner");
    std::lock_guard<std::mutex> lock(mu_);
    Lease l = LeaseLocked(key);
    if (l.owner != owner) {
      if (!l.Free(now_ms) && (dead_owner.empty() || l.owner != dead_owner)) return LeaseHeld(l, now_ms);
      l.owner = owner;
      ++l.counter;
    }
    l.expires_ms = now_ms + ttl_ms;
    leases_[key] = l;
    return l;
  }

  Result<Lease> RenewLease(const Lease& held, int64_t now_ms, int64_t ttl_ms) override {
    std::lock_guard<std::mutex> lock(mu_);
    TRY(HeldLocked(held));
    Lease& l = leases_[held.key];
    l.expires_ms = now_ms + ttl_ms;
    return l;
  }

  Status ReleaseLease(const Lease& held) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (!HeldLocked(held).ok()) return Status::Ok();
    Lease& l = leases_[held.key];
    l.owner.clear();
    l.expires_ms = 0;
    return Status::Ok();
  }

  Status RecordPendingWrite(const std::string& url, const Lease& held, const std::string& pending) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = logs_.find(url);
    if (it == logs_.end()) return NotFound("log " + url + " is not registered");
    TRY(HeldLocked(held));
    it->second.pending_write = pending;
    return Status::Ok();
  }

 private:
  Lease LeaseLocked(const std::string& key) const {
    auto it = leases_.find(key);
    if (it != leases_.end()) return it->second;
    Lease l;
    l.key = key;
    return l;
  }
  Status HeldLocked(const Lease& held) const {
    Lease l = LeaseLocked(held.key);
    if (l.owner == held.owner && l.counter == held.counter && !held.owner.empty()) return Status::Ok();
    return LeaseLost(held, l);
  }

  std::mutex mu_;
  std::map<std::string, LogState> logs_;
  std::map<std::pair<std::string, uint64_t>, Chunk> chunks_;
  std::map<std::string, HostRate> hosts_;
  std::map<std::string, Lease> leases_;
};

}  // namespace

std::unique_ptr<StateStore> NewMemoryStateStore() { return std::make_unique<MemoryStateStore>(); }

}  // namespace ctdl
