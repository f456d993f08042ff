// Renders every case of ../shared/golden/templates/cases.jsonl (expected outputs produced by
// Python jinja2 3.1.2 the way transformers renders chat templates) and requires byte-exact
// output, or for error cases the exact raise_exception message. One test per template file;
// a failure names the case and shows where the output first differs.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "chat/chat_template.h"
#include "test_paths.h"

namespace plexus::chat {
namespace {

using ojson = nlohmann::ordered_json;

// The templates the golden set covers (README: 22 templates, 261 cases).
const char* const kTemplates[] = {
    "CohereForAI-c4ai-command-r-plus-tool_use.jinja",
    "GLM-4.6.jinja",
    "HuggingFaceTB-SmolLM3-3B.jinja",
    "Mistral-Small-3.2-24B-Instruct-2506.jinja",
    "NousResearch-Hermes-3-Llama-3.1-8B-tool_use.jinja",
    "Qwen-Qwen2.5-7B-Instruct.jinja",
    "Qwen-Qwen3-0.6B.jinja",
    "bofenghuang-vigogne-2-70b-chat.jinja",
    "deepseek-ai-DeepSeek-R1-Distill-Qwen-32B.jinja",
    "deepseek-ai-DeepSeek-V3.1.jinja",
    "fireworks-ai-llama-3-firefunction-v2.jinja",
    "google-gemma-2-2b-it.jinja",
    "google-gemma-4-31B-it.jinja",
    "ibm-granite-granite-3.3-2B-Instruct.jinja",
    "meta-llama-Llama-3.1-8B-Instruct.jinja",
    "meta-llama-Llama-3.2-3B-Instruct.jinja",
    "microsoft-Phi-3.5-mini-instruct.jinja",
    "microsoft-phi-4.jinja",
    "mistralai-Mistral-7B-Instruct-v0.2.jinja",
    "mistralai-Mistral-Nemo-Instruct-2407.jinja",
    "openai-gpt-oss-120b.jinja",
    "teknium-OpenHermes-2.5-Mistral-7B.jinja",
};

std::filesystem::path golden_dir() { return plexus::testing::shared_dir() / "golden" / "templates"; }

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

const std::vector<ojson>& all_cases() {
  static const std::vector<ojson> cases = [] {
    std::vector<ojson> out;
    std::ifstream in(golden_dir() / "cases.jsonl");
    std::string line;
    while (std::getline(in, line)) {
      if (!line.empty()) out.push_back(ojson::parse(line));
    }
    return out;
  }();
  return cases;
}

// Printable form of a snippet: escapes control characters, keeps UTF-8.
std::string escaped(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default: out.push_back(c);
    }
  }
  return out;
}

std::string first_difference(const std::string& expected, const std::string& got) {
  size_t pos = 0;
  while (pos < expected.size() && pos < got.size() && expected[pos] == got[pos]) ++pos;
  const size_t from = pos > 60 ? pos - 60 : 0;
  std::ostringstream ss;
  ss << "first difference at byte " << pos << " (expected " << expected.size() << " bytes, got " << got.size()
     << ")\n  expected: ..." << escaped(std::string_view(expected).substr(from, pos - from)) << "[[" << escaped(std::string_view(expected).substr(pos, 60))
     << "]]\n  got:      ..." << escaped(std::string_view(got).substr(from, pos - from)) << "[[" << escaped(std::string_view(got).substr(pos, 60)) << "]]";
  return ss.str();
}

chat_inputs inputs_of(const ojson& c) {
  chat_inputs in;
  in.messages = c.at("messages");
  in.tools = c.contains("tools") ? c.at("tools") : ojson(nullptr);
  in.add_generation_prompt = c.value("add_generation_prompt", true);
  in.bos_token = c.value("bos_token", "");
  in.eos_token = c.value("eos_token", "");
  if (c.contains("extra") && c.at("extra").is_object()) in.extra = c.at("extra");
  return in;
}

class golden_template : public ::testing::TestWithParam<const char*> {};

TEST_P(golden_template, renders_every_case_byte_exact) {
  const std::string name = GetParam();
  const std::string source = read_file(golden_dir() / name);
  ASSERT_FALSE(source.empty()) << "missing template " << (golden_dir() / name);
  Result<chat_template> tmpl = chat_template::parse(source);
  ASSERT_TRUE(tmpl.ok()) << tmpl.status().to_string();
  render_options opt;
  opt.now = template_time{2024, 7, 26, 0, 0, 0};
  int checked = 0;
  for (const ojson& c : all_cases()) {
    if (c.at("template") != name) continue;
    ++checked;
    const std::string id = c.at("id");
    Result<std::string> out = tmpl->render(make_context(inputs_of(c)), opt);
    if (c.value("error", false)) {
      ASSERT_FALSE(out.ok()) << id << ": expected raise_exception, got output:\n" << escaped(*out);
      EXPECT_TRUE(is_template_exception(out.status())) << id << ": " << out.status().to_string();
      EXPECT_EQ(out.status().message(), c.at("error_message").get<std::string>()) << id;
      continue;
    }
    ASSERT_TRUE(out.ok()) << id << ": " << out.status().to_string();
    const std::string expected = c.at("expected");
    ASSERT_TRUE(*out == expected) << id << ": " << first_difference(expected, *out);
  }
  EXPECT_GT(checked, 0) << "no cases for " << name;
}

std::string param_name(const ::testing::TestParamInfo<const char*>& info) {
  std::string n = info.param;
  n = n.substr(0, n.rfind(".jinja"));
  for (char& ch : n) {
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  }
  return n;
}

INSTANTIATE_TEST_SUITE_P(chat_templates, golden_template, ::testing::ValuesIn(kTemplates), param_name);

TEST(golden_templates, case_file_covers_exactly_the_listed_templates) {
  std::map<std::string, int> per_template;
  for (const ojson& c : all_cases()) ++per_template[c.at("template").get<std::string>()];
  EXPECT_EQ(all_cases().size(), 261u);
  EXPECT_EQ(per_template.size(), std::size(kTemplates));
  for (const char* name : kTemplates) EXPECT_GT(per_template[name], 0) << name;
}

}  // namespace
}  // namespace plexus::chat
