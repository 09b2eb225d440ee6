"""Many sources at once: the sources file, one report per source and an index page linking them."""

from __future__ import annotations

import re
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from auditlib import __version__
from auditlib.report.html import esc
from auditlib.report.pipeline import ReportError


def read_sources(path: str | Path) -> list[dict[str, str]]:
    """The ``[[source]]`` entries of a TOML file: ``name`` and one of ``dsn_env``, ``migrations``, ``snapshot``."""
    import tomllib

    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ReportError(f"The sources file {path} does not exist.") from None
    except tomllib.TOMLDecodeError as error:
        raise ReportError(f"The sources file {path} is not valid TOML ({error}).") from None
    sources = data.get("source", [])
    if not sources:
        raise ReportError(f"The sources file {path} lists no [[source]] entries (name plus dsn_env, migrations or "
                          "snapshot).")
    names = set()
    for entry in sources:
        kinds = [k for k in ("dsn_env", "migrations", "snapshot") if entry.get(k)]
        if not entry.get("name") or len(kinds) != 1:
            raise ReportError(f"Each [[source]] in {path} needs a name and exactly one of dsn_env, migrations or "
                              f"snapshot; got {sorted(entry)}.")
        if not re.fullmatch(r"[A-Za-z0-9_.-]+", entry["name"]) or entry["name"] in names:
            raise ReportError(f"Source names in {path} must be unique and use letters, digits, '.', '_' or '-': "
                              f"{entry['name']!r}.")
        names.add(entry["name"])
    return sources


def render_many(sources: list[dict[str, str]], output_dir: str | Path = "reports", parallel: int = 2,
                extra_args: list[str] | None = None) -> Path:
    """One report per source, ``parallel`` at a time (separate processes), and an index page linking them."""
    import subprocess
    import time
    from concurrent.futures import ThreadPoolExecutor

    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)

    def run(entry: dict[str, str]) -> dict[str, Any]:
        flag = {"dsn_env": "--dsn-env", "migrations": "--migrations", "snapshot": "--snapshot"}
        kind = next(k for k in flag if entry.get(k))
        target = output_dir / entry["name"]
        started = time.perf_counter()
        process = subprocess.run([sys.executable, "-m", "auditlib.cli", "report", flag[kind], entry[kind],
                                  "--output-dir", str(target), "--title", f"Data relationship audit: {entry['name']}",
                                  *(extra_args or [])], capture_output=True, text=True)
        latest = sorted(target.glob("latest*.html"))
        error = process.stderr.strip().splitlines()[-1] if process.returncode and process.stderr.strip() else ""
        return {"name": entry["name"], "kind": kind, "ok": process.returncode == 0,
                "report": latest[0].resolve().relative_to(output_dir.resolve()).as_posix() if latest else None,
                "seconds": round(time.perf_counter() - started, 1), "error": error}

    with ThreadPoolExecutor(max_workers=max(1, parallel)) as pool:
        results = list(pool.map(run, sources))
    def link(result: dict[str, Any]) -> str:
        return f'<a href="{esc(result["report"])}">report</a>' if result["ok"] and result["report"] else "failed"

    rows = "".join(f"<tr><td>{esc(r['name'])}</td><td>{esc(r['kind'])}</td><td>{link(r)}</td>"
                   f"<td>{r['seconds']}</td><td>{esc(r['error'])}</td></tr>" for r in results)
    page = ("<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>auditlib reports</title>"
            "<style>body{font-family:sans-serif;margin:2rem}td,th{border:1px solid #ccc;padding:.3rem .6rem}"
            "table{border-collapse:collapse}</style></head><body>"
            f"<h1>auditlib reports</h1><p>{len(results)} sources, generated "
            f"{esc(datetime.now(UTC).isoformat(timespec='seconds'))} by auditlib {esc(__version__)}.</p>"
            "<table><tr><th>source</th><th>kind</th><th>report</th><th>seconds</th><th>error</th></tr>"
            f"{rows}</table></body></html>")
    index = output_dir / "index.html"
    partial = output_dir / ".index.html.partial"
    partial.write_text(page, encoding="utf-8")
    partial.replace(index)
    return index
