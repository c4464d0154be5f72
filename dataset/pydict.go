package dataset

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// The .npy header is the repr of a Python dict. pyValue holds the few value
// kinds it may contain that we accept.
type pyKind int

const (
	pyStr pyKind = iota + 1
	pyBool
	pyTuple
	pyOther // lists and dicts (structured dtypes): parsed, then refused
)

type pyValue struct {
	kind pyKind
	str  string
	b    bool
	ints []int64
}

// parsePyDict parses a Python dict literal with string keys and values that
// are strings, True/False, tuples of non-negative integers, or (skipped)
// nested lists/tuples/dicts. Trailing spaces and newlines are allowed.
func parsePyDict(s string) (map[string]pyValue, error) {
	p := &pyParser{s: s}
	p.space()
	if !p.eat('{') {
		return nil, errors.New("header does not start with '{'")
	}
	d := map[string]pyValue{}
	for {
		p.space()
		if p.eat('}') {
			break
		}
		key, err := p.str()
		if err != nil {
			return nil, fmt.Errorf("dictionary key: %v", err)
		}
		p.space()
		if !p.eat(':') {
			return nil, fmt.Errorf("missing ':' after key %q", key)
		}
		p.space()
		v, err := p.value(0)
		if err != nil {
			return nil, fmt.Errorf("value of %q: %v", key, err)
		}
		if _, dup := d[key]; dup {
			return nil, fmt.Errorf("duplicate key %q", key)
		}
		d[key] = v
		p.space()
		if p.eat(',') {
			continue
		}
		p.space()
		if !p.eat('}') {
			return nil, fmt.Errorf("expected ',' or '}' at offset %d", p.i)
		}
		break
	}
	if strings.TrimRight(s[p.i:], " \t\r\n\x00") != "" {
		return nil, fmt.Errorf("unexpected text after the dictionary at offset %d", p.i)
	}
	return d, nil
}

type pyParser struct {
	s string
	i int
}

func (p *pyParser) space() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t' || p.s[p.i] == '\n' || p.s[p.i] == '\r') {
		p.i++
	}
}

func (p *pyParser) eat(c byte) bool {
	if p.i < len(p.s) && p.s[p.i] == c {
		p.i++
		return true
	}
	return false
}

// str parses a quoted string without escapes (dtype descriptors and keys
// never need them).
func (p *pyParser) str() (string, error) {
	if p.i >= len(p.s) || (p.s[p.i] != '\'' && p.s[p.i] != '"') {
		return "", fmt.Errorf("expected a quoted string at offset %d", p.i)
	}
	q := p.s[p.i]
	j := strings.IndexByte(p.s[p.i+1:], q)
	if j < 0 {
		return "", errors.New("unterminated string")
	}
	v := p.s[p.i+1 : p.i+1+j]
	if strings.ContainsRune(v, '\\') {
		return "", errors.New("escape sequences are not supported")
	}
	p.i += j + 2
	return v, nil
}

const maxPyDepth = 16

func (p *pyParser) value(depth int) (pyValue, error) {
	if depth > maxPyDepth {
		return pyValue{}, errors.New("nesting too deep")
	}
	if p.i >= len(p.s) {
		return pyValue{}, errors.New("missing value")
	}
	switch c := p.s[p.i]; {
	case c == '\'' || c == '"':
		s, err := p.str()
		return pyValue{kind: pyStr, str: s}, err
	case strings.HasPrefix(p.s[p.i:], "True"):
		p.i += 4
		return pyValue{kind: pyBool, b: true}, nil
	case strings.HasPrefix(p.s[p.i:], "False"):
		p.i += 5
		return pyValue{kind: pyBool, b: false}, nil
	case c == '(':
		return p.tuple(depth)
	case c == '[' || c == '{':
		return p.skipNested(depth)
	}
	return pyValue{}, fmt.Errorf("unexpected %q at offset %d", p.s[p.i], p.i)
}

// tuple parses (a, b, ...) of integers; any other element makes it pyOther.
func (p *pyParser) tuple(depth int) (pyValue, error) {
	p.i++ // '('
	v := pyValue{kind: pyTuple}
	for {
		p.space()
		if p.eat(')') {
			return v, nil
		}
		if p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
			j := p.i
			for j < len(p.s) && p.s[j] >= '0' && p.s[j] <= '9' {
				j++
			}
			n, err := strconv.ParseInt(p.s[p.i:j], 10, 64)
			if err != nil {
				return v, fmt.Errorf("dimension %q: %v", p.s[p.i:j], err)
			}
			p.i = j
			p.eat('L') // Python 2 long suffix in old files
			v.ints = append(v.ints, n)
		} else {
			el, err := p.value(depth + 1)
			if err != nil {
				return v, err
			}
			_ = el
			v.kind = pyOther
		}
		p.space()
		if p.eat(',') {
			continue
		}
		p.space()
		if !p.eat(')') {
			return v, fmt.Errorf("expected ',' or ')' at offset %d", p.i)
		}
		return v, nil
	}
}

// skipNested consumes a list or dict literal (e.g. a structured dtype),
// which we only need to recognise in order to refuse it.
func (p *pyParser) skipNested(depth int) (pyValue, error) {
	open := p.s[p.i]
	closeCh := byte(']')
	if open == '{' {
		closeCh = '}'
	}
	p.i++
	for {
		p.space()
		if p.eat(closeCh) {
			return pyValue{kind: pyOther}, nil
		}
		if p.i < len(p.s) && (p.s[p.i] == '-' || (p.s[p.i] >= '0' && p.s[p.i] <= '9')) {
			for p.i < len(p.s) && strings.IndexByte("-0123456789", p.s[p.i]) >= 0 {
				p.i++
			}
		} else if _, err := p.value(depth + 1); err != nil {
			return pyValue{}, err
		}
		p.space()
		if p.eat(',') || p.eat(':') {
			continue
		}
		p.space()
		if !p.eat(closeCh) {
			return pyValue{}, fmt.Errorf("expected ',' or %q at offset %d", closeCh, p.i)
		}
		return pyValue{kind: pyOther}, nil
	}
}
