// plugingen/trt_abi.h -- declaration-only description of the TensorRT plugin ABI (IPluginV3 family).
//
// Written by the plugingen authors from the fact sheet research/trt_plugin_abi.md (cited below as "§n"); it
// contains no NVIDIA header text. It declares exactly what a V3 plugin library touches, with the same names,
// namespaces (so RTTI names match), signatures, noexcept/const, class layouts and virtual-method order as
// TensorRT 10.x / 11.x and TensorRT-RTX, so a plugin compiled against it is binary compatible with those
// libraries, and code written against it compiles unchanged against the real NvInferRuntime.h.
//
// Not declared: ILogger / ILoggerFinder (layout differs between TensorRT 10 and 11, §5.5-5.6; a plugin must
// pick the layout at run time) and IPluginRegistry (§5.7; a plugin never calls it).
// tests/abi/layout_test.cpp checks every size, offset, enum value and vtable slot below.
#pragma once

#include <cstddef>
#include <cstdint>

// §0: an opaque pointer, declared exactly like the CUDA runtime headers do (a repeated identical typedef is fine).
typedef struct CUstream_st* cudaStream_t;

namespace nvinfer1
{

// §1 Basic types ---------------------------------------------------------------------------------------------

using char_t = char;
using AsciiChar = char_t;
using InterfaceKind = char const*;
using AllocatorFlags = uint32_t;

//! §1: 16 bytes, trivially copyable (returned in RAX:RDX); never give it user-provided copy/dtor.
class InterfaceInfo
{
public:
    InterfaceKind kind;
    int32_t major;
    int32_t minor;
};

//! §1: nbDims @0, d @8; 72 bytes. nbDims == -1 means unknown rank.
class Dims64
{
public:
    static constexpr int32_t MAX_DIMS{8};
    int32_t nbDims;
    int64_t d[MAX_DIMS];
};
using Dims = Dims64;

// §3 Enumerations --------------------------------------------------------------------------------------------

enum class DataType : int32_t
{
    kFLOAT = 0,
    kHALF = 1,
    kINT8 = 2,
    kINT32 = 3,
    kBOOL = 4,
    kUINT8 = 5,
    kFP8 = 6,
    kBF16 = 7,
    kINT64 = 8,
    kINT4 = 9,
    kFP4 = 10,
    kE8M0 = 11,
};

enum class TensorFormat : int32_t
{
    kLINEAR = 0,
    kCHW2 = 1,
    kHWC8 = 2,
    kCHW4 = 3,
    kCHW16 = 4,
    kCHW32 = 5,
    kDHWC8 = 6,
    kCDHW32 = 7,
    kHWC = 8,
    kDLA_LINEAR = 9,
    kDLA_HWC4 = 10,
    kHWC16 = 11,
    kDHWC = 12,
};
using PluginFormat = TensorFormat;

enum class PluginFieldType : int32_t
{
    kFLOAT16 = 0,
    kFLOAT32 = 1,
    kFLOAT64 = 2,
    kINT8 = 3,
    kINT16 = 4,
    kINT32 = 5,
    kCHAR = 6,
    kDIMS = 7,
    kUNKNOWN = 8,
    kBF16 = 9,
    kINT64 = 10,
    kFP8 = 11,
    kINT4 = 12,
    kFP4 = 13,
};

enum class TensorRTPhase : int32_t
{
    kBUILD = 0,
    kRUNTIME = 1,
};

enum class PluginCapabilityType : int32_t
{
    kCORE = 0,
    kBUILD = 1,
    kRUNTIME = 2,
};

enum class APILanguage : int32_t
{
    kCPP = 0,
    kPYTHON = 1,
};

enum class DimensionOperation : int32_t
{
    kSUM = 0,
    kPROD = 1,
    kMAX = 2,
    kMIN = 3,
    kSUB = 4,
    kEQUAL = 5,
    kLESS = 6,
    kFLOOR_DIV = 7,
    kCEIL_DIV = 8,
};

enum class ErrorCode : int32_t
{
    kSUCCESS = 0,
    kUNSPECIFIED_ERROR = 1,
    kINTERNAL_ERROR = 2,
    kINVALID_ARGUMENT = 3,
    kINVALID_CONFIG = 4,
    kFAILED_ALLOCATION = 5,
    kFAILED_INITIALIZATION = 6,
    kFAILED_EXECUTION = 7,
    kFAILED_COMPUTATION = 8,
    kINVALID_STATE = 9,
    kUNSUPPORTED_STATE = 10,
};

enum class AllocatorFlag : int32_t
{
    kRESIZABLE = 0,
};

enum class TensorLocation : int32_t
{
    kDEVICE = 0,
    kHOST = 1,
};

// §2 Data structures -----------------------------------------------------------------------------------------

//! §2: name @0, data @8, type @16, length @20; 24 bytes.
class PluginField
{
public:
    AsciiChar const* name;
    void const* data;
    PluginFieldType type;
    int32_t length;

    PluginField(AsciiChar const* const name_ = nullptr, void const* const data_ = nullptr,
        PluginFieldType const type_ = PluginFieldType::kUNKNOWN, int32_t const length_ = 0) noexcept
        : name(name_)
        , data(data_)
        , type(type_)
        , length(length_)
    {
    }
};

//! §2: nbFields @0, fields @8; 16 bytes.
struct PluginFieldCollection
{
    int32_t nbFields;
    PluginField const* fields;
};

//! §2: dims @0, type @72, format @76, scale @80; 88 bytes. scale is -1.0F unless the tensor is kINT8.
struct PluginTensorDesc
{
    Dims dims;
    DataType type;
    TensorFormat format;
    float scale;
};

// forward declarations -----------------------------------------------------------------------------------------

class IDimensionExpr;
class IExprBuilder;
class ILoggerFinder; // §5.6: TensorRT-side; layout differs between 10 and 11, never called through this type
class ILogger;       // §5.5: same

// §4.1 IVersionedInterface: root of every V3 interface. Slots: 0 getAPILanguage, 1 getInterfaceInfo, 2-3 dtor.
class IVersionedInterface
{
public:
    virtual APILanguage getAPILanguage() const noexcept
    {
        return APILanguage::kCPP;
    }

    virtual InterfaceInfo getInterfaceInfo() const noexcept = 0;

    virtual ~IVersionedInterface() noexcept = default;

protected:
    IVersionedInterface() = default;
    IVersionedInterface(IVersionedInterface const&) = default;
    IVersionedInterface(IVersionedInterface&&) = default;
    IVersionedInterface& operator=(IVersionedInterface const&) & = default;
    IVersionedInterface& operator=(IVersionedInterface&&) & = default;
};

// §5.8 INoCopy: only a virtual destructor (slots 0-1); base of IDimensionExpr and IExprBuilder.
class INoCopy
{
protected:
    INoCopy() = default;
    virtual ~INoCopy() = default;
    INoCopy(INoCopy const& other) = delete;
    INoCopy& operator=(INoCopy const& other) = delete;
    INoCopy(INoCopy&& other) = delete;
    INoCopy& operator=(INoCopy&& other) = delete;
};

// §5.1 implementation classes behind IDimensionExpr / IExprBuilder (TensorRT implements them; no noexcept).
namespace apiv
{

//! §5.1 VRoot: slots 0-1 dtor.
class VRoot
{
public:
    virtual ~VRoot() noexcept = default;
};

//! §5.1 VDimensionExpr: slots 2 isConstant, 3 getConstantValue, 4 isSizeTensor.
class VDimensionExpr : public VRoot
{
public:
    virtual bool isConstant() const = 0;
    virtual int64_t getConstantValue() const = 0;
    virtual bool isSizeTensor() const = 0;
};

//! §5.1 VExprBuilder: slots 2 constant, 3 operation, 4 declareSizeTensor.
class VExprBuilder : public VRoot
{
public:
    virtual IDimensionExpr const* constant(int64_t value) = 0;
    virtual IDimensionExpr const* operation(
        DimensionOperation op, IDimensionExpr const& first, IDimensionExpr const& second)
        = 0;
    virtual IDimensionExpr const* declareSizeTensor(
        int32_t outputIndex, IDimensionExpr const& opt, IDimensionExpr const& upper)
        = 0;
};

} // namespace apiv

//! §5.1 IDimensionExpr: vptr @0, mImpl @8; 16 bytes. Non-virtual members forward to mImpl.
//! A host (TensorRT, or plugingen's test host) subclasses it and sets mImpl.
class IDimensionExpr : public INoCopy
{
public:
    bool isConstant() const noexcept
    {
        return mImpl->isConstant();
    }

    int64_t getConstantValue() const noexcept
    {
        return mImpl->getConstantValue();
    }

    bool isSizeTensor() const noexcept
    {
        return mImpl->isSizeTensor();
    }

protected:
    IDimensionExpr() = default;
    virtual ~IDimensionExpr() noexcept = default;

    apiv::VDimensionExpr* mImpl{nullptr};
};

//! §5.1 IExprBuilder: vptr @0, mImpl @8; 16 bytes. Non-virtual members forward to mImpl.
class IExprBuilder : public INoCopy
{
public:
    IDimensionExpr const* constant(int64_t value) noexcept
    {
        return mImpl->constant(value);
    }

    IDimensionExpr const* operation(
        DimensionOperation op, IDimensionExpr const& first, IDimensionExpr const& second) noexcept
    {
        return mImpl->operation(op, first, second);
    }

    //! Not noexcept, like TensorRT's. Argument order: index, opt, upper.
    IDimensionExpr const* declareSizeTensor(
        int32_t outputIndex, IDimensionExpr const& opt, IDimensionExpr const& upper)
    {
        return mImpl->declareSizeTensor(outputIndex, opt, upper);
    }

protected:
    IExprBuilder() = default;
    virtual ~IExprBuilder() noexcept = default;

    apiv::VExprBuilder* mImpl{nullptr};
};

//! §2: nbDims @0, d @8; 72 bytes.
class DimsExprs
{
public:
    int32_t nbDims;
    IDimensionExpr const* d[Dims::MAX_DIMS];
};

//! §2: desc @0, min @88, max @160, opt @232; 304 bytes.
struct DynamicPluginTensorDesc
{
    PluginTensorDesc desc;
    Dims min;
    Dims max;
    Dims opt;
};

namespace v_1_0
{

// §5.3 IGpuAllocator: slots 4 allocate, 5 reallocate, 6 deallocate, 7 allocateAsync, 8 deallocateAsync.
// The destructor is declared after allocate() but overrides slots 2-3.
class IGpuAllocator : public IVersionedInterface
{
public:
    virtual void* allocate(uint64_t const size, uint64_t const alignment, AllocatorFlags const flags) noexcept = 0;

    ~IGpuAllocator() override = default;
    IGpuAllocator() = default;

    virtual void* reallocate(void* const /*baseAddr*/, uint64_t /*alignment*/, uint64_t /*newSize*/) noexcept
    {
        return nullptr;
    }

    virtual bool deallocate(void* const memory) noexcept = 0;

    virtual void* allocateAsync(
        uint64_t const size, uint64_t const alignment, AllocatorFlags const flags, cudaStream_t /*stream*/) noexcept
    {
        return allocate(size, alignment, flags);
    }

    virtual bool deallocateAsync(void* const memory, cudaStream_t /*stream*/) noexcept
    {
        return deallocate(memory);
    }

    InterfaceInfo getInterfaceInfo() const noexcept override
    {
        return InterfaceInfo{"IGpuAllocator", 1, 0};
    }

protected:
    IGpuAllocator(IGpuAllocator const&) = default;
    IGpuAllocator(IGpuAllocator&&) = default;
    IGpuAllocator& operator=(IGpuAllocator const&) & = default;
    IGpuAllocator& operator=(IGpuAllocator&&) & = default;
};

// §5.4 IErrorRecorder: slots 4 getNbErrors ... 11 decRefCount.
class IErrorRecorder : public IVersionedInterface
{
public:
    using ErrorDesc = char const*;
    static constexpr size_t kMAX_DESC_LENGTH{127U};
    using RefCount = int32_t;

    InterfaceInfo getInterfaceInfo() const noexcept override
    {
        return InterfaceInfo{"IErrorRecorder", 1, 0};
    }

    virtual int32_t getNbErrors() const noexcept = 0;
    virtual ErrorCode getErrorCode(int32_t errorIdx) const noexcept = 0;
    virtual ErrorDesc getErrorDesc(int32_t errorIdx) const noexcept = 0;
    virtual bool hasOverflowed() const noexcept = 0;
    virtual void clear() noexcept = 0;
    virtual bool reportError(ErrorCode val, ErrorDesc desc) noexcept = 0;
    virtual RefCount incRefCount() noexcept = 0;
    virtual RefCount decRefCount() noexcept = 0;

protected:
    IErrorRecorder() = default;
    IErrorRecorder(IErrorRecorder const&) = default;
    IErrorRecorder(IErrorRecorder&&) = default;
    IErrorRecorder& operator=(IErrorRecorder const&) & = default;
    IErrorRecorder& operator=(IErrorRecorder&&) & = default;
};

} // namespace v_1_0

using IGpuAllocator = v_1_0::IGpuAllocator;
using IErrorRecorder = v_1_0::IErrorRecorder;

// §5.2 IPluginResourceContext (not an IVersionedInterface): slots 0 getGpuAllocator, 1 getErrorRecorder, 2-3 dtor.
class IPluginResourceContext
{
public:
    virtual IGpuAllocator* getGpuAllocator() const noexcept = 0;
    virtual IErrorRecorder* getErrorRecorder() const noexcept = 0;
    virtual ~IPluginResourceContext() noexcept = default;

protected:
    IPluginResourceContext() = default;
    IPluginResourceContext(IPluginResourceContext const&) = default;
    IPluginResourceContext(IPluginResourceContext&&) = default;
    IPluginResourceContext& operator=(IPluginResourceContext const&) & = default;
    IPluginResourceContext& operator=(IPluginResourceContext&&) & = default;
};

namespace v_1_0
{

// §4.3 IPluginCapability: no new virtuals; base of the Core / Build / Runtime capabilities.
class IPluginCapability : public IVersionedInterface
{
protected:
    IPluginCapability() = default;
    IPluginCapability(IPluginCapability const&) = default;
    IPluginCapability(IPluginCapability&&) = default;
    IPluginCapability& operator=(IPluginCapability const&) & = default;
    IPluginCapability& operator=(IPluginCapability&&) & = default;
};

// §4.10 IPluginResource: slots 4 release, 5 clone.
class IPluginResource : public IVersionedInterface
{
public:
    InterfaceInfo getInterfaceInfo() const noexcept override
    {
        return InterfaceInfo{"IPluginResource", 1, 0};
    }

    virtual int32_t release() noexcept = 0;
    virtual IPluginResource* clone() noexcept = 0;

protected:
    IPluginResource() = default;
    IPluginResource(IPluginResource const&) = default;
    IPluginResource(IPluginResource&&) = default;
    IPluginResource& operator=(IPluginResource const&) & = default;
    IPluginResource& operator=(IPluginResource&&) & = default;
};

// §4.8 IPluginCreatorInterface: no new virtuals; re-declares the destructor.
class IPluginCreatorInterface : public IVersionedInterface
{
public:
    ~IPluginCreatorInterface() noexcept override = default;

protected:
    IPluginCreatorInterface() = default;
    IPluginCreatorInterface(IPluginCreatorInterface const&) = default;
    IPluginCreatorInterface(IPluginCreatorInterface&&) = default;
    IPluginCreatorInterface& operator=(IPluginCreatorInterface const&) & = default;
    IPluginCreatorInterface& operator=(IPluginCreatorInterface&&) & = default;
};

// §4.4 IPluginV3: slots 4 getCapabilityInterface, 5 clone. TensorRT deletes plugins through slot 3 (D0).
class IPluginV3 : public IVersionedInterface
{
public:
    InterfaceInfo getInterfaceInfo() const noexcept override
    {
        return InterfaceInfo{"PLUGIN", 1, 0};
    }

    //! Must return the matching base sub-object (static_cast<IPluginV3OneBuild*>(this) etc.).
    virtual IPluginCapability* getCapabilityInterface(PluginCapabilityType type) noexcept = 0;

    virtual IPluginV3* clone() noexcept = 0;
};

// §4.5 IPluginV3OneCore: slots 4 getPluginName, 5 getPluginVersion, 6 getPluginNamespace.
class IPluginV3OneCore : public IPluginCapability
{
public:
    InterfaceInfo getInterfaceInfo() const noexcept override
    {
        return InterfaceInfo{"PLUGIN_V3ONE_CORE", 1, 0};
    }

    virtual AsciiChar const* getPluginName() const noexcept = 0;
    virtual AsciiChar const* getPluginVersion() const noexcept = 0;
    virtual AsciiChar const* getPluginNamespace() const noexcept = 0;
};

// §4.6 IPluginV3OneBuild (v1): slots 4 configurePlugin ... 14 getMetadataString. Defaulted slots are real slots.
class IPluginV3OneBuild : public IPluginCapability
{
public:
    static constexpr int32_t kDEFAULT_FORMAT_COMBINATION_LIMIT = 100;

    InterfaceInfo getInterfaceInfo() const noexcept override
    {
        return InterfaceInfo{"PLUGIN_V3ONE_BUILD", 1, 0};
    }

    virtual int32_t configurePlugin(DynamicPluginTensorDesc const* in, int32_t nbInputs,
        DynamicPluginTensorDesc const* out, int32_t nbOutputs) noexcept = 0;

    virtual int32_t getOutputDataTypes(
        DataType* outputTypes, int32_t nbOutputs, DataType const* inputTypes, int32_t nbInputs) const noexcept = 0;

    virtual int32_t getOutputShapes(DimsExprs const* inputs, int32_t nbInputs, DimsExprs const* shapeInputs,
        int32_t nbShapeInputs, DimsExprs* outputs, int32_t nbOutputs, IExprBuilder& exprBuilder) noexcept = 0;

    virtual bool supportsFormatCombination(
        int32_t pos, DynamicPluginTensorDesc const* inOut, int32_t nbInputs, int32_t nbOutputs) noexcept = 0;

    virtual int32_t getNbOutputs() const noexcept = 0;

    virtual size_t getWorkspaceSize(DynamicPluginTensorDesc const* /*inputs*/, int32_t /*nbInputs*/,
        DynamicPluginTensorDesc const* /*outputs*/, int32_t /*nbOutputs*/) const noexcept
    {
        return 0;
    }

    virtual int32_t getValidTactics(int32_t* /*tactics*/, int32_t /*nbTactics*/) noexcept
    {
        return 0;
    }

    virtual int32_t getNbTactics() noexcept
    {
        return 0;
    }

    virtual char const* getTimingCacheID() noexcept
    {
        return nullptr;
    }

    virtual int32_t getFormatCombinationLimit() noexcept
    {
        return kDEFAULT_FORMAT_COMBINATION_LIMIT;
    }

    virtual char const* getMetadataString() noexcept
    {
        return nullptr;
    }
};

// §4.7 IPluginV3OneRuntime: slots 4 setTactic, 5 onShapeChange, 6 enqueue, 7 attachToContext,
// 8 getFieldsToSerialize.
class IPluginV3OneRuntime : public IPluginCapability
{
public:
    InterfaceInfo getInterfaceInfo() const noexcept override
    {
        return InterfaceInfo{"PLUGIN_V3ONE_RUNTIME", 1, 0};
    }

    virtual int32_t setTactic(int32_t /*tactic*/) noexcept
    {
        return 0;
    }

    virtual int32_t onShapeChange(
        PluginTensorDesc const* in, int32_t nbInputs, PluginTensorDesc const* out, int32_t nbOutputs) noexcept = 0;

    virtual int32_t enqueue(PluginTensorDesc const* inputDesc, PluginTensorDesc const* outputDesc,
        void const* const* inputs, void* const* outputs, void* workspace, cudaStream_t stream) noexcept = 0;

    virtual IPluginV3* attachToContext(IPluginResourceContext* context) noexcept = 0;

    virtual PluginFieldCollection const* getFieldsToSerialize() noexcept = 0;
};

// §4.9 IPluginCreatorV3One: slots 4 createPlugin, 5 getFieldNames, 6 getPluginName, 7 getPluginVersion,
// 8 getPluginNamespace. Kind "PLUGIN CREATOR_V3ONE" (a space, not an underscore).
class IPluginCreatorV3One : public IPluginCreatorInterface
{
public:
    InterfaceInfo getInterfaceInfo() const noexcept override
    {
        return InterfaceInfo{"PLUGIN CREATOR_V3ONE", 1, 0};
    }

    virtual IPluginV3* createPlugin(
        AsciiChar const* name, PluginFieldCollection const* fc, TensorRTPhase phase) noexcept = 0;

    virtual PluginFieldCollection const* getFieldNames() noexcept = 0;
    virtual AsciiChar const* getPluginName() const noexcept = 0;
    virtual AsciiChar const* getPluginVersion() const noexcept = 0;
    virtual AsciiChar const* getPluginNamespace() const noexcept = 0;

    IPluginCreatorV3One() = default;
    virtual ~IPluginCreatorV3One() = default;

protected:
    IPluginCreatorV3One(IPluginCreatorV3One const&) = default;
    IPluginCreatorV3One(IPluginCreatorV3One&&) = default;
    IPluginCreatorV3One& operator=(IPluginCreatorV3One const&) & = default;
    IPluginCreatorV3One& operator=(IPluginCreatorV3One&&) & = default;
};

} // namespace v_1_0

namespace v_2_0
{

// §4.6 IPluginV3OneBuild v2 (TensorRT 10.3+): kind {"PLUGIN_V3ONE_BUILD", 2, 0}; appends slot 15 getAliasedInput.
class IPluginV3OneBuild : public v_1_0::IPluginV3OneBuild
{
public:
    InterfaceInfo getInterfaceInfo() const noexcept override
    {
        return InterfaceInfo{"PLUGIN_V3ONE_BUILD", 2, 0};
    }

    virtual int32_t getAliasedInput(int32_t /*outputIndex*/) noexcept
    {
        return -1;
    }
};

} // namespace v_2_0

using IPluginCapability = v_1_0::IPluginCapability;
using IPluginResource = v_1_0::IPluginResource;
using IPluginCreatorInterface = v_1_0::IPluginCreatorInterface;
using IPluginV3 = v_1_0::IPluginV3;
using IPluginV3OneCore = v_1_0::IPluginV3OneCore;
using IPluginV3OneBuild = v_1_0::IPluginV3OneBuild;
using IPluginV3OneBuildV2 = v_2_0::IPluginV3OneBuild;
using IPluginV3OneRuntime = v_1_0::IPluginV3OneRuntime;
using IPluginCreatorV3One = v_1_0::IPluginCreatorV3One;

} // namespace nvinfer1
