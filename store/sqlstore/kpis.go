package sqlstore

import (
	"context"

	"github.com/gridd/gridd/cases"
	"github.com/gridd/gridd/store/sqlq"
	"github.com/gridd/gridd/store/sqlwhere"
)

// KPIsDialect is what the KPIs' totals say differently: how a count of
// the rows where a condition holds and a median are aggregated.
type KPIsDialect interface {
	sqlwhere.Dialect
	// CountIf is the aggregate counting the rows where cond holds.
	CountIf(cond string) string
	// MedianMinutes is the median, -1 for none, of the minutes from column
	// a to column b over the selected cases (sel, with the totals' bound
	// arguments) where both are set.
	MedianMinutes(a, b, sel string) string
}

// KPIsSelection checks q and answers the condition that selects its cases
// with its arguments ($1 AsOf, the time "due" is judged at, then the
// selection's), and the figures to fill with their maps made.
func KPIsSelection(d sqlwhere.Dialect, q cases.KPIQuery) (sel string, args []any, k cases.KPIs, err error) {
	if err := q.Validate(); err != nil {
		return "", nil, k, err
	}
	w := sqlwhere.KPIs(d, q)
	k.ByChannel, k.ByCategory = map[string]int{}, map[string]int{}
	return w.SQL(), w.Args, k, nil
}

// KPITotals computes the counts, rates, medians and satisfaction of the
// selected cases (KPIsSelection) in one statement; the definitions are
// cases.ComputeKPIs'.
func KPITotals(ctx context.Context, tx sqlq.Tx, d KPIsDialect, sel string, args []any, k *cases.KPIs) error {
	var closedOnTime, reworked, onSite int
	var satMean *float64
	err := tx.QueryRow(ctx, `SELECT count(*),
		`+d.CountIf("closed_at IS NOT NULL")+`,
		`+d.CountIf("closed_at IS NOT NULL OR due_at <= $1")+`,
		`+d.CountIf("closed_at <= due_at")+`,
		`+d.CountIf("closed_at IS NOT NULL AND rework > 0")+`,
		`+d.CountIf("path = 'on_site'")+`,
		`+d.MedianMinutes("reported_at", "dispatched_at", sel)+`,
		`+d.MedianMinutes("dispatched_at", "accepted_at", sel)+`,
		`+d.MedianMinutes("dispatched_at", "arrived_at", sel)+`,
		`+d.MedianMinutes("reported_at", "closed_at", sel)+`,
		avg(satisfaction), count(satisfaction)
		FROM cases WHERE `+sel, args...).Scan(&k.Cases, &k.Closed, &k.Due, &closedOnTime, &reworked, &onSite,
		&k.Median.Dispatch, &k.Median.Accept, &k.Median.Arrive, &k.Median.Close, &satMean, &k.Satisfaction.Count)
	if err != nil {
		return err
	}
	k.ClosureRate, k.OnTimeRate = ratio(k.Closed, k.Due), ratio(closedOnTime, k.Due)
	k.ReworkRate, k.OnSiteShare = ratio(reworked, k.Closed), ratio(onSite, k.Cases)
	if satMean != nil {
		k.Satisfaction.Mean = *satMean
	}
	return nil
}

func ratio(n, d int) float64 {
	if d == 0 {
		return 0
	}
	return float64(n) / float64(d)
}
