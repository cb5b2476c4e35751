#include "cli/app.h"

int main(int argc, char** argv) { return ctdl::cli::RunCli(argc, argv); }
