// The public chat_template API: status codes, raise_exception reporting, render options,
// the transformers-style context, and concurrent renders of one parsed template.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "chat/chat_template.h"

namespace plexus::chat {
namespace {

using ojson = nlohmann::ordered_json;

const char* const kChatml =
    "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

TEST(chat_template_api, renders_a_transformers_context) {
  Result<chat_template> t = chat_template::parse(kChatml);
  ASSERT_TRUE(t.ok()) << t.status().to_string();
  chat_inputs in;
  in.messages = ojson::parse(R"([{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}])");
  Result<std::string> out = t->render(make_context(in));
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  EXPECT_EQ(*out, "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n");
}

TEST(chat_template_api, make_context_defines_the_standard_variables) {
  chat_inputs in;
  in.bos_token = "<s>";
  in.add_generation_prompt = false;
  in.extra = ojson::parse(R"({"enable_thinking": false, "documents": [{"text": "d"}]})");
  const ojson ctx = make_context(in);
  EXPECT_TRUE(ctx.at("tools").is_null());
  EXPECT_EQ(ctx.at("bos_token"), "<s>");
  EXPECT_EQ(ctx.at("add_generation_prompt"), false);
  EXPECT_EQ(ctx.at("enable_thinking"), false);
  EXPECT_EQ(ctx.at("documents").size(), 1u);
  Result<chat_template> t =
      chat_template::parse("{{ tools is defined }} {{ tools is none }} {{ documents[0].text }} {{ missing is defined }}");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(*t->render(ctx), "True True d False");
}

TEST(chat_template_api, raise_exception_is_invalid_argument_with_the_exact_message) {
  Result<chat_template> t = chat_template::parse("partial {{ raise_exception('Roles must alternate: ' ~ n) }} output");
  ASSERT_TRUE(t.ok());
  Result<std::string> out = t->render(ojson{{"n", 3}});
  ASSERT_FALSE(out.ok());
  EXPECT_TRUE(is_template_exception(out.status()));
  EXPECT_EQ(out.status().code(), error_code::invalid_argument);
  EXPECT_EQ(out.status().message(), "Roles must alternate: 3");
}

TEST(chat_template_api, other_failures_use_other_codes) {
  EXPECT_EQ(chat_template::parse("{% if %}").status().code(), error_code::invalid_file);
  EXPECT_EQ(chat_template::parse("{{ " + std::string(1000, '(') + "1" + std::string(1000, ')') + " }}").status().code(),
            error_code::out_of_range);
  Result<chat_template> t = chat_template::parse("{{ x + 1 }}");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->render(ojson{{"x", "s"}}).status().code(), error_code::invalid_file);
  EXPECT_FALSE(is_template_exception(t->render(ojson{{"x", "s"}}).status()));
  EXPECT_EQ(t->render(ojson::array()).status().code(), error_code::unsupported);
  EXPECT_EQ(t->render(ojson{{"x", "\xff"}}).status().code(), error_code::unsupported);
  EXPECT_EQ(*t->render(ojson{{"x", 1}}), "2");
  EXPECT_EQ(t->render(ojson(nullptr)).status().code(), error_code::invalid_file);  // null = {}: x is undefined
}

TEST(chat_template_api, unordered_json_context_is_accepted) {
  Result<chat_template> t = chat_template::parse("{{ d|tojson }}");
  ASSERT_TRUE(t.ok());
  nlohmann::json ctx;
  ctx["d"]["b"] = 1;
  ctx["d"]["a"] = 2;
  EXPECT_EQ(*t->render(ctx), "{\"a\": 2, \"b\": 1}");
}

TEST(chat_template_api, strftime_now_defaults_to_the_current_date) {
  Result<chat_template> t = chat_template::parse("{{ strftime_now('%Y') }}");
  ASSERT_TRUE(t.ok());
  Result<std::string> out = t->render(ojson::object());
  ASSERT_TRUE(out.ok());
  EXPECT_GE(std::stoi(*out), 2024);
  render_options opt;
  opt.now = template_time{2024, 7, 26};
  EXPECT_EQ(*t->render(ojson::object(), opt), "2024");
}

TEST(chat_template_api, trailing_newline_is_dropped_once) {
  EXPECT_EQ(*chat_template::parse("a\n")->render(ojson::object()), "a");
  EXPECT_EQ(*chat_template::parse("a\n\n")->render(ojson::object()), "a\n");
}

TEST(chat_template_api, one_template_renders_concurrently) {
  Result<chat_template> parsed = chat_template::parse(
      "{% set ns = namespace(n=0) %}{% for m in messages %}{% set ns.n = ns.n + 1 %}{{ m.content|upper }}{% endfor %}"
      "{{ ns.n }}{{ strftime_now('%d') }}");
  ASSERT_TRUE(parsed.ok());
  const chat_template tmpl = *parsed;  // copies share the parsed tree
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        ojson ctx;
        ctx["messages"] = ojson::array({ojson{{"content", "t" + std::to_string(t)}}, ojson{{"content", "x"}}});
        render_options opt;
        opt.now = template_time{2024, 7, 26};
        Result<std::string> out = tmpl.render(ctx, opt);
        if (!out.ok() || *out != "T" + std::to_string(t) + "X226") failures.fetch_add(1);
      }
    });
  }
  for (std::thread& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
}

}  // namespace
}  // namespace plexus::chat
