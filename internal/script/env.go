package script

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// Variables of a script's environment (PROTOCOL.md).
const (
	EnvRunID         = "AZUREML_RUN_ID"
	EnvRunName       = "AZUREML_RUN_NAME"
	EnvExperiment    = "AZUREML_EXPERIMENT_NAME"
	EnvParentRunID   = "AZUREML_PARENT_RUN_ID"
	EnvBridgeURL     = "RUNCTX_BRIDGE_URL"
	EnvBridgeToken   = "RUNCTX_BRIDGE_TOKEN"
	EnvDataReference = "AZUREML_DATAREFERENCE_"
)

// AllowedEnv are the variables of the worker's environment a script sees:
// these names, and every name that starts with PYTHON. Nothing else of the
// worker's environment (its storage connection string, account key, SAS,
// TEMPORAL_API_KEY, …) reaches a script.
var AllowedEnv = []string{"PATH", "HOME", "LANG", "TZ"}

func allowed(name string) bool {
	return slices.Contains(AllowedEnv, name) || strings.HasPrefix(name, "PYTHON")
}

// reservedEnv reports whether the run context owns name: a step's Env may
// not set it.
func reservedEnv(name string) bool {
	return strings.HasPrefix(name, "AZUREML_") || strings.HasPrefix(name, "RUNCTX_")
}

var envNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// CheckEnv refuses a step's Env with a name that is no variable name, a
// value with a NUL byte, or a name the run context owns (AZUREML_*,
// RUNCTX_*). The error wraps ErrInvalid.
func CheckEnv(env map[string]string) error {
	for k, v := range env {
		switch {
		case !envNameRE.MatchString(k):
			return fmt.Errorf("%w: env %q is not a variable name", ErrInvalid, k)
		case reservedEnv(k):
			return fmt.Errorf("%w: env %s: AZUREML_* and RUNCTX_* are the run context's", ErrInvalid, k)
		case strings.ContainsRune(v, 0):
			return fmt.Errorf("%w: env %s has a NUL byte", ErrInvalid, k)
		}
	}
	return nil
}

var dataNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,63}$`)

// CheckDataName checks the name of an input or output: it becomes the
// suffix of AZUREML_DATAREFERENCE_<name> and a folder name, so it is a
// letter or '_' then letters, digits and '_', at most 64 in all. The error
// wraps ErrBadName.
func CheckDataName(kind, name string) error {
	if !dataNameRE.MatchString(name) {
		return fmt.Errorf("%w: %s %q: want a letter or '_', then letters, digits or '_' (at most 64)", ErrBadName, kind, name)
	}
	return nil
}

// buildEnv returns the process's environment: the allowed variables of
// worker (KEY=VALUE strings, os.Environ's form), then step's Env, then the
// run context, with clientPath first on PYTHONPATH.
func buildEnv(worker []string, step, runContext map[string]string, clientPath string) []string {
	vars := map[string]string{}
	for _, kv := range worker {
		k, v, ok := strings.Cut(kv, "=")
		if ok && allowed(k) {
			vars[k] = v
		}
	}
	for k, v := range step {
		vars[k] = v
	}
	for k, v := range runContext {
		vars[k] = v
	}
	if clientPath != "" {
		if p := vars["PYTHONPATH"]; p != "" {
			vars["PYTHONPATH"] = clientPath + ":" + p
		} else {
			vars["PYTHONPATH"] = clientPath
		}
	}
	out := make([]string, 0, len(vars))
	for k, v := range vars {
		out = append(out, k+"="+v)
	}
	slices.Sort(out)
	return out
}
