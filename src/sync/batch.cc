#include "sync/batch.h"

#include "ct/rfc6962_entries.h"
#include "x509/record.h"

namespace ctdl {

BatchBuilder::BatchBuilder(uint64_t first, const RecordContext& context) : context_(context) {
  b_.first = first;
  piece_ = first;
  first_cut_ = last_cut_ = first;
  // With a piece plan the records are written into this thread's scratch (its pages stay: no fresh
  // 600 KB block per reply) and only the plain rest is copied into the batch.
  thread_local std::string scratch;
  thread_local std::vector<uint32_t> scratch_ends;
  records_ = context.pieces ? &scratch : &b_.records;
  line_ends_ = context.pieces ? &scratch_ends : &b_.line_ends;
  records_->clear();
  line_ends_->clear();
  if (context.pieces && context.pieces->IsCut(first)) in_piece_ = true;
}

void BatchBuilder::Reserve(size_t entries) {
  b_.hashes.reserve(entries);
  line_ends_->reserve(entries);
}

void BatchBuilder::Add(std::span<const LogEntry> entries) {
  std::string& records = *records_;
  if (records.capacity() < records.size() + entries.size() * 1024)
    records.reserve(std::max(records.size() + entries.size() * 1024, records.capacity() * 2));
  for (const LogEntry& e : entries) {
    const uint64_t i = b_.first + b_.count;
    RecordInput in;
    in.der = e.cert;
    in.index = e.index;
    in.entry_type = EntryTypeName(e.type);
    in.timestamp = e.timestamp;
    in.error = e.error;
    in.chain_sha256 = &e.chain_sha256;
    in.signed_tbs = e.signed_tbs;
    in.leaf_hash = e.has_leaf_hash ? &e.leaf_hash : nullptr;
    in.log_id = context_.log_id;
    in.log_url = context_.log_url;
    AppendRecord(in, context_.fields, &records);
    if (records.empty() || records.back() != '\n') records.push_back('\n');
    line_ends_->push_back(static_cast<uint32_t>(records.size()));
    b_.hashes.push_back(e.has_leaf_hash ? e.leaf_hash : Hash256{});
    if (!e.has_leaf_hash) b_.missing.push_back(static_cast<uint32_t>(b_.count));
    if (!e.error.empty()) ++b_.bad;
    ++b_.count;
    if (context_.pieces && context_.pieces->IsCut(i + 1)) ClosePiece(i + 1);
  }
}

void BatchBuilder::ClosePiece(uint64_t end) {
  if (!in_piece_) {  // the records before the first cut stay plain
    in_piece_ = true;
    first_cut_ = last_cut_ = end;
  } else if (!failed_) {
    auto offset = [&](uint64_t index) -> uint32_t {  // start of index's line in the records
      return index == b_.first ? 0 : (*line_ends_)[index - b_.first - 1];
    };
    uint32_t o = offset(piece_);
    Result<std::string> bytes = CompressSegment(
        std::string_view(*records_).substr(o, (*line_ends_)[end - b_.first - 1] - o), context_.pieces->compression);
    if (bytes.ok()) {
      b_.packed.push_back({piece_, end - piece_, std::move(*bytes)});
      last_cut_ = end;
    } else {
      failed_ = true;  // cannot compress here (out of memory?): hand every record over plain
    }
  }
  piece_ = end;
}

Batch BatchBuilder::Finish() {
  if (!context_.pieces) return std::move(b_);
  const std::string& records = *records_;
  const std::vector<uint32_t>& line_ends = *line_ends_;
  if (failed_) {
    b_.packed.clear();
    b_.records = records;
    b_.line_ends = line_ends;
    return std::move(b_);
  }
  // The plain records: those before the first cut and after the last packed piece.
  const uint64_t end = b_.first + b_.count;
  if (b_.packed.empty()) first_cut_ = last_cut_ = end;
  auto offset = [&](uint64_t index) -> uint32_t {
    return index == b_.first ? 0 : line_ends[index - b_.first - 1];
  };
  b_.records.clear();
  b_.line_ends.clear();
  auto keep_plain = [&](uint64_t from, uint64_t to) {
    for (uint64_t i = from; i < to; ++i) {
      uint32_t o = offset(i), e = line_ends[i - b_.first];
      b_.records.append(records, o, e - o);
      b_.line_ends.push_back(static_cast<uint32_t>(b_.records.size()));
    }
  };
  keep_plain(b_.first, first_cut_);
  keep_plain(last_cut_, end);
  return std::move(b_);
}

Batch MakeBatch(uint64_t first, std::span<const LogEntry> entries, const RecordContext& context) {
  BatchBuilder builder(first, context);
  builder.Reserve(entries.size());
  builder.Add(entries);
  return builder.Finish();
}

}  // namespace ctdl
