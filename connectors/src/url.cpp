#include "vigia/connectors/url.h"

#include <algorithm>
#include <array>
#include <string>

#include <libxml/uri.h>
#include <libxml/xmlmemory.h>
#include <uriparser/Uri.h>

#include "xml_node.h"

namespace vigia::connectors {
namespace {

using detail::lower_ascii;
using detail::trim;

bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

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

// Query parameters that say how a reader arrived, never which article they reached, so links
// that differ only in them name the same story: Google Analytics/Ads (utm_*, gclid, gclsrc,
// dclid, _ga, _gl), Meta (fbclid, igshid), Microsoft Ads (msclkid), Mailchimp (mc_cid, mc_eid),
// HubSpot (_hsenc, _hsmi, __hstc, __hssc, __hsfp, hsctatracking), Marketo (mkt_tok), Yandex
// (yclid, _openstat), X/Twitter (twclid), TikTok (ttclid), LinkedIn (li_fat_id), Adobe Analytics
// (s_cid), Olytics (oly_anon_id, oly_enc_id), Vero (vero_id, vero_conv), Wicked Reports (wickedid).
// Lists that also strip ambiguous names such as "ref" or "source" are not followed: some sites
// route articles with them.
bool is_tracking_param(std::string_view param) {
  static constexpr std::array<std::string_view, 28> kNames = {
      "fbclid",      "gclid",      "gclsrc",  "dclid",     "_ga",    "_gl",         "igshid",
      "msclkid",     "mc_cid",     "mc_eid",  "_hsenc",    "_hsmi",  "__hstc",      "__hssc",
      "__hsfp",      "hsctatracking", "mkt_tok", "yclid",  "_openstat", "twclid",  "ttclid",
      "li_fat_id",   "s_cid",      "oly_anon_id", "oly_enc_id", "vero_id", "vero_conv", "wickedid"};
  const std::string name = lower_ascii(param.substr(0, param.find('=')));
  return name.starts_with("utm_") || std::find(kNames.begin(), kNames.end(), name) != kNames.end();
}

// Links in feeds are often IRIs or carry characters RFC 3986 does not allow (blanks, non-ASCII
// bytes, '[' in PHP array parameters, a lone '%'). Percent-encode those bytes so uriparser can
// read the rest; a valid URI passes through unchanged.
std::string escape_for_parse(std::string_view url) {
  static constexpr std::string_view kAllowed =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~:/?#[]@!$&'()*+,;=%";
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(url.size());
  // '[' and ']' are legal only around an IPv6 host, inside the authority.
  const std::size_t authority = url.find("//");
  const std::size_t authority_end =
      authority == std::string_view::npos ? 0 : url.find_first_of("/?#", authority + 2);
  for (std::size_t i = 0; i < url.size(); ++i) {
    const char c = url[i];
    const bool bracket = c == '[' || c == ']';
    const bool in_authority = authority != std::string_view::npos && i > authority && i < authority_end;
    const bool bad_percent = c == '%' && !(i + 2 < url.size() && is_hex(url[i + 1]) && is_hex(url[i + 2]));
    if (kAllowed.find(c) == std::string_view::npos || (bracket && !in_authority) || bad_percent) {
      const auto b = static_cast<unsigned char>(c);
      out += '%';
      out += kHex[b >> 4];
      out += kHex[b & 0x0F];
    } else {
      out += c;
    }
  }
  return out;
}

std::string_view range(const UriTextRangeA& r) {
  if (r.first == nullptr || r.afterLast == nullptr) return {};
  return std::string_view(r.first, static_cast<std::size_t>(r.afterLast - r.first));
}

// Owns a parsed uriparser URI and frees it (and whatever normalisation allocated) on exit.
class ParsedUri {
 public:
  ParsedUri() = default;
  ~ParsedUri() {
    if (parsed_) uriFreeUriMembersA(&uri_);
  }
  ParsedUri(const ParsedUri&) = delete;
  ParsedUri& operator=(const ParsedUri&) = delete;

  bool parse(const std::string& text) {
    const char* error_pos = nullptr;
    parsed_ = uriParseSingleUriExA(&uri_, text.data(), text.data() + text.size(), &error_pos) == URI_SUCCESS;
    return parsed_;
  }
  UriUriA& get() { return uri_; }

 private:
  UriUriA uri_{};
  bool parsed_ = false;
};

}  // namespace

bool is_absolute_url(std::string_view url) { return scheme_length(trim(url)) > 0; }

std::string canonical_url(std::string_view url) {
  url = trim(url);
  if (scheme_length(url) == 0) return std::string(url);
  // The fragment never reaches the server: drop it before parsing, whatever it holds.
  const std::string text = escape_for_parse(url.substr(0, url.find('#')));
  ParsedUri parsed;
  if (!parsed.parse(text)) return std::string(url);
  UriUriA& uri = parsed.get();
  // Scheme and host to lower case, percent-encodings to upper case (decoding the unreserved
  // characters), "." and ".." path segments resolved: RFC 3986 §6.2.2 syntax normalisation.
  constexpr unsigned kMask = URI_NORMALIZE_SCHEME | URI_NORMALIZE_USER_INFO | URI_NORMALIZE_HOST | URI_NORMALIZE_PATH |
                             URI_NORMALIZE_QUERY;
  if (uriNormalizeSyntaxExA(&uri, kMask) != URI_SUCCESS) return std::string(url);

  const std::string scheme = lower_ascii(range(uri.scheme));
  std::string out = scheme;
  out += ':';
  const bool has_authority = uri.hostText.first != nullptr;
  if (has_authority) {
    out += "//";
    if (uri.userInfo.first != nullptr) {
      out += range(uri.userInfo);
      out += '@';
    }
    const bool bracketed = uri.hostData.ip6 != nullptr || uri.hostData.ipFuture.first != nullptr;
    if (bracketed) out += '[';
    out += lower_ascii(range(uri.hostText));
    if (bracketed) out += ']';
    const std::string_view port = range(uri.portText);
    const bool default_port = port.empty() || (scheme == "http" && port == "80") || (scheme == "https" && port == "443");
    if (!default_port) {
      out += ':';
      out += port;
    }
  }
  std::string path;
  for (const UriPathSegmentA* seg = uri.pathHead; seg != nullptr; seg = seg->next) {
    if (seg != uri.pathHead || has_authority || uri.absolutePath) path += '/';
    path += range(seg->text);
  }
  if (has_authority && path.empty()) path.push_back('/');  // "https://e.mx" and "https://e.mx/" are one page
  out += path;

  std::string_view query = range(uri.query);
  std::string kept;
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    const std::string_view param = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (param.empty() || is_tracking_param(param)) continue;
    if (!kept.empty()) kept += '&';
    kept += param;
  }
  if (!kept.empty()) {
    out += '?';
    out += kept;
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
