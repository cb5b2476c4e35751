#include "sync/archive_claim.h"

#include <fmt/format.h>

#include <ctime>

#include "base/log.h"
#include "store/state_id.h"
#include "sync/log_owner.h"

namespace ctdl {
namespace {

std::string When(int64_t unix_seconds) {
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  char buf[32] = "?";
  if (unix_seconds > 0 && ::gmtime_r(&t, &tm) != nullptr) std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm);
  return buf;
}

// "sqlite:/x.db (state id st-..., claim generation 2, written by `adopt-archive` on host/...:12:ab at ...)"
std::string Describe(const WriterClaim& c) {
  return fmt::format("{} (state id {}; claim generation {}, written by `{}` on {} at {})",
                     c.state.empty() ? "a state store" : c.state, c.state_id, c.generation,
                     c.by.empty() ? "?" : c.by, c.process.empty() ? "?" : c.process, When(c.created_at));
}

}  // namespace

Result<WriterIdentity> IdentifyWriter(StateStore& store, const std::string& state_name) {
  TRY_ASSIGN(std::string id, StateStoreId(store));
  return WriterIdentity{id, state_name, NewOwnerId()};
}

ArchiveClaim::ArchiveClaim(Archive* archive, Clock* clock, std::string slug, std::string url, WriterIdentity me)
    : archive_(archive), clock_(clock), slug_(std::move(slug)), url_(std::move(url)), me_(std::move(me)) {}

std::string ArchiveClaim::Folder() const { return fmt::format("{}/{}/", archive_->Describe(), slug_); }

Result<WriterClaim> ArchiveClaim::ReadKey(const std::string& key) const {
  // Another writer's upload in progress reads as garbage for a moment: read again before calling it foreign.
  auto got = GetWhole(*archive_, key, *clock_, [](std::string_view b) { return ParseClaim(b).ok(); });
  if (!got.ok()) return got.status();
  auto c = ParseClaim(*got);
  if (!c.ok())
    return Conflict(fmt::format("{}: {}{} is not a ctdl writer claim ({}); refusing to write there. "
                                "Nothing was deleted or written",
                                url_, Folder(), key.substr(key.rfind('/') + 1), c.status().message()));
  if (c->log_url != url_)
    return Conflict(fmt::format("{}: the writer claim {}{} names the log {}; the folder belongs to "
                                "another log. Nothing was deleted or written",
                                url_, Folder(), key.substr(key.rfind('/') + 1), c->log_url));
  if (ParseClaimKey(key) != c->generation)
    return Conflict(fmt::format("{}: the writer claim {}{} says generation {}; refusing to write there. "
                                "Nothing was deleted or written",
                                url_, Folder(), key.substr(key.rfind('/') + 1), c->generation));
  return std::move(c).value();
}

Result<WriterClaim> ArchiveClaim::Read(uint64_t generation) const {
  return ReadKey(ClaimKey(slug_, generation));
}

Result<std::optional<WriterClaim>> ArchiveClaim::Newest() {
  TRY_ASSIGN(auto objects, archive_->List(ClaimPrefix(slug_)));
  uint64_t newest = 0;
  std::string key;
  for (const ObjectInfo& o : objects) {
    auto g = ParseClaimKey(o.key);
    if (g && *g > newest) {
      newest = *g;
      key = o.key;
    }
  }
  if (newest == 0) return std::optional<WriterClaim>();
  TRY_ASSIGN(WriterClaim c, ReadKey(key));
  return std::optional<WriterClaim>(std::move(c));
}

Status ArchiveClaim::Refusal(const WriterClaim& other) const {
  return Conflict(fmt::format(
      "{}: the archive folder {} is claimed by another state store: {}. Only that state store "
      "writes this log there; this one ({}, state id {}) did not. Nothing was deleted or written. "
      "Download with that state store; or, if it is gone for good, `ctdl adopt-archive {}` with this "
      "one takes the folder over (the other one then refuses to write there)",
      url_, Folder(), Describe(other), me_.state.empty() ? "this state store" : me_.state, me_.state_id,
      url_));
}

Status ArchiveClaim::Claim(uint64_t generation, const std::string& by) {
  WriterClaim c;
  c.generation = generation;
  c.log_url = url_;
  c.state_id = me_.state_id;
  c.state = me_.state;
  c.process = me_.process;
  c.by = by;
  c.created_at = std::chrono::duration_cast<std::chrono::seconds>(clock_->WallNow().time_since_epoch()).count();
  std::string key = ClaimKey(slug_, generation);
  Status put = archive_->Put(key, SerializeClaim(c));
  if (!put.ok() && put.code() != Code::kConflict) return put.Annotate(url_ + ": writing the writer claim " + key);
  // What is there now decides: ours (this Put, or another process of this state store), or another
  // state store's (it made this generation first; without create-exclusive PUT the last one wins).
  TRY_ASSIGN(WriterClaim now, Read(generation));
  if (!Ours(now)) return Refusal(now);
  generation_ = generation;
  if (put.ok()) LOG_INFO("{}: claimed the archive folder {} for this state store (generation {})", url_, Folder(), generation);
  return Status::Ok();
}

Status ArchiveClaim::Hold(const WriterClaim& newest) {
  if (!Ours(newest)) return Refusal(newest);
  generation_ = newest.generation;
  return Status::Ok();
}

Result<std::optional<WriterClaim>> ArchiveClaim::TakeOver(const std::string& by, std::chrono::milliseconds settle) {
  TRY_ASSIGN(std::optional<WriterClaim> newest, Newest());
  if (!newest) {
    TRY(Claim(1, by));
    return std::optional<WriterClaim>();
  }
  if (Ours(*newest)) {
    TRY(Hold(*newest));
    return std::optional<WriterClaim>();
  }
  TRY(Claim(newest->generation + 1, by));
  LOG_INFO("{}: took the archive folder {} over from {}", url_, Folder(), Describe(*newest));
  clock_->SleepFor(settle);
  return newest;
}

Status ArchiveClaim::Check() const {
  uint64_t g = generation_.load();
  if (g == 0) return Conflict(url_ + ": no writer claim held (internal error); nothing was committed");
  auto next = Read(g + 1);
  if (next.ok())
    return Conflict(fmt::format(
        "{}: another state store took the archive folder {} over: {}. This state store ({}) no "
        "longer writes this log there; nothing was deleted. `ctdl adopt-archive {}` with it takes the "
        "folder back",
        url_, Folder(), Describe(*next), me_.state.empty() ? me_.state_id : me_.state, url_));
  if (next.status().code() != Code::kNotFound) return next.status();
  TRY_ASSIGN(WriterClaim held, Read(g));
  if (!Ours(held)) return Refusal(held);
  return Status::Ok();
}

}  // namespace ctdl
