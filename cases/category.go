package cases

import (
	_ "embed"
	"encoding/csv"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gridd/gridd/errs"
)

// Category is one kind of case with its path and time limits.
type Category struct {
	Code       string
	Name       string // zh
	Class      string // GB/T 30428.2 class or a social-governance class
	Path       Path
	Department string // the department for the department path
	Priority   int    // 1 most urgent
	// Hours to dispatch (from the report), to arrive (from dispatch) and
	// to close (from the report).
	DispatchH, ArriveH, CloseH float64
	CostYuan                   float64 // what handling one case costs (费随事转)
}

// Dur converts a limit in hours to a duration (to the second).
func Dur(hours float64) time.Duration { return time.Duration(math.Round(hours*3600)) * time.Second }

// Validate checks one category.
func (c *Category) Validate() error {
	var l errs.List
	if c.Code == "" || strings.ContainsAny(c.Code, " ,\t\n") {
		l = append(l, errs.E(errs.Invalid, "code", "%q is not a category code", c.Code))
	}
	if c.Name == "" || c.Class == "" {
		l = append(l, errs.E(errs.Invalid, "name", "name and class are required"))
	}
	if !c.Path.Valid() {
		l = append(l, errs.E(errs.Invalid, "path", "%q is not on_site or department", c.Path))
	}
	if c.Path == Department && c.Department == "" {
		l = append(l, errs.E(errs.Invalid, "department", "a department-path category names its department"))
	}
	if c.Priority < 1 || c.Priority > 5 {
		l = append(l, errs.E(errs.Invalid, "priority", "1 to 5"))
	}
	for _, h := range []struct {
		f string
		v float64
	}{{"dispatch_hours", c.DispatchH}, {"arrive_hours", c.ArriveH}, {"close_hours", c.CloseH}} {
		if !(h.v > 0) || h.v > 24*365 {
			l = append(l, errs.E(errs.Invalid, h.f, "a positive number of hours up to a year"))
		}
	}
	if c.CloseH < c.DispatchH {
		l = append(l, errs.E(errs.Invalid, "close_hours", "shorter than the time to dispatch"))
	}
	if !(c.CostYuan >= 0) || math.IsInf(c.CostYuan, 0) {
		l = append(l, errs.E(errs.Invalid, "cost_yuan", "a non-negative amount"))
	}
	return firstOrList(l)
}

// Categories is the category table, looked up by code.
type Categories struct {
	list   []Category
	byCode map[string]int
}

// Get returns the category with code.
func (t *Categories) Get(code string) (Category, bool) {
	if t == nil {
		return Category{}, false
	}
	i, ok := t.byCode[code]
	if !ok {
		return Category{}, false
	}
	return t.list[i], true
}

// All returns the categories in code order.
func (t *Categories) All() []Category { return append([]Category(nil), t.list...) }

// NewCategories builds a table, checking every category and that codes are
// unique.
func NewCategories(list []Category) (*Categories, error) {
	var l errs.List
	t := &Categories{byCode: map[string]int{}}
	for i, c := range list {
		if err := c.Validate(); err != nil {
			e, _ := errs.As(err)
			l = append(l, errs.E(errs.Invalid, "categories/"+strconv.Itoa(i), "%s", e.Error()))
			continue
		}
		if _, dup := t.byCode[c.Code]; dup {
			l = append(l, errs.E(errs.Invalid, "categories/"+strconv.Itoa(i), "duplicate code %q", c.Code))
			continue
		}
		t.byCode[c.Code] = 0
		t.list = append(t.list, c)
	}
	if err := l.Err(); err != nil {
		return nil, err
	}
	if len(t.list) == 0 {
		return nil, errs.E(errs.Invalid, "categories", "the table is empty")
	}
	sort.Slice(t.list, func(i, j int) bool { return t.list[i].Code < t.list[j].Code })
	for i, c := range t.list {
		t.byCode[c.Code] = i
	}
	return t, nil
}

// categoryHeader is the CSV header ReadCategories expects, in order.
var categoryHeader = []string{"code", "name", "class", "path", "department", "priority",
	"dispatch_hours", "arrive_hours", "close_hours", "cost_yuan"}

// ReadCategories parses a category table from CSV with categoryHeader.
// Every bad row is reported, naming its line and column.
func ReadCategories(r io.Reader) (*Categories, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	head, err := cr.Read()
	if err != nil {
		return nil, errs.Wrap(errs.Invalid, err, "categories.csv: cannot read the header")
	}
	if len(head) != len(categoryHeader) {
		return nil, errs.E(errs.Invalid, "categories.csv:1", "%d columns, want %s", len(head), strings.Join(categoryHeader, ","))
	}
	for i, h := range categoryHeader {
		if strings.TrimPrefix(head[i], "\ufeff") != h {
			return nil, errs.E(errs.Invalid, "categories.csv:1", "column %d is %q, want %q", i+1, head[i], h)
		}
	}
	var list []Category
	var l errs.List
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, errs.Wrap(errs.Invalid, err, "categories.csv: malformed CSV")
		}
		if len(rec) != len(categoryHeader) {
			l = append(l, errs.E(errs.Invalid, "categories.csv:"+strconv.Itoa(line), "%d columns, want %d", len(rec), len(categoryHeader)))
			continue
		}
		c, bad := parseCategory(rec, line)
		l = append(l, bad...)
		list = append(list, c)
	}
	if err := l.Err(); err != nil {
		return nil, err
	}
	return NewCategories(list)
}

func parseCategory(rec []string, line int) (Category, errs.List) {
	var l errs.List
	num := func(col int) float64 {
		v, err := strconv.ParseFloat(strings.TrimSpace(rec[col]), 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			l = append(l, errs.E(errs.Invalid, "categories.csv:"+strconv.Itoa(line), "%s %q is not a number", categoryHeader[col], rec[col]))
		}
		return v
	}
	c := Category{Code: rec[0], Name: rec[1], Class: rec[2], Path: Path(rec[3]), Department: rec[4]}
	p, err := strconv.Atoi(strings.TrimSpace(rec[5]))
	if err != nil {
		l = append(l, errs.E(errs.Invalid, "categories.csv:"+strconv.Itoa(line), "priority %q is not an integer", rec[5]))
	}
	c.Priority = p
	c.DispatchH, c.ArriveH, c.CloseH, c.CostYuan = num(6), num(7), num(8), num(9)
	return c, l
}

//go:embed categories.csv
var defaultCSV string

// DefaultCategories returns the shipped table: GB/T 30428.2 event classes
// (市容环境, 宣传广告, 施工管理, 突发事件, 街面秩序, 其他) and the district's
// social-governance classes (矛盾纠纷, 治安隐患, 民生服务, 安全生产).
// The embedded file is checked by the tests.
func DefaultCategories() (*Categories, error) {
	return ReadCategories(strings.NewReader(defaultCSV))
}
