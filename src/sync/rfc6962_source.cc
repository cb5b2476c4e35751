// RFC 6962 entry source: get-sth, get-entries ranges with cap discovery and alignment, JSON replies
// (partial replies are partial successes). See log_source.h.
#include <fmt/format.h>

#include "ct/rfc6962_entries.h"
#include "ct/rfc6962_requests.h"
#include "ct/proof.h"
#include "sync/log_source.h"
#include "sync/verify_step.h"

namespace ctdl {
namespace {

class GetEntriesEntryDecoder : public EntryDecoder {
 public:
  explicit GetEntriesEntryDecoder(bool hash_chain) : decoder_(hash_chain) {}
  Status Decode(std::string_view body, const SourceRequest& r, std::vector<LogEntry>* out) override {
    return decoder_.Decode(body, r.start, r.end - r.start, out);
  }
  Status DecodePadded(std::string_view body, size_t padding, const SourceRequest& r,
                      std::vector<LogEntry>* out) override {
    return decoder_.Decode(body, r.start, r.end - r.start, out, nullptr, padding);
  }
  Status DecodeInto(std::string_view body, size_t padding, const SourceRequest& r, EntrySlots* out) override {
    return decoder_.Decode(body, r.start, r.end - r.start, out, nullptr, padding);
  }

 private:
  GetEntriesDecoder decoder_;
};

class Rfc6962Source : public LogSource {
 public:
  Rfc6962Source(std::string url, bool hash_chain) : url_(std::move(url)), hash_chain_(hash_chain) {}
  const char* kind() const override { return "rfc6962"; }
  std::string TreeHeadUrl() const override { return GetSthUrl(url_); }
  Result<SignedTreeHead> ParseTreeHead(std::string_view body) const override { return ParseGetSth(body); }
  Result<SignedTreeHead> VerifyTreeHead(const LogVerifier& verifier, std::string_view body) const override {
    auto sth = ParseGetSth(body);
    if (!sth.ok()) return sth.status().Annotate(TreeHeadUrl());
    if (Status s = verifier.VerifySth(*sth); !s.ok())
      return s.Annotate(fmt::format("{}: signed tree head of tree size {} (root {})", url_, sth->tree_size,
                                    RootToString(sth->root_hash)));
    return sth;
  }
  void SetTreeSize(uint64_t) override {}

  bool Probing() const override { return !cap_.known(); }
  uint64_t RequestSize() const override { return cap_.RequestSize(); }
  uint64_t RequestEnd(uint64_t start, uint64_t limit) const override {
    return AlignedRequestEnd(start, limit, cap_.RequestSize());
  }
  void Observe(uint64_t start, uint64_t asked, uint64_t got) override { cap_.Observe(start, asked, got); }

  HttpRequest MakeRequest(const SourceRequest& r) const override {
    HttpRequest req;
    req.url = GetEntriesUrl(url_, r.start, r.end);
    return req;
  }
  bool Has404Fallback(const SourceRequest&) const override { return false; }
  std::unique_ptr<EntryDecoder> NewDecoder() const override {
    return std::make_unique<GetEntriesEntryDecoder>(hash_chain_);
  }

 private:
  const std::string url_;
  const bool hash_chain_;
  CapDiscovery cap_;
};

}  // namespace

std::unique_ptr<LogSource> NewRfc6962Source(std::string url, bool hash_chain) {
  return std::make_unique<Rfc6962Source>(std::move(url), hash_chain);
}

std::unique_ptr<LogSource> NewLogSource(std::string_view log_type, std::string url, bool hash_chain) {
  if (log_type == "tiled") return NewTiledSource(std::move(url));
  return NewRfc6962Source(std::move(url), hash_chain);
}

std::unique_ptr<LogSource> NewLogSource(const LogState& log, bool hash_chain) {
  if (log.log_type == "tiled") return NewTiledSource(log.url, CheckpointOrigin(log));
  return NewRfc6962Source(log.url, hash_chain);
}

LogSource::FetchedHead LogSource::FetchTreeHead(Retrier& retrier, HttpRequest request,
                                                const Retrier::Hooks& hooks) const {
  request.url = TreeHeadUrl();
  FetchedHead out;
  auto parse = [&](const HttpResponse& r) -> Status {
    auto parsed = ParseTreeHead(r.body);
    if (!parsed.ok()) return parsed.status();
    out.head = std::move(parsed).value();
    return Status::Ok();
  };
  out.outcome = retrier.Run(request, Classify, parse, hooks);
  if (!out.outcome.ok()) out.head.reset();
  return out;
}

}  // namespace ctdl
