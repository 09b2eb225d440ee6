"""The ProductionOS demo data: a deterministic plan of every row, loaded with COPY, plus a server-side bulk fill.

``build_plan(seed)`` decides every row of the small demo with one ``random.Random(seed)``; nothing depends on the
clock or the server, so the same seed always gives the same rows, ids included. The planted problems (orphaned
references, NULL-organisation rows, dangling ids inside JSON) are made by the plan, and ``Plan.counts(scale)``
counts them from the plan itself, never from a database.

``bulk_fill(conn, scale, seed)`` then grows quotes, invoices and crew_bookings to ``scale`` rows each with
``INSERT ... SELECT ... FROM generate_series`` on the server; every bulk row refers to existing parents only, so
the planted counts stay exact and only the totals move.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import uuid
from collections import defaultdict
from decimal import Decimal

AUDIT_DATE = dt.date(2024, 12, 31)
AUDIT_TIME = dt.datetime(2024, 12, 31, 9, 0, tzinfo=dt.UTC)
START_TIME = dt.datetime(2023, 3, 1, 8, 0, tzinfo=dt.UTC)

# How a signed-in user (role authenticated) sees each table holding organization_id under the demo's policies:
#   org          only rows of the user's own organisation (possibly narrowed further: own rows, admins only);
#   org_or_null  own organisation plus every row whose organization_id IS NULL (the seed's section 4.2 bypass);
#   all          every row (RLS off, or a permissive policy that ignores the tenant);
#   nothing      no row (RLS on and no policy).
RLS_VISIBILITY = {
    "quotes": "org_or_null", "clients": "org_or_null", "opportunities": "org_or_null",
    "rate_cards": "org_or_null", "rate_card_sections": "org_or_null", "projects": "org_or_null",
    "crew": "org_or_null",
    "kit_items": "all",            # extra policy USING (auth.role() = 'authenticated')
    "knowledge_fragments": "all",  # read policy USING (auth.uid() IS NOT NULL)
    "crew_contacts": "all",        # policies exist but RLS is not enabled
    "gdpr_logs": "nothing", "security_events": "nothing",
}
# Tables without organization_id and how much of them every signed-in user sees.
UNTENANTED_VISIBILITY = {
    "invoices": "all",       # FOR ALL TO authenticated USING (true)
    "expenses": "all",       # FOR ALL TO authenticated USING (true)
    "crew_bookings": "all",  # RLS not enabled
    "google_tokens": "own",  # user_id = auth.uid()::text
}
BULK_TABLES = ("quotes", "invoices", "crew_bookings")

ORGANIZATIONS = [
    # slug, name, country, currency, timezone, size factor
    ("northlight", "Northlight Productions", "GB", "GBP", "Europe/London", 1.0),
    ("blue-fin-films", "Blue Fin Films", "AU", "AUD", "Australia/Sydney", 0.7),
    ("acme-events", "Acme Events", "US", "USD", "America/New_York", 0.5),
]
USERS = [
    # email, full name, organisation slug (None: signed up, never joined), role, job title
    ("maya.clarke@northlight.tv", "Maya Clarke", "northlight", "owner", "Managing Director"),
    ("tom.reid@northlight.tv", "Tom Reid", "northlight", "admin", "Head of Production"),
    ("priya.shah@northlight.tv", "Priya Shah", "northlight", "member", "Producer"),
    ("owen.hughes@northlight.tv", "Owen Hughes", "northlight", "member", "Production Coordinator"),
    ("lena.fischer@northlight.tv", "Lena Fischer", "northlight", "viewer", "Finance Assistant"),
    ("jack.murray@bluefinfilms.com.au", "Jack Murray", "blue-fin-films", "owner", "Executive Producer"),
    ("chloe.tan@bluefinfilms.com.au", "Chloe Tan", "blue-fin-films", "admin", "Line Producer"),
    ("liam.oconnor@bluefinfilms.com.au", "Liam O'Connor", "blue-fin-films", "member", "Production Manager"),
    ("ruby.walsh@bluefinfilms.com.au", "Ruby Walsh", "blue-fin-films", "member", "Coordinator"),
    ("dana.brooks@acme-events.com", "Dana Brooks", "acme-events", "owner", "Founder"),
    ("marcus.lee@acme-events.com", "Marcus Lee", "acme-events", "member", "Event Producer"),
    ("sofia.ramirez@acme-events.com", "Sofia Ramirez", "acme-events", "member", "Account Manager"),
    ("sam.freelance@gmail.com", "Sam Okafor", None, None, "Freelance Producer"),
]

FIRST_NAMES = ["Alex", "Ben", "Cara", "Dev", "Ella", "Finn", "Grace", "Harry", "Isla", "Jonah", "Kate", "Leo",
               "Mia", "Nate", "Olivia", "Pete", "Quinn", "Rosa", "Sean", "Tara", "Umar", "Vera", "Will", "Xena",
               "Yusuf", "Zoe", "Aidan", "Bella", "Carlos", "Daisy", "Ethan", "Freya", "Gus", "Hana", "Ivan",
               "Jade", "Kieran", "Lucy", "Matteo", "Nina"]
LAST_NAMES = ["Adams", "Baker", "Chen", "Doyle", "Evans", "Foster", "Garcia", "Hall", "Ito", "Jones", "Khan",
              "Lopez", "Morgan", "Nguyen", "Owens", "Patel", "Quinn", "Roberts", "Singh", "Turner", "Usman",
              "Vance", "Wright", "Young", "Zhang", "Bennett", "Carter", "Dalton", "Ellis", "Fraser"]
COMPANY_A = ["Apex", "Brightside", "Cobalt", "Delta", "Evergreen", "Falcon", "Granite", "Harbour", "Indigo",
             "Juniper", "Kestrel", "Lumen", "Meridian", "Northgate", "Orbit", "Pioneer", "Quarry", "Redwood",
             "Summit", "Tidal", "Union", "Vantage", "Westfield", "Zenith"]
COMPANY_B = ["Sports", "Media", "Brands", "Motors", "Foods", "Telecom", "Rugby Club", "Athletics", "Studios",
             "Broadcasting", "Events", "Finance", "Travel", "Fashion", "Energy", "Games"]
COMPANY_C = ["Ltd", "Group", "plc", "Inc", "Co", "Holdings", "Network", "League"]
INDUSTRIES = ["Sport", "Broadcast", "Automotive", "FMCG", "Telecoms", "Finance", "Fashion", "Gaming", "Charity"]

# Quote sections -> subsections -> rate card lines (name, unit, base cost).
QUOTE_SECTIONS = {
    "prod_production": ("Production", {
        "prod_crew": [("Director", "day", 650), ("Producer", "day", 550), ("Director of Photography", "day", 600),
                      ("Camera Operator", "day", 450), ("Sound Recordist", "day", 400), ("Gaffer", "day", 420),
                      ("Runner", "day", 180)],
        "prod_management": [("Production Manager", "day", 420), ("Production Coordinator", "day", 300),
                            ("Location Scout", "day", 350)],
    }),
    "prod_equipment": ("Equipment", {
        "eq_camera": [("Sony FX9 Kit", "day", 350), ("ARRI Alexa Mini LF Kit", "day", 1200),
                      ("Prime Lens Set", "day", 400), ("Drone with Pilot", "day", 900)],
        "eq_lighting": [("LED Lighting Package", "day", 300), ("HMI Package", "day", 550)],
        "eq_sound": [("Radio Mic Kit", "day", 120), ("Boom Kit", "day", 80)],
    }),
    "prod_post": ("Post-production", {
        "post_edit": [("Offline Edit", "day", 450), ("Online Edit", "day", 650)],
        "post_grade": [("Colour Grade", "day", 800)],
        "post_audio": [("Audio Mix", "day", 500), ("Music Licence", "item", 750)],
    }),
    "prod_graphics": ("Graphics", {
        "gfx_design": [("Motion Graphics Designer", "day", 500), ("Lower Thirds Package", "item", 900)],
        "gfx_live": [("Live Graphics Operator", "day", 520)],
    }),
    "prod_travel": ("Travel & Expenses", {
        "tr_travel": [("Flights", "item", 420), ("Van Hire", "day", 140), ("Mileage", "mile", 1)],
        "tr_accom": [("Hotel", "night", 150), ("Per Diem", "day", 45)],
    }),
}

CREW_DEPARTMENTS = ["Production", "Camera", "Lighting", "Sound", "Grip", "Post", "Art", "Hair & Make-up"]
CREW_ROLES = {
    "Production": ["Producer", "Production Manager", "Runner", "Floor Manager"],
    "Camera": ["Director of Photography", "Camera Operator", "Focus Puller", "Drone Pilot"],
    "Lighting": ["Gaffer", "Spark"],
    "Sound": ["Sound Recordist", "Boom Operator"],
    "Grip": ["Key Grip", "Grip"],
    "Post": ["Editor", "Colourist", "EVS Operator"],
    "Art": ["Art Director", "Props Buyer"],
    "Hair & Make-up": ["Make-up Artist"],
}
KIT_CATEGORIES = [("Cameras", "cameras", None), ("Lenses", "lenses", "cameras"), ("Lighting", "lighting", None),
                  ("Sound", "sound", None), ("Grip", "grip", None), ("Monitors", "monitors", None),
                  ("Power", "power", None), ("Drones", "drones", "cameras"), ("Rigging", "rigging", "grip")]
KIT_MODELS = {
    "cameras": [("Sony", "FX9"), ("Sony", "FX6"), ("ARRI", "Alexa Mini LF"), ("Canon", "C300 Mk III"),
                ("RED", "Komodo 6K"), ("Blackmagic", "URSA 12K")],
    "lenses": [("Zeiss", "Supreme Prime 35mm"), ("Canon", "CN-E 18-80mm"), ("Sigma", "Cine 24-35mm"),
               ("Cooke", "S4/i 50mm")],
    "lighting": [("Aputure", "600d Pro"), ("ARRI", "SkyPanel S60"), ("Litepanels", "Gemini 2x1"),
                 ("Astera", "Titan Tube")],
    "sound": [("Sound Devices", "MixPre-10 II"), ("Sennheiser", "MKH 416"), ("Lectrosonics", "SMWB")],
    "grip": [("Matthews", "C-Stand"), ("DJI", "Ronin 2"), ("Easyrig", "Vario 5")],
    "monitors": [("SmallHD", "Cine 7"), ("Atomos", "Shogun 7")],
    "power": [("IDX", "Duo-C150"), ("Anton Bauer", "Titon 240")],
    "drones": [("DJI", "Inspire 3"), ("DJI", "Mavic 3 Cine")],
    "rigging": [("Manfrotto", "Super Clamp"), ("Kupo", "Grip Head")],
}
SPORTS = ["Football", "Rugby", "Cricket", "Tennis", "Athletics", "Cycling", "Motorsport", "Golf", "Netball"]
REGIONS = {"GB": "Europe", "IE": "Europe", "FR": "Europe", "AU": "APAC", "NZ": "APAC", "US": "Americas",
           "CA": "Americas", "AE": "MEA", "ZA": "MEA"}


def _money(value: float) -> Decimal:
    return Decimal(str(round(value, 2)))


class Plan:
    """Every row of the small demo, in insertion order, decided by one seeded random generator."""

    def __init__(self, seed: int):
        self.seed = seed
        self.rng = random.Random(seed)
        self.rows: dict[str, list[dict]] = {}
        self.order: list[str] = []
        self._build()

    # -- helpers ------------------------------------------------------------------------------------------------
    def uid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def add(self, table: str, **row) -> dict:
        if table not in self.rows:
            self.rows[table] = []
            self.order.append(table)
        self.rows[table].append(row)
        return row

    def when(self, start: dt.datetime = START_TIME, end: dt.datetime = AUDIT_TIME) -> dt.datetime:
        span = int((end - start).total_seconds())
        return start + dt.timedelta(seconds=self.rng.randrange(max(span, 1)))

    def later(self, moment: dt.datetime, max_days: int = 60) -> dt.datetime:
        result = moment + dt.timedelta(minutes=self.rng.randrange(1, max_days * 1440))
        return min(result, AUDIT_TIME)

    def stamps(self, start: dt.datetime = START_TIME) -> dict:
        created = self.when(start)
        return {"created_at": created, "updated_at": self.later(created)}

    def person(self) -> tuple[str, str]:
        return self.rng.choice(FIRST_NAMES), self.rng.choice(LAST_NAMES)

    def pick(self, items, k: int):
        return self.rng.sample(items, min(k, len(items)))

    # -- the plan -----------------------------------------------------------------------------------------------
    def _build(self) -> None:
        self.org_ids = {}
        self.members = defaultdict(list)  # org slug -> [(user_id, role)]
        self.user_ids = {}
        self._platform()
        for slug, *_, size in ORGANIZATIONS:
            self._organization(slug, size)
        self._legacy_rows()
        self._global_research()
        self._untenanted_extras()
        self._security_surface()
        self._tenancy_surface()

    def _platform(self) -> None:
        for code, name, monthly, users, quotes in [("free", "Free", 0, 2, 20), ("pro", "Pro", 49, 10, None),
                                                   ("studio", "Studio", 149, 50, None),
                                                   ("enterprise", "Enterprise", 499, None, None)]:
            self.add("subscription_plans", id=self.uid(), code=code, name=name, description=f"{name} plan",
                     price_monthly=_money(monthly), price_yearly=_money(monthly * 10), currency="GBP",
                     max_users=users, max_quotes=quotes,
                     features=["quotes", "crm"] + (["crew", "kit", "call_sheets"] if monthly else []),
                     is_active=True, sort_order=len(self.rows.get("subscription_plans", [])),
                     **self.stamps(START_TIME))
        self.plans = {row["code"]: row["id"] for row in self.rows["subscription_plans"]}
        steps = [("create_org", "Create your organisation"), ("invite_team", "Invite your team"),
                 ("rate_card", "Set up your rate card"), ("first_client", "Add a client"),
                 ("first_quote", "Send your first quote"), ("connect_email", "Connect your mailbox")]
        for n, (key, title) in enumerate(steps):
            self.add("onboarding_checklist", id=self.uid(), step_key=key, title=title, description=None,
                     sort_order=n, is_required=n < 5, created_at=START_TIME, updated_at=START_TIME)
        slugs = {}
        for name, slug, parent in KIT_CATEGORIES:
            row = self.add("kit_categories", id=self.uid(), name=name, slug=slug,
                           parent_id=slugs.get(parent), icon=slug, sort_order=len(slugs),
                           created_at=START_TIME, updated_at=START_TIME)
            slugs[slug] = row["id"]
        self.kit_category_ids = slugs
        for key, enabled, pct in [("ai_quote_assistant", True, 100), ("sports_research", True, 50),
                                  ("microsoft_mail", False, 0), ("call_sheet_v2", True, 20)]:
            self.add("feature_flags", id=self.uid(), key=key, description=key.replace("_", " "),
                     enabled=enabled, rollout_percentage=pct, **self.stamps())
        day = dt.date(2024, 12, 1)
        for offset in range(30):
            for base, quote, rate in [("GBP", "USD", 1.27), ("GBP", "EUR", 1.20), ("GBP", "AUD", 1.95)]:
                self.add("currency_rates", id=self.uid(), base_currency=base, quote_currency=quote,
                         rate=Decimal(str(round(rate * (1 + self.rng.uniform(-0.01, 0.01)), 6))),
                         rate_date=day + dt.timedelta(days=offset), source="ecb",
                         created_at=AUDIT_TIME, updated_at=AUDIT_TIME)
        for bucket, public in [("documents", False), ("avatars", True), ("kit-photos", True)]:
            self.add("storage.buckets", id=bucket, name=bucket, public=public,
                     created_at=START_TIME, updated_at=START_TIME)
        # Users (auth.users) first: organisations refer to them through memberships.
        for email, full_name, *_ in USERS:
            user_id = self.uid()
            created = self.when(START_TIME, dt.datetime(2024, 6, 1, tzinfo=dt.UTC))
            self.user_ids[email] = user_id
            self.add("auth.users", id=user_id, aud="authenticated", role="authenticated", email=email,
                     email_confirmed_at=created, last_sign_in_at=self.later(created, 200),
                     raw_app_meta_data={"provider": "email", "providers": ["email"]},
                     raw_user_meta_data={"full_name": full_name}, created_at=created, updated_at=created)
            self.add("auth.identities", id=self.uid(), user_id=user_id, provider="email", provider_id=user_id,
                     identity_data={"sub": user_id, "email": email}, created_at=created, updated_at=created)
        self.deleted_user_id = self.uid()  # a user deleted from auth.users; google_tokens still holds the id

    # -- one organisation ---------------------------------------------------------------------------------------
    def _organization(self, slug: str, size: float) -> None:
        r = self.rng
        _, name, country, currency, tz, _ = next(o for o in ORGANIZATIONS if o[0] == slug)
        n = lambda base: max(2, int(round(base * size)))  # noqa: E731
        org_id = self.uid()
        self.org_ids[slug] = org_id
        org_created = self.when(START_TIME, dt.datetime(2023, 9, 1, tzinfo=dt.UTC))
        self.add("organizations", id=org_id, name=name, slug=slug, logo_url=f"https://cdn.example.com/{slug}.png",
                 billing_email=f"accounts@{slug}.example.com", country=country, default_currency=currency,
                 timezone=tz, subscription_status="active",
                 subscription_tier={"northlight": "studio", "blue-fin-films": "pro"}.get(slug, "pro"),
                 settings={"weekStartsOn": 1, "locale": "en-" + country}, created_at=org_created,
                 updated_at=self.later(org_created, 300))
        stamp = lambda: self.stamps(org_created)  # noqa: E731
        members = [(self.user_ids[u[0]], u[3], u) for u in USERS if u[2] == slug]
        owner = members[0][0]
        for user_id, role, user in members:
            joined = self.when(org_created, dt.datetime(2024, 6, 1, tzinfo=dt.UTC))
            self.members[slug].append((user_id, role))
            self.add("organization_members", id=self.uid(), organization_id=org_id, user_id=user_id, role=role,
                     invited_by=None if user_id == owner else owner, joined_at=joined, created_at=joined,
                     updated_at=joined)
            self.add("user_profiles", id=self.uid(), auth_user_id=user_id, organization_id=org_id, email=user[0],
                     full_name=user[1], avatar_url=None, job_title=user[4], phone=None, role=role,
                     status="active", preferences={"theme": r.choice(["light", "dark"])},
                     last_active_at=self.later(joined, 200), created_at=joined, updated_at=self.later(joined))
        users = [m[0] for m in members]
        user = lambda: r.choice(users)  # noqa: E731
        admins = [m[0] for m in members if m[1] in ("owner", "admin")]

        plan = self.plans["studio" if slug == "northlight" else "pro"]
        sub_id = self.uid()
        period_start = dt.datetime(2024, 12, 1, tzinfo=dt.UTC)
        self.add("subscriptions", id=sub_id, organization_id=org_id, plan_id=plan, status="active",
                 billing_interval="month", seats=len(members) + 2, stripe_customer_ref=f"cus_{slug[:6]}{r.randrange(10**6)}",
                 stripe_subscription_ref=f"sub_{r.randrange(10**9)}", trial_ends_at=None,
                 current_period_start=period_start, current_period_end=period_start + dt.timedelta(days=31),
                 cancel_at_period_end=False, canceled_at=None, created_at=org_created, updated_at=AUDIT_TIME)
        for k in range(12):
            start = dt.date(2024, k + 1, 1)
            end = dt.date(2024 + (k == 11), (k + 1) % 12 + 1, 1) - dt.timedelta(days=1)
            amount = _money(149 if slug == "northlight" else 49)
            self.add("billing_invoices", id=self.uid(), organization_id=org_id, subscription_id=sub_id,
                     billing_number=f"BILL-{slug[:3].upper()}-{2024}{k + 1:02d}", amount_due=amount,
                     amount_paid=amount, currency="GBP", status="paid", period_start=start, period_end=end,
                     hosted_invoice_url=None, pdf_url=None,
                     paid_at=dt.datetime.combine(end, dt.time(12), dt.UTC),
                     created_at=dt.datetime.combine(start, dt.time(6), dt.UTC),
                     updated_at=dt.datetime.combine(end, dt.time(12), dt.UTC))
        for m_user, _ in self.members[slug]:
            for item in self.rows["onboarding_checklist"]:
                done = r.random() < 0.8
                self.add("onboarding_progress", id=self.uid(), organization_id=org_id, user_id=m_user,
                         checklist_item_id=item["id"], completed=done,
                         completed_at=self.when(org_created) if done else None, **stamp())
        for k in range(r.randint(1, 3)):
            self.add("user_invitations", id=self.uid(), organization_id=org_id,
                     email=f"{r.choice(FIRST_NAMES).lower()}.{k}@{slug}.example.com", role="member",
                     token=uuid.UUID(int=r.getrandbits(128)).hex, invited_by=r.choice(admins),
                     status=r.choice(["pending", "expired"]), expires_at=self.later(AUDIT_TIME - dt.timedelta(days=20), 14),
                     accepted_at=None, **stamp())
        self.add("settings", id=self.uid(), organization_id=org_id,
                 company={"name": name, "country": country, "currency": currency, "vatNumber": f"VAT{r.randrange(10**8)}"},
                 quote_defaults={"validityDays": 30, "managementFee": 10, "currency": currency},
                 users=[{"id": f"u{k + 1}", "name": u[2][1], "email": u[2][0], "role": u[1]}
                        for k, u in enumerate(members)],
                 ai_settings={"model": "claude-3-5-sonnet", "autoSuggest": True},
                 ops_preferences={"defaultCallTime": "07:00"}, dashboard_preferences={"widgets": ["pipeline", "cash"]},
                 **stamp())

        # Rate cards (plus some that were deleted but are still referenced by old quotes).
        rate_cards = []  # (id, section key, subsection key, name, cost, charge)
        deleted_rate_cards = []
        for order, (key, (title, subsections)) in enumerate(QUOTE_SECTIONS.items()):
            section_id = self.uid()
            self.add("rate_card_sections", id=section_id, organization_id=org_id, section_key=key, name=title,
                     sort_order=order, is_visible=True, **stamp())
            for sub, lines in subsections.items():
                for line_name, unit, base in lines:
                    cost = _money(base * r.uniform(0.85, 1.15))
                    charge = _money(float(cost) * r.uniform(1.25, 1.6))
                    row = self.add("rate_cards", id=self.uid(), organization_id=org_id, section_id=section_id,
                                   name=line_name, section=key, subsection=sub, unit=unit, cost=cost, charge=charge,
                                   currency=currency,
                                   pricing={currency: {"cost": float(cost), "charge": float(charge)}},
                                   is_active=True, notes=None, **stamp())
                    rate_cards.append((row["id"], key, sub, line_name, cost, charge))
                    if r.random() < 0.12:
                        deleted_rate_cards.append((self.uid(), key, sub, line_name + " (old)", cost, charge))

        # Clients and contacts (some deleted: their ids live on in JSON snapshots).
        clients = []
        deleted_clients = []
        for k in range(n(40)):
            company = f"{r.choice(COMPANY_A)} {r.choice(COMPANY_B)} {r.choice(COMPANY_C)}"
            ccountry = r.choice([country] * 4 + ["IE", "FR", "AE", "NZ", "CA"])
            row = self.add("clients", id=self.uid(), organization_id=org_id, company=company,
                           industry=r.choice(INDUSTRIES), website=f"https://www.{company.split()[0].lower()}{k}.example.com",
                           email=f"hello@{company.split()[0].lower()}{k}.example.com", phone=f"+44 20 7{r.randrange(10**6):06d}",
                           address=f"{r.randint(1, 200)} High Street", region=REGIONS[ccountry], country=ccountry,
                           currency=currency, payment_terms=r.choice([14, 30, 30, 45, 60]),
                           tax_number=None, contacts=[], tags=self.pick(["sport", "brand", "agency", "retainer", "vip"], r.randint(0, 2)),
                           status=r.choice(["active"] * 5 + ["prospect", "inactive"]), notes=None, created_by=user(),
                           **stamp())
            clients.append(row)
        for _ in range(r.randint(2, 4)):
            deleted_clients.append({"id": self.uid(), "company": f"{r.choice(COMPANY_A)} {r.choice(COMPANY_B)} (closed)",
                                    "payment_terms": 30})
        contacts_by_client = defaultdict(list)
        deleted_contacts = []
        for client in clients:
            for k in range(r.randint(1, 4)):
                first, last = self.person()
                domain = client["email"].split("@")[1]
                row = self.add("contacts", id=self.uid(), organization_id=org_id, client_id=client["id"],
                               name=f"{first} {last}", first_name=first, last_name=last,
                               email=f"{first.lower()}.{last.lower()}@{domain}", phone=f"+44 20 7{r.randrange(10**6):06d}",
                               mobile=f"+44 7{r.randrange(10**9):09d}", whatsapp=None,
                               job_title=r.choice(["Head of Marketing", "Brand Manager", "Producer", "CMO", "Comms Lead"]),
                               company=client["company"], is_primary=k == 0, linkedin_url=None, tags=[], notes=None,
                               last_contacted_at=self.when(), **stamp())
                contacts_by_client[client["id"]].append(row)
            if r.random() < 0.12:
                first, last = self.person()
                deleted_contacts.append({"id": self.uid(), "name": f"{first} {last}",
                                         "email": f"{first.lower()}@{client['email'].split('@')[1]}",
                                         "client_id": client["id"]})
            client["contacts"] = [{"name": c["name"], "email": c["email"], "phone": c["phone"]}
                                  for c in contacts_by_client[client["id"]][:2]]

        # Quotes with their JSONB sections.
        quotes = []
        for k in range(n(60)):
            client = r.choice(clients + deleted_clients) if r.random() < 0.93 else None
            if client is not None and client in deleted_clients:
                snapshot = {"id": client["id"], "company": client["company"], "contact": "", "email": "", "phone": ""}
            elif client is not None:
                contact = (contacts_by_client[client["id"]] or [None])[0]
                snapshot = {"id": client["id"], "company": client["company"],
                            "contact": contact["name"] if contact else "", "email": contact["email"] if contact else "",
                            "phone": client["phone"]}
            else:
                snapshot = {}
            quotes.append(self._quote(org_id, slug, currency, f"{slug[:2].upper()}-{2023 + k * 2 // n(60)}-{k + 1:04d}",
                                      snapshot, rate_cards, deleted_rate_cards, user(), org_created))
        # Opportunities: a converted opportunity names its quote; each quote comes from at most one opportunity.
        convertible = [q for q in quotes if q["status"] in ("sent", "accepted", "declined")]
        r.shuffle(convertible)
        opportunities = []
        for _ in range(n(70)):
            client = r.choice(clients) if r.random() < 0.9 else None
            contacts = []
            if client is not None:
                for c in self.pick(contacts_by_client[client["id"]], r.randint(1, 3)):
                    contacts.append({"id": c["id"], "name": c["name"], "email": c["email"], "isPrimary": not contacts})
                gone = [d for d in deleted_contacts if d["client_id"] == client["id"]]
                if gone and r.random() < 0.8:
                    contacts.append({"id": gone[0]["id"], "name": gone[0]["name"], "email": gone[0]["email"],
                                     "isPrimary": False})
            quote = convertible.pop() if convertible and r.random() < 0.45 else None
            stage = "won" if quote is not None and quote["status"] == "accepted" else (
                "proposal" if quote is not None else r.choice(["lead", "lead", "qualified", "proposal", "negotiation", "lost"]))
            created = self.when(org_created)
            opportunities.append(self.add(
                "opportunities", id=self.uid(), organization_id=org_id,
                title=f"{client['company'].split()[0] if client else 'Inbound'} {r.choice(['Brand Film', 'Season Coverage', 'Launch Event', 'Social Series', 'Documentary', 'Live Stream'])}",
                client_id=client["id"] if client else None,
                client={"id": client["id"], "company": client["company"]} if client else {}, contacts=contacts,
                stage=stage, value=_money(r.randrange(5, 250) * 1000), currency=currency,
                probability={"lead": 10, "qualified": 25, "proposal": 50, "negotiation": 70, "won": 100, "lost": 0}[stage],
                expected_close_date=(created + dt.timedelta(days=r.randint(20, 120))).date(),
                source=r.choice(["referral", "website", "research_agent", "event", "repeat"]),
                region=client["region"] if client else None, country=client["country"] if client else None,
                lost_reason="budget" if stage == "lost" else None, tags=[], notes=None,
                converted_to_quote_id=quote["id"] if quote else None,
                converted_at=self.later(created) if quote else None, owner_id=user(),
                created_at=created, updated_at=self.later(created)))
        opp_by_quote = {o["converted_to_quote_id"]: o for o in opportunities if o["converted_to_quote_id"]}
        for opp in self.pick(opportunities, len(opportunities) // 3):
            for _ in range(r.randint(1, 2)):
                self.add("deal_context", id=self.uid(), organization_id=org_id, opportunity_id=opp["id"],
                         summary=f"{opp['title']}: budget confirmed, timing open.",
                         key_points=["budget confirmed", "decision in Q1"], stakeholders=[{"name": c["name"], "role": "buyer"} for c in opp["contacts"][:1]],
                         risks=r.choice([None, "Competing agency", "Budget not signed off"]), next_steps="Send revised quote",
                         last_analyzed_at=self.when(org_created), **stamp())

        # Projects from accepted quotes (a series may run several projects off one quote).
        projects = []
        accepted = [q for q in quotes if q["status"] == "accepted"]
        for quote in accepted:
            for part in range(2 if r.random() < 0.1 else 1):
                start = (quote["created_at"] + dt.timedelta(days=r.randint(10, 60))).date()
                end = start + dt.timedelta(days=r.randint(1, 45))
                opp = opp_by_quote.get(quote["id"])
                client_id = quote["client"].get("id") if quote["client"] else None
                if client_id not in {c["id"] for c in clients}:
                    client_id = None
                title = quote["project"].get("title", "Production")
                projects.append(self.add(
                    "projects", id=self.uid(), name=title + (f" (part {part + 1})" if part else ""),
                    client_id=client_id, opportunity_id=opp["id"] if opp else None, quote_id=quote["id"],
                    organization_id=org_id,
                    status="completed" if end < AUDIT_DATE else r.choice(["planning", "in_production"]),
                    project_type=r.choice(["commercial", "live", "documentary", "social", "event"]),
                    description=None, venue=quote["project"].get("venue"), start_date=start, end_date=end,
                    budget=quote["total_charge"], currency=currency, color=r.choice(["#2563eb", "#16a34a", "#f59e0b"]),
                    project_manager_id=user(), created_at=quote["created_at"], updated_at=self.later(quote["created_at"])))
        for k in range(r.randint(2, 4)):  # internal projects without a quote
            start = self.when(org_created).date()
            projects.append(self.add(
                "projects", id=self.uid(), name=f"Showreel {2023 + k % 2}", client_id=None, opportunity_id=None,
                quote_id=None, organization_id=org_id, status="in_production", project_type="internal",
                description="Internal", venue=None, start_date=start, end_date=start + dt.timedelta(days=30),
                budget=None, currency=currency, color=None, project_manager_id=user(), **stamp()))
        deleted_projects = [self.uid() for _ in range(r.randint(2, 3))]

        self._project_detail(org_id, slug, currency, projects, deleted_projects, clients, quotes, users, user,
                             org_created)
        self._crm_detail(org_id, clients, contacts_by_client, opportunities, quotes, users, user, org_created)
        self._ai_detail(org_id, slug, quotes, clients, users, user, org_created)
        self._platform_detail(org_id, slug, members, admins, user, org_created)

    def _quote(self, org_id, slug, currency, number, snapshot, rate_cards, deleted_rate_cards, creator, org_created):
        r = self.rng
        created = self.when(org_created)
        sections = {}
        total_cost = total_charge = Decimal(0)
        chosen = self.pick(list(QUOTE_SECTIONS), r.randint(2, 4))
        for key in sorted(chosen, key=list(QUOTE_SECTIONS).index):
            title, subsections = QUOTE_SECTIONS[key]
            subs = {}
            for sub in self.pick(list(subsections), r.randint(1, len(subsections))):
                items = []
                pool = [c for c in rate_cards if c[2] == sub]
                gone = [c for c in deleted_rate_cards if c[2] == sub]
                for _ in range(r.randint(1, 3)):
                    roll = r.random()
                    if gone and roll < 0.08:
                        card = r.choice(gone)
                    elif roll < 0.85 and pool:
                        card = r.choice(pool)
                    else:
                        card = None
                    quantity, days = r.randint(1, 3), r.choice([1, 1, 2, 3, 5, 10])
                    cost = card[4] if card else _money(r.randrange(50, 900))
                    charge = card[5] if card else _money(float(cost) * 1.4)
                    total_cost += cost * quantity * days
                    total_charge += charge * quantity * days
                    items.append({"id": self.uid(), "name": card[3] if card else r.choice(["Catering", "Parking", "Security", "Insurance"]),
                                  "quantity": quantity, "days": days, "cost": float(cost), "charge": float(charge),
                                  "rateCardItemId": card[0] if card else None, "notes": ""})
                subs[sub] = items
            sections[key] = {"name": title, "visible": r.random() < 0.95, "subsections": subs}
        start = (created + dt.timedelta(days=r.randint(14, 90))).date()
        status = r.choice(["draft", "sent", "sent", "accepted", "accepted", "accepted", "declined", "expired"])
        return self.add(
            "quotes", id=self.uid(), organization_id=org_id, quote_number=number, quote_date=created.date(),
            validity_days=r.choice([14, 30, 30, 30, 45, 60, 90]), status=status, currency=currency,
            region=r.choice(["Europe", "APAC", "Americas", "MEA"]), prepared_by=None, client=snapshot,
            project={"title": f"{snapshot.get('company', 'Internal').split()[0]} {r.choice(['Campaign', 'Live Event', 'Brand Film', 'Highlights', 'Social Cutdowns'])}",
                     "venue": r.choice(["Studio A", "Twickenham", "ExCeL London", "Sydney Showground", "On location"]),
                     "startDate": start.isoformat(), "endDate": (start + dt.timedelta(days=r.randint(1, 20))).isoformat(),
                     "sectionOrder": list(sections)},
            sections=sections,
            fees={"managementFee": r.choice([0, 10, 12.5, 15]), "commission": r.choice([0, 0, 5]),
                  "discount": r.choice([0, 0, 5, 10]), "contingency": 5},
            proposal={"intro": "Thank you for the opportunity.", "showTerms": True, "coverImage": None},
            total_cost=total_cost.quantize(Decimal("0.01")), total_charge=total_charge.quantize(Decimal("0.01")),
            margin_percent=((total_charge - total_cost) / total_charge * 100).quantize(Decimal("0.01")) if total_charge else None,
            notes=None, sent_at=self.later(created, 10) if status != "draft" else None,
            accepted_at=self.later(created, 30) if status == "accepted" else None, created_by=creator,
            created_at=created, updated_at=self.later(created))

    def _project_detail(self, org_id, slug, currency, projects, deleted_projects, clients, quotes, users, user,
                        org_created):
        r = self.rng
        stamp = lambda: self.stamps(org_created)  # noqa: E731
        client_terms = {c["id"]: c["payment_terms"] for c in clients}
        # Crew and the legacy crew_contacts list.
        departments = {}
        for order, name in enumerate(CREW_DEPARTMENTS):
            departments[name] = self.add("crew_departments", id=self.uid(), organization_id=org_id, name=name,
                                         budget_code=f"{order + 1:02d}00", sort_order=order, color=None, **stamp())["id"]
        crew = []
        size = {"northlight": 45, "blue-fin-films": 30, "acme-events": 20}[slug]
        for _ in range(size):
            dept = r.choice(CREW_DEPARTMENTS)
            first, last = self.person()
            rate = _money(r.randrange(180, 800, 10))
            crew.append(self.add(
                "crew", id=self.uid(), organization_id=org_id, department_id=departments[dept], first_name=first,
                last_name=last, email=f"{first.lower()}.{last.lower()}{r.randrange(100)}@crewmail.example.com",
                phone=f"+44 7{r.randrange(10**9):09d}", role=r.choice(CREW_ROLES[dept]), day_rate=rate,
                half_day_rate=_money(float(rate) * 0.6), overtime_rate=_money(float(rate) / 10 * 1.5),
                currency=currency, location=r.choice(["London", "Manchester", "Sydney", "New York", "Dublin"]),
                country=r.choice(["GB", "AU", "US", "IE"]), skills=self.pick(["live", "drone", "steadicam", "multi-cam", "ENG", "studio"], 2),
                equipment_owned=[], rating=Decimal(str(round(r.uniform(3, 5), 1))), is_freelancer=r.random() < 0.85,
                status="active", avatar_url=None, notes=None, **stamp()))
        legacy_crew = []
        for person in self.pick(crew, size // 2):
            legacy_crew.append(self.add(
                "crew_contacts", id=self.uid(), organization_id=org_id, first_name=person["first_name"],
                last_name=person["last_name"], email=person["email"], phone=person["phone"], role=person["role"],
                department=next(k for k, v in departments.items() if v == person["department_id"]),
                day_rate=int(person["day_rate"]), currency=currency, location=person["location"],
                country=person["country"], skills=person["skills"], rating=person["rating"],
                equipment_owned=person["equipment_owned"], is_freelancer=person["is_freelancer"],
                status=person["status"], avatar_url=None, notes=None,
                created_at=person["created_at"] - dt.timedelta(days=200), updated_at=person["created_at"]))
        for person in self.pick(crew, size // 3):
            days = sorted(self.pick(range(0, 60), r.randint(2, 6)))
            for d in days:
                self.add("crew_availability", id=self.uid(), organization_id=org_id, crew_id=person["id"],
                         available_date=AUDIT_DATE + dt.timedelta(days=d),
                         status=r.choice(["available", "booked", "hold", "unavailable"]), note=None, **stamp())
        for person in [p for p in self.pick(crew, size // 4) for _ in range(r.randint(1, 3))]:
            self.add("crew_documents", id=self.uid(), organization_id=org_id, crew_id=person["id"],
                     document_type=r.choice(["passport", "insurance", "drone_licence", "dbs_check"]),
                     storage_path=f"crew/{person['id']}/doc.pdf", verified=r.random() < 0.7,
                     expires_at=self.later(AUDIT_TIME, 700), **stamp())

        kit = self._kit(org_id, slug, user, org_created)
        locations = []
        for k in range(r.randint(4, 8)):
            locations.append(self.add(
                "locations", id=self.uid(), organization_id=org_id,
                name=r.choice(["Warehouse", "Rooftop", "Stadium", "Studio", "Beach", "Town Hall"]) + f" {k + 1}",
                location_type=r.choice(["studio", "exterior", "venue"]), address=f"{r.randint(1, 99)} Dock Road",
                city=r.choice(["London", "Sydney", "New York"]), country=r.choice(["GB", "AU", "US"]),
                latitude=Decimal(str(round(r.uniform(-34, 52), 6))), longitude=Decimal(str(round(r.uniform(-74, 151), 6))),
                contact_name=" ".join(self.person()), contact_phone=None, permit_required=r.random() < 0.4,
                notes=None, **stamp()))
        templates = []
        for name in ["Standard shoot day", "Live event"]:
            templates.append(self.add("call_sheet_templates", id=self.uid(), organization_id=org_id, name=name,
                                      template={"blocks": ["schedule", "crew", "contacts", "hospital", "weather"]},
                                      is_default=name.startswith("Standard"), **stamp())["id"])
        for project in projects:
            created = project["created_at"]
            pstamp = lambda created=created: {"created_at": (c := self.later(created, 30)),  # noqa: E731
                                              "updated_at": self.later(c)}
            start, end = project["start_date"], project["end_date"]
            span = (end - start).days
            for order, phase in enumerate(["Pre-production", "Production", "Post-production", "Delivery"]):
                self.add("project_phases", id=self.uid(), organization_id=org_id, project_id=project["id"], name=phase,
                         sort_order=order, status="completed" if end < AUDIT_DATE else "pending",
                         start_date=start + dt.timedelta(days=span * order // 4),
                         end_date=start + dt.timedelta(days=span * (order + 1) // 4), **pstamp())
            members = self.pick(users, r.randint(1, len(users)))
            for m in members:
                self.add("project_members", id=self.uid(), organization_id=org_id, project_id=project["id"],
                         user_id=m, role=r.choice(["producer", "coordinator", "viewer"]), **pstamp())
            for _ in range(r.randint(2, 6)):
                self.add("tasks", id=self.uid(), organization_id=org_id, project_id=project["id"], phase_id=None,
                         title=r.choice(["Book crew", "Confirm kit", "Recce", "Send call sheet", "Deliver rushes",
                                         "Chase PO", "Music clearance"]),
                         description=None, status=r.choice(["todo", "doing", "done", "done"]),
                         priority=r.choice(["low", "medium", "high"]), assigned_to=r.choice(members),
                         due_date=start - dt.timedelta(days=r.randint(0, 10)), completed_at=None,
                         created_by=r.choice(members), **pstamp())
            for k in range(r.randint(1, 3)):
                shoot = start + dt.timedelta(days=min(k * 2, span))
                sheet = self.add(
                    "call_sheets", id=self.uid(), organization_id=org_id, project_id=project["id"],
                    template_id=r.choice(templates), title=f"{project['name']} - Day {k + 1}", shoot_date=shoot,
                    call_time=dt.time(r.choice([6, 7, 8]), r.choice([0, 30])), wrap_time=dt.time(r.choice([18, 19, 20])),
                    location=project["venue"], location_address=None,
                    weather={"summary": r.choice(["Sunny", "Overcast", "Showers"]), "high": r.randint(8, 28)},
                    status="published" if shoot < AUDIT_DATE else "draft", version=r.randint(1, 3),
                    published_at=self.later(created) if shoot < AUDIT_DATE else None, notes=None,
                    created_by=r.choice(members), **pstamp())
                for person in self.pick(crew, r.randint(3, 8)):
                    self.add("call_sheet_crew", id=self.uid(), organization_id=org_id, call_sheet_id=sheet["id"],
                             crew_id=person["id"], role=person["role"], call_time=sheet["call_time"],
                             confirmed=r.random() < 0.8, notes=None, **pstamp())
            booked = self.pick(crew, r.randint(2, 7))
            for person in booked:
                days = Decimal(max(1, min(span, r.randint(1, 8))))
                b_start = start + dt.timedelta(days=r.randint(0, max(0, span - int(days))))
                self.add("crew_bookings", id=self.uid(), crew_id=person["id"], project_id=project["id"],
                         role=person["role"], start_date=b_start, end_date=b_start + dt.timedelta(days=int(days) - 1),
                         days=days, day_rate=person["day_rate"], total_cost=person["day_rate"] * days,
                         status=r.choice(["pencilled", "confirmed", "confirmed", "completed"]), notes=None,
                         booked_by=r.choice(members), **pstamp())
            for person in booked[:2]:
                self.add("crew_project_history", id=self.uid(), organization_id=org_id, crew_id=person["id"],
                         project_id=project["id"], role=person["role"], start_date=start, end_date=end,
                         days_worked=Decimal(min(span + 1, 5)), total_paid=person["day_rate"] * min(span + 1, 5),
                         rating=Decimal(str(round(r.uniform(3, 5), 1))), feedback=None, **pstamp())
            for item in self.pick(kit, r.randint(2, 6)):
                days = r.randint(1, max(1, span))
                self.add("kit_bookings", id=self.uid(), organization_id=org_id, kit_item_id=item["id"],
                         project_id=project["id"], quantity=1, start_date=start,
                         end_date=start + dt.timedelta(days=days - 1),
                         status=r.choice(["reserved", "confirmed", "checked_out", "returned"]),
                         day_rate=item["day_rate"], total=item["day_rate"] * days, notes=None,
                         booked_by=r.choice(members), **pstamp())
            # Invoices and expenses: no organization_id, project_id without a foreign key.
            terms = client_terms.get(project["client_id"], 30)
            for k in range(r.randint(1, 2) if project["quote_id"] else 0):
                issue = start + dt.timedelta(days=k * 14 + r.randint(0, 7))
                self._invoice(slug, project["id"], project["quote_id"], project["client_id"], issue, terms, currency,
                              r.choice(members), created)
            for _ in range(r.randint(1, 4)):
                self._expense(project["id"], currency, r.choice(members), start, created)
            for board_name in ["board", "post-production board"][:1 if r.random() < 0.8 else 2]:
                self._task_board(org_id, project, board_name, members, created, pstamp)
            for name in self.pick(["Hero film 60s", "Cutdown 30s", "Cutdown 15s", "Social 9x16", "Rushes",
                                   "Highlights package", "Stills"], r.randint(1, 4)):
                due = end + dt.timedelta(days=r.randint(3, 21))
                self.add("deliverables", id=self.uid(), organization_id=org_id, project_id=project["id"], name=name,
                         deliverable_type=r.choice(["video", "stills", "audio"]), format=r.choice(["ProRes 422 HQ", "H.264", "JPEG"]),
                         status="delivered" if due < AUDIT_DATE else "pending", due_date=due,
                         delivered_at=dt.datetime.combine(due, dt.time(17), dt.UTC) if due < AUDIT_DATE else None,
                         file_url=None, notes=None, **pstamp())
            for order, title in enumerate(["Kick-off", "Shoot", "First cut", "Delivery"]):
                moment = dt.datetime.combine(start + dt.timedelta(days=span * order // 3), dt.time(9), dt.UTC)
                self.add("timeline_items", id=self.uid(), organization_id=org_id, project_id=project["id"],
                         title=title, item_type="milestone", starts_at=moment, ends_at=moment + dt.timedelta(hours=8),
                         color=None, sort_order=order, **pstamp())
            for kind in ["treatment", "budget"][:0 if r.random() < 0.4 else r.randint(1, 2)]:
                document = self.add("documents", id=self.uid(), organization_id=org_id, project_id=project["id"],
                                    client_id=project["client_id"], title=f"{project['name']} - {kind.title()}",
                                    document_type=kind, storage_path=f"{slug}/{project['id']}/{kind}.pdf",
                                    mime_type="application/pdf", size_bytes=r.randrange(10**5, 10**7),
                                    current_version=r.randint(1, 3), uploaded_by=r.choice(members), **pstamp())
                for version in range(1, document["current_version"] + 1):
                    self.add("document_versions", id=self.uid(), organization_id=org_id, document_id=document["id"],
                             version_number=version, storage_path=f"{document['storage_path']}.v{version}",
                             size_bytes=document["size_bytes"], change_note=None, uploaded_by=document["uploaded_by"],
                             **pstamp())
                self.add("storage.objects", id=self.uid(), bucket_id="documents", name=document["storage_path"],
                         owner=document["uploaded_by"], metadata={"mimetype": "application/pdf", "size": document["size_bytes"]},
                         version=None, created_at=document["created_at"], updated_at=document["updated_at"],
                         last_accessed_at=document["updated_at"])
            for _ in range(0 if r.random() < 0.5 else r.randint(1, 3)):
                self.add("purchase_orders", id=self.uid(), organization_id=org_id, project_id=project["id"],
                         po_number=f"PO-{len(self.rows.get('purchase_orders', [])) + 1:05d}",
                         supplier=r.choice(["Procam", "Pixipixel", "VMI", "Panavision", "Hireworks"]), description=None,
                         amount=_money(r.randrange(200, 9000)), currency=currency,
                         status=r.choice(["draft", "approved", "paid"]), issued_on=start - dt.timedelta(days=5),
                         approved_by=r.choice(users), **pstamp())
            for part in range(0 if not project["quote_id"] or r.random() < 0.5 else r.randint(1, 2)):
                self.add("contracts", id=self.uid(), organization_id=org_id, client_id=project["client_id"],
                         project_id=project["id"], quote_id=project["quote_id"], title=f"{project['name']} {'amendment' if part else 'agreement'}",
                         contract_type="production", status=r.choice(["signed", "sent"]), value=project["budget"],
                         currency=currency, start_date=start, end_date=end + dt.timedelta(days=30),
                         signed_at=self.later(created), document_url=None, **pstamp())
            for loc in self.pick(locations, 0 if r.random() < 0.7 else r.randint(1, 2)):
                self.add("location_permits", id=self.uid(), organization_id=org_id, location_id=loc["id"],
                         project_id=project["id"], permit_number=f"FP-{r.randrange(10**5)}", authority="City Film Office",
                         status=r.choice(["requested", "granted"]), valid_from=start, valid_to=end,
                         cost=_money(r.randrange(0, 600)), **pstamp())
        # Invoices, expenses and bookings pointing at projects that were deleted (no FK stopped it).
        for _ in range(r.randint(2, 3)):
            issue = self.when(org_created).date()
            client = r.choice(clients)
            self._invoice(slug, r.choice(deleted_projects), None, client["id"], issue, client["payment_terms"],
                          currency, user(), self.when(org_created))
        for _ in range(r.randint(0, 2)):
            self._expense(r.choice(deleted_projects), currency, user(), self.when(org_created).date(),
                          self.when(org_created))
        # Crew bookings written by the old code path store a crew_contacts id, not a crew id.
        for person in self.pick(legacy_crew, r.randint(1, 2)):
            project = r.choice(projects)
            self.add("crew_bookings", id=self.uid(), crew_id=person["id"], project_id=project["id"], role=person["role"],
                     start_date=project["start_date"], end_date=project["start_date"], days=Decimal(1),
                     day_rate=Decimal(person["day_rate"]), total_cost=Decimal(person["day_rate"]),
                     status="completed", notes="booked from the crew_contacts list", booked_by=user(),
                     created_at=project["created_at"], updated_at=project["updated_at"])
        for item in [k for k in self.pick(kit, len(kit) // 4) for _ in range(r.randint(1, 2))]:
            performed = self.when(org_created).date()
            self.add("kit_maintenance", id=self.uid(), organization_id=org_id, kit_item_id=item["id"],
                     maintenance_type=r.choice(["service", "repair", "PAT test", "calibration"]), description=None,
                     performed_by=r.choice(["in-house", "manufacturer"]), performed_at=performed,
                     next_due_date=performed + dt.timedelta(days=r.choice([90, 180, 365])),
                     cost=_money(r.randrange(0, 800)), status=r.choice(["completed", "scheduled"]), **stamp())

    def _task_board(self, org_id, project, board_name, members, created, pstamp):
        r = self.rng
        start = project["start_date"]
        board = self.add("task_boards", id=self.uid(), organization_id=org_id, project_id=project["id"],
                         name=f"{project['name']} {board_name}", description=None, columns=["todo", "doing", "done"],
                         is_archived=project["end_date"] < AUDIT_DATE, created_by=r.choice(members), **pstamp())
        for pos in range(r.randint(2, 5)):
            card = self.add("task_cards", id=self.uid(), organization_id=org_id, board_id=board["id"],
                            project_id=project["id"], column_key=r.choice(["todo", "doing", "done"]),
                            title=r.choice(["Storyboard", "Shot list", "Risk assessment", "Cast release",
                                            "Grade notes", "Subtitles"]), description=None, position=pos,
                            due_date=start + dt.timedelta(days=pos), labels=[], created_by=r.choice(members),
                            **pstamp())
            for assignee in self.pick(members, r.randint(0, 2)):
                self.add("task_card_assignees", organization_id=org_id, card_id=card["id"], user_id=assignee,
                         assigned_at=self.later(created, 30))
            for _ in range(r.randint(0, 2)):
                self.add("task_comments", id=self.uid(), organization_id=org_id, card_id=card["id"],
                         user_id=r.choice(members), body=r.choice(["Done", "Waiting on client", "Updated", "+1"]),
                         **pstamp())

    def _kit(self, org_id, slug, user, org_created):
        r = self.rng
        stamp = lambda: self.stamps(org_created)  # noqa: E731
        items = []
        count = {"northlight": 70, "blue-fin-films": 45, "acme-events": 30}[slug]
        for k in range(count):
            cat = r.choice(list(KIT_MODELS))
            make, model = r.choice(KIT_MODELS[cat])
            value = _money(r.randrange(300, 60000))
            items.append(self.add(
                "kit_items", id=self.uid(), organization_id=org_id, category_id=self.kit_category_ids[cat],
                name=f"{make} {model}", manufacturer=make, model=model, serial_number=f"SN{r.randrange(10**8):08d}",
                barcode=f"{slug[:2].upper()}{k:05d}", quantity=r.choice([1, 1, 1, 2, 4]),
                day_rate=_money(float(value) * r.uniform(0.01, 0.03)), replacement_value=value,
                condition=r.choice(["new", "good", "good", "worn"]), location=r.choice(["Store A", "Store B", "Van 1"]),
                is_active=r.random() < 0.95, notes=None,
                purchased_at=self.when(START_TIME - dt.timedelta(days=900)).date(), **stamp()))
            for photo in range(0 if r.random() < 0.7 else r.randint(1, 3)):
                self.add("kit_item_photos", id=self.uid(), organization_id=org_id, kit_item_id=items[-1]["id"],
                         storage_path=f"kit-photos/{slug}/{items[-1]['id']}-{photo}.jpg", caption=None,
                         sort_order=photo, **stamp())
        for k in range({"northlight": 25, "blue-fin-films": 15, "acme-events": 10}[slug]):
            price = _money(r.randrange(500, 15000))
            years = r.choice([3, 4, 5])
            self.add("equipment", id=self.uid(), organization_id=org_id, asset_tag=f"AST-{slug[:2].upper()}-{k:04d}",
                     name=r.choice(["MacBook Pro", "Edit Suite", "Van", "NAS Storage", "Office Printer", "Grading Monitor"]),
                     category=r.choice(["IT", "Vehicles", "Post", "Office"]),
                     purchase_date=self.when(START_TIME - dt.timedelta(days=900)).date(), purchase_price=price,
                     depreciation_years=years, current_value=_money(float(price) * r.uniform(0.2, 0.9)),
                     warranty_expires=None, status=r.choice(["in_service", "in_service", "repair", "retired"]),
                     assigned_to=user() if r.random() < 0.5 else None, insured=r.random() < 0.7, **stamp())
        return items

    def _invoice(self, slug, project_id, quote_id, client_id, issue, terms, currency, creator, created):
        r = self.rng
        number = f"INV-{slug[:2].upper()}-{len(self.rows.get('invoices', [])) + 1001}"
        subtotal = _money(r.randrange(800, 60000))
        tax = (subtotal * Decimal("0.20")).quantize(Decimal("0.01"))
        total = subtotal + tax
        status = r.choice(["draft", "sent", "paid", "paid", "overdue"])
        paid = total if status == "paid" else Decimal("0.00")
        self.add("invoices", id=self.uid(), invoice_number=number, quote_id=quote_id, client_id=client_id,
                 project_id=project_id, issue_date=issue, due_date=issue + dt.timedelta(days=terms), status=status,
                 currency=currency, subtotal=subtotal, tax_rate=Decimal("20.00"), tax_amount=tax, total=total,
                 amount_paid=paid,
                 paid_at=dt.datetime.combine(issue + dt.timedelta(days=terms // 2), dt.time(10), dt.UTC) if status == "paid" else None,
                 line_items=[{"description": "Production services", "quantity": 1, "rate": float(subtotal)}],
                 notes=None, created_by=creator, created_at=created, updated_at=self.later(created))

    def _expense(self, project_id, currency, submitter, day, created):
        r = self.rng
        self.add("expenses", id=self.uid(), project_id=project_id,
                 category=r.choice(["travel", "catering", "kit_hire", "locations", "misc"]),
                 description=r.choice(["Taxi to location", "Crew lunch", "Extra battery hire", "Parking", "Fuel"]),
                 vendor=r.choice(["Uber", "Pret", "Procam", "NCP", "Shell"]), amount=_money(r.uniform(5, 1500)),
                 currency=currency, expense_date=day, receipt_url=None, reimbursable=r.random() < 0.4,
                 status=r.choice(["submitted", "approved", "paid"]), submitted_by=submitter,
                 approved_by=None, created_at=created, updated_at=self.later(created))

    def _crm_detail(self, org_id, clients, contacts_by_client, opportunities, quotes, users, user, org_created):
        r = self.rng
        stamp = lambda: self.stamps(org_created)  # noqa: E731
        all_contacts = [c for cs in contacts_by_client.values() for c in cs]
        messages = []
        threads = [opp for opp in self.pick(opportunities, len(opportunities) // 2)
                   for _ in range(1 if r.random() < 0.75 else 2)]
        for opp in threads:
            contact = next(iter(c for c in all_contacts if c["client_id"] == opp["client_id"]), None)
            thread = self.add("email_threads", id=self.uid(), organization_id=org_id, subject=f"Re: {opp['title']}",
                              client_id=opp["client_id"], opportunity_id=opp["id"],
                              participants=[contact["email"]] if contact else [], message_count=0,
                              last_message_at=None, is_archived=r.random() < 0.2,
                              external_thread_ref=f"thr_{r.randrange(16**12):012x}", **stamp())
            moment = thread["created_at"]
            for k in range(r.randint(1, 5)):
                moment = self.later(moment, 5)
                inbound = k % 2 == 1
                messages.append(self.add(
                    "email_messages", id=self.uid(), organization_id=org_id, thread_id=thread["id"],
                    contact_id=contact["id"] if contact else None, direction="inbound" if inbound else "outbound",
                    from_address=(contact["email"] if contact and inbound else "team@productionos.example.com"),
                    to_addresses=["team@productionos.example.com"] if inbound else ([contact["email"]] if contact else ["unknown@example.com"]),
                    cc_addresses=[], subject=thread["subject"], body_text="Please see attached.", body_html=None,
                    is_read=True, external_message_ref=f"msg_{r.randrange(16**12):012x}", sent_at=moment,
                    created_at=moment, updated_at=moment))
                thread["message_count"] += 1
                thread["last_message_at"] = moment
        for message in self.pick(messages, len(messages) // 2):
            for event in self.pick(["delivered", "opened", "clicked"], r.randint(1, 3)):
                at = self.later(message["created_at"], 3)
                self.add("email_tracking_events", id=self.uid(), organization_id=org_id, message_id=message["id"],
                         event_type=event, link_url="https://productionos.example.com/q" if event == "clicked" else None,
                         ip_address=f"81.2.{r.randrange(256)}.{r.randrange(256)}", user_agent="Mozilla/5.0",
                         occurred_at=at, created_at=at, updated_at=at)
        sent_quotes = self.pick([q for q in quotes if q["status"] != "draft"], len(quotes) // 3)
        for quote in sent_quotes + self.pick(sent_quotes, len(sent_quotes) // 4):  # some were sent twice
            sent = quote["sent_at"] or quote["created_at"]
            self.add("emails", id=self.uid(), organization_id=org_id, quote_id=quote["id"],
                     recipient=quote["client"].get("email") or "client@example.com", subject=f"Quote {quote['quote_number']}",
                     body="Please find our quote attached.", template_key="quote_v1", status=r.choice(["sent", "opened"]),
                     opened_at=None, sent_at=sent, created_at=sent, updated_at=sent)
        sequences = []
        for name in ["New lead nurture", "Post-event follow-up"]:
            sequences.append(self.add("email_sequences", id=self.uid(), organization_id=org_id, name=name,
                                      description=None, steps=[{"day": 0, "template": "intro"}, {"day": 3, "template": "case_study"}],
                                      is_active=True, created_by=user(), **stamp()))
        for seq in sequences:
            for contact in self.pick(all_contacts, r.randint(3, 10)):
                self.add("email_sequence_enrollments", id=self.uid(), organization_id=org_id, sequence_id=seq["id"],
                         contact_id=contact["id"], current_step=r.randint(0, 2),
                         status=r.choice(["active", "completed", "unsubscribed"]), enrolled_at=self.when(org_created),
                         next_send_at=None, completed_at=None, **stamp())
        for _ in range(len(opportunities) * 2):
            opp = r.choice(opportunities)
            self.add("activities", id=self.uid(), organization_id=org_id,
                     activity_type=r.choice(["call", "email", "meeting", "note", "task"]),
                     subject=r.choice(["Intro call", "Sent deck", "Budget discussion", "Site visit", "Follow up"]),
                     description=None, client_id=opp["client_id"],
                     contact_id=opp["contacts"][0]["id"] if opp["contacts"] and opp["contacts"][0]["id"] in {c["id"] for c in all_contacts} else None,
                     opportunity_id=opp["id"], quote_id=opp["converted_to_quote_id"], user_id=user(),
                     due_at=None, completed_at=self.when(org_created), metadata={}, **stamp())
        for client in [c for c in self.pick(clients, len(clients) // 2) for _ in range(r.randint(1, 3))]:
            self.add("client_notes", id=self.uid(), organization_id=org_id, client_id=client["id"],
                     body=r.choice(["Prefers calls to email", "Pays late", "Procurement portal required", "Loves drone shots"]),
                     pinned=r.random() < 0.2, created_by=user(), **stamp())
        for tag in ["sport", "brand", "agency", "retainer", "vip"]:
            self.add("tags", id=self.uid(), organization_id=org_id, name=tag, color=None, entity_type="any",
                     usage_count=r.randint(0, 40), **stamp())
        for _ in range(r.randint(10, 20)):
            first, last = self.person()
            lead = self.add("leads", id=self.uid(), organization_id=org_id,
                            company_name=f"{r.choice(COMPANY_A)} {r.choice(COMPANY_B)}", contact_name=f"{first} {last}",
                            email=f"{first.lower()}@lead.example.com", phone=None,
                            source=r.choice(["research_agent", "website", "event"]),
                            status=r.choice(["new", "contacted", "qualified", "converted", "rejected"]),
                            score=r.randint(0, 100), sport=r.choice(SPORTS), region=r.choice(list(set(REGIONS.values()))),
                            country=r.choice(list(REGIONS)), notes=None, **stamp())
            for _ in range(r.randint(1, 3)):
                self.add("lead_scoring", id=self.uid(), organization_id=org_id, lead_id=lead["id"],
                         score=r.randint(0, 100), factors={"audience": r.randint(1, 5), "budget": r.randint(1, 5)},
                         model_version="v2", scored_at=self.when(org_created), **stamp())

    def _ai_detail(self, org_id, slug, quotes, clients, users, user, org_created):
        r = self.rng
        stamp = lambda: self.stamps(org_created)  # noqa: E731
        for _ in range(r.randint(25, 40)):
            quote = r.choice(quotes) if r.random() < 0.5 else None
            self.add("agent_memory", id=self.uid(), organization_id=org_id,
                     memory_type=r.choice(["pricing", "client_preference", "research", "crew_note"]),
                     content={"text": r.choice(["Client prefers all-in day rates", "Drone permits take 10 days",
                                                "Rugby season starts in Feb", "Use local crew in APAC"])},
                     summary=None, country=r.choice(list(REGIONS)), region=r.choice(list(set(REGIONS.values()))),
                     sport=r.choice(SPORTS), organization=r.choice(["World Rugby", "FIFA", "ICC", None]),
                     related_quote_id=quote["id"] if quote else None,
                     related_client_id=r.choice(clients)["id"] if r.random() < 0.4 else None,
                     importance_score=Decimal(str(round(r.uniform(0.1, 1), 3))), access_count=r.randint(0, 40),
                     last_accessed_at=self.when(org_created), expires_at=None, **stamp())
        for _ in range(r.randint(15, 30)):
            quote = r.choice(quotes) if r.random() < 0.6 else None
            self.add("agent_learnings", id=self.uid(), organization_id=org_id,
                     agent_name=r.choice(["quote_assistant", "research_agent"]),
                     learning_type=r.choice(["pricing_outcome", "win_loss", "margin"]),
                     context={"section": r.choice(list(QUOTE_SECTIONS))}, outcome={"won": r.random() < 0.5},
                     quote_id=quote["id"] if quote else None, confidence=Decimal(str(round(r.uniform(0.2, 0.99), 3))),
                     applied_count=r.randint(0, 12), **stamp())
        tasks = []
        for _ in range(r.randint(20, 35)):
            quote = r.choice(quotes) if r.random() < 0.4 else None
            started = self.when(org_created)
            status = r.choice(["completed", "completed", "failed", "pending"])
            tasks.append(self.add(
                "agent_tasks", id=self.uid(), organization_id=org_id,
                agent_name=r.choice(["quote_assistant", "research_agent", "email_drafter"]),
                task_type=r.choice(["draft_quote", "research_event", "draft_email", "score_lead"]), status=status,
                queue_priority=r.randint(1, 10), input_data={"prompt": "..."},
                output_data={"ok": True} if status == "completed" else None,
                error="timeout" if status == "failed" else None, related_quote_id=quote["id"] if quote else None,
                started_at=started if status != "pending" else None,
                completed_at=self.later(started, 1) if status == "completed" else None, created_by=user(),
                created_at=started, updated_at=self.later(started, 1)))
        fragments = []
        for _ in range(r.randint(15, 25)):
            fragments.append(self.add(
                "knowledge_fragments", id=self.uid(), organization_id=org_id,
                fragment_type=r.choice(["fact", "insight", "contact_pattern", "pricing"]),
                title=r.choice(["Broadcast rights", "Venue access", "Crew rates", "Permit lead times"]),
                content=r.choice(["Stadium requires 14 days notice for drone filming.",
                                  "Typical camera op day rate in Sydney is 900 AUD.",
                                  f"{slug} wins more when quotes include post."]),
                countries=self.pick(list(REGIONS), 2), regions=self.pick(sorted(set(REGIONS.values())), 1),
                tags=self.pick(["rates", "rights", "permits", "venues"], 2), source="research_agent",
                confidence=Decimal(str(round(r.uniform(0.3, 0.95), 3))), **stamp()))
        for _ in range(len(fragments)):
            a, b = self.pick(fragments, 2)
            self.add("knowledge_relationships", id=self.uid(), organization_id=org_id, source_fragment_id=a["id"],
                     target_fragment_id=b["id"], relationship_type=r.choice(["supports", "contradicts", "related"]),
                     strength=Decimal(str(round(r.uniform(0.1, 1), 3))))
        for task in [t for t in self.pick(tasks, len(tasks) // 2) for _ in range(r.randint(1, 2))]:
            self.add("research_logs", id=self.uid(), organization_id=org_id, agent_task_id=task["id"],
                     query=r.choice(["rugby sevens 2025 venues", "cricket rights holders APAC", "esports events London"]),
                     research_type=r.choice(["events", "rights", "contacts"]), results=[{"title": "result", "score": 0.8}],
                     sources=["https://example.com"], duration_ms=r.randint(800, 30000), created_by=user(), **stamp())

    def _platform_detail(self, org_id, slug, members, admins, user, org_created):
        r = self.rng
        stamp = lambda: self.stamps(org_created)  # noqa: E731
        member_ids = [m[0] for m in members]
        for m_user in member_ids:
            for _ in range(r.randint(2, 8)):
                self.add("notifications", id=self.uid(), organization_id=org_id, user_id=m_user,
                         type=r.choice(["quote_accepted", "task_assigned", "mention", "invoice_paid"]),
                         title=r.choice(["Quote accepted", "New task", "You were mentioned", "Invoice paid"]),
                         body=None, link=None, read_at=self.when(org_created) if r.random() < 0.6 else None, **stamp())
            for entity in self.pick(["quotes", "opportunities", "crew"], r.randint(0, 2)):
                self.add("saved_views", id=self.uid(), organization_id=org_id, user_id=m_user,
                         entity_type=entity, name=f"My {entity}",
                         filters={"status": "open"}, is_default=True, **stamp())
        for m_user in self.pick(member_ids, max(1, len(member_ids) // 2)):
            email = next(u[0] for u in USERS if self.user_ids[u[0]] == m_user)
            self.add("gmail_tokens", id=self.uid(), organization_id=org_id, user_id=m_user, email_address=email,
                     access_token=f"ya29.{uuid.UUID(int=r.getrandbits(128)).hex}", refresh_token=f"1//{uuid.UUID(int=r.getrandbits(128)).hex}",
                     token_expiry=self.later(AUDIT_TIME - dt.timedelta(hours=1), 1), scopes=["gmail.readonly", "gmail.send"],
                     history_cursor=str(r.randrange(10**7)), watch_expiration=None, **stamp())
            self.add("google_tokens", id=self.uid(), user_id=m_user,
                     access_token=f"ya29.{uuid.UUID(int=r.getrandbits(128)).hex}", refresh_token=f"1//{uuid.UUID(int=r.getrandbits(128)).hex}",
                     token_type="Bearer", scope="https://www.googleapis.com/auth/calendar",
                     expiry_date=self.later(AUDIT_TIME - dt.timedelta(hours=1), 1),
                     calendar_sync_token=None, **stamp())
            for _ in range(r.randint(2, 6)):
                starts = self.when(org_created)
                self.add("google_calendar_events", id=self.uid(), organization_id=org_id, user_id=m_user,
                         project_id=None, google_event_ref=uuid.UUID(int=r.getrandbits(128)).hex[:26], calendar_ref="primary",
                         summary=r.choice(["Recce", "Client call", "Shoot", "Edit review"]), description=None, location=None,
                         starts_at=starts, ends_at=starts + dt.timedelta(hours=r.randint(1, 10)), all_day=False,
                         attendees=[], status="confirmed", synced_at=AUDIT_TIME, **stamp())
        if slug == "blue-fin-films":
            for m_user in member_ids[:2]:
                email = next(u[0] for u in USERS if self.user_ids[u[0]] == m_user)
                self.add("microsoft_tokens", id=self.uid(), organization_id=org_id, user_id=m_user, account_email=email,
                         access_token=f"eyJ0{uuid.UUID(int=r.getrandbits(128)).hex}", refresh_token=None,
                         expires_at=self.later(AUDIT_TIME - dt.timedelta(hours=1), 1), scope="Mail.Read offline_access",
                         azure_directory="common", delta_link=None, **stamp())
        rules = []
        for name, trigger in [("Quote accepted -> create project", "quote_accepted"),
                              ("Invoice overdue reminder", "invoice_overdue"), ("New lead -> sequence", "lead_created")]:
            rules.append(self.add("workflow_rules", id=self.uid(), organization_id=org_id, name=name, description=None,
                                  trigger_type=trigger, trigger_table=trigger.split("_")[0] + "s",
                                  conditions=[], actions=[{"type": "notify"}], is_active=True, run_count=0,
                                  last_run_at=None, created_by=r.choice(admins), **stamp()))
        for rule in rules:
            for _ in range(r.randint(3, 10)):
                started = self.when(org_created)
                status = r.choice(["succeeded", "succeeded", "failed"])
                execution = self.add("workflow_executions", id=self.uid(), organization_id=org_id, rule_id=rule["id"],
                                     status=status, trigger_record_ref=self.uid(), input={}, result={"ok": status == "succeeded"},
                                     error=None if status == "succeeded" else "action failed", started_at=started,
                                     finished_at=started + dt.timedelta(seconds=r.randint(1, 90)),
                                     created_at=started, updated_at=started)
                rule["run_count"] += 1
                for level in self.pick(["info", "info", "warn", "error"], r.randint(1, 3)):
                    self.add("automation_logs", organization_id=org_id, execution_id=execution["id"], level=level,
                             message=f"{rule['trigger_type']}: {level}", details={}, created_at=started, updated_at=started)
        for name in ["Live broadcast SOP", "Drone operations", "Data wrangling", "Client onboarding"]:
            self.add("sops", id=self.uid(), organization_id=org_id, title=name, category="operations",
                     content=f"# {name}\n\n1. ...", version=r.randint(1, 4), is_published=True, created_by=user(), **stamp())
        for k in range(r.randint(2, 4)):
            self.add("quote_templates", id=self.uid(), organization_id=org_id, name=f"Template {k + 1}", description=None,
                     template_data={"sections": self.pick(list(QUOTE_SECTIONS), 2)}, is_default=k == 0,
                     created_by=user(), **stamp())
        for quote in self.pick(self.rows["quotes"][-20:], 10):
            if quote["organization_id"] != org_id:
                continue
            for version in range(1, r.randint(2, 4)):
                self.add("quote_versions", id=self.uid(), organization_id=org_id, quote_id=quote["id"],
                         version_number=version, total_charge=quote["total_charge"], change_summary="Revised",
                         created_by=user(), **stamp())
        for title in ["Brand guidelines", "Crew handbook", "Insurance certificate"]:
            self.add("resources", id=self.uid(), organization_id=org_id, title=title, resource_type="link",
                     url="https://example.com/" + title.lower().replace(" ", "-"), description=None, tags=[],
                     created_by=user(), **stamp())
        for m_user in member_ids:
            for _ in range(r.randint(3, 12)):
                self.add("audit_logs", organization_id=org_id, user_id=m_user, action=r.choice(["UPDATE", "DELETE", "INSERT"]),
                         table_name=r.choice(["quotes", "clients", "opportunities"]), record_id=self.uid(),
                         old_data=None, new_data=None, ip_address=f"81.2.{r.randrange(256)}.{r.randrange(256)}",
                         user_agent="Mozilla/5.0", **stamp())
            for _ in range(r.randint(1, 4)):
                self.add("security_events", id=self.uid(), organization_id=org_id, user_id=m_user,
                         event_type=r.choice(["login", "password_change", "mfa_enabled", "failed_login"]),
                         severity=r.choice(["low", "low", "medium"]), ip_address=f"81.2.{r.randrange(256)}.{r.randrange(256)}",
                         user_agent="Mozilla/5.0", details={}, **stamp())
        for m_user in [m for m in self.pick(member_ids, 2) for _ in range(r.randint(1, 2))]:
            requested = self.when(org_created)
            self.add("data_export_requests", id=self.uid(), organization_id=org_id, user_id=m_user, status="completed",
                     format="json", requested_at=requested, completed_at=self.later(requested, 1),
                     download_url=None, expires_at=self.later(requested, 7), created_at=requested, updated_at=requested)
            self.add("gdpr_logs", id=self.uid(), organization_id=org_id, user_id=m_user, action="data_export",
                     legal_basis="access_request", details={}, created_at=requested, updated_at=requested)
        if slug == "acme-events":
            m_user = member_ids[-1]
            self.add("account_deletion_requests", id=self.uid(), organization_id=org_id, user_id=m_user,
                     reason="Leaving the company", status="pending", scheduled_for=AUDIT_TIME + dt.timedelta(days=30),
                     processed_at=None, **stamp())
        for provider in self.pick(["gmail", "microsoft", "xero", "slack", "stripe"], r.randint(1, 3)):
            self.add("integrations", id=self.uid(), organization_id=org_id, provider=provider, status="connected",
                     config={"syncEnabled": True}, connected_by=r.choice(admins), connected_at=self.when(org_created),
                     **stamp())
        for key_name in ["Zapier", "Reporting"][:r.randint(1, 2)]:
            self.add("api_keys", id=self.uid(), organization_id=org_id, name=key_name, key_prefix=f"pos_{slug[:4]}",
                     key_hash=uuid.UUID(int=r.getrandbits(128)).hex, scopes=["quotes:read"], last_used_at=None,
                     expires_at=None, revoked_at=None, created_by=r.choice(admins), **stamp())
        for event in ["quote.accepted", "invoice.paid"][:2 if slug == "northlight" else 1]:
            self.add("webhooks", id=self.uid(), organization_id=org_id, url=f"https://hooks.example.com/{slug}/{event}",
                     events=[event], secret=uuid.UUID(int=r.getrandbits(128)).hex, is_active=True,
                     failure_count=r.randint(0, 3), last_triggered_at=None, **stamp())

    # -- legacy rows: written before organisations existed, never backfilled ---------------------------------------
    def _legacy_rows(self) -> None:
        r = self.rng
        old = dt.datetime(2023, 1, 15, tzinfo=dt.UTC)
        stamp = lambda: {"created_at": (c := self.when(old, START_TIME)), "updated_at": c}  # noqa: E731
        section_id = self.uid()
        self.add("rate_card_sections", id=section_id, organization_id=None, section_key="prod_production",
                 name="Production (template)", sort_order=0, is_visible=True, **stamp())
        cards = []
        for name, cost in [("Camera Operator", 400), ("Director", 600), ("Editor", 380), ("Runner", 150),
                           ("Sound Recordist", 350), ("Producer", 500), ("Gaffer", 380), ("Colourist", 600)][:r.randint(5, 8)]:
            cards.append(self.add("rate_cards", id=self.uid(), organization_id=None, section_id=section_id, name=name,
                                  section="prod_production", subsection="prod_crew", unit="day", cost=_money(cost),
                                  charge=_money(cost * 1.5), currency="GBP", pricing={}, is_active=True,
                                  notes="template", **stamp()))
        clients = []
        for name in ["Test Client Ltd", "Demo Corp", "ACME Test", "Sample Sports Co", "QA Agency"][:r.randint(3, 5)]:
            clients.append(self.add("clients", id=self.uid(), organization_id=None, company=name, industry=None,
                                    website=None, email="test@example.com", phone=None, address=None, region=None,
                                    country="GB", currency="GBP", payment_terms=30, tax_number=None, contacts=[],
                                    tags=["test"], status="active", notes="created before multi-tenancy",
                                    created_by=None, **stamp()))
        contacts = []
        for client in clients[:r.randint(2, len(clients))]:
            contacts.append(self.add("contacts", id=self.uid(), organization_id=None, client_id=client["id"],
                                     name="Test Contact", first_name="Test", last_name="Contact",
                                     email=f"contact{len(contacts)}@example.com", phone=None, mobile=None, whatsapp=None,
                                     job_title=None, company=client["company"], is_primary=True, linkedin_url=None,
                                     tags=[], notes=None, last_contacted_at=None, **stamp()))
        quotes = []
        for k in range(r.randint(4, 7)):
            client = r.choice(clients)
            items = []
            for card in self.pick(cards, 2):
                items.append({"id": self.uid(), "name": card["name"], "quantity": 1, "days": 2,
                              "cost": float(card["cost"]), "charge": float(card["charge"]),
                              "rateCardItemId": card["id"], "notes": ""})
            created = self.when(old, START_TIME)
            quotes.append(self.add(
                "quotes", id=self.uid(), organization_id=None, quote_number=f"Q-TEST-{k + 1:03d}",
                quote_date=created.date(), validity_days=30, status="draft", currency="GBP", region="Europe",
                prepared_by="Test User", client={"id": client["id"], "company": client["company"], "contact": "",
                                                 "email": client["email"], "phone": ""},
                project={"title": "Test project"},
                sections={"prod_production": {"name": "Production", "visible": True, "subsections": {"prod_crew": items}}},
                fees={"managementFee": 10}, proposal={}, total_cost=sum(Decimal(str(i["cost"])) * 2 for i in items),
                total_charge=sum(Decimal(str(i["charge"])) * 2 for i in items), margin_percent=None, notes="test data",
                sent_at=None, accepted_at=None, created_by=None, created_at=created, updated_at=created))
        for k in range(r.randint(2, 4)):
            client = r.choice(clients)
            self.add("opportunities", id=self.uid(), organization_id=None, title=f"Test opportunity {k + 1}",
                     client_id=client["id"], client={"id": client["id"], "company": client["company"]},
                     contacts=[{"id": c["id"], "name": c["name"], "email": c["email"], "isPrimary": True}
                               for c in contacts if c["client_id"] == client["id"]],
                     stage="lead", value=_money(1000), currency="GBP", probability=10, expected_close_date=None,
                     source="test", region=None, country=None, lost_reason=None, tags=["test"], notes=None,
                     converted_to_quote_id=None, converted_at=None, owner_id=None, **stamp())
        projects = []
        for k in range(r.randint(1, 3)):
            start = self.when(old, START_TIME).date()
            projects.append(self.add(
                "projects", id=self.uid(), name=f"Test project {k + 1}", client_id=r.choice(clients)["id"],
                opportunity_id=None, quote_id=r.choice(quotes)["id"], organization_id=None, status="planning",
                project_type="test", description="created before multi-tenancy", venue=None, start_date=start,
                end_date=start + dt.timedelta(days=2), budget=None, currency="GBP", color=None,
                project_manager_id=None, **stamp()))
        for _ in range(r.randint(2, 4)):
            first, last = self.person()
            self.add("crew", id=self.uid(), organization_id=None, department_id=None, first_name=first, last_name=last,
                     email=f"{first.lower()}.{last.lower()}@crewmail.example.com", phone=None, role="Camera Operator",
                     day_rate=_money(350), half_day_rate=None, overtime_rate=None, currency="GBP", location=None,
                     country="GB", skills=[], equipment_owned=[], rating=None, is_freelancer=True, status="active",
                     avatar_url=None, notes="imported from spreadsheet", **stamp())
        for k in range(r.randint(3, 6)):
            first, last = self.person()
            self.add("crew_contacts", id=self.uid(), organization_id=None, first_name=first, last_name=last,
                     email=f"{first.lower()}{k}@oldcrew.example.com", phone=None, role="Runner", department="Production",
                     day_rate=150, currency="GBP", location=None, country="GB", skills=[], rating=None,
                     equipment_owned=[], is_freelancer=True, status="active", avatar_url=None,
                     notes="imported from spreadsheet", **stamp())
        for _ in range(r.randint(4, 8)):
            self.add("agent_memory", id=self.uid(), organization_id=None, memory_type="research",
                     content={"text": "Seeded research memory"}, summary=None, country="GB", region="Europe",
                     sport=r.choice(SPORTS), organization=None, related_quote_id=None, related_client_id=None,
                     importance_score=Decimal("0.500"), access_count=0, last_accessed_at=None, expires_at=None,
                     **stamp())
        for _ in range(r.randint(5, 9)):
            self.add("knowledge_fragments", id=self.uid(), organization_id=None, fragment_type="fact",
                     title="Seed knowledge", content=r.choice(["Premier League season runs August to May.",
                                                              "Six Nations is in February and March.",
                                                              "Most UK stadiums require public liability of 10m GBP."]),
                     countries=["GB"], regions=["Europe"], tags=["seed"], source="seed", confidence=Decimal("0.800"),
                     **stamp())
        for _ in range(r.randint(1, 3)):
            self.add("email_threads", id=self.uid(), organization_id=None, subject="Test thread", client_id=None,
                     opportunity_id=None, participants=[], message_count=0, last_message_at=None, is_archived=True,
                     external_thread_ref=None, **stamp())
        for _ in range(r.randint(6, 12)):
            self.add("audit_logs", organization_id=None, user_id=None, action="UPDATE", table_name="quotes",
                     record_id=r.choice(quotes)["id"], old_data=None, new_data=None, ip_address=None, user_agent=None,
                     **stamp())
        for _ in range(r.randint(3, 6)):
            self.add("security_events", id=self.uid(), organization_id=None, user_id=None, event_type="failed_login",
                     severity="medium", ip_address=f"185.220.{r.randrange(256)}.{r.randrange(256)}", user_agent="curl/8.0",
                     details={"email": "admin@productionos.example.com"}, **stamp())
        self.add("settings", id=self.uid(), organization_id=None, company={"name": "ProductionOS"},
                 quote_defaults={"validityDays": 30}, users=[{"id": "u1", "name": "Admin", "email": "admin@example.com", "role": "admin"}],
                 ai_settings={}, ops_preferences={}, dashboard_preferences={}, **stamp())
        # The freelancer who signed up but never joined an organisation has a profile without one.
        for email, full_name, slug, _, title in USERS:
            if slug is None:
                joined = self.when(dt.datetime(2024, 6, 1, tzinfo=dt.UTC))
                self.add("user_profiles", id=self.uid(), auth_user_id=self.user_ids[email], organization_id=None,
                         email=email, full_name=full_name, avatar_url=None, job_title=title, phone=None, role="member",
                         status="active", preferences={}, last_active_at=joined, created_at=joined, updated_at=joined)

    def _global_research(self) -> None:
        r = self.rng
        bodies = []
        for name, abbr, sport, country in [("World Rugby", "WR", "Rugby", "IE"), ("England and Wales Cricket Board", "ECB", "Cricket", "GB"),
                                           ("Football Australia", "FA", "Football", "AU"), ("USA Cycling", "USAC", "Cycling", "US"),
                                           ("Netball Australia", "NA", "Netball", "AU"), ("The R&A", "R&A", "Golf", "GB"),
                                           ("World Athletics", "WA", "Athletics", "FR"), ("Formula E", "FE", "Motorsport", "GB")]:
            bodies.append(self.add("sports_organizations", id=self.uid(), name=name, abbreviation=abbr, sport=sport,
                                   level=r.choice(["international", "national"]), country=country, region=REGIONS[country],
                                   website=None, **self.stamps()))
        venues = []
        for name, city, country, capacity in [("Twickenham", "London", "GB", 82000), ("Lord's", "London", "GB", 31000),
                                              ("Accor Stadium", "Sydney", "AU", 83500), ("MCG", "Melbourne", "AU", 100000),
                                              ("Madison Square Garden", "New York", "US", 19500), ("Aviva Stadium", "Dublin", "IE", 51700),
                                              ("Stade de France", "Paris", "FR", 80000), ("Eden Park", "Auckland", "NZ", 50000)]:
            venues.append(self.add("sports_venues", id=self.uid(), name=name, venue_type="stadium", city=city,
                                   country=country, region=REGIONS[country], capacity=capacity,
                                   latitude=Decimal(str(round(r.uniform(-40, 55), 6))), longitude=Decimal(str(round(r.uniform(-75, 175), 6))),
                                   broadcast_facilities={"ob_bays": r.randint(2, 12), "fibre": True}, **self.stamps()))
        for k in range(30):
            body = r.choice(bodies)
            venue = r.choice(venues)
            start = (AUDIT_TIME + dt.timedelta(days=r.randint(-200, 400))).date()
            event = self.add("sports_events", id=self.uid(), name=f"{body['sport']} {r.choice(['Cup', 'Series', 'Championship', 'Classic'])} {2024 + k % 3}",
                             sport=body["sport"], sports_organization_id=body["id"], venue_id=venue["id"],
                             tier=r.choice(["tier1", "tier2"]), country=venue["country"], region=venue["region"],
                             start_date=start, end_date=start + dt.timedelta(days=r.randint(0, 40)),
                             expected_audience=r.randrange(10**4, 10**8), **self.stamps())
            for _ in range(r.randint(0, 3)):
                self.add("media_rights", id=self.uid(), event_id=event["id"], sports_organization_id=body["id"],
                         rights_holder=r.choice(["Sky Sports", "BT Sport", "Fox Sports", "ESPN", "Stan Sport", "DAZN"]),
                         territory=r.choice(["UK", "ANZ", "North America", "Global"]), platform=r.choice(["tv", "streaming"]),
                         exclusivity=r.random() < 0.5, start_date=event["start_date"], end_date=event["end_date"],
                         fee_estimate=_money(r.randrange(10**5, 10**8)), currency="USD", notes=None, **self.stamps())

    def _untenanted_extras(self) -> None:
        # A token whose user was deleted from auth.users: nothing cascaded, user_id is text without a foreign key.
        self.add("google_tokens", id=self.uid(), user_id=self.deleted_user_id, access_token="ya29.revoked",
                 refresh_token=None, token_type="Bearer", scope="https://www.googleapis.com/auth/calendar",
                 expiry_date=START_TIME + dt.timedelta(hours=1), calendar_sync_token=None,
                 created_at=START_TIME, updated_at=START_TIME)

    def _security_surface(self) -> None:
        """Rows of the tables 82_security_surface.sql adds; drawn last, so every earlier row stays as it was."""
        r = self.rng
        for k in range(12):
            created = self.when(AUDIT_TIME - dt.timedelta(days=90))
            event_type = r.choice(["invoice.paid", "invoice.payment_failed", "customer.subscription.updated"])
            ref = f"evt_{r.getrandbits(64):016x}"
            self.add("stripe_webhook_events", id=self.uid(), stripe_event_ref=ref, event_type=event_type,
                     payload={"id": ref, "type": event_type, "data": {"object": {"id": f"in_{k:06d}"}}},
                     processed_at=None if k % 5 == 0 else self.later(created, 1), created_at=created,
                     updated_at=created)
        # Loaded through the partitioned parent, which routes them to its 2024 partition.
        orgs = sorted(self.org_ids.values())
        for _ in range(40):
            at = self.when(dt.datetime(2024, 1, 1, tzinfo=dt.UTC))
            self.add("api_requests", id=self.uid(), organization_id=r.choice(orgs),
                     path=r.choice(["/rest/v1/projects", "/rest/v1/quotes", "/rest/v1/rpc/next_quote_number"]),
                     status_code=r.choice([200, 200, 200, 201, 401, 404]), created_at=at, updated_at=at)

    def _tenancy_surface(self) -> None:
        """Rows of the tables 84_tenancy_surface.sql adds; drawn last, so every earlier row stays as it was."""
        r = self.rng
        clients = [c for c in self.rows["clients"] if c.get("organization_id")]
        for n, client in enumerate(self.pick(clients, 6), start=1):
            self.add("client_portals", id=self.uid(), organization_id=client["organization_id"], client_id=client["id"],
                     slug=f"{client['company'].lower().replace(' ', '-')}-{n}", title=f"{client['company']} portal",
                     **self.stamps())
        orgs = sorted(self.org_ids.values())
        for number in range(1001, 1021):
            organization = r.choice(orgs)
            ticket = self.add("support_tickets", id=number, organization_id=organization,
                              subject=r.choice(["Invoice PDF is blank", "Cannot add crew", "Export to CSV",
                                                "Calendar sync stopped"]),
                              status=r.choice(["open", "pending", "closed"]), **self.stamps())
            for _ in range(r.randint(1, 3)):
                self.add("ticket_messages", id=self.uid(), organization_id=organization, ticket_id=ticket["id"],
                         body=r.choice(["Any update?", "Attached a screenshot.", "Fixed on our side, thanks."]),
                         **self.stamps(ticket["created_at"]))

    # -- planted counts -----------------------------------------------------------------------------------------
    def json_items(self, quotes=None):
        """Every line item of quotes.sections, as (quote row, item)."""
        for quote in quotes if quotes is not None else self.rows["quotes"]:
            for section in quote["sections"].values():
                for items in section["subsections"].values():
                    for item in items:
                        yield quote, item

    def counts(self, scale: int = 0) -> dict:
        """The planted numbers, counted from the plan (see demo.planted_counts)."""
        ids = {table: {row["id"] for row in rows if "id" in row} for table, rows in self.rows.items()}
        user_ids = ids["auth.users"]

        def orphans(table, column, parent):
            return sum(1 for row in self.rows[table]
                       if row[column] is not None and row[column] not in parent)

        orphan_rows = {
            "public.invoices.project_id": orphans("invoices", "project_id", ids["projects"]),
            "public.crew_bookings.crew_id": orphans("crew_bookings", "crew_id", ids["crew"]),
            "public.expenses.project_id": orphans("expenses", "project_id", ids["projects"]),
            "public.google_tokens.user_id": orphans("google_tokens", "user_id", user_ids),
        }
        tenant_null_rows = {}
        for table, rows in self.rows.items():
            if table.startswith(("auth.", "storage.")) or not rows or "organization_id" not in rows[0]:
                continue
            nulls = sum(1 for row in rows if row["organization_id"] is None)
            if nulls:
                tenant_null_rows[f"public.{table}"] = nulls

        rate_card_refs = [item["rateCardItemId"] for _, item in self.json_items() if item["rateCardItemId"]]
        dangling_rc = [ref for ref in rate_card_refs if ref not in ids["rate_cards"]]
        rc_rows = {quote["id"] for quote, item in self.json_items()
                   if item["rateCardItemId"] and item["rateCardItemId"] not in ids["rate_cards"]}
        client_refs = [q["client"]["id"] for q in self.rows["quotes"] if q["client"].get("id")]
        dangling_clients = [ref for ref in client_refs if ref not in ids["clients"]]
        contact_refs = [c["id"] for o in self.rows["opportunities"] for c in o["contacts"]]
        dangling_contacts = [ref for ref in contact_refs if ref not in ids["contacts"]]
        contact_rows = {o["id"] for o in self.rows["opportunities"] for c in o["contacts"] if c["id"] not in ids["contacts"]}
        opp_client_refs = [o["client"]["id"] for o in self.rows["opportunities"] if o["client"].get("id")]
        dangling_opp_clients = [ref for ref in opp_client_refs if ref not in ids["clients"]]
        client_rows = {q["id"] for q in self.rows["quotes"] if q["client"].get("id") and q["client"]["id"] not in ids["clients"]}

        base_rows = {table: len(rows) for table, rows in self.rows.items()}
        extra = {table: max(0, scale - base_rows[table]) for table in BULK_TABLES} if scale else dict.fromkeys(BULK_TABLES, 0)
        row_counts = {(t if "." in t else f"public.{t}"): n + extra.get(t, 0) for t, n in sorted(base_rows.items())}
        bulk_quotes = extra["quotes"]
        json_refs = {
            "public.quotes.sections:rateCardItemId": len(rate_card_refs) + 2 * bulk_quotes,
            "public.quotes.client:id": len(client_refs) + bulk_quotes,
            "public.opportunities.contacts:id": len(contact_refs),
            "public.opportunities.client:id": len(opp_client_refs),
        }
        json_orphans = {
            "public.quotes.sections:rateCardItemId": len(dangling_rc),
            "public.quotes.client:id": len(dangling_clients),
            "public.opportunities.contacts:id": len(dangling_contacts),
            "public.opportunities.client:id": len(dangling_opp_clients),
        }
        json_orphan_rows = {
            "public.quotes.sections:rateCardItemId": len(rc_rows),
            "public.quotes.client:id": len(client_rows),
            "public.opportunities.contacts:id": len(contact_rows),
            "public.opportunities.client:id": 0,
        }
        json_orphan_values = {
            "public.quotes.sections:rateCardItemId": len(set(dangling_rc)),
            "public.quotes.client:id": len(set(dangling_clients)),
            "public.opportunities.contacts:id": len(set(dangling_contacts)),
            "public.opportunities.client:id": len(set(dangling_opp_clients)),
        }

        # Row level security as a signed-in member (or non-member) sees it.
        member_org = {}
        for email, _, slug, _, _ in USERS:
            member_org[email] = self.org_ids[slug] if slug else None
        rls_leak = {}
        for table, rows in sorted(self.rows.items()):
            if table.startswith(("auth.", "storage.")) or not rows or "organization_id" not in rows[0]:
                continue
            mode = RLS_VISIBILITY.get(table, "org")
            # Bulk rows all belong to an organisation, so they change these numbers only for tables seen whole.
            assert not (table in BULK_TABLES and mode == "all")
            per_user = {}
            for email, org in member_org.items():
                foreign = sum(1 for row in rows if row["organization_id"] is not None and row["organization_id"] != org)
                nulls = sum(1 for row in rows if row["organization_id"] is None)
                per_user[email] = {
                    "foreign": foreign if mode == "all" else 0,
                    "null_tenant": nulls if mode in ("all", "org_or_null") else 0,
                }
            rls_leak[f"public.{table}"] = per_user
        untenanted_visible = {}
        for table, mode in UNTENANTED_VISIBILITY.items():
            total = row_counts[f"public.{table}"]
            per_user = {}
            for email, *_ in USERS:
                if mode == "all":
                    per_user[email] = total
                else:
                    per_user[email] = sum(1 for row in self.rows[table] if row["user_id"] == self.user_ids[email])
            untenanted_visible[f"public.{table}"] = per_user

        converted = [o["converted_to_quote_id"] for o in self.rows["opportunities"] if o["converted_to_quote_id"]]
        return {
            "seed": self.seed,
            "scale": scale,
            "orphan_rows": orphan_rows,
            "tenant_null_rows": dict(sorted(tenant_null_rows.items())),
            "json_orphans": json_orphans,
            "json_orphan_rows": json_orphan_rows,
            "json_orphan_values": json_orphan_values,
            "json_refs": json_refs,
            "json_null_refs": {"public.quotes.sections:rateCardItemId":
                               sum(1 for _, item in self.json_items() if item["rateCardItemId"] is None)},
            "rls_leak": rls_leak,
            "untenanted_visible": untenanted_visible,
            "converted_opportunities": len(converted),
            "row_counts": row_counts,
            "users": {email: {"organization": slug, "role": role} for email, _, slug, role, _ in USERS},
            "organizations": {slug: name for slug, name, *_ in ORGANIZATIONS},
        }


def build_plan(seed: int) -> Plan:
    return Plan(seed)


# -- loading ------------------------------------------------------------------------------------------------------------
def _column_types(cursor) -> dict[tuple[str, str], str]:
    cursor.execute("""
        SELECT n.nspname || '.' || c.relname, a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod)
        FROM pg_catalog.pg_attribute a
        JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
        JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname IN ('public', 'auth', 'storage') AND c.relkind IN ('r', 'p') AND a.attnum > 0
          AND NOT a.attisdropped
    """)
    return {(table, column): kind for table, column, kind in cursor.fetchall()}


def load_plan(dbapi_connection, plan: Plan) -> None:
    """COPY every planned row into a database that has the stub and the schema (psycopg 3 connection)."""
    from psycopg import sql

    with dbapi_connection.cursor() as cursor:
        types = _column_types(cursor)
        # The kit availability trigger fails on every confirmed booking (the column it updates does not exist):
        # bookings made before it was added are loaded with it disabled.
        cursor.execute("ALTER TABLE public.kit_bookings DISABLE TRIGGER kit_booking_availability_update")
        for table in plan.order:
            rows = plan.rows[table]
            qualified = table if "." in table else f"public.{table}"
            columns = list(rows[0])
            kinds = [types[(qualified, column)] for column in columns]
            json_columns = [kind in ("jsonb", "json") for kind in kinds]
            schema, name = qualified.split(".")
            statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
                sql.Identifier(schema, name), sql.SQL(", ").join(map(sql.Identifier, columns)))
            with cursor.copy(statement) as copy:
                for row in rows:
                    if len(row) != len(columns):
                        raise ValueError(f"{table}: row with columns {sorted(row)} differs from {sorted(columns)}")
                    copy.write_row([json.dumps(row[c]) if is_json and row[c] is not None else row[c]
                                    for c, is_json in zip(columns, json_columns, strict=True)])
        cursor.execute("ALTER TABLE public.kit_bookings ENABLE TRIGGER kit_booking_availability_update")
        cursor.execute("ANALYZE")


# Bulk rows take their parents from small lookup tables (one row per organisation, and one per candidate parent
# numbered within its organisation), joined by number: hash joins, no per-row array access.
BULK_SQL = """
CREATE TEMP TABLE demo_bulk_org ON COMMIT DROP AS
SELECT o.k, o.id AS org_id, o.default_currency AS currency,
       (SELECT count(*) FROM public.rate_cards r WHERE r.organization_id = o.id) AS n_cards,
       (SELECT count(*) FROM public.clients c WHERE c.organization_id = o.id) AS n_clients,
       (SELECT count(*) FROM public.projects p WHERE p.organization_id = o.id) AS n_projects,
       (SELECT count(*) FROM public.crew c WHERE c.organization_id = o.id) AS n_crew
FROM (SELECT row_number() OVER (ORDER BY created_at, id) - 1 AS k, * FROM public.organizations) o;
CREATE TEMP TABLE demo_bulk_card ON COMMIT DROP AS
SELECT o.k, row_number() OVER (PARTITION BY o.k ORDER BY r.id) - 1 AS idx, r.id, r.cost, r.charge,
       '"name": ' || to_json(r.name)::text || ', "cost": ' || r.cost || ', "charge": ' || r.charge
       || ', "rateCardItemId": "' || r.id || '", "notes": ""' AS item_json
FROM public.rate_cards r JOIN demo_bulk_org o ON o.org_id = r.organization_id;
CREATE TEMP TABLE demo_bulk_client ON COMMIT DROP AS
SELECT o.k, row_number() OVER (PARTITION BY o.k ORDER BY c.id) - 1 AS idx, c.id,
       jsonb_build_object('id', c.id, 'company', c.company) AS snapshot
FROM public.clients c JOIN demo_bulk_org o ON o.org_id = c.organization_id;
CREATE TEMP TABLE demo_bulk_project ON COMMIT DROP AS
SELECT o.k, row_number() OVER (PARTITION BY o.k ORDER BY p.id) - 1 AS idx, p.id
FROM public.projects p JOIN demo_bulk_org o ON o.org_id = p.organization_id;
CREATE TEMP TABLE demo_bulk_crew ON COMMIT DROP AS
SELECT o.k, row_number() OVER (PARTITION BY o.k ORDER BY c.id) - 1 AS idx, c.id, c.day_rate
FROM public.crew c JOIN demo_bulk_org o ON o.org_id = c.organization_id;
ANALYZE demo_bulk_org, demo_bulk_card, demo_bulk_client, demo_bulk_project, demo_bulk_crew;
"""

# Ids of bulk rows: deterministic and ascending (a per-table prefix, then the row number), so the primary key
# grows at its right edge instead of splitting pages all over the index.
def _bulk_id(prefix: int, seed: int, i: str = "g.i", as_text: bool = False) -> str:
    text = (f"'{prefix:08x}-{seed & 0xFFFF:04x}-4000-8000-' || lpad(to_hex({i}), 12, '0')")
    return f"({text})" if as_text else f"({text})::uuid"


# The sections document is assembled as text from per-rate-card fragments and parsed once: about three times
# faster than nesting jsonb_build_object calls, which matters at 10 million quotes.
BULK_QUOTES = """
INSERT INTO public.quotes (id, organization_id, quote_number, quote_date, validity_days, status, currency, region,
                           client, project, sections, fees, proposal, total_cost, total_charge, created_at, updated_at)
SELECT {quote_id}, o.org_id, 'BQ-' || lpad(g.i::text, 9, '0'),
       DATE '2023-03-01' + (g.i % 670), (ARRAY[14, 30, 30, 45, 60, 90])[1 + g.i % 6],
       (ARRAY['draft', 'sent', 'accepted', 'declined', 'expired'])[1 + g.i % 5], o.currency, 'Europe',
       cl.snapshot, ('{{"title": "Bulk production ' || g.i || '"}}')::jsonb,
       ('{{"prod_production": {{"name": "Production", "visible": true, "subsections": {{"prod_crew": ['
        || '{{"id": "' || {item1_id} || '", "quantity": 1, "days": ' || (1 + g.i % 5) || ', ' || c1.item_json || '}}, '
        || '{{"id": "' || {item2_id} || '", "quantity": 2, "days": 1, ' || c2.item_json || '}}]}}}}}}')::jsonb,
       '{{"managementFee": 10}}'::jsonb, '{{}}'::jsonb,
       c1.cost * (1 + g.i % 5) + 2 * c2.cost, c1.charge * (1 + g.i % 5) + 2 * c2.charge,
       TIMESTAMPTZ '2023-03-01 09:00+00' + (g.i % 57000000) * INTERVAL '1 second',
       TIMESTAMPTZ '2023-03-01 09:00+00' + (g.i % 57000000) * INTERVAL '1 second'
FROM generate_series({start}, {stop}) AS g(i)
JOIN demo_bulk_org o ON o.k = g.i % {orgs}
JOIN demo_bulk_client cl ON cl.k = o.k AND cl.idx = (g.i * 7) % o.n_clients
JOIN demo_bulk_card c1 ON c1.k = o.k AND c1.idx = (g.i * 13) % o.n_cards
JOIN demo_bulk_card c2 ON c2.k = o.k AND c2.idx = (g.i * 29 + 3) % o.n_cards
"""

BULK_INVOICES = """
INSERT INTO public.invoices (id, invoice_number, quote_id, client_id, project_id, issue_date, due_date, status,
                             currency, subtotal, tax_rate, tax_amount, total, amount_paid, line_items,
                             created_at, updated_at)
SELECT {invoice_id}, 'BI-' || lpad(g.i::text, 9, '0'), NULL, cl.id, p.id,
       DATE '2023-03-01' + (g.i % 670), DATE '2023-03-01' + (g.i % 670) + (ARRAY[14, 30, 45, 60])[1 + g.i % 4],
       (ARRAY['draft', 'sent', 'paid', 'overdue'])[1 + g.i % 4], o.currency,
       1000 + g.i % 50000, 20, (1000 + g.i % 50000) * 0.2, (1000 + g.i % 50000) * 1.2, 0, '[]'::jsonb,
       TIMESTAMPTZ '2023-03-01 09:00+00' + (g.i % 57000000) * INTERVAL '1 second',
       TIMESTAMPTZ '2023-03-01 09:00+00' + (g.i % 57000000) * INTERVAL '1 second'
FROM generate_series({start}, {stop}) AS g(i)
JOIN demo_bulk_org o ON o.k = g.i % {orgs}
JOIN demo_bulk_client cl ON cl.k = o.k AND cl.idx = (g.i * 7) % o.n_clients
JOIN demo_bulk_project p ON p.k = o.k AND p.idx = (g.i * 11) % o.n_projects
"""

BULK_CREW_BOOKINGS = """
INSERT INTO public.crew_bookings (id, crew_id, project_id, role, start_date, end_date, days, day_rate, total_cost,
                                  status, created_at, updated_at)
SELECT {booking_id}, c.id, p.id, 'Crew', DATE '2023-03-01' + (g.i % 670),
       DATE '2023-03-01' + (g.i % 670) + (g.i % 3), 1 + g.i % 3, c.day_rate, c.day_rate * (1 + g.i % 3),
       (ARRAY['pencilled', 'confirmed', 'completed'])[1 + g.i % 3],
       TIMESTAMPTZ '2023-03-01 09:00+00' + (g.i % 57000000) * INTERVAL '1 second',
       TIMESTAMPTZ '2023-03-01 09:00+00' + (g.i % 57000000) * INTERVAL '1 second'
FROM generate_series({start}, {stop}) AS g(i)
JOIN demo_bulk_org o ON o.k = g.i % {orgs}
JOIN demo_bulk_crew c ON c.k = o.k AND c.idx = (g.i * 7) % o.n_crew
JOIN demo_bulk_project p ON p.k = o.k AND p.idx = (g.i * 11) % o.n_projects
"""


_SECONDARY_INDEXES = """
SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
FROM pg_index i
WHERE i.indrelid IN ('public.quotes'::regclass, 'public.invoices'::regclass, 'public.crew_bookings'::regclass)
  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
ORDER BY 1
"""
_BULK_TEMPLATES = {"quotes": BULK_QUOTES, "invoices": BULK_INVOICES, "crew_bookings": BULK_CREW_BOOKINGS}


def bulk_tasks(scale: int, base_rows: dict[str, int], chunk: int = 2_500_000) -> list[tuple[str, int, int]]:
    """(table, first, last) slices of the bulk rows to add, largest work first; empty when nothing is missing."""
    tasks = []
    for table in ("quotes", "invoices", "crew_bookings"):
        missing = scale - base_rows[table]
        for first in range(1, missing + 1, chunk):
            tasks.append((table, first, min(missing, first + chunk - 1)))
    return tasks


def bulk_fill(engine, scale: int, seed: int, base_rows: dict[str, int], workers: int = 2) -> None:
    """Grow quotes, invoices and crew_bookings to ``scale`` rows each, on the server, with valid references only.

    Runs after the small demo is committed: the secondary indexes of the three tables are dropped, the rows are
    written by ``workers`` connections in parallel (slices of ``INSERT ... SELECT ... FROM generate_series``, one
    transaction each), then the indexes are built again with their original definitions and the tables analysed.
    Foreign-key triggers are skipped for the bulk rows (session_replication_role = replica): every reference is
    drawn from existing rows of the same organisation, and checking tens of millions of them row by row would
    take longer than writing them.
    """
    from concurrent.futures import ThreadPoolExecutor

    tasks = bulk_tasks(scale, base_rows)
    if not tasks:
        return
    seed = int(seed)
    ids = {"quote_id": _bulk_id(1, seed), "item1_id": _bulk_id(2, seed, as_text=True),
           "item2_id": _bulk_id(3, seed, as_text=True), "invoice_id": _bulk_id(4, seed),
           "booking_id": _bulk_id(5, seed)}
    with engine.begin() as conn:
        secondary = [tuple(row) for row in conn.exec_driver_sql(_SECONDARY_INDEXES)]
        for name, _ in secondary:
            conn.exec_driver_sql(f"DROP INDEX {name}")

    def run(task: tuple[str, int, int]) -> None:
        table, first, last = task
        with engine.begin() as conn:
            cursor = conn.connection.driver_connection.cursor()
            cursor.execute("SET LOCAL session_replication_role = replica")
            cursor.execute("SET LOCAL work_mem = '64MB'")
            cursor.execute(BULK_SQL)
            cursor.execute(_BULK_TEMPLATES[table].format(start=first, stop=last, orgs=len(ORGANIZATIONS), **ids))

    def build(definition: str) -> None:
        with engine.begin() as conn:
            conn.exec_driver_sql("SET LOCAL maintenance_work_mem = '512MB'")
            conn.exec_driver_sql(definition)

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        list(pool.map(run, tasks))
        list(pool.map(build, [definition for _, definition in secondary]))
    # VACUUM too, not only ANALYZE: it marks the new pages all-visible, the state autovacuum keeps an insert-heavy
    # table in, so benchmarks measure index-only scans as they run in production rather than right after a load.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM ANALYZE public.quotes, public.invoices, public.crew_bookings")
