#include <catch2/catch.hpp>

#include <fmt/format.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli_runner.hpp"
#include "config/error.hpp"
#include "report/plots.hpp"
#include "config/json_file.hpp"
#include "fuzz/mutator.hpp"
#include "report/findings.hpp"
#include "report/report.hpp"
#include "report/results_writer.hpp"
#include "test_files.hpp"

using switchsim::test::run_cli;
using switchsim::test::source_path;
namespace rp = switchsim::report;
namespace fs = std::filesystem;

namespace {

using switchsim::test::slurp;

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// A fresh directory under /tmp holding a copy of the small sweep's results.json.
fs::path sweep_copy() {
  std::string pattern = (fs::temp_directory_path() / "switchsim-report-test-XXXXXX").string();
  REQUIRE(::mkdtemp(pattern.data()) != nullptr);
  fs::copy_file(source_path("tests/data/sweep-small/results.json"), fs::path(pattern) / "results.json");
  return pattern;
}

rp::ResultsFile small_sweep() { return rp::read_results_file(source_path("tests/data/sweep-small/results.json")); }
rp::MeasuredFile small_measured() { return rp::read_measured_file(source_path("tests/data/measured-small.json")); }

}  // namespace

TEST_CASE("the small sweep fixture parses into 17 rows with one invalid and one OOM point") {
  const auto sweep = small_sweep();
  REQUIRE(sweep.results.size() == 17);
  CHECK(std::count_if(sweep.results.begin(), sweep.results.end(), [](const auto& r) { return !r.valid; }) == 1);
  CHECK(std::count_if(sweep.results.begin(), sweep.results.end(),
                      [](const auto& r) { return r.outputs && r.outputs->oom; }) == 1);
  CHECK(sweep.context.get("tool") == "switchsim 0.1.0");
  // The fixture's h100-2x8 E=16 cf=1 point: 2 x 0.07 s of all-to-all in a 0.40 s step.
  const auto& r = sweep.results[11];
  CHECK(r.cluster == "h100-2x8");
  CHECK(r.outputs->alltoall_share() == Approx(0.35));
  // Phases the simulator may add (embedding, mp_allreduce, other) are absent here: zero.
  CHECK(r.outputs->phase("embedding") == 0.0);
  CHECK(r.outputs->phase("attention") == 0.08);
}

// A curve written by hand for the fixture's expert counts (steps to the target).
rp::QualityCurve hand_curve() {
  rp::QualityCurve c;
  c.family = "switch-base";
  c.quality_target = "a hand-made target";
  c.source = "this test";
  c.caveat = "made up";
  c.steps_to_quality = [](std::int64_t experts, std::int64_t) -> std::optional<double> {
    switch (experts) {
      case 8: return 100.0;
      case 16: return 80.0;
      case 32: return 60.0;
      case 64: return 50.0;
      default: return std::nullopt;
    }
  };
  return c;
}

TEST_CASE("configurations are ranked by time to quality per cluster and routing, never by throughput alone",
          "[report][ranking]") {
  const auto sweep = small_sweep();
  const auto rankings = rp::rank_configurations(sweep.results, hand_curve());
  REQUIRE(rankings.size() == 3);
  // dgx-h100-8, uniform: cf=1 drops 1.2% (> 1%): not ranked. Left: E=64 cf=2 50 x 0.62 = 31,
  // E=32 cf=2 60 x 0.58 = 34.8, E=16 cf=2 80 x 0.55 = 44, E=8 cf=2 100 x 0.56 = 56.
  const auto& dgx = rankings[0];
  CHECK(dgx.cluster == "dgx-h100-8");
  CHECK(dgx.routing == "uniform");
  REQUIRE(dgx.ranked.size() == 4);
  CHECK(dgx.ranked[0].row->experts == 64);
  CHECK(*dgx.ranked[0].time_to_quality_s == Approx(31.0));
  CHECK(dgx.ranked[1].row->experts == 32);
  CHECK(*dgx.ranked[1].time_to_quality_s == Approx(34.8));
  CHECK(dgx.ranked[2].row->experts == 16);
  CHECK(dgx.ranked[3].row->experts == 8);
  CHECK(dgx.too_many_drops == 4);
  // dgx-h100-8, zipf:1.2: 8% and 2% dropped: nothing qualifies.
  CHECK(rankings[1].routing == "zipf:1.2");
  CHECK(rankings[1].ranked.empty());
  CHECK(rankings[1].too_many_drops == 2);
  // h100-2x8: the highest throughput (E=64 cf=2, 0.35 s) is OOM and E=32 cf=1 (0.36 s) drops
  // 1.2%; ranked: E=32 cf=2 60 x 0.43 = 25.8, then E=16 cf=2 80 x 0.46 = 36.8.
  const auto& two = rankings[2];
  CHECK(two.cluster == "h100-2x8");
  REQUIRE(two.ranked.size() == 2);
  CHECK(two.ranked[0].row->experts == 32);
  CHECK(two.ranked[0].row->capacity_factor == 2.0);
  CHECK(*two.ranked[0].time_to_quality_s == Approx(25.8));
  CHECK(two.ranked[1].row->experts == 16);
  CHECK(two.not_fitting == 2);  // E=8 invalid, E=64 cf=2 out of memory
  CHECK(two.too_many_drops == 3);
}

TEST_CASE("without sample-efficiency data the ranking falls back to step time and says so", "[report][ranking]") {
  const auto sweep = small_sweep();
  const auto rankings = rp::rank_configurations(sweep.results, std::nullopt);
  REQUIRE(rankings.size() == 3);
  REQUIRE(rankings[0].ranked.size() == 4);
  CHECK(rankings[0].ranked[0].row->experts == 16);  // 0.55 s < 0.56 s < 0.58 s < 0.62 s
  CHECK_FALSE(rankings[0].ranked[0].time_to_quality_s);
  const auto section = rp::ranking_section(sweep.results, std::nullopt);
  REQUIRE_FALSE(section.paragraphs.empty());
  CHECK_THAT(section.paragraphs[0], Catch::Contains("Throughput is not quality"));
}

TEST_CASE("all-to-all starts to dominate at 32 experts on the DGX and at 16 on the two-node cluster") {
  const auto sweep = small_sweep();  // onsets point into these rows
  const auto onsets = rp::alltoall_onsets(sweep.results);
  REQUIRE(onsets.size() == 2);
  // dgx-h100-8: shares at cf=2 are 21.4%, 27.3%, 31.0% (0.18/0.58), 35.5% for E = 8..64.
  CHECK(onsets[0].cluster == "dgx-h100-8");
  REQUIRE(onsets[0].experts);
  CHECK(*onsets[0].experts == 32);
  CHECK(onsets[0].row->outputs->alltoall_share() == Approx(0.18 / 0.58));
  // h100-2x8: E=8 is invalid; at E=16 already 35.0% (cf=1) and 39.1% (cf=2, 0.18/0.46).
  CHECK(onsets[1].cluster == "h100-2x8");
  REQUIRE(onsets[1].experts);
  CHECK(*onsets[1].experts == 16);
  CHECK(onsets[1].row->capacity_factor == 2.0);
}

TEST_CASE("the median absolute error of the five measured points is 10%") {
  // errors: +10%, -5%, +10%, -20%, -1% -> |err| sorted 1, 5, 10, 10, 20 -> median 10%.
  const auto median = rp::median_abs_error({small_measured()});
  REQUIRE(median);
  CHECK(*median == Approx(0.10));
  CHECK_FALSE(rp::median_abs_error({}));
}

TEST_CASE("the results CSV has a context block, unit-named columns, quoted layouts and empty invalid outputs") {
  const auto sweep = small_sweep();
  const auto csv = rp::write_results_csv(sweep.results, sweep.context);
  CHECK_THAT(csv, Catch::StartsWith("# command: switchsim sweep (hand-written test fixture)\n"));
  CHECK_THAT(csv, Catch::Contains("\nmodel,experts,capacity_factor,top_k,batch_tokens,devices,cluster,layout,"));
  CHECK_THAT(csv, Catch::Contains(",step_time_s,tokens_per_s,examples_per_s,mfu,dropped_token_frac,"));
  CHECK_THAT(csv, Catch::Contains(",alltoall_dispatch_time_s,expert_ffn_time_s,"));
  // First row: 1048576 / 0.5 = 2097152 tokens/s, printed with %.6g.
  CHECK_THAT(csv, Catch::Contains("switch-base-8,8,1,1,1048576,8,dgx-h100-8,\"dp=8,tp=1,ep=8\",uniform,capacity,,1,"
                                  "true,,0.5,2.09715e+06,"));
  // The invalid point: its 25 output columns (11 scalars, 13 phases, the dense baseline) empty.
  CHECK_THAT(csv, Catch::Contains(fmt::format("false,8 experts cannot be sharded over 16 expert-parallel devices{}\n",
                                              std::string(std::size_t{26}, ','))));
  const auto header_end = csv.find('\n', csv.find("model,"));
  const auto header = csv.substr(csv.find("model,"), header_end - csv.find("model,"));
  CHECK(count(header, ",") + 1 == rp::results_csv_columns().size());
  CHECK(rp::csv_field("a\"b") == "\"a\"\"b\"");
}

TEST_CASE("results JSON written by the writer reads back to the same rows") {
  const auto sweep = small_sweep();
  const auto json = rp::write_results_json(sweep.results, sweep.context);
  const auto again = rp::parse_results(nlohmann::json::parse(json), "round-trip");
  REQUIRE(again.results.size() == sweep.results.size());
  CHECK(rp::write_results_json(again.results, again.context) == json);
  CHECK(again.results[12].outputs->step_time_s == sweep.results[12].outputs->step_time_s);
  CHECK_FALSE(again.results[10].outputs);
  // Schema order, not alphabetical: model comes first in every row.
  CHECK(json.find("\"model\"") < json.find("\"experts\""));
}

TEST_CASE("a result row without a required output names the file and the JSON pointer") {
  auto doc = nlohmann::json::parse(slurp(source_path("tests/data/sweep-small/results.json")));
  doc["results"][3].erase("step_time_s");
  try {
    rp::parse_results(doc, "x.json");
    FAIL("no error");
  } catch (const switchsim::config::ConfigError& e) {
    CHECK(std::string(e.what()) == "x.json: /results/3/step_time_s: required field is missing");
  }
  // An invalid row needs no outputs, but it needs a reason.
  doc = nlohmann::json::parse(slurp(source_path("tests/data/sweep-small/results.json")));
  doc["results"][10]["invalid_reason"] = "";
  CHECK_THROWS_WITH(rp::parse_results(doc, "x.json"), Catch::Contains("/results/10/invalid_reason"));
}

TEST_CASE("a sweep with a single expert count skips the plots over experts with a sentence") {
  auto sweep = small_sweep();
  std::erase_if(sweep.results, [](const rp::ResultRow& r) { return r.experts != 32; });
  const auto doc = rp::plan_document(sweep, {}, {});
  REQUIRE(doc.sections.size() == 7);  // the ranking, then the six plot sections
  CHECK(doc.sections[0].title == "Which configuration?");  // the ranking: a table, no plot
  CHECK_FALSE(doc.sections[1].figure);  // throughput
  REQUIRE(doc.sections[1].skipped);
  CHECK_THAT(*doc.sections[1].skipped, Catch::Contains("has 32 experts, so there is no trend"));
  CHECK(doc.sections[3].figure);  // phases still drawn
  CHECK(doc.sections[4].figure);  // dropped tokens: two capacity factors
  CHECK_FALSE(doc.sections[5].figure);  // no measured data
  CHECK_THAT(rp::render_markdown(doc), Catch::Contains("*No plot: no measured data given (add --measured FILE).*"));
}

TEST_CASE("inlined SVG names no URL and gets ids unique to its plot") {
  const std::string svg =
      "<?xml version=\"1.0\"?>\n<svg \n viewBox=\"0 0 10 10\"\n xmlns=\"http://www.w3.org/2000/svg\"\n"
      " xmlns:xlink=\"http://www.w3.org/1999/xlink\"\n>\n<g id=\"gnuplot_canvas\"><path id='gpPt0'/>"
      "<use xlink:href='#gpPt0'/><rect filter=\"url(#textbox)\"/></g></svg>\n";
  const auto out = rp::inline_svg(svg, "p3");
  CHECK(out.find("http") == std::string::npos);
  CHECK_THAT(out, Catch::StartsWith("<svg"));
  CHECK_THAT(out, Catch::Contains("id=\"p3-gnuplot_canvas\"") && Catch::Contains("id='p3-gpPt0'") &&
                      Catch::Contains("href='#p3-gpPt0'") && Catch::Contains("url(#p3-textbox)"));
}

TEST_CASE("switchsim report writes six plots, Markdown tables with the hand-derived numbers, and HTML") {
  const auto dir = sweep_copy();
  const auto r = run_cli(fmt::format("report '{}' --measured '{}'", dir.string(),
                                     source_path("tests/data/measured-small.json")));
  REQUIRE(r.exit_code == 0);
  CHECK(count(r.out, "\n") == 8);
  CHECK_THAT(r.out, Catch::Contains((dir / "report.html").string()));
  for (const char* plot : {"throughput", "speedup", "phases", "dropped", "measured", "memory"})
    CHECK(fs::file_size(dir / fmt::format("plot-{}.svg", plot)) > 1000);

  const auto md = slurp(dir / "report.md");
  CHECK_THAT(md, Catch::Contains("17 points: 16 valid, 1 invalid, 1 out of memory."));
  // 1048576 tokens / 0.36 s = 2912711 tokens/s; dense 0.50 s / 0.36 s = 1.39x.
  // The headline: time to quality with models/sample-efficiency/switch-base.json (450k dense
  // steps; speedup 6.3 at 32 experts, 7.5 at 64): h100-2x8 E=32 cf=2: 450000 / 6.3 x 0.43 s =
  // 30714 s = 8.53 h; dgx-h100-8 E=64 cf=2: 450000 / 7.5 x 0.62 s = 37200 s = 10.3 h. The
  // fastest step that fits (E=32 cf=1, 0.36 s) drops 1.2% of tokens and is not ranked.
  CHECK_THAT(md, Catch::Contains("On h100-2x8 with uniform routing, the first to the quality target is switch-base-32 "
                                 "with 32 experts at capacity factor 2 (dp=16,tp=1,ep=16): about 8.53 h (estimated), "
                                 "0.43 s per step"));
  CHECK_THAT(md, Catch::Contains("On dgx-h100-8 with uniform routing, the first to the quality target is switch-base-64 "
                                 "with 64 experts at capacity factor 2 (dp=8,tp=1,ep=8): about 10.3 h (estimated), "
                                 "0.62 s per step"));
  CHECK_THAT(md, Catch::Contains("On dgx-h100-8 with zipf:1.2 routing, no configuration fits in memory while dropping "
                                 "at most 1.0% of its tokens"));
  CHECK_THAT(md, !Catch::Contains("Best configuration"));
  CHECK_THAT(md, Catch::Contains("## Which configuration?"));
  CHECK_THAT(md, Catch::Contains("On dgx-h100-8, all-to-all takes 30.0% or more of the step from 32 experts on "
                                 "(31.0% at capacity factor 2"));
  CHECK_THAT(md, Catch::Contains("On h100-2x8, all-to-all takes 30.0% or more of the step from 16 experts on "
                                 "(39.1% at capacity factor 2"));
  CHECK_THAT(md, Catch::Contains("Out of memory: switch-base-64 E=64 cf=2 on h100-2x8 (84.0 GiB > 80.0 GiB)."));
  CHECK_THAT(md, Catch::Contains("median |predicted/measured - 1| is 10.0% (4 within ±10%, 5 within ±25%)"));
  // Tables: tokens/s per series (1048576 / 0.47 = 2231013), speedup 0.60 / 0.47 = 1.28,
  // the OOM point's memory, a measured point's error (0.048 / 0.060 - 1 = -20%).
  CHECK_THAT(md, Catch::Contains("| dgx-h100-8 cf=1 uniform | 2097152 | 2184533 | 2231013 | 2139951 |"));
  CHECK_THAT(md, Catch::Contains("| dgx-h100-8 cf=1 uniform | 1.20 | 1.25 | 1.28 | 1.22 |"));
  CHECK_THAT(md, Catch::Contains("| h100-2x8 cf=2 uniform | – | 27.0 GiB | 48.0 GiB | 84.0 GiB (OOM) |"));
  CHECK_THAT(md, Catch::Contains("| cpu E=64 cf=1 ranks=2 tokens_per_rank=1024 | 0.06 | 0.057..0.064 | 0.048 | -20.0% |"));
  CHECK_THAT(md, Catch::Contains("| zipf:1.2 | 1 | 0.08 | 0.08 | 0.08 | 1 |"));
  CHECK_THAT(md, Catch::Contains("![Throughput (tokens/s) vs number of experts, one panel per cluster](plot-throughput.svg)"));

  const auto html = slurp(dir / "report.html");
  CHECK(count(html, "<svg") == 6);
  CHECK(html.find("http") == std::string::npos);
  CHECK(html.find("<script") == std::string::npos);
  CHECK_THAT(html, Catch::Contains("<td>dgx-h100-8 cf=1 uniform</td><td class=\"n\">2097152</td>"));

  // Same input, same bytes.
  std::vector<std::string> first;
  for (const auto& e : fs::directory_iterator(dir)) first.push_back(e.path().filename().string() + slurp(e.path()));
  REQUIRE(run_cli(fmt::format("report '{}' --measured '{}'", dir.string(),
                              source_path("tests/data/measured-small.json")))
              .exit_code == 0);
  std::vector<std::string> second;
  for (const auto& e : fs::directory_iterator(dir)) second.push_back(e.path().filename().string() + slurp(e.path()));
  std::sort(first.begin(), first.end());
  std::sort(second.begin(), second.end());
  CHECK(first.size() == 9);  // results.json + 6 plots + report.md + report.html: no temp files left
  CHECK(first == second);
  fs::remove_all(dir);
}

TEST_CASE("switchsim report without results.json exits 2 with one line") {
  const auto r = run_cli("report /nonexistent-sweep-dir");
  CHECK(r.exit_code == 2);
  CHECK(count(r.err, "\n") == 1);
  CHECK_THAT(r.err, Catch::StartsWith("error: /nonexistent-sweep-dir/results.json: no such file"));
}

TEST_CASE("a measured file missing a predicted step time exits 2 naming the file and the row") {
  const auto dir = sweep_copy();
  const std::string bad = source_path("tests/data/measured-bad.json");
  const auto r = run_cli(fmt::format("report '{}' --measured '{}'", dir.string(), bad));
  CHECK(r.exit_code == 2);
  CHECK(r.out.empty());
  CHECK(r.err == fmt::format("error: {}: /results/1/step_time_s: required field is missing\n", bad));
  CHECK_FALSE(fs::exists(dir / "report.md"));
  fs::remove_all(dir);
}

// Headless Chromium opens the report as a person would and counts the SVGs it laid out with a
// non-trivial size (at least 300 x 200 CSS pixels) and drawn content (10 or more paths: axes,
// grid, lines). The report itself has no scripts; the test makes a copy with one small
// inline script just before </body> that, once the SVGs above it are parsed, measures them
// (getBoundingClientRect forces layout) and appends the counts to the page; --dump-dom then
// prints the resulting DOM. Skipped, with the reason printed, when Chromium is absent.
// Copies `html_file` into `work` with the probe script, renders it with --dump-dom, and
// returns the probe's text ("svgs=N rendered=M").
std::string chromium_svg_probe(const fs::path& html_file, const fs::path& work) {
  std::string html = slurp(html_file);
  const std::string probe =
      "<script>(function(){var all=document.querySelectorAll('svg'),n=0;"
      "for(var i=0;i<all.length;i++){var b=all[i].getBoundingClientRect();"
      "if(b.width>=300&&b.height>=200&&all[i].querySelectorAll('path').length>=10)n++;}"
      "var p=document.createElement('p');p.id='probe';p.textContent='svgs='+all.length+' rendered='+n;"
      "document.body.appendChild(p);})();</script>\n";
  const auto at = html.rfind("</body>");
  if (at == std::string::npos) return "no </body>";
  html.insert(at, probe);
  fs::create_directories(work);
  {
    std::ofstream out(work / "probe.html", std::ios::binary);
    out << html;
  }
  const auto dom = work / "dom.txt";
  const std::string command = fmt::format(
      "timeout 60 /usr/bin/chromium --headless --no-sandbox --disable-gpu --disable-dev-shm-usage "
      "--disable-background-networking --disable-component-update --disable-sync --no-first-run "
      "--window-size=1280,2000 --user-data-dir='{}' --dump-dom 'file://{}' >'{}' 2>/dev/null",
      (work / "profile").string(), (work / "probe.html").string(), dom.string());
  if (std::system(command.c_str()) != 0) return "chromium failed";
  const auto text = slurp(dom);
  const auto begin = text.find("<p id=\"probe\">");
  if (begin == std::string::npos) return "no probe in the DOM";
  const auto end = text.find("</p>", begin);
  return text.substr(begin + 14, end - begin - 14);
}

TEST_CASE("headless Chromium lays out every plot of the HTML report with a non-trivial size") {
  if (!fs::exists("/usr/bin/chromium")) {
    WARN("SKIPPED: /usr/bin/chromium is not installed (scripts/install-deps.sh installs it)");
    return;
  }
  const auto dir = sweep_copy();
  REQUIRE(run_cli(fmt::format("report '{}' --measured '{}'", dir.string(),
                              source_path("tests/data/measured-small.json")))
              .exit_code == 0);
  CHECK(chromium_svg_probe(dir / "report.html", dir / "chromium") == "svgs=6 rendered=6");
  fs::remove_all(dir);
}

TEST_CASE("headless Chromium renders every plot of the committed example report, reports/example/report.html") {
  if (!fs::exists("/usr/bin/chromium")) {
    WARN("SKIPPED: /usr/bin/chromium is not installed (scripts/install-deps.sh installs it)");
    return;
  }
  const fs::path example = source_path("reports/example");
  int plots = 0;
  for (const auto& entry : fs::directory_iterator(example))
    plots += entry.path().extension() == ".svg" ? 1 : 0;
  REQUIRE(plots >= 5);
  const auto work = fs::temp_directory_path() / fmt::format("switchsim_example_probe_{}", ::getpid());
  CHECK(chromium_svg_probe(example / "report.html", work) == fmt::format("svgs={} rendered={}", plots, plots));
  fs::remove_all(work);
}

TEST_CASE("without gnuplot on PATH the report fails with one line saying how to install it") {
  const auto dir = sweep_copy();
  const auto err = dir / "err.txt";
  const std::string command = fmt::format("PATH=/nonexistent '{}' report '{}' >/dev/null 2>'{}'", SWITCHSIM_BINARY,
                                          dir.string(), err.string());
  const int status = std::system(command.c_str());
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 1);
  CHECK(slurp(err) ==
        "error: gnuplot is not installed (on Debian: apt-get install gnuplot-nox); it draws the report's plots\n");
  CHECK_FALSE(fs::exists(dir / "report.html"));
  fs::remove_all(dir);
}

TEST_CASE("rows without a dense baseline skip the speedup plot and leave the column empty") {
  auto doc = nlohmann::json::parse(slurp(source_path("tests/data/sweep-small/results.json")));
  for (auto& row : doc["results"]) row.erase("dense_baseline_step_time_s");
  const auto sweep = rp::parse_results(doc, "x.json");
  const auto planned = rp::plan_document(sweep, {}, {});
  CHECK_FALSE(planned.sections[2].figure);
  REQUIRE(planned.sections[2].skipped);
  CHECK(*planned.sections[2].skipped == "no valid point with a dense baseline that fits in memory to draw.");
  CHECK_THAT(planned.summary[1], !Catch::Contains("dense baseline"));
  const auto csv = rp::write_results_csv(sweep.results, sweep.context);
  CHECK_THAT(csv, Catch::Contains(",0.02,0,\n"));  // optimizer_time_s, other_time_s, then an empty baseline
}

TEST_CASE("a plot skipped on a rerun does not survive from the earlier run") {
  const auto dir = sweep_copy();
  REQUIRE(run_cli(fmt::format("report '{}' --measured '{}'", dir.string(),
                              source_path("tests/data/measured-small.json")))
              .exit_code == 0);
  REQUIRE(fs::exists(dir / "plot-measured.svg"));
  REQUIRE(run_cli(fmt::format("report '{}'", dir.string())).exit_code == 0);
  CHECK_FALSE(fs::exists(dir / "plot-measured.svg"));
  CHECK(fs::exists(dir / "plot-memory.svg"));
  CHECK(count(slurp(dir / "report.html"), "<svg") == 5);
  fs::remove_all(dir);
}

// The report reads files people and other tools write: every mutant of the fixtures must be
// accepted or rejected with a ConfigError, never crash or escape as another exception.
TEST_CASE("a thousand mutated results and measured files are each accepted or rejected cleanly") {
  const std::string results = slurp(source_path("tests/data/sweep-small/results.json"));
  const std::string measured = slurp(source_path("tests/data/measured-small.json"));
  switchsim::fuzz::Mutator mutator(808);
  int rejected = 0;
  for (int i = 0; i < 1000; ++i) {
    const bool is_results = i % 2 == 0;
    const std::string mutant = mutator.mutate(is_results ? results : measured);
    INFO("mutant #" << i << ": " << mutant);
    try {
      const auto json = switchsim::config::parse_json_text(mutant, "fuzz.json");
      if (is_results) rp::parse_results(json, "fuzz.json");
      else rp::parse_measured(json, "fuzz.json");
    } catch (const switchsim::config::ConfigError&) {
      ++rejected;
    }
  }
  CHECK(rejected > 300);
}

TEST_CASE("predicted vs measured shows the prediction's band when the measured file has one") {
  rp::MeasuredFile f;
  f.name = "banded.json";
  rp::MeasuredRow a;
  a.label = "E=2";
  a.experts = 2;
  a.capacity_factor = 1;
  a.step_time_s = 0.02;
  a.measured_step_time_s = 0.025;
  a.step_time_s_lo = 0.018;
  a.step_time_s_hi = 0.03;
  f.results.push_back(a);
  const auto with_band = rp::plan_measured({f});
  REQUIRE(with_band.section.tables.size() >= 1);
  const auto& t = with_band.section.tables.front();
  REQUIRE(t.header.size() == 6);
  CHECK(t.header[4] == "predicted band (s)");
  CHECK(t.rows[0][4] == "0.018..0.03");
  CHECK(t.rows[0][5] == "-20.0%");  // 0.02 / 0.025 - 1
  REQUIRE(with_band.plot);
  CHECK_THAT(with_band.plot->commands, Catch::Contains("xyerrorbars"));
  // Without a band: the five columns as before.
  f.results[0].step_time_s_lo.reset();
  f.results[0].step_time_s_hi.reset();
  CHECK(rp::plan_measured({f}).section.tables.front().header.size() == 5);
}

TEST_CASE("predicted vs measured sets oracle and profile-alone errors side by side for validate --oracle rows") {
  // A: oracle 20 ms, profile 30 ms, measured 25 ms -> -20% and +20%.
  // B: oracle 11 ms, profile 10.5 ms, measured 10 ms -> +10% and +5%.
  // Oracle: median |err| (20 + 10) / 2 = 15%, max 20%; profile: (20 + 5) / 2 = 12.5%, max 20%.
  rp::MeasuredFile f;
  f.name = "oracle.json";
  auto row = [](double oracle, double profile, double measured) {
    rp::MeasuredRow r;
    r.label = "E=2";
    r.experts = 2;
    r.capacity_factor = 1;
    r.step_time_s = oracle;
    r.profile_step_time_s = profile;
    r.measured_step_time_s = measured;
    return r;
  };
  f.results = {row(0.02, 0.03, 0.025), row(0.011, 0.0105, 0.01)};
  const auto planned = rp::plan_measured({f});
  REQUIRE(planned.section.tables.size() >= 2);
  const auto& points = planned.section.tables[0];
  REQUIRE(points.header.size() == 7);
  CHECK(points.header[3] == "step_time_s (oracle)");
  CHECK(points.header[5] == "profile_step_time_s (fixed grid alone)");
  CHECK(points.rows[0][4] == "-20.0%");
  CHECK(points.rows[0][6] == "+20.0%");
  CHECK(points.rows[1][6] == "+5.0%");
  const auto& side_by_side = planned.section.tables[1];
  REQUIRE(side_by_side.rows.size() == 2);
  CHECK(side_by_side.rows[0][1] == "2");
  CHECK(side_by_side.rows[0][2] == "15.0%");
  CHECK(side_by_side.rows[0][3] == "20.0%");
  CHECK(side_by_side.rows[1][2] == "12.5%");
  CHECK(side_by_side.rows[1][3] == "20.0%");
  // Shared and own: oracle errors -20%, +10% -> median -5%, |err + 5%| = 15, 15 -> 15%;
  // profile +20%, +5% -> median +12.5%, deviations 7.5, 7.5 -> 7.5%.
  CHECK(side_by_side.rows[0][4] == "-5.0%");
  CHECK(side_by_side.rows[0][5] == "15.0%");
  CHECK(side_by_side.rows[1][4] == "+12.5%");
  CHECK(side_by_side.rows[1][5] == "7.5%");
  // The per-file step table: the file's own step errors (the oracle column), -20% and +10%.
  const auto split = std::find_if(planned.section.tables.begin(), planned.section.tables.end(),
                                  [](const auto& t) { return !t.header.empty() && t.header[0] == "file"; });
  REQUIRE(split != planned.section.tables.end());
  REQUIRE(split->rows.size() == 1);
  CHECK(split->rows[0][0] == "oracle.json");
  CHECK(split->rows[0][2] == "15.0%");
  CHECK(split->rows[0][3] == "-5.0%");
  CHECK(split->rows[0][4] == "15.0%");
  CHECK(split->rows[0][5] == "20.0%");
  // Rows without the profile column keep the plain table.
  for (auto& r : f.results) r.profile_step_time_s.reset();
  CHECK(rp::plan_measured({f}).section.tables.front().header.size() == 5);
}

TEST_CASE("a measured file's profile_step_time_s column is read with the row") {
  const auto j = nlohmann::json::parse(R"({"results": [{"experts": 4, "capacity_factor": 1.0, "step_time_s": 0.01,
      "measured_step_time_s": 0.012, "profile_step_time_s": 0.013}]})");
  const auto f = rp::parse_measured(j, "m.json");
  REQUIRE(f.results.size() == 1);
  REQUIRE(f.results[0].profile_step_time_s);
  CHECK(*f.results[0].profile_step_time_s == 0.013);
  CHECK_FALSE(rp::parse_measured(nlohmann::json::parse(R"({"results": [{"experts": 4, "capacity_factor": 1.0,
      "step_time_s": 0.01, "measured_step_time_s": 0.012}]})"), "m.json").results[0].profile_step_time_s);
}
