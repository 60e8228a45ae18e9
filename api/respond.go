package api

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"hash/fnv"
	"net/http"
	"strconv"
	"strings"
	"sync"
)

// gzipMinBytes is the size below which compressing costs more than it
// saves on a LAN.
const gzipMinBytes = 1400

// writeJSON encodes v as the response body with content type ct.
func writeJSON(w http.ResponseWriter, r *http.Request, status int, ct string, v any) error {
	buf := bufPool.Get().(*bytes.Buffer)
	defer bufPool.Put(buf)
	buf.Reset()
	if err := json.NewEncoder(buf).Encode(v); err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", ct)
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(buf.Bytes())
	}
	return nil
}

// etagOf makes a strong ETag from the parts that determine a response.
func etagOf(parts ...string) string {
	h := fnv.New64a()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return `"` + strconv.FormatUint(h.Sum64(), 36) + `"`
}

// notModified reports whether the request's If-None-Match matches etag.
func notModified(r *http.Request, etag string) bool {
	inm := r.Header.Get("If-None-Match")
	if inm == "" {
		return false
	}
	for _, t := range strings.Split(inm, ",") {
		t = strings.TrimSpace(t)
		if t == "*" || t == etag || strings.TrimPrefix(t, "W/") == etag {
			return true
		}
	}
	return false
}

// acceptsGzip reports whether the client takes gzip (a q of 0 refuses it).
func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if !strings.EqualFold(strings.TrimSpace(name), "gzip") {
			continue
		}
		if k, v, ok := strings.Cut(strings.TrimSpace(params), "="); ok && strings.TrimSpace(k) == "q" {
			if q, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil && q == 0 {
				return false
			}
		}
		return true
	}
	return false
}

// writeBody sends a cacheable body: ETag and If-None-Match (304), and gzip
// when the client accepts it and the body is worth compressing. Compressed
// bodies are cached by ETag, so repeated large requests compress once.
func (s *Server) writeBody(w http.ResponseWriter, r *http.Request, ct, etag string, body []byte) error {
	h := w.Header()
	h.Set("Content-Type", ct)
	h.Add("Vary", "Accept, Accept-Encoding")
	if etag != "" {
		h.Set("ETag", etag)
		if notModified(r, etag) {
			w.WriteHeader(http.StatusNotModified)
			return nil
		}
	}
	if len(body) >= gzipMinBytes && acceptsGzip(r) {
		if gz, err := s.gz.get(etag, body); err == nil {
			body = gz
			h.Set("Content-Encoding", "gzip")
		}
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, err := w.Write(body)
		return err
	}
	return nil
}

// byteCache holds response bodies by ETag, bounded in bytes; it is
// dropped whole when full (simple, and the working set is small: a few
// big pages) or when the catalogue changes.
type byteCache struct {
	mu    sync.Mutex
	m     map[string][]byte
	bytes int
}

const byteCacheBytes = 64 << 20

// bodyCacheMin is the smallest items body worth keeping whole.
const bodyCacheMin = 64 << 10

func (c *byteCache) load(k string) ([]byte, bool) {
	c.mu.Lock()
	b, ok := c.m[k]
	c.mu.Unlock()
	return b, ok
}

func (c *byteCache) store(k string, b []byte) {
	if len(b) > byteCacheBytes/4 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || c.bytes+len(b) > byteCacheBytes {
		c.m, c.bytes = map[string][]byte{}, 0
	}
	if old, ok := c.m[k]; ok {
		c.bytes -= len(old)
	}
	c.m[k] = b
	c.bytes += len(b)
}

func (c *byteCache) reset() {
	c.mu.Lock()
	c.m, c.bytes = nil, 0
	c.mu.Unlock()
}

// gzipCache holds compressed bodies by ETag.
type gzipCache struct{ byteCache }

var gzipWriters = sync.Pool{New: func() any {
	w, _ := gzip.NewWriterLevel(nil, gzip.BestSpeed)
	return w
}}

func (c *gzipCache) get(etag string, body []byte) ([]byte, error) {
	if etag != "" {
		if b, ok := c.load(etag); ok {
			return b, nil
		}
	}
	var buf bytes.Buffer
	buf.Grow(len(body) / 4)
	zw := gzipWriters.Get().(*gzip.Writer)
	zw.Reset(&buf)
	if _, err := zw.Write(body); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	gzipWriters.Put(zw)
	out := buf.Bytes()
	if etag != "" {
		c.store(etag, out)
	}
	return out, nil
}

// bufPool recycles response buffers of the items handler.
var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}
