package postgis

import (
	"context"
	"strings"

	"github.com/jackc/pgx/v5"
	"golang.org/x/sync/errgroup"

	"github.com/gridd/gridd/cases"
	"github.com/gridd/gridd/store/sqlwhere"
)

// KPIs computes the figures of q in SQL, in one snapshot; the definitions
// are cases.ComputeKPIs'.
func (db *DB) KPIs(ctx context.Context, q cases.KPIQuery) (cases.KPIs, error) {
	if err := q.Validate(); err != nil {
		return cases.KPIs{}, err
	}
	// $1 is AsOf (the time "due" is judged at), then the selection's.
	w := sqlwhere.KPIs(whereDialect{}, q)
	sel, args := w.SQL(), w.Args
	var k cases.KPIs
	k.ByChannel, k.ByCategory = map[string]int{}, map[string]int{}
	// The totals and the breakdowns are two scans of the same rows: they
	// run at once on two connections (two cores), the second importing the
	// first's snapshot, so both see the same cases.
	err := db.read(ctx, func(tx pgx.Tx) error {
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

// kpiTotals computes the counts, rates, medians and satisfaction of the
// selected cases in one scan.
func kpiTotals(ctx context.Context, tx pgx.Tx, sel string, args []any, k *cases.KPIs) error {
	var closedOnTime, reworked, onSite int
	var satMean *float64
	err := tx.QueryRow(ctx, `SELECT count(*),
		count(*) FILTER (WHERE closed_at IS NOT NULL),
		count(*) FILTER (WHERE closed_at IS NOT NULL OR due_at <= $1),
		count(*) FILTER (WHERE closed_at <= due_at),
		count(*) FILTER (WHERE closed_at IS NOT NULL AND rework > 0),
		count(*) FILTER (WHERE path = 'on_site'),
		coalesce(percentile_cont(0.5) WITHIN GROUP (ORDER BY date_part('epoch', dispatched_at - reported_at) / 60), -1),
		coalesce(percentile_cont(0.5) WITHIN GROUP (ORDER BY date_part('epoch', accepted_at - dispatched_at) / 60), -1),
		coalesce(percentile_cont(0.5) WITHIN GROUP (ORDER BY date_part('epoch', arrived_at - dispatched_at) / 60), -1),
		coalesce(percentile_cont(0.5) WITHIN GROUP (ORDER BY date_part('epoch', closed_at - reported_at) / 60), -1),
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
