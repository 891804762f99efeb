#include <catch2/catch.hpp>

#include "vigia/connectors/url.h"

using namespace vigia::connectors;

TEST_CASE("canonical URLs lower-case scheme and host but not the path", "[connectors][url]") {
  CHECK(canonical_url("HTTPS://Noticias.Example.MX/Seguridad/Nota") == "https://noticias.example.mx/Seguridad/Nota");
}

TEST_CASE("canonical URLs drop default ports and the fragment, and keep other ports", "[connectors][url]") {
  CHECK(canonical_url("http://example.com:80/a#section-2") == "http://example.com/a");
  CHECK(canonical_url("https://example.com:443/a") == "https://example.com/a");
  CHECK(canonical_url("https://example.com:8443/a") == "https://example.com:8443/a");
  CHECK(canonical_url("http://example.com:443/a") == "http://example.com:443/a");
  CHECK(canonical_url("http://[2001:DB8::1]:80/x") == "http://[2001:db8::1]/x");
}

TEST_CASE("canonical URLs drop tracking parameters and keep the rest in order", "[connectors][url]") {
  CHECK(canonical_url("https://e.com/n?utm_source=rss&b=2&UTM_Medium=x&a=1&fbclid=zz&gclid=yy#top") ==
        "https://e.com/n?b=2&a=1");
  CHECK(canonical_url("https://e.com/n?utm_source=rss&utm_campaign=feed") == "https://e.com/n");
  CHECK(canonical_url("https://e.com/n?id=1&&x") == "https://e.com/n?id=1&x");
  CHECK(canonical_url("https://e.com/n?utm=keep") == "https://e.com/n?utm=keep");
}

TEST_CASE("canonical URLs give an empty path as '/' and keep user info", "[connectors][url]") {
  CHECK(canonical_url("https://Example.com") == "https://example.com/");
  CHECK(canonical_url("https://example.com?q=1") == "https://example.com/?q=1");
  CHECK(canonical_url("ftp://User@Host.example/f") == "ftp://User@host.example/f");
}

TEST_CASE("variants of one article share a canonical URL", "[connectors][url]") {
  const std::string a = canonical_url("https://www.example.mx/nota/123?utm_source=twitter#comentarios");
  const std::string b = canonical_url("  HTTPS://WWW.EXAMPLE.MX:443/nota/123?fbclid=abc\n");
  CHECK(a == b);
}

TEST_CASE("text that is not an absolute URL comes back trimmed", "[connectors][url]") {
  CHECK(canonical_url("  /relative/path#x ") == "/relative/path#x");
  CHECK(canonical_url("urn:uuid:1234") == "urn:uuid:1234");
  CHECK(canonical_url("") == "");
  CHECK(is_absolute_url("https://x"));
  CHECK(is_absolute_url("mailto:a@b"));
  CHECK_FALSE(is_absolute_url("/a/b"));
  CHECK_FALSE(is_absolute_url("1http://x"));
}

TEST_CASE("relative references resolve against a base per RFC 3986", "[connectors][url]") {
  CHECK(resolve_url("https://e.mx/rss/feed.xml", "/nota/1") == "https://e.mx/nota/1");
  CHECK(resolve_url("https://e.mx/rss/feed.xml", "nota/1") == "https://e.mx/rss/nota/1");
  CHECK(resolve_url("https://e.mx/rss/feed.xml", "../nota/1") == "https://e.mx/nota/1");
  CHECK(resolve_url("https://e.mx/rss/feed.xml", "//cdn.e.mx/x") == "https://cdn.e.mx/x");
  CHECK(resolve_url("https://e.mx/rss/feed.xml", "?page=2") == "https://e.mx/rss/feed.xml?page=2");
  CHECK(resolve_url("https://e.mx/rss/feed.xml", "https://other.mx/a") == "https://other.mx/a");
  CHECK(resolve_url("", "nota/1") == "nota/1");
  CHECK(resolve_url("https://e.mx/", "  ") == "");
}

TEST_CASE("canonical URLs drop the common click and campaign trackers", "[connectors][url]") {
  CHECK(canonical_url("https://e.mx/n?id=7&mc_cid=abc&mc_eid=def&igshid=x&msclkid=y&_ga=1.2&yclid=9&page=2") ==
        "https://e.mx/n?id=7&page=2");
  CHECK(canonical_url("https://e.mx/n?_hsenc=a&__hstc=b&mkt_tok=c&twclid=d&ttclid=e&s_cid=f") == "https://e.mx/n");
  // Parameters that merely look alike are kept: "ref" and "source" route articles on some sites.
  CHECK(canonical_url("https://e.mx/n?ref=rss&source=home&utmost=1") == "https://e.mx/n?ref=rss&source=home&utmost=1");
}

TEST_CASE("canonical URLs resolve dot segments and normalise percent-encoding case", "[connectors][url]") {
  CHECK(canonical_url("https://e.mx/a/./b/../c") == "https://e.mx/a/c");
  CHECK(canonical_url("https://e.mx/caf%c3%a9?q=%e2%82%ac") == "https://e.mx/caf%C3%A9?q=%E2%82%AC");
  CHECK(canonical_url("https://e.mx/caf%c3%a9") == canonical_url("https://E.MX/caf%C3%A9#x"));
  CHECK(canonical_url("https://e.mx/%7Euser") == "https://e.mx/~user");  // unreserved: decoded
}

TEST_CASE("links with characters RFC 3986 forbids are escaped, not given up on", "[connectors][url]") {
  CHECK(canonical_url("https://e.mx/año nuevo?x=1&utm_source=rss") == "https://e.mx/a%C3%B1o%20nuevo?x=1");
  CHECK(canonical_url("https://e.mx/a%C3%B1o%20nuevo") == canonical_url("https://e.mx/año nuevo"));
  CHECK(canonical_url("https://e.mx/list.php?ids[]=1&ids[]=2") == "https://e.mx/list.php?ids%5B%5D=1&ids%5B%5D=2");
  CHECK(canonical_url("https://e.mx/100%-seguro") == "https://e.mx/100%25-seguro");
}
