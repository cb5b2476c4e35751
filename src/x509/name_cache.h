// NameJsonCache: the record's JSON value of a Name (FormatName's RFC 4514 string, JSON-escaped) and
// the lint findings formatting it gave, kept for the Names formatted lately, keyed by their DER
// contents. A log's entries come from few issuers (a handful of CA certificates sign most of any
// log), so the issuer Name of almost every entry has been formatted before: a hit is one hash and
// one compare of ~100 bytes instead of walking the Name, decoding, escaping twice.
// The output is exactly FormatName + text::AppendJsonString (name_cache_test checks it); a Name is
// a deterministic function of its bytes, so nothing can go stale.
// Memory: kSlots direct-mapped slots; Names longer than kMaxDer bytes are formatted, not kept.
// Thread safety: none; one per thread (record.cc keeps a thread_local one).
#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <string_view>

#include "x509/name.h"

namespace ctdl::x509 {

class NameJsonCache {
 public:
  static constexpr size_t kSlots = 64;
  static constexpr size_t kMaxDer = 1024;

  // Appends the JSON string literal of FormatName(name_value, which).rfc4514 to *out and that
  // call's lint findings to *lints.
  void Append(std::string_view name_value, std::string_view which, std::string* out, Lints* lints);

  size_t hits() const { return hits_; }
  size_t misses() const { return misses_; }

 private:
  struct Slot {
    bool used = false;
    std::string der, which, json;
    Lints lints;
  };
  std::array<Slot, kSlots> slots_;
  FormattedName scratch_;
  size_t hits_ = 0, misses_ = 0;
};

}  // namespace ctdl::x509
