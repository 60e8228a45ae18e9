// Package api is gridd's HTTP interface: OGC API – Features (Part 1 Core,
// GeoJSON, OpenAPI 3.0, Part 2 CRS) over the district's layers, vector
// tiles, point location, health, metrics and API-key roles. It adapts
// HTTP to the domain packages and holds no domain logic of its own: every
// route is registered in routes, every handler returns an error that one
// adapter maps to an RFC 9457 problem document.
package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/mux"

	"github.com/gridd/gridd/access"
	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/cases"
	"github.com/gridd/gridd/dispatch"
	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/events"
	"github.com/gridd/gridd/gridplan"
	"github.com/gridd/gridd/internal/clip"
	"github.com/gridd/gridd/jobs"
	"github.com/gridd/gridd/store"
)

// Locator answers point-location queries: who is responsible at a WGS84
// lon/lat, with the k nearest available patrols, or a
// *dispatch.OutsideError (errs.NotFound) when the point is outside the
// district. *dispatch.Directory is one.
type Locator interface {
	Locate(lon, lat float64, k int) (*dispatch.Answer, error)
}

// NewLocatorFunc builds a Locator from the district, the published plan's
// grids (nil when no plan is published) and the units (patrols and
// workers) as the store has them; the catalogue calls it on every rebuild.
type NewLocatorFunc func(b *bundle.Bundle, grids []gridplan.Grid, units []dispatch.Unit) (Locator, error)

// Config configures a Server.
type Config struct {
	Store  store.Store
	Logger *slog.Logger // nil: discard
	// Keys maps API keys to roles; nil means every request is public.
	Keys *Keys
	// NewLocator builds /locate's index; nil makes /locate answer 503.
	NewLocator NewLocatorFunc
	// PlanPoll is how often Watch checks whether the published plan
	// changed; 0 means 10 s.
	PlanPoll time.Duration
	// MaxBodyBytes limits request bodies (413 beyond); 0 means 1 MiB.
	MaxBodyBytes int64
	// MaxPlanBytes limits a plan's grids upload (POST /plans/{id}/grids,
	// a whole district's FeatureCollection); 0 means 256 MiB.
	MaxPlanBytes int64
	// Pages are the map pages (/, /planner, /static/); nil serves none
	// and / answers the landing document to everyone.
	Pages *Pages
	// CORSOrigins are the origins browsers may read GET/HEAD routes from;
	// "*" allows every origin, and nil means {"*"} (the data is public
	// unless a route needs a key, and keys are sent explicitly).
	CORSOrigins []string
	// Cases serves incidents, cases, KPIs and Open311; nil answers 503 there.
	Cases *cases.Service
	// Events receives what handlers change (plan published, unit positions
	// and statuses after they committed); nil: events.Discard{}.
	Events events.Publisher
	// EventStream serves GET /events; nil answers 503 there.
	EventStream *events.Hub
	// OnDuty says whether a unit is on shift at a time (the duty roster);
	// nil: every unit always is.
	OnDuty func(subject string, at time.Time) bool
	// UnitSpeeds turn suggestions' distances into ETAs; zero:
	// dispatch.DefaultSpeeds.
	UnitSpeeds dispatch.Speeds
	// Jobs runs POST /plans's plan jobs in this process; nil answers 503
	// there (GET /jobs/{id} reads the store and needs none).
	Jobs *jobs.Runner
}

// Server serves gridd's HTTP API. Create it with New, fill its catalogue
// with Rebuild, then serve Handler.
type Server struct {
	cfg     Config
	st      store.Store
	log     *slog.Logger
	keys    *Keys
	metrics *metrics
	router  *mux.Router
	handler http.Handler

	cat       atomic.Pointer[catalogue]
	rebuildMu sync.Mutex
	gz        gzipCache
	bodies    byteCache // whole big items bodies by ETag
	tiles     tileCache

	openapiOnce sync.Once
	openapiDoc  map[string]any

	static map[string]staticRoute

	pageSet pageSet

	planWake chan struct{} // PlanChanged's nudge to Watch (capacity 1)

	roster   atomic.Pointer[dispatch.Roster] // the duty roster (shifts.go)
	rosterMu sync.Mutex                      // serialises roster reloads (reloadRoster)
}

// staticRoute is a route without path variables, found by map lookup
// before mux's regexp matching; built from the router, so routes are still
// registered in one place.
type staticRoute struct {
	template string
	methods  []string
	h        http.Handler
}

func (s *Server) staticRoutes() map[string]staticRoute {
	m := map[string]staticRoute{}
	_ = s.router.Walk(func(rt *mux.Route, _ *mux.Router, _ []*mux.Route) error {
		tpl, err := rt.GetPathTemplate()
		if err != nil || strings.ContainsAny(tpl, "{}") {
			return nil
		}
		methods, err := rt.GetMethods()
		if err != nil {
			return nil
		}
		m[tpl] = staticRoute{template: tpl, methods: methods, h: s.authenticate(rt.GetHandler())}
		return nil
	})
	return m
}

// New builds a Server; it does not touch the store until Rebuild.
func New(cfg Config) (*Server, error) {
	if cfg.Store == nil {
		return nil, errors.New("api: Config.Store is nil")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.PlanPoll == 0 {
		cfg.PlanPoll = 10 * time.Second
	}
	if cfg.MaxBodyBytes == 0 {
		cfg.MaxBodyBytes = 1 << 20
	}
	if cfg.MaxPlanBytes == 0 {
		cfg.MaxPlanBytes = 256 << 20
	}
	if cfg.Keys == nil {
		cfg.Keys = &Keys{}
	}
	if cfg.Pages != nil {
		if err := cfg.Pages.Basemap.Validate(); err != nil {
			return nil, err
		}
	}
	if cfg.CORSOrigins == nil {
		cfg.CORSOrigins = []string{"*"}
	}
	s := &Server{cfg: cfg, st: cfg.Store, log: cfg.Logger, keys: cfg.Keys, metrics: newMetrics(), planWake: make(chan struct{}, 1)}
	s.router = s.routes()
	s.static = s.staticRoutes()
	s.handler = s.outer(s.router)
	return s, nil
}

// routes registers every route of the service, in one place. Each
// handler's doc comment names its route.
func (s *Server) routes() *mux.Router {
	r := mux.NewRouter()
	r.StrictSlash(false)
	r.NotFoundHandler = s.adapt(func(w http.ResponseWriter, r *http.Request) error {
		return errs.E(errs.NotFound, "", "no resource at %s", clip.Text(r.URL.Path, 120))
	})
	r.MethodNotAllowedHandler = s.adapt(func(w http.ResponseWriter, req *http.Request) error {
		allow, vars := s.allowedMethods(req)
		// A method on a collection that does not exist is about the
		// collection, not the method: 404.
		if id, ok := vars["collectionId"]; ok {
			if _, err := collectionByID(id); err != nil {
				return err
			}
		}
		// RFC 9110 wants the allowed methods named in a 405.
		w.Header().Set("Allow", strings.Join(allow, ", "))
		return fmt.Errorf("%w: %s", errMethod, req.Method)
	})
	get := func(path string, h handlerFunc) {
		r.Handle(path, s.adapt(h)).Methods(http.MethodGet, http.MethodHead)
	}
	// mux tries routes in order: the hot ones first.
	get("/locate", s.locate)
	get("/collections/{collectionId}/items", s.items)
	get("/tiles/{collectionId}/{z:[0-9]+}/{x:[0-9]+}/{y:[0-9]+}.mvt", s.tile)
	get("/collections/{collectionId}/items/{featureId}", s.feature)
	get("/", s.root)
	get("/conformance", s.conformance)
	get("/api", s.openAPI)
	get("/collections", s.collections)
	get("/collections/{collectionId}", s.collection)
	get("/collections/{collectionId}/queryables", s.queryablesDoc)
	get("/tiles/{collectionId}.json", s.tileJSON)
	get("/healthz", s.healthz)
	get("/readyz", s.readyz)
	get("/planner", s.planner)
	get("/static/{path:.+}", s.asset)
	r.Handle("/metrics", s.metricsHandler()).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/admin/reload", s.adapt(s.requireAny(access.Admin)(s.reload))).Methods(http.MethodPost)
	s.caseRoutes(r, get)
	s.planRoutes(r, get)
	s.unitRoutes(r, get)
	s.shiftRoutes(r)
	s.eventRoutes(r, get)
	r.Use(s.matched, s.authenticate)
	return r
}

// allowedMethods are the methods some route serves at req's path, and the
// path variables of the first such route.
func (s *Server) allowedMethods(req *http.Request) ([]string, map[string]string) {
	var allow []string
	var vars map[string]string
	for _, m := range []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		probe := req.Clone(req.Context())
		probe.Method = m
		var match mux.RouteMatch
		if s.router.Match(probe, &match) && match.MatchErr == nil {
			allow = append(allow, m)
			if vars == nil {
				vars = match.Vars
			}
		}
	}
	return allow, vars
}

// Handler returns the service's root handler.
func (s *Server) Handler() http.Handler { return s.handler }

// Rebuild reads the catalogue (and the locator) from the store and swaps
// it in atomically; requests in flight finish on the old one.
func (s *Server) Rebuild(ctx context.Context) error {
	s.rebuildMu.Lock()
	defer s.rebuildMu.Unlock()
	start := time.Now()
	c, err := buildCatalogue(ctx, s.st, s.dutyLocator())
	if err != nil {
		s.metrics.storeErrors.WithLabelValues("rebuild").Inc()
		return err
	}
	s.cat.Store(c)
	if err := s.reloadRoster(ctx); err != nil {
		s.log.Warn("load duty roster", "err", err.Error())
	}
	s.gz.reset()
	s.bodies.reset()
	s.tiles.reset()
	s.log.Info("catalogue built", "plan", int64(c.plan), "duration_ms", time.Since(start).Milliseconds(),
		"streets", len(c.layers[store.Streets].entries), "communities", len(c.layers[store.Communities].entries),
		"grids", len(c.layers[store.Grids].entries), "buildings", len(c.layers[store.Buildings].entries))
	return nil
}

// PlanChanged tells Watch to check the published plan now rather than at
// its next poll: the event stream calls it when any replica publishes a
// plan (PostgreSQL LISTEN/NOTIFY between replicas). It never blocks.
func (s *Server) PlanChanged() {
	select {
	case s.planWake <- struct{}{}:
	default: // a check is already due
	}
}

// Watch polls the store until ctx ends and rebuilds the catalogue when the
// published plan changes (a planner published through gridctl or another
// replica): every PlanPoll, and at once when PlanChanged is called.
func (s *Server) Watch(ctx context.Context) {
	if s.cfg.PlanPoll < 0 {
		return
	}
	t := time.NewTicker(s.cfg.PlanPoll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-s.planWake:
		}
		s.pollRoster(ctx)
		c := s.cat.Load()
		plans, err := s.st.Plans(ctx)
		if err != nil {
			if ctx.Err() == nil {
				s.metrics.storeErrors.WithLabelValues("plans").Inc()
				s.log.Warn("poll plans", "err", err.Error())
			}
			continue
		}
		var pub gridplan.PlanID
		for _, p := range plans {
			if p.Status == gridplan.Published {
				pub = p.ID
			}
		}
		if c == nil || pub != c.plan {
			if err := s.Rebuild(ctx); err != nil && ctx.Err() == nil {
				s.log.Warn("rebuild after plan change", "err", err.Error())
			}
		}
	}
}

// catalogue returns the current snapshot or an Unavailable error before the
// first build.
func (s *Server) catalogue() (*catalogue, error) {
	c := s.cat.Load()
	if c == nil {
		return nil, errs.E(errs.Unavailable, "", "the service is starting; the catalogue is not built yet")
	}
	return c, nil
}

// healthz is GET /healthz: the process is up.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) error {
	return writeJSON(w, r, http.StatusOK, mediaJSON, map[string]string{"status": "ok"})
}

// readyz is GET /readyz. Status codes are chosen for load balancers:
//   - 503 (a problem) when gridd cannot serve: no catalogue built yet;
//   - 200 {"status":"ready"} when the store answers and the catalogue is built;
//   - 503 {"status":"degraded","store":"unreachable","reads":"serving from
//     memory","writes":"failing"} when the store does not answer: the
//     catalogue built earlier still serves the read routes, but writes fail,
//     so a load balancer must take the replica out until the store is back
//     (/healthz stays 200: the process is alive, not to be restarted).
//
// "grids" says whether a plan is published ("published", or "none" while
// the district is served without grids).
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	pingErr := s.st.Ping(ctx)
	if pingErr != nil {
		s.metrics.storeErrors.WithLabelValues("ping").Inc()
	}
	c, err := s.catalogue()
	if err != nil {
		if pingErr != nil {
			return errs.Wrap(errs.Unavailable, pingErr, "the store is not reachable and no catalogue is built")
		}
		return err
	}
	body := map[string]any{
		"status":       "ready",
		"store":        "reachable",
		"reads":        "serving",
		"writes":       "accepted",
		"plan":         int64(c.plan),
		"grids":        "published",
		"catalogue_at": c.builtAt.Format(time.RFC3339),
		"locator":      c.locate != nil,
	}
	if c.plan == 0 {
		body["grids"] = "none: no plan is published"
	}
	if pingErr != nil {
		body["status"], body["store"], body["reads"], body["writes"] = "degraded", "unreachable", "serving from memory", "failing"
	}
	return writeJSON(w, r, readinessStatus(pingErr == nil), mediaJSON, body)
}

// reload is POST /admin/reload (role admin): rebuild the catalogue from
// the store now.
func (s *Server) reload(w http.ResponseWriter, r *http.Request) error {
	if err := s.Rebuild(r.Context()); err != nil {
		return errs.Wrap(errs.Unavailable, err, "rebuilding the catalogue failed; the previous one is still served")
	}
	c := s.cat.Load()
	return writeJSON(w, r, http.StatusOK, mediaJSON, map[string]any{
		"status": "rebuilt", "plan": int64(c.plan), "catalogue_at": c.builtAt.Format(time.RFC3339Nano),
	})
}

// outer wraps the router: request body limit, structured access log and
// per-route metrics. It deliberately adds nothing to the request context:
// a context value means a copy of the Request on every request, which was
// a measurable share of /locate. The route template travels on the
// statusWriter instead, and roles are resolved where they are checked.
func (s *Server) outer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, route: "unmatched"}
		limit := s.bodyLimit(r)
		var queryErr error
		if r.URL.RawQuery != "" {
			queryErr = checkQuery(r.URL.RawQuery)
		}
		switch {
		case r.ContentLength > limit:
			s.writeProblem(sw, r, errs.E(errs.TooLarge, "body", "request bodies are limited to %d bytes", limit))
		case queryErr != nil:
			s.writeProblem(sw, r, queryErr)
		case r.Method == http.MethodOptions:
			sw.route = "OPTIONS"
			methods, _ := s.allowedMethods(r)
			s.options(sw, r, methods)
		default:
			s.cors(sw, r)
			if r.Body != nil && r.Body != http.NoBody {
				r.Body = http.MaxBytesReader(sw, r.Body, limit)
			}
			if sr, ok := s.static[r.URL.Path]; ok && slices.Contains(sr.methods, r.Method) {
				sw.route = sr.template
				sr.h.ServeHTTP(sw, r)
			} else {
				next.ServeHTTP(sw, r)
			}
		}
		d := time.Since(start)
		status := sw.status
		if status == 0 {
			status = http.StatusOK
		}
		s.metrics.observe(sw.route, r.Method, status, d)
		lvl := slog.LevelInfo
		if status >= 500 {
			lvl = slog.LevelError
		}
		if !s.log.Enabled(r.Context(), lvl) {
			return
		}
		s.log.LogAttrs(r.Context(), lvl, "request",
			slog.String("method", r.Method), slog.String("path", r.URL.Path),
			slog.String("route", sw.route), slog.Int("status", status),
			slog.Int("bytes", sw.bytes), slog.Float64("duration_ms", float64(d.Microseconds())/1000),
			slog.String("roles", s.principalOf(r).Roles.String()), slog.String("remote", r.RemoteAddr))
	})
}

// matched records the matched route's template for metrics and logs.
// bodyLimit is the largest body r may send: a plan's grids upload is a
// whole district, every other body is small.
func (s *Server) bodyLimit(r *http.Request) int64 {
	if r.Method == http.MethodPost && strings.HasPrefix(r.URL.Path, "/plans/") && strings.HasSuffix(r.URL.Path, "/grids") {
		return s.cfg.MaxPlanBytes
	}
	return s.cfg.MaxBodyBytes
}

func (s *Server) matched(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if sw, ok := w.(*statusWriter); ok {
			if rt := mux.CurrentRoute(r); rt != nil {
				if t, err := rt.GetPathTemplate(); err == nil {
					sw.route = routeLabel(t)
				}
			}
		}
		next.ServeHTTP(w, r)
	})
}

// queryOf returns the request's query parameters, parsed once per request
// (negotiation, validation and the handler all read them). For GET and
// HEAD, whose Form is exactly the query, the parse is kept in r.Form, as
// ParseForm would; other methods parse afresh, so that a later
// ParseForm still reads their bodies.
func queryOf(r *http.Request) url.Values {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return r.URL.Query()
	}
	if r.Form == nil {
		r.Form = r.URL.Query()
	}
	return r.Form
}

// baseURL is the scheme and host clients reached us by, for absolute links
// (GDAL follows them verbatim).
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	if p := r.Header.Get("X-Forwarded-Proto"); p == "https" || p == "http" {
		scheme = p
	}
	return scheme + "://" + r.Host
}
