// Package note is one line of explanation for people and for scripts: a
// plan's details and warnings, a verify check's message. A Line may hold
// lists (actions, tags, keys); text output shortens a long list the same
// way everywhere ("a, b, c, d, e and 12 more"), JSON never shortens one.
package note

import (
	"fmt"
	"strings"
)

// MaxListed is how many items of a list text output names.
const MaxListed = 5

// Line is text with lists in it. The zero Line is empty.
type Line struct{ parts []part }

type part struct {
	text string
	list []string
}

// New builds a line from its pieces: a string is text, a []string a list.
func New(pieces ...any) Line {
	var l Line
	for _, p := range pieces {
		switch v := p.(type) {
		case string:
			l.parts = append(l.parts, part{text: v})
		case []string:
			l.parts = append(l.parts, part{list: v})
		default:
			l.parts = append(l.parts, part{text: fmt.Sprint(v)})
		}
	}
	return l
}

// Of is a line of plain text, formatted as fmt.Sprintf does.
func Of(format string, args ...any) Line { return New(fmt.Sprintf(format, args...)) }

// Short is the line for people: lists longer than MaxListed are cut.
func (l Line) Short() string { return l.render(true) }

// Full is the line for scripts: every list whole.
func (l Line) Full() string { return l.render(false) }

// String is Short: what a person reads.
func (l Line) String() string { return l.Short() }

// IsZero reports an empty line.
func (l Line) IsZero() bool { return len(l.parts) == 0 }

// Lists returns the line's lists, in order.
func (l Line) Lists() [][]string {
	var out [][]string
	for _, p := range l.parts {
		if p.list != nil {
			out = append(out, p.list)
		}
	}
	return out
}

func (l Line) render(short bool) string {
	var b strings.Builder
	for _, p := range l.parts {
		if p.list == nil {
			b.WriteString(p.text)
			continue
		}
		b.WriteString(List(p.list, short))
	}
	return b.String()
}

// List joins items with ", ", cutting after MaxListed when short.
func List(items []string, short bool) string {
	if !short || len(items) <= MaxListed {
		return strings.Join(items, ", ")
	}
	return strings.Join(items[:MaxListed], ", ") + fmt.Sprintf(" and %d more", len(items)-MaxListed)
}

// Count is n with noun, plural when n is not 1 ("1 step", "3 steps").
func Count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
