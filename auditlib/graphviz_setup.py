"""A Graphviz ``dot`` for this process: the system one when installed, else the pip-installed graphviz-pure.

graphviz-pure ships one program, ``graphviz-pure``, with dot's command line; it picks its layout engine from the
name it is run as (or ``-K``). The ``graphviz`` Python package runs ``dot``/``sfdp`` by name, so when no system
Graphviz is on PATH we make a small folder of ``dot`` and ``sfdp`` links to graphviz-pure and put it first on this
process's PATH. Nothing outside that folder is touched.
"""

from __future__ import annotations

import os
import shutil
import sys
import sysconfig
import tempfile
import threading
import uuid
import warnings
from pathlib import Path

ENGINES = ("dot", "sfdp")
PURE_NAME = "graphviz-pure"

_lock = threading.Lock()
_found: Path | None = None


class GraphvizNotFound(RuntimeError):
    """No usable ``dot`` program: neither a system Graphviz nor graphviz-pure is installed."""


def _exe(name: str) -> str:
    return name + ".exe" if os.name == "nt" else name


def bin_dir() -> Path:
    """The folder that holds the ``dot``/``sfdp`` links: ``AUDITLIB_HOME/bin``, else the per-user cache's ``bin``."""
    if os.environ.get("AUDITLIB_HOME"):
        return Path(os.environ["AUDITLIB_HOME"]).expanduser().resolve() / "bin"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs may warn about XDG_RUNTIME_DIR
        import platformdirs

        return platformdirs.user_cache_path("auditlib") / "bin"


def find_graphviz_pure() -> Path | None:
    """The graphviz-pure program: on PATH, next to this Python, or in this environment's scripts folder."""
    on_path = shutil.which(PURE_NAME)
    if on_path:
        return Path(on_path)
    for folder in (Path(sys.executable).parent, Path(sysconfig.get_path("scripts"))):
        candidate = folder / _exe(PURE_NAME)
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


def _same_file(link: Path, target: Path) -> bool:
    try:
        return link.resolve() == target.resolve() or (
            not link.is_symlink() and link.stat().st_size == target.stat().st_size
            and link.stat().st_mtime >= target.stat().st_mtime)
    except OSError:
        return False


def _place(link: Path, target: Path) -> None:
    """Make ``link`` run ``target``: a symlink, or a copy where symlinks are not allowed. Atomic, so concurrent
    processes (papermill runs side by side) never see a half-made file."""
    if link.exists() and _same_file(link, target):
        return
    temporary = link.with_name(f".{link.name}.{uuid.uuid4().hex}")
    try:
        os.symlink(target.resolve(), temporary)
    except (OSError, NotImplementedError):
        shutil.copy2(target, temporary)
    os.replace(temporary, link)


def _prepend_path(folder: Path) -> None:
    parts = os.environ.get("PATH", "").split(os.pathsep)
    if str(folder) not in parts:
        os.environ["PATH"] = os.pathsep.join([str(folder), *[p for p in parts if p]])


def ensure_dot() -> Path:
    """The ``dot`` program to run: a system Graphviz on PATH, else links to graphviz-pure put first on PATH.

    Cached per process. Raises ``GraphvizNotFound`` (one sentence: what to install) when neither exists.
    """
    global _found
    with _lock:
        if _found is not None and _found.exists():
            return _found
        system = shutil.which("dot")
        if system:
            _found = Path(system)
            return _found
        pure = find_graphviz_pure()
        if pure is None:
            raise GraphvizNotFound("No Graphviz 'dot' program was found: install one with `pip install "
                                   "graphviz-pure` or your system's graphviz package (apt/brew install graphviz).")
        folder = bin_dir()
        try:
            folder.mkdir(parents=True, exist_ok=True)
            for engine in ENGINES:
                _place(folder / _exe(engine), pure)
        except OSError:
            # A read-only cache (some CI sandboxes): a private temporary folder works as well for this process.
            folder = Path(tempfile.mkdtemp(prefix="auditlib-dot-"))
            for engine in ENGINES:
                _place(folder / _exe(engine), pure)
        _prepend_path(folder)
        _found = folder / _exe("dot")
        return _found


def engine_command(engine: str = "dot") -> list[str]:
    """The command line that lays a graph out with ``engine`` (``-K`` works for system dot and graphviz-pure)."""
    return [str(ensure_dot()), f"-K{engine}"]
