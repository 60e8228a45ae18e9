package postgis

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"

	"github.com/gridd/gridd/cases"
	"github.com/gridd/gridd/store"
	"github.com/gridd/gridd/store/sqlq"
	"github.com/gridd/gridd/store/sqlstore"
)

// The intake path in fewer round trips (store.AsStored, store.LockNear,
// store.CaseOpener): a new located incident costs BEGIN, the insert, the
// locks with the duplicate query (one pipelined batch), the case with its
// event and link (one statement) and COMMIT.
var (
	_ store.AsStored   = caseTx{}
	_ store.LockNear   = caseTx{}
	_ store.CaseOpener = caseTx{}
)

// AsStored is in as CaseTx.Incident reads it back: pgx sends times at
// microseconds (truncated), lists are never nil.
func (caseTx) AsStored(in cases.Incident) cases.Incident {
	in.ReportedAt = in.ReportedAt.Truncate(time.Microsecond).UTC()
	in.ReceivedAt = in.ReceivedAt.Truncate(time.Microsecond).UTC()
	if in.Media == nil {
		in.Media = []string{}
	}
	if in.Routing.Workers == nil {
		in.Routing.Workers = []string{}
	}
	return in
}

// LockOpenCasesNear takes the advisory locks and runs the duplicate query
// in one batch; the server runs them in order, so the query sees every
// case committed by whoever held the locks before.
func (t caseTx) LockOpenCasesNear(ctx context.Context, keys []string, category string, p orb.Point, radiusM float64, since time.Time) ([]cases.Case, error) {
	q, args := nearQuery(category, p, radiusM, since)
	b := &pgx.Batch{}
	b.Queue(lockSQL, keys)
	b.Queue(q, args...)
	br := t.tx.SendBatch(ctx, b)
	defer br.Close()
	if _, err := br.Exec(); err != nil {
		return nil, err
	}
	rows, err := br.Query()
	if err != nil {
		return nil, err
	}
	var out []cases.Case
	for rows.Next() {
		c, err := sqlstore.ScanCase(t.D, rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, c)
	}
	rows.Close() // before the batch's Close
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return out, br.Close()
}

// OpenCase inserts the case, its opening event (seq 1) and links the
// incident to it in one statement.
func (t caseTx) OpenCase(ctx context.Context, c *cases.Case, ev *cases.Event, incident cases.IncidentID) (cases.CaseID, error) {
	var id cases.CaseID
	err := t.Tx.QueryRow(ctx, `WITH c AS (
		  INSERT INTO cases (stage, path, category, channel, geom, street_code, community_code,
		    grid_code, cost_yuan, unit, department, reported_at, due_at, deadline, escalate_at, updated_at)
		  VALUES ($1, $2, $3, $4, ST_SetSRID(ST_MakePoint($5, $6), 4326), $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)
		  RETURNING id),
		e AS (
		  INSERT INTO case_events (case_id, seq, action, from_stage, to_stage, actor, role, at, note, unit, department,
		    ok, satisfaction, incident_id)
		  SELECT c.id, 1, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29 FROM c),
		u AS (UPDATE incidents SET case_id = c.id, duplicate = false FROM c WHERE incidents.id = $30)
		SELECT id FROM c`, openCaseArgs(c, ev, incident)...).Scan(&id)
	if err != nil {
		return 0, err
	}
	ev.Case = id
	return id, nil
}

var _ store.AttachedInserter = caseTx{}

// InsertAttached inserts a located incident and its case with the opening
// event, or its link event on a duplicate's case, in one statement; the
// case id is drawn first so the incident is written once, with its case.
// On a stored (channel, external_id) nothing is written and the stored
// incident's id is returned.
func (t caseTx) InsertAttached(ctx context.Context, in *cases.Incident, open *cases.Case, ev *cases.Event) (cases.IncidentID, cases.CaseID, bool, error) {
	args, err := sqlstore.IncidentArgs(in, t.D)
	if err != nil {
		return 0, 0, false, err
	}
	var q string
	if open != nil {
		args = append(append(args, sqlstore.CaseArgs(open, t.D)...), sqlstore.EventArgs(ev, t.D)...)
		q = insertAttachedNewSQL
	} else {
		args = append(append(args, ev.Case), sqlstore.EventArgs(ev, t.D)...)
		q = insertAttachedDupSQL
	}
	var id cases.IncidentID
	var caseID cases.CaseID
	created, err := sqlq.Found(t.Tx.QueryRow(ctx, q, args...).Scan(&id, &caseID))
	if err != nil || created {
		return id, caseID, created, err
	}
	id, err = sqlstore.IncidentByKey(ctx, t.Tx, in)
	return id, 0, false, err
}

// openCaseArgs are OpenCase's: the case ($1–$17), its event ($18–$29) and
// the incident ($30).
func openCaseArgs(c *cases.Case, ev *cases.Event, incident cases.IncidentID) []any {
	d := casesDialect{}
	args := append(sqlstore.CaseArgs(c, d), sqlstore.EventArgs(ev, d)...)
	var evIncident any
	if ev.Incident != 0 {
		evIncident = ev.Incident
	}
	return append(args, evIncident, incident)
}

// The columns of a new incident and their values as $1–$20, in the order
// of sqlstore.IncidentArgs; the point only when located.
const (
	incidentInsertCols = `channel, external_id, category, description, address, reported_at,
		received_at, reporter, media, submitter, located, geom, located_by, score, reason, street_code, community_code,
		grid_code, routing`
	incidentInsertVals = `$1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11,
		  CASE WHEN $11 THEN ST_SetSRID(ST_MakePoint($12, $13), 4326) END, $14, $15, $16, $17, $18, $19, $20`
)

// insertAttachedNewSQL inserts a located incident with a new case and its
// opening event ($1–$20 the incident, $21–$37 the case, $38–$48 the event).
const insertAttachedNewSQL = `WITH i AS (
		  INSERT INTO incidents (` + incidentInsertCols + `, case_id, duplicate)
		  VALUES (` + incidentInsertVals + `, nextval(pg_get_serial_sequence('cases', 'id')), false)
		  ON CONFLICT (channel, external_id) DO NOTHING
		  RETURNING id, case_id),
		c AS (
		  INSERT INTO cases (id, stage, path, category, channel, geom, street_code, community_code, grid_code, cost_yuan,
		    unit, department, reported_at, due_at, deadline, escalate_at, updated_at)
		  SELECT i.case_id, $21, $22, $23, $24, ST_SetSRID(ST_MakePoint($25, $26), 4326), $27, $28, $29, $30, $31, $32,
		    $33, $34, $35, $36, $37 FROM i),
		e AS (
		  INSERT INTO case_events (case_id, seq, action, from_stage, to_stage, actor, role, at, note, unit, department,
		    ok, satisfaction, incident_id)
		  SELECT i.case_id, 1, $38, $39, $40, $41, $42, $43, $44, $45, $46, $47, $48, i.id FROM i)
		SELECT id, case_id FROM i`

// insertAttachedDupSQL inserts a located incident on a duplicate's case
// ($21) with its link event ($22–$32).
const insertAttachedDupSQL = `WITH i AS (
		  INSERT INTO incidents (` + incidentInsertCols + `, case_id, duplicate)
		  VALUES (` + incidentInsertVals + `, $21, true)
		  ON CONFLICT (channel, external_id) DO NOTHING
		  RETURNING id, case_id),
		e AS (
		  INSERT INTO case_events (case_id, seq, action, from_stage, to_stage, actor, role, at, note, unit, department,
		    ok, satisfaction, incident_id)
		  SELECT i.case_id, (SELECT coalesce(max(seq), 0) + 1 FROM case_events WHERE case_id = $21),
		    $22, $23, $24, $25, $26, $27, $28, $29, $30, $31, $32, i.id FROM i)
		SELECT id, case_id FROM i`
