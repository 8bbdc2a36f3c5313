package layout

import (
	"fmt"
	"os"
	"strings"
)

// FirstLine returns the first non-empty, non-comment line of a key file.
func FirstLine(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	for _, l := range strings.Split(string(b), "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			return l, nil
		}
	}
	return "", fmt.Errorf("%s holds no key", path)
}
