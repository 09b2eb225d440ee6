-- Kanban task boards (was supabase-task-board-schema.sql, ported from the Next.js prototype which had its own
-- users table).

CREATE TABLE task_boards (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    organization_id UUID NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    project_id UUID,
    name TEXT NOT NULL,
    description TEXT,
    columns JSONB DEFAULT '["todo", "doing", "done"]'::jsonb NOT NULL,
    is_archived BOOLEAN DEFAULT false NOT NULL,
    created_by UUID REFERENCES users(id) ON DELETE SET NULL,
    created_at TIMESTAMP WITH TIME ZONE DEFAULT timezone('utc'::text, now()) NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT timezone('utc'::text, now()) NOT NULL
);
CREATE INDEX idx_task_boards_org ON task_boards(organization_id);
CREATE INDEX idx_task_boards_project ON task_boards(project_id);

CREATE TABLE task_cards (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    organization_id UUID NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    board_id UUID NOT NULL REFERENCES task_boards(id) ON DELETE CASCADE,
    project_id UUID REFERENCES projects(id) ON DELETE SET NULL,
    column_key TEXT DEFAULT 'todo' NOT NULL,
    title TEXT NOT NULL,
    description TEXT,
    position INTEGER DEFAULT 0 NOT NULL,
    due_date DATE,
    labels TEXT[] DEFAULT '{}',
    created_by UUID REFERENCES users(id) ON DELETE SET NULL,
    created_at TIMESTAMP WITH TIME ZONE DEFAULT timezone('utc'::text, now()) NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT timezone('utc'::text, now()) NOT NULL
);
CREATE INDEX idx_task_cards_org ON task_cards(organization_id);
CREATE INDEX idx_task_cards_board ON task_cards(board_id);

CREATE TABLE task_comments (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    organization_id UUID NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    card_id UUID NOT NULL REFERENCES task_cards(id) ON DELETE CASCADE,
    user_id UUID REFERENCES users(id) ON DELETE SET NULL,
    body TEXT NOT NULL,
    created_at TIMESTAMP WITH TIME ZONE DEFAULT timezone('utc'::text, now()) NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT timezone('utc'::text, now()) NOT NULL
);
CREATE INDEX idx_task_comments_org ON task_comments(organization_id);
CREATE INDEX idx_task_comments_card ON task_comments(card_id);
CREATE INDEX idx_task_comments_user ON task_comments(user_id);

CREATE TABLE task_card_assignees (
    organization_id UUID NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    card_id UUID NOT NULL REFERENCES task_cards(id) ON DELETE CASCADE,
    user_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    assigned_at TIMESTAMP WITH TIME ZONE DEFAULT timezone('utc'::text, now()) NOT NULL,
    UNIQUE (card_id, user_id)
);
CREATE INDEX idx_task_card_assignees_org ON task_card_assignees(organization_id);
CREATE INDEX idx_task_card_assignees_user ON task_card_assignees(user_id);

CREATE TRIGGER update_task_boards_updated_at BEFORE UPDATE ON task_boards
    FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();
CREATE TRIGGER update_task_cards_updated_at BEFORE UPDATE ON task_cards
    FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();
CREATE TRIGGER update_task_comments_updated_at BEFORE UPDATE ON task_comments
    FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();
