// plugin_host.cpp -- a tiny stand-in for TensorRT that drives an IPluginV3 plugin library on the CPU.
//
// It loads a plugin library the way IPluginRegistry::loadLibrary does (research/trt_plugin_abi.md §6.2), lists its
// creators, creates plugins from fields and calls their capabilities (§4) the way the builder and runtime do. Used
// through ctypes by plugingen.host; needs neither TensorRT nor libcuda. Every pgh_* entry point catches every C++
// exception; functions returning int return 0 on success, nonzero on error, unless noted; the reason for the last
// failure on this thread is pgh_last_error().
//
// Logger layout: TensorRT 10 by default, TensorRT 11 with -DPGH_TRT_MAJOR=11 (§5.5, §5.6). getInferLibVersion()
// tells a plugin which one this host speaks.
#include "plugingen/trt_abi.h"

#include <dlfcn.h>

#include <cstdlib>
#include <cstring>
#include <deque>
#include <memory>
#include <mutex>
#include <new>
#include <stdexcept>
#include <string>
#include <vector>

// -DPGH_COUNT_NEW: this host, preloaded (LD_PRELOAD), wraps glibc's allocator and counts the allocations made
// inside each enqueue call, on its thread: the success path must make none; and the blocks allocated and not freed
// inside every pgh_* call on the thread (pgh_live_allocations): what plugins keep, which must not grow over create /
// clone / destroy cycles. (Plugins link libstdc++ statically, so their operator new cannot be replaced; it calls
// malloc, which can be wrapped.)
#ifdef PGH_COUNT_NEW
extern "C" void* __libc_malloc(std::size_t);
extern "C" void* __libc_calloc(std::size_t, std::size_t);
extern "C" void* __libc_realloc(void*, std::size_t);
extern "C" void* __libc_memalign(std::size_t, std::size_t);
extern "C" void __libc_free(void*);

namespace {
// initial-exec: a preloaded library's TLS is static, and the general-dynamic model could call malloc from malloc
__attribute__((tls_model("initial-exec"))) thread_local bool tCountingNews = false;
__attribute__((tls_model("initial-exec"))) thread_local int64_t tNews = 0;
__attribute__((tls_model("initial-exec"))) thread_local bool tInCall = false; // inside a pgh_* call
__attribute__((tls_model("initial-exec"))) thread_local int64_t tLive = 0;

void count() {
    if (tCountingNews) ++tNews;
    if (tInCall) ++tLive;
}

void countFree(void* p) {
    if (tInCall && p != nullptr) --tLive;
}
} // namespace

#define PGH_ALLOC extern "C" __attribute__((visibility("default")))
PGH_ALLOC void* malloc(std::size_t n) { count(); return __libc_malloc(n); }
PGH_ALLOC void* calloc(std::size_t a, std::size_t b) { count(); return __libc_calloc(a, b); }
PGH_ALLOC void* realloc(void* p, std::size_t n) {
    if (p == nullptr) count();
    else if (n == 0) countFree(p);
    else if (tCountingNews) ++tNews;
    return __libc_realloc(p, n);
}
PGH_ALLOC void free(void* p) { countFree(p); __libc_free(p); }
PGH_ALLOC void* memalign(std::size_t a, std::size_t n) { count(); return __libc_memalign(a, n); }
PGH_ALLOC void* aligned_alloc(std::size_t a, std::size_t n) { count(); return __libc_memalign(a, n); }
PGH_ALLOC int posix_memalign(void** p, std::size_t a, std::size_t n) {
    count();
    *p = __libc_memalign(a, n);
    return *p ? 0 : 12; // ENOMEM
}
#endif

#ifndef PGH_TRT_MAJOR
#define PGH_TRT_MAJOR 10
#endif
#if PGH_TRT_MAJOR != 10 && PGH_TRT_MAJOR != 11
#error "PGH_TRT_MAJOR must be 10 or 11"
#endif

#define PGH_API extern "C" __attribute__((visibility("default")))

// TensorRT-side logger interfaces, declared with NVIDIA's names so their RTTI matches the real library's.
#if PGH_TRT_MAJOR == 10
namespace nvinfer1 {
//! §5.5 TensorRT 10: slot 0 log, slots 1-2 dtor.
class ILogger {
public:
    enum class Severity : int32_t { kINTERNAL_ERROR = 0, kERROR = 1, kWARNING = 2, kINFO = 3, kVERBOSE = 4 };
    virtual void log(Severity severity, AsciiChar const* msg) noexcept = 0;
    virtual ~ILogger() = default;
};

//! §5.6 TensorRT 10: slot 0 findLogger, slots 1-2 protected dtor.
class ILoggerFinder {
public:
    virtual ILogger* findLogger() = 0;

protected:
    virtual ~ILoggerFinder() = default;
};
} // namespace nvinfer1
namespace trt_log = nvinfer1;
#else
namespace nvinfer1 {
namespace v_1_0 {
//! §5.5 TensorRT 11: IVersionedInterface slots 0-3, slot 4 log.
class ILogger : public IVersionedInterface {
public:
    enum class Severity : int32_t { kINTERNAL_ERROR = 0, kERROR = 1, kWARNING = 2, kINFO = 3, kVERBOSE = 4 };
    InterfaceInfo getInterfaceInfo() const noexcept override { return InterfaceInfo{"ILogger", 1, 0}; }
    virtual void log(Severity severity, AsciiChar const* msg) noexcept = 0;
};

//! §5.6 TensorRT 11: IVersionedInterface slots 0-3, slot 4 findLogger.
class ILoggerFinder : public IVersionedInterface {
public:
    InterfaceInfo getInterfaceInfo() const noexcept override { return InterfaceInfo{"ILoggerFinder", 1, 0}; }
    virtual ILogger* findLogger() = 0;

protected:
    ~ILoggerFinder() noexcept override = default;
};
} // namespace v_1_0
} // namespace nvinfer1
namespace trt_log = nvinfer1::v_1_0;
#endif

using namespace nvinfer1;

namespace {

// ---- errors and the log -------------------------------------------------------------------------------------

thread_local std::string tLastError;
thread_local int64_t tLastEnqueueNews = -1; // see pgh_enqueue_allocations
thread_local std::string tCallLog; //!< warnings/errors the plugin logged during the current pgh_* call

struct LogEntry {
    int32_t severity;
    std::string text;
};
std::mutex gLogMutex;
std::deque<LogEntry> gLog; //!< every kept message, for pgh_log_*; a deque keeps c_str() pointers stable

class HostLogger final : public trt_log::ILogger {
public:
    void log(Severity severity, AsciiChar const* msg) noexcept override {
        if (static_cast<int32_t>(severity) > static_cast<int32_t>(Severity::kINFO)) return;
        try {
            std::string const text = msg ? msg : "(null)";
            if (static_cast<int32_t>(severity) <= static_cast<int32_t>(Severity::kWARNING)) {
                tCallLog += (tCallLog.empty() ? "" : "; ") + text;
            }
            std::lock_guard<std::mutex> lock(gLogMutex);
            gLog.push_back(LogEntry{static_cast<int32_t>(severity), text});
        } catch (...) {
        }
    }
};

class HostLoggerFinder final : public trt_log::ILoggerFinder {
public:
    trt_log::ILogger* findLogger() override { return &mLogger; }

private:
    HostLogger mLogger;
};

HostLoggerFinder gFinder;

//! Throws with `what`, followed by whatever the plugin logged during this call.
[[noreturn]] void fail(std::string what) {
    if (!tCallLog.empty()) what += ": " + tCallLog;
    throw std::runtime_error(what);
}

template <typename F> int32_t guard(F&& body) noexcept {
    tCallLog.clear();
#ifdef PGH_COUNT_NEW
    struct InCall {
        InCall() { tInCall = true; }
        ~InCall() { tInCall = false; }
    } inCall;
#endif
    try {
        body();
        return 0;
    } catch (std::exception const& e) {
        tLastError = e.what();
    } catch (...) {
        tLastError = "unknown C++ exception";
    }
    return 1;
}

template <typename F> void* guardPtr(F&& body) noexcept {
    void* result = nullptr;
    return guard([&] { result = body(); }) == 0 ? result : nullptr;
}

// ---- libraries, plugins, capabilities -----------------------------------------------------------------------

struct Library {
    void* handle{nullptr};
    std::vector<IPluginCreatorV3One*> creators;
};

bool sameInfo(InterfaceInfo info, char const* kind, int32_t major) {
    return info.kind != nullptr && std::strcmp(info.kind, kind) == 0 && info.major == major && info.minor == 0;
}

std::string describe(InterfaceInfo info) {
    return std::string("{\"") + (info.kind ? info.kind : "(null)") + "\", " + std::to_string(info.major) + ", " +
           std::to_string(info.minor) + "}";
}

Library* asLibrary(void* lib) {
    if (lib == nullptr) fail("null library handle");
    return static_cast<Library*>(lib);
}

IPluginCreatorV3One* creatorAt(void* lib, int32_t index) {
    Library* library = asLibrary(lib);
    if (index < 0 || static_cast<size_t>(index) >= library->creators.size()) {
        fail("creator index " + std::to_string(index) + " out of range [0, " +
                std::to_string(library->creators.size()) + ")");
    }
    return library->creators[index];
}

IPluginV3* asPlugin(void* plugin) {
    if (plugin == nullptr) fail("null plugin handle");
    return static_cast<IPluginV3*>(plugin);
}

//! The capability `type` of `plugin`, checked to report `kind`, major 1..maxMajor, minor 0 (§4.2).
template <typename Capability>
Capability* capability(void* plugin, PluginCapabilityType type, char const* kind, int32_t maxMajor = 1) {
    IPluginCapability* cap = asPlugin(plugin)->getCapabilityInterface(type);
    if (cap == nullptr) fail(std::string("getCapabilityInterface returned null for ") + kind);
    InterfaceInfo const info = cap->getInterfaceInfo();
    bool ok = false;
    for (int32_t major = 1; major <= maxMajor; ++major)
        ok = ok || sameInfo(info, kind, major);
    if (!ok) fail(std::string("capability for ") + kind + " reports " + describe(info));
    return static_cast<Capability*>(cap);
}

IPluginV3OneCore* core(void* plugin) {
    return capability<IPluginV3OneCore>(plugin, PluginCapabilityType::kCORE, "PLUGIN_V3ONE_CORE");
}

IPluginV3OneBuild* build(void* plugin) {
    return capability<IPluginV3OneBuild>(plugin, PluginCapabilityType::kBUILD, "PLUGIN_V3ONE_BUILD", 2);
}

IPluginV3OneRuntime* runtime(void* plugin) {
    return capability<IPluginV3OneRuntime>(plugin, PluginCapabilityType::kRUNTIME, "PLUGIN_V3ONE_RUNTIME");
}

IPluginV3* checkedPlugin(IPluginV3* plugin, char const* call) {
    if (plugin == nullptr) fail(std::string(call) + " returned null");
    return plugin;
}

// ---- tensor descriptions ----------------------------------------------------------------------------------------

Dims makeDims(int32_t rank, int64_t const* dims) {
    Dims result{};
    if (rank < -1 || rank > Dims::MAX_DIMS) fail("rank " + std::to_string(rank) + " outside [-1, 8]");
    result.nbDims = rank;
    for (int32_t i = 0; i < rank; ++i)
        result.d[i] = dims[i];
    return result;
}

//! `count` linear tensors; dims hold Dims::MAX_DIMS entries per tensor (ranks/dims null: unknown rank).
std::vector<PluginTensorDesc> makeDescs(int32_t count, int32_t const* types, int32_t const* ranks, int64_t const* dims,
        int32_t const* formats = nullptr) {
    if (count < 0) fail("negative tensor count");
    std::vector<PluginTensorDesc> descs(count);
    for (int32_t i = 0; i < count; ++i) {
        descs[i].dims = ranks && dims ? makeDims(ranks[i], dims + i * Dims::MAX_DIMS) : makeDims(-1, nullptr);
        descs[i].type = static_cast<DataType>(types[i]);
        descs[i].format = formats ? static_cast<TensorFormat>(formats[i]) : TensorFormat::kLINEAR;
        descs[i].scale = -1.0F;
    }
    return descs;
}

//! Like TensorRT at build time for one fixed shape: min = opt = max = dims.
std::vector<DynamicPluginTensorDesc> makeDynamic(std::vector<PluginTensorDesc> const& descs) {
    std::vector<DynamicPluginTensorDesc> result(descs.size());
    for (size_t i = 0; i < descs.size(); ++i) {
        result[i].desc = descs[i];
        result[i].min = result[i].opt = result[i].max = descs[i].dims;
    }
    return result;
}

// ---- a constant-folding expression builder (§5.1) ----------------------------------------------------------------

class ExprImpl final : public apiv::VDimensionExpr {
public:
    ExprImpl(bool constant, int64_t value, bool sizeTensor)
        : mConstant(constant), mValue(value), mSizeTensor(sizeTensor) {}
    bool isConstant() const override { return mConstant; }
    int64_t getConstantValue() const override { return mConstant ? mValue : -1; }
    bool isSizeTensor() const override { return mSizeTensor; }

private:
    bool mConstant;
    int64_t mValue;
    bool mSizeTensor;
};

class Expr final : public IDimensionExpr {
public:
    explicit Expr(apiv::VDimensionExpr* impl) { mImpl = impl; }
};

struct ExprNode {
    ExprNode(bool constant, int64_t value, bool sizeTensor) : impl(constant, value, sizeTensor) {}
    ExprImpl impl;
    Expr expr{&impl};
};

int64_t floorDiv(int64_t x, int64_t y) {
    int64_t const q = x / y;
    return (x % y != 0 && ((x < 0) != (y < 0))) ? q - 1 : q;
}

int64_t ceilDiv(int64_t x, int64_t y) {
    int64_t const q = x / y;
    return (x % y != 0 && ((x < 0) == (y < 0))) ? q + 1 : q;
}

//! Folds every DimensionOperation on constants like TensorRT; anything else yields a non-constant expression and
//! a problem the caller reports (the plugin never sees an exception or a null pointer).
class ExprBuilderImpl final : public apiv::VExprBuilder {
public:
    IDimensionExpr const* constant(int64_t value) override { return make(true, value, false); }

    IDimensionExpr const* operation(DimensionOperation op, IDimensionExpr const& a, IDimensionExpr const& b) override {
        if (!a.isConstant() || !b.isConstant()) return make(false, 0, false);
        int64_t const x = a.getConstantValue();
        int64_t const y = b.getConstantValue();
        int64_t r = 0;
        bool overflow = false;
        switch (op) {
        case DimensionOperation::kSUM: overflow = __builtin_add_overflow(x, y, &r); break;
        case DimensionOperation::kPROD: overflow = __builtin_mul_overflow(x, y, &r); break;
        case DimensionOperation::kMAX: r = x > y ? x : y; break;
        case DimensionOperation::kMIN: r = x < y ? x : y; break;
        case DimensionOperation::kSUB: overflow = __builtin_sub_overflow(x, y, &r); break;
        case DimensionOperation::kEQUAL: r = x == y ? 1 : 0; break;
        case DimensionOperation::kLESS: r = x < y ? 1 : 0; break;
        case DimensionOperation::kFLOOR_DIV:
        case DimensionOperation::kCEIL_DIV:
            if (y == 0 || (x == INT64_MIN && y == -1))
                return problem("division " + std::to_string(x) + " / " + std::to_string(y));
            r = op == DimensionOperation::kFLOOR_DIV ? floorDiv(x, y) : ceilDiv(x, y);
            break;
        default: return problem("unknown DimensionOperation " + std::to_string(static_cast<int32_t>(op)));
        }
        return overflow ? problem("int64 overflow in DimensionOperation " + std::to_string(static_cast<int32_t>(op)))
                        : make(true, r, false);
    }

    IDimensionExpr const* declareSizeTensor(int32_t, IDimensionExpr const&, IDimensionExpr const&) override {
        return make(false, 0, true);
    }

    std::string const& firstProblem() const { return mProblem; }

    //! A dimension whose value the builder does not know (not constant).
    IDimensionExpr const* symbol() { return make(false, 0, false); }

private:
    IDimensionExpr const* make(bool constant, int64_t value, bool sizeTensor) {
        mNodes.push_back(std::make_unique<ExprNode>(constant, value, sizeTensor));
        return &mNodes.back()->expr;
    }

    IDimensionExpr const* problem(std::string text) {
        if (mProblem.empty()) mProblem = std::move(text);
        return make(false, 0, false);
    }

    std::vector<std::unique_ptr<ExprNode>> mNodes;
    std::string mProblem;
};

class ExprBuilder final : public IExprBuilder {
public:
    explicit ExprBuilder(apiv::VExprBuilder* impl) { mImpl = impl; }
};

//! §5.2: what attachToContext receives; this host has no allocator and no error recorder.
class HostResourceContext final : public IPluginResourceContext {
public:
    IGpuAllocator* getGpuAllocator() const noexcept override { return nullptr; }
    IErrorRecorder* getErrorRecorder() const noexcept override { return nullptr; }
};

HostResourceContext gResourceContext;

} // namespace

// ---- the C API ----------------------------------------------------------------------------------------------------

//! §6.1: (MAJOR * 100 + MINOR) * 100 + PATCH of the TensorRT whose logger layout this host speaks.
#ifndef PGH_NO_VERSION_SYMBOL
PGH_API int32_t getInferLibVersion() noexcept { return PGH_TRT_MAJOR * 10000; }
#endif

PGH_API char const* pgh_last_error() { return tLastError.c_str(); }

//! The heap allocations made in this thread's last enqueue; -1 without PGH_COUNT_NEW.
PGH_API int64_t pgh_enqueue_allocations() { return tLastEnqueueNews; }

//! Loads a plugin library like IPluginRegistry::loadLibrary (§6.2): setLoggerFinder first, then getCreators.
PGH_API void* pgh_open(char const* soPath) {
    return guardPtr([&] {
        auto library = std::make_unique<Library>();
        library->handle = dlopen(soPath, RTLD_NOW | RTLD_LOCAL);
        if (library->handle == nullptr) {
            char const* reason = dlerror();
            fail(std::string("dlopen failed: ") + (reason ? reason : "unknown reason"));
        }
        std::unique_ptr<void, int (*)(void*)> closer(library->handle, dlclose);
        using SetLoggerFinder = void (*)(trt_log::ILoggerFinder*);
        using GetCreators = IPluginCreatorInterface* const* (*)(int32_t&);
        auto setLoggerFinder = reinterpret_cast<SetLoggerFinder>(dlsym(library->handle, "setLoggerFinder"));
        auto getCreators = reinterpret_cast<GetCreators>(dlsym(library->handle, "getCreators"));
        if (setLoggerFinder == nullptr) fail(std::string("plugin library does not export setLoggerFinder: ") + soPath);
        if (getCreators == nullptr) fail(std::string("plugin library does not export getCreators: ") + soPath);
        setLoggerFinder(&gFinder);
        int32_t count = 0;
        IPluginCreatorInterface* const* creators = getCreators(count);
        if (count < 0 || (count > 0 && creators == nullptr))
            fail("getCreators returned " + std::to_string(count) + " creators and a null array");
        for (int32_t i = 0; i < count; ++i) {
            if (creators[i] == nullptr) fail("getCreators returned a null creator at index " + std::to_string(i));
            InterfaceInfo const info = creators[i]->getInterfaceInfo();
            if (!sameInfo(info, "PLUGIN CREATOR_V3ONE", 1)) {
                fail("creator " + std::to_string(i) + " reports " + describe(info) +
                        ", expected {\"PLUGIN CREATOR_V3ONE\", 1, 0}");
            }
            library->creators.push_back(static_cast<IPluginCreatorV3One*>(creators[i]));
        }
        closer.release();
        return static_cast<void*>(library.release());
    });
}

//! Unloads the library; every plugin created from it must be destroyed first.
PGH_API int32_t pgh_close(void* lib) {
    return guard([&] {
        std::unique_ptr<Library> library(asLibrary(lib));
        if (dlclose(library->handle) != 0) {
            char const* reason = dlerror();
            fail(std::string("dlclose failed: ") + (reason ? reason : "unknown reason"));
        }
    });
}

PGH_API int32_t pgh_creator_count(void* lib, int32_t* count) {
    return guard([&] { *count = static_cast<int32_t>(asLibrary(lib)->creators.size()); });
}

PGH_API int32_t pgh_creator_info(void* lib, int32_t index, char const** name, char const** version, char const** ns) {
    return guard([&] {
        IPluginCreatorV3One* creator = creatorAt(lib, index);
        *name = creator->getPluginName();
        *version = creator->getPluginVersion();
        *ns = creator->getPluginNamespace();
    });
}

//! The creator's getFieldNames(): `*fields` points at `*count` PluginField (24 bytes each, §2) owned by the plugin.
PGH_API int32_t pgh_creator_fields(void* lib, int32_t index, int32_t* count, PluginField const** fields) {
    return guard([&] {
        PluginFieldCollection const* fc = creatorAt(lib, index)->getFieldNames();
        if (fc == nullptr || fc->nbFields < 0 || (fc->nbFields > 0 && fc->fields == nullptr))
            fail("getFieldNames returned an invalid collection");
        *count = fc->nbFields;
        *fields = fc->fields;
    });
}

//! createPlugin(instanceName, fields, phase) of creator `index`; returns the IPluginV3* (null on failure).
PGH_API void* pgh_create(void* lib, int32_t index, char const* instanceName, int32_t nfields, char const* const* names,
        void const* const* data, int32_t const* types, int32_t const* lengths, int32_t phase) {
    return guardPtr([&] {
        IPluginCreatorV3One* creator = creatorAt(lib, index);
        if (phase != 0 && phase != 1) fail("phase must be 0 (kBUILD) or 1 (kRUNTIME), got " + std::to_string(phase));
        std::vector<PluginField> fields;
        for (int32_t i = 0; i < nfields; ++i)
            fields.emplace_back(names[i], data[i], static_cast<PluginFieldType>(types[i]), lengths[i]);
        PluginFieldCollection const fc{std::max(nfields, 0), fields.data()};
        // nfields < 0: no collection at all (TensorRT may pass nullptr for a plugin without fields)
        IPluginV3* plugin = creator->createPlugin(instanceName, nfields < 0 ? nullptr : &fc,
                static_cast<TensorRTPhase>(phase));
        return static_cast<void*>(checkedPlugin(plugin, "createPlugin"));
    });
}

//! Deletes the plugin through its virtual destructor, as TensorRT does (§0: slot 3).
PGH_API int32_t pgh_destroy(void* plugin) {
    return guard([&] { delete asPlugin(plugin); });
}

PGH_API void* pgh_clone(void* plugin) {
    return guardPtr([&] { return static_cast<void*>(checkedPlugin(asPlugin(plugin)->clone(), "clone")); });
}

//! attachToContext with a context that has no allocator and no error recorder; returns a new plugin.
PGH_API void* pgh_attach(void* plugin) {
    return guardPtr([&] {
        return static_cast<void*>(
                checkedPlugin(runtime(plugin)->attachToContext(&gResourceContext), "attachToContext"));
    });
}

PGH_API int32_t pgh_plugin_info(void* plugin, char const** name, char const** version, char const** ns) {
    return guard([&] {
        IPluginV3OneCore* c = core(plugin);
        *name = c->getPluginName();
        *version = c->getPluginVersion();
        *ns = c->getPluginNamespace();
    });
}

PGH_API int32_t pgh_nb_outputs(void* plugin, int32_t* count) {
    return guard([&] { *count = build(plugin)->getNbOutputs(); });
}

PGH_API int32_t pgh_output_types(void* plugin, int32_t nin, int32_t const* inTypes, int32_t nout, int32_t* outTypes) {
    return guard([&] {
        std::vector<DataType> in(nin);
        std::vector<DataType> out(nout, static_cast<DataType>(-1));
        for (int32_t i = 0; i < nin; ++i)
            in[i] = static_cast<DataType>(inTypes[i]);
        if (build(plugin)->getOutputDataTypes(out.data(), nout, in.data(), nin) != 0) fail("getOutputDataTypes failed");
        for (int32_t i = 0; i < nout; ++i) {
            outTypes[i] = static_cast<int32_t>(out[i]);
            if (outTypes[i] < 0 || outTypes[i] > static_cast<int32_t>(DataType::kE8M0))
                fail("getOutputDataTypes left output " + std::to_string(i) + " without a valid type");
        }
    });
}

//! getOutputShapes on concrete input shapes (dims: 8 per tensor); every output extent must fold to a constant.
PGH_API int32_t pgh_output_shapes(void* plugin, int32_t nin, int32_t const* inRanks, int64_t const* inDims,
        int32_t nout, int32_t* outRanks, int64_t* outDims) {
    return guard([&] {
        ExprBuilderImpl impl;
        ExprBuilder builder(&impl);
        std::vector<DimsExprs> in(nin); // value-initialized: null extents
        std::vector<DimsExprs> out(nout);
        for (int32_t i = 0; i < nin; ++i) {
            in[i].nbDims = makeDims(inRanks[i], inDims + i * Dims::MAX_DIMS).nbDims;
            for (int32_t j = 0; j < in[i].nbDims; ++j) {
                int64_t const size = inDims[i * Dims::MAX_DIMS + j];
                // -1: a symbolic dimension (a dynamic dim of the network), as TensorRT's builder passes it
                in[i].d[j] = size == -1 ? impl.symbol() : builder.constant(size);
            }
        }
        if (build(plugin)->getOutputShapes(in.data(), nin, nullptr, 0, out.data(), nout, builder) != 0)
            fail("getOutputShapes failed");
        if (!impl.firstProblem().empty()) fail("getOutputShapes: " + impl.firstProblem());
        for (int32_t i = 0; i < nout; ++i) {
            if (out[i].nbDims < 0 || out[i].nbDims > Dims::MAX_DIMS)
                fail("output " + std::to_string(i) + " has rank " + std::to_string(out[i].nbDims));
            outRanks[i] = out[i].nbDims;
            for (int32_t j = 0; j < out[i].nbDims; ++j) {
                IDimensionExpr const* e = out[i].d[j];
                if (e == nullptr || e->isSizeTensor()) {
                    fail("output " + std::to_string(i) + " dimension " + std::to_string(j) + " is " +
                            (e == nullptr ? "null" : "a size tensor"));
                }
                outDims[i * Dims::MAX_DIMS + j] = e->isConstant() ? e->getConstantValue() : -1; // -1: symbolic
            }
        }
    });
}

//! supportsFormatCombination(pos, ...) for nin + nout tensors -> 1 or 0; -1 on error. ranks/dims may be null
//! (then every tensor has unknown rank, nbDims = -1).
PGH_API int32_t pgh_supports_format(void* plugin, int32_t pos, int32_t nin, int32_t nout, int32_t const* types,
        int32_t const* formats, int32_t const* ranks, int64_t const* dims) {
    bool supported = false;
    int32_t const status = guard([&] {
        if (pos < 0 || pos >= nin + nout) fail("pos " + std::to_string(pos) + " out of range");
        auto const descs = makeDynamic(makeDescs(nin + nout, types, ranks, dims, formats));
        supported = build(plugin)->supportsFormatCombination(pos, descs.data(), nin, nout);
    });
    return status != 0 ? -1 : (supported ? 1 : 0);
}

//! getAliasedInput(output) of a version-2 build capability -> the input index, or -1 (also for version 1, which has
//! no aliasing) in `input`; `version` gets the capability's major version.
PGH_API int32_t pgh_aliased_input(void* plugin, int32_t output, int32_t* input, int32_t* version) {
    return guard([&] {
        IPluginV3OneBuild* cap = build(plugin);
        *version = cap->getInterfaceInfo().major;
        *input = *version >= 2 ? static_cast<IPluginV3OneBuildV2*>(cap)->getAliasedInput(output) : -1;
    });
}

PGH_API int32_t pgh_configure(void* plugin, int32_t nin, int32_t const* inTypes, int32_t const* inRanks,
        int64_t const* inDims, int32_t nout, int32_t const* outTypes, int32_t const* outRanks, int64_t const* outDims) {
    return guard([&] {
        auto const in = makeDynamic(makeDescs(nin, inTypes, inRanks, inDims));
        auto const out = makeDynamic(makeDescs(nout, outTypes, outRanks, outDims));
        if (build(plugin)->configurePlugin(in.data(), nin, out.data(), nout) != 0) fail("configurePlugin failed");
    });
}

//! getWorkspaceSize over a build profile: each input ranges from `inMin` to `inMax` (dims of -1 in `inMax`: no
//! upper bound), as TensorRT describes a profile (desc.dims -1 where dynamic; opt = max here).
PGH_API int32_t pgh_workspace_size_range(void* plugin, int32_t nin, int32_t const* inTypes, int32_t const* inRanks,
        int64_t const* inMin, int64_t const* inMax, int32_t nout, int32_t const* outTypes, int32_t const* outRanks,
        int64_t const* outDims, uint64_t* bytes) {
    return guard([&] {
        auto in = makeDynamic(makeDescs(nin, inTypes, inRanks, inMax));
        auto const low = makeDescs(nin, inTypes, inRanks, inMin);
        for (int32_t i = 0; i < nin; ++i) {
            in[i].min = low[i].dims;
            for (int32_t d = 0; d < in[i].desc.dims.nbDims; ++d)
                if (in[i].min.d[d] != in[i].max.d[d])
                    in[i].desc.dims.d[d] = -1;
        }
        auto const out = makeDynamic(makeDescs(nout, outTypes, outRanks, outDims));
        *bytes = build(plugin)->getWorkspaceSize(in.data(), nin, out.data(), nout);
    });
}

//! getNbTactics then getValidTactics, as TensorRT's builder asks them after configurePlugin: `tactics` holds room
//! for `capacity` values; `*count` is the number the plugin advertised.
PGH_API int32_t pgh_tactics(void* plugin, int32_t capacity, int32_t* tactics, int32_t* count) {
    return guard([&] {
        *count = build(plugin)->getNbTactics();
        if (*count < 0 || *count > capacity)
            fail("getNbTactics returned " + std::to_string(*count));
        if (*count > 0) {
            if (int32_t const status = build(plugin)->getValidTactics(tactics, *count); status != 0)
                fail("getValidTactics returned " + std::to_string(status));
        }
    });
}

PGH_API int32_t pgh_set_tactic(void* plugin, int32_t tactic) {
    return guard([&] {
        if (int32_t const status = runtime(plugin)->setTactic(tactic); status != 0)
            fail("setTactic(" + std::to_string(tactic) + ") returned " + std::to_string(status));
    });
}

//! getFieldsToSerialize(): `*fields` points at `*count` PluginField owned by the plugin (valid until its next call).
PGH_API int32_t pgh_fields(void* plugin, int32_t* count, PluginField const** fields) {
    return guard([&] {
        PluginFieldCollection const* fc = runtime(plugin)->getFieldsToSerialize();
        if (fc == nullptr || fc->nbFields < 0 || (fc->nbFields > 0 && fc->fields == nullptr))
            fail("getFieldsToSerialize returned an invalid collection");
        *count = fc->nbFields;
        *fields = fc->fields;
    });
}

//! Serialize + deserialize: a kRUNTIME plugin from creator `index`, made from `plugin`'s getFieldsToSerialize().
//! The creator must match the plugin's name, version and namespace, as TensorRT's lookup requires.
PGH_API void* pgh_roundtrip(void* lib, int32_t index, void* plugin) {
    return guardPtr([&] {
        IPluginCreatorV3One* creator = creatorAt(lib, index);
        IPluginV3OneCore* c = core(plugin);
        char const* want[3] = {c->getPluginName(), c->getPluginVersion(), c->getPluginNamespace()};
        char const* have[3] = {creator->getPluginName(), creator->getPluginVersion(), creator->getPluginNamespace()};
        for (int32_t i = 0; i < 3; ++i) {
            if (want[i] == nullptr || have[i] == nullptr || std::strcmp(want[i], have[i]) != 0) {
                fail(std::string("creator ") + std::to_string(index) + " does not match the plugin's " +
                        (i == 0 ? "name"
                                : i == 1 ? "version"
                                         : "namespace"));
            }
        }
        PluginFieldCollection const* fc = runtime(plugin)->getFieldsToSerialize();
        if (fc == nullptr) fail("getFieldsToSerialize returned null");
        IPluginV3* copy = creator->createPlugin("pgh_roundtrip", fc, TensorRTPhase::kRUNTIME);
        return static_cast<void*>(checkedPlugin(copy, "createPlugin(kRUNTIME)"));
    });
}

//! onShapeChange then enqueue through the runtime capability, with linear descriptors (scale -1).
PGH_API int32_t pgh_enqueue(void* plugin, int32_t nin, int32_t const* inTypes, int32_t const* inRanks,
        int64_t const* inDims, void const* const* inputs, int32_t nout, int32_t const* outTypes,
        int32_t const* outRanks, int64_t const* outDims, void* const* outputs, void* workspace, void* stream,
        int32_t shapeChange) {
    return guard([&] {
        auto const in = makeDescs(nin, inTypes, inRanks, inDims);
        auto const out = makeDescs(nout, outTypes, outRanks, outDims);
        IPluginV3OneRuntime* rt = runtime(plugin);
        if (shapeChange != 0) {
            if (int32_t const status = rt->onShapeChange(in.data(), nin, out.data(), nout); status != 0)
                fail("onShapeChange returned " + std::to_string(status));
        }
#ifdef PGH_COUNT_NEW
        tNews = 0;
        tCountingNews = true;
#endif
        int32_t const status =
                rt->enqueue(in.data(), out.data(), inputs, outputs, workspace, static_cast<cudaStream_t>(stream));
#ifdef PGH_COUNT_NEW
        tCountingNews = false;
        tLastEnqueueNews = tNews;
#endif
        if (status != 0) fail("enqueue returned " + std::to_string(status));
    });
}

//! With -DPGH_COUNT_NEW: the heap blocks allocated and not freed inside pgh_* calls on this thread so far; -1 without.
PGH_API int64_t pgh_live_allocations() {
#ifdef PGH_COUNT_NEW
    return tLive;
#else
    return -1;
#endif
}

// ---- the kept log (severity <= kINFO; warnings and errors also go into the error text), for tests; these return values, not status --------------------------------

PGH_API int32_t pgh_log_count() {
    std::lock_guard<std::mutex> lock(gLogMutex);
    return static_cast<int32_t>(gLog.size());
}

//! The i-th kept message, or null when out of range.
PGH_API char const* pgh_log_message(int32_t i) {
    std::lock_guard<std::mutex> lock(gLogMutex);
    return i >= 0 && static_cast<size_t>(i) < gLog.size() ? gLog[i].text.c_str() : nullptr;
}

//! Its ILogger::Severity, or -1 when out of range.
PGH_API int32_t pgh_log_severity(int32_t i) {
    std::lock_guard<std::mutex> lock(gLogMutex);
    return i >= 0 && static_cast<size_t>(i) < gLog.size() ? gLog[i].severity : -1;
}

//! Forgets every kept message (invalidates pointers from pgh_log_message).
PGH_API void pgh_log_clear() {
    std::lock_guard<std::mutex> lock(gLogMutex);
    gLog.clear();
}
