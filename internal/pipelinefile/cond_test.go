package pipelinefile_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/temporal-ml/runctx-pipeline/internal/pipelinefile"
)

func TestCondEval(t *testing.T) {
	tags := map[string]string{"accuracy": "0.9667", "best_model": "LR", "folds": "3", "note": "n/a"}
	tests := []struct {
		when   string
		ok     bool
		reason string
	}{
		{"accuracy > 0.9", true, ""},
		{"accuracy > 0.97", false, "when accuracy > 0.97: accuracy is 0.9667, not > 0.97"},
		{"accuracy >= 0.9667", true, ""},
		{"accuracy < 1 and folds == 3", true, ""},
		{"accuracy < 0.5 or best_model == 'LR'", true, ""},
		{`best_model != "LR"`, false, `best_model is LR, not != "LR"`},
		{"accuracy > 0.99 and folds == 3 or folds <= 2", false, "accuracy is 0.9667, not > 0.99; folds is 3, not <= 2"},
		{"missing > 1", false, "tag missing is not set"},
		{"note > 1", false, `tag note is "n/a", not a number`},
	}
	for _, tt := range tests {
		t.Run(tt.when, func(t *testing.T) {
			c, err := pipelinefile.ParseCond(tt.when)
			require.NoError(t, err)
			ok, reason := c.Eval(tags)
			assert.Equal(t, tt.ok, ok)
			assert.Contains(t, reason, tt.reason)
		})
	}
}

func TestParseCondRefuses(t *testing.T) {
	for _, s := range []string{"", "accuracy", "accuracy >", "accuracy ~ 1", "accuracy > x", "accuracy > 1 and", "accuracy > 1 nand b < 2", `m > "x"`, `m == "x`, "1a > 2"} {
		_, err := pipelinefile.ParseCond(s)
		assert.Error(t, err, "%q", s)
	}
}
