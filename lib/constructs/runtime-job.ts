/**
 * One runtime entry point as a Cloud Run v2 job: bundled at synth time, delivered as a
 * content-hashed object, run by a stock Node.js 22 image with the artifacts bucket mounted read-only.
 */
import { AssetType, ITerraformDependable, TerraformAsset } from 'cdktf';
import { Construct } from 'constructs';
import { CloudRunV2Job } from '@cdktf/provider-google/lib/cloud-run-v2-job';
import { CloudRunV2JobIamMember } from '@cdktf/provider-google/lib/cloud-run-v2-job-iam-member';
import { StorageBucketObject } from '@cdktf/provider-google/lib/storage-bucket-object';
import { DEFAULTS } from '../../runtime/contract/limits';
import { bundleJob, BundleKind, JobBundle } from '../private/bundling';
import { checkOneOf, checkPattern, checkRange, fail, IMAGE } from '../private/validation';

/** The stock image the bundles run in. Docker Hub images can be used by Cloud Run directly. */
export const DEFAULT_JOB_IMAGE = 'docker.io/library/node:22-slim';

/** Where the artifacts bucket is mounted in the container. */
export const BUNDLE_MOUNT_PATH = '/app';

/** CPU counts a Cloud Run job container may have. */
export const JOB_CPUS = [1, 2, 4, 6, 8] as const;

export interface RuntimeJobProps {
  /** Which entry point of `runtime/jobs/` the job runs. */
  readonly kind: BundleKind;
  readonly projectId: string;
  readonly region: string;
  /** Cloud Run job name. */
  readonly jobName: string;
  /** Email of the service account the job runs as. */
  readonly serviceAccountEmail: string;
  /** Bucket the bundle is uploaded to and mounted from. */
  readonly artifactsBucket: string;
  /** Environment variables of the container. */
  readonly env: Readonly<Record<string, string>>;
  /**
   * A container image that runs the job by itself: its entry point gets the job kind as its only
   * argument and reads the same environment.
   *
   * @default - `node:22-slim` running the bundle from the mounted artifacts bucket
   */
  readonly image?: string;
  /** @default 1024 */
  readonly memoryMiB?: number;
  /** @default 1 */
  readonly cpu?: number;
  /** Timeout of one task attempt. @default 3600 */
  readonly taskTimeoutSeconds?: number;
  /** Retries of a failed task before the execution fails. @default 3 */
  readonly maxRetries?: number;
  /** @default {} */
  readonly labels?: Readonly<Record<string, string>>;
  /** @default [] */
  readonly dependsOn?: ITerraformDependable[];
}

/** Memory a given CPU count needs at least, and the memory above which more CPU is needed (Cloud Run). */
function checkCpuMemory(cpu: number, memoryMiB: number): void {
  const minMemoryForCpu: Record<number, number> = { 1: 128, 2: 128, 4: 2048, 6: 4096, 8: 4096 };
  const minCpuForMemory = memoryMiB > 24576 ? 8 : memoryMiB > 16384 ? 6 : memoryMiB > 8192 ? 4 : memoryMiB > 4096 ? 2 : 1;
  if (memoryMiB < minMemoryForCpu[cpu]!) {
    fail('jobMemoryMiB', memoryMiB, `at least ${minMemoryForCpu[cpu]} with jobCpu ${cpu} (Cloud Run)`);
  }
  if (cpu < minCpuForMemory) {
    fail('jobCpu', cpu, `at least ${minCpuForMemory} for jobMemoryMiB ${memoryMiB} (Cloud Run)`);
  }
}

/** A Cloud Run v2 job running one pipeline entry point. */
export class RuntimeJob extends Construct {
  /** The Cloud Run v2 job resource. */
  public readonly job: CloudRunV2Job;
  /** The bundle object; absent with a user image. */
  public readonly bundleObject?: StorageBucketObject;
  /** The bundle; absent with a user image. */
  public readonly bundle?: JobBundle;
  /** The job's name. */
  public readonly jobName: string;

  constructor(scope: Construct, id: string, props: RuntimeJobProps) {
    super(scope, id);
    const memoryMiB = props.memoryMiB ?? DEFAULTS.jobMemoryMiB;
    const cpu = props.cpu ?? DEFAULTS.jobCpu;
    checkRange('jobMemoryMiB', memoryMiB, 512, 32768, { why: 'Cloud Run allows up to 32 GiB' });
    checkOneOf('jobCpu', cpu, JOB_CPUS, 'the CPU counts Cloud Run jobs allow');
    checkCpuMemory(cpu, memoryMiB);
    checkRange('jobTimeoutSeconds', props.taskTimeoutSeconds, 60, 86400, { why: 'one task attempt, at most a day' });
    checkRange('jobMaxRetries', props.maxRetries, 0, 10);
    checkPattern('image', props.image, IMAGE, 'a container image reference such as REGION-docker.pkg.dev/PROJECT/REPO/IMAGE:TAG');
    this.jobName = props.jobName;

    const env = Object.entries(props.env).map(([name, value]) => ({ name, value }));
    let container: { image: string; command?: string[]; args?: string[]; volumeMounts?: Array<{ name: string; mountPath: string }> };
    let volumes: Array<{ name: string; gcs: { bucket: string; readOnly: boolean } }> | undefined;
    if (props.image !== undefined) {
      // One image serves the four jobs: the kind is its only argument.
      container = { image: props.image, args: [props.kind] };
    } else {
      this.bundle = bundleJob(props.kind);
      const asset = new TerraformAsset(this, 'Bundle', { path: this.bundle.file, type: AssetType.FILE });
      this.bundleObject = new StorageBucketObject(this, 'BundleObject', {
        bucket: props.artifactsBucket,
        // The name carries the content hash: new code is a new object, and so a new job revision.
        name: this.bundle.objectName,
        source: asset.path,
        contentType: 'application/javascript',
      });
      container = {
        image: DEFAULT_JOB_IMAGE,
        command: ['node'],
        args: [`${BUNDLE_MOUNT_PATH}/${this.bundle.objectName}`],
        volumeMounts: [{ name: 'bundles', mountPath: BUNDLE_MOUNT_PATH }],
      };
      volumes = [{ name: 'bundles', gcs: { bucket: props.artifactsBucket, readOnly: true } }];
    }

    this.job = new CloudRunV2Job(this, 'Job', {
      project: props.projectId,
      location: props.region,
      name: props.jobName,
      labels: { ...props.labels, 'tap-job': props.kind },
      // Jobs hold no data; the pipeline's data is protected on the dataset and the buckets.
      deletionProtection: false,
      template: {
        taskCount: 1,
        parallelism: 1,
        labels: { ...props.labels, 'tap-job': props.kind },
        template: {
          serviceAccount: props.serviceAccountEmail,
          timeout: `${props.taskTimeoutSeconds ?? 3600}s`,
          maxRetries: props.maxRetries ?? 3,
          // Cloud Storage volumes need the second generation execution environment.
          executionEnvironment: 'EXECUTION_ENVIRONMENT_GEN2',
          containers: [
            {
              ...container,
              env,
              resources: { limits: { cpu: String(cpu), memory: `${memoryMiB}Mi` } },
            },
          ],
          volumes,
        },
      },
      dependsOn: [...(props.dependsOn ?? []), ...(this.bundleObject ? [this.bundleObject] : [])],
    });
  }

  /**
   * Lets a member run the job with per-execution overrides and read its executions:
   * `roles/run.jobsExecutorWithOverrides` and `roles/run.viewer` on this job.
   */
  public grantRun(member: string, grantId: string): CloudRunV2JobIamMember[] {
    return ['roles/run.jobsExecutorWithOverrides', 'roles/run.viewer'].map(
      (role, i) =>
        new CloudRunV2JobIamMember(this, `Grant-${grantId}-${i === 0 ? 'run' : 'view'}`, {
          project: this.job.project,
          location: this.job.location,
          name: this.job.name,
          role,
          member,
        }),
    );
  }
}
