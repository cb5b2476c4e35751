#include "cli/aliases.h"

#include <gtest/gtest.h>

#include "cli/exit_codes.h"

namespace ctdl::cli {
namespace {

using V = std::vector<std::string>;

TEST(Aliases, CommandsMoveToTheFront) {
  EXPECT_EQ(RewriteSeedAliases({"--init"}), V({"init"}));
  EXPECT_EQ(RewriteSeedAliases({"--state", "sqlite:x.db", "--init", "--yes"}),
            V({"init", "--state", "sqlite:x.db", "--yes"}));
  EXPECT_EQ(RewriteSeedAliases({"--show-all-status"}), V({"status"}));
  EXPECT_EQ(RewriteSeedAliases({"--update-tree-size", "-v"}), V({"update-tree-size", "-v"}));
}

TEST(Aliases, CtUrlBecomesDownload) {
  EXPECT_EQ(RewriteSeedAliases({"--remove-progress-bar", "--ct_url", "https://a/"}),
            V({"download", "https://a/", "--no-progress"}));
  EXPECT_EQ(RewriteSeedAliases({"--ct_url=https://a/", "--ct_url", "https://b/", "--end", "5"}),
            V({"download", "https://a/", "https://b/", "--end", "5"}));
}

TEST(Aliases, NewFormsAndPassthroughUntouched) {
  EXPECT_EQ(RewriteSeedAliases({"status", "--json"}), V({"status", "--json"}));
  EXPECT_EQ(RewriteSeedAliases({"download", "https://a/", "--no-progress"}),
            V({"download", "https://a/", "--no-progress"}));
  EXPECT_EQ(RewriteSeedAliases({"download", "--", "--init"}), V({"download", "--", "--init"}));
  EXPECT_EQ(RewriteSeedAliases({}), V({}));
}

TEST(ExitCodes, Mapping) {
  EXPECT_EQ(ExitCodeFor(Status::Ok()), kExitOk);
  EXPECT_EQ(ExitCodeFor(InvalidArgument("x")), kExitBadInput);
  EXPECT_EQ(ExitCodeFor(Corrupt("x")), kExitBadInput);
  EXPECT_EQ(ExitCodeFor(Unavailable("x")), kExitNetwork);
  EXPECT_EQ(ExitCodeFor(Conflict("x"), Origin::kStateStore), kExitConflict);
  EXPECT_EQ(ExitCodeFor(IoError("x"), Origin::kStateStore), kExitStateStore);
  EXPECT_EQ(ExitCodeFor(Corrupt("x"), Origin::kStateStore), kExitStateStore);
  EXPECT_EQ(ExitCodeFor(IoError("x"), Origin::kArchive), kExitArchive);
  EXPECT_EQ(ExitCodeFor(VerifyFailed("x")), kExitVerifyFailed);
  EXPECT_EQ(ExitCodeFor(Cancelled("x")), kExitInterrupted);
  EXPECT_EQ(ExitCodeFor(Unimplemented("x"), Origin::kStateStore), kExitUnimplemented);
  EXPECT_EQ(ExitCodeFor(Internal("x")), kExitError);
  EXPECT_EQ(ExitCodeFor(IoError("x")), kExitError);
}

}  // namespace
}  // namespace ctdl::cli
