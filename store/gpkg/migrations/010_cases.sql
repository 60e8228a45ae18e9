-- Cases (issue 12): incidents from every channel, the cases they open and
-- the append-only case events. A case row holds the state derived from its
-- events; both are written in one transaction. Locations are lon/lat
-- columns (attribute tables); times fixed-width UTC text.
CREATE TABLE cases (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  stage TEXT NOT NULL CHECK (stage IN ('reported', 'filed', 'dispatched', 'handling', 'resolved', 'closed', 'evaluated', 'void')),
  path TEXT NOT NULL CHECK (path IN ('on_site', 'department')),
  category TEXT NOT NULL,
  channel TEXT NOT NULL,
  lon REAL NOT NULL,
  lat REAL NOT NULL,
  street_code TEXT NOT NULL,
  community_code TEXT NOT NULL,
  grid_code TEXT NOT NULL,
  cost_yuan REAL NOT NULL CHECK (cost_yuan >= 0),
  unit TEXT,
  department TEXT,
  reported_at TEXT NOT NULL,
  dispatched_at TEXT,
  accepted_at TEXT,
  arrived_at TEXT,
  resolved_at TEXT,
  closed_at TEXT,
  evaluated_at TEXT,
  due_at TEXT NOT NULL,
  deadline TEXT,
  escalation INTEGER NOT NULL DEFAULT 0 CHECK (escalation BETWEEN 0 AND 2),
  escalate_at TEXT,
  rework INTEGER NOT NULL DEFAULT 0,
  satisfaction INTEGER CHECK (satisfaction BETWEEN 1 AND 5),
  spot_check INTEGER NOT NULL DEFAULT 0,
  void_reason TEXT,
  updated_at TEXT NOT NULL
);
{{attributes "cases" "joint-duty cases"}}
CREATE INDEX cases_reported ON cases (reported_at);
CREATE INDEX cases_lat ON cases (lat, lon);
CREATE INDEX cases_open_category ON cases (category, reported_at)
  WHERE stage IN ('reported', 'filed', 'dispatched', 'handling', 'resolved');
CREATE INDEX cases_escalate ON cases (escalate_at) WHERE escalate_at IS NOT NULL;
CREATE UNIQUE INDEX cases_one_per_unit ON cases (unit)
  WHERE unit IS NOT NULL AND stage IN ('dispatched', 'handling');

CREATE TABLE incidents (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  channel TEXT NOT NULL,
  external_id TEXT NOT NULL,
  category TEXT NOT NULL,
  description TEXT NOT NULL,
  address TEXT NOT NULL,
  reported_at TEXT NOT NULL,
  received_at TEXT NOT NULL,
  reporter TEXT NOT NULL,
  media TEXT NOT NULL,
  submitter TEXT NOT NULL,
  located INTEGER NOT NULL,
  lon REAL,
  lat REAL,
  located_by TEXT,
  score REAL NOT NULL,
  reason TEXT NOT NULL,
  street_code TEXT NOT NULL,
  community_code TEXT NOT NULL,
  grid_code TEXT NOT NULL,
  routing TEXT NOT NULL,
  case_id INTEGER REFERENCES cases (id),
  duplicate INTEGER NOT NULL DEFAULT 0,
  UNIQUE (channel, external_id),
  CHECK (located = (lon IS NOT NULL))
);
{{attributes "incidents" "reports from every channel"}}
CREATE INDEX incidents_case ON incidents (case_id);
CREATE INDEX incidents_unlocated ON incidents (id) WHERE NOT located;

CREATE TABLE case_events (
  case_id INTEGER NOT NULL REFERENCES cases (id),
  seq INTEGER NOT NULL,
  action TEXT NOT NULL,
  from_stage TEXT,
  to_stage TEXT NOT NULL,
  actor TEXT NOT NULL,
  role TEXT NOT NULL,
  at TEXT NOT NULL,
  note TEXT NOT NULL,
  unit TEXT,
  department TEXT,
  ok INTEGER,
  satisfaction INTEGER,
  incident_id INTEGER,
  PRIMARY KEY (case_id, seq)
);
{{attributes "case_events" "the append-only history of every case"}}
