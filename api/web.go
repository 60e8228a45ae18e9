package api

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"regexp"
	"strings"
	"sync"

	"github.com/gorilla/mux"

	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/geo"
	"github.com/gridd/gridd/internal/clip"
)

// The map pages: the dispatcher console at / (for browsers; other clients
// keep the OGC landing page there), the planner view at /planner, and their
// built assets under /static/. The assets are web.Dist(), built by
// web/build.mjs; the pages are served with the basemap configuration
// written into them.

// Pages configures the map pages; a nil Config.Pages serves none.
type Pages struct {
	// Assets holds console.html, planner.html, worker.txt and the files
	// they name under /static/.
	Assets fs.FS
	// Basemap is an optional raster basemap under gridd's layers.
	Basemap Basemap
}

// Basemap is a raster tile basemap: URL with {z}/{x}/{y}, in WGS84 or
// GCJ-02 (Chinese basemaps such as Amap's or Tencent's); with GCJ-02 the
// pages ask for crs=gcj02 tiles so the grids sit on it.
type Basemap struct {
	URL         string
	CRS         geo.CRS
	Attribution string
}

// Validate checks the basemap: a URL with {z}, {x} and {y}, in WGS84 or
// GCJ-02.
func (b Basemap) Validate() error {
	if b.URL == "" {
		return nil
	}
	if !strings.HasPrefix(b.URL, "http://") && !strings.HasPrefix(b.URL, "https://") && !strings.HasPrefix(b.URL, "/") {
		return errs.E(errs.Invalid, "basemap", "basemap URL %q must be http(s) or a path on gridd", clip.Text(b.URL, 80))
	}
	for _, p := range []string{"{z}", "{x}", "{y}"} {
		if !strings.Contains(b.URL, p) {
			return errs.E(errs.Invalid, "basemap", "basemap URL %q lacks %s", clip.Text(b.URL, 80), p)
		}
	}
	if b.CRS != geo.WGS84 && b.CRS != geo.GCJ02 {
		return errs.E(errs.Invalid, "basemap-crs", "basemap CRS %q: want wgs84 or gcj02", b.CRS)
	}
	return nil
}

const mediaHTML = "text/html"

// pageSet is the pages rendered once with their configuration.
type pageSet struct {
	once  sync.Once
	err   error
	pages map[string][]byte // console, planner
	etags map[string]string
}

// page renders name ("console" or "planner") with the configuration
// written into its gridd-config script element.
func (s *Server) page(name string) ([]byte, string, error) {
	ps := &s.pageSet
	ps.once.Do(func() { ps.err = ps.render(s.cfg.Pages) })
	if ps.err != nil {
		return nil, "", ps.err
	}
	return ps.pages[name], ps.etags[name], nil
}

func (ps *pageSet) render(p *Pages) error {
	worker, err := fs.ReadFile(p.Assets, "worker.txt")
	if err != nil {
		return errs.Wrap(errs.Internal, err, "the map assets lack worker.txt; rebuild web/dist")
	}
	cfg := map[string]any{"worker": strings.TrimSpace(string(worker))}
	if p.Basemap.URL != "" {
		cfg["basemap"] = map[string]string{"url": p.Basemap.URL, "crs": string(p.Basemap.CRS), "attribution": p.Basemap.Attribution}
	}
	js, err := json.Marshal(cfg)
	if err != nil {
		return err
	}
	// Inside <script>, "</" must not appear; HTMLEscape-style escaping of
	// <, > and & keeps the JSON valid and the element closed.
	var safe bytes.Buffer
	json.HTMLEscape(&safe, js)
	ps.pages, ps.etags = map[string][]byte{}, map[string]string{}
	for _, name := range []string{"console", "planner"} {
		b, err := fs.ReadFile(p.Assets, name+".html")
		if err != nil {
			return errs.Wrap(errs.Internal, err, "the map assets lack "+name+".html; rebuild web/dist")
		}
		b = bytes.Replace(b, []byte("{{config}}"), safe.Bytes(), 1)
		sum := sha256.Sum256(b)
		ps.pages[name], ps.etags[name] = b, `"`+hex.EncodeToString(sum[:12])+`"`
	}
	return nil
}

// root is GET /: the dispatcher console for browsers (text/html preferred
// over JSON, or f=html), the OGC API landing page for everyone else.
func (s *Server) root(w http.ResponseWriter, r *http.Request) error {
	if s.cfg.Pages != nil && wantsHTML(r) {
		return s.servePage(w, r, "console")
	}
	return s.landing(w, r)
}

// wantsHTML reports whether the client prefers HTML to JSON: f=html, or an
// Accept header that ranks text/html above application/json (a browser's
// does; curl's */* and API clients' do not).
func wantsHTML(r *http.Request) bool {
	q := queryOf(r)
	if q.Has("f") {
		return strings.EqualFold(q.Get("f"), "html")
	}
	accept := r.Header.Get("Accept")
	if accept == "" || accept == "*/*" {
		return false
	}
	ct, err := negotiate(r, mediaJSON, mediaHTML)
	return err == nil && ct == mediaHTML
}

// planner is GET /planner: the planner view.
func (s *Server) planner(w http.ResponseWriter, r *http.Request) error {
	if s.cfg.Pages == nil {
		return errs.E(errs.NotFound, "", "this gridd serves no map pages")
	}
	if err := onlyParams(r, "f"); err != nil {
		return err
	}
	return s.servePage(w, r, "planner")
}

func (s *Server) servePage(w http.ResponseWriter, r *http.Request, name string) error {
	if err := onlyParams(r, "f"); err != nil {
		return err
	}
	b, etag, err := s.page(name)
	if err != nil {
		return err
	}
	// The page names hashed assets; it is checked on every load (ETag).
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	return s.writeBody(w, r, "text/html; charset=utf-8", etag, b)
}

// hashedAsset matches the content-hashed names of the build (name-HASH.ext),
// which never change content and are cached for a year.
var hashedAsset = regexp.MustCompile(`-[A-Z0-9]{8,}\.(js|mjs|css)$`)

// asset is GET /static/{path}: a built asset.
func (s *Server) asset(w http.ResponseWriter, r *http.Request) error {
	p := mux.Vars(r)["path"]
	if s.cfg.Pages == nil || !fs.ValidPath(p) || strings.HasSuffix(p, ".html") {
		return errs.E(errs.NotFound, "path", "no asset %q", clip.Text(p, 80))
	}
	if err := onlyParams(r, "v"); err != nil { // MapLibre adds ?v= to its worker
		return err
	}
	b, err := fs.ReadFile(s.cfg.Pages.Assets, p)
	if err != nil {
		return errs.E(errs.NotFound, "path", "no asset %q", clip.Text(p, 80))
	}
	ct := mime.TypeByExtension(path.Ext(p))
	switch path.Ext(p) {
	case ".js", ".mjs":
		ct = "text/javascript; charset=utf-8"
	case ".txt":
		ct = "text/plain; charset=utf-8"
	case "":
		ct = "application/octet-stream"
	}
	if ct == "" {
		ct = "application/octet-stream"
	}
	sum := sha256.Sum256(b)
	if hashedAsset.MatchString(p) {
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		w.Header().Set("Cache-Control", "public, max-age=300")
	}
	w.Header().Set("X-Content-Type-Options", "nosniff")
	return s.writeBody(w, r, ct, `"`+hex.EncodeToString(sum[:12])+`"`, b)
}
