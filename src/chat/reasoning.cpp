#include "chat/reasoning.h"

#include "chat/tool_calls.h"

namespace plexus::chat {
namespace {

constexpr std::string_view kOpen = "<think>";
constexpr std::string_view kClose = "</think>";

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

size_t skip_space(std::string_view s, size_t i) {
  while (i < s.size() && is_space(s[i])) ++i;
  return i;
}

}  // namespace

bool template_uses_think(std::string_view template_source) {
  return template_source.find(kOpen) != std::string_view::npos;
}

bool prompt_opens_think(std::string_view prompt) {
  const size_t open = prompt.rfind(kOpen);
  if (open == std::string_view::npos) return false;
  return skip_space(prompt, open + kOpen.size()) == prompt.size();
}

reasoning_stream::reasoning_stream(bool starts_in_think)
    : state_(starts_in_think ? state::thinking : state::start), strip_space_(starts_in_think) {}

void reasoning_stream::step(reasoning_result& out) {
  while (true) {
    if (strip_space_) {
      const size_t first = skip_space(held_, 0);
      held_.erase(0, first);
      if (held_.empty()) return;
      strip_space_ = false;
    }
    switch (state_) {
      case state::start: {
        const size_t first = skip_space(held_, 0);
        if (first == held_.size()) return;  // whitespace only: a think block may follow
        const std::string_view rest = std::string_view(held_).substr(first);
        if (rest.size() < kOpen.size() && kOpen.substr(0, rest.size()) == rest) return;  // "<thi"
        if (rest.substr(0, kOpen.size()) == kOpen) {
          held_.erase(0, first + kOpen.size());
          state_ = state::thinking;
          strip_space_ = true;
        } else {
          state_ = state::answer;
        }
        continue;
      }
      case state::thinking: {
        const size_t close = held_.find(kClose);
        if (close != std::string::npos) {
          out.reasoning.append(held_, 0, close);
          held_.erase(0, close + kClose.size());
          state_ = state::answer;
          strip_space_ = true;
          continue;
        }
        const size_t keep = partial_marker_suffix(held_, kClose);
        out.reasoning.append(held_, 0, held_.size() - keep);
        held_.erase(0, held_.size() - keep);
        return;
      }
      case state::answer:
        out.content.append(held_);
        held_.clear();
        return;
    }
  }
}

reasoning_result reasoning_stream::push(std::string_view text) {
  held_.append(text);
  reasoning_result out;
  step(out);
  return out;
}

reasoning_result reasoning_stream::finish() {
  reasoning_result out;
  step(out);
  if (state_ == state::thinking) {
    out.reasoning.append(held_);
  } else {
    out.content.append(held_);
  }
  held_.clear();
  return out;
}

reasoning_result split_reasoning(std::string_view output, bool starts_in_think) {
  reasoning_stream stream(starts_in_think);
  reasoning_result all = stream.push(output);
  reasoning_result rest = stream.finish();
  all.reasoning += rest.reasoning;
  all.content += rest.content;
  while (!all.reasoning.empty() && is_space(all.reasoning.back())) all.reasoning.pop_back();
  return all;
}

}  // namespace plexus::chat
