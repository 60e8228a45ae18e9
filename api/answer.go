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
	// The street, community, grid and workers of an answer depend only on
	// where the point fell (the grid, or the community when there is no
	// grid: 15 and 12 digits, so the keys cannot collide), so their
	// encodings are cached for the life of the catalogue; distances and
	// patrols vary.
	key := string(a.Community.Code)
	if a.Grid != nil {
		key = string(a.Grid.Code)
	}
	seg, ok := cache.get(key)
	if !ok {
		var b bytes.Buffer
		hw := answerWriter{buf: &b, ok: true}
		hw.head(a)
		seg.headLen = b.Len()
		hw.workers(a.Workers)
		if !hw.ok {
			return false
		}
		seg.b = b.Bytes()
		cache.put(key, seg)
	}
	buf.Write(seg.b[:seg.headLen])
	buf.WriteString(`,"subcentre":`)
	w.facility(a.Subcentre)
	buf.WriteString(`,"workstation":`)
	w.facility(a.Workstation)
	buf.WriteString(`,"workers":`)
	buf.Write(seg.b[seg.headLen:])
	buf.WriteString(`,"patrols":`)
	if a.Patrols == nil {
		buf.WriteString("null")
	} else {
		buf.WriteByte('[')
		for i, p := range a.Patrols {
			if i > 0 {
				buf.WriteByte(',')
			}
			buf.WriteString(`{"id":`)
			w.str(p.ID)
			buf.WriteString(`,"callsign":`)
			w.str(p.Callsign)
			buf.WriteString(`,"street":`)
			w.str(string(p.Street))
			buf.WriteString(`,"distance_m":`)
			w.num(p.DistanceM)
			buf.WriteByte('}')
		}
		buf.WriteByte(']')
	}
	buf.WriteString("}\n")
	return w.ok
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

// answerSegs is the cached encoding of an answer's head (street,
// community, grid) followed by its workers array.
type answerSegs struct {
	b       []byte
	headLen int
}

// answerCache holds encoded answer segments by grid (or community) code;
// a nil cache caches nothing.
type answerCache struct {
	mu sync.RWMutex
	m  map[string]answerSegs
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

type answerWriter struct {
	buf *bytes.Buffer
	ok  bool
}

func (w *answerWriter) facility(f *dispatch.FacilityRef) {
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
	w.num(f.DistanceM)
	w.buf.WriteByte('}')
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
