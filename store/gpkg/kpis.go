package gpkg

import (
	"context"
	"database/sql"

	"github.com/gridd/gridd/cases"
	"github.com/gridd/gridd/store/sqlwhere"
)

// minutesBetween is SQL for the minutes from column a to column b.
func minutesBetween(a, b string) string {
	return `(unixepoch(` + b + `, 'subsec') - unixepoch(` + a + `, 'subsec')) / 60.0`
}

// KPIs computes the figures of q in SQL, in one snapshot; the definitions
// are cases.ComputeKPIs'. SQLite has no median aggregate: medianSQL ranks
// the values with window functions.
func (db *DB) KPIs(ctx context.Context, q cases.KPIQuery) (cases.KPIs, error) {
	if err := q.Validate(); err != nil {
		return cases.KPIs{}, err
	}
	// ?1 is AsOf (the time "due" is judged at), then the selection's.
	w := sqlwhere.KPIs(whereDialect{}, q)
	sel, args := w.SQL(), w.Args
	var k cases.KPIs
	k.ByChannel, k.ByCategory = map[string]int{}, map[string]int{}
	err := db.read(ctx, func(tx *sql.Tx) error {
		var closedOnTime, reworked, onSite int
		var satMean sql.NullFloat64
		err := tx.QueryRowContext(ctx, `SELECT count(*), count(closed_at),
			coalesce(sum(closed_at IS NOT NULL OR due_at <= ?1), 0),
			coalesce(sum(closed_at IS NOT NULL AND closed_at <= due_at), 0),
			coalesce(sum(closed_at IS NOT NULL AND rework > 0), 0),
			coalesce(sum(path = 'on_site'), 0),
			avg(satisfaction), count(satisfaction)
			FROM cases WHERE `+sel, args...).Scan(&k.Cases, &k.Closed, &k.Due,
			&closedOnTime, &reworked, &onSite, &satMean, &k.Satisfaction.Count)
		if err != nil {
			return err
		}
		k.ClosureRate, k.OnTimeRate = ratio(k.Closed, k.Due), ratio(closedOnTime, k.Due)
		k.ReworkRate, k.OnSiteShare = ratio(reworked, k.Closed), ratio(onSite, k.Cases)
		k.Satisfaction.Mean = satMean.Float64
		for _, m := range []struct {
			dst  *float64
			a, b string
		}{{&k.Median.Dispatch, "reported_at", "dispatched_at"}, {&k.Median.Accept, "dispatched_at", "accepted_at"},
			{&k.Median.Arrive, "dispatched_at", "arrived_at"}, {&k.Median.Close, "reported_at", "closed_at"}} {
			if err := tx.QueryRowContext(ctx, medianSQL(minutesBetween(m.a, m.b), sel+` AND `+m.a+` IS NOT NULL AND `+m.b+` IS NOT NULL`),
				args...).Scan(m.dst); err != nil {
				return err
			}
		}
		for col, m := range map[string]map[string]int{"channel": k.ByChannel, "category": k.ByCategory} {
			if err := countBy(ctx, tx, col, sel, args, m); err != nil {
				return err
			}
		}
		if k.Workload.Departments, err = workload(ctx, tx, "department", sel, args); err != nil {
			return err
		}
		k.Workload.Units, err = workload(ctx, tx, "unit", sel, args)
		return err
	})
	return k, err
}

// medianSQL is the median of expr over the cases where cond holds (the
// mean of the middle two for an even count), -1 for none.
func medianSQL(expr, cond string) string {
	return `WITH v AS (SELECT ` + expr + ` AS x FROM cases WHERE ` + cond + `),
		o AS (SELECT x, row_number() OVER (ORDER BY x) AS r, count(*) OVER () AS n FROM v)
		SELECT coalesce(avg(x), -1) FROM o WHERE r IN ((n + 1) / 2, (n + 2) / 2)`
}

func ratio(n, d int) float64 {
	if d == 0 {
		return 0
	}
	return float64(n) / float64(d)
}

// countBy counts the selected cases by col (a fixed column name).
func countBy(ctx context.Context, tx *sql.Tx, col, sel string, args []any, m map[string]int) error {
	rows, err := tx.QueryContext(ctx, `SELECT `+col+`, count(*) FROM cases WHERE `+sel+` GROUP BY 1`, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var k string
		var n int
		if err := rows.Scan(&k, &n); err != nil {
			return err
		}
		m[k] = n
	}
	return rows.Err()
}

// workload sums the dispatched cases of each department or unit (col).
func workload(ctx context.Context, tx *sql.Tx, col, sel string, args []any) ([]cases.Workload, error) {
	rows, err := tx.QueryContext(ctx, `SELECT `+col+`, count(*),
		coalesce(sum(`+minutesBetween("dispatched_at", "resolved_at")+` / 60.0), 0), total(cost_yuan)
		FROM cases WHERE `+sel+` AND `+col+` IS NOT NULL AND dispatched_at IS NOT NULL GROUP BY 1 ORDER BY 1`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []cases.Workload{}
	for rows.Next() {
		var w cases.Workload
		if err := rows.Scan(&w.Code, &w.Cases, &w.Hours, &w.CostYuan); err != nil {
			return nil, err
		}
		out = append(out, w)
	}
	return out, rows.Err()
}
