package geo

import (
	"fmt"
	"math"
	"math/rand"
	"sort"
	"sync"
	"testing"

	"github.com/paulmach/orb"

	"github.com/gridd/gridd/errs"
)

type bruteUnit struct {
	id       string
	lon, lat float64
	st       UnitStatus
}

func bruteNearestUnits(us map[string]bruteUnit, lon, lat float64, k int, keep func(string, UnitStatus) bool) []Neighbor {
	var all []Neighbor
	for _, u := range us {
		if keep != nil && !keep(u.id, u.st) {
			continue
		}
		all = append(all, Neighbor{u.id, DistanceM(orb.Point{lon, lat}, orb.Point{u.lon, u.lat})})
	}
	sort.Slice(all, func(a, b int) bool {
		if all[a].DistanceM != all[b].DistanceM {
			return all[a].DistanceM < all[b].DistanceM
		}
		return all[a].ID < all[b].ID
	})
	if len(all) > k {
		all = all[:k]
	}
	return all
}

// sameNeighbors compares with brute force: distances agree to a millimetre
// (the index uses chord lengths, brute force haversine), and ids agree
// except where two brute-force distances are within that rounding.
func sameNeighbors(got, want []Neighbor) error {
	if len(got) != len(want) {
		return fmt.Errorf("got %d neighbours, want %d", len(got), len(want))
	}
	for i := range got {
		if math.Abs(got[i].DistanceM-want[i].DistanceM) > 1e-3 {
			return fmt.Errorf("#%d: %+v, want %+v", i, got[i], want[i])
		}
		if got[i].ID != want[i].ID {
			near := (i > 0 && math.Abs(want[i].DistanceM-want[i-1].DistanceM) < 1e-6) ||
				(i+1 < len(want) && math.Abs(want[i].DistanceM-want[i+1].DistanceM) < 1e-6)
			if !near {
				return fmt.Errorf("#%d: %+v, want %+v", i, got[i], want[i])
			}
		}
	}
	return nil
}

func TestUnitIndexProperty(t *testing.T) {
	seed := int64(propertySeed)
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewSource(seed))
	ix := NewUnitIndex()
	ref := map[string]bruteUnit{}
	randPos := func() (float64, float64) {
		switch rng.Intn(20) {
		case 0: // far away
			return -180 + rng.Float64()*360, -90 + rng.Float64()*180
		default: // Pukou
			return 118.45 + rng.Float64()*0.4, 31.90 + rng.Float64()*0.32
		}
	}
	onlyAvailable := func(_ string, st UnitStatus) bool { return st == UnitAvailable }
	evenIDs := func(id string, _ UnitStatus) bool { return id[len(id)-1]%2 == 0 }
	queries := propertyPoints / 200
	for step := 0; step < queries; step++ {
		// mutate: mostly moves, some inserts and removes, up to ~3000 units
		for m := 0; m < 3; m++ {
			id := fmt.Sprintf("u%04d", rng.Intn(3200))
			if rng.Intn(10) == 0 {
				if _, had := ref[id]; ix.Remove(id) != had {
					t.Fatalf("Remove(%s) disagrees with presence %v", id, had)
				}
				delete(ref, id)
				continue
			}
			lon, lat := randPos()
			st := UnitStatus(1 + rng.Intn(3))
			if err := ix.Upsert(id, lon, lat, st); err != nil {
				t.Fatal(err)
			}
			ref[id] = bruteUnit{id, lon, lat, st}
		}
		if ix.Len() != len(ref) {
			t.Fatalf("Len = %d, want %d", ix.Len(), len(ref))
		}
		lon, lat := randPos()
		k := []int{1, 1, 3, 10}[rng.Intn(4)]
		keep := []func(string, UnitStatus) bool{nil, onlyAvailable, evenIDs}[rng.Intn(3)]
		got := ix.Nearest(lon, lat, k, keep)
		want := bruteNearestUnits(ref, lon, lat, k, keep)
		if err := sameNeighbors(got, want); err != nil {
			t.Fatalf("step %d: Nearest(%v, %v, %d): %v", step, lon, lat, k, err)
		}
	}
	t.Logf("%d queries checked against brute force, %d units at the end", queries, ix.Len())
}

func TestUnitIndexCases(t *testing.T) {
	ix := NewUnitIndex()
	// ties: three units on the same spot; ids decide
	for _, id := range []string{"c", "a", "b"} {
		if err := ix.Upsert(id, 118.6, 32.0, UnitAvailable); err != nil {
			t.Fatal(err)
		}
	}
	if err := ix.Upsert("far", 118.7, 32.0, UnitBusy); err != nil {
		t.Fatal(err)
	}
	// across the antimeridian and at a pole: the bucket rings do not wrap, a
	// scan must answer
	if err := ix.Upsert("east", 179.999, 0, UnitAvailable); err != nil {
		t.Fatal(err)
	}
	if err := ix.Upsert("pole", 0, 90, UnitAvailable); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		lon, lat float64
		k        int
		keep     func(string, UnitStatus) bool
		want     []string
	}{
		{"ties by id", 118.6, 32.0, 3, nil, []string{"a", "b", "c"}},
		{"k beyond", 118.6, 32.0, 5, nil, []string{"a", "b", "c", "far", "pole"}},
		{"filter", 118.6, 32.0, 1, func(_ string, st UnitStatus) bool { return st == UnitBusy }, []string{"far"}},
		{"filter none", 118.6, 32.0, 1, func(string, UnitStatus) bool { return false }, nil},
		{"antimeridian", -179.999, 0, 1, nil, []string{"east"}},
		{"near pole", 150, 89.9, 1, nil, []string{"pole"}},
		{"k zero", 118.6, 32.0, 0, nil, nil},
		{"NaN", math.NaN(), 32.0, 1, nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := ix.Nearest(tc.lon, tc.lat, tc.k, tc.keep)
			var ids []string
			for _, n := range got {
				ids = append(ids, n.ID)
			}
			if fmt.Sprint(ids) != fmt.Sprint(tc.want) {
				t.Fatalf("Nearest = %v, want %v", ids, tc.want)
			}
		})
	}
	if got := ix.Nearest(118.6, 32.0, 1, nil); got[0].DistanceM != 0 {
		t.Fatalf("distance to a unit on the spot = %v", got[0].DistanceM)
	}
	if got := ix.Nearest(118.6, 32.0, 4, nil); math.Abs(got[3].DistanceM-DistanceM(orb.Point{118.6, 32}, orb.Point{118.7, 32})) > 1e-6 {
		t.Fatalf("distance to far = %v", got[3].DistanceM)
	}
	if !ix.Remove("a") || ix.Remove("a") || ix.Len() != 5 {
		t.Fatalf("Remove twice / Len = %d", ix.Len())
	}
}

func TestUnitIndexUpsertRejects(t *testing.T) {
	tests := []struct {
		name, id string
		lon, lat float64
		st       UnitStatus
		field    string
	}{
		{"empty id", "", 118, 32, UnitAvailable, "id"},
		{"NaN lon", "x", math.NaN(), 32, UnitAvailable, "lon"},
		{"Inf lat", "x", 118, math.Inf(1), UnitAvailable, "lat"},
		{"lon range", "x", 180.5, 32, UnitAvailable, "lon"},
		{"lat range", "x", 118, -91, UnitAvailable, "lat"},
		{"status zero", "x", 118, 32, 0, "status"},
		{"status big", "x", 118, 32, 9, "status"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ix := NewUnitIndex()
			if err := ix.Upsert("x", 118.5, 32, UnitAvailable); err != nil {
				t.Fatal(err)
			}
			err := ix.Upsert(tc.id, tc.lon, tc.lat, tc.st)
			e, ok := errs.As(err)
			if !ok || e.Code != errs.Invalid || e.Field != tc.field {
				t.Fatalf("err = %v, want invalid %s", err, tc.field)
			}
			// nothing changed
			if n := ix.Nearest(118.5, 32, 2, nil); ix.Len() != 1 || len(n) != 1 || n[0].DistanceM != 0 {
				t.Fatalf("a rejected upsert changed the index: %v", n)
			}
		})
	}
}

// TestUnitIndexConcurrent: writers move and re-add units while readers
// query; every query must see each of the fixed units exactly once (a
// half-applied move would show it twice or not at all), and -race must stay
// quiet.
func TestUnitIndexConcurrent(t *testing.T) {
	const fixed = 200
	ix := NewUnitIndex()
	for i := 0; i < fixed; i++ {
		if err := ix.Upsert(fmt.Sprintf("f%03d", i), 118.5+float64(i)*1e-3, 32, UnitAvailable); err != nil {
			t.Fatal(err)
		}
	}
	var writers, readers sync.WaitGroup
	stop := make(chan struct{})
	for w := 0; w < 2; w++ {
		writers.Add(1)
		go func(seed int64) {
			defer writers.Done()
			rng := rand.New(rand.NewSource(seed))
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				id := fmt.Sprintf("f%03d", rng.Intn(fixed))
				_ = ix.Upsert(id, 118.45+rng.Float64()*0.4, 31.9+rng.Float64()*0.3, UnitStatus(1+rng.Intn(3)))
				tmp := fmt.Sprintf("t%d-%d", seed, n%50)
				_ = ix.Upsert(tmp, 118.45+rng.Float64()*0.4, 31.9+rng.Float64()*0.3, UnitAvailable)
				ix.Remove(tmp)
			}
		}(int64(w))
	}
	rounds := 300
	if raceEnabled {
		rounds = 100
	}
	for g := 0; g < 2; g++ {
		readers.Add(1)
		go func(seed int64) {
			defer readers.Done()
			rng := rand.New(rand.NewSource(seed))
			for r := 0; r < rounds; r++ {
				got := ix.Nearest(118.45+rng.Float64()*0.4, 31.9+rng.Float64()*0.3, 1000, func(id string, _ UnitStatus) bool { return id[0] == 'f' })
				seen := map[string]bool{}
				for _, n := range got {
					if seen[n.ID] {
						t.Errorf("unit %s seen twice", n.ID)
						return
					}
					seen[n.ID] = true
				}
				if len(seen) != fixed {
					t.Errorf("saw %d fixed units, want %d", len(seen), fixed)
					return
				}
			}
		}(int64(10 + g))
	}
	readers.Wait()
	close(stop)
	writers.Wait()
}

// TestBucketTable checks the open-addressing table against a Go map under
// random inserts and deletes with many collisions.
func TestBucketTable(t *testing.T) {
	rng := rand.New(rand.NewSource(propertySeed))
	var tb bucketTable
	ref := map[cellKey][]int32{}
	for step := 0; step < 200_000; step++ {
		k := mkKey(int32(rng.Intn(60)-30), int32(rng.Intn(60)-30))
		switch rng.Intn(3) {
		case 0, 1:
			p := tb.ptr(k)
			*p = append(*p, int32(step))
			ref[k] = append(ref[k], int32(step))
		case 2:
			tb.del(k)
			delete(ref, k)
		}
		if step%1000 == 0 {
			if tb.n != len(ref) {
				t.Fatalf("step %d: %d keys, want %d", step, tb.n, len(ref))
			}
			for x := -31; x <= 31; x++ {
				for y := -31; y <= 31; y++ {
					k := mkKey(int32(x), int32(y))
					if fmt.Sprint(tb.get(k)) != fmt.Sprint(ref[k]) {
						t.Fatalf("step %d: key %v: %v, want %v", step, k, tb.get(k), ref[k])
					}
				}
			}
		}
	}
}
