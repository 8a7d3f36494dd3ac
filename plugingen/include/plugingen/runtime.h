// plugingen run-time support for generated TensorRT plugins (hand-written, shared by every generated kernel).
//
// - TensorRT declarations: the user's SDK (PLUGINGEN_USE_TRT_SDK) or plugingen's declaration-only ABI headers.
// - CUDA driver: resolved with dlopen/dlsym at first use, so the plugin library loads on machines without a driver.
// - Kernel modules: loaded once per CUDA context (and image), thread-safe; the image is chosen by the device's
//   compute capability (exact cubin, then a compatible cubin of the same major, then PTX for the driver to JIT).
// - Errors: thrown as plugingen::Error inside the library and turned into a TensorRT error status plus a log line at
//   the ABI boundary (guarded()); nothing here calls exit() or abort().
// - Logging: through the ILoggerFinder TensorRT hands to setLoggerFinder(); the logger's layout differs between
//   TensorRT 10 (and TensorRT-RTX <= 1.4) and TensorRT 11 (RTX >= 1.5), picked from getInferLibVersion().
#pragma once

#if defined(PLUGINGEN_USE_TRT_SDK)
#include <NvInferRuntime.h>
#else
#include "plugingen/trt_abi.h"
#endif
#include "plugingen/expr.h"

#include <dlfcn.h>

#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <mutex>
#include <stdexcept>
#include <string>
#include <type_traits>
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

// ------------------------------------------------------------------------------------------------- logging
enum class Severity : int32_t
{
    kINTERNAL_ERROR = 0,
    kERROR = 1,
    kWARNING = 2,
    kINFO = 3,
    kVERBOSE = 4
};

namespace detail
{
//! The finder TensorRT gave setLoggerFinder() and the logger layout of the library that owns it. A process may load
//! this library into more than one TensorRT build (each calls setLoggerFinder), so the layout goes with the finder.
struct LoggerFinder
{
    std::mutex mutex;
    void* finder{nullptr};
    int32_t is11{-1};
};

inline LoggerFinder& loggerFinder()
{
    static LoggerFinder state;
    return state;
}

//! True when the TensorRT library that owns `object` (by its vtable) uses the TensorRT 11 logger layout.
//! getInferLibVersion(): TensorRT 10.x = 100000..109999, 11.x = 110000.., TensorRT-RTX 1.x = 10000..19999
//! (RTX 1.5 moved to the 11 layout). Returns -1 when it cannot tell.
inline int32_t loggerLayoutIs11(void const* object)
{
    void const* vtable = *static_cast<void const* const*>(object);
    Dl_info info{};
    if (dladdr(vtable, &info) == 0 || info.dli_fname == nullptr)
    {
        return -1;
    }
    void* lib = dlopen(info.dli_fname, RTLD_NOW | RTLD_NOLOAD);
    if (lib == nullptr)
    {
        return -1;
    }
    using VersionFn = int32_t (*)();
    auto version = reinterpret_cast<VersionFn>(dlsym(lib, "getInferLibVersion"));
    int32_t const v = version != nullptr ? version() : -1;
    dlclose(lib);
    if (v < 0)
    {
        return -1;
    }
    return (v >= 110000 || (v >= 10500 && v < 100000)) ? 1 : 0;
}

//! Calls virtual slot `slot` of `object` as a member function with the given arguments (Itanium C++ ABI).
template <typename R, typename... Args>
R callSlot(void* object, int slot, Args... args)
{
    using Fn = R (*)(void*, Args...);
    Fn const* vtable = *reinterpret_cast<Fn const* const*>(object);
    return vtable[slot](object, args...);
}
} // namespace detail

inline void setLoggerFinder(void* finder) noexcept
{
    int32_t const is11 = finder != nullptr ? detail::loggerLayoutIs11(finder) : -1;
    detail::LoggerFinder& state = detail::loggerFinder();
    std::lock_guard<std::mutex> lock(state.mutex);
    state.finder = finder;
    state.is11 = is11;
}

//! Logs through TensorRT's logger when one is reachable; silently drops the message otherwise.
inline void log(Severity severity, std::string const& message) noexcept
{
    try
    {
        detail::LoggerFinder& state = detail::loggerFinder();
        void* finder = nullptr;
        int32_t is11 = -1;
        {
            std::lock_guard<std::mutex> lock(state.mutex);
            finder = state.finder;
            is11 = state.is11;
        }
        if (finder == nullptr || is11 < 0)
        {
            return;
        }
        int const slot = is11 ? 4 : 0; // findLogger and log share the slot number within each layout
        void* logger = detail::callSlot<void*>(finder, slot);
        if (logger != nullptr)
        {
            detail::callSlot<void>(logger, slot, static_cast<int32_t>(severity), message.c_str());
        }
    }
    catch (...)
    {
    }
}

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
        log(Severity::kERROR, std::string(plugin) + "::" + method + ": " + e.what());
    }
    catch (...)
    {
        log(Severity::kERROR, std::string(plugin) + "::" + method + ": unknown exception");
    }
    return onError;
}

[[noreturn]] inline void fail(std::string const& message)
{
    throw Error(message);
}

inline void check(bool condition, std::string const& message)
{
    if (!condition)
    {
        fail(message);
    }
}

// ------------------------------------------------------------------------------------------------- numbers
//! `value` as T, or an error naming `what` when it does not fit.
template <typename T>
T narrow(int64_t value, char const* what)
{
    if (value < static_cast<int64_t>(std::numeric_limits<T>::min())
        || value > static_cast<int64_t>(std::numeric_limits<T>::max()))
    {
        fail(std::string(what) + " = " + std::to_string(value) + " does not fit in " + std::to_string(sizeof(T) * 8)
            + "-bit integer");
    }
    return static_cast<T>(value);
}

//! IEEE half bits of `value`, round to nearest even.
inline uint16_t floatToHalf(float value)
{
    uint32_t x;
    std::memcpy(&x, &value, 4);
    uint32_t const sign = (x >> 16) & 0x8000u;
    uint32_t const absx = x & 0x7fffffffu;
    if (absx >= 0x7f800000u)
    {
        return static_cast<uint16_t>(sign | 0x7c00u | (absx > 0x7f800000u ? 0x200u : 0u));
    }
    if (absx >= 0x477ff000u) // rounds to >= 65520: overflow to infinity
    {
        return static_cast<uint16_t>(sign | 0x7c00u);
    }
    if (absx < 0x38800000u) // subnormal half (or zero)
    {
        float const scaled = std::fabs(value) * 16777216.0f; // 2^24: one half-subnormal ulp becomes 1.0
        return static_cast<uint16_t>(sign | static_cast<uint32_t>(std::nearbyint(scaled)));
    }
    uint32_t const mant = absx & 0x7fffffu;
    uint32_t half = ((absx >> 23) - 112u) << 10 | (mant >> 13);
    uint32_t const rest = mant & 0x1fffu;
    if (rest > 0x1000u || (rest == 0x1000u && (half & 1u)))
    {
        ++half;
    }
    return static_cast<uint16_t>(sign | half);
}

inline float halfToFloat(uint16_t h)
{
    uint32_t const sign = static_cast<uint32_t>(h & 0x8000u) << 16;
    uint32_t const exp = (h >> 10) & 0x1fu;
    uint32_t const mant = h & 0x3ffu;
    if (exp == 0)
    {
        float const v = std::ldexp(static_cast<float>(mant), -24);
        return sign ? -v : v;
    }
    uint32_t const bits = sign | (exp == 31 ? 0x7f800000u | (mant << 13) : ((exp + 112u) << 23) | (mant << 13));
    float out;
    std::memcpy(&out, &bits, 4);
    return out;
}

//! bfloat16 bits of `value`, round to nearest even (NaN stays NaN).
inline uint16_t floatToBf16(float value)
{
    uint32_t x;
    std::memcpy(&x, &value, 4);
    if ((x & 0x7fffffffu) > 0x7f800000u)
    {
        return static_cast<uint16_t>((x >> 16) | 0x40u);
    }
    x += 0x7fffu + ((x >> 16) & 1u);
    return static_cast<uint16_t>(x >> 16);
}

inline float bf16ToFloat(uint16_t b)
{
    uint32_t const bits = static_cast<uint32_t>(b) << 16;
    float out;
    std::memcpy(&out, &bits, 4);
    return out;
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

inline char const* fieldTypeName(nvinfer1::PluginFieldType type)
{
    using T = nvinfer1::PluginFieldType;
    switch (type)
    {
    case T::kFLOAT16: return "kFLOAT16";
    case T::kFLOAT32: return "kFLOAT32";
    case T::kFLOAT64: return "kFLOAT64";
    case T::kINT8: return "kINT8";
    case T::kINT16: return "kINT16";
    case T::kINT32: return "kINT32";
    case T::kCHAR: return "kCHAR";
    case T::kDIMS: return "kDIMS";
    case T::kUNKNOWN: return "kUNKNOWN";
    case T::kBF16: return "kBF16";
    case T::kINT64: return "kINT64";
    default: return "an unsupported type";
    }
}

//! The field's single value as a double (floats) or int64 (integers); the bool says which.
inline std::pair<bool, double> readNumber(nvinfer1::PluginField const& field, int64_t& asInt)
{
    using T = nvinfer1::PluginFieldType;
    bool const numeric = field.type == T::kFLOAT16 || field.type == T::kBF16 || field.type == T::kFLOAT32
        || field.type == T::kFLOAT64 || field.type == T::kINT8 || field.type == T::kINT16 || field.type == T::kINT32
        || field.type == T::kINT64;
    check(numeric, std::string("field '") + field.name + "' has type " + fieldTypeName(field.type) + ", not a number");
    check(field.data != nullptr, std::string("field '") + field.name + "' has no data");
    check(field.length == 1,
        std::string("field '") + field.name + "' must hold 1 value, got " + std::to_string(field.length));
    void const* d = field.data;
    auto load = [d](auto tag) {
        decltype(tag) v;
        std::memcpy(&v, d, sizeof v);
        return v;
    };
    switch (field.type)
    {
    case T::kFLOAT16: return {true, halfToFloat(load(uint16_t{}))};
    case T::kBF16: return {true, bf16ToFloat(load(uint16_t{}))};
    case T::kFLOAT32: return {true, load(float{})};
    case T::kFLOAT64: return {true, load(double{})};
    case T::kINT8: asInt = load(int8_t{}); return {false, 0.0};
    case T::kINT16: asInt = load(int16_t{}); return {false, 0.0};
    case T::kINT32: asInt = load(int32_t{}); return {false, 0.0};
    case T::kINT64: asInt = load(int64_t{}); return {false, 0.0};
    default: break;
    }
    fail("unreachable");
}

//! Reads a numeric field into the storage of a ParamArg of type `scalar`, converting where no value is lost
//! (ONNX delivers every float attribute as kFLOAT32 and every integer as kINT32).
template <typename T>
void readField(nvinfer1::PluginField const& field, Scalar scalar, T& out)
{
    int64_t asInt = 0;
    auto const [isFloat, asDouble] = readNumber(field, asInt);
    std::string const name = field.name;
    switch (scalar)
    {
    case Scalar::kFP16:
    case Scalar::kBF16:
    case Scalar::kFP32:
    case Scalar::kFP64:
    {
        double const v = isFloat ? asDouble : static_cast<double>(asInt);
        if constexpr (std::is_same_v<T, uint16_t>)
        {
            out = scalar == Scalar::kFP16 ? floatToHalf(static_cast<float>(v)) : floatToBf16(static_cast<float>(v));
        }
        else if constexpr (std::is_floating_point_v<T>)
        {
            out = static_cast<T>(v);
        }
        return;
    }
    default:
        check(!isFloat, "field '" + name + "' is an integer parameter but has type " + fieldTypeName(field.type));
        if constexpr (std::is_integral_v<T>)
        {
            out = narrow<T>(asInt, name.c_str());
        }
        return;
    }
}

//! Checks a creator's field collection: every expected field present once, nothing unknown.
//! Returns the field for each expected name, in `names` order.
inline std::vector<nvinfer1::PluginField const*> matchFields(
    nvinfer1::PluginFieldCollection const* fc, std::vector<char const*> const& names)
{
    std::vector<nvinfer1::PluginField const*> found(names.size(), nullptr);
    int32_t const count = fc == nullptr ? 0 : fc->nbFields;
    check(count >= 0 && (count == 0 || fc->fields != nullptr), "malformed PluginFieldCollection");
    for (int32_t i = 0; i < count; ++i)
    {
        nvinfer1::PluginField const& field = fc->fields[i];
        check(field.name != nullptr, "field " + std::to_string(i) + " has no name");
        size_t k = 0;
        while (k < names.size() && std::strcmp(names[k], field.name) != 0)
        {
            ++k;
        }
        check(k < names.size(), std::string("unknown field '") + field.name + "'");
        check(found[k] == nullptr, std::string("field '") + field.name + "' given twice");
        found[k] = &field;
    }
    for (size_t k = 0; k < names.size(); ++k)
    {
        check(found[k] != nullptr, std::string("missing field '") + names[k] + "'");
    }
    return found;
}

// ------------------------------------------------------------------------------------------------- shapes
inline void checkCount(int32_t got, int32_t expected, char const* what)
{
    check(got == expected,
        std::string("expected ") + std::to_string(expected) + " " + what + ", got " + std::to_string(got));
}

//! Checks the rank an input pattern of a rule asks for (`named` dims, plus any number more when `rest`).
inline void checkRank(int32_t rank, int32_t named, bool rest, char const* tensor, char const* rule)
{
    bool const ok = rest ? rank >= named : rank == named;
    check(ok,
        std::string("input '") + tensor + "' has rank " + std::to_string(rank) + " but rule '" + rule + "' needs "
            + (rest ? "at least " : "") + std::to_string(named));
}

inline void checkSameDim(int64_t a, int64_t b, char const* dim, char const* rule)
{
    check(a == b,
        std::string("dimension '") + dim + "' of rule '" + rule + "' differs between inputs: " + std::to_string(a)
            + " vs " + std::to_string(b));
}

// ------------------------------------------------------------------------------------------------- CUDA driver
namespace cu
{
using Result = int32_t;
using Device = int32_t;
using Context = struct CUctx_st*;
using Module = struct CUmod_st*;
using Function = struct CUfunc_st*;
using Stream = cudaStream_t;

constexpr Result kSUCCESS = 0;
constexpr int32_t kATTR_CC_MAJOR = 75;
constexpr int32_t kATTR_CC_MINOR = 76;
constexpr int32_t kATTR_SHARED_OPTIN = 97;
constexpr int32_t kFUNC_ATTR_MAX_DYNAMIC_SHARED = 8;

struct Driver
{
    Result (*init)(unsigned);
    Result (*getErrorName)(Result, char const**);
    Result (*getErrorString)(Result, char const**);
    Result (*ctxGetCurrent)(Context*);
    Result (*ctxPushCurrent)(Context);
    Result (*ctxPopCurrent)(Context*);
    Result (*ctxGetDevice)(Device*);
    Result (*ctxGetId)(Context, unsigned long long*); // CUDA >= 12.0; null on older drivers
    Result (*streamGetCtx)(Stream, Context*);
    Result (*deviceGetAttribute)(int32_t*, int32_t, Device);
    Result (*moduleLoadData)(Module*, void const*);
    Result (*moduleGetFunction)(Function*, Module, char const*);
    Result (*funcSetAttribute)(Function, int32_t, int32_t);
    Result (*launchKernel)(Function, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned, Stream,
        void**, void**);
};

//! The driver's entry points, loaded once; throws when libcuda.so.1 or a required symbol is missing.
inline Driver const& driver()
{
    static Driver const* loaded = nullptr;
    static std::string failure;
    static std::once_flag once;
    std::call_once(once, [] {
        void* lib = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
        if (lib == nullptr)
        {
            char const* why = dlerror();
            failure = std::string("cannot load the CUDA driver libcuda.so.1: ") + (why ? why : "unknown error");
            return;
        }
        static Driver d{};
        auto bind = [&](auto& fn, char const* symbol, bool required) {
            fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(dlsym(lib, symbol));
            if (fn == nullptr && required && failure.empty())
            {
                failure = std::string("the CUDA driver lacks ") + symbol;
            }
        };
        bind(d.init, "cuInit", true);
        bind(d.getErrorName, "cuGetErrorName", true);
        bind(d.getErrorString, "cuGetErrorString", true);
        bind(d.ctxGetCurrent, "cuCtxGetCurrent", true);
        bind(d.ctxPushCurrent, "cuCtxPushCurrent_v2", true);
        bind(d.ctxPopCurrent, "cuCtxPopCurrent_v2", true);
        bind(d.ctxGetDevice, "cuCtxGetDevice", true);
        bind(d.ctxGetId, "cuCtxGetId", false);
        bind(d.streamGetCtx, "cuStreamGetCtx", true);
        bind(d.deviceGetAttribute, "cuDeviceGetAttribute", true);
        bind(d.moduleLoadData, "cuModuleLoadData", true);
        bind(d.moduleGetFunction, "cuModuleGetFunction", true);
        bind(d.funcSetAttribute, "cuFuncSetAttribute", true);
        bind(d.launchKernel, "cuLaunchKernel", true);
        if (failure.empty())
        {
            Result const r = d.init(0);
            if (r != kSUCCESS)
            {
                char const* name = nullptr;
                d.getErrorName(r, &name);
                failure = std::string("cuInit failed: ") + (name ? name : std::to_string(r).c_str());
                return;
            }
            loaded = &d;
        }
    });
    if (loaded == nullptr)
    {
        fail(failure);
    }
    return *loaded;
}

//! Throws with the driver's name and text of `result` unless it is CUDA_SUCCESS.
inline void checkCu(Result result, char const* what)
{
    if (result == kSUCCESS)
    {
        return;
    }
    char const* name = nullptr;
    char const* text = nullptr;
    Driver const& d = driver();
    if (d.getErrorName(result, &name) != kSUCCESS)
    {
        name = nullptr;
    }
    if (d.getErrorString(result, &text) != kSUCCESS)
    {
        text = nullptr;
    }
    fail(std::string(what) + " failed: " + (name ? name : "CUDA error " + std::to_string(result))
        + (text ? std::string(" (") + text + ")" : std::string()));
}

//! Makes `ctx` current for its lifetime when it is not already.
class ScopedContext
{
public:
    explicit ScopedContext(Context ctx)
    {
        Driver const& d = driver();
        Context current = nullptr;
        checkCu(d.ctxGetCurrent(&current), "cuCtxGetCurrent");
        if (ctx != current)
        {
            checkCu(d.ctxPushCurrent(ctx), "cuCtxPushCurrent");
            mPushed = true;
        }
    }
    ~ScopedContext()
    {
        if (mPushed)
        {
            Context ignored = nullptr;
            driver().ctxPopCurrent(&ignored);
        }
    }
    ScopedContext(ScopedContext const&) = delete;
    ScopedContext& operator=(ScopedContext const&) = delete;

private:
    bool mPushed{false};
};
} // namespace cu

// ------------------------------------------------------------------------------------------------- kernels
//! One compiled image of one hint variant: a cubin for one SM, or PTX the driver JIT-compiles.
struct KernelImage
{
    int32_t variant;
    int32_t arch; // 90 = sm_90 (Triton compiles sm_90 as sm_90a)
    bool isPtx;
    unsigned char const* data;
    size_t size; // PTX includes its terminating NUL
    char const* entry;
    uint32_t sharedBytes;
    uint32_t threads;
    uint32_t scratchBytes; // Triton's global scratch per program; taken from the workspace
};

//! Can an image built for `arch` run on a device of compute capability `cc` (both as 10*major+minor)?
inline bool cubinRuns(int32_t arch, int32_t cc)
{
    if (arch >= 90)
    {
        return arch == cc; // sm_90a and newer arch-specific cubins run only on their own SM
    }
    return arch / 10 == cc / 10 && arch <= cc;
}

//! The images of one kernel and the modules loaded from them, per CUDA context.
class KernelSet
{
public:
    //! `variants[i]` describes hint variant i (for log lines).
    KernelSet(char const* kernelName, KernelImage const* images, size_t count, char const* const* variants)
        : mName(kernelName)
        , mImages(images)
        , mCount(count)
        , mVariants(variants)
    {
    }

    //! Launches variant `variant` on `stream`; `params` point at each kernel parameter's value.
    void launch(int32_t variant, uint32_t const grid[3], void** params, cudaStream_t stream, bool haveWorkspace)
    {
        cu::Driver const& d = cu::driver();
        cu::Context ctx = nullptr;
        if (stream != nullptr)
        {
            cu::checkCu(d.streamGetCtx(stream, &ctx), "cuStreamGetCtx");
        }
        else
        {
            cu::checkCu(d.ctxGetCurrent(&ctx), "cuCtxGetCurrent");
        }
        check(ctx != nullptr, "no CUDA context is current and the stream has none");
        cu::ScopedContext scope(ctx);
        Loaded const fn = function(ctx, variant);
        check(fn.image->scratchBytes == 0 || haveWorkspace,
            std::string(mName) + " needs " + std::to_string(fn.image->scratchBytes)
                + " bytes of workspace per program for Triton's global scratch, and enqueue got no workspace");
        cu::Result const launched = d.launchKernel(fn.function, grid[0], grid[1], grid[2], fn.image->threads, 1, 1,
            fn.image->sharedBytes, stream, params, nullptr);
        if (launched != cu::kSUCCESS) // the message is built only on failure: enqueue is a hot path
        {
            cu::checkCu(launched, (std::string("cuLaunchKernel(") + mName + ")").c_str());
        }
    }

private:
    struct Loaded
    {
        unsigned long long context;
        int32_t variant;
        KernelImage const* image;
        cu::Function function;
    };

    //! The loaded function of `variant` in `ctx` (current), loading its module on first use.
    Loaded function(cu::Context ctx, int32_t variant)
    {
        cu::Driver const& d = cu::driver();
        unsigned long long id = reinterpret_cast<uintptr_t>(ctx);
        if (d.ctxGetId != nullptr)
        {
            cu::checkCu(d.ctxGetId(ctx, &id), "cuCtxGetId");
        }
        std::lock_guard<std::mutex> lock(mMutex);
        for (Loaded const& l : mLoaded)
        {
            if (l.context == id && l.variant == variant)
            {
                return l;
            }
        }
        cu::Device device = 0;
        int32_t major = 0;
        int32_t minor = 0;
        cu::checkCu(d.ctxGetDevice(&device), "cuCtxGetDevice");
        cu::checkCu(d.deviceGetAttribute(&major, cu::kATTR_CC_MAJOR, device), "cuDeviceGetAttribute");
        cu::checkCu(d.deviceGetAttribute(&minor, cu::kATTR_CC_MINOR, device), "cuDeviceGetAttribute");
        KernelImage const* image = pick(variant, major * 10 + minor);
        cu::Module module = nullptr;
        cu::checkCu(d.moduleLoadData(&module, image->data),
            (std::string("cuModuleLoadData(") + mName + (image->isPtx ? " PTX" : " cubin") + " for sm_"
                + std::to_string(image->arch) + ")")
                .c_str());
        cu::Function function = nullptr;
        cu::checkCu(d.moduleGetFunction(&function, module, image->entry), "cuModuleGetFunction");
        if (image->sharedBytes > 48 * 1024)
        {
            int32_t optin = 0;
            cu::checkCu(d.deviceGetAttribute(&optin, cu::kATTR_SHARED_OPTIN, device), "cuDeviceGetAttribute");
            check(static_cast<int64_t>(image->sharedBytes) <= optin,
                std::string(mName) + " needs " + std::to_string(image->sharedBytes)
                    + " bytes of shared memory; this device allows " + std::to_string(optin));
            cu::checkCu(d.funcSetAttribute(function, cu::kFUNC_ATTR_MAX_DYNAMIC_SHARED,
                            static_cast<int32_t>(image->sharedBytes)),
                "cuFuncSetAttribute(MAX_DYNAMIC_SHARED_SIZE_BYTES)");
        }
        mLoaded.push_back(Loaded{id, variant, image, function});
        log(Severity::kINFO,
            std::string(mName) + ": loaded variant " + std::to_string(variant) + " (" + mVariants[variant] + ") from the "
                + (image->isPtx ? "PTX" : "cubin") + " for sm_" + std::to_string(image->arch) + " into CUDA context "
                + std::to_string(id));
        return mLoaded.back();
    }

    KernelImage const* pick(int32_t variant, int32_t cc) const
    {
        KernelImage const* best = nullptr;
        KernelImage const* ptx = nullptr;
        std::string built;
        for (size_t i = 0; i < mCount; ++i)
        {
            KernelImage const& image = mImages[i];
            if (image.variant != variant)
            {
                continue;
            }
            if (image.isPtx)
            {
                ptx = image.arch <= cc ? &image : ptx;
                continue;
            }
            built += (built.empty() ? "sm_" : ", sm_") + std::to_string(image.arch);
            if (cubinRuns(image.arch, cc) && (best == nullptr || image.arch > best->arch))
            {
                best = &image;
            }
        }
        if (best == nullptr)
        {
            best = ptx;
        }
        check(best != nullptr,
            std::string(mName) + " has no cubin for this GPU (sm_" + std::to_string(cc) + "); built for " + built
                + "; rebuild with --arch " + std::to_string(cc));
        return best;
    }

    char const* mName;
    KernelImage const* mImages;
    size_t mCount;
    char const* const* mVariants;
    std::mutex mMutex;
    std::vector<Loaded> mLoaded; // one entry per (context, variant); modules live as long as their context
};

//! Checks a computed grid and converts it to what cuLaunchKernel takes; false when it is empty (nothing to launch).
inline bool makeGrid(int64_t x, int64_t y, int64_t z, uint32_t grid[3])
{
    check(x >= 0 && y >= 0 && z >= 0,
        "negative grid (" + std::to_string(x) + ", " + std::to_string(y) + ", " + std::to_string(z) + ")");
    check(x <= 2147483647 && y <= 65535 && z <= 65535,
        "grid (" + std::to_string(x) + ", " + std::to_string(y) + ", " + std::to_string(z)
            + ") exceeds CUDA's limits (2^31-1, 65535, 65535)");
    grid[0] = static_cast<uint32_t>(x);
    grid[1] = static_cast<uint32_t>(y);
    grid[2] = static_cast<uint32_t>(z);
    return x != 0 && y != 0 && z != 0;
}

//! `pointer` rounded up to a multiple of `alignment` (null stays null).
inline uint64_t alignUp(uint64_t pointer, uint64_t alignment)
{
    return pointer == 0 ? 0 : (pointer + alignment - 1) / alignment * alignment;
}

//! The descriptors at the largest shapes of a build profile (what bounds a workspace).
inline std::vector<nvinfer1::PluginTensorDesc> largest(nvinfer1::DynamicPluginTensorDesc const* desc, int32_t count)
{
    std::vector<nvinfer1::PluginTensorDesc> out(static_cast<size_t>(count));
    for (int32_t i = 0; i < count; ++i)
    {
        out[i] = desc[i].desc;
        out[i].dims = desc[i].max;
        for (int32_t d = 0; d < out[i].dims.nbDims; ++d)
        {
            check(out[i].dims.d[d] >= 0, "tensor " + std::to_string(i) + " has no upper bound for dimension "
                    + std::to_string(d) + " in this profile");
        }
    }
    return out;
}

//! Workspace for `perProgram` bytes of global scratch per program of `grid`, plus room to align its start.
inline size_t scratchBytes(uint32_t const grid[3], size_t perProgram, uint64_t alignment)
{
    return static_cast<size_t>(grid[0]) * grid[1] * grid[2] * perProgram + alignment;
}

} // namespace plugingen
