#include "sync/batch.h"

#include "ct/rfc6962_entries.h"
#include "x509/record.h"

namespace ctdl {

namespace {

// Moves the complete pieces of b's records into b.packed (compressed); the plain records left are
// those before the first cut and after the last one. `records`/`line_ends` hold every record.
Status Pack(const PiecePlan& plan, const std::string& records, const std::vector<uint32_t>& line_ends,
            Batch* b) {
  uint64_t end = b->first + b->count;
  uint64_t a = b->first;
  while (a < end && !plan.IsCut(a)) ++a;  // records before the first cut stay plain
  uint64_t last_cut = end;
  while (last_cut > a && !plan.IsCut(last_cut)) --last_cut;
  auto offset = [&](uint64_t index) -> uint32_t {  // start of index's line in `records`
    return index == b->first ? 0 : line_ends[index - b->first - 1];
  };
  b->records.clear();
  b->line_ends.clear();
  auto keep_plain = [&](uint64_t from, uint64_t to) {
    for (uint64_t i = from; i < to; ++i) {
      uint32_t o = offset(i), e = line_ends[i - b->first];
      b->records.append(records, o, e - o);
      b->line_ends.push_back(static_cast<uint32_t>(b->records.size()));
    }
  };
  keep_plain(b->first, a);
  while (a < last_cut) {
    uint64_t e = a + 1;
    while (!plan.IsCut(e)) ++e;
    uint32_t o = offset(a);
    TRY_ASSIGN(std::string bytes, CompressSegment(std::string_view(records).substr(
                                                      o, line_ends[e - b->first - 1] - o),
                                                  plan.compression));
    b->packed.push_back({a, e - a, std::move(bytes)});
    a = e;
  }
  keep_plain(last_cut, end);
  return Status::Ok();
}

}  // namespace

Batch MakeBatch(uint64_t first, std::span<const LogEntry> entries, const RecordContext& context) {
  Batch b;
  b.first = first;
  b.count = entries.size();
  b.line_ends.reserve(b.count);
  b.hashes.reserve(b.count);
  // With a piece plan the records are written into this thread's scratch (its pages stay: no fresh
  // 600 KB block per reply) and only the plain rest is copied into the batch.
  thread_local std::string scratch;
  thread_local std::vector<uint32_t> scratch_ends;
  std::string& records = context.pieces ? scratch : b.records;
  std::vector<uint32_t>& line_ends = context.pieces ? scratch_ends : b.line_ends;
  records.clear();
  line_ends.clear();
  records.reserve(b.count * 512);
  for (size_t i = 0; i < entries.size(); ++i) {
    const LogEntry& e = entries[i];
    RecordInput in;
    in.der = e.cert;
    in.index = e.index;
    in.entry_type = EntryTypeName(e.type);
    in.timestamp = e.timestamp;
    in.error = e.error;
    in.chain_sha256 = &e.chain_sha256;
    in.signed_tbs = e.signed_tbs;
    in.leaf_hash = e.has_leaf_hash ? &e.leaf_hash : nullptr;
    in.log_id = context.log_id;
    in.log_url = context.log_url;
    AppendRecord(in, context.fields, &records);
    if (records.empty() || records.back() != '\n') records.push_back('\n');
    line_ends.push_back(static_cast<uint32_t>(records.size()));
    b.hashes.push_back(e.has_leaf_hash ? e.leaf_hash : Hash256{});
    if (!e.has_leaf_hash) b.missing.push_back(static_cast<uint32_t>(i));
    if (!e.error.empty()) ++b.bad;
  }
  if (context.pieces && !Pack(*context.pieces, records, line_ends, &b).ok()) {
    b.packed.clear();  // cannot compress here (out of memory?): hand every record over plain
    b.records = records;
    b.line_ends = line_ends;
  }
  return b;
}

}  // namespace ctdl
