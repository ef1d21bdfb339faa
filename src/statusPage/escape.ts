/** Every value from the table or Graph is text to show, never markup: resources and error messages are anyone's. */
export function esc(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
