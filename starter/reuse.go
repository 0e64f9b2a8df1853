package main

import (
	"context"
	"encoding/json"
	"fmt"
	"path"
	"regexp"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/temporal-ml/runctx-pipeline/datastore"
	"github.com/temporal-ml/runctx-pipeline/internal/layout"
)

// reuseOutput is one reuse entry as `starter reuse ls -o json` prints it.
type reuseOutput struct {
	Step       string             `json:"step"`
	Key        string             `json:"key"`
	Ref        string             `json:"ref"`
	RunID      string             `json:"run_id"`
	WorkflowID string             `json:"workflow_id"`
	Version    string             `json:"version"`
	Created    string             `json:"created"`
	Data       []layout.DataInput `json:"data"`
	Error      string             `json:"error,omitempty"`
}

func newReuseCmd(c *cli) *cobra.Command {
	ls := &cobra.Command{
		Use:   "ls [STEP]",
		Short: "List the reuse entries of steps",
		Long: `Lists the reuse entries (Azure ML's allow_reuse) under the runs root
(PIPELINE_RUNS, default azblob://runs): for each, the step, its key, the step
run that made it, its code version and the data it read. A step with an entry
whose data and outputs are unchanged is Reused instead of run. With -o json:
one array.`,
		Example: `  starter reuse ls
  starter reuse ls train -o json`,
		Args:              maxArgs(1, "[STEP]"),
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: func(_ *cobra.Command, args []string) error {
			step := ""
			if len(args) == 1 {
				step = args[0]
			}
			return c.reuseLs(step)
		},
	}
	all := false
	rm := &cobra.Command{
		Use:   "rm <step> [KEY...]",
		Short: "Remove reuse entries, so that the step computes again",
		Long: `Removes reuse entries of a step: those named by key (or by the first six
or more of its hex digits), or all of the step's with --all. The next run of the step computes, and leaves a new entry.
With -o json: one array of the removed entries' references.`,
		Example: `  starter reuse rm train --all
  starter reuse rm train 3f9a0c21b7e4`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 || (len(args) == 1) != all {
				return usagef("want '%s <step> KEY...' or '%s <step> --all'", cmd.CommandPath(), cmd.CommandPath())
			}
			return nil
		},
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE:              func(_ *cobra.Command, args []string) error { return c.reuseRm(args[0], args[1:], all) },
	}
	rm.Flags().BoolVar(&all, "all", false, "remove every entry of the step")
	return c.groupCmd("reuse", "Step reuse entries: ls, rm", `  starter reuse ls
  starter reuse rm train --all`, ls, rm)
}

// reuseFolder returns the reference of the entries' folder, or of one
// step's.
func reuseFolder(runs, step string) (datastore.Ref, error) {
	ref := layout.ReuseEntryRef(runs, "x", "x")
	folder := strings.TrimSuffix(ref, "/x/x.json")
	if step != "" {
		if err := datastore.ValidateName("step", step); err != nil {
			return datastore.Ref{}, usagef("%v", err)
		}
		folder += "/" + step
	}
	return datastore.ParsePrefix(folder)
}

// reuseEntries lists the entries of a step ("" for all steps): the store,
// their folder, and each entry's name in the folder.
func (c *cli) reuseEntries(ctx context.Context, step string) (datastore.Resolver, datastore.Ref, []datastore.Info, error) {
	cfg, err := c.config()
	if err != nil {
		return datastore.Resolver{}, datastore.Ref{}, nil, err
	}
	folder, err := reuseFolder(cfg.Plugin.Runs(), step)
	if err != nil {
		return datastore.Resolver{}, datastore.Ref{}, nil, err
	}
	store := cfg.Plugin.Store()
	infos, err := store.List(ctx, folder)
	if err != nil {
		return store, folder, nil, fmt.Errorf("list %s: %w", folder, err)
	}
	return store, folder, infos, nil
}

func (c *cli) reuseLs(step string) error {
	ctx := context.Background()
	store, folder, infos, err := c.reuseEntries(ctx, step)
	if err != nil {
		return err
	}
	out := []reuseOutput{}
	for _, info := range infos {
		ref := folder.Join(info.Name)
		o := reuseOutput{Ref: ref.String(), Key: strings.TrimSuffix(path.Base(info.Name), ".json"), Step: step}
		if step == "" {
			o.Step = path.Dir(info.Name)
		}
		var e layout.ReuseEntry
		if rc, _, err := store.Read(ctx, ref); err != nil {
			o.Error = err.Error()
		} else {
			if err := json.NewDecoder(rc).Decode(&e); err != nil {
				o.Error = "corrupt: " + err.Error()
			}
			rc.Close()
		}
		o.RunID, o.WorkflowID, o.Version, o.Data = e.RunID, e.WorkflowID, e.Version, e.Data
		if !e.Created.IsZero() {
			o.Created = e.Created.Format("2006-01-02 15:04:05")
		}
		out = append(out, o)
	}
	if c.json() {
		return c.printJSON(out)
	}
	tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "STEP\tKEY\tRUN\tVERSION\tCREATED\tDATA")
	for _, o := range out {
		var data []string
		for _, d := range o.Data {
			data = append(data, d.Ref)
		}
		if o.Error != "" {
			data = []string{o.Error}
		}
		fmt.Fprintf(tw, "%s\t%.12s\t%s\t%s\t%s\t%s\n", o.Step, o.Key, o.RunID, o.Version, o.Created, strings.Join(data, " "))
	}
	return tw.Flush()
}

func (c *cli) reuseRm(step string, keys []string, all bool) error {
	ctx := context.Background()
	store, folder, infos, err := c.reuseEntries(ctx, step)
	if err != nil {
		return err
	}
	var have []string
	for _, info := range infos {
		have = append(have, strings.TrimSuffix(info.Name, ".json"))
	}
	if all {
		keys = have
	}
	removed := []string{}
	for _, prefix := range keys {
		key, err := matchKey(prefix, have)
		if err != nil {
			return err
		}
		ref := folder.Join(key + ".json")
		if err := store.Delete(ctx, ref); err != nil {
			return fmt.Errorf("remove %s: %w", ref, err)
		}
		removed = append(removed, ref.String())
		if !c.json() {
			fmt.Fprintln(c.stdout, "removed", ref)
		}
	}
	if c.json() {
		return c.printJSON(removed)
	}
	return nil
}

// keyPrefix is what a key given to rm may be: a prefix of at least six of
// its hex digits, as `starter reuse ls` prints twelve.
var keyPrefix = regexp.MustCompile(`^[0-9a-f]{6,64}$`)

// matchKey returns the one key of have that starts with prefix.
func matchKey(prefix string, have []string) (string, error) {
	if !keyPrefix.MatchString(prefix) {
		return "", usagef("key %q: want 6 to 64 of the hex digits `starter reuse ls` prints", prefix)
	}
	var found []string
	for _, k := range have {
		if strings.HasPrefix(k, prefix) {
			found = append(found, k)
		}
	}
	switch len(found) {
	case 0:
		return "", fmt.Errorf("no reuse entry with key %s", prefix)
	case 1:
		return found[0], nil
	}
	return "", usagef("key %s is ambiguous: %s", prefix, strings.Join(found, ", "))
}
