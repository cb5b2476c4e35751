#include "loglist.h"

#include <fmt/format.h>

#include "base/bytes.h"

namespace testlog {

std::string LogListJson(const std::string& spki, int port, uint64_t mmd) {
  std::string key = ctdl::Base64Encode(spki);
  std::string id = ctdl::Base64Encode(ctdl::AsView(ctdl::Sha256(spki)));
  std::string common = fmt::format(
      "\"log_id\": \"{}\",\n          \"key\": \"{}\",\n          \"mmd\": {},\n"
      "          \"state\": {{\"usable\": {{\"timestamp\": \"2024-01-01T00:00:00Z\"}}}},\n"
      "          \"temporal_interval\": {{\"start_inclusive\": \"2023-01-01T00:00:00Z\", "
      "\"end_exclusive\": \"2030-01-01T00:00:00Z\"}}",
      id, key, mmd);
  return fmt::format(
      "{{\n  \"version\": \"1.0\",\n  \"log_list_timestamp\": \"2026-01-01T00:00:00Z\",\n"
      "  \"operators\": [\n    {{\n      \"name\": \"ctdl testlog\",\n"
      "      \"email\": [\"testlog@example.invalid\"],\n"
      "      \"logs\": [\n        {{\n          \"description\": \"ctdl testlog 127.0.0.1:{port} "
      "(RFC 6962)\",\n          {common},\n          \"url\": \"http://127.0.0.1:{port}/\"\n"
      "        }}\n      ],\n"
      "      \"tiled_logs\": [\n        {{\n          \"description\": \"ctdl testlog "
      "127.0.0.1:{port} (static-ct-api)\",\n          {common},\n"
      "          \"submission_url\": \"http://127.0.0.1:{port}/static/\",\n"
      "          \"monitoring_url\": \"http://127.0.0.1:{port}/static/\"\n        }}\n      ]\n"
      "    }}\n  ]\n}}\n",
      fmt::arg("port", port), fmt::arg("common", common));
}

}  // namespace testlog
