"""The C++ test host (:mod:`plugingen.host.host`): drive a built plugin library the way TensorRT does, with neither
TensorRT nor a GPU. TensorRT's enums come from :mod:`plugingen.trt`."""
from plugingen.trt import DataType, PluginFieldType, TensorFormat, TensorRTPhase

from .host import (MAX_DIMS, CreatorInfo, DriverCounts, FieldSpec, HostError, Plugin, PluginHost, StandInDriver,
                   build_host, build_stand_in_driver, numpy_tensor)

__all__ = ["DataType", "PluginFieldType", "TensorFormat", "TensorRTPhase", "MAX_DIMS", "CreatorInfo", "FieldSpec",
           "HostError", "Plugin", "PluginHost", "build_host", "numpy_tensor", "DriverCounts", "StandInDriver",
           "build_stand_in_driver"]
