package api

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"errors"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"
	"github.com/paulmach/orb"

	"github.com/gridd/gridd/access"
	"github.com/gridd/gridd/cases"
	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/internal/clip"
)

// Open311 GeoReport v2 (https://wiki.open311.org/GeoReport_v2): the
// category table as services, public reports as service requests. A
// service request id is the incident id. Errors use Open311's format, a
// list of {code, description}, with the HTTP status as the code.

// open311 adapts an Open311 handler: its errors are written in Open311's
// error format instead of problem+json.
func (s *Server) open311(h handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		err := h(w, r)
		if err == nil {
			return nil
		}
		status := statusOf(err)
		desc := "an internal error occurred; it has been logged"
		if e, ok := errs.As(err); ok && (status < 500 || e.Code == errs.Unavailable) {
			desc = e.Msg
			if e.Field != "" {
				desc = e.Field + ": " + desc
			}
		} else {
			s.log.ErrorContext(r.Context(), "internal error", "path", r.URL.Path, "err", err.Error())
		}
		body, _ := json.Marshal([]open311Error{{Code: status, Description: desc}})
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(status)
		_, _ = w.Write(append(body, '\n'))
		return nil
	}
}

type open311Error struct {
	Code        int    `json:"code"`
	Description string `json:"description"`
}

// open311Service is one service, field order as the spec lists them.
type open311Service struct {
	XMLName     xml.Name `json:"-" xml:"service"`
	ServiceCode string   `json:"service_code" xml:"service_code"`
	ServiceName string   `json:"service_name" xml:"service_name"`
	Description string   `json:"description" xml:"description"`
	Metadata    bool     `json:"metadata" xml:"metadata"`
	Type        string   `json:"type" xml:"type"`
	Keywords    string   `json:"keywords" xml:"keywords"`
	Group       string   `json:"group" xml:"group"`
}

func (s *Server) open311Services() ([]open311Service, error) {
	svc, err := s.casesService()
	if err != nil {
		return nil, err
	}
	var out []open311Service
	for _, c := range svc.Categories.All() {
		out = append(out, open311Service{ServiceCode: c.Code, ServiceName: c.Name, Description: c.Class + "：" + c.Name,
			Metadata: false, Type: "realtime", Keywords: c.Class, Group: c.Class})
	}
	return out, nil
}

// open311ServicesJSON is GET /open311/v2/services.json.
func (s *Server) open311ServicesJSON(w http.ResponseWriter, r *http.Request) error {
	list, err := s.open311Services()
	if err != nil {
		return err
	}
	return writeJSON(w, r, http.StatusOK, "application/json; charset=utf-8", list)
}

// open311ServicesXML is GET /open311/v2/services.xml.
func (s *Server) open311ServicesXML(w http.ResponseWriter, r *http.Request) error {
	list, err := s.open311Services()
	if err != nil {
		return err
	}
	var b bytes.Buffer
	b.WriteString(xml.Header)
	body, err := xml.Marshal(struct {
		XMLName  xml.Name `xml:"services"`
		Services []open311Service
	}{Services: list})
	if err != nil {
		return err
	}
	b.Write(body)
	b.WriteByte('\n')
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(b.Len()))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(b.Bytes())
	}
	return nil
}

// open311Who is the caller: a key given as the api_key form field (as
// Open311 clients send it) or the usual header, else the public.
func (s *Server) open311Who(r *http.Request, apiKey string) (access.Principal, error) {
	if apiKey == "" {
		return s.principalOf(r), nil
	}
	k, ok := s.keys.lookup(apiKey)
	if !ok {
		return access.Principal{}, errs.E(errs.Forbidden, "api_key", "invalid api_key received; can't proceed with the request")
	}
	return k.who, nil
}

// open311Post is POST /open311/v2/requests.json (form-encoded): a new
// service request. An identical POST (a client's retry) answers the stored
// request: its external id is a digest of the form.
func (s *Server) open311Post(w http.ResponseWriter, r *http.Request) error {
	svc, err := s.casesService()
	if err != nil {
		return err
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/x-www-form-urlencoded" {
		return errs.E(errs.Unsupported, "Content-Type", "send the request form-encoded (application/x-www-form-urlencoded)")
	}
	if err := r.ParseForm(); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return errs.E(errs.TooLarge, "body", "the form is larger than %d bytes", mbe.Limit)
		}
		return errs.E(errs.Invalid, "body", "not a form")
	}
	f := r.PostForm
	who, err := s.open311Who(r, f.Get("api_key"))
	if err != nil {
		return err
	}
	rep := cases.Report{Channel: cases.Open311, Category: f.Get("service_code"), Description: f.Get("description"),
		Address: f.Get("address_string"), ReportedAt: svc.Now(), Reporter: strings.TrimSpace(f.Get("email") + " " + f.Get("phone"))}
	if rep.Category == "" {
		return errs.E(errs.Invalid, "service_code", "service_code is required")
	}
	if m := f.Get("media_url"); m != "" {
		rep.Media = []string{m}
	}
	if f.Has("lat") || f.Has("long") {
		lat, err1 := strconv.ParseFloat(f.Get("lat"), 64)
		lon, err2 := strconv.ParseFloat(f.Get("long"), 64)
		if err1 != nil || err2 != nil {
			return errs.E(errs.Invalid, "lat", "lat and long must both be decimal degrees")
		}
		rep.Loc = &orb.Point{lon, lat}
	} else if rep.Address == "" {
		return errs.E(errs.Invalid, "lat", "give lat and long, or address_string")
	}
	rep.ExternalID = open311Digest(f.Get("service_code"), f.Get("lat"), f.Get("long"), rep.Address, rep.Description,
		f.Get("email"), f.Get("device_id"), f.Get("media_url"))
	in, created, err := svc.Submit(r.Context(), who, rep)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	return writeJSON(w, r, status, "application/json; charset=utf-8", []map[string]any{{
		"service_request_id": in.ID.String(), "service_notice": "", "account_id": nil}})
}

func open311Digest(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return "o311-" + hex.EncodeToString(h.Sum(nil))[:32]
}

// open311Request is one service request, field order as the spec lists them.
type open311Request struct {
	ServiceRequestID  string   `json:"service_request_id"`
	Status            string   `json:"status"`
	StatusNotes       *string  `json:"status_notes"`
	ServiceName       string   `json:"service_name"`
	ServiceCode       string   `json:"service_code"`
	Description       string   `json:"description"`
	AgencyResponsible *string  `json:"agency_responsible"`
	ServiceNotice     *string  `json:"service_notice"`
	RequestedDatetime string   `json:"requested_datetime"`
	UpdatedDatetime   string   `json:"updated_datetime"`
	ExpectedDatetime  *string  `json:"expected_datetime"`
	Address           string   `json:"address"`
	AddressID         *string  `json:"address_id"`
	Zipcode           *string  `json:"zipcode"`
	Lat               *float64 `json:"lat"`
	Long              *float64 `json:"long"`
	MediaURL          string   `json:"media_url"`
}

// open311Of maps an incident and its case to a service request: closed
// when the case is closed, evaluated or void; open otherwise.
func (s *Server) open311Of(r *http.Request, svc *cases.Service, in *cases.Incident) open311Request {
	out := open311Request{ServiceRequestID: in.ID.String(), Status: "open", ServiceCode: in.Category,
		Description: in.Description, RequestedDatetime: in.ReportedAt.Format(time.RFC3339),
		UpdatedDatetime: in.ReceivedAt.Format(time.RFC3339), Address: in.Address}
	if c, ok := svc.Categories.Get(in.Category); ok {
		out.ServiceName = c.Name
	}
	if len(in.Media) > 0 {
		out.MediaURL = in.Media[0]
	}
	if in.Located {
		lat, lon := in.Loc[1], in.Loc[0]
		out.Lat, out.Long = &lat, &lon
	}
	if in.Case == 0 {
		return out
	}
	c, err := svc.Store.Case(r.Context(), in.Case)
	if err != nil {
		return out
	}
	switch c.Stage {
	case cases.Closed, cases.Evaluated, cases.Void:
		out.Status = "closed"
	}
	note := string(c.Stage)
	out.StatusNotes = &note
	if c.Department != "" {
		d := c.Department
		out.AgencyResponsible = &d
	}
	out.UpdatedDatetime = c.UpdatedAt.Format(time.RFC3339)
	exp := c.DueAt.Format(time.RFC3339)
	out.ExpectedDatetime = &exp
	return out
}

// open311Get is GET /open311/v2/requests/{id}.json: one request's status;
// anyone holding its id may read it (only Open311 requests are served).
func (s *Server) open311Get(w http.ResponseWriter, r *http.Request) error {
	svc, err := s.casesService()
	if err != nil {
		return err
	}
	id, err := cases.ParseIncidentID(mux.Vars(r)["id"])
	if err != nil {
		return errs.E(errs.NotFound, "service_request_id", "no service request %q", clip.Text(mux.Vars(r)["id"], 40))
	}
	in, err := svc.Store.Incident(r.Context(), id)
	if err != nil || in.Channel != cases.Open311 {
		return errs.E(errs.NotFound, "service_request_id", "no service request %d", id)
	}
	return writeJSON(w, r, http.StatusOK, "application/json; charset=utf-8", []open311Request{s.open311Of(r, svc, &in)})
}

// open311List is GET /open311/v2/requests.json: the public names its own
// requests (service_request_id, comma-separated); a dispatcher key lists
// all Open311 requests, filtered by service_code, status, start_date and
// end_date.
func (s *Server) open311List(w http.ResponseWriter, r *http.Request) error {
	svc, err := s.casesService()
	if err != nil {
		return err
	}
	v := queryOf(r)
	who, err := s.open311Who(r, v.Get("api_key"))
	if err != nil {
		return err
	}
	var list []cases.Incident
	if ids := v.Get("service_request_id"); ids != "" {
		for _, part := range strings.Split(ids, ",") {
			id, err := cases.ParseIncidentID(strings.TrimSpace(part))
			if err != nil {
				return errs.E(errs.Invalid, "service_request_id", "%q is not a service request id", clip.Text(part, 40))
			}
			if in, err := svc.Store.Incident(r.Context(), id); err == nil && in.Channel == cases.Open311 {
				list = append(list, in)
			}
		}
	} else {
		if !who.Any(access.Dispatcher) {
			return errs.E(errs.Forbidden, "service_request_id", "name your requests' ids; listing all requests needs a dispatcher api_key")
		}
		if list, err = svc.Store.Incidents(r.Context(), cases.IncidentFilter{Channel: cases.Open311, Limit: 1000}); err != nil {
			return err
		}
	}
	out, err := s.open311Filter(r, svc, list, v.Get("service_code"), v.Get("status"), v.Get("start_date"), v.Get("end_date"))
	if err != nil {
		return err
	}
	return writeJSON(w, r, http.StatusOK, "application/json; charset=utf-8", out)
}

func (s *Server) open311Filter(r *http.Request, svc *cases.Service, list []cases.Incident, code, status, start, end string) ([]open311Request, error) {
	if status != "" && status != "open" && status != "closed" {
		return nil, errs.E(errs.Invalid, "status", "open or closed")
	}
	var from, to time.Time
	var err error
	if start != "" {
		if from, err = parseTimeField("start_date", start); err != nil {
			return nil, err
		}
	}
	if end != "" {
		if to, err = parseTimeField("end_date", end); err != nil {
			return nil, err
		}
	}
	out := []open311Request{}
	for i := range list {
		in := &list[i]
		if code != "" && in.Category != code || !from.IsZero() && in.ReportedAt.Before(from) || !to.IsZero() && in.ReportedAt.After(to) {
			continue
		}
		o := s.open311Of(r, svc, in)
		if status != "" && o.Status != status {
			continue
		}
		out = append(out, o)
	}
	return out, nil
}
