import { SqlTranslationError, translateSql } from '../../../../runtime/adapters/local/sql-translate';

const one = (sql: string, timestampParams?: ReadonlySet<string>) => {
  const statements = translateSql(sql, { timestampParams });
  expect(statements).toHaveLength(1);
  return statements[0]!;
};

describe('translateSql', () => {
  it('turns backtick names into double-quoted ones, keeping the table of a qualified name', () => {
    expect(one('SELECT a FROM `local-project.ds.batch_events`').sql).toBe('SELECT a FROM "batch_events"');
    expect(one('SELECT a FROM `batch_events`').sql).toBe('SELECT a FROM "batch_events"');
  });

  it('turns @name parameters into $name and reports them once, in order', () => {
    const s = one('SELECT * FROM t WHERE a = @a AND b = @b OR c = @a');
    expect(s.sql).toBe('SELECT * FROM t WHERE a = $a AND b = $b OR c = $a');
    expect(s.params).toEqual(['a', 'b']);
    expect(s.verb).toBe('SELECT');
  });

  it('leaves string literals and comments alone, and turns double-quoted strings into single-quoted ones', () => {
    const s = one(`SELECT '@x ` + '`y`' + `', "it's" -- @z \`w\`\nFROM t`);
    expect(s.sql).toBe(`SELECT '@x \`y\`', 'it''s' \nFROM t`);
    expect(s.params).toEqual([]);
  });

  it('decodes backslash escapes of BigQuery literals', () => {
    expect(one("SELECT 'a\\nb\\'c', r'\\d+'").sql).toBe("SELECT 'a\nb''c', '\\d+'");
  });

  it('renames BigQuery type names where a type is expected', () => {
    expect(one('SELECT CAST(x AS INT64), CAST(y AS FLOAT64), SAFE_CAST(z AS STRING), CAST(w AS BOOL)').sql).toBe(
      'SELECT CAST(x AS BIGINT), CAST(y AS DOUBLE), TRY_CAST(z AS VARCHAR), CAST(w AS BOOLEAN)',
    );
    expect(one('SELECT CAST(@ids AS ARRAY<STRING>)').sql).toBe('SELECT CAST($ids AS VARCHAR[])');
  });

  it('rewrites TIMESTAMP_DIFF with its bare date part, recursively', () => {
    expect(one('SELECT TIMESTAMP_DIFF(MAX(a), TIMESTAMP_DIFF(b, c, MINUTE), SECOND) FROM t').sql).toBe(
      "SELECT date_sub('second', date_sub('minute', c, b), MAX(a)) FROM t",
    );
  });

  it('rewrites CURRENT_TIMESTAMP(), IN UNNEST(...) and INTERVAL @n', () => {
    expect(one('SELECT CURRENT_TIMESTAMP()').sql).toBe('SELECT CAST(current_timestamp AS TIMESTAMP)');
    expect(one('SELECT 1 FROM t WHERE id NOT IN UNNEST(@ids)').sql).toBe('SELECT 1 FROM t WHERE id NOT IN (SELECT UNNEST($ids))');
    expect(one('SELECT CURRENT_TIMESTAMP - INTERVAL @h HOUR').sql).toBe('SELECT CURRENT_TIMESTAMP - INTERVAL ($h) HOUR');
  });

  it("names an UNNEST's element as BigQuery's alias does, in a FROM or a JOIN only", () => {
    expect(one('SELECT w FROM t CROSS JOIN UNNEST(REGEXP_EXTRACT_ALL(LOWER(a), @p)) AS w').sql).toBe(
      'SELECT w FROM t CROSS JOIN UNNEST(REGEXP_EXTRACT_ALL(LOWER(a), $p)) AS unnested_w(w)',
    );
    expect(one('SELECT x FROM UNNEST(@xs) AS x').sql).toBe('SELECT x FROM UNNEST($xs) AS unnested_x(x)');
    expect(one('SELECT i FROM t CROSS JOIN UNNEST(t.items) AS u(i)').sql).toBe('SELECT i FROM t CROSS JOIN UNNEST(t.items) AS u(i)');
    expect(one('SELECT UNNEST(items) AS item FROM t').sql).toBe('SELECT UNNEST(items) AS item FROM t');
  });

  it('adds INTO and FROM that BigQuery lets you leave out, but not inside MERGE', () => {
    expect(one('INSERT `t` (a) VALUES (1)').sql).toBe('INSERT INTO "t" (a) VALUES (1)');
    expect(one('DELETE t WHERE TRUE').sql).toBe('DELETE FROM t WHERE TRUE');
    expect(one('MERGE t USING s ON t.a = s.a WHEN NOT MATCHED THEN INSERT (a) VALUES (s.a)').sql).toBe(
      'MERGE t USING s ON t.a = s.a WHEN NOT MATCHED THEN INSERT (a) VALUES (s.a)',
    );
  });

  it('casts parameters declared TIMESTAMP', () => {
    expect(one('SELECT @at AS at', new Set(['at'])).sql).toBe('SELECT CAST(CAST($at AS TIMESTAMPTZ) AS TIMESTAMP) AS at');
  });

  it('reads timestamp literals with their offset, and keeps TIMESTAMP as a type name', () => {
    expect(one("SELECT TIMESTAMP '2026-01-01 00:00:00+02', CAST(x AS TIMESTAMP)").sql).toBe(
      "SELECT CAST(CAST('2026-01-01 00:00:00+02' AS TIMESTAMPTZ) AS TIMESTAMP), CAST(x AS TIMESTAMP)",
    );
  });

  it('splits a script into statements with their own parameters', () => {
    const s = translateSql('BEGIN TRANSACTION; INSERT INTO t VALUES (@a); DELETE FROM u WHERE b = @b; COMMIT TRANSACTION;');
    expect(s.map((x) => x.verb)).toEqual(['BEGIN', 'INSERT', 'DELETE', 'COMMIT']);
    expect(s.map((x) => x.params)).toEqual([[], ['a'], ['b'], []]);
  });

  it('rejects unterminated literals', () => {
    expect(() => translateSql("SELECT 'abc")).toThrow(SqlTranslationError);
    expect(() => translateSql('SELECT `abc')).toThrow(SqlTranslationError);
  });
});
