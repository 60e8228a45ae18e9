package bundle

import (
	"fmt"

	"github.com/gridd/gridd/errs"
)

// The administrative codes nest: a 6-digit district (GB/T 2260), a 9-digit
// street (district + 3), a 12-digit community (street + 3) and a 15-digit grid
// (community + 3, GB/T 30428.1 practice). Each is a typed string so that a
// street code cannot be passed where a community code is meant; parsing checks
// length and digits and never yields a silent zero.

// DistrictCode is a 6-digit district code, e.g. 320111.
type DistrictCode string

// StreetCode is a 9-digit street (街道) code, e.g. 320111001.
type StreetCode string

// CommunityCode is a 12-digit community or village code, e.g. 320111001005.
type CommunityCode string

// GridCode is a 15-digit grid code: community code + 3-digit sequence.
type GridCode string

func parseDigits(kind string, s string, n int) error {
	if len(s) != n {
		return errs.E(errs.Invalid, kind, "%q is not a %d-digit code", s, n)
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return errs.E(errs.Invalid, kind, "%q is not a %d-digit code", s, n)
		}
	}
	return nil
}

// ParseDistrictCode checks s is 6 digits.
func ParseDistrictCode(s string) (DistrictCode, error) {
	if err := parseDigits("district_code", s, 6); err != nil {
		return "", err
	}
	return DistrictCode(s), nil
}

// ParseStreetCode checks s is 9 digits.
func ParseStreetCode(s string) (StreetCode, error) {
	if err := parseDigits("street_code", s, 9); err != nil {
		return "", err
	}
	return StreetCode(s), nil
}

// ParseCommunityCode checks s is 12 digits.
func ParseCommunityCode(s string) (CommunityCode, error) {
	if err := parseDigits("community_code", s, 12); err != nil {
		return "", err
	}
	return CommunityCode(s), nil
}

// ParseGridCode checks s is 15 digits.
func ParseGridCode(s string) (GridCode, error) {
	if err := parseDigits("grid_code", s, 15); err != nil {
		return "", err
	}
	return GridCode(s), nil
}

// District returns the district a street belongs to.
func (c StreetCode) District() DistrictCode { return DistrictCode(c[:6]) }

// Street returns the street a community belongs to.
func (c CommunityCode) Street() StreetCode { return StreetCode(c[:9]) }

// Community returns the community a grid belongs to.
func (c GridCode) Community() CommunityCode { return CommunityCode(c[:12]) }

// Seq returns the grid's 1-based sequence number within its community.
func (c GridCode) Seq() int {
	n := 0
	for _, d := range c[12:] {
		n = n*10 + int(d-'0')
	}
	return n
}

// NewGridCode makes the code of the seq-th grid (1..999) of community c.
func NewGridCode(c CommunityCode, seq int) (GridCode, error) {
	if seq < 1 || seq > 999 {
		return "", errs.E(errs.Invalid, "grid_code", "sequence %d out of 1..999 for community %s", seq, c)
	}
	return GridCode(fmt.Sprintf("%s%03d", c, seq)), nil
}

func (c DistrictCode) MarshalText() ([]byte, error)  { return []byte(c), nil }
func (c StreetCode) MarshalText() ([]byte, error)    { return []byte(c), nil }
func (c CommunityCode) MarshalText() ([]byte, error) { return []byte(c), nil }
func (c GridCode) MarshalText() ([]byte, error)      { return []byte(c), nil }

func (c *DistrictCode) UnmarshalText(b []byte) (err error) {
	*c, err = ParseDistrictCode(string(b))
	return err
}
func (c *StreetCode) UnmarshalText(b []byte) (err error) {
	*c, err = ParseStreetCode(string(b))
	return err
}
func (c *CommunityCode) UnmarshalText(b []byte) (err error) {
	*c, err = ParseCommunityCode(string(b))
	return err
}
func (c *GridCode) UnmarshalText(b []byte) (err error) {
	*c, err = ParseGridCode(string(b))
	return err
}
