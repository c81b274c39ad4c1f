#include "tools/report_chart.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace hearth::tools {
namespace {

constexpr double kWidth = 1100, kHeight = 520;
constexpr const char* kBaseColor = "#c0392b";
constexpr const char* kQuantColor = "#2c6fbb";
constexpr const char* kPromptColor = "#2c6fbb";
constexpr const char* kGenColor = "#e08a1e";

std::string xml_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

// Tick labels without trailing zeros: 0.5, 2, 1500.
std::string tick_label(double v, double step) {
  if (std::fabs(v) >= 1e5 || step >= 1e5) {  // 7.5M rather than 7500000
    const double a = std::max(std::fabs(v), step);
    const auto [div, suffix] = a >= 1e9 ? std::pair{1e9, "G"} : a >= 1e6 ? std::pair{1e6, "M"} : std::pair{1e3, "k"};
    return tick_label(v / div, step / div) + suffix;
  }
  const int decimals = step >= 1 ? 0 : static_cast<int>(std::ceil(-std::log10(step) - 1e-9));
  return fmt::format("{:.{}f}", v, std::max(0, decimals));
}

struct Axis {
  double lo, hi;       // data range
  double p0, p1;       // pixel range (p0 maps lo)
  double map(double v) const { return hi > lo ? p0 + (v - lo) / (hi - lo) * (p1 - p0) : (p0 + p1) / 2; }
};

// Extends [lo, hi] to the nearest ticks, so the data never touches the frame.
std::pair<double, std::vector<double>> padded_ticks(double& lo, double& hi, int target) {
  if (!(hi > lo)) {
    const double pad = std::max(std::fabs(lo) * 0.05, 1e-6);
    lo -= pad, hi += pad;
  }
  auto ticks = nice_ticks(lo, hi, target);
  const double step = ticks.size() > 1 ? ticks[1] - ticks[0] : (hi - lo);
  lo = std::floor(lo / step) * step;
  hi = std::ceil(hi / step) * step;
  return {step, nice_ticks(lo, hi, target)};
}

void scatter_panel(std::string& svg, const QuantReport& r, double x0, double y0, double w, double h) {
  svg += fmt::format(R"~(<text x="{}" y="{}" class="title">Model size vs perplexity</text>)~", x0, y0 - 14);
  double xmax = 0, ylo = 1e300, yhi = -1e300;
  for (const auto& row : r.rows) {
    xmax = std::max(xmax, row.file_bytes / 1048576.0);
    ylo = std::min(ylo, row.ppl - row.ppl_error);
    yhi = std::max(yhi, row.ppl + row.ppl_error);
  }
  double xlo = 0, xhi = xmax * 1.08;
  const auto [xstep, xticks] = padded_ticks(xlo, xhi, 6);
  const auto [ystep, yticks] = padded_ticks(ylo, yhi, 6);
  const Axis ax{xlo, xhi, x0, x0 + w}, ay{ylo, yhi, y0 + h, y0};
  svg += fmt::format(R"~(<rect x="{}" y="{}" width="{}" height="{}" class="frame"/>)~", x0, y0, w, h);
  for (double t : xticks) {
    const double x = ax.map(t);
    svg += fmt::format(R"~(<line x1="{0:.1f}" y1="{1}" x2="{0:.1f}" y2="{2}" class="grid"/>)~", x, y0, y0 + h);
    svg += fmt::format(R"~(<text x="{:.1f}" y="{}" class="tick" text-anchor="middle">{}</text>)~", x, y0 + h + 16,
                       tick_label(t, xstep));
  }
  for (double t : yticks) {
    const double y = ay.map(t);
    svg += fmt::format(R"~(<line x1="{1}" y1="{0:.1f}" x2="{2}" y2="{0:.1f}" class="grid"/>)~", y, x0, x0 + w);
    svg += fmt::format(R"~(<text x="{}" y="{:.1f}" class="tick" text-anchor="end">{}</text>)~", x0 - 6, y + 4,
                       tick_label(t, ystep));
  }
  svg += fmt::format(R"~(<text x="{}" y="{}" class="label" text-anchor="middle">model file size (MiB)</text>)~",
                     x0 + w / 2, y0 + h + 36);
  svg += fmt::format(
      R"~(<text x="{0}" y="{1}" class="label" text-anchor="middle" transform="rotate(-90 {0} {1})">perplexity (± standard error)</text>)~",
      x0 - 48, y0 + h / 2);
  // Quantized points joined in size order: the trade-off curve.
  std::vector<const QuantRow*> quants;
  for (const auto& row : r.rows)
    if (!row.is_base) quants.push_back(&row);
  std::sort(quants.begin(), quants.end(), [](auto* a, auto* b) { return a->file_bytes < b->file_bytes; });
  if (quants.size() > 1) {
    std::string pts;
    for (const auto* q : quants) pts += fmt::format("{:.1f},{:.1f} ", ax.map(q->file_bytes / 1048576.0), ay.map(q->ppl));
    svg += fmt::format(R"~(<polyline points="{}" fill="none" stroke="{}" stroke-width="1.5" stroke-opacity="0.5"/>)~",
                       pts, kQuantColor);
  }
  for (size_t i = 0; i < r.rows.size(); ++i) {
    const auto& row = r.rows[i];
    const double x = ax.map(row.file_bytes / 1048576.0), y = ay.map(row.ppl);
    const char* color = row.is_base ? kBaseColor : kQuantColor;
    svg += fmt::format(R"~(<line x1="{0:.1f}" y1="{1:.1f}" x2="{0:.1f}" y2="{2:.1f}" stroke="{3}" stroke-width="1.2"/>)~",
                       x, ay.map(row.ppl - row.ppl_error), ay.map(row.ppl + row.ppl_error), color);
    if (row.is_base)
      svg += fmt::format(R"~(<rect x="{:.1f}" y="{:.1f}" width="10" height="10" fill="{}" transform="rotate(45 {:.1f} {:.1f})"/>)~",
                         x - 5, y - 5, color, x, y);
    else
      svg += fmt::format(R"~(<circle cx="{:.1f}" cy="{:.1f}" r="5" fill="{}"/>)~", x, y, color);
    if (row.is_base) {
      const bool right_edge = x > x0 + w - 90;
      svg += fmt::format(R"~(<text x="{:.1f}" y="{:.1f}" class="point" text-anchor="{}">{} <tspan class="sub">source</tspan></text>)~",
                         right_edge ? x - 10 : x + 10, y + 4, right_edge ? "end" : "start", xml_escape(row.type));
    }
  }
  // Quantized labels in a column right of the rightmost quantized point, spread apart
  // vertically and joined to their points by leader lines, so close points stay readable.
  if (quants.empty()) return;
  double col = 0;
  for (const auto* q : quants) col = std::max(col, ax.map(q->file_bytes / 1048576.0));
  col = std::min(col + 40, x0 + w - 150);
  std::vector<std::pair<double, const QuantRow*>> labels;
  for (const auto* q : quants) labels.push_back({ay.map(q->ppl), q});
  std::sort(labels.begin(), labels.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  constexpr double kGap = 16;
  std::vector<double> ly(labels.size());
  for (size_t i = 0; i < labels.size(); ++i)
    ly[i] = std::max(labels[i].first, i ? ly[i - 1] + kGap : y0 + 12);
  for (size_t i = labels.size(); i-- > 0;) {  // pushed past the bottom: shift back up
    const double limit = i + 1 < labels.size() ? ly[i + 1] - kGap : y0 + h - 6;
    ly[i] = std::min(ly[i], limit);
  }
  for (size_t i = 0; i < labels.size(); ++i) {
    const auto* q = labels[i].second;
    const double px = ax.map(q->file_bytes / 1048576.0), py = labels[i].first;
    svg += fmt::format(R"~(<line x1="{:.1f}" y1="{:.1f}" x2="{:.1f}" y2="{:.1f}" stroke="#999" stroke-width="0.8"/>)~",
                       px + 5, py, col - 4, ly[i] - 4);
    svg += fmt::format(R"~(<text x="{:.1f}" y="{:.1f}" class="point">{} <tspan class="sub">KLD {:.4f}</tspan></text>)~", col,
                       ly[i], xml_escape(q->type), q->kld ? q->kld->mean : 0.0);
  }
}

void bar_panel(std::string& svg, const QuantReport& r, double x0, double y0, double w, double h, bool prompt) {
  const char* color = prompt ? kPromptColor : kGenColor;
  svg += fmt::format(R"~(<text x="{}" y="{}" class="title">{}</text>)~", x0 - 50, y0 - 14,
                     prompt ? fmt::format("Prompt tok/s (pp{})", r.n_prompt) : fmt::format("Gen tok/s (tg{})", r.n_gen));
  double vmax = 0;
  for (const auto& row : r.rows) vmax = std::max(vmax, prompt ? row.prompt_tps : row.gen_tps);
  double lo = 0, hi = std::max(vmax * 1.15, 1e-9);
  const auto [step, ticks] = padded_ticks(lo, hi, 4);
  const Axis ax{lo, hi, x0, x0 + w};
  svg += fmt::format(R"~(<rect x="{}" y="{}" width="{}" height="{}" class="frame"/>)~", x0, y0, w, h);
  for (double t : ticks) {
    const double x = ax.map(t);
    svg += fmt::format(R"~(<line x1="{0:.1f}" y1="{1}" x2="{0:.1f}" y2="{2}" class="grid"/>)~", x, y0, y0 + h);
    svg += fmt::format(R"~(<text x="{:.1f}" y="{}" class="tick" text-anchor="middle">{}</text>)~", x, y0 + h + 16,
                       tick_label(t, step));
  }
  const double slot = h / static_cast<double>(std::max<size_t>(1, r.rows.size()));
  const double bar = std::min(22.0, slot * 0.7);
  for (size_t i = 0; i < r.rows.size(); ++i) {
    const auto& row = r.rows[i];
    const double v = prompt ? row.prompt_tps : row.gen_tps, sd = prompt ? row.prompt_tps_sd : row.gen_tps_sd;
    const double yc = y0 + slot * (static_cast<double>(i) + 0.5);
    const double xe = ax.map(v);
    svg += fmt::format(R"~(<text x="{}" y="{:.1f}" class="tick" text-anchor="end">{}</text>)~", x0 - 6, yc + 4,
                       xml_escape(row.type));
    svg += fmt::format(R"~(<rect x="{}" y="{:.1f}" width="{:.1f}" height="{:.1f}" fill="{}" fill-opacity="{}"/>)~", x0,
                       yc - bar / 2, std::max(0.0, xe - x0), bar, row.is_base ? kBaseColor : color,
                       row.is_base ? "0.8" : "0.85");
    if (sd > 0)
      svg += fmt::format(R"~(<line x1="{:.1f}" y1="{:.1f}" x2="{:.1f}" y2="{:.1f}" stroke="#333" stroke-width="1"/>)~",
                         ax.map(std::max(lo, v - sd)), yc, ax.map(std::min(hi, v + sd)), yc);
    svg += fmt::format(R"~(<text x="{:.1f}" y="{:.1f}" class="value">{:.1f}</text>)~", xe + 4, yc + 4, v);
  }
}

}  // namespace

std::vector<double> nice_ticks(double lo, double hi, int target) {
  std::vector<double> out;
  if (!(hi > lo) || !std::isfinite(lo) || !std::isfinite(hi) || target < 1) return out;
  const double raw = (hi - lo) / target;
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  double step = mag;
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (m * mag >= raw) {
      step = m * mag;
      break;
    }
  for (double t = std::ceil(lo / step - 1e-9) * step; t <= hi + step * 1e-9; t += step)
    out.push_back(std::fabs(t) < step * 1e-9 ? 0.0 : t);
  return out;
}

std::string report_svg(const QuantReport& r) {
  std::string svg = fmt::format(
      R"~(<svg xmlns="http://www.w3.org/2000/svg" width="{0}" height="{1}" viewBox="0 0 {0} {1}" font-family="DejaVu Sans, Helvetica, Arial, sans-serif">)~",
      kWidth, kHeight);
  svg += R"~(<style>
.title{font-size:15px;font-weight:bold;fill:#222}
.head{font-size:18px;font-weight:bold;fill:#111}
.note{font-size:12px;fill:#555}
.tick{font-size:11px;fill:#444}
.label{font-size:12px;fill:#333}
.point{font-size:12px;font-weight:bold;fill:#222}
.sub{font-weight:normal;fill:#666}
.value{font-size:11px;fill:#222}
.frame{fill:none;stroke:#999}
.grid{stroke:#e4e4e4}
</style>)~";
  svg += fmt::format(R"~(<rect width="{}" height="{}" fill="white"/>)~", kWidth, kHeight);
  svg += fmt::format(R"~(<text x="24" y="30" class="head">Quantizations of {}</text>)~", xml_escape(r.model));
  svg += fmt::format(
      R"~(<text x="24" y="50" class="note">perplexity and KL-divergence vs the source on {} ({} chunks of {} tokens); speed with {} threads, mean of {} runs</text>)~",
      xml_escape(r.text_file), r.n_chunks, r.n_ctx, r.threads, r.reps);
  scatter_panel(svg, r, 90, 100, 500, 340);
  bar_panel(svg, r, 705, 100, 140, 340, true);
  bar_panel(svg, r, 935, 100, 140, 340, false);
  // Legend.
  svg += fmt::format(
      R"~(<g transform="translate(90 {})"><rect x="-5" y="-5" width="10" height="10" fill="{}" transform="rotate(45)"/><text x="12" y="4" class="label">source model</text><circle cx="130" cy="0" r="5" fill="{}"/><text x="142" y="4" class="label">quantized (error bar: ± standard error of the perplexity)</text></g>)~",
      kHeight - 22, kBaseColor, kQuantColor);
  svg += "</svg>\n";
  return svg;
}

}  // namespace hearth::tools
