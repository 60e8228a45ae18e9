// Package sqlwhere writes the WHERE clauses of the cases and incidents
// listings and of the KPIs once for both store backends. What a filter
// means (which column, which comparison, which stages are open) is said
// here; a Dialect says only how the backend writes a parameter, a time and
// "the point lies in this box".
package sqlwhere

import (
	"strings"
	"time"

	"github.com/paulmach/orb"

	"github.com/gridd/gridd/cases"
)

// Dialect is how one backend writes the parts of a condition that differ.
type Dialect interface {
	// Placeholder is the n-th (from 1) bound parameter: "$n" or "?".
	Placeholder(n int) string
	// Time is a time as the backend binds it.
	Time(t time.Time) any
	// InBox is the condition that the row's point lies in the closed box
	// b, with arg binding each number.
	InBox(b orb.Bound, arg func(any) string) string
}

// Where collects conditions joined by AND and their bound arguments, in
// order.
type Where struct {
	d     Dialect
	conds []string
	Args  []any
}

// New starts an empty condition (true) for d.
func New(d Dialect) *Where { return &Where{d: d} }

// Arg binds v and answers its placeholder.
func (w *Where) Arg(v any) string {
	w.Args = append(w.Args, v)
	return w.d.Placeholder(len(w.Args))
}

// Add appends a condition written with Arg's placeholders.
func (w *Where) Add(cond string) { w.conds = append(w.conds, cond) }

// Eq adds col = v unless v is empty (an unset filter).
func (w *Where) Eq(col, v string) {
	if v != "" {
		w.Add(col + " = " + w.Arg(v))
	}
}

// SQL is the conjunction, "1 = 1" when there is no condition.
func (w *Where) SQL() string {
	if len(w.conds) == 0 {
		return "1 = 1"
	}
	return strings.Join(w.conds, " AND ")
}

// openStages is the SQL list of the stages of a case not yet closed.
const openStages = `('reported', 'filed', 'dispatched', 'handling', 'resolved')`

// Cases is the condition of a cases listing (the cases table's columns;
// the page, LIMIT and OFFSET, is the caller's).
func Cases(d Dialect, f cases.CaseFilter) *Where {
	w := New(d)
	w.Eq("stage", string(f.Stage))
	w.Eq("street_code", f.Street)
	w.Eq("community_code", f.Community)
	w.Eq("grid_code", f.Grid)
	w.Eq("category", f.Category)
	w.Eq("channel", string(f.Channel))
	w.Eq("unit", f.Unit)
	w.Eq("department", f.Department)
	if !f.OverdueAt.IsZero() {
		w.Add("stage IN " + openStages + " AND deadline < " + w.Arg(d.Time(f.OverdueAt)))
	}
	if f.BBox != nil {
		w.Add(d.InBox(*f.BBox, w.Arg))
	}
	if !f.From.IsZero() {
		w.Add("reported_at >= " + w.Arg(d.Time(f.From)))
	}
	if !f.To.IsZero() {
		w.Add("reported_at < " + w.Arg(d.Time(f.To)))
	}
	return w
}

// Incidents is the condition of an incidents listing, which pages by id
// (after f.AfterID).
func Incidents(d Dialect, f cases.IncidentFilter) *Where {
	w := New(d)
	w.Add("id > " + w.Arg(int64(f.AfterID)))
	if f.Located != nil {
		w.Add("located = " + w.Arg(*f.Located))
	}
	w.Eq("submitter", f.Submitter)
	w.Eq("channel", string(f.Channel))
	if f.Case != 0 {
		w.Add("case_id = " + w.Arg(int64(f.Case)))
	}
	return w
}

// levelColumn is the cases column a KPI level filters on.
var levelColumn = map[cases.Level]string{
	cases.LevelStreet: "street_code", cases.LevelCommunity: "community_code", cases.LevelGrid: "grid_code",
}

// KPIs is the condition selecting the cases of q (void ones left out),
// cases.KPIQuery.InArea's rule. AsOf is bound first, so the caller's
// queries can name it as the first placeholder.
func KPIs(d Dialect, q cases.KPIQuery) *Where {
	w := New(d)
	w.Arg(d.Time(q.AsOf))
	w.Add("stage <> 'void'")
	w.Add("reported_at >= " + w.Arg(d.Time(q.From)))
	w.Add("reported_at < " + w.Arg(d.Time(q.To)))
	if col, ok := levelColumn[q.Level]; ok {
		w.Add(col + " = " + w.Arg(q.Code))
	}
	if q.BBox != nil {
		w.Add(d.InBox(*q.BBox, w.Arg))
	}
	return w
}

// Limit is a page size: n, or 100 when n is not positive.
func Limit(n int) int {
	if n <= 0 {
		return 100
	}
	return n
}
