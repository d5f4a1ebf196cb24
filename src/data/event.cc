#include "flowctl/data/event.h"

#include "flowctl/data/json.h"

namespace flowctl {

void Event::Materialize() const {
  lazy_ = false;
  // raw was validated when the event was marked lazy, so this cannot fail;
  // if it somehow did, the body stays null and readers see missing fields.
  (void)ParseValidatedJson(raw_, &body_);
  if (!patch_.empty()) {
    for (auto& m : patch_) body_.Set(m.key, std::move(m.value));
    patch_.clear();
    // raw no longer describes the body.
    raw_.clear();
    has_raw_ = false;
  }
}

void Event::PatchTopLevel(std::string_view key, Value v) {
  for (auto& m : patch_) {
    if (m.key == key) {
      m.value = std::move(v);
      return;
    }
  }
  patch_.push_back(Member{std::string(key), std::move(v)});
}

void Event::CacheJson() {
  // Raw bytes plus patches are written by a plain append: nothing to gain.
  if (lazy_ || has_raw_) return;
  std::string text;
  text.reserve(raw_.size() + 256);
  AppendJson(&text);
  // Spare capacity lets a later lazy decode parse in place.
  text.reserve(text.size() + 64);
  raw_ = std::move(text);
  patch_.clear();
  has_raw_ = true;
}

void Event::AppendJson(std::string* out) const {
  if (lazy_ && !patch_.empty()) {
    // The original object minus its closing brace, then the new members.
    size_t end = raw_.find_last_of('}');
    size_t last = raw_.find_last_not_of(" \t\r\n", end == 0 ? 0 : end - 1);
    bool empty_object = last == std::string::npos || raw_[last] == '{';
    out->append(raw_, 0, end);
    for (size_t i = 0; i < patch_.size(); ++i) {
      if (i > 0 || !empty_object) out->push_back(',');
      AppendJsonString(patch_[i].key, out);
      out->push_back(':');
      ::flowctl::AppendJson(patch_[i].value, out);
    }
    out->push_back('}');
    return;
  }
  if (has_raw_) {
    out->append(raw_);
    return;
  }
  ::flowctl::AppendJson(body(), out);
}

}  // namespace flowctl
