package sqlstore

import (
	"context"
	"encoding/json"
	"math"
	"time"

	"github.com/paulmach/orb"

	"github.com/gridd/gridd/cases"
	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/store"
	"github.com/gridd/gridd/store/sqlq"
	"github.com/gridd/gridd/store/sqlwhere"
)

// CasesDialect is what the cases' and incidents' SQL says differently on
// each backend: where a row's point is, how a read locks its row, how the
// flows' keys are locked and how open cases near a point are found.
type CasesDialect interface {
	sqlwhere.Dialect
	TimeDialect
	// PointXY is the SQL of the row's longitude and latitude (NULL for a
	// row without a point).
	PointXY() (x, y string)
	// InsertPoint is the column list that stores a point and its values
	// from the placeholders x and y (no point when they bind NULL).
	InsertPoint(x, y string) (cols, vals string)
	// SetPoint is the assignment that moves the row's point to (x, y).
	SetPoint(x, y string) string
	// ForUpdate ends a read that locks the row it reads ("" where writes
	// are serialised anyway).
	ForUpdate() string
	// Lock is store.CaseTx.Lock.
	Lock(ctx context.Context, tx sqlq.Tx, keys []string) error
	// NearCases is the condition of store.CaseTx.OpenCasesNear on the
	// cases table, with its arguments (the $n they are bound to).
	NearCases(category string, p orb.Point, radiusM float64, since time.Time) (cond string, args []any)
}

// NearMargins are the half sides, in degrees, of a box around p that
// holds the circle of radiusM metres with a few metres to spare (the
// spheroid distance a backend may measure and the sphere the flow checks
// with differ slightly).
func NearMargins(p orb.Point, radiusM float64) (dLon, dLat float64) {
	dLat = (radiusM + 5) / 111195.0
	return dLat / math.Max(math.Cos(p[1]*math.Pi/180), 0.01), dLat
}

// openStages is the SQL list of the stages of an open case.
const openStages = `('reported', 'filed', 'dispatched', 'handling', 'resolved')`

// IncidentCols is the select list scanIncident reads.
func IncidentCols(d CasesDialect) string {
	x, y := d.PointXY()
	return `id, channel, external_id, category, description, address, reported_at, received_at, reporter,
	media, submitter, located, coalesce(` + x + `, 0), coalesce(` + y + `, 0), coalesce(located_by, ''), score, reason,
	street_code, community_code, grid_code, routing, coalesce(case_id, 0), duplicate`
}

// CaseCols is the select list ScanCase reads.
func CaseCols(d CasesDialect) string {
	x, y := d.PointXY()
	return `id, stage, path, category, channel, ` + x + `, ` + y + `, street_code, community_code, grid_code,
	cost_yuan, coalesce(unit, ''), coalesce(department, ''), reported_at, dispatched_at, accepted_at, arrived_at,
	resolved_at, closed_at, evaluated_at, due_at, deadline, escalation, escalate_at, rework, coalesce(satisfaction, 0),
	spot_check, coalesce(void_reason, ''), updated_at`
}

// NearQuery is the query of store.CaseTx.OpenCasesNear.
func NearQuery(d CasesDialect, category string, p orb.Point, radiusM float64, since time.Time) (string, []any) {
	cond, args := d.NearCases(category, p, radiusM, since)
	return `SELECT ` + CaseCols(d) + ` FROM cases
		WHERE ` + cond, args
}

func scanIncident(d CasesDialect, row sqlq.Row) (cases.Incident, error) {
	var in cases.Incident
	var media, routing []byte
	var by string
	err := row.Scan(&in.ID, &in.Channel, &in.ExternalID, &in.Category, &in.Description, &in.Address,
		d.ScanTime(&in.ReportedAt), d.ScanTime(&in.ReceivedAt), &in.Reporter, &media, &in.Submitter, &in.Located,
		&in.Loc[0], &in.Loc[1], &by, &in.Score, &in.Reason, &in.Street, &in.Community, &in.Grid, &routing, &in.Case,
		&in.Duplicate)
	if err != nil {
		return in, err
	}
	in.LocatedBy = cases.LocatedBy(by)
	if err := json.Unmarshal(media, &in.Media); err != nil {
		return in, err
	}
	return in, json.Unmarshal(routing, &in.Routing)
}

// ScanCase reads a row of CaseCols.
func ScanCase(d CasesDialect, row sqlq.Row) (cases.Case, error) {
	var c cases.Case
	err := row.Scan(&c.ID, &c.Stage, &c.Path, &c.Category, &c.Channel, &c.Loc[0], &c.Loc[1], &c.Street, &c.Community,
		&c.Grid, &c.CostYuan, &c.Unit, &c.Department, d.ScanTime(&c.ReportedAt), d.ScanTime(&c.DispatchedAt),
		d.ScanTime(&c.AcceptedAt), d.ScanTime(&c.ArrivedAt), d.ScanTime(&c.ResolvedAt), d.ScanTime(&c.ClosedAt),
		d.ScanTime(&c.EvaluatedAt), d.ScanTime(&c.DueAt), d.ScanTime(&c.Deadline), &c.Escalation,
		d.ScanTime(&c.EscalateAt), &c.Rework, &c.Satisfaction, &c.SpotCheck, &c.VoidReason, d.ScanTime(&c.UpdatedAt))
	return c, err
}

// CaseScanner is ScanCase in d, for sqlq.Collect.
func CaseScanner(d CasesDialect) func(sqlq.Row) (cases.Case, error) {
	return func(r sqlq.Row) (cases.Case, error) { return ScanCase(d, r) }
}

// IncidentJSON is the stored JSON of in's media and routing (lists never
// null).
func IncidentJSON(in *cases.Incident) (media, routing string, err error) {
	m := in.Media
	if m == nil {
		m = []string{}
	}
	mb, err := json.Marshal(m)
	if err != nil {
		return "", "", err
	}
	rb, err := routingJSON(in.Routing)
	return string(mb), rb, err
}

func routingJSON(r cases.Routing) (string, error) {
	if r.Workers == nil {
		r.Workers = []string{}
	}
	b, err := json.Marshal(r)
	return string(b), err
}

// IncidentArgs are the values of a new incident in the order of
// InsertIncident's columns ($1–$20); a point only when located.
func IncidentArgs(in *cases.Incident, d TimeDialect) ([]any, error) {
	media, routing, err := IncidentJSON(in)
	if err != nil {
		return nil, err
	}
	var lon, lat, by any
	if in.Located {
		lon, lat, by = in.Loc[0], in.Loc[1], string(in.LocatedBy)
	}
	return []any{string(in.Channel), in.ExternalID, in.Category, in.Description, in.Address, d.Time(in.ReportedAt),
		d.Time(in.ReceivedAt), in.Reporter, media, in.Submitter, in.Located, lon, lat, by, in.Score, in.Reason,
		in.Street, in.Community, in.Grid, routing}, nil
}

// CaseArgs are the values of a new case in the order of InsertCase's
// columns (17).
func CaseArgs(c *cases.Case, d TimeDialect) []any {
	return []any{string(c.Stage), string(c.Path), c.Category, string(c.Channel), c.Loc[0], c.Loc[1], c.Street,
		c.Community, c.Grid, c.CostYuan, nullText(c.Unit), nullText(c.Department), d.Time(c.ReportedAt),
		d.Time(c.DueAt), nullTime(d, c.Deadline), nullTime(d, c.EscalateAt), d.Time(c.UpdatedAt)}
}

// EventArgs are the values of a case event from action to satisfaction
// (11), in the order of AppendEvent's columns.
func EventArgs(ev *cases.Event, d TimeDialect) []any {
	return []any{string(ev.Action), nullText(string(ev.From)), string(ev.To), ev.Actor, ev.Role, d.Time(ev.At), ev.Note,
		nullText(ev.Unit), nullText(ev.Department), ev.OK, nullInt(ev.Satisfaction)}
}

// IncidentByKey reads the id of the incident stored under in's channel
// and external id.
func IncidentByKey(ctx context.Context, tx sqlq.Tx, in *cases.Incident) (cases.IncidentID, error) {
	var id cases.IncidentID
	err := tx.QueryRow(ctx, `SELECT id FROM incidents WHERE channel = $1 AND external_id = $2`,
		string(in.Channel), in.ExternalID).Scan(&id)
	return id, err
}

// CaseTx is store.CaseTx in dialect D.
type CaseTx struct {
	Tx sqlq.Tx
	D  CasesDialect
}

var _ store.CaseTx = CaseTx{}

// Incident reads one incident (NotFound naming "incident").
func (t CaseTx) Incident(ctx context.Context, id cases.IncidentID) (cases.Incident, error) {
	in, err := scanIncident(t.D, t.Tx.QueryRow(ctx, `SELECT `+IncidentCols(t.D)+` FROM incidents WHERE id = $1`, id))
	if ok, err := sqlq.Found(err); !ok && err == nil {
		return in, errs.E(errs.NotFound, "incident", "no incident %d", id)
	}
	return in, err
}

// InsertIncident is store.CaseTx.InsertIncident: ON CONFLICT DO NOTHING
// waits for a concurrent insert of the key to commit, then the stored
// incident's id is read.
func (t CaseTx) InsertIncident(ctx context.Context, in *cases.Incident) (cases.IncidentID, bool, error) {
	args, err := IncidentArgs(in, t.D)
	if err != nil {
		return 0, false, err
	}
	cols, vals := t.D.InsertPoint("$12", "$13")
	var id cases.IncidentID
	err = t.Tx.QueryRow(ctx, `INSERT INTO incidents (channel, external_id, category, description, address,
		reported_at, received_at, reporter, media, submitter, located, `+cols+`, located_by, score, reason, street_code,
		community_code, grid_code, routing) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, `+vals+`, $14, $15,
		$16, $17, $18, $19, $20)
		ON CONFLICT (channel, external_id) DO NOTHING RETURNING id`, args...).Scan(&id)
	created, err := sqlq.Found(err)
	if err != nil || created {
		return id, created, err
	}
	id, err = IncidentByKey(ctx, t.Tx, in)
	return id, false, err
}

// SetIncidentCase is store.CaseTx.SetIncidentCase.
func (t CaseTx) SetIncidentCase(ctx context.Context, id cases.IncidentID, c cases.CaseID, dup bool) error {
	_, err := t.Tx.Exec(ctx, `UPDATE incidents SET case_id = $2, duplicate = $3 WHERE id = $1`, id, c, dup)
	return err
}

// SetIncidentLocation is store.CaseTx.SetIncidentLocation.
func (t CaseTx) SetIncidentLocation(ctx context.Context, id cases.IncidentID, loc cases.Location) error {
	routing, err := routingJSON(loc.Routing)
	if err != nil {
		return err
	}
	_, err = t.Tx.Exec(ctx, `UPDATE incidents SET located = true, `+t.D.SetPoint("$2", "$3")+`, located_by = $4,
		score = $5, reason = '', street_code = $6, community_code = $7, grid_code = $8, routing = $9 WHERE id = $1`,
		id, loc.Loc[0], loc.Loc[1], string(loc.LocatedBy), loc.Score, loc.Street, loc.Community, loc.Grid, routing)
	return err
}

// Lock is store.CaseTx.Lock, the dialect's.
func (t CaseTx) Lock(ctx context.Context, keys ...string) error { return t.D.Lock(ctx, t.Tx, keys) }

// InsertCase is store.CaseTx.InsertCase.
func (t CaseTx) InsertCase(ctx context.Context, c *cases.Case) (cases.CaseID, error) {
	cols, vals := t.D.InsertPoint("$5", "$6")
	var id cases.CaseID
	err := t.Tx.QueryRow(ctx, `INSERT INTO cases (stage, path, category, channel, `+cols+`, street_code,
		community_code, grid_code, cost_yuan, unit, department, reported_at, due_at, deadline, escalate_at, updated_at)
		VALUES ($1, $2, $3, $4, `+vals+`, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) RETURNING id`,
		CaseArgs(c, t.D)...).Scan(&id)
	return id, err
}

// CaseForUpdate is store.CaseTx.CaseForUpdate (NotFound naming "case").
func (t CaseTx) CaseForUpdate(ctx context.Context, id cases.CaseID) (cases.Case, error) {
	return readCase(ctx, t.Tx, t.D, id, t.D.ForUpdate())
}

func readCase(ctx context.Context, tx sqlq.Tx, d CasesDialect, id cases.CaseID, lock string) (cases.Case, error) {
	c, err := ScanCase(d, tx.QueryRow(ctx, `SELECT `+CaseCols(d)+` FROM cases WHERE id = $1`+lock, id))
	if ok, err := sqlq.Found(err); !ok && err == nil {
		return c, errs.E(errs.NotFound, "case", "no case %d", id)
	}
	return c, err
}

// UpdateCase is store.CaseTx.UpdateCase.
func (t CaseTx) UpdateCase(ctx context.Context, c *cases.Case) error {
	d := t.D
	_, err := t.Tx.Exec(ctx, `UPDATE cases SET stage = $2, unit = $3, department = $4, dispatched_at = $5,
		accepted_at = $6, arrived_at = $7, resolved_at = $8, closed_at = $9, evaluated_at = $10, deadline = $11,
		escalation = $12, escalate_at = $13, rework = $14, satisfaction = $15, spot_check = $16, void_reason = $17,
		updated_at = $18, street_code = $19, community_code = $20, grid_code = $21 WHERE id = $1`,
		c.ID, string(c.Stage), nullText(c.Unit), nullText(c.Department), nullTime(d, c.DispatchedAt),
		nullTime(d, c.AcceptedAt), nullTime(d, c.ArrivedAt), nullTime(d, c.ResolvedAt), nullTime(d, c.ClosedAt),
		nullTime(d, c.EvaluatedAt), nullTime(d, c.Deadline), c.Escalation, nullTime(d, c.EscalateAt), c.Rework,
		nullInt(c.Satisfaction), c.SpotCheck, nullText(c.VoidReason), d.Time(c.UpdatedAt), c.Street, c.Community, c.Grid)
	return err
}

// AppendEvent is store.CaseTx.AppendEvent: the next seq of the case.
func (t CaseTx) AppendEvent(ctx context.Context, ev *cases.Event) (int, error) {
	args := append([]any{ev.Case}, EventArgs(ev, t.D)...)
	args = append(args, nullInt(int(ev.Incident)))
	var seq int
	err := t.Tx.QueryRow(ctx, `INSERT INTO case_events (case_id, seq, action, from_stage, to_stage, actor, role, at,
		note, unit, department, ok, satisfaction, incident_id)
		SELECT $1, coalesce(max(seq), 0) + 1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13
		FROM case_events WHERE case_id = $1 RETURNING seq`, args...).Scan(&seq)
	return seq, err
}

// OpenCasesNear is store.CaseTx.OpenCasesNear.
func (t CaseTx) OpenCasesNear(ctx context.Context, category string, p orb.Point, radiusM float64, since time.Time) ([]cases.Case, error) {
	q, args := NearQuery(t.D, category, p, radiusM, since)
	return sqlq.Collect(ctx, t.Tx, CaseScanner(t.D), q, args...)
}

// UnitHolder is store.CaseTx.UnitHolder.
func (t CaseTx) UnitHolder(ctx context.Context, unit string, except cases.CaseID) (cases.CaseID, bool, error) {
	var id cases.CaseID
	ok, err := sqlq.Found(t.Tx.QueryRow(ctx, `SELECT id FROM cases WHERE unit = $1 AND stage IN ('dispatched', 'handling') AND id <> $2`,
		unit, except).Scan(&id))
	return id, ok, err
}

// CaseStore is cases.Store's operations over a backend's Runner in dialect D.
type CaseStore struct {
	Run Runner
	D   CasesDialect
	// WriteCase, when set, runs fn in a write transaction with the
	// backend's own store.CaseTx (one that does more, as
	// store.AttachedInserter); when nil, fn gets CaseTx in Run.Write.
	WriteCase func(ctx context.Context, what string, fn func(tx store.CaseTx) error) error
}

func (s CaseStore) writeCase(ctx context.Context, what string, fn func(tx store.CaseTx) error) error {
	if s.WriteCase != nil {
		return s.WriteCase(ctx, what, fn)
	}
	return s.Run.Write(ctx, what, func(tx sqlq.Tx) error { return fn(CaseTx{Tx: tx, D: s.D}) })
}

// Intake stores an incident (or finds the stored one) and attaches it to a
// case, in one transaction.
func (s CaseStore) Intake(ctx context.Context, in *cases.Incident, cat cases.Category, now time.Time) (cases.Incident, bool, error) {
	var got cases.Incident
	var created bool
	err := s.writeCase(ctx, "incident", func(tx store.CaseTx) (err error) {
		got, created, err = store.IntakeFlow(ctx, tx, in, cat, now)
		return err
	})
	return got, created, err
}

// LocateIncident locates a queued incident and attaches it to a case.
func (s CaseStore) LocateIncident(ctx context.Context, id cases.IncidentID, loc cases.Location, cat cases.Category, now time.Time) (cases.Incident, error) {
	var got cases.Incident
	err := s.writeCase(ctx, "incident", func(tx store.CaseTx) (err error) {
		got, err = store.LocateFlow(ctx, tx, id, loc, cat, now)
		return err
	})
	return got, err
}

// UnlinkIncident takes a duplicate off its case and opens its own.
func (s CaseStore) UnlinkIncident(ctx context.Context, id cases.IncidentID, cat cases.Category, actor string, now time.Time) (cases.Incident, error) {
	var got cases.Incident
	err := s.writeCase(ctx, "incident", func(tx store.CaseTx) (err error) {
		got, err = store.UnlinkFlow(ctx, tx, id, cat, actor, now)
		return err
	})
	return got, err
}

// Transition moves a case and appends its event in one transaction.
func (s CaseStore) Transition(ctx context.Context, id cases.CaseID, apply func(cases.Case) (cases.Case, cases.Event, error)) (cases.Case, error) {
	var got cases.Case
	err := s.writeCase(ctx, "case", func(tx store.CaseTx) (err error) {
		got, _, err = store.TransitionFlow(ctx, tx, id, apply)
		return err
	})
	return got, err
}

// Incident reads one incident.
func (s CaseStore) Incident(ctx context.Context, id cases.IncidentID) (cases.Incident, error) {
	return read(ctx, s.Run, func(tx sqlq.Tx) (cases.Incident, error) { return CaseTx{Tx: tx, D: s.D}.Incident(ctx, id) })
}

// Incidents lists incidents by id.
func (s CaseStore) Incidents(ctx context.Context, f cases.IncidentFilter) ([]cases.Incident, error) {
	w := sqlwhere.Incidents(s.D, f)
	q := `SELECT ` + IncidentCols(s.D) + ` FROM incidents WHERE ` + w.SQL() + ` ORDER BY id LIMIT ` + w.Arg(sqlwhere.Limit(f.Limit))
	return read(ctx, s.Run, func(tx sqlq.Tx) ([]cases.Incident, error) {
		return sqlq.Collect(ctx, tx, func(r sqlq.Row) (cases.Incident, error) { return scanIncident(s.D, r) }, q, w.Args...)
	})
}

// Case reads a case with its incidents and events.
func (s CaseStore) Case(ctx context.Context, id cases.CaseID) (cases.Case, error) {
	return read(ctx, s.Run, func(tx sqlq.Tx) (cases.Case, error) {
		c, err := readCase(ctx, tx, s.D, id, "")
		if err != nil {
			return c, err
		}
		if c.Incidents, err = sqlq.Collect(ctx, tx, scanID[cases.IncidentID],
			`SELECT id FROM incidents WHERE case_id = $1 ORDER BY id`, id); err != nil {
			return c, err
		}
		c.Events, err = sqlq.Collect(ctx, tx, func(r sqlq.Row) (cases.Event, error) {
			ev := cases.Event{Case: id}
			return ev, r.Scan(&ev.Seq, &ev.Action, &ev.From, &ev.To, &ev.Actor, &ev.Role, s.D.ScanTime(&ev.At), &ev.Note,
				&ev.Unit, &ev.Department, &ev.OK, &ev.Satisfaction, &ev.Incident)
		}, `SELECT seq, action, coalesce(from_stage, ''), to_stage, actor, role, at, note,
		coalesce(unit, ''), coalesce(department, ''), ok, coalesce(satisfaction, 0), coalesce(incident_id, 0)
		FROM case_events WHERE case_id = $1 ORDER BY seq`, id)
		return c, err
	})
}

// scanID reads a row of one id.
func scanID[T any](r sqlq.Row) (T, error) {
	var id T
	return id, r.Scan(&id)
}

// Cases lists cases by id and counts the match.
func (s CaseStore) Cases(ctx context.Context, f cases.CaseFilter) ([]cases.Case, int, error) {
	w := sqlwhere.Cases(s.D, f)
	cond, args := w.SQL(), w.Args
	var out []cases.Case
	var n int
	err := s.Run.Read(ctx, func(tx sqlq.Tx) error {
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM cases WHERE `+cond, args...).Scan(&n); err != nil {
			return err
		}
		page := `SELECT ` + CaseCols(s.D) + ` FROM cases WHERE ` + cond + ` ORDER BY id LIMIT ` + w.Arg(sqlwhere.Limit(f.Limit)) +
			` OFFSET ` + w.Arg(f.Offset)
		var err error
		out, err = sqlq.Collect(ctx, tx, CaseScanner(s.D), page, w.Args...)
		return err
	})
	return out, n, err
}

// EscalationsDue lists the open cases the escalation loop must escalate.
func (s CaseStore) EscalationsDue(ctx context.Context, now time.Time, limit int) ([]cases.CaseID, error) {
	return read(ctx, s.Run, func(tx sqlq.Tx) ([]cases.CaseID, error) {
		return sqlq.Collect(ctx, tx, scanID[cases.CaseID], `SELECT id FROM cases WHERE escalate_at <= $1
			AND stage IN `+openStages+` ORDER BY escalate_at, id LIMIT $2`, s.D.Time(now), sqlwhere.Limit(limit))
	})
}
