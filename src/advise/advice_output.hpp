#pragma once
// The advice as files: advice.json (frontier, recommendations, every point) and a
// report::Document (advice.md / advice.html) with a plot of the frontier.

#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "advise/recommend.hpp"
#include "advise/sample_efficiency.hpp"
#include "report/document.hpp"

namespace switchsim::advise {

using Context = std::vector<std::pair<std::string, std::string>>;

nlohmann::ordered_json candidate_json(const Candidate& c);
// Points rejected on memory computed before simulating (not simulated).
std::size_t memory_rejected_before_simulating(const std::vector<Candidate>& candidates);
nlohmann::ordered_json advice_json(const Advice& advice, const Context& context, const SampleEfficiency* efficiency);

// The one-screen text the CLI prints: frontier table and the recommendations.
std::string advice_text(const Advice& advice);

// Renders the frontier plot with gnuplot; when gnuplot fails the section says why instead.
report::Document advice_document(const Advice& advice, const Context& context, const SampleEfficiency* efficiency);

}  // namespace switchsim::advise
