/**
 * The BigQuery side of the pipeline: one dataset, the tables of the data model and its views.
 */
import { ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import { BigqueryDataset } from '@cdktf/provider-google/lib/bigquery-dataset';
import { BigqueryTable } from '@cdktf/provider-google/lib/bigquery-table';
import { BigqueryTableIamMember } from '@cdktf/provider-google/lib/bigquery-table-iam-member';
import { AnalysisSpec, resultsTable } from '../../runtime/contract/analysis';
import { PRIMARY_ANALYSIS, resultsTableName } from '../../runtime/contract/analyses';
import { DEFAULTS } from '../../runtime/contract/limits';
import { BATCH_INPUTS_TABLE, FIXED_TABLES, SOURCE_TABLE, TABLE_NAMES, TableKey, TableSpec } from '../../runtime/contract/tables';
import { VIEW_KEYS, VIEW_NAMES, ViewKey, viewSql } from '../../runtime/contract/views';
import { analysisTables, CONTRACT_SOURCE, latestViewSql, SOURCE_ROLES } from '../../runtime/contract/results';

/** Where the transcripts are read from, when it is not the table the construct creates. */
export interface SourceTable {
  /** Fully qualified table, `project.dataset.table`. */
  readonly table: string;
  /** Column with the unique record id. @default 'transcript_id' */
  readonly idColumn?: string;
  /** Column with the transcript text. @default 'transcript' */
  readonly textColumn?: string;
  /**
   * Column saying when each row was written (a TIMESTAMP), if the table has one: a record erased
   * with `tapctl forget` is analysed again only when its row was written after the erasure.
   * Without it, a forgotten record is never analysed again.
   * @default - none
   */
  readonly ingestedColumn?: string;
}

export interface WarehouseProps {
  readonly projectId: string;
  /** Dataset id. */
  readonly datasetId: string;
  /** Dataset location; Vertex AI and the work bucket should be in the same region. */
  readonly location: string;
  /** The analysis whose fields become the results table's columns. */
  readonly analysis: AnalysisSpec;
  /**
   * The pipeline's other analyses, by name: each gets its results table, `<name>_results`.
   *
   * @default - none
   */
  readonly analyses?: Readonly<Record<string, AnalysisSpec>>;
  /**
   * An existing source table. It is read, never written or created.
   *
   * @default - the table `transcription_pass_2` is created in the dataset
   */
  readonly source?: SourceTable;
  /**
   * Keeps `destroy` from deleting tables, and the dataset while it has tables.
   *
   * @default true
   */
  readonly deletionProtection?: boolean;
  /**
   * Days a partition of the tables that copy transcripts (`batch_inputs`) is kept after its day,
   * like the run files in the work bucket.
   *
   * @default 30
   */
  readonly runFilesRetentionDays?: number;
  /** @default {} */
  readonly labels?: Readonly<Record<string, string>>;
  /** @default [] */
  readonly dependsOn?: ITerraformDependable[];
}

type TableRef = { readonly projectId: string; readonly datasetId: string; readonly tableId: string };

/** BigQuery schema JSON of a table spec. */
export function schemaJson(spec: TableSpec): string {
  return JSON.stringify(spec.columns.map((c) => ({ name: c.name, type: c.type, mode: c.mode, description: c.description })));
}

/**
 * The dataset, the eight tables of the data model (partitioned by day, clustered by the columns
 * they are filtered on) and the three views. Access is granted per table with `grantRead` and
 * `grantWrite`; queries also need `roles/bigquery.jobUser` on the project.
 */
export class Warehouse extends Construct {
  /** The pipeline's dataset. */
  public readonly dataset: BigqueryDataset;
  /** Tables created by the construct, by key (the source table only when it is created here). */
  public readonly tables: Readonly<Partial<Record<TableKey, BigqueryTable>>>;
  /** The views over the tables, by key. */
  public readonly views: Readonly<Record<ViewKey, BigqueryTable>>;
  /**
   * Per analysis, the view `<analysis>_latest`: the latest result per record with the source's
   * descriptive columns, for BI tools such as Looker Studio (a source named in props is carried
   * as one `source` STRUCT of all its columns but the transcript).
   */
  public readonly latestViews: Readonly<Record<string, BigqueryTable>>;
  /** The results table of each analysis, by analysis name (`pass1` is `tables.results`). */
  public readonly resultsTables: Readonly<Record<string, BigqueryTable>>;
  /** The source table's column saying when each row was written, if it has one. */
  public readonly sourceIngestedColumn: string | undefined;
  /** `project.dataset.table` of the source table. */
  public readonly sourceTable: string;
  /** The source table's column holding each transcript's id. */
  public readonly sourceIdColumn: string;
  /** The source table's column holding each transcript's text. */
  public readonly sourceTextColumn: string;
  private readonly props: WarehouseProps;
  private readonly grantIds = new Set<string>();

  constructor(scope: Construct, id: string, props: WarehouseProps) {
    super(scope, id);
    this.props = props;
    const protect = props.deletionProtection ?? true;
    const labels = { ...props.labels };
    const retentionDays = props.runFilesRetentionDays ?? DEFAULTS.workRetentionDays;

    this.dataset = new BigqueryDataset(this, 'Dataset', {
      project: props.projectId,
      datasetId: props.datasetId,
      location: props.location,
      description: 'Transcript analysis pipeline: source, plan, results, errors and batch history.',
      labels,
      deleteContentsOnDestroy: !protect,
      dependsOn: props.dependsOn,
    });

    const specs: Array<[TableKey, TableSpec]> = [
      ['batchAssignments', FIXED_TABLES[0]!],
      ['results', resultsTable(props.analysis)],
      ['processedRecords', FIXED_TABLES[1]!],
      ['errorTracking', FIXED_TABLES[2]!],
      ['batchEvents', FIXED_TABLES[3]!],
      ['executions', FIXED_TABLES[4]!],
      ['batchInputs', BATCH_INPUTS_TABLE],
    ];
    if (!props.source) specs.unshift(['source', SOURCE_TABLE]);

    const tables: Partial<Record<TableKey, BigqueryTable>> = {};
    for (const [key, spec] of specs) {
      tables[key] = new BigqueryTable(this, `Table-${key}`, {
        project: props.projectId,
        datasetId: this.dataset.datasetId,
        tableId: spec.name,
        description: spec.description,
        schema: schemaJson(spec),
        timePartitioning: {
          type: 'DAY',
          field: spec.partitionColumn,
          // A partition's storage expires at its partition time (the start of its UTC day) plus this:
          // https://cloud.google.com/bigquery/docs/reference/rest/v2/tables#TimePartitioning and
          // https://cloud.google.com/bigquery/docs/managing-partitioned-tables (Set the partition expiration).
          ...(spec.expiresWithRunFiles ? { expirationMs: retentionDays * 86_400_000 } : {}),
        },
        clustering: [...spec.clusterColumns],
        deletionProtection: protect,
        labels,
      });
    }
    this.tables = tables;

    const resultsTables: Record<string, BigqueryTable> = { [PRIMARY_ANALYSIS]: tables.results! };
    for (const [name, analysis] of Object.entries(props.analyses ?? {})) {
      const spec = resultsTable(analysis, resultsTableName(name));
      resultsTables[name] = new BigqueryTable(this, `Table-results-${name}`, {
        project: props.projectId,
        datasetId: this.dataset.datasetId,
        tableId: spec.name,
        description: `Results of the analysis ${name}, one row per record and analysis version.`,
        schema: schemaJson(spec),
        timePartitioning: { type: 'DAY', field: spec.partitionColumn },
        clustering: [...spec.clusterColumns],
        deletionProtection: protect,
        labels,
      });
    }
    this.resultsTables = resultsTables;

    const qualified = (tableId: string) => `\`${props.projectId}.${props.datasetId}.${tableId}\``;
    const views: Partial<Record<ViewKey, BigqueryTable>> = {};
    for (const key of VIEW_KEYS) {
      views[key] = new BigqueryTable(this, `View-${key}`, {
        project: props.projectId,
        datasetId: this.dataset.datasetId,
        tableId: VIEW_NAMES[key],
        view: { query: viewSql(key, qualified), useLegacySql: false },
        // A view holds no data; it must go with the dataset.
        deletionProtection: false,
        labels,
        // The SQL names the tables by text, which Terraform cannot see.
        dependsOn: Object.values(tables),
      });
    }
    this.views = views as Record<ViewKey, BigqueryTable>;

    const source = props.source
      ? {
          table: props.source.table,
          idColumn: props.source.idColumn ?? SOURCE_ROLES.id,
          columns: { allBut: props.source.textColumn ?? SOURCE_ROLES.text },
        }
      : CONTRACT_SOURCE;
    // A `project.dataset.table` source is quoted as it is; the pipeline's own tables are in the dataset.
    const resolve = (tableId: string) => (tableId.includes('.') ? `\`${tableId}\`` : qualified(tableId));
    const analysisSpecs: Record<string, AnalysisSpec> = { [PRIMARY_ANALYSIS]: props.analysis, ...props.analyses };
    this.latestViews = Object.fromEntries(
      Object.entries(analysisSpecs).map(([name, spec]) => {
        const latest = analysisTables(name);
        const view = new BigqueryTable(this, `View-latest-${name}`, {
          project: props.projectId,
          datasetId: this.dataset.datasetId,
          tableId: latest.latest,
          description: `The latest result of analysis ${name} per record, with the source's descriptive columns.`,
          view: { query: latestViewSql(resolve, spec, latest, source), useLegacySql: false },
          deletionProtection: false,
          labels,
          dependsOn: [...Object.values(tables), ...Object.values(this.resultsTables)],
        });
        return [name, view];
      }),
    );

    this.sourceTable = props.source?.table ?? `${props.projectId}.${props.datasetId}.${TABLE_NAMES.source}`;
    this.sourceIdColumn = props.source?.idColumn ?? 'transcript_id';
    this.sourceTextColumn = props.source?.textColumn ?? 'transcript';
    this.sourceIngestedColumn = props.source ? props.source.ingestedColumn : SOURCE_TABLE.partitionColumn;
  }

  /** Read rows of a table or view: `roles/bigquery.dataViewer` on it. */
  public grantRead(key: TableKey | ViewKey, member: string, grantId: string): BigqueryTableIamMember {
    return this.grant(key, 'roles/bigquery.dataViewer', member, grantId);
  }

  /** Read and append rows (queries, load jobs): `roles/bigquery.dataEditor` on the table. */
  public grantWrite(key: TableKey, member: string, grantId: string): BigqueryTableIamMember {
    if (key === 'source') throw new Error('the source table is read-only for the pipeline');
    return this.grant(key, 'roles/bigquery.dataEditor', member, grantId);
  }

  /**
   * Read (`roles/bigquery.dataViewer`) or read and append (`roles/bigquery.dataEditor`) the results
   * table of one analysis.
   */
  public grantResults(analysis: string, access: 'read' | 'write', member: string, grantId: string): BigqueryTableIamMember {
    const table = this.resultsTables[analysis];
    if (!table) throw new Error(`the pipeline has no analysis named "${analysis}" (${Object.keys(this.resultsTables).join(', ')})`);
    if (this.grantIds.has(grantId)) throw new Error(`grant id "${grantId}" is used twice on ${this.node.path}`);
    this.grantIds.add(grantId);
    return new BigqueryTableIamMember(this, `Grant-${grantId}`, {
      project: this.props.projectId,
      datasetId: this.props.datasetId,
      tableId: table.tableId,
      role: access === 'read' ? 'roles/bigquery.dataViewer' : 'roles/bigquery.dataEditor',
      member,
    });
  }

  private ref(key: TableKey | ViewKey): TableRef {
    if (key === 'source') {
      const [projectId, datasetId, tableId] = this.sourceTable.split('.') as [string, string, string];
      return { projectId, datasetId, tableId };
    }
    const name = key in VIEW_NAMES ? VIEW_NAMES[key as ViewKey] : TABLE_NAMES[key as TableKey];
    return { projectId: this.props.projectId, datasetId: this.props.datasetId, tableId: name };
  }

  private grant(key: TableKey | ViewKey, role: string, member: string, grantId: string): BigqueryTableIamMember {
    if (this.grantIds.has(grantId)) throw new Error(`grant id "${grantId}" is used twice on ${this.node.path}`);
    this.grantIds.add(grantId);
    const ref = this.ref(key);
    const created = key in VIEW_NAMES ? this.views[key as ViewKey] : this.tables[key as TableKey];
    return new BigqueryTableIamMember(this, `Grant-${grantId}`, {
      project: ref.projectId,
      datasetId: ref.datasetId,
      // The created table's attribute orders the binding after the table; an existing source table is named as text.
      tableId: created ? created.tableId : ref.tableId,
      role,
      member,
    });
  }
}
