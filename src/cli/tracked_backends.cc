#include "cli/tracked_backends.h"

namespace ctdl::cli {
namespace {

class TrackedStore : public StateStore {
 public:
  TrackedStore(StateStore* s, ErrorLog* log) : s_(s), log_(log) {}
  Result<std::vector<LogState>> List() override { return log_->Note(s_->List()); }
  Result<std::optional<LogState>> Get(const std::string& url) override { return log_->Note(s_->Get(url)); }
  Status Register(const std::vector<LogState>& logs, bool reset) override {
    return log_->Note(s_->Register(logs, reset));
  }
  Status UpdateTreeHead(const std::string& url, uint64_t size, const std::string& sth) override {
    return log_->Note(s_->UpdateTreeHead(url, size, sth));
  }
  Status Advance(const std::string& url, uint64_t expected, const Progress& p) override {
    return log_->Note(s_->Advance(url, expected, p));
  }
  Result<Lease> GetLease(const std::string& key) override { return log_->Note(s_->GetLease(key)); }
  Result<Lease> AcquireLease(const std::string& key, const std::string& owner, int64_t now_ms, int64_t ttl_ms,
                             const std::string& dead_owner) override {
    return log_->Note(s_->AcquireLease(key, owner, now_ms, ttl_ms, dead_owner));
  }
  Result<Lease> RenewLease(const Lease& held, int64_t now_ms, int64_t ttl_ms) override {
    return log_->Note(s_->RenewLease(held, now_ms, ttl_ms));
  }
  Status ReleaseLease(const Lease& held) override { return log_->Note(s_->ReleaseLease(held)); }
  Status RecordPendingWrite(const std::string& url, const Lease& held, const std::string& p) override {
    return log_->Note(s_->RecordPendingWrite(url, held, p));
  }
  Result<std::vector<Chunk>> ListChunks(const std::string& url) override {
    return log_->Note(s_->ListChunks(url));
  }
  Status PutChunk(const Chunk& chunk, uint64_t expected_counter) override {
    return log_->Note(s_->PutChunk(chunk, expected_counter));
  }
  Result<std::optional<HostRate>> GetHostRate(const std::string& host) override {
    return log_->Note(s_->GetHostRate(host));
  }
  Result<std::vector<HostRate>> ListHostRates() override { return log_->Note(s_->ListHostRates()); }
  Status PutHostRate(const HostRate& rate) override { return log_->Note(s_->PutHostRate(rate)); }

 private:
  StateStore* s_;
  ErrorLog* log_;
};

class TrackedArchive : public Archive {
 public:
  TrackedArchive(Archive* a, ErrorLog* log) : a_(a), log_(log) {}
  Status Put(const std::string& key, std::string_view data) override {
    return log_->Note(a_->Put(key, data));
  }
  Result<std::string> Get(const std::string& key) override {
    auto r = a_->Get(key);
    if (r.status().code() == Code::kNotFound) return r;  // an answer, not trouble
    return log_->Note(std::move(r));
  }
  Result<std::vector<ObjectInfo>> List(const std::string& prefix) override {
    return log_->Note(a_->List(prefix));
  }
  Status Delete(const std::string& key) override { return log_->Note(a_->Delete(key)); }
  std::string Describe() const override { return a_->Describe(); }
  Result<int> RemoveStaleTempFiles(const std::string& prefix) override {
    return log_->Note(a_->RemoveStaleTempFiles(prefix));
  }

 private:
  Archive* a_;
  ErrorLog* log_;
};

}  // namespace

bool ErrorLog::Produced(const Status& s) const {
  std::lock_guard<std::mutex> l(mu_);
  for (const auto& m : seen_)
    if (!m.empty() && s.message().find(m) != std::string::npos) return true;
  return false;
}

std::unique_ptr<StateStore> TrackStore(StateStore* inner, ErrorLog* log) {
  return std::make_unique<TrackedStore>(inner, log);
}

std::unique_ptr<Archive> TrackArchive(Archive* inner, ErrorLog* log) {
  return std::make_unique<TrackedArchive>(inner, log);
}

Origin OriginOf(const Status& s, const ErrorLog& store, const ErrorLog& archive, Origin fallback) {
  if (store.Produced(s)) return Origin::kStateStore;
  if (archive.Produced(s)) return Origin::kArchive;
  return fallback;
}

}  // namespace ctdl::cli
