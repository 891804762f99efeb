#include <catch2/catch.hpp>

#include "vigia/connectors/html_text.h"

using namespace vigia::connectors;

TEST_CASE("HTML loses its tags, keeps its words, and decodes entities", "[connectors][html]") {
  CHECK(html_to_text("<p>Hola <b>mundo</b> &amp; <i>adi&oacute;s</i> &#8212; &#x41;</p>") == "Hola mundo & adiós — A");
}

TEST_CASE("script, style and other invisible elements are skipped", "[connectors][html]") {
  CHECK(html_to_text("<div>visible<script>var x = '<p>hidden</p>';</script><style>.a{}</style>"
                     "<noscript>no</noscript> text</div>") == "visible text");
}

TEST_CASE("block elements become line breaks and table cells spaces", "[connectors][html]") {
  CHECK(html_to_text("<h1>Titular</h1><p>Uno</p><p>Dos<br>Tres</p><ul><li>a</li><li>b</li></ul>") ==
        "Titular\nUno\nDos\nTres\na\nb");
  CHECK(html_to_text("<table><tr><td>x</td><td>y</td></tr><tr><td>z</td></tr></table>") == "x y\nz");
  CHECK(html_to_text("<p>Uno</p><p>Dos</p>", TextLayout::kLine) == "Uno Dos");
}

TEST_CASE("whitespace collapses and inline elements do not glue words together", "[connectors][html]") {
  CHECK(html_to_text("  <p>\n  a \t\n b  </p>  ") == "a b");
  CHECK(html_to_text("<b>uno</b> <i>dos</i>") == "uno dos");
  CHECK(html_to_text("pala<b>bra</b>") == "palabra");
}

TEST_CASE("no-break spaces become spaces, soft hyphens and zero-width characters go", "[connectors][html]") {
  CHECK(html_to_text("a&nbsp;&nbsp;b") == "a b");
  CHECK(normalize_text("a\xC2\xA0" "b") == "a b");
  CHECK(normalize_text("nar\xC2\xAD" "co\xE2\x80\x8Btr\xC3\xA1" "fico") == "narcotráfico");
}

TEST_CASE("invalid UTF-8 becomes U+FFFD and control characters disappear", "[connectors][html]") {
  CHECK(normalize_text("a\xFF" "b") == "a\xEF\xBF\xBD" "b");
  CHECK(normalize_text("bell\x07 here") == "bell here");
  CHECK(normalize_text("\xC3") == "\xEF\xBF\xBD");  // truncated sequence
}

TEST_CASE("plain text keeps its line breaks in paragraph layout only", "[connectors][html]") {
  CHECK(normalize_text("uno\n\n dos  \n") == "uno\ndos");
  CHECK(normalize_text("uno\ndos", TextLayout::kLine) == "uno dos");
}

TEST_CASE("text without markup skips the HTML parser but is still cleaned", "[connectors][html]") {
  CHECK_FALSE(looks_like_html("3 < 5 and AT&T"));
  CHECK(looks_like_html("a <b>c</b>"));
  CHECK(looks_like_html("caf&eacute;"));
  CHECK(looks_like_html("&#233;"));
  CHECK(html_to_text("3 < 5 and AT&T\nrocks") == "3 < 5 and AT&T rocks");
}

TEST_CASE("broken HTML still yields its text", "[connectors][html]") {
  CHECK(html_to_text("<p>abierto <b>sin cerrar <i>nada") == "abierto sin cerrar nada");
  CHECK(html_to_text("</p>suelto</div>") == "suelto");
  CHECK(html_to_text("") == "");
}

TEST_CASE("C1 control characters are read as the Windows-1252 characters they stand for", "[connectors][html]") {
  CHECK(html_to_text("don&#146;t &#147;citar&#148; &#128;5") == "don’t “citar” €5");
  CHECK(normalize_text("don\xC2\x92t") == "don’t");
  CHECK(normalize_text("a\xC2\x81" "b") == "ab");  // 0x81: undefined in Windows-1252, dropped
}

TEST_CASE("HTML is read in one pass the way a forgiving parser reads broken markup", "[connectors][html]") {
  using vigia::connectors::html_to_text;
  using vigia::connectors::TextLayout;
  // A quote inside an unquoted attribute value does not open a quoted value.
  CHECK(html_to_text(R"(<a href=http://e.mx/">enlace</a> y más)") == "enlace y más");
  // Quoted values may hold '>' and '<'.
  CHECK(html_to_text(R"(<img alt="a > b" src='x<y'>Texto)") == "Texto");
  // Hidden content runs to its own end tag, whatever it contains, in any case.
  CHECK(html_to_text("<p>Antes</p><SCRIPT>if (a < b) { x = '</p>'; }</script><p>Después</p>") == "Antes\nDespués");
  CHECK(html_to_text("Uno<style>p{}</style >dos") == "Unodos");
  CHECK(html_to_text("Uno<script/>dos") == "Unodos");
  // Comments, doctypes and processing instructions vanish; CDATA is text.
  CHECK(html_to_text("<!DOCTYPE html><!-- nota -->Hola<?php echo 1; ?> <![CDATA[a & b]]>") == "Hola a & b");
  // A '<' that opens no tag is text; an unclosed tag ends the text.
  CHECK(html_to_text("3 < 5 y 7 > 2 <b>sí</b>") == "3 < 5 y 7 > 2 sí");
  CHECK(html_to_text("Visible <a href=\"nunca") == "Visible");
  // References: named, numeric (Windows-1252 for the C1 range), unknown and unterminated kept.
  CHECK(html_to_text("Michoac&aacute;n &#8212; &#146;CJNG&#x2019; &bogus; AT&T &amp") ==
        "Michoacán — ’CJNG’ &bogus; AT&T &amp");
  // Namespaced and upper-case block elements still break lines; cells are separated.
  CHECK(html_to_text("<xhtml:P>uno</xhtml:P><DIV>dos</DIV><table><tr><td>a</td><td>b</td></tr></table>") ==
        "uno\ndos\na b");
  CHECK(html_to_text("<p>uno</p><p>dos</p>", TextLayout::kLine) == "uno dos");
}
