// What the chat routes do with a model's output beyond plain text: the grammar that forces a tool
// call (tool_choice required / named), and the per-choice filter that splits reasoning
// (<think>…</think>) from content and turns tool-call text into structured calls, for streamed
// and whole responses alike.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "chat/reasoning.h"
#include "chat/tool_calls.h"
#include "core/status.h"
#include "sampling/grammar/grammar.h"
#include "server/request_types.h"

namespace plexus::server {

// A grammar accepting exactly one call, in `format`, to one of `tools` (ChatRequest::tools
// shape; only `only_name` when not empty), its arguments valid under the tool's parameters
// schema:
//   hermes        <tool_call>\n{"name": "f", "arguments": {...}}\n</tool_call>
//   llama3        {"name": "f", "parameters": {...}}
//   mistral(_args) [TOOL_CALLS][{"name": "f", "arguments": {...}}]
// invalid_argument / out_of_range from the schema compiler when the combined schema fails.
Result<std::shared_ptr<const sampling::grammar::Grammar>> tool_call_grammar(chat::tool_call_format format,
                                                                            const nlohmann::ordered_json& tools,
                                                                            const std::string& only_name);

// How one request's output is post-processed.
struct OutputRules {
  bool split_reasoning = false;   // the template thinks
  bool starts_in_think = false;   // the prompt left a <think> block open
  bool parse_tools = false;       // tools offered and tool_choice != none
  chat::tool_call_format format = chat::tool_call_format::hermes;
  std::vector<std::string> tool_names;
};

// One choice's output after the filters: deltas while streaming, the rest at finish().
struct OutputDelta {
  std::string reasoning;
  std::string content;
  std::vector<chat::tool_call> calls;  // only from finish()
};

// Not thread-safe: one per choice, strand-confined.
class ChoiceOutput {
 public:
  explicit ChoiceOutput(const OutputRules& rules);
  OutputDelta push(const std::string& text);
  OutputDelta finish();

 private:
  std::optional<chat::reasoning_stream> reasoning_;
  std::optional<chat::tool_call_stream> tools_;
};

// Output rules for a rendered chat prompt. A constrained request (a response grammar, or
// tool_choice required / named) never starts inside a think block.
OutputRules output_rules(const std::string& template_source, const std::string& prompt, const ChatRequest& chat,
                         chat::tool_call_format format);

}  // namespace plexus::server
