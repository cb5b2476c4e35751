// ctdl-testlog: `build` creates a CT log in a directory, `serve` serves it on 127.0.0.1.
// See README.md in this folder for the on-disk format and every flag.
#include <fmt/format.h>

#include <CLI/CLI.hpp>

#include "base/log.h"
#include "build.h"
#include "serve.h"

int main(int argc, char** argv) {
  CLI::App app{
      "ctdl-testlog: a real Certificate Transparency log on localhost (RFC 6962 + "
      "static-ct-api) for tests, demos and benchmarks"};
  app.require_subcommand(1);

  testlog::BuildOptions b;
  auto* build = app.add_subcommand("build", "generate a log into a directory");
  build->add_option("--out", b.out, "output directory")->required();
  build->add_option("--entries", b.entries, "number of entries")->required();
  build->add_option("--certs", b.certs, "folder of real certificates (PEM/DER) to include");
  build->add_option("--seed", b.seed, "seed for the generated certificates");
  build->add_option("--precert-ratio", b.precert_ratio, "share of precert entries (0..1)")
      ->check(CLI::Range(0.0, 1.0));
  build->add_option("--final-ratio", b.final_ratio,
                    "share of generated precerts followed by their final certificate (embedded SCTs)")
      ->check(CLI::Range(0.0, 1.0));
  build->add_option("--base-timestamp", b.base_timestamp, "timestamp (ms) of entry 0");
  build->add_flag("--leaf-index-ext", b.leaf_index_ext,
                  "put the static-ct-api leaf_index extension in every entry (both APIs)");

  testlog::ServeOptions s;
  auto* serve = app.add_subcommand("serve", "serve a built log on 127.0.0.1");
  serve->add_option("--dir", s.dir, "log directory made by build")->required();
  serve->add_option("--port", s.port, "port (0 = pick a free one)");
  serve->add_option("--port-file", s.port_file, "write the bound port here");
  serve->add_option("--log-list-out", s.log_list_out, "write a log list v3 JSON naming this log");
  serve->add_option("--origin", s.origin, "checkpoint origin (default 127.0.0.1:PORT/static)");
  serve->add_option("--seed", s.seed, "seed for fault injection");
  serve->add_option("--threads", s.threads, "server threads");
  serve->add_option("--cap", s.cap, "max entries per get-entries reply")->check(CLI::Range(1, 1 << 20));
  serve->add_flag("--align", s.align, "end get-entries replies at a multiple of the cap");
  serve->add_option("--p429", s.p429, "probability of 429")->check(CLI::Range(0.0, 1.0));
  serve->add_option("--p5xx", s.p5xx, "probability of 500/502/503")->check(CLI::Range(0.0, 1.0));
  serve->add_option("--ptruncate", s.ptruncate, "probability of a truncated body")
      ->check(CLI::Range(0.0, 1.0));
  serve->add_option("--pslow", s.pslow, "probability of a slow reply")->check(CLI::Range(0.0, 1.0));
  serve->add_option("--pshort", s.pshort, "probability of a short get-entries reply")
      ->check(CLI::Range(0.0, 1.0));
  serve->add_option("--phuge", s.phuge, "probability of a 200 with a huge body (--huge-bytes)")
      ->check(CLI::Range(0.0, 1.0));
  serve->add_option("--huge-bytes", s.huge_bytes, "size of a huge body (0: endless, chunked)");
  serve->add_option("--retry-after", s.retry_after, "Retry-After seconds on injected 429");
  serve->add_flag("--retry-after-date", s.retry_after_date, "send Retry-After as an HTTP-date");
  serve->add_option("--slow-ms", s.slow_ms, "delay of a slow reply");
  serve->add_option("--latency-ms", s.latency_ms, "delay added to every request");
  serve->add_option("--fault-scope", s.fault_scope, "all | data (get-entries and tiles only)")
      ->check(CLI::IsMember({"all", "data"}));
  serve->add_option("--lag", s.lag, "get-entries with start >= size-LAG answer 400 for a while");
  serve->add_option("--lag-ms", s.lag_ms, "how long entries stay invisible to the lagging backend");
  serve->add_option("--grow-per-sec", s.grow_per_sec, "grow the tree by this many entries/s");
  serve->add_option("--initial-size", s.initial_size, "tree size at start when growing");
  serve->add_option("--rate", s.rate, "token bucket rate limit, requests/s (0 = off)");
  serve->add_option("--burst", s.burst, "token bucket size");
  serve->add_flag("--rate-per-client", s.rate_per_client,
                  "one token bucket per client IP address (real logs limit per IP)");
  serve->add_flag("--no-retry-after", s.rate_no_retry_after,
                  "the token bucket's 429s carry no Retry-After (like DigiCert's logs)");
  serve->add_flag("--gzip-tiles", s.gzip_tiles, "gzip data tiles (Content-Encoding: gzip)");
  serve->add_flag("--remove-partial-tiles", s.remove_partial_tiles,
                  "partial tiles answer 404 once the full tile exists");
  serve->add_option("--corrupt-entry", s.corrupt_entries, "serve an altered entry at INDEX");
  serve->add_flag("--bad-signature", s.bad_signature, "tree head signatures do not verify");
  serve->add_option("--fork-after", s.fork_after,
                    "tree heads beyond SIZE are for a different (inconsistent) tree");
  serve->add_option("--mmd", s.mmd, "mmd written to the log list");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  ctdl::Status st;
  if (*build) {
    st = testlog::Build(b);
  } else {
    st = testlog::Serve(s);
  }
  if (!st.ok()) {
    fmt::print(stderr, "ctdl-testlog: {}\n", st.ToString());
    return 1;
  }
  return 0;
}
