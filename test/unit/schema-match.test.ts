/**
 * Proves the hand-written migrations under prisma/migrations produce exactly the database that
 * prisma/schema.prisma describes (Prisma's schema engine, which would diff them, cannot be had
 * offline), and that the offline migrator keeps Prisma's bookkeeping.
 *
 * schema.prisma is parsed with @prisma/prisma-schema-wasm (pinned to the installed Prisma's engine
 * version) into its DMMF; the migrated scratch database is read from the PostgreSQL catalogs. Both
 * are reduced to the same shape (tables → columns with type, nullability and default; primary key;
 * unique indexes; plain indexes; foreign keys) and compared both ways, so a change to either side
 * alone fails here.
 *
 * Needs a PostgreSQL server: TEST_ADMIN_DATABASE_URL (default postgres on 127.0.0.1:5432) must be
 * allowed to create databases; the test creates its own and drops them.
 * PRISMA_SCHEMA_PATH / PRISMA_MIGRATIONS_DIR point it at other files (to check the test itself).
 */
import { createHash } from 'node:crypto';
import { appendFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { get_dmmf } from '@prisma/prisma-schema-wasm';
import { applyMigrations, readLocalMigrations } from '../../scripts/migrations';
import { scratchDatabase } from '../helpers/scratch-database';

const ROOT = path.resolve(__dirname, '..', '..');
const SCHEMA_PATH = process.env.PRISMA_SCHEMA_PATH ?? path.join(ROOT, 'prisma', 'schema.prisma');
const MIGRATIONS_DIR = process.env.PRISMA_MIGRATIONS_DIR ?? path.join(ROOT, 'prisma', 'migrations');

// ---------------------------------------------------------------------------------------------
// The common shape both sides are reduced to.

interface ColumnShape {
  type: string; // format_type() spelling, e.g. "timestamp(3) with time zone"
  nullable: boolean;
  default: string | null; // normalised: "CURRENT_TIMESTAMP", "nextval", "0", "CNY", "{}", "<expr>"
}
interface IndexShape {
  name: string;
  columns: string[];
}
interface ForeignKeyShape {
  name: string;
  columns: string[];
  references: string; // "table(col, ...)"
  onDelete: string;
  onUpdate: string;
}
interface TableShape {
  columns: Record<string, ColumnShape>;
  primaryKey: IndexShape | null;
  uniques: IndexShape[];
  indexes: IndexShape[];
  foreignKeys: ForeignKeyShape[];
}
type DatabaseShape = Record<string, TableShape>;

// ---------------------------------------------------------------------------------------------
// schema.prisma → shape, through the DMMF.

interface DmmfField {
  name: string;
  dbName?: string | null;
  kind: 'scalar' | 'object' | 'enum' | 'unsupported';
  isList: boolean;
  isRequired: boolean;
  hasDefaultValue: boolean;
  isUpdatedAt: boolean;
  type: string;
  nativeType?: [string, string[]] | null;
  default?: unknown;
  relationFromFields?: string[];
  relationToFields?: string[];
  relationOnDelete?: string;
  relationOnUpdate?: string;
}
interface DmmfModel {
  name: string;
  dbName: string | null;
  schema?: string | null;
  fields: DmmfField[];
}
interface DmmfIndex {
  model: string;
  type: 'id' | 'unique' | 'normal' | 'fulltext';
  dbName?: string | null;
  fields: Array<{ name: string }>;
}
interface Dmmf {
  datamodel: { models: DmmfModel[]; enums: Array<{ name: string; dbName?: string | null }>; indexes: DmmfIndex[] };
}

function loadDmmf(schemaPath: string): Dmmf {
  const schema = readFileSync(schemaPath, 'utf8');
  return JSON.parse(get_dmmf(JSON.stringify({ prismaSchema: [[schemaPath, schema]], noColor: true }))) as Dmmf;
}

const tableOf = (m: DmmfModel): string => m.dbName ?? m.name;
const columnOf = (f: DmmfField): string => f.dbName ?? f.name;

/** Prisma's default constraint name: "<table>_<columns joined by _>_<suffix>", cut to 63 bytes. */
function prismaName(table: string, columns: string[], suffix: string): string {
  const name = `${table}_${columns.join('_')}_${suffix}`;
  if (name.length <= 63) return name;
  // Prisma truncates the "<table>_<columns>" part and keeps the suffix.
  return `${name.slice(0, 63 - suffix.length - 1)}_${suffix}`;
}

function nativeTypeToPg(scalar: string, native: [string, string[]]): string {
  const [name, args] = native;
  const a = args.join(',');
  switch (name) {
    case 'Timestamptz':
      return `timestamp(${args[0] ?? 6}) with time zone`;
    case 'Timestamp':
      return `timestamp(${args[0] ?? 6}) without time zone`;
    case 'Timetz':
      return `time(${args[0] ?? 6}) with time zone`;
    case 'Time':
      return `time(${args[0] ?? 6}) without time zone`;
    case 'Date':
      return 'date';
    case 'Text':
      return 'text';
    case 'VarChar':
      return args.length ? `character varying(${a})` : 'character varying';
    case 'Char':
      return `character(${args[0] ?? 1})`;
    case 'Uuid':
      return 'uuid';
    case 'Integer':
      return 'integer';
    case 'SmallInt':
      return 'smallint';
    case 'BigInt':
      return 'bigint';
    case 'Decimal':
      return args.length ? `numeric(${a})` : 'numeric';
    case 'Money':
      return 'money';
    case 'Real':
      return 'real';
    case 'DoublePrecision':
      return 'double precision';
    case 'Boolean':
      return 'boolean';
    case 'JsonB':
      return 'jsonb';
    case 'Json':
      return 'json';
    case 'ByteA':
      return 'bytea';
    case 'Inet':
      return 'inet';
    case 'Citext':
      return 'citext';
    case 'Xml':
      return 'xml';
    default:
      throw new Error(
        `schema-match: native type @db.${name} on a ${scalar} field is not mapped yet; extend nativeTypeToPg()`,
      );
  }
}

function scalarToPg(f: DmmfField, enumDbName: (name: string) => string | undefined): string {
  if (f.kind === 'enum') {
    const e = enumDbName(f.type);
    if (!e) throw new Error(`schema-match: unknown enum ${f.type}`);
    return f.isList ? `${e}[]` : e;
  }
  let base: string;
  if (f.nativeType) base = nativeTypeToPg(f.type, f.nativeType);
  else {
    const defaults: Record<string, string> = {
      String: 'text',
      Int: 'integer',
      BigInt: 'bigint',
      Boolean: 'boolean',
      Float: 'double precision',
      Decimal: 'numeric(65,30)',
      DateTime: 'timestamp(3) without time zone',
      Json: 'jsonb',
      Bytes: 'bytea',
    };
    const t = defaults[f.type];
    if (!t)
      throw new Error(`schema-match: scalar type ${f.type} (field ${f.name}) is not mapped yet; extend scalarToPg()`);
    base = t;
  }
  return f.isList ? `${base}[]` : base;
}

/** The database default a field's @default produces, normalised like normaliseDefault() below. */
function expectedDefault(f: DmmfField): string | null {
  if (!f.hasDefaultValue || f.default === undefined) return null;
  const d = f.default as { name?: string; args?: unknown[] } | string | number | boolean | unknown[];
  if (typeof d === 'object' && d !== null && !Array.isArray(d) && typeof d.name === 'string') {
    switch (d.name) {
      case 'now':
        return 'CURRENT_TIMESTAMP';
      case 'autoincrement':
        return 'nextval';
      case 'dbgenerated':
        return d.args && d.args.length > 0 ? '<expr>' : null;
      // Generated by Prisma Client, not the database.
      case 'uuid':
      case 'cuid':
      case 'nanoid':
      case 'ulid':
        return null;
      default:
        return '<expr>';
    }
  }
  if (Array.isArray(d)) return '<expr>';
  return String(d as string | number | boolean);
}

function shapeFromSchema(dmmf: Dmmf): DatabaseShape {
  const { models, enums, indexes } = dmmf.datamodel;
  const modelByName = new Map(models.map((m) => [m.name, m]));
  const enumDbName = (name: string) => {
    const e = enums.find((x) => x.name === name);
    return e ? (e.dbName ?? e.name) : undefined;
  };
  const shape: DatabaseShape = {};
  for (const model of models) {
    const table = tableOf(model);
    const fieldCol = (name: string) => {
      const f = model.fields.find((x) => x.name === name);
      if (!f) throw new Error(`schema-match: ${model.name}.${name} not found`);
      return columnOf(f);
    };
    const t: TableShape = { columns: {}, primaryKey: null, uniques: [], indexes: [], foreignKeys: [] };
    for (const f of model.fields) {
      if (f.kind === 'object') continue;
      if (f.kind === 'unsupported') throw new Error(`schema-match: Unsupported field ${model.name}.${f.name}`);
      t.columns[columnOf(f)] = {
        type: scalarToPg(f, enumDbName),
        nullable: !f.isRequired && !f.isList,
        default: expectedDefault(f),
      };
    }
    for (const ix of indexes.filter((i) => i.model === model.name)) {
      const columns = ix.fields.map((x) => fieldCol(x.name));
      if (ix.type === 'id') t.primaryKey = { name: ix.dbName ?? `${table}_pkey`, columns };
      else if (ix.type === 'unique') t.uniques.push({ name: ix.dbName ?? prismaName(table, columns, 'key'), columns });
      else if (ix.type === 'normal') t.indexes.push({ name: ix.dbName ?? prismaName(table, columns, 'idx'), columns });
      else throw new Error(`schema-match: index type ${ix.type} on ${model.name} is not handled`);
    }
    for (const f of model.fields) {
      if (f.kind !== 'object' || !f.relationFromFields || f.relationFromFields.length === 0) continue;
      const target = modelByName.get(f.type)!;
      const columns = f.relationFromFields.map(fieldCol);
      const targetCols = (f.relationToFields ?? []).map((n) => columnOf(target.fields.find((x) => x.name === n)!));
      const optional = f.relationFromFields.some((n) => !model.fields.find((x) => x.name === n)!.isRequired);
      t.foreignKeys.push({
        name: prismaName(table, columns, 'fkey'),
        columns,
        references: `${tableOf(target)}(${targetCols.join(', ')})`,
        onDelete: f.relationOnDelete ?? (optional ? 'SetNull' : 'Restrict'),
        onUpdate: f.relationOnUpdate ?? 'Cascade',
      });
    }
    sortTable(t);
    shape[table] = t;
  }
  return shape;
}

// ---------------------------------------------------------------------------------------------
// Migrated database → shape, from the catalogs.

const ACTIONS: Record<string, string> = { a: 'NoAction', r: 'Restrict', c: 'Cascade', n: 'SetNull', d: 'SetDefault' };

/** `'CNY'::text` → `CNY`, `'{}'::jsonb` → `{}`, `nextval('x_seq'::regclass)` → `nextval`. */
function normaliseDefault(expr: string | null): string | null {
  if (expr === null) return null;
  if (/^nextval\(/i.test(expr)) return 'nextval';
  if (/^(CURRENT_TIMESTAMP|now\(\))$/i.test(expr)) return 'CURRENT_TIMESTAMP';
  const literal = /^'((?:[^']|'')*)'(?:::[\w\s."]+(?:\[\])?)?$/.exec(expr);
  if (literal) return literal[1].replace(/''/g, "'");
  if (/^-?\d+(\.\d+)?$/.test(expr) || /^(true|false)$/.test(expr)) return expr;
  const negative = /^\((-\d+(\.\d+)?)\)$/.exec(expr);
  if (negative) return negative[1];
  return '<expr>';
}

async function shapeFromDatabase(client: Client): Promise<DatabaseShape> {
  const shape: DatabaseShape = {};
  const tables = await client.query<{ table: string }>(
    `SELECT c.relname AS table FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND c.relname <> '_prisma_migrations'`,
  );
  for (const { table } of tables.rows)
    shape[table] = { columns: {}, primaryKey: null, uniques: [], indexes: [], foreignKeys: [] };

  const columns = await client.query<{
    table: string;
    column: string;
    type: string;
    notnull: boolean;
    default: string | null;
  }>(
    `SELECT c.relname AS table, a.attname AS column, format_type(a.atttypid, a.atttypmod) AS type,
            a.attnotnull AS notnull, pg_get_expr(d.adbin, d.adrelid) AS default
       FROM pg_attribute a
       JOIN pg_class c ON c.oid = a.attrelid
       JOIN pg_namespace n ON n.oid = c.relnamespace
       LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
      WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped`,
  );
  for (const c of columns.rows) {
    const t = shape[c.table];
    if (!t) continue;
    // BIGSERIAL/SERIAL are bigint/integer with a nextval() default.
    t.columns[c.column] = { type: c.type, nullable: !c.notnull, default: normaliseDefault(c.default) };
  }

  const indexes = await client.query<{
    table: string;
    name: string;
    unique: boolean;
    primary: boolean;
    columns: string[];
    partial: boolean;
  }>(
    `SELECT t.relname AS table, i.relname AS name, ix.indisunique AS unique, ix.indisprimary AS primary,
            ix.indpred IS NOT NULL OR ix.indexprs IS NOT NULL AS partial,
            array_agg(a.attname::text ORDER BY k.ord) AS columns
       FROM pg_index ix
       JOIN pg_class i ON i.oid = ix.indexrelid
       JOIN pg_class t ON t.oid = ix.indrelid
       JOIN pg_namespace n ON n.oid = t.relnamespace
       CROSS JOIN LATERAL unnest(ix.indkey) WITH ORDINALITY AS k(attnum, ord)
       LEFT JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
      WHERE n.nspname = 'public' AND t.relname <> '_prisma_migrations'
      GROUP BY t.relname, i.relname, ix.indisunique, ix.indisprimary, ix.indpred, ix.indexprs`,
  );
  for (const ix of indexes.rows) {
    const t = shape[ix.table];
    if (!t) continue;
    // An expression or partial index has no counterpart in this schema: show it as such.
    const entry = { name: ix.name, columns: ix.partial ? [...ix.columns, '<expression or predicate>'] : ix.columns };
    if (ix.primary) t.primaryKey = entry;
    else if (ix.unique) t.uniques.push(entry);
    else t.indexes.push(entry);
  }

  const fks = await client.query<{
    table: string;
    name: string;
    columns: string[];
    ref_table: string;
    ref_columns: string[];
    del: string;
    upd: string;
  }>(
    `SELECT t.relname AS table, con.conname AS name, rt.relname AS ref_table,
            con.confdeltype AS del, con.confupdtype AS upd,
            (SELECT array_agg(a.attname::text ORDER BY k.ord) FROM unnest(con.conkey) WITH ORDINALITY k(attnum, ord)
               JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum) AS columns,
            (SELECT array_agg(a.attname::text ORDER BY k.ord) FROM unnest(con.confkey) WITH ORDINALITY k(attnum, ord)
               JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum) AS ref_columns
       FROM pg_constraint con
       JOIN pg_class t ON t.oid = con.conrelid
       JOIN pg_class rt ON rt.oid = con.confrelid
       JOIN pg_namespace n ON n.oid = t.relnamespace
      WHERE con.contype = 'f' AND n.nspname = 'public'`,
  );
  for (const fk of fks.rows) {
    const t = shape[fk.table];
    if (!t) continue;
    t.foreignKeys.push({
      name: fk.name,
      columns: fk.columns,
      references: `${fk.ref_table}(${fk.ref_columns.join(', ')})`,
      onDelete: ACTIONS[fk.del] ?? fk.del,
      onUpdate: ACTIONS[fk.upd] ?? fk.upd,
    });
  }
  for (const t of Object.values(shape)) sortTable(t);
  return shape;
}

function sortTable(t: TableShape): void {
  const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name);
  t.uniques.sort(byName);
  t.indexes.sort(byName);
  t.foreignKeys.sort(byName);
  t.columns = Object.fromEntries(Object.entries(t.columns).sort(([a], [b]) => a.localeCompare(b)));
}

// ---------------------------------------------------------------------------------------------
// Scratch databases.

const drops: Array<() => Promise<void>> = [];
async function createScratchDatabase(label: string): Promise<string> {
  const scratch = await scratchDatabase(`schema_match_${label}`);
  drops.push(scratch.drop);
  return scratch.url;
}
async function dropScratchDatabases(): Promise<void> {
  for (const drop of drops.splice(0)) await drop();
}

// ---------------------------------------------------------------------------------------------

const dmmf = loadDmmf(SCHEMA_PATH);
const expected = shapeFromSchema(dmmf);
const modelTables = Object.keys(expected).sort();

let url: string;
let client: Client;
let actual: DatabaseShape;
let appliedFirst: string[];

beforeAll(async () => {
  url = await createScratchDatabase('main');
  appliedFirst = await applyMigrations(url, () => {}, { migrationsDir: MIGRATIONS_DIR });
  client = new Client({ connectionString: url });
  await client.connect();
  actual = await shapeFromDatabase(client);
});

afterAll(async () => {
  await client?.end();
  await dropScratchDatabases();
});

describe('migrated database matches schema.prisma', () => {
  test('the schema parses and has models', () => {
    expect(modelTables.length).toBeGreaterThan(0);
  });

  test('one table per model, and no table the schema lacks', () => {
    expect(Object.keys(actual).sort()).toEqual(modelTables);
  });

  describe.each(modelTables)('%s', (table) => {
    test('columns: same names, types, nullability and defaults (both ways)', () => {
      expect(actual[table]?.columns).toEqual(expected[table].columns);
    });
    test('primary key (@id / @@id)', () => {
      expect(actual[table]?.primaryKey).toEqual(expected[table].primaryKey);
    });
    test('unique indexes (@unique / @@unique)', () => {
      expect(actual[table]?.uniques).toEqual(expected[table].uniques);
    });
    test('indexes (@@index)', () => {
      expect(actual[table]?.indexes).toEqual(expected[table].indexes);
    });
    test('foreign keys (relations, with referential actions)', () => {
      expect(actual[table]?.foreignKeys).toEqual(expected[table].foreignKeys);
    });
  });
});

describe('CHECK constraints guard the invariants', () => {
  // Each statement runs in a rolled-back savepoint; each must be refused with check_violation.
  const violations: Array<[string, string]> = [
    ['inventory on_hand >= 0', `INSERT INTO inventory (sku, warehouse_id, on_hand) VALUES ('SKU-X', 'wh-x', -1)`],
    [
      'inventory reserved >= 0',
      `INSERT INTO inventory (sku, warehouse_id, on_hand, reserved) VALUES ('SKU-X', 'wh-x', 5, -1)`,
    ],
    [
      'inventory allocated >= 0',
      `INSERT INTO inventory (sku, warehouse_id, on_hand, allocated) VALUES ('SKU-X', 'wh-x', 5, -1)`,
    ],
    [
      'inventory reserved + allocated <= on_hand',
      `INSERT INTO inventory (sku, warehouse_id, on_hand, reserved, allocated) VALUES ('SKU-X', 'wh-x', 5, 3, 3)`,
    ],
    [
      'stock_holds quantity > 0',
      `INSERT INTO stock_holds (order_id, sku, warehouse_id, quantity, state) VALUES ('o-x', 'SKU-X', 'wh-x', 0, 'reserved')`,
    ],
    [
      'payments captured <= amount',
      `INSERT INTO payments (id, order_id, method, status, amount, captured_amount, currency) VALUES ('p-x', 'o-x', 'card', 'captured', 100, 101, 'CNY')`,
    ],
    [
      'payments refunded <= captured',
      `INSERT INTO payments (id, order_id, method, status, amount, captured_amount, refunded_amount, currency) VALUES ('p-x', 'o-x', 'card', 'captured', 100, 50, 51, 'CNY')`,
    ],
    [
      'payments captured >= 0',
      `INSERT INTO payments (id, order_id, method, status, amount, captured_amount, currency) VALUES ('p-x', 'o-x', 'card', 'captured', 100, -1, 'CNY')`,
    ],
    [
      'payments refunded >= 0',
      `INSERT INTO payments (id, order_id, method, status, amount, refunded_amount, currency) VALUES ('p-x', 'o-x', 'card', 'captured', 100, -1, 'CNY')`,
    ],
    [
      'refunds amount > 0',
      `INSERT INTO refunds (id, order_id, payment_id, amount, reason, status) VALUES ('r-x', 'o-x', 'p-ok', 0, 'test', 'succeeded')`,
    ],
    [
      'refunds status pending | succeeded | failed',
      `INSERT INTO refunds (id, order_id, payment_id, amount, reason, status) VALUES ('r-x', 'o-x', 'p-ok', 1, 'test', 'processing')`,
    ],
    [
      'order_lines quantity >= 0',
      `INSERT INTO order_lines (order_id, line_no, sku, name, unit_price, quantity) VALUES ('o-x', 9, 'SKU-X', 'x', 100, -1)`,
    ],
    [
      'order_lines allocated <= quantity',
      `INSERT INTO order_lines (order_id, line_no, sku, name, unit_price, quantity, allocated) VALUES ('o-x', 9, 'SKU-X', 'x', 100, 2, 3)`,
    ],
    [
      'order_lines shipped <= allocated',
      `INSERT INTO order_lines (order_id, line_no, sku, name, unit_price, quantity, allocated, shipped) VALUES ('o-x', 9, 'SKU-X', 'x', 100, 3, 2, 3)`,
    ],
    [
      'order_lines delivered <= shipped',
      `INSERT INTO order_lines (order_id, line_no, sku, name, unit_price, quantity, allocated, shipped, delivered) VALUES ('o-x', 9, 'SKU-X', 'x', 100, 3, 3, 2, 3)`,
    ],
    [
      'order_lines returned >= 0',
      `INSERT INTO order_lines (order_id, line_no, sku, name, unit_price, quantity, returned) VALUES ('o-x', 9, 'SKU-X', 'x', 100, 1, -1)`,
    ],
  ];

  beforeAll(async () => {
    // Parent rows so that only the CHECK can refuse the inserts above.
    await client.query(`
      BEGIN;
      INSERT INTO merchants (id, name) VALUES ('m-x', 'x');
      INSERT INTO warehouses (id, name, province) VALUES ('wh-x', 'x', 'x');
      INSERT INTO products (sku, merchant_id, name, price_amount) VALUES ('SKU-X', 'm-x', 'x', 100);
      INSERT INTO customers (id, name, phone) VALUES ('c-x', 'x', '1');
      INSERT INTO orders (id, merchant_id, customer_id, channel, status, payment_method, currency, subtotal, discount, shipping_fee, total, snapshot, version)
        VALUES ('o-x', 'm-x', 'c-x', 'web', 'created', 'card', 'CNY', 100, 0, 0, 100, '{}', 0);
      INSERT INTO payments (id, order_id, method, status, amount, captured_amount, currency) VALUES ('p-ok', 'o-x', 'card', 'captured', 100, 100, 'CNY');
      COMMIT;`);
  });

  test.each(violations)('%s', async (_label, sql) => {
    await client.query('BEGIN');
    try {
      await expect(client.query(sql)).rejects.toMatchObject({ code: '23514' });
    } finally {
      await client.query('ROLLBACK');
    }
  });

  test('valid rows at the limits are accepted', async () => {
    await client.query('BEGIN');
    try {
      await client.query(
        `INSERT INTO inventory (sku, warehouse_id, on_hand, reserved, allocated) VALUES ('SKU-X', 'wh-x', 5, 2, 3)`,
      );
      await client.query(
        `INSERT INTO order_lines (order_id, line_no, sku, name, unit_price, quantity, allocated, shipped, delivered) VALUES ('o-x', 1, 'SKU-X', 'x', 100, 3, 3, 3, 3)`,
      );
      await client.query(
        `INSERT INTO payments (id, order_id, method, status, amount, captured_amount, refunded_amount, currency) VALUES ('p-y', 'o-x', 'card', 'captured', 100, 100, 100, 'CNY')`,
      );
    } finally {
      await client.query('ROLLBACK');
    }
  });
});

describe('applyMigrations', () => {
  const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');

  test('applied every migration folder on a fresh database, in name order', () => {
    expect(appliedFirst).toEqual(readLocalMigrations(MIGRATIONS_DIR).map((m) => m.name));
    expect(appliedFirst.length).toBeGreaterThan(0);
  });

  test('is idempotent: a second call applies nothing and changes no bookkeeping', async () => {
    const before = await client.query('SELECT * FROM _prisma_migrations ORDER BY migration_name');
    expect(await applyMigrations(url, () => {}, { migrationsDir: MIGRATIONS_DIR })).toEqual([]);
    const after = await client.query('SELECT * FROM _prisma_migrations ORDER BY migration_name');
    expect(after.rows).toEqual(before.rows);
  });

  test("records each migration in Prisma's format, with the sha256 of migration.sql", async () => {
    const { rows } = await client.query(
      'SELECT id, checksum, finished_at, migration_name, logs, rolled_back_at, started_at, applied_steps_count FROM _prisma_migrations ORDER BY migration_name',
    );
    const local = readLocalMigrations(MIGRATIONS_DIR);
    expect(rows.map((r) => r.migration_name)).toEqual(local.map((m) => m.name));
    for (const [i, row] of rows.entries()) {
      const sql = readFileSync(path.join(MIGRATIONS_DIR, local[i].name, 'migration.sql'), 'utf8');
      expect(row.checksum).toBe(sha256(sql));
      expect(row.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(row.finished_at).toBeInstanceOf(Date);
      expect(row.started_at).toBeInstanceOf(Date);
      expect(row.finished_at.getTime()).toBeGreaterThanOrEqual(row.started_at.getTime());
      expect(row.rolled_back_at).toBeNull();
      expect(row.logs).toBeNull();
      expect(row.applied_steps_count).toBe(1);
    }
    // Prisma's own column layout, so `prisma migrate deploy` can read it.
    const cols = await client.query(
      `SELECT column_name, data_type, is_nullable FROM information_schema.columns
        WHERE table_name = '_prisma_migrations' ORDER BY ordinal_position`,
    );
    expect(cols.rows.map((c) => `${c.column_name} ${c.data_type} ${c.is_nullable}`)).toEqual([
      'id character varying NO',
      'checksum character varying NO',
      'finished_at timestamp with time zone YES',
      'migration_name character varying NO',
      'logs text YES',
      'rolled_back_at timestamp with time zone YES',
      'started_at timestamp with time zone NO',
      'applied_steps_count integer NO',
    ]);
  });

  test('refuses to run when an applied migration was edited afterwards', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'schema-match-'));
    try {
      cpSync(MIGRATIONS_DIR, dir, { recursive: true });
      const first = readLocalMigrations(dir)[0].name;
      appendFileSync(path.join(dir, first, 'migration.sql'), '\n-- edited after being applied\n');
      await expect(applyMigrations(url, () => {}, { migrationsDir: dir })).rejects.toThrow(
        /modified after it was applied/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('applies a new migration folder, and rolls back a failing one completely', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'schema-match-'));
    const scratch = await createScratchDatabase('steps');
    try {
      cpSync(MIGRATIONS_DIR, dir, { recursive: true });
      await applyMigrations(scratch, () => {}, { migrationsDir: dir });
      mkdirSync(path.join(dir, '99990101000000_broken'));
      writeFileSync(
        path.join(dir, '99990101000000_broken', 'migration.sql'),
        'CREATE TABLE "half_done" (id INT);\nSELECT 1/0;\n',
      );
      await expect(applyMigrations(scratch, () => {}, { migrationsDir: dir })).rejects.toThrow(
        /99990101000000_broken failed and was rolled back/,
      );
      const c = new Client({ connectionString: scratch });
      await c.connect();
      try {
        expect((await c.query(`SELECT to_regclass('public.half_done') AS t`)).rows[0].t).toBeNull();
        expect(
          (
            await c.query(
              `SELECT count(*)::int AS n FROM _prisma_migrations WHERE migration_name = '99990101000000_broken'`,
            )
          ).rows[0].n,
        ).toBe(0);
      } finally {
        await c.end();
      }
      writeFileSync(path.join(dir, '99990101000000_broken', 'migration.sql'), 'CREATE TABLE "half_done" (id INT);\n');
      expect(await applyMigrations(scratch, () => {}, { migrationsDir: dir })).toEqual(['99990101000000_broken']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('concurrent callers: the migrations are applied exactly once', async () => {
    const scratch = await createScratchDatabase('race');
    const results = await Promise.all(
      [1, 2, 3].map(() => applyMigrations(scratch, () => {}, { migrationsDir: MIGRATIONS_DIR })),
    );
    expect(results.flat().sort()).toEqual(readLocalMigrations(MIGRATIONS_DIR).map((m) => m.name));
  });
});
