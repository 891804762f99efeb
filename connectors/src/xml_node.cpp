#include "xml_node.h"

#include <array>
#include <mutex>

#include <libxml/entities.h>
#include <libxml/parser.h>

namespace vigia::connectors::detail {

std::string_view as_view(const xmlChar* s) {
  return s ? std::string_view(reinterpret_cast<const char*>(s)) : std::string_view();
}

void init_libxml() {
  static std::once_flag once;
  std::call_once(once, [] { xmlInitParser(); });
}

namespace {

// The namespaces feeds use most, by their customary prefix. libxml2 names an element whose
// prefix was never declared by its whole QName ("content:encoded", no namespace); such feeds are
// common enough (a template that forgot xmlns:content) that we read the prefix as meant.
std::string_view customary_namespace(std::string_view prefix) {
  struct Prefix {
    std::string_view prefix;
    std::string_view href;
  };
  static constexpr std::array<Prefix, 7> kPrefixes = {{{"content", ns::kContent},
                                                       {"dc", ns::kDc},
                                                       {"dcterms", ns::kDcTerms},
                                                       {"atom", ns::kAtom},
                                                       {"feedburner", ns::kFeedburner},
                                                       {"rdf", ns::kRdf},
                                                       {"xhtml", ns::kXhtml}}};
  for (const auto& p : kPrefixes) {
    if (p.prefix == prefix) return p.href;
  }
  return {};
}

// For an element without a namespace named "prefix:local" with a customary prefix: the colon.
std::size_t undeclared_prefix_end(const xmlNode* node) {
  if (node->ns != nullptr || node->type != XML_ELEMENT_NODE) return std::string_view::npos;
  const std::string_view name = as_view(node->name);
  const std::size_t colon = name.find(':');
  if (colon == std::string_view::npos || customary_namespace(name.substr(0, colon)).empty()) return std::string_view::npos;
  return colon;
}

}  // namespace

std::string_view local_name(const xmlNode* node) {
  const std::string_view name = as_view(node->name);
  const std::size_t colon = undeclared_prefix_end(node);
  return colon == std::string_view::npos ? name : name.substr(colon + 1);
}

std::string_view ns_href(const xmlNode* node) {
  if (node->ns != nullptr) return as_view(node->ns->href);
  const std::size_t colon = undeclared_prefix_end(node);
  return colon == std::string_view::npos ? std::string_view() : customary_namespace(as_view(node->name).substr(0, colon));
}

bool is_element(const xmlNode* node, std::string_view local, std::string_view href) {
  return node != nullptr && node->type == XML_ELEMENT_NODE && local_name(node) == local && ns_href(node) == href;
}

std::string raw_text(const xmlNode* element) {
  std::string out;
  if (element == nullptr || element->children == nullptr) return out;
  const xmlNode* n = element->children;
  while (n != nullptr) {
    if (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) {
      out.append(as_view(n->content));
    } else if (n->type == XML_ENTITY_REF_NODE) {
      out.append(entity_text(n));
    } else if (n->type == XML_ELEMENT_NODE && n->children != nullptr) {
      n = n->children;
      continue;
    }
    while (n != nullptr && n->next == nullptr) {
      n = n->parent;
      if (n == element) n = nullptr;
    }
    if (n != nullptr) n = n->next;
  }
  return out;
}

std::string trimmed_text(const xmlNode* element) { return std::string(trim(raw_text(element))); }

bool has_element_children(const xmlNode* element) {
  for (const xmlNode* c = element->children; c != nullptr; c = c->next) {
    if (c->type == XML_ELEMENT_NODE) return true;
  }
  return false;
}

std::string attribute(const xmlNode* element, const char* name) {
  xmlChar* v = xmlGetNoNsProp(element, reinterpret_cast<const xmlChar*>(name));
  std::string out(as_view(v));
  xmlFree(v);
  return out;
}

std::string attribute_ns(const xmlNode* element, const char* name, std::string_view href) {
  const std::string href_z(href);
  xmlChar* v = xmlGetNsProp(element, reinterpret_cast<const xmlChar*>(name), reinterpret_cast<const xmlChar*>(href_z.c_str()));
  std::string out(as_view(v));
  xmlFree(v);
  return out;
}

std::string base_of(const xmlNode* node) {
  xmlChar* base = xmlNodeGetBase(node->doc, node);
  std::string out(as_view(base));
  xmlFree(base);
  return out;
}

std::string lang_of(const xmlNode* node) {
  xmlChar* lang = xmlNodeGetLang(node);
  std::string out(as_view(lang));
  xmlFree(lang);
  return out;
}

std::string entity_text(const xmlNode* ref) {
  constexpr std::size_t kMaxEntityText = 1024;
  if (ref->doc == nullptr) return {};
  const xmlEntity* ent = xmlGetDocEntity(ref->doc, ref->name);
  if (ent == nullptr || ent->content == nullptr) return {};
  if (ent->etype != XML_INTERNAL_GENERAL_ENTITY && ent->etype != XML_INTERNAL_PREDEFINED_ENTITY) return {};
  const std::string_view content = as_view(ent->content);
  // One level only: replacement text that refers to further entities is how "billion laughs"
  // documents grow, and no real feed needs it.
  if (content.size() > kMaxEntityText || content.find('&') != std::string_view::npos ||
      content.find('<') != std::string_view::npos) {
    return {};
  }
  return std::string(content);
}

std::string_view trim(std::string_view s) {
  auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; };
  while (!s.empty() && blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && blank(s.back())) s.remove_suffix(1);
  return s;
}

std::string lower_ascii(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

}  // namespace vigia::connectors::detail
