#include "sync/rate_model.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>

namespace ctdl {

namespace {

constexpr double kMinRps = 0.01;
constexpr double kMaxRps = 5000;
// A 429 that found many tokens weighs more than one odd reply (up to 3): few 429s must still rule
// out a slow, huge bucket that would explain every 200.
constexpr double kMax429Cost = 3;
// A reply the model gets wrong costs at least this, however near the boundary: else a bucket of one
// token refilled at about our pace (every request finds about 1.0 token) would explain any mix of
// 200s and 429s almost for free.
constexpr double kMiss = 0.5;
constexpr double kEps = 1e-6;  // rounding of the replayed sums (in favour of the 200s)
constexpr double kBursts[] = {1, 1.5, 2, 3, 4, 5, 6, 8, 10, 12, 16, 20, 25, 32, 40, 50, 64, 100};

// How badly a bucket of rate r and size b explains events[from..]: a reply the replayed bucket gets
// wrong costs kMiss plus how far it was off (a 200 that found d < 1 tokens: 1 - d; a 429 that found
// d >= 1: d - 1), at most 1 per 200 and kMax429Cost per 429, so one odd reply (a 429 of
// an overloaded moment, a request we did not see) weighs little.
double Replay(const std::vector<double>& t, const std::vector<RateEvent>& ev, size_t from, bool full,
              double r, double b) {
  double tokens = full ? b : 0, last = t[from], cost = 0;  // cost: see kMax429Cost
  for (size_t i = from; i < ev.size(); ++i) {
    tokens = std::min(b, tokens + (t[i] - last) * r);
    last = t[i];
    if (ev[i].ok) {
      if (tokens < 1 - kEps) {
        cost += std::min(1.0, kMiss + 1 - tokens);
        tokens = 0;
      } else {
        tokens -= 1;
      }
    } else if (tokens >= 1 - kEps) {
      cost += std::min(kMax429Cost, kMiss + tokens - 1);
    }
  }
  return cost;
}

struct Point {
  double r, b, cost;
};

}  // namespace

RateFit FitTokenBucket(const std::vector<RateEvent>& events, bool starts_full, int min_ok) {
  RateFit fit;
  size_t first429 = events.size();
  for (size_t i = 0; i < events.size(); ++i)
    if (!events[i].ok) {
      first429 = i;
      break;
    }
  if (first429 == events.size()) return fit;
  int ok_after = 0;
  for (size_t i = first429; i < events.size(); ++i) ok_after += events[i].ok;
  if (ok_after < min_ok) return fit;
  size_t from = starts_full ? 0 : first429;
  std::vector<double> t(events.size());
  for (size_t i = 0; i < events.size(); ++i)
    t[i] = std::chrono::duration<double>(events[i].sent - events[from].sent).count();

  // For each burst: a coarse sweep of rates (12 % steps), then 1 % steps around its best rate. Then
  // 5 % steps of burst around the best point (bursts between the grid's).
  std::vector<Point> pts;
  double best = std::numeric_limits<double>::infinity();
  auto refine = [&](double r0, double b, double span) {
    for (double r = r0 / span; r <= r0 * span; r *= 1.01) {
      double c = Replay(t, events, from, starts_full, r, b);
      pts.push_back({r, b, c});
      best = std::min(best, c);
    }
  };
  for (double b : kBursts) {
    Point coarse{kMinRps, b, std::numeric_limits<double>::infinity()};
    for (double r = kMinRps; r <= kMaxRps; r *= 1.12)
      if (double c = Replay(t, events, from, starts_full, r, b); c < coarse.cost) coarse = {r, b, c};
    refine(coarse.r, b, 1.13);
  }
  Point top = *std::min_element(pts.begin(), pts.end(), [](const Point& a, const Point& b) {
    return a.cost < b.cost || (a.cost == b.cost && a.r < b.r);
  });
  for (double b = std::max(1.0, top.b / 1.25); b <= top.b * 1.25; b *= 1.05) refine(top.r, b, 1.06);
  // The best point (the lowest rate among equals), and the range of rates of its burst that explain
  // the replies about as well.
  constexpr double kSlack = 0.25;
  const Point* pick = nullptr;
  for (const Point& p : pts)
    if (p.cost <= best + 1e-9 && (!pick || p.r < pick->r)) pick = &p;
  fit.ok = true;
  fit.burst = pick->b;
  fit.cost = best;
  fit.rps = pick->r;
  fit.rps_high = pick->r;
  for (const Point& p : pts)
    if (p.b == pick->b && p.cost <= best + kSlack) fit.rps_high = std::max(fit.rps_high, p.r);
  return fit;
}

}  // namespace ctdl
