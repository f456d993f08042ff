// Stop strings over streamed text: releases text as soon as it cannot be the start of a stop
// string, holds back a suffix that might be, and cuts the output just before the first stop
// string found (even one spanning several tokens).
// Not thread-safe: one per generated choice.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace plexus::server {

class StopMatcher {
 public:
  explicit StopMatcher(std::vector<std::string> stops);

  // Appends generated text; returns the part that is now safe to show. Once a stop string is
  // found, stopped() is true and every later push() returns "".
  std::string push(std::string_view text);
  // End of generation without a stop: everything still held back.
  std::string flush();

  bool stopped() const { return stopped_; }
  // Bytes returned by push()/flush() so far.
  size_t released() const { return released_; }
  // Bytes given to push() so far.
  size_t pushed() const { return pushed_; }

 private:
  // Length of the longest suffix of held_ that is a proper prefix of some stop string.
  size_t partial_suffix() const;

  std::vector<std::string> stops_;
  std::string held_;
  bool stopped_ = false;
  size_t released_ = 0;
  size_t pushed_ = 0;
};

}  // namespace plexus::server
