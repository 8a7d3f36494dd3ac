"""The Triton tutorial's fused softmax (02-fused-softmax.py), as published: a persistent kernel (it strides over
rows by the grid size), fp32 rows held whole in one block. Its wrapper, ``softmax(x)``, becomes config heuristics:

* ``BLOCK_SIZE = next_power_of_2(n_cols)`` per launch. The kernel loads a row in one block, so the row width is
  bounded: ``n_cols <= 16384`` (a constraint: wider rows are refused before launch) gives BLOCK_SIZE's domain,
  1 to 16384, 15 images. The tutorial benchmarks rows up to 12672 columns; at 16384 the 4-stage row loop keeps
  three 64 KB rows in shared memory (192 KB), which an H100/H200 (227 KB) has.
* ``num_warps = 8``, as the wrapper fixes it.
* ``num_stages = 4``: the wrapper takes ``4 if SIZE_SMEM > 200000 else 2`` from the device's shared memory and passes
  it as a keyword, which Triton takes as both the kernel's ``num_stages`` constexpr (its row loop's pipelining) and
  the compile option; a heuristic of that name sets both too. It is the constant the wrapper picks on the GPUs this
  config is for, H100/H200 (sm_90, 227 KB), rather than a per-arch answer, so that every arch compiles the same
  kernel; on a GPU with 200 KB or less (A100: 164 KB; sm_86/89: 100 KB) the tutorial would take 2 stages, and there
  the 16384-wide image needs more shared memory than the GPU has (a plugin error at launch).
* Grid: the wrapper launches ``min(NUM_SM * occupancy, n_rows)`` programs, ``occupancy`` taken from the compiled
  kernel's registers and shared memory (the JIT's ``n_regs`` and ``metadata.shared``). A grid expression cannot read
  an image's registers, so the config writes that occupancy as a function of the block: ``min(8, 16384 //
  BLOCK_SIZE)`` programs per SM (8 programs of 8 warps are the 2048 threads an SM holds; at about 4 registers per row
  element, 64 K registers hold 16 K elements). With Triton 3.6 on sm_90 the tutorial's own formula gives 8-9 up to
  BLOCK_SIZE 1024, 6 at 2048, 4 at 4096, 2 at 8192, 1 at 16384: the same but at 2048 (8). ``num_sms`` is the SM
  count of the GPU the plugin runs on, as NUM_SM is in the tutorial. The kernel is correct for any grid (programs
  stride over the rows), so the grid only shapes speed.
"""
import triton

from plugingen import *  # noqa: F401,F403

KERNELS = [
    KernelMetaData(
        kernel_name='softmax_kernel',
        kernel_file='softmax.py',
        ios=[
            OutputArg('output_ptr', Type('tensor[fp32]')),
            InputArg('input_ptr', Type('tensor[fp32]')),
            DimSizeArg('input_row_stride'),
            DimSizeArg('output_row_stride'),
            DimSizeArg('n_rows'),
            DimSizeArg('n_cols'),
            # BLOCK_SIZE and num_stages: set by the heuristics
        ],
        shape_infer_rules=[
            'input_ptr[m, n] -> output_ptr[m, n]',
            'input_ptr[m, n] : n -> input_row_stride',
            'input_ptr[m, n] : n -> output_row_stride',
            'input_ptr[m, n] : m -> n_rows',
            'input_ptr[m, n] : n -> n_cols',
        ],
        heuristics={
            'BLOCK_SIZE': lambda args: triton.next_power_of_2(args['n_cols']),
            'num_warps': lambda args: 8,
            'num_stages': lambda args: 4,  # the kernel's num_stages parameter and the compile option
        },
        constraints=['n_cols <= 16384'],
        grid_dims=('min(n_rows, num_sms * min(8, 16384 // BLOCK_SIZE))', '1', '1'),
    ),
]
