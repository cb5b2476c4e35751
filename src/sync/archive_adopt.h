// `ctdl adopt-archive`: continue a log from segments already in the archive that its state does not
// cover (a lost or fresh state, another team's bucket, the seed's output renamed into place).
// Under the log's lease (sync/log_owner.h): the manifest must name this log (written when missing);
// the segments beyond the stored position p0 must tile [p0, p) exactly once, each holding exactly its
// records in index order (sync/archive_audit.h); then the position becomes p with no Merkle state
// and unverified_prefix p, so the next download rebuilds the Merkle state of [0, p) from the log and
// proves it against a signed head, as for a position taken over from the seed (doc/verification.md
// section 4). Nothing in the archive is written (but a missing manifest) or deleted.
// Errors: kConflict (lease held, manifest of another log, segments that do not tile: nothing
// changes), kNotFound (log not registered), archive and store errors as they come.
#pragma once

#include <cstdint>
#include <string>

#include "base/clock.h"
#include "base/status.h"
#include "sink/archive.h"
#include "store/state_store.h"

namespace ctdl {

struct AdoptResult {
  uint64_t from = 0;      // position before
  uint64_t to = 0;        // position after (== from: nothing to adopt)
  uint64_t segments = 0;  // segments adopted
};

Result<AdoptResult> AdoptArchive(StateStore& store, Archive& archive, Clock* clock, const std::string& url);

}  // namespace ctdl
