// Tree-walking evaluator for template_ast: one `evaluator` per render. Implements jinja2's
// runtime semantics as configured by Hugging Face (ImmutableSandboxedEnvironment, default
// Undefined, loopcontrols) and the limits that keep hostile templates from hanging or
// exhausting memory. Filters, tests and Python methods live in jinja_filters.cpp,
// jinja_tests.cpp and jinja_methods.cpp and reach back through the public members below.
//
// Errors are thrown as jinja_error inside the interpreter and turned into Status by
// chat_template.cpp; nothing is thrown across that boundary.
//
// Not thread-safe: one evaluator per render; the AST it reads may be shared.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "chat/jinja_ast.h"
#include "chat/jinja_value.h"

namespace plexus::chat::jinja {

// Wall-clock instant given to strftime_now(), in the template's notion of local time.
struct civil_time {
  int year = 1970;
  int month = 1;   // 1..12
  int day = 1;     // 1..31
  int hour = 0;
  int minute = 0;
  int second = 0;
};

struct eval_options {
  civil_time now;
  uint64_t max_output_bytes = 8u << 20;
  uint64_t max_value_bytes = 8u << 20;
  uint64_t max_work_bytes = 512u << 20;
  uint64_t max_loop_iterations = 1'000'000;  // over the whole render, nested loops included
  uint32_t max_call_depth = 256;             // nested macro / caller invocations
  uint32_t max_eval_depth = 1000;            // nested statement + expression evaluation
};

// Positional and keyword arguments of one call. Keyword names point into the AST or into
// arena strings, both of which outlive the call.
struct call_args {
  std::vector<value> pos;
  std::vector<std::pair<std::string_view, value>> kw;
};

// Binds call_args to a Python-style parameter list; throws type_error like CPython does.
// Not thread-safe; borrows `args` for its lifetime.
class arg_reader {
 public:
  arg_reader(const char* function, const call_args& args, std::initializer_list<std::string_view> names);
  bool has(size_t i) const { return i < bound_.size() && bound_[i] != nullptr; }
  const value& get(size_t i) const { return *bound_[i]; }
  value get_or(size_t i, value fallback) const { return has(i) ? *bound_[i] : fallback; }
  // Positional arguments past the named ones (for *args functions).
  const std::vector<value>& extra() const { return extra_; }

 private:
  std::vector<const value*> bound_;
  std::vector<value> extra_;
};

// Variables of one scope (template top level, one loop iteration, one macro call ...).
// Names point into the AST or at string literals. Not thread-safe.
struct scope {
  scope* parent = nullptr;
  std::vector<std::pair<std::string_view, value>> vars;
  value* find(std::string_view name) {
    for (auto& [k, v] : vars) {
      if (k == name) return &v;
    }
    return nullptr;
  }
  void set(std::string_view name, const value& v) {
    if (value* existing = find(name)) {
      *existing = v;
    } else {
      vars.emplace_back(name, v);
    }
  }
};

class evaluator;
using builtin_fn = value (*)(evaluator& ev, const value& self, const call_args& args);

// Callable values: macros, callers, builtin globals, bound methods, loop.cycle ...
// Not thread-safe (arena object of one render).
struct callable_obj final : special_object {
  enum class type : uint8_t { builtin, method, macro };
  type what = type::builtin;
  std::string name;
  value self;                        // receiver of a bound method / builtin state
  builtin_fn fn = nullptr;           // builtin and method
  const macro_def* macro = nullptr;  // macro and caller
  scope* closure = nullptr;          // macro/caller: scope that the body sees beyond its own
  value caller;                      // caller passed by {% call %}
  void append_repr(std::string& out) const override;
  const char* type_name() const override { return what == type::macro ? "Macro" : "function"; }
};

// The `loop` variable of one for statement, updated in place each iteration.
// Not thread-safe (arena object of one render).
struct loop_obj final : special_object {
  std::vector<value> owned;  // the items being looped over
  const std::vector<value>* items = nullptr;
  bool active = false;       // false once the loop has finished (outer scope is gone)
  size_t index0 = 0;
  int64_t depth0 = 0;
  value last_changed;
  bool changed_called = false;
  const node* for_stmt = nullptr;  // for recursive loops: loop(iterable)
  scope* outer = nullptr;
  void append_repr(std::string& out) const override;
  const char* type_name() const override { return "LoopContext"; }
};

// cycler(...) state. Not thread-safe (arena object of one render).
struct cycler_obj final : special_object {
  std::vector<value> items;
  size_t pos = 0;
  void append_repr(std::string& out) const override { out += "<Cycler>"; }
  const char* type_name() const override { return "Cycler"; }
};

class evaluator {
 public:
  evaluator(const template_ast& ast, const eval_options& options);
  evaluator(const evaluator&) = delete;
  evaluator& operator=(const evaluator&) = delete;

  // Renders with `context` (a JSON object) as the template's variables. Throws jinja_error.
  std::string render(const nlohmann::ordered_json& context);

  // ---- services for filters, tests and methods
  heap& mem() { return heap_; }
  const eval_options& options() const { return opt_; }
  value str(std::string s) { return heap_.str(std::move(s)); }
  value str(std::string_view s) { return heap_.str(std::string(s)); }
  value str(const char* s) { return heap_.str(std::string(s)); }
  value call(const value& fn, const call_args& args);
  value apply_filter(std::string_view name, const value& input, const call_args& args);
  bool apply_test(std::string_view name, const value& input, const call_args& args);
  bool has_filter(std::string_view name) const;
  bool has_test(std::string_view name) const;
  // Items of an iterable (consumes generators); throws type_error for non-iterables.
  std::vector<value> iterate(const value& v);
  const std::vector<value>& iterate_ref(const value& v, std::vector<value>& storage);
  // Python `a.b` / `a[b]` under the sandbox rules.
  value getattr(const value& obj, const str_obj& name);
  value getattr(const value& obj, std::string_view name);
  value getitem(const value& obj, const value& key);
  // jinja2's make_attrgetter: "a.b.0" looked up item-first, part by part.
  value attribute_path(const value& obj, const value& path);
  bool contains(const value& container, const value& item);
  [[noreturn]] void undefined_error(const value& undef);
  void charge_iterations(uint64_t n);
  value make_callable(std::string_view name, builtin_fn fn, const value& self);
  // Template line of the statement being executed (0 before the first one).
  uint32_t line() const { return line_; }

 private:
  enum class flow { normal, break_loop, continue_loop };
  // Counts nested exec/eval calls; throws a limit error past max_eval_depth.
  class depth_guard {
   public:
    explicit depth_guard(evaluator& ev) : ev_(ev) {
      if (++ev_.eval_depth_ > ev_.opt_.max_eval_depth) too_deep();
    }
    ~depth_guard() { --ev_.eval_depth_; }
    depth_guard(const depth_guard&) = delete;
    depth_guard& operator=(const depth_guard&) = delete;

   private:
    [[noreturn]] void too_deep();
    evaluator& ev_;
  };

  flow exec_body(const node_list& body);
  flow exec(const node& n);
  value eval(const node& n);
  value eval_binary(const binary_node& n);
  value eval_compare(const compare_node& n);
  value eval_call(const call_node& n);
  value eval_getitem(const getitem_node& n);
  // Applies a filter chain whose innermost filter has no input node to `input`.
  value apply_chain(const node& chain, const value& input);
  value loop_attribute(const value& loop, std::string_view name);
  value getattr_impl(const value& obj, std::string_view name, const str_obj* hint);
  void eval_args(const call_arguments& src, call_args& out);
  value lookup(const str_obj& name);
  void assign(const assign_target& target, const value& v);
  flow exec_for(const for_node& n);
  flow run_loop(const for_node& n, std::vector<value> items, int64_t depth0, std::string* recursive_out);
  value call_macro(const callable_obj& m, const call_args& args, const value& caller);
  // A scope with parent `parent`: `local` itself, or a render-long heap scope when a macro
  // defined inside may keep referring to it (`captured`).
  scope* open_scope(bool captured, scope& local, scope* parent);
  value render_to_string(const node_list& body, scope& s, flow* result = nullptr);
  void emit(std::string_view s);
  void emit_value(const value& v);

  const template_ast& ast_;
  eval_options opt_;
  render_budget budget_;
  heap heap_;
  scope root_;
  scope* cur_ = &root_;
  dict_obj* context_ = nullptr;
  std::string* out_ = nullptr;
  const std::string* top_out_ = nullptr;  // the render's result buffer
  uint64_t out_limit_ = 0;
  uint64_t iterations_ = 0;
  uint32_t eval_depth_ = 0;
  uint32_t call_depth_ = 0;
  uint32_t line_ = 0;
  std::vector<std::unique_ptr<scope>> owned_scopes_;
};

// Python semantics of the arithmetic operators (jinja_operators.cpp).
value binary_arith(evaluator& ev, binary_op op, const value& a, const value& b);
value unary_arith(evaluator& ev, unary_op op, const value& a);
// Slicing of lists, tuples and strings with Python index rules.
value slice_value(evaluator& ev, const value& obj, const value& start, const value& stop, const value& step);
// A single code point as a string value (ASCII ones are preallocated).
value char_value(heap& h, std::string_view s, size_t pos, size_t len);
// The str_obj of the empty string (static, shared by all renders).
const str_obj* empty_str();

// Filter, test and method tables (jinja_filters.cpp, jinja_tests.cpp, jinja_methods.cpp).
using filter_fn = value (*)(evaluator& ev, const value& input, const call_args& args);
using test_fn = bool (*)(evaluator& ev, const value& input, const call_args& args);
filter_fn find_filter(std::string_view name);
test_fn find_test(std::string_view name);
// Method `name` of str/dict/list/tuple values, or nullptr. `unsafe` is set for the mutating
// methods the immutable sandbox refuses.
builtin_fn find_method(const value& self, std::string_view name, bool& unsafe);
builtin_fn find_global(std::string_view name);

// JSON bridge (jinja_json.cpp).
value from_json(heap& h, const nlohmann::ordered_json& j, int depth = 0);
struct json_dump_options {
  bool ensure_ascii = false;
  bool has_indent = false;
  std::string indent;
  std::string item_separator = ", ";
  std::string key_separator = ": ";
  bool sort_keys = false;
  size_t max_bytes = SIZE_MAX;  // output larger than this fails with a limit error
};
void dump_json(std::string& out, const value& v, const json_dump_options& opt, int depth = 0);
value tojson_filter(evaluator& ev, const value& input, const call_args& args);

// Formatting (jinja_format.cpp).
std::string percent_format(evaluator& ev, std::string_view fmt, const value& args);
std::string str_format(evaluator& ev, std::string_view fmt, const call_args& args);
std::string format_time(std::string_view fmt, const civil_time& t);

}  // namespace plexus::chat::jinja
