import type { BoardProfile } from './types.ts';
import { board as esp32 } from './esp32.ts';
import { board as esp32Idf4 } from './esp32-idf4.ts';
import { board as esp32Espnow } from './esp32-espnow.ts';
import { board as esp32S3 } from './esp32-s3.ts';
import { board as esp32C3 } from './esp32-c3.ts';
import { board as linux } from './linux.ts';

export type { BoardProfile } from './types.ts';

/** Every board profile, by its `--board` name. */
export const boards: readonly BoardProfile[] = [esp32, esp32Idf4, esp32Espnow, esp32S3, esp32C3, linux];

export function findBoard(name: string): BoardProfile | undefined {
  return boards.find((b) => b.name === name);
}
