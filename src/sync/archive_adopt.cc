#include "sync/archive_adopt.h"

#include <fmt/format.h>

#include "sink/segment.h"
#include "sync/archive_audit.h"
#include "sync/archive_claim.h"
#include "sync/archive_guard.h"
#include "sync/log_owner.h"

namespace ctdl {
namespace {

Status NoTiling(const std::string& url, uint64_t position, const ArchiveAudit& audit, bool claimed) {
  return Conflict(fmt::format(
      "{}: the segments beyond the committed position {} do not tile the entries exactly once "
      "({} problems; first: {}); nothing was adopted{}. Move the segments that do not belong aside "
      "and run adopt-archive again",
      url, position, audit.problems.size(), audit.problems.front(),
      claimed ? " (this state store holds the folder's writer claim now)" : ""));
}

}  // namespace

Result<AdoptResult> AdoptArchive(StateStore& store, Archive& archive, Clock* clock, const std::string& url,
                                 const std::string& state_name, std::chrono::milliseconds settle) {
  LogOwner owner(&store, clock, url);
  TRY(owner.Acquire());
  TRY_ASSIGN(auto state, store.Get(url));
  if (!state) return NotFound(fmt::format("log {} is not registered (run `ctdl init` first)", url));
  PrefixFacts facts{LogSlug(url), 0};
  TRY(CheckManifest(archive, *state, facts, /*write_missing=*/true));
  {  // by the names alone first: an adopt that cannot succeed takes nothing over
    TRY_ASSIGN(ArchiveAudit names, AuditArchive(archive, facts.slug, state->position, false));
    if (!names.problems.empty()) return NoTiling(url, state->position, names, false);
  }
  TRY_ASSIGN(WriterIdentity me, IdentifyWriter(store, state_name));
  ArchiveClaim claim(&archive, clock, facts.slug, url, std::move(me));
  AdoptResult result{state->position, state->position, 0, 0, std::nullopt};
  TRY_ASSIGN(result.took_from, claim.TakeOver("adopt-archive", settle));
  result.generation = claim.generation();
  TRY_ASSIGN(ArchiveAudit audit, AuditArchive(archive, facts.slug, state->position, true));
  if (!audit.problems.empty()) return NoTiling(url, state->position, audit, true);
  if (!audit.segments.empty() && audit.segments.front().first < state->position)
    return Corrupt(fmt::format("{}: {} straddles the committed position {}; nothing was adopted", url,
                               audit.segments.front().key, state->position));
  if (audit.end == state->position) {
    TRY(owner.Release());
    return result;
  }
  TRY(claim.Check());  // still ours (another adopt-archive may have taken it meanwhile)
  Progress p;
  p.position = audit.end;
  p.verified_size = std::min(state->verified_size, state->position);
  p.unverified_prefix = audit.end;  // the next download rebuilds and proves the Merkle state
  owner.Fence(&p);
  TRY(store.Advance(url, state->position, p));
  result.to = audit.end;
  result.segments = audit.segments.size();
  TRY(owner.Release());
  return result;
}

}  // namespace ctdl
