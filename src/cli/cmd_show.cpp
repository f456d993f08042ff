// plexus show MODEL: what a GGUF file holds (architecture, size, types, context, template).
#include <iostream>
#include <map>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "cli/cli_util.h"
#include "cli/commands.h"
#include "core/sha256.h"
#include "gguf/gguf_file.h"

namespace plexus::cli {
namespace {

struct ShowArgs {
  std::string model;
  bool sha256 = false;
  bool json = false;
  bool template_only = false;
};

std::string human_count(uint64_t n) {
  char buf[32];
  if (n >= 1000000000ull) std::snprintf(buf, sizeof buf, "%.2fB", static_cast<double>(n) / 1e9);
  else if (n >= 1000000ull) std::snprintf(buf, sizeof buf, "%.2fM", static_cast<double>(n) / 1e6);
  else if (n >= 1000ull) std::snprintf(buf, sizeof buf, "%.2fK", static_cast<double>(n) / 1e3);
  else std::snprintf(buf, sizeof buf, "%llu", static_cast<unsigned long long>(n));
  return buf;
}

int run(const ShowArgs& args) {
  auto opened = gguf::GgufFile::open(args.model);
  if (!opened.ok()) return fail(opened.status());
  const gguf::GgufFile& f = **opened;
  const std::string arch = f.get_string("general.architecture").ok() ? std::string(*f.get_string("general.architecture")) : "";
  const std::string name = f.get_string("general.name").ok() ? std::string(*f.get_string("general.name")) : "";
  const std::string chat_template =
      f.get_string("tokenizer.chat_template").ok() ? std::string(*f.get_string("tokenizer.chat_template")) : "";
  if (args.template_only) {
    std::cout << chat_template;
    return 0;
  }
  int64_t ctx = -1;
  if (!arch.empty()) {
    if (auto v = f.get_int(arch + ".context_length"); v.ok()) ctx = *v;
  }
  uint64_t params = 0;
  std::map<std::string, int> types;
  for (const auto& t : f.tensors()) {
    params += t.n_elements;
    ++types[tensor_type_name(t.type)];
  }
  std::string digest;
  if (args.sha256) {
    auto d = sha256_file_hex(args.model);
    if (!d.ok()) return fail(d.status());
    digest = *d;
  }
  const std::string tok_model =
      f.get_string("tokenizer.ggml.model").ok() ? std::string(*f.get_string("tokenizer.ggml.model")) : "";
  int64_t n_vocab = 0;
  if (auto tokens = f.get_array("tokenizer.ggml.tokens", gguf::value_type::string); tokens.ok()) {
    n_vocab = static_cast<int64_t>((*tokens)->size());
  }

  if (args.json) {
    nlohmann::json j;
    j["path"] = args.model;
    j["architecture"] = arch;
    j["name"] = valid_utf8(name);
    j["gguf_version"] = f.version();
    j["file_size"] = f.file_size();
    j["parameters"] = params;
    j["tensor_count"] = f.tensors().size();
    j["tensor_types"] = types;
    j["context_length"] = ctx;
    j["tokenizer"] = tok_model;
    j["vocab_size"] = n_vocab;
    j["chat_template"] = valid_utf8(chat_template);
    if (args.sha256) j["sha256"] = digest;
    std::cout << j.dump(2) << std::endl;
    return 0;
  }
  std::cout << "path:           " << args.model << "\n"
            << "architecture:   " << (arch.empty() ? "(none)" : arch) << "\n"
            << "name:           " << valid_utf8(name) << "\n"
            << "gguf version:   " << f.version() << "\n"
            << "file size:      " << f.file_size() << " bytes\n"
            << "parameters:     " << human_count(params) << " (" << params << ")\n"
            << "tensors:        " << f.tensors().size() << "\n"
            << "tensor types:  ";
  for (const auto& [type, count] : types) std::cout << " " << type << " x" << count;
  std::cout << "\n"
            << "context length: " << (ctx >= 0 ? std::to_string(ctx) : "(unknown)") << "\n"
            << "tokenizer:      " << (tok_model.empty() ? "(none)" : tok_model) << ", " << n_vocab << " tokens\n"
            << "chat template:  " << (chat_template.empty() ? "(none)" : std::to_string(chat_template.size()) + " bytes (plexus show --template)") << "\n";
  if (args.sha256) std::cout << "sha256:         " << digest << "\n";
  return 0;
}

}  // namespace

void add_show_command(CLI::App& app) {
  auto args = std::make_shared<ShowArgs>();
  CLI::App* cmd = app.add_subcommand("show", "Describe a GGUF model file");
  cmd->add_option("model", args->model, "GGUF file")->required();
  cmd->add_flag("--sha256", args->sha256, "Also compute the file's sha256");
  cmd->add_flag("--json", args->json, "Print JSON");
  cmd->add_flag("--template", args->template_only, "Print only the chat template");
  cmd->callback([args] { exit_code() = run(*args); });
}

}  // namespace plexus::cli
