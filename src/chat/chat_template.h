// Chat-template rendering: a Jinja-subset interpreter that renders Hugging Face chat templates
// byte-for-byte as Python jinja2 3.1.2 does under transformers' apply_chat_template
// (ImmutableSandboxedEnvironment, trim_blocks, lstrip_blocks, loopcontrols, HF's tojson,
// raise_exception, strftime_now). See docs/TEMPLATES.md for the supported language, the
// Python semantics reproduced, and the known differences.
//
// Usage:
//   PLEXUS_ASSIGN_OR_RETURN(auto tmpl, chat::chat_template::parse(source));
//   chat::render_options opt;
//   opt.now = chat::template_time{2024, 7, 26};
//   Result<std::string> text = tmpl.render(chat::make_context(inputs), opt);
//   if (!text.ok() && chat::is_template_exception(text.status())) -> show message verbatim
//
// Thread-safe: a parsed chat_template is immutable; any number of threads may call render()
// on the same object (or copies of it) at once. Each render uses only its own memory.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/status.h"

namespace plexus::chat {

namespace jinja {
struct template_ast;
}

// Limits checked while parsing. Exceeding one fails parse() with error_code::out_of_range.
struct template_limits {
  uint64_t max_template_bytes = 1u << 20;  // source size
  uint32_t max_nesting_depth = 256;        // nested blocks / brackets / operator chains
};

// Limits checked while rendering. Exceeding one fails render() with error_code::out_of_range
// and a message naming the limit. The defaults are far above what real chat templates need
// and stop hostile ones within well under a second.
struct render_limits {
  uint64_t max_output_bytes = 8u << 20;      // the rendered text
  uint64_t max_value_bytes = 8u << 20;       // any one string / list built by the template
  uint64_t max_work_bytes = 512u << 20;      // all strings / lists built during the render
  uint64_t max_loop_iterations = 1'000'000;  // for-loop iterations, all loops together
  uint32_t max_call_depth = 256;             // nested macro calls (recursion)
  uint32_t max_eval_depth = 1000;            // nested statement/expression evaluation
};

// A local date and time for strftime_now().
struct template_time {
  int year = 1970;
  int month = 1;  // 1..12
  int day = 1;    // 1..31
  int hour = 0;
  int minute = 0;
  int second = 0;
};

struct render_options {
  // The instant strftime_now() formats; nullopt = the current local time at render().
  // Golden tests use {2024, 7, 26}.
  std::optional<template_time> now;
  render_limits limits;
};

// The variables transformers passes to a chat template.
struct chat_inputs {
  nlohmann::ordered_json messages = nlohmann::ordered_json::array();
  nlohmann::ordered_json tools = nullptr;  // null: `tools` is defined and none
  bool add_generation_prompt = true;
  std::string bos_token;
  std::string eos_token;
  // Further variables (enable_thinking, documents, reasoning_effort, ...). `documents` is none
  // unless given here.
  nlohmann::ordered_json extra = nlohmann::ordered_json::object();
};

// {messages, tools, documents, add_generation_prompt, bos_token, eos_token, **extra}.
nlohmann::ordered_json make_context(const chat_inputs& inputs);

// A parsed chat template. Thread-safe: immutable; copies share the parsed tree and any number
// of threads may render at once.
class chat_template {
 public:
  // Parses `source` (UTF-8; one trailing newline is dropped as jinja2 does). Errors:
  // invalid_file (syntax error, with line), out_of_range (a template_limits limit).
  static Result<chat_template> parse(std::string_view source, const template_limits& limits = {});

  // Renders with `context` (a JSON object; key order is kept and visible through tojson and
  // items()). Errors:
  //   invalid_argument  only from the template's raise_exception(msg); message() == msg exactly
  //   invalid_file      a runtime template error (TypeError, UndefinedError, ...), with line
  //   out_of_range      a render_limits limit was exceeded
  //   unsupported       the context is not a JSON object or holds invalid UTF-8
  Result<std::string> render(const nlohmann::ordered_json& context, const render_options& options = {}) const;
  // Same, for an unordered nlohmann::json (its object keys iterate sorted).
  Result<std::string> render(const nlohmann::json& context, const render_options& options = {}) const;

 private:
  explicit chat_template(std::shared_ptr<const jinja::template_ast> ast) : ast_(std::move(ast)) {}
  std::shared_ptr<const jinja::template_ast> ast_;
};

// True when a failed render() status is a raise_exception from the template, whose message
// should be shown to the user verbatim.
inline bool is_template_exception(const Status& status) { return status.code() == error_code::invalid_argument; }

}  // namespace plexus::chat
