// plugingen: one compiled kernel image (hand-written; the only declaration the generated image tables need).
#pragma once

#include <cstddef>
#include <cstdint>

namespace plugingen
{
//! How one host tensor descriptor argument (Triton's TensorDescriptor) reaches a compiled kernel: as a CUtensorMap the
//! plugin encodes for each launch (then the shape as i32 and the strides as i64), or, where Triton did not lower it
//! to TMA, decomposed into the base pointer, shape and strides as i64, `flags` zero bytes (padding and rounding
//! options, per Triton version), then the shape as i32 and strides as i64 again.
struct DescriptorLayout
{
    int32_t param; // its position among the kernel's parameters as the generated code passes them
    int32_t rank;
    bool tma;
    int32_t elemType; // CUtensorMapDataType
    int32_t swizzle; // CUtensorMapSwizzle
    uint32_t box[5]; // the block Triton's TMA copies move, outermost dim first
    int32_t flags;
};

//! One compiled image of one hint variant: a cubin for one SM, or PTX the driver JIT-compiles.
struct KernelImage
{
    int32_t variant; // the compiled variant: a tactic, heuristic values and a hint variant (Kernel::kVariants)
    int32_t arch; // 90 = sm_90
    bool isPtx;
    unsigned char const* data;
    size_t size; // PTX includes its terminating NUL
    char const* entry;
    uint32_t sharedBytes;
    uint32_t threads;
    uint32_t scratchBytes; // Triton's global scratch per program; taken from the workspace
    bool archSpecific; // compiled for sm_90a, sm_100a, ... (Triton does so from sm_90): only that SM can run it
    uint32_t cluster[3]; // CTAs per program (Triton's num_ctas): the launched grid is the grid times this
    bool pdl; // launched with programmatic stream serialisation (Triton's launch_pdl)
    bool cooperative; // launched cooperatively (Triton's launch_cooperative_grid)
    DescriptorLayout const* descriptors; // one per host tensor descriptor argument, in parameter order
    int32_t nbDescriptors;

    bool needsLaunchEx() const
    {
        return cluster[0] * cluster[1] * cluster[2] != 1 || pdl || cooperative;
    }
};

//! Whether a device of compute capability `cc` (10 * major + minor) can run `image`: an arch-specific image only
//! on its own SM; a portable cubin on its major's later minors (sm_80 on sm_86); portable PTX on any later SM.
inline bool imageRuns(KernelImage const& image, int32_t cc)
{
    if (image.archSpecific)
    {
        return image.arch == cc;
    }
    return image.isPtx ? image.arch <= cc : image.arch / 10 == cc / 10 && image.arch <= cc;
}

//! The image of `variant` a device of capability `cc` loads: the newest cubin it runs, else the PTX it can
//! JIT-compile; null when none fits.
inline KernelImage const* pickImage(KernelImage const* images, size_t count, int32_t variant, int32_t cc)
{
    KernelImage const* cubin = nullptr;
    KernelImage const* ptx = nullptr;
    for (size_t i = 0; i < count; ++i)
    {
        KernelImage const& image = images[i];
        if (image.variant != variant || !imageRuns(image, cc))
        {
            continue;
        }
        KernelImage const*& best = image.isPtx ? ptx : cubin;
        if (best == nullptr || image.arch > best->arch)
        {
            best = &image;
        }
    }
    return cubin != nullptr ? cubin : ptx;
}
} // namespace plugingen
