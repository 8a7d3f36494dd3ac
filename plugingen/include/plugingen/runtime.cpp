// plugingen run-time support, the out-of-line half of runtime.h (hand-written; compiled once into every plugin
// library): logging, field parsing, failure messages, the CUDA driver, module loading, and the library's entry points.
#include "plugingen/runtime.h"

#include <dlfcn.h>

#include <cstdio>

#include <cmath>
#include <type_traits>
#include <utility>

namespace plugingen_gen
{
//! The library's creators, in getCreators order (generated: plugins.cpp).
nvinfer1::IPluginCreatorInterface* const* creators(int32_t& count);
} // namespace plugingen_gen

//! TensorRT calls this first; the finder outlives the library's use and gives the logger of the calling builder/runtime.
PLUGINGEN_EXPORT void setLoggerFinder(nvinfer1::ILoggerFinder* finder)
{
    plugingen::setLoggerFinder(finder);
}

//! The plugin creators of this library.
PLUGINGEN_EXPORT nvinfer1::IPluginCreatorInterface* const* getCreators(int32_t& nbCreators)
{
    return plugingen_gen::creators(nbCreators);
}

namespace plugingen
{

// ------------------------------------------------------------------------------------------------- logging
namespace
{
//! The finder TensorRT gave setLoggerFinder() and the logger layout of the library that owns it. A process may load
//! this library into more than one TensorRT build (each calls setLoggerFinder), so the layout goes with the finder.
struct LoggerFinder
{
    std::mutex mutex;
    void* finder{nullptr};
    int32_t is11{-1};
};

LoggerFinder& loggerFinder()
{
    static LoggerFinder state;
    return state;
}

//! True when the TensorRT library that owns `object` (by its vtable) uses the TensorRT 11 logger layout.
//! getInferLibVersion(): TensorRT 10.x = 100000..109999, 11.x = 110000.., TensorRT-RTX 1.x = 10000..19999
//! (RTX 1.5 moved to the 11 layout). Returns -1 when it cannot tell.
int32_t loggerLayoutIs11(void const* object)
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

//! Errors and warnings on stderr, after a one-time notice saying why (TensorRT's logger cannot be called safely).
void logToStderr(Severity severity, std::string const& message)
{
    if (severity > Severity::kWARNING)
    {
        return;
    }
    static std::once_flag notice;
    std::call_once(notice, [] {
        std::fprintf(stderr,
            "plugingen: cannot tell which TensorRT logger layout the loading library uses (no getInferLibVersion "
            "beside its logger); plugin errors and warnings go to stderr\n");
    });
    std::fprintf(stderr, "plugingen: %s: %s\n", severity == Severity::kWARNING ? "warning" : "error", message.c_str());
}

//! Calls virtual slot `slot` of `object` as a member function with the given arguments (Itanium C++ ABI).
template <typename R, typename... Args>
R callSlot(void* object, int slot, Args... args)
{
    using Fn = R (*)(void*, Args...);
    Fn const* vtable = *reinterpret_cast<Fn const* const*>(object);
    return vtable[slot](object, args...);
}
} // namespace

void setLoggerFinder(void* finder) noexcept
{
    int32_t const is11 = finder != nullptr ? loggerLayoutIs11(finder) : -1;
    LoggerFinder& state = loggerFinder();
    std::lock_guard<std::mutex> lock(state.mutex);
    state.finder = finder;
    state.is11 = is11;
}

namespace
{
//! Set while plugingenOp* runs a plugin call on this thread: warnings and errors logged meanwhile are kept here.
thread_local std::string* tCapture = nullptr;
} // namespace

void log(Severity severity, std::string const& message) noexcept
{
    try
    {
        if (tCapture != nullptr && severity <= Severity::kWARNING)
        {
            *tCapture += (tCapture->empty() ? "" : "; ") + message;
        }
        LoggerFinder& state = loggerFinder();
        void* finder = nullptr;
        int32_t is11 = -1;
        {
            std::lock_guard<std::mutex> lock(state.mutex);
            finder = state.finder;
            is11 = state.is11;
        }
        if (finder != nullptr && is11 < 0)
        {
            logToStderr(severity, message); // a finder whose logger layout is unknown: visible, not silent
            return;
        }
        if (finder == nullptr)
        {
            return;
        }
        int const slot = is11 ? 4 : 0; // findLogger and log share the slot number within each layout
        void* logger = callSlot<void*>(finder, slot);
        if (logger != nullptr)
        {
            callSlot<void>(logger, slot, static_cast<int32_t>(severity), message.c_str());
        }
    }
    catch (...)
    {
    }
}

void logFailure(char const* plugin, char const* method, char const* what) noexcept
{
    try
    {
        log(Severity::kERROR, std::string(plugin) + "::" + method + ": " + what);
    }
    catch (...)
    {
    }
}

void fail(std::string const& message)
{
    throw Error(message);
}

void refuse(std::string const& message)
{
    throw Refusal(message);
}

namespace
{
void check(bool condition, std::string const& message)
{
    if (!condition)
    {
        fail(message);
    }
}
} // namespace

// ------------------------------------------------------------------------------------------------- numbers
void failNarrow(int64_t value, char const* what, size_t bits)
{
    refuse(std::string(what) + " = " + std::to_string(value) + " does not fit in " + std::to_string(bits)
        + "-bit integer");
}

//! IEEE half bits of `value`, round to nearest even.
uint16_t floatToHalf(float value)
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

float halfToFloat(uint16_t h)
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
uint16_t floatToBf16(float value)
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

float bf16ToFloat(uint16_t b)
{
    uint32_t const bits = static_cast<uint32_t>(b) << 16;
    float out;
    std::memcpy(&out, &bits, 4);
    return out;
}

namespace
{
// ------------------------------------------------------------------------------------------------- fields
char const* fieldTypeName(nvinfer1::PluginFieldType type)
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
std::pair<bool, double> readNumber(nvinfer1::PluginField const& field, int64_t& asInt)
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

template <typename T>
void store(void* at, T value)
{
    std::memcpy(at, &value, sizeof value);
}

//! Reads a numeric field into the storage of a ParamArg of kind `scalar`, converting where no value is lost
//! (ONNX delivers every float attribute as kFLOAT32 and every integer as kINT32).
void readField(nvinfer1::PluginField const& field, Scalar scalar, void* at)
{
    int64_t asInt = 0;
    auto const [isFloat, asDouble] = readNumber(field, asInt);
    std::string const name = field.name;
    double const v = isFloat ? asDouble : static_cast<double>(asInt);
    auto const finite = [&](double stored, char const* type) {
        if (std::isfinite(v) && !std::isfinite(stored))
        {
            char shown[32];
            std::snprintf(shown, sizeof shown, "%.17g", v);
            refuse("field '" + name + "' = " + (isFloat ? shown : std::to_string(asInt)) + " is out of the range of its "
                + type + " parameter");
        }
    };
    float const single = std::isfinite(v) && std::fabs(v) > static_cast<double>(std::numeric_limits<float>::max())
        ? std::numeric_limits<float>::infinity()
        : static_cast<float>(v); // out of float's range the conversion is undefined
    switch (scalar)
    {
    case Scalar::kFP16: finite(halfToFloat(floatToHalf(single)), "fp16"); return store(at, floatToHalf(single));
    case Scalar::kBF16: finite(bf16ToFloat(floatToBf16(single)), "bf16"); return store(at, floatToBf16(single));
    case Scalar::kFP32: finite(single, "fp32"); return store(at, single);
    case Scalar::kFP64: return store(at, v);
    default: break;
    }
    check(!isFloat, "field '" + name + "' is an integer parameter but has type " + fieldTypeName(field.type));
    switch (scalar)
    {
    case Scalar::kI8: return store(at, narrow<int8_t>(asInt, name.c_str()));
    case Scalar::kI32: return store(at, narrow<int32_t>(asInt, name.c_str()));
    case Scalar::kI64: return store(at, asInt);
    default: fail("unknown scalar kind of field '" + name + "'");
    }
}
} // namespace

void parseFields(nvinfer1::PluginFieldCollection const* fc, FieldInfo const* info, size_t count, void* fields)
{
    std::vector<nvinfer1::PluginField const*> found(count, nullptr);
    int32_t const given = fc == nullptr ? 0 : fc->nbFields;
    check(given >= 0 && (given == 0 || fc->fields != nullptr), "malformed PluginFieldCollection");
    for (int32_t i = 0; i < given; ++i)
    {
        nvinfer1::PluginField const& field = fc->fields[i];
        check(field.name != nullptr, "field " + std::to_string(i) + " has no name");
        size_t k = 0;
        while (k < count && std::strcmp(info[k].name, field.name) != 0)
        {
            ++k;
        }
        check(k < count, std::string("unknown field '") + field.name + "'");
        check(found[k] == nullptr, std::string("field '") + field.name + "' given twice");
        found[k] = &field;
    }
    for (size_t k = 0; k < count; ++k)
    {
        check(found[k] != nullptr, std::string("missing field '") + info[k].name + "'");
    }
    for (size_t k = 0; k < count; ++k)
    {
        readField(*found[k], info[k].scalar, static_cast<char*>(fields) + info[k].offset);
    }
}

void serializeFields(FieldInfo const* info, size_t count, void* fields, nvinfer1::PluginField* out)
{
    for (size_t k = 0; k < count; ++k)
    {
        out[k] = nvinfer1::PluginField(info[k].name, static_cast<char*>(fields) + info[k].offset, info[k].type, 1);
    }
}

// ------------------------------------------------------------------------------------------------- shapes
void failCount(int32_t got, int32_t expected, char const* what)
{
    refuse(std::string("expected ") + std::to_string(expected) + " " + what + ", got " + std::to_string(got));
}

void failDim(int64_t size, int64_t literal, char const* tensor, int32_t position, char const* rule)
{
    refuse(std::string("dimension ") + std::to_string(position) + " of input '" + tensor + "' is "
        + std::to_string(size) + " but rule '" + rule + "' needs " + std::to_string(literal));
}

void failProfile(char const* constraint)
{
    refuse(std::string("constraint '") + constraint + "' holds for no shape of this optimization profile");
}

void failConstraint(char const* constraint, std::initializer_list<std::pair<char const*, int64_t>> values)
{
    std::string shown;
    for (auto const& [name, value] : values)
    {
        shown += (shown.empty() ? "" : ", ") + std::string(name) + " = " + std::to_string(value);
    }
    refuse(std::string("constraint '") + constraint + "' does not hold (" + shown + ")");
}

void failRank(int32_t rank, int32_t named, bool rest, char const* tensor, char const* rule)
{
    refuse(std::string("input '") + tensor + "' has rank " + std::to_string(rank) + " but rule '" + rule + "' needs "
        + (rest ? "at least " : "") + std::to_string(named));
}

void failSameDim(int64_t a, int64_t b, char const* dim, char const* rule)
{
    refuse(std::string("dimension '") + dim + "' of rule '" + rule + "' differs between inputs: " + std::to_string(a)
        + " vs " + std::to_string(b));
}

void failGrid(int64_t x, int64_t y, int64_t z)
{
    std::string const grid = "(" + std::to_string(x) + ", " + std::to_string(y) + ", " + std::to_string(z) + ")";
    if (x < 0 || y < 0 || z < 0)
    {
        refuse("negative grid " + grid);
    }
    refuse("grid " + grid + " exceeds CUDA's limits (2^31-1, 65535, 65535)");
}

bool anyElements(nvinfer1::PluginTensorDesc const* desc, int32_t count)
{
    for (int32_t i = 0; i < count; ++i)
    {
        nvinfer1::Dims const& dims = desc[i].dims;
        if (std::find(dims.d, dims.d + std::max(dims.nbDims, 0), int64_t{0}) == dims.d + std::max(dims.nbDims, 0))
        {
            return true; // no dim is 0
        }
    }
    return false;
}

void checkTensors(nvinfer1::PluginTensorDesc const* desc, int32_t count, char const* what)
{
    for (int32_t i = 0; i < count; ++i)
    {
        nvinfer1::Dims const& dims = desc[i].dims;
        std::string const tensor = std::string(what) + " " + std::to_string(i);
        if (dims.nbDims < 0 || dims.nbDims > nvinfer1::Dims::MAX_DIMS)
        {
            refuse(tensor + " has rank " + std::to_string(dims.nbDims) + " (0 to 8)");
        }
        int64_t bytes = static_cast<int64_t>(dataTypeSize(desc[i].type));
        bool overflow = false;
        for (int32_t d = 0; d < dims.nbDims; ++d)
        {
            if (dims.d[d] < 0)
            {
                refuse(tensor + " has dimension " + std::to_string(d) + " of " + std::to_string(dims.d[d])
                    + " (a tensor enqueue receives has every size known and non-negative)");
            }
            overflow = overflow || __builtin_mul_overflow(bytes, dims.d[d], &bytes);
        }
        if (overflow && anyElements(&desc[i], 1))
        {
            refuse(tensor + " has more bytes than int64 counts");
        }
    }
}

void failOutputShape(int32_t output, int32_t position, int64_t got, int64_t expected, char const* rule)
{
    std::string const what = position < 0 ? "rank" : "dimension " + std::to_string(position);
    refuse("output " + std::to_string(output) + " has " + what + " " + std::to_string(got) + " but rule '" + rule
        + "' gives " + std::to_string(expected));
}

bool fixedShapes(nvinfer1::DynamicPluginTensorDesc const* in, int32_t count, nvinfer1::PluginTensorDesc* fixed)
{
    for (int32_t i = 0; i < count; ++i)
    {
        nvinfer1::Dims const& min = in[i].min;
        nvinfer1::Dims const& max = in[i].max;
        if (min.nbDims != max.nbDims || min.nbDims < 0 || min.nbDims > nvinfer1::Dims::MAX_DIMS
            || !std::equal(min.d, min.d + min.nbDims, max.d))
        {
            return false;
        }
        fixed[i] = in[i].desc;
        fixed[i].dims = min;
    }
    return true;
}

Range dimRange(nvinfer1::DynamicPluginTensorDesc const& desc, int32_t position)
{
    int64_t const lo = desc.min.d[position];
    int64_t const hi = desc.max.d[position];
    check(hi >= 0, "an input has no upper bound for dimension " + std::to_string(position) + " in this profile");
    return {std::max<int64_t>(lo, 0), hi};
}

Range volumeRange(nvinfer1::DynamicPluginTensorDesc const& desc)
{
    Range count = Range::exactly(1);
    for (int32_t d = 0; d < desc.max.nbDims; ++d)
    {
        count = range::mul(count, dimRange(desc, d));
    }
    return count;
}

size_t scratchBytes(Range x, Range y, Range z, size_t perProgram, uint64_t alignment)
{
    __int128 bytes = perProgram;
    for (Range const& axis : {x, y, z})
    {
        bytes *= std::max<int64_t>(axis.hi, 0);
        check(bytes <= (__int128{1} << 62), "the workspace bound overflows");
    }
    return static_cast<size_t>(bytes) + alignment;
}

size_t dataTypeSize(nvinfer1::DataType type)
{
    using T = nvinfer1::DataType;
    switch (type)
    {
    case T::kFLOAT:
    case T::kINT32: return 4;
    case T::kHALF:
    case T::kBF16: return 2;
    case T::kINT64: return 8;
    default: return 1; // kINT8, kBOOL, kUINT8, kFP8, kE8M0 (the plugin declares no sub-byte type)
    }
}

char const* dataTypeName(nvinfer1::DataType type)
{
    using T = nvinfer1::DataType;
    switch (type)
    {
    case T::kFLOAT: return "kFLOAT";
    case T::kHALF: return "kHALF";
    case T::kINT8: return "kINT8";
    case T::kINT32: return "kINT32";
    case T::kBOOL: return "kBOOL";
    case T::kUINT8: return "kUINT8";
    case T::kFP8: return "kFP8";
    case T::kBF16: return "kBF16";
    case T::kINT64: return "kINT64";
    case T::kINT4: return "kINT4";
    case T::kFP4: return "kFP4";
    case T::kE8M0: return "kE8M0";
    }
    return "an unknown DataType";
}

namespace
{
//! The first signature whose first `count` types are typeAt(0), typeAt(1), ...; -1 when none is.
template <typename TypeAt>
int32_t firstSignature(Signatures const& signatures, int32_t count, TypeAt typeAt)
{
    int32_t const width = signatures.nbInputs + signatures.nbOutputs;
    for (int32_t s = 0; s < signatures.count; ++s)
    {
        int32_t i = 0;
        while (i < count && typeAt(i) == signatures.types[s * width + i])
        {
            ++i;
        }
        if (i == count)
        {
            return s;
        }
    }
    return -1;
}

//! The signature of these input types, or an error listing the plugin's signatures.
template <typename TypeAt>
int32_t inputSignature(Signatures const& signatures, TypeAt typeAt)
{
    int32_t const found = firstSignature(signatures, signatures.nbInputs, typeAt);
    if (found >= 0)
    {
        return found;
    }
    std::string message = "no signature of this plugin takes inputs of types (";
    for (int32_t i = 0; i < signatures.nbInputs; ++i)
    {
        message += std::string(i ? ", " : "") + dataTypeName(typeAt(i));
    }
    message += "); it takes";
    int32_t const width = signatures.nbInputs + signatures.nbOutputs;
    for (int32_t s = 0; s < signatures.count; ++s)
    {
        message += s ? " | (" : " (";
        for (int32_t i = 0; i < signatures.nbInputs; ++i)
        {
            message += std::string(i ? ", " : "") + dataTypeName(signatures.types[s * width + i]);
        }
        message += ")";
    }
    refuse(message);
}
} // namespace

bool supportsSignature(int32_t pos, nvinfer1::DynamicPluginTensorDesc const* inOut, int32_t nbInputs,
    int32_t nbOutputs, Signatures const& signatures)
{
    if (nbInputs != signatures.nbInputs || nbOutputs != signatures.nbOutputs || pos < 0 || pos >= nbInputs + nbOutputs
        || inOut[pos].desc.format != nvinfer1::TensorFormat::kLINEAR)
    {
        return false;
    }
    return firstSignature(signatures, pos + 1, [&](int32_t i) { return inOut[i].desc.type; }) >= 0;
}

int32_t signatureOf(nvinfer1::DataType const* inputTypes, Signatures const& signatures)
{
    return inputSignature(signatures, [&](int32_t i) { return inputTypes[i]; });
}

int32_t signatureOf(nvinfer1::PluginTensorDesc const* inputs, Signatures const& signatures)
{
    return inputSignature(signatures, [&](int32_t i) { return inputs[i].type; });
}

void checkOutputTypes(nvinfer1::PluginTensorDesc const* outputs, int32_t signature, Signatures const& signatures)
{
    nvinfer1::DataType const* row = signatures.types + signature * (signatures.nbInputs + signatures.nbOutputs);
    for (int32_t i = 0; i < signatures.nbOutputs; ++i)
    {
        if (outputs[i].type != row[signatures.nbInputs + i])
        {
            refuse("output " + std::to_string(i) + " has type " + dataTypeName(outputs[i].type) + " but these inputs' "
                + "signature gives it " + dataTypeName(row[signatures.nbInputs + i]));
        }
    }
}

// ------------------------------------------------------------------------------------------------- CUDA driver
namespace cu
{
using Device = int32_t;
using Stream = cudaStream_t;

constexpr Result kSUCCESS = 0;
constexpr int32_t kATTR_CC_MAJOR = 75;
constexpr int32_t kATTR_CC_MINOR = 76;
constexpr int32_t kATTR_SHARED_OPTIN = 97;
constexpr int32_t kATTR_MULTIPROCESSOR_COUNT = 16;
constexpr int32_t kFUNC_ATTR_MAX_DYNAMIC_SHARED = 8;
constexpr int32_t kFUNC_ATTR_NON_PORTABLE_CLUSTER_SIZE_ALLOWED = 14;

// cuLaunchKernelEx's arguments, laid out as cuda.h declares them (CUDA >= 12.0; checked by tests/test_abi.py)
constexpr int32_t kLAUNCH_ATTR_COOPERATIVE = 2;
constexpr int32_t kLAUNCH_ATTR_CLUSTER_DIMENSION = 4;
constexpr int32_t kLAUNCH_ATTR_CLUSTER_SCHEDULING_POLICY = 5;
constexpr int32_t kLAUNCH_ATTR_PROGRAMMATIC_STREAM_SERIALIZATION = 6;
constexpr int32_t kCLUSTER_SCHEDULING_SPREAD = 1;

// cuTensorMapEncodeTiled's (checked by tests/test_abi.py)
constexpr size_t kTENSOR_MAP_BYTES = 128;
constexpr size_t kTENSOR_MAP_ALIGN = 128; // at least alignof(CUtensorMap)
constexpr int32_t kTENSOR_MAP_INTERLEAVE_NONE = 0;
constexpr int32_t kTENSOR_MAP_L2_PROMOTION_L2_128B = 2;
constexpr int32_t kTENSOR_MAP_FLOAT_OOB_FILL_NONE = 0;

struct LaunchAttribute
{
    int32_t id;
    char pad[4];
    union
    {
        char bytes[64];
        int32_t flag; // cooperative, programmatic stream serialisation, cluster scheduling policy
        struct
        {
            uint32_t x, y, z;
        } clusterDim;
    } value;
};

struct LaunchConfig
{
    uint32_t gridDimX, gridDimY, gridDimZ, blockDimX, blockDimY, blockDimZ, sharedMemBytes;
    Stream hStream;
    LaunchAttribute* attrs;
    uint32_t numAttrs;
};

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
    Result (*moduleUnload)(Module);
    Result (*moduleGetFunction)(Function*, Module, char const*);
    Result (*funcSetAttribute)(Function, int32_t, int32_t);
    Result (*launchKernel)(Function, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned, Stream,
        void**, void**);
    Result (*memsetD8Async)(unsigned long long, unsigned char, size_t, Stream);
    Result (*memcpyDtoDAsync)(unsigned long long, unsigned long long, size_t, Stream);
    Result (*launchKernelEx)(LaunchConfig const*, Function, void**, void**); // CUDA >= 12.0; null on older drivers
    Result (*driverGetVersion)(int32_t*);
    // CUDA >= 12.0; null on older drivers: (map, data type, rank, address, dims, byte strides, box, element strides,
    // interleave, swizzle, L2 promotion, out-of-bounds fill)
    Result (*tensorMapEncodeTiled)(void*, int32_t, uint32_t, void*, uint64_t const*, uint64_t const*, uint32_t const*,
        uint32_t const*, int32_t, int32_t, int32_t, int32_t);
};

//! The driver's entry points, loaded once; throws when libcuda.so.1 or a required symbol is missing.
Driver const& driver()
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
        bind(d.moduleUnload, "cuModuleUnload", true);
        bind(d.moduleGetFunction, "cuModuleGetFunction", true);
        bind(d.funcSetAttribute, "cuFuncSetAttribute", true);
        bind(d.launchKernel, "cuLaunchKernel", true);
        bind(d.memsetD8Async, "cuMemsetD8Async", true);
        bind(d.memcpyDtoDAsync, "cuMemcpyDtoDAsync_v2", true);
        bind(d.launchKernelEx, "cuLaunchKernelEx", false);
        bind(d.driverGetVersion, "cuDriverGetVersion", true);
        bind(d.tensorMapEncodeTiled, "cuTensorMapEncodeTiled", false);
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
void checkCu(Result result, char const* what)
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
//! What image choice needs to know of the current context's device.
struct DeviceFacts
{
    int32_t cc; // 10 * major + minor
    int32_t sharedOptin; // opt-in shared memory per block, bytes
};

DeviceFacts currentDevice()
{
    Driver const& d = driver();
    Device device = 0;
    int32_t major = 0;
    int32_t minor = 0;
    int32_t optin = 0;
    checkCu(d.ctxGetDevice(&device), "cuCtxGetDevice");
    checkCu(d.deviceGetAttribute(&major, kATTR_CC_MAJOR, device), "cuDeviceGetAttribute");
    checkCu(d.deviceGetAttribute(&minor, kATTR_CC_MINOR, device), "cuDeviceGetAttribute");
    checkCu(d.deviceGetAttribute(&optin, kATTR_SHARED_OPTIN, device), "cuDeviceGetAttribute");
    return {major * 10 + minor, optin};
}
} // namespace cu

void zeroBytes(void* pointer, size_t bytes, cudaStream_t stream)
{
    if (bytes != 0)
    {
        cu::checkCu(cu::driver().memsetD8Async(reinterpret_cast<uintptr_t>(pointer), 0, bytes, stream),
            "cuMemsetD8Async");
    }
}

void copyBytes(void* to, void const* from, size_t bytes, cudaStream_t stream)
{
    if (bytes != 0 && to != from)
    {
        cu::checkCu(cu::driver().memcpyDtoDAsync(reinterpret_cast<uintptr_t>(to), reinterpret_cast<uintptr_t>(from),
                        bytes, stream),
            "cuMemcpyDtoDAsync");
    }
}

void failUnplanned(Unplanned const& why)
{
    if (why.heuristic == nullptr)
    {
        fail("no image was compiled for these heuristic values with config " + std::to_string(why.tactic + 1)
            + ": plugingen's plan found no launch the config allows that selects them");
    }
    std::string values;
    for (int32_t i = 0; i < why.count; ++i)
    {
        values += (i == 0 ? "" : ", ") + std::to_string(why.domain[i]);
    }
    fail(std::string("heuristic ") + why.heuristic + " = " + std::to_string(why.value)
        + " has no compiled image (compiled for " + values + "); add the value to the config's domains, or a "
          "constraint that refuses such shapes");
}

int32_t currentCc()
{
    cu::Context ctx = nullptr;
    try
    {
        if (cu::driver().ctxGetCurrent(&ctx) != cu::kSUCCESS || ctx == nullptr)
        {
            return -1;
        }
    }
    catch (Error const&) // no driver: no device either
    {
        return -1;
    }
    thread_local cu::Context lastContext = nullptr;
    thread_local int32_t lastCc = -1;
    if (ctx != lastContext) // the device of a context never changes: ask the driver once per context and thread
    {
        lastCc = cu::currentDevice().cc;
        lastContext = ctx;
    }
    return lastCc;
}

void logTactics(char const* plugin, char const* what, int32_t value, int32_t const* values, int32_t count) noexcept
{
    try
    {
        std::string line = std::string(plugin) + " " + what + std::to_string(value);
        for (int32_t i = 0; i < count; ++i)
        {
            line += (i == 0 ? "): " : ", ") + std::to_string(values[i]);
        }
        log(Severity::kVERBOSE, line);
    }
    catch (...)
    {
    }
}

void failTactic(int32_t tactic, int32_t count)
{
    fail("tactic " + std::to_string(tactic) + " is not one of this plugin's (0 = default, 1.."
        + std::to_string(count) + ")");
}

// ------------------------------------------------------------------------------------------------- num_sms
int64_t smCount()
{
    cu::Driver const& d = cu::driver();
    cu::Context ctx = nullptr;
    cu::checkCu(d.ctxGetCurrent(&ctx), "cuCtxGetCurrent");
    check(ctx != nullptr, "num_sms: no CUDA context is current");
    cu::Device device = 0;
    cu::checkCu(d.ctxGetDevice(&device), "cuCtxGetDevice");
    int32_t count = 0;
    cu::checkCu(d.deviceGetAttribute(&count, cu::kATTR_MULTIPROCESSOR_COUNT, device), "cuDeviceGetAttribute");
    if (count < 1 || count > kMaxSmCount)
    {
        fail("num_sms: the device reports " + std::to_string(count) + " SMs (plugingen bounds workspaces for 1 to "
            + std::to_string(kMaxSmCount) + ")");
    }
    return count;
}

// ------------------------------------------------------------------------------------------------- descriptors
TensorDescriptor tensorDescriptor(
    char const* name, void const* address, nvinfer1::PluginTensorDesc const& desc, int32_t rank)
{
    auto const failWith = [&](std::string const& why) {
        fail(std::string("tensor descriptor '") + name + "': " + why);
    };
    int32_t const dims = desc.dims.nbDims;
    if (rank < 1 || rank > 5 || dims < rank)
    {
        failWith("the tensor has " + std::to_string(dims) + " dims, fewer than the descriptor's " + std::to_string(rank));
    }
    TensorDescriptor t{};
    t.base = reinterpret_cast<uintptr_t>(address);
    t.rank = rank;
    t.elemSize = static_cast<int32_t>(dataTypeSize(desc.type));
    t.shape[0] = 1;
    for (int32_t d = 0; d <= dims - rank; ++d)
    {
        t.shape[0] *= desc.dims.d[d];
    }
    for (int32_t i = 1; i < rank; ++i)
    {
        t.shape[i] = desc.dims.d[dims - rank + i];
    }
    t.strides[rank - 1] = 1;
    for (int32_t i = rank - 2; i >= 0; --i)
    {
        t.strides[i] = t.strides[i + 1] * t.shape[i + 1];
    }
    for (int32_t i = 0; i < rank; ++i)
    {
        if (t.shape[i] < 1 || t.shape[i] > std::numeric_limits<int32_t>::max())
        {
            failWith("dim " + std::to_string(i) + " of its shape is " + std::to_string(t.shape[i])
                + " (a descriptor's dims are 1 to 2147483647)");
        }
    }
    if (t.base % 16 != 0)
    {
        failWith("the tensor's address " + std::to_string(t.base) + " is not 16-byte aligned");
    }
    for (int32_t i = 0; i + 1 < rank; ++i)
    {
        if (t.strides[i] * t.elemSize % 16 != 0)
        {
            failWith("rows of " + std::to_string(t.strides[i]) + " elements of " + std::to_string(t.elemSize)
                + " bytes are not a multiple of 16 bytes (TMA's stride rule): pad the last dim");
        }
    }
    return t;
}

namespace
{
constexpr int32_t kMaxLaunchParams = 256;
constexpr int32_t kMaxDescriptors = 16;

struct alignas(cu::kTENSOR_MAP_ALIGN) TensorMap
{
    unsigned char bytes[cu::kTENSOR_MAP_BYTES];
};

//! A launch's parameters with every host tensor descriptor expanded as the image's layouts say (on the stack:
//! enqueue allocates nothing).
struct ExpandedParams
{
    void* params[kMaxLaunchParams];
    int32_t count{0};
    TensorMap maps[kMaxDescriptors];
    int32_t shape32[kMaxDescriptors][5];
    unsigned char zeroFlag{0}; // padding "zero", no tf32 rounding: the options plugins give descriptors

    void push(void* param, char const* kernel)
    {
        if (count == kMaxLaunchParams)
        {
            fail(std::string(kernel) + " takes more than " + std::to_string(kMaxLaunchParams) + " parameters");
        }
        params[count++] = param;
    }
};

//! The CUtensorMap of `t` Triton's launcher would encode for `layout` (tiled, no interleave, L2 promotion 128B).
void encodeTensorMap(TensorMap& map, DescriptorLayout const& layout, TensorDescriptor const& t, char const* kernel)
{
    cu::Driver const& d = cu::driver();
    if (d.tensorMapEncodeTiled == nullptr)
    {
        fail(std::string(kernel) + " takes TMA descriptors, which need cuTensorMapEncodeTiled (CUDA 12.0 or newer)");
    }
    int32_t const rank = layout.rank;
    uint64_t dims[5]{};
    uint64_t strides[5]{};
    uint32_t box[5]{};
    uint32_t const elementStrides[5]{1, 1, 1, 1, 1};
    for (int32_t i = 0; i < rank; ++i) // the driver counts dims innermost first
    {
        dims[rank - 1 - i] = static_cast<uint64_t>(t.shape[i]);
        box[rank - 1 - i] = layout.box[i];
    }
    for (int32_t i = 0; i + 1 < rank; ++i)
    {
        strides[rank - 2 - i] = static_cast<uint64_t>(t.strides[i] * t.elemSize);
    }
    cu::Result const r = d.tensorMapEncodeTiled(&map, layout.elemType, static_cast<uint32_t>(rank),
        reinterpret_cast<void*>(t.base), dims, strides, box, elementStrides, cu::kTENSOR_MAP_INTERLEAVE_NONE,
        layout.swizzle, cu::kTENSOR_MAP_L2_PROMOTION_L2_128B, cu::kTENSOR_MAP_FLOAT_OOB_FILL_NONE);
    if (r != cu::kSUCCESS)
    {
        std::string shape;
        for (int32_t i = 0; i < rank; ++i)
        {
            shape += (i ? ", " : "") + std::to_string(t.shape[i]) + "/" + std::to_string(layout.box[i]);
        }
        cu::checkCu(r, (std::string("cuTensorMapEncodeTiled(") + kernel + ", dims/box [" + shape + "])").c_str());
    }
    // as Triton's launcher (after CUTLASS): drivers up to 13.1 need bit 21 of the second word cleared for a tensor
    // smaller than 128 KiB
    int32_t version = 0;
    if (d.driverGetVersion(&version) == cu::kSUCCESS && version <= 13010)
    {
        uint64_t lastByte = 0;
        for (int32_t i = 0; i < rank; ++i)
        {
            lastByte += static_cast<uint64_t>(t.shape[i] - 1) * static_cast<uint64_t>(t.strides[i] * t.elemSize);
        }
        if (lastByte + 1 < 128 * 1024)
        {
            uint64_t word;
            std::memcpy(&word, map.bytes + 8, sizeof(word));
            word &= ~(uint64_t{1} << 21);
            std::memcpy(map.bytes + 8, &word, sizeof(word));
        }
    }
}

//! `params` with each host tensor descriptor of `image` expanded into what its compiled entry takes.
void expandDescriptors(ExpandedParams& out, KernelImage const& image, void** params, int32_t nbParams, char const* kernel)
{
    if (image.nbDescriptors > kMaxDescriptors)
    {
        fail(std::string(kernel) + " takes more than " + std::to_string(kMaxDescriptors) + " tensor descriptors");
    }
    int32_t next = 0;
    for (int32_t p = 0; p < nbParams; ++p)
    {
        if (next == image.nbDescriptors || image.descriptors[next].param != p)
        {
            out.push(params[p], kernel);
            continue;
        }
        DescriptorLayout const& layout = image.descriptors[next];
        auto* t = static_cast<TensorDescriptor*>(params[p]);
        check(t->rank == layout.rank, "a tensor descriptor's rank differs from the compiled kernel's");
        if (layout.tma)
        {
            encodeTensorMap(out.maps[next], layout, *t, kernel);
            out.push(&out.maps[next], kernel);
        }
        else
        {
            out.push(&t->base, kernel);
            for (int32_t i = 0; i < t->rank; ++i)
            {
                out.push(&t->shape[i], kernel);
            }
            for (int32_t i = 0; i < t->rank; ++i)
            {
                out.push(&t->strides[i], kernel);
            }
            for (int32_t f = 0; f < layout.flags; ++f)
            {
                out.push(&out.zeroFlag, kernel);
            }
        }
        for (int32_t i = 0; i < t->rank; ++i)
        {
            out.shape32[next][i] = static_cast<int32_t>(t->shape[i]);
            out.push(&out.shape32[next][i], kernel);
        }
        for (int32_t i = 0; i < t->rank; ++i)
        {
            out.push(&t->strides[i], kernel);
        }
        ++next;
    }
}
} // namespace

// ------------------------------------------------------------------------------------------------- kernels
namespace
{
//! The last launch of this thread (plugingenLastLaunch: which compiled variant ran, for tests and tools).
thread_local struct
{
    char const* kernel{nullptr};
    int32_t variant{-1};
    char const* description{nullptr};
} gLastLaunch;
} // namespace

//! Diagnostics, not part of TensorRT's interface: the kernel, compiled variant (index into its image table's
//! variants) and that variant's description of the last launch this thread made; false before any.
PLUGINGEN_EXPORT bool plugingenLastLaunch(char const** kernel, int32_t* variant, char const** description)
{
    if (gLastLaunch.kernel == nullptr)
    {
        return false;
    }
    *kernel = gLastLaunch.kernel;
    *variant = gLastLaunch.variant;
    *description = gLastLaunch.description;
    return true;
}

bool KernelSet::launchIfFits(int32_t variant, uint32_t const grid[3], void** params, int32_t nbParams,
    cudaStream_t stream, uint64_t globalScratch, bool mustFit)
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
    if (fn.image == nullptr)
    {
        if (!mustFit)
        {
            return false;
        }
        fail(noImageMessage(mName, mImages, mCount, variant, cu::currentDevice().cc));
    }
    if (fn.image->scratchBytes != 0 && globalScratch == 0)
    {
        fail(std::string(mName) + " needs " + std::to_string(fn.image->scratchBytes)
            + " bytes of workspace per program for Triton's global scratch, and enqueue got no workspace");
    }
    KernelImage const& image = *fn.image;
    ExpandedParams expanded;
    if (image.nbDescriptors != 0)
    {
        expandDescriptors(expanded, image, params, nbParams, mName);
        params = expanded.params;
    }
    cu::Result const launched = image.needsLaunchEx()
        ? launchEx(image, fn.function, grid, params, stream)
        : d.launchKernel(fn.function, grid[0], grid[1], grid[2], image.threads, 1, 1, image.sharedBytes, stream, params,
            nullptr);
    if (launched != cu::kSUCCESS) // the message is built only on failure: enqueue is a hot path
    {
        cu::checkCu(launched,
            (std::string(image.needsLaunchEx() ? "cuLaunchKernelEx(" : "cuLaunchKernel(") + mName + ")").c_str());
    }
    gLastLaunch.kernel = mName;
    gLastLaunch.variant = variant;
    gLastLaunch.description = mVariants[variant];
    return true;
}

namespace
{
//! `grid` times `cluster` per axis in `launched`, or a refusal where that passes CUDA's limits (computed in 64-bit).
void clusterGrid(uint32_t const grid[3], uint32_t const cluster[3], uint32_t launched[3])
{
    uint64_t const wide[3]{uint64_t{grid[0]} * cluster[0], uint64_t{grid[1]} * cluster[1],
        uint64_t{grid[2]} * cluster[2]};
    if (wide[0] > 2147483647 || wide[1] > 65535 || wide[2] > 65535)
    {
        refuse("grid (" + std::to_string(grid[0]) + ", " + std::to_string(grid[1]) + ", " + std::to_string(grid[2])
            + ") times the cluster (" + std::to_string(cluster[0]) + ", " + std::to_string(cluster[1]) + ", "
            + std::to_string(cluster[2]) + ") launches (" + std::to_string(wide[0]) + ", " + std::to_string(wide[1])
            + ", " + std::to_string(wide[2]) + ") CTAs, beyond CUDA's limits (2^31-1, 65535, 65535)");
    }
    for (int32_t axis = 0; axis < 3; ++axis)
    {
        launched[axis] = static_cast<uint32_t>(wide[axis]);
    }
}
} // namespace

void KernelSet::checkClusterGrid(int32_t variant, uint32_t const grid[3]) const
{
    for (size_t i = 0; i < mCount; ++i)
    {
        if (mImages[i].variant == variant) // every image of a variant has its tactic's cluster
        {
            uint32_t launched[3];
            clusterGrid(grid, mImages[i].cluster, launched);
            return;
        }
    }
}

//! A launch with what Triton's own launcher gives such a kernel: the grid times the cluster, the cluster dimension
//! spread over SMs, programmatic stream serialisation, a cooperative grid.
cu::Result KernelSet::launchEx(
    KernelImage const& image, cu::Function function, uint32_t const grid[3], void** params, cudaStream_t stream) const
{
    cu::Driver const& d = cu::driver();
    if (d.launchKernelEx == nullptr)
    {
        fail(std::string(mName) + " needs cuLaunchKernelEx (clusters, PDL or a cooperative grid), which this CUDA "
            "driver lacks (CUDA 12.0 or newer has it)");
    }
    cu::LaunchAttribute attrs[4]{};
    uint32_t count = 0;
    auto const flag = [&](int32_t id, int32_t value) {
        attrs[count].id = id;
        attrs[count].value.flag = value;
        ++count;
    };
    if (image.pdl)
    {
        flag(cu::kLAUNCH_ATTR_PROGRAMMATIC_STREAM_SERIALIZATION, 1);
    }
    if (image.cooperative)
    {
        flag(cu::kLAUNCH_ATTR_COOPERATIVE, 1);
    }
    if (image.cluster[0] * image.cluster[1] * image.cluster[2] != 1)
    {
        attrs[count].id = cu::kLAUNCH_ATTR_CLUSTER_DIMENSION;
        attrs[count].value.clusterDim = {image.cluster[0], image.cluster[1], image.cluster[2]};
        ++count;
        flag(cu::kLAUNCH_ATTR_CLUSTER_SCHEDULING_POLICY, cu::kCLUSTER_SCHEDULING_SPREAD);
    }
    uint32_t launched[3];
    clusterGrid(grid, image.cluster, launched);
    cu::LaunchConfig const config{launched[0], launched[1], launched[2], image.threads, 1, 1, image.sharedBytes, stream,
        attrs, count};
    return d.launchKernelEx(&config, function, params, nullptr);
}

int32_t KernelSet::viableTactics(int32_t const* tacticOf, int32_t nbTactics, int32_t* out) const
{
    cu::DeviceFacts device{-1, 0};
    try
    {
        cu::Context ctx = nullptr;
        if (cu::driver().ctxGetCurrent(&ctx) == cu::kSUCCESS && ctx != nullptr)
        {
            device = cu::currentDevice();
        }
    }
    catch (Error const&)
    {
        device.cc = -1; // no driver, or no device to ask: a build without a GPU offers every tactic
    }
    std::vector<bool> fits(static_cast<size_t>(nbTactics), true);
    if (device.cc > 0)
    {
        for (size_t i = 0; i < mCount; ++i)
        {
            int32_t const variant = mImages[i].variant;
            if (fits[tacticOf[variant]] && &mImages[i] == pickImage(mImages, mCount, variant, device.cc)
                && static_cast<int64_t>(mImages[i].sharedBytes) > device.sharedOptin)
            {
                fits[tacticOf[variant]] = false;
            }
        }
    }
    int32_t count = 0;
    for (int32_t t = 0; t < nbTactics; ++t)
    {
        if (fits[t])
        {
            if (out != nullptr)
            {
                out[count] = t + 1;
            }
            ++count;
        }
    }
    return count;
}

KernelSet::~KernelSet()
{
    if (mLoaded.empty())
    {
        return; // the driver may never have been loaded
    }
    cu::Driver const& d = cu::driver(); // loaded: it loaded the modules
    for (Loaded const& l : mLoaded)
    {
        // only while the module's context lives (its handle still names the context of that id): a destroyed
        // context took its modules with it, and so does a driver shut down at process exit. A driver without
        // cuCtxGetId (CUDA < 12) cannot tell: its modules stay loaded, as they did before.
        unsigned long long id = 0;
        if (l.module != nullptr && d.ctxGetId != nullptr && d.ctxGetId(l.handle, &id) == cu::kSUCCESS
            && id == l.context)
        {
            static_cast<void>(d.moduleUnload(l.module)); // nothing to do about a failure while unloading
        }
    }
}

//! The loaded function of `variant` in `ctx` (current), loading its module on first use.
KernelSet::Loaded KernelSet::function(cu::Context ctx, int32_t variant)
{
    cu::Driver const& d = cu::driver();
    unsigned long long id = reinterpret_cast<uintptr_t>(ctx);
    if (d.ctxGetId != nullptr)
    {
        cu::checkCu(d.ctxGetId(ctx, &id), "cuCtxGetId");
    }
    bool const known = variant >= 0 && static_cast<size_t>(variant) < mNbVariants;
    if (!known)
    {
        fail(std::string(mName) + ": no compiled variant " + std::to_string(variant));
    }
    Loaded const* last = mLast[variant].load(std::memory_order_acquire);
    if (last != nullptr && last->context == id) // the common case: the same context as the variant's last launch
    {
        return *last;
    }
    auto const find = [&](Loaded* found) {
        std::lock_guard<std::mutex> lock(mMutex); // held only to look up or insert, never while loading
        for (Loaded const& l : mLoaded)
        {
            if (l.context == id && l.variant == variant)
            {
                mLast[variant].store(&l, std::memory_order_release); // `variant` is known: it has an image
                *found = l;
                return true;
            }
        }
        return false;
    };
    Loaded found{};
    if (find(&found))
    {
        return found;
    }
    // Loading serialises on its own mutex: launches of images already loaded (other variants, other contexts) go
    // on meanwhile; a thread that waited here finds what the first one loaded.
    std::lock_guard<std::mutex> loading(mLoadMutex);
    if (find(&found))
    {
        return found;
    }
    cu::DeviceFacts const device = cu::currentDevice();
    KernelImage const* image = pickImage(mImages, mCount, variant, device.cc);
    if (image == nullptr) // remembered too: the next launch of the variant in this context knows at once
    {
        Loaded const none{id, variant, nullptr, nullptr, nullptr, ctx};
        std::lock_guard<std::mutex> lock(mMutex);
        mLoaded.push_back(none);
        mLast[variant].store(&mLoaded.back(), std::memory_order_release);
        return none;
    }
    cu::Module module = nullptr;
    cu::checkCu(d.moduleLoadData(&module, image->data),
        (std::string("cuModuleLoadData(") + mName + (image->isPtx ? " PTX" : " cubin") + " for sm_"
            + std::to_string(image->arch) + ")")
            .c_str());
    // unloaded if what follows fails, until it is recorded below
    std::unique_ptr<std::remove_pointer_t<cu::Module>, cu::Result (*)(cu::Module)> owned(module, d.moduleUnload);
    cu::Function function = nullptr;
    cu::checkCu(d.moduleGetFunction(&function, module, image->entry), "cuModuleGetFunction");
    if (image->cluster[0] * image->cluster[1] * image->cluster[2] > 8) // CUDA's portable limit; Triton allows 16
    {
        cu::checkCu(d.funcSetAttribute(function, cu::kFUNC_ATTR_NON_PORTABLE_CLUSTER_SIZE_ALLOWED, 1),
            "cuFuncSetAttribute(NON_PORTABLE_CLUSTER_SIZE_ALLOWED)");
    }
    if (image->sharedBytes > 48 * 1024)
    {
        check(static_cast<int64_t>(image->sharedBytes) <= device.sharedOptin,
            std::string(mName) + " needs " + std::to_string(image->sharedBytes)
                + " bytes of shared memory; this device allows " + std::to_string(device.sharedOptin));
        cu::checkCu(d.funcSetAttribute(
                        function, cu::kFUNC_ATTR_MAX_DYNAMIC_SHARED, static_cast<int32_t>(image->sharedBytes)),
            "cuFuncSetAttribute(MAX_DYNAMIC_SHARED_SIZE_BYTES)");
    }
    Loaded const loaded{id, variant, image, function, module, ctx};
    {
        std::lock_guard<std::mutex> lock(mMutex);
        mLoaded.push_back(loaded);
        owned.release();
        mLast[variant].store(&mLoaded.back(), std::memory_order_release);
    }
    log(Severity::kINFO,
        std::string(mName) + ": loaded variant " + std::to_string(variant) + " (" + mVariants[variant] + ") from the "
            + (image->isPtx ? "PTX" : "cubin") + " for sm_" + std::to_string(image->arch) + " into CUDA context "
            + std::to_string(id));
    return loaded;
}

std::string noImageMessage(
    char const* kernelName, KernelImage const* images, size_t count, int32_t variant, int32_t cc)
{
    std::string built;
    for (size_t i = 0; i < count; ++i)
    {
        KernelImage const& image = images[i];
        if (image.variant == variant)
        {
            built += std::string(built.empty() ? "" : ", ") + (image.isPtx ? "PTX for sm_" : "sm_")
                + std::to_string(image.arch) + (image.archSpecific ? "a" : "") + (image.isPtx ? " and newer" : "");
        }
    }
    return std::string(kernelName) + " has no image this GPU (sm_" + std::to_string(cc) + ") can run: built for "
        + built + " (an sm_90a or newer cubin runs only on its own SM); rebuild with --arch " + std::to_string(cc);
}

} // namespace plugingen

// ------------------------------------------------------------------------------------------------- PyTorch
// plugingen.torch's way in (not part of TensorRT's interface): a plugin made once from fields, prepared once per set
// of input/output shapes and types (configurePlugin with min = opt = max, getWorkspaceSize, onShapeChange), then
// enqueued as TensorRT's runtime would. Tensors are given as TensorRT types, ranks and dims (8 per tensor), inputs
// then outputs. Each call returns 0 (or a handle) on success; on failure nonzero (or null), and plugingenOpError()
// gives what the plugin logged.
namespace plugingen
{
namespace
{
thread_local std::string tOpError;

//! Runs `body` with the plugin's warnings and errors captured into tOpError; false (the call failed) when it
//! returns a nonzero status or throws.
template <typename F>
bool capture(char const* what, F&& body) noexcept
{
    tOpError.clear();
    tCapture = &tOpError;
    bool ok = false;
    try
    {
        ok = body() == 0;
    }
    catch (std::exception const& e)
    {
        tOpError += (tOpError.empty() ? "" : "; ") + std::string(e.what());
    }
    catch (...)
    {
        tOpError += "unknown exception";
    }
    tCapture = nullptr;
    if (!ok && tOpError.empty())
    {
        tOpError = std::string(what) + " failed";
    }
    return ok;
}

struct TorchOp
{
    std::unique_ptr<nvinfer1::IPluginV3> plugin;
    nvinfer1::IPluginV3OneBuild* build;
    nvinfer1::IPluginV3OneRuntime* runtime;
};

constexpr int32_t kMaxOpTensors = 64;

//! Linear descriptors of `count` tensors.
void describe(int32_t count, int32_t const* types, int32_t const* ranks, int64_t const* dims,
    nvinfer1::PluginTensorDesc* desc)
{
    check(count >= 0 && count <= kMaxOpTensors, "a plugin call takes at most 64 tensors");
    for (int32_t i = 0; i < count; ++i)
    {
        check(ranks[i] >= 0 && ranks[i] <= nvinfer1::Dims::MAX_DIMS, "a tensor's rank is outside [0, 8]");
        desc[i].dims.nbDims = ranks[i];
        for (int32_t d = 0; d < ranks[i]; ++d)
        {
            desc[i].dims.d[d] = dims[i * nvinfer1::Dims::MAX_DIMS + d];
        }
        desc[i].type = static_cast<nvinfer1::DataType>(types[i]);
        desc[i].format = nvinfer1::TensorFormat::kLINEAR;
        desc[i].scale = -1.0F;
    }
}
} // namespace

//! What the last failed plugingenOp* call of this thread logged.
PLUGINGEN_EXPORT char const* plugingenOpError()
{
    return tOpError.c_str();
}

//! The plugin `name` (version, namespace) of this library, created from `fields` for the runtime phase.
PLUGINGEN_EXPORT void* plugingenOpCreate(
    char const* name, char const* version, char const* ns, nvinfer1::PluginFieldCollection const* fields)
{
    TorchOp* op = nullptr;
    capture("createPlugin", [&] {
        int32_t count = 0;
        nvinfer1::IPluginCreatorInterface* const* all = plugingen_gen::creators(count);
        for (int32_t i = 0; i < count; ++i)
        {
            auto* creator = static_cast<nvinfer1::IPluginCreatorV3One*>(all[i]);
            if (std::strcmp(creator->getPluginName(), name) == 0 && std::strcmp(creator->getPluginVersion(), version) == 0
                && std::strcmp(creator->getPluginNamespace(), ns) == 0)
            {
                std::unique_ptr<nvinfer1::IPluginV3> plugin(
                    creator->createPlugin(name, fields, nvinfer1::TensorRTPhase::kRUNTIME));
                if (plugin == nullptr)
                {
                    return 1;
                }
                auto* build = static_cast<nvinfer1::IPluginV3OneBuild*>(
                    plugin->getCapabilityInterface(nvinfer1::PluginCapabilityType::kBUILD));
                auto* runtime = static_cast<nvinfer1::IPluginV3OneRuntime*>(
                    plugin->getCapabilityInterface(nvinfer1::PluginCapabilityType::kRUNTIME));
                op = new TorchOp{std::move(plugin), build, runtime};
                return 0;
            }
        }
        fail(std::string("this library has no plugin '") + name + "' version '" + version + "' namespace '" + ns
            + "'");
    });
    return op;
}

PLUGINGEN_EXPORT void plugingenOpDestroy(void* op)
{
    delete static_cast<TorchOp*>(op);
}

//! Prepares `op` for these tensors: configurePlugin (min = opt = max), the workspace it needs, onShapeChange.
PLUGINGEN_EXPORT int32_t plugingenOpPrepare(void* op, int32_t nbInputs, int32_t nbOutputs, int32_t const* types,
    int32_t const* ranks, int64_t const* dims, uint64_t* workspaceBytes)
{
    auto* torchOp = static_cast<TorchOp*>(op);
    return capture("prepare", [&] {
        nvinfer1::PluginTensorDesc desc[kMaxOpTensors]{};
        describe(nbInputs + nbOutputs, types, ranks, dims, desc);
        nvinfer1::DynamicPluginTensorDesc dynamic[kMaxOpTensors]{};
        for (int32_t i = 0; i < nbInputs + nbOutputs; ++i)
        {
            dynamic[i].desc = desc[i];
            dynamic[i].min = dynamic[i].opt = dynamic[i].max = desc[i].dims;
        }
        if (int32_t const status = torchOp->build->configurePlugin(dynamic, nbInputs, dynamic + nbInputs, nbOutputs))
        {
            return status;
        }
        *workspaceBytes = torchOp->build->getWorkspaceSize(dynamic, nbInputs, dynamic + nbInputs, nbOutputs);
        return torchOp->runtime->onShapeChange(desc, nbInputs, desc + nbInputs, nbOutputs);
    }) ? 0 : 1;
}

//! enqueue on `stream` of tensors `op` was prepared for: the per-call path (no allocation, no synchronisation).
PLUGINGEN_EXPORT int32_t plugingenOpEnqueue(void* op, int32_t nbInputs, int32_t nbOutputs, int32_t const* types,
    int32_t const* ranks, int64_t const* dims, void const* const* inputs, void* const* outputs, void* workspace,
    void* stream)
{
    auto* torchOp = static_cast<TorchOp*>(op);
    return capture("enqueue", [&] {
        nvinfer1::PluginTensorDesc desc[kMaxOpTensors];
        describe(nbInputs + nbOutputs, types, ranks, dims, desc);
        return torchOp->runtime->enqueue(
            desc, desc + nbInputs, inputs, outputs, workspace, static_cast<cudaStream_t>(stream));
    }) ? 0 : 1;
}
} // namespace plugingen
