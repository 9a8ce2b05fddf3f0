package secret

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestValueNeverPrintsItself(t *testing.T) {
	t.Parallel()
	v := New("wJalrXUtnFEMI/K7MDENG")
	holder := struct{ S Value }{v}
	js, _ := json.Marshal(holder)
	for _, got := range []string{
		fmt.Sprint(v), fmt.Sprintf("%v %+v %#v %s %q %x", v, v, v, v, v, v),
		fmt.Sprintf("%+v", holder), fmt.Sprintf("%#v", holder), string(js),
	} {
		if strings.Contains(got, "wJalr") {
			t.Errorf("secret leaked: %s", got)
		}
	}
	if v.Reveal() != "wJalrXUtnFEMI/K7MDENG" {
		t.Error("Reveal changed the value")
	}
}

func TestWriteFileMode0600(t *testing.T) {
	t.Parallel()
	p := filepath.Join(t.TempDir(), "s")
	if err := os.WriteFile(p, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(p, []byte("x")); err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(p)
	if st.Mode().Perm() != 0o600 {
		t.Errorf("mode = %v", st.Mode().Perm())
	}
}

func TestMaskKeyID(t *testing.T) {
	t.Parallel()
	if got := MaskKeyID("AKIAIOSFODNN7EXAMPLE"); got != "AKIA…MPLE" {
		t.Errorf("got %s", got)
	}
}
