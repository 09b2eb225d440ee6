"""The scan: finds a folder's source files (skipping dependencies, build output, minified and oversized files),
parses each once and runs the readers over them."""

from __future__ import annotations

import ast as pyast
import io
import os
import posixpath
import re
import tokenize
from fnmatch import fnmatchcase
from pathlib import Path

from auditlib.codescan.collector import Collector
from auditlib.codescan.javascript import JsModule
from auditlib.codescan.python import PyModule
from auditlib.codescan.records import CodeScan
from auditlib.config import AuditConfig

JS_GRAMMARS = {".js": "javascript", ".jsx": "javascript", ".mjs": "javascript", ".cjs": "javascript",
               ".ts": "typescript", ".mts": "typescript", ".cts": "typescript", ".tsx": "tsx"}
COMPONENT_EXTENSIONS = (".vue", ".svelte")   # single-file components: only their <script> blocks are code


class Scanner:
    """Parses a folder's source files (each once) and runs the readers over them."""

    def __init__(self, root: Path, config: AuditConfig):
        self.root = root
        self.config = config
        settings = config["code"]
        self.scan = CodeScan(root=str(root), default_schema=settings["default_schema"])
        self.collector = Collector(self.scan, set(settings["sql_calls"]))
        self.modules: dict[str, JsModule | PyModule] = {}
        self.active: set[tuple] = set()

    def run(self) -> CodeScan:
        files = self.discover()
        for path in files:
            self.load(path)
        for file in sorted(self.modules):
            self.modules[file].analyse(self.collector)
        self.scan.files = sorted(self.modules)
        return self.scan

    def discover(self) -> list[Path]:
        """Source files by extension, minus skipped folders, minified/generated files and files over the limit."""
        settings = self.config["code"]
        extensions = {e.lower() for e in settings["extensions"]}
        found = []
        for folder, subfolders, names in os.walk(self.root):
            subfolders[:] = sorted(d for d in subfolders if not any(fnmatchcase(d, p) for p in settings["skip_dirs"]))
            for name in sorted(names):
                path = Path(folder) / name
                if path.suffix.lower() not in extensions:
                    continue
                relative = path.relative_to(self.root).as_posix()
                if any(fnmatchcase(name, p) for p in settings["skip_files"]):
                    self.scan.skipped.append({"file": relative, "reason": "minified or generated"})
                elif path.is_symlink():
                    self.scan.skipped.append({"file": relative, "reason": "a symbolic link"})
                elif path.stat().st_size > settings["max_file_bytes"]:
                    self.scan.skipped.append({"file": relative, "reason": f"larger than "
                                              f"{settings['max_file_bytes']:,} bytes"})
                else:
                    found.append(path)
        return found

    def load(self, path: Path) -> None:
        relative = path.relative_to(self.root).as_posix()
        data = path.read_bytes()
        if b"\x00" in data[:8192]:
            self.scan.skipped.append({"file": relative, "reason": "binary (holds NUL bytes)"})
            return
        suffix = path.suffix.lower()
        if suffix == ".py":
            self._load_python(relative, data)
            return
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = data.decode("latin-1")
            self.scan.notes.append({"file": relative, "note": "not UTF-8: read as Latin-1"})
        grammar = JS_GRAMMARS.get(suffix)
        if suffix in COMPONENT_EXTENSIONS:
            text, grammar = component_script(text)
        module = JsModule(self, relative, text.encode("utf-8"), grammar)
        if module.root.has_error:
            self.scan.notes.append({"file": relative, "note": "syntax errors: the rest of the file was read"})
        self.modules[relative] = module

    def _load_python(self, relative: str, data: bytes) -> None:
        try:
            tree = pyast.parse(data, filename=relative)
            source = data.decode(tokenize.detect_encoding(io.BytesIO(data).readline)[0], "replace")
        except (SyntaxError, ValueError) as error:
            try:  # a file that is not UTF-8 and declares no encoding: try Latin-1 before giving up
                source = data.decode("latin-1")
                tree = pyast.parse(source, filename=relative)
                self.scan.notes.append({"file": relative, "note": "not UTF-8: read as Latin-1"})
            except (SyntaxError, ValueError):
                line = getattr(error, "lineno", None)
                self.scan.skipped.append({"file": relative, "reason": "does not parse as Python 3" +
                                          (f" (line {line})" if line else "")})
                return
        self.modules[relative] = PyModule(self, relative, tree, source)

    # -- imports between scanned files ----------------------------------------------------------------------
    def js_module(self, importer: str, specifier: str) -> JsModule | None:
        """The scanned module a relative import points to (extension and /index resolved)."""
        if not specifier.startswith("."):
            return None
        base = posixpath.normpath(posixpath.join(posixpath.dirname(importer), specifier))
        suffixes = ["", *JS_GRAMMARS, *COMPONENT_EXTENSIONS, *(f"/index{e}" for e in JS_GRAMMARS)]
        for suffix in suffixes:
            module = self.modules.get(base + suffix)
            if isinstance(module, JsModule):
                return module
        return None

    def py_module(self, importer: str, module: str, level: int) -> PyModule | None:
        """The scanned module of ``from <level dots><module> import …`` (relative, or from the scan's root)."""
        parts = module.split(".") if module else []
        if level:
            base = posixpath.dirname(importer)
            for _ in range(level - 1):
                base = posixpath.dirname(base)
            stem = posixpath.join(base, *parts) if parts else base
        else:
            stem = posixpath.join(*parts) if parts else ""
        for candidate in (f"{stem}.py", f"{stem}/__init__.py"):
            found = self.modules.get(posixpath.normpath(candidate))
            if isinstance(found, PyModule):
                return found
        return None


def component_script(text: str) -> tuple[str, str]:
    """A .vue/.svelte file with everything but its <script> blocks blanked (lines kept), and the grammar to use."""
    blanked = re.sub(r"[^\n]", " ", text)
    grammar = "javascript"
    pieces = list(blanked)
    for match in re.finditer(r"<script\b([^>]*)>(.*?)</script\s*>", text, re.DOTALL | re.IGNORECASE):
        pieces[match.start(2):match.end(2)] = text[match.start(2):match.end(2)]
        if re.search(r"""lang\s*=\s*["'](ts|typescript)["']""", match.group(1)):
            grammar = "typescript"
    return "".join(pieces), grammar


def scan_code(folder: str | Path, config: AuditConfig | None = None) -> CodeScan:
    """Scan a source folder for the tables, functions and columns its code names (see the module docstring)."""
    root = Path(folder)
    if not root.is_dir():
        raise CodeScanError(f"The code folder {root} does not exist or is not a folder; pass the folder that holds "
                            "your application's source (e.g. src).")
    return Scanner(root.resolve(), config or AuditConfig()).run()


class CodeScanError(ValueError):
    """The code folder cannot be scanned; one sentence for the user."""
