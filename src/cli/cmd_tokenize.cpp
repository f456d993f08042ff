// plexus tokenize MODEL TEXT|-: token ids (and pieces) of a text; works on vocab-only GGUF files.
#include <iostream>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "cli/cli_util.h"
#include "cli/commands.h"
#include "gguf/gguf_file.h"
#include "tokenizer/tokenizer.h"

namespace plexus::cli {
namespace {

struct TokenizeArgs {
  std::string model;
  std::string text;
  bool add_special = false;
  bool parse_special = false;
  bool json = false;
};

int run(const TokenizeArgs& args) {
  auto file = gguf::GgufFile::open(args.model);
  if (!file.ok()) return fail(file.status());
  auto tok = tokenizer::Tokenizer::from_gguf(**file);
  if (!tok.ok()) return fail(tok.status());
  const std::string text = text_or_stdin(args.text);
  const std::vector<int32_t> ids = (*tok)->encode(text, args.add_special, args.parse_special);
  if (args.json) {
    nlohmann::json pieces = nlohmann::json::array();
    for (int32_t id : ids) pieces.push_back(valid_utf8((*tok)->token_to_piece(id, true)));
    nlohmann::json out{{"ids", ids}, {"pieces", pieces}};
    std::cout << out.dump() << std::endl;
  } else {
    for (size_t i = 0; i < ids.size(); ++i) std::cout << (i ? " " : "") << ids[i];
    std::cout << std::endl;
  }
  return 0;
}

}  // namespace

void add_tokenize_command(CLI::App& app) {
  auto args = std::make_shared<TokenizeArgs>();
  CLI::App* cmd = app.add_subcommand("tokenize", "Print the token ids of a text");
  cmd->add_option("model", args->model, "GGUF model or vocab-only file")->required();
  cmd->add_option("text", args->text, "Text to tokenize ('-' reads stdin)")->required();
  cmd->add_flag("--add-special", args->add_special, "Add BOS/EOS as the vocabulary says");
  cmd->add_flag("--parse-special", args->parse_special, "Turn special-token text (e.g. <|eot_id|>) into its token");
  cmd->add_flag("--json", args->json, "Print {\"ids\": [...], \"pieces\": [...]}");
  cmd->callback([args] { exit_code() = run(*args); });
}

}  // namespace plexus::cli
