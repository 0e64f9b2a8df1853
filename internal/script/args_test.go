package script

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestExpandArgs(t *testing.T) {
	env := map[string]string{EnvDataReference + "irisdata": "/w/in/irisdata/ws/data/x.csv", EnvDataReference + "model_output": "/w/data/model_output"}
	got := expandArgs([]string{"--data", "${{inputs.irisdata}}", "--out=${{ outputs.model_output }}/m.pkl", "${{inputs.none}}", "plain"}, env)
	assert.Equal(t, []string{"--data", "/w/in/irisdata/ws/data/x.csv", "--out=/w/data/model_output/m.pkl", "${{inputs.none}}", "plain"}, got)
}
