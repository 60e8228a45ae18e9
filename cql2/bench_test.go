package cql2

import (
	"testing"

	"github.com/paulmach/orb"
)

const benchFilter = "kind IN ('bore', 'dug') AND depth BETWEEN 5 AND 100 AND name LIKE '%a%' AND NOT potable = false AND S_INTERSECTS(geometry, POLYGON((9 9, 12 9, 12 12, 9 12, 9 9)))"

// BenchmarkParse is the per-request cost of reading a filter.
func BenchmarkParse(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(benchFilter, schema); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMatch is the per-feature cost of the in-memory evaluation.
func BenchmarkMatch(b *testing.B) {
	e, err := Parse(benchFilter, schema)
	if err != nil {
		b.Fatal(err)
	}
	props := map[string]any{"name": "Cedar", "kind": "bore", "depth": int64(40), "potable": true}
	g := orb.Point{10, 10}
	b.ReportAllocs()
	for b.Loop() {
		if !Match(e, props, g) {
			b.Fatal("no match")
		}
	}
}

// BenchmarkParseMatch1000 parses once and evaluates 1,000 features, a
// page-sized request on a memory-served layer.
func BenchmarkParseMatch1000(b *testing.B) {
	props := map[string]any{"name": "Cedar", "kind": "bore", "depth": int64(40), "potable": true}
	b.ReportAllocs()
	for b.Loop() {
		e, err := Parse(benchFilter, schema)
		if err != nil {
			b.Fatal(err)
		}
		for i := 0; i < 1000; i++ {
			Match(e, props, orb.Point{9 + float64(i%4), 10})
		}
	}
}
