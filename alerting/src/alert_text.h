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
#include <string_view>
#include <utility>
#include <vector>

#include "vigia/core/model.h"

namespace vigia::alerting {

// At most this many matched terms are shown; the rest are counted ("+2 more").
inline constexpr std::size_t kMaxSnippetsShown = 3;

// Text field size cap for one_line(): long enough for any headline, short enough for a line.
inline constexpr std::size_t kMaxFieldBytes = 300;

// One display line from untrusted text: C0/C1 controls and DEL become spaces, whitespace runs
// collapse to one space, and the result is cut (on a UTF-8 boundary) at `max_bytes`, with "…".
std::string one_line(std::string_view text, std::size_t max_bytes = kMaxFieldBytes);

// "8.5", "12", "0.25": enough precision for a score, no trailing zeros.
std::string format_score(double score);

// "2024-05-03 12:00 UTC": what an officer reads, rather than RFC 3339.
std::string format_when(Timestamp t);

// `text` with every span wrapped in [[ ]]; overlapping spans merge. Offsets come from the
// scorer; any that do not fit the text or split a UTF-8 character (a mismatched alert) leave it
// unmarked rather than cut.
std::string highlight(std::string_view text, std::vector<std::pair<std::size_t, std::size_t>> spans);

// The block for `alert`, each line ending in '\n', followed by one empty separator line.
std::string render_alert_text(const Alert& alert);

}  // namespace vigia::alerting
