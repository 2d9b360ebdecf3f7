/**
 * A private Cloud Storage bucket with the secure defaults every bucket of the pipeline shares.
 */
import { ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import { StorageBucket } from '@cdktf/provider-google/lib/storage-bucket';
import { StorageBucketIamMember } from '@cdktf/provider-google/lib/storage-bucket-iam-member';
import { checkRange } from '../private/validation';

export interface WorkBucketProps {
  /** Project that owns the bucket. */
  readonly projectId: string;
  /** Globally unique bucket name. */
  readonly bucketName: string;
  /** Region or multi-region. Vertex AI requires its input bucket in the job's region. */
  readonly location: string;
  /**
   * Objects older than this are deleted.
   *
   * @default - objects are kept
   */
  readonly retentionDays?: number;
  /**
   * Lets `destroy` delete a bucket that still holds objects.
   *
   * @default false
   */
  readonly forceDestroy?: boolean;
  /** @default {} */
  readonly labels?: Readonly<Record<string, string>>;
  /** Resources (usually API enablement) the bucket waits for. @default [] */
  readonly dependsOn?: ITerraformDependable[];
}

/**
 * A bucket with uniform bucket-level access, public access prevention enforced, and optionally a
 * lifecycle rule deleting objects after `retentionDays`. Access is granted per member on the bucket.
 */
export class WorkBucket extends Construct {
  /** The bucket resource. */
  public readonly bucket: StorageBucket;
  /** The bucket's name. */
  public readonly bucketName: string;
  private readonly grants = new Set<string>();

  constructor(scope: Construct, id: string, props: WorkBucketProps) {
    super(scope, id);
    checkRange('workRetentionDays', props.retentionDays, 1, 3650);
    this.bucket = new StorageBucket(this, 'Bucket', {
      project: props.projectId,
      name: props.bucketName,
      location: props.location,
      storageClass: 'STANDARD',
      uniformBucketLevelAccess: true,
      publicAccessPrevention: 'enforced',
      forceDestroy: props.forceDestroy ?? false,
      labels: { ...props.labels },
      lifecycleRule:
        props.retentionDays === undefined ? undefined : [{ action: { type: 'Delete' }, condition: { age: props.retentionDays } }],
      // Work files are cheap to recreate; soft delete would bill deleted batches for 7 more days.
      softDeletePolicy: { retentionDurationSeconds: 0 },
      dependsOn: props.dependsOn,
    });
    this.bucketName = props.bucketName;
  }

  /** Read, create, overwrite and delete objects: `roles/storage.objectUser` on this bucket. */
  public grantReadWrite(member: string, grantId: string): StorageBucketIamMember {
    return this.grant('roles/storage.objectUser', member, grantId);
  }

  /** Create objects, never overwriting or deleting one: `roles/storage.objectCreator` on this bucket. */
  public grantCreate(member: string, grantId: string): StorageBucketIamMember {
    return this.grant('roles/storage.objectCreator', member, grantId);
  }

  /** Read and list objects: `roles/storage.objectViewer` on this bucket. */
  public grantRead(member: string, grantId: string): StorageBucketIamMember {
    return this.grant('roles/storage.objectViewer', member, grantId);
  }

  private grant(role: string, member: string, grantId: string): StorageBucketIamMember {
    if (this.grants.has(grantId)) throw new Error(`grant id "${grantId}" is used twice on ${this.node.path}`);
    this.grants.add(grantId);
    return new StorageBucketIamMember(this, `Grant-${grantId}`, { bucket: this.bucket.name, role, member });
  }
}
