#include "x509/name_cache.h"

#include <functional>

#include "x509/text.h"

namespace ctdl::x509 {

void NameJsonCache::Append(std::string_view name_value, std::string_view which, std::string* out,
                           Lints* lints) {
  const bool keep = name_value.size() <= kMaxDer;
  Slot* slot = nullptr;
  if (keep) {
    slot = &slots_[std::hash<std::string_view>()(name_value) % kSlots];
    if (slot->used && slot->der == name_value && slot->which == which) {
      ++hits_;
      out->append(slot->json);
      lints->insert(lints->end(), slot->lints.begin(), slot->lints.end());
      return;
    }
  }
  ++misses_;
  const size_t mark = out->size(), lint_mark = lints->size();
  FormatName(name_value, which, &scratch_, lints);
  text::AppendJsonString(scratch_.rfc4514, out);
  if (!keep) return;
  slot->used = true;
  slot->der.assign(name_value);
  slot->which.assign(which);
  slot->json.assign(*out, mark, std::string::npos);
  slot->lints.assign(lints->begin() + lint_mark, lints->end());
}

}  // namespace ctdl::x509
