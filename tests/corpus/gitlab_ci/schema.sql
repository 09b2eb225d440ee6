-- A CI/code-review database in the style of a large Rails monolith split across databases: many references are
-- "loose" (no foreign key, cleaned up asynchronously), users are referenced by role (author_id, assignee_id,
-- created_by_id, closed_by_id, merged_by_id), enum-like integer columns named *_id with no table behind them
-- (state_id), polymorphic noteable_type/noteable_id, and partition_id columns on CI tables.

CREATE TABLE users (id bigserial PRIMARY KEY, username text NOT NULL, email text NOT NULL, state text NOT NULL
                    DEFAULT 'active', created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL);
CREATE TABLE namespaces (id bigserial PRIMARY KEY, name text NOT NULL, path text NOT NULL, owner_id bigint,
                         parent_id bigint, type text NOT NULL DEFAULT 'User', created_at timestamptz NOT NULL,
                         updated_at timestamptz NOT NULL);
CREATE TABLE projects (id bigserial PRIMARY KEY, name text NOT NULL, path text NOT NULL,
                       namespace_id bigint NOT NULL REFERENCES namespaces (id) ON DELETE CASCADE,
                       creator_id bigint, visibility_level integer NOT NULL DEFAULT 0,
                       created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL);
CREATE TABLE milestones (id bigserial PRIMARY KEY, title text NOT NULL, project_id bigint REFERENCES projects (id)
                         ON DELETE CASCADE, group_id bigint, due_date date, state text,
                         created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL);
CREATE TABLE issues (id bigserial PRIMARY KEY, iid integer NOT NULL, title text, description text,
                     project_id bigint NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
                     author_id bigint, closed_by_id bigint, milestone_id bigint REFERENCES milestones (id)
                     ON DELETE SET NULL, state_id smallint NOT NULL DEFAULT 1, confidential boolean NOT NULL
                     DEFAULT false, created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL);
CREATE TABLE issue_assignees (user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
                              issue_id bigint NOT NULL REFERENCES issues (id) ON DELETE CASCADE,
                              PRIMARY KEY (issue_id, user_id));
CREATE TABLE merge_requests (id bigserial PRIMARY KEY, iid integer NOT NULL, title text NOT NULL,
                             target_project_id bigint NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
                             source_project_id bigint, author_id bigint, assignee_id bigint, merged_by_id bigint,
                             milestone_id bigint, state_id smallint NOT NULL DEFAULT 1, source_branch text NOT NULL,
                             target_branch text NOT NULL, created_at timestamptz NOT NULL,
                             updated_at timestamptz NOT NULL);
CREATE TABLE notes (id bigserial PRIMARY KEY, note text, noteable_type text, noteable_id bigint,
                    author_id bigint, project_id bigint, system boolean NOT NULL DEFAULT false,
                    created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL);
COMMENT ON COLUMN notes.noteable_id IS 'Polymorphic with noteable_type (Issue, MergeRequest, Commit).';
CREATE TABLE ci_runners (id bigserial PRIMARY KEY, token_encrypted text, description text, runner_type smallint
                         NOT NULL, creator_id bigint, created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL);
CREATE TABLE ci_pipelines (id bigserial PRIMARY KEY, partition_id bigint NOT NULL DEFAULT 100, ref text, sha text,
                           project_id bigint, user_id bigint, merge_request_id bigint,
                           status text, source smallint, created_at timestamptz NOT NULL,
                           updated_at timestamptz NOT NULL);
CREATE TABLE ci_stages (id bigserial PRIMARY KEY, partition_id bigint NOT NULL DEFAULT 100,
                        pipeline_id bigint NOT NULL REFERENCES ci_pipelines (id) ON DELETE CASCADE,
                        project_id bigint, name text, status smallint, position integer,
                        created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL);
CREATE TABLE ci_builds (id bigserial PRIMARY KEY, partition_id bigint NOT NULL DEFAULT 100, name text,
                        status text, commit_id bigint, stage_id bigint, project_id bigint, user_id bigint,
                        runner_id bigint, upstream_pipeline_id bigint, erased_by_id bigint,
                        created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL);
COMMENT ON COLUMN ci_builds.commit_id IS 'The pipeline (historical name).';
CREATE TABLE ci_build_needs (id bigserial PRIMARY KEY, partition_id bigint NOT NULL DEFAULT 100,
                             build_id bigint NOT NULL, name text NOT NULL, artifacts boolean NOT NULL DEFAULT true);
CREATE TABLE ci_job_artifacts (id bigserial PRIMARY KEY, partition_id bigint NOT NULL DEFAULT 100,
                               project_id bigint NOT NULL, job_id bigint NOT NULL, file_type smallint NOT NULL,
                               size bigint, file text, created_at timestamptz NOT NULL,
                               updated_at timestamptz NOT NULL);
CREATE TABLE ci_sources_pipelines (id bigserial PRIMARY KEY, project_id bigint,
                                   pipeline_id bigint REFERENCES ci_pipelines (id) ON DELETE CASCADE,
                                   source_project_id bigint, source_pipeline_id bigint, source_job_id bigint);
CREATE TABLE events (id bigserial PRIMARY KEY, project_id bigint, author_id bigint NOT NULL, target_id bigint,
                     target_type text, action smallint NOT NULL, created_at timestamptz NOT NULL,
                     updated_at timestamptz NOT NULL);
CREATE TABLE loose_foreign_keys_deleted_records (id bigserial, partition bigint NOT NULL DEFAULT 1,
                                                 primary_key_value bigint NOT NULL,
                                                 fully_qualified_table_name text NOT NULL,
                                                 created_at timestamptz NOT NULL DEFAULT now(),
                                                 PRIMARY KEY (partition, id));
