/** Characters the table service refuses in a PartitionKey or RowKey, and control characters. */
export const BAD_KEY = /[/\\#?\u0000-\u001f\u007f-\u009f]/;

/** True when `value` could be a RowKey (no row can have another). */
export function canBeKey(value: string): boolean {
  return value.length <= 1024 && !BAD_KEY.test(value);
}
