// Checks plugingen/trt_abi.h against research/trt_plugin_abi.md: struct layouts (§1-2), enum values (§3),
// getInterfaceInfo values and header defaults (§4), and the Itanium vtable slot of every virtual (§4, §5.1-5.4).
// Prints one line per failed check and "layout_test: N checks, M failed"; exits nonzero on any failure.
#include "plugingen/trt_abi.h"

#include <cstdio>
#include <cstring>
#include <type_traits>
#include <typeinfo>

using namespace nvinfer1;

namespace
{

int gChecks = 0;
int gFailed = 0;

void check(bool ok, char const* what, long found, long expected)
{
    ++gChecks;
    if (!ok)
    {
        ++gFailed;
        std::printf("FAIL %s: found %ld, expected %ld\n", what, found, expected);
    }
}

#define EXPECT_EQ(a, b) check(static_cast<long>(a) == static_cast<long>(b), #a, static_cast<long>(a), static_cast<long>(b))

void expectStr(char const* found, char const* expected, char const* what)
{
    ++gChecks;
    if (found == nullptr || std::strcmp(found, expected) != 0)
    {
        ++gFailed;
        std::printf("FAIL %s: found \"%s\", expected \"%s\"\n", what, found ? found : "(null)", expected);
    }
}

//! Itanium ABI: a pointer to a virtual member function is {1 + vtable byte offset, this-adjustment}.
template <typename F>
long slotOf(F f)
{
    static_assert(sizeof(F) == 2 * sizeof(uintptr_t), "Itanium member-function pointer");
    uintptr_t words[2];
    std::memcpy(words, &f, sizeof(words));
    if ((words[0] & 1U) == 0 || words[1] != 0)
    {
        return -1; // not virtual, or needs a this-adjustment: never the case for these interfaces
    }
    return static_cast<long>((words[0] - 1) / sizeof(void*));
}

#define EXPECT_SLOT(member, slot) check(slotOf(&member) == (slot), "slot of " #member, slotOf(&member), (slot))

void expectInfo(InterfaceInfo info, char const* kind, int32_t major, int32_t minor, char const* what)
{
    expectStr(info.kind, kind, what);
    check(info.major == major && info.minor == minor, what, info.major * 100 + info.minor, major * 100 + minor);
}

//! Calls vtable entry `slot` of `object` as the deleting destructor and reports whether the object died.
bool gDestroyed = false;
template <typename T>
void expectDeletingDtorSlot(T* object, long slot, char const* what)
{
    gDestroyed = false;
    void** vtable = *reinterpret_cast<void***>(object);
    reinterpret_cast<void (*)(T*)>(vtable[slot])(object);
    check(gDestroyed, what, gDestroyed ? slot : -1, slot);
}

// Minimal concrete implementations, only to read header-defined values and destructor slots.
struct Core final : IPluginV3OneCore
{
    AsciiChar const* getPluginName() const noexcept override { return ""; }
    AsciiChar const* getPluginVersion() const noexcept override { return ""; }
    AsciiChar const* getPluginNamespace() const noexcept override { return ""; }
};

template <typename Base>
struct Build final : Base
{
    int32_t configurePlugin(DynamicPluginTensorDesc const*, int32_t, DynamicPluginTensorDesc const*, int32_t) noexcept override { return 0; }
    int32_t getOutputDataTypes(DataType*, int32_t, DataType const*, int32_t) const noexcept override { return 0; }
    int32_t getOutputShapes(DimsExprs const*, int32_t, DimsExprs const*, int32_t, DimsExprs*, int32_t, IExprBuilder&) noexcept override { return 0; }
    bool supportsFormatCombination(int32_t, DynamicPluginTensorDesc const*, int32_t, int32_t) noexcept override { return false; }
    int32_t getNbOutputs() const noexcept override { return 0; }
};

struct Runtime final : IPluginV3OneRuntime
{
    int32_t onShapeChange(PluginTensorDesc const*, int32_t, PluginTensorDesc const*, int32_t) noexcept override { return 0; }
    int32_t enqueue(PluginTensorDesc const*, PluginTensorDesc const*, void const* const*, void* const*, void*, cudaStream_t) noexcept override { return 0; }
    IPluginV3* attachToContext(IPluginResourceContext*) noexcept override { return nullptr; }
    PluginFieldCollection const* getFieldsToSerialize() noexcept override { return nullptr; }
};

struct Plugin final : IPluginV3
{
    ~Plugin() override { gDestroyed = true; }
    IPluginCapability* getCapabilityInterface(PluginCapabilityType) noexcept override { return nullptr; }
    IPluginV3* clone() noexcept override { return nullptr; }
};

struct Creator final : IPluginCreatorV3One
{
    ~Creator() override { gDestroyed = true; }
    IPluginV3* createPlugin(AsciiChar const*, PluginFieldCollection const*, TensorRTPhase) noexcept override { return nullptr; }
    PluginFieldCollection const* getFieldNames() noexcept override { return nullptr; }
    AsciiChar const* getPluginName() const noexcept override { return ""; }
    AsciiChar const* getPluginVersion() const noexcept override { return ""; }
    AsciiChar const* getPluginNamespace() const noexcept override { return ""; }
};

struct Context final : IPluginResourceContext
{
    ~Context() override { gDestroyed = true; }
    IGpuAllocator* getGpuAllocator() const noexcept override { return nullptr; }
    IErrorRecorder* getErrorRecorder() const noexcept override { return nullptr; }
};

struct ExprImpl final : apiv::VDimensionExpr
{
    ~ExprImpl() override { gDestroyed = true; }
    bool isConstant() const override { return true; }
    int64_t getConstantValue() const override { return 42; }
    bool isSizeTensor() const override { return false; }
};

struct Expr final : IDimensionExpr
{
    explicit Expr(apiv::VDimensionExpr* impl) { mImpl = impl; }
    ~Expr() override { gDestroyed = true; }
};

struct Resource final : IPluginResource
{
    int32_t release() noexcept override { return 0; }
    IPluginResource* clone() noexcept override { return nullptr; }
};

struct Allocator final : IGpuAllocator
{
    void* allocate(uint64_t, uint64_t, AllocatorFlags) noexcept override { return nullptr; }
    bool deallocate(void*) noexcept override { return false; }
};

void checkLayouts()
{
    // §1
    EXPECT_EQ(sizeof(char_t), 1);
    EXPECT_EQ(sizeof(AsciiChar), 1);
    EXPECT_EQ(sizeof(InterfaceKind), 8);
    EXPECT_EQ(sizeof(InterfaceInfo), 16);
    EXPECT_EQ(alignof(InterfaceInfo), 8);
    EXPECT_EQ(offsetof(InterfaceInfo, kind), 0);
    EXPECT_EQ(offsetof(InterfaceInfo, major), 8);
    EXPECT_EQ(offsetof(InterfaceInfo, minor), 12);
    EXPECT_EQ(std::is_trivially_copyable<InterfaceInfo>::value, 1);
    EXPECT_EQ(Dims64::MAX_DIMS, 8);
    EXPECT_EQ(sizeof(Dims64), 72);
    EXPECT_EQ(alignof(Dims64), 8);
    EXPECT_EQ(offsetof(Dims64, nbDims), 0);
    EXPECT_EQ(offsetof(Dims64, d), 8);
    EXPECT_EQ(sizeof(Dims64::d[0]), 8);
    EXPECT_EQ((std::is_same<Dims, Dims64>::value), 1);
    EXPECT_EQ(sizeof(AllocatorFlags), 4);
    EXPECT_EQ((std::is_same<PluginFormat, TensorFormat>::value), 1);
    EXPECT_EQ(sizeof(cudaStream_t), 8);
    // §2
    EXPECT_EQ(sizeof(PluginField), 24);
    EXPECT_EQ(alignof(PluginField), 8);
    EXPECT_EQ(offsetof(PluginField, name), 0);
    EXPECT_EQ(offsetof(PluginField, data), 8);
    EXPECT_EQ(offsetof(PluginField, type), 16);
    EXPECT_EQ(offsetof(PluginField, length), 20);
    PluginField const defaulted;
    EXPECT_EQ(defaulted.name == nullptr && defaulted.data == nullptr, 1);
    EXPECT_EQ(defaulted.type, PluginFieldType::kUNKNOWN);
    EXPECT_EQ(defaulted.length, 0);
    EXPECT_EQ(sizeof(PluginFieldCollection), 16);
    EXPECT_EQ(alignof(PluginFieldCollection), 8);
    EXPECT_EQ(offsetof(PluginFieldCollection, nbFields), 0);
    EXPECT_EQ(offsetof(PluginFieldCollection, fields), 8);
    EXPECT_EQ(sizeof(PluginTensorDesc), 88);
    EXPECT_EQ(alignof(PluginTensorDesc), 8);
    EXPECT_EQ(offsetof(PluginTensorDesc, dims), 0);
    EXPECT_EQ(offsetof(PluginTensorDesc, type), 72);
    EXPECT_EQ(offsetof(PluginTensorDesc, format), 76);
    EXPECT_EQ(offsetof(PluginTensorDesc, scale), 80);
    EXPECT_EQ(sizeof(DynamicPluginTensorDesc), 304);
    EXPECT_EQ(alignof(DynamicPluginTensorDesc), 8);
    EXPECT_EQ(offsetof(DynamicPluginTensorDesc, desc), 0);
    EXPECT_EQ(offsetof(DynamicPluginTensorDesc, min), 88);
    EXPECT_EQ(offsetof(DynamicPluginTensorDesc, max), 160);
    EXPECT_EQ(offsetof(DynamicPluginTensorDesc, opt), 232);
    EXPECT_EQ(sizeof(DimsExprs), 72);
    EXPECT_EQ(alignof(DimsExprs), 8);
    EXPECT_EQ(offsetof(DimsExprs, nbDims), 0);
    EXPECT_EQ(offsetof(DimsExprs, d), 8);
    // §5.1 wrappers: vptr + mImpl
    EXPECT_EQ(sizeof(IDimensionExpr), 16);
    EXPECT_EQ(sizeof(IExprBuilder), 16);
    EXPECT_EQ(sizeof(INoCopy), 8);
    EXPECT_EQ(sizeof(IVersionedInterface), 8);
}

template <typename E>
constexpr bool isInt32Enum()
{
    return std::is_same<typename std::underlying_type<E>::type, int32_t>::value;
}

void checkEnums()
{
    static_assert(isInt32Enum<DataType>() && isInt32Enum<TensorFormat>() && isInt32Enum<PluginFieldType>()
            && isInt32Enum<TensorRTPhase>() && isInt32Enum<PluginCapabilityType>() && isInt32Enum<APILanguage>()
            && isInt32Enum<DimensionOperation>() && isInt32Enum<ErrorCode>() && isInt32Enum<AllocatorFlag>()
            && isInt32Enum<TensorLocation>(),
        "every enum is int32_t");
    EXPECT_EQ(DataType::kFLOAT, 0);
    EXPECT_EQ(DataType::kHALF, 1);
    EXPECT_EQ(DataType::kINT8, 2);
    EXPECT_EQ(DataType::kINT32, 3);
    EXPECT_EQ(DataType::kBOOL, 4);
    EXPECT_EQ(DataType::kUINT8, 5);
    EXPECT_EQ(DataType::kFP8, 6);
    EXPECT_EQ(DataType::kBF16, 7);
    EXPECT_EQ(DataType::kINT64, 8);
    EXPECT_EQ(DataType::kINT4, 9);
    EXPECT_EQ(DataType::kFP4, 10);
    EXPECT_EQ(DataType::kE8M0, 11);
    EXPECT_EQ(PluginFieldType::kFLOAT16, 0);
    EXPECT_EQ(PluginFieldType::kFLOAT32, 1);
    EXPECT_EQ(PluginFieldType::kFLOAT64, 2);
    EXPECT_EQ(PluginFieldType::kINT8, 3);
    EXPECT_EQ(PluginFieldType::kINT16, 4);
    EXPECT_EQ(PluginFieldType::kINT32, 5);
    EXPECT_EQ(PluginFieldType::kCHAR, 6);
    EXPECT_EQ(PluginFieldType::kDIMS, 7);
    EXPECT_EQ(PluginFieldType::kUNKNOWN, 8);
    EXPECT_EQ(PluginFieldType::kBF16, 9);
    EXPECT_EQ(PluginFieldType::kINT64, 10);
    EXPECT_EQ(PluginFieldType::kFP8, 11);
    EXPECT_EQ(PluginFieldType::kINT4, 12);
    EXPECT_EQ(PluginFieldType::kFP4, 13);
    EXPECT_EQ(TensorFormat::kLINEAR, 0);
    EXPECT_EQ(TensorFormat::kCHW2, 1);
    EXPECT_EQ(TensorFormat::kHWC8, 2);
    EXPECT_EQ(TensorFormat::kCHW4, 3);
    EXPECT_EQ(TensorFormat::kCHW16, 4);
    EXPECT_EQ(TensorFormat::kCHW32, 5);
    EXPECT_EQ(TensorFormat::kDHWC8, 6);
    EXPECT_EQ(TensorFormat::kCDHW32, 7);
    EXPECT_EQ(TensorFormat::kHWC, 8);
    EXPECT_EQ(TensorFormat::kDLA_LINEAR, 9);
    EXPECT_EQ(TensorFormat::kDLA_HWC4, 10);
    EXPECT_EQ(TensorFormat::kHWC16, 11);
    EXPECT_EQ(TensorFormat::kDHWC, 12);
    EXPECT_EQ(TensorRTPhase::kBUILD, 0);
    EXPECT_EQ(TensorRTPhase::kRUNTIME, 1);
    EXPECT_EQ(PluginCapabilityType::kCORE, 0);
    EXPECT_EQ(PluginCapabilityType::kBUILD, 1);
    EXPECT_EQ(PluginCapabilityType::kRUNTIME, 2);
    EXPECT_EQ(APILanguage::kCPP, 0);
    EXPECT_EQ(APILanguage::kPYTHON, 1);
    EXPECT_EQ(DimensionOperation::kSUM, 0);
    EXPECT_EQ(DimensionOperation::kPROD, 1);
    EXPECT_EQ(DimensionOperation::kMAX, 2);
    EXPECT_EQ(DimensionOperation::kMIN, 3);
    EXPECT_EQ(DimensionOperation::kSUB, 4);
    EXPECT_EQ(DimensionOperation::kEQUAL, 5);
    EXPECT_EQ(DimensionOperation::kLESS, 6);
    EXPECT_EQ(DimensionOperation::kFLOOR_DIV, 7);
    EXPECT_EQ(DimensionOperation::kCEIL_DIV, 8);
    EXPECT_EQ(ErrorCode::kSUCCESS, 0);
    EXPECT_EQ(ErrorCode::kUNSPECIFIED_ERROR, 1);
    EXPECT_EQ(ErrorCode::kINTERNAL_ERROR, 2);
    EXPECT_EQ(ErrorCode::kINVALID_ARGUMENT, 3);
    EXPECT_EQ(ErrorCode::kINVALID_CONFIG, 4);
    EXPECT_EQ(ErrorCode::kFAILED_ALLOCATION, 5);
    EXPECT_EQ(ErrorCode::kFAILED_INITIALIZATION, 6);
    EXPECT_EQ(ErrorCode::kFAILED_EXECUTION, 7);
    EXPECT_EQ(ErrorCode::kFAILED_COMPUTATION, 8);
    EXPECT_EQ(ErrorCode::kINVALID_STATE, 9);
    EXPECT_EQ(ErrorCode::kUNSUPPORTED_STATE, 10);
    EXPECT_EQ(AllocatorFlag::kRESIZABLE, 0);
    EXPECT_EQ(TensorLocation::kDEVICE, 0);
    EXPECT_EQ(TensorLocation::kHOST, 1);
}

void checkSlots()
{
    // §4.1
    EXPECT_SLOT(IVersionedInterface::getAPILanguage, 0);
    EXPECT_SLOT(IVersionedInterface::getInterfaceInfo, 1);
    // §4.3, §4.4
    EXPECT_SLOT(IPluginCapability::getInterfaceInfo, 1);
    EXPECT_SLOT(IPluginV3::getAPILanguage, 0);
    EXPECT_SLOT(IPluginV3::getInterfaceInfo, 1);
    EXPECT_SLOT(IPluginV3::getCapabilityInterface, 4);
    EXPECT_SLOT(IPluginV3::clone, 5);
    // §4.5
    EXPECT_SLOT(IPluginV3OneCore::getInterfaceInfo, 1);
    EXPECT_SLOT(IPluginV3OneCore::getPluginName, 4);
    EXPECT_SLOT(IPluginV3OneCore::getPluginVersion, 5);
    EXPECT_SLOT(IPluginV3OneCore::getPluginNamespace, 6);
    // §4.6
    EXPECT_SLOT(IPluginV3OneBuild::getInterfaceInfo, 1);
    EXPECT_SLOT(IPluginV3OneBuild::configurePlugin, 4);
    EXPECT_SLOT(IPluginV3OneBuild::getOutputDataTypes, 5);
    EXPECT_SLOT(IPluginV3OneBuild::getOutputShapes, 6);
    EXPECT_SLOT(IPluginV3OneBuild::supportsFormatCombination, 7);
    EXPECT_SLOT(IPluginV3OneBuild::getNbOutputs, 8);
    EXPECT_SLOT(IPluginV3OneBuild::getWorkspaceSize, 9);
    EXPECT_SLOT(IPluginV3OneBuild::getValidTactics, 10);
    EXPECT_SLOT(IPluginV3OneBuild::getNbTactics, 11);
    EXPECT_SLOT(IPluginV3OneBuild::getTimingCacheID, 12);
    EXPECT_SLOT(IPluginV3OneBuild::getFormatCombinationLimit, 13);
    EXPECT_SLOT(IPluginV3OneBuild::getMetadataString, 14);
    EXPECT_SLOT(IPluginV3OneBuildV2::getInterfaceInfo, 1);
    EXPECT_SLOT(IPluginV3OneBuildV2::configurePlugin, 4);
    EXPECT_SLOT(IPluginV3OneBuildV2::getMetadataString, 14);
    EXPECT_SLOT(IPluginV3OneBuildV2::getAliasedInput, 15);
    // §4.7
    EXPECT_SLOT(IPluginV3OneRuntime::getInterfaceInfo, 1);
    EXPECT_SLOT(IPluginV3OneRuntime::setTactic, 4);
    EXPECT_SLOT(IPluginV3OneRuntime::onShapeChange, 5);
    EXPECT_SLOT(IPluginV3OneRuntime::enqueue, 6);
    EXPECT_SLOT(IPluginV3OneRuntime::attachToContext, 7);
    EXPECT_SLOT(IPluginV3OneRuntime::getFieldsToSerialize, 8);
    // §4.8, §4.9
    EXPECT_SLOT(IPluginCreatorInterface::getInterfaceInfo, 1);
    EXPECT_SLOT(IPluginCreatorV3One::getAPILanguage, 0);
    EXPECT_SLOT(IPluginCreatorV3One::getInterfaceInfo, 1);
    EXPECT_SLOT(IPluginCreatorV3One::createPlugin, 4);
    EXPECT_SLOT(IPluginCreatorV3One::getFieldNames, 5);
    EXPECT_SLOT(IPluginCreatorV3One::getPluginName, 6);
    EXPECT_SLOT(IPluginCreatorV3One::getPluginVersion, 7);
    EXPECT_SLOT(IPluginCreatorV3One::getPluginNamespace, 8);
    // §4.10
    EXPECT_SLOT(IPluginResource::release, 4);
    EXPECT_SLOT(IPluginResource::clone, 5);
    // §5.1
    EXPECT_SLOT(apiv::VDimensionExpr::isConstant, 2);
    EXPECT_SLOT(apiv::VDimensionExpr::getConstantValue, 3);
    EXPECT_SLOT(apiv::VDimensionExpr::isSizeTensor, 4);
    EXPECT_SLOT(apiv::VExprBuilder::constant, 2);
    EXPECT_SLOT(apiv::VExprBuilder::operation, 3);
    EXPECT_SLOT(apiv::VExprBuilder::declareSizeTensor, 4);
    // §5.2 - §5.4
    EXPECT_SLOT(IPluginResourceContext::getGpuAllocator, 0);
    EXPECT_SLOT(IPluginResourceContext::getErrorRecorder, 1);
    EXPECT_SLOT(IGpuAllocator::getInterfaceInfo, 1);
    EXPECT_SLOT(IGpuAllocator::allocate, 4);
    EXPECT_SLOT(IGpuAllocator::reallocate, 5);
    EXPECT_SLOT(IGpuAllocator::deallocate, 6);
    EXPECT_SLOT(IGpuAllocator::allocateAsync, 7);
    EXPECT_SLOT(IGpuAllocator::deallocateAsync, 8);
    EXPECT_SLOT(IErrorRecorder::getInterfaceInfo, 1);
    EXPECT_SLOT(IErrorRecorder::getNbErrors, 4);
    EXPECT_SLOT(IErrorRecorder::getErrorCode, 5);
    EXPECT_SLOT(IErrorRecorder::getErrorDesc, 6);
    EXPECT_SLOT(IErrorRecorder::hasOverflowed, 7);
    EXPECT_SLOT(IErrorRecorder::clear, 8);
    EXPECT_SLOT(IErrorRecorder::reportError, 9);
    EXPECT_SLOT(IErrorRecorder::incRefCount, 10);
    EXPECT_SLOT(IErrorRecorder::decRefCount, 11);

    // Destructors (§0: two slots at the first declaration; D0 = deleting dtor second).
    expectDeletingDtorSlot(new Plugin, 3, "IPluginV3 deleting dtor slot");
    expectDeletingDtorSlot(new Creator, 3, "IPluginCreatorV3One deleting dtor slot");
    expectDeletingDtorSlot(new Context, 3, "IPluginResourceContext deleting dtor slot");
    expectDeletingDtorSlot(new ExprImpl, 1, "apiv::VDimensionExpr deleting dtor slot");
    expectDeletingDtorSlot(new Expr(nullptr), 1, "IDimensionExpr (INoCopy) deleting dtor slot");
}

void checkValuesAndDefaults()
{
    // §4.2 getInterfaceInfo values, called through the vtable.
    Plugin plugin;
    Core core;
    Build<IPluginV3OneBuild> build1;
    Build<IPluginV3OneBuildV2> build2;
    Runtime runtime;
    Creator creator;
    Resource resource;
    Allocator allocator;
    IVersionedInterface const* v = &plugin;
    expectInfo(v->getInterfaceInfo(), "PLUGIN", 1, 0, "IPluginV3 info");
    expectInfo(static_cast<IPluginCapability&>(core).getInterfaceInfo(), "PLUGIN_V3ONE_CORE", 1, 0, "Core info");
    expectInfo(static_cast<IPluginCapability&>(build1).getInterfaceInfo(), "PLUGIN_V3ONE_BUILD", 1, 0, "Build v1 info");
    expectInfo(static_cast<IPluginCapability&>(build2).getInterfaceInfo(), "PLUGIN_V3ONE_BUILD", 2, 0, "Build v2 info");
    expectInfo(static_cast<IPluginCapability&>(runtime).getInterfaceInfo(), "PLUGIN_V3ONE_RUNTIME", 1, 0, "Runtime info");
    expectInfo(static_cast<IPluginCreatorInterface&>(creator).getInterfaceInfo(), "PLUGIN CREATOR_V3ONE", 1, 0, "Creator info");
    expectInfo(static_cast<IVersionedInterface&>(resource).getInterfaceInfo(), "IPluginResource", 1, 0, "Resource info");
    expectInfo(static_cast<IVersionedInterface&>(allocator).getInterfaceInfo(), "IGpuAllocator", 1, 0, "Allocator info");
    EXPECT_EQ(v->getAPILanguage(), APILanguage::kCPP);
    EXPECT_EQ(IErrorRecorder::kMAX_DESC_LENGTH, 127);

    // §4.6 / §4.7 header defaults.
    EXPECT_EQ(IPluginV3OneBuild::kDEFAULT_FORMAT_COMBINATION_LIMIT, 100);
    EXPECT_EQ(build1.getWorkspaceSize(nullptr, 0, nullptr, 0), 0);
    EXPECT_EQ(build1.getValidTactics(nullptr, 0), 0);
    EXPECT_EQ(build1.getNbTactics(), 0);
    EXPECT_EQ(build1.getTimingCacheID() == nullptr, 1);
    EXPECT_EQ(build1.getFormatCombinationLimit(), 100);
    EXPECT_EQ(build1.getMetadataString() == nullptr, 1);
    EXPECT_EQ(build2.getAliasedInput(0), -1);
    EXPECT_EQ(runtime.setTactic(7), 0);

    // §5.1 the wrappers forward to mImpl.
    ExprImpl impl;
    Expr expr(&impl);
    IDimensionExpr const& e = expr;
    EXPECT_EQ(e.isConstant(), 1);
    EXPECT_EQ(e.getConstantValue(), 42);
    EXPECT_EQ(e.isSizeTensor(), 0);

    // §0 RTTI names equal NVIDIA's.
    expectStr(typeid(IVersionedInterface).name(), "N8nvinfer119IVersionedInterfaceE", "RTTI IVersionedInterface");
    expectStr(typeid(IPluginV3).name(), "N8nvinfer15v_1_09IPluginV3E", "RTTI IPluginV3");
    expectStr(typeid(IPluginCreatorV3One).name(), "N8nvinfer15v_1_019IPluginCreatorV3OneE", "RTTI creator");
    expectStr(typeid(IPluginV3OneBuildV2).name(), "N8nvinfer15v_2_017IPluginV3OneBuildE", "RTTI build v2");
    expectStr(typeid(IDimensionExpr).name(), "N8nvinfer114IDimensionExprE", "RTTI IDimensionExpr");
    expectStr(typeid(apiv::VExprBuilder).name(), "N8nvinfer14apiv12VExprBuilderE", "RTTI VExprBuilder");
}

} // namespace

int main()
{
    checkLayouts();
    checkEnums();
    checkSlots();
    checkValuesAndDefaults();
    std::printf("layout_test: %d checks, %d failed\n", gChecks, gFailed);
    return gFailed == 0 ? 0 : 1;
}
