// ctdl verify-archive and ctdl adopt-archive: the archive checked against the state
// (sync/archive_audit.h, sync/archive_adopt.h; doc/cli.md).
#include <fmt/format.h>

#include "base/bytes.h"
#include "base/clock.h"
#include "cli/backends.h"
#include "cli/commands.h"
#include "net/file_http_client.h"
#include "cli/log_lookup.h"
#include "sink/segment.h"
#include "sink/writer_claim.h"
#include "store/state_id.h"
#include "sync/archive_adopt.h"
#include "sync/archive_audit.h"
#include "sync/archive_guard.h"

namespace ctdl::cli {
namespace {

struct Opened {
  std::unique_ptr<HttpClient> http;
  std::unique_ptr<StateStore> store;
  std::unique_ptr<Archive> archive;
};

std::optional<Failure> Open(const GlobalOptions& global, const std::vector<std::string>& urls, Opened* o) {
  if (Status s = CheckStateUri(global.state_uri); !s.ok()) return Fail(s, Origin::kInput);
  if (Status s = CheckArchiveUri(global.archive_uri); !s.ok()) return Fail(s, Origin::kInput);
  if (urls.empty())
    return Failure{kExitUsage, InvalidArgument("name at least one log URL (see `ctdl status`)")};
  o->http = NewHttpClient(global.Curl());
  auto store = OpenStateStore(global.state_uri, o->http.get(), /*create=*/false);
  if (!store.ok()) return Fail(store.status(), Origin::kStateStore);
  o->store = std::move(store).value();
  auto archive = OpenArchive(global.archive_uri, o->http.get());
  if (!archive.ok()) return Fail(archive.status(), Origin::kArchive);
  o->archive = std::move(archive).value();
  return std::nullopt;
}

// Who writes the log's folder (doc/segments.md "Writer claim"), for people; "" when unclaimed.
std::string ClaimLine(Opened& o, const LogState& log) {
  std::string slug = LogSlug(log.url);
  auto objects = o.archive->List(ClaimPrefix(slug));
  if (!objects.ok()) return "";
  uint64_t newest = 0;
  for (const auto& obj : *objects) newest = std::max(newest, ParseClaimKey(obj.key).value_or(0));
  if (newest == 0) return "";
  auto data = o.archive->Get(ClaimKey(slug, newest));
  auto claim = data.ok() ? ParseClaim(*data) : Result<WriterClaim>(data.status());
  if (!claim.ok()) return fmt::format("writer claim generation {} does not read: {}", newest, claim.status().message());
  auto ours = o.store->GetLease(kStateIdKey);
  bool mine = ours.ok() && ours->owner == claim->state_id;
  return fmt::format("written by {} (state id {}, writer claim generation {}){}",
                     claim->state.empty() ? "a state store" : claim->state, claim->state_id, newest,
                     mine ? ": this state store" : ": ANOTHER state store, not this one");
}

// One log: prints its findings; true when the archive matches the state.
Result<bool> VerifyOne(Opened& o, const LogState& log) {
  PrefixFacts facts{LogSlug(log.url), 0};
  if (Status m = CheckManifest(*o.archive, log, facts, /*write_missing=*/false); !m.ok()) {
    if (m.code() != Code::kConflict) return m;
    fmt::print("FAILED  {}: {}\n", log.url, m.message());
    return false;
  }
  TRY_ASSIGN(ArchiveAudit audit,
             AuditArchive(*o.archive, facts.slug, 0, /*read_segments=*/true, log.position));
  // audit.end stops at the first gap, overlap or bad segment: every problem inside [0, position)
  // makes it fall short of the position. Problems past it concern data that is not committed.
  bool ok = audit.end >= log.position;
  std::string merkle_line;
  if (ok && audit.merkle) {  // the records carry leaf hashes: their root against the state's
    auto stored = CompactRange::Parse(log.compact_range);
    if (stored.ok() && stored->size() == log.position) {
      bool same = stored->Root() == audit.merkle->Root();
      merkle_line =
          fmt::format("Merkle root of [0, {}) from the records' leaf_hash {} the state's ({})", log.position,
                      same ? "matches" : "DOES NOT match", Base64Encode(AsView(audit.merkle->Root())));
      ok = same;
    }
  } else if (ok && log.position > 0) {
    merkle_line = "no Merkle check: the records carry no leaf_hash (download with --fields leaf_hash)";
  }
  size_t beyond = 0;
  for (const auto& s : audit.segments) beyond += s.first >= log.position ? 1 : 0;
  if (ok) {
    fmt::print("OK      {}: entries [0, {}) exactly once in {} segments ({} records checked)\n", log.url,
               log.position, audit.segments.size() - beyond, audit.records);
  } else if (audit.end >= log.position) {
    fmt::print("FAILED  {}: the records do not hash to the state's Merkle root\n", log.url);
  } else {
    fmt::print("FAILED  {}: the archive covers [0, {}) exactly once, the state says position {}\n", log.url,
               audit.end, log.position);
  }
  if (!merkle_line.empty()) fmt::print("        {}\n", merkle_line);
  for (const auto& p : audit.problems) fmt::print("        {}\n", p);
  if (auto claim = ClaimLine(o, log); !claim.empty()) fmt::print("        {}\n", claim);
  if (beyond > 0)
    fmt::print(
        "        {} segments lie beyond the committed position {} (not committed; "
        "`ctdl adopt-archive {}` takes them over when they are this log's)\n",
        beyond, log.position, log.url);
  return ok;
}

}  // namespace

Failure RunVerifyArchive(const GlobalOptions& global, const std::vector<std::string>& urls) {
  Opened o;
  if (auto f = Open(global, urls, &o)) return *f;
  size_t failed = 0;
  for (const auto& raw : urls) {
    auto log = LookUpRegisteredLog(*o.store, raw, global.state_uri);
    if (!log.ok()) return Fail(log.status(), LookUpOrigin(log.status()));
    auto ok = VerifyOne(o, *log);
    if (!ok.ok()) return Fail(ok.status(), Origin::kArchive);
    failed += *ok ? 0 : 1;
  }
  if (failed > 0)
    return {kExitVerifyFailed,
            VerifyFailed(
                fmt::format("{} of {} logs do not match their archive (see above)", failed, urls.size()))};
  return Succeed();
}

Failure RunAdoptArchive(const GlobalOptions& global, const std::vector<std::string>& urls) {
  Opened o;
  if (auto f = Open(global, urls, &o)) return *f;
  for (const auto& raw : urls) {
    auto log = LookUpRegisteredLog(*o.store, raw, global.state_uri);
    if (!log.ok()) return Fail(log.status(), LookUpOrigin(log.status()));
    auto r = AdoptArchive(*o.store, *o.archive, RealClock(), log->url, StateStoreName(global.state_uri));
    if (!r.ok()) return Fail(r.status(), Origin::kArchive);
    if (r->took_from)
      fmt::print("{}: took the archive folder over from {} (state id {}, generation {}); this state "
                 "store writes it now (writer claim generation {}), the other one refuses to\n",
                 log->url, r->took_from->state.empty() ? "another state store" : r->took_from->state,
                 r->took_from->state_id, r->took_from->generation, r->generation);
    if (r->to == r->from)
      fmt::print("{}: nothing to adopt beyond position {}\n", log->url, r->from);
    else
      fmt::print(
          "{}: adopted {} segments, position {} -> {}; the next download rebuilds and proves "
          "the Merkle state\n",
          log->url, r->segments, r->from, r->to);
  }
  return Succeed();
}

}  // namespace ctdl::cli
