#include "vigia/connectors/url.h"

#include <string>
#include <vector>

#include <libxml/uri.h>
#include <libxml/xmlmemory.h>

#include "xml_node.h"

namespace vigia::connectors {
namespace {

using detail::lower_ascii;
using detail::trim;

bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Length of the scheme (without ':'), or 0 when `s` does not start with one.
std::size_t scheme_length(std::string_view s) {
  if (s.empty() || !is_alpha(s[0])) return 0;
  for (std::size_t i = 1; i < s.size(); ++i) {
    const char c = s[i];
    if (c == ':') return i;
    if (!is_alpha(c) && !is_digit(c) && c != '+' && c != '-' && c != '.') return 0;
  }
  return 0;
}

bool is_tracking_param(std::string_view param) {
  const std::string name = lower_ascii(param.substr(0, param.find('=')));
  return name.starts_with("utm_") || name == "fbclid" || name == "gclid";
}

}  // namespace

bool is_absolute_url(std::string_view url) { return scheme_length(trim(url)) > 0; }

std::string canonical_url(std::string_view url) {
  url = trim(url);
  const std::size_t scheme_len = scheme_length(url);
  if (scheme_len == 0) return std::string(url);
  const std::string scheme = lower_ascii(url.substr(0, scheme_len));
  std::string_view rest = url.substr(scheme_len + 1);

  const std::size_t hash = rest.find('#');
  if (hash != std::string_view::npos) rest = rest.substr(0, hash);

  std::string out = scheme + ":";
  if (rest.starts_with("//")) {
    rest.remove_prefix(2);
    const std::size_t end = rest.find_first_of("/?");
    std::string_view authority = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end);
    std::string_view userinfo;
    if (const std::size_t at = authority.rfind('@'); at != std::string_view::npos) {
      userinfo = authority.substr(0, at + 1);
      authority.remove_prefix(at + 1);
    }
    std::string_view host = authority;
    std::string_view port;
    const std::size_t bracket = authority.rfind(']');  // IPv6 literal: the port follows the ']'
    const std::size_t colon = authority.rfind(':');
    if (colon != std::string_view::npos && (bracket == std::string_view::npos || colon > bracket)) {
      host = authority.substr(0, colon);
      port = authority.substr(colon + 1);
    }
    const bool default_port = port.empty() || (scheme == "http" && port == "80") || (scheme == "https" && port == "443");
    out += "//";
    out += userinfo;
    out += lower_ascii(host);
    if (!default_port) {
      out += ':';
      out += port;
    }
    if (rest.empty() || rest.front() == '?') out += '/';
  }

  const std::size_t question = rest.find('?');
  out += rest.substr(0, question);
  if (question != std::string_view::npos) {
    std::string_view query = rest.substr(question + 1);
    std::string kept;
    while (!query.empty()) {
      const std::size_t amp = query.find('&');
      const std::string_view param = query.substr(0, amp);
      query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
      if (param.empty() || is_tracking_param(param)) continue;
      if (!kept.empty()) kept += '&';
      kept += param;
    }
    if (!kept.empty()) out += "?" + kept;
  }
  return out;
}

std::string resolve_url(std::string_view base, std::string_view reference) {
  reference = trim(reference);
  base = trim(base);
  if (reference.empty() || base.empty() || is_absolute_url(reference)) return std::string(reference);
  const std::string ref_z(reference);
  const std::string base_z(base);
  xmlChar* built = xmlBuildURI(reinterpret_cast<const xmlChar*>(ref_z.c_str()), reinterpret_cast<const xmlChar*>(base_z.c_str()));
  if (built == nullptr) return ref_z;
  std::string out(reinterpret_cast<const char*>(built));
  xmlFree(built);
  return out;
}

}  // namespace vigia::connectors
