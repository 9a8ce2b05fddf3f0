package iampolicy

import (
	"bytes"
	"unicode/utf8"
)

// Writers for the canonical JSON: fixed field order, lists always, no
// HTML escaping.

func writeStatement(b *bytes.Buffer, s *normStmt) {
	b.WriteByte('{')
	if s.sid != "" {
		b.WriteString(`"Sid":`)
		writeString(b, s.sid)
		b.WriteByte(',')
	}
	b.WriteString(`"Effect":`)
	writeString(b, s.effect.String())
	writePrincipal(b, "Principal", s.principal)
	writePrincipal(b, "NotPrincipal", s.notPrincipal)
	writeSet(b, "Action", s.action)
	writeSet(b, "NotAction", s.notAction)
	writeSet(b, "Resource", s.resource)
	writeSet(b, "NotResource", s.notResource)
	if len(s.conds) > 0 {
		b.WriteString(`,"Condition":{`)
		for i, c := range s.conds {
			if i == 0 || c.op != s.conds[i-1].op {
				if i > 0 {
					b.WriteString("},")
				}
				writeString(b, c.op)
				b.WriteString(":{")
			} else {
				b.WriteByte(',')
			}
			writeString(b, c.lkey)
			b.WriteByte(':')
			writeList(b, c.values)
		}
		b.WriteString("}}")
	}
	b.WriteByte('}')
}

func writePrincipal(b *bytes.Buffer, field string, p *normPrincipal) {
	if p == nil {
		return
	}
	b.WriteString(`,"` + field + `":`)
	if p.wildcard {
		b.WriteString(`"*"`)
		return
	}
	b.WriteByte('{')
	for i, t := range p.types {
		if i > 0 {
			b.WriteByte(',')
		}
		writeString(b, t)
		b.WriteByte(':')
		writeList(b, p.values[t])
	}
	b.WriteByte('}')
}

func writeSet(b *bytes.Buffer, field string, s normSet) {
	if !s.present {
		return
	}
	b.WriteString(`,"` + field + `":`)
	writeList(b, s.keys)
}

func writeList(b *bytes.Buffer, list []string) {
	b.WriteByte('[')
	for i, v := range list {
		if i > 0 {
			b.WriteByte(',')
		}
		writeString(b, v)
	}
	b.WriteByte(']')
}

// writeString writes s as a JSON string, escaping only what JSON requires
// (no HTML escaping, so documents stay readable).
func writeString(b *bytes.Buffer, s string) {
	const hex = "0123456789abcdef"
	b.WriteByte('"')
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c == '\n':
			b.WriteString(`\n`)
		case c == '\r':
			b.WriteString(`\r`)
		case c == '\t':
			b.WriteString(`\t`)
		case c < 0x20:
			b.WriteString(`\u00`)
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&0xF])
		case c < utf8.RuneSelf:
			b.WriteByte(c)
		default:
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				b.WriteString(`\ufffd`)
			} else {
				b.WriteString(s[i : i+size])
			}
			i += size
			continue
		}
		i++
	}
	b.WriteByte('"')
}
