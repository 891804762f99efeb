// The Helm chart (helm/vigia) as an operator meets it: rendered by tools/helm-render (a `helm
// template` stand-in, since Debian has no Helm) with the default values and the two CI values
// files, then read back as Kubernetes objects. The strongest check runs the real `vigia config
// check` on the vigia.yaml each mode's ConfigMap carries, with the folders the pod would mount
// and the environment its Secrets would provide.
#include <catch2/catch.hpp>
#include <simdjson.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "support/process.h"
#include "support/test_paths.h"

using namespace vigia::test;
namespace fs = std::filesystem;

namespace {

const std::string kRelease = "osint";
const std::string kFullname = "osint-vigia";
const std::string kShippedRules = "/usr/share/vigia/rules";  // where the image puts rules/packs

fs::path chart_dir() { return source_dir() / "helm" / "vigia"; }

ProcessResult helm_render(std::vector<std::string> args) {
  INFO("tools/helm-render is built with go: install the Debian package golang-go (scripts/deps.sh --test)");
  REQUIRE_FALSE(std::string(VIGIA_HELM_RENDER).empty());
  REQUIRE(fs::exists(VIGIA_HELM_RENDER));
  args.insert(args.begin(), {VIGIA_HELM_RENDER, kRelease, chart_dir().string()});
  return run_process(args);
}

ProcessResult render_values(const std::string& values_file, std::vector<std::string> extra = {}) {
  std::vector<std::string> args;
  if (!values_file.empty()) args = {"-f", (chart_dir() / "ci" / values_file).string()};
  args.insert(args.end(), extra.begin(), extra.end());
  return helm_render(args);
}

// The rendered stream, as the API server would receive it.
class Manifests {
 public:
  explicit Manifests(const ProcessResult& r) {
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    for (const auto& doc : YAML::LoadAll(r.out)) {
      if (doc.IsNull()) continue;
      REQUIRE(doc.IsMap());
      REQUIRE(doc["kind"]);
      REQUIRE(doc["metadata"]["name"]);
      docs_.push_back(doc);
    }
  }

  std::vector<YAML::Node> all(const std::string& kind) const {
    std::vector<YAML::Node> out;
    for (const auto& d : docs_) {
      if (d["kind"].as<std::string>() == kind) out.push_back(d);
    }
    return out;
  }

  bool has(const std::string& kind, const std::string& name) const { return find(kind, name).has_value(); }

  YAML::Node get(const std::string& kind, const std::string& name) const {
    const auto n = find(kind, name);
    INFO(kind << " " << name);
    REQUIRE(n);
    return *n;
  }

  std::optional<YAML::Node> find(const std::string& kind, const std::string& name) const {
    for (const auto& d : all(kind)) {
      if (d["metadata"]["name"].as<std::string>() == name) return d;
    }
    return std::nullopt;
  }

  std::set<std::string> kinds() const {
    std::set<std::string> out;
    for (const auto& d : docs_) out.insert(d["kind"].as<std::string>());
    return out;
  }

 private:
  std::vector<YAML::Node> docs_;
};

YAML::Node container_of(const YAML::Node& deployment) {
  const YAML::Node containers = deployment["spec"]["template"]["spec"]["containers"];
  REQUIRE(containers.size() == 1);
  return containers[0];
}

std::vector<std::string> strings_of(const YAML::Node& seq) {
  std::vector<std::string> out;
  for (const auto& n : seq) out.push_back(n.as<std::string>());
  return out;
}

struct SecretRef {
  std::string secret;
  std::string key;
};

// Every env var of the container that comes from a Secret, by variable name.
std::map<std::string, SecretRef> secret_env(const YAML::Node& deployment) {
  std::map<std::string, SecretRef> out;
  for (const auto& e : container_of(deployment)["env"]) {
    if (!e["valueFrom"]) continue;  // a plain value (extraEnv)
    if (const auto ref = e["valueFrom"]["secretKeyRef"]) {
      out[e["name"].as<std::string>()] = {ref["name"].as<std::string>(), ref["key"].as<std::string>()};
    }
  }
  return out;
}

YAML::Node mount_named(const YAML::Node& deployment, const std::string& volume) {
  for (const auto& m : container_of(deployment)["volumeMounts"]) {
    if (m["name"].as<std::string>() == volume) return m;
  }
  FAIL("no volumeMount for volume " << volume);
  return YAML::Node();
}

YAML::Node volume_named(const YAML::Node& deployment, const std::string& volume) {
  for (const auto& v : deployment["spec"]["template"]["spec"]["volumes"]) {
    if (v["name"].as<std::string>() == volume) return v;
  }
  FAIL("no volume " << volume);
  return YAML::Node();
}

bool has_arg_pair(const YAML::Node& deployment, const std::string& flag, const std::string& value) {
  const auto args = strings_of(container_of(deployment)["args"]);
  for (std::size_t i = 0; i + 1 < args.size(); ++i) {
    if (args[i] == flag && args[i + 1] == value) return true;
  }
  return false;
}

std::string base64_decode(const std::string& in) {
  static const std::string kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  unsigned buffer = 0;
  int bits = 0;
  for (const char c : in) {
    if (c == '=') break;
    const auto pos = kAlphabet.find(c);
    REQUIRE(pos != std::string::npos);
    buffer = (buffer << 6) | static_cast<unsigned>(pos);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buffer >> bits) & 0xFF));
    }
  }
  return out;
}

// Writes a ConfigMap's files the way the kubelet lays out a ConfigMap volume: the real files in a
// timestamped folder, `..data` pointing at it, and one symlink per key through `..data`.
void write_configmap_volume(const YAML::Node& configmap, const fs::path& dir) {
  const fs::path real = dir / "..2024_01_01_00_00_00.000000001";
  fs::create_directories(real);
  fs::create_directory_symlink(real.filename(), dir / "..data");
  for (const auto& kv : configmap["data"]) {
    const auto name = kv.first.as<std::string>();
    write_file(real / name, kv.second.as<std::string>());
    fs::create_symlink(fs::path("..data") / name, dir / name);
  }
}

struct CheckedConfig {
  ProcessResult result;
  std::string config_text;
};

// Runs `vigia config check` on the config the chart generates, as `deployment`'s pod sees it:
// the container paths mapped to local ones (shipped packs -> rules/packs, the site-rules mount ->
// the rendered ConfigMap's files, the state volume -> a temp dir) and `env` as its environment.
CheckedConfig check_rendered_config(const Manifests& m, const YAML::Node& deployment,
                                    const std::map<std::string, std::string>& env, const TempDir& tmp) {
  const YAML::Node configmap = m.get("ConfigMap", kFullname + "-config");
  YAML::Node config = YAML::Load(configmap["data"]["vigia.yaml"].as<std::string>());

  // The chart must point the daemon at the folders it mounts.
  const auto config_mount = mount_named(deployment, "config")["mountPath"].as<std::string>();
  CHECK(has_arg_pair(deployment, "--config", config_mount + "/vigia.yaml"));
  const auto site_mount = mount_named(deployment, "site-rules")["mountPath"].as<std::string>();
  const auto state_mount = mount_named(deployment, "state")["mountPath"].as<std::string>();
  REQUIRE(config["state_dir"].as<std::string>() == state_mount);
  REQUIRE(config["http"]["listen"].as<std::string>() == "0.0.0.0:9464");

  const fs::path site = tmp / "site-rules";
  write_configmap_volume(m.get("ConfigMap", kFullname + "-site-rules"), site);
  fs::create_directories(tmp / "state");
  config["state_dir"] = (tmp / "state").string();
  YAML::Node paths = config["rules"]["paths"];
  std::set<std::string> seen;
  for (std::size_t i = 0; i < paths.size(); ++i) {
    const auto p = paths[i].as<std::string>();
    seen.insert(p);
    if (p == kShippedRules) {
      paths[i] = (source_dir() / "rules" / "packs").string();
    } else {
      REQUIRE(p == site_mount);
      paths[i] = site.string();
    }
  }
  CHECK(seen == std::set<std::string>{kShippedRules, site_mount});

  if (const YAML::Node ca = config["bus"]["kafka"]["ssl.ca.location"]) {
    const auto ca_mount = mount_named(deployment, "kafka-ca")["mountPath"].as<std::string>();
    const auto location = ca.as<std::string>();
    REQUIRE(location.rfind(ca_mount + "/", 0) == 0);
    const fs::path local = tmp / "kafka-ca" / location.substr(ca_mount.size() + 1);
    fs::create_directories(local.parent_path());
    write_file(local, "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
    config["bus"]["kafka"]["ssl.ca.location"] = local.string();
  }

  YAML::Emitter out;
  out << config;
  const fs::path file = tmp / "vigia.yaml";
  write_file(file, out.c_str());

  std::vector<std::string> argv{"/usr/bin/env", "-i"};
  for (const auto& [name, value] : env) argv.push_back(name + "=" + value);
  for (const auto& a : {vigia_binary(), std::string("config"), std::string("check"), std::string("--config"), file.string()}) {
    argv.push_back(a);
  }
  return {run_process(argv), out.c_str()};
}

// A values file of the test's own, for overrides --set cannot express (keys with dots).
std::string write_values(const TempDir& tmp, const std::string& name, const std::string& text) {
  const fs::path file = tmp / name;
  write_file(file, text);
  return file.string();
}

}  // namespace

TEST_CASE("helm chart: the default values render one embedded pod with its state volume and nothing optional", "[helm]") {
  const Manifests m(render_values(""));
  CHECK(m.all("Deployment").size() == 1);
  const YAML::Node d = m.get("Deployment", kFullname + "-embedded");
  CHECK(d["spec"]["replicas"].as<int>() == 1);
  CHECK(d["spec"]["strategy"]["type"].as<std::string>() == "Recreate");
  CHECK_FALSE(has_arg_pair(d, "--role", "ingest"));
  CHECK(strings_of(container_of(d)["args"]) == std::vector<std::string>{"run", "--config", "/etc/vigia/vigia.yaml"});
  CHECK(container_of(d)["image"].as<std::string>() == "vigia:0.1.0");

  m.get("PersistentVolumeClaim", kFullname + "-state");
  CHECK(volume_named(d, "state")["persistentVolumeClaim"]["claimName"].as<std::string>() == kFullname + "-state");
  m.get("ConfigMap", kFullname + "-config");
  m.get("ConfigMap", kFullname + "-site-rules");
  m.get("ServiceAccount", kFullname);
  const YAML::Node svc = m.get("Service", kFullname);
  CHECK(svc["spec"]["ports"][0]["port"].as<int>() == 9464);
  CHECK(svc["spec"]["ports"][0]["targetPort"].as<std::string>() == "metrics");

  const auto kinds = m.kinds();
  CHECK(kinds.count("ServiceMonitor") == 0);
  CHECK(kinds.count("PrometheusRule") == 0);
  CHECK(kinds.count("NetworkPolicy") == 0);
  CHECK(kinds.count("Secret") == 0);  // no receiver secrets given
}

TEST_CASE("helm chart: every pod is probed, unprivileged and read-only, with emptyDirs where it writes", "[helm]") {
  for (const std::string file : {"embedded-values.yaml", "kafka-values.yaml"}) {
    const Manifests m(render_values(file));
    for (const auto& d : m.all("Deployment")) {
      INFO(file << ": " << d["metadata"]["name"].as<std::string>());
      const YAML::Node c = container_of(d);
      const YAML::Node port = c["ports"][0];
      CHECK(port["name"].as<std::string>() == "metrics");
      CHECK(port["containerPort"].as<int>() == 9464);
      CHECK(c["livenessProbe"]["httpGet"]["path"].as<std::string>() == "/healthz");
      CHECK(c["livenessProbe"]["httpGet"]["port"].as<std::string>() == "metrics");
      CHECK(c["readinessProbe"]["httpGet"]["path"].as<std::string>() == "/readyz");
      CHECK(c["readinessProbe"]["httpGet"]["port"].as<std::string>() == "metrics");

      const YAML::Node pod = d["spec"]["template"]["spec"]["securityContext"];
      CHECK(pod["runAsNonRoot"].as<bool>());
      CHECK(pod["runAsUser"].as<int>() == 10001);
      CHECK(pod["seccompProfile"]["type"].as<std::string>() == "RuntimeDefault");
      const YAML::Node sc = c["securityContext"];
      CHECK(sc["runAsNonRoot"].as<bool>());
      CHECK(sc["runAsUser"].as<int>() == 10001);
      CHECK(sc["readOnlyRootFilesystem"].as<bool>());
      CHECK_FALSE(sc["allowPrivilegeEscalation"].as<bool>());
      CHECK(strings_of(sc["capabilities"]["drop"]) == std::vector<std::string>{"ALL"});
      CHECK(sc["seccompProfile"]["type"].as<std::string>() == "RuntimeDefault");
      CHECK(volume_named(d, "tmp")["emptyDir"]);
      CHECK(mount_named(d, "tmp")["mountPath"].as<std::string>() == "/tmp");
      CHECK_FALSE(d["spec"]["template"]["spec"]["automountServiceAccountToken"].as<bool>());
    }
  }
}

TEST_CASE("helm chart: site rules are a whole-folder ConfigMap mount, outside the checksums that roll pods", "[helm]") {
  TempDir tmp;
  const auto other_rules = write_values(tmp, "rules.yaml", R"(
rules:
  site:
    files:
      other.yaml: |
        # changed
)");
  const auto debug_log = write_values(tmp, "log.yaml", "config: {log: {level: debug}}\n");
  const Manifests base(render_values("embedded-values.yaml"));
  const Manifests rules_changed(render_values("embedded-values.yaml", {"-f", other_rules}));
  const Manifests config_changed(render_values("embedded-values.yaml", {"-f", debug_log}));
  const std::string name = kFullname + "-embedded";

  const YAML::Node d = base.get("Deployment", name);
  const YAML::Node mount = mount_named(d, "site-rules");
  CHECK_FALSE(mount["subPath"]);  // a subPath mount never sees the ConfigMap's updates
  CHECK(mount["readOnly"].as<bool>());
  CHECK(volume_named(d, "site-rules")["configMap"]["name"].as<std::string>() == kFullname + "-site-rules");
  CHECK(base.get("ConfigMap", kFullname + "-site-rules")["data"]["checkpoints.yaml"]);

  // A new rule file reaches the pods in place (hot reload); a config change rolls them.
  const auto annotations = [&](const Manifests& m) {
    return YAML::Dump(m.get("Deployment", name)["spec"]["template"]["metadata"]["annotations"]);
  };
  CHECK(rules_changed.get("ConfigMap", kFullname + "-site-rules")["data"]["other.yaml"]);
  CHECK(annotations(rules_changed) == annotations(base));
  CHECK(annotations(config_changed) != annotations(base));
  CHECK(base.get("Deployment", name)["spec"]["template"]["metadata"]["annotations"]["checksum/sink-secrets"]);

  SECTION("an existing ConfigMap replaces the chart's") {
    const Manifests m(helm_render({"--set", "rules.site.existingConfigMap=site-rules-by-hand"}));
    CHECK_FALSE(m.has("ConfigMap", kFullname + "-site-rules"));
    CHECK(volume_named(m.get("Deployment", name), "site-rules")["configMap"]["name"].as<std::string>() ==
          "site-rules-by-hand");
  }
}

TEST_CASE("helm chart: embedded mode wires the receiver secrets from the chart's Secret as env vars", "[helm]") {
  const Manifests m(render_values("embedded-values.yaml"));
  const YAML::Node secret = m.get("Secret", kFullname + "-sinks");
  const auto env = secret_env(m.get("Deployment", kFullname + "-embedded"));
  for (const std::string var : {"VIGIA_SLACK_URL", "VIGIA_WEBHOOK_SECRET", "VIGIA_API_TOKEN"}) {
    INFO(var);
    REQUIRE(env.count(var) == 1);
    CHECK(env.at(var).secret == kFullname + "-sinks");
    CHECK(env.at(var).key == var);
    REQUIRE(secret["data"][var]);
  }
  CHECK(base64_decode(secret["data"]["VIGIA_API_TOKEN"].as<std::string>()) == "ci-token-not-secret");
  const YAML::Node pvc = m.get("PersistentVolumeClaim", kFullname + "-state");
  CHECK(pvc["spec"]["resources"]["requests"]["storage"].as<std::string>() == "5Gi");
  CHECK(pvc["spec"]["storageClassName"].as<std::string>() == "standard");
  const YAML::Node res = container_of(m.get("Deployment", kFullname + "-embedded"))["resources"];
  CHECK(res["limits"]["memory"].as<std::string>() == "1Gi");
}

TEST_CASE("helm chart: kafka mode runs one Deployment per role with its replicas, resources and secrets", "[helm]") {
  const Manifests m(render_values("kafka-values.yaml"));
  REQUIRE(m.all("Deployment").size() == 3);
  const std::map<std::string, std::pair<int, std::string>> expected{
      {"ingest", {2, "128Mi"}}, {"score", {1, "512Mi"}}, {"alert", {3, "256Mi"}}};
  for (const auto& [role, want] : expected) {
    INFO(role);
    const YAML::Node d = m.get("Deployment", kFullname + "-" + role);
    CHECK(has_arg_pair(d, "--role", role));
    CHECK(d["spec"]["replicas"].as<int>() == want.first);
    CHECK(container_of(d)["resources"]["requests"]["memory"].as<std::string>() == want.second);

    const auto env = secret_env(d);
    CHECK(env.at("VIGIA_KAFKA_BOOTSTRAP_SERVERS").secret == "vigia-kafka");
    CHECK(env.at("VIGIA_KAFKA_BOOTSTRAP_SERVERS").key == "bootstrap");
    CHECK(env.at("VIGIA_KAFKA_USERNAME").key == "username");
    CHECK(env.at("VIGIA_KAFKA_PASSWORD").key == "password");
    // Only the alert stage delivers, so only it holds the receivers' secrets.
    CHECK(env.count("VIGIA_MATTERMOST_URL") == (role == "alert" ? 1u : 0u));
    CHECK(volume_named(d, "kafka-ca")["secret"]["secretName"].as<std::string>() == "osint-cluster-ca-cert");
  }
  CHECK(secret_env(m.get("Deployment", kFullname + "-alert")).at("VIGIA_WEBHOOK_SECRET").secret == "vigia-receivers");
  CHECK(m.all("Secret").empty());  // both Secrets are the operator's

  // The score role asked for a volume; the others keep their state in an emptyDir.
  REQUIRE(m.all("PersistentVolumeClaim").size() == 1);
  m.get("PersistentVolumeClaim", kFullname + "-score-state");
  CHECK(m.get("Deployment", kFullname + "-score")["spec"]["strategy"]["type"].as<std::string>() == "Recreate");
  CHECK(volume_named(m.get("Deployment", kFullname + "-ingest"), "state")["emptyDir"]);

  const YAML::Node config = YAML::Load(m.get("ConfigMap", kFullname + "-config")["data"]["vigia.yaml"].as<std::string>());
  CHECK(config["bus"]["kind"].as<std::string>() == "kafka");
  CHECK(config["bus"]["kafka"]["sasl.password"]["env"].as<std::string>() == "VIGIA_KAFKA_PASSWORD");
  CHECK(config["bus"]["kafka"]["security.protocol"].as<std::string>() == "SASL_SSL");

  SECTION("without persistence there is no claim at all") {
    const Manifests plain(render_values("kafka-values.yaml", {"--set", "kafka.roles.score.persistence.enabled=false"}));
    CHECK(plain.all("PersistentVolumeClaim").empty());
  }
  SECTION("a volume shared by several replicas is refused") {
    const auto r = render_values("kafka-values.yaml", {"--set", "kafka.roles.score.replicas=2"});
    CHECK(r.exit_code != 0);
    CHECK_THAT(r.err, Catch::Contains("kafka.roles.score"));
  }
  SECTION("brokers are required") {
    const auto r = helm_render({"--set", "mode=kafka"});
    CHECK(r.exit_code != 0);
    CHECK_THAT(r.err, Catch::Contains("kafka.bootstrapServers"));
  }
}

TEST_CASE("helm chart: the config each mode generates passes vigia config check with the pod's mounts and env", "[helm]") {
  SECTION("embedded: the values of the chart's Secret") {
    const Manifests m(render_values("embedded-values.yaml"));
    const YAML::Node d = m.get("Deployment", kFullname + "-embedded");
    const YAML::Node secret = m.get("Secret", kFullname + "-sinks");
    std::map<std::string, std::string> env;
    for (const auto& [var, ref] : secret_env(d)) env[var] = base64_decode(secret["data"][ref.key].as<std::string>());
    TempDir tmp;
    const auto checked = check_rendered_config(m, d, env, tmp);
    INFO(checked.config_text << checked.result.out << checked.result.err);
    CHECK(checked.result.exit_code == 0);
    CHECK_THAT(checked.result.out + checked.result.err, Catch::Contains("OK"));

    // The same check without the Secret's variables must fail: it is their wiring being tested.
    TempDir bare;
    const auto without = check_rendered_config(m, d, {}, bare);
    CHECK(without.result.exit_code != 0);
  }
  SECTION("kafka: stand-in values for the operator's Secrets, as the alert role sees them") {
    const Manifests m(render_values("kafka-values.yaml"));
    const YAML::Node d = m.get("Deployment", kFullname + "-alert");
    const std::map<std::string, std::string> stand_ins{
        {"bootstrap", "kafka-0.kafka.svc:9093"},
        {"username", "vigia"},
        {"password", "not-a-password"},
        {"VIGIA_MATTERMOST_URL", "https://chat.example.org/hooks/abc"},
        {"VIGIA_ARCHIVE_URL", "https://siem.example.org/vigia/token"},
        {"VIGIA_WEBHOOK_SECRET", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}};
    std::map<std::string, std::string> env;
    for (const auto& [var, ref] : secret_env(d)) {
      INFO(var << " from key " << ref.key);
      REQUIRE(stand_ins.count(ref.key) == 1);
      env[var] = stand_ins.at(ref.key);
    }
    TempDir tmp;
    const auto checked = check_rendered_config(m, d, env, tmp);
    INFO(checked.config_text << checked.result.out << checked.result.err);
    CHECK(checked.result.exit_code == 0);
    CHECK_THAT(checked.result.out + checked.result.err, Catch::Contains("OK"));
  }
  SECTION("the default values") {
    const Manifests m(render_values(""));
    TempDir tmp;
    const auto checked = check_rendered_config(m, m.get("Deployment", kFullname + "-embedded"), {}, tmp);
    INFO(checked.config_text << checked.result.out << checked.result.err);
    CHECK(checked.result.exit_code == 0);
  }
  SECTION("a broken site rule file is read, and refused") {
    TempDir tmp;
    const auto broken = write_values(tmp, "override.yaml", "rules: {site: {files: {broken.yaml: \"bogus: 1\\n\"}}}\n");
    const Manifests m(helm_render({"-f", broken}));
    TempDir check_dir;
    const auto checked = check_rendered_config(m, m.get("Deployment", kFullname + "-embedded"), {}, check_dir);
    INFO(checked.result.out << checked.result.err);
    CHECK(checked.result.exit_code != 0);
    CHECK_THAT(checked.result.out + checked.result.err, Catch::Contains("broken.yaml"));
  }
}

TEST_CASE("helm chart: ServiceMonitor and PrometheusRule exist only when enabled", "[helm]") {
  const Manifests on(render_values("embedded-values.yaml"));
  const YAML::Node sm = on.get("ServiceMonitor", kFullname);
  CHECK(sm["spec"]["endpoints"][0]["port"].as<std::string>() == "metrics");
  CHECK(sm["metadata"]["labels"]["release"].as<std::string>() == "kube-prometheus-stack");
  CHECK(sm["spec"]["selector"]["matchLabels"]["app.kubernetes.io/instance"].as<std::string>() == kRelease);

  const fs::path rules_file = chart_dir() / "files" / "prometheus-rules.yaml";
  if (fs::exists(rules_file)) {
    const YAML::Node pr = on.get("PrometheusRule", kFullname);
    const YAML::Node groups = YAML::LoadFile(rules_file.string())["groups"];
    REQUIRE(pr["spec"]["groups"].size() == groups.size());
    CHECK(YAML::Dump(pr["spec"]["groups"][0]["rules"][0]["expr"]) == YAML::Dump(groups[0]["rules"][0]["expr"]));
  } else {
    WARN("helm/vigia/files/prometheus-rules.yaml is not there yet: the PrometheusRule is not checked");
    CHECK_FALSE(on.has("PrometheusRule", kFullname));
  }

  const Manifests off(render_values("embedded-values.yaml", {"--set", "metrics.serviceMonitor.enabled=false", "--set",
                                                             "metrics.prometheusRule.enabled=false"}));
  CHECK_FALSE(off.has("ServiceMonitor", kFullname));
  CHECK_FALSE(off.has("PrometheusRule", kFullname));
}

TEST_CASE("helm chart: the Grafana dashboard ConfigMap carries the sidecar label and the dashboard's JSON", "[helm]") {
  const fs::path dashboard = chart_dir() / "dashboards" / "vigia.json";
  const Manifests m(render_values("kafka-values.yaml", {"--set", "grafana.dashboard.labelKey=team_dashboards",
                                                        "--set", "grafana.dashboard.labelValue=osint"}));
  if (!fs::exists(dashboard)) {
    WARN("helm/vigia/dashboards/vigia.json is not there yet: only its absence is checked");
    CHECK_FALSE(m.has("ConfigMap", kFullname + "-dashboard"));
    const auto notes = helm_render({"--notes", "-f", (chart_dir() / "ci" / "kafka-values.yaml").string()});
    CHECK_THAT(notes.out, Catch::Contains("dashboards/vigia.json"));
    return;
  }
  const YAML::Node cm = m.get("ConfigMap", kFullname + "-dashboard");
  CHECK(cm["metadata"]["labels"]["team_dashboards"].as<std::string>() == "osint");
  CHECK(cm["metadata"]["namespace"].as<std::string>() == "monitoring");
  const auto json = cm["data"]["vigia.json"].as<std::string>();
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  CHECK(parser.parse(json).get(doc) == simdjson::SUCCESS);
  std::string file_text = read_file(dashboard);
  const auto first = file_text.find_first_not_of(" \t\r\n");
  const auto last = file_text.find_last_not_of(" \t\r\n");
  CHECK(json == file_text.substr(first, last - first + 1));  // the file as shipped, not a re-serialisation

  const Manifests defaults(render_values(""));
  CHECK(defaults.get("ConfigMap", kFullname + "-dashboard")["metadata"]["labels"]["grafana_dashboard"].as<std::string>() ==
        "1");
}

TEST_CASE("helm chart: the NetworkPolicy opens the admin port to the given peers, and DNS, web and Kafka egress", "[helm]") {
  const auto egress_ports = [](const YAML::Node& np) {
    std::set<int> ports;
    for (const auto& rule : np["spec"]["egress"]) {
      for (const auto& p : rule["ports"]) ports.insert(p["port"].as<int>());
    }
    return ports;
  };
  const Manifests kafka(render_values("kafka-values.yaml"));
  const YAML::Node np = kafka.get("NetworkPolicy", kFullname);
  CHECK(strings_of(np["spec"]["policyTypes"]) == std::vector<std::string>{"Ingress", "Egress"});
  const YAML::Node ingress = np["spec"]["ingress"];
  REQUIRE(ingress.size() == 1);
  CHECK(ingress[0]["ports"][0]["port"].as<int>() == 9464);
  CHECK(ingress[0]["from"][0]["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"].as<std::string>() ==
        "monitoring");
  CHECK(egress_ports(np) == std::set<int>{53, 80, 443, 9093});

  const Manifests embedded(render_values("embedded-values.yaml"));
  const auto ports = egress_ports(embedded.get("NetworkPolicy", kFullname));
  CHECK(ports.count(9093) == 0);
  CHECK(ports.count(8443) == 1);  // networkPolicy.egress.extra
}

TEST_CASE("helm chart: values that break the schema are refused with the field named", "[helm]") {
  struct Bad {
    std::vector<std::string> args;
    std::string field;
  };
  const std::vector<Bad> cases{
      {{"--set", "mode=kafak"}, "mode"},
      {{"--set", "kafka.roles.score.replicas=-1"}, "kafka.roles.score.replicas"},
      {{"--set", "replicaCount=2"}, "replicaCount"},
      {{"--set", "embedded.resources.limit.cpu=1"}, "limit"},
      {{"--set", "config.bus.kind=kafka"}, "bus"},
      {{"--set", "image.pullPolicy=Sometimes"}, "image.pullPolicy"},
      {{"--set", "rules.site.files.README=x"}, "rules.site.files"},
  };
  for (const auto& bad : cases) {
    const auto r = helm_render(bad.args);
    INFO(bad.args[1] << "\n" << r.err);
    CHECK(r.exit_code != 0);
    CHECK(r.out.empty());
    CHECK_THAT(r.err, Catch::Contains(bad.field));
  }
  for (const std::string file : {"", "embedded-values.yaml", "kafka-values.yaml"}) {
    const auto r = render_values(file);
    INFO(file << "\n" << r.err);
    CHECK(r.exit_code == 0);
  }
}

TEST_CASE("helm chart: NOTES.txt renders for both modes", "[helm]") {
  const auto embedded = helm_render({"--notes"});
  INFO(embedded.err);
  REQUIRE(embedded.exit_code == 0);
  CHECK_THAT(embedded.out, Catch::Contains("Mode: embedded"));
  CHECK_THAT(embedded.out, Catch::Contains(kFullname + "-site-rules"));
  CHECK_THAT(embedded.out, Catch::Contains("vigia_rules_reloads_total"));

  const auto kafka = helm_render({"--notes", "-f", (chart_dir() / "ci" / "kafka-values.yaml").string()});
  INFO(kafka.err);
  REQUIRE(kafka.exit_code == 0);
  CHECK_THAT(kafka.out, Catch::Contains("Mode: kafka"));
  CHECK_THAT(kafka.out, Catch::Contains(kFullname + "-alert: 3 replica(s)"));
}
