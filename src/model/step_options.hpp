#pragma once
// The implementation choices of a training step that change its cost but not the model:
// how tokens reach the experts (Dispatch, costed in dispatch_cost.hpp), how fp32 matmuls run
// on devices that emulate them with bf16 passes (MatmulPrecision, precision.hpp), and which
// activations are recomputed in the backward instead of saved (Remat, remat.hpp).

#include <cstdint>
#include <string_view>

namespace switchsim::model {

// einsum: GShard / Mesh TensorFlow one-hot mask einsums; scatter: index gather/scatter of kept
// rows; grouped: MegaBlocks dropless grouped GEMM. See dispatch_cost.hpp.
enum class Dispatch { einsum, scatter, grouped };

// XLA's PrecisionConfig for fp32 dots on TPU (jax.lax.Precision): DEFAULT = one bf16 pass,
// HIGH = three (bf16_3x), HIGHEST = six (fp32 emulated). See precision.hpp.
enum class MatmulPrecision { xla_default, high, highest };

// none: every activation the backward needs is saved; attention: the attention scores and
// probabilities are recomputed (Korthikanti et al. 2022, selective recomputation); full: only
// each layer's input is saved and the whole layer is recomputed (Chen et al. 2016). remat.hpp.
enum class Remat { none, attention, full };

std::string_view dispatch_name(Dispatch d);
std::string_view matmul_precision_name(MatmulPrecision p);
std::string_view remat_name(Remat r);
// Each throws std::invalid_argument (message lists the choices) for an unknown name.
Dispatch parse_dispatch(std::string_view text);
MatmulPrecision parse_matmul_precision(std::string_view text);
Remat parse_remat(std::string_view text);

}  // namespace switchsim::model
