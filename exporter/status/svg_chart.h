// The pieces of the status page that are not about Farrier: HTML escaping, small inline SVG line
// charts over the last kHistorySpan, and how figures and ages are written for people. Pure.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "status/history.h"

namespace farrier {

// Text for HTML element content and double- or single-quoted attribute values: & < > " ' become
// character references. Every name or message that comes from NATS or a file goes through it.
std::string HtmlEscape(std::string_view text);

struct ChartLine {
  const SeriesRing* series;
  std::string_view css_class;  // "now", "want", ... (colours and dashes in the page's style)
};

// A line chart of the last kHistorySpan up to `now`, one polyline per line (broken where a value
// is missing; a lone point is a dot), y from 0 to the largest value shown (at least `min_top`),
// which is written in the corner with `format`. `title` is its accessible name.
std::string SvgChart(const Timeline& timeline, const std::vector<ChartLine>& lines, SteadyTime now, double min_top,
                     std::string (*format)(double), std::string_view title);

// Figures as the page writes them; "–" for NaN (unknown).
std::string FormatCount(double v);                             // 12, 1.2k, 3.4M
std::string FormatRatio(double v);                             // 0.4 %, 12 %, 100 %
std::string FormatSeconds(double v);                           // 850 µs, 12.3 ms, 1.25 s
std::string FormatAge(std::chrono::steady_clock::duration d);  // 4 s, 3 min, 2 h 5 min

}  // namespace farrier
