#include "server/route_util.h"

#include <chrono>
#include <ctime>
#include <random>

namespace plexus::server {

std::string dump_json(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string dump_json(const nlohmann::ordered_json& j) {
  return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

void send_json(ResponseChannel& channel, const nlohmann::json& body, int status) {
  HttpResponse r;
  r.status = status;
  r.body = dump_json(body);
  channel.send(std::move(r));
}

void send_error(ResponseChannel& channel, const ApiError& error, api_flavor flavor) {
  channel.send(error_response(error, flavor));
}

void with_model(const ServerContext& ctx, const std::shared_ptr<ResponseChannel>& channel, const std::string& name,
                std::optional<double> keep_alive, api_flavor flavor,
                std::function<void(std::shared_ptr<ModelLease>)> fn) {
  auto id = ctx.models->resolve(name);
  if (!id) {
    send_error(*channel, model_not_found(name.empty() ? "(default)" : name), flavor);
    return;
  }
  const auto t0 = std::chrono::steady_clock::now();
  ctx.models->acquire(*id, keep_alive, [channel, fn = std::move(fn), flavor, id = *id,
                                        t0](Result<std::shared_ptr<ModelLease>> r) {
    channel->post([channel, fn, flavor, id, t0, r = std::move(r)] {
      if (r.ok()) {
        r.value()->set_waited_seconds(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
        fn(r.value());
        return;
      }
      const Status& st = r.status();
      switch (st.code()) {
        case error_code::not_found:
          send_error(*channel, model_not_found(id), flavor);
          break;
        case error_code::resource_exhausted:
        case error_code::cancelled:
          send_error(*channel, unavailable(st.message(), 2), flavor);
          break;
        default:
          send_error(*channel, internal("cannot load the model: " + st.message()), flavor);
          break;
      }
    });
  });
}

std::optional<ApiError> make_generate_options(const ServerContext& ctx, const GenerationSpec& gen,
                                              const ModelLease& lease, int64_t prompt_tokens,
                                              runtime::GenerateOptions& out) {
  int64_t limit = lease.engine().n_ctx();
  std::string limit_name = "the context length";
  if (gen.num_ctx && *gen.num_ctx < limit) {
    limit = *gen.num_ctx;
    limit_name = "options.num_ctx";
  }
  if (prompt_tokens >= limit) {
    return bad_field(gen.num_ctx ? "options.num_ctx" : "messages",
                     "the prompt has " + std::to_string(prompt_tokens) + " tokens, which leaves no room in " +
                         limit_name + " (" + std::to_string(limit) + " tokens)");
  }
  const int64_t remaining = limit - prompt_tokens;
  if (gen.max_tokens && *gen.max_tokens > remaining) {
    return bad_field("max_tokens", "'max_tokens' is " + std::to_string(*gen.max_tokens) + " but the prompt has " +
                                       std::to_string(prompt_tokens) + " tokens and " + limit_name + " is " +
                                       std::to_string(limit) + ", leaving " + std::to_string(remaining));
  }
  out = runtime::GenerateOptions{};
  out.max_tokens = gen.max_tokens.value_or(remaining);
  out.sampling = ctx.sampling_defaults;
  if (gen.temperature) out.sampling.temperature = static_cast<float>(*gen.temperature);
  if (gen.top_p) out.sampling.top_p = static_cast<float>(*gen.top_p);
  if (gen.top_k) out.sampling.top_k = static_cast<int32_t>(*gen.top_k);
  if (gen.min_p) out.sampling.min_p = static_cast<float>(*gen.min_p);
  if (gen.repeat_penalty) out.sampling.repeat_penalty = static_cast<float>(*gen.repeat_penalty);
  if (gen.repeat_last_n) out.sampling.repeat_last_n = static_cast<int32_t>(*gen.repeat_last_n);
  if (gen.typical_p) out.sampling.typical_p = static_cast<float>(*gen.typical_p);
  if (gen.presence_penalty) out.sampling.presence_penalty = static_cast<float>(*gen.presence_penalty);
  if (gen.frequency_penalty) out.sampling.frequency_penalty = static_cast<float>(*gen.frequency_penalty);
  const int32_t n_vocab = lease.tokenizer().n_vocab();
  for (const auto& [id, bias] : gen.logit_bias) {
    if (id < 0 || id >= n_vocab) {
      return bad_field("logit_bias", "'logit_bias' names token " + std::to_string(id) + " but the vocabulary has " +
                                         std::to_string(n_vocab) + " tokens");
    }
  }
  out.sampling.logit_bias = gen.logit_bias;
  out.grammar = gen.grammar;
  if (gen.seed) {
    out.sampling.seed = *gen.seed;
  } else {
    thread_local std::mt19937_64 rng{std::random_device{}()};
    out.sampling.seed = rng();
  }
  out.top_logprobs = gen.logprobs ? gen.top_logprobs : 0;
  out.stop_at_eog = true;
  return std::nullopt;
}

int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string rfc3339(int64_t unix_seconds) {
  const std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string rfc3339_now() {
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  const auto secs = std::chrono::duration_cast<std::chrono::seconds>(now);
  const auto nanos = std::chrono::duration_cast<std::chrono::nanoseconds>(now - secs).count();
  std::string s = rfc3339(secs.count());
  char frac[16];
  std::snprintf(frac, sizeof frac, ".%09lldZ", static_cast<long long>(nanos));
  s.pop_back();  // 'Z'
  return s + frac;
}

std::string random_id(const std::string& prefix) {
  static constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  thread_local std::mt19937_64 rng{std::random_device{}()};
  std::string id = prefix;
  for (int i = 0; i < 24; ++i) id += kAlphabet[rng() % (sizeof kAlphabet - 1)];
  return id;
}

}  // namespace plexus::server
