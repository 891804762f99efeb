// `vigia dev mock-kafka` as the Kafka tests and developers use it: a real Kafka-protocol cluster
// on loopback, checked from the outside with kcat (a client that is not librdkafka-in-Vigía),
// and driven through its stdin commands.
#include <catch2/catch.hpp>

#include <signal.h>

#include <algorithm>
#include <optional>
#include <sstream>

#include <simdjson.h>

#include "support/mock_kafka_process.h"
#include "support/process.h"
#include "support/test_paths.h"

using namespace vigia::test;
using namespace std::chrono_literals;


TEST_CASE("vigia dev mock-kafka serves a Kafka cluster that kcat can list, produce to and consume from",
          "[integration][kafka]") {
  const auto kcat = find_kcat("the mock cluster is not checked");
  if (!kcat) {
    SUCCEED("skipped: no kcat");
    return;
  }
  TempDir dir;
  MockKafkaProcess mock(dir.path(), {"--brokers", "3", "--topic", "t:4", "--ready-file", (dir / "ready").string()});
  const std::string bootstrap = mock.bootstrap();
  INFO("bootstrap.servers=" << bootstrap << "\n" << mock.process().err());
  CHECK(std::count(bootstrap.begin(), bootstrap.end(), ',') == 2);
  // The ready file is written before the line is printed, with the same servers.
  CHECK(read_file(dir / "ready") == bootstrap);

  auto list = run_process({*kcat, "-b", bootstrap, "-L", "-J"}, {}, 30s);
  INFO(list.err);
  REQUIRE(list.exit_code == 0);
  simdjson::dom::parser parser;
  simdjson::dom::element metadata;
  REQUIRE(parser.parse(list.out).get(metadata) == simdjson::SUCCESS);
  simdjson::dom::array brokers;
  REQUIRE(metadata["brokers"].get_array().get(brokers) == simdjson::SUCCESS);
  CHECK(brokers.size() == 3);
  std::optional<std::size_t> partitions;
  for (auto topic : metadata["topics"].get_array()) {
    std::string_view name;
    REQUIRE(topic["topic"].get_string().get(name) == simdjson::SUCCESS);
    if (name == "t") partitions = topic["partitions"].get_array().size();
  }
  CHECK(partitions == std::optional<std::size_t>(4));

  auto produce = run_process({*kcat, "-b", bootstrap, "-P", "-t", "t"}, "uno\ndos\ntres\n", 30s);
  INFO(produce.err);
  REQUIRE(produce.exit_code == 0);
  auto consume = run_process({*kcat, "-b", bootstrap, "-C", "-t", "t", "-e", "-q", "-f", "%s\n"}, {}, 30s);
  INFO(consume.err);
  REQUIRE(consume.exit_code == 0);
  std::vector<std::string> values;
  std::istringstream lines(consume.out);
  for (std::string line; std::getline(lines, line);) values.push_back(line);
  std::sort(values.begin(), values.end());  // the messages went to different partitions
  CHECK(values == std::vector<std::string>{"dos", "tres", "uno"});

  CHECK(mock.command("down 2") == "ok");
  CHECK(mock.command("up 2") == "ok");
  CHECK(mock.command("rtt 1 5") == "ok");
  CHECK(mock.command("down 7") == "error: no broker '7' (broker ids are 1 to 3)");
  CHECK_THAT(mock.command("reboot"), Catch::StartsWith("error: unknown command 'reboot'"));
  CHECK(mock.command("quit") == "ok");
  CHECK(mock.process().wait(30s) == std::optional<int>(0));
}

TEST_CASE("vigia dev mock-kafka ends cleanly on EOF and on SIGTERM", "[integration][kafka]") {
  {
    TempDir dir;
    MockKafkaProcess mock(dir.path(), {"--brokers", "1"});
    mock.bootstrap();
    mock.close_stdin();
    CHECK(mock.process().wait(30s) == std::optional<int>(0));
  }
  {
    TempDir dir;
    MockKafkaProcess mock(dir.path(), {});
    mock.bootstrap();
    mock.process().signal(SIGTERM);
    CHECK(mock.process().wait(30s) == std::optional<int>(0));
  }
}
