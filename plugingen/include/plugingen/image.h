// plugingen: one compiled kernel image (hand-written; the only declaration the generated image tables need).
#pragma once

#include <cstddef>
#include <cstdint>

namespace plugingen
{
//! One compiled image of one hint variant: a cubin for one SM, or PTX the driver JIT-compiles.
struct KernelImage
{
    int32_t variant; // the compiled variant: a tactic, heuristic values and a hint variant (Kernel::kVariants)
    int32_t arch; // 90 = sm_90 (Triton compiles sm_90 as sm_90a)
    bool isPtx;
    unsigned char const* data;
    size_t size; // PTX includes its terminating NUL
    char const* entry;
    uint32_t sharedBytes;
    uint32_t threads;
    uint32_t scratchBytes; // Triton's global scratch per program; taken from the workspace
};
} // namespace plugingen
