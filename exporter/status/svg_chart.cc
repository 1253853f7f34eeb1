#include "status/svg_chart.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace farrier {
namespace {

constexpr double kWidth = 200, kHeight = 40, kTopPad = 10, kBottomPad = 2;

std::string Fixed(double v, int decimals) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

// Two significant figures for small values, none after the point from 100 on.
std::string Short(double v) { return Fixed(v, v < 10 ? (v == std::floor(v) ? 0 : 1) : 0); }

}  // namespace

std::string HtmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string SvgChart(const Timeline& timeline, const std::vector<ChartLine>& lines, SteadyTime now, double min_top,
                     std::string (*format)(double), std::string_view title) {
  const SteadyTime start = now - kHistorySpan;
  const double span = std::chrono::duration<double>(kHistorySpan).count();
  std::vector<std::vector<ChartPoint>> points;
  double top = min_top;
  for (const ChartLine& line : lines) {
    points.push_back(Points(timeline, *line.series));
    for (const ChartPoint& p : points.back()) {
      if (p.at >= start && std::isfinite(p.value)) top = std::max(top, p.value);
    }
  }
  auto x = [&](SteadyTime at) { return kWidth * std::chrono::duration<double>(at - start).count() / span; };
  auto y = [&](double v) { return kTopPad + (kHeight - kTopPad - kBottomPad) * (1 - v / top); };

  std::string svg = "<svg class=\"chart\" viewBox=\"0 0 200 40\" width=\"200\" height=\"40\" role=\"img\">";
  svg += "<title>" + HtmlEscape(title) + ", last 15 minutes</title>";
  svg += "<line class=\"axis\" x1=\"0\" y1=\"38\" x2=\"200\" y2=\"38\"/>";
  svg += "<text x=\"2\" y=\"8\">" + HtmlEscape(format(top)) + "</text>";
  for (size_t i = 0; i < lines.size(); ++i) {
    // Runs of known values; a gap (NaN, or a slot older than the window) breaks the line.
    std::vector<std::string> run;
    auto flush = [&] {
      if (run.size() == 1) {
        size_t comma = run[0].find(',');
        svg += "<circle class=\"" + std::string(lines[i].css_class) + "\" cx=\"" + run[0].substr(0, comma) +
               "\" cy=\"" + run[0].substr(comma + 1) + "\" r=\"1.5\"/>";
      } else if (run.size() > 1) {
        svg += "<polyline class=\"" + std::string(lines[i].css_class) + "\" points=\"";
        for (size_t k = 0; k < run.size(); ++k) svg += (k ? " " : "") + run[k];
        svg += "\"/>";
      }
      run.clear();
    };
    for (const ChartPoint& p : points[i]) {
      if (p.at < start || !std::isfinite(p.value)) {
        flush();
        continue;
      }
      // Whole pixels: the chart is 200 x 40, and every byte is sent again at each refresh.
      run.push_back(Fixed(x(p.at), 0) + "," + Fixed(y(std::max(0.0, p.value)), 0));
    }
    flush();
  }
  svg += "</svg>";
  return svg;
}

std::string FormatCount(double v) {
  if (!std::isfinite(v)) return std::isinf(v) ? "∞" : "–";
  if (std::fabs(v) >= 1e6) return Short(v / 1e6) + "M";
  if (std::fabs(v) >= 1e4) return Short(v / 1e3) + "k";
  return v == std::floor(v) ? Fixed(v, 0) : Fixed(v, 2);
}

std::string FormatRatio(double v) {
  if (!std::isfinite(v)) return std::isinf(v) ? "∞" : "–";
  double pct = 100 * v;
  return (pct != 0 && pct < 1 ? Fixed(pct, 2) : Short(pct)) + " %";
}

std::string FormatSeconds(double v) {
  if (!std::isfinite(v)) return std::isinf(v) ? "∞" : "–";
  if (v < 1e-3) return Fixed(v * 1e6, 0) + " µs";
  if (v < 1) return Fixed(v * 1e3, v < 0.1 ? 1 : 0) + " ms";
  return Fixed(v, 2) + " s";
}

std::string FormatAge(std::chrono::steady_clock::duration d) {
  long s = static_cast<long>(std::chrono::duration_cast<std::chrono::seconds>(d).count());
  if (s < 0) s = 0;
  if (s < 120) return std::to_string(s) + " s";
  if (s < 7200) return std::to_string(s / 60) + " min";
  return std::to_string(s / 3600) + " h " + std::to_string(s % 3600 / 60) + " min";
}

}  // namespace farrier
