"""The wheel ships everything auditlib reads at run time, and an installed wheel renders the demo report."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from importlib import metadata
from pathlib import Path

import pytest

from auditlib.report import ReportError, notebook_path
from tests.conftest import TEST_HOME

ROOT = Path(__file__).resolve().parent.parent
# Folders of auditlib/ that hold no Python but are read at run time; each must ship whole.
DATA_FOLDERS = ("sql", "templates", "stubs", "pgext/extension", "demo/sql", "demo/migrations", "demo/app")
# Build byproducts and local state that must not be copied into the build tree.
NOT_SOURCE = shutil.ignore_patterns(".git", ".venv", "build", "dist", "*.egg-info", "reports", "__pycache__",
                                    ".pytest_cache", ".ruff_cache", ".ipynb_checkpoints")


def test_checkout_reads_the_top_level_notebooks():
    """In a checkout the report runs the analysts' notebooks/ themselves, so an edit there shows up at once."""
    for source in sorted((ROOT / "notebooks").glob("*.ipynb")):
        assert notebook_path(source.stem).resolve() == source.resolve()


def test_unknown_notebook_names_the_available_ones():
    with pytest.raises(ReportError) as error:
        notebook_path("no_such_notebook")
    assert str(error.value) == ("There is no notebook 'no_such_notebook'; available: findings_browser, "
                                "migration_audit, relationship_audit, schema_drift, table_explorer.")


def backend_installed() -> bool:
    """Whether this environment's setuptools can build auditlib (77 reads pyproject.toml's SPDX license string)."""
    try:
        return int(metadata.version("setuptools").split(".")[0]) >= 77
    except metadata.PackageNotFoundError:
        return False


def build_wheel(destination: Path) -> Path:
    """Build the wheel from a copy of the working tree (an in-tree build/ folder can carry stale files)."""
    source = destination / "src"
    shutil.copytree(ROOT, source, symlinks=True, ignore=NOT_SOURCE)
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir", str(destination),
               str(source)]
    if backend_installed():
        command.insert(4, "--no-build-isolation")  # nothing to download, and seconds faster
    subprocess.run(command, check=True, capture_output=True, timeout=300)
    return next(destination.glob("auditlib-*.whl"))


def install_wheel(wheel: Path, venv: Path) -> Path:
    """A fresh venv holding the wheel; its dependencies come from this environment through a .pth file."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    purelib = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                                  check=True, capture_output=True, text=True).stdout.strip())
    # Folders named in a .pth are added to sys.path without running their own .pth files, so this environment's
    # editable auditlib (installed by a .pth import hook) stays out of the new venv.
    dependencies = {sysconfig.get_path("purelib"), sysconfig.get_path("platlib")}
    (purelib / "dependencies.pth").write_text("\n".join(sorted(dependencies)) + "\n", encoding="utf-8")
    # nbconvert's base templates are data files of its install prefix; a real install puts them in the new venv.
    share = venv / "share" / "jupyter"
    share.mkdir(parents=True)
    (share / "nbconvert").symlink_to(Path(sys.prefix) / "share" / "jupyter" / "nbconvert")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--quiet",
                    str(wheel)], check=True, capture_output=True, timeout=300)
    return venv / "bin"


@pytest.mark.slow
def test_installed_wheel_renders_the_demo_report(demo_url, tmp_path):
    wheel = build_wheel(tmp_path / "dist")
    shipped = set(zipfile.ZipFile(wheel).namelist())
    notebooks = sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb"))
    assert notebooks and {f"auditlib/notebooks/{name}" for name in notebooks} <= shipped
    for folder in DATA_FOLDERS:
        files = {path.relative_to(ROOT).as_posix() for path in (ROOT / "auditlib" / folder).rglob("*")
                 if path.is_file() and "__pycache__" not in path.parts}
        assert files and not files - shipped, f"auditlib/{folder} is missing from the wheel: {sorted(files - shipped)}"

    bin_dir = install_wheel(wheel, tmp_path / "venv")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    imported = subprocess.run([str(bin_dir / "python"), "-c", "import auditlib; print(auditlib.__file__)"],
                              cwd=elsewhere, check=True, capture_output=True, text=True).stdout.strip()
    assert Path(imported).is_relative_to(tmp_path / "venv"), imported

    output = tmp_path / "out"
    environment = {**os.environ, "AUDITLIB_HOME": str(TEST_HOME)}  # the test session's server, already running
    run = subprocess.run([str(bin_dir / "auditlib"), "report", "--demo", "--output-dir", str(output), "--no-history"],
                         cwd=elsewhere, env=environment, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-2000:]
    page = (output / "latest.html").read_text(encoding="utf-8")
    assert "<title>auditlib: data relationship audit</title>" in page
    assert '<h1 id="top-h">ProductionOS data relationship audit' in page
    assert not list(elsewhere.iterdir()), "the report wrote into the working folder"
