/** What a command run in a replica did (`POST /v1/workloads/:namespace/:name/exec`), for `shoal exec`. */
export interface ExecJson {
  exitCode: number;
  stdout: string;
  stderr: string;
}
