package api

import (
	"bytes"
	"math"
	"strconv"
	"sync"
	"unicode/utf8"

	"github.com/gridd/gridd/dispatch"
)

// appendAnswer writes a /locate answer as JSON without reflection: /locate
// must keep up with a bare net/http handler, and encoding/json was a third
// of its cost. The output is byte-for-byte what encoding/json would write
// for the same value (a test compares them); ok=false asks the caller to
// fall back to encoding/json for values this writer does not cover
// (strings that need more than basic escaping, floats json writes with an
// exponent).
func appendAnswer(buf *bytes.Buffer, a *dispatch.Answer, cache *answerCache) (ok bool) {
	w := answerWriter{buf: buf, ok: true}
	// Everything but the distances and the patrols depends only on where
	// the point fell — the grid, or the community when there is no grid
	// (15 and 12 digits, so the keys cannot collide) — so it is encoded
	// once per catalogue snapshot; a patrol's id, callsign and street are
	// cached by patrol id the same way.
	key := string(a.Community.Code)
	if a.Grid != nil {
		key = string(a.Grid.Code)
	}
	seg, ok := cache.get(key)
	if !ok {
		if seg, ok = encodeSegs(a); !ok {
			return false
		}
		cache.put(key, seg)
	}
	buf.Write(seg.b[:seg.head])
	buf.WriteString(`,"subcentre":`)
	buf.Write(seg.b[seg.head:seg.sub])
	if a.Subcentre != nil {
		w.num(a.Subcentre.DistanceM)
		buf.WriteByte('}')
	}
	buf.WriteString(`,"workstation":`)
	buf.Write(seg.b[seg.sub:seg.ws])
	if a.Workstation != nil {
		w.num(a.Workstation.DistanceM)
		buf.WriteByte('}')
	}
	buf.WriteString(`,"workers":`)
	buf.Write(seg.b[seg.ws:])
	buf.WriteString(`,"patrols":`)
	if a.Patrols == nil {
		buf.WriteString("null")
	} else {
		buf.WriteByte('[')
		for i := range a.Patrols {
			p := &a.Patrols[i]
			if i > 0 {
				buf.WriteByte(',')
			}
			pre, ok := cache.patrol(p.ID)
			if !ok {
				var b bytes.Buffer
				pw := answerWriter{buf: &b, ok: true}
				b.WriteString(`{"id":`)
				pw.str(p.ID)
				b.WriteString(`,"callsign":`)
				pw.str(p.Callsign)
				b.WriteString(`,"street":`)
				pw.str(string(p.Street))
				b.WriteString(`,"distance_m":`)
				if !pw.ok {
					return false
				}
				pre = b.Bytes()
				cache.putPatrol(p.ID, pre)
			}
			buf.Write(pre)
			w.num(p.DistanceM)
			buf.WriteByte('}')
		}
		buf.WriteByte(']')
	}
	buf.WriteString("}\n")
	return w.ok
}

// encodeSegs encodes the cacheable parts of a: the head (street,
// community, grid), the sub-centre and work station up to their distance
// ("null" when absent) and the workers array.
func encodeSegs(a *dispatch.Answer) (answerSegs, bool) {
	var b bytes.Buffer
	w := answerWriter{buf: &b, ok: true}
	var seg answerSegs
	w.head(a)
	seg.head = b.Len()
	w.facilityPrefix(a.Subcentre)
	seg.sub = b.Len()
	w.facilityPrefix(a.Workstation)
	seg.ws = b.Len()
	w.workers(a.Workers)
	seg.b = b.Bytes()
	return seg, w.ok
}

func (w *answerWriter) head(a *dispatch.Answer) {
	buf := w.buf
	buf.WriteString(`{"street":{"code":`)
	w.str(string(a.Street.Code))
	buf.WriteString(`,"name":`)
	w.str(a.Street.Name)
	buf.WriteString(`},"community":{"code":`)
	w.str(string(a.Community.Code))
	buf.WriteString(`,"name":`)
	w.str(a.Community.Name)
	buf.WriteString(`,"kind":`)
	w.str(string(a.Community.Kind))
	buf.WriteByte('}')
	if a.Grid != nil {
		buf.WriteString(`,"grid":{"code":`)
		w.str(string(a.Grid.Code))
		buf.WriteString(`,"households":`)
		buf.WriteString(strconv.Itoa(a.Grid.Households))
		buf.WriteByte('}')
	}
}

func (w *answerWriter) workers(ws []dispatch.WorkerRef) {
	buf := w.buf
	if ws == nil {
		buf.WriteString("null")
		return
	}
	buf.WriteByte('[')
	for i, wk := range ws {
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.WriteString(`{"id":`)
		w.str(wk.ID)
		buf.WriteString(`,"name":`)
		w.str(wk.Name)
		buf.WriteByte('}')
	}
	buf.WriteByte(']')
}

// facilityPrefix writes a facility up to its distance value, or null.
func (w *answerWriter) facilityPrefix(f *dispatch.FacilityRef) {
	if f == nil {
		w.buf.WriteString("null")
		return
	}
	w.buf.WriteString(`{"code":`)
	w.str(f.Code)
	w.buf.WriteString(`,"name":`)
	w.str(f.Name)
	w.buf.WriteString(`,"lon":`)
	w.num(f.Lon)
	w.buf.WriteString(`,"lat":`)
	w.num(f.Lat)
	w.buf.WriteString(`,"distance_m":`)
}

// answerSegs is the cached encoding of an answer's fixed parts, in order:
// head (street, community, grid) | sub-centre prefix | work-station prefix
// | workers array; the offsets end each part.
type answerSegs struct {
	b             []byte
	head, sub, ws int
}

// answerCache holds encoded answer parts by grid (or community) code and
// patrol prefixes by patrol id, for one catalogue snapshot (whose
// Directory answers the same for the same grid); a nil cache caches
// nothing.
type answerCache struct {
	mu      sync.RWMutex
	m       map[string]answerSegs
	patrols map[string][]byte
}

func (c *answerCache) get(key string) (answerSegs, bool) {
	if c == nil {
		return answerSegs{}, false
	}
	c.mu.RLock()
	s, ok := c.m[key]
	c.mu.RUnlock()
	return s, ok
}

func (c *answerCache) put(key string, s answerSegs) {
	if c == nil {
		return
	}
	c.mu.Lock()
	if c.m == nil {
		c.m = map[string]answerSegs{}
	}
	c.m[key] = s
	c.mu.Unlock()
}

func (c *answerCache) patrol(id string) ([]byte, bool) {
	if c == nil {
		return nil, false
	}
	c.mu.RLock()
	b, ok := c.patrols[id]
	c.mu.RUnlock()
	return b, ok
}

func (c *answerCache) putPatrol(id string, b []byte) {
	if c == nil {
		return
	}
	c.mu.Lock()
	if c.patrols == nil {
		c.patrols = map[string][]byte{}
	}
	c.patrols[id] = b
	c.mu.Unlock()
}

type answerWriter struct {
	buf *bytes.Buffer
	ok  bool
}

// num writes f as encoding/json does for values it writes without an
// exponent; others are left to encoding/json.
func (w *answerWriter) num(f float64) {
	a := math.Abs(f)
	if math.IsNaN(f) || math.IsInf(f, 0) || (a != 0 && (a < 1e-6 || a >= 1e21)) {
		w.ok = false
		return
	}
	var tmp [32]byte
	w.buf.Write(strconv.AppendFloat(tmp[:0], f, 'f', -1, 64))
}

// str writes s as a JSON string with encoding/json's HTML-safe escaping;
// strings with control characters, invalid UTF-8 or U+2028/U+2029 are
// left to encoding/json.
func (w *answerWriter) str(s string) {
	simple, ascii := true, true
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 0x80:
			ascii = false
			// U+2028 and U+2029 are E2 80 A8 and E2 80 A9.
			if c == 0xE2 && i+2 < len(s) && s[i+1] == 0x80 && (s[i+2] == 0xA8 || s[i+2] == 0xA9) {
				simple = false
			}
		case c < 0x20 || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&':
			simple = false
		}
	}
	if simple && !ascii && !utf8.ValidString(s) {
		simple = false
	}
	if simple {
		w.buf.WriteByte('"')
		w.buf.WriteString(s)
		w.buf.WriteByte('"')
		return
	}
	w.ok = false
}
