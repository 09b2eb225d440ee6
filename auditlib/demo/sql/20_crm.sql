-- ProductionOS, CRM (supabase-contacts-schema.sql, supabase-email-schema.sql, supabase-leads-schema.sql):
-- contacts, activities, e-mail threads and tracking, sequences, leads and deal context.

CREATE TABLE public.contacts (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    client_id UUID REFERENCES public.clients(id) ON DELETE SET NULL,
    name TEXT NOT NULL,
    first_name TEXT,
    last_name TEXT,
    email TEXT,
    phone TEXT,
    mobile TEXT,
    whatsapp TEXT,
    job_title TEXT,
    company TEXT,
    is_primary BOOLEAN DEFAULT false NOT NULL,
    linkedin_url TEXT,
    tags TEXT[] DEFAULT '{}',
    notes TEXT,
    last_contacted_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    updated_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL
);
CREATE INDEX idx_contacts_client ON public.contacts(client_id);
CREATE INDEX idx_contacts_email ON public.contacts(email);

CREATE TABLE public.email_threads (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    subject TEXT,
    client_id UUID REFERENCES public.clients(id) ON DELETE SET NULL,
    opportunity_id UUID REFERENCES public.opportunities(id) ON DELETE SET NULL,
    participants TEXT[] DEFAULT '{}',
    message_count INTEGER DEFAULT 0 NOT NULL,
    last_message_at TIMESTAMPTZ,
    is_archived BOOLEAN DEFAULT false NOT NULL,
    external_thread_ref TEXT,
    created_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    updated_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL
);
CREATE INDEX idx_email_threads_client ON public.email_threads(client_id);
CREATE INDEX idx_email_threads_opportunity ON public.email_threads(opportunity_id);

CREATE TABLE public.email_messages (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    thread_id UUID REFERENCES public.email_threads(id) ON DELETE CASCADE,
    contact_id UUID REFERENCES public.contacts(id) ON DELETE SET NULL,
    direction TEXT DEFAULT 'inbound' NOT NULL,
    from_address TEXT NOT NULL,
    to_addresses TEXT[] DEFAULT '{}' NOT NULL,
    cc_addresses TEXT[] DEFAULT '{}',
    subject TEXT,
    body_text TEXT,
    body_html TEXT,
    is_read BOOLEAN DEFAULT false NOT NULL,
    external_message_ref TEXT,
    sent_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    updated_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL
);
CREATE INDEX idx_email_messages_thread ON public.email_messages(thread_id);
CREATE INDEX idx_email_messages_contact ON public.email_messages(contact_id);

-- Outbound quote e-mails of the first release (kept; the e-mail integration writes email_messages).
CREATE TABLE public.emails (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    quote_id UUID REFERENCES public.quotes(id) ON DELETE SET NULL,
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT,
    template_key TEXT,
    status TEXT DEFAULT 'queued' NOT NULL,
    opened_at TIMESTAMPTZ,
    sent_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    updated_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL
);
CREATE INDEX idx_emails_quote ON public.emails(quote_id);

CREATE TABLE public.email_tracking_events (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    organization_id UUID NOT NULL REFERENCES public.organizations(id) ON DELETE CASCADE,
    message_id UUID NOT NULL REFERENCES public.email_messages(id) ON DELETE CASCADE,
    event_type TEXT NOT NULL,
    link_url TEXT,
    ip_address INET,
    user_agent TEXT,
    occurred_at TIMESTAMPTZ NOT NULL,
    created_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    updated_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL
);
CREATE INDEX idx_email_tracking_events_org ON public.email_tracking_events(organization_id);
CREATE INDEX idx_email_tracking_events_message ON public.email_tracking_events(message_id);

CREATE TABLE public.email_sequences (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    organization_id UUID NOT NULL REFERENCES public.organizations(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    description TEXT,
    steps JSONB DEFAULT '[]'::jsonb NOT NULL,
    is_active BOOLEAN DEFAULT true NOT NULL,
    created_by UUID REFERENCES auth.users(id) ON DELETE SET NULL,
    created_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    updated_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL
);
CREATE INDEX idx_email_sequences_org ON public.email_sequences(organization_id);

CREATE TABLE public.email_sequence_enrollments (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    organization_id UUID NOT NULL REFERENCES public.organizations(id) ON DELETE CASCADE,
    sequence_id UUID NOT NULL REFERENCES public.email_sequences(id) ON DELETE CASCADE,
    contact_id UUID NOT NULL REFERENCES public.contacts(id) ON DELETE CASCADE,
    current_step INTEGER DEFAULT 0 NOT NULL,
    status TEXT DEFAULT 'active' NOT NULL,
    enrolled_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    next_send_at TIMESTAMPTZ,
    completed_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    updated_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    UNIQUE (sequence_id, contact_id)
);
CREATE INDEX idx_email_sequence_enrollments_org ON public.email_sequence_enrollments(organization_id);
CREATE INDEX idx_email_sequence_enrollments_contact ON public.email_sequence_enrollments(contact_id);

CREATE TABLE public.activities (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    organization_id UUID NOT NULL REFERENCES public.organizations(id) ON DELETE CASCADE,
    activity_type TEXT NOT NULL,
    subject TEXT NOT NULL,
    description TEXT,
    client_id UUID REFERENCES public.clients(id) ON DELETE SET NULL,
    contact_id UUID REFERENCES public.contacts(id) ON DELETE SET NULL,
    opportunity_id UUID REFERENCES public.opportunities(id) ON DELETE CASCADE,
    quote_id UUID REFERENCES public.quotes(id) ON DELETE SET NULL,
    user_id UUID REFERENCES auth.users(id) ON DELETE SET NULL,
    due_at TIMESTAMPTZ,
    completed_at TIMESTAMPTZ,
    metadata JSONB DEFAULT '{}'::jsonb,
    created_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    updated_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL
);
CREATE INDEX idx_activities_org ON public.activities(organization_id);
CREATE INDEX idx_activities_client ON public.activities(client_id);
CREATE INDEX idx_activities_contact ON public.activities(contact_id);
CREATE INDEX idx_activities_opportunity ON public.activities(opportunity_id);
CREATE INDEX idx_activities_user ON public.activities(user_id);

CREATE TABLE public.client_notes (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    organization_id UUID NOT NULL REFERENCES public.organizations(id) ON DELETE CASCADE,
    client_id UUID NOT NULL REFERENCES public.clients(id) ON DELETE CASCADE,
    body TEXT NOT NULL,
    pinned BOOLEAN DEFAULT false NOT NULL,
    created_by UUID REFERENCES auth.users(id) ON DELETE SET NULL,
    created_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    updated_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL
);
CREATE INDEX idx_client_notes_org ON public.client_notes(organization_id);
CREATE INDEX idx_client_notes_client ON public.client_notes(client_id);

CREATE TABLE public.tags (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    organization_id UUID NOT NULL REFERENCES public.organizations(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    color TEXT,
    entity_type TEXT DEFAULT 'any' NOT NULL,
    usage_count INTEGER DEFAULT 0 NOT NULL,
    created_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    updated_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    UNIQUE (organization_id, name),
    CONSTRAINT tags_usage_count_check CHECK (usage_count >= 0)
);

-- Leads from the sports research agent ------------------------------------------------------------------------------
CREATE TABLE public.leads (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    organization_id UUID NOT NULL REFERENCES public.organizations(id) ON DELETE CASCADE,
    company_name TEXT NOT NULL,
    contact_name TEXT,
    email TEXT,
    phone TEXT,
    source TEXT,
    status TEXT DEFAULT 'new' NOT NULL,
    score INTEGER DEFAULT 0 NOT NULL,
    sport TEXT,
    region TEXT,
    country TEXT,
    notes TEXT,
    created_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    updated_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    CONSTRAINT leads_score_check CHECK (score BETWEEN 0 AND 100)
);
CREATE INDEX idx_leads_org ON public.leads(organization_id);

CREATE TABLE public.lead_scoring (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    organization_id UUID NOT NULL REFERENCES public.organizations(id) ON DELETE CASCADE,
    lead_id UUID NOT NULL REFERENCES public.leads(id) ON DELETE CASCADE,
    score INTEGER NOT NULL,
    factors JSONB DEFAULT '{}'::jsonb NOT NULL,
    model_version TEXT,
    scored_at TIMESTAMPTZ NOT NULL,
    created_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    updated_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    CONSTRAINT lead_scoring_score_check CHECK (score BETWEEN 0 AND 100)
);
CREATE INDEX idx_lead_scoring_org ON public.lead_scoring(organization_id);
CREATE INDEX idx_lead_scoring_lead ON public.lead_scoring(lead_id);

CREATE TABLE public.deal_context (
    id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
    organization_id UUID NOT NULL REFERENCES public.organizations(id) ON DELETE CASCADE,
    opportunity_id UUID NOT NULL REFERENCES public.opportunities(id) ON DELETE CASCADE,
    summary TEXT,
    key_points JSONB DEFAULT '[]'::jsonb,
    stakeholders JSONB DEFAULT '[]'::jsonb,
    risks TEXT,
    next_steps TEXT,
    last_analyzed_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL,
    updated_at TIMESTAMPTZ DEFAULT timezone('utc', now()) NOT NULL
);
CREATE INDEX idx_deal_context_org ON public.deal_context(organization_id);
CREATE INDEX idx_deal_context_opportunity ON public.deal_context(opportunity_id);
