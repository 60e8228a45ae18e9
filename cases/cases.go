// Package cases is the joint-duty case domain: incidents reported through
// every channel, the cases they open, the case lifecycle after GB/T 30428
// (reported → filed → dispatched → handling → resolved → closed →
// evaluated, or void), its deadlines and escalation, the category table
// and the storage interface cases need. It imports no HTTP and no SQL.
package cases

import (
	"strconv"
	"strings"
	"time"

	"github.com/paulmach/orb"

	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/geo"
)

// IncidentID identifies an incident (one report); stores assign them from 1.
type IncidentID int64

// CaseID identifies a case; stores assign them from 1.
type CaseID int64

// ParseIncidentID parses a positive decimal incident id.
func ParseIncidentID(s string) (IncidentID, error) {
	n, err := parseID(s, "incident")
	return IncidentID(n), err
}

// ParseCaseID parses a positive decimal case id.
func ParseCaseID(s string) (CaseID, error) {
	n, err := parseID(s, "case")
	return CaseID(n), err
}

func parseID(s, field string) (int64, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return 0, errs.E(errs.Invalid, field, "%q is not a %s id (a positive integer)", s, field)
	}
	return n, nil
}

func (id IncidentID) String() string { return strconv.FormatInt(int64(id), 10) }
func (id CaseID) String() string     { return strconv.FormatInt(int64(id), 10) }

// Channel is where a report came from.
type Channel string

const (
	Police     Channel = "110"         // the police line
	Hotline    Channel = "12345"       // the citizens' hotline
	Petition   Channel = "petition"    // 网络问政, online petitions
	Portal     Channel = "portal"      // the government portal
	Governance Channel = "governance"  // 综治信息平台
	Patrol     Channel = "patrol"      // a patrol unit
	GridWorker Channel = "grid_worker" // a grid worker
	Video      Channel = "video"       // a surveillance alert
	Open311    Channel = "open311"     // the public through Open311
)

// Channels lists every channel in a stable order.
var Channels = []Channel{Police, Hotline, Petition, Portal, Governance, Patrol, GridWorker, Video, Open311}

// Valid reports whether c is a known channel.
func (c Channel) Valid() bool {
	for _, k := range Channels {
		if c == k {
			return true
		}
	}
	return false
}

// LocatedBy says how an incident's location was found.
type LocatedBy string

const (
	ByPoint        LocatedBy = "point"         // the report carried coordinates
	ByAddressExact LocatedBy = "address_exact" // its address matched a building's exactly
	ByAddressNear  LocatedBy = "address_near"  // same road, nearest house number
	ByAddressFuzzy LocatedBy = "address_fuzzy" // best fuzzy match, with a score
	ByManual       LocatedBy = "manual"        // a dispatcher set it
)

// Stage is a case's place in its lifecycle.
type Stage string

const (
	Reported   Stage = "reported"   // 信息收集
	Filed      Stage = "filed"      // 案卷建立
	Dispatched Stage = "dispatched" // 任务派遣
	Handling   Stage = "handling"   // 任务处理
	Resolved   Stage = "resolved"   // 处理反馈
	Closed     Stage = "closed"     // 核查结案
	Evaluated  Stage = "evaluated"  // 综合评价
	Void       Stage = "void"       // invalid, duplicate, out of scope
)

// Stages lists every stage in lifecycle order.
var Stages = []Stage{Reported, Filed, Dispatched, Handling, Resolved, Closed, Evaluated, Void}

// Valid reports whether s is a known stage.
func (s Stage) Valid() bool {
	for _, k := range Stages {
		if s == k {
			return true
		}
	}
	return false
}

// Open reports whether a case at s still needs work (it can be
// escalated, and new reports nearby are linked to it).
func (s Stage) Open() bool {
	return s == Reported || s == Filed || s == Dispatched || s == Handling || s == Resolved
}

// HoldsUnit reports whether a case at s keeps its unit busy. A store
// guarantees that one unit holds at most one such case.
func (s Stage) HoldsUnit() bool { return s == Dispatched || s == Handling }

// OpenStages and UnitStages list the stages Open and HoldsUnit accept, for
// stores that write them into SQL.
var (
	OpenStages = []Stage{Reported, Filed, Dispatched, Handling, Resolved}
	UnitStages = []Stage{Dispatched, Handling}
)

// Path is who handles a case.
type Path string

const (
	OnSite     Path = "on_site"    // a patrol or grid worker
	Department Path = "department" // a participating department
)

// Valid reports whether p is a known path.
func (p Path) Valid() bool { return p == OnSite || p == Department }

// Routing is who is responsible where an incident lies, as the dispatch
// directory answered at intake: stored with the incident so the answer
// given then stays on record.
type Routing struct {
	Subcentre   string   `json:"subcentre,omitempty"`   // the street's command sub-centre code
	Workstation string   `json:"workstation,omitempty"` // the community's work station code
	Workers     []string `json:"workers"`               // the grid's workers
	Unit        string   `json:"unit,omitempty"`        // the suggested on-site unit
	UnitDistM   float64  `json:"unit_distance_m,omitempty"`
	Department  string   `json:"department,omitempty"` // department-path categories
	Deadline    string   `json:"deadline,omitempty"`   // RFC 3339, the department's close deadline
}

// Incident is one report from one channel. Several incidents may share a
// case (duplicates); an unlocated incident has no case until a dispatcher
// locates it.
type Incident struct {
	ID          IncidentID
	Channel     Channel
	ExternalID  string // the channel's own id; (Channel, ExternalID) is unique
	Category    string
	Description string
	Address     string
	ReportedAt  time.Time
	ReceivedAt  time.Time
	Reporter    string   // contact, optional
	Media       []string // URLs
	Submitter   string   // the key name that submitted it (intake boundaries)

	Located   bool
	Loc       orb.Point // WGS84; zero unless Located
	LocatedBy LocatedBy
	Score     float64 // 1 for points and exact addresses, less for near and fuzzy
	Reason    string  // why it is not located
	Street    string
	Community string
	Grid      string
	Routing   Routing

	Case      CaseID // 0 while unlocated
	Duplicate bool   // linked to an existing case instead of opening one
}

// Validate checks an incident as submitted, before it is located.
func (in *Incident) Validate(cats *Categories) error {
	var l errs.List
	if !in.Channel.Valid() {
		l = append(l, errs.E(errs.Invalid, "channel", "%q is not a channel (one of %s)", in.Channel, joinChannels()))
	}
	if s := strings.TrimSpace(in.ExternalID); s == "" || len(s) > 200 {
		l = append(l, errs.E(errs.Invalid, "external_id", "the channel's report id is required (at most 200 bytes)"))
	}
	if _, ok := cats.Get(in.Category); !ok {
		l = append(l, errs.E(errs.Invalid, "category", "%q is not a category", in.Category))
	}
	if len(in.Description) > 4000 {
		l = append(l, errs.E(errs.Invalid, "description", "at most 4000 bytes"))
	}
	if in.ReportedAt.IsZero() {
		l = append(l, errs.E(errs.Invalid, "reported_at", "the report time is required"))
	}
	if len(in.Media) > 20 {
		l = append(l, errs.E(errs.Invalid, "media", "at most 20 URLs"))
	}
	for i, m := range in.Media {
		if !strings.HasPrefix(m, "http://") && !strings.HasPrefix(m, "https://") {
			l = append(l, errs.E(errs.Invalid, "media/"+strconv.Itoa(i), "%q is not an http(s) URL", m))
		}
	}
	if in.Located {
		if !validLonLat(in.Loc) {
			l = append(l, errs.E(errs.Invalid, "location", "lon/lat out of range"))
		}
	}
	return firstOrList(l)
}

func validLonLat(p orb.Point) bool { return geo.ValidLonLat(p[0], p[1]) }

func joinChannels() string {
	s := make([]string, len(Channels))
	for i, c := range Channels {
		s[i] = string(c)
	}
	return strings.Join(s, ", ")
}

func firstOrList(l errs.List) error {
	switch len(l) {
	case 0:
		return nil
	case 1:
		return l[0]
	}
	return l.Err()
}

// Case is the unit of work one or more incidents open. Its fields other
// than the identity are derived from its events; stores keep them beside
// the events, written in the same transaction.
type Case struct {
	ID        CaseID
	Stage     Stage
	Path      Path
	Category  string
	Channel   Channel // the first incident's channel
	Loc       orb.Point
	Street    string
	Community string
	Grid      string
	CostYuan  float64 // the category's cost when opened (费随事转)

	Unit       string // the on-site unit it is dispatched to
	Department string // the department it is dispatched to

	ReportedAt   time.Time // the first incident's report time
	DispatchedAt time.Time // first dispatch; zero until then
	AcceptedAt   time.Time
	ArrivedAt    time.Time
	ResolvedAt   time.Time
	ClosedAt     time.Time
	EvaluatedAt  time.Time

	DueAt      time.Time // the close deadline (reported + the category's close hours)
	Deadline   time.Time // the next step's deadline; zero when none is due
	Escalation int       // 0 none, 1 the sub-centre, 2 the centre
	EscalateAt time.Time // when the escalation loop acts next; zero for none
	Rework     int       // verifications that failed
	// Satisfaction is 1–5, 0 when not given; SpotCheck marks an evaluation
	// by the centre's spot check instead of the reporter.
	Satisfaction int
	SpotCheck    bool
	VoidReason   string
	UpdatedAt    time.Time

	Incidents []IncidentID // read back by Store.Case
	Events    []Event      // read back by Store.Case, in order
}

// Version names the case's state for optimistic concurrency: the time of
// its last change in microseconds (every action sets UpdatedAt, and a
// case changes under a lock, so two states never share a version). An
// action sent with the version its sender read (Command.IfVersion) is
// refused when the case has changed since: a retried action after a lost
// answer, or a second dispatcher acting on what the first changed, is
// not applied twice.
func (c *Case) Version() string { return strconv.FormatInt(c.UpdatedAt.UnixMicro(), 10) }

// Validate checks a case as built for storage.
func (c *Case) Validate() error {
	var l errs.List
	if !c.Stage.Valid() {
		l = append(l, errs.E(errs.Invalid, "stage", "%q is not a stage", c.Stage))
	}
	if !c.Path.Valid() {
		l = append(l, errs.E(errs.Invalid, "path", "%q is not a path", c.Path))
	}
	if c.Category == "" {
		l = append(l, errs.E(errs.Invalid, "category", "required"))
	}
	if !c.Channel.Valid() {
		l = append(l, errs.E(errs.Invalid, "channel", "%q is not a channel", c.Channel))
	}
	if !validLonLat(c.Loc) {
		l = append(l, errs.E(errs.Invalid, "location", "lon/lat out of range"))
	}
	if c.ReportedAt.IsZero() || c.DueAt.IsZero() {
		l = append(l, errs.E(errs.Invalid, "reported_at", "report time and due time are required"))
	}
	if c.Stage.HoldsUnit() && c.Path == OnSite && c.Unit == "" {
		l = append(l, errs.E(errs.Invalid, "unit", "an on-site case at %s needs a unit", c.Stage))
	}
	if c.Satisfaction < 0 || c.Satisfaction > 5 {
		l = append(l, errs.E(errs.Invalid, "satisfaction", "1 to 5"))
	}
	return firstOrList(l)
}

// Overdue reports whether the case has a deadline that passed at now.
func (c *Case) Overdue(now time.Time) bool {
	return c.Stage.Open() && !c.Deadline.IsZero() && now.After(c.Deadline)
}

// Event is one append-only entry of a case's history.
type Event struct {
	Seq    int // 1, 2, ... within the case
	Case   CaseID
	Action Action
	From   Stage // "" for the opening event
	To     Stage
	Actor  string
	Role   string
	At     time.Time
	Note   string
	// What the action carried, when it carried it.
	Unit         string
	Department   string
	OK           *bool
	Satisfaction int
	Incident     IncidentID // link and unlink events
}
