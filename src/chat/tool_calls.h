// Tool calls in a model's output: which format a chat template's model writes them in, and the
// parsing of completed (or streamed) output into OpenAI-shaped calls. Parsing never fails: output
// that does not hold well-formed calls is returned as plain content.
//
// Formats (the markers are looked for in the chat template's source, in this order):
//   hermes        <tool_call>\n{"name": "f", "arguments": {...}}\n</tool_call>  (one or several;
//                 Hermes, Qwen 2.5/3, GLM, SmolLM). Template mentions "<tool_call>".
//   mistral_args  [TOOL_CALLS]f[ARGS]{...}  (Mistral Small 3.2 and later). Mentions "[ARGS]".
//   mistral       [TOOL_CALLS] [{"name": "f", "arguments": {...}}, ...]  (Mistral Nemo, v3
//                 tokenizers). Mentions "[TOOL_CALLS]".
//   pythonic      [f(a=1, b='x'), g()]: Python call syntax, values Python literals, optionally
//                 between <|python_start|> and <|python_end|> (Llama 3.2 1B/3B, Llama 4, Gemma
//                 tool templates). Template mentions "[func_name1(" (their instruction's example).
//                 Output that opens JSON instead is read as llama3's.
//   llama3        {"name": "f", "parameters": {...}} optionally after <|python_tag|>, several
//                 separated by ';' or newlines (Llama 3.1/3.2/3.3). Mentions "<|python_tag|>"
//                 or "<|start_header_id|>".
// Fallback (a template with none of these, or no template): hermes, the format the server's
// built-in ChatML template renders tools in.
//
// Every format's parser also accepts the other key spelling ("arguments" / "parameters") and
// arguments given as a JSON string holding an object. Control-token markers (<|python_tag|>,
// [TOOL_CALLS]) may be missing from the text when the detokenizer drops control tokens, so the
// llama3 and mistral parsers also accept output that starts with the bare JSON.
// Thread-safe: free functions are pure; tool_call_stream is not thread-safe (one per choice).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace plexus::chat {

enum class tool_call_format : uint8_t { hermes, llama3, mistral, mistral_args, pythonic };

// "hermes", "llama3", "mistral", "mistral_args", "pythonic".
const char* tool_call_format_name(tool_call_format format);

// The format from the template's text (see above); hermes when no marker is found.
tool_call_format detect_tool_call_format(std::string_view template_source);

struct tool_call {
  std::string id;         // "call_" + 24 random alphanumerics
  std::string name;
  std::string arguments;  // a JSON object, serialized compactly
};

struct tool_call_result {
  std::string content;           // text outside the calls (whitespace-trimmed when calls were found)
  std::vector<tool_call> calls;  // empty: no calls, `content` is the output unchanged
};

// Caps on what one output may hold; beyond them the output is plain content.
struct tool_call_limits {
  size_t max_calls = 64;
  size_t max_name_bytes = 256;
  uint32_t max_json_depth = 128;
};

// Parses a complete output. `known_names`: when not empty, a call to any other name makes the
// whole output plain content (a model inventing a tool is not a call the client can run).
tool_call_result parse_tool_calls(std::string_view output, tool_call_format format,
                                  std::span<const std::string> known_names = {}, const tool_call_limits& limits = {});

// "call_" + 24 random alphanumerics.
std::string make_tool_call_id();

// Streaming: text is pushed as it is generated; push() returns the part that is certainly
// content. Text that may start a tool call (a marker or a prefix of one; also output whose first
// non-space character opens a call: '{' or '[' for llama3 and pythonic, '[' for mistral and
// mistral_args) is held back until finish(), which parses it and returns the rest of the content
// and the calls.
// push(all) + finish() gives the same calls and content as parse_tool_calls(all), content split
// across the two results.
// Not thread-safe: one per choice.
class tool_call_stream {
 public:
  tool_call_stream(tool_call_format format, std::vector<std::string> known_names = {},
                   const tool_call_limits& limits = {});

  std::string push(std::string_view text);
  tool_call_result finish();
  // Text may be a call in progress (it is being held back).
  bool capturing() const { return capturing_; }

 private:
  tool_call_format format_;
  std::vector<std::string> known_names_;
  tool_call_limits limits_;
  std::string held_;        // not yet released
  bool released_any_ = false;  // non-whitespace content has been released
  bool capturing_ = false;
};

// Length of the longest suffix of `text` that is a proper prefix of `marker` (a marker that may
// be completed by the next push).
size_t partial_marker_suffix(std::string_view text, std::string_view marker);

}  // namespace plexus::chat
