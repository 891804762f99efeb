// The human-readable form of an alert, shared by the console sink and the file sink's "text"
// format so a watch officer sees the same block wherever it lands:
//
//   [HIGH] cartels · score 8.5 · cjng-fuel-theft — Robo de combustible ligado al CJNG
//     Detienen a presuntos integrantes del CJNG en Salamanca
//     El Universal · published 2024-05-03 12:00 UTC
//     > title: Detienen a presuntos integrantes del [[CJNG]] en Salamanca
//     entities: cartels: CJNG · places_mx: Guanajuato
//     link: https://example.mx/nota/123
//
// Feed text is untrusted: control characters (ANSI escapes included) are removed and
// whitespace is collapsed, so an article cannot repaint the officer's terminal or forge lines.
#pragma once

#include <cstddef>
#include <string>

#include "vigia/core/model.h"

namespace vigia::alerting {

// At most this many matched terms are shown; the rest are counted ("+2 more").
inline constexpr std::size_t kMaxSnippetsShown = 3;

// The block for `alert`, each line ending in '\n', followed by one empty separator line.
std::string render_alert_text(const Alert& alert);

}  // namespace vigia::alerting
