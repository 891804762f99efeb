#include "file_sink.h"

#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <system_error>

#include "alert_text.h"
#include "vigia/core/codec.h"

namespace vigia::alerting {
namespace {

enum class FileFormat { kJsonLines, kText };

class FileSink final : public Sink {
 public:
  FileSink(std::filesystem::path path, FileFormat format) : path_(std::move(path)), format_(format) {}

  DeliveryResult deliver(const Alert& alert) override {
    const std::string block = format_ == FileFormat::kJsonLines ? encode_alert(alert) + "\n" : render_alert_text(alert);
    if (path_.has_parent_path()) {
      std::error_code ec;
      std::filesystem::create_directories(path_.parent_path(), ec);
      if (ec) return io_error("cannot create " + path_.parent_path().string() + ": " + ec.message());
    }
    std::ofstream out(path_, std::ios::out | std::ios::app | std::ios::binary);
    if (!out) return io_error("cannot open " + path_.string() + " for appending");
    out.write(block.data(), static_cast<std::streamsize>(block.size()));
    out.flush();
    out.close();
    if (!out) return io_error("cannot write to " + path_.string());
    return {};
  }

 private:
  static DeliveryResult io_error(std::string message) {
    return DeliveryResult{Delivery::kRetry, "io", std::move(message), std::nullopt};
  }

  std::filesystem::path path_;
  FileFormat format_;
};

SinkPtr create_file(const SinkSpec& spec, const SinkServices&) {
  const std::string& path = spec.settings.string("path");
  const std::string& format = spec.settings.string("format");
  if (path.empty()) throw std::invalid_argument("sink '" + spec.name + "': path must not be empty");
  FileFormat f;
  if (format == "jsonl") {
    f = FileFormat::kJsonLines;
  } else if (format == "text") {
    f = FileFormat::kText;
  } else {
    throw std::invalid_argument("sink '" + spec.name + "': format must be 'jsonl' or 'text', not '" + format + "'");
  }
  return std::make_unique<FileSink>(path, f);
}

}  // namespace

SinkKind file_sink_kind() {
  return SinkKind{
      "file",
      "appends each alert to a local file, as JSON lines or readable text",
      ConfigSchema{
          {"path", ConfigType::kPath, true, "",
           "file to append to (relative: to the config file's folder); parent directories are created"},
          {"format", ConfigType::kString, false, "jsonl",
           "'jsonl' (one Alert JSON per line) or 'text' (as the console)", {"jsonl", "text"}},
      },
      &create_file,
  };
}

}  // namespace vigia::alerting
