/** Every value from the table or Graph is text to show, never markup: resources and error messages are anyone's. */
export function esc(value: unknown): string {
  // eslint-disable-next-line @typescript-eslint/no-base-to-string -- any value becomes text; an object shows as [object Object], never as markup
  return String(value ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
