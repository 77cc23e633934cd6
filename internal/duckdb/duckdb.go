// Package duckdb answers SQL over a run store with embedded DuckDB
// (github.com/duckdb/duckdb-go, cgo). It finds every run directory and
// sweep directory under a store root, defines views over their files
// (runs, daily, agents, audit, and sweeps, sweep_daily, sweep_audit when
// sweeps exist) in an in-memory database, and runs one read-only
// statement at a time.
//
// Goals: a question about many runs is one SQL statement, with no export
// step; the files are read where they lie, only when a query needs them.
// Non-goals: writing anything (the store is never modified: only SELECT,
// EXPLAIN and their relatives run, and nothing is installed or spilled
// into the store), persisting a database, and serving queries over a
// network.
package duckdb

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"os"
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
}

// Open discovers the runs and sweeps under root and prepares the views.
// A view is created when a query first names it: creating a view binds
// it, which reads the footer of every Parquet file it covers (1.5 s for
// 3,000 runs here), so a query pays only for the views it uses.
// It fails with *NotFoundError when root is not a directory.
func Open(ctx context.Context, root string) (*DB, error) {
	c, err := Discover(root)
	if err != nil {
		return nil, err
	}
	// Spilling goes to a private temporary directory, never to the
	// working directory or the store; it is removed by Close.
	tmp, err := os.MkdirTemp("", "nosedive-duckdb-")
	if err != nil {
		return nil, err
	}
	d := &DB{Catalog: c, tmp: tmp, views: views(c), defined: map[string]bool{}}
	if err := d.open(ctx); err != nil {
		d.Close()
		return nil, err
	}
	return d, nil
}

func (d *DB) open(ctx context.Context) error {
	conn, err := ddb.NewConnector("", nil)
	if err != nil {
		return fmt.Errorf("start duckdb: %w", err)
	}
	d.db = sql.OpenDB(conn)
	if d.conn, err = d.db.Conn(ctx); err != nil {
		return fmt.Errorf("start duckdb: %w", err)
	}
	for _, s := range []string{
		"SET autoinstall_known_extensions = false", // no downloads, nothing written to ~/.duckdb
		"SET temp_directory = " + sqlString(d.tmp),
		"SET TimeZone = 'UTC'",
		"SET lock_configuration = true", // the user's query cannot undo the above
	} {
		if _, err := d.conn.ExecContext(ctx, s); err != nil {
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
	for _, v := range d.views {
		if v.sql == "" || d.defined[v.name] {
			continue
		}
		if !all && !regexp.MustCompile(`(?i)\b`+v.name+`\b`).MatchString(query) {
			continue
		}
		if _, err := d.conn.ExecContext(ctx, createView(v)); err != nil {
			return fmt.Errorf("define view %s: %w", v.name, err)
		}
		d.defined[v.name] = true
	}
	return nil
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

// readOnly lists the statement types Query runs. DESCRIBE, SHOW and
// SUMMARIZE are SELECT statements to DuckDB.
var readOnly = map[ddb.StmtType]bool{
	ddb.STATEMENT_TYPE_SELECT:  true,
	ddb.STATEMENT_TYPE_EXPLAIN: true,
}

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
		ds, err := c.Prepare(query)
		if err != nil {
			if strings.Contains(err.Error(), "multi-statement") {
				return &QueryError{Err: errors.New("one statement at a time, please: the query has more than one")}
			}
			return classify(err, true)
		}
		st := ds.(*ddb.Stmt)
		defer st.Close()
		typ, err := st.StatementType()
		if err != nil {
			return classify(err, true)
		}
		if !readOnly[typ] {
			return &QueryError{Err: errors.New("only queries run here (SELECT, WITH, DESCRIBE, SHOW, SUMMARIZE, EXPLAIN): the store is read-only")}
		}
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
		if v.sql != "" {
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
