package postgis

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"

	"github.com/gridd/gridd/cases"
	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/store"
	"github.com/gridd/gridd/store/sqlwhere"
)

var _ cases.Store = (*DB)(nil)

// caseTx is the PostgreSQL dialect of store.CaseTx.
type caseTx struct{ tx pgx.Tx }

var _ store.CaseTx = caseTx{}

// Intake stores an incident (or finds the stored one) and attaches it to a
// case, in one transaction.
func (db *DB) Intake(ctx context.Context, in *cases.Incident, cat cases.Category, now time.Time) (cases.Incident, bool, error) {
	var got cases.Incident
	var created bool
	err := db.write(ctx, "incident", func(tx pgx.Tx) (err error) {
		got, created, err = store.IntakeFlow(ctx, caseTx{tx}, in, cat, now)
		return err
	})
	return got, created, err
}

// LocateIncident locates a queued incident and attaches it to a case.
func (db *DB) LocateIncident(ctx context.Context, id cases.IncidentID, loc cases.Location, cat cases.Category, now time.Time) (cases.Incident, error) {
	var got cases.Incident
	err := db.write(ctx, "incident", func(tx pgx.Tx) (err error) {
		got, err = store.LocateFlow(ctx, caseTx{tx}, id, loc, cat, now)
		return err
	})
	return got, err
}

// UnlinkIncident takes a duplicate off its case and opens its own.
func (db *DB) UnlinkIncident(ctx context.Context, id cases.IncidentID, cat cases.Category, actor string, now time.Time) (cases.Incident, error) {
	var got cases.Incident
	err := db.write(ctx, "incident", func(tx pgx.Tx) (err error) {
		got, err = store.UnlinkFlow(ctx, caseTx{tx}, id, cat, actor, now)
		return err
	})
	return got, err
}

// Transition moves a case and appends its event in one transaction.
func (db *DB) Transition(ctx context.Context, id cases.CaseID, apply func(cases.Case) (cases.Case, cases.Event, error)) (cases.Case, error) {
	var got cases.Case
	err := db.write(ctx, "case", func(tx pgx.Tx) (err error) {
		got, _, err = store.TransitionFlow(ctx, caseTx{tx}, id, apply)
		return err
	})
	return got, err
}

// Incident reads one incident.
func (db *DB) Incident(ctx context.Context, id cases.IncidentID) (cases.Incident, error) {
	var got cases.Incident
	err := db.read(ctx, func(tx pgx.Tx) (err error) {
		got, err = caseTx{tx}.Incident(ctx, id)
		return err
	})
	return got, err
}

const incidentCols = `id, channel, external_id, category, description, address, reported_at, received_at, reporter,
	media, submitter, located, coalesce(ST_X(geom), 0), coalesce(ST_Y(geom), 0), coalesce(located_by, ''), score, reason,
	street_code, community_code, grid_code, routing, coalesce(case_id, 0), duplicate`

func scanIncident(row pgx.Row) (cases.Incident, error) {
	var in cases.Incident
	var media, routing []byte
	var by string
	err := row.Scan(&in.ID, &in.Channel, &in.ExternalID, &in.Category, &in.Description, &in.Address, &in.ReportedAt,
		&in.ReceivedAt, &in.Reporter, &media, &in.Submitter, &in.Located, &in.Loc[0], &in.Loc[1], &by, &in.Score, &in.Reason,
		&in.Street, &in.Community, &in.Grid, &routing, &in.Case, &in.Duplicate)
	if err != nil {
		return in, err
	}
	in.LocatedBy = cases.LocatedBy(by)
	in.ReportedAt, in.ReceivedAt = in.ReportedAt.UTC(), in.ReceivedAt.UTC()
	if err := json.Unmarshal(media, &in.Media); err != nil {
		return in, err
	}
	return in, json.Unmarshal(routing, &in.Routing)
}

func (t caseTx) Incident(ctx context.Context, id cases.IncidentID) (cases.Incident, error) {
	in, err := scanIncident(t.tx.QueryRow(ctx, `SELECT `+incidentCols+` FROM incidents WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
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
	err := db.read(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, q, args...)
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
	var id cases.IncidentID
	var by *string
	if in.Located {
		s := string(in.LocatedBy)
		by = &s
	}
	err = t.tx.QueryRow(ctx, `INSERT INTO incidents (`+incidentInsertCols+`)
		VALUES (`+incidentInsertVals+`)
		ON CONFLICT (channel, external_id) DO NOTHING RETURNING id`,
		string(in.Channel), in.ExternalID, in.Category, in.Description, in.Address, in.ReportedAt, in.ReceivedAt,
		in.Reporter, media, in.Submitter, in.Located, in.Loc[0], in.Loc[1], by, in.Score, in.Reason, in.Street,
		in.Community, in.Grid, routing).Scan(&id)
	if err == nil {
		return id, true, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return 0, false, err
	}
	// Stored by an earlier or concurrent request (ON CONFLICT waited for
	// it to commit): read its id.
	err = t.tx.QueryRow(ctx, `SELECT id FROM incidents WHERE channel = $1 AND external_id = $2`,
		string(in.Channel), in.ExternalID).Scan(&id)
	return id, false, err
}

// The columns of a new incident and their values as $1–$20, in the order
// InsertIncident passes them.
const (
	incidentInsertCols = `channel, external_id, category, description, address, reported_at,
		received_at, reporter, media, submitter, located, geom, located_by, score, reason, street_code, community_code,
		grid_code, routing`
	incidentInsertVals = `$1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11,
		  CASE WHEN $11 THEN ST_SetSRID(ST_MakePoint($12, $13), 4326) END, $14, $15, $16, $17, $18, $19, $20`
)

func incidentJSON(in *cases.Incident) (media, routing []byte, err error) {
	m := in.Media
	if m == nil {
		m = []string{}
	}
	if media, err = json.Marshal(m); err != nil {
		return nil, nil, err
	}
	r := in.Routing
	if r.Workers == nil {
		r.Workers = []string{}
	}
	routing, err = json.Marshal(r)
	return media, routing, err
}

func (t caseTx) SetIncidentCase(ctx context.Context, id cases.IncidentID, c cases.CaseID, dup bool) error {
	_, err := t.tx.Exec(ctx, `UPDATE incidents SET case_id = $2, duplicate = $3 WHERE id = $1`, id, c, dup)
	return err
}

func (t caseTx) SetIncidentLocation(ctx context.Context, id cases.IncidentID, loc cases.Location) error {
	routing, err := json.Marshal(loc.Routing)
	if err != nil {
		return err
	}
	_, err = t.tx.Exec(ctx, `UPDATE incidents SET located = true, geom = ST_SetSRID(ST_MakePoint($2, $3), 4326),
		located_by = $4, score = $5, reason = '', street_code = $6, community_code = $7, grid_code = $8, routing = $9
		WHERE id = $1`, id, loc.Loc[0], loc.Loc[1], string(loc.LocatedBy), loc.Score, loc.Street, loc.Community, loc.Grid, routing)
	return err
}

// Lock takes transaction-scoped advisory locks on keys' hashes, in
// ascending hash order (one round trip).
func (t caseTx) Lock(ctx context.Context, keys ...string) error {
	_, err := t.tx.Exec(ctx, lockSQL, keys)
	return err
}

const lockSQL = `SELECT pg_advisory_xact_lock(h) FROM (
		SELECT DISTINCT hashtextextended('gridd:' || k, 0) AS h FROM unnest($1::text[]) AS k ORDER BY 1) AS l`

const caseCols = `id, stage, path, category, channel, ST_X(geom), ST_Y(geom), street_code, community_code, grid_code,
	cost_yuan, coalesce(unit, ''), coalesce(department, ''), reported_at, dispatched_at, accepted_at, arrived_at,
	resolved_at, closed_at, evaluated_at, due_at, deadline, escalation, escalate_at, rework, coalesce(satisfaction, 0),
	spot_check, coalesce(void_reason, ''), updated_at`

func scanCase(row pgx.Row) (cases.Case, error) {
	var c cases.Case
	var disp, acc, arr, res, clo, eva, dl, esc *time.Time
	err := row.Scan(&c.ID, &c.Stage, &c.Path, &c.Category, &c.Channel, &c.Loc[0], &c.Loc[1], &c.Street, &c.Community,
		&c.Grid, &c.CostYuan, &c.Unit, &c.Department, &c.ReportedAt, &disp, &acc, &arr, &res, &clo, &eva, &c.DueAt, &dl,
		&c.Escalation, &esc, &c.Rework, &c.Satisfaction, &c.SpotCheck, &c.VoidReason, &c.UpdatedAt)
	if err != nil {
		return c, err
	}
	c.ReportedAt, c.DueAt, c.UpdatedAt = c.ReportedAt.UTC(), c.DueAt.UTC(), c.UpdatedAt.UTC()
	for _, p := range []struct {
		dst *time.Time
		src *time.Time
	}{{&c.DispatchedAt, disp}, {&c.AcceptedAt, acc}, {&c.ArrivedAt, arr}, {&c.ResolvedAt, res}, {&c.ClosedAt, clo},
		{&c.EvaluatedAt, eva}, {&c.Deadline, dl}, {&c.EscalateAt, esc}} {
		if p.src != nil {
			*p.dst = p.src.UTC()
		}
	}
	return c, nil
}

// nt is a nullable time parameter: NULL for the zero time.
func nt(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// ns is a nullable text parameter: NULL for "".
func ns(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func ni(n int) *int {
	if n == 0 {
		return nil
	}
	return &n
}

func (t caseTx) InsertCase(ctx context.Context, c *cases.Case) (cases.CaseID, error) {
	var id cases.CaseID
	err := t.tx.QueryRow(ctx, `INSERT INTO cases (stage, path, category, channel, geom, street_code, community_code,
		grid_code, cost_yuan, unit, department, reported_at, due_at, deadline, escalate_at, updated_at)
		VALUES ($1, $2, $3, $4, ST_SetSRID(ST_MakePoint($5, $6), 4326), $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)
		RETURNING id`,
		string(c.Stage), string(c.Path), c.Category, string(c.Channel), c.Loc[0], c.Loc[1], c.Street, c.Community, c.Grid,
		c.CostYuan, ns(c.Unit), ns(c.Department), c.ReportedAt, c.DueAt, nt(c.Deadline), nt(c.EscalateAt), c.UpdatedAt).Scan(&id)
	return id, err
}

func (t caseTx) CaseForUpdate(ctx context.Context, id cases.CaseID) (cases.Case, error) {
	c, err := scanCase(t.tx.QueryRow(ctx, `SELECT `+caseCols+` FROM cases WHERE id = $1 FOR UPDATE`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return c, errs.E(errs.NotFound, "case", "no case %d", id)
	}
	return c, err
}

func (t caseTx) UpdateCase(ctx context.Context, c *cases.Case) error {
	_, err := t.tx.Exec(ctx, `UPDATE cases SET stage = $2, unit = $3, department = $4, dispatched_at = $5,
		accepted_at = $6, arrived_at = $7, resolved_at = $8, closed_at = $9, evaluated_at = $10, deadline = $11,
		escalation = $12, escalate_at = $13, rework = $14, satisfaction = $15, spot_check = $16, void_reason = $17,
		updated_at = $18, street_code = $19, community_code = $20, grid_code = $21 WHERE id = $1`,
		c.ID, string(c.Stage), ns(c.Unit), ns(c.Department), nt(c.DispatchedAt), nt(c.AcceptedAt), nt(c.ArrivedAt),
		nt(c.ResolvedAt), nt(c.ClosedAt), nt(c.EvaluatedAt), nt(c.Deadline), c.Escalation, nt(c.EscalateAt), c.Rework,
		ni(c.Satisfaction), c.SpotCheck, ns(c.VoidReason), c.UpdatedAt, c.Street, c.Community, c.Grid)
	return err
}

func (t caseTx) AppendEvent(ctx context.Context, ev *cases.Event) (int, error) {
	var seq int
	err := t.tx.QueryRow(ctx, `INSERT INTO case_events (case_id, seq, action, from_stage, to_stage, actor, role, at,
		note, unit, department, ok, satisfaction, incident_id)
		SELECT $1, coalesce(max(seq), 0) + 1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13
		FROM case_events WHERE case_id = $1 RETURNING seq`,
		ev.Case, string(ev.Action), ns(string(ev.From)), string(ev.To), ev.Actor, ev.Role, ev.At, ev.Note, ns(ev.Unit),
		ns(ev.Department), ev.OK, ni(ev.Satisfaction), ni(int(ev.Incident))).Scan(&seq)
	return seq, err
}

func (t caseTx) OpenCasesNear(ctx context.Context, category string, p orb.Point, radiusM float64, since time.Time) ([]cases.Case, error) {
	// A few metres more than radiusM: the spheroid distance ST_DWithin
	// measures and the sphere the flow checks with differ slightly.
	// The box lets the GiST index narrow first; the geography test is exact.
	q, args := nearQuery(category, p, radiusM, since)
	rows, err := t.tx.Query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	return collectCases(rows)
}

// nearQuery is the duplicate query. Its category and time tests are
// written so no btree index can serve them (an expression on category,
// IS TRUE around the time test): the GiST box is the only index path. Without statistics (a
// new database, before autovacuum's first analyze) the planner otherwise
// picks cases_open_category and reads every open case of the category,
// and each connection keeps that plan cached (docs/perf.md).
func nearQuery(category string, p orb.Point, radiusM float64, since time.Time) (string, []any) {
	dLat := (radiusM + 5) / 111195.0
	dLon := dLat / math.Max(math.Cos(p[1]*math.Pi/180), 0.01)
	return `SELECT ` + caseCols + ` FROM cases
		WHERE (category || '') = $1 AND stage IN ('reported', 'filed', 'dispatched', 'handling', 'resolved') AND (reported_at >= $2) IS TRUE
		  AND geom && ST_MakeEnvelope($3::float8 - $6::float8, $4::float8 - $7::float8, $3::float8 + $6::float8, $4::float8 + $7::float8, 4326)
		  AND ST_DWithin(geom::geography, ST_SetSRID(ST_MakePoint($3, $4), 4326)::geography, $5)`,
		[]any{category, since, p[0], p[1], radiusM + 5, dLon, dLat}
}

func collectCases(rows pgx.Rows) ([]cases.Case, error) {
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
	err := t.tx.QueryRow(ctx, `SELECT id FROM cases WHERE unit = $1 AND stage IN ('dispatched', 'handling') AND id <> $2`,
		unit, except).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, false, nil
	}
	return id, err == nil, err
}

// Case reads a case with its incidents and events.
func (db *DB) Case(ctx context.Context, id cases.CaseID) (cases.Case, error) {
	var c cases.Case
	err := db.read(ctx, func(tx pgx.Tx) error {
		var err error
		c, err = scanCase(tx.QueryRow(ctx, `SELECT `+caseCols+` FROM cases WHERE id = $1`, id))
		if errors.Is(err, pgx.ErrNoRows) {
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

func caseIncidents(ctx context.Context, tx pgx.Tx, id cases.CaseID) ([]cases.IncidentID, error) {
	rows, err := tx.Query(ctx, `SELECT id FROM incidents WHERE case_id = $1 ORDER BY id`, id)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[cases.IncidentID])
}

func caseEvents(ctx context.Context, tx pgx.Tx, id cases.CaseID) ([]cases.Event, error) {
	rows, err := tx.Query(ctx, `SELECT seq, action, coalesce(from_stage, ''), to_stage, actor, role, at, note,
		coalesce(unit, ''), coalesce(department, ''), ok, coalesce(satisfaction, 0), coalesce(incident_id, 0)
		FROM case_events WHERE case_id = $1 ORDER BY seq`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []cases.Event
	for rows.Next() {
		ev := cases.Event{Case: id}
		if err := rows.Scan(&ev.Seq, &ev.Action, &ev.From, &ev.To, &ev.Actor, &ev.Role, &ev.At, &ev.Note, &ev.Unit,
			&ev.Department, &ev.OK, &ev.Satisfaction, &ev.Incident); err != nil {
			return nil, err
		}
		ev.At = ev.At.UTC()
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
	err := db.read(ctx, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM cases WHERE `+cond, args...).Scan(&n); err != nil {
			return err
		}
		page := `SELECT ` + caseCols + ` FROM cases WHERE ` + cond + ` ORDER BY id LIMIT ` + w.Arg(sqlwhere.Limit(f.Limit)) +
			` OFFSET ` + w.Arg(f.Offset)
		rows, err := tx.Query(ctx, page, w.Args...)
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
	err := db.read(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT id FROM cases WHERE escalate_at <= $1
			AND stage IN ('reported', 'filed', 'dispatched', 'handling', 'resolved') ORDER BY escalate_at, id LIMIT $2`,
			now, sqlwhere.Limit(limit))
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, pgx.RowTo[cases.CaseID])
		return err
	})
	return out, err
}
