// MemoryArchive: an in-memory Archive for tests, with leveldb-SpecialEnv-style fault injection.
// Behaves exactly like the other backends (same key rules, same contract suite). Faults let tests
// check that nobody commits a position past an object that was not stored:
//   archive->FailNext(MemoryArchive::Op::kPut, 2, Unavailable("injected"));  // next 2 Puts fail
//   archive->SetHook([](Op op, const std::string& key) { ... return Status::Ok(); });
// A failed Put stores nothing. Counters tell how often each operation ran (including failures).
// Thread safety: every method is safe to call from several threads.
#pragma once

#include <array>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "sink/archive.h"

namespace ctdl {

class MemoryArchive : public Archive {
 public:
  enum class Op { kPut = 0, kGet, kList, kDelete };
  using Hook = std::function<Status(Op op, const std::string& key_or_prefix)>;

  Status Put(const std::string& key, std::string_view data) override;
  Result<std::string> Get(const std::string& key) override;
  Result<std::vector<ObjectInfo>> List(const std::string& prefix) override;
  Status Delete(const std::string& key) override;
  std::string Describe() const override { return "memory:"; }

  // The next `count` calls of `op` fail with `status` (must not be ok) and change nothing.
  void FailNext(Op op, int count, Status status);
  // Called before every operation (after FailNext); a non-ok result is returned and nothing changes.
  // Pass nullptr to remove. The hook runs without the archive's lock held, so it may call the archive.
  void SetHook(Hook hook);
  int Calls(Op op) const;
  // Snapshot of all objects, for assertions.
  std::map<std::string, std::string> Objects() const;

 private:
  Status Inject(Op op, const std::string& key);

  mutable std::mutex mu_;
  std::map<std::string, std::string> objects_;
  std::array<int, 4> calls_{};
  std::array<int, 4> fail_count_{};
  std::array<Status, 4> fail_status_{};
  std::shared_ptr<Hook> hook_;
};

std::unique_ptr<MemoryArchive> NewMemoryArchive();

}  // namespace ctdl
