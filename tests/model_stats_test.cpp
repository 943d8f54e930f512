// Parameter counts and FLOPs against the Switch Transformers paper (Table 9).
// Each expected count is written out by hand from the T5 v1.1 layout: per encoder layer
// attention 4*d*h*dkv + 2 norms of d; per decoder layer two attentions + 3 norms; one final
// norm and one relative-position table (32 buckets x heads) per stack; untied embedding and
// LM head (vocab*d each); FFN 3*d*dff (GEGLU) or 2*d*dff (ReLU); a Switch layer has E FFNs
// and a d*E router.

#include <catch2/catch.hpp>

#include "config/catalog.hpp"
#include "model/model_stats.hpp"
#include "test_files.hpp"

using namespace switchsim;

namespace {
using switchsim::test::catalog;
model::ModelStats stats(const std::string& name) { return model::compute_stats(catalog().model(name)); }
double within(double value, double reference) { return std::fabs(value / reference - 1.0); }

// T5-Base v1.1 by hand.
constexpr std::int64_t kBaseAttention = 4LL * 768 * 768;   // 2,359,296
constexpr std::int64_t kBaseFfn = 3LL * 768 * 2048;         // 4,718,592
constexpr std::int64_t kBaseEncoderNoFfn = 12 * (kBaseAttention + 2 * 768) + 768 + 32 * 12;
constexpr std::int64_t kBaseDecoderNoFfn = 12 * (2 * kBaseAttention + 3 * 768) + 768 + 32 * 12;
constexpr std::int64_t kBaseEmbeddings = 2LL * 32128 * 768;
}  // namespace

TEST_CASE("t5-base has 247.6M parameters: 0.2B in Table 9, within the 0.22-0.25B of T5 v1.1 base") {
  const std::int64_t hand = kBaseEncoderNoFfn + kBaseDecoderNoFfn + kBaseEmbeddings + 24 * kBaseFfn;
  CHECK(hand == 247'577'856);
  CHECK(stats("t5-base").params_total == hand);
  CHECK(hand > 220'000'000);
  CHECK(hand < 250'000'000);
}

TEST_CASE("switch-base-128 has 7.44B parameters: Table 9 says 7B") {
  // 6 + 6 Switch layers replace 12 of the 24 dense FFNs.
  const std::int64_t hand = kBaseEncoderNoFfn + kBaseDecoderNoFfn + kBaseEmbeddings + 12 * kBaseFfn +
                            12 * (128 * kBaseFfn + 768 * 128);
  const auto s = stats("switch-base-128");
  CHECK(s.params_total == hand);
  CHECK(s.params_expert == 12 * 128 * kBaseFfn);
  // "7B" is one significant digit: 6.5B..7.5B round to it.
  CHECK(hand >= 6.5e9);
  CHECK(hand < 7.5e9);
}

TEST_CASE("t5-large (v1.1) has 783M parameters: Table 9's 0.7B is the tied-embedding T5 count") {
  const std::int64_t attention = 4LL * 1024 * 1024;
  const std::int64_t ffn = 3LL * 1024 * 2816;
  const std::int64_t hand = 24 * (attention + 2 * 1024) + 1024 + 32 * 16 + 24 * (2 * attention + 3 * 1024) + 1024 +
                            32 * 16 + 2LL * 32128 * 1024 + 48 * ffn;
  CHECK(stats("t5-large").params_total == hand);
  CHECK(hand == 783'150'080);
  // With a tied embedding (as the original T5 the 0.7B refers to) it is 0.75B: 0.7B within rounding.
  CHECK(within(static_cast<double>(hand - 32128LL * 1024), 0.7e9) < 0.08);
}

TEST_CASE("switch-large-128 has 27.2B parameters: Table 9's 26B within 5%") {
  const std::int64_t attention = 4LL * 1024 * 1024;
  const std::int64_t ffn = 3LL * 1024 * 2816;
  const std::int64_t hand = 24 * (attention + 2 * 1024) + 1024 + 32 * 16 + 24 * (2 * attention + 3 * 1024) + 1024 +
                            32 * 16 + 2LL * 32128 * 1024 + 24 * ffn + 24 * (128 * ffn + 1024 * 128);
  CHECK(stats("switch-large-128").params_total == hand);
  CHECK(within(static_cast<double>(hand), 26e9) < 0.05);
}

TEST_CASE("switch-xxl-128 matches Table 9's 395B within 3%, the listed 64 experts give about 200B") {
  const std::int64_t attention = 4LL * 4096 * 4096;
  const std::int64_t ffn = 3LL * 4096 * 10240;
  const std::int64_t no_ffn = 24 * (attention + 2 * 4096) + 4096 + 32 * 64 + 24 * (2 * attention + 3 * 4096) + 4096 +
                              32 * 64 + 2LL * 32128 * 4096;
  const std::int64_t hand128 = no_ffn + 24 * ffn + 24 * (128 * ffn + 4096 * 128);
  const std::int64_t hand64 = no_ffn + 24 * ffn + 24 * (64 * ffn + 4096 * 64);
  CHECK(stats("switch-xxl-128").params_total == hand128);
  CHECK(stats("switch-xxl-64").params_total == hand64);
  CHECK(within(static_cast<double>(hand128), 395e9) < 0.03);
  CHECK(within(static_cast<double>(hand64), 200e9) < 0.03);
}

TEST_CASE("switch-c-2048 matches Table 9's 1571B within 1%") {
  // ReLU FFN (2 matrices), 32 heads x 64 = 2048 inner, every FFN of 15 + 15 layers is a Switch layer.
  const std::int64_t attention = 4LL * 2080 * 2048;
  const std::int64_t ffn = 2LL * 2080 * 6144;
  const std::int64_t hand = 15 * (attention + 2 * 2080) + 2080 + 32 * 32 + 15 * (2 * attention + 3 * 2080) + 2080 +
                            32 * 32 + 2LL * 32128 * 2080 + 30 * (2048 * ffn + 2080 * 2048);
  CHECK(stats("switch-c-2048").params_total == hand);
  CHECK(within(static_cast<double>(hand), 1571e9) < 0.01);
}

TEST_CASE("experts add parameters, not FLOPs: switch-base-8..256 and t5-base within 2%") {
  const double dense = stats("t5-base").flops_per_token_forward;
  for (const char* name : {"switch-base-8", "switch-base-32", "switch-base-128", "switch-base-256"}) {
    INFO(name);
    CHECK(within(stats(name).flops_per_token_forward, dense) < 0.02);
  }
  // ... and switch-large-128 matches t5-large the same way.
  CHECK(within(stats("switch-large-128").flops_per_token_forward, stats("t5-large").flops_per_token_forward) < 0.02);
}

TEST_CASE("t5-base forward FLOPs per sequence by hand, and near the paper's 124B") {
  // Encoder token: 12 layers x 2 x (attention + FFN) + scores 12 x 4 x 512 x 768.
  const double enc = 12.0 * 2 * (kBaseAttention + kBaseFfn) + 12.0 * 4 * 512 * 768;
  // Decoder token: 12 x 2 x (2 attention + FFN) + scores 12 x 4 x (114 + 512) x 768 + LM head 2 x 768 x 32128.
  const double dec = 12.0 * 2 * (2 * kBaseAttention + kBaseFfn) + 12.0 * 4 * (114 + 512) * 768 + 2.0 * 768 * 32128;
  const auto s = stats("t5-base");
  CHECK(s.flops_per_encoder_token_forward == Approx(enc));
  CHECK(s.flops_per_decoder_token_forward == Approx(dec));
  CHECK(s.flops_per_sequence_forward == Approx(512 * enc + 114 * dec));
  // The paper counts 124B per sequence; our count is within 6% of it.
  CHECK(within(s.flops_per_sequence_forward, 124e9) < 0.06);
}

TEST_CASE("the top-2 MoE baseline does twice the expert FFN work of Switch") {
  const auto top1 = stats("switch-base-128");
  const auto top2 = stats("moe-base-128");
  CHECK(top2.params_total == top1.params_total);
  // 6 Switch layers in the encoder, each adding one more expert FFN: 2 x 4.72M FLOPs x 6.
  CHECK(top2.flops_per_encoder_token_forward - top1.flops_per_encoder_token_forward == Approx(6.0 * 2 * kBaseFfn));
}
