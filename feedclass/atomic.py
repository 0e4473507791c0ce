"""Writing a file so that a reader sees the old one or the new one, never half of either.

Every writer in feedclass (tables, reports, model files, the history state) goes through
:class:`AtomicWriter`:

- a regular file (or a new name) is written to a hidden temporary file beside it (mode 0600,
  named ``.NAME.PID.RANDOM.fctmp``), flushed to disk, given the mode of the file it replaces
  and renamed over it; a symlinked target is written through the link;
- a character device (``/dev/null``), a FIFO, a socket or one of ``/dev/stdout``,
  ``/dev/stderr``, ``/dev/fd/N``, ``/proc/self/fd/N`` is written straight into: renaming over
  it would replace the device node, or leave the FIFO's reader waiting for ever;
- the temporary file is removed when the write fails, on Ctrl-C and on SIGTERM (the CLI turns
  SIGTERM into an exception, so the same clean-up runs); temporary files that a killed run
  (SIGKILL, power cut) left behind are removed by the next run that writes the same output.

Several outputs that must change together are prepared first and renamed by
:func:`commit_all` in the order given, so the caller decides which file is the commit point.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import secrets
import signal
import stat
import threading
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from feedclass.errors import DataError, InputFileError, Terminated

__all__ = [
    "TEMP_SUFFIX",
    "AtomicWriter",
    "atomic_target",
    "atomic_write",
    "check_not_an_input",
    "clear_stop_requests",
    "commit_all",
    "live_temp_files",
    "remove_live_temp_files",
    "remove_stale_temps",
    "request_stop",
    "same_file",
]

#: Suffix of every temporary file feedclass writes beside an output.
TEMP_SUFFIX = ".fctmp"
_STREAM_PATHS = re.compile(r"^/(dev/(stdout|stderr|fd/\d+)|proc/(self|\d+)/fd/\d+)$")

# Temporary files of this process not yet renamed or removed: the CLI removes what is left here
# when a signal ends the run before the writers could unwind.
_LIVE: set[str] = set()
_LIVE_LOCK = threading.Lock()


def atomic_target(path: str | os.PathLike[str]) -> Path:
    """Where a write of ``path`` must go: through a symlink to its target, so that the rename
    replaces the file the link points at rather than the link itself.

    >>> atomic_target("out.csv")
    PosixPath('out.csv')
    """
    p = Path(path)
    return Path(os.path.realpath(p)) if p.is_symlink() else p


def _is_stream(path: Path) -> bool:
    """True for a path that must be written straight into rather than replaced."""
    if _STREAM_PATHS.match(os.path.abspath(path)):
        return True
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return not stat.S_ISREG(mode) and not stat.S_ISDIR(mode)


def same_file(a: str | os.PathLike[str], b: str | os.PathLike[str]) -> bool:
    """Whether two paths name one file: the same inode (hard links, symlinks), or one path.

    >>> same_file("a.csv", "./a.csv")
    True
    """
    pa, pb = Path(a), Path(b)
    try:
        if pa.exists() and pb.exists():
            return os.path.samefile(pa, pb)
    except OSError:
        pass
    return pa.resolve() == pb.resolve()


def check_not_an_input(
    output: str | os.PathLike[str] | None, inputs: Iterable[Any], what: str = "the output"
) -> None:
    """Refuse to write ``output`` when it is the same file as one of ``inputs``.

    Streams (stdin, ``-``, a character device such as ``/dev/null``) are never "the same file":
    writing into them destroys nothing.

    >>> check_not_an_input("model.fcm", ["train.csv"])
    """
    if output is None or str(output) == "-":
        return
    out = Path(output)
    if out.exists() and _is_stream(out):
        return
    for source in inputs:
        if not isinstance(source, (str, os.PathLike)) or str(source) == "-":
            continue
        if same_file(out, source):
            raise DataError(
                f"{what} {str(output)!r} is the input {str(source)!r}; writing it would destroy "
                "the input: give another file name"
            )


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's live process
    return True


def remove_stale_temps(dest: str | os.PathLike[str]) -> list[Path]:
    """Remove temporary files of ``dest`` whose writer is gone; return what was removed.

    A temporary file's name carries its writer's process id; one whose process no longer runs
    was left by a run that was killed (SIGKILL, power cut) and can never be finished.
    """
    dest = Path(dest)
    folder = dest.parent if str(dest.parent) else Path(".")
    prefix = f".{dest.name}."
    removed: list[Path] = []
    try:
        names = os.listdir(folder)
    except OSError:
        return removed
    for name in names:
        if not (name.startswith(prefix) and name.endswith(TEMP_SUFFIX)):
            continue
        middle = name[len(prefix) : -len(TEMP_SUFFIX)].split(".")
        if len(middle) != 2 or not middle[0].isdigit():
            continue
        pid = int(middle[0])
        if pid == os.getpid() or _pid_alive(pid):
            continue
        with contextlib.suppress(FileNotFoundError):
            (folder / name).unlink()
            removed.append(folder / name)
    return removed


def live_temp_files() -> list[str]:
    """Temporary files this process has open and not yet committed or removed."""
    with _LIVE_LOCK:
        return sorted(_LIVE)


def remove_live_temp_files() -> None:
    """Remove every temporary file of this process (last resort when a signal ends a run)."""
    with _LIVE_LOCK:
        names = list(_LIVE)
        _LIVE.clear()
    for name in names:
        with contextlib.suppress(OSError):
            os.unlink(name)


def _new_file_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def _fsync_dir(folder: Path) -> None:
    """Make a rename in ``folder`` survive a power cut (best effort: not every fs allows it)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


#: Signals that asked this run to stop. A handler's exception can be lost (raised inside a
#: callback from compiled code, it is printed and ignored), so renames check this too: a run
#: told to stop never publishes its output.
_STOP_REQUESTS: list[int] = []


def request_stop(signum: int) -> None:
    """Record that signal ``signum`` (SIGINT or SIGTERM) asked this run to stop.

    From then on :meth:`AtomicWriter.rename` raises ``KeyboardInterrupt`` (SIGINT) or
    :class:`~feedclass.errors.Terminated` instead of putting a file in place.

    >>> request_stop(signal.SIGTERM); clear_stop_requests()
    """
    _STOP_REQUESTS.append(signum)


def clear_stop_requests() -> None:
    """Forget earlier stop requests (for a program that goes on after handling one)."""
    _STOP_REQUESTS.clear()


def _raise_if_stop_requested() -> None:
    if _STOP_REQUESTS:
        raise KeyboardInterrupt if _STOP_REQUESTS[0] == signal.SIGINT else Terminated


class AtomicWriter:
    """A file that appears under its final name only after :meth:`commit`.

    Parameters
    ----------
    dest : path of the file to write; ``None`` or ``"-"`` for stdout.
    binary : write bytes (``stream`` is a binary file) rather than text.
    encoding, newline : for text, as :func:`open` takes them.

    Use as a context manager: the file is committed when the block ends normally and the
    temporary file removed when it raises (``KeyboardInterrupt`` and SIGTERM included).
    ``stream`` is the file object to write to.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> with AtomicWriter(folder / "out.txt") as w:
    ...     _ = w.stream.write("hello\\n")
    >>> (folder / "out.txt").read_text()
    'hello\\n'
    """

    def __init__(
        self,
        dest: str | os.PathLike[str] | None,
        *,
        binary: bool = False,
        encoding: str = "utf-8",
        newline: str | None = "",
    ) -> None:
        self.binary = binary
        self.tmp: Path | None = None
        self.direct = False
        self.dest: Path | None = None
        if dest is None or str(dest) == "-":
            self.stream: IO[Any] = _stdout(binary)
            self.direct = True
            return
        given = Path(dest)
        if _is_stream(given):
            # Open the name as given: /dev/stdout resolves to a pipe's /proc name otherwise.
            self.dest = given
            self.direct = True
            try:
                # append: never truncate what a shell redirection (">>") already holds
                raw = open(given, "ab")
            except OSError as exc:
                raise InputFileError(f"{given}: cannot write ({exc.strerror})") from None
            self.stream = raw if binary else _text(raw, encoding, newline)
            return
        self.dest = atomic_target(given)
        folder = self.dest.parent if str(self.dest.parent) else Path(".")
        if not folder.is_dir():
            raise InputFileError(f"{self.dest}: folder {folder} does not exist")
        if self.dest.is_dir():
            raise InputFileError(f"{self.dest}: is a directory; give a file name")
        remove_stale_temps(self.dest)
        for _ in range(100):
            name = f".{self.dest.name}.{os.getpid()}.{secrets.token_hex(4)}{TEMP_SUFFIX}"
            tmp = folder / name
            try:
                fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                continue
            except OSError as exc:
                raise InputFileError(f"{self.dest}: cannot write ({exc.strerror})") from None
            break
        else:  # pragma: no cover - 100 random names taken
            raise InputFileError(f"{self.dest}: cannot create a temporary file beside it")
        self.tmp = tmp
        with _LIVE_LOCK:
            _LIVE.add(str(tmp))
        raw = os.fdopen(fd, "wb")
        self.stream = raw if binary else _text(raw, encoding, newline)

    @classmethod
    def adopt(cls, tmp: str | os.PathLike[str], dest: str | os.PathLike[str]) -> AtomicWriter:
        """A writer for a temporary file finished by an earlier run (crash recovery): only
        :meth:`rename` and :meth:`abort` make sense on it."""
        w = cls.__new__(cls)
        w.binary = True
        w.direct = False
        w.dest = Path(dest)
        w.tmp = Path(tmp)
        w.stream = io.BytesIO()
        w.stream.close()
        return w

    def __enter__(self) -> AtomicWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.commit()
        else:
            self.abort()

    def finish(self) -> None:
        """Flush and close the temporary file, ready for :meth:`rename` (no-op for streams)."""
        if self.tmp is None:
            if self.direct and self.dest is not None and not self.stream.closed:
                self.stream.flush()
                self.stream.close()
            elif self.dest is None:
                self.stream.flush()
            return
        if not self.stream.closed:
            self.stream.flush()
            raw = self.stream.buffer if isinstance(self.stream, io.TextIOWrapper) else self.stream
            raw.flush()
            os.fsync(raw.fileno())
            self.stream.close()

    def rename(self) -> None:
        """Move the finished temporary file over the destination, keeping its mode."""
        if self.tmp is None:
            return
        assert self.dest is not None
        _raise_if_stop_requested()
        try:
            mode = os.stat(self.dest).st_mode & 0o7777
        except FileNotFoundError:
            mode = _new_file_mode()  # not mkstemp's 0600: a web server must read a feed
        os.chmod(self.tmp, mode)
        os.replace(self.tmp, self.dest)
        with _LIVE_LOCK:
            _LIVE.discard(str(self.tmp))
        self.tmp = None
        _fsync_dir(self.dest.parent if str(self.dest.parent) else Path("."))

    def commit(self) -> None:
        """Finish and rename: the new file replaces the old one in one step."""
        try:
            self.finish()
            self.rename()
        except BaseException:
            self.abort()
            raise

    def abort(self) -> None:
        """Drop what was written: remove the temporary file (streams are left as they are)."""
        if self.tmp is None:
            if self.direct and self.dest is not None:
                with contextlib.suppress(OSError):
                    self.stream.close()
            return
        try:
            with contextlib.suppress(OSError, ValueError):
                self.stream.close()
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.tmp)
            with _LIVE_LOCK:
                _LIVE.discard(str(self.tmp))
            self.tmp = None


def commit_all(writers: Sequence[AtomicWriter]) -> None:
    """Finish every writer, then rename them in the order given.

    Nothing is renamed until every file is complete on disk, so a failure while finishing
    leaves every old file in place. Once the first rename is done the rest are done too:
    Ctrl-C or SIGTERM arriving meanwhile takes effect after the last rename (they take
    milliseconds), so only a hard kill can stop between two renames; the first file should be
    the one that records the others (the history state), for the caller's recovery.
    """
    try:
        for w in writers:
            w.finish()
    except BaseException:
        for w in writers:
            w.abort()
        raise
    with _signals_deferred():
        try:
            if writers:
                writers[0].rename()
        except BaseException:
            for w in writers:
                w.abort()
            raise
        for w in writers[1:]:
            w.rename()


@contextlib.contextmanager
def _signals_deferred() -> Iterator[None]:
    """Hold SIGINT and SIGTERM until the block ends, then act on them as usual."""
    import signal

    caught: list[int] = []

    def hold(signum: int, frame: Any) -> None:
        caught.append(signum)

    try:
        previous = {sig: signal.signal(sig, hold) for sig in (signal.SIGINT, signal.SIGTERM)}
    except ValueError:  # not the main thread: signals are not ours to hold
        yield
        return
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        for signum in caught[:1]:
            action = previous[signal.Signals(signum)]
            if callable(action):
                action(signum, None)
            elif action == signal.SIG_DFL:
                signal.raise_signal(signum)


@contextlib.contextmanager
def atomic_write(
    dest: str | os.PathLike[str], *, binary: bool = False, encoding: str = "utf-8"
) -> Iterator[IO[Any]]:
    """``with atomic_write(path) as fh:`` — :class:`AtomicWriter` for the simple case."""
    with AtomicWriter(dest, binary=binary, encoding=encoding) as w:
        yield w.stream


def _stdout(binary: bool) -> IO[Any]:
    import sys

    return sys.stdout.buffer if binary else sys.stdout


def _text(raw: IO[bytes], encoding: str, newline: str | None) -> io.TextIOWrapper:
    return io.TextIOWrapper(raw, encoding=encoding, newline=newline)  # type: ignore[arg-type]
