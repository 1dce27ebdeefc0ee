"""Writing files safely: every lstmx save goes through :func:`atomic_write`.

A save writes ``<path>.tmp`` next to the target, then renames it over the target in one step, so a
save that fails or is killed mid-write leaves any earlier file whole. The temporary name is fixed
(not random), so a save killed with ``kill -9`` leaves at most one ``<path>.tmp``, and the next save
of the same path replaces it. The new file gets the mode a plain ``open(path, "w")`` would give it:
the umask's, or the mode of the file it replaces.
"""
import contextlib
import os
import stat


def temporary_path(path):
    """Where :func:`atomic_write` writes before renaming: ``<path>.tmp``."""
    return os.fspath(path) + ".tmp"


@contextlib.contextmanager
def atomic_write(path, what="the file"):
    """Open ``path`` for binary writing, atomically: ``with atomic_write(p) as f: f.write(...)``.

    Raises FileNotFoundError, naming ``what`` and the directory, when the directory does not exist.
    """
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"cannot save {what} to {path}: the directory {directory} does not exist")
    tmp = temporary_path(path)
    with contextlib.suppress(FileNotFoundError):
        os.unlink(tmp)              # left by a save that was killed; it may have another owner or mode
    try:
        replaced_mode = stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        replaced_mode = None        # a new file: 0o666 less the umask, as open() gives
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        if replaced_mode is not None:
            os.chmod(tmp, replaced_mode)
        with os.fdopen(fd, "wb") as f:
            fd = None               # the file object owns it now
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if fd is not None:
            os.close(fd)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
