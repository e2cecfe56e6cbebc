import { Client, Connection } from '@temporalio/client';
import { loadConfig } from '../config';
import {
  CURRENT_LIFECYCLE,
  LIFECYCLE_TYPES,
  LIFECYCLE_VERSIONS,
  openRunsQuery,
  type LifecycleVersion,
} from '../contract';

/** One lifecycle version's open runs, by workflow type. */
export interface VersionRuns {
  version: LifecycleVersion;
  current: boolean;
  open: Record<string, number>;
  /** An older version with no open run left: its types, its patched() branches and its fixtures can go. */
  drained: boolean;
}

/**
 * How an operator knows an older version of the order lifecycle has drained (docs/decisions/092): the
 * open runs of each workflow type of contract/versions.ts, counted by a visibility query
 * (`WorkflowType IN (…) AND ExecutionStatus = 'Running'`).
 */
export async function openRunsByVersion(client: Client): Promise<VersionRuns[]> {
  return Promise.all(
    LIFECYCLE_VERSIONS.map(async (version) => {
      const types = Object.values(LIFECYCLE_TYPES[version]);
      const counts = await Promise.all(types.map((t) => client.workflow.count(openRunsQuery([t]))));
      const open = Object.fromEntries(types.map((t, i) => [t, counts[i].count]));
      const current = version === CURRENT_LIFECYCLE;
      return { version, current, open, drained: !current && counts.every((c) => c.count === 0) };
    }),
  );
}

const describe = (r: VersionRuns) =>
  `version ${r.version}${r.current ? ' (current)' : ''}: ${Object.entries(r.open)
    .map(([t, n]) => `${t} ${n} open`)
    .join(', ')}${r.current ? '' : r.drained ? ' — drained: its types can be removed' : ' — still draining'}`;

/** `npm run workflow-versions` (TEMPORAL_ADDRESS and TEMPORAL_NAMESPACE as the worker's; `--json` for JSON). */
async function main() {
  const config = loadConfig();
  const connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
  try {
    const runs = await openRunsByVersion(new Client({ connection, namespace: config.TEMPORAL_NAMESPACE }));
    console.log(process.argv.includes('--json') ? JSON.stringify(runs, null, 2) : runs.map(describe).join('\n'));
  } finally {
    await connection.close();
  }
}

if (require.main === module) {
  main().catch((err: Error) => {
    console.error(err.message);
    process.exit(1);
  });
}
