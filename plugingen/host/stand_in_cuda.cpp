// stand_in_cuda.cpp -- a stand-in for the CUDA driver (libcuda.so.1) that runs nothing and records what a plugin asks
// of it: module loads and unloads, launches with their grid and cluster, memsets and copies. Built with the soname
// libcuda.so.1 and loaded (RTLD_GLOBAL) before a plugin library, it is what the plugin's dlopen("libcuda.so.1") finds,
// so the C++ test host can drive enqueue to the launch on a machine without a GPU. Only the entry points runtime.cpp
// binds exist; every one succeeds. The device: compute capability pgc_set_device() says (9.0 by default), 132 SMs,
// 227 KiB opt-in shared memory, one context. Used through plugingen.host.StandInDriver.
#include <cstdint>
#include <cstring>
#include <mutex>

#define PGC_API extern "C" __attribute__((visibility("default")))

namespace
{
using Result = int32_t;

struct LaunchConfig
{
    uint32_t gridDimX, gridDimY, gridDimZ, blockDimX, blockDimY, blockDimZ, sharedMemBytes;
    void* hStream;
    struct Attribute
    {
        int32_t id;
        char pad[4];
        union
        {
            char bytes[64];
            int32_t flag;
            struct
            {
                uint32_t x, y, z;
            } clusterDim;
        } value;
    }* attrs;
    uint32_t numAttrs;
};

constexpr int32_t kAttrClusterDimension = 4;

//! What has been asked so far (pgc_counts' order).
struct Record
{
    int64_t moduleLoads{0};
    int64_t moduleUnloads{0};
    int64_t launches{0};
    int64_t memsets{0};
    int64_t copies{0};
    int64_t tensorMaps{0};
    uint32_t grid[3]{};    // the last launch's grid, as the driver receives it (cuLaunchKernelEx: times the cluster)
    uint32_t cluster[3]{}; // its cluster dimension (1, 1, 1 without one)
};

std::mutex gMutex;
Record gRecord;
int32_t gMajor = 9;
int32_t gMinor = 0;
char gContext; // the one context's handle is its address
char gFunction;

void* const kContext = &gContext;
} // namespace

// ---- the driver entry points runtime.cpp binds ---------------------------------------------------------------------
PGC_API Result cuInit(unsigned) { return 0; }

PGC_API Result cuGetErrorName(Result, char const** name)
{
    *name = "CUDA_ERROR_STAND_IN";
    return 0;
}

PGC_API Result cuGetErrorString(Result, char const** text)
{
    *text = "stand-in driver";
    return 0;
}

PGC_API Result cuCtxGetCurrent(void** ctx)
{
    *ctx = kContext;
    return 0;
}

PGC_API Result cuCtxPushCurrent_v2(void*) { return 0; }

PGC_API Result cuCtxPopCurrent_v2(void** ctx)
{
    *ctx = kContext;
    return 0;
}

PGC_API Result cuCtxGetDevice(int32_t* device)
{
    *device = 0;
    return 0;
}

PGC_API Result cuCtxGetId(void*, unsigned long long* id)
{
    *id = 1;
    return 0;
}

PGC_API Result cuStreamGetCtx(void*, void** ctx)
{
    *ctx = kContext;
    return 0;
}

PGC_API Result cuDeviceGetAttribute(int32_t* value, int32_t attribute, int32_t)
{
    std::lock_guard<std::mutex> lock(gMutex);
    switch (attribute)
    {
    case 75: *value = gMajor; break;       // compute capability major
    case 76: *value = gMinor; break;       // minor
    case 97: *value = 227 * 1024; break;   // opt-in shared memory per block
    case 16: *value = 132; break;          // multiprocessors
    default: *value = 0; break;
    }
    return 0;
}

PGC_API Result cuModuleLoadData(void** module, void const*)
{
    std::lock_guard<std::mutex> lock(gMutex);
    ++gRecord.moduleLoads;
    *module = reinterpret_cast<void*>(static_cast<uintptr_t>(0x1000 + gRecord.moduleLoads));
    return 0;
}

PGC_API Result cuModuleUnload(void*)
{
    std::lock_guard<std::mutex> lock(gMutex);
    ++gRecord.moduleUnloads;
    return 0;
}

PGC_API Result cuModuleGetFunction(void** function, void*, char const*)
{
    *function = &gFunction;
    return 0;
}

PGC_API Result cuFuncSetAttribute(void*, int32_t, int32_t) { return 0; }

PGC_API Result cuLaunchKernel(void*, unsigned x, unsigned y, unsigned z, unsigned, unsigned, unsigned, unsigned, void*,
    void**, void**)
{
    std::lock_guard<std::mutex> lock(gMutex);
    ++gRecord.launches;
    gRecord.grid[0] = x;
    gRecord.grid[1] = y;
    gRecord.grid[2] = z;
    gRecord.cluster[0] = gRecord.cluster[1] = gRecord.cluster[2] = 1;
    return 0;
}

PGC_API Result cuLaunchKernelEx(LaunchConfig const* config, void*, void**, void**)
{
    std::lock_guard<std::mutex> lock(gMutex);
    ++gRecord.launches;
    gRecord.grid[0] = config->gridDimX;
    gRecord.grid[1] = config->gridDimY;
    gRecord.grid[2] = config->gridDimZ;
    gRecord.cluster[0] = gRecord.cluster[1] = gRecord.cluster[2] = 1;
    for (uint32_t i = 0; i < config->numAttrs; ++i)
    {
        if (config->attrs[i].id == kAttrClusterDimension)
        {
            gRecord.cluster[0] = config->attrs[i].value.clusterDim.x;
            gRecord.cluster[1] = config->attrs[i].value.clusterDim.y;
            gRecord.cluster[2] = config->attrs[i].value.clusterDim.z;
        }
    }
    return 0;
}

PGC_API Result cuMemsetD8Async(unsigned long long, unsigned char, size_t, void*)
{
    std::lock_guard<std::mutex> lock(gMutex);
    ++gRecord.memsets;
    return 0;
}

PGC_API Result cuMemcpyDtoDAsync_v2(unsigned long long, unsigned long long, size_t, void*)
{
    std::lock_guard<std::mutex> lock(gMutex);
    ++gRecord.copies;
    return 0;
}

PGC_API Result cuDriverGetVersion(int32_t* version)
{
    *version = 12080;
    return 0;
}

PGC_API Result cuTensorMapEncodeTiled(void* map, int32_t, uint32_t, void*, uint64_t const*, uint64_t const*,
    uint32_t const*, uint32_t const*, int32_t, int32_t, int32_t, int32_t)
{
    std::memset(map, 0, 128);
    std::lock_guard<std::mutex> lock(gMutex);
    ++gRecord.tensorMaps;
    return 0;
}

// ---- the record, for tests ------------------------------------------------------------------------------------------
//! Module loads, module unloads, launches, memsets, copies, tensor maps encoded (6 values).
PGC_API void pgc_counts(int64_t* out)
{
    std::lock_guard<std::mutex> lock(gMutex);
    int64_t const values[6]{gRecord.moduleLoads, gRecord.moduleUnloads, gRecord.launches, gRecord.memsets,
        gRecord.copies, gRecord.tensorMaps};
    std::memcpy(out, values, sizeof values);
}

//! The last launch's grid as the driver received it, then its cluster dimension (6 values).
PGC_API void pgc_last_launch(uint32_t* out)
{
    std::lock_guard<std::mutex> lock(gMutex);
    std::memcpy(out, gRecord.grid, sizeof gRecord.grid);
    std::memcpy(out + 3, gRecord.cluster, sizeof gRecord.cluster);
}

//! The compute capability the device reports from now on.
PGC_API void pgc_set_device(int32_t major, int32_t minor)
{
    std::lock_guard<std::mutex> lock(gMutex);
    gMajor = major;
    gMinor = minor;
}
