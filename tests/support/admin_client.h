// Talking to a running `vigia` child's admin server the way an operator's tooling would: find the
// port it logged, scrape /metrics, wait (bounded) for a series to reach a value.
#pragma once

#include <chrono>
#include <string>

#include "support/process.h"

namespace vigia::test {

// The port the child logged "(port N)" for; fails the test if it never did.
int admin_port(const ChildProcess& child);
// GET /metrics on loopback; fails the test unless it answers 200.
std::string scrape(int port);
// Scrapes until a line containing `line` appears; counters move asynchronously.
bool wait_for_metric(int port, const std::string& line, std::chrono::milliseconds timeout);

}  // namespace vigia::test
