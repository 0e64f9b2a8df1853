package pipelinefile

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestSplitCommand(t *testing.T) {
	tests := []struct {
		in   string
		want []string
		err  bool
	}{
		{"python3 train.py --folds 3", []string{"python3", "train.py", "--folds", "3"}, false},
		{`python3 "my script.py" 'a b' c\ d ""`, []string{"python3", "my script.py", "a b", "c d", ""}, false},
		{`sh -c "echo \"hi\" \$HOME"`, []string{"sh", "-c", `echo "hi" $HOME`}, false},
		{"  python3\ttrain.py  ", []string{"python3", "train.py"}, false},
		{"python3 --data ${{inputs.x}}", []string{"python3", "--data", "${{inputs.x}}"}, false},
		{`python3 "x`, nil, true},
		{"python3 'x", nil, true},
		{"python3 x.py | tee", nil, true},
		{"python3 x.py > out", nil, true},
	}
	for _, tt := range tests {
		got, err := splitCommand(tt.in)
		if tt.err {
			assert.Error(t, err, tt.in)
			continue
		}
		assert.NoError(t, err, tt.in)
		assert.Equal(t, tt.want, got, tt.in)
	}
}
