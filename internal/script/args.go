package script

import (
	"regexp"
	"strings"
)

// placeholder is Azure ML v2's ${{inputs.<name>}} and ${{outputs.<name>}}
// in a command's arguments.
var placeholder = regexp.MustCompile(`\$\{\{\s*(inputs|outputs)\.([A-Za-z0-9_]+)\s*\}\}`)

// expandArgs replaces ${{inputs.<name>}} and ${{outputs.<name>}} in args
// with the local path of that data reference (its
// AZUREML_DATAREFERENCE_<name> in env); a placeholder of a name the step
// does not have is left as written.
func expandArgs(args []string, env map[string]string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		if !strings.Contains(a, "${{") {
			out[i] = a
			continue
		}
		out[i] = placeholder.ReplaceAllStringFunc(a, func(m string) string {
			name := placeholder.FindStringSubmatch(m)[2]
			if p, ok := env[EnvDataReference+name]; ok {
				return p
			}
			return m
		})
	}
	return out
}
