"""Connecting to a database: DSNs as URLs, read-only engines with timeouts, connection errors, password masking."""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, quote, quote_plus, unquote

import psycopg
from psycopg.conninfo import conninfo_to_dict

if TYPE_CHECKING:
    import sqlalchemy as sa

APPLICATION_NAME = "auditlib"


class SourceError(RuntimeError):
    """The database cannot be reached or used; the message is one sentence for the user."""


@dataclass(frozen=True)
class SessionLimits:
    """Per-session safety settings every audit connection carries."""

    statement_timeout_ms: int = 30_000
    lock_timeout_ms: int = 2_000
    read_only: bool = True


def is_sqlalchemy(value: object, name: str) -> bool:
    """``isinstance(value, sqlalchemy.<name>)`` without importing SQLAlchemy: no object of it exists before it is."""
    module = sys.modules.get("sqlalchemy")
    return module is not None and isinstance(value, getattr(module, name))


def to_url(dsn: str | sa.URL | None) -> sa.URL:
    """A SQLAlchemy URL (psycopg driver) from a URL, a libpq keyword string, or None (PG* variables, .pgpass)."""
    import sqlalchemy as sa  # here, not at the top: the structural audit connects with psycopg alone

    if isinstance(dsn, sa.URL):
        url = dsn
    elif dsn is None or not dsn.strip():
        url = sa.URL.create("postgresql+psycopg")
    elif "://" in dsn:
        try:
            url = sa.make_url(dsn)
        except sa.exc.ArgumentError as error:
            raise SourceError(f"The DSN {mask_dsn(dsn)} is not a valid connection URL; use "
                              "postgresql://user@host:5432/dbname.") from error
    else:
        url = sa.URL.create("postgresql+psycopg", **_keyword_parts(dsn))
    if url.get_backend_name() not in ("postgresql", "postgres"):
        raise SourceError(f"{mask_dsn(url)} is not a PostgreSQL URL; auditlib audits PostgreSQL databases only.")
    return url.set(drivername="postgresql+psycopg")


def _keyword_parts(dsn: str) -> dict[str, Any]:
    """The URL parts (username, password, host, port, database, query) of a libpq keyword string."""
    try:
        params = conninfo_to_dict(dsn)
    except Exception as error:
        raise SourceError(f"The DSN {mask_dsn(dsn)} is not a valid libpq connection string; use "
                          "'host=... dbname=... user=...' or a postgresql:// URL.") from error
    user, password, database = params.pop("user", None), params.pop("password", None), params.pop("dbname", None)
    host = params.pop("host", None)
    port = str(params.pop("port", "") or "")
    query: dict[str, str | tuple[str, ...]] = {k: str(v) for k, v in params.items()}
    if "," in (host or "") or "," in port:
        # Several hosts (libpq tries them in turn): the URL form is one host=name:port query entry per host.
        hosts, ports = (host or "").split(","), port.split(",")
        ports = ports * len(hosts) if len(ports) == 1 else ports
        if len(ports) != len(hosts):
            raise SourceError(f"The DSN {mask_dsn(dsn)} lists {len(hosts)} hosts but {len(ports)} ports; give "
                              "one port, or one per host.")
        query["host"] = tuple(f"{h}:{p}" if p else h for h, p in zip(hosts, ports, strict=True))
        host, port = None, ""
    elif host and host.startswith("/"):  # a socket folder goes in the query, as libpq URLs write it
        query["host"], host = host, None
    return {"username": user, "password": password, "host": host, "port": int(port) if port else None,
            "database": database, "query": query}


# SQLAlchemy's reading of a URL (sqlalchemy.engine.url._parse_url), so that a URL read here names the database
# exactly as the SQLAlchemy URL of the data checks does.
_URL = re.compile(r"""(?P<scheme>[\w+]+)://
                      (?:(?P<username>[^:/]*)(?::(?P<password>[^@]*))?@)?
                      (?:(?:\[(?P<ipv6host>[^/?]+)\]|(?P<ipv4host>[^/:?]+))?(?::(?P<port>[^/?]*))?)?
                      (?:/(?P<database>[^?]*))?
                      (?:\?(?P<query>.*))?""", re.X)


@dataclass(frozen=True)
class Address:
    """Which database a DSN names, read without SQLAlchemy: the parts of its SQLAlchemy URL, and the libpq
    connection string psycopg opens it with."""

    username: str | None
    password: str | None = field(repr=False)
    host: str | None
    port: int | None
    database: str | None
    query: dict[str, str | tuple[str, ...]]
    conninfo: str = field(repr=False)

    def render(self) -> str:
        """The URL without its password, written as SQLAlchemy writes it (``mask_dsn`` of the URL)."""
        text = "postgresql://"
        if self.username is not None:
            text += quote(self.username, safe=" +") + (":***" if self.password is not None else "") + "@"
        if self.host is not None:
            text += f"[{self.host}]" if ":" in self.host else self.host
        if self.port is not None:
            text += f":{self.port}"
        if self.database is not None:
            text += "/" + quote(self.database, safe=" +/")
        if self.query:
            text += "?" + "&".join(f"{quote_plus(key)}={quote_plus(value)}" for key in sorted(self.query)
                                   for value in ([self.query[key]] if isinstance(self.query[key], str)
                                                 else self.query[key]))
        return text


def address(dsn: str | None) -> Address | None:
    """The ``Address`` of a libpq keyword string, a postgresql:// URL, or None (the PG* variables); None for a DSN
    that only SQLAlchemy reads as meant (its multi-host URL form, a ``+`` in a URL's query, another database)
    or that it does not read at all (a port that is no number): ``to_url`` reads those, or says what is wrong."""
    if dsn is None or not dsn.strip():
        return Address(None, None, None, None, None, {}, "")
    if "://" not in dsn:
        try:
            return Address(**_keyword_parts(dsn), conninfo=dsn)
        except SourceError:
            return None
    match = _URL.fullmatch(dsn.strip())
    if match is None or match["scheme"].split("+")[0] not in ("postgresql", "postgres") \
            or not (match["port"] or "0").isdigit():
        return None
    pairs = parse_qsl(match["query"] or "")
    if "+" in (match["query"] or "") or len({key for key, _ in pairs}) != len(pairs):
        return None
    conninfo = "postgresql://" + dsn.strip().split("://", 1)[1]  # libpq knows no +driver suffix
    try:
        conninfo_to_dict(conninfo)
    except psycopg.ProgrammingError:
        return None
    return Address(username=unquote(match["username"]) if match["username"] is not None else None,
                   password=unquote(match["password"]) if match["password"] is not None else None,
                   host=match["ipv4host"] or match["ipv6host"], port=int(match["port"]) if match["port"] else None,
                   database=unquote(match["database"]) if match["database"] is not None else None,
                   query=dict(pairs), conninfo=conninfo)


def mask_dsn(dsn: str | sa.URL | None) -> str:
    """The DSN with any password replaced by ***, for logs, reports and errors."""
    if dsn is None:
        return "(PG* environment variables)"
    if is_sqlalchemy(dsn, "URL"):
        return dsn.set(drivername=dsn.get_backend_name()).render_as_string(hide_password=True)
    masked = re.sub(r"(://[^:/@\s]*:)[^@\s]*@", r"\1***@", dsn)
    return re.sub(r"(password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)", r"\1***", masked, flags=re.IGNORECASE)


def describe_source(url: sa.URL | Address) -> dict:
    """The identity of a database source without secrets: host, port, database, user."""
    host = url.host or url.query.get("host") or os.environ.get("PGHOST") or "localhost"
    return {"kind": "database", "host": str(host), "port": url.port, "database": url.database
            or os.environ.get("PGDATABASE"), "user": url.username or os.environ.get("PGUSER"),
            "dsn": url.render() if isinstance(url, Address) else mask_dsn(url)}


def read_only_engine(dsn: str | sa.URL | None, limits: SessionLimits = SessionLimits(), **kwargs) -> sa.Engine:
    """An engine whose every session is read-only, time-limited and named ``auditlib``."""
    import sqlalchemy as sa  # here, not at the top: the structural audit connects with psycopg alone

    url = to_url(dsn)
    connect_args = session_arguments(limits)
    connect_args.update(kwargs.pop("connect_args", {}))
    return sa.create_engine(url, connect_args=connect_args, pool_pre_ping=False, **kwargs)


def session_arguments(limits: SessionLimits) -> dict[str, Any]:
    """The libpq settings of every audit session: its name, its timeouts, and read-only transactions."""
    options = [f"-c statement_timeout={int(limits.statement_timeout_ms)}",
               f"-c lock_timeout={int(limits.lock_timeout_ms)}",
               "-c idle_in_transaction_session_timeout=600000"]
    if limits.read_only:
        options.append("-c default_transaction_read_only=on")
    return {"application_name": APPLICATION_NAME, "options": " ".join(options), "connect_timeout": 10}


def read_only_connection(dsn: Address, limits: SessionLimits = SessionLimits()) -> psycopg.Connection:
    """A psycopg connection with the settings of ``read_only_engine``'s sessions (what the structural audit reads
    the catalog with); the usual failures are a one-sentence SourceError without the password."""
    try:
        return psycopg.connect(dsn.conninfo, **session_arguments(limits))
    except psycopg.OperationalError as error:
        raise SourceError(explain_connection_error(error, dsn)) from None
    except psycopg.Error as error:
        raise SourceError(f"Could not use {dsn.render()}: {_first_line(error)}.") from None


def check_connection(engine: sa.Engine) -> None:
    """Open one connection; turn the usual failures into a one-sentence SourceError without the password."""
    import sqlalchemy as sa  # here, not at the top: the structural audit connects with psycopg alone

    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except sa.exc.OperationalError as error:
        raise SourceError(explain_connection_error(error, engine.url)) from None
    except sa.exc.DBAPIError as error:
        raise SourceError(f"Could not use {mask_dsn(engine.url)}: {_first_line(error.orig)}.") from None


# What libpq says when something answered at the address but did not speak PostgreSQL's protocol: an HTTP or SSH
# server, a cache, a closed-early proxy. Only connection-phase lines are read ("connection to server at ... failed:"),
# so a backend that dies in the middle of a query is not mistaken for one.
NOT_POSTGRES_SIGNALS = ("invalid response to ssl negotiation", "invalid response to gssapi negotiation",
                        "expected authentication request from server", "server closed the connection unexpectedly",
                        "ssl error: wrong version number", "ssl error: unexpected eof", "ssl error: packet length",
                        "ssl error: record layer failure", "lost synchronization with server",
                        "invalid message length")
_ATTEMPT = re.compile(r'connection to server (?:at "(?P<host>[^"]*)"(?: \([^)]*\))?, port (?P<port>\d+)|on socket '
                      r'"(?P<socket>[^"]*)") failed: (?P<reason>.*)')


def explain_connection_error(error: Exception, url: sa.URL | Address) -> str:
    """One sentence saying what went wrong connecting and what to do.

    Every connection attempt in the error is read (``localhost`` is two addresses, a DSN may list several hosts),
    so a refusal on one address does not hide a non-PostgreSQL server answering on another.
    """
    text = str(getattr(error, "orig", error))
    message = _first_line(text)
    where = url.render() if isinstance(url, Address) else mask_dsn(url)
    lowered = text.lower()
    if "password authentication failed" in lowered or "no password supplied" in lowered:
        return f"The server at {where} rejected the credentials; check the user and password in the DSN."
    if "does not exist" in lowered and "database" in lowered:
        return f"The database in {where} does not exist; check the database name."
    for line in text.splitlines():
        attempt = _ATTEMPT.search(line)
        if attempt and any(signal in attempt["reason"].lower() for signal in NOT_POSTGRES_SIGNALS):
            address = f"{attempt['host']} port {attempt['port']}" if attempt["host"] is not None else \
                f"the socket {attempt['socket']}"
            return (f"Something answers at {address} but it is not PostgreSQL ({attempt['reason'].strip().rstrip('.')}); "
                    f"check the host and port in the DSN {where}.")
    if any(s in lowered for s in ("could not connect", "connection refused", "timeout expired", "could not translate",
                                  "no such file or directory", "name or service not known", "is the server running")):
        return f"Could not reach a PostgreSQL server at {where}; check the host and port and that it is running."
    return f"Could not connect to {where}: {message}."


def _first_line(error: object) -> str:
    text = str(error).strip().splitlines()
    return text[0].rstrip(".") if text else type(error).__name__
