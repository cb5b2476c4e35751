#include "cli/user_agent.h"

#include "net/http_client.h"

namespace ctdl::cli {

Status CheckContact(const std::string& contact) {
  if (contact.size() > 256) return InvalidArgument("longer than 256 characters");
  for (unsigned char c : contact)
    if (c < 0x20 || c == 0x7f)
      return InvalidArgument("must not contain control characters (it goes into the User-Agent)");
  return Status::Ok();
}

std::string UserAgentWithContact(const std::string& user_agent, const std::string& contact) {
  std::string ua = user_agent.empty() ? DefaultUserAgent() : user_agent;
  if (contact.empty() || ua.find(contact) != std::string::npos) return ua;
  if (!ua.empty() && ua.back() == ')') {
    ua.insert(ua.size() - 1, "; contact: " + contact);
    return ua;
  }
  return ua + " (contact: " + contact + ")";
}

}  // namespace ctdl::cli
