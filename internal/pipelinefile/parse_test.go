package pipelinefile_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/temporal-ml/runctx-pipeline/internal/pipelinefile"
)

const example = `experiment: iris-scripts                 # optional; default: the file's base name
inputs:
  irisdata: azblob://workspaceblobstore/data/sample_data.csv
jobs:
  train:
    code: ./src
    command: python3 train.py --folds 3 --data ${{inputs.irisdata}}
    inputs:
      irisdata: ${{parent.inputs.irisdata}}
    outputs:
      model_output: {}
  register:
    code: ./src
    command: python3 register.py --model_name iris_classifier_model
    inputs:
      irisdata: ${{parent.inputs.irisdata}}
      model_output: ${{parent.jobs.train.outputs.model_output}}
    when: accuracy > 0.9
    retries: 1
    timeout: 10m
    environment_variables:
      MODE: fast
`

// write makes a pipeline file with a src folder of two scripts beside it.
func write(t *testing.T, body string) string {
	t.Helper()
	dir := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "src"), 0o755))
	for _, s := range []string{"train.py", "register.py"} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, "src", s), []byte("print(1)\n"), 0o644))
	}
	p := filepath.Join(dir, "pipeline.yml")
	require.NoError(t, os.WriteFile(p, []byte(body), 0o644))
	return p
}

func TestParseExample(t *testing.T) {
	p := write(t, example)
	pl, err := pipelinefile.Parse(p)
	require.NoError(t, err)
	assert.Equal(t, "iris-scripts", pl.Experiment)
	assert.Equal(t, map[string]string{"irisdata": "azblob://workspaceblobstore/data/sample_data.csv"}, pl.Inputs)
	require.Len(t, pl.Jobs, 2)
	train, reg := pl.Jobs[0], pl.Jobs[1]
	assert.Equal(t, "train", train.Name)
	assert.Equal(t, filepath.Join(filepath.Dir(p), "src"), train.Code)
	assert.Len(t, train.Snapshot, 64)
	assert.Equal(t, train.Snapshot, reg.Snapshot, "the same folder is one snapshot")
	assert.Equal(t, "python3", train.Command)
	assert.Equal(t, "train.py", train.Script)
	assert.Equal(t, []string{"--folds", "3", "--data", "${{inputs.irisdata}}"}, train.Arguments)
	assert.Equal(t, []string{"model_output"}, train.Outputs)
	assert.True(t, train.AllowReuse, "allow_reuse defaults to true, as in Azure ML")
	assert.Nil(t, train.When)
	assert.Equal(t, []string{"train"}, reg.Needs())
	assert.Equal(t, "model_output", reg.Inputs["model_output"].Output)
	assert.Equal(t, "irisdata", reg.Inputs["irisdata"].Input)
	require.NotNil(t, reg.When)
	assert.Equal(t, "accuracy > 0.9", reg.When.Text)
	assert.Equal(t, 1, reg.Retries)
	assert.Equal(t, "10m0s", reg.Timeout.String())
	assert.Equal(t, map[string]string{"MODE": "fast"}, reg.Env)

	withAttrs := strings.Replace(example, "inputs:\n  irisdata", "attributes:\n  best_model: BestModel\n  accuracy: {name: Accuracy, type: double}\ninputs:\n  irisdata", 1)
	pl, err = pipelinefile.Parse(write(t, withAttrs))
	require.NoError(t, err)
	assert.Equal(t, []pipelinefile.Attribute{{Tag: "best_model", Name: "BestModel", Type: "Keyword"}, {Tag: "accuracy", Name: "Accuracy", Type: "Double"}}, pl.Attributes)

	noName := strings.Replace(example, "experiment: iris-scripts                 # optional; default: the file's base name\n", "", 1)
	pl, err = pipelinefile.Parse(write(t, noName))
	require.NoError(t, err)
	assert.Equal(t, "pipeline", pl.Experiment, "the default experiment is the file's base name")
}

// TestParseRefuses: each problem is reported as FILE:LINE:COL: what is
// wrong, before anything starts.
func TestParseRefuses(t *testing.T) {
	tests := []struct {
		name, from, to, want string
	}{
		{"unknown top-level key", "jobs:\n", "job:\n", `pipeline.yml:4:1: unknown key "job"`},
		{"unknown job key", "    retries: 1\n", "    retry: 1\n", `pipeline.yml:19:5: job register: unknown key "retry"`},
		{"binding to a missing job", "parent.jobs.train.outputs", "parent.jobs.trian.outputs", `pipeline.yml:17:21: job register: input model_output: there is no job "trian"`},
		{"binding to a missing output", "outputs.model_output}}\n    when", "outputs.model}}\n    when", `pipeline.yml:17:21: job register: input model_output: job train has no output "model"`},
		{"binding to a missing pipeline input", "      irisdata: ${{parent.inputs.irisdata}}\n      model_output", "      irisdata: ${{parent.inputs.iris}}\n      model_output", `pipeline.yml:16:17: job register: input irisdata: the pipeline has no input "iris"`},
		{"a bad when", "when: accuracy > 0.9", "when: accuracy >> 0.9", "pipeline.yml:18:11: job register: when:"},
		{"a string compared with <", "when: accuracy > 0.9", `when: best_model < "SVM"`, "a string compares only with == or !="},
		{"a missing code folder", "    code: ./src\n    command: python3 register", "    code: ./nowhere\n    command: python3 register", "pipeline.yml:13:11: job register: code ./nowhere: snapshot: invalid source directory"},
		{"a script not in code", "python3 register.py", "python3 regster.py", "pipeline.yml:13:11: job register: script regster.py is not in code"},
		{"a placeholder of nothing", "--data ${{inputs.irisdata}}", "--data ${{inputs.other}}", "pipeline.yml:7:14: job train: ${{inputs.other}} names no input of this job"},
		{"a shell pipe", "--folds 3 --data", "--folds 3 | tee x --data", "shell operators"},
		{"a bad input reference", "azblob://workspaceblobstore/data/sample_data.csv", "azblob://workspaceblobstore/../x.csv", "pipeline.yml:3:13: input irisdata:"},
		{"an Azure ML environment", "    retries: 1\n", "    environment: azureml:AzureML-sklearn@latest\n", "environment names an Azure ML environment"},
		{"a bad YAML", "jobs:\n", "jobs:\n  - x\n   y: [\n", "pipeline.yml:"},
		{"an attribute of no type", "inputs:\n  irisdata", "attributes:\n  accuracy: {name: Accuracy, type: Number}\ninputs:\n  irisdata", `pipeline.yml:3:36: attribute accuracy: type "Number": want Keyword, Double, Int or Bool`},
		{"an attribute name", "inputs:\n  irisdata", "attributes:\n  accuracy: 9lives\ninputs:\n  irisdata", `pipeline.yml:3:13: attribute accuracy: name "9lives"`},
		{"a cycle", "      irisdata: ${{parent.inputs.irisdata}}\n    outputs", "      irisdata: ${{parent.jobs.register.outputs.back}}\n    outputs", "the jobs' inputs make a cycle: train → register → train"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := strings.Replace(example, tt.from, tt.to, 1)
			require.NotEqual(t, example, body, "the case changes the file")
			if tt.name == "a cycle" {
				body = strings.Replace(body, "  register:\n    code: ./src\n    command: python3 register.py --model_name iris_classifier_model\n",
					"  register:\n    code: ./src\n    command: python3 register.py --model_name iris_classifier_model\n    outputs:\n      back: {}\n", 1)
			}
			_, err := pipelinefile.Parse(write(t, body))
			require.Error(t, err)
			assert.True(t, errors.Is(err, pipelinefile.ErrInvalid))
			assert.Contains(t, err.Error(), tt.want)
			assert.Regexp(t, `(?m)^/.*pipeline\.yml(:\d+:\d+)?: `, err.Error(), "each problem names the file, and the line and column")
		})
	}
}

func TestParseTooManyJobs(t *testing.T) {
	var b strings.Builder
	b.WriteString("jobs:\n")
	for i := 0; i <= pipelinefile.MaxJobs; i++ {
		fmt.Fprintf(&b, "  j%d:\n    code: ./src\n    command: python3 train.py\n", i)
	}
	_, err := pipelinefile.Parse(write(t, b.String()))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "more than 100 jobs")
}
