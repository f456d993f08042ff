// libFuzzer target for chat templates (Jinja): any text either fails to parse with a status or
// parses and renders a two-turn conversation to text or a status, within the render limits
// (libFuzzer's timeout catches a limit that does not hold).
#include <cstdint>
#include <string_view>

#include <nlohmann/json.hpp>

#include "chat/chat_template.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace plexus::chat;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto tmpl = chat_template::parse(text);
  if (!tmpl.ok()) return 0;
  chat_inputs inputs;
  inputs.messages = nlohmann::ordered_json::array(
      {{{"role", "system"}, {"content", "Be brief."}}, {{"role", "user"}, {"content", "Hi \xc3\xa9"}}, {{"role", "assistant"}, {"content", "Hello."}}});
  inputs.bos_token = "<s>";
  inputs.eos_token = "</s>";
  render_options options;
  options.now = template_time{2024, 7, 26};
  options.limits.max_output_bytes = 1u << 20;
  options.limits.max_value_bytes = 1u << 20;
  options.limits.max_work_bytes = 16u << 20;
  options.limits.max_loop_iterations = 100000;
  (void)tmpl->render(make_context(inputs), options);
  return 0;
}
