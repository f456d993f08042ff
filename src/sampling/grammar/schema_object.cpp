// JSON Schema -> GBNF: objects, arrays and local $ref.
#include <map>
#include <memory>
#include <set>

#include "core/utf8.h"
#include "sampling/grammar/schema_compiler.h"
#include "sampling/grammar/schema_internal.h"

namespace plexus::sampling::grammar::schema {
namespace {

const std::string kComma = "\",\" ";

std::string unescape_pointer_token(const std::string& t) {
  std::string out;
  for (size_t i = 0; i < t.size(); ++i) {
    if (t[i] == '~' && i + 1 < t.size() && (t[i + 1] == '0' || t[i + 1] == '1')) {
      out.push_back(t[i + 1] == '0' ? '~' : '/');
      ++i;
    } else {
      out.push_back(t[i]);
    }
  }
  return out;
}

// {a,b} with b == UINT64_MAX meaning unbounded, as a GBNF suffix.
std::string repetition(uint64_t a, uint64_t b) {
  if (b == UINT64_MAX && a == 0) return "*";
  std::string out = "{";  // appended piecewise: g++ 12 warns (-Wrestrict) on "lit" + std::string
  out += std::to_string(a);
  if (b == UINT64_MAX) {
    out += ",";
  } else if (b != a) {
    out += ",";
    out += std::to_string(b);
  }
  out += "}";
  return out;
}

}  // namespace

Result<const json*> SchemaCompiler::resolve(const std::string& ref) const {
  if (ref.empty() || ref[0] != '#') {
    return unsupported("json schema: $ref '" + ref + "': only local references (#/...) are supported");
  }
  const json* cur = &root_;
  if (ref.size() == 1) return cur;
  if (ref[1] != '/') return unsupported("json schema: $ref '" + ref + "': anchors are not supported");
  size_t start = 2;
  while (start <= ref.size()) {
    size_t end = ref.find('/', start);
    if (end == std::string::npos) end = ref.size();
    const std::string token = unescape_pointer_token(ref.substr(start, end - start));
    if (cur->is_object()) {
      auto it = cur->find(token);
      if (it == cur->end()) return not_found("json schema: $ref '" + ref + "': no '" + token + "'");
      cur = &*it;
    } else if (cur->is_array()) {
      size_t index = 0;
      if (token.empty() || token.size() > 9 || token.find_first_not_of("0123456789") != std::string::npos ||
          (index = std::stoul(token)) >= cur->size()) {
        return not_found("json schema: $ref '" + ref + "': bad array index '" + token + "'");
      }
      cur = &(*cur)[index];
    } else {
      return not_found("json schema: $ref '" + ref + "': '" + token + "' inside a non-container");
    }
    start = end + 1;
  }
  return cur;
}

Result<std::string> SchemaCompiler::visit_ref(const std::string& ref, const std::string& path, uint32_t depth) {
  if (auto it = refs_.find(ref); it != refs_.end()) return it->second;
  PLEXUS_ASSIGN_OR_RETURN(const json* target, resolve(ref));
  const size_t slash = ref.rfind('/');
  const std::string hint = slash == std::string::npos ? "root-ref" : ref.substr(slash + 1);
  const std::string name = unique_name(hint.empty() ? "ref" : hint);
  refs_.emplace(ref, name);  // before visiting: recursive references resolve to this name
  PLEXUS_ASSIGN_OR_RETURN(std::string inner, visit(*target, name, ref, depth + 1));
  PLEXUS_RETURN_IF_ERROR(define(name, inner));
  return name;
}

Result<std::string> SchemaCompiler::visit_array(const json& s, const std::string& name, const std::string& path,
                                                uint32_t depth) {
  auto count = [&](const char* key, uint64_t fallback) -> Result<uint64_t> {
    auto it = s.find(key);
    if (it == s.end()) return fallback;
    if (!it->is_number_unsigned() && !(it->is_number_integer() && it->get<int64_t>() >= 0)) {
      return invalid_argument("json schema: " + path + "/" + key + " must be a non-negative integer");
    }
    return it->get<uint64_t>();
  };
  PLEXUS_ASSIGN_OR_RETURN(uint64_t min, count("minItems", 0));
  PLEXUS_ASSIGN_OR_RETURN(uint64_t max, count("maxItems", UINT64_MAX));
  if (min > max) return invalid_argument("json schema: " + path + ": minItems > maxItems");
  if (min > opt_.max_repetition) {
    return out_of_range("json schema: " + path + ": minItems " + std::to_string(min) + " above the limit " +
                        std::to_string(opt_.max_repetition));
  }
  if (max != UINT64_MAX) max = std::min<uint64_t>(max, opt_.max_repetition);
  const std::string ws = primitive("ws");

  // Tuple form: prefixItems (2020-12) or an items array (draft 4); the rest is allowed only when
  // a schema for it is given explicitly (items / additionalItems).
  const json* prefix = nullptr;
  const json* rest = nullptr;
  std::string rest_path;
  const json kTrue = true;
  const auto items = s.find("items");
  if (auto it = s.find("prefixItems"); it != s.end() && it->is_array()) {
    prefix = &*it;
    if (items != s.end()) {
      rest = &*items;
      rest_path = path + "/items";
    }
  } else if (items != s.end() && items->is_array()) {
    prefix = &*items;
    if (auto more = s.find("additionalItems"); more != s.end()) {
      rest = &*more;
      rest_path = path + "/additionalItems";
    }
  } else {
    rest = items != s.end() ? &*items : &kTrue;
    rest_path = path + "/items";
  }
  if (rest != nullptr && rest->is_boolean() && !rest->get<bool>()) rest = nullptr;

  if (prefix == nullptr || prefix->empty()) {
    if (rest == nullptr || max == 0) {
      if (min > 0) return invalid_argument("json schema: " + path + ": minItems cannot be met (no items allowed)");
      return add_rule(name, "\"[\" " + ws + " \"]\" " + ws);
    }
    PLEXUS_ASSIGN_OR_RETURN(std::string item, visit(*rest, name + "-item", rest_path, depth + 1));
    std::string list = item;
    const uint64_t tail_min = min > 0 ? min - 1 : 0;
    const uint64_t tail_max = max == UINT64_MAX ? UINT64_MAX : max - 1;
    if (tail_max > 0) list += " (" + kComma + ws + " " + item + ")" + repetition(tail_min, tail_max);
    const std::string body = min == 0 ? "\"[\" " + ws + " (" + list + ")? \"]\" " + ws
                                      : "\"[\" " + ws + " " + list + " \"]\" " + ws;
    return add_rule(name, body);
  }

  const uint64_t k = prefix->size();
  const uint64_t k_eff = std::min(k, max);
  const bool rest_possible = rest != nullptr && k_eff == k && (max == UINT64_MAX || max > k);
  if (min > k_eff && !rest_possible) {
    return invalid_argument("json schema: " + path + ": minItems cannot be met by the tuple items");
  }
  std::vector<std::string> item_rules;
  for (uint64_t j = 0; j < k_eff; ++j) {
    PLEXUS_ASSIGN_OR_RETURN(std::string item, visit((*prefix)[j], name + "-" + std::to_string(j),
                                                    path + "/prefixItems/" + std::to_string(j), depth + 1));
    item_rules.push_back(item);
  }
  std::string tail;
  if (rest_possible) {
    PLEXUS_ASSIGN_OR_RETURN(std::string item, visit(*rest, name + "-rest", rest_path, depth + 1));
    const uint64_t rmin = min > k ? min - k : 0;
    const uint64_t rmax = max == UINT64_MAX ? UINT64_MAX : max - k;
    tail = "(" + kComma + ws + " " + item + ")" + repetition(rmin, rmax);
  }
  const uint64_t mandatory = std::min(min, k_eff);
  auto sep = [&](uint64_t j) { return j == 0 ? std::string() : kComma + ws + " "; };
  for (uint64_t j = k_eff; j-- > mandatory;) {  // optional items nest: the j-th only after the (j-1)-th
    PLEXUS_ASSIGN_OR_RETURN(tail, add_rule(name + "-tail", sep(j) + item_rules[j] + (tail.empty() ? "" : " " + tail) + " | \"\""));
  }
  for (uint64_t j = mandatory; j-- > 0;) tail = sep(j) + item_rules[j] + (tail.empty() ? "" : " " + tail);
  return add_rule(name, "\"[\" " + ws + " " + (tail.empty() ? "" : tail + " ") + "\"]\" " + ws);
}

// Keys other than `names`, spelled with plain characters only (no escapes), so that comparing
// the raw text is comparing the decoded keys. A trie of the names: at each node the key may
// follow a name further, leave every name with another character (then anything), or end if no
// name ends there.
Result<std::string> SchemaCompiler::key_not_in(const std::vector<std::string>& names, const std::string& name) {
  const std::vector<CodeRange> plain = normalize_ranges({{0, 0x1F}, {'"', '"'}, {'\\', '\\'}}, true);
  PLEXUS_ASSIGN_OR_RETURN(std::string kchar, add_rule(name + "-kchar", gbnf_class(plain)));
  struct Node {
    std::map<uint32_t, size_t> children;
    bool terminal = false;
  };
  std::vector<Node> trie(1);
  for (const std::string& n : names) {
    size_t node = 0, pos = 0;
    uint32_t cp = 0;
    bool plain_only = true;
    std::vector<uint32_t> cps;
    while (pos < n.size() && utf8::decode(n, pos, cp)) {
      if (cp < 0x20 || cp == '"' || cp == '\\') plain_only = false;
      cps.push_back(cp);
    }
    if (!plain_only || pos != n.size()) continue;  // never spelled by plain characters anyway
    for (uint32_t c : cps) {
      auto [it, inserted] = trie[node].children.try_emplace(c, trie.size());
      if (inserted) trie.emplace_back();
      node = it->second;
    }
    trie[node].terminal = true;
  }
  // Post-order: children get their rules first.
  std::vector<std::string> rule_of(trie.size());
  std::vector<std::pair<size_t, bool>> stack = {{0, false}};
  while (!stack.empty()) {
    auto [node, expanded] = stack.back();
    stack.pop_back();
    if (!expanded) {
      stack.push_back({node, true});
      for (const auto& [c, child] : trie[node].children) stack.push_back({child, false});
      continue;
    }
    std::vector<std::string> alts;
    std::vector<CodeRange> used;
    for (const auto& [c, child] : trie[node].children) {
      std::string lit;
      utf8::append(lit, c);
      alts.push_back(gbnf_literal(lit) + " " + rule_of[child]);
      used.push_back({c, c});
    }
    std::vector<CodeRange> other;  // plain minus used
    {
      const std::vector<CodeRange> not_used = normalize_ranges(used, true);
      size_t i = 0, j = 0;
      while (i < plain.size() && j < not_used.size()) {
        const uint32_t lo = std::max(plain[i].lo, not_used[j].lo), hi = std::min(plain[i].hi, not_used[j].hi);
        if (lo <= hi) other.push_back({lo, hi});
        (plain[i].hi < not_used[j].hi) ? ++i : ++j;
      }
    }
    if (!other.empty()) alts.push_back(gbnf_class(other) + " " + kchar + "*");
    if (!trie[node].terminal) alts.push_back("\"\"");
    std::string body;
    for (size_t i = 0; i < alts.size(); ++i) body += (i ? " | " : "") + alts[i];
    PLEXUS_ASSIGN_OR_RETURN(rule_of[node], add_rule(name + "-key", body));
  }
  return add_rule(name + "-addkey", "\"\\\"\" " + rule_of[0] + " \"\\\"\" " + primitive("ws"));
}

Result<std::string> SchemaCompiler::visit_object(const json& s, const std::string& name, const std::string& path,
                                                 uint32_t depth) {
  const std::string ws = primitive("ws");
  std::vector<std::pair<std::string, const json*>> props;
  if (auto it = s.find("properties"); it != s.end()) {
    if (!it->is_object()) return invalid_argument("json schema: " + path + "/properties must be an object");
    for (const auto& [key, sub] : it->items()) props.push_back({key, &sub});
  }
  std::vector<std::string> required_names;
  std::set<std::string> required;
  if (auto it = s.find("required"); it != s.end()) {
    if (!it->is_array()) return invalid_argument("json schema: " + path + "/required must be an array");
    for (const json& r : *it) {
      if (!r.is_string()) return invalid_argument("json schema: " + path + "/required entries must be strings");
      if (required.insert(r.get<std::string>()).second) required_names.push_back(r.get<std::string>());
    }
  }
  // Additional properties: absent means none when `properties` is given (like llama.cpp),
  // any otherwise; false: none; true or a schema: allowed after the declared ones.
  const json kTrue = true;
  const json* additional = nullptr;
  if (auto it = s.find("additionalProperties"); it != s.end()) {
    if (!(it->is_boolean() && !it->get<bool>())) additional = &*it;
  } else if (!s.contains("properties")) {
    additional = &kTrue;
  }
  if (props.empty() && required.empty() && additional != nullptr && *additional == kTrue) return primitive("object");

  auto kv = [&](const std::string& key, const json& sub, const std::string& sub_path) -> Result<std::string> {
    PLEXUS_ASSIGN_OR_RETURN(std::string value, visit(sub, name + "-" + key, sub_path, depth + 1));
    return add_rule(name + "-" + key + "-kv", gbnf_literal(json(key).dump()) + " " + ws + " \":\" " + ws + " " + value);
  };
  std::vector<std::string> req_kvs, opt_kvs, declared;
  std::set<std::string> in_props;
  for (const auto& [key, sub] : props) {
    in_props.insert(key);
    declared.push_back(key);
    PLEXUS_ASSIGN_OR_RETURN(std::string r, kv(key, *sub, path + "/properties/" + key));
    (required.count(key) ? req_kvs : opt_kvs).push_back(r);
  }
  for (const std::string& key : required_names) {
    if (in_props.count(key)) continue;
    if (s.contains("additionalProperties") && additional == nullptr) {
      return invalid_argument("json schema: " + path + ": required property '" + key +
                              "' is not declared and additionalProperties is false");
    }
    declared.push_back(key);
    PLEXUS_ASSIGN_OR_RETURN(std::string r, kv(key, additional ? *additional : kTrue, path + "/required/" + key));
    req_kvs.push_back(r);
  }
  std::string add_kv, add_tail;
  if (additional != nullptr) {
    PLEXUS_ASSIGN_OR_RETURN(std::string key, key_not_in(declared, name));
    PLEXUS_ASSIGN_OR_RETURN(std::string value, visit(*additional, name + "-additional", path + "/additionalProperties", depth + 1));
    PLEXUS_ASSIGN_OR_RETURN(add_kv, add_rule(name + "-add-kv", key + " \":\" " + ws + " " + value));
    PLEXUS_ASSIGN_OR_RETURN(add_tail, add_rule(name + "-add-tail", "(" + kComma + ws + " " + add_kv + ")*"));
  }
  // tails[j]: optional properties j.. in order, each after a comma, then additional ones.
  std::vector<std::string> tails(opt_kvs.size() + 1);
  tails[opt_kvs.size()] = add_tail;
  for (size_t j = opt_kvs.size(); j-- > 0;) {
    const std::string& next = tails[j + 1];
    PLEXUS_ASSIGN_OR_RETURN(tails[j], add_rule(name + "-opt", "(" + kComma + ws + " " + opt_kvs[j] + ")?" +
                                                                   (next.empty() ? "" : " " + next)));
  }
  std::string inner;
  if (!req_kvs.empty()) {
    for (size_t i = 0; i < req_kvs.size(); ++i) inner += (i ? " " + kComma + ws + " " : "") + req_kvs[i];
    if (!tails[0].empty()) inner += " " + tails[0];
  } else {
    // The first property present has no comma before it.
    std::string alts;
    for (size_t j = 0; j < opt_kvs.size(); ++j) {
      alts += opt_kvs[j] + (tails[j + 1].empty() ? "" : " " + tails[j + 1]) + " | ";
    }
    if (!add_kv.empty()) alts += add_kv + " " + add_tail + " | ";
    alts += "\"\"";
    PLEXUS_ASSIGN_OR_RETURN(inner, add_rule(name + "-first", alts));
  }
  return add_rule(name, "\"{\" " + ws + " " + inner + " \"}\" " + ws);
}

}  // namespace plexus::sampling::grammar::schema
