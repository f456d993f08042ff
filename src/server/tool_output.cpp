#include "server/tool_output.h"

#include "chat/reasoning.h"
#include "sampling/grammar/json_schema.h"

namespace plexus::server {

namespace grammar = sampling::grammar;

Result<std::shared_ptr<const grammar::Grammar>> tool_call_grammar(chat::tool_call_format format,
                                                                  const nlohmann::ordered_json& tools,
                                                                  const std::string& only_name) {
  // One schema for the call object: anyOf over the allowed tools, each {"name": const, args}.
  const char* args_key = format == chat::tool_call_format::llama3 ? "parameters" : "arguments";
  nlohmann::ordered_json variants = nlohmann::ordered_json::array();
  if (tools.is_array()) {
    for (const auto& tool : tools) {
      const auto& fn = tool["function"];
      const std::string name = fn["name"].get<std::string>();
      if (!only_name.empty() && name != only_name) continue;
      nlohmann::ordered_json properties = nlohmann::ordered_json::object();
      properties["name"] = {{"const", name}};
      properties[args_key] = fn.contains("parameters") ? fn["parameters"] : nlohmann::ordered_json::object();
      variants.push_back({{"type", "object"},
                          {"properties", std::move(properties)},
                          {"required", {"name", args_key}},
                          {"additionalProperties", false}});
    }
  }
  if (variants.empty()) return invalid_argument("no tool matches the tool_choice");
  const nlohmann::ordered_json schema =
      variants.size() == 1 ? variants[0] : nlohmann::ordered_json{{"anyOf", std::move(variants)}};
  PLEXUS_ASSIGN_OR_RETURN(grammar::SchemaGrammar compiled, grammar::json_schema_to_gbnf(schema.dump()));
  std::string gbnf = std::move(compiled.gbnf);
  switch (format) {
    case chat::tool_call_format::hermes:
      gbnf += "\nplexus-tool-call ::= \"<tool_call>\\n\" root \"\\n</tool_call>\"\n";
      break;
    case chat::tool_call_format::llama3:
    case chat::tool_call_format::pythonic:  // forced calls take the JSON form, which its parser reads too
      gbnf += "\nplexus-tool-call ::= root\n";
      break;
    case chat::tool_call_format::mistral:
    case chat::tool_call_format::mistral_args:
      // The array form; the parser reads it for both Mistral formats.
      gbnf += "\nplexus-tool-call ::= \"[TOOL_CALLS][\" root \"]\"\n";
      break;
  }
  grammar::GrammarLimits limits;
  limits.max_text_bytes = gbnf.size() + 1;
  return grammar::Grammar::parse(gbnf, limits, "plexus-tool-call");
}

OutputRules output_rules(const std::string& template_source, const std::string& prompt, const ChatRequest& chat,
                         chat::tool_call_format format) {
  OutputRules rules;
  const bool constrained = chat.gen.grammar != nullptr || chat.tool_choice == ToolChoice::required ||
                           chat.tool_choice == ToolChoice::named;
  rules.split_reasoning = chat::prompt_opens_think(prompt) || chat::template_uses_think(template_source);
  // A grammar makes the output start with the constrained text, never with reasoning, even when
  // the prompt left a <think> open; it cannot produce "</think>", so all of it is content.
  rules.starts_in_think = chat::prompt_opens_think(prompt) && !constrained;
  rules.parse_tools = !chat.tool_names.empty() && chat.tool_choice != ToolChoice::none;
  rules.format = format;
  if (chat.tool_choice == ToolChoice::named) {
    rules.tool_names = {chat.tool_choice_name};
  } else {
    rules.tool_names = chat.tool_names;
  }
  return rules;
}

ChoiceOutput::ChoiceOutput(const OutputRules& rules) {
  if (rules.split_reasoning) reasoning_.emplace(rules.starts_in_think);
  if (rules.parse_tools) tools_.emplace(rules.format, rules.tool_names);
}

OutputDelta ChoiceOutput::push(const std::string& text) {
  OutputDelta out;
  std::string content = text;
  if (reasoning_) {
    chat::reasoning_result r = reasoning_->push(text);
    out.reasoning = std::move(r.reasoning);
    content = std::move(r.content);
  }
  out.content = tools_ ? tools_->push(content) : std::move(content);
  return out;
}

OutputDelta ChoiceOutput::finish() {
  OutputDelta out;
  std::string content;
  if (reasoning_) {
    chat::reasoning_result r = reasoning_->finish();
    out.reasoning = std::move(r.reasoning);
    content = std::move(r.content);
  }
  if (tools_) {
    out.content = tools_->push(content);
    chat::tool_call_result end = tools_->finish();
    out.content += end.content;
    out.calls = std::move(end.calls);
  } else {
    out.content = std::move(content);
  }
  return out;
}

}  // namespace plexus::server
