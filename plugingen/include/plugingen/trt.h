// plugingen: the TensorRT declarations generated code compiles against — the user's SDK (PLUGINGEN_USE_TRT_SDK,
// defined by the generated CMakeLists.txt when it was given SDK include folders) or plugingen's declaration-only ABI.
#pragma once

#if defined(PLUGINGEN_USE_TRT_SDK)
#include <NvInferRuntime.h>
#else
#include "plugingen/trt_abi.h"
#endif
