// plugingen run-time support for generated TensorRT plugins (hand-written, shared by every generated kernel).
//
// A generated plugin is a `struct Kernel` describing one kernel (names, tensor types, fields, and three functions:
// output shapes, launch values, dispatch); Plugin<Kernel> and Creator<Kernel> below turn it into TensorRT's
// IPluginV3 and IPluginCreatorV3One. Everything that does not vary per kernel lives here or, out of line and compiled
// once per library, in runtime.cpp:
// - TensorRT declarations: the user's SDK (PLUGINGEN_USE_TRT_SDK) or plugingen's declaration-only ABI headers.
// - CUDA driver: resolved with dlopen/dlsym at first use, so the plugin library loads on machines without a driver.
// - Kernel modules: loaded once per CUDA context (and image), thread-safe; the image is chosen by the device's
//   compute capability (exact cubin, then a compatible cubin of the same major, then PTX for the driver to JIT).
//   Unloaded when the library is, where their context still lives (a reloaded library loads them anew).
// - Errors: thrown as plugingen::Error inside the library and turned into a TensorRT error status plus a log line at
//   the ABI boundary (guarded()); nothing here calls exit() or abort(). Messages are built only on failure.
// - Logging: through the ILoggerFinder TensorRT hands to setLoggerFinder(); the logger's layout differs between
//   TensorRT 10 (and TensorRT-RTX <= 1.4) and TensorRT 11 (RTX >= 1.5), picked from getInferLibVersion().
#pragma once

#include "plugingen/expr.h"
#include "plugingen/image.h"
#include "plugingen/trt.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <deque>
#include <initializer_list>
#include <limits>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#define PLUGINGEN_EXPORT extern "C" __attribute__((visibility("default")))

namespace plugingen
{

//! Any failure inside the plugin; carries the message that reaches the TensorRT logger.
class Error : public std::runtime_error
{
public:
    using std::runtime_error::runtime_error;
};

//! A failure that is a fact about the shapes, types or field values: a rule, constraint or limit they break (not a
//! missing driver or device). configurePlugin refuses a tactic on it where the profile fixes every shape.
class Refusal : public Error
{
public:
    using Error::Error;
};

// ------------------------------------------------------------------------------------------------- logging
enum class Severity : int32_t
{
    kINTERNAL_ERROR = 0,
    kERROR = 1,
    kWARNING = 2,
    kINFO = 3,
    kVERBOSE = 4
};

//! Remembers the finder TensorRT gave the library's setLoggerFinder() entry point, with its logger layout.
void setLoggerFinder(void* finder) noexcept;

//! Logs through TensorRT's logger when one is reachable; silently drops the message otherwise.
void log(Severity severity, std::string const& message) noexcept;

//! Logs "plugin::method: what" as an error (the failure path of guarded()).
void logFailure(char const* plugin, char const* method, char const* what) noexcept;

//! Runs `body` for a plugin method; any exception becomes `onError` plus an error log line naming the method.
template <typename R, typename F>
R guarded(char const* plugin, char const* method, R onError, F&& body) noexcept
{
    try
    {
        return body();
    }
    catch (std::exception const& e)
    {
        logFailure(plugin, method, e.what());
    }
    catch (...)
    {
        logFailure(plugin, method, "unknown exception");
    }
    return onError;
}

[[noreturn]] void fail(std::string const& message);

//! Throws a Refusal.
[[noreturn]] void refuse(std::string const& message);

inline void check(bool condition, char const* message)
{
    if (!condition)
    {
        fail(message);
    }
}

// ------------------------------------------------------------------------------------------------- numbers
[[noreturn]] void failNarrow(int64_t value, char const* what, size_t bits);

//! `value` as T, or an error naming `what` when it does not fit.
template <typename T>
T narrow(int64_t value, char const* what)
{
    if (value < static_cast<int64_t>(std::numeric_limits<T>::min())
        || value > static_cast<int64_t>(std::numeric_limits<T>::max()))
    {
        failNarrow(value, what, sizeof(T) * 8);
    }
    return static_cast<T>(value);
}

// ------------------------------------------------------------------------------------------------- fields
//! How a ParamArg is stored in the plugin (fp16/bf16 as raw bits).
enum class Scalar : int32_t
{
    kFP16,
    kBF16,
    kFP32,
    kFP64,
    kI8,
    kI32,
    kI64
};

//! One plugin field: a ParamArg stored at `offset` in the kernel's Fields struct. One table of these feeds
//! getFieldNames, createPlugin and getFieldsToSerialize.
struct FieldInfo
{
    char const* name;
    nvinfer1::PluginFieldType type;
    Scalar scalar;
    size_t offset;
};

//! Checks a creator's field collection (every field present once, nothing unknown; `fc` may be null when there are
//! no fields) and stores each value into `fields` at its offset, converted to the parameter's type: an integer must
//! fit its integer type exactly; a float is rounded to the nearest value of its float type, and refused where that
//! is infinite but the value was not (1e300 into fp32, 70000 into fp16).
void parseFields(nvinfer1::PluginFieldCollection const* fc, FieldInfo const* info, size_t count, void* fields);

// ------------------------------------------------------------------------------------------------- shapes
[[noreturn]] void failCount(int32_t got, int32_t expected, char const* what);
[[noreturn]] void failRank(int32_t rank, int32_t named, bool rest, char const* tensor, char const* rule);
[[noreturn]] void failSameDim(int64_t a, int64_t b, char const* dim, char const* rule);
[[noreturn]] void failGrid(int64_t x, int64_t y, int64_t z);

inline void checkCount(int32_t got, int32_t expected, char const* what)
{
    if (got != expected)
    {
        failCount(got, expected, what);
    }
}

//! Checks the rank an input pattern of a rule asks for (`named` dims, plus any number more when `rest`).
inline void checkRank(int32_t rank, int32_t named, bool rest, char const* tensor, char const* rule)
{
    if (rest ? rank < named : rank != named)
    {
        failRank(rank, named, rest, tensor, rule);
    }
}

[[noreturn]] void failDim(int64_t size, int64_t literal, char const* tensor, int32_t position, char const* rule);

//! A constraint of the config that does not hold: "constraint 'num_heads == heads' does not hold (num_heads = 8,
//! heads = 4)".
[[noreturn]] void failConstraint(char const* constraint, std::initializer_list<std::pair<char const*, int64_t>> values);

//! Checks a literal dim of a rule's left side (``Q[b, h, s, 64]``) on a concrete shape.
inline void checkDim(int64_t size, int64_t literal, char const* tensor, int32_t position, char const* rule)
{
    if (size != literal)
    {
        failDim(size, literal, tensor, position, rule);
    }
}

//! The same at build time, where it is decided: when TensorRT already knows the size (a constant dimension).
inline void checkDimExpr(
    nvinfer1::IDimensionExpr const& size, int64_t literal, char const* tensor, int32_t position, char const* rule)
{
    if (size.isConstant() && size.getConstantValue() != literal)
    {
        failDim(size.getConstantValue(), literal, tensor, position, rule);
    }
}

inline void checkSameDim(int64_t a, int64_t b, char const* dim, char const* rule)
{
    if (a != b)
    {
        failSameDim(a, b, dim, rule);
    }
}

//! The same at build time, where both sizes are already known (constant dimensions).
inline void checkSameDimExpr(
    nvinfer1::IDimensionExpr const& a, nvinfer1::IDimensionExpr const& b, char const* dim, char const* rule)
{
    if (a.isConstant() && b.isConstant())
    {
        checkSameDim(a.getConstantValue(), b.getConstantValue(), dim, rule);
    }
}

//! Checks the tensors enqueue received (`what`: "input" or "output"): ranks 0 to 8, no negative dim, and a byte
//! count that fits in int64.
void checkTensors(nvinfer1::PluginTensorDesc const* desc, int32_t count, char const* what);

[[noreturn]] void failOutputShape(int32_t output, int32_t position, int64_t got, int64_t expected, char const* rule);

//! Checks dim `position` of output `output` (position -1: its rank) against the value its rule gives.
inline void checkOutputDim(int32_t output, int32_t position, int64_t got, int64_t expected, char const* rule)
{
    if (got != expected)
    {
        failOutputShape(output, position, got, expected, rule);
    }
}

//! The element count of `dims` as a TensorRT dimension expression (numel() in an output-shape rule).
inline nvinfer1::IDimensionExpr const* volumeExpr(nvinfer1::DimsExprs const& dims, nvinfer1::IExprBuilder& builder)
{
    nvinfer1::IDimensionExpr const* count = builder.constant(1);
    for (int32_t d = 0; d < dims.nbDims; ++d)
    {
        count = builder.operation(nvinfer1::DimensionOperation::kPROD, *count, *dims.d[d]);
    }
    return count;
}

//! Checks a computed grid and converts it to what cuLaunchKernel takes; false when it is empty (nothing to launch).
inline bool makeGrid(int64_t x, int64_t y, int64_t z, uint32_t grid[3])
{
    if (x < 0 || y < 0 || z < 0 || x > 2147483647 || y > 65535 || z > 65535)
    {
        failGrid(x, y, z);
    }
    grid[0] = static_cast<uint32_t>(x);
    grid[1] = static_cast<uint32_t>(y);
    grid[2] = static_cast<uint32_t>(z);
    return x != 0 && y != 0 && z != 0;
}

//! Why a launch's tactic and heuristic values have no compiled image: the first heuristic whose value is not among
//! those compiled for it (heuristic null: every value is, but not this combination). enqueue refuses such a launch
//! unless it writes nothing (an empty row: next_power_of_2(0) is 0, which no image is compiled for).
struct Unplanned
{
    int32_t tactic{0};
    char const* heuristic{nullptr};
    int64_t value{0};
    int64_t const* domain{nullptr};
    int32_t count{0};
};

//! What every launch has besides the kernel's own launch values: the grid, whether there is nothing to do, and the
//! compiled variant its tactic and heuristic values select (the hint variant is added at launch; -1: none, why in
//! `unplanned`).
struct LaunchBase
{
    uint32_t grid[3]{};
    bool empty{false};
    int32_t variant{0};
    int32_t signature{0}; //!< the dtype signature of the inputs (index into the kernel's kSignatures)
    Unplanned unplanned{};
};

//! The position of a heuristic's `value` among the values compiled for it; -1 when absent.
inline int32_t valueIndex(int64_t value, int64_t const* domain, int32_t count)
{
    for (int32_t i = 0; i < count; ++i)
    {
        if (domain[i] == value)
        {
            return i;
        }
    }
    return -1;
}

//! Records `heuristic` in `why` when its `value` is not among the `count` compiled for it and no earlier one was.
inline void noteDomain(Unplanned& why, char const* heuristic, int64_t value, int64_t const* domain, int32_t count)
{
    if (why.heuristic == nullptr && valueIndex(value, domain, count) < 0)
    {
        why = Unplanned{why.tactic, heuristic, value, domain, count};
    }
}

//! The error for a launch without a compiled image: the heuristic value and the values compiled for it, or the
//! tactic whose combination of values was not compiled.
[[noreturn]] void failUnplanned(Unplanned const& why);

//! The compute capability (10 * major + minor) of the current CUDA context's device; -1 without one (or without a
//! driver).
int32_t currentCc();

//! The bit length of next_power_of_2(value): a key value's bucket as an exponent (0 for value <= 0).
inline int32_t bucketBits(int64_t value)
{
    if (value <= 1)
    {
        return value == 1 ? 1 : 0;
    }
    return 65 - __builtin_clzll(static_cast<uint64_t>(value - 1)); // every launch of a tuned plugin: no loop
}

//! A tuning table's choice (plugingen tune): `rows` holds `nbRows` rows of {sm, config, bucket of each of the
//! `nbKeys` key values}; the config of the row of SM `cc` whose bucket is nearest the bucket of `values` (the next
//! power of two of each; log2 distance summed over the key, the first row on a tie), or 0 (the first config, always
//! compiled) where the table has no row for `cc`.
inline int32_t tunedTactic(int64_t const* rows, int32_t nbRows, int32_t nbKeys, int64_t const* values, int32_t cc)
{
    int32_t best = 0;
    int64_t bestDistance = -1;
    for (int32_t r = 0; r < nbRows; ++r)
    {
        int64_t const* row = rows + static_cast<size_t>(r) * static_cast<size_t>(2 + nbKeys);
        if (row[0] != cc)
        {
            continue;
        }
        int64_t distance = 0;
        for (int32_t k = 0; k < nbKeys; ++k)
        {
            int32_t const gap = bucketBits(row[2 + k]) - bucketBits(values[k]);
            distance += gap < 0 ? -gap : gap;
        }
        if (bestDistance < 0 || distance < bestDistance)
        {
            best = static_cast<int32_t>(row[1]);
            bestDistance = distance;
        }
    }
    return best;
}

//! Queues a memset of `bytes` zero bytes at device `pointer` on `stream`.
void zeroBytes(void* pointer, size_t bytes, cudaStream_t stream);

//! Queues a device-to-device copy of `bytes` bytes on `stream` (nothing when `to == from`).
void copyBytes(void* to, void const* from, size_t bytes, cudaStream_t stream);

//! Bytes per element of a tensor of `type`.
size_t dataTypeSize(nvinfer1::DataType type);

//! "kHALF", "kFP8", ...
char const* dataTypeName(nvinfer1::DataType type);

//! IEEE half / bfloat16 bits of `value`, round to nearest even (a ParamArg typed by a type variable).
uint16_t floatToHalf(float value);
uint16_t floatToBf16(float value);

[[noreturn]] void failTactic(int32_t tactic, int32_t count);

//! A verbose log line "<plugin> <what><value>" (plus "): t1, t2, ..." when `values` are given): the tactics offered
//! and chosen (build and load time only).
void logTactics(char const* plugin, char const* what, int32_t value, int32_t const* values, int32_t count) noexcept;

//! True when some output has elements (a launch that writes no element is skipped).
bool anyElements(nvinfer1::PluginTensorDesc const* desc, int32_t count);

//! True when every dimension of every input is fixed by the build profile (min == max): then the shapes each launch
//! will see are known, and `fixed` gets them.
bool fixedShapes(
    nvinfer1::DynamicPluginTensorDesc const* in, int32_t count, nvinfer1::PluginTensorDesc* fixed);

//! The element count of a tensor of concrete shape `dims` (checkTensors has checked it fits).
inline size_t volume(nvinfer1::Dims const& dims)
{
    size_t count = 1;
    for (int32_t d = 0; d < dims.nbDims; ++d)
    {
        count *= static_cast<size_t>(dims.d[d]);
    }
    return count;
}

//! `pointer` rounded up to a multiple of `alignment` (null stays null).
inline uint64_t alignUp(uint64_t pointer, uint64_t alignment)
{
    return pointer == 0 ? 0 : (pointer + alignment - 1) / alignment * alignment;
}

//! The sizes dimension `position` of a build profile's tensor takes, [min, max] (an error when max is unbounded).
Range dimRange(nvinfer1::DynamicPluginTensorDesc const& desc, int32_t position);

//! The element counts a build profile's tensor takes.
Range volumeRange(nvinfer1::DynamicPluginTensorDesc const& desc);

//! True when the truth-value range `compute()` gives is [0, 0] (the condition never holds); false when it may hold
//! or cannot be bounded.
template <typename F>
bool never(F&& compute)
{
    try
    {
        return compute().hi == 0;
    }
    catch (std::exception const&)
    {
        return false;
    }
}

[[noreturn]] void failProfile(char const* constraint);

//! Workspace for `perProgram` bytes of global scratch per program for at most the grids `x`, `y`, `z` bound, plus
//! room to align its start.
size_t scratchBytes(Range x, Range y, Range z, size_t perProgram, uint64_t alignment);

//! The most SMs a GPU may have: the bound of `num_sms` over a build profile (the engine may run on any GPU).
constexpr int64_t kMaxSmCount = 1024;

//! The SM count of the current CUDA context's device (the `num_sms` launch value); an error without a context.
int64_t smCount();

// ------------------------------------------------------------------------------------------------- descriptors
//! A plugin tensor as a kernel's host tensor descriptor argument sees it (Triton's TensorDescriptor): its leading
//! dims flattened into the first of `rank` dims, contiguous strides in elements.
struct TensorDescriptor
{
    uint64_t base;
    int32_t rank;
    int32_t elemSize;
    int64_t shape[5];
    int64_t strides[5];
};

//! The descriptor of rank `rank` of the tensor at `address` described by `desc`, or an error naming `name` when
//! it breaks Triton's (and TMA's) rules: a 16-byte aligned base, 16-byte aligned strides, no empty dim, dims that
//! fit the kernel's 32-bit shape parameters, at least `rank` dims.
TensorDescriptor tensorDescriptor(
    char const* name, void const* address, nvinfer1::PluginTensorDesc const& desc, int32_t rank);

// ------------------------------------------------------------------------------------------------- kernels
namespace cu
{
using Context = struct CUctx_st*;
using Function = struct CUfunc_st*;
using Module = struct CUmod_st*;
using Result = int32_t;
} // namespace cu

//! The error for a GPU of capability `cc` that none of `variant`'s images fits: what was built, and the --arch
//! that would fit.
std::string noImageMessage(
    char const* kernelName, KernelImage const* images, size_t count, int32_t variant, int32_t cc);

//! The images of one kernel and the modules loaded from them, per CUDA context.
class KernelSet
{
public:
    //! `variants[i]` describes compiled variant i (a tactic, heuristic values and hints; for log lines).
    KernelSet(char const* kernelName, KernelImage const* images, size_t count, char const* const* variants)
        : mName(kernelName)
        , mImages(images)
        , mCount(count)
        , mVariants(variants)
        , mNbVariants(nbVariants(images, count))
        , mLast(new std::atomic<Loaded const*>[mNbVariants]())
    {
    }

    //! Unloads the modules it loaded whose context still lives (when the library is unloaded: a reloaded library
    //! loads them anew).
    ~KernelSet();
    KernelSet(KernelSet const&) = delete;
    KernelSet& operator=(KernelSet const&) = delete;

    //! The tactics (values 1..nbTactics) that can run on the current context's device: those whose every image
    //! (the one picked for this device) fits its shared memory. All of them when no device can be asked (a build
    //! without a GPU). `tacticOf[v]` is compiled variant v's tactic index; writes the values to `out`, if given.
    int32_t viableTactics(int32_t const* tacticOf, int32_t nbTactics, int32_t* out) const;

    //! Checks that `grid` times the cluster of `variant` (Triton's num_ctas; the same for every hint variant of a
    //! tactic) stays within CUDA's grid limits on every axis, computed in 64-bit: what a launch of it would launch.
    void checkClusterGrid(int32_t variant, uint32_t const grid[3]) const;

    //! Launches variant `variant` on `stream`; `params` point at each of the `nbParams` kernel parameters' value (a
    //! host tensor descriptor's at its TensorDescriptor, expanded as the image's layout says); `globalScratch` is the
    //! kernel's scratch in the workspace (0: no workspace). An error when no image of the variant fits the device.
    void launch(int32_t variant, uint32_t const grid[3], void** params, int32_t nbParams, cudaStream_t stream,
        uint64_t globalScratch)
    {
        launchIfFits(variant, grid, params, nbParams, stream, globalScratch, true);
    }

    //! The same, but false instead of an error when no image of the variant fits the device (a specialised variant
    //! compiled only as cubins, on a GPU that runs only the portable PTX: the caller launches a generic variant).
    bool launchIfFits(int32_t variant, uint32_t const grid[3], void** params, int32_t nbParams, cudaStream_t stream,
        uint64_t globalScratch, bool mustFit = false);

private:
    struct Loaded
    {
        unsigned long long context;
        int32_t variant;
        KernelImage const* image;
        cu::Function function;
        cu::Module module; // null: no image
        cu::Context handle; // the context `context` identifies
    };

    static size_t nbVariants(KernelImage const* images, size_t count)
    {
        int32_t most = 0;
        for (size_t i = 0; i < count; ++i)
        {
            most = std::max(most, images[i].variant + 1);
        }
        return static_cast<size_t>(most);
    }

    Loaded function(cu::Context ctx, int32_t variant); //!< image null: no image of the variant fits the device
    cu::Result launchEx(KernelImage const& image, cu::Function function, uint32_t const grid[3], void** params,
        cudaStream_t stream) const;

    char const* mName;
    KernelImage const* mImages;
    size_t mCount;
    char const* const* mVariants;
    std::mutex mMutex; // guards mLoaded
    std::mutex mLoadMutex; // serialises module loads (not lookups)
    std::deque<Loaded> mLoaded; // one entry per (context, variant), never moved; modules live until ~KernelSet
    size_t mNbVariants; // 1 + the highest variant of an image
    std::unique_ptr<std::atomic<Loaded const*>[]> mLast; // per variant: the entry its last launch used (no lock)
};

// ------------------------------------------------------------------------------------------------- the plugin
//! A plugin's dtype signatures: `count` rows of `nbInputs + nbOutputs` types (inputs, then outputs).
struct Signatures
{
    nvinfer1::DataType const* types;
    int32_t count;
    int32_t nbInputs;
    int32_t nbOutputs;
};

//! supportsFormatCombination: linear format, and some signature has the types of inOut[0..pos] (TensorRT's rule:
//! the answer for `pos` may depend on the tensors before it only).
bool supportsSignature(int32_t pos, nvinfer1::DynamicPluginTensorDesc const* inOut, int32_t nbInputs,
    int32_t nbOutputs, Signatures const& signatures);

//! The signature whose input types these are; an error listing the signatures when none is.
int32_t signatureOf(nvinfer1::DataType const* inputTypes, Signatures const& signatures);
int32_t signatureOf(nvinfer1::PluginTensorDesc const* inputs, Signatures const& signatures);

//! Checks that the outputs enqueue received have the output types of signature `signature`.
void checkOutputTypes(nvinfer1::PluginTensorDesc const* outputs, int32_t signature, Signatures const& signatures);

// IPluginV3OneBuildV2 (getAliasedInput, for in-place outputs) exists from TensorRT 10.3; plugingen's own ABI headers
// and TensorRT-RTX have it.
#if defined(PLUGINGEN_USE_TRT_SDK) && defined(NV_TENSORRT_MAJOR) && NV_TENSORRT_MAJOR == 10 && NV_TENSORRT_MINOR < 3
#define PLUGINGEN_HAS_BUILD_V2 0
#else
#define PLUGINGEN_HAS_BUILD_V2 1
#endif

//! The build capability a plugin implements: version 2 (getAliasedInput) when it updates an input in place, else
//! version 1, which every TensorRT 10 knows.
template <bool kInPlace>
struct BuildCapability
{
    using type = nvinfer1::IPluginV3OneBuild;
};
#if PLUGINGEN_HAS_BUILD_V2
template <>
struct BuildCapability<true>
{
    using type = nvinfer1::IPluginV3OneBuildV2;
};
#endif

//! Whether any output of `aliased` (per output: the input it is, or -1) is an input updated in place.
template <size_t N>
constexpr bool anyAliased(int32_t const (&aliased)[N])
{
    for (int32_t input : aliased)
    {
        if (input >= 0)
        {
            return true;
        }
    }
    return false;
}

//! The PluginFields that serialize `fields` (pointing into it), as getFieldsToSerialize returns them.
void serializeFields(FieldInfo const* info, size_t count, void* fields, nvinfer1::PluginField* out);

/*! The IPluginV3 of a generated kernel description `K`, which provides:
    kPluginName, kPluginVersion, kPluginNamespace, kKernelName; kNbInputs, kNbOutputs, kNbSignatures, kSignatures
    (DataType[kNbSignatures][kNbInputs + kNbOutputs]), kPointsPerSignature, kAliasedInput (per output: the input it
    updates in place, or -1); Fields (a standard-layout struct) and kFields (a std::array<FieldInfo>); Launch (derived
    from LaunchBase); kScratchBytes, kScratchAlign; kImages, kImageCount, kVariants, kVariantTactic; kNbTactics;
    kZeroed (a std::array of output slots); kTuned (computeLaunch picks the tactic from a tuning table: none is
    offered); when kScratchBytes != 0,
    static size_t workspaceBytes(Fields const&, DynamicPluginTensorDesc const* inputs, int32_t tactic);
    static void outputShapes(DimsExprs const* inputs, DimsExprs* outputs, IExprBuilder&);
    static Launch computeLaunch(Fields const&, PluginTensorDesc const* inputs, int32_t tactic);
    static void checkOutputs(PluginTensorDesc const* inputs, PluginTensorDesc const* outputs);
    static char const* profileViolation(Fields const&, DynamicPluginTensorDesc const* inputs, int32_t tactic);
    static void launch(KernelSet&, Fields const&, Launch const&, PluginTensorDesc const* inputDesc,
        PluginTensorDesc const* outputDesc, void const* const* inputs, void* const* outputs, uint64_t globalScratch,
        cudaStream_t);
*/
template <typename K>
class Plugin final : public nvinfer1::IPluginV3,
                     public nvinfer1::IPluginV3OneCore,
                     public BuildCapability<anyAliased(K::kAliasedInput)>::type,
                     public nvinfer1::IPluginV3OneRuntime
{
public:
    using Fields = typename K::Fields;
    using Build = typename BuildCapability<anyAliased(K::kAliasedInput)>::type;
    static constexpr int32_t kNbInputs = K::kNbInputs;
    static constexpr int32_t kNbOutputs = K::kNbOutputs;
    static constexpr Signatures kTypes{&K::kSignatures[0][0], K::kNbSignatures, kNbInputs, kNbOutputs};
    static_assert(!anyAliased(K::kAliasedInput) || PLUGINGEN_HAS_BUILD_V2,
        "in-place outputs (OutputArg alias=) need TensorRT 10.3 or newer (IPluginV3OneBuildV2, getAliasedInput)");

    explicit Plugin(Fields const& fields, int32_t tactic = 0)
        : mFields(fields)
        , mTactic(tactic)
    {
    }

    nvinfer1::IPluginCapability* getCapabilityInterface(nvinfer1::PluginCapabilityType type) noexcept override
    {
        switch (type)
        {
        case nvinfer1::PluginCapabilityType::kCORE: return static_cast<nvinfer1::IPluginV3OneCore*>(this);
        case nvinfer1::PluginCapabilityType::kBUILD: return static_cast<Build*>(this);
        case nvinfer1::PluginCapabilityType::kRUNTIME: return static_cast<nvinfer1::IPluginV3OneRuntime*>(this);
        }
        return nullptr;
    }

    nvinfer1::IPluginV3* clone() noexcept override
    {
        return guarded(K::kPluginName, "clone", static_cast<nvinfer1::IPluginV3*>(nullptr),
            [&] {
                auto* copy = new Plugin(mFields, mTactic);
                copy->mProfileTactics = mProfileTactics;
                return static_cast<nvinfer1::IPluginV3*>(copy);
            });
    }

    nvinfer1::AsciiChar const* getPluginName() const noexcept override
    {
        return K::kPluginName;
    }

    nvinfer1::AsciiChar const* getPluginVersion() const noexcept override
    {
        return K::kPluginVersion;
    }

    nvinfer1::AsciiChar const* getPluginNamespace() const noexcept override
    {
        return K::kPluginNamespace;
    }

    int32_t getNbOutputs() const noexcept override
    {
        return kNbOutputs;
    }

    int32_t configurePlugin(nvinfer1::DynamicPluginTensorDesc const* in, int32_t nbInputs,
        nvinfer1::DynamicPluginTensorDesc const*, int32_t nbOutputs) noexcept override
    {
        return guarded(K::kPluginName, "configurePlugin", int32_t{-1}, [&] {
            checkCount(nbInputs, kNbInputs, "inputs");
            checkCount(nbOutputs, kNbOutputs, "outputs");
            char const* violated = nullptr;
            mProfileTactics.fill(false);
            bool any = false;
            for (int32_t tactic = 0; tactic < K::kNbTactics; ++tactic)
            {
                char const* why = K::profileViolation(mFields, in, tactic);
                mProfileTactics[tactic] = why == nullptr; // offered only where some shape of the profile can run
                any = any || why == nullptr;
                violated = violated == nullptr ? why : violated;
            }
            if (!any)
            {
                failProfile(violated);
            }
            refuseFixedShapes(in);
            return int32_t{0};
        });
    }

    int32_t getOutputDataTypes(nvinfer1::DataType* outputTypes, int32_t nbOutputs,
        nvinfer1::DataType const* inputTypes, int32_t nbInputs) const noexcept override
    {
        return guarded(K::kPluginName, "getOutputDataTypes", int32_t{-1}, [&] {
            checkCount(nbInputs, kNbInputs, "inputs");
            checkCount(nbOutputs, kNbOutputs, "outputs");
            // one signature: its output types whatever the inputs (supportsFormatCombination refuses other inputs)
            int32_t const signature = K::kNbSignatures == 1 ? 0 : signatureOf(inputTypes, kTypes);
            std::memcpy(outputTypes, K::kSignatures[signature] + kNbInputs, sizeof(nvinfer1::DataType) * kNbOutputs);
            return int32_t{0};
        });
    }

    int32_t getOutputShapes(nvinfer1::DimsExprs const* inputs, int32_t nbInputs, nvinfer1::DimsExprs const*,
        int32_t nbShapeInputs, nvinfer1::DimsExprs* outputs, int32_t nbOutputs,
        nvinfer1::IExprBuilder& exprBuilder) noexcept override
    {
        return guarded(K::kPluginName, "getOutputShapes", int32_t{-1}, [&] {
            checkCount(nbInputs, kNbInputs, "inputs");
            checkCount(nbOutputs, kNbOutputs, "outputs");
            checkCount(nbShapeInputs, 0, "shape inputs");
            K::outputShapes(inputs, outputs, exprBuilder);
            return int32_t{0};
        });
    }

    size_t getWorkspaceSize(nvinfer1::DynamicPluginTensorDesc const* inputs, int32_t nbInputs,
        nvinfer1::DynamicPluginTensorDesc const*, int32_t nbOutputs) const noexcept override
    {
        if constexpr (K::kScratchBytes == 0)
        {
            static_cast<void>(inputs);
            static_cast<void>(nbInputs);
            static_cast<void>(nbOutputs);
            return 0;
        }
        else
        {
            // global scratch for the most programs any shape of the profile can launch (a sound bound: interval
            // arithmetic over the grid, whether or not it grows with the dims), whichever tactic TensorRT picks
            return guarded(K::kPluginName, "getWorkspaceSize", size_t{0}, [&] {
                checkCount(nbInputs, kNbInputs, "inputs");
                checkCount(nbOutputs, kNbOutputs, "outputs");
                size_t bytes = 0;
                for (int32_t tactic = 0; tactic < K::kNbTactics; ++tactic)
                {
                    bytes = std::max(bytes, K::workspaceBytes(mFields, inputs, tactic));
                }
                return bytes;
            });
        }
    }

    //! Each autotune config is a tactic: value = config index + 1 (0, TensorRT's default, is the first config).
    //! Offered: the tactics that fit the device (a config needing more shared memory than it has is left out) and
    //! whose constraints some shape of the profile configurePlugin saw can satisfy. None with a tuning table: the
    //! plugin then picks the config per launch itself.
    int32_t getNbTactics() noexcept override
    {
        if constexpr (K::kNbTactics == 1 || K::kTuned)
        {
            return 0;
        }
        return guarded(K::kPluginName, "getNbTactics", int32_t{0}, [&] { return offeredTactics(nullptr); });
    }

    int32_t getValidTactics(int32_t* tactics, int32_t nbTactics) noexcept override
    {
        return guarded(K::kPluginName, "getValidTactics", int32_t{-1}, [&] {
            checkCount(nbTactics, getNbTactics(), "tactics");
            offeredTactics(tactics);
            logTactics(K::kPluginName, "offers tactics (of 1..", K::kNbTactics, tactics, nbTactics);
            return int32_t{0};
        });
    }

    bool supportsFormatCombination(int32_t pos, nvinfer1::DynamicPluginTensorDesc const* inOut, int32_t nbInputs,
        int32_t nbOutputs) noexcept override
    {
        return supportsSignature(pos, inOut, nbInputs, nbOutputs, kTypes);
    }

    //! IPluginV3OneBuildV2's (TensorRT 10.3+; a plain member for plugins that update no input in place).
    int32_t getAliasedInput(int32_t outputIndex) noexcept
    {
        return outputIndex >= 0 && outputIndex < kNbOutputs ? K::kAliasedInput[outputIndex] : -1;
    }

    int32_t setTactic(int32_t tactic) noexcept override
    {
        return guarded(K::kPluginName, "setTactic", int32_t{-1}, [&] {
            if (tactic < 0 || tactic > K::kNbTactics)
            {
                failTactic(tactic, K::kNbTactics);
            }
            mTactic = tactic == 0 ? 0 : tactic - 1;
            logTactics(K::kPluginName, "runs tactic ", tactic, nullptr, 0);
            return int32_t{0};
        });
    }

    int32_t onShapeChange(nvinfer1::PluginTensorDesc const* in, int32_t nbInputs, nvinfer1::PluginTensorDesc const* out,
        int32_t nbOutputs) noexcept override
    {
        return guarded(K::kPluginName, "onShapeChange", int32_t{-1}, [&] {
            checkCount(nbInputs, kNbInputs, "inputs");
            checkCount(nbOutputs, kNbOutputs, "outputs");
            checkedLaunch(in, out);
            return int32_t{0};
        });
    }

    int32_t enqueue(nvinfer1::PluginTensorDesc const* inputDesc, nvinfer1::PluginTensorDesc const* outputDesc,
        void const* const* inputs, void* const* outputs, void* workspace, cudaStream_t stream) noexcept override
    {
        return guarded(K::kPluginName, "enqueue", int32_t{-1}, [&] {
            typename K::Launch const launch = checkedLaunch(inputDesc, outputDesc);
            bool const launches = !launch.empty && anyElements(outputDesc, kNbOutputs);
            if (launches) // refused before any work is queued
            {
                if (launch.variant < 0)
                {
                    failUnplanned(launch.unplanned);
                }
                kernels().checkClusterGrid(launch.variant, launch.grid);
            }
            for (int32_t output = 0; output < kNbOutputs; ++output)
            {
                if (int32_t const input = K::kAliasedInput[output]; input >= 0)
                {
                    // in place: TensorRT (10.3+) hands the input's own buffer; should it give another, that buffer
                    // starts as a copy of the input, and the kernel updates it
                    copyBytes(outputs[output], inputs[input], bytesOf(outputDesc[output]), stream);
                }
            }
            for (int32_t const slot : K::kZeroed)
            {
                zeroBytes(outputs[slot], bytesOf(outputDesc[slot]), stream);
            }
            if (launches)
            {
                uint64_t const scratch = K::kScratchBytes == 0
                    ? 0
                    : alignUp(reinterpret_cast<uintptr_t>(workspace), K::kScratchAlign);
                K::launch(kernels(), mFields, launch, inputDesc, outputDesc, inputs, outputs, scratch, stream);
            }
            return int32_t{0};
        });
    }

    nvinfer1::IPluginV3* attachToContext(nvinfer1::IPluginResourceContext*) noexcept override
    {
        return clone();
    }

    nvinfer1::PluginFieldCollection const* getFieldsToSerialize() noexcept override
    {
        serializeFields(K::kFields.data(), K::kFields.size(), &mFields, mSerialized.data());
        mCollection.nbFields = static_cast<int32_t>(K::kFields.size());
        mCollection.fields = mSerialized.data();
        return &mCollection;
    }

private:
    //! The tactics offered (values 1..kNbTactics, written to `out` when given): those that fit the device and suit
    //! the profile; their count.
    int32_t offeredTactics(int32_t* out) const
    {
        std::array<int32_t, K::kNbTactics> viable{};
        int32_t const count = kernels().viableTactics(K::kVariantTactic, K::kNbTactics, viable.data());
        int32_t offered = 0;
        for (int32_t i = 0; i < count; ++i)
        {
            if (mProfileTactics[viable[i] - 1])
            {
                if (out != nullptr)
                {
                    out[offered] = viable[i];
                }
                ++offered;
            }
        }
        return offered;
    }

    //! The launch for these tensors, after checking them (TensorRT passes only what the plugin agreed to; other hosts
    //! may not): ranks, sizes and types, the rules and constraints, the outputs' shapes; the generated values, in the
    //! images of the inputs' signature.
    typename K::Launch checkedLaunch(nvinfer1::PluginTensorDesc const* in, nvinfer1::PluginTensorDesc const* out) const
    {
        checkTensors(in, kNbInputs, "input");
        checkTensors(out, kNbOutputs, "output");
        int32_t const signature = signatureOf(in, kTypes);
        checkOutputTypes(out, signature, kTypes);
        typename K::Launch launch = K::computeLaunch(mFields, in, mTactic);
        K::checkOutputs(in, out);
        launch.signature = signature;
        launch.variant += signature * K::kPointsPerSignature;
        return launch;
    }

    //! Where the profile fixes every input shape, each launch's checks are decided now: a tactic whose launch
    //! refuses these shapes is not offered, and the profile is refused when every tactic's is. (A check that needs
    //! the device, num_sms without a GPU, is left to enqueue.)
    void refuseFixedShapes(nvinfer1::DynamicPluginTensorDesc const* in)
    {
        std::array<nvinfer1::PluginTensorDesc, kNbInputs> fixed{};
        if (!fixedShapes(in, kNbInputs, fixed.data()))
        {
            return;
        }
        std::string refused;
        bool any = false;
        for (int32_t tactic = 0; tactic < K::kNbTactics; ++tactic)
        {
            try
            {
                if (mProfileTactics[tactic])
                {
                    K::computeLaunch(mFields, fixed.data(), tactic);
                    any = true;
                }
            }
            catch (Refusal const& e)
            {
                mProfileTactics[tactic] = false;
                refused = refused.empty() ? e.what() : refused;
            }
            catch (Error const&) // undecided without a device
            {
                any = true;
            }
            catch (std::exception const& e) // a zero divisor or an overflow, in every launch of these shapes
            {
                mProfileTactics[tactic] = false;
                refused = refused.empty() ? e.what() : refused;
            }
        }
        if (!any)
        {
            refuse("this optimization profile's shapes are refused: " + refused);
        }
    }

    static constexpr std::array<bool, K::kNbTactics> filled(bool value)
    {
        std::array<bool, K::kNbTactics> all{};
        for (bool& one : all)
        {
            one = value;
        }
        return all;
    }

    static size_t bytesOf(nvinfer1::PluginTensorDesc const& desc)
    {
        return volume(desc.dims) * dataTypeSize(desc.type);
    }

    static KernelSet& kernels()
    {
        static KernelSet set(K::kKernelName, K::kImages, K::kImageCount, K::kVariants);
        return set;
    }

    Fields mFields;
    int32_t mTactic; // index of the autotune config TensorRT chose (setTactic's value - 1)
    std::array<bool, K::kNbTactics> mProfileTactics{filled(true)}; // per tactic: some shape of the profile can run it
    std::array<nvinfer1::PluginField, K::kFields.size()> mSerialized{};
    nvinfer1::PluginFieldCollection mCollection{};
};

//! The IPluginCreatorV3One of a generated kernel description `K` (see Plugin).
template <typename K>
class Creator final : public nvinfer1::IPluginCreatorV3One
{
public:
    Creator()
    {
        for (size_t i = 0; i < K::kFields.size(); ++i)
        {
            mFieldList[i] = nvinfer1::PluginField(K::kFields[i].name, nullptr, K::kFields[i].type, 1);
        }
        mFieldNames.nbFields = static_cast<int32_t>(K::kFields.size());
        mFieldNames.fields = mFieldList.data();
    }

    nvinfer1::IPluginV3* createPlugin(nvinfer1::AsciiChar const*, nvinfer1::PluginFieldCollection const* fc,
        nvinfer1::TensorRTPhase) noexcept override
    {
        return guarded(K::kPluginName, "createPlugin", static_cast<nvinfer1::IPluginV3*>(nullptr), [&] {
            typename K::Fields fields{};
            parseFields(fc, K::kFields.data(), K::kFields.size(), &fields);
            return static_cast<nvinfer1::IPluginV3*>(new Plugin<K>(fields));
        });
    }

    nvinfer1::PluginFieldCollection const* getFieldNames() noexcept override
    {
        return &mFieldNames;
    }

    nvinfer1::AsciiChar const* getPluginName() const noexcept override
    {
        return K::kPluginName;
    }

    nvinfer1::AsciiChar const* getPluginVersion() const noexcept override
    {
        return K::kPluginVersion;
    }

    nvinfer1::AsciiChar const* getPluginNamespace() const noexcept override
    {
        return K::kPluginNamespace;
    }

private:
    std::array<nvinfer1::PluginField, K::kFields.size()> mFieldList{};
    nvinfer1::PluginFieldCollection mFieldNames{};
};

//! The one creator of `K` (what the library's getCreators lists).
template <typename K>
nvinfer1::IPluginCreatorInterface* creator()
{
    static Creator<K> instance;
    return &instance;
}

} // namespace plugingen
