/**
 * Bundle size per board against its budget (the same table `meshwork build` prints), built fresh.
 * Run: npx tsx bench/size.ts
 */
import { buildFirmware } from '../host/build/build-firmware.ts';
import { formatSizeTable } from '../host/build/size-report.ts';

const r = await buildFirmware({ outDir: 'dist/bench-firmware' });
console.log('firmware bundle size per board (minified; gzip for reference; budget from boards/*.ts)');
console.log(formatSizeTable(r.results.map((x) => x.size)));
if (!r.ok) process.exit(1);
