-- Cases (issue 12): incidents from every channel, the cases they open and
-- the append-only case events. A case row holds the state derived from its
-- events; both are written in one transaction.
CREATE TABLE cases (
  id bigserial PRIMARY KEY,
  stage text NOT NULL CHECK (stage IN ('reported', 'filed', 'dispatched', 'handling', 'resolved', 'closed', 'evaluated', 'void')),
  path text NOT NULL CHECK (path IN ('on_site', 'department')),
  category text NOT NULL,
  channel text NOT NULL,
  geom geometry(Point, 4326) NOT NULL,
  street_code text NOT NULL,
  community_code text NOT NULL,
  grid_code text NOT NULL,
  cost_yuan double precision NOT NULL CHECK (cost_yuan >= 0),
  unit text,
  department text,
  reported_at timestamptz NOT NULL,
  dispatched_at timestamptz,
  accepted_at timestamptz,
  arrived_at timestamptz,
  resolved_at timestamptz,
  closed_at timestamptz,
  evaluated_at timestamptz,
  due_at timestamptz NOT NULL,
  deadline timestamptz,
  escalation integer NOT NULL DEFAULT 0 CHECK (escalation BETWEEN 0 AND 2),
  escalate_at timestamptz,
  rework integer NOT NULL DEFAULT 0,
  satisfaction integer CHECK (satisfaction BETWEEN 1 AND 5),
  spot_check boolean NOT NULL DEFAULT false,
  void_reason text,
  updated_at timestamptz NOT NULL
);
CREATE INDEX cases_geom ON cases USING gist (geom);
CREATE INDEX cases_reported ON cases (reported_at);
-- The duplicate check: open cases of a category by report time.
CREATE INDEX cases_open_category ON cases (category, reported_at)
  WHERE stage IN ('reported', 'filed', 'dispatched', 'handling', 'resolved');
-- The escalation loop's queue; it lives here, so a restart catches up.
CREATE INDEX cases_escalate ON cases (escalate_at) WHERE escalate_at IS NOT NULL;
-- One unit holds at most one active case, whichever replica dispatches.
CREATE UNIQUE INDEX cases_one_per_unit ON cases (unit)
  WHERE unit IS NOT NULL AND stage IN ('dispatched', 'handling');

CREATE TABLE incidents (
  id bigserial PRIMARY KEY,
  channel text NOT NULL,
  external_id text NOT NULL,
  category text NOT NULL,
  description text NOT NULL,
  address text NOT NULL,
  reported_at timestamptz NOT NULL,
  received_at timestamptz NOT NULL,
  reporter text NOT NULL,
  media jsonb NOT NULL,
  submitter text NOT NULL,
  located boolean NOT NULL,
  geom geometry(Point, 4326),
  located_by text,
  score double precision NOT NULL,
  reason text NOT NULL,
  street_code text NOT NULL,
  community_code text NOT NULL,
  grid_code text NOT NULL,
  routing jsonb NOT NULL,
  case_id bigint REFERENCES cases (id),
  duplicate boolean NOT NULL DEFAULT false,
  -- Idempotent intake: one incident per channel report, whoever retries.
  UNIQUE (channel, external_id),
  CHECK (located = (geom IS NOT NULL))
);
CREATE INDEX incidents_geom ON incidents USING gist (geom);
CREATE INDEX incidents_case ON incidents (case_id);
CREATE INDEX incidents_unlocated ON incidents (id) WHERE NOT located;

CREATE TABLE case_events (
  case_id bigint NOT NULL REFERENCES cases (id),
  seq integer NOT NULL,
  action text NOT NULL,
  from_stage text,
  to_stage text NOT NULL,
  actor text NOT NULL,
  role text NOT NULL,
  at timestamptz NOT NULL,
  note text NOT NULL,
  unit text,
  department text,
  ok boolean,
  satisfaction integer,
  incident_id bigint,
  PRIMARY KEY (case_id, seq)
);
