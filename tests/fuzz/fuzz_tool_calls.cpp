// libFuzzer target for tool-call parsing: any model output, in every format, either comes back
// unchanged as content with no calls, or gives calls whose arguments are JSON objects; streaming it
// in two pieces gives the same calls and, with what was released, the same content.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "chat/tool_calls.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace plexus::chat;
  const std::string_view output(reinterpret_cast<const char*>(data), size);
  for (auto format : {tool_call_format::hermes, tool_call_format::llama3, tool_call_format::mistral,
                      tool_call_format::mistral_args, tool_call_format::pythonic}) {
    const tool_call_result whole = parse_tool_calls(output, format);
    if (whole.calls.empty() && whole.content != output) std::abort();
    for (const auto& call : whole.calls) {
      const auto args = nlohmann::json::parse(call.arguments, nullptr, false);
      if (call.name.empty() || !args.is_object()) std::abort();
    }
    tool_call_stream stream(format);
    const size_t cut = size / 2;
    std::string released = stream.push(output.substr(0, cut));
    released += stream.push(output.substr(cut));
    const tool_call_result end = stream.finish();
    if (end.calls.size() != whole.calls.size()) std::abort();
    for (size_t i = 0; i < end.calls.size(); ++i) {
      if (end.calls[i].name != whole.calls[i].name || end.calls[i].arguments != whole.calls[i].arguments) std::abort();
    }
    if (end.calls.empty() && released + end.content != output) std::abort();
  }
  return 0;
}
