package duckdb

import (
	"context"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"

	ddb "github.com/duckdb/duckdb-go/v2"
)

// The statement gate is the second of two layers keeping the store
// read-only (docs/sql.md, "Read-only"). The first is DuckDB's own
// configuration (see DB.open): external access is off, the only files it
// may open are the store files the views read and a private temporary
// directory, and the configuration is locked. That layer cannot tell a
// read from a write of a file it may open, so the gate refuses every
// statement that could write one: it lets through a single SELECT (DESCRIBE,
// SHOW, SUMMARIZE and PIVOT are SELECTs to DuckDB), or EXPLAIN [ANALYZE] of
// one, that calls none of the functions below.

// stateFunctions change DuckDB's state from inside a SELECT, run SQL
// given as text, or take raw memory addresses. enable_profiling with a
// save_location overwrites any file DuckDB may open, a store file
// included; query and json_execute_serialized_sql run nested statements;
// arrow_scan dereferences pointers.
var stateFunctions = map[string]bool{
	"enable_profiling": true, "disable_profiling": true,
	"enable_logging": true, "disable_logging": true, "truncate_duckdb_logs": true, "write_log": true,
	"checkpoint": true, "force_checkpoint": true,
	"enable_peg_parser": true, "disable_peg_parser": true,
	"query": true, "query_table": true, "json_execute_serialized_sql": true,
	"arrow_scan": true, "arrow_scan_dumb": true,
	"read_duckdb": true,
}

// stateFunctionCall finds a call of a stateFunctions name in SQL text,
// with the name quoted or not and a comment or space before the
// parenthesis. It is used only when DuckDB cannot serialize the statement
// (see functionsOf) and errs towards refusing: it also matches inside
// string literals and comments.
var stateFunctionCall = regexp.MustCompile(`(?i)\b(` + strings.Join(keys(stateFunctions), "|") + `)\b"?\s*(\(|--|/\*)`)

// unicodeIdent matches U&"..." identifiers, whose escapes could spell a
// name stateFunctionCall would not see.
var unicodeIdent = regexp.MustCompile(`(?i)\bu&["']`)

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// explainPrefix matches the start of an EXPLAIN statement: EXPLAIN, then
// ANALYZE (or ANALYSE), or options in parentheses made of words and
// commas only (a quote there could hide the rest of the statement).
var explainPrefix = regexp.MustCompile(`(?is)^\s*explain\s+(?:(analy[sz]e)\b|(\([\w\s,]*\)))?`)

// errReadOnly is the refusal of a statement that is not a query.
var errReadOnly = errors.New("only queries run here (SELECT, WITH, DESCRIBE, SHOW, SUMMARIZE, PIVOT, EXPLAIN): the store is read-only")

// gate checks query and returns the statement to run in its place: the
// query itself, or for EXPLAIN, EXPLAIN rebuilt around the SELECT it was
// checked to hold, so that what runs is what was checked.
func gate(c *ddb.Conn, query string) (string, error) {
	// Functions first, by parsing alone: preparing a statement binds its
	// table functions, and binding may already act.
	names, err := functionsOf(c, query)
	if err != nil {
		return "", err
	}
	for _, n := range names {
		if stateFunctions[strings.ToLower(n)] {
			return "", &QueryError{Err: fmt.Errorf("%s() is not available here: it changes DuckDB's state or runs other statements, and the store is read-only", strings.ToLower(n))}
		}
	}
	typ, err := statementType(c, query)
	if err != nil {
		return "", err
	}
	switch typ {
	case ddb.STATEMENT_TYPE_SELECT:
		return query, nil
	case ddb.STATEMENT_TYPE_EXPLAIN:
	default:
		return "", &QueryError{Err: errReadOnly}
	}
	m := explainPrefix.FindStringSubmatchIndex(query)
	if m == nil {
		return "", &QueryError{Err: errors.New("EXPLAIN: write EXPLAIN, EXPLAIN ANALYZE or EXPLAIN (options) at the very start, then one SELECT")}
	}
	inner := query[m[1]:]
	t, err := statementType(c, inner)
	if err != nil {
		return "", err
	}
	if t != ddb.STATEMENT_TYPE_SELECT {
		return "", &QueryError{Err: fmt.Errorf("EXPLAIN: %w", errReadOnly)}
	}
	prefix := "EXPLAIN "
	switch {
	case m[2] >= 0:
		prefix = "EXPLAIN ANALYZE "
	case m[4] >= 0:
		prefix = "EXPLAIN " + query[m[4]:m[5]] + " "
	}
	run := prefix + inner
	if t, err := statementType(c, run); err != nil || t != ddb.STATEMENT_TYPE_EXPLAIN {
		return "", &QueryError{Err: errors.New("EXPLAIN: the statement after EXPLAIN must be one SELECT")}
	}
	return run, nil
}

// statementType prepares query, without running it, for its type.
func statementType(c *ddb.Conn, query string) (ddb.StmtType, error) {
	ds, err := c.Prepare(query)
	if err != nil {
		if strings.Contains(err.Error(), "multi-statement") {
			return 0, &QueryError{Err: errors.New("one statement at a time, please: the query has more than one")}
		}
		return 0, classify(err, true)
	}
	st := ds.(*ddb.Stmt)
	defer st.Close()
	typ, err := st.StatementType()
	if err != nil {
		return 0, classify(err, true)
	}
	return typ, nil
}

// functionsOf lists the functions a statement calls, as DuckDB's own
// parser sees them (json_serialize_sql parses without binding; names come
// unquoted and unescaped). Only SELECTs can be serialized; for the rest
// (EXPLAIN, PIVOT, and statements the gate refuses anyway) it falls back
// to searching the text, which refuses more than it must.
func functionsOf(c *ddb.Conn, query string) ([]string, error) {
	out, err := scalarString(c, "SELECT json_serialize_sql(?::VARCHAR)::VARCHAR", query)
	if err != nil {
		return nil, fmt.Errorf("check query: %w", err)
	}
	var tree struct {
		Error      bool  `json:"error"`
		Statements []any `json:"statements"`
	}
	if err := json.Unmarshal([]byte(out), &tree); err != nil {
		return nil, fmt.Errorf("check query: %w", err)
	}
	if tree.Error {
		if unicodeIdent.MatchString(query) {
			return nil, &QueryError{Err: errors.New(`U&"..." identifiers are not accepted in this form of statement`)}
		}
		var names []string
		for _, m := range stateFunctionCall.FindAllStringSubmatch(query, -1) {
			names = append(names, m[1])
		}
		return names, nil
	}
	if len(tree.Statements) > 1 {
		return nil, &QueryError{Err: errors.New("one statement at a time, please: the query has more than one")}
	}
	var v any
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		return nil, fmt.Errorf("check query: %w", err)
	}
	var names []string
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				if s, ok := e.(string); ok && k == "function_name" {
					names = append(names, s)
				}
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(v)
	return names, nil
}

// scalarString runs a one-row, one-column query with one argument on the
// driver connection.
func scalarString(c *ddb.Conn, query string, arg string) (string, error) {
	ds, err := c.Prepare(query)
	if err != nil {
		return "", err
	}
	defer ds.Close()
	st := ds.(*ddb.Stmt)
	rs, err := st.QueryContext(context.Background(), []driver.NamedValue{{Ordinal: 1, Value: arg}})
	if err != nil {
		return "", err
	}
	defer rs.Close()
	vals := make([]driver.Value, 1)
	if err := rs.Next(vals); err != nil {
		return "", err
	}
	s, ok := vals[0].(string)
	if !ok {
		return "", fmt.Errorf("want a string, got %T", vals[0])
	}
	return s, nil
}
