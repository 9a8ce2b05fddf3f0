package view

// PolicyVersions is policy list's JSON.
type PolicyVersions struct {
	Schema   int             `json:"schema"`
	Versions []PolicyVersion `json:"versions"`
}

// PolicyVersion is one bundled policy version (policy show's JSON).
type PolicyVersion struct {
	Schema    int              `json:"schema,omitempty"`
	Name      string           `json:"name"`
	Fallback  bool             `json:"fallback"`
	About     string           `json:"about"`
	Documents []PolicyDocument `json:"documents"`
}

// PolicyDocument is one document of a version; Document (policy show
// only) holds the exact bytes the SHA-256 is over.
type PolicyDocument struct {
	File     string `json:"file"`
	Policy   string `json:"policy"`
	SHA256   string `json:"sha256"`
	Document string `json:"document,omitempty"`
}
