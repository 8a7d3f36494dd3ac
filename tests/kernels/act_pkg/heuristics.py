"""Launch heuristics, written as attorch writes them: functions of the kernel's arguments."""
import triton


def BLOCK_SIZE_BATCH_heuristic(args):
    """Rows per program: one per 1024 rows of the batch, a power of two, at most 4."""
    return min(max(1, triton.next_power_of_2(args['batch_dim'] // 2 ** 10)), 4)
