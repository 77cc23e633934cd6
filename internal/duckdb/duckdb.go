// Package duckdb answers SQL over a run store with embedded DuckDB
// (github.com/duckdb/duckdb-go, cgo). It finds every run directory and
// sweep directory under a store root, defines views over their files
// (runs, daily, agents, ledger, institutions, trace, trace_events, audit, and sweeps, sweep_daily,
// sweep_audit, sweep_institutions when sweeps exist) in an in-memory database, and runs one
// read-only statement at a time.
//
// Goals: a question about many runs is one SQL statement, with no export
// step; the files are read where they lie, only when a query needs them.
// The store is never modified: DuckDB runs with external access off, may
// open only the store files the views read (and a private temporary
// directory), installs and loads nothing, and has its configuration
// locked before the first query; on top of that only SELECT, EXPLAIN and
// their relatives run (guard.go). A damaged file is left out of the
// views with a warning, and the rest of the store stays queryable
// (validate.go).
//
// Non-goals: writing anything, persisting a database, and serving queries
// over a network.
package duckdb

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	ddb "github.com/duckdb/duckdb-go/v2"
)

// DB is an in-memory DuckDB database whose views read one store.
type DB struct {
	Catalog *Catalog
	db      *sql.DB
	conn    *sql.Conn
	views   []view
	defined map[string]bool
	tmp     string
	warn    func(Damage)
}

// Options are Open's settings.
type Options struct {
	// Warn is called once for every damaged file left out of the views:
	// those Discover finds when the store is opened, and those whose
	// Parquet footer or columns fail when a view over them is first
	// created. Nil ignores them.
	Warn func(Damage)
}

// Open discovers the runs and sweeps under root and prepares the views.
// A view is created when a query first names it: creating a view binds
// it, which reads the footer of every Parquet file it covers (1.5 s for
// 3,000 runs here), so a query pays only for the views it uses.
// It fails with *NotFoundError when root is not a directory.
func Open(ctx context.Context, root string, o Options) (*DB, error) {
	c, err := Discover(root)
	if err != nil {
		return nil, err
	}
	if o.Warn == nil {
		o.Warn = func(Damage) {}
	}
	for _, dmg := range c.Damaged {
		o.Warn(dmg)
	}
	// Spilling goes to a private temporary directory, never to the
	// working directory or the store; it is removed by Close.
	tmp, err := os.MkdirTemp("", "nosedive-duckdb-")
	if err != nil {
		return nil, err
	}
	d := &DB{Catalog: c, tmp: tmp, views: views(c), defined: map[string]bool{}, warn: o.Warn}
	if err := d.open(ctx); err != nil {
		d.Close()
		return nil, err
	}
	return d, nil
}

// open starts DuckDB and locks it down before any query can run. The
// settings, not the statement gate, are what keep the store and the rest
// of the machine safe from a statement: with external access off DuckDB
// opens only the files in allowed_paths (the store files the views read,
// so it can create no file in the store and read none outside it) and
// its temporary directory; extensions are neither installed nor loaded;
// secrets are never persisted; and the locked configuration cannot be
// changed back. What these settings cannot do is tell a read of an
// allowed file from a write, which is the gate's part (guard.go).
func (d *DB) open(ctx context.Context) error {
	conn, err := ddb.NewConnector("", nil)
	if err != nil {
		return fmt.Errorf("start duckdb: %w", err)
	}
	d.db = sql.OpenDB(conn)
	if d.conn, err = d.db.Conn(ctx); err != nil {
		return fmt.Errorf("start duckdb: %w", err)
	}
	var allowed []string
	for _, p := range d.Catalog.files() {
		allowed = append(allowed, p)
		if abs, err := filepath.Abs(p); err == nil && abs != p {
			allowed = append(allowed, abs)
		}
	}
	for _, s := range []string{
		"SET autoinstall_known_extensions = false", // no downloads, nothing written to ~/.duckdb
		"SET autoload_known_extensions = false",
		"SET allow_community_extensions = false",
		"SET allow_persistent_secrets = false",
		"SET temp_directory = " + sqlString(d.tmp), // spilling goes here, never to the store
		"SET TimeZone = 'UTC'",
		"SET allowed_paths = " + sqlList(allowed),
		"SET enable_external_access = false",
		"SET lock_configuration = true", // the user's query cannot undo the above
	} {
		if _, err := d.conn.ExecContext(ctx, s); err != nil {
			if len(s) > 80 {
				s = s[:80] + "..."
			}
			return fmt.Errorf("duckdb setup: %s: %w", s, err)
		}
	}
	return nil
}

// catalogQuery matches queries that list the catalog rather than name a
// view (SHOW TABLES, DESCRIBE, information_schema, duckdb_views(), ...);
// they get every view.
var catalogQuery = regexp.MustCompile(`(?i)\b(show|describe|information_schema|pg_catalog|sqlite_master|duckdb_\w+)\b`)

// define creates the views query may use: those whose name occurs in it
// as a word (a false match costs only time), or all for catalog queries;
// an empty query means all.
func (d *DB) define(ctx context.Context, query string) error {
	all := query == "" || catalogQuery.MatchString(query)
	for i := range d.views {
		v := &d.views[i]
		if d.defined[v.name] {
			continue
		}
		if !all && !regexp.MustCompile(`(?i)\b`+v.name+`\b`).MatchString(query) {
			continue
		}
		if v.over != nil || v.empty != "" {
			files, err := d.screen(ctx, v)
			if err != nil {
				return fmt.Errorf("define view %s: %w", v.name, err)
			}
			switch {
			case len(files) > 0:
				v.sql = v.over(files)
			case v.empty != "":
				v.sql = v.empty
			default:
				continue // every file damaged: no view, as without files
			}
		}
		if v.sql == "" {
			continue
		}
		if _, err := d.conn.ExecContext(ctx, createView(*v)); err != nil {
			return fmt.Errorf("define view %s: %w", v.name, err)
		}
		d.defined[v.name] = true
	}
	return nil
}

// screen returns the files of v that pass, reporting the others to
// d.warn: JSON documents must pass checkJSON (they are read whole, so
// this waits until a query needs them); Parquet files must have footers
// DuckDB reads and the columns v needs. One parquet_schema call reads
// every footer; only when it fails is each file read alone, to find the
// ones at fault.
func (d *DB) screen(ctx context.Context, v *view) ([]string, error) {
	if v.json {
		var good []string
		for _, f := range v.files {
			if err := checkJSON(f); err != nil {
				d.warn(Damage{Run: filepath.Dir(f), File: f, Skipped: v.name, Err: err})
				continue
			}
			good = append(good, f)
		}
		return good, nil
	}
	if len(v.files) == 0 {
		return nil, nil
	}
	schemas := map[string][]column{}
	read := func(files []string) error {
		rows, err := d.conn.QueryContext(ctx, "SELECT file_name, name, coalesce(type, '') FROM parquet_schema("+sqlList(files)+")")
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var f string
			var c column
			if err := rows.Scan(&f, &c.name, &c.physical); err != nil {
				return err
			}
			schemas[f] = append(schemas[f], c)
		}
		return rows.Err()
	}
	var bad map[string]error
	if err := read(v.files); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		bad = map[string]error{}
		clear(schemas)
		for _, f := range v.files {
			if err := read([]string{f}); err != nil {
				if ctx.Err() != nil {
					return nil, ctx.Err()
				}
				bad[f] = fmt.Errorf("footer unreadable: %s", firstLine(err))
			}
		}
	}
	var good []string
	for _, f := range v.files {
		err := bad[f]
		if err == nil {
			err = missingColumns(schemas[filepath.ToSlash(f)], requiredColumns[v.kind])
		}
		if err != nil {
			run := filepath.Dir(f)
			if v.kind == "" { // a sweep's results/
				run = filepath.Dir(run)
			}
			d.warn(Damage{Run: run, File: f, Skipped: v.name, Err: err})
			continue
		}
		good = append(good, f)
	}
	return good, nil
}

// missingColumns reports the first of want that have is without, or has
// with another physical type.
func missingColumns(have, want []column) error {
	types := map[string]string{}
	for _, c := range have {
		types[c.name] = c.physical
	}
	for _, w := range want {
		t, ok := types[w.name]
		switch {
		case !ok:
			return fmt.Errorf("wrong schema: no column %s", w.name)
		case t != w.physical:
			return fmt.Errorf("wrong schema: column %s is %s, not %s", w.name, t, w.physical)
		}
	}
	return nil
}

// firstLine is err's message up to its first line break (DuckDB adds
// context lines).
func firstLine(err error) string {
	s, _, _ := strings.Cut(err.Error(), "\n")
	return s
}

// Close releases the database and removes its temporary directory.
func (d *DB) Close() error {
	var errs []error
	if d.conn != nil {
		errs = append(errs, d.conn.Close())
	}
	if d.db != nil {
		errs = append(errs, d.db.Close())
	}
	errs = append(errs, os.RemoveAll(d.tmp))
	return errors.Join(errs...)
}

// Column describes one result column.
type Column struct {
	Name string
	Type string // DuckDB's type name, e.g. BIGINT, DOUBLE, VARCHAR[], JSON
}

// QueryError is DuckDB refusing the user's statement: a syntax error, an
// unknown table or column, a type error, or a statement that is not a
// query. Callers treat it as bad input.
type QueryError struct{ Err error }

func (e *QueryError) Error() string { return e.Err.Error() }
func (e *QueryError) Unwrap() error { return e.Err }

// userErrors are the DuckDB error types that mean the statement is wrong,
// not the store or the machine.
var userErrors = map[ddb.ErrorType]bool{
	ddb.ErrorTypeParser: true, ddb.ErrorTypeSyntax: true, ddb.ErrorTypeBinder: true,
	ddb.ErrorTypeCatalog: true, ddb.ErrorTypeConversion: true, ddb.ErrorTypeOutOfRange: true,
	ddb.ErrorTypeMismatchType: true, ddb.ErrorTypeInvalidType: true, ddb.ErrorTypeInvalidInput: true,
	ddb.ErrorTypeNotImplemented: true, ddb.ErrorTypeDivideByZero: true, ddb.ErrorTypeDecimal: true,
	ddb.ErrorTypeParameterNotResolved: true, ddb.ErrorTypeParameterNotAllowed: true,
	ddb.ErrorTypeMissingExtension: true, ddb.ErrorTypeAutoLoad: true, ddb.ErrorTypeSettings: true,
	ddb.ErrorTypeUnknownType: true, ddb.ErrorTypePermission: true, ddb.ErrorTypeExpression: true,
}

// machineErrors are the DuckDB error types that are never the
// statement's fault.
var machineErrors = map[ddb.ErrorType]bool{
	ddb.ErrorTypeInternal: true, ddb.ErrorTypeFatal: true, ddb.ErrorTypeOutOfMemory: true,
	ddb.ErrorTypeInterrupt: true, ddb.ErrorTypeConnection: true,
}

// classify marks err as the statement's fault: any error in preparing it
// (parsing, binding, a file the query names that does not exist) but for
// the machine's own, and errors of userErrors' types while it runs.
func classify(err error, preparing bool) error {
	var de *ddb.Error
	if !errors.As(err, &de) {
		return err
	}
	if de.Type == ddb.ErrorTypePermission {
		return &QueryError{Err: fmt.Errorf("%w\n(the store is read-only: nosedive sql writes no file and opens none but the store's own)", err)}
	}
	if userErrors[de.Type] || (preparing && !machineErrors[de.Type]) {
		return &QueryError{Err: err}
	}
	return err
}

// Query runs one read-only statement. It calls header once with the
// result's columns, then row for every row, in order; row's slice is
// reused between calls. Values are as duckdb-go returns them: nil for
// NULL, bool, integers, float64, string, time.Time, []any for lists,
// map[string]any for structs, decoded JSON for JSON columns, and a few
// duckdb-go types (Decimal, UUID, Interval, Map); see Text and JSONValue.
func (d *DB) Query(ctx context.Context, query string, header func([]Column) error, row func([]any) error) error {
	if strings.TrimSpace(strings.TrimRight(strings.TrimSpace(query), ";")) == "" {
		return &QueryError{Err: errors.New("empty query")}
	}
	if err := d.define(ctx, query); err != nil {
		return err
	}
	return d.conn.Raw(func(dc any) error {
		c, ok := dc.(*ddb.Conn)
		if !ok {
			return fmt.Errorf("duckdb: unexpected driver connection %T", dc)
		}
		run, err := gate(c, query)
		if err != nil {
			return err
		}
		ds, err := c.Prepare(run)
		if err != nil {
			return classify(err, true)
		}
		st := ds.(*ddb.Stmt)
		defer st.Close()
		rs, err := st.QueryContext(ctx, nil)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return classify(err, false)
		}
		defer rs.Close()
		names := rs.Columns()
		cols := make([]Column, len(names))
		typed, _ := rs.(driver.RowsColumnTypeDatabaseTypeName)
		for i, n := range names {
			cols[i].Name = n
			if typed != nil {
				cols[i].Type = typed.ColumnTypeDatabaseTypeName(i)
			}
		}
		if err := header(cols); err != nil {
			return err
		}
		vals := make([]driver.Value, len(cols))
		out := make([]any, len(cols))
		for {
			if err := ctx.Err(); err != nil {
				return err
			}
			err := rs.Next(vals)
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				return classify(err, false)
			}
			for i, v := range vals {
				out[i] = v
			}
			if err := row(out); err != nil {
				return err
			}
		}
	})
}

// ViewInfo describes one view for --schema.
type ViewInfo struct {
	Name    string
	Doc     string
	Note    string   // why it is empty or omitted
	Columns []Column // nil when omitted
}

// Schema lists the views, in a fixed order, with their columns.
func (d *DB) Schema(ctx context.Context) ([]ViewInfo, error) {
	if err := d.define(ctx, ""); err != nil {
		return nil, err
	}
	var out []ViewInfo
	for _, v := range d.views {
		vi := ViewInfo{Name: v.name, Doc: v.doc, Note: v.note}
		if d.defined[v.name] {
			rows, err := d.conn.QueryContext(ctx,
				"SELECT column_name, data_type FROM information_schema.columns WHERE table_name = ? ORDER BY ordinal_position", v.name)
			if err != nil {
				return nil, err
			}
			for rows.Next() {
				var c Column
				if err := rows.Scan(&c.Name, &c.Type); err != nil {
					rows.Close()
					return nil, err
				}
				vi.Columns = append(vi.Columns, c)
			}
			if err := rows.Close(); err != nil {
				return nil, err
			}
		}
		out = append(out, vi)
	}
	return out, nil
}
