"""Any input file, before it is opened: a regular file within its size limit (``stat`` alone), and
never a system folder as a book's source or images folder."""

from __future__ import annotations

import stat
from pathlib import Path


def file_kind(mode: int) -> str | None:
    """What a file that is not a regular file is ("a FIFO (named pipe)", ...); None if regular."""
    kinds = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
             (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
             (stat.S_ISSOCK, "a socket"))
    for test, name in kinds:
        if test(mode):
            return name
    return None if stat.S_ISREG(mode) else "not a regular file"


def input_file_problem(path: Path, limit: int) -> str | None:
    """Why ``path`` may not be read (missing, not a regular file, over ``limit`` bytes), from
    ``stat`` alone: nothing is opened, so a FIFO never blocks and a 2 GB file costs nothing."""
    try:
        status = path.stat()
    except FileNotFoundError:
        return "does not exist"
    except OSError as error:
        return f"cannot be read ({error.strerror})"
    kind = file_kind(status.st_mode)
    if kind is not None:
        return f"is {kind}, not a regular file"
    if status.st_size > limit:
        return f"is {size_text(status.st_size)}, more than the {size_text(limit)} allowed"
    return None


# Folders that hold a system, not a book: as a book's source or images folder they would put
# every file of the machine within reach (and /proc/kmsg blocks whoever reads it).
SYSTEM_FOLDERS = frozenset({
    "/", "/bin", "/boot", "/dev", "/etc", "/home", "/lib", "/lib32", "/lib64", "/libx32",
    "/media", "/mnt", "/opt", "/proc", "/root", "/run", "/sbin", "/snap", "/srv", "/sys", "/tmp",
    "/usr", "/usr/bin", "/usr/lib", "/usr/local", "/usr/sbin", "/usr/share", "/var",
    "/var/lib", "/var/log", "/var/tmp",
})
# Pseudo file systems: nothing under them is ever a book's file.
_PSEUDO_FOLDERS = ("/proc", "/sys", "/dev", "/run")


def system_folder(path: Path) -> bool:
    """Whether the resolved folder ``path`` is a system folder, the home folder itself, or
    inside a pseudo file system (``/proc``, ``/sys``, ``/dev``, ``/run``)."""
    import os

    real = os.path.realpath(path)
    home = os.path.realpath(os.path.expanduser("~"))
    if real in SYSTEM_FOLDERS or real == home:
        return True
    return any(real.startswith(folder + "/") for folder in _PSEUDO_FOLDERS)


def size_text(count: int) -> str:
    if count >= 1024 ** 3:
        return f"{count / 1024 ** 3:.1f} GB"
    if count >= 1024 * 1024:
        return f"{count / 1024 / 1024:.1f} MB".replace(".0 MB", " MB")
    return f"{count / 1024:.0f} KB"
