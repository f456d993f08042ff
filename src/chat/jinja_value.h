// Runtime values of the Jinja interpreter and the per-render arena that owns them.
//
// A `value` is 16 bytes: a kind tag plus a scalar or a raw pointer. Containers and other
// objects created during one render (lists, dicts, namespaces, callables, loop contexts) are
// owned by that render's `heap` and freed together when the render ends, so reference cycles
// (`set ns.self = ns`) cannot leak and deeply nested data is freed without recursion.
// Strings built while rendering are reference-counted instead and freed as soon as no value
// holds them, so templates that grow a string step by step (`set ns.s = ns.s + part`) keep
// only the latest one alive. Strings are immutable and always valid UTF-8;
// `str_obj::length` caches the code-point count. String constants of the parsed template
// live in the AST, are not counted, and are shared read-only by concurrent renders.
//
// Not thread-safe: a heap and the values pointing into it belong to one render on one thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace plexus::chat::jinja {

enum class value_kind : uint8_t {
  undefined,
  none,
  boolean,
  integer,
  floating,
  string,
  list,
  tuple,
  dict,
  ns,         // namespace(): a dict whose entries are attributes
  generator,  // one-shot iterator (results of map/select/items/reverse ...)
  callable,   // macro, builtin function, bound method, caller, joiner ...
  loop,       // the `loop` object of a for loop
  cycler,     // cycler(...) object
};

// Why rendering stopped. `raised` is raise_exception(msg): its message is shown verbatim.
enum class error_kind { type_error, undefined_error, value_error, security_error, raised, limit };

// Thrown inside the interpreter only; chat_template turns it into a Status.
// Thread-safe: immutable after construction.
class jinja_error : public std::exception {
 public:
  jinja_error(error_kind kind, std::string message) : kind_(kind), message_(std::move(message)) {}
  error_kind kind() const { return kind_; }
  const std::string& message() const { return message_; }
  const char* what() const noexcept override { return message_.c_str(); }

 private:
  error_kind kind_;
  std::string message_;
};

[[noreturn]] void fail(error_kind kind, std::string message);
[[noreturn]] inline void type_error(std::string message) { fail(error_kind::type_error, std::move(message)); }

// Base of arena-owned objects. Not thread-safe (belongs to one render).
struct heap_object {
  virtual ~heap_object() = default;
};

// Base of the callable / loop / cycler objects defined by the evaluator.
struct special_object : heap_object {
  virtual void append_repr(std::string& out) const = 0;
  virtual const char* type_name() const = 0;
};

struct str_obj;
struct list_obj;
struct dict_obj;

// Not thread-safe: copying a string value updates its reference count.
class value {
 public:
  constexpr value() noexcept : kind_(value_kind::undefined), aux_(0), i_(0) {}
  value(const value& o) noexcept : kind_(o.kind_), aux_(o.aux_), i_(o.i_) { retain(); }
  value(value&& o) noexcept : kind_(o.kind_), aux_(o.aux_), i_(o.i_) {
    o.kind_ = value_kind::none;
    o.i_ = 0;
  }
  value& operator=(const value& o) noexcept {
    if (this != &o) {
      o.retain();
      release();
      kind_ = o.kind_;
      aux_ = o.aux_;
      i_ = o.i_;
    }
    return *this;
  }
  value& operator=(value&& o) noexcept {
    if (this != &o) {
      release();
      kind_ = o.kind_;
      aux_ = o.aux_;
      i_ = o.i_;
      o.kind_ = value_kind::none;
      o.i_ = 0;
    }
    return *this;
  }
  ~value() { release(); }

  // How an undefined value's hint reads in error messages.
  enum class hint_kind : uint8_t { none, name, attribute, message };
  static value undefined(const str_obj* hint = nullptr, hint_kind how = hint_kind::name) {
    value v = make_ptr(value_kind::undefined, hint);
    v.aux_ = static_cast<uint8_t>(hint == nullptr ? hint_kind::none : how);
    return v;
  }
  static value none() { value v; v.kind_ = value_kind::none; return v; }
  static value boolean(bool b) { value v; v.kind_ = value_kind::boolean; v.i_ = b ? 1 : 0; return v; }
  static value integer(int64_t i) { value v; v.kind_ = value_kind::integer; v.i_ = i; return v; }
  static value floating(double f) { value v; v.kind_ = value_kind::floating; v.f_ = f; return v; }
  static value string(const str_obj* s) { return make_ptr(value_kind::string, s); }
  static value object(value_kind kind, const heap_object* o) { return make_ptr(kind, o); }

  value_kind kind() const { return kind_; }
  bool is_undefined() const { return kind_ == value_kind::undefined; }
  bool is_none() const { return kind_ == value_kind::none; }
  bool is_bool() const { return kind_ == value_kind::boolean; }
  bool is_int() const { return kind_ == value_kind::integer; }
  bool is_float() const { return kind_ == value_kind::floating; }
  // Python numbers: bool is an int subclass.
  bool is_number() const { return kind_ == value_kind::integer || kind_ == value_kind::floating || kind_ == value_kind::boolean; }
  bool is_string() const { return kind_ == value_kind::string; }
  bool is_list() const { return kind_ == value_kind::list; }
  bool is_tuple() const { return kind_ == value_kind::tuple; }
  bool is_sequence_like() const { return kind_ == value_kind::list || kind_ == value_kind::tuple; }
  bool is_dict() const { return kind_ == value_kind::dict; }
  bool is_ns() const { return kind_ == value_kind::ns; }

  bool as_bool() const { return i_ != 0; }
  int64_t as_int() const { return i_; }  // also bool as 0/1
  double as_float() const { return kind_ == value_kind::floating ? f_ : static_cast<double>(i_); }
  const str_obj& str() const { return *static_cast<const str_obj*>(p_); }
  std::string_view sv() const;
  list_obj& list() const;  // list and tuple
  dict_obj& dict() const;  // dict and ns
  template <typename T>
  T& obj() const {
    return *static_cast<T*>(const_cast<heap_object*>(static_cast<const heap_object*>(p_)));
  }
  const void* ptr() const { return p_; }
  // Hint stored with an undefined value (the missing name), or nullptr.
  const str_obj* undefined_hint() const { return static_cast<const str_obj*>(p_); }
  hint_kind undefined_hint_kind() const { return static_cast<hint_kind>(aux_); }

 private:
  static value make_ptr(value_kind kind, const void* p) {
    value v;
    v.kind_ = kind;
    v.p_ = p;
    v.retain();
    return v;
  }
  // Reference counting of render-built strings (string values and undefined hints).
  inline const str_obj* counted() const;
  inline void retain() const;
  inline void release();

  value_kind kind_;
  uint8_t aux_ = 0;
  union {
    int64_t i_;
    double f_;
    const void* p_;
  };
};

struct str_obj final : heap_object {
  str_obj() = default;
  explicit str_obj(std::string s);
  std::string text;
  size_t length = 0;     // code points
  bool markup = false;   // markupsafe.Markup (from |safe / |e): printed as Markup('...') by repr,
                         // and `+` with it HTML-escapes the other operand
  bool counted = false;  // freed when `refs` drops to 0 (strings built during a render)
  mutable uint32_t refs = 0;
  bool ascii() const { return length == text.size(); }
};

inline std::string_view value::sv() const { return str().text; }

inline const str_obj* value::counted() const {
  if ((kind_ != value_kind::string && kind_ != value_kind::undefined) || p_ == nullptr) return nullptr;
  const auto* s = static_cast<const str_obj*>(p_);
  return s->counted ? s : nullptr;
}
inline void value::retain() const {
  if (const str_obj* s = counted()) ++s->refs;
}
inline void value::release() {
  if (const str_obj* s = counted()) {
    if (--s->refs == 0) delete s;
  }
  p_ = nullptr;
}

// What a list-kind value really is in Python; everything but `plain` only changes how it
// prints and which operations accept it (ranges and dict views are not lists).
enum class list_flavor : uint8_t { plain, range, dict_items, dict_keys, dict_values };

struct list_obj final : heap_object {
  std::vector<value> items;
  list_flavor flavor = list_flavor::plain;
  int64_t range_start = 0, range_stop = 0, range_step = 1;  // flavor == range
  bool plain() const { return flavor == list_flavor::plain; }
  bool is_view() const {
    return flavor == list_flavor::dict_items || flavor == list_flavor::dict_keys || flavor == list_flavor::dict_values;
  }
};
inline list_obj& value::list() const { return obj<list_obj>(); }

// Insertion-ordered mapping with Python key equality (1 == 1.0 == True). String keys are
// indexed once the dict grows past a few entries. Not thread-safe.
struct dict_obj final : heap_object {
  std::vector<std::pair<value, value>> entries;

  const value* find(std::string_view key) const;
  const value* find(const value& key) const;
  // Inserts or replaces.
  void set(const value& key, const value& v);
  size_t size() const { return entries.size(); }

 private:
  void index_entry(size_t i);
  std::unordered_map<std::string_view, size_t> index_;
};
inline dict_obj& value::dict() const { return obj<dict_obj>(); }

// One-shot iterator: iteration consumes it (Python generator semantics).
struct generator_obj final : heap_object {
  std::vector<value> items;
  size_t pos = 0;
  const char* origin = "generator";  // for repr: <generator object NAME>
};

// Resource limits charged while rendering; see render_limits in chat_template.h.
// Not thread-safe: one per render.
struct render_budget {
  uint64_t max_value_bytes = 8u << 20;
  uint64_t max_work_bytes = 512u << 20;
  uint64_t work_bytes = 0;
  // Charges `bytes` of created data; throws a limit error when the total exceeds the budget.
  void charge(uint64_t bytes);
  // Throws unless a value of `bytes` bytes is allowed.
  void check_value_size(uint64_t bytes, const char* what) const;
};

// Owns every container / object created during one render (strings are reference-counted
// instead; see the file comment). Not thread-safe: one per render.
class heap {
 public:
  explicit heap(render_budget& budget) : budget_(budget) {}
  heap(const heap&) = delete;
  heap& operator=(const heap&) = delete;

  value str(std::string s);
  value str(std::string_view s) { return str(std::string(s)); }
  value markup(std::string s);
  // An undefined value whose hint is the new string `text`.
  value undefined_with(std::string text, value::hint_kind how);
  // A string with the markup flag of `like` (Markup methods return Markup).
  value str_like(const value& like, std::string s);
  // Values converted from the caller's context: not charged to the budget (the caller owns
  // their size).
  value input_str(std::string s) {
    auto* obj = new str_obj(std::move(s));
    obj->counted = true;
    return value::string(obj);
  }
  value input_list(std::vector<value> items) {
    auto* l = make<list_obj>();
    l->items = std::move(items);
    return value::object(value_kind::list, l);
  }
  value list(std::vector<value> items);
  value tuple(std::vector<value> items);
  value flavored_list(std::vector<value> items, list_flavor flavor);
  value range(int64_t start, int64_t stop, int64_t step, std::vector<value> items);
  value dict();  // empty; fill with dict().set (charged per entry by set_item)
  value ns();
  void set_item(const value& dict, const value& key, const value& v);
  value generator(std::vector<value> items, const char* origin);
  template <typename T, typename... Args>
  T* make(Args&&... args) {
    auto owned = std::make_unique<T>(std::forward<Args>(args)...);
    T* raw = owned.get();
    objects_.push_back(std::move(owned));
    return raw;
  }
  render_budget& budget() { return budget_; }
  // Objects go in reverse order of creation (containers before what they were built from).
  ~heap() {
    while (!objects_.empty()) objects_.pop_back();
  }

 private:
  render_budget& budget_;
  std::vector<std::unique_ptr<heap_object>> objects_;
};

// Python semantics over values. `depth` guards recursion into nested containers.
bool truthy(const value& v);
bool py_equal(const value& a, const value& b, int depth = 0);
// <0, 0, >0 like Python's ordering; throws type_error for unorderable operands.
int py_compare(const value& a, const value& b, int depth = 0);
// Python str() and repr(), appended to `out`.
// `limit` bounds the size of `out` (throws a limit error past it): a list of many references
// to one large string would otherwise print to gigabytes.
void append_str(std::string& out, const value& v, size_t limit = SIZE_MAX, int depth = 0);
void append_repr(std::string& out, const value& v, size_t limit = SIZE_MAX, int depth = 0);
void append_string_repr(std::string& out, std::string_view s);
void append_float_repr(std::string& out, double d);
std::string to_str(const value& v, size_t limit = SIZE_MAX);
[[noreturn]] void fail_output_size(size_t limit);
// Python type name as used in error messages ('str', 'int', 'NoneType', 'dict' ...).
const char* type_name(const value& v);
// Deepest container nesting that str/repr/tojson/== follow before failing.
constexpr int max_value_depth = 512;
void check_depth(int depth);

}  // namespace plexus::chat::jinja
