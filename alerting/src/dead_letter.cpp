#include "dead_letter.h"

#include <fstream>
#include <system_error>

#include "vigia/core/codec.h"
#include "vigia/core/json_writer.h"

namespace vigia::alerting {

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

Status DeadLetterFile::append(const DeadLetter& letter, const Alert& alert) {
  if (path_.empty()) return ok_status();
  const std::string line = encode_dead_letter(letter, alert) + "\n";
  std::lock_guard lock(mu_);
  if (path_.has_parent_path()) {
    std::error_code ec;
    std::filesystem::create_directories(path_.parent_path(), ec);
    if (ec) return make_error("io", "cannot create " + path_.parent_path().string() + ": " + ec.message());
  }
  std::ofstream out(path_, std::ios::out | std::ios::app | std::ios::binary);
  if (!out) return make_error("io", "cannot open dead-letter file " + path_.string());
  out.write(line.data(), static_cast<std::streamsize>(line.size()));
  out.close();
  if (!out) return make_error("io", "cannot write dead-letter file " + path_.string());
  return ok_status();
}

}  // namespace vigia::alerting
