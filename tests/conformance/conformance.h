// The parser conformance harness: runs parse_feed() and parse_feed_date() over the subset of the
// third-party feed-parser corpora that matters for news (read in place from the shared corpora,
// never copied), compares what we produce with each suite's own expectations, and keeps a ledger
// of the failures we accept. docs/conformance.md explains how the subset was chosen and how
// feedparser's and gofeed's models map onto ours.
//
// Each runner returns one CaseResult per case it considered: in the subset (passed or failed, with
// the reason) or left out (with why). Nothing here throws on a bad corpus file; an unreadable
// expectation is a failed case that says so.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace vigia::conformance {

struct CaseResult {
  std::string id;     // corpus-relative path ("feeds/feedparser/tests/…/x.xml"), or "dates/<parser>/<input>"
  std::string suite;  // e.g. "feedparser/wellformed/rss", "gofeed/translator/atom", "dates/rfc822"
  bool in_subset = true;
  bool passed = false;
  std::string detail;  // why it failed, or why it is outside the subset
};

// feedparser: derived/expectations.jsonl, the structured checks of every file of the chosen
// suites and categories whose checks all name fields our model has.
std::vector<CaseResult> run_feedparser(const std::filesystem::path& corpora);

// gofeed: testdata/translator/{rss,atom}, the normalised gofeed.Feed keys our model has.
std::vector<CaseResult> run_gofeed(const std::filesystem::path& corpora);

// feedparser: derived/date_parser_vectors.jsonl for the date formats news feeds use.
std::vector<CaseResult> run_date_vectors(const std::filesystem::path& corpora);

// tests/conformance/accepted_failures.txt: "<case id> -- <reason>" per line, '#' comments.
// Returns id -> reason; throws std::runtime_error on a line without a reason.
std::map<std::string, std::string> load_accepted_failures(const std::filesystem::path& file);

// --- pieces exposed for the harness's own tests ---

// One feedparser structured check (a JSON object as in expectations.jsonl) evaluated against the
// parse of `document`. `mapped` is false when the check names a field outside our model.
struct CheckOutcome {
  bool mapped = true;
  bool passed = false;
  std::string detail;
};
CheckOutcome evaluate_feedparser_check(const std::string& check_json, const std::string& document);

}  // namespace vigia::conformance
