package iampolicy

import (
	"encoding/base64"
	"math"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// Readers for the typed operator families. A value that does not read as
// its family's type matches nothing, in the policy and in the request
// alike, as AWS does.

func parseNumber(s string) (float64, bool) {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) {
		return 0, false
	}
	return f, true
}

// instant is a point in time with nanosecond precision and no range limit
// that matters (time.Time's own, unlike UnixNano's ±292 years).
type instant struct {
	sec  int64
	nsec int32
}

func (a instant) cmp(b instant) int {
	switch {
	case a.sec < b.sec:
		return -1
	case a.sec > b.sec:
		return 1
	case a.nsec < b.nsec:
		return -1
	case a.nsec > b.nsec:
		return 1
	}
	return 0
}

// dateLayouts are the ISO 8601 forms accepted, besides epoch seconds. A time
// without a zone is UTC.
var dateLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999Z0700",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04",
	"20060102T150405Z",
	"20060102T150405Z0700",
	"2006-01-02",
}

// parseDate reads an ISO 8601 date or time, or epoch seconds (an integer
// or decimal number).
func parseDate(s string) (instant, bool) {
	if isEpoch(s) {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsInf(f, 0) || math.Abs(f) > 1e15 {
			return instant{}, false
		}
		sec := math.Floor(f)
		return instant{sec: int64(sec), nsec: int32((f - sec) * 1e9)}, true
	}
	for _, layout := range dateLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return instant{sec: t.Unix(), nsec: int32(t.Nanosecond())}, true
		}
	}
	return instant{}, false
}

func isEpoch(s string) bool {
	s = strings.TrimPrefix(s, "-")
	if s == "" {
		return false
	}
	dot := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '.' && !dot:
			dot = true
		case c < '0' || c > '9':
			return false
		}
	}
	return s != "."
}

// parseNet reads an IPv4 or IPv6 address or CIDR block as a prefix.
func parseNet(s string) (netip.Prefix, bool) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, false
		}
		if p.Addr().Is4In6() && p.Bits() >= 96 {
			p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
		}
		return p.Masked(), true
	}
	a, ok := parseAddr(s)
	if !ok {
		return netip.Prefix{}, false
	}
	return netip.PrefixFrom(a, a.BitLen()), true
}

// parseAddr reads a request's address; an IPv4-mapped IPv6 address is
// read as IPv4, and a CIDR given as a request value stands for its address.
func parseAddr(s string) (netip.Addr, bool) {
	a, err := netip.ParseAddr(s)
	if err != nil {
		p, perr := netip.ParsePrefix(s)
		if perr != nil {
			return netip.Addr{}, false
		}
		a = p.Addr()
	}
	return a.WithZone("").Unmap(), true
}

func decodeBase64(s string) (string, bool) {
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			return string(b), true
		}
	}
	return "", false
}
