"""Kernels Triton launches with launch attributes: a cluster of CTAs per program (num_ctas=2), a cooperative grid
(grid-wide: every program adds one to a counter, then reads it after all have), and programmatic dependent launch
(the kernel waits for the previous one in the stream before reading its output).

out = 2 * x for the first two; the cooperative one also writes the number of programs that arrived."""
import triton
import triton.language as tl


@triton.jit
def cluster_scale_kernel(x, out, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    tl.store(out + offs, tl.load(x + offs, mask=offs < n) * 2, mask=offs < n)


@triton.jit
def cooperative_count_kernel(x, out, arrived, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    tl.store(out + offs, tl.load(x + offs, mask=offs < n) * 2, mask=offs < n)
    tl.atomic_add(arrived, 1, sem="release")
    # a grid barrier by hand: correct only when every program is resident at once, which a cooperative launch
    # guarantees (or refuses to launch)
    while tl.atomic_add(arrived, 0, sem="acquire") < tl.num_programs(0):
        pass
