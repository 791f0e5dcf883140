// What every command is: its arguments as one object and where it prints, in;
// what it did and the exit status the CLI sets, out. Tests call commands the
// same way the CLI does.

/** Where a command prints: one line at a time. */
export type Say = (line: string) => void;

/** What a command returns: at least the exit status it asks for. */
export interface Outcome {
  exitCode: number;
}
