#include "sync/archive_guard.h"

#include <fmt/format.h>

#include <ctime>
#include <vector>

#include "base/log.h"
#include "sink/manifest.h"
#include "sink/segment.h"
#include "sink/writer_claim.h"

namespace ctdl {

Status CheckManifest(Archive& archive, const LogState& state, const PrefixFacts& facts, bool write_missing,
                     bool* found) {
  std::string key = ManifestKey(facts.slug);
  // A manifest that does not parse may be another writer's upload still in progress (s3rver; seen
  // with three distributed workers starting at once): read again before calling it foreign.
  auto got = GetWhole(archive, key, *RealClock(), [](std::string_view b) { return ParseManifest(b).ok(); });
  if (found) *found = got.ok();
  if (got.ok()) {
    auto m = ParseManifest(*got);
    if (!m.ok())
      return Conflict(fmt::format("{}/{} is not a ctdl manifest ({}); refusing to write {} there",
                                  archive.Describe(), key, m.status().message(), state.url));
    std::string why = ManifestMismatch(*m, state.url, state.log_id, state.key);
    if (!why.empty())
      return Conflict(fmt::format(
          "the archive folder {}/{}/ belongs to another log: {}, not {}. Nothing was written; use "
          "another --archive for one of them",
          archive.Describe(), facts.slug, why, state.url));
    return Status::Ok();
  }
  if (got.status().code() != Code::kNotFound) return got.status();
  if (!write_missing) return Status::Ok();
  ArchiveManifest m;
  m.log_url = state.url;
  m.log_id = state.log_id;
  m.key = state.key;
  m.segment_entries = facts.segment_entries;
  m.created_at = static_cast<int64_t>(std::time(nullptr));
  Status put = archive.Put(key, SerializeManifest(m));
  if (put.code() == Code::kConflict)  // another writer made one meanwhile: check theirs
    return CheckManifest(archive, state, facts, false);
  if (!put.ok()) return put.Annotate("writing the archive manifest " + key);
  return Status::Ok();
}

Status CheckNoOtherWriter(Archive& archive, const std::string& url, const std::string& key) {
  auto name = ParseSegmentKey(key);
  auto slash = key.rfind('/');
  if (!name || slash == std::string::npos) return Status::Ok();
  std::string first = fmt::format("{:012}", name->first), last = fmt::format("{:012}", name->last);
  size_t common = 0;
  if (first.size() == last.size())
    while (common < first.size() && first[common] == last[common]) ++common;
  TRY_ASSIGN(auto objects, archive.List(key.substr(0, slash + 1) + first.substr(0, common)));
  for (const ObjectInfo& o : objects) {
    auto other = ParseSegmentKey(o.key);
    if (o.key == key || !other || other->last < name->first || other->first > name->last) continue;
    return Conflict(fmt::format(
        "{}: {} overlaps {}, which this run has just written: another ctdl with another state store "
        "is writing this log into the same archive. Not committing it; nothing was deleted. Stop one "
        "of them (one state store per archive folder), then run `ctdl verify-archive {}`",
        url, o.key, key, url));
  }
  return Status::Ok();
}

namespace {

// Step 4: deletes the recorded pending write when it is provably ours; clears the record.
// `objects`: the log's prefix as listed before.
Status DropPendingWrite(Archive& archive, LogOwner& owner, const ArchiveClaim& claim, const LogState& state,
                        const std::vector<ObjectInfo>& objects) {
  if (state.pending_write.empty()) return Status::Ok();
  auto pending = ParsePendingWrite(state.pending_write);
  auto name = pending ? ParseSegmentKey(pending->key) : std::nullopt;
  if (pending && name && name->first >= state.position) {
    // Any other segment past the position: another state store wrote this log after we stopped, and
    // it may have written the very same object or adopted ours (adopt-archive) and committed it.
    // Same bytes then prove nothing: keep it and its record; step 5 reports it with the others.
    for (const ObjectInfo& o : objects) {
      auto other = ParseSegmentKey(o.key);
      if (other && other->last >= state.position && o.key != pending->key) {
        LOG_WARN(
            "{}: not removing {} (recorded as this state's unfinished write): {} lies beyond the "
            "committed position {} too, so another state store wrote this log since and may have "
            "committed it",
            state.url, pending->key, o.key, state.position);
        return Status::Ok();
      }
    }
    auto got = archive.Get(pending->key);
    if (got.ok() && Sha256HexOf(*got) == pending->sha256_hex) {
      // The folder must still be ours right before the delete: a state store that took it over
      // (adopt-archive) may count on this very object.
      TRY(claim.Check());
      LOG_INFO(
          "{}: removing {} (this log's unfinished write: recorded as pending beyond the committed "
          "position {}, same bytes)",
          state.url, pending->key, state.position);
      TRY(archive.Delete(pending->key));
    } else if (got.ok()) {
      LOG_WARN("{}: not removing {}: recorded as pending but its bytes differ from what was recorded",
               state.url, pending->key);
    } else if (got.status().code() != Code::kNotFound) {
      return got.status();
    }
  }
  return owner.ClearPending();
}

}  // namespace

Status RefuseSegmentsBeyond(Archive& archive, const LogState& state, const std::string& prefix,
                            const std::string& allowed) {
  TRY_ASSIGN(auto objects, archive.List(prefix));
  std::vector<std::string> beyond;
  uint64_t lo = UINT64_MAX, hi = 0;
  for (const ObjectInfo& o : objects) {
    auto name = ParseSegmentKey(o.key);
    if (!name || name->last < state.position) continue;
    if (name->first < state.position)
      return Corrupt(fmt::format(
          "{}: archive object {} covers [{}, {}] but the committed position is {}: it straddles the "
          "position, which should never happen; not deleting it, please inspect",
          state.url, o.key, name->first, name->last, state.position));
    if (o.key == allowed) continue;
    LOG_WARN(
        "{}: {} lies beyond the committed position {} and was not written by this state; "
        "keeping it",
        state.url, o.key, state.position);
    beyond.push_back(o.key);
    lo = std::min(lo, name->first);
    hi = std::max(hi, name->last + 1);
  }
  if (beyond.empty()) return Status::Ok();
  return Conflict(fmt::format(
      "{}: the archive {} already holds {} segments of this log beyond the committed position {} "
      "(entries [{}, {}), first {}) that this state store did not record writing: another state store "
      "wrote them, or the state was lost or reset. Nothing was deleted or written. If they are this "
      "log's, `ctdl adopt-archive {}` checks them and continues after them; otherwise use the state "
      "store that wrote them, or another --archive",
      state.url, archive.Describe(), beyond.size(), state.position, lo, hi, beyond.front(), state.url));
}

Status PrepareArchivePrefix(Archive& archive, LogOwner& owner, ArchiveClaim& claim, const LogState& state,
                            const PrefixFacts& facts) {
  // Another log's folder, or another state store's: refused before anything is removed or written.
  bool has_manifest = false;
  TRY(CheckManifest(archive, state, facts, /*write_missing=*/false, &has_manifest));
  TRY_ASSIGN(std::optional<WriterClaim> newest, claim.Newest());
  if (newest) TRY(claim.Hold(*newest));
  std::string prefix = SegmentPrefix(facts.slug);
  TRY_ASSIGN(int stale, archive.RemoveStaleTempFiles(prefix));
  if (stale > 0) LOG_INFO("{}: removed {} temp files left by interrupted runs", state.url, stale);
  if (!has_manifest) TRY(CheckManifest(archive, state, facts, /*write_missing=*/true));
  if (!newest) {
    // Unclaimed: a new folder, or one written before claims existed. This state store claims it
    // only when nothing beyond its position says another one wrote there (its own recorded pending
    // write aside), so a fresh state pointed at a full folder takes nothing.
    auto pending = ParsePendingWrite(state.pending_write);
    TRY(RefuseSegmentsBeyond(archive, state, prefix, pending ? pending->key : ""));
    TRY(claim.Claim(1, "download"));
  }
  TRY_ASSIGN(auto listed, archive.List(prefix));
  TRY(DropPendingWrite(archive, owner, claim, state, listed));
  return RefuseSegmentsBeyond(archive, state, prefix, "");
}

}  // namespace ctdl
