#include "convert.h"
#include "flowctl/base/strings.h"
#include "services.h"

namespace flowctl::control {

namespace {

void ToProto(const ComponentDescriptor& d, v1::ComponentInfo* out) {
  out->set_type(d.type);
  out->set_kind(NodeKindName(d.kind));
  out->set_summary(d.summary);
  out->set_description(d.description);
  for (const auto& k : d.keywords) out->add_keywords(k);
  out->set_config_schema_json(d.config_schema.dump());
  out->set_example_yaml(d.example);
}


}  // namespace

grpc::ServerUnaryReactor* ComponentServiceImpl::List(grpc::CallbackServerContext* ctx,
                                                     const v1::ListComponentsRequest* req,
                                                     v1::ListComponentsResponse* resp) {
  std::string caller;
  if (auto st = Authorize(c_, ctx, &caller); !st.ok()) return Done(ctx, st);
  const std::string& kind = req->kind();
  if (!kind.empty() && kind != "source" && kind != "processor" && kind != "sink")
    return Done(ctx, ToGrpc(Status::Invalid("kind must be source, processor, sink or empty, got '" +
                                            kind + "'")));
  for (const auto* d : c_.engine->registry().List())
    if (kind.empty() || kind == NodeKindName(d->kind)) ToProto(*d, resp->add_components());
  return Done(ctx, grpc::Status::OK);
}

grpc::ServerUnaryReactor* ComponentServiceImpl::Describe(grpc::CallbackServerContext* ctx,
                                                         const v1::DescribeComponentRequest* req,
                                                         v1::ComponentInfo* resp) {
  std::string caller;
  if (auto st = Authorize(c_, ctx, &caller); !st.ok()) return Done(ctx, st);
  const auto& reg = c_.engine->registry();
  auto all = reg.FindAll(req->type());
  const ComponentDescriptor* found = nullptr;
  for (const auto* d : all)
    if (req->kind().empty() || req->kind() == NodeKindName(d->kind)) found = found ? found : d;
  if (!found) {
    std::string dym = DidYouMean(req->type(), reg.TypeNames());
    return Done(ctx, ToGrpc(Status::NotFound("no component type '" + req->type() + "'" +
                                             (dym.empty() ? "" : " (did you mean '" + dym + "'?)")),
                            {}, {"ComponentService.List lists every type"}));
  }
  ToProto(*found, resp);
  return Done(ctx, grpc::Status::OK);
}

}  // namespace flowctl::control
