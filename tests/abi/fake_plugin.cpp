// A hand-made IPluginV3 plugin library built against plugingen/trt_abi.h, used to test the C++ test host
// (plugingen/host/plugin_host.cpp) independently of plugingen's code generator.
//
// Creators (namespace "pgtest", version "1"):
//   FakeScale  fields k (kINT32, required), alpha (kFLOAT32, optional, default 1). One fp32/fp16 input; the
//              output has the input's type and shape with dim0 * k; enqueue (CPU, fp32 only) repeats the input k
//              times, times alpha.
//   FakeOp     field op (kINT32, required). One input of rank 2; the output has rank 1 and extent
//              DimensionOperation(op)(dim0, dim1); op == -1 declares a size tensor instead.
// Errors are logged through the TensorRT logger, picking its layout from getInferLibVersion() (see logError).
#include "plugingen/trt_abi.h"

#include <dlfcn.h>

#include <cstdio>
#include <cstring>
#include <new>
#include <string>
#include <vector>

#define FAKE_API extern "C" __attribute__((visibility("default")))

using namespace nvinfer1;

namespace {

// ---- logging: the logger layouts of TensorRT 10 and 11 (research/trt_plugin_abi.md §5.5, §5.6) ------------------

namespace trt10 {
struct ILogger {
    virtual void log(int32_t severity, char const* msg) noexcept = 0; // slot 0
    virtual ~ILogger() = default;
};
struct ILoggerFinder {
    virtual ILogger* findLogger() = 0; // slot 0
protected:
    virtual ~ILoggerFinder() = default;
};
} // namespace trt10

namespace trt11 {
struct ILogger : IVersionedInterface {
    virtual void log(int32_t severity, char const* msg) noexcept = 0; // slot 4
};
struct ILoggerFinder : IVersionedInterface {
    virtual ILogger* findLogger() = 0; // slot 4
};
} // namespace trt11

enum class LoggerLayout { kUNKNOWN, kTRT10, kTRT11 };

void* gFinder = nullptr;
LoggerLayout gLayout = LoggerLayout::kUNKNOWN;

//! getInferLibVersion() of the library that implements the finder (found from its vtable), or 0.
int32_t finderLibVersion(void const* finder) {
    using GetVersion = int32_t (*)();
    Dl_info info{};
    void* handle = nullptr;
    if (dladdr(*static_cast<void* const*>(finder), &info) != 0 && info.dli_fname != nullptr)
        handle = dlopen(info.dli_fname, RTLD_NOW | RTLD_NOLOAD);
    void* symbol = dlsym(handle ? handle : RTLD_DEFAULT, "getInferLibVersion");
    int32_t const version = symbol ? reinterpret_cast<GetVersion>(symbol)() : 0;
    if (handle) dlclose(handle);
    return version;
}

//! TensorRT 11.x (110000+) and TensorRT-RTX 1.5+ (10500..99999) use the IVersionedInterface layout; TensorRT 10.x
//! (100000..109999) and RTX <= 1.4 the plain one.
LoggerLayout layoutFor(int32_t version) {
    if (version >= 110000 || (version >= 10500 && version < 100000)) return LoggerLayout::kTRT11;
    if (version >= 100000 || (version >= 10000 && version < 10500)) return LoggerLayout::kTRT10;
    return LoggerLayout::kUNKNOWN;
}

// Calls TensorRT's objects through layout-equivalent declarations of our own, so UBSan's vptr check (which compares
// RTTI names) must be off here.
__attribute__((no_sanitize("vptr"))) void logError(std::string const& msg) {
    int32_t const kERROR = 1;
    try {
        if (gLayout == LoggerLayout::kTRT10) {
            if (auto* logger = static_cast<trt10::ILoggerFinder*>(gFinder)->findLogger())
                logger->log(kERROR, msg.c_str());
            return;
        }
        if (gLayout == LoggerLayout::kTRT11) {
            auto* finder = static_cast<trt11::ILoggerFinder*>(gFinder);
            InterfaceInfo const info = finder->getInterfaceInfo();
            if (info.kind != nullptr && std::strcmp(info.kind, "ILoggerFinder") == 0) {
                if (auto* logger = finder->findLogger()) logger->log(kERROR, msg.c_str());
                return;
            }
        }
    } catch (...) {
    }
    std::fprintf(stderr, "fake_plugin: %s\n", msg.c_str());
}

// ---- fields -------------------------------------------------------------------------------------------------------

char const* const kNAMESPACE = "pgtest";
char const* const kVERSION = "1";

enum class Kind { kSCALE, kOP };

//! Reads scalar field `name` of `type` into `out`; returns false (and logs) when present with the wrong type/length.
bool readField(
        PluginFieldCollection const* fc, char const* name, PluginFieldType type, void* out, size_t size, bool& found) {
    found = false;
    for (int32_t i = 0; fc != nullptr && i < fc->nbFields; ++i) {
        PluginField const& f = fc->fields[i];
        if (f.name == nullptr || std::strcmp(f.name, name) != 0) continue;
        if (f.type != type || f.length != 1 || f.data == nullptr) {
            logError(std::string("field '") + name + "' has the wrong type or length");
            return false;
        }
        std::memcpy(out, f.data, size);
        found = true;
    }
    return true;
}

// ---- the plugin ------------------------------------------------------------------------------------------------

class FakePlugin final : public IPluginV3,
                         public IPluginV3OneCore,
                         public IPluginV3OneBuildV2,
                         public IPluginV3OneRuntime {
public:
    FakePlugin(Kind kind, int32_t k, float alpha, int32_t op) : mKind(kind), mK(k), mAlpha(alpha), mOp(op) {}
    FakePlugin(FakePlugin const& other)
        : IPluginV3(other), IPluginV3OneCore(other), IPluginV3OneBuildV2(other), IPluginV3OneRuntime(other),
          mKind(other.mKind), mK(other.mK), mAlpha(other.mAlpha), mOp(other.mOp) {}

    // IPluginV3
    IPluginCapability* getCapabilityInterface(PluginCapabilityType type) noexcept override {
        switch (type) {
        case PluginCapabilityType::kCORE: return static_cast<IPluginV3OneCore*>(this);
        case PluginCapabilityType::kBUILD: return static_cast<IPluginV3OneBuildV2*>(this);
        case PluginCapabilityType::kRUNTIME: return static_cast<IPluginV3OneRuntime*>(this);
        }
        return nullptr;
    }
    IPluginV3* clone() noexcept override { return new (std::nothrow) FakePlugin(*this); }

    // IPluginV3OneCore
    AsciiChar const* getPluginName() const noexcept override { return mKind == Kind::kSCALE ? "FakeScale" : "FakeOp"; }
    AsciiChar const* getPluginVersion() const noexcept override { return kVERSION; }
    AsciiChar const* getPluginNamespace() const noexcept override { return kNAMESPACE; }

    // IPluginV3OneBuild
    int32_t configurePlugin(DynamicPluginTensorDesc const* in, int32_t nbInputs, DynamicPluginTensorDesc const*,
            int32_t nbOutputs) noexcept override {
        return nbInputs == 1 && nbOutputs == 1 && in[0].min.nbDims == in[0].max.nbDims ? 0 : -1;
    }
    int32_t getOutputDataTypes(DataType* outputTypes, int32_t nbOutputs, DataType const* inputTypes,
            int32_t nbInputs) const noexcept override {
        if (nbInputs != 1 || nbOutputs != 1) return -1;
        outputTypes[0] = inputTypes[0];
        return 0;
    }
    int32_t getOutputShapes(DimsExprs const* inputs, int32_t nbInputs, DimsExprs const*, int32_t, DimsExprs* outputs,
            int32_t nbOutputs, IExprBuilder& builder) noexcept override {
        if (nbInputs != 1 || nbOutputs != 1 || inputs[0].nbDims < 1) return -1;
        if (mKind == Kind::kSCALE) {
            outputs[0] = inputs[0];
            outputs[0].d[0] = builder.operation(DimensionOperation::kPROD, *inputs[0].d[0], *builder.constant(mK));
            return 0;
        }
        if (inputs[0].nbDims != 2) {
            logError("FakeOp: input must have rank 2");
            return -1;
        }
        outputs[0].nbDims = 1;
        try {
            outputs[0].d[0] =
                    mOp < 0 ? builder.declareSizeTensor(0, *inputs[0].d[0], *inputs[0].d[1])
                            : builder.operation(static_cast<DimensionOperation>(mOp), *inputs[0].d[0], *inputs[0].d[1]);
        } catch (...) {
            return -1;
        }
        return 0;
    }
    bool supportsFormatCombination(
            int32_t pos, DynamicPluginTensorDesc const* inOut, int32_t nbInputs, int32_t nbOutputs) noexcept override {
        if (nbInputs != 1 || nbOutputs != 1 || inOut[pos].desc.format != TensorFormat::kLINEAR) return false;
        if (pos == 0) return inOut[0].desc.type == DataType::kFLOAT || inOut[0].desc.type == DataType::kHALF;
        return inOut[pos].desc.type == inOut[0].desc.type;
    }
    int32_t getNbOutputs() const noexcept override { return 1; }
    size_t getWorkspaceSize(
            DynamicPluginTensorDesc const*, int32_t, DynamicPluginTensorDesc const*, int32_t) const noexcept override {
        return static_cast<size_t>(mK) * 64;
    }

    // IPluginV3OneRuntime
    int32_t onShapeChange(PluginTensorDesc const* in, int32_t nbInputs, PluginTensorDesc const* out,
            int32_t nbOutputs) noexcept override {
        if (nbInputs != 1 || nbOutputs != 1 || mKind != Kind::kSCALE) return -1;
        if (out[0].dims.nbDims != in[0].dims.nbDims || out[0].dims.d[0] != in[0].dims.d[0] * mK) {
            logError("FakeScale: output shape does not match input shape * k");
            return -1;
        }
        mElements = 1;
        for (int32_t i = 0; i < in[0].dims.nbDims; ++i)
            mElements *= in[0].dims.d[i];
        return 0;
    }
    int32_t enqueue(PluginTensorDesc const* inputDesc, PluginTensorDesc const*, void const* const* inputs,
            void* const* outputs, void*, cudaStream_t) noexcept override {
        if (inputDesc[0].type != DataType::kFLOAT) {
            logError("FakeScale: enqueue supports only kFLOAT");
            return -1;
        }
        auto const* in = static_cast<float const*>(inputs[0]);
        auto* out = static_cast<float*>(outputs[0]);
        for (int64_t i = 0; i < mElements * mK; ++i)
            out[i] = in[i % mElements] * mAlpha;
        return 0;
    }
    IPluginV3* attachToContext(IPluginResourceContext*) noexcept override { return clone(); }
    PluginFieldCollection const* getFieldsToSerialize() noexcept override {
        mFields.clear();
        if (mKind == Kind::kSCALE) {
            mFields.emplace_back("k", &mK, PluginFieldType::kINT32, 1);
            mFields.emplace_back("alpha", &mAlpha, PluginFieldType::kFLOAT32, 1);
        } else {
            mFields.emplace_back("op", &mOp, PluginFieldType::kINT32, 1);
        }
        mCollection = PluginFieldCollection{static_cast<int32_t>(mFields.size()), mFields.data()};
        return &mCollection;
    }

private:
    Kind mKind;
    int32_t mK;
    float mAlpha;
    int32_t mOp;
    int64_t mElements{0};
    std::vector<PluginField> mFields;
    PluginFieldCollection mCollection{};
};

// ---- creators ----------------------------------------------------------------------------------------------------

class FakeCreator final : public IPluginCreatorV3One {
public:
    explicit FakeCreator(Kind kind) : mKind(kind) {
        if (kind == Kind::kSCALE) {
            mFields.emplace_back("k", nullptr, PluginFieldType::kINT32, 1);
            mFields.emplace_back("alpha", nullptr, PluginFieldType::kFLOAT32, 1);
        } else {
            mFields.emplace_back("op", nullptr, PluginFieldType::kINT32, 1);
        }
        mCollection = PluginFieldCollection{static_cast<int32_t>(mFields.size()), mFields.data()};
    }

    IPluginV3* createPlugin(AsciiChar const*, PluginFieldCollection const* fc, TensorRTPhase) noexcept override {
        int32_t k = 0;
        float alpha = 1.0F;
        int32_t op = 0;
        bool hasK = false, hasAlpha = false, hasOp = false;
        bool const ok = mKind == Kind::kSCALE ? readField(fc, "k", PluginFieldType::kINT32, &k, sizeof(k), hasK) &&
                                                        readField(fc, "alpha", PluginFieldType::kFLOAT32, &alpha,
                                                                sizeof(alpha), hasAlpha)
                                              : readField(fc, "op", PluginFieldType::kINT32, &op, sizeof(op), hasOp);
        if (!ok) return nullptr;
        if (mKind == Kind::kSCALE && !hasK) {
            logError("FakeScale: missing required field 'k'");
            return nullptr;
        }
        if (mKind == Kind::kOP && !hasOp) {
            logError("FakeOp: missing required field 'op'");
            return nullptr;
        }
        if (mKind == Kind::kSCALE && k < 1) {
            logError("FakeScale: field 'k' must be >= 1, got " + std::to_string(k));
            return nullptr;
        }
        return new (std::nothrow) FakePlugin(mKind, k, alpha, op);
    }
    PluginFieldCollection const* getFieldNames() noexcept override { return &mCollection; }
    AsciiChar const* getPluginName() const noexcept override { return mKind == Kind::kSCALE ? "FakeScale" : "FakeOp"; }
    AsciiChar const* getPluginVersion() const noexcept override { return kVERSION; }
    AsciiChar const* getPluginNamespace() const noexcept override { return kNAMESPACE; }

private:
    Kind mKind;
    std::vector<PluginField> mFields;
    PluginFieldCollection mCollection{};
};

} // namespace

FAKE_API void setLoggerFinder(ILoggerFinder* finder) {
    gFinder = finder;
    gLayout = finder ? layoutFor(finderLibVersion(finder)) : LoggerLayout::kUNKNOWN;
}

FAKE_API IPluginCreatorInterface* const* getCreators(int32_t& nbCreators) {
    static FakeCreator scale(Kind::kSCALE);
    static FakeCreator op(Kind::kOP);
    static IPluginCreatorInterface* const creators[] = {&scale, &op};
    nbCreators = 2;
    return creators;
}
