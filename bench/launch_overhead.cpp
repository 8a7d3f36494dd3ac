// launch_overhead.cpp -- host cost of one plugin enqueue vs one raw cuLaunchKernel of the same cubin.
//
// Built and run by bench/launch_overhead.py on the GPU machine:
//
//   g++ -O2 -std=c++17 -I plugingen/include -I /usr/local/cuda/include launch_overhead.cpp -o launch_overhead
//       -lcuda -ldl
//   ./launch_overhead --plugin libtriton_plugins.so --plugin-name vector_add_kernelPlugin --cubin k.cubin
//       --entry vector_add_kernel --params x:8,y:8,out:8,n:4,global_scratch:8,profile_scratch:8
//       --threads 128 --shared 0 --block 1024 --n 1024 --iters 100000 --batch 256 --json out.json
//
// What it does:
//  * loads the plugin library like TensorRT (dlopen, setLoggerFinder(nullptr), getCreators), creates the plugin
//    from its creator in the kRUNTIME phase, and drives it through IPluginV3OneRuntime (onShapeChange once, then
//    enqueue) on a non-blocking stream of the device's primary context -- the context TensorRT and torch use;
//  * loads the same cubin the plugin embeds (written by the Python driver from plugingen.aot) with cuModuleLoadData
//    and launches it with cuLaunchKernel with the same grid, block, shared memory and parameters;
//  * checks both outputs (x + y on small integers, exact in fp16) before timing;
//  * times `iters` calls of each mode with steady_clock in batches of `batch` calls: only the calls are timed; after
//    each batch the stream is synchronized *outside* the timed region, so the launch queue never fills (a full
//    queue would make a launch wait for the GPU and measure the kernel instead of the launch). Modes alternate
//    batch by batch (plugin, raw, onShapeChange+enqueue, rotated each round) so clock or load drift hits all alike;
//  * captures `graph_launches` calls of each mode into a CUDA graph (relaxed capture mode) and times replays: host
//    time of cuGraphLaunch and device time between events, both divided by the number of captured launches;
//  * prints one JSON object (also written to --json): per mode the median / p10 / p90 / mean microseconds per call.
//
// Every CUDA call's status is checked; any failure exits 1 with the call and the driver's error name.
#include <cuda.h>

#include "plugingen/trt_abi.h"

#include <dlfcn.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <vector>

using namespace nvinfer1;

namespace
{

[[noreturn]] void die(std::string const& message)
{
    std::fprintf(stderr, "launch_overhead: error: %s\n", message.c_str());
    std::exit(1);
}

void check(CUresult result, char const* what)
{
    if (result != CUDA_SUCCESS)
    {
        char const* name = nullptr;
        cuGetErrorName(result, &name);
        die(std::string(what) + " failed: " + (name ? name : std::to_string(static_cast<int>(result))));
    }
}

// ---- arguments ----------------------------------------------------------------------------------------------

struct Args
{
    std::string plugin;
    std::string pluginName = "vector_add_kernelPlugin";
    std::string cubin;
    std::string entry;
    std::string params; // name:bytes,... in kernel order (tensors x, y, out; scalar n; hidden scratch pointers)
    std::string json;
    int threads = 128;
    int shared = 0;
    int block = 1024;
    int64_t n = 1024;
    int64_t iters = 100000;
    int64_t batch = 256;
    int graphLaunches = 1000;
    int graphReps = 200;
};

Args parseArgs(int argc, char** argv)
{
    Args a;
    std::map<std::string, std::function<void(char const*)>> options{
        {"--plugin", [&](char const* v) { a.plugin = v; }},
        {"--plugin-name", [&](char const* v) { a.pluginName = v; }},
        {"--cubin", [&](char const* v) { a.cubin = v; }},
        {"--entry", [&](char const* v) { a.entry = v; }},
        {"--params", [&](char const* v) { a.params = v; }},
        {"--json", [&](char const* v) { a.json = v; }},
        {"--threads", [&](char const* v) { a.threads = std::atoi(v); }},
        {"--shared", [&](char const* v) { a.shared = std::atoi(v); }},
        {"--block", [&](char const* v) { a.block = std::atoi(v); }},
        {"--n", [&](char const* v) { a.n = std::atoll(v); }},
        {"--iters", [&](char const* v) { a.iters = std::atoll(v); }},
        {"--batch", [&](char const* v) { a.batch = std::atoll(v); }},
        {"--graph-launches", [&](char const* v) { a.graphLaunches = std::atoi(v); }},
        {"--graph-reps", [&](char const* v) { a.graphReps = std::atoi(v); }},
    };
    for (int i = 1; i < argc; ++i)
    {
        auto it = options.find(argv[i]);
        if (it == options.end() || i + 1 >= argc)
        {
            die(std::string("unknown option or missing value: ") + argv[i]);
        }
        it->second(argv[++i]);
    }
    if (a.plugin.empty() || a.cubin.empty() || a.entry.empty() || a.params.empty())
    {
        die("--plugin, --cubin, --entry and --params are required");
    }
    if (a.n <= 0 || a.iters <= 0 || a.batch <= 0 || a.threads <= 0 || a.block <= 0 || a.graphLaunches <= 0
        || a.graphReps <= 0)
    {
        die("sizes and counts must be positive");
    }
    return a;
}

// ---- fp16 for small integers (exact) --------------------------------------------------------------------------

uint16_t halfOfSmallInt(int v)
{
    if (v == 0)
    {
        return 0;
    }
    uint16_t sign = v < 0 ? 0x8000 : 0;
    unsigned m = static_cast<unsigned>(v < 0 ? -v : v); // |v| <= 1024
    int e = 0;
    while ((m >> e) > 1)
    {
        ++e;
    }
    unsigned mant = (m << (10 - e)) & 0x3ff;
    return static_cast<uint16_t>(sign | ((e + 15) << 10) | mant);
}

float halfToFloat(uint16_t h)
{
    int exp = (h >> 10) & 0x1f;
    int mant = h & 0x3ff;
    float v = exp == 0 ? std::ldexp(static_cast<float>(mant), -24)
                       : (exp == 31 ? NAN : std::ldexp(static_cast<float>(mant + 1024), exp - 25));
    return (h & 0x8000) ? -v : v;
}

// ---- statistics ---------------------------------------------------------------------------------------------

struct Stats
{
    double median, p10, p90, mean, min;
    size_t samples;
};

Stats stats(std::vector<double> v)
{
    Stats s{};
    s.samples = v.size();
    if (v.empty())
    {
        return s;
    }
    std::sort(v.begin(), v.end());
    auto q = [&](double p) {
        double pos = p * (v.size() - 1);
        size_t lo = static_cast<size_t>(pos);
        size_t hi = std::min(lo + 1, v.size() - 1);
        return v[lo] + (v[hi] - v[lo]) * (pos - lo);
    };
    s.median = q(0.5);
    s.p10 = q(0.1);
    s.p90 = q(0.9);
    s.min = v.front();
    double sum = 0;
    for (double x : v)
    {
        sum += x;
    }
    s.mean = sum / v.size();
    return s;
}

std::string statsJson(Stats const& s)
{
    std::ostringstream o;
    o.precision(6);
    o << "{\"median\": " << s.median << ", \"p10\": " << s.p10 << ", \"p90\": " << s.p90 << ", \"mean\": " << s.mean
      << ", \"min\": " << s.min << ", \"samples\": " << s.samples << "}";
    return o.str();
}

using Clock = std::chrono::steady_clock;

double microseconds(Clock::time_point a, Clock::time_point b)
{
    return std::chrono::duration<double, std::micro>(b - a).count();
}

std::vector<char> readFile(std::string const& path)
{
    std::ifstream f(path, std::ios::binary);
    if (!f)
    {
        die("cannot read " + path);
    }
    return std::vector<char>((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

} // namespace

int main(int argc, char** argv)
{
    Args const args = parseArgs(argc, argv);

    // ---- CUDA: the primary context of device 0, a non-blocking stream ----
    check(cuInit(0), "cuInit");
    CUdevice device;
    check(cuDeviceGet(&device, 0), "cuDeviceGet");
    CUcontext ctx;
    check(cuDevicePrimaryCtxRetain(&ctx, device), "cuDevicePrimaryCtxRetain");
    check(cuCtxSetCurrent(ctx), "cuCtxSetCurrent");
    char deviceName[256] = {};
    check(cuDeviceGetName(deviceName, sizeof deviceName, device), "cuDeviceGetName");
    int driverVersion = 0;
    check(cuDriverGetVersion(&driverVersion), "cuDriverGetVersion");
    CUstream stream;
    check(cuStreamCreate(&stream, CU_STREAM_NON_BLOCKING), "cuStreamCreate");

    size_t const n = static_cast<size_t>(args.n);
    size_t const bytes = n * sizeof(uint16_t);
    CUdeviceptr x, y, out;
    check(cuMemAlloc(&x, bytes), "cuMemAlloc");
    check(cuMemAlloc(&y, bytes), "cuMemAlloc");
    check(cuMemAlloc(&out, bytes), "cuMemAlloc");
    std::vector<uint16_t> hx(n), hy(n), hout(n);
    for (size_t i = 0; i < n; ++i)
    {
        hx[i] = halfOfSmallInt(static_cast<int>(i % 17) - 8);
        hy[i] = halfOfSmallInt(static_cast<int>((i * 7) % 23) - 11);
    }
    check(cuMemcpyHtoD(x, hx.data(), bytes), "cuMemcpyHtoD");
    check(cuMemcpyHtoD(y, hy.data(), bytes), "cuMemcpyHtoD");

    auto verify = [&](char const* what) {
        check(cuStreamSynchronize(stream), "cuStreamSynchronize");
        check(cuMemcpyDtoH(hout.data(), out, bytes), "cuMemcpyDtoH");
        for (size_t i = 0; i < n; ++i)
        {
            float const expected = halfToFloat(hx[i]) + halfToFloat(hy[i]);
            if (halfToFloat(hout[i]) != expected)
            {
                die(std::string(what) + ": out[" + std::to_string(i) + "] = " + std::to_string(halfToFloat(hout[i]))
                    + ", expected " + std::to_string(expected));
            }
        }
    };
    auto poison = [&] { check(cuMemsetD16Async(out, 0x7e00, n, stream), "cuMemsetD16Async"); }; // fp16 NaN

    // ---- the plugin, loaded like TensorRT loads a plugin library ----
    void* lib = dlopen(args.plugin.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (lib == nullptr)
    {
        char const* why = dlerror();
        die(std::string("dlopen: ") + (why ? why : "unknown"));
    }
    using SetLoggerFinder = void (*)(void*);
    using GetCreators = IPluginCreatorInterface* const* (*) (int32_t&);
    auto setLoggerFinder = reinterpret_cast<SetLoggerFinder>(dlsym(lib, "setLoggerFinder"));
    auto getCreators = reinterpret_cast<GetCreators>(dlsym(lib, "getCreators"));
    if (setLoggerFinder == nullptr || getCreators == nullptr)
    {
        die("the plugin library does not export setLoggerFinder and getCreators");
    }
    setLoggerFinder(nullptr); // no logger: plugin messages are dropped; failures still show as non-zero status
    int32_t count = 0;
    IPluginCreatorInterface* const* creators = getCreators(count);
    IPluginCreatorV3One* creator = nullptr;
    for (int32_t i = 0; i < count; ++i)
    {
        InterfaceInfo const info = creators[i]->getInterfaceInfo();
        if (info.kind != nullptr && std::strcmp(info.kind, "PLUGIN CREATOR_V3ONE") == 0)
        {
            auto* c = static_cast<IPluginCreatorV3One*>(creators[i]);
            if (args.pluginName == c->getPluginName())
            {
                creator = c;
            }
        }
    }
    if (creator == nullptr)
    {
        die("no IPluginCreatorV3One named " + args.pluginName + " in " + args.plugin);
    }
    PluginFieldCollection const noFields{0, nullptr};
    IPluginV3* plugin = creator->createPlugin("launch_overhead", &noFields, TensorRTPhase::kRUNTIME);
    if (plugin == nullptr)
    {
        die("createPlugin returned null");
    }
    auto* runtime = static_cast<IPluginV3OneRuntime*>(plugin->getCapabilityInterface(PluginCapabilityType::kRUNTIME));
    if (runtime == nullptr)
    {
        die("the plugin has no runtime capability");
    }
    PluginTensorDesc desc{};
    desc.dims.nbDims = 1;
    desc.dims.d[0] = args.n;
    desc.type = DataType::kHALF;
    desc.format = TensorFormat::kLINEAR;
    desc.scale = -1.0F;
    PluginTensorDesc const inDesc[2]{desc, desc};
    PluginTensorDesc const outDesc[1]{desc};
    void const* inputs[2]{reinterpret_cast<void const*>(x), reinterpret_cast<void const*>(y)};
    void* outputs[1]{reinterpret_cast<void*>(out)};
    auto cuStream = reinterpret_cast<cudaStream_t>(stream);
    if (runtime->onShapeChange(inDesc, 2, outDesc, 1) != 0)
    {
        die("onShapeChange failed");
    }
    auto enqueue = [&] {
        if (runtime->enqueue(inDesc, outDesc, inputs, outputs, nullptr, cuStream) != 0)
        {
            die("enqueue failed (run the plugin through plugingen.testing.PluginRunner to see its message)");
        }
    };
    auto shapeChangeEnqueue = [&] {
        if (runtime->onShapeChange(inDesc, 2, outDesc, 1) != 0
            || runtime->enqueue(inDesc, outDesc, inputs, outputs, nullptr, cuStream) != 0)
        {
            die("onShapeChange + enqueue failed");
        }
    };

    // ---- the same cubin, launched directly ----
    std::vector<char> image = readFile(args.cubin);
    CUmodule module;
    check(cuModuleLoadData(&module, image.data()), "cuModuleLoadData");
    CUfunction function;
    check(cuModuleGetFunction(&function, module, args.entry.c_str()), "cuModuleGetFunction");
    if (args.shared > 48 * 1024)
    {
        check(cuFuncSetAttribute(function, CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, args.shared),
            "cuFuncSetAttribute");
    }
    std::vector<uint64_t> storage; // one 8-byte slot per parameter (a 4-byte int uses the low half, little endian)
    std::vector<std::string> names;
    {
        std::stringstream list(args.params);
        std::string item;
        while (std::getline(list, item, ','))
        {
            auto colon = item.find(':');
            if (colon == std::string::npos)
            {
                die("bad --params entry " + item);
            }
            std::string const name = item.substr(0, colon);
            int const size = std::atoi(item.c_str() + colon + 1);
            uint64_t value = 0;
            if (name == "x")
                value = x;
            else if (name == "y")
                value = y;
            else if (name == "out")
                value = out;
            else if (name == "n")
                value = static_cast<uint64_t>(args.n);
            else if (name.find("scratch") == std::string::npos && name.rfind("hidden", 0) != 0)
                die("unknown kernel parameter " + name);
            if (size != 4 && size != 8)
            {
                die("parameter " + name + " has unsupported size " + std::to_string(size));
            }
            if (size == 4 && value > 0x7fffffffULL)
            {
                die("parameter " + name + " does not fit in 4 bytes");
            }
            storage.push_back(value);
            names.push_back(name);
        }
    }
    std::vector<void*> params;
    for (auto& slot : storage)
    {
        params.push_back(&slot);
    }
    unsigned const grid = static_cast<unsigned>((args.n + args.block - 1) / args.block);
    auto raw = [&] {
        check(cuLaunchKernel(function, grid, 1, 1, static_cast<unsigned>(args.threads), 1, 1,
                  static_cast<unsigned>(args.shared), stream, params.data(), nullptr),
            "cuLaunchKernel");
    };

    // ---- correctness of both paths, then warm-up ----
    poison();
    enqueue();
    verify("plugin enqueue");
    poison();
    raw();
    verify("raw cuLaunchKernel");
    for (int i = 0; i < 2000; ++i)
    {
        enqueue();
        raw();
        shapeChangeEnqueue();
    }
    check(cuStreamSynchronize(stream), "cuStreamSynchronize");

    // ---- host time per call, batches alternating between modes ----
    std::vector<std::function<void()>> modes{enqueue, raw, shapeChangeEnqueue};
    std::vector<std::string> const modeNames{"plugin_enqueue", "raw_cuLaunchKernel", "plugin_onShapeChange_enqueue"};
    std::vector<std::vector<double>> perCall(modes.size());
    int64_t const rounds = (args.iters + args.batch - 1) / args.batch;
    for (int64_t r = 0; r < rounds; ++r)
    {
        for (size_t k = 0; k < modes.size(); ++k)
        {
            size_t const m = (k + static_cast<size_t>(r)) % modes.size();
            auto const& call = modes[m];
            auto const start = Clock::now();
            for (int64_t i = 0; i < args.batch; ++i)
            {
                call();
            }
            auto const end = Clock::now();
            perCall[m].push_back(microseconds(start, end) / static_cast<double>(args.batch));
            check(cuStreamSynchronize(stream), "cuStreamSynchronize"); // not timed: keeps the queue short
        }
    }

    // ---- device time per launch when launched back to back (eager) ----
    CUevent e0, e1;
    check(cuEventCreate(&e0, CU_EVENT_DEFAULT), "cuEventCreate");
    check(cuEventCreate(&e1, CU_EVENT_DEFAULT), "cuEventCreate");
    auto deviceMicros = [&](std::function<void()> const& body, int launches) {
        check(cuEventRecord(e0, stream), "cuEventRecord");
        body();
        check(cuEventRecord(e1, stream), "cuEventRecord");
        check(cuEventSynchronize(e1), "cuEventSynchronize");
        float ms = 0;
        check(cuEventElapsedTime(&ms, e0, e1), "cuEventElapsedTime");
        return 1000.0 * ms / launches;
    };
    std::vector<std::vector<double>> eagerDevice(2);
    for (int r = 0; r < 50; ++r)
    {
        for (int m = 0; m < 2; ++m)
        {
            int const mode = (m + r) % 2;
            eagerDevice[mode].push_back(deviceMicros(
                [&] {
                    for (int i = 0; i < 200; ++i)
                    {
                        modes[mode]();
                    }
                },
                200));
        }
    }

    // ---- CUDA graphs of `graphLaunches` calls ----
    auto capture = [&](std::function<void()> const& call) {
        CUgraph graph;
        check(cuStreamBeginCapture(stream, CU_STREAM_CAPTURE_MODE_RELAXED), "cuStreamBeginCapture");
        for (int i = 0; i < args.graphLaunches; ++i)
        {
            call();
        }
        check(cuStreamEndCapture(stream, &graph), "cuStreamEndCapture");
        size_t nodes = 0;
        check(cuGraphGetNodes(graph, nullptr, &nodes), "cuGraphGetNodes");
        if (nodes != static_cast<size_t>(args.graphLaunches))
        {
            die("captured " + std::to_string(nodes) + " graph nodes, expected " + std::to_string(args.graphLaunches));
        }
        CUgraphExec exec;
        check(cuGraphInstantiateWithFlags(&exec, graph, 0), "cuGraphInstantiate");
        return exec;
    };
    CUgraphExec const graphs[2]{capture(enqueue), capture(raw)};
    std::vector<std::vector<double>> graphHost(2), graphDevice(2);
    for (int m = 0; m < 2; ++m) // warm-up, and check that each graph computes x + y
    {
        poison();
        check(cuGraphLaunch(graphs[m], stream), "cuGraphLaunch");
        verify(m == 0 ? "plugin graph replay" : "raw graph replay");
    }
    for (int r = 0; r < args.graphReps; ++r)
    {
        for (int k = 0; k < 2; ++k)
        {
            int const m = (k + r) % 2;
            check(cuEventRecord(e0, stream), "cuEventRecord");
            auto const start = Clock::now();
            check(cuGraphLaunch(graphs[m], stream), "cuGraphLaunch");
            auto const end = Clock::now();
            check(cuEventRecord(e1, stream), "cuEventRecord");
            check(cuEventSynchronize(e1), "cuEventSynchronize");
            float ms = 0;
            check(cuEventElapsedTime(&ms, e0, e1), "cuEventElapsedTime");
            graphHost[m].push_back(microseconds(start, end) / args.graphLaunches);
            graphDevice[m].push_back(1000.0 * ms / args.graphLaunches);
        }
    }

    // ---- report ----
    std::ostringstream o;
    o.precision(6);
    o << "{\n  \"device\": \"" << deviceName << "\", \"driver_version\": " << driverVersion
      << ", \"n\": " << args.n << ", \"grid\": " << grid << ", \"threads\": " << args.threads
      << ", \"iters_per_mode\": " << rounds * args.batch << ", \"batch\": " << args.batch
      << ", \"graph_launches\": " << args.graphLaunches << ", \"graph_reps\": " << args.graphReps
      << ", \"params\": \"" << args.params << "\",\n  \"host_us_per_call\": {";
    for (size_t m = 0; m < modes.size(); ++m)
    {
        o << (m ? ", " : "") << "\"" << modeNames[m] << "\": " << statsJson(stats(perCall[m]));
    }
    o << "},\n  \"eager_device_us_per_launch\": {\"plugin_enqueue\": " << statsJson(stats(eagerDevice[0]))
      << ", \"raw_cuLaunchKernel\": " << statsJson(stats(eagerDevice[1])) << "},\n"
      << "  \"graph_host_us_per_launch\": {\"plugin_enqueue\": " << statsJson(stats(graphHost[0]))
      << ", \"raw_cuLaunchKernel\": " << statsJson(stats(graphHost[1])) << "},\n"
      << "  \"graph_device_us_per_launch\": {\"plugin_enqueue\": " << statsJson(stats(graphDevice[0]))
      << ", \"raw_cuLaunchKernel\": " << statsJson(stats(graphDevice[1])) << "}\n}\n";
    std::string const report = o.str();
    std::fputs(report.c_str(), stdout);
    if (!args.json.empty())
    {
        std::ofstream(args.json) << report;
    }

    for (CUgraphExec g : graphs)
    {
        cuGraphExecDestroy(g);
    }
    delete plugin;
    cuModuleUnload(module);
    cuMemFree(x);
    cuMemFree(y);
    cuMemFree(out);
    cuStreamDestroy(stream);
    cuDevicePrimaryCtxRelease(device);
    return 0;
}
