// The algorithms of ai/forecast.h.
#include "flowctl/ai/forecast.h"

#include <algorithm>
#include <cmath>

namespace flowctl::ai::forecast {

Line FitLine(const std::vector<Point>& s) {
  Line l;
  if (s.empty()) return l;
  double n = static_cast<double>(s.size()), mt = 0, my = 0;
  for (const auto& p : s) {
    mt += p.t;
    my += p.y;
  }
  mt /= n;
  my /= n;
  double stt = 0, sty = 0, syy = 0;
  for (const auto& p : s) {
    stt += (p.t - mt) * (p.t - mt);
    sty += (p.t - mt) * (p.y - my);
    syy += (p.y - my) * (p.y - my);
  }
  l.n = s.size();
  l.slope = stt > 0 ? sty / stt : 0;
  l.intercept = my - l.slope * mt;
  // Explained share of the variance; a flat series has nothing left over.
  l.r2 = syy > 0 && stt > 0 ? std::clamp(sty * sty / (stt * syy), 0.0, 1.0) : 1.0;
  return l;
}

std::optional<double> Crossing(const Line& line, double threshold, double after_t) {
  if (line.n < 2) return std::nullopt;
  double now = line.At(after_t);
  bool rising_to = threshold >= now;
  if (now == threshold) return after_t;
  if (line.slope == 0 || (line.slope > 0) != rising_to) {
    return std::nullopt;
  }
  return after_t + (threshold - now) / line.slope;
}

Holt FitHolt(const std::vector<Point>& s, double alpha, double beta) {
  Holt h;
  if (s.size() < 2) return h;
  h.n = s.size();
  h.step_s = (s.back().t - s.front().t) / static_cast<double>(s.size() - 1);
  double level = s[0].y, trend = s[1].y - s[0].y;
  double sq = 0;
  size_t errors = 0;
  for (size_t i = 1; i < s.size(); ++i) {
    double forecast = level + trend;
    double e = s[i].y - forecast;
    if (i >= 2) {  // the first is the initial trend itself
      sq += e * e;
      ++errors;
    }
    double prev = level;
    level = alpha * s[i].y + (1 - alpha) * (level + trend);
    trend = beta * (level - prev) + (1 - beta) * trend;
  }
  h.level = level;
  h.trend = trend;
  h.resid_sd = errors > 0 ? std::sqrt(sq / static_cast<double>(errors)) : 0;
  return h;
}

double Holt::At(double seconds) const {
  if (n == 0) return 0;
  double steps = step_s > 0 ? seconds / step_s : 0;
  return level + trend * steps;
}

double Holt::Spread(double seconds) const {
  double steps = step_s > 0 ? std::max(1.0, seconds / step_s) : 1;
  return 1.96 * resid_sd * std::sqrt(steps);
}

std::optional<double> RobustZ(std::vector<double> base, double x) {
  if (base.size() < 5) return std::nullopt;
  auto median = [](std::vector<double>& v) {
    size_t m = v.size() / 2;
    std::nth_element(v.begin(), v.begin() + m, v.end());
    double hi = v[m];
    if (v.size() % 2 == 1) return hi;
    double lo = *std::max_element(v.begin(), v.begin() + m);
    return (lo + hi) / 2;
  };
  double med = median(base);
  std::vector<double> dev;
  dev.reserve(base.size());
  for (double v : base) dev.push_back(std::fabs(v - med));
  double spread = 1.4826 * median(dev);
  if (spread <= 0) {
    if (x == med) return 0.0;
    spread = std::max(1e-9, 0.01 * std::fabs(med));
  }
  return (x - med) / spread;
}

}  // namespace flowctl::ai::forecast
