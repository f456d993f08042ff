// Template globals: range, namespace, dict, cycler, joiner, raise_exception, strftime_now.
#include "chat/jinja_builtins.h"

namespace plexus::chat::jinja {

namespace {

// jinja2.sandbox.MAX_RANGE: the sandbox refuses longer ranges.
constexpr int64_t max_range = 100000;

value g_range(evaluator& ev, const value&, const call_args& args) {
  if (!args.kw.empty()) type_error("range() takes no keyword arguments");
  if (args.pos.empty() || args.pos.size() > 3) {
    type_error("range expected at most 3 arguments, got " + std::to_string(args.pos.size()));
  }
  int64_t start = 0, stop, step = 1;
  if (args.pos.size() == 1) {
    stop = int_arg(args.pos[0], "range");
  } else {
    start = int_arg(args.pos[0], "range");
    stop = int_arg(args.pos[1], "range");
    if (args.pos.size() == 3) step = int_arg(args.pos[2], "range");
  }
  if (step == 0) fail(error_kind::value_error, "range() arg 3 must not be zero");
  // Length computed in 128 bits: the bounds may span the whole int64 range.
  __int128 length = 0;
  if (step > 0 && start < stop) length = (static_cast<__int128>(stop) - start - 1) / step + 1;
  if (step < 0 && start > stop) length = (static_cast<__int128>(start) - stop - 1) / -static_cast<__int128>(step) + 1;
  if (length > max_range) {
    fail(error_kind::limit, "Range too big. The sandbox blocks ranges larger than MAX_RANGE (100000).");
  }
  std::vector<value> out;
  out.reserve(static_cast<size_t>(length));
  for (__int128 i = 0; i < length; ++i) out.push_back(value::integer(static_cast<int64_t>(start + i * step)));
  return ev.mem().range(start, stop, step, std::move(out));
}

void fill_mapping(evaluator& ev, value& target, const call_args& args, const char* fn) {
  if (args.pos.size() > 1) type_error(std::string(fn) + " expected at most 1 argument, got " + std::to_string(args.pos.size()));
  if (args.pos.size() == 1) {
    const value& src = args.pos[0];
    if (src.is_dict() || src.is_ns()) {
      for (const auto& [k, v] : src.dict().entries) ev.mem().set_item(target, k, v);
    } else {
      for (const value& pair : ev.iterate(src)) {
        const std::vector<value> kv = ev.iterate(pair);
        if (kv.size() != 2) fail(error_kind::value_error, "dictionary update sequence element has wrong length");
        ev.mem().set_item(target, kv[0], kv[1]);
      }
    }
  }
  for (const auto& [k, v] : args.kw) ev.mem().set_item(target, ev.str(k), v);
}

value g_namespace(evaluator& ev, const value&, const call_args& args) {
  value ns = ev.mem().ns();
  fill_mapping(ev, ns, args, "namespace");
  return ns;
}

value g_dict(evaluator& ev, const value&, const call_args& args) {
  value d = ev.mem().dict();
  fill_mapping(ev, d, args, "dict");
  return d;
}

value g_cycler(evaluator& ev, const value&, const call_args& args) {
  auto* c = ev.mem().make<cycler_obj>();
  c->items = args.pos;
  return value::object(value_kind::cycler, c);
}

value g_joiner(evaluator& ev, const value&, const call_args& args) {
  const arg_reader r("joiner", args, {"sep"});
  value state = ev.mem().ns();
  ev.mem().set_item(state, ev.str(std::string_view("sep")), r.get_or(0, ev.str(std::string_view(", "))));
  return ev.make_callable("joiner", [](evaluator& e, const value& self, const call_args&) -> value {
    const value used_key = e.str(std::string_view("used"));
    if (self.dict().find(used_key) == nullptr) {
      e.mem().set_item(self, used_key, value::boolean(true));
      return value::string(empty_str());
    }
    return *self.dict().find("sep");
  }, state);
}

value g_raise_exception(evaluator& ev, const value&, const call_args& args) {
  const arg_reader r("raise_exception", args, {"message"});
  if (!r.has(0)) type_error("raise_exception() missing 1 required positional argument: 'message'");
  fail(error_kind::raised, text_of(ev, r.get(0)));
}

value g_strftime_now(evaluator& ev, const value&, const call_args& args) {
  const arg_reader r("strftime_now", args, {"format"});
  if (!r.has(0) || !r.get(0).is_string()) type_error("strftime_now() argument must be a format string");
  return ev.str(format_time(r.get(0).sv(), ev.options().now));
}

struct entry {
  std::string_view name;
  builtin_fn fn;
};

const entry globals[] = {
    {"range", g_range},   {"namespace", g_namespace}, {"dict", g_dict},
    {"cycler", g_cycler}, {"joiner", g_joiner},       {"raise_exception", g_raise_exception},
    {"strftime_now", g_strftime_now},
};

}  // namespace

builtin_fn find_global(std::string_view name) {
  for (const entry& e : globals) {
    if (e.name == name) return e.fn;
  }
  return nullptr;
}

}  // namespace plexus::chat::jinja
