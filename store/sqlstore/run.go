package sqlstore

import (
	"context"
	"time"

	"github.com/gridd/gridd/store/sqlq"
)

// Runner is how a backend runs the shared operations' statements: in its
// transactions, with its error mapping (the errors fn returns come back
// classified, as the backend's own operations' do).
type Runner interface {
	// Read runs fn in a read-only transaction, so that its statements see
	// one snapshot.
	Read(ctx context.Context, fn func(tx sqlq.Tx) error) error
	// Write runs fn in a write transaction; what names it in errors.
	Write(ctx context.Context, what string, fn func(tx sqlq.Tx) error) error
	// Once runs fn, whose reads need no common snapshot, without a
	// transaction where the backend can (PostgreSQL: on the pool, one
	// round trip a statement).
	Once(ctx context.Context, fn func(tx sqlq.Tx) error) error
}

// TimeDialect is how a backend binds and reads a time: SQLite keeps a
// fixed-width UTC text, PostgreSQL a timestamptz. Times read are UTC.
type TimeDialect interface {
	// Time is t as the backend binds it.
	Time(t time.Time) any
	// ScanTime is a Scan destination that reads a time column into dst
	// (NULL as the zero time).
	ScanTime(dst *time.Time) any
}

// read runs fn in r.Read and answers its value.
func read[T any](ctx context.Context, r Runner, fn func(tx sqlq.Tx) (T, error)) (T, error) {
	var v T
	err := r.Read(ctx, func(tx sqlq.Tx) (err error) {
		v, err = fn(tx)
		return err
	})
	return v, err
}

// write runs fn in r.Write and answers its value.
func write[T any](ctx context.Context, r Runner, what string, fn func(tx sqlq.Tx) (T, error)) (T, error) {
	var v T
	err := r.Write(ctx, what, func(tx sqlq.Tx) (err error) {
		v, err = fn(tx)
		return err
	})
	return v, err
}

// nullTime binds t, NULL for the zero time.
func nullTime(d TimeDialect, t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return d.Time(t)
}

// nullText binds s, NULL for "".
func nullText(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// nullInt binds n, NULL for 0.
func nullInt(n int) any {
	if n == 0 {
		return nil
	}
	return n
}
