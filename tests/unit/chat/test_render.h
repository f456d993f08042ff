// Shared helpers for the chat-template unit tests.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "chat/chat_template.h"

namespace plexus::chat::testing {

// Renders `source` with `context_json` (a JSON object text, "" = {}), strftime_now fixed to
// 2024-07-26. Returns the output, "RAISED: <msg>" for raise_exception, or
// "ERROR(<code>): <msg>" for any other failure.
inline std::string render(const std::string& source, const std::string& context_json = "",
                          const render_options* options = nullptr) {
  Result<chat_template> t = chat_template::parse(source);
  if (!t.ok()) return "ERROR(" + std::string(error_code_name(t.status().code())) + "): " + t.status().message();
  render_options opt;
  if (options != nullptr) opt = *options;
  if (!opt.now) opt.now = template_time{2024, 7, 26, 0, 0, 0};
  const nlohmann::ordered_json ctx =
      context_json.empty() ? nlohmann::ordered_json::object() : nlohmann::ordered_json::parse(context_json);
  Result<std::string> out = t->render(ctx, opt);
  if (out.ok()) return *out;
  if (is_template_exception(out.status())) return "RAISED: " + out.status().message();
  return "ERROR(" + std::string(error_code_name(out.status().code())) + "): " + out.status().message();
}

inline bool is_error(const std::string& rendered) { return rendered.rfind("ERROR(", 0) == 0; }

}  // namespace plexus::chat::testing
