// `ctdl adopt-archive`: continue a log from segments already in the archive that its state does not
// cover (a lost or fresh state, another team's bucket, the seed's output renamed into place), and
// make this state store the writer of the log's folder.
// Under the log's lease (sync/log_owner.h): the manifest must name this log (written when missing);
// the segments beyond the stored position p0 must tile [p0, p) exactly once by their names (checked
// before anything is claimed: a refused adopt takes nothing over); then the folder's writer claim is
// taken (sync/archive_claim.h TakeOver: none -> generation 1; another state store's -> the next
// generation, after which that one refuses to write or delete there, and a wait of `settle` for its
// requests already in flight); then the segments are read back, each holding exactly its records in
// index order (sync/archive_audit.h), the claim is checked once more, and the position becomes p
// with no Merkle state and unverified_prefix p, so the next download rebuilds the Merkle state of
// [0, p) from the log and proves it against a signed head, as for a position taken over from the
// seed (doc/verification.md section 4). Nothing in the archive is written (but a missing manifest
// and the claim) or deleted.
// Errors: kConflict (lease held, manifest of another log, claim race lost, segments that do not
// tile: the position does not change), kNotFound (log not registered), archive and store errors.
#pragma once

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

// How long a take-over waits after writing its claim before it reads the folder: the old writer
// checks the claim right before each commit and delete, so only a request it sent before the new
// claim existed can still land; this is far above one request's round trip.
inline constexpr std::chrono::milliseconds kTakeOverSettle{5000};

struct AdoptResult {
  uint64_t from = 0;      // position before
  uint64_t to = 0;        // position after (== from: nothing to adopt)
  uint64_t segments = 0;  // segments adopted
  uint64_t generation = 0;               // the writer claim this state store holds now
  std::optional<WriterClaim> took_from;  // the claim in force before, when another store's
};

// state_name: the state store's name for people, written into a new claim.
Result<AdoptResult> AdoptArchive(StateStore& store, Archive& archive, Clock* clock, const std::string& url,
                                 const std::string& state_name,
                                 std::chrono::milliseconds settle = kTakeOverSettle);

}  // namespace ctdl
