package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"os"
	"path/filepath"
	"text/tabwriter"

	"github.com/temporal-ml/runctx-pipeline/datastore"
	"github.com/temporal-ml/runctx-pipeline/internal/app"
)

// dataCmd is `starter data upload|ls`, the counterparts of Azure ML's
// datastore.upload_files and listing a datastore path.
func dataCmd(args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return usagef("want 'data upload <file> <ref>' or 'data ls <ref>'")
	}
	switch args[0] {
	case "upload":
		return dataUpload(args[1:], stdout)
	case "ls":
		return dataLs(args[1:], stdout)
	}
	return usagef("unknown data command %q: want upload or ls", args[0])
}

func openStorage() (datastore.Resolver, error) {
	cfg, err := app.LoadConfig()
	if err != nil {
		return datastore.Resolver{}, err
	}
	return cfg.Plugin.Store(), nil
}

func dataUpload(args []string, stdout io.Writer) error {
	fs := newFlags("data upload")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 2 {
		return usagef("want 'data upload <file> <ref>', e.g. data upload data/iris.csv azblob://datasets/iris/iris.csv")
	}
	file, target := fs.Arg(0), fs.Arg(1)
	ref, err := datastore.ParseRef(target)
	if err != nil {
		return usagef("%v", err)
	}
	f, err := os.Open(file)
	if err != nil {
		return usagef("%v", err)
	}
	defer f.Close()
	store, err := openStorage()
	if err != nil {
		return err
	}
	ctype := mime.TypeByExtension(filepath.Ext(file))
	if ctype == "" {
		ctype = "application/octet-stream"
	}
	if _, err := store.Write(context.Background(), ref, f, datastore.WriteOptions{ContentType: ctype}); err != nil {
		return fmt.Errorf("upload %s to %s: %w", file, ref, err)
	}
	fmt.Fprintf(stdout, "uploaded %s to %s\n", file, ref)
	return nil
}

func dataLs(args []string, stdout io.Writer) error {
	fs := newFlags("data ls")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usagef("want 'data ls <ref>', e.g. data ls azblob://datasets/iris")
	}
	ref, err := datastore.ParsePrefix(fs.Arg(0))
	if err != nil {
		return usagef("%v", err)
	}
	store, err := openStorage()
	if err != nil {
		return err
	}
	infos, err := list(context.Background(), store, ref)
	if err != nil {
		return fmt.Errorf("list %s: %w", ref, err)
	}
	if len(infos) == 0 {
		return fmt.Errorf("nothing under %s: %w", ref, datastore.ErrNotFound)
	}
	if *asJSON {
		return json.NewEncoder(stdout).Encode(infos)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
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
