-- A Supabase app for one community (no tenancy): rows belong to users, policies compare user_id with auth.uid().
-- One table happens to carry an organization_id column (the sponsor's organisation, a row of sponsors'
-- organisations), which does not make the database multi-tenant. Some tables are only for the service role.

CREATE TABLE public.profiles (id uuid PRIMARY KEY REFERENCES auth.users (id) ON DELETE CASCADE, username text UNIQUE,
                              bio text, created_at timestamptz NOT NULL DEFAULT now(),
                              updated_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE public.organizations (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), name text NOT NULL, website text,
                                   created_at timestamptz NOT NULL DEFAULT now(),
                                   updated_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE public.sponsorships (id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
                                  organization_id uuid NOT NULL REFERENCES public.organizations (id),
                                  tier text NOT NULL, starts_on date NOT NULL, ends_on date,
                                  created_at timestamptz NOT NULL DEFAULT now(),
                                  updated_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE public.events (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), title text NOT NULL, starts_at timestamptz
                            NOT NULL, venue text, created_by uuid NOT NULL REFERENCES public.profiles (id),
                            created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE public.rsvps (event_id uuid NOT NULL REFERENCES public.events (id) ON DELETE CASCADE,
                           user_id uuid NOT NULL,                                     -- undeclared -> profiles
                           status text NOT NULL DEFAULT 'going', created_at timestamptz NOT NULL DEFAULT now(),
                           PRIMARY KEY (event_id, user_id));
CREATE TABLE public.posts (id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
                           user_id uuid NOT NULL REFERENCES public.profiles (id) ON DELETE CASCADE,
                           event_id uuid,                                             -- undeclared
                           body text NOT NULL, created_at timestamptz NOT NULL DEFAULT now(),
                           updated_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE public.email_outbox (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, to_address text NOT NULL,
                                  template text NOT NULL, sent_at timestamptz,
                                  created_at timestamptz NOT NULL DEFAULT now(),
                                  updated_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE public.payouts (id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
                             sponsorship_id uuid NOT NULL REFERENCES public.sponsorships (id),
                             amount_cents bigint NOT NULL, paypal_disbursement_id text, wise_disbursement_id text,
                             created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now());

ALTER TABLE public.profiles ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.organizations ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.sponsorships ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.events ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.rsvps ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.posts ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.email_outbox ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.payouts ENABLE ROW LEVEL SECURITY;

CREATE POLICY "profiles are public" ON public.profiles FOR SELECT USING (true);
CREATE POLICY "edit own profile" ON public.profiles FOR UPDATE TO authenticated USING (auth.uid() = id);
CREATE POLICY "sponsors are public" ON public.organizations FOR SELECT USING (true);
CREATE POLICY "sponsorships are public" ON public.sponsorships FOR SELECT USING (true);
CREATE POLICY "events are public" ON public.events FOR SELECT USING (true);
CREATE POLICY "organisers edit events" ON public.events FOR UPDATE TO authenticated USING (auth.uid() = created_by);
CREATE POLICY "own rsvps" ON public.rsvps FOR ALL TO authenticated USING (auth.uid() = user_id)
    WITH CHECK (auth.uid() = user_id);
CREATE POLICY "posts are public" ON public.posts FOR SELECT USING (true);
CREATE POLICY "write own posts" ON public.posts FOR INSERT TO authenticated WITH CHECK (auth.uid() = user_id);
CREATE POLICY "anyone may insert posts" ON public.posts FOR INSERT TO anon WITH CHECK (true);
CREATE POLICY "service only" ON public.email_outbox FOR ALL USING (auth.role() = 'service_role');
CREATE POLICY "service manages payouts" ON public.payouts FOR ALL TO service_role USING (true) WITH CHECK (true);
