// Statements, scopes, loops, macros and calls. Expressions are in jinja_expressions.cpp.
#include "chat/jinja_evaluator.h"

#include <algorithm>

namespace plexus::chat::jinja {

// ---------------------------------------------------------------- arg_reader

arg_reader::arg_reader(const char* function, const call_args& args, std::initializer_list<std::string_view> names)
    : bound_(names.size(), nullptr) {
  size_t i = 0;
  for (; i < args.pos.size() && i < names.size(); ++i) bound_[i] = &args.pos[i];
  for (; i < args.pos.size(); ++i) extra_.push_back(args.pos[i]);
  for (const auto& [key, v] : args.kw) {
    size_t k = 0;
    for (std::string_view n : names) {
      if (n == key) break;
      ++k;
    }
    if (k == names.size()) type_error(std::string(function) + "() got an unexpected keyword argument '" + std::string(key) + "'");
    if (bound_[k] != nullptr) type_error(std::string(function) + "() got multiple values for argument '" + std::string(key) + "'");
    bound_[k] = &v;
  }
}

// ---------------------------------------------------------------- objects

void callable_obj::append_repr(std::string& out) const {
  switch (what) {
    case type::macro: out += name.empty() ? "<Macro anonymous>" : "<Macro '" + std::string(name) + "'>"; return;
    case type::method:
      out += "<built-in method " + std::string(name) + " of " + jinja::type_name(self) + " object>";
      return;
    case type::builtin: out += "<function " + std::string(name) + ">"; return;
  }
}

void loop_obj::append_repr(std::string& out) const {
  out += "<LoopContext " + std::to_string(index0 + 1) + "/" + std::to_string(items->size()) + ">";
}

// ---------------------------------------------------------------- evaluator

void evaluator::depth_guard::too_deep() {
  --ev_.eval_depth_;
  fail(error_kind::limit, "template evaluation nested deeper than " + std::to_string(ev_.opt_.max_eval_depth) +
                              " levels (max_eval_depth)");
}

namespace {

// Swaps the output buffer and scope for the lifetime of the object.
class redirect {
 public:
  redirect(std::string*& out, uint64_t& out_limit, std::string* buf, uint64_t limit, scope*& cur, scope* s)
      : out_(out), limit_(out_limit), cur_(cur), saved_out_(out), saved_limit_(out_limit), saved_cur_(cur) {
    out_ = buf;
    limit_ = limit;
    cur_ = s;
  }
  ~redirect() {
    out_ = saved_out_;
    limit_ = saved_limit_;
    cur_ = saved_cur_;
  }
  redirect(const redirect&) = delete;
  redirect& operator=(const redirect&) = delete;

 private:
  std::string*& out_;
  uint64_t& limit_;
  scope*& cur_;
  std::string* saved_out_;
  uint64_t saved_limit_;
  scope* saved_cur_;
};

}  // namespace

evaluator::evaluator(const template_ast& ast, const eval_options& options) : ast_(ast), opt_(options), heap_(budget_) {
  budget_.max_value_bytes = opt_.max_value_bytes;
  budget_.max_work_bytes = opt_.max_work_bytes;
}

std::string evaluator::render(const nlohmann::ordered_json& context) {
  // No copy of `context`: a null context is an empty one.
  const value ctx = context.is_null() ? heap_.dict() : from_json(heap_, context);
  if (!ctx.is_dict()) type_error("the render context must be a JSON object");
  context_ = &ctx.dict();
  std::string result;
  out_ = &result;
  top_out_ = &result;
  out_limit_ = opt_.max_output_bytes;
  cur_ = &root_;
  exec_body(ast_.body);
  return result;
}

void evaluator::emit(std::string_view s) {
  if (out_->size() + s.size() > out_limit_) {
    fail(error_kind::limit, out_ == top_out_
                                ? "rendered output exceeds " + std::to_string(out_limit_) + " bytes (max_output_bytes)"
                                : "text rendered by a block exceeds " + std::to_string(out_limit_) + " bytes (max_value_bytes)");
  }
  out_->append(s);
}

void evaluator::emit_value(const value& v) {
  if (v.is_string()) {
    emit(v.sv());
    return;
  }
  std::string tmp;
  append_str(tmp, v, out_limit_);
  emit(tmp);
}

void evaluator::charge_iterations(uint64_t n) {
  iterations_ += n;
  if (iterations_ > opt_.max_loop_iterations) {
    fail(error_kind::limit, "template ran more than " + std::to_string(opt_.max_loop_iterations) +
                                " loop iterations (max_loop_iterations)");
  }
}

value evaluator::make_callable(std::string_view name, builtin_fn fn, const value& self) {
  auto* c = heap_.make<callable_obj>();
  c->what = self.is_undefined() ? callable_obj::type::builtin : callable_obj::type::method;
  c->name = name;
  c->fn = fn;
  c->self = self;
  return value::object(value_kind::callable, c);
}

scope* evaluator::open_scope(bool captured, scope& local, scope* parent) {
  if (!captured) {
    local.parent = parent;
    return &local;
  }
  heap_.budget().charge(sizeof(scope) + 64);
  owned_scopes_.push_back(std::make_unique<scope>());
  owned_scopes_.back()->parent = parent;
  return owned_scopes_.back().get();
}

value evaluator::render_to_string(const node_list& body, scope& s, flow* result) {
  std::string buf;
  flow f;
  {
    redirect r(out_, out_limit_, &buf, opt_.max_value_bytes, cur_, &s);
    f = exec_body(body);
  }
  if (result != nullptr) *result = f;
  return heap_.str(std::move(buf));
}

evaluator::flow evaluator::exec_body(const node_list& body) {
  for (const node_ptr& n : body) {
    const flow f = exec(*n);
    if (f != flow::normal) return f;
  }
  return flow::normal;
}

void evaluator::assign(const assign_target& target, const value& v) {
  if (!target.attr.empty()) {
    const value ns = lookup(target.names[0]);
    if (!ns.is_ns()) fail(error_kind::type_error, "cannot assign attribute on non-namespace object");
    heap_.set_item(ns, heap_.str(target.attr), v);
    return;
  }
  if (!target.is_tuple) {
    cur_->set(target.names[0].text, v);
    return;
  }
  std::vector<value> storage;
  const std::vector<value>& items = iterate_ref(v, storage);
  if (items.size() > target.names.size()) {
    fail(error_kind::value_error, "too many values to unpack (expected " + std::to_string(target.names.size()) + ")");
  }
  if (items.size() < target.names.size()) {
    fail(error_kind::value_error, "not enough values to unpack (expected " + std::to_string(target.names.size()) +
                                      ", got " + std::to_string(items.size()) + ")");
  }
  for (size_t i = 0; i < items.size(); ++i) cur_->set(target.names[i].text, items[i]);
}

evaluator::flow evaluator::exec(const node& n) {
  depth_guard guard(*this);
  line_ = n.line;
  switch (n.kind) {
    case node_kind::text: emit(as<text_node>(n).text); return flow::normal;
    case node_kind::output: emit_value(eval(*as<output_node>(n).expr)); return flow::normal;
    case node_kind::if_stmt: {
      const auto& s = as<if_node>(n);
      for (const auto& [test, body] : s.branches) {
        if (truthy(eval(*test))) return exec_body(body);
      }
      return exec_body(s.else_body);
    }
    case node_kind::for_stmt: return exec_for(as<for_node>(n));
    case node_kind::set_stmt: {
      const auto& s = as<set_node>(n);
      assign(s.target, eval(*s.expr));
      return flow::normal;
    }
    case node_kind::set_block: {
      const auto& s = as<set_block_node>(n);
      scope local;
      flow f;
      value v = render_to_string(s.body, *open_scope(s.has_closures, local, cur_), &f);
      if (f != flow::normal) return f;  // break/continue leave before the assignment
      if (s.filter) v = apply_chain(*s.filter, v);
      assign(s.target, v);
      return flow::normal;
    }
    case node_kind::macro_stmt: {
      const auto& s = as<macro_node>(n);
      auto* c = heap_.make<callable_obj>();
      c->what = callable_obj::type::macro;
      c->name = s.def.name;
      c->macro = &s.def;
      c->closure = cur_;
      cur_->set(s.def.name, value::object(value_kind::callable, c));
      return flow::normal;
    }
    case node_kind::call_block: {
      const auto& s = as<call_block_node>(n);
      const auto& cn = as<call_node>(*s.call);
      const value fn = eval(*cn.callee);
      call_args args;
      eval_args(cn.args, args);
      auto* c = heap_.make<callable_obj>();
      c->what = callable_obj::type::macro;
      c->name = "";  // jinja2's caller macro is anonymous
      c->macro = &s.caller;
      c->closure = cur_;
      const value caller = value::object(value_kind::callable, c);
      if (fn.kind() == value_kind::callable && fn.obj<callable_obj>().what == callable_obj::type::macro) {
        emit_value(call_macro(fn.obj<callable_obj>(), args, caller));
      } else {
        args.kw.emplace_back("caller", caller);
        emit_value(call(fn, args));
      }
      return flow::normal;
    }
    case node_kind::filter_block: {
      const auto& s = as<filter_block_node>(n);
      scope local;
      flow f;
      const value body = render_to_string(s.body, *open_scope(s.has_closures, local, cur_), &f);
      if (f != flow::normal) return f;
      emit_value(apply_chain(*s.filter, body));
      return flow::normal;
    }
    case node_kind::break_stmt: return flow::break_loop;
    case node_kind::continue_stmt: return flow::continue_loop;
    case node_kind::with_stmt: {
      const auto& s = as<with_node>(n);
      std::vector<value> values;
      for (const auto& [target, expr] : s.assignments) values.push_back(eval(*expr));
      scope local;
      scope* inner = open_scope(s.has_closures, local, cur_);
      scope* saved = cur_;
      cur_ = inner;
      for (size_t i = 0; i < values.size(); ++i) assign(s.assignments[i].first, values[i]);
      flow f = flow::normal;
      try {
        f = exec_body(s.body);
      } catch (...) {
        cur_ = saved;
        throw;
      }
      cur_ = saved;
      return f;
    }
    case node_kind::scope_stmt: {
      const auto& sn = as<scope_node>(n);
      scope local;
      value v = render_to_string(sn.body, *open_scope(sn.has_closures, local, cur_));
      emit(v.sv());
      return flow::normal;
    }
    default: fail(error_kind::type_error, "internal error: expression node used as a statement");
  }
}

// ---------------------------------------------------------------- loops

evaluator::flow evaluator::exec_for(const for_node& n) {
  const value iterable = eval(*n.iter);
  std::vector<value> storage;
  const std::vector<value>& all = iterate_ref(iterable, storage);
  if (!n.filter) return run_loop(n, &all == &storage ? std::move(storage) : all, 0, nullptr);
  std::vector<value> kept;
  scope test_scope;
  test_scope.parent = cur_;
  scope* saved = cur_;
  try {
    for (const value& item : all) {
      charge_iterations(1);
      test_scope.vars.clear();
      cur_ = &test_scope;
      assign(n.target, item);
      if (truthy(eval(*n.filter))) kept.push_back(item);
      cur_ = saved;
    }
  } catch (...) {
    cur_ = saved;
    throw;
  }
  return run_loop(n, std::move(kept), 0, nullptr);
}

evaluator::flow evaluator::run_loop(const for_node& n, std::vector<value> items_in, int64_t depth0,
                                   std::string* recursive_out) {
  std::string* const saved_out = out_;
  const uint64_t saved_limit = out_limit_;
  scope* const saved_cur = cur_;
  if (recursive_out != nullptr) {
    out_ = recursive_out;
    out_limit_ = opt_.max_value_bytes;
  }
  struct restore {
    evaluator& ev;
    std::string* out;
    uint64_t limit;
    scope* cur;
    ~restore() {
      ev.out_ = out;
      ev.out_limit_ = limit;
      ev.cur_ = cur;
    }
  } restorer{*this, saved_out, saved_limit, saved_cur};

  heap_.budget().charge(items_in.size() * sizeof(value));
  auto* lp = heap_.make<loop_obj>();
  lp->owned = std::move(items_in);
  lp->items = &lp->owned;
  const std::vector<value>& items = lp->owned;
  lp->active = true;
  struct deactivate {
    loop_obj* lp;
    ~deactivate() { lp->active = false; }
  } deactivator{lp};
  lp->depth0 = depth0;
  lp->for_stmt = &n;
  lp->outer = saved_cur;
  const value loop_value = value::object(value_kind::loop, lp);
  scope local_iteration;
  scope& iteration = *open_scope(n.has_closures, local_iteration, saved_cur);
  // jinja2 clears its "else" indicator only when an iteration reaches the end of the body, so
  // the else block also runs when every iteration ended in continue (or a break came first).
  bool completed_any = false;
  for (size_t i = 0; i < items.size(); ++i) {
    charge_iterations(1);
    iteration.vars.clear();
    lp->index0 = i;
    cur_ = &iteration;
    iteration.set("loop", loop_value);
    assign(n.target, items[i]);
    const flow f = exec_body(n.body);
    if (f == flow::break_loop) break;
    if (f == flow::normal) completed_any = true;
  }
  if (!completed_any && !n.else_body.empty()) {
    // The else block belongs to the enclosing loop: its break/continue act there.
    scope local_else;
    cur_ = open_scope(n.has_closures, local_else, saved_cur);
    return exec_body(n.else_body);
  }
  return flow::normal;
}

// ---------------------------------------------------------------- calls

value evaluator::call(const value& fn, const call_args& args) {
  if (fn.is_undefined()) undefined_error(fn);
  if (fn.kind() == value_kind::loop) {
    auto& lp = fn.obj<loop_obj>();
    const auto& fs = as<for_node>(*lp.for_stmt);
    if (!lp.active) type_error("the loop object was called after its loop ended");
    if (!fs.recursive) type_error("Tried to call non recursive loop. Maybe you forgot the 'recursive' modifier.");
    if (args.pos.size() != 1 || !args.kw.empty()) type_error("loop() takes exactly one argument");
    if (call_depth_ >= opt_.max_call_depth) {
      fail(error_kind::limit, "recursive loop calls nested deeper than " + std::to_string(opt_.max_call_depth) +
                                  " levels (max_call_depth)");
    }
    ++call_depth_;
    struct depth_restore {
      uint32_t& d;
      ~depth_restore() { --d; }
    } restore_depth{call_depth_};
    std::vector<value> items = iterate(args.pos[0]);
    std::string buf;
    scope* saved = cur_;
    cur_ = lp.outer;
    run_loop(fs, std::move(items), lp.depth0 + 1, &buf);
    cur_ = saved;
    return heap_.str(std::move(buf));
  }
  if (fn.kind() != value_kind::callable) type_error(std::string("'") + type_name(fn) + "' object is not callable");
  const auto& c = fn.obj<callable_obj>();
  switch (c.what) {
    case callable_obj::type::builtin:
    case callable_obj::type::method: return c.fn(*this, c.self, args);
    case callable_obj::type::macro: return call_macro(c, args, value());
  }
  type_error("object is not callable");
}

value evaluator::call_macro(const callable_obj& m, const call_args& args, const value& caller) {
  const macro_def& d = *m.macro;
  if (call_depth_ >= opt_.max_call_depth) {
    fail(error_kind::limit, "macro calls nested deeper than " + std::to_string(opt_.max_call_depth) +
                                " levels (max_call_depth) in '" + d.name + "'");
  }
  ++call_depth_;
  struct depth_restore {
    uint32_t& d;
    ~depth_restore() { --d; }
  } restore_depth{call_depth_};

  const size_t np = d.params.size();
  if (args.pos.size() > np && !d.uses_varargs) {
    type_error("macro '" + d.name + "' takes not more than " + std::to_string(np) + " argument(s)");
  }
  scope local;
  scope& s = *open_scope(d.has_closures, local, m.closure);
  std::vector<bool> bound(np, false);
  for (size_t i = 0; i < np && i < args.pos.size(); ++i) {
    s.set(d.params[i].text, args.pos[i]);
    bound[i] = true;
  }
  value caller_value = caller;
  value kwargs_dict;
  if (d.uses_kwargs) kwargs_dict = heap_.dict();
  for (const auto& [key, v] : args.kw) {
    size_t k = 0;
    while (k < np && d.params[k].text != key) ++k;
    if (k < np) {
      if (bound[k]) type_error("macro '" + d.name + "' got multiple values for argument '" + std::string(key) + "'");
      s.set(d.params[k].text, v);
      bound[k] = true;
    } else if (key == "caller" && d.uses_caller) {
      caller_value = v;
    } else if (d.uses_kwargs) {
      heap_.set_item(kwargs_dict, heap_.str(key), v);
    } else {
      type_error("macro '" + d.name + "' takes no keyword argument '" + std::string(key) + "'");
    }
  }
  if (!caller.is_undefined() && !d.uses_caller) {
    // A {% call %} passes `caller` as a keyword argument.
    if (!d.uses_kwargs) type_error("macro '" + d.name + "' takes no keyword argument 'caller'");
    heap_.set_item(kwargs_dict, heap_.str(std::string_view("caller")), caller);
  }
  if (d.uses_varargs) {
    std::vector<value> extra;
    for (size_t i = np; i < args.pos.size(); ++i) extra.push_back(args.pos[i]);
    s.set("varargs", heap_.tuple(std::move(extra)));
  }
  if (d.uses_kwargs) s.set("kwargs", kwargs_dict);
  if (d.uses_caller) s.set("caller", caller_value);
  const size_t first_default = np - d.defaults.size();
  {
    scope* saved = cur_;
    cur_ = &s;
    try {
      for (size_t i = 0; i < np; ++i) {
        if (bound[i]) continue;
        s.set(d.params[i].text, i >= first_default ? eval(*d.defaults[i - first_default]) : value::undefined(&d.params[i]));
      }
    } catch (...) {
      cur_ = saved;
      throw;
    }
    cur_ = saved;
  }
  return render_to_string(d.body, s);
}

}  // namespace plexus::chat::jinja
