#include "model/step_inputs.hpp"

#include <stdexcept>

#include "units/checked.hpp"

namespace switchsim::model {

TokenShape token_shape(const StepInputs& in) {
  const std::int64_t per_sequence = in.model.seq_len_input;
  const std::int64_t split = size_product("dp x microbatches", {in.layout.dp, in.microbatches});
  if (in.batch_tokens <= 0) throw std::invalid_argument("batch tokens must be positive");
  if (in.batch_tokens % size_product("tokens per split", {per_sequence, split}) != 0)
    throw std::invalid_argument("batch tokens (" + std::to_string(in.batch_tokens) +
                                ") must be a multiple of seq_len_input x dp x microbatches = " +
                                std::to_string(per_sequence) + " x " + std::to_string(in.layout.dp) + " x " +
                                std::to_string(in.microbatches) + " = " + std::to_string(per_sequence * split));
  TokenShape s;
  s.sequences_per_step = in.batch_tokens / per_sequence;
  s.sequences = s.sequences_per_step / split;
  s.encoder_tokens = s.sequences * in.model.seq_len_input;
  s.decoder_tokens = size_product("decoder tokens", {s.sequences, in.model.seq_len_target});
  return s;
}

}  // namespace switchsim::model
