// Distributed downloads (`ctdl download URL... --distributed`, doc/distributed.md): any number of
// processes, on one machine or many, sharing one state store and one archive, cooperate on each log.
// The log is cut into chunks of a power-of-two size; each process repeatedly
//   reads the log, its chunks and the signed tree head -> folds done chunks into the log's position
//   (sync/chunk_fold.h) -> leases a free or expired chunk (sync/chunk_plan.h, sync/chunk_lease.h)
//   -> removes that chunk's leftovers beyond its committed position -> downloads it with the normal
//   pipeline (LogDownload with a ChunkJob) while a thread renews the lease every lease/3 -> marks it
//   done with its subtree hash (or releases it: stopped, or the tail reached the tree size)
// until the log's position reaches the tree size. A scheduler (Kubernetes Indexed Job, AWS Batch
// array, docker compose --scale) only starts identical processes; the leases hand out the work.
// Thread safety: RunDistributed runs one thread per log; DistributedLog::Run is called once.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "base/status.h"
#include "store/chunk.h"
#include "sync/archive_claim.h"
#include "sync/download.h"
#include "sync/log_download.h"
#include "sync/rate_limiter.h"

namespace ctdl {

// Downloads every named log (options.distributed set). Ok when each log's position reached its tree
// size or a signal stopped this process; kVerifyFailed naming a chunk that was rejected twice.
Status RunDistributed(const DownloadOptions& options, const DownloadContext& context);

class DistributedLog {
 public:
  DistributedLog(std::string url, const DownloadOptions& options, const DownloadContext& context,
                 TokenBucket* host_bucket, std::string owner, PipelineTuning tuning = {});
  Status Run();

 private:
  Status Work(std::unique_ptr<ChunkLease> lease, uint64_t target, uint64_t tree_size,
              const std::string& log_type);
  Status CleanupChunk(const Chunk& c);  // objects of the chunk beyond its committed position
  // The folder's writer claim (sync/archive_claim.h): every worker of one state store is the same
  // writer. Unclaimed: claimed when this state has chunk items for the log or no segment lies at or
  // beyond the log's position (else refused: another state store wrote there).
  Status HoldClaim(const LogState& state);
  // True while a plain download (no --distributed) owns the log's lease (sync/log_owner.h): workers
  // then wait and write nothing, so the two never write the same range.
  Result<bool> PlainOwnerActive();
  bool Stopping() const;
  void Pause(std::chrono::milliseconds d);  // ends early on a stop signal

  const std::string url_;
  const DownloadOptions& options_;
  const DownloadContext& ctx_;
  TokenBucket* bucket_;
  const std::string owner_;
  PipelineTuning tuning_;
  std::string slug_;
  bool manifest_checked_ = false;  // and the claim held
  std::unique_ptr<ArchiveClaim> claim_;
  bool waiting_logged_ = false;
};

}  // namespace ctdl
