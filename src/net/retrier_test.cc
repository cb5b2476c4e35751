#include "net/retrier.h"

#include <gtest/gtest.h>

#include <deque>

namespace ctdl {
namespace {

using namespace std::chrono_literals;

// Answers with a script of responses (the last one repeats); records what it was asked.
class ScriptedHttp : public HttpClient {
 public:
  explicit ScriptedHttp(std::deque<HttpResponse> script) : script_(std::move(script)) {}
  HttpResponse Fetch(const HttpRequest& r) override {
    ++calls;
    had_cancel = static_cast<bool>(r.cancelled);
    if (on_fetch) on_fetch();
    HttpResponse out = script_.front();
    if (script_.size() > 1) script_.pop_front();
    return out;
  }
  int calls = 0;
  bool had_cancel = false;
  std::function<void()> on_fetch;

 private:
  std::deque<HttpResponse> script_;
};

HttpResponse Status(int s, std::string body = "", Headers h = {}) {
  HttpResponse r;
  r.status = s;
  r.body = std::move(body);
  r.headers = std::move(h);
  return r;
}

HttpResponse Transport(TransportError kind, std::string error) {
  HttpResponse r;
  r.transport = kind;
  r.error = std::move(error);
  return r;
}

HttpRequest Req() {
  HttpRequest r;
  r.url = "http://log.example/ct/v1/get-sth";
  return r;
}

TEST(RetrierTest, RetriesTransientFailuresThenSucceeds) {
  ScriptedHttp http({Status(503), Transport(TransportError::kTimeout, "log.example: timeout"),
                     Status(200, "ok")});
  FakeClock clock;
  Retrier r(http, clock, {5, Backoff{100ms, 1s}});
  Retrier::Outcome o = r.Run(Req());
  EXPECT_TRUE(o.ok());
  EXPECT_EQ(o.attempts, 3);
  EXPECT_EQ(o.response.body, "ok");
  // Two backoffs: [50,100] ms then [100,200] ms, slept on the fake clock.
  EXPECT_GE(clock.TotalSlept(), 150ms);
  EXPECT_LE(clock.TotalSlept(), 300ms);
}

TEST(RetrierTest, FatalAndPermanentTransportErrorsStopAtOnce) {
  for (HttpResponse bad : {Status(403), Transport(TransportError::kCertificate, "h: TLS"),
                           Transport(TransportError::kResolve, "h: cannot resolve")}) {
    ScriptedHttp http({bad});
    FakeClock clock;
    Retrier r(http, clock);
    Retrier::Outcome o = r.Run(Req());
    EXPECT_FALSE(o.ok());
    EXPECT_FALSE(o.exhausted());
    EXPECT_EQ(o.verdict.disposition, Disposition::kFatal);
    EXPECT_EQ(http.calls, 1);
    EXPECT_EQ(clock.TotalSlept(), Duration::zero());
  }
}

TEST(RetrierTest, GivesUpAfterMaxAttempts) {
  ScriptedHttp http({Status(500)});
  FakeClock clock;
  Retrier r(http, clock, {4, Backoff{10ms, 20ms}});
  Retrier::Outcome o = r.Run(Req());
  EXPECT_TRUE(o.exhausted());
  EXPECT_EQ(o.attempts, 4);
  EXPECT_EQ(http.calls, 4);
  EXPECT_EQ(o.why, "HTTP 500");
}

TEST(RetrierTest, HonoursRetryAfterUpToTheCap) {
  ScriptedHttp http({Status(429, "", {{"retry-after", "30"}}), Status(429, "", {{"retry-after", "900"}}),
                     Status(200)});
  FakeClock clock;
  RetryPolicy p{5, Backoff{10ms, 20ms}, 60s};
  Retrier r(http, clock, p);
  int throttled = 0;
  Retrier::Hooks hooks;
  hooks.on_retry = [&](const Retrier::Outcome& o, Duration) {
    throttled += o.verdict.disposition == Disposition::kThrottled;
  };
  int seen = 0;
  hooks.after_attempt = [&](const HttpResponse&, const Verdict&) { ++seen; };
  EXPECT_TRUE(r.Run(Req(), Classify, {}, hooks).ok());
  EXPECT_EQ(throttled, 2);
  EXPECT_EQ(seen, 3);
  EXPECT_GE(clock.TotalSlept(), 90s);   // 30 s + the 900 s cut to 60 s
  EXPECT_LE(clock.TotalSlept(), 91s);
}

TEST(RetrierTest, CheckTurnsABadBodyIntoARetry) {
  ScriptedHttp http({Status(200, "{trunc"), Status(200, "{}")});
  FakeClock clock;
  Retrier r(http, clock, {3, Backoff{1ms, 1ms}});
  auto check = [](const HttpResponse& h) {
    return h.body == "{}" ? Status::Ok() : Corrupt("truncated JSON");
  };
  Retrier::Outcome o = r.Run(Req(), Classify, check);
  EXPECT_TRUE(o.ok());
  EXPECT_EQ(o.attempts, 2);
}

TEST(RetrierTest, CallerClassifierDecides) {
  // S3-style: a 400 with a retryable error code is a retry; Classify alone would say stale.
  ScriptedHttp http({Status(400, "<Code>SlowDown</Code>"), Status(400, "<Code>BadDigest</Code>")});
  FakeClock clock;
  Retrier r(http, clock, {5, Backoff{1ms, 1ms}});
  auto s3 = [](const HttpResponse& h, WallTime now) -> Verdict {
    if (h.status == 400)
      return {h.body.find("SlowDown") != std::string::npos ? Disposition::kRetry : Disposition::kFatal,
              std::nullopt};
    return Classify(h, now);
  };
  Retrier::Outcome o = r.Run(Req(), s3);
  EXPECT_EQ(o.attempts, 2);
  EXPECT_EQ(o.verdict.disposition, Disposition::kFatal);
}

TEST(RetrierTest, StopEndsAWaitWithinASlice) {
  ScriptedHttp http({Status(503, "", {{"retry-after", "120"}})});
  FakeClock clock;
  // The stop fires 2.5 s into the 120 s wait: the fake clock must not sleep much past it.
  SteadyTime start = clock.Now();
  Retrier r(http, clock, {}, [&] { return clock.Now() - start >= 2500ms; });
  Retrier::Outcome o = r.Run(Req());
  EXPECT_TRUE(o.stopped);
  EXPECT_FALSE(o.ok());
  EXPECT_EQ(http.calls, 1);
  EXPECT_TRUE(http.had_cancel);  // the stop went to the engine with the request
  EXPECT_GE(clock.TotalSlept(), 2500ms);
  EXPECT_LE(clock.TotalSlept(), 2600ms);
}

TEST(RetrierTest, StoppedBeforeTheFirstAttemptSendsNothing) {
  ScriptedHttp http({Status(200)});
  FakeClock clock;
  Retrier r(http, clock, {}, [] { return true; });
  Retrier::Outcome o = r.Run(Req());
  EXPECT_TRUE(o.stopped);
  EXPECT_EQ(http.calls, 0);
}

TEST(RetrierTest, SoftStopStillMakesTheFirstTryButNoRetry) {
  ScriptedHttp http({Status(503), Status(200)});
  FakeClock clock;
  RetryPolicy p;
  p.stop_ends_retries_only = true;
  Retrier r(http, clock, p, [] { return true; });
  Retrier::Outcome o = r.Run(Req());
  EXPECT_TRUE(o.stopped);
  EXPECT_EQ(http.calls, 1);
  EXPECT_FALSE(http.had_cancel);  // a try once begun is not cut short
  ScriptedHttp ok({Status(200)});
  EXPECT_TRUE(Retrier(ok, clock, p, [] { return true; }).Run(Req()).ok());
}

TEST(RetrierTest, BeforeAttemptPacesEveryTry) {
  ScriptedHttp http({Status(500), Status(200)});
  FakeClock clock;
  Retrier r(http, clock, {3, Backoff{1ms, 1ms}});
  Retrier::Hooks hooks;
  int paced = 0;
  hooks.before_attempt = [&] {
    ++paced;
    return Duration(1s);
  };
  EXPECT_TRUE(r.Run(Req(), Classify, {}, hooks).ok());
  EXPECT_EQ(paced, 2);
  EXPECT_GE(clock.TotalSlept(), 2s);
}

}  // namespace
}  // namespace ctdl
