#include "sync/archive_audit.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>

#include "base/bytes.h"
#include "sink/segment.h"

namespace ctdl {
namespace {

// Checks one segment's lines: count, and each record's "index" in order; appends each record's
// leaf_hash to *merkle while every record has one (else resets it). "" when fine.
std::string CheckSegmentBytes(const std::string& data, const SegmentName& name, uint64_t* records,
                              std::optional<CompactRange>* merkle, uint64_t merkle_end) {
  auto ndjson = DecompressSegment(data, name.compression, size_t{1} << 32);
  if (!ndjson.ok()) return "does not decompress: " + ndjson.status().message();
  simdjson::dom::parser parser;
  uint64_t want = name.first;
  size_t pos = 0;
  *records = 0;
  const std::string& text = *ndjson;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) return fmt::format("line {} does not end with a newline", *records + 1);
    std::string_view line(text.data() + pos, nl - pos);
    pos = nl + 1;
    ++*records;
    simdjson::dom::element rec;
    uint64_t index = 0;
    if (parser.parse(line.data(), line.size()).get(rec) != simdjson::SUCCESS ||
        rec["index"].get(index) != simdjson::SUCCESS)
      return fmt::format("line {} is not a record with an \"index\"", *records);
    if (index != want) return fmt::format("line {} holds index {}, expected {}", *records, index, want);
    ++want;
    if (*merkle && (*merkle)->size() < merkle_end) {
      std::string_view b64;
      auto leaf = rec["leaf_hash"].get(b64) == simdjson::SUCCESS ? Base64Decode(b64)
                                                                 : Result<std::string>(NotFound(""));
      if (leaf.ok() && leaf->size() == 32) {
        Hash256 h;
        std::copy(leaf->begin(), leaf->end(), h.begin());
        (*merkle)->Append(h);
      } else {
        merkle->reset();  // no (usable) leaf hash: no Merkle check
      }
    }
  }
  uint64_t expected = name.last - name.first + 1;
  if (*records != expected) return fmt::format("holds {} records, its name says {}", *records, expected);
  return "";
}

}  // namespace

Result<ArchiveAudit> AuditArchive(Archive& archive, const std::string& slug, uint64_t from,
                                  bool read_segments, uint64_t merkle_end) {
  TRY_ASSIGN(auto objects, archive.List(SegmentPrefix(slug)));
  ArchiveAudit audit;
  for (const ObjectInfo& o : objects) {
    auto name = ParseSegmentKey(o.key);
    if (!name || name->last < from) continue;
    audit.segments.push_back({o.key, name->first, name->last, 0, ""});
  }
  std::sort(audit.segments.begin(), audit.segments.end(),
            [](const AuditedSegment& a, const AuditedSegment& b) {
              return a.first != b.first ? a.first < b.first : a.last < b.last;
            });
  audit.end = from;
  bool contiguous = true;
  std::optional<CompactRange> merkle;
  if (from == 0 && read_segments && merkle_end > 0) merkle.emplace();
  for (AuditedSegment& s : audit.segments) {
    if (s.first < audit.end) {
      audit.problems.push_back(fmt::format("{} overlaps entries before {} (duplicates)", s.key, audit.end));
      contiguous = false;
      continue;
    }
    if (s.first > audit.end) {
      audit.problems.push_back(
          fmt::format("entries [{}, {}) are missing (gap before {})", audit.end, s.first, s.key));
      contiguous = false;
    }
    if (read_segments) {
      auto data = archive.Get(s.key);
      if (!data.ok()) return data.status();
      auto name = ParseSegmentKey(s.key);
      if (!contiguous && merkle && merkle->size() < merkle_end) merkle.reset();
      s.problem = CheckSegmentBytes(*data, *name, &s.records, &merkle, merkle_end);
      if (!s.problem.empty()) {
        audit.problems.push_back(s.key + " " + s.problem);
        contiguous = false;
      }
    }
    if (contiguous) {
      audit.end = s.last + 1;
      audit.records += s.records;
    }
  }
  if (merkle && merkle->size() == merkle_end) audit.merkle = std::move(merkle);
  return audit;
}

}  // namespace ctdl
