// The Grafana dashboard (helm/vigia/dashboards/vigia.json) and the Prometheus alert rules
// (helm/vigia/files/prometheus-rules.yaml, with their promtool unit tests) held to the metrics
// catalogue, docs/metrics.md: a renamed metric or label breaks a panel or silences an alert
// without any error in Grafana or Prometheus, so CI has to notice instead. The PromQL is not
// parsed fully here (promtool does that); a small scanner finds the metric names, the label
// matchers and the grouping labels, which is what drifts.
#include <catch2/catch.hpp>
#include <simdjson.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <functional>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "deploy_util.h"
#include "support/metrics_catalogue.h"
#include "support/process.h"
#include "support/test_paths.h"

using namespace vigia::test;
namespace fs = std::filesystem;

namespace {

using Catalogue = std::map<std::string, CataloguedMetric>;

fs::path dashboard_path() { return source_dir() / "helm" / "vigia" / "dashboards" / "vigia.json"; }
fs::path rules_path() { return source_dir() / "helm" / "vigia" / "files" / "prometheus-rules.yaml"; }
fs::path rules_test_path() { return source_dir() / "helm" / "vigia" / "files" / "prometheus-rules.test.yaml"; }
fs::path monitoring_doc_path() { return source_dir() / "docs" / "monitoring.md"; }

std::string promtool() { return required_tool(VIGIA_PROMTOOL, "prometheus"); }

// Series the rules and dashboard may use besides the catalogue: Prometheus's own per target.
const std::set<std::string> kPrometheusSeries = {"up"};
// Labels Prometheus or the Operator's ServiceMonitor attach to every scraped series.
const std::set<std::string> kTargetLabels = {"job", "instance", "pod", "namespace"};

// --- a PromQL scanner, just enough to find names --------------------------------------------

struct Token {
  enum Kind { kIdent, kString, kNumber, kPunct } kind;
  std::string text;
};

std::vector<Token> tokenize(std::string_view s) {
  std::vector<Token> out;
  std::size_t i = 0;
  auto ident_char = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == ':'; };
  while (i < s.size()) {
    const char c = s[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
    } else if (c == '#') {  // a comment runs to the end of the line
      while (i < s.size() && s[i] != '\n') ++i;
    } else if (c == '"' || c == '\'' || c == '`') {
      std::string text;
      for (++i; i < s.size() && s[i] != c; ++i) {
        if (s[i] == '\\' && c != '`' && i + 1 < s.size()) ++i;
        text += s[i];
      }
      ++i;
      out.push_back({Token::kString, text});
    } else if (c == '$') {  // a Grafana variable ($job, ${job}, $__rate_interval): not PromQL
      ++i;
      if (i < s.size() && s[i] == '{') {
        while (i < s.size() && s[i] != '}') ++i;
        ++i;
      } else {
        while (i < s.size() && ident_char(s[i]) && s[i] != ':') ++i;
      }
    } else if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      std::size_t j = i;
      while (j < s.size() && ident_char(s[j])) ++j;
      out.push_back({Token::kIdent, std::string(s.substr(i, j - i))});
      i = j;
    } else if (std::isdigit(static_cast<unsigned char>(c)) ||
               (c == '.' && i + 1 < s.size() && std::isdigit(static_cast<unsigned char>(s[i + 1])))) {
      std::size_t j = i;  // numbers and durations: 0.95, 1e-3, 5m, 1h30m
      while (j < s.size() && (std::isalnum(static_cast<unsigned char>(s[j])) || s[j] == '.' ||
                              ((s[j] == '-' || s[j] == '+') && (s[j - 1] == 'e' || s[j - 1] == 'E')))) {
        ++j;
      }
      out.push_back({Token::kNumber, std::string(s.substr(i, j - i))});
      i = j;
    } else {
      static const std::vector<std::string> two = {"=~", "!~", "!=", "==", ">=", "<="};
      std::string p(1, c);
      for (const auto& t : two) {
        if (s.substr(i, 2) == t) p = t;
      }
      out.push_back({Token::kPunct, p});
      i += p.size();
    }
  }
  return out;
}

struct Selector {
  std::string name;                         // empty for a bare {…}
  std::vector<std::string> matcher_labels;  // label names in its {…}
};

struct ExprRefs {
  std::vector<Selector> selectors;
  std::vector<std::string> grouping;    // by/without/on/ignoring/group_left/group_right lists
  std::set<std::string> introduced;     // labels label_replace writes
  std::vector<std::string> label_args;  // labels label_replace reads
};

bool is_punct(const std::vector<Token>& t, std::size_t i, std::string_view p) {
  return i < t.size() && t[i].kind == Token::kPunct && t[i].text == p;
}

ExprRefs scan_promql(std::string_view expr) {
  static const std::set<std::string> grouping_keywords = {"by", "without", "on", "ignoring", "group_left",
                                                          "group_right"};
  static const std::set<std::string> keywords = {"and", "or", "unless", "offset", "bool", "atan2", "inf", "nan"};
  // Aggregations may put their by/without clause before the parenthesis: `sum by (x) (…)`.
  static const std::set<std::string> aggregations = {"sum",   "min",      "max",    "avg",    "group",
                                                     "count", "stddev",   "stdvar", "topk",   "bottomk",
                                                     "quantile", "count_values"};
  const std::vector<Token> t = tokenize(expr);
  ExprRefs refs;
  auto read_matchers = [&](std::size_t& i, Selector& sel) {  // i at '{'; leaves i after '}'
    for (++i; i < t.size() && !is_punct(t, i, "}"); ++i) {
      if (t[i].kind == Token::kIdent && i + 1 < t.size() && t[i + 1].kind == Token::kPunct &&
          t[i + 1].text != ",") {
        sel.matcher_labels.push_back(t[i].text);
      }
    }
    ++i;
  };
  for (std::size_t i = 0; i < t.size();) {
    const Token& tok = t[i];
    if (tok.kind == Token::kPunct && tok.text == "{") {
      Selector sel;
      read_matchers(i, sel);
      refs.selectors.push_back(sel);
      continue;
    }
    if (tok.kind != Token::kIdent) {
      ++i;
      continue;
    }
    std::string lower = tok.text;
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
    if (grouping_keywords.count(lower)) {
      ++i;
      if (is_punct(t, i, "(")) {
        for (++i; i < t.size() && !is_punct(t, i, ")"); ++i) {
          if (t[i].kind == Token::kIdent) refs.grouping.push_back(t[i].text);
        }
        ++i;
      }
      continue;
    }
    if (keywords.count(lower) || aggregations.count(tok.text)) {
      ++i;
      continue;
    }
    if (is_punct(t, i + 1, "(")) {  // a function or an aggregation
      if (tok.text == "label_replace") {
        // Its string arguments sit directly inside its parentheses: dst, replacement, src, regex.
        std::vector<std::string> args;
        int depth = 0;
        for (std::size_t j = i + 1; j < t.size(); ++j) {
          if (t[j].kind == Token::kPunct && (t[j].text == "(" || t[j].text == "{" || t[j].text == "[")) ++depth;
          if (t[j].kind == Token::kPunct && (t[j].text == ")" || t[j].text == "}" || t[j].text == "]")) {
            if (--depth == 0) break;
          }
          if (depth == 1 && t[j].kind == Token::kString) args.push_back(t[j].text);
        }
        if (args.size() == 4) {
          refs.introduced.insert(args[0]);
          refs.label_args.push_back(args[2]);
        }
      }
      ++i;
      continue;
    }
    Selector sel{tok.text, {}};
    ++i;
    if (is_punct(t, i, "{")) read_matchers(i, sel);
    refs.selectors.push_back(sel);
  }
  return refs;
}

// The labels a selector's series can carry, or nullopt for a name the catalogue does not know.
std::optional<std::set<std::string>> labels_of(const std::string& name, const Catalogue& catalogue) {
  std::set<std::string> labels = kTargetLabels;
  if (kPrometheusSeries.count(name)) return labels;
  const std::string family = metric_family_of(name, catalogue);
  if (family.empty()) return std::nullopt;
  const auto& entry = catalogue.at(family);
  labels.insert(entry.labels.begin(), entry.labels.end());
  if (family != name && name.size() > 7 && name.compare(name.size() - 7, 7, "_bucket") == 0) labels.insert("le");
  return labels;
}

// Every label an expression's result or its intermediate vectors may carry.
std::set<std::string> labels_available(const ExprRefs& refs, const Catalogue& catalogue) {
  std::set<std::string> out = kTargetLabels;
  for (const auto& sel : refs.selectors) {
    if (auto labels = labels_of(sel.name, catalogue)) out.insert(labels->begin(), labels->end());
  }
  out.insert(refs.introduced.begin(), refs.introduced.end());
  return out;
}

// What is wrong with an expression against the catalogue, one line per problem; empty if nothing.
std::vector<std::string> check_expr(std::string_view expr, const Catalogue& catalogue) {
  std::vector<std::string> problems;
  const ExprRefs refs = scan_promql(expr);
  if (refs.selectors.empty()) problems.push_back("names no metric");
  for (const auto& sel : refs.selectors) {
    if (sel.name.empty()) {
      problems.push_back("a selector without a metric name cannot be checked against the catalogue");
      continue;
    }
    const auto labels = labels_of(sel.name, catalogue);
    if (!labels) {
      problems.push_back("metric " + sel.name + " is not in docs/metrics.md");
      continue;
    }
    for (const auto& label : sel.matcher_labels) {
      if (!labels->count(label)) {
        problems.push_back("label " + label + " is not documented for " + sel.name);
      }
    }
  }
  const std::set<std::string> available = labels_available(refs, catalogue);
  for (const auto& label : refs.grouping) {
    if (!available.count(label)) problems.push_back("grouping label " + label + " is on none of its metrics");
  }
  for (const auto& label : refs.label_args) {
    if (!available.count(label)) problems.push_back("label_replace reads " + label + ", on none of its metrics");
  }
  return problems;
}

std::string join(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += "  " + l + "\n";
  return out;
}

// Grafana's label_values(<selector>, <label>): the label must exist on the selector's metric.
std::vector<std::string> check_variable_query(const std::string& query, const Catalogue& catalogue) {
  static const std::regex label_values(R"(^\s*label_values\(\s*(.*)\s*,\s*([A-Za-z_][A-Za-z0-9_]*)\s*\)\s*$)");
  std::smatch m;
  if (!std::regex_match(query, m, label_values)) return check_expr(query, catalogue);
  const std::string selector = m[1];
  const std::string label = m[2];
  std::vector<std::string> problems = check_expr(selector, catalogue);
  const ExprRefs refs = scan_promql(selector);
  if (!labels_available(refs, catalogue).count(label)) {
    problems.push_back("label_values asks for " + label + ", which its metric does not have");
  }
  return problems;
}

// --- the dashboard, read as Grafana does --------------------------------------------------------

struct DashboardQuery {
  std::string where;  // panel or variable title, for messages
  std::string expr;
};

std::string string_or_empty(simdjson::dom::element e, const char* key) {
  std::string_view v;
  if (e[key].get_string().get(v) != simdjson::SUCCESS) return {};
  return std::string(v);
}

struct Dashboard {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  std::vector<simdjson::dom::element> panels;  // rows and the panels inside collapsed rows included

  Dashboard() {
    const auto error = parser.load(dashboard_path().string()).get(root);
    INFO("parsing " << dashboard_path() << ": " << simdjson::error_message(error));
    REQUIRE(error == simdjson::SUCCESS);
    simdjson::dom::array top;
    REQUIRE(root["panels"].get_array().get(top) == simdjson::SUCCESS);
    for (auto p : top) {
      panels.push_back(p);
      simdjson::dom::array inner;
      if (p["panels"].get_array().get(inner) == simdjson::SUCCESS) {
        for (auto q : inner) panels.push_back(q);
      }
    }
  }

  std::vector<DashboardQuery> panel_queries() const {
    std::vector<DashboardQuery> out;
    for (auto p : panels) {
      simdjson::dom::array targets;
      if (p["targets"].get_array().get(targets) != simdjson::SUCCESS) continue;
      for (auto t : targets) out.push_back({"panel '" + string_or_empty(p, "title") + "'", string_or_empty(t, "expr")});
    }
    simdjson::dom::array annotations;
    if (root["annotations"]["list"].get_array().get(annotations) == simdjson::SUCCESS) {
      for (auto a : annotations) {
        out.push_back({"annotation '" + string_or_empty(a, "name") + "'", string_or_empty(a, "expr")});
      }
    }
    return out;
  }

  std::vector<DashboardQuery> variable_queries() const {
    std::vector<DashboardQuery> out;
    simdjson::dom::array vars;
    if (root["templating"]["list"].get_array().get(vars) != simdjson::SUCCESS) return out;
    for (auto v : vars) {
      if (string_or_empty(v, "type") != "query") continue;
      // Grafana 10 keeps the query in an object; older exports keep a string.
      std::string query = string_or_empty(v["query"], "query");
      if (query.empty()) query = string_or_empty(v, "query");
      out.push_back({"variable '" + string_or_empty(v, "name") + "'", query});
    }
    return out;
  }
};

bool is_variable_ref(std::string_view uid) { return !uid.empty() && uid.front() == '$'; }

// Every "uid" in the tree, with its path: the dashboard's own is the only literal one allowed.
void collect_uids(simdjson::dom::element e, const std::string& path,
                  std::vector<std::pair<std::string, std::string>>& out) {
  // Bound to locals first: a range-for over value_unsafe() of a temporary result reads it after
  // its end (ASan: stack-use-after-scope).
  simdjson::dom::object object;
  simdjson::dom::array array;
  if (!e.get_object().get(object)) {
    for (auto field : object) {
      const std::string key(field.key);
      if (key == "uid" && field.value.is_string()) {
        out.emplace_back(path + "/uid", std::string(field.value.get_string().value_unsafe()));
      }
      collect_uids(field.value, path + "/" + key, out);
    }
  } else if (!e.get_array().get(array)) {
    std::size_t n = 0;
    for (auto item : array) collect_uids(item, path + "/" + std::to_string(n++), out);
  }
}

// The dashboard's PromQL with Grafana's variables replaced by what a user would select.
std::string substitute_grafana_variables(std::string expr) {
  static const std::vector<std::pair<std::string, std::string>> values = {
      {"$__rate_interval", "5m"}, {"$__range", "6h"}, {"$__interval", "1m"}, {"$list", "places_mx"},
      {"$job", ".*"},             {"$instance", ".*"}, {"$feed", ".*"},        {"$category", ".*"},
      {"$rule", ".*"},            {"$sink", ".*"}};
  for (const auto& [var, value] : values) {
    for (std::size_t at = expr.find(var); at != std::string::npos; at = expr.find(var, at + value.size())) {
      expr.replace(at, var.size(), value);
    }
  }
  return expr;
}

// --- the rules ---------------------------------------------------------------------------------

struct AlertRule {
  std::string name;
  YAML::Node node;
};

std::vector<AlertRule> alert_rules() {
  std::vector<AlertRule> out;
  const YAML::Node doc = YAML::LoadFile(rules_path().string());
  for (const auto& group : doc["groups"]) {
    for (const auto& rule : group["rules"]) {
      if (rule["alert"]) out.push_back({rule["alert"].as<std::string>(), rule});
    }
  }
  return out;
}

}  // namespace

TEST_CASE("the name check flags unknown metrics and labels, and passes the catalogue's own", "[monitoring]") {
  const Catalogue catalogue = metrics_catalogue();
  REQUIRE(catalogue.count("vigia_connectors_fetches_total"));

  // Made-up names and labels, each of which the check exists to catch.
  CHECK_FALSE(check_expr("rate(vigia_connectors_fetchs_total[5m])", catalogue).empty());
  CHECK_FALSE(check_expr(R"(vigia_connectors_fetches_total{reslt="ok"})", catalogue).empty());
  CHECK_FALSE(check_expr("sum by (sinkk) (vigia_alerting_alerts_sent_total)", catalogue).empty());
  CHECK_FALSE(check_expr("a_metric_from_elsewhere", catalogue).empty());
  CHECK_FALSE(check_expr("vigia_rules_reloads_total_bucket", catalogue).empty());  // a counter has no buckets
  CHECK_FALSE(check_expr(R"({__name__=~"vigia_.*"})", catalogue).empty());
  CHECK_FALSE(check_expr(R"x(label_replace(vigia_kafka_consumer_lag, "g", "$1", "clnt", "(.*)"))x", catalogue).empty());
  CHECK_FALSE(check_variable_query("label_values(vigia_build_info, feed)", catalogue).empty());
  CHECK_FALSE(check_expr("vector(0)", catalogue).empty());

  // The catalogue's own examples, and the constructs the dashboard relies on.
  const std::vector<std::string> good = {
      R"(sum by (feed, result) (rate(vigia_connectors_fetches_total{result!~"ok|not_modified"}[15m])))",
      R"(vigia_connectors_feed_broken == 1 and on (instance, feed) vigia_connectors_feed_owned == 1)",
      R"(histogram_quantile(0.99, sum by (le) (rate(vigia_rules_scan_duration_seconds_bucket[5m]))))",
      R"x(sum by (group, topic) (label_replace(vigia_kafka_consumer_lag{client=~".+-[0-9]+"}, "group", "$1", "client", "(.+)-[0-9]+")))x",
      R"(sum by (feed) (rate(vigia_connectors_items_sent_total{job=~"$job", feed=~"${feed}"}[$__rate_interval])) * 1e-3)",
      R"(up{job=~".*vigia.*"} == 0)",
      R"(max_over_time(timestamp(increase(vigia_rules_reloads_total{result="failure"}[2m]) > 0)[6h:1m]))",
  };
  for (const auto& expr : good) {
    INFO(expr << "\n" << join(check_expr(expr, catalogue)));
    CHECK(check_expr(expr, catalogue).empty());
  }
  CHECK(check_variable_query(R"(label_values(vigia_build_info{job=~"$job"}, instance))", catalogue).empty());
}

TEST_CASE("every dashboard query names only metrics and labels of the catalogue", "[monitoring]") {
  const Catalogue catalogue = metrics_catalogue();
  Dashboard dashboard;
  std::vector<std::string> problems;
  auto queries = dashboard.panel_queries();
  REQUIRE(queries.size() > 20);
  for (const auto& q : queries) {
    if (q.expr.empty()) {
      problems.push_back(q.where + ": a target without expr");
      continue;
    }
    for (const auto& p : check_expr(q.expr, catalogue)) problems.push_back(q.where + ": " + p + "\n    " + q.expr);
  }
  const auto variables = dashboard.variable_queries();
  REQUIRE_FALSE(variables.empty());
  for (const auto& q : variables) {
    for (const auto& p : check_variable_query(q.expr, catalogue)) problems.push_back(q.where + ": " + p);
  }
  INFO(join(problems));
  CHECK(problems.empty());
}

TEST_CASE("every dashboard query is valid PromQL once Grafana's variables are filled in", "[monitoring]") {
  Dashboard dashboard;
  // promtool parses PromQL only as part of a rules file: each query becomes a recording rule.
  YAML::Emitter out;
  out << YAML::BeginMap << YAML::Key << "groups" << YAML::Value << YAML::BeginSeq << YAML::BeginMap;
  out << YAML::Key << "name" << YAML::Value << "dashboard" << YAML::Key << "rules" << YAML::Value << YAML::BeginSeq;
  int n = 0;
  for (const auto& q : dashboard.panel_queries()) {
    out << YAML::BeginMap << YAML::Key << "record" << YAML::Value << "dashboard:query_" + std::to_string(n++)
        << YAML::Key << "expr" << YAML::Value << substitute_grafana_variables(q.expr) << YAML::EndMap;
  }
  out << YAML::EndSeq << YAML::EndMap << YAML::EndSeq << YAML::EndMap;
  TempDir dir;
  write_file(dir / "dashboard-queries.yaml", out.c_str());
  const auto r = run_process({promtool(), "check", "rules", (dir / "dashboard-queries.yaml").string()});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
}

TEST_CASE("the dashboard imports anywhere: its data source is a variable and its panel ids are unique",
          "[monitoring]") {
  Dashboard dashboard;
  int64_t schema = 0;
  REQUIRE(dashboard.root["schemaVersion"].get_int64().get(schema) == simdjson::SUCCESS);
  CHECK(schema >= 36);  // data source references as {type, uid} objects

  // The data source variable every panel points at, so an import asks for nothing.
  bool has_datasource_variable = false;
  simdjson::dom::array vars;
  REQUIRE(dashboard.root["templating"]["list"].get_array().get(vars) == simdjson::SUCCESS);
  for (auto v : vars) {
    if (string_or_empty(v, "type") == "datasource" && string_or_empty(v, "name") == "datasource") {
      CHECK(string_or_empty(v, "query") == "prometheus");
      has_datasource_variable = true;
    } else {
      INFO("variable " << string_or_empty(v, "name"));
      CHECK(is_variable_ref(string_or_empty(v["datasource"], "uid")));
    }
  }
  CHECK(has_datasource_variable);

  std::set<int64_t> ids;
  for (auto p : dashboard.panels) {
    const std::string title = string_or_empty(p, "title");
    INFO("panel '" << title << "'");
    int64_t id = 0;
    REQUIRE(p["id"].get_int64().get(id) == simdjson::SUCCESS);
    CHECK(ids.insert(id).second);
    CHECK_FALSE(title.empty());
    int64_t x = 0, w = 0;
    CHECK(p["gridPos"]["x"].get_int64().get(x) == simdjson::SUCCESS);
    CHECK(p["gridPos"]["w"].get_int64().get(w) == simdjson::SUCCESS);
    CHECK(x + w <= 24);
    if (string_or_empty(p, "type") == "row") continue;
    CHECK_FALSE(string_or_empty(p, "description").empty());  // what the panel means to a watch officer
    CHECK(string_or_empty(p["datasource"], "type") == "prometheus");
    CHECK(is_variable_ref(string_or_empty(p["datasource"], "uid")));
    simdjson::dom::array targets;
    REQUIRE(p["targets"].get_array().get(targets) == simdjson::SUCCESS);
    CHECK(targets.size() > 0);
    std::set<std::string> refs;
    for (auto t : targets) {
      CHECK(refs.insert(string_or_empty(t, "refId")).second);
      if (t["datasource"].is_object()) CHECK(is_variable_ref(string_or_empty(t["datasource"], "uid")));
    }
  }

  std::vector<std::pair<std::string, std::string>> uids;
  collect_uids(dashboard.root, "", uids);
  for (const auto& [path, uid] : uids) {
    if (path == "/uid") continue;  // the dashboard's own, which keeps its URL stable
    INFO(path << " = " << uid);
    CHECK(is_variable_ref(uid));
  }
  CHECK(dashboard.root["__inputs"].error() == simdjson::NO_SUCH_FIELD);  // an export bound to one Grafana
}

TEST_CASE("the alert rules pass promtool check rules and are a plain rules file", "[monitoring]") {
  const auto r = run_process({promtool(), "check", "rules", rules_path().string()});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  // The chart puts the file under a PrometheusRule's spec, which is exactly {groups: [...]}.
  const YAML::Node doc = YAML::LoadFile(rules_path().string());
  REQUIRE(doc.IsMap());
  CHECK(doc.size() == 1);
  CHECK(doc["groups"].IsSequence());
}

TEST_CASE("the alert rules pass their promtool unit tests", "[monitoring]") {
  const auto r = run_process({promtool(), "test", "rules", rules_test_path().string()});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("SUCCESS") != std::string::npos);
}

TEST_CASE("every alert rule names only metrics and labels of the catalogue", "[monitoring]") {
  const Catalogue catalogue = metrics_catalogue();
  const auto rules = alert_rules();
  REQUIRE(rules.size() >= 10);
  std::vector<std::string> problems;
  static const std::regex label_ref(R"(\$labels\.([A-Za-z_][A-Za-z0-9_]*))");
  for (const auto& rule : rules) {
    const std::string expr = rule.node["expr"].as<std::string>();
    for (const auto& p : check_expr(expr, catalogue)) problems.push_back(rule.name + ": " + p);
    // An annotation naming a label the expression cannot carry renders as an empty string.
    const std::set<std::string> available = labels_available(scan_promql(expr), catalogue);
    for (const auto& annotation : rule.node["annotations"]) {
      const std::string text = annotation.second.as<std::string>();
      for (std::sregex_iterator it(text.begin(), text.end(), label_ref), end; it != end; ++it) {
        if (!available.count((*it)[1])) problems.push_back(rule.name + ": annotation uses $labels." + (*it)[1].str());
      }
    }
  }
  INFO(join(problems));
  CHECK(problems.empty());
}

TEST_CASE("every alert has a for, a severity, a summary, a description and a runbook section", "[monitoring]") {
  const std::string doc = read_file(monitoring_doc_path());
  static const std::set<std::string> severities = {"critical", "warning", "info"};
  std::set<std::string> names;
  for (const auto& rule : alert_rules()) {
    INFO(rule.name);
    CHECK(names.insert(rule.name).second);
    CHECK(rule.node["for"]);
    CHECK(severities.count(rule.node["labels"]["severity"].as<std::string>("")));
    CHECK_FALSE(rule.node["annotations"]["summary"].as<std::string>("").empty());
    CHECK_FALSE(rule.node["annotations"]["description"].as<std::string>("").empty());
    std::string lower = rule.name;
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
    CHECK(rule.node["annotations"]["runbook"].as<std::string>("") == "docs/monitoring.md#" + lower);
    CHECK(doc.find("\n### " + rule.name + "\n") != std::string::npos);
  }
}

TEST_CASE("every alert has a unit test where it fires and one where it must not", "[monitoring]") {
  const YAML::Node tests = YAML::LoadFile(rules_test_path().string());
  REQUIRE(tests["rule_files"].size() == 1);
  CHECK(tests["rule_files"][0].as<std::string>() == rules_path().filename().string());
  std::set<std::string> fires, stays_quiet;
  for (const auto& group : tests["tests"]) {
    for (const auto& t : group["alert_rule_test"]) {
      const std::string name = t["alertname"].as<std::string>();
      if (t["exp_alerts"] && t["exp_alerts"].size() > 0) {
        fires.insert(name);
      } else {
        stays_quiet.insert(name);
      }
    }
  }
  for (const auto& rule : alert_rules()) {
    INFO(rule.name);
    CHECK(fires.count(rule.name));
    CHECK(stays_quiet.count(rule.name));
  }
}
