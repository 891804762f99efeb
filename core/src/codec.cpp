#include "vigia/core/codec.h"

#include <simdjson.h>

namespace vigia {
namespace {

using simdjson::dom::element;
using simdjson::dom::object;

void write_optional_time(JsonWriter& w, std::string_view name, const std::optional<Timestamp>& t) {
  if (t) w.field(name, format_rfc3339(*t));
}

void write_strings(JsonWriter& w, std::string_view name, const std::vector<std::string>& values) {
  w.key(name).begin_array();
  for (const auto& v : values) w.value(v);
  w.end_array();
}

// A field decoder that remembers the first problem so callers can read many fields and check once.
class ObjectReader {
 public:
  ObjectReader(object obj, std::string where) : obj_(obj), where_(std::move(where)) {}

  void string(const char* key, std::string& out) {
    element e;
    if (lookup(key, e)) as_string(key, e, out);
  }

  void as_string(std::string_view key, element e, std::string& out) {
    std::string_view sv;
    if (e.get_string().get(sv) != simdjson::SUCCESS) return type_error(key, "a string");
    out.assign(sv);
  }

  void strings(const char* key, std::vector<std::string>& out) {
    element e;
    if (lookup(key, e)) as_strings(key, e, out);
  }

  void as_strings(std::string_view key, element e, std::vector<std::string>& out) {
    simdjson::dom::array arr;
    if (e.get_array().get(arr) != simdjson::SUCCESS) return type_error(key, "an array of strings");
    for (element v : arr) {
      std::string_view sv;
      if (v.get_string().get(sv) != simdjson::SUCCESS) return type_error(key, "an array of strings");
      out.emplace_back(sv);
    }
  }

  // Unparseable dates are dropped rather than failing the record: scoring does not need them.
  void as_time(std::string_view key, element e, std::optional<Timestamp>& out) {
    std::string_view text;
    if (e.get_string().get(text) != simdjson::SUCCESS) return type_error(key, "a string");
    if (!text.empty()) out = parse_rfc3339(text);
  }

  void number(const char* key, double& out) {
    element e;
    if (!lookup(key, e)) return;
    if (e.is_double()) {
      out = e.get_double().value_unsafe();
    } else if (e.is_int64()) {
      out = static_cast<double>(e.get_int64().value_unsafe());
    } else if (e.is_uint64()) {
      out = static_cast<double>(e.get_uint64().value_unsafe());
    } else {
      type_error(key, "a number");
    }
  }

  void size(const char* key, std::size_t& out) {
    element e;
    if (!lookup(key, e)) return;
    std::uint64_t v = 0;
    if (e.get_uint64().get(v) != simdjson::SUCCESS) return type_error(key, "a non-negative integer");
    out = static_cast<std::size_t>(v);
  }

  void as_boolean(std::string_view key, element e, bool& out) {
    if (e.get_bool().get(out) != simdjson::SUCCESS) type_error(key, "a boolean");
  }

  bool child_object(const char* key, object& out) {
    element e;
    if (!lookup(key, e)) return false;
    if (e.get_object().get(out) != simdjson::SUCCESS) {
      type_error(key, "an object");
      return false;
    }
    return true;
  }

  bool child_array(const char* key, simdjson::dom::array& out) {
    element e;
    if (!lookup(key, e)) return false;
    if (e.get_array().get(out) != simdjson::SUCCESS) {
      type_error(key, "an array");
      return false;
    }
    return true;
  }

  void fail(Error e) {
    if (!error_) error_ = std::move(e);
  }
  const std::optional<Error>& error() const { return error_; }
  const std::string& where() const { return where_; }

 private:
  bool lookup(const char* key, element& out) {
    if (obj_[key].get(out) != simdjson::SUCCESS) return false;
    return !out.is_null();
  }
  void type_error(std::string_view key, const char* expected) {
    fail(make_error("schema", where_ + "." + std::string(key) + " must be " + expected));
  }

  object obj_;
  std::string where_;
  std::optional<Error> error_;
};

Result<object> parse_root(simdjson::dom::parser& parser, std::string_view json) {
  element root;
  if (auto err = parser.parse(json.data(), json.size()).get(root); err != simdjson::SUCCESS) {
    return make_error("json", std::string("invalid JSON: ") + simdjson::error_message(err));
  }
  object obj;
  if (root.get_object().get(obj) != simdjson::SUCCESS) return make_error("schema", "a record must be a JSON object");
  element v;
  if (obj["v"].get(v) == simdjson::SUCCESS && !v.is_null()) {
    std::int64_t version = 0;
    if (v.get_int64().get(version) != simdjson::SUCCESS) return make_error("schema", "\"v\" must be an integer");
    if (version < 1 || version > kContractVersion) {
      return make_error("version", "unsupported contract version " + std::to_string(version) + " (this build reads up to " +
                                       std::to_string(kContractVersion) + ")");
    }
  }
  return obj;
}

// One pass over the object's fields: keyed lookups would each scan them again, and items are
// decoded once per record on the scorer's hot path.
void read_item(object obj, ObjectReader& r, Item& item) {
  for (const auto field : obj) {
    const std::string_view k = field.key;
    const element v = field.value;
    if (v.is_null()) continue;
    if (k == "title") r.as_string(k, v, item.title);
    else if (k == "summary") r.as_string(k, v, item.summary);
    else if (k == "content") r.as_string(k, v, item.content);
    else if (k == "id") r.as_string(k, v, item.id);
    else if (k == "url") r.as_string(k, v, item.url);
    else if (k == "source") r.as_string(k, v, item.source);
    else if (k == "connector") r.as_string(k, v, item.connector);
    else if (k == "lang") r.as_string(k, v, item.lang);
    else if (k == "published") r.as_time(k, v, item.published);
    else if (k == "fetched") r.as_time(k, v, item.fetched);
    else if (k == "published_is_fetch_time") r.as_boolean(k, v, item.published_is_fetch_time);
    else if (k == "authors") r.as_strings(k, v, item.authors);
    else if (k == "tags") r.as_strings(k, v, item.tags);
  }
}

// Terms (a hit's matched terms, an alert's snippets) from `arr`; the first problem, if any.
std::optional<Error> read_terms(simdjson::dom::array arr, const std::string& where, std::vector<Term>& out) {
  for (element te : arr) {
    object to;
    if (te.get_object().get(to) != simdjson::SUCCESS) return make_error("schema", where + " must be objects");
    ObjectReader tr(to, where);
    Term t;
    tr.string("pattern", t.pattern);
    tr.string("field", t.field);
    tr.size("start", t.start);
    tr.size("end", t.end);
    tr.string("snippet", t.snippet);
    if (tr.error()) return *tr.error();
    out.push_back(std::move(t));
  }
  return std::nullopt;
}

simdjson::dom::parser& thread_parser() {
  thread_local simdjson::dom::parser parser;
  return parser;
}

}  // namespace

void write_item(JsonWriter& w, const Item& item) {
  w.begin_object();
  w.field("v", kContractVersion);
  w.field("id", item.id);
  w.field("source", item.source);
  w.field("connector", item.connector);
  w.field("url", item.url);
  w.field("title", item.title);
  w.field("summary", item.summary);
  w.field("content", item.content);
  w.field("lang", item.lang);
  write_optional_time(w, "published", item.published);
  if (item.published_is_fetch_time) w.field("published_is_fetch_time", true);
  write_optional_time(w, "fetched", item.fetched);
  write_strings(w, "authors", item.authors);
  write_strings(w, "tags", item.tags);
  w.end_object();
}

void write_terms(JsonWriter& w, const std::vector<Term>& terms) {
  w.begin_array();
  for (const auto& t : terms) {
    w.begin_object();
    w.field("pattern", t.pattern);
    w.field("field", t.field);
    w.field("start", static_cast<std::uint64_t>(t.start));
    w.field("end", static_cast<std::uint64_t>(t.end));
    w.field("snippet", t.snippet);
    w.end_object();
  }
  w.end_array();
}

void write_match(JsonWriter& w, const Match& m) {
  w.begin_object();
  w.field("rule", m.rule);
  w.field("title", m.title);
  w.field("category", m.category);
  w.field("severity", m.severity);
  w.field("score", m.score);
  w.key("terms");
  write_terms(w, m.terms);
  if (!m.breakdown.empty()) {
    w.key("breakdown").begin_object();
    for (const auto& [pattern, points] : m.breakdown) w.field(pattern, points);
    w.end_object();
  }
  if (!m.tags.empty()) write_strings(w, "tags", m.tags);
  w.end_object();
}

void write_entities(JsonWriter& w, const Entities& entities) {
  w.begin_object();
  for (const auto& [list, names] : entities) write_strings(w, list, names);
  w.end_object();
}

std::string encode_item(const Item& item) {
  JsonWriter w;
  write_item(w, item);
  return w.take();
}

std::string encode_hit(const Hit& hit) {
  JsonWriter w;
  w.begin_object();
  w.field("v", kContractVersion);
  w.key("item");
  write_item(w, hit.item);
  w.key("matches").begin_array();
  for (const auto& m : hit.matches) write_match(w, m);
  w.end_array();
  w.key("entities");
  write_entities(w, hit.entities);
  w.end_object();
  return w.take();
}

std::string encode_alert(const Alert& a) {
  JsonWriter w;
  w.begin_object();
  w.field("v", kContractVersion);
  w.field("id", a.id);
  w.field("rule", a.rule);
  w.field("title", a.title);
  w.field("severity", a.severity);
  w.field("score", a.score);
  w.field("category", a.category);
  w.field("sequence", a.sequence);
  write_strings(w, "tags", a.tags);
  w.key("item").begin_object();
  w.field("id", a.item.id);
  w.field("title", a.item.title);
  w.field("url", a.item.url);
  w.field("source", a.item.source);
  write_optional_time(w, "published", a.item.published);
  write_optional_time(w, "fetched", a.item.fetched);
  w.end_object();
  w.key("snippets");
  write_terms(w, a.snippets);
  w.key("entities");
  write_entities(w, a.entities);
  w.key("story").begin_object();
  w.field("id", a.story.id);
  w.field("source_count", static_cast<std::uint64_t>(a.story.sources.size()));
  write_strings(w, "sources", a.story.sources);
  w.end_object();
  w.field("first_seen", format_rfc3339(a.first_seen));
  w.field("last_seen", format_rfc3339(a.last_seen));
  w.end_object();
  return w.take();
}

Result<Item> decode_item(std::string_view json) {
  auto root = parse_root(thread_parser(), json);
  if (!root) return root.error();
  ObjectReader r(*root, "item");
  Item item;
  read_item(*root, r, item);
  if (r.error()) return *r.error();
  return item;
}

Result<Alert> decode_alert(std::string_view json) {
  auto root = parse_root(thread_parser(), json);
  if (!root) return root.error();
  ObjectReader r(*root, "alert");
  Alert a;
  r.string("id", a.id);
  r.string("rule", a.rule);
  r.string("title", a.title);
  r.string("severity", a.severity);
  r.number("score", a.score);
  r.string("category", a.category);
  std::size_t sequence = 1;
  r.size("sequence", sequence);
  a.sequence = sequence;
  r.strings("tags", a.tags);
  if (object item; r.child_object("item", item)) {
    ObjectReader ir(item, "alert.item");
    ir.string("id", a.item.id);
    ir.string("title", a.item.title);
    ir.string("url", a.item.url);
    ir.string("source", a.item.source);
    element e;
    if (item["published"].get(e) == simdjson::SUCCESS && !e.is_null()) ir.as_time("published", e, a.item.published);
    if (item["fetched"].get(e) == simdjson::SUCCESS && !e.is_null()) ir.as_time("fetched", e, a.item.fetched);
    if (ir.error()) return *ir.error();
  }
  if (simdjson::dom::array snippets; r.child_array("snippets", snippets)) {
    if (auto problem = read_terms(snippets, "alert.snippets[]", a.snippets)) return *problem;
  }
  if (object entities; r.child_object("entities", entities)) {
    ObjectReader er(entities, "alert.entities");
    for (auto [list, value] : entities) {
      std::vector<std::string> names;
      er.as_strings(list, value, names);
      a.entities.emplace(std::string(list), std::move(names));
    }
    if (er.error()) return *er.error();
  }
  if (object story; r.child_object("story", story)) {
    ObjectReader sr(story, "alert.story");
    sr.string("id", a.story.id);
    sr.strings("sources", a.story.sources);
    if (sr.error()) return *sr.error();
  }
  for (auto [key, out] : {std::pair{"first_seen", &a.first_seen}, std::pair{"last_seen", &a.last_seen}}) {
    element e;
    std::optional<Timestamp> t;
    if ((*root)[key].get(e) == simdjson::SUCCESS && !e.is_null()) r.as_time(key, e, t);
    if (t) *out = *t;
  }
  if (r.error()) return *r.error();
  if (a.id.empty()) return make_error("schema", "alert.id is missing");
  return a;
}

Result<Hit> decode_hit(std::string_view json) {
  auto root = parse_root(thread_parser(), json);
  if (!root) return root.error();
  ObjectReader top(*root, "hit");
  Hit hit;
  object item_obj;
  if (!top.child_object("item", item_obj)) {
    if (top.error()) return *top.error();
    return make_error("schema", "hit.item is missing");
  }
  ObjectReader ir(item_obj, "hit.item");
  read_item(item_obj, ir, hit.item);
  if (ir.error()) return *ir.error();

  simdjson::dom::array matches;
  if (top.child_array("matches", matches)) {
    for (element me : matches) {
      object mo;
      if (me.get_object().get(mo) != simdjson::SUCCESS) return make_error("schema", "hit.matches[] must be objects");
      ObjectReader mr(mo, "hit.matches[]");
      Match m;
      mr.string("rule", m.rule);
      mr.string("title", m.title);
      mr.string("category", m.category);
      mr.string("severity", m.severity);
      mr.number("score", m.score);
      simdjson::dom::array terms;
      if (mr.child_array("terms", terms)) {
        if (auto problem = read_terms(terms, "hit.matches[].terms[]", m.terms)) return *problem;
      }
      object breakdown;
      if (mr.child_object("breakdown", breakdown)) {
        for (const auto field : breakdown) {
          double points = 0;
          if (field.value.get_double().get(points) != simdjson::SUCCESS) {
            std::int64_t whole = 0;
            if (field.value.get_int64().get(whole) != simdjson::SUCCESS) {
              return make_error("schema", "hit.matches[].breakdown values must be numbers");
            }
            points = static_cast<double>(whole);
          }
          m.breakdown.emplace_back(std::string(field.key), points);
        }
      }
      mr.strings("tags", m.tags);
      if (mr.error()) return *mr.error();
      hit.matches.push_back(std::move(m));
    }
  }
  object entities;
  if (top.child_object("entities", entities)) {
    ObjectReader er(entities, "hit.entities");
    for (auto [list, value] : entities) {
      std::vector<std::string> names;
      er.strings(std::string(list).c_str(), names);
      hit.entities.emplace(std::string(list), std::move(names));
    }
    if (er.error()) return *er.error();
  }
  if (top.error()) return *top.error();
  return hit;
}

}  // namespace vigia
