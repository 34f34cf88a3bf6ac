/** One line of the doctor's report. `warn` never fails the run; `skip` says why a check did not run. */
export interface DoctorCheckResult {
  /** What was checked, e.g. `database`, `engine espeak`, `folder outputs`. */
  check: string;
  status: 'ok' | 'fail' | 'warn' | 'skip';
  /** What was found, or what to do about it (an engine's install command, a key's replacement). */
  detail: string;
}

export interface DoctorReport {
  ok: boolean;
  checks: DoctorCheckResult[];
}

const MARKS: Record<DoctorCheckResult['status'], string> = { ok: '✓', fail: '✗', warn: '!', skip: '-' };

export function doctorReport(checks: DoctorCheckResult[]): DoctorReport {
  return { ok: checks.every((check) => check.status !== 'fail'), checks };
}

/** The report for a terminal: one ✓/✗ line per check and a closing verdict. */
export function formatDoctorReport(report: DoctorReport): string {
  const lines = report.checks.map((check) => `${MARKS[check.status]} ${check.check}: ${check.detail}`);
  const failed = report.checks.filter((check) => check.status === 'fail').length;
  lines.push('', report.ok ? 'all checks passed' : `${failed} check${failed === 1 ? '' : 's'} failed`);
  return lines.join('\n');
}
