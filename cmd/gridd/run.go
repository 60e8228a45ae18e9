package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/gridd/gridd/api"
	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/cases"
	"github.com/gridd/gridd/dispatch"
	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/events"
	"github.com/gridd/gridd/fixtures"
	"github.com/gridd/gridd/geo"
	"github.com/gridd/gridd/gridplan"
	"github.com/gridd/gridd/jobs"
	"github.com/gridd/gridd/store"
	"github.com/gridd/gridd/store/backend"
	"github.com/gridd/gridd/store/gpkg"
	"github.com/gridd/gridd/web"
)

// errUsage marks a command-line mistake (exit 2).
var errUsage = errors.New("usage")

// config is gridd's parsed command line and environment.
type config struct {
	addr        string
	dataDir     string
	databaseURL string
	keysFile    string
	keysEnv     string
	seed        bool
	logLevel    slog.Level
	drain       time.Duration
	planPoll    time.Duration
	basemap     api.Basemap
	corsOrigins []string      // nil: every origin
	dbWait      time.Duration // how long to retry an unreachable PostgreSQL at start
	categories  string        // a category table CSV replacing the shipped one
	clockStart  time.Time     // zero: the real clock
	escalate    time.Duration // how often the escalation loop runs
	unitSpeeds  dispatch.Speeds
	planJobs    int           // plan jobs (POST /plans) run at once by this process
	jobStale    time.Duration // a job not written for this long belongs to a dead process
}

const usageText = `usage: gridd [flags]

Serves the district as OGC API - Features, vector tiles and /locate, and
the map pages: the dispatcher console at / (for browsers) and the planner
view at /planner (--basemap adds a raster basemap under them).

Storage: PostGIS when DATABASE_URL is set, else an embedded GeoPackage at
DIR/gridd.gpkg (--data). When PostgreSQL is down at start gridd retries
with backoff, logging each try, for --db-wait. An empty store (no district,
no plan) is seeded with the Pukou reference district and its published plan
in one transaction (disable with --seed=false); a store with a district and
no plan is served without grids, and /readyz says so.

API keys: --keys FILE or GRIDD_API_KEYS, one "sha256hex roles name" per line
(GRIDD_API_KEYS may separate entries with ';'). A key holds a set of roles,
comma-separated: intake, unit, department, dispatcher, planner, admin (admin
holds every right; "public" grants none). A unit key names its unit with
unit=ID, a department key its department with department=CODE, e.g.
  9f86d0...  unit,intake unit=P12  patrol 12
Requests without a key are public.

Flags:
`

func parseConfig(args []string, getenv func(string) string, stdout io.Writer) (*config, error) {
	c := &config{databaseURL: getenv("DATABASE_URL"), keysEnv: getenv("GRIDD_API_KEYS")}
	fs := flag.NewFlagSet("gridd", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&c.addr, "addr", ":8080", "listen address")
	fs.StringVar(&c.dataDir, "data", "./data", "directory of the embedded GeoPackage store (ignored when DATABASE_URL is set)")
	fs.StringVar(&c.keysFile, "keys", "", "file of API keys (\"sha256hex roles name\" lines)")
	fs.BoolVar(&c.seed, "seed", true, "import the Pukou reference district and plan into an empty store")
	level := fs.String("log-level", "info", "log level: debug, info, warn or error")
	fs.DurationVar(&c.drain, "shutdown-timeout", 10*time.Second, "how long to let requests finish on SIGINT/SIGTERM")
	fs.DurationVar(&c.planPoll, "plan-poll", 10*time.Second, "how often to check whether the published plan changed")
	fs.StringVar(&c.basemap.URL, "basemap", "", "raster basemap tile URL with {z}/{x}/{y} under the map pages (none: gridd's layers only)")
	basemapCRS := fs.String("basemap-crs", "wgs84", "the basemap's coordinate system: wgs84, or gcj02 for Chinese basemaps (the pages then use gcj02 tiles)")
	fs.StringVar(&c.basemap.Attribution, "basemap-attribution", "", "attribution shown for the basemap")
	cors := fs.String("cors-origins", getenv("GRIDD_CORS_ORIGINS"), "comma-separated origins browsers may read GET routes from (default *: any; GRIDD_CORS_ORIGINS)")
	fs.DurationVar(&c.dbWait, "db-wait", time.Minute, "how long to keep retrying when PostgreSQL is unreachable at start")
	fs.StringVar(&c.categories, "categories", "", "case category table (CSV) replacing the shipped one")
	clock := fs.String("clock-start", "", "start the service's clock at this RFC 3339 time (drills and tests); it runs at real speed from there")
	fs.DurationVar(&c.escalate, "escalate-every", 30*time.Second, "how often overdue cases are checked for escalation")
	fs.Float64Var(&c.unitSpeeds.PatrolKmh, "unit-speed-kmh", dispatch.DefaultSpeeds.PatrolKmh, "straight-line speed of a patrol for suggestions' ETA")
	fs.Float64Var(&c.unitSpeeds.WorkerKmh, "worker-speed-kmh", dispatch.DefaultSpeeds.WorkerKmh, "walking speed of a grid worker for suggestions' ETA")
	fs.IntVar(&c.planJobs, "plan-jobs", 1, "plan jobs (POST /plans) this process runs at once; more wait, queued")
	fs.DurationVar(&c.jobStale, "job-stale", time.Minute, "a queued or running job not written for this long is marked failed (interrupted): its process died")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, usageText)
			fs.SetOutput(stdout)
			fs.PrintDefaults()
			return nil, flag.ErrHelp
		}
		return nil, fmt.Errorf("%w: %v", errUsage, err)
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	if err := c.logLevel.UnmarshalText([]byte(*level)); err != nil {
		return nil, fmt.Errorf("%w: --log-level %q: want debug, info, warn or error", errUsage, *level)
	}
	if _, _, err := net.SplitHostPort(c.addr); err != nil {
		return nil, fmt.Errorf("%w: --addr %q: want host:port or :port", errUsage, c.addr)
	}
	for _, o := range strings.Split(*cors, ",") {
		if o = strings.TrimSpace(o); o != "" {
			c.corsOrigins = append(c.corsOrigins, o)
		}
	}
	if *clock != "" {
		t, err := time.Parse(time.RFC3339Nano, *clock)
		if err != nil {
			return nil, fmt.Errorf("%w: --clock-start %q: want an RFC 3339 time", errUsage, *clock)
		}
		c.clockStart = t
	}
	if c.planJobs < 1 || c.planJobs > 16 {
		return nil, fmt.Errorf("%w: --plan-jobs %d: want 1..16", errUsage, c.planJobs)
	}
	if c.drain <= 0 || c.planPoll <= 0 || c.escalate <= 0 || c.dbWait < 0 {
		return nil, fmt.Errorf("%w: durations must be positive", errUsage)
	}
	if c.jobStale < 5*time.Second {
		return nil, fmt.Errorf("%w: --job-stale must be at least 5s (jobs are written every second)", errUsage)
	}
	if err := c.unitSpeeds.Validate(); err != nil {
		return nil, fmt.Errorf("%w: --unit-speed-kmh/--worker-speed-kmh: %v", errUsage, err)
	}
	crs, err := geo.ParseCRS(*basemapCRS)
	if err != nil {
		return nil, fmt.Errorf("%w: --basemap-crs %q: want wgs84 or gcj02", errUsage, *basemapCRS)
	}
	c.basemap.CRS = crs
	if err := c.basemap.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %v", errUsage, err)
	}
	return c, nil
}

// Run runs the service until ctx is cancelled, then shuts down gracefully.
// Logs go to stdout as JSON lines. ready, when non-nil, is called with the
// listening address once the catalogue is built and the socket is open, so
// tests can start gridd on ":0".
func Run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer, ready func(addr string)) error {
	cfg, err := parseConfig(args, getenv, stdout)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewJSONHandler(stdout, &slog.HandlerOptions{Level: cfg.logLevel}))

	keys, err := loadKeys(cfg)
	if err != nil {
		return err
	}
	st, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer st.Close()
	if cfg.seed {
		if err := seed(ctx, st, fixtures.PukouFS(), log); err != nil {
			return err
		}
	}
	// Every pool connection opened and warmed before gridd says ready, so
	// the first requests do not pay for it (docs/perf.md, "The first
	// seconds"); a store that cannot be warmed is served cold.
	if w, ok := st.(store.Warmer); ok {
		start := time.Now()
		if err := w.Warm(ctx); err != nil {
			log.Warn("store not warmed; serving it cold", "err", err.Error())
		} else {
			log.Info("store warm", "duration_ms", time.Since(start).Milliseconds())
		}
	}
	pages := &api.Pages{Assets: web.Dist(), Basemap: cfg.basemap}
	dist := &district{}
	svc, err := caseService(cfg, st, dist)
	if err != nil {
		return err
	}
	evs, err := newEventStream(st, getenv, log)
	if err != nil {
		return err
	}
	svc.Publisher = cases.Publishers{cases.Events{Events: evs.publisher()}}
	jobCtx, stopJobs := context.WithCancel(ctx)
	var srv *api.Server
	runner := jobs.NewRunner(jobCtx, st, jobs.Config{Concurrency: cfg.planJobs, Stale: cfg.jobStale, Logger: log,
		Problem: func(err error) json.RawMessage { return srv.JobProblem(err) }})
	// Jobs end (failed, "interrupted") when gridd stops; their last
	// write lands before the store closes.
	defer runner.Wait()
	defer stopJobs()
	srv, err = api.New(api.Config{Store: st, Logger: log, Keys: keys, NewLocator: dist.newLocator, PlanPoll: cfg.planPoll, Cases: svc, CORSOrigins: cfg.corsOrigins, Pages: pages,
		Events: evs.publisher(), EventStream: evs.stream(), UnitSpeeds: cfg.unitSpeeds, Jobs: runner})
	if err != nil {
		return err
	}
	// Jobs left queued or running by a process that died are failed
	// ("interrupted"), now and whenever one stops being written. The
	// embedded file has one process: every open job in it is from a
	// process that stopped.
	_, embedded := st.(*gpkg.DB)
	if n, err := runner.Sweep(ctx, embedded); err != nil {
		log.Warn("sweep interrupted jobs", "err", err.Error())
	} else if n > 0 {
		log.Warn("jobs interrupted (their process died)", "jobs", n)
	}
	go runner.Loop(jobCtx)
	svc.Publisher = cases.Publishers{svc.Publisher, srv.UnitsCasePublisher()}
	if err := srv.Rebuild(ctx); err != nil {
		return fmt.Errorf("build catalogue: %w", err)
	}
	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return err
	}
	hs := &http.Server{
		Handler:           srv.Handler(),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	watchCtx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	go srv.Watch(watchCtx)
	defer evs.start(watchCtx)()
	// Subscribed here, before the server is ready, so no change is missed.
	followPlans := evs.follow(watchCtx, func(events.Event) { srv.PlanChanged() }, events.PlanPublished)
	followShifts := evs.follow(watchCtx, func(events.Event) { srv.RosterChanged(watchCtx) }, events.ShiftsChanged)
	// Units reported, dispatched or released on another replica move this
	// one's live index too (a cut-off zero event is ignored: the next
	// report corrects the index).
	followUnits := evs.follow(watchCtx, srv.ApplyUnitEvent, events.UnitPosition, events.UnitStatus)
	go followPlans()
	go followShifts()
	go followUnits()
	go svc.RunEscalations(watchCtx, cfg.escalate, func(err error) { log.Warn("escalation loop", "err", err.Error()) })
	go catchUpReroutes(watchCtx, svc, log)

	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	log.Info("gridd listening", "addr", ln.Addr().String(), "keys", keys.Len())
	if ready != nil {
		ready(ln.Addr().String())
	}
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down", "drain", cfg.drain.String())
	sctx, cancel := context.WithTimeout(context.Background(), cfg.drain)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	log.Info("stopped")
	return nil
}

// caseService builds the case loop over st with the configured category
// table and clock.
func caseService(cfg *config, st store.Store, dist *district) (*cases.Service, error) {
	cs, ok := st.(cases.Store)
	if !ok {
		return nil, fmt.Errorf("the %T store keeps no cases", st)
	}
	cats, err := cases.DefaultCategories()
	if cfg.categories != "" {
		f, ferr := os.Open(cfg.categories)
		if ferr != nil {
			return nil, fmt.Errorf("%w: --categories: %v", errUsage, ferr)
		}
		defer f.Close()
		cats, err = cases.ReadCategories(f)
	}
	if err != nil {
		return nil, fmt.Errorf("category table: %w", err)
	}
	now := time.Now
	if !cfg.clockStart.IsZero() {
		began := time.Now()
		now = func() time.Time { return cfg.clockStart.Add(time.Since(began)) }
	}
	return &cases.Service{Store: cs, Categories: cats, Now: now, Directory: dist.Directory, Addresses: dist.Addresses}, nil
}

// catchUpReroutes re-routes open cases that a plan published while this
// replica was down (or whose publisher died before re-routing) left in
// their old grid; it does nothing when every case is where the plan puts
// it.
func catchUpReroutes(ctx context.Context, svc *cases.Service, log *slog.Logger) {
	n, err := svc.RerouteOpen(ctx, "")
	switch {
	case err != nil && ctx.Err() == nil:
		log.Warn("re-route open cases at start", "err", err.Error())
	case n > 0:
		log.Info("re-routed open cases at start", "cases", n)
	}
}

func loadKeys(cfg *config) (*api.Keys, error) {
	var parts []string
	if cfg.keysFile != "" {
		b, err := os.ReadFile(cfg.keysFile)
		if err != nil {
			return nil, fmt.Errorf("%w: --keys: %v", errUsage, err)
		}
		ks, err := api.ParseKeys(bytes.NewReader(b), cfg.keysFile)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", errUsage, err)
		}
		if cfg.keysEnv == "" {
			return ks, nil
		}
		parts = append(parts, string(b))
	}
	if cfg.keysEnv != "" {
		parts = append(parts, cfg.keysEnv)
	}
	ks, err := api.ParseKeys(strings.NewReader(strings.Join(parts, "\n")), "keys")
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errUsage, err)
	}
	return ks, nil
}

// openStore opens the store by backend.Open's rule, retrying while
// PostgreSQL is unreachable for cfg.dbWait, logging each try.
func openStore(ctx context.Context, cfg *config, log *slog.Logger) (store.Store, error) {
	o, err := backend.OpenRetrying(ctx, cfg.databaseURL, cfg.dataDir, backend.Retry{
		For: cfg.dbWait, First: 250 * time.Millisecond, Max: 5 * time.Second,
		OnFail: func(try int, err error, wait time.Duration) {
			log.Warn("store unreachable; retrying", "try", try, "retry_in", wait.String(), "deadline", cfg.dbWait.String(), "err", err.Error())
		},
	})
	if err != nil {
		return nil, err
	}
	log.Info("store", "kind", o.Kind, "what", o.What)
	return o.Store, nil
}

// seed imports the bundle in fsys (the Pukou fixtures) and its plan, if
// fsys has one, published, in one transaction, into an empty store only: a
// store that has a district or any plan is left as it is (one with a
// district and no plan is served without grids).
func seed(ctx context.Context, st store.Store, fsys fs.FS, log *slog.Logger) error {
	_, err := st.Bundle(ctx)
	hasBundle := err == nil
	if err != nil && !errs.Is(err, errs.NotFound) {
		return fmt.Errorf("read bundle: %w", err)
	}
	plans, err := st.Plans(ctx)
	if err != nil {
		return fmt.Errorf("list plans: %w", err)
	}
	if hasBundle || len(plans) > 0 {
		if len(plans) == 0 {
			log.Warn("the store has a district and no plan; serving it without grids (not seeding)")
		}
		return nil
	}
	start := time.Now()
	b, err := bundle.ReadFS(fsys, ".")
	if err != nil {
		return fmt.Errorf("load the seed bundle: %w", err)
	}
	req := store.ImportRequest{Bundle: b}
	if p, err := seedPlan(fsys); err != nil {
		return err
	} else if p != nil {
		req.Plan, req.Publish = p, true
	} else {
		log.Warn("no plan in the fixtures yet; serving the district without grids")
	}
	res, err := st.Import(ctx, req)
	if err != nil {
		return fmt.Errorf("import the seed: %w", err)
	}
	log.Info("seeded the empty store", "district", b.District.Name, "streets", len(b.Streets), "communities", len(b.Communities),
		"buildings", len(b.Buildings), "plan", int64(res.Plan), "published", res.Published, "warnings", len(res.Warnings),
		"duration_ms", time.Since(start).Milliseconds())
	return nil
}

// seedPlan reads fsys's plan.geojson (and plan-report.json), nil when
// there is none.
func seedPlan(fsys fs.FS) (*gridplan.Plan, error) {
	f, err := fsys.Open("plan.geojson")
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	defer f.Close()
	grids, err := gridplan.ReadGeoJSON(f)
	if err != nil {
		return nil, fmt.Errorf("read the seed plan.geojson: %w", err)
	}
	p := &gridplan.Plan{Name: "reference plan (fixtures)", Params: gridplan.DefaultParams(), Grids: grids, Report: json.RawMessage(`{}`)}
	if rep, err := fs.ReadFile(fsys, "plan-report.json"); err == nil && json.Valid(rep) {
		p.Report = rep
	}
	return p, nil
}
