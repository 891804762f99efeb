// Small feeds written for these tests (no third-party text), shared by the parser, connector and
// ingest tests.
#pragma once

#include <string>

namespace vigia::test::feeds {

// RSS 2.0 in Spanish: CDATA, escaped HTML, entities, a relative link, a named-zone date, a
// FeedBurner original link, an item without a date.
inline const std::string kRssSpanish = R"(<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"
     xmlns:content="http://purl.org/rss/1.0/modules/content/"
     xmlns:feedburner="http://rssnamespace.org/feedburner/ext/1.0">
  <channel>
    <title>Noticias de Prueba</title>
    <link>https://noticias.example.mx/</link>
    <language>es-mx</language>
    <item>
      <title>
        <![CDATA[ Detienen a 3 presuntos integrantes de célula delictiva en Culiacán ]]>
      </title>
      <link>/seguridad/2024/05/detienen-celula.html?utm_source=rss&amp;id=7</link>
      <description>&lt;p&gt;La Fiscalía informó &lt;b&gt;el martes&lt;/b&gt; que los detenidos&amp;nbsp;portaban armas.&lt;/p&gt;&lt;p&gt;Segundo párrafo &amp;amp; más.&lt;/p&gt;&lt;script&gt;track()&lt;/script&gt;</description>
      <content:encoded><![CDATA[<div><h2>Operativo</h2><p>Elementos de la Guardia Nacional&nbsp;y la Sedena participaron.</p><style>p{}</style></div>]]></content:encoded>
      <pubDate>Tue, 14 May 2024 09:30:00 CDT</pubDate>
      <dc:creator>Redacción</dc:creator>
      <category>Seguridad</category>
      <category><![CDATA[Sinaloa]]></category>
      <guid isPermaLink="false">nota-1001</guid>
    </item>
    <item>
      <title>Hallan narcolaboratorio en la sierra</title>
      <link>https://noticias.example.mx/seguridad/narcolaboratorio</link>
      <description>Sin fecha de publicación en esta nota.</description>
      <author>editor@noticias.example.mx (Ana Pérez)</author>
    </item>
    <item>
      <title>Bloqueos en carreteras de Jalisco</title>
      <link>http://feeds.example.com/~r/noticias/~3/abc123/</link>
      <feedburner:origLink>https://noticias.example.mx/estados/bloqueos-jalisco</feedburner:origLink>
      <pubDate>Wed, 15 May 2024 18:00:00 +0000</pubDate>
    </item>
  </channel>
</rss>
)";

// Atom 1.0 in English: xml:lang and xml:base, html/xhtml/text constructs, inherited authors,
// alternate vs other links, updated without published.
inline const std::string kAtomEnglish = R"(<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en-us" xml:base="https://wire.example.com/mexico/">
  <title type="text">Example Wire: Mexico</title>
  <link rel="self" href="https://wire.example.com/mexico/feed.atom"/>
  <link rel="alternate" type="text/html" href="https://wire.example.com/mexico/"/>
  <id>urn:example:wire:mexico</id>
  <updated>2024-05-16T12:00:00Z</updated>
  <author><name>Wire Desk</name></author>
  <entry>
    <title type="html">Cartel violence &amp;amp; displacement in Michoac&amp;aacute;n</title>
    <link rel="enclosure" href="https://cdn.example.com/photo.jpg"/>
    <link rel="alternate" type="text/html" href="stories/michoacan-displacement"/>
    <id>urn:example:wire:story:42</id>
    <published>2024-05-16T08:15:00-06:00</published>
    <updated>2024-05-16T10:00:00-06:00</updated>
    <summary type="html">&lt;p&gt;Families fled &lt;em&gt;three&lt;/em&gt; villages.&lt;/p&gt;</summary>
    <content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p>First paragraph.</p><p>Second <b>bold</b> paragraph.</p></div></content>
    <category term="security" label="Security"/>
    <category term="michoacan"/>
  </entry>
  <entry xml:lang="es">
    <title>Reporte en español</title>
    <link href="https://wire.example.com/es/reporte"/>
    <id>urn:example:wire:story:43</id>
    <updated>2024-05-16T11:00:00Z</updated>
    <author><name>María López</name></author>
    <summary>Plain text summary with a &lt; sign and R&amp;D.</summary>
  </entry>
</feed>
)";

// RSS 1.0 (RDF) with items beside the channel.
inline const std::string kRdf = R"(<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"
         xmlns:dc="http://purl.org/dc/elements/1.1/">
  <channel rdf:about="https://rdf.example.org/">
    <title>RDF Example</title>
    <link>https://rdf.example.org/</link>
    <dc:language>es</dc:language>
  </channel>
  <item rdf:about="https://rdf.example.org/nota/1">
    <title>Enfrentamiento en Tamaulipas</title>
    <link>https://rdf.example.org/nota/1</link>
    <description>Autoridades reportan un enfrentamiento.</description>
    <dc:date>2024-05-10T14:00:00-05:00</dc:date>
    <dc:creator>Corresponsal</dc:creator>
    <dc:subject>Tamaulipas</dc:subject>
  </item>
  <item rdf:about="https://rdf.example.org/nota/2">
    <title>Segunda nota</title>
    <link>https://rdf.example.org/nota/2</link>
  </item>
</rdf:RDF>
)";

}  // namespace vigia::test::feeds
