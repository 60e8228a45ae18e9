package gpkg

import (
	"context"
	"database/sql"

	"github.com/gridd/gridd/cases"
	"github.com/gridd/gridd/store/sqlq"
	"github.com/gridd/gridd/store/sqlstore"
)

// minutesBetween is SQL for the minutes from column a to column b.
func minutesBetween(a, b string) string {
	return `(unixepoch(` + b + `, 'subsec') - unixepoch(` + a + `, 'subsec')) / 60.0`
}

// kpisDialect is the SQLite dialect of the KPIs' totals: a count is a
// sum of booleans, and SQLite has no median aggregate: MedianMinutes is a
// subquery that ranks the values with window functions (medianSQL).
type kpisDialect struct{ whereDialect }

func (kpisDialect) CountIf(cond string) string { return `coalesce(sum(` + cond + `), 0)` }
func (kpisDialect) MedianMinutes(a, b, sel string) string {
	return `(` + medianSQL(minutesBetween(a, b), sel+` AND `+a+` IS NOT NULL AND `+b+` IS NOT NULL`) + `)`
}

// KPIs computes the figures of q in SQL, in one snapshot; the definitions
// are cases.ComputeKPIs'.
func (db *DB) KPIs(ctx context.Context, q cases.KPIQuery) (cases.KPIs, error) {
	sel, args, k, err := sqlstore.KPIsSelection(whereDialect{}, q)
	if err != nil {
		return k, err
	}
	err = db.read(ctx, func(tx *sql.Tx) error {
		if err := sqlstore.KPITotals(ctx, sqlq.Std(tx), kpisDialect{}, sel, args, &k); err != nil {
			return err
		}
		for col, m := range map[string]map[string]int{"channel": k.ByChannel, "category": k.ByCategory} {
			if err := countBy(ctx, tx, col, sel, args, m); err != nil {
				return err
			}
		}
		var err error
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
