"""Memory behaviour of long-running workers."""

from __future__ import annotations

# mallopt parameters from glibc's malloc.h.
_M_TRIM_THRESHOLD, _M_TOP_PAD = -1, -2
_malloc_tuned = False


def keep_freed_memory(batch_bytes: int = 64 << 20) -> None:
    """Ask glibc to keep freed memory for the next batch instead of returning it.

    A batch is ~500 messages of ~70 KB, built, sent and freed, then the next
    one: by default glibc trims the freed heap back to the kernel each time
    and the next batch faults every page in again, which costs more than the
    building itself. Keeping up to ``batch_bytes`` caps nothing else. Other
    C libraries: no-op.
    """
    global _malloc_tuned
    if _malloc_tuned:
        return
    _malloc_tuned = True
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(_M_TRIM_THRESHOLD, batch_bytes)
        libc.mallopt(_M_TOP_PAD, batch_bytes // 4)
    except (OSError, AttributeError):
        pass
