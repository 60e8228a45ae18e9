package geo_test

import (
	"fmt"
	"math/rand"
	"runtime"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"

	"github.com/gridd/gridd/geo"
)

// Benchmark data sets, built once per test binary (the large ones take
// seconds). "grids719" is the committed Pukou plan when present, else a
// Pukou-sized synthetic tiling of 720 jittered quads (16 edges each);
// "pukou100" is that plan repeated 10×10 side by side (71,900 grids of the
// real shapes: the province-sized plan of the flat-cost requirement).
type benchSet struct {
	name   string
	areas  []geo.Area
	bounds orb.Bound
	pts    []orb.Point // random points in the bounding box
}

var (
	benchOnce sync.Once
	benchSets map[string]*benchSet
)

const benchPoints = 1 << 16

func loadBenchSets(b *testing.B) map[string]*benchSet {
	benchOnce.Do(func() {
		benchSets = map[string]*benchSet{}
		grids, ok := pukouGrids(b)
		if !ok {
			grids = geo.TestTiling(1, 30, 24, 118.45, 31.90, 0.40, 0.32)
		}
		benchSets["grids719"] = newBenchSet("grids719", grids)
		benchSets["pukou100"] = newBenchSet("pukou100", repeatAreas(grids, 10, 10))
		benchSets["communities125"] = newBenchSet("communities125", pukouCommunities(b))
		// the same synthetic shapes at Pukou's size and at a province's
		// (100× the grids over a 4°×3.2° box), every point inside: the
		// like-for-like pair for the flat-cost requirement
		benchSets["synth720"] = newBenchSet("synth720", geo.TestTiling(1, 30, 24, 118.45, 31.90, 0.40, 0.32))
		benchSets["grids72k"] = newBenchSet("grids72k", geo.TestTiling(2, 300, 240, 117.0, 30.5, 4.0, 3.2))
	})
	return benchSets
}

// repeatAreas lays nx×ny copies of areas side by side, each shifted by a
// whole bounding box (plus 0.01%, so that copies do not touch).
func repeatAreas(areas []geo.Area, nx, ny int) []geo.Area {
	var bb orb.Bound
	for i, a := range areas {
		if i == 0 {
			bb = a.Geom.Bound()
		}
		bb = bb.Union(a.Geom.Bound())
	}
	w, h := (bb.Max[0]-bb.Min[0])*1.0001, (bb.Max[1]-bb.Min[1])*1.0001
	out := make([]geo.Area, 0, nx*ny*len(areas))
	for gx := 0; gx < nx; gx++ {
		for gy := 0; gy < ny; gy++ {
			dx, dy := float64(gx)*w, float64(gy)*h
			for _, a := range areas {
				mp := make(orb.MultiPolygon, len(a.Geom))
				for pi, poly := range a.Geom {
					mp[pi] = make(orb.Polygon, len(poly))
					for ri, ring := range poly {
						r := make(orb.Ring, len(ring))
						for k, p := range ring {
							r[k] = orb.Point{p[0] + dx, p[1] + dy}
						}
						mp[pi][ri] = r
					}
				}
				out = append(out, geo.Area{Code: fmt.Sprintf("%s@%d,%d", a.Code, gx, gy), Geom: mp})
			}
		}
	}
	return out
}

func newBenchSet(name string, areas []geo.Area) *benchSet {
	s := &benchSet{name: name, areas: areas}
	for i, a := range areas {
		if i == 0 {
			s.bounds = a.Geom.Bound()
		}
		s.bounds = s.bounds.Union(a.Geom.Bound())
	}
	rng := rand.New(rand.NewSource(7))
	s.pts = make([]orb.Point, benchPoints)
	for i := range s.pts {
		s.pts[i] = orb.Point{
			s.bounds.Min[0] + rng.Float64()*(s.bounds.Max[0]-s.bounds.Min[0]),
			s.bounds.Min[1] + rng.Float64()*(s.bounds.Max[1]-s.bounds.Min[1]),
		}
	}
	return s
}

// BenchmarkLocate compares, on the same random points of each data set's
// bounding box, the index with a bounding-box-prefiltered orb planar scan
// (the PostGIS bulk join is BenchmarkLocatePostGIS in the same run).
func BenchmarkLocate(b *testing.B) {
	sets := loadBenchSets(b)
	for _, name := range []string{"grids719", "pukou100", "communities125", "synth720", "grids72k"} {
		s := sets[name]
		ix := benchIndex(b, s)
		b.Run(name+"/index", func(b *testing.B) {
			b.ReportAllocs()
			n := 0
			for i := 0; b.Loop(); i++ {
				p := s.pts[i&(benchPoints-1)]
				if _, ok := ix.Locate(p[0], p[1]); ok {
					n++
				}
			}
			sinkInt = n
		})
		if name == "grids72k" || name == "synth720" || name == "pukou100" {
			continue // the orb scan over 72k bounding boxes says nothing new
		}
		bbs := make([]orb.Bound, len(s.areas))
		for i, a := range s.areas {
			bbs[i] = a.Geom.Bound()
		}
		b.Run(name+"/orb-bbox-scan", func(b *testing.B) {
			b.ReportAllocs()
			n := 0
			for i := 0; b.Loop(); i++ {
				p := s.pts[i&(benchPoints-1)]
				for j := range s.areas {
					if bbs[j].Contains(p) && planar.MultiPolygonContains(s.areas[j].Geom, p) {
						n++
						break
					}
				}
			}
			sinkInt = n
		})
	}
}

var sinkInt int

// benchIndex builds the set's index and collects the build's garbage, so
// that a concurrent GC of it does not run inside the timed loop.
func benchIndex(b *testing.B, s *benchSet) *geo.PolygonIndex {
	b.Helper()
	ix, err := geo.NewPolygonIndex(s.areas)
	if err != nil {
		b.Fatal(err)
	}
	runtime.GC()
	return ix
}

// scaleSets are the Pukou-sized and province-sized sets of the flat-cost
// comparison.
var scaleSets = []string{"grids719", "pukou100", "synth720", "grids72k"}

// eachIndex runs f as a sub-benchmark per set, with the set's index.
func eachIndex(b *testing.B, names []string, f func(b *testing.B, s *benchSet, ix *geo.PolygonIndex)) {
	sets := loadBenchSets(b)
	for _, name := range names {
		s := sets[name]
		ix := benchIndex(b, s)
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			f(b, s, ix)
		})
	}
}

// BenchmarkLocateAll is BenchmarkLocate through the batch call, per point.
func BenchmarkLocateAll(b *testing.B) {
	eachIndex(b, scaleSets, func(b *testing.B, s *benchSet, ix *geo.PolygonIndex) {
		out := make([]int, 0, len(s.pts))
		for b.Loop() {
			out = ix.LocateAll(out[:0], s.pts)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(s.pts)), "ns/point")
	})
}

// BenchmarkLocateP50 times single lookups to report the median and 99th
// percentile (the clock read, measured on empty intervals, is subtracted).
func BenchmarkLocateP50(b *testing.B) {
	eachIndex(b, scaleSets, func(b *testing.B, s *benchSet, ix *geo.PolygonIndex) {
		lat := newLatencies()
		for i := 0; b.Loop(); i++ {
			p := s.pts[i&(benchPoints-1)]
			t0 := time.Now()
			ix.Locate(p[0], p[1])
			lat.add(i, time.Since(t0))
		}
		lat.report(b)
	})
}

// BenchmarkLocatorPukou is the three-layer call (streets, communities,
// grids), with its median and 99th percentile as in BenchmarkLocateP50.
func BenchmarkLocatorPukou(b *testing.B) {
	s := loadBenchSets(b)["grids719"]
	l, err := geo.NewLocator(pukouStreets(b), pukouCommunities(b), s.areas)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	lat := newLatencies()
	for i := 0; b.Loop(); i++ {
		p := s.pts[i&(benchPoints-1)]
		t0 := time.Now()
		l.Locate(p[0], p[1])
		lat.add(i, time.Since(t0))
	}
	lat.report(b)
}

// latencies collects single-call durations and, every 256th call, the cost
// of an empty clock interval, so report can give the median and 99th
// percentile with the clock read subtracted. The timed region stays inline
// in each benchmark so that no call through a func value is measured.
type latencies struct {
	durs, empty []time.Duration
}

func newLatencies() *latencies {
	return &latencies{durs: make([]time.Duration, 0, 1<<20), empty: make([]time.Duration, 0, 1<<12)}
}

func (l *latencies) add(i int, d time.Duration) {
	if len(l.durs) < cap(l.durs) {
		l.durs = append(l.durs, d)
	}
	if i&255 == 0 && len(l.empty) < cap(l.empty) {
		t0 := time.Now()
		l.empty = append(l.empty, time.Since(t0))
	}
}

func (l *latencies) report(b *testing.B) {
	sort.Slice(l.durs, func(a, c int) bool { return l.durs[a] < l.durs[c] })
	sort.Slice(l.empty, func(a, c int) bool { return l.empty[a] < l.empty[c] })
	clock := l.empty[len(l.empty)/2]
	b.ReportMetric(float64(l.durs[len(l.durs)/2]-clock), "p50-ns")
	b.ReportMetric(float64(l.durs[len(l.durs)*99/100]-clock), "p99-ns")
}

// BenchmarkPolygonIndexBuild reports build time and the heap the index
// holds.
func BenchmarkPolygonIndexBuild(b *testing.B) {
	sets := loadBenchSets(b)
	for _, name := range scaleSets {
		s := sets[name]
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			var ix *geo.PolygonIndex
			for b.Loop() {
				var err error
				if ix, err = geo.NewPolygonIndex(s.areas); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			ix = nil
			runtime.GC()
			var m0, m1 runtime.MemStats
			runtime.ReadMemStats(&m0)
			ix, _ = geo.NewPolygonIndex(s.areas)
			runtime.GC()
			runtime.ReadMemStats(&m1)
			b.ReportMetric(float64(m1.HeapAlloc-m0.HeapAlloc)/(1<<20), "heap-MB")
			runtime.KeepAlive(ix)
		})
	}
}

// BenchmarkUnitIndex: 3,000 patrols over Pukou.
func BenchmarkUnitIndex(b *testing.B) {
	rng := rand.New(rand.NewSource(9))
	ix := geo.NewUnitIndex()
	ids := make([]string, 3000)
	for i := range ids {
		ids[i] = fmt.Sprintf("P%04d", i)
		if err := ix.Upsert(ids[i], 118.45+rng.Float64()*0.4, 31.9+rng.Float64()*0.32, geo.UnitAvailable); err != nil {
			b.Fatal(err)
		}
	}
	pts := make([]orb.Point, 1<<12)
	for i := range pts {
		pts[i] = orb.Point{118.45 + rng.Float64()*0.4, 31.9 + rng.Float64()*0.32}
	}
	b.Run("Nearest-k1", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			p := pts[i&(len(pts)-1)]
			ix.Nearest(p[0], p[1], 1, nil)
		}
	})
	b.Run("Nearest-k5-available", func(b *testing.B) {
		b.ReportAllocs()
		keep := func(_ string, st geo.UnitStatus) bool { return st == geo.UnitAvailable }
		for i := 0; b.Loop(); i++ {
			p := pts[i&(len(pts)-1)]
			ix.Nearest(p[0], p[1], 5, keep)
		}
	})
	b.Run("Upsert-move", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			p := pts[i&(len(pts)-1)]
			if err := ix.Upsert(ids[i%len(ids)], p[0], p[1], geo.UnitBusy); err != nil {
				b.Fatal(err)
			}
		}
	})
}
