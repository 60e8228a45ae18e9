package bundle

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/gridd/gridd/errs"
)

// maxFile bounds what one bundle file may hold in memory, GeoJSON or CSV.
const maxFile = 512 << 20

// bom is the UTF-8 byte order mark some editors and spreadsheets write
// first; every bundle file may start with it, and it is dropped.
const bom = "\ufeff"

// readInput reads one bundle file whole and returns its text without a
// leading BOM. It refuses a file larger than maxFile (reading at most one
// byte more, so an endless stream stops there) and a file that is not
// valid UTF-8, naming the byte offset (from the start of the file) and
// line of the first bad byte.
func readInput(file string, r io.Reader) ([]byte, *errs.Error) {
	return readInputMax(file, r, maxFile)
}

// readInputMax is readInput with the size limit as a parameter.
func readInputMax(file string, r io.Reader, limit int64) ([]byte, *errs.Error) {
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, errs.E(errs.Invalid, file, "read: %v", err)
	}
	if int64(len(data)) > limit {
		return nil, tooLarge(file, limit)
	}
	if off := invalidUTF8(data); off >= 0 {
		line, col := lineCol(data, off)
		return nil, errs.E(errs.Invalid, fmt.Sprintf("%s:%d:%d", file, line, col),
			"byte offset %d (0x%02x) is not valid UTF-8; save the file as UTF-8", off, data[off])
	}
	return bytes.TrimPrefix(data, []byte(bom)), nil
}

// invalidUTF8 is the offset of the first byte that does not start a valid
// UTF-8 sequence, -1 when data is valid.
func invalidUTF8(data []byte) int {
	if utf8.Valid(data) {
		return -1
	}
	for off := 0; off < len(data); {
		r, n := utf8.DecodeRune(data[off:])
		if r == utf8.RuneError && n <= 1 {
			return off
		}
		off += n
	}
	return -1
}

// lineCol is the 1-based line and column (in characters, a tab counting
// one) of byte off of data.
func lineCol(data []byte, off int) (line, col int) {
	off = min(max(off, 0), len(data))
	start := bytes.LastIndexByte(data[:off], '\n') + 1
	return 1 + bytes.Count(data[:off], []byte{'\n'}), 1 + utf8.RuneCount(data[start:off])
}

// jsonSyntax checks data is one JSON value and, when not, names the line
// and column of the error (the decoders used after it give offsets into
// nested fragments, not the file).
func jsonSyntax(file string, data []byte) *errs.Error {
	var raw json.RawMessage
	err := json.Unmarshal(data, &raw)
	var se *json.SyntaxError
	if !errors.As(err, &se) {
		return nil
	}
	// Offset counts the bytes read, the bad one included; a file that
	// ends too early is reported just after its last character.
	line, col := lineCol(data, int(se.Offset)-1)
	if se.Offset >= int64(len(data)) && strings.HasPrefix(se.Error(), "unexpected end") {
		line, col = lineCol(data, len(bytes.TrimRightFunc(data, unicode.IsSpace)))
	}
	return errs.E(errs.Invalid, fmt.Sprintf("%s:%d:%d", file, line, col), "not a GeoJSON FeatureCollection: JSON syntax error at line %d, column %d: %v", line, col, se)
}

// badQuoteLine is the line where the quoted field that encoding/csv could
// not close starts. The reader reports the line where it gave up, which
// for a quote left open is the end of the file; the field starts on the
// record's first line or, after a multi-line field, a later one. It scans
// the record from startLine and returns the line of the first quoted field
// whose closing quote is missing or not followed by a separator, falling
// back to errLine when the scan finds none.
func badQuoteLine(data []byte, startLine, errLine int) int {
	pos := lineStart(data, startLine)
	if pos < 0 {
		return errLine
	}
	line := startLine
	for pos < len(data) {
		if data[pos] != '"' {
			// An unquoted field: up to the next separator or the record's end.
			j := bytes.IndexAny(data[pos:], ",\n")
			if j < 0 || data[pos+j] == '\n' {
				return errLine
			}
			pos += j + 1
			continue
		}
		fieldLine := line
		i := pos + 1
		for {
			j := bytes.IndexByte(data[i:], '"')
			if j < 0 {
				return fieldLine // never closed
			}
			line += bytes.Count(data[i:i+j], []byte{'\n'})
			i += j + 1
			if i < len(data) && data[i] == '"' {
				i++ // an escaped quote
				continue
			}
			break
		}
		switch {
		case i >= len(data) || data[i] == '\n' || (data[i] == '\r' && i+1 < len(data) && data[i+1] == '\n'):
			return errLine // the record ends cleanly here: not this one
		case data[i] == ',':
			pos = i + 1
		default:
			return fieldLine // text after the closing quote
		}
	}
	return errLine
}

// lineStart is the offset of the first byte of 1-based line n, -1 past the end.
func lineStart(data []byte, n int) int {
	pos := 0
	for l := 1; l < n; l++ {
		j := bytes.IndexByte(data[pos:], '\n')
		if j < 0 {
			return -1
		}
		pos += j + 1
	}
	return pos
}

// tooLarge is the problem of a file over limit bytes.
func tooLarge(file string, limit int64) *errs.Error {
	return errs.E(errs.TooLarge, file, "larger than %d bytes (%d MB), the most a bundle file may hold", limit, limit>>20)
}
