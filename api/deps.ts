import type { Client } from '@temporalio/client';
import type { Config } from '../config';
import type { Db } from '../store/db';

export interface AppDeps {
  config: Config;
  db: Db;
  temporal: Client;
}
