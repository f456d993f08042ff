// plexus render-template --template FILE.jinja|MODEL.gguf: renders a chat template with a JSON
// object read from stdin ({"messages", "tools", "add_generation_prompt", "bos_token",
// "eos_token", any other variables}) and prints the result.
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "chat/chat_template.h"
#include "cli/cli_util.h"
#include "cli/commands.h"
#include "gguf/gguf_file.h"

namespace plexus::cli {
namespace {

struct RenderArgs {
  std::string source;
  std::string variant;
  std::string now;
};

bool is_gguf(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char magic[4] = {};
  in.read(magic, 4);
  return in.gcount() == 4 && std::string(magic, 4) == "GGUF";
}

// The template text, and the BOS/EOS token texts when the source is a model.
Status load_template(const RenderArgs& args, std::string& text, std::string& bos, std::string& eos) {
  if (!is_gguf(args.source)) {
    std::ifstream in(args.source, std::ios::binary);
    if (!in) return io_error("cannot read template file '" + args.source + "'");
    text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    return {};
  }
  PLEXUS_ASSIGN_OR_RETURN(auto file, gguf::GgufFile::open(args.source));
  const std::string key = args.variant.empty() ? "tokenizer.chat_template" : "tokenizer.chat_template." + args.variant;
  auto tmpl = file->get_string(key);
  if (!tmpl.ok()) return not_found("model has no '" + key + "'");
  text = std::string(*tmpl);
  if (auto tokens = file->get_array("tokenizer.ggml.tokens", gguf::value_type::string); tokens.ok()) {
    auto token_text = [&](const char* id_key) -> std::string {
      auto id = file->get_uint(id_key);
      if (!id.ok() || *id >= (*tokens)->size()) return "";
      return std::string((**tokens)[*id].str);
    };
    bos = token_text("tokenizer.ggml.bos_token_id");
    eos = token_text("tokenizer.ggml.eos_token_id");
  }
  return {};
}

Result<chat::template_time> parse_date(const std::string& s) {
  chat::template_time t;
  char tail = 0;
  if (std::sscanf(s.c_str(), "%d-%d-%d%c", &t.year, &t.month, &t.day, &tail) != 3 || t.month < 1 || t.month > 12 ||
      t.day < 1 || t.day > 31) {
    return invalid_argument("--now must be a date like 2024-07-26");
  }
  return t;
}

int run(const RenderArgs& args) {
  std::string text, bos, eos;
  if (Status st = load_template(args, text, bos, eos); !st.ok()) return fail(st);
  auto tmpl = chat::chat_template::parse(text);
  if (!tmpl.ok()) return fail(tmpl.status());

  const std::string input(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>{});
  nlohmann::ordered_json j = nlohmann::ordered_json::parse(input, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return fail("stdin must hold a JSON object");
  chat::chat_inputs in;
  in.bos_token = bos;
  in.eos_token = eos;
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& k = it.key();
    if (k == "messages") in.messages = it.value();
    else if (k == "tools") in.tools = it.value();
    else if (k == "add_generation_prompt" && it.value().is_boolean()) in.add_generation_prompt = it.value().get<bool>();
    else if (k == "bos_token" && it.value().is_string()) in.bos_token = it.value().get<std::string>();
    else if (k == "eos_token" && it.value().is_string()) in.eos_token = it.value().get<std::string>();
    else in.extra[k] = it.value();
  }
  chat::render_options opts;
  if (!args.now.empty()) {
    auto date = parse_date(args.now);
    if (!date.ok()) return fail(date.status());
    opts.now = *date;
  }
  auto out = tmpl->render(chat::make_context(in), opts);
  if (!out.ok()) return fail(out.status());
  std::cout << *out;
  return 0;
}

}  // namespace

void add_render_template_command(CLI::App& app) {
  auto args = std::make_shared<RenderArgs>();
  CLI::App* cmd = app.add_subcommand("render-template", "Render a chat template with a JSON context read from stdin");
  cmd->add_option("--template", args->source, "A .jinja file or a GGUF model (its tokenizer.chat_template)")->required();
  cmd->add_option("--variant", args->variant, "Named template of a model (tokenizer.chat_template.NAME)");
  cmd->add_option("--now", args->now, "The date strftime_now() sees, e.g. 2024-07-26 (default: today)");
  cmd->callback([args] { exit_code() = run(*args); });
}

}  // namespace plexus::cli
