package cases_test

import (
	"fmt"
	"time"

	"github.com/paulmach/orb"

	"github.com/gridd/gridd/cases"
)

// An on-site case from report to close, and an action the stage does not allow.
func ExampleApply() {
	cats, _ := cases.DefaultCategories()
	cat, _ := cats.Get("str_illegal_parking")
	t0 := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	in := &cases.Incident{ID: 1, Channel: cases.Patrol, Category: cat.Code, ReportedAt: t0, Located: true, Loc: orb.Point{118.62, 32.06}}
	c, _ := cases.Open(in, cat, t0)
	fmt.Println(c.Stage, c.Deadline.Format(time.TimeOnly))
	for _, cmd := range []cases.Command{{Action: cases.ActFile}, {Action: cases.ActDispatch, Unit: "P11"}, {Action: cases.ActAccept}} {
		c, _, _ = cases.Apply(c, cmd, cat, t0.Add(5*time.Minute))
		fmt.Println(c.Stage, c.Unit, c.Deadline.Format(time.TimeOnly))
	}
	_, _, err := cases.Apply(c, cases.Command{Action: cases.ActEvaluate, Satisfaction: 5}, cat, t0)
	fmt.Println(err)
	// Output:
	// reported 08:30:00
	// filed  08:30:00
	// dispatched P11 09:05:00
	// handling P11 09:05:00
	// conflict: action: evaluate is not allowed on a case at handling; allowed: arrive, resolve, escalate, void
}
