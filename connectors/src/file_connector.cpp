#include "file_connector.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "vigia/connectors/feed_parser.h"
#include "vigia/connectors/item_id.h"
#include "vigia/core/codec.h"
#include "vigia/core/log.h"
#include "xml_node.h"

namespace vigia::connectors {
namespace {

namespace fs = std::filesystem;
using detail::lower_ascii;

// Larger XML files are refused rather than read into memory: no real feed comes near this.
constexpr std::uintmax_t kMaxXmlBytes = 64u << 20;

enum class Format { kAuto, kRss, kAtom, kRdf, kJsonFeed, kJsonl };

std::optional<Format> format_from(std::string_view name) {
  if (name == "auto") return Format::kAuto;
  if (name == "rss") return Format::kRss;
  if (name == "atom") return Format::kAtom;
  if (name == "rdf") return Format::kRdf;
  if (name == "json") return Format::kJsonFeed;
  if (name == "jsonl") return Format::kJsonl;
  return std::nullopt;
}

bool wanted_extension(const fs::path& p) {
  const std::string ext = lower_ascii(p.extension().string());
  return ext == ".xml" || ext == ".rss" || ext == ".atom" || ext == ".rdf" || ext == ".json" || ext == ".jsonl";
}

struct Signature {
  std::uintmax_t size = 0;
  fs::file_time_type mtime;
  bool operator==(const Signature&) const = default;
};

// Why one file could not be used, for the poll's error.
struct FileFailure {
  std::string reason;
  std::string message;
};

class FileConnector final : public Connector {
 public:
  FileConnector(const FeedSpec& feed, const ConnectorServices& services)
      : name_(feed.name),
        clock_(services.clock ? services.clock : system_clock()),
        path_(feed.settings.string("path")),
        format_name_(feed.settings.string("format")) {}

  Result<PollReport> poll(ItemWriter& out, std::stop_token stop) override {
    const auto format = format_from(lower_ascii(format_name_));
    if (!format) {
      return make_error("config", where() + "format '" + format_name_ + "' is not one of auto, rss, atom, rdf, json, jsonl");
    }
    auto files = list_files();
    if (!files) return files.error();

    PollReport report;
    std::map<fs::path, Signature> seen_now;
    std::vector<std::pair<fs::path, FileFailure>> failures;
    std::size_t unchanged = 0;
    for (const auto& file : *files) {
      if (stop.stop_requested()) return make_error("cancelled", where() + "poll cancelled");
      std::error_code ec;
      Signature sig{fs::file_size(file, ec), fs::last_write_time(file, ec)};
      if (ec) {
        failures.push_back({file, {"io", ec.message()}});
        continue;
      }
      if (auto it = read_.find(file); it != read_.end() && it->second == sig) {
        seen_now.emplace(file, sig);
        ++unchanged;
        continue;
      }
      const bool jsonl = *format == Format::kJsonl || (*format == Format::kAuto && lower_ascii(file.extension().string()) == ".jsonl");
      std::optional<FileFailure> failure;
      Status written = jsonl ? read_jsonl(file, out, stop, report) : read_xml(file, *format, sig.size, out, stop, report, failure);
      if (!written) {
        // The pipeline refused items (shutdown): keep what we remember so far, re-read this file
        // next time.
        forget_missing(seen_now, *files);
        return written.error();
      }
      // Remembered even when it failed, so a broken file is reported once per version rather
      // than on every poll.
      seen_now.emplace(file, sig);
      if (failure) failures.push_back({file, std::move(*failure)});
    }
    read_ = std::move(seen_now);
    if (!failures.empty()) {
      const auto& [file, f] = failures.front();
      std::string msg = where() + file.string() + ": " + f.message;
      if (failures.size() > 1) {
        msg += " (and " + std::to_string(failures.size() - 1) + " more of " + std::to_string(files->size()) + " files)";
      }
      for (std::size_t i = 1; i < failures.size(); ++i) {
        log::get("connectors")->warn("{}{}: {}", where(), failures[i].first.string(), failures[i].second.message);
      }
      return make_error(f.reason, std::move(msg));
    }
    report.not_modified = !files->empty() && unchanged == files->size();
    return report;
  }

 private:
  std::string where() const { return "feed '" + name_ + "': "; }

  Result<std::vector<fs::path>> list_files() const {
    std::error_code ec;
    const fs::path root(path_);
    const auto st = fs::status(root, ec);
    if (ec || !fs::exists(st)) {
      return make_error("io", where() + "cannot read " + path_ + ": " + (ec ? ec.message() : "no such file or directory"));
    }
    std::vector<fs::path> files;
    if (!fs::is_directory(st)) {
      files.push_back(root);
      return files;
    }
    fs::directory_iterator it(root, ec);
    if (ec) return make_error("io", where() + "cannot list " + path_ + ": " + ec.message());
    for (; it != fs::directory_iterator(); it.increment(ec)) {
      if (ec) return make_error("io", where() + "cannot list " + path_ + ": " + ec.message());
      std::error_code type_ec;
      if (it->is_regular_file(type_ec) && wanted_extension(it->path())) files.push_back(it->path());
    }
    std::sort(files.begin(), files.end(), [](const fs::path& a, const fs::path& b) { return a.filename() < b.filename(); });
    return files;
  }

  // After an interrupted poll: drop memories of files that disappeared, keep the rest as is.
  void forget_missing(const std::map<fs::path, Signature>& seen_now, const std::vector<fs::path>& files) {
    for (auto it = read_.begin(); it != read_.end();) {
      const bool listed = std::find(files.begin(), files.end(), it->first) != files.end();
      it = listed ? std::next(it) : read_.erase(it);
    }
    for (const auto& [file, sig] : seen_now) read_[file] = sig;
  }

  Status read_xml(const fs::path& file, Format format, std::uintmax_t size, ItemWriter& out, const std::stop_token& stop,
                  PollReport& report, std::optional<FileFailure>& failure) {
    if (size > kMaxXmlBytes) {
      failure = FileFailure{"too_large", "larger than " + std::to_string(kMaxXmlBytes) + " bytes"};
      return ok_status();
    }
    std::ifstream in(file, std::ios::binary);
    if (!in.is_open()) {
      failure = FileFailure{"io", "cannot open the file"};
      return ok_status();
    }
    std::ostringstream buf;
    buf << in.rdbuf();
    FeedContext ctx;
    ctx.source = name_;
    ctx.connector = "file";
    ctx.fetched = clock_->now();
    if (format == Format::kRss) ctx.expect = FeedFormat::kRss;
    if (format == Format::kAtom) ctx.expect = FeedFormat::kAtom;
    if (format == Format::kRdf) ctx.expect = FeedFormat::kRdf;
    if (format == Format::kJsonFeed) ctx.expect = FeedFormat::kJsonFeed;
    auto parsed = parse_feed(buf.str(), ctx);
    if (!parsed) {
      failure = FileFailure{"parse", parsed.error().message};
      return ok_status();
    }
    if (!parsed->well_formed) {
      log::get("connectors")->debug("{}{} is broken XML, recovered: {}", where(), file.string(), parsed->problem);
    }
    report.skipped += parsed->skipped;
    for (auto& item : parsed->items) {
      if (stop.stop_requested()) return make_error("cancelled", where() + "poll cancelled");
      if (auto st = out.write(std::move(item)); !st) return st;
      ++report.items;
    }
    return ok_status();
  }

  Status read_jsonl(const fs::path& file, ItemWriter& out, const std::stop_token& stop, PollReport& report) {
    std::ifstream in(file, std::ios::binary);
    if (!in) {
      log::get("connectors")->warn("{}{}: cannot open", where(), file.string());
      ++report.skipped;
      return ok_status();
    }
    const Timestamp now = clock_->now();
    std::string line;
    std::size_t line_no = 0;
    while (std::getline(in, line)) {
      ++line_no;
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (detail::trim(line).empty()) continue;
      if (stop.stop_requested()) return make_error("cancelled", where() + "poll cancelled");
      auto decoded = decode_item(line);
      if (!decoded) {
        log::get("connectors")->warn("{}:{}: {}: {}", file.string(), line_no, decoded.error().reason, decoded.error().message);
        ++report.skipped;
        continue;
      }
      Item item = std::move(decoded).value();
      if (item.title.empty() && item.url.empty() && item.summary.empty() && item.content.empty()) {
        log::get("connectors")->warn("{}:{}: empty: no title, url, summary or content", file.string(), line_no);
        ++report.skipped;
        continue;
      }
      item.source = name_;
      item.connector = "file";
      item.fetched = now;
      if (!item.published) {
        item.published = now;
        item.published_is_fetch_time = true;
      }
      if (item.id.empty()) item.id = item_id(item.source, item.url, {}, item.title, item.summary);
      if (auto st = out.write(std::move(item)); !st) return st;
      ++report.items;
    }
    return ok_status();
  }

  const std::string name_;
  const ClockPtr clock_;
  const std::string path_;
  const std::string format_name_;
  std::map<fs::path, Signature> read_;  // files read completely, as they were then
};

ConnectorPtr create(const FeedSpec& feed, const ConnectorServices& services) {
  return std::make_unique<FileConnector>(feed, services);
}

}  // namespace

ConnectorKind file_connector_kind() {
  return ConnectorKind{
      "file",
      "Feeds read from disk: one RSS/RDF/Atom or JSONL file, or a directory of them.",
      {
          {"path", ConfigType::kPath, true, "",
           "a feed file, or a directory of .xml .rss .atom .rdf .json .jsonl files; relative to the config file"},
          {"format", ConfigType::kString, false, "auto",
           "auto, rss, atom, rdf, json (JSON Feed) or jsonl; auto: .jsonl files are JSON lines, the rest feeds whose format is read from their content",
           {"auto", "rss", "atom", "rdf", "json", "jsonl"}},
      },
      &create,
  };
}

}  // namespace vigia::connectors
