#include "flowctl/control/metrics_proto.h"

#include <map>
#include <string>

namespace flowctl::control {

void PointsToProto(const std::vector<store::MetricPoint>& points, v1::MetricHistoryResponse* out) {
  const auto& metrics = store::Metrics();
  for (size_t i = 0; i < points.size();) {
    size_t j = i;
    while (j < points.size() && points[j].node == points[i].node) ++j;
    v1::MetricSeries* s = out->add_series();
    s->set_node(points[i].node);
    s->set_resolution_s(points[i].resolution_s);
    for (size_t k = i; k < j; ++k) s->add_ts_ms(points[k].ts_ms);
    for (size_t m = 0; m < metrics.size(); ++m) {
      v1::MetricValues* v = s->add_values();
      v->set_metric(metrics[m].name);
      v->set_unit(metrics[m].unit);
      for (size_t k = i; k < j; ++k) v->add_v(points[k].v[m]);
    }
    i = j;
  }
}

Result<std::vector<store::MetricPoint>> PointsFromProto(const v1::MetricHistoryResponse& in) {
  const auto& metrics = store::Metrics();
  std::map<std::string, size_t> index;
  for (size_t m = 0; m < metrics.size(); ++m) index[metrics[m].name] = m;
  std::vector<store::MetricPoint> out;
  for (const auto& s : in.series()) {
    size_t first = out.size();
    for (int64_t ts : s.ts_ms()) {
      store::MetricPoint p;
      p.node = s.node();
      p.ts_ms = ts;
      p.resolution_s = s.resolution_s();
      out.push_back(std::move(p));
    }
    for (const auto& v : s.values()) {
      // A metric this build does not know (a newer daemon) is skipped.
      auto it = index.find(v.metric());
      if (it == index.end()) continue;
      if (v.v_size() != s.ts_ms_size())
        return Status::Invalid("metric " + v.metric() + " of node " + s.node() + " has " +
                               std::to_string(v.v_size()) + " values for " +
                               std::to_string(s.ts_ms_size()) + " times");
      for (int k = 0; k < v.v_size(); ++k)
        out[first + static_cast<size_t>(k)].v[it->second] = v.v(k);
    }
  }
  return out;
}

void ErrorsToProto(const std::vector<store::ErrorGroup>& groups, v1::MetricHistoryResponse* out) {
  for (const auto& g : groups) {
    v1::ErrorGroup* e = out->add_errors();
    e->set_node(g.node);
    e->set_message_template(g.message_template);
    e->set_example_message(g.example_message);
    e->set_count(g.count);
    e->set_first_ms(g.first_ms);
    e->set_last_ms(g.last_ms);
    for (const auto& x : g.examples) e->add_examples(x);
  }
}

std::vector<store::ErrorGroup> ErrorsFromProto(const v1::MetricHistoryResponse& in) {
  std::vector<store::ErrorGroup> out;
  for (const auto& e : in.errors()) {
    store::ErrorGroup g;
    g.node = e.node();
    g.message_template = e.message_template();
    g.example_message = e.example_message();
    g.count = e.count();
    g.first_ms = e.first_ms();
    g.last_ms = e.last_ms();
    g.examples.assign(e.examples().begin(), e.examples().end());
    out.push_back(std::move(g));
  }
  return out;
}

void SchemasToProto(const std::vector<store::SchemaEpoch>& epochs, v1::MetricHistoryResponse* out) {
  for (const auto& e : epochs) {
    v1::SchemaEpoch* p = out->add_schemas();
    p->set_node(e.node);
    p->set_from_ms(e.from_ms);
    p->set_to_ms(e.to_ms);
    p->set_sampled(e.profile.sampled);
    p->set_not_objects(e.profile.not_objects);
    p->set_other_fields(e.profile.other_fields);
    for (const auto& [name, f] : e.profile.fields) {
      v1::SchemaField* pf = p->add_fields();
      pf->set_name(name);
      pf->set_present(f.present);
      for (int64_t k : f.kinds) pf->add_kinds(k);
    }
  }
}

std::vector<store::SchemaEpoch> SchemasFromProto(const v1::MetricHistoryResponse& in) {
  std::vector<store::SchemaEpoch> out;
  for (const auto& p : in.schemas()) {
    store::SchemaEpoch e;
    e.node = p.node();
    e.from_ms = p.from_ms();
    e.to_ms = p.to_ms();
    e.profile.sampled = p.sampled();
    e.profile.not_objects = p.not_objects();
    e.profile.other_fields = p.other_fields();
    for (const auto& pf : p.fields()) {
      FieldProfile f;
      f.present = pf.present();
      for (int k = 0; k < kKindCount && k < pf.kinds_size(); ++k) f.kinds[k] = pf.kinds(k);
      e.profile.fields[pf.name()] = f;
    }
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace flowctl::control
