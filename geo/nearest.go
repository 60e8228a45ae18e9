package geo

import (
	"math"
	"sync"

	"github.com/gridd/gridd/errs"
)

// UnitStatus is a moving unit's (patrol's) availability.
type UnitStatus uint8

const (
	UnitAvailable UnitStatus = iota + 1
	UnitBusy
	UnitOffline
)

func (s UnitStatus) String() string {
	switch s {
	case UnitAvailable:
		return "available"
	case UnitBusy:
		return "busy"
	case UnitOffline:
		return "offline"
	}
	return "unknown"
}

// Neighbor is one answer of UnitIndex.Nearest.
type Neighbor struct {
	ID        string
	DistanceM float64 // great-circle distance
}

// UnitIndex is a mutable index of moving units for nearest-unit queries by
// great-circle distance. Units live in buckets of a lon/lat grid
// (unitCellDeg on a side) and a query searches rings of buckets outwards
// until no unvisited bucket can hold a closer unit (a spherical lower
// bound), falling back to a full scan when the rings would cover more
// buckets than there are units. It is safe for concurrent use: updates take
// a write lock, queries a read lock, so a query never sees a half-applied
// update.
type UnitIndex struct {
	mu      sync.RWMutex
	units   []unit         // dense; Remove swaps the last one in
	byID    map[string]int // id → position in units
	buckets bucketTable
}

type unit struct {
	id       string
	lon, lat float64
	x, y, z  float64 // unit vector, for chord distances
	st       UnitStatus
	key      cellKey
	slot     int32 // position in its bucket
}

// cellKey packs a bucket's column and row (int32 each) into one word, the
// fastest map key.
type cellKey uint64

func mkKey(cx, cy int32) cellKey { return cellKey(uint64(uint32(cx))<<32 | uint64(uint32(cy))) }

// unitCellDeg is the bucket size: 0.01° is about 1.1 km north-south (0.95 km
// east-west at Nanjing), a few patrols a bucket at district densities, so a
// k=1 query usually reads 9 buckets.
const unitCellDeg = 0.01

// NewUnitIndex returns an empty index.
func NewUnitIndex() *UnitIndex {
	return &UnitIndex{byID: map[string]int{}}
}

func unitCell(lon, lat float64) (cx, cy int32) {
	return int32(math.Floor(lon / unitCellDeg)), int32(math.Floor(lat / unitCellDeg))
}

func unitVec(lon, lat float64) (x, y, z float64) {
	lo, la := lon*math.Pi/180, lat*math.Pi/180
	sla, cla := math.Sincos(la)
	slo, clo := math.Sincos(lo)
	return cla * clo, cla * slo, sla
}

// Upsert adds a unit or moves it and sets its status. It rejects an empty
// id, non-finite or out-of-range coordinates and unknown statuses with
// errs.Invalid and then changes nothing.
func (ix *UnitIndex) Upsert(id string, lon, lat float64, st UnitStatus) error {
	if id == "" {
		return errs.E(errs.Invalid, "id", "unit id is empty")
	}
	if err := CheckLonLat(lon, lat); err != nil {
		e, _ := errs.As(err)
		return errs.E(errs.Invalid, e.Field, "unit %s: %s", id, e.Msg)
	}
	if st < UnitAvailable || st > UnitOffline {
		return errs.E(errs.Invalid, "status", "unit %s: unknown status %d", id, st)
	}
	x, y, z := unitVec(lon, lat)
	key := mkKey(unitCell(lon, lat))
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if i, ok := ix.byID[id]; ok {
		u := &ix.units[i]
		if u.key != key {
			ix.unbucket(i)
			u.key = key
			ix.bucket(i)
		}
		u.lon, u.lat, u.x, u.y, u.z, u.st = lon, lat, x, y, z, st
		return nil
	}
	i := len(ix.units)
	ix.units = append(ix.units, unit{id: id, lon: lon, lat: lat, x: x, y: y, z: z, st: st, key: key})
	ix.byID[id] = i
	ix.bucket(i)
	return nil
}

func (ix *UnitIndex) bucket(i int) {
	u := &ix.units[i]
	b := ix.buckets.ptr(u.key)
	u.slot = int32(len(*b))
	*b = append(*b, int32(i))
}

func (ix *UnitIndex) unbucket(i int) {
	u := &ix.units[i]
	b := ix.buckets.ptr(u.key)
	last := len(*b) - 1
	moved := (*b)[last]
	(*b)[u.slot] = moved
	ix.units[moved].slot = u.slot
	*b = (*b)[:last]
	if last == 0 {
		ix.buckets.del(u.key)
	}
}

// Remove deletes a unit; false when there was none.
func (ix *UnitIndex) Remove(id string) bool {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	i, ok := ix.byID[id]
	if !ok {
		return false
	}
	ix.unbucket(i)
	delete(ix.byID, id)
	last := len(ix.units) - 1
	if i != last {
		// move the last unit into slot i and repoint its bucket entry
		ix.units[i] = ix.units[last]
		u := &ix.units[i]
		ix.byID[u.id] = i
		(*ix.buckets.ptr(u.key))[u.slot] = int32(i)
	}
	ix.units[last] = unit{}
	ix.units = ix.units[:last]
	return true
}

// Len is the number of units.
func (ix *UnitIndex) Len() int {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return len(ix.units)
}

// Nearest returns up to k units nearest to (lon, lat) by great-circle
// distance, nearest first, ties broken by id, among those for which keep
// returns true (keep nil keeps all). keep runs under the index's read lock
// and must not call back into the index's update methods. It returns nil
// for k ≤ 0 or non-finite coordinates.
func (ix *UnitIndex) Nearest(lon, lat float64, k int, keep func(id string, st UnitStatus) bool) []Neighbor {
	if k <= 0 || CheckLonLat(lon, lat) != nil {
		return nil
	}
	qx, qy, qz := unitVec(lon, lat)
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	// one allocation: the result, holding squared chords until the end
	h := topK{k: k, items: make([]Neighbor, 0, max(1, min(k, len(ix.units))))}
	if len(ix.units) < 64 {
		ix.scanAll(&h, qx, qy, qz, keep)
		return h.result()
	}
	var c struct{ cx, cy int32 }
	c.cx, c.cy = unitCell(lon, lat)
	coslat := math.Cos(lat * math.Pi / 180)
	for r := int32(0); ; r++ {
		cells := (2*int64(r) + 1) * (2*int64(r) + 1)
		lonLo := float64(c.cx-r) * unitCellDeg
		lonHi := float64(c.cx+r+1) * unitCellDeg
		if cells > int64(len(ix.units)) || lonLo < -180 || lonHi > 180 || lonHi-lonLo >= 90 {
			// The rings would cost more than a scan, or would wrap the
			// antimeridian (where the bound below does not hold): scan.
			h = topK{k: k, items: h.items[:0]}
			ix.scanAll(&h, qx, qy, qz, keep)
			return h.result()
		}
		for cy := c.cy - r; cy <= c.cy+r; cy++ {
			if cy == c.cy-r || cy == c.cy+r {
				for cx := c.cx - r; cx <= c.cx+r; cx++ {
					ix.scanBucket(&h, mkKey(cx, cy), qx, qy, qz, keep)
				}
				continue
			}
			ix.scanBucket(&h, mkKey(c.cx-r, cy), qx, qy, qz, keep)
			if r > 0 {
				ix.scanBucket(&h, mkKey(c.cx+r, cy), qx, qy, qz, keep)
			}
		}
		if len(h.items) < k {
			continue
		}
		// Any unit outside the visited square is at least this far (radians):
		// beyond its north or south side by the latitude gap; beyond its east
		// or west side by at least the distance to that side's meridian,
		// asin(cos(lat)·sin(Δlon)) ≥ cos(lat)·(Δlon − Δlon³/6) for Δlon < 90°.
		// The chord of an angle θ is 2·sin(θ/2) ≥ θ − θ³/24. Both
		// polynomial bounds only shrink the bound, so the stop stays safe
		// and costs no trigonometry.
		latLo := float64(c.cy-r) * unitCellDeg
		latHi := float64(c.cy+r+1) * unitCellDeg
		lb := math.Inf(1)
		if latLo > -90 {
			lb = math.Min(lb, (lat-latLo)*math.Pi/180)
		}
		if latHi < 90 {
			lb = math.Min(lb, (latHi-lat)*math.Pi/180)
		}
		dl := math.Min(lon-lonLo, lonHi-lon) * math.Pi / 180
		lb = math.Min(lb, coslat*(dl-dl*dl*dl/6))
		if h.worst() < chordLow(lb) {
			return h.result()
		}
	}
}

// chordLow is a lower bound of the squared unit-sphere chord of an angle
// lb (radians): (lb − lb³/24)², taken 1e-9 rad (6 mm) short against
// rounding at bucket edges.
func chordLow(lb float64) float64 {
	lb -= 1e-9
	if lb <= 0 {
		return 0
	}
	c := lb - lb*lb*lb/24
	return c * c
}

func (ix *UnitIndex) scanBucket(h *topK, key cellKey, qx, qy, qz float64, keep func(string, UnitStatus) bool) {
	for _, i := range ix.buckets.get(key) {
		ix.consider(h, int(i), qx, qy, qz, keep)
	}
}

func (ix *UnitIndex) scanAll(h *topK, qx, qy, qz float64, keep func(string, UnitStatus) bool) {
	for i := range ix.units {
		ix.consider(h, i, qx, qy, qz, keep)
	}
}

func (ix *UnitIndex) consider(h *topK, i int, qx, qy, qz float64, keep func(string, UnitStatus) bool) {
	u := &ix.units[i]
	dx, dy, dz := u.x-qx, u.y-qy, u.z-qz
	d2 := dx*dx + dy*dy + dz*dz
	if len(h.items) == h.k && !less(d2, u.id, h.items[h.k-1].DistanceM, h.items[h.k-1].ID) {
		return
	}
	if keep != nil && !keep(u.id, u.st) {
		return
	}
	h.push(Neighbor{u.id, d2})
}

func less(d2a float64, ida string, d2b float64, idb string) bool {
	return d2a < d2b || (d2a == d2b && ida < idb)
}

// topK keeps the k best candidates sorted (k is small: insertion is
// cheap). During the search DistanceM holds the squared chord on the unit
// sphere, which orders like the great-circle distance.
type topK struct {
	k     int
	items []Neighbor
}

func (h *topK) push(c Neighbor) {
	n := len(h.items)
	if n < h.k {
		h.items = append(h.items, c)
	} else {
		n--
	}
	j := n
	for j > 0 && less(c.DistanceM, c.ID, h.items[j-1].DistanceM, h.items[j-1].ID) {
		h.items[j] = h.items[j-1]
		j--
	}
	h.items[j] = c
}

func (h *topK) worst() float64 { return h.items[len(h.items)-1].DistanceM }

func (h *topK) result() []Neighbor {
	if len(h.items) == 0 {
		return nil
	}
	for i := range h.items {
		h.items[i].DistanceM = chordToM(h.items[i].DistanceM)
	}
	return h.items
}

func chordToM(d2 float64) float64 {
	return 2 * math.Asin(math.Min(1, math.Sqrt(d2)/2)) * EarthRadiusM
}

// bucketTable maps bucket keys to unit lists: open addressing with linear
// probing and backward-shift deletion, about 3× faster than a Go map here
// (a query reads ~9 buckets). An empty list marks a free slot; empty
// buckets are deleted, so memory follows the occupied buckets.
type bucketTable struct {
	slots []bucketSlot // length a power of two, at most half full
	n     int
}

type bucketSlot struct {
	key cellKey
	ids []int32 // nil: free
}

func (k cellKey) hash() uint64 {
	x := uint64(k) * 0x9E3779B97F4A7C15
	return x ^ x>>29
}

func (t *bucketTable) get(k cellKey) []int32 {
	if len(t.slots) == 0 {
		return nil
	}
	mask := uint64(len(t.slots) - 1)
	for i := k.hash() & mask; ; i = (i + 1) & mask {
		s := &t.slots[i]
		if s.ids == nil {
			return nil
		}
		if s.key == k {
			return s.ids
		}
	}
}

// ptr returns the list of k, inserting an empty (non-nil) one if absent.
func (t *bucketTable) ptr(k cellKey) *[]int32 {
	if 2*(t.n+1) > len(t.slots) {
		t.grow()
	}
	mask := uint64(len(t.slots) - 1)
	for i := k.hash() & mask; ; i = (i + 1) & mask {
		s := &t.slots[i]
		if s.ids == nil {
			s.key, s.ids = k, make([]int32, 0, 4)
			t.n++
			return &s.ids
		}
		if s.key == k {
			return &s.ids
		}
	}
}

func (t *bucketTable) grow() {
	old := t.slots
	t.slots = make([]bucketSlot, max(16, 2*len(old)))
	mask := uint64(len(t.slots) - 1)
	for _, s := range old {
		if s.ids == nil {
			continue
		}
		i := s.key.hash() & mask
		for t.slots[i].ids != nil {
			i = (i + 1) & mask
		}
		t.slots[i] = s
	}
}

func (t *bucketTable) del(k cellKey) {
	if len(t.slots) == 0 {
		return
	}
	mask := uint64(len(t.slots) - 1)
	i := k.hash() & mask
	for {
		if t.slots[i].ids == nil {
			return
		}
		if t.slots[i].key == k {
			break
		}
		i = (i + 1) & mask
	}
	// shift later members of the probe run back over the hole
	for j := (i + 1) & mask; t.slots[j].ids != nil; j = (j + 1) & mask {
		h := t.slots[j].key.hash() & mask
		// j stays if its home h lies cyclically in (i, j]
		if (i <= j && i < h && h <= j) || (i > j && (i < h || h <= j)) {
			continue
		}
		t.slots[i] = t.slots[j]
		i = j
	}
	t.slots[i] = bucketSlot{}
	t.n--
}
