"""Confined, bounded file access for everything a design names (traces, empirical samples, profiles) and for
the design file itself, plus the one atomic writer every save goes through.

Rules: a file a design names resolves inside the design's folder (or a built-in folder the caller allows);
only regular files are opened (no FIFOs, devices or sockets, so nothing blocks or streams without end);
reads stop at a byte cap whatever ``st_size`` says (``/proc`` files report 0); errors name the path the user
wrote, never the content read.
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Iterable
from pathlib import Path

from simulation.errors import DesignError

MAX_USER_FILE_BYTES = 200 * 1024 * 1024
_READ_CHUNK = 1 << 20


def _inside(target: Path, root: Path) -> bool:
    return target == root or root in target.parents


def resolve_user_file(name: object, base_dir: Path | None, path: str, *,
                      extra_roots: Iterable[Path] = ()) -> Path:
    """The regular file ``name`` names, inside the design's folder (or one of ``extra_roots``).

    Refused, with ``path`` as the location: a non-string, a name that escapes every root (``..``, an absolute
    path elsewhere, a symlink pointing out), a missing file, anything that is not a regular file, a file over
    the size cap. Escapes are refused before anything is looked up outside, so errors reveal nothing there.
    """
    if not isinstance(name, str) or not name or len(name) > 4096 or "\x00" in name:
        raise DesignError("must be a file name (a string)", path)
    base = (base_dir or Path.cwd()).resolve()
    roots = [base, *(Path(r).resolve() for r in extra_roots)]
    shown = _shown(name)
    found: Path | None = None
    escapes = False
    for i, root in enumerate(roots):
        try:
            target = (root / name).resolve()  # an absolute name replaces root: it must then lie inside one
        except (OSError, RuntimeError, ValueError):  # a symlink loop, an odd name
            continue
        if not _inside(target, root):
            escapes = escapes or i == 0
            continue
        if target.exists():
            found = target
            break
        if i == 0:
            found = target
    if found is None or (escapes and not found.exists()):
        where = "the design's folder" + (" or the built-in folder" if len(roots) > 1 else "")
        raise DesignError(f"{shown} points outside {where}; keep the file next to the design", path)
    try:
        info = found.stat()
    except OSError:
        raise DesignError(f"file not found: {shown} (looked in {_shown(str(base))})", path) from None
    if not stat.S_ISREG(info.st_mode):
        raise DesignError(f"{shown} is not a regular file", path)
    if info.st_size > MAX_USER_FILE_BYTES:
        raise DesignError(f"{shown} is larger than {MAX_USER_FILE_BYTES // 2**20} MiB", path)
    return found


def read_bytes_capped(file: Path, path: str, limit: int = MAX_USER_FILE_BYTES, what: str = "file") -> bytes:
    """The bytes of a regular file, refusing it (without reading on) once it passes ``limit`` bytes."""
    try:
        info = os.stat(file)
    except ValueError:  # an embedded NUL byte
        raise DesignError(f"not a valid {what} file name", path) from None
    except OSError as exc:
        raise DesignError(f"cannot open {what} file: {exc.strerror or type(exc).__name__}", path) from None
    if not stat.S_ISREG(info.st_mode):  # before opening: opening a FIFO blocks, a device may stream forever
        kind = "a folder" if stat.S_ISDIR(info.st_mode) else "not a regular file"
        raise DesignError(f"cannot read {what} file: {kind}", path)
    if info.st_size > limit:  # refused without reading; the read below is capped too, whatever st_size says
        raise DesignError(f"{what} file is {_size(info.st_size)}; the limit is {_size(limit)}", path)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(file, flags)
    except OSError as exc:
        raise DesignError(f"cannot open {what} file: {exc.strerror or type(exc).__name__}", path) from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):  # swapped for a FIFO or device since the check above
            raise DesignError(f"cannot read {what} file: not a regular file", path)
        chunks: list[bytes] = []
        total = 0
        while True:
            try:
                chunk = os.read(fd, min(_READ_CHUNK, limit + 1 - total))
            except OSError as exc:
                raise DesignError(f"cannot read {what} file: {exc.strerror or type(exc).__name__}", path) from None
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > limit:  # st_size may be 0 or lie (/proc, files still growing): the cap is on what is read
                raise DesignError(f"{what} file is over the {_size(limit)} limit", path)
        return b"".join(chunks)
    finally:
        os.close(fd)


def read_text_capped(file: Path, path: str, limit: int = MAX_USER_FILE_BYTES, what: str = "file") -> str:
    """UTF-8 text of a regular file under the cap; a file that is not UTF-8 is refused without quoting it."""
    try:
        return read_bytes_capped(file, path, limit, what).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DesignError(f"not a UTF-8 text file (byte {exc.start})", path) from None


def atomic_write_text(path: str | os.PathLike[str], text: str, *, backup: bool = False) -> None:
    """Write ``text`` (UTF-8) to ``path`` so that a crash at any moment leaves either the old or the new file.

    Symlinks are followed (the link stays, its target is replaced) and the file keeps its permission bits.
    With ``backup``, the previous content is kept as ``<name>.bak``, itself written to a temporary file and
    renamed into place, so a kill during the backup never leaves a truncated ``.bak`` or a stray temporary.
    Raises ``OSError`` (callers report it) and ``UnicodeEncodeError`` for text no file can hold.
    """
    target = Path(os.path.realpath(path))
    data = text.encode("utf-8")  # before touching anything: a lone surrogate fails here, not half-way
    mode: int | None = None
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        pass
    if backup and mode is not None:
        with open(target, "rb") as fh:
            old = fh.read()
        _replace(target.with_name(target.name + ".bak"), old, mode)
    _replace(target, data, mode)


def _replace(target: Path, data: bytes, mode: int | None) -> None:
    """Write ``data`` to a temporary file in the target's folder, fsync, then rename it over the target."""
    if mode is None:  # a new file: the usual mode for the user's umask, not mkstemp's 0600
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    tmp = _write_temp(target, data, mode)
    try:
        os.replace(tmp, target)
    except BaseException:
        _unlink(tmp)
        raise
    try:  # make the rename itself durable
        dir_fd = os.open(target.parent, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)


def _write_temp(target: Path, data: bytes, mode: int) -> str:
    """A complete temporary copy of ``data`` next to the target, with ``mode``; returns its name.

    Where the OS has O_TMPFILE (Linux) the file has no name until it is complete and synced, so a kill
    mid-write leaves nothing behind; elsewhere a hidden ``.<name>.*.tmp`` is removed on any error.
    """
    if hasattr(os, "O_TMPFILE") and os.path.isdir("/proc/self/fd"):
        try:
            fd = os.open(target.parent, os.O_TMPFILE | os.O_WRONLY, mode)
        except OSError:  # a file system without O_TMPFILE
            fd = -1
        if fd >= 0:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fchmod(fh.fileno(), mode)
                os.fsync(fh.fileno())
                try:
                    return _link_unnamed(fh.fileno(), target)
                except OSError:  # /proc without linkat support (some sandboxes): write a named temporary
                    pass
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
    except BaseException:
        _unlink(tmp)
        raise
    return tmp


def _unlink(name: str) -> None:
    try:
        os.unlink(name)
    except OSError:
        pass


def _link_unnamed(fd: int, target: Path) -> str:
    # linkat(AT_SYMLINK_FOLLOW) through /proc/self/fd: os.link uses it only when given a directory fd
    proc = os.open("/proc/self/fd", os.O_RDONLY)
    try:
        for _ in range(100):
            name = str(target.with_name(f".{target.name}.{os.urandom(6).hex()}.tmp"))
            try:
                os.link(str(fd), name, src_dir_fd=proc, follow_symlinks=True)
                return name
            except FileExistsError:
                continue
    finally:
        os.close(proc)
    raise FileExistsError(f"no free temporary name next to {target.name}")


def _shown(name: str) -> str:
    from simulation.errors import clean_text

    return repr(clean_text(name, 120))


def _size(n: int) -> str:
    return f"{n // 2**20} MiB" if n >= 2**20 else f"{n:,} bytes"
