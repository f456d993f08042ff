#include "server/stop_matcher.h"

#include <algorithm>

namespace plexus::server {

StopMatcher::StopMatcher(std::vector<std::string> stops) {
  for (auto& s : stops) {
    if (!s.empty()) stops_.push_back(std::move(s));
  }
}

size_t StopMatcher::partial_suffix() const {
  size_t best = 0;
  for (const auto& stop : stops_) {
    // Proper prefixes only: a whole stop string would have been found by push().
    const size_t max_len = std::min(stop.size() - 1, held_.size());
    for (size_t len = max_len; len > best; --len) {
      if (held_.compare(held_.size() - len, len, stop, 0, len) == 0) {
        best = len;
        break;
      }
    }
  }
  return best;
}

std::string StopMatcher::push(std::string_view text) {
  pushed_ += text.size();
  if (stopped_) return "";
  held_.append(text);
  if (stops_.empty()) {
    std::string out;
    out.swap(held_);
    released_ += out.size();
    return out;
  }
  size_t first = std::string::npos;
  for (const auto& stop : stops_) first = std::min(first, held_.find(stop));
  if (first != std::string::npos) {
    std::string out = held_.substr(0, first);
    held_.clear();
    stopped_ = true;
    released_ += out.size();
    return out;
  }
  const size_t keep = partial_suffix();
  std::string out = held_.substr(0, held_.size() - keep);
  held_.erase(0, held_.size() - keep);
  released_ += out.size();
  return out;
}

std::string StopMatcher::flush() {
  if (stopped_) return "";
  std::string out;
  out.swap(held_);
  released_ += out.size();
  return out;
}

}  // namespace plexus::server
