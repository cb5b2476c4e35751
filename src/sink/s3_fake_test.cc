// (compiled into sink_test only: the name ends in _test.cc)
#include "sink/s3_fake_test.h"

#include <fmt/format.h>
#include <openssl/evp.h>

#include "base/bytes.h"
#include "sink/s3_xml.h"

namespace ctdl {
namespace {

std::string Decode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); i++) {
    if (s[i] == '%' && i + 2 < s.size()) {
      auto h = HexDecode(s.substr(i + 1, 2));
      if (h.ok()) {
        out += *h;
        i += 2;
        continue;
      }
    }
    out.push_back(s[i]);
  }
  return out;
}

std::string Md5B64(std::string_view d) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(d.data(), d.size(), md, &n, EVP_md5(), nullptr);
  return Base64Encode(std::string_view(reinterpret_cast<char*>(md), n));
}

const std::string* Find(const Headers& h, std::string_view name) {
  for (const auto& [k, v] : h) {
    if (k.size() != name.size()) continue;
    bool eq = true;
    for (size_t i = 0; i < k.size(); i++)
      if (std::tolower(static_cast<unsigned char>(k[i])) != name[i]) eq = false;
    if (eq) return &v;
  }
  return nullptr;
}

HttpResponse Xml(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

// Like AWS S3: a PUT or CompleteMultipartUpload with If-None-Match: * does not replace a key.
bool IfNoneMatch(const HttpRequest& req) {
  for (const auto& [k, v] : req.headers)
    if (k == "If-None-Match" && v == "*") return true;
  return false;
}

HttpResponse Error(int status, std::string code, std::string msg = "fake") {
  return Xml(status, fmt::format("<?xml version=\"1.0\"?><Error><Code>{}</Code><Message>{}</Message></Error>",
                                 code, msg));
}

}  // namespace

HttpResponse FakeS3::Fetch(const HttpRequest& req) {
  {
    std::lock_guard<std::mutex> l(mu_);
    requests++;
  }
  if (fault) {
    if (auto r = fault(req)) return *r;
  }
  std::lock_guard<std::mutex> l(mu_);
  if (!req.aws || req.aws->service != "s3" || req.aws->access_key_id.empty())
    return Error(403, "AccessDenied", "unsigned request");
  std::string url = req.url;
  if (!url.starts_with(kEndpoint)) { HttpResponse r; r.error = "could not resolve host"; return r; }
  url = url.substr(std::string(kEndpoint).size());
  std::string path = url, query;
  if (auto q = url.find('?'); q != std::string::npos) {
    path = url.substr(0, q);
    query = url.substr(q + 1);
  }
  log.push_back(req.method + " " + url);
  std::map<std::string, std::string> qs;
  for (size_t s = 0; s < query.size();) {
    size_t e = query.find('&', s);
    if (e == std::string::npos) e = query.size();
    std::string kv = query.substr(s, e - s);
    auto eq = kv.find('=');
    qs[Decode(kv.substr(0, eq))] = eq == std::string::npos ? "" : Decode(kv.substr(eq + 1));
    s = e + 1;
  }
  path = Decode(path);
  std::string prefix = "/" + bucket_ + "/";
  if (!(path + "/").starts_with(prefix)) return Error(404, "NoSuchBucket");
  std::string key = path.size() > prefix.size() ? path.substr(prefix.size()) : "";
  const std::string* sha = Find(req.headers, "x-amz-content-sha256");
  if (!sha) return Error(400, "MissingSecurityHeader");
  if (*sha != HexEncode(AsView(Sha256(req.body)))) return Error(400, "XAmzContentSHA256Mismatch");
  if (const std::string* md5 = Find(req.headers, "content-md5"))
    if (*md5 != Md5B64(req.body)) return Error(400, "BadDigest");

  if (key.empty()) {
    if (req.method != "GET" || qs["list-type"] != "2") return Error(400, "NotImplemented");
    int max = std::stoi(qs.count("max-keys") ? qs["max-keys"] : "1000");
    std::string pfx = qs["prefix"];
    auto it = objects_.lower_bound(pfx);
    if (qs.count("continuation-token")) it = objects_.upper_bound(qs["continuation-token"]);
    std::string body = "<ListBucketResult>";
    int n = 0;
    std::string last;
    for (; it != objects_.end() && it->first.starts_with(pfx) && n < max; ++it, ++n) {
      body += fmt::format("<Contents><Key>{}</Key><Size>{}</Size></Contents>", XmlEscape(it->first),
                          it->second.size());
      last = it->first;
    }
    bool more = it != objects_.end() && it->first.starts_with(pfx);
    body += fmt::format("<KeyCount>{}</KeyCount><IsTruncated>{}</IsTruncated>", n, more);
    if (more) body += "<NextContinuationToken>" + XmlEscape(last) + "</NextContinuationToken>";
    return Xml(200, body + "</ListBucketResult>");
  }
  if (req.method == "POST" && qs.count("uploads")) {
    std::string id = "upload-" + std::to_string(next_upload_++);
    uploads_[id];
    return Xml(200, "<InitiateMultipartUploadResult><UploadId>" + id + "</UploadId></InitiateMultipartUploadResult>");
  }
  if (qs.count("uploadId")) {
    auto up = uploads_.find(qs["uploadId"]);
    if (up == uploads_.end()) return Error(404, "NoSuchUpload");
    if (req.method == "PUT") {
      int n = std::stoi(qs["partNumber"]);
      up->second[n] = req.body;
      HttpResponse r;
      r.status = 200;
      r.headers.emplace_back("etag", "\"etag-" + std::to_string(n) + "-" + std::to_string(req.body.size()) + "\"");
      return r;
    }
    if (req.method == "DELETE") {
      uploads_.erase(up);
      return Xml(204, "");
    }
    if (req.method == "POST") {
      std::string all;
      int expect = 1;
      for (std::string_view p : XmlElements(req.body, "Part")) {
        int n = std::stoi(*XmlText(p, "PartNumber"));
        if (n != expect++ || !up->second.count(n)) return Error(400, "InvalidPart");
        std::string etag = *XmlText(p, "ETag");
        if (etag != "\"etag-" + std::to_string(n) + "-" + std::to_string(up->second[n].size()) + "\"")
          return Error(400, "InvalidPart");
        all += up->second[n];
      }
      if (objects_.count(key) && IfNoneMatch(req)) return Error(412, "PreconditionFailed");
      objects_[key] = all;
      uploads_.erase(up);
      return Xml(200, "<CompleteMultipartUploadResult/>");
    }
  }
  if (req.method == "PUT") {
    if (objects_.count(key) && IfNoneMatch(req)) return Error(412, "PreconditionFailed");
    objects_[key] = req.body;
    return Xml(200, "");
  }
  auto it = objects_.find(key);
  if (req.method == "HEAD") {
    if (it == objects_.end()) return Xml(404, "");
    HttpResponse r;
    r.status = 200;
    r.headers.emplace_back("content-length", std::to_string(it->second.size()));
    return r;
  }
  if (req.method == "GET") {
    if (it == objects_.end()) return Error(404, "NoSuchKey");
    return Xml(200, it->second);
  }
  if (req.method == "DELETE") {
    if (it != objects_.end()) objects_.erase(it);
    return Xml(204, "");
  }
  return Error(405, "MethodNotAllowed");
}

}  // namespace ctdl
