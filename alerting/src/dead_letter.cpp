#include "dead_letter.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <exception>
#include <random>
#include <system_error>
#include <utility>

#include <simdjson.h>

#include "retry.h"
#include "vigia/core/codec.h"
#include "vigia/core/json_writer.h"

namespace vigia::alerting {
namespace {

using simdjson::dom::array;
using simdjson::dom::element;
using simdjson::dom::object;

std::string errno_text() { return std::strerror(errno); }

// An exclusive flock(2) on an open descriptor, released on scope exit. EINTR is retried: a
// signal must not turn into a write without the lock.
class FlockGuard {
 public:
  explicit FlockGuard(int fd) : fd_(fd) {
    while ((ok_ = ::flock(fd_, LOCK_EX) == 0) == false && errno == EINTR) {
    }
  }
  ~FlockGuard() {
    if (ok_) ::flock(fd_, LOCK_UN);
  }
  FlockGuard(const FlockGuard&) = delete;
  FlockGuard& operator=(const FlockGuard&) = delete;
  bool ok() const { return ok_; }

 private:
  int fd_;
  bool ok_ = false;
};

int open_lock_file(const std::filesystem::path& path) {
  return ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
}

Status write_all(int fd, std::string_view data, const std::filesystem::path& path) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return make_error("io", "cannot write " + path.string() + ": " + errno_text());
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return ok_status();
}

// Reads from `offset` to the end of an open file.
Result<std::string> read_from(int fd, std::uint64_t offset, const std::filesystem::path& path) {
  std::string out;
  char buf[64 * 1024];
  auto at = static_cast<off_t>(offset);
  for (;;) {
    const ssize_t n = ::pread(fd, buf, sizeof buf, at);
    if (n < 0) {
      if (errno == EINTR) continue;
      return make_error("io", "cannot read " + path.string() + ": " + errno_text());
    }
    if (n == 0) return out;
    out.append(buf, static_cast<std::size_t>(n));
    at += n;
  }
}

// Splits on '\n'; a last line without its newline (a hand edit) still counts.
std::vector<std::string> split_lines(std::string_view text) {
  std::vector<std::string> lines;
  while (!text.empty()) {
    const auto nl = text.find('\n');
    lines.emplace_back(text.substr(0, nl));
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
  return lines;
}

// The dead letter's own fields; the alert inside is decoded by core's codec (decode_alert).
std::optional<std::string> string_field(object obj, const char* key, std::string& out) {
  element e;
  if (obj[key].get(e) != simdjson::SUCCESS || e.is_null()) return std::nullopt;
  std::string_view sv;
  if (e.get_string().get(sv) != simdjson::SUCCESS) return std::string("dead_letter.") + key + " must be a string";
  out.assign(sv);
  return std::nullopt;
}

// Two replays of the same file at once would each rewrite it from their own snapshot; the
// second one in would resurrect what the first delivered. One at a time, then.
Result<int> take_replay_lock(const std::filesystem::path& file) {
  const std::filesystem::path path = file.string() + ".replay.lock";
  const int fd = open_lock_file(path);
  if (fd < 0) return make_error("io", "cannot open " + path.string() + ": " + errno_text());
  while (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    if (errno == EINTR) continue;
    const bool busy = errno == EWOULDBLOCK;
    const std::string why = errno_text();
    ::close(fd);
    if (busy) return make_error("busy", "another replay of " + file.string() + " is running");
    return make_error("io", "cannot lock " + path.string() + ": " + why);
  }
  return fd;
}

}  // namespace

std::string encode_dead_letter(const DeadLetter& letter, const Alert& alert) {
  JsonWriter w;
  w.begin_object();
  w.field("sink", letter.sink);
  w.field("reason", letter.reason);
  w.field("message", letter.message);
  w.field("attempts", letter.attempts);
  w.field("dead_lettered_at", format_rfc3339(letter.at));
  w.key("alert").raw(encode_alert(alert));
  w.end_object();
  return w.take();
}

Result<DecodedDeadLetter> decode_dead_letter(std::string_view line) {
  thread_local simdjson::dom::parser parser;
  element root;
  if (auto err = parser.parse(line.data(), line.size()).get(root); err != simdjson::SUCCESS) {
    return make_error("json", std::string("invalid JSON: ") + simdjson::error_message(err));
  }
  object obj;
  if (root.get_object().get(obj) != simdjson::SUCCESS)
    return make_error("schema", "a dead letter must be a JSON object");
  DecodedDeadLetter out;
  for (auto [key, field] : {std::pair{"sink", &out.letter.sink}, std::pair{"reason", &out.letter.reason},
                            std::pair{"message", &out.letter.message}}) {
    if (auto problem = string_field(obj, key, *field)) return make_error("schema", *problem);
  }
  if (out.letter.sink.empty()) return make_error("schema", "dead_letter.sink is missing");
  if (element e; obj["attempts"].get(e) == simdjson::SUCCESS && !e.is_null()) {
    std::int64_t attempts = 0;
    if (e.get_int64().get(attempts) != simdjson::SUCCESS) return make_error("schema", "dead_letter.attempts must be an integer");
    out.letter.attempts = static_cast<int>(attempts);
  }
  std::string at;
  if (auto problem = string_field(obj, "dead_lettered_at", at)) return make_error("schema", *problem);
  if (!at.empty()) {
    auto t = parse_rfc3339(at);
    if (!t) return make_error("schema", "dead_letter.dead_lettered_at is not an RFC 3339 date-time");
    out.letter.at = *t;
  }
  element alert;
  if (obj["alert"].get(alert) != simdjson::SUCCESS || alert.is_null()) {
    return make_error("schema", "dead_letter.alert is missing");
  }
  // Decoded by the contract's own codec, from the alert's JSON as written.
  auto decoded = decode_alert(simdjson::to_string(alert));
  if (!decoded.ok()) return decoded.error();
  out.alert = std::move(*decoded);
  return out;
}

std::filesystem::path dead_letter_lock_path(const std::filesystem::path& file) { return file.string() + ".lock"; }

DeadLetterFile::~DeadLetterFile() {
  if (lock_fd_ >= 0) ::close(lock_fd_);
}

Status DeadLetterFile::append(const DeadLetter& letter, const Alert& alert) {
  if (path_.empty()) return ok_status();
  const std::string line = encode_dead_letter(letter, alert) + "\n";
  std::lock_guard lock(mu_);
  if (path_.has_parent_path()) {
    std::error_code ec;
    std::filesystem::create_directories(path_.parent_path(), ec);
    if (ec) return make_error("io", "cannot create " + path_.parent_path().string() + ": " + ec.message());
  }
  // The lock file stays open: an append costs a flock pair on top of open/write/close.
  if (lock_fd_ < 0) {
    lock_fd_ = open_lock_file(dead_letter_lock_path(path_));
    if (lock_fd_ < 0) {
      return make_error("io", "cannot open " + dead_letter_lock_path(path_).string() + ": " + errno_text());
    }
  }
  const FlockGuard file_lock(lock_fd_);
  if (!file_lock.ok())
    return make_error("io", "cannot lock " + dead_letter_lock_path(path_).string() + ": " + errno_text());
  // Opened under the lock, so it is the file a replay's rename left in place, not the old one.
  const int fd = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return make_error("io", "cannot open dead-letter file " + path_.string() + ": " + errno_text());
  Status written = write_all(fd, line, path_);
  if (::close(fd) != 0 && written.ok())
    written = make_error("io", "cannot write " + path_.string() + ": " + errno_text());
  return written;
}

Result<std::vector<std::string>> read_dead_letter_lines(const std::filesystem::path& file) {
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return std::vector<std::string>{};
    return make_error("io", "cannot open " + file.string() + ": " + errno_text());
  }
  auto text = read_from(fd, 0, file);
  ::close(fd);
  if (!text) return text.error();
  return split_lines(*text);
}

Result<DeadLetterRewrite> DeadLetterRewrite::open(const std::filesystem::path& file) {
  auto replay_lock = take_replay_lock(file);
  if (!replay_lock) return replay_lock.error();
  DeadLetterRewrite r;
  r.file_ = file;
  r.replay_lock_fd_ = *replay_lock;

  const int lock_fd = open_lock_file(dead_letter_lock_path(file));
  if (lock_fd < 0) return make_error("io", "cannot open " + dead_letter_lock_path(file).string() + ": " + errno_text());
  Status read = ok_status();
  {
    const FlockGuard guard(lock_fd);
    const int fd = guard.ok() ? ::open(file.c_str(), O_RDONLY | O_CLOEXEC) : -1;
    if (!guard.ok()) {
      read = make_error("io", "cannot lock " + dead_letter_lock_path(file).string() + ": " + errno_text());
    } else if (fd < 0) {
      if (errno != ENOENT) read = make_error("io", "cannot open " + file.string() + ": " + errno_text());
    } else {
      struct stat st {};
      auto text = read_from(fd, 0, file);
      if (!text) {
        read = text.error();
      } else if (::fstat(fd, &st) != 0) {
        read = make_error("io", "cannot stat " + file.string() + ": " + errno_text());
      } else {
        r.existed_ = true;
        r.size_ = text->size();
        r.dev_ = st.st_dev;
        r.ino_ = st.st_ino;
        r.lines_ = split_lines(*text);
      }
      ::close(fd);
    }
  }
  ::close(lock_fd);
  if (!read.ok()) return read.error();
  return r;
}

DeadLetterRewrite::DeadLetterRewrite(DeadLetterRewrite&& other) noexcept
    : file_(std::move(other.file_)),
      replay_lock_fd_(std::exchange(other.replay_lock_fd_, -1)),
      lines_(std::move(other.lines_)),
      existed_(other.existed_),
      size_(other.size_),
      dev_(other.dev_),
      ino_(other.ino_) {}

DeadLetterRewrite::~DeadLetterRewrite() {
  if (replay_lock_fd_ >= 0) ::close(replay_lock_fd_);  // releases the flock
}

Status DeadLetterRewrite::commit(const std::vector<std::string>& kept) {
  if (kept == lines_) return ok_status();
  const std::filesystem::path lock_path = dead_letter_lock_path(file_);
  const int lock_fd = open_lock_file(lock_path);
  if (lock_fd < 0) return make_error("io", "cannot open " + lock_path.string() + ": " + errno_text());
  Status result = ok_status();
  {
    const FlockGuard guard(lock_fd);
    result = [&]() -> Status {
      if (!guard.ok()) return make_error("io", "cannot lock " + lock_path.string() + ": " + errno_text());
      // What the daemon appended while we delivered: everything past the snapshot.
      std::string tail;
      mode_t mode = 0644;
      const int fd = ::open(file_.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0 && errno != ENOENT) return make_error("io", "cannot open " + file_.string() + ": " + errno_text());
      if (fd < 0 && existed_) return make_error("changed", file_.string() + " was removed during the replay");
      if (fd >= 0) {
        struct stat st {};
        if (::fstat(fd, &st) != 0) {
          ::close(fd);
          return make_error("io", "cannot stat " + file_.string() + ": " + errno_text());
        }
        mode = st.st_mode & 0777;
        if (existed_ && (st.st_dev != dev_ || st.st_ino != ino_ || static_cast<std::uint64_t>(st.st_size) < size_)) {
          ::close(fd);
          return make_error("changed", file_.string() + " was replaced or truncated during the replay; left as it is");
        }
        auto text = read_from(fd, existed_ ? size_ : 0, file_);
        ::close(fd);
        if (!text) return text.error();
        tail = std::move(*text);
      }
      std::string content;
      for (const auto& line : kept) content += line + "\n";
      content += tail;

      const std::filesystem::path tmp = file_.string() + ".tmp";
      const int out = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
      if (out < 0) return make_error("io", "cannot create " + tmp.string() + ": " + errno_text());
      Status written = write_all(out, content, tmp);
      if (written.ok() && ::fsync(out) != 0)
        written = make_error("io", "cannot sync " + tmp.string() + ": " + errno_text());
      if (::close(out) != 0 && written.ok())
        written = make_error("io", "cannot write " + tmp.string() + ": " + errno_text());
      if (written.ok() && ::rename(tmp.c_str(), file_.c_str()) != 0) {
        written = make_error("io", "cannot rename " + tmp.string() + " to " + file_.string() + ": " + errno_text());
      }
      if (!written.ok()) {
        ::unlink(tmp.c_str());
        return written;
      }
      // The rename itself must survive a crash, or the delivered lines come back.
      const std::filesystem::path dir = file_.has_parent_path() ? file_.parent_path() : std::filesystem::path(".");
      if (const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dfd >= 0) {
        ::fsync(dfd);
        ::close(dfd);
      }
      return ok_status();
    }();
  }
  ::close(lock_fd);
  if (result.ok()) {
    lines_ = kept;
    // A later commit would compare against the new file: refresh what "the snapshot" is.
    struct stat st {};
    if (::stat(file_.c_str(), &st) == 0) {
      existed_ = true;
      size_ = static_cast<std::uint64_t>(st.st_size);
      dev_ = st.st_dev;
      ino_ = st.st_ino;
    }
  }
  return result;
}

Redelivery redeliver(Sink& sink, const Alert& alert, const RetryPolicy& policy,
                     const std::function<void(std::chrono::milliseconds)>& sleep) {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  Redelivery out;
  const int max_attempts = std::max(1, policy.max_attempts);
  for (;;) {
    ++out.attempts;
    try {
      out.last = sink.deliver(alert);
    } catch (const std::exception& e) {
      out.last = DeliveryResult{Delivery::kRetry, "exception", std::string("sink threw: ") + e.what(), std::nullopt};
    }
    if (out.last.outcome == Delivery::kRetry) ++out.retryable_failures;
    if (out.last.outcome != Delivery::kRetry || out.attempts >= max_attempts) return out;
    sleep(backoff_delay(policy, out.attempts, out.last.retry_after, unit(rng)));
  }
}

}  // namespace vigia::alerting
