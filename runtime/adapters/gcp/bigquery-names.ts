/** How BigQuery SQL names a table: `project.dataset.table` in backquotes (no client needed to say it). */

const TABLE_ID = /^[A-Za-z0-9_-]{1,1024}$/;
const QUALIFIED = /^([a-z][a-z0-9.:-]{0,127})\.([A-Za-z0-9_]{1,1024})\.([A-Za-z0-9_-]{1,1024})$/;

/** Whether `tableId` is a table id of a dataset (letters, digits, `_` and `-`). */
export function isTableId(tableId: string): boolean {
  return TABLE_ID.test(tableId);
}

/** A table of the dataset, or an already qualified `project.dataset.table`, as SQL names it. */
export function qualifiedTable(projectId: string, dataset: string, tableId: string): string {
  if (QUALIFIED.test(tableId)) return `\`${tableId}\``;
  if (!isTableId(tableId)) throw new Error(`invalid table id "${tableId}"`);
  return `\`${projectId}.${dataset}.${tableId}\``;
}
