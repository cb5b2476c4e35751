// The HTTP endpoints of ctdl-testlog serve (RFC 6962 at /, static-ct-api at /static/).
#include <fmt/format.h>
#include <zlib.h>

#include "base/bytes.h"
#include "encode.h"
#include "server.h"

namespace testlog {

namespace {

bool ParseU64(const std::string& s, uint64_t* v) {
  if (s.empty() || s.size() > 19) return false;
  uint64_t r = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    r = r * 10 + (c - '0');
  }
  *v = r;
  return true;
}

std::string Gzip(std::string_view in) {
  z_stream zs{};
  deflateInit2(&zs, 1, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&zs, in.size()) + 32, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

}  // namespace

void Server::GetSth(const httplib::Request& req, httplib::Response& res) {
  Decision d;
  if (!Begin(req, res, false, &d)) return;
  auto h = heads_.Get(CurrentSize());
  if (!h.ok()) return Error(res, 500, h.status().ToString());
  Send(res, d, HeadSigner::SthJson(*h), "application/json");
}

void Server::GetEntries(const httplib::Request& req, httplib::Response& res) {
  Decision d;
  if (!Begin(req, res, true, &d)) return;
  uint64_t start, end;
  if (!ParseU64(req.get_param_value("start"), &start) || !ParseU64(req.get_param_value("end"), &end) ||
      start > end) {
    return Error(res, 400, "bad start/end");
  }
  uint64_t size = CurrentSize();
  if (start >= size) return Error(res, 400, "start beyond tree size");
  if (opt_.lag > 0 && start + opt_.lag >= size) {
    double now = std::chrono::duration<double>(Clock::now() - start_).count();
    if (now < VisibleAt(start) + opt_.lag_ms / 1000.0)
      return Error(res, 400, "backend lagging: start beyond its tree size");
  }
  uint64_t last = std::min(end, size - 1);
  if (opt_.align)
    last = std::min(last, (start / opt_.cap + 1) * opt_.cap - 1);
  else
    last = std::min(last, start + opt_.cap - 1);
  uint64_t count = last - start + 1;
  if (d.short_reply && count > 1) {
    count = 1 + d.dice % (count - 1);
    stats_.short_replies++;
  }
  SendEntries(res, d, start, start + count);
}

void Server::GetConsistency(const httplib::Request& req, httplib::Response& res) {
  Decision d;
  if (!Begin(req, res, false, &d)) return;
  uint64_t first, second;
  if (!ParseU64(req.get_param_value("first"), &first) || !ParseU64(req.get_param_value("second"), &second) ||
      first > second || second > CurrentSize()) {
    return Error(res, 400, "bad first/second");
  }
  std::string body = "{\"consistency\":[";
  auto proof = log_.Consistency(first, second);
  for (size_t i = 0; i < proof.size(); ++i) {
    if (i) body += ',';
    body += '"' + ctdl::Base64Encode(ctdl::AsView(proof[i])) + '"';
  }
  body += "]}";
  Send(res, d, std::move(body), "application/json");
}

void Server::GetRoots(const httplib::Request& req, httplib::Response& res) {
  Decision d;
  if (!Begin(req, res, false, &d)) return;
  std::string body = "{\"certificates\":[";
  for (size_t i = 0; i < log_.issuers().size(); ++i) {
    if (i) body += ',';
    body += '"' + ctdl::Base64Encode(log_.issuers()[i].second) + '"';
  }
  body += "]}";
  Send(res, d, std::move(body), "application/json");
}

void Server::GetCheckpoint(const httplib::Request& req, httplib::Response& res) {
  Decision d;
  if (!Begin(req, res, false, &d)) return;
  auto h = heads_.Get(CurrentSize());
  if (!h.ok()) return Error(res, 500, h.status().ToString());
  Send(res, d, heads_.Checkpoint(*h, origin_), "text/plain; charset=utf-8");
}

void Server::GetTile(const httplib::Request& req, httplib::Response& res) {
  Decision d;
  if (!Begin(req, res, true, &d)) return;
  std::string_view path = req.path;
  path.remove_prefix(std::string_view("/static/tile/").size());
  bool data = path.substr(0, 5) == "data/";
  int level = 0;
  size_t slash = path.find('/');
  if (slash == std::string_view::npos) return Error(res, 404, "bad tile path");
  if (!data) {
    if (slash == 0 || slash > 2) return Error(res, 404, "bad tile level");
    for (char c : path.substr(0, slash)) {
      if (c < '0' || c > '9') return Error(res, 404, "bad tile level");
      level = level * 10 + (c - '0');
    }
    if (level > 7) return Error(res, 404, "bad tile level");
  }
  path.remove_prefix(slash + 1);
  uint64_t width = 256, n;
  size_t p = path.find(".p/");
  if (p != std::string_view::npos) {
    if (!ParseU64(std::string(path.substr(p + 3)), &width) || width == 0 || width >= 256)
      return Error(res, 404, "bad partial width");
    path = path.substr(0, p);
  }
  if (!ParseTilePath(path, &n) || n > (uint64_t{1} << 40)) return Error(res, 404, "bad tile index");
  uint64_t size = CurrentSize();
  uint64_t avail = data ? size : (size >> (8 * level));
  if (n * 256 + width > avail) return Error(res, 404, "tile not available");
  if (width < 256 && opt_.remove_partial_tiles && n * 256 + 256 <= avail)
    return Error(res, 404, "partial tile removed (full tile exists)");
  uint64_t lo = n * 256, hi = lo + width;
  std::string body;
  if (data) {
    stats_.entries += width;
    for (uint64_t i = lo; i < hi;) {
      auto it = corrupt_tile_.lower_bound(i);
      uint64_t stop = (it == corrupt_tile_.end() || it->first >= hi) ? hi : it->first;
      if (stop > i) {
        body += log_.TileLeaves(i, stop);
        i = stop;
      } else {
        body += it->second;
        ++i;
      }
    }
    if (opt_.gzip_tiles) {
      body = Gzip(body);
      res.set_header("Content-Encoding", "gzip");
    }
  } else {
    body.reserve(width * 32);
    for (uint64_t i = lo; i < hi; ++i) body += ctdl::AsView(log_.Node(8 * level, i, size));
  }
  Send(res, d, std::move(body), "application/octet-stream");
}

void Server::GetIssuer(const httplib::Request& req, httplib::Response& res) {
  Decision d;
  if (!Begin(req, res, false, &d)) return;
  std::string name = req.matches[1];
  for (auto& [hex, der] : log_.issuers()) {
    if (hex == name) return Send(res, d, der, "application/pkix-cert");
  }
  Error(res, 404, "no such issuer");
}

}  // namespace testlog
