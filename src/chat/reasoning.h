// Reasoning models write `<think>…</think>` before their answer; the API returns the two parts
// separately (OpenAI-style `reasoning_content`, Ollama `message.thinking`).
//
// Rules: a think block is recognized only at the start of the output (after whitespace), or —
// when the template already opened it in the prompt (DeepSeek-R1 ends its generation prompt with
// "<think>\n") — the output starts inside it. Whitespace right after "<think>" and right after
// "</think>" is dropped. An output whose think block never closes is all reasoning. "<think>"
// anywhere later is ordinary content.
// Thread-safe: free functions are pure; reasoning_stream is not thread-safe (one per choice).
#pragma once

#include <string>
#include <string_view>

namespace plexus::chat {

struct reasoning_result {
  std::string reasoning;
  std::string content;
};

// The template mentions "<think>": its model may reason, so outputs are split.
bool template_uses_think(std::string_view template_source);

// The rendered prompt ends inside an open think block: its last "<think>" is followed only by
// whitespace.
bool prompt_opens_think(std::string_view prompt);

// Streaming split. push() returns the reasoning and content that are certain so far; a possible
// partial marker ("</thi") is held back until the next push or finish().
// Not thread-safe: one per choice.
class reasoning_stream {
 public:
  explicit reasoning_stream(bool starts_in_think);
  reasoning_result push(std::string_view text);
  reasoning_result finish();
  bool in_reasoning() const { return state_ == state::thinking; }

 private:
  enum class state { start, thinking, answer };
  void step(reasoning_result& out);

  state state_;
  bool strip_space_ = false;  // drop whitespace at the start of the current part
  std::string held_;
};

// The whole output at once (push + finish), with trailing whitespace trimmed from the reasoning.
reasoning_result split_reasoning(std::string_view output, bool starts_in_think);

}  // namespace plexus::chat
