"""Generated migration folders for benchmarks and tests: a long Supabase-style history and one very big file.

``write_history`` writes a folder of ``files`` migrations, the same every time: tables created with foreign keys,
RLS and policies, then altered, renamed, re-policied, indexed, given functions and triggers, seeded, and published
to Supabase's realtime — the churn of a project a few years old. A few known mistakes are planted at fixed places
(``PLANTED``) so an audit of any history of 40 files or more has known migration findings. ``big_migration`` is one
file of many megabytes (modules of DDL, PL/pgSQL and seed data), for the linear-time and memory figures.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

# File number → the mistake planted there, and the migration findings it causes (objects of the findings).
PLANTED = {
    11: "a foreign key to a table only file 13 creates (forward reference): the ALTER fails",
    23: "a table created again with other columns (CREATE TABLE IF NOT EXISTS): skipped",
    31: "a statement that does not parse (CREAT for CREATE)",
}


@dataclass
class _Table:
    name: str
    columns: list[str] = field(default_factory=lambda: ["id", "organization_id", "name", "created_at",
                                                        "updated_at"])
    policies: list[str] = field(default_factory=list)
    published: bool = False


class _History:
    """The state of the generated schema as the files go by, so each file only uses what exists at its point."""

    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self.tables: list[_Table] = []
        self.created = 0  # tables created so far: the next table's number

    def new_table(self) -> _Table:
        table = _Table(f"{_NOUNS[self.created % len(_NOUNS)]}_{self.created // len(_NOUNS) + 1}")
        self.created += 1
        self.tables.append(table)
        return table

    def pick(self) -> _Table:
        return self.rng.choice(self.tables)


_NOUNS = ["projects", "tasks", "invoices", "clients", "contacts", "documents", "comments", "bookings", "assets",
          "shifts", "quotes", "payments", "events", "locations", "suppliers", "notes"]
_KINDS = ["create", "create", "alter", "policies", "index", "function", "rename", "seed", "supabase", "alter",
          "policies", "create"]


def _foundation() -> str:
    return """-- Foundation: organisations, membership, and the helpers every policy uses.
CREATE EXTENSION IF NOT EXISTS "uuid-ossp" WITH SCHEMA extensions;

CREATE TABLE public.organizations (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name text NOT NULL,
    slug text NOT NULL UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE public.memberships (
    organization_id uuid NOT NULL REFERENCES public.organizations (id) ON DELETE CASCADE,
    user_id uuid NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE,
    role text NOT NULL DEFAULT 'member' CHECK (role IN ('owner', 'admin', 'member')),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (organization_id, user_id)
);
CREATE INDEX memberships_user_id_idx ON public.memberships (user_id);
ALTER TABLE public.organizations ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.memberships ENABLE ROW LEVEL SECURITY;

CREATE OR REPLACE FUNCTION public.is_member(org uuid) RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
    SELECT EXISTS (SELECT 1 FROM public.memberships m WHERE m.organization_id = org AND m.user_id = auth.uid());
$$;
CREATE OR REPLACE FUNCTION public.set_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := now();  -- a semicolon inside the body; not a statement end
    RETURN NEW;
END;
$$;
CREATE POLICY "members read their organisations" ON public.organizations FOR SELECT TO authenticated
    USING (public.is_member(id));
CREATE POLICY "members read their memberships" ON public.memberships FOR SELECT TO authenticated
    USING (user_id = auth.uid());
GRANT SELECT ON public.organizations, public.memberships TO authenticated;
"""


def _create(history: _History, number: int) -> list[str]:
    parts = []
    for _ in range(1 + number % 2):
        parent = history.pick() if history.tables and history.rng.random() < 0.7 else None
        table = history.new_table()
        columns = ["    id uuid PRIMARY KEY DEFAULT gen_random_uuid()",
                   "    organization_id uuid NOT NULL REFERENCES public.organizations (id) ON DELETE CASCADE",
                   "    name text NOT NULL", "    created_by uuid REFERENCES auth.users (id)",
                   "    created_at timestamptz NOT NULL DEFAULT now()",
                   "    updated_at timestamptz NOT NULL DEFAULT now()"]
        table.columns.append("created_by")
        if parent is not None:
            column = f"{parent.name}_id"
            columns.append(f"    {column} uuid REFERENCES public.{parent.name} (id) ON DELETE SET NULL")
            table.columns.append(column)
        parts.append(f"CREATE TABLE public.{table.name} (\n" + ",\n".join(columns) + "\n);")
        parts.append(f"CREATE INDEX {table.name}_organization_id_idx ON public.{table.name} (organization_id);")
        parts.append(f"ALTER TABLE public.{table.name} ENABLE ROW LEVEL SECURITY;")
        policy = f"{table.name} by organisation"
        parts.append(f'CREATE POLICY "{policy}" ON public.{table.name} FOR ALL TO authenticated\n'
                     f"    USING (public.is_member(organization_id)) WITH CHECK (public.is_member(organization_id));")
        table.policies.append(policy)
        parts.append(f"CREATE TRIGGER {table.name}_updated_at BEFORE UPDATE ON public.{table.name}\n"
                     "    FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();")
        parts.append(f"GRANT SELECT, INSERT, UPDATE, DELETE ON public.{table.name} TO authenticated;")
        parts.append(f"COMMENT ON TABLE public.{table.name} IS 'Created by migration {number}; owned by one "
                     "organisation';")
    return parts


def _alter(history: _History, number: int) -> list[str]:
    table = history.pick()
    column = f"attribute_{number}"
    table.columns.append(column)
    parts = [f"ALTER TABLE public.{table.name} ADD COLUMN {column} text;",
             f"ALTER TABLE public.{table.name} ALTER COLUMN {column} SET DEFAULT 'none';",
             f"UPDATE public.{table.name} SET {column} = 'none' WHERE {column} IS NULL;",
             f"ALTER TABLE public.{table.name} ALTER COLUMN {column} SET NOT NULL;"]
    if number % 3 == 0:
        parts.append(f"ALTER TABLE public.{table.name} ADD CONSTRAINT {table.name}_{column}_length "
                     f"CHECK (length({column}) < 200);")
    if number % 4 in (1, 2):
        amount = f"amount_{number}"
        table.columns.append(amount)
        parts += [f"ALTER TABLE public.{table.name} ADD COLUMN {amount} integer DEFAULT 0;",
                  f"ALTER TABLE public.{table.name} ALTER COLUMN {amount} TYPE numeric(12, 2);"]
    return parts


def _policies(history: _History, number: int) -> list[str]:
    table = history.pick()
    parts = []
    for policy in table.policies:  # the usual churn: drop every policy and write them again
        parts.append(f'DROP POLICY IF EXISTS "{policy}" ON public.{table.name};')
    read, write = f"{table.name} read {number}", f"{table.name} write {number}"
    parts += [f'CREATE POLICY "{read}" ON public.{table.name} FOR SELECT TO authenticated\n'
              "    USING (public.is_member(organization_id));",
              f'CREATE POLICY "{write}" ON public.{table.name} FOR UPDATE TO authenticated\n'
              "    USING (public.is_member(organization_id) AND created_by = auth.uid());",
              f'ALTER POLICY "{write}" ON public.{table.name} WITH CHECK (public.is_member(organization_id));']
    table.policies = [read, write]
    return parts


def _index(history: _History, number: int) -> list[str]:
    table = history.pick()
    # an index dropped and made again on other columns, as queries change
    name = f"{table.name}_name_idx"
    columns = "organization_id, name" if number % 3 else "name"
    parts = [f"DROP INDEX IF EXISTS public.{name};", f"CREATE INDEX {name} ON public.{table.name} ({columns});"]
    if number // len(_KINDS) % 2 == 0:
        unique = f"{table.name}_slug_{number}_key"
        parts.append(f"CREATE UNIQUE INDEX {unique} ON public.{table.name} (organization_id, lower(name));")
    return parts


def _function(history: _History, number: int) -> list[str]:
    table = history.pick()
    function = f"{table.name}_count_{number}"
    return [f"CREATE OR REPLACE FUNCTION public.{function}(org uuid) RETURNS bigint\n"
            "    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public AS $$\n"
            "DECLARE\n    total bigint;\nBEGIN\n"
            f"    SELECT count(*) INTO total FROM public.{table.name} WHERE organization_id = org;\n"
            "    RETURN total;\nEND;\n$$;",
            f"REVOKE ALL ON FUNCTION public.{function}(uuid) FROM public;",
            f"GRANT EXECUTE ON FUNCTION public.{function}(uuid) TO authenticated;",
            f"CREATE OR REPLACE FUNCTION public.set_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$\n"
            f"BEGIN\n    NEW.updated_at := now();  -- version {number}\n    RETURN NEW;\nEND;\n$$;"]


def _rename(history: _History, number: int) -> list[str]:
    # Columns and tables in turn. Columns other statements name (name, created_by …) keep their names; the
    # attributes later files added get renamed.
    def renamable(table: _Table) -> list[str]:
        return [c for c in table.columns if c.startswith(("attribute_", "amount_"))]
    with_attributes = [t for t in history.tables if renamable(t)]
    if (number // len(_KINDS)) % 2 and with_attributes:
        table = history.rng.choice(with_attributes)
        column = history.rng.choice(renamable(table))
        new = f"{column}_v{number}"
        table.columns[table.columns.index(column)] = new
        return [f"ALTER TABLE public.{table.name} RENAME COLUMN {column} TO {new};"]
    table = history.pick()
    new = f"{table.name}_v{number}"
    parts = [f"ALTER TABLE public.{table.name} RENAME TO {new};"]
    table.name = new
    return parts


def _seed(history: _History, number: int) -> list[str]:
    return [f"INSERT INTO public.organizations (name, slug) VALUES ('Organisation {number}', 'org-{number}'), "
            f"('Organisation {number}b; with a semicolon', 'org-{number}-b')\n    ON CONFLICT (slug) DO NOTHING;"]


def _supabase(history: _History, number: int) -> list[str]:
    table = history.pick()
    parts = []
    if not table.published:
        table.published = True
        parts.append(f"ALTER PUBLICATION supabase_realtime ADD TABLE public.{table.name};")
    parts += ["DO $$\nBEGIN\n    IF NOT EXISTS (SELECT 1 FROM storage.buckets WHERE id = 'attachments') THEN\n"
              "        INSERT INTO storage.buckets (id, name, public) VALUES ('attachments', 'attachments', false);\n"
              "    END IF;\nEND\n$$;",
              f'DROP POLICY IF EXISTS "attachments {number}" ON storage.objects;',
              f'CREATE POLICY "attachments {number}" ON storage.objects FOR SELECT TO authenticated\n'
              "    USING (bucket_id = 'attachments' AND auth.uid() IS NOT NULL);",
              "GRANT USAGE ON SCHEMA public TO anon, authenticated, service_role;"]
    return parts


_WRITERS = {"create": _create, "alter": _alter, "policies": _policies, "index": _index, "function": _function,
            "rename": _rename, "seed": _seed, "supabase": _supabase}


def _planted(history: _History, number: int) -> list[str]:
    if number == 11:  # forward reference: file 13 creates this table
        return ["ALTER TABLE public.organizations ADD COLUMN primary_vendor_id uuid;",
                "ALTER TABLE public.organizations ADD CONSTRAINT organizations_primary_vendor_fk "
                "FOREIGN KEY (primary_vendor_id) REFERENCES public.vendors (id);"]
    if number == 13:
        return ["CREATE TABLE public.vendors (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), name text NOT NULL);"]
    if number == 23:  # created again, differently, by a file that thinks it is first
        return ["CREATE TABLE IF NOT EXISTS public.vendors (id uuid PRIMARY KEY, name text, country text);"]
    if number == 31:
        return ["CREAT INDEX vendors_name_idx ON public.vendors (name);"]
    return []


def history_files(files: int = 500, seed: int = 21) -> dict[str, str]:
    """The generated history as {file name: SQL text}, in apply order; the same for the same arguments."""
    history = _History(seed)
    started = datetime(2022, 1, 3, 9, 0, 0)
    out: dict[str, str] = {}
    for number in range(files):
        when = (started + timedelta(hours=number * 37)).strftime("%Y%m%d%H%M%S")
        if number == 0:
            out[f"{when}_foundation.sql"] = _foundation()
            continue
        kind = "create" if number < 4 else _KINDS[number % len(_KINDS)]
        parts = _WRITERS[kind](history, number) + _planted(history, number)
        text = "\n\n".join(parts) + "\n"
        if number % 5 == 0:  # some tools wrap each file in a transaction of its own
            text = f"BEGIN;\n\n{text}\nCOMMIT;\n"
        out[f"{when}_{kind}_{number:04d}.sql"] = f"-- Migration {number}: {kind}\n\n{text}"
    return out


def write_history(folder: str | Path, files: int = 500, seed: int = 21) -> Path:
    """Write the generated history of ``files`` migration files into ``folder`` (created if needed)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in history_files(files, seed).items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


# -- one big file ------------------------------------------------------------------------------------------------
_ROWS_PER_INSERT = 40


def _module(number: int, insert_statements: int, single_row_inserts: int) -> str:
    """One "feature" of a big migration: tables with foreign keys, an index, RLS, a PL/pgSQL trigger, seed data."""
    n = number
    parts = [
        f"-- Module {n}: organisations, projects and tasks; semicolons in comments are not statement ends\n",
        f"/* Block comment for module {n};\n   spans lines; CREATE TABLE nothing (id int); */\n",
        f"CREATE TABLE org_{n} (\n    id bigint PRIMARY KEY,\n    name text NOT NULL,\n"
        f"    created_at timestamptz NOT NULL DEFAULT now()\n);\n",
        f"CREATE TABLE project_{n} (\n    id bigint PRIMARY KEY,\n    org_id bigint NOT NULL REFERENCES org_{n}(id),\n"
        f"    title text NOT NULL DEFAULT 'untitled; draft',\n    note text\n);\n",
        f"CREATE TABLE task_{n} (id bigint PRIMARY KEY, project_id bigint, body text, done boolean DEFAULT false);\n",
        f"ALTER TABLE task_{n} ADD CONSTRAINT task_{n}_project_fk FOREIGN KEY (project_id) "
        f"REFERENCES project_{n}(id) ON DELETE CASCADE;\n",
        f"CREATE INDEX task_{n}_project_idx ON task_{n} (project_id);\n",
        f"ALTER TABLE project_{n} ENABLE ROW LEVEL SECURITY;\n",
        f"CREATE POLICY project_{n}_by_org ON project_{n} FOR SELECT\n"
        f"    USING (org_id = current_setting('app.org_id', true)::bigint);\n",
        f"CREATE OR REPLACE FUNCTION project_{n}_touch() RETURNS trigger LANGUAGE plpgsql AS $$\n"
        f"BEGIN\n    -- a comment inside the body; not a statement end\n"
        f"    NEW.note := coalesce(NEW.note, 'touched; by trigger');\n    RETURN NEW;\nEND;\n$$;\n",
        f"CREATE TRIGGER project_{n}_touch BEFORE UPDATE ON project_{n}\n"
        f"    FOR EACH ROW EXECUTE FUNCTION project_{n}_touch();\n",
        f"COMMENT ON TABLE project_{n} IS 'Projects of module {n}; one organisation owns each';\n",
        f"INSERT INTO org_{n} (id, name) VALUES (1, 'Acme; Ltd'), (2, 'O''Brien & Sons');\n",
    ]
    row = 0
    for _ in range(insert_statements):
        values = ",\n".join(f"    ({row + k}, {1 + (row + k) % 2}, 'Project {row + k}; phase {k % 3}', "
                            f"$q${'note ' + str(k)}; with $dollar$ text$q$)"
                            for k in range(_ROWS_PER_INSERT))
        parts.append(f"INSERT INTO project_{n} (id, org_id, title, note) VALUES\n{values};\n")
        row += _ROWS_PER_INSERT
    for task in range(single_row_inserts):  # pg_dump --inserts style: one statement per row
        body = f"step {task}; then the next" if task % 4 == 0 else f"step {task} of the plan"
        parts.append(f"INSERT INTO task_{n} (id, project_id, body) VALUES ({task}, {task % row if row else 'NULL'}, "
                     f"'{body}');\n")
    return "".join(parts) + "\n"


def big_migration(target_bytes: int, inserts_per_module: int = 4, single_row_inserts: int = 60,
                  line_ending: str = "\n") -> str:
    """A realistic migration file of about ``target_bytes``: modules of DDL, PL/pgSQL and seed data, in order."""
    parts, size, number = [], 0, 0
    while size < target_bytes:
        module = _module(number, inserts_per_module, single_row_inserts)
        parts.append(module)
        size += len(module)
        number += 1
    text = "".join(parts)
    return text.replace("\n", line_ending) if line_ending != "\n" else text
