#include "vigia/connectors/html_text.h"

#include <algorithm>

#include <libxml/HTMLparser.h>

#include "text_builder.h"
#include "xml_node.h"

namespace vigia::connectors {
namespace {

bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_alnum(char c) { return is_alpha(c) || (c >= '0' && c <= '9'); }

}  // namespace

bool looks_like_html(std::string_view text) {
  for (std::size_t i = 0; i + 1 < text.size(); ++i) {
    const char c = text[i];
    if (c == '<') {
      const char next = text[i + 1];
      if (is_alpha(next) || next == '/' || next == '!') return true;
    } else if (c == '&') {
      // A character reference: &name; or &#123; / &#x1F; within a short distance.
      std::size_t j = i + 1;
      if (text[j] == '#') ++j;
      const std::size_t start = j;
      while (j < text.size() && j - start < 32 && is_alnum(text[j])) ++j;
      if (j > start && j < text.size() && text[j] == ';') return true;
    }
  }
  return false;
}

std::string normalize_text(std::string_view text, TextLayout layout) {
  detail::TextBuilder out(layout);
  out.text(text, /*newline_breaks=*/true);
  return std::move(out).finish();
}

namespace {

// Decodes the character reference starting at html[amp] ('&'). On success appends the text to
// `out`, sets `end` past the ';' and returns true; otherwise (unterminated, unknown, out of
// range) returns false and the '&' is literal text — what libxml2's HTML parser did before us.
bool decode_reference(std::string_view html, std::size_t amp, std::size_t& end, std::string& out) {
  const std::size_t limit = std::min(html.size(), amp + 34);
  std::size_t semi = amp + 1;
  while (semi < limit && html[semi] != ';' && html[semi] != '&' && html[semi] != '<' && html[semi] != ' ') ++semi;
  if (semi >= limit || html[semi] != ';' || semi == amp + 1) return false;
  const std::string_view ref = html.substr(amp + 1, semi - amp - 1);
  char32_t cp = 0;
  if (ref.front() == '#') {
    const bool hex = ref.size() > 1 && (ref[1] == 'x' || ref[1] == 'X');
    const std::string_view digits = ref.substr(hex ? 2 : 1);
    if (digits.empty() || digits.size() > 7) return false;
    for (const char c : digits) {
      int v = -1;
      if (c >= '0' && c <= '9') v = c - '0';
      else if (hex && c >= 'a' && c <= 'f') v = c - 'a' + 10;
      else if (hex && c >= 'A' && c <= 'F') v = c - 'A' + 10;
      if (v < 0) return false;
      cp = cp * (hex ? 16 : 10) + static_cast<char32_t>(v);
    }
    if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
  } else {
    char name[33];
    ref.copy(name, ref.size());
    name[ref.size()] = '\0';
    const htmlEntityDesc* desc = htmlEntityLookup(reinterpret_cast<const xmlChar*>(name));
    if (desc == nullptr) return false;
    cp = static_cast<char32_t>(desc->value);
  }
  detail::encode_utf8(cp, out);
  end = semi + 1;
  return true;
}

bool is_name_char(char c) { return is_alnum(c) || c == ':' || c == '-' || c == '_'; }

bool starts_with_ci(std::string_view s, std::size_t at, std::string_view prefix) {
  if (at + prefix.size() > s.size()) return false;
  for (std::size_t k = 0; k < prefix.size(); ++k) {
    const char c = s[at + k];
    const char lower = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
    if (lower != prefix[k]) return false;
  }
  return true;
}

// The position just past the '>' that closes the tag whose name ends at `from`, or npos when the
// tag never closes. As in HTML, a quote only opens a quoted value right after '=' — in
// <a href=x.com/">, the quote is part of an unquoted value and the '>' still closes the tag.
std::size_t tag_end(std::string_view html, std::size_t from) {
  const std::size_t n = html.size();
  std::size_t i = from;
  while (i < n) {
    const char c = html[i];
    if (c == '>') return i + 1;
    if (c != '=') {
      ++i;
      continue;
    }
    ++i;
    while (i < n && (html[i] == ' ' || html[i] == '\t' || html[i] == '\n' || html[i] == '\r')) ++i;
    if (i < n && (html[i] == '"' || html[i] == '\'')) {
      const std::size_t close = html.find(html[i], i + 1);
      if (close == std::string_view::npos) return std::string_view::npos;
      i = close + 1;
    }
  }
  return std::string_view::npos;
}

// Walks HTML source once, without building a document: text runs (entities decoded) go to the
// builder, tags only count for their role. Feeds carry fragments and broken markup, and this
// reads them the way libxml2's forgiving parser did — an unclosed tag ends the text, a '<' that
// opens no tag is text — at a fraction of the cost (no DOM, no allocation per node).
void stream_html(std::string_view html, detail::TextBuilder& out) {
  std::string run;  // text since the last tag
  run.reserve(std::min<std::size_t>(html.size(), 4096));
  auto flush = [&] {
    if (!run.empty()) out.text(run);  // HTML source: newlines are only whitespace
    run.clear();
  };
  std::size_t i = 0;
  const std::size_t n = html.size();
  while (i < n) {
    const std::size_t special = html.find_first_of("<&", i);
    if (special == std::string_view::npos) {
      run.append(html.substr(i));
      break;
    }
    run.append(html.substr(i, special - i));
    i = special;
    if (html[i] == '&') {
      std::size_t end = 0;
      if (decode_reference(html, i, end, run)) {
        i = end;
      } else {
        run.push_back('&');
        ++i;
      }
      continue;
    }
    // '<'
    if (html.compare(i, 4, "<!--") == 0) {
      const std::size_t close = html.find("-->", i + 4);
      i = close == std::string_view::npos ? n : close + 3;
      continue;
    }
    if (starts_with_ci(html, i, "<![cdata[")) {
      const std::size_t close = html.find("]]>", i + 9);
      run.append(html.substr(i + 9, close == std::string_view::npos ? std::string_view::npos : close - (i + 9)));
      i = close == std::string_view::npos ? n : close + 3;
      continue;
    }
    const bool closing = i + 1 < n && html[i + 1] == '/';
    const std::size_t name_start = i + (closing ? 2 : 1);
    if (name_start < n && (html[name_start] == '!' || html[name_start] == '?') && !closing) {
      const std::size_t end = tag_end(html, name_start);  // doctype, processing instruction
      i = end == std::string_view::npos ? n : end;
      continue;
    }
    if (name_start >= n || !is_alpha(html[name_start])) {
      run.push_back('<');  // "a < b": not a tag
      ++i;
      continue;
    }
    std::size_t name_end = name_start;
    while (name_end < n && is_name_char(html[name_end])) ++name_end;
    std::string name = detail::lower_ascii(html.substr(name_start, name_end - name_start));
    if (const auto colon = name.rfind(':'); colon != std::string::npos) name.erase(0, colon + 1);
    const std::size_t end = tag_end(html, name_end);
    if (end == std::string_view::npos) break;  // an unclosed tag swallows the rest
    const detail::Role role = detail::role_of(name);
    const bool self_closing = end >= 2 && html[end - 2] == '/';
    i = end;
    if (role == detail::Role::kSkip) {
      if (closing || self_closing) continue;
      // Hidden content (script, style, ...) runs to its own end tag.
      std::size_t at = i;
      for (;;) {
        at = html.find("</", at);
        if (at == std::string_view::npos) {
          i = n;
          break;
        }
        if (starts_with_ci(html, at + 2, name) &&
            (at + 2 + name.size() >= n || !is_name_char(html[at + 2 + name.size()]))) {
          const std::size_t close = tag_end(html, at + 2 + name.size());
          i = close == std::string_view::npos ? n : close;
          break;
        }
        at += 2;
      }
      continue;
    }
    if (role == detail::Role::kBlock) {
      flush();
      out.line_break();
    } else if (role == detail::Role::kCell) {
      flush();
      out.blank();
    }
  }
  flush();
}

}  // namespace

std::string html_to_text(std::string_view html, TextLayout layout) {
  detail::TextBuilder out(layout);
  if (!looks_like_html(html)) {
    out.text(html);  // HTML source: newlines are only whitespace
    return std::move(out).finish();
  }
  stream_html(html, out);
  return std::move(out).finish();
}

}  // namespace vigia::connectors
