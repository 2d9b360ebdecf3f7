/**
 * One service account per role of the pipeline, and the access each role needs, declared once.
 */
import { ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import { ServiceAccount } from '@cdktf/provider-google/lib/service-account';
import { TableKey } from '../../runtime/contract/tables';
import { ViewKey } from '../../runtime/contract/views';
import { IDENTITY_ROLES, IdentityRole } from '../private/naming';
import { checkPattern } from '../private/validation';

export { IDENTITY_ROLES };
export type { IdentityRole };

/** What one role may do, and why. The construct binds exactly this; the README's table says the same. */
export interface RoleAccess {
  /** What the identity is for. */
  readonly purpose: string;
  /** Project-level roles: only where no resource-level role exists. */
  readonly projectRoles: ReadonlyArray<{ readonly role: string; readonly why: string }>;
  /** Tables and views it reads (`roles/bigquery.dataViewer` on each). */
  readonly reads: ReadonlyArray<TableKey | ViewKey>;
  /** Tables it appends to (`roles/bigquery.dataEditor` on each). */
  readonly writes: readonly TableKey[];
  /**
   * Work bucket access: `read` is `roles/storage.objectViewer`; `readCreate` adds
   * `roles/storage.objectCreator` (new objects, never overwriting or deleting); `readWrite` is
   * `roles/storage.objectUser`.
   */
  readonly workBucket?: 'read' | 'readCreate' | 'readWrite';
  /** Reads the job bundles from the artifacts bucket (`roles/storage.objectViewer`). */
  readonly artifactsBucket?: 'read';
  /** Runs the Cloud Run jobs with overrides and reads their executions (on each job). */
  readonly runsJobs?: boolean;
  /**
   * Starts and reads executions of workflows, and nothing else: a custom role with exactly
   * `LAUNCHER_PERMISSIONS`, on the project (Workflows grants roles on the project only).
   */
  readonly startsRuns?: boolean;
}

const JOB_USER = { role: 'roles/bigquery.jobUser', why: 'run queries and load jobs (BigQuery has no per-dataset role for jobs)' };

/** The access of every role. */
export const ACCESS: Readonly<Record<IdentityRole, RoleAccess>> = {
  workflows: {
    purpose: 'runs the master and batch workflows',
    projectRoles: [
      { role: 'roles/aiplatform.user', why: 'create and poll Vertex AI batch prediction jobs (no per-resource role exists)' },
      { role: 'roles/workflows.invoker', why: 'start the batch workflow for each batch (Workflows has no per-workflow IAM)' },
      { role: 'roles/logging.logWriter', why: 'write batch_failed / batch_succeeded with sys.log' },
    ],
    reads: [],
    // The batch workflow appends its events with tabledata.insertAll (no query, so no jobUser).
    writes: ['batchEvents'],
    // It reads the jobs' small JSON files and creates an attempt's claim object (never overwriting).
    workBucket: 'readCreate',
    runsJobs: true,
  },
  planner: {
    purpose: 'plans a run: dedup, batch assignment, plan.json',
    projectRoles: [JOB_USER],
    reads: ['source', 'processedRecords', 'errorTracking'],
    writes: ['batchAssignments', 'batchInputs', 'batchEvents', 'executions'],
    workBucket: 'readWrite',
    artifactsBucket: 'read',
  },
  generator: {
    purpose: "writes a batch's Gemini requests",
    projectRoles: [JOB_USER],
    // The staged transcripts of its batch (never the source); the results: a record already analysed is never sent again.
    reads: ['batchAssignments', 'batchInputs', 'results'],
    // Records that cannot be sent settle here: permanent errors and their processed_records rows.
    writes: ['errorTracking', 'processedRecords'],
    workBucket: 'readWrite',
    artifactsBucket: 'read',
  },
  processor: {
    purpose: "commits a batch's predictions exactly once",
    projectRoles: [JOB_USER],
    reads: ['batchAssignments'],
    writes: ['results', 'processedRecords', 'errorTracking', 'batchEvents'],
    workBucket: 'readWrite',
    artifactsBucket: 'read',
  },
  reporter: {
    purpose: "writes the run's summary",
    projectRoles: [JOB_USER],
    reads: ['batchAssignments', 'results', 'processedRecords', 'errorTracking', 'batchEvents'],
    writes: ['executions'],
    workBucket: 'readWrite',
    artifactsBucket: 'read',
  },
  launcher: {
    purpose: 'starts a run and follows it to its end (the <prefix>-run Cloud Run job)',
    projectRoles: [],
    reads: [],
    writes: [],
    artifactsBucket: 'read',
    startsRuns: true,
  },
  scheduler: {
    purpose: 'starts the master workflow on the schedule (only with `schedule`)',
    projectRoles: [{ role: 'roles/workflows.invoker', why: 'create executions of the master workflow' }],
    reads: [],
    writes: [],
  },
};

/** Service account email of an existing account. */
const SA_EMAIL = /^[a-z][-a-z0-9]{4,28}[a-z0-9]@[a-z0-9.-]+\.iam\.gserviceaccount\.com$|^[0-9]+-compute@developer\.gserviceaccount\.com$/;

export interface IdentitiesProps {
  readonly projectId: string;
  /** Account ids per role. */
  readonly accountId: (role: IdentityRole) => string;
  /** Roles to create an identity for. */
  readonly roles: readonly IdentityRole[];
  /**
   * Existing service account emails to use instead of creating accounts, by role.
   *
   * @default - one account is created per role
   */
  readonly serviceAccounts?: Readonly<Partial<Record<IdentityRole, string>>>;
  /** Display name prefix. */
  readonly displayPrefix: string;
  /** @default [] */
  readonly dependsOn?: ITerraformDependable[];
}

/** The pipeline's service accounts. Keys are never created: Google-managed credentials only. */
export class Identities extends Construct {
  /** Accounts created here, by role. */
  public readonly accounts: Readonly<Partial<Record<IdentityRole, ServiceAccount>>>;
  private readonly emails: Partial<Record<IdentityRole, string>> = {};

  constructor(scope: Construct, id: string, props: IdentitiesProps) {
    super(scope, id);
    const accounts: Partial<Record<IdentityRole, ServiceAccount>> = {};
    for (const role of props.roles) {
      const existing = props.serviceAccounts?.[role];
      if (existing !== undefined) {
        checkPattern(`serviceAccounts.${role}`, existing, SA_EMAIL, 'a service account email (NAME@PROJECT.iam.gserviceaccount.com)');
        this.emails[role] = existing;
        continue;
      }
      const accountId = props.accountId(role);
      checkPattern(
        `service account id for ${role}`,
        accountId,
        /^[a-z]([-a-z0-9]{4,28})[a-z0-9]$/,
        '6-30 characters: a lowercase letter, then lowercase letters, digits or -',
        'Choose a shorter namePrefix',
      );
      accounts[role] = new ServiceAccount(this, role, {
        project: props.projectId,
        accountId,
        displayName: `${props.displayPrefix} ${role}`,
        description: `Transcript analysis pipeline: ${ACCESS[role].purpose}.`,
        dependsOn: props.dependsOn,
      });
      this.emails[role] = accounts[role].email;
    }
    this.accounts = accounts;
  }

  /** The email of a role's account. */
  public email(role: IdentityRole): string {
    const email = this.emails[role];
    if (email === undefined) throw new Error(`no identity for role ${role}`);
    return email;
  }

  /** The IAM member of a role's account: `serviceAccount:EMAIL`. */
  public member(role: IdentityRole): string {
    return `serviceAccount:${this.email(role)}`;
  }
}
