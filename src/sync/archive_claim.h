// ArchiveClaim: which state store writes a log's archive folder (doc/segments.md "Writer claim").
// A log's lease lives in its state store, so two ctdl with different state stores (two teams, one
// bucket; a lost SQLite file next to a live one) cannot see each other's leases. The folder says it
// instead: claim objects `<slug>/ctdl-writer-<generation>.json` (sink/writer_claim.h), created with
// the archive's create-exclusive Put and never rewritten or deleted; the highest generation is in
// force and names one state store (store/state_id.h). Every process using that state store (plain
// downloads, --follow, all distributed workers sharing a DynamoDB table) is that writer.
//
//   Newest     the claim in force, or none (a new folder, or one written before claims existed).
//   Claim(g)   creates generation g naming this state store (create-exclusive), then reads it back:
//              ok when it names us (we, or another process of this state store, wrote it); another
//              state store's: kConflict (Refusal), nothing else written. The read-back settles a race
//              on servers whose PUT is not create-exclusive (s3rver: the last writer wins).
//   Hold       ok when the claim in force is ours (remembers its generation), else Refusal.
//   TakeOver   adopt-archive: ours -> nothing; none -> generation 1; another's -> the next
//              generation, then waits `settle` so that a step the old writer started just before
//              (its check passed, its request still in flight) has landed before anything is read.
//   Check      before every commit and every delete: the generation we hold is still in force (the
//              next one does not exist and ours names us); else kConflict naming the new holder.
//              Two small GETs.
// A claim that does not parse is read again (0.2, 0.4, 0.8 s: another writer's upload in progress on
// a server that writes in place) and then refused (kConflict), never replaced.
// Thread safety: Check may be called from any thread once Hold/Claim/TakeOver returned; the others
// from one thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "base/clock.h"
#include "base/status.h"
#include "sink/archive.h"
#include "sink/writer_claim.h"
#include "store/state_store.h"

namespace ctdl {

// Who this process writes as.
struct WriterIdentity {
  std::string state_id;  // store/state_id.h
  std::string state;     // the state store's name for people ("sqlite:/abs/path", "dynamodb:TABLE")
  std::string process;   // sync/log_owner.h NewOwnerId
};
Result<WriterIdentity> IdentifyWriter(StateStore& store, const std::string& state_name);

class ArchiveClaim {
 public:
  ArchiveClaim(Archive* archive, Clock* clock, std::string slug, std::string url, WriterIdentity me);

  Result<std::optional<WriterClaim>> Newest();
  Status Claim(uint64_t generation, const std::string& by);
  Status Hold(const WriterClaim& newest);
  // The claim that was in force before, when it was another state store's (nullopt otherwise).
  Result<std::optional<WriterClaim>> TakeOver(const std::string& by, std::chrono::milliseconds settle);
  Status Check() const;

  bool Ours(const WriterClaim& c) const { return c.state_id == me_.state_id; }
  // kConflict: `other` holds the folder; this process wrote and deleted nothing.
  Status Refusal(const WriterClaim& other) const;
  uint64_t generation() const { return generation_.load(); }  // 0: none held
  const WriterIdentity& me() const { return me_; }

 private:
  Result<WriterClaim> Read(uint64_t generation) const;  // kNotFound when missing
  Result<WriterClaim> ReadKey(const std::string& key) const;
  std::string Folder() const;

  Archive* archive_;
  Clock* clock_;
  const std::string slug_;
  const std::string url_;
  const WriterIdentity me_;
  std::atomic<uint64_t> generation_{0};
};

}  // namespace ctdl
