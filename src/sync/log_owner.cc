#include "sync/log_owner.h"

#include <fmt/format.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <random>

#include "base/bytes.h"
#include "base/log.h"
#include "store/lease.h"

namespace ctdl {
namespace {

std::string HostName() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0 || buf[0] == '\0') return "localhost";
  std::string h(buf);
  for (char& c : h)
    if (c == ':' || c == ' ' || c == '/') c = '_';
  return h;
}

// What tells this pid space apart from others with the same hostname (cloned machines all called
// "ubuntu", containers or pods on the host network): the boot id and the pid namespace. "" when
// either cannot be read; then no lease is ever taken over as a dead pid's (it must expire).
std::string PidSpaceTag() {
  std::string boot;
  if (std::FILE* f = std::fopen("/proc/sys/kernel/random/boot_id", "r")) {
    char buf[64] = {};
    if (std::fgets(buf, sizeof buf, f) != nullptr)
      for (const char* c = buf; *c != '\0' && boot.size() < 12; ++c)
        if ((*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'f')) boot += *c;
    std::fclose(f);
  }
  struct stat ns {};
  if (boot.size() < 12 || ::stat("/proc/self/ns/pid", &ns) != 0) return "";
  return fmt::format("{}-{}", boot, static_cast<uint64_t>(ns.st_ino));
}

// "<hostname>/<pid space tag>", or the hostname alone when there is no tag.
const std::string& ThisPidSpace() {
  static const std::string id = [] {
    std::string tag = PidSpaceTag();
    return tag.empty() ? HostName() : HostName() + "/" + tag;
  }();
  return id;
}

}  // namespace

std::string NewOwnerId() {
  std::random_device rd;
  uint64_t r = (uint64_t{rd()} << 32) ^ rd();
  return fmt::format("{}:{}:{:016x}", ThisPidSpace(), ::getpid(), r);
}

bool OwnerIsGoneHere(const std::string& owner) {
  auto last = owner.rfind(':');
  if (last == std::string::npos || last == 0) return false;
  auto mid = owner.rfind(':', last - 1);
  if (mid == std::string::npos) return false;
  // Only a pid of this very pid space can be checked: same host name is not enough (another machine
  // or container with that name would see its own pids, and take over a live owner's lease).
  if (ThisPidSpace().find('/') == std::string::npos || owner.substr(0, mid) != ThisPidSpace()) return false;
  std::string_view pid_text = std::string_view(owner).substr(mid + 1, last - mid - 1);
  long pid = 0;
  auto [p, ec] = std::from_chars(pid_text.data(), pid_text.data() + pid_text.size(), pid);
  if (ec != std::errc() || p != pid_text.data() + pid_text.size() || pid <= 0) return false;
  if (pid == ::getpid()) return false;  // ours (another LogOwner of this process): not gone
  return ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH;
}

Result<std::optional<Lease>> LiveOwnerOf(StateStore& store, Clock& clock, const std::string& url) {
  TRY_ASSIGN(Lease l, store.GetLease(url));
  int64_t now_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(clock.WallNow().time_since_epoch()).count();
  if (l.Free(now_ms) || OwnerIsGoneHere(l.owner)) return std::optional<Lease>();
  return std::optional<Lease>(std::move(l));
}

std::string Sha256HexOf(std::string_view data) { return HexEncode(AsView(Sha256(data))); }

std::string FormatPendingWrite(const std::string& key, std::string_view data) {
  return key + " " + Sha256HexOf(data);
}

std::optional<PendingWrite> ParsePendingWrite(std::string_view text) {
  auto sp = text.rfind(' ');
  if (sp == std::string_view::npos || sp == 0 || text.size() - sp - 1 != 64) return std::nullopt;
  return PendingWrite{std::string(text.substr(0, sp)), std::string(text.substr(sp + 1))};
}

LogOwner::LogOwner(StateStore* store, Clock* clock, std::string url, LeaseTiming timing)
    : store_(store), clock_(clock), url_(std::move(url)), timing_(timing), owner_(NewOwnerId()) {}

LogOwner::~LogOwner() { (void)Release(); }

int64_t LogOwner::NowMs() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(clock_->WallNow().time_since_epoch()).count();
}

Status LogOwner::Acquire() {
  TRY_ASSIGN(Lease seen, store_->GetLease(url_));
  std::string gone;
  if (!seen.Free(NowMs()) && OwnerIsGoneHere(seen.owner)) {
    gone = seen.owner;
    LOG_INFO("{}: taking over the lease of {} (that process no longer runs)", url_, gone);
  }
  auto got = store_->AcquireLease(url_, owner_, NowMs(), timing_.ttl.count(), gone);
  if (!got.ok()) return got.status();
  std::lock_guard<std::mutex> l(mu_);
  lease_ = *got;
  held_ = true;
  LOG_DEBUG("{}: lease {} taken as {}", url_, lease_.counter, owner_);
  return Status::Ok();
}

void LogOwner::StartHeartbeat(std::function<void(Status)> on_lost) {
  std::lock_guard<std::mutex> l(mu_);
  if (!held_ || heartbeat_.joinable()) return;
  heartbeat_ = std::thread([this, f = std::move(on_lost)] { Heartbeat(f); });
}

void LogOwner::Heartbeat(std::function<void(Status)> on_lost) {
  std::unique_lock<std::mutex> l(mu_);
  for (;;) {
    if (cv_.wait_for(l, timing_.renew, [&] { return stop_; })) return;
    Lease held = lease_;
    l.unlock();
    auto renewed = store_->RenewLease(held, NowMs(), timing_.ttl.count());
    l.lock();
    if (renewed.ok()) {
      lease_ = *renewed;
      continue;
    }
    if (renewed.status().code() != Code::kUnavailable) {  // lost, or the store itself is gone
      held_ = false;
      l.unlock();
      if (on_lost) on_lost(renewed.status());
      return;
    }
    // Transient backend trouble: keep trying; the lease lasts ttl, several renew periods.
    LOG_WARN("{}: renewing the lease failed ({}); retrying", url_, renewed.status().message());
  }
}

Status LogOwner::Release() {
  {
    std::lock_guard<std::mutex> l(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (heartbeat_.joinable()) heartbeat_.join();
  Lease held;
  {
    std::lock_guard<std::mutex> l(mu_);
    if (!held_) return Status::Ok();
    held_ = false;
    held = lease_;
  }
  TRY_ASSIGN(Lease now, store_->GetLease(url_));
  if (now.owner != held.owner || now.counter != held.counter) return LeaseLost(held, now);
  return store_->ReleaseLease(held);
}

Lease LogOwner::lease() const {
  std::lock_guard<std::mutex> l(mu_);
  return lease_;
}

void LogOwner::Fence(Progress* p) const {
  std::lock_guard<std::mutex> l(mu_);
  p->lease_owner = lease_.owner;
  p->lease_counter = lease_.counter;
}

Status LogOwner::RecordPending(const std::string& key, std::string_view data) {
  return store_->RecordPendingWrite(url_, lease(), FormatPendingWrite(key, data));
}

Status LogOwner::ClearPending() { return store_->RecordPendingWrite(url_, lease(), ""); }

}  // namespace ctdl
