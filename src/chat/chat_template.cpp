#include "chat/chat_template.h"

#include <ctime>
#include <new>

#include "chat/jinja_evaluator.h"
#include "chat/jinja_parser.h"
#include "chat/jinja_unicode.h"
#include "core/utf8.h"

namespace plexus::chat {

nlohmann::ordered_json make_context(const chat_inputs& inputs) {
  nlohmann::ordered_json ctx = nlohmann::ordered_json::object();
  ctx["messages"] = inputs.messages;
  ctx["tools"] = inputs.tools;
  ctx["documents"] = nullptr;
  ctx["add_generation_prompt"] = inputs.add_generation_prompt;
  ctx["bos_token"] = inputs.bos_token;
  ctx["eos_token"] = inputs.eos_token;
  if (inputs.extra.is_object()) {
    for (const auto& [k, v] : inputs.extra.items()) ctx[k] = v;
  }
  return ctx;
}

Result<chat_template> chat_template::parse(std::string_view source, const template_limits& limits) {
  if (source.size() > limits.max_template_bytes) {
    return out_of_range("template of " + std::to_string(source.size()) + " bytes exceeds the limit of " +
                        std::to_string(limits.max_template_bytes) + " bytes (max_template_bytes)");
  }
  if (!utf8::valid(source)) return invalid_file("template is not valid UTF-8");
  try {
    jinja::parse_options opt;
    opt.max_nesting_depth = limits.max_nesting_depth;
    std::shared_ptr<const jinja::template_ast> ast = jinja::parse_template(source, opt);
    return chat_template(std::move(ast));
  } catch (const jinja::syntax_error& e) {
    const bool limit = e.message().find("(max_nesting_depth)") != std::string::npos;
    std::string message = "template syntax error at line " + std::to_string(e.line()) + ": " + e.message();
    return limit ? out_of_range(std::move(message)) : invalid_file(std::move(message));
  } catch (const std::bad_alloc&) {
    return Status(error_code::resource_exhausted, "out of memory while parsing the template");
  }
}

namespace {

jinja::civil_time current_local_time() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  localtime_r(&now, &tm);
  return {tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec};
}

}  // namespace

Result<std::string> chat_template::render(const nlohmann::ordered_json& context, const render_options& options) const {
  if (!context.is_object() && !context.is_null()) return unsupported("render context must be a JSON object");
  jinja::eval_options opt;
  if (options.now) {
    const template_time& t = *options.now;
    opt.now = {t.year, t.month, t.day, t.hour, t.minute, t.second};
  } else {
    opt.now = current_local_time();
  }
  const render_limits& l = options.limits;
  opt.max_output_bytes = l.max_output_bytes;
  opt.max_value_bytes = l.max_value_bytes;
  opt.max_work_bytes = l.max_work_bytes;
  opt.max_loop_iterations = l.max_loop_iterations;
  opt.max_call_depth = l.max_call_depth;
  opt.max_eval_depth = l.max_eval_depth;
  jinja::evaluator ev(*ast_, opt);
  try {
    return ev.render(context);
  } catch (const jinja::jinja_error& e) {
    if (e.kind() == jinja::error_kind::raised) return invalid_argument(e.message());
    // Line 0: the failure came from converting the context, before any statement ran.
    const std::string where = ev.line() == 0 ? "render context: " : "line " + std::to_string(ev.line()) + ": ";
    if (e.kind() == jinja::error_kind::limit) return out_of_range("template limit at " + where + e.message());
    if (ev.line() == 0) return unsupported(where + e.message());
    return invalid_file("template error at " + where + e.message());
  } catch (const std::bad_alloc&) {
    return Status(error_code::resource_exhausted, "out of memory while rendering the template");
  }
}

Result<std::string> chat_template::render(const nlohmann::json& context, const render_options& options) const {
  return render(nlohmann::ordered_json(context), options);
}

}  // namespace plexus::chat
