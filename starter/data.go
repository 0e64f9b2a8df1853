package main

import (
	"context"
	"fmt"
	"mime"
	"os"
	"path/filepath"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/temporal-ml/runctx-pipeline/datastore"
)

// newDataCmd is `starter data upload|ls`, the counterparts of Azure ML's
// datastore.upload_files and listing a datastore path.
func newDataCmd(c *cli) *cobra.Command {
	upload := &cobra.Command{
		Use:   "upload <file> <ref>",
		Short: "Upload a file to the datastore",
		Long: `Uploads a local file to a data reference (azblob://container/path or
file:///path under a configured root). A long upload shows the bytes sent
on stderr. With -o json: one object with file, ref and bytes.`,
		Example: `  starter data upload data/iris.csv azblob://datasets/iris/iris.csv
  starter data upload my.csv azblob://datasets/mine/my.csv -o json`,
		Args: exactArgs(2, "<file> <ref>"),
		ValidArgsFunction: func(_ *cobra.Command, args []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
			if len(args) == 0 {
				return nil, cobra.ShellCompDirectiveDefault // the file
			}
			return nil, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(_ *cobra.Command, args []string) error { return c.dataUpload(args[0], args[1]) },
	}
	ls := &cobra.Command{
		Use:   "ls <ref>",
		Short: "List a blob, a folder or a container of the datastore",
		Long: `Lists what is under a data reference: one blob, a folder or a whole
container, with size and time. Exits 1 when nothing is there. With -o json:
one array.`,
		Example: `  starter data ls azblob://datasets/iris/iris.csv
  starter data ls azblob://datasets -o json`,
		Args:              exactArgs(1, "<ref>"),
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE:              func(_ *cobra.Command, args []string) error { return c.dataLs(args[0]) },
	}
	return c.groupCmd("data", "Files in the datastore: upload, ls", `  starter data upload data/iris.csv azblob://datasets/iris/iris.csv
  starter data ls azblob://datasets/iris`, upload, ls)
}

// uploadOutput is what `starter data upload -o json` prints.
type uploadOutput struct {
	File  string `json:"file"`
	Ref   string `json:"ref"`
	Bytes int64  `json:"bytes"`
}

func (c *cli) dataUpload(file, target string) error {
	ref, err := datastore.ParseRef(target)
	if err != nil {
		return usagef("%v", err)
	}
	f, err := os.Open(file)
	if err != nil {
		return usagef("%v", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	if st.IsDir() {
		return usagef("%s is a folder: want a file", file)
	}
	cfg, err := c.config()
	if err != nil {
		return err
	}
	ctype := mime.TypeByExtension(filepath.Ext(file))
	if ctype == "" {
		ctype = "application/octet-stream"
	}
	p := newByteProgress(f, c.stderr, "uploading "+filepath.Base(file), st.Size())
	_, err = cfg.Plugin.Store().Write(context.Background(), ref, p, datastore.WriteOptions{ContentType: ctype})
	p.done()
	if err != nil {
		return fmt.Errorf("upload %s to %s: %w", file, ref, err)
	}
	if c.json() {
		return c.printJSON(uploadOutput{File: file, Ref: ref.String(), Bytes: p.sent})
	}
	fmt.Fprintf(c.stdout, "uploaded %s (%s) to %s\n", file, bytesString(p.sent), ref)
	return nil
}

func (c *cli) dataLs(target string) error {
	ref, err := datastore.ParsePrefix(target)
	if err != nil {
		return usagef("%v", err)
	}
	cfg, err := c.config()
	if err != nil {
		return err
	}
	store := cfg.Plugin.Store()
	infos, err := list(context.Background(), store, ref)
	if err != nil {
		return fmt.Errorf("list %s: %w", ref, err)
	}
	if len(infos) == 0 {
		return fmt.Errorf("nothing under %s: %w", ref, datastore.ErrNotFound)
	}
	if c.json() {
		return c.printJSON(infos)
	}
	tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
	for _, i := range infos {
		fmt.Fprintf(tw, "%d\t%s\t%s\n", i.Size, i.LastModified.Format("2006-01-02 15:04:05"), i.Name)
	}
	return tw.Flush()
}

// list lists one blob, or a folder or whole container.
func list(ctx context.Context, store datastore.Resolver, ref datastore.Ref) ([]datastore.Info, error) {
	if info, err := store.Stat(ctx, ref); err == nil {
		info.Name = ref.String()
		return []datastore.Info{info}, nil
	}
	return store.List(ctx, ref)
}
