#include "sink/archive_key.h"

#include <fmt/format.h>

#include "sink/archive.h"

namespace ctdl {
namespace {

bool BadByte(char c) {
  auto u = static_cast<unsigned char>(c);
  return u < 0x20 || u >= 0x7f || c == '\\';
}

}  // namespace

Status ValidateArchiveKey(std::string_view key) {
  auto bad = [&](std::string_view why) {
    return InvalidArgument(fmt::format("archive key \"{}\" is invalid: {}", key.substr(0, 200), why));
  };
  if (key.empty()) return bad("empty");
  if (key.size() > kMaxArchiveKeyBytes) return bad("longer than 1024 bytes");
  size_t start = 0;
  while (true) {
    size_t slash = key.find('/', start);
    std::string_view part = key.substr(start, slash == std::string_view::npos ? key.npos : slash - start);
    if (part.empty()) return bad("empty path component (leading, trailing or double '/')");
    if (part.front() == '.') return bad("a path component starts with '.'");
    for (char c : part)
      if (BadByte(c)) return bad("control, non-ASCII or '\\' byte");
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return Status::Ok();
}

Status ValidateArchivePrefix(std::string_view prefix) {
  auto bad = [&](std::string_view why) {
    return InvalidArgument(
        fmt::format("archive prefix \"{}\" is invalid: {}", prefix.substr(0, 200), why));
  };
  if (prefix.size() > kMaxArchiveKeyBytes) return bad("longer than 1024 bytes");
  if (!prefix.empty() && prefix.front() == '/') return bad("starts with '/'");
  if (prefix.find("..") != std::string_view::npos) return bad("contains \"..\"");
  if (prefix.find("//") != std::string_view::npos) return bad("contains \"//\"");
  for (char c : prefix)
    if (BadByte(c)) return bad("control, non-ASCII or '\\' byte");
  return Status::Ok();
}

Status ExistsDifferent(const std::string& where) {
  return Conflict(where +
                  " already exists with other content; not replacing it (another writer, or "
                  "another state store, wrote this key)");
}

Result<std::string> GetWhole(Archive& archive, const std::string& key, Clock& clock,
                             const std::function<bool(std::string_view)>& whole) {
  auto got = archive.Get(key);
  for (int look = 1; look < 4 && got.ok() && !whole(*got); ++look) {
    clock.SleepFor(std::chrono::milliseconds(100 << look));
    got = archive.Get(key);
  }
  return got;
}

}  // namespace ctdl
