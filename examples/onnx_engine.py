"""Build a TensorRT engine from an ONNX model that uses a generated plugin: the route that works with TensorRT-RTX
(whose network API has no plugin call) and with full TensorRT alike. No GPU is needed to build.

Run plugingen first, then, e.g. for the vector_add example::

    plugingen --workspace ./ws --kernel_config examples/vector_add/kernel_config.py
    python examples/onnx_engine.py --workspace ./ws --kernel vector_add_kernel --input x=n --input y=n \\
        --dim n=1:4096:65536 --output vector_add.engine

Steps: load ``libtriton_plugins.so`` into TensorRT's plugin registry; make the one-node ONNX model with the
generated ``onnx_plugins.py`` (``make_model``; ``--param name=value`` for the plugin's fields, ``--signature T=bf16``
for a plugin with dtype signatures); parse it with TensorRT's ``OnnxParser``; build with an optimization profile for
the dynamic dims (``--dim name=min:opt:max``; dims given as numbers are static); write the serialized engine (and
``--onnx FILE`` the model, for ``trtexec``). Uses ``tensorrt`` when importable, else TensorRT-RTX's wheels
(``tensorrt_rtx``). Exit status: 0 engine written, 1 the parse or build failed, 2 a usage error or no TensorRT.
"""
from __future__ import annotations

import argparse
import ctypes
import importlib.util
import sys
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple, Union


def _tensorrt():
    """(the TensorRT Python module, its name): full TensorRT, else TensorRT-RTX (library loaded globally first)."""
    try:
        import tensorrt

        return tensorrt, "TensorRT"
    except ImportError:
        pass
    import tensorrt_rtx_libs  # raises ImportError when TensorRT-RTX is not installed either

    ctypes.CDLL(str(Path(tensorrt_rtx_libs.__file__).parent / "libtensorrt_rtx.so.1"), mode=ctypes.RTLD_GLOBAL)
    import tensorrt_rtx_bindings

    return tensorrt_rtx_bindings, "TensorRT-RTX"


def _pairs(items: Sequence[str], what: str) -> Dict[str, str]:
    pairs = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise SystemExit(f"error: {what} '{item}' is not name=value")
        pairs[name] = value
    return pairs


def _number(text: str) -> Union[int, float]:
    try:
        return int(text)
    except ValueError:
        return float(text)


def _shape(text: str) -> List[Union[int, str]]:
    """'n,64' -> ['n', 64]: numbers are static dims, names dynamic ones."""
    return [int(d) if d.lstrip("-").isdigit() else d for d in text.split(",") if d]


def _load(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def build_engine(trt, libraries: Sequence[Path], model: bytes, profile: Dict[str, Tuple[list, list, list]],
                 aliased_io: bool = False) -> Tuple[bytes, List[str]]:
    """(serialized engine or b'', TensorRT's error messages) for the serialized ONNX ``model``, with the plugin
    ``libraries`` (each a ``libtriton_plugins.so``) loaded first; ``profile``: each dynamic input's (min, opt, max)
    shape; ``aliased_io``: a plugin updates an input in place (TensorRT's ALIASED_PLUGIN_IO_10_03 preview feature)."""

    class Logger(trt.ILogger):
        def __init__(self):
            trt.ILogger.__init__(self)
            self.errors: List[str] = []

        def log(self, severity, msg):
            if severity in (trt.ILogger.Severity.ERROR, trt.ILogger.Severity.INTERNAL_ERROR):
                self.errors.append(msg)

    logger = Logger()
    builder = trt.Builder(logger)
    registry = trt.get_plugin_registry()
    handles = []
    network = parser = config = None
    try:
        for library in libraries:
            handle = registry.load_library(str(library))
            if handle is None:
                return b"", [f"TensorRT refused to load {library}"] + logger.errors
            handles.append(handle)
        network = builder.create_network(0)
        parser = trt.OnnxParser(network, logger)
        if not parser.parse(model):
            return b"", [parser.get_error(i).desc() for i in range(parser.num_errors)] + logger.errors
        config = builder.create_builder_config()
        if aliased_io:
            config.set_preview_feature(trt.PreviewFeature.ALIASED_PLUGIN_IO_10_03, True)
        if profile:
            shapes = builder.create_optimization_profile()
            for name, (low, opt, high) in profile.items():
                shapes.set_shape(name, low, opt, high)
            config.add_optimization_profile(shapes)
        engine = builder.build_serialized_network(network, config)
        return (bytes(engine) if engine is not None else b""), logger.errors
    finally:
        del network, parser, config  # they hold plugin objects: release them before the libraries go
        for handle in handles:
            registry.deregister_library(handle)


def build(trt, output_dir: Path, kernel: str, params: Dict[str, Union[int, float]],
          inputs: Dict[str, List[Union[int, str]]], dims: Dict[str, Tuple[int, int, int]],
          signature: Optional[Dict[str, str]] = None, onnx_path: Optional[Path] = None) -> Tuple[bytes, List[str]]:
    """(serialized engine or b'', TensorRT's error messages) for one plugin node of ``kernel``."""
    onnx_plugins = _load(output_dir / "onnx_plugins.py", "onnx_plugins")
    model = onnx_plugins.make_model(kernel, params, inputs, signature=signature)
    if onnx_path is not None:
        onnx_path.write_bytes(model.SerializeToString())
    dynamic = {name: shape for name, shape in inputs.items() if any(isinstance(d, str) for d in shape)}
    profile = {name: tuple([d if isinstance(d, int) else dims[d][k] for d in shape] for k in range(3))
               for name, shape in dynamic.items()}
    aliased = any(t.alias for t in onnx_plugins.PLUGINS[kernel].outputs)
    return build_engine(trt, [output_dir / "libtriton_plugins.so"], model.SerializeToString(), profile, aliased)


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workspace", type=Path, required=True, help="the plugingen --workspace")
    parser.add_argument("--kernel", required=True, help="the plugin's function name (a key of onnx_plugins.PLUGINS)")
    parser.add_argument("--input", action="append", default=[], metavar="NAME=DIMS",
                        help="an input's shape, e.g. x=n or Q=b,4,s,64 (names are dynamic dims)")
    parser.add_argument("--dim", action="append", default=[], metavar="NAME=MIN:OPT:MAX", help="a dynamic dim's range")
    parser.add_argument("--param", action="append", default=[], metavar="NAME=VALUE", help="a plugin field")
    parser.add_argument("--signature", action="append", default=[], metavar="VAR=DTYPE",
                        help="a type variable's dtype (plugins with dtype signatures; default: the first)")
    parser.add_argument("--output", type=Path, default=Path("plugin.engine"), help="the engine file to write")
    parser.add_argument("--onnx", type=Path, default=None, help="also write the ONNX model here")
    args = parser.parse_args(argv)
    try:
        trt, which = _tensorrt()
    except ImportError as exc:
        print(f"error: neither TensorRT nor TensorRT-RTX is importable ({exc}); pip install tensorrt, or "
              "bash .ci/install_trt_rtx.sh", file=sys.stderr)
        return 2
    output_dir = args.workspace / "output"
    if not (output_dir / "onnx_plugins.py").is_file():
        print(f"error: no {output_dir / 'onnx_plugins.py'}; run plugingen with --workspace {args.workspace} first",
              file=sys.stderr)
        return 2
    inputs = {name: _shape(text) for name, text in _pairs(args.input, "--input").items()}
    dims = {}
    for name, text in _pairs(args.dim, "--dim").items():
        parts = text.split(":")
        if len(parts) != 3 or not all(p.isdigit() for p in parts):
            print(f"error: --dim {name}={text} is not MIN:OPT:MAX", file=sys.stderr)
            return 2
        dims[name] = tuple(int(p) for p in parts)
    missing = sorted({d for shape in inputs.values() for d in shape if isinstance(d, str)} - set(dims))
    if missing:
        print(f"error: dynamic dims without a --dim range: {', '.join(missing)}", file=sys.stderr)
        return 2
    params = {name: _number(value) for name, value in _pairs(args.param, "--param").items()}
    try:
        engine, errors = build(trt, output_dir, args.kernel, params, inputs, dims,
                               _pairs(args.signature, "--signature") or None, args.onnx)
    except (ValueError, TypeError) as exc:  # onnx_plugins' own checks: unknown plugin, fields, shapes, signature
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not engine:
        print(f"error: {which} built no engine: " + (" | ".join(errors) or "no message"), file=sys.stderr)
        return 1
    args.output.write_bytes(engine)
    print(f"wrote {args.output} ({len(engine)} bytes) with {which}; load libtriton_plugins.so before deserializing")
    return 0


if __name__ == "__main__":
    sys.exit(main())
