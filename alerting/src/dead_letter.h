// The dead-letter file: one JSON line per alert the stage gave up on, so an operator can see
// and replay what was not delivered:
//   {"sink":..,"reason":..,"message":..,"attempts":..,"dead_lettered_at":..,"alert":{...}}
// Thread-safe: sink workers append concurrently; each line is written whole under a mutex.
#pragma once

#include <filesystem>
#include <mutex>
#include <string>

#include "vigia/core/model.h"
#include "vigia/core/result.h"

namespace vigia::alerting {

struct DeadLetter {
  std::string sink;
  std::string reason;
  std::string message;  // never holds secrets: it comes from DeliveryResult::message
  int attempts = 0;
  Timestamp at;
};

class DeadLetterFile {
 public:
  // An empty path means dead letters are only logged (append() then does nothing).
  explicit DeadLetterFile(std::filesystem::path path) : path_(std::move(path)) {}

  // Appends one line (creating parent directories). Fails with reason "io".
  Status append(const DeadLetter& letter, const Alert& alert);

  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
  std::mutex mu_;
};

std::string encode_dead_letter(const DeadLetter& letter, const Alert& alert);

}  // namespace vigia::alerting
