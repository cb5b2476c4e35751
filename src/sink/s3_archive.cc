#include "sink/s3_archive.h"

#include <fmt/format.h>
#include <openssl/evp.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <mutex>
#include <random>

#include "base/bytes.h"
#include "base/log.h"
#include "net/aws_env.h"
#include "net/retrier.h"
#include "sink/archive_key.h"
#include "sink/s3_xml.h"

namespace ctdl {
namespace {

std::string Md5Base64(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(data.data(), data.size(), md, &n, EVP_md5(), nullptr);
  return Base64Encode(std::string_view(reinterpret_cast<char*>(md), n));
}

std::string Sha256Hex(std::string_view data) { return HexEncode(AsView(Sha256(data))); }

// RFC 3986 unreserved bytes stay; everything else is %XX (uppercase), as SigV4 canonicalizes.
std::string UriEncode(std::string_view s, bool keep_slash) {
  std::string out;
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if ((u >= 'A' && u <= 'Z') || (u >= 'a' && u <= 'z') || (u >= '0' && u <= '9') || c == '-' ||
        c == '_' || c == '.' || c == '~' || (keep_slash && c == '/')) {
      out.push_back(c);
    } else {
      out += fmt::format("%{:02X}", u);
    }
  }
  return out;
}

using Query = std::vector<std::pair<std::string, std::string>>;

// Sorted and encoded, so the string is already SigV4's canonical query ("uploads=" included).
std::string QueryString(Query q) {
  std::sort(q.begin(), q.end());
  std::string out;
  for (const auto& [k, v] : q) {
    if (!out.empty()) out.push_back('&');
    out += UriEncode(k, false) + "=" + UriEncode(v, false);
  }
  return out;
}

bool Is2xx(int s) { return s >= 200 && s < 300; }

class S3Archive : public Archive {
 public:
  S3Archive(S3Location loc, std::string endpoint, bool path_style, AwsSigning sign, HttpClient* http,
            const S3Options& o)
      : loc_(std::move(loc)),
        endpoint_(std::move(endpoint)),
        path_style_(path_style),
        sign_(std::move(sign)),
        http_(http),
        opt_(o),
        clock_(o.clock ? o.clock : RealClock()) {}

  // At open, a down endpoint is reported after a few quick attempts rather than minutes of backoff.
  Status Check() {
    TRY_ASSIGN(auto r, Call(Request("GET", BucketUrl({{"list-type", "2"}, {"max-keys", "1"},
                                                      {"prefix", loc_.prefix}})),
                            "check bucket", false, std::min(3, opt_.max_attempts)));
    if (!Is2xx(r.status)) return Failure(r, "check bucket");
    return Status::Ok();
  }

  Status Put(const std::string& key, std::string_view data) override {
    TRY(ValidateArchiveKey(key));
    std::string full = loc_.prefix + key;
    // Look first: servers that ignore If-None-Match on PUT (s3rver) still never get an object
    // replaced by a sequential writer; the log's lease keeps concurrent ctdl writers out.
    TRY_ASSIGN(bool same, SameObjectExists(full, data));
    if (same) return Status::Ok();
    if (data.size() >= opt_.multipart_threshold && data.size() > 0) {
      TRY(PutMultipart(full, data));
    } else {
      HttpRequest req = Request("PUT", ObjectUrl(full, {}));
      req.body = std::string(data);
      req.headers.emplace_back("Content-Type", "application/octet-stream");
      req.headers.emplace_back("Content-MD5", Md5Base64(data));
      req.headers.emplace_back("If-None-Match", "*");
      req.headers[0].second = Sha256Hex(data);
      req.timeout = UploadTimeout(data.size());
      TRY_ASSIGN(auto r, Call(std::move(req), "upload " + full, false));
      if (Exists(r)) return SameObjectExists(full, data).status();
      if (!Is2xx(r.status)) return Failure(r, "upload " + full);
    }
    return Confirm(full, data);
  }

  Result<std::string> Get(const std::string& key) override {
    TRY(ValidateArchiveKey(key));
    std::string full = loc_.prefix + key;
    HttpRequest req = Request("GET", ObjectUrl(full, {}));
    req.timeout = std::chrono::minutes(10);
    req.max_body_bytes = size_t{8} << 30;  // our own objects (segments): not the log-reply cap
    TRY_ASSIGN(auto r, Call(std::move(req), "download " + full, false));
    if (!Is2xx(r.status)) return Failure(r, "download " + full);
    return std::move(r.body);
  }

  Result<std::vector<ObjectInfo>> List(const std::string& prefix) override {
    TRY(ValidateArchivePrefix(prefix));
    std::vector<ObjectInfo> out;
    std::string token;
    for (int page = 0;; page++) {
      Query q = {{"list-type", "2"},
                 {"max-keys", std::to_string(opt_.list_page_size)},
                 {"prefix", loc_.prefix + prefix}};
      if (!token.empty()) q.emplace_back("continuation-token", token);
      std::string what = "list " + Describe(loc_.prefix + prefix);
      TRY_ASSIGN(auto r, Call(Request("GET", BucketUrl(q)), what, false));
      if (!Is2xx(r.status)) return Failure(r, what);
      for (std::string_view c : XmlElements(r.body, "Contents")) {
        auto k = XmlText(c, "Key");
        auto s = XmlText(c, "Size");
        uint64_t size = 0;
        if (!k || !s || std::from_chars(s->data(), s->data() + s->size(), size).ec != std::errc())
          return Corrupt(fmt::format("{}: malformed ListObjectsV2 reply", what));
        if (!k->starts_with(loc_.prefix)) continue;
        out.push_back({k->substr(loc_.prefix.size()), size});
      }
      bool truncated = XmlText(r.body, "IsTruncated").value_or("false") == "true";
      if (!truncated) break;
      std::string next = XmlText(r.body, "NextContinuationToken").value_or("");
      if (next.empty() || next == token || page > 1000000)
        return Corrupt(fmt::format("{}: truncated reply without a new continuation token", what));
      token = next;
    }
    std::sort(out.begin(), out.end(),
              [](const ObjectInfo& a, const ObjectInfo& b) { return a.key < b.key; });
    return out;
  }

  Status Delete(const std::string& key) override {
    TRY(ValidateArchiveKey(key));
    std::string full = loc_.prefix + key;
    TRY_ASSIGN(auto r, Call(Request("DELETE", ObjectUrl(full, {})), "delete " + full, false));
    if (Is2xx(r.status)) return Status::Ok();
    if (r.status == 404 && ParseS3Error(r.body).code != "NoSuchBucket") return Status::Ok();
    return Failure(r, "delete " + full);
  }

  std::string Describe() const override {
    std::string p = loc_.prefix;
    if (!p.empty()) p.pop_back();
    return fmt::format("s3://{}{}{}", loc_.bucket, p.empty() ? "" : "/", p);
  }

 private:
  // A create-exclusive write found the key taken: 412 PreconditionFailed, or 409
  // ConditionalRequestConflict while another conditional write of the key is in progress.
  static bool Exists(const HttpResponse& r) { return r.status == 412 || r.status == 409; }

  // True when `full` exists with exactly these bytes (idempotent Put), false when it does not exist,
  // kConflict when it holds other bytes.
  // After a successful PUT: the object is there with the full size. A server without
  // create-exclusive PUT (s3rver) may show another writer's upload of the same key in progress (it
  // writes the file in place: size 0 for a moment, seen with three distributed workers writing one
  // manifest); such a race settles within moments, so look again a few times: our bytes are success,
  // other bytes a conflict (never overwritten), anything else still unavailable.
  Status Confirm(const std::string& full, std::string_view data) {
    std::string seen = "(none)";
    for (int look = 0; look < 4; ++look) {
      if (look > 0) clock_->SleepFor(std::chrono::milliseconds(100 << look));
      TRY_ASSIGN(auto h, Call(Request("HEAD", ObjectUrl(full, {})), "confirm " + full, false));
      if (!Is2xx(h.status) && h.status != 404) return Failure(h, "confirm " + full);
      const std::string* len = h.Header("content-length");
      uint64_t size = 0;
      if (Is2xx(h.status) && len &&
          std::from_chars(len->data(), len->data() + len->size(), size).ec == std::errc() &&
          size == data.size())  // right after our PUT the size will do; after a race, the bytes
        return look == 0 ? Status::Ok() : SameObjectExists(full, data).status();
      seen = Is2xx(h.status) && len ? *len : "(none)";
    }
    return Unavailable(fmt::format("S3 reports size {} for {} after uploading {} bytes", seen,
                                   Describe(full), data.size()));
  }

  Result<bool> SameObjectExists(const std::string& full, std::string_view data) {
    TRY_ASSIGN(auto h, Call(Request("HEAD", ObjectUrl(full, {})), "look up " + full, false));
    if (h.status == 404) return false;
    if (!Is2xx(h.status)) return Failure(h, "look up " + full);
    const std::string* len = h.Header("content-length");
    if (len && *len != std::to_string(data.size())) return ExistsDifferent(Describe(full));
    TRY_ASSIGN(auto g, Call(Request("GET", ObjectUrl(full, {})), "download " + full, false));
    if (!Is2xx(g.status)) return Failure(g, "download " + full);
    if (g.body != data) return ExistsDifferent(Describe(full));
    return true;
  }

  std::string Describe(const std::string& full_key) const {
    return fmt::format("s3://{}/{}", loc_.bucket, full_key);
  }

  static std::chrono::milliseconds UploadTimeout(size_t bytes) {
    // Generous: 60 s plus 1 s per 256 KiB (a slow 2 Mbit/s link).
    return std::chrono::milliseconds(60000 + bytes / 256);
  }

  std::string BucketUrl(const Query& q) const {
    std::string qs = QueryString(q);
    std::string base = path_style_ ? fmt::format("{}/{}/", endpoint_, UriEncode(loc_.bucket, false))
                                   : endpoint_ + "/";
    return qs.empty() ? base : base + "?" + qs;
  }

  std::string ObjectUrl(const std::string& full_key, const Query& q) const {
    std::string qs = QueryString(q);
    std::string base = path_style_ ? fmt::format("{}/{}/{}", endpoint_, UriEncode(loc_.bucket, false),
                                                 UriEncode(full_key, true))
                                   : fmt::format("{}/{}", endpoint_, UriEncode(full_key, true));
    return qs.empty() ? base : base + "?" + qs;
  }

  // headers[0] is always x-amz-content-sha256 (S3 requires it with SigV4; curl signs it).
  HttpRequest Request(std::string method, std::string url) const {
    HttpRequest req;
    req.method = std::move(method);
    req.url = std::move(url);
    req.headers.emplace_back("x-amz-content-sha256", Sha256Hex(""));
    req.aws = sign_;
    return req;
  }

  static bool Retryable(const HttpResponse& r, bool body_may_hold_error) {
    if (r.status == 0 || r.status >= 500 || r.status == 429 || r.status == 408) return true;
    if (r.status == 400) {
      std::string code = ParseS3Error(r.body).code;
      return code == "RequestTimeout" || code == "SlowDown";
    }
    // CompleteMultipartUpload may answer 200 and still fail (documented by AWS).
    if (body_may_hold_error && Is2xx(r.status) && r.body.find("<Error>") != std::string::npos)
      return true;
    return false;
  }

  // Sends with retries (net/retrier.h, S3's own classifier). Returns the last response unless every
  // attempt failed retryably or the endpoint cannot be reached at all (DNS, TLS certificate).
  Result<HttpResponse> Call(HttpRequest req, const std::string& what, bool body_may_hold_error,
                            int max_attempts = 0) {
    if (max_attempts <= 0) max_attempts = opt_.max_attempts;
    req.redirects = Redirects::kNone;  // signed: never (the client enforces it too)
    auto classify = [body_may_hold_error](const HttpResponse& r, WallTime now) -> Verdict {
      Verdict v = Classify(r, now);
      if (r.status == 0 && IsPermanent(r.transport)) return v;  // kFatal
      if (Retryable(r, body_may_hold_error))
        return {v.disposition == Disposition::kThrottled ? v.disposition : Disposition::kRetry,
                v.retry_after};
      return {Disposition::kSuccess, std::nullopt};  // final: the caller reads the status
    };
    Retrier retrier(*http_, *clock_, RetryPolicy{max_attempts, opt_.backoff});
    Retrier::Hooks hooks;
    hooks.on_retry = [&](const Retrier::Outcome& o, Duration delay) {
      LOG_DEBUG("S3 {}: {}; retry {} in {} ms", what, Summary(o.response), o.attempts,
                std::chrono::duration_cast<std::chrono::milliseconds>(delay).count());
    };
    Retrier::Outcome out = retrier.Run(std::move(req), classify, {}, hooks);
    const HttpResponse& r = out.response;
    if (out.verdict.disposition == Disposition::kSuccess) return std::move(out.response);
    if (r.status == 0)
      return Unavailable(fmt::format(
          "{}: cannot reach S3 endpoint {}{} ({}); check AWS_ENDPOINT_URL_S3 / "
          "AWS_ENDPOINT_URL, the network, and that the server is running",
          what, endpoint_,
          out.exhausted() ? fmt::format(" after {} attempts", out.attempts) : "", r.error));
    return Unavailable(fmt::format("{}: S3 still failing after {} attempts (last: {})", what,
                                   out.attempts, Summary(r)));
  }

  static std::string Summary(const HttpResponse& r) {
    if (r.status == 0) return "transport error: " + r.error;
    S3Error e = ParseS3Error(r.body);
    std::string s = fmt::format("HTTP {}", r.status);
    if (!e.code.empty()) s += " " + e.code;
    if (!e.message.empty()) s += ": " + e.message;
    return s;
  }

  Status Failure(const HttpResponse& r, const std::string& what) const {
    S3Error e = ParseS3Error(r.body);
    std::string sum = Summary(r);
    if (r.status == 403) {
      if (e.code == "RequestTimeTooSkewed")
        return InvalidArgument(fmt::format("{}: {}; fix this machine's clock", what, sum));
      return InvalidArgument(fmt::format(
          "{}: S3 refused access ({}); check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (and "
          "AWS_SESSION_TOKEN), AWS_REGION, and the bucket's permissions",
          what, sum));
    }
    if (e.code == "NoSuchBucket" || (r.status == 404 && r.body.empty() && what == "check bucket"))
      return NotFound(fmt::format(
          "S3 bucket \"{}\" does not exist at {} ({}); create it (aws s3 mb s3://{}) or fix --archive",
          loc_.bucket, endpoint_, sum, loc_.bucket));
    if (r.status == 404) return NotFound(fmt::format("{}: no such object ({})", what, sum));
    if (r.status == 301 || r.status == 307 || e.code == "PermanentRedirect" ||
        e.code == "AuthorizationHeaderMalformed")
      return InvalidArgument(fmt::format(
          "{}: {}; the bucket is probably in another region: set AWS_REGION", what, sum));
    if (r.status == 400 && e.code == "InvalidBucketName")
      return InvalidArgument(fmt::format("{}: {}; fix the bucket name in --archive", what, sum));
    return Unavailable(fmt::format("{}: S3 error ({})", what, sum));
  }

  Status PutMultipart(const std::string& full, std::string_view data) {
    std::string what = "multipart upload " + full;
    TRY_ASSIGN(auto init, Call(Request("POST", ObjectUrl(full, {{"uploads", ""}})), what, false));
    if (!Is2xx(init.status)) return Failure(init, what);
    std::string id = XmlText(init.body, "UploadId").value_or("");
    if (id.empty()) return Corrupt(fmt::format("{}: no UploadId in S3's reply", what));
    Status s = UploadParts(full, id, data);
    if (!s.ok()) {
      // Best effort: free the parts. A leftover upload costs storage, never correctness.
      auto abort = Call(Request("DELETE", ObjectUrl(full, {{"uploadId", id}})), "abort " + what, false);
      if (!abort.ok() || !Is2xx(abort->status))
        LOG_WARN("{}: could not abort upload (parts may linger until a lifecycle rule removes them)",
                 what);
    }
    return s;
  }

  Status UploadParts(const std::string& full, const std::string& id, std::string_view data) {
    size_t part_size = std::max<size_t>(opt_.part_size, 1);
    std::string complete = "<CompleteMultipartUpload>";
    int n = 0;
    for (size_t off = 0; off < data.size(); off += part_size) {
      n++;
      std::string_view part = data.substr(off, part_size);
      HttpRequest req =
          Request("PUT", ObjectUrl(full, {{"partNumber", std::to_string(n)}, {"uploadId", id}}));
      req.body = std::string(part);
      req.headers[0].second = Sha256Hex(part);
      req.headers.emplace_back("Content-MD5", Md5Base64(part));
      req.headers.emplace_back("Content-Type", "application/octet-stream");
      req.timeout = UploadTimeout(part.size());
      std::string what = fmt::format("upload part {} of {}", n, full);
      TRY_ASSIGN(auto r, Call(std::move(req), what, false));
      if (!Is2xx(r.status)) return Failure(r, what);
      const std::string* etag = r.Header("etag");
      if (!etag || etag->empty()) return Corrupt(fmt::format("{}: S3 sent no ETag", what));
      complete += fmt::format("<Part><PartNumber>{}</PartNumber><ETag>{}</ETag></Part>", n,
                              XmlEscape(*etag));
    }
    complete += "</CompleteMultipartUpload>";
    HttpRequest req = Request("POST", ObjectUrl(full, {{"uploadId", id}}));
    req.headers[0].second = Sha256Hex(complete);
    req.headers.emplace_back("Content-Type", "application/xml");
    req.headers.emplace_back("If-None-Match", "*");
    req.body = std::move(complete);
    req.timeout = std::chrono::minutes(10);
    std::string what = "complete multipart upload " + full;
    TRY_ASSIGN(auto r, Call(std::move(req), what, true));
    // NoSuchUpload after a retry: an earlier attempt completed but its reply was lost. The HEAD
    // that follows every Put confirms the object.
    if (r.status == 404 && ParseS3Error(r.body).code == "NoSuchUpload") return Status::Ok();
    if (Exists(r)) return SameObjectExists(full, data).status();
    if (!Is2xx(r.status)) return Failure(r, what);
    if (r.body.find("<Error>") != std::string::npos) return Failure(r, what);
    return Status::Ok();
  }

  S3Location loc_;
  std::string endpoint_;
  bool path_style_;
  AwsSigning sign_;
  HttpClient* http_;
  S3Options opt_;
  Clock* clock_;
};

bool ValidBucket(std::string_view b) {
  if (b.size() < 3 || b.size() > 63) return false;
  for (char c : b)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_'))
      return false;
  return true;
}

}  // namespace

Result<S3Location> ParseS3Uri(std::string_view uri) {
  if (!uri.starts_with("s3://"))
    return InvalidArgument(fmt::format("archive \"{}\" is not an s3:// URI", uri));
  std::string_view rest = uri.substr(5);
  auto slash = rest.find('/');
  S3Location loc;
  loc.bucket = std::string(rest.substr(0, slash));
  if (!ValidBucket(loc.bucket))
    return InvalidArgument(fmt::format(
        "\"{}\": bucket name must be 3-63 characters of a-z, 0-9, '.', '-' (s3://BUCKET[/PREFIX])",
        uri));
  if (slash != std::string_view::npos) {
    std::string_view p = rest.substr(slash + 1);
    while (!p.empty() && p.back() == '/') p.remove_suffix(1);
    if (!p.empty()) {
      TRY(ValidateArchiveKey(p).Annotate(fmt::format("prefix of \"{}\"", uri)));
      loc.prefix = std::string(p) + "/";
    }
  }
  return loc;
}

Result<std::unique_ptr<Archive>> OpenS3Archive(std::string uri, HttpClient* http) {
  return OpenS3Archive(std::move(uri), http, S3Options{});
}

Result<std::unique_ptr<Archive>> OpenS3Archive(std::string uri, HttpClient* http,
                                               const S3Options& options) {
  TRY_ASSIGN(S3Location loc, ParseS3Uri(uri));
  TRY_ASSIGN(AwsSettings settings, LoadAwsSettings(options.env, "s3", "S3 archive"));
  AwsSigning sign = settings.signing;
  std::string endpoint = settings.endpoint;
  bool path_style = true;  // custom endpoints (MinIO, s3rver): path style; AWS: virtual-hosted
  if (endpoint.empty()) {
    if (loc.bucket.find('.') != std::string::npos) {
      endpoint = fmt::format("https://s3.{}.amazonaws.com", sign.region);
    } else {
      endpoint = fmt::format("https://{}.s3.{}.amazonaws.com", loc.bucket, sign.region);
      path_style = false;
    }
  }
  S3Options opt = options;
  for (auto [name, field] : {std::pair{"CTDL_S3_MULTIPART_THRESHOLD", &opt.multipart_threshold},
                             std::pair{"CTDL_S3_PART_SIZE", &opt.part_size}}) {
    std::string v = GetEnv(options.env, name);
    if (v.empty()) continue;
    size_t n = 0;
    auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (ec != std::errc() || p != v.data() + v.size() || n == 0)
      return InvalidArgument(fmt::format("{}=\"{}\" is not a positive number of bytes", name, v));
    *field = n;
  }
  if (opt.part_size < (size_t{5} << 20))
    LOG_WARN("S3 part size {} is below AWS's 5 MiB minimum (fine for test servers only)",
             opt.part_size);
  auto archive = std::make_unique<S3Archive>(std::move(loc), std::move(endpoint), path_style,
                                             std::move(sign), http, opt);
  if (opt.check_on_open) TRY(archive->Check());
  return std::unique_ptr<Archive>(std::move(archive));
}

}  // namespace ctdl
