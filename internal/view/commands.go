package view

// The JSON documents of the commands whose result is a few fields
// (docs/commands.md, "JSON"); the others have their own files.

// Registered is register's JSON.
type Registered struct {
	ID     int    `json:"id"`
	Status string `json:"status"`
}

// Rotated is rotate-key's JSON.
type Rotated struct {
	OldAccessKeyID      string `json:"oldAccessKeyId"`
	AccessKeyID         string `json:"accessKeyId"`
	CloudAccountUpdated bool   `json:"cloudAccountUpdated"`
}

// RotationSteps is rotate-key --dry-run's JSON.
type RotationSteps struct {
	Steps []string `json:"steps"`
}
