"""Running an audit: resolve the source, read the catalog once, run the registered checks, collect findings."""

from __future__ import annotations

import contextlib
import json
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from auditlib import __version__
from auditlib.catalog import Catalog, load_catalog
from auditlib.checks import CheckSpec, complete, load_checks, prepare_with_data, with_code_scan
from auditlib.config import AuditConfig, ConfigError, load_config
from auditlib.connect import SessionLimits, SourceError, address, check_connection, read_only_engine
from auditlib.findings import Finding, findings_frame, frame_records, ordered_findings, summarize
from auditlib.model import Analysis
from auditlib.model.tenancy import TENANCY_CHECKS, resolve_tenancy
from auditlib.sources import Source, open_source, source_of

if TYPE_CHECKING:
    import sqlalchemy as sa


@dataclass
class AuditResult:
    """What one audit produced: findings (DataFrame, worst first), the catalog and what it means (``analysis``),
    skipped checks, and run facts."""

    findings: pd.DataFrame
    catalog: Catalog | None
    skipped: list[dict[str, str]] = field(default_factory=list)
    source: dict[str, Any] = field(default_factory=dict)
    config: AuditConfig = field(default_factory=AuditConfig)
    generated_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    schemas: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    extras: dict[str, Any] = field(default_factory=dict)
    analysis: Analysis | None = field(default=None, repr=False)

    @property
    def summary(self) -> dict[str, Any]:
        return summarize(self.findings)

    @property
    def tenancy(self) -> dict[str, Any] | None:
        """The tenant root, column and membership table the audit took, where from and why
        (``TenancyModel.detection``); None for a result without a model."""
        return self.analysis.tenancy.detection() if self.analysis is not None else None

    @property
    def not_applicable(self) -> list[dict[str, Any]]:
        """Checks that did not run because what they check does not exist here (no tenancy): a fact about the
        database, not a gap in the findings, so it is kept apart from ``skipped``."""
        tenancy = self.tenancy
        if not tenancy or tenancy["multi_tenant"]:
            return []
        return [{"checks": list(TENANCY_CHECKS), "reason": tenancy["note"], "why": tenancy["why"]}]

    def to_document(self) -> dict[str, Any]:
        """The JSON document of the run: tool, version, time, source (no password), config, summary, findings."""
        return {
            "tool": "auditlib",
            "version": __version__,
            "generated_at": self.generated_at,
            "source": self.source,
            "schemas": self.schemas,
            "config": self.config.to_dict(),
            "summary": self.summary,
            "findings": frame_records(self.findings),
            "skipped": list(self.skipped),
            "tenancy": self.tenancy,
            "not_applicable": self.not_applicable,
            # baselined findings (status "suppressed") and those of the previous run that are gone (status "fixed")
            "suppressed": frame_records(self.extras.get("suppressed_findings", pd.DataFrame())),
            "fixed": frame_records(self.extras.get("fixed", pd.DataFrame())),
        }


def validate_config_checks(config: AuditConfig, registry: dict[str, CheckSpec]) -> None:
    """Unknown check names in the config are an error, not silently ignored."""
    named = set(config["severity"]) | set(config["audit"]["disabled_checks"])
    unknown = sorted(named - set(registry))
    if unknown:
        raise ConfigError(f"Unknown check name(s) in the configuration: {', '.join(unknown)}; see docs/checks.md "
                          "for the list.")


def run_checks(catalog: Catalog, config: AuditConfig, *, only: list[str] | None = None,
               kinds: tuple[str, ...] = ("schema",), schemas: list[str] | None = None,
               skipped: list[dict[str, str]] | None = None, analysis: Analysis | None = None,
               **context: Any) -> list[Finding]:
    """Run the registered checks of the given kinds on a catalog; findings outside ``schemas`` are dropped.

    Each check is given the inputs it declares (``needs``): the run's ``analysis`` (built here when none is passed;
    pass the audit's own so that all its runs share one), the ``audited`` schemas, and the ``context`` keywords
    (``data``, ``code_scan``, ``migration_run``). A check that raises is recorded in ``skipped`` with the reason and
    the others go on.
    """
    registry = load_checks()
    validate_config_checks(config, registry)
    disabled = set(config["audit"]["disabled_checks"])
    audited = set(schemas if schemas is not None else config.audited_schemas(list(catalog.schemas["name"])))
    selected = [(name, spec) for name, spec in sorted(registry.items())
                if spec.kind in kinds and name not in disabled and (only is None or name in only)]
    data = context.get("data")
    if analysis is None:
        analysis = Analysis(catalog, config)
    # the tenant column and root the model took (configured or detected) are what every check reads
    config = resolve_tenancy(config, analysis.tenancy)
    inputs = {"analysis": analysis, "audited": audited, **context}

    def run_one(item: tuple[str, CheckSpec]) -> tuple[str, CheckSpec, list[Finding], Exception | None, Any]:
        name, spec = item
        own = dict(inputs)
        if data is not None:
            own["data"] = data.for_check()  # its own skipped list and query count, merged below in check order
        try:
            return name, spec, list(_call(spec, catalog, config, own)), None, own.get("data")
        except Exception as error:  # one broken check must not lose the rest of the audit
            return name, spec, [], error, own.get("data")

    workers = data.workers if data is not None else 1
    if workers > 1 and len(selected) > 1:
        # Data checks wait on the server: run a bounded number at once, each query on its own pooled connection.
        # The long-running ones start first, so no worker is left alone with one of them at the end (on the demo
        # the data checks took 0.41 s instead of 0.50); their outcomes are taken in the usual order.
        started_first = sorted(selected, key=lambda item: not item[1].long_running)
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="auditlib-check") as pool:
            by_name = {outcome[0]: outcome for outcome in pool.map(run_one, started_first)}
        outcomes = [by_name[name] for name, _ in selected]
    else:
        outcomes = map(run_one, selected)
    results: list[Finding] = []
    for name, spec, produced, error, own_data in outcomes:
        if own_data is not None:
            data.absorb(own_data)
        if error is not None:
            if skipped is None:
                raise error
            skipped.append({"check": name, "reason": f"{type(error).__name__}: {error}"})
            continue
        override = config["severity"].get(name)
        for finding in produced:
            if finding.schema is None or finding.schema in audited:
                results.append(complete(spec, finding, override))
    return results


def _call(spec: CheckSpec, catalog: Catalog, config: AuditConfig, inputs: dict[str, Any]):
    missing = [need for need in spec.inputs if inputs.get(need) is None]
    if missing:
        raise TypeError(f"check {spec.name} needs {', '.join(missing)}, which this run does not provide")
    return spec.func(catalog, config, **{need: inputs[need] for need in spec.inputs})


def audit_catalog(catalog: Catalog, config: AuditConfig | None = None, *,
                  schemas: list[str] | None = None, analysis: Analysis | None = None) -> AuditResult:
    """Run every schema check on an already-loaded catalog (a live read or a snapshot); ``analysis`` is the run's
    model when the caller prepared it (with measured value overlap)."""
    config = config or AuditConfig()
    skipped: list[dict[str, str]] = []
    started = time.perf_counter()
    audited = schemas if schemas is not None else config.audited_schemas(list(catalog.schemas["name"]))
    analysis = analysis or Analysis(catalog, config)
    findings = run_checks(catalog, config, schemas=audited, skipped=skipped, analysis=analysis)
    frame = findings_frame(_unique(findings))
    return AuditResult(findings=frame, catalog=catalog, skipped=skipped, source=dict(catalog.source),
                       config=analysis.resolved_config, schemas=list(audited),
                       timings={"checks_s": round(time.perf_counter() - started, 3)}, analysis=analysis)


def _unique(findings: list[Finding]) -> list[Finding]:
    """Keys are unique: a second finding with the same key is merged away (the first one wins)."""
    seen: dict[str, Finding] = {}
    for finding in findings:
        seen.setdefault(finding.key, finding)
    return list(seen.values())


class BaselineError(ValueError):
    """A baseline file that cannot be read or names checks that do not exist."""


BASELINE_FORMS = ("pass the output of `auditlib audit --format json` or a file of finding keys, one per line "
                  "(fk_missing:public.invoices.project_id)")


def load_baseline(path: str | Path) -> set[str]:
    """Finding keys to suppress, from one of the accepted baseline forms (anything else is a ``BaselineError``).

    - the JSON document of a previous ``auditlib audit --format json``: the keys of its findings and of the findings
      it suppressed itself, so a run's output can be the next run's baseline without losing what it suppressed;
    - a JSON list of keys (or of findings);
    - a text file of keys, one per line (``check:object``; blank lines and ``#`` comments are ignored).

    A SARIF log, a catalog snapshot, a CSV export or any other file is refused with one sentence saying what it looks
    like, rather than read as a baseline that suppresses nothing.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise BaselineError(f"The baseline file {path} does not exist; {BASELINE_FORMS}.") from None
    except IsADirectoryError:
        raise BaselineError(f"The baseline {path} is a folder; {BASELINE_FORMS}.") from None
    except OSError as error:
        raise BaselineError(f"The baseline file {path} cannot be read ({(error.strerror or str(error)).lower()}).") \
            from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BaselineError(f"The baseline file {path} is not UTF-8 text; {BASELINE_FORMS}.") from None
    stripped = text.strip()
    if stripped.startswith(("{", "[")):
        try:
            data = json.loads(stripped)
        except json.JSONDecodeError as error:
            raise BaselineError(f"The baseline file {path} is not valid JSON ({error.msg} at line {error.lineno}); "
                                f"{BASELINE_FORMS}.") from None
        keys = _baseline_json_keys(data, path)
    else:
        keys = _baseline_text_keys(text, path)
    registry = load_checks()
    unknown = sorted({key.split(":", 1)[0] for key in keys} - set(registry))
    if unknown:
        raise BaselineError(f"The baseline file {path} names unknown check(s) {', '.join(unknown)}; keys look like "
                            "'fk_missing:public.invoices.project_id'.")
    return keys


def _baseline_json_keys(data: Any, path: Path) -> set[str]:
    if isinstance(data, list):  # keys, or findings (say, the "findings" list of a document cut out with jq)
        keys = [item.get("key") if isinstance(item, dict) else item for item in data]
        if not all(isinstance(key, str) and _looks_like_key(key) for key in keys):
            raise BaselineError(f"The baseline file {path} is a JSON list but not of finding keys; {BASELINE_FORMS}.")
        return set(keys)
    if not isinstance(data, dict):
        raise BaselineError(f"The baseline file {path} is JSON but not an audit document; {BASELINE_FORMS}.")
    if "runs" in data and ("$schema" in data or "version" in data):
        raise BaselineError(f"The baseline file {path} is a SARIF log, which auditlib does not read back; "
                            f"{BASELINE_FORMS}.")
    if data.get("format") == "auditlib-catalog":
        raise BaselineError(f"The baseline file {path} is a catalog snapshot (from `auditlib catalog`), not findings; "
                            f"{BASELINE_FORMS}.")
    if "tool" in data and data["tool"] != "auditlib":
        raise BaselineError(f"The baseline file {path} was written by {data['tool']!r}, not auditlib; "
                            f"{BASELINE_FORMS}.")
    lists = [data.get(part) for part in ("findings", "suppressed") if part in data]
    if not lists or not all(isinstance(items, list) and all(isinstance(item, dict) and isinstance(item.get("key"), str)
                                                            for item in items) for items in lists):
        raise BaselineError(f"The baseline file {path} is JSON but not an `auditlib audit` document (it needs a "
                            f"\"findings\" list of findings with keys); {BASELINE_FORMS}.")
    return {item["key"] for items in lists for item in items}


def _baseline_text_keys(text: str, path: Path) -> set[str]:
    keys = set()
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if number == 1 and line.startswith("check,severity"):
            raise BaselineError(f"The baseline file {path} is a CSV export, which auditlib does not read back; "
                                f"{BASELINE_FORMS}.")
        if not _looks_like_key(line):
            raise BaselineError(f"Line {number} of the baseline file {path} is not a finding key "
                                f"({line[:40]!r}); {BASELINE_FORMS}.")
        keys.add(line)
    return keys


def _looks_like_key(text: str) -> bool:
    """``check:object``: a check name (snake_case) before the first colon, no spaces in it."""
    check, colon, _ = text.partition(":")
    return bool(colon) and check.replace("_", "").isalnum() and check == check.lower()


def apply_baseline(result: AuditResult, keys: set[str]) -> None:
    """Move baselined findings out of ``findings`` (so they neither count nor gate) into
    ``extras['suppressed_findings']`` with status ``suppressed``; their keys are in ``extras['suppressed']``."""
    if not keys or not len(result.findings):
        result.extras.setdefault("suppressed", [])
        return
    mask = result.findings["key"].isin(keys)
    result.extras["suppressed"] = sorted(result.findings.loc[mask, "key"])
    result.extras["suppressed_findings"] = result.findings[mask].assign(status="suppressed").reset_index(drop=True)
    result.findings = result.findings[~mask].reset_index(drop=True)


def run_audit(source: Any = None, config: AuditConfig | str | Path | None = None, *, demo: bool = False,
              schemas: list[str] | None = None, data: bool = True, baseline: str | Path | None = None,
              migrations: str | Path | None = None, stubs: str = "auto", keep: bool = False,
              code_dir: str | Path | None = None) -> AuditResult:
    """Audit a database or a migration folder and return its findings.

    ``source`` is a ``Source`` (``sources.resolve_source``), a DSN/URL or Engine (read-only sessions), a
    ``Catalog``, or a catalog snapshot (a ``Path``, or a string ending in .json naming a file); None means
    AUDITLIB_DSN / DATABASE_URL / PG* variables; ``demo=True`` audits the embedded ProductionOS demo;
    ``migrations`` audits a folder of SQL files (applied to a scratch database on the embedded server after the
    ``stubs`` platform stub; ``keep`` leaves that database for exploration). ``schemas`` narrows the audit
    (``["all"]`` includes platform schemas); ``data=False`` skips data-level checks. ``code_dir`` also scans an
    application's source folder (JS/TS/Python) and compares the tables, functions and columns it uses with the
    database.
    """
    if not isinstance(config, AuditConfig):
        config = load_config(config)
    if schemas:
        config = config.with_overrides({"audit": {"schemas": list(schemas)}})
    keys = load_baseline(baseline) if baseline else set()
    started = time.perf_counter()
    source = source_of(source, demo=demo, migrations=migrations)
    if source.kind == "migrations":
        result = audit_migrations(source.path, config, stubs=stubs, keep=keep)
    else:
        with open_source(source) as readable:
            if source.is_database and not data and _psycopg_readable(readable):
                result = _audit_structure(readable, config, source=source)
            elif source.is_database:
                result = _audit_database(readable, config, data=data, source=source)
            else:
                _check_schemas_exist(readable, config)
                result = audit_catalog(readable, config)
                result.source = source.facts(readable)
    if code_dir is not None:
        audit_code(result, code_dir)
    apply_baseline(result, keys)
    result.timings["total_s"] = round(time.perf_counter() - started, 3)
    return result


def audit_migrations(folder: str | Path, config: AuditConfig | None = None, *, stubs: str = "auto",
                     keep: bool = False) -> AuditResult:
    """Audit a migration folder: static pass, apply pass on a scratch database, then every schema check."""
    from auditlib import embedded
    from auditlib.migrations import (
        MigrationsError,
        apply_folder,
        apply_while_reading,
        discover,
        load_folder,
        scratch_database_name,
        stub_before_reading,
        stub_sql,
    )

    config = config or AuditConfig()
    started = time.perf_counter()
    root, paths = discover(folder)
    if not paths:
        raise MigrationsError(f"The folder {root} holds no .sql files; pass the folder with your migrations.")
    # The statements are applied as they are read, unless the stub depends on what they say.
    stub = stub_before_reading(stubs, paths)
    loaded = None
    if stub is None:
        loaded = load_folder(root)
        stub = stub_sql(stubs, loaded)
    # A kept scratch database is only useful while the server runs, so --keep leaves the server running.
    server_context = contextlib.nullcontext(embedded.server().start()) if keep else embedded.owned_server()
    with server_context as srv, ThreadPoolExecutor(max_workers=1, thread_name_prefix="auditlib-drop") as dropper:
        name = scratch_database_name(root)
        url = srv.create_database(name, replace=True)
        try:
            if loaded is None:
                loaded, applied = apply_while_reading(root, url, stub)
            else:
                applied = apply_folder(loaded, url, stub)
            catalog = load_catalog(url)
        except BaseException:
            if not keep:
                srv.drop_database(name)
            raise
        # Dropping the scratch database of a long folder takes the server seconds (a file per table and index):
        # it goes on while the checks run, which read only the catalog already loaded.
        dropped = dropper.submit(srv.drop_database, name) if not keep else None
        result = _audit_applied(loaded, catalog, applied, url, config, stubs=stubs, stub=stub, started=started)
        if dropped is not None:
            dropped.result()
    if keep:
        result.extras["scratch_url"] = url.set(drivername="postgresql").render_as_string(hide_password=True)
    return result


def _audit_applied(folder, catalog: Catalog, applied: list, url, config: AuditConfig, *, stubs: str, stub: str,
                   started: float) -> AuditResult:
    """The checks of a migration folder once its apply pass is done and the scratch database's catalog read."""
    from auditlib.migrations import MigrationRun, attach_origins, file_inventory, origins

    platform = set(config["audit"]["platform_schemas"])
    platform_tables = {(r["schema"], r["name"]) for r in catalog.tables.to_dict("records") if r["schema"] in platform}
    run = MigrationRun(folder=folder, results=applied, platform_tables=platform_tables, database_url=url)
    # Which server and platform stub the files were applied on: a failure can be the version's or the stub's.
    catalog.source = {"kind": "migrations", "path": str(folder.root), "files": len(folder.files),
                      "applied_by": f"PostgreSQL {catalog.server['server_version']} (embedded)",
                      "stub": ("supabase" if stubs == "auto" else str(stubs)) if stub else "none"}
    _check_schemas_exist(catalog, config)
    audited = config.audited_schemas(list(catalog.schemas["name"]))
    skipped: list[dict[str, str]] = []
    analysis = Analysis(catalog, config)
    findings = run_checks(catalog, config, kinds=("schema", "migrations"), schemas=audited, skipped=skipped,
                          analysis=analysis, migration_run=run)
    attach_origins(findings, origins(applied))
    result = AuditResult(findings=findings_frame(_unique(findings)), catalog=catalog, skipped=skipped,
                         source=dict(catalog.source), config=analysis.resolved_config, schemas=audited,
                         timings={"migrations_s": round(time.perf_counter() - started, 3)}, analysis=analysis)
    result.extras["migration_inventory"] = file_inventory(folder)
    result.extras["statements"] = len(folder.statements)
    result.extras["failed_statements"] = sum(1 for a in applied if not a.ok)
    return result


def audit_code(result: AuditResult, folder: str | Path) -> None:
    """Scan an application's source folder and add the code checks' findings to an audit of its database."""
    from auditlib.codescan import reference_matrix, scan_code

    if result.catalog is None:
        raise ValueError("The code scan needs the audited database's catalog.")
    if not Path(folder).is_dir():
        raise SourceError(f"The code folder {folder} does not exist; pass your application's source folder.")
    started = time.perf_counter()
    scan = scan_code(folder, result.config)
    more = run_checks(result.catalog, result.config, kinds=("code",), schemas=result.schemas,
                      skipped=result.skipped, analysis=result.analysis, code_scan=scan)
    known = with_code_scan(_frame_to_findings(result.findings), scan, result.catalog)
    result.findings = findings_frame(_unique([*known, *more]))
    result.extras["code_scan"] = {**scan.summary(), "skipped_files": scan.skipped, "notes": scan.notes}
    result.extras["code_matrix"] = reference_matrix(scan, result.catalog)
    result.timings["code_s"] = round(time.perf_counter() - started, 3)


def _check_schemas_exist(catalog: Catalog, config: AuditConfig) -> None:
    wanted = [s for s in config["audit"]["schemas"] if s != "all"]
    missing = sorted(set(wanted) - set(catalog.schemas["name"]))
    if missing:
        raise SourceError(f"Schema(s) {', '.join(missing)} do not exist in database "
                          f"{catalog.server.get('database')}; check --schema.")


def _psycopg_readable(database: Any) -> bool:
    """A DSN psycopg opens as it is (not a SQLAlchemy URL or Engine, nor a URL form only SQLAlchemy reads)."""
    return (database is None or isinstance(database, str)) and address(database) is not None


def _audit_structure(database: str | None, config: AuditConfig, *, source: Source) -> AuditResult:
    """The audit without data checks: the catalog is read through one psycopg session (with the data checks'
    session limits), so the run never imports SQLAlchemy."""
    limits = SessionLimits(statement_timeout_ms=config.get("data", "statement_timeout_ms"),
                           lock_timeout_ms=config.get("data", "lock_timeout_ms"))
    load_started = time.perf_counter()
    catalog = load_catalog(database, limits=limits)
    catalog.source = source.facts()
    load_s = time.perf_counter() - load_started
    _check_schemas_exist(catalog, config)
    result = audit_catalog(catalog, config)
    result.timings["catalog_s"] = round(load_s, 3)
    result.skipped.extend(_locked_relations(catalog))
    result.source = catalog.source
    return result


def _locked_relations(catalog: Catalog) -> list[dict[str, str]]:
    """The relations whose definitions the catalog could not read, as skipped entries."""
    return [{"check": "catalog", "object": f"{record['schema']}.{record['name']}",
             "reason": "another session holds an ACCESS EXCLUSIVE lock on it: its defaults, constraint, index and "
                       "policy definitions were not read"}
            for record in catalog.relations[catalog.relations["locked"]].to_dict("records")]


def _audit_database(database: str | sa.URL | sa.Engine | None, config: AuditConfig, *, data: bool,
                    source: Source) -> AuditResult:
    import sqlalchemy as sa  # here, not at the top: the audit without data checks reads through psycopg alone

    limits = SessionLimits(statement_timeout_ms=config.get("data", "statement_timeout_ms"),
                           lock_timeout_ms=config.get("data", "lock_timeout_ms"))
    # One pooled connection per data check running at once (data.workers), never a wait for the pool.
    pool_size = max(5, int(config.get("data", "workers")))
    engine = database if isinstance(database, sa.Engine) else read_only_engine(database, limits, pool_size=pool_size)
    # the sessions of an engine made here carry the limits from their start: a data query needs no settings of its own
    session_limits = None if isinstance(database, sa.Engine) else limits
    try:
        check_connection(engine)
        load_started = time.perf_counter()
        catalog = load_catalog(engine)
        catalog.source = source.facts()
        load_s = time.perf_counter() - load_started
        _check_schemas_exist(catalog, config)
        analysis = Analysis(catalog, config)
        measured: list[dict[str, str]] = []
        if data:
            from auditlib.data import DataContext

            # the inferred references' value overlap decides which are references at all: measured before any
            # check reads them
            overlap_started = time.perf_counter()
            prepare_with_data(analysis, DataContext(engine=engine, config=config, skipped=measured,
                                                      session_limits=session_limits))
            overlap_s = time.perf_counter() - overlap_started
        result = audit_catalog(catalog, config, analysis=analysis)
        result.skipped[:0] = measured
        result.timings["catalog_s"] = round(load_s, 3)
        if data:
            result.timings["overlap_s"] = round(overlap_s, 3)
        result.skipped.extend(_locked_relations(catalog))
        if data:
            audited = result.schemas
            skipped = result.skipped
            from auditlib.data import DataContext

            context = DataContext(engine=engine, config=config, skipped=skipped, session_limits=session_limits)
            more = run_checks(catalog, config, kinds=("data",), schemas=audited, skipped=skipped,
                              analysis=result.analysis, data=context)
            result.extras["data_queries"] = context.queries
            if more:
                result.findings = _with_findings(result.findings, more)
        result.source = catalog.source
        return result
    finally:
        if not isinstance(database, sa.Engine):
            engine.dispose()


def _with_findings(frame: pd.DataFrame, more: list[Finding]) -> pd.DataFrame:
    """``frame`` with the findings of ``more`` whose keys it lacks (the first finding of a key wins, as in
    ``_unique``), in ``ordered_findings`` order; the rows already in ``frame`` are kept as they are, not rebuilt."""
    known = set(frame["key"])
    added = [finding for finding in _unique(more) if finding.key not in known]
    if not added:
        return frame
    return ordered_findings(pd.concat([frame, findings_frame(added)], ignore_index=True))


def _frame_to_findings(frame: pd.DataFrame) -> list[Finding]:
    findings = []
    for record in frame_records(frame):
        record.pop("key", None)
        findings.append(Finding(**{k: v for k, v in record.items() if k in Finding.__dataclass_fields__}))
    return findings
