package postgis

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/gridd/gridd/cases"
)

// levelColumn is the cases column a KPI level filters on.
var levelColumn = map[cases.Level]string{
	cases.LevelStreet: "street_code", cases.LevelCommunity: "community_code", cases.LevelGrid: "grid_code",
}

// KPIs computes the figures of q in SQL, in one snapshot; the definitions
// are cases.ComputeKPIs'.
func (db *DB) KPIs(ctx context.Context, q cases.KPIQuery) (cases.KPIs, error) {
	if err := q.Validate(); err != nil {
		return cases.KPIs{}, err
	}
	sel := `stage <> 'void' AND reported_at >= $1 AND reported_at < $2`
	args := []any{q.From, q.To, q.AsOf}
	if col, ok := levelColumn[q.Level]; ok {
		sel += ` AND ` + col + ` = $4`
		args = append(args, q.Code)
	}
	var k cases.KPIs
	k.ByChannel, k.ByCategory = map[string]int{}, map[string]int{}
	err := db.read(ctx, func(tx pgx.Tx) error {
		var closedOnTime, reworked, onSite int
		var satMean *float64
		err := tx.QueryRow(ctx, `SELECT count(*),
			count(*) FILTER (WHERE closed_at IS NOT NULL),
			count(*) FILTER (WHERE closed_at IS NOT NULL OR due_at <= $3),
			count(*) FILTER (WHERE closed_at <= due_at),
			count(*) FILTER (WHERE closed_at IS NOT NULL AND rework > 0),
			count(*) FILTER (WHERE path = 'on_site'),
			coalesce(percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM dispatched_at - reported_at) / 60), -1),
			coalesce(percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM accepted_at - dispatched_at) / 60), -1),
			coalesce(percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM arrived_at - dispatched_at) / 60), -1),
			coalesce(percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM closed_at - reported_at) / 60), -1),
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

func ratio(n, d int) float64 {
	if d == 0 {
		return 0
	}
	return float64(n) / float64(d)
}

// countBy counts the selected cases by col (a fixed column name).
func countBy(ctx context.Context, tx pgx.Tx, col, sel string, args []any, m map[string]int) error {
	rows, err := tx.Query(ctx, `SELECT `+col+`, count(*) FROM cases WHERE `+sel+` AND $3::timestamptz IS NOT NULL GROUP BY 1`, args...)
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
func workload(ctx context.Context, tx pgx.Tx, col, sel string, args []any) ([]cases.Workload, error) {
	rows, err := tx.Query(ctx, `SELECT `+col+`, count(*),
		coalesce(sum(extract(epoch FROM resolved_at - dispatched_at) / 3600), 0), sum(cost_yuan)
		FROM cases WHERE `+sel+` AND $3::timestamptz IS NOT NULL AND `+col+` IS NOT NULL AND dispatched_at IS NOT NULL
		GROUP BY 1 ORDER BY 1`, args...)
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
