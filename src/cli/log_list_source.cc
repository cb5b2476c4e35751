#include "cli/log_list_source.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace ctdl::cli {

bool IsHttpUrl(const std::string& s) { return s.rfind("http://", 0) == 0 || s.rfind("https://", 0) == 0; }

Result<std::string> ReadLogListSource(const std::string& source, HttpClient& http) {
  if (IsHttpUrl(source)) {
    HttpRequest req;
    req.url = source;
    req.accept_gzip = true;
    req.timeout = std::chrono::seconds(60);
    HttpResponse resp = http.Fetch(req);
    if (resp.status == 0)
      return Unavailable(fmt::format("cannot download the log list {}: {}", source, resp.error));
    if (resp.status != 200)
      return Unavailable(fmt::format("cannot download the log list {}: HTTP {}", source, resp.status));
    return std::move(resp.body);
  }
  std::string path = source.starts_with("file://") ? source.substr(7) : source;  // file:///abs/list.json
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    return InvalidArgument(fmt::format("log list {} is a folder, not a file", source));
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return InvalidArgument(fmt::format("cannot read the log list {}: {}", source, std::strerror(errno)));
  std::stringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return InvalidArgument(fmt::format("cannot read the log list {}", source));
  return ss.str();
}

LogState ToLogState(const ListedLog& l) {
  LogState s;
  s.url = l.url;
  s.description = l.description;
  s.log_type = l.log_type;
  s.submission_url = l.submission_url;
  s.operator_name = l.operator_name;
  s.log_id = l.log_id;
  s.key = l.key;
  s.mmd = l.mmd;
  s.list_state = l.state;
  return s;
}

}  // namespace ctdl::cli
