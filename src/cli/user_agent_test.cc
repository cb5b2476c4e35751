#include "cli/user_agent.h"

#include <gtest/gtest.h>

#include "net/http_client.h"

namespace ctdl::cli {
namespace {

TEST(UserAgentTest, ContactGoesIntoTheLastParenthesis) {
  std::string ua = UserAgentWithContact("", "ops@example.com");
  std::string def = DefaultUserAgent();
  ASSERT_EQ(def.back(), ')');
  EXPECT_EQ(ua, def.substr(0, def.size() - 1) + "; contact: ops@example.com)");
  EXPECT_EQ(UserAgentWithContact("mirror/2", "https://example.com/ct"),
            "mirror/2 (contact: https://example.com/ct)");
}

TEST(UserAgentTest, NothingAddedWhenAbsentOrAlreadyThere) {
  EXPECT_EQ(UserAgentWithContact("", ""), DefaultUserAgent());
  EXPECT_EQ(UserAgentWithContact("mirror/2 (ops@example.com)", "ops@example.com"),
            "mirror/2 (ops@example.com)");
}

TEST(UserAgentTest, ControlCharactersAndHugeContactsAreRefused) {
  EXPECT_TRUE(CheckContact("ops@example.com").ok());
  EXPECT_EQ(CheckContact("a\r\nX-Evil: 1").code(), Code::kInvalidArgument);
  EXPECT_EQ(CheckContact(std::string(300, 'a')).code(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace ctdl::cli
