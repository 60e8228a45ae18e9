package postgis

import (
	"context"
	"strings"

	"github.com/jackc/pgx/v5"
	"golang.org/x/sync/errgroup"

	"github.com/gridd/gridd/cases"
	"github.com/gridd/gridd/store/sqlq"
	"github.com/gridd/gridd/store/sqlstore"
)

// KPIs computes the figures of q in SQL, in one snapshot; the definitions
// are cases.ComputeKPIs'.
func (db *DB) KPIs(ctx context.Context, q cases.KPIQuery) (cases.KPIs, error) {
	sel, args, k, err := sqlstore.KPIsSelection(whereDialect{}, q)
	if err != nil {
		return k, err
	}
	// The totals and the breakdowns are two scans of the same rows: they
	// run at once on two connections (two cores), the second importing the
	// first's snapshot, so both see the same cases.
	err = db.read(ctx, func(tx pgx.Tx) error {
		select {
		case db.kpiPar <- struct{}{}:
			defer func() { <-db.kpiPar }()
		default: // two already run in parallel: one scan after the other
			if err := kpiTotals(ctx, tx, sel, args, &k); err != nil {
				return err
			}
			var err error
			k.Workload.Departments, k.Workload.Units, err = breakdowns(ctx, tx, sel, args, k.ByChannel, k.ByCategory)
			return err
		}
		var snap string
		if err := tx.QueryRow(ctx, `SELECT pg_export_snapshot()`).Scan(&snap); err != nil {
			return err
		}
		g, gctx := errgroup.WithContext(ctx)
		g.Go(func() error {
			return db.readSnapshot(gctx, snap, func(tx2 pgx.Tx) error {
				var err error
				k.Workload.Departments, k.Workload.Units, err = breakdowns(gctx, tx2, sel, args, k.ByChannel, k.ByCategory)
				return err
			})
		})
		g.Go(func() error { return kpiTotals(gctx, tx, sel, args, &k) })
		return g.Wait()
	})
	return k, err
}

// readSnapshot runs fn in a read-only transaction that sees exactly the
// snapshot another open transaction exported.
func (db *DB) readSnapshot(ctx context.Context, snap string, fn func(tx pgx.Tx) error) error {
	return pgx.BeginTxFunc(ctx, db.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		// SET TRANSACTION SNAPSHOT takes no bind parameter; the id is
		// PostgreSQL's own output, quoted as a literal.
		if _, err := tx.Exec(ctx, `SET TRANSACTION SNAPSHOT `+quoteLiteral(snap)); err != nil {
			return err
		}
		return fn(tx)
	})
}

func quoteLiteral(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// kpisDialect is the PostgreSQL dialect of the KPIs' totals: FILTER
// clauses and percentile_cont, all in the one scan.
type kpisDialect struct{ whereDialect }

func (kpisDialect) CountIf(cond string) string { return `count(*) FILTER (WHERE ` + cond + `)` }
func (kpisDialect) MedianMinutes(a, b, _ string) string {
	return `coalesce(percentile_cont(0.5) WITHIN GROUP (ORDER BY date_part('epoch', ` + b + ` - ` + a + `) / 60), -1)`
}

// kpiTotals is sqlstore.KPITotals in tx.
func kpiTotals(ctx context.Context, tx pgx.Tx, sel string, args []any, k *cases.KPIs) error {
	return sqlstore.KPITotals(ctx, sqlq.Pgx(tx), kpisDialect{}, sel, args, k)
}

// breakdowns counts the selected cases by channel and by category and
// sums the workload of each department and unit, in one scan (grouping
// sets). The workload counts dispatched cases only.
func breakdowns(ctx context.Context, tx pgx.Tx, sel string, args []any, byChannel, byCategory map[string]int) (depts, units []cases.Workload, err error) {
	rows, err := tx.Query(ctx, `SELECT grouping(channel, category, department, unit), coalesce(channel, category, department, unit, ''),
		count(*), count(*) FILTER (WHERE dispatched_at IS NOT NULL),
		coalesce(sum(date_part('epoch', resolved_at - dispatched_at) / 3600) FILTER (WHERE dispatched_at IS NOT NULL), 0),
		coalesce(sum(cost_yuan) FILTER (WHERE dispatched_at IS NOT NULL), 0)
		FROM cases WHERE `+sel+` AND $1::timestamptz IS NOT NULL
		GROUP BY GROUPING SETS ((channel), (category), (department), (unit)) ORDER BY 1, 2`, args...)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	depts, units = []cases.Workload{}, []cases.Workload{}
	for rows.Next() {
		var g, n, dispatched int
		var code string
		var hours, cost float64
		if err := rows.Scan(&g, &code, &n, &dispatched, &hours, &cost); err != nil {
			return nil, nil, err
		}
		w := cases.Workload{Code: code, Cases: dispatched, Hours: hours, CostYuan: cost}
		switch g { // the bits of the columns not grouped on: channel 8, category 4, department 2, unit 1
		case 7:
			byChannel[code] = n
		case 11:
			byCategory[code] = n
		case 13:
			if code != "" && dispatched > 0 {
				depts = append(depts, w)
			}
		case 14:
			if code != "" && dispatched > 0 {
				units = append(units, w)
			}
		}
	}
	return depts, units, rows.Err()
}
