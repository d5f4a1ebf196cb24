#include "flowctl/engine/metrics_json.h"

#include <algorithm>
#include <cmath>

namespace flowctl::engine {

namespace {

double Round(double v) { return std::round(v * 1000.0) / 1000.0; }

}  // namespace

nlohmann::json MetricsJson(const std::string& pipeline, const std::string& since,
                           const std::vector<store::MetricPoint>& points) {
  const auto& metrics = store::Metrics();
  nlohmann::json units = nlohmann::json::object();
  for (const auto& m : metrics) units[m.name] = m.unit;
  nlohmann::json nodes = nlohmann::json::array();
  for (size_t i = 0; i < points.size();) {
    size_t j = i;
    while (j < points.size() && points[j].node == points[i].node) ++j;
    nlohmann::json ts = nlohmann::json::array();
    nlohmann::json series = nlohmann::json::object(), summary = nlohmann::json::object();
    for (size_t k = i; k < j; ++k) ts.push_back(points[k].ts_ms);
    for (size_t m = 0; m < metrics.size(); ++m) {
      nlohmann::json values = nlohmann::json::array();
      double sum = 0, max = 0;
      for (size_t k = i; k < j; ++k) {
        double v = points[k].v[m];
        values.push_back(Round(v));
        sum += v;
        max = k == i ? v : std::max(max, v);
      }
      series[metrics[m].name] = std::move(values);
      summary[metrics[m].name] = {{"mean", Round(sum / static_cast<double>(j - i))},
                                  {"max", Round(max)},
                                  {"last", Round(points[j - 1].v[m])}};
    }
    nodes.push_back({{"node", points[i].node},
                     {"resolution_s", points[i].resolution_s},
                     {"samples", j - i},
                     {"ts_ms", std::move(ts)},
                     {"metrics", std::move(series)},
                     {"summary", std::move(summary)}});
    i = j;
  }
  return {{"pipeline", pipeline}, {"since", since}, {"units", units}, {"nodes", nodes}};
}

}  // namespace flowctl::engine
