// The dead-letter file: one JSON line per alert the alert stage gave up on, so an operator can
// see and replay (`vigia alerts replay-dlq`) what was not delivered:
//   {"sink":..,"reason":..,"message":..,"attempts":..,"dead_lettered_at":..,"alert":{...}}
//
// Two writers share the file: the daemon appends (O_APPEND, one whole line per write) and a
// replay rewrites it (temp file + rename). Both take an exclusive flock(2) on "<file>.lock", a
// file that is never renamed, so an append never lands in a file a rewrite is about to replace.
// The replay holds that lock only to read and to rewrite, never while it delivers, so a sink
// worker dead-lettering during a replay waits milliseconds, not for the network.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "vigia/alerting/sink.h"
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

// Thread-safe: sink workers append concurrently; each line is written whole under a mutex and
// the file lock.
class DeadLetterFile {
 public:
  // An empty path means dead letters are only logged (append() then does nothing).
  explicit DeadLetterFile(std::filesystem::path path) : path_(std::move(path)) {}
  ~DeadLetterFile();
  DeadLetterFile(const DeadLetterFile&) = delete;
  DeadLetterFile& operator=(const DeadLetterFile&) = delete;

  // Appends one line (creating parent directories). Fails with reason "io".
  Status append(const DeadLetter& letter, const Alert& alert);

  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
  std::mutex mu_;
  int lock_fd_ = -1;  // "<path>.lock", opened on the first append; guarded by mu_
};

std::string encode_dead_letter(const DeadLetter& letter, const Alert& alert);

// One line of the file, decoded. The alert round-trips: encode_alert(decoded) equals what was
// encoded, so a replay sends the receiver the same payload and id the daemon would have.
struct DecodedDeadLetter {
  DeadLetter letter;
  Alert alert;
};
// Reasons: "json" (syntax), "schema" (a missing or mistyped field).
Result<DecodedDeadLetter> decode_dead_letter(std::string_view line);

// "<file>.lock": the lock appends and rewrites share.
std::filesystem::path dead_letter_lock_path(const std::filesystem::path& file);

// The lines of the file as they are, without taking any lock (for a dry run: it must not create
// files). A missing file has no lines. Fails with reason "io".
Result<std::vector<std::string>> read_dead_letter_lines(const std::filesystem::path& file);

// A replay's hold on the file: at most one per file at a time (a second one fails with reason
// "busy"), while the daemon keeps appending. open() snapshots the lines; commit() replaces
// exactly that snapshot with the lines to keep and carries over every line appended since.
// Not thread-safe; movable.
class DeadLetterRewrite {
 public:
  static Result<DeadLetterRewrite> open(const std::filesystem::path& file);
  DeadLetterRewrite(DeadLetterRewrite&& other) noexcept;
  DeadLetterRewrite& operator=(DeadLetterRewrite&&) = delete;
  DeadLetterRewrite(const DeadLetterRewrite&) = delete;
  ~DeadLetterRewrite();

  const std::vector<std::string>& lines() const { return lines_; }

  // Atomically (temp file, fsync, rename) makes the file `kept` followed by whatever was appended
  // after open(). Does nothing when `kept` equals the snapshot. Fails with reason "io", or
  // "changed" when something other than an append replaced or truncated the file meanwhile (then
  // the file is left as it is).
  Status commit(const std::vector<std::string>& kept);

 private:
  DeadLetterRewrite() = default;

  std::filesystem::path file_;
  int replay_lock_fd_ = -1;  // "<file>.replay.lock", held for the object's lifetime
  std::vector<std::string> lines_;
  bool existed_ = false;
  std::uint64_t size_ = 0;  // bytes read into lines_
  dev_t dev_ = 0;
  ino_t ino_ = 0;
};

// What a replay of one alert came to.
struct Redelivery {
  DeliveryResult last;  // the final attempt's outcome
  int attempts = 0;
  int retryable_failures = 0;  // attempts that ended in kRetry, for the caller's circuit
};

// Delivers `alert` to `sink` under `policy`: up to max_attempts attempts (a reject ends at once),
// with the stage's backoff and the receiver's Retry-After between them. `sleep` waits (tests
// inject a fake). A sink that throws counts as a retryable failure (reason "exception").
Redelivery redeliver(Sink& sink, const Alert& alert, const RetryPolicy& policy,
                     const std::function<void(std::chrono::milliseconds)>& sleep);

}  // namespace vigia::alerting
