"""A persistent kernel: as many programs as the GPU has SMs (at most one per tile), each striding over the tiles by
the number of programs launched; program 0 records that number."""
import triton
import triton.language as tl


@triton.jit
def persistent_scale_kernel(x, out, programs, n, BLOCK: tl.constexpr):
    pid = tl.program_id(0)
    stride = tl.num_programs(0)
    for tile in tl.range(pid, tl.cdiv(n, BLOCK), stride):
        offs = tile * BLOCK + tl.arange(0, BLOCK)
        mask = offs < n
        tl.store(out + offs, tl.load(x + offs, mask=mask) * 3, mask=mask)
    if pid == 0:
        tl.store(programs, stride)
