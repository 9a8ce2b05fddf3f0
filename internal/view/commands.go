package view

import "github.com/rciam/rciam/internal/doctor"

// The JSON documents of the commands whose result is a few fields
// (docs/commands.md, "JSON"); the others have their own files.

// Registered is register's JSON.
type Registered struct {
	Schema int    `json:"schema"`
	ID     int    `json:"id"`
	Status string `json:"status"`
}

// Rotated is rotate-key's JSON.
type Rotated struct {
	Schema              int    `json:"schema"`
	OldAccessKeyID      string `json:"oldAccessKeyId"`
	AccessKeyID         string `json:"accessKeyId"`
	CloudAccountUpdated bool   `json:"cloudAccountUpdated"`
}

// RotationSteps is rotate-key --dry-run's JSON.
type RotationSteps struct {
	Schema int `json:"schema"`
	// CloudAccount is the registered cloud account (absent: not registered).
	CloudAccount int      `json:"cloudAccountId,omitempty"`
	Steps        []string `json:"steps"`
}

// Destroyed is destroy's JSON: the addresses removed, and what was left in
// place and why.
type Destroyed struct {
	Schema  int           `json:"schema"`
	Removed []string      `json:"removed"`
	Left    []LeftInPlace `json:"left"`
}

// LeftInPlace is one entity destroy left.
type LeftInPlace struct {
	Resource string `json:"resource"`
	Why      string `json:"why"`
}

// Version is version's JSON.
type Version struct {
	Schema     int    `json:"schema"`
	Version    string `json:"version"`
	Commit     string `json:"commit,omitempty"`
	CommitTime string `json:"commitTime,omitempty"`
	Modified   bool   `json:"modified,omitempty"`
	GoVersion  string `json:"goVersion"`
}

// Line is the version for people: "rciam v1.2.3 (commit abc1234, go1.26.8)".
func (v Version) Line() string {
	s := "rciam " + v.Version + " ("
	if v.Commit != "" {
		c := v.Commit
		if len(c) > 12 {
			c = c[:12]
		}
		s += "commit " + c
		if v.Modified {
			s += ", modified"
		}
		s += ", "
	}
	return s + v.GoVersion + ")"
}

// Doctor is doctor's JSON.
type Doctor struct {
	Schema int           `json:"schema"`
	OK     bool          `json:"ok"`
	Checks []DoctorCheck `json:"checks"`
}

// DoctorCheck is one line of doctor.
type DoctorCheck struct {
	ID      string `json:"id"`
	Status  string `json:"status"`
	Message string `json:"message"`
}

// DoctorJSON is doctor's report as JSON.
func DoctorJSON(r *doctor.Report) Doctor {
	out := Doctor{Schema: Schema, OK: r.OK(), Checks: []DoctorCheck{}}
	for _, c := range r.Checks {
		out.Checks = append(out.Checks, DoctorCheck{ID: c.ID, Status: string(c.Status), Message: c.Message})
	}
	return out
}

// StackSet is the JSON of rciam stackset deploy, status and delete: the
// StackSet and each stack instance.
type StackSet struct {
	Schema    int             `json:"schema"`
	Name      string          `json:"stackSet"`
	Instances []StackInstance `json:"instances"`
}

// StackInstance is one account and region of a StackSet.
type StackInstance struct {
	Account        string `json:"account"`
	Region         string `json:"region"`
	OU             string `json:"ou,omitempty"`
	Status         string `json:"status"`
	DetailedStatus string `json:"detailedStatus,omitempty"`
	Reason         string `json:"reason,omitempty"`
}
