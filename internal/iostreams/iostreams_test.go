package iostreams

import "testing"

// Colour follows the terminal, NO_COLOR, TERM=dumb and CLICOLOR_FORCE. Not
// parallel: it sets the environment System reads.
func TestColour(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		tty  bool
		want bool
	}{
		{map[string]string{}, true, true},
		{map[string]string{}, false, false},
		{map[string]string{"NO_COLOR": "1"}, true, false},
		{map[string]string{"TERM": "dumb"}, true, false},
		{map[string]string{"CLICOLOR_FORCE": "1"}, false, true},
		{map[string]string{"CLICOLOR_FORCE": "0"}, false, false},
		{map[string]string{"CLICOLOR_FORCE": "1", "NO_COLOR": "1"}, false, false},
	} {
		for _, k := range []string{"NO_COLOR", "TERM", "CLICOLOR_FORCE"} {
			t.Setenv(k, tc.env[k])
		}
		s := System()
		s.SetTTY(tc.tty, tc.tty, tc.tty)
		if got := s.ColorEnabled(); got != tc.want || s.OutColorEnabled() != tc.want {
			t.Errorf("%v on a terminal %v: colour %v, want %v", tc.env, tc.tty, got, tc.want)
		}
	}
}
