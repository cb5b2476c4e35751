// file:// URLs answered from the local filesystem as a static web server would answer them, so a
// folder laid out as a static-ct-api log (a mirror, a tile cache, an unpacked ct-archive) is read by
// the tiled source and verified by the same code as a remote log (doc/sources.md).
//
// A URL is file://<absolute path> (host empty or "localhost"; %XX escapes decoded). Only the paths a
// static-ct-api log serves are read: <root>/checkpoint, <root>/tile/..., <root>/issuer/..., where
// <root> is the part before the last such suffix; the rest is opened beneath <root> with symlinks
// allowed only where they stay inside it (openat2 RESOLVE_BENEATH). Answers:
//   200 + the file's bytes   (at most max_body_bytes; larger: status 0, TransportError::kTooLarge)
//   404                      a partial tile (.p/<W>) that does not exist: the caller falls back to the
//                            full tile, as a log that deleted it once the full one existed
//   status 0, kNoSuchFile    any other file that does not exist: the folder is incomplete (unlike a
//                            CDN, a folder does not fill in by waiting; permanent)
//   403                      the file exists but cannot be read (permissions)
//   status 0, kBadUrl        not a file:// URL we serve: a host, "." or ".." segments, an escaped
//                            '/' or NUL, another path, a method other than GET/HEAD, a symlink or
//                            ".." leading out of <root> (permanent: retrying cannot fix it)
//   status 0, kOther         a read error (EIO...)
// No Content-Encoding is sent: a tile stored gzipped is returned as stored (the tile decoder inflates
// gzip whether or not it was asked for). Thread-safe; FetchAsync completes on the caller's thread.
#pragma once

#include <memory>

#include "net/http_client.h"

namespace ctdl {

bool IsFileUrl(std::string_view url);

std::unique_ptr<HttpClient> NewFileHttpClient(size_t max_body_bytes = size_t{64} << 20);

// file:// to `files`, every other URL to `network`.
std::unique_ptr<HttpClient> NewRoutingHttpClient(std::unique_ptr<HttpClient> files,
                                                 std::unique_ptr<HttpClient> network);

// What the commands use: file:// from the filesystem, http(s) through libcurl (NewCurlHttpClient).
std::unique_ptr<HttpClient> NewHttpClient(const CurlOptions& options = {});

}  // namespace ctdl
