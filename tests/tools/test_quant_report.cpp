// The quantization report's pieces: type lists, the speed measurement's JSON, the Markdown
// and JSON tables and the SVG chart (the end-to-end run is in tests/cli/test_eval_cli.cpp).
#include <gtest/gtest.h>

#include "core/error.h"
#include "tools/quant_report.h"
#include "tools/report_chart.h"
#include "tools/subprocess.h"

using namespace hearth;

namespace {

size_t count(const std::string& s, const std::string& needle) {
  size_t n = 0;
  for (size_t i = s.find(needle); i != std::string::npos; i = s.find(needle, i + 1)) ++n;
  return n;
}

TEST(ReportTypes, ParsesListsAndRejectsBadNames) {
  using F = tensor::LlamaFtype;
  EXPECT_EQ(tools::parse_report_types("Q8_0, q4_k_m,Q2_K"), (std::vector<F>{F::Q8_0, F::Q4_K_M, F::Q2_K}));
  EXPECT_EQ(tools::default_report_types().size(), 6u);
  EXPECT_THROW(tools::parse_report_types("Q8_0,Q9_9"), Error);
  EXPECT_THROW(tools::parse_report_types(" , "), Error);
  EXPECT_THROW(tools::parse_report_types("IQ2_XXS"), Error);  // needs an importance matrix
}

TEST(MeasureJson, ReadsSpeedAndPeakRss) {
  const std::string out =
      R"({"prompt_tps":1000.5,"prompt_tps_sd":10.0,"gen_tps":200.25,"gen_tps_sd":2.0,"threads":2,"peak_rss_bytes":3000})";
  tools::QuantRow row;
  tools::apply_measure_json(out, row);
  EXPECT_DOUBLE_EQ(row.prompt_tps, 1000.5);
  EXPECT_DOUBLE_EQ(row.prompt_tps_sd, 10.0);
  EXPECT_DOUBLE_EQ(row.gen_tps, 200.25);
  EXPECT_EQ(row.peak_rss_bytes, 3000u);
  tools::QuantRow other;
  EXPECT_THROW(tools::apply_measure_json("not json", other), Error);
  EXPECT_THROW(tools::apply_measure_json("{}", other), Error);
  EXPECT_THROW(tools::apply_measure_json(R"({"prompt_tps":"fast"})", other), Error);
}

TEST(PeakRss, GrowsWithTouchedMemory) {
  const uint64_t before = tools::peak_rss_since_exec();
  EXPECT_GT(before, 1u << 20);
  // More than the peak so far, all touched: the peak must now cover it.
  std::vector<char> big(before + (32u << 20), 1);
  const uint64_t after = tools::peak_rss_since_exec();
  EXPECT_GE(after, big.size()) << static_cast<int>(big[12345]);
}

TEST(Subprocess, CapturesStdoutAndExitCode) {
  const auto ok = tools::run_process({"/bin/sh", "-c", "echo hello; exit 3"});
  EXPECT_EQ(ok.out, "hello\n");
  EXPECT_EQ(ok.exit_code, 3);
  EXPECT_THROW(tools::run_process({"/nonexistent/program"}), Error);
}

TEST(NiceTicks, RoundSteps) {
  EXPECT_EQ(tools::nice_ticks(0, 10, 5), (std::vector<double>{0, 2, 4, 6, 8, 10}));
  const auto t = tools::nice_ticks(6.3, 7.9, 4);
  ASSERT_FALSE(t.empty());
  EXPECT_NEAR(t.front(), 6.5, 1e-9);
  EXPECT_NEAR(t[1] - t[0], 0.5, 1e-9);
  EXPECT_TRUE(tools::nice_ticks(1, 1, 5).empty());
  EXPECT_TRUE(tools::nice_ticks(0, std::nan(""), 5).empty());
}

tools::QuantReport sample_report() {
  tools::QuantReport r;
  r.model = "model<&>.gguf";
  r.text_file = "text.txt";
  r.n_ctx = 128;
  r.n_chunks = 4;
  r.n_prompt = 64;
  r.n_gen = 32;
  r.reps = 2;
  r.threads = 2;
  tools::QuantRow base;
  base.type = "F32";
  base.is_base = true;
  base.file_bytes = 40u << 20;
  base.ppl = 10;
  base.ppl_error = 0.5;
  base.prompt_tps = 500;
  base.gen_tps = 100;
  r.rows.push_back(base);
  int i = 0;
  for (const char* t : {"Q8_0", "Q4_K_M", "Q2_K"}) {
    tools::QuantRow q;
    q.type = t;
    q.file_bytes = (20u >> i) << 20;
    q.ppl = 10.1 + i;
    q.ppl_error = 0.5;
    q.prompt_tps = 600 + 100 * i;
    q.gen_tps = 150 + 50 * i;
    q.kld = tools::KldSummary{0.001 * (i + 1), 0.0001, 0.0005, 0.01, 0.1, 0.99 - 0.1 * i, 0.01};
    r.rows.push_back(q);
    ++i;
  }
  return r;
}

TEST(ReportOutput, MarkdownAndJsonHaveEveryRow) {
  const auto r = sample_report();
  const auto md = tools::report_markdown(r);
  EXPECT_NE(md.find("| Quantization | Model size |"), std::string::npos);
  EXPECT_NE(md.find("| Q4_K_M | 10.00 MiB |"), std::string::npos) << md;
  EXPECT_NE(md.find("12.1000 ± 0.5000"), std::string::npos) << md;
  EXPECT_EQ(count(md, "\n| "), 5u);  // header + 4 rows
  const auto j = tools::report_json(r);
  ASSERT_EQ(j["rows"].size(), 4u);
  EXPECT_TRUE(j["rows"][0]["kld"].is_null());
  EXPECT_DOUBLE_EQ(j["rows"][2]["kld"]["mean"].get<double>(), 0.002);
  EXPECT_EQ(j["rows"][3]["type"], "Q2_K");
}

TEST(ReportOutput, SvgDrawsEveryModel) {
  const auto svg = tools::report_svg(sample_report());
  EXPECT_EQ(svg.rfind("<svg", 0), 0u);
  EXPECT_NE(svg.find("</svg>"), std::string::npos);
  EXPECT_EQ(count(svg, "<circle"), 3u + 1);  // quantized points + the legend's
  EXPECT_NE(svg.find("model&lt;&amp;&gt;.gguf"), std::string::npos);  // escaped
  EXPECT_EQ(svg.find("model<&>"), std::string::npos);
  for (const char* t : {"Q8_0", "Q4_K_M", "Q2_K", "F32"}) EXPECT_GE(count(svg, std::string(">") + t), 3u) << t;
  // Balanced elements: every opened text/g is closed.
  EXPECT_EQ(count(svg, "<text"), count(svg, "</text>"));
  EXPECT_EQ(count(svg, "<g "), count(svg, "</g>"));
  EXPECT_EQ(svg.find("nan"), std::string::npos);
  EXPECT_EQ(svg.find("inf"), std::string::npos);
}

}  // namespace
