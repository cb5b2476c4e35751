// Chrome log list v3 JSON naming the served log twice: as an RFC 6962 log (operators[].logs[],
// url http://127.0.0.1:P/) and as a tiled log (operators[].tiled_logs[], /static/ URLs).
#pragma once

#include <cstdint>
#include <string>

namespace testlog {

std::string LogListJson(const std::string& spki, int port, uint64_t mmd);

}  // namespace testlog
