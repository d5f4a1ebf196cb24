#include "flowctl/data/event.h"

#include "flowctl/data/json.h"

namespace flowctl {

void Event::Materialize() const {
  lazy_ = false;
  // raw was validated when the event was marked lazy, so this cannot fail;
  // if it somehow did, the body stays null and readers see missing fields.
  (void)ParseValidatedJson(raw_, &body_);
}

}  // namespace flowctl
