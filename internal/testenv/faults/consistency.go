package faults

import (
	"fmt"
	"strings"
	"time"
)

// ref is an IAM entity as eventual consistency tracks it.
type ref struct{ kind, name string }

// consistency emulates IAM's eventual consistency: an entity created
// through the proxy stays invisible to later requests that use it, for a
// number of uses or for a while.
type consistency struct {
	uses   int           // fail this many uses of each new entity
	window time.Duration // or fail uses for this long after the create
	fresh  map[ref]*freshEntity
}

type freshEntity struct {
	created time.Time
	failed  int
}

func (ec *consistency) enabled() bool { return ec.uses > 0 || ec.window > 0 }

// createdBy names the entity an IAM Create* call makes.
func createdBy(c call) (ref, bool) {
	if c.service != "iam" {
		return ref{}, false
	}
	var r ref
	switch c.action {
	case "CreateRole":
		r = ref{"role", c.fields["RoleName"]}
	case "CreateUser":
		r = ref{"user", c.fields["UserName"]}
	case "CreatePolicy":
		r = ref{"policy", c.fields["PolicyName"]}
	case "CreateInstanceProfile":
		r = ref{"instance-profile", c.fields["InstanceProfileName"]}
	}
	return r, r.name != ""
}

// usedBy lists the IAM entities a call reads or uses. PolicyName is left
// out: outside CreatePolicy it names an inline policy.
func usedBy(c call) []ref {
	if c.service != "iam" {
		return nil
	}
	var refs []ref
	for _, f := range [...]struct{ field, kind string }{
		{"InstanceProfileName", "instance-profile"}, {"UserName", "user"}, {"RoleName", "role"},
	} {
		if v := c.fields[f.field]; v != "" {
			refs = append(refs, ref{f.kind, v})
		}
	}
	if arn := c.fields["PolicyArn"]; arn != "" {
		refs = append(refs, ref{"policy", arn[strings.LastIndexByte(arn, '/')+1:]})
	}
	return refs
}

// noteCreate starts the invisibility of what a successful call created.
func (ec *consistency) noteCreate(c call, now time.Time) {
	if !ec.enabled() {
		return
	}
	if r, ok := createdBy(c); ok {
		if ec.fresh == nil {
			ec.fresh = map[ref]*freshEntity{}
		}
		ec.fresh[r] = &freshEntity{created: now}
	}
}

// check reports whether c uses an entity that is still invisible, with the
// message AWS gives for it, and counts the failed use.
func (ec *consistency) check(c call, now time.Time) (string, bool) {
	if !ec.enabled() || len(ec.fresh) == 0 {
		return "", false
	}
	own, _ := createdBy(c)
	for _, r := range usedBy(c) {
		e := ec.fresh[r]
		if e == nil || r == own {
			continue
		}
		if (ec.uses > 0 && e.failed >= ec.uses) || (ec.window > 0 && now.Sub(e.created) >= ec.window) {
			delete(ec.fresh, r)
			continue
		}
		e.failed++
		return notFoundMessage(r, c), true
	}
	return "", false
}

func notFoundMessage(r ref, c call) string {
	switch r.kind {
	case "role":
		return fmt.Sprintf("The role with name %s cannot be found.", r.name)
	case "user":
		return fmt.Sprintf("The user with name %s cannot be found.", r.name)
	case "instance-profile":
		return fmt.Sprintf("Instance Profile %s cannot be found.", r.name)
	default:
		return fmt.Sprintf("Policy %s was not found.", c.fields["PolicyArn"])
	}
}
