#include "sync/batch.h"

#include "ct/rfc6962_entries.h"
#include "x509/record.h"

namespace ctdl {

Batch MakeBatch(uint64_t first, const std::vector<LogEntry>& entries, const RecordContext& context) {
  Batch b;
  b.first = first;
  b.count = entries.size();
  b.line_ends.reserve(b.count);
  b.hashes.reserve(b.count);
  b.records.reserve(b.count * 512);
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
    AppendRecord(in, context.fields, &b.records);
    if (b.records.empty() || b.records.back() != '\n') b.records.push_back('\n');
    b.line_ends.push_back(static_cast<uint32_t>(b.records.size()));
    b.hashes.push_back(e.has_leaf_hash ? e.leaf_hash : Hash256{});
    if (!e.has_leaf_hash) b.missing.push_back(static_cast<uint32_t>(i));
    if (!e.error.empty()) ++b.bad;
  }
  return b;
}

}  // namespace ctdl
