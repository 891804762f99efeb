#include "text_builder.h"

#include <algorithm>
#include <array>

#include "xml_node.h"

namespace vigia::connectors::detail {
namespace {

constexpr char32_t kReplacement = 0xFFFD;

// Decodes one UTF-8 sequence at `s[i]`; returns its length, or 0 (with `cp` = U+FFFD) when
// the bytes are not well-formed UTF-8 (overlong forms and surrogates included).
std::size_t decode_utf8(std::string_view s, std::size_t i, char32_t& cp) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  if (b0 < 0x80) {
    cp = b0;
    return 1;
  }
  std::size_t len = 0;
  char32_t min = 0;
  if ((b0 & 0xE0) == 0xC0) {
    len = 2, cp = b0 & 0x1F, min = 0x80;
  } else if ((b0 & 0xF0) == 0xE0) {
    len = 3, cp = b0 & 0x0F, min = 0x800;
  } else if ((b0 & 0xF8) == 0xF0) {
    len = 4, cp = b0 & 0x07, min = 0x10000;
  } else {
    cp = kReplacement;
    return 0;
  }
  if (i + len > s.size()) {
    cp = kReplacement;
    return 0;
  }
  for (std::size_t k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xC0) != 0x80) {
      cp = kReplacement;
      return 0;
    }
    cp = (cp << 6) | (b & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
    cp = kReplacement;
    return 0;
  }
  return len;
}

}  // namespace

std::size_t encode_utf8(char32_t cp, char* out) {
  if (cp < 0x80) {
    out[0] = static_cast<char>(cp);
    return 1;
  }
  if (cp < 0x800) {
    out[0] = static_cast<char>(0xC0 | (cp >> 6));
    out[1] = static_cast<char>(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    out[0] = static_cast<char>(0xE0 | (cp >> 12));
    out[1] = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out[2] = static_cast<char>(0x80 | (cp & 0x3F));
    return 3;
  }
  out[0] = static_cast<char>(0xF0 | (cp >> 18));
  out[1] = static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
  out[2] = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
  out[3] = static_cast<char>(0x80 | (cp & 0x3F));
  return 4;
}

void encode_utf8(char32_t cp, std::string& out) {
  char buf[4];
  out.append(buf, encode_utf8(cp, buf));
}

char32_t windows1252_c1(unsigned char b) {
  static constexpr std::array<char16_t, 32> kC1 = {
      0x20AC, 0,      0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
      0x2039, 0x0152, 0,      0x017D, 0,      0,      0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
      0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0,      0x017E, 0x0178};
  if (b < 0x80 || b > 0x9F) return 0;
  return kC1[b - 0x80];
}

namespace {

bool is_blank(char32_t cp) {
  switch (cp) {
    case ' ': case '\t': case '\r': case '\f': case '\v':
    case 0x00A0: case 0x1680: case 0x2028: case 0x2029: case 0x202F: case 0x205F: case 0x3000:
      return true;
    default:
      return cp >= 0x2000 && cp <= 0x200A;
  }
}

// Invisible characters that only get in the way of matching words: C0/C1 controls, soft
// hyphen, zero-width space/joiners, word joiner, BOM, and the noncharacters.
bool is_dropped(char32_t cp) {
  return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || cp == 0x00AD || (cp >= 0x200B && cp <= 0x200D) ||
         cp == 0x2060 || cp == 0xFEFF || cp == 0xFFFE || cp == 0xFFFF;
}

}  // namespace

Role role_of(std::string_view name) {
  // Sorted for binary search; names as the HTML parser reports them (lower case).
  static constexpr std::array<std::string_view, 10> kSkip = {"head",   "iframe", "noscript", "object", "script",
                                                             "select", "style",  "svg",      "template", "title"};
  static constexpr std::array<std::string_view, 38> kBlock = {
      "address", "article", "aside",  "blockquote", "br",     "caption", "center", "dd",      "details", "dialog",
      "div",     "dl",      "dt",     "fieldset",   "figcaption", "figure", "footer", "form",  "h1",      "h2",
      "h3",      "h4",      "h5",     "h6",         "header", "hr",      "li",     "main",    "nav",     "ol",
      "p",       "pre",     "section", "summary",   "table",  "tbody",   "tr",     "ul"};
  static_assert(std::is_sorted(kSkip.begin(), kSkip.end()));
  static_assert(std::is_sorted(kBlock.begin(), kBlock.end()));
  if (std::binary_search(kSkip.begin(), kSkip.end(), name)) return Role::kSkip;
  if (std::binary_search(kBlock.begin(), kBlock.end(), name)) return Role::kBlock;
  if (name == "td" || name == "th") return Role::kCell;
  return Role::kInline;
}

void TextBuilder::put(std::string_view encoded) {
  if (!out_.empty()) {
    if (pending_ == Pending::kBreak) {
      out_.push_back(layout_ == TextLayout::kLine ? ' ' : '\n');
    } else if (pending_ == Pending::kBlank) {
      out_.push_back(' ');
    }
  }
  pending_ = Pending::kNone;
  out_.append(encoded);
}

void TextBuilder::blank() {
  if (pending_ == Pending::kNone) pending_ = Pending::kBlank;
}

void TextBuilder::line_break() { pending_ = Pending::kBreak; }

void TextBuilder::text(std::string_view text, bool newline_breaks) {
  std::size_t i = 0;
  std::size_t run = 0;  // start of a run of plain printable ASCII, appended in one go
  auto flush = [&](std::size_t end) {
    if (end > run) put(text.substr(run, end - run));
  };
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x21 && c < 0x7F) {
      ++i;
      continue;
    }
    flush(i);
    char32_t cp = 0;
    std::size_t len = decode_utf8(text, i, cp);
    if (len == 0) len = 1;  // skip one bad byte; cp is U+FFFD
    if (cp >= 0x80 && cp <= 0x9F) {
      const char32_t meant = windows1252_c1(static_cast<unsigned char>(cp));
      if (meant != 0) cp = meant;
    }
    if (cp == '\n') {
      if (newline_breaks) {
        line_break();
      } else {
        blank();
      }
    } else if (is_blank(cp)) {
      blank();
    } else if (!is_dropped(cp)) {
      // Accented letters are most of the non-ASCII text here: no allocation per character.
      char encoded[4];
      put(std::string_view(encoded, encode_utf8(cp, encoded)));
    }
    i += len;
    run = i;
  }
  flush(i);
}

std::string TextBuilder::finish() && { return std::move(out_); }

void append_markup_text(const xmlNode* first, TextBuilder& out) {
  if (first == nullptr) return;
  // Iterative walk: documents come from the network, and recursion depth should not be theirs
  // to choose.
  const xmlNode* const top = first->parent;
  const xmlNode* n = first;
  while (n != nullptr) {
    bool descend = false;
    switch (n->type) {
      case XML_TEXT_NODE:
      case XML_CDATA_SECTION_NODE:
        out.text(as_view(n->content));
        break;
      case XML_ENTITY_REF_NODE:
        out.text(entity_text(n));  // never descend: its "children" is the declaration
        break;
      case XML_ELEMENT_NODE: {
        const Role role = role_of(lower_ascii(local_name(n)));
        if (role == Role::kSkip) break;
        if (role == Role::kBlock) out.line_break();
        if (role == Role::kCell) out.blank();
        descend = true;
        break;
      }
      default:
        break;  // comments, processing instructions, DTD nodes
    }
    if (descend && n->children != nullptr) {
      n = n->children;
      continue;
    }
    // Climb until a next sibling, closing the blocks we leave.
    while (n != nullptr) {
      if (n->type == XML_ELEMENT_NODE) {
        const Role role = role_of(lower_ascii(local_name(n)));
        if (role == Role::kBlock) out.line_break();
        if (role == Role::kCell) out.blank();
      }
      if (n->next != nullptr) {
        n = n->next;
        break;
      }
      n = n->parent;
      if (n == top) n = nullptr;
    }
  }
}

}  // namespace vigia::connectors::detail
