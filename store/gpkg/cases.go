package gpkg

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"math"
	"time"

	"github.com/paulmach/orb"

	"github.com/gridd/gridd/cases"
	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/store"
	"github.com/gridd/gridd/store/sqlwhere"
)

var _ cases.Store = (*DB)(nil)

// caseTx is the SQLite dialect of store.CaseTx. Writes are serialised on
// the one writer connection, so Lock has nothing to do.
type caseTx struct{ tx *sql.Tx }

var _ store.CaseTx = caseTx{}

// Intake stores an incident (or finds the stored one) and attaches it to a
// case, in one transaction.
func (db *DB) Intake(ctx context.Context, in *cases.Incident, cat cases.Category, now time.Time) (cases.Incident, bool, error) {
	var got cases.Incident
	var created bool
	err := db.write(ctx, "incident", func(tx *sql.Tx) (err error) {
		got, created, err = store.IntakeFlow(ctx, caseTx{tx}, in, cat, now)
		return err
	})
	return got, created, err
}

// LocateIncident locates a queued incident and attaches it to a case.
func (db *DB) LocateIncident(ctx context.Context, id cases.IncidentID, loc cases.Location, cat cases.Category, now time.Time) (cases.Incident, error) {
	var got cases.Incident
	err := db.write(ctx, "incident", func(tx *sql.Tx) (err error) {
		got, err = store.LocateFlow(ctx, caseTx{tx}, id, loc, cat, now)
		return err
	})
	return got, err
}

// UnlinkIncident takes a duplicate off its case and opens its own.
func (db *DB) UnlinkIncident(ctx context.Context, id cases.IncidentID, cat cases.Category, actor string, now time.Time) (cases.Incident, error) {
	var got cases.Incident
	err := db.write(ctx, "incident", func(tx *sql.Tx) (err error) {
		got, err = store.UnlinkFlow(ctx, caseTx{tx}, id, cat, actor, now)
		return err
	})
	return got, err
}

// Transition moves a case and appends its event in one transaction.
func (db *DB) Transition(ctx context.Context, id cases.CaseID, apply func(cases.Case) (cases.Case, cases.Event, error)) (cases.Case, error) {
	var got cases.Case
	err := db.write(ctx, "case", func(tx *sql.Tx) (err error) {
		got, _, err = store.TransitionFlow(ctx, caseTx{tx}, id, apply)
		return err
	})
	return got, err
}

// Incident reads one incident.
func (db *DB) Incident(ctx context.Context, id cases.IncidentID) (cases.Incident, error) {
	var got cases.Incident
	err := db.read(ctx, func(tx *sql.Tx) (err error) {
		got, err = caseTx{tx}.Incident(ctx, id)
		return err
	})
	return got, err
}

const incidentCols = `id, channel, external_id, category, description, address, reported_at, received_at, reporter,
	media, submitter, located, coalesce(lon, 0), coalesce(lat, 0), coalesce(located_by, ''), score, reason,
	street_code, community_code, grid_code, routing, coalesce(case_id, 0), duplicate`

type scanner interface{ Scan(...any) error }

func scanIncident(row scanner) (cases.Incident, error) {
	var in cases.Incident
	var media, routing, rep, rec, by string
	err := row.Scan(&in.ID, &in.Channel, &in.ExternalID, &in.Category, &in.Description, &in.Address, &rep, &rec,
		&in.Reporter, &media, &in.Submitter, &in.Located, &in.Loc[0], &in.Loc[1], &by, &in.Score, &in.Reason,
		&in.Street, &in.Community, &in.Grid, &routing, &in.Case, &in.Duplicate)
	if err != nil {
		return in, err
	}
	in.LocatedBy = cases.LocatedBy(by)
	if in.ReportedAt, err = parseTime(rep); err != nil {
		return in, err
	}
	if in.ReceivedAt, err = parseTime(rec); err != nil {
		return in, err
	}
	if err := json.Unmarshal([]byte(media), &in.Media); err != nil {
		return in, err
	}
	return in, json.Unmarshal([]byte(routing), &in.Routing)
}

func (t caseTx) Incident(ctx context.Context, id cases.IncidentID) (cases.Incident, error) {
	in, err := scanIncident(t.tx.QueryRowContext(ctx, `SELECT `+incidentCols+` FROM incidents WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return in, errs.E(errs.NotFound, "incident", "no incident %d", id)
	}
	return in, err
}

// Incidents lists incidents by id.
func (db *DB) Incidents(ctx context.Context, f cases.IncidentFilter) ([]cases.Incident, error) {
	w := sqlwhere.Incidents(whereDialect{}, f)
	q := `SELECT ` + incidentCols + ` FROM incidents WHERE ` + w.SQL() + ` ORDER BY id LIMIT ` + w.Arg(sqlwhere.Limit(f.Limit))
	args := w.Args
	var out []cases.Incident
	err := db.read(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, q, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			in, err := scanIncident(rows)
			if err != nil {
				return err
			}
			out = append(out, in)
		}
		return rows.Err()
	})
	return out, err
}

func (t caseTx) InsertIncident(ctx context.Context, in *cases.Incident) (cases.IncidentID, bool, error) {
	media, routing, err := incidentJSON(in)
	if err != nil {
		return 0, false, err
	}
	var lon, lat, by any
	if in.Located {
		lon, lat, by = in.Loc[0], in.Loc[1], string(in.LocatedBy)
	}
	var id cases.IncidentID
	err = t.tx.QueryRowContext(ctx, `INSERT INTO incidents (channel, external_id, category, description, address,
		reported_at, received_at, reporter, media, submitter, located, lon, lat, located_by, score, reason, street_code,
		community_code, grid_code, routing) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (channel, external_id) DO NOTHING RETURNING id`,
		string(in.Channel), in.ExternalID, in.Category, in.Description, in.Address, fmtTime(in.ReportedAt),
		fmtTime(in.ReceivedAt), in.Reporter, media, in.Submitter, in.Located, lon, lat, by, in.Score, in.Reason,
		in.Street, in.Community, in.Grid, routing).Scan(&id)
	if err == nil {
		return id, true, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return 0, false, err
	}
	err = t.tx.QueryRowContext(ctx, `SELECT id FROM incidents WHERE channel = ? AND external_id = ?`,
		string(in.Channel), in.ExternalID).Scan(&id)
	return id, false, err
}

func incidentJSON(in *cases.Incident) (media, routing string, err error) {
	m := in.Media
	if m == nil {
		m = []string{}
	}
	mb, err := json.Marshal(m)
	if err != nil {
		return "", "", err
	}
	r := in.Routing
	if r.Workers == nil {
		r.Workers = []string{}
	}
	rb, err := json.Marshal(r)
	return string(mb), string(rb), err
}

func (t caseTx) SetIncidentCase(ctx context.Context, id cases.IncidentID, c cases.CaseID, dup bool) error {
	_, err := t.tx.ExecContext(ctx, `UPDATE incidents SET case_id = ?, duplicate = ? WHERE id = ?`, c, dup, id)
	return err
}

func (t caseTx) SetIncidentLocation(ctx context.Context, id cases.IncidentID, loc cases.Location) error {
	r := loc.Routing
	if r.Workers == nil {
		r.Workers = []string{}
	}
	routing, err := json.Marshal(r)
	if err != nil {
		return err
	}
	_, err = t.tx.ExecContext(ctx, `UPDATE incidents SET located = 1, lon = ?, lat = ?, located_by = ?, score = ?,
		reason = '', street_code = ?, community_code = ?, grid_code = ?, routing = ? WHERE id = ?`,
		loc.Loc[0], loc.Loc[1], string(loc.LocatedBy), loc.Score, loc.Street, loc.Community, loc.Grid, string(routing), id)
	return err
}

func (caseTx) Lock(context.Context, ...string) error { return nil }

const caseCols = `id, stage, path, category, channel, lon, lat, street_code, community_code, grid_code,
	cost_yuan, coalesce(unit, ''), coalesce(department, ''), reported_at, dispatched_at, accepted_at, arrived_at,
	resolved_at, closed_at, evaluated_at, due_at, deadline, escalation, escalate_at, rework, coalesce(satisfaction, 0),
	spot_check, coalesce(void_reason, ''), updated_at`

func scanCase(row scanner) (cases.Case, error) {
	var c cases.Case
	var rep, due, upd string
	var disp, acc, arr, res, clo, eva, dl, esc sql.NullString
	err := row.Scan(&c.ID, &c.Stage, &c.Path, &c.Category, &c.Channel, &c.Loc[0], &c.Loc[1], &c.Street, &c.Community,
		&c.Grid, &c.CostYuan, &c.Unit, &c.Department, &rep, &disp, &acc, &arr, &res, &clo, &eva, &due, &dl,
		&c.Escalation, &esc, &c.Rework, &c.Satisfaction, &c.SpotCheck, &c.VoidReason, &upd)
	if err != nil {
		return c, err
	}
	for _, p := range []struct {
		dst *time.Time
		src sql.NullString
	}{{&c.ReportedAt, sql.NullString{String: rep, Valid: true}}, {&c.DueAt, sql.NullString{String: due, Valid: true}},
		{&c.UpdatedAt, sql.NullString{String: upd, Valid: true}}, {&c.DispatchedAt, disp}, {&c.AcceptedAt, acc},
		{&c.ArrivedAt, arr}, {&c.ResolvedAt, res}, {&c.ClosedAt, clo}, {&c.EvaluatedAt, eva}, {&c.Deadline, dl},
		{&c.EscalateAt, esc}} {
		if !p.src.Valid {
			continue
		}
		if *p.dst, err = parseTime(p.src.String); err != nil {
			return c, err
		}
	}
	return c, nil
}

// nt is a nullable time parameter: NULL for the zero time.
func nt(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return fmtTime(t)
}

// ns is a nullable text parameter: NULL for "".
func ns(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func ni(n int) any {
	if n == 0 {
		return nil
	}
	return n
}

func (t caseTx) InsertCase(ctx context.Context, c *cases.Case) (cases.CaseID, error) {
	res, err := t.tx.ExecContext(ctx, `INSERT INTO cases (stage, path, category, channel, lon, lat, street_code,
		community_code, grid_code, cost_yuan, unit, department, reported_at, due_at, deadline, escalate_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		string(c.Stage), string(c.Path), c.Category, string(c.Channel), c.Loc[0], c.Loc[1], c.Street, c.Community, c.Grid,
		c.CostYuan, ns(c.Unit), ns(c.Department), fmtTime(c.ReportedAt), fmtTime(c.DueAt), nt(c.Deadline),
		nt(c.EscalateAt), fmtTime(c.UpdatedAt))
	if err != nil {
		return 0, err
	}
	id, err := res.LastInsertId()
	return cases.CaseID(id), err
}

// CaseForUpdate reads a case; the one writer connection is the lock.
func (t caseTx) CaseForUpdate(ctx context.Context, id cases.CaseID) (cases.Case, error) {
	c, err := scanCase(t.tx.QueryRowContext(ctx, `SELECT `+caseCols+` FROM cases WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return c, errs.E(errs.NotFound, "case", "no case %d", id)
	}
	return c, err
}

func (t caseTx) UpdateCase(ctx context.Context, c *cases.Case) error {
	_, err := t.tx.ExecContext(ctx, `UPDATE cases SET stage = ?, unit = ?, department = ?, dispatched_at = ?,
		accepted_at = ?, arrived_at = ?, resolved_at = ?, closed_at = ?, evaluated_at = ?, deadline = ?,
		escalation = ?, escalate_at = ?, rework = ?, satisfaction = ?, spot_check = ?, void_reason = ?,
		updated_at = ?, street_code = ?, community_code = ?, grid_code = ? WHERE id = ?`,
		string(c.Stage), ns(c.Unit), ns(c.Department), nt(c.DispatchedAt), nt(c.AcceptedAt), nt(c.ArrivedAt),
		nt(c.ResolvedAt), nt(c.ClosedAt), nt(c.EvaluatedAt), nt(c.Deadline), c.Escalation, nt(c.EscalateAt), c.Rework,
		ni(c.Satisfaction), c.SpotCheck, ns(c.VoidReason), fmtTime(c.UpdatedAt), c.Street, c.Community, c.Grid, c.ID)
	return err
}

func (t caseTx) AppendEvent(ctx context.Context, ev *cases.Event) (int, error) {
	var ok any
	if ev.OK != nil {
		ok = *ev.OK
	}
	var seq int
	err := t.tx.QueryRowContext(ctx, `INSERT INTO case_events (case_id, seq, action, from_stage, to_stage, actor, role,
		at, note, unit, department, ok, satisfaction, incident_id)
		SELECT ?, coalesce(max(seq), 0) + 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ? FROM case_events WHERE case_id = ?
		RETURNING seq`,
		ev.Case, string(ev.Action), ns(string(ev.From)), string(ev.To), ev.Actor, ev.Role, fmtTime(ev.At), ev.Note,
		ns(ev.Unit), ns(ev.Department), ok, ni(ev.Satisfaction), ni(int(ev.Incident)), ev.Case).Scan(&seq)
	return seq, err
}

// OpenCasesNear narrows by a lon/lat box around p a little larger than
// radiusM; the flow checks the distance.
func (t caseTx) OpenCasesNear(ctx context.Context, category string, p orb.Point, radiusM float64, since time.Time) ([]cases.Case, error) {
	dLat := (radiusM + 5) / 111195.0
	dLon := dLat / math.Max(math.Cos(p[1]*math.Pi/180), 0.01)
	rows, err := t.tx.QueryContext(ctx, `SELECT `+caseCols+` FROM cases
		WHERE category = ? AND stage IN ('reported', 'filed', 'dispatched', 'handling', 'resolved') AND reported_at >= ?
		  AND lat BETWEEN ? AND ? AND lon BETWEEN ? AND ?`,
		category, fmtTime(since), p[1]-dLat, p[1]+dLat, p[0]-dLon, p[0]+dLon)
	if err != nil {
		return nil, err
	}
	return collectCases(rows)
}

func collectCases(rows *sql.Rows) ([]cases.Case, error) {
	defer rows.Close()
	var out []cases.Case
	for rows.Next() {
		c, err := scanCase(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

func (t caseTx) UnitHolder(ctx context.Context, unit string, except cases.CaseID) (cases.CaseID, bool, error) {
	var id cases.CaseID
	err := t.tx.QueryRowContext(ctx, `SELECT id FROM cases WHERE unit = ? AND stage IN ('dispatched', 'handling') AND id <> ?`,
		unit, except).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	return id, err == nil, err
}

// Case reads a case with its incidents and events.
func (db *DB) Case(ctx context.Context, id cases.CaseID) (cases.Case, error) {
	var c cases.Case
	err := db.read(ctx, func(tx *sql.Tx) error {
		var err error
		c, err = scanCase(tx.QueryRowContext(ctx, `SELECT `+caseCols+` FROM cases WHERE id = ?`, id))
		if errors.Is(err, sql.ErrNoRows) {
			return errs.E(errs.NotFound, "case", "no case %d", id)
		}
		if err != nil {
			return err
		}
		if c.Incidents, err = caseIncidents(ctx, tx, id); err != nil {
			return err
		}
		c.Events, err = caseEvents(ctx, tx, id)
		return err
	})
	return c, err
}

func caseIncidents(ctx context.Context, tx *sql.Tx, id cases.CaseID) ([]cases.IncidentID, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id FROM incidents WHERE case_id = ? ORDER BY id`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []cases.IncidentID
	for rows.Next() {
		var i cases.IncidentID
		if err := rows.Scan(&i); err != nil {
			return nil, err
		}
		out = append(out, i)
	}
	return out, rows.Err()
}

func caseEvents(ctx context.Context, tx *sql.Tx, id cases.CaseID) ([]cases.Event, error) {
	rows, err := tx.QueryContext(ctx, `SELECT seq, action, coalesce(from_stage, ''), to_stage, actor, role, at, note,
		coalesce(unit, ''), coalesce(department, ''), ok, coalesce(satisfaction, 0), coalesce(incident_id, 0)
		FROM case_events WHERE case_id = ? ORDER BY seq`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []cases.Event
	for rows.Next() {
		ev := cases.Event{Case: id}
		var at string
		var ok sql.NullBool
		if err := rows.Scan(&ev.Seq, &ev.Action, &ev.From, &ev.To, &ev.Actor, &ev.Role, &at, &ev.Note, &ev.Unit,
			&ev.Department, &ok, &ev.Satisfaction, &ev.Incident); err != nil {
			return nil, err
		}
		if ok.Valid {
			b := ok.Bool
			ev.OK = &b
		}
		var err error
		if ev.At, err = parseTime(at); err != nil {
			return nil, err
		}
		out = append(out, ev)
	}
	return out, rows.Err()
}

// Cases lists cases by id and counts the match.
func (db *DB) Cases(ctx context.Context, f cases.CaseFilter) ([]cases.Case, int, error) {
	w := sqlwhere.Cases(whereDialect{}, f)
	cond, args := w.SQL(), w.Args
	var out []cases.Case
	var n int
	err := db.read(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM cases WHERE `+cond, args...).Scan(&n); err != nil {
			return err
		}
		page := `SELECT ` + caseCols + ` FROM cases WHERE ` + cond + ` ORDER BY id LIMIT ` + w.Arg(sqlwhere.Limit(f.Limit)) +
			` OFFSET ` + w.Arg(f.Offset)
		rows, err := tx.QueryContext(ctx, page, w.Args...)
		if err != nil {
			return err
		}
		out, err = collectCases(rows)
		return err
	})
	return out, n, err
}

// EscalationsDue lists the open cases the escalation loop must escalate.
func (db *DB) EscalationsDue(ctx context.Context, now time.Time, limit int) ([]cases.CaseID, error) {
	var out []cases.CaseID
	err := db.read(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT id FROM cases WHERE escalate_at <= ?
			AND stage IN ('reported', 'filed', 'dispatched', 'handling', 'resolved') ORDER BY escalate_at, id LIMIT ?`,
			fmtTime(now), sqlwhere.Limit(limit))
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id cases.CaseID
			if err := rows.Scan(&id); err != nil {
				return err
			}
			out = append(out, id)
		}
		return rows.Err()
	})
	return out, err
}
