"""plugingen: Triton kernel + PluginGen-style config -> TensorRT IPluginV3 plugin library + functional.py.

``from plugingen import *`` gives the config DSL (the names TensorRT-LLM's PluginGen used).
"""
from .dsl import ArgKind, Argument, Constexpr, DimSizeArg, DType, InputArg, KernelMetaData, OutputArg, ParamArg, Type

__version__ = "0.1.0"

__all__ = ["DType", "Type", "ArgKind", "Argument", "InputArg", "OutputArg", "ParamArg", "DimSizeArg", "Constexpr",
           "KernelMetaData"]
