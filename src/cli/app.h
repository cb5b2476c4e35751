// The ctdl command line: seed aliases, CLI11 parsing, dispatch to commands, exit codes.
#pragma once

namespace ctdl::cli {

// Runs ctdl with the process arguments and returns the exit code (doc/exit-codes.md).
int RunCli(int argc, char** argv);

}  // namespace ctdl::cli
