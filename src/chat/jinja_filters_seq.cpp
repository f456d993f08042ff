// Sequence filters: length, list, first/last, join, map, select/reject(attr), sort, dictsort,
// unique, min/max, sum, reverse, items, batch, slice, groupby. Where jinja2 returns a
// generator, so do these (truthy even when empty, consumed by iteration, no len()).
#include <algorithm>
#include <unordered_set>

#include "chat/jinja_builtins.h"
#include "chat/jinja_strings.h"
#include "chat/jinja_unicode.h"

namespace plexus::chat::jinja {

namespace {

value f_length(evaluator&, const value& v, const call_args&) {
  switch (v.kind()) {
    case value_kind::undefined: return value::integer(0);
    case value_kind::string: return value::integer(static_cast<int64_t>(v.str().length));
    case value_kind::list:
    case value_kind::tuple: return value::integer(static_cast<int64_t>(v.list().items.size()));
    case value_kind::dict: return value::integer(static_cast<int64_t>(v.dict().size()));
    default: type_error(std::string("object of type '") + type_name(v) + "' has no len()");
  }
}

value f_list(evaluator& ev, const value& v, const call_args&) {
  if (v.is_list()) return ev.mem().list(v.list().items);
  return ev.mem().list(ev.iterate(v));
}

value f_first(evaluator& ev, const value& v, const call_args&) {
  if (v.kind() == value_kind::generator) {
    auto& g = v.obj<generator_obj>();
    if (g.pos < g.items.size()) return g.items[g.pos++];
  } else if (v.is_sequence_like()) {
    if (!v.list().items.empty()) return v.list().items.front();
  } else {
    std::vector<value> items = ev.iterate(v);
    if (!items.empty()) return items.front();
  }
  static const str_obj message(std::string("No first item, sequence was empty."));
  return value::undefined(&message, value::hint_kind::message);
}

value f_last(evaluator& ev, const value& v, const call_args&) {
  if (v.kind() == value_kind::generator) type_error("'generator' object is not reversible");
  if (v.is_sequence_like()) {
    if (!v.list().items.empty()) return v.list().items.back();
  } else {
    std::vector<value> items = ev.iterate(v);
    if (!items.empty()) return items.back();
  }
  static const str_obj message(std::string("No last item, sequence was empty."));
  return value::undefined(&message, value::hint_kind::message);
}

value f_join(evaluator& ev, const value& v, const call_args& args) {
  const arg_reader r("join", args, {"d", "attribute"});
  const std::string sep = r.has(0) ? text_of(ev, r.get(0)) : "";
  const bool by_attr = r.has(1) && !r.get(1).is_none();
  std::vector<value> storage;
  const std::vector<value>& items = ev.iterate_ref(v, storage);
  const uint64_t limit = ev.options().max_value_bytes;
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += sep;
    append_str(out, by_attr ? ev.attribute_path(items[i], r.get(1)) : items[i], limit);
    if (out.size() > limit) fail_output_size(limit);
  }
  return ev.str(std::move(out));
}

value f_map(evaluator& ev, const value& v, const call_args& args) {
  if (!truthy(v)) return ev.mem().generator({}, "do_map");  // jinja2: `if value:`
  std::vector<value> out;
  std::vector<value> storage;
  const std::vector<value>& items = ev.iterate_ref(v, storage);
  out.reserve(items.size());
  if (args.pos.empty()) {
    value attribute;
    value fallback = value::none();
    bool has_attribute = false;
    for (const auto& [k, kv] : args.kw) {
      if (k == "attribute") {
        attribute = kv;
        has_attribute = true;
      } else if (k == "default") {
        fallback = kv;
      } else {
        type_error("Unexpected keyword argument '" + std::string(k) + "'");
      }
    }
    if (!has_attribute) type_error("map requires a filter argument");
    for (const value& item : items) {
      value x = ev.attribute_path(item, attribute);
      if (x.is_undefined() && !fallback.is_none()) x = fallback;
      out.push_back(x);
    }
  } else {
    if (!args.pos[0].is_string()) type_error("map requires a filter name");
    const std::string name(args.pos[0].sv());
    call_args rest;
    rest.pos.assign(args.pos.begin() + 1, args.pos.end());
    rest.kw = args.kw;
    if (!ev.has_filter(name)) fail(error_kind::type_error, "No filter named '" + name + "'.");
    for (const value& item : items) out.push_back(ev.apply_filter(name, item, rest));
  }
  return ev.mem().generator(std::move(out), "do_map");
}

value select_or_reject(evaluator& ev, const value& v, const call_args& args, bool select, bool by_attr) {
  if (!truthy(v)) return ev.mem().generator({}, "select_or_reject");  // jinja2: `if value:`
  size_t off = 0;
  value attribute;
  if (by_attr) {
    if (args.pos.empty()) type_error("Missing parameter for attribute name");
    attribute = args.pos[0];
    off = 1;
  }
  std::string test_name;
  call_args test_args;
  const bool has_test = args.pos.size() > off;
  if (has_test) {
    test_name = to_str(args.pos[off]);
    if (!ev.has_test(test_name)) fail(error_kind::type_error, "No test named '" + test_name + "'.");
    test_args.pos.assign(args.pos.begin() + static_cast<std::ptrdiff_t>(off + 1), args.pos.end());
    test_args.kw = args.kw;
  }
  std::vector<value> out;
  std::vector<value> storage;
  for (const value& item : ev.iterate_ref(v, storage)) {
    const value x = by_attr ? ev.attribute_path(item, attribute) : item;
    const bool ok = has_test ? ev.apply_test(test_name, x, test_args) : truthy(x);
    if (ok == select) out.push_back(item);
  }
  return ev.mem().generator(std::move(out), "select_or_reject");
}

value f_select(evaluator& ev, const value& v, const call_args& a) { return select_or_reject(ev, v, a, true, false); }
value f_reject(evaluator& ev, const value& v, const call_args& a) { return select_or_reject(ev, v, a, false, false); }
value f_selectattr(evaluator& ev, const value& v, const call_args& a) { return select_or_reject(ev, v, a, true, true); }
value f_rejectattr(evaluator& ev, const value& v, const call_args& a) { return select_or_reject(ev, v, a, false, true); }

// Stable sort of `items` by precomputed `keys` (Python sorted(key=..., reverse=...)).
std::vector<value> sorted_by(std::vector<value> items, const std::vector<value>& keys, bool reverse) {
  std::vector<size_t> order(items.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return reverse ? py_compare(keys[b], keys[a]) == -1 : py_compare(keys[a], keys[b]) == -1;
  });
  std::vector<value> out;
  out.reserve(items.size());
  for (size_t i : order) out.push_back(items[i]);
  return out;
}

value f_sort(evaluator& ev, const value& v, const call_args& args) {
  const arg_reader r("sort", args, {"reverse", "case_sensitive", "attribute"});
  const bool reverse = r.has(0) && truthy(r.get(0));
  const bool case_sensitive = r.has(1) && truthy(r.get(1));
  const value attribute = r.get_or(2, value::none());
  std::vector<value> items = ev.iterate(v);
  std::vector<value> keys;
  keys.reserve(items.size());
  std::vector<value> parts;
  if (attribute.is_string()) {
    for (std::string_view p : py_split(attribute.sv(), std::string_view(","), -1, false)) parts.push_back(ev.str(p));
  } else if (!attribute.is_none()) {
    parts.push_back(attribute);
  }
  for (const value& item : items) {
    std::vector<value> key;
    if (parts.empty()) {
      key.push_back(case_sensitive ? item : ignore_case(ev, item));
    } else {
      for (const value& p : parts) {
        const value x = ev.attribute_path(item, p);
        key.push_back(case_sensitive ? x : ignore_case(ev, x));
      }
    }
    keys.push_back(ev.mem().list(std::move(key)));
  }
  return ev.mem().list(sorted_by(std::move(items), keys, reverse));
}

value f_dictsort(evaluator& ev, const value& v, const call_args& args) {
  const arg_reader r("dictsort", args, {"case_sensitive", "by", "reverse"});
  const bool case_sensitive = r.has(0) && truthy(r.get(0));
  const std::string by = r.has(1) ? to_str(r.get(1)) : "key";
  const bool reverse = r.has(2) && truthy(r.get(2));
  if (by != "key" && by != "value") fail(error_kind::value_error, "You can only sort by either \"key\" or \"value\"");
  if (!v.is_dict()) type_error(std::string("'") + type_name(v) + "' object has no attribute 'items'");
  std::vector<value> items;
  std::vector<value> keys;
  for (const auto& [k, x] : v.dict().entries) {
    items.push_back(ev.mem().tuple({k, x}));
    const value key = by == "key" ? k : x;
    keys.push_back(case_sensitive ? key : ignore_case(ev, key));
  }
  return ev.mem().list(sorted_by(std::move(items), keys, reverse));
}

value f_unique(evaluator& ev, const value& v, const call_args& args) {
  const arg_reader r("unique", args, {"case_sensitive", "attribute"});
  const bool case_sensitive = r.has(0) && truthy(r.get(0));
  const value attribute = r.get_or(1, value::none());
  std::vector<value> out;
  std::unordered_set<std::string_view> seen_strings;  // views into `seen_keys`
  std::vector<value> seen_keys;
  std::vector<value> seen_other;
  std::vector<value> storage;
  for (const value& item : ev.iterate_ref(v, storage)) {
    value key = attribute.is_none() ? item : ev.attribute_path(item, attribute);
    if (!case_sensitive) key = ignore_case(ev, key);
    if (key.is_string()) {
      if (seen_strings.count(key.sv()) != 0) continue;
      seen_keys.push_back(key);
      seen_strings.insert(seen_keys.back().sv());
    } else {
      if (key.is_list() || key.is_dict() || key.is_ns()) type_error(std::string("unhashable type: '") + type_name(key) + "'");
      bool dup = false;
      for (const value& s : seen_other) dup = dup || py_equal(s, key);
      if (dup) continue;
      seen_other.push_back(key);
    }
    out.push_back(item);
  }
  return ev.mem().generator(std::move(out), "sync_do_unique");
}

value min_or_max(evaluator& ev, const value& v, const call_args& args, bool want_max, const char* name) {
  const arg_reader r(name, args, {"case_sensitive", "attribute"});
  const bool case_sensitive = r.has(0) && truthy(r.get(0));
  const value attribute = r.get_or(1, value::none());
  std::vector<value> storage;
  const std::vector<value>& items = ev.iterate_ref(v, storage);
  if (items.empty()) {
    static const str_obj message(std::string("No aggregated item, sequence was empty."));
    return value::undefined(&message, value::hint_kind::message);
  }
  auto key_of = [&](const value& item) {
    const value k = attribute.is_none() ? item : ev.attribute_path(item, attribute);
    return case_sensitive ? k : ignore_case(ev, k);
  };
  size_t best = 0;
  value best_key = key_of(items[0]);
  for (size_t i = 1; i < items.size(); ++i) {
    const value k = key_of(items[i]);
    const int c = py_compare(k, best_key);
    if (want_max ? c == 1 : c == -1) {
      best = i;
      best_key = k;
    }
  }
  return items[best];
}

value f_min(evaluator& ev, const value& v, const call_args& a) { return min_or_max(ev, v, a, false, "min"); }
value f_max(evaluator& ev, const value& v, const call_args& a) { return min_or_max(ev, v, a, true, "max"); }

value f_sum(evaluator& ev, const value& v, const call_args& args) {
  const arg_reader r("sum", args, {"attribute", "start"});
  const value attribute = r.get_or(0, value::none());
  value total = r.get_or(1, value::integer(0));
  if (total.is_string()) type_error("sum() can't sum strings [use ''.join(seq) instead]");
  std::vector<value> storage;
  for (const value& item : ev.iterate_ref(v, storage)) {
    total = binary_arith(ev, binary_op::add, total, attribute.is_none() ? item : ev.attribute_path(item, attribute));
  }
  return total;
}

value f_reverse(evaluator& ev, const value& v, const call_args&) {
  if (v.is_string()) {
    const std::string_view s = v.sv();
    std::string out;
    out.reserve(s.size());
    size_t pos = s.size();
    while (pos > 0) {
      const size_t end = pos;
      utf8_prev(s, pos);
      out.append(s, pos, end - pos);
    }
    return ev.str(std::move(out));
  }
  if (v.kind() == value_kind::generator) {
    std::vector<value> items = ev.iterate(v);
    std::reverse(items.begin(), items.end());
    return ev.mem().list(std::move(items));
  }
  if (!(v.is_sequence_like() || v.is_dict() || v.is_undefined())) fail(error_kind::type_error, "argument must be iterable");
  std::vector<value> items = ev.iterate(v);
  std::reverse(items.begin(), items.end());
  return ev.mem().generator(std::move(items), v.is_dict() ? "dict_reversekeyiterator" : "list_reverseiterator");
}

value f_items(evaluator& ev, const value& v, const call_args&) {
  if (v.is_undefined()) return ev.mem().generator({}, "do_items");
  if (!v.is_dict()) type_error("Can only get item pairs from a mapping.");
  std::vector<value> out;
  for (const auto& [k, x] : v.dict().entries) out.push_back(ev.mem().tuple({k, x}));
  return ev.mem().generator(std::move(out), "do_items");
}

value f_batch(evaluator& ev, const value& v, const call_args& args) {
  const arg_reader r("batch", args, {"linecount", "fill_with"});
  if (!r.has(0)) type_error("batch() missing required argument 'linecount'");
  const int64_t count = int_arg(r.get(0), "linecount");
  const value fill = r.get_or(1, value::none());
  std::vector<value> out;
  std::vector<value> tmp;
  for (const value& item : ev.iterate(v)) {
    if (static_cast<int64_t>(tmp.size()) == count) {
      out.push_back(ev.mem().list(std::move(tmp)));
      tmp.clear();
    }
    tmp.push_back(item);
  }
  if (!tmp.empty()) {
    if (!fill.is_none()) {
      ev.mem().budget().check_value_size(static_cast<uint64_t>(std::max<int64_t>(count, 0)) * sizeof(value), "list");
      while (static_cast<int64_t>(tmp.size()) < count) tmp.push_back(fill);
    }
    out.push_back(ev.mem().list(std::move(tmp)));
  }
  return ev.mem().generator(std::move(out), "do_batch");
}

value f_slice(evaluator& ev, const value& v, const call_args& args) {
  const arg_reader r("slice", args, {"slices", "fill_with"});
  if (!r.has(0)) type_error("slice() missing required argument 'slices'");
  const int64_t slices = int_arg(r.get(0), "slices");
  if (slices == 0) fail(error_kind::value_error, "integer division or modulo by zero");
  if (slices < 0 || slices > (int64_t{1} << 20)) fail(error_kind::value_error, "slice count out of range");
  const value fill = r.get_or(1, value::none());
  const std::vector<value> seq = ev.iterate(v);
  const auto length = static_cast<int64_t>(seq.size());
  const int64_t per = length / slices;
  const int64_t with_extra = length % slices;
  int64_t offset = 0;
  std::vector<value> out;
  for (int64_t n = 0; n < slices; ++n) {
    const int64_t start = offset + n * per;
    if (n < with_extra) ++offset;
    const int64_t end = offset + (n + 1) * per;
    std::vector<value> tmp(seq.begin() + start, seq.begin() + end);
    if (!fill.is_none() && n >= with_extra) tmp.push_back(fill);
    out.push_back(ev.mem().list(std::move(tmp)));
  }
  return ev.mem().generator(std::move(out), "do_slice");
}

value f_groupby(evaluator& ev, const value& v, const call_args& args) {
  const arg_reader r("groupby", args, {"attribute", "default", "case_sensitive"});
  if (!r.has(0)) type_error("groupby() missing required argument 'attribute'");
  const value attribute = r.get(0);
  const value fallback = r.get_or(1, value::none());
  const bool case_sensitive = r.has(2) && truthy(r.get(2));
  auto raw_key = [&](const value& item) {
    value k = ev.attribute_path(item, attribute);
    if (k.is_undefined() && !fallback.is_none()) k = fallback;
    return k;
  };
  std::vector<value> items = ev.iterate(v);
  std::vector<value> keys;
  for (const value& item : items) keys.push_back(case_sensitive ? raw_key(item) : ignore_case(ev, raw_key(item)));
  std::vector<size_t> order(items.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return py_compare(keys[a], keys[b]) == -1; });
  std::vector<value> out;
  size_t i = 0;
  while (i < order.size()) {
    std::vector<value> group;
    const value key = keys[order[i]];
    size_t j = i;
    while (j < order.size() && py_equal(keys[order[j]], key)) group.push_back(items[order[j++]]);
    const value grouper = case_sensitive ? key : raw_key(group.front());
    out.push_back(ev.mem().tuple({grouper, ev.mem().list(std::move(group))}));
    i = j;
  }
  return ev.mem().list(std::move(out));
}

struct entry {
  std::string_view name;
  filter_fn fn;
};

const entry sequence_filters[] = {
    {"batch", f_batch},       {"count", f_length},   {"dictsort", f_dictsort},     {"first", f_first},
    {"groupby", f_groupby},   {"items", f_items},    {"join", f_join},             {"last", f_last},
    {"length", f_length},     {"list", f_list},      {"map", f_map},               {"max", f_max},
    {"min", f_min},           {"reject", f_reject},  {"rejectattr", f_rejectattr}, {"reverse", f_reverse},
    {"select", f_select},     {"selectattr", f_selectattr}, {"slice", f_slice},    {"sort", f_sort},
    {"sum", f_sum},           {"unique", f_unique},
};

}  // namespace

filter_fn find_sequence_filter(std::string_view name) {
  for (const entry& e : sequence_filters) {
    if (e.name == name) return e.fn;
  }
  return nullptr;
}

}  // namespace plexus::chat::jinja
