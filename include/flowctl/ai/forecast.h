// Forecasting over metric series: small, named, textbook algorithms that fit
// the data sizes of the metric history (tens to thousands of points), used
// by the failure predictions of ai/predict.h and the AIMonitor.
//
//   - FitLine: ordinary least squares; r2 says how much of the variance the
//     line explains. Crossing: when the fitted line reaches a threshold
//     (trend + threshold crossing, for time-to-failure).
//   - Holt: Holt's linear exponential smoothing (level + trend), for
//     capacity forecasts over a window; the residual spread of its
//     one-step forecasts gives an interval.
//   - RobustZ: (x - median) / (1.4826 x MAD), an outlier score that a few
//     outliers in the baseline do not move.
//
// Contract: pure functions; empty or degenerate input gives an empty result
// (nullopt, n = 0), never NaN.
#ifndef FLOWCTL_AI_FORECAST_H_
#define FLOWCTL_AI_FORECAST_H_

#include <optional>
#include <vector>

namespace flowctl::ai::forecast {

struct Point {
  double t = 0;  // seconds
  double y = 0;
};

struct Line {
  double slope = 0;  // y per second
  double intercept = 0;
  double r2 = 0;  // 0..1; 1 for a constant series (nothing unexplained)
  size_t n = 0;
  double At(double t) const { return intercept + slope * t; }
};
Line FitLine(const std::vector<Point>& s);

// The first time >= after_t at which the line reaches threshold, when its
// slope goes that way (rising to a higher threshold or falling to a lower
// one); nullopt otherwise. A line already past the threshold at after_t
// crosses at after_t.
std::optional<double> Crossing(const Line& line, double threshold, double after_t);

struct Holt {
  double level = 0;
  double trend = 0;     // per step
  double step_s = 0;    // the series' mean spacing
  double resid_sd = 0;  // of the one-step-ahead forecast errors
  size_t n = 0;
  // The forecast `seconds` after the last point.
  double At(double seconds) const;
  // Half-width of an approximate 95% interval `seconds` ahead (the one-step
  // error grown by the square root of the steps).
  double Spread(double seconds) const;
};
Holt FitHolt(const std::vector<Point>& s, double alpha = 0.5, double beta = 0.3);

// (x - median(base)) / (1.4826 x MAD(base)); nullopt when base has fewer
// than 5 points. A flat baseline (MAD 0) scores 0 for x at the median and
// uses 1% of |median| (at least 1e-9) as the spread otherwise.
std::optional<double> RobustZ(std::vector<double> base, double x);

}  // namespace flowctl::ai::forecast

#endif  // FLOWCTL_AI_FORECAST_H_
