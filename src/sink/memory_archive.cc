#include "sink/memory_archive.h"

#include <fmt/format.h>

#include "sink/archive_key.h"

namespace ctdl {

std::unique_ptr<MemoryArchive> NewMemoryArchive() { return std::make_unique<MemoryArchive>(); }

Status MemoryArchive::Inject(Op op, const std::string& key) {
  std::shared_ptr<Hook> hook;
  {
    std::lock_guard<std::mutex> l(mu_);
    auto i = static_cast<size_t>(op);
    calls_[i]++;
    if (fail_count_[i] > 0) {
      fail_count_[i]--;
      return fail_status_[i];
    }
    hook = hook_;
  }
  if (hook && *hook) return (*hook)(op, key);
  return Status::Ok();
}

Status MemoryArchive::Put(const std::string& key, std::string_view data) {
  TRY(ValidateArchiveKey(key));
  TRY(Inject(Op::kPut, key));
  std::lock_guard<std::mutex> l(mu_);
  auto [it, fresh] = objects_.try_emplace(key, data);
  if (!fresh && it->second != data) return ExistsDifferent(Describe() + "/" + key);
  return Status::Ok();
}

Result<std::string> MemoryArchive::Get(const std::string& key) {
  TRY(ValidateArchiveKey(key));
  TRY(Inject(Op::kGet, key));
  std::lock_guard<std::mutex> l(mu_);
  auto it = objects_.find(key);
  if (it == objects_.end()) return NotFound(fmt::format("no object {} in memory archive", key));
  return it->second;
}

Result<std::vector<ObjectInfo>> MemoryArchive::List(const std::string& prefix) {
  TRY(ValidateArchivePrefix(prefix));
  TRY(Inject(Op::kList, prefix));
  std::lock_guard<std::mutex> l(mu_);
  std::vector<ObjectInfo> out;
  for (auto it = objects_.lower_bound(prefix); it != objects_.end() && it->first.starts_with(prefix);
       ++it)
    out.push_back({it->first, it->second.size()});
  return out;
}

Status MemoryArchive::Delete(const std::string& key) {
  TRY(ValidateArchiveKey(key));
  TRY(Inject(Op::kDelete, key));
  std::lock_guard<std::mutex> l(mu_);
  objects_.erase(key);
  return Status::Ok();
}

void MemoryArchive::FailNext(Op op, int count, Status status) {
  std::lock_guard<std::mutex> l(mu_);
  auto i = static_cast<size_t>(op);
  fail_count_[i] = count;
  fail_status_[i] = status.ok() ? Unavailable("injected fault") : std::move(status);
}

void MemoryArchive::SetHook(Hook hook) {
  std::lock_guard<std::mutex> l(mu_);
  hook_ = hook ? std::make_shared<Hook>(std::move(hook)) : nullptr;
}

int MemoryArchive::Calls(Op op) const {
  std::lock_guard<std::mutex> l(mu_);
  return calls_[static_cast<size_t>(op)];
}

std::map<std::string, std::string> MemoryArchive::Objects() const {
  std::lock_guard<std::mutex> l(mu_);
  return objects_;
}

}  // namespace ctdl
